//! Monte Carlo availability (`whatif availability`, docs/review.md): how often each
//! entry point is up when every basic event ([`super::events`]) fails
//! independently with its probability, under the structural rules (docs/engine.md).
//! An entry counts as up in a trial when it is not `down`.
//!
//! # Sampling
//!
//! Trials are split into chunks of [`CHUNK_TRIALS`] (1,024 words of 64
//! lanes; lane `i` of a word is one trial). Chunk `c` draws from its own
//! `ChaCha8Rng` seeded with the seed and switched to stream `c`, for the
//! events in the order of their names (not the file's), so a chunk's
//! trials do not depend on which thread runs it, nor on the order of
//! services in the file; chunks run in parallel
//! (rayon) and their counts are combined in chunk order, so the result is the
//! same, bit for bit, whatever the number of threads.
//!
//! Within a chunk each basic event's failures are placed by geometric
//! skipping: the gap to its next failing trial is drawn from the geometric
//! law of parameter `p` (⌊ln U / ln(1 − p)⌋), so an event costs one draw per
//! failure rather than one per trial — most unavailabilities are 10⁻³…10⁻⁵.
//! Per word, a service's `forced_down` lanes are those in which at least
//! `replicas − quorum + 1` of its replicas failed (a replica fails with its
//! own event or its zone's), counted with a bit-sliced "at least j" ladder;
//! then one [`evaluate_lanes`] gives the 64 trials' states. A word
//! in which no service is down needs no evaluation.
//!
//! Availability is the share of trials in which the entry is up, with the
//! Wilson score interval at 95 % ([`wilson`]).
//!
//! # Importance
//!
//! Birnbaum importance of event `i` for entry `E` is
//! `P(E up | i up) − P(E up | i down)`: the probability that `i` is
//! *critical*, i.e. that flipping it alone flips `E` (the structural rules
//! are monotone). It is estimated in the same pass, per trial:
//!
//! - An event acts only through its service (a zone, through the services it
//!   hosts). For the own event of a replica of service `s`, "i critical" is
//!   "i pivotal for `s`" (the other replicas sit exactly one failure short of
//!   taking `s` down, and i's zone is up) times "`s` critical for `E`". The
//!   first factor is independent of the second given the zones' states, so
//!   it is replaced by its exact conditional probability (a Poisson-binomial
//!   sum over the other replicas; Rao–Blackwellisation). Rare products such
//!   as one replica of a redundant pair, `≈ p(other)`, thus come out with
//!   small relative error without needing trials where they occur.
//! - "`s` critical for `E`" in a trial is found by flipping `s` (down ↔ up)
//!   on top of the trial's other failures: flips are packed 64 to a lane
//!   word and evaluated with [`evaluate_lanes`]. A zone is
//!   flipped the same way (its services' k-of-n gates re-counted).
//! - Most trials need no flips. In a *clean* trial (no service down, no
//!   zone down, and — when zones are events — no replica failed) every
//!   criticality equals its value in the all-up state, computed once. And a
//!   service whose failure alone takes `E` down is critical exactly when `E`
//!   is up; a service from which a `down` cannot reach `E` (soft, async,
//!   background, stale-fallback and startup edges stop it) never is. Only
//!   the remaining services (behind failover pairs, caches, several
//!   operations) and the services down in the trial are flipped, and only
//!   in non-clean trials.
//!
//! Importance therefore costs extra lane evaluations only in non-clean
//! trials. It is estimated from the first [`EntryAvailability::importance_trials`]
//! trials: all of them when that work is at most the availability pass's own,
//! otherwise a prefix sized so that it is (at least one word). Large models
//! with frequent failures hence get coarser importance than availability.
//!
//! # Exact values
//!
//! With at most [`EXACT_MAX_EVENTS`] basic events, every one of the 2ⁿ
//! states is evaluated (64 per lane word) and the availability is the
//! probability-weighted sum ([`EntryAvailability::exact`]); importance is
//! then exact too, as `A(p_i = 0) − A(p_i = 1)`, and the Monte Carlo pass
//! skips it.

use std::sync::Mutex;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::events::{
    BasicEvent, EventKind, ReplicaCauses, TooManyEvents, basic_events, replica_causes,
    replicas_to_fail,
};
use super::mincut::{Circuit, Solver, WholeServices, top_of};
use super::spof::entries;
use crate::graph::Graph;
use crate::model::Model;
use crate::sim::structural::{Lanes, StructuralFaults, evaluate_lanes};

/// Trials per chunk: the unit of parallel work and of seeding.
pub const CHUNK_TRIALS: u64 = 1 << 16;

/// Models with at most this many basic events also get exact values.
pub const EXACT_MAX_EVENTS: usize = 20;

/// The standard normal quantile for a two-sided 95 % interval.
const Z95: f64 = 1.959963984540054;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Number of trials (at least 1 for a meaningful estimate).
    pub trials: u64,
    /// Seed: the same seed gives the same numbers, whatever the thread count.
    pub seed: u64,
    /// Availability of a zone (0–1); zones are basic events only when given.
    pub zone_availability: Option<f64>,
}

/// One entry point's availability.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryAvailability {
    /// `web` or `api.login` (see [`super::spof::entries`]).
    pub name: String,
    /// Share of trials in which the entry is not `down` (0.5 with no trials).
    pub availability: f64,
    /// Wilson score interval at 95 % around `availability`.
    pub ci95: (f64, f64),
    /// Birnbaum importance of every basic event for this entry,
    /// `P(up | event up) − P(up | event down)`, sorted by importance
    /// (highest first), then name. Exact when [`Self::exact`] is given;
    /// otherwise estimated from the first [`Self::importance_trials`] trials
    /// (see the module docs).
    pub importance: Vec<(String, f64)>,
    /// The exact availability, for models with at most
    /// [`EXACT_MAX_EVENTS`] basic events.
    pub exact: Option<f64>,
    /// Trials the importance was estimated from: 0 when it is exact, else at
    /// most the number of trials.
    pub importance_trials: u64,
}

