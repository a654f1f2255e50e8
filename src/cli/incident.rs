//! `whatif incident`: a real incident from the library (or any file) —
//! played as the `fix` game, reported with `--replay`, or listed with
//! `--list`. `whatif drill INCIDENT --mode fix` comes here too.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::format::{Format, TEXT_OR_JSON};
use super::output::{Inputs, emit, json_bytes, print};
use super::scenario::{Ran, file_json, verdict, write_text};
use super::{ColorChoice, Status, report, text_style};
use whatif::error::Error;
use whatif::game::fix::{self, Fix};
use whatif::model::Model;
use whatif::render::findings::Palette;
use whatif::scenario::incident::{self, Incident, Judged, Replay, STEP_S};
use whatif::scenario::{Scenario, load_scenario};
use whatif::text::{duration, terminal};

/// The environment variable naming a folder of incidents to use instead
/// of the library (`incidents/` here, then whatif's own).
pub(super) const LIBRARY_VAR: &str = "WHATIF_INCIDENTS";

/// `whatif incident`'s arguments.
#[derive(Debug, Args)]
pub(super) struct IncidentArgs {
    /// An incident: a NAME from the library (`--list` shows them) or a FILE.
    #[arg(value_name = "NAME|FILE", required_unless_present = "list")]
    incident: Option<String>,
    /// List the library: name, date, organisation and title of each incident.
    #[arg(long, conflicts_with_all = ["replay", "facilitator", "handout", "record", "output"])]
    list: bool,
    /// Do not play: print the replay — story, source, timeline, expectations, every remedy simulated and judged against its `works:`, the debrief. Exit 1 when an expectation fails or a remedy is misjudged.
    #[arg(long, conflicts_with_all = ["facilitator", "handout", "record"])]
    replay: bool,
    /// For a room: show the incident and the moves, wait for Enter, then reveal the remedies and the debrief's answers (no scoring).
    #[arg(long)]
    facilitator: bool,
    /// Write a printable Markdown sheet (the incident, the moves, the debrief, then the answer key) instead of playing.
    #[arg(long, conflicts_with_all = ["facilitator", "record"])]
    handout: bool,
    /// With --handout: write the sheet here.
    #[arg(short, long, requires = "handout")]
    output: Option<PathBuf>,
    /// Text, or JSON (when playing: the game on stderr, the result on stdout).
    #[arg(long, value_parser = TEXT_OR_JSON, default_value_t = Format::Text)]
    format: Format,
    /// Append the game's result to this file as a JSON line.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
}

/// How the `fix` game is played, from `incident` or `drill --mode fix`.
pub(super) struct Play<'a> {
    /// For a room (no scoring).
    pub(super) facilitator: bool,
    /// Write the sheet instead of playing (to `output`, else stdout).
    pub(super) handout: bool,
    /// Where the sheet goes.
    pub(super) output: Option<&'a Path>,
    /// JSON results on stdout.
    pub(super) json: bool,
    /// `--record FILE`.
    pub(super) record: Option<&'a Path>,
    /// The drill's seed, recorded with the result when one picked the incident.
    pub(super) seed: Option<u64>,
}

/// Lists, reports or plays an incident.
pub(super) fn incident(args: IncidentArgs, color: ColorChoice) -> Result<Status, Error> {
    if args.list {
        return list(args.format, color);
    }
    let path = resolve(args.incident.as_deref().unwrap_or_default())?;
    if args.replay {
        return replay(&path, args.format, color);
    }
    play(
        &path,
        &Play {
            facilitator: args.facilitator,
            handout: args.handout,
            output: args.output.as_deref(),
            json: args.format == Format::Json,
            record: args.record.as_deref(),
            seed: None,
        },
    )
}

// ---------------------------------------------------------------------------
// The library.

