//! The fault flags (`--down`, `--hang`, `--slow`, …) shared by `run` and
//! `graph`, and their parsing against a model.

use clap::Args;

use whatif::error::Error;
use whatif::model::Model;
use whatif::sim::faults::{self as fault, Fault, FaultKind};

/// Faults, as on every command that takes them (docs/faults.md).
#[derive(Debug, Args, Default, Clone)]
pub(super) struct FaultArgs {
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
    /// Parses every fault against the model; the first bad one is a usage
    /// error. A fault whose value changes nothing (`x1`, `+0ms`, `0%`) is
    /// kept, with a warning on standard error.
    pub(super) fn parse(&self, model: &Model) -> Result<Vec<Fault>, Error> {
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
                if let Some(why) = f.changes_nothing() {
                    super::warn(&why);
                }
                faults.push(f);
            }
        }
        Ok(faults)
    }
}
