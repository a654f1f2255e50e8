//! Checking a scenario's expectations against the timeline it produced.

use super::load::{ExpectTarget, Expectation, Scenario};
use crate::sim::steady::State;
use crate::sim::timeline::Timeline;

/// One expectation, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What was expected, where it was written.
    pub expectation: Expectation,
    /// The state the timeline shows after the step at the expectation's time.
    pub actual: State,
    /// Whether the two agree.
    pub passed: bool,
}

impl Verdict {
    /// Why it failed, as one sentence: `expected degraded, found healthy`.
    pub fn failure(&self) -> Option<String> {
        (!self.passed).then(|| {
            format!(
                "expected {}, found {}",
                self.expectation.state.as_str(),
                self.actual.as_str()
            )
        })
    }
}

/// Judges every expectation of `scenario`, in file order, against
/// `timeline` (which must come from the scenario's model and events).
///
/// An expectation at t reads the state after the step at t (docs/timelines.md): the
/// last step at or before t. A timeline with no steps at all is read as the
/// fault-free state before t = 0.
pub fn check(scenario: &Scenario, timeline: &Timeline) -> Vec<Verdict> {
    scenario
        .expectations
        .iter()
        .map(|e| {
            let actual = state(timeline, e);
            Verdict {
                expectation: e.clone(),
                actual,
                passed: actual == e.state,
            }
        })
        .collect()
}

fn state(timeline: &Timeline, e: &Expectation) -> State {
    if timeline.times.is_empty() {
        let before = &timeline.before;
        return match e.target {
            ExpectTarget::Service(id) => before.services[id.index()].state,
            ExpectTarget::Operation(id, op) => before.operations[id.index()][op].state,
        };
    }
    match e.target {
        ExpectTarget::Service(id) => timeline.service_state(id, e.at_s),
        ExpectTarget::Operation(id, op) => timeline.operation_state(id, op, e.at_s),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::load::TempFiles;
    use crate::scenario::load_scenario;
    use crate::sim::timeline::{Options, simulate};

    /// A two-operation web over one database, and a scenario that crashes
    /// the database for two minutes; one expectation is deliberately wrong.
    fn files(test: &str) -> TempFiles {
        let files = TempFiles::new(test);
        let model = "services:\n  web:\n    entry: { rps: 10 }\n    operations:\n      read: { rps: 5, depends_on: [db] }\n      ping: { rps: 5 }\n  db: {}\n";
        files.write("model.yaml", model);
        let scenario = "title: db blips\nmodel: model.yaml\nduration: 5m\n\
            events:\n  - { at: 1m, for: 2m, down: db }\n\
            expect:\n\
            \x20 - { at: 0s, service: web, state: healthy }\n\
            \x20 - { at: 1m, service: db, state: down }\n\
            \x20 - { at: 2m, service: web.read, state: down }\n\
            \x20 - { at: 2m, service: web.ping, state: healthy }\n\
            \x20 - { at: 2m, service: web, state: healthy }\n\
            \x20 - { at: 5m, service: db, state: healthy }\n";
        files.write("blip.yaml", scenario);
        files
    }

    fn timeline(s: &Scenario, step_s: f64) -> Timeline {
        let options = Options {
            duration_s: s.duration_s,
            step_s,
        };
        simulate(&s.loaded.model, &s.events, options)
    }

    #[test]
    fn expectations_read_the_state_after_their_step() {
        let s = load_scenario(&files("after").path("blip.yaml")).expect("valid scenario");
        let verdicts = check(&s, &timeline(&s, 1.0));
        let summary: Vec<(String, State, bool)> = verdicts
            .iter()
            .map(|v| (v.expectation.describe(), v.actual, v.passed))
            .collect();
        assert_eq!(
            summary,
            [
                ("web is healthy at 0s".into(), State::Healthy, true),
                ("db is down at 1m".into(), State::Down, true),
                ("web.read is down at 2m".into(), State::Down, true),
                ("web.ping is healthy at 2m".into(), State::Healthy, true),
                ("web is healthy at 2m".into(), State::Degraded, false),
                ("db is healthy at 5m".into(), State::Healthy, true),
            ]
        );
        assert_eq!(
            verdicts[4].failure().as_deref(),
            Some("expected healthy, found degraded")
        );
        assert_eq!(verdicts[0].failure(), None);
    }

    #[test]
    fn a_timeline_without_steps_reads_the_state_before_t0() {
        let s = load_scenario(&files("no-steps").path("blip.yaml")).expect("valid scenario");
        let mut t = timeline(&s, 1.0);
        t.times.clear();
        let actual: Vec<State> = check(&s, &t).iter().map(|v| v.actual).collect();
        assert_eq!(actual, [State::Healthy; 6]);
    }

    #[test]
    fn the_valid_fixture_runs_and_is_judged_by_the_timeline() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scenarios/valid/every-event.yaml");
        let s = load_scenario(&path).expect("valid scenario");
        // Coarse steps: this is about reading the timeline, not its detail.
        let t = timeline(&s, 30.0);
        for v in check(&s, &t) {
            let e = &v.expectation;
            let from_timeline = match e.target {
                ExpectTarget::Service(id) => t.service_state(id, e.at_s),
                ExpectTarget::Operation(id, op) => t.operation_state(id, op, e.at_s),
            };
            assert_eq!(v.actual, from_timeline);
            assert_eq!(v.passed, v.actual == e.state);
        }
    }
}
