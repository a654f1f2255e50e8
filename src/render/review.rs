//! The design-review report: every analysis and lint in one document, as
//! text, Markdown or one self-contained HTML page whose picture is
//! interactive.

use std::io::{self, Write};

use super::interactive;
use crate::analysis::cuts::EntryCuts;
use crate::analysis::events::BasicEvent;
use crate::analysis::lints::{Level, Lint};
use crate::analysis::spof::{Entry, Impact, entries};
use crate::analysis::sweep::Sweep;
use crate::model::{Model, ServiceId};

/// Everything the report shows, computed by the caller.
pub struct Review<'a> {
    /// The model.
    pub model: &'a Model,
    /// The model file, for positions.
    pub file: &'a str,
    /// Single points of failure per entry.
    pub spofs: &'a [(Entry, Vec<ServiceId>)],
    /// Zones whose loss takes each entry down.
    pub zone_spofs: &'a [(Entry, Vec<usize>)],
    /// Services ranked by blast radius.
    pub blast: &'a [Impact],
    /// Basic events and minimal cut sets (order 2).
    pub cuts: (&'a [BasicEvent], &'a [EntryCuts]),
    /// Availability lines: (entry, availability, low, high).
    pub availability: &'a [(String, f64, f64, f64)],
    /// What the availability figures assume, when some services give no
    /// `availability` (shown under them).
    pub availability_note: Option<&'a str>,
    /// Lints.
    pub lints: &'a [Lint],
}

