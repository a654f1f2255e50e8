//! The validated model: every value parsed, every name resolved, every
//! default applied. Downstream code never sees raw YAML.

use std::collections::HashMap;

use serde::Serialize;

use crate::finding::Pos;

/// Index of a service in [`Model::services`] (model order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServiceId(pub u32);

impl ServiceId {
    /// As a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What kind of component a service is; decides its picture and some lints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An ordinary service (the default).
    #[default]
    Service,
    /// A user-facing front end.
    Frontend,
    /// An API gateway or load balancer.
    Gateway,
    /// A database.
    Database,
    /// A cache.
    Cache,
    /// A message queue or broker.
    Queue,
    /// A third-party system outside the team's control.
    External,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Kind; 7] = [
        Kind::Service,
        Kind::Frontend,
        Kind::Gateway,
        Kind::Database,
        Kind::Cache,
        Kind::Queue,
        Kind::External,
    ];

    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Frontend => "frontend",
            Kind::Gateway => "gateway",
            Kind::Database => "database",
            Kind::Cache => "cache",
            Kind::Queue => "queue",
            Kind::External => "external",
        }
    }

    /// Whether the kind holds state (databases, caches, queues).
    pub fn is_stateful(self) -> bool {
        matches!(self, Kind::Database | Kind::Cache | Kind::Queue)
    }
}

/// Whether a dependency's errors fail the caller (`hard`) or degrade it (`soft`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    /// Its failure fails the caller's operation.
    #[default]
    Hard,
    /// Its errors degrade the caller instead.
    Soft,
}

/// Whether the caller waits for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The caller waits.
    #[default]
    Sync,
    /// A hand-off: the caller does not wait.
    Async,
}

/// When the dependency is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// On every request (the default).
    #[default]
    Request,
    /// Only to start (configuration, secrets, migrations).
    Startup,
    /// Polling, heartbeats: degrades, never fails requests.
    Background,
}

/// A circuit breaker on a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CircuitBreaker {
    /// Failure share (0–1) above which the breaker opens.
    pub threshold: f64,
    /// How long it stays open before a probe, in seconds.
    pub open_for_s: f64,
}

/// What keeps a caller alive when a hard dependency fails.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Serve a cached copy for this many seconds.
    ServeStale {
        /// Length of the stale window, in seconds.
        for_s: f64,
    },
    /// Fail over to another service.
    Failover {
        /// The alternative.
        to: ServiceId,
    },
}

/// A look-aside cache edge: hits answered by the target (the cache), misses
/// sent to `on_miss`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CacheEdge {
    /// Share of calls answered by the cache when it is warm (0–1).
    pub hit_ratio: f64,
    /// Where misses go.
    pub on_miss: ServiceId,
    /// Time for a cold cache to climb back to `hit_ratio`, in seconds.
    pub warm_up_s: f64,
}

/// Where a dependency points: a service, or one of its operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    /// The service called.
    pub service: ServiceId,
    /// The operation called, as an index into its `operations`; `None`
    /// splits the call over all operations by their traffic.
    pub operation: Option<usize>,
}

/// One dependency edge with its effective policy (defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dependency {
    /// The name as the user wrote it (`catalog`, `user-service.login`).
    pub written: String,
    /// What it resolves to.
    pub target: Target,
    /// The caller's timeout for one attempt, in seconds (`None`: waits forever).
    pub timeout_s: Option<f64>,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// At most this share of calls may be retries.
    pub retry_budget: Option<f64>,
    /// The breaker, if any.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Calls per request (fan-out).
    pub calls: u32,
    /// Hard or soft.
    pub criticality: Criticality,
    /// Sync or async.
    pub mode: Mode,
    /// Request, startup or background.
    pub phase: Phase,
    /// Requests an async hand-off holds (`None`: unbounded).
    pub buffer: Option<f64>,
    /// Stale copy or failover.
    pub fallback: Option<Fallback>,
    /// Look-aside cache behaviour.
    pub cache: Option<CacheEdge>,
    /// Where it was written.
    #[serde(skip)]
    pub pos: Pos,
}

impl Dependency {
    /// Whether the edge can fail the caller's requests at all: hard, sync,
    /// request phase.
    pub fn is_hard_path(&self) -> bool {
        self.criticality == Criticality::Hard
            && self.mode == Mode::Sync
            && self.phase == Phase::Request
    }
}

/// The 99th percentile of the standard normal distribution: a lognormal
/// through `p50` and `p99` has σ = ln(p99 ÷ p50) ÷ this.
pub const Z99: f64 = 2.326_347_874_040_840_8;

