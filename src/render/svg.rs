//! The built-in SVG writer: draws a [`Diagram`] with the crate's own layered
//! layout ([`super::layout`]), so pictures work without Graphviz installed.
//!
//! Every piece of text in a diagram (names, details, titles, zone and policy
//! labels) comes from a user's model and is treated as hostile: it is forced
//! onto one line, stripped of characters XML cannot carry, and escaped. The
//! document is built in memory and written in one call, so a reader never
//! sees half a picture, and the same diagram always gives the same bytes.

use std::fmt::{self, Write as _};
use std::io;

use super::diagram::{Diagram, EdgeStyle, Node, Paint, Shape};
use super::layout::{self, EdgePath, Layout, NodeBox};
pub use crate::text::xml_text;
use crate::text::{clean, escape_xml};

const FONT: &str = "Helvetica, Arial, sans-serif";
/// Approximate advance of one character of a 12 px label.
const LABEL_CHAR_W: f64 = 7.2;
/// Approximate advance of one character of a 10 px detail or edge label.
const SMALL_CHAR_W: f64 = 6.0;
/// Approximate advance of one character of the 14 px bold title.
const TITLE_CHAR_W: f64 = 8.4;
/// Approximate advance of one character of 11 px legend and zone text.
const LEGEND_CHAR_W: f64 = 6.4;
const MAX_NODE_W: f64 = 260.0;
const MIN_NODE_W: f64 = 84.0;
/// Space between a box's text and its sides.
const PAD_X: f64 = 12.0;
const MARGIN: f64 = 20.0;
/// Length of an arrowhead; paths stop this short of the box so the tip,
/// not the line's blunt end, touches the border.
const ARROW_LEN: f64 = 9.0;
const CLUSTER_PAD: f64 = 12.0;
const CLUSTER_LABEL_H: f64 = 16.0;
/// How far a hexagon's corners and a queue's point stick out sideways.
const POINT_DEPTH: f64 = 14.0;
/// Vertical radius of a cylinder's top and bottom ellipses.
const CYL_RY: f64 = 7.0;
/// How far a cache's back outline is offset.
const CACHE_OFFSET: f64 = 5.0;
const EDGE_LABEL_MAX_CHARS: usize = 60;
/// Height of one entry operation's line in a box.
const OP_LINE_H: f64 = 14.0;
const STATE_COLOURS: [(Paint, &str); 4] = [
    (Paint::Healthy, "healthy"),
    (Paint::Slow, "slow"),
    (Paint::Degraded, "degraded"),
    (Paint::Down, "down"),
];
const EDGE_KINDS: [(EdgeStyle, &str); 5] = [
    (EdgeStyle::Hard, "hard"),
    (EdgeStyle::Soft, "soft"),
    (EdgeStyle::Async, "async / background"),
    (EdgeStyle::Startup, "startup only"),
    (EdgeStyle::Alternative, "fallback path"),
];
const HIGHLIGHT: &str = "#c0392b";
const GREY: &str = "#8a949e";
const DARK: &str = "#44515e";

/// Writes `diagram` as one standalone SVG document, in a single
/// `write_all` call.
pub fn write_svg(diagram: &Diagram, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(diagram, None).as_bytes())
}

/// The picture for the interactive HTML page ([`super::interactive`]): the
/// same drawing, plus hooks for its script and style sheet.
///
/// - Each node's group carries `class="wf-node"` and `data-service="I"`,
///   `I` its index in [`Diagram::nodes`] (a service's index when the
///   diagram is the whole model; see [`interactive_svg_of`] for a part of
///   it) — never its name, which is untrusted.
/// - Each node has a second text line (`class="wf-detail"`), empty when it
///   has no detail, and its box is wide enough for the page to write a
///   state and success in front of the detail ([`STATUS_ROOM`]).
/// - Arrows that can carry a failure (all but fallback paths) carry
///   `class="wf-edge"`, `data-from` and `data-to` (node indices), so the
///   page can draw a cascade's causal paths.
/// - The legend leaves out the state colours: the page has its own.
pub fn interactive_svg(diagram: &Diagram) -> String {
    let ids: Vec<usize> = (0..diagram.nodes.len()).collect();
    render(diagram, Some(&ids))
}

/// [`interactive_svg`] of a diagram of some services only: node `i` is
/// tagged (`data-service`, `data-from`, `data-to`) as `ids[i]`, its
/// service's index in the whole model.
pub fn interactive_svg_of(diagram: &Diagram, ids: &[usize]) -> String {
    assert_eq!(ids.len(), diagram.nodes.len(), "one index per node");
    render(diagram, Some(ids))
}

/// The widest status the interactive page writes in front of a node's
/// detail (a state in capitals and a success percentage).
pub const STATUS_ROOM: &str = "DEGRADED 99.99%";

/// Cleaned and escaped: ready for text or an attribute value.
fn text(s: &str) -> String {
    escape_xml(&clean(s))
}

/// Cleans `s` and shortens it with `…` to about `max_width` pixels.
fn fit(s: &str, char_w: f64, max_width: f64) -> String {
    let s = clean(s);
    let max_chars = ((max_width / char_w).floor() as usize).max(2);
    if s.chars().count() <= max_chars {
        s
    } else {
        let mut short: String = s.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

fn text_width(s: &str, char_w: f64) -> f64 {
    s.chars().count() as f64 * char_w
}

/// A coordinate, with at most one decimal and no `.0` or `-0`.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = (self.0 * 10.0).round() / 10.0;
        if !r.is_finite() || r == 0.0 {
            f.write_str("0")
        } else if r.fract() == 0.0 {
            write!(f, "{r:.0}")
        } else {
            write!(f, "{r:.1}")
        }
    }
}

/// A `String` written with `write!` without a `Result` at every call:
/// formatting into memory cannot fail.
#[derive(Default)]
struct Doc(String);

impl Doc {
    fn put(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
    }
}

macro_rules! put {
    ($doc:expr, $($arg:tt)*) => { $doc.put(format_args!($($arg)*)) };
}

