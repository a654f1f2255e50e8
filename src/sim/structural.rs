//! Structural evaluation (docs/engine.md, "The structural rules"): three-valued health, no load, no
//! time — the least fixed point over the graph, computed with a monotone
//! worklist in time linear in services + dependencies. Used for single
//! points of failure, blast radius, cut sets, Monte Carlo and the easy game.

use std::collections::HashSet;

use serde::Serialize;

use super::faults::{Fault, FaultKind, Scope};
use crate::model::{Criticality, Fallback, Mode, Model, Phase, ServiceId, below};

/// Structural health: worse compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Serving.
    Up,
    /// Serving, losing some function.
    Degraded,
    /// Not serving.
    Down,
}

/// Where an edge looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ref {
    Service(u32),
    Op(u32),
}

/// How an edge passes a failure on (the table's rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Soft, async or background: a dead target degrades.
    Capped,
    /// Hard, sync, request phase, no protection.
    Plain,
    /// Hard with a stale fallback: down or degraded target → degraded.
    Stale,
    /// Hard with failover: down only if the alternative is down too.
    Failover(u32),
    /// Look-aside cache edge.
    Cache { on_miss: u32, hit_zero: bool },
}

#[derive(Debug, Clone, Copy)]
struct StructEdge {
    from_op: u32,
    from_service: u32,
    target: Ref,
    rule: Rule,
}

/// The model's structure, indexed once and evaluated many times.
#[derive(Debug, Clone)]
pub struct Structure {
    op_offset: Vec<u32>,
    op_service: Vec<u32>,
    edges: Vec<StructEdge>,
    /// Edges to re-evaluate when a service's health changes (its own
    /// service-level target, failover alternative or `on_miss`).
    watch_service: Vec<Vec<u32>>,
    /// Edges to re-evaluate when an operation's health changes.
    watch_op: Vec<Vec<u32>>,
    /// First edge of each operation (edges are grouped by caller operation).
    edge_offset: Vec<u32>,
    /// Operations in groups, callees first: each group is a strongly
    /// connected set (a single operation outside cycles).
    op_groups: Vec<Vec<u32>>,
}

/// Faults in the structural view.
#[derive(Debug, Clone, Default)]
pub struct StructuralFaults {
    /// Health forced on each service by a fault on itself.
    pub forced: Vec<Health>,
    /// Links cut, as (caller, callee) services.
    pub cuts: HashSet<(u32, u32)>,
    /// Caches that are cold (their cache edges miss everything).
    pub cold: Vec<bool>,
}

impl StructuralFaults {
    /// No faults, for a model with `n` services.
    pub fn none(n: usize) -> Self {
        StructuralFaults {
            forced: vec![Health::Up; n],
            cuts: HashSet::new(),
            cold: vec![false; n],
        }
    }

    /// The structural reading of a list of faults: whole-service crashes and
    /// hangs are down; replica and zone loss are down when fewer than
    /// `quorum` replicas survive (else no change); errors by the share that
    /// still succeeds against the thresholds; slow and surge have no
    /// structural effect; a cut link makes the callee look down to that
    /// caller; a cold cache misses everything.
    pub fn from_faults(model: &Model, faults: &[Fault]) -> Self {
        use std::collections::{BTreeMap, BTreeSet};
        let n = model.services().len();
        let mut sf = StructuralFaults::none(n);
        // Replicas by number: the same one lost twice counts once.
        let mut lost: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        let mut errors = vec![0.0f64; n];
        for f in faults {
            match (f.kind, &f.scope) {
                (FaultKind::Down | FaultKind::Hang, _) => {
                    for (id, replicas) in f.replicas_hit(model) {
                        lost.entry(id.0).or_default().extend(replicas);
                    }
                }
                (FaultKind::Errors, _) => {
                    for (id, replicas) in f.replicas_hit(model) {
                        let share = f.share * replicas.len() as f64
                            / f64::from(model.service(id).replicas.max(1));
                        let e = &mut errors[id.index()];
                        *e = if *e == 0.0 {
                            share
                        } else {
                            1.0 - (1.0 - *e) * (1.0 - share)
                        };
                    }
                }
                (FaultKind::Cut, Scope::Link(a, b)) => {
                    sf.cuts.insert((a.0, b.0));
                }
                (FaultKind::Cold, Scope::Service(s)) => sf.cold[s.index()] = true,
                _ => {}
            }
        }
        let t = &model.thresholds;
        for id in model.service_ids() {
            let i = id.index();
            let s = model.service(id);
            if let Some(set) = lost.get(&id.0)
                && s.replicas.saturating_sub(set.len() as u32) < s.quorum
            {
                sf.forced[i] = Health::Down;
                continue;
            }
            let success = 1.0 - errors[i];
            if below(success, t.down_below) {
                sf.forced[i] = Health::Down;
            } else if below(success, t.degraded_below) {
                sf.forced[i] = Health::Degraded;
            }
        }
        sf
    }
}

