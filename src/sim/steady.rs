//! The steady state (docs/engine.md): load, capacity, queueing, latency, timeouts,
//! pools, retries, breakers and caches settled to a fixed point under the
//! faults, with time-limited protections (stale windows, async buffers, a
//! cold cache) taken as they are when the faults begin.
//!
//! One pass of the iteration, callees first:
//! 1. each service's admission from its load: crashed and hung replicas,
//!    capacity and `concurrency ÷ time held` (Little's law) bound the
//!    throughput, the excess waits in a bounded queue or is rejected, and an
//!    unbounded queue under sustained excess fails everything through it;
//! 2. each operation's outcome [`Dist`]: own latency (slowed), queue wait
//!    (`latency·ρ/(1−ρ)` below capacity), then its dependencies' call
//!    outcomes in turn (or at once with `parallel`), each after the caller's
//!    timeout, retries (with budget), breaker, fallback and cache;
//! 3. loads again from entry traffic down the graph, every attempt counted,
//!    along each call path once (re-entering a service carries no load).
//!
//! The pass repeats until loads and successes settle (or the bound is hit:
//! then `converged` is false and the caller says so).

use std::collections::HashSet;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::dist::Dist;
use super::faults::{Fault, FaultKind, Scope, Slowdown};
use crate::model::{Criticality, Dependency, Fallback, Mode, Model, Phase, ServiceId};

/// Cycles up to this many services have every call path walked; larger
/// tangles follow one traversal (see `propagate`).
const MAX_WALKED_CYCLE: usize = 12;

/// Iterations before the steady state gives up and reports non-convergence.
pub const MAX_ITERATIONS: usize = 200;

/// The four states (docs/engine.md, "States and thresholds"); worse compares greater.
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

/// The figures and the explanation of one service or operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Its state.
    pub state: State,
    /// Share of requests that succeed (0–1).
    pub success: f64,
    /// Mean latency in seconds; infinite when some requests wait forever.
    pub latency_s: f64,
    /// Attempts per second arriving.
    pub load_rps: f64,
    /// Load ÷ the load with one attempt per call.
    pub amplification: f64,
    /// Why, in one sentence naming the dependency (and so the chain).
    pub because: String,
    /// From the root cause to this service.
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
    /// Requests per second its serving replicas can take (infinite: no bound).
    pub throughput: f64,
    /// Whether arrivals exceed that throughput.
    pub overloaded: bool,
    /// Utilisation against capacity (per replica).
    pub rho: f64,
    /// Requests all its queues hold (`None`: unbounded).
    pub queue_total: Option<f64>,
    /// Every replica down or below quorum.
    pub refused: bool,
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
    /// Extra queue wait per service (a backlog draining), in seconds.
    pub backlog_wait: Vec<f64>,
    /// Edges (global index) whose breaker is held open (within `open_for`).
    pub forced_open: HashSet<usize>,
}

