//! Basic events (docs/review.md, "Minimal cut sets"): the independent
//! machine failures that cut sets, Monte Carlo availability and fault trees
//! are built from.
//!
//! A single-replica service is one event named by the service (`cart`); a
//! multi-replica service has one event per replica, `NAME#k` with k from 1
//! (`catalog-db#2`); a zone is an event `zone:NAME` only when a zone
//! availability is given. Replica k fails when its own event occurs or, when
//! zones are events, the event of the zone it lives in (`zones[(k−1) mod n]`).
//! A service fails as a whole — `down` for the structural rules — when fewer
//! than `quorum` of its replicas survive: a k-of-n gate over its replicas
//! with k = replicas − quorum + 1 (see [`replicas_to_fail`]).
//!
//! Every analysis built on basic events (cut sets, fault trees, Monte Carlo
//! availability) refuses a model with more than [`MAX_EVENTS`] of them
//! before doing any work ([`count_events`]): each replica is an event with
//! a name, so a service with a billion replicas would need tens of
//! gigabytes.

use smallvec::SmallVec;

use super::mincut::{Cut, Family, MAX_SETS, OwnFailure, any_subset, choose};
use crate::model::{Model, Service, ServiceId};
use crate::sim::structural::{Health, StructuralFaults};

/// The most basic events a model may have for cut sets, fault trees and
/// availability: replicas of multi-replica services, single-replica
/// services and (when they are events) zones. A million events take about
/// 100 MB as named events; real fleets of 100,000 services have a few
/// hundred thousand.
pub const MAX_EVENTS: u64 = 1_000_000;

/// A model with more basic events than [`MAX_EVENTS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{model}` has {events} basic events, more than the {MAX_EVENTS} that cut sets, fault trees and availability take (each replica is one; `{service}` alone has {replicas})"
)]
pub struct TooManyEvents {
    /// The model's name.
    pub model: String,
    /// Its number of basic events.
    pub events: u64,
    /// The service with the most replicas.
    pub service: String,
    /// Its replicas.
    pub replicas: u32,
}

/// The number of basic events of `model` ([`basic_events`] without building
/// them), or why there are too many. O(services).
pub fn count_events(model: &Model, zone_availability: Option<f64>) -> Result<u64, TooManyEvents> {
    let services: u64 = model
        .services()
        .iter()
        .map(|s| u64::from(s.replicas.max(1)))
        .sum();
    let zones = if zone_availability.is_some() {
        model.zones.len() as u64
    } else {
        0
    };
    let events = services + zones;
    if events <= MAX_EVENTS {
        return Ok(events);
    }
    let biggest = model.services().iter().max_by_key(|s| s.replicas);
    Err(TooManyEvents {
        model: model.name.clone(),
        events,
        service: biggest.map(|s| s.name.clone()).unwrap_or_default(),
        replicas: biggest.map_or(0, |s| s.replicas),
    })
}

/// What a basic event stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The one replica of a single-replica service.
    Service(ServiceId),
    /// Replica `.1` (from 1) of a multi-replica service.
    Replica(ServiceId, u32),
    /// A whole zone (index into [`Model::zones`]).
    Zone(usize),
}

/// One independent failure with its probability.
#[derive(Debug, Clone, PartialEq)]
pub struct BasicEvent {
    /// Its name: `cart`, `catalog-db#2` or `zone:eu-1a`.
    pub name: String,
    /// What fails.
    pub kind: EventKind,
    /// Probability that it has failed at a given moment: its unavailability,
    /// 1 − availability (per replica for services, per zone for zones).
    pub probability: f64,
}

