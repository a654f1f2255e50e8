//! Layered (Sugiyama-style) placement of a directed graph: where each box
//! goes and how each arrow bends, for the built-in SVG writer.
//!
//! Callers sit above callees. The steps are the classic ones, each kept
//! linear or near-linear so thousands of nodes lay out in milliseconds:
//!
//! 1. cycles are broken by reversing a small set of edges chosen greedily
//!    (for layering only; the drawn arrow keeps its real direction), self
//!    loops take no part;
//! 2. longest-path layering, then sources are pulled down next to their
//!    highest callee so entry points of side systems do not float at the top;
//! 3. edges spanning several layers get one dummy node per crossed layer, so
//!    they bend around boxes instead of through them;
//! 4. a bounded number of barycentre sweeps (down, then up) reorder each
//!    layer, keeping the order with the fewest crossings;
//! 5. x coordinates: layers are packed left to right, then alternately
//!    pulled toward their neighbours' centres by an exact weighted
//!    least-squares fit under the no-overlap constraints (pool adjacent
//!    violators, linear per layer);
//! 6. y coordinates come from the layer index, each layer as tall as its
//!    tallest box.
//!
//! Everything iterates over `Vec`s in index order and breaks ties by index,
//! so the same input always gives the same picture.
//!
//! Known limits: the layout knows nothing of groups beyond keeping a group's
//! members side by side within a layer; edge labels get no room of their
//! own; and since every crossed layer costs a dummy node, a graph whose
//! edges span hundreds of layers each (a 2,000-node chain plus 2,000 random
//! shortcuts needs 1.3 million dummies) falls back to a single ordering
//! and placement pass and still takes about a second.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Horizontal space between two boxes in one layer.
const H_GAP: f64 = 36.0;
/// Horizontal space between boxes of different groups, so the group
/// outlines the SVG writer draws around them (with padding) do not touch.
const GROUP_GAP: f64 = 64.0;
/// Width reserved for an edge passing through a layer.
const DUMMY_W: f64 = 8.0;
/// Space next to a passing edge: edges may run close to each other.
const DUMMY_GAP: f64 = 10.0;
/// Vertical space between layers, where arrows and their labels run.
const V_GAP: f64 = 64.0;
/// Room kept to the right of a box that has a self loop.
const LOOP_W: f64 = 34.0;
/// Upper bound on ordering iterations (one down and one up sweep each).
const ORDER_SWEEPS: usize = 12;
/// Ordering stops after this many iterations without fewer crossings.
const ORDER_PATIENCE: usize = 3;
/// Iterations of the x alignment (one down and one up pass each).
const PLACE_PASSES: usize = 8;
/// Alignment stops once no node moves further than this in a pass.
const SETTLED: f64 = 0.25;
/// Virtual nodes times iterations that ordering, and again placement, may
/// spend. Graphs whose long edges need millions of dummies get fewer
/// iterations (at least one) instead of taking seconds.
const WORK_BUDGET: usize = 4_000_000;
/// Largest distance between two arrow ends on one side of a box.
const PORT_STEP: f64 = 14.0;

/// A finished placement, in a coordinate system whose top-left corner is
/// `(0, 0)` and whose bottom-right corner is `(width, height)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// Width of everything placed, self loops included.
    pub width: f64,
    /// Height of everything placed.
    pub height: f64,
    /// One box per input node, in input order.
    pub nodes: Vec<NodeBox>,
    /// One path per input edge, in input order.
    pub edges: Vec<EdgePath>,
}

/// Where one node's box goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width, as given (a negative or non-finite size counts as zero).
    pub width: f64,
    /// Height, as given (a negative or non-finite size counts as zero).
    pub height: f64,
}

/// How one edge is drawn.
///
/// For an edge between two different nodes the polyline starts on the
/// source box's border (bottom, or top when it points upward), ends on the
/// target box's border, and alternates between segments that cross the gap
/// between two layers (`points[2k] → points[2k + 1]`) and vertical segments
/// that run through a layer beside its boxes (`points[2k + 1] → points[2k +
/// 2]`). Gap segments are the safe place for a smooth curve or a label.
///
/// A self loop gets four points: start and end on the box's right border
/// and, between them, two control points to its right (meant as the control
/// points of one cubic Bézier curve).
///
/// An edge naming a node that does not exist gets no points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EdgePath {
    /// The polyline, from the source's border to the target's border.
    pub points: Vec<(f64, f64)>,
}

/// Lays out a directed graph: `node_sizes[i]` is node `i`'s `(width,
/// height)`, `edges` are `(from, to)` pairs pointing from caller to callee.
pub fn layered(node_sizes: &[(f64, f64)], edges: &[(usize, usize)]) -> Layout {
    layered_grouped(node_sizes, edges, &[])
}

