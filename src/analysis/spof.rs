//! Single points of failure and blast radius: what one service's failure as
//! a whole (a bad deploy, a crash loop) takes down under the structural
//! rules.
//!
//! - **Blast radius** ([`impacts`]): services fail 64 at a time, one per
//!   lane, and the failure is pushed only to the nodes it reaches
//!   ([`SparseLanes`]: callers in topological order through a heap), each
//!   batch counting and clearing just what it touched. The work is the sum
//!   of the up-cones over 64, not services × graph; where the cones are so
//!   wide that a batch reaches a quarter of the graph, one dense pass per
//!   batch is cheaper, and the batch switches to it (same lanes).
//! - **Single points of failure** ([`single_points`]): the order-1 minimal
//!   cut sets of each entry point when every service is one event
//!   ([`super::mincut`]): a walk of the entry's down-cone, with failover
//!   pairs, caches and multi-operation services as intersections of their
//!   inputs' killer sets, computed callees first.

use rayon::prelude::*;

use super::mincut::{Circuit, Solver, WholeServices, top_of};
use crate::graph::Graph;
use crate::model::{Model, ServiceId};
use crate::sim::faults::{Fault, Scope};
use crate::sim::structural::{Health, SparseLanes, StructuralFaults, WideLanes, evaluate};

/// An entry point: an entry service, or an entry operation of a service
/// that declares operations.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `web` or `api.login`.
    pub name: String,
    /// The service.
    pub service: ServiceId,
    /// The operation, for entry operations.
    pub operation: Option<usize>,
    /// Its user traffic, requests per second.
    pub rps: f64,
}

/// Entry services, then their entry operations (services that declare
/// operations), in model order.
pub fn entries(model: &Model) -> Vec<Entry> {
    let mut out: Vec<Entry> = model
        .entry_points()
        .map(|id| Entry {
            name: model.service(id).name.clone(),
            service: id,
            operation: None,
            rps: model.service(id).entry_rps().unwrap_or(0.0),
        })
        .collect();
    for id in model.entry_points() {
        let s = model.service(id);
        if s.declares_operations {
            for (oi, op) in s.operations.iter().enumerate() {
                if let Some(rps) = op.rps {
                    out.push(Entry {
                        name: s.operation_name(oi),
                        service: id,
                        operation: Some(oi),
                        rps,
                    });
                }
            }
        }
    }
    out
}

/// What one service's failure does.
#[derive(Debug, Clone, PartialEq)]
pub struct Impact {
    /// The failed service.
    pub service: ServiceId,
    /// Other services it takes down.
    pub down: usize,
    /// Other services it degrades (not down).
    pub degraded: usize,
    /// Indices into [`entries`] of the entry points it takes down.
    pub entries_down: Vec<usize>,
    /// Entry traffic lost: the rps of the entry operations it takes down
    /// (of entry services without declared operations, their traffic).
    pub rps_lost: f64,
}

/// Every service's impact when it fails alone, in model order.
///
/// Services fail in batches of [`BATCH`] (one per lane). A batch whose
/// first 64 failures stay local is pushed node by node ([`SparseLanes`]:
/// O(up-cones ÷ 64)); one whose failures reach more than an eighth of the
/// graph makes one pass of 256-lane words instead ([`WideLanes`]: O(V + E)
/// per 256 failures) — the same lanes either way. Down and degraded
/// services are counted per lane with bit-sliced counters. So a model of
/// local failures costs the sum of its up-cones ÷ 64, and one whose every
/// failure is wide at most n ÷ 256 passes. Batches run on every core
/// (rayon); the result does not depend on their number.
///
/// ```
/// let text = "services:\n  web: { entry: { rps: 5 }, depends_on: [api] }\n  api: { depends_on: [db] }\n  db: {}\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let db = &whatif::analysis::spof::impacts(&model, &graph)[2];
/// assert_eq!((db.down, db.entries_down.as_slice(), db.rps_lost), (2, &[0][..], 5.0));
/// ```
pub fn impacts(model: &Model, graph: &Graph) -> Vec<Impact> {
    impacts_with_progress(model, graph, &|_, _| {})
}

