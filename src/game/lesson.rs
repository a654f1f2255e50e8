//! What a drill round teaches.
//!
//! [`Drill::lessons`] names the mechanisms a cascade shows (a fallback, a
//! pool running dry, a retry storm …), where, in a sentence of their own —
//! never the engine's reason again, which the reveal has just shown. They
//! weigh questions, so they are cheap.
//!
//! [`Drill::teach`] adds the design choice that would have changed the
//! outcome, and proves it: each candidate change on the path the trouble
//! took (a timeout, a retry budget, a circuit breaker, one more replica, a
//! soft edge) is applied to a copy of the model and the question is played
//! again by the same method; the change that spares users most is told,
//! with what users would have seen and the review lint that finds its
//! absence ("A 500ms timeout on `app`→`db` would have left `web` degraded
//! instead of failing: see R001"). When users were spared, the protection
//! that spared them is taken away instead, to show what it bought.

use std::collections::BTreeSet;

use super::drill::{Drill, Method, Question, Seen, Truth};
use crate::analysis::lints::{
    no_breaker, no_headroom, no_timeout, retry_amplification, suggested_timeout,
};
use crate::analysis::spof::Entry;
use crate::model::{CircuitBreaker, Criticality, Dependency, Mode, Model, Phase, ServiceId};
use crate::sim::faults::{Fault, FaultKind, Scope};
use crate::sim::steady::State;

/// A mechanism a cascade shows, for weighing questions and for the lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Short name (`fallback`, `retries` …).
    pub mechanism: &'static str,
    /// The service where it acted, when there is one.
    pub service: Option<ServiceId>,
    /// One sentence for the player, naming the mechanism and where.
    pub text: String,
}

/// The most changes played again per lesson (each is one more evaluation
/// of the question).
const MOST_CHANGES: usize = 12;

/// A change to the design, on every dependency from `caller` to `callee`
/// that it applies to (or on one service).
#[derive(Debug, Clone, PartialEq)]
enum Change {
    /// A timeout of this many seconds where there was none or a longer one.
    Timeout {
        caller: ServiceId,
        callee: ServiceId,
        seconds: f64,
        had: bool,
    },
    /// A 10 % retry budget where retries had none.
    Budget {
        caller: ServiceId,
        callee: ServiceId,
    },
    /// A circuit breaker where there was none.
    Breaker {
        caller: ServiceId,
        callee: ServiceId,
    },
    /// The caller answers without the callee.
    Soft {
        caller: ServiceId,
        callee: ServiceId,
    },
    /// One more replica.
    Replica { service: ServiceId },
    /// Without the protection that was there (`what` names it).
    Without {
        caller: ServiceId,
        callee: ServiceId,
        what: &'static str,
    },
}

impl Change {
    /// Applies the change to a copy of the model.
    fn apply(&self, model: &mut Model) {
        let edges = |model: &mut Model,
                     caller: ServiceId,
                     callee: ServiceId,
                     f: &dyn Fn(&mut Dependency)| {
            for op in &mut model.services_mut()[caller.index()].operations {
                for dep in op
                    .depends_on
                    .iter_mut()
                    .filter(|d| d.target.service == callee)
                {
                    f(dep);
                }
            }
        };
        match *self {
            Change::Timeout {
                caller,
                callee,
                seconds,
                ..
            } => edges(model, caller, callee, &|d| {
                if d.timeout_s.is_none_or(|t| t > seconds) {
                    d.timeout_s = Some(seconds);
                }
            }),
            Change::Budget { caller, callee } => edges(model, caller, callee, &|d| {
                if d.retries > 0 && d.retry_budget.is_none() {
                    d.retry_budget = Some(0.1);
                }
            }),
            Change::Breaker { caller, callee } => edges(model, caller, callee, &|d| {
                d.circuit_breaker.get_or_insert(CircuitBreaker {
                    threshold: 0.5,
                    open_for_s: 30.0,
                });
            }),
            Change::Soft { caller, callee } => edges(model, caller, callee, &|d| {
                d.criticality = Criticality::Soft;
            }),
            Change::Replica { service } => {
                model.services_mut()[service.index()].replicas += 1;
            }
            Change::Without {
                caller,
                callee,
                what,
            } => edges(model, caller, callee, &|d| match what {
                "fallback" => d.fallback = None,
                "breaker" => d.circuit_breaker = None,
                "soft" | "async" => {
                    d.criticality = Criticality::Hard;
                    d.mode = Mode::Sync;
                }
                _ => {}
            }),
        }
    }

