//! Diagnosis: rank the root causes that explain observed symptoms
//! (docs/game.md). Each candidate — the `down` fault of one service, then of
//! pairs (other kinds on request) — is predicted with the steady state and
//! scored as matched ÷ given symptoms; candidates sort by score, then size,
//! then names. Ties are kept: two causes that explain the same symptoms
//! are listed side by side.

use crate::model::{Model, ServiceId};
use crate::sim::faults::{Fault, FaultKind, parse};
use crate::sim::steady::{Engine, State};
use rayon::prelude::*;

/// One observed symptom: a service (or `service.operation`) in a state.
#[derive(Debug, Clone, PartialEq)]
pub struct Symptom {
    /// As written (`web`, `api.login`).
    pub name: String,
    /// The service.
    pub service: ServiceId,
    /// The operation, when one is named.
    pub operation: Option<usize>,
    /// The state seen.
    pub state: State,
}

/// A predicted state that differs from the observed one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The symptom's name.
    pub name: String,
    /// What the candidate predicts.
    pub predicted: State,
    /// What was observed.
    pub observed: State,
}

/// A candidate root cause and how well it explains the symptoms.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The faults, as they would be typed (`catalog-db`, `--slow db=x10`).
    pub faults: Vec<String>,
    /// The services they hit, in the order of `faults`.
    pub services: Vec<ServiceId>,
    /// Matched ÷ given symptoms.
    pub score: f64,
    /// The symptoms it does not explain.
    pub mismatches: Vec<Mismatch>,
}

/// The fault kinds diagnose may consider.
pub fn kind_faults(model: &Model, id: ServiceId, kinds: &[FaultKind]) -> Vec<Fault> {
    let name = &model.service(id).name;
    kinds
        .iter()
        .filter_map(|k| {
            let arg = match k {
                FaultKind::Down | FaultKind::Hang | FaultKind::Cold => name.clone(),
                FaultKind::Slow => format!("{name}=x10"),
                FaultKind::Errors => format!("{name}=50%"),
                // A cut or a surge does not live on one service.
                FaultKind::Cut | FaultKind::Surge => return None,
            };
            parse(*k, &arg, model).ok()
        })
        .collect()
}

fn written(f: &Fault) -> String {
    if f.kind() == FaultKind::Down {
        f.argument()
    } else {
        f.as_flag()
    }
}

fn score(engine: &Engine, faults: &[Fault], symptoms: &[Symptom]) -> (f64, Vec<Mismatch>) {
    let o = engine.steady_swept(faults);
    let mut mismatches = Vec::new();
    for s in symptoms {
        let predicted = match s.operation {
            Some(op) => o.operations[s.service.index()][op].state,
            None => o.services[s.service.index()].state,
        };
        if predicted != s.state {
            mismatches.push(Mismatch {
                name: s.name.clone(),
                predicted,
                observed: s.state,
            });
        }
    }
    let matched = symptoms.len() - mismatches.len();
    let score = if symptoms.is_empty() {
        0.0
    } else {
        matched as f64 / symptoms.len() as f64
    };
    (score, mismatches)
}

/// Ranks single faults, then pairs, by how well they explain `symptoms`.
/// Pairs are tried only when no single fault explains every symptom.
pub fn diagnose(model: &Model, symptoms: &[Symptom], kinds: &[FaultKind]) -> Vec<Candidate> {
    let engine = Engine::new(model);
    let singles: Vec<Fault> = model
        .service_ids()
        .flat_map(|id| kind_faults(model, id, kinds))
        .collect();
    // Each candidate on every core, collected in order (the same bytes on
    // any number of threads).
    let mut out: Vec<Candidate> = singles
        .par_iter()
        .map(|f| {
            let (score, mismatches) = score(&engine, std::slice::from_ref(f), symptoms);
            Candidate {
                faults: vec![written(f)],
                services: f.services(model),
                score,
                mismatches,
            }
        })
        .collect();
    if !out.iter().any(|c| c.score >= 1.0) {
        let n = singles.len();
        let singles = &singles;
        let pairs = (0..n).into_par_iter().flat_map_iter(|i| {
            (i + 1..n)
                .filter(move |&j| singles[i].services(model) != singles[j].services(model))
                .map(move |j| (i, j))
        });
        let scored: Vec<Candidate> = pairs
            .map(|(i, j)| {
                let pair = [singles[i].clone(), singles[j].clone()];
                let (score, mismatches) = score(&engine, &pair, symptoms);
                let mut named = [
                    (written(&pair[0]), pair[0].services(model)),
                    (written(&pair[1]), pair[1].services(model)),
                ];
                named.sort();
                Candidate {
                    faults: named.iter().map(|n| n.0.clone()).collect(),
                    services: named.iter().flat_map(|n| n.1.clone()).collect(),
                    score,
                    mismatches,
                }
            })
            .collect();
        out.extend(scored);
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.faults.len().cmp(&b.faults.len()))
            .then(a.faults.cmp(&b.faults))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    #[test]
    fn the_true_cause_ranks_first_and_ties_are_kept() {
        let m = load_str(
            "services:\n  web: { entry: { rps: 10 }, depends_on: [api, { to: rec, criticality: soft }] }\n  api: { depends_on: [db] }\n  db: {}\n  rec: {}\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let sym = |name: &str, state| Symptom {
            name: name.into(),
            service: m.find(name).unwrap(),
            operation: None,
            state,
        };
        let symptoms = [
            sym("web", State::Down),
            sym("api", State::Down),
            sym("rec", State::Healthy),
        ];
        let c = diagnose(&m, &symptoms, &[FaultKind::Down]);
        // db and api both explain every symptom (api down, web down): a tie.
        assert_eq!(c[0].score, 1.0);
        assert_eq!(c[1].score, 1.0);
        let top: Vec<&str> = c.iter().take(2).map(|x| x.faults[0].as_str()).collect();
        assert_eq!(top, ["api", "db"]);
        assert!(c.iter().find(|x| x.faults == ["rec"]).unwrap().score < 1.0);
    }
}
