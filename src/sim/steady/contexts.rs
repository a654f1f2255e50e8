//! Call paths, as the steady state walks them.
//!
//! A request that re-enters an operation already on its call path (a
//! cycle) makes a call that carries no load and no latency and passes back
//! only a whole failure (docs/engine.md, "Cycles"). So what an operation
//! answers depends on the path that led to it. A *context* is an operation
//! together with the part of its call path that it can call again: the
//! operations outside any cycle have exactly one context; inside a cycle an
//! operation has one context per distinct set of path members it can reach.
//!
//! Contexts form a DAG (a call either enters a new context or re-enters an
//! operation already on the path), listed callees first, grouped into
//! *regions*: the strongly connected groups of services, themselves listed
//! callees first. A caller outside a region always enters it at an
//! operation's *root* context (the path holds only that operation).
//!
//! Regions of up to [`MAX_WALKED_CYCLE`] services have every path walked,
//! up to [`MAX_CONTEXTS`] contexts. Larger ones follow one traversal in
//! name order: a call to an operation earlier in (service, operation) name
//! order counts as a re-entry. Nothing here depends on the order of
//! services in the file.

use std::collections::HashMap;
use std::ops::Range;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{Fallback, Model, Phase, ServiceId};

/// Cycles of up to this many services have every call path walked.
pub const MAX_WALKED_CYCLE: usize = 12;

/// Most contexts one region may have before it falls back to one traversal
/// in name order.
pub const MAX_CONTEXTS: usize = 20_000;

/// Where calls over one dependency go from a context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dest {
    /// Into this context.
    Ctx(u32),
    /// Back into this operation (flat index), already on the path.
    ReEntry(u32),
}

/// One operation on one kind of call path.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The operation (flat index).
    pub op: u32,
    /// Its service.
    pub service: ServiceId,
    /// Its index among the service's operations.
    pub oi: usize,
    /// Its calls, one per dependency of the operation, in order: indices
    /// into [`Contexts::calls`].
    pub calls: Range<u32>,
}

/// Where one dependency's calls land, split over the callee's operations.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The callee (or its operations), with each one's share.
    pub main: Range<u32>,
    /// The failover alternative or the cache's `on_miss`, with shares.
    pub alt: Range<u32>,
}

/// A strongly connected group of services.
#[derive(Debug, Clone)]
pub(crate) struct Region {
    /// Its services, in model order.
    pub services: Vec<ServiceId>,
    /// Its contexts (contiguous, callees first).
    pub ctxs: Range<u32>,
    /// Whether calls can come back into it (a cycle).
    pub cyclic: bool,
    /// A large cycle, walked in name order (an approximation).
    pub approximate: bool,
}

/// Every context of a model, with the regions they fall in.
#[derive(Debug, Clone)]
pub(crate) struct Contexts {
    /// All contexts, region by region, callees first.
    pub ctxs: Vec<Ctx>,
    /// Per context and dependency.
    pub calls: Vec<Call>,
    /// Destinations with their shares.
    pub dests: Vec<(Dest, f64)>,
    /// Regions, callees first.
    pub regions: Vec<Region>,
    /// Per flat operation: the context a call from outside its region enters.
    pub root: Vec<u32>,
    /// Per service: its region.
    pub region_of: Vec<u32>,
    /// Calls outside requests, filled in after every region is built.
    placeholders: Vec<u32>,
}

/// Flat operation indices: operation `oi` of service `s` is `first[s] + oi`.
#[derive(Debug, Clone)]
pub(crate) struct OpIndex {
    /// First flat index of each service's operations (plus the total at the end).
    pub first: Vec<u32>,
    /// Per flat operation: its service and index.
    pub of: Vec<(ServiceId, usize)>,
}

impl OpIndex {
    pub(crate) fn new(model: &Model) -> OpIndex {
        let mut first = Vec::with_capacity(model.services().len() + 1);
        let mut of = Vec::new();
        for id in model.service_ids() {
            first.push(of.len() as u32);
            for oi in 0..model.service(id).operations.len() {
                of.push((id, oi));
            }
        }
        first.push(of.len() as u32);
        OpIndex { first, of }
    }

