//! YAML as a stream of events with positions, under the input guards of docs/cli.md: the
//! only module that knows the YAML parser (libyaml-safer, a safe Rust port
//! of libyaml: the fastest maintained event parser measured, see the
//! README's performance notes).
//!
//! Guards: nesting deeper than [`MAX_DEPTH`]; aliases that expand to more
//! nodes than the file holds (an alias bomb); anchors that hold more than
//! [`MAX_RECORDED`] nodes; tags (`!!python/object`, any `!tag`), refused as
//! data a model never needs; a second document. Parser errors become one
//! finding that says what the parser expected, where.

use std::collections::HashMap;
use std::rc::Rc;

use libyaml_safer::{Error as YamlError, EventData, Mark, Parser, ScalarStyle};

use super::load::codes;
use crate::finding::{Finding, Pos};

/// Nesting deeper than any real model needs (a model is about eight levels deep).
pub const MAX_DEPTH: usize = 40;

/// Nodes the anchors of one file may hold altogether (each `&anchor` keeps
/// a copy of its node's events for its aliases).
pub const MAX_RECORDED: usize = 1_000_000;

/// Nodes aliases may replay beyond the file's own: the budget is this or
/// the number of nodes read so far, whichever is larger, so a file can at
/// most double itself through aliases (a billion laughs stops here).
pub const MIN_REPLAY_BUDGET: usize = 100_000;

/// How a scalar was written: plain scalars are typed by YAML's core schema
/// (`3` is a number, `~` is null), quoted and block ones are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Written without quotes.
    Plain,
    /// Quoted, or a block scalar (`|`, `>`).
    Quoted,
}

/// One node event.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar, as written (escapes resolved).
    Scalar(String, Style),
    /// `[` or a block list.
    SeqStart,
    /// The end of a list.
    SeqEnd,
    /// `{` or a block map.
    MapStart,
    /// The end of a map.
    MapEnd,
}

/// A node event and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What it is.
    pub kind: Kind,
    /// Where it starts.
    pub pos: Pos,
}

impl Event {
    /// Whether this is a plain null (`~`, `null`, or nothing).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(text, Style::Plain) if is_null(text))
    }
}

/// YAML's core-schema null.
pub fn is_null(plain: &str) -> bool {
    matches!(plain, "" | "~" | "null" | "Null" | "NULL")
}

/// An anchored node being copied for its aliases.
struct Recording {
    name: String,
    events: Vec<Event>,
    /// Depth of its own start event: it ends when the depth falls below.
    depth: usize,
}

/// The text handed to the parser a piece at a time: the parser decodes what
/// it is given into a queue of `char`s, four bytes each, so the whole text
/// at once would cost four times its size.
struct Pieces<'t>(&'t [u8]);

/// How much text the parser decodes at a time.
const PIECE: usize = 64 * 1024;

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

impl std::io::BufRead for Pieces<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.0[..self.0.len().min(PIECE)])
    }
    fn consume(&mut self, amount: usize) {
        self.0 = &self.0[amount.min(self.0.len())..];
    }
}

/// One step of the parser: an event, or why the text is not YAML.
type Parsed = Result<libyaml_safer::Event, Broken>;

/// Why the parser gave no event.
enum Broken {
    /// The text is not YAML, as the parser says.
    Yaml(YamlError),
    /// The parser stopped on text it has no answer for: libyaml-safer
    /// panics on a few inputs (a tag right before a `,` in `[ … ]` or
    /// `{ … }`), which whatif reads as text it cannot parse, never as a
    /// crash.
    GaveUp,
}

