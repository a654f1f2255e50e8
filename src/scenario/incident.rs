//! Incidents (docs/timelines.md, "Incidents"): scenarios of real, public outages with
//! the post-mortem's source, the moment responders were paged, the
//! remedies they could have tried (each marked as working or not) and
//! debrief questions. This module replays an incident, judges every
//! remedy by simulating it, and scores a player's choice of actions.
//!
//! A remedy *works* when every entry point is healthy at the end of the
//! timeline and has been for its last tenth ([`works`]). The score of a
//! choice is the user requests that failed from `detected_at` to the end
//! ([`failed_requests`]): demand the entry points did not serve, requests
//! shed by the choice's own `surge` below x1 included.

use crate::finding::Pos;
use crate::model::{Model, ServiceId};
use crate::sim::faults::Fault;
use crate::sim::steady::State;
use crate::sim::timeline::{self, Action, Event, Timeline};

use super::check::{Verdict, check};
use super::load::Scenario;

/// The four keys that make a scenario an incident, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Where the story comes from.
    pub source: Source,
    /// When responders were paged, seconds from the start.
    pub detected_at_s: f64,
    /// What responders could have done, in file order.
    pub remedies: Vec<Remedy>,
    /// Questions for the debrief, in file order.
    pub debrief: Vec<Debrief>,
}

/// `source:`: the public post-mortem.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Who published it (`GitHub`).
    pub organisation: String,
    /// When the incident happened, `YYYY-MM-DD`.
    pub date: String,
    /// The post-mortem's title.
    pub title: String,
    /// Where to read it, when given.
    pub url: Option<String>,
}

impl Source {
    /// The source in one line: `GitHub, 2018-10-21: October 21
    /// post-incident analysis — URL`.
    pub fn cite(&self) -> String {
        let url = self
            .url
            .as_deref()
            .map(|u| format!(" — {u}"))
            .unwrap_or_default();
        format!("{}, {}: {}{url}", self.organisation, self.date, self.title)
    }
}

/// One remedy: actions taken at one moment, and whether the file says
/// they work.
#[derive(Debug, Clone, PartialEq)]
pub struct Remedy {
    /// `name:`, unique in the file.
    pub name: String,
    /// When its actions are taken, seconds (from `detected_at` to the end).
    pub at_s: f64,
    /// Its actions as timeline events at `at_s` (a `set` of several links
    /// gives one event per link).
    pub events: Vec<Event>,
    /// `works:` as written: what the simulation must agree with.
    pub works: bool,
    /// One line: why it works or does not.
    pub why: String,
    /// Where the remedy starts in the file.
    pub pos: Pos,
}

/// One debrief question and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Debrief {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
}

/// The step incidents are replayed with, seconds: a second, as
/// `whatif scenario` steps by default.
pub const STEP_S: f64 = 1.0;

/// The share of the timeline, at its end, over which every entry point
/// must stay healthy for a remedy to work: the last tenth.
pub const SETTLED_SHARE: f64 = 0.1;

/// One way the incident could have gone: its timeline, whether it ends
/// well, and what it cost users.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The file's events and the extra actions, stepped through time.
    pub timeline: Timeline,
    /// Every entry point healthy at the end, and over the last tenth.
    pub works: bool,
    /// From when every entry point stays healthy to the end (`None` when
    /// one is not healthy at the end).
    pub healthy_from_s: Option<f64>,
    /// User requests that failed from `detected_at` to the end, shed ones
    /// included ([`failed_requests`]).
    pub failed_requests: f64,
}

/// A remedy, simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Which remedy (index into the incident's `remedies`).
    pub remedy: usize,
    /// The timeline with its actions applied at its `at`.
    pub run: Run,
    /// Whether the simulation agrees with the file's `works:`.
    pub agrees: bool,
}

/// An incident replayed: the timeline with nobody acting, its
/// expectations, and every remedy judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The file's events alone: what happens when nobody acts.
    pub nothing: Run,
    /// The expectations, judged against `nothing`'s timeline.
    pub verdicts: Vec<Verdict>,
    /// Every remedy, in file order.
    pub remedies: Vec<Judged>,
}

