//! Structural evaluation (docs/engine.md, "The structural rules"):
//! three-valued health, no load, no time — the least fixed point over the
//! [`Graph`]. One scenario at a time ([`evaluate`], a monotone worklist), 64
//! at once ([`evaluate_lanes`], one bit per scenario), or 64 whole-service
//! failures propagated only where they travel ([`SparseLanes`]). Used for
//! single points of failure, blast radius, cut sets, Monte Carlo and the
//! easy game.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use serde::Serialize;

use super::faults::{self, Fault};
use crate::graph::{Graph, Node, Rule};
use crate::model::{Model, ServiceId, below};

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
            match f {
                Fault::Down { scope, .. } | Fault::Hang { scope, .. } => {
                    for (id, replicas) in scope.replicas_hit(model) {
                        lost.entry(id.0).or_default().extend(replicas);
                    }
                }
                Fault::Errors { scope, share, .. } => {
                    for (id, replicas) in scope.replicas_hit(model) {
                        let share = faults::share_of_requests(model, id, &replicas, *share);
                        let e = &mut errors[id.index()];
                        *e = if *e == 0.0 {
                            share
                        } else {
                            1.0 - (1.0 - *e) * (1.0 - share)
                        };
                    }
                }
                Fault::Cut { from, to, .. } => {
                    sf.cuts.insert((from.0, to.0));
                }
                Fault::Cold { cache, .. } => sf.cold[cache.index()] = true,
                // Structure cannot see slowness or traffic.
                Fault::Slow { .. } | Fault::Surge { .. } => {}
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
    /// Per operation, flattened in model order (see [`Graph::op_index`]).
    pub operations: Vec<Health>,
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

/// The structural rules under `faults`: the least fixed point from the
/// fault-free state, so a cycle with no failing member stays up.
///
/// A monotone worklist: every edge is evaluated once, then only the edges
/// that watch a node whose health changed (by target or alternative,
/// through [`Graph::edges_into`] and [`Graph::edges_with_alternative`]).
/// Each node changes at most twice (up → degraded → down), so the work is
/// O(services + operations + dependencies).
///
/// ```
/// use whatif::sim::structural::{evaluate, Health, StructuralFaults};
/// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: {}\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let down = whatif::sim::faults::parse(whatif::sim::faults::FaultKind::Down, "db", &model).unwrap();
/// let result = evaluate(&graph, &StructuralFaults::from_faults(&model, &[down]));
/// assert_eq!(result.services, [Health::Down, Health::Down]);
/// ```
pub fn evaluate(graph: &Graph, faults: &StructuralFaults) -> StructuralResult {
    let mut w = Worklist {
        graph,
        faults,
        svc: faults.forced.clone(),
        ops: (0..graph.operation_count())
            .map(|o| faults.forced[graph.op_service(o).index()])
            .collect(),
        down_ops: (0..graph.service_count())
            .map(|s| {
                if faults.forced[s] == Health::Down {
                    graph.ops_of(ServiceId(s as u32)).len() as u32
                } else {
                    0
                }
            })
            .collect(),
        changed_ops: Vec::new(),
        changed_svc: Vec::new(),
    };
    // Every edge once (cuts and cold caches change edges whose targets are
    // fine), then only the edges watching what changed.
    for e in 0..graph.edge_count() {
        w.apply(e);
    }
    loop {
        while let Some(o) = w.changed_ops.pop() {
            for &e in graph.edges_into(Node::Operation(o as usize)) {
                w.apply(e as usize);
            }
        }
        let Some(s) = w.changed_svc.pop() else { break };
        let s = ServiceId(s);
        for &e in graph
            .edges_into(Node::Service(s))
            .iter()
            .chain(graph.edges_with_alternative(s))
        {
            w.apply(e as usize);
        }
    }
    StructuralResult {
        services: w.svc,
        operations: w.ops,
    }
}

/// The state of [`evaluate`]'s worklist.
struct Worklist<'a> {
    graph: &'a Graph,
    faults: &'a StructuralFaults,
    svc: Vec<Health>,
    ops: Vec<Health>,
    /// Per service: operations that are down.
    down_ops: Vec<u32>,
    changed_ops: Vec<u32>,
    changed_svc: Vec<u32>,
}

