//! The drill's questions: which fault to ask about, the story that tells
//! it, the true answer and how an answer is scored.
//!
//! **Choosing.** Every level has a pool of candidate faults (easy: one
//! service down; medium: a zone, a replica, slow, errors, a hang; hard:
//! two faults together, a partly slow service, and questions about a later
//! moment). Each candidate's true cascade is computed, then weighed by how
//! much it teaches: a fault that changes nothing users or other services
//! see weighs little; each service it drags along, a mix of user-visible
//! outcomes, and a mechanism at work (a fallback, a cache, a pool running
//! dry, overload, a breaker, retries multiplying load, a state that changes
//! with time) add weight. Questions are then drawn with a seeded RNG in
//! proportion to weight, without repeats.
//!
//! **Answering.** Easy questions are answered by the structural rules
//! (docs/engine.md, "The structural rules"), medium ones by the steady state, hard ones by the
//! timeline at the moment asked about (a fault at t = 0).
//!
//! **Scoring.** Each part is worth 10 points: what users see (10 × share of
//! entry points right), and from medium up the services that go down and
//! those that degrade (10 × F1 of the named set against the true one, so
//! both missing a service and naming a wrong one cost). Services the
//! question itself names as wholly down are neither required nor counted,
//! and neither are entry points: each is scored once, under what users
//! see.
//!
//! **Telling.** A slow or erroring service is told as the change the fault
//! makes ("every request takes 3s longer than usual"), and the reveal
//! repeats that phrase for it, so the question and the answer never give
//! two numbers for one thing. What the round teaches is in
//! [`super::lesson`].

use rayon::prelude::*;
use std::collections::BTreeSet;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::analysis::spof::{Entry, entries};
use crate::graph::Graph;
use crate::model::{Model, ServiceId};
use crate::sim::faults::{Fault, FaultKind, Scope, Slowdown, parse};
use crate::sim::steady::{Engine, Outcome, State};
use crate::sim::structural::{self, Health, StructuralFaults};
use crate::sim::timeline;

/// How hard the questions are (docs/game.md, "Levels").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One service down, answered structurally.
    Easy,
    /// Zones, replicas, slow, errors, answered by the steady state.
    Medium,
    /// Combined faults and later moments, answered by the timeline.
    Hard,
}

impl Level {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Easy => "easy",
            Level::Medium => "medium",
            Level::Hard => "hard",
        }
    }

    /// Whether the player also names the services that go down and degrade.
    pub fn asks_services(self) -> bool {
        self != Level::Easy
    }

    /// Points a round is worth.
    pub fn max_points(self) -> u32 {
        if self.asks_services() { 30 } else { 10 }
    }
}

/// What users of an entry point see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seen {
    /// Healthy: it works.
    Works,
    /// Slow or degraded: it works, worse.
    Degraded,
    /// Down: it fails.
    Fails,
}

impl Seen {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Seen::Works => "works",
            Seen::Degraded => "degraded",
            Seen::Fails => "fails",
        }
    }

    /// What users see of a service or operation in `state`: slow counts as
    /// degraded (the user waits; the page still comes).
    pub fn of(state: State) -> Seen {
        match state {
            State::Healthy => Seen::Works,
            State::Slow | State::Degraded => Seen::Degraded,
            State::Down => Seen::Fails,
        }
    }

    /// Reads an answer: `w`/`works`/`ok`/`up`, `d`/`degraded`/`slow`,
    /// `f`/`fails`/`down`, any case.
    pub fn parse(text: &str) -> Option<Seen> {
        match text.trim().to_lowercase().as_str() {
            "w" | "works" | "work" | "ok" | "up" | "healthy" | "fine" => Some(Seen::Works),
            "d" | "degraded" | "degrades" | "degrade" | "slow" | "partial" => Some(Seen::Degraded),
            "f" | "fails" | "fail" | "down" | "broken" | "dead" => Some(Seen::Fails),
            _ => None,
        }
    }
}

/// How a question's truth is worked out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "by")]
pub enum Method {
    /// The structural rules.
    Structural,
    /// The steady state.
    Steady,
    /// The timeline, at `at_s` seconds after the faults begin.
    Timeline {
        /// The moment asked about.
        at_s: f64,
    },
}

impl Method {
    /// The moment asked about, for timeline questions.
    pub fn at_s(self) -> Option<f64> {
        match self {
            Method::Timeline { at_s } => Some(at_s),
            _ => None,
        }
    }
}

