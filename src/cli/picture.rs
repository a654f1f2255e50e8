//! Drawing a diagram in a picture format (DOT, SVG, PNG, Mermaid) for
//! `graph` and `run`, and `--layout`: who lays out SVG.

use std::io::{self, IsTerminal};
use std::path::Path;

use clap::{Args, ValueEnum};

use super::format::Format;
use whatif::error::Error;
use whatif::render::dot::Direction;
use whatif::render::{Diagram, dot, graphviz, mermaid, svg};

/// `--layout`: who lays out SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Layout {
    Auto,
    Builtin,
    Graphviz,
}

/// `--rankdir`: which way calls run in a Graphviz picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Rankdir {
    /// Top to bottom, or left to right when that is nearer a screen's shape.
    Auto,
    /// Callers above callees.
    Tb,
    /// Callers left of callees.
    Lr,
}

/// How `graph` and `run` draw pictures.
#[derive(Debug, Clone, Copy, Args)]
pub(super) struct PictureArgs {
    /// Who lays out SVG: Graphviz when found (auto), or always the built-in layout.
    #[arg(long, value_enum, default_value_t = Layout::Auto)]
    pub(super) layout: Layout,
    /// Which way calls run in DOT, and in SVG and PNG drawn by Graphviz: top
    /// to bottom (tb), left to right (lr), or whichever keeps the picture
    /// nearer a screen's shape (auto: a wide fan-out turns it left to right).
    #[arg(long, value_enum, default_value_t = Rankdir::Auto)]
    pub(super) rankdir: Rankdir,
}

impl PictureArgs {
    /// `--rankdir` as the DOT writer takes it.
    pub(super) fn direction(self) -> Direction {
        match self.rankdir {
            Rankdir::Auto => Direction::Auto,
            Rankdir::Tb => Direction::TopDown,
            Rankdir::Lr => Direction::LeftRight,
        }
    }
}

/// A diagram in a picture format; `output` is where it will go (PNG
/// refuses a terminal).
pub(super) fn draw(
    diagram: &Diagram,
    format: Format,
    how: PictureArgs,
    output: Option<&Path>,
) -> Result<Vec<u8>, Error> {
    let direction = how.direction();
    let layout = how.layout;
    Ok(match format {
        Format::Dot => dot::to_dot_in(diagram, direction),
        Format::Mermaid => mermaid_chart(diagram),
        Format::Svg => {
            let use_graphviz = match layout {
                Layout::Builtin => false,
                Layout::Graphviz => true,
                Layout::Auto => graphviz::available(),
            };
            if use_graphviz {
                graphviz::render(&dot::to_dot_in(diagram, direction), "svg")?
            } else {
                let mut out = Vec::new();
                svg::write_svg(diagram, &mut out)?;
                out
            }
        }
        Format::Png => png(diagram, layout, direction, output)?,
        Format::Text | Format::Json | Format::Markdown | Format::Html => {
            unreachable!("{format} is not a picture format")
        }
    })
}

/// Mermaid text, with a warning on stderr when it is past what Mermaid
/// draws by default.
fn mermaid_chart(diagram: &Diagram) -> Vec<u8> {
    let text = mermaid::to_mermaid(diagram);
    // Mermaid's defaults (maxTextSize, maxEdges): past them a code
    // host shows an error box instead of the chart.
    if text.len() > 50_000 || diagram.edges.len() > 500 {
        eprintln!(
            "warning: this Mermaid chart has {} characters and {} edges; Mermaid draws at most 50,000 and 500 by default (draw a part with `whatif graph --focus`)",
            text.len(),
            diagram.edges.len()
        );
    }
    text
}

/// PNG, drawn by Graphviz; never to a terminal.
fn png(
    diagram: &Diagram,
    layout: Layout,
    direction: Direction,
    output: Option<&Path>,
) -> Result<Vec<u8>, Error> {
    if layout == Layout::Builtin {
        return Err(Error::usage(
            "PNG is drawn by Graphviz, and `--layout builtin` asks for whatif's own layout",
            Some(
                "write SVG with the built-in layout (`-o out.svg`), or drop `--layout builtin`"
                    .into(),
            ),
        ));
    }
    if !graphviz::available() {
        return Err(Error::usage(
            "PNG needs Graphviz (`dot`), which is not installed",
            Some(
                "install Graphviz (e.g. `apt-get install graphviz`), or write SVG with `-o out.svg`"
                    .into(),
            ),
        ));
    }
    if output.is_none() && io::stdout().is_terminal() {
        return Err(Error::usage(
            "PNG is binary and standard output is a terminal",
            Some("write it to a file with `-o out.png`".into()),
        ));
    }
    graphviz::render(&dot::to_dot_in(diagram, direction), "png")
}
