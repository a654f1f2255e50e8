//! Design-review analyses as text and JSON: single points of failure, blast
//! radius, lints. Names and messages in text pass through
//! [`terminal`].

use std::io::{self, Write};

use serde::Serialize;

use super::findings::Palette;
use super::fit;
use crate::analysis::spof::{Entry, Impact, entries};
use crate::model::{Model, ServiceId};
use crate::text::terminal;

fn names(model: &Model, ids: &[ServiceId]) -> Vec<String> {
    ids.iter()
        .map(|&id| model.service(id).name.clone())
        .collect()
}

/// `spof` as JSON (docs/review.md): written as it is serialised, fields in
/// name order (as every JSON object whatif writes).
#[derive(Debug, Serialize)]
pub struct SpofJson<'m> {
    /// Each entry point with its single points.
    pub entry_points: Vec<SpofEntryJson<'m>>,
    model: &'m str,
}

/// One entry point of [`SpofJson`].
#[derive(Debug, Serialize)]
pub struct SpofEntryJson<'m> {
    name: &'m str,
    single_points: Vec<&'m str>,
    /// With `--zones`: the zones whose loss takes it down.
    #[serde(skip_serializing_if = "Option::is_none")]
    zones: Option<Vec<&'m str>>,
}

/// `spof` as JSON (plus `zones` when asked).
pub fn spof_json<'m>(
    model: &'m Model,
    spofs: &'m [(Entry, Vec<ServiceId>)],
    zones: Option<&[(Entry, Vec<usize>)]>,
) -> SpofJson<'m> {
    let entry_points = spofs
        .iter()
        .enumerate()
        .map(|(k, (e, ids))| SpofEntryJson {
            name: &e.name,
            single_points: ids
                .iter()
                .map(|&id| model.service(id).name.as_str())
                .collect(),
            zones: zones.map(|z| z[k].1.iter().map(|&i| model.zones[i].as_str()).collect()),
        })
        .collect();
    SpofJson {
        entry_points,
        model: &model.name,
    }
}

/// `spof` as text: each entry, then its single points wrapped beside it
/// (an entry's name is cut to at most half the `width`).
pub fn write_spof_text(
    out: &mut dyn Write,
    model: &Model,
    spofs: &[(Entry, Vec<ServiceId>)],
    zones: Option<&[(Entry, Vec<usize>)]>,
    p: Palette,
    width: Option<usize>,
) -> io::Result<()> {
    let rest = ": single points of failure (one service failing as a whole)";
    let title = terminal(&model.name);
    writeln!(
        out,
        "{}{}",
        p.paint("1", &title),
        fit::wrap(rest, title.chars().count(), 2, width)
    )?;
    if spofs.is_empty() {
        writeln!(
            out,
            "no entry points: mark the front door with `entry: {{ rps: … }}`"
        )?;
    }
    // A wrapped list is painted line by line, so no escape code spans a break.
    let paint_lines = |code: &str, text: &str| -> String {
        text.split('\n')
            .map(|l| {
                let body = l.trim_start();
                if body.is_empty() {
                    return l.to_owned();
                }
                format!("{}{}", &l[..l.len() - body.len()], p.paint(code, body))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (k, (e, ids)) in spofs.iter().enumerate() {
        let name = terminal(&e.name);
        let name = fit::truncate(&name, width.map_or(usize::MAX, |w| (w / 2).max(8)));
        let w = name.chars().count();
        let list = if ids.is_empty() {
            p.paint("32", "none")
        } else {
            let list = fit::wrap(
                &terminal(&names(model, ids).join(", ")),
                w + 4,
                w + 4,
                width,
            );
            paint_lines("1;31", &list)
        };
        writeln!(out, "  {name}  {list}")?;
        if let Some(z) = zones {
            let zs: Vec<&str> = z[k].1.iter().map(|&i| model.zones[i].as_str()).collect();
            if !zs.is_empty() {
                let list = fit::wrap(&terminal(&zs.join(", ")), w + 11, w + 11, width);
                writeln!(out, "  {:w$}  zones: {}", "", paint_lines("1;31", &list))?;
            }
        }
    }
    Ok(())
}

/// `blast` as JSON: services ranked, each with what it takes down, and
/// which evaluation decided (`steady`: the steady state, else structural).
#[derive(Debug, Serialize)]
pub struct BlastJson<'m> {
    engine: &'static str,
    model: &'m str,
    /// The services, ranked.
    pub services: Vec<BlastServiceJson<'m>>,
}

/// One service of [`BlastJson`].
#[derive(Debug, Serialize)]
pub struct BlastServiceJson<'m> {
    degraded: usize,
    down: usize,
    entry_points_down: Vec<String>,
    entry_rps_lost: f64,
    name: &'m str,
}

/// `blast` as JSON (see [`BlastJson`]).
pub fn blast_json<'m>(model: &'m Model, ranked: &[Impact], steady: bool) -> BlastJson<'m> {
    let all = entries(model);
    BlastJson {
        engine: if steady { "steady" } else { "structural" },
        model: &model.name,
        services: ranked
            .iter()
            .map(|i| BlastServiceJson {
                degraded: i.degraded,
                down: i.down,
                entry_points_down: i
                    .entries_down
                    .iter()
                    .map(|&k| all[k].name.clone())
                    .collect(),
                entry_rps_lost: i.rps_lost,
                name: &model.service(i.service).name,
            })
            .collect(),
    }
}

