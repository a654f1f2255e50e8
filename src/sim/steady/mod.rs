//! The steady state: load, capacity, queueing, latency, timeouts, pools,
//! retries, breakers and caches settled to a fixed point under the faults,
//! with time-limited protections (stale windows, async buffers, a cold
//! cache) taken as they are when the faults begin (docs/engine.md).
//!
//! One pass of the iteration, region by region, callees first
//! ([`contexts`]):
//! 1. each operation's *work* on each of its call paths — its own time
//!    (slowed, as a distribution), then its calls in turn (stopping at the
//!    first failed hard call) or at once — each call through the caller's
//!    timeout, retries (with budget), breaker, fallback and cache;
//! 2. each service's admission ([`admission`]) from its load and the time
//!    its requests hold a thread: refusals, hung replicas, errors on
//!    arrival, an M/M/c/K queue's rejections and waits;
//! 3. loads again from entry traffic down the call paths, callers first,
//!    every attempt counted; a request stops at its first failed hard call,
//!    and a call that re-enters its own path carries no load.
//!
//! The pass repeats until loads and successes settle (or the bound is hit:
//! then `converged` is false and the caller says so). Success inside a
//! cycle is the least fixed point from the fault-free state: a re-entering
//! call fails only once its target is wholly down.

mod admission;
pub(crate) mod contexts;
mod memo;
mod pass;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::dist::Dist;
use super::dists::Dists;
use super::explain::{Explained, Links};
use super::faults::{self, Fault, Slowdown};
use crate::model::{Dependency, Model, ServiceId};
pub(crate) use admission::Admission;
use contexts::{Contexts, OpIndex};

/// Iterations before the steady state gives up and reports non-convergence.
pub const MAX_ITERATIONS: usize = 200;

/// The four states; worse compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Serving normally.
    Healthy,
    /// Serving, but well above its healthy latency.
    Slow,
    /// Serving, losing some function.
    Degraded,
    /// (Almost) no request succeeds.
    Down,
}

impl State {
    /// Every state, best first.
    pub const ALL: [State; 4] = [State::Healthy, State::Slow, State::Degraded, State::Down];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Slow => "slow",
            State::Degraded => "degraded",
            State::Down => "down",
        }
    }
}

impl std::str::FromStr for State {
    type Err = crate::finding::UnknownWord;

    /// `healthy`, `slow`, `degraded` or `down`, in any case.
    fn from_str(word: &str) -> Result<State, Self::Err> {
        crate::finding::parse_word(word, &State::ALL, State::as_str)
    }
}

/// The figures and the explanation of one service or operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Its state.
    pub state: State,
    /// Share of requests that succeed (0–1).
    pub success: f64,
    /// Mean latency in seconds over every request; infinite when some
    /// requests wait forever.
    pub latency_s: f64,
    /// 99th percentile of the time to an answer (success or failure), s.
    pub p99_s: f64,
    /// Attempts per second arriving.
    pub load_rps: f64,
    /// Load ÷ the load with one attempt per call.
    pub amplification: f64,
    /// Why, in one sentence naming the dependency (and so the chain).
    pub because: String,
    /// From where the trouble starts to this service.
    pub chain: Vec<ServiceId>,
}

/// The steady state of a model under faults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Whether the iteration settled within its bound.
    pub converged: bool,
    /// Passes made.
    pub iterations: usize,
    /// Per service, in model order.
    pub services: Vec<Figures>,
    /// Per service, per operation.
    pub operations: Vec<Vec<Figures>>,
    /// Per dependency (global index): what the timeline carries on.
    #[serde(skip)]
    pub edges: Vec<EdgeReport>,
    /// Per service: its admission, for backlogs and autoscaling.
    #[serde(skip)]
    pub admission: Vec<AdmissionReport>,
}

/// What happened on one dependency, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EdgeReport {
    /// A fallback or a cache's `on_miss` was in use (the primary failed).
    pub protection_used: bool,
    /// A stale-serving call failed a material share (its window runs).
    pub failing: bool,
    /// The breaker was open.
    pub breaker_open: bool,
    /// Failure share of one attempt as the caller saw it.
    pub attempt_failure: f64,
    /// Calls per second the caller made (hand-offs, for async edges).
    pub call_rate: f64,
}

/// A service's admission, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AdmissionReport {
    /// Attempts per second arriving.
    pub load: f64,
    /// Attempts per second that need a server (not failed on arrival).
    pub needing: f64,
    /// Requests per second its serving replicas can finish (infinite: no bound).
    pub throughput: f64,
    /// Whether arrivals exceed that throughput.
    pub overloaded: bool,
    /// Utilisation of the binding resource.
    pub rho: f64,
    /// Requests all its queues hold in the long run at this load (infinite:
    /// an unbounded queue past capacity).
    pub occupancy: f64,
    /// Every replica down or below quorum.
    pub refused: bool,
    /// Requests queued at the end of the step (what the timeline carries).
    pub backlog: f64,
}

/// The fault-free steady state, computed once and reused for "normally"
/// latencies (the baseline of `slow`).
#[derive(Debug, Clone)]
pub struct Baseline(Solved);

