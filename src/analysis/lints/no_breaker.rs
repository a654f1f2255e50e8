//! R004: a hard dependency on a database or external service without a
//! breaker, fallback or cache.

use std::collections::HashSet;

use super::{Context, Found, Level, Rule};
use crate::model::{Criticality, Kind, Mode, Phase};

/// The rule.
pub const RULE: Rule = Rule {
    code: "R004",
    level: Level::Medium,
    summary: "a hard dependency on a database or external service without a breaker, fallback or cache",
    why: "when it slows or fails, every call waits or retries instead of failing fast and protecting both sides",
    check,
};

/// Hard synchronous edges to slow-prone kinds (databases and external
/// services) with nothing to fail fast or fall back on.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (id, dep) in cx.dependencies() {
        let callee = cx.model.service(dep.target.service);
        let unprotected = dep.phase == Phase::Request
            && dep.mode == Mode::Sync
            && dep.criticality == Criticality::Hard
            && dep.circuit_breaker.is_none()
            && dep.fallback.is_none()
            && dep.cache.is_none();
        if !unprotected
            || !matches!(callee.kind, Kind::External | Kind::Database)
            || !seen.insert(dep.pos)
        {
            continue;
        }
        let caller = cx.name(id);
        out.push(Found {
            service: id,
            message: format!(
                "`{caller}` depends hard on {} `{}` without a circuit breaker, fallback or cache: while `{}` fails, every call waits for it or retries",
                callee.kind.as_str(),
                callee.name,
                callee.name
            ),
            fix: format!(
                "add `circuit_breaker: {{ threshold: 50%, open_for: 30s }}` to `{caller}`→`{}`, or a `fallback` (a stale copy or a failover)",
                callee.name
            ),
            pos: dep.pos,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_bare_hard_edge_to_a_database_is_found_and_a_breaker_silences_it() {
        let f = found(
            &RULE,
            "services:\n  api: { entry: { rps: 10 }, depends_on: [{ to: db, timeout: 1s }, { to: pay, timeout: 1s, circuit_breaker: { threshold: 50%, open_for: 30s } }, { to: other, timeout: 1s }] }\n  db: { kind: database }\n  pay: { kind: external }\n  other: {}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.starts_with("`api` depends hard on database `db`"),
            "{f:?}"
        );
        assert!(f[0].2.contains("circuit_breaker"), "{f:?}");
    }
}
