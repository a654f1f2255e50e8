//! Minimal cut sets of the structural `down` function, up to any order,
//! computed over the cones of the entry points asked for. Single points of
//! failure are the order-1 sets when each service is one event (it fails
//! as a whole); cut sets use the basic events of [`super::events`].
//!
//! # The circuit
//!
//! `down` under the structural rules (docs/engine.md, "The structural
//! rules"; no link cut, no cold cache) is a monotone circuit over the
//! [`Graph`]:
//!
//! - an operation is down when its service fails by itself or any of its
//!   edges passes `down` on: a plain hard edge when its target is down, a
//!   cache with a hit ratio of 0 when `on_miss` is; a failover or a cache
//!   edge is an AND **gate** of its target and its alternative; soft, async,
//!   background, stale and startup edges never pass `down` on;
//! - a service is down when all its operations are (an AND gate when it has
//!   several, the operation itself when it has one).
//!
//! A cycle is read as its least fixed point, as the structural evaluation
//! reads it.
//!
//! # The method
//!
//! The minimal cut sets of an OR node are those of everything it reaches
//! over OR edges — the services' own failures and the gates on the way —
//! united and minimised. So only gates keep a family of their own,
//! computed callees first ([`Components`] of the circuit) as the product of
//! their inputs' families (the intersection of killer sets at order 1, as
//! in Cooper, Harvey and Kennedy's dominator step); an OR node's family is
//! gathered by one walk of its cone when a gate or an entry point needs it.
//! A gate inside a cycle is iterated from the empty family until nothing
//! changes (the least fixed point). Sets above the order are dropped as
//! they form, which is exact: no operation ever shrinks a set.
//!
//! Work grows with the cones walked and the sets found, never with pairs
//! of the cone: O(cone) per entry point and per gate input, plus the
//! products' output. A family that would exceed [`MAX_SETS`] keeps only
//! the orders that fit, and says up to which order it is complete.

use std::cmp::Ordering;
use std::collections::HashSet;

use smallvec::SmallVec;

use crate::graph::{Components, Graph, Node, Rule};
use crate::model::ServiceId;

/// The most sets a family (one gate's, one entry point's) holds before it
/// gives up its highest orders.
pub const MAX_SETS: usize = 200_000;

/// The events of a set: up to three inline (orders 1 to 3 never allocate).
type Events = SmallVec<[u32; 3]>;

/// A set of events, ascending, of any size. Ordered by size, then events.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cut {
    events: Events,
}

impl Ord for Cut {
    fn cmp(&self, other: &Cut) -> Ordering {
        self.len()
            .cmp(&other.len())
            .then_with(|| self.events().cmp(other.events()))
    }
}

impl PartialOrd for Cut {
    fn partial_cmp(&self, other: &Cut) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Cut {
    /// The set of one event.
    pub fn one(e: u32) -> Cut {
        Cut {
            events: smallvec::smallvec![e],
        }
    }

    /// A set from ascending, distinct events.
    pub fn of(sorted: &[u32]) -> Cut {
        debug_assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        Cut {
            events: Events::from_slice(sorted),
        }
    }

    /// Its events, ascending.
    pub fn events(&self) -> &[u32] {
        &self.events
    }

    /// Its size.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether it has no event (never: sets hold at least one).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The union, when it has at most `order` events.
    fn union(&self, other: &Cut, order: usize) -> Option<Cut> {
        let (a, b) = (self.events(), other.events());
        let mut out = Events::new();
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let next = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x == y => {
                    i += 1;
                    j += 1;
                    x
                }
                (Some(&x), Some(&y)) if x < y => {
                    i += 1;
                    x
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (None, None) => unreachable!(),
            };
            if out.len() == order {
                return None;
            }
            out.push(next);
        }
        Some(Cut { events: out })
    }
}