impl Worklist<'_> {
    /// Health of a node as seen from `caller` (a cut link looks down).
    fn seen(&self, caller: ServiceId, node: Node) -> Health {
        let faults = self.faults;
        if !faults.cuts.is_empty()
            && faults
                .cuts
                .contains(&(caller.0, self.graph.service_of(node).0))
        {
            return Health::Down;
        }
        match node {
            Node::Service(s) => self.svc[s.index()],
            Node::Operation(o) => self.ops[o],
        }
    }

    /// What edge `e` passes to its caller (docs/engine.md, "The structural
    /// rules").
    fn effect(&self, e: usize) -> Health {
        let edge = self.graph.edge(e);
        let rule = edge.rule();
        if rule == Rule::Startup {
            return Health::Up;
        }
        let target = self.seen(edge.caller, edge.target);
        match rule {
            Rule::Startup => Health::Up,
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
                Health::Down if self.seen(edge.caller, Node::Service(alt)) == Health::Down => {
                    Health::Down
                }
                Health::Down => Health::Degraded,
                other => other,
            },
            Rule::Cache { on_miss, hit_zero } => {
                let cold = self.faults.cold[edge.target_service(self.graph).index()];
                let cache_down = target == Health::Down || cold;
                let miss = self.seen(edge.caller, Node::Service(on_miss));
                match (cache_down, miss == Health::Down) {
                    (true, true) => Health::Down,
                    (true, false) => Health::Degraded,
                    (false, true) if hit_zero => Health::Down,
                    (false, true) => Health::Degraded,
                    (false, false) => target.max(miss).min(Health::Degraded),
                }
            }
        }
    }

    /// Re-evaluates edge `e`; worsens its operation and service if it must.
    fn apply(&mut self, e: usize) {
        let effect = self.effect(e);
        let edge = self.graph.edge(e);
        let o = edge.from;
        if effect <= self.ops[o] {
            return;
        }
        let s = edge.caller.index();
        if effect == Health::Down {
            self.down_ops[s] += 1;
        }
        self.ops[o] = effect;
        self.changed_ops.push(o as u32);
        let derived = if self.down_ops[s] as usize == self.graph.ops_of(edge.caller).len() {
            Health::Down
        } else {
            Health::Degraded
        };
        if derived > self.svc[s] {
            self.svc[s] = derived;
            self.changed_svc.push(s as u32);
        }
    }
}

/// The (down, bad) lanes edge `e` passes to its caller, given the lanes of
/// every node (`lanes(node_index)`). `faults` supplies cut links and cold
/// caches, which hold in every lane.
#[inline]
fn lane_effect<F: Fn(usize) -> (u64, u64)>(
    graph: &Graph,
    e: usize,
    faults: Option<&StructuralFaults>,
    lanes: &F,
) -> (u64, u64) {
    let rule = graph.rule(e);
    if rule == Rule::Startup {
        return (0, 0);
    }
    let cuts = faults.filter(|f| !f.cuts.is_empty());
    let seen = |v: usize| -> (u64, u64) {
        if let Some(f) = cuts
            && f.cuts
                .contains(&(graph.caller(e).0, graph.service_of(graph.node(v)).0))
        {
            return (u64::MAX, u64::MAX);
        }
        lanes(v)
    };
    let target = graph.target_index(e);
    match rule {
        Rule::Startup => (0, 0),
        Rule::Capped => (0, seen(target).0),
        Rule::Plain => seen(target),
        Rule::Stale => (0, seen(target).1),
        Rule::Failover(alt) => {
            let (t_down, t_bad) = seen(target);
            (t_down & seen(alt.index()).0, t_bad)
        }
        Rule::Cache { on_miss, hit_zero } => {
            let (t_down, t_bad) = seen(target);
            let cold = match faults {
                Some(f) if f.cold[graph.service_of(graph.node(target)).index()] => u64::MAX,
                _ => 0,
            };
            let cache_down = t_down | cold;
            let (m_down, m_bad) = seen(on_miss.index());
            let down = (cache_down & m_down) | if hit_zero { m_down } else { 0 };
            (down, t_bad | m_bad | cold)
        }
    }
}