/// The solver's state after a step, to start the next step from: this is
/// how retry load (and any other load) carries over in a timeline.
#[derive(Debug, Clone)]
pub struct Warm(Solved);

/// What the timeline (or a plain run) imposes on top of the faults: the
/// stateful parts carried from step to step. [`Situation::at_fault_start`]
/// gives the steady state's reading.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Situation {
    /// Replicas added (responders' `scale`, autoscaling), per service.
    pub extra_replicas: Vec<u32>,
    /// Share of its `hit_ratio` each cache service reaches (1 warm, 0 cold).
    pub warmth: Vec<f64>,
    /// Edges (global index) whose stale window has run out.
    pub stale_expired: HashSet<usize>,
    /// Async edges (global index) whose buffer is full.
    pub buffer_full: HashSet<usize>,
    /// Requests each service's queues hold at the step's start, carried by
    /// the timeline (`None`: the long run, as the steady state reads it).
    pub backlog: Vec<Option<f64>>,
    /// The timeline's step, seconds (how far backlogs move in one).
    pub step_s: f64,
    /// Edges (global index) whose breaker is held open (within `open_for`).
    pub forced_open: HashSet<usize>,
}

impl Situation {
    /// The moment faults begin: caches warm unless `--cold`, stale windows
    /// and buffers intact, queues in their long run.
    pub fn at_fault_start(model: &Model, faults: &[Fault]) -> Situation {
        let n = model.services().len();
        let mut warmth = vec![1.0; n];
        for f in faults {
            if let Fault::Cold { cache, .. } = f {
                warmth[cache.index()] = 0.0;
            }
        }
        // An async edge with no room (`buffer: 0`) is full from the start:
        // it fails like a sync call, as the timeline has it.
        let buffer_full: HashSet<usize> = model
            .services()
            .iter()
            .flat_map(|s| s.operations.iter().flat_map(|o| &o.depends_on))
            .enumerate()
            .filter(|(_, d)| d.mode == crate::model::Mode::Async && d.buffer == Some(0.0))
            .map(|(e, _)| e)
            .collect();
        Situation {
            extra_replicas: vec![0; n],
            warmth,
            stale_expired: HashSet::new(),
            buffer_full,
            backlog: vec![None; n],
            step_s: 0.0,
            forced_open: HashSet::new(),
        }
    }
}

/// A dependency with its place in the model.
#[derive(Debug, Clone, Copy)]
pub struct EdgeRef {
    /// The caller.
    pub service: ServiceId,
    /// The caller's operation.
    pub op: usize,
    /// Index into the operation's `depends_on`.
    pub dep: usize,
}

/// Per-service conditions imposed by faults.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) crashed: Vec<u32>,
    pub(crate) hung: Vec<u32>,
    pub(crate) errors: Vec<f64>,
    pub(crate) slow: Vec<Vec<(Slowdown, f64)>>,
    pub(crate) cuts: HashSet<(u32, u32)>,
    pub(crate) surge_all: f64,
    pub(crate) surge: Vec<f64>,
    /// Which faults touch each service directly (for explanations).
    pub(crate) touched_by: Vec<Vec<usize>>,
}

impl Conditions {
    pub(crate) fn new(model: &Model, faults: &[Fault]) -> Conditions {
        let n = model.services().len();
        let mut c = Conditions {
            crashed: vec![0; n],
            hung: vec![0; n],
            errors: vec![0.0; n],
            slow: vec![Vec::new(); n],
            cuts: HashSet::new(),
            surge_all: 1.0,
            surge: vec![1.0; n],
            touched_by: vec![Vec::new(); n],
        };
        // Replicas are tracked by number, so the same replica lost twice
        // (`db:1` and the zone it lives in) counts once.
        let mut crashed: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        let mut hung: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        for (fi, f) in faults.iter().enumerate() {
            match f {
                Fault::Down { scope, .. } | Fault::Hang { scope, .. } => {
                    let sets = if let Fault::Down { .. } = f {
                        &mut crashed
                    } else {
                        &mut hung
                    };
                    for (id, replicas) in scope.replicas_hit(model) {
                        sets.entry(id.0).or_default().extend(replicas);
                        c.touched_by[id.index()].push(fi);
                    }
                }
                Fault::Errors { scope, share, .. } => {
                    // A fault on some replicas hits their share of requests.
                    for (id, replicas) in scope.replicas_hit(model) {
                        let share = faults::share_of_requests(model, id, &replicas, *share);
                        let e = &mut c.errors[id.index()];
                        *e = 1.0 - (1.0 - *e) * (1.0 - share);
                        c.touched_by[id.index()].push(fi);
                    }
                }
                Fault::Slow {
                    scope,
                    change,
                    share,
                    ..
                } => {
                    for (id, replicas) in scope.replicas_hit(model) {
                        let share =
                            faults::share_of_requests(model, id, &replicas, share.unwrap_or(1.0));
                        c.slow[id.index()].push((*change, share));
                        c.touched_by[id.index()].push(fi);
                    }
                }
                Fault::Cut { from, to, .. } => {
                    c.cuts.insert((from.0, to.0));
                    c.touched_by[to.index()].push(fi);
                }
                Fault::Surge {
                    entry: Some(s),
                    factor,
                    ..
                } => c.surge[s.index()] *= factor,
                Fault::Surge {
                    entry: None,
                    factor,
                    ..
                } => c.surge_all *= factor,
                Fault::Cold { cache, .. } => c.touched_by[cache.index()].push(fi),
            }
        }
        for (s, set) in &crashed {
            c.crashed[*s as usize] = set.len() as u32;
        }
        for (s, set) in &hung {
            let dead = crashed.get(s);
            c.hung[*s as usize] = set
                .iter()
                .filter(|r| dead.is_none_or(|d| !d.contains(r)))
                .count() as u32;
        }
        c
    }