/// [`impacts`], calling `progress(done, total)` with the services done, as
/// batches finish (from worker threads).
pub fn impacts_with_progress(
    model: &Model,
    graph: &Graph,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Vec<Impact> {
    let n = model.services().len();
    let entries = entries(model);
    let tops: Vec<usize> = entries
        .iter()
        .map(|e| top_of(graph, e.service, e.operation))
        .collect();
    // Entry traffic: each entry service once, by its operations when it
    // declares them.
    let counted: Vec<bool> = entries
        .iter()
        .map(|e| e.operation.is_some() || !model.service(e.service).declares_operations)
        .collect();
    let ids: Vec<ServiceId> = model.service_ids().collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    ids.par_chunks(BATCH)
        .map_init(
            || Batch::new(graph),
            |work, chunk| {
                let counts = work.fail(graph, chunk, &tops);
                let out: Vec<Impact> = chunk
                    .iter()
                    .zip(counts)
                    .map(|(&service, (down, bad, entries_down))| {
                        // An empty float sum is -0.0, which prints as "-0%".
                        let rps_lost = entries_down
                            .iter()
                            .filter(|&&k| counted[k])
                            .map(|&k| entries[k].rps)
                            .sum::<f64>()
                            + 0.0;
                        // The failed service itself is not counted.
                        Impact {
                            service,
                            down: down - 1,
                            degraded: bad - down,
                            entries_down,
                            rps_lost,
                        }
                    })
                    .collect();
                let d = done.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
                progress(d + chunk.len() as u64, n as u64);
                out
            },
        )
        .flatten()
        .collect()
}

/// Words per node of a wide pass.
const WIDE: usize = 4;

/// Failures per batch: the lanes of one wide pass.
const BATCH: usize = 64 * WIDE;

/// One worker's lanes (see [`impacts`]).
struct Batch {
    sparse: SparseLanes,
    wide: WideLanes<WIDE>,
    /// Always make the wide pass (tests).
    always_wide: bool,
}

/// Per failed service: services down (itself included), services degraded
/// or down, and the entry points lost (indices into the tops).
type Counts = Vec<(usize, usize, Vec<usize>)>;

impl Batch {
    fn new(graph: &Graph) -> Batch {
        Batch {
            sparse: SparseLanes::new(graph),
            wide: WideLanes::default(),
            always_wide: false,
        }
    }

    /// Fails `seeds[i]` in lane `i` (at most [`BATCH`]) and counts what goes
    /// down with each: 64 at a time node by node, as long as the parts left
    /// would reach at most half the graph at the rate of the current one
    /// (pushing a node costs about twice a node of a wide pass); a part
    /// that reaches more is given up there, and it and the seeds left go
    /// in one wide pass.
    fn fail(&mut self, graph: &Graph, seeds: &[ServiceId], tops: &[usize]) -> Counts {
        let n = graph.service_count();
        let mut out: Counts = Vec::with_capacity(seeds.len());
        for part in seeds.chunks(64) {
            let parts_left = (seeds.len() - out.len()).div_ceil(64);
            let limit = graph.node_count() / 2 / parts_left;
            if self.always_wide || !self.sparse.fail_services_within(graph, part, limit) {
                break;
            }
            let (mut down, mut bad) = (LaneCounter::default(), LaneCounter::default());
            for &v in self.sparse.touched() {
                if (v as usize) < n {
                    let (d, b) = self.sparse.lanes(v as usize);
                    down.add(d);
                    bad.add(b);
                }
            }
            let words: Vec<u64> = tops.iter().map(|&t| self.sparse.lanes(t).0).collect();
            out.extend(counts(part.len(), &down, &bad, &words));
        }
        if out.len() == seeds.len() {
            return out;
        }
        let rest = &seeds[out.len()..];
        self.wide.fail_services(graph, rest);
        for (w, part) in rest.chunks(64).enumerate() {
            let (mut down, mut bad) = (LaneCounter::default(), LaneCounter::default());
            for cell in &self.wide.cells[..n] {
                down.add(cell.down[w]);
                bad.add(cell.bad[w]);
            }
            let words: Vec<u64> = tops.iter().map(|&t| self.wide.cells[t].down[w]).collect();
            out.extend(counts(part.len(), &down, &bad, &words));
        }
        out
    }
}

/// Per lane of one word: (down, degraded or down, entries lost), from the
/// counters and each top's down word.
fn counts(lanes: usize, down: &LaneCounter, bad: &LaneCounter, tops: &[u64]) -> Counts {
    let mut lost: Vec<Vec<usize>> = vec![Vec::new(); lanes];
    for (k, &word) in tops.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            lost[word.trailing_zeros() as usize].push(k);
            word &= word - 1;
        }
    }
    lost.into_iter()
        .enumerate()
        .map(|(lane, l)| (down.count(lane), bad.count(lane), l))
        .collect()
}