/// n choose k, saturating at `usize::MAX`.
pub(crate) fn choose(n: u64, k: u64) -> usize {
    if k > n {
        return 0;
    }
    // C(n, k) = C(n, n − k); up to the middle every partial product is a
    // binomial no larger than the result, so saturation is never early.
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        acc = acc * u128::from(n - i) / u128::from(i + 1);
        if acc > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    acc as usize
}

/// Calls `f` with every `size`-subset of `items` in order (of positions)
/// until it returns `true`; returns whether it did. Nothing when `size`
/// exceeds `items`; the empty set once when `size` is 0.
pub(crate) fn any_subset(items: &[u32], size: usize, f: &mut dyn FnMut(&[u32]) -> bool) -> bool {
    let n = items.len();
    if size > n {
        return false;
    }
    let mut at: SmallVec<[usize; 8]> = (0..size).collect();
    let mut subset: SmallVec<[u32; 8]> = SmallVec::from_slice(&items[..size]);
    loop {
        if f(&subset) {
            return true;
        }
        // The last position that can still move right, then the ones
        // after it packed behind it.
        let Some(i) = (0..size).rev().find(|&i| at[i] < n - size + i) else {
            return false;
        };
        at[i] += 1;
        subset[i] = items[at[i]];
        for j in i + 1..size {
            at[j] = at[j - 1] + 1;
            subset[j] = items[at[j]];
        }
    }
}

/// Whether every event of `small` is in `large` (both ascending).
fn is_subset(small: &[u32], large: &[u32]) -> bool {
    let mut rest = large.iter();
    small.iter().all(|e| rest.any(|x| x == e))
}

/// The minimal cut sets of one node, complete up to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Minimal, sorted (size, then events), none above `complete_to`.
    pub sets: Vec<Cut>,
    /// Every minimal cut set of at most this many events is in `sets`.
    pub complete_to: usize,
}

impl Family {
    /// No set at all, complete up to `order` (never occurs).
    pub fn never(order: usize) -> Family {
        Family {
            sets: Vec::new(),
            complete_to: order,
        }
    }

    /// Sets already minimal and sorted.
    pub fn new(sets: Vec<Cut>, complete_to: usize) -> Family {
        Family { sets, complete_to }
    }

    /// Counts of sets by size (index 0 unused), up to the largest.
    fn by_size(&self) -> Vec<usize> {
        let largest = self.sets.iter().map(Cut::len).max().unwrap_or(0);
        let mut c = vec![0; largest + 1];
        for s in &self.sets {
            c[s.len()] += 1;
        }
        c
    }

    /// Drops every set above `order`.
    fn truncate(&mut self, order: usize) {
        if order < self.complete_to {
            self.complete_to = order;
            self.sets.retain(|s| s.len() <= order);
        }
    }
}

/// The sets a minimisation has kept so far (smaller ones first), to tell
/// whether the next one contains one of them. Sets of up to three events
/// are answered from hashed singles and pairs; a larger set of k events
/// looks, for each smaller size j with kept sets, either for each of its
/// C(k, j) subsets in a hash or through the kept sets of that size,
/// whichever is fewer — so no order makes it exponential.
struct Kept {
    order: usize,
    singles: HashSet<u32>,
    pairs: HashSet<(u32, u32)>,
    /// Kept sets of three or more events (below the order).
    larger: HashSet<Events>,
    /// Kept sets by size (below the order), when the order is above 3.
    by_size: Vec<Vec<Cut>>,
}

impl Kept {
    fn new(order: usize) -> Kept {
        Kept {
            order,
            singles: HashSet::new(),
            pairs: HashSet::new(),
            larger: HashSet::new(),
            by_size: Vec::new(),
        }
    }