    /// Whether calls from `from` to `to` are cut.
    pub(crate) fn cut(&self, from: ServiceId, to: ServiceId) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&(from.0, to.0))
    }
}

/// What happens on one call site (one dependency of one context) in a pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct EdgeFlow {
    /// Attempts per call to the target.
    pub attempts: f64,
    /// Whether attempts reach the target (not cut, breaker closed).
    pub reaches: bool,
    /// Breaker open.
    pub breaker_open: bool,
    /// Failure share of one attempt as the caller sees it.
    pub attempt_failure: f64,
    /// Share of attempts that gave up at the timeout.
    pub timed_out: f64,
    /// Share of calls that succeed, after retries, fallback, cache and
    /// softness (one call; `calls: k` makes k).
    pub success: f64,
    /// Mean time of one call, seconds.
    pub latency: f64,
    /// Chance that a request goes on past this dependency (its `calls`
    /// all succeeded, or it cannot stop the request).
    pub pass: f64,
    /// Calls made per request that reaches this dependency.
    pub made: f64,
    /// Calls per call that go on to the failover alternative / `on_miss`.
    pub alt_share: f64,
    /// Attempts per such call.
    pub alt_attempts: f64,
    /// Whether the fallback or the cache's `on_miss` is in use.
    pub protection_used: bool,
    /// Whether a stale-serving call fails a material share before its
    /// fallback (its window runs; see `Pass::material`).
    pub failing: bool,
    /// Calls per second made over it (after the load pass).
    pub rate: f64,
}

impl EdgeFlow {
    /// Every field's bits, the rate included.
    pub(crate) fn bits(&self) -> [u64; 14] {
        [
            self.attempts.to_bits(),
            u64::from(self.reaches),
            u64::from(self.breaker_open),
            self.attempt_failure.to_bits(),
            self.timed_out.to_bits(),
            self.success.to_bits(),
            self.latency.to_bits(),
            self.pass.to_bits(),
            self.made.to_bits(),
            self.alt_share.to_bits(),
            self.alt_attempts.to_bits(),
            u64::from(self.protection_used),
            u64::from(self.failing),
            self.rate.to_bits(),
        ]
    }
}

/// The steady-state engine for one model: indexes built once, evaluated
/// under any faults.
#[derive(Debug, Clone)]
pub struct Engine<'m> {
    pub(crate) model: &'m Model,
    /// Every dependency, flattened.
    edges: Vec<EdgeRef>,
    /// First edge of each (service, op).
    edge_offset: Vec<Vec<usize>>,
    /// Flat operation indices.
    pub(crate) ops: OpIndex,
    /// Call paths.
    pub(crate) contexts: Contexts,
    /// Per call site (index into `contexts.calls`): its global edge.
    pub(crate) call_edge: Vec<u32>,
    /// Per call site: whether it belongs to its operation's root context.
    pub(crate) call_is_root: Vec<bool>,
    /// Per flat operation in a cycle: its contexts in its region, in order
    /// (empty outside cycles), so a pass need not search the region for them.
    pub(crate) cycle_ctxs: Vec<Vec<u32>>,
    /// Dependencies with a circuit breaker (global indices).
    breakers: Vec<usize>,
    /// The fault-free steady state, solved on first use and then shared by
    /// every evaluation (a sweep of n faults solves it once, not n times).
    baseline: std::sync::OnceLock<Baseline>,
    /// Every value the fault-free solve took, by its inputs (for
    /// [`Engine::steady_swept`]).
    memo: std::sync::OnceLock<std::sync::Arc<memo::Memo>>,
    /// The fault-free solve explained, chains unmended (for
    /// [`Engine::steady_swept`], which copies what a fault leaves as it was).
    fault_free: std::sync::OnceLock<Explained>,
    /// The links chains step along (built on first use).
    links: std::sync::OnceLock<Links>,
    /// Each operation's own work with nothing slowed (built on first use).
    healthy_work: std::sync::OnceLock<Dists>,
}