/// 64 counters in bit slices: plane `i` holds bit `i` of every lane's
/// count, so adding a word is a ripple of carries (two operations on
/// average) instead of one increment per set bit.
#[derive(Debug, Clone, Copy, Default)]
struct LaneCounter {
    planes: [u64; 32],
}

impl LaneCounter {
    /// Adds 1 to the count of every lane set in `word`.
    #[inline]
    fn add(&mut self, mut word: u64) {
        for plane in &mut self.planes {
            if word == 0 {
                return;
            }
            let carry = *plane & word;
            *plane ^= word;
            word = carry;
        }
    }

    /// The count of one lane.
    fn count(&self, lane: usize) -> usize {
        self.planes
            .iter()
            .enumerate()
            .map(|(i, p)| ((p >> lane) as usize & 1) << i)
            .sum()
    }
}

/// Per entry point (see [`entries`]), its single points of failure: the
/// services whose failure alone takes it down, the entry itself excluded,
/// sorted by name.
///
/// Computed as the order-1 minimal cut sets of each entry's `down`
/// ([`super::mincut`]): one walk of each entry's down-cone, plus the
/// killer sets of the gates it reaches (failover pairs and caches: both
/// sides must fail; multi-operation services: every operation), each the
/// intersection of its inputs' sets, computed callees first. Complexity:
/// O(V + E) for the circuit plus O(cone) per entry point and gate input.
///
/// ```
/// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: db, fallback: { to: standby } }, auth] }\n  db: {}\n  standby: {}\n  auth: { depends_on: [users] }\n  users: {}\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let points = whatif::analysis::spof::single_points(&model, &graph);
/// let names: Vec<&str> = points[0].1.iter().map(|&s| model.service(s).name.as_str()).collect();
/// assert_eq!(names, ["auth", "users"]);
/// ```
pub fn single_points(model: &Model, graph: &Graph) -> Vec<(Entry, Vec<ServiceId>)> {
    let entries = entries(model);
    let circuit = Circuit::new(graph);
    let mut solver = Solver::new(&circuit, &WholeServices, 1);
    let tops: Vec<usize> = entries
        .iter()
        .map(|e| top_of(graph, e.service, e.operation))
        .collect();
    let families = solver.solve(&tops);
    entries
        .into_iter()
        .zip(families)
        .map(|(e, family)| {
            let mut spofs: Vec<ServiceId> = family
                .sets
                .iter()
                .map(|c| ServiceId(c.events()[0]))
                .filter(|&s| s != e.service)
                .collect();
            spofs.sort_by(|a, b| model.service(*a).name.cmp(&model.service(*b).name));
            (e, spofs)
        })
        .collect()
}

/// Per entry point, the zones whose loss alone takes it down (model order):
/// one structural evaluation per zone, O(zones × (V + E)).
pub fn zone_single_points(model: &Model, graph: &Graph) -> Vec<(Entry, Vec<usize>)> {
    let entries = entries(model);
    let mut out: Vec<(Entry, Vec<usize>)> =
        entries.iter().cloned().map(|e| (e, Vec::new())).collect();
    for z in 0..model.zones.len() {
        let fault = Fault::down(Scope::Zone(z), model);
        let r = evaluate(graph, &StructuralFaults::from_faults(model, &[fault]));
        for (k, e) in entries.iter().enumerate() {
            let h = match e.operation {
                Some(o) => r.operations[graph.op_index(e.service, o)],
                None => r.services[e.service.index()],
            };
            if h == Health::Down {
                out[k].1.push(z);
            }
        }
    }
    out
}