    /// Whether a kept set is a proper subset of `s` (kept sets are never
    /// larger than `s`, and `s` is not one of them).
    fn covers(&self, s: &Cut) -> bool {
        match *s.events() {
            [_] => false,
            [a, b] => self.singles.contains(&a) || self.singles.contains(&b),
            [a, b, c] => {
                self.singles.contains(&a)
                    || self.singles.contains(&b)
                    || self.singles.contains(&c)
                    || self.pairs.contains(&(a, b))
                    || self.pairs.contains(&(a, c))
                    || self.pairs.contains(&(b, c))
            }
            ref events => self.covers_large(events),
        }
    }

    /// [`Kept::covers`] for a set of four or more events.
    fn covers_large(&self, events: &[u32]) -> bool {
        if events.iter().any(|e| self.singles.contains(e)) {
            return true;
        }
        let k = events.len();
        for (j, kept) in self.by_size.iter().enumerate().take(k).skip(2) {
            if kept.is_empty() {
                continue;
            }
            let found = if choose(k as u64, j as u64) <= kept.len() {
                any_subset(events, j, &mut |sub| match *sub {
                    [a, b] => self.pairs.contains(&(a, b)),
                    _ => self.larger.contains(sub),
                })
            } else {
                kept.iter().any(|t| is_subset(t.events(), events))
            };
            if found {
                return true;
            }
        }
        false
    }

    /// Keeps `s`; only sets below the order can be inside a later one.
    fn insert(&mut self, s: &Cut) {
        let k = s.len();
        if k >= self.order {
            return;
        }
        match *s.events() {
            [a] => {
                self.singles.insert(a);
            }
            [a, b] => {
                self.pairs.insert((a, b));
            }
            _ => {
                self.larger.insert(s.events.clone());
            }
        }
        if self.order > 3 {
            if self.by_size.len() <= k {
                self.by_size.resize_with(k + 1, Vec::new);
            }
            self.by_size[k].push(s.clone());
        }
    }
}

/// Minimises `sets` (sorts, removes duplicates and supersets), keeping those
/// of at most `order` events, and fewer orders when more than [`MAX_SETS`]
/// would remain.
pub fn minimize(mut sets: Vec<Cut>, order: usize) -> Family {
    sets.retain(|s| s.len() <= order);
    sets.sort_unstable();
    sets.dedup();
    let mut kept = Kept::new(order);
    sets.retain(|s| {
        let keep = !kept.covers(s);
        if keep {
            kept.insert(s);
        }
        keep
    });
    let mut family = Family::new(sets, order);
    fit(&mut family);
    family
}

/// Lowers a family's order until it holds at most [`MAX_SETS`] sets: each
/// step gives up the size of its largest sets (sorted, so the last), and
/// with it every order above.
fn fit(family: &mut Family) {
    while family.sets.len() > MAX_SETS && family.complete_to > 0 {
        let largest = family.sets.last().map_or(1, Cut::len);
        family.truncate(largest.min(family.complete_to) - 1);
    }
}