impl<'m> Engine<'m> {
    /// Indexes a model.
    pub fn new(model: &'m Model) -> Engine<'m> {
        let mut edges = Vec::new();
        let mut edge_offset = Vec::with_capacity(model.services().len());
        for id in model.service_ids() {
            let mut offsets = Vec::new();
            for (oi, op) in model.service(id).operations.iter().enumerate() {
                offsets.push(edges.len());
                for di in 0..op.depends_on.len() {
                    edges.push(EdgeRef {
                        service: id,
                        op: oi,
                        dep: di,
                    });
                }
            }
            offsets.push(edges.len());
            edge_offset.push(offsets);
        }
        let op_weights: Vec<Vec<f64>> = model
            .service_ids()
            .map(|id| split_weights(model, id))
            .collect();
        let ops = OpIndex::new(model);
        let contexts = Contexts::build(model, &ops, &op_weights);
        let call_edge = contexts
            .ctxs
            .iter()
            .flat_map(|c| {
                let first = edge_offset[c.service.index()][c.oi];
                (0..c.calls.len()).map(move |di| (first + di) as u32)
            })
            .collect();
        let call_is_root = contexts
            .ctxs
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                let root = contexts.root[c.op as usize] as usize == i;
                std::iter::repeat_n(root, c.calls.len())
            })
            .collect();
        let mut cycle_ctxs = vec![Vec::new(); ops.len()];
        for (r, region) in contexts.regions.iter().enumerate() {
            if !region.cyclic {
                continue;
            }
            for c in region.ctxs.clone() {
                let ctx = &contexts.ctxs[c as usize];
                if contexts.region_of[ctx.service.index()] as usize == r {
                    cycle_ctxs[ctx.op as usize].push(c);
                }
            }
        }
        let breakers = (0..edges.len())
            .filter(|&e| {
                let r: EdgeRef = edges[e];
                model.service(r.service).operations[r.op].depends_on[r.dep]
                    .circuit_breaker
                    .is_some()
            })
            .collect();
        Engine {
            model,
            edges,
            edge_offset,
            ops,
            contexts,
            call_edge,
            call_is_root,
            cycle_ctxs,
            breakers,
            baseline: std::sync::OnceLock::new(),
            memo: std::sync::OnceLock::new(),
            fault_free: std::sync::OnceLock::new(),
            links: std::sync::OnceLock::new(),
            healthy_work: std::sync::OnceLock::new(),
        }
    }

    /// Every dependency, flattened in model order (the index timelines use).
    pub fn edges(&self) -> &[EdgeRef] {
        &self.edges
    }

    /// Global index of dependency `dep` of operation `op` of `service`.
    pub fn edge_index(&self, service: ServiceId, op: usize, dep: usize) -> usize {
        self.edge_offset[service.index()][op] + dep
    }

    /// The global indices of a service's dependencies (all its operations').
    pub(crate) fn service_edges(&self, id: ServiceId) -> std::ops::Range<usize> {
        let offsets = &self.edge_offset[id.index()];
        offsets[0]..offsets[offsets.len() - 1]
    }

    pub(crate) fn dep(&self, e: usize) -> &'m Dependency {
        let r = self.edges[e];
        &self.model.service(r.service).operations[r.op].depends_on[r.dep]
    }

    /// Whether a service sits in a cycle walked in name order (an
    /// approximation the explanation names).
    pub fn approximate_cycle(&self, id: ServiceId) -> bool {
        self.contexts.region(id).approximate
    }

    /// The steady state under `faults` at the moment they begin.
    pub fn steady(&self, faults: &[Fault]) -> Outcome {
        self.evaluate(faults, &Situation::at_fault_start(self.model, faults))
    }

    /// The steady state under `faults` with the stateful parts as given.
    pub fn evaluate(&self, faults: &[Fault], situation: &Situation) -> Outcome {
        if self.baseline.get().is_none() && !faults.is_empty() {
            // The first question asked of an engine (`whatif run`): the
            // fault-free solve and the faulted one do not read each other,
            // so they run side by side; only the explanation needs both
            // (and the links its chains step along, made meanwhile).
            let cond = Conditions::new(self.model, faults);
            let ((baseline, solved), _) = rayon::join(
                || {
                    rayon::join(
                        || self.baseline(),
                        || self.solve(faults, &cond, situation, None, None).finished(),
                    )
                },
                || self.links(),
            );
            return self.outcome_of(faults, &cond, situation, &solved, baseline, None);
        }
        self.evaluate_from(faults, situation, self.baseline(), None)
            .0
    }

    /// The fault-free steady state (solved once per engine).
    pub fn baseline(&self) -> &Baseline {
        self.baseline.get_or_init(|| {
            Baseline(
                self.solve(
                    &[],
                    &Conditions::new(self.model, &[]),
                    &Situation::at_fault_start(self.model, &[]),
                    None,
                    None,
                )
                .finished(),
            )
        })
    }

    /// The steady state under `faults` at the moment they begin, as
    /// [`Engine::steady`] gives it bit for bit, but computing only what the
    /// faults change from the fault-free solve (see the `memo` module), and
    /// explaining only the services whose explanation reads something they
    /// changed (the rest is copied from the fault-free explanation): for
    /// sweeps of one fault at a time. The first call records the fault-free
    /// solve (one more baseline solve, and memory for every value it took)
    /// and explains it; with a `cut` or `--cold` fault this is
    /// [`Engine::steady`].
    pub fn steady_swept(&self, faults: &[Fault]) -> Outcome {
        if faults
            .iter()
            .any(|f| matches!(f, Fault::Cut { .. } | Fault::Cold { .. }))
        {
            return self.steady(faults);
        }
        let situation = Situation::at_fault_start(self.model, faults);
        let cond = Conditions::new(self.model, faults);
        let tracking = memo::Tracking::reuse(self.memo().clone(), &cond);
        let solved = self.solve(faults, &cond, &situation, None, Some(Box::new(tracking)));
        let before = self.fault_free();
        self.outcome_of(
            faults,
            &cond,
            &situation,
            &solved,
            self.baseline(),
            Some(before),
        )
    }

    /// The links chains step along (once per engine).
    pub(crate) fn links(&self) -> &Links {
        self.links
            .get_or_init(|| Links::new(self.model, &self.contexts.region_of))
    }

    /// The fault-free solve explained, chains unmended (once per engine).
    fn fault_free(&self) -> &Explained {
        self.fault_free.get_or_init(|| {
            let baseline = &self.baseline().0;
            self.explained(
                &[],
                &Conditions::new(self.model, &[]),
                &Situation::at_fault_start(self.model, &[]),
                baseline,
                baseline,
                None,
            )
        })
    }

    /// The fault-free solve's memo (recorded once per engine).
    fn memo(&self) -> &std::sync::Arc<memo::Memo> {
        self.memo.get_or_init(|| {
            let s = self.solve(
                &[],
                &Conditions::new(self.model, &[]),
                &Situation::at_fault_start(self.model, &[]),
                None,
                Some(Box::new(memo::Tracking::record(self))),
            );
            let memo = s.tracking.and_then(|t| t.into_memo());
            std::sync::Arc::new(memo.expect("a recording solve keeps its memo"))
        })
    }

    /// One timeline step: the steady state under `faults` and `situation`,
    /// starting from the previous step's loads (`warm`), so that load the
    /// system generated (retries above all) carries over.
    pub fn evaluate_from(
        &self,
        faults: &[Fault],
        situation: &Situation,
        baseline: &Baseline,
        warm: Option<&Warm>,
    ) -> (Outcome, Warm) {
        let cond = Conditions::new(self.model, faults);
        let solved = self.solve(faults, &cond, situation, warm.map(|w| &w.0), None);
        let outcome = self.outcome_of(faults, &cond, situation, &solved, baseline, None);
        (outcome, Warm(solved))
    }

    fn outcome_of(
        &self,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        solved: &Solved,
        baseline: &Baseline,
        before: Option<&Explained>,
    ) -> Outcome {
        let mut outcome = self.explain(faults, cond, situation, solved, &baseline.0, before);
        outcome.edges = self.edge_reports(solved);
        outcome.admission = self.admission_reports(solved);
        outcome
    }

    fn edge_reports(&self, s: &Solved) -> Vec<EdgeReport> {
        (0..self.edges.len())
            .map(|e| {
                let f = s.edge_flow(e);
                EdgeReport {
                    protection_used: f.protection_used,
                    failing: f.failing,
                    breaker_open: f.breaker_open,
                    attempt_failure: f.attempt_failure,
                    call_rate: f.rate,
                }
            })
            .collect()
    }

    fn admission_reports(&self, s: &Solved) -> Vec<AdmissionReport> {
        self.model
            .service_ids()
            .map(|id| {
                let a = s.admission[id.index()];
                let serving = f64::from(a.serving);
                let load = self.service_total(&s.op_load, id);
                AdmissionReport {
                    load,
                    needing: a.per_replica * serving,
                    throughput: if a.serving > 0 {
                        a.throughput * serving
                    } else {
                        0.0
                    },
                    overloaded: a.overloaded(),
                    rho: a.rho,
                    occupancy: a.occupancy * serving,
                    refused: a.refused,
                    backlog: if a.refused { 0.0 } else { a.backlog },
                }
            })
            .collect()
    }

    /// The fixed-point iteration, from zero load or from a previous state.
    fn solve(
        &self,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        warm: Option<&Solved>,
        tracking: Option<Box<memo::Tracking>>,
    ) -> Solved {
        let own = self.own_work(cond);
        // Work depends on the faults and on the stateful parts that change
        // calls (not on backlogs or replicas, which only move admissions).
        let inputs = (
            std::ptr::from_ref(self.model) as usize,
            faults.to_vec(),
            Situation {
                extra_replicas: Vec::new(),
                backlog: Vec::new(),
                ..situation.clone()
            },
        );
        if let Some(w) = warm {
            let mut s = w.clone();
            s.converged = false;
            s.iterations = 0;
            // What each operation's work was can be reused only under the
            // same faults and stateful parts.
            if s.inputs.as_ref() != Some(&inputs) {
                s.invalidate();
            }
            s.inputs = Some(inputs);
            return self.iterate(cond, situation, &own, s, false);
        }
        let mut s = Solved::new(self);
        s.inputs = Some(inputs);
        s.tracking = tracking;
        self.iterate(cond, situation, &own, s, true)
    }

    /// Each operation's own work under the slow faults, as a distribution.
    fn own_work(&self, cond: &Conditions) -> std::borrow::Cow<'_, Dists> {
        let healthy = self.healthy_work();
        if cond.slow.iter().all(Vec::is_empty) {
            return std::borrow::Cow::Borrowed(healthy);
        }
        let mut own = healthy.clone();
        for (o, &(s, _)) in self.ops.of.iter().enumerate() {
            let slow = &cond.slow[s.index()];
            if slow.is_empty() {
                continue;
            }
            let mut d = own.get(o);
            for &(change, share) in slow {
                let slowed = match change {
                    Slowdown::Add(x) => d.delayed(x),
                    Slowdown::Factor(f) => d.stretched(f),
                };
                d = if share >= 1.0 {
                    slowed
                } else {
                    Dist::mix(&[(1.0 - share, &d), (share, &slowed)])
                };
            }
            own.set(o, &d);
        }
        std::borrow::Cow::Owned(own)
    }

    /// Each operation's own work with nothing slowed (once per engine).
    fn healthy_work(&self) -> &Dists {
        self.healthy_work.get_or_init(|| {
            self.ops
                .of
                .iter()
                .map(|&(s, oi)| healthy_work(self.model, s, oi))
                .collect()
        })
    }

    fn iterate(
        &self,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        mut s: Solved,
        seed: bool,
    ) -> Solved {
        // Breakers: open exactly when the attempt failure share with them
        // closed is above the threshold. Solve with the open set fixed, open
        // every closed breaker whose share is above, solve again; the set
        // only grows, so this ends. A timeline's held-open breakers start in
        // the set.
        let open: BTreeSet<usize> = situation.forced_open.iter().copied().collect();
        if s.open != open {
            let flipped: Vec<usize> = s.open.symmetric_difference(&open).copied().collect();
            self.invalidate_calls_over(&flipped, &mut s);
        }
        s.open = open;
        s.opened_at.clear();
        if seed {
            // Seed: outcomes at zero load, then the loads they imply.
            self.outcomes(cond, situation, own, &mut s);
            self.propagate(cond, situation, &mut s);
        }
        let mut converged = true;
        let mut passes = 0;
        for _round in 0..=self.breakers.len().min(16) {
            s = self.settle(cond, situation, own, s);
            converged &= s.converged;
            passes += s.iterations;
            let opened: Vec<usize> = self
                .breakers
                .iter()
                .copied()
                .filter(|e| !s.open.contains(e))
                .filter(|&e| {
                    let threshold = self.dep(e).circuit_breaker.map_or(1.0, |b| b.threshold);
                    crate::model::above(s.edge_flow(e).attempt_failure, threshold)
                })
                .collect();
            if opened.is_empty() {
                break;
            }
            self.invalidate_calls_over(&opened, &mut s);
            for e in opened {
                s.opened_at.insert(e, s.edge_flow(e).attempt_failure);
                s.open.insert(e);
            }
        }
        s.converged = converged;
        s.iterations = passes;
        s
    }

    /// Forgets the work of every context that calls over one of `edges`
    /// (whose breaker opened or closed): only their call sites read the
    /// open set. The next pass computes them again, and what that changes
    /// reaches their callers as any change does; every other work is still
    /// what its inputs give, so this is the full recomputation's result
    /// without the work of redoing the rest.
    fn invalidate_calls_over(&self, edges: &[usize], s: &mut Solved) {
        #[cfg(test)]
        if INVALIDATE_ALL.load(std::sync::atomic::Ordering::Relaxed) {
            s.invalidate();
            return;
        }
        let mut flipped = vec![false; self.edges.len()];
        for &e in edges {
            flipped[e] = true;
        }
        for (c, ctx) in self.contexts.ctxs.iter().enumerate() {
            if ctx
                .calls
                .clone()
                .any(|call| flipped[self.call_edge[call as usize] as usize])
            {
                s.work_valid[c] = false;
            }
        }
    }

    /// The fixed point for a given set of open breakers.
    fn settle(
        &self,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        mut s: Solved,
    ) -> Solved {
        s.converged = false;
        let mut relax = Relaxation::new(s.ctx_load.len());
        // Buffers kept over the passes (a pass allocates nothing of the
        // model's size).
        let mut previous: Vec<f64> = Vec::new();
        let mut signature: Vec<f64> = Vec::new();
        let (mut old_load, mut old_nominal) = (Vec::new(), Vec::new());
        for iteration in 1..=MAX_ITERATIONS {
            self.outcomes(cond, situation, own, &mut s);
            old_load.clone_from(&s.ctx_load);
            old_nominal.clone_from(&s.ctx_nominal);
            self.propagate(cond, situation, &mut s);
            self.mix_cycles(&mut s);
            // Each load moves toward what this pass implies by its own step:
            // a load whose update changes direction (retries → overload →
            // fewer admitted → fewer calls → less overload …, or a queue near
            // capacity whose wait swings with every request) halves its
            // step, one that keeps its direction grows it again. On a steep
            // feedback this closes in on the crossing like a bisection.
            relax.apply(&mut s, &old_load, &old_nominal);
            self.sum_loads(&mut s);
            signature.clear();
            // Loads without retries too: amplification is the one over the
            // other, and settles only when both have.
            signature.extend(s.op_load.iter().copied());
            signature.extend(s.op_nominal.iter().copied());
            signature.extend((0..s.ctx_dist.len()).map(|c| s.ctx_dist.success(c)));
            signature.extend(s.down.iter().map(|&d| if d { 1.0 } else { 0.0 }));
            s.iterations = iteration;
            // (From the second pass: the first has nothing to compare
            // with, and a model without services settles there.)
            if iteration > 1
                && signature
                    .iter()
                    .zip(&previous)
                    .all(|(a, b)| (a - b).abs() <= 1e-7 * (1.0 + a.abs().max(b.abs())))
            {
                s.converged = true;
                break;
            }
            std::mem::swap(&mut previous, &mut signature);
        }
        // Final outcomes consistent with the final loads.
        self.outcomes(cond, situation, own, &mut s);
        self.mix_cycles(&mut s);
        s
    }

    /// A per-operation figure (`op_load`, `op_nominal`) summed over a
    /// service's operations.
    pub(crate) fn service_total(&self, per_op: &[f64], id: ServiceId) -> f64 {
        self.ops.ops(id).map(|o| per_op[o as usize]).sum()
    }

    pub(crate) fn replicas(&self, id: ServiceId, situation: &Situation) -> u32 {
        self.model.service(id).replicas
            + situation
                .extra_replicas
                .get(id.index())
                .copied()
                .unwrap_or(0)
    }
}

