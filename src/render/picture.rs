//! Builds the [`Diagram`] of an architecture from a model: one box per
//! service, one arrow per distinct dependency, zones as clusters.

use std::collections::{BTreeSet, HashMap};

use super::diagram::{Cluster, Diagram, Edge, EdgeStyle, Node, Paint, Shape};
use crate::model::{Criticality, Dependency, Fallback, Kind, Mode, Model, Phase, ServiceId};
use crate::sim::faults::{Fault, Scope};
pub use crate::text::{duration, number};

/// The picture of `services` (all of the model when `None`) and the
/// dependencies among them.
pub fn architecture(model: &Model, services: Option<&[ServiceId]>) -> Diagram {
    let ids: Vec<ServiceId> = match services {
        Some(s) => s.to_vec(),
        None => model.service_ids().collect(),
    };
    let index: HashMap<ServiceId, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();

    let mut clusters: Vec<Cluster> = Vec::new();
    let mut cluster_of_zone: HashMap<&str, usize> = HashMap::new();
    let mut nodes = Vec::with_capacity(ids.len());
    for &id in &ids {
        let s = model.service(id);
        let cluster = match s.zones.as_slice() {
            [only] if model.zones.len() > 1 => {
                Some(*cluster_of_zone.entry(only.as_str()).or_insert_with(|| {
                    clusters.push(Cluster {
                        label: format!("zone {only}"),
                    });
                    clusters.len() - 1
                }))
            }
            _ => None,
        };
        nodes.push(Node {
            label: s.name.clone(),
            detail: service_detail(model, id),
            operations: entry_operations(model, id)
                .map(|(oi, rps)| format!(".{} {} rps", s.operations[oi].name, number(rps)))
                .collect(),
            shape: shape(s.kind),
            paint: Paint::Neutral,
            cluster,
            emphasis: s.is_entry(),
        });
    }

    let mut edges = Vec::new();
    let mut seen: BTreeSet<(usize, usize, Option<String>, u8)> = BTreeSet::new();
    let mut push =
        |edges: &mut Vec<Edge>, from: usize, to: usize, label: Option<String>, style: EdgeStyle| {
            if seen.insert((from, to, label.clone(), style as u8)) {
                edges.push(Edge {
                    from,
                    to,
                    label,
                    style,
                    highlight: false,
                });
            }
        };
    for &id in &ids {
        let from = index[&id];
        for op in &model.service(id).operations {
            for dep in &op.depends_on {
                if let Some(&to) = index.get(&dep.target.service) {
                    let op = dep.target.operation.map(|o| {
                        model.service(dep.target.service).operations[o]
                            .name
                            .as_str()
                    });
                    push(&mut edges, from, to, edge_label(dep, op), edge_style(dep));
                }
                let alternative = match (&dep.fallback, &dep.cache) {
                    (Some(Fallback::Failover { to }), _) => Some((*to, "failover")),
                    (_, Some(c)) => Some((c.on_miss, "on miss")),
                    _ => None,
                };
                if let Some((alt, label)) = alternative
                    && let Some(&to) = index.get(&alt)
                {
                    push(
                        &mut edges,
                        from,
                        to,
                        Some(label.into()),
                        EdgeStyle::Alternative,
                    );
                }
            }
        }
    }

    Diagram {
        title: model.name.clone(),
        clusters,
        nodes,
        edges,
    }
}

/// The outline for a kind of service.
pub fn shape(kind: Kind) -> Shape {
    match kind {
        Kind::Service => Shape::Service,
        Kind::Frontend => Shape::Frontend,
        Kind::Gateway => Shape::Gateway,
        Kind::Database => Shape::Database,
        Kind::Cache => Shape::Cache,
        Kind::Queue => Shape::Queue,
        Kind::External => Shape::External,
    }
}

