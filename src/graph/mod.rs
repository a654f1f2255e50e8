//! The dependency graph, built once from a [`Model`] and read by every
//! evaluation: services and operations as nodes, one edge per dependency
//! with its policy in flat arrays, reverse adjacency ("who calls this"),
//! and the strongly connected components in topological order, all with
//! `u32` indices in compressed (CSR) lists.
//!
//! # Indices
//!
//! - A **service** is its [`ServiceId`] (model order).
//! - An **operation** is a flattened index: services in model order, each
//!   service's operations in order ([`Graph::op_index`], [`Graph::ops_of`]).
//!   A service without declared operations has one, `default`.
//! - A **node** ([`Node`]) is a service or an operation; arrays over every
//!   node are indexed by [`Graph::node_index`]: services `0..n`, then
//!   operations `n..n + m`.
//! - An **edge** is a dependency: operations in order, each operation's
//!   `depends_on` in order, so edge `e` of operation `o` is
//!   `edges_of(o).start + k` for its `k`-th dependency
//!   ([`Graph::edge_index`], [`Graph::dependency`] go both ways).
//!
//! # Components
//!
//! Two orders are made on first use (a graph that only `check` reads
//! needs neither), both by an iterative Tarjan ([`Components::tarjan`]: no
//! recursion, whatever the depth):
//!
//! - [`Graph::node_components`]: the nodes, callees first, over what a
//!   node's health is computed from — a service from its operations, an
//!   operation from its edges' targets and alternatives (every edge but
//!   `phase: startup`, which touches no running caller). Evaluating
//!   components in this order computes every node once outside cycles.
//! - [`Graph::service_components`]: the services, callees first, over every
//!   dependency (targets and alternatives, every phase) — the order in which
//!   load and latency settle service by service.
//!
//! Building is linear in services + operations + dependencies.

mod scc;

use std::collections::VecDeque;
use std::ops::Range;

pub use scc::Components;

use crate::finding::Finding;
use crate::model::{Criticality, Dependency, Fallback, Mode, Model, Phase, ServiceId};

/// A node: a service, or one operation (flattened index, see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A service.
    Service(ServiceId),
    /// An operation, by flattened index ([`Graph::op_index`]).
    Operation(usize),
}

/// An edge's attributes, as bits (see the associated constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EdgeFlags(u8);

impl EdgeFlags {
    /// `criticality: soft`.
    pub const SOFT: EdgeFlags = EdgeFlags(1);
    /// `mode: async`.
    pub const ASYNC: EdgeFlags = EdgeFlags(1 << 1);
    /// `phase: background`.
    pub const BACKGROUND: EdgeFlags = EdgeFlags(1 << 2);
    /// `phase: startup`.
    pub const STARTUP: EdgeFlags = EdgeFlags(1 << 3);
    /// `fallback: { serve_stale_for }`.
    pub const STALE: EdgeFlags = EdgeFlags(1 << 4);
    /// `fallback: { to }` (the alternative is [`Edge::alternative`]).
    pub const FAILOVER: EdgeFlags = EdgeFlags(1 << 5);
    /// `cache:` (misses go to [`Edge::alternative`]).
    pub const CACHE: EdgeFlags = EdgeFlags(1 << 6);
    /// A cache edge whose `hit_ratio` is 0: every call is a miss.
    pub const HIT_ZERO: EdgeFlags = EdgeFlags(1 << 7);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: EdgeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub fn intersects(self, other: EdgeFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Hard, sync, request phase: the edge can fail its caller's requests.
    pub fn is_hard_path(self) -> bool {
        !self.intersects(EdgeFlags(
            Self::SOFT.0 | Self::ASYNC.0 | Self::BACKGROUND.0 | Self::STARTUP.0,
        ))
    }

    /// The flags of a dependency.
    pub fn of(dep: &Dependency) -> EdgeFlags {
        let mut bits = 0u8;
        let mut set = |on: bool, f: EdgeFlags| {
            if on {
                bits |= f.0;
            }
        };
        set(dep.criticality == Criticality::Soft, Self::SOFT);
        set(dep.mode == Mode::Async, Self::ASYNC);
        set(dep.phase == Phase::Background, Self::BACKGROUND);
        set(dep.phase == Phase::Startup, Self::STARTUP);
        set(
            matches!(dep.fallback, Some(Fallback::ServeStale { .. })),
            Self::STALE,
        );
        set(
            matches!(dep.fallback, Some(Fallback::Failover { .. })),
            Self::FAILOVER,
        );
        set(dep.cache.is_some(), Self::CACHE);
        set(
            dep.cache.is_some_and(|c| c.hit_ratio == 0.0),
            Self::HIT_ZERO,
        );
        EdgeFlags(bits)
    }
}

/// How an edge passes a failure of its target on to its caller: the rows of
/// the table in docs/engine.md, "The structural rules", which the structural
/// evaluation, single points of failure, cut sets and fault trees all read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `phase: startup`: no effect on a running caller.
    Startup,
    /// Soft, async or background: a dead target degrades the caller.
    Capped,
    /// Hard, sync, request phase, no protection: the caller shares the
    /// target's health.
    Plain,
    /// A stale fallback: a dead or degraded target degrades the caller.
    Stale,
    /// A failover: the caller goes down only when the alternative is down
    /// too.
    Failover(ServiceId),
    /// A look-aside cache: down when the cache and `on_miss` both are (or
    /// `on_miss` alone when nothing is ever a hit).
    Cache {
        /// Where misses go.
        on_miss: ServiceId,
        /// The hit ratio is 0.
        hit_zero: bool,
    },
}

