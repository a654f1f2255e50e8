//! The interactive HTML page of `run` and `review` (`-o page.html`): the
//! architecture drawn as SVG with states coloured; a click on a service
//! (or Enter on it) fails it and shows the cascade of `--down SERVICE`,
//! every affected service with its state, figures, reason and chain.
//!
//! The page computes nothing. Every cascade was computed by the CLI with
//! the engine of `whatif run` ([`crate::analysis::sweep`]) and is embedded
//! as data; the script only looks results up and draws them. Models above
//! [`MAX_SWEPT_SERVICES`] services get a static picture of their worst
//! part (at most [`MAX_PICTURED`] boxes) and a table of the top faults by
//! blast radius instead (docs/pictures.md, "The interactive page").
//!
//! One self-contained file, nothing fetched when it is viewed:
//!
//! - the style sheet and the script are inline (kept in `interactive.css`
//!   and `interactive.js` beside this file), and the page's
//!   Content-Security-Policy (`default-src 'none'`) allows exactly those
//!   two blocks by their SHA-256 hashes ([`super::csp`]) — no other
//!   script, style, image, font, frame or connection, inline or remote;
//! - the data is a `<script type="application/json" id="whatif-data">`
//!   block (never executed) whose `<`, `>`, `&`, U+2028 and U+2029 are
//!   written as `\u003c`-style escapes, so no name can close the element;
//! - names reach the page's text only through `textContent` and attribute
//!   values set with `setAttribute`, never through HTML parsing; the SVG
//!   names a node by its index (`data-service="3"`), never by its name.
//!
//! The data, for the curious (`S` a service index; states are `0` healthy,
//! `1` slow, `2` degraded, `3` down; texts are interned in `texts`):
//!
//! ```text
//! { "model": NAME, "services": [NAME…], "details": [TEXT…], "entries": [NAME…],
//!   "texts": [TEXT…], "initial": CASCADE | null, "faults": [CASCADE…] | null,
//!   "limit": 2000 }
//! CASCADE = { "label": "--down db", "targets": [S…], "converged": true,
//!             "affected": [[S, STATE, SUCCESS, FIGURES, BECAUSE, CHAIN]…],
//!             "entries": [[STATE, SUCCESS]…], "summary": [HEALTHY, SLOW, DEGRADED, DOWN] }
//! ```
//!
//! `affected` lists, in model order, the services that are not healthy or
//! have a reason to give. `SUCCESS` (`"85%"`), `FIGURES` (`"139.5ms ·
//! 1,200 rps"`, latency and load) and `BECAUSE` are texts, formatted as the
//! CLI's text output formats them. `CHAIN`, from the root cause to the
//! service, is `null` (none), a service `S` (the chain of `S` in the same
//! cascade, then this service: most chains, written in a few bytes), or
//! the list itself. `faults[S]` is the cascade of `--down` service `S`;
//! `initial` is what the page opens on and returns to on "Reset" (`run`'s
//! faults; none for `review`: the plain picture).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::csp::hash_source;
use super::diagram::{Diagram, Paint};
use super::picture;
use super::svg::{self, xml_text};
use crate::analysis::spof;
use crate::analysis::sweep::{Cascade, Chain, MAX_SWEPT_SERVICES, Sweep};
use crate::graph::Graph;
use crate::model::{Model, ServiceId};
use crate::sim::explain::{latency, percent, rate};
use crate::sim::steady::State;
use crate::text::thousands;

/// The page's script (plain ES2017, no dependencies).
pub const SCRIPT: &str = include_str!("interactive.js");

/// The page's style sheet, before the state colours ([`state_rules`]).
const STYLE: &str = include_str!("interactive.css");

/// Rows of the top-faults table of a model too large to sweep.
pub const TOP_FAULTS: usize = 20;

/// What the interactive part of a page shows.
pub struct Explorer<'a> {
    /// The model.
    pub model: &'a Model,
    /// Every single fault's cascade, or the blast ranking of a big model.
    pub sweep: &'a Sweep,
    /// The view the page opens on and goes back to on "Reset": `run`'s
    /// faults; `None` for the plain architecture.
    pub initial: Option<&'a Cascade>,
}