fn service_detail(model: &Model, id: ServiceId) -> Option<String> {
    let s = model.service(id);
    let mut parts = Vec::new();
    if let Some(rps) = s.entry_rps() {
        parts.push(format!("{} rps", number(rps)));
    }
    if s.replicas > 1 {
        if s.quorum > 1 {
            parts.push(format!("×{} (quorum {})", s.replicas, s.quorum));
        } else {
            parts.push(format!("×{}", s.replicas));
        }
    }
    if s.zones.len() > 1 && s.zones.len() < model.zones.len() {
        parts.push(s.zones.join("+"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The entry operations of a service that declares operations, with
/// their traffic: `(index, rps)`.
fn entry_operations(model: &Model, id: ServiceId) -> impl Iterator<Item = (usize, f64)> + '_ {
    let s = model.service(id);
    s.operations
        .iter()
        .enumerate()
        .filter(move |_| s.declares_operations)
        .filter_map(|(oi, op)| op.rps.map(|rps| (oi, rps)))
}

/// The replicas a fault of these kinds takes from each service (zone and
/// replica faults only: a whole-service fault shows as the state), by
/// kind: `(service, replicas down, replicas hung)`.
fn replicas_lost(
    model: &Model,
    faults: &[Fault],
) -> HashMap<ServiceId, (BTreeSet<u32>, BTreeSet<u32>)> {
    let mut lost: HashMap<ServiceId, (BTreeSet<u32>, BTreeSet<u32>)> = HashMap::new();
    for f in faults {
        let (scope, hung) = match f {
            Fault::Down { scope, .. } => (scope, false),
            Fault::Hang { scope, .. } => (scope, true),
            Fault::Slow { .. }
            | Fault::Errors { .. }
            | Fault::Cut { .. }
            | Fault::Surge { .. }
            | Fault::Cold { .. } => continue,
        };
        if let Scope::Service(_) = scope {
            continue;
        }
        for (id, replicas) in scope.replicas_hit(model) {
            let entry = lost.entry(id).or_default();
            if hung {
                entry.1.extend(replicas);
            } else {
                entry.0.extend(replicas);
            }
        }
    }
    lost
}

/// How a dependency is drawn.
pub fn edge_style(dep: &Dependency) -> EdgeStyle {
    match (dep.phase, dep.mode, dep.criticality) {
        (Phase::Startup, _, _) => EdgeStyle::Startup,
        (Phase::Background, _, _) | (_, Mode::Async, _) => EdgeStyle::Async,
        (_, _, Criticality::Soft) => EdgeStyle::Soft,
        _ => EdgeStyle::Hard,
    }
}

/// The policy label of a dependency: the operation called (when it names
/// one), timeout, retries, fan-out, breaker, phase, mode, fallback and cache.
pub fn edge_label(dep: &Dependency, operation: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(op) = operation {
        parts.push(format!(".{op}"));
    }
    if let Some(t) = dep.timeout_s {
        parts.push(duration(t));
    }
    if dep.retries > 0 {
        parts.push(format!(
            "{} retr{}",
            dep.retries,
            if dep.retries == 1 { "y" } else { "ies" }
        ));
    }
    if dep.calls > 1 {
        parts.push(format!("×{} calls", dep.calls));
    }
    if dep.circuit_breaker.is_some() {
        parts.push("breaker".into());
    }
    match dep.phase {
        Phase::Startup => parts.push("startup".into()),
        Phase::Background => parts.push("background".into()),
        Phase::Request => {}
    }
    if dep.mode == Mode::Async {
        parts.push("async".into());
    }
    if dep.criticality == Criticality::Soft {
        parts.push("soft".into());
    }
    if let Some(Fallback::ServeStale { for_s }) = dep.fallback {
        parts.push(format!("stale {}", duration(for_s)));
    }
    if let Some(c) = &dep.cache {
        parts.push(format!("cache {}%", number(c.hit_ratio * 100.0)));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The picture of a cascade: the architecture with every service painted by
/// its state, its success beside it, fault targets emphasised and the
/// causal paths (every `chain`) drawn thick.
pub fn cascade(
    model: &Model,
    outcome: &crate::sim::steady::Outcome,
    faults: &[Fault],
    services: Option<&[ServiceId]>,
) -> Diagram {
    use crate::sim::steady::State;
    let mut d = architecture(model, services);
    let ids: Vec<ServiceId> = match services {
        Some(s) => s.to_vec(),
        None => model.service_ids().collect(),
    };
    let index: HashMap<ServiceId, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let targets: Vec<ServiceId> = faults.iter().flat_map(|f| f.services(model)).collect();
    let lost = replicas_lost(model, faults);
    for (i, &id) in ids.iter().enumerate() {
        let f = &outcome.services[id.index()];
        let node = &mut d.nodes[i];
        node.paint = match f.state {
            State::Healthy => Paint::Healthy,
            State::Slow => Paint::Slow,
            State::Degraded => Paint::Degraded,
            State::Down => Paint::Down,
        };
        let status = format!(
            "{} {}",
            f.state.as_str().to_uppercase(),
            crate::sim::explain::percent(f.success)
        );
        let mut parts = vec![status];
        parts.extend(node.detail.take());
        if let Some((down, hung)) = lost.get(&id) {
            let replicas = model.service(id).replicas;
            for (set, word) in [(down, "down"), (hung, "hung")] {
                if !set.is_empty() {
                    parts.push(format!("{} of {replicas} {word}", set.len()));
                }
            }
        }
        node.detail = Some(parts.join(" · "));
        node.operations = entry_operations(model, id)
            .map(|(oi, _)| {
                let f = &outcome.operations[id.index()][oi];
                format!(
                    ".{} {} {}",
                    model.service(id).operations[oi].name,
                    f.state.as_str().to_uppercase(),
                    crate::sim::explain::percent(f.success)
                )
            })
            .collect();
        node.emphasis = targets.contains(&id);
    }
    // A zone that is down or hung says so on its outline.
    for f in faults {
        if let Some(Scope::Zone(z)) = f.scope() {
            let label = format!("zone {}", model.zones[z]);
            for c in d.clusters.iter_mut().filter(|c| c.label == label) {
                let how = match f {
                    Fault::Hang { .. } => "hung",
                    Fault::Down { .. }
                    | Fault::Slow { .. }
                    | Fault::Errors { .. }
                    | Fault::Cut { .. }
                    | Fault::Surge { .. }
                    | Fault::Cold { .. } => f.kind().as_str(),
                };
                c.label = format!("{label} ({how})");
            }
        }
    }
    let mut causal: BTreeSet<(usize, usize)> = BTreeSet::new();
    for f in &outcome.services {
        for pair in f.chain.windows(2) {
            if let (Some(&callee), Some(&caller)) = (index.get(&pair[0]), index.get(&pair[1])) {
                causal.insert((caller, callee));
            }
        }
    }
    for e in &mut d.edges {
        e.highlight = causal.contains(&(e.from, e.to)) && e.style != EdgeStyle::Alternative;
    }
    let flags: Vec<String> = faults.iter().map(|f| f.as_flag()).collect();
    if !flags.is_empty() {
        d.title = format!("{} — {}", model.name, flags.join(" "));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_policies() {
        let text = "services:\n  a:\n    depends_on:\n      - { to: b, timeout: 300ms, retries: 2, circuit_breaker: { threshold: 50%, open_for: 30s } }\n      - { to: c, criticality: soft }\n      - { to: b.read }\n  b: { operations: { read: {} } }\n  c: {}\n";
        let m = crate::model::load_str(text, "t.yaml").unwrap().model;
        let d = architecture(&m, None);
        let labels: Vec<_> = d
            .edges
            .iter()
            .map(|e| e.label.clone().unwrap_or_default())
            .collect();
        assert_eq!(labels, ["300ms · 2 retries · breaker", "soft", ".read"]);
        assert_eq!(d.edges[1].style, EdgeStyle::Soft);
    }
}
