//! Single points of failure and blast radius: what one service's failure as
//! a whole (a bad deploy, a crash loop) takes down under the structural
//! rules.
//!
//! Both come from one sweep: services fail 64 at a time, one per bit of the
//! structural evaluation's lanes ([`Structure::evaluate_lanes`]), so the
//! whole model costs ⌈n/64⌉ linear passes — O(n·(n+e)/64) — rather than one
//! simulation per service. At 100,000 services that is 1,563 passes.

use crate::model::{Model, ServiceId};
use crate::sim::structural::{Lanes, StructuralFaults, Structure};

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
pub fn impacts(model: &Model, structure: &Structure) -> Vec<Impact> {
    impacts_with_progress(model, structure, &|_, _| {})
}

/// [`impacts`], calling `progress(done, total)` after each pass of 64
/// services. The passes are linear, so the whole grows as n²/64: seconds
/// from some tens of thousands of services.
pub fn impacts_with_progress(
    model: &Model,
    structure: &Structure,
    progress: &dyn Fn(u64, u64),
) -> Vec<Impact> {
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
        structure.evaluate_lanes(&forced, &zero, &none, &mut lanes);
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
        progress(end as u64, n as u64);
    }
    out
}

/// Per entry point (see [`entries`]), its single points of failure: the
/// services whose failure alone takes it down, the entry itself excluded,
/// sorted by name.
pub fn single_points(model: &Model, impacts: &[Impact]) -> Vec<(Entry, Vec<ServiceId>)> {
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

/// Per entry point, the zones whose loss alone takes it down (model order).
pub fn zone_single_points(model: &Model, structure: &Structure) -> Vec<(Entry, Vec<usize>)> {
    let entries = entries(model);
    let mut out: Vec<(Entry, Vec<usize>)> =
        entries.iter().cloned().map(|e| (e, Vec::new())).collect();
    for z in 0..model.zones.len() {
        let fault = crate::sim::faults::Fault {
            kind: crate::sim::faults::FaultKind::Down,
            scope: crate::sim::faults::Scope::Zone(z),
            target: Some(format!("zone:{}", model.zones[z])),
            slowdown: None,
            factor: None,
            share: 1.0,
            share_given: false,
            typed: None,
        };
        let r = structure.evaluate(&StructuralFaults::from_faults(model, &[fault]));
        for (k, e) in entries.iter().enumerate() {
            let h = match e.operation {
                Some(o) => r.operations[structure.op_index(e.service, o)],
                None => r.services[e.service.index()],
            };
            if h == crate::sim::structural::Health::Down {
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
    use crate::sim::structural::Health;

    #[test]
    fn progress_is_reported_per_pass_of_64() {
        let m = crate::model::generate::generate(crate::model::generate::Spec {
            services: 150,
            seed: 3,
        });
        let m = load_str(&m, "gen.yaml").unwrap().model;
        let s = Structure::new(&m);
        let calls = std::cell::RefCell::new(Vec::new());
        let with = impacts_with_progress(&m, &s, &|d, t| calls.borrow_mut().push((d, t)));
        assert_eq!(calls.into_inner(), [(64, 150), (128, 150), (150, 150)]);
        assert_eq!(with.len(), impacts(&m, &s).len());
    }

    /// The lane sweep agrees with brute force (one scalar evaluation per
    /// service) on every example.
    #[test]
    fn spof_agrees_with_brute_force_on_the_examples() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let m = crate::model::load_file(&file.unwrap().path())
                .unwrap()
                .model;
            let s = Structure::new(&m);
            let fast = single_points(&m, &impacts(&m, &s));
            for (entry, spofs) in fast {
                let mut brute: Vec<ServiceId> = m
                    .service_ids()
                    .filter(|&id| id != entry.service)
                    .filter(|&id| {
                        let f = parse(FaultKind::Down, &m.service(id).name, &m).unwrap();
                        let r = s.evaluate(&StructuralFaults::from_faults(&m, &[f]));
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
    fn failover_pairs_and_quorum_are_not_single_points() {
        let m = load_str(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, fallback: { to: standby } }, cart] }\n  db: {}\n  standby: {}\n  cart: { depends_on: [cartdb] }\n  cartdb: { replicas: 3, quorum: 2 }\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let s = Structure::new(&m);
        let spofs = single_points(&m, &impacts(&m, &s));
        let names: Vec<&str> = spofs[0]
            .1
            .iter()
            .map(|id| m.service(*id).name.as_str())
            .collect();
        assert_eq!(names, ["cart", "cartdb"]);
    }
}
