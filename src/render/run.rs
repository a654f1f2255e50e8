//! The cascade of `whatif run` as text, JSON and Markdown. Text goes to a
//! terminal: every name and reason in it passes through
//! [`terminal`](crate::text::terminal).

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Value, json};

use super::findings::Palette;
use super::fit;
use crate::model::{Model, ServiceId};
use crate::sim::explain::{latency, percent, rate};
use crate::sim::faults::{Fault, Slowdown};
use crate::sim::steady::{Figures, Outcome, State};
use crate::text::{acts_on_terminal, terminal};

/// ANSI colour of a state.
pub fn state_color(state: State) -> &'static str {
    match state {
        State::Healthy => "32",
        State::Slow => "33",
        State::Degraded => "1;33",
        State::Down => "1;31",
    }
}

/// How many names output keeps at each end of a longer chain (docs/engine.md):
/// a chain through thousands of services would otherwise repeat in every
/// row after it, and output would grow with the square of the model.
pub const CHAIN_ENDS: usize = 8;

/// A chain as output shows it: its first and last [`CHAIN_ENDS`] names
/// and how many were left out between them (0 for a chain of at most
/// twice that many, which is shown whole).
pub fn chain_shown<T>(chain: &[T]) -> (&[T], usize, &[T]) {
    if chain.len() <= 2 * CHAIN_ENDS {
        return (chain, 0, &[]);
    }
    let elided = chain.len() - 2 * CHAIN_ENDS;
    (
        &chain[..CHAIN_ENDS],
        elided,
        &chain[chain.len() - CHAIN_ENDS..],
    )
}

/// `a → b → … 184 more … → y → z`, names made safe for a terminal.
fn chain_text(model: &Model, chain: &[ServiceId]) -> String {
    let (head, elided, tail) = chain_shown(chain);
    let name = |id: &ServiceId| terminal(&model.service(*id).name).into_owned();
    let mut parts: Vec<String> = head.iter().map(name).collect();
    if elided > 0 {
        parts.push(format!("… {elided} more …"));
        parts.extend(tail.iter().map(name));
    }
    parts.join(" → ")
}

/// Counts of services per state.
pub fn summary(outcome: &Outcome) -> [usize; 4] {
    let mut c = [0; 4];
    for f in &outcome.services {
        c[f.state as usize] += 1;
    }
    c
}

/// Characters of a row besides the name: state, success, latency, load.
const ROW_FIGURES: usize = 2 + 2 + 8 + 1 + 7 + 1 + 8 + 1 + 10;

/// The `×N load` note of a row, when its load is amplified.
fn amplification(f: &Figures) -> Option<String> {
    (f.amplification > 1.05).then(|| {
        format!(
            "  ×{} load",
            crate::render::picture::number((f.amplification * 10.0).round() / 10.0)
        )
    })
}

/// The name column: how wide, and how much a name may take on the line
/// (`None`: no limit, never cut).
#[derive(Clone, Copy)]
struct Column {
    width: usize,
    room: Option<usize>,
    line: Option<usize>,
}

/// One service or operation: its figures on one line (the name cut only
/// when the line has no room for it), then its reason and chain wrapped
/// under the figures. `name` is terminal-safe already.
fn row(
    out: &mut dyn Write,
    p: Palette,
    column: Column,
    name: &str,
    f: &Figures,
    model: &Model,
) -> io::Result<()> {
    let (width, line) = (column.width, column.line);
    let state = format!("{:<8}", f.state.as_str().to_uppercase());
    write!(
        out,
        "  {}  {} {:>7} {:>8} {:>10}",
        fit::cell(name, width, column.room),
        p.paint(state_color(f.state), &state),
        percent(f.success),
        latency(f.latency_s),
        format!("{} rps", rate(f.load_rps)),
    )?;
    if let Some(note) = amplification(f) {
        write!(out, "{note}")?;
    }
    writeln!(out)?;
    let indent = width + 4;
    if !f.because.is_empty() {
        writeln!(
            out,
            "  {:width$}  {}",
            "",
            fit::wrap(&terminal(&f.because), indent, indent, line)
        )?;
    }
    if f.chain.len() > 1 {
        let chain = format!("chain: {}", chain_text(model, &f.chain));
        writeln!(
            out,
            "  {:width$}  {}",
            "",
            fit::wrap(&chain, indent, indent + 7, line)
        )?;
    }
    Ok(())
}

