//! From solved numbers to states and stories: each service and operation
//! gets its state (the thresholds plus the structural reasons for
//! `degraded`), one sentence of `because` naming the dependency or the local
//! cause with the numbers behind it, and the chain from where the trouble
//! starts.
//!
//! Each cause is one small function returning `Option<Cause>`; among the
//! causes of the worst state the highest [`Rank`] (then the larger share)
//! explains it. Chains are then checked: one must start where trouble
//! starts (a fault's target, a cut's callee, a surging entry point, a cold
//! cache, a service unhealthy before any fault) and step along dependency
//! edges; one that does not is replaced by the shortest such path through
//! affected services.

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};

use super::dist::{Dist, same_atoms};
use super::faults::Fault;
use super::steady::{
    Admission, Conditions, EdgeFlow, Engine, Figures, Outcome, Situation, Solved, State,
};
use crate::model::{
    Criticality, Dependency, Fallback, Mode, Model, Phase, Service, ServiceId, above, at_least,
    below,
};
use crate::text::{duration, number};

/// What kind of cause, in the order that decides between causes of the same
/// state: later variants explain better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// A remark that explains nothing by itself (a cold cache warming).
    Note,
    /// A dependency that is degraded but answers.
    DependencyDegraded,
    /// Hand-offs delayed or a background dependency failing.
    HandOff,
    /// Utilisation high enough to queue.
    Busy,
    /// A backlog draining.
    Draining,
    /// A soft dependency failing.
    SoftFailing,
    /// Spare replicas lost.
    LostReplicas,
    /// Its own work slowed by a fault.
    Slowed,
    /// A cache sending misses on.
    Cache,
    /// A hard dependency failing.
    DependencyFailing,
    /// A dependency adding latency.
    DependencySlow,
    /// A stale copy or a failover in use.
    Fallback,
    /// A breaker open.
    Breaker,
    /// Overloaded or out of threads.
    Overloaded,
    /// Errors injected.
    Errors,
    /// Hung replicas.
    Hung,
    /// Crashed or below quorum.
    Refused,
}

/// A candidate reason for an operation's state.
#[derive(Debug, Clone)]
struct Cause {
    state: State,
    rank: Rank,
    /// Breaks ties within a rank (a share, or seconds added).
    strength: f64,
    text: String,
    chain: Vec<ServiceId>,
}

impl Cause {
    fn new(state: State, rank: Rank, text: String, chain: Vec<ServiceId>) -> Cause {
        Cause {
            state,
            rank,
            strength: 0.0,
            text,
            chain,
        }
    }

    fn strength(mut self, x: f64) -> Cause {
        self.strength = x;
        self
    }

    fn outranks(&self, other: &Cause) -> std::cmp::Ordering {
        self.state
            .cmp(&other.state)
            .then(self.rank.cmp(&other.rank))
            .then(self.strength.total_cmp(&other.strength))
    }
}

/// `12.5%`, `99.95%`, `100%`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 99.0 && p < 100.0 {
        format!("{}%", number((p * 100.0).floor() / 100.0))
    } else if p > 0.0 && p < 1.0 {
        format!("{}%", number((p * 100.0).round() / 100.0))
    } else {
        format!("{}%", number(p.round()))
    }
}

/// `250ms`, `2.4s`, `∞`; past a million seconds (eleven days), the
/// order of magnitude: `4.1e38s`.
pub fn latency(seconds: f64) -> String {
    if seconds.is_infinite() {
        "∞".into()
    } else if seconds >= 1e6 {
        format!("{seconds:.1e}s")
    } else if seconds < 1.0 {
        format!("{}ms", number((seconds * 1000.0 * 10.0).round() / 10.0))
    } else {
        format!("{}s", number((seconds * 100.0).round() / 100.0))
    }
}

/// A time for people, rounded to what matters: `450ms`, `12s`, `4m10s`,
/// `2h15m`, `∞`.
pub fn lasting(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "∞".into();
    }
    if seconds < 1.0 {
        return format!("{}ms", (seconds * 1000.0).round());
    }
    if seconds < 10.0 {
        return format!("{}s", number((seconds * 10.0).round() / 10.0));
    }
    if seconds < 3600.0 {
        return duration(seconds.round());
    }
    duration((seconds / 60.0).round() * 60.0)
}

/// A rate for people: `2,400`, `12.3`; from a million billion up, the
/// order of magnitude (`1.0e18`).
pub fn rate(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x >= 1e15 {
        format!("{x:.1e}")
    } else if x >= 100.0 {
        format_thousands(x.round())
    } else {
        number((x * 10.0).round() / 10.0)
    }
}

fn format_thousands(x: f64) -> String {
    let digits = format!("{}", x as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every service's and operation's figures as their causes give them,
/// before chains are mended: what a later explanation copies for the
/// services whose inputs it finds unchanged (see [`Engine::explain`]).
#[derive(Debug, Clone)]
pub(crate) struct Explained {
    services: Vec<Figures>,
    operations: Vec<Vec<Figures>>,
}

/// Everything one explanation reads.
struct Scene<'a, 'm> {
    engine: &'a Engine<'m>,
    faults: &'a [Fault],
    cond: &'a Conditions,
    situation: &'a Situation,
    s: &'a Solved,
    baseline: &'a Solved,
    services: Vec<Option<Figures>>,
    operations: Vec<Vec<Option<Figures>>>,
}

/// The fault-free explanation, and what a faulted one has found to differ
/// from it so far.
struct Before<'a> {
    explained: &'a Explained,
    /// Per service: its operations' outcomes are the fault-free ones, bit
    /// for bit.
    same_outcomes: Vec<bool>,
    /// Per service: its figures, or one of its operations', differ in
    /// state or chain from the fault-free ones (what callers read of
    /// them); false until its region is explained.
    figures_changed: Vec<bool>,
}

impl Engine<'_> {
    /// States, reasons and chains for a solved run.
    ///
    /// With `before`, the fault-free explanation of `baseline` (unmended):
    /// a region of services whose explanation would read exactly what that
    /// one read is not explained again but copied from it, so that a
    /// single fault costs the explanation of what it changed. The copies
    /// are what explaining again would give, bit for bit.
    pub(crate) fn explain(
        &self,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
        baseline: &Solved,
        before: Option<&Explained>,
    ) -> Outcome {
        let explained = self.explained(faults, cond, situation, s, baseline, before);
        let mut outcome = Outcome {
            converged: s.converged,
            iterations: s.iterations,
            services: explained.services,
            operations: explained.operations,
            edges: Vec::new(),
            admission: Vec::new(),
        };
        let starts = self.trouble_starts(faults, cond, baseline);
        self.mend_chains(&starts, s, baseline, &mut outcome);
        outcome
    }

    /// Every service's and operation's figures, with chains as their
    /// causes give them (not yet mended); `before` as for
    /// [`Engine::explain`].
    pub(crate) fn explained(
        &self,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
        baseline: &Solved,
        before: Option<&Explained>,
    ) -> Explained {
        let model = self.model;
        let mut scene = Scene {
            engine: self,
            faults,
            cond,
            situation,
            s,
            baseline,
            services: vec![None; model.services().len()],
            operations: model
                .services()
                .iter()
                .map(|sv| vec![None; sv.operations.len()])
                .collect(),
        };
        // Cuts, cold caches and a timeline's stateful parts change what an
        // explanation reads beyond the solved numbers: those are explained
        // in full.
        let comparable = || {
            cond.cuts.is_empty()
                && !faults.iter().any(|f| matches!(f, Fault::Cold { .. }))
                && *situation == Situation::at_fault_start(model, &[])
        };
        let mut before = before
            .filter(|_| comparable())
            .map(|explained| self.before(explained, s, baseline));
        let links = self.links();
        for (r, group) in links.groups.iter().enumerate() {
            if let Some(b) = &before
                && scene.reads_as_before(r, b)
            {
                for &id in group {
                    let i = id.index();
                    scene.services[i] = Some(b.explained.services[i].clone());
                    for (slot, f) in scene.operations[i]
                        .iter_mut()
                        .zip(&b.explained.operations[i])
                    {
                        *slot = Some(f.clone());
                    }
                }
                continue;
            }
            scene.explain_group(group);
            if let Some(b) = &mut before {
                for &id in group {
                    b.figures_changed[id.index()] = scene.figures_changed(id, b.explained);
                }
            }
        }
        Explained {
            services: scene
                .services
                .into_iter()
                .map(|f| f.expect("every service explained"))
                .collect(),
            operations: scene
                .operations
                .into_iter()
                .map(|ops| {
                    ops.into_iter()
                        .map(|f| f.expect("every operation explained"))
                        .collect()
                })
                .collect(),
        }
    }

    /// What a copy of the fault-free explanation is checked against: which
    /// services' outcomes are the fault-free ones bit for bit.
    fn before<'x>(&self, explained: &'x Explained, s: &Solved, baseline: &Solved) -> Before<'x> {
        Before {
            explained,
            same_outcomes: self
                .model
                .service_ids()
                .map(|id| {
                    self.ops
                        .ops(id)
                        .all(|o| same_atoms(self.op_atoms(s, o), self.op_atoms(baseline, o)))
                })
                .collect(),
            figures_changed: vec![false; self.model.services().len()],
        }
    }

    /// Where trouble can start: the services faults touch (a cut's callee,
    /// a cold cache), surging entry points, and services unhealthy before
    /// any fault.
    fn trouble_starts(&self, faults: &[Fault], cond: &Conditions, baseline: &Solved) -> Vec<bool> {
        let model = self.model;
        let mut starts: Vec<bool> = cond.touched_by.iter().map(|t| !t.is_empty()).collect();
        for f in faults {
            match f {
                Fault::Surge {
                    entry: Some(id), ..
                } => starts[id.index()] = true,
                Fault::Surge { entry: None, .. } => {
                    for e in model.entry_points() {
                        starts[e.index()] = true;
                    }
                }
                Fault::Down { .. }
                | Fault::Hang { .. }
                | Fault::Slow { .. }
                | Fault::Errors { .. }
                | Fault::Cut { .. }
                | Fault::Cold { .. } => {}
            }
        }
        // Before any fault: services the baseline finds in trouble of
        // their own (past capacity, or turning away enough to degrade).
        let t = model.thresholds;
        for id in model.service_ids() {
            let a = &baseline.admission[id.index()];
            if a.overloaded() || a.wait.is_infinite() || below(1.0 - a.block, t.degraded_below) {
                starts[id.index()] = true;
            }
        }
        starts
    }

    /// Replaces every chain that does not start where trouble starts, or
    /// that steps between services sharing no dependency, by the shortest
    /// path from a start through affected services (ties broken by name).
    fn mend_chains(&self, starts: &[bool], s: &Solved, baseline: &Solved, outcome: &mut Outcome) {
        let model = self.model;
        let n = model.services().len();
        let links = self.links();
        // Each service's load, now and before any fault.
        let loads: Vec<(f64, f64)> = model
            .service_ids()
            .map(|id| {
                (
                    self.service_total(&s.op_load, id),
                    self.service_total(&baseline.op_load, id),
                )
            })
            .collect();
        let affected: Vec<bool> = (0..n)
            .map(|i| {
                let (load, before) = loads[i];
                starts[i]
                    || outcome.services[i].state != State::Healthy
                    || (load - before).abs() > 0.01 * before.max(1e-9)
            })
            .collect();
        let valid = |chain: &[ServiceId]| {
            chain.first().is_some_and(|c| starts[c.index()])
                && chain
                    .windows(2)
                    .all(|w| links.neighbours[w[0].index()].binary_search(&w[1]).is_ok())
        };
        // Failures travel from callee to caller: a path along calls first;
        // load travels down too (a surge, retries), so a path that also
        // steps from a caller into a callee whose load rose, when there is
        // none. Through a service that looks healthy only when nothing else
        // leads there (a caller no load reaches sees a path the loaded
        // contexts do not, e.g. into a cycle). A step down into a callee
        // whose load did not rise is never taken: nothing travelled it.
        let rose: Vec<bool> = loads
            .iter()
            .map(|&(load, before)| load - before > 0.01 * before.max(1e-9))
            .collect();
        let ways = [
            Way::new(starts, Some(&affected), links, None),
            Way::new(starts, Some(&affected), links, Some(&rose)),
            Way::new(starts, None, links, None),
        ];
        let mut nearest: [Option<Nearest>; 3] = [None, None, None];
        let mut mended: Vec<Option<Vec<ServiceId>>> = vec![None; n];
        let mut path_to = |id: ServiceId| -> Vec<ServiceId> {
            if let Some(p) = &mended[id.index()] {
                return p.clone();
            }
            if starts[id.index()] {
                return vec![id];
            }
            let p = ways
                .iter()
                .zip(&mut nearest)
                .find_map(|(way, nearest)| {
                    nearest
                        .get_or_insert_with(|| Nearest::new(way))
                        .path(way, id)
                })
                .unwrap_or(vec![id]);
            mended[id.index()] = Some(p.clone());
            p
        };
        // A chain that does not start where trouble starts keeps what its
        // explanation found after its head (the dependency it names), with
        // the way from a start to that head in front, loops cut; only when
        // that is no chain either is the whole way searched for.
        let mut mend = |chain: &[ServiceId], id: ServiceId| -> Vec<ServiceId> {
            let mut spliced = path_to(chain[0]);
            spliced.extend_from_slice(&chain[1..]);
            let spliced = without_loops(spliced);
            if valid(&spliced) && spliced.last() == Some(&id) {
                spliced
            } else {
                path_to(id)
            }
        };
        for (i, f) in outcome.services.iter_mut().enumerate() {
            if f.chain.is_empty() || valid(&f.chain) {
                continue;
            }
            f.chain = mend(&f.chain, ServiceId(i as u32));
        }
        for (i, ops) in outcome.operations.iter_mut().enumerate() {
            for f in ops.iter_mut() {
                if f.chain.is_empty() || valid(&f.chain) {
                    continue;
                }
                f.chain = mend(&f.chain, ServiceId(i as u32));
            }
        }
    }
}

