//! R011: a stale fallback, which hides its target's failure only for its
//! window (SPEC: the structural evaluation counts it as protection, and
//! the review says how long that protection lasts).

use std::collections::HashSet;

use super::{Context, Found, Level, Rule};
use crate::model::{Criticality, Fallback};
use crate::text::duration;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R011",
    level: Level::Low,
    summary: "a stale fallback: it hides its target's failure only for its window (the window and what fails after it are stated)",
    why: "the structural analyses count stale copies as protection, but an outage longer than the window reaches the caller all the same",
    check,
};

/// Every hard dependency with `serve_stale_for`, once per edge: how long it
/// lasts, and what the caller's failure takes down once it runs out.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let svc = cx.model.service(id);
        let mut seen = HashSet::new();
        for dep in svc.operations.iter().flat_map(|o| &o.depends_on) {
            let Some(Fallback::ServeStale { for_s }) = dep.fallback else {
                continue;
            };
            if dep.criticality != Criticality::Hard || !seen.insert(dep.pos) {
                continue;
            }
            let (caller, target) = (cx.name(id), cx.name(dep.target.service));
            let window = duration(for_s);
            let then = match cx.impacts.get(id.index()) {
                Some(i) if i.rps_lost > 0.0 || i.down > 0 => format!(
                    ", and with it {} other service{} ({} rps of user traffic)",
                    i.down,
                    if i.down == 1 { "" } else { "s" },
                    crate::sim::explain::rate(i.rps_lost)
                ),
                _ => String::new(),
            };
            out.push(Found {
                service: id,
                message: format!(
                    "`{caller}` serves stale copies when `{target}` fails, for {window}: an outage of `{target}` longer than {window} takes down `{caller}`{then}"
                ),
                fix: format!(
                    "make sure `{target}` is back within {window} (spare replicas, a faster restart or failover), or serve stale copies for longer if the data can be that old (`serve_stale_for`)"
                ),
                pos: dep.pos,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_stale_window_is_stated_with_what_fails_after_it() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: api, timeout: 1s }] }\n  api: { depends_on: [{ to: db, timeout: 1s, fallback: { serve_stale_for: 5m } }] }\n  db: {}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "api");
        assert_eq!(
            f[0].1,
            "`api` serves stale copies when `db` fails, for 5m: an outage of `db` longer than 5m takes down `api`, and with it 1 other service (100 rps of user traffic)"
        );
    }

    #[test]
    fn a_soft_dependency_or_a_failover_is_not_a_stale_window() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: db, timeout: 1s, fallback: { to: db2 } }, { to: rec, timeout: 1s, criticality: soft, fallback: { serve_stale_for: 5m } }] }\n  db: {}\n  db2: {}\n  rec: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
