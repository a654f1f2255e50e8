//! Mermaid flowcharts, for pasting into Markdown on code hosts (GitHub,
//! GitLab, Gitea render ```` ```mermaid ```` blocks). Written from the same
//! [`Diagram`] as DOT and SVG, so every format shows the same boxes, arrows,
//! zones and states.
//!
//! The chart runs left to right (`flowchart LR`): architectures are wider
//! than they are deep, and a code host's page is narrow and scrolls down, so
//! the breadth goes down the page. Node ids are `n0`, `n1` … and zone ids
//! `z0`, `z1` …, never names; every name and label passes through [`label`],
//! which leaves only letters, digits, spaces and a few harmless marks as
//! they are and writes everything else as one of Mermaid's entity codes
//! (`#34;` for `"`), so no name can end a string, start a directive or a
//! comment, or become markup. The title is a `%%` comment: Mermaid shows a
//! front-matter title only after its HTML sanitiser, which drops a name's
//! `<script>…</script>`, and decodes no entity codes there.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::diagram::{Diagram, Edge, EdgeStyle, Paint, Shape};

/// Escapes text for use inside a Mermaid double-quoted label (`["…"]`,
/// `-->|"…"|`, `subgraph z0["…"]`); the caller adds the quotes.
///
/// ASCII letters, digits, space and `- . , _ / + = ' ! ? @ ( )` stay as they
/// are, and so does other Unicode text. Every other ASCII mark becomes a
/// decimal entity code `#NN;`: among them `"` (ends the string), `#` and `;`
/// (entity codes), `%` (`%%{init}%%` directives), `<` `>` `&` (markup),
/// `` ` `` (Markdown strings), `$` (math), `:` (Mermaid strips the last `;`
/// of any line that holds `style…:…#…;`), `|` and brackets. A newline
/// becomes `<br>`, Mermaid's line break (the one piece of markup written);
/// `\r` is dropped; other control characters and the Unicode line
/// separators become U+FFFD. Mermaid carries entity codes through its
/// parser as `ﬂ°°NN¶ß` and turns every `ﬂ°` and `¶ß` in the finished SVG
/// into `&` and `;`, so a name holding those would be shown as something
/// else: an invisible WORD JOINER (U+2060) follows each `ﬂ` and `¶`.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push('\u{fffd}'),
            c if c.is_ascii_alphanumeric() => out.push(c),
            ' ' | '-' | '.' | ',' | '_' | '/' | '+' | '=' | '\'' | '!' | '?' | '@' | '(' | ')' => {
                out.push(c)
            }
            c if c.is_ascii() => out.push_str(&format!("#{};", u32::from(c))),
            '\u{fb02}' | '¶' => {
                out.push(c);
                out.push('\u{2060}');
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for a `%%` comment line: one line, and no `%%` that could open a
/// directive (`%%{init: …}%%` is honoured anywhere in the text).
fn comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.push(' ');
        } else {
            if c == '%' && out.ends_with('%') {
                out.push(' ');
            }
            out.push(c);
        }
    }
    out
}

fn node_id(i: usize) -> String {
    format!("n{i}")
}

/// The opening and closing brackets of a shape (quotes go between).
fn brackets(shape: Shape) -> (&'static str, &'static str) {
    match shape {
        Shape::Service => ("(", ")"),
        Shape::Frontend => ("[[", "]]"),
        Shape::Gateway => ("{{", "}}"),
        Shape::Database => ("[(", ")]"),
        Shape::Cache => ("([", "])"),
        Shape::Queue => (">", "]"),
        Shape::External => ("[", "]"),
    }
}

/// The class name of a paint (also its `classDef`).
fn class_name(paint: Paint) -> &'static str {
    match paint {
        Paint::Neutral => "neutral",
        Paint::Healthy => "healthy",
        Paint::Slow => "slow",
        Paint::Degraded => "degraded",
        Paint::Down => "down",
    }
}

const PAINTS: [Paint; 5] = [
    Paint::Neutral,
    Paint::Healthy,
    Paint::Slow,
    Paint::Degraded,
    Paint::Down,
];

/// The arrow of an edge: solid, dotted or thick (a highlighted hard edge).
fn arrow(e: &Edge) -> &'static str {
    match e.style {
        EdgeStyle::Hard if e.highlight => "==>",
        EdgeStyle::Hard | EdgeStyle::Alternative => "-->",
        EdgeStyle::Soft | EdgeStyle::Async | EdgeStyle::Startup => "-.->",
    }
}

/// The `linkStyle` of an edge beyond what its arrow shows, as DOT colours
/// it: async is dotted finer, startup and fallback paths grey, a causal
/// path red and thick. `None` for the plain cases.
fn link_style(e: &Edge) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if e.highlight {
        parts.push("stroke:#c0392b,stroke-width:2.5px");
    } else if matches!(e.style, EdgeStyle::Startup | EdgeStyle::Alternative) {
        parts.push("stroke:#9aa5b1");
    }
    if e.style == EdgeStyle::Async {
        parts.push("stroke-dasharray:2 4");
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Writes the diagram as a Mermaid flowchart. The text is built in memory
/// first, so a failing writer never sees half a chart.
pub fn write_mermaid(diagram: &Diagram, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&to_mermaid(diagram))
}

