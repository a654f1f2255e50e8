//! Validation: raw structs → [`Model`], collecting every finding (not just
//! the first), each with a stable code, a position and a hint.

use std::collections::{HashMap, HashSet};

use super::raw::{
    At, RawBreaker, RawCount, RawDependency, RawDependencyLong, RawDuration, RawFraction,
    RawLatency, RawModel, RawNumber, RawOperation, RawRate, RawService, RawWord,
};
use super::types::{
    Autoscale, CacheEdge, CircuitBreaker, Criticality, Dependency, Fallback, Kind, Latency, Mode,
    Model, Operation, Phase, Service, ServiceId, Target, Thresholds,
};
use super::units::{self, ValueError};
use crate::finding::{Finding, Pos, did_you_mean_hint};

/// Finding codes for validation. Stable: documented in the README.
pub mod codes {
    /// A word (kind, criticality, mode, phase) that is not one of the allowed ones.
    pub const UNKNOWN_WORD: &str = "E009";
    /// A dependency names a service that does not exist.
    pub const UNKNOWN_SERVICE: &str = "E010";
    /// A dependency names an operation the service does not have.
    pub const UNKNOWN_OPERATION: &str = "E011";
    /// A service names a zone the model does not declare.
    pub const UNKNOWN_ZONE: &str = "E012";
    /// `a.b` is both a service and an operation of `a`.
    pub const AMBIGUOUS_TARGET: &str = "E013";
    /// A service depends on itself.
    pub const SELF_DEPENDENCY: &str = "E014";
    /// `replicas: 0`.
    pub const ZERO_REPLICAS: &str = "E015";
    /// `quorum` above `replicas`, or zero.
    pub const BAD_QUORUM: &str = "E016";
    /// A fallback or `on_miss` names an unknown service.
    pub const UNKNOWN_FALLBACK: &str = "E024";
    /// `entry.rps` differs from the sum of the operations' `rps`.
    pub const ENTRY_MISMATCH: &str = "E025";
    /// A fallback with neither or both of `serve_stale_for` and `to`.
    pub const BAD_FALLBACK: &str = "E026";
    /// A dependency with both `cache` and `fallback`.
    pub const CACHE_AND_FALLBACK: &str = "E027";
    /// The same zone listed twice.
    pub const DUPLICATE_NAME: &str = "E028";
    /// An empty name.
    pub const EMPTY_NAME: &str = "E030";
    /// `calls: 0`.
    pub const ZERO_CALLS: &str = "E031";
    /// `autoscale.max_replicas` below `replicas`.
    pub const BAD_AUTOSCALE: &str = "E032";
    /// Thresholds that contradict each other.
    pub const BAD_THRESHOLDS: &str = "E033";
    /// `latency: { p50, p99 }` with p99 not above p50 (or p50 zero).
    pub const BAD_LATENCY_TAIL: &str = "E034";
    /// `buffer` on a synchronous edge (it only applies to async hand-offs).
    pub const BUFFER_ON_SYNC: &str = "W003";
    /// No service receives user traffic.
    pub const NO_ENTRY: &str = "W004";
    /// A declared zone that no service has a replica in (probably a typo).
    pub const UNUSED_ZONE: &str = "W005";
}

/// How long a cold cache takes to climb back to its hit ratio when the
/// model does not say (`cache.warm_up`).
pub const DEFAULT_WARM_UP_S: f64 = 300.0;

/// Policies inherited by every dependency that does not set its own.
#[derive(Default, Clone, Copy)]
struct EdgeDefaults {
    timeout_s: Option<f64>,
    retries: u32,
    retry_budget: Option<f64>,
    circuit_breaker: Option<CircuitBreaker>,
}

struct Validator {
    findings: Vec<Finding>,
}

