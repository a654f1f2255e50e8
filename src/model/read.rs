//! Reading a model document from YAML events straight into the model's
//! types: every key checked against the format (unknown keys get a
//! did-you-mean), every value parsed where it stands with its position,
//! and every problem collected rather than stopping at the first. Only
//! names wait (a dependency may name a service written further down):
//! [`super::validate::finish`] resolves them once the document is read.
//!
//! The keys each map accepts are the tables below; the JSON Schema
//! (`whatif schema`, from [`super::raw`]) is tested against them.

use super::events::{Event, Events, Kind, Style};
use super::raw::{At, Scalar};
use super::types::{
    Autoscale, CircuitBreaker, Criticality, Dependency, Fallback, Kind as ServiceKind, Latency,
    Mode, NameIndex, Operation, Phase, Service, ServiceId, Target, Thresholds,
};
use super::units::{self, ValueError};
use super::validate::{DEFAULT_WARM_UP_S, codes};
use crate::finding::{Finding, Pos, Shown, did_you_mean_hint, shorten};

/// Keys of the top level.
pub const MODEL_KEYS: &[&str] = &["name", "zones", "defaults", "services"];
/// Keys of `defaults:`.
pub const DEFAULTS_KEYS: &[&str] = &[
    "timeout",
    "retries",
    "retry_budget",
    "circuit_breaker",
    "thresholds",
];
/// Keys of `defaults.thresholds:`.
pub const THRESHOLDS_KEYS: &[&str] = &["down_below", "degraded_below", "slow_factor", "slow_min"];
/// Keys of a `circuit_breaker:`.
pub const BREAKER_KEYS: &[&str] = &["threshold", "open_for"];
/// Keys of `entry:`.
pub const ENTRY_KEYS: &[&str] = &["rps"];
/// The most replicas a service may have (`replicas`, `autoscale.max_replicas`):
/// far above any real deployment (the largest run thousands), and low
/// enough that work done per replica (zone outages, replica faults on the
/// timeline) stays bounded.
pub const MAX_REPLICAS: u32 = 100_000;
/// Keys of `autoscale:`.
pub const AUTOSCALE_KEYS: &[&str] = &["max_replicas", "above", "delay"];
/// Keys of a service.
pub const SERVICE_KEYS: &[&str] = &[
    "kind",
    "entry",
    "replicas",
    "zones",
    "quorum",
    "capacity",
    "concurrency",
    "queue",
    "latency",
    "availability",
    "start_time",
    "autoscale",
    "parallel",
    "depends_on",
    "operations",
];
/// Keys of an operation.
pub const OPERATION_KEYS: &[&str] = &["rps", "latency", "parallel", "depends_on"];
/// Keys of `latency: { p50, p99 }`.
pub const TAIL_KEYS: &[&str] = &["p50", "p99"];
/// Keys of a dependency's long form.
pub const DEPENDENCY_KEYS: &[&str] = &[
    "to",
    "timeout",
    "retries",
    "retry_budget",
    "circuit_breaker",
    "calls",
    "criticality",
    "mode",
    "phase",
    "buffer",
    "fallback",
    "cache",
];
/// Keys of `fallback:`.
pub const FALLBACK_KEYS: &[&str] = &["serve_stale_for", "to"];
/// Keys of `cache:`.
pub const CACHE_KEYS: &[&str] = &["hit_ratio", "on_miss", "warm_up"];

const KINDS: [(&str, ServiceKind); 7] = [
    ("service", ServiceKind::Service),
    ("frontend", ServiceKind::Frontend),
    ("gateway", ServiceKind::Gateway),
    ("database", ServiceKind::Database),
    ("cache", ServiceKind::Cache),
    ("queue", ServiceKind::Queue),
    ("external", ServiceKind::External),
];
const CRITICALITIES: [(&str, Criticality); 2] =
    [("hard", Criticality::Hard), ("soft", Criticality::Soft)];
const MODES: [(&str, Mode); 2] = [("sync", Mode::Sync), ("async", Mode::Async)];
const PHASES: [(&str, Phase); 3] = [
    ("request", Phase::Request),
    ("startup", Phase::Startup),
    ("background", Phase::Background),
];

/// Reading stopped: the fatal finding is already recorded.
#[derive(Debug)]
pub struct Stop;

/// A step of reading.
pub type Step<T> = Result<T, Stop>;

/// Edge policies a dependency set itself (the rest come from `defaults`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Explicit {
    /// `timeout` was given.
    pub timeout: bool,
    /// `retries` was given.
    pub retries: bool,
    /// `retry_budget` was given.
    pub retry_budget: bool,
    /// `circuit_breaker` was given.
    pub circuit_breaker: bool,
}

/// A cache edge whose `on_miss` is not resolved yet.
#[derive(Debug)]
pub struct PendingCache {
    /// `hit_ratio`, when it parsed.
    pub hit_ratio: Option<f64>,
    /// `on_miss`, as written.
    pub on_miss: At<String>,
    /// `warm_up`, or the default.
    pub warm_up_s: f64,
    /// Where `cache:` starts.
    pub pos: Pos,
}

/// The rare parts of a dependency that name other services.
#[derive(Debug, Default)]
pub struct Names {
    /// `fallback: { to }`, as written.
    pub failover: Option<At<String>>,
    /// `cache:`.
    pub cache: Option<PendingCache>,
}

/// What a dependency set itself and the other services it names.
#[derive(Debug, Default)]
pub struct Extra {
    /// Which policies it set itself.
    pub explicit: Explicit,
    /// Names to resolve (boxed: most dependencies have none).
    pub names: Option<Box<Names>>,
    /// Its `mode` or `phase` did not read (reported): what kind of edge it
    /// is, is not known, so no warning compares it with another (W006).
    pub kind_unread: bool,
}

impl Extra {
    /// Whether there is nothing here (the common case, not stored).
    fn is_empty(&self) -> bool {
        let e = self.explicit;
        !(e.timeout || e.retries || e.retry_budget || e.circuit_breaker)
            && self.names.is_none()
            && !self.kind_unread
    }
}

/// A dependency as read: every value parsed, names not yet resolved
/// (`dep.target` is a placeholder until then).
#[derive(Debug)]
pub struct PendingDep {
    /// The dependency, policies as written.
    pub dep: Dependency,
    /// What it set and names.
    pub extra: Extra,
}

/// One `depends_on` list as read: the dependencies themselves (their
/// final home: resolving fills in their targets) and, for the few that
/// have any, what they set themselves and the names they use.
#[derive(Debug, Default)]
pub struct DepList {
    /// The dependencies, in order, targets not resolved.
    pub deps: Vec<Dependency>,
    /// `(index in deps, extra)`, in order, only where not empty.
    pub extras: Vec<(usize, Extra)>,
}