/// Own work per request: how long a replica works on one request when it
/// has a server free (docs/engine.md, "Latency distributions and timeouts").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "shape", rename_all = "lowercase")]
pub enum Latency {
    /// An exponential time with this mean, in seconds (0: no own work).
    Exponential {
        /// The mean, in seconds.
        mean_s: f64,
    },
    /// A lognormal through its median and 99th percentile, in seconds
    /// (`p99_s` > `p50_s` > 0).
    Lognormal {
        /// The median.
        p50_s: f64,
        /// The 99th percentile.
        p99_s: f64,
    },
}

impl Latency {
    /// No own work.
    pub const ZERO: Latency = Latency::Exponential { mean_s: 0.0 };

    /// The mean time, in seconds.
    pub fn mean_s(&self) -> f64 {
        match *self {
            Latency::Exponential { mean_s } => mean_s,
            Latency::Lognormal { p50_s, p99_s } => {
                let sigma = (p99_s / p50_s).ln() / Z99;
                p50_s * (sigma * sigma / 2.0).exp()
            }
        }
    }
}

/// An operation (endpoint) of a service. A service that declares none has one
/// implicit operation named `default`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    /// Its name (`default` when implicit).
    pub name: String,
    /// Entry traffic in requests per second, if users call it directly.
    pub rps: Option<f64>,
    /// Own work per request.
    pub latency: Latency,
    /// Whether dependencies are called at once (`true`) or in turn.
    pub parallel: bool,
    /// Its dependencies: the service-level ones first, then its own.
    pub depends_on: Vec<Dependency>,
    /// Where it was declared (the service's position when implicit).
    #[serde(skip)]
    pub pos: Pos,
}

/// Automatic scaling of a service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Autoscale {
    /// The ceiling.
    pub max_replicas: u32,
    /// Utilisation (0–1) above which a replica is added.
    pub above: f64,
    /// How long utilisation must stay above before scaling, in seconds.
    pub delay_s: f64,
}

/// One service, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// Its name (any non-empty string).
    pub name: String,
    /// What kind of component it is.
    pub kind: Kind,
    /// Replicas running.
    pub replicas: u32,
    /// Replicas that must be up for it to serve.
    pub quorum: u32,
    /// The zones its replicas are spread over, in order (replica k lives in
    /// `zones[(k-1) mod n]`); empty when the model has no zones.
    pub zones: Vec<String>,
    /// Requests per second one replica serves (`None`: unlimited).
    pub capacity: Option<f64>,
    /// In-flight requests one replica holds (`None`: unlimited).
    pub concurrency: Option<f64>,
    /// Requests one replica lets wait beyond its concurrency (`None`: unlimited).
    pub queue: Option<f64>,
    /// Availability of one replica (0–1).
    pub availability: f64,
    /// Time for a replica to come back up, in seconds.
    pub start_time_s: f64,
    /// Automatic scaling, if any.
    pub autoscale: Option<Autoscale>,
    /// Its operations; exactly one (`default`) when none are declared.
    pub operations: Vec<Operation>,
    /// Whether the YAML declared `operations` (else the one is implicit).
    pub declares_operations: bool,
    /// Where it was declared.
    #[serde(skip)]
    pub pos: Pos,
}

impl Service {
    /// Total entry traffic (sum of its operations' `rps`), if it is an entry point.
    pub fn entry_rps(&self) -> Option<f64> {
        let mut any = false;
        let mut sum = 0.0;
        for op in &self.operations {
            if let Some(r) = op.rps {
                any = true;
                sum += r;
            }
        }
        any.then_some(sum)
    }

    /// Whether users call it directly.
    pub fn is_entry(&self) -> bool {
        self.operations.iter().any(|op| op.rps.is_some())
    }

    /// The zone replica `k` (from 1) lives in, if the service has zones.
    pub fn zone_of_replica(&self, k: u32) -> Option<&str> {
        if self.zones.is_empty() || k == 0 {
            return None;
        }
        Some(&self.zones[(k as usize - 1) % self.zones.len()])
    }

    /// How many of its replicas live in `zone`: replica k lives in
    /// `zones[(k-1) mod n]`, so position i holds the replicas i+1, i+1+n, …
    /// up to `replicas` (counted without visiting each replica).
    pub fn replicas_in_zone(&self, zone: &str) -> u32 {
        let n = self.zones.len() as u64;
        let r = u64::from(self.replicas);
        self.zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.as_str() == zone)
            .map(|(i, _)| {
                let i = i as u64;
                if i < r { (r - 1 - i) / n + 1 } else { 0 }
            })
            .sum::<u64>() as u32
    }

    /// The replicas (numbered from 1) that live in `zone`, in order.
    pub fn replicas_of_zone<'a>(&'a self, zone: &'a str) -> impl Iterator<Item = u32> + 'a {
        let n = self.zones.len();
        let replicas = self.replicas;
        self.zones
            .iter()
            .enumerate()
            .filter(move |(_, z)| z.as_str() == zone)
            .flat_map(move |(i, _)| (i as u32 + 1..=replicas).step_by(n.max(1)))
    }

    /// The name of an operation as the outputs show it: `svc.op`, and
    /// `svc.default` for the implicit one.
    pub fn operation_name(&self, index: usize) -> String {
        format!("{}.{}", self.name, self.operations[index].name)
    }
}

