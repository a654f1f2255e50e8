//! `whatif run`: inject faults and write the cascade — the steady state,
//! or with `--for` the timeline (and its `--frames`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::faults::FaultArgs;
use super::format::{Format, Formats};
use super::output::{Inputs, create_dir, emit, emit_with, write_file};
use super::picture::{PictureArgs, draw};
use super::{ColorChoice, Status, check_steps, cli_duration, load, progress, text_style, warn};
use whatif::analysis::{spof, sweep};
use whatif::error::Error;
use whatif::model::Model;
use whatif::render::dot::Direction;
use whatif::render::markers::{self, Marker};
use whatif::render::{self, dot, picture, svg};
use whatif::sim::faults::Fault;
use whatif::sim::steady::Engine;
use whatif::sim::timeline::{self, Timeline};

/// What `run` writes; text unless `--format` or `-o` says otherwise.
const FORMATS: Formats = Formats::new(
    &[
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Dot,
        Format::Svg,
        Format::Png,
        Format::Mermaid,
        Format::Html,
    ],
    Format::Text,
);

/// `whatif run`'s arguments.
#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// Model file.
    model: PathBuf,
    #[command(flatten)]
    faults: FaultArgs,
    /// Write here; the extension picks the format (.txt, .json, .md, .dot, .svg, .png, .mmd, .html).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else text). `html`: an
    /// interactive page; click a service to see its `--down` cascade.
    #[arg(long, value_parser = FORMATS)]
    format: Option<Format>,
    #[command(flatten)]
    picture: PictureArgs,
    /// Step the cascade through time for this long (`20m`): prints the timeline.
    #[arg(long = "for", value_name = "DURATION")]
    for_: Option<String>,
    /// Timeline step (with --for).
    #[arg(long, value_name = "DURATION", default_value = "1s", requires = "for_")]
    step: String,
    /// With --for: write one picture per state change into this directory.
    #[arg(long, value_name = "DIR", requires = "for_")]
    frames: Option<PathBuf>,
}

/// The steady state under the faults, or the timeline with `--for`.
pub(super) fn run(args: RunArgs, color: ColorChoice) -> Result<Status, Error> {
    let format = FORMATS.select(args.format, args.output.as_deref())?;
    let inputs = Inputs::of([args.model.as_path()]);
    if let Some(output) = &args.output {
        inputs.check(output)?;
    }
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let faults = args.faults.parse(model)?;
    if let Some(for_) = &args.for_ {
        let duration = cli_duration("--for", for_)?;
        return run_timeline(&args, &inputs, model, &faults, duration, format, color);
    }
    let engine = Engine::new(model);
    let outcome = engine.steady(&faults);
    // Text says so in its own first lines; other formats get it on stderr.
    if !outcome.converged && format != Format::Text {
        warn(&format!(
            "the steady state did not settle within {} passes; figures are the last pass's",
            outcome.iterations
        ));
    }
    let output = args.output.as_deref();
    match format {
        Format::Dot | Format::Svg | Format::Png | Format::Mermaid => {
            // Only the page's sweep reads the engine again: elsewhere its
            // solves go before the output is made.
            drop(engine);
            let diagram = picture::cascade(model, &outcome, &faults, None);
            let bytes = draw(&diagram, format, args.picture, output)?;
            emit(output, &inputs, &bytes)?;
        }
        Format::Html => {
            // Every single failure first (the same engine: its fault-free
            // solve is done), then the page, written as it is made.
            let sweep = sweep::sweep(model, &engine);
            drop(engine);
            let initial = sweep::Cascade::new(&spof::entries(model), &faults, outcome);
            let page = render::interactive::Explorer {
                model,
                sweep: &sweep,
                initial: Some(&initial),
            };
            emit_with(output, &inputs, |out| {
                render::interactive::write_run_page(out, &page)
            })?;
        }
        // Streamed: at 100,000 services the JSON is 50 MB.
        Format::Json => {
            drop(engine);
            emit_with(output, &inputs, |out| {
                render::run::write_json(out, model, &faults, &outcome)
            })?;
        }
        Format::Markdown => {
            drop(engine);
            emit_with(output, &inputs, |out| {
                render::run::write_markdown(out, model, &faults, &outcome)
            })?;
        }
        Format::Text => {
            drop(engine);
            let (palette, width) = text_style(color, output);
            emit_with(output, &inputs, |out| {
                render::run::write_text(out, model, &faults, &outcome, palette, width)
            })?;
        }
    }
    Ok(Status::Ok)
}

