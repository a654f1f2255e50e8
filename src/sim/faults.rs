//! Faults (docs/faults.md): what can be injected, parsed from the command-line
//! syntax (`--down db:1`, `--slow db=+400ms@5%`, `--cut web->cart` …) that
//! scenario files share.

use serde::Serialize;

use crate::finding::did_you_mean_hint;
use crate::model::raw::Scalar;
use crate::model::units;
use crate::model::{Fallback, Model, ServiceId};

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
    /// Which kind of refusal (scenario files give each its own code).
    pub refusal: Refusal,
}

/// Why a fault was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It does not read: bad syntax, an unknown name, a value out of range.
    Invalid,
    /// `--cut a->b` where `a` does not call `b`.
    NoCall,
    /// It reads, but could not change anything: `--cold` on a service no
    /// `cache:` dependency names, or a zone where no replica lives.
    NoOp,
}

/// The largest traffic or latency factor (`--surge x…`, `--slow …=x…`):
/// beyond a million the figures overflow long before they mean anything.
pub const MAX_FACTOR: f64 = 1e6;

/// The longest added latency (`--slow …=+…`): a day. A request slowed by
/// more has hung; `--hang` says so.
pub const MAX_ADDED_S: f64 = 86_400.0;

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(message: impl Into<String>, hint: Option<String>) -> FaultError {
    FaultError {
        message: message.into(),
        hint,
        refusal: Refusal::Invalid,
    }
}

fn refused(refusal: Refusal, message: impl Into<String>, hint: Option<String>) -> FaultError {
    FaultError {
        refusal,
        ..err(message, hint)
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
                        (id, s.replicas_of_zone(zone).collect())
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Why the fault's value changes nothing (`x1`, `+0ms`, `0%`), if it
    /// does not: such a fault is accepted with this as a warning.
    pub fn changes_nothing(&self) -> Option<String> {
        let flag = self.as_flag();
        let why = match self.kind {
            FaultKind::Slow if self.share_given && self.share == 0.0 => "it slows no request",
            FaultKind::Slow => match self.slowdown {
                Some(Slowdown::Add(0.0)) => "it adds no latency",
                Some(Slowdown::Factor(1.0)) => "it leaves the latency as it is",
                _ => return None,
            },
            FaultKind::Errors if self.share == 0.0 => "it fails no request",
            FaultKind::Surge if self.factor == Some(1.0) => "it leaves the traffic as it is",
            _ => return None,
        };
        Some(format!("`{flag}` changes nothing: {why}"))
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
            if !is_cache(model, id) {
                let caches = caches(model);
                let hint = did_you_mean_hint(argument, caches.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        if caches.is_empty() {
                            "this model has no `cache:` dependency, so nothing can go cold".into()
                        } else {
                            format!("caches: {}", caches.join(", "))
                        }
                    });
                return Err(refused(
                    Refusal::NoOp,
                    format!("`{argument}` is not a cache: no `cache:` dependency names it"),
                    Some(hint),
                ));
            }
            Ok(Fault {
                scope: Scope::Service(id),
                target: Some(argument.to_owned()),
                ..base
            })
        }
        FaultKind::Cut => {
            let (from, to) = link(argument, model)?;
            if !calls(model, from, to, true) {
                return Err(no_call(model, from, to));
            }
            Ok(Fault {
                scope: Scope::Link(from, to),
                target: Some(argument.to_owned()),
                ..base
            })
        }
        FaultKind::Slow => parse_slow(argument, model, base),
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
        FaultKind::Surge => parse_surge(argument, model, base),
    }
}