/// State thresholds (docs/engine.md, "States and thresholds"), overridable
/// under `defaults.thresholds`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// `down` when success is strictly below this (default 5 %).
    pub down_below: f64,
    /// `degraded` when success is strictly below this (default 99 %).
    pub degraded_below: f64,
    /// `slow` when latency is at least this many times the baseline (default 2).
    pub slow_factor: f64,
    /// … and at least this much above it, in seconds (default 50 ms).
    pub slow_min_s: f64,
}

/// Tolerance for threshold comparisons: `1 − (1 − 0.3)` is
/// 0.30000000000000004, which must not count as "above 30 %".
pub const TOLERANCE: f64 = 1e-9;

/// `x` is strictly below `limit` ("below" is strict: docs/engine.md), beyond float noise.
pub fn below(x: f64, limit: f64) -> bool {
    x < limit - TOLERANCE
}

/// `x` is strictly above `limit`, beyond float noise.
pub fn above(x: f64, limit: f64) -> bool {
    x > limit + TOLERANCE
}

/// `x` is at least `limit` ("at least" includes the boundary: docs/engine.md),
/// float noise included: a 50 ms service slowed ×2 answers in
/// 0.09999999999999999 s, which is twice its latency.
pub fn at_least(x: f64, limit: f64) -> bool {
    x >= limit - TOLERANCE
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            down_below: 0.05,
            degraded_below: 0.99,
            slow_factor: 2.0,
            slow_min_s: 0.05,
        }
    }
}

/// Service names to ids. Foldhash instead of SipHash: a 100,000-service
/// model hashes every name twice while loading, and its per-process seed
/// still keeps collisions unpredictable.
pub(crate) type NameIndex = HashMap<String, ServiceId, foldhash::fast::RandomState>;

/// A validated architecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// The model's name (the file stem when `name` is not given).
    pub name: String,
    /// The declared zones, in order.
    pub zones: Vec<String>,
    /// State thresholds.
    pub thresholds: Thresholds,
    /// `defaults.timeout`: also the timeout of a cache edge's miss calls
    /// (the edge's own `timeout` is the cache client's).
    pub default_timeout_s: Option<f64>,
    services: Vec<Service>,
    #[serde(skip)]
    by_name: NameIndex,
}

impl Model {
    /// A model from validated parts. `services` must have unique names.
    pub fn new(
        name: String,
        zones: Vec<String>,
        thresholds: Thresholds,
        services: Vec<Service>,
    ) -> Self {
        let by_name = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), ServiceId(i as u32)))
            .collect();
        Model {
            name,
            zones,
            thresholds,
            default_timeout_s: None,
            services,
            by_name,
        }
    }

    /// A model from validated parts and the index of their names the
    /// loader built anyway (`by_name[services[i].name] == ServiceId(i)`).
    pub(crate) fn with_index(
        name: String,
        zones: Vec<String>,
        thresholds: Thresholds,
        services: Vec<Service>,
        by_name: NameIndex,
    ) -> Self {
        debug_assert_eq!(by_name.len(), services.len());
        Model {
            name,
            zones,
            thresholds,
            default_timeout_s: None,
            services,
            by_name,
        }
    }

    /// Every service, in model order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Every service, to change policies (a timeline's `set`). Names and
    /// structure must stay as they are.
    pub fn services_mut(&mut self) -> &mut [Service] {
        &mut self.services
    }

    /// One service.
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    /// Every service id, in model order.
    pub fn service_ids(&self) -> impl Iterator<Item = ServiceId> + '_ {
        (0..self.services.len() as u32).map(ServiceId)
    }

    /// The service with exactly this name.
    pub fn find(&self, name: &str) -> Option<ServiceId> {
        self.by_name.get(name).copied()
    }

    /// Entry services, in model order.
    pub fn entry_points(&self) -> impl Iterator<Item = ServiceId> + '_ {
        self.service_ids().filter(|&id| self.service(id).is_entry())
    }

    /// Services with at least one replica in `zone`, in model order.
    pub fn services_in_zone<'a>(&'a self, zone: &'a str) -> impl Iterator<Item = ServiceId> + 'a {
        self.service_ids()
            .filter(move |&id| self.service(id).replicas_in_zone(zone) > 0)
    }

    /// Service names, for did-you-mean hints.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|s| s.name.as_str())
    }
}
