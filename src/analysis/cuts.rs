//! Minimal cut sets: the smallest sets of independent machine failures
//! (basic events: a single-replica service, one replica `db#2`, a zone)
//! that take an entry point down under the structural rules.
//!
//! Computed on the `down` circuit of the [`Graph`] by [`super::mincut`]:
//! the families of the gates an entry reaches (failover pairs, caches with
//! their `on_miss`, services with several operations), callees first, then
//! one walk of each entry's cone, with every set above the order dropped as
//! it forms. Each service's own failure is its k-of-n gate over replicas
//! and zones, listed in closed form ([`ReplicaEvents`]). The work grows
//! with the cones and the sets found, not with the pairs or triples of
//! events in a cone, so order 3 on ten thousand services takes a moment,
//! and any order can be asked: a family that would pass
//! [`super::mincut::MAX_SETS`] gives up its highest orders and says so
//! ([`EntryCuts::complete_to`]).

use super::events::{BasicEvent, ReplicaEvents, TooManyEvents, basic_events};
use super::mincut::{Circuit, Solver, top_of};
use super::spof::{Entry, entries};
use crate::graph::Graph;
use crate::model::Model;

/// One entry's minimal cut sets.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryCuts {
    /// The entry point.
    pub entry: Entry,
    /// Cut sets as indices into the events, each sorted by name; the list is
    /// sorted by size, then names.
    pub cut_sets: Vec<Vec<usize>>,
    /// Whether the list stops below the order asked for: the sets of some
    /// order would have exceeded [`super::mincut::MAX_SETS`] (see `complete_to`).
    pub truncated: bool,
    /// Every minimal cut set of at most this many events is listed.
    pub complete_to: usize,
}

/// Minimal cut sets up to `order` (1 or more) for every entry
/// point (or the one named `only`), with the basic events they are made of
/// (zones are events when `zone_availability`, 0–1, is given).
///
/// Fails when the model has more than
/// [`MAX_EVENTS`](super::events::MAX_EVENTS) basic events.
///
/// Complexity: O(V + E) for the circuit, plus per entry point and per gate
/// input one walk of its cone, plus the sets found; at most
/// [`super::mincut::MAX_SETS`] per family.
///
/// ```
/// use whatif::analysis::cuts::minimal_cut_sets;
/// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: db, fallback: { to: standby } }] }\n  db: {}\n  standby: {}\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let (events, cuts) = minimal_cut_sets(&model, &graph, 2, None, None).unwrap();
/// let names: Vec<Vec<&str>> = cuts[0]
///     .cut_sets
///     .iter()
///     .map(|set| set.iter().map(|&e| events[e].name.as_str()).collect())
///     .collect();
/// assert_eq!(names, [vec!["web"], vec!["db", "standby"]]);
/// ```
pub fn minimal_cut_sets(
    model: &Model,
    graph: &Graph,
    order: usize,
    zone_availability: Option<f64>,
    only: Option<&str>,
) -> Result<(Vec<BasicEvent>, Vec<EntryCuts>), TooManyEvents> {
    minimal_cut_sets_with_progress(model, graph, order, zone_availability, only, &|_, _| {})
}

/// [`minimal_cut_sets`], calling `progress(done, total)` with the entry
/// points done.
pub fn minimal_cut_sets_with_progress(
    model: &Model,
    graph: &Graph,
    order: usize,
    zone_availability: Option<f64>,
    only: Option<&str>,
    progress: &dyn Fn(u64, u64),
) -> Result<(Vec<BasicEvent>, Vec<EntryCuts>), TooManyEvents> {
    let events = basic_events(model, zone_availability)?;
    let order = order.max(1);
    let wanted: Vec<Entry> = entries(model)
        .into_iter()
        .filter(|e| only.is_none_or(|o| o == e.name))
        .collect();
    let total = wanted.len() as u64;
    progress(0, total);
    let circuit = Circuit::new(graph);
    let own = ReplicaEvents::new(model, zone_availability);
    let mut solver = Solver::new(&circuit, &own, order);
    let tops: Vec<usize> = wanted
        .iter()
        .map(|e| top_of(graph, e.service, e.operation))
        .collect();
    let families = solver.solve(&tops);
    let mut results = Vec::with_capacity(wanted.len());
    for (k, (entry, family)) in wanted.into_iter().zip(families).enumerate() {
        let mut cut_sets: Vec<Vec<usize>> = family
            .sets
            .iter()
            .map(|c| {
                let mut set: Vec<usize> = c.events().iter().map(|&e| e as usize).collect();
                set.sort_by(|a, b| events[*a].name.cmp(&events[*b].name));
                set
            })
            .collect();
        cut_sets.sort_by(|a, b| {
            a.len().cmp(&b.len()).then_with(|| {
                let names = |s: &[usize]| -> Vec<&str> {
                    s.iter().map(|&i| events[i].name.as_str()).collect()
                };
                names(a).cmp(&names(b))
            })
        });
        results.push(EntryCuts {
            entry,
            cut_sets,
            truncated: family.complete_to < order,
            complete_to: family.complete_to,
        });
        progress(k as u64 + 1, total);
    }
    Ok((events, results))
}

