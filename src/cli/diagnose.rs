//! `whatif diagnose`: rank the root causes that explain observed symptoms.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::format::{Format, ReportOutput};
use super::output::{Inputs, json_bytes};
use super::{ColorChoice, Status, load, plural, text_style};
use whatif::error::Error;
use whatif::finding::did_you_mean_hint;
use whatif::game::diagnose::{Candidate, Symptom, diagnose as rank};
use whatif::model::resolve::{Resolved, readings};
use whatif::model::{Model, Target};
use whatif::render::findings::Palette;
use whatif::render::fit;
use whatif::sim::faults::FaultKind;
use whatif::sim::steady::State;
use whatif::text::terminal;

/// `whatif diagnose`'s arguments.
#[derive(Debug, Args)]
pub(super) struct DiagnoseArgs {
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
    #[command(flatten)]
    out: ReportOutput,
}

/// Prints the candidate causes, best first.
pub(super) fn diagnose(args: DiagnoseArgs, color: ColorChoice) -> Result<Status, Error> {
    let inputs = Inputs::of([args.model.as_path()]);
    let format = args.out.prepare(&inputs)?;
    let loaded = load(&args.model)?;
    let model = &loaded.model;
    let symptoms = args
        .symptom
        .iter()
        .map(|s| symptom(model, s))
        .collect::<Result<Vec<_>, _>>()?;
    let kinds = args
        .kinds
        .iter()
        .map(|k| kind(k))
        .collect::<Result<Vec<_>, _>>()?;
    let candidates = rank(model, &symptoms, &kinds);
    let bytes = if format == Format::Json {
        json_bytes(&serde_json::json!({
            "model": model.name,
            "candidates": candidates.iter().map(|c| serde_json::json!({
                "faults": c.faults,
                "score": c.score,
                "mismatches": c.mismatches.iter().map(|m| serde_json::json!({
                    "name": m.name, "predicted": m.predicted.as_str(), "observed": m.observed.as_str(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }))
    } else {
        let (p, width) = text_style(color, args.out.path());
        write_text(model, symptoms.len(), &candidates, args.top, p, width)
    };
    args.out.emit(&inputs, &bytes)?;
    Ok(Status::Ok)
}

/// One `--symptom NAME=STATE`: a service, or a `service.operation`.
fn symptom(model: &Model, s: &str) -> Result<Symptom, Error> {
    let Some((name, state)) = s.rsplit_once('=') else {
        return Err(Error::usage(
            format!("--symptom {s}: expected NAME=STATE"),
            Some("e.g. `--symptom web=down`".into()),
        ));
    };
    let state = state.parse::<State>().map_err(|unknown| {
        Error::usage(
            format!("--symptom {s}: unknown state `{state}`"),
            unknown
                .hint()
                .or(Some("healthy, slow, degraded or down".into())),
        )
    })?;
    let Target { service, operation } = match model.resolve(name) {
        Resolved::Found(target) => target,
        Resolved::Ambiguous {
            service,
            operations,
        } => {
            let readings = readings(model.services(), name, service, &operations, str::to_owned);
            return Err(Error::usage(
                format!(
                    "--symptom {s}: `{name}` can be read as {}",
                    readings.join(" or ")
                ),
                Some("rename one of them in the model".into()),
            ));
        }
        Resolved::UnknownOperation { .. } | Resolved::Unknown => {
            return Err(Error::usage(
                format!("--symptom {s}: unknown service `{name}`"),
                did_you_mean_hint(name, model.service_names()),
            ));
        }
    };
    Ok(Symptom {
        name: name.to_owned(),
        service,
        operation,
        state,
    })
}

/// One of `--kinds`: a fault kind that hits one service.
fn kind(k: &str) -> Result<FaultKind, Error> {
    k.parse::<FaultKind>()
        .ok()
        .filter(|k| !matches!(k, FaultKind::Cut | FaultKind::Surge))
        .ok_or_else(|| {
            Error::usage(
                format!("--kinds: unknown fault kind `{}`", k.trim().to_lowercase()),
                Some("down, hang, slow, errors or cold".into()),
            )
        })
}

/// The `top` candidates as text, each with the symptoms it misses.
fn write_text(
    model: &Model,
    symptoms: usize,
    candidates: &[Candidate],
    top: usize,
    p: Palette,
    width: Option<usize>,
) -> Vec<u8> {
    let mut b = Vec::new();
    let _ = writeln!(
        b,
        "{}: causes that explain {} symptom{}",
        p.paint("1", &terminal(&model.name)),
        symptoms,
        plural(symptoms)
    );
    for c in candidates.iter().take(top) {
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
        let line = fit::wrap(&terminal(&line), 9, 9, width);
        let _ = writeln!(b, "  {:>4.0}%  {line}", c.score * 100.0);
    }
    b
}