/// `--slow NAME=+400ms`, `=x10`, `=+100s@5%`.
fn parse_slow(argument: &str, model: &Model, base: Fault) -> Result<Fault, FaultError> {
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
        if secs > MAX_ADDED_S {
            return Err(err(
                format!("`{change}` adds more than a day"),
                Some(format!("for calls that never return use `--hang {target}`")),
            ));
        }
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
        if f > MAX_FACTOR {
            return Err(err(
                format!("`{change}` is too large a latency factor"),
                Some(format!(
                    "at most x{}; for calls that never return use `--hang {target}`",
                    crate::text::number(MAX_FACTOR)
                )),
            ));
        }
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

/// `--surge x3` or `--surge NAME=x3` (NAME an entry service).
fn parse_surge(argument: &str, model: &Model, base: Fault) -> Result<Fault, FaultError> {
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
    if factor > MAX_FACTOR {
        return Err(err(
            format!("`{value}` is too large a traffic factor"),
            Some(format!("at most x{}", crate::text::number(MAX_FACTOR))),
        ));
    }
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
                Some(_) if model.services_in_zone(zone).next().is_none() => Err(refused(
                    Refusal::NoOp,
                    format!("no replica lives in zone `{zone}`"),
                    Some(occupied_zones_hint(model)),
                )),
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

/// The zones where some replica lives, for a hint.
fn occupied_zones_hint(model: &Model) -> String {
    let occupied: Vec<String> = model
        .zones
        .iter()
        .filter(|z| model.services_in_zone(z).next().is_some())
        .map(|z| format!("zone:{z}"))
        .collect();
    if occupied.is_empty() {
        "no service lists a zone".into()
    } else {
        format!("zones with replicas: {}", occupied.join(", "))
    }
}

/// Whether some `cache:` dependency answers from `id`.
fn is_cache(model: &Model, id: ServiceId) -> bool {
    dependencies(model).any(|d| d.cache.is_some() && d.target.service == id)
}

/// The services some `cache:` dependency answers from, in model order.
fn caches(model: &Model) -> Vec<String> {
    model
        .service_ids()
        .filter(|&id| is_cache(model, id))
        .map(|id| model.service(id).name.clone())
        .collect()
}

fn dependencies(model: &Model) -> impl Iterator<Item = &crate::model::Dependency> {
    model
        .services()
        .iter()
        .flat_map(|s| &s.operations)
        .flat_map(|o| &o.depends_on)
}

/// Whether `from` calls `to`: through a dependency, or (with `protection`)
/// as a dependency's failover or a cache's `on_miss`.
pub fn calls(model: &Model, from: ServiceId, to: ServiceId, protection: bool) -> bool {
    model
        .service(from)
        .operations
        .iter()
        .flat_map(|o| &o.depends_on)
        .any(|d| {
            d.target.service == to
                || protection
                    && (matches!(d.fallback, Some(Fallback::Failover { to: alt }) if alt == to)
                        || d.cache.is_some_and(|c| c.on_miss == to))
        })
}

/// The services `from` depends on, in model order, each once.
pub fn callees(model: &Model, from: ServiceId) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for d in model
        .service(from)
        .operations
        .iter()
        .flat_map(|o| &o.depends_on)
    {
        let name = &model.service(d.target.service).name;
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The refusal of a link that is not a call, with the caller's callees.
pub fn no_call(model: &Model, from: ServiceId, to: ServiceId) -> FaultError {
    let (caller, callee) = (&model.service(from).name, &model.service(to).name);
    let callees = callees(model, from);
    let hint = did_you_mean_hint(callee, callees.iter().map(String::as_str))
        .map(|h| h.replace("mean `", &format!("mean `{caller}->")))
        .unwrap_or_else(|| {
            if callees.is_empty() {
                format!("`{caller}` calls no other service")
            } else {
                format!("`{caller}` calls: {}", callees.join(", "))
            }
        });
    refused(
        Refusal::NoCall,
        format!("`{caller}` does not call `{callee}`"),
        Some(hint),
    )
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
                Some((a, b)) => {
                    let callees = model
                        .find(a)
                        .map(|from| callees(model, from))
                        .unwrap_or_default();
                    did_you_mean_hint(b, callees.iter().map(String::as_str))
                        .map(|h| h.replace("mean `", &format!("mean `{a}->")))
                        .or_else(|| unknown(b, model).hint)
                }
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
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, depends_on: [db, \"x->y\"] }\n  db: { replicas: 3 }\n  \"x->y\": {}\n  x: { depends_on: [y] }\n  y: {}\n  \"odd=name\": {}\n",
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

    fn shop() -> Model {
        load_str(
            "zones: [az-1, az-2, az-3]\nservices:\n  web: { entry: { rps: 10 }, zones: [az-1, az-2], replicas: 2, depends_on: [{ to: cache, cache: { hit_ratio: 0.9, on_miss: db } }, api] }\n  cache: { zones: [az-1] }\n  db: { zones: [az-1] }\n  api: { zones: [az-2] }\n",
            "t.yaml",
        )
        .unwrap()
        .model
    }

    #[test]
    fn faults_that_cannot_do_anything_are_refused() {
        let m = shop();
        // A cut where the caller does not call the callee (the cache's
        // on_miss counts as a call): refused, naming the real callees.
        let e = parse(FaultKind::Cut, "api->db", &m).unwrap_err();
        assert_eq!(e.refusal, Refusal::NoCall);
        assert_eq!(e.message, "`api` does not call `db`");
        assert_eq!(e.hint.as_deref(), Some("`api` calls no other service"));
        let e = parse(FaultKind::Cut, "web->db", &m);
        assert!(e.is_ok(), "{e:?}");
        let e = parse(FaultKind::Cut, "web->ap", &m).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `web->api`?"));
        // Cold on a service no cache: edge names.
        let e = parse(FaultKind::Cold, "db", &m).unwrap_err();
        assert_eq!(e.refusal, Refusal::NoOp);
        assert!(e.message.contains("not a cache"), "{e:?}");
        assert_eq!(e.hint.as_deref(), Some("caches: cache"));
        assert!(parse(FaultKind::Cold, "cache", &m).is_ok());
        // More replicas than there are.
        let e = parse(FaultKind::Down, "web:3", &m).unwrap_err();
        assert!(e.hint.unwrap().contains("web:2"));
        // A zone where no replica lives, for every kind that takes a zone.
        for (kind, arg) in [
            (FaultKind::Down, "zone:az-3"),
            (FaultKind::Hang, "zone:az-3"),
            (FaultKind::Slow, "zone:az-3=+1s"),
            (FaultKind::Errors, "zone:az-3=10%"),
        ] {
            let e = parse(kind, arg, &m).unwrap_err();
            assert_eq!(e.refusal, Refusal::NoOp, "{arg}");
            assert_eq!(e.message, "no replica lives in zone `az-3`");
            assert_eq!(
                e.hint.as_deref(),
                Some("zones with replicas: zone:az-1, zone:az-2")
            );
        }
        assert!(parse(FaultKind::Down, "zone:az-2", &m).is_ok());
    }

    #[test]
    fn values_that_change_nothing_are_kept_with_a_warning() {
        let m = shop();
        for (kind, arg) in [
            (FaultKind::Slow, "db=x1"),
            (FaultKind::Slow, "db=+0ms"),
            (FaultKind::Slow, "db=+2s@0%"),
            (FaultKind::Errors, "db=0%"),
            (FaultKind::Surge, "x1"),
            (FaultKind::Surge, "web=x1"),
        ] {
            let f = parse(kind, arg, &m).unwrap();
            let why = f.changes_nothing().unwrap_or_else(|| panic!("{arg}"));
            assert!(
                why.starts_with(&format!("`--{} {arg}` changes nothing", kind.as_str())),
                "{why}"
            );
        }
        for (kind, arg) in [
            (FaultKind::Slow, "db=x2"),
            (FaultKind::Slow, "db=+1ms@1%"),
            (FaultKind::Errors, "db=1%"),
            (FaultKind::Surge, "x0.5"),
            (FaultKind::Down, "db"),
        ] {
            assert_eq!(
                parse(kind, arg, &m).unwrap().changes_nothing(),
                None,
                "{arg}"
            );
        }
    }

    #[test]
    fn factors_that_overflow_are_refused() {
        let m = shop();
        for (kind, arg) in [
            (FaultKind::Surge, "x1e308"),
            (FaultKind::Surge, "web=x2e6"),
            (FaultKind::Slow, "db=x1e308"),
            (FaultKind::Slow, "db=+2d"),
        ] {
            let e = parse(kind, arg, &m).unwrap_err();
            assert_eq!(e.refusal, Refusal::Invalid, "{arg}");
            assert!(e.hint.is_some(), "{arg}");
        }
        assert!(parse(FaultKind::Surge, "x1000000", &m).is_ok());
        assert!(parse(FaultKind::Slow, "db=+1d", &m).is_ok());
    }
}