/// Like [`layered`], but nodes sharing a group (`groups[i] == Some(g)`) are
/// kept next to each other within each layer and kept further apart from
/// other nodes, so an outline drawn around a group's boxes covers few
/// strangers. Missing entries in `groups` mean "no group".
pub fn layered_grouped(
    node_sizes: &[(f64, f64)],
    edges: &[(usize, usize)],
    groups: &[Option<usize>],
) -> Layout {
    let n = node_sizes.len();
    if n == 0 {
        return Layout {
            width: 0.0,
            height: 0.0,
            nodes: Vec::new(),
            edges: vec![EdgePath::default(); edges.len()],
        };
    }
    let sizes: Vec<(f64, f64)> = node_sizes
        .iter()
        .map(|&(w, h)| (sane(w), sane(h)))
        .collect();
    let mut has_loop = vec![false; n];
    for &(u, v) in edges {
        if u == v && u < n {
            has_loop[u] = true;
        }
    }
    let (dag, layer) = layering(n, edges);

    let graph = VirtualGraph::build(&sizes, &has_loop, &layer, &dag, groups);
    let layers = order_layers(&graph);
    let left = place_x(&graph, &layers);
    assemble(&graph, &layers, &left, &sizes, edges, &dag)
}

/// The layer (from 0 at the top) [`layered`] puts each of `n` nodes in,
/// given `(caller, callee)` edges: steps 1 and 2 of the module docs,
/// without placing anything. Linear in nodes and edges, so other writers
/// can size a picture before drawing it.
pub fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    layering(n, edges).1
}

/// Breaks cycles and assigns layers: each edge as it is layered (`None`
/// for self loops and edges naming missing nodes, reversed ones turned
/// around), and each node's layer.
fn layering(n: usize, edges: &[(usize, usize)]) -> (Vec<Option<(usize, usize)>>, Vec<usize>) {
    // Self loops and edges naming missing nodes take no part in layering.
    let layered_edge = |&(u, v): &(usize, usize)| u < n && v < n && u != v;
    let reversed = break_cycles(n, edges, &layered_edge);
    let dag: Vec<Option<(usize, usize)>> = edges
        .iter()
        .zip(&reversed)
        .map(|(e, &rev)| layered_edge(e).then_some(if rev { (e.1, e.0) } else { *e }))
        .collect();
    let layer = assign_layers(n, &dag);
    (dag, layer)
}

