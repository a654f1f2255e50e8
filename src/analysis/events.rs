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

use smallvec::SmallVec;

use crate::model::{Model, Service, ServiceId};
use crate::sim::structural::{Health, StructuralFaults};

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
/// Linear in services + replicas + zones.
///
/// ```
/// let text = "zones: [a, b]\nservices:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 2 }\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let names: Vec<String> = whatif::analysis::events::basic_events(&model, Some(0.999))
///     .into_iter()
///     .map(|e| e.name)
///     .collect();
/// assert_eq!(names, ["web", "db#1", "db#2", "zone:a", "zone:b"]);
/// ```
pub fn basic_events(model: &Model, zone_availability: Option<f64>) -> Vec<BasicEvent> {
    let mut events = Vec::new();
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
    events
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
        let events = basic_events(&m, None);
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["web", "db#1", "db#2", "db#3"]);
        assert_eq!(events[0].kind, EventKind::Service(ServiceId(0)));
        assert_eq!(events[3].kind, EventKind::Replica(ServiceId(1), 3));
        assert!((events[0].probability - 0.01).abs() < 1e-12);
        assert!((events[1].probability - 0.1).abs() < 1e-12);
        let with_zones = basic_events(&m, Some(0.999));
        assert_eq!(with_zones.len(), 6);
        assert_eq!(with_zones[5].name, "zone:z2");
        assert_eq!(with_zones[5].kind, EventKind::Zone(1));
        assert!((with_zones[5].probability - 0.001).abs() < 1e-12);
    }

    #[test]
    fn replicas_fail_by_their_own_event_or_their_zone() {
        let m = model(ZONED);
        let events = basic_events(&m, Some(0.999));
        let causes = replica_causes(&m, &events);
        // web's one replica lives in z1; db's replicas in z1, z2, z1.
        assert_eq!(causes[0][0].as_slice(), [0, 4]);
        assert_eq!(causes[1][0].as_slice(), [1, 4]);
        assert_eq!(causes[1][1].as_slice(), [2, 5]);
        assert_eq!(causes[1][2].as_slice(), [3, 4]);
        assert_eq!(
            replica_causes(&m, &basic_events(&m, None))[1][2].as_slice(),
            [3]
        );
    }

    #[test]
    fn quorum_is_k_of_n() {
        let m = model(ZONED);
        assert_eq!(replicas_to_fail(&m.services()[0]), 1);
        assert_eq!(replicas_to_fail(&m.services()[1]), 2);
        let events = basic_events(&m, Some(0.999));
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
