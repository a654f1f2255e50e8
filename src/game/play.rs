//! Playing the drill: asking, reading answers, scoring and revealing, over
//! a [`Console`] — plain lines for pipes and tests, a line editor with name
//! completion at a terminal (the CLI provides that one).
//!
//! Two modes. **Predict**: the story of a fault, then "what do users see?"
//! for each entry point and, from medium up, "which services go down, which
//! degrade?"; the answer is scored and the true cascade revealed with its
//! reasons. **Diagnose**: the symptoms users report; the player may `look`
//! at services (each look costs a point and shows that service's state,
//! success and latency) before naming the root cause. A cause counts as
//! right when it is the fault's service, or when a fault on it would leave
//! every service in exactly the same state (no look could tell them
//! apart). A wrong guess is told whether it fitted what the player saw —
//! and which look would have told the two apart — and the causes that the
//! evidence fitted equally well (the top tie of
//! [`diagnose`]) are listed.
//!
//! What the game shows goes to a terminal: names, stories and reasons pass
//! through [`terminal`] where they are written, and the consoles escape
//! whatever else reaches them line by line. Input that is not answers —
//! endless blank lines, `/dev/zero` — ends the game: after
//! [`MAX_UNREADABLE`] answers in a row that cannot be read, a round
//! fails with [`io::ErrorKind::InvalidData`]; no answer is read past
//! [`MAX_ANSWER_BYTES`].

use std::collections::BTreeSet;
use std::io::{self, BufRead, Read, Write};

use serde_json::{Value, json};

use super::diagnose::{Symptom, diagnose, kind_faults};
use super::drill::{Answer, Drill, Level, Method, Question, Score, Seen, score};
use crate::finding::did_you_mean;
use crate::model::{Model, ServiceId};
use crate::sim::explain::{latency, percent};
use crate::sim::faults::FaultKind;
use crate::sim::steady::State;
use crate::text::{terminal, terminal_lines};

/// Answers in a row that cannot be read (blank where a word is needed, an
/// unknown name or verb, too long) after which the drill stops: piped
/// input that is not a script of answers must end, not be asked again
/// forever. A person at a terminal never needs twenty tries.
pub const MAX_UNREADABLE: usize = 20;

/// The longest answer read, in bytes (a list of every service of a large
/// model fits); a longer line counts as unreadable, so a stream without
/// line breaks is read a bounded piece at a time.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The error that stops a drill whose input is not answers.
fn unreadable_input() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{MAX_UNREADABLE} answers in a row could not be read; the drill stops"),
    )
}

/// How an answer read from a pipe is echoed: made terminal-safe, and cut
/// after 200 characters.
fn echoed(line: &str) -> String {
    let shown = terminal(line);
    if shown.chars().count() <= 200 {
        return shown.into_owned();
    }
    let mut cut: String = shown.chars().take(199).collect();
    cut.push('…');
    cut
}

/// Where the game talks and listens.
pub trait Console {
    /// Shows text as it is (the caller ends lines).
    fn say(&mut self, text: &str) -> io::Result<()>;
    /// Shows `prompt` and reads one line (without its newline); `None` when
    /// the input has ended.
    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>>;
}

/// Plain line-by-line play: prompts to `out`, answers from `input`. With
/// `echo`, each answer read is written after its prompt, so a piped drill's
/// transcript reads like a played one.
pub struct Plain<R: BufRead, W: Write> {
    input: R,
    out: W,
    echo: bool,
}

impl<R: BufRead, W: Write> Plain<R, W> {
    /// A console over `input` and `out`.
    pub fn new(input: R, out: W, echo: bool) -> Self {
        Plain { input, out, echo }
    }
}

impl<R: BufRead, W: Write> Console for Plain<R, W> {
    fn say(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(terminal_lines(text).as_bytes())?;
        self.out.flush()
    }

    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.out.write_all(terminal_lines(prompt).as_bytes())?;
        self.out.flush()?;
        let mut bytes = Vec::new();
        // At most one byte past the limit: a longer line is refused by the
        // caller, and the rest of it is read as the next answer.
        let mut piece = (&mut self.input).take(MAX_ANSWER_BYTES as u64 + 1);
        if piece.read_until(b'\n', &mut bytes)? == 0 {
            if self.echo {
                self.out.write_all(b"\n")?;
            }
            return Ok(None);
        }
        // Bytes that are not UTF-8 become U+FFFD: no name matches them, so
        // the question is asked again.
        let line = String::from_utf8_lossy(&bytes)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        if self.echo {
            writeln!(self.out, "{}", echoed(&line))?;
        }
        Ok(Some(line))
    }
}

