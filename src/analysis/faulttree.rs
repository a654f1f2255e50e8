//! Fault-tree export (docs/review.md): the structural rules, restricted to `down`,
//! written as an Open-PSA Model Exchange Format (MEF) fault tree, so that a
//! standard tool (SCRAM, XFTA …) can check whatif's cut sets and
//! availability.
//!
//! # The tree
//!
//! The basic events are those of [`basic_events`]. The gates encode the same
//! logic as [`evaluate`](crate::sim::structural::evaluate),
//! for the `down` state only (an entry point merely degraded is up here):
//!
//! - a service *fails* when fewer than `quorum` replicas survive: a k-of-n
//!   gate (`atleast`) over its replicas with k = replicas − quorum + 1, each
//!   replica failing by its own event or its zone's;
//! - an operation is down when its service fails, or when any of its edges
//!   passes `down` on: a hard, sync, request-phase edge with no fallback or
//!   cache when its target is down; a failover edge when the target AND the
//!   alternative are down; a cache edge when the cache AND `on_miss` are down
//!   (or when `on_miss` is down at a hit ratio of 0). Stale fallbacks and
//!   soft, async, background or startup edges never make it down;
//! - a service is down when all its operations are (an AND over them); a
//!   call naming a service looks at the service, a call naming `svc.op` at
//!   that operation.
//!
//! # Names
//!
//! Model names are arbitrary strings, so gates and events get identifiers —
//! `top_s3` (entry point: service 3 in model order), `s3` (service 3 down),
//! `s3_o1` (its operation 1 down), `s3_f` (it fails: lost quorum, or its one
//! replica's zone), `e7` (basic event 7 of [`basic_events`]) — and the real
//! name goes in a `<label>`, escaped. A service with one operation has one
//! gate, `s3`, for both.
//!
//! # Cycles
//!
//! The structural rules take the *least* fixed point: a dependency cycle
//! whose members do not fail otherwise stays up. A fault tree must be
//! acyclic, so the cycle is unrolled the way the least fixed point reads it:
//! while building the gate of a node, a call back to a node on the current
//! expansion path counts as up (it is left out). Nodes on no cycle get one
//! shared gate; a node on a cycle gets one gate per set of cycle members on
//! the path that led to it — the variants are named `s3_v1`, `s3_v2` … and
//! their labels say which calls back count as up. Cycles are small in real
//! models; a tangle needing more than [`MAX_CYCLE_GATES`] variants is refused.
//!
//! # Top events
//!
//! One top gate per entry point, in the order of [`entries`]: entry
//! services (`top_s3`), then the entry operations of services that declare
//! operations (`top_s3_o1`) — the entry points `cuts`, `spof` and
//! `availability` report. Each passes through to the entry's service or
//! operation gate, so it stays a top when something else calls the entry
//! (tools analyse every gate no other gate uses). A top that can never
//! occur is written as `<constant value="false"/>`, which SCRAM reports as
//! an empty set; with validated models this does not happen, since every
//! service's own failure takes it down.
//!
//! Only the gates and basic events some top reaches are written. The same
//! model gives the same bytes.

use std::collections::{HashMap, HashSet};
use std::io;

use super::events::{
    BasicEvent, ReplicaCauses, TooManyEvents, basic_events, replica_causes, replicas_to_fail,
};
use super::spof::{Entry, entries};
use crate::graph::{Components, Graph, Node, Rule};
use crate::model::{Model, ServiceId};
use crate::text::xml_text;

/// The most gates the unrolling of dependency cycles may add before the
/// export is refused (each cycle member needs one gate per path into it).
pub const MAX_CYCLE_GATES: usize = 100_000;

/// The largest dependency cycle with failovers, caches or several
/// operations inside that is unrolled (a cycle of plain hard calls has no
/// bound: it is one gate). Unrolling follows every path around the cycle,
/// which such a cycle makes exponential; this bound refuses it at once.
pub const MAX_UNROLLED_MEMBERS: usize = 64;

