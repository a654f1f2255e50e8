//! `whatif completions`: a shell's completion script, from the clap
//! definitions.

use clap::{Args, CommandFactory};

use super::output::print;
use super::{Cli, Status};
use whatif::error::Error;

/// `whatif completions`'s arguments.
#[derive(Debug, Args)]
pub(super) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script.
pub(super) fn completions(args: CompletionsArgs) -> Result<Status, Error> {
    let mut bytes = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "whatif", &mut bytes);
    print(&bytes)?;
    Ok(Status::Ok)
}