/// Predict the cascade, or find the root cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Say what a fault does.
    Predict,
    /// Name the fault from its symptoms.
    Diagnose,
}

/// How a drill is played.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Question difficulty.
    pub level: Level,
    /// Predict or diagnose.
    pub mode: Mode,
    /// For a room: show the question, wait for Enter, reveal; no scoring.
    pub facilitator: bool,
}

/// Writes the picture of a revealed cascade and says where (or `None`).
pub type Picture<'a> = dyn FnMut(usize, &Question) -> Option<String> + 'a;

/// Looks up typed service names case-insensitively.
pub struct Names {
    /// (name, name with whitespace collapsed and lower-cased, id).
    known: Vec<(String, String, ServiceId)>,
}

/// Lower case with every run of whitespace as one space, so `multi line`
/// finds a name written across lines.
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Splits a typed list into names: quoted parts (`"a, b"`, `'x y'`) are
/// one name each; the rest splits on commas when there is one, else on
/// whitespace.
fn tokens(text: &str) -> Vec<String> {
    let mut quoted = Vec::new();
    let mut rest = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            let inner: String = chars.by_ref().take_while(|&d| d != c).collect();
            quoted.push(inner);
            rest.push(',');
        } else {
            rest.push(c);
        }
    }
    let split: Vec<String> = if rest.contains(',') {
        rest.split(',').map(str::to_owned).collect()
    } else {
        rest.split_whitespace().map(str::to_owned).collect()
    };
    quoted
        .into_iter()
        .chain(split)
        .filter(|p| !p.trim().is_empty())
        .collect()
}

impl Names {
    /// The model's service names.
    pub fn new(model: &Model) -> Names {
        Names {
            known: model
                .service_ids()
                .map(|id| {
                    let name = model.service(id).name.clone();
                    let folded = fold(&name);
                    (name, folded, id)
                })
                .collect(),
        }
    }

    /// Every name, in model order.
    pub fn all(&self) -> Vec<&str> {
        self.known.iter().map(|k| k.0.as_str()).collect()
    }

    /// The service a name means: the exact name, else the one name equal
    /// to it ignoring case and whitespace.
    fn find(&self, text: &str) -> Result<Option<ServiceId>, String> {
        if let Some(k) = self.known.iter().find(|k| k.0 == text) {
            return Ok(Some(k.2));
        }
        let folded = fold(text);
        let matches: Vec<&(String, String, ServiceId)> =
            self.known.iter().filter(|k| k.1 == folded).collect();
        match matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.2)),
            many => Err(format!(
                "`{}` could be {}: type it exactly",
                terminal(text),
                many.iter()
                    .map(|k| format!("`{}`", terminal(&k.0)))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }

    /// One name, or a message with a did-you-mean.
    pub fn one(&self, text: &str) -> Result<ServiceId, String> {
        let t = text.trim();
        let t = t
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(t);
        if t.is_empty() {
            return Err("name a service (`list` shows them)".into());
        }
        match self.find(t)? {
            Some(id) => Ok(id),
            None => Err(match did_you_mean(t, self.all()) {
                Some(s) => format!(
                    "no service `{}`: did you mean `{}`?",
                    terminal(t),
                    terminal(s)
                ),
                None => format!("no service `{}` (`list` shows them)", terminal(t)),
            }),
        }
    }

    /// A list of names (see [`tokens`]); empty, `-` or `none` for none. A
    /// whole line that is one service's name (spaces and all) is that name.
    pub fn list(&self, text: &str) -> Result<BTreeSet<ServiceId>, String> {
        let t = text.trim();
        if t.is_empty() || t == "-" || t.eq_ignore_ascii_case("none") {
            return Ok(BTreeSet::new());
        }
        if let Ok(Some(id)) = self.find(t) {
            return Ok(BTreeSet::from([id]));
        }
        let mut out = BTreeSet::new();
        for p in tokens(t) {
            out.insert(self.one(&p)?);
        }
        Ok(out)
    }
}

/// A list of names, or the services when the player types `list`.
fn names_or_list(names: &Names, text: &str) -> Result<BTreeSet<ServiceId>, String> {
    if text.trim().eq_ignore_ascii_case("list") {
        return Err(format!("services: {}", terminal(&names.all().join(", "))));
    }
    names.list(text)
}

fn names_of(model: &Model, ids: &BTreeSet<ServiceId>) -> Vec<String> {
    ids.iter()
        .map(|&id| model.service(id).name.clone())
        .collect()
}

