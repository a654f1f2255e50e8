//! The timeline as an SVG chart for an incident review (`run --for …
//! -o chart.svg`).
//!
//! Top to bottom: the title; the events (faults starting and ending,
//! responders' actions), each a labelled dashed line across the whole
//! chart, labels stacked in lanes so none overlaps another; a time axis;
//! then one row per service worth showing — entry points first, each
//! followed by its entry operations that changed, then every other service
//! that changed, in the order trouble reached it. A row is a band
//! coloured by state over time, with the success share (solid) and the
//! mean latency (dashed, scaled to the row's own maximum, written at its
//! right) drawn over it, and a tick at each moment the state changed,
//! labelled with the new state and the time where there is room (the
//! tick's hover title says it always). A legend closes the chart.
//!
//! Text widths are estimated from character counts with generous
//! per-character advances, so that labels the estimate keeps apart do not
//! touch in a browser (a test checks that in Chromium). Every name is
//! untrusted text: cleaned and escaped ([`xml_text`]).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::diagram::Paint;
use super::markers::Marker;
use crate::model::{Model, ServiceId};
use crate::sim::explain::{latency, percent};
use crate::sim::steady::State;
use crate::sim::timeline::{Change, Sample, Timeline};
use crate::text::{clean, duration, xml_text};

/// Width of the whole chart.
const WIDTH: f64 = 1000.0;
/// Left edge of the plot (names to its left).
const PLOT_LEFT: f64 = 190.0;
/// Right edge of the plot (each row's latency scale to its right).
const PLOT_RIGHT: f64 = 910.0;
/// Outer margin.
const MARGIN: f64 = 14.0;
/// Height of one lane of event labels.
const LANE_H: f64 = 17.0;
/// Strip above a band where its state changes are labelled.
const STRIP_H: f64 = 14.0;
/// Band height of a service row, and of an operation row.
const BAND_H: f64 = 36.0;
const OP_BAND_H: f64 = 16.0;
/// Space between rows.
const ROW_GAP: f64 = 8.0;
/// Estimated advance of one character of 11 px text (event labels, names
/// of operations), and of 10 px and 12 px bold text. Generous: Helvetica,
/// Arial and their metric twins average less.
const CHAR_11: f64 = 6.6;
const CHAR_10: f64 = 6.1;
const CHAR_12_BOLD: f64 = 7.9;
/// Of the 15 px bold title: DejaVu Sans Bold, what Linux machines without
/// Helvetica or Arial draw instead, averages 8.9 px on a typical title
/// (flags and names); Arial Bold about 7.5.
const CHAR_15_BOLD: f64 = 9.4;
/// Space kept between two labels on one line.
const LABEL_GAP: f64 = 8.0;
const EVENT_COLOUR: &str = "#1a5fb4";
const SUCCESS_COLOUR: &str = "#1d2630";
const LATENCY_COLOUR: &str = "#6a1b9a";
const TEXT_COLOUR: &str = "#1d2630";
const MUTED: &str = "#55606b";
const FONT: &str = "Helvetica, Arial, sans-serif";
/// A white outline under a label, so lines passing behind it do not cut
/// through its letters.
const HALO: &str =
    " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"";

/// What a chart shows.
pub struct Chart<'a> {
    /// The model.
    pub model: &'a Model,
    /// Shown at the top (`online-shop --down db for 10m (step 1s)`).
    pub title: &'a str,
    /// The simulated timeline.
    pub timeline: &'a Timeline,
    /// Its faults and actions ([`super::markers`]).
    pub markers: &'a [Marker],
}

/// Writes the chart as one SVG document, in one `write_all` call.
pub fn write_chart(out: &mut dyn Write, chart: &Chart) -> io::Result<()> {
    out.write_all(render(chart).as_bytes())
}

/// One row of the chart: a service, or one entry operation of a service.
struct Row {
    service: ServiceId,
    operation: Option<usize>,
}