/// One dependency edge, read from the flat arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The calling operation (flattened index).
    pub from: usize,
    /// The calling service.
    pub caller: ServiceId,
    /// What it calls: a service (calls split over its operations) or one
    /// operation.
    pub target: Node,
    /// Its attributes.
    pub flags: EdgeFlags,
    /// The failover alternative or the cache's `on_miss`.
    pub alternative: Option<ServiceId>,
    /// Calls per request.
    pub calls: u32,
}

impl Edge {
    /// The service the edge calls.
    pub fn target_service(&self, graph: &Graph) -> ServiceId {
        graph.service_of(self.target)
    }

    /// How the edge passes a failure on.
    pub fn rule(&self) -> Rule {
        let f = self.flags;
        let alt = self.alternative.unwrap_or(ServiceId(u32::MAX));
        if f.contains(EdgeFlags::STARTUP) {
            Rule::Startup
        } else if !f.is_hard_path() {
            Rule::Capped
        } else if f.contains(EdgeFlags::CACHE) {
            Rule::Cache {
                on_miss: alt,
                hit_zero: f.contains(EdgeFlags::HIT_ZERO),
            }
        } else if f.contains(EdgeFlags::STALE) {
            Rule::Stale
        } else if f.contains(EdgeFlags::FAILOVER) {
            Rule::Failover(alt)
        } else {
            Rule::Plain
        }
    }
}

/// "No alternative" in [`Graph`]'s `edge_alt`.
const NONE: u32 = u32::MAX;

/// Finding code for a dependency cycle (legal; reported as a warning).
pub const CYCLE: &str = "W001";

/// The dependency graph of a model (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Operations of service `s`: `op_offset[s]..op_offset[s + 1]`.
    op_offset: Vec<u32>,
    /// Service of each operation.
    op_service: Vec<u32>,
    /// Edges of operation `o`: `edge_offset[o]..edge_offset[o + 1]`.
    edge_offset: Vec<u32>,
    /// Per edge: calling operation.
    edge_from: Vec<u32>,
    /// Per edge: target node index (services, then operations).
    edge_target: Vec<u32>,
    edge_flags: Vec<EdgeFlags>,
    /// Per edge: failover alternative or `on_miss` service, or [`NONE`].
    edge_alt: Vec<u32>,
    edge_calls: Vec<u32>,
    /// Per edge: how it passes a failure on (derived from the flags once,
    /// read on every evaluation).
    edge_rule: Vec<Rule>,
    /// Edges whose target is node `v`: `by_target[by_target_offset[v]..]`.
    by_target_offset: Vec<u32>,
    by_target: Vec<u32>,
    /// Edges whose alternative is service `s`.
    by_alt_offset: Vec<u32>,
    by_alt: Vec<u32>,
    /// Service level: the services each calls (deduplicated, first-call
    /// order; targets only), and the reverse.
    callees_offset: Vec<u32>,
    callees: Vec<ServiceId>,
    callers_offset: Vec<u32>,
    callers: Vec<ServiceId>,
    /// Both orders are made on first use: `check` needs neither.
    node_components: std::sync::OnceLock<Components>,
    service_components: std::sync::OnceLock<Components>,
}

