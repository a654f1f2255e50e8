//! What the fault-free solve computed, by input, so that a solve under one
//! fault computes only what the fault changes — and gets, bit for bit, what
//! the full solve gets (the single-fault sweeps: the HTML page, `whatif
//! diff`, `blast --engine steady`, drill candidates, diagnose).
//!
//! The expensive part of a pass is each context's *work* (its own time,
//! then its calls, as distributions) and *outcome* (that work through its
//! service's admission). Both are pure functions of a few inputs: the work
//! of what the context's calls land in (outcomes, or a re-entered
//! operation's being down) and its breakers' open bits; the outcome of the
//! work and the admission's waits and failure shares. The fault-free solve
//! records every value it computes, per context, under a *version* number,
//! and the inputs it computed it from, as the versions of those inputs.
//!
//! A faulted solve runs the same passes in the same order (so the number of
//! passes, the breaker rounds and the convergence test are the full
//! solve's), but before computing a work or an outcome it looks its inputs
//! up: when the fault-free solve met the same inputs (same versions, same
//! admission bits) it copies the value (nothing, when the context already
//! holds it: a version names one value). Any value it computes itself is
//! compared, bit for bit, with the context's recorded values, so that a
//! context whose inputs changed but whose answer did not (a load moved, the
//! waits did not) lets its callers hit again. A fault can so only cost the
//! contexts whose inputs it changed: its upstream cone, and what that cone
//! sends a different load to.
//!
//! Work also depends on the faults themselves in three ways the versions do
//! not see: a slowed service's own time (its contexts never look their
//! work up), a cut link and a cold cache (solves with those faults do not
//! use the memo at all: [`Engine::steady_swept`] falls back to the full
//! solve).

use std::sync::Arc;

use smallvec::SmallVec;

use super::admission::Admission;
use super::contexts::Dest;
use super::{Conditions, EdgeFlow, Engine, Situation, Solved};
use crate::sim::dist::Dist;
use crate::sim::dists::Dists;

/// The version of a value the fault-free solve never computed.
const UNKNOWN: u32 = u32::MAX;

/// A work's inputs: per call, its breaker's open bit, then the version of
/// each destination's outcome (or a re-entered operation's down bit), for
/// the main target and then the alternative.
type WorkKey = SmallVec<[u32; 24]>;

/// An outcome's inputs: the work's version and the bits of the admission
/// fields [`Admission::outcome`] reads.
type OutcomeKey = [u64; 10];

/// Values one context took in the fault-free solve, with the inputs that
/// gave them.
#[derive(Debug, Clone)]
struct Table<K, V> {
    /// Inputs met, each with the version of the value they gave.
    keys: Vec<(K, u32)>,
    /// Distinct values (bit for bit), by version.
    values: Vec<V>,
}

impl<K: PartialEq, V> Table<K, V> {
    fn with(values: Vec<V>) -> Self {
        Table {
            keys: Vec::new(),
            values,
        }
    }

    fn find(&self, key: &K) -> Option<u32> {
        // Keys are distinct; the last met are the likeliest (the
        // fault-free solve's last passes are where most faults end up).
        self.keys
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }

    fn remember(&mut self, key: K, version: u32) {
        if self.find(&key).is_none() {
            self.keys.push((key, version));
        }
    }
}

/// A context's work with the flows of its calls (their rates excepted,
/// which the load pass sets).
#[derive(Debug, Clone)]
struct WorkValue {
    work: Dist,
    flows: Box<[EdgeFlow]>,
}

/// Every work and outcome of the fault-free solve, per context.
#[derive(Debug, Clone)]
pub(crate) struct Memo {
    works: Vec<Table<WorkKey, WorkValue>>,
    outcomes: Vec<Table<OutcomeKey, Dist>>,
}

/// Whether a solve writes the memo (the fault-free one) or reads it.
#[derive(Debug, Clone)]
enum Use {
    Record(Memo),
    Reuse(Arc<Memo>),
}

/// A solve's use of the memo, with the version each context's current
/// work and outcome have in it.
#[derive(Debug, Clone)]
pub(crate) struct Tracking {
    memo: Use,
    work_version: Vec<u32>,
    outcome_version: Vec<u32>,
    /// Per service: its own time differs from the fault-free one (slowed),
    /// so its contexts' work is never looked up.
    own_changed: Vec<bool>,
    /// Works and outcomes found in the memo (copied, or already held), and
    /// computed.
    copied: usize,
    computed: usize,
}

