//! Graphviz DOT, written with dot-writer. dot-writer escapes nothing, so
//! every name passes through [`quote`]; node ids are `n0`, `n1` … so no name
//! is ever DOT syntax.

use std::io::{self, Write};

use dot_writer::{Attributes, DotWriter, Scope};

use super::diagram::{Diagram, EdgeStyle, Paint, Shape};

/// Escapes text for use inside a DOT double-quoted string (dot-writer adds
/// the quotes). Backslashes are doubled so `\N`, `\G` and friends stay
/// literal; newlines become DOT's `\n` line break; other control characters
/// become U+FFFD.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn node_id(i: usize) -> String {
    format!("n{i}")
}

/// Which way calls run in the picture (`--rankdir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Top to bottom when that keeps the picture's shape near a screen's,
    /// else left to right ([`auto_direction`]).
    Auto,
    /// Callers above callees (DOT `rankdir=TB`).
    TopDown,
    /// Callers left of callees (DOT `rankdir=LR`).
    LeftRight,
}

/// Width over height that a picture aims for: a landscape screen or slide.
const TARGET_ASPECT: f64 = 1.5;

/// Writes the diagram as DOT. The text is built in memory first, so a
/// failing writer never sees half a graph.
pub fn write_dot(diagram: &Diagram, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&to_dot(diagram))
}

/// The diagram as DOT bytes, top-down or left-right as [`auto_direction`]
/// picks.
pub fn to_dot(diagram: &Diagram) -> Vec<u8> {
    to_dot_in(diagram, Direction::Auto)
}

/// Above this many services [`Direction::Auto`] keeps top-down without
/// measuring: a picture that big is read by zooming, not as a whole.
const AUTO_MAX_NODES: usize = 2_000;

/// The direction [`Direction::Auto`] picks: top-down, unless left-right
/// comes nearer [`TARGET_ASPECT`] (many services called by one, as behind
/// a gateway, make a top-down picture much wider than tall). Both shapes
/// are measured with the built-in layered layout ([`super::layout`],
/// which ranks and orders as Graphviz's `dot` does), the boxes sized from
/// their text and the edge labels given room between the ranks, where
/// `dot` puts them.
pub fn auto_direction(diagram: &Diagram) -> Direction {
    let n = diagram.nodes.len();
    if !(2..=AUTO_MAX_NODES).contains(&n) {
        return Direction::TopDown;
    }
    let edges: Vec<(usize, usize)> = diagram.edges.iter().map(|e| (e.from, e.to)).collect();
    // Points at 72 dpi: 11 pt node text, 9 pt edge labels.
    let sizes: Vec<(f64, f64)> = diagram
        .nodes
        .iter()
        .map(|node| {
            let lines = 1 + node.detail.iter().count() + node.operations.len();
            let chars = std::iter::once(&node.label)
                .chain(&node.detail)
                .chain(&node.operations)
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            (
                (chars as f64 * 6.2 + 18.0).max(54.0),
                (lines as f64 * 13.5 + 10.0).max(36.0),
            )
        })
        .collect();
    // With labels, `dot` gives every edge a node of its own between two
    // ranks (as big as its label, if any, and `nodesep` from the next):
    // per gap, Σ of those widths (top-down) and heights (left-right).
    let layer = super::layout::layers(n, &edges);
    let ranks = layer.iter().max().map_or(0, |&m| m + 1);
    let labelled = diagram.edges.iter().any(|e| e.label.is_some());
    let mut gaps = vec![(0.0_f64, 0.0_f64, 0.0_f64); ranks];
    for e in &diagram.edges {
        let (Some(&a), Some(&b)) = (layer.get(e.from), layer.get(e.to)) else {
            continue;
        };
        let (w, h) = match &e.label {
            Some(l) => (l.chars().count() as f64 * 5.2 + 6.0, 13.0),
            None => (0.0, 0.0),
        };
        for gap in &mut gaps[a.min(b)..a.max(b)] {
            gap.0 += w + 29.0;
            gap.1 += h + 29.0;
            gap.2 = gap.2.max(w);
        }
    }
    let down = super::layout::layered(&sizes, &edges);
    let busiest = |f: &dyn Fn(&(f64, f64, f64)) -> f64| gaps.iter().map(f).fold(0.0, f64::max);
    let top_down = (
        if labelled {
            down.width.max(busiest(&|g| g.0))
        } else {
            down.width
        },
        down.height,
    );
    let turned: Vec<(f64, f64)> = sizes.iter().map(|&(w, h)| (h, w)).collect();
    let across = super::layout::layered(&turned, &edges);
    let left_right = (
        across.height + gaps.iter().map(|g| g.2).sum::<f64>(),
        if labelled {
            across.width.max(busiest(&|g| g.1))
        } else {
            across.width
        },
    );
    let off = |(w, h): (f64, f64)| (w / h.max(1.0) / TARGET_ASPECT).ln().abs();
    // Ties (within 5 %) keep top-down, the usual way to read calls.
    if off(left_right) + 0.05 < off(top_down) {
        Direction::LeftRight
    } else {
        Direction::TopDown
    }
}