/// A compressed list: `offset[v]..offset[v + 1]` indexes `items` for each
/// `v` of `0..count`, filled in the order `pairs` gives.
fn compress<T: Copy>(count: usize, pairs: &[(u32, T)]) -> (Vec<u32>, Vec<T>) {
    let mut offset = vec![0u32; count + 1];
    for &(v, _) in pairs {
        offset[v as usize + 1] += 1;
    }
    for v in 0..count {
        offset[v + 1] += offset[v];
    }
    let mut fill = offset.clone();
    let mut slots: Vec<Option<T>> = vec![None; pairs.len()];
    for &(v, item) in pairs {
        slots[fill[v as usize] as usize] = Some(item);
        fill[v as usize] += 1;
    }
    (offset, slots.into_iter().flatten().collect())
}

impl Graph {
    /// Builds the graph of a valid model (its components follow on first
    /// use). Linear in services + operations + dependencies. The partial
    /// model of a file with errors ([`crate::model::Validated::model`])
    /// builds too, since every name left in it resolves; of its graph only
    /// the shape (cycles) means anything.
    ///
    /// ```
    /// use whatif::graph::{Graph, Node, Rule};
    /// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: db, fallback: { to: standby } }] }\n  db: {}\n  standby: {}\n";
    /// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
    /// let graph = Graph::build(&model);
    /// let web = model.find("web").unwrap();
    /// let e = graph.edges_of(graph.op_index(web, 0)).start;
    /// let edge = graph.edge(e);
    /// assert_eq!(edge.target, Node::Service(model.find("db").unwrap()));
    /// assert_eq!(edge.rule(), Rule::Failover(model.find("standby").unwrap()));
    /// assert_eq!(graph.dependency(e), (web, 0, 0));
    /// ```
    pub fn build(model: &Model) -> Graph {
        let n = model.services().len();
        let mut g = Graph::default();
        g.op_offset.reserve(n + 1);
        for s in model.services() {
            g.op_offset.push(g.op_service.len() as u32);
            let id = g.op_offset.len() as u32 - 1;
            g.op_service
                .extend(std::iter::repeat_n(id, s.operations.len()));
        }
        g.op_offset.push(g.op_service.len() as u32);
        let m = g.op_service.len();
        g.edge_offset.reserve(m + 1);
        for (si, s) in model.services().iter().enumerate() {
            for (k, op) in s.operations.iter().enumerate() {
                let o = g.op_offset[si] + k as u32;
                g.edge_offset.push(g.edge_from.len() as u32);
                for dep in &op.depends_on {
                    let t = dep.target;
                    g.edge_from.push(o);
                    g.edge_target.push(match t.operation {
                        Some(k) => (n as u32) + g.op_offset[t.service.index()] + k as u32,
                        None => t.service.0,
                    });
                    g.edge_flags.push(EdgeFlags::of(dep));
                    g.edge_alt.push(match (&dep.fallback, &dep.cache) {
                        (Some(Fallback::Failover { to }), _) => to.0,
                        (_, Some(c)) => c.on_miss.0,
                        _ => NONE,
                    });
                    g.edge_calls.push(dep.calls);
                }
            }
        }
        g.edge_offset.push(g.edge_from.len() as u32);
        g.edge_rule = (0..g.edge_count()).map(|e| g.edge(e).rule()).collect();
        g.index_reverse(n, m);
        g.index_services(n);
        g
    }

    /// Reverse adjacency: edges by target node and by alternative.
    fn index_reverse(&mut self, n: usize, m: usize) {
        let by_target: Vec<(u32, u32)> = (0..self.edge_count() as u32)
            .map(|e| (self.edge_target[e as usize], e))
            .collect();
        (self.by_target_offset, self.by_target) = compress(n + m, &by_target);
        let by_alt: Vec<(u32, u32)> = (0..self.edge_count() as u32)
            .filter(|&e| self.edge_alt[e as usize] != NONE)
            .map(|e| (self.edge_alt[e as usize], e))
            .collect();
        (self.by_alt_offset, self.by_alt) = compress(n, &by_alt);
    }

