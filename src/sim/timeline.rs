//! The timeline (docs/engine.md, "The timeline"): the steady-state rules stepped through
//! time, with the stateful parts carried from step to step.
//!
//! Before t = 0 the system is in its fault-free steady state. At each step
//! t (0, step, 2·step … up to the duration), events with `at ≤ t` apply in
//! file order, `for` windows that have ended close (a window is
//! [start, start + length)), the stateful parts are brought up to date, and
//! the step is evaluated, starting from the previous step's loads so that
//! retry load carries over — which is what lets a system stay down after its
//! trigger is gone (a metastable failure), or recover.
//!
//! Carried from step to step:
//! - crashed replicas, which come back `start_time` after a fault on them
//!   ends, once every `startup` dependency of theirs is up (they wait while
//!   one is down — even one that waits on them);
//! - stale windows, which run out `serve_stale_for` after the primary
//!   started failing;
//! - async buffers, which fill with the hand-offs the callee does not take
//!   and drain when it takes them again; a full buffer fails its edge;
//! - caches, cold (or emptied by a crash) and warming back linearly over
//!   `warm_up`;
//! - breakers, held open for `open_for`, then probed;
//! - queue backlogs, which grow by arrivals minus throughput (at least as
//!   fast as a driftless random walk, so a queue exactly at capacity fills
//!   too: see `Admission::grown`) and drain at throughput minus arrivals
//!   when an overload ends (the wait they add is backlog ÷ throughput);
//! - replicas added by `scale` or autoscaling, each after its `start_time`;
//! - dependency policies changed by `set`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::explain::{latency, rate};
use super::faults::{Fault, Scope, Typed};
use super::steady::{Engine, Figures, Outcome, Situation, State, Warm};
use crate::model::{
    CircuitBreaker, Criticality, Dependency, Fallback, Mode, Model, Phase, ServiceId,
};

/// What a responder (or the incident) does at a moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A fault (docs/faults.md) starts.
    Fault(Fault),
    /// `recover: S` ends the whole-service and replica faults on S;
    /// `recover: zone:Z` ends a zone's.
    Recover(Recovery),
    /// `scale: web=+4`: add replicas, each after its `start_time`.
    Scale {
        /// The service.
        service: ServiceId,
        /// Replicas added.
        add: u32,
    },
    /// `flush: db`: drop a service's queue backlog.
    Flush {
        /// The service.
        service: ServiceId,
    },
    /// `set: { web->db: { retries: 0 } }`: change a dependency's policy on
    /// every call from `from` to `to`.
    Set {
        /// The caller.
        from: ServiceId,
        /// The callee.
        to: ServiceId,
        /// What changes.
        change: PolicyChange,
    },
}

impl Action {
    /// The action in one line, as a scenario would write it (`recover db`,
    /// `scale web +2`, `set web->db: retries 0`; a fault as its flag).
    pub fn describe(&self, model: &Model) -> String {
        match self {
            Action::Fault(fault) => fault.as_flag(),
            Action::Recover(Recovery::Service(s)) => {
                format!("recover {}", model.service(*s).name)
            }
            Action::Recover(Recovery::Zone(z)) => format!("recover zone:{}", model.zones[*z]),
            Action::Scale { service, add } => {
                format!("scale {} +{add}", model.service(*service).name)
            }
            Action::Flush { service } => format!("flush {}", model.service(*service).name),
            Action::Set { from, to, change } => format!(
                "set {}->{}: {}",
                model.service(*from).name,
                model.service(*to).name,
                change.describe()
            ),
        }
    }
}

/// What `recover` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Whole-service and replica faults on a service.
    Service(ServiceId),
    /// Faults on a zone (index into `Model::zones`).
    Zone(usize),
}

/// A change of dependency policy; `None` fields stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolicyChange {
    /// New retries.
    pub retries: Option<u32>,
    /// New retry budget (`Some(None)` removes it).
    pub retry_budget: Option<Option<f64>>,
    /// New timeout (`Some(None)` removes it).
    pub timeout_s: Option<Option<f64>>,
    /// New criticality.
    pub criticality: Option<Criticality>,
    /// New breaker (`Some(None)` removes it).
    pub circuit_breaker: Option<Option<CircuitBreaker>>,
}

impl PolicyChange {
    /// The fields it changes: `retries 0, timeout 200ms`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = self.retries {
            parts.push(format!("retries {r}"));
        }
        if let Some(b) = self.retry_budget {
            parts.push(match b {
                Some(share) => format!("retry budget {}%", crate::text::number(share * 100.0)),
                None => "no retry budget".into(),
            });
        }
        if let Some(t) = self.timeout_s {
            parts.push(match t {
                Some(s) => format!("timeout {}", crate::text::duration(s)),
                None => "no timeout".into(),
            });
        }
        if let Some(c) = self.criticality {
            parts.push(format!("{c:?}").to_lowercase());
        }
        if let Some(b) = self.circuit_breaker {
            parts.push(match b {
                Some(_) => "breaker".into(),
                None => "no breaker".into(),
            });
        }
        if parts.is_empty() {
            "no change".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One timed event of a scenario (or of `run --for`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happens, seconds from the start.
    pub at_s: f64,
    /// For a fault: how long it lasts (`None`: until recovered or the end).
    pub for_s: Option<f64>,
    /// What happens.
    pub action: Action,
}

impl Event {
    /// Each fault beginning at t = 0 and lasting to the end.
    pub fn from_start(faults: &[Fault]) -> Vec<Event> {
        faults
            .iter()
            .map(|f| Event {
                at_s: 0.0,
                for_s: None,
                action: Action::Fault(f.clone()),
            })
            .collect()
    }
}

/// How to step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Total simulated time, seconds.
    pub duration_s: f64,
    /// Step, seconds (default 1).
    pub step_s: f64,
}

/// A state change of a service or operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// When, seconds.
    pub t_s: f64,
    /// `service` or `service.operation`.
    pub name: String,
    /// The service.
    #[serde(skip)]
    pub service: ServiceId,
    /// The operation, for operation changes.
    #[serde(skip)]
    pub operation: Option<usize>,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// Why (the new state's reason).
    pub because: String,
}

/// One point of a service's series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// When, seconds.
    pub t_s: f64,
    /// Share of requests that succeed.
    pub success: f64,
    /// Mean latency, seconds (infinite: some wait forever).
    pub latency_s: f64,
    /// Attempts per second.
    pub load_rps: f64,
}

/// The result of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Step times, seconds.
    pub times: Vec<f64>,
    /// The fault-free state before t = 0.
    pub before: Outcome,
    /// State changes, ordered by time, then model order (each service
    /// followed by its operations).
    pub changes: Vec<Change>,
    /// Per service, one sample per step.
    pub series: Vec<Vec<Sample>>,
    /// Per step, each service's state.
    pub service_states: Vec<Vec<State>>,
    /// Per step, each operation's state (per service, per operation).
    pub operation_states: Vec<Vec<Vec<State>>>,
    /// The last step's full outcome.
    pub last: Outcome,
    /// The full outcome at every step where something changed (for frames).
    pub frames: Vec<(f64, Outcome)>,
    /// Whether every step's steady state settled.
    pub converged: bool,
    /// The most passes a step's steady state took (its bound when one did
    /// not settle).
    pub iterations: usize,
}

impl Timeline {
    /// The index of the step that holds time `t` (the last step at or before it).
    pub fn step_at(&self, t: f64) -> usize {
        self.times
            .partition_point(|&x| x <= t + SAME_MOMENT_S)
            .saturating_sub(1)
    }

    /// A service's state after the step at time `t`.
    pub fn service_state(&self, id: ServiceId, t: f64) -> State {
        self.service_states[self.step_at(t)][id.index()]
    }

    /// An operation's state after the step at time `t`.
    pub fn operation_state(&self, id: ServiceId, op: usize, t: f64) -> State {
        self.operation_states[self.step_at(t)][id.index()][op]
    }
}

/// A fault in force, with the end of its `for` window.
#[derive(Debug, Clone)]
struct Active {
    fault: Fault,
    until: Option<f64>,
}

/// Replicas coming back after a crash.
#[derive(Debug, Clone)]
struct Restart {
    service: ServiceId,
    replicas: u32,
    /// When every startup dependency was last seen up (the clock starts then).
    deps_up_since: Option<f64>,
}

/// Replicas added by `scale` or autoscaling: like a restart, they start
/// once every startup dependency is up and are ready `start_time` later.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    service: ServiceId,
    add: u32,
    /// When every startup dependency was last seen up (the clock starts then).
    deps_up_since: Option<f64>,
}

