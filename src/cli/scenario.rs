//! `whatif scenario`: run scenario files — story, timeline, expectations —
//! as text or JSON, and optionally JUnit XML for CI.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes, write_file};
use super::{ColorChoice, Status, check_steps, cli_duration, progress, report, text_style};
use whatif::error::Error;
use whatif::render::findings::Palette;
use whatif::render::{fit, markers, picture};
use whatif::scenario::{Scenario, Verdict};
use whatif::sim::timeline::{self, Timeline};
use whatif::text::terminal;

/// `whatif scenario`'s arguments.
#[derive(Debug, Args)]
pub(super) struct ScenarioArgs {
    /// Scenario files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also write the results as JUnit XML (for CI).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Timeline step.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    step: String,
    #[command(flatten)]
    out: ReportOutput,
}

/// One scenario file's run (an incident's replay is one too).
pub(super) struct Ran {
    pub(super) file: String,
    pub(super) scenario: Scenario,
    pub(super) timeline: Timeline,
    pub(super) verdicts: Vec<Verdict>,
}

impl Ran {
    pub(super) fn failed(&self) -> usize {
        self.verdicts.iter().filter(|v| !v.passed).count()
    }
}

/// Runs every file (a broken one is reported and the others still run);
/// [`Status::Failed`] when an expectation fails, [`Status::BadInput`] when
/// a file is broken.
pub(super) fn scenario(args: ScenarioArgs, color: ColorChoice) -> Result<Status, Error> {
    let step = cli_duration("--step", &args.step)?;
    let mut inputs = Inputs::of(args.files.iter().map(PathBuf::as_path));
    if let Some(junit) = &args.junit {
        inputs.check(junit)?;
    }
    let format = args.out.prepare(&inputs)?;
    let (p, width) = text_style(color, args.out.path());
    let mut text = Vec::new();
    let mut junit: Vec<(String, String, Vec<Verdict>)> = Vec::new();
    let mut broken = Vec::new();
    let mut json_files = Vec::new();
    let mut status = Status::Ok;
    let (mut passed_total, mut failed_total) = (0usize, 0usize);
    for path in &args.files {
        let file = path.display().to_string();
        let loaded = whatif::scenario::load_scenario(path).and_then(|sc| {
            let what = format!(
                "`{file}` runs {} in steps of {}",
                picture::duration(sc.duration_s),
                picture::duration(step)
            );
            check_steps(&what, sc.duration_s, step, "use a longer --step")?;
            Ok(sc)
        });
        let scenario = match loaded {
            Ok(sc) => sc,
            Err(e) => {
                // A broken file is bad input (exit 2), but the others still run.
                report(&e, color);
                broken.push(whatif::scenario::Broken {
                    file: file.clone(),
                    messages: error_lines(&e),
                });
                status = Status::BadInput;
                continue;
            }
        };
        for w in &scenario.warnings {
            let at = w
                .pos
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            super::warn(&format!("{file}{at}: {} [{}]", w.message, w.code));
        }
        inputs.add(&scenario.model_path);
        let ran = run_file(file, scenario, step);
        let failed = ran.failed();
        passed_total += ran.verdicts.len() - failed;
        failed_total += failed;
        if failed > 0 {
            status = status.max(Status::Failed);
        }
        if format == Format::Json {
            json_files.push(file_json(&ran));
        } else {
            write_text(&mut text, &ran, step, p, width);
        }
        junit.push((ran.file, ran.scenario.title, ran.verdicts));
    }
    if format == Format::Json {
        let v = serde_json::json!({ "scenarios": json_files, "summary": { "passed": passed_total, "failed": failed_total } });
        text.extend(json_bytes(&v));
    } else if args.files.len() > 1 {
        let _ = writeln!(
            text,
            "{} scenario files: {passed_total} expectations hold, {failed_total} fail",
            args.files.len()
        );
    }
    if let Some(path) = &args.junit {
        let mut xml = Vec::new();
        whatif::scenario::write_junit(&mut xml, &junit, &broken)?;
        write_file(path, &inputs, &xml)?;
    }
    args.out.emit(&inputs, &text)?;
    Ok(status)
}