/// What a node shows, and how big its box is.
struct NodeText {
    label: String,
    detail: Option<String>,
    /// Entry operations, one line each under the detail.
    operations: Vec<String>,
    size: (f64, f64),
}

/// Extra width and height a shape's outline needs beyond the text area.
fn shape_extra(shape: Shape) -> (f64, f64) {
    match shape {
        Shape::Gateway | Shape::Queue => (2.0 * POINT_DEPTH, 0.0),
        Shape::Database => (0.0, 2.0 * CYL_RY),
        Shape::Cache => (CACHE_OFFSET, CACHE_OFFSET),
        Shape::Service | Shape::Frontend | Shape::External => (0.0, 0.0),
    }
}

/// What a node shows; `interactive` reserves a detail line with room for
/// [`STATUS_ROOM`] in front of the detail.
fn node_text(node: &Node, interactive: bool) -> NodeText {
    let (extra_w, extra_h) = shape_extra(node.shape);
    let room = MAX_NODE_W - 2.0 * PAD_X - extra_w;
    let label = fit(&node.label, LABEL_CHAR_W, room);
    let mut detail = node.detail.as_deref().map(|d| fit(d, SMALL_CHAR_W, room));
    let mut detail_w = detail
        .as_deref()
        .map_or(0.0, |d| text_width(d, SMALL_CHAR_W));
    if interactive {
        let reserved = match &detail {
            Some(d) => format!("{STATUS_ROOM} · {d}"),
            None => STATUS_ROOM.to_owned(),
        };
        detail_w = detail_w.max(text_width(&reserved, SMALL_CHAR_W));
        detail.get_or_insert_with(String::new);
    }
    let operations: Vec<String> = node
        .operations
        .iter()
        .map(|o| fit(o, SMALL_CHAR_W, room))
        .collect();
    let text_w = operations
        .iter()
        .map(|o| text_width(o, SMALL_CHAR_W))
        .fold(text_width(&label, LABEL_CHAR_W).max(detail_w), f64::max);
    let width = (text_w + 2.0 * PAD_X + extra_w).clamp(MIN_NODE_W, MAX_NODE_W);
    let height =
        if detail.is_some() { 48.0 } else { 34.0 } + OP_LINE_H * operations.len() as f64 + extra_h;
    NodeText {
        label,
        detail,
        operations,
        size: (width, height),
    }
}

/// Stroke colour, width and dash pattern of an edge.
fn edge_look(style: EdgeStyle, highlight: bool) -> (&'static str, f64, Option<&'static str>) {
    let (colour, width, dash) = match style {
        EdgeStyle::Hard => (DARK, 1.4, None),
        EdgeStyle::Soft => (DARK, 1.4, Some("6 4")),
        EdgeStyle::Async => (DARK, 1.4, Some("2 3")),
        EdgeStyle::Startup => (GREY, 1.2, Some("6 4")),
        EdgeStyle::Alternative => (GREY, 0.9, None),
    };
    if highlight {
        (HIGHLIGHT, 2.5, dash)
    } else {
        (colour, width, dash)
    }
}

fn marker_id(colour: &str) -> &'static str {
    match colour {
        HIGHLIGHT => "whatif-arrow-red",
        GREY => "whatif-arrow-grey",
        _ => "whatif-arrow",
    }
}

/// A gap segment's smooth curve: leaves and enters vertically, so arrows
/// hit box tops and bottoms square on.
fn curve_to(d: &mut Doc, p: (f64, f64), q: (f64, f64)) {
    if (p.0 - q.0).abs() < 0.05 {
        put!(d, " L{},{}", N(q.0), N(q.1));
    } else {
        let my = (p.1 + q.1) / 2.0;
        put!(
            d,
            " C{},{} {},{} {},{}",
            N(p.0),
            N(my),
            N(q.0),
            N(my),
            N(q.0),
            N(q.1)
        );
    }
}

/// The `d` attribute of an edge, stopped short by an arrowhead's length
/// along its final direction.
fn edge_d(points: &[(f64, f64)], self_loop: bool) -> String {
    let mut d = Doc::default();
    let Some((&first, rest)) = points.split_first() else {
        return String::new();
    };
    put!(d, "M{},{}", N(first.0), N(first.1));
    if self_loop && points.len() == 4 {
        let (c1, c2, end) = (points[1], points[2], points[3]);
        let (dx, dy) = (end.0 - c2.0, end.1 - c2.1);
        let len = dx.hypot(dy).max(1e-9);
        let tip = (end.0 - dx / len * ARROW_LEN, end.1 - dy / len * ARROW_LEN);
        put!(
            d,
            " C{},{} {},{} {},{}",
            N(c1.0),
            N(c1.1),
            N(c2.0),
            N(c2.1),
            N(tip.0),
            N(tip.1)
        );
        return d.0;
    }
    let mut prev = first;
    for (i, &q) in rest.iter().enumerate() {
        let q = if i + 1 == rest.len() {
            let dy = q.1 - prev.1;
            let cut = ARROW_LEN.min(dy.abs() / 2.0);
            (q.0, q.1 - cut * dy.signum())
        } else {
            q
        };
        curve_to(&mut d, prev, q);
        prev = q;
    }
    d.0
}

/// A policy label on an edge: the whole label (cleaned, not escaped), and
/// where it is drawn, if anywhere. A label with no free room is drawn
/// nowhere: the edge's hover title carries it.
struct EdgeLabel {
    full: String,
    placed: Option<PlacedLabel>,
}

/// A label drawn beside or on its edge.
struct PlacedLabel {
    /// The text drawn (the whole label, or its first
    /// [`EDGE_LABEL_MAX_CHARS`] characters and `…`).
    shown: String,
    /// Baseline anchor point.
    at: (f64, f64),
    /// SVG `text-anchor`.
    anchor: &'static str,
    /// The box the text takes, for keeping labels apart.
    rect: Rect,
}