/// The share of all entry traffic that `rps_lost` is (`25%`, `<1%` for a
/// loss that would round to zero), the unit every blast table shows; `-`
/// when the model has no entry traffic.
pub fn traffic_lost(model: &Model, rps_lost: f64) -> String {
    let total: f64 = model
        .entry_points()
        .map(|e| model.service(e).entry_rps().unwrap_or(0.0))
        .sum();
    let share = rps_lost / total * 100.0;
    if total > 0.0 && share > 0.0 && share < 0.5 {
        "<1%".to_string()
    } else if total > 0.0 {
        format!("{share:.0}%")
    } else {
        "-".into()
    }
}

/// `blast` as text: a ranked table, names cut to fit the `width`; `steady`
/// says the steady state decided (and counts slow services as degraded).
pub fn write_blast_text(
    out: &mut dyn Write,
    model: &Model,
    ranked: &[Impact],
    steady: bool,
    top: usize,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    let rest = if steady {
        ": blast radius of each service failing as a whole (steady state: load counted)"
    } else {
        ": blast radius of each service failing as a whole"
    };
    let title = terminal(&model.name);
    writeln!(
        out,
        "{}{}",
        p.paint("1", &title),
        fit::wrap(rest, title.chars().count(), 2, line)
    )?;
    let names: Vec<_> = ranked
        .iter()
        .take(top)
        .map(|i| terminal(&model.service(i.service).name))
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(7, 40);
    const REST: usize = 2 + 2 + 12 + 2 + 6 + 2 + 8;
    let width = fit::column(width, REST, line, 7);
    let room = line.map(|w| w.saturating_sub(REST));
    writeln!(
        out,
        "  {:<width$}  {:>12}  {:>6}  {:>8}",
        "service", "traffic lost", "down", "degraded"
    )?;
    for (i, name) in ranked.iter().zip(&names) {
        let lost = traffic_lost(model, i.rps_lost);
        let lost = if i.rps_lost > 0.0 {
            p.paint("1;31", &format!("{lost:>12}"))
        } else {
            format!("{lost:>12}")
        };
        writeln!(
            out,
            "  {}  {lost}  {:>6}  {:>8}",
            fit::cell(name, width, room),
            i.down,
            i.degraded
        )?;
    }
    if ranked.len() > top {
        writeln!(
            out,
            "  … {} more (--top {})",
            ranked.len() - top,
            ranked.len()
        )?;
    }
    Ok(())
}
