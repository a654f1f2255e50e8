//! Faults (docs/faults.md): what can be injected, parsed from the command-line
//! syntax (`--down db:1`, `--slow db=+400ms@5%`, `--cut web->cart` …) that
//! scenario files share.

use serde::Serialize;

use crate::finding::did_you_mean_hint;
use crate::model::raw::Scalar;
use crate::model::units;
use crate::model::{Model, ServiceId};

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// Replicas crash: calls refused at once.
    Down,
    /// Replicas accept calls and never answer.
    Hang,
    /// Latency added or multiplied (optionally for a share of requests).
    Slow,
    /// A share of requests fail at once.
    Errors,
    /// Calls from one service to another get no answer.
    Cut,
    /// Entry traffic multiplied.
    Surge,
    /// A cache loses its contents.
    Cold,
}

impl FaultKind {
    /// Every kind, in flag order.
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Down,
        FaultKind::Hang,
        FaultKind::Slow,
        FaultKind::Errors,
        FaultKind::Cut,
        FaultKind::Surge,
        FaultKind::Cold,
    ];

    /// The kind a flag name means (`down`, `--slow`, any case).
    pub fn from_name(name: &str) -> Option<FaultKind> {
        let name = name.trim().trim_start_matches("--");
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }

    /// The flag name (`down`, `hang` …).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Down => "down",
            FaultKind::Hang => "hang",
            FaultKind::Slow => "slow",
            FaultKind::Errors => "errors",
            FaultKind::Cut => "cut",
            FaultKind::Surge => "surge",
            FaultKind::Cold => "cold",
        }
    }
}

/// What a fault hits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// Every replica of a service.
    Service(ServiceId),
    /// The highest-numbered `n` replicas of a service.
    Replicas(ServiceId, u32),
    /// Every replica living in a zone (index into `Model::zones`).
    Zone(usize),
    /// Calls from the first service to the second.
    Link(ServiceId, ServiceId),
    /// All entry traffic (surge only).
    Everything,
}

/// How a slow fault changes latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Slowdown {
    /// Seconds added.
    Add(f64),
    /// Latency multiplied.
    Factor(f64),
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// What it hits.
    pub scope: Scope,
    /// The target as the user typed it (null for a global surge).
    pub target: Option<String>,
    /// For slow: the change.
    pub slowdown: Option<Slowdown>,
    /// For surge: the traffic factor.
    pub factor: Option<f64>,
    /// For slow and errors: the share of requests affected (1 when not given).
    pub share: f64,
    /// Whether `share` was written (`@5%`, `=30%`).
    pub share_given: bool,
    /// The flag's argument exactly as typed, when it was parsed from text.
    pub typed: Option<String>,
}

/// Why a fault could not be parsed: one sentence and a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultError {
    /// What is wrong.
    pub message: String,
    /// What to try.
    pub hint: Option<String>,
}

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(message: impl Into<String>, hint: Option<String>) -> FaultError {
    FaultError {
        message: message.into(),
        hint,
    }
}

impl Fault {
    /// The fault as it would be typed: `--down db:1`, `--slow db=+400ms@5%`.
    pub fn as_flag(&self) -> String {
        format!("--{} {}", self.kind.as_str(), self.argument())
    }

    /// The flag's argument as it would be typed (`db:1`, `db=+400ms@5%`, `x3`).
    pub fn argument(&self) -> String {
        if let Some(typed) = &self.typed {
            return typed.clone();
        }
        let target = self.target.clone().unwrap_or_default();
        let share = if self.share_given {
            format!("@{}", percent(self.share))
        } else {
            String::new()
        };
        match self.kind {
            FaultKind::Slow => match self.slowdown {
                Some(Slowdown::Add(s)) => {
                    format!("{target}=+{}{share}", crate::text::duration(s))
                }
                Some(Slowdown::Factor(f)) => {
                    format!("{target}=x{}{share}", crate::text::number(f))
                }
                None => target,
            },
            FaultKind::Errors => format!("{target}={}", percent(self.share)),
            FaultKind::Surge => {
                let f = format!("x{}", crate::text::number(self.factor.unwrap_or(1.0)));
                if self.target.is_some() {
                    format!("{target}={f}")
                } else {
                    f
                }
            }
            _ => target,
        }
    }

