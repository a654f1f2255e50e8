//! R008: a startup dependency that can block a restart.

use std::collections::HashSet;

use super::{Context, Found, Level, Rule};
use crate::graph::Graph;
use crate::model::{Phase, ServiceId};

/// The rule.
pub const RULE: Rule = Rule {
    code: "R008",
    level: Level::Medium,
    summary: "a startup dependency that can block a restart (single replica, or it needs the caller)",
    why: "while it is down nothing that needs it can restart, turning a short blip into a long outage",
    check,
};

/// Startup dependencies on a single replica, or on a service that
/// (transitively) needs the caller.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let svc = cx.model.service(id);
        let mut seen = HashSet::new();
        for dep in svc
            .operations
            .iter()
            .flat_map(|o| &o.depends_on)
            .filter(|d| d.phase == Phase::Startup)
        {
            let t = dep.target.service;
            if !seen.insert(t) {
                continue;
            }
            let callee = cx.model.service(t);
            let needs_us = depends_on(cx.graph, t, id);
            if callee.replicas > 1 && !needs_us {
                continue;
            }
            let (why_here, fix) = if needs_us {
                (
                    format!(
                        "`{}` itself depends on `{}`: each can keep the other from restarting",
                        callee.name, svc.name
                    ),
                    format!(
                        "let one of them start without the other: make `{}`→`{}` `phase: background`, or keep a local copy of what `{}` needs at start",
                        svc.name, callee.name, svc.name
                    ),
                )
            } else {
                (
                    format!("`{}` has a single replica", callee.name),
                    format!(
                        "run at least 2 replicas of `{}`, or let `{}` start from a cached copy (`phase: background`)",
                        callee.name, svc.name
                    ),
                )
            };
            out.push(Found {
                service: id,
                message: format!(
                    "`{}` needs `{}` to start; {why_here}",
                    svc.name, callee.name
                ),
                fix,
                pos: dep.pos,
            });
        }
    }
    out
}

/// Whether `from` reaches `to` through any dependency.
fn depends_on(graph: &Graph, from: ServiceId, to: ServiceId) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if s == to {
            return true;
        }
        if seen.insert(s) {
            stack.extend(graph.callees(s).iter().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_single_replica_config_service_blocks_restarts() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: cfg, phase: startup }, { to: db, phase: startup }] }\n  cfg: {}\n  db: { replicas: 2 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].1,
            "`web` needs `cfg` to start; `cfg` has a single replica"
        );
    }
}