/// The rows: entry points first (each followed by its entry operations
/// that changed state), then every other service that changed, by the
/// moment it first changed, then nearest the cause first, then model order.
fn rows(model: &Model, timeline: &Timeline) -> Vec<Row> {
    let first_change = |id: ServiceId| {
        timeline
            .changes
            .iter()
            .find(|c| c.service == id)
            .map(|c| c.t_s)
    };
    let mut rows = Vec::new();
    for id in model.entry_points() {
        rows.push(Row {
            service: id,
            operation: None,
        });
        let svc = model.service(id);
        if !svc.declares_operations {
            continue;
        }
        for (oi, op) in svc.operations.iter().enumerate() {
            let changed = timeline
                .changes
                .iter()
                .any(|c| c.service == id && c.operation == Some(oi));
            if op.rps.is_some() && changed {
                rows.push(Row {
                    service: id,
                    operation: Some(oi),
                });
            }
        }
    }
    // At one moment, the nearer to the cause the earlier: the length of
    // the service's chain then.
    let chain_at = |id: ServiceId, t: f64| {
        timeline
            .frames
            .iter()
            .find(|(ft, _)| (ft - t).abs() < 1e-9)
            .map_or(usize::MAX, |(_, o)| o.services[id.index()].chain.len())
    };
    let mut others: Vec<(f64, usize, ServiceId)> = model
        .service_ids()
        .filter(|&id| !model.service(id).is_entry())
        .filter_map(|id| first_change(id).map(|t| (t, chain_at(id, t), id)))
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    rows.extend(others.into_iter().map(|(_, _, id)| Row {
        service: id,
        operation: None,
    }));
    rows
}

/// A horizontal span taken by a label, to keep labels apart.
#[derive(Clone, Copy)]
struct Span(f64, f64);

impl Span {
    fn clear_of(self, others: &[Span]) -> bool {
        others
            .iter()
            .all(|o| self.1 + LABEL_GAP <= o.0 || o.1 + LABEL_GAP <= self.0)
    }
}

/// Where a label of `width` goes beside the line at `x`: to its right, or
/// to its left when it would run past `right`. Returns the span and the
/// SVG `text-anchor`.
fn beside(x: f64, width: f64, right: f64) -> (Span, &'static str) {
    if x + 4.0 + width <= right {
        (Span(x + 4.0, x + 4.0 + width), "start")
    } else {
        (Span(x - 4.0 - width, x - 4.0), "end")
    }
}

/// Shortens `s` with `…` to at most `max` characters.
fn shorten(s: &str, max: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1).max(1)).collect();
    out.push('…');
    out
}

fn width_of(s: &str, per_char: f64) -> f64 {
    s.chars().count() as f64 * per_char
}

fn paint(state: State) -> Paint {
    match state {
        State::Healthy => Paint::Healthy,
        State::Slow => Paint::Slow,
        State::Degraded => Paint::Degraded,
        State::Down => Paint::Down,
    }
}

/// A time axis step giving at most eight intervals over `end` seconds.
fn tick_step(end: f64) -> f64 {
    const STEPS: [f64; 20] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        10800.0, 21600.0, 43200.0, 86400.0, 172_800.0, 604_800.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| end / s <= 8.0)
        .unwrap_or_else(|| (end / 8.0).ceil())
}

