//! A timeline as text (the state changes, in order), JSON (docs/timelines.md's
//! `events` and `series`) and Markdown; its chart is [`super::chart`].

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::findings::Palette;
use super::fit;
use super::markers::Marker;
use super::picture::duration;
use super::run::{fault_json, md_cell, state_color, summary};
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

/// Writes the state changes in time order, each event (`markers`: a fault
/// starting or ending, an action) on its own line at its moment, before the
/// changes of that moment; then where things stand at the end. With a
/// `width`, reasons are wrapped under their column and a name is cut only
/// when the line has no room for it (see [`super::fit`]); without one,
/// nothing is cut. The title, names and reasons are made terminal-safe here.
pub fn write_text(
    out: &mut dyn Write,
    model: &Model,
    title: &str,
    timeline: &Timeline,
    markers: &[Marker],
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    write_text_heading(out, model, title, timeline, p, line)?;
    write_text_changes(out, timeline, markers, p, line)?;
    if timeline.changes.is_empty() {
        writeln!(out, "no state changes")?;
    }
    write_text_end(out, model, timeline, p, line)
}

/// The title, a warning when some step did not settle, and what was not
/// healthy before the faults.
fn write_text_heading(
    out: &mut dyn Write,
    model: &Model,
    title: &str,
    timeline: &Timeline,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
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
    let unhealthy_before: Vec<_> = not_healthy_before(model, timeline)
        .map(|id| terminal(&model.service(id).name))
        .collect();
    if unhealthy_before.is_empty() {
        writeln!(out, "before t=0: all healthy")
    } else {
        writeln!(
            out,
            "before t=0: not healthy already: {}",
            fit::wrap(&unhealthy_before.join(", "), 33, 2, line)
        )
    }
}

/// Each state change on a line (time, name, from → to, reason wrapped
/// under its column), each marker before the changes of its moment.
fn write_text_changes(
    out: &mut dyn Write,
    timeline: &Timeline,
    markers: &[Marker],
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
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
    let mut pending = markers.iter().peekable();
    for (c, name) in timeline.changes.iter().zip(&names) {
        while let Some(m) = pending.next_if(|m| m.t_s <= c.t_s + 1e-9) {
            write_marker(out, m, p, line)?;
        }
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
    for m in pending {
        write_marker(out, m, p, line)?;
    }
    Ok(())
}

/// Where things stand at the end: the counts, then each entry point.
fn write_text_end(
    out: &mut dyn Write,
    model: &Model,
    timeline: &Timeline,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
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

/// One event line of the text timeline: `     12m  ▸ recover catalog-db`.
fn write_marker(
    out: &mut dyn Write,
    m: &Marker,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    let text = fit::wrap(&terminal(&m.text), 12, 12, line);
    writeln!(
        out,
        "{:>8}  {} {}",
        at(m.t_s),
        p.paint("1;36", "▸"),
        p.paint("1", &text)
    )
}

/// An event (a marker) in JSON: `{ "action": "recover db", "t_s": 720 }`.
#[derive(Serialize)]
struct ActionJson<'a> {
    action: &'a str,
    t_s: f64,
}

/// A state change in JSON (keys in name order, as everywhere in whatif's
/// JSON).
#[derive(Serialize)]
struct ChangeJson<'a> {
    because: &'a str,
    from: &'a str,
    name: &'a str,
    t_s: f64,
    to: &'a str,
}

/// One step of one service's series; `latency_ms` is `null` when some
/// requests wait forever.
#[derive(Serialize)]
struct SampleJson {
    latency_ms: Option<f64>,
    load_rps: f64,
    success: f64,
    t_s: f64,
}

/// Every service's series, by name in name order, each written as it is
/// read from the timeline (no copy of the samples).
struct SeriesJson<'a> {
    model: &'a Model,
    timeline: &'a Timeline,
}

impl Serialize for SeriesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut ids: Vec<ServiceId> = self.model.service_ids().collect();
        ids.sort_by(|a, b| {
            self.model
                .service(*a)
                .name
                .cmp(&self.model.service(*b).name)
        });
        let mut map = serializer.serialize_map(Some(ids.len()))?;
        for id in ids {
            let samples: Vec<SampleJson> = self.timeline.series[id.index()]
                .iter()
                .map(|s| SampleJson {
                    latency_ms: s.latency_s.is_finite().then_some(s.latency_s * 1000.0),
                    load_rps: s.load_rps,
                    success: s.success,
                    t_s: s.t_s,
                })
                .collect();
            map.serialize_entry(&self.model.service(id).name, &samples)?;
        }
        map.end()
    }
}

fn actions(markers: &[Marker]) -> Vec<ActionJson<'_>> {
    markers
        .iter()
        .map(|m| ActionJson {
            action: &m.text,
            t_s: m.t_s,
        })
        .collect()
}

fn changes(timeline: &Timeline) -> Vec<ChangeJson<'_>> {
    timeline
        .changes
        .iter()
        .map(|c| ChangeJson {
            because: &c.because,
            from: c.from.as_str(),
            name: &c.name,
            t_s: c.t_s,
            to: c.to.as_str(),
        })
        .collect()
}

/// The events (`markers`) as JSON: `[ { "action": "recover db", "t_s": 720 } ]`.
pub fn actions_json(markers: &[Marker]) -> Value {
    serde_json::to_value(actions(markers)).expect("plain data serializes")
}

