//! The command line: clap types, their conversion into library calls, and
//! the only place that prints or decides the exit code (0 ok, 1 something
//! asked to hold does not, 2 bad input or usage).
#![allow(clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

mod drill;

use whatif::error::Error;
use whatif::finding::{Finding, did_you_mean_hint};
use whatif::graph::Graph;
use whatif::model::{self, Loaded, ServiceId};
use whatif::render::findings::{self, Palette};
use whatif::render::fit;
use whatif::render::{self, dot, graphviz, mermaid, picture, svg};
use whatif::sim::faults::{self as fault, Fault, FaultKind};
use whatif::sim::steady::Engine;
use whatif::sim::timeline;

/// The end of `whatif --help` and of the man page.
const ENVIRONMENT: &str = "Environment:
  NO_COLOR  not empty: no colour with --color auto
  COLUMNS   the width text tables fit (else the terminal's; piped: no limit)

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
    Check(CheckArgs),
    /// Inject faults and print the cascade (the steady state).
    #[command(
        after_help = "Example:\n  whatif run examples/online-shop.yaml --down catalog-db\n  whatif run examples/payments.yaml --slow ledger-db=+500ms --format json\n  whatif run examples/online-shop.yaml --down zone:eu-1b -o cascade.svg"
    )]
    Run(RunArgs),
    /// Draw the architecture (and a cascade, when faults are given) as DOT, SVG, PNG or Mermaid.
    #[command(
        after_help = "Example:\n  whatif graph examples/online-shop.yaml -o shop.svg\n  whatif graph examples/social-network.yaml --focus home-timeline --depth 2\n  whatif graph examples/online-shop.yaml --down catalog-db -o cascade.mmd   # Mermaid, for Markdown"
    )]
    Graph(GraphArgs),
    /// Single points of failure for each entry point and entry operation.
    #[command(
        after_help = "Example:\n  whatif spof examples/online-shop.yaml\n  whatif spof examples/multi-region.yaml --zones --format json"
    )]
    Spof(SpofArgs),
    /// Every service ranked by what its failure takes down.
    #[command(after_help = "Example:\n  whatif blast examples/payments.yaml --top 5")]
    Blast(BlastArgs),
    /// Minimal sets of failures (basic events) that take an entry point down.
    #[command(
        after_help = "Example:\n  whatif cuts examples/payments.yaml\n  whatif cuts examples/multi-region.yaml --order 3 --entry global-lb --zone-availability 99.95%"
    )]
    Cuts(CutsArgs),
    /// Monte Carlo availability of each entry point, with 95 % intervals and importance.
    #[command(
        after_help = "Example:\n  whatif availability examples/online-shop.yaml --trials 1000000 --seed 7\n  whatif availability examples/multi-region.yaml --zone-availability 99.95% --format json"
    )]
    Availability(AvailabilityArgs),
    /// The structural model as an Open-PSA MEF fault tree (one top event per entry point).
    #[command(
        after_help = "Example:\n  whatif faulttree examples/payments.yaml -o tree.xml\n  scram --mocus --limit-order 2 tree.xml   # check our cut sets with SCRAM"
    )]
    Faulttree(FaulttreeArgs),
    /// A design-review report: every analysis and the risky patterns.
    #[command(
        after_help = "Example:\n  whatif review examples/online-shop.yaml\n  whatif review examples/payments.yaml -o review.html\n  whatif review examples/payments.yaml --fail-on high   # exit 1 on any high finding"
    )]
    Review(ReviewArgs),
    /// Rank the root causes that explain observed symptoms.
    #[command(
        after_help = "Example:\n  whatif diagnose examples/online-shop.yaml --symptom web=degraded --symptom catalog=degraded --symptom web.search=healthy\n  whatif diagnose examples/payments.yaml --symptom edge-gateway=down --kinds down,hang,slow --format json"
    )]
    Diagnose(DiagnoseArgs),
    /// The game: predict what a fault does (or find it from its symptoms), get scored and an explanation.
    #[command(
        after_help = "Example:\n  whatif drill examples/online-shop.yaml\n  whatif drill examples/payments.yaml --level medium --rounds 3 --seed 7\n  whatif drill examples/online-shop.yaml --mode diagnose --level medium\n  whatif drill examples/three-tier.yaml --fault 'slow db=x10' --level medium\n  whatif drill examples/payments.yaml --handout 6 --level medium -o drill.md\n  printf 'f\\nd\\n' | whatif drill examples/three-tier.yaml --seed 1 --rounds 1   # scripted"
    )]
    Drill(drill::DrillArgs),
    /// Run scenario files: story, timeline, expectations; exit 1 if any fails.
    #[command(
        after_help = "Example:\n  whatif scenario scenarios/*.yaml\n  whatif scenario scenarios/zone-eu-1a-outage.yaml --junit results.xml"
    )]
    Scenario(ScenarioArgs),
    /// Write a synthetic architecture of any size (seeded), for benchmarks and practice.
    #[command(
        after_help = "Example:\n  whatif generate --services 10000 --seed 7 -o big.yaml\n  whatif run big.yaml --down db-1"
    )]
    Generate(GenerateArgs),
    /// Write a starting model from a docker-compose file or a Backstage catalog.
    #[command(
        after_help = "Example:\n  whatif import docker-compose.yml -o model.yaml\n  whatif import catalog-info.yaml -o model.yaml && whatif check model.yaml\n\nThe model keeps every service and relation of the input; guesses are\nmarked `guessed` and what the input cannot say is marked `TODO`.\nNotes (guesses, placeholders, cycles) go to standard error."
    )]
    Import(ImportArgs),
    /// Print the JSON Schema of the model file (for editor completion).
    #[command(after_help = "Example:\n  whatif schema -o schema/whatif.schema.json")]
    Schema(SchemaArgs),
    /// Print a shell's completion script for whatif.
    #[command(
        after_help = "Example:\n  whatif completions bash > ~/.local/share/bash-completion/completions/whatif\n  whatif completions zsh > ~/.zfunc/_whatif   # with fpath+=(~/.zfunc) before compinit in ~/.zshrc\n  whatif completions fish > ~/.config/fish/completions/whatif.fish\n  whatif completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print the man page whatif(1), which lists every command; or write one page per command.
    #[command(
        after_help = "Example:\n  whatif man | man -l -\n  whatif man --dir ~/.local/share/man/man1   # whatif.1 and whatif-<command>.1"
    )]
    Man(ManArgs),
}

