//! `whatif drill`: the game, wired to the terminal (or to pipes).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::format::{Format, TEXT_OR_JSON};
use super::output::{Inputs, create_dir, emit, json_bytes, print, write_file};
use super::{Status, check_steps, cli_duration, load};
use whatif::error::Error;
use whatif::game::drill::{Drill, Level, Question, TIMELINE_STEP_S};
use whatif::game::handout;
use whatif::game::play::{self, Console, Mode, Options, Plain};
use whatif::model::Model;
use whatif::render::{picture, svg};
use whatif::sim::faults::{Fault, FaultKind, Scope, parse};

/// `--level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum LevelArg {
    Easy,
    Medium,
    Hard,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ModeArg {
    Predict,
    Diagnose,
    Fix,
}

/// `whatif drill`'s arguments.
#[derive(Debug, Args)]
pub(super) struct DrillArgs {
    /// Model file; with --mode fix, an incident (a NAME from `whatif incident --list`, or a FILE; default: one picked by the seed).
    #[arg(value_name = "MODEL|INCIDENT")]
    model: Option<PathBuf>,
    /// Questions to play (default 5; 1 when --fault sets the question).
    #[arg(long)]
    rounds: Option<usize>,
    /// Seed of the questions (default: from the clock, printed so the drill can be replayed).
    #[arg(long)]
    seed: Option<u64>,
    /// easy (the default): one service down; medium: zones, replicas, slow, errors; hard: combined faults, later moments.
    #[arg(long, value_enum)]
    level: Option<LevelArg>,
    /// predict: say what a fault does; diagnose: find the fault from its symptoms; fix: act on a real incident from the moment responders were paged.
    #[arg(long, value_enum, default_value_t = ModeArg::Predict)]
    mode: ModeArg,
    /// Set the (first) question's fault, as on `run`: `down catalog-db`, `slow db=x10` (repeatable).
    #[arg(long, value_name = "KIND TARGET")]
    fault: Vec<String>,
    /// With --fault: ask about this moment after the fault (answered by the timeline), e.g. `15m`.
    #[arg(long, value_name = "DURATION")]
    at: Option<String>,
    /// For a room: show each question, wait for Enter, then reveal (no scoring).
    #[arg(long)]
    facilitator: bool,
    /// Write a printable Markdown sheet of N questions with an answer key, instead of playing.
    #[arg(long, value_name = "N")]
    handout: Option<usize>,
    /// With --handout: write the sheet here.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Results as text (the game) or JSON (the game on stderr, results on stdout).
    #[arg(long, value_parser = TEXT_OR_JSON, default_value_t = Format::Text)]
    format: Format,
    /// Append each round's result to this file as a JSON line.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Where to write each round's picture (default: a new `whatif-drill-SEED-XXXXXX` folder in the temp dir).
    #[arg(long, value_name = "DIR")]
    pictures: Option<PathBuf>,
    /// Do not write pictures.
    #[arg(long, conflicts_with = "pictures")]
    no_pictures: bool,
}

/// Plays the drill (or writes a handout).
pub(super) fn drill(args: DrillArgs) -> Result<Status, Error> {
    if args.mode == ModeArg::Fix {
        return fix(&args);
    }
    let Some(model_path) = args.model.as_deref() else {
        return Err(Error::usage(
            "the drill needs a model file".to_string(),
            Some("e.g. `whatif drill examples/online-shop.yaml`; `--mode fix` plays an incident instead".into()),
        ));
    };
    let inputs = Inputs::of([model_path]);
    for output in [&args.output, &args.record].into_iter().flatten() {
        inputs.check(output)?;
    }
    if let Some(record) = &args.record
        && record.is_dir()
    {
        return Err(Error::usage(
            format!("--record `{}`: a directory", record.display()),
            Some("give a file: each round is appended to it as a JSON line".into()),
        ));
    }
    let loaded = load(model_path)?;
    let model = &loaded.model;
    let level = match args.level.unwrap_or(LevelArg::Easy) {
        LevelArg::Easy => Level::Easy,
        LevelArg::Medium => Level::Medium,
        LevelArg::Hard => Level::Hard,
    };
    let mode = match args.mode {
        ModeArg::Diagnose => Mode::Diagnose,
        ModeArg::Predict | ModeArg::Fix => Mode::Predict,
    };
    let faults = args
        .fault
        .iter()
        .map(|text| fixed_fault(text, model))
        .collect::<Result<Vec<_>, _>>()?;
    let at_s = match &args.at {
        Some(t) => Some(cli_duration("--at", t)?),
        None => None,
    };
    check_flags(&args, model, mode, &faults, at_s)?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    let fixed = if faults.is_empty() {
        None
    } else {
        Some(faults)
    };
    let rounds = args
        .handout
        .or(args.rounds)
        .unwrap_or(if fixed.is_some() { 1 } else { 5 });
    if rounds == 0 {
        return Err(Error::usage(
            "there must be at least one round".to_string(),
            None,
        ));
    }
    let drill = Drill::new(model);
    let questions: Vec<Question> = match mode {
        Mode::Predict => drill.questions(level, seed, rounds, fixed.map(|f| (f, at_s))),
        Mode::Diagnose => play::diagnose_questions(&drill, level, seed, rounds, fixed),
    };
    if questions.is_empty() {
        return Err(Error::usage(
            format!(
                "{} has no question to ask at level {} (no fault of that level changes what users see)",
                model.name,
                level.as_str()
            ),
            Some("try another --level or --mode".into()),
        ));
    }
    if args.handout.is_some() {
        let mut bytes = Vec::new();
        handout::write_markdown(&mut bytes, &drill, level, seed, &questions)?;
        emit(args.output.as_deref(), &inputs, &bytes)?;
        return Ok(Status::Ok);
    }
    if args.output.is_some() {
        return Err(Error::usage(
            "-o is for --handout".to_string(),
            Some("use --record FILE to keep a drill's results".into()),
        ));
    }
    let options = Options {
        level,
        mode,
        facilitator: args.facilitator,
    };
    let files = Files {
        inputs,
        pictures: pictures(&args, seed)?,
    };
    play_rounds(
        &args, files, model, &drill, options, seed, rounds, &questions,
    )
}