    /// The replicas (numbered from 1) of each service that a fault hits:
    /// all of them for a service, the highest-numbered `N` for `NAME:N`,
    /// those living in the zone for `zone:Z`.
    pub fn replicas_hit(&self, model: &Model) -> Vec<(ServiceId, Vec<u32>)> {
        match &self.scope {
            Scope::Service(s) => vec![(*s, (1..=model.service(*s).replicas).collect())],
            Scope::Replicas(s, k) => {
                let n = model.service(*s).replicas;
                vec![(*s, (n.saturating_sub(*k) + 1..=n).collect())]
            }
            Scope::Zone(z) => {
                let zone = &model.zones[*z];
                model
                    .services_in_zone(zone)
                    .map(|id| {
                        let s = model.service(id);
                        (
                            id,
                            (1..=s.replicas)
                                .filter(|&k| s.zone_of_replica(k) == Some(zone.as_str()))
                                .collect(),
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The services a fault hits directly (for explanations and highlights).
    pub fn services(&self, model: &Model) -> Vec<ServiceId> {
        match &self.scope {
            Scope::Service(s) | Scope::Replicas(s, _) => vec![*s],
            Scope::Link(_, to) => vec![*to],
            Scope::Zone(z) => model.services_in_zone(&model.zones[*z]).collect(),
            Scope::Everything => Vec::new(),
        }
    }
}

fn percent(share: f64) -> String {
    format!("{}%", crate::text::number(share * 100.0))
}

/// The hint for an unknown zone: the closest zone's name, else the zones
/// there are.
pub fn zone_hint(model: &Model, zone: &str) -> String {
    did_you_mean_hint(zone, model.zones.iter().map(String::as_str))
        .map(|h| h.replace("mean `", "mean `zone:"))
        .unwrap_or_else(|| {
            if model.zones.is_empty() {
                "this model declares no zones".into()
            } else {
                format!("zones: {}", model.zones.join(", "))
            }
        })
}

/// Parses one fault from its flag and argument, e.g. `("down", "db:1")`.
pub fn parse(kind: FaultKind, argument: &str, model: &Model) -> Result<Fault, FaultError> {
    let base = Fault {
        kind,
        scope: Scope::Everything,
        target: None,
        slowdown: None,
        factor: None,
        share: 1.0,
        share_given: false,
        typed: Some(argument.to_owned()),
    };
    match kind {
        FaultKind::Down | FaultKind::Hang => {
            let scope = target_scope(argument, model, true)?;
            Ok(Fault {
                scope,
                target: Some(argument.to_owned()),
                ..base
            })
        }
        FaultKind::Cold => {
            let id = whole_service(argument, model)?;
            Ok(Fault {
                scope: Scope::Service(id),
                target: Some(argument.to_owned()),
                ..base
            })
        }
        FaultKind::Cut => {
            let (from, to) = link(argument, model)?;
            Ok(Fault {
                scope: Scope::Link(from, to),
                target: Some(argument.to_owned()),
                ..base
            })
        }
        FaultKind::Slow => {
            let (target, value) =
                split_value(argument, "--slow catalog-db=+400ms (or =x10, or =+100s@5%)")?;
            let scope = target_scope(target, model, true)?;
            let (change, share) = match value.rsplit_once('@') {
                Some((c, s)) => (c, Some(parse_share(s)?)),
                None => (value, None),
            };
            let slowdown = if let Some(d) = change.strip_prefix('+') {
                let secs = units::duration(&Scalar::Str(d.to_owned())).map_err(|e| {
                    err(
                        format!("`{change}` is not an added latency: {}", e.message),
                        e.hint.or(Some("write `+400ms`".into())),
                    )
                })?;
                Slowdown::Add(secs)
            } else if let Some(f) = change.strip_prefix(['x', 'X', '*', '×']) {
                let f: f64 = f
                    .parse()
                    .ok()
                    .filter(|f: &f64| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| {
                        err(
                            format!("`{change}` is not a latency factor"),
                            Some("write `x10` to make it ten times slower".into()),
                        )
                    })?;
                Slowdown::Factor(f)
            } else {
                return Err(err(
                    format!("`{change}` is not a slowdown"),
                    Some("write `+400ms` to add latency or `x10` to multiply it, optionally `@5%` for a share of requests".into()),
                ));
            };
            Ok(Fault {
                scope,
                target: Some(target.to_owned()),
                slowdown: Some(slowdown),
                share: share.unwrap_or(1.0),
                share_given: share.is_some(),
                ..base
            })
        }
        FaultKind::Errors => {
            let (target, value) = split_value(argument, "--errors payments=30%")?;
            let scope = target_scope(target, model, true)?;
            let share = parse_share(value)?;
            Ok(Fault {
                scope,
                target: Some(target.to_owned()),
                share,
                share_given: true,
                ..base
            })
        }
        FaultKind::Surge => {
            let (target, value) = match argument.rsplit_once('=') {
                Some((t, v)) => (Some(t), v),
                None => (None, argument),
            };
            let factor = value
                .strip_prefix(['x', 'X', '*', '×'])
                .and_then(|f| f.parse::<f64>().ok())
                .filter(|f| f.is_finite() && *f >= 0.0)
                .ok_or_else(|| {
                    err(
                        format!("`{value}` is not a traffic factor"),
                        Some("write `x3` (three times the traffic) or `web=x1.5`".into()),
                    )
                })?;
            let scope = match target {
                None => Scope::Everything,
                Some(t) => {
                    let id = whole_service(t, model)?;
                    if !model.service(id).is_entry() {
                        let entries: Vec<&str> = model
                            .entry_points()
                            .map(|e| model.service(e).name.as_str())
                            .collect();
                        return Err(err(
                            format!("`{t}` receives no user traffic, so it cannot surge"),
                            Some(format!("entry points: {}", entries.join(", "))),
                        ));
                    }
                    Scope::Service(id)
                }
            };
            Ok(Fault {
                scope,
                target: target.map(str::to_owned),
                factor: Some(factor),
                ..base
            })
        }
    }
}

fn split_value<'a>(argument: &'a str, example: &str) -> Result<(&'a str, &'a str), FaultError> {
    argument.rsplit_once('=').ok_or_else(|| {
        err(
            format!("`{argument}` has no value"),
            Some(format!("write it as `{example}`")),
        )
    })
}

fn parse_share(text: &str) -> Result<f64, FaultError> {
    units::fraction(&Scalar::Str(text.to_owned())).map_err(|e| {
        err(
            format!("`{text}` is not a share of requests: {}", e.message),
            e.hint,
        )
    })
}

fn whole_service(name: &str, model: &Model) -> Result<ServiceId, FaultError> {
    model.find(name).ok_or_else(|| unknown(name, model))
}

fn unknown(name: &str, model: &Model) -> FaultError {
    let zone_names: Vec<String> = model.zones.iter().map(|z| format!("zone:{z}")).collect();
    let candidates = model
        .service_names()
        .chain(zone_names.iter().map(String::as_str));
    let hint = did_you_mean_hint(name, candidates).or_else(|| {
        let op = model
            .services()
            .iter()
            .find(|s| s.declares_operations && name.starts_with(&format!("{}.", s.name)));
        op.map(|s| {
            format!(
                "operations are not fault targets; fail the service `{}`",
                s.name
            )
        })
    });
    err(
        format!("unknown service `{name}`"),
        hint.or(Some("run `whatif check` to list the services".into())),
    )
}

/// A whole service, `NAME:N` replicas, or `zone:NAME` (docs/faults.md, "How targets are read").
fn target_scope(target: &str, model: &Model, allow_partial: bool) -> Result<Scope, FaultError> {
    if let Some(id) = model.find(target) {
        return Ok(Scope::Service(id));
    }
    if allow_partial {
        if let Some(zone) = target.strip_prefix("zone:") {
            return match model.zones.iter().position(|z| z == zone) {
                Some(z) => Ok(Scope::Zone(z)),
                None => Err(err(
                    format!("unknown zone `{zone}`"),
                    Some(zone_hint(model, zone)),
                )),
            };
        }
        if let Some((name, count)) = target.rsplit_once(':')
            && let Some(id) = model.find(name)
        {
            let replicas = model.service(id).replicas;
            return match count.parse::<u32>() {
                Ok(n) if (1..=replicas).contains(&n) => Ok(Scope::Replicas(id, n)),
                _ => Err(err(
                    format!("`{count}` is not a replica count for `{name}`"),
                    Some(format!(
                        "`{name}` has {replicas} replica{}: write `{name}:1` to `{name}:{replicas}`",
                        if replicas == 1 { "" } else { "s" }
                    )),
                )),
            };
        }
    }
    Err(unknown(target, model))
}

/// `a->b` where both sides are services; more than one reading is an error.
fn link(argument: &str, model: &Model) -> Result<(ServiceId, ServiceId), FaultError> {
    let readings: Vec<(ServiceId, ServiceId)> = argument
        .match_indices("->")
        .filter_map(|(i, _)| Some((model.find(&argument[..i])?, model.find(&argument[i + 2..])?)))
        .collect();
    match readings.as_slice() {
        [one] => Ok(*one),
        [] => {
            let hint = match argument.split_once("->") {
                Some((a, _)) if model.find(a).is_none() => {
                    Some(unknown(a, model).hint.unwrap_or_default())
                }
                Some((_, b)) => Some(unknown(b, model).hint.unwrap_or_default()),
                None => Some("write a link as `caller->callee`, e.g. `--cut web->cart`".into()),
            };
            Err(err(
                format!("`{argument}` is not a link between two services"),
                hint,
            ))
        }
        _ => Err(err(
            format!("`{argument}` can be read as more than one link"),
            Some("rename a service so that `->` splits the link one way only".into()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn model() -> Model {
        load_str(
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, depends_on: [db, \"x->y\"] }\n  db: { replicas: 3 }\n  \"x->y\": {}\n  x: {}\n  y: {}\n  \"odd=name\": {}\n",
            "t.yaml",
        )
        .unwrap()
        .model
    }

    #[test]
    fn targets_parse_in_spec_order() {
        let m = model();
        let db = m.find("db").unwrap();
        assert_eq!(
            parse(FaultKind::Down, "db", &m).unwrap().scope,
            Scope::Service(db)
        );
        assert_eq!(
            parse(FaultKind::Down, "db:2", &m).unwrap().scope,
            Scope::Replicas(db, 2)
        );
        assert_eq!(
            parse(FaultKind::Down, "zone:b", &m).unwrap().scope,
            Scope::Zone(1)
        );
        assert!(
            parse(FaultKind::Down, "db:4", &m)
                .unwrap_err()
                .hint
                .unwrap()
                .contains("db:3")
        );
        assert_eq!(
            parse(FaultKind::Down, "bd", &m)
                .unwrap_err()
                .hint
                .as_deref(),
            Some("did you mean `db`?")
        );
        // A name that is exactly a service wins, whatever its characters.
        assert_eq!(
            parse(FaultKind::Down, "x->y", &m).unwrap().scope,
            Scope::Service(m.find("x->y").unwrap())
        );
        assert_eq!(
            parse(FaultKind::Errors, "odd=name=30%", &m).unwrap().scope,
            Scope::Service(m.find("odd=name").unwrap())
        );
    }

    #[test]
    fn values_parse() {
        let m = model();
        let slow = parse(FaultKind::Slow, "db=+100s@5%", &m).unwrap();
        assert_eq!(slow.slowdown, Some(Slowdown::Add(100.0)));
        assert!((slow.share - 0.05).abs() < 1e-12);
        assert_eq!(slow.argument(), "db=+100s@5%");
        assert_eq!(
            parse(FaultKind::Slow, "db=x10", &m).unwrap().slowdown,
            Some(Slowdown::Factor(10.0))
        );
        assert!(parse(FaultKind::Slow, "db=400ms", &m).is_err());
        assert_eq!(parse(FaultKind::Errors, "db=30%", &m).unwrap().share, 0.3);
        assert_eq!(parse(FaultKind::Surge, "x3", &m).unwrap().factor, Some(3.0));
        assert_eq!(
            parse(FaultKind::Surge, "web=x1.5", &m).unwrap().scope,
            Scope::Service(m.find("web").unwrap())
        );
        assert!(
            parse(FaultKind::Surge, "db=x2", &m)
                .unwrap_err()
                .message
                .contains("no user traffic")
        );
    }

    #[test]
    fn links_split_one_way_only() {
        let m = model();
        let (x, y) = (m.find("x").unwrap(), m.find("y").unwrap());
        assert_eq!(
            parse(FaultKind::Cut, "x->y", &m).unwrap().scope,
            Scope::Link(x, y)
        );
        assert!(parse(FaultKind::Cut, "web->nothing", &m).is_err());
    }
}