/// Names for the terminal, comma-separated, or `none`.
fn listed(model: &Model, ids: &BTreeSet<ServiceId>) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        terminal(&names_of(model, ids).join(", ")).into_owned()
    }
}

/// Asks until the answer parses; `None` when the input ends; an error
/// after [`MAX_UNREADABLE`] answers in a row that do not.
pub fn ask_until<T>(
    console: &mut dyn Console,
    prompt: &str,
    mut read: impl FnMut(&str) -> Result<T, String>,
) -> io::Result<Option<T>> {
    for _ in 0..MAX_UNREADABLE {
        let Some(line) = console.ask(prompt)? else {
            return Ok(None);
        };
        let parsed = if line.len() > MAX_ANSWER_BYTES {
            Err(too_long())
        } else {
            read(&line)
        };
        match parsed {
            Ok(v) => return Ok(Some(v)),
            Err(message) => console.say(&format!("  {message}\n"))?,
        }
    }
    Err(unreadable_input())
}

/// What an answer past [`MAX_ANSWER_BYTES`] is told.
fn too_long() -> String {
    format!("that answer is longer than {} KiB", MAX_ANSWER_BYTES / 1024)
}

fn header(console: &mut dyn Console, round: usize, rounds: usize, label: &str) -> io::Result<()> {
    console.say(&format!("\n── Round {round} of {rounds} · {label} ──\n"))
}

/// The true cascade: one line per service that is not healthy, with its
/// success and reason (a faulted service's told as the story told the
/// fault), then the healthy ones.
fn what_happened(console: &mut dyn Console, drill: &Drill, q: &Question) -> io::Result<()> {
    let model = drill.model();
    let hurt: Vec<ServiceId> = model
        .service_ids()
        .filter(|id| q.truth.states[id.index()] != State::Healthy)
        .collect();
    let width = hurt
        .iter()
        .map(|&id| terminal(&model.service(id).name).chars().count())
        .max()
        .unwrap_or(0);
    let at = match q.method {
        Method::Timeline { at_s } => format!(" at t = {}", crate::render::picture::duration(at_s)),
        Method::Structural => " (structural rules)".into(),
        Method::Steady => String::new(),
    };
    console.say(&format!("What happened{at}:\n"))?;
    let success = |id: ServiceId| q.truth.success[id.index()].map_or("—".into(), percent);
    for &id in &hurt {
        console.say(&format!(
            "  {:<width$}  {:<8}  {:>4}  {}\n",
            terminal(&model.service(id).name),
            q.truth.states[id.index()].as_str(),
            success(id),
            terminal(&drill.reveal_because(q, id))
        ))?;
    }
    let healthy: Vec<String> = model
        .service_ids()
        .filter(|id| !hurt.contains(id))
        .map(|id| format!("{} {}", terminal(&model.service(id).name), success(id)))
        .collect();
    if hurt.is_empty() {
        console.say("  every service stays healthy\n")?;
    }
    if !healthy.is_empty() {
        console.say(&format!("  healthy: {}\n", healthy.join(", ")))?;
    }
    Ok(())
}

/// A predict round's lessons: the mechanism and the design choice.
fn lessons(console: &mut dyn Console, drill: &Drill, q: &Question) -> io::Result<()> {
    for text in drill.teach(q) {
        console.say(&format!("Lesson: {}\n", terminal(&text)))?;
    }
    Ok(())
}

fn users_json(q: &Question) -> Value {
    q.truth
        .users
        .iter()
        .map(|(e, s)| json!({ "name": e.name, "state": s.as_str() }))
        .collect()
}

