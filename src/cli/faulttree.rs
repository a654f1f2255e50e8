//! `whatif faulttree`: the structural model as an Open-PSA MEF fault tree.

use std::path::PathBuf;

use clap::Args;

use super::output::{Inputs, emit};
use super::{Status, load, progress, zone_availability};
use whatif::analysis::faulttree::{self, FaultTreeError};
use whatif::error::Error;
use whatif::graph::Graph;

/// `whatif faulttree`'s arguments.
#[derive(Debug, Args)]
pub(super) struct FaulttreeArgs {
    /// Model file.
    model: PathBuf,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Availability of a zone (`99.95%`): zones become basic events (common causes).
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
}

/// Writes the fault tree (XML) to `-o` or standard output.
pub(super) fn faulttree(args: FaulttreeArgs) -> Result<Status, Error> {
    let inputs = Inputs::of([args.model.as_path()]);
    let loaded = load(&args.model)?;
    let zone_availability = zone_availability(args.zone_availability.as_deref())?;
    let graph = Graph::build(&loaded.model);
    let mut xml = Vec::new();
    faulttree::write_open_psa(&loaded.model, &graph, zone_availability, &mut xml).map_err(|e| {
        match e {
            FaultTreeError::TooManyEvents(e) => progress::too_many_events(e),
            FaultTreeError::Io(e) => Error::Io { source: e },
            e @ FaultTreeError::Entangled { .. } => Error::usage(
                format!("cannot write a fault tree: {e}"),
                Some("break up the dependency cycles".into()),
            ),
        }
    })?;
    emit(args.output.as_deref(), &inputs, &xml)?;
    Ok(Status::Ok)
}