/// The probability that every event of a cut set occurs (independent events).
pub fn probability(events: &[BasicEvent], set: &[usize]) -> f64 {
    set.iter().map(|&i| events[i].probability).product()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::analysis::events::{ReplicaCauses, replica_causes, replicas_to_fail};
    use crate::model::load_str;
    use crate::sim::structural::lane_tests::test_models;
    use crate::sim::structural::{Lanes, StructuralFaults, evaluate_lanes};

    // The previous implementation, kept as the reference: every candidate
    // set of the entry's down-cone evaluated on the structural lanes, 64 at
    // a time, keeping those that take the entry down and contain no
    // smaller cut.

    /// Most sets evaluated per entry and order.
    const MAX_SETS: usize = 20_000_000;

    /// Evaluates `sets` of events (64 per pass) and returns, per set, whether
    /// each entry is down.
    struct Evaluator<'a> {
        model: &'a Model,
        structure: &'a Graph,
        causes: Vec<Vec<ReplicaCauses>>,
        none: StructuralFaults,
        lanes: Lanes,
        zero: Vec<u64>,
    }

    impl Evaluator<'_> {
        /// For up to 64 sets, the lanes in which each entry goes down.
        fn run(&mut self, sets: &[Vec<usize>], entries: &[Entry]) -> Vec<u64> {
            let n = self.model.services().len();
            let mut forced = vec![0u64; n];
            for (i, svc_causes) in self.causes.iter().enumerate() {
                let need = replicas_to_fail(&self.model.services()[i]);
                // Count failed replicas per lane (sets are small: check each lane).
                let mut counts = [0u32; 64];
                let mut any = 0u64;
                for causes in svc_causes {
                    let mut mask = 0u64;
                    for (lane, set) in sets.iter().enumerate() {
                        if causes.iter().any(|e| set.contains(e)) {
                            mask |= 1 << lane;
                        }
                    }
                    any |= mask;
                    let mut m = mask;
                    while m != 0 {
                        counts[m.trailing_zeros() as usize] += 1;
                        m &= m - 1;
                    }
                }
                let mut m = any;
                while m != 0 {
                    let lane = m.trailing_zeros() as usize;
                    if counts[lane] >= need {
                        forced[i] |= 1 << lane;
                    }
                    m &= m - 1;
                }
            }
            evaluate_lanes(
                self.structure,
                &forced,
                &self.zero,
                &self.none,
                &mut self.lanes,
            );
            entries
                .iter()
                .map(|e| match e.operation {
                    Some(o) => self.lanes.op_down[self.structure.op_index(e.service, o)],
                    None => self.lanes.down[e.service.index()],
                })
                .collect()
        }
    }

    fn reference(
        model: &Model,
        structure: &Graph,
        order: usize,
        zone_availability: Option<f64>,
        only: Option<&str>,
    ) -> (Vec<BasicEvent>, Vec<EntryCuts>) {
        let events = basic_events(model, zone_availability).unwrap();
        let all_entries: Vec<Entry> = entries(model)
            .into_iter()
            .filter(|e| only.is_none_or(|o| o == e.name))
            .collect();
        let n = model.services().len();
        let mut ev = Evaluator {
            model,
            structure,
            causes: replica_causes(model, &events),
            none: StructuralFaults::none(n),
            lanes: Lanes::default(),
            zero: vec![0; n],
        };

        // The entry's down-cone: services reachable over edges that can pass a
        // failure up (hard request edges, both sides of a failover, a cache and
        // its `on_miss`). Nothing outside it can be part of a cut.
        let affects: Vec<Vec<bool>> = all_entries
            .iter()
            .map(|e| down_cone(model, e.service))
            .collect();
        let service_of = |i: usize| -> Option<usize> {
            match events[i].kind {
                crate::analysis::events::EventKind::Service(s)
                | crate::analysis::events::EventKind::Replica(s, _) => Some(s.index()),
                crate::analysis::events::EventKind::Zone(_) => None,
            }
        };

        let mut results: Vec<EntryCuts> = all_entries
            .iter()
            .cloned()
            .map(|entry| EntryCuts {
                entry,
                cut_sets: Vec::new(),
                truncated: false,
                complete_to: order,
            })
            .collect();
        // Order 1: every event.
        let singles: Vec<Vec<usize>> = (0..events.len()).map(|i| vec![i]).collect();
        for chunk in singles.chunks(64) {
            let down = ev.run(chunk, &all_entries);
            for (k, word) in down.iter().enumerate() {
                for (lane, set) in chunk.iter().enumerate() {
                    if word >> lane & 1 == 1 {
                        results[k].cut_sets.push(set.clone());
                    }
                }
            }
        }
        // Higher orders, per entry.
        let candidates_of: Vec<Vec<usize>> = (0..all_entries.len())
            .map(|k| {
                let single: BTreeSet<usize> = results[k].cut_sets.iter().map(|s| s[0]).collect();
                (0..events.len())
                    .filter(|i| !single.contains(i))
                    .filter(|&i| service_of(i).is_none_or(|s| affects[k][s]))
                    .collect()
            })
            .collect();
        for (k, entry) in all_entries.iter().enumerate() {
            let candidates = &candidates_of[k];
            let mut known: Vec<BTreeSet<usize>> = results[k]
                .cut_sets
                .iter()
                .map(|s| s.iter().copied().collect())
                .collect();
            for size in 2..=order {
                let mut sets: Vec<Vec<usize>> = Vec::new();
                let mut count = 0usize;
                combinations(
                    candidates,
                    size,
                    &mut Vec::new(),
                    0,
                    &mut |c: &[usize]| {
                        count += 1;
                        if count > MAX_SETS {
                            return false;
                        }
                        // Skip sets containing a known (smaller) cut: not minimal.
                        if !known.iter().any(|cut| cut.iter().all(|e| c.contains(e))) {
                            sets.push(c.to_vec());
                        }
                        true
                    },
                );
                if count > MAX_SETS {
                    results[k].truncated = true;
                    results[k].complete_to = size - 1;
                }
                let mut found = Vec::new();
                for chunk in sets.chunks(64) {
                    let down = ev.run(chunk, std::slice::from_ref(entry));
                    for (lane, set) in chunk.iter().enumerate() {
                        if down[0] >> lane & 1 == 1 {
                            found.push(set.clone());
                        }
                    }
                }
                known.extend(
                    found
                        .iter()
                        .map(|s| s.iter().copied().collect::<BTreeSet<usize>>()),
                );
                results[k].cut_sets.extend(found);
            }
            // Sorted by size, then names.
            for set in &mut results[k].cut_sets {
                set.sort_by(|a, b| events[*a].name.cmp(&events[*b].name));
            }
            results[k].cut_sets.sort_by(|a, b| {
                a.len().cmp(&b.len()).then_with(|| {
                    let an: Vec<&str> = a.iter().map(|&i| events[i].name.as_str()).collect();
                    let bn: Vec<&str> = b.iter().map(|&i| events[i].name.as_str()).collect();
                    an.cmp(&bn)
                })
            });
        }
        (events, results)
    }

    /// Services whose failure can contribute to `from` going down.
    fn down_cone(model: &Model, from: crate::model::ServiceId) -> Vec<bool> {
        use crate::model::{Criticality, Fallback, Mode, Phase};
        let mut seen = vec![false; model.services().len()];
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.index()], true) {
                continue;
            }
            for dep in model
                .service(id)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
            {
                if dep.phase != Phase::Request
                    || dep.mode != Mode::Sync
                    || dep.criticality != Criticality::Hard
                {
                    continue;
                }
                if matches!(dep.fallback, Some(Fallback::ServeStale { .. })) {
                    continue;
                }
                stack.push(dep.target.service);
                if let Some(Fallback::Failover { to }) = dep.fallback {
                    stack.push(to);
                }
                if let Some(c) = &dep.cache {
                    stack.push(c.on_miss);
                }
            }
        }
        seen
    }

    /// Calls `f` with every `size`-subset of `items` in lexicographic order,
    /// until `f` returns false.
    fn combinations(
        items: &[usize],
        size: usize,
        current: &mut Vec<usize>,
        start: usize,
        f: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        if current.len() == size {
            return f(current);
        }
        for i in start..items.len() {
            current.push(items[i]);
            let go_on = combinations(items, size, current, i + 1, f);
            current.pop();
            if !go_on {
                return false;
            }
        }
        true
    }

    #[test]
    fn progress_counts_entry_points_and_ends_at_the_total() {
        let m = crate::model::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/online-shop.yaml"
        )))
        .unwrap()
        .model;
        let g = Graph::build(&m);
        let calls = std::cell::RefCell::new(Vec::new());
        let (_, with) = minimal_cut_sets_with_progress(&m, &g, 3, None, None, &|d, t| {
            calls.borrow_mut().push((d, t))
        })
        .unwrap();
        let calls = calls.into_inner();
        let total = entries(&m).len() as u64;
        let want: Vec<(u64, u64)> = (0..=total).map(|d| (d, total)).collect();
        assert_eq!(calls, want);
        assert_eq!(with, minimal_cut_sets(&m, &g, 3, None, None).unwrap().1);
    }

    fn cuts(text: &str) -> Vec<Vec<String>> {
        let m = load_str(text, "t.yaml").unwrap().model;
        let g = Graph::build(&m);
        let (events, r) = minimal_cut_sets(&m, &g, 2, None, None).unwrap();
        r[0].cut_sets
            .iter()
            .map(|c| c.iter().map(|&i| events[i].name.clone()).collect())
            .collect()
    }

    #[test]
    fn quorum_failover_and_singles() {
        let got = cuts(
            "services:\n  web: { entry: { rps: 1 }, replicas: 2, depends_on: [{ to: db, fallback: { to: standby } }, cart] }\n  db: {}\n  standby: {}\n  cart: { replicas: 3, quorum: 2 }\n",
        );
        let want: Vec<Vec<&str>> = vec![
            vec!["cart#1", "cart#2"],
            vec!["cart#1", "cart#3"],
            vec!["cart#2", "cart#3"],
            vec!["db", "standby"],
            vec!["web#1", "web#2"],
        ];
        assert_eq!(got, want);
    }

    /// The same sets as the reference (every candidate set evaluated) on
    /// every example and on generated models, cyclic ones included, with
    /// and without zones as events, at orders 1 to 4 (4 on the examples).
    #[test]
    fn agrees_with_the_reference_on_examples_and_generated_models() {
        for m in test_models() {
            let g = Graph::build(&m);
            let events = basic_events(&m, Some(0.999)).unwrap().len();
            for zones in [None, Some(0.999)] {
                for order in 1..=4 {
                    // The reference grows as events^order.
                    if (order == 4 && events > 70)
                        || (order == 3 && events > 120)
                        || (order == 2 && events > 400)
                    {
                        continue;
                    }
                    let (_, fast) = minimal_cut_sets(&m, &g, order, zones, None).unwrap();
                    let (_, slow) = reference(&m, &g, order, zones, None);
                    assert_eq!(fast, slow, "{} at order {order}, zones {zones:?}", m.name);
                }
            }
        }
    }

    /// Brute force over every pair agrees on every example.
    #[test]
    fn agrees_with_brute_force_on_the_examples() {
        use crate::sim::structural::{Health, evaluate};
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let m = crate::model::load_file(&file.unwrap().path())
                .unwrap()
                .model;
            let s = Graph::build(&m);
            let (events, results) = minimal_cut_sets(&m, &s, 2, None, None).unwrap();
            for r in &results {
                let down = |set: &[usize]| {
                    let mut occurred = vec![false; events.len()];
                    for &i in set {
                        occurred[i] = true;
                    }
                    let res = evaluate(
                        &s,
                        &crate::analysis::events::structural_faults(&m, &events, &occurred),
                    );
                    let h = match r.entry.operation {
                        Some(o) => res.operations[s.op_index(r.entry.service, o)],
                        None => res.services[r.entry.service.index()],
                    };
                    h == Health::Down
                };
                let mut brute: Vec<Vec<usize>> = (0..events.len())
                    .filter(|&i| down(&[i]))
                    .map(|i| vec![i])
                    .collect();
                let singles: Vec<usize> = brute.iter().map(|v| v[0]).collect();
                for a in 0..events.len() {
                    for b in a + 1..events.len() {
                        if !singles.contains(&a) && !singles.contains(&b) && down(&[a, b]) {
                            brute.push(vec![a, b]);
                        }
                    }
                }
                let norm = |v: &[Vec<usize>]| -> BTreeSet<Vec<String>> {
                    v.iter()
                        .map(|c| {
                            let mut x: Vec<String> =
                                c.iter().map(|&i| events[i].name.clone()).collect();
                            x.sort();
                            x
                        })
                        .collect()
                };
                assert_eq!(
                    norm(&r.cut_sets),
                    norm(&brute),
                    "{} {}",
                    m.name,
                    r.entry.name
                );
            }
        }
    }

    /// Issue 16: more basic events than the limit are refused before
    /// anything is allocated (a billion replicas no longer load at all); ten thousand answer at once, in closed form (the
    /// quorum's k-of-n is never expanded beyond the order).
    #[test]
    fn huge_replica_counts_are_refused_or_answered_in_closed_form() {
        let text = |replicas: u32, quorum: u32| {
            format!(
                "zones: [a, b, c]\nservices:\n  web: {{ entry: {{ rps: 1 }}, depends_on: [db] }}\n  db: {{ replicas: {replicas}, quorum: {quorum} }}\n"
            )
        };
        let too_many = crate::analysis::events::too_many_events_text(true);
        let m = load_str(&too_many, "t.yaml").unwrap().model;
        let err = minimal_cut_sets(&m, &Graph::build(&m), 2, None, None).unwrap_err();
        assert_eq!((err.events, err.service.as_str()), (1_099_991, "db"));
        assert!(err.to_string().contains("1000000"), "{err}");

        let started = std::time::Instant::now();
        for (quorum, zones) in [
            (1, None),
            (5_000, Some(0.999)),
            (9_999, None),
            (10_000, Some(0.99)),
        ] {
            let m = load_str(&text(10_000, quorum), "t.yaml").unwrap().model;
            let (events, r) = minimal_cut_sets(&m, &Graph::build(&m), 3, zones, None).unwrap();
            let sets = &r[0].cut_sets;
            let names = |k: usize| -> Vec<&str> {
                sets[k].iter().map(|&e| events[e].name.as_str()).collect()
            };
            match (quorum, zones) {
                // 10,000 replicas must all fail: only `web` at order ≤ 3.
                (1, None) => assert_eq!((sets.len(), names(0)), (1, vec!["web"])),
                // Losing two zones leaves 3,334 < 5,000: any pair of
                // zones, but zone a alone takes web (its one replica).
                (5_000, Some(_)) => {
                    assert_eq!(sets.len(), 3);
                    assert_eq!(names(1), ["zone:a"]);
                    assert_eq!(names(2), ["zone:b", "zone:c"]);
                }
                // Any two of 10,000: 49,995,000 pairs, more than a family
                // holds; the list stops at order 1 and says so.
                (9_999, None) => {
                    assert_eq!((r[0].complete_to, r[0].truncated, sets.len()), (1, true, 1));
                }
                // Quorum 10,000: any replica, or any zone, alone.
                _ => {
                    assert_eq!(sets.len(), 1 + 10_000 + 3);
                    assert!(!r[0].truncated);
                }
            }
        }
        // Any order answers at once: the 10,000 replicas of quorum 1 are
        // one set, and the pool any two of which fail it stops at order 1
        // however high the order asked.
        let m = load_str(&text(10_000, 1), "t.yaml").unwrap().model;
        let (_, r) = minimal_cut_sets(&m, &Graph::build(&m), usize::MAX, None, None).unwrap();
        let sizes: Vec<usize> = r[0].cut_sets.iter().map(Vec::len).collect();
        assert_eq!((sizes, r[0].truncated), (vec![1, 10_000], false));
        let m = load_str(&text(10_000, 9_999), "t.yaml").unwrap().model;
        let (_, r) = minimal_cut_sets(&m, &Graph::build(&m), usize::MAX, None, None).unwrap();
        assert_eq!((r[0].complete_to, r[0].truncated), (1, true));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
