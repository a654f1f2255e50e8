//! `whatif generate`: a synthetic architecture of any size, seeded.

use std::path::PathBuf;

use clap::Args;

use super::Status;
use super::output::{Inputs, emit};
use whatif::error::Error;
use whatif::model::generate::{Spec, generate as synthesize};

/// `whatif generate`'s arguments.
#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// Number of services (1 is a lone entry gateway).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    services: u64,
    /// Seed: the same seed gives the same model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Writes the generated model (YAML).
pub(super) fn generate(args: GenerateArgs) -> Result<Status, Error> {
    let spec = Spec {
        services: args.services as usize,
        seed: args.seed,
    };
    emit(
        args.output.as_deref(),
        &Inputs::default(),
        synthesize(spec).as_bytes(),
    )?;
    Ok(Status::Ok)
}
