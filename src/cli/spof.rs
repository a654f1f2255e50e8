//! `whatif spof`: the single points of failure of each entry point (and,
//! with `--zones`, the zones).

use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes};
use super::{ColorChoice, Status, load, text_style};
use whatif::analysis::spof;
use whatif::error::Error;
use whatif::graph::Graph;
use whatif::render;

/// `whatif spof`'s arguments.
#[derive(Debug, Args)]
pub(super) struct SpofArgs {
    /// Model file.
    model: PathBuf,
    /// Also list the zones whose loss alone takes each entry down.
    #[arg(long)]
    zones: bool,
    #[command(flatten)]
    out: ReportOutput,
}

/// Prints the single points of failure.
pub(super) fn spof(args: SpofArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of([args.model.as_path()]);
    let format = args.out.prepare(&inputs)?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let graph = Graph::build(model);
    let points = spof::single_points(model, &graph);
    let zones = args.zones.then(|| spof::zone_single_points(model, &graph));
    let bytes = if format == Format::Json {
        json_bytes(&render::analysis::spof_json(
            model,
            &points,
            zones.as_deref(),
        ))
    } else {
        let mut b = Vec::new();
        let (p, width) = text_style(color, args.out.path());
        render::analysis::write_spof_text(&mut b, model, &points, zones.as_deref(), p, width)?;
        b
    };
    args.out.emit(&inputs, &bytes)?;
    Ok(Status::Ok)
}
