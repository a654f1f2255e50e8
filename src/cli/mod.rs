//! The command line: the top parser, the dispatch to one module per
//! command, and the only place that prints errors or decides the exit
//! status ([`Status`]: 0 ok, 1 something asked to hold does not, 2 bad
//! input or usage).
//!
//! Each command's module holds its clap arguments, their conversion into
//! library calls and its printing. Shared pieces: [`faults`] (the fault
//! flags), [`format`] (output formats and their file extensions),
//! [`output`] (standard output and atomic files), [`picture`] (drawing a
//! diagram), [`progress`] (progress bars around long library calls).
//!
//! To add a command: a file here with its `Args` struct and a function
//! returning `Result<Status, Error>`, then a `mod` line, a [`Command`]
//! variant (its help and example) and an arm in [`Command::run`].
#![allow(clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use whatif::error::Error;
use whatif::model::{self, Loaded};
use whatif::render::findings::{self, Palette};
use whatif::text::terminal;

mod availability;
mod blast;
mod check;
mod completions;
mod cuts;
mod diagnose;
mod diff;
mod drill;
mod faults;
mod faulttree;
mod format;
mod generate;
mod graph;
mod import;
mod incident;
mod man;
mod output;
mod picture;
mod progress;
mod review;
mod run;
mod scenario;
mod schema;
mod spof;