/// Writes the cascade as a story: entry points first, then the affected
/// services worst first, then the healthy ones in a line, then a summary.
/// With a `width`, reasons are wrapped and a name is cut only when the
/// line has no room for it beside the figures (see [`fit`]); without one,
/// nothing is cut.
pub fn write_text(
    out: &mut dyn Write,
    model: &Model,
    faults: &[Fault],
    outcome: &Outcome,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    write_heading(out, model, faults, outcome, p, line)?;
    let entries: Vec<ServiceId> = model.entry_points().collect();
    let names: Vec<String> = model
        .service_ids()
        .map(|id| terminal(&model.service(id).name).into_owned())
        .collect();
    let column = name_column(model, outcome, &entries, &names, line);
    if !entries.is_empty() {
        writeln!(out, "\n{}", p.paint("1", "what users see"))?;
        for &id in &entries {
            write_entry(out, model, outcome, p, column, id, &names[id.index()])?;
        }
    }
    // Everything else: first what is affected, worst first, then the
    // healthy ones on a line.
    let quiet = |id: &ServiceId| {
        let f = &outcome.services[id.index()];
        f.state == State::Healthy && f.because.is_empty()
    };
    let others = || model.service_ids().filter(|id| !entries.contains(id));
    let mut affected: Vec<ServiceId> = others().filter(|id| !quiet(id)).collect();
    affected.sort_by_key(|id| (std::cmp::Reverse(outcome.services[id.index()].state), *id));
    if !affected.is_empty() {
        writeln!(out, "\n{}", p.paint("1", "behind them"))?;
        for id in affected {
            let f = &outcome.services[id.index()];
            row(out, p, column, &names[id.index()], f, model)?;
        }
    }
    let calm: Vec<&str> = others()
        .filter(quiet)
        .map(|id| names[id.index()].as_str())
        .collect();
    if !calm.is_empty() {
        writeln!(
            out,
            "\n{} {}",
            p.paint("32", "healthy:"),
            fit::wrap(&calm.join(", "), 9, 2, line)
        )?;
    }
    let c = summary(outcome);
    writeln!(
        out,
        "\n{} healthy · {} slow · {} degraded · {} down",
        c[0],
        p.paint(state_color(State::Slow), &c[1].to_string()),
        p.paint(state_color(State::Degraded), &c[2].to_string()),
        p.paint(state_color(State::Down), &c[3].to_string())
    )
}

/// The model's name and the faults, then a warning when the steady state
/// did not settle.
fn write_heading(
    out: &mut dyn Write,
    model: &Model,
    faults: &[Fault],
    outcome: &Outcome,
    p: Palette,
    line: Option<usize>,
) -> io::Result<()> {
    let flags: Vec<String> = faults.iter().map(Fault::as_flag).collect();
    let title = terminal(&model.name);
    writeln!(
        out,
        "{} {}",
        p.paint("1", &title),
        if flags.is_empty() {
            "(no faults)".into()
        } else {
            fit::wrap(
                &terminal(&flags.join(" ")),
                title.chars().count() + 1,
                2,
                line,
            )
        }
    )?;
    if !outcome.converged {
        let warning = format!(
            "warning: the steady state did not settle in {} passes; figures are the last pass's",
            outcome.iterations
        );
        writeln!(out, "{}", p.paint("1;33", &fit::wrap(&warning, 0, 2, line)))?;
    }
    Ok(())
}

/// The names' column: as wide as the longest name (entry operations are
/// rows too, ` .name`), within what the line leaves beside the figures.
fn name_column(
    model: &Model,
    outcome: &Outcome,
    entries: &[ServiceId],
    names: &[String],
    line: Option<usize>,
) -> Column {
    let natural = names
        .iter()
        .map(|n| n.chars().count())
        .chain(entries.iter().flat_map(|&id| {
            let svc = model.service(id);
            svc.operations
                .iter()
                .filter(|op| svc.declares_operations && op.rps.is_some())
                .map(|op| 2 + terminal(&op.name).chars().count())
        }))
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    let note = outcome
        .services
        .iter()
        .chain(outcome.operations.iter().flatten())
        .filter_map(|f| amplification(f).map(|n| n.chars().count()))
        .max()
        .unwrap_or(0);
    Column {
        width: fit::column(natural, ROW_FIGURES + note, line, 8),
        room: line.map(|w| w.saturating_sub(ROW_FIGURES + note)),
        line,
    }
}

/// An entry point's row, then a row for each of its entry operations (a
/// healthy operation's reason is left out).
fn write_entry(
    out: &mut dyn Write,
    model: &Model,
    outcome: &Outcome,
    p: Palette,
    column: Column,
    id: ServiceId,
    name: &str,
) -> io::Result<()> {
    row(out, p, column, name, &outcome.services[id.index()], model)?;
    let svc = model.service(id);
    if !svc.declares_operations {
        return Ok(());
    }
    for (oi, op) in svc.operations.iter().enumerate() {
        if op.rps.is_none() {
            continue;
        }
        let name = format!(" .{}", terminal(&op.name));
        let mut g = outcome.operations[id.index()][oi].clone();
        if g.state == State::Healthy {
            g.because.clear();
        }
        row(out, p, column, &name, &g, model)?;
    }
    Ok(())
}