impl Validator {
    fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: Option<String>,
    ) {
        self.findings
            .push(Finding::error(code, message, Some(pos)).with_opt_hint(hint));
    }

    fn warning(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: Option<String>,
    ) {
        self.findings
            .push(Finding::warning(code, message, Some(pos)).with_opt_hint(hint));
    }

    fn value<T>(
        &mut self,
        field: &str,
        at: &At<impl AsScalar>,
        parse: fn(&super::raw::Scalar) -> Result<T, ValueError>,
    ) -> Option<T> {
        match parse(at.value.scalar()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(e.code, format!("`{field}`: {}", e.message), at.pos, e.hint);
                None
            }
        }
    }

    fn duration(&mut self, field: &str, at: &Option<At<RawDuration>>) -> Option<f64> {
        at.as_ref()
            .and_then(|a| self.value(field, a, units::duration))
    }

    /// `latency: 15ms` or `latency: { p50: 10ms, p99: 250ms }`.
    fn latency(&mut self, at: &Option<At<RawLatency>>) -> Option<Latency> {
        let at = at.as_ref()?;
        match &at.value {
            RawLatency::Mean(d) => {
                let mean_s = self.value(
                    "latency",
                    &At {
                        value: d.clone(),
                        pos: at.pos,
                    },
                    units::duration,
                )?;
                Some(Latency::Exponential { mean_s })
            }
            RawLatency::Tail(t) => {
                let p50_s = self.value("latency.p50", &t.p50, units::duration);
                let p99_s = self.value("latency.p99", &t.p99, units::duration);
                let (p50_s, p99_s) = (p50_s?, p99_s?);
                if p50_s <= 0.0 || p99_s <= p50_s {
                    self.error(
                        codes::BAD_LATENCY_TAIL,
                        format!(
                            "`latency`: p99 ({} ms) must be above p50 ({} ms), and p50 above 0",
                            p99_s * 1000.0,
                            p50_s * 1000.0
                        ),
                        at.pos,
                        Some("a tail is slower than the median: e.g. `{ p50: 10ms, p99: 250ms }`; or give only the mean, `latency: 10ms`".into()),
                    );
                    return None;
                }
                Some(Latency::Lognormal { p50_s, p99_s })
            }
        }
    }

    fn fraction(&mut self, field: &str, at: &Option<At<RawFraction>>) -> Option<f64> {
        at.as_ref()
            .and_then(|a| self.value(field, a, units::fraction))
    }

    fn rate(&mut self, field: &str, at: &Option<At<RawRate>>) -> Option<f64> {
        at.as_ref().and_then(|a| self.value(field, a, units::rate))
    }

    fn count(&mut self, field: &str, at: &Option<At<RawCount>>) -> Option<u64> {
        at.as_ref().and_then(|a| self.value(field, a, units::count))
    }

    fn count_u32(&mut self, field: &str, at: &Option<At<RawCount>>) -> Option<u32> {
        let n = self.count(field, at)?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let pos = at.as_ref().map(|a| a.pos).unwrap_or_default();
                self.error(
                    units::codes::BAD_COUNT,
                    format!("`{field}`: {n} is too large"),
                    pos,
                    None,
                );
                None
            }
        }
    }

    fn number(&mut self, field: &str, at: &Option<At<RawNumber>>) -> Option<f64> {
        at.as_ref().and_then(|a| self.value(field, a, units::rate))
    }

    fn word<T: Copy>(
        &mut self,
        field: &str,
        at: &Option<At<RawWord>>,
        words: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(at) = at else { return default };
        let text = at.value.0.trim();
        if let Some((_, v)) = words.iter().find(|(w, _)| w.eq_ignore_ascii_case(text)) {
            return *v;
        }
        let allowed: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
        let hint = did_you_mean_hint(text, allowed.iter().copied())
            .unwrap_or_else(|| format!("one of: {}", allowed.join(", ")));
        self.error(
            codes::UNKNOWN_WORD,
            format!("`{field}`: unknown value `{text}`"),
            at.pos,
            Some(hint),
        );
        default
    }

    fn breaker(&mut self, at: &At<RawBreaker>) -> Option<CircuitBreaker> {
        let threshold = self.fraction(
            "circuit_breaker.threshold",
            &Some(at.value.threshold.clone()),
        );
        let open_for = self.duration("circuit_breaker.open_for", &Some(at.value.open_for.clone()));
        Some(CircuitBreaker {
            threshold: threshold?,
            open_for_s: open_for?,
        })
    }

    fn name(&mut self, what: &str, at: &At<String>) {
        if at.value.is_empty() {
            self.error(
                codes::EMPTY_NAME,
                format!("{what} name is empty"),
                at.pos,
                Some("give it a name".into()),
            );
        }
    }
}

