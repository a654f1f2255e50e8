//! `whatif graph`: draw the architecture, or a cascade when faults are
//! given, as DOT, SVG, PNG or Mermaid.

use std::path::PathBuf;

use clap::Args;

use super::faults::FaultArgs;
use super::format::{Format, Formats};
use super::output::{Inputs, emit};
use super::picture::{PictureArgs, draw};
use super::{Status, load};
use whatif::error::Error;
use whatif::finding::did_you_mean_hint;
use whatif::graph::Graph;
use whatif::model::{Model, ServiceId};
use whatif::render::picture;
use whatif::sim::steady::Engine;

/// What `graph` writes; DOT unless `--format` or `-o` says otherwise.
const FORMATS: Formats = Formats::new(
    &[Format::Dot, Format::Svg, Format::Png, Format::Mermaid],
    Format::Dot,
);

/// `whatif graph`'s arguments.
#[derive(Debug, Args)]
pub(super) struct GraphArgs {
    /// Model file.
    model: PathBuf,
    #[command(flatten)]
    faults: FaultArgs,
    /// Write here; the extension picks the format (.dot, .svg, .png, .mmd).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else dot).
    #[arg(long, value_parser = FORMATS)]
    format: Option<Format>,
    /// Draw only this service and its neighbourhood.
    #[arg(long)]
    focus: Option<String>,
    /// Hops around --focus (callers and callees).
    #[arg(long, default_value_t = 1, requires = "focus")]
    depth: usize,
    #[command(flatten)]
    picture: PictureArgs,
}

/// Draws the model (painted by the cascade when there are faults).
pub(super) fn graph(args: GraphArgs) -> Result<Status, Error> {
    let format = FORMATS.select(args.format, args.output.as_deref())?;
    let inputs = Inputs::of([args.model.as_path()]);
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let g = Graph::build(model);
    let subset = match &args.focus {
        Some(f) => Some(focus_set(model, &g, f, args.depth)?),
        None => None,
    };
    let faults = args.faults.parse(model)?;
    let diagram = if faults.is_empty() {
        picture::architecture(model, subset.as_deref())
    } else {
        let outcome = Engine::new(model).steady(&faults);
        picture::cascade(model, &outcome, &faults, subset.as_deref())
    };
    let bytes = draw(&diagram, format, args.picture, args.output.as_deref())?;
    emit(args.output.as_deref(), &inputs, &bytes)?;
    Ok(Status::Ok)
}

/// `--focus` and the services within `depth` hops of it.
fn focus_set(
    model: &Model,
    graph: &Graph,
    focus: &str,
    depth: usize,
) -> Result<Vec<ServiceId>, Error> {
    let id = model.find(focus).ok_or_else(|| {
        Error::usage(
            format!("unknown service `{focus}` for --focus"),
            did_you_mean_hint(focus, model.service_names()),
        )
    })?;
    Ok(graph.neighbourhood(id, depth))
}