/// What a service's names wait for.
#[derive(Debug, Default)]
pub struct Pending {
    /// `zones:` as written (`None`: not given).
    pub zones: Option<Vec<At<String>>>,
    /// Service-level `depends_on`.
    pub shared: DepList,
    /// Each declared operation's own `depends_on`.
    pub own: Vec<DepList>,
}

/// Model-wide policies from `defaults:`.
#[derive(Debug, Default, Clone, Copy)]
pub struct EdgeDefaults {
    /// `defaults.timeout`.
    pub timeout_s: Option<f64>,
    /// `defaults.retries`.
    pub retries: u32,
    /// `defaults.retry_budget`.
    pub retry_budget: Option<f64>,
    /// `defaults.circuit_breaker`.
    pub circuit_breaker: Option<CircuitBreaker>,
}

/// What could not be read of the services, as far as the model-wide
/// warnings need it: a warning that claims something of every service
/// (no entry point, W004; an unused zone, W005) is not given when a value
/// it rests on was lost to an error, since the value meant might have made
/// it false.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unread {
    /// Some service's traffic: its `entry`, an operation's `rps`, its
    /// operations, or the whole service (not a map, or a second one of the
    /// same name, which is dropped).
    pub traffic: bool,
    /// Some service's `zones`, or the whole service.
    pub placement: bool,
}

/// The document as read, before names are resolved.
#[derive(Debug, Default)]
pub struct Document {
    /// `name:`.
    pub name: Option<At<String>>,
    /// `zones:`, duplicates removed (reported).
    pub zones: Vec<At<String>>,
    /// `defaults:` for edges.
    pub defaults: EdgeDefaults,
    /// `defaults.thresholds`.
    pub thresholds: Thresholds,
    /// The services, in model order.
    pub services: Vec<Service>,
    /// Per service, what waits for names.
    pub pending: Vec<Pending>,
    /// Service names to ids.
    pub names: NameIndex,
    /// Where `services:` starts.
    pub services_pos: Option<Pos>,
    /// What of the services could not be read.
    pub unread: Unread,
}

/// Reads YAML events into a [`Document`], collecting findings.
pub struct Reader<'t> {
    events: Events<'t>,
    /// Every finding so far.
    pub findings: Vec<Finding>,
    /// What of the services could not be read, so far.
    unread: Unread,
    /// The list being read (lists of dependencies never nest): gathered
    /// here, then moved to a vector of exactly its length.
    scratch: DepList,
}

impl<'t> Reader<'t> {
    /// A reader over `text`; a large text is parsed ahead on a thread of
    /// its own while the reader builds the model ([`Events::of`]).
    pub fn new(text: &'t str) -> Self {
        Reader {
            events: Events::of(text),
            findings: Vec::new(),
            unread: Unread::default(),
            scratch: DepList::default(),
        }
    }

    /// Reads the whole document. `None` when reading stopped at a fatal
    /// problem (syntax, a guard); the findings say why.
    pub fn document(&mut self) -> Option<Document> {
        let result = self.read_document();
        let mut tags = std::mem::take(&mut self.events.findings);
        if let Some(from) = self.events.broken_from {
            // What was read of a construct that turned out not to be YAML
            // (`{ replicas: 3` and the next line read as one value) is not
            // worth reporting beside the syntax error.
            let fatal = self.findings.pop();
            let before = |f: &Finding| f.pos.is_none_or(|p| p < from);
            self.findings.retain(before);
            tags.retain(before);
            self.findings.extend(fatal);
        }
        self.findings.extend(tags);
        result.ok()
    }

    fn read_document(&mut self) -> Step<Document> {
        let started = self.events.start();
        if !self.fatal(started)? {
            self.error(
                super::load::codes::EMPTY,
                "file is empty",
                Pos::new(1, 1),
                Some("a model needs at least `services:`; see examples/three-tier.yaml".into()),
            );
            return Err(Stop);
        }
        let root = self.next()?;
        let mut doc = Document::default();
        let root_pos = root.pos;
        let root_is_null = root.is_null();
        let mut seen_services = false;
        let shaped = self.map(root, MODEL_KEYS, |r, key, value, _| {
            match key {
                0 => doc.name = r.name_value("model", value)?,
                1 => doc.zones = r.zones(value)?,
                2 => r.defaults(value, &mut doc)?,
                _ => {
                    seen_services = true;
                    r.services(value, &mut doc)?;
                }
            }
            Ok(())
        })?;
        if (shaped.is_some() || root_is_null) && !seen_services {
            self.error(
                codes_read::WRONG_SHAPE,
                "missing key `services`",
                root_pos,
                Some("add `services:` here".into()),
            );
        }
        let finished = self.events.finish();
        self.fatal(finished)?;
        doc.unread = self.unread;
        Ok(doc)
    }

    // ----------------------------------------------------------------
    // Events and findings.

    fn fatal<T>(&mut self, result: Result<T, super::events::Fatal>) -> Step<T> {
        result.map_err(|f| {
            self.findings.push(*f);
            Stop
        })
    }

    /// Runs `read`, and says whether it reported a problem: the value it
    /// reads was (at least partly) lost.
    fn reading<T>(&mut self, read: impl FnOnce(&mut Self) -> Step<T>) -> Step<(T, bool)> {
        let before = self.findings.len();
        let value = read(self)?;
        Ok((value, self.findings.len() > before))
    }

    fn next(&mut self) -> Step<Event> {
        let result = self.events.next_event();
        self.fatal(result)
    }

    fn skip(&mut self, first: &Event) -> Step<()> {
        let result = self.events.skip(first);
        self.fatal(result)
    }

    fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: Option<String>,
    ) {
        self.findings
            .push(Finding::error(code, message, Some(pos)).with_opt_hint(hint));
    }

    fn warning(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: Option<String>,
    ) {
        self.findings
            .push(Finding::warning(code, message, Some(pos)).with_opt_hint(hint));
    }

    /// A finding for a node of the wrong shape, and the node skipped.
    fn wrong_shape(&mut self, found: &Event, expected: &str, hint: &str) -> Step<()> {
        let what = match &found.kind {
            Kind::SeqStart => "a list".to_owned(),
            Kind::MapStart => "a map".to_owned(),
            Kind::Scalar(..) if found.is_null() => "an empty value".to_owned(),
            Kind::Scalar(text, _) => format!("`{}`", shorten(text)),
            Kind::SeqEnd | Kind::MapEnd => "the end of a block".to_owned(),
        };
        self.error(
            codes_read::WRONG_SHAPE,
            format!("expected {expected} here, found {what}"),
            found.pos,
            Some(hint.to_owned()),
        );
        self.skip(found)
    }

    // ----------------------------------------------------------------
    // Shapes: maps of fixed keys, maps of names, lists, single values.

    /// Reads a map whose keys are `keys`, calling `field` with each key's
    /// index, its value's first event and the key's position. Unknown and
    /// repeated keys are reported and skipped; `<<: *anchor` merges a map
    /// (keys written here win). Returns where the map starts, or `None`
    /// when the value was empty or not a map (reported).
    fn map<F>(
        &mut self,
        first: Event,
        keys: &'static [&'static str],
        mut field: F,
    ) -> Step<Option<Pos>>
    where
        F: FnMut(&mut Self, usize, Event, Pos) -> Step<()>,
    {
        if first.is_null() {
            return Ok(None);
        }
        if first.kind != Kind::MapStart {
            self.wrong_shape(
                &first,
                "a map of keys and values",
                "write `{ key: value }` or indented `key: value` lines",
            )?;
            return Ok(None);
        }
        let mut seen = Seen::default();
        self.pairs(keys, &mut seen, false, &mut field)?;
        Ok(Some(first.pos))
    }

    fn pairs<F>(
        &mut self,
        keys: &'static [&'static str],
        seen: &mut Seen,
        merged: bool,
        field: &mut F,
    ) -> Step<()>
    where
        F: FnMut(&mut Self, usize, Event, Pos) -> Step<()>,
    {
        loop {
            let key = self.next()?;
            let text = match key.kind {
                Kind::MapEnd | Kind::SeqEnd => return Ok(()),
                Kind::Scalar(ref text, style) => {
                    if style == Style::Plain && text == "<<" {
                        self.merge(keys, seen, field)?;
                        continue;
                    }
                    text.as_str()
                }
                Kind::SeqStart | Kind::MapStart => {
                    self.complex_key(&key)?;
                    continue;
                }
            };
            let Some(index) = keys.iter().position(|k| *k == text) else {
                let shown = if key.is_null() {
                    "~ (null)".to_owned()
                } else {
                    shorten(text).to_string()
                };
                let hint = did_you_mean_hint(text, keys.iter().copied())
                    .unwrap_or_else(|| format!("allowed here: {}", keys.join(", ")));
                self.error(
                    codes_read::UNKNOWN_KEY,
                    format!("unknown key `{shown}`"),
                    key.pos,
                    Some(hint),
                );
                let value = self.next()?;
                self.skip(&value)?;
                continue;
            };
            let value = self.next()?;
            let bit = 1u32 << index;
            if merged {
                if (seen.explicit | seen.merged) & bit != 0 {
                    self.skip(&value)?;
                    continue;
                }
                seen.merged |= bit;
            } else {
                if seen.explicit & bit != 0 {
                    self.error(
                        codes_read::DUPLICATE_KEY,
                        format!("duplicate key `{text}`"),
                        key.pos,
                        Some("each key may appear once in a map; keep one".into()),
                    );
                    self.skip(&value)?;
                    continue;
                }
                seen.explicit |= bit;
            }
            field(self, index, value, key.pos)?;
        }
    }

    /// `<<: *anchor` or `<<: [*a, *b]`: the merged maps' keys, where this
    /// map does not set them (earlier merged maps win over later ones).
    fn merge<F>(
        &mut self,
        keys: &'static [&'static str],
        seen: &mut Seen,
        field: &mut F,
    ) -> Step<()>
    where
        F: FnMut(&mut Self, usize, Event, Pos) -> Step<()>,
    {
        const HINT: &str = "merge a map: `<<: *defaults`, or several: `<<: [*a, *b]`";
        let value = self.next()?;
        match value.kind {
            Kind::MapStart => self.pairs(keys, seen, true, field),
            Kind::SeqStart => loop {
                let item = self.next()?;
                match item.kind {
                    Kind::SeqEnd => return Ok(()),
                    Kind::MapStart => self.pairs(keys, seen, true, field)?,
                    _ => self.wrong_shape(&item, "a map to merge", HINT)?,
                }
            },
            _ => self.wrong_shape(&value, "a map to merge", HINT),
        }
    }

    fn complex_key(&mut self, key: &Event) -> Step<()> {
        self.error(
            codes_read::WRONG_SHAPE,
            "a key must be a name, not a list or a map",
            key.pos,
            Some("write `name: value`".into()),
        );
        self.skip(key)?;
        let value = self.next()?;
        self.skip(&value)
    }

    /// Reads a map of names (services, operations), calling `entry` with
    /// each name, its position and its value's first event. Empty names
    /// are reported here; duplicates are the caller's to find.
    fn named_map<F>(&mut self, first: Event, what: &str, mut entry: F) -> Step<Option<Pos>>
    where
        F: FnMut(&mut Self, String, Pos, Event) -> Step<()>,
    {
        if first.is_null() {
            return Ok(None);
        }
        if first.kind != Kind::MapStart {
            self.wrong_shape(
                &first,
                &format!("a map of {what}s by name"),
                &format!("write one `name:` line per {what}, each followed by its settings"),
            )?;
            return Ok(None);
        }
        loop {
            let key = self.next()?;
            match key.kind {
                Kind::MapEnd | Kind::SeqEnd => return Ok(Some(first.pos)),
                Kind::SeqStart | Kind::MapStart => self.complex_key(&key)?,
                Kind::Scalar(text, style) => {
                    let null = style == Style::Plain && super::events::is_null(&text);
                    if null || text.is_empty() {
                        let hint = if null && !text.is_empty() {
                            format!(
                                "`{text}` is YAML's null; quote it if it is the name: \"{text}\""
                            )
                        } else {
                            "give it a name".to_owned()
                        };
                        self.error(
                            codes::EMPTY_NAME,
                            format!("{what} name is empty"),
                            key.pos,
                            Some(hint),
                        );
                    }
                    if style == Style::Plain && text == "<<" {
                        self.error(
                            codes_read::WRONG_SHAPE,
                            format!("merge keys (`<<`) cannot add {what}s"),
                            key.pos,
                            Some(format!("write each {what} out, or merge into its settings: `web: {{ <<: *defaults }}`")),
                        );
                        let value = self.next()?;
                        self.skip(&value)?;
                        continue;
                    }
                    let value = self.next()?;
                    let name = if null { String::new() } else { text };
                    entry(self, name, key.pos, value)?;
                }
            }
        }
    }

    /// Reads a list, calling `item` with each item's first event.
    fn list<F>(&mut self, first: Event, mut item: F) -> Step<()>
    where
        F: FnMut(&mut Self, Event) -> Step<()>,
    {
        if first.is_null() {
            return Ok(());
        }
        if first.kind != Kind::SeqStart {
            return self.wrong_shape(
                &first,
                "a list",
                "write `[a, b]` or one `- a` line per item",
            );
        }
        loop {
            let event = self.next()?;
            if matches!(event.kind, Kind::SeqEnd | Kind::MapEnd) {
                return Ok(());
            }
            item(self, event)?;
        }
    }

    /// A single value, typed by YAML's core schema when plain; `None`
    /// (reported) for a list or map.
    fn scalar(&mut self, field: &str, first: Event) -> Step<Option<At<Scalar>>> {
        match first.kind {
            Kind::Scalar(text, style) => Ok(Some(At {
                value: match style {
                    Style::Plain => Scalar::plain(text),
                    Style::Quoted => Scalar::Str(text),
                },
                pos: first.pos,
            })),
            _ => {
                let pos = first.pos;
                self.skip(&first)?;
                self.error(
                    codes_read::WRONG_SHAPE,
                    format!(
                        "`{field}`: expected a single value, found a {}",
                        if first.kind == Kind::SeqStart {
                            "list"
                        } else {
                            "map"
                        }
                    ),
                    pos,
                    Some("write one value, such as `250ms`, `30%` or `3`".into()),
                );
                Ok(None)
            }
        }
    }

    /// A value parsed by `parse`; `None` after a finding, or when the value
    /// is empty and `optional`.
    fn value<T>(
        &mut self,
        field: &str,
        first: Event,
        parse: fn(&Scalar) -> Result<T, ValueError>,
    ) -> Step<Option<At<T>>> {
        if first.is_null() {
            return Ok(None);
        }
        self.required_value(field, first, parse)
    }

    /// Like [`Reader::value`], but an empty value is judged by `parse` too.
    fn required_value<T>(
        &mut self,
        field: &str,
        first: Event,
        parse: fn(&Scalar) -> Result<T, ValueError>,
    ) -> Step<Option<At<T>>> {
        let Some(at) = self.scalar(field, first)? else {
            return Ok(None);
        };
        match parse(&at.value) {
            Ok(value) => Ok(Some(At { value, pos: at.pos })),
            Err(e) => {
                self.error(e.code, format!("`{field}`: {}", e.message), at.pos, e.hint);
                Ok(None)
            }
        }
    }

    fn count_u32(&mut self, field: &str, first: Event) -> Step<Option<At<u32>>> {
        self.count_at_most(field, first, u32::MAX, false)
    }

    /// A count of replicas: at most [`MAX_REPLICAS`]. One too large is
    /// reported and read as the limit, so the checks that compare with it
    /// (quorum, `max_replicas`) do not pile errors on top.
    fn replica_count(&mut self, field: &str, first: Event) -> Step<Option<At<u32>>> {
        self.count_at_most(field, first, MAX_REPLICAS, true)
    }

    fn count_at_most(
        &mut self,
        field: &str,
        first: Event,
        max: u32,
        clamp: bool,
    ) -> Step<Option<At<u32>>> {
        let Some(at) = self.value(field, first, units::count)? else {
            return Ok(None);
        };
        match u32::try_from(at.value) {
            Ok(n) if n <= max => Ok(Some(At {
                value: n,
                pos: at.pos,
            })),
            _ => {
                self.error(
                    units::codes::BAD_COUNT,
                    format!("`{field}`: {} is too large", at.value),
                    at.pos,
                    Some(format!(
                        "at most {}",
                        crate::text::thousands(u64::from(max))
                    )),
                );
                Ok(clamp.then_some(At {
                    value: max,
                    pos: at.pos,
                }))
            }
        }
    }

    fn boolean(&mut self, field: &str, first: Event) -> Step<Option<bool>> {
        if first.is_null() {
            return Ok(None);
        }
        let Some(at) = self.scalar(field, first)? else {
            return Ok(None);
        };
        match at.value {
            Scalar::Bool(b) => Ok(Some(b)),
            other => {
                self.error(
                    codes_read::WRONG_SHAPE,
                    format!(
                        "`{field}`: expected `true` or `false`, found {}",
                        describe(&other)
                    ),
                    at.pos,
                    Some("write `true` or `false` (without quotes)".into()),
                );
                Ok(None)
            }
        }
    }

    /// A word from a fixed list (kind, criticality, mode, phase).
    fn word<T: Copy>(&mut self, field: &str, first: Event, words: &[(&str, T)]) -> Step<Option<T>> {
        if first.is_null() {
            return Ok(None);
        }
        let Some(at) = self.scalar(field, first)? else {
            return Ok(None);
        };
        let text = match &at.value {
            Scalar::Str(t) => t.trim().to_owned(),
            other => describe(other),
        };
        if let Some((_, v)) = words.iter().find(|(w, _)| w.eq_ignore_ascii_case(&text)) {
            return Ok(Some(*v));
        }
        let allowed: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
        let hint = did_you_mean_hint(&text, allowed.iter().copied())
            .unwrap_or_else(|| format!("one of: {}", allowed.join(", ")));
        self.error(
            codes::UNKNOWN_WORD,
            format!("`{field}`: unknown value `{}`", shorten(&text)),
            at.pos,
            Some(hint),
        );
        Ok(None)
    }

    /// A name (of a service, zone, the model): any scalar as written.
    fn name_value(&mut self, what: &str, first: Event) -> Step<Option<At<String>>> {
        match first.kind {
            Kind::Scalar(text, style) => {
                let null = style == Style::Plain && super::events::is_null(&text);
                if null || text.is_empty() {
                    self.error(
                        codes::EMPTY_NAME,
                        format!("{what} name is empty"),
                        first.pos,
                        Some("give it a name".into()),
                    );
                    return Ok(None);
                }
                Ok(Some(At {
                    value: text,
                    pos: first.pos,
                }))
            }
            _ => {
                self.wrong_shape(
                    &first,
                    &format!("a {what} name"),
                    "write the name as a single value",
                )?;
                Ok(None)
            }
        }
    }

    // ----------------------------------------------------------------
    // The model's sections.

    fn zones(&mut self, first: Event) -> Step<Vec<At<String>>> {
        let mut zones: Vec<At<String>> = Vec::new();
        self.list(first, |r, item| {
            if let Some(z) = r.name_value("zone", item)? {
                if zones.iter().any(|x| x.value == z.value) {
                    r.error(
                        codes::DUPLICATE_NAME,
                        format!("zone `{}` is listed twice", shorten(&z.value)),
                        z.pos,
                        Some("remove one".into()),
                    );
                } else {
                    zones.push(z);
                }
            }
            Ok(())
        })?;
        Ok(zones)
    }

    fn defaults(&mut self, first: Event, doc: &mut Document) -> Step<()> {
        let mut d = EdgeDefaults::default();
        let mut thresholds = doc.thresholds;
        self.map(first, DEFAULTS_KEYS, |r, key, value, _| {
            match key {
                0 => {
                    d.timeout_s = r
                        .value("defaults.timeout", value, units::duration)?
                        .map(|a| a.value)
                }
                1 => {
                    d.retries = r
                        .count_u32("defaults.retries", value)?
                        .map_or(0, |a| a.value)
                }
                2 => {
                    d.retry_budget = r
                        .value("defaults.retry_budget", value, units::fraction)?
                        .map(|a| a.value)
                }
                3 => d.circuit_breaker = r.breaker("defaults.circuit_breaker", value)?,
                _ => thresholds = r.thresholds(value)?,
            }
            Ok(())
        })?;
        doc.defaults = d;
        doc.thresholds = thresholds;
        Ok(())
    }

    fn thresholds(&mut self, first: Event) -> Step<Thresholds> {
        let mut t = Thresholds::default();
        let (mut down_pos, mut degraded_pos) = (None, None);
        self.map(first, THRESHOLDS_KEYS, |r, key, value, _| {
            match key {
                0 => {
                    if let Some(a) = r.value("thresholds.down_below", value, units::fraction)? {
                        t.down_below = a.value;
                        down_pos = Some(a.pos);
                    }
                }
                1 => {
                    if let Some(a) = r.value("thresholds.degraded_below", value, units::fraction)? {
                        t.degraded_below = a.value;
                        degraded_pos = Some(a.pos);
                    }
                }
                2 => {
                    if let Some(a) = r.value("thresholds.slow_factor", value, units::rate)? {
                        if a.value < 1.0 {
                            r.error(
                                codes::BAD_THRESHOLDS,
                                format!("`thresholds.slow_factor` {} is below 1", a.value),
                                a.pos,
                                Some("a slow service is at least as slow as its baseline; use 2 or more".into()),
                            );
                        } else {
                            t.slow_factor = a.value;
                        }
                    }
                }
                _ => {
                    if let Some(a) = r.value("thresholds.slow_min", value, units::duration)? {
                        t.slow_min_s = a.value;
                    }
                }
            }
            Ok(())
        })?;
        if t.down_below > t.degraded_below
            && let Some(pos) = down_pos.or(degraded_pos)
        {
            self.error(
                codes::BAD_THRESHOLDS,
                "`thresholds.down_below` is above `thresholds.degraded_below`",
                pos,
                Some(
                    "down means less success than degraded: e.g. down_below 5%, degraded_below 99%"
                        .into(),
                ),
            );
        }
        Ok(t)
    }

    fn breaker(&mut self, field: &str, first: Event) -> Step<Option<CircuitBreaker>> {
        let (mut threshold, mut open_for) = (None, None);
        let (mut has_threshold, mut has_open_for) = (false, false);
        let threshold_field = format!("{}.threshold", field.rsplit('.').next().unwrap_or(field));
        let open_for_field = format!("{}.open_for", field.rsplit('.').next().unwrap_or(field));
        let Some(pos) = self.map(first, BREAKER_KEYS, |r, key, value, _| {
            if key == 0 {
                has_threshold = true;
                threshold = r.required_value(&threshold_field, value, units::fraction)?;
            } else {
                has_open_for = true;
                open_for = r.required_value(&open_for_field, value, units::duration)?;
            }
            Ok(())
        })?
        else {
            return Ok(None);
        };
        self.missing(
            pos,
            &[("threshold", has_threshold), ("open_for", has_open_for)],
        );
        Ok(threshold.zip(open_for).map(|(t, o)| CircuitBreaker {
            threshold: t.value,
            open_for_s: o.value,
        }))
    }

    /// Reports required keys a map at `pos` lacks.
    fn missing(&mut self, pos: Pos, keys: &[(&str, bool)]) {
        for (key, present) in keys {
            if !present {
                self.error(
                    codes_read::WRONG_SHAPE,
                    format!("missing key `{key}`"),
                    pos,
                    Some(format!("add `{key}:` here")),
                );
            }
        }
    }

    fn services(&mut self, first: Event, doc: &mut Document) -> Step<()> {
        let pos = self.named_map(first, "service", |r, name, key_pos, value| {
            let duplicate = doc.names.contains_key(&name);
            if duplicate {
                r.error(
                    codes_read::DUPLICATE_KEY,
                    format!("duplicate key `{}`", shorten(&name)),
                    key_pos,
                    Some("each key (and each service name) may appear once in a map; merge or rename one".into()),
                );
            }
            let (service, pending) = r.service(name, key_pos, value)?;
            if duplicate {
                r.unread.traffic = true;
                r.unread.placement = true;
            } else {
                let id = ServiceId(u32::try_from(doc.services.len()).unwrap_or(u32::MAX));
                doc.names.insert(service.name.clone(), id);
                doc.services.push(service);
                doc.pending.push(pending);
            }
            Ok(())
        })?;
        doc.services_pos = pos;
        Ok(())
    }

    fn service(&mut self, name: String, key_pos: Pos, first: Event) -> Step<(Service, Pending)> {
        let mut f = ServiceFields::default();
        let mut pending = Pending::default();
        if !first.is_null() && first.kind != Kind::MapStart {
            self.unread.traffic = true;
            self.unread.placement = true;
        }
        self.map(first, SERVICE_KEYS, |r, key, value, _| {
            match key {
                0 => f.kind = r.word("kind", value, &KINDS)?,
                1 => {
                    let (entry, lost) = r.reading(|r| r.entry(value))?;
                    f.entry = entry;
                    r.unread.traffic |= lost;
                }
                2 => f.replicas = r.replica_count("replicas", value)?,
                3 => {
                    let mut zones = Vec::new();
                    let ((), lost) = r.reading(|r| {
                        r.list(value, |r, item| {
                            if let Some(z) = r.name_value("zone", item)? {
                                zones.push(z);
                            }
                            Ok(())
                        })
                    })?;
                    r.unread.placement |= lost;
                    pending.zones = Some(zones);
                }
                4 => f.quorum = r.count_u32("quorum", value)?,
                5 => f.capacity = r.value("capacity", value, units::rate)?.map(|a| a.value),
                6 => {
                    f.concurrency = r
                        .value("concurrency", value, units::count)?
                        .map(|a| a.value as f64)
                }
                7 => {
                    f.queue = r
                        .value("queue", value, units::count)?
                        .map(|a| a.value as f64)
                }
                8 => f.latency = r.latency("latency", value)?,
                9 => {
                    f.availability = r
                        .value("availability", value, units::fraction)?
                        .map(|a| a.value)
                }
                10 => {
                    f.start_time_s = r
                        .value("start_time", value, units::duration)?
                        .map(|a| a.value)
                }
                11 => f.autoscale = r.autoscale(value)?,
                12 => f.parallel = r.boolean("parallel", value)?,
                13 => pending.shared = r.dependencies(value)?,
                _ => f.operations = Some(r.operations(value)?),
            }
            Ok(())
        })?;
        Ok(self.build_service(name, key_pos, f, pending))
    }

    fn entry(&mut self, first: Event) -> Step<Option<At<f64>>> {
        let mut rps = None;
        let mut has_rps = false;
        let Some(pos) = self.map(first, ENTRY_KEYS, |r, _, value, _| {
            has_rps = true;
            rps = r.required_value("entry.rps", value, units::rate)?;
            Ok(())
        })?
        else {
            return Ok(None);
        };
        self.missing(pos, &[("rps", has_rps)]);
        Ok(rps)
    }

    fn autoscale(&mut self, first: Event) -> Step<Option<AutoscaleFields>> {
        let (mut max, mut above, mut delay) = (None, None, None);
        let mut present = [false; 3];
        let Some(pos) = self.map(first, AUTOSCALE_KEYS, |r, key, value, _| {
            present[key] = true;
            match key {
                0 => max = r.replica_count("autoscale.max_replicas", value)?,
                1 => above = r.required_value("autoscale.above", value, units::fraction)?,
                _ => delay = r.required_value("autoscale.delay", value, units::duration)?,
            }
            Ok(())
        })?
        else {
            return Ok(None);
        };
        self.missing(
            pos,
            &[
                ("max_replicas", present[0]),
                ("above", present[1]),
                ("delay", present[2]),
            ],
        );
        let autoscale = match (&max, above, delay) {
            (Some(m), Some(a), Some(d)) => Some(Autoscale {
                max_replicas: m.value,
                above: a.value,
                delay_s: d.value,
            }),
            _ => None,
        };
        Ok(Some(AutoscaleFields { max, autoscale }))
    }

    /// `latency: 15ms` or `latency: { p50: 10ms, p99: 250ms }`.
    fn latency(&mut self, field: &str, first: Event) -> Step<Option<Latency>> {
        if first.kind != Kind::MapStart {
            return Ok(self
                .value(field, first, units::duration)?
                .map(|a| Latency::Exponential { mean_s: a.value }));
        }
        let (mut p50, mut p99) = (None, None);
        let mut present = [false; 2];
        let p50_field = format!("{field}.p50");
        let p99_field = format!("{field}.p99");
        let pos = self
            .map(first, TAIL_KEYS, |r, key, value, _| {
                present[key] = true;
                if key == 0 {
                    p50 = r.required_value(&p50_field, value, units::duration)?;
                } else {
                    p99 = r.required_value(&p99_field, value, units::duration)?;
                }
                Ok(())
            })?
            .unwrap_or_default();
        self.missing(pos, &[("p50", present[0]), ("p99", present[1])]);
        let (Some(p50), Some(p99)) = (p50, p99) else {
            return Ok(None);
        };
        let (p50_s, p99_s) = (p50.value, p99.value);
        if p50_s <= 0.0 || p99_s <= p50_s {
            self.error(
                codes::BAD_LATENCY_TAIL,
                format!(
                    "`{field}`: p99 ({} ms) must be above p50 ({} ms), and p50 above 0",
                    p99_s * 1000.0,
                    p50_s * 1000.0
                ),
                pos,
                Some("a tail is slower than the median: e.g. `{ p50: 10ms, p99: 250ms }`; or give only the mean, `latency: 10ms`".into()),
            );
            return Ok(None);
        }
        Ok(Some(Latency::Lognormal { p50_s, p99_s }))
    }

    fn operations(&mut self, first: Event) -> Step<Vec<OperationFields>> {
        let mut ops: Vec<OperationFields> = Vec::new();
        if !first.is_null() && first.kind != Kind::MapStart {
            self.unread.traffic = true;
        }
        self.named_map(first, "operation", |r, name, key_pos, value| {
            let duplicate = ops.iter().any(|o| o.name == name);
            if duplicate {
                r.unread.traffic = true;
                r.error(
                    codes_read::DUPLICATE_KEY,
                    format!("duplicate key `{}`", shorten(&name)),
                    key_pos,
                    Some(
                        "each operation name may appear once in a service; merge or rename one"
                            .into(),
                    ),
                );
            }
            let op = r.operation(name, key_pos, value)?;
            if !duplicate {
                ops.push(op);
            }
            Ok(())
        })?;
        Ok(ops)
    }

    fn operation(&mut self, name: String, pos: Pos, first: Event) -> Step<OperationFields> {
        let mut op = OperationFields {
            name,
            pos,
            rps: None,
            latency: None,
            parallel: None,
            deps: DepList::default(),
        };
        if !first.is_null() && first.kind != Kind::MapStart {
            self.unread.traffic = true;
        }
        self.map(first, OPERATION_KEYS, |r, key, value, _| {
            match key {
                0 => {
                    let (rps, lost) = r.reading(|r| r.value("rps", value, units::rate))?;
                    op.rps = rps.map(|a| a.value);
                    r.unread.traffic |= lost;
                }
                1 => op.latency = r.latency("latency", value)?,
                2 => op.parallel = r.boolean("parallel", value)?,
                _ => op.deps = r.dependencies(value)?,
            }
            Ok(())
        })?;
        Ok(op)
    }

    /// A `depends_on` list.
    fn dependencies(&mut self, first: Event) -> Step<DepList> {
        self.scratch.deps.clear();
        self.scratch.extras.clear();
        self.list(first, |r, item| {
            if let Some(d) = r.dependency(item)? {
                if !d.extra.is_empty() {
                    r.scratch.extras.push((r.scratch.deps.len(), d.extra));
                }
                r.scratch.deps.push(d.dep);
            }
            Ok(())
        })?;
        Ok(DepList {
            deps: self.scratch.deps.drain(..).collect(),
            extras: self.scratch.extras.drain(..).collect(),
        })
    }

    /// One item of `depends_on`: a name, or a map with `to:` and policies.
    fn dependency(&mut self, first: Event) -> Step<Option<PendingDep>> {
        const HINT: &str = "write a service name (`- catalog`) or a map with `to:` (`- { to: catalog, timeout: 1s }`)";
        let pos = first.pos;
        if first.kind == Kind::MapStart {
            return self.dependency_map(first);
        }
        if first.is_null() || !matches!(first.kind, Kind::Scalar(..)) {
            self.wrong_shape(&first, "a dependency", HINT)?;
            return Ok(None);
        }
        let Kind::Scalar(text, _) = first.kind else {
            return Ok(None);
        };
        Ok(Some(PendingDep::new(text, pos)))
    }

    fn dependency_map(&mut self, first: Event) -> Step<Option<PendingDep>> {
        let mut to: Option<At<String>> = None;
        let mut has_to = false;
        let mut d = PendingDep::new(String::new(), first.pos);
        let mut calls_pos = None;
        let mut buffer_pos = None;
        let mut fallback: Option<FallbackFields> = None;
        let mut cache: Option<PendingCache> = None;
        let mut mode_unread = false;
        let map_pos = first.pos;
        self.map(first, DEPENDENCY_KEYS, |r, key, value, _| {
            match key {
                0 => {
                    has_to = true;
                    to = r.name_value("dependency target", value)?;
                }
                1 => {
                    d.extra.explicit.timeout = true;
                    d.dep.timeout_s = r.value("timeout", value, units::duration)?.map(|a| a.value);
                }
                2 => {
                    d.extra.explicit.retries = true;
                    d.dep.retries = r.count_u32("retries", value)?.map_or(0, |a| a.value);
                }
                3 => {
                    d.extra.explicit.retry_budget = true;
                    d.dep.retry_budget = r
                        .value("retry_budget", value, units::fraction)?
                        .map(|a| a.value);
                }
                4 => {
                    d.extra.explicit.circuit_breaker = true;
                    d.dep.circuit_breaker = r.breaker("circuit_breaker", value)?;
                }
                5 => {
                    if let Some(c) = r.count_u32("calls", value)? {
                        d.dep.calls = c.value;
                        calls_pos = Some(c.pos);
                    }
                }
                6 => {
                    d.dep.criticality = r
                        .word("criticality", value, &CRITICALITIES)?
                        .unwrap_or_default()
                }
                7 => {
                    let (mode, lost) = r.reading(|r| r.word("mode", value, &MODES))?;
                    d.dep.mode = mode.unwrap_or_default();
                    mode_unread = lost;
                }
                8 => {
                    let (phase, lost) = r.reading(|r| r.word("phase", value, &PHASES))?;
                    d.dep.phase = phase.unwrap_or_default();
                    d.extra.kind_unread |= lost;
                }
                9 => {
                    if let Some(b) = r.value("buffer", value, units::count)? {
                        d.dep.buffer = Some(b.value as f64);
                        buffer_pos = Some(b.pos);
                    }
                }
                10 => fallback = r.fallback(value)?,
                _ => cache = r.cache(value)?,
            }
            Ok(())
        })?;
        if !has_to {
            self.missing(map_pos, &[("to", false)]);
        }
        let Some(to) = to else {
            return Ok(None);
        };
        d.dep.pos = to.pos;
        d.dep.written = to.value;
        d.extra.kind_unread |= mode_unread;
        // `buffer` is only wrong on an edge known to be synchronous: an
        // unknown `mode` word (reported) may have meant `async`.
        let buffer_pos = buffer_pos.filter(|_| !mode_unread);
        self.finish_dependency(&mut d, calls_pos, buffer_pos, fallback, cache);
        Ok(Some(d))
    }

    /// The checks of one dependency that need all of its keys.
    fn finish_dependency(
        &mut self,
        d: &mut PendingDep,
        calls_pos: Option<Pos>,
        buffer_pos: Option<Pos>,
        fallback: Option<FallbackFields>,
        cache: Option<PendingCache>,
    ) {
        let written = shorten(&d.dep.written).to_string();
        if d.dep.calls == 0 {
            self.error(
                codes::ZERO_CALLS,
                format!("dependency `{written}` has `calls: 0`"),
                calls_pos.unwrap_or(d.dep.pos),
                Some("remove the dependency, or make it at least 1 call per request".into()),
            );
            d.dep.calls = 1;
        }
        if let (Some(pos), Mode::Sync) = (buffer_pos, d.dep.mode) {
            self.warning(
                codes::BUFFER_ON_SYNC,
                format!("`buffer` on the synchronous dependency `{written}` has no effect"),
                pos,
                Some("add `mode: async` if this is a hand-off".into()),
            );
        }
        if let (Some(c), Some(_)) = (&cache, &fallback) {
            self.error(
                codes::CACHE_AND_FALLBACK,
                "a dependency cannot be both a cache edge and have a fallback",
                c.pos,
                Some(
                    "a cache's `on_miss` already says where calls go when it cannot answer".into(),
                ),
            );
        }
        let mut names = Names {
            failover: None,
            cache,
        };
        if let Some(FallbackFields {
            pos,
            stale,
            failover,
            both,
        }) = fallback
        {
            match (stale, failover) {
                (_, _) if both => self.error(
                    codes::BAD_FALLBACK,
                    "a fallback either serves stale copies or fails over, not both",
                    pos,
                    Some("keep `serve_stale_for` or `to`".into()),
                ),
                (Some(for_s), None) => d.dep.fallback = Some(Fallback::ServeStale { for_s }),
                (None, Some(to)) => names.failover = Some(to),
                _ => {}
            }
        }
        if names.failover.is_some() || names.cache.is_some() {
            d.extra.names = Some(Box::new(names));
        }
    }

    /// `fallback: { serve_stale_for }` or `{ to }`; an empty one is
    /// reported here, both at once by the caller (with `cache`).
    fn fallback(&mut self, first: Event) -> Step<Option<FallbackFields>> {
        let (mut stale, mut to) = (None, None);
        let mut present = [false; 2];
        let Some(pos) = self.map(first, FALLBACK_KEYS, |r, key, value, _| {
            present[key] = true;
            if key == 0 {
                stale = r
                    .value("fallback.serve_stale_for", value, units::duration)?
                    .map(|a| a.value);
            } else {
                to = r.name_value("fallback", value)?;
            }
            Ok(())
        })?
        else {
            return Ok(None);
        };
        if present == [false, false] {
            self.error(
                codes::BAD_FALLBACK,
                "empty fallback",
                pos,
                Some(
                    "write `fallback: { serve_stale_for: 10m }` or `fallback: { to: standby }`"
                        .into(),
                ),
            );
        }
        Ok(Some(FallbackFields {
            pos,
            stale,
            failover: to,
            both: present == [true, true],
        }))
    }

    fn cache(&mut self, first: Event) -> Step<Option<PendingCache>> {
        let (mut hit_ratio, mut on_miss, mut warm_up_s) = (None, None, DEFAULT_WARM_UP_S);
        let mut present = [false; 3];
        let Some(pos) = self.map(first, CACHE_KEYS, |r, key, value, _| {
            present[key] = true;
            match key {
                0 => {
                    hit_ratio = r
                        .required_value("cache.hit_ratio", value, units::fraction)?
                        .map(|a| a.value)
                }
                1 => on_miss = r.name_value("cache's `on_miss`", value)?,
                _ => {
                    if let Some(w) = r.value("cache.warm_up", value, units::duration)? {
                        warm_up_s = w.value;
                    }
                }
            }
            Ok(())
        })?
        else {
            return Ok(None);
        };
        self.missing(pos, &[("hit_ratio", present[0]), ("on_miss", present[1])]);
        Ok(on_miss.map(|on_miss| PendingCache {
            hit_ratio,
            on_miss,
            warm_up_s,
            pos,
        }))
    }

    /// A service from its fields: defaults applied, the checks within one
    /// service made; names wait in `pending`.
    fn build_service(
        &mut self,
        name: String,
        key_pos: Pos,
        f: ServiceFields,
        mut pending: Pending,
    ) -> (Service, Pending) {
        let shown = shorten(&name);
        let (replicas, quorum) = self.replicas_and_quorum(shown, f.replicas, f.quorum);
        let autoscale = f.autoscale.and_then(|AutoscaleFields { max, autoscale }| {
            if let Some(max) = max
                && max.value < replicas
            {
                self.error(
                    codes::BAD_AUTOSCALE,
                    format!(
                        "service `{shown}` autoscales to at most {} replicas but already runs {replicas}",
                        max.value
                    ),
                    max.pos,
                    Some(format!("set `max_replicas` to at least {replicas}")),
                );
            }
            autoscale
        });
        let latency = f.latency.unwrap_or(Latency::ZERO);
        let parallel = f.parallel.unwrap_or(false);
        let declared = f.operations.filter(|ops| !ops.is_empty());
        let declares_operations = declared.is_some();
        let mut operations;
        match declared {
            Some(ops) => {
                operations = Vec::with_capacity(ops.len());
                for op in ops {
                    operations.push(Operation {
                        name: op.name,
                        rps: op.rps,
                        latency: op.latency.unwrap_or(latency),
                        parallel: op.parallel.unwrap_or(parallel),
                        depends_on: Vec::new(),
                        pos: op.pos,
                    });
                    pending.own.push(op.deps);
                }
            }
            None => {
                operations = vec![Operation {
                    name: "default".into(),
                    rps: None,
                    latency,
                    parallel,
                    depends_on: Vec::new(),
                    pos: key_pos,
                }];
            }
        }
        if let Some(entry) = f.entry {
            self.spread_entry(shown, entry, &mut operations, declares_operations);
        }
        let service = Service {
            name,
            kind: f.kind.unwrap_or_default(),
            replicas: replicas.max(1),
            quorum: quorum.clamp(1, replicas.max(1)),
            zones: Vec::new(),
            capacity: f.capacity,
            concurrency: f.concurrency,
            queue: f.queue,
            availability: f.availability.unwrap_or(1.0),
            start_time_s: f.start_time_s.unwrap_or(0.0),
            autoscale,
            operations,
            declares_operations,
            pos: key_pos,
        };
        (service, pending)
    }

    /// A service's replicas and quorum (1 when not given), each checked.
    fn replicas_and_quorum(
        &mut self,
        shown: Shown<'_>,
        replicas_at: Option<At<u32>>,
        quorum_at: Option<At<u32>>,
    ) -> (u32, u32) {
        let replicas = replicas_at.as_ref().map_or(1, |a| a.value);
        if let Some(r) = &replicas_at
            && r.value == 0
        {
            self.error(
                codes::ZERO_REPLICAS,
                format!("service `{shown}` has zero replicas"),
                r.pos,
                Some("a service needs at least one replica; remove it if it is gone".into()),
            );
        }
        let quorum = quorum_at.as_ref().map_or(1, |a| a.value);
        if let Some(q) = &quorum_at {
            if q.value == 0 {
                self.error(
                    codes::BAD_QUORUM,
                    format!("service `{shown}` has quorum 0"),
                    q.pos,
                    Some("quorum is at least 1".into()),
                );
            } else if q.value > replicas && replicas > 0 {
                self.error(
                    codes::BAD_QUORUM,
                    format!(
                        "service `{shown}` needs a quorum of {quorum} but has only {replicas} replica{}",
                        if replicas == 1 { "" } else { "s" }
                    ),
                    q.pos,
                    Some(format!("raise `replicas` to at least {quorum} or lower `quorum`")),
                );
            }
        }
        (replicas, quorum)
    }

    /// An entry's rate on the service's operations: the one it has, or
    /// split evenly over declared ones that give none; checked against
    /// those that give theirs.
    fn spread_entry(
        &mut self,
        shown: Shown<'_>,
        entry: At<f64>,
        operations: &mut [Operation],
        declares_operations: bool,
    ) {
        let rps = entry.value;
        let given: Vec<f64> = operations.iter().filter_map(|o| o.rps).collect();
        if !declares_operations {
            operations[0].rps = Some(rps);
        } else if given.is_empty() {
            // Decision: an entry on a service whose operations give no rps is
            // split over them evenly, like a call that names no operation.
            let share = rps / operations.len() as f64;
            for op in operations.iter_mut() {
                op.rps = Some(share);
            }
        } else {
            let sum: f64 = given.iter().sum();
            if (sum - rps).abs() > 1e-9 * rps.max(1.0) {
                self.error(
                    codes::ENTRY_MISMATCH,
                    format!("service `{shown}` has `entry.rps` {rps} but its operations' rps add up to {sum}"),
                    entry.pos,
                    Some("make them agree, or drop `entry` and let the operations' rps speak".into()),
                );
            }
        }
    }
}