    /// The flat index of operation `oi` of `s`.
    pub(crate) fn flat(&self, s: ServiceId, oi: usize) -> u32 {
        self.first[s.index()] + oi as u32
    }

    /// The flat indices of a service's operations.
    pub(crate) fn ops(&self, s: ServiceId) -> Range<u32> {
        self.first[s.index()]..self.first[s.index() + 1]
    }

    /// How many operations in all.
    pub(crate) fn len(&self) -> usize {
        self.of.len()
    }
}

/// The operations a dependency's calls land on, with their shares: one
/// named operation, or all of the service's by [`super::split_weights`].
/// [`landing`], each operation made a destination by `to`.
fn landed(
    model: &Model,
    ops: &OpIndex,
    weights: &[Vec<f64>],
    service: ServiceId,
    op: Option<usize>,
    to: impl Fn(u32) -> Dest,
) -> Vec<(Dest, f64)> {
    landing(model, ops, weights, service, op)
        .into_iter()
        .map(|(t, w)| (to(t), w))
        .collect()
}

fn landing(
    model: &Model,
    ops: &OpIndex,
    weights: &[Vec<f64>],
    service: ServiceId,
    op: Option<usize>,
) -> Vec<(u32, f64)> {
    match op {
        Some(o) => vec![(ops.flat(service, o), 1.0)],
        None => (0..model.service(service).operations.len())
            .filter(|&o| weights[service.index()][o] > 0.0)
            .map(|o| (ops.flat(service, o), weights[service.index()][o]))
            .collect(),
    }
}

/// The alternative a dependency falls back on (failover `to`, cache `on_miss`).
pub(crate) fn alternative(dep: &crate::model::Dependency) -> Option<ServiceId> {
    match (&dep.cache, &dep.fallback) {
        (Some(c), _) => Some(c.on_miss),
        (None, Some(Fallback::Failover { to })) => Some(*to),
        _ => None,
    }
}

/// Whether a dependency takes part in requests (and so in call paths).
fn on_request_path(dep: &crate::model::Dependency) -> bool {
    dep.phase == Phase::Request
}

impl Contexts {
    /// Builds the contexts of a model.
    pub(crate) fn build(model: &Model, ops: &OpIndex, weights: &[Vec<f64>]) -> Contexts {
        let n = model.services().len();
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
        for _ in 0..n {
            g.add_node(());
        }
        for id in model.service_ids() {
            for op in &model.service(id).operations {
                for dep in op.depends_on.iter().filter(|d| on_request_path(d)) {
                    let from = NodeIndex::new(id.index());
                    g.add_edge(from, NodeIndex::new(dep.target.service.index()), ());
                    if let Some(alt) = alternative(dep) {
                        g.add_edge(from, NodeIndex::new(alt.index()), ());
                    }
                }
            }
        }
        let mut sccs: Vec<Vec<ServiceId>> = kosaraju_scc(&g)
            .into_iter()
            .map(|c| {
                let mut ids: Vec<ServiceId> =
                    c.into_iter().map(|x| ServiceId(x.index() as u32)).collect();
                ids.sort();
                ids
            })
            .collect();
        // kosaraju lists components callees first already; keep that.
        sccs.retain(|c| !c.is_empty());
        let mut out = Contexts {
            ctxs: Vec::with_capacity(ops.len()),
            calls: Vec::new(),
            dests: Vec::new(),
            regions: Vec::with_capacity(sccs.len()),
            root: vec![u32::MAX; ops.len()],
            region_of: vec![0; n],
            placeholders: Vec::new(),
        };
        for services in sccs {
            let cyclic = services.len() > 1;
            let region = out.regions.len() as u32;
            for s in &services {
                out.region_of[s.index()] = region;
            }
            let start = out.ctxs.len() as u32;
            let approximate = if !cyclic {
                out.add_plain(model, ops, weights, services[0]);
                false
            } else {
                let walked = services.len() <= MAX_WALKED_CYCLE
                    && out.add_walked(model, ops, weights, &services);
                if !walked {
                    out.add_name_order(model, ops, weights, &services);
                }
                !walked
            };
            out.regions.push(Region {
                services,
                ctxs: start..out.ctxs.len() as u32,
                cyclic,
                approximate,
            });
        }
        out.fill_placeholders();
        out
    }

