//! The dependency graph: a petgraph wrapper with services and operations as
//! nodes and dependency policies on the edges, plus what is computed on the
//! shape alone (cycles, neighbourhoods).

use std::collections::{BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::finding::Finding;
use crate::model::{Model, ServiceId};

/// A node: a service, or one operation of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A service.
    Service(ServiceId),
    /// Operation `.1` (index into the service's operations) of a service.
    Operation(ServiceId, usize),
}

/// An edge: a service owns its operations; an operation calls a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Service → one of its operations.
    Has,
    /// Operation → service or operation it depends on; `.0` indexes the
    /// operation's `depends_on`.
    Calls(usize),
}

/// Finding code for a dependency cycle (legal; reported as a warning).
pub const CYCLE: &str = "W001";

/// The dependency graph of a model.
#[derive(Debug, Clone)]
pub struct Graph {
    /// The petgraph graph.
    pub inner: DiGraph<Node, Edge>,
    service_nodes: Vec<NodeIndex>,
    operation_nodes: Vec<Vec<NodeIndex>>,
    /// Service-level adjacency: for each service, the services its operations
    /// call (deduplicated, in first-call order).
    callees: Vec<Vec<ServiceId>>,
    /// The reverse of `callees`.
    callers: Vec<Vec<ServiceId>>,
}

impl Graph {
    /// Builds the graph of a valid model. Linear in services + dependencies.
    pub fn build(model: &Model) -> Graph {
        let n = model.services().len();
        let mut inner = DiGraph::with_capacity(n * 2, n * 3);
        let mut service_nodes = Vec::with_capacity(n);
        let mut operation_nodes = Vec::with_capacity(n);
        for id in model.service_ids() {
            let s = inner.add_node(Node::Service(id));
            service_nodes.push(s);
            let ops: Vec<NodeIndex> = (0..model.service(id).operations.len())
                .map(|i| {
                    let o = inner.add_node(Node::Operation(id, i));
                    inner.add_edge(s, o, Edge::Has);
                    o
                })
                .collect();
            operation_nodes.push(ops);
        }
        let mut callees = vec![Vec::new(); n];
        let mut callers = vec![Vec::new(); n];
        for id in model.service_ids() {
            let mut seen = BTreeSet::new();
            for (oi, op) in model.service(id).operations.iter().enumerate() {
                for (di, dep) in op.depends_on.iter().enumerate() {
                    let t = dep.target;
                    let to = match t.operation {
                        Some(o) => operation_nodes[t.service.index()][o],
                        None => service_nodes[t.service.index()],
                    };
                    inner.add_edge(operation_nodes[id.index()][oi], to, Edge::Calls(di));
                    if seen.insert(t.service) {
                        callees[id.index()].push(t.service);
                        callers[t.service.index()].push(id);
                    }
                }
            }
        }
        Graph {
            inner,
            service_nodes,
            operation_nodes,
            callees,
            callers,
        }
    }

    /// The node of a service.
    pub fn service_node(&self, id: ServiceId) -> NodeIndex {
        self.service_nodes[id.index()]
    }

    /// The node of an operation.
    pub fn operation_node(&self, id: ServiceId, op: usize) -> NodeIndex {
        self.operation_nodes[id.index()][op]
    }

    /// Services a service calls (any operation, any edge kind).
    pub fn callees(&self, id: ServiceId) -> &[ServiceId] {
        &self.callees[id.index()]
    }

    /// Services that call a service.
    pub fn callers(&self, id: ServiceId) -> &[ServiceId] {
        &self.callers[id.index()]
    }

    /// Every dependency cycle between services, one per strongly connected
    /// component, each spelled out as a closed walk `[a, b, c]` meaning
    /// a → b → c → a, starting from its first member in model order.
    /// Components are listed in model order of that first member.
    pub fn cycles(&self) -> Vec<Vec<ServiceId>> {
        let n = self.callees.len();
        // Tarjan over the service-level graph (operations folded in).
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
        for _ in 0..n {
            g.add_node(());
        }
        for (from, tos) in self.callees.iter().enumerate() {
            for to in tos {
                g.add_edge(NodeIndex::new(from), NodeIndex::new(to.index()), ());
            }
        }
        let mut cycles = Vec::new();
        for component in tarjan_scc(&g) {
            if component.len() < 2 {
                continue; // self-loops are validation errors, never here
            }
            let members: BTreeSet<usize> = component.iter().map(|n| n.index()).collect();
            let start = *members.iter().next().unwrap_or(&0);
            if let Some(cycle) = self.shortest_cycle_through(start, &members) {
                cycles.push(cycle);
            }
        }
        cycles.sort_by_key(|c| c[0]);
        cycles
    }

    /// Breadth-first search from `start` back to itself inside `members`.
    fn shortest_cycle_through(
        &self,
        start: usize,
        members: &BTreeSet<usize>,
    ) -> Option<Vec<ServiceId>> {
        let mut parent = vec![usize::MAX; self.callees.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(at) = queue.pop_front() {
            for next in &self.callees[at] {
                let next = next.index();
                if !members.contains(&next) {
                    continue;
                }
                if next == start {
                    let mut path = vec![ServiceId(at as u32)];
                    let mut cur = at;
                    while cur != start {
                        cur = parent[cur];
                        path.push(ServiceId(cur as u32));
                    }
                    path.reverse();
                    return Some(path);
                }
                if parent[next] == usize::MAX && next != start {
                    parent[next] = at;
                    queue.push_back(next);
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
        let mut dist = vec![usize::MAX; self.callees.len()];
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

    /// Calls leaving an operation node, as (dependency index, target node).
    pub fn calls_from(
        &self,
        id: ServiceId,
        op: usize,
    ) -> impl Iterator<Item = (usize, NodeIndex)> + '_ {
        self.inner
            .edges(self.operation_node(id, op))
            .filter_map(|e| match e.weight() {
                Edge::Calls(i) => Some((*i, e.target())),
                Edge::Has => None,
            })
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
            "services:\n  api:\n    operations:\n      login: { rps: 5, depends_on: [users.login] }\n      home: { rps: 9 }\n  users:\n    operations:\n      login: {}\n      read: {}\n",
        );
        assert_eq!(g.inner.node_count(), 2 + 4);
        let api = m.find("api").unwrap();
        let calls: Vec<_> = g.calls_from(api, 0).collect();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            g.inner[calls[0].1],
            Node::Operation(m.find("users").unwrap(), 0)
        );
        assert!(g.cycles().is_empty());
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
}
