//! Reading a scenario file: hostile-input guards and YAML → raw structs (by
//! way of the model loader), then validation against its model into a
//! [`Scenario`], collecting every finding rather than stopping at the first.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::Error;
use crate::finding::{Finding, Pos, did_you_mean_hint};
use crate::model::load::{codes as read_codes, parse_yaml, read_text};
use crate::model::raw::{At, RawBreaker, RawCount, RawDuration, RawFraction, RawWord, Scalar};
use crate::model::units::{self, ValueError};
use crate::model::validate::codes as model_codes;
use crate::model::{CircuitBreaker, Criticality, Loaded, Model, ServiceId};
use crate::sim::faults::{self, FaultKind, Refusal, Scope};
use crate::sim::steady::State;
use crate::sim::timeline::{Action, Event, PolicyChange, Recovery};

use super::incident::Incident;

mod incident;

/// Finding codes for scenario files. Stable: tools and docs may rely on them.
///
/// Problems a model file can have too keep the model's codes, so that one
/// code means one problem whatever the file: YAML syntax, shape, unknown,
/// missing or duplicate keys and hostile input (`E001`–`E008`), malformed
/// durations, fractions and counts (`E017`–`E023`) and an unknown
/// `criticality` (`E009`). The codes below are for what only a scenario can
/// get wrong.
pub mod codes {
    /// The `model:` file cannot be read (missing, a directory, unreadable).
    pub const MODEL_UNREADABLE: &str = "S001";
    /// An event with no fault or action.
    pub const NO_ACTION: &str = "S002";
    /// An event with more than one fault or action.
    pub const SEVERAL_ACTIONS: &str = "S003";
    /// A fault value the fault parser refuses: unknown service or zone, a
    /// replica count out of range, a malformed slowdown, share or factor, a
    /// surge on a service that receives no user traffic.
    pub const BAD_FAULT: &str = "S004";
    /// `recover`, `scale` or `flush` names an unknown service or zone.
    pub const UNKNOWN_TARGET: &str = "S005";
    /// `cut` or `set` names a link that is not one: not `caller->callee`,
    /// or a caller that never calls that callee.
    pub const UNKNOWN_LINK: &str = "S006";
    /// `scale` without a `NAME=+N` value (N from 1).
    pub const BAD_SCALE: &str = "S007";
    /// `for` on an action (only faults last), or a `for` of zero.
    pub const BAD_WINDOW: &str = "S008";
    /// An event's or an expectation's `at` after the scenario's `duration`.
    pub const BEYOND_DURATION: &str = "S009";
    /// A `duration` of zero, or longer than [`MAX_DURATION_S`](super::MAX_DURATION_S).
    pub const BAD_DURATION: &str = "S010";
    /// An expectation names a service the model does not have.
    pub const UNKNOWN_SERVICE: &str = "S011";
    /// An expectation names an operation its service does not have.
    pub const UNKNOWN_OPERATION: &str = "S012";
    /// An expectation's `a.b` is both a service and an operation of `a`.
    pub const AMBIGUOUS_SERVICE: &str = "S013";
    /// An expected `state` that is not healthy, slow, degraded or down.
    pub const UNKNOWN_STATE: &str = "S014";
    /// A `set` that changes nothing (no link, or a link with no policy).
    pub const EMPTY_SET: &str = "S015";
    /// More than [`MAX_EVENTS`](super::MAX_EVENTS) events.
    pub const TOO_MANY_EVENTS: &str = "S016";
    /// A warning: a fault whose value changes nothing (`x1`, `+0ms`, `0%`).
    pub const CHANGES_NOTHING: &str = "S017";
    /// An incident's remedy taken before `detected_at` (nobody had been
    /// paged yet), or a `detected_at` at the very end (no time to act).
    pub const BEFORE_DETECTION: &str = "S018";
    /// An incident without one of `source`, `detected_at`, `remedies`,
    /// `debrief`, or with one empty (no remedy, no question, a blank name,
    /// `why`, question or answer, a blank `source` field).
    pub const INCOMPLETE_INCIDENT: &str = "S019";
    /// Two remedies with the same name.
    pub const DUPLICATE_REMEDY: &str = "S020";
    /// A `source.date` that is not a calendar date `YYYY-MM-DD`.
    pub const BAD_DATE: &str = "S021";
}

/// The longest scenario accepted: a day. The timeline steps every second by
/// default, so a longer story would run for minutes; split it instead.
pub const MAX_DURATION_S: f64 = 86_400.0;

/// The most events a scenario may have. The timeline looks at every
/// event at every step, so tens of thousands of events over a day of
/// one-second steps would run for minutes; a replayed incident has tens.
pub const MAX_EVENTS: usize = 1_000;

/// A validated scenario, with its model loaded.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `title:`, or the file's stem when it has none.
    pub title: String,
    /// `story:`, or empty.
    pub story: String,
    /// The model file: `model:` joined to the scenario file's folder.
    pub model_path: PathBuf,
    /// The model, with its warnings and source.
    pub loaded: Loaded,
    /// How long the timeline runs, seconds.
    pub duration_s: f64,
    /// The events in file order (a `set` of several links gives one event
    /// per link, in the order written).
    pub events: Vec<Event>,
    /// The expectations in file order.
    pub expectations: Vec<Expectation>,
    /// The scenario file's warnings (a fault that changes nothing), in
    /// file order.
    pub warnings: Vec<Finding>,
    /// The incident's keys, when the file is an incident (it has
    /// `source`, `detected_at`, `remedies` and `debrief`).
    pub incident: Option<Incident>,
}

/// What an expectation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectTarget {
    /// A whole service.
    Service(ServiceId),
    /// One operation of a service (index into its `operations`).
    Operation(ServiceId, usize),
}

/// One expectation: `{ at: 1m, service: catalog, state: degraded }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// When, seconds from the start; read after the step at that time.
    pub at_s: f64,
    /// The service or operation.
    pub target: ExpectTarget,
    /// The name as written (`catalog`, `web.browse`).
    pub written: String,
    /// The state it should be in.
    pub state: State,
    /// Where the expectation starts in the scenario file.
    pub pos: Pos,
}

impl Expectation {
    /// The expectation as a sentence: `web is degraded at 1m`.
    pub fn describe(&self) -> String {
        format!(
            "{} is {} at {}",
            self.written,
            self.state.as_str(),
            crate::text::duration(self.at_s)
        )
    }
}