/// The minimal cut sets of `a AND b` up to `order`: the minimised unions of
/// a set of each, when small enough. Disjoint unions are counted first and
/// the order lowered until they fit in [`MAX_SETS`]; overlapping ones are
/// found through an index from events to `b`'s sets.
pub fn product(a: &Family, b: &Family, order: usize) -> Family {
    let complete = order.min(a.complete_to).min(b.complete_to);
    let (ca, cb) = (a.by_size(), b.by_size());
    // No union is larger than a largest set of each.
    let largest = (ca.len() - 1) + (cb.len() - 1);
    let mut order = complete.min(largest);
    let disjoint = |order: usize| -> usize {
        let mut total = 0usize;
        for (i, &x) in ca.iter().enumerate().skip(1) {
            for (j, &y) in cb.iter().enumerate().skip(1) {
                if i + j <= order {
                    total = total.saturating_add(x.saturating_mul(y));
                }
            }
        }
        total
    };
    let fitting = order;
    while order > 0 && disjoint(order) > MAX_SETS {
        order -= 1;
    }
    // Nothing given up: the product is as complete as its inputs.
    let complete_to = if order == fitting { complete } else { order };
    // Index of b's sets by event, for unions that share events.
    let mut index: Vec<(u32, u32)> = Vec::new();
    for (k, t) in b.sets.iter().enumerate() {
        if t.len() <= order {
            index.extend(t.events().iter().map(|&e| (e, k as u32)));
        }
    }
    index.sort_unstable();
    let mut b_by_size: Vec<Vec<&Cut>> = vec![Vec::new(); cb.len()];
    for t in &b.sets {
        b_by_size[t.len()].push(t);
    }
    let mut out: Vec<Cut> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    for s in a.sets.iter().filter(|s| s.len() <= order) {
        // Disjoint or not, every t small enough makes a union that fits.
        for t in b_by_size.iter().take(order - s.len() + 1).flatten() {
            if let Some(u) = s.union(t, order) {
                out.push(u);
            }
        }
        // Larger t fit only by sharing events with s.
        seen.clear();
        for &e in s.events() {
            let from = index.partition_point(|&(x, _)| x < e);
            for &(x, k) in &index[from..] {
                if x != e {
                    break;
                }
                let t = &b.sets[k as usize];
                if s.len() + t.len() > order && !seen.contains(&k) {
                    seen.push(k);
                    if let Some(u) = s.union(t, order) {
                        out.push(u);
                    }
                }
            }
        }
    }
    minimize(out, complete_to)
}

/// What a circuit vertex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Down when any child is, or its own service fails.
    Or,
    /// Down when every input is.
    And,
}

/// The `down` circuit of a graph (module docs). Vertices are the graph's
/// nodes ([`Graph::node_index`]), then one gate per failover or cache edge.
#[derive(Debug, Clone)]
pub struct Circuit {
    kind: Vec<Kind>,
    /// Children of an OR vertex, inputs of an AND vertex.
    offset: Vec<u32>,
    children: Vec<u32>,
    /// The service whose own failure takes an OR vertex down (operations),
    /// or `u32::MAX`.
    own: Vec<u32>,
    components: Components,
    services: usize,
}

impl Circuit {
    /// The circuit of `graph`. Linear in its size.
    pub fn new(graph: &Graph) -> Circuit {
        let n = graph.service_count();
        let nodes = graph.node_count();
        let mut kind = vec![Kind::Or; nodes];
        let mut own = vec![u32::MAX; nodes];
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        let mut gates: Vec<[u32; 2]> = Vec::new();
        for s in 0..n {
            let ops = graph.ops_of(ServiceId(s as u32));
            if ops.len() > 1 {
                kind[s] = Kind::And;
            }
            lists[s].extend(ops.map(|o| (n + o) as u32));
        }
        for o in 0..graph.operation_count() {
            let v = n + o;
            own[v] = graph.op_service(o).0;
            for e in graph.edges_of(o) {
                let edge = graph.edge(e);
                let target = graph.node_index(edge.target) as u32;
                match edge.rule() {
                    Rule::Plain => lists[v].push(target),
                    Rule::Cache {
                        on_miss,
                        hit_zero: true,
                    } => lists[v].push(on_miss.0),
                    Rule::Failover(alt) | Rule::Cache { on_miss: alt, .. } => {
                        lists[v].push((nodes + gates.len()) as u32);
                        gates.push([target, alt.0]);
                    }
                    Rule::Capped | Rule::Stale | Rule::Startup => {}
                }
            }
        }
        for inputs in &gates {
            kind.push(Kind::And);
            own.push(u32::MAX);
            lists.push(inputs.to_vec());
        }
        let mut offset = Vec::with_capacity(lists.len() + 1);
        let mut children = Vec::new();
        offset.push(0);
        for l in &lists {
            children.extend_from_slice(l);
            offset.push(children.len() as u32);
        }
        let components = Components::tarjan(&offset, &children);
        Circuit {
            kind,
            offset,
            children,
            own,
            components,
            services: n,
        }
    }

