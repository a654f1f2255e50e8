//! The `fix` game (docs/game.md, "Fix an incident"): a real incident
//! unfolds up to the moment responders were paged; the player chooses
//! moves from a [`menu`] built from the model, each landing its cost in
//! minutes after the one before; the simulator plays the rest. The score
//! is the user requests that failed from `detected_at` to the end (shed
//! ones included), against doing nothing and against the best remedy in
//! the file; the reveal shows the player's timeline beside the best
//! remedy's, judges every remedy and asks the debrief questions.
//!
//! Like the drill, a state machine over a [`Console`]: piped answers are
//! read line by line, unreadable ones re-asked at most
//! [`MAX_UNREADABLE`](super::play::MAX_UNREADABLE) times in a row, and the
//! end of the input means "let it run": the reveal still comes.

pub mod handout;
pub mod menu;
mod reveal;

use std::io;

use serde_json::{Value, json};

use self::menu::{Item, Menu, Pick, Target};
use super::play::{Console, ask_until};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::scenario::incident::{self, Incident, Replay, Run, STEP_S};
use crate::sim::timeline::Event;
use crate::text::{duration, terminal};

/// The most lines the menu reads in one game: moves, undos and menus
/// included. A script that never says `done` (`yes 1 | …`) ends here.
pub const MAX_COMMANDS: usize = 100;

/// An incident ready to play: loaded, replayed and its remedies judged.
#[derive(Debug)]
pub struct Fix<'a> {
    /// The incident's scenario (model, events, duration …).
    pub scenario: &'a Scenario,
    /// Its incident keys.
    pub incident: &'a Incident,
    /// Doing nothing and every remedy, simulated.
    pub replay: &'a Replay,
    /// What the player may do.
    pub menu: Menu,
}

/// How the game is played.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// For a room: show the incident and the menu, wait for Enter, reveal
    /// the remedies and the debrief's answers; no moves, no score.
    pub facilitator: bool,
}

/// A move the player made, and when it lands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// The move and its target.
    pub pick: Pick,
    /// When it lands, seconds: `detected_at` plus the costs so far.
    pub at_s: f64,
}