impl Tracking {
    /// For the fault-free solve: records everything. Every context starts
    /// at the outcome [`Solved`] starts it with.
    pub(crate) fn record(engine: &Engine) -> Tracking {
        let n = engine.contexts.ctxs.len();
        Tracking {
            memo: Use::Record(Memo {
                works: vec![Table::with(Vec::new()); n],
                outcomes: vec![Table::with(vec![Dist::ok(0.0)]); n],
            }),
            work_version: vec![UNKNOWN; n],
            outcome_version: vec![0; n],
            own_changed: vec![false; engine.model.services().len()],
            copied: 0,
            computed: 0,
        }
    }

    /// For a solve under faults without cuts or cold caches.
    pub(crate) fn reuse(memo: Arc<Memo>, cond: &Conditions) -> Tracking {
        let n = memo.outcomes.len();
        Tracking {
            memo: Use::Reuse(memo),
            work_version: vec![UNKNOWN; n],
            outcome_version: vec![0; n],
            own_changed: cond.slow.iter().map(|s| !s.is_empty()).collect(),
            copied: 0,
            computed: 0,
        }
    }

    /// The recorded memo (after a recording solve).
    pub(crate) fn into_memo(self) -> Option<Memo> {
        match self.memo {
            Use::Record(m) => Some(m),
            Use::Reuse(_) => None,
        }
    }
}

/// A flow's bits, its rate aside (the load pass's, not the work's).
fn flow_bits(f: &EdgeFlow) -> [u64; 14] {
    EdgeFlow { rate: 0.0, ..*f }.bits()
}

fn outcome_key(work_version: u32, a: &Admission) -> OutcomeKey {
    [
        u64::from(work_version),
        u64::from(a.refused),
        u64::from(a.wait_fixed),
        a.hung.to_bits(),
        a.errors.to_bits(),
        a.block.to_bits(),
        a.p_wait.to_bits(),
        a.wait.to_bits(),
        a.other_p_wait.to_bits(),
        a.other_wait.to_bits(),
    ]
}