/// `--mode fix`: the incident named (or one of the library, picked by the
/// seed) played as `whatif incident` plays it.
fn fix(args: &DrillArgs) -> Result<Status, Error> {
    let clash = [
        (args.level.is_some(), "--level"),
        (args.rounds.is_some(), "--rounds"),
        (!args.fault.is_empty(), "--fault"),
        (args.at.is_some(), "--at"),
        (args.pictures.is_some(), "--pictures"),
        (args.no_pictures, "--no-pictures"),
    ];
    if let Some((_, flag)) = clash.iter().find(|(on, _)| *on) {
        return Err(Error::usage(
            format!("--mode fix plays one incident; it does not take {flag}"),
            Some(
                "e.g. `whatif drill INCIDENT --mode fix` (`whatif incident --list` shows them)"
                    .into(),
            ),
        ));
    }
    if args.handout.is_some_and(|n| n != 1) {
        return Err(Error::usage(
            "--mode fix writes a handout of one incident: give --handout 1".to_string(),
            None,
        ));
    }
    if args.handout.is_some() && args.facilitator {
        return Err(Error::usage(
            "--handout writes a sheet; it does not take --facilitator".to_string(),
            None,
        ));
    }
    let (path, seed) = match &args.model {
        Some(named) => (super::incident::resolve(&named.to_string_lossy())?, None),
        None => {
            let library = super::incident::library();
            if library.is_empty() {
                return Err(Error::usage(
                    "there is no incident in the library to pick from".to_string(),
                    Some("name an incident FILE: `whatif drill FILE --mode fix`".into()),
                ));
            }
            let seed = args.seed.unwrap_or_else(clock_seed);
            let pick = {
                use rand::{RngExt, SeedableRng};
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                rng.random_range(0..library.len())
            };
            (library[pick].1.clone(), Some(seed))
        }
    };
    super::incident::play(
        &path,
        &super::incident::Play {
            facilitator: args.facilitator,
            handout: args.handout.is_some(),
            output: args.output.as_deref(),
            json: args.format == Format::Json,
            record: args.record.as_deref(),
            seed,
        },
    )
}

/// A seed from the clock, when none is given (printed, so the game can be
/// replayed).
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() % 100_000)
        .unwrap_or(1)
}

/// Where a drill writes besides the console.
struct Files {
    /// What must not be written over.
    inputs: Inputs,
    /// Where the pictures go, when they are drawn.
    pictures: Option<Pictures>,
}

/// The folder of the reveal pictures.
enum Pictures {
    /// `--pictures DIR`, checked before the game starts.
    Given(PathBuf),
    /// A new folder in the temp dir with an unpredictable name, made at the
    /// first picture (so a shared temp dir cannot hold a trap for it).
    Temporary { seed: u64, made: Option<PathBuf> },
}

impl Pictures {
    /// The folder, made when it is first needed; `None` when it cannot be.
    fn dir(&mut self) -> Option<&Path> {
        match self {
            Pictures::Given(dir) => Some(dir),
            Pictures::Temporary { seed, made } => {
                if made.is_none() {
                    let dir = tempfile::Builder::new()
                        .prefix(&format!("whatif-drill-{seed}-"))
                        .tempdir()
                        .ok()?;
                    *made = Some(dir.keep());
                }
                made.as_deref()
            }
        }
    }
}