/// A model's dependency links, as chains step along them (alternatives and
/// `on_miss` included): built once per engine.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// Per service: the services it calls, sorted by id.
    callees: Vec<Vec<ServiceId>>,
    /// Per service: the services that call it.
    callers: Vec<Vec<ServiceId>>,
    /// Per service: the services it shares a dependency with (either
    /// direction), sorted by id.
    neighbours: Vec<Vec<ServiceId>>,
    /// The order services are explained in: groups that call one another
    /// round (strongly connected over every link a running service's
    /// explanation reads: any phase or mode but `startup`), each after
    /// every group it calls; members in the steady state's region order
    /// (callees first along request paths), then by name (not by id: ids
    /// follow the file's order, and inside a cycle the order decides
    /// which member's chain another's extends).
    groups: Vec<Vec<ServiceId>>,
    /// Per service: its group.
    group_of: Vec<u32>,
    /// Per service: its place in name order, which breaks ties between
    /// equally short ways (ids follow the file's order, names do not).
    rank: Vec<u32>,
}

impl Links {
    /// Indexes a model's links; `region_of` is each service's request-path
    /// region ([`super::steady::contexts::Contexts`]).
    pub(crate) fn new(model: &Model, region_of: &[u32]) -> Links {
        let n = model.services().len();
        let mut callees: Vec<BTreeSet<ServiceId>> = vec![BTreeSet::new(); n];
        for id in model.service_ids() {
            let set = &mut callees[id.index()];
            for dep in model
                .service(id)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
            {
                set.insert(dep.target.service);
                if let Some(Fallback::Failover { to }) = dep.fallback {
                    set.insert(to);
                }
                if let Some(c) = &dep.cache {
                    set.insert(c.on_miss);
                }
            }
            set.remove(&id);
        }
        let mut callers: Vec<Vec<ServiceId>> = vec![Vec::new(); n];
        let mut neighbours = callees.clone();
        for id in model.service_ids() {
            for &t in &callees[id.index()] {
                callers[t.index()].push(id);
                neighbours[t.index()].insert(id);
            }
        }
        let sorted = |sets: Vec<BTreeSet<ServiceId>>| -> Vec<Vec<ServiceId>> {
            sets.into_iter().map(|s| s.into_iter().collect()).collect()
        };
        let callees = sorted(callees);
        let mut by_name: Vec<ServiceId> = model.service_ids().collect();
        by_name.sort_by(|a, b| model.service(*a).name.cmp(&model.service(*b).name));
        let mut rank = vec![0; n];
        for (r, id) in by_name.iter().enumerate() {
            rank[id.index()] = r as u32;
        }
        let (groups, group_of) = explanation_groups(model, region_of, &rank);
        Links {
            rank,
            callees,
            callers,
            neighbours: sorted(neighbours),
            groups,
            group_of,
        }
    }
}

/// The groups of services that call one another round, each listed after
/// every group it calls: what a service's explanation reads of another
/// (its state, its chain) is then always there, whichever order the file
/// lists them in and whatever the link's phase (a background dependency
/// is off the request path, and so outside the steady state's regions).
///
/// A monitor that polls every service and is sent their heartbeats makes
/// one large group; its members go in request-path order, so the rounds
/// that settle a group (see [`Scene::explain_group`]) find each callee on
/// a request path explained already, and only the links off it wait for
/// the next round.
fn explanation_groups(
    model: &Model,
    region_of: &[u32],
    rank: &[u32],
) -> (Vec<Vec<ServiceId>>, Vec<u32>) {
    use petgraph::graph::{DiGraph, NodeIndex};
    let n = model.services().len();
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
    for _ in 0..n {
        g.add_node(());
    }
    for id in model.service_ids() {
        let from = NodeIndex::new(id.index());
        for t in called(model, id, |d| d.phase != Phase::Startup) {
            if t != id {
                g.add_edge(from, NodeIndex::new(t.index()), ());
            }
        }
    }
    let order = region_order(model, region_of, rank);
    // Kosaraju lists components callees first.
    let mut groups: Vec<Vec<ServiceId>> = petgraph::algo::kosaraju_scc(&g)
        .into_iter()
        .map(|c| {
            let mut ids: Vec<ServiceId> =
                c.into_iter().map(|x| ServiceId(x.index() as u32)).collect();
            ids.sort_by_key(|id| {
                let r = region_of[id.index()] as usize;
                (order[r], rank[id.index()])
            });
            ids
        })
        .collect();
    groups.retain(|c| !c.is_empty());
    let mut group_of = vec![0; n];
    for (i, group) in groups.iter().enumerate() {
        for id in group {
            group_of[id.index()] = i as u32;
        }
    }
    (groups, group_of)
}

/// The services a service's dependencies that `keep` takes call: each
/// target, and its alternative (a failover's `to`, a cache's `on_miss`) as
/// the steady state's regions see it ([`super::steady::contexts::alternative`]).
fn called<'m>(
    model: &'m Model,
    id: ServiceId,
    keep: impl Fn(&crate::model::Dependency) -> bool + 'm,
) -> impl Iterator<Item = ServiceId> + 'm {
    model
        .service(id)
        .operations
        .iter()
        .flat_map(|o| &o.depends_on)
        .filter(move |d| keep(d))
        .flat_map(|dep| {
            std::iter::once(dep.target.service).chain(super::steady::contexts::alternative(dep))
        })
}

