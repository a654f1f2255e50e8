//! Drawing a diagram in a picture format (DOT, SVG, PNG, Mermaid) for
//! `graph` and `run`, and `--layout`: who lays out SVG.

use std::io::{self, IsTerminal};
use std::path::Path;

use clap::ValueEnum;

use super::format::Format;
use whatif::error::Error;
use whatif::render::{Diagram, dot, graphviz, mermaid, svg};

/// `--layout`: who lays out SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Layout {
    Auto,
    Builtin,
    Graphviz,
}

/// A diagram in a picture format; `output` is where it will go (PNG
/// refuses a terminal).
pub(super) fn draw(
    diagram: &Diagram,
    format: Format,
    layout: Layout,
    output: Option<&Path>,
) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Dot => dot::to_dot(diagram),
        Format::Mermaid => mermaid_chart(diagram),
        Format::Svg => {
            let use_graphviz = match layout {
                Layout::Builtin => false,
                Layout::Graphviz => true,
                Layout::Auto => graphviz::available(),
            };
            if use_graphviz {
                graphviz::render(&dot::to_dot(diagram), "svg")?
            } else {
                let mut out = Vec::new();
                svg::write_svg(diagram, &mut out)?;
                out
            }
        }
        Format::Png => png(diagram, layout, output)?,
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
fn png(diagram: &Diagram, layout: Layout, output: Option<&Path>) -> Result<Vec<u8>, Error> {
    if layout == Layout::Builtin || !graphviz::available() {
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
    graphviz::render(&dot::to_dot(diagram), "png")
}
