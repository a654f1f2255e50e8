//! Scenarios (docs/timelines.md): a story with timed events and expectations over a
//! model, for drills, post-mortem replays and regression tests of an
//! architecture. Loading and validation ([`load`]), checking expectations
//! against a timeline ([`check`](mod@check)) and the JUnit report for CI ([`junit`]).
//!
//! ```yaml
//! title: Catalog database fails at peak
//! model: ../examples/online-shop.yaml      # relative to this file
//! story: Friday 18:00, the primary catalog database stops answering.
//! duration: 20m
//! events:
//!   - { at: 0s,  down: catalog-db }
//!   - { at: 12m, recover: catalog-db }
//!   - { at: 14m, for: 2m, surge: x1.5 }
//!   - { at: 15m, set: { web->cart: { retries: 0, timeout: none } } }
//! expect:
//!   - { at: 1m,  service: catalog, state: degraded }
//!   - { at: 19m, service: web.browse, state: healthy }
//! ```
//!
//! Running one: [`load_scenario`], then
//! [`simulate`](crate::sim::timeline::simulate) with its events over its
//! duration, then [`check`](check::check) the expectations against the
//! timeline.
//!
//! # Decisions the guide leaves open
//!
//! - **Keys.** `model` and `duration` are required; `title` defaults to the
//!   file's stem, `story` to nothing, `events` and `expect` to none (a
//!   scenario with no events checks the fault-free system). Unknown keys are
//!   errors, as in models.
//! - **Times.** `duration` is more than zero and at most a day
//!   ([`MAX_DURATION_S`]). An event's `at` and an expectation's `at` may
//!   equal `duration` but not pass it ([`codes::BEYOND_DURATION`]); a fault
//!   whose `at + for` passes the end simply lasts to the end. Events need
//!   not be sorted: at each step those due apply in file order.
//! - **`for`** belongs to faults only: an action (`recover`, `scale`,
//!   `flush`, `set`) happens once, so `for` on one is an error, and so is
//!   `for: 0s` (the fault would never happen) ([`codes::BAD_WINDOW`]).
//! - **One thing per event.** Exactly one of `down`, `hang`, `slow`,
//!   `errors`, `cut`, `surge`, `cold`, `recover`, `scale`, `flush`, `set`
//!   ([`codes::NO_ACTION`], [`codes::SEVERAL_ACTIONS`]). Fault values are
//!   the command line's (docs/faults.md) and are parsed by the same parser.
//! - **Links.** `cut: a->b` needs `a` to call `b` — through a dependency,
//!   a failover fallback or a cache's `on_miss`; `set: { a->b: … }` needs a
//!   dependency of `a` on `b`, since that is what it changes
//!   ([`codes::UNKNOWN_LINK`]).
//! - **`set`** takes a map of links to policies: `retries`, `retry_budget`,
//!   `timeout`, `criticality`, `circuit_breaker: { threshold, open_for }`,
//!   parsed as in the model. `retry_budget: none`, `timeout: none` and
//!   `circuit_breaker: none` remove the policy (a YAML null, `~`, means "no
//!   change", like leaving the key out). One event with several links
//!   becomes one [`Event`](crate::sim::timeline::Event) per link, in the
//!   order written; a `set` that changes nothing is an error
//!   ([`codes::EMPTY_SET`]).
//! - **`scale: NAME=+N`** adds N ≥ 1 replicas; a bare `=N` is refused (it
//!   reads like "scale to N").
//! - **Expectations** name a service or `service.operation`, resolved as a
//!   dependency is in the model (`a.b` is the service `a.b` if one exists,
//!   else operation `b` of `a`; both is ambiguous). `svc.default` names the
//!   implicit operation of a service without operations. States are
//!   `healthy`, `slow`, `degraded`, `down`, in any case.
//! - **The model.** A `model:` file that cannot be read at all is a
//!   finding of the scenario, at the `model:` value
//!   ([`codes::MODEL_UNREADABLE`]); the scenario's other values are still
//!   checked, but not its names. A model that is read but does not validate
//!   (or is refused as hostile) makes loading fail with the *model's*
//!   [`Error::Invalid`](crate::Error::Invalid) — its file, its source and
//!   all its findings — because that is where they must be fixed.
//! - **Codes.** Problems a model file can have too keep the model's codes
//!   (YAML syntax and shape, unknown or missing keys, malformed durations,
//!   fractions and counts, an unknown `criticality`); what only a scenario
//!   can get wrong has an `S` code ([`codes`]). Findings are sorted by
//!   position.

pub mod check;
pub mod incident;
pub mod junit;
pub mod load;

pub use check::{Verdict, check};
pub use incident::Incident;
pub use junit::write_junit;
pub use load::{ExpectTarget, Expectation, MAX_DURATION_S, Scenario, codes, load_scenario};
