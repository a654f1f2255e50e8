//! What changed in the model file itself: zones, services and dependencies
//! added and removed, and every policy field that changed, with its old
//! and new value spelled as the model file spells it (`500ms`, `10%`,
//! `{ threshold: 50%, open_for: 30s }`, `none`).
//!
//! Everything is matched by name: a service by its name, an operation by
//! its service and name, a dependency by its caller, its target as written
//! resolved (`cart`, `user-service.login`) and its rank among the caller's
//! calls to that target. A renamed service is therefore one removed and one
//! added, and so are its dependencies.
//!
//! Callers are labelled `service` for a service without declared
//! operations, and for the service-level `depends_on` of one with several
//! (they apply to every operation, so they are listed once); `service.op`
//! for an operation's own dependencies.

use std::collections::HashMap;

use crate::model::{
    CacheEdge, CircuitBreaker, Dependency, Fallback, Latency, Model, Service, Target,
};
use crate::text::{duration, number};

/// One field whose value changed, both values as the model file writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field (`replicas`, `retry_budget`, `operations.login.latency`).
    pub field: String,
    /// Its value before (`none` or `unlimited` when absent).
    pub before: String,
    /// Its value after.
    pub after: String,
}

/// A service present in both models whose fields changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceChange {
    /// The service.
    pub name: String,
    /// Its changed fields, in the order the model format lists them.
    pub fields: Vec<FieldChange>,
}

/// A dependency, named by its caller and its target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    /// `web`, or `api.login` for an operation's own dependency.
    pub from: String,
    /// The target: `cart` or `user-service.login`.
    pub to: String,
}

/// A dependency present in both models whose policy changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeChange {
    /// The dependency.
    pub edge: Edge,
    /// Its changed policy fields.
    pub fields: Vec<FieldChange>,
}

/// The differences between two model files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelChanges {
    /// Top-level fields that changed (`defaults.timeout`, thresholds).
    pub model: Vec<FieldChange>,
    /// Zones declared only after.
    pub zones_added: Vec<String>,
    /// Zones declared only before.
    pub zones_removed: Vec<String>,
    /// Services only after, in the after model's order.
    pub services_added: Vec<String>,
    /// Services only before, in the before model's order.
    pub services_removed: Vec<String>,
    /// Services in both whose fields changed, in the after model's order.
    pub services_changed: Vec<ServiceChange>,
    /// Dependencies only after.
    pub edges_added: Vec<Edge>,
    /// Dependencies only before.
    pub edges_removed: Vec<Edge>,
    /// Dependencies in both whose policy changed.
    pub edges_changed: Vec<EdgeChange>,
}

impl ModelChanges {
    /// Whether the two files describe the same architecture field for field.
    pub fn is_empty(&self) -> bool {
        self.model.is_empty()
            && self.zones_added.is_empty()
            && self.zones_removed.is_empty()
            && self.services_added.is_empty()
            && self.services_removed.is_empty()
            && self.services_changed.is_empty()
            && self.edges_added.is_empty()
            && self.edges_removed.is_empty()
            && self.edges_changed.is_empty()
    }
}

/// Compares two models field by field (see the module docs).
pub fn compare(before: &Model, after: &Model) -> ModelChanges {
    let mut out = ModelChanges {
        model: changed(&model_fields(before), &model_fields(after)),
        zones_added: only_in(&after.zones, &before.zones),
        zones_removed: only_in(&before.zones, &after.zones),
        ..ModelChanges::default()
    };
    for s in after.services() {
        match before.find(&s.name) {
            None => out.services_added.push(s.name.clone()),
            Some(id) => {
                let fields = changed(&service_fields(before.service(id)), &service_fields(s));
                if !fields.is_empty() {
                    out.services_changed.push(ServiceChange {
                        name: s.name.clone(),
                        fields,
                    });
                }
            }
        }
    }
    out.services_removed = before
        .services()
        .iter()
        .filter(|s| after.find(&s.name).is_none())
        .map(|s| s.name.clone())
        .collect();

    let old = edges(before);
    let new = edges(after);
    let old_index: HashMap<&(Edge, usize), &Dependency> =
        old.iter().map(|(k, d)| (k, *d)).collect();
    let new_index: HashMap<&(Edge, usize), &Dependency> =
        new.iter().map(|(k, d)| (k, *d)).collect();
    for (key, dep) in &new {
        match old_index.get(key) {
            None => out.edges_added.push(key.0.clone()),
            Some(was) => {
                let fields = changed(&edge_fields(before, was), &edge_fields(after, dep));
                if !fields.is_empty() {
                    out.edges_changed.push(EdgeChange {
                        edge: key.0.clone(),
                        fields,
                    });
                }
            }
        }
    }
    out.edges_removed = old
        .iter()
        .filter(|(key, _)| !new_index.contains_key(key))
        .map(|(key, _)| key.0.clone())
        .collect();
    out
}