/// Why no fault tree was written.
#[derive(Debug, thiserror::Error)]
pub enum FaultTreeError {
    /// More basic events than analyses take.
    #[error(transparent)]
    TooManyEvents(#[from] TooManyEvents),
    /// Dependency cycles too entangled to unroll into an acyclic tree.
    #[error("the dependency cycles of `{model}` are too entangled for a fault tree: {why}")]
    Entangled {
        /// The model's name.
        model: String,
        /// Which bound it exceeds.
        why: String,
    },
    /// The writer failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Writes the structural model of `model` as an Open-PSA MEF fault tree:
/// one top gate per entry point (`top_sN` for entry services, then
/// `top_sN_oK` for entry operations, as [`entries`] lists them), k-of-n
/// gates for quorum, AND gates for failover pairs and caches, and the basic
/// events of [`basic_events`] with their probabilities (zones are events
/// when `zone_availability`, 0–1, is given).
///
/// The document goes to `out` in one `write_all`. Fails with the writer's
/// error, when the model has more than
/// [`MAX_EVENTS`](super::events::MAX_EVENTS) basic events, or when
/// dependency cycles are too entangled to unroll (see [`MAX_CYCLE_GATES`]
/// and [`MAX_UNROLLED_MEMBERS`]); nothing is written then.
///
/// Linear in services + dependencies + events, cycles of plain hard calls
/// included (one gate each); a cycle with failovers, caches or several
/// operations inside costs one gate per member and path into it.
///
/// ```
/// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 3, quorum: 2 }\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let mut xml = Vec::new();
/// whatif::analysis::faulttree::write_open_psa(&model, &graph, None, &mut xml).unwrap();
/// let xml = String::from_utf8(xml).unwrap();
/// assert!(xml.contains(r#"<define-gate name="top_s0">"#));
/// assert!(xml.contains(r#"<atleast min="2">"#));
/// ```
pub fn write_open_psa(
    model: &Model,
    graph: &Graph,
    zone_availability: Option<f64>,
    out: &mut dyn io::Write,
) -> Result<(), FaultTreeError> {
    let tree = build(model, graph, zone_availability)?;
    out.write_all(render(model, &tree).as_bytes())?;
    Ok(())
}

/// A Boolean formula over basic events and gates, kept simplified: no
/// constant inside a connective, no duplicate or single argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Formula {
    /// Never occurs.
    False,
    /// A basic event (index into the events).
    Event(usize),
    /// Another gate (index into [`Tree::gates`]).
    Gate(usize),
    And(Vec<Formula>),
    Or(Vec<Formula>),
    AtLeast(u32, Vec<Formula>),
}

/// Arguments without duplicates (MEF forbids them), in first-seen order:
/// a scan while few, a hash set beyond (a k-of-n gate over a million
/// replicas has a million arguments).
#[derive(Default)]
struct Unique {
    items: Vec<Formula>,
    seen: HashSet<Formula>,
}

impl Unique {
    fn push(&mut self, f: Formula) {
        const SCAN: usize = 32;
        if self.items.len() < SCAN {
            if !self.items.contains(&f) {
                self.items.push(f);
            }
            return;
        }
        if self.seen.is_empty() {
            self.seen.extend(self.items.iter().cloned());
        }
        if self.seen.insert(f.clone()) {
            self.items.push(f);
        }
    }
}

/// OR: `False` arguments dropped, nested ORs flattened.
fn any(parts: impl IntoIterator<Item = Formula>) -> Formula {
    let mut unique = Unique::default();
    for f in parts {
        match f {
            Formula::False => {}
            Formula::Or(inner) => inner.into_iter().for_each(|g| unique.push(g)),
            f => unique.push(f),
        }
    }
    let mut items = unique.items;
    absorb(&mut items, |f| match f {
        Formula::And(inner) => Some(inner),
        _ => None,
    });
    match items.len() {
        0 => Formula::False,
        1 => items.swap_remove(0),
        _ => Formula::Or(items),
    }
}

/// AND: `False` if any argument is, nested ANDs flattened. Never called
/// without arguments (there is no constant `true` in these trees).
fn all(parts: impl IntoIterator<Item = Formula>) -> Formula {
    let mut unique = Unique::default();
    for f in parts {
        match f {
            Formula::False => return Formula::False,
            Formula::And(inner) => inner.into_iter().for_each(|g| unique.push(g)),
            f => unique.push(f),
        }
    }
    let mut items = unique.items;
    absorb(&mut items, |f| match f {
        Formula::Or(inner) => Some(inner),
        _ => None,
    });
    match items.len() {
        0 => Formula::False,
        1 => items.swap_remove(0),
        _ => Formula::And(items),
    }
}

/// Absorption: in an OR, `x ∨ (x ∧ y)` is `x`; in an AND, `x ∧ (x ∨ y)` is
/// `x`. `dual` opens an argument of the other connective. Keeps the trees
/// readable (a failover whose alternative is also called directly); the
/// cut sets are the same either way.
///
/// An argument of the other connective is absorbed by a plain argument it
/// contains (looked up in a hash set), or by a smaller argument of the same
/// connective it contains (compared pairwise only while there are at most
/// 64 of them: a wide gate of replicas keeps them all, which changes no cut
/// set).
fn absorb(items: &mut Vec<Formula>, dual: impl Fn(&Formula) -> Option<&Vec<Formula>>) {
    let duals: Vec<usize> = (0..items.len())
        .filter(|&i| dual(&items[i]).is_some())
        .collect();
    if duals.is_empty() {
        return;
    }
    let plain: HashSet<&Formula> = items.iter().filter(|f| dual(f).is_none()).collect();
    let pairwise = duals.len() <= 64;
    let absorbed = |i: usize| {
        let Some(args) = dual(&items[i]) else {
            return false;
        };
        args.iter().any(|a| plain.contains(a))
            || (pairwise
                && duals.iter().any(|&j| {
                    j != i
                        && dual(&items[j]).is_some_and(|smaller| {
                            smaller.len() < args.len() && smaller.iter().all(|f| args.contains(f))
                        })
                }))
    };
    let keep: Vec<bool> = (0..items.len()).map(|i| !absorbed(i)).collect();
    let mut k = keep.iter();
    items.retain(|_| k.next().copied().unwrap_or(true));
}

/// At least `k` of distinct arguments.
fn at_least(k: u32, parts: Vec<Formula>) -> Formula {
    let items: Vec<Formula> = parts.into_iter().filter(|f| *f != Formula::False).collect();
    let n = items.len() as u32;
    if k == 0 || k > n {
        // k = 0 cannot come from a validated model (quorum ≤ replicas).
        Formula::False
    } else if k == 1 {
        any(items)
    } else if k == n {
        all(items)
    } else {
        Formula::AtLeast(k, items)
    }
}

/// What a gate stands for (its name and label derive from this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateOf {
    /// The service is down.
    Service(ServiceId),
    /// Operation `.1` of the service is down.
    Operation(ServiceId, usize),
    /// The service fails by itself: quorum lost, or its replica's zone.
    Fails(ServiceId),
    /// Every member of a dependency cycle of plain hard calls is down
    /// (named after its first member: the service, or its operation).
    Cycle(ServiceId, Option<usize>),
}

