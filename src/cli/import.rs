//! `whatif import`: a starting model from a docker-compose file or a
//! Backstage catalog; notes and a summary on standard error.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::output::{Inputs, emit};
use super::{ColorChoice, Status, palette, plural};
use whatif::error::Error;
use whatif::import::NoteKind;
use whatif::text::terminal;

/// `whatif import`'s arguments.
#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// A docker-compose file or a Backstage catalog (multi-document YAML).
    file: PathBuf,
    /// Write the model here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Writes the model, then each note and what to do next on stderr.
pub(super) fn import(args: ImportArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of([args.file.as_path()]);
    if let Some(output) = &args.output {
        inputs.check(output)?;
    }
    let imported = whatif::import::import_file(&args.file)?;
    emit(args.output.as_deref(), &inputs, imported.yaml.as_bytes())?;
    let palette = palette(color, io::stderr().is_terminal());
    let file = args.file.display();
    let mut err = Vec::new();
    for note in &imported.notes {
        let at = note
            .pos
            .map(|p| format!("{file}:{}:{}: ", p.line, p.column))
            .unwrap_or_default();
        let message = terminal(&format!("{at}{}", note.message)).into_owned();
        let label = match note.kind {
            NoteKind::Warning => palette.paint("1;33", "warning"),
            _ => palette.paint("1;36", "note"),
        };
        let _ = writeln!(err, "{label}: {message}");
    }
    let target = args
        .output
        .as_ref()
        .map_or("the model".to_owned(), |p| format!("`{}`", p.display()));
    let dependencies = match imported.dependencies {
        1 => "1 dependency".to_owned(),
        n => format!("{n} dependencies"),
    };
    let summary = format!(
        "imported {} service{} and {dependencies} ({} guessed) from the {} `{file}`; fill in every `TODO` in {target} and check every `guessed` line",
        imported.services,
        plural(imported.services),
        imported.guessed,
        imported.format.describe(),
    );
    let _ = writeln!(err, "{}", terminal(&summary));
    let _ = io::stderr().write_all(&err);
    Ok(Status::Ok)
}