/// The items of `a` not in `b`, in `a`'s order.
fn only_in(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

/// The fields whose text differs, in order; a field present on one side
/// only is compared with `none` on the other.
fn changed(before: &[(String, String)], after: &[(String, String)]) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let old: HashMap<&str, &str> = before
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let new: HashMap<&str, &str> = after
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // After's order, then fields only before (an operation removed).
    let keys = after.iter().map(|(k, _)| k.as_str()).chain(
        before
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !new.contains_key(k)),
    );
    for key in keys {
        let was = old.get(key).copied().unwrap_or("none");
        let is = new.get(key).copied().unwrap_or("none");
        if was != is {
            out.push(FieldChange {
                field: key.to_owned(),
                before: was.to_owned(),
                after: is.to_owned(),
            });
        }
    }
    out
}

/// A fraction as the model writes it: `10%`, `99.95%`.
fn fraction(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// A model word (`hard`, `async`, `startup`): the enum's own lower-case
/// serialisation, which is how the model file spells it.
fn word(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn or(value: Option<String>, absent: &str) -> String {
    value.unwrap_or_else(|| absent.to_owned())
}

fn latency(l: &Latency) -> String {
    match *l {
        Latency::Exponential { mean_s } => duration(mean_s),
        Latency::Lognormal { p50_s, p99_s } => {
            format!("{{ p50: {}, p99: {} }}", duration(p50_s), duration(p99_s))
        }
    }
}

fn target(model: &Model, t: Target) -> String {
    let s = model.service(t.service);
    match t.operation {
        Some(o) => s.operation_name(o),
        None => s.name.clone(),
    }
}

fn breaker(b: &CircuitBreaker) -> String {
    format!(
        "{{ threshold: {}, open_for: {} }}",
        fraction(b.threshold),
        duration(b.open_for_s)
    )
}

fn fallback(model: &Model, f: &Fallback) -> String {
    match f {
        Fallback::ServeStale { for_s } => format!("{{ serve_stale_for: {} }}", duration(*for_s)),
        Fallback::Failover { to } => format!("{{ to: {} }}", model.service(*to).name),
    }
}

fn cache(model: &Model, c: &CacheEdge) -> String {
    format!(
        "{{ hit_ratio: {}, on_miss: {}, warm_up: {} }}",
        fraction(c.hit_ratio),
        model.service(c.on_miss).name,
        duration(c.warm_up_s)
    )
}

fn model_fields(m: &Model) -> Vec<(String, String)> {
    let t = &m.thresholds;
    vec![
        (
            "defaults.timeout".into(),
            or(m.default_timeout_s.map(duration), "none"),
        ),
        ("thresholds.down_below".into(), fraction(t.down_below)),
        (
            "thresholds.degraded_below".into(),
            fraction(t.degraded_below),
        ),
        ("thresholds.slow_factor".into(), number(t.slow_factor)),
        ("thresholds.slow_min".into(), duration(t.slow_min_s)),
    ]
}

fn service_fields(s: &Service) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("kind".into(), s.kind.as_str().into()),
        ("replicas".into(), s.replicas.to_string()),
        ("quorum".into(), s.quorum.to_string()),
        (
            "zones".into(),
            if s.zones.is_empty() {
                "none".into()
            } else {
                format!("[{}]", s.zones.join(", "))
            },
        ),
        ("capacity".into(), or(s.capacity.map(number), "unlimited")),
        (
            "concurrency".into(),
            or(s.concurrency.map(number), "unlimited"),
        ),
        ("queue".into(), or(s.queue.map(number), "unlimited")),
        ("availability".into(), fraction(s.availability)),
        ("start_time".into(), duration(s.start_time_s)),
        (
            "autoscale".into(),
            or(
                s.autoscale.map(|a| {
                    format!(
                        "{{ max_replicas: {}, above: {}, delay: {} }}",
                        a.max_replicas,
                        fraction(a.above),
                        duration(a.delay_s)
                    )
                }),
                "none",
            ),
        ),
    ];
    if s.declares_operations {
        let names: Vec<&str> = s.operations.iter().map(|o| o.name.as_str()).collect();
        out.push(("operations".into(), names.join(", ")));
        for op in &s.operations {
            let key = |f: &str| format!("operations.{}.{f}", op.name);
            out.push((key("rps"), or(op.rps.map(number), "none")));
            out.push((key("latency"), latency(&op.latency)));
            out.push((key("parallel"), op.parallel.to_string()));
        }
    } else if let Some(op) = s.operations.first() {
        out.push(("operations".into(), "none".into()));
        out.push(("entry.rps".into(), or(op.rps.map(number), "none")));
        out.push(("latency".into(), latency(&op.latency)));
        out.push(("parallel".into(), op.parallel.to_string()));
    }
    out
}

fn edge_fields(model: &Model, d: &Dependency) -> Vec<(String, String)> {
    vec![
        ("timeout".into(), or(d.timeout_s.map(duration), "none")),
        ("retries".into(), d.retries.to_string()),
        (
            "retry_budget".into(),
            or(d.retry_budget.map(fraction), "none"),
        ),
        (
            "circuit_breaker".into(),
            or(d.circuit_breaker.as_ref().map(breaker), "none"),
        ),
        ("calls".into(), d.calls.to_string()),
        ("criticality".into(), word(d.criticality)),
        ("mode".into(), word(d.mode)),
        ("phase".into(), word(d.phase)),
        ("buffer".into(), or(d.buffer.map(number), "unlimited")),
        (
            "fallback".into(),
            or(d.fallback.as_ref().map(|f| fallback(model, f)), "none"),
        ),
        (
            "cache".into(),
            or(d.cache.as_ref().map(|c| cache(model, c)), "none"),
        ),
    ]
}

