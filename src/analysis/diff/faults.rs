//! Every single fault, in both models, compared by what users see: the
//! state and success of each entry point.
//!
//! The faults are every `--down` of a service or a zone and every `--hang`
//! of a service, of either model. Each is parsed as the command line parses
//! it and solved with [`Engine::steady`], the call `whatif run` makes, so
//! the diff and `run` cannot disagree. A fault that exists in one model
//! only (a service or zone added or removed, a zone no replica lives in)
//! is "no such fault" in the other, where the entry points therefore stay
//! as they are with no fault at all; that is what it is compared with.
//!
//! # Cost
//!
//! One engine per model (its fault-free baseline, which `slow` is measured
//! against, solved once); every fault of both models solved in parallel
//! (rayon) and collected in a fixed order, so the answer does not depend on
//! the number of threads. A fault is never skipped because its structural
//! cascade is the same in both models: that does not make the steady state
//! the same (a capacity, a retry budget or a timeout changes load, queueing
//! and latency and leaves the structure alone; a test below shows one).
//! The only shortcut is exact: two models equal in everything the engine
//! reads (see [`engine_identical`]) give the same answer to every fault, so
//! one of them is solved.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::analysis::spof::{self, Entry};
use crate::model::Model;
use crate::sim::faults::{self, Fault, FaultKind, Scope};
use crate::sim::steady::{Engine, Outcome, State};

/// Success differences below this (a tenth of a percentage point) are not
/// a change users see.
pub const SUCCESS_TOLERANCE: f64 = 0.001;

/// One of the single faults the diff tries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SingleFault {
    /// `--down SERVICE`.
    Down(String),
    /// `--down zone:ZONE`.
    DownZone(String),
    /// `--hang SERVICE`.
    Hang(String),
}

impl SingleFault {
    /// The fault kind: `down` or `hang`.
    pub fn kind(&self) -> FaultKind {
        match self {
            SingleFault::Down(_) | SingleFault::DownZone(_) => FaultKind::Down,
            SingleFault::Hang(_) => FaultKind::Hang,
        }
    }

    /// The flag's argument as typed: `cache`, `zone:b`.
    pub fn target(&self) -> String {
        match self {
            SingleFault::Down(s) | SingleFault::Hang(s) => s.clone(),
            SingleFault::DownZone(z) => format!("zone:{z}"),
        }
    }

    /// As typed on the command line: `--down cache`, `--down zone:b`.
    pub fn flag(&self) -> String {
        format!("--{} {}", self.kind().as_str(), self.target())
    }

    /// The fault in `model`, parsed as the command line parses it; `None`
    /// when the model has no such fault (no such service, or a zone where
    /// no replica lives, or a zone whose `zone:NAME` names a service).
    pub fn parse(&self, model: &Model) -> Option<Fault> {
        let fault = faults::parse(self.kind(), &self.target(), model).ok()?;
        let is_zone = matches!(fault.scope(), Some(Scope::Zone(_)));
        (is_zone == matches!(self, SingleFault::DownZone(_))).then_some(fault)
    }
}

/// What users see of one entry point under a fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// Its state.
    pub state: State,
    /// Its success (0–1).
    pub success: f64,
}

impl Seen {
    fn differs(self, other: Seen) -> bool {
        self.state != other.state || (self.success - other.success).abs() >= SUCCESS_TOLERANCE
    }
}

/// How a change moved an entry point under one fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Newly degraded or down (the "worse" of docs/review.md).
    Worse,
    /// No longer degraded or down, or down no more.
    Better,
    /// Anything else: slow, or success moved within a state.
    Changed,
}

impl Verdict {
    /// `worse`, `better` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Worse => "worse",
            Verdict::Better => "better",
            Verdict::Changed => "changed",
        }
    }

    /// The verdict from what an entry saw before and after.
    fn of(before: Seen, after: Seen) -> Verdict {
        let bad = |s: State| s >= State::Degraded;
        if bad(after.state) && after.state > before.state {
            Verdict::Worse
        } else if bad(before.state) && after.state < before.state {
            Verdict::Better
        } else {
            Verdict::Changed
        }
    }
}

/// One entry point whose view of a fault changed.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryChange {
    /// The entry point (`web`, `api.login`).
    pub entry: String,
    /// Before; `None` when the before model has no such fault.
    pub before: Option<Seen>,
    /// After; `None` when the after model has no such fault.
    pub after: Option<Seen>,
    /// Which way it moved.
    pub verdict: Verdict,
}

