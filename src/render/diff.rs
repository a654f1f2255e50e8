//! `whatif diff` as text, Markdown (to paste into a pull request) and
//! JSON: the model's changes, then single points of failure, blast radius,
//! single faults, availability and lints, and last the verdict.
//!
//! Text and Markdown show at most `top` rows of the long lists (blast
//! radius, and each group of single faults), worst first; JSON has every
//! row. The wording of a fault — "`--down cache` no longer takes down
//! checkout" — is one function shared by all three.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::findings::Palette;
use super::fit;
use super::run::md_cell;
use crate::analysis::diff::faults::{
    EntryChange, FaultChange, FaultDiff, Seen, SingleFault, Verdict,
};
use crate::analysis::diff::fields::{Edge, FieldChange};
use crate::analysis::diff::{AvailabilityChange, Blast, Interval, ModelDiff, Point, Worse};
use crate::analysis::lints::Lint;
use crate::sim::explain::{percent, rate};
use crate::sim::steady::State;
use crate::text::terminal;

/// A diff and how to show it.
pub struct Report<'a> {
    /// The diff.
    pub diff: &'a ModelDiff,
    /// Where the model before came from (a file, or `git:REV:PATH`).
    pub before: &'a str,
    /// Where the model after came from.
    pub after: &'a str,
    /// Rows shown per long list (text and Markdown).
    pub top: usize,
}

/// `down 0%`, or `no such fault`.
fn seen(s: Option<Seen>) -> String {
    match s {
        Some(s) => format!("{} {}", s.state.as_str(), percent(s.success)),
        None => "no such fault".into(),
    }
}

/// What the fault is called in a sentence.
fn subject(fault: Option<&SingleFault>) -> String {
    match fault {
        Some(f) => format!("`{}`", f.flag()),
        None => "no fault at all".into(),
    }
}

/// One entry's change under one fault, as a sentence: "`--down cache` no
/// longer takes down checkout (down 0% → healthy 100%)".
pub fn sentence(fault: Option<&SingleFault>, e: &EntryChange) -> String {
    let who = subject(fault);
    let state = |s: Option<Seen>| s.map(|s| s.state);
    let verb = match e.verdict {
        Verdict::Worse if state(e.after) == Some(State::Down) => {
            format!("{who} now takes down {}", e.entry)
        }
        Verdict::Worse => format!("{who} now degrades {}", e.entry),
        Verdict::Better if state(e.before) == Some(State::Down) => {
            format!("{who} no longer takes down {}", e.entry)
        }
        Verdict::Better => format!("{who} no longer degrades {}", e.entry),
        Verdict::Changed => format!("{who} changes {}", e.entry),
    };
    format!("{verb} ({} → {})", seen(e.before), seen(e.after))
}

/// Every (fault, entry) row, worse first, then better, then changed, each
/// group in the diff's order.
fn fault_rows(changed: &[FaultChange]) -> Vec<(Option<&SingleFault>, &EntryChange)> {
    let mut rows: Vec<(Option<&SingleFault>, &EntryChange)> = changed
        .iter()
        .flat_map(|c| c.entries.iter().map(move |e| (c.fault.as_ref(), e)))
        .collect();
    rows.sort_by_key(|(_, e)| match e.verdict {
        Verdict::Worse => 0,
        Verdict::Better => 1,
        Verdict::Changed => 2,
    });
    rows
}

/// What "not worse" means, in one sentence.
const NOT_WORSE: &str = "no entry point gained a single point of failure, was newly degraded or taken down by a single fault, or lost availability";

/// `3 findings for web, api`: how many ways, and which entry points.
fn worse_summary(worse: &[Worse]) -> String {
    let mut entries: Vec<&str> = Vec::new();
    for w in worse {
        if !entries.contains(&w.entry()) {
            entries.push(w.entry());
        }
    }
    format!(
        "{} for {}",
        count(worse.len(), "finding"),
        entries.join(", ")
    )
}