/// Per request-path region, its place in an order that lists callees first
/// and owes nothing to the file's order: by height (0 for a region that
/// calls no other, else one more than the highest it calls), then by its
/// first member's name. (The regions' own indices are callees first too,
/// but regions with no request path between them follow the file.)
fn region_order(model: &Model, region_of: &[u32], rank: &[u32]) -> Vec<(u32, u32)> {
    let regions = region_of.iter().map(|&r| r as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<ServiceId>> = vec![Vec::new(); regions];
    for id in model.service_ids() {
        members[region_of[id.index()] as usize].push(id);
    }
    let mut height = vec![0u32; regions];
    let mut first = vec![u32::MAX; regions];
    // Region indices list callees first, so every callee's height is final
    // when its callers read it.
    for (r, ids) in members.iter().enumerate() {
        for &id in ids {
            first[r] = first[r].min(rank[id.index()]);
            for t in called(model, id, |d| d.phase == Phase::Request) {
                let c = region_of[t.index()] as usize;
                if c < r {
                    height[r] = height[r].max(height[c] + 1);
                }
            }
        }
    }
    height.into_iter().zip(first).collect()
}

/// The reason an operation in `state` gives, and its chain, from its
/// candidate causes (its own, then its dependencies' from `stops_after` on,
/// in call order; `None`: called at once).
fn reason(
    causes: &[Cause],
    id: ServiceId,
    state: State,
    stops_after: Option<usize>,
) -> (String, Vec<ServiceId>) {
    // Among equals the first listed wins ([`strongest`]): its own
    // causes, then its dependencies in call order, and a request stops
    // at its first failed hard call, so a later dependency that fails
    // as badly was never reached.
    // A cause whose chain already passes through this service is its
    // own trouble come back round a cycle (an echo): another that
    // explains the state as well goes first, and is not followed by
    // the echo as a second reason.
    let fits = |c: &Cause| {
        c.state >= state.min(State::Degraded) || (state == State::Slow && c.state == State::Slow)
    };
    let echo = |c: &Cause| {
        c.chain
            .split_last()
            .is_some_and(|(_, before)| before.contains(&id))
    };
    let pick = strongest(causes, |_, c| fits(c) && !echo(c))
        .or_else(|| strongest(causes, |_, c| fits(c)))
        .or_else(|| strongest(causes, |_, _| true));
    let (because, chain) = match pick {
        Some((at, c)) if state != State::Healthy || !c.text.is_empty() => {
            // A second reason of the same severity completes the story
            // ("serving stale copies; also cache misses fail") — but
            // not a dependency after one that stops every request:
            // that one is never called.
            let also = strongest(causes, |i, o| {
                o.state == c.state
                    && o.text != c.text
                    && (echo(c) || !echo(o))
                    && o.state >= State::Degraded
                    && !(c.state == State::Down
                        && stops_after.is_some_and(|first| at >= first && i > at))
            });
            let text = match also {
                Some((_, o)) => format!("{}; also {}", c.text, o.text),
                None => c.text.clone(),
            };
            (text, c.chain.clone())
        }
        _ => (String::new(), Vec::new()),
    };
    (because, chain)
}

/// The cause that outranks the others among those `keep` takes (by index
/// and cause), with its index; of equals, the first listed.
fn strongest(causes: &[Cause], keep: impl Fn(usize, &Cause) -> bool) -> Option<(usize, &Cause)> {
    // `max_by` keeps the last of equals: read backwards.
    causes
        .iter()
        .enumerate()
        .rev()
        .filter(|&(i, c)| keep(i, c))
        .max_by(|a, b| a.1.outranks(b.1))
}

/// A chain with every loop cut out: where a service comes again, what lay
/// between its two visits goes (its neighbours stay neighbours).
fn without_loops(chain: Vec<ServiceId>) -> Vec<ServiceId> {
    let mut out: Vec<ServiceId> = Vec::with_capacity(chain.len());
    for x in chain {
        match out.iter().position(|&y| y == x) {
            Some(p) => out.truncate(p + 1),
            None => out.push(x),
        }
    }
    out
}

/// One way a mended chain may go: from the trouble starts to callers
/// along calls and, with `rose`, from callers into callees whose load rose
/// — through the services `through` allows (every one, when `None`).
struct Way<'a> {
    starts: &'a [bool],
    through: Option<&'a [bool]>,
    links: &'a Links,
    /// Per service: whether its load rose, so that load may have carried
    /// trouble down into it (`None`: failures only, callee to caller).
    rose: Option<&'a [bool]>,
}

impl<'a> Way<'a> {
    fn new(
        starts: &'a [bool],
        through: Option<&'a [bool]>,
        links: &'a Links,
        rose: Option<&'a [bool]>,
    ) -> Way<'a> {
        Way {
            starts,
            through,
            links,
            rose,
        }
    }

    fn allows(&self, id: ServiceId) -> bool {
        self.through.is_none_or(|t| t[id.index()])
    }

    fn rose(&self, id: ServiceId) -> bool {
        self.rose.is_some_and(|r| r[id.index()])
    }

    /// The services trouble may have come to `to` from: its callees, and
    /// its callers when its load rose (unordered).
    fn from(&self, to: ServiceId) -> impl Iterator<Item = ServiceId> + '_ {
        let up: &[ServiceId] = if self.rose(to) {
            &self.links.callers[to.index()]
        } else {
            &[]
        };
        self.links.callees[to.index()].iter().chain(up).copied()
    }

    /// The services trouble at `y` may go on to: its callers, and those of
    /// its callees whose load rose (unordered).
    fn onto(&self, y: ServiceId) -> impl Iterator<Item = ServiceId> + '_ {
        let down: &[ServiceId] = if self.rose.is_some() {
            &self.links.callees[y.index()]
        } else {
            &[]
        };
        self.links.callers[y.index()]
            .iter()
            .copied()
            .chain(down.iter().copied().filter(|&c| self.rose(c)))
    }
}

/// Every service's distance to its nearest trouble start along a [`Way`]
/// (`u32::MAX`: none), from one breadth-first search back from all the
/// starts at once: each mended chain then costs its own length, not a
/// search of its own.
struct Nearest {
    distance: Vec<u32>,
}

impl Nearest {
    fn new(way: &Way) -> Nearest {
        let n = way.starts.len();
        let mut distance = vec![u32::MAX; n];
        let mut queue = VecDeque::new();
        for (i, &start) in way.starts.iter().enumerate() {
            let id = ServiceId(i as u32);
            if start && way.allows(id) {
                distance[i] = 0;
                queue.push_back(id);
            }
        }
        while let Some(y) = queue.pop_front() {
            for x in way.onto(y) {
                if distance[x.index()] == u32::MAX && way.allows(x) {
                    distance[x.index()] = distance[y.index()] + 1;
                    queue.push_back(x);
                }
            }
        }
        Nearest { distance }
    }

    /// The shortest path from a trouble start to `to` (which the way need
    /// not allow), if there is one; of those, the one whose steps from `to`
    /// come first by name, first step first (so that the file's order of
    /// services does not choose).
    fn path(&self, way: &Way, to: ServiceId) -> Option<Vec<ServiceId>> {
        if way.starts[to.index()] {
            return Some(vec![to]);
        }
        let nearer = |at: ServiceId, d: u32| {
            way.from(at)
                .filter(|&y| self.distance[y.index()] == d && way.allows(y))
                .min_by_key(|y| way.links.rank[y.index()])
        };
        let first = way
            .from(to)
            .filter(|&y| way.allows(y))
            .map(|y| self.distance[y.index()])
            .min()
            .filter(|&d| d != u32::MAX)?;
        let mut at = nearer(to, first)?;
        let mut path = vec![to, at];
        while self.distance[at.index()] > 0 {
            at = nearer(at, self.distance[at.index()] - 1)?;
            path.push(at);
        }
        path.reverse();
        Some(path)
    }
}

impl Scene<'_, '_> {
    /// Explains a group's services ([`Links`]).
    fn explain_group(&mut self, group: &[ServiceId]) {
        // Inside a cycle a member's callees may not be explained yet (they
        // read as healthy): rounds until no state moves give the least
        // fixed point, whatever order the file lists them in.
        let rounds = if group.len() > 1 { group.len() + 1 } else { 1 };
        let mut previous: Vec<Option<State>> = Vec::new();
        for _ in 0..rounds {
            for &id in group {
                self.explain_service(id);
            }
            let states: Vec<Option<State>> = group
                .iter()
                .flat_map(|&id| {
                    std::iter::once(self.services[id.index()].as_ref().map(|f| f.state)).chain(
                        self.operations[id.index()]
                            .iter()
                            .map(|f| f.as_ref().map(|f| f.state)),
                    )
                })
                .collect();
            if states == previous {
                break;
            }
            previous = states;
        }
    }

    /// Whether explaining group `r` ([`Links`]) would read exactly what the
    /// fault-free explanation read, so that its figures are the fault-free
    /// ones: no fault touches its services; their admissions, their
    /// operations' loads and outcomes and their dependencies' flows are
    /// the fault-free ones, bit for bit; and every service they call (or
    /// send cache misses to) answers as it did, with the same figures as
    /// far as they read them (state and chain) when it lies outside the
    /// group. (Inside the group, every member reading as before, the
    /// rounds replay the fault-free ones.)
    fn reads_as_before(&self, r: usize, before: &Before) -> bool {
        let engine = self.engine;
        let model = engine.model;
        let links = engine.links();
        let answers_as_before = |t: ServiceId| {
            before.same_outcomes[t.index()]
                && (links.group_of[t.index()] as usize == r || !before.figures_changed[t.index()])
        };
        links.groups[r].iter().all(|&id| {
            before.same_outcomes[id.index()]
                && self.own_inputs_as_before(id)
                && model
                    .service(id)
                    .operations
                    .iter()
                    .flat_map(|o| &o.depends_on)
                    .all(|dep| {
                        answers_as_before(dep.target.service)
                            && dep.cache.is_none_or(|c| answers_as_before(c.on_miss))
                    })
        })
    }