/// The box a 10 px label takes with its baseline anchored at `at`.
fn label_rect(shown: &str, at: (f64, f64), anchor: &str) -> Rect {
    let w = text_width(shown, SMALL_CHAR_W) + 4.0;
    let x0 = match anchor {
        "start" => at.0 - 2.0,
        "end" => at.0 - w + 2.0,
        _ => at.0 - w / 2.0,
    };
    (x0, at.1 - 10.0, x0 + w, at.1 + 3.0)
}

fn intersects(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// A point of a gap segment's curve ([`curve_to`]) at `t` from `p` to `q`.
fn on_curve(p: (f64, f64), q: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    let my = (p.1 + q.1) / 2.0;
    (
        p.0 * u * u * (1.0 + 2.0 * t) + q.0 * t * t * (3.0 - 2.0 * t),
        u * u * u * p.1 + 3.0 * u * t * (u + t) * my + t * t * t * q.1,
    )
}

/// Where an edge's label may go, best first: along its gap segments (where
/// no box can be, see [`EdgePath`]), the middle one first, nearest each
/// segment's middle first, centred on the line, then beside it.
fn label_spots(path: &EdgePath, self_loop: bool) -> Vec<((f64, f64), &'static str)> {
    let pts = &path.points;
    if self_loop && pts.len() == 4 {
        let x = pts[1].0 * 0.75 + pts[0].0 * 0.25 + 4.0;
        return vec![((x, (pts[0].1 + pts[3].1) / 2.0 + 3.5), "start")];
    }
    if pts.len() < 2 {
        return Vec::new();
    }
    let gaps = pts.len() / 2;
    let middle = (gaps - 1) / 2;
    let mut order: Vec<usize> = (0..gaps).collect();
    order.sort_by_key(|&g| (g.abs_diff(middle), g));
    let mut spots = Vec::new();
    for g in order {
        let (p, q) = (pts[2 * g], pts[2 * g + 1]);
        for t in [0.5, 0.35, 0.65, 0.22, 0.78] {
            let (x, y) = on_curve(p, q, t);
            let y = y + 3.5;
            spots.push(((x, y), "middle"));
            spots.push(((x + 5.0, y), "start"));
            spots.push(((x - 5.0, y), "end"));
        }
    }
    spots
}

/// Places every edge's label where it overlaps no box, no zone's name and
/// no other label: causal paths first (their labels matter most), then in
/// edge order. A label that fits nowhere is left to its edge's hover title.
fn place_labels(
    diagram: &Diagram,
    layout: &Layout,
    clusters: &[Option<Rect>],
) -> Vec<Option<EdgeLabel>> {
    let mut taken: Vec<Rect> = layout
        .nodes
        .iter()
        .map(|b| {
            (
                b.x - 3.0,
                b.y - 3.0,
                b.x + b.width + 3.0,
                b.y + b.height + 3.0,
            )
        })
        .collect();
    for (cluster, rect) in diagram.clusters.iter().zip(clusters) {
        if let Some((x0, y0, x1, _)) = *rect {
            let w = text_width(&clean(&cluster.label), LEGEND_CHAR_W).min(x1 - x0 - 16.0);
            taken.push((x0 + 6.0, y0 + 2.0, x0 + 10.0 + w, y0 + 18.0));
        }
    }
    let mut labels: Vec<Option<EdgeLabel>> = diagram
        .edges
        .iter()
        .map(|e| {
            e.label.as_deref().map(|l| EdgeLabel {
                full: clean(l),
                placed: None,
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..diagram.edges.len()).collect();
    order.sort_by_key(|&k| !diagram.edges[k].highlight);
    for k in order {
        let (e, path) = (&diagram.edges[k], &layout.edges[k]);
        let Some(label) = labels[k].as_mut() else {
            continue;
        };
        let shown = fit(
            &label.full,
            SMALL_CHAR_W,
            EDGE_LABEL_MAX_CHARS as f64 * SMALL_CHAR_W,
        );
        let free = label_spots(path, e.from == e.to)
            .into_iter()
            .map(|(at, anchor)| (at, anchor, label_rect(&shown, at, anchor)))
            .find(|&(_, _, rect)| {
                let padded = (rect.0 - 2.0, rect.1 - 1.0, rect.2 + 2.0, rect.3 + 1.0);
                !taken.iter().any(|&t| intersects(padded, t))
            });
        if let Some((at, anchor, rect)) = free {
            taken.push(rect);
            label.placed = Some(PlacedLabel {
                shown,
                at,
                anchor,
                rect,
            });
        }
    }
    labels
}

/// A rectangle as (left, top, right, bottom).
type Rect = (f64, f64, f64, f64);

fn union(a: Rect, b: Rect) -> Rect {
    (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))
}

/// One outline per zone around its members' boxes. The layout keeps a
/// zone's members side by side within each layer but not across layers, so
/// two zones' outlines may overlap, or cover a node of neither; that is
/// accepted (Graphviz does better when installed).
fn cluster_rects(diagram: &Diagram, layout: &Layout) -> Vec<Option<Rect>> {
    let mut rects: Vec<Option<Rect>> = vec![None; diagram.clusters.len()];
    for (node, b) in diagram.nodes.iter().zip(&layout.nodes) {
        if let Some(slot) = node.cluster.and_then(|c| rects.get_mut(c)) {
            let r = (
                b.x - CLUSTER_PAD,
                b.y - CLUSTER_PAD - CLUSTER_LABEL_H,
                b.x + b.width + CLUSTER_PAD,
                b.y + b.height + CLUSTER_PAD,
            );
            *slot = Some(slot.map_or(r, |s| union(s, r)));
        }
    }
    rects
}

/// The whole document, as text.
/// The picture; `hooks` (interactive pictures) gives each node's index for
/// the page's script.
fn render(diagram: &Diagram, hooks: Option<&[usize]>) -> String {
    let interactive = hooks.is_some();
    let texts: Vec<NodeText> = diagram
        .nodes
        .iter()
        .map(|n| node_text(n, interactive))
        .collect();
    let sizes: Vec<(f64, f64)> = texts.iter().map(|t| t.size).collect();
    let edges: Vec<(usize, usize)> = diagram.edges.iter().map(|e| (e.from, e.to)).collect();
    let groups: Vec<Option<usize>> = diagram
        .nodes
        .iter()
        .map(|n| n.cluster.filter(|&c| c < diagram.clusters.len()))
        .collect();
    // Grouped, so each zone's members sit side by side and its outline
    // covers as few outsiders as the layering allows.
    let layout = layout::layered_grouped(&sizes, &edges, &groups);
    let clusters = cluster_rects(diagram, &layout);

    let edge_labels = place_labels(diagram, &layout, &clusters);

    // Everything drawn in layout coordinates, to place it on the page.
    let mut bounds: Rect = (0.0, 0.0, layout.width, layout.height);
    for r in clusters.iter().flatten() {
        bounds = union(bounds, *r);
    }
    for l in edge_labels.iter().flatten() {
        if let Some(p) = &l.placed {
            bounds = union(bounds, p.rect);
        }
    }

    let title = clean(&diagram.title);
    let title_h = if title.is_empty() { 0.0 } else { 26.0 };
    let ox = MARGIN - bounds.0;
    let oy = MARGIN + title_h - bounds.1;
    let content_bottom = MARGIN + title_h + (bounds.3 - bounds.1);

    let (legend, legend_w, legend_h) = legend(diagram, content_bottom + 24.0, !interactive);
    let width = (bounds.2 - bounds.0)
        .max(text_width(&title, TITLE_CHAR_W))
        .max(legend_w)
        + 2.0 * MARGIN;
    let height = content_bottom + legend_h + MARGIN;

    let mut d = Doc::default();
    put!(d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put!(
        d,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"{FONT}\" role=\"img\">\n",
        w = N(width.ceil()),
        h = N(height.ceil()),
    );
    if !title.is_empty() {
        put!(d, "<title>{}</title>\n", escape_xml(&title));
    }
    put!(
        d,
        "<defs>\n{}{}{}</defs>\n",
        marker("whatif-arrow", DARK),
        marker("whatif-arrow-grey", GREY),
        marker("whatif-arrow-red", HIGHLIGHT)
    );
    put!(
        d,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    );
    if !title.is_empty() {
        put!(
            d,
            "<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\" fill=\"#1f2933\">{}</text>\n",
            N(MARGIN),
            N(MARGIN + 12.0),
            escape_xml(&title)
        );
    }
    put!(d, "<g transform=\"translate({},{})\">\n", N(ox), N(oy));

    draw_clusters(&mut d, diagram, &clusters);
    draw_edges(&mut d, diagram, &layout, &edge_labels, hooks);
    draw_edge_labels(&mut d, diagram, &edge_labels);

    for (i, ((node, t), b)) in diagram
        .nodes
        .iter()
        .zip(&texts)
        .zip(&layout.nodes)
        .enumerate()
    {
        draw_node(&mut d, node, t, b, hooks.map(|ids| ids[i]));
    }
    put!(d, "</g>\n");
    d.0.push_str(&legend);
    put!(d, "</svg>\n");
    d.0
}

/// Each zone's dashed outline with its label.
fn draw_clusters(d: &mut Doc, diagram: &Diagram, clusters: &[Option<Rect>]) {
    for (cluster, rect) in diagram.clusters.iter().zip(clusters) {
        let Some((x0, y0, x1, y1)) = *rect else {
            continue;
        };
        let shown = fit(&cluster.label, LEGEND_CHAR_W, x1 - x0 - 16.0);
        put!(
            d,
            "<g><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\" fill=\"#eef3fb\" \
             stroke=\"#7f9cc9\" stroke-dasharray=\"5 4\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" font-weight=\"bold\" fill=\"#3b5b8c\">{}</text></g>\n",
            text(&cluster.label),
            N(x0),
            N(y0),
            N(x1 - x0),
            N(y1 - y0),
            N(x0 + 8.0),
            N(y0 + 14.0),
            escape_xml(&shown)
        );
    }
}

/// Each edge's path, styled by its policy; a label not drawn whole is the
/// edge's hover title.
fn draw_edges(
    d: &mut Doc,
    diagram: &Diagram,
    layout: &Layout,
    edge_labels: &[Option<EdgeLabel>],
    ids: Option<&[usize]>,
) {
    for ((e, path), label) in diagram.edges.iter().zip(&layout.edges).zip(edge_labels) {
        if path.points.len() < 2 {
            continue;
        }
        // A label not drawn whole is the edge's hover title.
        let hover = label.as_ref().and_then(|l| {
            let whole = l.placed.as_ref().is_some_and(|p| p.shown == l.full);
            (!whole).then(|| format!("<title>{}</title>", escape_xml(&l.full)))
        });
        let (colour, width, dash) = edge_look(e.style, e.highlight);
        let path_d = edge_d(
            &shift_loop_ends(diagram, layout, e.from, e.to, path),
            e.from == e.to,
        );
        let hooks = match ids {
            Some(ids) if e.style != EdgeStyle::Alternative => format!(
                " class=\"wf-edge\" data-from=\"{}\" data-to=\"{}\"",
                ids[e.from], ids[e.to]
            ),
            _ => String::new(),
        };
        put!(
            d,
            "<path{hooks} d=\"{path_d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{}\"{} marker-end=\"url(#{})\"{}\n",
            N(width),
            dash.map(|p| format!(" stroke-dasharray=\"{p}\""))
                .unwrap_or_default(),
            marker_id(colour),
            match hover {
                Some(title) => format!(">{title}</path>"),
                None => "/>".to_owned(),
            }
        );
    }
}

/// The edge labels that found room, over the edges.
fn draw_edge_labels(d: &mut Doc, diagram: &Diagram, edge_labels: &[Option<EdgeLabel>]) {
    for (e, label) in diagram.edges.iter().zip(edge_labels) {
        let Some((full, l)) = label
            .as_ref()
            .and_then(|l| Some((&l.full, l.placed.as_ref()?)))
        else {
            continue;
        };
        let colour = if e.highlight { HIGHLIGHT } else { "#333d47" };
        let truncated = l.shown != *full;
        if truncated {
            put!(d, "<g><title>{}</title>", escape_xml(full));
        }
        put!(
            d,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"{}\" fill=\"{colour}\" stroke=\"#ffffff\" \
             stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
            N(l.at.0),
            N(l.at.1),
            l.anchor,
            escape_xml(&l.shown)
        );
        put!(d, "{}\n", if truncated { "</g>" } else { "" });
    }
}

fn marker(id: &str, colour: &str) -> String {
    format!(
        "<marker id=\"{id}\" viewBox=\"0 0 10 8\" refX=\"0\" refY=\"4\" markerUnits=\"userSpaceOnUse\" \
         markerWidth=\"{}\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"{colour}\"/></marker>\n",
        N(ARROW_LEN)
    )
}

/// Hexagons and queues come to a point on the right, where self loops
/// attach; move the loop's ends in to touch the slanted sides.
fn shift_loop_ends(
    diagram: &Diagram,
    layout: &Layout,
    from: usize,
    to: usize,
    path: &EdgePath,
) -> Vec<(f64, f64)> {
    let mut pts = path.points.clone();
    if from != to || pts.len() != 4 {
        return pts;
    }
    let (Some(node), Some(b)) = (diagram.nodes.get(from), layout.nodes.get(from)) else {
        return pts;
    };
    if matches!(node.shape, Shape::Gateway | Shape::Queue) {
        let half = (b.height / 2.0).max(1.0);
        let cy = b.y + half;
        for i in [0, 3] {
            pts[i].0 -= POINT_DEPTH * (pts[i].1 - cy).abs() / half;
        }
    }
    pts
}

/// Draws one node; `index` (interactive pictures) tags its group.
fn draw_node(d: &mut Doc, node: &Node, t: &NodeText, b: &NodeBox, index: Option<usize>) {
    let fill = node.paint.fill();
    let stroke = node.paint.stroke();
    let sw = if node.emphasis { 3.0 } else { 1.4 };
    let paint = format!(
        "fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"",
        N(sw)
    );
    let mut hover = clean(&node.label);
    if let Some(detail) = &node.detail {
        hover.push_str(" — ");
        hover.push_str(&clean(detail));
    }
    match index {
        Some(i) => put!(
            d,
            "<g class=\"wf-node\" data-service=\"{i}\"><title>{}</title>",
            escape_xml(&hover)
        ),
        None => put!(d, "<g><title>{}</title>", escape_xml(&hover)),
    }
    let class = |name: &str| {
        if index.is_some() {
            format!(" class=\"{name}\"")
        } else {
            String::new()
        }
    };
    let (cx, cy) = draw_shape(d, node.shape, b, &paint, stroke, sw);
    draw_node_text(d, t, (cx, cy), stroke, &class);
    put!(d, "</g>\n");
}

/// A node's outline, painted with `paint`; returns the centre of the
/// space for its text.
fn draw_shape(
    d: &mut Doc,
    shape: Shape,
    b: &NodeBox,
    paint: &str,
    stroke: &str,
    sw: f64,
) -> (f64, f64) {
    let (x, y, w, h) = (b.x, b.y, b.width, b.height);
    match shape {
        Shape::Service => {
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" {paint}/>",
                N(x),
                N(y),
                N(w),
                N(h)
            );
            (x + w / 2.0, y + h / 2.0)
        }
        Shape::Frontend => {
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {paint}/>",
                N(x),
                N(y),
                N(w),
                N(h)
            );
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1\"/>",
                N(x + 3.5),
                N(y + 3.5),
                N(w - 7.0),
                N(h - 7.0)
            );
            (x + w / 2.0, y + h / 2.0)
        }
        Shape::Gateway => {
            let k = POINT_DEPTH;
            put!(
                d,
                "<polygon points=\"{},{} {},{} {},{} {},{} {},{} {},{}\" {paint}/>",
                N(x + k),
                N(y),
                N(x + w - k),
                N(y),
                N(x + w),
                N(y + h / 2.0),
                N(x + w - k),
                N(y + h),
                N(x + k),
                N(y + h),
                N(x),
                N(y + h / 2.0)
            );
            (x + w / 2.0, y + h / 2.0)
        }
        Shape::Database => {
            let (rx, ry) = (w / 2.0, CYL_RY);
            put!(
                d,
                "<path d=\"M{},{} A{},{} 0 0 1 {},{} V{} A{},{} 0 0 1 {},{} Z\" {paint}/>",
                N(x),
                N(y + ry),
                N(rx),
                N(ry),
                N(x + w),
                N(y + ry),
                N(y + h - ry),
                N(rx),
                N(ry),
                N(x),
                N(y + h - ry)
            );
            put!(
                d,
                "<path d=\"M{},{} A{},{} 0 0 0 {},{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
                N(x),
                N(y + ry),
                N(rx),
                N(ry),
                N(x + w),
                N(y + ry),
                N(sw)
            );
            (x + w / 2.0, y + h / 2.0 + ry / 2.0)
        }
        Shape::Cache => {
            let o = CACHE_OFFSET;
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {paint}/>",
                N(x + o),
                N(y),
                N(w - o),
                N(h - o)
            );
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {paint}/>",
                N(x),
                N(y + o),
                N(w - o),
                N(h - o)
            );
            (x + (w - o) / 2.0, y + o + (h - o) / 2.0)
        }
        Shape::Queue => {
            let k = POINT_DEPTH;
            put!(
                d,
                "<polygon points=\"{},{} {},{} {},{} {},{} {},{} {},{}\" {paint}/>",
                N(x),
                N(y),
                N(x + w - k),
                N(y),
                N(x + w),
                N(y + h / 2.0),
                N(x + w - k),
                N(y + h),
                N(x),
                N(y + h),
                N(x + k),
                N(y + h / 2.0)
            );
            (x + w / 2.0, y + h / 2.0)
        }
        Shape::External => {
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" stroke-dasharray=\"5 3\" {paint}/>",
                N(x),
                N(y),
                N(w),
                N(h)
            );
            (x + w / 2.0, y + h / 2.0)
        }
    }
}

