//! A timeline as text (the state changes, in order), JSON (docs/timelines.md's
//! `events` and `series`) and an SVG chart of success over time.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::findings::Palette;
use super::picture::duration;
use super::run::{fault_json, state_color, summary};
use crate::model::{Model, ServiceId};
use crate::sim::explain::{latency, percent};
use crate::sim::faults::Fault;
use crate::sim::steady::State;
use crate::sim::timeline::Timeline;
use crate::text::terminal;

/// `t=0s`, `t=1m30s`.
pub fn at(t: f64) -> String {
    duration(t)
}

/// Writes the state changes in time order, then where things stand at the end.
/// With a `width`, reasons are wrapped under their column and a name is cut
/// only when the line has no room for it (see [`super::fit`]); without one,
/// nothing is cut. The title, names and reasons are made terminal-safe here.
pub fn write_text(
    out: &mut dyn Write,
    model: &Model,
    title: &str,
    timeline: &Timeline,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    use super::fit;
    writeln!(out, "{}", p.paint("1", &terminal(title)))?;
    if !timeline.converged {
        writeln!(
            out,
            "{}",
            p.paint(
                "1;33",
                "warning: some steps did not settle; their figures are approximate"
            )
        )?;
    }
    let unhealthy_before: Vec<_> = model
        .service_ids()
        .filter(|id| timeline.before.services[id.index()].state != State::Healthy)
        .map(|id| terminal(&model.service(id).name))
        .collect();
    if unhealthy_before.is_empty() {
        writeln!(out, "before t=0: all healthy")?;
    } else {
        writeln!(
            out,
            "before t=0: not healthy already: {}",
            fit::wrap(&unhealthy_before.join(", "), 33, 2, line)
        )?;
    }
    let names: Vec<_> = timeline.changes.iter().map(|c| terminal(&c.name)).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    // Time, name, from → to, then at least a few words of the reason.
    const REST: usize = 8 + 2 + 2 + 8 + 3 + 8 + 2 + 16;
    let width = fit::column(width, REST, line, 8);
    let room = line.map(|w| w.saturating_sub(REST));
    let reason_at = 8 + 2 + width + 2 + 8 + 3 + 8 + 2;
    if timeline.changes.is_empty() {
        writeln!(out, "no state changes")?;
    }
    for (c, name) in timeline.changes.iter().zip(&names) {
        let to = format!("{:<8}", c.to.as_str().to_uppercase());
        let cell = fit::cell(name, width, room);
        // A long name pushes the reason right: wrap it from where it starts.
        let reason_at = reason_at + cell.chars().count() - width;
        let because = fit::wrap(&terminal(&c.because), reason_at, reason_at, line);
        let gap = if because.starts_with('\n') { "" } else { "  " };
        writeln!(
            out,
            "{:>8}  {cell}  {:>8} → {}{gap}{because}",
            at(c.t_s),
            c.from.as_str(),
            p.paint(state_color(c.to), &to),
        )?;
    }
    let end = timeline.times.last().copied().unwrap_or(0.0);
    let counts = summary(&timeline.last);
    writeln!(
        out,
        "\nat {}: {} healthy · {} slow · {} degraded · {} down",
        at(end),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )?;
    for id in model.entry_points() {
        let f = &timeline.last.services[id.index()];
        writeln!(
            out,
            "  {} {} {} {}",
            fit::truncate(
                &terminal(&model.service(id).name),
                line.map_or(usize::MAX, |w| w.saturating_sub(30).max(8))
            ),
            p.paint(state_color(f.state), &f.state.as_str().to_uppercase()),
            percent(f.success),
            latency(f.latency_s)
        )?;
    }
    Ok(())
}

/// Services worth charting: entry points and every service that changed.
pub fn charted(model: &Model, timeline: &Timeline) -> Vec<ServiceId> {
    model
        .service_ids()
        .filter(|&id| {
            model.service(id).is_entry() || timeline.changes.iter().any(|c| c.service == id)
        })
        .collect()
}

/// `events` and `series` to add to `run`'s JSON.
pub fn json_parts(model: &Model, timeline: &Timeline) -> (Value, Value) {
    let events: Vec<Value> = timeline
        .changes
        .iter()
        .map(|c| json!({ "t_s": c.t_s, "name": c.name, "from": c.from.as_str(), "to": c.to.as_str(), "because": c.because }))
        .collect();
    let mut series = serde_json::Map::new();
    for id in model.service_ids() {
        let samples: Vec<Value> = timeline.series[id.index()]
            .iter()
            .map(|s| {
                json!({
                    "t_s": s.t_s,
                    "success": s.success,
                    "latency_ms": if s.latency_s.is_finite() { json!(s.latency_s * 1000.0) } else { Value::Null },
                    "load_rps": s.load_rps,
                })
            })
            .collect();
        series.insert(model.service(id).name.clone(), Value::Array(samples));
    }
    (Value::Array(events), Value::Object(series))
}

/// `run --for` as JSON: `run`'s shape for the final step, plus `events`,
/// `series`, `duration_s` and `step_s`.
pub fn to_json(model: &Model, faults: &[Fault], timeline: &Timeline, step_s: f64) -> Value {
    let mut v = super::run::to_json(model, faults, &timeline.last);
    let (events, series) = json_parts(model, timeline);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "faults".into(),
            Value::Array(faults.iter().map(fault_json).collect()),
        );
        o.insert("converged".into(), json!(timeline.converged));
        o.insert(
            "duration_s".into(),
            json!(timeline.times.last().copied().unwrap_or(0.0)),
        );
        o.insert("step_s".into(), json!(step_s));
        o.insert("events".into(), events);
        o.insert("series".into(), series);
    }
    v
}

/// An SVG chart of success ratio over time: one line per charted service.
pub fn write_chart(
    out: &mut dyn Write,
    model: &Model,
    title: &str,
    timeline: &Timeline,
) -> io::Result<()> {
    const COLORS: [&str; 8] = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ];
    let ids = charted(model, timeline);
    let (w, h, left, top, plot_w, plot_h) = (
        900.0,
        360.0 + 18.0 * ids.len() as f64,
        60.0,
        40.0,
        800.0,
        260.0,
    );
    let end = timeline.times.last().copied().unwrap_or(0.0).max(1e-9);
    let x = |t: f64| left + t / end * plot_w;
    let y = |s: f64| top + (1.0 - s) * plot_h;
    let mut svg = String::new();
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    ));
    svg.push_str(&format!(
        "<rect width=\"{w:.0}\" height=\"{h:.0}\" fill=\"#ffffff\"/>\n"
    ));
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
        super::svg::xml_text(title)
    ));
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let yy = y(tick);
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e3e6ea\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}%</text>\n",
            left + plot_w,
            left - 6.0,
            yy + 4.0,
            (tick * 100.0) as u32
        ));
    }
    for i in 0..=4 {
        let t = end * f64::from(i) / 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
            x(t),
            top + plot_h + 16.0,
            super::svg::xml_text(&at(t.round()))
        ));
    }
    for (k, id) in ids.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points: Vec<String> = timeline.series[id.index()]
            .iter()
            .map(|s| format!("{:.1},{:.1}", x(s.t_s), y(s.success)))
            .collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
            points.join(" ")
        ));
        let ly = top + plot_h + 40.0 + 18.0 * k as f64;
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>\n",
            ly - 4.0,
            left + 24.0,
            ly - 4.0,
            left + 32.0,
            ly,
            super::svg::xml_text(&model.service(*id).name)
        ));
    }
    svg.push_str("</svg>\n");
    out.write_all(svg.as_bytes())
}