    /// The change in words, capitalised, and the lint that finds its
    /// absence.
    fn told(&self, drill: &Drill) -> (String, Option<&'static str>) {
        let name = |id: ServiceId| drill.model().service(id).name.as_str();
        let edge = |a: ServiceId, b: ServiceId| format!("`{}`→`{}`", name(a), name(b));
        match *self {
            Change::Timeout {
                caller,
                callee,
                seconds,
                had,
            } => (
                format!(
                    "A {} timeout on {}",
                    crate::text::duration(seconds),
                    edge(caller, callee)
                ),
                (!had).then_some(no_timeout::RULE.code),
            ),
            Change::Budget { caller, callee } => (
                format!("A 10% retry budget on {}", edge(caller, callee)),
                Some(retry_amplification::RULE.code),
            ),
            Change::Breaker { caller, callee } => (
                format!("A circuit breaker on {}", edge(caller, callee)),
                Some(no_breaker::RULE.code),
            ),
            Change::Soft { caller, callee } => (
                format!(
                    "Letting `{}` answer without `{}` (`criticality: soft` on {})",
                    name(caller),
                    name(callee),
                    edge(caller, callee)
                ),
                None,
            ),
            Change::Replica { service } => (
                format!("One more replica of `{}`", name(service)),
                Some(no_headroom::RULE.code),
            ),
            Change::Without {
                caller,
                callee,
                what,
            } => (
                format!(
                    "Without the {} on {}",
                    match what {
                        "fallback" => "fallback",
                        "breaker" => "circuit breaker",
                        "soft" => "soft criticality",
                        _ => "async hand-off",
                    },
                    edge(caller, callee)
                ),
                None,
            ),
        }
    }

    /// Which changes to try first for a mechanism: 0 for the design
    /// choice it points at, 2 for making a dependency soft (a bigger change
    /// of what the service does), 1 for the rest.
    fn tier(&self, mechanism: &str) -> u8 {
        let answers = matches!(
            (self, mechanism),
            (Change::Timeout { .. }, "pool" | "timeout")
                | (Change::Budget { .. }, "retries")
                | (Change::Breaker { .. }, "breaker" | "retries")
                | (Change::Replica { .. }, "overload" | "headroom")
        );
        match self {
            _ if answers => 0,
            Change::Soft { .. } => 2,
            _ => 1,
        }
    }
}

/// What users of one entry point saw: its name, the state and, where the
/// method gives figures, its success.
#[derive(Debug, Clone, PartialEq)]
struct Users {
    name: String,
    seen: Seen,
    success: Option<f64>,
}

/// What users of every entry point saw in a truth.
fn users(truth: &Truth, method: Method) -> Vec<Users> {
    let figures = !matches!(method, Method::Structural);
    truth
        .users
        .iter()
        .map(|(e, seen)| {
            let f = match e.operation {
                Some(op) => &truth.outcome.operations[e.service.index()][op],
                None => &truth.outcome.services[e.service.index()],
            };
            Users {
                name: e.name.clone(),
                seen: *seen,
                success: figures.then_some(f.success),
            }
        })
        .collect()
}

