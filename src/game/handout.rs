//! A printable drill for a room: `whatif drill --handout N` writes N
//! questions as a Markdown sheet with boxes to tick and lines to fill, then
//! the answer key (each cascade with its reasons) on its own page.

use std::io::{self, Write};

use super::drill::{Drill, Level, Question};
use crate::render::run::md_cell;
use crate::sim::steady::State;

/// Writes the sheet and its answer key.
pub fn write_markdown(
    out: &mut dyn Write,
    drill: &Drill,
    level: Level,
    seed: u64,
    questions: &[Question],
) -> io::Result<()> {
    let model = drill.model();
    writeln!(
        out,
        "# What happens when …? — {} ({})\n",
        md_cell(&model.name),
        level.as_str()
    )?;
    writeln!(
        out,
        "{} question{} (seed {seed}). For each entry point, tick what its users see.",
        questions.len(),
        if questions.len() == 1 { "" } else { "s" }
    )?;
    if level.asks_services() {
        writeln!(
            out,
            "Then name the services that go down and those that degrade or slow down."
        )?;
    }
    writeln!(out)?;
    for (i, q) in questions.iter().enumerate() {
        writeln!(out, "## Question {}\n", i + 1)?;
        writeln!(out, "{}\n", md_cell(&q.story))?;
        writeln!(out, "| Entry point | works | degraded | fails |")?;
        writeln!(out, "| --- | :-: | :-: | :-: |")?;
        for (e, _) in &q.truth.users {
            writeln!(out, "| {} | ☐ | ☐ | ☐ |", md_cell(&e.name))?;
        }
        writeln!(out)?;
        if level.asks_services() {
            writeln!(
                out,
                "Services that go down: ______________________________________\n"
            )?;
            writeln!(
                out,
                "Services that degrade or slow down: ________________________\n"
            )?;
        }
    }
    writeln!(out, "<div style=\"page-break-before: always\"></div>\n")?;
    writeln!(out, "## Answer key\n")?;
    for (i, q) in questions.iter().enumerate() {
        let flags: Vec<String> = q
            .flags()
            .iter()
            .map(|f| format!("`{}`", f.replace('`', "'")))
            .collect();
        let at = q
            .method
            .at_s()
            .map(|t| format!(", after {}", crate::render::picture::duration(t)))
            .unwrap_or_default();
        writeln!(out, "### Question {} — {}{at}\n", i + 1, flags.join(" "))?;
        let users: Vec<String> = q
            .truth
            .users
            .iter()
            .map(|(e, s)| format!("{} **{}**", md_cell(&e.name), s.as_str()))
            .collect();
        writeln!(out, "Users: {}.\n", users.join(", "))?;
        if level.asks_services() {
            let names = |ids: &std::collections::BTreeSet<crate::model::ServiceId>| {
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.iter()
                        .map(|&id| md_cell(&model.service(id).name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            writeln!(
                out,
                "Down: {}. Degraded or slow: {}.\n",
                names(&q.truth.down),
                names(&q.truth.degraded)
            )?;
        }
        let hurt: Vec<_> = model
            .service_ids()
            .filter(|id| q.truth.states[id.index()] != State::Healthy)
            .collect();
        if !hurt.is_empty() {
            writeln!(out, "| Service | State | Because |")?;
            writeln!(out, "| --- | --- | --- |")?;
            for id in hurt {
                let because = q.truth.because(id);
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    md_cell(&model.service(id).name),
                    q.truth.states[id.index()].as_str(),
                    md_cell(because)
                )?;
            }
            writeln!(out)?;
        }
        for text in drill.teach(q) {
            writeln!(out, "*{}*\n", md_cell(&text))?;
        }
    }
    Ok(())
}