/// Reads a scenario file and its model, and validates both.
///
/// # Errors
///
/// - [`Error::Invalid`] for the scenario file, with every finding, when the
///   scenario has errors (a model that cannot be read is one of them,
///   [`codes::MODEL_UNREADABLE`], at the `model:` value);
/// - [`Error::Invalid`] for the *model* file, with the model's own findings
///   and source, when the model was read but does not validate: its errors
///   are fixed there, so they are shown there;
/// - [`Error::Read`] or [`Error::Usage`] when the scenario file itself
///   cannot be read.
pub fn load_scenario(path: &Path) -> Result<Scenario, Error> {
    if path.is_dir() {
        return Err(Error::usage(
            format!("`{}` is a directory, not a scenario file", path.display()),
            Some("name a .yaml file".into()),
        ));
    }
    let file = path.display().to_string();
    let text = read_text(path).map_err(reword_error)?;
    let invalid = |text: String, findings: Vec<Finding>| Error::Invalid {
        file: file.clone(),
        source_text: text,
        findings,
    };
    let raw: RawScenario = match parse_yaml(&text) {
        Ok(raw) => raw,
        Err(finding) => return Err(invalid(text, vec![reword(finding)])),
    };

    let model_path = path
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(&raw.model.value);
    let mut findings = Vec::new();
    let loaded = if raw.model.value.trim().is_empty() {
        findings.push(
            Finding::error(
                codes::MODEL_UNREADABLE,
                "`model:` is empty",
                Some(raw.model.pos),
            )
            .with_hint("name the model file, relative to this scenario's folder"),
        );
        None
    } else {
        match crate::model::load_file(&model_path) {
            Ok(loaded) => Some(loaded),
            // Refused before reading (a FIFO, a device, a directory, too
            // large): the `model:` line is what to fix.
            Err(Error::Invalid {
                findings: refused, ..
            }) if refused.len() == 1
                && refused[0].pos.is_none()
                && refused[0].code == read_codes::REFUSED =>
            {
                let message = &refused[0].message;
                let why = match message.split_once("` is ") {
                    Some((_, what)) => format!("it is {what}"),
                    None => message.clone(),
                };
                findings.push(unreadable_model(
                    &raw.model,
                    &model_path,
                    &Error::usage(why, None),
                ));
                None
            }
            Err(error @ Error::Invalid { .. }) => return Err(error),
            Err(error) => {
                findings.push(unreadable_model(&raw.model, &model_path, &error));
                None
            }
        }
    };

    let mut checker = Checker {
        findings,
        model: loaded.as_ref().map(|l| &l.model),
        duration_s: None,
    };
    let (events, expectations) = checker.scenario(&raw);
    let incident = checker.incident(&raw);
    let duration_s = checker.duration_s.unwrap_or(0.0);
    let mut findings = checker.findings;
    findings.sort_by_key(|f| f.pos);
    match loaded {
        Some(loaded) if !findings.iter().any(Finding::is_error) => Ok(Scenario {
            title: raw.title.map(|t| t.value).unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "scenario".into())
            }),
            story: raw.story.map(|s| s.value).unwrap_or_default(),
            model_path,
            loaded,
            duration_s,
            events,
            expectations,
            warnings: findings,
            incident,
        }),
        _ => Err(invalid(text, findings)),
    }
}

fn unreadable_model(at: &At<String>, resolved: &Path, error: &Error) -> Finding {
    let why = match error {
        Error::Read { source, .. } => source.to_string().to_lowercase(),
        Error::Usage { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let hint = if Path::new(&at.value).is_absolute() {
        "check the path".to_owned()
    } else {
        format!(
            "`model:` is relative to the scenario file's folder; here it is `{}`",
            tidy(resolved).display()
        )
    };
    Finding::error(
        codes::MODEL_UNREADABLE,
        format!("cannot read model `{}`: {why}", at.value),
        Some(at.pos),
    )
    .with_hint(hint)
}

/// The path with `folder/..` pairs removed, for showing (not for opening:
/// through a symbolic link the two can differ).
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The model loader's reading and parsing findings speak of models; say
/// scenario where the file is one.
fn reword(mut finding: Finding) -> Finding {
    if finding.code == read_codes::EMPTY {
        finding.hint = Some(
            "a scenario needs at least `model:` and `duration:`, then `events:` and `expect:`"
                .into(),
        );
    }
    finding.message = finding.message.replace("models are", "scenarios are");
    finding.hint = finding.hint.map(|h| {
        h.replace("a model is", "a scenario is")
            .replace("real models", "real scenarios")
            .replace("models are", "scenarios are")
    });
    finding
}

fn reword_error(error: Error) -> Error {
    match error {
        Error::Invalid {
            file,
            source_text,
            findings,
        } => Error::Invalid {
            file,
            source_text,
            findings: findings.into_iter().map(reword).collect(),
        },
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Raw structs: the file as written, with positions, unknown keys denied.

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    title: Option<At<String>>,
    model: At<String>,
    #[serde(default)]
    story: Option<At<String>>,
    duration: At<RawDuration>,
    #[serde(default)]
    events: Option<Vec<At<RawEvent>>>,
    #[serde(default)]
    expect: Option<Vec<At<RawExpect>>>,
    #[serde(default)]
    source: Option<At<incident::RawSource>>,
    #[serde(default)]
    detected_at: Option<At<RawDuration>>,
    #[serde(default)]
    remedies: Option<At<Vec<At<incident::RawRemedy>>>>,
    #[serde(default)]
    debrief: Option<At<Vec<At<incident::RawDebrief>>>>,
}

/// One event: `at`, optional `for`, and one fault or action. A remedy's
/// actions are written the same way without `at` (they happen at the
/// remedy's), so `at` is optional here and required by the checker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    #[serde(default)]
    at: Option<At<RawDuration>>,
    #[serde(rename = "for", default)]
    for_: Option<At<RawDuration>>,
    #[serde(default)]
    down: Option<At<String>>,
    #[serde(default)]
    hang: Option<At<String>>,
    #[serde(default)]
    slow: Option<At<String>>,
    #[serde(default)]
    errors: Option<At<String>>,
    #[serde(default)]
    cut: Option<At<String>>,
    #[serde(default)]
    surge: Option<At<String>>,
    #[serde(default)]
    cold: Option<At<String>>,
    #[serde(default)]
    recover: Option<At<String>>,
    #[serde(default)]
    scale: Option<At<String>>,
    #[serde(default)]
    flush: Option<At<String>>,
    #[serde(default)]
    set: Option<At<IndexMap<At<String>, At<RawPolicy>>>>,
}

/// A new policy for one link; `none` removes a timeout, budget or breaker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    retries: Option<At<RawCount>>,
    #[serde(default)]
    retry_budget: Option<At<RawFraction>>,
    #[serde(default)]
    timeout: Option<At<RawDuration>>,
    #[serde(default)]
    criticality: Option<At<RawWord>>,
    #[serde(default)]
    circuit_breaker: Option<At<RawBreakerChange>>,
}

/// `circuit_breaker: none` or `circuit_breaker: { threshold, open_for }`.
#[derive(Debug)]
enum RawBreakerChange {
    Word(String),
    Breaker(RawBreaker),
}

impl<'de> Deserialize<'de> for RawBreakerChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BreakerVisitor;
        impl<'de> Visitor<'de> for BreakerVisitor {
            type Value = RawBreakerChange;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`none`, or a map with `threshold` and `open_for`")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v))
            }
            // `off`, `false`, `0`: kept as words so the finding can say "write `none`".
            fn visit_bool<E>(self, v: bool) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawBreakerChange, E> {
                Ok(RawBreakerChange::Word(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawBreakerChange, A::Error> {
                let breaker = RawBreaker::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawBreakerChange::Breaker(breaker))
            }
        }
        deserializer.deserialize_any(BreakerVisitor)
    }
}

/// One expectation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    at: At<RawDuration>,
    service: At<String>,
    state: At<RawWord>,
}

