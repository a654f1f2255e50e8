//! Faults (docs/faults.md): what can be injected, parsed from the command-line
//! syntax (`--down db:1`, `--slow db=+400ms@5%`, `--cut web->cart` …) that
//! scenario files share.
//!
//! A [`Fault`] is an enum whose variants carry what their kind needs, so a
//! match over it names every kind: adding one, the compiler lists the places
//! that must learn about it.

use std::str::FromStr;

use serde::Serialize;

use crate::finding::{UnknownWord, did_you_mean_hint, parse_word};
use crate::model::raw::Scalar;
use crate::model::units;
use crate::model::{Fallback, Model, ServiceId};

/// What a fault does: the word of its flag (`--down`, `--slow` …), for
/// parsing and for lists of kinds.
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
        name.parse().ok()
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

impl FromStr for FaultKind {
    type Err = UnknownWord;

    /// A flag name, with or without its `--`, in any case.
    fn from_str(word: &str) -> Result<FaultKind, UnknownWord> {
        let name = word.trim().trim_start_matches("--");
        parse_word(name, &FaultKind::ALL, FaultKind::as_str)
    }
}

/// Which replicas a down, hang, slow or errors fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every replica of a service.
    Service(ServiceId),
    /// The highest-numbered `n` replicas of a service.
    Replicas(ServiceId, u32),
    /// Every replica living in a zone (index into `Model::zones`).
    Zone(usize),
}

/// How a slow fault changes latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Slowdown {
    /// Seconds added.
    Add(f64),
    /// Latency multiplied.
    Factor(f64),
}

/// A fault as written: the flag's argument and the target named in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    /// The flag's argument as typed (`db=+400ms@5%`), or as it would be
    /// typed for a fault the engine makes itself.
    pub argument: String,
    /// The target in it (`db`); none for a surge of all entry traffic.
    pub target: Option<String>,
}

impl Typed {
    /// An argument that is all target (`db:1`, `web->cart`).
    pub fn target(argument: &str) -> Typed {
        Typed {
            argument: argument.to_owned(),
            target: Some(argument.to_owned()),
        }
    }
}