/// One gate of the tree.
#[derive(Debug, Clone)]
struct Gate {
    of: GateOf,
    /// Names of the services and operations on the expansion path whose
    /// calls back count as up (empty for a shared gate).
    unless: Vec<String>,
    /// For a cycle's gate: the names of its members.
    members: Vec<String>,
    formula: Formula,
}

/// The fault tree before it is written.
#[derive(Debug, Clone)]
struct Tree {
    events: Vec<BasicEvent>,
    gates: Vec<Gate>,
    /// Each entry point ([`entries`] order) with its top formula.
    tops: Vec<(Entry, Formula)>,
}

/// A call that can pass `down` on: to one node, or to two that must both be
/// down (failover target and alternative; cache and `on_miss`).
#[derive(Debug, Clone, Copy)]
enum Call {
    One(u32),
    Both(u32, u32),
}

/// How a node's `down` is made. Nodes are the services (`0..n`, model
/// order), then the operations of services with more than one; a
/// single-operation service is one node for both.
#[derive(Debug, Clone)]
enum Body {
    /// A service with several operations: down when all are.
    AllOps(Vec<u32>),
    /// Operation `.1` of a service (or a single-operation service): the
    /// service fails, or one of the operation's calls passes `down` on.
    Op(ServiceId, usize, Vec<Call>),
}

/// Builds the tree: gates memoized per node (and, on cycles, per path).
struct Builder<'a> {
    model: &'a Model,
    causes: Vec<Vec<ReplicaCauses>>,
    bodies: Vec<Body>,
    /// Per service with several operations, the node of its operation 0.
    op_node: Vec<u32>,
    /// Strongly connected components of the nodes, callees first.
    components: Components,
    /// Per node: its gate with nothing of its component on the path.
    shared: Vec<Option<Formula>>,
    /// Per (node, sorted members of its component on the path): its gate.
    variants: HashMap<(u32, Vec<u32>), Formula>,
    fails: Vec<Option<Formula>>,
    gates: Vec<Gate>,
    path: Vec<u32>,
    on_path: Vec<bool>,
    cycle_gates: usize,
}

/// The builder's node for a target: its operation's node when the service
/// has several, else the service's.
fn node_of(graph: &Graph, op_node: &[u32], target: Node) -> u32 {
    match target {
        Node::Operation(o) => {
            let s = graph.op_service(o);
            let ops = graph.ops_of(s);
            if ops.len() > 1 {
                op_node[s.index()] + (o - ops.start) as u32
            } else {
                s.0
            }
        }
        Node::Service(s) => s.0,
    }
}

/// The calls of one operation (flattened index) that can pass `down` on
/// (docs/engine.md, "The structural rules").
fn down_calls(graph: &Graph, op_node: &[u32], op: usize) -> Vec<Call> {
    let mut calls = Vec::new();
    for e in graph.edges_of(op) {
        let edge = graph.edge(e);
        let target = node_of(graph, op_node, edge.target);
        match edge.rule() {
            Rule::Plain => calls.push(Call::One(target)),
            // Down when the cache and the misses' target are both down, or
            // when the misses' target is down and nothing is ever a hit.
            Rule::Cache {
                on_miss,
                hit_zero: true,
            } => calls.push(Call::One(on_miss.0)),
            Rule::Cache { on_miss: alt, .. } | Rule::Failover(alt) => {
                calls.push(Call::Both(target, alt.0));
            }
            Rule::Capped | Rule::Stale | Rule::Startup => {}
        }
    }
    calls
}

impl<'a> Builder<'a> {
    fn new(model: &'a Model, graph: &Graph, events: &[BasicEvent]) -> Self {
        let n = graph.service_count() as u32;
        let mut op_node = vec![u32::MAX; n as usize];
        let mut next = n;
        for id in model.service_ids() {
            let ops = graph.ops_of(id).len() as u32;
            if ops > 1 {
                op_node[id.index()] = next;
                next += ops;
            }
        }
        let mut bodies = Vec::with_capacity(next as usize);
        for id in model.service_ids() {
            let ops = graph.ops_of(id);
            bodies.push(if ops.len() == 1 {
                Body::Op(id, 0, down_calls(graph, &op_node, ops.start))
            } else {
                Body::AllOps(
                    (0..ops.len() as u32)
                        .map(|o| op_node[id.index()] + o)
                        .collect(),
                )
            });
        }
        for id in model.service_ids() {
            let ops = graph.ops_of(id);
            if ops.len() > 1 {
                for (k, o) in ops.enumerate() {
                    bodies.push(Body::Op(id, k, down_calls(graph, &op_node, o)));
                }
            }
        }
        let nodes = bodies.len();
        let mut offset = Vec::with_capacity(nodes + 1);
        let mut targets = Vec::new();
        offset.push(0u32);
        for body in &bodies {
            match body {
                Body::AllOps(ops) => targets.extend_from_slice(ops),
                Body::Op(_, _, calls) => {
                    for call in calls {
                        match *call {
                            Call::One(t) => targets.push(t),
                            Call::Both(a, b) => targets.extend([a, b]),
                        }
                    }
                }
            }
            offset.push(targets.len() as u32);
        }
        Builder {
            model,
            causes: replica_causes(model, events),
            bodies,
            op_node,
            components: Components::tarjan(&offset, &targets),
            shared: vec![None; nodes],
            variants: HashMap::new(),
            fails: vec![None; n as usize],
            gates: Vec::new(),
            path: Vec::new(),
            on_path: vec![false; nodes],
            cycle_gates: 0,
        }
    }