/// `run --for`: the timeline of the faults from t = 0.
fn run_timeline(
    args: &RunArgs,
    inputs: &Inputs,
    model: &Model,
    faults: &[Fault],
    duration: f64,
    format: Format,
    color: ColorChoice,
) -> Result<Status, Error> {
    let step = cli_duration("--step", &args.step)?;
    refuse_for_timeline(format)?;
    check_steps(
        &format!(
            "--for {} with --step {}",
            args.for_.as_deref().unwrap_or(""),
            args.step
        ),
        duration,
        step,
        "use a longer --step",
    )?;
    if let Some(dir) = &args.frames {
        create_dir(dir, "--frames")?;
    }
    let events = timeline::Event::from_start(faults);
    let options = timeline::Options {
        duration_s: duration,
        step_s: step,
    };
    let tl = progress::timeline(model, &events, options);
    if !tl.converged && !matches!(format, Format::Text | Format::Markdown) {
        warn("some steps of the timeline did not settle; their figures are approximate");
    }
    let markers = markers::from_events(model, &events, duration);
    let view = TimelineView {
        model,
        faults,
        tl: &tl,
        markers: &markers,
        options,
    };
    let bytes = write_timeline(&view, args.output.as_deref(), format, color)?;
    if let Some(dir) = &args.frames {
        write_frames(dir, inputs, model, faults, &tl, args.picture.direction())?;
    }
    emit(args.output.as_deref(), inputs, &bytes)?;
    Ok(Status::Ok)
}

/// A timeline is written as text, JSON, Markdown (tables of events and
/// state changes) or an SVG chart. The picture formats draw one moment of
/// an architecture, not a timeline, so they are refused rather than
/// quietly drawing some moment instead.
fn refuse_for_timeline(format: Format) -> Result<(), Error> {
    let (message, hint) = match format {
        Format::Text | Format::Json | Format::Markdown | Format::Svg => return Ok(()),
        Format::Html => (
            "the HTML page shows the steady state, not a timeline",
            "drop --for, or draw the timeline with `-o chart.svg`",
        ),
        Format::Png => (
            "a timeline is drawn as an SVG chart, not as PNG",
            "write `-o chart.svg` (any SVG tool converts it), or drop --for for a PNG of the steady state",
        ),
        Format::Dot | Format::Mermaid => (
            "a timeline is not a graph: DOT and Mermaid draw one moment of the architecture",
            "write the chart with `-o chart.svg`, add `--frames DIR` for a picture of each state change, or drop --for",
        ),
    };
    Err(Error::usage(
        format!("{message} (--for, writing {format})"),
        Some(hint.into()),
    ))
}

/// A finished timeline and what it is shown with.
struct TimelineView<'a> {
    model: &'a Model,
    faults: &'a [Fault],
    tl: &'a Timeline,
    markers: &'a [Marker],
    options: timeline::Options,
}

impl TimelineView<'_> {
    /// `online-shop --down db for 10m (step 1s)`.
    fn title(&self) -> String {
        let flags: Vec<String> = self.faults.iter().map(Fault::as_flag).collect();
        format!(
            "{} {} for {} (step {})",
            self.model.name,
            if flags.is_empty() {
                "(no faults)".to_string()
            } else {
                flags.join(" ")
            },
            picture::duration(self.options.duration_s),
            picture::duration(self.options.step_s)
        )
    }
}

/// The timeline in `format` (the formats [`refuse_for_timeline`] lets
/// through).
fn write_timeline(
    view: &TimelineView,
    output: Option<&Path>,
    format: Format,
    color: ColorChoice,
) -> Result<Vec<u8>, Error> {
    let TimelineView {
        model,
        faults,
        tl,
        markers,
        ..
    } = *view;
    let title = view.title();
    let mut bytes = Vec::new();
    match format {
        Format::Text => {
            let (palette, width) = text_style(color, output);
            render::timeline::write_text(&mut bytes, model, &title, tl, markers, palette, width)?;
        }
        Format::Markdown => {
            render::timeline::write_markdown(&mut bytes, model, &title, tl, markers)?;
        }
        Format::Json => {
            render::timeline::write_json(
                &mut bytes,
                model,
                faults,
                tl,
                markers,
                view.options.step_s,
            )?;
        }
        Format::Svg => {
            let chart = render::chart::Chart {
                model,
                title: &title,
                timeline: tl,
                markers,
            };
            render::chart::write_chart(&mut bytes, &chart)?;
        }
        Format::Html | Format::Dot | Format::Png | Format::Mermaid => {
            unreachable!("refused before the timeline ran")
        }
    }
    Ok(bytes)
}

/// `--frames DIR`: one SVG and one DOT picture per state change, every
/// DOT one drawn the same way round (`--rankdir`, or as the first frame
/// would be).
fn write_frames(
    dir: &Path,
    inputs: &Inputs,
    model: &Model,
    faults: &[Fault],
    tl: &Timeline,
    rankdir: Direction,
) -> Result<(), Error> {
    create_dir(dir, "--frames")?;
    let rankdir = match (rankdir, tl.frames.first()) {
        (Direction::Auto, Some((_, first))) => {
            dot::auto_direction(&picture::cascade(model, first, faults, None))
        }
        (fixed, _) => fixed,
    };
    for (k, (t, outcome)) in tl.frames.iter().enumerate() {
        let mut diagram = picture::cascade(model, outcome, faults, None);
        diagram.title = format!("{} — t={}", diagram.title, picture::duration(*t));
        let mut svg_bytes = Vec::new();
        svg::write_svg(&diagram, &mut svg_bytes)?;
        write_file(&dir.join(format!("frame-{k:04}.svg")), inputs, &svg_bytes)?;
        write_file(
            &dir.join(format!("frame-{k:04}.dot")),
            inputs,
            &dot::to_dot_in(&diagram, rankdir),
        )?;
    }
    Ok(())
}