/// The scored part of a reveal: users, then the named sets.
fn show_score(
    console: &mut dyn Console,
    model: &Model,
    q: &Question,
    answer: &Answer,
    s: &Score,
) -> io::Result<()> {
    let entries: Vec<_> = q
        .truth
        .users
        .iter()
        .map(|(e, _)| terminal(&e.name))
        .collect();
    console.say("Users see:\n")?;
    let width = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0);
    for (((_, truth), said), name) in q.truth.users.iter().zip(&answer.users).zip(&entries) {
        let mark = if truth == said { "✓" } else { "✗" };
        console.say(&format!(
            "  {mark} {:<width$}  {:<8}  (you said {})\n",
            name,
            truth.as_str(),
            said.as_str()
        ))?;
    }
    console.say(&format!(
        "  {} of {} right: {} points\n",
        s.users_right, s.users_total, s.users_points
    ))?;
    for (label, set, truth, named) in [
        ("Down", &s.down, &q.truth.down, &answer.down),
        (
            "Degraded or slow",
            &s.degraded,
            &q.truth.degraded,
            &answer.degraded,
        ),
    ] {
        let Some(set) = set else { continue };
        let entries_named: BTreeSet<ServiceId> =
            named.intersection(&q.truth.asked).copied().collect();
        let named: BTreeSet<ServiceId> = named.difference(&q.truth.not_named()).copied().collect();
        console.say(&format!("{label}: {}\n", listed(model, truth)))?;
        let missed: BTreeSet<ServiceId> = truth.difference(&named).copied().collect();
        let wrong: BTreeSet<ServiceId> = named.difference(truth).copied().collect();
        if set.named == 0 && set.actual == 0 {
            console.say(&format!("  right, none: {} points\n", set.points))?;
        } else {
            console.say(&format!(
                "  you named {}, {} of them right, and found {} of {} (precision {}, recall {}): {} points\n",
                set.named,
                set.right,
                set.right,
                set.actual,
                percent(set.precision),
                percent(set.recall),
                set.points
            ))?;
        }
        if !missed.is_empty() {
            console.say(&format!("  missed: {}\n", listed(model, &missed)))?;
        }
        if !wrong.is_empty() {
            console.say(&format!("  not so: {}\n", listed(model, &wrong)))?;
        }
        if !entries_named.is_empty() {
            console.say(&format!(
                "  ({}: entry point, scored under what users see, not here)\n",
                listed(model, &entries_named)
            ))?;
        }
    }
    Ok(())
}

/// Plays one predict round. `None` when the input ended before an answer.
pub fn predict_round(
    drill: &Drill,
    q: &Question,
    round: usize,
    rounds: usize,
    options: Options,
    console: &mut dyn Console,
    picture: &mut Picture,
) -> io::Result<Option<Value>> {
    let model = drill.model();
    let level = options.level;
    header(
        console,
        round,
        rounds,
        &format!("predict · {}", level.as_str()),
    )?;
    console.say(&format!("{}\n", terminal(&q.story)))?;
    let entries: Vec<_> = q
        .truth
        .users
        .iter()
        .map(|(e, _)| terminal(&e.name))
        .collect();
    let names = Names::new(model);
    let mut answer = Answer::default();
    if options.facilitator {
        console.say(&format!(
            "\nFor the room: what do users of {} see — works, degraded or fails?\n",
            entries.join(", ")
        ))?;
        if level.asks_services() {
            console.say("Which services go down, and which degrade?\n")?;
        }
        if console.ask("Press Enter to reveal. ")?.is_none() {
            return Ok(None);
        }
    } else {
        console.say("What do users see? Answer works, degraded or fails (w/d/f).\n")?;
        for name in &entries {
            let Some(seen) = ask_until(console, &format!("  {name}? "), |t| {
                Seen::parse(t).ok_or_else(|| "answer works, degraded or fails (w/d/f)".into())
            })?
            else {
                return Ok(None);
            };
            answer.users.push(seen);
        }
        if level.asks_services() {
            let given = if q.truth.given.is_empty() {
                String::new()
            } else {
                format!(" besides {}", listed(model, &q.truth.given))
            };
            console.say(&format!(
                "Which services behind the entry points go down{given}? Names separated by commas or spaces; empty for none.\n"
            ))?;
            let Some(down) = ask_until(console, "  down> ", |t| names_or_list(&names, t))? else {
                return Ok(None);
            };
            console.say("Which services behind the entry points degrade or slow down?\n")?;
            let Some(degraded) = ask_until(console, "  degraded> ", |t| names_or_list(&names, t))?
            else {
                return Ok(None);
            };
            answer.down = down;
            answer.degraded = degraded;
        }
    }
    console.say("\n")?;
    let scored = (!options.facilitator).then(|| score(level, &q.truth, &answer));
    match &scored {
        Some(s) => show_score(console, model, q, &answer, s)?,
        None => {
            console.say("Users see:\n")?;
            for (e, truth) in &q.truth.users {
                console.say(&format!("  {}: {}\n", terminal(&e.name), truth.as_str()))?;
            }
        }
    }
    what_happened(console, drill, q)?;
    lessons(console, drill, q)?;
    if let Some(path) = picture(round, q) {
        console.say(&format!("Picture: {path}\n"))?;
    }
    if let Some(s) = &scored {
        console.say(&format!(
            "Round {round}: {} of {} points.\n",
            s.points, s.max
        ))?;
    }
    Ok(Some(json!({
        "round": round,
        "mode": "predict",
        "level": level.as_str(),
        "faults": q.flags(),
        "at_s": q.method.at_s(),
        "story": q.story,
        "truth": {
            "users": users_json(q),
            "down": names_of(model, &q.truth.down),
            "degraded": names_of(model, &q.truth.degraded),
        },
        "answer": scored.as_ref().map(|_| json!({
            "users": q.truth.users.iter().zip(&answer.users).map(|((e, _), s)| json!({ "name": e.name, "state": s.as_str() })).collect::<Vec<_>>(),
            "down": names_of(model, &answer.down),
            "degraded": names_of(model, &answer.degraded),
        })),
        "score": scored,
        "points": scored.as_ref().map_or(0, |s| s.points),
        "max": scored.as_ref().map_or(0, |s| s.max),
    })))
}