impl Replay {
    /// Whether every expectation holds and every remedy does what its
    /// `works:` says.
    pub fn holds(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed) && self.remedies.iter().all(|j| j.agrees)
    }

    /// The best remedy: the fewest failed
    /// requests, counted whole; on a tie the one that works, then the
    /// first in the file.
    pub fn best(&self) -> Option<&Judged> {
        self.remedies.iter().min_by(|a, b| {
            rank(&a.run)
                .partial_cmp(&rank(&b.run))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.remedy.cmp(&b.remedy))
        })
    }
}

/// How runs are compared: failed requests counted whole, then working
/// before not.
fn rank(run: &Run) -> (f64, bool) {
    (run.failed_requests.round(), !run.works)
}

/// Replays `scenario` (which must hold `incident`) in steps of `step_s`:
/// the file's events alone, its expectations, then each remedy's actions
/// added at the remedy's `at`. Remedies are simulated in parallel.
pub fn replay(scenario: &Scenario, incident: &Incident, step_s: f64) -> Replay {
    use rayon::prelude::*;
    let nothing = run(scenario, incident, &[], step_s);
    let verdicts = check(scenario, &nothing.timeline);
    let remedies = incident
        .remedies
        .par_iter()
        .enumerate()
        .map(|(i, remedy)| {
            let run = run(scenario, incident, &remedy.events, step_s);
            Judged {
                remedy: i,
                agrees: run.works == remedy.works,
                run,
            }
        })
        .collect();
    Replay {
        nothing,
        verdicts,
        remedies,
    }
}

/// The incident with `actions` added to the file's events (a remedy's, or
/// a player's choice), stepped through its duration and judged.
pub fn run(scenario: &Scenario, incident: &Incident, actions: &[Event], step_s: f64) -> Run {
    let model = &scenario.loaded.model;
    let mut events = scenario.events.clone();
    events.extend_from_slice(actions);
    let options = timeline::Options {
        duration_s: scenario.duration_s,
        step_s,
    };
    let timeline = timeline::simulate(model, &events, options);
    let healthy_from_s = healthy_from(model, &timeline);
    let settled = scenario.duration_s * (1.0 - SETTLED_SHARE);
    let works = healthy_from_s.is_some_and(|t| t <= settled + 1e-9);
    let failed_requests = failed_requests(
        model,
        &scenario.events,
        actions,
        &timeline,
        incident.detected_at_s,
    );
    Run {
        timeline,
        works,
        healthy_from_s,
        failed_requests,
    }
}

/// The first step from which every entry point is healthy to the end of
/// the timeline; `None` when one is not healthy at its last step.
pub fn healthy_from(model: &Model, timeline: &Timeline) -> Option<f64> {
    let entries: Vec<_> = model.entry_points().collect();
    let healthy = |k: usize| {
        entries
            .iter()
            .all(|id| timeline.service_states[k][id.index()] == State::Healthy)
    };
    let steps = timeline.times.len();
    if steps == 0 || !healthy(steps - 1) {
        return None;
    }
    let first = (0..steps).rev().take_while(|&k| healthy(k)).last()?;
    Some(timeline.times[first])
}

/// User requests that failed from `from_s` to the end: at each entry
/// point, the users' demand less the requests it served. The state after
/// the step at t holds until the next step, so the steps from `from_s`
/// up to (not including) the last each count for one step's length. Demand is the entry traffic with the file's own
/// surges (`incident_events`); the extra `actions`' surges below x1 shed
/// part of it, and shed requests count as failed; their surges above x1
/// bring more users, which count as demand.
pub fn failed_requests(
    model: &Model,
    incident_events: &[Event],
    actions: &[Event],
    timeline: &Timeline,
    from_s: f64,
) -> f64 {
    let step = match timeline.times.as_slice() {
        [a, b, ..] => b - a,
        _ => return 0.0,
    };
    let mut failed = 0.0;
    let last = timeline.times.len() - 1;
    for (k, &t) in timeline.times.iter().enumerate().take(last) {
        if t < from_s - 1e-9 {
            continue;
        }
        // A step lasts until the next; the one before a shorter last step
        // (a duration the step does not divide) lasts less.
        let length = timeline::step_length(&timeline.times, k, step);
        for id in model.entry_points() {
            let base = model.service(id).entry_rps().unwrap_or(0.0);
            let ordered = base * surge(incident_events, id, k, last, t, step);
            let extra = surge(actions, id, k, last, t, step);
            let demand = ordered * extra.max(1.0);
            let served = ordered * extra * timeline.series[id.index()][k].success;
            failed += (demand - served).max(0.0) * length;
        }
    }
    failed
}

