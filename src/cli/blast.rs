//! `whatif blast`: every service ranked by what its failure takes down.

use std::path::PathBuf;

use clap::Args;

use super::format::{Format, TEXT_OR_JSON};
use super::output::{json_bytes, print};
use super::{ColorChoice, Status, load, progress, text_style};
use whatif::analysis::spof;
use whatif::error::Error;
use whatif::render;
use whatif::sim::structural::Structure;

/// `whatif blast`'s arguments.
#[derive(Debug, Args)]
pub(super) struct BlastArgs {
    /// Model file.
    model: PathBuf,
    /// Show this many services (text).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Output format.
    #[arg(long, value_parser = TEXT_OR_JSON, default_value_t = Format::Text)]
    format: Format,
}

/// Prints the blast-radius ranking.
pub(super) fn blast(args: BlastArgs, color: ColorChoice) -> Result<Status, Error> {
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let structure = Structure::new(model);
    let ranked = spof::ranked(model, progress::impacts(model, &structure));
    let bytes = if args.format == Format::Json {
        json_bytes(&render::analysis::blast_json(model, &ranked))
    } else {
        let mut b = Vec::new();
        let (p, width) = text_style(color, None);
        render::analysis::write_blast_text(&mut b, model, &ranked, args.top, p, width)?;
        b
    };
    print(&bytes)?;
    Ok(Status::Ok)
}