/// Coordinates with at most one decimal.
fn n(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A step function through `(t, value)` samples, as polyline points: each
/// value holds until the next sample; flat runs are written once.
fn steps(samples: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let mut last: Option<f64> = None;
    for &(t, v) in samples {
        match last {
            Some(prev) if prev == v => {}
            Some(prev) => {
                points.push((t, prev));
                points.push((t, v));
            }
            None => points.push((t, v)),
        }
        last = Some(v);
    }
    if let Some(v) = last {
        points.push((end, v));
    }
    points
}

/// Runs of one state: `(start, end, state)`.
fn runs(states: &[(f64, State)], end: f64) -> Vec<(f64, f64, State)> {
    let mut out: Vec<(f64, f64, State)> = Vec::new();
    for &(t, s) in states {
        match out.last_mut() {
            Some(run) if run.2 == s => {}
            Some(run) => {
                run.1 = t;
                out.push((t, end, s));
            }
            None => out.push((t, end, s)),
        }
    }
    out
}

/// The chart's geometry along time.
struct Axis {
    end: f64,
}

impl Axis {
    fn x(&self, t: f64) -> f64 {
        PLOT_LEFT + (t / self.end).clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
    }
}

/// The whole document.
fn render(chart: &Chart) -> String {
    let Chart {
        model,
        title,
        timeline,
        markers,
    } = *chart;
    let end = timeline.times.last().copied().unwrap_or(0.0).max(1e-9);
    let axis = Axis { end };
    let mut body = String::new();

    // Title.
    let title_shown = shorten(title, ((WIDTH - 2.0 * MARGIN) / CHAR_15_BOLD) as usize);
    let _ = writeln!(
        body,
        "<text x=\"{}\" y=\"26\" font-size=\"15\" font-weight=\"bold\" fill=\"{TEXT_COLOUR}\">{}</text>",
        n(MARGIN),
        xml_text(&title_shown)
    );

    // Event labels, in lanes.
    let lanes_top = 44.0;
    let (placed, lanes) = place_markers(markers, &axis);
    let lanes_bottom = lanes_top + LANE_H * lanes as f64;

    // Time axis.
    let axis_y = lanes_bottom + 16.0;
    let rows = rows(model, timeline);
    let rows_top = axis_y + 10.0;
    let row_height = |r: &Row| {
        STRIP_H
            + if r.operation.is_some() {
                OP_BAND_H
            } else {
                BAND_H
            }
            + ROW_GAP
    };
    let rows_bottom = rows_top + rows.iter().map(row_height).sum::<f64>();
    time_axis(&mut body, &axis, axis_y, rows_bottom);

    // Rows: their bands and lines, then (after the event lines) their
    // change labels, so the event lines pass under the labels.
    let mut y = rows_top;
    let mut row_labels = String::new();
    for row in &rows {
        let (graphics, labels) = draw_row(model, timeline, &axis, row, y);
        body.push_str(&graphics);
        row_labels.push_str(&labels);
        y += row_height(row);
    }
    if rows.is_empty() {
        let _ = writeln!(
            body,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{MUTED}\">no entry point, and no service changed state</text>",
            n(PLOT_LEFT),
            n(rows_top + 16.0)
        );
    }
    let rows_bottom = rows_bottom.max(rows_top + 24.0);

    // Event lines over the rows, then their labels.
    for placed in &placed {
        event_line(&mut body, placed, lanes_top, axis_y, rows_bottom);
    }

    body.push_str(&row_labels);

    let (legend, legend_h) = legend(timeline, &rows, rows_bottom + 26.0);
    body.push_str(&legend);
    let height = rows_bottom + 26.0 + legend_h + MARGIN;
    document(title, &body, height)
}

/// The SVG document around `body`.
fn document(title: &str, body: &str, height: f64) -> String {
    let mut doc = String::new();
    let _ = write!(
        doc,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\" role=\"img\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        xml_text(title),
        w = n(WIDTH),
        h = n(height.ceil()),
    );
    doc.push_str(body);
    doc.push_str("</svg>\n");
    doc
}

/// An event label placed: its marker, where its line is, its lane, which
/// side of the line its text goes, and the text.
type Placed<'m> = (&'m Marker, f64, usize, &'static str, String);

/// Event labels, each in the first lane where it is clear of the others;
/// returns them and how many lanes they take.
fn place_markers<'m>(markers: &'m [Marker], axis: &Axis) -> (Vec<Placed<'m>>, usize) {
    let mut lanes: Vec<Vec<Span>> = Vec::new();
    let mut placed = Vec::new();
    for marker in markers {
        let text = format!("{} {}", duration(marker.t_s), clean(&marker.text));
        let text = shorten(&text, ((PLOT_RIGHT - PLOT_LEFT) / CHAR_11) as usize);
        let x = axis.x(marker.t_s);
        let (span, anchor) = beside(x, width_of(&text, CHAR_11), WIDTH - MARGIN);
        let lane = match lanes.iter().position(|l| span.clear_of(l)) {
            Some(k) => k,
            None => {
                lanes.push(Vec::new());
                lanes.len() - 1
            }
        };
        lanes[lane].push(span);
        placed.push((marker, x, lane, anchor, text));
    }
    (placed, lanes.len())
}