/// The fault kinds a diagnose round draws from and considers, by level.
pub fn diagnose_kinds(level: Level) -> Vec<FaultKind> {
    match level {
        Level::Easy => vec![FaultKind::Down],
        _ => vec![
            FaultKind::Down,
            FaultKind::Hang,
            FaultKind::Slow,
            FaultKind::Errors,
        ],
    }
}

/// Questions for the diagnose game: one fault of the level's kinds on a
/// service that is not an entry point, with something for users to notice,
/// answered by the steady state (as `diagnose` predicts).
pub fn diagnose_questions(
    drill: &Drill,
    level: Level,
    seed: u64,
    rounds: usize,
    fixed: Option<Vec<crate::sim::faults::Fault>>,
) -> Vec<Question> {
    use rand::SeedableRng;
    let model = drill.model();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xd1a9);
    let mut out = Vec::new();
    if let Some(faults) = fixed {
        out.push(drill.question(faults, Method::Steady, &mut rng));
    }
    let entry_ids: BTreeSet<ServiceId> = model.entry_points().collect();
    let kinds = diagnose_kinds(level);
    let mut pool: Vec<Question> = model
        .service_ids()
        .filter(|id| !entry_ids.contains(id))
        .flat_map(|id| kind_faults(model, id, &kinds))
        .map(|f| drill.question(vec![f], Method::Steady, &mut rng))
        .filter(|q| q.truth.users.iter().any(|(_, s)| *s != Seen::Works))
        .filter(|q| !out.iter().any(|o: &Question| o.flags() == q.flags()))
        .collect();
    super::drill::draw(&mut pool, &mut out, rounds, &mut rng);
    out
}

/// Points for a right cause: 10, less one per look, at least 1.
pub fn diagnose_points(looks: usize) -> u32 {
    10u32.saturating_sub(looks as u32).max(1)
}