/// Health of every service and operation after a structural evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructuralResult {
    /// Per service, in model order.
    pub services: Vec<Health>,
    /// Per operation, flattened in model order (see [`Structure::op_index`]).
    pub operations: Vec<Health>,
}

impl Structure {
    /// Indexes a model. Linear in its size.
    pub fn new(model: &Model) -> Structure {
        let n = model.services().len();
        let mut op_offset = Vec::with_capacity(n + 1);
        let mut op_service = Vec::new();
        for id in model.service_ids() {
            op_offset.push(op_service.len() as u32);
            op_service.extend(std::iter::repeat_n(
                id.0,
                model.service(id).operations.len(),
            ));
        }
        op_offset.push(op_service.len() as u32);
        let mut edges = Vec::new();
        let mut watch_service = vec![Vec::new(); n];
        let mut watch_op = vec![Vec::new(); op_service.len()];
        for id in model.service_ids() {
            for (oi, op) in model.service(id).operations.iter().enumerate() {
                let from_op = op_offset[id.index()] + oi as u32;
                for dep in &op.depends_on {
                    if dep.phase == Phase::Startup {
                        continue;
                    }
                    let t = dep.target;
                    let target = match t.operation {
                        Some(o) => Ref::Op(op_offset[t.service.index()] + o as u32),
                        None => Ref::Service(t.service.0),
                    };
                    let capped = dep.phase == Phase::Background
                        || dep.mode == Mode::Async
                        || dep.criticality == Criticality::Soft;
                    let rule = if capped {
                        Rule::Capped
                    } else if let Some(c) = &dep.cache {
                        Rule::Cache {
                            on_miss: c.on_miss.0,
                            hit_zero: c.hit_ratio == 0.0,
                        }
                    } else {
                        match dep.fallback {
                            Some(Fallback::ServeStale { .. }) => Rule::Stale,
                            Some(Fallback::Failover { to }) => Rule::Failover(to.0),
                            None => Rule::Plain,
                        }
                    };
                    let e = edges.len() as u32;
                    edges.push(StructEdge {
                        from_op,
                        from_service: id.0,
                        target,
                        rule,
                    });
                    match target {
                        Ref::Service(s) => watch_service[s as usize].push(e),
                        Ref::Op(o) => watch_op[o as usize].push(e),
                    }
                    match rule {
                        Rule::Failover(alt) => watch_service[alt as usize].push(e),
                        Rule::Cache { on_miss, .. } => watch_service[on_miss as usize].push(e),
                        _ => {}
                    }
                }
            }
        }
        // Edges are pushed caller operation by caller operation, in order.
        let mut edge_offset = vec![0u32; op_service.len() + 1];
        for e in &edges {
            edge_offset[e.from_op as usize + 1] += 1;
        }
        for i in 0..op_service.len() {
            edge_offset[i + 1] += edge_offset[i];
        }
        // An operation needs the operations its edges look at (all of a
        // service's operations for a service-level look); order them
        // callees first, cycles grouped.
        let mut g: petgraph::graph::DiGraph<(), ()> =
            petgraph::graph::DiGraph::with_capacity(op_service.len(), edges.len());
        for _ in 0..op_service.len() {
            g.add_node(());
        }
        let ops_of = |s: u32| op_offset[s as usize]..op_offset[s as usize + 1];
        for e in &edges {
            let mut needs = |o: u32| {
                g.add_edge(
                    petgraph::graph::NodeIndex::new(e.from_op as usize),
                    petgraph::graph::NodeIndex::new(o as usize),
                    (),
                );
            };
            match e.target {
                Ref::Op(o) => needs(o),
                Ref::Service(t) => ops_of(t).for_each(&mut needs),
            }
            match e.rule {
                Rule::Failover(t) | Rule::Cache { on_miss: t, .. } => {
                    ops_of(t).for_each(&mut needs)
                }
                _ => {}
            }
        }
        let op_groups = petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .map(|c| {
                let mut v: Vec<u32> = c.into_iter().map(|n| n.index() as u32).collect();
                v.sort_unstable();
                v
            })
            .collect();
        Structure {
            op_offset,
            op_service,
            edges,
            watch_service,
            watch_op,
            edge_offset,
            op_groups,
        }
    }

