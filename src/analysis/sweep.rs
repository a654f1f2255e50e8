//! Every single fault, precomputed for the interactive HTML page of `run`
//! and `review`: the steady state of `--down S` for each service `S`, kept
//! compact, so the page shows what `whatif run MODEL --down S` prints and
//! never computes anything itself. The same sweep ranks services for
//! `whatif blast --engine steady` ([`steady_impacts`]).
//!
//! Each cascade is [`Engine::steady_swept`]: bit for bit the call `whatif
//! run` makes ([`Engine::steady`]), with the fault parsed as the CLI parses
//! `--down S`, so page and CLI cannot disagree; but it copies from the
//! fault-free solve every work and outcome whose inputs the fault left as
//! they were, and computes only the rest (the fault's upstream cone and
//! what that cone sends a different load to). Faults are solved in
//! parallel (rayon) and collected in model order: the result does not
//! depend on the number of threads.
//!
//! Each cascade keeps its affected services' chains compactly ([`Chain`])
//! and shares their explanations ([`Interner`]), so a long cycle, where
//! every fault affects every service along chains as long as the cycle,
//! costs memory linear in the affected services, not quadratic.
//!
//! Each solve still makes its passes over the whole model (cheap next to
//! the distributions it copies), so the sweep stays quadratic: above
//! [`MAX_SWEPT_SERVICES`] services it is skipped, and the page gets
//! the services ranked by blast radius instead (the structural sweep of
//! [`super::spof`], ⌈n/64⌉ linear passes).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::spof::{self, Entry, Impact};
use crate::model::{Model, ServiceId};
use crate::sim::faults::{self, Fault, FaultKind};
use crate::sim::steady::{Engine, Figures, Outcome, State};

/// Models with more services than this get no per-fault cascades (see the
/// module docs). Measured on the development machine (2 cores, release,
/// `whatif generate --services N --seed 1`, whose cascades are wide): with
/// faults solved and explained incrementally the whole `run -o page.html`
/// costs 5–6 s of CPU at 1,000 services and about 30 s at 2,000 (117 s before
/// either), and the page is 56 MB; a 49 MB one opened in a browser in about
/// 5 s (docs/performance.md). Beyond that, making the page takes minutes
/// and opening it strains a browser.
pub const MAX_SWEPT_SERVICES: usize = 2000;

/// The steady state under some faults, reduced to what the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    /// The faults.
    pub faults: Vec<Fault>,
    /// Whether the steady state settled.
    pub converged: bool,
    /// Every service that is not healthy, or is healthy with a reason (a
    /// lost replica, say), in model order, with what the page shows of it.
    /// Every other service is healthy, with nothing to explain.
    pub affected: Vec<Affected>,
    /// The state and success of each entry point, in the order of
    /// [`spof::entries`] (the order of `run`'s JSON `entry_points`).
    pub entry_points: Vec<(State, f64)>,
    /// Services per state: healthy, slow, degraded, down.
    pub summary: [usize; 4],
}

impl Cascade {
    /// Keeps what the page needs of `outcome`.
    pub fn new(entries: &[Entry], faults: &[Fault], outcome: Outcome) -> Cascade {
        Cascade::interned(entries, faults, outcome, &Interner::default())
    }

    /// As [`Cascade::new`], sharing each explanation with every cascade
    /// made with the same `interner` (a sweep's cascades repeat them).
    pub fn interned(
        entries: &[Entry],
        faults: &[Fault],
        outcome: Outcome,
        interner: &Interner,
    ) -> Cascade {
        let mut summary = [0; 4];
        for f in &outcome.services {
            summary[f.state as usize] += 1;
        }
        let entry_points = entries
            .iter()
            .map(|e| {
                let f = match e.operation {
                    Some(o) => &outcome.operations[e.service.index()][o],
                    None => &outcome.services[e.service.index()],
                };
                (f.state, f.success)
            })
            .collect();
        let mut affected: Vec<(ServiceId, Figures)> = outcome
            .services
            .into_iter()
            .enumerate()
            .filter(|(_, f)| f.state != State::Healthy || !f.because.is_empty())
            .map(|(i, f)| (ServiceId(i as u32), f))
            .collect();
        let chains = Chain::compact(&mut affected);
        Cascade {
            faults: faults.to_vec(),
            converged: outcome.converged,
            affected: affected
                .into_iter()
                .zip(chains)
                .map(|((service, f), chain)| Affected {
                    service,
                    state: f.state,
                    success: f.success,
                    latency_s: f.latency_s,
                    load_rps: f.load_rps,
                    because: interner.intern(f.because),
                    chain,
                })
                .collect(),
            entry_points,
            summary,
        }
    }