/// Plays one diagnose round. `None` when the input ended before a cause.
pub fn diagnose_round(
    drill: &Drill,
    q: &Question,
    round: usize,
    rounds: usize,
    options: Options,
    console: &mut dyn Console,
    picture: &mut Picture,
) -> io::Result<Option<Value>> {
    let model = drill.model();
    let names = Names::new(model);
    header(
        console,
        round,
        rounds,
        &format!("diagnose · {}", options.level.as_str()),
    )?;
    let story_time = q.story.split('.').next().unwrap_or("");
    console.say(&format!(
        "{}. The pager goes off. Users report:\n",
        terminal(story_time)
    ))?;
    let mut symptoms: Vec<Symptom> = Vec::new();
    for (e, _) in &q.truth.users {
        let state = match e.operation {
            Some(op) => q.truth.outcome.operations[e.service.index()][op].state,
            None => q.truth.outcome.services[e.service.index()].state,
        };
        console.say(&format!("  {}: {}\n", terminal(&e.name), state.as_str()))?;
        symptoms.push(Symptom {
            name: e.name.clone(),
            service: e.service,
            operation: e.operation,
            state,
        });
    }
    // Diagnose questions are one fault on one service (the CLI refuses others).
    let Some(cause) = q
        .faults
        .first()
        .and_then(|f| f.services(model).first().copied())
    else {
        console.say("This question has no service at fault to find.\n")?;
        return Ok(None);
    };
    let cause_name = terminal(&model.service(cause).name).into_owned();
    let mut looked: Vec<ServiceId> = Vec::new();
    let mut guess: Option<ServiceId> = None;
    if options.facilitator {
        console.say("\nFor the room: which service would you look at first, and why? What is the root cause?\n")?;
        if console.ask("Press Enter to reveal. ")?.is_none() {
            return Ok(None);
        }
    } else {
        console.say(
            "Find the root cause. `look NAME` shows a service's state, success and latency (−1 point each); `cause NAME` names the root cause; `list` shows the services.\n",
        )?;
        // Lines that are no command (blank, unknown, a name not found)
        // count towards MAX_UNREADABLE; a `list` or a look starts over.
        let mut unreadable = 0;
        loop {
            if unreadable == MAX_UNREADABLE {
                return Err(unreadable_input());
            }
            unreadable += 1;
            let Some(line) = console.ask("> ")? else {
                return Ok(None);
            };
            if line.len() > MAX_ANSWER_BYTES {
                console.say(&format!("  {}\n", too_long()))?;
                continue;
            }
            let line = line.trim();
            let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match verb.to_lowercase().as_str() {
                "" => {}
                "list" | "ls" => {
                    unreadable = 0;
                    console.say(&format!("  {}\n", terminal(&names.all().join(", "))))?;
                }
                "look" | "l" => match names.one(rest) {
                    Ok(id) => {
                        unreadable = 0;
                        let f = &q.truth.outcome.services[id.index()];
                        console.say(&format!(
                            "  {}: {} · success {} · latency {}\n",
                            terminal(&model.service(id).name),
                            f.state.as_str(),
                            percent(f.success),
                            latency(f.latency_s)
                        ))?;
                        if !looked.contains(&id) {
                            looked.push(id);
                            symptoms.push(Symptom {
                                name: model.service(id).name.clone(),
                                service: id,
                                operation: None,
                                state: f.state,
                            });
                        }
                    }
                    Err(m) => console.say(&format!("  {m}\n"))?,
                },
                "cause" | "c" | "guess" => match names.one(rest) {
                    Ok(id) => {
                        guess = Some(id);
                        break;
                    }
                    Err(m) => console.say(&format!("  {m}\n"))?,
                },
                _ => console.say("  type `look NAME`, `cause NAME` or `list`\n")?,
            }
        }
    }
    console.say("\n")?;
    // The guess is judged against everything there is to see: right when
    // it is the cause, or when one of its faults would leave every service
    // in exactly the state the cause did (no look could tell them apart).
    let kinds = diagnose_kinds(options.level);
    let judged = guess.map(|g| {
        let best = kind_faults(model, g, &kinds)
            .into_iter()
            .map(|f| {
                let o = drill.engine().steady(std::slice::from_ref(&f));
                // Every service whose state would differ from the cause's …
                let diff: Vec<(String, State, State)> = model
                    .service_ids()
                    .filter(|id| o.services[id.index()].state != q.truth.states[id.index()])
                    .map(|id| {
                        (
                            model.service(id).name.clone(),
                            o.services[id.index()].state,
                            q.truth.states[id.index()],
                        )
                    })
                    .collect();
                // … and every symptom seen that it would not produce.
                let clash: Vec<(String, State, State)> = symptoms
                    .iter()
                    .filter_map(|s| {
                        let p = match s.operation {
                            Some(op) => o.operations[s.service.index()][op].state,
                            None => o.services[s.service.index()].state,
                        };
                        (p != s.state).then(|| (s.name.clone(), p, s.state))
                    })
                    .collect();
                (diff, clash)
            })
            .min_by_key(|(diff, clash)| (clash.len(), diff.len()));
        (g, best)
    });
    let right = judged
        .as_ref()
        .is_some_and(|(g, best)| *g == cause || best.as_ref().is_some_and(|b| b.0.is_empty()));
    let points = if right {
        diagnose_points(looked.len())
    } else {
        0
    };
    let flags = terminal(&q.flags().join(" ")).into_owned();
    match &judged {
        Some((g, _)) if *g == cause => console.say(&format!(
            "✓ Right: the root cause was {cause_name} ({flags}).\n"
        ))?,
        Some((g, _)) if right => console.say(&format!(
            "✓ Accepted: the fault was on {cause_name} ({flags}), but a fault on {} leaves every service in the same state: nothing could tell them apart.\n",
            terminal(&model.service(*g).name)
        ))?,
        Some((g, best)) => {
            console.say(&format!(
                "✗ Not {}: the root cause was {cause_name} ({flags}).\n",
                terminal(&model.service(*g).name)
            ))?;
            let (diff, clash) = best.clone().unwrap_or_default();
            let why = match (clash.first(), diff.first()) {
                (Some(c), _) => Some(("It does not fit what you saw", c.clone())),
                (None, Some(d)) => Some((
                    "It fits what you saw, but a look would have told them apart",
                    d.clone(),
                )),
                (None, None) => None,
            };
            if let Some((lead, (name, predicted, actual))) = why {
                console.say(&format!(
                    "{lead}: with {} at fault, {} would be {}, not {}.\n",
                    terminal(&model.service(*g).name),
                    terminal(&name),
                    predicted.as_str(),
                    actual.as_str()
                ))?;
            }
        }
        None => console.say(&format!("The root cause was {cause_name} ({flags}).\n"))?,
    }
    // What the evidence pointed at: the causes that explain it equally well.
    let ranked = diagnose(model, &symptoms, &kinds);
    let top: Vec<&super::diagnose::Candidate> = ranked
        .iter()
        .take_while(|c| c.score == ranked[0].score && c.faults.len() == ranked[0].faults.len())
        .collect();
    if top.len() > 1 && ranked[0].score > 0.0 {
        const SHOWN: usize = 6;
        let mut listed: Vec<String> = top
            .iter()
            .take(SHOWN)
            .map(|c| c.faults.join(" + "))
            .collect();
        if top.len() > SHOWN {
            listed.push(format!("and {} more", top.len() - SHOWN));
        }
        console.say(&format!(
            "What you saw fits {} causes equally well: {}\n",
            top.len(),
            terminal(&listed.join(", "))
        ))?;
    }
    what_happened(console, drill, q)?;
    if let Some(text) = drill.teach_diagnosis(q, &kinds) {
        console.say(&format!("Lesson: {}\n", terminal(&text)))?;
    }
    if let Some(path) = picture(round, q) {
        console.say(&format!("Picture: {path}\n"))?;
    }
    if !options.facilitator {
        console.say(&format!(
            "Round {round}: {points} of 10 points ({} look{}).\n",
            looked.len(),
            if looked.len() == 1 { "" } else { "s" }
        ))?;
    }
    Ok(Some(json!({
        "round": round,
        "mode": "diagnose",
        "level": options.level.as_str(),
        "faults": q.flags(),
        "story": q.story,
        "symptoms": users_json(q),
        "looked": looked.iter().map(|&id| model.service(id).name.clone()).collect::<Vec<_>>(),
        "cause": guess.map(|g| model.service(g).name.clone()),
        "right": right,
        "equally_good": top.iter().map(|c| c.faults.clone()).collect::<Vec<_>>(),
        "points": points,
        "max": if options.facilitator { 0 } else { 10 },
    })))
}