    /// Index of operation `op` of service `id` in [`StructuralResult::operations`].
    pub fn op_index(&self, id: ServiceId, op: usize) -> usize {
        self.op_offset[id.index()] as usize + op
    }

    /// Operations of a service, as a range of flattened indices.
    pub fn ops_of(&self, id: ServiceId) -> std::ops::Range<usize> {
        self.op_offset[id.index()] as usize..self.op_offset[id.index() + 1] as usize
    }

    /// Number of services.
    pub fn service_count(&self) -> usize {
        self.op_offset.len() - 1
    }

    /// Evaluates the structural rules under `faults`: the least fixed point,
    /// so a cycle with no failing member stays up.
    pub fn evaluate(&self, faults: &StructuralFaults) -> StructuralResult {
        let n = self.service_count();
        let mut svc = faults.forced.clone();
        let mut ops: Vec<Health> = self
            .op_service
            .iter()
            .map(|&s| faults.forced[s as usize])
            .collect();
        let mut down_ops: Vec<u32> = (0..n)
            .map(|s| {
                if faults.forced[s] == Health::Down {
                    self.op_offset[s + 1] - self.op_offset[s]
                } else {
                    0
                }
            })
            .collect();
        let mut queue: Vec<u32> = Vec::new();
        // Every edge once (cuts and cold caches change edges whose targets are fine),
        // then only the edges watching what changed.
        let mut changed_svc: Vec<u32> = Vec::new();
        for e in 0..self.edges.len() as u32 {
            self.apply_edge(
                e,
                faults,
                &mut svc,
                &mut ops,
                &mut down_ops,
                &mut queue,
                &mut changed_svc,
            );
        }
        loop {
            // Ops that changed: their watchers, then their services.
            while let Some(o) = queue.pop() {
                for &e in &self.watch_op[o as usize] {
                    self.apply_edge(
                        e,
                        faults,
                        &mut svc,
                        &mut ops,
                        &mut down_ops,
                        &mut queue,
                        &mut changed_svc,
                    );
                }
            }
            let Some(s) = changed_svc.pop() else { break };
            for &e in &self.watch_service[s as usize] {
                self.apply_edge(
                    e,
                    faults,
                    &mut svc,
                    &mut ops,
                    &mut down_ops,
                    &mut queue,
                    &mut changed_svc,
                );
            }
        }
        StructuralResult {
            services: svc,
            operations: ops,
        }
    }

