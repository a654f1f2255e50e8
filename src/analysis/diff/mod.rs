//! `whatif diff` (docs/review.md): what a change to a model does to its failure
//! modes — the design-review view of a pull request.
//!
//! Two versions of a model are compared on everything a review looks at:
//! the model itself ([`fields`]: services, dependencies and zones added,
//! removed and changed, policy field by field); single points of failure
//! per entry point, zones included (`spof --zones`); blast radius; every
//! single fault's effect on users ([`faults`]: each `--down` of a service
//! or zone and `--hang` of a service, by the entry points' state and
//! success); Monte Carlo availability per entry point with both 95 %
//! intervals (same trials and seed for both); lints introduced and fixed.
//!
//! Entry points, services and zones are matched by name: a renamed service
//! is one removed and one added. An entry point in one model only is listed
//! as added or removed and not otherwise compared.
//!
//! [`ModelDiff::worse`] is the "worse" of docs/review.md, which `--fail-on worse`
//! gates on: an entry point gains a single point of failure (a service or
//! a zone), a single fault newly degrades or downs it (the fault-free state
//! counts as one: an entry newly degraded with no fault at all is worse
//! too), or its availability interval falls wholly below the old one.

pub mod faults;
pub mod fields;

use std::fmt;

use self::faults::{FaultDiff, Seen, SingleFault, Verdict};
use self::fields::ModelChanges;
use super::availability::{self, EntryAvailability};
use super::events::{self, TooManyEvents};
use super::lints::{self, Lint};
use super::spof::{self, Impact};
use crate::graph::Graph;
use crate::model::Model;

/// The Monte Carlo run for both models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Trials per model.
    pub trials: u64,
    /// Seed, the same for both models.
    pub seed: u64,
}

/// What is being counted when progress is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Monte Carlo trials (both models).
    Trials,
    /// Single faults solved (both models).
    Faults,
}

/// Something whose failure alone takes an entry point down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Point {
    /// A service failing as a whole.
    Service(String),
    /// A zone lost.
    Zone(String),
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Point::Service(s) => f.write_str(s),
            Point::Zone(z) => write!(f, "zone:{z}"),
        }
    }
}

/// An entry point's single points of failure gained and lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpofChange {
    /// The entry point.
    pub entry: String,
    /// Single points it has only after: services by name, then zones.
    pub gained: Vec<Point>,
    /// Single points it had only before.
    pub lost: Vec<Point>,
}

/// What one service failing as a whole takes down (`whatif blast`).
#[derive(Debug, Clone, PartialEq)]
pub struct Blast {
    /// Entry traffic lost, requests per second.
    pub rps_lost: f64,
    /// That traffic as a share of all the model's entry traffic (0–1).
    pub share_lost: f64,
    /// Other services it takes down.
    pub down: usize,
    /// Other services it degrades.
    pub degraded: usize,
    /// Entry points it takes down.
    pub entries_down: Vec<String>,
}

impl Blast {
    fn differs(&self, other: &Blast) -> bool {
        (self.rps_lost - other.rps_lost).abs() > 1e-9 * (1.0 + self.rps_lost.abs())
            || self.down != other.down
            || self.degraded != other.degraded
            || self.entries_down != other.entries_down
    }

    fn none() -> Blast {
        Blast {
            rps_lost: 0.0,
            share_lost: 0.0,
            down: 0,
            degraded: 0,
            entries_down: Vec::new(),
        }
    }
}

/// A service whose blast radius changed.
#[derive(Debug, Clone, PartialEq)]
pub struct BlastChange {
    /// The service.
    pub service: String,
    /// Its blast before (`None`: the service is new).
    pub before: Option<Blast>,
    /// Its blast after (`None`: the service is gone).
    pub after: Option<Blast>,
}

/// An availability estimate with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Share of trials in which the entry is up.
    pub availability: f64,
    /// Lower end of the 95 % Wilson interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// An entry point's availability in each model.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailabilityChange {
    /// The entry point.
    pub entry: String,
    /// Before (`None`: not an entry point before).
    pub before: Option<Interval>,
    /// After (`None`: not an entry point after).
    pub after: Option<Interval>,
}

impl AvailabilityChange {
    /// Whether the two intervals overlap (`None` unless both exist).
    pub fn overlap(&self) -> Option<bool> {
        let (b, a) = (self.before?, self.after?);
        Some(a.low <= b.high && b.low <= a.high)
    }

    /// Whether the new interval lies wholly below the old one.
    pub fn fell(&self) -> bool {
        matches!((self.before, self.after), (Some(b), Some(a)) if a.high < b.low)
    }