/// Tests set this to have every change of the open breakers forget every
/// work, as the engine once did, and compare.
#[cfg(test)]
pub(crate) static INVALIDATE_ALL: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Per-load step sizes of the fixed-point iteration (see `settle`).
struct Relaxation {
    load: Steps,
    /// The load with one attempt per call has steps of its own: it settles
    /// on its own fixed point, not frozen by the load's shrunken step.
    nominal: Steps,
}

/// Per-context step sizes for one relaxed quantity.
struct Steps {
    step: Vec<f64>,
    last: Vec<f64>,
}

impl Steps {
    fn new(n: usize) -> Steps {
        Steps {
            step: vec![1.0; n],
            last: vec![0.0; n],
        }
    }

    /// Moves each of `now` from `old` toward it by its own step: halved
    /// when the update changes direction, grown again when it keeps it.
    fn apply(&mut self, now: &mut [f64], old: &[f64]) {
        for c in 0..self.step.len() {
            let delta = now[c] - old[c];
            if delta * self.last[c] < 0.0 {
                self.step[c] *= 0.5;
            } else if delta != 0.0 {
                self.step[c] = (self.step[c] * 1.25).min(1.0);
            }
            self.last[c] = delta;
            now[c] = old[c] + self.step[c] * delta;
        }
    }
}