fn names(model: &Model, ids: &[ServiceId]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.iter()
            .map(|&id| model.service(id).name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn pct(x: f64) -> String {
    format!("{:.4}%", x * 100.0)
}

/// Counts of lints per level.
fn counts(lints: &[Lint]) -> (usize, usize, usize) {
    let c = |l: Level| lints.iter().filter(|x| x.level == l).count();
    (c(Level::High), c(Level::Medium), c(Level::Low))
}

/// Markdown: headed sections, tables, names escaped.
pub fn write_markdown(out: &mut dyn Write, r: &Review) -> io::Result<()> {
    let m = r.model;
    let esc = super::run::md_cell;
    let (h, med, low) = counts(r.lints);
    writeln!(out, "# Design review: {}\n", esc(&m.name))?;
    writeln!(
        out,
        "{} services, {} entry points · lints: {h} high, {med} medium, {low} low\n",
        m.services().len(),
        entries(m).len()
    )?;
    writeln!(out, "## Single points of failure\n")?;
    writeln!(
        out,
        "| entry point | services whose failure takes it down | zones |"
    )?;
    writeln!(out, "| --- | --- | --- |")?;
    for (k, (e, ids)) in r.spofs.iter().enumerate() {
        let zones: Vec<&str> = r
            .zone_spofs
            .get(k)
            .map(|z| z.1.iter().map(|&i| m.zones[i].as_str()).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {} | {} |",
            esc(&e.name),
            esc(&names(m, ids)),
            esc(&if zones.is_empty() {
                "none".into()
            } else {
                zones.join(", ")
            })
        )?;
    }
    writeln!(out, "\n## Blast radius (top 10)\n")?;
    writeln!(
        out,
        "| service | entry traffic lost | services down | degraded |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: |")?;
    for i in r.blast.iter().take(10) {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            esc(&m.service(i.service).name),
            super::analysis::traffic_lost(m, i.rps_lost),
            i.down,
            i.degraded
        )?;
    }
    writeln!(out, "\n## Minimal cut sets (order ≤ 2)\n")?;
    let (events, cuts) = r.cuts;
    for c in cuts {
        writeln!(
            out,
            "- **{}**: {}",
            esc(&c.entry.name),
            if c.cut_sets.is_empty() {
                "none".to_string()
            } else {
                c.cut_sets
                    .iter()
                    .map(|s| {
                        format!(
                            "{{{}}}",
                            s.iter()
                                .map(|&i| esc(&events[i].name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
        )?;
    }
    if !r.availability.is_empty() {
        writeln!(out, "\n## Availability (Monte Carlo)\n")?;
        writeln!(out, "| entry point | availability | 95 % interval |")?;
        writeln!(out, "| --- | ---: | --- |")?;
        for (name, a, lo, hi) in r.availability {
            writeln!(
                out,
                "| {} | {} | {} – {} |",
                esc(name),
                pct(*a),
                pct(*lo),
                pct(*hi)
            )?;
        }
        if let Some(note) = r.availability_note {
            writeln!(out, "\n{}", esc(note))?;
        }
    }
    writeln!(out, "\n## Risky patterns\n")?;
    if r.lints.is_empty() {
        writeln!(out, "None found.")?;
    }
    for l in r.lints {
        writeln!(
            out,
            "- **{} {}** {} ({}:{}:{})\n  - fix: {}\n  - why: *{}*",
            l.level.as_str(),
            l.code,
            esc(&l.message.replace('`', "")),
            esc(r.file),
            l.pos.line,
            l.pos.column,
            esc(&l.fix.replace('`', "")),
            l.why
        )?;
    }
    Ok(())
}

/// Plain text (the terminal report).
/// Text: each analysis in turn; names cut and lists wrapped to the `width`.
pub fn write_text(
    out: &mut dyn Write,
    r: &Review,
    p: super::findings::Palette,
    width: Option<usize>,
) -> io::Result<()> {
    use super::fit;
    use crate::text::terminal;
    let m = r.model;
    let (h, med, low) = counts(r.lints);
    writeln!(
        out,
        "{}",
        p.paint("1", &format!("Design review: {}", terminal(&m.name)))
    )?;
    writeln!(
        out,
        "{} services · lints: {h} high, {med} medium, {low} low\n",
        m.services().len()
    )?;
    super::analysis::write_spof_text(out, m, r.spofs, Some(r.zone_spofs), p, width)?;
    writeln!(out)?;
    super::analysis::write_blast_text(out, m, r.blast, false, 10, p, width)?;
    writeln!(out, "\n{}", p.paint("1", "minimal cut sets (order ≤ 2)"))?;
    let (events, cuts) = r.cuts;
    for c in cuts {
        let sets: Vec<String> = c
            .cut_sets
            .iter()
            .map(|s| {
                format!(
                    "{{{}}}",
                    s.iter()
                        .map(|&i| events[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let name = terminal(&c.entry.name);
        let name = fit::truncate(&name, width.map_or(usize::MAX, |w| (w / 2).max(8)));
        let indent = name.chars().count() + 4;
        writeln!(
            out,
            "  {name}  {}",
            if sets.is_empty() {
                "none".into()
            } else {
                fit::wrap(&terminal(&sets.join(" ")), indent, indent, width)
            }
        )?;
    }
    if !r.availability.is_empty() {
        writeln!(
            out,
            "\n{}",
            p.paint("1", "availability (Monte Carlo, 95 % interval)")
        )?;
        for (name, a, lo, hi) in r.availability {
            let figures = format!("{}  [{} – {}]", pct(*a), pct(*lo), pct(*hi));
            let room = width.map_or(usize::MAX, |w| {
                w.saturating_sub(4 + figures.chars().count()).max(8)
            });
            writeln!(out, "  {}  {figures}", fit::truncate(&terminal(name), room))?;
        }
        if let Some(note) = r.availability_note {
            writeln!(out, "  {}", fit::wrap(&terminal(note), 2, 8, width))?;
        }
    }
    writeln!(out, "\n{}", p.paint("1", "risky patterns"))?;
    if r.lints.is_empty() {
        writeln!(out, "  none found")?;
    }
    write_lints_text(out, r.file, r.lints, p, width)
}

/// Lints as text, compiler style: the risk, where, what to do, why it
/// matters; prose wrapped to the `width`.
pub fn write_lints_text(
    out: &mut dyn Write,
    file: &str,
    lints: &[Lint],
    p: super::findings::Palette,
    width: Option<usize>,
) -> io::Result<()> {
    use super::fit;
    use crate::text::terminal;
    for l in lints {
        let color = match l.level {
            Level::High => "1;31",
            Level::Medium => "1;33",
            Level::Low => "36",
        };
        let head = format!("{}[{}]", l.level.as_str(), l.code);
        let first = head.chars().count() + 1;
        writeln!(
            out,
            "{} {}",
            p.paint(color, &head),
            fit::wrap(&terminal(&l.message), first, 2, width)
        )?;
        writeln!(
            out,
            "  --> {}:{}:{}",
            terminal(file),
            l.pos.line,
            l.pos.column
        )?;
        writeln!(out, "  fix: {}", fit::wrap(&terminal(&l.fix), 7, 7, width))?;
        writeln!(out, "  why: {}", fit::wrap(l.why, 7, 7, width))?;
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    super::svg::xml_text(s)
}

/// The review's own style sheet (the explorer adds its own).
const REVIEW_CSS: &str = "body{font:18px/1.45 Helvetica,Arial,sans-serif;margin:1.5rem auto;max-width:110rem;color:#1d2630;padding:0 1rem}h1{font-size:1.9rem}h2{margin-top:2rem;border-bottom:2px solid #e3e6ea}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}td.n{text-align:right}.high{color:#a11d1d;font-weight:bold}.medium{color:#9a4d00;font-weight:bold}.low{color:#2f5d8a}.why{color:#556;font-style:italic}code{background:#f4f6f8;padding:0 .2rem}\n";

/// One self-contained HTML page: the architecture as the interactive
/// picture of [`super::interactive`] (a click on a service shows its
/// `--down` cascade, from `sweep`), then every analysis as tables. Nothing
/// is fetched; the only scripts are the page's own (see that module).
pub fn write_html(out: &mut dyn Write, r: &Review, sweep: &Sweep) -> io::Result<()> {
    let m = r.model;
    let e = html_escape;
    let (h, med, low) = counts(r.lints);
    let mut s = interactive::head(&format!("Design review: {}", m.name), REVIEW_CSS);
    s.push_str(&format!("<h1>Design review: {}</h1>\n", e(&m.name)));
    s.push_str(&format!("<p>{} services, {} entry points · risky patterns: <span class=\"high\">{h} high</span>, <span class=\"medium\">{med} medium</span>, <span class=\"low\">{low} low</span></p>\n", m.services().len(), entries(m).len()));
    s.push_str(&interactive::section(&interactive::Explorer {
        model: m,
        sweep,
        initial: None,
    }));
    s.push_str("<h2>Single points of failure</h2>\n<table><tr><th>entry point</th><th>services whose failure takes it down</th><th>zones</th></tr>\n");
    for (k, (en, ids)) in r.spofs.iter().enumerate() {
        let zones: Vec<&str> = r
            .zone_spofs
            .get(k)
            .map(|z| z.1.iter().map(|&i| m.zones[i].as_str()).collect())
            .unwrap_or_default();
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e(&en.name),
            e(&names(m, ids)),
            e(&if zones.is_empty() {
                "none".into()
            } else {
                zones.join(", ")
            })
        ));
    }
    s.push_str("</table>\n<h2>Blast radius (top 10)</h2>\n<table><tr><th>service</th><th>entry traffic lost</th><th>services down</th><th>degraded</th></tr>\n");
    for i in r.blast.iter().take(10) {
        s.push_str(&format!("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n", e(&m.service(i.service).name), super::analysis::traffic_lost(m, i.rps_lost), i.down, i.degraded));
    }
    s.push_str("</table>\n<h2>Minimal cut sets (order ≤ 2)</h2>\n<table><tr><th>entry point</th><th>cut sets</th></tr>\n");
    let (events, cuts) = r.cuts;
    for c in cuts {
        let sets: Vec<String> = c
            .cut_sets
            .iter()
            .map(|set| {
                format!(
                    "{{{}}}",
                    set.iter()
                        .map(|&i| e(&events[i].name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            e(&c.entry.name),
            if sets.is_empty() {
                "none".into()
            } else {
                sets.join(" · ")
            }
        ));
    }
    s.push_str("</table>\n");
    if !r.availability.is_empty() {
        s.push_str("<h2>Availability (Monte Carlo)</h2>\n<table><tr><th>entry point</th><th>availability</th><th>95 % interval</th></tr>\n");
        for (name, a, lo, hi) in r.availability {
            s.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{} – {}</td></tr>\n",
                e(name),
                pct(*a),
                pct(*lo),
                pct(*hi)
            ));
        }
        s.push_str("</table>\n");
        if let Some(note) = r.availability_note {
            s.push_str(&format!("<p class=\"why\">{}</p>\n", e(note)));
        }
    }
    s.push_str("<h2>Risky patterns</h2>\n<table><tr><th>level</th><th>code</th><th>finding</th><th>where</th></tr>\n");
    for l in r.lints {
        s.push_str(&format!(
            "<tr><td class=\"{lv}\">{lv}</td><td>{}</td><td>{}<br>fix: {}<br><span class=\"why\">{}</span></td><td>{}:{}:{}</td></tr>\n",
            l.code,
            e(&l.message),
            e(&l.fix),
            e(l.why),
            e(r.file),
            l.pos.line,
            l.pos.column,
            lv = l.level.as_str()
        ));
    }
    s.push_str("</table>\n</body></html>\n");
    out.write_all(s.as_bytes())
}