    /// Whether the new interval lies wholly above the old one.
    pub fn rose(&self) -> bool {
        matches!((self.before, self.after), (Some(b), Some(a)) if a.low > b.high)
    }
}

/// One model, in brief.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The model's name.
    pub name: String,
    /// Its services.
    pub services: usize,
    /// Its entry points (entry services, then entry operations).
    pub entry_points: Vec<String>,
}

/// Everything that differs between two versions of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDiff {
    /// The model before.
    pub before: Summary,
    /// The model after.
    pub after: Summary,
    /// The model file's own changes.
    pub model: ModelChanges,
    /// Entry points only after.
    pub entries_added: Vec<String>,
    /// Entry points only before.
    pub entries_removed: Vec<String>,
    /// Entry points in both whose single points of failure changed.
    pub single_points: Vec<SpofChange>,
    /// Services whose blast radius changed: most entry traffic moved first.
    pub blast: Vec<BlastChange>,
    /// Single faults that change what users see.
    pub faults: FaultDiff,
    /// The Monte Carlo run.
    pub options: Options,
    /// Every entry point's availability in each model, after's entry points
    /// first (in order), then those only before.
    pub availability: Vec<AvailabilityChange>,
    /// Lints only after (with positions in the after file).
    pub lints_introduced: Vec<Lint>,
    /// Lints only before (with positions in the before file).
    pub lints_fixed: Vec<Lint>,
}

/// One way an entry point got worse (docs/review.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Worse {
    /// It gained a single point of failure.
    SinglePoint {
        /// The entry point.
        entry: String,
        /// The service or zone.
        point: Point,
    },
    /// A single fault (or no fault: `None`) newly degrades or downs it.
    Fault {
        /// The entry point.
        entry: String,
        /// The fault.
        fault: Option<SingleFault>,
        /// Before (`None`: no such fault).
        before: Option<Seen>,
        /// After.
        after: Option<Seen>,
    },
    /// Its availability interval fell wholly below the old one.
    Availability {
        /// The entry point.
        entry: String,
        /// Before.
        before: Interval,
        /// After.
        after: Interval,
    },
}

impl Worse {
    /// The entry point that got worse.
    pub fn entry(&self) -> &str {
        match self {
            Worse::SinglePoint { entry, .. }
            | Worse::Fault { entry, .. }
            | Worse::Availability { entry, .. } => entry,
        }
    }

    /// `single_point`, `fault` or `availability`.
    pub fn reason(&self) -> &'static str {
        match self {
            Worse::SinglePoint { .. } => "single_point",
            Worse::Fault { .. } => "fault",
            Worse::Availability { .. } => "availability",
        }
    }
}

impl ModelDiff {
    /// Every way an entry point got worse: single points gained, then
    /// faults, then availability.
    pub fn worse(&self) -> Vec<Worse> {
        let mut out: Vec<Worse> = self
            .single_points
            .iter()
            .flat_map(|c| {
                c.gained.iter().map(|p| Worse::SinglePoint {
                    entry: c.entry.clone(),
                    point: p.clone(),
                })
            })
            .collect();
        for change in &self.faults.changed {
            for e in change
                .entries
                .iter()
                .filter(|e| e.verdict == Verdict::Worse)
            {
                out.push(Worse::Fault {
                    entry: e.entry.clone(),
                    fault: change.fault.clone(),
                    before: e.before,
                    after: e.after,
                });
            }
        }
        for a in self.availability.iter().filter(|a| a.fell()) {
            if let (Some(before), Some(after)) = (a.before, a.after) {
                out.push(Worse::Availability {
                    entry: a.entry.clone(),
                    before,
                    after,
                });
            }
        }
        out
    }
}

/// One model's structural analyses, keyed by names.
struct Analysed {
    summary: Summary,
    /// Per entry point: its single points (services sorted, then zones).
    single_points: Vec<(String, Vec<Point>)>,
    /// Per service name: its blast.
    blast: Vec<(String, Blast)>,
    lints: Vec<Lint>,
}