/// The start of a page: doctype, `<head>` with the Content-Security-Policy,
/// title and one style sheet (`page_css`, then the explorer's own), and
/// the opening `<body>`. `page_css` must not contain `</style`.
pub fn head(title: &str, page_css: &str) -> String {
    let style = format!("{page_css}{STYLE}{}", state_rules());
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; base-uri 'none'; form-action 'none'",
        hash_source(SCRIPT),
        hash_source(&style)
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{style}</style></head><body>\n",
        xml_text(title)
    )
}

/// CSS for the four states and the neutral picture, from the palette every
/// picture uses ([`Paint`]): node outlines and text, legend swatches and
/// panel badges. A state's rule beats the SVG's own colour attributes once
/// the script marks the picture live.
fn state_rules() -> String {
    let mut css = String::new();
    for (name, paint) in [
        ("none", Paint::Neutral),
        ("healthy", Paint::Healthy),
        ("slow", Paint::Slow),
        ("degraded", Paint::Degraded),
        ("down", Paint::Down),
    ] {
        let (fill, stroke) = (paint.fill(), paint.stroke());
        let _ = write!(
            css,
            "\n.wf-live .st-{name} :is(rect,polygon,path):not([fill=\"none\"]){{fill:{fill}}}\
             \n.wf-live .st-{name} :is(rect,polygon,path){{stroke:{stroke}}}\
             \n.wf-live .st-{name} text{{fill:{stroke}}}\
             \n.wf-b-{name}{{background:{fill};color:{stroke};border-color:{stroke}}}"
        );
    }
    css.push('\n');
    css
}

/// The architecture as the page draws it: the `shown` services (all of
/// them when `whole`), painted with the cascade of the faults given.
fn picture_of(ex: &Explorer, shown: &[ServiceId], whole: bool) -> String {
    let m = ex.model;
    let mut diagram = picture::architecture(m, (!whole).then_some(shown));
    if let Some(initial) = ex.initial {
        paint(&mut diagram, shown, initial);
    }
    if whole {
        svg::interactive_svg(&diagram)
    } else {
        let ids: Vec<usize> = shown.iter().map(|id| id.index()).collect();
        svg::interactive_svg_of(&diagram, &ids)
    }
}