/// The true cascade of a question.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Entry points (services, then entry operations) and what users see.
    pub users: Vec<(Entry, Seen)>,
    /// Each service's state (structural health mapped onto states for easy
    /// questions).
    pub states: Vec<State>,
    /// Services the question names as wholly down or hung: given away, so
    /// not asked about.
    pub given: BTreeSet<ServiceId>,
    /// Services some fault of the question hits (whole or in part), with
    /// the kind of the first fault on each.
    pub faulted: std::collections::BTreeMap<ServiceId, FaultKind>,
    /// Entry services: asked about under what users see, so not again
    /// among the services that go down or degrade.
    pub asked: BTreeSet<ServiceId>,
    /// Services that go down, not counting `given` and `asked`, in model
    /// order.
    pub down: BTreeSet<ServiceId>,
    /// Services that degrade or slow down, not counting `given` and `asked`.
    pub degraded: BTreeSet<ServiceId>,
    /// Each service's success as the answer's method works it out (`None`
    /// where the structural rules overrule the steady state's figures).
    pub success: Vec<Option<f64>>,
    /// The figures and reasons behind it (for the reveal and the picture);
    /// its states agree with `states`.
    pub outcome: Outcome,
    /// For timeline questions: each service's state right after the faults
    /// began, to tell what changed with time.
    pub early: Option<Vec<State>>,
}

impl Truth {
    /// Why a service is in its state: "the fault itself" for a service the
    /// question gave away, else the engine's reason.
    pub fn because(&self, id: ServiceId) -> &str {
        if self.given.contains(&id) {
            "the fault itself"
        } else {
            &self.outcome.services[id.index()].because
        }
    }

    /// Services not counted among the named sets: given away or asked
    /// about as entry points.
    pub fn not_named(&self) -> BTreeSet<ServiceId> {
        self.given.union(&self.asked).copied().collect()
    }
}

/// One question of the drill.
#[derive(Debug, Clone)]
pub struct Question {
    /// The faults, all beginning at t = 0.
    pub faults: Vec<Fault>,
    /// How the truth is worked out.
    pub method: Method,
    /// The story that tells it.
    pub story: String,
    /// The answer.
    pub truth: Truth,
    /// How much it teaches (the draw's weight).
    pub weight: f64,
}

impl Question {
    /// The faults as they would be typed.
    pub fn flags(&self) -> Vec<String> {
        self.faults.iter().map(Fault::as_flag).collect()
    }
}

/// Everything a drill needs, computed once per model.
pub struct Drill<'m> {
    model: &'m Model,
    engine: Engine<'m>,
    graph: Graph,
    baseline: Outcome,
    entries: Vec<Entry>,
}

/// Time step of timeline questions.
pub const TIMELINE_STEP_S: f64 = 5.0;
/// Candidates evaluated per round for hard questions (each is a timeline).
const HARD_CANDIDATES_PER_ROUND: usize = 6;
/// The later moments hard questions ask about.
const LATER_MOMENTS_S: [f64; 3] = [60.0, 300.0, 900.0];