/// Services ranked by what their failure takes down: entry traffic lost,
/// then services down, then degraded, then name.
pub fn ranked(model: &Model, mut impacts: Vec<Impact>) -> Vec<Impact> {
    impacts.sort_by(|a, b| {
        b.rps_lost
            .total_cmp(&a.rps_lost)
            .then(b.down.cmp(&a.down))
            .then(b.degraded.cmp(&a.degraded))
            .then(
                model
                    .service(a.service)
                    .name
                    .cmp(&model.service(b.service).name),
            )
    });
    impacts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;
    use crate::sim::faults::{FaultKind, parse};
    use crate::sim::structural::lane_tests::test_models;
    use crate::sim::structural::{Lanes, evaluate_lanes};

    // The previous implementation, kept as the reference: ⌈n/64⌉ dense
    // lane evaluations of the whole graph.

    fn dense_impacts(model: &Model, structure: &Graph) -> Vec<Impact> {
        let n = model.services().len();
        let entries = entries(model);
        let none = StructuralFaults::none(n);
        let mut lanes = Lanes::default();
        let mut forced = vec![0u64; n];
        let zero = vec![0u64; n];
        let mut out = Vec::with_capacity(n);
        for start in (0..n).step_by(64) {
            let end = (start + 64).min(n);
            for (lane, s) in (start..end).enumerate() {
                forced[s] = 1 << lane;
            }
            evaluate_lanes(structure, &forced, &zero, &none, &mut lanes);
            let mut down = [0usize; 64];
            let mut bad = [0usize; 64];
            for j in 0..n {
                for (counts, mut word) in [(&mut down, lanes.down[j]), (&mut bad, lanes.bad[j])] {
                    while word != 0 {
                        counts[word.trailing_zeros() as usize] += 1;
                        word &= word - 1;
                    }
                }
            }
            for (lane, s) in (start..end).enumerate() {
                let is_down = |e: &Entry| {
                    let word = match e.operation {
                        Some(o) => lanes.op_down[structure.op_index(e.service, o)],
                        None => lanes.down[e.service.index()],
                    };
                    word >> lane & 1 == 1
                };
                let entries_down: Vec<usize> = (0..entries.len())
                    .filter(|&k| is_down(&entries[k]))
                    .collect();
                // Traffic: count each entry service once, by its operations when
                // it declares them.
                let rps_lost = entries
                    .iter()
                    .enumerate()
                    .filter(|(k, e)| {
                        entries_down.contains(k)
                            && (e.operation.is_some() || !model.service(e.service).declares_operations)
                    })
                    .map(|(_, e)| e.rps)
                    .sum::<f64>()
                    // An empty float sum is -0.0, which prints as "-0%".
                    + 0.0;
                // The failed service itself is not counted.
                out.push(Impact {
                    service: ServiceId(s as u32),
                    down: down[lane] - 1,
                    degraded: bad[lane] - down[lane],
                    entries_down,
                    rps_lost,
                });
            }
            for f in forced.iter_mut().take(end).skip(start) {
                *f = 0;
            }
        }
        out
    }

    fn single_points_from_impacts(
        model: &Model,
        impacts: &[Impact],
    ) -> Vec<(Entry, Vec<ServiceId>)> {
        entries(model)
            .into_iter()
            .enumerate()
            .map(|(k, e)| {
                let mut spofs: Vec<ServiceId> = impacts
                    .iter()
                    .filter(|i| i.service != e.service && i.entries_down.contains(&k))
                    .map(|i| i.service)
                    .collect();
                spofs.sort_by(|a, b| model.service(*a).name.cmp(&model.service(*b).name));
                (e, spofs)
            })
            .collect()
    }

    #[test]
    fn progress_is_reported_per_batch() {
        let m = crate::model::generate::generate(crate::model::generate::Spec {
            services: 600,
            seed: 3,
        });
        let m = load_str(&m, "gen.yaml").unwrap().model;
        let g = Graph::build(&m);
        let calls = std::sync::Mutex::new(Vec::new());
        let with = impacts_with_progress(&m, &g, &|d, t| calls.lock().unwrap().push((d, t)));
        let mut calls = calls.into_inner().unwrap();
        // One report per batch of 256 (600 = 256 + 256 + 88), counting what
        // is done; batches run in parallel and finish in any order, so the
        // middle count is 512 or 344.
        calls.sort();
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert!(calls.iter().all(|&(_, t)| t == 600), "{calls:?}");
        assert!([256, 88].contains(&calls[0].0), "{calls:?}");
        assert!([512, 344].contains(&calls[1].0), "{calls:?}");
        assert_eq!(calls[2], (600, 600));
        assert_eq!(with, impacts(&m, &g));
    }

    /// Blast radius and single points of failure equal the dense lanes of
    /// the previous implementation on every example and on generated
    /// models, cycles included.
    #[test]
    fn agree_with_the_dense_lanes() {
        // One model large enough for batches to switch from sparse pushes
        // to wide passes part-way.
        let large = crate::model::generate::generate(crate::model::generate::Spec {
            services: 2_000,
            seed: 7,
        });
        let large = load_str(&large, "gen.yaml").unwrap().model;
        for m in test_models().into_iter().chain([large]) {
            let g = Graph::build(&m);
            let dense = dense_impacts(&m, &g);
            assert_eq!(impacts(&m, &g), dense, "{}", m.name);
            assert_eq!(
                single_points(&m, &g),
                single_points_from_impacts(&m, &dense),
                "{}",
                m.name
            );
        }
    }

    /// A batch counts the same whether it pushes failures node by node or
    /// makes one wide pass.
    #[test]
    fn sparse_and_dense_batches_count_alike() {
        for m in test_models() {
            let g = Graph::build(&m);
            let tops: Vec<usize> = entries(&m)
                .iter()
                .map(|e| top_of(&g, e.service, e.operation))
                .collect();
            let ids: Vec<ServiceId> = m.service_ids().collect();
            let (mut sparse, mut dense) = (Batch::new(&g), Batch::new(&g));
            dense.always_wide = true;
            for chunk in ids.chunks(BATCH) {
                assert_eq!(
                    sparse.fail(&g, chunk, &tops),
                    dense.fail(&g, chunk, &tops),
                    "{}",
                    m.name
                );
            }
        }
    }

    /// The single points of failure agree with brute force (one scalar
    /// evaluation per service) on every example.
    #[test]
    fn spof_agrees_with_brute_force_on_the_examples() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let m = crate::model::load_file(&file.unwrap().path())
                .unwrap()
                .model;
            let s = Graph::build(&m);
            for (entry, spofs) in single_points(&m, &s) {
                let mut brute: Vec<ServiceId> = m
                    .service_ids()
                    .filter(|&id| id != entry.service)
                    .filter(|&id| {
                        let f = parse(FaultKind::Down, &m.service(id).name, &m).unwrap();
                        let r = evaluate(&s, &StructuralFaults::from_faults(&m, &[f]));
                        let h = match entry.operation {
                            Some(o) => r.operations[s.op_index(entry.service, o)],
                            None => r.services[entry.service.index()],
                        };
                        h == Health::Down
                    })
                    .collect();
                brute.sort_by(|a, b| m.service(*a).name.cmp(&m.service(*b).name));
                assert_eq!(spofs, brute, "{} in {}", entry.name, m.name);
            }
        }
    }

    #[test]
    fn lane_counters_count() {
        let mut c = LaneCounter::default();
        for k in 0..1000u64 {
            c.add(k | 1 << 63);
        }
        assert_eq!(c.count(63), 1000);
        assert_eq!(c.count(0), 500);
        assert_eq!(c.count(9), 488);
    }

    #[test]
    fn failover_pairs_and_quorum_are_not_single_points() {
        let m = load_str(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, fallback: { to: standby } }, cart] }\n  db: {}\n  standby: {}\n  cart: { depends_on: [cartdb] }\n  cartdb: { replicas: 3, quorum: 2 }\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let s = Graph::build(&m);
        let spofs = single_points(&m, &s);
        let names: Vec<&str> = spofs[0]
            .1
            .iter()
            .map(|id| m.service(*id).name.as_str())
            .collect();
        assert_eq!(names, ["cart", "cartdb"]);
    }
}