impl Relaxation {
    fn new(n: usize) -> Relaxation {
        Relaxation {
            load: Steps::new(n),
            nominal: Steps::new(n),
        }
    }

    fn apply(&mut self, s: &mut Solved, old_load: &[f64], old_nominal: &[f64]) {
        self.load.apply(&mut s.ctx_load, old_load);
        self.nominal.apply(&mut s.ctx_nominal, old_nominal);
    }
}

/// Per-iteration working state.
#[derive(Debug, Clone)]
pub(crate) struct Solved {
    /// Per context: what a caller entering it gets.
    pub(crate) ctx_dist: Dists,
    /// Per context: mean time its requests hold a thread.
    pub(crate) ctx_held: Vec<f64>,
    /// Per context: attempts per second arriving.
    pub(crate) ctx_load: Vec<f64>,
    /// Per context: the load with one attempt per call.
    pub(crate) ctx_nominal: Vec<f64>,
    /// Per call site.
    pub(crate) flows: Vec<EdgeFlow>,
    /// Per flat operation: attempts per second (all contexts).
    pub(crate) op_load: Vec<f64>,
    /// Per flat operation: the load with one attempt per call.
    pub(crate) op_nominal: Vec<f64>,
    /// Per flat operation in a cycle: its outcome over its call paths,
    /// weighted by their load.
    pub(crate) mixed: BTreeMap<u32, Dist>,
    /// Per flat operation: mean time held (over its contexts).
    pub(crate) op_held: Vec<f64>,
    /// Per flat operation: wholly failing (what a re-entering call gets).
    pub(crate) down: Vec<bool>,
    /// Per service.
    pub(crate) admission: Vec<Admission>,
    /// Per service: share worked at the one-attempt load.
    pub(crate) nominal_worked: Vec<f64>,
    /// Per global edge: its call sites' flows, summed (see [`Solved::edge_flow`]).
    pub(crate) edge_flows: Vec<EdgeFlow>,
    /// Per context: its work (own time and calls) as last computed.
    pub(crate) work: Dists,
    /// Per context: whether `work` holds for the current inputs.
    pub(crate) work_valid: Vec<bool>,
    /// Per context: whether what its callers get changed in this pass.
    pub(crate) ctx_changed: Vec<bool>,
    /// Per flat operation: whether `down` changed in the last pass.
    pub(crate) down_changed: Vec<bool>,
    /// The model (by address: a timeline's `set` makes a new one), faults
    /// and stateful parts the caches hold for.
    pub(crate) inputs: Option<(usize, Vec<Fault>, Situation)>,
    pub(crate) converged: bool,
    pub(crate) iterations: usize,
    /// Breakers open in this solve (global edge indices).
    pub(crate) open: BTreeSet<usize>,
    /// Recording into, or reading from, the fault-free solve's memo.
    pub(crate) tracking: Option<Box<memo::Tracking>>,
    /// For breakers this solve opened: the failure share with them closed.
    pub(crate) opened_at: BTreeMap<usize, f64>,
}