impl<'a> Fix<'a> {
    /// The game for an incident already replayed.
    pub fn new(scenario: &'a Scenario, incident: &'a Incident, replay: &'a Replay) -> Fix<'a> {
        Fix {
            scenario,
            incident,
            replay,
            menu: Menu::new(&scenario.loaded.model),
        }
    }

    fn model(&self) -> &Model {
        &self.scenario.loaded.model
    }

    /// The timeline events of the player's moves.
    pub fn events(&self, moves: &[Move]) -> Vec<Event> {
        moves
            .iter()
            .flat_map(|m| m.pick.events(self.model(), m.at_s))
            .collect()
    }

    /// The incident with the player's moves, simulated and judged.
    pub fn judge(&self, moves: &[Move]) -> Run {
        incident::run(self.scenario, self.incident, &self.events(moves), STEP_S)
    }
}

/// Points for a choice, 0 to 100: the share of what the best remedy saves
/// over doing nothing that the choice saves too (failed requests counted
/// whole). As good as the best remedy, or better: 100. When no remedy
/// beats doing nothing, 100 for doing no worse than nothing, else 0.
pub fn points(nothing: f64, yours: f64, best: f64) -> u32 {
    let (nothing, yours, best) = (nothing.round(), yours.round(), best.round());
    if yours <= best {
        return 100;
    }
    if nothing <= best {
        return if yours <= nothing { 100 } else { 0 };
    }
    let share = (nothing - yours) / (nothing - best);
    (share.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// What the player typed at the menu prompt.
enum Command {
    Done,
    Menu,
    Undo,
    Pick(usize, String),
}

/// Plays the incident: the briefing, the moves, the reveal and the
/// debrief. Returns the game's result (its JSON).
pub fn play(fix: &Fix, options: Options, console: &mut dyn Console) -> io::Result<Value> {
    reveal::briefing(fix, console)?;
    if options.facilitator {
        show_menu(fix, console)?;
        console.say(
            "\nFor the room: what would you do, in what order? What would each move cost?\n",
        )?;
        let _ = console.ask("Press Enter to reveal. ")?;
        console.say("\n")?;
        reveal::remedies(fix, console)?;
        let debrief = reveal::debrief(fix, console, false)?;
        reveal::source(fix, console)?;
        return Ok(result(fix, &[], None, debrief));
    }
    show_menu(fix, console)?;
    console.say(&format!(
        "Type a move's number (and its target, or be asked for it); `undo` takes back the last move, `menu` shows the moves again, `done` or an empty line lets the simulator play the rest. Each move lands its cost after the one before it; the first, after {}.\n",
        duration(fix.incident.detected_at_s)
    ))?;
    let moves = choose(fix, console)?;
    console.say("\nThe simulator plays the rest …\n")?;
    let run = fix.judge(&moves);
    reveal::outcome(fix, &moves, &run, console)?;
    reveal::remedies(fix, console)?;
    let debrief = reveal::debrief(fix, console, true)?;
    reveal::source(fix, console)?;
    Ok(result(fix, &moves, Some(&run), debrief))
}

fn show_menu(fix: &Fix, console: &mut dyn Console) -> io::Result<()> {
    console.say("\nYour moves (each with the time it takes):\n")?;
    for line in fix.menu.lines() {
        console.say(&format!("{line}\n"))?;
    }
    Ok(())
}

fn parse_command(fix: &Fix, text: &str, can_undo: bool) -> Result<Command, String> {
    let t = text.trim();
    let (head, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    match head.to_lowercase().as_str() {
        "" | "done" | "go" | "run" => Ok(Command::Done),
        "menu" | "moves" | "help" | "?" => Ok(Command::Menu),
        "undo" if can_undo => Ok(Command::Undo),
        "undo" => Err("there is no move to take back".into()),
        _ => match fix.menu.item(head) {
            Ok(_) => Ok(Command::Pick(
                head.parse::<usize>().unwrap_or_default(),
                rest.trim().to_owned(),
            )),
            Err(_) if head.parse::<usize>().is_err() => Err(
                "type a move's number, `undo`, `menu`, or `done` (an empty line) to let it run"
                    .into(),
            ),
            Err(e) => Err(e),
        },
    }
}

/// The moves, read until `done`, the end of input or [`MAX_COMMANDS`].
fn choose(fix: &Fix, console: &mut dyn Console) -> io::Result<Vec<Move>> {
    let model = fix.model();
    let end = fix.scenario.duration_s;
    let mut moves: Vec<Move> = Vec::new();
    for _ in 0..MAX_COMMANDS {
        let clock = moves.last().map_or(fix.incident.detected_at_s, |m| m.at_s);
        let can_undo = !moves.is_empty();
        let prompt = format!("[{}] > ", duration(clock));
        let Some(command) = ask_until(console, &prompt, |t| parse_command(fix, t, can_undo))?
        else {
            return Ok(moves);
        };
        match command {
            Command::Done => return Ok(moves),
            Command::Menu => show_menu(fix, console)?,
            Command::Undo => {
                if let Some(m) = moves.pop() {
                    console.say(&format!(
                        "  taken back: {}\n",
                        terminal(&m.pick.describe(model))
                    ))?;
                }
            }
            Command::Pick(n, typed) => {
                let item = &fix.menu.items[n - 1];
                let Some(target) = target(fix, item, &typed, console)? else {
                    return Ok(moves);
                };
                let pick = Pick {
                    kind: item.kind,
                    target,
                };
                let at_s = clock + item.kind.cost_s();
                if at_s > end + 1e-9 {
                    console.say(&format!(
                        "  too late: it would land at {}, after the end ({}); `done` lets it run\n",
                        duration(at_s),
                        duration(end)
                    ))?;
                    continue;
                }
                console.say(&format!(
                    "  + {}, lands at {}\n",
                    terminal(&pick.describe(model)),
                    duration(at_s)
                ))?;
                moves.push(Move { pick, at_s });
            }
        }
    }
    console.say(&format!(
        "  ({MAX_COMMANDS} lines read: the simulator plays the rest)\n"
    ))?;
    Ok(moves)
}

/// The target of a move: typed after its number, else asked for (`list`
/// shows the candidates). `None` when the input ends.
fn target(
    fix: &Fix,
    item: &Item,
    typed: &str,
    console: &mut dyn Console,
) -> io::Result<Option<Target>> {
    let model = fix.model();
    if !typed.is_empty() || item.targets.len() == 1 {
        match fix.menu.target(model, item, typed) {
            Ok(t) => return Ok(Some(t)),
            Err(message) => console.say(&format!("  {message}\n"))?,
        }
    }
    let what = match item.targets.first() {
        Some(Target::Call(..)) => "which call (caller->callee)",
        _ => "which service",
    };
    ask_until(console, &format!("  {what}? "), |t| {
        if t.trim().eq_ignore_ascii_case("list") {
            return Err(fix.menu.candidates(model, item));
        }
        fix.menu.target(model, item, t)
    })
}

/// The game's result as JSON (also each `--record` line).
fn result(fix: &Fix, moves: &[Move], run: Option<&Run>, debrief: Vec<Option<String>>) -> Value {
    let model = fix.model();
    let (sc, inc, replay) = (fix.scenario, fix.incident, fix.replay);
    let best = replay.best();
    let points = run.map(|r| {
        points(
            replay.nothing.failed_requests,
            r.failed_requests,
            best.map_or(replay.nothing.failed_requests, |b| b.run.failed_requests),
        )
    });
    json!({
        "mode": "fix",
        "title": sc.title,
        "model": model.name,
        "source": source_json(inc),
        "detected_at_s": inc.detected_at_s,
        "duration_s": sc.duration_s,
        "moves": moves.iter().map(|m| json!({
            "move": m.pick.kind.label(),
            "target": match m.pick.target { Target::Users => None, t => Some(t.written(model)) },
            "cost_s": m.pick.kind.cost_s(),
            "at_s": m.at_s,
            "actions": m.pick.events(model, m.at_s).iter().map(|e| e.action.describe(model)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "works": run.map(|r| r.works),
        "healthy_from_s": run.and_then(|r| r.healthy_from_s),
        "failed_requests": {
            "nothing": replay.nothing.failed_requests,
            "yours": run.map(|r| r.failed_requests),
            "best": best.map(|b| b.run.failed_requests),
        },
        "best_remedy": best.map(|b| inc.remedies[b.remedy].name.clone()),
        "remedies": remedies_json(fix),
        "debrief": inc.debrief.iter().zip(debrief).map(|(d, yours)| json!({
            "question": d.question,
            "answer": d.answer,
            "yours": yours,
        })).collect::<Vec<_>>(),
        "points": points.unwrap_or(0),
        "max": if run.is_some() { 100 } else { 0 },
    })
}

/// `source` as JSON.
pub fn source_json(incident: &Incident) -> Value {
    let s = &incident.source;
    json!({ "organisation": s.organisation, "date": s.date, "title": s.title, "url": s.url })
}

/// Every remedy, simulated, as JSON.
pub fn remedies_json(fix: &Fix) -> Value {
    let model = fix.model();
    fix.replay
        .remedies
        .iter()
        .map(|j| {
            let r = &fix.incident.remedies[j.remedy];
            json!({
                "name": r.name,
                "at_s": r.at_s,
                "actions": r.events.iter().map(|e| e.action.describe(model)).collect::<Vec<_>>(),
                "marked_works": r.works,
                "works": j.run.works,
                "agrees": j.agrees,
                "healthy_from_s": j.run.healthy_from_s,
                "failed_requests": j.run.failed_requests,
                "why": r.why,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_measure_the_share_of_the_best_remedys_saving() {
        assert_eq!(points(1000.0, 1000.0, 200.0), 0);
        assert_eq!(points(1000.0, 600.0, 200.0), 50);
        assert_eq!(points(1000.0, 200.4, 200.0), 100);
        assert_eq!(points(1000.0, 100.0, 200.0), 100);
        assert_eq!(points(1000.0, 1500.0, 200.0), 0);
        // No remedy beats doing nothing.
        assert_eq!(points(1000.0, 1000.0, 1200.0), 100);
        assert_eq!(points(1000.0, 1100.0, 1200.0), 100);
        assert_eq!(points(1000.0, 1300.0, 1000.0), 0);
    }
}