/// `PASS` in green or `FAIL` in red, the word a scenario or incident
/// report ends on.
pub(super) fn verdict(passed: bool, p: Palette) -> String {
    if passed {
        p.paint("1;32", "PASS")
    } else {
        p.paint("1;31", "FAIL")
    }
}

/// An error as lines for a JUnit report: each finding of an invalid file
/// with its position and code, else the error's sentence.
fn error_lines(e: &Error) -> Vec<String> {
    match e {
        Error::Invalid { file, findings, .. } => findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| {
                let at = f
                    .pos
                    .map(|p| format!(":{}:{}", p.line, p.column))
                    .unwrap_or_default();
                format!("{file}{at}: error[{}]: {}", f.code, f.message)
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Steps one scenario's timeline and checks its expectations.
fn run_file(file: String, scenario: Scenario, step: f64) -> Ran {
    let options = timeline::Options {
        duration_s: scenario.duration_s,
        step_s: step,
    };
    let timeline = progress::timeline(&scenario.loaded.model, &scenario.events, options);
    let verdicts = whatif::scenario::check(&scenario, &timeline);
    Ran {
        file,
        scenario,
        timeline,
        verdicts,
    }
}

/// One scenario as text: title, story, timeline, each expectation and the
/// verdict.
pub(super) fn write_text(
    text: &mut Vec<u8>,
    ran: &Ran,
    step: f64,
    p: Palette,
    width: Option<usize>,
) {
    let sc = &ran.scenario;
    let model = &sc.loaded.model;
    let _ = writeln!(
        text,
        "{} {}",
        p.paint("1", "▶"),
        p.paint("1", &terminal(&sc.title))
    );
    let from = format!("{} · model {}", ran.file, sc.model_path.display());
    let _ = writeln!(text, "  {}", fit::wrap(&terminal(&from), 2, 4, width));
    if !sc.story.is_empty() {
        let story_width = width.map_or(76, |w| w.saturating_sub(2).clamp(20, 76));
        let _ = writeln!(text, "\n{}\n", wrap(&sc.story, story_width, "  "));
    }
    let heading = format!(
        "timeline, {} (step {})",
        picture::duration(sc.duration_s),
        picture::duration(step)
    );
    let markers = markers::from_events(model, &sc.events, sc.duration_s);
    let _ = whatif::render::timeline::write_text(
        text,
        model,
        &heading,
        &ran.timeline,
        &markers,
        p,
        width,
    );
    let _ = writeln!(text, "\nexpectations");
    for v in &ran.verdicts {
        let mark = if v.passed {
            p.paint("1;32", "✓")
        } else {
            p.paint("1;31", "✗")
        };
        let _ = write!(text, "  {mark} {}", terminal(&v.expectation.describe()));
        if let Some(why) = v.failure() {
            let _ = write!(text, " — {}", terminal(&why));
        }
        let _ = writeln!(text);
    }
    let failed = ran.failed();
    let verdict = verdict(failed == 0, p);
    let _ = writeln!(
        text,
        "{verdict}: {} of {} expectations hold\n",
        ran.verdicts.len() - failed,
        ran.verdicts.len()
    );
}

/// One scenario as JSON: its events and each expectation's verdict.
pub(super) fn file_json(ran: &Ran) -> serde_json::Value {
    let sc = &ran.scenario;
    let model = &sc.loaded.model;
    let events = whatif::render::timeline::events_json(&ran.timeline);
    let markers = markers::from_events(model, &sc.events, sc.duration_s);
    let actions = whatif::render::timeline::actions_json(&markers);
    serde_json::json!({
        "file": ran.file,
        "title": sc.title,
        "model": model.name,
        "duration_s": sc.duration_s,
        "passed": ran.failed() == 0,
        "actions": actions,
        "events": events,
        "expectations": ran.verdicts.iter().map(|v| serde_json::json!({
            "at_s": v.expectation.at_s,
            "service": v.expectation.written,
            "expected": v.expectation.state.as_str(),
            "actual": v.actual.as_str(),
            "passed": v.passed,
        })).collect::<Vec<_>>(),
    })
}

/// Wraps prose to a width, each line indented; every word made safe for a
/// terminal.
pub(super) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace().map(terminal) {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines.join("\n")
}