/// The time axis at `axis_y`: a tick and a gridline down to `rows_bottom`
/// every [`tick_step`].
fn time_axis(body: &mut String, axis: &Axis, axis_y: f64, rows_bottom: f64) {
    let end = axis.end;
    let step = tick_step(end);
    let mut t = 0.0;
    body.push_str("<g class=\"axis\" font-size=\"10\" text-anchor=\"middle\">\n");
    while t <= end + 1e-9 {
        let x = axis.x(t);
        let _ = writeln!(
            body,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#e3e6ea\"/><text x=\"{x}\" y=\"{}\" fill=\"{MUTED}\">{}</text>",
            n(axis_y + 4.0),
            n(rows_bottom),
            n(axis_y),
            xml_text(&duration(t)),
            x = n(x),
        );
        t += step;
    }
    body.push_str("</g>\n");
}

/// One event: its dashed line across the chart and its label in its lane.
fn event_line(body: &mut String, placed: &Placed, lanes_top: f64, axis_y: f64, rows_bottom: f64) {
    let (marker, x, lane, anchor, text) = placed;
    let label_y = lanes_top + LANE_H * (*lane as f64) + 12.0;
    let tx = if *anchor == "start" { x + 4.0 } else { x - 4.0 };
    let time = duration(marker.t_s);
    let rest = &text[time.len().min(text.len())..];
    let _ = writeln!(
        body,
        "<g class=\"event\"><title>{}</title><path d=\"M{x},{} V{} M{x},{} V{}\" stroke=\"{EVENT_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"{EVENT_COLOUR}\"{HALO}><tspan font-weight=\"bold\">{}</tspan>{}</text></g>",
        xml_text(&format!("{time}: {}", marker.text)),
        n(label_y - 10.0),
        n(axis_y - 12.0),
        n(axis_y + 4.0),
        n(rows_bottom),
        n(tx),
        n(label_y),
        xml_text(&time),
        xml_text(rest),
        x = n(*x),
    );
}

/// One row at `top`: its name, state band, lines and state-change ticks,
/// and apart from those the labels of its state changes.
fn draw_row(
    model: &Model,
    timeline: &Timeline,
    axis: &Axis,
    row: &Row,
    top: f64,
) -> (String, String) {
    let svc = model.service(row.service);
    let band_top = top + STRIP_H;
    let band_h = if row.operation.is_some() {
        OP_BAND_H
    } else {
        BAND_H
    };
    let frame = RowFrame {
        top,
        band_top,
        band_h,
        band_bottom: band_top + band_h,
        full_name: match row.operation {
            Some(op) => svc.operation_name(op),
            None => svc.name.clone(),
        },
    };
    let times = &timeline.times;
    let states: Vec<(f64, State)> = times
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let s = match row.operation {
                Some(op) => timeline.operation_states[k][row.service.index()][op],
                None => timeline.service_states[k][row.service.index()],
            };
            (t, s)
        })
        .collect();
    let changes: Vec<&Change> = timeline
        .changes
        .iter()
        .filter(|c| c.service == row.service && c.operation == row.operation)
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        "<g class=\"row\"><title>{}</title>",
        xml_text(&frame.full_name)
    );
    row_name(&mut s, model, timeline, row, &frame);
    row_band(&mut s, axis, &frame, &states, &changes);
    // Success and latency lines (services only: the timeline keeps
    // figures per service).
    if row.operation.is_none() {
        row_lines(&mut s, &timeline.series[row.service.index()], axis, &frame);
    }
    let labels = row_changes(&mut s, axis, &frame, &changes);
    s.push_str("</g>\n");
    (s, labels)
}

/// Where a row's parts sit, and the name its tooltips use.
struct RowFrame {
    top: f64,
    band_top: f64,
    band_h: f64,
    band_bottom: f64,
    /// `service` or `service.operation`.
    full_name: String,
}