/// One fault, with the data its kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Replicas crash: calls refused at once.
    Down {
        /// The replicas it hits.
        scope: Scope,
        /// How it was written.
        typed: Typed,
    },
    /// Replicas accept calls and never answer.
    Hang {
        /// The replicas it hits.
        scope: Scope,
        /// How it was written.
        typed: Typed,
    },
    /// Latency added or multiplied, for every request or a share of them.
    Slow {
        /// The replicas it hits.
        scope: Scope,
        /// The change.
        change: Slowdown,
        /// The share of requests slowed, when written (`@5%`); all otherwise.
        share: Option<f64>,
        /// How it was written.
        typed: Typed,
    },
    /// A share of requests fail at once.
    Errors {
        /// The replicas it hits.
        scope: Scope,
        /// The share of requests that fail.
        share: f64,
        /// How it was written.
        typed: Typed,
    },
    /// Calls from one service to another get no answer.
    Cut {
        /// The caller.
        from: ServiceId,
        /// The callee.
        to: ServiceId,
        /// How it was written.
        typed: Typed,
    },
    /// Entry traffic multiplied.
    Surge {
        /// The entry service whose traffic grows; all entry traffic when none.
        entry: Option<ServiceId>,
        /// The traffic factor.
        factor: f64,
        /// How it was written.
        typed: Typed,
    },
    /// A cache loses its contents.
    Cold {
        /// The service a `cache:` dependency answers from.
        cache: ServiceId,
        /// How it was written.
        typed: Typed,
    },
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
    /// A crash of the replicas `scope` names, written as it would be typed
    /// (`db`, `db:2`, `zone:a`).
    pub fn down(scope: Scope, model: &Model) -> Fault {
        let argument = match scope {
            Scope::Service(s) => model.service(s).name.clone(),
            Scope::Replicas(s, n) => format!("{}:{n}", model.service(s).name),
            Scope::Zone(z) => format!("zone:{}", model.zones[z]),
        };
        Fault::Down {
            scope,
            typed: Typed::target(&argument),
        }
    }

    /// What the fault does.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Down { .. } => FaultKind::Down,
            Fault::Hang { .. } => FaultKind::Hang,
            Fault::Slow { .. } => FaultKind::Slow,
            Fault::Errors { .. } => FaultKind::Errors,
            Fault::Cut { .. } => FaultKind::Cut,
            Fault::Surge { .. } => FaultKind::Surge,
            Fault::Cold { .. } => FaultKind::Cold,
        }
    }

    /// How the fault was written.
    pub fn typed(&self) -> &Typed {
        match self {
            Fault::Down { typed, .. }
            | Fault::Hang { typed, .. }
            | Fault::Slow { typed, .. }
            | Fault::Errors { typed, .. }
            | Fault::Cut { typed, .. }
            | Fault::Surge { typed, .. }
            | Fault::Cold { typed, .. } => typed,
        }
    }

    /// The replicas a down, hang, slow or errors fault hits (`None` for
    /// the kinds that hit a link, traffic or a cache).
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Fault::Down { scope, .. }
            | Fault::Hang { scope, .. }
            | Fault::Slow { scope, .. }
            | Fault::Errors { scope, .. } => Some(*scope),
            Fault::Cut { .. } | Fault::Surge { .. } | Fault::Cold { .. } => None,
        }
    }

    /// The target as the user typed it (none for a global surge).
    pub fn target(&self) -> Option<&str> {
        self.typed().target.as_deref()
    }

    /// The fault as it would be typed: `--down db:1`, `--slow db=+400ms@5%`.
    pub fn as_flag(&self) -> String {
        format!("--{} {}", self.kind().as_str(), self.argument())
    }

    /// The flag's argument as it would be typed (`db:1`, `db=+400ms@5%`, `x3`).
    pub fn argument(&self) -> String {
        self.typed().argument.clone()
    }

    /// The replicas (numbered from 1) of each service that a fault hits:
    /// all of them for a service, the highest-numbered `N` for `NAME:N`,
    /// those living in the zone for `zone:Z`; none for a cut, a surge or
    /// a cold cache.
    pub fn replicas_hit(&self, model: &Model) -> Vec<(ServiceId, Vec<u32>)> {
        match self.scope() {
            Some(scope) => scope.replicas_hit(model),
            None => Vec::new(),
        }
    }

    /// Why the fault's value changes nothing (`x1`, `+0ms`, `0%`), if it
    /// does not: such a fault is accepted with this as a warning.
    pub fn changes_nothing(&self) -> Option<String> {
        let why = match self {
            Fault::Slow {
                share: Some(share), ..
            } if *share == 0.0 => "it slows no request",
            Fault::Slow { change, .. } => match change {
                Slowdown::Add(0.0) => "it adds no latency",
                Slowdown::Factor(1.0) => "it leaves the latency as it is",
                Slowdown::Add(_) | Slowdown::Factor(_) => return None,
            },
            Fault::Errors { share, .. } if *share == 0.0 => "it fails no request",
            Fault::Surge { factor, .. } if *factor == 1.0 => "it leaves the traffic as it is",
            Fault::Down { .. }
            | Fault::Hang { .. }
            | Fault::Errors { .. }
            | Fault::Cut { .. }
            | Fault::Surge { .. }
            | Fault::Cold { .. } => return None,
        };
        Some(format!("`{}` changes nothing: {why}", self.as_flag()))
    }

    /// The services a fault hits directly (for explanations and highlights).
    pub fn services(&self, model: &Model) -> Vec<ServiceId> {
        match self {
            Fault::Down { scope, .. }
            | Fault::Hang { scope, .. }
            | Fault::Slow { scope, .. }
            | Fault::Errors { scope, .. } => scope.services(model),
            Fault::Cut { to, .. } => vec![*to],
            Fault::Surge { .. } => Vec::new(),
            Fault::Cold { cache, .. } => vec![*cache],
        }
    }
}

impl Scope {
    /// The replicas (numbered from 1) of each service the scope takes in.
    pub fn replicas_hit(self, model: &Model) -> Vec<(ServiceId, Vec<u32>)> {
        match self {
            Scope::Service(s) => vec![(s, (1..=model.service(s).replicas).collect())],
            Scope::Replicas(s, k) => {
                let n = model.service(s).replicas;
                vec![(s, (n.saturating_sub(k) + 1..=n).collect())]
            }
            Scope::Zone(z) => {
                let zone = &model.zones[z];
                model
                    .services_in_zone(zone)
                    .map(|id| {
                        let s = model.service(id);
                        (id, s.replicas_of_zone(zone).collect())
                    })
                    .collect()
            }
        }
    }

    /// The services the scope takes in.
    pub fn services(self, model: &Model) -> Vec<ServiceId> {
        match self {
            Scope::Service(s) | Scope::Replicas(s, _) => vec![s],
            Scope::Zone(z) => model.services_in_zone(&model.zones[z]).collect(),
        }
    }
}