/// The interactive part: legend, picture, side panel, data and script.
pub fn section(ex: &Explorer) -> String {
    let m = ex.model;
    // A model too large to sweep is drawn in part: a picture of thousands
    // of boxes is too large to open, let alone to read.
    let shown: Vec<ServiceId> = match ex.sweep {
        Sweep::Every(_) => m.service_ids().collect(),
        Sweep::Ranked(ranked) => worst_neighbourhood(m, ex.initial, ranked),
    };
    let whole = shown.len() == m.services().len();
    // The picture and the data read the same inputs and not each other:
    // made side by side (on a 2,000-service page each takes about a second).
    let (picture, data) = rayon::join(|| picture_of(ex, &shown, whole), || data(ex));
    let mut s = String::new();
    s.push_str("<section id=\"whatif-explorer\" class=\"wf-explorer\">\n");
    s.push_str(LEGEND);
    s.push_str(
        "<div class=\"wf-main\">\n<div class=\"wf-stage\">\n<div class=\"wf-toolbar\">zoom \
         <button type=\"button\" id=\"wf-zoom-out\" aria-label=\"zoom out\">−</button>\
         <button type=\"button\" id=\"wf-zoom-fit\" title=\"as wide as the box, text still readable (0)\">fit</button>\
         <button type=\"button\" id=\"wf-zoom-in\" aria-label=\"zoom in\">+</button>\
         <span class=\"wf-tip\">drag to pan · Ctrl + wheel to zoom</span></div>\n\
         <div class=\"wf-picture\" tabindex=\"0\" aria-label=\"the architecture: drag or use the arrow keys to pan; Ctrl and the wheel, or + and −, to zoom; 0 to fit\">",
    );
    s.push_str(picture.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    s.push_str("</div>\n</div>\n<aside class=\"wf-panel\" aria-live=\"polite\">\n");
    match ex.sweep {
        Sweep::Every(_) => s.push_str(
            "<p class=\"wf-hint\">Click a service in the picture (or Tab to it and press \
             Enter) to fail it: <code>--down SERVICE</code>. \
             <button type=\"button\" id=\"wf-reset\">Reset</button></p>\n",
        ),
        Sweep::Ranked(ranked) => {
            let _ = writeln!(
                s,
                "<p class=\"wf-hint\">{} services: above {}, single faults are \
                 not precomputed, so clicking does nothing. Try one with \
                 <code>whatif run MODEL --down SERVICE</code>. The picture shows {} of them: \
                 the services the faults given hit (at most {MAX_PICTURED_FAULTED}), the top \
                 faults below and the entry points, with their callers and callees (at most \
                 {MAX_PICTURED} in all); draw any other part with \
                 <code>whatif graph MODEL --focus SERVICE --depth K -o part.svg</code>.</p>",
                thousands(m.services().len() as u64),
                thousands(MAX_SWEPT_SERVICES as u64),
                shown.len()
            );
            s.push_str(&top_faults(m, ranked));
        }
    }
    s.push_str(
        "<h2 id=\"wf-title\"></h2>\n<p id=\"wf-summary\"></p>\n\
         <p id=\"wf-warning\" class=\"wf-warning\" hidden></p>\n\
         <h3>What users see</h3>\n<table id=\"wf-entries\" class=\"wf-entries\"></table>\n\
         <h3>Affected services</h3>\n<ol id=\"wf-affected\" class=\"wf-affected\"></ol>\n\
         <noscript><p>This page needs JavaScript to show cascades; the picture above \
         is static.</p></noscript>\n</aside>\n</div>\n",
    );
    s.push_str("<script type=\"application/json\" id=\"whatif-data\">");
    s.push_str(&data);
    s.push_str("</script>\n<script>");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</section>\n");
    s
}

/// The page of `whatif run -o page.html`: the model's name and faults, the
/// explorer opening on the faults' cascade, and a note on where the
/// numbers come from.
pub fn write_run_page(out: &mut dyn Write, ex: &Explorer) -> io::Result<()> {
    let m = ex.model;
    let label = ex.initial.map(label).unwrap_or_default();
    let shown = if label.is_empty() {
        "(no faults)".to_owned()
    } else {
        label
    };
    let title = format!("whatif: {} {shown}", m.name);
    // Each part goes out as soon as it is made (the explorer, 50 MB at
    // 2,000 services, is still made whole first).
    out.write_all(head(&title, RUN_CSS).as_bytes())?;
    writeln!(
        out,
        "<h1>{} <span class=\"wf-faults\">{}</span></h1>",
        xml_text(&m.name),
        xml_text(&shown)
    )?;
    out.write_all(section(ex).as_bytes())?;
    write!(
        out,
        "<footer><p>Made by <code>whatif run</code> {}. Every cascade on this page is the \
         steady state <code>whatif run MODEL --down SERVICE</code> reports, computed when the \
         page was written; the page itself computes nothing and fetches nothing.</p></footer>\n\
         </body></html>\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The page style of `run`'s page (the review has its own).
const RUN_CSS: &str = "body{font:18px/1.45 Helvetica,Arial,sans-serif;margin:1.5rem;color:#1d2630}\
h1{font-size:1.9rem;margin:0 0 .8rem}.wf-faults{color:#a11d1d}\
footer{margin-top:2rem;color:#44515e;font-size:.95rem}\
code{background:#f4f6f8;padding:0 .2rem}\n";

/// The legend: the four states, the failed service and causal paths (the
/// picture's own legend, below it, explains the arrows).
const LEGEND: &str = "<ul class=\"wf-legend\" aria-label=\"legend\">\
<li><span class=\"wf-swatch wf-b-healthy\"></span>healthy</li>\
<li><span class=\"wf-swatch wf-b-slow\"></span>slow</li>\
<li><span class=\"wf-swatch wf-b-degraded\"></span>degraded</li>\
<li><span class=\"wf-swatch wf-b-down\"></span>down</li>\
<li><span class=\"wf-swatch wf-swatch-target\"></span>failed service</li>\
<li><span class=\"wf-line\"></span>causal path (from the fault to the service)</li>\
</ul>\n";

/// Paints the picture's nodes by a cascade's states, so the static picture
/// (before the script runs) already shows the opening view.
fn paint(d: &mut Diagram, shown: &[ServiceId], c: &Cascade) {
    for (&id, node) in shown.iter().zip(&mut d.nodes) {
        node.paint = match c.state(id) {
            State::Healthy => Paint::Healthy,
            State::Slow => Paint::Slow,
            State::Degraded => Paint::Degraded,
            State::Down => Paint::Down,
        };
    }
}

/// Most services the picture of a model too large to sweep shows.
pub const MAX_PICTURED: usize = 300;

/// Most of the picture's boxes the opening faults' own services take (a
/// lost zone lists every service in it), so the top faults and the entry
/// points always have room.
pub const MAX_PICTURED_FAULTED: usize = MAX_PICTURED / 3;

/// The part of a model too large to sweep that its page draws, in model
/// order: the services the opening faults hit (at most
/// [`MAX_PICTURED_FAULTED`]), the top faults by blast radius and the entry
/// points (in that order of priority), then each one's direct callers and
/// callees, while they fit in [`MAX_PICTURED`].
fn worst_neighbourhood(
    m: &Model,
    initial: Option<&Cascade>,
    ranked: &[spof::Impact],
) -> Vec<ServiceId> {
    let graph = Graph::build(m);
    let mut cores: Vec<ServiceId> = initial
        .map(|c| c.faults.iter().flat_map(|f| f.services(m)).collect())
        .unwrap_or_default();
    cores.sort();
    cores.dedup();
    cores.truncate(MAX_PICTURED_FAULTED);
    cores.extend(ranked.iter().take(TOP_FAULTS).map(|i| i.service));
    cores.extend(m.service_ids().filter(|&id| m.service(id).is_entry()));
    let mut keep = vec![false; m.services().len()];
    let mut count = 0;
    let mut add = |id: ServiceId| {
        if !keep[id.index()] && count < MAX_PICTURED {
            keep[id.index()] = true;
            count += 1;
        }
    };
    for &id in &cores {
        add(id);
    }
    for &id in &cores {
        for &next in graph.callers(id).iter().chain(graph.callees(id)) {
            add(next);
        }
    }
    m.service_ids().filter(|id| keep[id.index()]).collect()
}

/// The faults as typed: `--down db --slow web=+1s`.
fn label(c: &Cascade) -> String {
    c.faults
        .iter()
        .map(|f| f.as_flag())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The top faults of a model too large to sweep, by blast radius.
fn top_faults(m: &Model, ranked: &[spof::Impact]) -> String {
    let mut s = String::from(
        "<h3>Top faults (structural blast radius)</h3>\n<table class=\"wf-top\"><tr>\
         <th>service failing</th><th>entry traffic lost</th><th>down</th><th>degraded</th></tr>\n",
    );
    for i in ranked.iter().take(TOP_FAULTS) {
        let lost = super::analysis::traffic_lost(m, i.rps_lost);
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{lost}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            xml_text(&m.service(i.service).name),
            i.down,
            i.degraded
        );
    }
    s.push_str("</table>\n");
    s
}

/// Interned texts: each distinct string once, referred to by index.
///
/// A swept page writes a few figures per affected service per fault, most
/// of them the same from fault to fault. So each figure's text is also
/// remembered by what it was formatted from (the bits of the numbers; the
/// explanation's shared allocation): formatting the same numbers again
/// would give the same text, hence the same index, and a text gets its
/// index where it first appears either way, so the page is the same.
#[derive(Default)]
struct Texts {
    list: Vec<String>,
    index: HashMap<String, usize>,
    /// By the bits of a success share.
    percents: HashMap<u64, usize>,
    /// By the bits of a mean latency and a load.
    figures: HashMap<(u64, u64), usize>,
    /// By the address of a shared explanation (alive as long as the
    /// cascades being written, so no address is reused meanwhile).
    because: HashMap<usize, usize>,
}

impl Texts {
    /// The id of [`percent`]`(success)`.
    fn percent(&mut self, success: f64) -> usize {
        *self
            .percents
            .entry(success.to_bits())
            .or_insert_with(|| intern(&mut self.list, &mut self.index, &percent(success)))
    }

    /// The id of a service's latency and load, as the page shows them.
    fn figures(&mut self, latency_s: f64, load_rps: f64) -> usize {
        *self
            .figures
            .entry((latency_s.to_bits(), load_rps.to_bits()))
            .or_insert_with(|| {
                intern(
                    &mut self.list,
                    &mut self.index,
                    &figures_text(latency_s, load_rps),
                )
            })
    }

    /// The id of a shared explanation.
    fn because(&mut self, because: &std::sync::Arc<str>) -> usize {
        let address = std::sync::Arc::as_ptr(because).cast::<u8>() as usize;
        *self
            .because
            .entry(address)
            .or_insert_with(|| intern(&mut self.list, &mut self.index, because))
    }
}

/// A service's latency and load, as the page shows them.
fn figures_text(latency_s: f64, load_rps: f64) -> String {
    format!("{} · {} rps", latency(latency_s), rate(load_rps))
}

/// The index of `s` in `list`, appended when new.
fn intern(list: &mut Vec<String>, index: &mut HashMap<String, usize>, s: &str) -> usize {
    if let Some(&i) = index.get(s) {
        return i;
    }
    list.push(s.to_owned());
    index.insert(s.to_owned(), list.len() - 1);
    list.len() - 1
}

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

fn strings<'s>(out: &mut String, items: impl Iterator<Item = &'s str>) {
    out.push('[');
    for (k, s) in items.enumerate() {
        if k > 0 {
            out.push(',');
        }
        string(out, s);
    }
    out.push(']');
}

fn ids(out: &mut String, items: impl Iterator<Item = ServiceId>) {
    out.push('[');
    for (k, id) in items.enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", id.index());
    }
    out.push(']');
}

/// One cascade as the page's data (see the module docs).
fn cascade(out: &mut String, m: &Model, c: &Cascade, texts: &mut Texts) {
    out.push_str("{\"label\":");
    string(out, &label(c));
    out.push_str(",\"targets\":");
    let mut targets: Vec<ServiceId> = c.faults.iter().flat_map(|f| f.services(m)).collect();
    targets.sort();
    targets.dedup();
    ids(out, targets.into_iter());
    let _ = write!(out, ",\"converged\":{},\"affected\":[", c.converged);
    for (k, a) in c.affected.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "[{},{},{},{},{},",
            a.service.index(),
            a.state as u8,
            texts.percent(a.success),
            texts.figures(a.latency_s, a.load_rps),
            texts.because(&a.because)
        );
        // Most chains are the chain of the service before this one, plus
        // this one: then only that service is written (its chain is
        // shorter, so the page's lookups end).
        match &a.chain {
            Chain::Empty => out.push_str("null"),
            Chain::After(before) => {
                let _ = write!(out, "{}", before.index());
            }
            Chain::Names(names) => ids(out, names.iter().copied()),
        }
        out.push(']');
    }
    out.push_str("],\"entries\":[");
    for (k, (state, success)) in c.entry_points.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}]", *state as u8, texts.percent(*success));
    }
    let [h, sl, dg, dn] = c.summary;
    let _ = write!(out, "],\"summary\":[{h},{sl},{dg},{dn}]}}");
}