/// Wilson score interval at 95 % for `successes` out of `trials`
/// (`(0, 1)` with no trials).
pub fn wilson(successes: u64, trials: u64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Monte Carlo availability of every entry point (entry services, then
/// entry operations; see [`super::spof::entries`]), with Birnbaum
/// importance. `progress` is called with the number of trials done so far
/// (from worker threads, in increasing order). Deterministic for a seed
/// whatever the number of rayon threads.
///
/// Fails when the model has more than
/// [`MAX_EVENTS`](super::events::MAX_EVENTS) basic events. Complexity:
/// O(trials ÷ 64 × (events + services)) for the sampling, plus one lane
/// evaluation of the graph per 64 trials with a failure, plus the flips of
/// the importance estimator (module docs); k-of-n gates count failed
/// replicas per trial in O(replicas), and the pivotal probabilities are
/// binomial terms in closed form.
///
/// ```
/// use whatif::analysis::availability::{monte_carlo, Options};
/// let text = "services:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { availability: 99% }\n";
/// let model = whatif::model::load_str(text, "t.yaml").unwrap().model;
/// let graph = whatif::graph::Graph::build(&model);
/// let options = Options { trials: 100_000, seed: 7, zone_availability: None };
/// let web = &monte_carlo(&model, &graph, &options, &|_| {}).unwrap()[0];
/// assert_eq!(web.exact, Some(0.99));
/// assert!(web.ci95.0 <= 0.99 && 0.99 <= web.ci95.1);
/// ```
pub fn monte_carlo(
    model: &Model,
    graph: &Graph,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<EntryAvailability>, TooManyEvents> {
    run(model, graph, options, progress, EXACT_MAX_EVENTS)
}

fn run(
    model: &Model,
    graph: &Graph,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
    exact_max_events: usize,
) -> Result<Vec<EntryAvailability>, TooManyEvents> {
    let plan = Plan::new(model, graph, options.zone_availability)?;
    let ne = plan.watch.len();
    let nev = plan.events.len();
    if ne == 0 {
        progress(options.trials);
        return Ok(Vec::new());
    }
    let exact = (nev <= exact_max_events).then(|| plan.exact());
    let importance = exact.is_none().then(|| plan.importance(options.trials));
    let n_imp = importance.as_ref().map_or(0, |imp| imp.trials);

    let chunks = options.trials.div_ceil(CHUNK_TRIALS);
    let done = Mutex::new(0u64);
    let results: Vec<ChunkCounts> = (0..chunks as usize)
        .into_par_iter()
        .map(|c| {
            let counts = plan.run_chunk(importance.as_ref(), c as u64, options, n_imp);
            let len = (options.trials - c as u64 * CHUNK_TRIALS).min(CHUNK_TRIALS);
            let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
            *d += len;
            progress(*d);
            counts
        })
        .collect();

    let mut up = vec![0u64; ne];
    let mut acc = ImpSums::new(ne, nev);
    for r in &results {
        for (u, x) in up.iter_mut().zip(&r.up) {
            *u += x;
        }
        if let Some(s) = &r.imp {
            acc.add(s);
        }
    }

    let names: Vec<String> = entries(model).into_iter().map(|e| e.name).collect();
    Ok((0..ne)
        .map(|k| {
            let (availability, ci95) = if options.trials == 0 {
                (0.5, (0.0, 1.0))
            } else {
                (
                    up[k] as f64 / options.trials as f64,
                    wilson(up[k], options.trials),
                )
            };
            let values: Vec<f64> = match (&exact, &importance) {
                (Some(ex), _) => ex[k].1.clone(),
                (None, Some(imp)) => plan.birnbaum(imp, &acc, k),
                (None, None) => vec![0.0; nev],
            };
            let mut ranked: Vec<(String, f64)> = plan
                .events
                .iter()
                .zip(values)
                .map(|(e, v)| (e.name.clone(), v))
                .collect();
            // Equal values (replicas of one service, by symmetry) can come
            // out a few ulps apart from sums taken in the file's order:
            // they rank as ties, by name.
            let key = |x: f64| (x * 1e12).round();
            ranked.sort_by(|a, b| key(b.1).total_cmp(&key(a.1)).then_with(|| a.0.cmp(&b.0)));
            EntryAvailability {
                name: names[k].clone(),
                availability,
                ci95,
                importance: ranked,
                exact: exact.as_ref().map(|ex| ex[k].0),
                importance_trials: n_imp,
            }
        })
        .collect())
}

/// Where an entry's `down` lanes are read.
#[derive(Debug, Clone, Copy)]
enum Watch {
    Service(usize),
    Op(usize),
}

fn entry_word(lanes: &Lanes, w: Watch) -> u64 {
    match w {
        Watch::Service(s) => lanes.down[s],
        Watch::Op(o) => lanes.op_down[o],
    }
}

/// An event drawn at random: its index and ln(1 − p).
#[derive(Debug, Clone, Copy)]
struct Random {
    event: usize,
    ln_q: f64,
    own: bool,
}

/// The model's basic events laid out for sampling.
struct Plan<'a> {
    structure: &'a Graph,
    /// The `down` circuit and each entry's node in it.
    circuit: Circuit,
    tops: Vec<usize>,
    /// Per service: (zone event, replicas in that zone).
    zone_counts: Vec<Vec<(usize, u32)>>,
    events: Vec<BasicEvent>,
    watch: Vec<Watch>,
    /// Per service, per replica: the events any one of which fails it.
    causes: Vec<Vec<ReplicaCauses>>,
    /// Per service: failed replicas that take it down.
    need: Vec<u32>,
    /// Per event: (service, replica index from 0) for own events.
    owner: Vec<Option<(u32, u32)>>,
    /// Per service: its own events.
    own_events: Vec<Vec<usize>>,
    /// Zone events, in order.
    zones: Vec<usize>,
    /// Per zone event (same order as `zones`): services it hosts replicas of.
    zone_services: Vec<Vec<u32>>,
    random: Vec<Random>,
    certain: Vec<usize>,
    /// All lanes when an own event is certain, else none.
    certain_own: u64,
    /// Services a `down` can travel from to each entry (per entry, per service).
    reach: Vec<Vec<bool>>,
    none: StructuralFaults,
    zero: Vec<u64>,
}

/// A flip to evaluate: in trial `lane` of the current word, service or zone
/// state inverted.
#[derive(Debug, Clone, Copy)]
struct Job {
    lane: u32,
    flip: Flip,
}

#[derive(Debug, Clone, Copy)]
enum Flip {
    Service(u32),
    /// Index into `Plan::zones`.
    Zone(u32),
}

/// Buffers for flip evaluations.
#[derive(Default)]
struct FlipWork {
    packed: Vec<u64>,
    zone_diff: Vec<Vec<(u32, u64)>>,
    touched: Vec<u32>,
    lanes: Lanes,
}

/// The importance estimator's precomputed parts.
struct Importance {
    trials: u64,
    /// Per service × entry: the service alone down takes the entry down.
    crit0_svc: Vec<bool>,
    /// Per zone × entry: the zone alone down takes the entry down.
    crit0_zone: Vec<bool>,
    /// Services flipped in every non-clean trial.
    candidates: Vec<u32>,
    is_candidate: Vec<bool>,
    /// Per event: probability that it is pivotal for its service with every
    /// zone up (0 for zones).
    w0: Vec<f64>,
    /// Per entry: own events of non-candidate services whose failure alone
    /// takes it down.
    shortcut: Vec<Vec<usize>>,
}

/// Per-chunk counts.
struct ChunkCounts {
    up: Vec<u64>,
    imp: Option<ImpSums>,
}

/// Importance accumulators (see [`Plan::birnbaum`]).
struct ImpSums {
    clean: u64,
    /// Per entry: trials with the entry up and every zone up.
    up_noz: Vec<u64>,
    /// Per entry × event.
    sums: Vec<f64>,
}

impl ImpSums {
    fn new(ne: usize, nev: usize) -> ImpSums {
        ImpSums {
            clean: 0,
            up_noz: vec![0; ne],
            sums: vec![0.0; ne * nev],
        }
    }

    fn add(&mut self, other: &ImpSums) {
        self.clean += other.clean;
        for (a, b) in self.up_noz.iter_mut().zip(&other.up_noz) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
    }
}

/// An event's probability, within [0, 1] (0 when not a number).
fn prob(e: &BasicEvent) -> f64 {
    if e.probability > 0.0 {
        e.probability.min(1.0)
    } else {
        0.0
    }
}

/// Gap to the next failure: geometric with P(gap = k) = (1 − p)ᵏ p.
#[inline]
fn gap(rng: &mut ChaCha8Rng, ln_q: f64) -> u64 {
    let u = ((rng.random::<u64>() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
    (u.ln() / ln_q) as u64
}

/// Lane masks of the low six state bits for exact enumeration.
const PATTERNS: [u64; 6] = [
    0xAAAA_AAAA_AAAA_AAAA,
    0xCCCC_CCCC_CCCC_CCCC,
    0xF0F0_F0F0_F0F0_F0F0,
    0xFF00_FF00_FF00_FF00,
    0xFFFF_0000_FFFF_0000,
    0xFFFF_FFFF_0000_0000,
];

impl<'a> Plan<'a> {
    fn new(
        model: &Model,
        graph: &'a Graph,
        zone_availability: Option<f64>,
    ) -> Result<Plan<'a>, TooManyEvents> {
        let n = model.services().len();
        let events = basic_events(model, zone_availability)?;
        let causes = replica_causes(model, &events);
        let need = model.services().iter().map(replicas_to_fail).collect();
        let nev = events.len();
        let is_zone: Vec<bool> = events
            .iter()
            .map(|e| matches!(e.kind, EventKind::Zone(_)))
            .collect();
        let mut owner = vec![None; nev];
        let mut own_events = vec![Vec::new(); n];
        for (s, reps) in causes.iter().enumerate() {
            for (r, c) in reps.iter().enumerate() {
                for &e in c {
                    if !is_zone[e] {
                        owner[e] = Some((s as u32, r as u32));
                        own_events[s].push(e);
                    }
                }
            }
        }
        let zones: Vec<usize> = (0..nev).filter(|&e| is_zone[e]).collect();
        let mut zone_services = vec![Vec::new(); zones.len()];
        for (s, reps) in causes.iter().enumerate() {
            for c in reps {
                for &e in c {
                    if is_zone[e] {
                        let zs = zones.iter().position(|&z| z == e).unwrap_or(0);
                        if zone_services[zs].last() != Some(&(s as u32)) {
                            zone_services[zs].push(s as u32);
                        }
                    }
                }
            }
        }
        let mut random = Vec::new();
        let mut certain = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let p = prob(e);
            if p >= 1.0 {
                certain.push(i);
            } else if p > 0.0 {
                let ln_q = (-p).ln_1p();
                if ln_q < 0.0 {
                    random.push(Random {
                        event: i,
                        ln_q,
                        own: !is_zone[i],
                    });
                }
            }
        }
        // Drawn in the order of the events' names, not the file's: the
        // same model with its services listed in another order gets the
        // same draws, and so the same numbers.
        random.sort_by(|a, b| events[a.event].name.cmp(&events[b.event].name));
        let certain_own = if certain.iter().any(|&e| !is_zone[e]) {
            !0
        } else {
            0
        };
        let entry_list = entries(model);
        let watch = entry_list
            .iter()
            .map(|e| match e.operation {
                Some(o) => Watch::Op(graph.op_index(e.service, o)),
                None => Watch::Service(e.service.index()),
            })
            .collect();
        // Services a `down` can travel from to each entry (hard, sync,
        // request-phase edges, both sides of failovers and caches).
        let circuit = Circuit::new(graph);
        let tops: Vec<usize> = entry_list
            .iter()
            .map(|e| top_of(graph, e.service, e.operation))
            .collect();
        let reach = tops.iter().map(|&t| circuit.reach(t)).collect();
        // Each service's replicas per zone event (when zones are events).
        let zone_counts = causes
            .iter()
            .map(|reps| {
                let mut counts: Vec<(usize, u32)> = Vec::new();
                for c in reps {
                    for &e in c.iter().filter(|&&e| is_zone[e]) {
                        match counts.iter_mut().find(|(z, _)| *z == e) {
                            Some(entry) => entry.1 += 1,
                            None => counts.push((e, 1)),
                        }
                    }
                }
                counts
            })
            .collect();
        Ok(Plan {
            structure: graph,
            circuit,
            tops,
            zone_counts,
            events,
            watch,
            causes,
            need,
            owner,
            own_events,
            zones,
            zone_services,
            random,
            certain,
            certain_own,
            reach,
            none: StructuralFaults::none(n),
            zero: vec![0; n],
        })
    }

    fn n(&self) -> usize {
        self.causes.len()
    }

    /// Lanes in which service `s` is down: at least `need` replicas failed.
    #[inline]
    fn down_word(&self, s: usize, ev: &[u64], ladder: &mut Vec<u64>) -> u64 {
        let reps = &self.causes[s];
        let need = self.need[s] as usize;
        if need > reps.len() {
            return 0;
        }
        let failed = |c: &ReplicaCauses| c.iter().fold(0u64, |m, &e| m | ev[e]);
        if need == 1 {
            return reps.iter().fold(0, |m, c| m | failed(c));
        }
        if need == reps.len() {
            let mut m = !0u64;
            for c in reps {
                m &= failed(c);
                if m == 0 {
                    return 0;
                }
            }
            return m;
        }
        if need > LADDER_MAX {
            // Count failed replicas per lane: O(replicas + failures).
            let mut counts = [0u32; 64];
            for c in reps {
                let mut f = failed(c);
                while f != 0 {
                    counts[f.trailing_zeros() as usize] += 1;
                    f &= f - 1;
                }
            }
            return (0..64).fold(0u64, |m, lane| {
                m | (u64::from(counts[lane] >= need as u32) << lane)
            });
        }
        // ladder[j]: lanes with at least j + 1 failed replicas.
        ladder.clear();
        ladder.resize(need, 0);
        for c in reps {
            let f = failed(c);
            if f == 0 {
                continue;
            }
            for j in (1..need).rev() {
                ladder[j] |= ladder[j - 1] & f;
            }
            ladder[0] |= f;
        }
        ladder[need - 1]
    }

    /// Per zone (order of `zones`): the services whose state flipping the
    /// zone changes, with the lanes in which it does. `ev` is restored.
    fn zone_flips(
        &self,
        ev: &mut [u64],
        down: &[u64],
        ladder: &mut Vec<u64>,
        out: &mut Vec<Vec<(u32, u64)>>,
    ) {
        out.resize_with(self.zones.len(), Vec::new);
        for ((&z, services), diffs) in self.zones.iter().zip(&self.zone_services).zip(out) {
            diffs.clear();
            let saved = ev[z];
            ev[z] = !saved;
            for &s in services {
                let diff = self.down_word(s as usize, ev, ladder) ^ down[s as usize];
                if diff != 0 {
                    diffs.push((s, diff));
                }
            }
            ev[z] = saved;
        }
    }

    /// Probability that own event `i` is pivotal for its service — its
    /// replica's zone up and exactly `need − 1` other replicas failed —
    /// given which zones are down. The other replicas in down zones have
    /// failed; the rest fail independently with the service's own
    /// probability, so the count is a binomial term in closed form:
    /// O(zones of the service), whatever its replicas.
    fn pivotal(&self, i: usize, zone_down: &dyn Fn(usize) -> bool) -> f64 {
        let Some((s, r)) = self.owner[i] else {
            return 0.0;
        };
        let (s, r) = (s as usize, r as usize);
        let reps = &self.causes[s];
        let need = self.need[s] as usize;
        if need > reps.len() {
            return 0.0;
        }
        if reps[r].iter().any(|&e| e != i && zone_down(e)) {
            return 0.0;
        }
        let failed_by_zones: u64 = self.zone_counts[s]
            .iter()
            .filter(|(z, _)| zone_down(*z))
            .map(|&(_, c)| u64::from(c))
            .sum();
        let others = reps.len() as u64 - 1 - failed_by_zones;
        match (need as u64 - 1).checked_sub(failed_by_zones) {
            Some(k) => binomial_pmf(others, k, prob(&self.events[i])),
            None => 0.0,
        }
    }

    fn pivotal_in_lane(&self, i: usize, ev: &[u64], lane: u32) -> f64 {
        self.pivotal(i, &|e| (ev[e] >> lane) & 1 == 1)
    }

    /// Probability that service `s` is down, with every zone up: at least
    /// `need` of its replicas failed, a binomial tail.
    fn p_down(&self, s: usize) -> f64 {
        let reps = &self.causes[s];
        let need = self.need[s] as u64;
        let Some(&own) = self.own_events[s].first() else {
            return 0.0;
        };
        binomial_tail(reps.len() as u64, need, prob(&self.events[own]))
    }

    /// Evaluates `jobs` (flips of trials of the current word, whose service
    /// and entry lanes are `down` and `entry_down`; `down_list` lists the
    /// services down in some lane; `work.zone_diff` holds the word's
    /// [`Plan::zone_flips`]) 64 at a time, and calls `on_crit(job, entry)`
    /// for every entry a job flips.
    fn run_jobs(
        &self,
        jobs: &[Job],
        down: &[u64],
        down_list: &[u32],
        entry_down: &[u64],
        work: &mut FlipWork,
        mut on_crit: impl FnMut(&Job, usize),
    ) {
        if work.packed.len() != self.n() {
            work.packed = vec![0; self.n()];
        }
        for batch in jobs.chunks(64) {
            for &s in down_list {
                let fd = down[s as usize];
                let mut word = 0u64;
                for (j, job) in batch.iter().enumerate() {
                    word |= ((fd >> job.lane) & 1) << j;
                }
                work.packed[s as usize] = word;
                work.touched.push(s);
            }
            for (j, job) in batch.iter().enumerate() {
                match job.flip {
                    Flip::Service(s) => {
                        work.packed[s as usize] ^= 1 << j;
                        work.touched.push(s);
                    }
                    Flip::Zone(zs) => {
                        for &(s, diff) in &work.zone_diff[zs as usize] {
                            if (diff >> job.lane) & 1 == 1 {
                                work.packed[s as usize] ^= 1 << j;
                                work.touched.push(s);
                            }
                        }
                    }
                }
            }
            evaluate_lanes(
                self.structure,
                &work.packed,
                &self.zero,
                &self.none,
                &mut work.lanes,
            );
            let used = if batch.len() == 64 {
                !0
            } else {
                (1u64 << batch.len()) - 1
            };
            for (k, &w) in self.watch.iter().enumerate() {
                let base = entry_down[k];
                let mut baseline = 0u64;
                for (j, job) in batch.iter().enumerate() {
                    baseline |= ((base >> job.lane) & 1) << j;
                }
                let mut crit = (entry_word(&work.lanes, w) ^ baseline) & used;
                while crit != 0 {
                    let j = crit.trailing_zeros() as usize;
                    crit &= crit - 1;
                    on_crit(&batch[j], k);
                }
            }
            for &s in &work.touched {
                work.packed[s as usize] = 0;
            }
            work.touched.clear();
        }
    }

    /// Plans the importance estimator for `trials` trials.
    fn importance(&self, trials: u64) -> Importance {
        let n = self.n();
        let ne = self.watch.len();
        let nz = self.zones.len();
        let nev = self.events.len();
        // Criticality in the all-up state: a service alone takes an entry
        // down exactly when it is a single point of failure (its killer
        // set, order-1 minimal cut sets); zones are flipped one by one.
        let mut crit0_svc = vec![false; n * ne];
        let mut solver = Solver::new(&self.circuit, &WholeServices, 1);
        for (k, killers) in solver.solve(&self.tops).into_iter().enumerate() {
            for c in &killers.sets {
                crit0_svc[c.events()[0] as usize * ne + k] = true;
            }
        }
        let mut crit0_zone = vec![false; nz * ne];
        let jobs: Vec<Job> = (0..nz as u32)
            .map(|z| Job {
                lane: 0,
                flip: Flip::Zone(z),
            })
            .collect();
        let mut ev = vec![0u64; nev];
        let mut work = FlipWork::default();
        self.zone_flips(&mut ev, &self.zero, &mut Vec::new(), &mut work.zone_diff);
        self.run_jobs(&jobs, &self.zero, &[], &vec![0; ne], &mut work, |job, k| {
            if let Flip::Zone(z) = job.flip {
                crit0_zone[z as usize * ne + k] = true;
            }
        });
        let is_candidate: Vec<bool> = (0..n)
            .map(|s| (0..ne).any(|k| self.reach[k][s] && !crit0_svc[s * ne + k]))
            .collect();
        let candidates: Vec<u32> = (0..n as u32)
            .filter(|&s| is_candidate[s as usize])
            .collect();
        let w0: Vec<f64> = (0..nev).map(|i| self.pivotal(i, &|_| false)).collect();
        let shortcut: Vec<Vec<usize>> = (0..ne)
            .map(|k| {
                (0..n)
                    .filter(|&s| !is_candidate[s] && crit0_svc[s * ne + k])
                    .flat_map(|s| self.own_events[s].iter().copied())
                    .collect()
            })
            .collect();
        // Work per trial, in lane evaluations × 64: non-clean trials × flips.
        let p_dirty = if nz > 0 {
            1.0 - self.events.iter().map(|e| 1.0 - prob(e)).product::<f64>()
        } else {
            1.0 - (0..n).map(|s| 1.0 - self.p_down(s)).product::<f64>()
        };
        let ratio = p_dirty * (candidates.len() + nz + 1) as f64;
        let imp_trials = if ratio <= 1.0 {
            trials
        } else {
            ((trials as f64 / ratio).ceil() as u64).clamp(trials.min(64), trials)
        };
        Importance {
            trials: imp_trials,
            crit0_svc,
            crit0_zone,
            candidates,
            is_candidate,
            w0,
            shortcut,
        }
    }

    /// Birnbaum importance of every event for entry `k` from the summed
    /// accumulators.
    fn birnbaum(&self, imp: &Importance, acc: &ImpSums, k: usize) -> Vec<f64> {
        let ne = self.watch.len();
        let nev = self.events.len();
        // With no trials, the all-up state stands for them (one clean trial).
        let (clean, up_noz, trials) = if imp.trials == 0 {
            (1, 1, 1)
        } else {
            (acc.clean, acc.up_noz[k], imp.trials)
        };
        (0..nev)
            .map(|i| {
                let mut v = acc.sums[k * nev + i];
                match self.owner[i] {
                    Some((s, _)) => {
                        let s = s as usize;
                        if imp.crit0_svc[s * ne + k] {
                            let count = if imp.is_candidate[s] { clean } else { up_noz };
                            v += count as f64 * imp.w0[i];
                        }
                    }
                    None => {
                        let zs = self.zones.iter().position(|&z| z == i).unwrap_or(0);
                        if imp.crit0_zone[zs * ne + k] {
                            v += clean as f64;
                        }
                    }
                }
                (v / trials as f64).clamp(0.0, 1.0)
            })
            .collect()
    }

    fn run_chunk(
        &self,
        imp: Option<&Importance>,
        chunk: u64,
        options: &Options,
        n_imp: u64,
    ) -> ChunkCounts {
        let n = self.n();
        let ne = self.watch.len();
        let nev = self.events.len();
        let start = chunk * CHUNK_TRIALS;
        let len = (options.trials - start).min(CHUNK_TRIALS);
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        rng.set_stream(chunk);
        let mut next: Vec<u64> = self.random.iter().map(|r| gap(&mut rng, r.ln_q)).collect();
        let mut ev = vec![0u64; nev];
        for &e in &self.certain {
            ev[e] = !0;
        }
        let mut down = vec![0u64; n];
        let mut ladder = Vec::new();
        let mut lanes = Lanes::default();
        let mut entry_down = vec![0u64; ne];
        let mut up = vec![0u64; ne];
        let mut down_list: Vec<u32> = Vec::new();
        let imp = imp.filter(|_| start < n_imp);
        let mut acc = imp.map(|_| ImpSums::new(ne, nev));
        let mut jobs: Vec<Job> = Vec::new();
        let mut work = FlipWork::default();
        for w in 0..len.div_ceil(64) {
            let base = w * 64;
            let valid = if len - base >= 64 {
                !0
            } else {
                (1u64 << (len - base)) - 1
            };
            let end = base + 64;
            let mut own_any = self.certain_own;
            for (r, x) in self.random.iter().zip(next.iter_mut()) {
                let mut m = 0u64;
                while *x < end {
                    m |= 1 << (*x - base);
                    *x = x.saturating_add(gap(&mut rng, r.ln_q)).saturating_add(1);
                }
                ev[r.event] = m;
                if r.own {
                    own_any |= m;
                }
            }
            let mut any = 0u64;
            down_list.clear();
            for (s, d) in down.iter_mut().enumerate() {
                *d = self.down_word(s, &ev, &mut ladder);
                if *d != 0 {
                    any |= *d;
                    down_list.push(s as u32);
                }
            }
            if any == 0 {
                entry_down.fill(0);
            } else {
                evaluate_lanes(self.structure, &down, &self.zero, &self.none, &mut lanes);
                for (d, &wt) in entry_down.iter_mut().zip(&self.watch) {
                    *d = entry_word(&lanes, wt);
                }
            }
            for (u, d) in up.iter_mut().zip(&entry_down) {
                *u += u64::from((!d & valid).count_ones());
            }
            let (Some(imp), Some(acc)) = (imp, acc.as_mut()) else {
                continue;
            };
            let g = start + base;
            if g >= n_imp {
                continue;
            }
            let iv = if n_imp - g >= 64 {
                valid
            } else {
                valid & ((1u64 << (n_imp - g)) - 1)
            };
            let zone_any = self.zones.iter().fold(0u64, |m, &e| m | ev[e]);
            let own_ok = if self.zones.is_empty() { !0 } else { !own_any };
            let clean = iv & !any & !zone_any & own_ok;
            acc.clean += u64::from(clean.count_ones());
            for (c, d) in acc.up_noz.iter_mut().zip(&entry_down) {
                *c += u64::from((iv & !zone_any & !d).count_ones());
            }
            let mut dirty = iv & !clean;
            jobs.clear();
            while dirty != 0 {
                let lane = dirty.trailing_zeros();
                dirty &= dirty - 1;
                jobs.extend(imp.candidates.iter().map(|&s| Job {
                    lane,
                    flip: Flip::Service(s),
                }));
                jobs.extend(
                    down_list
                        .iter()
                        .filter(|&&s| {
                            (down[s as usize] >> lane) & 1 == 1 && !imp.is_candidate[s as usize]
                        })
                        .map(|&s| Job {
                            lane,
                            flip: Flip::Service(s),
                        }),
                );
                jobs.extend((0..self.zones.len() as u32).map(|z| Job {
                    lane,
                    flip: Flip::Zone(z),
                }));
                if (zone_any >> lane) & 1 == 1 {
                    // Services outside the flips, with this trial's zones.
                    for (k, d) in entry_down.iter().enumerate() {
                        if (d >> lane) & 1 == 0 {
                            for &i in &imp.shortcut[k] {
                                acc.sums[k * nev + i] += self.pivotal_in_lane(i, &ev, lane);
                            }
                        }
                    }
                }
            }
            if jobs.is_empty() {
                continue;
            }
            self.zone_flips(&mut ev, &down, &mut ladder, &mut work.zone_diff);
            let sums = &mut acc.sums;
            self.run_jobs(
                &jobs,
                &down,
                &down_list,
                &entry_down,
                &mut work,
                |job, k| match job.flip {
                    Flip::Service(s) => {
                        let zoned = (zone_any >> job.lane) & 1 == 1;
                        for &i in &self.own_events[s as usize] {
                            sums[k * nev + i] += if zoned {
                                self.pivotal_in_lane(i, &ev, job.lane)
                            } else {
                                imp.w0[i]
                            };
                        }
                    }
                    Flip::Zone(z) => sums[k * nev + self.zones[z as usize]] += 1.0,
                },
            );
        }
        ChunkCounts { up, imp: acc }
    }

    /// Exact availability and Birnbaum importance per entry, by enumerating
    /// every state of the basic events.
    fn exact(&self) -> Vec<(f64, Vec<f64>)> {
        let nev = self.events.len();
        let ne = self.watch.len();
        let states = 1usize << nev;
        let words = states.div_ceil(64);
        let mut up_bits = vec![vec![0u64; words]; ne];
        let mut ev = vec![0u64; nev];
        let mut down = vec![0u64; self.n()];
        let mut ladder = Vec::new();
        let mut lanes = Lanes::default();
        for w in 0..words {
            for (j, m) in ev.iter_mut().enumerate() {
                *m = if j < 6 {
                    PATTERNS[j]
                } else if (w >> (j - 6)) & 1 == 1 {
                    !0
                } else {
                    0
                };
            }
            let mut any = 0;
            for (s, d) in down.iter_mut().enumerate() {
                *d = self.down_word(s, &ev, &mut ladder);
                any |= *d;
            }
            if any != 0 {
                evaluate_lanes(self.structure, &down, &self.zero, &self.none, &mut lanes);
            }
            for (bits, &wt) in up_bits.iter_mut().zip(&self.watch) {
                bits[w] = if any == 0 {
                    !0
                } else {
                    !entry_word(&lanes, wt)
                };
            }
        }
        let p: Vec<f64> = self.events.iter().map(prob).collect();
        let mut buf = Vec::new();
        up_bits
            .iter()
            .map(|bits| {
                let table: Vec<f64> = (0..states)
                    .map(|x| ((bits[x / 64] >> (x % 64)) & 1) as f64)
                    .collect();
                let a = fold(&table, &p, None, &mut buf);
                let birnbaum = (0..nev)
                    .map(|i| fold(&table, &p, Some(i), &mut buf).clamp(0.0, 1.0))
                    .collect();
                (a.clamp(0.0, 1.0), birnbaum)
            })
            .collect()
    }
}

/// The probability-weighted sum of `table` (bit j of the index: event j
/// failed, with probability `p[j]`); with `diff = Some(i)`, the difference
/// between event i surely up and surely failed instead.
fn fold(table: &[f64], p: &[f64], diff: Option<usize>, buf: &mut Vec<f64>) -> f64 {
    let n = p.len();
    if n == 0 {
        return table[0];
    }
    let weights = |j: usize| -> (f64, f64) {
        if diff == Some(j) {
            (1.0, -1.0)
        } else {
            (1.0 - p[j], p[j])
        }
    };
    let half = 1usize << (n - 1);
    let (a, b) = weights(n - 1);
    buf.clear();
    buf.extend((0..half).map(|y| a * table[y] + b * table[y + half]));
    for j in (0..n - 1).rev() {
        let half = 1usize << j;
        let (a, b) = weights(j);
        for y in 0..half {
            buf[y] = a * buf[y] + b * buf[y + half];
        }
    }
    buf[0]
}

/// k-of-n gates with at most this many replicas to fail are counted with a
/// bit-sliced ladder (O(replicas × k) per word); above it, per lane
/// (O(replicas + failures)).
const LADDER_MAX: usize = 8;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant
/// digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |acc, (i, g)| acc + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// P(X = k) for X binomial with `n` trials of probability `p`, in closed
/// form: exact products for small `n`, logarithms beyond.
fn binomial_pmf(n: u64, k: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    if n <= 60 {
        let m = k.min(n - k);
        let c = (0..m).fold(1.0f64, |c, i| c * (n - i) as f64 / (i + 1) as f64);
        return c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
    }
    let (n, k) = (n as f64, k as f64);
    let ln_choose = ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0);
    (ln_choose + k * p.ln() + (n - k) * (-p).ln_1p()).exp()
}

/// P(X ≥ k) for X binomial with `n` trials of probability `p`. The tail on
/// the far side of the mean is summed from its largest term outwards by the
/// terms' ratio, until they no longer count (so a million replicas cost a
/// handful of terms); below the mean, one minus the lower tail.
fn binomial_tail(n: u64, k: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let ratio = p / (1.0 - p);
    let mean = n as f64 * p;
    if k as f64 >= mean {
        let mut term = binomial_pmf(n, k, p);
        let mut sum = term;
        for j in k..n {
            term *= (n - j) as f64 / (j + 1) as f64 * ratio;
            sum += term;
            if term <= sum * 1e-17 {
                break;
            }
        }
        return sum.min(1.0);
    }
    let mut term = binomial_pmf(n, k - 1, p);
    let mut lower = term;
    for j in (1..k).rev() {
        term *= j as f64 / (n - j + 1) as f64 / ratio;
        lower += term;
        if term <= lower * 1e-17 {
            break;
        }
    }
    (1.0 - lower).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn model(text: &str) -> Model {
        load_str(text, "t.yaml").expect("valid").model
    }

    fn run_with(
        m: &Model,
        trials: u64,
        seed: u64,
        zones: Option<f64>,
        exact_max: usize,
    ) -> Vec<EntryAvailability> {
        let s = Graph::build(m);
        let options = Options {
            trials,
            seed,
            zone_availability: zones,
        };
        run(m, &s, &options, &|_| {}, exact_max).unwrap()
    }

    fn mc(m: &Model, trials: u64, seed: u64, zones: Option<f64>) -> Vec<EntryAvailability> {
        let s = Graph::build(m);
        let options = Options {
            trials,
            seed,
            zone_availability: zones,
        };
        monte_carlo(m, &s, &options, &|_| {}).unwrap()
    }

    fn importance_of(e: &EntryAvailability, name: &str) -> f64 {
        e.importance
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no event {name}"))
            .1
    }

    /// The Monte Carlo estimate agrees with `expected` within its interval
    /// (with a little slack for the 5 % of intervals that miss).
    fn assert_within(e: &EntryAvailability, expected: f64) {
        let (lo, hi) = e.ci95;
        let slack = (hi - lo) * 0.5;
        assert!(
            lo - slack <= expected && expected <= hi + slack,
            "{}: {} not in [{lo}, {hi}] (estimate {})",
            e.name,
            expected,
            e.availability
        );
    }

    #[test]
    fn wilson_interval() {
        let (lo, hi) = wilson(50, 100);
        assert!((lo - 0.4038).abs() < 1e-4 && (hi - 0.5962).abs() < 1e-4);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson(100, 100);
        assert!(hi == 1.0 && (lo - 0.963).abs() < 1e-3);
    }

    #[test]
    fn a_chain_multiplies() {
        let m = model(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [db], availability: 99.9% }\n  db: { availability: 99% }\n",
        );
        let r = mc(&m, 200_000, 1, None);
        assert_eq!(r.len(), 1);
        let expected = 0.999 * 0.99;
        assert!((r[0].exact.unwrap() - expected).abs() < 1e-12);
        assert_within(&r[0], expected);
        // Birnbaum of a series element: the availability of the rest.
        assert!((importance_of(&r[0], "db") - 0.999).abs() < 1e-12);
        assert!((importance_of(&r[0], "web") - 0.99).abs() < 1e-12);
        assert_eq!(r[0].importance[0].0, "db");
    }

    #[test]
    fn a_failover_pair_is_parallel() {
        let m = model(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [{ to: a, fallback: { to: b } }] }\n  a: { availability: 99% }\n  b: { availability: 98% }\n",
        );
        let r = mc(&m, 1_000_000, 2, None);
        let expected = 1.0 - 0.01 * 0.02;
        assert!((r[0].exact.unwrap() - expected).abs() < 1e-12);
        assert_within(&r[0], expected);
        assert!((importance_of(&r[0], "a") - 0.02).abs() < 1e-12);
        assert!((importance_of(&r[0], "b") - 0.01).abs() < 1e-12);
    }

    #[test]
    fn quorum_is_k_of_n() {
        let m = model(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [db] }\n  db: { replicas: 3, quorum: 2, availability: 90% }\n",
        );
        let r = mc(&m, 500_000, 3, None);
        let expected = 0.9f64.powi(3) + 3.0 * 0.9 * 0.9 * 0.1;
        assert!((r[0].exact.unwrap() - expected).abs() < 1e-12);
        assert_within(&r[0], expected);
        // A replica matters when exactly one of the other two failed.
        let b = 2.0 * 0.9 * 0.1;
        assert!((importance_of(&r[0], "db#1") - b).abs() < 1e-12);
        // Monte Carlo importance agrees.
        let r = run_with(&m, 200_000, 3, None, 0);
        assert!(r[0].exact.is_none());
        assert_within(&r[0], expected);
        assert!(
            (importance_of(&r[0], "db#2") - b).abs() < 1e-9,
            "{:?}",
            r[0].importance
        );
    }

    /// Word-wide k-of-n counting agrees with the scalar reading of
    /// [`super::super::events::structural_faults`].
    #[test]
    fn lane_gates_agree_with_the_scalar_reading() {
        let m = model(
            "zones: [z1, z2, z3]\nservices:\n  web: { entry: { rps: 1 }, depends_on: [a, b, c] }\n  a: { replicas: 5, quorum: 3 }\n  b: { replicas: 4, quorum: 1 }\n  c: { replicas: 3, quorum: 3 }\n",
        );
        let s = Graph::build(&m);
        let plan = Plan::new(&m, &s, Some(0.9)).unwrap();
        let nev = plan.events.len();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut ladder = Vec::new();
        for _ in 0..200 {
            let ev: Vec<u64> = (0..nev)
                .map(|_| rng.random::<u64>() & rng.random::<u64>())
                .collect();
            let words: Vec<u64> = (0..plan.n())
                .map(|x| plan.down_word(x, &ev, &mut ladder))
                .collect();
            for lane in 0..64 {
                let occurred: Vec<bool> = ev.iter().map(|m| (m >> lane) & 1 == 1).collect();
                let f = crate::analysis::events::structural_faults(&m, &plan.events, &occurred);
                for (x, w) in words.iter().enumerate() {
                    let down = f.forced[x] == crate::sim::structural::Health::Down;
                    assert_eq!((w >> lane) & 1 == 1, down);
                }
            }
        }
    }

    #[test]
    fn same_seed_same_numbers_whatever_the_threads() {
        let text = crate::model::generate::generate(crate::model::generate::Spec {
            services: 40,
            seed: 3,
        });
        let m = model(&text);
        let go = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| mc(&m, 300_000, 11, Some(0.999)))
        };
        let one = go(1);
        assert!(!one.is_empty() && one[0].exact.is_none());
        assert_eq!(one, go(2));
        assert_eq!(one, go(3));
        assert_ne!(one, mc(&m, 300_000, 12, Some(0.999)));
    }

    #[test]
    fn three_tier_agrees_with_the_exact_value() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/three-tier.yaml"
        ))
        .unwrap();
        let m = model(&text);
        for zones in [None, Some(0.995)] {
            let r = mc(&m, 1_000_000, 7, zones);
            for e in &r {
                assert_within(e, e.exact.expect("small enough"));
            }
            // The Monte Carlo importance agrees with the exact one.
            let approx = run_with(&m, 1_000_000, 7, zones, 0);
            for (e, a) in r.iter().zip(&approx) {
                assert_eq!(a.availability, e.availability, "same trials");
                for (name, exact) in &e.importance {
                    let est = importance_of(a, name);
                    let tol = 3e-3 + 0.02 * exact;
                    assert!(
                        (est - exact).abs() < tol,
                        "{name}: {est} vs {exact} ({zones:?})"
                    );
                }
            }
        }
    }

    /// Monte Carlo importance against exact enumeration on generated
    /// models made small and unreliable (many non-clean trials, zones as
    /// common causes, failovers and caches).
    #[test]
    fn monte_carlo_importance_agrees_with_enumeration() {
        for seed in [1, 2, 5] {
            let text = crate::model::generate::generate(crate::model::generate::Spec {
                services: 8,
                seed,
            });
            let mut m = model(&text);
            for s in m.services_mut() {
                s.replicas = s.replicas.min(2);
                s.quorum = s.quorum.min(s.replicas);
                s.availability = 0.9;
            }
            let zones = Some(0.97);
            assert!(basic_events(&m, zones).unwrap().len() <= EXACT_MAX_EVENTS);
            let trials = 200_000;
            let exact = run_with(&m, trials, seed, zones, EXACT_MAX_EVENTS);
            let approx = run_with(&m, trials, seed, zones, 0);
            for (e, a) in exact.iter().zip(&approx) {
                assert_within(a, e.exact.unwrap());
                for (name, x) in &e.importance {
                    let est = importance_of(a, name);
                    let se = (x * (1.0 - x) / a.importance_trials as f64)
                        .sqrt()
                        .max(1e-4);
                    assert!(
                        (est - x).abs() < 5.0 * se,
                        "seed {seed}, {}: {name}: {est} vs {x}",
                        e.name
                    );
                }
            }
        }
    }

    #[test]
    fn operations_and_progress() {
        let m = model(
            "services:\n  api:\n    operations:\n      read: { rps: 5, depends_on: [db] }\n      write: { rps: 1, depends_on: [q] }\n  db: { availability: 99% }\n  q: { availability: 95% }\n",
        );
        let s = Graph::build(&m);
        let seen = Mutex::new(Vec::new());
        let options = Options {
            trials: 3 * CHUNK_TRIALS + 5,
            seed: 1,
            zone_availability: None,
        };
        let r = monte_carlo(&m, &s, &options, &|d| seen.lock().unwrap().push(d)).unwrap();
        let names: Vec<&str> = r.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["api", "api.read", "api.write"]);
        let exact: Vec<f64> = r.iter().map(|e| e.exact.unwrap()).collect();
        let want = [1.0 - 0.01 * 0.05, 0.99, 0.95];
        for ((e, x), w) in r.iter().zip(&exact).zip(want) {
            assert!((x - w).abs() < 1e-12);
            assert_within(e, w);
        }
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 4);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*seen.last().unwrap(), options.trials);
    }

    #[test]
    fn perfect_services_are_always_up() {
        let m = model(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [db, { to: log, criticality: soft }] }\n  db: {}\n  log: {}\n",
        );
        for exact_max in [EXACT_MAX_EVENTS, 0] {
            let r = run_with(&m, 1000, 1, None, exact_max);
            assert_eq!(r[0].availability, 1.0);
            assert_eq!(importance_of(&r[0], "db"), 1.0);
            assert_eq!(importance_of(&r[0], "log"), 0.0);
        }
    }

    /// The closed forms against direct sums.
    #[test]
    fn binomial_terms_and_tails() {
        let direct = |n: u64, k: u64, p: f64| -> f64 {
            // By the recurrence over replicas, as the estimator once did.
            let mut dist = vec![0.0; n as usize + 1];
            dist[0] = 1.0;
            for _ in 0..n {
                for j in (1..=n as usize).rev() {
                    dist[j] = dist[j] * (1.0 - p) + dist[j - 1] * p;
                }
                dist[0] *= 1.0 - p;
            }
            dist[k as usize]
        };
        for n in [1u64, 2, 3, 10, 59, 60, 61, 200] {
            for p in [1e-4, 0.01, 0.3, 0.9] {
                for k in [0, 1, n / 2, n.saturating_sub(1), n] {
                    let want = direct(n, k, p);
                    let got = binomial_pmf(n, k, p);
                    assert!(
                        (got - want).abs() <= 1e-12 * want.max(1e-300) + 1e-300,
                        "pmf({n}, {k}, {p}): {got} vs {want}"
                    );
                    let tail: f64 = (k..=n).map(|j| direct(n, j, p)).sum();
                    let got = binomial_tail(n, k, p);
                    assert!(
                        (got - tail).abs() <= 1e-12 * tail.max(1e-12),
                        "tail({n}, {k}, {p}): {got} vs {tail}"
                    );
                }
            }
        }
        assert_eq!(binomial_tail(1_000_000, 10, 0.5), 1.0);
        assert_eq!(binomial_tail(1_000_000, 900_000, 0.5), 0.0);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }

    /// Issue 16: more basic events than the limit are refused before
    /// anything is allocated (a billion replicas no longer load at all); ten thousand replicas, with any quorum, answer quickly
    /// (k-of-n counted per lane, pivotal terms in closed form).
    #[test]
    fn huge_replica_counts_are_refused_or_answered_quickly() {
        let text = |replicas: u32, quorum: u32| {
            format!(
                "zones: [a, b, c]\nservices:\n  web: {{ entry: {{ rps: 1 }}, depends_on: [db], availability: 99.9% }}\n  db: {{ replicas: {replicas}, quorum: {quorum}, availability: 99% }}\n"
            )
        };
        let m = model(&crate::analysis::events::too_many_events_text(true));
        let options = Options {
            trials: 1000,
            seed: 1,
            zone_availability: None,
        };
        let err = monte_carlo(&m, &Graph::build(&m), &options, &|_| {}).unwrap_err();
        assert_eq!(err.events, 1_099_991);
        let started = std::time::Instant::now();
        for (quorum, zones) in [(1, None), (9_950, Some(0.999)), (9_990, None)] {
            let m = model(&text(10_000, quorum));
            let options = Options {
                trials: 20_000,
                seed: 1,
                zone_availability: zones,
            };
            let r = monte_carlo(&m, &Graph::build(&m), &options, &|_| {}).unwrap();
            // Web's own failure dominates unless db's quorum is strict.
            let db_down = binomial_tail(10_000, 10_000 - quorum as u64 + 1, 0.01);
            let expected = 0.999 * (1.0 - db_down);
            if zones.is_none() {
                assert_within(&r[0], expected);
            }
            assert!(r[0].importance.len() == 10_001 + if zones.is_some() { 3 } else { 0 });
        }
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    }
}