impl<'m> Drill<'m> {
    /// Indexes a model for drilling.
    pub fn new(model: &'m Model) -> Drill<'m> {
        let engine = Engine::new(model);
        let baseline = engine.steady(&[]);
        Drill {
            model,
            graph: Graph::build(model),
            engine,
            baseline,
            entries: entries(model),
        }
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The entry points asked about.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The fault-free steady state.
    pub fn baseline(&self) -> &Outcome {
        &self.baseline
    }

    /// The steady-state engine.
    pub fn engine(&self) -> &Engine<'m> {
        &self.engine
    }

    /// How a level answers `faults`: easy questions that are not plain
    /// whole-service crashes fall back to the steady state, because the
    /// structural rules cannot see slowness.
    pub fn method_for(&self, level: Level, faults: &[Fault], at_s: Option<f64>) -> Method {
        if let Some(at_s) = at_s {
            return Method::Timeline { at_s };
        }
        match level {
            Level::Easy
                if faults.iter().all(|f| {
                    matches!(
                        f,
                        Fault::Down {
                            scope: Scope::Service(_),
                            ..
                        }
                    )
                }) =>
            {
                Method::Structural
            }
            _ => Method::Steady,
        }
    }

    /// The steady state of `faults` with each state the structural
    /// evaluation gives instead (its reason too), and the services whose
    /// state it overruled.
    fn structural_outcome(&self, faults: &[Fault]) -> (Outcome, BTreeSet<ServiceId>) {
        let model = self.model;
        let health =
            structural::evaluate(&self.graph, &StructuralFaults::from_faults(model, faults));
        let mut outcome = self.engine.steady_swept(faults);
        let mut overruled = BTreeSet::new();
        let state_of = |h: Health| match h {
            Health::Up => State::Healthy,
            Health::Degraded => State::Degraded,
            Health::Down => State::Down,
        };
        for id in model.service_ids() {
            let want = state_of(health.services[id.index()]);
            let f = &mut outcome.services[id.index()];
            if f.state != want {
                f.state = want;
                f.because = structural_reason(model, &health.services, id, want);
                overruled.insert(id);
            }
            for (oi, of) in outcome.operations[id.index()].iter_mut().enumerate() {
                let want = state_of(health.operations[self.graph.op_index(id, oi)]);
                if of.state != want {
                    of.state = want;
                    of.because = structural_reason(model, &health.services, id, want);
                }
            }
        }
        (outcome, overruled)
    }

    /// The true cascade of `faults`.
    pub fn truth(&self, faults: &[Fault], method: Method) -> Truth {
        let model = self.model;
        let (outcome, states, early, overruled) = match method {
            Method::Structural => {
                let (outcome, overruled) = self.structural_outcome(faults);
                let states = outcome.services.iter().map(|f| f.state).collect();
                (outcome, states, None, overruled)
            }
            Method::Steady => {
                let outcome = self.engine.steady_swept(faults);
                let states = outcome.services.iter().map(|f| f.state).collect();
                (outcome, states, None, BTreeSet::new())
            }
            Method::Timeline { at_s } => {
                let tl = timeline::simulate(
                    model,
                    &timeline::Event::from_start(faults),
                    timeline::Options {
                        duration_s: at_s,
                        step_s: TIMELINE_STEP_S.min(at_s),
                    },
                );
                let early = tl.service_states.first().cloned();
                let states = tl.last.services.iter().map(|f| f.state).collect();
                (tl.last, states, early, BTreeSet::new())
            }
        };
        // Services the faults themselves take out whole (every replica
        // crashed or hung, by name, by zone or by replica count).
        let mut hit: std::collections::BTreeMap<ServiceId, BTreeSet<u32>> = Default::default();
        for f in faults
            .iter()
            .filter(|f| matches!(f, Fault::Down { .. } | Fault::Hang { .. }))
        {
            for (id, replicas) in f.replicas_hit(model) {
                hit.entry(id).or_default().extend(replicas);
            }
        }
        let given: BTreeSet<ServiceId> = hit
            .into_iter()
            .filter(|(id, r)| r.len() as u32 >= model.service(*id).replicas.max(1))
            .map(|(id, _)| id)
            .collect();
        let users = self
            .entries
            .iter()
            .map(|e| {
                let state = match e.operation {
                    Some(op) => outcome.operations[e.service.index()][op].state,
                    None => outcome.services[e.service.index()].state,
                };
                (e.clone(), Seen::of(state))
            })
            .collect();
        let asked: BTreeSet<ServiceId> = self.entries.iter().map(|e| e.service).collect();
        let pick = |want: &dyn Fn(State) -> bool| -> BTreeSet<ServiceId> {
            model
                .service_ids()
                .filter(|id| !given.contains(id) && !asked.contains(id))
                .filter(|id| want(outcome.services[id.index()].state))
                .collect()
        };
        let down = pick(&|s| s == State::Down);
        let degraded = pick(&|s| matches!(s, State::Slow | State::Degraded));
        let success = model
            .service_ids()
            .map(|id| (!overruled.contains(&id)).then(|| outcome.services[id.index()].success))
            .collect();
        let mut faulted = std::collections::BTreeMap::new();
        for f in faults {
            for id in f.services(model) {
                faulted.entry(id).or_insert(f.kind());
            }
        }
        Truth {
            users,
            states,
            given,
            faulted,
            asked,
            down,
            degraded,
            success,
            outcome,
            early,
        }
    }

    /// How much a question teaches: the draw's weight (always positive).
    pub fn weight(&self, truth: &Truth) -> f64 {
        let affected = truth.down.len() + truth.degraded.len();
        let seen: BTreeSet<Seen> = truth.users.iter().map(|(_, s)| *s).collect();
        if affected == 0 && seen.iter().all(|s| *s == Seen::Works) {
            return 0.1;
        }
        let mut w = 1.0 + 0.5 * affected.min(6) as f64;
        if seen.len() > 1 {
            w += 1.5;
        }
        for lesson in self.lessons(truth) {
            w += match lesson.mechanism {
                "fallback" | "pool" | "retries" | "time" | "breaker" => 2.0,
                "cache" | "overload" | "timeout" | "soft" | "async" => 1.5,
                _ => 0.0,
            };
        }
        w
    }

    /// The candidate faults of a level (each one question's faults).
    pub fn candidates(&self, level: Level, rng: &mut ChaCha8Rng) -> Vec<(Vec<Fault>, Method)> {
        let model = self.model;
        let entry_ids: BTreeSet<ServiceId> = model.entry_points().collect();
        let by = |kind: FaultKind, arg: String| parse(kind, &arg, model).ok();
        let mut singles: Vec<Fault> = Vec::new();
        let down_each: Vec<Fault> = model
            .service_ids()
            .filter(|id| !entry_ids.contains(id))
            .filter_map(|id| by(FaultKind::Down, model.service(id).name.clone()))
            .collect();
        if level == Level::Easy {
            return down_each
                .into_iter()
                .map(|f| (vec![f], Method::Structural))
                .collect();
        }
        for zone in &model.zones {
            singles.extend(by(FaultKind::Down, format!("zone:{zone}")));
        }
        for id in model.service_ids() {
            let s = model.service(id);
            let name = &s.name;
            if s.replicas > 1 {
                singles.extend(by(FaultKind::Down, format!("{name}:1")));
                let to_break = s.replicas - s.quorum.max(1) + 1;
                if to_break > 1 && to_break < s.replicas {
                    singles.extend(by(FaultKind::Down, format!("{name}:{to_break}")));
                }
            }
            if entry_ids.contains(&id) {
                continue;
            }
            singles.extend(by(FaultKind::Hang, name.clone()));
            singles.extend(by(FaultKind::Slow, format!("{name}=x10")));
            singles.extend(by(FaultKind::Slow, format!("{name}=+3s")));
            singles.extend(by(FaultKind::Errors, format!("{name}=30%")));
            singles.extend(by(FaultKind::Errors, format!("{name}=80%")));
        }
        if level == Level::Medium {
            return singles
                .into_iter()
                .map(|f| (vec![f], Method::Steady))
                .collect();
        }
        // Hard: pairs, partly slow services and later moments.
        let mut out: Vec<(Vec<Fault>, Method)> = Vec::new();
        let moment = |rng: &mut ChaCha8Rng| Method::Timeline {
            at_s: LATER_MOMENTS_S[rng.random_range(0..LATER_MOMENTS_S.len())],
        };
        let mut pool = singles.clone();
        pool.extend(down_each);
        for id in model.service_ids().filter(|id| !entry_ids.contains(id)) {
            let name = &model.service(id).name;
            pool.extend(by(FaultKind::Slow, format!("{name}=+10s@20%")));
            pool.extend(by(FaultKind::Slow, format!("{name}=+2s@50%")));
        }
        for f in &pool {
            out.push((vec![f.clone()], moment(rng)));
        }
        for i in 0..pool.len() {
            let j = rng.random_range(0..pool.len());
            let (a, b) = (&pool[i], &pool[j]);
            if a.services(model)
                .iter()
                .any(|s| b.services(model).contains(s))
            {
                continue;
            }
            out.push((vec![a.clone(), b.clone()], moment(rng)));
        }
        out
    }

    /// Draws `rounds` questions for `level` with the seeded RNG: weighed by
    /// how much they teach, without repeats. The first question may be set
    /// (`fixed`). Fewer come back when the model has fewer candidates.
    pub fn questions(
        &self,
        level: Level,
        seed: u64,
        rounds: usize,
        fixed: Option<(Vec<Fault>, Option<f64>)>,
    ) -> Vec<Question> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        if let Some((faults, at_s)) = fixed {
            let method = self.method_for(level, &faults, at_s);
            out.push(self.question(faults, method, &mut rng));
        }
        if out.len() >= rounds {
            return out;
        }
        let mut pool = self.candidates(level, &mut rng);
        // Hard candidates each need a timeline: weigh a random handful per round.
        if level == Level::Hard {
            let keep = HARD_CANDIDATES_PER_ROUND
                .saturating_mul(rounds)
                .min(pool.len());
            for i in 0..keep {
                let j = rng.random_range(i..pool.len());
                pool.swap(i, j);
            }
            pool.truncate(keep);
        }
        // The truths on every core; the stories after, in pool order, so
        // the seed draws what it drew on one thread.
        let truths: Vec<Truth> = pool
            .par_iter()
            .map(|(faults, method)| self.truth(faults, *method))
            .collect();
        let mut weighed: Vec<Question> = pool
            .into_iter()
            .zip(truths)
            .map(|((faults, method), truth)| self.told(faults, method, truth, &mut rng))
            .filter(|q| !out.iter().any(|o: &Question| o.flags() == q.flags()))
            .collect();
        draw(&mut weighed, &mut out, rounds, &mut rng);
        out
    }

