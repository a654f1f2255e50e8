//! `whatif diff`: what a change to a model does to its failure modes, as
//! text, Markdown for a pull request, or JSON; `--fail-on worse` for CI.
//! Either model may be a file or `git:REV:PATH`, read with
//! `git show REV:PATH`.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Args, ValueEnum};

use super::format::{Format, Formats};
use super::output::{Inputs, emit, json_bytes};
use super::{ColorChoice, Status, load, progress, text_style};
use whatif::analysis::diff::{ModelDiff, Options};
use whatif::error::Error;
use whatif::model::Loaded;
use whatif::model::load::{MAX_FILE_BYTES, load_bytes};
use whatif::render::diff::{self, Report};

/// What `diff` writes; text unless `--format` or `-o` says otherwise.
const FORMATS: Formats = Formats::new(
    &[Format::Text, Format::Markdown, Format::Json],
    Format::Text,
);

/// `whatif diff`'s arguments.
#[derive(Debug, Args)]
pub(super) struct DiffArgs {
    /// The model before the change: a file, or `git:REV:PATH` (read with `git show REV:PATH`).
    before: PathBuf,
    /// The model after the change: a file, or `git:REV:PATH`.
    after: PathBuf,
    /// Write here; the extension picks the format (.txt, .md, .json).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format (default: from -o's extension, else text).
    #[arg(long, value_parser = FORMATS)]
    format: Option<Format>,
    /// Exit 1 when an entry point got worse: it gains a single point of failure, a single fault newly degrades or downs it, or its availability interval falls wholly below the old one.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Monte Carlo trials per model, for availability (at most 100,000,000).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    trials: u64,
    /// Monte Carlo seed, the same for both models.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rows shown per long list in text and Markdown (JSON lists every row).
    #[arg(long, default_value_t = 20)]
    top: usize,
}

/// `--fail-on`: what makes `diff` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Any entry point got worse (docs/review.md).
    Worse,
}

/// Compares the two models and writes the diff; [`Status::Failed`] with
/// `--fail-on worse` when an entry point got worse.
pub(super) fn diff(args: DiffArgs, color: ColorChoice) -> Result<Status, Error> {
    let format = FORMATS.select(args.format, args.output.as_deref())?;
    // Git's blobs are not files: only the file arguments can be written over.
    let inputs = Inputs::of(
        [&args.before, &args.after]
            .into_iter()
            .filter(|p| git_spec(p).is_none())
            .map(PathBuf::as_path),
    );
    // Refused before the solves, which take minutes on a large model.
    if let Some(output) = &args.output {
        inputs.check(output)?;
    }
    let before = source(&args.before)?;
    let after = source(&args.after)?;
    let options = Options {
        trials: args.trials,
        seed: args.seed,
    };
    let d: ModelDiff = progress::diff(&before.model, &after.model, options)?;
    let (b, a) = (args.before.to_string_lossy(), args.after.to_string_lossy());
    let report = Report {
        diff: &d,
        before: &b,
        after: &a,
        top: args.top,
    };
    let output = args.output.as_deref();
    let mut bytes = Vec::new();
    match format {
        Format::Text => {
            let (p, width) = text_style(color, output);
            diff::write_text(&mut bytes, &report, p, width)?;
        }
        Format::Markdown => diff::write_markdown(&mut bytes, &report)?,
        Format::Json => bytes = json_bytes(&diff::to_json(&report)),
        Format::Dot | Format::Svg | Format::Png | Format::Mermaid | Format::Html => {
            unreachable!("not a diff format: {format}")
        }
    }
    emit(output, &inputs, &bytes)?;
    let worse = args.fail_on == Some(FailOn::Worse) && !d.worse().is_empty();
    Ok(if worse { Status::Failed } else { Status::Ok })
}

/// `REV:PATH` when the argument is `git:REV:PATH`.
fn git_spec(arg: &Path) -> Option<&str> {
    arg.to_str().and_then(|s| s.strip_prefix("git:"))
}

/// A model named on the command line: `git:REV:PATH`, or a file.
fn source(arg: &Path) -> Result<Loaded, Error> {
    match git_spec(arg) {
        Some(rest) => from_git(&arg.to_string_lossy(), rest),
        None => load(arg),
    }
}

/// Reads `REV:PATH` with `git show` (in the current directory's
/// repository, PATH as git reads it: from the repository root, or `./…`
/// from the current directory) and validates it like a file.
fn from_git(spec: &str, rest: &str) -> Result<Loaded, Error> {
    let Some((rev, path)) = rest
        .split_once(':')
        .filter(|(rev, path)| !rev.is_empty() && !path.is_empty())
    else {
        return Err(Error::usage(
            format!("`{spec}` is not `git:REV:PATH`"),
            Some("e.g. `git:main:examples/online-shop.yaml`".into()),
        ));
    };
    if rev.starts_with('-') {
        return Err(Error::usage(
            format!("`{spec}`: a revision cannot start with `-`"),
            Some("name a branch, tag or commit".into()),
        ));
    }
    let object = format!("{rev}:{path}");
    let cannot_run = |e: std::io::Error| {
        Error::usage(
            format!("cannot read `{spec}`: cannot run git ({e})"),
            Some("install git, or give the model as a file".into()),
        )
    };
    let mut child = Command::new("git")
        .args([OsStr::new("show"), OsStr::new(&object)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot_run)?;
    // Read no more than the cap (and one byte to tell): a huge blob is
    // refused without holding it all.
    let mut bytes = Vec::new();
    if let Some(out) = child.stdout.take() {
        out.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_run)?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let _ = child.kill();
    }
    let mut stderr = String::new();
    if let Some(err) = child.stderr.take() {
        let _ = err.take(64 * 1024).read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(cannot_run)?;
    if !status.success() && bytes.len() as u64 <= MAX_FILE_BYTES {
        let why = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim()
            .trim_start_matches("fatal: ");
        return Err(Error::usage(
            format!("cannot read `{spec}`: `git show {object}` says: {why}"),
            Some(format!(
                "check the revision (`git log {rev}`) and the path in it (`git ls-tree -r --name-only {rev}`)"
            )),
        ));
    }
    load_bytes(bytes, spec)
}