/// The folders NAMEs are looked up in, in order: `$WHATIF_INCIDENTS` alone
/// when set; else `incidents/` here, then whatif's own `incidents/` (once,
/// when they are the same folder).
fn library_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(LIBRARY_VAR).filter(|v| !v.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let here = PathBuf::from("incidents");
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("incidents");
    let same = match (here.canonicalize(), own.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::env::current_dir().is_ok_and(|cwd| cwd.join("incidents") == own),
    };
    if same { vec![here] } else { vec![here, own] }
}

/// Every incident in the library: (name, file), sorted by name; a name in
/// an earlier folder hides the same name in a later one.
pub(super) fn library() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for dir in library_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml") && p.is_file())
            .collect();
        found.sort();
        for file in found {
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, file));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The file an incident argument names: a path (it has a `/` or ends in
/// `.yaml`/`.yml`) as it is; a NAME as `NAME.yaml` in the library.
pub(super) fn resolve(text: &str) -> Result<PathBuf, Error> {
    let path = Path::new(text);
    let is_path = text.contains(std::path::MAIN_SEPARATOR)
        || text.contains('/')
        || path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if is_path {
        return Ok(path.to_owned());
    }
    for dir in library_dirs() {
        let file = dir.join(format!("{text}.yaml"));
        if file.is_file() {
            return Ok(file);
        }
    }
    let names: Vec<String> = library().into_iter().map(|(n, _)| n).collect();
    let hint = whatif::finding::did_you_mean_hint(text, names.iter().map(String::as_str))
        .unwrap_or_else(|| {
            "`whatif incident --list` shows the library; a FILE is any path to an incident".into()
        });
    Err(Error::usage(
        format!("no incident named `{text}` in the library"),
        Some(hint),
    ))
}

/// Loads an incident file: a scenario with the four incident keys.
pub(super) fn load(path: &Path) -> Result<(Scenario, Incident), Error> {
    let mut scenario = load_scenario(path)?;
    let Some(incident) = scenario.incident.take() else {
        return Err(Error::usage(
            format!(
                "`{}` is a scenario, not an incident: it has no `source`, `detected_at`, `remedies` or `debrief`",
                path.display()
            ),
            Some(format!(
                "run it with `whatif scenario {}`; docs/timelines.md shows an incident's keys",
                path.display()
            )),
        ));
    };
    Ok((scenario, incident))
}

/// `--list`: name, date, organisation and title of every incident in the
/// library. A broken file is reported (exit 2) and the others listed.
fn list(format: Format, color: ColorChoice) -> Result<Status, Error> {
    let mut status = Status::Ok;
    let mut rows = Vec::new();
    for (name, file) in library() {
        match load(&file) {
            Ok((sc, inc)) => rows.push((name, file, sc, inc)),
            Err(e) => {
                report(&e, color);
                status = Status::BadInput;
            }
        }
    }
    let mut out = Vec::new();
    if format == Format::Json {
        let v = serde_json::json!({ "incidents": rows.iter().map(|(name, file, sc, inc)| serde_json::json!({
            "name": name,
            "file": file.display().to_string(),
            "title": sc.title,
            "source": fix::source_json(inc),
            "detected_at_s": inc.detected_at_s,
            "duration_s": sc.duration_s,
            "remedies": inc.remedies.len(),
        })).collect::<Vec<_>>() });
        out = json_bytes(&v);
    } else if rows.is_empty() {
        let dirs: Vec<String> = library_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        let _ = writeln!(out, "no incidents in {}", dirs.join(" or "));
    } else {
        let widest = |cells: Vec<usize>, least: usize| cells.into_iter().fold(least, usize::max);
        let w_name = widest(
            rows.iter()
                .map(|r| terminal(&r.0).chars().count())
                .collect(),
            4,
        );
        let w_org = widest(
            rows.iter()
                .map(|r| terminal(&r.3.source.organisation).chars().count())
                .collect(),
            12,
        );
        let _ = writeln!(
            out,
            "{:<w_name$}  {:<10}  {:<w_org$}  title",
            "name", "date", "organisation"
        );
        for (name, _, sc, inc) in &rows {
            let _ = writeln!(
                out,
                "{:<w_name$}  {:<10}  {:<w_org$}  {}",
                terminal(name),
                terminal(&inc.source.date),
                terminal(&inc.source.organisation),
                terminal(&sc.title)
            );
        }
        let _ = writeln!(
            out,
            "{} incident{} · play one: whatif incident NAME",
            rows.len(),
            super::plural(rows.len())
        );
    }
    print(&out)?;
    Ok(status)
}

// ---------------------------------------------------------------------------
// --replay.

/// `--replay`: the report; [`Status::Failed`] when an expectation fails or
/// a remedy does not do what its `works:` says.
fn replay(path: &Path, format: Format, color: ColorChoice) -> Result<Status, Error> {
    let (scenario, incident) = load(path)?;
    for w in &scenario.warnings {
        let at = w
            .pos
            .map(|p| format!(":{}:{}", p.line, p.column))
            .unwrap_or_default();
        super::warn(&format!(
            "{}{at}: {} [{}]",
            path.display(),
            w.message,
            w.code
        ));
    }
    let replay = incident::replay(&scenario, &incident, STEP_S);
    let holds = replay.holds();
    let ran = Ran {
        file: path.display().to_string(),
        timeline: replay.nothing.timeline.clone(),
        verdicts: replay.verdicts.clone(),
        scenario,
    };
    let fix = Fix::new(&ran.scenario, &incident);
    let mut out = Vec::new();
    if format == Format::Json {
        let mut v = file_json(&ran);
        if let Some(o) = v.as_object_mut() {
            o.insert("passed".into(), holds.into());
            o.insert("source".into(), fix::source_json(&incident));
            o.insert("detected_at_s".into(), incident.detected_at_s.into());
            o.insert("nothing".into(), run_json(&replay.nothing));
            o.insert("remedies".into(), fix::remedies_json(&fix, &replay));
            o.insert(
                "best_remedy".into(),
                replay
                    .best()
                    .map(|b| incident.remedies[b.remedy].name.clone())
                    .into(),
            );
            o.insert(
                "debrief".into(),
                incident
                    .debrief
                    .iter()
                    .map(|d| serde_json::json!({ "question": d.question, "answer": d.answer }))
                    .collect(),
            );
        }
        out = json_bytes(&v);
    } else {
        let (p, width) = text_style(color, None);
        write_text(&mut out, &ran, STEP_S, p, width);
        write_incident(&mut out, &ran, &incident, &replay, p);
    }
    print(&out)?;
    Ok(if holds { Status::Ok } else { Status::Failed })
}

fn run_json(run: &incident::Run) -> serde_json::Value {
    serde_json::json!({
        "works": run.works,
        "healthy_from_s": run.healthy_from_s,
        "failed_requests": run.failed_requests,
    })
}

/// The incident's part of the report: source, remedies judged, debrief,
/// and the verdict.
fn write_incident(out: &mut Vec<u8>, ran: &Ran, incident: &Incident, replay: &Replay, p: Palette) {
    let end = ran.scenario.duration_s;
    let _ = writeln!(out, "source: {}", terminal(&incident.source.cite()));
    let _ = writeln!(
        out,
        "responders paged at {}; user requests failed from then to {}, doing nothing: {}",
        duration(incident.detected_at_s),
        duration(end),
        count(replay.nothing.failed_requests)
    );
    let _ = writeln!(
        out,
        "\nremedies (a remedy works when every entry point is healthy from {} to the end)",
        duration(end * (1.0 - incident::SETTLED_SHARE))
    );
    for j in &replay.remedies {
        write_remedy(out, &ran.scenario.loaded.model, incident, j, p);
    }
    if let Some(b) = replay.best() {
        let _ = writeln!(
            out,
            "best remedy: {}",
            terminal(&incident.remedies[b.remedy].name)
        );
    }
    let _ = writeln!(out, "\ndebrief");
    for (i, d) in incident.debrief.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, terminal(&d.question));
        let _ = writeln!(out, "{}", super::scenario::wrap(&d.answer, 72, "     "));
    }
    let agree = replay.remedies.iter().filter(|j| j.agrees).count();
    let verdict = verdict(replay.holds(), p);
    let _ = writeln!(
        out,
        "\n{verdict}: {} of {} expectations hold, {agree} of {} remedies judged as marked",
        ran.verdicts.len() - ran.failed(),
        ran.verdicts.len(),
        replay.remedies.len()
    );
}

