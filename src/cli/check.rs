//! `whatif check`: validate model files and list every finding with its
//! location.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::Inputs;
use super::{ColorChoice, Status, plural, text_style};
use whatif::error::Error;
use whatif::finding::Finding;
use whatif::graph::Graph;
use whatif::model::validate_file;
use whatif::render::findings::{self, Palette};

/// `whatif check`'s arguments.
#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// Model files.
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// Exit 1 when there are warnings (and no errors).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    out: ReportOutput,
}

/// One model file's findings, ready to print.
struct Checked {
    file: String,
    source: String,
    findings: Vec<Finding>,
    /// `3 services`, when the model loaded.
    summary: Option<String>,
}

impl Checked {
    fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// Checks every file, prints the findings (or writes them to `-o`); the
/// status is the worst file's, wherever the findings go.
pub(super) fn check(args: CheckArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of(args.models.iter().map(PathBuf::as_path));
    let format = args.out.prepare(&inputs)?;
    let (palette, _) = text_style(color, args.out.path());
    let mut text = Vec::new();
    let mut reports: Vec<(String, Vec<Finding>)> = Vec::new();
    let mut status = Status::Ok;
    for path in &args.models {
        let checked = check_file(path)?;
        status = status.max(if checked.errors() > 0 {
            Status::BadInput
        } else if checked.warnings() > 0 && args.strict {
            Status::Failed
        } else {
            Status::Ok
        });
        if format == Format::Text {
            write_text(&mut text, &checked, palette);
        }
        reports.push((checked.file, checked.findings));
    }
    if format == Format::Json {
        let _ = findings::write_json(&mut text, &reports);
    }
    args.out.emit(&inputs, &text)?;
    Ok(status)
}

/// Validates one file; a file that cannot be read or is invalid becomes
/// findings, not an error. The cycles (W001) are found also in a model
/// with errors, among the dependencies whose names resolve (see
/// [`whatif::model::Validated::model`]): a cycle is legal and stands
/// beside any error. Errors come first, then warnings, each in file order.
fn check_file(path: &std::path::Path) -> Result<Checked, Error> {
    let file = path.display().to_string();
    let (findings, source, summary) = match validate_file(path) {
        Ok(validated) => {
            let valid = validated.is_valid();
            let mut findings = validated.findings;
            let mut summary = None;
            if let Some(model) = &validated.model {
                findings.extend(Graph::build(model).cycle_findings(model));
                let n = model.services().len();
                summary = valid.then(|| format!("{n} service{}", plural(n)));
            }
            findings.sort_by_key(|f| (!f.is_error(), f.pos, f.code));
            (findings, validated.source, summary)
        }
        Err(Error::Invalid {
            findings,
            source_text,
            ..
        }) => (findings, source_text, None),
        Err(Error::Read { source, .. }) => {
            let f = Finding::error("E000", format!("cannot read the file: {source}"), None);
            (vec![f], String::new(), None)
        }
        Err(other) => return Err(other),
    };
    Ok(Checked {
        file,
        source,
        findings,
        summary,
    })
}

/// The findings compiler-style, then one verdict line.
fn write_text(text: &mut Vec<u8>, checked: &Checked, palette: Palette) {
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let file = &checked.file;
    let _ = findings::write_text(text, file, &checked.source, &checked.findings, palette);
    let verdict = if errors > 0 {
        palette.paint("1;31", "invalid")
    } else {
        palette.paint("1;32", "ok")
    };
    let mut counts = Vec::new();
    if let Some(s) = &checked.summary {
        counts.push(s.clone());
    }
    if errors > 0 {
        counts.push(format!("{errors} error{}", plural(errors)));
    }
    if warnings > 0 {
        counts.push(format!("{warnings} warning{}", plural(warnings)));
    }
    let _ = writeln!(
        text,
        "{}: {verdict} ({})",
        whatif::text::terminal(file),
        counts.join(", ")
    );
}