thread_local! {
    /// Set while this thread runs the parser: its panics are contained
    /// and reported as [`Broken::GaveUp`], so they print nothing.
    static CONTAINED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once per process, the panic hook that says nothing of the
/// panics [`CONTAINED`] marks (and hands every other to the hook before).
fn quiet_hook() {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` (the parser) with its panics contained: `None` when it
/// panicked, which then prints nothing. After that the parser must not be
/// asked again (its state is whatever it was when it stopped).
fn contained<R>(f: impl FnOnce() -> R) -> Option<R> {
    quiet_hook();
    let was = CONTAINED.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(was));
    result.ok()
}

/// One step of `parser`, its panics contained.
fn parse_contained(parser: &mut Parser<Pieces<'_>>) -> Parsed {
    contained(|| parser.parse()).map_or(Err(Broken::GaveUp), |parsed| parsed.map_err(Broken::Yaml))
}

/// Events a parsing thread hands over at a time.
const BATCH: usize = 1024;

/// Batches that may wait for the reader: how far the parsing thread may
/// run ahead of it.
const BATCHES_AHEAD: usize = 8;

/// Events parsed ahead, handed over together. The scalars' text travels in
/// one buffer, not a `String` each: memory the parsing thread allocates
/// and the reader frees costs both allocators more than the copy.
#[derive(Default)]
struct Batch {
    /// The events, each scalar's value left empty.
    events: std::vec::IntoIter<Parsed>,
    /// The scalars' values, one after another.
    scalars: String,
    /// Where each scalar's value ends in `scalars`, in event order.
    ends: std::vec::IntoIter<usize>,
    /// Where the next scalar's value starts.
    at: usize,
    /// Whether this batch ends the stream (its end, or an error).
    finished: bool,
}

impl Batch {
    /// Up to [`BATCH`] events of `parser`, its panics contained a batch at a
    /// time (cheaper than an event at a time): what it parsed before a
    /// panic stands, then [`Broken::GaveUp`] ends the stream.
    fn parse(parser: &mut Parser<Pieces<'_>>) -> Batch {
        let mut events = Vec::with_capacity(BATCH);
        let (mut scalars, mut ends) = (String::new(), Vec::new());
        let mut finished = false;
        let filled = contained(|| {
            while !finished && events.len() < BATCH {
                let mut next = parser.parse().map_err(Broken::Yaml);
                match &mut next {
                    Ok(libyaml_safer::Event {
                        data: EventData::Scalar { value, .. },
                        ..
                    }) => {
                        scalars.push_str(value);
                        ends.push(scalars.len());
                        *value = String::new();
                    }
                    Ok(e) => finished = e.data == EventData::StreamEnd,
                    Err(_) => finished = true,
                }
                events.push(next);
            }
        });
        if filled.is_none() {
            events.push(Err(Broken::GaveUp));
            finished = true;
        }
        Batch {
            events: events.into_iter(),
            scalars,
            ends: ends.into_iter(),
            at: 0,
            finished,
        }
    }

    /// The next event, its scalar's value put back.
    fn next(&mut self) -> Option<Parsed> {
        let mut next = self.events.next()?;
        if let Ok(libyaml_safer::Event {
            data: EventData::Scalar { value, .. },
            ..
        }) = &mut next
        {
            let end = self.ends.next().unwrap_or(self.at);
            *value = self.scalars[self.at..end].to_owned();
            self.at = end;
        }
        Some(next)
    }
}

/// Where the parser's events come from.
enum Source<'t> {
    /// Parsed here, one event at a time as the reader asks; `None` once
    /// the parser has given up.
    Here(Option<Box<Parser<Pieces<'t>>>>),
    /// Parsed ahead on a thread of its own, handed over in batches: the
    /// parser and the reader (which builds the model) run at once, on two
    /// cores. The thread stops at the stream's end, at the first error, or
    /// when the reader goes away.
    Ahead {
        batches: std::sync::mpsc::Receiver<Batch>,
        batch: Batch,
    },
}

impl Source<'_> {
    fn parse(&mut self) -> Parsed {
        match self {
            Source::Here(slot) => {
                let Some(parser) = slot else {
                    return Err(Broken::GaveUp);
                };
                let parsed = parse_contained(parser);
                if matches!(parsed, Err(Broken::GaveUp)) {
                    *slot = None;
                }
                parsed
            }
            Source::Ahead { batches, batch } => loop {
                if let Some(next) = batch.next() {
                    return next;
                }
                match batches.recv() {
                    Ok(more) => *batch = more,
                    // The thread has stopped after the stream's end or an
                    // error (which the reader does not read past), having
                    // sent everything: what the parser itself answers after
                    // the end. (A thread that died without saying why is
                    // read as a parser that gave up.)
                    Err(_) if batch.finished => return Ok(libyaml_safer::Event::stream_end()),
                    Err(_) => return Err(Broken::GaveUp),
                }
            },
        }
    }
}

/// Parses `text` on a thread of its own, sending what it parses in
/// batches; `None` when no thread could be started.
fn parse_ahead(text: &str) -> Option<std::sync::mpsc::Receiver<Batch>> {
    let (send, batches) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
    let bytes = text.as_bytes().to_vec();
    std::thread::Builder::new()
        .name("yaml-parser".into())
        .spawn(move || {
            let mut parser = Parser::new();
            parser.set_input(Pieces(&bytes));
            loop {
                let batch = Batch::parse(&mut parser);
                let finished = batch.finished;
                // The reader stopped (a guard, a fatal finding): so do we.
                if send.send(batch).is_err() || finished {
                    return;
                }
            }
        })
        .ok()?;
    Some(batches)
}

/// The events of one YAML stream, aliases expanded, guards applied.
pub struct Events<'t> {
    source: Source<'t>,
    text: &'t str,
    depth: usize,
    anchors: HashMap<String, Rc<[Event]>>,
    recording: Vec<Recording>,
    replay: Vec<(Rc<[Event]>, usize)>,
    parsed: usize,
    replayed: usize,
    recorded: usize,
    /// Non-fatal findings (tags), in file order.
    pub findings: Vec<Finding>,
    /// After a syntax error: where the construct the parser was reading
    /// starts (what was read of it since is suspect).
    pub broken_from: Option<Pos>,
    /// Where the last event the parser gave ends.
    read_to: Mark,
}

/// A fatal problem: the stream cannot be read further.
pub type Fatal = Box<Finding>;

/// Texts from this size on are parsed ahead (on a machine with more than
/// one core): below it, starting a thread costs more than it saves.
const PARSE_AHEAD_FROM: usize = 256 * 1024;

impl<'t> Events<'t> {
    /// Events of `text`, parsed ahead when it is large and there is a core
    /// to spare, else as they are asked for: the same events either way.
    pub fn of(text: &'t str) -> Self {
        let spare_core = || std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        if text.len() >= PARSE_AHEAD_FROM && spare_core() {
            Self::ahead(text)
        } else {
            Self::new(text)
        }
    }

    /// Events of `text`, parsed as they are asked for.
    pub fn new(text: &'t str) -> Self {
        let mut parser = Parser::new();
        parser.set_input(Pieces(text.as_bytes()));
        Self::from_source(text, Source::Here(Some(Box::new(parser))))
    }

    /// Events of `text`, parsed ahead on a thread of its own (a copy of the
    /// text goes with it): the same events, errors and findings as
    /// [`Events::new`], sooner for a large file on more than one core.
    pub fn ahead(text: &'t str) -> Self {
        match parse_ahead(text) {
            Some(batches) => Self::from_source(
                text,
                Source::Ahead {
                    batches,
                    batch: Batch::default(),
                },
            ),
            None => Self::new(text),
        }
    }

    fn from_source(text: &'t str, source: Source<'t>) -> Self {
        Events {
            source,
            text,
            depth: 0,
            anchors: HashMap::new(),
            recording: Vec::new(),
            replay: Vec::new(),
            parsed: 0,
            replayed: 0,
            recorded: 0,
            findings: Vec::new(),
            broken_from: None,
            read_to: Mark::default(),
        }
    }

    /// Starts the stream's first document; `false` when there is none.
    pub fn start(&mut self) -> Result<bool, Fatal> {
        loop {
            let event = self.raw()?;
            match event.data {
                EventData::StreamStart { .. } => {}
                EventData::DocumentStart { .. } => return Ok(true),
                EventData::StreamEnd => return Ok(false),
                _ => return Err(self.unexpected(&event.start_mark)),
            }
        }
    }

    /// Ends the document whose root node has been read, and refuses a
    /// second document (an empty one after a trailing `---` is ignored).
    pub fn finish(&mut self) -> Result<(), Fatal> {
        let mut second: Option<Pos> = None;
        loop {
            let event = self.raw()?;
            match event.data {
                EventData::DocumentEnd { .. } => {}
                EventData::StreamEnd => return Ok(()),
                EventData::DocumentStart { .. } => second = Some(pos(&event.start_mark)),
                EventData::Scalar {
                    ref value,
                    ref style,
                    ..
                } if value.is_empty() && *style == ScalarStyle::Plain => {}
                _ => {
                    let at = second.unwrap_or_else(|| pos(&event.start_mark));
                    return Err(Box::new(Finding::error(
                        codes::SYNTAX,
                        format!(
                            "a second YAML document starts at line {}",
                            at.line
                        ),
                        Some(at),
                    )
                    .with_hint(
                        "a file holds one document: remove the `---` line, or put each document in its own file",
                    )));
                }
            }
        }
    }

    /// The next node event of the document.
    pub fn next_event(&mut self) -> Result<Event, Fatal> {
        loop {
            if let Some((events, at)) = self.replay.last_mut() {
                let event = events[*at].clone();
                *at += 1;
                if *at == events.len() {
                    self.replay.pop();
                }
                return self.deliver(event);
            }
            let raw = self.raw()?;
            let at = pos(&raw.start_mark);
            let (kind, anchor, tag) = match raw.data {
                EventData::Scalar {
                    value,
                    style,
                    anchor,
                    tag,
                    ..
                } => {
                    let style = if style == ScalarStyle::Plain {
                        Style::Plain
                    } else {
                        Style::Quoted
                    };
                    (Kind::Scalar(value, style), anchor, tag)
                }
                EventData::SequenceStart { anchor, tag, .. } => (Kind::SeqStart, anchor, tag),
                EventData::MappingStart { anchor, tag, .. } => (Kind::MapStart, anchor, tag),
                EventData::SequenceEnd => (Kind::SeqEnd, None, None),
                EventData::MappingEnd => (Kind::MapEnd, None, None),
                EventData::Alias { anchor } => {
                    self.alias(&anchor, at)?;
                    continue;
                }
                _ => return Err(self.unexpected(&raw.start_mark)),
            };
            self.parsed += 1;
            if let Some(tag) = tag {
                self.findings.push(tag_finding(&tag, at));
            }
            let event = Event { kind, pos: at };
            if let Some(name) = anchor {
                self.anchor(name, &event)?;
            }
            return self.deliver(event);
        }
    }

    /// Skips the rest of a node whose first event was `first`.
    pub fn skip(&mut self, first: &Event) -> Result<(), Fatal> {
        if !matches!(first.kind, Kind::SeqStart | Kind::MapStart) {
            return Ok(());
        }
        let mut open = 1usize;
        while open > 0 {
            match self.next_event()?.kind {
                Kind::SeqStart | Kind::MapStart => open += 1,
                Kind::SeqEnd | Kind::MapEnd => open -= 1,
                Kind::Scalar(..) => {}
            }
        }
        Ok(())
    }

    fn raw(&mut self) -> Result<libyaml_safer::Event, Fatal> {
        match self.source.parse() {
            Ok(event) => {
                self.read_to = event.end_mark;
                Ok(event)
            }
            Err(Broken::Yaml(e)) => {
                let (finding, key_start) = syntax_finding(&e, self.text);
                self.broken_from = key_start
                    .or(e.context_mark().map(|m| pos(&m)))
                    .or(e.problem_mark().map(|m| pos(&m)));
                Err(Box::new(finding))
            }
            Err(Broken::GaveUp) => {
                let at = pos(&self.read_to);
                self.broken_from = Some(at);
                Err(Box::new(
                    Finding::error(
                        codes::SYNTAX,
                        "not valid YAML: the parser cannot read what follows here",
                        Some(at),
                    )
                    .with_hint(
                        "look for a tag (`!name`) right before a `,`; whatif reads plain values, so remove tags",
                    ),
                ))
            }
        }
    }

    fn unexpected(&self, mark: &Mark) -> Fatal {
        Box::new(Finding::error(
            codes::SYNTAX,
            "not valid YAML: unexpected structure",
            Some(pos(mark)),
        ))
    }

    /// Depth, the nesting guard and the copies for anchors.
    fn deliver(&mut self, event: Event) -> Result<Event, Fatal> {
        match event.kind {
            Kind::SeqStart | Kind::MapStart => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Box::new(Finding::error(
                        codes::REFUSED,
                        format!("input refused: nesting deeper than {MAX_DEPTH} levels"),
                        Some(event.pos),
                    )
                    .with_hint(
                        "a model is about eight levels deep; this looks like a generated file gone wrong or a YAML bomb",
                    )));
                }
            }
            Kind::SeqEnd | Kind::MapEnd => self.depth = self.depth.saturating_sub(1),
            Kind::Scalar(..) => {}
        }
        if !self.recording.is_empty() {
            self.recorded += self.recording.len();
            if self.recorded > MAX_RECORDED {
                return Err(Box::new(
                    Finding::error(
                        codes::REFUSED,
                        format!(
                            "input refused: anchors (`&name`) hold more than {MAX_RECORDED} nodes"
                        ),
                        Some(event.pos),
                    )
                    .with_hint(
                        "anchor small parts (a policy, a list of zones), not whole sections",
                    ),
                ));
            }
            for r in &mut self.recording {
                r.events.push(event.clone());
            }
            while let Some(r) = self.recording.last() {
                if self.depth >= r.depth {
                    break;
                }
                let r = self.recording.pop().expect("a recording");
                self.anchors.insert(r.name, r.events.into());
            }
        }
        Ok(event)
    }

    /// Starts copying an anchored node (a scalar is copied at once).
    fn anchor(&mut self, name: String, event: &Event) -> Result<(), Fatal> {
        match event.kind {
            Kind::Scalar(..) => {
                self.recorded += 1;
                self.anchors.insert(name, Rc::from(vec![event.clone()]));
            }
            _ => {
                self.anchors.remove(&name);
                // Its start event is pushed by `deliver`.
                self.recording.push(Recording {
                    name,
                    events: Vec::new(),
                    depth: self.depth + 1,
                });
            }
        }
        Ok(())
    }

    /// Replays an anchored node, within the budget.
    fn alias(&mut self, name: &str, at: Pos) -> Result<(), Fatal> {
        let Some(events) = self.anchors.get(name).cloned() else {
            let inside = self.recording.iter().any(|r| r.name == name);
            let (message, hint) = if inside {
                (
                    format!(
                        "alias `*{}` refers to the node that contains it",
                        crate::finding::shorten(name)
                    ),
                    "an alias cannot repeat a node inside itself",
                )
            } else {
                (
                    format!(
                        "alias `*{}` refers to no anchor",
                        crate::finding::shorten(name)
                    ),
                    "define the anchor (`&name`) before the alias that uses it",
                )
            };
            return Err(Box::new(
                Finding::error(codes::SYNTAX, message, Some(at)).with_hint(hint),
            ));
        };
        self.replayed += events.len();
        let budget = MIN_REPLAY_BUDGET.max(self.parsed);
        if self.replayed > budget {
            return Err(Box::new(Finding::error(
                codes::REFUSED,
                format!(
                    "input refused: aliases expand to more than {budget} nodes, more than the file itself holds"
                ),
                Some(at),
            )
            .with_hint(
                "this looks like an alias bomb (a billion laughs); write the repeated parts out, or alias smaller parts",
            )));
        }
        if !events.is_empty() {
            self.replay.push((events, 0));
        }
        Ok(())
    }
}

/// A line and column from the parser's zero-based mark.
fn pos(mark: &Mark) -> Pos {
    Pos::new(
        u32::try_from(mark.line + 1).unwrap_or(u32::MAX),
        u32::try_from(mark.column + 1).unwrap_or(u32::MAX),
    )
}

fn tag_finding(tag: &str, at: Pos) -> Finding {
    let shown = tag
        .strip_prefix("tag:yaml.org,2002:")
        .map_or_else(|| tag.to_owned(), |t| format!("!!{t}"));
    Finding::error(
        codes::TAG,
        format!(
            "YAML tag `{}` is not allowed",
            crate::finding::shorten(&shown)
        ),
        Some(at),
    )
    .with_hint("whatif reads plain values: remove the tag (quote the value if it must be text)")
}

/// YAML's limit on a key written without `?` (libyaml enforces it).
const MAX_SIMPLE_KEY: usize = 1024;

/// The parser's error as a finding: what it expected, where, and the
/// construct it was reading (with where that started); and where an
/// over-long key starts, when that is the problem.
fn syntax_finding(error: &YamlError, text: &str) -> (Finding, Option<Pos>) {
    let at = error.problem_mark().map(|m| pos(&m));
    let problem = error.problem();
    let context = error.context().filter(|c| !c.is_empty());
    let context_at = error.context_mark().map(|m| pos(&m));
    if let Some(at) = at
        && let Some((len, start)) = long_key_before(text, at)
    {
        let start = Pos::new(at.line, start);
        let finding = Finding::error(
            codes::SYNTAX,
            format!("not valid YAML: a key of {len} characters; YAML allows at most {MAX_SIMPLE_KEY} in a key"),
            Some(start),
        )
        .with_hint("use a shorter name");
        return (finding, Some(start));
    }
    let started = |what: &str| match context_at {
        Some(p) => format!("{what} that starts at line {}, column {}", p.line, p.column),
        None => what.to_owned(),
    };
    let hint = match problem {
        "did not find expected ',' or '}'" => format!(
            "in the map `{{ … }}` {}: separate its entries with `,` and close it with `}}`",
            started("").trim_start_matches(' ')
        ),
        "did not find expected ',' or ']'" => format!(
            "in the list `[ … ]` {}: separate its items with `,` and close it with `]`",
            started("").trim_start_matches(' ')
        ),
        "did not find expected key" => format!(
            "check the indentation: the keys of one map start in the same column ({})",
            started("the map")
        ),
        "did not find expected '-' indicator" => format!(
            "check the indentation: the items of one list start with `- ` in the same column ({})",
            started("the list")
        ),
        "mapping values are not allowed in this context" => {
            "a `: ` inside a value starts a map: quote the value, or indent the key under its parent".to_owned()
        }
        "found character that cannot start any token" => {
            "a value cannot start with this character (`@`, `` ` ``, a tab …): quote the value".to_owned()
        }
        "found unexpected end of stream" | "found unknown escape character" => format!(
            "close the quoted text ({})",
            started("the quote")
        ),
        "could not find expected ':'" => "a key needs `: ` after it".to_owned(),
        "did not find expected node content" => "a value is missing here".to_owned(),
        "found a tab character that violates indentation" | "found a tab character where an indentation space is expected" => {
            "YAML indents with spaces only; replace the tab with spaces".to_owned()
        }
        _ => match context {
            Some(c) => format!("the parser stopped here {}", started(c)),
            None => "check the line for a missing quote, colon or bracket".to_owned(),
        },
    };
    let finding =
        Finding::error(codes::SYNTAX, format!("not valid YAML: {problem}"), at).with_hint(hint);
    (finding, None)
}