/// A fault as a JSON object (docs/faults.md, "JSON").
pub fn fault_json(f: &Fault) -> Value {
    let mut v = json!({ "kind": f.kind().as_str(), "target": f.target() });
    let o = v.as_object_mut().expect("object");
    if let Some(crate::sim::faults::Scope::Replicas(_, n)) = f.scope() {
        o.insert("replicas".into(), json!(n));
    }
    match f {
        Fault::Slow { change, share, .. } => {
            match change {
                Slowdown::Add(s) => o.insert("add_ms".into(), json!(s * 1000.0)),
                Slowdown::Factor(x) => o.insert("factor".into(), json!(x)),
            };
            if let Some(share) = share {
                o.insert("share".into(), json!(share));
            }
        }
        Fault::Errors { share, .. } => {
            o.insert("share".into(), json!(share));
        }
        Fault::Surge { factor, .. } => {
            o.insert("factor".into(), json!(factor));
        }
        Fault::Down { .. } | Fault::Hang { .. } | Fault::Cut { .. } | Fault::Cold { .. } => {}
    }
    v
}

/// One row of the JSON (docs/faults.md, "JSON"); a chain longer than 16
/// names keeps its ends and says how many names it left out
/// (`chain_elided`, 0 when none). Fields in the keys' alphabetical order,
/// as the JSON has always listed them.
#[derive(Serialize)]
pub(crate) struct RowJson<'a> {
    amplification: f64,
    because: &'a str,
    chain: Vec<&'a str>,
    chain_elided: usize,
    /// Null when requests never end.
    latency_ms: Option<f64>,
    load_rps: f64,
    name: Cow<'a, str>,
    p99_ms: Option<f64>,
    state: &'static str,
    success: f64,
}

impl<'a> RowJson<'a> {
    fn new(name: Cow<'a, str>, f: &'a Figures, model: &'a Model) -> RowJson<'a> {
        let (head, elided, tail) = chain_shown(&f.chain);
        let ms = |s: f64| s.is_finite().then_some(s * 1000.0);
        RowJson {
            amplification: f.amplification,
            because: &f.because,
            chain: head
                .iter()
                .chain(tail)
                .map(|&id| model.service(id).name.as_str())
                .collect(),
            chain_elided: elided,
            latency_ms: ms(f.latency_s),
            load_rps: f.load_rps,
            name,
            p99_ms: ms(f.p99_s),
            state: f.state.as_str(),
            success: f.success,
        }
    }
}

/// Every service's row, or every operation's, made as it is written (at
/// 100,000 services the rows, held at once, would be some 30 MB).
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// One row per service, in model order.
    Services(&'a Model, &'a Outcome),
    /// One row per operation (`service.operation`), in model order.
    Operations(&'a Model, &'a Outcome),
}

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Rows::Services(model, outcome) => {
                serializer.collect_seq(model.service_ids().map(|id| {
                    let name = Cow::Borrowed(model.service(id).name.as_str());
                    RowJson::new(name, &outcome.services[id.index()], model)
                }))
            }
            Rows::Operations(model, outcome) => {
                serializer.collect_seq(model.service_ids().flat_map(|id| {
                    let svc = model.service(id);
                    (0..svc.operations.len()).map(move |oi| {
                        let f = &outcome.operations[id.index()][oi];
                        RowJson::new(Cow::Owned(svc.operation_name(oi)), f, model)
                    })
                }))
            }
        }
    }
}

/// An entry point or entry operation: its state and success.
#[derive(Serialize)]
pub(crate) struct EntryJson<'a> {
    name: Cow<'a, str>,
    state: &'static str,
    success: f64,
}

/// Services per state.
#[derive(Serialize)]
pub(crate) struct SummaryJson {
    degraded: usize,
    down: usize,
    healthy: usize,
    slow: usize,
}

/// The cascade as `run --format json` writes it: typed rows that borrow
/// from the model and the outcome, serialized straight to the output.
#[derive(Serialize)]
pub(crate) struct RunJson<'a> {
    pub(crate) converged: bool,
    pub(crate) entry_points: Vec<EntryJson<'a>>,
    pub(crate) faults: Vec<Value>,
    pub(crate) iterations: usize,
    pub(crate) model: &'a str,
    pub(crate) operations: Rows<'a>,
    pub(crate) services: Rows<'a>,
    pub(crate) summary: SummaryJson,
}