/// The (down, bad) lanes of node `v` from its inputs: an operation from its
/// service's forced lanes and its edges, a service from its forced lanes
/// and its operations (down when all are, bad when any is).
#[inline]
fn node_lanes<F: Fn(usize) -> (u64, u64)>(
    graph: &Graph,
    v: usize,
    forced: (u64, u64),
    faults: Option<&StructuralFaults>,
    lanes: &F,
) -> (u64, u64) {
    let (mut down, mut bad) = forced;
    match graph.node(v) {
        Node::Operation(o) => {
            for e in graph.edges_of(o) {
                let (d, b) = lane_effect(graph, e, faults, lanes);
                down |= d;
                bad |= b;
            }
        }
        Node::Service(s) => {
            let n = graph.service_count();
            let mut all = u64::MAX;
            for o in graph.ops_of(s) {
                let (d, b) = lanes(n + o);
                all &= d;
                bad |= b;
            }
            down |= all;
        }
    }
    (down, bad | down)
}

/// The structural rules in 64 scenarios at once. `forced_down` and
/// `forced_bad` give, per service, the scenarios in which a fault on the
/// service itself makes it down or degraded; `faults` supplies cut links
/// and cold caches, which hold in every scenario. Same least fixed point
/// as [`evaluate`].
///
/// Nodes are evaluated component by component in
/// [`Graph::node_components`] order (callees first): outside cycles every
/// node is computed once, from final inputs; a cycle repeats until nothing
/// changes (monotone from the forced state: the least fixed point). Linear
/// in the graph per call, cycles aside.
pub fn evaluate_lanes(
    graph: &Graph,
    forced_down: &[u64],
    forced_bad: &[u64],
    faults: &StructuralFaults,
    out: &mut Lanes,
) {
    let n = graph.service_count();
    let mut down = vec![0u64; graph.node_count()];
    let mut bad = vec![0u64; graph.node_count()];
    let forced = |v: usize| -> (u64, u64) {
        let s = graph.service_of(graph.node(v)).index();
        (forced_down[s], forced_bad[s] | forced_down[s])
    };
    let components = graph.node_components();
    for c in 0..components.len() {
        loop {
            let mut changed = false;
            for &v in components.members(c) {
                let v = v as usize;
                let read = |u: usize| (down[u], bad[u]);
                let (d, b) = node_lanes(graph, v, forced(v), Some(faults), &read);
                if (d, b) != (down[v], bad[v]) {
                    down[v] = d;
                    bad[v] = b;
                    changed = true;
                }
            }
            if !changed || !components.is_cyclic(c) {
                break;
            }
        }
    }
    out.down.clear();
    out.down.extend_from_slice(&down[..n]);
    out.bad.clear();
    out.bad.extend_from_slice(&bad[..n]);
    out.op_down.clear();
    out.op_down.extend_from_slice(&down[n..]);
    out.op_bad.clear();
    out.op_bad.extend_from_slice(&bad[n..]);
}

/// Reusable work space for [`SparseLanes::fail_services`]: the lanes of
/// every node, zero except where the last call touched.
#[derive(Debug, Clone, Default)]
pub struct SparseLanes {
    down: Vec<u64>,
    bad: Vec<u64>,
    /// Per service: the lanes in which it fails as a whole.
    forced: Vec<u64>,
    touched: Vec<u32>,
    is_touched: Vec<bool>,
    queued: Vec<bool>,
    heap: BinaryHeap<Reverse<u32>>,
}

impl SparseLanes {
    /// A work space for `graph`.
    pub fn new(graph: &Graph) -> SparseLanes {
        SparseLanes {
            down: vec![0; graph.node_count()],
            bad: vec![0; graph.node_count()],
            forced: vec![0; graph.service_count()],
            touched: Vec::new(),
            is_touched: vec![false; graph.node_count()],
            queued: vec![false; graph.node_components().len()],
            heap: BinaryHeap::new(),
        }
    }

