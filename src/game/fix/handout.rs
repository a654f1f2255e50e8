//! A printable `fix` round for a room: the incident up to the page, the
//! menu with its costs and the debrief questions as a Markdown sheet, then
//! the answer key (every remedy simulated, the debrief's answers) on its
//! own page.

use std::io::{self, Write};

use super::reveal::{paged, timeline_text};
use super::{Fix, menu};
use crate::render::run::md_cell;
use crate::sim::explain::rate;
use crate::text::duration;

/// Writes the sheet and its answer key.
pub fn write_markdown(out: &mut dyn Write, fix: &Fix) -> io::Result<()> {
    let (sc, inc) = (fix.scenario, fix.incident);
    writeln!(out, "# Fix the incident: {}\n", md_cell(&sc.title))?;
    if !sc.story.is_empty() {
        writeln!(out, "{}\n", md_cell(&sc.story))?;
    }
    writeln!(out, "## What the responders saw\n")?;
    writeln!(
        out,
        "```text\n{}```\n",
        timeline_text(fix).replace("```", "'''")
    )?;
    for line in paged(fix) {
        writeln!(out, "{}", md_cell(&line))?;
    }
    writeln!(out, "\n## Your moves\n")?;
    writeln!(
        out,
        "Each move lands its cost after the one before it; the first, after {}. The timeline ends at {}.\n",
        duration(inc.detected_at_s),
        duration(sc.duration_s)
    )?;
    writeln!(out, "| # | move | cost | on what |")?;
    writeln!(out, "| --: | --- | --: | --- |")?;
    let model = &sc.loaded.model;
    for (i, item) in fix.menu.items.iter().enumerate() {
        let on = match item.targets.as_slice() {
            [menu::Target::Users] => "user traffic".to_owned(),
            _ => md_cell(&fix.menu.candidates(model, item)),
        };
        writeln!(
            out,
            "| {} | {} | {} | {on} |",
            i + 1,
            item.kind.label(),
            duration(item.kind.cost_s())
        )?;
    }
    writeln!(
        out,
        "\nYour moves, in order: ____________________________________________\n"
    )?;
    writeln!(out, "## Debrief\n")?;
    for (i, d) in inc.debrief.iter().enumerate() {
        writeln!(out, "{}. {}\n", i + 1, md_cell(&d.question))?;
    }
    writeln!(out, "<div style=\"page-break-before: always\"></div>\n")?;
    writeln!(out, "## Answer key\n")?;
    let replay = fix.replay;
    writeln!(
        out,
        "User requests that failed from {} to {} (shed ones count): doing nothing, {}.\n",
        duration(inc.detected_at_s),
        duration(sc.duration_s),
        rate(replay.nothing.failed_requests.round())
    )?;
    writeln!(out, "| remedy | at | works | failed requests | why |")?;
    writeln!(out, "| --- | --: | :-: | --: | --- |")?;
    for j in &replay.remedies {
        let r = &inc.remedies[j.remedy];
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_cell(&r.name),
            duration(r.at_s),
            if j.run.works { "yes" } else { "no" },
            rate(j.run.failed_requests.round()),
            md_cell(&r.why)
        )?;
    }
    writeln!(out)?;
    for (i, d) in inc.debrief.iter().enumerate() {
        writeln!(
            out,
            "{}. **{}** {}\n",
            i + 1,
            md_cell(&d.question),
            md_cell(&d.answer)
        )?;
    }
    let s = &inc.source;
    let title = match &s.url {
        Some(url) => format!("[{}]({})", md_cell(&s.title), url.replace(')', "%29")),
        None => md_cell(&s.title),
    };
    writeln!(
        out,
        "Source: {}, {}: {title}",
        md_cell(&s.organisation),
        md_cell(&s.date)
    )
}