/// An event's fault or action, as written.
enum RawAction<'a> {
    Fault(FaultKind, &'a At<String>),
    Recover(&'a At<String>),
    Scale(&'a At<String>),
    Flush(&'a At<String>),
    Set(&'a At<IndexMap<At<String>, At<RawPolicy>>>),
}

/// The keys that make an event, for hints.
const ACTION_KEYS: &str = "down, hang, slow, errors, cut, surge, cold, recover, scale, flush, set";

impl RawEvent {
    /// Every fault or action key present: (key, position of its value, action).
    fn actions(&self) -> Vec<(&'static str, Pos, RawAction<'_>)> {
        let mut out = Vec::new();
        let faults = [
            (FaultKind::Down, &self.down),
            (FaultKind::Hang, &self.hang),
            (FaultKind::Slow, &self.slow),
            (FaultKind::Errors, &self.errors),
            (FaultKind::Cut, &self.cut),
            (FaultKind::Surge, &self.surge),
            (FaultKind::Cold, &self.cold),
        ];
        for (kind, value) in faults {
            if let Some(v) = value {
                out.push((kind.as_str(), v.pos, RawAction::Fault(kind, v)));
            }
        }
        if let Some(v) = &self.recover {
            out.push(("recover", v.pos, RawAction::Recover(v)));
        }
        if let Some(v) = &self.scale {
            out.push(("scale", v.pos, RawAction::Scale(v)));
        }
        if let Some(v) = &self.flush {
            out.push(("flush", v.pos, RawAction::Flush(v)));
        }
        if let Some(v) = &self.set {
            out.push(("set", v.pos, RawAction::Set(v)));
        }
        // Written order, so "several" points at the second one written.
        out.sort_by_key(|(_, pos, _)| *pos);
        out
    }
}

// ---------------------------------------------------------------------------
// Validation.

const STATES: [(&str, State); 4] = [
    ("healthy", State::Healthy),
    ("slow", State::Slow),
    ("degraded", State::Degraded),
    ("down", State::Down),
];
const CRITICALITIES: [(&str, Criticality); 2] =
    [("hard", Criticality::Hard), ("soft", Criticality::Soft)];

/// Collects findings while turning raw structs into events and expectations.
/// Without a model (it could not be read) names are not checked, but every
/// value still is.
struct Checker<'m> {
    findings: Vec<Finding>,
    model: Option<&'m Model>,
    /// The scenario's length once parsed, for the "beyond duration" check.
    duration_s: Option<f64>,
}

/// What an expectation's `service` resolves to.
enum Resolution {
    Found(ExpectTarget),
    Ambiguous(Vec<String>),
    UnknownOperation(ServiceId, String),
    Unknown,
}

impl Checker<'_> {
    fn error(&mut self, code: &'static str, message: String, pos: Pos, hint: Option<String>) {
        self.findings
            .push(Finding::error(code, message, Some(pos)).with_opt_hint(hint));
    }

    fn value<T>(
        &mut self,
        field: &str,
        value: &Scalar,
        pos: Pos,
        parse: fn(&Scalar) -> Result<T, ValueError>,
    ) -> Option<T> {
        match parse(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(e.code, format!("`{field}`: {}", e.message), pos, e.hint);
                None
            }
        }
    }

    /// A moment (`at`): a duration, not after the scenario's end.
    fn moment(&mut self, field: &str, at: &At<RawDuration>) -> Option<f64> {
        let t = self.value(field, &at.value.0, at.pos, units::duration)?;
        if let Some(end) = self.duration_s
            && t > end + 1e-9
        {
            self.error(
                codes::BEYOND_DURATION,
                format!(
                    "`{field}` {} is after the scenario's end ({})",
                    crate::text::duration(t),
                    crate::text::duration(end)
                ),
                at.pos,
                Some(format!(
                    "raise `duration` to at least {} or move this earlier",
                    crate::text::duration(t)
                )),
            );
            return None;
        }
        Some(t)
    }

    fn scenario(&mut self, raw: &RawScenario) -> (Vec<Event>, Vec<Expectation>) {
        self.duration_s = self.duration(&raw.duration);
        let raw_events = raw.events.as_deref().unwrap_or_default();
        if let Some(first_extra) = raw_events.get(MAX_EVENTS) {
            self.error(
                codes::TOO_MANY_EVENTS,
                format!(
                    "the scenario has {} events; a scenario may have at most {MAX_EVENTS}",
                    raw_events.len()
                ),
                first_extra.pos,
                Some("split the story into several scenarios".into()),
            );
        }
        let mut events = Vec::new();
        for event in raw_events.iter().take(MAX_EVENTS) {
            events.extend(self.event(event));
        }
        let expectations = raw
            .expect
            .iter()
            .flatten()
            .filter_map(|e| self.expectation(e))
            .collect();
        (events, expectations)
    }

    fn duration(&mut self, at: &At<RawDuration>) -> Option<f64> {
        let d = self.value("duration", &at.value.0, at.pos, units::duration)?;
        if d <= 0.0 {
            self.error(
                codes::BAD_DURATION,
                "`duration` is zero".into(),
                at.pos,
                Some("give the timeline a length, such as `duration: 20m`".into()),
            );
            return None;
        }
        if d > MAX_DURATION_S {
            self.error(
                codes::BAD_DURATION,
                format!(
                    "`duration` {} is longer than a scenario may run ({})",
                    crate::text::duration(d),
                    crate::text::duration(MAX_DURATION_S)
                ),
                at.pos,
                Some("split the story into scenarios of a day or less".into()),
            );
            return None;
        }
        Some(d)
    }

    /// The events one raw event makes (several for a `set` of several
    /// links); none when anything about it is wrong.
    fn event(&mut self, raw: &At<RawEvent>) -> Vec<Event> {
        let at_s = match &raw.value.at {
            Some(at) => self.moment("at", at),
            None => {
                self.error(
                    read_codes::WRONG_SHAPE,
                    "missing key `at`".into(),
                    raw.pos,
                    Some("add `at:` here: when the event happens, such as `at: 2m`".into()),
                );
                None
            }
        };
        let acted = self.act(raw, "event");
        match (at_s, acted) {
            (Some(at_s), Some((for_s, actions))) => actions
                .into_iter()
                .map(|action| Event {
                    at_s,
                    for_s,
                    action,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What one event (or a remedy's action: `what` names which) does,
    /// whenever it happens: its `for` and its actions; `None` when anything
    /// about it is wrong.
    fn act(&mut self, raw: &At<RawEvent>, what: &str) -> Option<(Option<f64>, Vec<Action>)> {
        let e = &raw.value;
        let actions = e.actions();
        let mut ok = true;

        match actions.as_slice() {
            [] => {
                self.error(
                    codes::NO_ACTION,
                    format!("{what} has no fault or action"),
                    raw.pos,
                    Some(format!(
                        "add one of {ACTION_KEYS}, with its value (`down: catalog-db`)"
                    )),
                );
                ok = false;
            }
            [_] => {}
            [(first, _, _), (second, pos, _), rest @ ..] => {
                let message = if rest.is_empty() {
                    format!("{what} has both `{first}` and `{second}`")
                } else {
                    let all: Vec<String> =
                        actions.iter().map(|(k, _, _)| format!("`{k}`")).collect();
                    format!(
                        "{what} has {} faults or actions: {}",
                        actions.len(),
                        all.join(", ")
                    )
                };
                self.error(
                    codes::SEVERAL_ACTIONS,
                    message,
                    *pos,
                    Some(if what == "event" {
                        "one event does one thing: split it into events with the same `at`".into()
                    } else {
                        format!("one {what} does one thing: split it in two")
                    }),
                );
                ok = false;
            }
        }

        let mut for_s = None;
        if let Some(f) = &e.for_ {
            for_s = self.value("for", &f.value.0, f.pos, units::duration);
            if for_s.is_none() {
                ok = false;
            }
            if let Some((key, _, action)) = actions.first()
                && !matches!(action, RawAction::Fault(..))
            {
                self.error(
                    codes::BAD_WINDOW,
                    format!("`for` applies only to faults, and `{key}` is an action"),
                    f.pos,
                    Some(if what == "event" {
                        "an action happens once; to undo it, add a later event".into()
                    } else {
                        "an action happens once".into()
                    }),
                );
                ok = false;
            } else if for_s == Some(0.0) {
                self.error(
                    codes::BAD_WINDOW,
                    "`for` is zero, so the fault would never happen".into(),
                    f.pos,
                    Some("give it a length, such as `for: 2m`, or leave `for` out to keep the fault until it is recovered".into()),
                );
                ok = false;
            }
        }

        let mut made = Vec::new();
        for (_, _, action) in &actions {
            match self.action(action) {
                Some(list) => made.extend(list),
                None => ok = false,
            }
        }
        ok.then_some((for_s, made))
    }

    /// The actions one raw action makes; `None` when it is wrong (or cannot
    /// be checked for want of a model).
    fn action(&mut self, action: &RawAction) -> Option<Vec<Action>> {
        match action {
            RawAction::Fault(kind, value) => self.fault(*kind, value).map(|a| vec![a]),
            RawAction::Recover(value) => self.recover(value).map(|a| vec![a]),
            RawAction::Scale(value) => self.scale(value).map(|a| vec![a]),
            RawAction::Flush(value) => {
                let service = self.service("flush", value)?;
                Some(vec![Action::Flush { service }])
            }
            RawAction::Set(map) => self.set(map),
        }
    }

    fn fault(&mut self, kind: FaultKind, value: &At<String>) -> Option<Action> {
        let model = self.model?;
        let fault = match faults::parse(kind, &value.value, model) {
            Ok(fault) => fault,
            Err(e) => {
                let code = match e.refusal {
                    Refusal::NoCall => codes::UNKNOWN_LINK,
                    Refusal::Invalid | Refusal::NoOp => codes::BAD_FAULT,
                };
                self.error(
                    code,
                    format!("`{}`: {}", kind.as_str(), e.message),
                    value.pos,
                    e.hint,
                );
                return None;
            }
        };
        if let Some(why) = fault.changes_nothing() {
            self.findings.push(Finding::warning(
                codes::CHANGES_NOTHING,
                why,
                Some(value.pos),
            ));
        }
        Some(Action::Fault(fault))
    }

    /// A whole service named by an action.
    fn service(&mut self, key: &str, value: &At<String>) -> Option<ServiceId> {
        let model = self.model?;
        if let Some(id) = model.find(&value.value) {
            return Some(id);
        }
        let hint = did_you_mean_hint(&value.value, model.service_names())
            .or_else(|| Some("run `whatif check` on the model to list its services".into()));
        self.error(
            codes::UNKNOWN_TARGET,
            format!("`{key}`: unknown service `{}`", value.value),
            value.pos,
            hint,
        );
        None
    }

    fn recover(&mut self, value: &At<String>) -> Option<Action> {
        let model = self.model?;
        let name = value.value.as_str();
        if let Some(id) = model.find(name) {
            return Some(Action::Recover(Recovery::Service(id)));
        }
        if let Some(zone) = name.strip_prefix("zone:") {
            if let Some(z) = model.zones.iter().position(|x| x == zone) {
                return Some(Action::Recover(Recovery::Zone(z)));
            }
            let hint = Some(crate::sim::faults::zone_hint(model, zone));
            self.error(
                codes::UNKNOWN_TARGET,
                format!("`recover`: unknown zone `{zone}`"),
                value.pos,
                hint,
            );
            return None;
        }
        let zones: Vec<String> = model.zones.iter().map(|z| format!("zone:{z}")).collect();
        let hint = did_you_mean_hint(
            name,
            model
                .service_names()
                .chain(zones.iter().map(String::as_str)),
        )
        .or_else(|| Some("`recover` takes a service name or `zone:NAME`".into()));
        self.error(
            codes::UNKNOWN_TARGET,
            format!("`recover`: unknown service `{name}`"),
            value.pos,
            hint,
        );
        None
    }

    /// `scale: web=+4`.
    fn scale(&mut self, value: &At<String>) -> Option<Action> {
        let text = value.value.as_str();
        let Some((name, amount)) = text.rsplit_once('=') else {
            self.error(
                codes::BAD_SCALE,
                format!("`scale`: `{text}` says how many replicas to add to what"),
                value.pos,
                Some(format!(
                    "write it as `{text}=+2`: the service, `=+`, and the replicas to add"
                )),
            );
            return None;
        };
        let add = match amount.trim().strip_prefix('+').map(str::parse::<u32>) {
            Some(Ok(n)) if n > 0 => Some(n),
            Some(Ok(_)) => {
                self.bad_scale(
                    format!("`scale`: `{text}` adds no replicas"),
                    "add at least one: `=+1`".into(),
                    value.pos,
                );
                None
            }
            _ if amount.trim().starts_with('-') => {
                self.bad_scale(
                    format!("`scale`: `{amount}` removes replicas"),
                    format!(
                        "`scale` only adds; to lose replicas, use a fault such as `down: {name}:1`"
                    ),
                    value.pos,
                );
                None
            }
            _ if amount.trim().parse::<u32>().is_ok() => {
                self.bad_scale(
                    format!("`scale`: `{amount}` is not a number of replicas to add"),
                    format!(
                        "did you mean `{name}=+{}`? `scale` adds replicas",
                        amount.trim()
                    ),
                    value.pos,
                );
                None
            }
            _ => {
                self.bad_scale(
                    format!("`scale`: `{amount}` is not a number of replicas to add"),
                    format!("write `{name}=+2` to add two replicas"),
                    value.pos,
                );
                None
            }
        };
        let service = self.service(
            "scale",
            &At {
                value: name.to_owned(),
                pos: value.pos,
            },
        );
        Some(Action::Scale {
            service: service?,
            add: add?,
        })
    }

    fn bad_scale(&mut self, message: String, hint: String, pos: Pos) {
        self.error(codes::BAD_SCALE, message, pos, Some(hint));
    }

    /// `set: { web->db: { retries: 0 } }`: one action per link.
    fn set(&mut self, map: &At<IndexMap<At<String>, At<RawPolicy>>>) -> Option<Vec<Action>> {
        if map.value.is_empty() {
            self.error(
                codes::EMPTY_SET,
                "`set` names no link, so it changes nothing".into(),
                map.pos,
                Some("write `set: { caller->callee: { retries: 0 } }`".into()),
            );
            return None;
        }
        let mut actions = Vec::new();
        let mut ok = true;
        for (key, policy) in &map.value {
            let link = self.link(key);
            let change = self.policy(key, policy);
            match (link, change) {
                (Some((from, to)), Some(change)) => actions.push(Action::Set { from, to, change }),
                _ => ok = false,
            }
        }
        ok.then_some(actions)
    }

    /// `caller->callee` where the caller has a dependency on the callee.
    fn link(&mut self, key: &At<String>) -> Option<(ServiceId, ServiceId)> {
        let model = self.model?;
        let (from, to) = match faults::parse(FaultKind::Cut, &key.value, model) {
            Ok(fault) => match fault.scope {
                Scope::Link(from, to) => (from, to),
                _ => return None,
            },
            Err(e) => {
                self.error(
                    codes::UNKNOWN_LINK,
                    format!("`set`: {}", e.message),
                    key.pos,
                    e.hint,
                );
                return None;
            }
        };
        if !faults::calls(model, from, to, false) {
            let e = faults::no_call(model, from, to);
            self.error(
                codes::UNKNOWN_LINK,
                format!("`set`: {}", e.message),
                key.pos,
                e.hint,
            );
            return None;
        }
        Some((from, to))
    }

    /// One link's new policy. Every field is checked; `None` when any is wrong.
    fn policy(&mut self, key: &At<String>, policy: &At<RawPolicy>) -> Option<PolicyChange> {
        let p = &policy.value;
        let field = |name: &str| format!("{}.{name}", key.value);
        // Each is `None` when not given, `Some(None)` when given but wrong.
        let retries = p
            .retries
            .as_ref()
            .map(|r| self.small_count(&field("retries"), r));
        let retry_budget = p
            .retry_budget
            .as_ref()
            .map(|b| self.removable(&field("retry_budget"), &b.value.0, b.pos, units::fraction));
        let timeout = p
            .timeout
            .as_ref()
            .map(|t| self.removable(&field("timeout"), &t.value.0, t.pos, units::duration));
        let criticality = p
            .criticality
            .as_ref()
            .map(|c| self.criticality(&field("criticality"), c));
        let breaker = p
            .circuit_breaker
            .as_ref()
            .map(|b| self.breaker_change(&field("circuit_breaker"), b));
        let wrong = retries.is_some_and(|x| x.is_none())
            || retry_budget.is_some_and(|x| x.is_none())
            || timeout.is_some_and(|x| x.is_none())
            || criticality.is_some_and(|x| x.is_none())
            || breaker.is_some_and(|x| x.is_none());
        if wrong {
            return None;
        }
        let change = PolicyChange {
            retries: retries.flatten(),
            retry_budget: retry_budget.flatten(),
            timeout_s: timeout.flatten(),
            criticality: criticality.flatten(),
            circuit_breaker: breaker.flatten(),
        };
        if change == PolicyChange::default() {
            self.error(
                codes::EMPTY_SET,
                format!(
                    "`set`: no policy given for `{}`, so it changes nothing",
                    key.value
                ),
                policy.pos,
                Some(
                    "give one or more of: retries, retry_budget, timeout, criticality, circuit_breaker"
                        .into(),
                ),
            );
            return None;
        }
        Some(change)
    }

    /// A count that fits retries.
    fn small_count(&mut self, field: &str, at: &At<RawCount>) -> Option<u32> {
        let n = self.value(field, &at.value.0, at.pos, units::count)?;
        let small = u32::try_from(n).ok();
        if small.is_none() {
            self.error(
                units::codes::BAD_COUNT,
                format!("`{field}`: {n} is too large"),
                at.pos,
                Some("a few retries at most are realistic".into()),
            );
        }
        small
    }

    /// A policy value that may be `none` (`Some(None)`: remove it); `None`
    /// when it is malformed, with a hint that mentions `none`.
    fn removable<T>(
        &mut self,
        field: &str,
        value: &Scalar,
        pos: Pos,
        parse: fn(&Scalar) -> Result<T, ValueError>,
    ) -> Option<Option<T>> {
        if is_none_word(value) {
            return Some(None);
        }
        match parse(value) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                let hint = match e.hint {
                    Some(h) => format!("{h} (or `none` to remove it)"),
                    None => "or `none` to remove it".into(),
                };
                self.error(e.code, format!("`{field}`: {}", e.message), pos, Some(hint));
                None
            }
        }
    }

    fn criticality(&mut self, field: &str, at: &At<RawWord>) -> Option<Criticality> {
        let text = at.value.0.trim();
        let found = CRITICALITIES
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(text));
        if let Some((_, c)) = found {
            return Some(*c);
        }
        let hint = did_you_mean_hint(text, CRITICALITIES.iter().map(|(w, _)| *w))
            .unwrap_or_else(|| "one of: hard, soft".into());
        self.error(
            model_codes::UNKNOWN_WORD,
            format!("`{field}`: unknown value `{text}`"),
            at.pos,
            Some(hint),
        );
        None
    }

    /// `none` (`Some(None)`) or a new breaker; `None` when wrong.
    fn breaker_change(
        &mut self,
        field: &str,
        at: &At<RawBreakerChange>,
    ) -> Option<Option<CircuitBreaker>> {
        match &at.value {
            RawBreakerChange::Word(w) if is_none_word(&Scalar::Str(w.clone())) => Some(None),
            RawBreakerChange::Word(w) => {
                self.error(
                    model_codes::UNKNOWN_WORD,
                    format!("`{field}`: unknown value `{w}`"),
                    at.pos,
                    Some(
                        "write `none` to remove the breaker, or `{ threshold: 50%, open_for: 30s }`"
                            .into(),
                    ),
                );
                None
            }
            RawBreakerChange::Breaker(raw) => {
                let threshold = self.value(
                    &format!("{field}.threshold"),
                    &raw.threshold.value.0,
                    raw.threshold.pos,
                    units::fraction,
                );
                let open_for_s = self.value(
                    &format!("{field}.open_for"),
                    &raw.open_for.value.0,
                    raw.open_for.pos,
                    units::duration,
                );
                Some(Some(CircuitBreaker {
                    threshold: threshold?,
                    open_for_s: open_for_s?,
                }))
            }
        }
    }

    fn expectation(&mut self, raw: &At<RawExpect>) -> Option<Expectation> {
        let e = &raw.value;
        let at_s = self.moment("at", &e.at);
        let state = self.state(&e.state);
        let target = self.expect_target(&e.service);
        Some(Expectation {
            at_s: at_s?,
            target: target?,
            written: e.service.value.clone(),
            state: state?,
            pos: raw.pos,
        })
    }

    fn state(&mut self, word: &At<RawWord>) -> Option<State> {
        let text = word.value.0.trim();
        if let Some((_, s)) = STATES.iter().find(|(w, _)| w.eq_ignore_ascii_case(text)) {
            return Some(*s);
        }
        let words = STATES.iter().map(|(w, _)| *w);
        let hint = did_you_mean_hint(text, words)
            .unwrap_or_else(|| "one of: healthy, slow, degraded, down".into());
        self.error(
            codes::UNKNOWN_STATE,
            format!("unknown state `{text}`"),
            word.pos,
            Some(hint),
        );
        None
    }

    fn expect_target(&mut self, name: &At<String>) -> Option<ExpectTarget> {
        let model = self.model?;
        let written = name.value.as_str();
        match resolve(model, written) {
            Resolution::Found(target) => Some(target),
            Resolution::Ambiguous(readings) => {
                self.error(
                    codes::AMBIGUOUS_SERVICE,
                    format!("`{written}` can be read as {}", readings.join(" or ")),
                    name.pos,
                    Some("rename one of them in the model".into()),
                );
                None
            }
            Resolution::UnknownOperation(service, op) => {
                let svc = model.service(service);
                let ops = svc.operations.iter().map(|o| o.name.as_str());
                let hint = did_you_mean_hint(&op, ops)
                    .map(|h| h.replace("mean `", &format!("mean `{}.", svc.name)))
                    .or_else(|| {
                        let names: Vec<String> = (0..svc.operations.len())
                            .map(|i| svc.operation_name(i))
                            .collect();
                        Some(format!("its operations: {}", names.join(", ")))
                    });
                self.error(
                    codes::UNKNOWN_OPERATION,
                    format!("service `{}` has no operation `{op}`", svc.name),
                    name.pos,
                    hint,
                );
                None
            }
            Resolution::Unknown => {
                let mut candidates: Vec<String> =
                    model.service_names().map(str::to_owned).collect();
                for s in model.services().iter().filter(|s| s.declares_operations) {
                    candidates.extend((0..s.operations.len()).map(|i| s.operation_name(i)));
                }
                let hint = did_you_mean_hint(written, candidates.iter().map(String::as_str))
                    .or_else(|| {
                        Some("run `whatif check` on the model to list its services".into())
                    });
                self.error(
                    codes::UNKNOWN_SERVICE,
                    format!("unknown service `{written}`"),
                    name.pos,
                    hint,
                );
                None
            }
        }
    }
}

/// `none` (any case) removes a timeout, retry budget or breaker.
fn is_none_word(value: &Scalar) -> bool {
    matches!(value, Scalar::Str(s) if s.trim().eq_ignore_ascii_case("none"))
}

/// A service name, or `service.operation` (the service `a.b` if one exists,
/// else operation `b` of `a`; both is ambiguous — as in the model, docs/model.md).
fn resolve(model: &Model, written: &str) -> Resolution {
    let as_service = model.find(written);
    let mut as_operations = Vec::new();
    let mut longest_prefix = None;
    for (i, _) in written.match_indices('.') {
        let (svc, op) = (&written[..i], &written[i + 1..]);
        if let Some(id) = model.find(svc) {
            longest_prefix = Some((id, op));
            if let Some(index) = model
                .service(id)
                .operations
                .iter()
                .position(|o| o.name == op)
            {
                as_operations.push((id, index));
            }
        }
    }
    match (as_service, as_operations.as_slice()) {
        (Some(id), []) => Resolution::Found(ExpectTarget::Service(id)),
        (None, [(id, op)]) => Resolution::Found(ExpectTarget::Operation(*id, *op)),
        (None, []) => match longest_prefix {
            Some((id, op)) => Resolution::UnknownOperation(id, op.to_owned()),
            None => Resolution::Unknown,
        },
        (service, operations) => {
            let mut readings = Vec::new();
            if service.is_some() {
                readings.push(format!("the service `{written}`"));
            }
            for (id, op) in operations {
                let svc = model.service(*id);
                readings.push(format!(
                    "operation `{}` of service `{}`",
                    svc.operations[*op].name, svc.name
                ));
            }
            Resolution::Ambiguous(readings)
        }
    }
}

/// Whether `from` calls `to`: through a dependency, or (with `protection`)
/// as a failover target or a cache's `on_miss`.
/// Temporary files for tests, removed when dropped (also when a test fails).
#[cfg(test)]
pub(crate) struct TempFiles {
    dir: PathBuf,
}

#[cfg(test)]
impl TempFiles {
    /// A fresh folder for one test: tests run at once and must not share files.
    pub(crate) fn new(test: &str) -> TempFiles {
        let dir = std::env::temp_dir().join(format!("whatif-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempFiles { dir }
    }

    /// Writes a file in the folder.
    pub(crate) fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("temp file");
    }

    /// A file's path in the folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

#[cfg(test)]
impl Drop for TempFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::faults::Slowdown;

    fn fixtures(sub: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scenarios")
            .join(sub)
    }

    fn online_shop() -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/online-shop.yaml")
            .display()
            .to_string()
    }

    /// Writes a scenario to a temporary file (its `model:` must then be absolute).
    fn scenario_file(name: &str, text: &str) -> TempFiles {
        let files = TempFiles::new(name);
        files.write("scenario.yaml", text);
        files
    }

    /// The findings of a scenario given as text over the online shop.
    fn findings(name: &str, body: &str) -> Vec<Finding> {
        let text = format!("model: {}\n{body}", online_shop());
        match load_scenario(&scenario_file(name, &text).path("scenario.yaml")) {
            Err(Error::Invalid { findings, .. }) => findings,
            Ok(_) => panic!("expected findings, but it loaded"),
            Err(e) => panic!("expected findings, got {e:?}"),
        }
    }

    fn loads(name: &str, body: &str) -> Scenario {
        let text = format!("model: {}\n{body}", online_shop());
        match load_scenario(&scenario_file(name, &text).path("scenario.yaml")) {
            Ok(s) => s,
            Err(Error::Invalid { findings, .. }) => panic!("{findings:#?}"),
            Err(e) => panic!("{e}"),
        }
    }

    /// `# expect: S004 at 6:19` → ("S004", Some((6, 19))).
    fn expectation(file: &Path) -> (String, Option<Pos>) {
        let text = std::fs::read_to_string(file).expect("fixture readable");
        let first = text.lines().next().unwrap_or_default();
        let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| {
            panic!(
                "{}: first line must be `# expect: CODE [at L:C]`",
                file.display()
            )
        });
        match rest.split_once(" at ") {
            Some((code, pos)) => {
                let (l, c) = pos.trim().split_once(':').expect("L:C");
                let pos = Pos::new(l.parse().expect("line"), c.parse().expect("column"));
                (code.trim().to_owned(), Some(pos))
            }
            None => (rest.trim().to_owned(), None),
        }
    }

    #[test]
    fn every_invalid_fixture_reports_its_code_at_its_position() {
        let dir = fixtures("invalid");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        let mut failures = Vec::new();
        for file in &files {
            let (code, pos) = expectation(file);
            let findings = match load_scenario(file) {
                Err(Error::Invalid {
                    file: reported,
                    findings,
                    ..
                }) => {
                    if reported != file.display().to_string() {
                        failures.push(format!(
                            "{}: findings are about `{reported}`",
                            file.display()
                        ));
                    }
                    findings
                }
                other => {
                    failures.push(format!(
                        "{}: expected findings, got {:?}",
                        file.display(),
                        other.map(|s| s.title)
                    ));
                    continue;
                }
            };
            let Some(found) = findings.iter().find(|f| f.code == code) else {
                failures.push(format!("{}: no {code} in {findings:#?}", file.display()));
                continue;
            };
            if pos.is_some() && found.pos != pos {
                failures.push(format!(
                    "{}: {code} at {:?}, expected {pos:?}",
                    file.display(),
                    found.pos
                ));
            }
            if found.hint.is_none() && code != read_codes::WRONG_SHAPE {
                failures.push(format!("{}: {code} has no hint", file.display()));
            }
            if found.message.is_empty() || found.message.starts_with(char::is_uppercase) {
                failures.push(format!("{}: message `{}`", file.display(), found.message));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // One fixture per scenario code (but S016, whose fixture would be
        // a thousand events long: its test writes one; and S017, a
        // warning, pinned below).
        let names: Vec<String> = files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        for n in (1..=21).filter(|n| ![16, 17].contains(n)) {
            let code = format!("S{n:03}");
            assert!(
                names.iter().any(|name| name.starts_with(&code)),
                "no fixture for {code}"
            );
        }
    }

    #[test]
    fn the_valid_scenario_loads_every_event_kind_and_action() {
        let s = load_scenario(&fixtures("valid/every-event.yaml")).expect("valid scenario");
        let m = &s.loaded.model;
        let id = |name: &str| m.find(name).expect(name);
        assert_eq!(s.title, "A very bad afternoon");
        assert!(s.story.starts_with("One thing after another"));
        assert_eq!(s.duration_s, 1800.0);
        assert!(s.model_path.ends_with("examples/online-shop.yaml"));
        assert_eq!(s.events.len(), 15, "the set of two links makes two events");

        let fault = |i: usize| match &s.events[i].action {
            Action::Fault(f) => f.clone(),
            other => panic!("event {i}: expected a fault, got {other:?}"),
        };
        let kinds: Vec<FaultKind> = (0..9).map(|i| fault(i).kind).collect();
        use FaultKind::*;
        assert_eq!(
            kinds,
            [Down, Hang, Slow, Errors, Cut, Surge, Surge, Cold, Down]
        );
        assert_eq!(fault(0).scope, Scope::Replicas(id("catalog-db"), 1));
        assert_eq!(fault(1).scope, Scope::Service(id("reviews")));
        assert_eq!(s.events[1].for_s, Some(120.0));
        assert_eq!(fault(2).slowdown, Some(Slowdown::Add(0.4)));
        assert!((fault(2).share - 0.05).abs() < 1e-12);
        assert_eq!(fault(3).share, 0.3);
        assert_eq!(
            fault(4).scope,
            Scope::Link(id("web"), id("recommendations"))
        );
        assert_eq!(
            (fault(5).scope, fault(5).factor),
            (Scope::Everything, Some(1.5))
        );
        assert_eq!(fault(6).scope, Scope::Service(id("web")));
        assert_eq!(fault(7).scope, Scope::Service(id("product-cache")));
        assert_eq!(fault(8).scope, Scope::Zone(1));

        let actions: Vec<&Action> = s.events[9..].iter().map(|e| &e.action).collect();
        assert_eq!(
            actions[0],
            &Action::Recover(Recovery::Service(id("catalog-db")))
        );
        assert_eq!(actions[1], &Action::Recover(Recovery::Zone(1)));
        assert_eq!(
            actions[2],
            &Action::Scale {
                service: id("catalog"),
                add: 2
            }
        );
        assert_eq!(
            actions[3],
            &Action::Flush {
                service: id("catalog-db")
            }
        );
        assert_eq!(
            actions[4],
            &Action::Set {
                from: id("web"),
                to: id("cart"),
                change: PolicyChange {
                    retries: Some(0),
                    retry_budget: Some(None),
                    timeout_s: Some(Some(1.0)),
                    criticality: Some(Criticality::Soft),
                    circuit_breaker: Some(None),
                },
            }
        );
        assert_eq!(
            actions[5],
            &Action::Set {
                from: id("catalog"),
                to: id("catalog-db"),
                change: PolicyChange {
                    retries: None,
                    retry_budget: Some(Some(0.1)),
                    timeout_s: Some(None),
                    criticality: None,
                    circuit_breaker: Some(Some(CircuitBreaker {
                        threshold: 0.4,
                        open_for_s: 60.0
                    })),
                },
            }
        );
        assert!(
            s.events[13..]
                .iter()
                .all(|e| e.at_s == 780.0 && e.for_s.is_none())
        );
        let times: Vec<f64> = s.events.iter().map(|e| e.at_s).collect();
        assert!(times.is_sorted(), "file order kept: {times:?}");

        let web = id("web");
        let browse = m
            .service(web)
            .operations
            .iter()
            .position(|o| o.name == "browse");
        let targets: Vec<ExpectTarget> = s.expectations.iter().map(|e| e.target).collect();
        assert_eq!(
            targets,
            [
                ExpectTarget::Service(web),
                ExpectTarget::Operation(web, browse.expect("browse")),
                ExpectTarget::Service(id("catalog-db")),
            ]
        );
        assert_eq!(s.expectations[1].at_s, 90.0);
        assert_eq!(s.expectations[1].written, "web.browse");
        assert_eq!(
            s.expectations[1].describe(),
            "web.browse is healthy at 1m30s"
        );
        assert_eq!(s.expectations[0].pos, Pos::new(30, 5));
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let f = findings(
            "many",
            "duration: 10m\n\
             events:\n  \
               - { at: 11m, down: catalgo }\n  \
               - { at: 1m, for: 1m, flush: cart }\n  \
               - { at: 1m, scale: web=+0 }\n\
             expect:\n  \
               - { at: 1m, service: wbe, state: donw }\n",
        );
        let codes: Vec<&str> = f.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                codes::BEYOND_DURATION,
                codes::BAD_FAULT,
                codes::BAD_WINDOW,
                codes::BAD_SCALE,
                codes::UNKNOWN_SERVICE,
                codes::UNKNOWN_STATE,
            ],
            "{f:#?}"
        );
        let hints: Vec<Option<&str>> = f.iter().map(|f| f.hint.as_deref()).collect();
        assert_eq!(hints[1], Some("did you mean `catalog`?"));
        assert_eq!(hints[4], Some("did you mean `web`?"));
        assert_eq!(hints[5], Some("did you mean `down`?"));
        assert!(
            f.windows(2).all(|w| w[0].pos <= w[1].pos),
            "sorted by position"
        );
    }

    #[test]
    fn a_fault_that_changes_nothing_loads_with_a_warning() {
        let s = loads(
            "noop",
            "duration: 10m\nevents: [{ at: 0s, surge: x1 }, { at: 1m, slow: catalog-db=+0ms }]",
        );
        let w: Vec<(&str, String)> = s
            .warnings
            .iter()
            .map(|w| (w.code, w.message.clone()))
            .collect();
        assert_eq!(
            w,
            [
                (
                    codes::CHANGES_NOTHING,
                    "`--surge x1` changes nothing: it leaves the traffic as it is".into()
                ),
                (
                    codes::CHANGES_NOTHING,
                    "`--slow catalog-db=+0ms` changes nothing: it adds no latency".into()
                ),
            ]
        );
        assert!(s.warnings.iter().all(|w| !w.is_error()));
    }

    #[test]
    fn names_get_did_you_mean_hints() {
        let hint = |body: &str| {
            let f = findings("hint", &format!("duration: 10m\n{body}"));
            assert_eq!(f.len(), 1, "{f:#?}");
            (f[0].code, f[0].hint.clone().unwrap_or_default())
        };
        assert_eq!(
            hint("events: [{ at: 0s, recover: zone:eu-1x }]"),
            (codes::UNKNOWN_TARGET, "did you mean `zone:eu-1a`?".into())
        );
        assert_eq!(
            hint("events: [{ at: 0s, recover: catalgo }]"),
            (codes::UNKNOWN_TARGET, "did you mean `catalog`?".into())
        );
        assert_eq!(
            hint("events: [{ at: 0s, cut: web->carts }]").0,
            codes::BAD_FAULT
        );
        assert_eq!(
            hint("events: [{ at: 0s, set: { web->cart-db: { retries: 0 } } }]"),
            (codes::UNKNOWN_LINK, "did you mean `web->cart`?".into())
        );
        assert_eq!(
            hint("events: [{ at: 0s, set: { web->cart: {} } }]").0,
            codes::EMPTY_SET
        );
        assert_eq!(
            hint("events: [{ at: 0s, down: catalog-db:7 }]"),
            (
                codes::BAD_FAULT,
                "`catalog-db` has 3 replicas: write `catalog-db:1` to `catalog-db:3`".into()
            )
        );
        assert_eq!(
            hint("events: [{ at: 0s, surge: catalog=x2 }]").0,
            codes::BAD_FAULT
        );
        // The same parser as the command line refuses faults that cannot
        // do anything (docs/faults.md).
        assert_eq!(
            hint("events: [{ at: 0s, cut: web->catalog-db }]"),
            (codes::UNKNOWN_LINK, "did you mean `web->catalog`?".into())
        );
        assert_eq!(
            hint("events: [{ at: 0s, cold: catalog-db }]"),
            (codes::BAD_FAULT, "caches: product-cache".into())
        );
        assert_eq!(
            hint("expect: [{ at: 0s, service: web.chekout, state: down }]"),
            (
                codes::UNKNOWN_OPERATION,
                "did you mean `web.checkout`?".into()
            )
        );
        assert_eq!(
            hint("expect: [{ at: 0s, service: catalog.read, state: down }]").0,
            codes::UNKNOWN_OPERATION
        );
        let (code, h) = hint("events: [{ at: 0s, set: { web->cart: { timeout: 5 } } }]");
        assert_eq!(code, units::codes::MALFORMED_DURATION);
        assert!(h.contains("`5ms`") && h.contains("`none`"), "{h}");
        assert_eq!(
            hint("events: [{ at: 0s, set: { web->cart: { circuit_breaker: off } } }]").0,
            model_codes::UNKNOWN_WORD
        );
    }

    #[test]
    fn the_implicit_operation_and_capitalised_states_are_accepted() {
        let s = loads(
            "implicit",
            "duration: 1m\nexpect:\n  - { at: 1m, service: cart.default, state: Degraded }\n",
        );
        let cart = s.loaded.model.find("cart").expect("cart");
        assert_eq!(s.expectations[0].target, ExpectTarget::Operation(cart, 0));
        assert_eq!(s.expectations[0].state, State::Degraded);
        assert_eq!(s.title, "scenario", "the file stem when there is no title");
        assert!(s.events.is_empty());
    }

    #[test]
    fn at_plus_for_may_run_past_the_end() {
        let s = loads(
            "window",
            "duration: 10m\nevents:\n  - { at: 10m, for: 1h, down: cart }\n",
        );
        assert_eq!((s.events[0].at_s, s.events[0].for_s), (600.0, Some(3600.0)));
    }

    #[test]
    fn events_are_bounded() {
        let mut body = String::from("duration: 1d\nevents:\n");
        for k in 0..=MAX_EVENTS {
            body.push_str(&format!("  - {{ at: {k}s, for: 1s, surge: x1.5 }}\n"));
        }
        let f = findings("many-events.yaml", &body);
        let found: Vec<_> = f
            .iter()
            .filter(|f| f.code == codes::TOO_MANY_EVENTS)
            .collect();
        assert_eq!(found.len(), 1, "{f:#?}");
        assert!(
            found[0].message.contains("1001 events"),
            "{}",
            found[0].message
        );
        // At the first event past the limit (line 1 is `model:`, the
        // first event is on line 4).
        assert_eq!(found[0].pos.map(|p| p.line), Some(4 + MAX_EVENTS as u32));
        // The limit itself is fine.
        let lines: Vec<&str> = body.lines().collect();
        let at_limit = lines[..lines.len() - 1].join("\n");
        assert_eq!(loads("limit.yaml", &at_limit).events.len(), MAX_EVENTS);
    }

    #[test]
    fn durations_are_bounded() {
        let f = findings("long", "duration: 2d\n");
        assert_eq!(f[0].code, codes::BAD_DURATION);
        let f = findings("bare", "duration: 20\n");
        assert_eq!(f[0].code, units::codes::MALFORMED_DURATION);
        assert_eq!(
            f[0].hint.as_deref(),
            Some("did you mean `20s`? (or `20ms`)")
        );
    }

    #[test]
    fn an_unreadable_model_still_lets_values_be_checked() {
        let text =
            "model: no-such-model.yaml\nduration: 10m\nevents:\n  - { at: 5, down: anything }\n";
        let files = scenario_file("unreadable", text);
        let path = files.path("scenario.yaml");
        let Err(Error::Invalid { findings, .. }) = load_scenario(&path) else {
            panic!("expected findings");
        };
        let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [codes::MODEL_UNREADABLE, units::codes::MALFORMED_DURATION]
        );
        assert_eq!(findings[0].pos, Some(Pos::new(1, 8)));
        let hint = findings[0].hint.as_deref().unwrap_or_default();
        assert!(hint.contains("relative to the scenario file"), "{hint}");
        assert_eq!(
            tidy(Path::new("s/invalid/../../examples/./m.yaml")),
            Path::new("examples/m.yaml")
        );
        assert_eq!(tidy(Path::new("../../m.yaml")), Path::new("../../m.yaml"));
    }

    #[test]
    fn an_empty_model_value_is_a_finding() {
        let files = scenario_file("empty-model", "model: ''\nduration: 10m\n");
        let Err(Error::Invalid { findings, .. }) = load_scenario(&files.path("scenario.yaml"))
        else {
            panic!("expected findings");
        };
        assert_eq!(findings[0].code, codes::MODEL_UNREADABLE);
        assert_eq!(findings[0].message, "`model:` is empty");
    }

    #[test]
    fn an_invalid_model_is_reported_in_the_model_file() {
        let model = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/invalid/E010-unknown-service.yaml");
        let text = format!("model: {}\nduration: 10m\n", model.display());
        match load_scenario(&scenario_file("bad-model", &text).path("scenario.yaml")) {
            Err(Error::Invalid {
                file,
                source_text,
                findings,
            }) => {
                assert_eq!(file, model.display().to_string());
                assert!(source_text.contains("paymnets"));
                assert_eq!(findings[0].code, model_codes::UNKNOWN_SERVICE);
            }
            other => panic!(
                "expected the model's findings, got {:?}",
                other.map(|s| s.title)
            ),
        }
    }

    #[test]
    fn reading_problems_speak_of_scenarios() {
        let files = scenario_file("empty", "# nothing here\n");
        let path = files.path("scenario.yaml");
        let Err(Error::Invalid { findings, .. }) = load_scenario(&path) else {
            panic!("expected findings");
        };
        assert_eq!(findings[0].code, read_codes::EMPTY);
        assert!(
            findings[0]
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("`model:`")
        );
        let dir = std::env::temp_dir();
        assert!(matches!(load_scenario(&dir), Err(Error::Usage { .. })));
        assert!(matches!(
            load_scenario(Path::new("/no/such/scenario.yaml")),
            Err(Error::Read { .. })
        ));
    }
}
