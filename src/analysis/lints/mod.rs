//! Resilience lints for design reviews: risky patterns, each a small
//! registered rule with a stable code, a level, one line on why it matters,
//! and a check that states the risk in numbers and what to do about it.
//!
//! The rules live one per file in this folder; [`REGISTRY`] lists them.
//! Adding one:
//!
//! 1. write `src/analysis/lints/my_rule.rs` with a `pub const RULE: Rule`
//!    and its check (`fn check(cx: &Context) -> Vec<Found>`), and unit
//!    tests at its bottom;
//! 2. register it: a `mod my_rule;` line and `my_rule::RULE` in
//!    [`REGISTRY`], below;
//! 3. add its fixture `tests/fixtures/lints/RNNN-my-rule.yaml`, whose first
//!    line pins the finding (`# expect: RNNN at L:C`), and its row in the
//!    README's table of review codes. `tests/cli/codes.rs` fails until both
//!    exist.
//!
//! A finding is shown only when it names a risk and the change that would
//! remove it: a check that cannot say what to do finds nothing.

use std::cell::OnceCell;

use serde::Serialize;

use super::spof::Impact;
use crate::finding::Pos;
use crate::graph::Graph;
use crate::model::{Dependency, Model, ServiceId};
use crate::sim::steady::{Engine, Outcome};

pub mod cache_stampede;
pub mod cycle;
pub mod no_breaker;
pub mod no_headroom;
pub mod no_timeout;
pub mod restart_blocker;
pub mod retry_amplification;
pub mod single_instance;
pub mod stale_window;
pub mod timeout_inversion;
pub mod unhealthy_baseline;

pub use retry_amplification::AMPLIFICATION_LIMIT;

/// Every rule, in code order. The one place a new rule is registered.
pub const REGISTRY: &[Rule] = &[
    no_timeout::RULE,
    timeout_inversion::RULE,
    retry_amplification::RULE,
    no_breaker::RULE,
    single_instance::RULE,
    no_headroom::RULE,
    cycle::RULE,
    restart_blocker::RULE,
    unhealthy_baseline::RULE,
    cache_stampede::RULE,
    stale_window::RULE,
];

/// How much a lint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Can take users down.
    High,
    /// Makes outages worse or longer.
    Medium,
    /// Worth knowing.
    Low,
}

impl Level {
    /// Every level, most serious first.
    pub const ALL: [Level; 3] = [Level::High, Level::Medium, Level::Low];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = ();

    /// `high`, `medium` or `low`, any case.
    fn from_str(word: &str) -> Result<Level, ()> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(word))
            .ok_or(())
    }
}

/// One registered lint: its code, level, what it finds and why that
/// matters, and the check that finds it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable code (`R001` …).
    pub code: &'static str,
    /// How much its findings matter.
    pub level: Level,
    /// What it finds, in a few words (the README's table row).
    pub summary: &'static str,
    /// Why that matters, in one line (shown under each finding).
    pub why: &'static str,
    /// Finds every instance in a model.
    pub check: fn(&Context) -> Vec<Found>,
}

impl Rule {
    /// The registered rule with this code (exact, any case).
    pub fn find(code: &str) -> Option<&'static Rule> {
        REGISTRY.iter().find(|r| r.code.eq_ignore_ascii_case(code))
    }
}

/// What a check sees: the model, its graph, the single-failure impacts and
/// (computed on first use, shared by every rule) the fault-free steady
/// state.
pub struct Context<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its dependency graph.
    pub graph: &'a Graph,
    /// Each service's impact when it fails alone ([`super::spof::impacts`]).
    pub impacts: &'a [Impact],
    engine: OnceCell<Engine<'a>>,
    baseline: OnceCell<Outcome>,
}

impl<'a> Context<'a> {
    /// A context over a model and what has been computed about it.
    pub fn new(model: &'a Model, graph: &'a Graph, impacts: &'a [Impact]) -> Context<'a> {
        Context {
            model,
            graph,
            impacts,
            engine: OnceCell::new(),
            baseline: OnceCell::new(),
        }
    }

    /// The steady-state engine over the model.
    pub fn engine(&self) -> &Engine<'a> {
        self.engine.get_or_init(|| Engine::new(self.model))
    }

    /// The steady state with no fault.
    pub fn baseline(&self) -> &Outcome {
        self.baseline.get_or_init(|| self.engine().steady(&[]))
    }

    /// A service's name.
    pub fn name(&self, id: ServiceId) -> &'a str {
        &self.model.service(id).name
    }

    /// Every dependency of every service (over its operations, so one a
    /// service-level `depends_on` gives each operation comes once per
    /// operation: checks keep their own `seen` set), with its caller, in
    /// model order.
    pub fn dependencies(&self) -> impl Iterator<Item = (ServiceId, &'a Dependency)> + 'a {
        let model = self.model;
        model.service_ids().flat_map(move |id| {
            model
                .service(id)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .map(move |d| (id, d))
        })
    }
}