/// The end of `whatif --help` and of the man page.
const ENVIRONMENT: &str = "Environment:
  NO_COLOR  not empty: no colour with --color auto
  COLUMNS   the width text tables fit (else the terminal's; piped: no limit)
  WHATIF_INCIDENTS  a folder of incidents to look NAMEs up in, instead of
            incidents/ here and then whatif's own

Exit status:
  0  success
  1  something asked to hold does not (check --strict, scenario, --fail-on)
  2  bad input or usage";

/// Play "what happens when …" on a software architecture.
#[derive(Debug, Parser)]
#[command(name = "whatif", version, about, long_about = None, after_long_help = ENVIRONMENT)]
struct Cli {
    /// Colour: `auto` follows the terminal and NO_COLOR.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

/// `--color`: whether text output is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and validate models; every finding with its location.
    #[command(
        after_help = "Example:\n  whatif check examples/*.yaml\n  whatif check --strict --format json examples/online-shop.yaml"
    )]
    Check(check::CheckArgs),
    /// Inject faults and print the cascade (the steady state).
    #[command(
        after_help = "Example:\n  whatif run examples/online-shop.yaml --down catalog-db\n  whatif run examples/payments.yaml --slow ledger-db=+500ms --format json\n  whatif run examples/online-shop.yaml --down zone:eu-1b -o cascade.svg"
    )]
    Run(run::RunArgs),
    /// Draw the architecture (and a cascade, when faults are given) as DOT, SVG, PNG or Mermaid.
    #[command(
        after_help = "Example:\n  whatif graph examples/online-shop.yaml -o shop.svg\n  whatif graph examples/social-network.yaml --focus home-timeline --depth 2\n  whatif graph examples/online-shop.yaml --down catalog-db -o cascade.mmd   # Mermaid, for Markdown"
    )]
    Graph(graph::GraphArgs),
    /// Single points of failure for each entry point and entry operation.
    #[command(
        after_help = "Example:\n  whatif spof examples/online-shop.yaml\n  whatif spof examples/multi-region.yaml --zones --format json"
    )]
    Spof(spof::SpofArgs),
    /// Every service ranked by what its failure takes down.
    #[command(after_help = "Example:\n  whatif blast examples/payments.yaml --top 5")]
    Blast(blast::BlastArgs),
    /// Minimal sets of failures (basic events) that take an entry point down.
    #[command(
        after_help = "Example:\n  whatif cuts examples/payments.yaml\n  whatif cuts examples/multi-region.yaml --order 3 --entry global-lb --zone-availability 99.95%"
    )]
    Cuts(cuts::CutsArgs),
    /// Monte Carlo availability of each entry point, with 95 % intervals and importance.
    #[command(
        after_help = "Example:\n  whatif availability examples/online-shop.yaml --trials 1000000 --seed 7\n  whatif availability examples/multi-region.yaml --zone-availability 99.95% --format json"
    )]
    Availability(availability::AvailabilityArgs),
    /// The structural model as an Open-PSA MEF fault tree (one top event per entry point).
    #[command(
        after_help = "Example:\n  whatif faulttree examples/payments.yaml -o tree.xml\n  scram --mocus --limit-order 2 tree.xml   # check our cut sets with SCRAM"
    )]
    Faulttree(faulttree::FaulttreeArgs),
    /// A design-review report: every analysis and the risky patterns.
    #[command(
        after_help = "Example:\n  whatif review examples/online-shop.yaml\n  whatif review examples/payments.yaml -o review.html\n  whatif review examples/payments.yaml --fail-on high   # exit 1 on any high finding"
    )]
    Review(review::ReviewArgs),
    /// What a change to a model does to its failure modes: SPOFs, blast, single faults, availability, lints.
    #[command(
        after_help = "Example:\n  whatif diff examples/checkout-retries.yaml examples/checkout-retries-budgeted.yaml\n  whatif diff git:main:model.yaml model.yaml -o diff.md   # Markdown for the pull request\n  whatif diff git:origin/main:model.yaml model.yaml --fail-on worse   # exit 1 when an entry point got worse"
    )]
    Diff(diff::DiffArgs),
    /// Rank the root causes that explain observed symptoms.
    #[command(
        after_help = "Example:\n  whatif diagnose examples/online-shop.yaml --symptom web=degraded --symptom catalog=degraded --symptom web.search=healthy\n  whatif diagnose examples/payments.yaml --symptom edge-gateway=down --kinds down,hang,slow --format json"
    )]
    Diagnose(diagnose::DiagnoseArgs),
    /// The game: predict what a fault does (or find it from its symptoms), get scored and an explanation.
    #[command(
        after_help = "Example:\n  whatif drill examples/online-shop.yaml\n  whatif drill examples/payments.yaml --level medium --rounds 3 --seed 7\n  whatif drill examples/online-shop.yaml --mode diagnose --level medium\n  whatif drill examples/three-tier.yaml --fault 'slow db=x10' --level medium\n  whatif drill examples/payments.yaml --handout 6 --level medium -o drill.md\n  printf 'f\\nd\\n' | whatif drill examples/three-tier.yaml --seed 1 --rounds 1   # scripted"
    )]
    Drill(drill::DrillArgs),
    /// Replay a real incident and try to fix it (the `fix` game), or report its replay.
    #[command(
        after_help = "Example:\n  whatif incident --list\n  whatif incident NAME   # play: act from the moment responders were paged\n  whatif incident NAME --replay   # every remedy simulated and judged; exit 1 when one is misjudged\n  whatif incident tests/fixtures/incidents/retry-storm.yaml --handout -o fix.md\n  printf '4 storefront->checkout-api\\n\\n' | whatif incident tests/fixtures/incidents/retry-storm.yaml   # scripted"
    )]
    Incident(incident::IncidentArgs),
    /// Run scenario files: story, timeline, expectations; exit 1 if any fails.
    #[command(
        after_help = "Example:\n  whatif scenario scenarios/*.yaml\n  whatif scenario scenarios/zone-eu-1a-outage.yaml --junit results.xml"
    )]
    Scenario(scenario::ScenarioArgs),
    /// Write a synthetic architecture of any size (seeded), for benchmarks and practice.
    #[command(
        after_help = "Example:\n  whatif generate --services 10000 --seed 7 -o big.yaml\n  whatif run big.yaml --down db-1"
    )]
    Generate(generate::GenerateArgs),
    /// Write a starting model from a docker-compose file or a Backstage catalog.
    #[command(
        after_help = "Example:\n  whatif import docker-compose.yml -o model.yaml\n  whatif import catalog-info.yaml -o model.yaml && whatif check model.yaml\n\nThe model keeps every service and relation of the input; guesses are\nmarked `guessed` and what the input cannot say is marked `TODO`.\nNotes (guesses, placeholders, cycles) go to standard error."
    )]
    Import(import::ImportArgs),
    /// Print the JSON Schema of the model file (for editor completion).
    #[command(after_help = "Example:\n  whatif schema -o schema/whatif.schema.json")]
    Schema(schema::SchemaArgs),
    /// Print a shell's completion script for whatif.
    #[command(
        after_help = "Example:\n  whatif completions bash > ~/.local/share/bash-completion/completions/whatif\n  whatif completions zsh > ~/.zfunc/_whatif   # with fpath+=(~/.zfunc) before compinit in ~/.zshrc\n  whatif completions fish > ~/.config/fish/completions/whatif.fish\n  whatif completions powershell >> $PROFILE"
    )]
    Completions(completions::CompletionsArgs),
    /// Print the man page whatif(1), which lists every command; or write one page per command.
    #[command(
        after_help = "Example:\n  whatif man | man -l -\n  whatif man --dir ~/.local/share/man/man1   # whatif.1 and whatif-<command>.1"
    )]
    Man(man::ManArgs),
}