    /// One question: its truth, weight and story.
    pub fn question(&self, faults: Vec<Fault>, method: Method, rng: &mut ChaCha8Rng) -> Question {
        let truth = self.truth(&faults, method);
        self.told(faults, method, truth, rng)
    }

    /// The question of a truth: its weight and its story.
    fn told(
        &self,
        faults: Vec<Fault>,
        method: Method,
        truth: Truth,
        rng: &mut ChaCha8Rng,
    ) -> Question {
        let weight = self.weight(&truth);
        let story = self.story(&faults, method, rng);
        Question {
            faults,
            method,
            story,
            truth,
            weight,
        }
    }

    /// Tells the faults as a story: a moment, then what breaks.
    pub fn story(&self, faults: &[Fault], method: Method, rng: &mut ChaCha8Rng) -> String {
        const DAYS: [&str; 5] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
        let day = DAYS[rng.random_range(0..DAYS.len())];
        let hour = rng.random_range(9..18);
        let minute = rng.random_range(0..60);
        let mut text = format!("{day} {hour:02}:{minute:02}.");
        for (i, f) in faults.iter().enumerate() {
            if i > 0 {
                text.push_str(" In the same minute:");
            }
            text.push(' ');
            text.push_str(&self.tell(f));
        }
        if let Some(at_s) = method.at_s() {
            text.push_str(&format!(
                " Nobody touches anything. What does it look like {} later?",
                spoken_duration(at_s)
            ));
        }
        text
    }