/// Gives leaf newtypes uniform access to their scalar.
trait AsScalar {
    fn scalar(&self) -> &super::raw::Scalar;
}
macro_rules! as_scalar {
    ($($t:ty),*) => { $(impl AsScalar for $t { fn scalar(&self) -> &super::raw::Scalar { &self.0 } })* };
}
as_scalar!(RawDuration, RawFraction, RawCount, RawRate, RawNumber);

const KINDS: [(&str, Kind); 7] = [
    ("service", Kind::Service),
    ("frontend", Kind::Frontend),
    ("gateway", Kind::Gateway),
    ("database", Kind::Database),
    ("cache", Kind::Cache),
    ("queue", Kind::Queue),
    ("external", Kind::External),
];
const CRITICALITIES: [(&str, Criticality); 2] =
    [("hard", Criticality::Hard), ("soft", Criticality::Soft)];
const MODES: [(&str, Mode); 2] = [("sync", Mode::Sync), ("async", Mode::Async)];
const PHASES: [(&str, Phase); 3] = [
    ("request", Phase::Request),
    ("startup", Phase::Startup),
    ("background", Phase::Background),
];

/// Names known before dependencies are resolved.
struct Directory<'a> {
    services: HashMap<&'a str, ServiceId>,
    /// Operation names per service, in order (`default` when implicit).
    operations: Vec<Vec<&'a str>>,
    names: Vec<&'a str>,
}

impl Directory<'_> {
    fn operation(&self, service: ServiceId, op: &str) -> Option<usize> {
        self.operations[service.index()]
            .iter()
            .position(|o| *o == op)
    }
}

/// What a dependency string resolves to.
enum Resolution {
    Found(Target),
    Ambiguous(Vec<String>),
    UnknownOperation {
        service: ServiceId,
        operation: String,
    },
    UnknownService,
}

fn resolve(dir: &Directory, written: &str) -> Resolution {
    let as_service = dir.services.get(written).copied();
    // Every split `svc.op` where `svc` is a service that has operation `op`.
    let mut as_operations = Vec::new();
    let mut longest_service_prefix: Option<(ServiceId, &str)> = None;
    for (i, _) in written.match_indices('.') {
        let (svc, op) = (&written[..i], &written[i + 1..]);
        if let Some(&sid) = dir.services.get(svc) {
            longest_service_prefix = Some((sid, op));
            if let Some(oi) = dir.operation(sid, op) {
                as_operations.push(Target {
                    service: sid,
                    operation: Some(oi),
                });
            }
        }
    }
    match (as_service, as_operations.len()) {
        (Some(service), 0) => Resolution::Found(Target {
            service,
            operation: None,
        }),
        (None, 1) => Resolution::Found(as_operations[0]),
        (None, 0) => match longest_service_prefix {
            Some((service, op)) => Resolution::UnknownOperation {
                service,
                operation: op.to_owned(),
            },
            None => Resolution::UnknownService,
        },
        _ => {
            let mut readings = Vec::new();
            if as_service.is_some() {
                readings.push(format!("the service `{written}`"));
            }
            for t in &as_operations {
                let svc = dir.names[t.service.index()];
                readings.push(format!(
                    "operation `{}` of service `{svc}`",
                    dir.operations[t.service.index()][t.operation.unwrap_or(0)]
                ));
            }
            Resolution::Ambiguous(readings)
        }
    }
}