    /// A service outside any cycle: one context per operation, calls into
    /// the callees' root contexts.
    fn add_plain(&mut self, model: &Model, ops: &OpIndex, weights: &[Vec<f64>], s: ServiceId) {
        for (oi, op) in model.service(s).operations.iter().enumerate() {
            let flat = ops.flat(s, oi);
            let first_call = self.calls.len() as u32;
            for dep in &op.depends_on {
                if !on_request_path(dep) {
                    self.push_placeholder(model, ops, weights, dep);
                    continue;
                }
                let root = |t: u32| Dest::Ctx(self.root[t as usize]);
                let main = landed(
                    model,
                    ops,
                    weights,
                    dep.target.service,
                    dep.target.operation,
                    root,
                );
                let alt = alternative(dep)
                    .map(|a| landed(model, ops, weights, a, None, root))
                    .unwrap_or_default();
                let (main, alt) = (self.push_dests(main), self.push_dests(alt));
                self.calls.push(Call { main, alt });
            }
            self.root[flat as usize] = self.ctxs.len() as u32;
            self.ctxs.push(Ctx {
                op: flat,
                service: s,
                oi,
                calls: first_call..self.calls.len() as u32,
            });
        }
    }

    /// A dependency outside requests (startup, background): its target is
    /// read, never walked; its root contexts are filled in once every
    /// region is built ([`Contexts::fill_placeholders`]).
    fn push_placeholder(
        &mut self,
        model: &Model,
        ops: &OpIndex,
        weights: &[Vec<f64>],
        dep: &crate::model::Dependency,
    ) {
        let main = self.push_dests(landed(
            model,
            ops,
            weights,
            dep.target.service,
            dep.target.operation,
            Dest::ReEntry,
        ));
        let alt = self.push_dests(Vec::new());
        self.placeholders.push(self.calls.len() as u32);
        self.calls.push(Call { main, alt });
    }

    /// Points the placeholders at the root contexts of their targets.
    fn fill_placeholders(&mut self) {
        for &call in &self.placeholders {
            let range = self.calls[call as usize].main.clone();
            for d in &mut self.dests[range.start as usize..range.end as usize] {
                if let (Dest::ReEntry(op), _) = *d {
                    d.0 = Dest::Ctx(self.root[op as usize]);
                }
            }
        }
    }

    fn push_dests(&mut self, dests: Vec<(Dest, f64)>) -> Range<u32> {
        let start = self.dests.len() as u32;
        self.dests.extend(dests);
        start..self.dests.len() as u32
    }

    /// Every call path of a cycle, one context per distinct (operation,
    /// reachable part of its path). Returns false (adding nothing) when
    /// there would be more than [`MAX_CONTEXTS`].
    fn add_walked(
        &mut self,
        model: &Model,
        ops: &OpIndex,
        weights: &[Vec<f64>],
        services: &[ServiceId],
    ) -> bool {
        let walk = Walk::new(model, ops, weights, services);
        let Some(order) = walk.enumerate() else {
            return false;
        };
        // `order` lists (member, path) keys callees first; give them ids.
        let base = self.ctxs.len() as u32;
        let id_of: HashMap<&(usize, Bits), u32> = order
            .iter()
            .enumerate()
            .map(|(i, k)| (k, base + i as u32))
            .collect();
        for key in &order {
            let (m, path) = key;
            let flat = walk.members[*m];
            let (s, oi) = ops.of[flat as usize];
            let first_call = self.calls.len() as u32;
            for dep in &model.service(s).operations[oi].depends_on {
                if !on_request_path(dep) {
                    self.push_placeholder(model, ops, weights, dep);
                    continue;
                }
                let main = self.push_dests(walk.dests_of(
                    landing(
                        model,
                        ops,
                        weights,
                        dep.target.service,
                        dep.target.operation,
                    ),
                    path,
                    &id_of,
                    &self.root,
                ));
                let alt = self.push_dests(
                    alternative(dep)
                        .map(|a| {
                            walk.dests_of(
                                landing(model, ops, weights, a, None),
                                path,
                                &id_of,
                                &self.root,
                            )
                        })
                        .unwrap_or_default(),
                );
                self.calls.push(Call { main, alt });
            }
            self.ctxs.push(Ctx {
                op: flat,
                service: s,
                oi,
                calls: first_call..self.calls.len() as u32,
            });
        }
        for (m, &flat) in walk.members.iter().enumerate() {
            let key = (m, walk.root_path(m));
            self.root[flat as usize] = id_of[&key];
        }
        true
    }