/// Plays every question and ends with a summary. Returns each round's
/// result (rounds cut short by the end of input are left out).
pub fn play(
    drill: &Drill,
    questions: &[Question],
    options: Options,
    console: &mut dyn Console,
    picture: &mut Picture,
    record: &mut dyn FnMut(&Value),
) -> io::Result<Vec<Value>> {
    let mut results = Vec::new();
    let rounds = questions.len();
    if rounds == 0 {
        console.say(
            "This model has no question to ask at this level (no fault changes what users see).\n",
        )?;
        return Ok(results);
    }
    for (i, q) in questions.iter().enumerate() {
        let r = match options.mode {
            Mode::Predict => predict_round(drill, q, i + 1, rounds, options, console, picture)?,
            Mode::Diagnose => diagnose_round(drill, q, i + 1, rounds, options, console, picture)?,
        };
        match r {
            Some(v) => {
                record(&v);
                results.push(v);
            }
            None => {
                console.say("\n(input ended; the drill stops here)\n")?;
                break;
            }
        }
    }
    if options.facilitator || results.is_empty() {
        return Ok(results);
    }
    let points: u64 = results
        .iter()
        .map(|r| r["points"].as_u64().unwrap_or(0))
        .sum();
    let max: u64 = results.iter().map(|r| r["max"].as_u64().unwrap_or(0)).sum();
    console.say(&format!(
        "\n══ Summary: {} round{}, {points} of {max} points ({}) ══\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        percent(if max == 0 {
            0.0
        } else {
            points as f64 / max as f64
        })
    ))?;
    for r in &results {
        let faults: Vec<&str> = r["faults"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let at = r["at_s"]
            .as_f64()
            .map(|t| format!(" (after {})", crate::render::picture::duration(t)))
            .unwrap_or_default();
        console.say(&format!(
            "  {:>2}. {:>2}/{:<2}  {}{at}\n",
            r["round"],
            r["points"],
            r["max"],
            terminal(&faults.join(" "))
        ))?;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    const SHOP: &str = "services:\n  web: { entry: { rps: 100 }, depends_on: [api, { to: recs, criticality: soft }] }\n  api: { depends_on: [db] }\n  db: {}\n  recs: {}\n  batch: {}\n";

    #[test]
    fn names_are_case_insensitive_with_did_you_mean() {
        let m = load_str(SHOP, "t.yaml").unwrap().model;
        let n = Names::new(&m);
        assert_eq!(n.list("API, Db").unwrap().len(), 2);
        assert_eq!(n.list("api db").unwrap().len(), 2);
        assert!(n.list("none").unwrap().is_empty());
        let e = n.list("api, rec").unwrap_err();
        assert!(e.contains("did you mean `recs`"), "{e}");
    }

    #[test]
    fn hostile_names_can_be_typed() {
        let m = load_str(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [Db, DB, \"db one\", \"a, b\", \"multi\\nline\"] }\n  Db: {}\n  DB: {}\n  db one: {}\n  \"a, b\": {}\n  \"multi\\nline\": {}\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let n = Names::new(&m);
        let id = |name: &str| m.find(name).unwrap();
        // Exact names win; a case-only match that is ambiguous is refused.
        assert_eq!(n.one("Db"), Ok(id("Db")));
        assert_eq!(n.one("DB"), Ok(id("DB")));
        assert!(n.one("db").unwrap_err().contains("could be `Db` or `DB`"));
        // A whole line that is a name, spaces and all.
        assert_eq!(n.list("db one").unwrap(), BTreeSet::from([id("db one")]));
        // Quotes keep commas and spaces inside one name.
        assert_eq!(
            n.list("\"a, b\", 'db one' Db").unwrap(),
            BTreeSet::from([id("a, b"), id("db one"), id("Db")])
        );
        // A name across lines is typed with a space.
        assert_eq!(n.one("multi line"), Ok(id("multi\nline")));
        assert!(n.one("").unwrap_err().contains("name a service"));
    }

    fn play_script(level: Level, mode: Mode, script: &str) -> (String, Vec<Value>) {
        let m = load_str(SHOP, "t.yaml").unwrap().model;
        let drill = Drill::new(&m);
        let f = crate::sim::faults::parse(FaultKind::Down, "db", &m).unwrap();
        let method = drill.method_for(level, std::slice::from_ref(&f), None);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let q = drill.question(vec![f], method, &mut rng);
        let mut out = Vec::new();
        let results = {
            let mut c = Plain::new(script.as_bytes(), &mut out, true);
            play(
                &drill,
                &[q],
                Options {
                    level,
                    mode,
                    facilitator: false,
                },
                &mut c,
                &mut |_, _| None,
                &mut |_| {},
            )
            .unwrap()
        };
        (String::from_utf8(out).unwrap(), results)
    }

    #[test]
    fn a_piped_round_reasks_bad_answers_and_scores() {
        let (text, r) = play_script(
            Level::Medium,
            Mode::Predict,
            "maybe\nf\napi, webb\napi web\n\n",
        );
        assert!(text.contains("answer works, degraded or fails"), "{text}");
        assert!(text.contains("did you mean `web`"), "{text}");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0]["points"], 30);
        assert!(text.contains("Summary: 1 round, 30 of 30 points"), "{text}");
    }

    #[test]
    fn input_ending_stops_the_drill_cleanly() {
        let (text, r) = play_script(Level::Medium, Mode::Predict, "f\n");
        assert!(r.is_empty());
        assert!(text.contains("input ended"), "{text}");
    }

    #[test]
    fn diagnose_looks_cost_points_and_wrong_guesses_are_explained() {
        // Only web is visible: api and db both explain "web down", but a
        // look at db tells them apart, so naming api is wrong.
        let (text, r) = play_script(Level::Easy, Mode::Diagnose, "cause api\n");
        assert_eq!(r[0]["right"], false, "{text}");
        assert!(
            text.contains("It fits what you saw, but a look would have told them apart: with api at fault, db would be healthy, not down"),
            "{text}"
        );
        assert!(
            text.contains("What you saw fits 3 causes equally well: api, db, web"),
            "{text}"
        );
        // The cause itself, after two looks: 8 points.
        let (_, r) = play_script(Level::Easy, Mode::Diagnose, "look api\nlook db\ncause DB\n");
        assert_eq!(r[0]["right"], true);
        assert_eq!(r[0]["points"], 8);
        // recs does not explain web being down.
        let (text, r) = play_script(Level::Easy, Mode::Diagnose, "cause recs\n");
        assert_eq!(r[0]["points"], 0);
        assert!(
            text.contains(
                "It does not fit what you saw: with recs at fault, web would be degraded, not down"
            ),
            "{text}"
        );
    }
}