/// Validates a raw model. Returns the model when it could be built (even if
/// some findings are errors, callers must check) and every finding.
pub fn validate(raw: RawModel, default_name: String) -> (Option<Model>, Vec<Finding>) {
    let mut v = Validator {
        findings: Vec::new(),
    };

    let name = match &raw.name {
        Some(at) => {
            v.name("model", at);
            at.value.clone()
        }
        None => default_name,
    };

    // Zones.
    let mut zones: Vec<String> = Vec::new();
    for z in raw.zones.iter().flatten() {
        v.name("zone", z);
        if zones.contains(&z.value) {
            v.error(
                codes::DUPLICATE_NAME,
                format!("zone `{}` is listed twice", z.value),
                z.pos,
                Some("remove one".into()),
            );
        } else {
            zones.push(z.value.clone());
        }
    }

    // Defaults and thresholds.
    let mut edge_defaults = EdgeDefaults::default();
    let mut thresholds = Thresholds::default();
    if let Some(d) = &raw.defaults {
        edge_defaults.timeout_s = v.duration("defaults.timeout", &d.timeout);
        edge_defaults.retries = v.count_u32("defaults.retries", &d.retries).unwrap_or(0);
        edge_defaults.retry_budget = v.fraction("defaults.retry_budget", &d.retry_budget);
        edge_defaults.circuit_breaker = d.circuit_breaker.as_ref().and_then(|b| v.breaker(b));
        if let Some(t) = &d.thresholds {
            thresholds.down_below = v
                .fraction("thresholds.down_below", &t.down_below)
                .unwrap_or(thresholds.down_below);
            thresholds.degraded_below = v
                .fraction("thresholds.degraded_below", &t.degraded_below)
                .unwrap_or(thresholds.degraded_below);
            thresholds.slow_min_s = v
                .duration("thresholds.slow_min", &t.slow_min)
                .unwrap_or(thresholds.slow_min_s);
            if let Some(f) = v.number("thresholds.slow_factor", &t.slow_factor) {
                if f < 1.0 {
                    let pos = t.slow_factor.as_ref().map(|a| a.pos).unwrap_or_default();
                    v.error(
                        codes::BAD_THRESHOLDS,
                        format!("`thresholds.slow_factor` {f} is below 1"),
                        pos,
                        Some(
                            "a slow service is at least as slow as its baseline; use 2 or more"
                                .into(),
                        ),
                    );
                } else {
                    thresholds.slow_factor = f;
                }
            }
            if thresholds.down_below > thresholds.degraded_below {
                let pos = t
                    .down_below
                    .as_ref()
                    .or(t.degraded_below.as_ref())
                    .map(|a| a.pos)
                    .unwrap_or_default();
                v.error(
                    codes::BAD_THRESHOLDS,
                    "`thresholds.down_below` is above `thresholds.degraded_below`",
                    pos,
                    Some("down means less success than degraded: e.g. down_below 5%, degraded_below 99%".into()),
                );
            }
        }
    }

    // First pass: names of services and their operations.
    let services_map = &raw.services.value;
    let mut dir = Directory {
        services: HashMap::new(),
        operations: Vec::new(),
        names: Vec::new(),
    };
    for (i, (key, svc)) in services_map.iter().enumerate() {
        v.name("service", key);
        dir.services.insert(key.value.as_str(), ServiceId(i as u32));
        dir.names.push(key.value.as_str());
        let ops: Vec<&str> = match &svc.value.operations {
            Some(ops) if !ops.is_empty() => ops.keys().map(|k| k.value.as_str()).collect(),
            _ => vec!["default"],
        };
        dir.operations.push(ops);
    }

    // Second pass: everything else.
    let mut services = Vec::with_capacity(services_map.len());
    let mut used_zones: HashSet<&str> = HashSet::new();
    for (i, (key, svc)) in services_map.iter().enumerate() {
        let id = ServiceId(i as u32);
        let service = validate_service(&mut v, &dir, &zones, edge_defaults, id, key, svc);
        for z in &service.zones {
            if let Some(zone) = zones.iter().find(|x| *x == z) {
                used_zones.insert(zone.as_str());
            }
        }
        services.push(service);
    }
    for z in raw.zones.iter().flatten() {
        if !services.is_empty() && !used_zones.contains(z.value.as_str()) {
            v.warning(
                codes::UNUSED_ZONE,
                format!("no service has a replica in zone `{}`", z.value),
                z.pos,
                Some("check the services' `zones` lists for a typo".into()),
            );
        }
    }

    if !services.is_empty() && !services.iter().any(Service::is_entry) {
        v.warning(
            codes::NO_ENTRY,
            "no service receives user traffic",
            raw.services.pos,
            Some(
                "mark the front door with `entry: { rps: 100 }` so analyses know what users call"
                    .into(),
            ),
        );
    }

    let mut model = Model::new(name, zones, thresholds, services);
    model.default_timeout_s = edge_defaults.timeout_s;
    (Some(model), v.findings)
}

