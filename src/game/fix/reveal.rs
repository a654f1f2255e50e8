//! What the `fix` game shows: the briefing (the incident up to the page),
//! the outcome of the player's moves beside doing nothing and the best
//! remedy, the remedies judged, and the debrief.

use std::io;

use super::{Fix, Move, points};
use crate::game::play::Console;
use crate::model::ServiceId;
use crate::render::findings::Palette;
use crate::render::markers;
use crate::scenario::incident::{Run, STEP_S};
use crate::sim::explain::{percent, rate};
use crate::sim::steady::State;
use crate::sim::timeline::{self, Timeline};
use crate::text::{duration, terminal};

/// How many marks a strip of the reveal has.
pub const STRIP_MARKS: usize = 40;

/// How many of the worst services the briefing names.
const WORST: usize = 5;

/// The width prose (the story, reasons, the debrief) is wrapped to.
const PROSE_WIDTH: usize = 78;

/// Prose from the file, made terminal-safe and wrapped: the first line has
/// `first` characters written before it, the next start with `indent`
/// spaces.
fn prose(text: &str, first: usize, indent: usize) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::render::fit::wrap(&terminal(&words), first, indent, Some(PROSE_WIDTH))
}

/// The timeline up to `detected_at`: the same steps as the full replay.
pub fn until_detection(fix: &Fix) -> Timeline {
    let options = timeline::Options {
        duration_s: fix.incident.detected_at_s,
        step_s: STEP_S,
    };
    timeline::simulate(&fix.scenario.loaded.model, &fix.scenario.events, options)
}

/// The incident up to the page, as text: the state changes with their
/// reasons and where the entry points stand.
pub fn timeline_text(fix: &Fix) -> String {
    let model = &fix.scenario.loaded.model;
    let detected = fix.incident.detected_at_s;
    let t = until_detection(fix);
    let marks = markers::from_events(model, &fix.scenario.events, detected);
    let mut text = Vec::new();
    let heading = format!("the first {}", duration(detected));
    let _ = crate::render::timeline::write_text(
        &mut text,
        model,
        &heading,
        &t,
        &marks,
        Palette { enabled: false },
        None,
    );
    String::from_utf8_lossy(&text).into_owned()
}

/// What paged, and the worst services at that moment.
pub fn paged(fix: &Fix) -> Vec<String> {
    let model = &fix.scenario.loaded.model;
    let detected = fix.incident.detected_at_s;
    let t = &fix.replay.nothing.timeline;
    let k = t.step_at(detected);
    let state = |id: ServiceId| t.service_states[k][id.index()];
    let success = |id: ServiceId| t.series[id.index()][k].success;
    let entries: Vec<ServiceId> = model.entry_points().collect();
    let hurt: Vec<String> = entries
        .iter()
        .filter(|&&id| state(id) != State::Healthy)
        .map(|&id| {
            format!(
                "{} is {} ({} of requests succeed)",
                terminal(&model.service(id).name),
                state(id).as_str(),
                percent(success(id))
            )
        })
        .collect();
    let mut lines = vec![if hurt.is_empty() {
        format!(
            "At {} the pager goes off, though users see nothing wrong yet.",
            duration(detected)
        )
    } else {
        format!(
            "At {} the pager goes off: {}.",
            duration(detected),
            hurt.join("; ")
        )
    }];
    let mut worst: Vec<ServiceId> = model
        .service_ids()
        .filter(|id| !entries.contains(id) && state(*id) != State::Healthy)
        .collect();
    worst.sort_by(|a, b| success(*a).total_cmp(&success(*b)).then(a.cmp(b)));
    if !worst.is_empty() {
        let named: Vec<String> = worst
            .iter()
            .take(WORST)
            .map(|&id| {
                format!(
                    "{} {} {}",
                    terminal(&model.service(id).name),
                    state(id).as_str(),
                    percent(success(id))
                )
            })
            .collect();
        lines.push(format!("Worst behind them: {}.", named.join(" · ")));
    }
    lines
}

/// The story, the incident up to the page and what paged.
pub fn briefing(fix: &Fix, console: &mut dyn Console) -> io::Result<()> {
    let sc = fix.scenario;
    console.say(&format!("\n── fix · {} ──\n", terminal(&sc.title)))?;
    if !sc.story.is_empty() {
        console.say(&format!("{}\n", prose(&sc.story, 0, 0)))?;
    }
    console.say(&format!("\n{}", timeline_text(fix)))?;
    console.say("\n")?;
    for line in paged(fix) {
        console.say(&format!("{line}\n"))?;
    }
    Ok(())
}

/// One mark per slice of the time after `from_s`: the worst state of
/// `entry` in that slice (`·` healthy, `~` slow, `▄` degraded, `█` down).
pub fn strip(timeline: &Timeline, entry: ServiceId, from_s: f64, to_s: f64) -> String {
    let width = (to_s - from_s) / STRIP_MARKS as f64;
    (0..STRIP_MARKS)
        .map(|j| {
            let (a, b) = (from_s + j as f64 * width, from_s + (j + 1) as f64 * width);
            let first = timeline.step_at(a);
            let last = timeline.step_at((b - 1e-9).max(a));
            let worst = (first..=last)
                .map(|k| timeline.service_states[k][entry.index()])
                .max()
                .unwrap_or(State::Healthy);
            mark(worst)
        })
        .collect()
}

fn mark(state: State) -> char {
    match state {
        State::Healthy => '·',
        State::Slow => '~',
        State::Degraded => '▄',
        State::Down => '█',
    }
}