/// A fault (or, for `fault: None`, no fault at all) that changes what users
/// see, with the entry points it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultChange {
    /// The fault; `None` for the fault-free state.
    pub fault: Option<SingleFault>,
    /// The entry points (in both models) whose state or success changed,
    /// in the after model's order.
    pub entries: Vec<EntryChange>,
}

/// Every single fault compared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultDiff {
    /// Faults tried in the before model.
    pub before_faults: usize,
    /// Faults tried in the after model.
    pub after_faults: usize,
    /// Faults tried in either.
    pub compared: usize,
    /// The fault-free state, when it changed, then each fault that changes
    /// what users see: `--down` of services, of zones, then `--hang`.
    pub changed: Vec<FaultChange>,
    /// Faults whose steady state did not settle, before (as flags).
    pub unsettled_before: Vec<String>,
    /// … and after.
    pub unsettled_after: Vec<String>,
    /// Whether the models were equal in everything the engine reads, so
    /// one was solved for both.
    pub identical: bool,
}

/// The faults the diff tries, over both models: `--down` of each service
/// (before's order, then services only after), `--down` of each zone, then
/// `--hang` of each service.
pub fn single_faults(before: &Model, after: &Model) -> Vec<SingleFault> {
    let mut services: Vec<&str> = before.service_names().collect();
    services.extend(after.service_names().filter(|n| before.find(n).is_none()));
    let mut zones: Vec<&str> = before.zones.iter().map(String::as_str).collect();
    zones.extend(
        after
            .zones
            .iter()
            .map(String::as_str)
            .filter(|z| !before.zones.iter().any(|b| b == z)),
    );
    let named = |f: fn(String) -> SingleFault, names: &[&str]| -> Vec<SingleFault> {
        names.iter().map(|n| f((*n).to_owned())).collect()
    };
    let mut out = named(SingleFault::Down, &services);
    out.extend(named(SingleFault::DownZone, &zones));
    out.extend(named(SingleFault::Hang, &services));
    out
}

/// Whether two models are equal in everything the steady engine reads:
/// equal once their names and source positions (which only label output)
/// are set aside. Then the engine, a deterministic function of the model
/// and the faults, answers every fault alike in both (a test keeps the
/// engine from reading names or positions).
pub fn engine_identical(before: &Model, after: &Model) -> bool {
    fn strip(model: &Model) -> Model {
        let mut m = model.clone();
        m.name.clear();
        for s in m.services_mut() {
            s.pos = Default::default();
            for op in &mut s.operations {
                op.pos = Default::default();
                for d in &mut op.depends_on {
                    d.pos = Default::default();
                }
            }
        }
        m
    }
    before.services().len() == after.services().len() && strip(before) == strip(after)
}

/// What one model's entry points see under one fault (in
/// [`spof::entries`] order), and whether its steady state settled.
#[derive(Debug, Clone)]
struct Swept {
    entries: Vec<Seen>,
    converged: bool,
}

impl Swept {
    fn read(entries: &[Entry], outcome: &Outcome) -> Swept {
        Swept {
            entries: entries
                .iter()
                .map(|e| {
                    let f = match e.operation {
                        Some(o) => &outcome.operations[e.service.index()][o],
                        None => &outcome.services[e.service.index()],
                    };
                    Seen {
                        state: f.state,
                        success: f.success,
                    }
                })
                .collect(),
            converged: outcome.converged,
        }
    }
}

/// Per side, per fault: what the entry points see. Index 0 is the
/// fault-free state, index `k + 1` fault `k` of the list; `None` where the
/// side has no such fault.
type Answers = [Vec<Option<Swept>>; 2];

