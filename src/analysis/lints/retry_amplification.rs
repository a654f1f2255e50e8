//! R003: retries that multiply along a synchronous call path.

use std::collections::BTreeMap;

use super::{Context, Found, Level, Rule, path};
use crate::model::{Dependency, Mode, Model, Phase, ServiceId};

/// A retry amplification above this on some path is flagged.
pub const AMPLIFICATION_LIMIT: f64 = 8.0;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R003",
    level: Level::High,
    summary: "retries multiply above ×8 along a path (the factor and path are stated)",
    why: "retries at several layers multiply: a failing leaf receives that many attempts per user request",
    check,
};

/// Where the product of attempts along a path from an entry point is
/// largest and above [`AMPLIFICATION_LIMIT`] (a `retry_budget` caps its
/// edge's share); the layers that retry without a budget are named in the
/// fix.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    for (id, (factor, walk)) in worst_amplification(cx.model) {
        let retrying: Vec<String> = walk
            .windows(2)
            .filter_map(|w| {
                let retries = retries_on(cx.model, w[0], w[1]);
                (retries > 0)
                    .then(|| format!("`{}`→`{}` ({retries})", cx.name(w[0]), cx.name(w[1])))
            })
            .collect();
        out.push(Found {
            service: id,
            message: format!(
                "retries multiply to ×{} on the path {}: when `{}` fails, each user request sends it {} attempts",
                crate::text::number(factor),
                path(cx, &walk),
                cx.name(id),
                crate::text::number(factor)
            ),
            fix: format!(
                "retry at one layer only and set `retries: 0` on the others (now {}), or cap them with `retry_budget: 10%`",
                retrying.join(", ")
            ),
            pos: cx.model.service(id).pos,
        });
    }
    out
}

/// The most attempts one call can make on an edge: 1 + retries, or
/// 1 + the budget's share when a `retry_budget` caps them (docs/engine.md,
/// "Retries and retry budgets").
fn attempts(dep: &Dependency) -> f64 {
    let retries = f64::from(dep.retries);
    1.0 + dep.retry_budget.map_or(retries, |b| retries.min(b))
}

/// The most retries on a synchronous edge from `from` to `to` that no
/// budget caps.
fn retries_on(model: &Model, from: ServiceId, to: ServiceId) -> u32 {
    model
        .service(from)
        .operations
        .iter()
        .flat_map(|o| &o.depends_on)
        .filter(|d| d.target.service == to && d.phase == Phase::Request && d.mode == Mode::Sync)
        .filter(|d| d.retry_budget.is_none())
        .map(|d| d.retries)
        .max()
        .unwrap_or(0)
}

/// For each service at the end of a synchronous path from an entry point,
/// the largest product of attempts (1 + retries) reaching it, and the
/// path; only where the product is above the limit and largest along its
/// own path. Back edges of cycles are ignored.
fn worst_amplification(model: &Model) -> BTreeMap<ServiceId, (f64, Vec<ServiceId>)> {
    let n = model.services().len();
    let mut best: Vec<Option<(f64, Vec<ServiceId>)>> = vec![None; n];
    let mut stack: Vec<(ServiceId, f64, Vec<ServiceId>)> =
        model.entry_points().map(|e| (e, 1.0, vec![e])).collect();
    let mut budget = 200_000usize;
    while let Some((id, factor, path)) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        if best[id.index()].as_ref().is_some_and(|(f, _)| *f >= factor) {
            continue;
        }
        best[id.index()] = Some((factor, path.clone()));
        for op in &model.service(id).operations {
            for dep in op
                .depends_on
                .iter()
                .filter(|d| d.phase == Phase::Request && d.mode == Mode::Sync)
            {
                let t = dep.target.service;
                if path.contains(&t) {
                    continue;
                }
                let mut p = path.clone();
                p.push(t);
                stack.push((t, factor * attempts(dep), p));
            }
        }
    }
    // Report only where the product is largest along its own path (the
    // deepest point), not at every service after it.
    let mut out = BTreeMap::new();
    for id in model.service_ids() {
        if let Some((f, path)) = &best[id.index()]
            && *f > AMPLIFICATION_LIMIT
        {
            let extends = model
                .service(id)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .any(|d| {
                    best[d.target.service.index()]
                        .as_ref()
                        .is_some_and(|(g, p)| g >= f && p.len() > path.len() && p.starts_with(path))
                });
            if !extends {
                out.insert(id, (*f, path.clone()));
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
    fn nine_attempts_at_the_leaf_are_found_with_the_layers_that_retry() {
        let f = found(
            &RULE,
            "services:\n  a: { entry: { rps: 1 }, replicas: 2, depends_on: [{ to: b, timeout: 1s, retries: 2 }] }\n  b: { replicas: 2, depends_on: [{ to: c, timeout: 1s, retries: 2 }] }\n  c: { replicas: 2 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "c", "reported at the deepest point only");
        assert!(
            f[0].1
                .starts_with("retries multiply to ×9 on the path `a` → `b` → `c`"),
            "{f:?}"
        );
        assert!(f[0].2.contains("`a`→`b` (2), `b`→`c` (2)"), "{f:?}");
    }

    #[test]
    fn a_retry_budget_caps_its_layer() {
        // ×3 at `a`→`b` but capped at 1.1 by its budget: 1.1 × 3 × 3 = 9.9
        // without it 27.
        let f = found(
            &RULE,
            "services:\n  a: { entry: { rps: 1 }, depends_on: [{ to: b, timeout: 9s, retries: 2, retry_budget: 10% }] }\n  b: { depends_on: [{ to: c, timeout: 3s, retries: 2 }] }\n  c: { depends_on: [{ to: d, timeout: 1s, retries: 2 }] }\n  d: {}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1
                .starts_with("retries multiply to ×9.9 on the path `a` → `b` → `c` → `d`"),
            "{f:?}"
        );
        assert!(f[0].2.contains("(now `b`→`c` (2), `c`→`d` (2))"), "{f:?}");
        let f = found(
            &RULE,
            "services:\n  a: { entry: { rps: 1 }, depends_on: [{ to: b, timeout: 3s, retries: 2, retry_budget: 10% }] }\n  b: { depends_on: [{ to: c, timeout: 1s, retries: 2 }] }\n  c: {}\n",
        );
        assert!(f.is_empty(), "1.1 × 3 is not a storm: {f:?}");
    }

    #[test]
    fn eight_attempts_are_not_found() {
        let f = found(
            &RULE,
            "services:\n  a: { entry: { rps: 1 }, depends_on: [{ to: b, timeout: 1s, retries: 1 }] }\n  b: { depends_on: [{ to: c, timeout: 1s, retries: 3 }] }\n  c: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
