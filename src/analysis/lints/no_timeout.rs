//! R001: a synchronous dependency without a timeout.

use std::collections::HashSet;

use super::{Context, Found, Level, Rule, suggested_timeout};
use crate::model::{Criticality, Mode, Phase};

/// The rule.
pub const RULE: Rule = Rule {
    code: "R001",
    level: Level::High,
    summary: "a synchronous dependency (soft ones too) without a timeout",
    why: "without a timeout a slow or hung callee holds the caller's threads until its pool is exhausted",
    check,
};

/// Every synchronous request-phase edge without a timeout, with a timeout
/// to suggest: a round value at least five times the callee's fault-free
/// latency and at least 50 ms.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let svc = cx.model.service(id);
        let mut seen = HashSet::new();
        for dep in svc.operations.iter().flat_map(|o| &o.depends_on) {
            if dep.phase != Phase::Request
                || dep.mode != Mode::Sync
                || dep.timeout_s.is_some()
                || !seen.insert((dep.target, dep.pos))
            {
                continue;
            }
            let callee = dep.target.service;
            let soft = if dep.criticality == Criticality::Soft {
                "soft "
            } else {
                ""
            };
            let normal = cx.baseline().services[callee.index()].latency_s;
            let suggest = suggested_timeout(normal);
            let basis = if normal.is_finite() && normal > 0.0 {
                format!(
                    " (`{}` normally answers in {})",
                    cx.name(callee),
                    crate::sim::explain::latency(normal)
                )
            } else {
                String::new()
            };
            out.push(Found {
                service: id,
                message: format!(
                    "`{}` calls {soft}dependency `{}` without a timeout: if `{}` hangs, `{}` waits forever",
                    svc.name,
                    cx.name(callee),
                    cx.name(callee),
                    svc.name
                ),
                fix: format!(
                    "give `{}`→`{}` a timeout a few times its normal latency{basis}, e.g. `timeout: {}`; or set `defaults: {{ timeout }}` for every dependency",
                    svc.name,
                    cx.name(callee),
                    crate::text::duration(suggest)
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
    fn an_edge_without_a_timeout_is_found_with_a_timeout_to_set() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [api, { to: db, timeout: 1s }] }\n  api: { replicas: 2, latency: 30ms }\n  db: { replicas: 2 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "web");
        assert!(
            f[0].1
                .contains("`web` calls dependency `api` without a timeout"),
            "{f:?}"
        );
        // 5 × 30 ms = 150 ms, rounded up to 200 ms.
        assert!(
            f[0].2.contains("normally answers in 30ms") && f[0].2.contains("`timeout: 200ms`"),
            "{f:?}"
        );
    }

    #[test]
    fn async_startup_and_timed_edges_are_not_found() {
        let f = found(
            &RULE,
            "defaults: { timeout: 1s }\nservices:\n  web: { entry: { rps: 10 }, depends_on: [api, { to: q, mode: async }, { to: cfg, phase: startup, timeout: 1s }] }\n  api: {}\n  q: {}\n  cfg: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