    /// The structural rules with `seeds[i]` failed as a whole in lane `i`
    /// (at most 64 seeds, no other fault): the same lanes as
    /// [`evaluate_lanes`], computed only where a failure travels.
    ///
    /// Components are finished in [`Graph::node_components`] order through
    /// a min-heap, each at most once (a component is only reached from an
    /// earlier one). Finishing a node applies each edge that watches it
    /// (by target or alternative) to the edge's caller: the caller gains
    /// the edge's effect, and its component is queued when that adds a
    /// lane — the effects only grow, so an operation is final once its
    /// component comes up, and a service is then read from its operations;
    /// a cycle is recomputed until it settles. The work is O(1) per edge
    /// into a node reached (the seeds' up-cones), not the graph;
    /// [`SparseLanes::touched`] lists the nodes reached, every other node's
    /// lanes are zero.
    pub fn fail_services(&mut self, graph: &Graph, seeds: &[ServiceId]) {
        let finished = self.fail_services_within(graph, seeds, usize::MAX);
        debug_assert!(finished);
    }

    /// [`SparseLanes::fail_services`], given up as soon as more than
    /// `limit` nodes are reached: returns whether it finished (when not,
    /// the lanes are partial and only good for the next call). A caller
    /// with a cheaper plan for wide cones bounds what it wastes finding
    /// out.
    pub fn fail_services_within(
        &mut self,
        graph: &Graph,
        seeds: &[ServiceId],
        limit: usize,
    ) -> bool {
        assert!(seeds.len() <= 64, "at most 64 lanes");
        self.clear();
        let components = graph.node_components();
        let n = graph.service_count();
        for (lane, &s) in seeds.iter().enumerate() {
            let bit = 1u64 << lane;
            self.forced[s.index()] |= bit;
            for v in std::iter::once(s.index()).chain(graph.ops_of(s).map(|o| n + o)) {
                self.gain(v, bit, bit);
                self.queue(components.of(v));
            }
        }
        let mut finished = true;
        while let Some(Reverse(c)) = self.heap.pop() {
            let c = c as usize;
            self.queued[c] = false;
            if self.touched.len() > limit {
                finished = false;
                continue;
            }
            let members = components.members(c);
            if components.is_cyclic(c) {
                loop {
                    let mut changed = false;
                    for &v in members {
                        changed |= self.recompute(graph, v as usize);
                    }
                    if !changed {
                        break;
                    }
                }
            } else if (members[0] as usize) < n {
                self.recompute(graph, members[0] as usize);
            }
            for &v in members {
                let v = v as usize;
                if self.is_touched[v] {
                    self.finish(graph, v, c);
                }
            }
        }
        for &s in seeds {
            self.forced[s.index()] = 0;
        }
        finished
    }

    /// The nodes whose lanes are not zero after the last call (node
    /// indices, in the order they were reached).
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    /// The (down, bad) lanes of a node (by [`Graph::node_index`]).
    pub fn lanes(&self, v: usize) -> (u64, u64) {
        (self.down[v], self.bad[v])
    }

    fn clear(&mut self) {
        for &v in &self.touched {
            self.down[v as usize] = 0;
            self.bad[v as usize] = 0;
            self.is_touched[v as usize] = false;
        }
        self.touched.clear();
    }

    fn queue(&mut self, c: usize) {
        if !self.queued[c] {
            self.queued[c] = true;
            self.heap.push(Reverse(c as u32));
        }
    }

    /// Adds lanes to node `v`.
    #[inline]
    fn gain(&mut self, v: usize, down: u64, bad: u64) {
        self.down[v] |= down;
        self.bad[v] |= bad | down;
        if !self.is_touched[v] {
            self.is_touched[v] = true;
            self.touched.push(v as u32);
        }
    }

    /// Recomputes node `v` from all its inputs; returns whether its lanes
    /// changed.
    fn recompute(&mut self, graph: &Graph, v: usize) -> bool {
        let s = graph.service_of(graph.node(v)).index();
        let forced = (self.forced[s], self.forced[s]);
        let (down, bad) = (&self.down, &self.bad);
        let read = |u: usize| (down[u], bad[u]);
        let (d, b) = node_lanes(graph, v, forced, None, &read);
        if (d, b) == (self.down[v], self.bad[v]) {
            return false;
        }
        self.gain(v, d, b);
        true
    }

