//! `whatif availability`: the Monte Carlo availability of each entry point,
//! with 95 % intervals and the importance of each basic event.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes};
use super::{ColorChoice, Status, load, progress, text_style, zone_availability};
use whatif::analysis::availability::{EntryAvailability, Options};
use whatif::error::Error;
use whatif::graph::Graph;
use whatif::model::Model;
use whatif::render::findings::Palette;
use whatif::render::fit;
use whatif::text::terminal;

/// The most trials `--trials` takes. At 10⁸ trials the 95 % interval of
/// any availability above 99.9 % is narrower than ±0.0007 percentage
/// points, finer than any replica availability given as input is known;
/// a 50-service model takes seconds, and each tenfold more takes ten times
/// longer without changing what the figures say.
const MAX_TRIALS: u64 = 100_000_000;

/// `whatif availability`'s arguments.
#[derive(Debug, Args)]
pub(super) struct AvailabilityArgs {
    /// Model file.
    model: PathBuf,
    /// Monte Carlo trials (at most 100,000,000).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Seed: the same seed gives the same numbers, whatever the number of threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Availability of a zone (`99.95%`): zones fail as common causes.
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
    /// Importance rows shown per entry (text).
    #[arg(long, default_value_t = 5)]
    top: usize,
    #[command(flatten)]
    out: ReportOutput,
}

/// Runs the Monte Carlo and prints each entry point's availability.
pub(super) fn availability(args: AvailabilityArgs, color: ColorChoice) -> Result<Status, Error> {
    if args.trials > MAX_TRIALS {
        return Err(Error::usage(
            format!(
                "--trials {}: at most {} trials",
                args.trials,
                whatif::sim::explain::rate(MAX_TRIALS as f64)
            ),
            Some(
                "10⁸ trials already pin availability to ±0.0007 percentage points; more only take longer"
                    .into(),
            ),
        ));
    }
    let inputs = Inputs::of([args.model.as_path()]);
    let format = args.out.prepare(&inputs)?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let options = Options {
        trials: args.trials,
        seed: args.seed,
        zone_availability: zone_availability(args.zone_availability.as_deref())?,
    };
    let results = progress::monte_carlo(model, &Graph::build(model), &options)?;
    let perfect = never_failing(model);
    let bytes = if format == Format::Json {
        json_bytes(&serde_json::json!({
            "model": model.name,
            "trials": args.trials,
            "seed": args.seed,
            "entry_points": results.iter().map(entry_json).collect::<Vec<_>>(),
            "assumed_perfect": perfect,
        }))
    } else {
        let (p, width) = text_style(color, args.out.path());
        let mut b = Vec::new();
        let _ = writeln!(
            b,
            "{}: availability from {} trials (seed {})",
            p.paint("1", &terminal(&model.name)),
            args.trials,
            args.seed
        );
        write_text(&mut b, &results, args.top, p, width);
        if let Some(note) = assumption(model, &perfect) {
            let _ = writeln!(b, "{}", fit::wrap(&terminal(&note), 0, 6, width));
        }
        b
    };
    args.out.emit(&inputs, &bytes)?;
    Ok(Status::Ok)
}

/// Services that give no `availability` below 100 %: the Monte Carlo
/// counts their replicas as never failing.
pub(super) fn never_failing(model: &Model) -> Vec<&str> {
    model
        .services()
        .iter()
        .filter(|s| s.availability >= 1.0)
        .map(|s| s.name.as_str())
        .collect()
}

/// What the figures assume when some services give no `availability`
/// (`None` when every service gives one): a figure of 100 % is then an
/// assumption, not a finding.
pub(super) fn assumption(model: &Model, perfect: &[&str]) -> Option<String> {
    const SHOWN: usize = 8;
    if perfect.is_empty() {
        return None;
    }
    let hint = "add `availability: 99.9%` (per replica) to each service for a real figure";
    if perfect.len() == model.services().len() {
        return Some(format!(
            "note: no service gives an `availability`, so every replica is assumed never to fail and these figures only show the structure; {hint}"
        ));
    }
    let mut names: Vec<String> = perfect
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect();
    if perfect.len() > SHOWN {
        names.push(format!("and {} more", perfect.len() - SHOWN));
    }
    Some(format!(
        "note: {} of {} services give no `availability` below 100 %, so their replicas are assumed never to fail: {}; {hint}",
        perfect.len(),
        model.services().len(),
        names.join(", ")
    ))
}

/// One entry point in JSON (`exact` only when it was computed).
fn entry_json(r: &EntryAvailability) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": r.name,
        "availability": r.availability,
        "ci95": [r.ci95.0, r.ci95.1],
        "importance": r.importance.iter().map(|(n, b)| serde_json::json!({ "name": n, "birnbaum": b })).collect::<Vec<_>>(),
    });
    if let Some(x) = r.exact {
        v["exact"] = serde_json::json!(x);
    }
    v
}

/// Each entry point's figures and its `top` most important events, fitted
/// to `width`.
fn write_text(
    b: &mut Vec<u8>,
    results: &[EntryAvailability],
    top: usize,
    p: Palette,
    width: Option<usize>,
) {
    let room = |rest: usize| width.map_or(usize::MAX, |w| w.saturating_sub(rest).max(8));
    for r in results {
        let exact = r
            .exact
            .map(|x| format!("  exact {:.6}%", x * 100.0))
            .unwrap_or_default();
        let figures = format!(
            "{:.6}%  95% [{:.6}% – {:.6}%]{exact}",
            r.availability * 100.0,
            r.ci95.0 * 100.0,
            r.ci95.1 * 100.0
        );
        let name = terminal(&r.name);
        let name = fit::truncate(&name, room(4 + figures.chars().count()));
        let _ = writeln!(b, "  {}  {figures}", p.paint("1", &name));
        for (name, birnbaum) in r.importance.iter().filter(|(_, b)| *b > 0.0).take(top) {
            let head = format!("      importance {birnbaum:.3e}  ");
            let name = terminal(name);
            let name = fit::truncate(&name, room(head.chars().count()));
            let _ = writeln!(b, "{head}{name}");
        }
    }
}
