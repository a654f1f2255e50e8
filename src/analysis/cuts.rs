//! Minimal cut sets: the smallest sets of independent machine failures
//! (basic events: a single-replica service, one replica `db#2`, a zone)
//! that take an entry point down under the structural rules.
//!
//! Sets are evaluated 64 at a time on the structural lanes. Order 1 tries
//! every event. Higher orders combine *candidates*: events whose service's
//! failure can at least degrade the entry (nothing else can matter), minus
//! the events that are already cuts on their own; a set is kept when the
//! entry goes down and none of its subsets already did. The number of sets
//! grows as candidates^order, so orders above 3 are refused.

use std::collections::BTreeSet;

use super::events::{BasicEvent, basic_events, replica_causes, replicas_to_fail};
use super::spof::{Entry, entries};
use crate::model::Model;
use crate::sim::structural::{Lanes, StructuralFaults, Structure};

/// The highest order computed.
pub const MAX_ORDER: usize = 3;

/// One entry's minimal cut sets.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryCuts {
    /// The entry point.
    pub entry: Entry,
    /// Cut sets as indices into the events, each sorted by name; the list is
    /// sorted by size, then names.
    pub cut_sets: Vec<Vec<usize>>,
    /// Whether some candidate sets were not tried (too many).
    pub truncated: bool,
}

/// Most sets evaluated per entry and order before giving up (and saying so).
const MAX_SETS: usize = 20_000_000;

/// Evaluates `sets` of events (64 per pass) and returns, per set, whether
/// each entry is down.
struct Evaluator<'a> {
    model: &'a Model,
    structure: &'a Structure,
    causes: Vec<Vec<super::events::ReplicaCauses>>,
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
        self.structure
            .evaluate_lanes(&forced, &self.zero, &self.none, &mut self.lanes);
        entries
            .iter()
            .map(|e| match e.operation {
                Some(o) => self.lanes.op_down[self.structure.op_index(e.service, o)],
                None => self.lanes.down[e.service.index()],
            })
            .collect()
    }
}

/// Minimal cut sets up to `order` for every entry point (or the one named),
/// with the basic events they are made of.
pub fn minimal_cut_sets(
    model: &Model,
    structure: &Structure,
    order: usize,
    zone_availability: Option<f64>,
    only: Option<&str>,
) -> (Vec<BasicEvent>, Vec<EntryCuts>) {
    minimal_cut_sets_with_progress(model, structure, order, zone_availability, only, &|_, _| {})
}

/// [`minimal_cut_sets`], calling `progress(done, total)` now and then as
/// candidate sets of order ≥ 2 are tried (`total` counts them all, each
/// size capped as the search is). The number of sets grows as
/// candidates^order, so order 2 on a thousand services takes seconds.
pub fn minimal_cut_sets_with_progress(
    model: &Model,
    structure: &Structure,
    order: usize,
    zone_availability: Option<f64>,
    only: Option<&str>,
    progress: &dyn Fn(u64, u64),
) -> (Vec<BasicEvent>, Vec<EntryCuts>) {
    let events = basic_events(model, zone_availability);
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
            super::events::EventKind::Service(s) | super::events::EventKind::Replica(s, _) => {
                Some(s.index())
            }
            super::events::EventKind::Zone(_) => None,
        }
    };

    let mut results: Vec<EntryCuts> = all_entries
        .iter()
        .cloned()
        .map(|entry| EntryCuts {
            entry,
            cut_sets: Vec::new(),
            truncated: false,
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
    let total: u64 = candidates_of
        .iter()
        .flat_map(|c| (2..=order.min(MAX_ORDER)).map(|size| choose(c.len(), size)))
        .map(|n| n.min(MAX_SETS as u64 + 1))
        .sum();
    let mut done = 0u64;
    progress(done, total);
    for (k, entry) in all_entries.iter().enumerate() {
        let candidates = &candidates_of[k];
        let mut known: Vec<BTreeSet<usize>> = results[k]
            .cut_sets
            .iter()
            .map(|s| s.iter().copied().collect())
            .collect();
        for size in 2..=order.min(MAX_ORDER) {
            let mut sets: Vec<Vec<usize>> = Vec::new();
            let mut count = 0usize;
            combinations(
                candidates,
                size,
                &mut Vec::new(),
                0,
                &mut |c: &[usize]| {
                    count += 1;
                    let tried = done + count as u64;
                    if tried.is_multiple_of(4096) {
                        progress(tried, total);
                    }
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
            }
            done += (count as u64).min(MAX_SETS as u64 + 1);
            progress(done, total);
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
    progress(total, total);
    (events, results)
}

/// n choose k, saturating.
fn choose(n: usize, k: usize) -> u64 {
    if k > n {
        return 0;
    }
    (0..k as u64).fold(1u64, |acc, i| acc.saturating_mul(n as u64 - i) / (i + 1))
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

/// The probability that every event of a cut set occurs (independent events).
pub fn probability(events: &[BasicEvent], set: &[usize]) -> f64 {
    set.iter().map(|&i| events[i].probability).product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    #[test]
    fn progress_counts_every_candidate_set_and_ends_at_the_total() {
        let m = crate::model::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/online-shop.yaml"
        )))
        .unwrap()
        .model;
        let s = Structure::new(&m);
        let calls = std::cell::RefCell::new(Vec::new());
        let (_, with) = minimal_cut_sets_with_progress(&m, &s, 3, None, None, &|d, t| {
            calls.borrow_mut().push((d, t))
        });
        let calls = calls.into_inner();
        let total = calls[0].1;
        assert!(total > 4096, "order 3 tries many sets: {total}");
        assert!(calls.len() > 2, "progress is reported on the way");
        assert!(
            calls
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[1].0 <= total)
        );
        assert_eq!(calls.last(), Some(&(total, total)));
        assert_eq!(with, minimal_cut_sets(&m, &s, 3, None, None).1);
        assert_eq!(choose(10, 2), 45);
        assert_eq!(choose(10, 3), 120);
        assert_eq!(choose(1, 2), 0);
        assert_eq!(choose(0, 3), 0);
    }

    fn cuts(text: &str) -> Vec<Vec<String>> {
        let m = load_str(text, "t.yaml").unwrap().model;
        let s = Structure::new(&m);
        let (events, r) = minimal_cut_sets(&m, &s, 2, None, None);
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

    /// Brute force over every pair agrees on every example.
    #[test]
    fn agrees_with_brute_force_on_the_examples() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let m = crate::model::load_file(&file.unwrap().path())
                .unwrap()
                .model;
            let s = Structure::new(&m);
            let (events, results) = minimal_cut_sets(&m, &s, 2, None, None);
            for r in &results {
                let down = |set: &[usize]| {
                    let mut occurred = vec![false; events.len()];
                    for &i in set {
                        occurred[i] = true;
                    }
                    let res = s.evaluate(&super::super::events::structural_faults(
                        &m, &events, &occurred,
                    ));
                    let h = match r.entry.operation {
                        Some(o) => res.operations[s.op_index(r.entry.service, o)],
                        None => res.services[r.entry.service.index()],
                    };
                    h == crate::sim::structural::Health::Down
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
}