/// Solves the fault-free state and every fault of the list on each side,
/// in parallel, one engine per model (see the module docs). Identical
/// models are solved once.
fn solve(
    models: [&Model; 2],
    entries: &[Vec<Entry>; 2],
    list: &[SingleFault],
    identical: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Answers {
    let engines = models.map(Engine::new);
    let sides: &[usize] = if identical { &[0] } else { &[0, 1] };
    // Every (side, index, fault) to solve, in a fixed order.
    let mut jobs: Vec<(usize, usize, Option<Fault>)> = Vec::new();
    for &side in sides {
        jobs.push((side, 0, None));
        for (k, f) in list.iter().enumerate() {
            if let Some(fault) = f.parse(models[side]) {
                jobs.push((side, k + 1, Some(fault)));
            }
        }
    }
    for engine in &engines {
        engine.baseline();
    }
    let total = jobs.len() as u64;
    let done = AtomicU64::new(0);
    let solved: Vec<Swept> = jobs
        .par_iter()
        .map(|(side, _, fault)| {
            let faults: Vec<Fault> = fault.iter().cloned().collect();
            let swept = Swept::read(&entries[*side], &engines[*side].steady(&faults));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            swept
        })
        .collect();
    let mut answers: Answers = [vec![None; list.len() + 1], vec![None; list.len() + 1]];
    for ((side, k, _), swept) in jobs.iter().zip(solved) {
        answers[*side][*k] = Some(swept);
    }
    if identical {
        answers[1] = answers[0].clone();
    }
    answers
}

/// The faults (and the fault-free state) under which an entry point in
/// both models sees something else, each with those entry points.
fn changes(list: &[SingleFault], entries: &[Vec<Entry>; 2], answers: &Answers) -> Vec<FaultChange> {
    // Entry points in both: (name, index before, index after), after's order.
    let common: Vec<(&str, usize, usize)> = entries[1]
        .iter()
        .enumerate()
        .filter_map(|(j, e)| {
            let i = entries[0].iter().position(|o| o.name == e.name)?;
            Some((e.name.as_str(), i, j))
        })
        .collect();
    let base = |side: usize| {
        answers[side][0]
            .as_ref()
            .expect("the fault-free state is solved")
    };
    let mut out = Vec::new();
    for (k, (old, new)) in answers[0].iter().zip(&answers[1]).enumerate() {
        let mut rows = Vec::new();
        for &(name, i, j) in &common {
            let b = old.as_ref().map(|s| s.entries[i]);
            let a = new.as_ref().map(|s| s.entries[j]);
            // No such fault: that side stays as it is with no fault.
            let was = b.unwrap_or(base(0).entries[i]);
            let is = a.unwrap_or(base(1).entries[j]);
            if was.differs(is) {
                rows.push(EntryChange {
                    entry: name.to_owned(),
                    before: b,
                    after: a,
                    verdict: Verdict::of(was, is),
                });
            }
        }
        if !rows.is_empty() {
            out.push(FaultChange {
                fault: k.checked_sub(1).map(|k| list[k].clone()),
                entries: rows,
            });
        }
    }
    out
}

/// Solves every single fault in both models and keeps the ones that change
/// what users see. `progress(done, total)` counts faults solved (called
/// from worker threads).
pub fn compare(before: &Model, after: &Model, progress: &(dyn Fn(u64, u64) + Sync)) -> FaultDiff {
    let identical = engine_identical(before, after);
    let list = single_faults(before, after);
    let entries = [spof::entries(before), spof::entries(after)];
    let answers = solve([before, after], &entries, &list, identical, progress);
    let exists = |side: usize, k: usize| answers[side][k + 1].is_some();
    let count = |side: usize| (0..list.len()).filter(|&k| exists(side, k)).count();
    let unsettled = |side: usize| -> Vec<String> {
        answers[side]
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_ref().is_some_and(|s| !s.converged))
            .map(|(k, _)| {
                k.checked_sub(1)
                    .map_or("(no fault)".into(), |k| list[k].flag())
            })
            .collect()
    };
    FaultDiff {
        before_faults: count(0),
        after_faults: count(1),
        compared: (0..list.len())
            .filter(|&k| exists(0, k) || exists(1, k))
            .count(),
        changed: changes(&list, &entries, &answers),
        unsettled_before: unsettled(0),
        unsettled_after: unsettled(1),
        identical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Graph;
    use crate::model::load_str;
    use crate::sim::structural::{StructuralFaults, evaluate};

    fn model(text: &str) -> Model {
        load_str(text, "m.yaml").unwrap().model
    }

    /// Why no fault is skipped on structural grounds: the same structure
    /// and the same structural cascade, yet a different steady state.
    #[test]
    fn an_identical_structural_cascade_does_not_make_the_steady_state_identical() {
        let text = |capacity: u32| {
            format!(
                "zones: [a, b]\nservices:\n  web: {{ entry: {{ rps: 300 }}, depends_on: [{{ to: api, timeout: 1s }}] }}\n  api: {{ replicas: 2, capacity: {capacity}, queue: 10, latency: 10ms }}\n"
            )
        };
        let (before, after) = (model(&text(400)), model(&text(200)));
        let fault = SingleFault::DownZone("b".into());
        let structural = |m: &Model| {
            let f = fault.parse(m).unwrap();
            evaluate(&Graph::build(m), &StructuralFaults::from_faults(m, &[f])).services
        };
        assert_eq!(structural(&before), structural(&after));
        let web = |m: &Model| Engine::new(m).steady(&[fault.parse(m).unwrap()]).services[0].state;
        assert_eq!(web(&before), State::Healthy);
        assert!(
            web(&after) >= State::Degraded,
            "300 rps against 200 of capacity"
        );
        let d = compare(&before, &after, &|_, _| {});
        assert!(d.changed.iter().any(|c| c.fault == Some(fault.clone())));
    }

    #[test]
    fn faults_of_both_models_are_tried_and_one_sided_ones_compare_with_no_fault() {
        let before = model(
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, zones: [a, b], replicas: 2, depends_on: [db] }\n  db: { zones: [a] }\n",
        );
        let after = model(
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, zones: [a, b], replicas: 2, depends_on: [{ to: db, fallback: { to: db2 } }] }\n  db: { zones: [a] }\n  db2: { zones: [b] }\n",
        );
        let flags: Vec<String> = single_faults(&before, &after)
            .iter()
            .map(SingleFault::flag)
            .collect();
        assert_eq!(
            flags,
            [
                "--down web",
                "--down db",
                "--down db2",
                "--down zone:a",
                "--down zone:b",
                "--hang web",
                "--hang db",
                "--hang db2"
            ]
        );
        let d = compare(&before, &after, &|_, _| {});
        assert!(!d.identical);
        assert_eq!((d.before_faults, d.after_faults, d.compared), (6, 8, 8));
        let find = |flag: &str| {
            d.changed
                .iter()
                .find(|c| c.fault.as_ref().is_some_and(|f| f.flag() == flag))
                .unwrap_or_else(|| panic!("{flag} changed nothing: {:?}", d.changed))
        };
        // The failover keeps web up without db: better.
        let db = find("--down db");
        assert_eq!(db.entries[0].verdict, Verdict::Better);
        assert_eq!(db.entries[0].before.unwrap().state, State::Down);
        // zone:a held db alone; now db2 in zone:b carries web.
        assert_eq!(find("--down zone:a").entries[0].verdict, Verdict::Better);
        // db2 exists only after, and alone it only degrades nothing: web is
        // still served by db, so `--down db2` is no change at all.
        assert!(
            d.changed
                .iter()
                .all(|c| c.fault != Some(SingleFault::Down("db2".into())))
        );
    }

    #[test]
    fn a_model_and_its_copy_with_other_positions_are_solved_once() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/three-tier.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let a = model(&text);
        let b = model(&format!("# a comment that moves every line\n\n{text}"));
        assert_ne!(a, b, "positions differ");
        assert!(engine_identical(&a, &b));
        let d = compare(&a, &b, &|_, _| {});
        assert!(d.identical && d.changed.is_empty());
        let changed = model(&text.replace("replicas: 2", "replicas: 3"));
        assert!(!engine_identical(&a, &changed));
    }

    /// The shortcut's premise, kept true as the engine changes: what the
    /// engine answers does not depend on the model's name or positions.
    #[test]
    fn the_engine_ignores_names_and_positions() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let a = model(&text);
            let b = model(&format!(
                "name: renamed\n\n\n{}",
                text.replace("\nname:", "\n#name:")
            ));
            assert!(engine_identical(&a, &b), "{}", path.display());
            let (ea, eb) = (Engine::new(&a), Engine::new(&b));
            for f in single_faults(&a, &b) {
                let (Some(fa), Some(fb)) = (f.parse(&a), f.parse(&b)) else {
                    continue;
                };
                let (oa, ob) = (ea.steady(&[fa]), eb.steady(&[fb]));
                assert_eq!(oa.services, ob.services, "{} {}", path.display(), f.flag());
                assert_eq!(oa.operations, ob.operations);
            }
        }
    }
}