    fn children(&self, v: usize) -> &[u32] {
        &self.children[self.offset[v] as usize..self.offset[v + 1] as usize]
    }

    /// The services whose own failure can take `top` (a graph node index)
    /// down, possibly together with others: everything its cone reaches,
    /// through gates too. Per service.
    pub fn reach(&self, top: usize) -> Vec<bool> {
        let mut seen = vec![false; self.kind.len()];
        let mut services = vec![false; self.services];
        let mut stack = vec![top];
        seen[top] = true;
        while let Some(v) = stack.pop() {
            if self.own[v] != u32::MAX {
                services[self.own[v] as usize] = true;
            }
            for &c in self.children(v) {
                if !std::mem::replace(&mut seen[c as usize], true) {
                    stack.push(c as usize);
                }
            }
        }
        services
    }
}

/// A service's own failure as a family of event sets (its k-of-n gate over
/// replicas and zones, or the service as one event).
pub trait OwnFailure {
    /// The minimal cut sets of service `s` failing by itself, up to `order`.
    fn own(&self, s: ServiceId, order: usize) -> Family;
}

/// Each service is one event, numbered by its id: the order-1 sets are the
/// single points of failure.
#[derive(Debug, Clone, Copy)]
pub struct WholeServices;

impl OwnFailure for WholeServices {
    fn own(&self, s: ServiceId, order: usize) -> Family {
        Family::new(
            if order >= 1 {
                vec![Cut::one(s.0)]
            } else {
                Vec::new()
            },
            order,
        )
    }
}

/// Computes the families of the circuit's vertices for some tops.
pub struct Solver<'a, O: OwnFailure> {
    circuit: &'a Circuit,
    events: &'a O,
    order: usize,
    /// Families of AND vertices (computed) and of gate inputs (memoised).
    family: Vec<Option<Family>>,
    own: Vec<Option<Family>>,
    /// Vertices whose family is final: component below this one.
    final_below: usize,
    mark: Vec<u32>,
    service_mark: Vec<u32>,
    generation: u32,
}

impl<'a, O: OwnFailure> Solver<'a, O> {
    /// A solver for minimal cut sets up to `order` (any: the work and the
    /// families grow with the sets found, each family held to
    /// [`MAX_SETS`]).
    pub fn new(circuit: &'a Circuit, events: &'a O, order: usize) -> Self {
        let vertices = circuit.kind.len();
        Solver {
            circuit,
            events,
            order,
            family: vec![None; vertices],
            own: vec![None; circuit.services],
            final_below: 0,
            mark: vec![0; vertices],
            service_mark: vec![0; circuit.services],
            generation: 0,
        }
    }

    /// The minimal cut sets of each of `tops` (graph node indices).
    ///
    /// First the gates the tops reach, callees first, each once (a cycle's
    /// gates until they settle); then each top's cone is walked once.
    pub fn solve(&mut self, tops: &[usize]) -> Vec<Family> {
        let c = self.circuit;
        let mut gates: Vec<u32> = Vec::new();
        self.generation += 1;
        let mut stack: Vec<u32> = tops.iter().map(|&t| t as u32).collect();
        for &t in tops {
            self.mark[t] = self.generation;
        }
        while let Some(v) = stack.pop() {
            if c.kind[v as usize] == Kind::And {
                gates.push(v);
            }
            for &w in c.children(v as usize) {
                if self.mark[w as usize] != self.generation {
                    self.mark[w as usize] = self.generation;
                    stack.push(w);
                }
            }
        }
        gates.sort_unstable_by_key(|&g| (c.components.of(g as usize), g));
        let mut i = 0;
        while i < gates.len() {
            let comp = c.components.of(gates[i] as usize);
            let mut j = i;
            while j < gates.len() && c.components.of(gates[j] as usize) == comp {
                j += 1;
            }
            self.final_below = comp;
            self.settle(&gates[i..j], c.components.is_cyclic(comp));
            i = j;
        }
        self.final_below = usize::MAX;
        tops.iter().map(|&t| self.value(t)).collect()
    }