/// The share of a service's requests that a fault on some of its replicas
/// hits, given the share it hits on each: replicas take equal parts.
pub fn share_of_requests(model: &Model, id: ServiceId, replicas: &[u32], share: f64) -> f64 {
    share * replicas.len() as f64 / f64::from(model.service(id).replicas.max(1))
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
    match kind {
        FaultKind::Down => Ok(Fault::Down {
            scope: target_scope(argument, model)?,
            typed: Typed::target(argument),
        }),
        FaultKind::Hang => Ok(Fault::Hang {
            scope: target_scope(argument, model)?,
            typed: Typed::target(argument),
        }),
        FaultKind::Slow => parse_slow(argument, model),
        FaultKind::Errors => {
            let (target, value) = split_value(argument, "--errors payments=30%")?;
            let scope = target_scope(target, model)?;
            let share = parse_share(value)?;
            Ok(Fault::Errors {
                scope,
                share,
                typed: typed_with_value(argument, Some(target)),
            })
        }
        FaultKind::Cut => {
            let (from, to) = link(argument, model)?;
            if !calls(model, from, to, true) {
                return Err(no_call(model, from, to));
            }
            Ok(Fault::Cut {
                from,
                to,
                typed: Typed::target(argument),
            })
        }
        FaultKind::Surge => parse_surge(argument, model),
        FaultKind::Cold => parse_cold(argument, model),
    }
}

fn typed_with_value(argument: &str, target: Option<&str>) -> Typed {
    Typed {
        argument: argument.to_owned(),
        target: target.map(str::to_owned),
    }
}

