//! `whatif review`: the design-review report — every analysis and the
//! lints — as text, Markdown, HTML or JSON, and `--fail-on` for CI.

use std::path::PathBuf;

use clap::Args;

use super::format::{Format, Formats};
use super::output::{Inputs, emit, json_bytes};
use super::{ColorChoice, Status, load, progress, text_style};
use whatif::analysis::availability::Options;
use whatif::analysis::cuts::EntryCuts;
use whatif::analysis::events::BasicEvent;
use whatif::analysis::lints::{self, Level, Lint, Rule};
use whatif::analysis::spof::{self, Entry, Impact};
use whatif::analysis::sweep;
use whatif::error::Error;
use whatif::finding::did_you_mean_hint;
use whatif::graph::Graph;
use whatif::model::{Model, ServiceId};
use whatif::render;
use whatif::render::review::Review;
use whatif::sim::steady::Engine;

/// What `review` writes; text unless `--format` or `-o` says otherwise.
const FORMATS: Formats = Formats::new(
    &[Format::Text, Format::Markdown, Format::Html, Format::Json],
    Format::Text,
);

/// `whatif review`'s arguments.
#[derive(Debug, Args)]
pub(super) struct ReviewArgs {
    /// Model file.
    model: PathBuf,
    /// Write here; the extension picks the format (.txt, .md, .html, .json).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else text).
    #[arg(long, value_parser = FORMATS)]
    format: Option<Format>,
    /// Exit 1 when a lint has this code (`R001`) or at least this level (`high`, `medium`, `low`); repeatable.
    #[arg(long, value_name = "CODE|LEVEL")]
    fail_on: Vec<String>,
}

/// Every analysis the review reports, computed once.
struct Analyses {
    spofs: Vec<(Entry, Vec<ServiceId>)>,
    zone_spofs: Vec<(Entry, Vec<usize>)>,
    ranked: Vec<Impact>,
    events: Vec<BasicEvent>,
    cut_sets: Vec<EntryCuts>,
    /// (entry, availability, low, high) from 100,000 trials, seed 1.
    availability: Vec<(String, f64, f64, f64)>,
    lints: Vec<Lint>,
}

impl Analyses {
    fn run(model: &Model) -> Result<Self, Error> {
        let graph = Graph::build(model);
        let impacts = progress::impacts(model, &graph);
        let spofs = spof::single_points(model, &graph);
        let zone_spofs = spof::zone_single_points(model, &graph);
        let lints = lints::lints(model, &graph, &impacts);
        let ranked = spof::ranked(model, impacts);
        let (events, cut_sets) = progress::cut_sets(model, &graph, 2, None, None)?;
        let options = Options {
            trials: 100_000,
            seed: 1,
            zone_availability: None,
        };
        let availability = progress::monte_carlo(model, &graph, &options)?
            .into_iter()
            .map(|r| (r.name, r.availability, r.ci95.0, r.ci95.1))
            .collect();
        Ok(Analyses {
            spofs,
            zone_spofs,
            ranked,
            events,
            cut_sets,
            availability,
            lints,
        })
    }
}

/// Writes the review; [`Status::Failed`] when a lint matches `--fail-on`.
pub(super) fn review(args: ReviewArgs, color: ColorChoice) -> Result<Status, Error> {
    let format = FORMATS.select(args.format, args.output.as_deref())?;
    for f in &args.fail_on {
        check_fail_on(f)?;
    }
    let inputs = Inputs::of([args.model.as_path()]);
    if let Some(output) = &args.output {
        inputs.check(output)?;
    }
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let file = args.model.display().to_string();
    let a = Analyses::run(model)?;
    let perfect = super::availability::never_failing(model);
    let note = super::availability::assumption(model, &perfect);
    let report = Review {
        model,
        file: &file,
        spofs: &a.spofs,
        zone_spofs: &a.zone_spofs,
        blast: &a.ranked,
        cuts: (&a.events, &a.cut_sets),
        availability: &a.availability,
        availability_note: note.as_deref(),
        lints: &a.lints,
    };
    let output = args.output.as_deref();
    let mut bytes = Vec::new();
    match format {
        Format::Text => {
            let (p, width) = text_style(color, output);
            render::review::write_text(&mut bytes, &report, p, width)?;
        }
        Format::Markdown => render::review::write_markdown(&mut bytes, &report)?,
        Format::Html => {
            let sweep = sweep::sweep(model, &Engine::new(model));
            render::review::write_html(&mut bytes, &report, &sweep)?;
        }
        Format::Json => bytes = json_bytes(&review_json(model, &a, &perfect)),
        Format::Dot | Format::Svg | Format::Png | Format::Mermaid => {
            unreachable!("not a review format: {format}")
        }
    }
    emit(output, &inputs, &bytes)?;
    let fails = a
        .lints
        .iter()
        .any(|l| args.fail_on.iter().any(|f| matches_fail_on(l, f)));
    Ok(if fails { Status::Failed } else { Status::Ok })
}

/// `--fail-on` takes a registered lint code (`R001`, any case) or a level;
/// anything else is refused with a did-you-mean, so a typo cannot turn the
/// CI gate off.
fn check_fail_on(f: &str) -> Result<(), Error> {
    if Rule::find(f).is_some() || f.parse::<Level>().is_ok() {
        return Ok(());
    }
    let words = lints::REGISTRY
        .iter()
        .map(|r| r.code)
        .chain(Level::ALL.map(Level::as_str));
    let first = lints::REGISTRY.first().map_or("", |r| r.code);
    let last = lints::REGISTRY.last().map_or("", |r| r.code);
    let what = if f.len() == 4 && f[..1].eq_ignore_ascii_case("R") {
        "no such lint code"
    } else {
        "not a lint code or level"
    };
    Err(Error::usage(
        format!("--fail-on {f}: {what}"),
        Some(match did_you_mean_hint(f, words) {
            Some(hint) => hint,
            None => format!(
                "use a code from {first} to {last} (`whatif review` lists them with each finding), or `high`, `medium`, `low`"
            ),
        }),
    ))
}

/// Whether a lint matches a `--fail-on` word: its code, or a level it
/// reaches.
fn matches_fail_on(l: &Lint, f: &str) -> bool {
    f.eq_ignore_ascii_case(l.code) || f.parse::<Level>().is_ok_and(|lv| l.level <= lv)
}

/// The review as JSON.
fn review_json(model: &Model, a: &Analyses, perfect: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "model": model.name,
        "single_points": render::analysis::spof_json(model, &a.spofs, Some(&a.zone_spofs)).entry_points,
        "blast": render::analysis::blast_json(model, &a.ranked, false).services,
        "cut_sets": a.cut_sets.iter().map(|c| serde_json::json!({
            "name": c.entry.name,
            "cut_sets": c.cut_sets.iter().map(|s| s.iter().map(|&i| a.events[i].name.clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "availability": a.availability.iter().map(|(name, av, lo, hi)| serde_json::json!({
            "name": name, "availability": av, "ci95": [lo, hi],
        })).collect::<Vec<_>>(),
        "assumed_perfect": perfect,
        "lints": a.lints,
    })
}