/// The length and starting column of a key ending just before `at` (at a
/// `:`), when it is longer than YAML allows.
fn long_key_before(text: &str, at: Pos) -> Option<(usize, u32)> {
    let line = text.lines().nth(at.line.checked_sub(1)? as usize)?;
    let before: Vec<char> = line.chars().take(at.column as usize).collect();
    // The key ends at the last `:` at or before the mark.
    let colon = before.iter().rposition(|&c| c == ':')?;
    let start = before[..colon]
        .iter()
        .rposition(|&c| matches!(c, '{' | ',' | '['))
        .map_or(0, |i| i + 1);
    let key = before[start..colon].iter().collect::<String>();
    let trimmed = key.trim_start().trim_start_matches("- ").trim_start();
    let column = start + (key.chars().count() - trimmed.chars().count()) + 1;
    let len = trimmed.trim_end().trim_matches(['"', '\'']).chars().count();
    (len > MAX_SIMPLE_KEY).then(|| (len, u32::try_from(column).unwrap_or(u32::MAX)))
}

/// Checks a whole stream (every document) with the guards, for files read
/// by serde (scenarios, imports): returns the first fatal problem or tag.
/// An empty document after a trailing `---` does not count.
pub fn check_stream(text: &str, max_documents: usize) -> Result<(), Finding> {
    check_stream_boxed(text, max_documents).map_err(|f| *f)
}

