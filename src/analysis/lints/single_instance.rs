//! R005: a single-replica or single-zone service whose failure takes an
//! entry point down.

use super::{Context, Found, Level, Rule};
use crate::analysis::spof::entries;
use crate::model::Kind;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R005",
    level: Level::High,
    summary: "a single-replica or single-zone service of yours whose failure takes an entry down (not external ones: their replicas are the provider's)",
    why: "one crash, deploy or zone loss takes users down",
    check,
};

/// Services with one replica, or all replicas in one of several zones,
/// whose failure alone takes an entry point down. External services are
/// left out: how many replicas a provider runs is not a design choice here
/// (R004 covers protecting the calls to them).
fn check(cx: &Context) -> Vec<Found> {
    let entry_names = entries(cx.model);
    let mut out = Vec::new();
    for imp in cx.impacts.iter().filter(|i| !i.entries_down.is_empty()) {
        let svc = cx.model.service(imp.service);
        let single_zone = cx.model.zones.len() > 1 && svc.zones.len() == 1;
        if svc.kind == Kind::External || !(svc.replicas == 1 || single_zone) {
            continue;
        }
        let mut hit: Vec<String> = imp
            .entries_down
            .iter()
            .take(3)
            .map(|&e| format!("`{}`", entry_names[e].name))
            .collect();
        if imp.entries_down.len() > 3 {
            hit.push(format!("{} more", imp.entries_down.len() - 3));
        }
        let (what, fix) = if svc.replicas == 1 {
            (
                "a single replica".to_string(),
                format!(
                    "run at least 2 replicas of `{}`{}, or let its callers survive without it (`criticality: soft` or a `fallback`)",
                    svc.name,
                    if cx.model.zones.len() > 1 {
                        " in different zones"
                    } else {
                        ""
                    }
                ),
            )
        } else {
            (
                format!("all {} replicas in zone `{}`", svc.replicas, svc.zones[0]),
                format!(
                    "spread `{}` over at least two zones (`zones: [{}]`)",
                    svc.name,
                    cx.model
                        .zones
                        .iter()
                        .take(svc.replicas.min(3) as usize)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        out.push(Found {
            service: imp.service,
            message: format!(
                "`{}` has {what}, and its failure alone takes {} down",
                svc.name,
                hit.join(", ")
            ),
            fix,
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
    fn a_single_replica_on_the_hard_path_is_found_and_an_external_one_is_not() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [{ to: db, timeout: 1s }, { to: maps, timeout: 1s }, { to: recs, timeout: 1s, criticality: soft }] }\n  db: { kind: database }\n  maps: { kind: external }\n  recs: {}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "db");
        assert_eq!(
            f[0].1,
            "`db` has a single replica, and its failure alone takes `web` down"
        );
        assert!(
            f[0].2.starts_with("run at least 2 replicas of `db`"),
            "{f:?}"
        );
    }

    #[test]
    fn replicas_in_one_zone_are_found_with_zones_to_spread_over() {
        let f = found(
            &RULE,
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [{ to: db, timeout: 1s }] }\n  db: { replicas: 2, zones: [a] }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.starts_with("`db` has all 2 replicas in zone `a`"),
            "{f:?}"
        );
        assert!(f[0].2.contains("`zones: [a, b]`"), "{f:?}");
    }
}
