//! The `whatif` binary: parse the command line, run, print errors, exit.

mod cli;
mod console;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