    /// Whether what an explanation of `id` reads of its own, its
    /// operations' outcomes aside, is the fault-free solve's (see
    /// [`Scene::reads_as_before`]).
    fn own_inputs_as_before(&self, id: ServiceId) -> bool {
        let (engine, s, b, cond) = (self.engine, self.s, self.baseline, self.cond);
        let i = id.index();
        let bits = |x: &[f64], o: u32| x[o as usize].to_bits();
        cond.touched_by[i].is_empty()
            && cond.crashed[i] == 0
            && cond.hung[i] == 0
            && cond.errors[i] == 0.0
            && cond.slow[i].is_empty()
            && s.admission[i].same_bits(&b.admission[i])
            && engine.ops.ops(id).all(|o| {
                bits(&s.op_load, o) == bits(&b.op_load, o)
                    && bits(&s.op_nominal, o) == bits(&b.op_nominal, o)
            })
            && engine.service_edges(id).all(|e| {
                s.edge_flow(e).bits() == b.edge_flow(e).bits()
                    && s.opened_at.get(&e).map(|x| x.to_bits())
                        == b.opened_at.get(&e).map(|x| x.to_bits())
            })
    }

    /// Whether a service's figures, or one of its operations', differ in
    /// what callers read of them (state, chain) from `before`'s.
    fn figures_changed(&self, id: ServiceId, before: &Explained) -> bool {
        let i = id.index();
        let differ = |now: &Option<Figures>, then: &Figures| {
            now.as_ref()
                .is_none_or(|f| f.state != then.state || f.chain != then.chain)
        };
        differ(&self.services[i], &before.services[i])
            || self.operations[i]
                .iter()
                .zip(&before.operations[i])
                .any(|(now, then)| differ(now, then))
    }

    fn explain_service(&mut self, id: ServiceId) {
        let engine = self.engine;
        let model = engine.model;
        let svc = model.service(id);
        let local = self.local_causes(id);
        let mut op_figures = Vec::with_capacity(svc.operations.len());
        for oi in 0..svc.operations.len() {
            let flat = engine.ops.flat(id, oi);
            let d = engine.op_dist(self.s, flat);
            let mut causes = local.clone();
            causes.extend(self.dependency_causes(id, oi));
            // In turn, a dependency after one that stops every request is
            // never called; at once (`parallel`), every one is.
            let stops_after = if svc.operations[oi].parallel {
                None
            } else {
                Some(local.len())
            };
            let figures = self.operation_figures(id, flat, &d, causes, stops_after);
            op_figures.push(figures);
        }
        let loads: Vec<f64> = engine
            .ops
            .ops(id)
            .map(|o| self.s.op_load[o as usize])
            .collect();
        let nominal: Vec<f64> = engine
            .ops
            .ops(id)
            .map(|o| self.s.op_nominal[o as usize])
            .collect();
        let owned: Vec<Dist> = engine
            .ops
            .ops(id)
            .map(|o| engine.op_dist(self.s, o))
            .collect();
        let dists: Vec<&Dist> = owned.iter().collect();
        let names: Vec<&str> = svc.operations.iter().map(|o| o.name.as_str()).collect();
        let mut figures = service_figures(
            svc.declares_operations,
            &names,
            &op_figures,
            &loads,
            &nominal,
            &dists,
        );
        if engine.approximate_cycle(id) && figures.state != State::Healthy {
            figures.because.push_str(&format!(
                " (in a cycle of {} services, walked once in name order: an approximation)",
                engine.contexts.region(id).services.len()
            ));
        }
        self.services[id.index()] = Some(figures);
        for (oi, f) in op_figures.into_iter().enumerate() {
            self.operations[id.index()][oi] = Some(f);
        }
    }

    /// One operation's figures from its outcome and its candidate causes:
    /// its own first, then its dependencies' from `stops_after` on, in call
    /// order (`None`: called at once).
    fn operation_figures(
        &self,
        id: ServiceId,
        flat: u32,
        d: &Dist,
        causes: Vec<Cause>,
        stops_after: Option<usize>,
    ) -> Figures {
        let t = self.engine.model.thresholds;
        let success = d.success();
        let lat = d.mean_latency();
        let base = self
            .engine
            .op_dist_along(self.baseline, self.s, flat)
            .mean_latency();
        let load = self.s.op_load[flat as usize];
        let nominal = self.s.op_nominal[flat as usize];
        let numeric = numeric_state(success, lat, base, &t);
        let structural = causes
            .iter()
            .map(|c| c.state)
            .max()
            .unwrap_or(State::Healthy);
        // Slow only from the numbers; degraded and down from either.
        let state = numeric.max(if structural == State::Slow {
            State::Healthy
        } else {
            structural.min(State::Degraded)
        });
        let (because, chain) = reason(&causes, id, state, stops_after);
        let because = match (state, because.is_empty()) {
            (State::Down | State::Degraded, true) => {
                format!("{} of requests succeed", percent(success))
            }
            (State::Slow, true) => {
                format!("answers in {} (normally {})", latency(lat), latency(base))
            }
            _ => because,
        };
        let mut chain = if state == State::Healthy {
            Vec::new()
        } else {
            chain
        };
        // An echo's chain ends at its first visit here.
        if let Some(p) = chain.iter().position(|&x| x == id) {
            chain.truncate(p + 1);
        }
        if state != State::Healthy && chain.last() != Some(&id) {
            chain.push(id);
        }
        Figures {
            state,
            success,
            latency_s: lat,
            p99_s: d.quantile(0.99),
            load_rps: load,
            amplification: if nominal > 1e-12 { load / nominal } else { 1.0 },
            because,
            chain,
        }
    }

