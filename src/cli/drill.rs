//! `whatif drill`: the game, wired to the terminal (or to pipes).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{cli_duration, emit, load, print, write_atomically};
use whatif::error::Error;
use whatif::game::drill::{Drill, Level, Question};
use whatif::game::handout;
use whatif::game::play::{self, Console, Mode, Options, Plain};
use whatif::render::{picture, svg};
use whatif::sim::faults::{FaultKind, Scope, parse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum LevelArg {
    Easy,
    Medium,
    Hard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ModeArg {
    Predict,
    Diagnose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DrillFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(super) struct DrillArgs {
    /// Model file.
    model: PathBuf,
    /// Questions to play (default 5; 1 when --fault sets the question).
    #[arg(long)]
    rounds: Option<usize>,
    /// Seed of the questions (default: from the clock, printed so the drill can be replayed).
    #[arg(long)]
    seed: Option<u64>,
    /// easy: one service down; medium: zones, replicas, slow, errors; hard: combined faults, later moments.
    #[arg(long, value_enum, default_value_t = LevelArg::Easy)]
    level: LevelArg,
    /// predict: say what a fault does; diagnose: find the fault from its symptoms.
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
    #[arg(long, value_enum, default_value_t = DrillFormat::Text)]
    format: DrillFormat,
    /// Append each round's result to this file as a JSON line.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Where to write each round's picture (default: a `whatif-drill-SEED` folder in the temp dir).
    #[arg(long, value_name = "DIR")]
    pictures: Option<PathBuf>,
    /// Do not write pictures.
    #[arg(long, conflicts_with = "pictures")]
    no_pictures: bool,
}

pub(super) fn drill(args: DrillArgs) -> Result<u8, Error> {
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let level = match args.level {
        LevelArg::Easy => Level::Easy,
        LevelArg::Medium => Level::Medium,
        LevelArg::Hard => Level::Hard,
    };
    let mode = match args.mode {
        ModeArg::Predict => Mode::Predict,
        ModeArg::Diagnose => Mode::Diagnose,
    };
    let mut faults = Vec::new();
    for text in &args.fault {
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
        let f = parse(kind, rest, model)
            .map_err(|e| Error::usage(format!("--fault {text}: {}", e.message), e.hint.clone()))?;
        faults.push(f);
    }
    let at_s = match &args.at {
        Some(t) => Some(cli_duration("--at", t)?),
        None => None,
    };
    if at_s.is_some() && faults.is_empty() {
        return Err(Error::usage(
            "--at needs --fault".to_string(),
            Some(
                "hard drills choose their own moments; --at sets the moment of a --fault question"
                    .into(),
            ),
        ));
    }
    if let Some(t) = at_s
        && t / 5.0 > 1_000_000.0
    {
        return Err(Error::usage(
            format!(
                "--at {}: more than a million timeline steps",
                args.at.as_deref().unwrap_or("")
            ),
            Some("ask about a moment within a few weeks".into()),
        ));
    }
    if mode == Mode::Diagnose {
        let one_service = faults.iter().all(|f| {
            matches!(f.scope, Scope::Service(_) | Scope::Replicas(..))
                && matches!(
                    f.kind,
                    FaultKind::Down | FaultKind::Hang | FaultKind::Slow | FaultKind::Errors
                )
        });
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
            (args.format == DrillFormat::Json, "--format json"),
            (args.record.is_some(), "--record"),
        ];
        if let Some((_, flag)) = clash.iter().find(|(on, _)| *on) {
            return Err(Error::usage(
                format!("--handout writes a predict sheet; it does not take {flag}"),
                None,
            ));
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() % 100_000)
            .unwrap_or(1)
    });
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
        handout::write_markdown(&mut bytes, &drill, level, seed, &questions)
            .map_err(|e| Error::Tool(e.to_string()))?;
        emit(args.output.as_deref(), &bytes)?;
        return Ok(0);
    }
    if args.output.is_some() {
        return Err(Error::usage(
            "-o is for --handout".to_string(),
            Some("use --record FILE to keep a drill's results".into()),
        ));
    }

    // Pictures of each reveal, drawn with the built-in layout.
    let picture_dir = if args.no_pictures {
        None
    } else {
        Some(
            args.pictures
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join(format!("whatif-drill-{seed}"))),
        )
    };
    let mut draw = |round: usize, q: &Question| -> Option<String> {
        let dir = picture_dir.as_ref()?;
        std::fs::create_dir_all(dir).ok()?;
        let mut diagram = picture::cascade(model, &q.truth.outcome, &q.faults, None);
        if let Some(t) = q.method.at_s() {
            diagram.title = format!("{} — after {}", diagram.title, picture::duration(t));
        }
        let mut bytes = Vec::new();
        svg::write_svg(&diagram, &mut bytes).ok()?;
        let path = dir.join(format!("round-{round}.svg"));
        write_atomically(&path, &bytes).ok()?;
        Some(path.display().to_string())
    };
    let mut record_error: Option<Error> = None;
    let mut record = |v: &serde_json::Value| {
        let Some(path) = &args.record else { return };
        let mut line = serde_json::json!({ "model": model.name, "seed": seed });
        if let (Some(dst), Some(src)) = (line.as_object_mut(), v.as_object()) {
            dst.extend(src.clone());
        }
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(source) = result
            && record_error.is_none()
        {
            record_error = Some(Error::Write {
                path: path.clone(),
                source,
            });
        }
    };
    let options = Options {
        level,
        mode,
        facilitator: args.facilitator,
    };
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    let json = args.format == DrillFormat::Json;
    let mut console: Box<dyn Console> = if interactive && !json {
        let mut words: Vec<String> = model.service_names().map(str::to_owned).collect();
        words.extend(["look", "cause", "list", "works", "degraded", "fails"].map(String::from));
        Box::new(crate::console::Terminal::new(words).map_err(|e| Error::Tool(e.to_string()))?)
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
    };
    let io_err = |e: io::Error| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            None
        } else {
            Some(Error::Tool(e.to_string()))
        }
    };
    let mode_name = match mode {
        Mode::Predict => "predict",
        Mode::Diagnose => "diagnose",
    };
    let intro = format!(
        "whatif drill · {} · {mode_name} · {} · seed {seed} (replay: --seed {seed} --level {} --mode {mode_name} --rounds {rounds})\n",
        model.name,
        level.as_str(),
        level.as_str(),
    );
    let intro = if questions.len() < rounds {
        format!(
            "{intro}(this model has only {} question{} at this level{})\n",
            questions.len(),
            if questions.len() == 1 { "" } else { "s" },
            if level == Level::Easy {
                "; --level medium has more"
            } else {
                ""
            }
        )
    } else {
        intro
    };
    let played = console.say(&intro).and_then(|()| {
        play::play(
            &drill,
            &questions,
            options,
            console.as_mut(),
            &mut draw,
            &mut record,
        )
    });
    let results = match played {
        Ok(r) => r,
        Err(e) => match io_err(e) {
            Some(err) => return Err(err),
            None => return Ok(0),
        },
    };
    if let Some(e) = record_error {
        return Err(e);
    }
    if json {
        let points: u64 = results
            .iter()
            .map(|r| r["points"].as_u64().unwrap_or(0))
            .sum();
        let max: u64 = results.iter().map(|r| r["max"].as_u64().unwrap_or(0)).sum();
        let v = serde_json::json!({
            "model": model.name,
            "mode": match mode { Mode::Predict => "predict", Mode::Diagnose => "diagnose" },
            "level": level.as_str(),
            "seed": seed,
            "rounds": results,
            "points": points,
            "max": max,
        });
        print(&super::json_bytes(&v))?;
    }
    Ok(0)
}