/// One way an entry got worse, as a sentence.
pub fn worse_sentence(w: &Worse) -> String {
    match w {
        Worse::SinglePoint { entry, point } => {
            format!("{entry} gains single point of failure {point}")
        }
        Worse::Fault {
            entry,
            fault,
            before,
            after,
        } => sentence(
            fault.as_ref(),
            &EntryChange {
                entry: entry.clone(),
                before: *before,
                after: *after,
                verdict: Verdict::Worse,
            },
        ),
        Worse::Availability {
            entry,
            before,
            after,
        } => format!(
            "{entry}'s availability fell from {} to {}",
            interval(before),
            interval(after)
        ),
    }
}

/// `1 service`, `3 services`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn pct(x: f64) -> String {
    format!("{:.4}%", x * 100.0)
}

fn interval(i: &Interval) -> String {
    format!("{} [{} – {}]", pct(i.availability), pct(i.low), pct(i.high))
}

fn blast_text(b: Option<&Blast>) -> String {
    match b {
        Some(b) => format!(
            "{:.0}% lost, {} down, {} degraded",
            b.share_lost * 100.0,
            b.down,
            b.degraded
        ),
        None => "no such service".into(),
    }
}

fn fields_text(fields: &[FieldChange]) -> String {
    fields
        .iter()
        .map(|f| format!("{} {} → {}", f.field, f.before, f.after))
        .collect::<Vec<_>>()
        .join("; ")
}

fn edge_text(e: &Edge) -> String {
    format!("{} → {}", e.from, e.to)
}

/// How the two intervals compare, in words.
fn overlap_text(a: &AvailabilityChange) -> &'static str {
    if a.fell() {
        "fell: the new interval lies wholly below the old"
    } else if a.rose() {
        "rose: the new interval lies wholly above the old"
    } else if a.overlap() == Some(true) {
        "intervals overlap"
    } else {
        ""
    }
}

fn lint_text(l: &Lint, file: &str) -> String {
    format!(
        "{}[{}] {} ({file}:{}:{})",
        l.level.as_str(),
        l.code,
        l.message,
        l.pos.line,
        l.pos.column
    )
}

/// A change to the model file: `+` added, `-` removed, `~` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Added,
    Removed,
    Changed,
}

impl Mark {
    fn word(self) -> &'static str {
        match self {
            Mark::Added => "added",
            Mark::Removed => "removed",
            Mark::Changed => "changed",
        }
    }
}

/// Every change to the model file, as (mark, what, fields changed), in the
/// order text and Markdown list them.
fn model_rows(d: &ModelDiff) -> Vec<(Mark, String, String)> {
    let m = &d.model;
    let mut rows: Vec<(Mark, String, String)> = Vec::new();
    let mut each = |mark: Mark, items: Vec<(String, String)>| {
        rows.extend(items.into_iter().map(|(what, how)| (mark, what, how)));
    };
    let named = |prefix: &str, names: &[String]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (format!("{prefix} {n}"), String::new()))
            .collect()
    };
    each(
        Mark::Changed,
        m.model
            .iter()
            .map(|f| ("model".into(), fields_text(std::slice::from_ref(f))))
            .collect(),
    );
    each(Mark::Added, named("zone", &m.zones_added));
    each(Mark::Removed, named("zone", &m.zones_removed));
    each(Mark::Added, named("service", &m.services_added));
    each(Mark::Removed, named("service", &m.services_removed));
    each(
        Mark::Changed,
        m.services_changed
            .iter()
            .map(|s| (format!("service {}", s.name), fields_text(&s.fields)))
            .collect(),
    );
    let edges = |es: &[Edge]| es.iter().map(|e| (edge_text(e), String::new())).collect();
    each(Mark::Added, edges(&m.edges_added));
    each(Mark::Removed, edges(&m.edges_removed));
    each(
        Mark::Changed,
        m.edges_changed
            .iter()
            .map(|e| (edge_text(&e.edge), fields_text(&e.fields)))
            .collect(),
    );
    each(Mark::Added, named("entry point", &d.entries_added));
    each(Mark::Removed, named("entry point", &d.entries_removed));
    rows
}

/// `a, b, zone:c`.
fn points(ps: &[Point]) -> String {
    ps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text output: lines wrapped to a width, painted on a terminal.
struct Text<'a> {
    out: &'a mut dyn Write,
    p: Palette,
    width: Option<usize>,
}