    /// Node `v` (of component `c`) is final: applies the edges that watch
    /// it to their callers outside `c`, and queues its service.
    fn finish(&mut self, graph: &Graph, v: usize, c: usize) {
        let components = graph.node_components();
        let n = graph.service_count();
        let node = graph.node(v);
        let apply = |me: &mut Self, edges: &[u32]| {
            for &e in edges {
                let e = e as usize;
                let o = n + graph.from_op(e);
                let w = components.of(o);
                if w == c {
                    continue;
                }
                let (down, bad) = (&me.down, &me.bad);
                let (d, b) = lane_effect(graph, e, None, &|u: usize| (down[u], bad[u]));
                if d & !me.down[o] != 0 || b & !me.bad[o] != 0 {
                    me.gain(o, d, b);
                    me.queue(w);
                }
            }
        };
        apply(self, graph.edges_into(node));
        match node {
            Node::Service(s) => apply(self, graph.edges_with_alternative(s)),
            Node::Operation(o) => {
                let w = components.of(graph.op_service(o).index());
                if w != c {
                    self.queue(w);
                }
            }
        }
    }
}

/// Dense lanes of `W` words per node (64·W scenarios in one pass), for
/// whole-service failures and no other fault: [`WideLanes::fail_services`].
/// Indexed by [`Graph::node_index`].
#[derive(Debug, Clone)]
pub struct WideLanes<const W: usize> {
    /// Per node: its lanes (down and bad side by side, one cache line for
    /// four words each).
    pub cells: Vec<Cell<W>>,
    forced: Vec<[u64; W]>,
}

/// The lanes of one node in [`WideLanes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<const W: usize> {
    /// The scenarios in which it is down.
    pub down: [u64; W],
    /// The scenarios in which it is degraded or down.
    pub bad: [u64; W],
}

impl<const W: usize> Cell<W> {
    const ZERO: Cell<W> = Cell {
        down: [0; W],
        bad: [0; W],
    };
}

impl<const W: usize> Default for WideLanes<W> {
    fn default() -> Self {
        WideLanes {
            cells: Vec::new(),
            forced: Vec::new(),
        }
    }
}

/// Word-wise `a |= b`.
#[inline]
fn or<const W: usize>(a: &mut [u64; W], b: &[u64; W]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= y;
    }
}

/// Word-wise `a & b`.
#[inline]
fn and<const W: usize>(a: &[u64; W], b: &[u64; W]) -> [u64; W] {
    std::array::from_fn(|i| a[i] & b[i])
}

impl<const W: usize> WideLanes<W> {
    /// The structural rules with `seeds[i]` failed as a whole in scenario
    /// `i` (at most 64·W seeds): the lanes of [`evaluate_lanes`], W words
    /// at a time, in one pass over [`Graph::node_components`] (cycles
    /// repeated until they settle). Wider words spread the cost of
    /// visiting a node over more scenarios: O(V + E) per 64·W failures.
    pub fn fail_services(&mut self, graph: &Graph, seeds: &[ServiceId]) {
        assert!(seeds.len() <= 64 * W, "at most 64·W lanes");
        let (n, nodes) = (graph.service_count(), graph.node_count());
        self.cells.clear();
        self.cells.resize(nodes, Cell::ZERO);
        self.forced.resize(n, [0; W]);
        for (lane, s) in seeds.iter().enumerate() {
            self.forced[s.index()][lane / 64] |= 1 << (lane % 64);
        }
        let components = graph.node_components();
        for c in 0..components.len() {
            loop {
                let mut changed = false;
                for &v in components.members(c) {
                    let v = v as usize;
                    let cell = self.node(graph, v);
                    if cell != self.cells[v] {
                        self.cells[v] = cell;
                        changed = true;
                    }
                }
                if !changed || !components.is_cyclic(c) {
                    break;
                }
            }
        }
        for s in seeds {
            self.forced[s.index()] = [0; W];
        }
    }