/// The page's data as JSON, safe inside a `<script>` element.
pub fn data(ex: &Explorer) -> String {
    let m = ex.model;
    let mut texts = Texts::default();
    let mut out = String::from("{\"model\":");
    string(&mut out, &m.name);
    out.push_str(",\"services\":");
    strings(&mut out, m.services().iter().map(|s| s.name.as_str()));
    out.push_str(",\"details\":");
    let details = picture::architecture(m, None);
    strings(
        &mut out,
        details
            .nodes
            .iter()
            .map(|n| n.detail.as_deref().unwrap_or("")),
    );
    out.push_str(",\"entries\":");
    let entries = spof::entries(m);
    strings(&mut out, entries.iter().map(|e| e.name.as_str()));
    out.push_str(",\"initial\":");
    match ex.initial {
        Some(c) => cascade(&mut out, m, c, &mut texts),
        None => out.push_str("null"),
    }
    out.push_str(",\"faults\":");
    match ex.sweep {
        Sweep::Every(all) => {
            out.push('[');
            for (k, c) in all.iter().enumerate() {
                if k > 0 {
                    out.push_str(",\n");
                }
                cascade(&mut out, m, c, &mut texts);
            }
            out.push(']');
        }
        Sweep::Ranked(_) => out.push_str("null"),
    }
    let _ = write!(out, ",\"limit\":{MAX_SWEPT_SERVICES},\"texts\":");
    strings(&mut out, texts.list.iter().map(String::as_str));
    out.push('}');
    script_safe(&out)
}