/// Keeps the moment a replica's startup dependencies were last seen all up:
/// set at the first step they are, cleared whenever one is down.
fn watch(deps_up_since: &mut Option<f64>, up: bool, t: f64) {
    if up {
        deps_up_since.get_or_insert(t);
    } else {
        *deps_up_since = None;
    }
}

/// The step at which an event at `at_s` takes effect.
pub fn step_index(at_s: f64, step: f64) -> usize {
    (at_s / step - SAME_MOMENT_S).ceil().max(0.0) as usize
}

/// Applies a policy change to every call from `from` to `to`.
fn apply_set(model: &mut Model, from: ServiceId, to: ServiceId, change: &PolicyChange) {
    let services = model.services_mut();
    for op in &mut services[from.index()].operations {
        for dep in op.depends_on.iter_mut().filter(|d| d.target.service == to) {
            if let Some(r) = change.retries {
                dep.retries = r;
            }
            if let Some(b) = change.retry_budget {
                dep.retry_budget = b;
            }
            if let Some(t) = change.timeout_s {
                dep.timeout_s = t;
            }
            if let Some(c) = change.criticality {
                dep.criticality = c;
            }
            if let Some(b) = change.circuit_breaker {
                dep.circuit_breaker = b;
            }
        }
    }
}

/// What happened to each service at one step, in words: a fault on it
/// that ended, replicas back from a restart or a `scale`, a `flush`, a
/// `set` on its calls. A recovery's `because` names these, so a timeline
/// says why things came back, not only why they broke.
struct Happened {
    /// Per service.
    on: Vec<Vec<String>>,
    /// Things that touch every service (a surge that ended).
    everywhere: Vec<String>,
    /// Caches whose `--cold` warm-up ended, with the fault's flag: what
    /// the services their coldness held down name when they recover.
    warmed: Vec<(ServiceId, String)>,
}

impl Happened {
    fn new(n: usize) -> Happened {
        Happened {
            on: vec![Vec::new(); n],
            everywhere: Vec::new(),
            warmed: Vec::new(),
        }
    }

    fn on(&mut self, service: ServiceId, what: String) {
        self.on[service.index()].push(what);
    }

    /// Faults whose window closed or that were recovered. A crash is
    /// noted when its replicas are back (see [`restarted`]), not here.
    fn faults_ended(&mut self, model: &Model, ended: &[Fault]) {
        for f in ended {
            let what = format!("{} ended", f.as_flag());
            match f {
                Fault::Down { .. } => {}
                Fault::Hang { scope, .. }
                | Fault::Slow { scope, .. }
                | Fault::Errors { scope, .. } => match scope {
                    Scope::Service(s) | Scope::Replicas(s, _) => self.on(*s, what),
                    Scope::Zone(_) => {
                        for (s, hit) in scope.replicas_hit(model) {
                            if !hit.is_empty() {
                                self.on(s, what.clone());
                            }
                        }
                    }
                },
                Fault::Cut { from, .. } => self.on(*from, what),
                Fault::Surge { entry: Some(s), .. } | Fault::Cold { cache: s, .. } => {
                    self.on(*s, what)
                }
                Fault::Surge { entry: None, .. } => self.everywhere.push(what),
            }
        }
    }

    /// The `because` of a change from `before` to `now`: the engine's own
    /// reason, and for a recovery what brought it back first: what happened
    /// to it, else the root of the chain that held it down, else what
    /// happened everywhere, else how its load fell. `previous` is the
    /// step before's outcome, `outcome` this step's, `unwell` whether each
    /// service has been unhealthy at an earlier step.
    fn because(
        &self,
        model: &Model,
        me: ServiceId,
        before: &Figures,
        now: &Figures,
        (previous, outcome, unwell): (&Outcome, &Outcome, &[bool]),
    ) -> String {
        if now.state != State::Healthy || before.state == State::Healthy {
            return now.because.clone();
        }
        let mut why = self.on[me.index()].clone();
        why.extend(self.link_brought_back(model, me, before, (previous, outcome, unwell)));
        if why.is_empty() {
            why.extend(self.everywhere.iter().cloned());
        }
        if why.is_empty() && now.load_rps < 0.9 * before.load_rps {
            why.push(format!(
                "its load fell from {} to {} rps",
                rate(before.load_rps),
                rate(now.load_rps)
            ));
        }
        if why.is_empty() && now.latency_s < 0.8 * before.latency_s {
            why.push(if before.latency_s.is_finite() {
                format!(
                    "it answers in {} again (was {})",
                    latency(now.latency_s),
                    latency(before.latency_s)
                )
            } else {
                format!("it answers again, in {}", latency(now.latency_s))
            });
        }
        if why.is_empty() {
            why.extend(load_fell_near_capacity(me, previous, outcome));
        }
        let mut because = if why.is_empty() {
            "recovered".to_string()
        } else {
            format!("recovered: {}", why.join("; "))
        };
        if !now.because.is_empty() {
            because = format!("{because}; {}", now.because);
        }
        because
    }

    /// The link of the chain that held `me` down that brought it back: the
    /// root if it is healthy again (a cold cache, healthy all along, is
    /// not) or warm again; else the nearest link whose state changed in
    /// this step (one that is as it was brought nothing back: "api-us is
    /// down now" of a service down all along).
    fn link_brought_back(
        &self,
        model: &Model,
        me: ServiceId,
        before: &Figures,
        (previous, outcome, unwell): (&Outcome, &Outcome, &[bool]),
    ) -> Option<String> {
        let upstream: Vec<ServiceId> = before.chain.iter().copied().filter(|&s| s != me).collect();
        let state = |o: &Outcome, s: ServiceId| o.services[s.index()].state;
        let warmed = |s: ServiceId| self.warmed.iter().find(|(c, _)| *c == s);
        let s = upstream
            .iter()
            .copied()
            .find(|&s| {
                warmed(s).is_some() || (unwell[s.index()] && state(outcome, s) == State::Healthy)
            })
            .or(upstream
                .iter()
                .rev()
                .copied()
                .find(|&s| state(previous, s) != state(outcome, s)))?;
        let name = &model.service(s).name;
        Some(match (warmed(s), state(outcome, s)) {
            (Some((_, flag)), _) => format!("{name} is warm again after {flag}"),
            (None, State::Healthy) => format!("{name} is healthy again"),
            (None, now) => format!("{name} is {} now", now.as_str()),
        })
    }
}

/// Near capacity the wait falls steeply with the load: a small fall can
/// bring a service back, and this says so.
fn load_fell_near_capacity(me: ServiceId, previous: &Outcome, outcome: &Outcome) -> Option<String> {
    let (was, is) = (
        previous.admission.get(me.index())?,
        outcome.admission.get(me.index())?,
    );
    (is.load < was.load && is.throughput.is_finite() && is.rho < was.rho).then(|| {
        format!(
            "its load fell to {} rps against a capacity of {}",
            rate(is.load),
            rate(is.throughput)
        )
    })
}

/// `replicas back after a 3m start`, for replicas whose restart is over.
fn restarted(model: &Model, r: &Restart) -> String {
    let start = model.service(r.service).start_time_s;
    let who = if r.replicas >= model.service(r.service).replicas {
        "its replicas are".to_string()
    } else if r.replicas == 1 {
        "1 replica is".to_string()
    } else {
        format!("{} replicas are", r.replicas)
    };
    if start > 0.0 {
        format!("{who} back after a {} start", crate::text::duration(start))
    } else {
        format!("{who} back")
    }
}

/// Two times closer than this are the same moment. Step times are products
/// of floats (`k × step`), so a window that ends at 60 s must close at a
/// step computed as 59.999…
const SAME_MOMENT_S: f64 = 1e-9;

/// A buffer filled to within this of its size is full (its level is a sum
/// of floats, one per step).
const FULL_BUFFER_SLACK: f64 = 1e-9;

/// An edge whose attempts fail less often than this delivers: the solver's
/// residue is far below it, a real failure far above.
const FAILING_ATTEMPTS: f64 = 1e-6;

/// Steps the steady state through time (see the module docs).
pub fn simulate(model: &Model, events: &[Event], options: Options) -> Timeline {
    simulate_with_progress(model, events, options, &|_, _| {})
}

/// [`simulate`], calling `progress(done, total)` after each step. Each step
/// is a steady-state solve, so a long timeline of a large model takes
/// seconds.
pub fn simulate_with_progress(
    model: &Model,
    events: &[Event],
    options: Options,
    progress: &dyn Fn(u64, u64),
) -> Timeline {
    let step = if options.step_s > 0.0 {
        options.step_s
    } else {
        1.0
    };
    let times = step_times(options.duration_s, step);
    let last = times.len() - 1;
    let (sets, versions) = model_versions(model, events, step, last);
    let engines: Vec<Engine> = versions.iter().map(Engine::new).collect();
    let mut run = Run::new(model, events, step, times, sets, &engines);
    for k in 0..=last {
        run.step(k);
        progress(k as u64 + 1, last as u64 + 1);
    }
    run.finish()
}