    /// Computes the gates of one component; in a cycle, from the empty
    /// family until no family changes.
    fn settle(&mut self, gates: &[u32], cyclic: bool) {
        if cyclic {
            for &g in gates {
                self.family[g as usize] = Some(Family::never(self.order));
            }
        }
        loop {
            let mut changed = false;
            for &g in gates {
                let f = self.gate(g as usize);
                if self.family[g as usize].as_ref() != Some(&f) {
                    self.family[g as usize] = Some(f);
                    changed = true;
                }
            }
            if !cyclic || !changed {
                break;
            }
        }
    }

    /// A gate's family: the product of its inputs'.
    fn gate(&mut self, g: usize) -> Family {
        let inputs: Vec<u32> = self.circuit.children(g).to_vec();
        let mut acc: Option<Family> = None;
        for i in inputs {
            let f = self.value(i as usize);
            acc = Some(match acc {
                None => f,
                Some(a) => product(&a, &f, self.order),
            });
            if acc.as_ref().is_some_and(|a| a.sets.is_empty()) {
                break;
            }
        }
        acc.unwrap_or_else(|| Family::never(self.order))
    }

    /// The family of any vertex: a gate's as computed, an OR vertex's
    /// gathered from its cone (memoised once final).
    fn value(&mut self, v: usize) -> Family {
        let c = self.circuit;
        if c.kind[v] == Kind::And {
            return self.family[v]
                .clone()
                .unwrap_or_else(|| Family::never(self.order));
        }
        let is_final = c.components.of(v) < self.final_below;
        if is_final && let Some(f) = &self.family[v] {
            return f.clone();
        }
        let f = self.gather(v);
        if is_final {
            self.family[v] = Some(f.clone());
        }
        f
    }

    /// Walks the OR cone of `v`: the own failures of the services it
    /// reaches and the families of the gates on the way, united and
    /// minimised.
    fn gather(&mut self, v: usize) -> Family {
        let c = self.circuit;
        self.generation += 1;
        let generation = self.generation;
        let mut sets: Vec<Cut> = Vec::new();
        let mut complete_to = self.order;
        let mut stack = vec![v as u32];
        self.mark[v] = generation;
        while let Some(x) = stack.pop() {
            let x = x as usize;
            if c.kind[x] == Kind::And {
                let f = self.family[x]
                    .as_ref()
                    .expect("gates are computed before the cones that reach them");
                complete_to = complete_to.min(f.complete_to);
                sets.extend_from_slice(&f.sets);
                continue;
            }
            let s = c.own[x];
            if s != u32::MAX && self.service_mark[s as usize] != generation {
                self.service_mark[s as usize] = generation;
                let order = self.order;
                let own = self.own[s as usize]
                    .get_or_insert_with(|| self.events.own(ServiceId(s), order));
                complete_to = complete_to.min(own.complete_to);
                sets.extend_from_slice(&own.sets);
            }
            for &w in c.children(x) {
                if self.mark[w as usize] != generation {
                    self.mark[w as usize] = generation;
                    stack.push(w);
                }
            }
        }
        minimize(sets, complete_to)
    }
}

