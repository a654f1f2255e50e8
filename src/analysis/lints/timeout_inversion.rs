//! R002: a callee's timeout × attempts exceeds its caller's timeout.

use super::{Context, Found, Level, Rule, round_down};
use crate::model::{Mode, Phase};
use crate::text::duration;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R002",
    level: Level::Medium,
    summary: "a callee's timeout × attempts exceeds its caller's timeout",
    why: "the caller gives up first, so the callee's remaining attempts are wasted work that still loads it",
    check,
};

/// For every timed synchronous edge `a → b`, each synchronous edge
/// `b → c` whose timeout × attempts is longer than `a`'s timeout on `b`.
fn check(cx: &Context) -> Vec<Found> {
    let sync = |d: &&crate::model::Dependency| d.phase == Phase::Request && d.mode == Mode::Sync;
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let svc = cx.model.service(id);
        for dep in svc
            .operations
            .iter()
            .flat_map(|o| &o.depends_on)
            .filter(sync)
        {
            let Some(limit) = dep.timeout_s else { continue };
            let callee = dep.target.service;
            for inner in cx
                .model
                .service(callee)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .filter(sync)
            {
                let Some(t) = inner.timeout_s else { continue };
                let attempts = 1 + inner.retries;
                let worst = t * f64::from(attempts);
                if worst <= limit + 1e-9 {
                    continue;
                }
                let (b, c, a) = (cx.name(callee), cx.name(inner.target.service), &svc.name);
                let spend = if attempts == 1 {
                    format!("may wait {} for `{c}`", duration(t))
                } else {
                    format!(
                        "may spend {} on `{c}` ({} × {attempts} attempts)",
                        duration(worst),
                        duration(t)
                    )
                };
                // A timeout that fits every attempt inside the caller's,
                // with room for `b`'s own work.
                let fits = round_down(0.8 * limit / f64::from(attempts));
                let shorter = if attempts == 1 {
                    format!("`timeout: {}`", duration(fits))
                } else {
                    format!(
                        "`timeout: {}` with `retries: {}`, or fewer retries",
                        duration(fits),
                        inner.retries
                    )
                };
                out.push(Found {
                    service: callee,
                    message: format!(
                        "`{b}` {spend} but `{a}` gives up on `{b}` after {}",
                        duration(limit)
                    ),
                    fix: format!(
                        "fit `{b}`→`{c}` inside {}: {shorter}; or give `{a}`→`{b}` a timeout above {}",
                        duration(limit),
                        duration(worst)
                    ),
                    pos: inner.pos,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn retries_that_outlast_the_caller_are_found_with_a_timeout_that_fits() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [{ to: api, timeout: 1s }] }\n  api: { replicas: 2, depends_on: [{ to: db, timeout: 400ms, retries: 2 }] }\n  db: { replicas: 2, kind: database }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "api");
        assert_eq!(
            f[0].1,
            "`api` may spend 1.2s on `db` (400ms × 3 attempts) but `web` gives up on `api` after 1s"
        );
        // 0.8 × 1 s ÷ 3 = 267 ms, rounded down to 200 ms.
        assert!(
            f[0].2.contains("`timeout: 200ms` with `retries: 2`"),
            "{f:?}"
        );
    }

    #[test]
    fn attempts_that_fit_are_not_found() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: api, timeout: 1s }] }\n  api: { depends_on: [{ to: db, timeout: 300ms, retries: 2 }] }\n  db: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