/// `--cold NAME`, NAME a service some `cache:` dependency answers from.
fn parse_cold(argument: &str, model: &Model) -> Result<Fault, FaultError> {
    let id = model
        .find(argument)
        .ok_or_else(|| unknown_among(argument, model, "caches", |id| is_cache(model, id)))?;
    if !is_cache(model, id) {
        let caches = caches(model);
        let hint =
            did_you_mean_hint(argument, caches.iter().map(String::as_str)).unwrap_or_else(|| {
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
    Ok(Fault::Cold {
        cache: id,
        typed: Typed::target(argument),
    })
}

/// `--slow NAME=+400ms`, `=x10`, `=+100s@5%`.
fn parse_slow(argument: &str, model: &Model) -> Result<Fault, FaultError> {
    let (target, value) =
        split_value(argument, "--slow catalog-db=+400ms (or =x10, or =+100s@5%)")?;
    let scope = target_scope(target, model)?;
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
    Ok(Fault::Slow {
        scope,
        change: slowdown,
        share,
        typed: typed_with_value(argument, Some(target)),
    })
}

/// `--surge x3` or `--surge NAME=x3` (NAME an entry service).
fn parse_surge(argument: &str, model: &Model) -> Result<Fault, FaultError> {
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
    let entry = match target {
        None => None,
        Some("") => {
            return Err(err(
                format!("`{argument}` names no entry point before `=`"),
                Some(format!(
                    "write `{value}` to surge every entry point, or `web={value}` for one"
                )),
            ));
        }
        Some(t) => {
            let id = model.find(t).ok_or_else(|| {
                unknown_among(t, model, "entry points", |id| model.service(id).is_entry())
            })?;
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
            Some(id)
        }
    };
    Ok(Fault::Surge {
        entry,
        factor,
        typed: typed_with_value(argument, target),
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

/// An unknown name where only some services will do (`--surge`'s entry
/// points, `--cold`'s caches, called `what`): the hint offers only those.
fn unknown_among(
    name: &str,
    model: &Model,
    what: &str,
    fits: impl Fn(ServiceId) -> bool,
) -> FaultError {
    if name
        .strip_prefix("zone:")
        .is_some_and(|z| model.zones.iter().any(|x| x == z))
    {
        return unknown(name, model);
    }
    let fitting: Vec<&str> = model
        .service_ids()
        .filter(|&id| fits(id))
        .map(|id| model.service(id).name.as_str())
        .collect();
    let hint = did_you_mean_hint(name, fitting.iter().copied()).unwrap_or_else(|| {
        if fitting.is_empty() {
            format!("this model has no {what}")
        } else {
            format!("{what}: {}", fitting.join(", "))
        }
    });
    err(format!("unknown service `{name}`"), Some(hint))
}

fn unknown(name: &str, model: &Model) -> FaultError {
    let zone_names: Vec<String> = model.zones.iter().map(|z| format!("zone:{z}")).collect();
    if zone_names.iter().any(|z| z == name) {
        // A zone where only a service will do (`--cold`, a side of `--cut`).
        return err(
            format!("`{name}` is a zone, not a service"),
            Some(
                "a zone can be taken by `--down`, `--hang`, `--slow` or `--errors`; this needs a service"
                    .into(),
            ),
        );
    }
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
fn target_scope(target: &str, model: &Model) -> Result<Scope, FaultError> {
    if let Some(id) = model.find(target) {
        return Ok(Scope::Service(id));
    }
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
        && count.parse::<u32>().is_ok()
        && model.find(name).is_none()
    {
        // `wbe:1`: the did-you-mean keeps the replica count.
        let hint = crate::finding::did_you_mean(name, model.service_names())
            .map(|c| format!("did you mean `{c}:{count}`?"))
            .unwrap_or_else(|| "run `whatif check` to list the services".into());
        return Err(err(format!("unknown service `{name}`"), Some(hint)));
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
                    // The nearest link as a whole, else the nearest caller.
                    let links: Vec<String> = model
                        .service_ids()
                        .flat_map(|from| {
                            let name = &model.service(from).name;
                            callees(model, from)
                                .into_iter()
                                .map(move |to| format!("{name}->{to}"))
                        })
                        .collect();
                    did_you_mean_hint(argument, links.iter().map(String::as_str))
                        .or_else(|| unknown(a, model).hint)
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
            parse(FaultKind::Down, "db", &m).unwrap().scope(),
            Some(Scope::Service(db))
        );
        assert_eq!(
            parse(FaultKind::Down, "db:2", &m).unwrap().scope(),
            Some(Scope::Replicas(db, 2))
        );
        assert_eq!(
            parse(FaultKind::Down, "zone:b", &m).unwrap().scope(),
            Some(Scope::Zone(1))
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
            parse(FaultKind::Down, "x->y", &m).unwrap().scope(),
            Some(Scope::Service(m.find("x->y").unwrap()))
        );
        assert_eq!(
            parse(FaultKind::Errors, "odd=name=30%", &m)
                .unwrap()
                .scope(),
            Some(Scope::Service(m.find("odd=name").unwrap()))
        );
    }

    #[test]
    fn kinds_parse_from_their_flag_names() {
        assert_eq!("--Slow".parse::<FaultKind>(), Ok(FaultKind::Slow));
        assert_eq!(" cold".parse::<FaultKind>(), Ok(FaultKind::Cold));
        for kind in FaultKind::ALL {
            assert_eq!(kind.as_str().parse::<FaultKind>(), Ok(kind));
        }
        assert!("crash".parse::<FaultKind>().is_err());
    }

    #[test]
    fn values_parse() {
        let m = model();
        let slow = parse(FaultKind::Slow, "db=+100s@5%", &m).unwrap();
        let Fault::Slow { change, share, .. } = &slow else {
            panic!("{slow:?}")
        };
        assert_eq!(*change, Slowdown::Add(100.0));
        assert!((share.unwrap() - 0.05).abs() < 1e-12);
        assert_eq!(slow.argument(), "db=+100s@5%");
        assert!(matches!(
            parse(FaultKind::Slow, "db=x10", &m).unwrap(),
            Fault::Slow {
                change: Slowdown::Factor(10.0),
                share: None,
                ..
            }
        ));
        assert!(parse(FaultKind::Slow, "db=400ms", &m).is_err());
        assert!(matches!(
            parse(FaultKind::Errors, "db=30%", &m).unwrap(),
            Fault::Errors { share: 0.3, .. }
        ));
        assert!(matches!(
            parse(FaultKind::Surge, "x3", &m).unwrap(),
            Fault::Surge {
                entry: None,
                factor: 3.0,
                ..
            }
        ));
        let web = m.find("web").unwrap();
        assert!(matches!(
            parse(FaultKind::Surge, "web=x1.5", &m).unwrap(),
            Fault::Surge { entry: Some(e), .. } if e == web
        ));
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
        assert!(matches!(
            parse(FaultKind::Cut, "x->y", &m).unwrap(),
            Fault::Cut { from, to, .. } if (from, to) == (x, y)
        ));
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
        // A misspelt caller: the link as a whole.
        let e = parse(FaultKind::Cut, "webb->api", &m).unwrap_err();
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
