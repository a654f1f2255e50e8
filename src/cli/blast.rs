//! `whatif blast`: every service ranked by what its failure takes down.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes};
use super::{ColorChoice, Status, load, progress, text_style};
use whatif::analysis::spof;
use whatif::error::Error;
use whatif::graph::Graph;
use whatif::render;
use whatif::sim::steady::Engine;
use whatif::text::terminal;

/// `--engine`: which evaluation decides what a failure takes down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum EngineArg {
    /// Reachability over the edges that pass a failure on (no load).
    Structural,
    /// `run --down S` for each service: load, capacity, caches, retries.
    Steady,
}

/// `whatif blast`'s arguments.
#[derive(Debug, Args)]
pub(super) struct BlastArgs {
    /// Model file.
    model: PathBuf,
    /// Show this many services (text).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// What decides a failure's reach: `structural` (fast, no load) or
    /// `steady` (what `run --down S` shows, load included).
    #[arg(long, value_enum, default_value_t = EngineArg::Structural)]
    engine: EngineArg,
    #[command(flatten)]
    out: ReportOutput,
}

/// Prints the blast-radius ranking.
pub(super) fn blast(args: BlastArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of([args.model.as_path()]);
    let format = args.out.prepare(&inputs)?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let steady = args.engine == EngineArg::Steady;
    let impacts = if steady {
        let (impacts, unsettled) = progress::steady_impacts(model, &Engine::new(model));
        if !unsettled.is_empty() {
            let names: Vec<_> = unsettled
                .iter()
                .map(|&id| terminal(&model.service(id).name))
                .collect();
            eprintln!(
                "warning: the steady state did not settle for --down {} (figures from the last pass)",
                names.join(", --down ")
            );
        }
        impacts
    } else {
        progress::impacts(model, &Graph::build(model))
    };
    let ranked = spof::ranked(model, impacts);
    let bytes = if format == Format::Json {
        json_bytes(&render::analysis::blast_json(model, &ranked, steady))
    } else {
        let mut b = Vec::new();
        let (p, width) = text_style(color, args.out.path());
        render::analysis::write_blast_text(&mut b, model, &ranked, steady, args.top, p, width)?;
        b
    };
    args.out.emit(&inputs, &bytes)?;
    Ok(Status::Ok)
}