/// One remedy, judged: ✓ when the simulation agrees with its `works:`,
/// its actions, and why.
fn write_remedy(out: &mut Vec<u8>, model: &Model, incident: &Incident, j: &Judged, p: Palette) {
    let r = &incident.remedies[j.remedy];
    let mark = if j.agrees {
        p.paint("1;32", "✓")
    } else {
        p.paint("1;31", "✗")
    };
    let works = if j.run.works {
        "works"
    } else {
        "does not work"
    };
    let judged = if j.agrees {
        format!("{works}, as marked")
    } else {
        format!("{works}, but it is marked `works: {}`", r.works)
    };
    let healthy = j
        .run
        .healthy_from_s
        .map(|t| format!(", healthy from {}", duration(t)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {mark} {}, at {}: {judged} · {} failed requests{healthy}",
        terminal(&r.name),
        duration(r.at_s),
        count(j.run.failed_requests)
    );
    for e in &r.events {
        let _ = writeln!(out, "      ▸ {}", terminal(&e.action.describe(model)));
    }
    let _ = writeln!(out, "      {}", terminal(&r.why));
}

/// A count of requests for people: `768,000`.
fn count(n: f64) -> String {
    whatif::sim::explain::rate(n.round())
}

// ---------------------------------------------------------------------------
// The game.

/// Plays the `fix` game on an incident file (or writes its handout).
pub(super) fn play(path: &Path, how: &Play) -> Result<Status, Error> {
    let inputs = Inputs::of([path]);
    for output in [how.output, how.record].into_iter().flatten() {
        inputs.check(output)?;
    }
    if let Some(record) = how.record
        && record.is_dir()
    {
        return Err(Error::usage(
            format!("--record `{}`: a directory", record.display()),
            Some("give a file: each game is appended to it as a JSON line".into()),
        ));
    }
    let (scenario, incident) = load(path)?;
    if how.handout && how.json {
        return Err(Error::usage(
            "--handout writes a Markdown sheet; it does not take --format json".to_string(),
            None,
        ));
    }
    let fix = Fix::new(&scenario, &incident);
    if how.handout {
        let mut bytes = Vec::new();
        fix::handout::write_markdown(&mut bytes, &fix, &fix.replay())?;
        emit(how.output, &inputs, &bytes)?;
        return Ok(Status::Ok);
    }
    let model = &scenario.loaded.model;
    let mut words: Vec<String> = model.service_names().map(str::to_owned).collect();
    words.extend(["done", "undo", "menu", "list"].map(String::from));
    let mut console = super::drill::console(words, how.json)?;
    let intro = match how.seed {
        Some(seed) => format!(
            "whatif drill · fix · {} · seed {seed} (replay: --mode fix --seed {seed})\n",
            terminal(&path.display().to_string())
        ),
        None => format!(
            "whatif incident · {}\n",
            terminal(&path.display().to_string())
        ),
    };
    let options = fix::Options {
        facilitator: how.facilitator,
    };
    let played = console
        .say(&intro)
        .and_then(|()| fix::play(&fix, options, console.as_mut()));
    let mut result = match played {
        Ok(r) => r,
        Err(e) => return super::drill::game_ended(e, "incident"),
    };
    if let Some(o) = result.as_object_mut() {
        o.insert("file".into(), path.display().to_string().into());
        o.insert("seed".into(), how.seed.into());
    }
    if let Some(record) = how.record {
        super::drill::record_line(record, serde_json::json!({}), &result)?;
    }
    if how.json {
        print(&json_bytes(&result))?;
    }
    Ok(Status::Ok)
}