impl Situation {
    /// The moment faults begin: caches warm unless `--cold`, stale windows
    /// and buffers intact.
    pub fn at_fault_start(model: &Model, faults: &[Fault]) -> Situation {
        let n = model.services().len();
        let mut warmth = vec![1.0; n];
        for f in faults {
            if let (FaultKind::Cold, Scope::Service(s)) = (f.kind, &f.scope) {
                warmth[s.index()] = 0.0;
            }
        }
        Situation {
            extra_replicas: vec![0; n],
            warmth,
            stale_expired: HashSet::new(),
            buffer_full: HashSet::new(),
            backlog_wait: vec![0.0; n],
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
pub(super) struct Conditions {
    pub(super) crashed: Vec<u32>,
    pub(super) hung: Vec<u32>,
    pub(super) errors: Vec<f64>,
    pub(super) slow: Vec<Vec<(Slowdown, f64)>>,
    pub(super) cuts: HashSet<(u32, u32)>,
    pub(super) surge_all: f64,
    pub(super) surge: Vec<f64>,
    /// Which faults touch each service directly (for explanations).
    pub(super) touched_by: Vec<Vec<usize>>,
}

impl Conditions {
    fn new(model: &Model, faults: &[Fault]) -> Conditions {
        use std::collections::{BTreeMap, BTreeSet};
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
            match f.kind {
                FaultKind::Down | FaultKind::Hang => {
                    let sets = if f.kind == FaultKind::Down {
                        &mut crashed
                    } else {
                        &mut hung
                    };
                    for (id, replicas) in f.replicas_hit(model) {
                        sets.entry(id.0).or_default().extend(replicas);
                        c.touched_by[id.index()].push(fi);
                    }
                }
                FaultKind::Errors | FaultKind::Slow => {
                    // A fault on some replicas hits their share of requests.
                    for (id, replicas) in f.replicas_hit(model) {
                        let share = f.share * replicas.len() as f64
                            / f64::from(model.service(id).replicas.max(1));
                        if f.kind == FaultKind::Errors {
                            let e = &mut c.errors[id.index()];
                            *e = if *e == 0.0 {
                                share
                            } else {
                                1.0 - (1.0 - *e) * (1.0 - share)
                            };
                        } else if let Some(change) = f.slowdown {
                            c.slow[id.index()].push((change, share));
                        }
                        c.touched_by[id.index()].push(fi);
                    }
                }
                FaultKind::Cut => {
                    if let Scope::Link(a, b) = f.scope {
                        c.cuts.insert((a.0, b.0));
                        c.touched_by[b.index()].push(fi);
                    }
                }
                FaultKind::Surge => match f.scope {
                    Scope::Service(s) => c.surge[s.index()] *= f.factor.unwrap_or(1.0),
                    _ => c.surge_all *= f.factor.unwrap_or(1.0),
                },
                FaultKind::Cold => {
                    if let Scope::Service(s) = f.scope {
                        c.touched_by[s.index()].push(fi);
                    }
                }
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
}

/// Per-service admission, from its load.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Admission {
    /// Every replica crashed, or fewer than quorum left: refused at once.
    pub(super) refused: bool,
    /// Share that lands on hung replicas and never returns.
    pub(super) hung: f64,
    /// Share admitted among the rest (the others are rejected at once).
    pub(super) admitted: f64,
    /// Queue wait of admitted requests, seconds (infinite: unbounded queue).
    pub(super) wait: f64,
    /// Mean time a request holds a slot (own work + downstream), seconds.
    pub(super) held: f64,
    /// Load per serving replica.
    pub(super) per_replica: f64,
    /// Throughput bound per replica.
    pub(super) throughput: f64,
    /// Replicas serving (not crashed, not hung).
    pub(super) serving: u32,
    /// Whether the concurrency bound, not capacity, is the binding one.
    pub(super) pool_bound: bool,
    /// Utilisation against capacity (load per replica ÷ capacity).
    pub(super) rho: f64,
}

impl Admission {
    /// Share of arriving requests the replicas actually work on (and so
    /// call onward for): all of them below throughput; `throughput ÷ load`
    /// when overloaded, bounded queue or not — an unbounded queue fails
    /// every request by its wait, but the servers still work flat out
    /// (wasted work). Hung and refused requests are never worked on.
    pub(super) fn processed(&self) -> f64 {
        if self.refused || self.serving == 0 {
            return 0.0;
        }
        let worked = if self.wait.is_infinite() && self.per_replica > 0.0 {
            (self.throughput / self.per_replica).min(1.0)
        } else {
            self.admitted
        };
        (1.0 - self.hung) * worked
    }
}

/// What happens on one dependency in this pass.
#[derive(Debug, Clone, Default)]
pub(super) struct EdgeFlow {
    /// Attempts per call to the target.
    pub(super) attempts: f64,
    /// Whether attempts reach the target (not cut, breaker closed).
    pub(super) reaches: bool,
    /// Breaker open.
    pub(super) breaker_open: bool,
    /// Failure share of one attempt as the caller sees it.
    pub(super) attempt_failure: f64,
    /// Outcome of one call, including fallback and cache.
    pub(super) call: Dist,
    /// Calls per call that go on to the failover alternative / `on_miss`.
    pub(super) alt_share: f64,
    /// Attempts per such call.
    pub(super) alt_attempts: f64,
    /// Whether the fallback or the cache's `on_miss` is in use.
    pub(super) protection_used: bool,
}

/// The steady-state engine for one model: indexes built once, evaluated
/// under any faults.
#[derive(Debug, Clone)]
pub struct Engine<'m> {
    pub(super) model: &'m Model,
    /// Every dependency, flattened.
    edges: Vec<EdgeRef>,
    /// First edge of each (service, op).
    edge_offset: Vec<Vec<usize>>,
    /// Service SCCs, callees first.
    pub(super) sccs_callees_first: Vec<Vec<ServiceId>>,
    /// How a call naming only a service splits over its operations.
    op_weights: Vec<Vec<f64>>,
    /// Per dependency: it calls back into its own cycle.
    back_edge: Vec<bool>,
    /// Dependencies with a circuit breaker (global indices).
    breakers: Vec<usize>,
    /// The fault-free steady state, solved on first use and then shared by
    /// every evaluation (a sweep of n faults solves it once, not n times).
    baseline: std::sync::OnceLock<Baseline>,
}

impl<'m> Engine<'m> {
    /// Indexes a model.
    pub fn new(model: &'m Model) -> Engine<'m> {
        let n = model.services().len();
        let mut edges = Vec::new();
        let mut edge_offset = Vec::with_capacity(n);
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
        for _ in 0..n {
            g.add_node(());
        }
        for id in model.service_ids() {
            let mut offsets = Vec::new();
            for (oi, op) in model.service(id).operations.iter().enumerate() {
                offsets.push(edges.len());
                for (di, dep) in op.depends_on.iter().enumerate() {
                    edges.push(EdgeRef {
                        service: id,
                        op: oi,
                        dep: di,
                    });
                    let mut add = |to: ServiceId| {
                        g.add_edge(NodeIndex::new(id.index()), NodeIndex::new(to.index()), ());
                    };
                    add(dep.target.service);
                    if let Some(Fallback::Failover { to }) = dep.fallback {
                        add(to);
                    }
                    if let Some(c) = &dep.cache {
                        add(c.on_miss);
                    }
                }
            }
            offsets.push(edges.len());
            edge_offset.push(offsets);
        }
        let mut sccs: Vec<Vec<ServiceId>> = tarjan_scc(&g)
            .into_iter()
            .map(|c| {
                let mut ids: Vec<ServiceId> =
                    c.into_iter().map(|n| ServiceId(n.index() as u32)).collect();
                ids.sort();
                ids
            })
            .collect();
        // Inside a cycle, members are ordered by discovery from where
        // traffic enters (entry points and calls from outside, in model
        // order); a call back to an earlier member re-enters the cycle and,
        // as real cycles are conditional, adds no latency and no failure.
        // Members are then listed callees first.
        let mut back_edge = vec![false; edges.len()];
        for scc in sccs.iter_mut().filter(|c| c.len() > 1) {
            let order = discovery_order(model, scc);
            let position: std::collections::HashMap<u32, usize> =
                order.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
            for (e, r) in edges.iter().enumerate() {
                let Some(&from) = position.get(&r.service.0) else {
                    continue;
                };
                let dep = &model.service(r.service).operations[r.op].depends_on[r.dep];
                if position
                    .get(&dep.target.service.0)
                    .is_some_and(|&to| to <= from)
                {
                    back_edge[e] = true;
                }
            }
            *scc = order.into_iter().rev().collect();
        }
        let op_weights = model
            .service_ids()
            .map(|id| split_weights(model, id))
            .collect();
        let breakers = (0..edges.len())
            .filter(|&e| {
                let r = edges[e];
                model.service(r.service).operations[r.op].depends_on[r.dep]
                    .circuit_breaker
                    .is_some()
            })
            .collect();
        Engine {
            model,
            edges,
            edge_offset,
            sccs_callees_first: sccs,
            op_weights,
            breakers,
            back_edge,
            baseline: std::sync::OnceLock::new(),
        }
    }

    /// Whether a dependency calls back into its cycle (see `new`).
    pub(super) fn is_back_edge(&self, e: usize) -> bool {
        self.back_edge[e]
    }

    /// Every dependency, flattened in model order (the index timelines use).
    pub fn edges(&self) -> &[EdgeRef] {
        &self.edges
    }

    /// Global index of dependency `dep` of operation `op` of `service`.
    pub fn edge_index(&self, service: ServiceId, op: usize, dep: usize) -> usize {
        self.edge_offset[service.index()][op] + dep
    }

    pub(super) fn dep(&self, e: usize) -> &'m Dependency {
        let r = self.edges[e];
        &self.model.service(r.service).operations[r.op].depends_on[r.dep]
    }

    /// The steady state under `faults` at the moment they begin.
    pub fn steady(&self, faults: &[Fault]) -> Outcome {
        self.evaluate(faults, &Situation::at_fault_start(self.model, faults))
    }

    /// The steady state under `faults` with the stateful parts as given.
    pub fn evaluate(&self, faults: &[Fault], situation: &Situation) -> Outcome {
        self.evaluate_from(faults, situation, self.baseline(), None)
            .0
    }

    /// The fault-free steady state (solved once per engine).
    pub fn baseline(&self) -> &Baseline {
        self.baseline.get_or_init(|| {
            Baseline(self.solve(
                &Conditions::new(self.model, &[]),
                &Situation::at_fault_start(self.model, &[]),
                None,
            ))
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
        let solved = self.solve(&cond, situation, warm.map(|w| &w.0));
        let mut outcome = self.explain(faults, &cond, situation, &solved, &baseline.0);
        outcome.edges = self.edge_reports(&cond, &solved);
        outcome.admission = self.admission_reports(&solved);
        (outcome, Warm(solved))
    }

    fn edge_reports(&self, cond: &Conditions, s: &Solved) -> Vec<EdgeReport> {
        self.edges
            .iter()
            .enumerate()
            .map(|(e, r)| {
                let f = &s.flows[e];
                let a = s.admission[r.service.index()];
                let pass = a.processed();
                let processed =
                    s.load[r.service.index()][r.op] * pass * (1.0 - cond.errors[r.service.index()]);
                EdgeReport {
                    protection_used: f.protection_used,
                    breaker_open: f.breaker_open,
                    attempt_failure: f.attempt_failure,
                    call_rate: processed * f64::from(self.dep(e).calls),
                }
            })
            .collect()
    }

    fn admission_reports(&self, s: &Solved) -> Vec<AdmissionReport> {
        self.model
            .service_ids()
            .map(|id| {
                let a = s.admission[id.index()];
                let svc = self.model.service(id);
                let serving = f64::from(a.serving);
                // No serving replica (all hung): no throughput and no
                // overload to speak of — the hang explains it.
                let serving_any = a.serving > 0;
                AdmissionReport {
                    load: s.load[id.index()].iter().sum(),
                    throughput: if serving_any {
                        a.throughput * serving
                    } else {
                        0.0
                    },
                    overloaded: serving_any
                        && !a.refused
                        && (a.admitted < 1.0 || a.wait.is_infinite()),
                    rho: a.rho,
                    queue_total: svc.queue.map(|q| q * serving),
                    refused: a.refused,
                }
            })
            .collect()
    }

    /// The fixed-point iteration, from zero load or from a previous state.
    fn solve(&self, cond: &Conditions, situation: &Situation, warm: Option<&Solved>) -> Solved {
        if let Some(w) = warm {
            let mut s = w.clone();
            s.converged = false;
            s.iterations = 0;
            return self.iterate(cond, situation, s, false);
        }
        let model = self.model;
        let n = model.services().len();
        let s = Solved {
            load: model
                .services()
                .iter()
                .map(|sv| vec![0.0; sv.operations.len()])
                .collect(),
            nominal: model
                .services()
                .iter()
                .map(|sv| vec![0.0; sv.operations.len()])
                .collect(),
            dists: model
                .services()
                .iter()
                .map(|sv| vec![Dist::ok(0.0); sv.operations.len()])
                .collect(),
            admission: vec![Admission::default(); n],
            flows: vec![EdgeFlow::default(); self.edges.len()],
            converged: false,
            iterations: 0,
            open: HashSet::new(),
            opened_at: std::collections::BTreeMap::new(),
        };
        self.iterate(cond, situation, s, true)
    }

    fn iterate(
        &self,
        cond: &Conditions,
        situation: &Situation,
        mut s: Solved,
        seed: bool,
    ) -> Solved {
        // Breakers (docs/engine.md, "Circuit breakers"): open exactly when
        // the attempt failure share with them closed is above the threshold. Solve with the open set
        // fixed, open every closed breaker whose share is above, solve
        // again; the set only grows, so this ends. A timeline's held-open
        // breakers start in the set.
        s.open = situation.forced_open.clone();
        s.opened_at.clear();
        if seed {
            // Seed: outcomes at zero load, then the loads they imply.
            self.outcomes(cond, situation, &mut s);
            self.propagate(cond, &mut s);
        }
        let mut converged = true;
        let mut passes = 0;
        for _round in 0..=self.breakers.len().min(16) {
            s = self.settle(cond, situation, s);
            converged &= s.converged;
            passes += s.iterations;
            let opened: Vec<usize> = self
                .breakers
                .iter()
                .copied()
                .filter(|&e| !s.open.contains(&e))
                .filter(|&e| {
                    let threshold = self.dep(e).circuit_breaker.map_or(1.0, |b| b.threshold);
                    crate::model::above(s.flows[e].attempt_failure, threshold)
                })
                .collect();
            if opened.is_empty() {
                break;
            }
            for e in opened {
                s.opened_at.insert(e, s.flows[e].attempt_failure);
                s.open.insert(e);
            }
        }
        s.converged = converged;
        s.iterations = passes;
        s
    }

    /// The fixed point for a given set of open breakers.
    fn settle(&self, cond: &Conditions, situation: &Situation, mut s: Solved) -> Solved {
        s.converged = false;
        let mut previous: Vec<f64> = Vec::new();
        for iteration in 1..=MAX_ITERATIONS {
            self.outcomes(cond, situation, &mut s);
            let old_load = s.load.clone();
            let old_nominal = s.nominal.clone();
            self.propagate(cond, &mut s);
            // Damping after a while breaks the two-cycles that retries and
            // overload can fall into (more retries → overload → fewer admitted
            // → fewer calls → less overload …).
            if iteration > 3 {
                let keep = match iteration {
                    0..=40 => 0.5,
                    41..=100 => 0.8,
                    _ => 0.95,
                };
                for (loads, old) in [(&mut s.load, &old_load), (&mut s.nominal, &old_nominal)] {
                    for (new, old) in loads.iter_mut().zip(old) {
                        for (x, o) in new.iter_mut().zip(old) {
                            *x = keep * o + (1.0 - keep) * *x;
                        }
                    }
                }
            }
            let signature: Vec<f64> = s
                .load
                .iter()
                .flatten()
                .copied()
                .chain(s.dists.iter().flatten().map(Dist::success))
                .collect();
            s.iterations = iteration;
            if !previous.is_empty()
                && signature
                    .iter()
                    .zip(&previous)
                    .all(|(a, b)| (a - b).abs() <= 1e-7 * (1.0 + a.abs().max(b.abs())))
            {
                s.converged = true;
                break;
            }
            previous = signature;
        }
        // Final outcomes consistent with the final loads.
        self.outcomes(cond, situation, &mut s);
        s
    }

    pub(super) fn replicas(&self, id: ServiceId, situation: &Situation) -> u32 {
        self.model.service(id).replicas
            + situation
                .extra_replicas
                .get(id.index())
                .copied()
                .unwrap_or(0)
    }

    /// Step 1 and 2: admissions and outcome distributions, callees first.
    fn outcomes(&self, cond: &Conditions, situation: &Situation, s: &mut Solved) {
        for scc in &self.sccs_callees_first {
            for &id in scc {
                self.service_outcome(id, cond, situation, s);
            }
        }
    }

    fn service_outcome(
        &self,
        id: ServiceId,
        cond: &Conditions,
        situation: &Situation,
        s: &mut Solved,
    ) {
        let model = self.model;
        let svc = model.service(id);
        let i = id.index();
        // Dependency calls first: they decide how long requests hold a slot.
        let mut work: Vec<Dist> = Vec::with_capacity(svc.operations.len());
        for (oi, op) in svc.operations.iter().enumerate() {
            let mut deps = Dist::default();
            for di in 0..op.depends_on.len() {
                let e = self.edge_index(id, oi, di);
                let flow = self.edge_flow(e, cond, situation, s);
                let dep = self.dep(e);
                let waits = dep.mode == Mode::Sync || situation.buffer_full.contains(&e);
                if dep.phase == Phase::Request && waits && !self.back_edge[e] {
                    let call = flow.call.repeated(dep.calls, op.parallel);
                    deps = if op.parallel {
                        deps.alongside(&call)
                    } else {
                        deps.then(&call)
                    };
                }
                s.flows[e] = flow;
            }
            let own = own_work(op.latency.mean_s(), &cond.slow[i]);
            work.push(own.then(&deps));
        }

        // Admission from load.
        let replicas = self.replicas(id, situation);
        let crashed = cond.crashed[i].min(replicas);
        let hung = cond.hung[i].min(replicas - crashed);
        let up = replicas - crashed;
        let load: f64 = s.load[i].iter().sum();
        let mut a = Admission {
            admitted: 1.0,
            ..Admission::default()
        };
        if up < svc.quorum || up == 0 {
            a.refused = true;
        } else {
            // Hung replicas cannot vote: below quorum, every request hangs.
            a.hung = if up - hung < svc.quorum {
                1.0
            } else {
                f64::from(hung) / f64::from(up)
            };
            a.serving = up - hung;
            let served_load = load * (1.0 - a.hung);
            a.per_replica = if a.serving > 0 {
                served_load / f64::from(a.serving)
            } else {
                0.0
            };
            // Time held: rps-weighted mean over the operations (equal weights at zero load).
            let weights = weights_or_equal(&s.load[i]);
            a.held = work
                .iter()
                .zip(&weights)
                .map(|(d, w)| w * d.mean_latency())
                .sum::<f64>();
            if a.held.is_nan() {
                a.held = f64::INFINITY;
            }
            let by_capacity = svc.capacity.unwrap_or(f64::INFINITY);
            let by_pool = match svc.concurrency {
                Some(c) if a.held > 0.0 => c / a.held,
                Some(_) => f64::INFINITY,
                None => f64::INFINITY,
            };
            a.throughput = by_capacity.min(by_pool);
            a.pool_bound = by_pool < by_capacity;
            a.rho = svc.capacity.map_or(0.0, |c| {
                if c > 0.0 {
                    a.per_replica / c
                } else {
                    f64::INFINITY
                }
            });
            if a.serving == 0 {
                a.admitted = 0.0;
            } else if a.per_replica > 0.0 && a.per_replica >= a.throughput {
                match svc.queue {
                    Some(q) => {
                        a.admitted = a.throughput / a.per_replica;
                        a.wait = if a.throughput > 0.0 {
                            q / a.throughput
                        } else {
                            f64::INFINITY
                        };
                    }
                    None => {
                        a.admitted = 1.0;
                        a.wait = f64::INFINITY;
                    }
                }
            } else {
                let own_mean = weights
                    .iter()
                    .zip(&svc.operations)
                    .map(|(w, o)| w * own_work(o.latency.mean_s(), &cond.slow[i]).mean_latency())
                    .sum::<f64>();
                // M/M/1-like wait, never more than a full queue holds: this
                // keeps the wait continuous at capacity, where it meets the
                // overloaded branch's `queue ÷ throughput`.
                let full_queue = match (svc.queue, a.throughput.is_finite()) {
                    (Some(q), true) if a.throughput > 0.0 => q / a.throughput,
                    _ => f64::INFINITY,
                };
                a.wait = if a.rho > 0.0 && a.rho < 1.0 {
                    (own_mean * a.rho / (1.0 - a.rho)).min(full_queue)
                } else {
                    0.0
                };
            }
            a.wait += situation.backlog_wait.get(i).copied().unwrap_or(0.0);
        }
        s.admission[i] = a;

        for (oi, w) in work.into_iter().enumerate() {
            s.dists[i][oi] = if a.refused {
                Dist::fail(0.0)
            } else {
                let errors = cond.errors[i];
                let processed = if a.wait.is_infinite() {
                    Dist::fail(f64::INFINITY)
                } else {
                    w.delayed(a.wait)
                };
                let served = Dist::mix([
                    Dist::fail(0.0).scaled(errors),
                    processed.scaled(1.0 - errors),
                ]);
                let on_healthy = Dist::mix([
                    Dist::fail(0.0).scaled(1.0 - a.admitted),
                    served.scaled(a.admitted),
                ]);
                Dist::mix([
                    Dist::fail(f64::INFINITY).scaled(a.hung),
                    on_healthy.scaled(1.0 - a.hung),
                ])
            };
        }
    }

    /// What the target of a call answers (a service-level call mixes its
    /// operations by their weights).
    fn target_dist(&self, service: ServiceId, op: Option<usize>, s: &Solved) -> Dist {
        match op {
            Some(o) => s.dists[service.index()][o].clone(),
            None => Dist::mix(
                s.dists[service.index()]
                    .iter()
                    .zip(&self.op_weights[service.index()])
                    .map(|(d, w)| d.clone().scaled(*w)),
            ),
        }
    }

    /// One call over an edge to `target`, through the caller's timeout and
    /// retries: (call outcome, attempts per call, failure share of one attempt).
    fn call_through(
        &self,
        dep: &Dependency,
        from: ServiceId,
        target: ServiceId,
        op: Option<usize>,
        cond: &Conditions,
        s: &Solved,
    ) -> (Dist, f64, f64) {
        self.call_with_timeout(dep, dep.timeout_s, from, target, op, cond, s)
    }

    /// [`Engine::call_through`] with another timeout.
    #[allow(clippy::too_many_arguments)]
    fn call_with_timeout(
        &self,
        dep: &Dependency,
        timeout: Option<f64>,
        from: ServiceId,
        target: ServiceId,
        op: Option<usize>,
        cond: &Conditions,
        s: &Solved,
    ) -> (Dist, f64, f64) {
        let answer = if cond.cuts.contains(&(from.0, target.0)) {
            Dist::fail(f64::INFINITY)
        } else {
            self.target_dist(target, op, s)
        };
        let attempt = answer.with_timeout(timeout);
        let p_fail = attempt.failure();
        let x = retry_continuation(p_fail, dep.retries, dep.retry_budget);
        let attempts: f64 = (0..=dep.retries).map(|i| x.powi(i as i32)).sum();
        if dep.retries == 0 || p_fail <= 0.0 {
            return (attempt, 1.0, p_fail);
        }
        let m_fail = attempt.mean_fail_latency();
        let ok: Vec<_> = attempt.atoms.iter().filter(|a| a.ok).copied().collect();
        let mut parts = Vec::new();
        let mut success_weight = 0.0;
        for i in 0..=dep.retries {
            let reach = x.powi(i as i32);
            for a in &ok {
                let w = reach * a.weight;
                success_weight += w;
                parts.push(Dist::ok(f64::from(i) * m_fail + a.latency).scaled(w));
            }
        }
        let fail_weight = (1.0 - success_weight).max(0.0);
        // Mean attempts made by a call that ends in failure.
        let failed_attempts = if fail_weight > 0.0 {
            let mut acc = 0.0;
            for j in 1..=dep.retries + 1 {
                let reach = x.powi(j as i32 - 1);
                let stop_here = if j == dep.retries + 1 {
                    reach * p_fail
                } else {
                    reach * p_fail - x.powi(j as i32)
                };
                acc += stop_here.max(0.0) * f64::from(j);
            }
            acc / fail_weight
        } else {
            1.0
        };
        parts.push(Dist::fail(failed_attempts * m_fail).scaled(fail_weight));
        (Dist::mix(parts), attempts, p_fail)
    }

    /// The flow over one dependency in this pass.
    fn edge_flow(
        &self,
        e: usize,
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
    ) -> EdgeFlow {
        let r = self.edges[e];
        let dep = self.dep(e);
        let t = dep.target;
        let waits = dep.phase == Phase::Request
            && (dep.mode == Mode::Sync || situation.buffer_full.contains(&e));
        if !waits {
            // No waiting: hand-offs and background work carry load, not latency.
            let reaches = !cond.cuts.contains(&(r.service.0, t.service.0));
            let answer = self.target_dist(t.service, t.operation, s);
            return EdgeFlow {
                attempts: if dep.phase == Phase::Request {
                    1.0
                } else {
                    0.0
                },
                reaches,
                attempt_failure: if reaches { answer.failure() } else { 1.0 },
                call: Dist::ok(0.0),
                ..EdgeFlow::default()
            };
        }
        let (mut call, mut attempts, p_fail) =
            self.call_through(dep, r.service, t.service, t.operation, cond, s);
        let mut flow = EdgeFlow {
            reaches: !cond.cuts.contains(&(r.service.0, t.service.0)),
            attempt_failure: p_fail,
            ..EdgeFlow::default()
        };

        if dep.circuit_breaker.is_some() && s.open.contains(&e) {
            flow.breaker_open = true;
            flow.reaches = false;
            call = Dist::fail(0.0);
            attempts = 0.0;
        }
        flow.attempts = attempts;

        if let Some(c) = &dep.cache {
            // Look-aside: hits answered by the cache; misses (and a cache that
            // fails) go to `on_miss` with the edge's retries and the model's
            // default timeout (the edge's own timeout is the cache client's).
            let warm = situation
                .warmth
                .get(t.service.index())
                .copied()
                .unwrap_or(1.0);
            let hit = c.hit_ratio * warm;
            let (miss_call, miss_attempts, _) = self.call_with_timeout(
                dep,
                self.model.default_timeout_s,
                r.service,
                c.on_miss,
                None,
                cond,
                s,
            );
            let cache_ok = call.success();
            let ok_latency = call.mean_ok_latency();
            let fail_latency = call.mean_fail_latency();
            let hit_share = hit * cache_ok;
            let miss_after_ok = (1.0 - hit) * cache_ok;
            let miss_after_fail = 1.0 - cache_ok;
            flow.call = Dist::mix([
                Dist::ok(ok_latency).scaled(hit_share),
                miss_call.clone().delayed(ok_latency).scaled(miss_after_ok),
                miss_call.delayed(fail_latency).scaled(miss_after_fail),
            ]);
            flow.alt_share = miss_after_ok + miss_after_fail;
            flow.alt_attempts = miss_attempts;
            flow.protection_used = warm < 1.0 || cache_ok < 0.99;
            return flow;
        }
        match dep.fallback {
            Some(Fallback::ServeStale { .. }) if !situation.stale_expired.contains(&e) => {
                flow.protection_used = call.failure() > 1e-9;
                call = call.forgiven();
            }
            Some(Fallback::Failover { to }) => {
                let failed = call.failure();
                if failed > 1e-12 {
                    let (alt_call, alt_attempts, _) =
                        self.call_through(dep, r.service, to, None, cond, s);
                    let ok: Vec<Dist> = call
                        .atoms
                        .iter()
                        .filter(|a| a.ok)
                        .map(|a| Dist::ok(a.latency).scaled(a.weight))
                        .collect();
                    let fail_latency = call.mean_fail_latency();
                    call = Dist::mix(
                        ok.into_iter()
                            .chain([alt_call.delayed(fail_latency).scaled(failed)]),
                    );
                    flow.alt_share = failed;
                    flow.alt_attempts = alt_attempts;
                    flow.protection_used = true;
                }
            }
            _ => {}
        }
        if dep.criticality == Criticality::Soft {
            call = call.forgiven();
        }
        flow.call = call;
        flow
    }

    /// Step 3: loads from entry traffic down the graph.
    fn propagate(&self, cond: &Conditions, s: &mut Solved) {
        let model = self.model;
        for (l, nm) in s.load.iter_mut().zip(s.nominal.iter_mut()) {
            l.iter_mut().for_each(|x| *x = 0.0);
            nm.iter_mut().for_each(|x| *x = 0.0);
        }
        // External inflow per op: (load, nominal).
        let mut inflow: Vec<Vec<(f64, f64)>> = model
            .services()
            .iter()
            .map(|sv| vec![(0.0, 0.0); sv.operations.len()])
            .collect();
        for id in model.service_ids() {
            let surge = cond.surge_all * cond.surge[id.index()];
            for (oi, op) in model.service(id).operations.iter().enumerate() {
                if let Some(r) = op.rps {
                    inflow[id.index()][oi] = (r * surge, r * surge);
                }
            }
        }
        // Callers first: the reverse of the callees-first order.
        for scc in self.sccs_callees_first.iter().rev() {
            if scc.len() == 1 {
                let id = scc[0];
                for oi in 0..model.service(id).operations.len() {
                    let (l, nm) = inflow[id.index()][oi];
                    s.load[id.index()][oi] += l;
                    s.nominal[id.index()][oi] += nm;
                    self.send(id, oi, l, nm, cond, s, &mut |t, to, a, b| {
                        inflow[t.index()][to].0 += a;
                        inflow[t.index()][to].1 += b;
                    });
                }
            } else if scc.len() <= MAX_WALKED_CYCLE {
                // A small cycle: walk each call path from where load enters
                // it, never re-entering a service already on the path.
                let members: HashSet<ServiceId> = scc.iter().copied().collect();
                let mut on_path = vec![false; model.services().len()];
                let mut budget = 100_000usize;
                for &id in scc {
                    for oi in 0..model.service(id).operations.len() {
                        let (l, nm) = inflow[id.index()][oi];
                        if l > 0.0 || nm > 0.0 {
                            self.walk(
                                id,
                                oi,
                                (l, nm),
                                &members,
                                &mut on_path,
                                &mut budget,
                                cond,
                                s,
                                &mut inflow,
                            );
                        }
                    }
                }
            } else {
                // A large tangle: walking every path is exponential, so
                // load follows one traversal instead. Members are ordered
                // by discovery from where load enters (model order breaks
                // ties), and a call back to an earlier member counts as a
                // re-entry and carries none.
                let position = self.discovery_order(scc, &inflow);
                let mut order: Vec<ServiceId> = scc.clone();
                order.sort_by_key(|id| position[&id.0]);
                for id in order {
                    for oi in 0..model.service(id).operations.len() {
                        let (l, nm) = inflow[id.index()][oi];
                        s.load[id.index()][oi] += l;
                        s.nominal[id.index()][oi] += nm;
                        let here = position[&id.0];
                        self.send(id, oi, l, nm, cond, s, &mut |t, to, a, b| {
                            if position.get(&t.0).is_none_or(|&p| p > here) {
                                inflow[t.index()][to].0 += a;
                                inflow[t.index()][to].1 += b;
                            }
                        });
                    }
                }
            }
        }
    }

    /// Depth-first discovery order of a strongly connected component's
    /// services, starting from members that receive load from outside.
    fn discovery_order(
        &self,
        scc: &[ServiceId],
        inflow: &[Vec<(f64, f64)>],
    ) -> std::collections::HashMap<u32, usize> {
        let members: HashSet<u32> = scc.iter().map(|id| id.0).collect();
        let mut position = std::collections::HashMap::with_capacity(scc.len());
        let starts = scc
            .iter()
            .filter(|id| {
                inflow[id.index()]
                    .iter()
                    .any(|&(l, nm)| l > 0.0 || nm > 0.0)
            })
            .chain(scc.iter());
        for &start in starts {
            if position.contains_key(&start.0) {
                continue;
            }
            let mut stack = vec![start];
            while let Some(id) = stack.pop() {
                if position.contains_key(&id.0) {
                    continue;
                }
                position.insert(id.0, position.len());
                let svc = self.model.service(id);
                let mut next: Vec<ServiceId> = svc
                    .operations
                    .iter()
                    .flat_map(|op| op.depends_on.iter().map(|d| d.target.service))
                    .filter(|t| members.contains(&t.0) && !position.contains_key(&t.0))
                    .collect();
                next.reverse();
                stack.extend(next);
            }
        }
        position
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        id: ServiceId,
        oi: usize,
        (l, nm): (f64, f64),
        members: &HashSet<ServiceId>,
        on_path: &mut Vec<bool>,
        budget: &mut usize,
        cond: &Conditions,
        s: &mut Solved,
        inflow: &mut [Vec<(f64, f64)>],
    ) {
        s.load[id.index()][oi] += l;
        s.nominal[id.index()][oi] += nm;
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        on_path[id.index()] = true;
        let mut inside: Vec<(ServiceId, usize, f64, f64)> = Vec::new();
        self.send(id, oi, l, nm, cond, s, &mut |t, to, a, b| {
            if members.contains(&t) {
                inside.push((t, to, a, b));
            } else {
                inflow[t.index()][to].0 += a;
                inflow[t.index()][to].1 += b;
            }
        });
        for (t, to, a, b) in inside {
            if !on_path[t.index()] {
                self.walk(t, to, (a, b), members, on_path, budget, cond, s, inflow);
            }
        }
        on_path[id.index()] = false;
    }

    /// The calls one operation sends for `l` arriving attempts (and `nm`
    /// nominal ones): only requests it actually processes call onward.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        id: ServiceId,
        oi: usize,
        l: f64,
        nm: f64,
        cond: &Conditions,
        s: &Solved,
        out: &mut dyn FnMut(ServiceId, usize, f64, f64),
    ) {
        let a = s.admission[id.index()];
        if a.refused || (l <= 0.0 && nm <= 0.0) {
            return;
        }
        let pass = a.processed();
        let errors_pass = 1.0 - cond.errors[id.index()];
        let processed = l * pass * errors_pass;
        let processed_nominal = nm * pass * errors_pass;
        let op = &self.model.service(id).operations[oi];
        for (di, dep) in op.depends_on.iter().enumerate() {
            if dep.phase != Phase::Request {
                continue;
            }
            let e = self.edge_index(id, oi, di);
            let f = &s.flows[e];
            let calls = f64::from(dep.calls);
            let t = dep.target;
            let mut deliver =
                |svc: ServiceId, op: Option<usize>, amount: f64, nominal: f64| match op {
                    Some(o) => out(svc, o, amount, nominal),
                    None => {
                        for (o, w) in self.op_weights[svc.index()].iter().enumerate() {
                            out(svc, o, amount * w, nominal * w);
                        }
                    }
                };
            if f.reaches {
                deliver(
                    t.service,
                    t.operation,
                    processed * calls * f.attempts,
                    processed_nominal * calls,
                );
            }
            if f.alt_share > 0.0 {
                let alt = match (&dep.fallback, &dep.cache) {
                    (_, Some(c)) => Some(c.on_miss),
                    (Some(Fallback::Failover { to }), _) => Some(*to),
                    _ => None,
                };
                if let Some(alt) = alt
                    && !cond.cuts.contains(&(id.0, alt.0))
                {
                    deliver(
                        alt,
                        None,
                        processed * calls * f.alt_share * f.alt_attempts,
                        processed_nominal * calls * f.alt_share,
                    );
                }
            }
        }
    }
}

/// Per-iteration working state.
#[derive(Debug, Clone)]
pub(super) struct Solved {
    pub(super) load: Vec<Vec<f64>>,
    pub(super) nominal: Vec<Vec<f64>>,
    pub(super) dists: Vec<Vec<Dist>>,
    pub(super) admission: Vec<Admission>,
    pub(super) flows: Vec<EdgeFlow>,
    pub(super) converged: bool,
    pub(super) iterations: usize,
    /// Breakers open in this solve (global edge indices).
    pub(super) open: HashSet<usize>,
    /// For breakers this solve opened: the failure share with them closed.
    pub(super) opened_at: std::collections::BTreeMap<usize, f64>,
}

/// Own work of an operation under slow faults: a mixture when a fault slows
/// only a share of requests.
fn own_work(latency: f64, slow: &[(Slowdown, f64)]) -> Dist {
    let mut d = Dist::ok(latency);
    for &(change, share) in slow {
        let slowed = match change {
            Slowdown::Add(x) => d.clone().delayed(x),
            Slowdown::Factor(f) => {
                let mut c = d.clone();
                for a in &mut c.atoms {
                    a.latency *= f;
                }
                c
            }
        };
        d = Dist::mix([d.scaled(1.0 - share), slowed.scaled(share)]);
    }
    d
}

/// The chance that a failed attempt is followed by another: 1 per failure
/// without a budget; with one, lowered so that retries stay within
/// `budget` × calls. Returns `x` where attempt `i+1` happens with
/// probability `x^i`.
fn retry_continuation(p_fail: f64, retries: u32, budget: Option<f64>) -> f64 {
    if retries == 0 || p_fail <= 0.0 {
        return 0.0;
    }
    let expected = |x: f64| (1..=retries).map(|i| x.powi(i as i32)).sum::<f64>();
    match budget {
        Some(b) if expected(p_fail) > b => {
            let (mut lo, mut hi) = (0.0, p_fail);
            for _ in 0..60 {
                let mid = (lo + hi) / 2.0;
                if expected(mid) > b {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            lo
        }
        _ => p_fail,
    }
}

/// Depth-first discovery order of a cycle's members, starting from those
/// that receive traffic from outside it (entry points, outside callers) in
/// model order.
fn discovery_order(model: &Model, members: &[ServiceId]) -> Vec<ServiceId> {
    let inside: HashSet<u32> = members.iter().map(|id| id.0).collect();
    let mut entered: HashSet<u32> = HashSet::new();
    for id in model.service_ids().filter(|id| !inside.contains(&id.0)) {
        for op in &model.service(id).operations {
            for d in &op.depends_on {
                if inside.contains(&d.target.service.0) {
                    entered.insert(d.target.service.0);
                }
            }
        }
    }
    let starts = members
        .iter()
        .filter(|id| model.service(**id).is_entry() || entered.contains(&id.0))
        .chain(members.iter());
    let mut seen: HashSet<u32> = HashSet::new();
    let mut order = Vec::with_capacity(members.len());
    for &start in starts {
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            if !seen.insert(id.0) {
                continue;
            }
            order.push(id);
            let mut next: Vec<ServiceId> = model
                .service(id)
                .operations
                .iter()
                .flat_map(|op| op.depends_on.iter().map(|d| d.target.service))
                .filter(|t| inside.contains(&t.0) && !seen.contains(&t.0))
                .collect();
            next.reverse();
            stack.extend(next);
        }
    }
    order
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

fn weights_or_equal(loads: &[f64]) -> Vec<f64> {
    let total: f64 = loads.iter().sum();
    if total > 0.0 {
        loads.iter().map(|l| l / total).collect()
    } else {
        vec![1.0 / loads.len().max(1) as f64; loads.len()]
    }
}