/// Every basic event of `model`, in a fixed order: services in model order
/// (a service's replicas ascending), then — when `zone_availability` (0–1)
/// is given — every declared zone in model order.
///
/// Fails with [`TooManyEvents`] above [`MAX_EVENTS`], before allocating.
/// Linear in services + replicas + zones.
///
/// ```
/// let text = "zones: [a, b]\nservices:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 2 }\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let names: Vec<String> = whatif::analysis::events::basic_events(&model, Some(0.999))
///     .unwrap()
///     .into_iter()
///     .map(|e| e.name)
///     .collect();
/// assert_eq!(names, ["web", "db#1", "db#2", "zone:a", "zone:b"]);
/// ```
pub fn basic_events(
    model: &Model,
    zone_availability: Option<f64>,
) -> Result<Vec<BasicEvent>, TooManyEvents> {
    let mut events = Vec::with_capacity(count_events(model, zone_availability)? as usize);
    for id in model.service_ids() {
        let s = model.service(id);
        let probability = 1.0 - s.availability;
        if s.replicas <= 1 {
            events.push(BasicEvent {
                name: s.name.clone(),
                kind: EventKind::Service(id),
                probability,
            });
        } else {
            events.extend((1..=s.replicas).map(|k| BasicEvent {
                name: format!("{}#{k}", s.name),
                kind: EventKind::Replica(id, k),
                probability,
            }));
        }
    }
    if let Some(a) = zone_availability {
        events.extend(model.zones.iter().enumerate().map(|(z, name)| BasicEvent {
            name: format!("zone:{name}"),
            kind: EventKind::Zone(z),
            probability: 1.0 - a,
        }));
    }
    Ok(events)
}

/// How many of a service's replicas must fail for it to fail as a whole:
/// replicas − quorum + 1 (1 for a single replica; all of them at quorum 1).
pub fn replicas_to_fail(service: &Service) -> u32 {
    service.replicas.saturating_sub(service.quorum) + 1
}

/// The events that take one replica down: any one of them suffices.
pub type ReplicaCauses = SmallVec<[usize; 2]>;

/// For every service (model order) and every replica (from 1), the indices
/// into `events` of the basic events any one of which takes that replica
/// down: its own event, then its zone's when zones are events. `events` must
/// be [`basic_events`] of the same model.
pub fn replica_causes(model: &Model, events: &[BasicEvent]) -> Vec<Vec<ReplicaCauses>> {
    let mut causes: Vec<Vec<ReplicaCauses>> = model
        .services()
        .iter()
        .map(|s| vec![ReplicaCauses::new(); s.replicas as usize])
        .collect();
    let mut zone_event = vec![None; model.zones.len()];
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::Service(id) => causes[id.index()][0].push(i),
            EventKind::Replica(id, k) => causes[id.index()][k as usize - 1].push(i),
            EventKind::Zone(z) => zone_event[z] = Some(i),
        }
    }
    if zone_event.iter().any(Option::is_some) {
        for id in model.service_ids() {
            let s = model.service(id);
            for k in 1..=s.replicas {
                let zone = s
                    .zone_of_replica(k)
                    .and_then(|name| model.zones.iter().position(|z| z == name));
                if let Some(i) = zone.and_then(|z| zone_event[z]) {
                    causes[id.index()][k as usize - 1].push(i);
                }
            }
        }
    }
    causes
}

/// The basic events of a model as [`OwnFailure`] families for the cut-set
/// solver: service `s` fails by itself when `replicas − quorum + 1` of its
/// replicas fail, each by its own event or its zone's.
#[derive(Debug, Clone)]
pub struct ReplicaEvents {
    /// First event of each service (its replica 1), and replicas.
    first: Vec<u32>,
    replicas: Vec<u32>,
    need: Vec<u32>,
    /// Per service: the model zone of each zone position (replica k lives at
    /// position (k − 1) mod len); empty when zones are not events.
    zones: Vec<Vec<u32>>,
    /// Event of model zone 0, when zones are events.
    zone_base: Option<u32>,
}