/// `--pictures DIR` (refused now when it cannot hold files), a temporary
/// folder by default, or none with `--no-pictures`.
fn pictures(args: &DrillArgs, seed: u64) -> Result<Option<Pictures>, Error> {
    if args.no_pictures {
        return Ok(None);
    }
    Ok(Some(match &args.pictures {
        Some(dir) => {
            create_dir(dir, "--pictures")?;
            Pictures::Given(dir.clone())
        }
        None => Pictures::Temporary { seed, made: None },
    }))
}

/// One `--fault KIND TARGET`, parsed as `run` parses its fault flags.
fn fixed_fault(text: &str, model: &Model) -> Result<Fault, Error> {
    let (word, rest) = text
        .trim()
        .split_once([' ', '='])
        .map(|(w, r)| (w, r.trim()))
        .unwrap_or((text.trim(), ""));
    let kind = FaultKind::from_name(word).ok_or_else(|| {
        Error::usage(
            format!("--fault {text}: expected a fault kind and its target"),
            Some("e.g. `--fault 'down catalog-db'` or `--fault 'slow db=x10'`".into()),
        )
    })?;
    let fault = parse(kind, rest, model)
        .map_err(|e| Error::usage(format!("--fault {text}: {}", e.message), e.hint.clone()))?;
    if let Some(why) = fault.changes_nothing() {
        super::warn(&why);
    }
    Ok(fault)
}

/// The flags that do not go together, and a model without entry points.
fn check_flags(
    args: &DrillArgs,
    model: &Model,
    mode: Mode,
    faults: &[Fault],
    at_s: Option<f64>,
) -> Result<(), Error> {
    if at_s.is_some() && faults.is_empty() {
        return Err(Error::usage(
            "--at needs --fault".to_string(),
            Some(
                "hard drills choose their own moments; --at sets the moment of a --fault question"
                    .into(),
            ),
        ));
    }
    if let Some(t) = at_s {
        check_steps(
            &format!(
                "--at {} (in steps of {})",
                args.at.as_deref().unwrap_or(""),
                whatif::text::duration(TIMELINE_STEP_S)
            ),
            t,
            TIMELINE_STEP_S,
            "ask about a moment within a few weeks",
        )?;
    }
    if mode == Mode::Diagnose {
        // Down, hang, slow and errors have a scope; theirs must be one service.
        let one_service = faults
            .iter()
            .all(|f| matches!(f.scope(), Some(Scope::Service(_) | Scope::Replicas(..))));
        if faults.len() > 1 || at_s.is_some() || !one_service {
            return Err(Error::usage(
                "--mode diagnose takes one --fault on one service (down, hang, slow or errors) and no --at".to_string(),
                Some("e.g. `--fault 'down catalog-db'`".into()),
            ));
        }
    }
    if model.entry_points().next().is_none() {
        return Err(Error::usage(
            format!(
                "{} has no entry point: the drill asks what users of the entry points see",
                model.name
            ),
            Some("mark the services users call with `entry: { rps: … }`".into()),
        ));
    }
    if args.handout.is_some() {
        let clash = [
            (mode == Mode::Diagnose, "--mode diagnose"),
            (args.facilitator, "--facilitator"),
            (args.format == Format::Json, "--format json"),
            (args.record.is_some(), "--record"),
        ];
        if let Some((_, flag)) = clash.iter().find(|(on, _)| *on) {
            return Err(Error::usage(
                format!("--handout writes a predict sheet; it does not take {flag}"),
                None,
            ));
        }
    }
    Ok(())
}

/// Plays the questions on the console: a picture of each reveal,
/// `--record` lines, and with `--format json` the results on stdout.
#[allow(clippy::too_many_arguments)]
fn play_rounds(
    args: &DrillArgs,
    files: Files,
    model: &Model,
    drill: &Drill,
    options: Options,
    seed: u64,
    rounds: usize,
    questions: &[Question],
) -> Result<Status, Error> {
    // Pictures of each reveal, drawn with the built-in layout.
    let Files {
        inputs,
        mut pictures,
    } = files;
    let mut draw = |round: usize, q: &Question| -> Option<String> {
        let dir = pictures.as_mut()?.dir()?;
        draw_reveal(model, dir, &inputs, round, q)
    };
    let mut record_error: Option<Error> = None;
    let mut record = |v: &serde_json::Value| {
        let Some(path) = &args.record else { return };
        let head = serde_json::json!({ "model": model.name, "seed": seed });
        if let Err(e) = record_line(path, head, v)
            && record_error.is_none()
        {
            record_error = Some(e);
        }
    };
    let json = args.format == Format::Json;
    let mut words: Vec<String> = model.service_names().map(str::to_owned).collect();
    words.extend(["look", "cause", "list", "works", "degraded", "fails"].map(String::from));
    let mut console = console(words, json)?;
    let intro = intro(model, options, seed, rounds, questions.len());
    let played = console.say(&intro).and_then(|()| {
        play::play(
            drill,
            questions,
            options,
            console.as_mut(),
            &mut draw,
            &mut record,
        )
    });
    let results = match played {
        Ok(r) => r,
        Err(e) => return game_ended(e, "drill"),
    };
    if let Some(e) = record_error {
        return Err(e);
    }
    if json {
        print(&json_bytes(&results_json(model, options, seed, results)))?;
    }
    Ok(Status::Ok)
}