    /// Service-level callees (targets only, deduplicated in first-call
    /// order) and callers.
    fn index_services(&mut self, n: usize) {
        let mut seen = vec![u32::MAX; n];
        let mut pairs: Vec<(u32, ServiceId)> = Vec::with_capacity(self.edge_count());
        for s in 0..n {
            for e in self.op_offset_edges(s) {
                let t = self.service_of(self.target_node(e)).0;
                if seen[t as usize] != s as u32 {
                    seen[t as usize] = s as u32;
                    pairs.push((s as u32, ServiceId(t)));
                }
            }
        }
        (self.callees_offset, self.callees) = compress(n, &pairs);
        let reverse: Vec<(u32, ServiceId)> =
            pairs.iter().map(|&(s, t)| (t.0, ServiceId(s))).collect();
        (self.callers_offset, self.callers) = compress(n, &reverse);
    }

    /// Edges of every operation of service `s`, as one range.
    fn op_offset_edges(&self, s: usize) -> Range<usize> {
        let ops = self.op_offset[s] as usize..self.op_offset[s + 1] as usize;
        self.edge_offset[ops.start] as usize..self.edge_offset[ops.end] as usize
    }

    /// Node components over what health is computed from (module docs).
    fn evaluation_components(&self) -> Components {
        let n = self.service_count();
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.node_count() + self.edge_count());
        for s in 0..n {
            for o in self.ops_of(ServiceId(s as u32)) {
                pairs.push((s as u32, (n + o) as u32));
            }
        }
        for e in 0..self.edge_count() {
            if self.edge_flags[e].contains(EdgeFlags::STARTUP) {
                continue;
            }
            let from = (n as u32) + self.edge_from[e];
            pairs.push((from, self.edge_target[e]));
            if self.edge_alt[e] != NONE {
                pairs.push((from, self.edge_alt[e]));
            }
        }
        let (offset, targets) = compress(self.node_count(), &pairs);
        Components::tarjan(&offset, &targets)
    }

    /// Service components over every dependency and alternative.
    fn dependency_components(&self) -> Components {
        let n = self.service_count();
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.edge_count());
        for e in 0..self.edge_count() {
            let from = self.op_service[self.edge_from[e] as usize];
            pairs.push((from, self.service_of(self.target_node(e)).0));
            if self.edge_alt[e] != NONE {
                pairs.push((from, self.edge_alt[e]));
            }
        }
        let (offset, targets) = compress(n, &pairs);
        Components::tarjan(&offset, &targets)
    }

    /// Number of services.
    pub fn service_count(&self) -> usize {
        self.op_offset.len().saturating_sub(1)
    }

    /// Number of operations (every service has at least one).
    pub fn operation_count(&self) -> usize {
        self.op_service.len()
    }

    /// Number of nodes: services + operations.
    pub fn node_count(&self) -> usize {
        self.service_count() + self.operation_count()
    }

    /// Number of dependency edges.
    pub fn edge_count(&self) -> usize {
        self.edge_from.len()
    }

    /// Flattened index of operation `op` (index into its `operations`) of
    /// service `id`.
    pub fn op_index(&self, id: ServiceId, op: usize) -> usize {
        self.op_offset[id.index()] as usize + op
    }

    /// The operations of a service, as flattened indices.
    pub fn ops_of(&self, id: ServiceId) -> Range<usize> {
        self.op_offset[id.index()] as usize..self.op_offset[id.index() + 1] as usize
    }

    /// The service an operation belongs to.
    pub fn op_service(&self, op: usize) -> ServiceId {
        ServiceId(self.op_service[op])
    }

    /// Index of a node in arrays over every node: services first, then
    /// operations.
    pub fn node_index(&self, node: Node) -> usize {
        match node {
            Node::Service(s) => s.index(),
            Node::Operation(o) => self.service_count() + o,
        }
    }

    /// The node at an index of [`Graph::node_index`].
    pub fn node(&self, index: usize) -> Node {
        let n = self.service_count();
        if index < n {
            Node::Service(ServiceId(index as u32))
        } else {
            Node::Operation(index - n)
        }
    }

    /// The service a node is or belongs to.
    pub fn service_of(&self, node: Node) -> ServiceId {
        match node {
            Node::Service(s) => s,
            Node::Operation(o) => self.op_service(o),
        }
    }

    /// The edges of an operation, in `depends_on` order.
    pub fn edges_of(&self, op: usize) -> Range<usize> {
        self.edge_offset[op] as usize..self.edge_offset[op + 1] as usize
    }

    /// One edge.
    pub fn edge(&self, e: usize) -> Edge {
        let from = self.edge_from[e] as usize;
        Edge {
            from,
            caller: self.op_service(from),
            target: self.target_node(e),
            flags: self.edge_flags[e],
            alternative: (self.edge_alt[e] != NONE).then_some(ServiceId(self.edge_alt[e])),
            calls: self.edge_calls[e],
        }
    }

    /// An edge's target.
    pub fn target_node(&self, e: usize) -> Node {
        self.node(self.edge_target[e] as usize)
    }

    /// An edge's target as a [`Graph::node_index`].
    pub fn target_index(&self, e: usize) -> usize {
        self.edge_target[e] as usize
    }

    /// The operation an edge comes from (flattened index).
    pub fn from_op(&self, e: usize) -> usize {
        self.edge_from[e] as usize
    }

    /// The service an edge comes from.
    pub fn caller(&self, e: usize) -> ServiceId {
        ServiceId(self.op_service[self.edge_from[e] as usize])
    }

    /// How an edge passes a failure on.
    pub fn rule(&self, e: usize) -> Rule {
        self.edge_rule[e]
    }

    /// The edge of dependency `dep` (index into `depends_on`) of operation
    /// `op` (index into `operations`) of a service.
    pub fn edge_index(&self, id: ServiceId, op: usize, dep: usize) -> usize {
        self.edges_of(self.op_index(id, op)).start + dep
    }

    /// Where an edge comes from in the model: (service, index into its
    /// `operations`, index into that operation's `depends_on`).
    pub fn dependency(&self, e: usize) -> (ServiceId, usize, usize) {
        let o = self.edge_from[e] as usize;
        let s = self.op_service(o);
        (
            s,
            o - self.op_offset[s.index()] as usize,
            e - self.edge_offset[o] as usize,
        )
    }

    /// The model's [`Dependency`] behind an edge (`model` must be the one
    /// the graph was built from).
    pub fn dependency_in<'m>(&self, model: &'m Model, e: usize) -> &'m Dependency {
        let (s, op, dep) = self.dependency(e);
        &model.service(s).operations[op].depends_on[dep]
    }

    /// Edges whose target is `node` (its callers' calls).
    pub fn edges_into(&self, node: Node) -> &[u32] {
        let v = self.node_index(node);
        &self.by_target[self.by_target_offset[v] as usize..self.by_target_offset[v + 1] as usize]
    }

    /// Edges whose failover alternative or cache `on_miss` is `id`.
    pub fn edges_with_alternative(&self, id: ServiceId) -> &[u32] {
        let s = id.index();
        &self.by_alt[self.by_alt_offset[s] as usize..self.by_alt_offset[s + 1] as usize]
    }

    /// Services a service calls (any operation, any edge kind; targets, not
    /// alternatives), deduplicated, in first-call order.
    pub fn callees(&self, id: ServiceId) -> &[ServiceId] {
        let s = id.index();
        &self.callees[self.callees_offset[s] as usize..self.callees_offset[s + 1] as usize]
    }

    /// Services that call a service (the reverse of [`Graph::callees`]).
    pub fn callers(&self, id: ServiceId) -> &[ServiceId] {
        let s = id.index();
        &self.callers[self.callers_offset[s] as usize..self.callers_offset[s + 1] as usize]
    }

    /// Node components, callees first, over what each node's health is
    /// computed from (members are [`Graph::node_index`] values; module docs).
    pub fn node_components(&self) -> &Components {
        self.node_components
            .get_or_init(|| self.evaluation_components())
    }

    /// Service components, callees first, over every dependency and
    /// alternative (members are service indices; module docs).
    pub fn service_components(&self) -> &Components {
        self.service_components
            .get_or_init(|| self.dependency_components())
    }

    /// Every dependency cycle between services (targets, any edge kind),
    /// one per strongly connected component, each spelled out as a closed
    /// walk `[a, b, c]` meaning a → b → c → a, starting from its first
    /// member in model order. Components are listed in model order of
    /// that first member. Linear in services + dependencies.
    pub fn cycles(&self) -> Vec<Vec<ServiceId>> {
        let targets: Vec<u32> = self.callees.iter().map(|s| s.0).collect();
        let components = Components::tarjan(&self.callees_offset, &targets);
        let mut component_of = vec![u32::MAX; self.service_count()];
        let mut cycles = Vec::new();
        for (c, members) in components.iter().enumerate() {
            if members.len() < 2 {
                continue; // self-loops are validation errors, never here
            }
            for &m in members {
                component_of[m as usize] = c as u32;
            }
            if let Some(cycle) = self.shortest_cycle_through(members[0], &component_of) {
                cycles.push(cycle);
            }
        }
        cycles.sort_by_key(|c| c[0]);
        cycles
    }

    /// Breadth-first search from `start` back to itself inside its component.
    fn shortest_cycle_through(&self, start: u32, component_of: &[u32]) -> Option<Vec<ServiceId>> {
        let component = component_of[start as usize];
        let mut parent = std::collections::HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(at) = queue.pop_front() {
            for next in self.callees(ServiceId(at)) {
                if component_of[next.index()] != component {
                    continue;
                }
                if next.0 == start {
                    let mut path = vec![ServiceId(at)];
                    let mut cur = at;
                    while cur != start {
                        cur = parent[&cur];
                        path.push(ServiceId(cur));
                    }
                    path.reverse();
                    return Some(path);
                }
                if next.0 != start && !parent.contains_key(&next.0) {
                    parent.insert(next.0, at);
                    queue.push_back(next.0);
                }
            }
        }
        None
    }

    /// Cycle warnings with the cycle spelled out, positioned at the first
    /// member's declaration.
    pub fn cycle_findings(&self, model: &Model) -> Vec<Finding> {
        self.cycles()
            .into_iter()
            .map(|cycle| {
                let mut names: Vec<&str> = cycle.iter().map(|&id| model.service(id).name.as_str()).collect();
                names.push(names[0]);
                let spelled = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" → ");
                Finding::warning(CYCLE, format!("dependency cycle: {spelled}"), Some(model.service(cycle[0]).pos))
                    .with_hint("cycles are legal, but a failure anywhere in one can hold the whole loop down; check one edge is soft, async or has a fallback")
            })
            .collect()
    }

    /// Services within `depth` hops of `focus`, following calls in both
    /// directions (callers and callees), in model order.
    pub fn neighbourhood(&self, focus: ServiceId, depth: usize) -> Vec<ServiceId> {
        let mut dist = vec![usize::MAX; self.service_count()];
        dist[focus.index()] = 0;
        let mut queue = VecDeque::from([focus]);
        while let Some(at) = queue.pop_front() {
            let d = dist[at.index()];
            if d == depth {
                continue;
            }
            for &next in self.callees(at).iter().chain(self.callers(at)) {
                if dist[next.index()] == usize::MAX {
                    dist[next.index()] = d + 1;
                    queue.push_back(next);
                }
            }
        }
        (0..dist.len())
            .filter(|&i| dist[i] != usize::MAX)
            .map(|i| ServiceId(i as u32))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn graph(text: &str) -> (Model, Graph) {
        let loaded = load_str(text, "t.yaml").expect("valid");
        let g = Graph::build(&loaded.model);
        (loaded.model, g)
    }

    #[test]
    fn cycle_is_spelled_out() {
        let (m, g) = graph(
            "services:\n  a: { depends_on: [b] }\n  b: { depends_on: [c] }\n  c: { depends_on: [a, d] }\n  d: {}\n",
        );
        let f = g.cycle_findings(&m);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "dependency cycle: `a` → `b` → `c` → `a`");
    }

    #[test]
    fn operations_are_nodes_and_edges_carry_policies() {
        let (m, g) = graph(
            "services:\n  api:\n    operations:\n      login: { rps: 5, depends_on: [users.login, { to: audit, mode: async, calls: 2 }] }\n      home: { rps: 9 }\n  users:\n    operations:\n      login: {}\n      read: {}\n  audit: {}\n",
        );
        assert_eq!(
            (g.service_count(), g.operation_count(), g.node_count()),
            (3, 5, 8)
        );
        let api = m.find("api").unwrap();
        let users = m.find("users").unwrap();
        let audit = m.find("audit").unwrap();
        let login = g.op_index(api, 0);
        assert_eq!(g.edges_of(login), 0..2);
        let e = g.edge(0);
        assert_eq!(e.target, Node::Operation(g.op_index(users, 0)));
        assert_eq!((e.caller, e.from, e.rule()), (api, login, Rule::Plain));
        let a = g.edge(1);
        assert!(a.flags.contains(EdgeFlags::ASYNC) && !a.flags.is_hard_path());
        assert_eq!((a.rule(), a.calls), (Rule::Capped, 2));
        assert_eq!(g.dependency(1), (api, 0, 1));
        assert_eq!(g.edge_index(api, 0, 1), 1);
        assert_eq!(g.dependency_in(&m, 1).written, "audit");
        assert_eq!(g.edges_into(Node::Service(audit)), [1]);
        assert_eq!(g.edges_into(Node::Operation(g.op_index(users, 0))), [0]);
        assert_eq!(g.callees(api), [users, audit]);
        assert_eq!(g.callers(users), [api]);
        assert_eq!(g.node(g.node_index(Node::Operation(3))), Node::Operation(3));
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn reverse_lists_hold_alternatives_and_components_come_callees_first() {
        let (m, g) = graph(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: db, fallback: { to: standby } }, { to: c, cache: { hit_ratio: 0%, on_miss: db } }, { to: boot, phase: startup }] }\n  db: {}\n  standby: {}\n  c: {}\n  boot: { depends_on: [web] }\n",
        );
        let id = |n: &str| m.find(n).unwrap();
        assert_eq!(g.edges_with_alternative(id("standby")), [0]);
        assert_eq!(g.edges_with_alternative(id("db")), [1]);
        assert_eq!(
            g.rule(1),
            Rule::Cache {
                on_miss: id("db"),
                hit_zero: true
            }
        );
        assert_eq!(g.rule(2), Rule::Startup);
        let nc = g.node_components();
        let at = |node: Node| nc.of(g.node_index(node));
        let web_op = Node::Operation(g.op_index(id("web"), 0));
        assert!(at(Node::Service(id("standby"))) < at(web_op));
        assert!(at(web_op) < at(Node::Service(id("web"))));
        // The startup edge closes no cycle for evaluation, but it is a
        // dependency cycle between services.
        assert!((0..nc.len()).all(|c| !nc.is_cyclic(c)));
        let sc = g.service_components();
        assert_eq!(sc.of(id("web").index()), sc.of(id("boot").index()));
        assert_eq!(g.cycles(), vec![vec![id("web"), id("boot")]]);
    }

    #[test]
    fn neighbourhood_follows_both_directions() {
        let (m, g) = graph(
            "services:\n  a: { depends_on: [b] }\n  b: { depends_on: [c] }\n  c: { depends_on: [d] }\n  d: {}\n",
        );
        let names = |ids: Vec<ServiceId>| {
            ids.into_iter()
                .map(|i| m.service(i).name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(g.neighbourhood(m.find("b").unwrap(), 1)),
            ["a", "b", "c"]
        );
        assert_eq!(
            names(g.neighbourhood(m.find("a").unwrap(), 2)),
            ["a", "b", "c"]
        );
    }

    /// A 100,000-service chain and ring: built, checked for cycles, with
    /// no recursion deep enough to overflow a thread's stack (issue 16).
    #[test]
    fn deep_chains_and_long_rings_need_no_recursion() {
        let n = 100_000;
        let mut chain = String::from("services:\n");
        for i in 0..n {
            if i + 1 < n {
                chain.push_str(&format!("  s{i}: {{ depends_on: [s{}] }}\n", i + 1));
            } else {
                chain.push_str(&format!("  s{i}: {{}}\n"));
            }
        }
        let ring = chain.replace(
            &format!("s{}: {{}}", n - 1),
            &format!("s{}: {{ depends_on: [s0] }}", n - 1),
        );
        let chain = load_str(&chain, "chain.yaml").expect("valid").model;
        let ring = load_str(&ring, "ring.yaml").expect("valid").model;
        let run = move || {
            let g = Graph::build(&chain);
            assert!(g.cycles().is_empty());
            assert_eq!(g.node_components().len(), 2 * n);
            let g = Graph::build(&ring);
            let cycles = g.cycles();
            assert_eq!(cycles.len(), 1);
            assert_eq!(cycles[0].len(), n);
        };
        // A small stack (256 KiB) proves the point whatever the main
        // thread's stack size.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .expect("thread")
            .join()
            .expect("no stack overflow");
    }
}