    /// A large cycle: one context per operation; a call to an operation
    /// earlier in (service name, operation name) order re-enters.
    fn add_name_order(
        &mut self,
        model: &Model,
        ops: &OpIndex,
        weights: &[Vec<f64>],
        services: &[ServiceId],
    ) {
        let mut members: Vec<u32> = services.iter().flat_map(|&s| ops.ops(s)).collect();
        members.sort_by(|&a, &b| {
            let (sa, oa) = ops.of[a as usize];
            let (sb, ob) = ops.of[b as usize];
            let (ma, mb) = (model.service(sa), model.service(sb));
            ma.name
                .cmp(&mb.name)
                .then(ma.operations[oa].name.cmp(&mb.operations[ob].name))
        });
        let rank: HashMap<u32, usize> = members.iter().enumerate().map(|(i, &f)| (f, i)).collect();
        // Callees first: the last in name order first.
        let base = self.ctxs.len() as u32;
        let count = members.len() as u32;
        for (i, &flat) in members.iter().enumerate().rev() {
            self.root[flat as usize] = base + (count - 1 - i as u32);
        }
        for &flat in members.iter().rev() {
            let (s, oi) = ops.of[flat as usize];
            let here = rank[&flat];
            let first_call = self.calls.len() as u32;
            let resolve = |t: u32, this: &Contexts| match rank.get(&t) {
                Some(&r) if r <= here => Dest::ReEntry(t),
                _ => Dest::Ctx(this.root[t as usize]),
            };
            for dep in &model.service(s).operations[oi].depends_on {
                if !on_request_path(dep) {
                    self.push_placeholder(model, ops, weights, dep);
                    continue;
                }
                let main: Vec<(Dest, f64)> = landing(
                    model,
                    ops,
                    weights,
                    dep.target.service,
                    dep.target.operation,
                )
                .into_iter()
                .map(|(t, w)| (resolve(t, self), w))
                .collect();
                let alt: Vec<(Dest, f64)> = alternative(dep)
                    .map(|a| landing(model, ops, weights, a, None))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(t, w)| (resolve(t, self), w))
                    .collect();
                let main = self.push_dests(main);
                let alt = self.push_dests(alt);
                self.calls.push(Call { main, alt });
            }
            self.ctxs.push(Ctx {
                op: flat,
                service: s,
                oi,
                calls: first_call..self.calls.len() as u32,
            });
        }
    }

    /// The region of a service.
    pub(crate) fn region(&self, s: ServiceId) -> &Region {
        &self.regions[self.region_of[s.index()] as usize]
    }
}

/// A set of a region's member operations (by member index).
type Bits = Vec<u64>;

fn bit(b: &Bits, i: usize) -> bool {
    b[i / 64] >> (i % 64) & 1 == 1
}

fn set(b: &mut Bits, i: usize) {
    b[i / 64] |= 1 << (i % 64);
}

fn and(a: &Bits, b: &Bits) -> Bits {
    a.iter().zip(b).map(|(x, y)| x & y).collect()
}

/// The path walk of one cycle.
struct Walk {
    /// Member operations (flat indices), in model order.
    members: Vec<u32>,
    /// Flat index → member index.
    member_of: HashMap<u32, usize>,
    /// Per member: the members it calls (request-path dependencies,
    /// alternatives included), each once.
    next: Vec<Vec<usize>>,
    /// Per member: the members it can reach (itself only when on a cycle).
    reach: Vec<Bits>,
}

