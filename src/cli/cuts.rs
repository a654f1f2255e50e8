//! `whatif cuts`: the minimal sets of failures that take an entry point
//! down, with their probabilities.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes};
use super::{ColorChoice, Status, load, plural, progress, text_style, zone_availability};
use whatif::analysis::cuts::{self, EntryCuts};
use whatif::analysis::events::BasicEvent;
use whatif::analysis::spof;
use whatif::error::Error;
use whatif::finding::did_you_mean_hint;
use whatif::graph::Graph;
use whatif::model::Model;
use whatif::render::findings::Palette;
use whatif::render::fit;
use whatif::text::terminal;

/// `whatif cuts`'s arguments.
#[derive(Debug, Args)]
pub(super) struct CutsArgs {
    /// Model file.
    model: PathBuf,
    /// Largest cut set size (1 or more).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    order: u32,
    /// Only this entry point (`web` or `api.login`).
    #[arg(long)]
    entry: Option<String>,
    /// Availability of a zone (`99.95%`): zones become basic events (common causes).
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
    #[command(flatten)]
    out: ReportOutput,
}

/// Prints the minimal cut sets of each entry point (or of `--entry`).
pub(super) fn cuts(args: CutsArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of([args.model.as_path()]);
    let format = args.out.prepare(&inputs)?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let zone_availability = zone_availability(args.zone_availability.as_deref())?;
    if let Some(entry) = &args.entry {
        check_entry(model, entry)?;
    }
    let graph = Graph::build(model);
    let (events, results) = progress::cut_sets(
        model,
        &graph,
        args.order as usize,
        zone_availability,
        args.entry.as_deref(),
    )?;
    let bytes = if format == Format::Json {
        json_bytes(&serde_json::json!({
            "model": model.name,
            "order": args.order,
            "entry_points": results.iter().map(|r| serde_json::json!({
                "name": r.entry.name,
                "cut_sets": r.cut_sets.iter().map(|c| names(&events, c)).collect::<Vec<_>>(),
                "probabilities": r.cut_sets.iter().map(|c| cuts::probability(&events, c)).collect::<Vec<_>>(),
                "truncated": r.truncated,
                "complete_to": r.complete_to,
            })).collect::<Vec<_>>(),
        }))
    } else {
        let (p, width) = text_style(color, args.out.path());
        write_text(model, args.order, &events, &results, p, width)
    };
    args.out.emit(&inputs, &bytes)?;
    Ok(Status::Ok)
}

/// `--entry` must name an entry point.
fn check_entry(model: &Model, entry: &str) -> Result<(), Error> {
    if spof::entries(model).iter().any(|e| e.name == entry) {
        return Ok(());
    }
    let names: Vec<String> = spof::entries(model).into_iter().map(|e| e.name).collect();
    Err(Error::usage(
        format!("`{entry}` is not an entry point"),
        did_you_mean_hint(entry, names.iter().map(String::as_str))
            .or(Some(format!("entry points: {}", names.join(", ")))),
    ))
}

/// The names of the basic events in a cut set.
fn names(events: &[BasicEvent], set: &[usize]) -> Vec<String> {
    set.iter().map(|&i| events[i].name.clone()).collect()
}

/// The cut sets as text, each entry point with its sets and their
/// probabilities, fitted to `width`.
fn write_text(
    model: &Model,
    order: u32,
    events: &[BasicEvent],
    results: &[EntryCuts],
    p: Palette,
    width: Option<usize>,
) -> Vec<u8> {
    let mut b = Vec::new();
    let _ = writeln!(
        b,
        "{}: minimal cut sets up to order {}",
        p.paint("1", &terminal(&model.name)),
        order
    );
    let room = |rest: usize| width.map_or(usize::MAX, |w| w.saturating_sub(rest).max(8));
    for r in results {
        let count = format!(
            " ({} cut set{})",
            r.cut_sets.len(),
            plural(r.cut_sets.len())
        );
        let name = terminal(&r.entry.name);
        let name = fit::truncate(&name, room(2 + count.chars().count()));
        let _ = writeln!(b, "  {}{count}", p.paint("1", &name));
        for c in &r.cut_sets {
            let prob = cuts::probability(events, c);
            let shown = if prob > 0.0 {
                format!("  p = {prob:.3e}")
            } else {
                String::new()
            };
            let set = format!("{{{}}}", terminal(&names(events, c).join(", ")));
            let set = fit::truncate(&set, room(4 + shown.chars().count()));
            let _ = writeln!(b, "    {set}{shown}");
        }
        if r.truncated {
            let _ = writeln!(
                b,
                "    … too many sets of order {}: the list is complete up to order {} only",
                r.complete_to + 1,
                r.complete_to
            );
        }
    }
    b
}