impl Engine<'_> {
    /// Sets a context's work (and its calls' flows, in `s.flows`): copied
    /// from the memo when the fault-free solve met the same inputs, else
    /// computed. Returns whether the work's atoms changed.
    pub(super) fn tracked_work(
        &self,
        c: usize,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        s: &mut Solved,
    ) -> bool {
        let Some(mut t) = s.tracking.take() else {
            let work = self.work(c, cond, situation, own, s);
            return s.work.replace(c, &work);
        };
        let key = self.work_key(c, &t, s);
        let calls = self.contexts.ctxs[c].calls.clone();
        let calls = calls.start as usize..calls.end as usize;
        let hit = match (&t.memo, &key) {
            (Use::Reuse(m), Some(k)) if !t.own_changed[self.contexts.ctxs[c].service.index()] => {
                m.works[c].find(k).map(|v| (v, m))
            }
            _ => None,
        };
        let changed = if let Some((v, m)) = hit {
            t.copied += 1;
            if t.work_version[c] == v {
                // The value it holds (a version names one value, bit for
                // bit), flows and all. The old comparison could only differ
                // for atoms holding NaN, which no distribution does.
                false
            } else {
                let value = &m.works[c].values[v as usize];
                for (flow, remembered) in s.flows[calls.clone()].iter_mut().zip(&value.flows) {
                    *flow = EdgeFlow {
                        rate: flow.rate,
                        ..*remembered
                    };
                }
                t.work_version[c] = v;
                s.work.replace(c, &value.work)
            }
        } else {
            let work = self.work(c, cond, situation, own, s);
            t.computed += 1;
            let flows = &s.flows[calls];
            let table = match &t.memo {
                Use::Record(m) => &m.works[c],
                Use::Reuse(m) => &m.works[c],
            };
            let same = table.values.iter().position(|v| {
                v.work.same_bits(&work)
                    && v.flows.len() == flows.len()
                    && v.flows
                        .iter()
                        .zip(flows)
                        .all(|(a, b)| flow_bits(a) == flow_bits(b))
            });
            let version = match (&mut t.memo, same) {
                (Use::Record(m), found) => {
                    let table = &mut m.works[c];
                    let v = found.unwrap_or_else(|| {
                        table.values.push(WorkValue {
                            work,
                            flows: flows.into(),
                        });
                        table.values.len() - 1
                    }) as u32;
                    if let Some(k) = key {
                        table.remember(k, v);
                    }
                    v
                }
                (Use::Reuse(_), found) => found.map_or(UNKNOWN, |v| v as u32),
            };
            t.work_version[c] = version;
            s.work.replace(c, &work)
        };
        s.tracking = Some(t);
        changed
    }

    /// Sets what a context's callers get (its work through its service's
    /// admission), from the memo when the fault-free solve met the same,
    /// and whether that changed (`s.ctx_changed`).
    pub(super) fn tracked_outcome(&self, c: usize, a: &Admission, s: &mut Solved) {
        let Some(t) = s.tracking.as_mut() else {
            let d = a.outcome(&s.work.get(c));
            s.ctx_changed[c] = s.ctx_dist.replace(c, &d);
            return;
        };
        let key = (t.work_version[c] != UNKNOWN).then(|| outcome_key(t.work_version[c], a));
        if let (Use::Reuse(m), Some(k)) = (&t.memo, &key)
            && let Some(v) = m.outcomes[c].find(k)
        {
            t.copied += 1;
            s.ctx_changed[c] = t.outcome_version[c] != v
                && s.ctx_dist.replace(c, &m.outcomes[c].values[v as usize]);
            t.outcome_version[c] = v;
            return;
        }
        let d = a.outcome(&s.work.get(c));
        t.computed += 1;
        let found = match &t.memo {
            Use::Record(m) => &m.outcomes[c],
            Use::Reuse(m) => &m.outcomes[c],
        }
        .values
        .iter()
        .position(|v| v.same_bits(&d));
        t.outcome_version[c] = match &mut t.memo {
            Use::Record(m) => {
                let table = &mut m.outcomes[c];
                let v = found.unwrap_or_else(|| {
                    table.values.push(d);
                    table.values.len() - 1
                }) as u32;
                if let Some(k) = key {
                    table.remember(k, v);
                }
                v
            }
            Use::Reuse(_) => found.map_or(UNKNOWN, |v| v as u32),
        };
        s.ctx_changed[c] = s.ctx_dist.replace(c, &d);
    }

    /// The versions of what a context's work reads, or `None` when one of
    /// them is a value the fault-free solve never had.
    fn work_key(&self, c: usize, t: &Tracking, s: &Solved) -> Option<WorkKey> {
        let mut key = WorkKey::new();
        for call_idx in self.contexts.ctxs[c].calls.clone() {
            let e = self.call_edge[call_idx as usize] as usize;
            key.push(u32::from(s.open.contains(&e)));
            let call = &self.contexts.calls[call_idx as usize];
            for r in [call.main.clone(), call.alt.clone()] {
                for (d, _) in &self.contexts.dests[r.start as usize..r.end as usize] {
                    let v = match *d {
                        Dest::Ctx(t2) => t.outcome_version[t2 as usize],
                        Dest::ReEntry(op) => u32::from(s.down[op as usize]),
                    };
                    if v == UNKNOWN {
                        return None;
                    }
                    key.push(v);
                }
            }
        }
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::sim::faults::{Fault, FaultKind, parse};
    use crate::sim::steady::{Figures, Outcome};

    /// The first difference between two outcomes, comparing every figure
    /// bit for bit and every explanation as text.
    fn difference(a: &Outcome, b: &Outcome) -> Option<String> {
        let figures = |x: &Figures, y: &Figures| {
            x.state == y.state
                && x.success.to_bits() == y.success.to_bits()
                && x.latency_s.to_bits() == y.latency_s.to_bits()
                && x.p99_s.to_bits() == y.p99_s.to_bits()
                && x.load_rps.to_bits() == y.load_rps.to_bits()
                && x.amplification.to_bits() == y.amplification.to_bits()
                && x.because == y.because
                && x.chain == y.chain
        };
        if (a.converged, a.iterations) != (b.converged, b.iterations) {
            return Some(format!(
                "passes {:?} vs {:?}",
                (a.converged, a.iterations),
                (b.converged, b.iterations)
            ));
        }
        for (i, (x, y)) in a.services.iter().zip(&b.services).enumerate() {
            if !figures(x, y) {
                return Some(format!("service {i}: {x:?} vs {y:?}"));
            }
        }
        for (i, (x, y)) in a
            .operations
            .iter()
            .flatten()
            .zip(b.operations.iter().flatten())
            .enumerate()
        {
            if !figures(x, y) {
                return Some(format!("operation {i}: {x:?} vs {y:?}"));
            }
        }
        // Debug prints every f64 in full (shortest round-trip form, sign of
        // zero included), so equal text is equal bits.
        if format!("{:?}", a.edges) != format!("{:?}", b.edges) {
            return Some("edges".into());
        }
        if format!("{:?}", a.admission) != format!("{:?}", b.admission) {
            return Some("admission".into());
        }
        None
    }

    /// Every single fault a sweep makes, and slow and errors besides.
    fn single_faults(m: &Model) -> Vec<Fault> {
        let mut faults = Vec::new();
        for s in m.services() {
            let name = &s.name;
            faults.push(parse(FaultKind::Down, name, m).unwrap());
            faults.push(parse(FaultKind::Hang, name, m).unwrap());
            faults.push(parse(FaultKind::Slow, &format!("{name}=x10"), m).unwrap());
            faults.push(parse(FaultKind::Errors, &format!("{name}=30%"), m).unwrap());
        }
        for z in &m.zones {
            if let Ok(f) = parse(FaultKind::Down, &format!("zone:{z}"), m) {
                faults.push(f);
            }
        }
        faults
    }

    fn check(m: &Model) -> usize {
        let engine = Engine::new(m);
        let faults = single_faults(m);
        for f in &faults {
            let full = engine.steady(std::slice::from_ref(f));
            let swept = engine.steady_swept(std::slice::from_ref(f));
            if let Some(d) = difference(&full, &swept) {
                panic!("{} {}: {d}", m.name, f.as_flag());
            }
        }
        faults.len()
    }

    /// Every example model.
    fn examples() -> Vec<Model> {
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
            .unwrap()
            .map(|f| crate::model::load_file(&f.unwrap().path()).unwrap().model)
            .collect()
    }

    /// `whatif generate --services N --seed S`'s model.
    fn generated(services: usize, seed: u64) -> Model {
        let text =
            crate::model::generate::generate(crate::model::generate::Spec { services, seed });
        crate::model::load_str(&text, "g.yaml").unwrap().model
    }

    /// The swept solve is the full solve, bit for bit, for every single
    /// fault of every example.
    #[test]
    fn the_swept_solve_is_the_full_solve_on_every_example() {
        for m in examples() {
            assert!(check(&m) > 0);
        }
    }

    /// … and of generated models (with breakers, retries, caches,
    /// failovers and zones).
    #[test]
    fn the_swept_solve_is_the_full_solve_on_generated_models() {
        for (services, seed) in [(40, 1), (60, 2), (80, 3)] {
            check(&generated(services, seed));
        }
    }

    /// Drill and diagnose solve pairs of faults, and surges, the same way.
    #[test]
    fn the_swept_solve_is_the_full_solve_for_pairs_and_surges() {
        for name in ["online-shop.yaml", "checkout-retries.yaml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name);
            let m = crate::model::load_file(&path).unwrap().model;
            let engine = Engine::new(&m);
            let surge = parse(FaultKind::Surge, "x1.5", &m).unwrap();
            let singles = single_faults(&m);
            for (i, a) in singles.iter().enumerate() {
                for b in singles.iter().skip(i + 1).step_by(7).chain([&surge]) {
                    let pair = [a.clone(), b.clone()];
                    if let Some(d) = difference(&engine.steady(&pair), &engine.steady_swept(&pair))
                    {
                        panic!("{name} {} {}: {d}", a.as_flag(), b.as_flag());
                    }
                }
            }
        }
    }

    /// Has every change of the open breakers forget every work, as the
    /// engine once did, until dropped (also when a comparison panics). The
    /// switch is global: tests running meanwhile take the old path too,
    /// which gives the same answers.
    struct InvalidatingAll;

    impl InvalidatingAll {
        fn on() -> InvalidatingAll {
            super::super::INVALIDATE_ALL.store(true, std::sync::atomic::Ordering::Relaxed);
            InvalidatingAll
        }
    }

    impl Drop for InvalidatingAll {
        fn drop(&mut self) {
            super::super::INVALIDATE_ALL.store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// A round that opens breakers, recomputing only the calls over them,
    /// gets what forgetting every work got, bit for bit: for every single
    /// fault of every example and of generated models (many of which open
    /// breakers), and along timelines, whose steps start from the step
    /// before with breakers held open or closing. (On these timelines the
    /// breakers a step closes at its start open again in the same step, so
    /// the test below is the one that tells a step's start apart.)
    #[test]
    fn a_round_opening_breakers_gets_what_forgetting_every_work_got() {
        use crate::sim::timeline::{Event, Options, simulate};
        let mut models = examples();
        models.extend([generated(60, 2), generated(80, 3)]);
        let mut opened = 0;
        for m in &models {
            let faults = single_faults(m);
            let solve_all = || {
                let engine = Engine::new(m);
                faults
                    .iter()
                    .map(|f| engine.steady(std::slice::from_ref(f)))
                    .collect::<Vec<Outcome>>()
            };
            let everything = {
                let _old = InvalidatingAll::on();
                solve_all()
            };
            let targeted = solve_all();
            for ((f, a), b) in faults.iter().zip(&everything).zip(&targeted) {
                if let Some(d) = difference(a, b) {
                    panic!("{} {}: {d}", m.name, f.as_flag());
                }
                opened += usize::from(b.edges.iter().any(|e| e.breaker_open));
            }
        }
        assert!(opened > 20, "only {opened} faults open a breaker");
        // Timelines: the first `--down` of each example, 10 minutes in 10 s
        // steps (breakers open, hold, half-open and close).
        let options = Options {
            duration_s: 600.0,
            step_s: 10.0,
        };
        for m in &models {
            let down = parse(FaultKind::Down, &m.services()[0].name, m).unwrap();
            let events = Event::from_start(&[down]);
            let everything = {
                let _old = InvalidatingAll::on();
                simulate(m, &events, options)
            };
            let targeted = simulate(m, &events, options);
            assert_eq!(
                format!("{everything:?}"),
                format!("{targeted:?}"),
                "{}: the timelines differ",
                m.name
            );
        }
    }

    /// A step that starts from one whose solve opened a breaker starts with
    /// it closed again, and recomputes the calls over it: here the breaker
    /// opened on an overloaded `api`; with two more replicas the next step
    /// finds it healthy, and `web` with it.
    #[test]
    fn a_step_after_a_breaker_opened_starts_with_it_closed() {
        let m = crate::model::load_str(
            "services:
  web:
    entry: { rps: 800 }
    depends_on:
      - { to: api, timeout: 100ms, circuit_breaker: { threshold: 50%, open_for: 30s } }
  api: { replicas: 1, capacity: 500, latency: 20ms }
",
            "m.yaml",
        )
        .unwrap()
        .model;
        let steps = || {
            let engine = Engine::new(&m);
            let first = Situation::at_fault_start(&m, &[]);
            let (overloaded, warm) = engine.evaluate_from(&[], &first, engine.baseline(), None);
            let mut scaled = first.clone();
            scaled.extra_replicas = vec![0; 2];
            scaled.extra_replicas[m.find("api").unwrap().index()] = 2;
            let (healthy, _) = engine.evaluate_from(&[], &scaled, engine.baseline(), Some(&warm));
            (overloaded, healthy)
        };
        let old = {
            let _old = InvalidatingAll::on();
            steps()
        };
        let (overloaded, healthy) = steps();
        assert!(overloaded.edges[0].breaker_open);
        assert!(!healthy.edges[0].breaker_open);
        let web = m.find("web").unwrap().index();
        assert_eq!(
            healthy.services[web].state,
            crate::sim::steady::State::Healthy
        );
        assert!(difference(&old.0, &overloaded).is_none());
        assert!(difference(&old.1, &healthy).is_none());
    }

    /// The memo does its work: under one fault, most works and outcomes
    /// are copied, not computed. (A round that opens breakers recomputes
    /// only the calls over them, so it no longer copies everything again:
    /// on this model 12,016 copied against 4,345 computed, where it was
    /// 18,134 against 5,095 when each round started afresh.)
    #[test]
    fn a_swept_solve_copies_what_the_fault_does_not_reach() {
        let m = generated(60, 2);
        let engine = Engine::new(&m);
        let (mut copied, mut computed) = (0, 0);
        for id in m.service_ids() {
            let faults = [parse(FaultKind::Down, &m.service(id).name, &m).unwrap()];
            let cond = Conditions::new(&m, &faults);
            let tracking = Tracking::reuse(engine.memo().clone(), &cond);
            let situation = Situation::at_fault_start(&m, &faults);
            let s = engine.solve(&faults, &cond, &situation, None, Some(Box::new(tracking)));
            let t = s.tracking.unwrap();
            copied += t.copied;
            computed += t.computed;
        }
        assert!(
            copied > 2 * computed,
            "{copied} copied, {computed} computed"
        );
    }
}