    /// Every node's shared gate, components callees first, so that the
    /// expansion of a node stays within its component: a node on no cycle
    /// is one gate over gates already built; a cycle of plain hard calls
    /// is one gate; any other cycle is unrolled path by path (bounded by
    /// [`MAX_UNROLLED_MEMBERS`] and [`MAX_CYCLE_GATES`]).
    fn build_all(&mut self) -> Result<(), FaultTreeError> {
        for c in 0..self.components.len() {
            let members = self.components.members(c).to_vec();
            if !self.components.is_cyclic(c) {
                self.node(members[0])?;
            } else if self.plain_cycle(c, &members) {
                self.collapse(&members);
            } else if members.len() > MAX_UNROLLED_MEMBERS {
                return Err(FaultTreeError::Entangled {
                    model: self.model.name.clone(),
                    why: format!(
                        "a dependency cycle of {} services and operations with failovers, caches or several operations inside (at most {MAX_UNROLLED_MEMBERS} are unrolled)",
                        members.len()
                    ),
                });
            } else {
                for node in members {
                    self.node(node)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a cycle holds only operations whose calls inside it are
    /// plain (no failover pair or cache with a side inside, no service
    /// with several operations): then each member reaches every other over
    /// plain calls, so all are down exactly when any member fails or makes
    /// a call out of the cycle that passes `down` on.
    fn plain_cycle(&self, c: usize, members: &[u32]) -> bool {
        let inside = |t: u32| self.components.of(t as usize) == c;
        members.iter().all(|&m| match &self.bodies[m as usize] {
            Body::AllOps(_) => false,
            Body::Op(_, _, calls) => calls.iter().all(|call| match *call {
                Call::One(_) => true,
                Call::Both(a, b) => !inside(a) && !inside(b),
            }),
        })
    }

    /// One gate for a cycle of plain calls (see [`Builder::plain_cycle`]):
    /// the OR of every member's own failure and calls out of the cycle.
    fn collapse(&mut self, members: &[u32]) {
        let c = self.components.of(members[0] as usize);
        let mut parts = Vec::new();
        for &m in members {
            let Body::Op(id, _, calls) = self.bodies[m as usize].clone() else {
                continue;
            };
            parts.push(self.fails(id));
            for call in calls {
                let outside = |t: u32, b: &Self| b.components.of(t as usize) != c;
                match call {
                    Call::One(t) if outside(t, self) => parts.push(self.shared_of(t)),
                    Call::One(_) => {}
                    Call::Both(a, b) => parts.push(all([self.shared_of(a), self.shared_of(b)])),
                }
            }
        }
        let formula = match any(parts) {
            Formula::False => Formula::False,
            body => {
                let first = members[0];
                let of = match self.gate_of(first) {
                    GateOf::Operation(id, o) => GateOf::Cycle(id, Some(o)),
                    other => GateOf::Cycle(self.service_of(other), None),
                };
                let names = members.iter().map(|&m| self.node_name(m)).collect();
                self.gates.push(Gate {
                    of,
                    unless: Vec::new(),
                    members: names,
                    formula: body,
                });
                Formula::Gate(self.gates.len() - 1)
            }
        };
        for &m in members {
            self.shared[m as usize] = Some(formula.clone());
        }
    }

    /// The shared gate of a node of an earlier component.
    fn shared_of(&self, node: u32) -> Formula {
        self.shared[node as usize]
            .clone()
            .expect("earlier components are built first")
    }

    /// The service a gate's node stands for.
    fn service_of(&self, of: GateOf) -> ServiceId {
        match of {
            GateOf::Service(id) | GateOf::Operation(id, _) | GateOf::Fails(id) => id,
            GateOf::Cycle(id, _) => id,
        }
    }

    /// The formula for "`node` is down", given the current path.
    fn node(&mut self, node: u32) -> Result<Formula, FaultTreeError> {
        let i = node as usize;
        if self.on_path[i] {
            return Ok(Formula::False); // a call back into the path: up
        }
        let mut unless: Vec<u32> = self
            .path
            .iter()
            .copied()
            .filter(|&p| self.components.of(p as usize) == self.components.of(i))
            .collect();
        unless.sort_unstable();
        let cached = if unless.is_empty() {
            self.shared[i].clone()
        } else {
            self.variants.get(&(node, unless.clone())).cloned()
        };
        if let Some(f) = cached {
            return Ok(f);
        }
        self.path.push(node);
        self.on_path[i] = true;
        let body = self.body(node);
        self.on_path[i] = false;
        self.path.pop();
        let body = body?;
        let of = self.gate_of(node);
        let formula = if body == Formula::False {
            Formula::False
        } else {
            if !unless.is_empty() {
                self.cycle_gates += 1;
                if self.cycle_gates > MAX_CYCLE_GATES {
                    return Err(FaultTreeError::Entangled {
                        model: self.model.name.clone(),
                        why: format!("unrolling them needs over {MAX_CYCLE_GATES} gates"),
                    });
                }
            }
            let unless = unless.iter().map(|&p| self.node_name(p)).collect();
            self.gates.push(Gate {
                of,
                unless,
                members: Vec::new(),
                formula: body,
            });
            Formula::Gate(self.gates.len() - 1)
        };
        if unless.is_empty() {
            self.shared[i] = Some(formula.clone());
        } else {
            self.variants.insert((node, unless), formula.clone());
        }
        Ok(formula)
    }

    /// What a node's gate stands for.
    fn gate_of(&self, node: u32) -> GateOf {
        match &self.bodies[node as usize] {
            Body::Op(id, o, _) if node != id.0 => GateOf::Operation(*id, *o),
            Body::Op(id, _, _) => GateOf::Service(*id),
            Body::AllOps(_) => GateOf::Service(ServiceId(node)),
        }
    }

    /// A node's name as the outputs show it: `svc` or `svc.op`.
    fn node_name(&self, node: u32) -> String {
        match self.gate_of(node) {
            GateOf::Operation(id, o) => self.model.service(id).operation_name(o),
            GateOf::Service(id) | GateOf::Fails(id) | GateOf::Cycle(id, _) => {
                self.model.service(id).name.clone()
            }
        }
    }

    fn body(&mut self, node: u32) -> Result<Formula, FaultTreeError> {
        match self.bodies[node as usize].clone() {
            Body::AllOps(ops) => {
                let mut parts = Vec::with_capacity(ops.len());
                for op in ops {
                    parts.push(self.node(op)?);
                }
                Ok(all(parts))
            }
            Body::Op(id, _, calls) => {
                let mut parts = vec![self.fails(id)];
                for call in calls {
                    parts.push(match call {
                        Call::One(t) => self.node(t)?,
                        Call::Both(a, b) => {
                            let a = self.node(a)?;
                            all([a, self.node(b)?])
                        }
                    });
                }
                Ok(any(parts))
            }
        }
    }

    /// "The service fails by itself": k of its n replicas, each by its own
    /// event or its zone's. A gate unless it is a single event.
    fn fails(&mut self, id: ServiceId) -> Formula {
        if let Some(f) = &self.fails[id.index()] {
            return f.clone();
        }
        let replicas: Vec<Formula> = self.causes[id.index()]
            .iter()
            .map(|causes| any(causes.iter().map(|&e| Formula::Event(e))))
            .collect();
        let formula = at_least(replicas_to_fail(self.model.service(id)), replicas);
        let formula = match formula {
            Formula::Event(_) | Formula::False => formula,
            f => {
                self.gates.push(Gate {
                    of: GateOf::Fails(id),
                    unless: Vec::new(),
                    members: Vec::new(),
                    formula: f,
                });
                Formula::Gate(self.gates.len() - 1)
            }
        };
        self.fails[id.index()] = Some(formula.clone());
        formula
    }
}

/// The fault tree of `model`: every gate, and one top per entry point.
fn build(
    model: &Model,
    graph: &Graph,
    zone_availability: Option<f64>,
) -> Result<Tree, FaultTreeError> {
    let events = basic_events(model, zone_availability)?;
    let mut builder = Builder::new(model, graph, &events);
    builder.build_all()?;
    let tops = entries(model)
        .into_iter()
        .map(|entry| {
            let target = match entry.operation {
                Some(o) => Node::Operation(graph.op_index(entry.service, o)),
                None => Node::Service(entry.service),
            };
            let node = node_of(graph, &builder.op_node, target) as usize;
            let top = builder.shared[node].clone().unwrap_or(Formula::False);
            (entry, top)
        })
        .collect();
    Ok(Tree {
        events,
        gates: builder.gates,
        tops,
    })
}

/// Gates and events a formula refers to directly, in order.
fn references(f: &Formula, gates: &mut Vec<usize>, events: &mut Vec<usize>) {
    match f {
        Formula::False => {}
        Formula::Event(e) => events.push(*e),
        Formula::Gate(g) => gates.push(*g),
        Formula::And(items) | Formula::Or(items) | Formula::AtLeast(_, items) => {
            items.iter().for_each(|i| references(i, gates, events));
        }
    }
}

/// The MEF document: top gates, then the gates they reach (depth first, in
/// argument order), then the basic events they use.
fn render(model: &Model, tree: &Tree) -> String {
    // Which gates and events the tops reach, and in what order.
    let mut order = Vec::new();
    let mut seen = vec![false; tree.gates.len()];
    let mut used = vec![false; tree.events.len()];
    let mut stack: Vec<usize> = Vec::new();
    let (mut gates, mut events) = (Vec::new(), Vec::new());
    for (_, top) in &tree.tops {
        references(top, &mut gates, &mut events);
        stack.extend(gates.drain(..).rev());
        while let Some(g) = stack.pop() {
            if std::mem::replace(&mut seen[g], true) {
                continue;
            }
            order.push(g);
            references(&tree.gates[g].formula, &mut gates, &mut events);
            stack.extend(gates.drain(..).rev());
        }
        events.drain(..).for_each(|e| used[e] = true);
    }
    // Names: variants numbered per node, in the order they are written.
    let mut names = vec![String::new(); tree.gates.len()];
    let mut variant_count: HashMap<String, usize> = HashMap::new();
    for &g in &order {
        let gate = &tree.gates[g];
        let base = match gate.of {
            GateOf::Service(id) => format!("s{}", id.0),
            GateOf::Operation(id, o) => format!("s{}_o{o}", id.0),
            GateOf::Fails(id) => format!("s{}_f", id.0),
            GateOf::Cycle(id, None) => format!("s{}_cycle", id.0),
            GateOf::Cycle(id, Some(o)) => format!("s{}_o{o}_cycle", id.0),
        };
        names[g] = if gate.unless.is_empty() {
            base
        } else {
            let count = variant_count.entry(base.clone()).or_insert(0);
            *count += 1;
            format!("{base}_v{count}")
        };
    }

    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(
        "<!-- Written by whatif: the structural model as a fault tree. One top gate per entry\n     \
         point: top_sN (service N in model order), top_sN_oK (its entry operation K). Gates\n     \
         sN (service down), sN_oK (operation down), sN_f (the service fails by itself) and\n     \
         events eN are identifiers; the model's names are in the labels. -->\n",
    );
    xml.push_str("<opsa-mef>\n");
    push_label(&mut xml, 1, &model.name);
    xml.push_str("  <define-fault-tree name=\"entry-points\">\n");
    push_label(
        &mut xml,
        2,
        "every entry point going down under the structural rules",
    );
    for (entry, top) in &tree.tops {
        let id = entry.service.0;
        let name = match entry.operation {
            Some(o) => format!("top_s{id}_o{o}"),
            None => format!("top_s{id}"),
        };
        xml.push_str(&format!("    <define-gate name=\"{name}\">\n"));
        push_label(&mut xml, 3, &format!("entry point {} is down", entry.name));
        push_formula(&mut xml, 3, top, &names);
        xml.push_str("    </define-gate>\n");
    }
    for &g in &order {
        let gate = &tree.gates[g];
        xml.push_str(&format!("    <define-gate name=\"{}\">\n", names[g]));
        push_label(&mut xml, 3, &gate_label(model, gate));
        push_formula(&mut xml, 3, &gate.formula, &names);
        xml.push_str("    </define-gate>\n");
    }
    xml.push_str("  </define-fault-tree>\n");
    xml.push_str("  <model-data>\n");
    for (i, event) in tree.events.iter().enumerate().filter(|(i, _)| used[*i]) {
        xml.push_str(&format!("    <define-basic-event name=\"e{i}\">\n"));
        push_label(&mut xml, 3, &event.name);
        let p = probability_text(event.probability);
        xml.push_str(&format!("      <float value=\"{p}\"/>\n"));
        xml.push_str("    </define-basic-event>\n");
    }
    xml.push_str("  </model-data>\n");
    xml.push_str("</opsa-mef>\n");
    xml
}

/// What a gate means, in words, with the model's names.
fn gate_label(model: &Model, gate: &Gate) -> String {
    let mut label = match gate.of {
        GateOf::Cycle(..) => {
            const SHOWN: usize = 8;
            let mut names = gate.members[..gate.members.len().min(SHOWN)].join(", ");
            if gate.members.len() > SHOWN {
                names.push_str(&format!(" and {} more", gate.members.len() - SHOWN));
            }
            format!(
                "{names} are down: a dependency cycle of plain calls, down when any member fails or makes a failing call out of it"
            )
        }
        GateOf::Service(id) => format!("{} is down", model.service(id).name),
        GateOf::Operation(id, o) => format!("{} is down", model.service(id).operation_name(o)),
        GateOf::Fails(id) => {
            let s = model.service(id);
            // A gate (not a single event): several replicas, or zones are events.
            match (s.replicas, s.zone_of_replica(1)) {
                (1, Some(zone)) => format!("{} fails: its replica or zone {zone} down", s.name),
                _ => format!(
                    "{} fails: {} of its {} replicas down (quorum {})",
                    s.name,
                    replicas_to_fail(s),
                    s.replicas,
                    s.quorum
                ),
            }
        }
    };
    if !gate.unless.is_empty() {
        label.push_str(&format!(
            " (inside a dependency cycle; calls back to {} count as up)",
            gate.unless.join(", ")
        ));
    }
    label
}

/// A probability with 12 significant digits, shortest form: `1 − 0.999`
/// is written `0.001`, not `0.0009999999999998899`.
fn probability_text(p: f64) -> String {
    let rounded: f64 = format!("{p:.11e}").parse().unwrap_or(p);
    format!("{rounded}")
}

fn push_label(xml: &mut String, depth: usize, text: &str) {
    xml.push_str(&"  ".repeat(depth));
    xml.push_str("<label>");
    xml.push_str(&xml_text(text));
    xml.push_str("</label>\n");
}

fn push_formula(xml: &mut String, depth: usize, f: &Formula, names: &[String]) {
    let indent = "  ".repeat(depth);
    let (open, items) = match f {
        Formula::False => {
            xml.push_str(&format!("{indent}<constant value=\"false\"/>\n"));
            return;
        }
        Formula::Event(e) => {
            xml.push_str(&format!("{indent}<basic-event name=\"e{e}\"/>\n"));
            return;
        }
        Formula::Gate(g) => {
            xml.push_str(&format!("{indent}<gate name=\"{}\"/>\n", names[*g]));
            return;
        }
        Formula::And(items) => ("and".to_string(), items),
        Formula::Or(items) => ("or".to_string(), items),
        Formula::AtLeast(k, items) => (format!("atleast min=\"{k}\""), items),
    };
    xml.push_str(&format!("{indent}<{open}>\n"));
    for item in items {
        push_formula(xml, depth + 1, item, names);
    }
    let close = open.split(' ').next().unwrap_or_default();
    xml.push_str(&format!("{indent}</{close}>\n"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::events::structural_faults;
    use crate::model::load_str;
    use crate::sim::structural::{Health, evaluate};

    const CONSTRUCTS: &str = include_str!("../../tests/fixtures/faulttree/constructs.yaml");

    fn model(text: &str) -> Model {
        load_str(text, "t.yaml").expect("valid").model
    }

    fn xml(model: &Model, zone_availability: Option<f64>) -> String {
        let mut out = Vec::new();
        write_open_psa(model, &Graph::build(model), zone_availability, &mut out).expect("written");
        String::from_utf8(out).expect("UTF-8")
    }

    /// Whether each top occurs when exactly the events in `occurred` do.
    fn tops_occur(tree: &Tree, occurred: &[bool]) -> Vec<bool> {
        fn value(tree: &Tree, f: &Formula, occurred: &[bool], memo: &mut [Option<bool>]) -> bool {
            match f {
                Formula::False => false,
                Formula::Event(e) => occurred[*e],
                Formula::Gate(g) => {
                    if let Some(v) = memo[*g] {
                        return v;
                    }
                    let v = value(tree, &tree.gates[*g].formula, occurred, memo);
                    memo[*g] = Some(v);
                    v
                }
                Formula::And(items) => items.iter().all(|i| value(tree, i, occurred, memo)),
                Formula::Or(items) => items.iter().any(|i| value(tree, i, occurred, memo)),
                Formula::AtLeast(k, items) => {
                    items
                        .iter()
                        .filter(|i| value(tree, i, occurred, memo))
                        .count()
                        >= *k as usize
                }
            }
        }
        let mut memo = vec![None; tree.gates.len()];
        tree.tops
            .iter()
            .map(|(_, top)| value(tree, top, occurred, &mut memo))
            .collect()
    }

    /// The tree and the structural evaluation agree on every entry point
    /// for each set of failed events that `sets` yields.
    fn assert_agrees(m: &Model, zone_availability: Option<f64>, sets: &[Vec<usize>]) {
        let structure = Graph::build(m);
        let tree = build(m, &structure, zone_availability).expect("built");
        let mut occurred = vec![false; tree.events.len()];
        for set in sets {
            occurred.iter_mut().for_each(|o| *o = false);
            set.iter().for_each(|&e| occurred[e] = true);
            let result = evaluate(&structure, &structural_faults(m, &tree.events, &occurred));
            let expected: Vec<bool> = tree
                .tops
                .iter()
                .map(|(entry, _)| match entry.operation {
                    Some(o) => result.operations[structure.op_index(entry.service, o)],
                    None => result.services[entry.service.index()],
                })
                .map(|h| h == Health::Down)
                .collect();
            let names: Vec<&str> = set.iter().map(|&e| tree.events[e].name.as_str()).collect();
            assert_eq!(
                tops_occur(&tree, &occurred),
                expected,
                "{}: {names:?}",
                m.name
            );
        }
    }

    fn every_subset(n: usize) -> Vec<Vec<usize>> {
        (0u32..1 << n)
            .map(|bits| (0..n).filter(|&i| bits >> i & 1 == 1).collect())
            .collect()
    }

    fn singles_and_pairs(n: usize) -> Vec<Vec<usize>> {
        let mut sets = vec![Vec::new()];
        for i in 0..n {
            sets.push(vec![i]);
            sets.extend((i + 1..n).map(|j| vec![i, j]));
        }
        sets
    }

    #[test]
    fn every_rule_agrees_with_the_structural_evaluation_exhaustively() {
        let m = model(CONSTRUCTS);
        for zones in [None, Some(0.99)] {
            let n = basic_events(&m, zones).unwrap().len();
            assert!(n <= 16, "{n} events: too many to try every subset");
            assert_agrees(&m, zones, &every_subset(n));
        }
    }

    #[test]
    fn examples_agree_with_the_structural_evaluation_on_pairs() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for path in files {
            let m = crate::model::load_file(&path).expect("valid example").model;
            for zones in [None, Some(0.999)] {
                let n = basic_events(&m, zones).unwrap().len();
                assert_agrees(&m, zones, &singles_and_pairs(n));
            }
        }
    }

    #[test]
    fn cycles_unroll_into_variants_that_count_calls_back_as_up() {
        let m = model(
            "services:\n  a: { entry: { rps: 1 }, depends_on: [b] }\n  b: { depends_on: [{ to: a, fallback: { to: c } }, d] }\n  c: {}\n  d: {}\n",
        );
        assert_agrees(&m, None, &every_subset(4));
        let text = xml(&m, None);
        assert!(text.contains(r#"<define-gate name="s1_v1">"#), "{text}");
        assert!(text.contains("calls back to a count as up"), "{text}");
    }

    #[test]
    fn a_cycle_of_plain_calls_is_one_gate() {
        let m = model(
            "services:\n  a: { entry: { rps: 1 }, depends_on: [b] }\n  b: { depends_on: [a, c] }\n  c: {}\n",
        );
        assert_agrees(&m, None, &every_subset(3));
        let text = xml(&m, None);
        assert!(text.contains(r#"<define-gate name="s0_cycle">"#), "{text}");
        assert!(
            text.contains("<label>a, b are down: a dependency cycle"),
            "{text}"
        );
        assert!(!text.contains("_v1"), "{text}");
    }

    #[test]
    fn shared_gates_are_written_once() {
        let m = model(
            "services:\n  a: { entry: { rps: 1 }, depends_on: [b, c] }\n  b: { depends_on: [d] }\n  c: { depends_on: [d] }\n  d: { replicas: 3, quorum: 2 }\n",
        );
        let text = xml(&m, None);
        assert_eq!(text.matches(r#"<define-gate name="s3">"#).count(), 1);
        assert_eq!(text.matches(r#"<gate name="s3"/>"#).count(), 2);
        assert!(text.contains(r#"<atleast min="2">"#), "{text}");
    }

    #[test]
    fn entangled_cycles_are_refused() {
        // 15 services all calling each other with failovers: 15 × 2^14
        // paths into members.
        let names: Vec<String> = (0..15).map(|i| format!("n{i}")).collect();
        let mut text = String::from("services:\n");
        for (i, name) in names.iter().enumerate() {
            let others: Vec<String> = names
                .iter()
                .filter(|o| *o != name)
                .map(|o| format!("{{ to: {o}, fallback: {{ to: spare }} }}"))
                .collect();
            let entry = if i == 0 { "entry: { rps: 1 }, " } else { "" };
            text.push_str(&format!(
                "  {name}: {{ {entry}depends_on: [{}] }}\n",
                others.join(", ")
            ));
        }
        text.push_str("  spare: {}\n");
        let m = model(&text);
        let err =
            write_open_psa(&m, &Graph::build(&m), None, &mut Vec::new()).expect_err("refused");
        assert!(matches!(err, FaultTreeError::Entangled { .. }), "{err}");
        assert!(err.to_string().contains("too entangled"), "{err}");
    }

    #[test]
    fn names_are_identifiers_and_labels_are_escaped() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/valid/hostile-names.yaml"
        ))
        .expect("fixture");
        let m = model(&text);
        let out = xml(&m, Some(0.99));
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("<label>entry point &lt;script&gt;alert(&apos;web&apos;)&lt;/script&gt; is down</label>"), "{out}");
        assert!(
            out.contains("<label>zone:zone &quot;a&quot;</label>"),
            "{out}"
        );
        for name in out.split("name=\"").skip(1) {
            let id = &name[..name.find('"').expect("closing quote")];
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    && id.starts_with(|c: char| c.is_ascii_alphabetic()),
                "{id}"
            );
        }
    }

    #[test]
    fn same_model_same_bytes() {
        let m = model(CONSTRUCTS);
        assert_eq!(xml(&m, Some(0.99)), xml(&m, Some(0.99)));
        assert_eq!(probability_text(1.0 - 0.999), "0.001");
        assert_eq!(probability_text(0.0), "0");
    }

    #[test]
    fn simplification_drops_constants_duplicates_and_absorbed_terms() {
        use Formula::{Event as E, False};
        assert_eq!(any([False, E(1), E(1)]), E(1));
        assert_eq!(all([E(1), False]), False);
        assert_eq!(any([E(1), all([E(1), E(2)])]), E(1));
        assert_eq!(
            all([E(1), any([E(1), E(2)]), E(3)]),
            Formula::And(vec![E(1), E(3)])
        );
        assert_eq!(
            at_least(2, vec![E(1), E(2)]),
            Formula::And(vec![E(1), E(2)])
        );
        assert_eq!(at_least(1, vec![E(1), E(2)]), Formula::Or(vec![E(1), E(2)]));
        assert_eq!(at_least(3, vec![E(1), E(2)]), False);
    }

    /// Issue 16: a 1,000-service ring of plain calls is one gate, written
    /// at once; a 100,000-service ring too, with no deep recursion; a long
    /// cycle with a failover inside is refused at once; a billion replicas
    /// are refused before anything is allocated.
    #[test]
    fn long_cycles_are_one_gate_or_refused_at_once() {
        let ring = |n: usize, failover: bool| {
            let mut text = String::from("services:\n");
            for i in 0..n {
                let next = (i + 1) % n;
                let entry = if i == 0 { "entry: { rps: 1 }, " } else { "" };
                let dep = if failover && i == n / 2 {
                    format!("{{ to: s{next}, fallback: {{ to: spare }} }}")
                } else {
                    format!("s{next}")
                };
                text.push_str(&format!("  s{i}: {{ {entry}depends_on: [{dep}, db] }}\n"));
            }
            text.push_str("  spare: {}\n  db: { replicas: 2 }\n");
            model(&text)
        };
        let started = std::time::Instant::now();
        let m = ring(1000, false);
        let text = xml(&m, None);
        assert_eq!(
            text.matches("<define-gate").count(),
            4,
            "top, cycle, db, db's k-of-n"
        );
        assert!(text.contains(r#"<define-gate name="s0_cycle">"#), "{text}");
        let pairs = |m: &Model| singles_and_pairs(basic_events(m, None).unwrap().len());
        let m = ring(30, false);
        assert_agrees(&m, None, &pairs(&m));
        let big = ring(100_000, false);
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || xml(&big, None).len())
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert!(out > 0);
        let m = ring(1000, true);
        let err =
            write_open_psa(&m, &Graph::build(&m), None, &mut Vec::new()).expect_err("refused");
        assert!(err.to_string().contains("at most 64 are unrolled"), "{err}");
        let m = ring(12, true);
        assert_agrees(&m, None, &pairs(&m));
        let m = model(&crate::analysis::events::too_many_events_text(false));
        let err =
            write_open_psa(&m, &Graph::build(&m), None, &mut Vec::new()).expect_err("refused");
        assert!(matches!(err, FaultTreeError::TooManyEvents(_)), "{err}");
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    }
}