impl Text<'_> {
    /// A section heading, after a blank line.
    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "\n{}", self.p.paint("1", text))
    }

    /// An indented line, made terminal-safe (names are data) and wrapped
    /// (continuations 4 further in).
    fn line(&mut self, indent: usize, text: &str) -> io::Result<()> {
        let text = fit::wrap(&terminal(text), indent, indent + 4, self.width);
        writeln!(self.out, "{:indent$}{text}", "")
    }

    /// An indented line, terminal-safe, wrapped and painted line by line
    /// (so no escape code spans a break).
    fn painted(&mut self, indent: usize, code: Option<&str>, text: &str) -> io::Result<()> {
        for (i, l) in fit::wrap(&terminal(text), indent, indent + 4, self.width)
            .split('\n')
            .enumerate()
        {
            let body = l.trim_start();
            let pad = if i == 0 { indent } else { l.len() - body.len() };
            let body = code.map_or_else(|| body.to_owned(), |c| self.p.paint(c, body));
            writeln!(self.out, "{:pad$}{body}", "")?;
        }
        Ok(())
    }

    /// `  + text`, the mark coloured.
    fn mark(&mut self, mark: Mark, text: &str) -> io::Result<()> {
        let sign = match mark {
            Mark::Added => self.p.paint("32", "+"),
            Mark::Removed => self.p.paint("31", "-"),
            Mark::Changed => self.p.paint("33", "~"),
        };
        let text = fit::wrap(&terminal(text), 4, 6, self.width);
        writeln!(self.out, "  {sign} {text}")
    }

    /// `  … N more` under a list cut at `top`.
    fn more(&mut self, len: usize, top: usize, what: &str) -> io::Result<()> {
        if len > top {
            let text = format!("… {} more{what} (--top {len}, or --format json)", len - top);
            self.line(2, &text)?;
        }
        Ok(())
    }

    fn header(&mut self, r: &Report) -> io::Result<()> {
        let d = r.diff;
        let (b, a) = (
            self.p.paint("1", &terminal(&d.before.name)),
            self.p.paint("1", &terminal(&d.after.name)),
        );
        writeln!(self.out, "{b} → {a}")?;
        for (label, source, s) in [
            ("before", r.before, &d.before),
            ("after ", r.after, &d.after),
        ] {
            let text = format!(
                "{label}  {source}: {}, {}",
                count(s.services, "service"),
                count(s.entry_points.len(), "entry point")
            );
            self.line(2, &text)?;
        }
        Ok(())
    }

    fn model(&mut self, d: &ModelDiff) -> io::Result<()> {
        self.heading("the model")?;
        let rows = model_rows(d);
        if rows.is_empty() {
            self.line(2, "no change")?;
        }
        for (mark, what, how) in rows {
            let text = if how.is_empty() {
                what
            } else {
                format!("{what}: {how}")
            };
            let text = text.strip_prefix("model: ").unwrap_or(&text).to_owned();
            self.mark(mark, &text)?;
        }
        Ok(())
    }

    fn single_points(&mut self, d: &ModelDiff) -> io::Result<()> {
        self.heading("single points of failure")?;
        if d.single_points.is_empty() {
            self.line(2, "no change")?;
        }
        for c in &d.single_points {
            let mut parts = Vec::new();
            if !c.gained.is_empty() {
                parts.push(format!("gained {}", points(&c.gained)));
            }
            if !c.lost.is_empty() {
                parts.push(format!("lost {}", points(&c.lost)));
            }
            self.line(2, &format!("{}: {}", c.entry, parts.join("; ")))?;
        }
        Ok(())
    }

    fn blast(&mut self, d: &ModelDiff, top: usize) -> io::Result<()> {
        self.heading("blast radius (entry traffic lost, services down, degraded)")?;
        if d.blast.is_empty() {
            self.line(2, "no change")?;
        }
        for b in d.blast.iter().take(top) {
            let text = format!(
                "{}: {} → {}",
                b.service,
                blast_text(b.before.as_ref()),
                blast_text(b.after.as_ref())
            );
            self.line(2, &text)?;
        }
        self.more(d.blast.len(), top, "")
    }

    fn faults(&mut self, f: &FaultDiff, top: usize) -> io::Result<()> {
        self.heading("single faults")?;
        let tried = format!(
            "{} tried ({} before, {} after): every --down of a service or zone and --hang of a service{}",
            f.compared,
            f.before_faults,
            f.after_faults,
            if f.identical {
                "; the models are the same to the engine, so they were solved once"
            } else {
                ""
            }
        );
        self.line(2, &tried)?;
        for (side, flags) in [
            ("before", &f.unsettled_before),
            ("after", &f.unsettled_after),
        ] {
            if !flags.is_empty() {
                let text = format!(
                    "warning: the steady state did not settle {side} for {}; its figures are the last pass's",
                    flags.join(", ")
                );
                self.painted(2, Some("1;33"), &text)?;
            }
        }
        let rows = fault_rows(&f.changed);
        let lead = if rows.is_empty() {
            "none changes what users see"
        } else {
            "with this change,"
        };
        self.line(2, lead)?;
        for (verdict, code) in [
            (Verdict::Worse, Some("1;31")),
            (Verdict::Better, Some("32")),
            (Verdict::Changed, None),
        ] {
            let group: Vec<_> = rows.iter().filter(|(_, e)| e.verdict == verdict).collect();
            for (fault, e) in group.iter().take(top) {
                self.painted(4, code, &sentence(*fault, e))?;
            }
            self.more(group.len(), top, &format!(" {}", verdict.as_str()))?;
        }
        Ok(())
    }

    fn availability(&mut self, d: &ModelDiff) -> io::Result<()> {
        self.heading(&format!(
            "availability ({} trials, seed {})",
            rate(d.options.trials as f64),
            d.options.seed
        ))?;
        if d.availability.is_empty() {
            self.line(2, "no entry points")?;
        }
        for a in &d.availability {
            let side =
                |i: Option<Interval>| i.map_or("not an entry point".into(), |i| interval(&i));
            let text = format!(
                "{}: {} → {}  {}",
                a.entry,
                side(a.before),
                side(a.after),
                overlap_text(a)
            );
            self.painted(2, a.fell().then_some("1;31"), text.trim_end())?;
        }
        Ok(())
    }

    fn lints(&mut self, r: &Report) -> io::Result<()> {
        let d = r.diff;
        self.heading("lints")?;
        if d.lints_introduced.is_empty() && d.lints_fixed.is_empty() {
            self.line(2, "none introduced, none fixed")?;
        }
        for l in &d.lints_introduced {
            self.mark(Mark::Added, &lint_text(l, r.after))?;
        }
        for l in &d.lints_fixed {
            self.mark(Mark::Removed, &lint_text(l, r.before))?;
        }
        Ok(())
    }

    fn verdict(&mut self, d: &ModelDiff, top: usize) -> io::Result<()> {
        let worse = d.worse();
        writeln!(self.out)?;
        if worse.is_empty() {
            return self.painted(0, Some("1;32"), &format!("not worse: {NOT_WORSE}"));
        }
        self.painted(
            0,
            Some("1;31"),
            &format!("worse: {}", worse_summary(&worse)),
        )?;
        for w in worse.iter().take(top) {
            self.line(2, &worse_sentence(w))?;
        }
        self.more(worse.len(), top, "")
    }
}