/// Finding codes of reading (they live with the loader).
mod codes_read {
    pub use crate::model::load::codes::{DUPLICATE_KEY, UNKNOWN_KEY, WRONG_SHAPE};
}

/// Keys seen in one map: written there, or merged in with `<<`.
#[derive(Default)]
struct Seen {
    explicit: u32,
    merged: u32,
}

/// `autoscale:` as read: `max_replicas` (checked against `replicas` once
/// the service is read) and the whole, when every part parsed.
struct AutoscaleFields {
    max: Option<At<u32>>,
    autoscale: Option<Autoscale>,
}

/// `fallback:` as read.
struct FallbackFields {
    /// Where it starts.
    pos: Pos,
    /// `serve_stale_for`, when it parsed.
    stale: Option<f64>,
    /// `to`, as written.
    failover: Option<At<String>>,
    /// Both were given.
    both: bool,
}

/// A service's values as read, before defaults and checks.
#[derive(Default)]
struct ServiceFields {
    kind: Option<ServiceKind>,
    entry: Option<At<f64>>,
    replicas: Option<At<u32>>,
    quorum: Option<At<u32>>,
    capacity: Option<f64>,
    concurrency: Option<f64>,
    queue: Option<f64>,
    latency: Option<Latency>,
    availability: Option<f64>,
    start_time_s: Option<f64>,
    autoscale: Option<AutoscaleFields>,
    parallel: Option<bool>,
    operations: Option<Vec<OperationFields>>,
}

/// An operation as read; its latency and parallelism default to the
/// service's, which may be written after it.
struct OperationFields {
    name: String,
    pos: Pos,
    rps: Option<f64>,
    latency: Option<Latency>,
    parallel: Option<bool>,
    deps: DepList,
}

impl PendingDep {
    /// A dependency on `written` with every policy at its default.
    fn new(written: String, pos: Pos) -> Self {
        PendingDep {
            dep: Dependency {
                written,
                target: Target {
                    service: ServiceId(u32::MAX),
                    operation: None,
                },
                timeout_s: None,
                retries: 0,
                retry_budget: None,
                circuit_breaker: None,
                calls: 1,
                criticality: Criticality::Hard,
                mode: Mode::Sync,
                phase: Phase::Request,
                buffer: None,
                fallback: None,
                cache: None,
                pos,
            },
            extra: Extra::default(),
        }
    }
}

fn describe(s: &Scalar) -> String {
    match s {
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Str(t) => format!("`{}`", shorten(t)),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null => "an empty value".into(),
    }
}
