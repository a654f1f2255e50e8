//! `whatif man`: the man pages. They come from the clap definitions, so
//! they cannot drift from `--help`: whatif(1) lists the commands,
//! whatif-<command>(1) has each one's options and example.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::output::{Inputs, create_dir, emit, write_file};
use super::{Cli, Status};
use whatif::error::Error;

/// `whatif man`'s arguments.
#[derive(Debug, Args)]
pub(super) struct ManArgs {
    /// Write whatif(1) here instead of standard output.
    #[arg(short, long, conflicts_with = "dir")]
    output: Option<PathBuf>,
    /// Write every page into this directory: whatif.1 and whatif-<command>.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Writes whatif(1), or with `--dir` every page.
pub(super) fn man(args: ManArgs) -> Result<Status, Error> {
    let mut cli = Cli::command();
    cli.build();
    let Some(dir) = &args.dir else {
        emit(args.output.as_deref(), &Inputs::default(), &page(&cli)?)?;
        return Ok(Status::Ok);
    };
    create_dir(dir, "--dir")?;
    let none = Inputs::default();
    write_file(&dir.join("whatif.1"), &none, &page(&cli)?)?;
    for sub in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        let file = dir.join(format!("whatif-{}.1", sub.get_name()));
        write_file(&file, &none, &page(sub)?)?;
    }
    Ok(Status::Ok)
}

/// One man page.
fn page(cmd: &clap::Command) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut bytes)?;
    Ok(bytes)
}
