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

/// Writes the diagram as DOT. The text is built in memory first, so a
/// failing writer never sees half a graph.
pub fn write_dot(diagram: &Diagram, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&to_dot(diagram))
}

/// The diagram as DOT bytes.
pub fn to_dot(diagram: &Diagram) -> Vec<u8> {
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
            .set("rankdir", "TB", false)
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
            let (style, color) = match e.style {
                EdgeStyle::Hard => ("solid", "#44515e"),
                EdgeStyle::Soft => ("dashed", "#44515e"),
                EdgeStyle::Async => ("dotted", "#44515e"),
                EdgeStyle::Startup => ("dashed", "#9aa5b1"),
                EdgeStyle::Alternative => ("solid", "#9aa5b1"),
            };
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
    }
    bytes
}

fn write_node(scope: &mut Scope, i: usize, diagram: &Diagram) {
    let node = &diagram.nodes[i];
    let label = match &node.detail {
        Some(d) => format!("{}\\n{}", quote(&node.label), quote(d)),
        None => quote(&node.label),
    };
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