impl Command {
    /// Runs the command: one arm per command, each in its own module.
    fn run(self, color: ColorChoice) -> Result<Status, Error> {
        match self {
            Command::Check(args) => check::check(args, color),
            Command::Run(args) => run::run(args, color),
            Command::Graph(args) => graph::graph(args),
            Command::Spof(args) => spof::spof(args, color),
            Command::Blast(args) => blast::blast(args, color),
            Command::Cuts(args) => cuts::cuts(args, color),
            Command::Availability(args) => availability::availability(args, color),
            Command::Faulttree(args) => faulttree::faulttree(args),
            Command::Review(args) => review::review(args, color),
            Command::Diagnose(args) => diagnose::diagnose(args, color),
            Command::Diff(args) => diff::diff(args, color),
            Command::Drill(args) => drill::drill(args),
            Command::Scenario(args) => scenario::scenario(args, color),
            Command::Incident(args) => incident::incident(args, color),
            Command::Generate(args) => generate::generate(args),
            Command::Import(args) => import::import(args, color),
            Command::Schema(args) => schema::schema(args),
            Command::Completions(args) => completions::completions(args),
            Command::Man(args) => man::man(args),
        }
    }
}

/// How a command ended, as the process exit status (listed in `--help`
/// and the README). Ordered, so a command that checks several things
/// keeps the worst with `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    /// 0: done, and everything asked to hold holds.
    Ok,
    /// 1: done, but something asked to hold does not (`check --strict`
    /// warnings, a failed scenario expectation, `review --fail-on`,
    /// `diff --fail-on worse`).
    Failed,
    /// 2: bad input or usage; the error is on standard error.
    BadInput,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(match status {
            Status::Ok => 0,
            Status::Failed => 1,
            Status::BadInput => 2,
        })
    }
}

/// Runs the command line and returns the process exit status: the one
/// place an error becomes [`Status::BadInput`].
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = cli.color;
    let status = cli.command.run(color).unwrap_or_else(|error| {
        report(&error, color);
        Status::BadInput
    });
    ExitCode::from(status)
}

/// The palette for a stream: `--color`, whether the stream is a terminal,
/// and `NO_COLOR`.
fn palette(color: ColorChoice, stream_is_terminal: bool) -> Palette {
    let enabled = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    Palette { enabled }
}

/// The width text tables fit on standard output: `COLUMNS` when it holds a
/// number, else the terminal's when standard output is one, else none, so
/// piped output is never cut. (console is already built for indicatif.)
fn text_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    columns.or_else(|| {
        console::Term::stdout()
            .size_checked()
            .map(|(_, cols)| usize::from(cols))
    })
}

/// Palette and width for text going to `-o FILE` (plain, no width limit)
/// or, without one, to standard output.
fn text_style(color: ColorChoice, output: Option<&Path>) -> (Palette, Option<usize>) {
    if output.is_some() {
        (Palette { enabled: false }, None)
    } else {
        (palette(color, io::stdout().is_terminal()), text_width())
    }
}