impl Solved {
    fn new(engine: &Engine) -> Solved {
        let ctxs = engine.contexts.ctxs.len();
        let ops = engine.ops.len();
        let n = engine.model.services().len();
        Solved {
            ctx_dist: Dists::filled(ctxs, &Dist::ok(0.0)),
            ctx_held: vec![0.0; ctxs],
            ctx_load: vec![0.0; ctxs],
            ctx_nominal: vec![0.0; ctxs],
            flows: vec![EdgeFlow::default(); engine.contexts.calls.len()],
            op_load: vec![0.0; ops],
            op_nominal: vec![0.0; ops],
            mixed: BTreeMap::new(),
            op_held: vec![0.0; ops],
            down: vec![false; ops],
            admission: vec![Admission::default(); n],
            nominal_worked: vec![1.0; n],
            edge_flows: vec![EdgeFlow::default(); engine.edges.len()],
            work: Dists::filled(ctxs, &Dist::EMPTY),
            work_valid: vec![false; ctxs],
            ctx_changed: vec![true; ctxs],
            down_changed: vec![false; ops],
            inputs: None,
            converged: false,
            iterations: 0,
            open: BTreeSet::new(),
            opened_at: BTreeMap::new(),
            tracking: None,
        }
    }

    /// The solve without what only a further pass reads (each call site's
    /// flow, each context's work and the flags that say which to redo):
    /// for a solve that is read, never continued. At 100,000 services
    /// that is about 25 MB a solve.
    fn finished(self) -> Solved {
        Solved {
            flows: Vec::new(),
            work: Dists::default(),
            work_valid: Vec::new(),
            ctx_changed: Vec::new(),
            down_changed: Vec::new(),
            ..self
        }
    }