/// The diagram as Mermaid text.
pub fn to_mermaid(diagram: &Diagram) -> Vec<u8> {
    let mut s = String::new();
    if !diagram.title.is_empty() {
        s.push_str(&format!("%% {}\n", comment(&diagram.title)));
    }
    s.push_str("flowchart LR\n");
    let node = |s: &mut String, i: usize, indent: &str| {
        let n = &diagram.nodes[i];
        let (open, close) = brackets(n.shape);
        let mut text = label(&n.label);
        for line in n.detail.iter().chain(&n.operations) {
            text.push_str("<br>");
            text.push_str(&label(line));
        }
        s.push_str(&format!("{indent}{}{open}\"{text}\"{close}\n", node_id(i)));
    };
    for (ci, cluster) in diagram.clusters.iter().enumerate() {
        s.push_str(&format!(
            "  subgraph z{ci}[\"{}\"]\n",
            label(&cluster.label)
        ));
        for (i, n) in diagram.nodes.iter().enumerate() {
            if n.cluster == Some(ci) {
                node(&mut s, i, "    ");
            }
        }
        s.push_str("  end\n");
    }
    for (i, n) in diagram.nodes.iter().enumerate() {
        if n.cluster.is_none() {
            node(&mut s, i, "  ");
        }
    }
    // Edges with the same extra style share one `linkStyle` line, in order
    // of first use.
    let mut styles: Vec<(String, Vec<usize>)> = Vec::new();
    for (k, e) in diagram.edges.iter().enumerate() {
        let text = match &e.label {
            Some(l) => format!("|\"{}\"|", label(l)),
            None => String::new(),
        };
        s.push_str(&format!(
            "  {} {}{text} {}\n",
            node_id(e.from),
            arrow(e),
            node_id(e.to)
        ));
        if let Some(style) = link_style(e) {
            match styles.iter_mut().find(|(st, _)| *st == style) {
                Some((_, ks)) => ks.push(k),
                None => styles.push((style, vec![k])),
            }
        }
    }
    for (style, ks) in &styles {
        let ks: Vec<String> = ks.iter().map(usize::to_string).collect();
        s.push_str(&format!("  linkStyle {} {style}\n", ks.join(",")));
    }
    // States (and the plain architecture's neutral fill) as classes.
    let mut by_paint: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, n) in diagram.nodes.iter().enumerate() {
        let k = PAINTS.iter().position(|&p| p == n.paint).unwrap_or(0);
        by_paint.entry(k).or_default().push(node_id(i));
    }
    for (&k, ids) in &by_paint {
        let p = PAINTS[k];
        let name = class_name(p);
        s.push_str(&format!(
            "  classDef {name} fill:{},stroke:{},color:{}\n",
            p.fill(),
            p.stroke(),
            p.stroke()
        ));
        s.push_str(&format!("  class {} {name}\n", ids.join(",")));
    }
    let marked = |pred: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..diagram.nodes.len())
            .filter(|&i| pred(i))
            .map(node_id)
            .collect()
    };
    let external = marked(&|i| diagram.nodes[i].shape == Shape::External);
    if !external.is_empty() {
        s.push_str("  classDef external stroke-dasharray:4 3\n");
        s.push_str(&format!("  class {} external\n", external.join(",")));
    }
    let emphasis = marked(&|i| diagram.nodes[i].emphasis);
    if !emphasis.is_empty() {
        s.push_str("  classDef emphasis stroke-width:3px\n");
        s.push_str(&format!("  class {} emphasis\n", emphasis.join(",")));
    }
    if !diagram.clusters.is_empty() {
        let zones: Vec<String> = (0..diagram.clusters.len())
            .map(|c| format!("z{c}"))
            .collect();
        s.push_str("  classDef zone fill:none,stroke:#7f93b2,stroke-dasharray:5 5\n");
        s.push_str(&format!("  class {} zone\n", zones.join(",")));
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::diagram::{Cluster, Node};

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(label("catalog-db"), "catalog-db");
        assert_eq!(label("web.checkout (v2)"), "web.checkout (v2)");
        assert_eq!(
            label("1s · 2 retries · ×3 calls"),
            "1s · 2 retries · ×3 calls"
        );
        assert_eq!(label("Zürich"), "Zürich");
    }

    #[test]
    fn every_special_mark_becomes_an_entity_code() {
        assert_eq!(label("a\"b"), "a#34;b");
        assert_eq!(label("<script>"), "#60;script#62;");
        assert_eq!(label("#quot;"), "#35;quot#59;");
        assert_eq!(label("`md`"), "#96;md#96;");
        assert_eq!(label("a|b"), "a#124;b");
        assert_eq!(label("[x]{y}"), "#91;x#93;#123;y#125;");
        assert_eq!(label("90%"), "90#37;");
        assert_eq!(
            label("%%{init: {}}%%"),
            "#37;#37;#123;init#58; #123;#125;#125;#37;#37;"
        );
        assert_eq!(label("$$x$$"), "#36;#36;x#36;#36;");
        assert_eq!(label("a&amp;b"), "a#38;amp#59;b");
        assert_eq!(label("back\\slash"), "back#92;slash");
        assert_eq!(label("style x:#f;"), "style x#58;#35;f#59;");
    }

    #[test]
    fn line_breaks_and_control_characters() {
        assert_eq!(label("multi\nline"), "multi<br>line");
        assert_eq!(label("a\r\nb"), "a<br>b");
        assert_eq!(label("a\tb\u{7}c"), "a\u{fffd}b\u{fffd}c");
        assert_eq!(label("a\u{2028}b"), "a\u{fffd}b");
    }

    #[test]
    fn mermaids_own_entity_markers_cannot_be_forged() {
        assert_eq!(label("\u{fb02}°°60¶ß"), "\u{fb02}\u{2060}°°60¶\u{2060}ß");
    }

    #[test]
    fn escaped_labels_hold_only_safe_ascii() {
        let all: String = (0u8..128).map(char::from).collect();
        let escaped = label(&all).replace("<br>", "");
        for c in escaped.chars() {
            assert!(
                c.is_ascii_alphanumeric() || " -.,_/+='!?@()#;".contains(c) || c == '\u{fffd}',
                "{c:?} left in {escaped}"
            );
        }
        // `#` and `;` appear only as parts of `#NN;` codes.
        let stripped: String = {
            let mut s = escaped.clone();
            while let Some(start) = s.find('#') {
                let end = start + s[start..].find(';').expect("closed code");
                assert!(s[start + 1..end].chars().all(|c| c.is_ascii_digit()));
                s.replace_range(start..=end, "");
            }
            s
        };
        assert!(!stripped.contains(';'));
    }

    #[test]
    fn comments_cannot_open_a_directive() {
        assert_eq!(comment("a\nb"), "a b");
        assert_eq!(comment("%%{init}%%"), "% %{init}% %");
        assert_eq!(comment("x @5%"), "x @5%");
    }

    fn node(label: &str, shape: Shape, paint: Paint) -> Node {
        Node {
            label: label.into(),
            detail: None,
            operations: Vec::new(),
            shape,
            paint,
            cluster: None,
            emphasis: false,
        }
    }

    #[test]
    fn shapes_edges_states_and_zones() {
        let mut db = node("db", Shape::Database, Paint::Down);
        db.cluster = Some(0);
        db.detail = Some("DOWN 0%".into());
        let mut web = node("web", Shape::Frontend, Paint::Degraded);
        web.emphasis = true;
        let d = Diagram {
            title: "shop — --down db".into(),
            clusters: vec![Cluster {
                label: "zone a".into(),
            }],
            nodes: vec![web, db, node("pay", Shape::External, Paint::Healthy)],
            edges: vec![
                Edge {
                    from: 0,
                    to: 1,
                    label: Some("1s".into()),
                    style: EdgeStyle::Hard,
                    highlight: true,
                },
                Edge {
                    from: 0,
                    to: 2,
                    label: None,
                    style: EdgeStyle::Async,
                    highlight: false,
                },
                Edge {
                    from: 0,
                    to: 2,
                    label: Some("failover".into()),
                    style: EdgeStyle::Alternative,
                    highlight: false,
                },
            ],
        };
        let text = String::from_utf8(to_mermaid(&d)).unwrap();
        assert_eq!(
            text,
            "%% shop — --down db
flowchart LR
  subgraph z0[\"zone a\"]
    n1[(\"db<br>DOWN 0#37;\")]
  end
  n0[[\"web\"]]
  n2[\"pay\"]
  n0 ==>|\"1s\"| n1
  n0 -.-> n2
  n0 -->|\"failover\"| n2
  linkStyle 0 stroke:#c0392b,stroke-width:2.5px
  linkStyle 1 stroke-dasharray:2 4
  linkStyle 2 stroke:#9aa5b1
  classDef healthy fill:#d8f0d8,stroke:#2e6b2e,color:#2e6b2e
  class n2 healthy
  classDef degraded fill:#ffd39b,stroke:#9a4d00,color:#9a4d00
  class n0 degraded
  classDef down fill:#f4a6a6,stroke:#a11d1d,color:#a11d1d
  class n1 down
  classDef external stroke-dasharray:4 3
  class n2 external
  classDef emphasis stroke-width:3px
  class n0 emphasis
  classDef zone fill:none,stroke:#7f93b2,stroke-dasharray:5 5
  class z0 zone
"
        );
    }
}
