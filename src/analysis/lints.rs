//! Resilience lints for design reviews: risky patterns with stable codes,
//! a position, and one line on why each matters.

use std::collections::BTreeMap;

use serde::Serialize;

use super::spof::Impact;
use crate::finding::Pos;
use crate::graph::Graph;
use crate::model::{Criticality, Kind, Mode, Model, Phase, ServiceId};
use crate::sim::steady::Engine;

/// A retry amplification above this on some path is flagged (R003).
pub const AMPLIFICATION_LIMIT: f64 = 8.0;

/// Stable lint codes.
pub mod codes {
    /// A synchronous dependency without a timeout.
    pub const NO_TIMEOUT: &str = "R001";
    /// A callee's timeout × attempts exceeds its caller's timeout.
    pub const TIMEOUT_INVERSION: &str = "R002";
    /// Retries multiply above the limit along a path.
    pub const RETRY_AMPLIFICATION: &str = "R003";
    /// A hard dependency on a slow-prone service without a breaker.
    pub const NO_BREAKER: &str = "R004";
    /// A single-replica or single-zone service that can take an entry down.
    pub const SINGLE_INSTANCE: &str = "R005";
    /// Capacity cannot carry the load after losing one replica or one zone.
    pub const NO_HEADROOM: &str = "R006";
    /// A dependency cycle.
    pub const CYCLE: &str = "R007";
    /// A startup dependency that can block a restart.
    pub const RESTART_BLOCKER: &str = "R008";
}

/// How much a lint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Can take users down.
    High,
    /// Makes outages worse or longer.
    Medium,
    /// Worth knowing.
    Low,
}

impl Level {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }
}

/// One risky pattern found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lint {
    /// Stable code (`R001` …).
    pub code: &'static str,
    /// How much it matters.
    pub level: Level,
    /// The service it is about.
    pub service: String,
    /// One sentence, names in backticks.
    pub message: String,
    /// Why this matters, in one line.
    pub why: &'static str,
    /// Where in the model file.
    #[serde(flatten)]
    pub pos: Pos,
}

const WHY_TIMEOUT: &str = "without a timeout a slow or hung callee holds the caller's threads until its pool is exhausted";
const WHY_INVERSION: &str = "the caller gives up first, so the callee's remaining attempts are wasted work that still loads it";
const WHY_AMPLIFICATION: &str = "retries at several layers multiply: a failing leaf receives that many attempts per user request";
const WHY_BREAKER: &str = "when it slows or fails, every call waits or retries instead of failing fast and protecting both sides";
const WHY_SINGLE: &str = "one crash, deploy or zone loss takes users down";
const WHY_HEADROOM: &str =
    "the first replica or zone lost overloads the survivors (an N+1 failure)";
const WHY_CYCLE: &str =
    "a failure anywhere in the loop can hold every member down, and restarts can deadlock";
const WHY_RESTART: &str =
    "while it is down nothing that needs it can restart, turning a short blip into a long outage";