/// The text report, section by section; long lines wrapped to `width`.
pub fn write_text(
    out: &mut dyn Write,
    r: &Report,
    p: Palette,
    width: Option<usize>,
) -> io::Result<()> {
    let mut t = Text { out, p, width };
    t.header(r)?;
    t.model(r.diff)?;
    t.single_points(r.diff)?;
    t.blast(r.diff, r.top)?;
    t.faults(&r.diff.faults, r.top)?;
    t.availability(r.diff)?;
    t.lints(r)?;
    t.verdict(r.diff, r.top)
}

/// Markdown for a pull request: the verdict first, then a section per
/// analysis (tables, names escaped).
pub fn write_markdown(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let d = r.diff;
    let esc = md_cell;
    writeln!(
        out,
        "### whatif diff: {} → {}\n",
        esc(&d.before.name),
        esc(&d.after.name)
    )?;
    let worse = d.worse();
    if worse.is_empty() {
        writeln!(out, "**Not worse:** {NOT_WORSE}.\n")?;
    } else {
        writeln!(out, "**Worse:** {}.\n", esc(&worse_summary(&worse)))?;
        for w in worse.iter().take(r.top) {
            writeln!(out, "- {}", md_sentence(&worse_sentence(w)))?;
        }
        if worse.len() > r.top {
            writeln!(out, "- … {} more", worse.len() - r.top)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "| | before | after |\n| --- | --- | --- |")?;
    writeln!(out, "| model | {} | {} |", esc(r.before), esc(r.after))?;
    writeln!(
        out,
        "| services | {} | {} |",
        d.before.services, d.after.services
    )?;
    writeln!(
        out,
        "| entry points | {} | {} |\n",
        d.before.entry_points.len(),
        d.after.entry_points.len()
    )?;
    markdown_changes(out, d, r.top)?;
    markdown_faults(out, &d.faults, r.top)?;
    markdown_availability(out, d)?;
    writeln!(out, "#### Lints\n")?;
    if d.lints_introduced.is_empty() && d.lints_fixed.is_empty() {
        writeln!(out, "None introduced, none fixed.")?;
    }
    for (word, lints, file) in [
        ("introduced", &d.lints_introduced, r.after),
        ("fixed", &d.lints_fixed, r.before),
    ] {
        for l in lints {
            writeln!(
                out,
                "- {word}: **{} {}** {} ({}:{}:{})",
                l.level.as_str(),
                l.code,
                md_sentence(&l.message),
                esc(file),
                l.pos.line,
                l.pos.column
            )?;
        }
    }
    Ok(())
}

/// A Markdown section: its heading, then the table (header row given) or
/// "No change." when there are no rows.
fn markdown_table(
    out: &mut dyn Write,
    heading: &str,
    header: &str,
    rows: &[String],
) -> io::Result<()> {
    writeln!(out, "#### {heading}\n")?;
    if rows.is_empty() {
        return writeln!(out, "No change.\n");
    }
    let columns = header.matches('|').count() - 1;
    writeln!(out, "{header}\n|{}", " --- |".repeat(columns))?;
    for row in rows {
        writeln!(out, "{row}")?;
    }
    writeln!(out)
}

/// The model's changes, single points of failure and blast radius.
fn markdown_changes(out: &mut dyn Write, d: &ModelDiff, top: usize) -> io::Result<()> {
    let esc = md_cell;
    let rows: Vec<String> = model_rows(d)
        .into_iter()
        .map(|(mark, what, how)| format!("| {} | {} | {} |", mark.word(), esc(&what), esc(&how)))
        .collect();
    markdown_table(out, "The model", "| | what | change |", &rows)?;
    let rows: Vec<String> = d
        .single_points
        .iter()
        .map(|c| {
            format!(
                "| {} | {} | {} |",
                esc(&c.entry),
                esc(&points(&c.gained)),
                esc(&points(&c.lost))
            )
        })
        .collect();
    markdown_table(
        out,
        "Single points of failure",
        "| entry point | gained | lost |",
        &rows,
    )?;
    let mut rows: Vec<String> = d
        .blast
        .iter()
        .take(top)
        .map(|b| {
            format!(
                "| {} | {} | {} |",
                esc(&b.service),
                blast_text(b.before.as_ref()),
                blast_text(b.after.as_ref())
            )
        })
        .collect();
    if d.blast.len() > top {
        rows.push(format!("| … {} more | | |", d.blast.len() - top));
    }
    markdown_table(out, "Blast radius", "| service | before | after |", &rows)
}

/// The single faults that change what users see, worst first.
fn markdown_faults(out: &mut dyn Write, f: &FaultDiff, top: usize) -> io::Result<()> {
    writeln!(out, "#### Single faults\n")?;
    writeln!(
        out,
        "{} tried ({} before, {} after): every `--down` of a service or zone and `--hang` of a service.\n",
        f.compared, f.before_faults, f.after_faults
    )?;
    for (side, flags) in [
        ("before", &f.unsettled_before),
        ("after", &f.unsettled_after),
    ] {
        if !flags.is_empty() {
            writeln!(
                out,
                "> **Warning:** the steady state did not settle {side} for {}.\n",
                md_cell(&flags.join(", "))
            )?;
        }
    }
    let rows = fault_rows(&f.changed);
    if rows.is_empty() {
        return writeln!(out, "None changes what users see.\n");
    }
    writeln!(out, "| | with this change | before | after |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for verdict in [Verdict::Worse, Verdict::Better, Verdict::Changed] {
        let group: Vec<_> = rows.iter().filter(|(_, e)| e.verdict == verdict).collect();
        for (fault, e) in group.iter().take(top) {
            let text = sentence(*fault, e);
            let text = text.split(" (").next().unwrap_or(&text);
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                verdict.as_str(),
                md_sentence(text),
                seen(e.before),
                seen(e.after)
            )?;
        }
        if group.len() > top {
            let more = group.len() - top;
            writeln!(out, "| {} | … {more} more | | |", verdict.as_str())?;
        }
    }
    writeln!(out)
}