impl<'a> RunJson<'a> {
    pub(crate) fn new(model: &'a Model, faults: &[Fault], outcome: &'a Outcome) -> RunJson<'a> {
        let mut entry_ops = Vec::new();
        for id in model.service_ids() {
            let svc = model.service(id);
            if !svc.declares_operations {
                continue;
            }
            for (oi, op) in svc.operations.iter().enumerate() {
                if op.rps.is_some() {
                    let f = &outcome.operations[id.index()][oi];
                    entry_ops.push(EntryJson {
                        name: Cow::Owned(svc.operation_name(oi)),
                        state: f.state.as_str(),
                        success: f.success,
                    });
                }
            }
        }
        let mut entry_points: Vec<EntryJson> = model
            .entry_points()
            .map(|id| {
                let f = &outcome.services[id.index()];
                EntryJson {
                    name: Cow::Borrowed(model.service(id).name.as_str()),
                    state: f.state.as_str(),
                    success: f.success,
                }
            })
            .collect();
        entry_points.extend(entry_ops);
        let c = summary(outcome);
        RunJson {
            converged: outcome.converged,
            entry_points,
            faults: faults.iter().map(fault_json).collect(),
            iterations: outcome.iterations,
            model: &model.name,
            operations: Rows::Operations(model, outcome),
            services: Rows::Services(model, outcome),
            summary: SummaryJson {
                healthy: c[0],
                slow: c[1],
                degraded: c[2],
                down: c[3],
            },
        }
    }
}

/// The cascade as a JSON value (docs/faults.md, "JSON"), for outputs that
/// add keys to it (the timeline's). `run --format json` writes the same
/// keys and values with [`write_json`], without building the value.
pub fn to_json(model: &Model, faults: &[Fault], outcome: &Outcome) -> Value {
    serde_json::to_value(RunJson::new(model, faults, outcome)).expect("plain data serializes")
}

/// Writes the JSON, pretty, with a newline: typed rows streamed to `out`,
/// no `serde_json::Value` tree in between.
pub fn write_json(
    out: &mut dyn Write,
    model: &Model,
    faults: &[Fault],
    outcome: &Outcome,
) -> io::Result<()> {
    super::write_json_pretty(out, &RunJson::new(model, faults, outcome))
}

/// Escapes text for a Markdown table cell. Line breaks and tabs become
/// spaces (a cell is one line); every other character a terminal would act
/// on (ESC, DEL, a bidi override, an invisible space) is written as
/// [`terminal`] writes it, since Markdown is often printed, not rendered.
pub fn md_cell(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => s.push_str("\\|"),
            '\n' | '\r' | '\t' => s.push(' '),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' => {
                s.push('\\');
                s.push(c);
            }
            c if acts_on_terminal(c) => s.push_str(&terminal(c.encode_utf8(&mut [0; 4]))),
            c => s.push(c),
        }
    }
    s
}

/// The cascade as a Markdown table (for pasting into a review or an issue):
/// entry points first, each followed by its entry operations (`web.browse`,
/// as in the text's *what users see*), then the other services, worst first.
pub fn write_markdown(
    out: &mut dyn Write,
    model: &Model,
    faults: &[Fault],
    outcome: &Outcome,
) -> io::Result<()> {
    let flags: Vec<String> = faults.iter().map(Fault::as_flag).collect();
    writeln!(
        out,
        "## {}: {}\n",
        md_cell(&model.name),
        md_cell(&if flags.is_empty() {
            "no faults".into()
        } else {
            flags.join(" ")
        })
    )?;
    if !outcome.converged {
        writeln!(
            out,
            "> **Warning:** the steady state did not settle; figures are approximate.\n"
        )?;
    }
    writeln!(
        out,
        "| service | state | success | latency | load | because |"
    )?;
    writeln!(out, "| --- | --- | ---: | ---: | ---: | --- |")?;
    let mut ids: Vec<ServiceId> = model.service_ids().collect();
    ids.sort_by_key(|id| {
        (
            !model.service(*id).is_entry(),
            std::cmp::Reverse(outcome.services[id.index()].state),
            *id,
        )
    });
    let md_row = |out: &mut dyn Write, name: &str, f: &Figures, because: &str| {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} rps | {} |",
            md_cell(name),
            f.state.as_str(),
            percent(f.success),
            latency(f.latency_s),
            rate(f.load_rps),
            md_cell(because)
        )
    };
    for id in ids {
        let svc = model.service(id);
        let f = &outcome.services[id.index()];
        md_row(out, &svc.name, f, &f.because)?;
        if !(svc.is_entry() && svc.declares_operations) {
            continue;
        }
        for (oi, op) in svc.operations.iter().enumerate() {
            if op.rps.is_some() {
                let f = &outcome.operations[id.index()][oi];
                // As in the text: a healthy operation needs no reason.
                let because = if f.state == State::Healthy {
                    ""
                } else {
                    &f.because
                };
                md_row(out, &svc.operation_name(oi), f, because)?;
            }
        }
    }
    let c = summary(outcome);
    writeln!(
        out,
        "\n{} healthy · {} slow · {} degraded · {} down",
        c[0], c[1], c[2], c[3]
    )
}