    /// The flags of the faults that touch a service: ` (--down db)`.
    fn by(&self, id: ServiceId) -> String {
        let flags: Vec<String> = self.cond.touched_by[id.index()]
            .iter()
            .map(|&f| self.faults[f].as_flag())
            .collect();
        if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        }
    }

    /// Causes that sit in the service itself: its faults, its replicas, its load.
    fn local_causes(&self, id: ServiceId) -> Vec<Cause> {
        let a = &self.s.admission[id.index()];
        if let Some(c) = self.refused(id, a) {
            return vec![c];
        }
        [
            self.hung(id, a),
            self.errors(id, a),
            self.slowed(id),
            self.cold(id),
            self.overloaded(id, a),
            self.busy(id, a),
            self.draining(id, a),
            self.lost_replicas(id, a),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn refused(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        if !a.refused {
            return None;
        }
        let svc = self.engine.model.service(id);
        let replicas = self.engine.replicas(id, self.situation);
        let crashed = self.cond.crashed[id.index()].min(replicas);
        let by = self.by(id);
        let text = if crashed >= replicas {
            format!("crashed: every replica is down{by}")
        } else {
            format!(
                "only {} of {replicas} replicas are up and it needs {}{by}",
                replicas - crashed,
                svc.quorum
            )
        };
        Some(Cause::new(State::Down, Rank::Refused, text, vec![id]))
    }

    fn hung(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        if a.hung <= 0.0 {
            return None;
        }
        let by = self.by(id);
        Some(if a.hung >= 1.0 {
            Cause::new(
                State::Down,
                Rank::Hung,
                format!("hung: accepts calls and never answers{by}"),
                vec![id],
            )
        } else {
            Cause::new(
                State::Degraded,
                Rank::Hung,
                format!(
                    "{} of requests land on hung replicas and never return{by}",
                    percent(a.hung)
                ),
                vec![id],
            )
        })
    }

    fn errors(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        if a.errors <= 0.0 {
            return None;
        }
        // Errors degrade only when the share that still succeeds is below
        // the threshold; a smaller share is a note.
        let t = self.engine.model.thresholds;
        let state = if below(1.0 - a.errors, t.degraded_below) {
            State::Degraded
        } else {
            State::Healthy
        };
        let text = format!(
            "{} of its requests fail at once{}",
            percent(a.errors),
            self.by(id)
        );
        Some(Cause::new(state, Rank::Errors, text, vec![id]).strength(a.errors))
    }

    fn slowed(&self, id: ServiceId) -> Option<Cause> {
        if self.cond.slow[id.index()].is_empty() {
            return None;
        }
        let text = format!("its own work is slowed{}", self.by(id));
        Some(Cause::new(State::Slow, Rank::Slowed, text, vec![id]))
    }

    fn cold(&self, id: ServiceId) -> Option<Cause> {
        let cold = self
            .faults
            .iter()
            .any(|f| matches!(f, Fault::Cold { cache, .. } if *cache == id));
        if !cold {
            return None;
        }
        let warm_up = self.warm_up(id);
        let warmth = self
            .situation
            .warmth
            .get(id.index())
            .copied()
            .unwrap_or(1.0);
        let text = format!(
            "cold: its hit ratio climbs back as it warms up ({} to go){}",
            lasting(warm_up * (1.0 - warmth)),
            self.by(id)
        );
        Some(Cause::new(State::Healthy, Rank::Note, text, vec![id]))
    }

    /// The longest `warm_up` of the cache edges that name `id`.
    fn warm_up(&self, id: ServiceId) -> f64 {
        self.engine
            .model
            .services()
            .iter()
            .flat_map(|s| s.operations.iter().flat_map(|o| o.depends_on.iter()))
            .filter(|d| d.target.service == id)
            .filter_map(|d| d.cache.map(|c| c.warm_up_s))
            .fold(0.0, f64::max)
    }

    /// Out of capacity or threads: what is rejected or waits forever, how
    /// long the queue takes to fill, and the retry load that holds it.
    fn overloaded(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        let svc = self.engine.model.service(id);
        let t = self.engine.model.thresholds;
        // A rejection in ten thousand or fewer is no story.
        let rejecting = a.block >= 1e-4;
        let endless = a.wait.is_infinite();
        if !(a.overloaded() || rejecting || endless) {
            return None;
        }
        let holder = self.slowest_dependency(id);
        let text = if !a.overloaded() && !endless {
            // Below capacity, a bounded queue is now and then full.
            format!(
                "its queue of {} is sometimes full at {} of capacity: {} rejected",
                rate(svc.queue.unwrap_or(0.0)),
                percent(a.rho),
                percent(a.block)
            )
        } else {
            format!(
                "{}{}{}{}",
                self.short_of(svc, a, holder),
                self.queue_story(id, a, endless),
                self.retry_hold(id, a),
                self.autoscaling(id, svc)
            )
        };
        let state = if a.filling {
            State::Slow
        } else if a.overloaded() || below(1.0 - a.block, t.degraded_below) {
            State::Degraded
        } else {
            State::Healthy
        };
        // The chain goes through the dependency that holds the threads.
        let chain = match holder {
            Some((e, _)) if a.pool_bound => {
                let dep = self.engine.dep(e);
                let mut c = self.target_chain(dep);
                c.push(id);
                c
            }
            _ => vec![id],
        };
        Some(Cause::new(state, Rank::Overloaded, text, chain))
    }

    /// What an overloaded service is short of: threads (and what holds
    /// them: `holder`, its slowest dependency) or capacity.
    fn short_of(&self, svc: &Service, a: &Admission, holder: Option<(usize, f64)>) -> String {
        if !a.pool_bound {
            return format!(
                "overloaded: {} rps per replica against a capacity of {}",
                rate(a.per_replica),
                rate(a.throughput)
            );
        }
        let concurrency = svc.concurrency.unwrap_or(0.0);
        let waiting = holder.map_or(String::new(), |(e, lat)| {
            let dep = self.engine.dep(e);
            let name = &self.engine.model.service(dep.target.service).name;
            match &dep.cache {
                Some(c) => format!(
                    ", {} of it on {name} lookups and their misses to {}",
                    latency(lat),
                    self.engine.model.service(c.on_miss).name
                ),
                None => {
                    let bound = dep.timeout_s.map_or("without a timeout".to_string(), |t| {
                        format!("up to {}", duration(t))
                    });
                    format!(", {} of it waiting on {name} ({bound})", latency(lat))
                }
            }
        });
        format!(
            "pool exhausted: needs {} in flight per replica, holds {}, because requests take {} each{waiting}",
            rate(a.per_replica * a.held),
            rate(concurrency),
            latency(a.held)
        )
    }

    /// An overloaded service that autoscaling will grow: the steady state
    /// takes the replicas as they are when the faults begin (as it takes
    /// the other stateful parts), so it says what comes and when; the
    /// timeline (`--for`) adds them.
    fn autoscaling(&self, id: ServiceId, svc: &Service) -> String {
        let Some(scale) = svc.autoscale else {
            return String::new();
        };
        if self.situation.step_s > 0.0 {
            // A timeline step: the timeline adds them when they come.
            return String::new();
        }
        let extra = self
            .situation
            .extra_replicas
            .get(id.index())
            .copied()
            .unwrap_or(0);
        if svc.replicas + extra >= scale.max_replicas {
            return String::new();
        }
        format!(
            "; autoscaling adds a replica after {} (up to {}; the timeline shows it)",
            duration(scale.delay_s),
            scale.max_replicas
        )
    }

    /// What the queue of an overloaded service does: fills (and when it is
    /// full), grows without end, or rejects.
    fn queue_story(&self, id: ServiceId, a: &Admission, endless: bool) -> String {
        let serving = f64::from(a.serving);
        let excess = (a.per_replica - a.throughput) * serving;
        if a.filling {
            // As the step leaves it (a sample at t reads the state after
            // step t): at the onset the excess of the first step is there.
            let backlog = a.backlog;
            match self.engine.model.service(id).queue {
                Some(_) => {
                    let room = a.occupancy * serving;
                    format!(
                        "; its queue is filling ({} of {} queued), full in {}",
                        rate(backlog),
                        rate(room),
                        lasting(a.time_to_grow(backlog, room))
                    )
                }
                None if backlog / serving >= a.walk_until() => format!(
                    "; {} requests queued and growing by {} a second",
                    rate(backlog),
                    rate(excess)
                ),
                None => format!(
                    "; {} requests queued, growing with the square root of time (near capacity a queue grows as a random walk)",
                    rate(backlog)
                ),
            }
        } else if endless {
            if a.pool_bound {
                "; the queue grows without end"
            } else {
                "; with no queue bound the backlog grows without end"
            }
            .to_string()
        } else {
            // (A queue of a request or two fills at once: nothing to say.)
            let fill_s = if excess >= 0.0 && a.serving > 0 {
                a.time_to_grow(0.0, a.occupancy * serving)
            } else {
                0.0
            };
            let fill = if fill_s >= 0.01 {
                format!(" (its queue fills in {})", lasting(fill_s))
            } else {
                String::new()
            };
            format!("; {} rejected{fill}", percent(a.block))
        }
    }

    /// A load held above capacity by retries (a metastable state), or
    /// nothing.
    fn retry_hold(&self, id: ServiceId, a: &Admission) -> String {
        let load = self.engine.service_total(&self.s.op_load, id);
        let nominal = self.engine.service_total(&self.s.op_nominal, id);
        if nominal > 0.0 && load >= 1.5 * nominal && a.overloaded() {
            format!(
                "; retry load {} rps against {} rps of capacity (users send {} rps)",
                rate(load * (1.0 - a.hung)),
                rate(a.throughput * f64::from(a.serving)),
                rate(nominal)
            )
        } else {
            String::new()
        }
    }

    fn busy(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        if a.overloaded() || a.rho < 0.8 || a.wait <= 0.0 || a.block > 0.0 {
            return None;
        }
        let text = format!(
            "busy: {} of capacity in use, requests queue {} on average",
            percent(a.rho),
            latency(a.wait)
        );
        Some(Cause::new(State::Slow, Rank::Busy, text, vec![id]))
    }

    fn draining(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        let backlog = self.situation.backlog.get(id.index()).copied().flatten()?;
        if a.overloaded() || backlog <= 0.5 {
            return None;
        }
        if backlog.is_infinite() {
            // Over capacity with no queue bound before t = 0: the backlog
            // grew without end, and no spare capacity drains that.
            let text = "its queue grew without end while it was over capacity (before t = 0), and no spare capacity drains an endless queue: requests wait forever (`flush` empties it)".to_string();
            return Some(Cause::new(State::Down, Rank::Draining, text, vec![id]));
        }
        let serving = f64::from(a.serving);
        let spare = (a.throughput - a.per_replica) * serving;
        let text = format!(
            "draining a backlog of {} queued requests: clear in {}",
            rate(backlog),
            lasting(backlog / spare)
        );
        Some(Cause::new(State::Slow, Rank::Draining, text, vec![id]))
    }

    fn lost_replicas(&self, id: ServiceId, a: &Admission) -> Option<Cause> {
        let svc = self.engine.model.service(id);
        let i = id.index();
        let replicas = self.engine.replicas(id, self.situation);
        let crashed = self.cond.crashed[i].min(replicas);
        let lost = crashed + self.cond.hung[i].min(replicas - crashed);
        // A bounded queue always turns a few away (M/M/c/K): only a share
        // that degrades the service is a story other than the lost spare.
        let t = self.engine.model.thresholds;
        if lost == 0
            || a.refused
            || below(1.0 - a.block, t.degraded_below)
            || a.overloaded()
            || a.hung > 0.0
        {
            return None;
        }
        let load = self.engine.service_total(&self.s.op_load, id);
        let util = svc
            .capacity
            .map(|c| format!(" at {} of capacity", percent(a.per_replica / c)))
            .unwrap_or_default();
        let left = replicas - lost;
        let carry = if load <= 0.0 {
            String::new()
        } else if left == 1 {
            format!("; the last replica carries {} rps{util}", rate(load))
        } else {
            format!("; the other {left} carry {} rps{util}", rate(load))
        };
        let text = format!("lost {lost} of {replicas} replicas{carry}{}", self.by(id));
        Some(Cause::new(State::Slow, Rank::LostReplicas, text, vec![id]))
    }

    /// The chain of a dependency's target: its own, or just the target.
    fn target_chain(&self, dep: &Dependency) -> Vec<ServiceId> {
        let t = dep.target.service;
        let fig = match dep.target.operation {
            Some(o) => self.operations[t.index()][o].as_ref(),
            None => self.services[t.index()].as_ref(),
        };
        match fig {
            Some(f) if !f.chain.is_empty() => f.chain.clone(),
            _ => vec![t],
        }
    }

    /// The state a dependency's target shows this caller (a cut link makes
    /// a healthy target look down).
    fn target_state(&self, id: ServiceId, dep: &Dependency) -> State {
        let t = dep.target.service;
        if self.cond.cut(id, t) {
            return State::Down;
        }
        let fig = match dep.target.operation {
            Some(o) => self.operations[t.index()][o].as_ref(),
            None => self.services[t.index()].as_ref(),
        };
        fig.map_or(State::Healthy, |f| f.state)
    }

    /// What a dependency's target answers (over its operations).
    fn answer(&self, dep: &Dependency, s: &Solved) -> Dist {
        self.answer_by(dep, |o| self.engine.op_dist(s, o))
    }

    /// What `dep`'s target answered before the fault along the paths its
    /// requests take now ([`Engine::op_dist_along`]): the "normally" its
    /// callers' causes quote, the same as the target's own figures.
    fn answer_before(&self, dep: &Dependency) -> Dist {
        self.answer_by(dep, |o| self.engine.op_dist_along(self.baseline, self.s, o))
    }

    /// What `dep`'s target answers, each flat operation's answer given by
    /// `op_dist`.
    fn answer_by(&self, dep: &Dependency, op_dist: impl Fn(u32) -> Dist) -> Dist {
        let engine = self.engine;
        let t = dep.target;
        match t.operation {
            Some(o) => op_dist(engine.ops.flat(t.service, o)),
            None => {
                let weights = super::steady::split_weights(engine.model, t.service);
                let dists: Vec<Dist> = engine.ops.ops(t.service).map(op_dist).collect();
                let parts: Vec<(f64, &Dist)> = weights.iter().copied().zip(&dists).collect();
                Dist::mix(&parts)
            }
        }
    }

    /// Causes that come from the operation's dependencies.
    fn dependency_causes(&self, id: ServiceId, oi: usize) -> Vec<Cause> {
        let model = self.engine.model;
        let op = &model.service(id).operations[oi];
        let mut causes = Vec::new();
        for (di, dep) in op.depends_on.iter().enumerate() {
            // Startup edges do not touch a running caller.
            if dep.phase == Phase::Startup {
                continue;
            }
            let e = self.engine.edge_index(id, oi, di);
            let edge = Edge {
                e,
                dep,
                flow: self.s.edge_flow(e),
                target: dep.target.service,
                tstate: self.target_state(id, dep),
                tchain: self.target_chain(dep),
            };
            let waits = dep.phase == Phase::Request
                && (dep.mode == Mode::Sync || self.situation.buffer_full.contains(&e));
            if !waits {
                causes.extend(self.hand_off(id, oi, &edge));
                continue;
            }
            if let Some(c) = self.breaker(id, &edge) {
                causes.push(c);
                continue;
            }
            if dep.cache.is_some() {
                causes.extend(self.cache(id, &edge));
                continue;
            }
            if let Some(c) = self.fallback(id, &edge) {
                causes.push(c);
                continue;
            }
            causes.extend(self.failing(id, &edge));
            causes.extend(self.slower(id, &edge));
        }
        causes
    }

    fn with(&self, chain: &[ServiceId], id: ServiceId) -> Vec<ServiceId> {
        let mut c = chain.to_vec();
        c.push(id);
        c
    }

    fn name(&self, id: ServiceId) -> &str {
        &self.engine.model.service(id).name
    }

    /// An edge's target as its reasons name it: the service, or
    /// `service.operation` where the edge calls one operation (whose
    /// state, not the service's, the reason quotes).
    fn target_name(&self, edge: &Edge) -> Cow<'_, str> {
        let t = edge.dep.target;
        let svc = self.engine.model.service(t.service);
        match t.operation {
            Some(o) => Cow::Owned(format!("{}.{}", svc.name, svc.operations[o].name)),
            None => Cow::Borrowed(&svc.name),
        }
    }

    /// Hand-offs are delayed while the callee is down; a background
    /// dependency that fails degrades its caller.
    fn hand_off(&self, id: ServiceId, oi: usize, edge: &Edge) -> Option<Cause> {
        // A target that is down delays (or loses) what is handed to it;
        // one degraded or slow, that takes every hand-off, does not reach
        // its caller (the structural rules: soft, async and background
        // edges pass only a dead target on), unless its attempts fail.
        // Slow is milder than degraded: were a slow target to degrade its
        // caller, making it worse (degraded) would heal the caller.
        let t = self.engine.model.thresholds;
        if !(edge.tstate == State::Down || above(edge.flow.attempt_failure, 1.0 - t.degraded_below))
        {
            return None;
        }
        let tname = self.target_name(edge);
        let text = if edge.dep.phase == Phase::Background {
            format!("background dependency {tname} is {}", edge.tstate.as_str())
        } else {
            let fill = self.buffer_fill(id, oi, edge);
            format!(
                "hand-offs to {tname} are delayed ({tname} is {}){fill}",
                edge.tstate.as_str()
            )
        };
        Some(Cause::new(
            State::Degraded,
            Rank::HandOff,
            text,
            self.with(&edge.tchain, id),
        ))
    }

    fn breaker(&self, id: ServiceId, edge: &Edge) -> Option<Cause> {
        if !edge.flow.breaker_open {
            return None;
        }
        let tname = self.target_name(edge);
        let b = edge.dep.circuit_breaker?;
        let text = match self.s.opened_at.get(&edge.e) {
            Some(share) => format!(
                "breaker on {tname} is open: calls fail fast ({} of attempts failed with it closed, above its {})",
                percent(*share),
                percent(b.threshold)
            ),
            None if self.situation.forced_open.contains(&edge.e) => format!(
                "breaker on {tname} is open: calls fail fast until its next probe (it stays open {})",
                duration(b.open_for_s)
            ),
            None => format!(
                "breaker on {tname} is open: calls fail fast ({tname} is {})",
                edge.tstate.as_str()
            ),
        };
        let state = if edge.dep.criticality == Criticality::Soft || edge.dep.fallback.is_some() {
            State::Degraded
        } else {
            State::Down
        };
        Some(Cause::new(
            state,
            Rank::Breaker,
            text,
            self.with(&edge.tchain, id),
        ))
    }

    /// "; calls time out after 1s" when some attempts hit the timeout.
    fn timeout_note(&self, edge: &Edge) -> String {
        match edge.dep.timeout_s {
            Some(to) if edge.flow.timed_out > 1e-9 => {
                format!("; calls time out after {}", duration(to))
            }
            _ => String::new(),
        }
    }

    /// With no timeout, a target that never answers (hung, or over a cut
    /// link) never fails a call either: requests wait forever, and a
    /// fallback or a cache's `on_miss` is never reached. Says so, when so.
    fn never_answers(&self, id: ServiceId, edge: &Edge) -> Option<String> {
        if edge.dep.timeout_s.is_some() {
            return None;
        }
        let t = self.engine.model.thresholds;
        let tname = self.target_name(edge);
        let kind = if edge.dep.cache.is_some() {
            "cache "
        } else {
            ""
        };
        if self.cond.cut(id, edge.target) {
            return Some(format!(
                "calls to {kind}{tname} over the cut link never answer and have no timeout"
            ));
        }
        let hung = self.answer(edge.dep, self.s).unbounded_share();
        if !above(hung, 1.0 - t.degraded_below) {
            return None;
        }
        let some = if below(hung, 1.0 - t.down_below) {
            format!("{} of ", percent(hung))
        } else {
            String::new()
        };
        Some(format!(
            "{some}calls to {kind}{tname} never answer and have no timeout"
        ))
    }

    fn cache(&self, id: ServiceId, edge: &Edge) -> Option<Cause> {
        let t = self.engine.model.thresholds;
        let c = edge.dep.cache?;
        let call_fail = 1.0 - edge.flow.success;
        // The structural rule: misses sent to a dead `on_miss` fail, and
        // that degrades the caller however few they are.
        let miss_cut = self.cond.cut(id, c.on_miss);
        let miss_down = miss_cut
            || self.services[c.on_miss.index()]
                .as_ref()
                .is_some_and(|f| f.state == State::Down);
        let misses_fail = miss_down || above(call_fail, 1.0 - t.degraded_below);
        // A caller of a degraded cache, or whose misses go to a degraded
        // service, serves what it gets: degraded (the structural rules).
        let cache_degraded = edge.tstate == State::Degraded;
        let miss_degraded = edge.flow.alt_share > 0.0
            && self.services[c.on_miss.index()]
                .as_ref()
                .is_some_and(|f| f.state == State::Degraded);
        if !(edge.flow.protection_used || misses_fail || cache_degraded || miss_degraded) {
            return None;
        }
        let tname = self.target_name(edge);
        let miss = self.name(c.on_miss);
        let warm = self
            .situation
            .warmth
            .get(edge.target.index())
            .copied()
            .unwrap_or(1.0);
        let cache_failing = edge.tstate == State::Down || edge.flow.attempt_failure > 0.5;
        // A cache call that never answers never goes on to `on_miss`.
        let why = if let Some(never) = self.never_answers(id, edge) {
            format!("{never}: they never go on to {miss}")
        } else if cache_failing {
            let too = match (miss_cut, miss_down) {
                (true, _) => " over a cut link",
                (false, true) => ", which is down too",
                _ => "",
            };
            format!(
                "cache {tname} is {}; every call goes to {miss}{too}",
                edge.tstate.as_str()
            )
        } else if warm < 1.0 && miss_down {
            let how = if miss_cut {
                "over a cut link"
            } else {
                "which is down"
            };
            format!(
                "cache {tname} is cold and its misses go to {miss}, {how}: {} of calls fail",
                percent(call_fail)
            )
        } else if warm < 1.0 {
            format!(
                "cache {tname} is cold: {} of calls miss and go to {miss} until it warms up ({})",
                percent(edge.flow.alt_share),
                lasting(c.warm_up_s * (1.0 - warm))
            )
        } else if miss_down {
            let how = if miss_cut {
                "over a cut link"
            } else {
                "which is down"
            };
            format!(
                "cache misses go to {miss}, {how}: {} of calls fail",
                percent(call_fail)
            )
        } else if misses_fail {
            format!(
                "cache misses go to {miss}, which fails them: {} of calls fail",
                percent(call_fail)
            )
        } else if cache_degraded {
            if edge.flow.protection_used {
                format!(
                    "cache {tname} is degraded: {} of calls miss and go to {miss}",
                    percent(edge.flow.alt_share)
                )
            } else {
                format!("cache {tname} is degraded")
            }
        } else if miss_degraded {
            format!(
                "cache misses ({} of calls) go to {miss}, which is degraded",
                percent(edge.flow.alt_share)
            )
        } else {
            format!(
                "cache {tname} misses {} of calls; they go to {miss}",
                percent(edge.flow.alt_share)
            )
        };
        let state = if !below(call_fail, 1.0 - t.down_below) {
            State::Down
        } else if cache_failing || warm < 1.0 || misses_fail || cache_degraded || miss_degraded {
            State::Degraded
        } else {
            State::Healthy
        };
        // Misses that fail travel from `on_miss`; a cold or failed cache is
        // where the misses start.
        let from_miss = misses_fail || (miss_degraded && !cache_degraded);
        let chain = if from_miss && !cache_failing {
            let miss_fig = self.services[c.on_miss.index()].as_ref();
            let mut chain = miss_fig
                .filter(|f| !f.chain.is_empty())
                .map_or(vec![c.on_miss], |f| f.chain.clone());
            if warm < 1.0 && chain.first() != Some(&edge.target) && chain == vec![c.on_miss] {
                // The cold cache sent the misses that drowned on_miss.
                chain = vec![edge.target, id, c.on_miss];
            }
            chain
        } else {
            edge.tchain.clone()
        };
        let text = format!("{why}{}", self.timeout_note(edge));
        Some(Cause::new(state, Rank::Cache, text, self.with(&chain, id)))
    }

    /// Why calls on a protected edge fail, as the fallback's text opens:
    /// the link is cut, the target is down (or degraded…), or — the target
    /// itself healthy — this caller's calls fail (its timeout, say).
    fn why_calls_fail(&self, id: ServiceId, edge: &Edge) -> String {
        let tname = self.target_name(edge);
        if self.cond.cut(id, edge.target) {
            format!("the link to {} is cut", self.name(edge.target))
        } else if edge.tstate == State::Healthy {
            let f = &edge.flow;
            if f.timed_out > 0.0 {
                format!("{} of calls to {tname} time out", percent(f.timed_out))
            } else {
                format!("{} of calls to {tname} fail", percent(f.attempt_failure))
            }
        } else {
            format!("{tname} is {}", edge.tstate.as_str())
        }
    }

    fn fallback(&self, id: ServiceId, edge: &Edge) -> Option<Cause> {
        if edge.dep.criticality != Criticality::Hard || !edge.flow.protection_used {
            return None;
        }
        let t = self.engine.model.thresholds;
        // Nothing moved to the fallback: what fails waits forever.
        let never = self
            .never_answers(id, edge)
            .filter(|_| edge.flow.alt_share <= 1e-12);
        if let Some(never) = never {
            let what = match edge.dep.fallback.clone()? {
                Fallback::ServeStale { .. } => "the stale copies are never served".to_string(),
                Fallback::Failover { to } => {
                    format!("the failover to {} is never tried", self.name(to))
                }
            };
            let state = if above(1.0 - edge.flow.success, 1.0 - t.down_below) {
                State::Down
            } else {
                State::Degraded
            };
            return Some(Cause::new(
                state,
                Rank::Fallback,
                format!("{never}: {what}"),
                self.with(&edge.tchain, id),
            ));
        }
        let why = self.why_calls_fail(id, edge);
        match edge.dep.fallback.clone()? {
            Fallback::ServeStale { for_s } => {
                let text = format!(
                    "{why}; serving stale copies (fallback, {})",
                    duration(for_s)
                );
                Some(Cause::new(
                    State::Degraded,
                    Rank::Fallback,
                    text,
                    self.with(&edge.tchain, id),
                ))
            }
            Fallback::Failover { to } => {
                let alt = self.name(to);
                let alt_down = above(1.0 - edge.flow.success, 1.0 - t.down_below);
                let text = if alt_down && self.cond.cut(id, to) {
                    format!("{why}, and the link to its failover {alt} is cut")
                } else if alt_down {
                    format!("{why}, and its failover {alt} fails too")
                } else {
                    format!("{why}; failed over to {alt}")
                };
                let state = if alt_down {
                    State::Down
                } else {
                    State::Degraded
                };
                Some(Cause::new(
                    state,
                    Rank::Fallback,
                    text,
                    self.with(&edge.tchain, id),
                ))
            }
        }
    }

    /// A soft dependency whose calls fail degrades its caller — unless,
    /// with no timeout, its calls never end: soft spares the answer, not
    /// the wait, so those requests never end either.
    fn soft_failing(&self, edge: &Edge, tname: &str, chain: Vec<ServiceId>) -> Option<Cause> {
        let t = self.engine.model.thresholds;
        let dep = edge.dep;
        let raw_fail = edge.flow.attempt_failure;
        if !above(raw_fail, 1.0 - t.degraded_below) {
            return None;
        }
        let forever = if dep.timeout_s.is_none() {
            self.answer(dep, self.s).unbounded_share()
        } else {
            0.0
        };
        let cause = if forever > 0.0 {
            let (state, what) = if below(1.0 - forever, t.down_below) {
                (State::Down, "it never answers".to_string())
            } else {
                (
                    State::Degraded,
                    format!("{} of calls never get an answer", percent(forever)),
                )
            };
            let text = format!(
                "waits forever on soft dependency {tname}: {what} and there is no timeout (soft spares the answer, not the wait)"
            );
            Cause::new(state, Rank::DependencyFailing, text, chain)
        } else {
            let text = format!(
                "soft dependency {tname} fails {} of calls; serving without it{}",
                percent(raw_fail),
                self.timeout_note(edge)
            );
            Cause::new(State::Degraded, Rank::SoftFailing, text, chain)
        };
        Some(cause.strength(raw_fail))
    }

    /// A dependency whose calls fail: soft ones degrade, hard ones fail
    /// their share (down when almost all do); a degraded hard dependency
    /// degrades its caller.
    fn failing(&self, id: ServiceId, edge: &Edge) -> Option<Cause> {
        let t = self.engine.model.thresholds;
        let tname = self.target_name(edge);
        let dep = edge.dep;
        let chain = self.with(&edge.tchain, id);
        if dep.criticality == Criticality::Soft {
            return self.soft_failing(edge, &tname, chain);
        }
        let call_fail = 1.0 - edge.flow.success;
        if !above(call_fail, 1.0 - t.degraded_below) {
            if edge.tstate == State::Degraded || edge.tstate == State::Down {
                let text = format!("hard dependency {tname} is {}", edge.tstate.as_str());
                return Some(Cause::new(
                    State::Degraded,
                    Rank::DependencyDegraded,
                    text,
                    chain,
                ));
            }
            return None;
        }
        let cut = self.cond.cut(id, edge.target);
        let answer = self.answer(dep, self.s);
        let text = if cut {
            match dep.timeout_s {
                Some(to) => format!(
                    "the link to {} is cut: calls get no answer and time out after {}",
                    self.name(edge.target),
                    duration(to)
                ),
                None => format!(
                    "the link to {} is cut: calls get no answer and, with no timeout, wait forever",
                    self.name(edge.target)
                ),
            }
        } else if edge.flow.timed_out > 1e-9 && edge.tstate != State::Down {
            format!(
                "calls to {tname} time out after {} ({tname} answers in {}); {} of calls fail",
                duration(dep.timeout_s.unwrap_or(0.0)),
                // What the successes take: fast refusals would pull a mean
                // below the timeout and hide why the calls time out.
                latency(match answer.mean_ok_latency() {
                    0.0 => answer.mean_latency(),
                    ok => ok,
                }),
                percent(call_fail)
            )
        } else if dep.timeout_s.is_none() && answer.has_unbounded() {
            format!("waits forever on {tname}: it never answers and there is no timeout")
        } else {
            format!(
                "hard dependency {tname} is {} ({} of calls fail)",
                edge.tstate.as_str(),
                percent(call_fail)
            )
        };
        let state = if !below(call_fail, 1.0 - t.down_below) {
            State::Down
        } else {
            State::Degraded
        };
        Some(Cause::new(state, Rank::DependencyFailing, text, chain).strength(call_fail))
    }

    /// Latency a dependency adds over its normal.
    fn slower(&self, id: ServiceId, edge: &Edge) -> Option<Cause> {
        let t = self.engine.model.thresholds;
        let before = self.baseline.edge_flow(edge.e).latency;
        let added = edge.flow.latency - before;
        if !(at_least(added, t.slow_min_s) || added.is_infinite()) {
            return None;
        }
        let tname = self.target_name(edge);
        let now = self.answer(edge.dep, self.s).mean_latency();
        let was = self.answer_before(edge.dep).mean_latency();
        // What the target answers is over all its callers; in a cycle the
        // calls from this one may wait on a path the others' do not take
        // (its callee calls back into a slowed service), so the target can
        // answer as fast as ever while these calls are slow: then the text
        // says what these calls take.
        let text = if at_least(now - was, t.slow_min_s) || now.is_infinite() {
            format!(
                "{tname} answers in {} (normally {})",
                latency(now),
                latency(was)
            )
        } else {
            format!(
                "calls to {tname} take {} (normally {})",
                latency(edge.flow.latency),
                latency(before)
            )
        };
        Some(
            Cause::new(
                State::Slow,
                Rank::DependencySlow,
                text,
                self.with(&edge.tchain, id),
            )
            .strength(added.min(1e9)),
        )
    }

    /// The dependency whose calls take longest per request (mean over the
    /// service's operations, weighted by their load), with that time.
    fn slowest_dependency(&self, id: ServiceId) -> Option<(usize, f64)> {
        let engine = self.engine;
        let svc = engine.model.service(id);
        let loads: Vec<f64> = engine
            .ops
            .ops(id)
            .map(|o| self.s.op_load[o as usize])
            .collect();
        let total: f64 = loads.iter().sum();
        let mut best: Option<(usize, f64)> = None;
        for (oi, op) in svc.operations.iter().enumerate() {
            let w = if total > 0.0 {
                loads[oi] / total
            } else {
                1.0 / svc.operations.len() as f64
            };
            for (di, dep) in op.depends_on.iter().enumerate() {
                if dep.phase != Phase::Request || dep.mode != Mode::Sync {
                    continue;
                }
                let e = engine.edge_index(id, oi, di);
                let flow = self.s.edge_flow(e);
                let held = w * flow.made.max(f64::from(dep.calls.min(1))) * flow.latency;
                if best.is_none_or(|(_, b)| held > b) {
                    best = Some((e, held));
                }
            }
        }
        best
    }

    /// "; its buffer of 50,000 fills in 4m10s" for an async edge whose
    /// hand-offs fail: the buffer takes the hand-offs that do not get
    /// through, as the timeline fills it (a slow callee that still takes
    /// every hand-off fills nothing).
    fn buffer_fill(&self, _id: ServiceId, _oi: usize, edge: &Edge) -> String {
        let undelivered = edge.flow.rate * edge.flow.attempt_failure;
        match edge.dep.buffer {
            Some(b) if undelivered > 0.0 => format!(
                "; its buffer of {} fills in {}",
                format_thousands(b),
                lasting(b / undelivered)
            ),
            Some(_) => String::new(),
            None => "; its buffer has no bound".into(),
        }
    }
}