    /// Health of a target as seen from `from_service` (a cut link looks down).
    fn seen(
        &self,
        from_service: u32,
        target: Ref,
        faults: &StructuralFaults,
        svc: &[Health],
        ops: &[Health],
    ) -> Health {
        let owner = match target {
            Ref::Service(s) => s,
            Ref::Op(o) => self.op_service[o as usize],
        };
        if !faults.cuts.is_empty() && faults.cuts.contains(&(from_service, owner)) {
            return Health::Down;
        }
        match target {
            Ref::Service(s) => svc[s as usize],
            Ref::Op(o) => ops[o as usize],
        }
    }

    fn effect(
        &self,
        e: &StructEdge,
        faults: &StructuralFaults,
        svc: &[Health],
        ops: &[Health],
    ) -> Health {
        let target = self.seen(e.from_service, e.target, faults, svc, ops);
        match e.rule {
            Rule::Capped => {
                if target == Health::Down {
                    Health::Degraded
                } else {
                    Health::Up
                }
            }
            Rule::Plain => target,
            Rule::Stale => target.min(Health::Degraded),
            Rule::Failover(alt) => match target {
                Health::Down => {
                    if self.seen(e.from_service, Ref::Service(alt), faults, svc, ops)
                        == Health::Down
                    {
                        Health::Down
                    } else {
                        Health::Degraded
                    }
                }
                other => other,
            },
            Rule::Cache { on_miss, hit_zero } => {
                let cache_down = target == Health::Down || {
                    let owner = match e.target {
                        Ref::Service(s) => s,
                        Ref::Op(o) => self.op_service[o as usize],
                    };
                    faults.cold[owner as usize]
                };
                let miss = self.seen(e.from_service, Ref::Service(on_miss), faults, svc, ops);
                if cache_down {
                    if miss == Health::Down {
                        Health::Down
                    } else {
                        Health::Degraded
                    }
                } else if miss == Health::Down {
                    if hit_zero {
                        Health::Down
                    } else {
                        Health::Degraded
                    }
                } else {
                    target.max(miss).min(Health::Degraded)
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_edge(
        &self,
        e: u32,
        faults: &StructuralFaults,
        svc: &mut [Health],
        ops: &mut [Health],
        down_ops: &mut [u32],
        queue: &mut Vec<u32>,
        changed_svc: &mut Vec<u32>,
    ) {
        let edge = &self.edges[e as usize];
        let effect = self.effect(edge, faults, svc, ops);
        let o = edge.from_op as usize;
        if effect <= ops[o] {
            return;
        }
        if effect == Health::Down {
            down_ops[edge.from_service as usize] += 1;
        }
        ops[o] = effect;
        queue.push(o as u32);
        let s = edge.from_service as usize;
        let total = self.op_offset[s + 1] - self.op_offset[s];
        let derived = if down_ops[s] == total {
            Health::Down
        } else {
            Health::Degraded
        };
        if derived > svc[s] {
            svc[s] = derived;
            changed_svc.push(s as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;
    use crate::sim::faults::{FaultKind, parse};

    fn eval(text: &str, faults: &[(FaultKind, &str)]) -> (Model, StructuralResult) {
        let m = load_str(text, "t.yaml").unwrap().model;
        let fs: Vec<Fault> = faults
            .iter()
            .map(|(k, a)| parse(*k, a, &m).unwrap())
            .collect();
        let r = Structure::new(&m).evaluate(&StructuralFaults::from_faults(&m, &fs));
        (m, r)
    }

    fn health(m: &Model, r: &StructuralResult, name: &str) -> Health {
        r.services[m.find(name).unwrap().index()]
    }

    #[test]
    fn table_rows() {
        let text = "services:
  web:
    entry: { rps: 1 }
    depends_on:
      - hard
      - { to: soft, criticality: soft }
      - { to: stale, fallback: { serve_stale_for: 5m } }
      - { to: primary, fallback: { to: standby } }
      - { to: cache, cache: { hit_ratio: 90%, on_miss: db } }
      - { to: boot, phase: startup }
  hard: {}
  soft: {}
  stale: {}
  primary: {}
  standby: {}
  cache: {}
  db: {}
  boot: {}
";
        use Health::*;
        let cases: [(&str, Health); 9] = [
            ("hard", Down),
            ("soft", Degraded),
            ("stale", Degraded),
            ("primary", Degraded),
            ("standby", Up),
            ("cache", Degraded),
            ("db", Degraded),
            ("boot", Up),
            ("web", Up),
        ];
        for (name, expected) in cases {
            let target = if name == "web" { "boot" } else { name };
            let (m, r) = eval(text, &[(FaultKind::Down, target)]);
            assert_eq!(health(&m, &r, "web"), expected, "web with {target} down");
        }
        let (m, r) = eval(
            text,
            &[(FaultKind::Down, "primary"), (FaultKind::Down, "standby")],
        );
        assert_eq!(health(&m, &r, "web"), Down);
        let (m, r) = eval(text, &[(FaultKind::Down, "cache"), (FaultKind::Down, "db")]);
        assert_eq!(health(&m, &r, "web"), Down);
        let (m, r) = eval(text, &[(FaultKind::Cold, "cache")]);
        assert_eq!(health(&m, &r, "web"), Degraded);
        let (m, r) = eval(text, &[(FaultKind::Cut, "web->hard")]);
        assert_eq!(health(&m, &r, "web"), Down);
        assert_eq!(health(&m, &r, "hard"), Up);
    }

    #[test]
    fn degraded_hard_dependency_degrades_its_caller() {
        let text = "services:\n  a: { entry: { rps: 1 }, depends_on: [b] }\n  b: { depends_on: [{ to: c, criticality: soft }] }\n  c: {}\n";
        let (m, r) = eval(text, &[(FaultKind::Down, "c")]);
        assert_eq!(
            (health(&m, &r, "a"), health(&m, &r, "b")),
            (Health::Degraded, Health::Degraded)
        );
    }

    #[test]
    fn a_service_is_down_only_when_all_its_operations_are() {
        let text = "services:\n  api:\n    operations:\n      read: { rps: 5, depends_on: [db] }\n      write: { rps: 1, depends_on: [q] }\n  db: {}\n  q: {}\n  web: { entry: { rps: 1 }, depends_on: [api.write] }\n  web2: { entry: { rps: 1 }, depends_on: [api] }\n";
        let (m, r) = eval(text, &[(FaultKind::Down, "db")]);
        assert_eq!(health(&m, &r, "api"), Health::Degraded);
        assert_eq!(
            health(&m, &r, "web"),
            Health::Up,
            "calls only the working operation"
        );
        assert_eq!(health(&m, &r, "web2"), Health::Degraded);
        let (m, r) = eval(text, &[(FaultKind::Down, "db"), (FaultKind::Down, "q")]);
        assert_eq!(health(&m, &r, "api"), Health::Down);
    }

    #[test]
    fn cycles_stay_up_unless_a_member_fails() {
        let text = "services:\n  a: { entry: { rps: 1 }, depends_on: [b] }\n  b: { depends_on: [a, c] }\n  c: {}\n";
        let (_, r) = eval(text, &[]);
        assert!(r.services.iter().all(|h| *h == Health::Up));
        let (m2, r2) = eval(text, &[(FaultKind::Down, "c")]);
        assert_eq!(
            (health(&m2, &r2, "a"), health(&m2, &r2, "b")),
            (Health::Down, Health::Down)
        );
    }

    #[test]
    fn quorum_and_zones() {
        let text = "zones: [z1, z2, z3]\nservices:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 3, quorum: 2 }\n";
        let (m, r) = eval(text, &[(FaultKind::Down, "db:1")]);
        assert_eq!(health(&m, &r, "web"), Health::Up);
        let (m, r) = eval(text, &[(FaultKind::Down, "db:2")]);
        assert_eq!(health(&m, &r, "web"), Health::Down);
        let (m, r) = eval(text, &[(FaultKind::Down, "zone:z1")]);
        assert_eq!(health(&m, &r, "db"), Health::Up);
        let (m, r) = eval(
            text,
            &[(FaultKind::Down, "zone:z1"), (FaultKind::Down, "zone:z3")],
        );
        assert_eq!(health(&m, &r, "db"), Health::Down);
    }
}

/// Health of every service and operation in 64 scenarios at once: bit `i`
/// of each word is scenario `i` (a Monte Carlo trial, a failed service, a
/// pair of failed replicas …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lanes {
    /// Per service: down.
    pub down: Vec<u64>,
    /// Per service: degraded or down.
    pub bad: Vec<u64>,
    /// Per operation (flattened): down.
    pub op_down: Vec<u64>,
    /// Per operation (flattened): degraded or down.
    pub op_bad: Vec<u64>,
}

impl Structure {
    /// The structural rules in 64 scenarios at once. `forced_down` and
    /// `forced_bad` give, per service, the scenarios in which a fault on the
    /// service itself makes it down or degraded; `faults` supplies cut links
    /// and cold caches, which hold in every scenario. Same least fixed point
    /// as [`Structure::evaluate`], in time linear in the graph per call.
    pub fn evaluate_lanes(
        &self,
        forced_down: &[u64],
        forced_bad: &[u64],
        faults: &StructuralFaults,
        out: &mut Lanes,
    ) {
        out.down.clear();
        out.down.extend_from_slice(forced_down);
        out.bad.clear();
        out.bad
            .extend(forced_bad.iter().zip(forced_down).map(|(b, d)| b | d));
        out.op_down.clear();
        out.op_down
            .extend(self.op_service.iter().map(|&s| forced_down[s as usize]));
        out.op_bad.clear();
        out.op_bad
            .extend(self.op_service.iter().map(|&s| out.bad[s as usize]));
        // Callees first: outside cycles every operation is computed once,
        // from final inputs; inside a cycle the group repeats until nothing
        // changes (monotone from the forced state: the least fixed point).
        for group in &self.op_groups {
            loop {
                let mut changed = false;
                for &o in group {
                    changed |= self.compute_op_lanes(o as usize, faults, out);
                }
                if !changed || (group.len() == 1 && !self.calls_itself(group[0])) {
                    break;
                }
            }
        }
    }

    /// Whether an operation's edges look at itself (a one-operation cycle).
    fn calls_itself(&self, o: u32) -> bool {
        let range =
            self.edge_offset[o as usize] as usize..self.edge_offset[o as usize + 1] as usize;
        self.edges[range].iter().any(|e| match e.target {
            Ref::Op(t) => t == o,
            Ref::Service(s) => s == self.op_service[o as usize],
        })
    }

    /// Recomputes one operation's lanes from its edges, and its service's;
    /// returns whether anything changed.
    fn compute_op_lanes(&self, o: usize, faults: &StructuralFaults, out: &mut Lanes) -> bool {
        let (mut down, mut bad) = (out.op_down[o], out.op_bad[o]);
        for e in self.edge_offset[o] as usize..self.edge_offset[o + 1] as usize {
            let (d, b) = self.lane_effect(e as u32, faults, out);
            down |= d;
            bad |= b | d;
        }
        if down == out.op_down[o] && bad == out.op_bad[o] {
            return false;
        }
        out.op_down[o] = down;
        out.op_bad[o] = bad;
        let s = self.op_service[o] as usize;
        let ops = self.op_offset[s] as usize..self.op_offset[s + 1] as usize;
        let all_down = out.op_down[ops.clone()]
            .iter()
            .fold(u64::MAX, |acc, x| acc & x);
        let any_bad = out.op_bad[ops].iter().fold(0, |acc, x| acc | x);
        out.down[s] |= all_down;
        out.bad[s] |= any_bad | out.down[s];
        true
    }

    /// (down, bad) lanes of a target as seen from `from_service`.
    fn lane_seen(
        &self,
        from_service: u32,
        target: Ref,
        faults: &StructuralFaults,
        out: &Lanes,
    ) -> (u64, u64) {
        let owner = match target {
            Ref::Service(s) => s,
            Ref::Op(o) => self.op_service[o as usize],
        };
        if !faults.cuts.is_empty() && faults.cuts.contains(&(from_service, owner)) {
            return (u64::MAX, u64::MAX);
        }
        match target {
            Ref::Service(s) => (out.down[s as usize], out.bad[s as usize]),
            Ref::Op(o) => (out.op_down[o as usize], out.op_bad[o as usize]),
        }
    }

    /// What one edge passes to its caller: (down, bad) lanes.
    fn lane_effect(&self, e: u32, faults: &StructuralFaults, out: &Lanes) -> (u64, u64) {
        let edge = &self.edges[e as usize];
        let (t_down, t_bad) = self.lane_seen(edge.from_service, edge.target, faults, out);
        match edge.rule {
            Rule::Capped => (0, t_down),
            Rule::Plain => (t_down, t_bad),
            Rule::Stale => (0, t_bad),
            Rule::Failover(alt) => {
                let (a_down, _) = self.lane_seen(edge.from_service, Ref::Service(alt), faults, out);
                (t_down & a_down, t_bad)
            }
            Rule::Cache { on_miss, hit_zero } => {
                let owner = match edge.target {
                    Ref::Service(s) => s,
                    Ref::Op(o) => self.op_service[o as usize],
                };
                let cold = if faults.cold.get(owner as usize).copied().unwrap_or(false) {
                    u64::MAX
                } else {
                    0
                };
                let cache_down = t_down | cold;
                let (m_down, m_bad) =
                    self.lane_seen(edge.from_service, Ref::Service(on_miss), faults, out);
                let down = (cache_down & m_down) | if hit_zero { m_down } else { 0 };
                (down, t_bad | m_bad | cold)
            }
        }
    }
}

#[cfg(test)]
mod lane_tests {
    use super::*;
    use crate::sim::faults::{FaultKind, parse};

    /// Lane i of a 64-wide evaluation equals the scalar evaluation of the
    /// same failed service, for every service of every example.
    #[test]
    fn lanes_agree_with_the_scalar_evaluation() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let path = file.unwrap().path();
            let m = crate::model::load_file(&path).unwrap().model;
            let s = Structure::new(&m);
            let n = m.services().len();
            let none = StructuralFaults::none(n);
            for chunk in (0..n).collect::<Vec<_>>().chunks(64) {
                let mut down = vec![0u64; n];
                for (lane, &svc) in chunk.iter().enumerate() {
                    down[svc] |= 1 << lane;
                }
                let mut lanes = Lanes::default();
                s.evaluate_lanes(&down, &vec![0; n], &none, &mut lanes);
                for (lane, &svc) in chunk.iter().enumerate() {
                    let name = &m.services()[svc].name;
                    let f = parse(FaultKind::Down, name, &m).unwrap();
                    let scalar = s.evaluate(&StructuralFaults::from_faults(&m, &[f]));
                    for (i, h) in scalar.services.iter().enumerate() {
                        let bit = |v: &[u64]| v[i] >> lane & 1 == 1;
                        let lane_h = if bit(&lanes.down) {
                            Health::Down
                        } else if bit(&lanes.bad) {
                            Health::Degraded
                        } else {
                            Health::Up
                        };
                        assert_eq!(
                            lane_h,
                            *h,
                            "{}: {} with {name} down",
                            path.display(),
                            m.services()[i].name
                        );
                    }
                }
            }
        }
    }
}
