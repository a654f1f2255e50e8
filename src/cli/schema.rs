//! `whatif schema`: the JSON Schema of the model file.

use std::path::PathBuf;

use clap::Args;

use super::Status;
use super::output::{Inputs, emit};
use whatif::error::Error;
use whatif::model::schema::model_schema_json;

/// `whatif schema`'s arguments.
#[derive(Debug, Args)]
pub(super) struct SchemaArgs {
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Writes the schema to `-o` or standard output.
pub(super) fn schema(args: SchemaArgs) -> Result<Status, Error> {
    emit(
        args.output.as_deref(),
        &Inputs::default(),
        model_schema_json().as_bytes(),
    )?;
    Ok(Status::Ok)
}