/// What a check found: the rule adds its code, level and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The service it is about.
    pub service: ServiceId,
    /// The risk, with its numbers: one sentence, names in backticks.
    pub message: String,
    /// What to do about it: one sentence, names in backticks.
    pub fix: String,
    /// Where in the model file.
    pub pos: Pos,
}

/// One risky pattern found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lint {
    /// Stable code (`R001` …).
    pub code: &'static str,
    /// How much it matters.
    pub level: Level,
    /// The service it is about.
    pub service: String,
    /// The risk, with its numbers: one sentence, names in backticks.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// Why this matters, in one line.
    pub why: &'static str,
    /// Where in the model file.
    #[serde(flatten)]
    pub pos: Pos,
}

/// Every lint for a model, by level, then code, then position. `impacts`
/// are the single-failure impacts from [`super::spof::impacts`].
pub fn lints(model: &Model, graph: &Graph, impacts: &[Impact]) -> Vec<Lint> {
    let cx = Context::new(model, graph, impacts);
    let mut out: Vec<Lint> = REGISTRY
        .iter()
        .flat_map(|rule| {
            (rule.check)(&cx).into_iter().map(|f| Lint {
                code: rule.code,
                level: rule.level,
                service: model.service(f.service).name.clone(),
                message: f.message,
                fix: f.fix,
                why: rule.why,
                pos: f.pos,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(a.code.cmp(b.code))
            .then(a.pos.cmp(&b.pos))
            .then(a.message.cmp(&b.message))
    });
    // The same edge reached from two operations is one finding.
    out.dedup_by(|a, b| a.code == b.code && a.pos == b.pos && a.message == b.message);
    out
}

/// `names` as `` `a` → `b` → `c` ``.
fn path(cx: &Context, names: &[ServiceId]) -> String {
    names
        .iter()
        .map(|&s| format!("`{}`", cx.name(s)))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// A timeout to suggest for calls to a service that normally answers in
/// `normal_s`: a round value at least five times that and at least 50 ms
/// (1 s when the normal latency is unknown or unbounded).
pub fn suggested_timeout(normal_s: f64) -> f64 {
    if normal_s.is_finite() && normal_s > 0.0 {
        round_up((5.0 * normal_s).max(0.05))
    } else {
        1.0
    }
}

/// Round values to suggest: 1, 2, 5, 10, 20, 50 … ms, up to 1,000 s.
fn round_values() -> impl Iterator<Item = f64> {
    (0..7u32).flat_map(|e| [1u64, 2, 5].map(|k| (k * 10u64.pow(e)) as f64 / 1000.0))
}

/// The smallest round value at or above `seconds`.
fn round_up(seconds: f64) -> f64 {
    round_values()
        .find(|&v| v >= seconds - 1e-9)
        .unwrap_or(seconds)
}

/// The largest round value at or below `seconds` (1 ms at least).
fn round_down(seconds: f64) -> f64 {
    round_values()
        .take_while(|&v| v <= seconds + 1e-9)
        .last()
        .unwrap_or(0.001)
}

/// `1 replica`, `3 replicas`.
fn replicas(n: u32) -> String {
    if n == 1 {
        "1 replica".into()
    } else {
        format!("{n} replicas")
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Running one rule over a model written inline.

    use super::*;
    use crate::model::load_str;

    /// What `rule` finds in `yaml`, as (service, message, fix).
    pub fn found(rule: &Rule, yaml: &str) -> Vec<(String, String, String)> {
        let m = load_str(yaml, "t.yaml").expect("valid model").model;
        let g = Graph::build(&m);
        let impacts = super::super::spof::impacts(&m, &g);
        let cx = Context::new(&m, &g, &impacts);
        (rule.check)(&cx)
            .into_iter()
            .map(|f| (m.service(f.service).name.clone(), f.message, f.fix))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_in_code_order_without_gaps_or_repeats() {
        let codes: Vec<&str> = REGISTRY.iter().map(|r| r.code).collect();
        let expected: Vec<String> = (1..=codes.len()).map(|i| format!("R{i:03}")).collect();
        assert_eq!(codes, expected);
        for r in REGISTRY {
            assert!(!r.summary.is_empty() && !r.why.is_empty(), "{}", r.code);
            assert_eq!(
                Rule::find(&r.code.to_lowercase()).map(|x| x.code),
                Some(r.code)
            );
        }
        assert!(Rule::find("R099").is_none());
        assert_eq!("Medium".parse::<Level>(), Ok(Level::Medium));
        assert!("severe".parse::<Level>().is_err());
    }

    #[test]
    fn suggested_values_are_round() {
        assert_eq!(round_up(0.012), 0.02);
        assert_eq!(round_up(0.05), 0.05);
        assert_eq!(round_up(0.3), 0.5);
        assert_eq!(round_up(3.0), 5.0);
        assert_eq!(round_down(0.3), 0.2);
        assert_eq!(round_down(0.1), 0.1);
        assert_eq!(round_down(0.7), 0.5);
        assert_eq!(round_down(0.0001), 0.001);
    }
}