    /// The change a slow or erroring fault makes to each request, in the
    /// words both the story and the reveal use (`None` for other kinds).
    pub fn change_told(&self, f: &Fault) -> Option<String> {
        use crate::sim::explain::{latency, percent};
        let number = crate::text::number;
        match f {
            Fault::Slow {
                change,
                share: None,
                ..
            } => Some(match change {
                Slowdown::Add(d) => {
                    format!("every request takes {} longer than usual", latency(*d))
                }
                Slowdown::Factor(k) => {
                    format!("every request takes {} times as long as usual", number(*k))
                }
            }),
            Fault::Slow {
                change,
                share: Some(share),
                ..
            } => Some(match change {
                Slowdown::Add(d) => format!(
                    "{} of its requests take {} longer than usual",
                    percent(*share),
                    latency(*d)
                ),
                Slowdown::Factor(k) => format!(
                    "{} of its requests take {} times as long as usual",
                    percent(*share),
                    number(*k)
                ),
            }),
            Fault::Errors { share, .. } => {
                Some(format!("{} of its requests fail at once", percent(*share)))
            }
            Fault::Down { .. }
            | Fault::Hang { .. }
            | Fault::Cut { .. }
            | Fault::Surge { .. }
            | Fault::Cold { .. } => None,
        }
    }

    /// Why a service is in its state, as the reveal tells it: for a
    /// service a slow or erroring fault hits, the change as the story told
    /// it, then what followed (the engine's own words for the fault, which
    /// name its flag, give way to it).
    pub fn reveal_because(&self, q: &Question, id: ServiceId) -> String {
        let because = q.truth.because(id);
        let told: Vec<String> = q
            .faults
            .iter()
            .filter(|f| f.services(self.model).contains(&id))
            .filter_map(|f| {
                self.change_told(f)
                    .map(|c| format!("the fault: {c} ({})", f.as_flag()))
            })
            .collect();
        if told.is_empty() {
            return because.to_owned();
        }
        let flags = q.flags();
        let rest: Vec<&str> = because
            .split("; also ")
            .filter(|clause| {
                !clause.is_empty() && !flags.iter().any(|f| clause.contains(f.as_str()))
            })
            .collect();
        if rest.is_empty() {
            told.join("; ")
        } else {
            format!("{}; with it: {}", told.join("; "), rest.join("; also "))
        }
    }