/// Negative, infinite or NaN sizes would poison every coordinate.
fn sane(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

/// Compressed adjacency lists: the neighbours of `v` are
/// `items[start[v]..start[v + 1]]`, in the order the pairs were given.
struct Adjacency {
    start: Vec<usize>,
    items: Vec<usize>,
}

impl Adjacency {
    fn new(n: usize, pairs: &[(usize, usize)]) -> Self {
        let mut start = vec![0; n + 1];
        for &(a, _) in pairs {
            start[a + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut items = vec![0; pairs.len()];
        for &(a, b) in pairs {
            items[fill[a]] = b;
            fill[a] += 1;
        }
        Adjacency { start, items }
    }

    fn of(&self, v: usize) -> &[usize] {
        &self.items[self.start[v]..self.start[v + 1]]
    }
}

/// Marks the edges to reverse so the rest is acyclic.
///
/// Plain DFS back-edge reversal is cheap but, on tangled graphs, turns the
/// DFS tree into one path hundreds of layers deep whose reversed edges span
/// all of it (a random 2,000-node cyclic graph gave 534 layers and 440,000
/// dummies). So the order comes from the greedy heuristic of Eades, Lin and
/// Smyth: peel sinks to the end and sources to the front, and when neither
/// exists take the node with most outgoing minus incoming edges. A DAG is
/// left untouched. Ties go to the earliest node in a DFS preorder started
/// from nodes nobody calls, so a cycle entered from outside is cut where
/// it is entered and its entry point stays on top.
fn break_cycles(
    n: usize,
    edges: &[(usize, usize)],
    layered_edge: &dyn Fn(&(usize, usize)) -> bool,
) -> Vec<bool> {
    let kept: Vec<usize> = (0..edges.len())
        .filter(|&e| layered_edge(&edges[e]))
        .collect();
    let out_pairs: Vec<(usize, usize)> = kept.iter().map(|&e| (edges[e].0, e)).collect();
    let in_pairs: Vec<(usize, usize)> = kept.iter().map(|&e| (edges[e].1, e)).collect();
    let out = Adjacency::new(n, &out_pairs);
    let inc = Adjacency::new(n, &in_pairs);
    let rank = dfs_preorder(n, edges, &out, &inc);

    let mut outdeg: Vec<i64> = (0..n).map(|v| out.of(v).len() as i64).collect();
    let mut indeg: Vec<i64> = (0..n).map(|v| inc.of(v).len() as i64).collect();
    let key = |v: usize, outdeg: &[i64], indeg: &[i64]| (Reverse(outdeg[v] - indeg[v]), rank[v]);
    let mut pool: BTreeSet<((Reverse<i64>, usize), usize)> =
        (0..n).map(|v| (key(v, &outdeg, &indeg), v)).collect();
    let mut sinks: VecDeque<usize> = (0..n).filter(|&v| outdeg[v] == 0).collect();
    let mut sources: VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut removed = vec![false; n];
    let mut head = Vec::with_capacity(n);
    let mut tail = Vec::new();
    loop {
        let (v, to_head) = if let Some(v) = sinks.pop_front() {
            (v, false)
        } else if let Some(v) = sources.pop_front() {
            (v, true)
        } else if let Some((_, v)) = pool.pop_first() {
            (v, true)
        } else {
            break;
        };
        if removed[v] {
            continue;
        }
        removed[v] = true;
        pool.remove(&(key(v, &outdeg, &indeg), v));
        if to_head {
            head.push(v);
        } else {
            tail.push(v);
        }
        for &e in out.of(v) {
            let w = edges[e].1;
            if !removed[w] {
                pool.remove(&(key(w, &outdeg, &indeg), w));
                indeg[w] -= 1;
                pool.insert((key(w, &outdeg, &indeg), w));
                if indeg[w] == 0 {
                    sources.push_back(w);
                }
            }
        }
        for &e in inc.of(v) {
            let u = edges[e].0;
            if !removed[u] {
                pool.remove(&(key(u, &outdeg, &indeg), u));
                outdeg[u] -= 1;
                pool.insert((key(u, &outdeg, &indeg), u));
                if outdeg[u] == 0 {
                    sinks.push_back(u);
                }
            }
        }
    }
    let mut position = vec![0usize; n];
    for (i, &v) in head.iter().chain(tail.iter().rev()).enumerate() {
        position[v] = i;
    }
    let mut reversed = vec![false; edges.len()];
    for &e in &kept {
        let (u, v) = edges[e];
        reversed[e] = position[u] > position[v];
    }
    reversed
}

/// Each node's rank in a DFS preorder that starts from the nodes nobody
/// calls, in index order, then from the rest. Iterative: recursion would
/// overflow the stack on long chains.
fn dfs_preorder(
    n: usize,
    edges: &[(usize, usize)],
    out: &Adjacency,
    inc: &Adjacency,
) -> Vec<usize> {
    let mut rank = vec![usize::MAX; n];
    let mut next_rank = 0;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let roots = (0..n)
        .filter(|&v| inc.of(v).is_empty())
        .chain((0..n).filter(|&v| !inc.of(v).is_empty()));
    for root in roots {
        if rank[root] != usize::MAX {
            continue;
        }
        rank[root] = next_rank;
        next_rank += 1;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            if let Some(&e) = out.of(v).get(next) {
                top.1 += 1;
                let w = edges[e].1;
                if rank[w] == usize::MAX {
                    rank[w] = next_rank;
                    next_rank += 1;
                    stack.push((w, 0));
                }
            } else {
                stack.pop();
            }
        }
    }
    rank
}

/// Longest-path layering over the acyclic edges (`(upper, lower)` pairs),
/// then every source moves down to just above its highest successor.
fn assign_layers(n: usize, dag: &[Option<(usize, usize)>]) -> Vec<usize> {
    let pairs: Vec<(usize, usize)> = dag.iter().flatten().copied().collect();
    let down = Adjacency::new(n, &pairs);
    let mut indegree = vec![0usize; n];
    for &(_, b) in &pairs {
        indegree[b] += 1;
    }
    let is_source: Vec<bool> = indegree.iter().map(|&d| d == 0).collect();
    let mut queue: VecDeque<usize> = (0..n).filter(|&v| is_source[v]).collect();
    let mut order = Vec::with_capacity(n);
    let mut layer = vec![0usize; n];
    while let Some(v) = queue.pop_front() {
        order.push(v);
        for &w in down.of(v) {
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    // Successors of a source are never sources, so their layers are final.
    for &v in order.iter().rev() {
        if is_source[v]
            && let Some(lowest) = down.of(v).iter().map(|&w| layer[w]).min()
        {
            layer[v] = lowest - 1;
        }
    }
    layer
}

/// The graph actually ordered and placed: real nodes `0..n`, then one dummy
/// per layer crossed by a long edge; every virtual edge joins two adjacent
/// layers.
struct VirtualGraph {
    real: usize,
    layer: Vec<usize>,
    /// Width each node occupies (a real box plus room for its self loop).
    width: Vec<f64>,
    /// Width of the drawn box, whose centre edges attach to.
    box_width: Vec<f64>,
    group: Vec<Option<usize>>,
    /// `(upper, lower)` pairs; those of input edge `e` are
    /// `edge_vedges[e]`, in order from top to bottom.
    vedges: Vec<(usize, usize)>,
    edge_vedges: Vec<std::ops::Range<usize>>,
    up: Adjacency,
    down: Adjacency,
    layer_count: usize,
}

impl VirtualGraph {
    fn build(
        sizes: &[(f64, f64)],
        has_loop: &[bool],
        layer: &[usize],
        dag: &[Option<(usize, usize)>],
        groups: &[Option<usize>],
    ) -> Self {
        let n = sizes.len();
        let mut vlayer = layer.to_vec();
        let mut box_width: Vec<f64> = sizes.iter().map(|s| s.0).collect();
        let mut width: Vec<f64> = box_width
            .iter()
            .zip(has_loop)
            .map(|(&w, &l)| if l { w + LOOP_W } else { w })
            .collect();
        let mut group: Vec<Option<usize>> =
            (0..n).map(|v| groups.get(v).copied().flatten()).collect();
        let mut vedges = Vec::new();
        let mut edge_vedges = Vec::with_capacity(dag.len());
        for e in dag {
            let first = vedges.len();
            if let Some((top, bottom)) = *e {
                let mut prev = top;
                for l in layer[top] + 1..layer[bottom] {
                    let d = vlayer.len();
                    vlayer.push(l);
                    box_width.push(DUMMY_W);
                    width.push(DUMMY_W);
                    group.push(None);
                    vedges.push((prev, d));
                    prev = d;
                }
                vedges.push((prev, bottom));
            }
            edge_vedges.push(first..vedges.len());
        }
        let total = vlayer.len();
        let up_pairs: Vec<(usize, usize)> = vedges.iter().map(|&(a, b)| (b, a)).collect();
        let up = Adjacency::new(total, &up_pairs);
        let down = Adjacency::new(total, &vedges);
        let layer_count = vlayer.iter().max().map_or(0, |&m| m + 1);
        VirtualGraph {
            real: n,
            layer: vlayer,
            width,
            box_width,
            group,
            vedges,
            edge_vedges,
            up,
            down,
            layer_count,
        }
    }

    fn is_dummy(&self, v: usize) -> bool {
        v >= self.real
    }

    /// Minimum distance between the left edges of neighbours `a` then `b`.
    fn separation(&self, a: usize, b: usize) -> f64 {
        let gap = if self.is_dummy(a) || self.is_dummy(b) {
            DUMMY_GAP
        } else if self.group[a] != self.group[b] {
            GROUP_GAP
        } else {
            H_GAP
        };
        self.width[a] + gap
    }
}

/// How many iterations of at most `max` fit the work budget.
fn iterations(virtual_nodes: usize, max: usize) -> usize {
    (WORK_BUDGET / virtual_nodes.max(1)).clamp(1, max)
}

/// Orders every layer to reduce crossings; returns the layers, each a list
/// of virtual nodes from left to right.
fn order_layers(g: &VirtualGraph) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); g.layer_count];
    for (v, &l) in g.layer.iter().enumerate() {
        layers[l].push(v);
    }
    let mut pos = vec![0usize; g.layer.len()];
    for layer in &mut layers {
        regroup(layer, &g.group);
        set_positions(layer, &mut pos);
    }
    let mut scratch = Scratch::default();
    let mut best = crossings(&layers, &g.down, &pos, &mut scratch);
    let mut best_layers = layers.clone();
    let mut stale = 0;
    for _ in 0..iterations(g.layer.len(), ORDER_SWEEPS) {
        if best == 0 {
            break;
        }
        for layer in layers.iter_mut().skip(1) {
            reorder(layer, &g.up, &mut pos, &g.group, &mut scratch);
        }
        for layer in layers.iter_mut().rev().skip(1) {
            reorder(layer, &g.down, &mut pos, &g.group, &mut scratch);
        }
        let now = crossings(&layers, &g.down, &pos, &mut scratch);
        if now < best {
            best = now;
            best_layers.clone_from(&layers);
            stale = 0;
        } else {
            stale += 1;
            if stale >= ORDER_PATIENCE {
                break;
            }
        }
    }
    best_layers
}

/// Reusable buffers, so sweeps over many small layers do not allocate.
#[derive(Default)]
struct Scratch {
    keyed: Vec<(f64, usize, usize)>,
    order: Vec<usize>,
    seq: Vec<usize>,
    tree: Vec<u64>,
}

fn set_positions(layer: &[usize], pos: &mut [usize]) {
    for (i, &v) in layer.iter().enumerate() {
        pos[v] = i;
    }
}

/// Sorts one layer by the barycentre of each node's neighbours in the
/// adjacent, fixed layer. Nodes without such neighbours keep their slot:
/// moving them on no evidence only shuffles the picture.
fn reorder(
    layer: &mut Vec<usize>,
    nbrs: &Adjacency,
    pos: &mut [usize],
    group: &[Option<usize>],
    s: &mut Scratch,
) {
    if layer.len() < 2 {
        return;
    }
    s.keyed.clear();
    for &v in layer.iter() {
        let ns = nbrs.of(v);
        if !ns.is_empty() {
            let sum: usize = ns.iter().map(|&u| pos[u]).sum();
            s.keyed.push((sum as f64 / ns.len() as f64, pos[v], v));
        }
    }
    s.keyed
        .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    s.order.clear();
    let mut next = 0;
    for &v in layer.iter() {
        if nbrs.of(v).is_empty() {
            s.order.push(v);
        } else {
            s.order.push(s.keyed[next].2);
            next += 1;
        }
    }
    std::mem::swap(layer, &mut s.order);
    regroup(layer, group);
    set_positions(layer, pos);
}

/// Makes the members of each group contiguous, each group at the mean
/// position of its members; ungrouped nodes keep their positions as keys.
fn regroup(layer: &mut [usize], group: &[Option<usize>]) {
    if layer.iter().all(|&v| group[v].is_none()) {
        return;
    }
    let mut sums: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (i, &v) in layer.iter().enumerate() {
        if let Some(g) = group[v] {
            let entry = sums.entry(g).or_insert((0, 0));
            entry.0 += i;
            entry.1 += 1;
        }
    }
    let mut keyed: Vec<(f64, usize, usize, usize)> = layer
        .iter()
        .enumerate()
        .map(|(i, &v)| match group[v] {
            Some(g) => {
                let (sum, count) = sums.get(&g).copied().unwrap_or((i, 1));
                (sum as f64 / count as f64, g, i, v)
            }
            None => (i as f64, usize::MAX, i, v),
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (slot, k) in layer.iter_mut().zip(keyed) {
        *slot = k.3;
    }
}

/// Counts edge crossings between all pairs of adjacent layers: inversions
/// of the lower ends when edges are sorted by their upper ends, counted
/// with a Fenwick tree (O(E log V)).
fn crossings(layers: &[Vec<usize>], down: &Adjacency, pos: &[usize], s: &mut Scratch) -> u64 {
    let mut total = 0u64;
    for pair in layers.windows(2) {
        s.seq.clear();
        for &v in &pair[0] {
            let from = s.seq.len();
            s.seq.extend(down.of(v).iter().map(|&w| pos[w]));
            s.seq[from..].sort_unstable();
        }
        s.tree.clear();
        s.tree.resize(pair[1].len() + 1, 0);
        for (seen, &p) in s.seq.iter().enumerate() {
            let mut at_most = 0;
            let mut i = p + 1;
            while i > 0 {
                at_most += s.tree[i];
                i &= i - 1;
            }
            total += seen as u64 - at_most;
            let mut i = p + 1;
            while i < s.tree.len() {
                s.tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// Horizontal placement: returns each virtual node's left edge.
fn place_x(g: &VirtualGraph, layers: &[Vec<usize>]) -> Vec<f64> {
    let mut left = vec![0.0; g.layer.len()];
    for layer in layers {
        let mut x = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                x += g.separation(layer[i - 1], v);
            }
            left[v] = x;
        }
    }
    let mut buf = AlignBuf::default();
    for _ in 0..iterations(g.layer.len(), PLACE_PASSES) {
        let mut moved: f64 = 0.0;
        for layer in layers.iter().skip(1) {
            moved = moved.max(align(g, layer, &[&g.up], &mut left, &mut buf));
        }
        for layer in layers.iter().rev().skip(1) {
            moved = moved.max(align(g, layer, &[&g.down], &mut left, &mut buf));
        }
        if moved < SETTLED {
            break;
        }
    }
    // A last pass looking both ways centres nodes between callers and callees.
    for layer in layers {
        align(g, layer, &[&g.up, &g.down], &mut left, &mut buf);
    }
    let min = left.iter().copied().fold(f64::INFINITY, f64::min);
    if min.is_finite() {
        for x in &mut left {
            *x -= min;
        }
    }
    left
}

#[derive(Default)]
struct AlignBuf {
    offset: Vec<f64>,
    /// Pool-adjacent-violators blocks: (weight, weighted sum, member count).
    blocks: Vec<(f64, f64, usize)>,
}

/// Moves one layer's nodes as close as possible (weighted least squares) to
/// the mean centre of their neighbours, keeping their order and spacing.
///
/// With `y_i = left_i - offset_i`, where `offset_i` is the packed position,
/// the spacing constraints become `y_i <= y_{i+1}`: an isotonic regression,
/// solved exactly in one linear pass of pool adjacent violators. Returns
/// the largest distance a node moved.
fn align(
    g: &VirtualGraph,
    layer: &[usize],
    nbr_sets: &[&Adjacency],
    left: &mut [f64],
    b: &mut AlignBuf,
) -> f64 {
    b.offset.clear();
    b.blocks.clear();
    let mut off = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            off += g.separation(layer[i - 1], v);
        }
        b.offset.push(off);
        let half = g.box_width[v] / 2.0;
        let mut sum = 0.0;
        let mut count = 0usize;
        for nbrs in nbr_sets {
            for &u in nbrs.of(v) {
                sum += left[u] + g.box_width[u] / 2.0;
                count += 1;
            }
        }
        // Straight long edges matter more than a box being exactly centred;
        // nodes with no neighbours this way may be pushed around freely.
        let (want, weight) = if count == 0 {
            (left[v], 0.01)
        } else {
            let w = if g.is_dummy(v) { 4.0 } else { 1.0 };
            (sum / count as f64 - half, w * count as f64)
        };
        let y = want - off;
        let mut block = (weight, weight * y, 1usize);
        while let Some(&prev) = b.blocks.last() {
            if prev.1 / prev.0 < block.1 / block.0 {
                break;
            }
            b.blocks.pop();
            block = (prev.0 + block.0, prev.1 + block.1, prev.2 + block.2);
        }
        b.blocks.push(block);
    }
    let mut i = 0;
    let mut moved: f64 = 0.0;
    for &(w, sum, count) in &b.blocks {
        let y = sum / w;
        for _ in 0..count {
            let x = y + b.offset[i];
            moved = moved.max((x - left[layer[i]]).abs());
            left[layer[i]] = x;
            i += 1;
        }
    }
    moved
}

/// Turns the ordered, placed virtual graph into boxes and edge polylines.
fn assemble(
    g: &VirtualGraph,
    layers: &[Vec<usize>],
    left: &[f64],
    sizes: &[(f64, f64)],
    edges: &[(usize, usize)],
    dag: &[Option<(usize, usize)>],
) -> Layout {
    let mut band_top = Vec::with_capacity(layers.len());
    let mut band_height = Vec::with_capacity(layers.len());
    let mut y = 0.0;
    for layer in layers {
        let h = layer
            .iter()
            .filter(|&&v| !g.is_dummy(v))
            .map(|&v| sizes[v].1)
            .fold(0.0, f64::max);
        band_top.push(y);
        band_height.push(h);
        y += h + V_GAP;
    }
    let height = (y - V_GAP).max(0.0);
    let width = left
        .iter()
        .zip(&g.width)
        .map(|(x, w)| x + w)
        .fold(0.0, f64::max);

    let nodes: Vec<NodeBox> = sizes
        .iter()
        .enumerate()
        .map(|(v, &(w, h))| {
            let l = g.layer[v];
            NodeBox {
                x: left[v],
                y: band_top[l] + (band_height[l] - h) / 2.0,
                width: w,
                height: h,
            }
        })
        .collect();
    let centre = |v: usize| left[v] + g.box_width[v] / 2.0;

    // Where each virtual edge leaves its upper node and enters its lower
    // one: real boxes spread their arrows along the border, in the order of
    // the far ends, so fans do not start on top of each other.
    let mut upper_port: Vec<f64> = g.vedges.iter().map(|&(a, _)| centre(a)).collect();
    let mut lower_port: Vec<f64> = g.vedges.iter().map(|&(_, b)| centre(b)).collect();
    let mut leaving: Vec<Vec<usize>> = vec![Vec::new(); g.real];
    let mut entering: Vec<Vec<usize>> = vec![Vec::new(); g.real];
    for (k, &(a, b)) in g.vedges.iter().enumerate() {
        if !g.is_dummy(a) {
            leaving[a].push(k);
        }
        if !g.is_dummy(b) {
            entering[b].push(k);
        }
    }
    let spread = |v: usize, ks: &mut Vec<usize>, far: &dyn Fn(usize) -> f64, port: &mut [f64]| {
        if ks.len() < 2 {
            return;
        }
        ks.sort_by(|&p, &q| far(p).total_cmp(&far(q)).then(p.cmp(&q)));
        let step = PORT_STEP.min(g.box_width[v] * 0.6 / (ks.len() - 1) as f64);
        let mid = (ks.len() - 1) as f64 / 2.0;
        for (j, &k) in ks.iter().enumerate() {
            port[k] = centre(v) + (j as f64 - mid) * step;
        }
    };
    for v in 0..g.real {
        spread(
            v,
            &mut leaving[v],
            &|k| centre(g.vedges[k].1),
            &mut upper_port,
        );
        spread(
            v,
            &mut entering[v],
            &|k| centre(g.vedges[k].0),
            &mut lower_port,
        );
    }

    let paths = edges
        .iter()
        .zip(dag)
        .enumerate()
        .map(|(e, (&(from, to), d))| {
            let mut points = Vec::new();
            if let Some((top, bottom)) = *d {
                let range = g.edge_vedges[e].clone();
                let first = range.start;
                let last = range.end - 1;
                let t = &nodes[top];
                points.push((upper_port[first], t.y + t.height));
                for k in range.clone().skip(1) {
                    let dummy = g.vedges[k].0;
                    let l = g.layer[dummy];
                    points.push((centre(dummy), band_top[l]));
                    points.push((centre(dummy), band_top[l] + band_height[l]));
                }
                points.push((lower_port[last], nodes[bottom].y));
                if (top, bottom) != (from, to) {
                    points.reverse();
                }
            } else if from == to && from < nodes.len() {
                let b = &nodes[from];
                let right = b.x + b.width;
                let cy = b.y + b.height / 2.0;
                let reach = LOOP_W - 4.0;
                let rise = (b.height / 2.0).min(18.0);
                points.extend([
                    (right, cy - 6.0),
                    (right + reach, cy - rise),
                    (right + reach, cy + rise),
                    (right, cy + 6.0),
                ]);
            }
            EdgePath { points }
        })
        .collect();

    Layout {
        width,
        height,
        nodes,
        edges: paths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: &NodeBox, b: &NodeBox) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    fn assert_no_overlap(layout: &Layout) {
        let mut boxes: Vec<(usize, &NodeBox)> = layout.nodes.iter().enumerate().collect();
        boxes.sort_by(|a, b| a.1.x.total_cmp(&b.1.x));
        for (i, (p, a)) in boxes.iter().enumerate() {
            for (q, b) in &boxes[i + 1..] {
                if b.x >= a.x + a.width {
                    break;
                }
                assert!(!overlaps(a, b), "boxes {p} and {q} overlap: {a:?} {b:?}");
            }
        }
    }

    /// Counts crossings between straight segments of the drawn polylines.
    fn count_crossings(layout: &Layout) -> usize {
        let segs: Vec<((f64, f64), (f64, f64))> = layout
            .edges
            .iter()
            .flat_map(|e| e.points.windows(2).map(|w| (w[0], w[1])))
            .collect();
        let cross = |a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)| {
            let o = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
                (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
            };
            o(a, b, c) * o(a, b, d) < 0.0 && o(c, d, a) * o(c, d, b) < 0.0
        };
        let mut n = 0;
        for (i, s) in segs.iter().enumerate() {
            for t in &segs[i + 1..] {
                if cross(s.0, s.1, t.0, t.1) {
                    n += 1;
                }
            }
        }
        n
    }

    fn on_border(b: &NodeBox, p: (f64, f64)) -> bool {
        let eps = 1e-6;
        let inside_x = p.0 >= b.x - eps && p.0 <= b.x + b.width + eps;
        let inside_y = p.1 >= b.y - eps && p.1 <= b.y + b.height + eps;
        inside_x
            && inside_y
            && ((p.1 - b.y).abs() < eps
                || (p.1 - b.y - b.height).abs() < eps
                || (p.0 - b.x).abs() < eps
                || (p.0 - b.x - b.width).abs() < eps)
    }

    #[test]
    fn empty_graph_is_an_empty_layout() {
        let layout = layered(&[], &[]);
        assert_eq!(layout.width, 0.0);
        assert!(layout.nodes.is_empty());
        let layout = layered(&[], &[(0, 1)]);
        assert_eq!(layout.edges, vec![EdgePath::default()]);
    }

    #[test]
    fn callers_sit_above_callees_and_boxes_do_not_overlap() {
        // A small service tree with a shared database and a long edge.
        let sizes = vec![
            (120.0, 36.0),
            (90.0, 48.0),
            (100.0, 36.0),
            (150.0, 36.0),
            (80.0, 50.0),
            (90.0, 36.0),
        ];
        let edges = vec![
            (0, 1),
            (0, 2),
            (1, 3),
            (2, 3),
            (3, 4),
            (0, 4),
            (2, 5),
            (5, 4),
            (1, 4),
        ];
        let layout = layered(&sizes, &edges);
        assert_eq!(layout.nodes.len(), sizes.len());
        for (i, b) in layout.nodes.iter().enumerate() {
            assert_eq!((b.width, b.height), sizes[i]);
            assert!(b.x >= 0.0 && b.y >= 0.0);
            assert!(b.x + b.width <= layout.width + 1e-9);
            assert!(b.y + b.height <= layout.height + 1e-9);
        }
        for &(u, v) in &edges {
            let (a, b) = (&layout.nodes[u], &layout.nodes[v]);
            assert!(a.y + a.height < b.y, "{u} should be above {v}");
        }
        assert_no_overlap(&layout);
        for (e, &(u, v)) in layout.edges.iter().zip(&edges) {
            let first = e.points.first().copied().unwrap_or_default();
            let last = e.points.last().copied().unwrap_or_default();
            assert!(
                on_border(&layout.nodes[u], first),
                "edge {u}->{v} starts off its box"
            );
            assert!(
                on_border(&layout.nodes[v], last),
                "edge {u}->{v} ends off its box"
            );
            // Points go down monotonically for downward edges.
            assert!(e.points.windows(2).all(|w| w[0].1 <= w[1].1));
        }
    }

    #[test]
    fn ordering_removes_avoidable_crossings() {
        // 0 calls the rightmost callee, 1 the leftmost: index order crosses.
        let sizes = vec![(80.0, 30.0); 6];
        let edges = vec![(0, 5), (1, 4), (2, 3), (0, 4)];
        let layout = layered(&sizes, &edges);
        assert_eq!(count_crossings(&layout), 0);
    }

    #[test]
    fn long_edges_go_around_boxes() {
        let sizes = vec![(100.0, 40.0); 5];
        let edges = vec![(0, 1), (1, 2), (2, 3), (0, 3), (3, 4), (0, 4)];
        let layout = layered(&sizes, &edges);
        for (e, &(u, v)) in layout.edges.iter().zip(&edges) {
            for w in e.points.windows(2) {
                for (i, b) in layout.nodes.iter().enumerate() {
                    if i == u || i == v {
                        continue;
                    }
                    // Sample the segment; no sample may fall inside a box.
                    for s in 0..=20 {
                        let t = f64::from(s) / 20.0;
                        let p = (
                            w[0].0 + t * (w[1].0 - w[0].0),
                            w[0].1 + t * (w[1].1 - w[0].1),
                        );
                        let inside =
                            p.0 > b.x && p.0 < b.x + b.width && p.1 > b.y && p.1 < b.y + b.height;
                        assert!(!inside, "edge {u}->{v} passes through box {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn cycles_and_self_loops_do_not_panic_and_keep_their_direction() {
        let sizes = vec![(80.0, 30.0); 5];
        let edges = vec![
            (0, 1),
            (1, 2),
            (2, 0),
            (2, 2),
            (3, 4),
            (4, 3),
            (1, 9),
            (7, 7),
        ];
        let layout = layered(&sizes, &edges);
        assert_no_overlap(&layout);
        for (e, &(u, v)) in layout.edges.iter().zip(&edges) {
            if u >= sizes.len() || v >= sizes.len() {
                assert!(e.points.is_empty());
                continue;
            }
            assert!(e.points.len() >= 2);
            let first = e.points.first().copied().unwrap_or_default();
            let last = e.points.last().copied().unwrap_or_default();
            assert!(on_border(&layout.nodes[u], first));
            assert!(on_border(&layout.nodes[v], last));
        }
        // The loop stays inside the layout's bounds.
        let lp = &layout.edges[3];
        assert!(lp.points.iter().all(|p| p.0 <= layout.width + 1e-9));
        // The cycle was entered at node 0, which stays on top.
        assert!(layout.nodes[0].y < layout.nodes[1].y);
        assert!(layout.nodes[1].y < layout.nodes[2].y);
    }

    #[test]
    fn groups_stay_contiguous_within_a_layer() {
        let sizes = vec![(80.0, 30.0); 7];
        let edges = vec![(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6)];
        let groups = vec![None, Some(1), Some(0), Some(1), None, Some(0), Some(1)];
        let layout = layered_grouped(&sizes, &edges, &groups);
        assert_no_overlap(&layout);
        let mut row: Vec<usize> = (1..7).collect();
        row.sort_by(|&a, &b| layout.nodes[a].x.total_cmp(&layout.nodes[b].x));
        let seq: Vec<Option<usize>> = row.iter().map(|&v| groups[v]).collect();
        for g in [Some(0), Some(1)] {
            let at: Vec<usize> = (0..seq.len()).filter(|&i| seq[i] == g).collect();
            assert_eq!(
                at.len(),
                at[at.len() - 1] - at[0] + 1,
                "group {g:?} split: {seq:?}"
            );
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let sizes: Vec<(f64, f64)> = (0..60)
            .map(|i| (60.0 + f64::from(i % 7) * 10.0, 36.0))
            .collect();
        let edges: Vec<(usize, usize)> = (0..150)
            .map(|i| ((i * 7) % 60, (i * 13 + 5) % 60))
            .collect();
        assert_eq!(layered(&sizes, &edges), layered(&sizes, &edges));
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let n = 100_000;
        let sizes = vec![(80.0, 30.0); n];
        // Every walk over it (the DFS, the peeling, the layering) goes
        // 100,000 deep; a short cycle at the far end must be found too.
        let mut edges: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
        edges.push((n - 1, n - 3));
        let layout = layered(&sizes, &edges);
        assert_eq!(layout.nodes.len(), n);
        assert!(layout.nodes[n - 3].y < layout.nodes[n - 1].y);
        assert!(layout.height > 30.0 * (n as f64 - 1.0));
    }

    #[test]
    fn bad_sizes_do_not_poison_coordinates() {
        let sizes = vec![(f64::NAN, 30.0), (-5.0, f64::INFINITY), (80.0, 30.0)];
        let layout = layered(&sizes, &[(0, 1), (1, 2)]);
        assert!(layout.width.is_finite() && layout.height.is_finite());
        assert!(
            layout
                .nodes
                .iter()
                .all(|b| b.x.is_finite() && b.y.is_finite())
        );
    }
}