impl Analysed {
    fn new(model: &Model) -> Analysed {
        let graph = Graph::build(model);
        let impacts = spof::impacts(model, &graph);
        let entries = spof::entries(model);
        let services = spof::single_points(model, &graph);
        let zones = spof::zone_single_points(model, &graph);
        let single_points = services
            .into_iter()
            .zip(zones)
            .map(|((entry, ids), (_, zs))| {
                let points = ids
                    .iter()
                    .map(|&id| Point::Service(model.service(id).name.clone()))
                    .chain(zs.iter().map(|&z| Point::Zone(model.zones[z].clone())))
                    .collect();
                (entry.name, points)
            })
            .collect();
        let total: f64 = model
            .entry_points()
            .map(|e| model.service(e).entry_rps().unwrap_or(0.0))
            .sum();
        let blast = impacts
            .iter()
            .map(|i: &Impact| {
                (
                    model.service(i.service).name.clone(),
                    Blast {
                        rps_lost: i.rps_lost,
                        share_lost: if total > 0.0 { i.rps_lost / total } else { 0.0 },
                        down: i.down,
                        degraded: i.degraded,
                        entries_down: i
                            .entries_down
                            .iter()
                            .map(|&k| entries[k].name.clone())
                            .collect(),
                    },
                )
            })
            .collect();
        let lints = lints::lints(model, &graph, &impacts);
        Analysed {
            summary: Summary {
                name: model.name.clone(),
                services: model.services().len(),
                entry_points: entries.into_iter().map(|e| e.name).collect(),
            },
            single_points,
            blast,
            lints,
        }
    }
}

/// Compares two versions of a model on every analysis (see the module
/// docs). `progress(stage, done, total)` is called from worker threads.
/// Fails, before any solve, when either model has too many basic events
/// for the Monte Carlo run.
pub fn diff(
    before: &Model,
    after: &Model,
    options: Options,
    progress: &(dyn Fn(Stage, u64, u64) + Sync),
) -> Result<ModelDiff, TooManyEvents> {
    events::count_events(before, None)?;
    events::count_events(after, None)?;
    let (old, new) = (Analysed::new(before), Analysed::new(after));
    let entries_added = only_in(&new.summary.entry_points, &old.summary.entry_points);
    let entries_removed = only_in(&old.summary.entry_points, &new.summary.entry_points);
    let availability = availability_changes(before, after, options, progress)?;
    let faults = faults::compare(before, after, &|d, t| progress(Stage::Faults, d, t));
    let key = |l: &Lint| (l.code, l.service.clone(), l.message.clone());
    let lints_introduced = new
        .lints
        .iter()
        .filter(|l| !old.lints.iter().any(|o| key(o) == key(l)))
        .cloned()
        .collect();
    let lints_fixed = old
        .lints
        .iter()
        .filter(|l| !new.lints.iter().any(|n| key(n) == key(l)))
        .cloned()
        .collect();
    Ok(ModelDiff {
        model: fields::compare(before, after),
        entries_added,
        entries_removed,
        single_points: spof_changes(&old, &new),
        blast: blast_changes(&old, &new),
        faults,
        options,
        availability,
        lints_introduced,
        lints_fixed,
        before: old.summary,
        after: new.summary,
    })
}