/// The product of the surge factors among `events` that reach entry
/// `entry` at step `k` (time `t`), as the timeline applies them: from the
/// step their `at` falls in, until their `for` window closes.
fn surge(events: &[Event], entry: ServiceId, k: usize, last: usize, t: f64, step: f64) -> f64 {
    events
        .iter()
        .filter_map(|e| match &e.action {
            Action::Fault(Fault::Surge {
                entry: reach,
                factor,
                ..
            }) if reach.is_none_or(|s| s == entry) => Some((e, *factor)),
            _ => None,
        })
        .filter(|(e, _)| {
            let started = timeline::step_index(e.at_s, step).min(last) <= k;
            let open = e.for_s.is_none_or(|d| t < e.at_s + d - 1e-9);
            started && open
        })
        .map(|(_, factor)| factor)
        .product()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::load_scenario;
    use crate::sim::faults::{FaultKind, parse};

    fn fixture() -> (Scenario, Incident) {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/incidents/retry-storm.yaml");
        let s = load_scenario(&path).expect("valid incident");
        let i = s.incident.clone().expect("an incident");
        (s, i)
    }

    #[test]
    fn the_fixture_replays_and_its_remedies_are_judged_as_marked() {
        let (s, i) = fixture();
        let r = replay(&s, &i, STEP_S);
        assert!(r.verdicts.iter().all(|v| v.passed));
        assert!(!r.nothing.works);
        assert_eq!(r.nothing.healthy_from_s, None);
        let judged: Vec<(bool, bool)> =
            r.remedies.iter().map(|j| (j.run.works, j.agrees)).collect();
        assert_eq!(judged, [(true, true), (false, true)]);
        assert!(r.holds());
        assert_eq!(r.best().map(|j| j.remedy), Some(0));
        // Nobody acting: from 4m to 20m the storefront serves nobody.
        let all = 800.0 * 16.0 * 60.0;
        assert!(
            (r.nothing.failed_requests - all).abs() < 1.0,
            "{}",
            r.nothing.failed_requests
        );
        let fixed = &r.remedies[0].run;
        assert!(fixed.failed_requests < r.nothing.failed_requests / 2.0);
        assert!(fixed.healthy_from_s.is_some_and(|t| t > 300.0 && t < 600.0));
    }

    #[test]
    fn shed_requests_count_as_failed_and_extra_users_as_demand() {
        let (s, i) = fixture();
        let m = &s.loaded.model;
        let surge = |text: &str, at_s: f64, for_s: Option<f64>| Event {
            at_s,
            for_s,
            action: Action::Fault(parse(FaultKind::Surge, text, m).expect("surge")),
        };
        // Retries off from the start: the surge passes without a storm.
        let calm = Event {
            at_s: 0.0,
            ..i.remedies[0].events[0].clone()
        };
        let base = run(&s, &i, std::slice::from_ref(&calm), 1.0);
        assert!(base.works);
        assert!(base.failed_requests < 1.0, "{}", base.failed_requests);
        // Shedding half for two minutes after 4m: 800 × 0.5 × 120 failed.
        let shed = run(
            &s,
            &i,
            &[calm.clone(), surge("x0.5", 240.0, Some(120.0))],
            1.0,
        );
        assert!(
            (shed.failed_requests - 48_000.0).abs() < 1.0,
            "{}",
            shed.failed_requests
        );
        // A fifth more users from 10m, nearly all served: they are demand,
        // not shed, so almost nothing fails (a few time out in the queues).
        let more = run(&s, &i, &[calm, surge("x1.2", 600.0, None)], 1.0);
        assert!(
            more.failed_requests < 0.001 * 960.0 * 600.0,
            "{}",
            more.failed_requests
        );
    }
}