/// The steps' times: every whole `step` from 0 up to `duration_s`, and
/// `duration_s` itself when the step does not divide it (a shorter last
/// step), so that a timeline always ends at its duration and an event or
/// expectation at any time up to it has a step.
pub fn step_times(duration_s: f64, step: f64) -> Vec<f64> {
    let (whole, partial) = whole_steps(duration_s, step);
    let mut times: Vec<f64> = (0..=whole as usize).map(|k| k as f64 * step).collect();
    if partial {
        times.push(duration_s);
    }
    times
}

/// How many steps [`step_times`] makes, counted without making them (the
/// CLI's guard refuses a billion before allocating them).
pub fn step_count(duration_s: f64, step: f64) -> f64 {
    let (whole, partial) = whole_steps(duration_s, step);
    whole + 1.0 + f64::from(u8::from(partial))
}

/// The whole steps after t = 0 in `duration_s`, and whether a shorter one
/// is left over.
fn whole_steps(duration_s: f64, step: f64) -> (f64, bool) {
    let whole = (duration_s / step + SAME_MOMENT_S).floor();
    (whole, duration_s > whole * step + SAME_MOMENT_S * step)
}

/// How long the step at `times[k]` lasts, until the next: `step` itself
/// for a whole one (not a difference of two times, which can be an ulp
/// off) and for the last, the rest for a shorter last step.
pub fn step_length(times: &[f64], k: usize, step: f64) -> f64 {
    match times.get(k + 1) {
        Some(&next) if next != (k + 1) as f64 * step => next - times[k],
        _ => step,
    }
}

/// Policy changes are known in advance: each version of the model is built
/// once, in the order the `set` actions take effect (step, then file
/// order). Returns the `(step, event)` of each `set` and the versions, the
/// original first.
fn model_versions(
    model: &Model,
    events: &[Event],
    step: f64,
    last: usize,
) -> (Vec<(usize, usize)>, Vec<Model>) {
    let mut sets: Vec<(usize, usize)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.action, Action::Set { .. }))
        .map(|(i, e)| (step_index(e.at_s, step).min(last), i))
        .collect();
    sets.sort();
    let mut versions: Vec<Model> = vec![model.clone()];
    for &(_, i) in &sets {
        if let Action::Set { from, to, change } = &events[i].action {
            let mut next = versions.last().cloned().unwrap_or_else(|| model.clone());
            apply_set(&mut next, *from, *to, change);
            versions.push(next);
        }
    }
    (sets, versions)
}

/// Per service, the longest `warm_up` of the caches it serves as.
fn warm_up_times(n: usize, deps: &[&Dependency]) -> Vec<f64> {
    let mut warm_up = vec![0.0f64; n];
    for d in deps {
        if let Some(c) = &d.cache {
            let w = &mut warm_up[d.target.service.index()];
            *w = w.max(c.warm_up_s);
        }
    }
    warm_up
}

/// The queues before t = 0: the system is in its fault-free steady state,
/// queues included, so a queue that is full without any fault starts full,
/// and an unbounded one past capacity without any fault starts as the
/// steady state leaves it: grown without end, its wait unbounded. (Started
/// empty, it read as a recovery at 0 s, then failed again as it filled.)
/// Such a backlog never drains by itself, even once capacity is added:
/// `flush` empties it. A queue below capacity carries no backlog (see
/// `Admission::compute`, the steady reading).
fn steady_backlog(before: &Outcome) -> Vec<f64> {
    before.admission.iter().map(|a| a.backlog).collect()
}

impl Timeline {
    /// An empty timeline of `steps + 1` samples, starting from `before`.
    fn starting(before: &Outcome, n: usize, steps: usize) -> Timeline {
        Timeline {
            times: Vec::with_capacity(steps + 1),
            before: before.clone(),
            changes: Vec::new(),
            series: vec![Vec::with_capacity(steps + 1); n],
            service_states: Vec::with_capacity(steps + 1),
            operation_states: Vec::with_capacity(steps + 1),
            last: before.clone(),
            frames: Vec::new(),
            converged: true,
            iterations: 0,
        }
    }
}

/// The startup dependencies of each service, sorted, each once.
fn startup_dependencies(model: &Model) -> Vec<Vec<ServiceId>> {
    model
        .services()
        .iter()
        .map(|s| {
            let mut v: Vec<ServiceId> = s
                .operations
                .iter()
                .flat_map(|o| {
                    o.depends_on
                        .iter()
                        .filter(|d| d.phase == Phase::Startup)
                        .map(|d| d.target.service)
                })
                .collect();
            v.sort();
            v.dedup();
            v
        })
        .collect()
}

/// A timeline being stepped: what it knows in advance and what it carries
/// from step to step. [`Run::step`] goes through the phases in order.
struct Run<'a> {
    model: &'a Model,
    events: &'a [Event],
    step: f64,
    /// Each step's time ([`step_times`]): whole steps, and a shorter last
    /// one when the step does not divide the duration.
    times: Vec<f64>,
    /// The step being evaluated's length: `step`, or the shorter last one.
    dt: f64,
    /// The time to the next step (what an async buffer fills over before
    /// it is next read): `step`, or the shorter last one.
    next_dt: f64,
    /// One engine per version of the model (see [`model_versions`]).
    engines: &'a [Engine<'a>],
    /// The `(step, event)` of each `set`, in the order they apply.
    sets: Vec<(usize, usize)>,
    /// The version in force.
    version: usize,
    /// The previous step's solution, to start the next one from.
    warm: Warm,
    /// Each dependency by its engine edge index.
    deps: Vec<&'a Dependency>,
    /// The longest `warm_up` of a cache answering from each service.
    warm_up: Vec<f64>,
    startup_deps: Vec<Vec<ServiceId>>,
    /// Events in the order they apply: by step, then file order. A cursor
    /// walks them, so a step costs nothing for events not yet due.
    due: Vec<usize>,
    next_due: usize,

    // Carried from step to step.
    active: Vec<Active>,
    restarts: Vec<Restart>,
    arrivals: Vec<Arrival>,
    situation: Situation,
    cold_since: Vec<Option<f64>>,
    /// Caches emptied by a crash (they warm again from when they are back).
    emptied: Vec<bool>,
    /// Per edge: since when a stale-serving dependency has been failing.
    failing_since: Vec<Option<f64>>,
    /// Per edge: what an async buffer holds.
    buffer_level: Vec<f64>,
    /// Per edge: until when a breaker is held open.
    open_until: Vec<Option<f64>>,
    backlog: Vec<f64>,
    /// Per service: since when autoscaling has seen it hot.
    above_since: Vec<Option<f64>>,
    previous_states: Vec<State>,
    previous_ops: Vec<Vec<State>>,
    /// Per service: whether it has been unhealthy at some step (or before
    /// t = 0), so that a recovery names it as healthy *again*.
    unwell: Vec<bool>,
    last: Outcome,
    timeline: Timeline,
}