/// Faults, as on every command that takes them (SPEC §3).
#[derive(Debug, Args, Default, Clone)]
struct FaultArgs {
    /// Crash a service, `NAME:N` replicas, or `zone:NAME` (repeatable).
    #[arg(long, value_name = "TARGET")]
    down: Vec<String>,
    /// Make a service (or `zone:NAME`) accept calls and never answer.
    #[arg(long, value_name = "TARGET")]
    hang: Vec<String>,
    /// Slow a service: `NAME=+400ms`, `NAME=x10`, `NAME=+100s@5%`.
    #[arg(long, value_name = "NAME=CHANGE")]
    slow: Vec<String>,
    /// Make a share of a service's requests fail: `NAME=30%`.
    #[arg(long, value_name = "NAME=SHARE")]
    errors: Vec<String>,
    /// Cut the link from one service to another: `web->cart`.
    #[arg(long, value_name = "FROM->TO")]
    cut: Vec<String>,
    /// Multiply entry traffic: `x3`, or one entry: `web=x3`.
    #[arg(long, value_name = "[NAME=]xF")]
    surge: Vec<String>,
    /// Empty a cache: it warms up again.
    #[arg(long, value_name = "CACHE")]
    cold: Vec<String>,
}

impl FaultArgs {
    /// Parses every fault against the model; the first bad one is a usage error.
    fn parse(&self, model: &model::Model) -> Result<Vec<Fault>, Error> {
        let groups = [
            (FaultKind::Down, &self.down),
            (FaultKind::Hang, &self.hang),
            (FaultKind::Slow, &self.slow),
            (FaultKind::Errors, &self.errors),
            (FaultKind::Cut, &self.cut),
            (FaultKind::Surge, &self.surge),
            (FaultKind::Cold, &self.cold),
        ];
        let mut faults = Vec::new();
        for (kind, values) in groups {
            for v in values {
                let f = fault::parse(kind, v, model).map_err(|e| {
                    Error::usage(format!("--{} {v}: {}", kind.as_str(), e.message), e.hint)
                })?;
                faults.push(f);
            }
        }
        Ok(faults)
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Model file.
    model: PathBuf,
    #[command(flatten)]
    faults: FaultArgs,
    /// Write here; the extension picks the format (.txt, .json, .md, .dot, .svg, .png, .mmd, .html).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else text). `html`: an
    /// interactive page; click a service to see its `--down` cascade.
    #[arg(long, value_enum)]
    format: Option<RunFormat>,
    /// Who lays out SVG: Graphviz when found (auto), or always the built-in layout.
    #[arg(long, value_enum, default_value_t = Layout::Auto)]
    layout: Layout,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RunFormat {
    Text,
    Json,
    Markdown,
    Dot,
    Svg,
    Png,
    Mermaid,
    Html,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Model files.
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// Exit 1 when there are warnings (and no errors).
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct GraphArgs {
    /// Model file.
    model: PathBuf,
    #[command(flatten)]
    faults: FaultArgs,
    /// Write here; the extension picks the format (.dot, .svg, .png, .mmd).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else dot).
    #[arg(long, value_enum)]
    format: Option<PictureFormat>,
    /// Draw only this service and its neighbourhood.
    #[arg(long)]
    focus: Option<String>,
    /// Hops around --focus (callers and callees).
    #[arg(long, default_value_t = 1, requires = "focus")]
    depth: usize,
    /// Who lays out SVG: Graphviz when found (auto), or always the built-in layout.
    #[arg(long, value_enum, default_value_t = Layout::Auto)]
    layout: Layout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PictureFormat {
    Dot,
    Svg,
    Png,
    Mermaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Layout {
    Auto,
    Builtin,
    Graphviz,
}

#[derive(Debug, Args)]
struct SpofArgs {
    /// Model file.
    model: PathBuf,
    /// Also list the zones whose loss alone takes each entry down.
    #[arg(long)]
    zones: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct BlastArgs {
    /// Model file.
    model: PathBuf,
    /// Show this many services (text).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct CutsArgs {
    /// Model file.
    model: PathBuf,
    /// Largest cut set size (1 to 3).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=3))]
    order: u8,
    /// Only this entry point (`web` or `api.login`).
    #[arg(long)]
    entry: Option<String>,
    /// Availability of a zone (`99.95%`): zones become basic events (common causes).
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct AvailabilityArgs {
    /// Model file.
    model: PathBuf,
    /// Monte Carlo trials.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Seed: the same seed gives the same numbers, whatever the number of threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Availability of a zone (`99.95%`): zones fail as common causes.
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
    /// Importance rows shown per entry (text).
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct FaulttreeArgs {
    /// Model file.
    model: PathBuf,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Availability of a zone (`99.95%`): zones become basic events (common causes).
    #[arg(long, value_name = "FRACTION")]
    zone_availability: Option<String>,
}

#[derive(Debug, Args)]
struct ReviewArgs {
    /// Model file.
    model: PathBuf,
    /// Write here; the extension picks the format (.txt, .md, .html, .json).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else text).
    #[arg(long, value_enum)]
    format: Option<ReviewFormat>,
    /// Exit 1 when a lint has this code (`R001`) or at least this level (`high`, `medium`, `low`); repeatable.
    #[arg(long, value_name = "CODE|LEVEL")]
    fail_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReviewFormat {
    Text,
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Args)]
struct DiagnoseArgs {
    /// Model file.
    model: PathBuf,
    /// An observation: `NAME=STATE` (service or `service.operation`; healthy, slow, degraded, down). Repeatable.
    #[arg(long, value_name = "NAME=STATE", required = true)]
    symptom: Vec<String>,
    /// Fault kinds to consider (comma-separated): down, hang, slow, errors, cold.
    #[arg(long, value_delimiter = ',', default_value = "down")]
    kinds: Vec<String>,
    /// Candidates shown (text).
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct ScenarioArgs {
    /// Scenario files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also write the results as JUnit XML (for CI).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Timeline step.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    step: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Number of services.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    services: u64,
    /// Seed: the same seed gives the same model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// A docker-compose file or a Backstage catalog (multi-document YAML).
    file: PathBuf,
    /// Write the model here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Write whatif(1) here instead of standard output.
    #[arg(short, long, conflicts_with = "dir")]
    output: Option<PathBuf>,
    /// Write every page into this directory: whatif.1 and whatif-<command>.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = cli.color;
    let result = match cli.command {
        Command::Check(args) => check(args, color),
        Command::Run(args) => run(args, color),
        Command::Graph(args) => graph(args),
        Command::Spof(args) => spof(args, color),
        Command::Blast(args) => blast(args, color),
        Command::Cuts(args) => cuts(args, color),
        Command::Availability(args) => availability(args, color),
        Command::Faulttree(args) => faulttree(args),
        Command::Review(args) => review(args, color),
        Command::Diagnose(args) => diagnose(args, color),
        Command::Drill(args) => drill::drill(args),
        Command::Scenario(args) => scenario(args, color),
        Command::Generate(args) => generate(args),
        Command::Import(args) => import(args, color),
        Command::Schema(args) => schema(args),
        Command::Completions(args) => completions(args),
        Command::Man(args) => man(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            report(&error, color);
            ExitCode::from(2)
        }
    }
}

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

/// A progress bar on stderr for work that may take seconds. It stays
/// hidden unless stderr is a terminal and the work has run for a second, so
/// quick runs and redirected output never see it; dropping it clears it.
struct Progress {
    bar: indicatif::ProgressBar,
    terminal: bool,
}

impl Progress {
    fn new(template: &str) -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress {
            bar,
            terminal: io::stderr().is_terminal(),
        }
    }

    /// `done` of `total` units of work.
    fn update(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        if self.terminal
            && self.bar.is_hidden()
            && self.bar.elapsed() >= std::time::Duration::from_secs(1)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Each service's impact (SPOFs, blast radius), with a progress bar.
fn impacts(
    model: &model::Model,
    structure: &whatif::sim::structural::Structure,
) -> Vec<whatif::analysis::spof::Impact> {
    let progress = Progress::new("{bar:40} {pos}/{len} services failed in turn ({eta})");
    whatif::analysis::spof::impacts_with_progress(model, structure, &|d, t| progress.update(d, t))
}

/// Prints an error to stderr: findings compiler-style, others as one
/// sentence and a hint.
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
                "{}: {file} has {errors} error{}",
                palette.paint("1;31", "error"),
                plural(errors)
            );
        }
        Error::Usage { message, hint } => {
            let _ = writeln!(err, "{}: {message}", palette.paint("1;31", "error"));
            if let Some(hint) = hint {
                let _ = writeln!(err, "  hint: {hint}");
            }
        }
        other => {
            let _ = writeln!(err, "{}: {other}", palette.paint("1;31", "error"));
        }
    }
    let _ = io::stderr().write_all(&err);
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes bytes to standard output; a closed pipe ends quietly.
fn print(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
    }
}

/// Writes a file whole or not at all: beside it first, then renamed over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let temp = dir.join(format!(".{name}.whatif-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(fail)
}

/// Sends output to `-o FILE` (atomically) or to standard output.
fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    match output {
        Some(path) => write_atomically(path, bytes),
        None => print(bytes),
    }
}

fn load(path: &Path) -> Result<Loaded, Error> {
    model::load_file(path)
}

fn check(args: CheckArgs, color: ColorChoice) -> Result<u8, Error> {
    let palette = palette(color, io::stdout().is_terminal());
    let mut text = Vec::new();
    let mut reports: Vec<(String, Vec<Finding>)> = Vec::new();
    let mut code = 0u8;
    for path in &args.models {
        let file = path.display().to_string();
        let (findings, source, summary) = match load(path) {
            Ok(loaded) => {
                let graph = Graph::build(&loaded.model);
                let mut findings = loaded.findings.clone();
                findings.extend(graph.cycle_findings(&loaded.model));
                findings.sort_by_key(|f| (f.pos, f.code));
                let n = loaded.model.services().len();
                let summary = format!("{n} service{}", plural(n));
                (findings, loaded.source, Some(summary))
            }
            Err(Error::Invalid {
                findings,
                source_text,
                ..
            }) => (findings, source_text, None),
            Err(Error::Read { source, .. }) => {
                let f = Finding::error("E000", format!("cannot read the file: {source}"), None);
                (vec![f], String::new(), None)
            }
            Err(other) => return Err(other),
        };
        let errors = findings.iter().filter(|f| f.is_error()).count();
        let warnings = findings.len() - errors;
        code = code.max(if errors > 0 {
            2
        } else if warnings > 0 && args.strict {
            1
        } else {
            0
        });
        if args.format == CheckFormat::Text {
            let _ = findings::write_text(&mut text, &file, &source, &findings, palette);
            let verdict = if errors > 0 {
                palette.paint("1;31", "invalid")
            } else {
                palette.paint("1;32", "ok")
            };
            let mut counts = Vec::new();
            if let Some(s) = summary {
                counts.push(s);
            }
            if errors > 0 {
                counts.push(format!("{errors} error{}", plural(errors)));
            }
            if warnings > 0 {
                counts.push(format!("{warnings} warning{}", plural(warnings)));
            }
            let _ = writeln!(text, "{file}: {verdict} ({})", counts.join(", "));
        }
        reports.push((file, findings));
    }
    if args.format == CheckFormat::Json {
        let _ = findings::write_json(&mut text, &reports);
    }
    print(&text)?;
    Ok(code)
}

/// A file's extension, lower-cased ("" when it has none).
fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn picture_format(
    explicit: Option<PictureFormat>,
    output: Option<&Path>,
) -> Result<PictureFormat, Error> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    let Some(path) = output else {
        return Ok(PictureFormat::Dot);
    };
    let ext = extension(path);
    match ext.as_str() {
        "dot" | "gv" => Ok(PictureFormat::Dot),
        "svg" => Ok(PictureFormat::Svg),
        "png" => Ok(PictureFormat::Png),
        "mmd" | "mermaid" => Ok(PictureFormat::Mermaid),
        _ => Err(Error::usage(
            format!(
                "cannot tell the format of `{}` from its extension",
                path.display()
            ),
            Some("use .dot, .svg, .png or .mmd, or give --format".into()),
        )),
    }
}

fn focus_set(
    model: &model::Model,
    graph: &Graph,
    focus: &str,
    depth: usize,
) -> Result<Vec<ServiceId>, Error> {
    let id = model.find(focus).ok_or_else(|| {
        Error::usage(
            format!("unknown service `{focus}` for --focus"),
            did_you_mean_hint(focus, model.service_names()),
        )
    })?;
    Ok(graph.neighbourhood(id, depth))
}

fn graph(args: GraphArgs) -> Result<u8, Error> {
    let format = picture_format(args.format, args.output.as_deref())?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let g = Graph::build(model);
    let subset = match &args.focus {
        Some(f) => Some(focus_set(model, &g, f, args.depth)?),
        None => None,
    };
    let faults = args.faults.parse(model)?;
    let diagram = if faults.is_empty() {
        picture::architecture(model, subset.as_deref())
    } else {
        let outcome = Engine::new(model).steady(&faults);
        picture::cascade(model, &outcome, &faults, subset.as_deref())
    };
    let bytes = draw(&diagram, format, args.layout, args.output.as_deref())?;
    emit(args.output.as_deref(), &bytes)?;
    Ok(0)
}

/// A diagram in a picture format.
fn draw(
    diagram: &render::Diagram,
    format: PictureFormat,
    layout: Layout,
    output: Option<&Path>,
) -> Result<Vec<u8>, Error> {
    Ok(match format {
        PictureFormat::Dot => dot::to_dot(diagram),
        PictureFormat::Mermaid => {
            let text = mermaid::to_mermaid(diagram);
            // Mermaid's defaults (maxTextSize, maxEdges): past them a code
            // host shows an error box instead of the chart.
            if text.len() > 50_000 || diagram.edges.len() > 500 {
                eprintln!(
                    "warning: this Mermaid chart has {} characters and {} edges; Mermaid draws at most 50,000 and 500 by default (draw a part with `whatif graph --focus`)",
                    text.len(),
                    diagram.edges.len()
                );
            }
            text
        }
        PictureFormat::Svg => {
            let use_graphviz = match layout {
                Layout::Builtin => false,
                Layout::Graphviz => true,
                Layout::Auto => graphviz::available(),
            };
            if use_graphviz {
                graphviz::render(&dot::to_dot(diagram), "svg")?
            } else {
                let mut out = Vec::new();
                svg::write_svg(diagram, &mut out).map_err(|e| Error::Tool(e.to_string()))?;
                out
            }
        }
        PictureFormat::Png => {
            if layout == Layout::Builtin || !graphviz::available() {
                return Err(Error::usage(
                    "PNG needs Graphviz (`dot`), which is not installed",
                    Some("install Graphviz (e.g. `apt-get install graphviz`), or write SVG with `-o out.svg`".into()),
                ));
            }
            if output.is_none() && io::stdout().is_terminal() {
                return Err(Error::usage(
                    "PNG is binary and standard output is a terminal",
                    Some("write it to a file with `-o out.png`".into()),
                ));
            }
            graphviz::render(&dot::to_dot(diagram), "png")?
        }
    })
}

fn run_format(explicit: Option<RunFormat>, output: Option<&Path>) -> Result<RunFormat, Error> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    let Some(path) = output else {
        return Ok(RunFormat::Text);
    };
    let ext = extension(path);
    match ext.as_str() {
        "txt" => Ok(RunFormat::Text),
        "json" => Ok(RunFormat::Json),
        "md" | "markdown" => Ok(RunFormat::Markdown),
        "dot" | "gv" => Ok(RunFormat::Dot),
        "svg" => Ok(RunFormat::Svg),
        "png" => Ok(RunFormat::Png),
        "mmd" | "mermaid" => Ok(RunFormat::Mermaid),
        "html" | "htm" => Ok(RunFormat::Html),
        _ => Err(Error::usage(
            format!(
                "cannot tell the format of `{}` from its extension",
                path.display()
            ),
            Some("use .txt, .json, .md, .dot, .svg, .png, .mmd or .html, or give --format".into()),
        )),
    }
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

fn run(args: RunArgs, color: ColorChoice) -> Result<u8, Error> {
    let format = run_format(args.format, args.output.as_deref())?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let faults = args.faults.parse(model)?;
    if let Some(for_) = &args.for_ {
        return run_timeline(
            &args,
            model,
            &faults,
            cli_duration("--for", for_)?,
            format,
            color,
        );
    }
    let outcome = Engine::new(model).steady(&faults);
    // Text says so in its own first lines; other formats get it on stderr.
    if !outcome.converged && format != RunFormat::Text {
        eprintln!(
            "warning: the steady state did not settle within {} passes; figures are the last pass's",
            outcome.iterations
        );
    }
    let mut bytes = Vec::new();
    let write_err = |e: io::Error| Error::Tool(e.to_string());
    match format {
        RunFormat::Text => {
            let p = if args.output.is_some() {
                Palette { enabled: false }
            } else {
                palette(color, io::stdout().is_terminal())
            };
            let width = args.output.is_none().then(text_width).flatten();
            render::run::write_text(&mut bytes, model, &faults, &outcome, p, width)
                .map_err(write_err)?;
        }
        RunFormat::Json => {
            render::run::write_json(&mut bytes, model, &faults, &outcome).map_err(write_err)?
        }
        RunFormat::Markdown => {
            render::run::write_markdown(&mut bytes, model, &faults, &outcome).map_err(write_err)?
        }
        RunFormat::Dot | RunFormat::Svg | RunFormat::Png | RunFormat::Mermaid => {
            let picture_format = match format {
                RunFormat::Dot => PictureFormat::Dot,
                RunFormat::Svg => PictureFormat::Svg,
                RunFormat::Mermaid => PictureFormat::Mermaid,
                _ => PictureFormat::Png,
            };
            let diagram = picture::cascade(model, &outcome, &faults, None);
            bytes = draw(
                &diagram,
                picture_format,
                args.layout,
                args.output.as_deref(),
            )?;
        }
        RunFormat::Html => {
            use whatif::analysis::{spof, sweep};
            let sweep = sweep::sweep(model, &Engine::new(model));
            let initial = sweep::Cascade::new(&spof::entries(model), &faults, outcome);
            let page = render::interactive::Explorer {
                model,
                sweep: &sweep,
                initial: Some(&initial),
            };
            render::interactive::write_run_page(&mut bytes, &page).map_err(write_err)?;
        }
    }
    emit(args.output.as_deref(), &bytes)?;
    Ok(0)
}

const TIMELINE_PROGRESS: &str = "{bar:40} {pos}/{len} steps ({eta})";

fn run_timeline(
    args: &RunArgs,
    model: &model::Model,
    faults: &[Fault],
    duration: f64,
    format: RunFormat,
    color: ColorChoice,
) -> Result<u8, Error> {
    let step = cli_duration("--step", &args.step)?;
    if format == RunFormat::Html {
        return Err(Error::usage(
            "the HTML page shows the steady state, not a timeline",
            Some("drop --for, or draw the timeline with `-o chart.svg`".into()),
        ));
    }
    if duration / step > 1_000_000.0 {
        return Err(Error::usage(
            format!(
                "--for {} with --step {} is more than a million steps",
                args.for_.as_deref().unwrap_or(""),
                args.step
            ),
            Some("use a longer --step".into()),
        ));
    }
    let events = timeline::Event::from_start(faults);
    let tl = {
        let progress = Progress::new(TIMELINE_PROGRESS);
        timeline::simulate_with_progress(
            model,
            &events,
            timeline::Options {
                duration_s: duration,
                step_s: step,
            },
            &|d, t| progress.update(d, t),
        )
    };
    if !tl.converged && !matches!(format, RunFormat::Text | RunFormat::Markdown) {
        eprintln!(
            "warning: some steps of the timeline did not settle; their figures are approximate"
        );
    }
    let flags: Vec<String> = faults.iter().map(Fault::as_flag).collect();
    let title = format!(
        "{} {} for {} (step {})",
        model.name,
        if flags.is_empty() {
            "(no faults)".to_string()
        } else {
            flags.join(" ")
        },
        picture::duration(duration),
        picture::duration(step)
    );
    let write_err = |e: io::Error| Error::Tool(e.to_string());
    let mut bytes = Vec::new();
    match format {
        RunFormat::Text | RunFormat::Markdown => {
            let p = if args.output.is_some() {
                Palette { enabled: false }
            } else {
                palette(color, io::stdout().is_terminal())
            };
            let width = args.output.is_none().then(text_width).flatten();
            render::timeline::write_text(&mut bytes, model, &title, &tl, p, width)
                .map_err(write_err)?;
        }
        RunFormat::Json => {
            let v = render::timeline::to_json(model, faults, &tl, step);
            serde_json::to_writer_pretty(&mut bytes, &v).map_err(|e| Error::Tool(e.to_string()))?;
            bytes.push(b'\n');
        }
        RunFormat::Svg => {
            render::timeline::write_chart(&mut bytes, model, &title, &tl).map_err(write_err)?
        }
        RunFormat::Html => unreachable!("refused above"),
        RunFormat::Dot | RunFormat::Png | RunFormat::Mermaid => {
            let picture_format = match format {
                RunFormat::Dot => PictureFormat::Dot,
                RunFormat::Mermaid => PictureFormat::Mermaid,
                _ => PictureFormat::Png,
            };
            let diagram = picture::cascade(model, &tl.last, faults, None);
            bytes = draw(
                &diagram,
                picture_format,
                args.layout,
                args.output.as_deref(),
            )?;
        }
    }
    if let Some(dir) = &args.frames {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        for (k, (t, outcome)) in tl.frames.iter().enumerate() {
            let mut diagram = picture::cascade(model, outcome, faults, None);
            diagram.title = format!("{} — t={}", diagram.title, picture::duration(*t));
            let mut svg_bytes = Vec::new();
            svg::write_svg(&diagram, &mut svg_bytes).map_err(write_err)?;
            write_atomically(&dir.join(format!("frame-{k:04}.svg")), &svg_bytes)?;
            write_atomically(
                &dir.join(format!("frame-{k:04}.dot")),
                &dot::to_dot(&diagram),
            )?;
        }
    }
    emit(args.output.as_deref(), &bytes)?;
    Ok(0)
}

fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn spof(args: SpofArgs, color: ColorChoice) -> Result<u8, Error> {
    use whatif::analysis::spof;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let structure = whatif::sim::structural::Structure::new(model);
    let points = spof::single_points(model, &impacts(model, &structure));
    let zones = args
        .zones
        .then(|| spof::zone_single_points(model, &structure));
    let bytes = match args.format {
        CheckFormat::Json => json_bytes(&render::analysis::spof_json(
            model,
            &points,
            zones.as_deref(),
        )),
        CheckFormat::Text => {
            let mut b = Vec::new();
            let p = palette(color, io::stdout().is_terminal());
            let width = text_width();
            render::analysis::write_spof_text(&mut b, model, &points, zones.as_deref(), p, width)
                .map_err(|e| Error::Tool(e.to_string()))?;
            b
        }
    };
    print(&bytes)?;
    Ok(0)
}

fn blast(args: BlastArgs, color: ColorChoice) -> Result<u8, Error> {
    use whatif::analysis::spof;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let structure = whatif::sim::structural::Structure::new(model);
    let ranked = spof::ranked(model, impacts(model, &structure));
    let bytes = match args.format {
        CheckFormat::Json => json_bytes(&render::analysis::blast_json(model, &ranked)),
        CheckFormat::Text => {
            let mut b = Vec::new();
            let p = palette(color, io::stdout().is_terminal());
            render::analysis::write_blast_text(&mut b, model, &ranked, args.top, p, text_width())
                .map_err(|e| Error::Tool(e.to_string()))?;
            b
        }
    };
    print(&bytes)?;
    Ok(0)
}

/// A fraction typed on the command line (`99.95%`, `0.9995`).
fn cli_fraction(flag: &str, text: &str) -> Result<f64, Error> {
    model::units::fraction(&model::raw::Scalar::Str(text.to_owned()))
        .map_err(|e| Error::usage(format!("{flag} {text}: {}", e.message), e.hint))
}

const CUTS_PROGRESS: &str = "{bar:40} {human_pos}/{human_len} candidate sets ({eta})";

fn cuts(args: CutsArgs, color: ColorChoice) -> Result<u8, Error> {
    use whatif::analysis::cuts;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let zone_availability = match &args.zone_availability {
        Some(z) => Some(cli_fraction("--zone-availability", z)?),
        None => None,
    };
    if let Some(entry) = &args.entry
        && !whatif::analysis::spof::entries(model)
            .iter()
            .any(|e| &e.name == entry)
    {
        let names: Vec<String> = whatif::analysis::spof::entries(model)
            .into_iter()
            .map(|e| e.name)
            .collect();
        return Err(Error::usage(
            format!("`{entry}` is not an entry point"),
            did_you_mean_hint(entry, names.iter().map(String::as_str))
                .or(Some(format!("entry points: {}", names.join(", ")))),
        ));
    }
    let structure = whatif::sim::structural::Structure::new(model);
    let (events, results) = {
        let progress = Progress::new(CUTS_PROGRESS);
        cuts::minimal_cut_sets_with_progress(
            model,
            &structure,
            args.order as usize,
            zone_availability,
            args.entry.as_deref(),
            &|d, t| progress.update(d, t),
        )
    };
    let name_of =
        |set: &Vec<usize>| -> Vec<String> { set.iter().map(|&i| events[i].name.clone()).collect() };
    let bytes = match args.format {
        CheckFormat::Json => json_bytes(&serde_json::json!({
            "model": model.name,
            "order": args.order,
            "entry_points": results.iter().map(|r| serde_json::json!({
                "name": r.entry.name,
                "cut_sets": r.cut_sets.iter().map(name_of).collect::<Vec<_>>(),
                "probabilities": r.cut_sets.iter().map(|c| cuts::probability(&events, c)).collect::<Vec<_>>(),
                "truncated": r.truncated,
            })).collect::<Vec<_>>(),
        })),
        CheckFormat::Text => {
            let p = palette(color, io::stdout().is_terminal());
            let mut b = Vec::new();
            let _ = writeln!(
                b,
                "{}: minimal cut sets up to order {}",
                p.paint("1", &model.name),
                args.order
            );
            let width = text_width();
            let room = |rest: usize| width.map_or(usize::MAX, |w| w.saturating_sub(rest).max(8));
            for r in &results {
                let count = format!(
                    " ({} cut set{})",
                    r.cut_sets.len(),
                    plural(r.cut_sets.len())
                );
                let name = fit::truncate(&r.entry.name, room(2 + count.chars().count()));
                let _ = writeln!(b, "  {}{count}", p.paint("1", &name));
                for c in &r.cut_sets {
                    let prob = cuts::probability(&events, c);
                    let shown = if prob > 0.0 {
                        format!("  p = {prob:.3e}")
                    } else {
                        String::new()
                    };
                    let set = format!("{{{}}}", name_of(c).join(", "));
                    let set = fit::truncate(&set, room(4 + shown.chars().count()));
                    let _ = writeln!(b, "    {set}{shown}");
                }
                if r.truncated {
                    let _ = writeln!(
                        b,
                        "    … more candidates than could be tried; the list is incomplete"
                    );
                }
            }
            b
        }
    };
    print(&bytes)?;
    Ok(0)
}

/// Runs the Monte Carlo with a progress bar (see [`Progress`]).
fn monte_carlo(
    model: &model::Model,
    options: &whatif::analysis::availability::Options,
) -> Vec<whatif::analysis::availability::EntryAvailability> {
    let structure = whatif::sim::structural::Structure::new(model);
    let progress = Progress::new("{bar:40} {pos}/{len} trials ({eta})");
    whatif::analysis::availability::monte_carlo(model, &structure, options, &|done| {
        progress.update(done, options.trials)
    })
}

fn availability(args: AvailabilityArgs, color: ColorChoice) -> Result<u8, Error> {
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let zone_availability = match &args.zone_availability {
        Some(z) => Some(cli_fraction("--zone-availability", z)?),
        None => None,
    };
    let options = whatif::analysis::availability::Options {
        trials: args.trials,
        seed: args.seed,
        zone_availability,
    };
    let results = monte_carlo(model, &options);
    let bytes = match args.format {
        CheckFormat::Json => json_bytes(&serde_json::json!({
            "model": model.name,
            "trials": args.trials,
            "seed": args.seed,
            "entry_points": results.iter().map(|r| {
                let mut v = serde_json::json!({
                    "name": r.name,
                    "availability": r.availability,
                    "ci95": [r.ci95.0, r.ci95.1],
                    "importance": r.importance.iter().map(|(n, b)| serde_json::json!({ "name": n, "birnbaum": b })).collect::<Vec<_>>(),
                });
                if let Some(x) = r.exact {
                    v["exact"] = serde_json::json!(x);
                }
                v
            }).collect::<Vec<_>>(),
        })),
        CheckFormat::Text => {
            let p = palette(color, io::stdout().is_terminal());
            let mut b = Vec::new();
            let _ = writeln!(
                b,
                "{}: availability from {} trials (seed {})",
                p.paint("1", &model.name),
                args.trials,
                args.seed
            );
            let width = text_width();
            let room = |rest: usize| width.map_or(usize::MAX, |w| w.saturating_sub(rest).max(8));
            for r in &results {
                let exact = r
                    .exact
                    .map(|x| format!("  exact {:.6}%", x * 100.0))
                    .unwrap_or_default();
                let figures = format!(
                    "{:.6}%  95% [{:.6}% – {:.6}%]{exact}",
                    r.availability * 100.0,
                    r.ci95.0 * 100.0,
                    r.ci95.1 * 100.0
                );
                let name = fit::truncate(&r.name, room(4 + figures.chars().count()));
                let _ = writeln!(b, "  {}  {figures}", p.paint("1", &name));
                for (name, birnbaum) in r.importance.iter().filter(|(_, b)| *b > 0.0).take(args.top)
                {
                    let head = format!("      importance {birnbaum:.3e}  ");
                    let name = fit::truncate(name, room(head.chars().count()));
                    let _ = writeln!(b, "{head}{name}");
                }
            }
            b
        }
    };
    print(&bytes)?;
    Ok(0)
}

fn faulttree(args: FaulttreeArgs) -> Result<u8, Error> {
    let loaded = load(&args.model)?;
    let zone_availability = match &args.zone_availability {
        Some(z) => Some(cli_fraction("--zone-availability", z)?),
        None => None,
    };
    let mut xml = Vec::new();
    whatif::analysis::faulttree::write_open_psa(&loaded.model, zone_availability, &mut xml)
        .map_err(|e| {
            Error::usage(
                format!("cannot write a fault tree: {e}"),
                Some("break up the dependency cycles".into()),
            )
        })?;
    emit(args.output.as_deref(), &xml)?;
    Ok(0)
}

fn review(args: ReviewArgs, color: ColorChoice) -> Result<u8, Error> {
    use whatif::analysis::lints::Level;
    use whatif::analysis::{cuts, lints, spof};
    let format = match (args.format, args.output.as_deref().map(extension)) {
        (Some(f), _) => f,
        (None, None) => ReviewFormat::Text,
        (None, Some(ext)) => match ext.as_str() {
            "txt" => ReviewFormat::Text,
            "md" | "markdown" => ReviewFormat::Markdown,
            "html" | "htm" => ReviewFormat::Html,
            "json" => ReviewFormat::Json,
            _ => {
                return Err(Error::usage(
                    format!(
                        "cannot tell the format of `{}` from its extension",
                        args.output.as_deref().unwrap_or(Path::new("")).display()
                    ),
                    Some("use .txt, .md, .html or .json, or give --format".into()),
                ));
            }
        },
    };
    let levels = |l: &str| match l.to_lowercase().as_str() {
        "high" => Some(Level::High),
        "medium" => Some(Level::Medium),
        "low" => Some(Level::Low),
        _ => None,
    };
    for f in &args.fail_on {
        let is_code =
            f.len() == 4 && f.starts_with('R') && f[1..].chars().all(|c| c.is_ascii_digit());
        if !is_code && levels(f).is_none() {
            return Err(Error::usage(
                format!("--fail-on {f}: not a lint code or level"),
                Some("use a code like `R001`, or `high`, `medium`, `low`".into()),
            ));
        }
    }
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let file = args.model.display().to_string();
    let graph = Graph::build(model);
    let structure = whatif::sim::structural::Structure::new(model);
    let impacts = impacts(model, &structure);
    let spofs = spof::single_points(model, &impacts);
    let zone_spofs = spof::zone_single_points(model, &structure);
    let found = lints::lints(model, &graph, &impacts);
    let ranked = spof::ranked(model, impacts);
    let (events, cut_sets) = {
        let progress = Progress::new(CUTS_PROGRESS);
        cuts::minimal_cut_sets_with_progress(model, &structure, 2, None, None, &|d, t| {
            progress.update(d, t)
        })
    };
    let options = whatif::analysis::availability::Options {
        trials: 100_000,
        seed: 1,
        zone_availability: None,
    };
    let availability: Vec<(String, f64, f64, f64)> = monte_carlo(model, &options)
        .into_iter()
        .map(|r| (r.name, r.availability, r.ci95.0, r.ci95.1))
        .collect();
    let report = render::review::Review {
        model,
        file: &file,
        spofs: &spofs,
        zone_spofs: &zone_spofs,
        blast: &ranked,
        cuts: (&events, &cut_sets),
        availability: &availability,
        lints: &found,
    };
    let mut bytes = Vec::new();
    let io_err = |e: io::Error| Error::Tool(e.to_string());
    match format {
        ReviewFormat::Text => {
            let p = if args.output.is_some() {
                Palette { enabled: false }
            } else {
                palette(color, io::stdout().is_terminal())
            };
            let width = args.output.is_none().then(text_width).flatten();
            render::review::write_text(&mut bytes, &report, p, width).map_err(io_err)?;
        }
        ReviewFormat::Markdown => {
            render::review::write_markdown(&mut bytes, &report).map_err(io_err)?
        }
        ReviewFormat::Html => {
            let sweep = whatif::analysis::sweep::sweep(model, &Engine::new(model));
            render::review::write_html(&mut bytes, &report, &sweep).map_err(io_err)?
        }
        ReviewFormat::Json => {
            bytes = json_bytes(&serde_json::json!({
                "model": model.name,
                "single_points": render::analysis::spof_json(model, &spofs, Some(&zone_spofs))["entry_points"],
                "blast": render::analysis::blast_json(model, &ranked)["services"],
                "cut_sets": cut_sets.iter().map(|c| serde_json::json!({
                    "name": c.entry.name,
                    "cut_sets": c.cut_sets.iter().map(|s| s.iter().map(|&i| events[i].name.clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "lints": found,
            }));
        }
    }
    emit(args.output.as_deref(), &bytes)?;
    let fails = found.iter().any(|l| {
        args.fail_on
            .iter()
            .any(|f| f.eq_ignore_ascii_case(l.code) || levels(f).is_some_and(|lv| l.level <= lv))
    });
    Ok(if fails { 1 } else { 0 })
}

fn diagnose(args: DiagnoseArgs, color: ColorChoice) -> Result<u8, Error> {
    use whatif::game::diagnose::{Symptom, diagnose as rank};
    use whatif::sim::steady::State;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let states = [
        ("healthy", State::Healthy),
        ("slow", State::Slow),
        ("degraded", State::Degraded),
        ("down", State::Down),
    ];
    let mut symptoms = Vec::new();
    for s in &args.symptom {
        let Some((name, state)) = s.rsplit_once('=') else {
            return Err(Error::usage(
                format!("--symptom {s}: expected NAME=STATE"),
                Some("e.g. `--symptom web=down`".into()),
            ));
        };
        let state = states
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(state.trim()))
            .map(|(_, st)| *st)
            .ok_or_else(|| {
                Error::usage(
                    format!("--symptom {s}: unknown state `{state}`"),
                    did_you_mean_hint(state, states.iter().map(|(w, _)| *w))
                        .or(Some("healthy, slow, degraded or down".into())),
                )
            })?;
        let (service, operation) = match model.find(name) {
            Some(id) => (id, None),
            None => {
                let found = name.rsplit_once('.').and_then(|(svc, op)| {
                    let id = model.find(svc)?;
                    let oi = model
                        .service(id)
                        .operations
                        .iter()
                        .position(|o| o.name == op)?;
                    Some((id, Some(oi)))
                });
                found.ok_or_else(|| {
                    Error::usage(
                        format!("--symptom {s}: unknown service `{name}`"),
                        did_you_mean_hint(name, model.service_names()),
                    )
                })?
            }
        };
        symptoms.push(Symptom {
            name: name.to_owned(),
            service,
            operation,
            state,
        });
    }
    let mut kinds = Vec::new();
    for k in &args.kinds {
        let kind = FaultKind::from_name(k)
            .filter(|k| !matches!(k, FaultKind::Cut | FaultKind::Surge))
            .ok_or_else(|| {
                Error::usage(
                    format!("--kinds: unknown fault kind `{}`", k.trim().to_lowercase()),
                    Some("down, hang, slow, errors or cold".into()),
                )
            })?;
        kinds.push(kind);
    }
    let candidates = rank(model, &symptoms, &kinds);
    let bytes = match args.format {
        CheckFormat::Json => json_bytes(&serde_json::json!({
            "model": model.name,
            "candidates": candidates.iter().map(|c| serde_json::json!({
                "faults": c.faults,
                "score": c.score,
                "mismatches": c.mismatches.iter().map(|m| serde_json::json!({
                    "name": m.name, "predicted": m.predicted.as_str(), "observed": m.observed.as_str(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
        CheckFormat::Text => {
            let p = palette(color, io::stdout().is_terminal());
            let mut b = Vec::new();
            let _ = writeln!(
                b,
                "{}: causes that explain {} symptom{}",
                p.paint("1", &model.name),
                symptoms.len(),
                plural(symptoms.len())
            );
            let width = text_width();
            for c in candidates.iter().take(args.top) {
                let mut line = c.faults.join(" + ");
                if !c.mismatches.is_empty() {
                    let m: Vec<String> = c
                        .mismatches
                        .iter()
                        .map(|m| {
                            format!(
                                "{} would be {}, not {}",
                                m.name,
                                m.predicted.as_str(),
                                m.observed.as_str()
                            )
                        })
                        .collect();
                    line.push_str(&format!("  ({})", m.join("; ")));
                }
                let line = fit::wrap(&line, 9, 9, width);
                let _ = writeln!(b, "  {:>4.0}%  {line}", c.score * 100.0);
            }
            b
        }
    };
    print(&bytes)?;
    Ok(0)
}

fn scenario(args: ScenarioArgs, color: ColorChoice) -> Result<u8, Error> {
    let step = cli_duration("--step", &args.step)?;
    let p = palette(color, io::stdout().is_terminal());
    let width = text_width();
    let mut text = Vec::new();
    let mut junit: Vec<(String, String, Vec<whatif::scenario::Verdict>)> = Vec::new();
    let mut json_files = Vec::new();
    let mut code = 0u8;
    let (mut passed_total, mut failed_total) = (0usize, 0usize);
    for path in &args.files {
        let file = path.display().to_string();
        let sc = match whatif::scenario::load_scenario(path) {
            Ok(sc) => sc,
            Err(e) => {
                // A broken file is bad input (exit 2), but the others still run.
                report(&e, color);
                code = 2;
                continue;
            }
        };
        let model = &sc.loaded.model;
        let tl = {
            let progress = Progress::new(TIMELINE_PROGRESS);
            timeline::simulate_with_progress(
                model,
                &sc.events,
                timeline::Options {
                    duration_s: sc.duration_s,
                    step_s: step,
                },
                &|d, t| progress.update(d, t),
            )
        };
        let verdicts = whatif::scenario::check(&sc, &tl);
        let failed = verdicts.iter().filter(|v| !v.passed).count();
        passed_total += verdicts.len() - failed;
        failed_total += failed;
        if failed > 0 {
            code = code.max(1);
        }
        match args.format {
            CheckFormat::Text => {
                let _ = writeln!(text, "{} {}", p.paint("1", "▶"), p.paint("1", &sc.title));
                let from = format!("{file} · model {}", sc.model_path.display());
                let _ = writeln!(text, "  {}", fit::wrap(&from, 2, 4, width));
                if !sc.story.is_empty() {
                    let story_width = width.map_or(76, |w| w.saturating_sub(2).clamp(20, 76));
                    let _ = writeln!(text, "\n{}\n", wrap(&sc.story, story_width, "  "));
                }
                let heading = format!(
                    "timeline, {} (step {})",
                    picture::duration(sc.duration_s),
                    picture::duration(step)
                );
                let _ = render::timeline::write_text(&mut text, model, &heading, &tl, p, width);
                let _ = writeln!(text, "\nexpectations");
                for v in &verdicts {
                    let mark = if v.passed {
                        p.paint("1;32", "✓")
                    } else {
                        p.paint("1;31", "✗")
                    };
                    let _ = write!(text, "  {mark} {}", v.expectation.describe());
                    if let Some(why) = v.failure() {
                        let _ = write!(text, " — {why}");
                    }
                    let _ = writeln!(text);
                }
                let verdict = if failed == 0 {
                    p.paint("1;32", "PASS")
                } else {
                    p.paint("1;31", "FAIL")
                };
                let _ = writeln!(
                    text,
                    "{verdict}: {} of {} expectations hold\n",
                    verdicts.len() - failed,
                    verdicts.len()
                );
            }
            CheckFormat::Json => {
                let (events, _) = render::timeline::json_parts(model, &tl);
                json_files.push(serde_json::json!({
                    "file": file,
                    "title": sc.title,
                    "model": model.name,
                    "duration_s": sc.duration_s,
                    "passed": failed == 0,
                    "events": events,
                    "expectations": verdicts.iter().map(|v| serde_json::json!({
                        "at_s": v.expectation.at_s,
                        "service": v.expectation.written,
                        "expected": v.expectation.state.as_str(),
                        "actual": v.actual.as_str(),
                        "passed": v.passed,
                    })).collect::<Vec<_>>(),
                }));
            }
        }
        junit.push((file, sc.title.clone(), verdicts));
    }
    match args.format {
        CheckFormat::Text => {
            if args.files.len() > 1 {
                let _ = writeln!(
                    text,
                    "{} scenario files: {passed_total} expectations hold, {failed_total} fail",
                    args.files.len()
                );
            }
        }
        CheckFormat::Json => {
            let v = serde_json::json!({ "scenarios": json_files, "summary": { "passed": passed_total, "failed": failed_total } });
            let _ = serde_json::to_writer_pretty(&mut text, &v);
            text.push(b'\n');
        }
    }
    if let Some(path) = &args.junit {
        let mut xml = Vec::new();
        whatif::scenario::write_junit(&mut xml, &junit).map_err(|e| Error::Tool(e.to_string()))?;
        write_atomically(path, &xml)?;
    }
    print(&text)?;
    Ok(code)
}

/// Wraps prose to a width, each line indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines.join("\n")
}

fn generate(args: GenerateArgs) -> Result<u8, Error> {
    let spec = model::generate::Spec {
        services: args.services as usize,
        seed: args.seed,
    };
    emit(
        args.output.as_deref(),
        model::generate::generate(spec).as_bytes(),
    )?;
    Ok(0)
}

fn import(args: ImportArgs, color: ColorChoice) -> Result<u8, Error> {
    let imported = whatif::import::import_file(&args.file)?;
    emit(args.output.as_deref(), imported.yaml.as_bytes())?;
    let palette = palette(color, io::stderr().is_terminal());
    let file = args.file.display();
    let mut err = Vec::new();
    for note in &imported.notes {
        let at = note
            .pos
            .map(|p| format!("{file}:{}:{}: ", p.line, p.column))
            .unwrap_or_default();
        let message = whatif::import::yaml::one_line(&format!("{at}{}", note.message)).into_owned();
        let _ = writeln!(err, "{}: {message}", palette.paint("1;36", "note"));
    }
    let target = args
        .output
        .as_ref()
        .map_or("the model".to_owned(), |p| format!("`{}`", p.display()));
    let dependencies = match imported.dependencies {
        1 => "1 dependency".to_owned(),
        n => format!("{n} dependencies"),
    };
    let summary = format!(
        "imported {} service{} and {dependencies} ({} guessed) from the {} `{file}`; fill in every `TODO` in {target} and check every `guessed` line",
        imported.services,
        plural(imported.services),
        imported.guessed,
        imported.format.describe(),
    );
    let _ = writeln!(err, "{}", whatif::import::yaml::one_line(&summary));
    let _ = io::stderr().write_all(&err);
    Ok(0)
}

fn schema(args: SchemaArgs) -> Result<u8, Error> {
    emit(
        args.output.as_deref(),
        model::schema::model_schema_json().as_bytes(),
    )?;
    Ok(0)
}

fn completions(args: CompletionsArgs) -> Result<u8, Error> {
    let mut bytes = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "whatif", &mut bytes);
    print(&bytes)?;
    Ok(0)
}

/// The man pages come from the clap definitions, so they cannot drift from
/// `--help`: whatif(1) lists the commands, whatif-<command>(1) has each one's
/// options and example.
fn man(args: ManArgs) -> Result<u8, Error> {
    let mut cli = Cli::command();
    cli.build();
    let page = |cmd: &clap::Command| -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .render(&mut bytes)
            .map_err(|e| Error::Tool(e.to_string()))?;
        Ok(bytes)
    };
    let Some(dir) = &args.dir else {
        emit(args.output.as_deref(), &page(&cli)?)?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    write_atomically(&dir.join("whatif.1"), &page(&cli)?)?;
    for sub in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        let file = dir.join(format!("whatif-{}.1", sub.get_name()));
        write_atomically(&file, &page(sub)?)?;
    }
    Ok(0)
}