/// A node's name, detail and operation lines around its centre.
fn draw_node_text(
    d: &mut Doc,
    t: &NodeText,
    (cx, cy): (f64, f64),
    stroke: &str,
    class: &dyn Fn(&str) -> String,
) {
    // Operation lines push the name and detail up by half their height.
    let lift = OP_LINE_H / 2.0 * t.operations.len() as f64;
    let label_y = if t.detail.is_some() {
        cy - 3.0
    } else {
        cy + 4.2
    } - lift;
    put!(
        d,
        "<text{} x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{stroke}\">{}</text>",
        class("wf-name"),
        N(cx),
        N(label_y),
        escape_xml(&t.label)
    );
    if let Some(detail) = &t.detail {
        put!(
            d,
            "<text{} x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{stroke}\">{}</text>",
            class("wf-detail"),
            N(cx),
            N(cy + 11.0 - lift),
            escape_xml(detail)
        );
    }
    let below = if t.detail.is_some() { 11.0 } else { 4.2 };
    for (j, op) in t.operations.iter().enumerate() {
        put!(
            d,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{stroke}\">{}</text>",
            N(cx),
            N(cy + below - lift + OP_LINE_H * (j + 1) as f64),
            escape_xml(op)
        );
    }
}

/// The legend at `top`: one row for the edge styles used, one for the
/// states shown (when `states`). Returns the markup, its width and its
/// height (0 when there is nothing to explain).
fn legend(diagram: &Diagram, top: f64, states: bool) -> (String, f64, f64) {
    let mut d = Doc::default();
    let mut widest: f64 = 0.0;
    let mut y = top;
    let mut rows = 0;

    let mut items: Vec<(EdgeStyle, bool, &str)> = EDGE_KINDS
        .iter()
        .filter(|(s, _)| diagram.edges.iter().any(|e| e.style == *s))
        .map(|&(s, name)| (s, false, name))
        .collect();
    if diagram.edges.iter().any(|e| e.highlight) {
        items.push((EdgeStyle::Hard, true, "causal path"));
    }
    if !items.is_empty() {
        let mut x = MARGIN;
        put!(d, "<g font-size=\"11\" fill=\"#333d47\">");
        for (style, highlight, name) in items {
            let (colour, width, dash) = edge_look(style, highlight);
            put!(
                d,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"{}\"{}/>",
                N(x),
                N(y - 4.0),
                N(x + 28.0),
                N(y - 4.0),
                N(width),
                dash.map(|p| format!(" stroke-dasharray=\"{p}\""))
                    .unwrap_or_default()
            );
            put!(
                d,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                N(x + 34.0),
                N(y),
                escape_xml(name)
            );
            x += 34.0 + text_width(name, LEGEND_CHAR_W) + 18.0;
        }
        put!(d, "</g>\n");
        widest = widest.max(x - MARGIN);
        y += 20.0;
        rows += 1;
    }

    if states && diagram.nodes.iter().any(|n| n.paint != Paint::Neutral) {
        let mut x = MARGIN;
        put!(d, "<g font-size=\"11\" fill=\"#333d47\">");
        for (paint, name) in STATE_COLOURS {
            if !diagram.nodes.iter().any(|n| n.paint == paint) {
                continue;
            }
            put!(
                d,
                "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"11\" rx=\"2\" fill=\"{}\" stroke=\"{}\"/>",
                N(x),
                N(y - 10.0),
                paint.fill(),
                paint.stroke()
            );
            put!(
                d,
                "<text x=\"{}\" y=\"{}\">{name}</text>",
                N(x + 22.0),
                N(y)
            );
            x += 22.0 + text_width(name, LEGEND_CHAR_W) + 18.0;
        }
        put!(d, "</g>\n");
        widest = widest.max(x - MARGIN);
        rows += 1;
    }
    let height = if rows == 0 {
        0.0
    } else {
        24.0 + 20.0 * f64::from(rows) - 6.0
    };
    (d.0, widest, height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::diagram::{Cluster, Edge};

    fn node(label: &str, shape: Shape, paint: Paint) -> Node {
        Node {
            label: label.to_owned(),
            detail: None,
            operations: Vec::new(),
            shape,
            paint,
            cluster: None,
            emphasis: false,
        }
    }

    fn edge(from: usize, to: usize, style: EdgeStyle) -> Edge {
        Edge {
            from,
            to,
            label: None,
            style,
            highlight: false,
        }
    }

    fn svg(diagram: &Diagram) -> String {
        let mut out = Vec::new();
        write_svg(diagram, &mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("SVG is UTF-8")
    }

    const HOSTILE: &str =
        "<script>alert(1)</script> \"q\" 'a' & &amp; ]]> \n\r\t\u{0}\u{1b}\u{FFFE}\u{FFFF}x";

    fn hostile_diagram() -> Diagram {
        let mut a = node(HOSTILE, Shape::Service, Paint::Down);
        a.detail = Some(HOSTILE.to_owned());
        a.cluster = Some(0);
        let mut b = node("db\"/><script>", Shape::Database, Paint::Healthy);
        b.cluster = Some(7);
        let mut e = edge(0, 1, EdgeStyle::Soft);
        e.label = Some(HOSTILE.to_owned());
        e.highlight = true;
        Diagram {
            title: HOSTILE.to_owned(),
            clusters: vec![Cluster {
                label: HOSTILE.to_owned(),
            }],
            nodes: vec![a, b, node("ok", Shape::Queue, Paint::Neutral)],
            edges: vec![
                e,
                edge(1, 0, EdgeStyle::Hard),
                edge(2, 2, EdgeStyle::Async),
                edge(0, 99, EdgeStyle::Hard),
                edge(99, 99, EdgeStyle::Soft),
            ],
        }
    }

    /// A small well-formedness check: one root element, balanced tags,
    /// quoted attributes, only known entities, no raw `<` or `>` in text or
    /// values, no characters XML 1.0 forbids.
    fn check_xml(s: &str) -> Result<(), String> {
        fn entities(t: &str) -> Result<(), String> {
            if t.contains('<') || t.contains('>') {
                return Err(format!("raw angle bracket in {t:?}"));
            }
            let mut rest = t;
            while let Some(i) = rest.find('&') {
                rest = &rest[i + 1..];
                let end = rest
                    .find(';')
                    .ok_or(format!("unterminated entity in {t:?}"))?;
                let name = &rest[..end];
                let numeric = name
                    .strip_prefix('#')
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if !numeric && !["amp", "lt", "gt", "quot", "apos"].contains(&name) {
                    return Err(format!("unknown entity &{name};"));
                }
            }
            Ok(())
        }
        fn name_len(t: &str) -> usize {
            t.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.')))
                .unwrap_or(t.len())
        }
        if let Some(c) = s.chars().find(|&c| {
            matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
        }) {
            return Err(format!("forbidden character {c:?}"));
        }
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = s;
        if let Some(r) = rest.strip_prefix("<?xml") {
            let end = r.find("?>").ok_or("unterminated declaration")?;
            rest = &r[end + 2..];
        }
        while let Some(i) = rest.find('<') {
            let between = &rest[..i];
            if stack.is_empty() && !between.trim().is_empty() {
                return Err(format!("text outside the root: {between:?}"));
            }
            entities(between)?;
            rest = &rest[i + 1..];
            let end = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop() != Some(name) {
                    return Err(format!("mismatched </{name}>"));
                }
                continue;
            }
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(t) => (t, true),
                None => (tag, false),
            };
            let n = name_len(tag);
            if n == 0 {
                return Err(format!("bad tag <{tag}>"));
            }
            let name = &tag[..n];
            let mut attrs = &tag[n..];
            loop {
                let trimmed = attrs.trim_start();
                if trimmed.is_empty() {
                    break;
                }
                if trimmed.len() == attrs.len() {
                    return Err(format!("no space before attribute in <{tag}>"));
                }
                let an = name_len(trimmed);
                let after = trimmed[an..]
                    .strip_prefix("=\"")
                    .ok_or(format!("bad attribute in <{tag}>"))?;
                let close = after.find('"').ok_or("unterminated attribute")?;
                if an == 0 {
                    return Err(format!("empty attribute name in <{tag}>"));
                }
                entities(&after[..close])?;
                attrs = &after[close + 1..];
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !empty {
                stack.push(name);
            }
        }
        if !rest.trim().is_empty() || !stack.is_empty() || roots != 1 {
            return Err(format!(
                "unbalanced document: open {stack:?}, {roots} roots"
            ));
        }
        Ok(())
    }

    #[test]
    fn the_checker_catches_broken_xml() {
        assert!(check_xml("<svg><text>a</text></svg>").is_ok());
        assert!(check_xml("<svg><text>a<b</text></svg>").is_err());
        assert!(check_xml("<svg><text>a & b</text></svg>").is_err());
        assert!(check_xml("<svg a=\"x\"\"/>").is_err());
        assert!(check_xml("<svg><g></svg>").is_err());
        assert!(check_xml("<svg>\u{0}</svg>").is_err());
    }

    #[test]
    fn hostile_text_is_escaped_and_the_document_well_formed() {
        let out = svg(&hostile_diagram());
        check_xml(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert!(!out.to_lowercase().contains("<script"));
        assert!(out.contains("db&quot;/&gt;&lt;script&gt;"));
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(out.contains("&quot;q&quot; &apos;a&apos; &amp; &amp;amp; ]]&gt;"));
        assert!(out.contains("␤␤ \u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}x"));
        assert!(!out.contains('\r') && !out.contains('\t'));
    }

    #[test]
    fn a_picture_of_some_services_tags_them_with_their_model_indices() {
        let d = hostile_diagram();
        let ids: Vec<usize> = (0..d.nodes.len()).map(|i| 10 * i + 7).collect();
        let out = interactive_svg_of(&d, &ids);
        check_xml(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        for &id in &ids {
            assert!(out.contains(&format!("<g class=\"wf-node\" data-service=\"{id}\">")));
        }
        assert!(out.contains("class=\"wf-edge\" data-from=\"7\" data-to=\"17\""));
        assert!(!out.contains("data-service=\"0\""));
    }

    #[test]
    fn interactive_pictures_tag_nodes_and_edges_by_index() {
        let d = hostile_diagram();
        let out = interactive_svg(&d);
        check_xml(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert!(!out.to_lowercase().contains("<script"));
        for i in 0..d.nodes.len() {
            assert!(out.contains(&format!("<g class=\"wf-node\" data-service=\"{i}\">")));
        }
        // Every node gets a detail line, even the ones without a detail.
        assert_eq!(out.matches("class=\"wf-detail\"").count(), d.nodes.len());
        assert!(out.contains("class=\"wf-edge\" data-from=\"0\" data-to=\"1\""));
        // Room for the status the page writes: wider than the plain box.
        let plain = node_text(&d.nodes[2], false).size.0;
        let live = node_text(&d.nodes[2], true).size.0;
        assert!(live >= text_width(STATUS_ROOM, SMALL_CHAR_W) && live > plain);
        assert!(
            !svg(&d).contains("data-service"),
            "plain pictures have no hooks"
        );
    }

    #[test]
    fn output_is_deterministic() {
        let d = hostile_diagram();
        assert_eq!(svg(&d), svg(&d));
    }

    #[test]
    fn empty_diagram_is_a_small_valid_document() {
        let out = svg(&Diagram::default());
        check_xml(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert!(out.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(out.contains("viewBox=\"0 0 40 40\""));
    }

    #[test]
    fn every_shape_style_and_state_is_drawn() {
        let shapes = [
            Shape::Service,
            Shape::Frontend,
            Shape::Gateway,
            Shape::Database,
            Shape::Cache,
            Shape::Queue,
            Shape::External,
        ];
        let paints = [
            Paint::Neutral,
            Paint::Healthy,
            Paint::Slow,
            Paint::Degraded,
            Paint::Down,
        ];
        let nodes: Vec<Node> = shapes
            .iter()
            .enumerate()
            .map(|(i, &s)| node(&format!("n{i}"), s, paints[i % paints.len()]))
            .collect();
        let styles = [
            EdgeStyle::Hard,
            EdgeStyle::Soft,
            EdgeStyle::Async,
            EdgeStyle::Startup,
            EdgeStyle::Alternative,
        ];
        let edges: Vec<Edge> = styles
            .iter()
            .enumerate()
            .map(|(i, &s)| edge(i, i + 1, s))
            .collect();
        let out = svg(&Diagram {
            title: "all".to_owned(),
            clusters: Vec::new(),
            nodes,
            edges,
        });
        check_xml(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        for needle in [
            "rx=\"8\"",
            "<polygon",
            " A",
            "stroke-dasharray=\"6 4\"",
            "stroke-dasharray=\"2 3\"",
            "stroke-dasharray=\"5 3\"",
            "marker-end=\"url(#whatif-arrow-grey)\"",
            ">healthy<",
            ">down<",
            ">fallback path<",
            "font-weight=\"bold\"",
        ] {
            assert!(out.contains(needle), "missing {needle}");
        }
        assert!(!out.contains(">causal path<"));
    }

    #[test]
    fn long_labels_are_shortened_but_kept_in_the_title() {
        let long = "x".repeat(500);
        let out = svg(&Diagram {
            title: String::new(),
            clusters: Vec::new(),
            nodes: vec![node(&long, Shape::Service, Paint::Neutral)],
            edges: Vec::new(),
        });
        assert!(out.contains(&format!("<title>{long}</title>")));
        // 260 px minus padding holds 32 characters of 7.2 px.
        assert!(out.contains(&format!(">{}…</text>", "x".repeat(31))));
    }

    /// Issue 13 §3: on every example, as a plain picture, for the page,
    /// and as the cascade of each service failing, no two drawn edge labels
    /// overlap and none covers a box; labels with no room are left to
    /// their edge's hover title, and those are few.
    #[test]
    fn edge_labels_never_overlap_on_any_example() {
        use crate::render::picture;
        use crate::sim::steady::Engine;
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"));
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        assert!(files.len() >= 5);
        let (mut drawn, mut hidden) = (0, 0);
        for file in files {
            let m = crate::model::load_file(&file).unwrap().model;
            let engine = Engine::new(&m);
            let mut pictures = vec![
                (picture::architecture(&m, None), false),
                (picture::architecture(&m, None), true),
            ];
            for id in m.service_ids() {
                let faults = [crate::analysis::sweep::down(&m, id)];
                let outcome = engine.steady(&faults);
                pictures.push((picture::cascade(&m, &outcome, &faults, None), false));
            }
            for (k, (diagram, interactive)) in pictures.iter().enumerate() {
                let what = format!("{} picture {k}", file.display());
                let sizes: Vec<(f64, f64)> = diagram
                    .nodes
                    .iter()
                    .map(|n| node_text(n, *interactive).size)
                    .collect();
                let edges: Vec<(usize, usize)> =
                    diagram.edges.iter().map(|e| (e.from, e.to)).collect();
                let groups: Vec<Option<usize>> = diagram.nodes.iter().map(|n| n.cluster).collect();
                let layout = layout::layered_grouped(&sizes, &edges, &groups);
                let clusters = cluster_rects(diagram, &layout);
                let labels = place_labels(diagram, &layout, &clusters);
                let rects: Vec<Rect> = labels
                    .iter()
                    .flatten()
                    .filter_map(|l| l.placed.as_ref().map(|p| p.rect))
                    .collect();
                drawn += rects.len();
                hidden += labels
                    .iter()
                    .flatten()
                    .filter(|l| l.placed.is_none())
                    .count();
                for (i, a) in rects.iter().enumerate() {
                    for b in &rects[i + 1..] {
                        assert!(
                            !intersects(*a, *b),
                            "{what}: labels {a:?} and {b:?} overlap"
                        );
                    }
                    for n in &layout.nodes {
                        let b = (n.x, n.y, n.x + n.width, n.y + n.height);
                        assert!(!intersects(*a, b), "{what}: label {a:?} covers box {b:?}");
                    }
                }
            }
        }
        assert!(
            hidden * 20 <= drawn,
            "{hidden} labels left to hover titles, {drawn} drawn: more than 1 in 20"
        );
    }

    #[test]
    fn a_label_without_room_is_the_edge_hover_title() {
        // Twelve labelled edges from one box into one box below: no room
        // for all twelve labels in one gap.
        let mut d = Diagram {
            title: String::new(),
            clusters: Vec::new(),
            nodes: vec![
                node("a", Shape::Service, Paint::Neutral),
                node("b", Shape::Service, Paint::Neutral),
            ],
            edges: Vec::new(),
        };
        for k in 0..12 {
            let mut e = edge(0, 1, EdgeStyle::Hard);
            e.label = Some(format!("label number {k} · 300ms · 2 retries"));
            d.edges.push(e);
        }
        let out = svg(&d);
        let drawn = out.matches("label number").count();
        let titles = out.matches("<title>label number").count();
        assert_eq!(
            drawn - titles,
            12 - titles,
            "each label drawn or in a title"
        );
        assert!(titles > 0 && titles < 12, "{titles} titles:\n{out}");
        assert!(out.contains("marker-end=\"url(#whatif-arrow)\"><title>label number"));
    }

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(N(1.26).to_string(), "1.3");
        assert_eq!(N(2.0).to_string(), "2");
        assert_eq!(N(-0.04).to_string(), "0");
        assert_eq!(N(-3.46).to_string(), "-3.5");
        assert_eq!(N(f64::NAN).to_string(), "0");
    }
}
