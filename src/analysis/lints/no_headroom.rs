//! R006: not enough capacity left after losing one replica or one zone
//! (an N+1 failure).

use super::{Context, Found, Level, Rule, replicas};
use crate::model::{Kind, Service};
use crate::sim::explain::{percent, rate};

/// The rule.
pub const RULE: Rule = Rule {
    code: "R006",
    level: Level::High,
    summary: "a replicated service of yours whose survivors cannot carry the fault-free load after losing one replica or the worst zone (N+1)",
    why: "the first replica or zone lost overloads the survivors (an N+1 failure)",
    check,
};

/// Replicas left after losing the worst zone, when `replicas` are spread
/// round-robin over `zones` (several), and that zone.
fn after_worst_zone(zones: &[String], replicas: u32) -> (u32, &str) {
    let n = zones.len() as u32;
    // Zone i holds replicas/n, plus one when i < replicas mod n: the first
    // zone holds the most.
    let most = replicas.div_ceil(n);
    (replicas - most, &zones[0])
}

/// What survives the worst single loss: the replicas left and what was
/// lost, in words.
fn survivors(svc: &Service, zoned: bool) -> (u32, String) {
    let after_one = svc.replicas - 1;
    if zoned {
        let (left, zone) = after_worst_zone(&svc.zones, svc.replicas);
        if left < after_one {
            return (left, format!("zone `{zone}`"));
        }
    }
    (after_one, "a replica".into())
}

/// Replicated services (not external ones: a provider's replicas are not
/// a design choice here) whose fault-free load is at least what the
/// survivors of the worst single loss can serve, with the replica count or
/// capacity that would carry it.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let svc = cx.model.service(id);
        let Some(capacity) = svc.capacity else {
            continue;
        };
        let load = cx.baseline().services[id.index()].load_rps;
        if svc.kind == Kind::External || svc.replicas < 2 || load <= 0.0 {
            continue;
        }
        let zoned = svc.zones.len() > 1;
        let (left, lost) = survivors(svc, zoned);
        let can = f64::from(left) * capacity;
        if load < can {
            continue;
        }
        let needed = (svc.replicas + 1..svc.replicas.saturating_add(100_000))
            .find(|&r| {
                let left = if zoned {
                    after_worst_zone(&svc.zones, r).0
                } else {
                    r - 1
                };
                f64::from(left) * capacity > load
            })
            .unwrap_or(svc.replicas + 1);
        let consequence = if load > can {
            "requests queue, then fail"
        } else {
            "the queue grows without end"
        };
        out.push(Found {
            service: id,
            message: format!(
                "`{}` carries {} rps with no fault; after losing {lost}, the {} left {} at most {} rps: {} of {} capacity, so {consequence}",
                svc.name,
                rate(load),
                replicas(left),
                if left == 1 { "serves" } else { "serve" },
                rate(can),
                percent(load / can),
                if left == 1 { "its" } else { "their" }
            ),
            fix: format!(
                "run at least {needed} replicas of `{}` ({} rps each){}, or raise its `capacity` above {} rps per replica",
                svc.name,
                rate(capacity),
                if zoned { " spread over its zones" } else { "" },
                rate(load / f64::from(left.max(1)))
            ),
            pos: svc.pos,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn survivors_at_full_capacity_are_found_with_the_replicas_needed() {
        // 100 rps on 2 × 60: one replica left serves 60 (167 %); 3 replicas
        // leave 120 > 100.
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 100 }, replicas: 2, depends_on: [{ to: db, timeout: 1s }] }\n  db: { replicas: 2, capacity: 60 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "db");
        assert_eq!(
            f[0].1,
            "`db` carries 100 rps with no fault; after losing a replica, the 1 replica left serves at most 60 rps: 167% of its capacity, so requests queue, then fail"
        );
        assert!(
            f[0].2
                .starts_with("run at least 3 replicas of `db` (60 rps each)"),
            "{f:?}"
        );
    }

    #[test]
    fn exactly_full_survivors_are_a_risk_and_say_so() {
        let f = found(
            &RULE,
            "services:\n  auth: { entry: { rps: 3000 }, replicas: 3, capacity: 1500 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1
                .contains("100% of their capacity, so the queue grows without end"),
            "{f:?}"
        );
        assert!(f[0].2.starts_with("run at least 4 replicas"), "{f:?}");
    }

    #[test]
    fn zones_count_and_single_and_external_services_are_left_to_others() {
        // 4 replicas over 3 zones: losing the first zone (2 replicas)
        // leaves 2 × 100 = 200 < 250.
        let f = found(
            &RULE,
            "zones: [a, b, c]\nservices:\n  web: { entry: { rps: 250 }, replicas: 4, capacity: 100, depends_on: [{ to: one, timeout: 1s }, { to: ext, timeout: 1s }] }\n  one: { capacity: 10 }\n  ext: { kind: external, replicas: 2, capacity: 10 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1
                .contains("after losing zone `a`, the 2 replicas left serve at most 200 rps"),
            "{f:?}"
        );
        // 5 over 3 zones loses 2 (3 × 100 = 300 > 250).
        assert!(
            f[0].2.starts_with(
                "run at least 5 replicas of `web` (100 rps each) spread over its zones"
            ),
            "{f:?}"
        );
    }
}