/// The row's name, and for a service where it ends.
fn row_name(s: &mut String, model: &Model, timeline: &Timeline, row: &Row, frame: &RowFrame) {
    let svc = model.service(row.service);
    let RowFrame {
        band_top, band_h, ..
    } = *frame;
    let name = match row.operation {
        Some(op) => format!(".{}", svc.operations[op].name),
        None => svc.name.clone(),
    };
    let name_room = PLOT_LEFT - MARGIN - 10.0;
    if row.operation.is_some() {
        let shown = shorten(&name, (name_room / CHAR_11) as usize - 2);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{TEXT_COLOUR}\">{}</text>",
            n(MARGIN + 12.0),
            n(band_top + band_h / 2.0 + 4.0),
            xml_text(&shown)
        );
    } else {
        let shown = shorten(&name, (name_room / CHAR_12_BOLD) as usize);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"bold\" fill=\"{TEXT_COLOUR}\">{}</text>",
            n(MARGIN),
            n(band_top + 13.0),
            xml_text(&shown)
        );
        let last = &timeline.last.services[row.service.index()];
        let end = format!("ends {} {}", last.state.as_str(), percent(last.success));
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{MUTED}\">{}</text>",
            n(MARGIN),
            n(band_top + 28.0),
            xml_text(&shorten(&end, (name_room / CHAR_10) as usize))
        );
    }
}

/// The band, one rectangle per run of a state, with its frame.
fn row_band(
    s: &mut String,
    axis: &Axis,
    frame: &RowFrame,
    states: &[(f64, State)],
    changes: &[&Change],
) {
    let RowFrame {
        band_top,
        band_h,
        ref full_name,
        ..
    } = *frame;
    for (from, to, state) in runs(states, axis.end) {
        let because = changes
            .iter()
            .rev()
            .find(|c| c.t_s <= from + 1e-9)
            .map(|c| format!(": {}", c.because))
            .unwrap_or_default();
        let p = paint(state);
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
            n(axis.x(from)),
            n(band_top),
            n((axis.x(to) - axis.x(from)).max(0.5)),
            n(band_h),
            p.fill(),
            xml_text(&format!(
                "{full_name} {} from {} to {}{because}",
                state.as_str().to_uppercase(),
                duration(from),
                duration(to)
            ))
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#c5ccd3\"/>",
        n(PLOT_LEFT),
        n(band_top),
        n(PLOT_RIGHT - PLOT_LEFT),
        n(band_h)
    );
}

/// The success line and, when there is latency, the latency line scaled
/// to its highest finite value.
fn row_lines(s: &mut String, series: &[Sample], axis: &Axis, frame: &RowFrame) {
    let RowFrame {
        band_top,
        band_h,
        band_bottom,
        ..
    } = *frame;
    let inner = |share: f64| band_bottom - 2.0 - share.clamp(0.0, 1.0) * (band_h - 4.0);
    let success: Vec<(f64, f64)> = series.iter().map(|p| (p.t_s, p.success)).collect();
    s.push_str(&polyline(
        &steps(&success, axis.end),
        axis,
        &inner,
        SUCCESS_COLOUR,
        None,
    ));
    let top_latency = series
        .iter()
        .map(|p| p.latency_s)
        .filter(|l| l.is_finite())
        .fold(0.0, f64::max);
    let unbounded = series.iter().any(|p| !p.latency_s.is_finite());
    if top_latency > 0.0 || unbounded {
        let scale = if top_latency > 0.0 { top_latency } else { 1.0 };
        let lat: Vec<(f64, f64)> = series
            .iter()
            .map(|p| {
                let share = if p.latency_s.is_finite() {
                    p.latency_s / scale
                } else {
                    1.0
                };
                (p.t_s, share)
            })
            .collect();
        s.push_str(&polyline(
            &steps(&lat, axis.end),
            axis,
            &inner,
            LATENCY_COLOUR,
            Some("4 3"),
        ));
        let label = if unbounded {
            "≤ ∞".to_string()
        } else {
            format!("≤ {}", latency(top_latency))
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{LATENCY_COLOUR}\">{}</text>",
            n(PLOT_RIGHT + 6.0),
            n(band_top + 10.0),
            xml_text(&shorten(&label, 13))
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{MUTED}\">latency</text>",
            n(PLOT_RIGHT + 6.0),
            n(band_top + 22.0),
        );
    }
}