    /// One fault in words.
    fn tell(&self, f: &Fault) -> String {
        let model = self.model;
        let target = f.target().unwrap_or_default();
        let usual = |id: ServiceId| self.baseline.services[id.index()].latency_s;
        match f {
            Fault::Down {
                scope: Scope::Zone(z),
                ..
            } => format!(
                "Zone {} loses power: every replica running there is gone.",
                model.zones[*z]
            ),
            Fault::Down {
                scope: Scope::Replicas(s, k),
                ..
            } => {
                let svc = model.service(*s);
                format!(
                    "{k} of {}'s {} replicas die with their hosts (it needs {} to serve).",
                    svc.name,
                    svc.replicas,
                    svc.quorum.max(1)
                )
            }
            Fault::Down {
                scope: Scope::Service(_),
                ..
            } => {
                format!("A bad deploy sends {target} into a crash loop: every replica is down.")
            }
            Fault::Hang { .. } => {
                format!("{target} deadlocks: it accepts every connection and never answers.")
            }
            Fault::Slow {
                scope: Scope::Service(s) | Scope::Replicas(s, _),
                change: slowdown,
                share,
                ..
            } => {
                let change = self.change_told(f).unwrap_or_default();
                let normally = if usual(*s) > 0.0 {
                    format!(
                        " (it normally answers in {})",
                        crate::sim::explain::latency(usual(*s))
                    )
                } else {
                    String::new()
                };
                if share.is_some() && matches!(slowdown, Slowdown::Add(_)) {
                    format!("One of {target}'s disks is failing: {change}{normally}.")
                } else {
                    format!("{target} slows down: {change}{normally}.")
                }
            }
            Fault::Errors { .. } => {
                format!(
                    "{target} starts failing: {}.",
                    self.change_told(f).unwrap_or_default()
                )
            }
            Fault::Slow {
                scope: Scope::Zone(_),
                ..
            }
            | Fault::Cut { .. }
            | Fault::Surge { .. }
            | Fault::Cold { .. } => format!("{} happens.", f.as_flag()),
        }
    }
}

/// Moves questions from `pool` to `out` until it holds `rounds`, each drawn
/// in proportion to its weight (so never twice).
pub fn draw(
    pool: &mut Vec<Question>,
    out: &mut Vec<Question>,
    rounds: usize,
    rng: &mut ChaCha8Rng,
) {
    while out.len() < rounds && !pool.is_empty() {
        let total: f64 = pool.iter().map(|q| q.weight).sum();
        let mut x = rng.random::<f64>() * total;
        let mut pick = pool.len() - 1;
        for (i, q) in pool.iter().enumerate() {
            if x < q.weight {
                pick = i;
                break;
            }
            x -= q.weight;
        }
        out.push(pool.remove(pick));
    }
}

/// `15 minutes`, `1 minute`, `30 seconds`.
pub fn spoken_duration(seconds: f64) -> String {
    let (n, unit) = if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        (seconds / 60.0, "minute")
    } else {
        (seconds, "second")
    };
    let n = crate::render::picture::number(n);
    if n == "1" {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Why a service is in a structural state the steady state does not share:
/// the dependencies that are not up.
fn structural_reason(model: &Model, health: &[Health], id: ServiceId, state: State) -> String {
    if state == State::Healthy {
        return "structurally up: every dependency it needs still serves".into();
    }
    let mut hurt: Vec<String> = Vec::new();
    for op in &model.service(id).operations {
        for dep in &op.depends_on {
            let t = dep.target.service;
            let h = health[t.index()];
            let name = &model.service(t).name;
            let text = format!(
                "{name} ({})",
                if h == Health::Down {
                    "down"
                } else {
                    "degraded"
                }
            );
            if h != Health::Up && !hurt.contains(&text) {
                hurt.push(text);
            }
        }
    }
    if hurt.is_empty() {
        format!("{} under the fault itself", state.as_str())
    } else {
        format!(
            "structurally {}: depends on {}",
            state.as_str(),
            hurt.join(", ")
        )
    }
}

/// How one named set of services scored against the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetScore {
    /// Named and true.
    pub right: usize,
    /// Named.
    pub named: usize,
    /// True.
    pub actual: usize,
    /// Right ÷ named (1 when nothing was named).
    pub precision: f64,
    /// Right ÷ true (1 when nothing is true).
    pub recall: f64,
    /// 10 × F1, rounded.
    pub points: u32,
}

