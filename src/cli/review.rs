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
use whatif::analysis::lints::{self, Level, Lint};
use whatif::analysis::spof::{self, Entry, Impact};
use whatif::analysis::sweep;
use whatif::error::Error;
use whatif::graph::Graph;
use whatif::model::{Model, ServiceId};
use whatif::render;
use whatif::render::review::Review;
use whatif::sim::steady::Engine;
use whatif::sim::structural::Structure;

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
    fn run(model: &Model) -> Self {
        let graph = Graph::build(model);
        let structure = Structure::new(model);
        let impacts = progress::impacts(model, &structure);
        let spofs = spof::single_points(model, &impacts);
        let zone_spofs = spof::zone_single_points(model, &structure);
        let lints = lints::lints(model, &graph, &impacts);
        let ranked = spof::ranked(model, impacts);
        let (events, cut_sets) = progress::cut_sets(model, &structure, 2, None, None);
        let options = Options {
            trials: 100_000,
            seed: 1,
            zone_availability: None,
        };
        let availability = progress::monte_carlo(model, &options)
            .into_iter()
            .map(|r| (r.name, r.availability, r.ci95.0, r.ci95.1))
            .collect();
        Analyses {
            spofs,
            zone_spofs,
            ranked,
            events,
            cut_sets,
            availability,
            lints,
        }
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
    let a = Analyses::run(model);
    let report = Review {
        model,
        file: &file,
        spofs: &a.spofs,
        zone_spofs: &a.zone_spofs,
        blast: &a.ranked,
        cuts: (&a.events, &a.cut_sets),
        availability: &a.availability,
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
        Format::Json => bytes = json_bytes(&review_json(model, &a)),
        Format::Dot | Format::Svg | Format::Png | Format::Mermaid => {
            unreachable!("not a review format: {format}")
        }
    }
    emit(output, &inputs, &bytes)?;
    let fails = a.lints.iter().any(|l| {
        args.fail_on
            .iter()
            .any(|f| f.eq_ignore_ascii_case(l.code) || level(f).is_some_and(|lv| l.level <= lv))
    });
    Ok(if fails { Status::Failed } else { Status::Ok })
}

/// A `--fail-on` level word.
fn level(word: &str) -> Option<Level> {
    match word.to_lowercase().as_str() {
        "high" => Some(Level::High),
        "medium" => Some(Level::Medium),
        "low" => Some(Level::Low),
        _ => None,
    }
}

/// `--fail-on` takes a lint code (`R001`) or a level.
fn check_fail_on(f: &str) -> Result<(), Error> {
    let is_code = f.len() == 4 && f.starts_with('R') && f[1..].chars().all(|c| c.is_ascii_digit());
    if !is_code && level(f).is_none() {
        return Err(Error::usage(
            format!("--fail-on {f}: not a lint code or level"),
            Some("use a code like `R001`, or `high`, `medium`, `low`".into()),
        ));
    }
    Ok(())
}

/// The review as JSON.
fn review_json(model: &Model, a: &Analyses) -> serde_json::Value {
    serde_json::json!({
        "model": model.name,
        "single_points": render::analysis::spof_json(model, &a.spofs, Some(&a.zone_spofs))["entry_points"],
        "blast": render::analysis::blast_json(model, &a.ranked)["services"],
        "cut_sets": a.cut_sets.iter().map(|c| serde_json::json!({
            "name": c.entry.name,
            "cut_sets": c.cut_sets.iter().map(|s| s.iter().map(|&i| a.events[i].name.clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "lints": a.lints,
    })
}