    /// Forgets every cached work: the next pass computes all of it.
    pub(crate) fn invalidate(&mut self) {
        self.work_valid.iter_mut().for_each(|v| *v = false);
        self.ctx_changed.iter_mut().for_each(|v| *v = true);
    }

    /// The flow over a dependency, over all its call sites (weighted by
    /// their call rates).
    pub(crate) fn edge_flow(&self, e: usize) -> EdgeFlow {
        self.edge_flows[e]
    }
}

/// How a call naming only `service` splits over its operations: by their
/// entry `rps`, evenly when none has any.
pub fn split_weights(model: &Model, service: ServiceId) -> Vec<f64> {
    let ops = &model.service(service).operations;
    let total: f64 = ops.iter().filter_map(|o| o.rps).sum();
    if total > 0.0 {
        ops.iter().map(|o| o.rps.unwrap_or(0.0) / total).collect()
    } else {
        vec![1.0 / ops.len() as f64; ops.len()]
    }
}

/// The own work of operation `oi` of service `s`, nothing slowed, as a
/// distribution.
fn healthy_work(model: &Model, s: ServiceId, oi: usize) -> Dist {
    let svc = model.service(s);
    let latency = svc.operations[oi].latency;
    // With a capacity, each of the c = round(capacity × L) servers works
    // for c ÷ capacity on average (so throughput is exactly the capacity):
    // own times stretch by c ÷ (capacity × L), which is 1 unless capacity ×
    // L is small; with L = 0 it is one server's 1 ÷ capacity. L weighs the
    // operations by their entry rps (evenly when none has any).
    match svc.capacity {
        Some(cap) if cap > 0.0 => {
            let l = static_work(model, s);
            if l > 0.0 {
                let c = (cap * l).round().max(1.0);
                Dist::work(latency).stretched(c / (cap * l))
            } else {
                Dist::work(crate::model::Latency::Exponential { mean_s: 1.0 / cap })
            }
        }
        _ => Dist::work(latency),
    }
}

/// A service's own work L for its server count: its operations' mean own
/// latencies weighted as a call to the service splits over them.
fn static_work(model: &Model, id: ServiceId) -> f64 {
    let ops = &model.service(id).operations;
    split_weights(model, id)
        .iter()
        .zip(ops)
        .map(|(w, o)| w * o.latency.mean_s())
        .sum()
}