/// The items of `a` not in `b`, in `a`'s order.
fn only_in(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

fn spof_changes(old: &Analysed, new: &Analysed) -> Vec<SpofChange> {
    new.single_points
        .iter()
        .filter_map(|(entry, now)| {
            let (_, was) = old.single_points.iter().find(|(e, _)| e == entry)?;
            let gained: Vec<Point> = now.iter().filter(|p| !was.contains(p)).cloned().collect();
            let lost: Vec<Point> = was.iter().filter(|p| !now.contains(p)).cloned().collect();
            (!gained.is_empty() || !lost.is_empty()).then(|| SpofChange {
                entry: entry.clone(),
                gained,
                lost,
            })
        })
        .collect()
}

/// Services whose blast changed (a service in one model only counts as
/// taking nothing down in the other), most entry traffic moved first, then
/// most services moved, then by name.
fn blast_changes(old: &Analysed, new: &Analysed) -> Vec<BlastChange> {
    let find = |a: &Analysed, name: &str| {
        a.blast
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
    };
    let names = new.blast.iter().map(|(n, _)| n).chain(
        old.blast
            .iter()
            .map(|(n, _)| n)
            .filter(|n| !new.blast.iter().any(|(m, _)| m == *n)),
    );
    let mut out: Vec<BlastChange> = names
        .filter_map(|name| {
            let (before, after) = (find(old, name), find(new, name));
            let none = Blast::none();
            let differs = before
                .as_ref()
                .unwrap_or(&none)
                .differs(after.as_ref().unwrap_or(&none));
            differs.then(|| BlastChange {
                service: name.clone(),
                before,
                after,
            })
        })
        .collect();
    let moved = |c: &BlastChange| {
        let none = Blast::none();
        let (b, a) = (
            c.before.as_ref().unwrap_or(&none),
            c.after.as_ref().unwrap_or(&none),
        );
        (
            (a.share_lost - b.share_lost).abs(),
            a.down.abs_diff(b.down) + a.degraded.abs_diff(b.degraded),
        )
    };
    out.sort_by(|x, y| {
        let (mx, my) = (moved(x), moved(y));
        my.0.total_cmp(&mx.0)
            .then(my.1.cmp(&mx.1))
            .then(x.service.cmp(&y.service))
    });
    out
}

fn availability_changes(
    before: &Model,
    after: &Model,
    options: Options,
    progress: &(dyn Fn(Stage, u64, u64) + Sync),
) -> Result<Vec<AvailabilityChange>, TooManyEvents> {
    let mc = availability::Options {
        trials: options.trials,
        seed: options.seed,
        zone_availability: None,
    };
    let total = options.trials * 2;
    let run = |model: &Model, offset: u64| -> Result<Vec<EntryAvailability>, TooManyEvents> {
        availability::monte_carlo(model, &Graph::build(model), &mc, &|done| {
            progress(Stage::Trials, offset + done, total)
        })
    };
    let old = run(before, 0)?;
    // Equal models and one seed give equal draws: run once.
    let new = if faults::engine_identical(before, after) {
        progress(Stage::Trials, total, total);
        old.clone()
    } else {
        run(after, options.trials)?
    };
    let interval = |r: &EntryAvailability| Interval {
        availability: r.availability,
        low: r.ci95.0,
        high: r.ci95.1,
    };
    let mut out: Vec<AvailabilityChange> = new
        .iter()
        .map(|r| AvailabilityChange {
            entry: r.name.clone(),
            before: old.iter().find(|o| o.name == r.name).map(interval),
            after: Some(interval(r)),
        })
        .collect();
    out.extend(
        old.iter()
            .filter(|o| !new.iter().any(|r| r.name == o.name))
            .map(|o| AvailabilityChange {
                entry: o.name.clone(),
                before: Some(interval(o)),
                after: None,
            }),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn model(text: &str) -> Model {
        load_str(text, "m.yaml").unwrap().model
    }

    const OPTIONS: Options = Options {
        trials: 20_000,
        seed: 1,
    };

    #[test]
    fn a_new_single_replica_dependency_is_worse_and_removing_it_is_better() {
        let before = model(
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [db] }\n  db: { replicas: 2, availability: 99% }\n",
        );
        let after = model(
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [db, auth] }\n  db: { replicas: 2, availability: 99% }\n  auth: { availability: 99% }\n",
        );
        let d = diff(&before, &after, OPTIONS, &|_, _, _| {}).unwrap();
        assert_eq!(d.model.services_added, ["auth"]);
        assert_eq!(
            d.single_points,
            [SpofChange {
                entry: "web".into(),
                gained: vec![Point::Service("auth".into())],
                lost: vec![],
            }]
        );
        let worse = d.worse();
        let reasons: Vec<&str> = worse.iter().map(Worse::reason).collect();
        assert_eq!(reasons, ["single_point", "fault", "fault", "availability"]);
        assert!(worse.iter().all(|w| w.entry() == "web"));
        // `--down auth` and `--hang auth` exist only after.
        assert!(matches!(
            &worse[1],
            Worse::Fault { fault: Some(SingleFault::Down(s)), before: None, .. } if s == "auth"
        ));
        assert!(d.availability[0].fell() && d.availability[0].overlap() == Some(false));
        assert!(d.lints_introduced.iter().any(|l| l.service == "auth"));

        let back = diff(&after, &before, OPTIONS, &|_, _, _| {}).unwrap();
        assert!(back.worse().is_empty(), "{:?}", back.worse());
        assert_eq!(back.single_points[0].lost, [Point::Service("auth".into())]);
        assert!(back.availability[0].rose());
        assert!(!back.lints_fixed.is_empty());
    }

    #[test]
    fn entry_points_in_one_model_only_are_listed_not_compared() {
        let before =
            model("services:\n  web: { entry: { rps: 10 }, depends_on: [db] }\n  db: {}\n");
        let after = model(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [db] }\n  admin: { entry: { rps: 1 }, depends_on: [db] }\n  db: {}\n",
        );
        let d = diff(&before, &after, OPTIONS, &|_, _, _| {}).unwrap();
        assert_eq!(d.entries_added, ["admin"]);
        assert!(d.single_points.is_empty(), "{:?}", d.single_points);
        assert!(d.worse().is_empty(), "{:?}", d.worse());
        // db's failure now takes admin down too.
        let db = d.blast.iter().find(|b| b.service == "db").unwrap();
        assert_eq!(db.after.as_ref().unwrap().entries_down, ["web", "admin"]);
        assert_eq!(d.availability[1].entry, "admin");
        assert_eq!(d.availability[1].before, None);
    }
}
