//! Output formats: one [`Format`] type owning its names and file
//! extensions, and [`Formats`], the set one command accepts, which parses
//! `--format` and picks the format from `-o`'s extension.
//!
//! To add a format: a variant here with its name and extensions, then list
//! it in the `FORMATS` of each command that writes it and add the arm that
//! writes it there.

use std::ffi::OsStr;
use std::fmt;
use std::path::Path;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use whatif::error::Error;

/// Every output format any command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// Text for people, painted on a terminal.
    Text,
    /// JSON for tools.
    Json,
    /// Markdown, to paste into a review or a wiki.
    Markdown,
    /// Graphviz DOT.
    Dot,
    /// An SVG picture.
    Svg,
    /// A PNG picture (drawn by Graphviz).
    Png,
    /// A Mermaid chart, for Markdown on code hosts.
    Mermaid,
    /// A self-contained interactive HTML page.
    Html,
}

impl Format {
    /// The name `--format` takes.
    pub(super) fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Dot => "dot",
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Mermaid => "mermaid",
            Format::Html => "html",
        }
    }

    /// The file extensions (lower case, no dot) that mean this format; the
    /// first is the one hints suggest.
    pub(super) fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Text => &["txt"],
            Format::Json => &["json"],
            Format::Markdown => &["md", "markdown"],
            Format::Dot => &["dot", "gv"],
            Format::Svg => &["svg"],
            Format::Png => &["png"],
            Format::Mermaid => &["mmd", "mermaid"],
            Format::Html => &["html", "htm"],
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The formats one command writes, in the order its `--help` lists them,
/// and the one it writes when neither `--format` nor `-o` says. It is also
/// the clap parser of that command's `--format`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Formats {
    accepted: &'static [Format],
    default: Format,
}

impl Formats {
    /// The formats a command accepts, and its default.
    pub(super) const fn new(accepted: &'static [Format], default: Format) -> Self {
        Formats { accepted, default }
    }

    /// The format to write: `--format` when given, else the one `-o`'s
    /// extension names, else the default. An extension naming no format
    /// this command writes is a usage error listing the ones it does.
    pub(super) fn select(
        self,
        explicit: Option<Format>,
        output: Option<&Path>,
    ) -> Result<Format, Error> {
        if let Some(format) = explicit {
            return Ok(format);
        }
        let Some(path) = output else {
            return Ok(self.default);
        };
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        self.accepted
            .iter()
            .copied()
            .find(|f| f.extensions().contains(&extension.as_str()))
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "cannot tell the format of `{}` from its extension",
                        path.display()
                    ),
                    Some(format!("use {}, or give --format", self.extension_list())),
                )
            })
    }

    /// The accepted formats' names, for clap.
    fn possible_names(self) -> Vec<PossibleValue> {
        self.accepted
            .iter()
            .map(|f| PossibleValue::new(f.name()))
            .collect()
    }

    /// `.txt, .md or .json`: the extension of each accepted format.
    fn extension_list(self) -> String {
        let names: Vec<String> = self
            .accepted
            .iter()
            .map(|f| format!(".{}", f.extensions()[0]))
            .collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.concat(),
        }
    }
}

/// Parses `--format` as clap parses a value enum (same matching, same
/// error, same possible values in help and completions), accepting only
/// the command's formats.
impl TypedValueParser for Formats {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        let ignore_case = arg.is_some_and(clap::Arg::is_ignore_case_set);
        let names = PossibleValuesParser::new(self.possible_names());
        // Text that is not UTF-8 is checked in its lossy form, which no
        // name matches: clap reports it as an invalid value, as it does
        // for a value enum.
        let text = value.to_string_lossy();
        let given = names.parse_ref(cmd, arg, OsStr::new(text.as_ref()))?;
        let format = self
            .accepted
            .iter()
            .copied()
            .find(|f| PossibleValue::new(f.name()).matches(&given, ignore_case))
            .expect("clap accepted one of these names");
        Ok(format)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.possible_names().into_iter()))
    }
}

/// Text or JSON: the formats of the commands that only print reports.
pub(super) const TEXT_OR_JSON: Formats = Formats::new(&[Format::Text, Format::Json], Format::Text);

/// `--format text|json` and `-o FILE`, shared by the commands that print a
/// report (`check`, `scenario`, `spof`, `blast`, `cuts`, `availability`,
/// `diagnose`): text on standard output unless `--format` or `-o`'s
/// extension (`.txt`, `.json`) says otherwise; a file is written whole,
/// never over an input, and without colour.
#[derive(Debug, clap::Args)]
pub(super) struct ReportOutput {
    /// Write here instead of standard output; the extension picks the format (.txt, .json).
    #[arg(short, long)]
    pub(super) output: Option<std::path::PathBuf>,
    /// Output format (default: from -o's extension, else text).
    #[arg(long, value_parser = TEXT_OR_JSON)]
    pub(super) format: Option<Format>,
}

impl ReportOutput {
    /// The format to write, refusing an output that is one of `inputs`
    /// before any work is done.
    pub(super) fn prepare(&self, inputs: &super::output::Inputs) -> Result<Format, Error> {
        let format = TEXT_OR_JSON.select(self.format, self.output.as_deref())?;
        if let Some(output) = &self.output {
            inputs.check(output)?;
        }
        Ok(format)
    }

    /// Where text goes (for its colour and width): `-o`, if given.
    pub(super) fn path(&self) -> Option<&Path> {
        self.output.as_deref()
    }

    /// Writes the report to `-o` or standard output.
    pub(super) fn emit(&self, inputs: &super::output::Inputs, bytes: &[u8]) -> Result<(), Error> {
        super::output::emit(self.output.as_deref(), inputs, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_picks_an_accepted_format_and_the_hint_lists_them() {
        let review = Formats::new(
            &[Format::Text, Format::Markdown, Format::Html, Format::Json],
            Format::Text,
        );
        let pick = |p: &str| review.select(None, Some(Path::new(p)));
        assert_eq!(pick("r.MD").unwrap(), Format::Markdown);
        assert_eq!(pick("r.htm").unwrap(), Format::Html);
        assert_eq!(review.select(None, None).unwrap(), Format::Text);
        assert_eq!(
            review
                .select(Some(Format::Json), Some(Path::new("r.md")))
                .unwrap(),
            Format::Json
        );
        let Err(Error::Usage { message, hint }) = pick("r.svg") else {
            panic!("svg is not a review format");
        };
        assert_eq!(
            message,
            "cannot tell the format of `r.svg` from its extension"
        );
        assert_eq!(
            hint.as_deref(),
            Some("use .txt, .md, .html or .json, or give --format")
        );
    }
}
