//! Progress bars on standard error around the library calls that may take
//! seconds: the timeline, the per-service impacts, cut sets, Monte Carlo,
//! the diff's single faults.

use std::io::{self, IsTerminal};

use whatif::analysis::diff::{self, ModelDiff, Stage};
use whatif::analysis::events::{BasicEvent, TooManyEvents};
use whatif::analysis::{availability, cuts, spof, sweep};
use whatif::error::Error;
use whatif::graph::Graph;
use whatif::model::{Model, ServiceId};
use whatif::sim::steady::Engine;
use whatif::sim::timeline::{self, Event, Timeline};

/// A progress bar on stderr for work that may take seconds. It stays
/// hidden unless stderr is a terminal and the work has run for a second, so
/// quick runs and redirected output never see it; dropping it clears it.
struct Progress {
    bar: indicatif::ProgressBar,
    terminal: bool,
}

impl Progress {
    fn new(template: &str) -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress {
            bar,
            terminal: io::stderr().is_terminal(),
        }
    }

    /// `done` of `total` units of work.
    fn update(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        if self.terminal
            && self.bar.is_hidden()
            && self.bar.elapsed() >= std::time::Duration::from_secs(1)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The timeline of `events`.
pub(super) fn timeline(model: &Model, events: &[Event], options: timeline::Options) -> Timeline {
    let progress = Progress::new("{bar:40} {pos}/{len} steps ({eta})");
    timeline::simulate_with_progress(model, events, options, &|d, t| progress.update(d, t))
}

/// Each service's blast radius.
pub(super) fn impacts(model: &Model, graph: &Graph) -> Vec<spof::Impact> {
    let progress = Progress::new("{bar:40} {pos}/{len} services failed in turn ({eta})");
    spof::impacts_with_progress(model, graph, &|d, t| progress.update(d, t))
}

/// Each service's impact by the steady state (`blast --engine steady`),
/// with the services whose fault did not settle.
pub(super) fn steady_impacts(
    model: &Model,
    engine: &Engine,
) -> (Vec<spof::Impact>, Vec<ServiceId>) {
    let progress = Progress::new("{bar:40} {pos}/{len} services failed in turn ({eta})");
    sweep::steady_impacts(model, engine, &|d, t| progress.update(d, t))
}

/// The minimal cut sets up to `order` (of one entry point, or all).
pub(super) fn cut_sets(
    model: &Model,
    graph: &Graph,
    order: usize,
    zone_availability: Option<f64>,
    entry: Option<&str>,
) -> Result<(Vec<BasicEvent>, Vec<cuts::EntryCuts>), Error> {
    let progress = Progress::new("{bar:40} {pos}/{len} entry points ({eta})");
    cuts::minimal_cut_sets_with_progress(model, graph, order, zone_availability, entry, &|d, t| {
        progress.update(d, t)
    })
    .map_err(too_many_events)
}

/// The Monte Carlo availability of each entry point.
pub(super) fn monte_carlo(
    model: &Model,
    graph: &Graph,
    options: &availability::Options,
) -> Result<Vec<availability::EntryAvailability>, Error> {
    let progress = Progress::new("{bar:40} {pos}/{len} trials ({eta})");
    availability::monte_carlo(model, graph, options, &|done| {
        progress.update(done, options.trials)
    })
    .map_err(too_many_events)
}

/// A model too big for the analyses built on basic events (exit 2).
pub(super) fn too_many_events(e: TooManyEvents) -> Error {
    Error::usage(
        e.to_string(),
        Some("model a large pool as fewer replicas, each with more `capacity` (spof, blast and run take any count)".into()),
    )
}

/// The diff of two models: Monte Carlo trials, then single faults solved.
pub(super) fn diff(
    before: &Model,
    after: &Model,
    options: diff::Options,
) -> Result<ModelDiff, Error> {
    let progress = Progress::new("{bar:40} {pos}/{len} {msg} ({eta})");
    diff::diff(before, after, options, &|stage, done, total| {
        let msg = match stage {
            Stage::Trials => "trials (both models)",
            Stage::Faults => "single faults solved (both models)",
        };
        if progress.bar.message() != msg {
            progress.bar.set_message(msg);
        }
        progress.update(done, total);
    })
    .map_err(too_many_events)
}