    /// Node `v` from its inputs (see [`node_lanes`]).
    #[inline]
    fn node(&self, graph: &Graph, v: usize) -> Cell<W> {
        let n = graph.service_count();
        let cells = &self.cells;
        if v < n {
            let mut down = [u64::MAX; W];
            let mut bad = self.forced[v];
            for o in graph.ops_of(ServiceId(v as u32)) {
                down = and(&down, &cells[n + o].down);
                or(&mut bad, &cells[n + o].bad);
            }
            or(&mut down, &self.forced[v]);
            or(&mut bad, &down);
            return Cell { down, bad };
        }
        let o = v - n;
        let mut down = self.forced[graph.op_service(o).index()];
        let mut bad = down;
        for e in graph.edges_of(o) {
            let t = &cells[graph.target_index(e)];
            match graph.rule(e) {
                Rule::Startup => {}
                Rule::Capped => or(&mut bad, &t.down),
                Rule::Plain => {
                    or(&mut down, &t.down);
                    or(&mut bad, &t.bad);
                }
                Rule::Stale => or(&mut bad, &t.bad),
                Rule::Failover(alt) => {
                    or(&mut down, &and(&t.down, &cells[alt.index()].down));
                    or(&mut bad, &t.bad);
                }
                Rule::Cache { on_miss, hit_zero } => {
                    let m = &cells[on_miss.index()];
                    if hit_zero {
                        or(&mut down, &m.down);
                    } else {
                        or(&mut down, &and(&t.down, &m.down));
                    }
                    or(&mut bad, &t.bad);
                    or(&mut bad, &m.bad);
                }
            }
        }
        or(&mut bad, &down);
        Cell { down, bad }
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
        let r = evaluate(&Graph::build(&m), &StructuralFaults::from_faults(&m, &fs));
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

#[cfg(test)]
pub(crate) mod lane_tests {
    use super::*;
    use crate::sim::faults::{FaultKind, parse};

    /// Lane i of a 64-wide evaluation equals the scalar evaluation of the
    /// same failed service, for every service of every example.
    #[test]
    fn lanes_agree_with_the_scalar_evaluation() {
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let path = file.unwrap().path();
            let m = crate::model::load_file(&path).unwrap().model;
            let s = Graph::build(&m);
            let n = m.services().len();
            let none = StructuralFaults::none(n);
            for chunk in (0..n).collect::<Vec<_>>().chunks(64) {
                let mut down = vec![0u64; n];
                for (lane, &svc) in chunk.iter().enumerate() {
                    down[svc] |= 1 << lane;
                }
                let mut lanes = Lanes::default();
                evaluate_lanes(&s, &down, &vec![0; n], &none, &mut lanes);
                for (lane, &svc) in chunk.iter().enumerate() {
                    let name = &m.services()[svc].name;
                    let f = parse(FaultKind::Down, name, &m).unwrap();
                    let scalar = evaluate(&s, &StructuralFaults::from_faults(&m, &[f]));
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

    /// Models for the equivalence tests: every example, generated models
    /// (ours, with operations, caches and failovers), and models shaped
    /// like `gen_arch.py --cycles` (layers with back edges closing cycles,
    /// soft and stale edges).
    pub(crate) fn test_models() -> Vec<Model> {
        let mut models: Vec<Model> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
                .unwrap()
                .map(|f| crate::model::load_file(&f.unwrap().path()).unwrap().model)
                .collect();
        for (services, seed) in [(60, 1), (150, 2), (300, 3)] {
            let text =
                crate::model::generate::generate(crate::model::generate::Spec { services, seed });
            models.push(crate::model::load_str(&text, "gen.yaml").unwrap().model);
        }
        for seed in 0..6 {
            models.push(
                crate::model::load_str(&layered_with_cycles(120, seed), "cyc.yaml")
                    .unwrap()
                    .model,
            );
        }
        models
    }

    /// A layered model with back edges (cycles), soft and stale edges,
    /// failovers and multi-operation services, from a small seeded LCG.
    pub(crate) fn layered_with_cycles(n: usize, seed: u64) -> String {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move |m: usize| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as usize) % m.max(1)
        };
        let mut text = String::from("services:\n");
        for i in 0..n {
            text.push_str(&format!("  s{i}:\n"));
            if i < 3 {
                text.push_str("    entry: { rps: 10 }\n");
            }
            text.push_str(&format!("    replicas: {}\n", 1 + next(3)));
            let mut deps = Vec::new();
            for _ in 0..1 + next(3) {
                // Mostly downward, sometimes back up (a cycle).
                let t = if next(10) == 0 && i > 0 {
                    next(i)
                } else {
                    i + 1 + next(12)
                };
                if t == i || t >= n || deps.iter().any(|(d, _)| *d == t) {
                    continue;
                }
                let style = match next(10) {
                    0 => format!("{{ to: s{t}, criticality: soft }}"),
                    1 => format!("{{ to: s{t}, fallback: {{ serve_stale_for: 5m }} }}"),
                    2 if t + 1 < n && t + 1 != i => {
                        format!("{{ to: s{t}, fallback: {{ to: s{} }} }}", t + 1)
                    }
                    3 if t + 2 < n && t + 2 != i => format!(
                        "{{ to: s{t}, cache: {{ hit_ratio: 90%, on_miss: s{} }} }}",
                        t + 2
                    ),
                    _ => format!("s{t}"),
                };
                deps.push((t, style));
            }
            if i % 17 == 5 {
                text.push_str("    operations:\n");
                let half = deps.len() / 2;
                let ops = [("read", &deps[..half]), ("write", &deps[half..])];
                for (name, ds) in ops {
                    let list: Vec<&str> = ds.iter().map(|(_, d)| d.as_str()).collect();
                    text.push_str(&format!(
                        "      {name}: {{ depends_on: [{}] }}\n",
                        list.join(", ")
                    ));
                }
            } else if !deps.is_empty() {
                let list: Vec<&str> = deps.iter().map(|(_, d)| d.as_str()).collect();
                text.push_str(&format!("    depends_on: [{}]\n", list.join(", ")));
            }
        }
        text
    }

    /// Four words per node give the lanes of four one-word evaluations.
    #[test]
    fn wide_lanes_agree_with_dense_lanes() {
        for m in test_models() {
            let g = Graph::build(&m);
            let n = g.service_count();
            let none = StructuralFaults::none(n);
            let mut wide = WideLanes::<4>::default();
            let mut dense = Lanes::default();
            let ids: Vec<ServiceId> = m.service_ids().collect();
            for chunk in ids.chunks(256) {
                wide.fail_services(&g, chunk);
                for (w, part) in chunk.chunks(64).enumerate() {
                    let mut down = vec![0u64; n];
                    for (lane, s) in part.iter().enumerate() {
                        down[s.index()] |= 1 << lane;
                    }
                    evaluate_lanes(&g, &down, &vec![0; n], &none, &mut dense);
                    for v in 0..g.node_count() {
                        let want = if v < n {
                            (dense.down[v], dense.bad[v])
                        } else {
                            (dense.op_down[v - n], dense.op_bad[v - n])
                        };
                        let cell = wide.cells[v];
                        assert_eq!((cell.down[w], cell.bad[w]), want, "{}: node {v}", m.name);
                    }
                }
            }
        }
    }

    /// The sparse propagation of whole-service failures equals the dense
    /// lane evaluation, lane for lane and node for node.
    #[test]
    fn sparse_lanes_agree_with_dense_lanes() {
        for m in test_models() {
            let g = Graph::build(&m);
            let n = g.service_count();
            let none = StructuralFaults::none(n);
            let mut sparse = SparseLanes::new(&g);
            let mut dense = Lanes::default();
            let ids: Vec<ServiceId> = m.service_ids().collect();
            for chunk in ids.chunks(64) {
                let mut down = vec![0u64; n];
                for (lane, s) in chunk.iter().enumerate() {
                    down[s.index()] |= 1 << lane;
                }
                evaluate_lanes(&g, &down, &vec![0; n], &none, &mut dense);
                sparse.fail_services(&g, chunk);
                for v in 0..g.node_count() {
                    let want = if v < n {
                        (dense.down[v], dense.bad[v])
                    } else {
                        (dense.op_down[v - n], dense.op_bad[v - n])
                    };
                    assert_eq!(sparse.lanes(v), want, "{}: node {v}", m.name);
                }
                let touched = sparse.touched().len();
                let nonzero = (0..g.node_count())
                    .filter(|&v| sparse.lanes(v) != (0, 0))
                    .count();
                assert_eq!(touched, nonzero, "{}", m.name);
            }
        }
    }
}