fn check_stream_boxed(text: &str, max_documents: usize) -> Result<(), Fatal> {
    let mut events = Events::new(text);
    let mut documents = 0usize;
    loop {
        let raw = events.raw()?;
        match raw.data {
            EventData::DocumentStart { .. } => {
                let at = pos(&raw.start_mark);
                events.depth = 0;
                events.recording.clear();
                events.anchors.clear();
                let root = events.next_event()?;
                if !root.is_null() {
                    documents += 1;
                }
                if documents > max_documents {
                    return Err(Box::new(Finding::error(
                        codes::SYNTAX,
                        format!("a second YAML document starts at line {}", at.line),
                        Some(at),
                    )
                    .with_hint(
                        "a file holds one document: remove the `---` line, or put each document in its own file",
                    )));
                }
                events.skip_checked(&root)?;
            }
            EventData::StreamEnd => break,
            _ => {}
        }
        if let Some(f) = events.findings.first() {
            return Err(Box::new(f.clone()));
        }
    }
    Ok(())
}

impl Events<'_> {
    /// Like [`Events::skip`], also refusing null keys (serde's own message
    /// for one names Rust types).
    fn skip_checked(&mut self, first: &Event) -> Result<(), Fatal> {
        // Open containers: whether each is a map, and its children so far
        // (in a map, an even count means the next node is a key).
        let mut stack: Vec<(bool, usize)> = Vec::new();
        let mut event = first.clone();
        loop {
            match event.kind {
                Kind::MapStart => stack.push((true, 0)),
                Kind::SeqStart => stack.push((false, 0)),
                Kind::MapEnd | Kind::SeqEnd => {
                    stack.pop();
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                }
                Kind::Scalar(..) => {
                    if let Some(&(true, n)) = stack.last()
                        && n % 2 == 0
                        && event.is_null()
                    {
                        return Err(Box::new(
                            Finding::error(
                                codes::WRONG_SHAPE,
                                "a key is empty (null)",
                                Some(event.pos),
                            )
                            .with_hint("write the key's name, in quotes if it is `null` or `~`"),
                        ));
                    }
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                }
            }
            if stack.is_empty() {
                return Ok(());
            }
            event = self.next_event()?;
        }
    }
}