impl ReplicaEvents {
    /// The events of `model` as [`basic_events`] numbers them (with zones as
    /// events when `zone_availability` is given). O(services + zones).
    pub fn new(model: &Model, zone_availability: Option<f64>) -> ReplicaEvents {
        let mut first = Vec::with_capacity(model.services().len());
        let mut next = 0u32;
        for s in model.services() {
            first.push(next);
            next += s.replicas.max(1);
        }
        let zone_base = zone_availability.map(|_| next);
        let zones = model
            .services()
            .iter()
            .map(|s| match zone_base {
                Some(_) => s
                    .zones
                    .iter()
                    .filter_map(|z| model.zones.iter().position(|m| m == z))
                    .map(|z| z as u32)
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        ReplicaEvents {
            first,
            replicas: model.services().iter().map(|s| s.replicas.max(1)).collect(),
            need: model.services().iter().map(replicas_to_fail).collect(),
            zones,
            zone_base,
        }
    }

    /// The event of replica `k` (from 0) of service `s`.
    fn replica(&self, s: usize, k: u32) -> u32 {
        self.first[s] + k
    }
}

impl OwnFailure for ReplicaEvents {
    /// The minimal sets of at most `asked` events that take `s` down by
    /// itself: some of its zones Z and `m` replicas outside them, with the
    /// replicas in Z plus `m` reaching `replicas − quorum + 1`. Counted in
    /// closed form before any is listed, so a service with a million
    /// replicas and a high quorum costs nothing; orders whose sets would
    /// exceed [`MAX_SETS`] are given up (`complete_to`), and so are those
    /// that would need more than [`MAX_SETS`] subsets of its zones.
    fn own(&self, id: ServiceId, asked: usize) -> Family {
        let s = id.index();
        let (r, need) = (self.replicas[s], self.need[s]);
        // Model zones of this service, each with its replicas (positions
        // sharing a zone pooled).
        let positions = &self.zones[s];
        let mut zones: Vec<(u32, u32)> = Vec::new();
        for (j, &z) in positions.iter().enumerate() {
            let j = j as u32;
            let count = r / positions.len() as u32 + u32::from(j < r % positions.len() as u32);
            match zones.iter_mut().find(|(m, _)| *m == z) {
                Some(entry) => entry.1 += count,
                None if count > 0 => zones.push((z, count)),
                None => {}
            }
        }
        // No minimal set holds more than every zone and `need` replicas.
        let largest = zones.len() + need as usize;
        let mut order = asked.min(largest);
        // Zone subsets of at most `order` zones: (zones, replicas covered).
        let mut choices: Vec<(Vec<u32>, u32)> = Vec::new();
        let idx: Vec<u32> = (0..zones.len() as u32).collect();
        for size in 0..=order.min(zones.len()) {
            if choices
                .len()
                .saturating_add(choose(idx.len() as u64, size as u64))
                > MAX_SETS
            {
                // Every set of fewer events has fewer zones: those are all here.
                order = size - 1;
                break;
            }
            any_subset(&idx, size, &mut |zs| {
                let covered = zs.iter().map(|&i| zones[i as usize].1).sum::<u32>();
                choices.push((zs.to_vec(), covered));
                false
            });
        }
        let count = |order: usize| -> usize {
            choices
                .iter()
                .map(|(zs, covered)| {
                    let m = need.saturating_sub(*covered) as usize;
                    if zs.len() + m > order {
                        0
                    } else {
                        choose(u64::from(r - covered), m as u64)
                    }
                })
                .fold(0usize, usize::saturating_add)
        };
        if count(order) > MAX_SETS {
            // The highest order that fits (count grows with the order).
            let (mut fits, mut not) = (0, order);
            while not - fits > 1 {
                let mid = fits + (not - fits) / 2;
                if count(mid) > MAX_SETS {
                    not = mid;
                } else {
                    fits = mid;
                }
            }
            order = fits;
        }
        let zone_event = |i: u32| self.zone_base.unwrap_or(0) + zones[i as usize].0;
        let mut sets = Vec::new();
        for (zs, covered) in &choices {
            let m = need.saturating_sub(*covered) as usize;
            if zs.len() + m > order || m > (r - covered) as usize {
                continue;
            }
            // Minimal: no zone of Z is spare.
            if m == 0 && zs.iter().any(|&i| covered - zones[i as usize].1 >= need) {
                continue;
            }
            let in_z = |k: u32| {
                !positions.is_empty()
                    && zs
                        .iter()
                        .any(|&i| zones[i as usize].0 == positions[(k as usize) % positions.len()])
            };
            let outside: Vec<u32> = if m == 0 {
                Vec::new()
            } else {
                (0..r)
                    .filter(|&k| !in_z(k))
                    .map(|k| self.replica(s, k))
                    .collect()
            };
            let base: Vec<u32> = zs.iter().map(|&i| zone_event(i)).collect();
            any_subset(&outside, m, &mut |rs| {
                let mut all: Vec<u32> = base.iter().chain(rs).copied().collect();
                all.sort_unstable();
                sets.push(Cut::of(&all));
                false
            });
        }
        // Nothing given up: complete up to the order asked, however high.
        let complete_to = if order == asked.min(largest) {
            asked
        } else {
            order
        };
        super::mincut::minimize(sets, complete_to)
    }
}

/// The structural reading of a set of basic events: every service with
/// fewer than `quorum` surviving replicas is forced down; nothing else
/// changes. `occurred[i]` says whether `events[i]` happened; `events` must be
/// [`basic_events`] of the same model.
pub fn structural_faults(
    model: &Model,
    events: &[BasicEvent],
    occurred: &[bool],
) -> StructuralFaults {
    let mut faults = StructuralFaults::none(model.services().len());
    for (i, replicas) in replica_causes(model, events).iter().enumerate() {
        let failed = replicas
            .iter()
            .filter(|causes| causes.iter().any(|&e| occurred[e]))
            .count() as u32;
        if failed >= replicas_to_fail(&model.services()[i]) {
            faults.forced[i] = Health::Down;
        }
    }
    faults
}

/// A model with more basic events than [`MAX_EVENTS`] (a service may have
/// at most 100,000 replicas, so it takes several): `web` calls `db`
/// (100,000 replicas, the biggest) and ten unused services of 99,999 each,
/// 1,099,991 events in all. With `zones: [a, b, c]` when `zoned`.
#[cfg(test)]
pub(crate) fn too_many_events_text(zoned: bool) -> String {
    let mut text = String::from(if zoned { "zones: [a, b, c]\n" } else { "" });
    text.push_str(
        "services:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 100000 }\n",
    );
    for i in 0..10 {
        text.push_str(&format!("  pad{i}: {{ replicas: 99999 }}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    const ZONED: &str = "zones: [z1, z2]\nservices:\n  web: { entry: { rps: 1 }, depends_on: [db], availability: 99% }\n  db: { replicas: 3, quorum: 2, availability: 90% }\n";

    fn model(text: &str) -> Model {
        load_str(text, "t.yaml").expect("valid").model
    }

    #[test]
    fn names_kinds_and_probabilities() {
        let m = model(ZONED);
        let events = basic_events(&m, None).unwrap();
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["web", "db#1", "db#2", "db#3"]);
        assert_eq!(events[0].kind, EventKind::Service(ServiceId(0)));
        assert_eq!(events[3].kind, EventKind::Replica(ServiceId(1), 3));
        assert!((events[0].probability - 0.01).abs() < 1e-12);
        assert!((events[1].probability - 0.1).abs() < 1e-12);
        let with_zones = basic_events(&m, Some(0.999)).unwrap();
        assert_eq!(with_zones.len(), 6);
        assert_eq!(with_zones[5].name, "zone:z2");
        assert_eq!(with_zones[5].kind, EventKind::Zone(1));
        assert!((with_zones[5].probability - 0.001).abs() < 1e-12);
    }

    #[test]
    fn replicas_fail_by_their_own_event_or_their_zone() {
        let m = model(ZONED);
        let events = basic_events(&m, Some(0.999)).unwrap();
        let causes = replica_causes(&m, &events);
        // web's one replica lives in z1; db's replicas in z1, z2, z1.
        assert_eq!(causes[0][0].as_slice(), [0, 4]);
        assert_eq!(causes[1][0].as_slice(), [1, 4]);
        assert_eq!(causes[1][1].as_slice(), [2, 5]);
        assert_eq!(causes[1][2].as_slice(), [3, 4]);
        assert_eq!(
            replica_causes(&m, &basic_events(&m, None).unwrap())[1][2].as_slice(),
            [3]
        );
    }

    #[test]
    fn quorum_is_k_of_n() {
        let m = model(ZONED);
        assert_eq!(replicas_to_fail(&m.services()[0]), 1);
        assert_eq!(replicas_to_fail(&m.services()[1]), 2);
        let events = basic_events(&m, Some(0.999)).unwrap();
        let down = |set: &[usize]| {
            let mut occurred = vec![false; events.len()];
            for &i in set {
                occurred[i] = true;
            }
            structural_faults(&m, &events, &occurred).forced
        };
        use Health::{Down, Up};
        assert_eq!(down(&[1]), [Up, Up]);
        assert_eq!(down(&[1, 3]), [Up, Down]);
        assert_eq!(down(&[5]), [Up, Up], "zone z2 holds one db replica");
        assert_eq!(
            down(&[4]),
            [Down, Down],
            "zone z1 holds web and two db replicas"
        );
    }
}