/// Prints an error to stderr: findings compiler-style, others as one
/// sentence and a hint. Messages quote what the user typed and the names
/// in their files, so they go through [`terminal`] like all terminal text.
fn report(error: &Error, color: ColorChoice) {
    let palette = palette(color, io::stderr().is_terminal());
    let mut err = Vec::new();
    match error {
        Error::Invalid {
            file,
            source_text,
            findings,
        } => {
            let _ = findings::write_text(&mut err, file, source_text, findings, palette);
            let errors = findings.iter().filter(|f| f.is_error()).count();
            let _ = writeln!(
                err,
                "{}: {} has {errors} error{}",
                palette.paint("1;31", "error"),
                terminal(file),
                plural(errors)
            );
        }
        Error::Usage { message, hint } => {
            let _ = writeln!(
                err,
                "{}: {}",
                palette.paint("1;31", "error"),
                terminal(message)
            );
            if let Some(hint) = hint {
                let _ = writeln!(err, "  hint: {}", terminal(hint));
            }
        }
        other => {
            let _ = writeln!(
                err,
                "{}: {}",
                palette.paint("1;31", "error"),
                terminal(&other.to_string())
            );
            if let Error::Read { source, .. } = other {
                let hint = match source.kind() {
                    io::ErrorKind::NotFound => "check the path: no file is there",
                    io::ErrorKind::PermissionDenied => "the file is not readable by you",
                    _ => "check the path, and that the file is readable",
                };
                let _ = writeln!(err, "  hint: {hint}");
            }
        }
    }
    let _ = io::stderr().write_all(&err);
}

/// A warning on standard error (terminal-escaped: it quotes what was typed).
fn warn(message: &str) {
    eprintln!("warning: {}", terminal(message));
}

/// `"s"` unless there is exactly one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Loads and validates a model file.
fn load(path: &Path) -> Result<Loaded, Error> {
    model::load_file(path)
}

/// A duration typed on the command line (`20m`, `1s`).
fn cli_duration(flag: &str, text: &str) -> Result<f64, Error> {
    let v = model::units::duration(&model::raw::Scalar::Str(text.to_owned()))
        .map_err(|e| Error::usage(format!("{flag} {text}: {}", e.message), e.hint))?;
    if v <= 0.0 {
        return Err(Error::usage(
            format!("{flag} {text}: must be more than zero"),
            Some(format!("e.g. `{flag} 10m`")),
        ));
    }
    Ok(v)
}

/// The most steps a timeline may take (`run --for`, each `scenario`, the
/// drill's `--at`): every step is a steady-state solve, so a million steps
/// of a small model already take minutes, and the series kept per service
/// grow with them.
const MAX_TIMELINE_STEPS: f64 = 1_000_000.0;

/// Refuses a timeline of `duration_s` in steps of `step_s` when it has
/// more than [`MAX_TIMELINE_STEPS`] steps; `what` says whose timeline
/// (`--for 20d with --step 1ms`), `hint` what to change.
fn check_steps(what: &str, duration_s: f64, step_s: f64, hint: &str) -> Result<(), Error> {
    let steps = whatif::sim::timeline::step_count(duration_s, step_s);
    if steps <= MAX_TIMELINE_STEPS {
        return Ok(());
    }
    // Steps of s make ⌈duration / s⌉ + 1 of them: the shortest allowed,
    // rounded up to a microsecond, then up to a millisecond when that is
    // still allowed (it reads better).
    let exact = duration_s / (MAX_TIMELINE_STEPS - 1.0);
    let micro = (exact * 1e6).ceil() / 1e6;
    let milli = (exact * 1e3).ceil() / 1e3;
    let shortest = whatif::text::duration(
        if whatif::sim::timeline::step_count(duration_s, milli) <= MAX_TIMELINE_STEPS
            && milli <= micro * 1.01
        {
            milli
        } else {
            micro
        },
    );
    Err(Error::usage(
        format!(
            "{what}: {} steps, more than the {} a timeline may take",
            whatif::sim::explain::rate(steps),
            whatif::sim::explain::rate(MAX_TIMELINE_STEPS)
        ),
        Some(format!("{hint} (a step of at least {shortest})")),
    ))
}

/// A fraction typed on the command line (`99.95%`, `0.9995`).
fn cli_fraction(flag: &str, text: &str) -> Result<f64, Error> {
    model::units::fraction(&model::raw::Scalar::Str(text.to_owned()))
        .map_err(|e| Error::usage(format!("{flag} {text}: {}", e.message), e.hint))
}

/// `--zone-availability`, when given.
fn zone_availability(text: Option<&str>) -> Result<Option<f64>, Error> {
    text.map(|z| cli_fraction("--zone-availability", z))
        .transpose()
}