impl<'a> Run<'a> {
    fn new(
        model: &'a Model,
        events: &'a [Event],
        step: f64,
        times: Vec<f64>,
        sets: Vec<(usize, usize)>,
        engines: &'a [Engine<'a>],
    ) -> Run<'a> {
        let n = model.services().len();
        let engine = &engines[0];
        let (before, warm) = engine.evaluate_from(
            &[],
            &Situation::at_fault_start(model, &[]),
            engine.baseline(),
            None,
        );
        // Per-edge facts that do not change with policies.
        let edges = engine.edges().len();
        let deps: Vec<&Dependency> = engine
            .edges()
            .iter()
            .map(|r| &model.service(r.service).operations[r.op].depends_on[r.dep])
            .collect();
        let warm_up = warm_up_times(n, &deps);
        let mut due: Vec<usize> = (0..events.len()).collect();
        let last = times.len() - 1;
        due.sort_by_key(|&i| (step_index(events[i].at_s, step).min(last), i));
        let mut situation = Situation::at_fault_start(model, &[]);
        situation.step_s = step;
        let timeline = Timeline::starting(&before, n, last);
        Run {
            model,
            events,
            step,
            times,
            dt: step,
            next_dt: step,
            engines,
            sets,
            version: 0,
            warm,
            deps,
            warm_up,
            startup_deps: startup_dependencies(model),
            due,
            next_due: 0,
            active: Vec::new(),
            restarts: Vec::new(),
            arrivals: Vec::new(),
            situation,
            cold_since: vec![None; n],
            emptied: vec![false; n],
            failing_since: vec![None; edges],
            buffer_level: vec![0.0; edges],
            open_until: vec![None; edges],
            backlog: steady_backlog(&before),
            above_since: vec![None; n],
            previous_states: before.services.iter().map(|f| f.state).collect(),
            unwell: before
                .services
                .iter()
                .map(|f| f.state != State::Healthy)
                .collect(),
            previous_ops: before
                .operations
                .iter()
                .map(|o| o.iter().map(|f| f.state).collect())
                .collect(),
            last: before,
            timeline,
        }
    }

    /// Step `k`, at `k × step` (the last at the duration), through its
    /// six phases.
    fn step(&mut self, k: usize) {
        let t = self.times[k];
        self.dt = match k {
            0 => self.step,
            _ => step_length(&self.times, k - 1, self.step),
        };
        self.situation.step_s = self.dt;
        self.next_dt = step_length(&self.times, k, self.step);
        let mut happened = Happened::new(self.model.services().len());
        // 1. Windows that end now close (before this step's events).
        let mut ended = self.close_windows(t);
        // 2. Events with `at ≤ t`, in file order.
        self.apply_events(k, t, &mut happened, &mut ended);
        happened.faults_ended(self.model, &ended);
        self.restart_crashed(&ended);
        // 3. Stateful parts, from the previous step.
        self.advance(t, &mut happened);
        // 4. Evaluate the step.
        let outcome = self.evaluate();
        // 5. Carry the stateful parts forward.
        self.carry_edges(t, &outcome);
        self.carry_services(t, &outcome);
        self.carry_startups(t, &outcome);
        // 6. Record.
        self.record(t, &happened, outcome);
    }

    /// The timeline, once every step is recorded.
    fn finish(mut self) -> Timeline {
        self.timeline.last = self.last;
        self.timeline
    }

    /// Phase 1: the faults whose `for` window has ended by `t`.
    fn close_windows(&mut self, t: f64) -> Vec<Fault> {
        let mut ended: Vec<Fault> = Vec::new();
        self.active.retain(|a| {
            let keep = a.until.is_none_or(|u| t < u - SAME_MOMENT_S);
            if !keep {
                ended.push(a.fault.clone());
            }
            keep
        });
        ended
    }

    /// Phase 2: the events due at step `k`, in file order; faults that a
    /// recovery ends join `ended`.
    fn apply_events(&mut self, k: usize, t: f64, happened: &mut Happened, ended: &mut Vec<Fault>) {
        let (model, events, step) = (self.model, self.events, self.step);
        let last = self.times.len() - 1;
        while let Some(&i) = self.due.get(self.next_due)
            && step_index(events[i].at_s, step).min(last) <= k
        {
            self.next_due += 1;
            let e = &events[i];
            match &e.action {
                // A window that ended between two steps (it lies wholly
                // between them) is over by this one: [at, at + for).
                Action::Fault(_) if e.for_s.is_some_and(|d| t >= e.at_s + d - SAME_MOMENT_S) => {}
                Action::Fault(f) => {
                    if let Fault::Cold { cache, .. } = f {
                        self.cold_since[cache.index()] = Some(t);
                    }
                    self.active.push(Active {
                        fault: f.clone(),
                        until: e.for_s.map(|d| e.at_s + d),
                    });
                }
                Action::Recover(r) => self.recover(r, ended),
                Action::Scale { service, add } => {
                    let deps_up_since = self.deps_up(*service, &self.previous_states).then_some(t);
                    self.arrivals.push(Arrival {
                        service: *service,
                        add: *add,
                        deps_up_since,
                    });
                }
                Action::Flush { service } => {
                    self.backlog[service.index()] = 0.0;
                    happened.on(*service, "its backlog was flushed".into());
                }
                Action::Set { from, .. } => {
                    happened.on(*from, e.action.describe(model));
                    self.version = self
                        .sets
                        .iter()
                        .position(|&(_, j)| j == i)
                        .map_or(self.version, |p| p + 1);
                }
            }
        }
    }

    /// Ends the faults a recovery names.
    fn recover(&mut self, r: &Recovery, ended: &mut Vec<Fault>) {
        self.active.retain(|a| {
            // Recovery ends the faults on replicas; cuts, surges and cold
            // caches have no scope and run their course.
            let ends = match (r, a.fault.scope()) {
                (Recovery::Service(s), Some(Scope::Service(x) | Scope::Replicas(x, _))) => *s == x,
                (Recovery::Zone(z), Some(Scope::Zone(x))) => *z == x,
                _ => false,
            };
            if ends {
                ended.push(a.fault.clone());
            }
            !ends
        });
    }

    /// Crashed replicas whose fault ended start coming back.
    fn restart_crashed(&mut self, ended: &[Fault]) {
        for f in ended {
            let Fault::Down { scope, .. } = f else {
                continue;
            };
            for (service, replicas) in scope.replicas_hit(self.model) {
                if !replicas.is_empty() {
                    self.restarts.push(Restart {
                        service,
                        replicas: replicas.len() as u32,
                        deps_up_since: None,
                    });
                }
            }
        }
    }

    /// Phase 3: brings the stateful parts up to `t` from the previous step.
    fn advance(&mut self, t: f64, happened: &mut Happened) {
        self.advance_restarts(t, happened);
        self.advance_autoscaling(t);
        self.advance_arrivals(t, happened);
        self.advance_caches(t, happened);
        self.advance_edges(t);
        // Queues carry their backlog from step to step.
        for (slot, b) in self.situation.backlog.iter_mut().zip(&self.backlog) {
            *slot = Some(*b);
        }
    }

    /// Restarting replicas wait for their startup dependencies, then for
    /// their `start_time`.
    fn advance_restarts(&mut self, t: f64, happened: &mut Happened) {
        let model = self.model;
        for i in 0..self.restarts.len() {
            let up = self.deps_up(self.restarts[i].service, &self.previous_states);
            watch(&mut self.restarts[i].deps_up_since, up, t);
        }
        self.restarts.retain(|r| {
            let start = model.service(r.service).start_time_s;
            let restarting = r
                .deps_up_since
                .is_none_or(|since| t + SAME_MOMENT_S < since + start);
            if !restarting {
                happened.on(r.service, restarted(model, r));
            }
            restarting
        });
    }

    /// Whether every startup dependency of `service` is up in `states`.
    fn deps_up(&self, service: ServiceId, states: &[State]) -> bool {
        self.startup_deps[service.index()]
            .iter()
            .all(|d| states[d.index()] != State::Down)
    }

    /// Added replicas that are ready join their service: their startup
    /// dependencies up, then `start_time` (as a restart waits).
    fn advance_arrivals(&mut self, t: f64, happened: &mut Happened) {
        for i in 0..self.arrivals.len() {
            let up = self.deps_up(self.arrivals[i].service, &self.previous_states);
            watch(&mut self.arrivals[i].deps_up_since, up, t);
        }
        let model = self.model;
        let situation = &mut self.situation;
        self.arrivals.retain(|a| {
            let start = model.service(a.service).start_time_s;
            if a.deps_up_since
                .is_some_and(|since| t + SAME_MOMENT_S >= since + start)
            {
                situation.extra_replicas[a.service.index()] += a.add;
                let more = if a.add == 1 { "replica" } else { "replicas" };
                happened.on(a.service, format!("{} more {more} up", a.add));
                false
            } else {
                true
            }
        });
    }

    /// Caches warm linearly over `warm_up` from when they went cold or came
    /// back from a crash; a cold fault is over once its cache is warm.
    fn advance_caches(&mut self, t: f64, happened: &mut Happened) {
        for id in self.model.service_ids() {
            let i = id.index();
            let (warm_up, cold_since, situation) = (
                self.warm_up[i],
                &mut self.cold_since[i],
                &mut self.situation,
            );
            if warm_up <= 0.0 && cold_since.is_none() && !self.emptied[i] {
                situation.warmth[i] = 1.0;
                continue;
            }
            let crashed = self.last.admission.get(i).is_some_and(|a| a.refused);
            if crashed {
                self.emptied[i] = true;
                *cold_since = None;
                situation.warmth[i] = 0.0;
            } else {
                if self.emptied[i] {
                    // Up again at the previous step (the one `last` is):
                    // it has been warming since then.
                    self.emptied[i] = false;
                    *cold_since = Some(self.timeline.times.last().copied().unwrap_or(t));
                }
                situation.warmth[i] = match *cold_since {
                    Some(since) if warm_up > 0.0 => ((t - since) / warm_up).clamp(0.0, 1.0),
                    _ => 1.0,
                };
                if situation.warmth[i] >= 1.0 {
                    *cold_since = None;
                }
            }
        }
        let (warmth, cold_since) = (&self.situation.warmth, &self.cold_since);
        self.active.retain(|a| {
            let over = matches!(a.fault, Fault::Cold { cache, .. } if warmth[cache.index()] >= 1.0 && cold_since[cache.index()].is_none());
            if let (true, Fault::Cold { cache, .. }) = (over, &a.fault) {
                happened.on(*cache, format!("its cache is warm again after {}", a.fault.as_flag()));
                happened.warmed.push((*cache, a.fault.as_flag()));
            }
            !over
        });
    }

    /// Stale windows that ran out, full buffers, breakers held open.
    fn advance_edges(&mut self, t: f64) {
        let situation = &mut self.situation;
        situation.stale_expired.clear();
        situation.buffer_full.clear();
        situation.forced_open.clear();
        for (e, d) in self.deps.iter().enumerate() {
            if let (Some(Fallback::ServeStale { for_s }), Some(since)) =
                (&d.fallback, self.failing_since[e])
                && t + SAME_MOMENT_S >= since + for_s
            {
                situation.stale_expired.insert(e);
            }
            if let Some(b) = d.buffer
                && d.mode == Mode::Async
                && self.buffer_level[e] >= b - FULL_BUFFER_SLACK
            {
                situation.buffer_full.insert(e);
            }
            match self.open_until[e] {
                Some(u) if t + SAME_MOMENT_S < u => {
                    situation.forced_open.insert(e);
                }
                Some(_) => self.open_until[e] = None,
                None => {}
            }
        }
    }

    /// Phase 4: the steady state of the faults in force and the replicas
    /// still restarting, from the previous step's solution.
    fn evaluate(&mut self) -> Outcome {
        let model = self.model;
        let mut faults: Vec<Fault> = self.active.iter().map(|a| a.fault.clone()).collect();
        let mut restarting: BTreeMap<u32, u32> = BTreeMap::new();
        for r in &self.restarts {
            *restarting.entry(r.service.0).or_insert(0) += r.replicas;
        }
        for (&s, &count) in &restarting {
            let id = ServiceId(s);
            let total = model.service(id).replicas;
            let scope = if count >= total {
                Scope::Service(id)
            } else {
                Scope::Replicas(id, count)
            };
            let name = &model.service(id).name;
            faults.push(Fault::Down {
                scope,
                typed: Typed {
                    argument: format!("{name} (restarting)"),
                    target: Some(name.clone()),
                },
            });
        }
        let engine = &self.engines[self.version];
        let (outcome, next_warm) = engine.evaluate_from(
            &faults,
            &self.situation,
            engine.baseline(),
            Some(&self.warm),
        );
        self.warm = next_warm;
        self.timeline.converged &= outcome.converged;
        self.timeline.iterations = self.timeline.iterations.max(outcome.iterations);
        outcome
    }

    /// Phase 5, per edge: when a stale-serving dependency started failing,
    /// how full each async buffer is, which breakers opened.
    fn carry_edges(&mut self, t: f64, outcome: &Outcome) {
        for (e, d) in self.deps.iter().enumerate() {
            let report = outcome.edges[e];
            if matches!(d.fallback, Some(Fallback::ServeStale { .. })) {
                if report.failing {
                    self.failing_since[e].get_or_insert(t);
                } else {
                    self.failing_since[e] = None;
                }
            }
            if d.mode == Mode::Async && d.phase == Phase::Request {
                let undelivered = report.call_rate * report.attempt_failure;
                let target = outcome.admission[d.target.service.index()];
                let drain =
                    if report.attempt_failure < FAILING_ATTEMPTS && self.buffer_level[e] > 0.0 {
                        if target.throughput.is_finite() {
                            (target.throughput - target.load).max(0.0)
                        } else {
                            f64::INFINITY
                        }
                    } else {
                        0.0
                    };
                let level = self.buffer_level[e] + (undelivered - drain) * self.next_dt;
                self.buffer_level[e] = level.clamp(0.0, d.buffer.unwrap_or(f64::INFINITY));
            }
            if let Some(b) = d.circuit_breaker
                && report.breaker_open
                && self.open_until[e].is_none()
            {
                self.open_until[e] = Some(t + b.open_for_s);
            }
        }
    }

    /// Phase 5, for replicas waiting to start: a startup dependency that
    /// is up at this step (it recovered now) starts their clock now, not
    /// one step later when the next step looks back at this one.
    fn carry_startups(&mut self, t: f64, outcome: &Outcome) {
        if self.restarts.is_empty() && self.arrivals.is_empty() {
            return;
        }
        let states: Vec<State> = outcome.services.iter().map(|f| f.state).collect();
        for i in 0..self.restarts.len() {
            if self.restarts[i].deps_up_since.is_none()
                && self.deps_up(self.restarts[i].service, &states)
            {
                self.restarts[i].deps_up_since = Some(t);
            }
        }
        for i in 0..self.arrivals.len() {
            if self.arrivals[i].deps_up_since.is_none()
                && self.deps_up(self.arrivals[i].service, &states)
            {
                self.arrivals[i].deps_up_since = Some(t);
            }
        }
    }

    /// Phase 5, per service: queue backlogs, and autoscaling, which adds a
    /// replica once a service has been hot for its `delay`.
    fn carry_services(&mut self, t: f64, outcome: &Outcome) {
        let model = self.model;
        for id in model.service_ids() {
            let i = id.index();
            let a = outcome.admission[i];
            self.backlog[i] = a.backlog;
            let Some(auto) = model.service(id).autoscale else {
                continue;
            };
            let hot = a.overloaded || a.rho > auto.above;
            if hot {
                self.above_since[i].get_or_insert(t);
            } else {
                self.above_since[i] = None;
            }
        }
    }

    /// Autoscaling: a service hot since `since` (and at the last step) for
    /// `delay` gets one more replica now, which joins as a `scale` does
    /// (its startup dependencies up, then `start_time`); the next one
    /// needs another `delay` of heat.
    fn advance_autoscaling(&mut self, t: f64) {
        let model = self.model;
        for id in model.service_ids() {
            let i = id.index();
            let (Some(auto), Some(since)) = (model.service(id).autoscale, self.above_since[i])
            else {
                continue;
            };
            let pending: u32 = self
                .arrivals
                .iter()
                .filter(|x| x.service == id)
                .map(|x| x.add)
                .sum();
            let now = model.service(id).replicas + self.situation.extra_replicas[i] + pending;
            if t - since + SAME_MOMENT_S >= auto.delay_s && now < auto.max_replicas {
                self.arrivals.push(Arrival {
                    service: id,
                    add: 1,
                    deps_up_since: self.deps_up(id, &self.previous_states).then_some(t),
                });
                self.above_since[i] = Some(t);
            }
        }
    }

    /// Phase 6: the step's samples, its state changes with their
    /// `because`, and a frame when some state changed.
    fn record(&mut self, t: f64, happened: &Happened, outcome: Outcome) {
        let model = self.model;
        let timeline = &mut self.timeline;
        timeline.times.push(t);
        let states: Vec<State> = outcome.services.iter().map(|f| f.state).collect();
        let op_states: Vec<Vec<State>> = outcome
            .operations
            .iter()
            .map(|o| o.iter().map(|f| f.state).collect())
            .collect();
        for id in model.service_ids() {
            let i = id.index();
            let f = &outcome.services[i];
            timeline.series[i].push(Sample {
                t_s: t,
                success: f.success,
                latency_s: f.latency_s,
                load_rps: f.load_rps,
            });
            if states[i] != self.previous_states[i] {
                timeline.changes.push(Change {
                    t_s: t,
                    name: model.service(id).name.clone(),
                    service: id,
                    operation: None,
                    from: self.previous_states[i],
                    to: states[i],
                    because: happened.because(
                        model,
                        id,
                        &self.last.services[i],
                        f,
                        (&self.last, &outcome, &self.unwell),
                    ),
                });
            }
            let svc = model.service(id);
            if !svc.declares_operations {
                continue;
            }
            for (oi, s) in op_states[i].iter().enumerate() {
                if *s != self.previous_ops[i][oi] {
                    timeline.changes.push(Change {
                        t_s: t,
                        name: svc.operation_name(oi),
                        service: id,
                        operation: Some(oi),
                        from: self.previous_ops[i][oi],
                        to: *s,
                        because: happened.because(
                            model,
                            id,
                            &self.last.operations[i][oi],
                            &outcome.operations[i][oi],
                            (&self.last, &outcome, &self.unwell),
                        ),
                    });
                }
            }
        }
        if states != self.previous_states || op_states != self.previous_ops {
            timeline.frames.push((t, outcome.clone()));
        }
        for (unwell, state) in self.unwell.iter_mut().zip(&states) {
            *unwell |= *state != State::Healthy;
        }
        timeline.service_states.push(states.clone());
        timeline.operation_states.push(op_states.clone());
        self.previous_states = states;
        self.previous_ops = op_states;
        self.last = outcome;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;
    use crate::sim::faults::{FaultKind, parse};

    fn model(text: &str) -> Model {
        load_str(text, "t.yaml").expect("valid").model
    }

    fn fault(m: &Model, kind: FaultKind, arg: &str, at_s: f64, for_s: Option<f64>) -> Event {
        Event {
            at_s,
            for_s,
            action: Action::Fault(parse(kind, arg, m).expect("fault")),
        }
    }

    /// Simulates `events` for `duration_s` in steps of `step_s`.
    fn run(m: &Model, events: &[Event], duration_s: f64, step_s: f64) -> Timeline {
        simulate(m, events, Options { duration_s, step_s })
    }

    fn state(m: &Model, tl: &Timeline, name: &str, t: f64) -> State {
        tl.service_state(m.find(name).expect("service"), t)
    }

    const STORM: &str = "services:
  web:
    entry: { rps: 800 }
    depends_on: [{ to: api, timeout: 500ms, retries: 3 }]
  api: { replicas: 2, capacity: 500, queue: 2000, latency: 20ms }
";

    #[test]
    fn progress_counts_every_step() {
        let m = model(STORM);
        let calls = std::cell::RefCell::new(Vec::new());
        let options = Options {
            duration_s: 10.0,
            step_s: 2.5,
        };
        let tl = simulate_with_progress(&m, &[], options, &|d, t| calls.borrow_mut().push((d, t)));
        assert_eq!(calls.into_inner(), [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]);
        assert_eq!(tl.times.len(), 5);
    }

    /// A step that does not divide the duration leaves a shorter last step:
    /// the timeline ends at its duration, and an event after the last
    /// whole step applies there (it was dropped, the timeline ending at
    /// 56 s of a minute in steps of 7 s).
    #[test]
    fn a_step_that_does_not_divide_the_duration_ends_at_the_duration() {
        assert_eq!(step_times(90.0, 60.0), [0.0, 60.0, 90.0]);
        assert_eq!(step_times(60.0, 120.0), [0.0, 60.0]);
        assert_eq!(step_times(1.5, 1.0), [0.0, 1.0, 1.5]);
        assert_eq!(step_times(3.0, 1.0), [0.0, 1.0, 2.0, 3.0]);
        let m = model(STORM);
        let events = [fault(&m, FaultKind::Down, "api", 57.0, None)];
        let tl = run(&m, &events, 60.0, 7.0);
        assert_eq!(tl.times.last(), Some(&60.0));
        assert_eq!(state(&m, &tl, "web", 56.0), State::Healthy);
        assert_eq!(state(&m, &tl, "web", 60.0), State::Down);
        // A queue grows over the shorter step by its length: 20 rps too
        // many queue 140 a 7 s step, 60 over the last 3 s; each queued
        // request adds 10 ms to the wait (a whole step would add 140).
        let m = model(
            "services:
  web: { entry: { rps: 80 }, depends_on: [db] }
  db: { capacity: 100, latency: 10ms }
",
        );
        let surge = [fault(&m, FaultKind::Surge, "x1.5", 0.0, None)];
        let tl = run(&m, &surge, 10.0, 7.0);
        assert_eq!(tl.times, [0.0, 7.0, 10.0]);
        let db = m.find("db").expect("db").index();
        let waits: Vec<f64> = tl.series[db].iter().map(|x| x.latency_s).collect();
        for (got, want) in waits.iter().zip([1.41, 2.81, 3.41]) {
            assert!((got - want).abs() < 1e-6, "{waits:?}");
        }
    }

    /// A `for` window is [at, at + for): one that lies wholly between two
    /// steps is over by the next (it was applied there, and never ended).
    /// An async buffer fills over the time to the next step, the shorter
    /// last one included: 100 hand-offs a second into a buffer of 1,200
    /// is full at 12 s, so not yet at 10 s in steps of 7 s.
    #[test]
    fn windows_between_steps_and_buffers_over_a_short_last_step() {
        let m = model(STORM);
        let events = [fault(&m, FaultKind::Down, "api", 51.0, Some(2.0))];
        let tl = run(&m, &events, 60.0, 10.0);
        assert_eq!(
            state(&m, &tl, "web", 60.0),
            State::Healthy,
            "{:?}",
            tl.changes
        );
        let m = model(
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: q, mode: async, buffer: 1200 }] }\n  q: {}\n",
        );
        let events = [fault(&m, FaultKind::Down, "q", 0.0, None)];
        for step in [1.0, 5.0, 7.0, 9.0] {
            let tl = run(&m, &events, 10.0, step);
            assert_eq!(state(&m, &tl, "web", 10.0), State::Degraded, "step {step}");
        }
        let tl = run(&m, &events, 13.0, 7.0);
        assert_eq!(state(&m, &tl, "web", 13.0), State::Down);
    }

    /// The metastable pair. Normally api carries 800 of its 1,000 rps and
    /// answers in 20 ms + 20·0.8/0.2 = 100 ms. A one-minute surge ×1.5
    /// (1,200 rps) overloads it: its queues fill (2,000 per replica, a
    /// 4 s wait), every attempt outlives web's 500 ms timeout and is
    /// retried three times. After the surge, 800 rps × 4 attempts = 3,200
    /// still swamps 1,000 of capacity, so the wait stays at 4 s and every
    /// attempt keeps timing out: the retries alone hold it down.
    #[test]
    fn a_retry_storm_outlives_its_trigger() {
        let m = model(STORM);
        let events = [fault(&m, FaultKind::Surge, "x1.5", 60.0, Some(60.0))];
        let tl = run(&m, &events, 600.0, 1.0);
        assert_eq!(state(&m, &tl, "web", 30.0), State::Healthy);
        assert_eq!(state(&m, &tl, "web", 90.0), State::Down);
        assert_eq!(
            state(&m, &tl, "web", 600.0),
            State::Down,
            "still down long after the surge"
        );
        let load = tl.series[m.find("api").unwrap().index()]
            .last()
            .unwrap()
            .load_rps;
        assert!(
            (load - 3200.0).abs() < 1.0,
            "800 rps × 4 attempts, got {load}"
        );
    }

    /// Same architecture with a 10 % retry budget: after the surge, at most
    /// 800 × 1.1 = 880 attempts a second arrive, below capacity; the backlog
    /// (4,000 requests) drains at 1,000 − 880 = 120 a second, and once the
    /// wait it adds falls under the timeout, web recovers.
    /// Losing a replica that leaves the last one loaded exactly at its
    /// capacity: the steady state says its unbounded queue has no long run
    /// (down, the caller degraded); the timeline's queue must grow too —
    /// as a random walk with no drift, like the square root of time — not
    /// stay empty because arrivals minus throughput is 0.
    #[test]
    fn a_queue_exactly_at_capacity_still_fills() {
        let m = model(
            "services:
  web:
    entry: { rps: 900 }
    depends_on: [{ to: rec, criticality: soft, timeout: 200ms }]
  rec: { replicas: 2, capacity: 900, latency: 10ms }
",
        );
        let steady =
            crate::sim::steady::Engine::new(&m)
                .steady(&[parse(FaultKind::Down, "rec:1", &m).expect("fault")]);
        assert_eq!(
            steady.services[m.find("web").unwrap().index()].state,
            State::Degraded
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Down, "rec:1", 0.0, None)],
            300.0,
            1.0,
        );
        assert_eq!(state(&m, &tl, "rec", 300.0), State::Slow);
        assert_eq!(
            state(&m, &tl, "web", 300.0),
            State::Degraded,
            "{:?}",
            tl.changes
        );
        // σ√(2t/π) with σ² = 900 + 900 a second: 586 queued after 5 min,
        // 0.65 s of wait (against a 200 ms timeout).
        let rec = &tl.series[m.find("rec").unwrap().index()];
        let last = rec.last().expect("samples");
        assert!((last.latency_s - 0.661).abs() < 0.005, "{last:?}");
    }

    /// A surge at t = 0 grows the queue from empty, as one at 1 s does:
    /// 80 rps on a capacity of 100 before, 120 after, so 20 more queued
    /// each second and 200 ms more wait on the 10 ms of work. (The fault-free
    /// long-run queue, 3.2 requests, is in the wait before; carried in as
    /// a backlog it made the first step 242 ms at t = 0 only.)
    #[test]
    fn a_surge_at_t0_grows_the_queue_from_empty() {
        let m = model(
            "services:
  web: { entry: { rps: 80 }, depends_on: [{ to: db, timeout: 10s }] }
  db: { capacity: 100, latency: 10ms }
",
        );
        let db = m.find("db").unwrap().index();
        for at in [0.0, 1.0] {
            let tl = run(
                &m,
                &[fault(&m, FaultKind::Surge, "x1.5", at, Some(10.0))],
                at + 3.0,
                1.0,
            );
            let waits: Vec<f64> = tl.series[db]
                .iter()
                .filter(|x| x.t_s >= at)
                .map(|x| (x.latency_s * 1e4).round() / 10.0)
                .collect();
            assert_eq!(waits, [210.0, 410.0, 610.0, 810.0], "surge at {at}s");
            // The reason reads the queue as the step leaves it.
            let db_change = tl
                .changes
                .iter()
                .find(|c| c.name == "db")
                .expect("db slows");
            assert!(
                db_change
                    .because
                    .ends_with("20 requests queued and growing by 20 a second"),
                "{}",
                db_change.because
            );
        }
    }

    /// A service over capacity before any fault, with no queue bound, is
    /// down before t = 0 and stays so: nothing happens by itself (its
    /// queue starts as the steady state leaves it, not empty, which read
    /// as a recovery at 0 s and a new failure seconds later), and added
    /// capacity does not drain a queue that grew without end — `flush`
    /// does.
    #[test]
    fn a_queue_over_capacity_before_t0_starts_endless() {
        let m = model(
            "services:
  web: { entry: { rps: 1000 }, depends_on: [{ to: api, timeout: 1s }] }
  api: { capacity: 900, latency: 10ms }
",
        );
        let tl = run(&m, &[], 60.0, 1.0);
        assert!(tl.changes.is_empty(), "{:?}", tl.changes);
        assert_eq!(state(&m, &tl, "web", 60.0), State::Down);
        let api = m.find("api").unwrap();
        let events = [
            Event {
                at_s: 10.0,
                for_s: None,
                action: Action::Scale {
                    service: api,
                    add: 1,
                },
            },
            Event {
                at_s: 40.0,
                for_s: None,
                action: Action::Flush { service: api },
            },
        ];
        let tl = run(&m, &events, 60.0, 1.0);
        assert_eq!(state(&m, &tl, "api", 30.0), State::Down);
        assert_eq!(state(&m, &tl, "web", 60.0), State::Healthy);
    }

    /// A recovery names a link of the chain that held it down only if that
    /// link changed: multi-region's api-eu, back under capacity once
    /// autoscaling added a replica, was "recovered: global-lb is degraded
    /// now" (degraded all along).
    #[test]
    fn a_recovery_names_no_link_that_did_not_change() {
        let m = load_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/multi-region.yaml"
            ))
            .expect("example"),
            "multi-region.yaml",
        )
        .expect("valid")
        .model;
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Down, "api-us", 0.0, None)],
            600.0,
            1.0,
        );
        let recoveries: Vec<&Change> = tl
            .changes
            .iter()
            .filter(|c| c.to == State::Healthy)
            .collect();
        assert!(!recoveries.is_empty(), "{:?}", tl.changes);
        for c in recoveries {
            assert!(!c.because.contains(" now"), "{}", c.because);
        }
    }

    #[test]
    fn a_retry_budget_lets_it_recover() {
        let m = model(&STORM.replace("retries: 3 }", "retries: 3, retry_budget: 10% }"));
        let events = [fault(&m, FaultKind::Surge, "x1.5", 60.0, Some(60.0))];
        let tl = run(&m, &events, 600.0, 1.0);
        assert_ne!(state(&m, &tl, "web", 90.0), State::Healthy);
        assert_eq!(
            state(&m, &tl, "web", 600.0),
            State::Healthy,
            "{:?}",
            tl.changes
        );
    }

    /// A stale window runs out: degraded at once, down after 10 minutes.
    #[test]
    fn stale_window_runs_out() {
        let m = model(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, fallback: { serve_stale_for: 10m } }] }\n  db: {}\n",
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Down, "db", 0.0, None)],
            900.0,
            1.0,
        );
        assert_eq!(state(&m, &tl, "web", 599.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 600.0), State::Down);
    }

    /// A stale window restarts with each outage, and a timeout's tail is
    /// not one: behind a 100 ms timeout a 10 ms db misses 1 call in 22,000
    /// (e^−10) all the time. Before, that tail kept the window running
    /// from the start, so the caller was "degraded" with no fault, went
    /// "healthy" 10 minutes later, and a second outage took it down at
    /// once.
    #[test]
    fn a_stale_window_restarts_with_each_outage() {
        let m = model(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, timeout: 100ms, fallback: { serve_stale_for: 10m } }] }\n  db: { latency: 10ms }\n",
        );
        let tl = run(&m, &[], 900.0, 30.0);
        assert!(tl.changes.is_empty(), "{:?}", tl.changes);
        assert_eq!(state(&m, &tl, "web", 0.0), State::Healthy);
        let events = [
            fault(&m, FaultKind::Down, "db", 0.0, Some(540.0)),
            fault(&m, FaultKind::Down, "db", 1200.0, None),
        ];
        let tl = run(&m, &events, 1860.0, 1.0);
        assert_eq!(state(&m, &tl, "web", 539.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 600.0), State::Healthy);
        assert_eq!(state(&m, &tl, "web", 1799.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 1800.0), State::Down);
    }

    /// An async buffer fills: 10 hand-offs a second into 6,000 slots while
    /// the callee is down: full after 600 s, then the edge fails like a
    /// hard sync call.
    #[test]
    fn async_buffer_fills_then_fails_its_caller() {
        let m = model(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: q, mode: async, buffer: 6000 }] }\n  q: {}\n",
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Down, "q", 0.0, None)],
            700.0,
            1.0,
        );
        assert_eq!(state(&m, &tl, "web", 598.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 601.0), State::Down);
    }

    /// A recovered service comes back `start_time` after its fault ends —
    /// unless a startup dependency is down, which blocks the restart.
    #[test]
    fn restarts_wait_for_start_time_and_startup_dependencies() {
        let text = "services:\n  web: { entry: { rps: 1 }, start_time: 30s, depends_on: [{ to: config, phase: startup }] }\n  config: {}\n";
        let m = model(text);
        let web = m.find("web").unwrap();
        let events = [fault(&m, FaultKind::Down, "web", 0.0, Some(60.0))];
        let tl = run(&m, &events, 200.0, 1.0);
        assert_eq!(tl.service_state(web, 60.0), State::Down);
        assert_eq!(tl.service_state(web, 89.0), State::Down);
        assert_eq!(tl.service_state(web, 90.0), State::Healthy);
        // config is down while web restarts: web waits until config is back.
        let events = [
            fault(&m, FaultKind::Down, "web", 0.0, Some(60.0)),
            fault(&m, FaultKind::Down, "config", 0.0, Some(120.0)),
        ];
        let tl = run(&m, &events, 300.0, 1.0);
        assert_eq!(
            tl.service_state(web, 140.0),
            State::Down,
            "blocked by config"
        );
        assert_eq!(tl.service_state(web, 300.0), State::Healthy);
        // config back at 120 s: web's 30 s start counts from then, not from
        // the next step (it was back at 151 s).
        assert_eq!(tl.service_state(web, 149.0), State::Down);
        assert_eq!(tl.service_state(web, 150.0), State::Healthy);
        let tl = run(&m, &events, 300.0, 10.0);
        assert_eq!(tl.service_state(web, 140.0), State::Down);
        assert_eq!(tl.service_state(web, 150.0), State::Healthy, "not 160 s");
    }

    /// Replicas added by `scale` wait for their startup dependencies as a
    /// restart does: with `config` down they never join.
    #[test]
    fn added_replicas_wait_for_startup_dependencies() {
        let m = model(
            "services:\n  web: { entry: { rps: 100 }, capacity: 60, queue: 10, start_time: 10s, depends_on: [{ to: config, phase: startup }] }\n  config: {}\n",
        );
        let web = m.find("web").unwrap();
        let scale = Event {
            at_s: 60.0,
            for_s: None,
            action: Action::Scale {
                service: web,
                add: 2,
            },
        };
        let tl = run(&m, std::slice::from_ref(&scale), 200.0, 1.0);
        assert_eq!(
            tl.service_state(web, 75.0),
            State::Healthy,
            "config up: joins"
        );
        let events = [
            fault(&m, FaultKind::Down, "config", 0.0, Some(120.0)),
            scale,
        ];
        let tl = run(&m, &events, 200.0, 1.0);
        assert_eq!(
            tl.service_state(web, 110.0),
            State::Degraded,
            "config down: waits"
        );
        assert_eq!(tl.service_state(web, 129.0), State::Degraded);
        assert_eq!(
            tl.service_state(web, 130.0),
            State::Healthy,
            "config back at 120 s, +10 s"
        );
    }

    /// Before t = 0 the system is in its fault-free steady state, queues
    /// included: a service whose queue is full without faults starts full,
    /// so the timeline reports no change at all.
    #[test]
    fn a_full_queue_starts_full() {
        let m = model("services:\n  a: { entry: { rps: 150 }, capacity: 100, queue: 100 }\n");
        let a = m.find("a").unwrap();
        let tl = run(&m, &[], 10.0, 1.0);
        assert_eq!(tl.before.services[a.index()].state, State::Degraded);
        assert!(tl.changes.is_empty(), "{:?}", tl.changes);
    }

    /// A cold cache drowns its database, then warms up and lets it recover.
    #[test]
    fn a_cold_cache_warms_up() {
        let m = model(
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: cache, cache: { hit_ratio: 90%, on_miss: db, warm_up: 10m } }] }\n  cache: {}\n  db: { capacity: 50, queue: 10, latency: 10ms }\n",
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Cold, "cache", 0.0, None)],
            900.0,
            5.0,
        );
        assert_eq!(state(&m, &tl, "web", 0.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 900.0), State::Healthy);
    }

    /// A cache that crashed warms from the step it is back, over
    /// `warm_up`: down from 0 to 5 s, warm at 15 s (it was 16 s, the
    /// warm-up counted from the step after).
    #[test]
    fn a_crashed_cache_warms_from_when_it_is_back() {
        let m = model(
            "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db, warm_up: 10s } }] }
  cache: {}
  db: { latency: 10ms }
",
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Down, "cache", 0.0, Some(5.0))],
            30.0,
            1.0,
        );
        assert_eq!(state(&m, &tl, "web", 5.0), State::Degraded);
        assert_eq!(state(&m, &tl, "web", 14.0), State::Degraded);
        assert_eq!(
            state(&m, &tl, "web", 15.0),
            State::Healthy,
            "{:?}",
            tl.changes
        );
    }

    /// A recovery names what brought it back: a cold cache (a service
    /// healthy all along) is "warm again", not "healthy again"; the
    /// database its misses drowned, near capacity, recovers as the cache
    /// warms and its load falls (14.7 % hits at 49 s: 85.3 of 100 rps).
    #[test]
    fn a_recovery_from_a_cold_cache_says_it_is_warm_again() {
        let m = model(
            "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db, warm_up: 5m } }] }
  cache: {}
  db: { capacity: 102, latency: 10ms, concurrency: 100 }
",
        );
        let tl = run(
            &m,
            &[fault(&m, FaultKind::Cold, "cache", 0.0, None)],
            600.0,
            1.0,
        );
        let back: Vec<(&str, &str)> = tl
            .changes
            .iter()
            .filter(|c| c.to == State::Healthy)
            .map(|c| (c.name.as_str(), c.because.as_str()))
            .collect();
        assert_eq!(
            back,
            [
                (
                    "db",
                    "recovered: its load fell to 85.3 rps against a capacity of 102; \
                     busy: 84% of capacity in use, requests queue 50.1ms on average"
                ),
                ("web", "recovered: cache is warm again after --cold cache"),
            ],
            "{:?}",
            tl.changes
        );
    }

    /// Responders: scaling out ends an overload once the replicas start.
    #[test]
    fn scaling_out_ends_an_overload() {
        let m = model(
            "services:\n  api: { entry: { rps: 300 }, replicas: 2, capacity: 100, queue: 50, start_time: 30s }\n",
        );
        let api = m.find("api").unwrap();
        let events = [Event {
            at_s: 60.0,
            for_s: None,
            action: Action::Scale {
                service: api,
                add: 2,
            },
        }];
        let tl = run(&m, &events, 120.0, 1.0);
        assert_eq!(tl.service_state(api, 60.0), State::Degraded);
        assert_eq!(tl.service_state(api, 95.0), State::Healthy);
    }

    /// Changes are emitted only on a change, ordered by time then model order.
    /// Issue 13 §2: a recovery says why: what happened to the service
    /// itself (its replicas back after their start, a window that ended,
    /// a `set` on its calls), else the root of the chain that held it
    /// down.
    #[test]
    fn recoveries_say_why() {
        let m = model(
            "services:
  web: { entry: { rps: 10 }, depends_on: [api] }
  api: { depends_on: [db] }
  db: { start_time: 30s }
",
        );
        let events = [
            fault(&m, FaultKind::Down, "db", 0.0, Some(60.0)),
            fault(&m, FaultKind::Hang, "api", 200.0, Some(50.0)),
        ];
        let tl = run(&m, &events, 400.0, 1.0);
        let back: Vec<(f64, &str, &str)> = tl
            .changes
            .iter()
            .filter(|c| c.to == State::Healthy)
            .map(|c| (c.t_s, c.name.as_str(), c.because.as_str()))
            .collect();
        assert_eq!(
            back,
            [
                (90.0, "web", "recovered: db is healthy again"),
                (90.0, "api", "recovered: db is healthy again"),
                (
                    90.0,
                    "db",
                    "recovered: its replicas are back after a 30s start"
                ),
                (250.0, "web", "recovered: api is healthy again"),
                (250.0, "api", "recovered: --hang api ended"),
            ]
        );
    }

    #[test]
    fn changes_are_ordered() {
        let m = model(STORM);
        let events = [fault(&m, FaultKind::Down, "api", 10.0, Some(10.0))];
        let tl = run(&m, &events, 60.0, 1.0);
        let times: Vec<f64> = tl.changes.iter().map(|c| c.t_s).collect();
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(times, sorted);
        assert_eq!(tl.changes[0].name, "web");
        assert_eq!(tl.changes[0].t_s, 10.0);
    }

    /// A breaker opens, is held open for `open_for` even after the callee
    /// heals, then a probe closes it. b fails everything for 45 s; the
    /// breaker opens at 0 s, a probe at 30 s finds b still failing, so it
    /// stays open until 60 s, though b is fine from 45 s.
    #[test]
    fn breaker_opens_holds_and_closes_on_a_probe() {
        let m = model(
            "services:\n  a: { entry: { rps: 10 }, depends_on: [{ to: b, circuit_breaker: { threshold: 50%, open_for: 30s } }] }\n  b: {}\n",
        );
        let events = [fault(&m, FaultKind::Errors, "b=100%", 0.0, Some(45.0))];
        let tl = run(&m, &events, 90.0, 1.0);
        assert_eq!(state(&m, &tl, "a", 10.0), State::Down);
        assert_eq!(state(&m, &tl, "b", 50.0), State::Healthy);
        assert_eq!(state(&m, &tl, "a", 50.0), State::Down, "held open");
        assert_eq!(
            state(&m, &tl, "a", 60.0),
            State::Healthy,
            "the probe at 60 s closes it"
        );
    }

    /// Autoscaling adds a replica after `delay` of high utilisation, each
    /// one arriving `start_time` later, until the load fits. 300 rps on two
    /// replicas of 100 (degraded: a third is rejected); one added at 60 s,
    /// up at 90 s: exactly at capacity, where an M/M/1/K queue (K = 1 + 50)
    /// still turns away 1 in K + 1 = 52 (degraded); another added at 120 s, up at 150 s: 75 %
    /// each, a rejection in two million: healthy.
    /// A replica that autoscaling adds after `delay` of heat serves from
    /// that moment (with no `start_time`), as one added by `scale` would:
    /// hot from 0 s with a 5 s delay, two replicas serve at 5 s (the
    /// decision came a step late, at 6 s).
    #[test]
    fn an_autoscaled_replica_serves_when_its_delay_is_up() {
        let m = model(
            "services:
  api: { entry: { rps: 150 }, capacity: 100, queue: 0, autoscale: { max_replicas: 2, above: 80%, delay: 5s } }
",
        );
        let tl = run(&m, &[], 10.0, 1.0);
        let api = m.find("api").unwrap().index();
        let success = |t: f64| tl.series[api][tl.step_at(t)].success;
        assert!(
            success(5.0) > success(4.0) + 0.1,
            "{} {}",
            success(4.0),
            success(5.0)
        );
        assert_eq!(success(5.0), success(6.0));
    }

    #[test]
    fn autoscaling_adds_replicas_after_its_delay() {
        let m = model(
            "services:\n  api: { entry: { rps: 300 }, replicas: 2, capacity: 100, queue: 50, start_time: 30s, autoscale: { max_replicas: 4, above: 80%, delay: 1m } }\n",
        );
        let tl = run(&m, &[], 200.0, 1.0);
        assert_eq!(state(&m, &tl, "api", 30.0), State::Degraded);
        let api = m.find("api").unwrap();
        let at_capacity = tl.series[api.index()][tl.step_at(100.0)].success;
        assert!((at_capacity - 51.0 / 52.0).abs() < 1e-6, "{at_capacity}");
        assert_eq!(state(&m, &tl, "api", 100.0), State::Degraded);
        assert_eq!(
            state(&m, &tl, "api", 150.0),
            State::Healthy,
            "{:?}",
            tl.changes
        );
    }
}