/// Scores a named set against the true one.
pub fn score_set(named: &BTreeSet<ServiceId>, actual: &BTreeSet<ServiceId>) -> SetScore {
    let right = named.intersection(actual).count();
    let precision = if named.is_empty() {
        1.0
    } else {
        right as f64 / named.len() as f64
    };
    let recall = if actual.is_empty() {
        1.0
    } else {
        right as f64 / actual.len() as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    SetScore {
        right,
        named: named.len(),
        actual: actual.len(),
        precision,
        recall,
        points: (10.0 * f1).round() as u32,
    }
}

/// A player's answer to a question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// What users see, per entry point (in `Truth::users` order).
    pub users: Vec<Seen>,
    /// Services named as going down.
    pub down: BTreeSet<ServiceId>,
    /// Services named as degrading.
    pub degraded: BTreeSet<ServiceId>,
}

/// How an answer scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Entry points answered right.
    pub users_right: usize,
    /// Entry points asked about.
    pub users_total: usize,
    /// 10 × share right, rounded.
    pub users_points: u32,
    /// The down set (medium and hard).
    pub down: Option<SetScore>,
    /// The degraded set (medium and hard).
    pub degraded: Option<SetScore>,
    /// Points won.
    pub points: u32,
    /// Points the round was worth.
    pub max: u32,
}