/// What an I/O error that ends a game means: a closed pipe ends it quietly
/// (exit 0); input that is not answers is a usage error, with a pointer
/// to `whatif COMMAND --help`, which shows a scripted game.
pub(super) fn game_ended(e: io::Error, command: &str) -> Result<Status, Error> {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Ok(Status::Ok),
        io::ErrorKind::InvalidData => Err(Error::usage(
            e.to_string(),
            Some(format!(
                "give one answer per line (`whatif {command} --help` shows a scripted game)"
            )),
        )),
        _ => Err(e.into()),
    }
}

/// The reveal's picture as SVG in `dir`; its path, or `None` when it
/// cannot be written (the game goes on without it).
fn draw_reveal(
    model: &Model,
    dir: &Path,
    inputs: &Inputs,
    round: usize,
    q: &Question,
) -> Option<String> {
    let mut diagram = picture::cascade(model, &q.truth.outcome, &q.faults, None);
    if let Some(t) = q.method.at_s() {
        diagram.title = format!("{} — after {}", diagram.title, picture::duration(t));
    }
    let mut bytes = Vec::new();
    svg::write_svg(&diagram, &mut bytes).ok()?;
    let path = dir.join(format!("round-{round}.svg"));
    write_file(&path, inputs, &bytes).ok()?;
    Some(path.display().to_string())
}

/// Appends one round's result to `--record` as a JSON line: `head`'s
/// keys, then the result's.
pub(super) fn record_line(
    path: &Path,
    mut line: serde_json::Value,
    v: &serde_json::Value,
) -> Result<(), Error> {
    if let (Some(dst), Some(src)) = (line.as_object_mut(), v.as_object()) {
        dst.extend(src.clone());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        // One write per line, so drills sharing a record do not interleave.
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
        .map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })
}

/// The line editor on a terminal (completing `words`); else plain lines,
/// the game on stderr when the results go to stdout as JSON.
pub(super) fn console(words: Vec<String>, json: bool) -> Result<Box<dyn Console>, Error> {
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    Ok(if interactive && !json {
        Box::new(crate::console::Terminal::new(words)?)
    } else if json {
        Box::new(Plain::new(
            io::stdin().lock(),
            io::stderr(),
            !io::stdin().is_terminal(),
        ))
    } else {
        Box::new(Plain::new(
            io::stdin().lock(),
            io::stdout(),
            !io::stdin().is_terminal(),
        ))
    })
}

/// `predict` or `diagnose`.
fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Predict => "predict",
        Mode::Diagnose => "diagnose",
    }
}

/// The first lines: the drill, its seed and how to replay it.
fn intro(model: &Model, options: Options, seed: u64, rounds: usize, questions: usize) -> String {
    let (level, mode_name) = (options.level, mode_name(options.mode));
    let intro = format!(
        "whatif drill · {} · {mode_name} · {} · seed {seed} (replay: --seed {seed} --level {} --mode {mode_name} --rounds {rounds})\n",
        whatif::text::terminal(&model.name),
        level.as_str(),
        level.as_str(),
    );
    if questions < rounds {
        format!(
            "{intro}(this model has only {} question{} at this level{})\n",
            questions,
            if questions == 1 { "" } else { "s" },
            if level == Level::Easy {
                "; --level medium has more"
            } else {
                ""
            }
        )
    } else {
        intro
    }
}

/// `--format json`: every round and the total score.
fn results_json(
    model: &Model,
    options: Options,
    seed: u64,
    results: Vec<serde_json::Value>,
) -> serde_json::Value {
    let points: u64 = results
        .iter()
        .map(|r| r["points"].as_u64().unwrap_or(0))
        .sum();
    let max: u64 = results.iter().map(|r| r["max"].as_u64().unwrap_or(0)).sum();
    serde_json::json!({
        "model": model.name,
        "mode": mode_name(options.mode),
        "level": options.level.as_str(),
        "seed": seed,
        "rounds": results,
        "points": points,
        "max": max,
    })
}