fn markdown_availability(out: &mut dyn Write, d: &ModelDiff) -> io::Result<()> {
    writeln!(
        out,
        "#### Availability ({} trials, seed {})\n",
        rate(d.options.trials as f64),
        d.options.seed
    )?;
    if d.availability.is_empty() {
        return writeln!(out, "No entry points.\n");
    }
    writeln!(out, "| entry point | before | after | |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for a in &d.availability {
        let side = |i: Option<Interval>| i.map_or("—".into(), |i| md_cell(&interval(&i)));
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_cell(&a.entry),
            side(a.before),
            side(a.after),
            overlap_text(a)
        )?;
    }
    writeln!(out)
}

/// A sentence with names in backticks, for Markdown: each backticked name
/// escaped and shown as code, the rest escaped as text.
fn md_sentence(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", md_cell(part))
            } else {
                md_cell(part)
            }
        })
        .collect()
}

fn seen_json(s: Option<Seen>) -> Value {
    s.map_or(
        Value::Null,
        |s| json!({ "state": s.state.as_str(), "success": s.success }),
    )
}

fn fields_json(fields: &[FieldChange]) -> Vec<Value> {
    fields
        .iter()
        .map(|f| json!({ "field": f.field, "before": f.before, "after": f.after }))
        .collect()
}