fn validate_service(
    v: &mut Validator,
    dir: &Directory,
    zones: &[String],
    edge_defaults: EdgeDefaults,
    id: ServiceId,
    key: &At<String>,
    svc: &At<RawService>,
) -> Service {
    let raw = &svc.value;
    let name = key.value.clone();
    let kind = v.word("kind", &raw.kind, &KINDS, Kind::Service);

    let replicas = v.count_u32("replicas", &raw.replicas).unwrap_or(1);
    if replicas == 0 {
        let pos = raw.replicas.as_ref().map(|a| a.pos).unwrap_or(key.pos);
        v.error(
            codes::ZERO_REPLICAS,
            format!("service `{name}` has zero replicas"),
            pos,
            Some("a service needs at least one replica; remove it if it is gone".into()),
        );
    }
    let quorum = v.count_u32("quorum", &raw.quorum).unwrap_or(1);
    if let Some(q) = &raw.quorum {
        if quorum == 0 {
            v.error(
                codes::BAD_QUORUM,
                format!("service `{name}` has quorum 0"),
                q.pos,
                Some("quorum is at least 1".into()),
            );
        } else if quorum > replicas && replicas > 0 {
            v.error(
                codes::BAD_QUORUM,
                format!(
                    "service `{name}` needs a quorum of {quorum} but has only {replicas} replica{}",
                    if replicas == 1 { "" } else { "s" }
                ),
                q.pos,
                Some(format!(
                    "raise `replicas` to at least {quorum} or lower `quorum`"
                )),
            );
        }
    }

    let mut service_zones = Vec::new();
    match &raw.zones {
        Some(list) => {
            for z in list {
                if zones.contains(&z.value) {
                    if service_zones.contains(&z.value) {
                        v.error(
                            codes::DUPLICATE_NAME,
                            format!("zone `{}` is listed twice for `{name}`", z.value),
                            z.pos,
                            None,
                        );
                    } else {
                        service_zones.push(z.value.clone());
                    }
                } else {
                    let hint = if zones.is_empty() {
                        Some(
                            "declare the model's zones at the top level: `zones: [...]`"
                                .to_string(),
                        )
                    } else {
                        did_you_mean_hint(&z.value, zones.iter().map(String::as_str))
                            .or_else(|| Some(format!("declared zones: {}", zones.join(", "))))
                    };
                    v.error(
                        codes::UNKNOWN_ZONE,
                        format!("service `{name}` names unknown zone `{}`", z.value),
                        z.pos,
                        hint,
                    );
                }
            }
        }
        // Someone else's system (a card network, a mail provider) lives in
        // none of our zones unless it says so: a zone outage never takes it.
        None if kind == Kind::External => {}
        None => service_zones = zones.to_vec(),
    }

    let capacity = v.rate("capacity", &raw.capacity);
    let concurrency = v.count("concurrency", &raw.concurrency).map(|c| c as f64);
    let queue = v.count("queue", &raw.queue).map(|c| c as f64);
    let latency = v.latency(&raw.latency).unwrap_or(Latency::ZERO);
    let availability = v.fraction("availability", &raw.availability).unwrap_or(1.0);
    let start_time_s = v.duration("start_time", &raw.start_time).unwrap_or(0.0);
    let parallel = raw.parallel.as_ref().is_some_and(|p| p.value);
    let autoscale = raw.autoscale.as_ref().and_then(|a| {
        let max = v.count_u32("autoscale.max_replicas", &Some(a.value.max_replicas.clone()));
        let above = v.fraction("autoscale.above", &Some(a.value.above.clone()));
        let delay = v.duration("autoscale.delay", &Some(a.value.delay.clone()));
        let max = max?;
        if max < replicas {
            v.error(codes::BAD_AUTOSCALE, format!("service `{name}` autoscales to at most {max} replicas but already runs {replicas}"), a.value.max_replicas.pos, Some(format!("set `max_replicas` to at least {replicas}")));
        }
        Some(Autoscale { max_replicas: max, above: above?, delay_s: delay? })
    });
    let entry_rps = raw.entry.as_ref().and_then(|e| {
        v.value("entry.rps", &e.value.rps, units::rate)
            .map(|r| (r, e.value.rps.pos))
    });

    let shared_deps: Vec<Dependency> = raw
        .depends_on
        .iter()
        .flatten()
        .filter_map(|d| dependency(v, dir, edge_defaults, id, &name, d))
        .collect();

    let mut operations = Vec::new();
    let declares_operations = raw.operations.as_ref().is_some_and(|o| !o.is_empty());
    if declares_operations {
        for (op_key, op) in raw.operations.iter().flatten() {
            v.name("operation", op_key);
            operations.push(operation(
                v,
                dir,
                edge_defaults,
                id,
                &name,
                op_key,
                op,
                latency,
                parallel,
                &shared_deps,
            ));
        }
    } else {
        operations.push(Operation {
            name: "default".into(),
            rps: None,
            latency,
            parallel,
            depends_on: shared_deps,
            pos: key.pos,
        });
    }

    // Entry traffic: on the implicit operation, or checked against the operations'.
    if let Some((rps, pos)) = entry_rps {
        let given: Vec<f64> = operations.iter().filter_map(|o| o.rps).collect();
        if !declares_operations {
            operations[0].rps = Some(rps);
        } else if given.is_empty() {
            // Decision: an entry on a service whose operations give no rps is
            // split over them evenly, like a call that names no operation.
            let share = rps / operations.len() as f64;
            for op in &mut operations {
                op.rps = Some(share);
            }
        } else {
            let sum: f64 = given.iter().sum();
            if (sum - rps).abs() > 1e-9 * rps.max(1.0) {
                v.error(
                    codes::ENTRY_MISMATCH,
                    format!("service `{name}` has `entry.rps` {rps} but its operations' rps add up to {sum}"),
                    pos,
                    Some("make them agree, or drop `entry` and let the operations' rps speak".into()),
                );
            }
        }
    }

    Service {
        name,
        kind,
        replicas: replicas.max(1),
        quorum: quorum.clamp(1, replicas.max(1)),
        zones: service_zones,
        capacity,
        concurrency,
        queue,
        availability,
        start_time_s,
        autoscale,
        operations,
        declares_operations,
        pos: key.pos,
    }
}