/// One dependency as an explanation reads it.
struct Edge<'a> {
    e: usize,
    dep: &'a Dependency,
    flow: EdgeFlow,
    target: ServiceId,
    tstate: State,
    tchain: Vec<ServiceId>,
}

fn numeric_state(success: f64, lat: f64, base: f64, t: &crate::model::Thresholds) -> State {
    if below(success, t.down_below) {
        State::Down
    } else if below(success, t.degraded_below) {
        State::Degraded
    } else if lat.is_infinite()
        || (at_least(lat, t.slow_factor * base) && at_least(lat - base, t.slow_min_s))
    {
        State::Slow
    } else {
        State::Healthy
    }
}

/// A service's figures from its operations': worst state (down only when all
/// are down), load-weighted success and latency (equal weights at zero load).
fn service_figures(
    declares: bool,
    names: &[&str],
    ops: &[Figures],
    load: &[f64],
    nominal: &[f64],
    dists: &[&Dist],
) -> Figures {
    let total: f64 = load.iter().sum();
    let weights: Vec<f64> = if total > 0.0 {
        load.iter().map(|l| l / total).collect()
    } else {
        vec![1.0 / ops.len() as f64; ops.len()]
    };
    let success = ops
        .iter()
        .zip(&weights)
        .map(|(f, w)| f.success * w)
        .sum::<f64>()
        .clamp(0.0, 1.0);
    let latency_s = if ops
        .iter()
        .zip(&weights)
        .any(|(f, w)| *w > 0.0 && f.latency_s.is_infinite())
    {
        f64::INFINITY
    } else {
        ops.iter().zip(&weights).map(|(f, w)| f.latency_s * w).sum()
    };
    let p99_s = if dists.len() == 1 {
        ops[0].p99_s
    } else {
        let parts: Vec<(f64, &Dist)> = weights.iter().copied().zip(dists.iter().copied()).collect();
        Dist::mix(&parts).quantile(0.99)
    };
    let all_down = ops.iter().all(|f| f.state == State::Down);
    let worst = ops.iter().map(|f| f.state).max().unwrap_or(State::Healthy);
    let state = if worst == State::Down && !all_down {
        State::Degraded
    } else {
        worst
    };
    let nominal_total: f64 = nominal.iter().sum();
    let amplification = if nominal_total > 1e-12 {
        total / nominal_total
    } else {
        1.0
    };
    let (because, chain) = service_cause(declares, names, ops, worst, all_down);
    Figures {
        state,
        success,
        latency_s,
        p99_s,
        load_rps: total,
        amplification,
        because,
        chain,
    }
}