/// The graph node index of an entry point (its operation, or its service).
pub fn top_of(graph: &Graph, service: ServiceId, operation: Option<usize>) -> usize {
    match operation {
        Some(o) => graph.node_index(Node::Operation(graph.op_index(service, o))),
        None => service.index(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fam(sets: &[&[u32]], order: usize) -> Family {
        minimize(sets.iter().map(|s| Cut::of(s)).collect(), order)
    }

    fn list(f: &Family) -> Vec<Vec<u32>> {
        f.sets.iter().map(|s| s.events().to_vec()).collect()
    }

    #[test]
    fn minimize_removes_supersets_and_duplicates() {
        let f = fam(
            &[
                &[1, 2],
                &[3],
                &[1, 2],
                &[2, 3],
                &[1, 4, 5],
                &[1, 2, 7],
                &[6],
            ],
            3,
        );
        assert_eq!(list(&f), vec![vec![3], vec![6], vec![1, 2], vec![1, 4, 5]]);
        assert_eq!(f.complete_to, 3);
        let f = fam(&[&[1, 2], &[3], &[1, 4, 5]], 2);
        assert_eq!(list(&f), vec![vec![3], vec![1, 2]]);
    }

    #[test]
    fn product_is_and() {
        // (1 ∨ 2 ∨ {3,4}) ∧ (2 ∨ 5): 2, {1,5}, {3,4,5} (order 3).
        let a = fam(&[&[1], &[2], &[3, 4]], 3);
        let b = fam(&[&[2], &[5]], 3);
        let p = product(&a, &b, 3);
        assert_eq!(list(&p), vec![vec![2], vec![1, 5], vec![3, 4, 5]]);
        let p = product(&a, &b, 1);
        assert_eq!(list(&p), vec![vec![2]]);
        // Overlap: {1,2} ∧ {1,3} at order 3 is {1,2,3}; at order 2 nothing.
        let a = fam(&[&[1, 2]], 3);
        let b = fam(&[&[1, 3]], 3);
        assert_eq!(list(&product(&a, &b, 3)), vec![vec![1, 2, 3]]);
        assert!(product(&a, &b, 2).sets.is_empty());
    }

    /// Products and minimisation against brute force over every subset of
    /// a few events: six events, sets of up to three, orders 1 to 3; and
    /// ten events, sets of up to seven, every order 1 to 10 (the orders
    /// the hashed singles and pairs cannot answer alone).
    #[test]
    fn product_agrees_with_truth_tables() {
        for (events, largest, most_sets, top) in [(6u32, 3, 4, 3), (10, 7, 6, 10)] {
            agrees_with_truth_tables(events, largest, most_sets, top);
        }
    }

    /// 300 random pairs of families of up to `most_sets` sets of up to
    /// `largest` of `events` events: their AND and OR at every order up to
    /// `top`, against the minimal sets of the truth table.
    fn agrees_with_truth_tables(events: u32, largest: u64, most_sets: u64, top: usize) {
        let holds = |f: &[Vec<u32>], x: u32| f.iter().any(|s| s.iter().all(|&e| x >> e & 1 == 1));
        let mcs = |pred: &dyn Fn(u32) -> bool, order: usize| -> Vec<Vec<u32>> {
            let mut out: Vec<Vec<u32>> = Vec::new();
            let mut xs: Vec<u32> = (0..1 << events).collect();
            xs.sort_by_key(|x| (x.count_ones(), *x));
            for x in xs {
                if x.count_ones() as usize <= order
                    && pred(x)
                    && !out.iter().any(|s| s.iter().all(|&e| x >> e & 1 == 1))
                {
                    out.push((0..events).filter(|e| x >> e & 1 == 1).collect());
                }
            }
            out.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
            out
        };
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 33) % m
        };
        for _ in 0..300 {
            let mut random_family = || -> Vec<Vec<u32>> {
                (0..1 + next(most_sets))
                    .map(|_| {
                        let mut s: Vec<u32> = (0..1 + next(largest))
                            .map(|_| next(u64::from(events)) as u32)
                            .collect();
                        s.sort_unstable();
                        s.dedup();
                        s
                    })
                    .collect()
            };
            let (fa, fb) = (random_family(), random_family());
            let a = minimize(fa.iter().map(|s| Cut::of(s)).collect(), top);
            let b = minimize(fb.iter().map(|s| Cut::of(s)).collect(), top);
            for order in 1..=top {
                let got = list(&product(&a, &b, order));
                let want = mcs(&|x| holds(&fa, x) && holds(&fb, x), order);
                assert_eq!(got, want, "{fa:?} ∧ {fb:?} at order {order}");
                let union: Vec<Cut> = a.sets.iter().chain(&b.sets).cloned().collect();
                let got = list(&minimize(union, order));
                let want = mcs(&|x| holds(&fa, x) || holds(&fb, x), order);
                assert_eq!(got, want, "{fa:?} ∨ {fb:?} at order {order}");
            }
        }
    }

    /// A set of any size is dropped when a smaller kept set lies inside
    /// it, whether the check goes through its subsets (few of them, many
    /// kept pairs) or through the kept sets (a set of twenty events).
    #[test]
    fn minimize_finds_smaller_sets_inside_sets_of_any_size() {
        let twenty = |from: u32| (from..from + 20).collect::<Vec<u32>>();
        let mut sets: Vec<&[u32]> = vec![
            &[1, 2],
            &[3, 4, 5],
            &[6, 7, 8, 9],
            &[1, 2, 10, 11],
            &[3, 4, 5, 10],
            &[6, 7, 8, 9, 10],
            &[2, 3, 4, 6, 7],
        ];
        let (inside, clear) = (twenty(3), twenty(23));
        sets.extend([inside.as_slice(), clear.as_slice()]);
        let f = fam(&sets, 20);
        assert_eq!(
            list(&f),
            vec![
                vec![1, 2],
                vec![3, 4, 5],
                vec![6, 7, 8, 9],
                vec![2, 3, 4, 6, 7],
                clear.clone()
            ]
        );
        assert_eq!(list(&fam(&sets, 19)), list(&f)[..4].to_vec());
        // Many kept pairs: a set of four is checked through its six pairs.
        let mut pairs: Vec<Vec<u32>> = (20..40).map(|e| vec![e, e + 100]).collect();
        pairs.push(vec![1, 2, 3, 4]);
        pairs.push(vec![1, 2, 20, 120]);
        let f = minimize(pairs.iter().map(|s| Cut::of(s)).collect(), 4);
        assert_eq!(f.sets.len(), 21);
        assert_eq!(f.sets[20].events(), [1, 2, 3, 4]);
    }

    #[test]
    fn every_subset_of_a_size_in_order() {
        let mut seen = Vec::new();
        let stopped = any_subset(&[1, 2, 3, 4], 2, &mut |s| {
            seen.push(s.to_vec());
            false
        });
        assert!(!stopped);
        assert_eq!(
            seen,
            [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]].map(|s| s.to_vec())
        );
        let mut count = 0;
        assert!(!any_subset(&[5, 6], 0, &mut |s| {
            count += 1;
            !s.is_empty()
        }));
        assert_eq!(count, 1, "the empty set, once");
        assert!(!any_subset(&[5, 6], 3, &mut |_| true));
        assert!(any_subset(&[1, 2, 3, 4, 5], 3, &mut |s| s == [2, 4, 5]));
        assert_eq!(choose(20, 3), 1140);
        assert_eq!(choose(20, 17), 1140);
        assert_eq!(choose(100_000, 100_000), 1);
        assert_eq!(choose(100_000, 99_999), 100_000);
        assert_eq!(choose(100_000, 50_000), usize::MAX);
        assert_eq!(choose(3, 4), 0);
    }

    #[test]
    fn oversized_families_give_up_their_highest_orders() {
        let a = Family::new((0..1000).map(Cut::one).collect(), 3);
        let b = Family::new((1000..2000).map(Cut::one).collect(), 3);
        let p = product(&a, &b, 2);
        assert_eq!(p.complete_to, 1, "1,000,000 pairs is too many");
        assert!(p.sets.is_empty());
        let small = Family::new((1000..1010).map(Cut::one).collect(), 3);
        let p = product(&a, &small, 2);
        assert_eq!((p.complete_to, p.sets.len()), (2, 10_000));
    }
}