    /// The chain of an affected service, written out (empty for a
    /// service not affected).
    pub fn chain(&self, id: ServiceId) -> Vec<ServiceId> {
        let Ok(k) = self.affected.binary_search_by_key(&id, |a| a.service) else {
            return Vec::new();
        };
        match &self.affected[k].chain {
            Chain::Empty => Vec::new(),
            Chain::Names(names) => names.clone(),
            Chain::After(before) => {
                let mut chain = self.chain(*before);
                chain.push(id);
                chain
            }
        }
    }

    /// A service's state in this cascade.
    pub fn state(&self, id: ServiceId) -> State {
        self.affected
            .binary_search_by_key(&id, |a| a.service)
            .map_or(State::Healthy, |k| self.affected[k].state)
    }
}

/// One affected service of a [`Cascade`]: what the page shows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Affected {
    /// The service.
    pub service: ServiceId,
    /// Its state.
    pub state: State,
    /// Share of requests that succeed.
    pub success: f64,
    /// Mean latency, seconds.
    pub latency_s: f64,
    /// Attempts per second arriving.
    pub load_rps: f64,
    /// Why (shared with the sweep's other cascades).
    pub because: Arc<str>,
    /// From where the trouble starts to it, compactly.
    pub chain: Chain,
}

/// Explanations shared between cascades (most repeat from fault to fault).
#[derive(Debug, Default)]
pub struct Interner(Mutex<HashSet<Arc<str>>>);

impl Interner {
    fn intern(&self, text: String) -> Arc<str> {
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(t) = set.get(text.as_str()) {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(text);
        set.insert(t.clone());
        t
    }
}

/// The chain of an affected service in a [`Cascade`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// No chain.
    Empty,
    /// The chain of this (affected) service, then the service itself.
    After(ServiceId),
    /// Written out.
    Names(Vec<ServiceId>),
}

impl Chain {
    /// Compacts each affected service's chain (see [`Chain::After`]).
    fn compact(affected: &mut [(ServiceId, Figures)]) -> Vec<Chain> {
        let index: std::collections::HashMap<ServiceId, usize> = affected
            .iter()
            .enumerate()
            .map(|(k, (id, _))| (*id, k))
            .collect();
        let chains: Vec<Chain> = affected
            .iter()
            .map(|(id, f)| {
                let chain = f.chain.as_slice();
                let n = chain.len();
                if n == 0 {
                    Chain::Empty
                } else if n >= 2
                    && chain[n - 1] == *id
                    && index
                        .get(&chain[n - 2])
                        .is_some_and(|&k| affected[k].1.chain == chain[..n - 1])
                {
                    Chain::After(chain[n - 2])
                } else {
                    Chain::Names(chain.to_vec())
                }
            })
            .collect();
        for (_, f) in affected.iter_mut() {
            f.chain = Vec::new();
        }
        chains
    }
}

/// What the page can offer for a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Sweep {
    /// The `--down` cascade of every service, in model order.
    Every(Vec<Cascade>),
    /// Too many services (above [`MAX_SWEPT_SERVICES`]): every service
    /// ranked by blast radius ([`spof::ranked`]) instead.
    Ranked(Vec<Impact>),
}

/// The fault `--down NAME` for a service, parsed as the CLI parses it.
pub fn down(model: &Model, id: ServiceId) -> Fault {
    faults::parse(FaultKind::Down, &model.service(id).name, model)
        .expect("a service's own name is a valid --down target")
}

/// Every service's `--down` cascade, or the blast ranking when the model
/// has more than [`MAX_SWEPT_SERVICES`] services.
pub fn sweep(model: &Model, engine: &Engine) -> Sweep {
    if model.services().len() > MAX_SWEPT_SERVICES {
        let graph = crate::graph::Graph::build(model);
        return Sweep::Ranked(spof::ranked(model, spof::impacts(model, &graph)));
    }
    let entries = spof::entries(model);
    let ids: Vec<ServiceId> = model.service_ids().collect();
    let interner = Interner::default();
    Sweep::Every(
        ids.par_iter()
            .map(|&id| {
                let faults = [down(model, id)];
                Cascade::interned(&entries, &faults, engine.steady_swept(&faults), &interner)
            })
            .collect(),
    )
}