/// The first document of `text` as JSON (plain scalars typed by YAML's
/// core schema, aliases expanded): the same model in the other format the
/// loader reads, for tests and benchmarks.
pub fn yaml_to_json(text: &str) -> Result<String, Finding> {
    yaml_to_json_boxed(text).map_err(|f| *f)
}

fn yaml_to_json_boxed(text: &str) -> Result<String, Fatal> {
    use super::raw::Scalar;
    let mut events = Events::new(text);
    let mut out = String::with_capacity(text.len());
    if !events.start()? {
        return Ok("null".into());
    }
    // Per open container: whether it is a map, and its children so far.
    let mut stack: Vec<(bool, usize)> = Vec::new();
    loop {
        let event = events.next_event()?;
        let closes = matches!(event.kind, Kind::SeqEnd | Kind::MapEnd);
        if !closes && let Some((map, n)) = stack.last_mut() {
            out.push_str(match (*map, *n % 2, *n) {
                (true, 1, _) => ":",
                (_, _, 0) => "",
                _ => ",",
            });
            *n += 1;
        }
        match event.kind {
            Kind::MapStart => {
                out.push('{');
                stack.push((true, 0));
            }
            Kind::SeqStart => {
                out.push('[');
                stack.push((false, 0));
            }
            Kind::MapEnd => out.push('}'),
            Kind::SeqEnd => out.push(']'),
            Kind::Scalar(text, style) => {
                let is_key = stack.last().is_some_and(|&(map, n)| map && n % 2 == 1);
                let value = match style {
                    Style::Plain if !is_key => Scalar::plain(text),
                    _ => Scalar::Str(text),
                };
                match value {
                    Scalar::Null => out.push_str("null"),
                    Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                    Scalar::Int(i) => out.push_str(&i.to_string()),
                    Scalar::Float(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
                    Scalar::Float(f) => {
                        out.push_str(&serde_json::to_string(&f.to_string()).unwrap_or_default())
                    }
                    Scalar::Str(s) => out.push_str(&serde_json::to_string(&s).unwrap_or_default()),
                }
            }
        }
        if closes {
            stack.pop();
        }
        if stack.is_empty() {
            break;
        }
    }
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<Kind>, Fatal> {
        let mut e = Events::new(text);
        assert!(e.start()?);
        let first = e.next_event()?;
        let mut out = vec![first.kind.clone()];
        let mut open = usize::from(matches!(first.kind, Kind::SeqStart | Kind::MapStart));
        while open > 0 {
            let ev = e.next_event()?;
            match ev.kind {
                Kind::SeqStart | Kind::MapStart => open += 1,
                Kind::SeqEnd | Kind::MapEnd => open -= 1,
                Kind::Scalar(..) => {}
            }
            out.push(ev.kind);
        }
        e.finish()?;
        if let Some(f) = e.findings.first() {
            return Err(Box::new(f.clone()));
        }
        Ok(out)
    }

    fn s(t: &str) -> Kind {
        Kind::Scalar(t.into(), Style::Plain)
    }

    /// Everything a reader sees of `e`, read to the end of its first
    /// document: the events, or the fatal finding they stop at; the tags
    /// found; where a syntax error's construct starts.
    fn drained(mut e: Events) -> (Result<Vec<Event>, Fatal>, Vec<Finding>, Option<Pos>) {
        let mut read = || -> Result<Vec<Event>, Fatal> {
            let mut out = Vec::new();
            if !e.start()? {
                return Ok(out);
            }
            let mut open = 0usize;
            loop {
                let ev = e.next_event()?;
                match ev.kind {
                    Kind::SeqStart | Kind::MapStart => open += 1,
                    Kind::SeqEnd | Kind::MapEnd => open -= 1,
                    Kind::Scalar(..) => {}
                }
                out.push(ev);
                if open == 0 {
                    break;
                }
            }
            e.finish()?;
            Ok(out)
        };
        let result = read();
        (result, e.findings, e.broken_from)
    }

    /// Parsing ahead on a thread of its own reads exactly what parsing as
    /// the events are asked for reads: the same events with the same
    /// positions, the same tags, the same fatal finding at the same place,
    /// on texts far longer than the batches the thread may run ahead by,
    /// broken early, late, or not at all.
    #[test]
    fn parsing_ahead_reads_what_parsing_here_reads() {
        let model = crate::model::generate::generate(crate::model::generate::Spec {
            services: 800,
            seed: 3,
        });
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        let cut = &model[..model.len() * 2 / 3];
        let texts = [
            model.clone(),
            // Broken late: a flow map left open near the end.
            format!("{model}extra: {{ a: 1\nmore: 2\n"),
            // Broken in the middle of a line, two thirds in.
            format!("{cut}\n  ]: {{\n"),
            // A tag late in a long file; a second document after it.
            format!("{model}tagged: !custom x\n"),
            format!("{model}---\nb: 2\n"),
            // Text the parser panics on, late in a long file and alone.
            format!("{model}bad: [!x, a]\n"),
            "a: [!x, b]\n".into(),
            // Refused at once, with most of the file still to parse.
            format!("{}{}\n{model}", "[".repeat(100), "]".repeat(100)),
            format!("{bomb}{model}"),
            "a: &x [1, 2]\nb: *x\n".into(),
            "a: *nowhere\n".into(),
            String::new(),
        ];
        for text in &texts {
            assert!(text.is_empty() || text.len() > 400 || text.lines().count() < 5);
            let (here, here_tags, here_broken) = drained(Events::new(text));
            let (ahead, ahead_tags, ahead_broken) = drained(Events::ahead(text));
            assert_eq!(here, ahead, "{}", &text[..text.len().min(80)]);
            assert_eq!(here_tags, ahead_tags);
            assert_eq!(here_broken, ahead_broken);
        }
        // The long ones run past what the thread may hold back.
        let events = drained(Events::new(&texts[0])).0.unwrap().len();
        assert!(events > 2 * BATCH * BATCHES_AHEAD, "{events} events");
    }

    #[test]
    fn aliases_replay_their_anchor() {
        let kinds = all("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(
            kinds,
            vec![
                Kind::MapStart,
                s("a"),
                Kind::SeqStart,
                s("1"),
                s("2"),
                Kind::SeqEnd,
                s("b"),
                Kind::SeqStart,
                s("1"),
                s("2"),
                Kind::SeqEnd,
                Kind::MapEnd
            ]
        );
    }

    #[test]
    fn nested_anchors_and_scalar_anchors() {
        let kinds = all("a: &o { b: &i [x], c: &s y }\nd: [*i, *s, *o]\n").unwrap();
        let o = [
            Kind::MapStart,
            s("b"),
            Kind::SeqStart,
            s("x"),
            Kind::SeqEnd,
            s("c"),
            s("y"),
            Kind::MapEnd,
        ];
        let mut expected = vec![Kind::MapStart, s("a")];
        expected.extend(o.iter().cloned());
        expected.extend([
            s("d"),
            Kind::SeqStart,
            Kind::SeqStart,
            s("x"),
            Kind::SeqEnd,
            s("y"),
        ]);
        expected.extend(o.iter().cloned());
        expected.extend([Kind::SeqEnd, Kind::MapEnd]);
        assert_eq!(kinds, expected);
    }

    #[test]
    fn guards_refuse_bombs_depth_tags_and_undefined_aliases() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        assert_eq!(all(&bomb).unwrap_err().code, codes::REFUSED);
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(all(&deep).unwrap_err().code, codes::REFUSED);
        assert_eq!(
            all("a: !!python/object:os.system x\n").unwrap_err().code,
            codes::TAG
        );
        assert_eq!(all("a: !custom x\n").unwrap_err().code, codes::TAG);
        assert_eq!(all("a: *nowhere\n").unwrap_err().code, codes::SYNTAX);
        assert_eq!(all("a: &s [*s]\n").unwrap_err().code, codes::SYNTAX);
        assert_eq!(all("a: 1\n---\nb: 2\n").unwrap_err().code, codes::SYNTAX);
        assert!(all("a: 1\n---\n").is_ok());
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        let f = all("services:\n  web: { replicas: 3\n  db: {}\n").unwrap_err();
        assert_eq!((f.code, f.pos), (codes::SYNTAX, Some(Pos::new(3, 5))));
        assert!(
            f.message.contains("did not find expected ',' or '}'"),
            "{f:?}"
        );
        let hint = f.hint.unwrap();
        assert!(hint.contains("line 2, column 8"), "{hint}");
        let long = format!("services:\n  {}: {{}}\n", "k".repeat(2000));
        let f = all(&long).unwrap_err();
        assert!(f.message.contains("2000 characters"), "{f:?}");
    }

    #[test]
    fn stream_check_refuses_null_keys_and_extra_documents() {
        assert_eq!(
            check_stream("a: 1\n~: 2\n", 1).unwrap_err().code,
            codes::WRONG_SHAPE
        );
        assert_eq!(
            check_stream("a: {b: [1, {c: 2}], ~: 2}\n", 1)
                .unwrap_err()
                .code,
            codes::WRONG_SHAPE
        );
        assert!(check_stream("a: [~, 1]\nb: ~\n", 1).is_ok());
        assert_eq!(
            check_stream("a: 1\n---\nb: 2\n", 1).unwrap_err().code,
            codes::SYNTAX
        );
        assert!(check_stream("a: 1\n---\nb: 2\n", 2).is_ok());
        assert!(check_stream("a: 1\n---\n", 1).is_ok());
    }
}