fn edge_json(e: &Edge) -> Value {
    json!({ "from": e.from, "to": e.to })
}

fn blast_json(b: Option<&Blast>) -> Value {
    b.map_or(Value::Null, |b| {
        json!({
            "entry_rps_lost": b.rps_lost,
            "entry_share_lost": b.share_lost,
            "down": b.down,
            "degraded": b.degraded,
            "entry_points_down": b.entries_down,
        })
    })
}

fn interval_json(i: Option<Interval>) -> Value {
    i.map_or(
        Value::Null,
        |i| json!({ "availability": i.availability, "ci95": [i.low, i.high] }),
    )
}

fn fault_json(f: Option<&SingleFault>) -> Value {
    f.map_or(
        Value::Null,
        |f| json!({ "kind": f.kind().as_str(), "target": f.target() }),
    )
}

/// The diff as JSON, every list complete (keys documented in the README).
pub fn to_json(r: &Report) -> Value {
    let d = r.diff;
    let m = &d.model;
    let summary = |source: &str, s: &crate::analysis::diff::Summary| json!({ "source": source, "model": s.name, "services": s.services, "entry_points": s.entry_points });
    let worse: Vec<Value> = d
        .worse()
        .iter()
        .map(|w| json!({ "entry": w.entry(), "reason": w.reason(), "message": worse_sentence(w) }))
        .collect();
    json!({
        "before": summary(r.before, &d.before),
        "after": summary(r.after, &d.after),
        "model": {
            "changes": fields_json(&m.model),
            "zones": { "added": m.zones_added, "removed": m.zones_removed },
            "services": {
                "added": m.services_added,
                "removed": m.services_removed,
                "changed": m.services_changed.iter().map(|s| json!({ "name": s.name, "changes": fields_json(&s.fields) })).collect::<Vec<_>>(),
            },
            "dependencies": {
                "added": m.edges_added.iter().map(edge_json).collect::<Vec<_>>(),
                "removed": m.edges_removed.iter().map(edge_json).collect::<Vec<_>>(),
                "changed": m.edges_changed.iter().map(|e| json!({ "from": e.edge.from, "to": e.edge.to, "changes": fields_json(&e.fields) })).collect::<Vec<_>>(),
            },
        },
        "entry_points": { "added": d.entries_added, "removed": d.entries_removed },
        "single_points": d.single_points.iter().map(|c| json!({
            "entry": c.entry,
            "gained": c.gained.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "lost": c.lost.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "blast": d.blast.iter().map(|b| json!({
            "name": b.service,
            "before": blast_json(b.before.as_ref()),
            "after": blast_json(b.after.as_ref()),
        })).collect::<Vec<_>>(),
        "faults": {
            "tried": { "before": d.faults.before_faults, "after": d.faults.after_faults, "either": d.faults.compared },
            "identical_models": d.faults.identical,
            "not_converged": { "before": d.faults.unsettled_before, "after": d.faults.unsettled_after },
            "changed": d.faults.changed.iter().map(|c| json!({
                "fault": fault_json(c.fault.as_ref()),
                "entry_points": c.entries.iter().map(|e| json!({
                    "name": e.entry,
                    "before": seen_json(e.before),
                    "after": seen_json(e.after),
                    "change": e.verdict.as_str(),
                    "message": sentence(c.fault.as_ref(), e),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
        "availability": {
            "trials": d.options.trials,
            "seed": d.options.seed,
            "entry_points": d.availability.iter().map(|a| json!({
                "name": a.entry,
                "before": interval_json(a.before),
                "after": interval_json(a.after),
                "overlap": a.overlap(),
            })).collect::<Vec<_>>(),
        },
        "lints": { "introduced": d.lints_introduced, "fixed": d.lints_fixed },
        "worse": worse,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        before: Option<(State, f64)>,
        after: Option<(State, f64)>,
        v: Verdict,
    ) -> EntryChange {
        let s = |x: Option<(State, f64)>| x.map(|(state, success)| Seen { state, success });
        EntryChange {
            entry: "checkout".into(),
            before: s(before),
            after: s(after),
            verdict: v,
        }
    }

    #[test]
    fn faults_are_worded_as_a_reviewer_says_them() {
        let cache = SingleFault::Down("cache".into());
        assert_eq!(
            sentence(
                Some(&cache),
                &change(
                    Some((State::Down, 0.0)),
                    Some((State::Healthy, 1.0)),
                    Verdict::Better
                )
            ),
            "`--down cache` no longer takes down checkout (down 0% → healthy 100%)"
        );
        let zone = SingleFault::DownZone("b".into());
        assert_eq!(
            sentence(
                Some(&zone),
                &change(
                    Some((State::Slow, 1.0)),
                    Some((State::Down, 0.0)),
                    Verdict::Worse
                )
            ),
            "`--down zone:b` now takes down checkout (slow 100% → down 0%)"
        );
        let hang = SingleFault::Hang("new".into());
        assert_eq!(
            sentence(
                Some(&hang),
                &change(None, Some((State::Degraded, 0.5)), Verdict::Worse)
            ),
            "`--hang new` now degrades checkout (no such fault → degraded 50%)"
        );
        assert_eq!(
            sentence(
                None,
                &change(
                    Some((State::Degraded, 0.9)),
                    Some((State::Degraded, 0.8)),
                    Verdict::Changed
                )
            ),
            "no fault at all changes checkout (degraded 90% → degraded 80%)"
        );
    }

    #[test]
    fn markdown_sentences_show_names_as_inert_code() {
        assert_eq!(
            md_sentence("`--down a|b<script>` now takes down *x*"),
            "<code>--down a\\|b&lt;script&gt;</code> now takes down \\*x\\*"
        );
        // Markdown is printed as often as rendered: nothing a terminal
        // acts on gets through, and a name keeps to its line.
        assert_eq!(
            md_sentence("`web\u{1b}[2J` needs `api\u{202e}live\nFAKE`"),
            "<code>web\\e\\[2J</code> needs <code>api\\u{202e}live FAKE</code>"
        );
    }
}