/// State changes: a tick each, labelled where there is room. Returns the
/// labels, drawn later over the event lines.
fn row_changes(s: &mut String, axis: &Axis, frame: &RowFrame, changes: &[&Change]) -> String {
    let RowFrame {
        top,
        band_bottom,
        ref full_name,
        ..
    } = *frame;
    let mut taken: Vec<Span> = Vec::new();
    let mut labels = String::new();
    for c in changes {
        let x = axis.x(c.t_s);
        let label = format!("{} {}", c.to.as_str().to_uppercase(), duration(c.t_s));
        let w = width_of(&label, CHAR_10);
        let (span, anchor) = beside(x, w, PLOT_RIGHT);
        let fits = span.0 >= PLOT_LEFT - 2.0 && span.clear_of(&taken);
        let colour = paint(c.to).stroke();
        let _ = write!(
            s,
            "<g class=\"change\"><title>{}</title><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            xml_text(&format!(
                "{}: {full_name} {} → {}: {}",
                duration(c.t_s),
                c.from.as_str(),
                c.to.as_str(),
                c.because
            )),
            n(top + 3.0),
            n(band_bottom),
            x = n(x),
        );
        s.push_str("</g>");
        if fits {
            taken.push(span);
            let tx = if anchor == "start" { x + 4.0 } else { x - 4.0 };
            let _ = write!(
                labels,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" font-weight=\"bold\" text-anchor=\"{anchor}\" fill=\"{colour}\"{HALO}>{}</text>",
                n(tx),
                n(top + STRIP_H - 3.0),
                xml_text(&label)
            );
        }
    }
    labels
}

/// A polyline of `(t, share)` points, `y` mapping a share to the row.
fn polyline(
    points: &[(f64, f64)],
    axis: &Axis,
    y: &dyn Fn(f64) -> f64,
    colour: &str,
    dash: Option<&str>,
) -> String {
    if points.is_empty() {
        return String::new();
    }
    let pts: Vec<String> = points
        .iter()
        .map(|&(t, v)| format!("{},{}", n(axis.x(t)), n(y(v))))
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"{} points=\"{}\"/>",
        dash.map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default(),
        pts.join(" ")
    )
}