impl Walk {
    fn new(model: &Model, ops: &OpIndex, weights: &[Vec<f64>], services: &[ServiceId]) -> Walk {
        let members: Vec<u32> = services.iter().flat_map(|&s| ops.ops(s)).collect();
        let member_of: HashMap<u32, usize> =
            members.iter().enumerate().map(|(i, &f)| (f, i)).collect();
        let words = members.len().div_ceil(64);
        let next: Vec<Vec<usize>> = members
            .iter()
            .map(|&flat| {
                let (s, oi) = ops.of[flat as usize];
                let mut out: Vec<usize> = Vec::new();
                for dep in model.service(s).operations[oi]
                    .depends_on
                    .iter()
                    .filter(|d| on_request_path(d))
                {
                    let mut targets = landing(
                        model,
                        ops,
                        weights,
                        dep.target.service,
                        dep.target.operation,
                    );
                    if let Some(a) = alternative(dep) {
                        targets.extend(landing(model, ops, weights, a, None));
                    }
                    out.extend(
                        targets
                            .iter()
                            .filter_map(|(t, _)| member_of.get(t).copied()),
                    );
                }
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect();
        // Reachability by a breadth-first search from each member.
        let reach = (0..members.len())
            .map(|m| {
                let mut seen = vec![0u64; words];
                let mut queue: Vec<usize> = next[m].clone();
                while let Some(x) = queue.pop() {
                    if !bit(&seen, x) {
                        set(&mut seen, x);
                        queue.extend(next[x].iter().copied());
                    }
                }
                seen
            })
            .collect();
        Walk {
            members,
            member_of,
            next,
            reach,
        }
    }

    /// The path key of a call entering member `m` from outside: {m} ∩ reach(m).
    fn root_path(&self, m: usize) -> Bits {
        let mut p = vec![0u64; self.reach[m].len()];
        set(&mut p, m);
        and(&p, &self.reach[m])
    }

    /// Every (member, path) key reachable from the roots, callees first
    /// (children before parents); `None` beyond [`MAX_CONTEXTS`].
    fn enumerate(&self) -> Option<Vec<(usize, Bits)>> {
        let mut order: Vec<(usize, Bits)> = Vec::new();
        let mut done: HashMap<(usize, Bits), ()> = HashMap::new();
        for m in 0..self.members.len() {
            let mut full = vec![0u64; self.reach[m].len()];
            set(&mut full, m);
            // Iterative post-order: (member, full path, key, next child index).
            let mut stack: Vec<(usize, Bits, Bits, usize)> = Vec::new();
            let key = and(&full, &self.reach[m]);
            if done.contains_key(&(m, key.clone())) {
                continue;
            }
            stack.push((m, full, key, 0));
            while let Some((x, path, key, i)) = stack.last().cloned() {
                if i < self.next[x].len() {
                    stack.last_mut().expect("not empty").3 += 1;
                    let t = self.next[x][i];
                    if bit(&path, t) {
                        continue; // re-entry
                    }
                    let mut child_path = path.clone();
                    set(&mut child_path, t);
                    let child_key = and(&child_path, &self.reach[t]);
                    if done.contains_key(&(t, child_key.clone())) {
                        continue;
                    }
                    stack.push((t, child_path, child_key, 0));
                } else {
                    stack.pop();
                    if done.insert((x, key.clone()), ()).is_none() {
                        order.push((x, key));
                        if order.len() > MAX_CONTEXTS {
                            return None;
                        }
                    }
                }
            }
        }
        Some(order)
    }

    /// Where calls from a context with path `path` land: a member on the
    /// path is a re-entry, another member the child context, anything
    /// outside the region its root context.
    fn dests_of(
        &self,
        targets: Vec<(u32, f64)>,
        path: &Bits,
        id_of: &HashMap<&(usize, Bits), u32>,
        root: &[u32],
    ) -> Vec<(Dest, f64)> {
        targets
            .into_iter()
            .map(|(t, w)| match self.member_of.get(&t) {
                Some(&m) if bit(path, m) => (Dest::ReEntry(t), w),
                Some(&m) => {
                    let mut child = path.clone();
                    set(&mut child, m);
                    let key = (m, and(&child, &self.reach[m]));
                    (Dest::Ctx(id_of[&key]), w)
                }
                None => (Dest::Ctx(root[t as usize]), w),
            })
            .collect()
    }
}