/// JSON made safe as the content of a `<script>` element: `<`, `>`, `&`
/// and the JavaScript line terminators U+2028/U+2029 only ever occur
/// inside JSON strings, where their `\uXXXX` escapes mean the same.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sweep;
    use crate::sim::steady::Engine;

    /// Texts remembered by what they were formatted from get the indices,
    /// in the order, that interning each formatted text would give: with
    /// repeats, with different numbers of the same text (0.0 and −0.0,
    /// 0.4 and 0.41 both "0%"… ), and with equal explanations in distinct
    /// allocations.
    #[test]
    fn remembered_texts_get_the_indices_formatting_gives() {
        let shares = [0.5, 0.0, -0.0, 0.5, 0.004, 0.0041, 1.0, 0.5];
        let figures = [
            (0.01, 10.0),
            (0.01, 10.0),
            (0.010_000_1, 10.0),
            (0.01, 20.0),
            (2.0, 0.0),
        ];
        let a: std::sync::Arc<str> = "slow".into();
        let b: std::sync::Arc<str> = "slow".into();
        let c: std::sync::Arc<str> = "down".into();
        let (mut remembered, mut plain) = (Texts::default(), Texts::default());
        let mut ids = (Vec::new(), Vec::new());
        for (k, &x) in shares.iter().enumerate() {
            ids.0.push(remembered.percent(x));
            ids.1
                .push(intern(&mut plain.list, &mut plain.index, &percent(x)));
            let (l, r) = figures[k % figures.len()];
            ids.0.push(remembered.figures(l, r));
            ids.1.push(intern(
                &mut plain.list,
                &mut plain.index,
                &figures_text(l, r),
            ));
            let e = [&a, &b, &c][k % 3];
            ids.0.push(remembered.because(e));
            ids.1.push(intern(&mut plain.list, &mut plain.index, e));
        }
        assert_eq!(ids.0, ids.1);
        assert_eq!(remembered.list, plain.list);
        assert!(
            remembered.list.len() < 3 * shares.len(),
            "{:?}",
            remembered.list
        );
    }

    const HOSTILE: &str = "services:\n  \"</script><script>alert(1)</script>\":\n    entry: { rps: 1 }\n    depends_on: [\"a\\u2028b & <!-- c\"]\n  \"a\\u2028b & <!-- c\": {}\n";

    fn page(text: &str) -> (Model, String) {
        let m = crate::model::load_str(text, "t.yaml").unwrap().model;
        let engine = Engine::new(&m);
        let all = sweep::sweep(&m, &engine);
        let html = section(&Explorer {
            model: &m,
            sweep: &all,
            initial: None,
        });
        (m, html)
    }

    #[test]
    fn no_name_can_close_the_data_element() {
        let (m, html) = page(HOSTILE);
        let start = html.find("id=\"whatif-data\">").unwrap() + "id=\"whatif-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let json = &html[start..end];
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        assert!(!json.contains('\u{2028}'));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let names: Vec<&str> = v["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(names, m.service_names().collect::<Vec<_>>());
        // Our own two script elements, and no third.
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</script>").count(), 2);
    }

    #[test]
    fn the_script_and_style_cannot_end_early_and_are_hashed() {
        assert!(!SCRIPT.contains("</"));
        assert!(!STYLE.contains("</"));
        let top = head("t", "");
        assert!(top.contains(&hash_source(SCRIPT)));
        assert!(top.contains("default-src 'none'"));
        assert!(!top.contains("unsafe-inline"));
    }

    #[test]
    fn every_fault_is_one_cascade_of_the_cli_engine() {
        let m = crate::model::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/three-tier.yaml"
        )))
        .unwrap()
        .model;
        let engine = Engine::new(&m);
        let all = sweep::sweep(&m, &engine);
        let json = data(&Explorer {
            model: &m,
            sweep: &all,
            initial: None,
        });
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let faults = v["faults"].as_array().unwrap();
        assert_eq!(faults.len(), m.services().len());
        for (id, f) in m.service_ids().zip(faults) {
            let outcome = engine.steady(&[sweep::down(&m, id)]);
            let expected = crate::render::run::to_json(&m, &[sweep::down(&m, id)], &outcome);
            assert_eq!(f["label"], format!("--down {}", m.service(id).name));
            let shown: HashMap<u64, u64> = f["affected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
                .collect();
            for (k, s) in expected["services"].as_array().unwrap().iter().enumerate() {
                let state = shown.get(&(k as u64)).copied().unwrap_or(0);
                assert_eq!(
                    ["healthy", "slow", "degraded", "down"][state as usize],
                    s["state"],
                    "--down {}: {}",
                    m.service(id).name,
                    s["name"]
                );
            }
        }
    }
}