/// The state changes (`events` in `run --for`'s JSON) as JSON.
pub fn events_json(timeline: &Timeline) -> Value {
    serde_json::to_value(changes(timeline)).expect("plain data serializes")
}

/// `run --for` as JSON: `run`'s keys for the final step, plus `actions`
/// (`markers`), `duration_s`, `events`, `series` and `step_s`, in name
/// order like every JSON object whatif writes.
#[derive(Serialize)]
struct TimelineJson<'a> {
    actions: Vec<ActionJson<'a>>,
    converged: bool,
    duration_s: f64,
    entry_points: Vec<super::run::EntryJson<'a>>,
    events: Vec<ChangeJson<'a>>,
    faults: Vec<Value>,
    iterations: usize,
    model: &'a str,
    operations: super::run::Rows<'a>,
    series: SeriesJson<'a>,
    services: super::run::Rows<'a>,
    step_s: f64,
    summary: super::run::SummaryJson,
}

/// Writes `run --for`'s JSON, pretty, with a newline: typed rows streamed
/// to `out` (a timeline of a thousand services over 1,200 steps is over a
/// million samples: no `serde_json::Value` tree of them in between).
pub fn write_json(
    out: &mut dyn Write,
    model: &Model,
    faults: &[Fault],
    timeline: &Timeline,
    markers: &[Marker],
    step_s: f64,
) -> io::Result<()> {
    let run = super::run::RunJson::new(model, faults, &timeline.last);
    let json = TimelineJson {
        actions: actions(markers),
        converged: timeline.converged,
        duration_s: timeline.times.last().copied().unwrap_or(0.0),
        entry_points: run.entry_points,
        events: changes(timeline),
        faults: faults.iter().map(fault_json).collect(),
        // Over the steps, as `converged` is: the passes of the step that
        // took the most.
        iterations: timeline.iterations,
        model: run.model,
        operations: run.operations,
        series: SeriesJson { model, timeline },
        services: run.services,
        step_s,
        summary: run.summary,
    };
    super::write_json_pretty(out, &json)
}

/// The timeline as Markdown (for an incident review or an issue): the
/// events (`markers`), then every state change as a table row, then where
/// the entry points stand at the end.
pub fn write_markdown(
    out: &mut dyn Write,
    model: &Model,
    title: &str,
    timeline: &Timeline,
    markers: &[Marker],
) -> io::Result<()> {
    writeln!(out, "## {}\n", md_cell(title))?;
    if !timeline.converged {
        writeln!(
            out,
            "> **Warning:** some steps did not settle; their figures are approximate.\n"
        )?;
    }
    let unhealthy_before: Vec<&str> = not_healthy_before(model, timeline)
        .map(|id| model.service(id).name.as_str())
        .collect();
    if unhealthy_before.is_empty() {
        writeln!(out, "Before t=0: all healthy.\n")?;
    } else {
        writeln!(
            out,
            "Before t=0, not healthy already: {}.\n",
            md_cell(&unhealthy_before.join(", "))
        )?;
    }
    write_markdown_tables(out, timeline, markers)?;
    write_markdown_end(out, model, timeline)
}

/// The events, then the state changes, each as a table.
fn write_markdown_tables(
    out: &mut dyn Write,
    timeline: &Timeline,
    markers: &[Marker],
) -> io::Result<()> {
    if !markers.is_empty() {
        writeln!(out, "| t | event |\n| ---: | --- |")?;
        for m in markers {
            writeln!(out, "| {} | {} |", at(m.t_s), md_cell(&m.text))?;
        }
        writeln!(out)?;
    }
    if timeline.changes.is_empty() {
        return writeln!(out, "No state changes.\n");
    }
    writeln!(
        out,
        "| t | service | from | to | because |\n| ---: | --- | --- | --- | --- |"
    )?;
    for c in &timeline.changes {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            at(c.t_s),
            md_cell(&c.name),
            c.from.as_str(),
            c.to.as_str(),
            md_cell(&c.because)
        )?;
    }
    writeln!(out)
}

/// Where things stand at the end: the counts, then the entry points as a
/// table.
fn write_markdown_end(out: &mut dyn Write, model: &Model, timeline: &Timeline) -> io::Result<()> {
    let end = timeline.times.last().copied().unwrap_or(0.0);
    let counts = summary(&timeline.last);
    writeln!(
        out,
        "At {}: {} healthy · {} slow · {} degraded · {} down\n",
        at(end),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )?;
    let entries: Vec<ServiceId> = model.entry_points().collect();
    if entries.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "| entry point | state | success | latency |\n| --- | --- | ---: | ---: |"
    )?;
    for id in entries {
        let f = &timeline.last.services[id.index()];
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_cell(&model.service(id).name),
            f.state.as_str(),
            percent(f.success),
            latency(f.latency_s)
        )?;
    }
    Ok(())
}

/// The services not healthy before any fault, in model order.
fn not_healthy_before<'a>(
    model: &'a Model,
    timeline: &'a Timeline,
) -> impl Iterator<Item = ServiceId> + 'a {
    model
        .service_ids()
        .filter(|id| timeline.before.services[id.index()].state != State::Healthy)
}