/// Every service's impact when it fails alone, by the steady state: what
/// `whatif run MODEL --down S` shows for each `S`, in model order (the
/// ranking of `whatif blast --engine steady`; rank with [`spof::ranked`]).
///
/// Unlike the structural sweep of [`spof::impacts`], this sees load: a
/// cache whose database cannot carry the misses, a retry storm, a pool held
/// by a slow call. Per service: `down` counts the other services down,
/// `degraded` the others slow or degraded, `entries_down` the entry points
/// down, and `rps_lost` the entry requests that fail (rps × (1 − success),
/// each entry service counted once, by its operations when it declares
/// them). The second list names the faults whose steady state did not
/// settle. Quadratic, like [`sweep`]; `progress(done, total)` is called as
/// services finish (from several threads).
pub fn steady_impacts(
    model: &Model,
    engine: &Engine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> (Vec<Impact>, Vec<ServiceId>) {
    let entries = spof::entries(model);
    let ids: Vec<ServiceId> = model.service_ids().collect();
    let total = ids.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let solved: Vec<(Impact, bool)> = ids
        .par_iter()
        .map(|&id| {
            let outcome = engine.steady_swept(&[down(model, id)]);
            let mut down_count = 0;
            let mut degraded = 0;
            for (s, f) in outcome.services.iter().enumerate() {
                match f.state {
                    _ if s == id.index() => {}
                    State::Down => down_count += 1,
                    State::Slow | State::Degraded => degraded += 1,
                    State::Healthy => {}
                }
            }
            let figures = |e: &Entry| match e.operation {
                Some(o) => &outcome.operations[e.service.index()][o],
                None => &outcome.services[e.service.index()],
            };
            let entries_down: Vec<usize> = (0..entries.len())
                .filter(|&k| figures(&entries[k]).state == State::Down)
                .collect();
            let rps_lost = entries
                .iter()
                .filter(|e| e.operation.is_some() || !model.service(e.service).declares_operations)
                .map(|e| {
                    let failing = 1.0 - figures(e).success.clamp(0.0, 1.0);
                    // Rounding in the solver is not lost traffic.
                    if failing < 1e-9 { 0.0 } else { e.rps * failing }
                })
                .sum::<f64>()
                // An empty float sum is -0.0, which prints as "-0%".
                + 0.0;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            (
                Impact {
                    service: id,
                    down: down_count,
                    degraded,
                    entries_down,
                    rps_lost,
                },
                outcome.converged,
            )
        })
        .collect();
    let unsettled = solved
        .iter()
        .filter(|(_, converged)| !converged)
        .map(|(i, _)| i.service)
        .collect();
    (solved.into_iter().map(|(i, _)| i).collect(), unsettled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared baseline changes nothing: each swept cascade is what
    /// `Engine::steady` (the CLI's `run`) gives for that fault.
    #[test]
    fn the_sweep_is_the_cli_engine_on_every_example() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let m = crate::model::load_file(&file.unwrap().path())
                .unwrap()
                .model;
            let engine = Engine::new(&m);
            let entries = spof::entries(&m);
            let Sweep::Every(all) = sweep(&m, &engine) else {
                panic!("{} is small", m.name);
            };
            assert_eq!(all.len(), m.services().len());
            for (id, cascade) in m.service_ids().zip(&all) {
                let faults = [down(&m, id)];
                let outcome = engine.steady(&faults);
                for s in m.service_ids() {
                    let f = &outcome.services[s.index()];
                    if cascade.state(s) != State::Healthy || !f.because.is_empty() {
                        assert_eq!(cascade.chain(s), f.chain);
                    }
                    assert_eq!(
                        cascade.state(s),
                        outcome.services[s.index()].state,
                        "{} --down {}: {}",
                        m.name,
                        m.service(id).name,
                        m.service(s).name
                    );
                }
                assert_eq!(*cascade, Cascade::new(&entries, &faults, outcome));
            }
        }
    }

    #[test]
    fn big_models_get_the_blast_ranking() {
        let text = crate::model::generate::generate(crate::model::generate::Spec {
            services: MAX_SWEPT_SERVICES + 1,
            seed: 1,
        });
        let m = crate::model::load_str(&text, "big.yaml").unwrap().model;
        match sweep(&m, &Engine::new(&m)) {
            Sweep::Ranked(r) => assert_eq!(r.len(), MAX_SWEPT_SERVICES + 1),
            Sweep::Every(_) => panic!("swept {} services", m.services().len()),
        }
    }
}