/// Scores an answer (see the module docs). Services the question gave away
/// and entry points (scored under users) are dropped from the named sets.
pub fn score(level: Level, truth: &Truth, answer: &Answer) -> Score {
    let users_total = truth.users.len();
    let users_right = truth
        .users
        .iter()
        .zip(&answer.users)
        .filter(|((_, t), a)| t == *a)
        .count();
    let users_points = if users_total == 0 {
        10
    } else {
        (10.0 * users_right as f64 / users_total as f64).round() as u32
    };
    let (down, degraded) = if level.asks_services() {
        let not_named = truth.not_named();
        let strip = |s: &BTreeSet<ServiceId>| -> BTreeSet<ServiceId> {
            s.difference(&not_named).copied().collect()
        };
        (
            Some(score_set(&strip(&answer.down), &truth.down)),
            Some(score_set(&strip(&answer.degraded), &truth.degraded)),
        )
    } else {
        (None, None)
    };
    let points = users_points
        + down.as_ref().map_or(0, |s| s.points)
        + degraded.as_ref().map_or(0, |s| s.points);
    Score {
        users_right,
        users_total,
        users_points,
        down,
        degraded,
        points,
        max: level.max_points(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn set(ids: &[u32]) -> BTreeSet<ServiceId> {
        ids.iter().map(|&i| ServiceId(i)).collect()
    }

    #[test]
    fn set_scores_are_f1_in_tenths() {
        // Named {1,2}, true {2,3,4}: precision 1/2, recall 1/3, F1 = 0.4.
        let s = score_set(&set(&[1, 2]), &set(&[2, 3, 4]));
        assert_eq!((s.right, s.named, s.actual), (1, 2, 3));
        assert_eq!(s.precision, 0.5);
        assert!((s.recall - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.points, 4);
        // Nothing named, nothing true: full marks.
        assert_eq!(score_set(&set(&[]), &set(&[])).points, 10);
        // Nothing named but something true, or the reverse: nothing.
        assert_eq!(score_set(&set(&[]), &set(&[1])).points, 0);
        assert_eq!(score_set(&set(&[1]), &set(&[])).points, 0);
        // Exactly right.
        assert_eq!(score_set(&set(&[1, 2]), &set(&[1, 2])).points, 10);
        // Everything named, one of four true: P 1/4, R 1 → F1 0.4.
        assert_eq!(score_set(&set(&[1, 2, 3, 4]), &set(&[3])).points, 4);
    }

    const SHOP: &str = "services:\n  web: { entry: { rps: 100 }, depends_on: [api, { to: recs, criticality: soft }] }\n  api: { depends_on: [db] }\n  db: {}\n  recs: {}\n  batch: {}\n";

    #[test]
    fn a_hand_worked_round_scores_as_expected() {
        let m = load_str(SHOP, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        let db = parse(FaultKind::Down, "db", &m).unwrap();
        let truth = drill.truth(&[db], Method::Steady);
        // db down → api down → web down; recs untouched. web is an entry
        // point: scored under users only, not again among the services.
        assert_eq!(truth.users[0].1, Seen::Fails);
        assert_eq!(truth.down, set(&[1]));
        assert!(truth.degraded.is_empty());
        assert_eq!(truth.given, set(&[2]));
        assert_eq!(truth.asked, set(&[0]));
        // The player: web fails (right), down = {api, db, recs}: db is given
        // away and dropped, so {api, recs} against {api}: P 1/2, R 1 → 7.
        let answer = Answer {
            users: vec![Seen::Fails],
            down: set(&[1, 2, 3]),
            degraded: set(&[]),
        };
        let s = score(Level::Medium, &truth, &answer);
        assert_eq!(s.users_points, 10);
        assert_eq!(s.down.as_ref().unwrap().points, 7);
        assert_eq!(s.degraded.as_ref().unwrap().points, 10);
        assert_eq!((s.points, s.max), (27, 30));
        // Naming the entry point among the services neither gains nor
        // loses: it was scored once, above (issue 13 §5).
        let with_web = Answer {
            down: set(&[0, 1]),
            ..answer.clone()
        };
        let without_web = Answer {
            down: set(&[1]),
            ..answer.clone()
        };
        assert_eq!(
            score(Level::Medium, &truth, &with_web),
            score(Level::Medium, &truth, &without_web)
        );
        assert_eq!(score(Level::Medium, &truth, &without_web).points, 30);
        // Easy counts users only.
        let s = score(Level::Easy, &truth, &answer);
        assert_eq!((s.points, s.max), (10, 10));
    }

    #[test]
    fn services_a_zone_takes_out_whole_are_given_away() {
        let m = load_str(
            "zones: [za, zb]\nservices:\n  web: { entry: { rps: 10 }, replicas: 2, zones: [za, zb], depends_on: [db] }\n  db: { zones: [za] }\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let drill = Drill::new(&m);
        let zone = parse(FaultKind::Down, "zone:za", &m).unwrap();
        let truth = drill.truth(&[zone], Method::Steady);
        // db lived only in za: given away. web keeps a replica in zb, so
        // it is asked about, as an entry point (and goes down with db).
        assert_eq!(truth.given, set(&[1]));
        assert_eq!(truth.users[0].1, Seen::Fails);
        assert!(truth.down.is_empty());
    }

    #[test]
    fn dull_faults_weigh_little_and_cascades_more() {
        let m = load_str(SHOP, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        let q = |name: &str| {
            let f = parse(FaultKind::Down, name, &m).unwrap();
            drill.weight(&drill.truth(&[f], Method::Structural))
        };
        // batch serves nobody: dull. recs is soft: web degrades (a lesson).
        // db takes api and web down.
        assert_eq!(q("batch"), 0.1);
        assert!(q("recs") > q("db"));
        assert!(q("db") > 1.0);
    }

    #[test]
    fn the_same_seed_draws_the_same_questions() {
        let m = load_str(SHOP, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        for level in [Level::Easy, Level::Medium, Level::Hard] {
            let a: Vec<_> = drill
                .questions(level, 7, 3, None)
                .iter()
                .map(|q| (q.flags(), q.story.clone()))
                .collect();
            let b: Vec<_> = drill
                .questions(level, 7, 3, None)
                .iter()
                .map(|q| (q.flags(), q.story.clone()))
                .collect();
            assert_eq!(a, b);
            assert!(!a.is_empty());
            // No question twice.
            let distinct: BTreeSet<_> = a.iter().map(|x| &x.0).collect();
            assert_eq!(distinct.len(), a.len());
        }
    }

    #[test]
    fn answers_are_read_loosely() {
        assert_eq!(Seen::parse(" W "), Some(Seen::Works));
        assert_eq!(Seen::parse("Degraded"), Some(Seen::Degraded));
        assert_eq!(Seen::parse("down"), Some(Seen::Fails));
        assert_eq!(Seen::parse("maybe"), None);
        assert_eq!(spoken_duration(900.0), "15 minutes");
        assert_eq!(spoken_duration(60.0), "1 minute");
        assert_eq!(spoken_duration(30.0), "30 seconds");
    }
}