/// Every dependency of a model keyed by (edge, rank among the same
/// caller's calls to the same target), in model order; service-level
/// dependencies of a service with several operations listed once.
fn edges(model: &Model) -> Vec<((Edge, usize), &Dependency)> {
    let mut out = Vec::new();
    let mut seen: HashMap<Edge, usize> = HashMap::new();
    for s in model.services() {
        let shared = shared_dependencies(s);
        for (oi, op) in s.operations.iter().enumerate() {
            for (di, dep) in op.depends_on.iter().enumerate() {
                let from = if !s.declares_operations || di < shared {
                    if oi > 0 && di < shared {
                        continue;
                    }
                    s.name.clone()
                } else {
                    s.operation_name(oi)
                };
                let edge = Edge {
                    from,
                    to: target(model, dep.target),
                };
                let rank = seen.entry(edge.clone()).or_insert(0);
                out.push(((edge, *rank), dep));
                *rank += 1;
            }
        }
    }
    out
}

/// How many leading dependencies a service with several declared
/// operations shares between all of them: its service-level `depends_on`,
/// which validation puts first in every operation (the same entries, at the
/// same positions in the file).
fn shared_dependencies(s: &Service) -> usize {
    if !s.declares_operations || s.operations.len() < 2 {
        return 0;
    }
    let first = &s.operations[0].depends_on;
    (0..first.len())
        .take_while(|&i| {
            s.operations.iter().all(|op| {
                op.depends_on
                    .get(i)
                    .is_some_and(|d| d.pos == first[i].pos && d.target == first[i].target)
            })
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn model(text: &str) -> Model {
        load_str(text, "m.yaml").unwrap().model
    }

    #[test]
    fn services_and_edges_are_matched_by_name_and_fields_compared_as_written() {
        let before = model(
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, timeout: 500ms, retries: 3 }, old] }\n  db: { replicas: 2 }\n  old: {}\n",
        );
        let after = model(
            "zones: [a, c]\nservices:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, timeout: 200ms, retries: 3, retry_budget: 10% }, new] }\n  db: { replicas: 3, capacity: 100 }\n  new: {}\n",
        );
        let c = compare(&before, &after);
        assert_eq!(c.zones_added, ["c"]);
        assert_eq!(c.zones_removed, ["b"]);
        assert_eq!(c.services_added, ["new"]);
        assert_eq!(c.services_removed, ["old"]);
        // web lives in every zone the model declares, so its zones changed too.
        let names: Vec<&str> = c.services_changed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["web", "db"]);
        let db = &c.services_changed[1];
        let fields: Vec<(&str, &str, &str)> = db
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.before.as_str(), f.after.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("replicas", "2", "3"),
                ("zones", "[a, b]", "[a, c]"),
                ("capacity", "unlimited", "100")
            ]
        );
        let edge = |from: &str, to: &str| Edge {
            from: from.into(),
            to: to.into(),
        };
        assert_eq!(c.edges_added, [edge("web", "new")]);
        assert_eq!(c.edges_removed, [edge("web", "old")]);
        assert_eq!(c.edges_changed.len(), 1);
        assert_eq!(c.edges_changed[0].edge, edge("web", "db"));
        let fields: Vec<(&str, &str, &str)> = c.edges_changed[0]
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.before.as_str(), f.after.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("timeout", "500ms", "200ms"),
                ("retry_budget", "none", "10%")
            ]
        );
    }

    #[test]
    fn service_level_dependencies_of_operations_are_listed_once() {
        let before = model(
            "services:\n  api:\n    depends_on: [auth]\n    operations:\n      a: { rps: 5, depends_on: [x] }\n      b: { rps: 5 }\n  auth: {}\n  x: {}\n",
        );
        let after = model(
            "services:\n  api:\n    depends_on: [{ to: auth, timeout: 1s }]\n    operations:\n      a: { rps: 5 }\n      b: { rps: 5, latency: 20ms }\n  auth: {}\n  x: {}\n",
        );
        let c = compare(&before, &after);
        assert_eq!(c.edges_changed.len(), 1, "{c:?}");
        assert_eq!(c.edges_changed[0].edge.from, "api");
        assert_eq!(
            c.edges_removed,
            [Edge {
                from: "api.a".into(),
                to: "x".into()
            }]
        );
        assert_eq!(
            c.services_changed[0].fields[0].field,
            "operations.b.latency"
        );
        assert_eq!(c.services_changed[0].fields[0].before, "0s");
        assert_eq!(c.services_changed[0].fields[0].after, "20ms");
    }

    #[test]
    fn the_same_file_has_no_changes() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/online-shop.yaml"
        ))
        .unwrap();
        let m = model(&text);
        assert!(compare(&m, &m).is_empty());
    }
}