/// A service's cause and chain: those of its worst operation (one with a
/// cause first, then the first listed), prefixed, when the service
/// declares operations, with the operation's name or the operations that
/// are down.
fn service_cause(
    declares: bool,
    names: &[&str],
    ops: &[Figures],
    worst: State,
    all_down: bool,
) -> (String, Vec<ServiceId>) {
    let worst_op = ops
        .iter()
        .enumerate()
        .filter(|(_, f)| f.state == worst)
        .max_by(|a, b| {
            a.1.because
                .is_empty()
                .cmp(&b.1.because.is_empty())
                .reverse()
                .then(b.0.cmp(&a.0))
        });
    match worst_op {
        Some((oi, f)) if declares && worst != State::Healthy => {
            let down: Vec<&str> = ops
                .iter()
                .zip(names)
                .filter(|(f, _)| f.state == State::Down)
                .map(|(_, n)| *n)
                .collect();
            let prefix = if !down.is_empty() && !all_down {
                format!(
                    "operation{} {} down: ",
                    if down.len() == 1 { "" } else { "s" },
                    down.join(", ")
                )
            } else {
                format!("{}: ", names[oi])
            };
            (format!("{prefix}{}", f.because), f.chain.clone())
        }
        Some((_, f)) => (f.because.clone(), f.chain.clone()),
        None => (String::new(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_figures_read_as_orders_of_magnitude() {
        assert_eq!(latency(3.99e38), "4.0e38s");
        assert_eq!(latency(999_999.0), "999999s");
        assert_eq!(rate(1e19), "1.0e19");
        assert_eq!(rate(123_456.0), "123,456");
    }

    #[test]
    fn formats() {
        assert_eq!(percent(0.9995), "99.95%");
        assert_eq!(percent(0.08), "8%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(latency(0.0123), "12.3ms");
        assert_eq!(latency(2.4), "2.4s");
        assert_eq!(latency(f64::INFINITY), "∞");
        assert_eq!(rate(2400.0), "2,400");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(lasting(645.49), "10m45s");
        assert_eq!(lasting(0.4567), "457ms");
        assert_eq!(lasting(7.25), "7.3s");
        assert_eq!(lasting(8130.0), "2h16m");
    }

    /// The path a breadth-first search from `to` meets first (over
    /// `links`, in name order, through `through`): how chains were mended
    /// one search per chain, kept as the law [`Nearest::path`] obeys.
    fn searched(to: ServiceId, way: &Way) -> Option<Vec<ServiceId>> {
        if way.starts[to.index()] {
            return Some(vec![to]);
        }
        let mut previous: Vec<Option<ServiceId>> = vec![None; way.starts.len()];
        let mut seen = vec![false; way.starts.len()];
        seen[to.index()] = true;
        let mut queue = VecDeque::from([to]);
        while let Some(x) = queue.pop_front() {
            let mut from: Vec<ServiceId> = way.from(x).collect();
            from.sort_by_key(|y| way.links.rank[y.index()]);
            for y in from {
                if seen[y.index()] || !way.allows(y) {
                    continue;
                }
                seen[y.index()] = true;
                previous[y.index()] = Some(x);
                if way.starts[y.index()] {
                    let mut path = vec![y];
                    let mut at = y;
                    while let Some(p) = previous[at.index()] {
                        path.push(p);
                        at = p;
                    }
                    return Some(path);
                }
                queue.push_back(y);
            }
        }
        None
    }

    /// One search back from every start gives every service the path its
    /// own breadth-first search would, ties included, on models with
    /// cycles, caches and failovers, for starts and allowed services
    /// drawn at several densities.
    #[test]
    fn nearest_starts_are_what_a_search_from_each_service_meets_first() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut models: Vec<Model> = [(60, 2), (150, 1), (300, 5)]
            .into_iter()
            .map(|(services, seed)| {
                let text = crate::model::generate::generate(crate::model::generate::Spec {
                    services,
                    seed,
                });
                crate::model::load_str(&text, "g.yaml").unwrap().model
            })
            .collect();
        for name in ["social-network.yaml", "online-shop.yaml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name);
            models.push(crate::model::load_file(&path).unwrap().model);
        }
        let mut found = 0;
        for m in &models {
            let links = Links::new(m, &Engine::new(m).contexts.region_of);
            let n = m.services().len();
            for (p_start, p_through) in [(0.01, 0.5), (0.05, 0.3), (0.05, 0.9), (0.2, 0.6)] {
                for _ in 0..8 {
                    let starts: Vec<bool> = (0..n).map(|_| rng.random_bool(p_start)).collect();
                    let through: Vec<bool> = (0..n)
                        .map(|i| starts[i] || rng.random_bool(p_through))
                        .collect();
                    let rose: Vec<bool> = (0..n).map(|_| rng.random_bool(0.4)).collect();
                    for way in [
                        Way::new(&starts, Some(&through), &links, None),
                        Way::new(&starts, Some(&through), &links, Some(&rose)),
                        Way::new(&starts, None, &links, Some(&rose)),
                        Way::new(&starts, None, &links, None),
                    ] {
                        let nearest = Nearest::new(&way);
                        for to in m.service_ids() {
                            let expected = searched(to, &way);
                            found += usize::from(expected.as_ref().is_some_and(|p| p.len() > 2));
                            assert_eq!(nearest.path(&way, to), expected, "{} to {to:?}", m.name);
                        }
                    }
                }
            }
        }
        assert!(found > 1000, "only {found} paths of three or more");
    }
}