/// How badly users fared: the share of their requests that fail (from
/// the state where there are no figures), summed over entry points, plus a
/// little for each step from works to fails, so a state alone can tip it.
fn harm(users: &[Users]) -> f64 {
    users
        .iter()
        .map(|u| {
            let rank = match u.seen {
                Seen::Works => 0.0,
                Seen::Degraded => 1.0,
                Seen::Fails => 2.0,
            };
            u.success.map_or(rank / 2.0, |s| 1.0 - s) + 0.01 * rank
        })
        .sum()
}

/// Harm changes smaller than this are noise.
const NOTICEABLE: f64 = 0.005;

/// How users' outcomes moved, entry by entry: "`web` degraded (84%)
/// instead of failing (0%)", "`web.browse` at 20% success instead of 100%".
fn moved(before: &[Users], after: &[Users]) -> String {
    const SHOWN: usize = 3;
    let word = |s: Seen| match s {
        Seen::Works => "working",
        Seen::Degraded => "degraded",
        Seen::Fails => "failing",
    };
    let pct = |s: Option<f64>| {
        s.map(|x| format!(" ({})", crate::sim::explain::percent(x)))
            .unwrap_or_default()
    };
    let mut parts: Vec<String> = before
        .iter()
        .zip(after)
        .filter_map(|(old, new)| {
            let same_success = match (old.success, new.success) {
                (Some(o), Some(n)) => (o - n).abs() < 0.01,
                _ => true,
            };
            if old.seen != new.seen && same_success {
                Some(format!(
                    "`{}` {} instead of {}",
                    new.name,
                    word(new.seen),
                    word(old.seen)
                ))
            } else if old.seen != new.seen {
                Some(format!(
                    "`{}` {}{} instead of {}{}",
                    new.name,
                    word(new.seen),
                    pct(new.success),
                    word(old.seen),
                    pct(old.success)
                ))
            } else {
                match (old.success, new.success) {
                    (Some(o), Some(n)) if (o - n).abs() >= 0.01 => Some(format!(
                        "`{}` at {} success instead of {}",
                        new.name,
                        crate::sim::explain::percent(n),
                        crate::sim::explain::percent(o)
                    )),
                    _ => None,
                }
            }
        })
        .collect();
    if parts.len() > SHOWN {
        let more = parts.len() - SHOWN;
        parts.truncate(SHOWN);
        parts.push(format!("{more} more entry points better off"));
    }
    and_list(&parts)
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl Drill<'_> {
    /// The mechanisms a cascade shows, most instructive first, each once.
    pub fn lessons(&self, truth: &Truth) -> Vec<Lesson> {
        let model = self.model();
        let mut out: Vec<Lesson> = Vec::new();
        fn push(out: &mut Vec<Lesson>, lesson: Lesson) {
            if !out.iter().any(|l| l.mechanism == lesson.mechanism) {
                out.push(lesson);
            }
        }
        for id in model.service_ids() {
            let f = &truth.outcome.services[id.index()];
            if f.state == State::Healthy || truth.given.contains(&id) {
                continue;
            }
            let b = f.because.as_str();
            let has = |words: &[&str]| words.iter().any(|w| b.contains(w));
            // One lesson per service (its reason names every mechanism):
            // the first of these that applies and is not yet taught.
            let found: [(bool, &'static str); 9] = [
                (has(&["stale copies", "failover"]), "fallback"),
                (has(&["soft dependency"]), "soft"),
                (has(&["pool exhausted"]), "pool"),
                (has(&["breaker"]), "breaker"),
                (has(&["overloaded", "queue"]), "overload"),
                (has(&["busy:", "replicas; the other"]), "headroom"),
                (
                    has(&["forever", "no timeout", "without a timeout"]),
                    "timeout",
                ),
                (has(&["hand-offs"]), "async"),
                (has(&["cache "]), "cache"),
            ];
            if let Some((_, mechanism)) = found
                .iter()
                .find(|(hit, m)| *hit && !out.iter().any(|l| l.mechanism == *m))
            {
                let text = self.mechanism_text(mechanism, id, truth);
                push(
                    &mut out,
                    Lesson {
                        mechanism,
                        service: Some(id),
                        text,
                    },
                );
            }
        }
        let storm = model
            .service_ids()
            .filter(|id| !truth.given.contains(id))
            .map(|id| (id, truth.outcome.services[id.index()].amplification))
            .filter(|(_, a)| a.is_finite() && *a >= 1.5)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((id, a)) = storm {
            push(
                &mut out,
                Lesson {
                    mechanism: "retries",
                    service: Some(id),
                    text: format!(
                        "A retry storm: retries at each layer multiplied the attempts reaching `{}` to ×{:.1} its usual load.",
                        model.service(id).name,
                        a
                    ),
                },
            );
        }
        if let Some(early) = &truth.early {
            let changed: Vec<String> = model
                .service_ids()
                .filter(|id| early[id.index()] != truth.states[id.index()])
                .map(|id| format!("`{}`", model.service(id).name))
                .collect();
            if !changed.is_empty() {
                push(
                    &mut out,
                    Lesson {
                        mechanism: "time",
                        service: None,
                        text: format!(
                            "Time changed the picture: {} ended in a different state than at the start, as buffers, stale windows, queues and warm-ups ran their course.",
                            and_list(&changed)
                        ),
                    },
                );
            }
        }
        let hurt = truth
            .users
            .iter()
            .max_by_key(|(_, s)| *s)
            .filter(|(_, s)| *s != Seen::Works);
        if out.is_empty()
            && let Some((entry, _)) = hurt
        {
            let chain = self.chain_of(truth, entry);
            let path = chain
                .iter()
                .map(|&id| format!("`{}`", model.service(id).name))
                .collect::<Vec<_>>()
                .join(" → ");
            push(
                &mut out,
                Lesson {
                    mechanism: "hard-path",
                    service: Some(entry.service),
                    text: if chain.len() > 1 {
                        format!(
                            "A chain of hard dependencies: {path}, with nothing on the way to absorb the trouble."
                        )
                    } else {
                        "Nothing stood between the fault and users.".into()
                    },
                },
            );
        }
        if out.is_empty() {
            let behind: Vec<String> = truth
                .down
                .iter()
                .chain(&truth.degraded)
                .map(|&id| format!("`{}`", model.service(id).name))
                .collect();
            let text = if behind.is_empty() {
                "Nothing user-visible: the architecture absorbed this fault.".to_string()
            } else {
                format!(
                    "Absorbed: users saw nothing, though {} {} affected behind the entry points; redundancy and spare capacity held.",
                    and_list(&behind),
                    if behind.len() == 1 { "was" } else { "were" }
                )
            };
            push(
                &mut out,
                Lesson {
                    mechanism: "absorbed",
                    service: None,
                    text,
                },
            );
        }
        out
    }

    /// A mechanism in a sentence: what happened at `id`, and with which
    /// dependency (the one before it on its chain).
    fn mechanism_text(&self, mechanism: &str, id: ServiceId, truth: &Truth) -> String {
        let model = self.model();
        let s = &model.service(id).name;
        let chain = &truth.outcome.services[id.index()].chain;
        let dep = (chain.last() == Some(&id) && chain.len() > 1)
            .then(|| model.service(chain[chain.len() - 2]).name.as_str());
        if matches!(mechanism, "pool" | "overload" | "headroom") {
            match truth.faulted.get(&id) {
                Some(FaultKind::Slow) => {
                    return format!(
                        "Saturation at the fault: `{s}`'s own requests took longer, so each held a thread longer and `{s}` ran out of them (Little's law: in flight = rate × time); what it could not take in, its callers saw fail."
                    );
                }
                Some(FaultKind::Down) => {
                    return format!(
                        "Overload after a loss: the replicas `{s}` had left could not serve its load, so requests queued and failed."
                    );
                }
                _ => {}
            }
        }
        match (mechanism, dep) {
            ("fallback", Some(d)) => format!(
                "A fallback stood between the fault and users: `{s}` fell back when `{d}` failed."
            ),
            ("fallback", None) => format!("A fallback at `{s}` stood between the fault and users."),
            ("soft", Some(d)) => {
                format!("A soft dependency: `{s}` kept serving without `{d}`, worse but up.")
            }
            ("soft", None) => format!("A soft dependency let `{s}` keep serving, worse but up."),
            ("pool", Some(d)) => format!(
                "Pool exhaustion: `{s}` held its threads waiting on slow `{d}`, so it could serve only part of its requests, even those that never touch `{d}`."
            ),
            ("pool", None) => format!(
                "Pool exhaustion: slow calls held `{s}`'s threads, so it could serve only part of its requests."
            ),
            ("breaker", Some(d)) => format!(
                "A circuit breaker on `{s}`→`{d}` opened: calls failed fast instead of waiting and retrying."
            ),
            ("breaker", None) => format!("A circuit breaker at `{s}` opened: calls failed fast."),
            ("overload", _) => format!(
                "Overload: `{s}` received more requests than its replicas can serve, so they queued and failed."
            ),
            ("headroom", _) => format!(
                "Thin headroom: `{s}` ran near its capacity on the replicas it had left, so its requests queued."
            ),
            ("timeout", Some(d)) => {
                format!("A missing timeout: `{s}` waited as long as `{d}` took, which was forever.")
            }
            ("timeout", None) => format!("A missing timeout: `{s}` waited forever."),
            ("async", Some(d)) => format!(
                "An async hand-off: `{s}` kept serving while its hand-offs to `{d}` waited in the buffer, for as long as the buffer lasts."
            ),
            ("async", None) => {
                format!("An async hand-off kept the failure off `{s}`'s request path.")
            }
            (_, Some(d)) => format!("A cache shaped the outcome: `{s}` reads through `{d}`."),
            (_, None) => format!("A cache shaped the outcome at `{s}`."),
        }
    }

    /// The services from where the trouble started to an entry point.
    fn chain_of(&self, truth: &Truth, entry: &Entry) -> Vec<ServiceId> {
        let f = match entry.operation {
            Some(op) => &truth.outcome.operations[entry.service.index()][op],
            None => &truth.outcome.services[entry.service.index()],
        };
        f.chain.clone()
    }

    /// What a round teaches: the first mechanism with the design change
    /// that would have changed what users saw (checked by playing the
    /// question again on the changed model), then a second mechanism, if
    /// any.
    pub fn teach(&self, q: &Question) -> Vec<String> {
        let lessons = self.lessons(&q.truth);
        let mut out = Vec::new();
        if let Some(first) = lessons.first() {
            match self.design_choice(q, first.mechanism) {
                Some(choice) => out.push(format!("{} {choice}", first.text)),
                None => out.push(first.text.clone()),
            }
        }
        out.extend(lessons.get(1).map(|l| l.text.clone()));
        out
    }

    /// The design choice that changed, or would have changed, what users
    /// saw, in a sentence; `None` when no change tried makes a difference.
    fn design_choice(&self, q: &Question, mechanism: &str) -> Option<String> {
        let before = users(&q.truth, q.method);
        let spared = harm(&before) < NOTICEABLE;
        let protective = matches!(mechanism, "fallback" | "soft" | "async" | "breaker");
        if protective || spared {
            if let Some((change, after)) = self.best(q, &self.protections(q), true) {
                let (what, _) = change.told(self);
                return Some(format!(
                    "{what}, users would have seen {}.",
                    moved(&before, &after)
                ));
            }
            if spared {
                return None;
            }
        }
        let mut changes = self.improvements(q);
        // The changes the mechanism points at come first, then the others,
        // and making a dependency soft (a bigger change of design) last:
        // the first tier that spares users at all is told.
        changes.sort_by_key(|c| c.tier(mechanism));
        let best = (0..3).find_map(|tier| {
            let in_tier: Vec<Change> = changes
                .iter()
                .filter(|c| c.tier(mechanism) == tier)
                .cloned()
                .collect();
            self.best(q, &in_tier, false)
        });
        match best {
            Some((change, after)) => {
                let (what, code) = change.told(self);
                let see = code.map(|c| format!(": see {c}")).unwrap_or_default();
                Some(format!(
                    "{what} would have left {}{see}.",
                    moved(&before, &after)
                ))
            }
            None if !changes.is_empty() => Some(
                "No timeout, retry budget, breaker, extra replica or soft edge on the way to users would have spared them: each was tried."
                    .into(),
            ),
            None => None,
        }
    }

    /// Plays the question again under each change (at most
    /// [`MOST_CHANGES`]) and keeps the one that moves users' harm furthest:
    /// up when `worse` (what a protection bought), else down.
    fn best(&self, q: &Question, changes: &[Change], worse: bool) -> Option<(Change, Vec<Users>)> {
        let before = harm(&users(&q.truth, q.method));
        let mut best: Option<(f64, Change, Vec<Users>)> = None;
        for change in changes.iter().take(MOST_CHANGES) {
            let mut model = self.model().clone();
            change.apply(&mut model);
            let after = users(&Drill::new(&model).truth(&q.faults, q.method), q.method);
            let gain = if worse {
                harm(&after) - before
            } else {
                before - harm(&after)
            };
            if gain >= NOTICEABLE && best.as_ref().is_none_or(|(g, _, _)| gain > *g + 1e-9) {
                best = Some((gain, change.clone(), after));
            }
        }
        best.map(|(_, c, u)| (c, u))
    }

    /// The dependencies along which trouble reached users (or, when users
    /// were spared, reached any service): consecutive names on the chains,
    /// as (caller, callee).
    fn path_edges(&self, q: &Question) -> Vec<(ServiceId, ServiceId)> {
        let model = self.model();
        let t = &q.truth;
        let mut chains: Vec<Vec<ServiceId>> = t
            .users
            .iter()
            .filter(|(_, s)| *s != Seen::Works)
            .map(|(e, _)| self.chain_of(t, e))
            .collect();
        if chains.is_empty() {
            chains = model
                .service_ids()
                .filter(|id| t.states[id.index()] != State::Healthy)
                .map(|id| t.outcome.services[id.index()].chain.clone())
                .collect();
        }
        let calls = |a: ServiceId, b: ServiceId| {
            model
                .service(a)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .any(|d| d.target.service == b)
        };
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for chain in chains {
            for w in chain.windows(2) {
                let (from, to) = (w[0], w[1]);
                let edge = if calls(to, from) {
                    (to, from)
                } else if calls(from, to) {
                    (from, to)
                } else {
                    continue;
                };
                if seen.insert(edge) {
                    out.push(edge);
                }
            }
        }
        out
    }

    /// Design changes that might spare users, along the path: shorter
    /// timeouts, retry budgets and breakers (not for structural answers,
    /// which have no time or load), soft edges, and a replica more where
    /// the fault takes some replicas.
    fn improvements(&self, q: &Question) -> Vec<Change> {
        let model = self.model();
        let timed = !matches!(q.method, super::drill::Method::Structural);
        let mut out = Vec::new();
        for (caller, callee) in self.path_edges(q) {
            let deps: Vec<&Dependency> = model
                .service(caller)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .filter(|d| d.target.service == callee && d.phase == Phase::Request)
                .collect();
            let sync = deps.iter().any(|d| d.mode == Mode::Sync);
            let hard = deps.iter().any(|d| d.is_hard_path());
            if timed && sync {
                let normal = self.baseline().services[callee.index()].latency_s;
                let seconds = suggested_timeout(normal);
                let longer = deps.iter().any(|d| d.timeout_s.is_none_or(|t| t > seconds));
                if longer {
                    out.push(Change::Timeout {
                        caller,
                        callee,
                        seconds,
                        had: deps.iter().all(|d| d.timeout_s.is_some()),
                    });
                }
                if deps
                    .iter()
                    .any(|d| d.retries > 0 && d.retry_budget.is_none())
                {
                    out.push(Change::Budget { caller, callee });
                }
                if hard && deps.iter().any(|d| d.circuit_breaker.is_none()) {
                    out.push(Change::Breaker { caller, callee });
                }
            }
            if hard {
                out.push(Change::Soft { caller, callee });
            }
        }
        for f in &q.faults {
            if let Fault::Down {
                scope: Scope::Replicas(service, _),
                ..
            } = *f
            {
                out.push(Change::Replica { service });
            }
        }
        out
    }

    /// The protections on the path, each to be taken away.
    fn protections(&self, q: &Question) -> Vec<Change> {
        let model = self.model();
        let mut out = Vec::new();
        for (caller, callee) in self.path_edges(q) {
            let deps: Vec<&Dependency> = model
                .service(caller)
                .operations
                .iter()
                .flat_map(|o| &o.depends_on)
                .filter(|d| d.target.service == callee && d.phase == Phase::Request)
                .collect();
            let any = |p: &dyn Fn(&Dependency) -> bool| deps.iter().any(|d| p(d));
            for (what, present) in [
                ("fallback", any(&|d| d.fallback.is_some())),
                ("breaker", any(&|d| d.circuit_breaker.is_some())),
                ("async", any(&|d| d.mode == Mode::Async)),
                (
                    "soft",
                    any(&|d| d.criticality == Criticality::Soft && d.mode == Mode::Sync),
                ),
            ] {
                if present {
                    out.push(Change::Without {
                        caller,
                        callee,
                        what,
                    });
                }
            }
        }
        out
    }
}

impl Drill<'_> {
    /// What a diagnose round teaches: how to tell the cause from the
    /// others that fit what users saw — the single faults (of `kinds`) that
    /// leave every entry point as the cause did, and the look that tells
    /// them apart — never load figures.
    pub fn teach_diagnosis(&self, q: &Question, kinds: &[FaultKind]) -> Option<String> {
        let model = self.model();
        let cause = q.faults.first()?.services(model).first().copied()?;
        let name = |id: ServiceId| format!("`{}`", model.service(id).name);
        let seen_by_users = |o: &crate::sim::steady::Outcome| -> Vec<State> {
            self.entries()
                .iter()
                .map(|e| match e.operation {
                    Some(op) => o.operations[e.service.index()][op].state,
                    None => o.services[e.service.index()].state,
                })
                .collect()
        };
        let users = seen_by_users(&q.truth.outcome);
        let flags = q.flags();
        // Every other single fault users could not tell from the cause.
        let mut twins: Vec<ServiceId> = Vec::new();
        let mut rivals: Vec<(ServiceId, Vec<State>)> = Vec::new();
        for id in model.service_ids() {
            for f in super::diagnose::kind_faults(model, id, kinds) {
                if flags.contains(&f.as_flag()) {
                    continue;
                }
                let o = self.engine().steady(std::slice::from_ref(&f));
                if seen_by_users(&o) != users {
                    continue;
                }
                let states: Vec<State> = o.services.iter().map(|x| x.state).collect();
                if states == q.truth.states {
                    if !twins.contains(&id) && id != cause {
                        twins.push(id);
                    }
                } else if !rivals.iter().any(|(r, _)| *r == id) && id != cause {
                    rivals.push((id, states));
                }
            }
        }
        let twins_text = if twins.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = twins.iter().map(|&t| name(t)).collect();
            format!(
                " {} fails the same way everywhere: no look tells {} from {}.",
                and_list(&names),
                if twins.len() == 1 { "it" } else { "them" },
                name(cause)
            )
        };
        if rivals.is_empty() {
            return Some(format!(
                "What users saw pointed at {} alone: no other single fault leaves every entry point as it did.{twins_text}",
                name(cause)
            ));
        }
        // The look that rules out the most rivals (first in model order on
        // a tie), and one rival it rules out.
        let (look, ruled_out) = model
            .service_ids()
            .map(|s| {
                let out: Vec<&(ServiceId, Vec<State>)> = rivals
                    .iter()
                    .filter(|(_, st)| st[s.index()] != q.truth.states[s.index()])
                    .collect();
                (s, out)
            })
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))?;
        let (example, example_states) = ruled_out.first()?;
        let mut fitting: Vec<String> = rivals.iter().take(4).map(|(r, _)| name(*r)).collect();
        if rivals.len() > 4 {
            fitting.push(format!("{} more", rivals.len() - 4));
        }
        let reach = if ruled_out.len() == rivals.len() {
            if rivals.len() == 1 {
                "tells them apart".to_string()
            } else {
                "rules out every other".to_string()
            }
        } else {
            format!("rules out {} of them", ruled_out.len())
        };
        Some(format!(
            "What users saw also fits {} other cause{} ({}); a look at {} {reach}: it is {} when {} is at fault, {} when {} is.{twins_text}",
            rivals.len(),
            if rivals.len() == 1 { "" } else { "s" },
            and_list(&fitting),
            name(look),
            q.truth.states[look.index()].as_str(),
            name(cause),
            example_states[look.index()].as_str(),
            name(*example)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::drill::Method;
    use super::*;
    use crate::model::load_str;
    use crate::sim::faults::parse;

    fn lesson(yaml: &str, kind: FaultKind, arg: &str, method: Method) -> Vec<String> {
        let m = load_str(yaml, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        let f = parse(kind, arg, &m).unwrap();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let q = drill.question(vec![f], method, &mut rng);
        drill.teach(&q)
    }

    #[test]
    fn a_hung_dependency_without_a_timeout_teaches_the_timeout_that_would_have_helped() {
        // `web` calls `recs` softly but with no timeout: a hang drains web's
        // pool. A timeout keeps web up; the lesson says so, and which lint.
        let t = lesson(
            "services:\n  web: { entry: { rps: 100 }, replicas: 2, concurrency: 20, latency: 10ms, depends_on: [{ to: recs, criticality: soft }] }\n  recs: { replicas: 2, latency: 20ms }\n",
            FaultKind::Hang,
            "recs",
            Method::Steady,
        );
        let first = &t[0];
        assert!(first.contains("`web`"), "{t:?}");
        assert!(
            first.contains("timeout on `web`→`recs` would have left `web`"),
            "{t:?}"
        );
        assert!(first.ends_with("see R001."), "{t:?}");
    }

    #[test]
    fn a_fallback_that_saved_users_is_credited_by_taking_it_away() {
        let t = lesson(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: db, timeout: 1s, fallback: { serve_stale_for: 10m } }] }\n  db: {}\n",
            FaultKind::Down,
            "db",
            Method::Steady,
        );
        assert!(
            t[0].starts_with(
                "A fallback stood between the fault and users: `web` fell back when `db` failed."
            ),
            "{t:?}"
        );
        assert!(
            t[0].contains("Without the fallback on `web`→`db`, users would have seen `web` failing (0%) instead of degraded (100%)."),
            "{t:?}"
        );
    }

    #[test]
    fn a_lesson_never_repeats_the_reason() {
        let yaml = "services:\n  web: { entry: { rps: 100 }, replicas: 2, concurrency: 20, depends_on: [{ to: recs, criticality: soft }] }\n  recs: { replicas: 2, latency: 20ms }\n";
        let m = load_str(yaml, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        let f = parse(FaultKind::Hang, "recs", &m).unwrap();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let q = drill.question(vec![f], Method::Steady, &mut rng);
        for line in drill.teach(&q) {
            for id in m.service_ids() {
                let because = &q.truth.outcome.services[id.index()].because;
                assert!(
                    because.is_empty() || !line.contains(because.as_str()),
                    "{line}"
                );
            }
        }
    }
}