#[allow(clippy::too_many_arguments)]
fn operation(
    v: &mut Validator,
    dir: &Directory,
    edge_defaults: EdgeDefaults,
    id: ServiceId,
    service_name: &str,
    key: &At<String>,
    op: &At<RawOperation>,
    service_latency: Latency,
    service_parallel: bool,
    shared: &[Dependency],
) -> Operation {
    let raw = &op.value;
    let mut depends_on = shared.to_vec();
    depends_on.extend(
        raw.depends_on
            .iter()
            .flatten()
            .filter_map(|d| dependency(v, dir, edge_defaults, id, service_name, d)),
    );
    Operation {
        name: key.value.clone(),
        rps: v.rate("rps", &raw.rps),
        latency: v.latency(&raw.latency).unwrap_or(service_latency),
        parallel: raw.parallel.as_ref().map_or(service_parallel, |p| p.value),
        depends_on,
        pos: key.pos,
    }
}

/// Resolves a service name used by a fallback or `on_miss`.
fn service_ref(
    v: &mut Validator,
    dir: &Directory,
    caller: ServiceId,
    caller_name: &str,
    what: &str,
    at: &At<String>,
) -> Option<ServiceId> {
    match dir.services.get(at.value.as_str()) {
        Some(&sid) if sid == caller => {
            v.error(
                codes::SELF_DEPENDENCY,
                format!("`{caller_name}` names itself as its {what}"),
                at.pos,
                Some("point it at another service".into()),
            );
            None
        }
        Some(&sid) => Some(sid),
        None => {
            let hint = did_you_mean_hint(&at.value, dir.names.iter().copied());
            v.error(
                codes::UNKNOWN_FALLBACK,
                format!(
                    "`{caller_name}` names unknown service `{}` as its {what}",
                    at.value
                ),
                at.pos,
                hint,
            );
            None
        }
    }
}