/// The diagram as DOT bytes, calls running in `direction`.
pub fn to_dot_in(diagram: &Diagram, direction: Direction) -> Vec<u8> {
    let rankdir = match direction {
        Direction::Auto => auto_direction(diagram),
        fixed => fixed,
    };
    let mut bytes = Vec::new();
    {
        let mut writer = DotWriter::from(&mut bytes);
        writer.set_pretty_print(true);
        let mut graph = writer.digraph();
        graph
            .graph_attributes()
            .set("label", &quote(&diagram.title), true)
            .set("labelloc", "t", false)
            .set("fontname", "Helvetica", true)
            .set(
                "rankdir",
                if rankdir == Direction::LeftRight {
                    "LR"
                } else {
                    "TB"
                },
                false,
            )
            .set("newrank", "true", false)
            .set("nodesep", "0.4", false)
            .set("ranksep", "0.6", false);
        graph
            .node_attributes()
            .set("fontname", "Helvetica", true)
            .set("fontsize", "11", false);
        graph
            .edge_attributes()
            .set("fontname", "Helvetica", true)
            .set("fontsize", "9", false);

        for (ci, cluster) in diagram.clusters.iter().enumerate() {
            let mut sub = graph.cluster();
            sub.graph_attributes()
                .set("label", &quote(&cluster.label), true)
                .set("style", "dashed,rounded", true)
                .set("color", "#7f93b2", true);
            for (i, node) in diagram.nodes.iter().enumerate() {
                if node.cluster == Some(ci) {
                    write_node(&mut sub, i, diagram);
                }
            }
        }
        for (i, node) in diagram.nodes.iter().enumerate() {
            if node.cluster.is_none() {
                write_node(&mut graph, i, diagram);
            }
        }
        for e in &diagram.edges {
            let edge = graph.edge(node_id(e.from), node_id(e.to));
            let mut attrs = edge.attributes();
            if let Some(label) = &e.label {
                attrs.set("label", &quote(label), true);
            }
            let (style, color, _) = edge_look(e.style);
            attrs.set("style", style, false);
            if e.highlight {
                attrs
                    .set("color", "#c0392b", true)
                    .set("penwidth", "2.5", false);
            } else {
                attrs.set("color", color, true);
            }
            if e.style == EdgeStyle::Alternative {
                attrs.set("arrowhead", "empty", false);
            }
        }
        write_legend(&mut graph, diagram, rankdir);
    }
    bytes
}

/// How each edge style is drawn: DOT style, colour, and the legend's word.
fn edge_look(style: EdgeStyle) -> (&'static str, &'static str, &'static str) {
    match style {
        EdgeStyle::Hard => ("solid", "#44515e", "hard"),
        EdgeStyle::Soft => ("dashed", "#44515e", "soft"),
        EdgeStyle::Async => ("dotted", "#44515e", "async / background"),
        EdgeStyle::Startup => ("dashed", "#9aa5b1", "startup only"),
        EdgeStyle::Alternative => ("solid", "#9aa5b1", "fallback path"),
    }
}