/// The legend at `top`: the states shown, the two lines, an event, a
/// state change. Returns its markup and height.
fn legend(timeline: &Timeline, rows: &[Row], top: f64) -> (String, f64) {
    let mut shown: Vec<State> = Vec::new();
    for row in rows {
        for k in 0..timeline.times.len() {
            let s = match row.operation {
                Some(op) => timeline.operation_states[k][row.service.index()][op],
                None => timeline.service_states[k][row.service.index()],
            };
            if !shown.contains(&s) {
                shown.push(s);
            }
        }
    }
    shown.sort();
    type Mark = Box<dyn Fn(f64, f64) -> String>;
    let line = |colour: &'static str, dash: &'static str| -> Mark {
        Box::new(move |x, y| {
            format!(
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"1.6\"{dash}/>",
                n(x),
                n(x + 24.0),
                y = n(y)
            )
        })
    };
    let mut items: Vec<(Mark, f64, String)> = shown
        .into_iter()
        .map(|state| {
            let p = paint(state);
            let mark: Mark = Box::new(move |x, y| {
                format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"12\" fill=\"{}\" stroke=\"{}\"/>",
                    n(x),
                    n(y - 6.0),
                    p.fill(),
                    p.stroke()
                )
            });
            (mark, 18.0, state.as_str().to_owned())
        })
        .collect();
    items.push((line(SUCCESS_COLOUR, ""), 24.0, "success".into()));
    items.push((
        line(LATENCY_COLOUR, " stroke-dasharray=\"4 3\""),
        24.0,
        "mean latency (to the row's maximum)".into(),
    ));
    items.push((
        line(EVENT_COLOUR, " stroke-dasharray=\"5 3\""),
        24.0,
        "fault or action".into(),
    ));
    let tick: Mark = Box::new(|x, y| {
        format!(
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>",
            n(y - 7.0),
            n(y + 7.0),
            Paint::Down.stroke(),
            x = n(x + 4.0)
        )
    });
    items.push((tick, 8.0, "state change".into()));

    let mut s = String::from("<g class=\"legend\" font-size=\"11\">");
    let (mut x, mut y) = (MARGIN, top);
    for (mark, mark_w, label) in items {
        let w = mark_w + 6.0 + width_of(&label, CHAR_11) + 18.0;
        if x + w > WIDTH - MARGIN && x > MARGIN {
            x = MARGIN;
            y += 22.0;
        }
        s.push_str(&mark(x, y));
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" fill=\"{TEXT_COLOUR}\">{}</text>",
            n(x + mark_w + 6.0),
            n(y + 4.0),
            xml_text(&label)
        );
        x += w;
    }
    s.push_str("</g>\n");
    (s, y - top + 12.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::faults::{FaultKind, parse};
    use crate::sim::timeline::{Event, Options, simulate};

    #[test]
    fn steps_and_runs_write_each_flat_stretch_once() {
        let samples = [(0.0, 1.0), (1.0, 1.0), (2.0, 0.5), (3.0, 0.5)];
        assert_eq!(
            steps(&samples, 4.0),
            [(0.0, 1.0), (2.0, 1.0), (2.0, 0.5), (4.0, 0.5)]
        );
        let states = [
            (0.0, State::Healthy),
            (1.0, State::Down),
            (2.0, State::Down),
            (3.0, State::Healthy),
        ];
        assert_eq!(
            runs(&states, 4.0),
            [
                (0.0, 1.0, State::Healthy),
                (1.0, 3.0, State::Down),
                (3.0, 4.0, State::Healthy)
            ]
        );
        assert_eq!(tick_step(600.0), 120.0);
        assert_eq!(tick_step(20.0), 5.0);
    }

    #[test]
    fn entry_points_come_first_then_services_as_trouble_reached_them() {
        let text = "services:\n  \"<script>web</script>\":\n    entry: { rps: 10 }\n    operations: { read: { depends_on: [app] }, write: {} }\n  app: { depends_on: [db] }\n  db: { start_time: 1m }\n  idle: {}\n";
        let m = crate::model::load_str(text, "t.yaml").unwrap().model;
        let down = parse(FaultKind::Down, "db", &m).unwrap();
        let events = vec![Event {
            at_s: 10.0,
            for_s: Some(20.0),
            action: crate::sim::timeline::Action::Fault(down),
        }];
        let tl = simulate(
            &m,
            &events,
            Options {
                duration_s: 120.0,
                step_s: 1.0,
            },
        );
        let order: Vec<String> = rows(&m, &tl)
            .iter()
            .map(|r| match r.operation {
                Some(op) => m.service(r.service).operation_name(op),
                None => m.service(r.service).name.clone(),
            })
            .collect();
        assert_eq!(
            order,
            [
                "<script>web</script>",
                "<script>web</script>.read",
                "db",
                "app"
            ]
            .map(String::from),
            "the operation that never changed has no row; idle has none"
        );
        let marks = crate::render::markers::from_events(&m, &events, 120.0);
        let mut out = Vec::new();
        write_chart(
            &mut out,
            &Chart {
                model: &m,
                title: "t <b>",
                timeline: &tl,
                markers: &marks,
            },
        )
        .unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert!(!svg.contains("<script") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;web&lt;/script&gt;"));
        assert_eq!(
            svg.matches("<g class=\"event\">").count(),
            2,
            "start and end"
        );
        assert!(svg.contains("<tspan font-weight=\"bold\">10s</tspan> --down db</text>"));
        assert!(svg.contains("<tspan font-weight=\"bold\">30s</tspan> --down db ends</text>"));
        assert!(svg.contains(">DOWN 10s</text>"), "{svg}");
    }
}