fn dependency(
    v: &mut Validator,
    dir: &Directory,
    d: EdgeDefaults,
    caller: ServiceId,
    caller_name: &str,
    at: &At<RawDependency>,
) -> Option<Dependency> {
    let empty = RawDependencyLong {
        to: At {
            value: String::new(),
            pos: at.pos,
        },
        timeout: None,
        retries: None,
        retry_budget: None,
        circuit_breaker: None,
        calls: None,
        criticality: None,
        mode: None,
        phase: None,
        buffer: None,
        fallback: None,
        cache: None,
    };
    let (long, to) = match &at.value {
        RawDependency::Short(name) => (
            &empty,
            At {
                value: name.clone(),
                pos: at.pos,
            },
        ),
        RawDependency::Long(long) => (long.as_ref(), long.to.clone()),
    };
    let written = to.value.clone();

    let target = match resolve(dir, &written) {
        Resolution::Found(t) => Some(t),
        Resolution::Ambiguous(readings) => {
            v.error(
                codes::AMBIGUOUS_TARGET,
                format!(
                    "dependency `{written}` of `{caller_name}` is ambiguous: it could be {}",
                    readings.join(" or ")
                ),
                to.pos,
                Some("rename the service or the operation so only one reading remains".into()),
            );
            None
        }
        Resolution::UnknownOperation { service, operation } => {
            let svc = dir.names[service.index()];
            let ops = &dir.operations[service.index()];
            let hint = did_you_mean_hint(&operation, ops.iter().copied())
                .map(|h| {
                    h.replace('`', "")
                        .replace("did you mean ", &format!("did you mean `{svc}."))
                        .replace('?', "`?")
                })
                .or_else(|| Some(format!("`{svc}` has operations: {}", ops.join(", "))));
            v.error(
                codes::UNKNOWN_OPERATION,
                format!(
                    "`{caller_name}` depends on unknown operation `{operation}` of service `{svc}`"
                ),
                to.pos,
                hint,
            );
            None
        }
        Resolution::UnknownService => {
            let hint = did_you_mean_hint(&written, dir.names.iter().copied());
            v.error(
                codes::UNKNOWN_SERVICE,
                format!("service `{caller_name}` depends on unknown service `{written}`"),
                to.pos,
                hint,
            );
            None
        }
    };
    if let Some(t) = target
        && t.service == caller
    {
        v.error(
            codes::SELF_DEPENDENCY,
            format!("service `{caller_name}` depends on itself"),
            to.pos,
            Some(
                "remove the dependency; a service's internal calls are part of its latency".into(),
            ),
        );
    }

    let timeout_s = v.duration("timeout", &long.timeout).or(d.timeout_s);
    let retries = v.count_u32("retries", &long.retries).unwrap_or(d.retries);
    let retry_budget = v
        .fraction("retry_budget", &long.retry_budget)
        .or(d.retry_budget);
    let circuit_breaker = match &long.circuit_breaker {
        Some(b) => v.breaker(b),
        None => d.circuit_breaker,
    };
    let calls = v.count_u32("calls", &long.calls).unwrap_or(1);
    if calls == 0 {
        let pos = long.calls.as_ref().map_or(to.pos, |a| a.pos);
        v.error(
            codes::ZERO_CALLS,
            format!("dependency `{written}` of `{caller_name}` has `calls: 0`"),
            pos,
            Some("remove the dependency, or make it at least 1 call per request".into()),
        );
    }
    let criticality = v.word(
        "criticality",
        &long.criticality,
        &CRITICALITIES,
        Criticality::Hard,
    );
    let mode = v.word("mode", &long.mode, &MODES, Mode::Sync);
    let phase = v.word("phase", &long.phase, &PHASES, Phase::Request);
    let buffer = v.count("buffer", &long.buffer).map(|b| b as f64);
    if let (Some(b), Mode::Sync) = (&long.buffer, mode) {
        v.warning(codes::BUFFER_ON_SYNC, format!("`buffer` on the synchronous dependency `{written}` of `{caller_name}` has no effect"), b.pos, Some("add `mode: async` if this is a hand-off".into()));
    }

    let fallback =
        long.fallback
            .as_ref()
            .and_then(|f| match (&f.value.serve_stale_for, &f.value.to) {
                (Some(_), None) => v
                    .duration("fallback.serve_stale_for", &f.value.serve_stale_for)
                    .map(|for_s| Fallback::ServeStale { for_s }),
                (None, Some(alt)) => service_ref(v, dir, caller, caller_name, "fallback", alt)
                    .map(|to| Fallback::Failover { to }),
                (Some(_), Some(_)) => {
                    v.error(
                        codes::BAD_FALLBACK,
                        "a fallback either serves stale copies or fails over, not both",
                        f.pos,
                        Some("keep `serve_stale_for` or `to`".into()),
                    );
                    None
                }
                (None, None) => {
                    v.error(
                    codes::BAD_FALLBACK,
                    "empty fallback",
                    f.pos,
                    Some(
                        "write `fallback: { serve_stale_for: 10m }` or `fallback: { to: standby }`"
                            .into(),
                    ),
                );
                    None
                }
            });
    let cache = long.cache.as_ref().and_then(|c| {
        let hit_ratio = v.fraction("cache.hit_ratio", &Some(c.value.hit_ratio.clone()));
        let on_miss = service_ref(
            v,
            dir,
            caller,
            caller_name,
            "cache's `on_miss`",
            &c.value.on_miss,
        );
        // A cold cache refills over 5 minutes unless told otherwise.
        let warm_up_s = v
            .duration("cache.warm_up", &c.value.warm_up)
            .unwrap_or(DEFAULT_WARM_UP_S);
        Some(CacheEdge {
            hit_ratio: hit_ratio?,
            on_miss: on_miss?,
            warm_up_s,
        })
    });
    if let (Some(c), Some(_)) = (&long.cache, &long.fallback) {
        v.error(
            codes::CACHE_AND_FALLBACK,
            "a dependency cannot be both a cache edge and have a fallback",
            c.pos,
            Some("a cache's `on_miss` already says where calls go when it cannot answer".into()),
        );
    }

    Some(Dependency {
        written,
        target: target?,
        timeout_s,
        retries,
        retry_budget,
        circuit_breaker,
        calls: calls.max(1),
        criticality,
        mode,
        phase,
        buffer,
        fallback,
        cache,
        pos: to.pos,
    })
}