/// Every lint for a model. `impacts` are the single-failure impacts from
/// [`super::spof::impacts`].
pub fn lints(model: &Model, graph: &Graph, impacts: &[Impact]) -> Vec<Lint> {
    let mut out = Vec::new();
    let name = |id: ServiceId| model.service(id).name.clone();

    // R001, R002, R004: per dependency.
    for id in model.service_ids() {
        let svc = model.service(id);
        let mut seen = std::collections::HashSet::new();
        for op in &svc.operations {
            for dep in &op.depends_on {
                if dep.phase != Phase::Request
                    || dep.mode != Mode::Sync
                    || !seen.insert((dep.target, dep.pos))
                {
                    continue;
                }
                let callee = model.service(dep.target.service);
                if dep.timeout_s.is_none() {
                    let soft = if dep.criticality == Criticality::Soft {
                        "soft "
                    } else {
                        ""
                    };
                    out.push(Lint {
                        code: codes::NO_TIMEOUT,
                        level: Level::High,
                        service: svc.name.clone(),
                        message: format!(
                            "`{}` calls {soft}dependency `{}` without a timeout",
                            svc.name, callee.name
                        ),
                        why: WHY_TIMEOUT,
                        pos: dep.pos,
                    });
                }
                let slow_prone = matches!(callee.kind, Kind::External | Kind::Database);
                if slow_prone
                    && dep.criticality == Criticality::Hard
                    && dep.circuit_breaker.is_none()
                    && dep.fallback.is_none()
                    && dep.cache.is_none()
                {
                    out.push(Lint {
                        code: codes::NO_BREAKER,
                        level: Level::Medium,
                        service: svc.name.clone(),
                        message: format!(
                            "`{}` depends hard on {} `{}` without a circuit breaker",
                            svc.name,
                            callee.kind.as_str(),
                            callee.name
                        ),
                        why: WHY_BREAKER,
                        pos: dep.pos,
                    });
                }
                // The callee's own calls, attempts included, against our timeout.
                if let Some(limit) = dep.timeout_s {
                    for cop in &callee.operations {
                        for inner in cop
                            .depends_on
                            .iter()
                            .filter(|d| d.phase == Phase::Request && d.mode == Mode::Sync)
                        {
                            if let Some(t) = inner.timeout_s {
                                let worst = t * f64::from(1 + inner.retries);
                                if worst > limit + 1e-9 {
                                    out.push(Lint {
                                        code: codes::TIMEOUT_INVERSION,
                                        level: Level::Medium,
                                        service: callee.name.clone(),
                                        message: format!(
                                            "`{}` may spend {} on `{}` ({} × {} attempts) but `{}` gives up after {}",
                                            callee.name,
                                            crate::text::duration(worst),
                                            model.service(inner.target.service).name,
                                            crate::text::duration(t),
                                            1 + inner.retries,
                                            svc.name,
                                            crate::text::duration(limit)
                                        ),
                                        why: WHY_INVERSION,
                                        pos: inner.pos,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // R003: the largest product of attempts along synchronous call paths.
    let amplification = worst_amplification(model);
    for (id, (factor, path)) in amplification {
        if factor > AMPLIFICATION_LIMIT {
            let spelled: Vec<String> = path.iter().map(|&s| format!("`{}`", name(s))).collect();
            out.push(Lint {
                code: codes::RETRY_AMPLIFICATION,
                level: Level::High,
                service: name(id),
                message: format!(
                    "retries multiply to ×{} on the path {}",
                    crate::text::number(factor),
                    spelled.join(" → ")
                ),
                why: WHY_AMPLIFICATION,
                pos: model.service(id).pos,
            });
        }
    }

    // R005: single instances that can take an entry down.
    for imp in impacts.iter().filter(|i| !i.entries_down.is_empty()) {
        let svc = model.service(imp.service);
        let single_zone = model.zones.len() > 1 && svc.zones.len() == 1;
        if svc.replicas == 1 || single_zone {
            let what = if svc.replicas == 1 {
                "a single replica".to_string()
            } else {
                format!("all its replicas in zone `{}`", svc.zones[0])
            };
            out.push(Lint {
                code: codes::SINGLE_INSTANCE,
                level: Level::High,
                service: svc.name.clone(),
                message: format!(
                    "`{}` has {what} and its failure takes an entry point down",
                    svc.name
                ),
                why: WHY_SINGLE,
                pos: svc.pos,
            });
        }
    }

    // R006: N+1 headroom, from the fault-free steady state's load.
    let baseline = Engine::new(model).steady(&[]);
    for id in model.service_ids() {
        let svc = model.service(id);
        let Some(capacity) = svc.capacity else {
            continue;
        };
        let load = baseline.services[id.index()].load_rps;
        if load <= 0.0 {
            continue;
        }
        let after_one = f64::from(svc.replicas.saturating_sub(1)) * capacity;
        let worst_zone = svc
            .zones
            .iter()
            .map(|z| svc.replicas - svc.replicas_in_zone(z))
            .min()
            .filter(|_| svc.zones.len() > 1)
            .map(|left| f64::from(left) * capacity);
        let (lost, left) = match worst_zone {
            Some(z) if z < after_one => ("a zone", z),
            _ => ("a replica", after_one),
        };
        if load >= left {
            out.push(Lint {
                code: codes::NO_HEADROOM,
                level: Level::High,
                service: svc.name.clone(),
                message: format!(
                    "`{}` carries {} rps; after losing {lost} it can serve {}",
                    svc.name,
                    crate::sim::explain::rate(load),
                    crate::sim::explain::rate(left)
                ),
                why: WHY_HEADROOM,
                pos: svc.pos,
            });
        }
    }

    // R007: cycles.
    for cycle in graph.cycles() {
        let mut names: Vec<String> = cycle.iter().map(|&s| format!("`{}`", name(s))).collect();
        names.push(names[0].clone());
        out.push(Lint {
            code: codes::CYCLE,
            level: Level::Low,
            service: name(cycle[0]),
            message: format!("dependency cycle: {}", names.join(" → ")),
            why: WHY_CYCLE,
            pos: model.service(cycle[0]).pos,
        });
    }

    // R008: startup dependencies that can block a restart: on a single
    // replica, or on a service that (transitively) needs the caller.
    for id in model.service_ids() {
        let svc = model.service(id);
        let mut seen = std::collections::HashSet::new();
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
            let callee = model.service(t);
            let needs_us = depends_on(graph, t, id);
            if callee.replicas == 1 || needs_us {
                let why_here = if needs_us {
                    format!(
                        "`{}` itself depends on `{}`: they can block each other's restart",
                        callee.name, svc.name
                    )
                } else {
                    format!("`{}` has a single replica", callee.name)
                };
                out.push(Lint {
                    code: codes::RESTART_BLOCKER,
                    level: Level::Medium,
                    service: svc.name.clone(),
                    message: format!(
                        "`{}` needs `{}` to start; {why_here}",
                        svc.name, callee.name
                    ),
                    why: WHY_RESTART,
                    pos: dep.pos,
                });
            }
        }
    }

    out.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(a.code.cmp(b.code))
            .then(a.pos.cmp(&b.pos))
            .then(a.message.cmp(&b.message))
    });
    // The same edge reached from two operations is one finding.
    out.dedup_by(|a, b| a.code == b.code && a.pos == b.pos && a.message == b.message);
    out
}

/// Whether `from` reaches `to` through any dependency.
fn depends_on(graph: &Graph, from: ServiceId, to: ServiceId) -> bool {
    let mut seen = std::collections::HashSet::new();
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

/// For each service at the end of a synchronous path from an entry point,
/// the largest product of attempts (1 + retries, × calls) reaching it, and
/// the path. Back edges of cycles are ignored.
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
                stack.push((t, factor * f64::from(1 + dep.retries), p));
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
    use super::*;
    use crate::model::load_str;

    fn codes_of(text: &str) -> Vec<&'static str> {
        let m = load_str(text, "t.yaml").unwrap().model;
        let g = Graph::build(&m);
        let s = crate::sim::structural::Structure::new(&m);
        lints(&m, &g, &super::super::spof::impacts(&m, &s))
            .into_iter()
            .map(|l| l.code)
            .collect()
    }

    #[test]
    fn each_pattern_is_found() {
        let c = codes_of(
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [api] }\n  api: { replicas: 2 }\n",
        );
        assert!(c.contains(&codes::NO_TIMEOUT), "{c:?}");
        let c = codes_of(
            "services:\n  web: { entry: { rps: 10 }, replicas: 2, depends_on: [{ to: api, timeout: 1s }] }\n  api: { replicas: 2, depends_on: [{ to: db, timeout: 400ms, retries: 2 }] }\n  db: { replicas: 2, kind: database }\n",
        );
        assert!(
            c.contains(&codes::TIMEOUT_INVERSION) && c.contains(&codes::NO_BREAKER),
            "{c:?}"
        );
        let c = codes_of(
            "services:\n  a: { entry: { rps: 1 }, replicas: 2, depends_on: [{ to: b, timeout: 1s, retries: 2 }] }\n  b: { replicas: 2, depends_on: [{ to: c, timeout: 1s, retries: 2 }] }\n  c: { replicas: 2 }\n",
        );
        assert!(c.contains(&codes::RETRY_AMPLIFICATION), "{c:?}");
        let c = codes_of(
            "services:\n  web: { entry: { rps: 100 }, replicas: 2, depends_on: [{ to: db, timeout: 1s }] }\n  db: { replicas: 2, capacity: 60 }\n",
        );
        assert!(
            c.contains(&codes::NO_HEADROOM) && !c.contains(&codes::SINGLE_INSTANCE),
            "{c:?}"
        );
        let c = codes_of(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: cfg, phase: startup }] }\n  cfg: {}\n",
        );
        assert!(
            c.contains(&codes::RESTART_BLOCKER) && c.contains(&codes::SINGLE_INSTANCE),
            "{c:?}"
        );
    }
}