/// `healthy from 7m12s` or `down at the end`, for one entry point.
fn ending(run: &Run, entry: ServiceId) -> String {
    let t = &run.timeline;
    let last = t.times.len().saturating_sub(1);
    let state = t
        .service_states
        .get(last)
        .map_or(State::Healthy, |s| s[entry.index()]);
    if state != State::Healthy {
        return format!("{} at the end", state.as_str());
    }
    let k = (0..=last)
        .rev()
        .take_while(|&k| t.service_states[k][entry.index()] == State::Healthy)
        .last()
        .unwrap_or(last);
    format!("healthy from {}", duration(t.times[k]))
}

/// The player's moves, their timeline beside doing nothing and the best
/// remedy, and the score.
pub fn outcome(fix: &Fix, moves: &[Move], run: &Run, console: &mut dyn Console) -> io::Result<()> {
    let model = &fix.scenario.loaded.model;
    let (inc, replay) = (fix.incident, fix.replay);
    let (from, to) = (inc.detected_at_s, fix.scenario.duration_s);
    console.say("\nYour moves:\n")?;
    if moves.is_empty() {
        console.say("  none: you let it run\n")?;
    }
    for m in moves {
        console.say(&format!(
            "  {:>6}  {}\n",
            duration(m.at_s),
            terminal(&m.pick.describe(model))
        ))?;
    }
    let best = replay.best();
    console.say(&format!(
        "\nWhat users saw from {} to {} (a mark is {}: · healthy  ~ slow  ▄ degraded  █ down):\n",
        duration(from),
        duration(to),
        duration((to - from) / STRIP_MARKS as f64)
    ))?;
    let mut rows: Vec<(&str, &Run, String)> = vec![
        ("nothing", &replay.nothing, String::new()),
        ("yours", run, String::new()),
    ];
    if let Some(b) = best {
        let r = &inc.remedies[b.remedy];
        rows.push((
            "best",
            &b.run,
            format!(" ({}, at {})", terminal(&r.name), duration(r.at_s)),
        ));
    }
    for entry in model.entry_points() {
        console.say(&format!("  {}\n", terminal(&model.service(entry).name)))?;
        for (label, r, note) in &rows {
            console.say(&format!(
                "    {label:<8} {}  {}{note}\n",
                strip(&r.timeline, entry, from, to),
                ending(r, entry)
            ))?;
        }
    }
    console.say(&format!(
        "\nUser requests that failed from {} to {} (shed ones count):\n",
        duration(from),
        duration(to)
    ))?;
    let count = |r: &Run| rate(r.failed_requests.round());
    let mut lines = vec![
        ("doing nothing", count(&replay.nothing), String::new()),
        ("your moves", count(run), String::new()),
    ];
    if let Some(b) = best {
        lines.push((
            "best remedy",
            count(&b.run),
            format!("  {}", terminal(&inc.remedies[b.remedy].name)),
        ));
    }
    let width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
    for (label, n, note) in &lines {
        console.say(&format!("  {label:<14} {n:>width$}{note}\n"))?;
    }
    let verdict = if run.works {
        format!(
            "Your moves work: every entry point is healthy from {} to the end.",
            run.healthy_from_s.map_or("the start".into(), duration)
        )
    } else {
        "Your moves do not end the incident: an entry point is not healthy over the last tenth."
            .into()
    };
    console.say(&format!("{verdict}\n"))?;
    let best_failed = best.map_or(replay.nothing.failed_requests, |b| b.run.failed_requests);
    let p = points(
        replay.nothing.failed_requests,
        run.failed_requests,
        best_failed,
    );
    console.say(&format!(
        "Score: {p} of 100 points (the share of the best remedy's saving over doing nothing that your moves saved).\n"
    ))
}

/// Every remedy in the file, simulated: works or not, its failed
/// requests, and why.
pub fn remedies(fix: &Fix, console: &mut dyn Console) -> io::Result<()> {
    console.say("\nThe remedies in the file, simulated:\n")?;
    for j in &fix.replay.remedies {
        let r = &fix.incident.remedies[j.remedy];
        let (mark, works) = if j.run.works {
            ("✓", "works")
        } else {
            ("✗", "does not work")
        };
        console.say(&format!(
            "  {mark} {}, at {}: {works}, {} failed requests\n    {}\n",
            terminal(&r.name),
            duration(r.at_s),
            rate(j.run.failed_requests.round()),
            prose(&r.why, 4, 4)
        ))?;
    }
    Ok(())
}

/// The debrief: each question, the player's answer (when `ask`), then the
/// file's. Returns what the player answered, per question.
pub fn debrief(fix: &Fix, console: &mut dyn Console, ask: bool) -> io::Result<Vec<Option<String>>> {
    console.say("\nDebrief\n")?;
    let mut answers = Vec::new();
    let mut asking = ask;
    for (i, d) in fix.incident.debrief.iter().enumerate() {
        console.say(&format!("{}. {}\n", i + 1, prose(&d.question, 4, 3)))?;
        let yours = if asking {
            let a = console.ask("  your answer (Enter to see ours)> ")?;
            asking = a.is_some();
            a.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        } else {
            None
        };
        console.say(&format!("  Answer: {}\n", prose(&d.answer, 10, 10)))?;
        answers.push(yours);
    }
    Ok(answers)
}

/// Where the story comes from.
pub fn source(fix: &Fix, console: &mut dyn Console) -> io::Result<()> {
    let s = &fix.incident.source;
    let url = s
        .url
        .as_deref()
        .map(|u| format!(" — {u}"))
        .unwrap_or_default();
    console.say(&format!(
        "\nSource: {}, {}: {}{}\n",
        terminal(&s.organisation),
        terminal(&s.date),
        terminal(&s.title),
        terminal(&url)
    ))
}