/// The legend: one table (a DOT HTML-like label, so it takes one place in
/// the layout whatever the direction) naming the states shown in a
/// cascade, each edge style used with a sample of its line, and the
/// causal path when one is drawn. Its node id, `legend`, cannot clash
/// with the diagram's (`n0`, `n1` …); its text is all ours.
fn write_legend(graph: &mut Scope, diagram: &Diagram, direction: Direction) {
    let mut cells: Vec<String> = [
        (Paint::Healthy, "healthy"),
        (Paint::Slow, "slow"),
        (Paint::Degraded, "degraded"),
        (Paint::Down, "down"),
    ]
    .into_iter()
    .filter(|(p, _)| diagram.nodes.iter().any(|n| n.paint == *p))
    .map(|(p, name)| {
        format!(
            "<td bgcolor=\"{}\" border=\"1\" color=\"{}\" style=\"rounded\"><font color=\"{}\">{name}</font></td>",
            p.fill(),
            p.stroke(),
            p.stroke()
        )
    })
    .collect();
    let mut lines: Vec<(EdgeStyle, bool)> = [
        EdgeStyle::Hard,
        EdgeStyle::Soft,
        EdgeStyle::Async,
        EdgeStyle::Startup,
        EdgeStyle::Alternative,
    ]
    .into_iter()
    .filter(|s| diagram.edges.iter().any(|e| e.style == *s))
    .map(|s| (s, false))
    .collect();
    if diagram.edges.iter().any(|e| e.highlight) {
        lines.push((EdgeStyle::Hard, true));
    }
    for (style, causal) in lines {
        let (_, colour, name) = edge_look(style);
        // A sample of the line in characters: DOT draws no lines in a table.
        let sample = match style {
            EdgeStyle::Hard | EdgeStyle::Alternative => "———",
            EdgeStyle::Soft | EdgeStyle::Startup => "– – –",
            EdgeStyle::Async => "· · · · ·",
        };
        let (colour, name, sample) = if causal {
            ("#c0392b", "causal path", "<b>━━━</b>")
        } else {
            (colour, name, sample)
        };
        let head = if style == EdgeStyle::Alternative {
            "▷"
        } else {
            "▶"
        };
        cells.push(format!(
            "<td><font color=\"{colour}\">{sample}{head}</font> {name}</td>"
        ));
    }
    if cells.is_empty() {
        return;
    }
    // A row across a top-down picture; a column beside a left-right one,
    // where it shares the first rank's width with the entry points.
    let rows = if direction == Direction::LeftRight {
        cells
            .iter()
            .map(|c| format!("<tr>{}</tr>", c.replacen("<td", "<td align=\"left\"", 1)))
            .collect::<String>()
    } else {
        format!("<tr>{}</tr>", cells.concat())
    };
    let label = format!(
        "<<table border=\"0\" cellborder=\"0\" cellspacing=\"4\" cellpadding=\"2\">{rows}</table>>"
    );
    graph
        .node_named("legend")
        .set("shape", "box", false)
        .set("style", "rounded", true)
        .set("color", "#b8c0c8", true)
        .set("fontsize", "9", false)
        .set("label", &label, false);
}

fn write_node(scope: &mut Scope, i: usize, diagram: &Diagram) {
    let node = &diagram.nodes[i];
    let label = std::iter::once(&node.label)
        .chain(&node.detail)
        .chain(&node.operations)
        .map(|line| quote(line))
        .collect::<Vec<_>>()
        .join("\\n");
    let (shape, style) = match node.shape {
        Shape::Service => ("box", "rounded,filled"),
        Shape::Frontend => ("box", "filled"),
        Shape::Gateway => ("hexagon", "filled"),
        Shape::Database => ("cylinder", "filled"),
        Shape::Cache => ("box3d", "filled"),
        Shape::Queue => ("cds", "filled"),
        Shape::External => ("box", "dashed,filled"),
    };
    let mut n = scope.node_named(node_id(i));
    n.set("label", &label, true)
        .set("shape", shape, false)
        .set("style", style, true)
        .set("fillcolor", node.paint.fill(), true)
        .set("color", node.paint.stroke(), true);
    if node.shape == Shape::Frontend {
        n.set("peripheries", "2", false);
    }
    if node.emphasis {
        n.set("penwidth", "2.5", false);
    }
    if node.paint != Paint::Neutral {
        n.set("fontcolor", node.paint.stroke(), true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::diagram::{Edge, Node};

    #[test]
    fn hostile_names_are_inert() {
        let evil = "a\"b\\N\nnode -> x; }{ <script>";
        let d = Diagram {
            title: evil.into(),
            clusters: vec![],
            nodes: vec![Node {
                label: evil.into(),
                detail: None,
                operations: Vec::new(),
                shape: Shape::Service,
                paint: Paint::Neutral,
                cluster: None,
                emphasis: false,
            }],
            edges: vec![Edge {
                from: 0,
                to: 0,
                label: Some(evil.into()),
                style: EdgeStyle::Hard,
                highlight: false,
            }],
        };
        let dot = String::from_utf8(to_dot(&d)).unwrap();
        assert!(
            dot.contains(r#""a\"b\\N\nnode -> x; }{ <script>""#),
            "{dot}"
        );
        // Every double quote in the output is either a delimiter or escaped.
        for line in dot.lines() {
            let unescaped = line.replace("\\\\", "").replace("\\\"", "");
            assert_eq!(
                unescaped.matches('"').count() % 2,
                0,
                "unbalanced quotes in {line}"
            );
        }
    }
}
