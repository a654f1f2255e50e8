//! The raw model: YAML as written, with positions, unknown keys denied.
//!
//! Leaves are kept as [`Scalar`]s so that a malformed value (`timeout: 250`)
//! does not stop deserialization: validation parses every leaf and reports
//! every problem at once. Only the shape (unknown keys, a list where a map
//! belongs) is checked here, by serde, one problem at a time.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::finding::Pos;

/// A value with the position it was written at.
#[derive(Debug, Clone)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it starts.
    pub pos: Pos,
}

impl<T: PartialEq> PartialEq for At<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for At<T> {}
impl<T: Hash> Hash for At<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for At<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        let loc = spanned.referenced;
        Ok(At {
            value: spanned.value,
            pos: Pos::new(
                u32::try_from(loc.line()).unwrap_or(u32::MAX),
                u32::try_from(loc.column()).unwrap_or(u32::MAX),
            ),
        })
    }
}

impl<T: JsonSchema> JsonSchema for At<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Any YAML scalar, kept as written so validation can judge it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// Text (`250ms`, `30%`, a name).
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `~` or an empty value.
    Null,
}

impl Scalar {
    /// A plain (unquoted) scalar typed by YAML 1.2's core schema: `~`,
    /// `null` or nothing is null; `true`/`false` are booleans (not `yes`,
    /// `on`: names are data); decimal, `0o` and `0x` integers (past `i64`,
    /// a float); decimal floats, `.inf`, `.nan`; anything else is text.
    pub fn plain(text: String) -> Scalar {
        match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
            "true" | "True" | "TRUE" => return Scalar::Bool(true),
            "false" | "False" | "FALSE" => return Scalar::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return Scalar::Float(f64::INFINITY);
            }
            "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
            _ => {}
        }
        let bytes = text.as_bytes();
        let first = bytes[0];
        if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
            return Scalar::Str(text);
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(&text);
        if digits(unsigned) {
            return text.parse::<i64>().map_or_else(
                |_| Scalar::Float(text.parse().unwrap_or(f64::NAN)),
                Scalar::Int,
            );
        }
        for (prefix, radix) in [("0o", 8), ("0x", 16)] {
            if let Some(n) = text.strip_prefix(prefix)
                && !n.is_empty()
                && n.chars().all(|c| c.is_digit(radix))
            {
                return i64::from_str_radix(n, radix).map_or_else(
                    |_| {
                        Scalar::Float(
                            u128::from_str_radix(n, radix).map_or(f64::INFINITY, |v| v as f64),
                        )
                    },
                    Scalar::Int,
                );
            }
        }
        if is_core_float(unsigned)
            && let Ok(f) = text.parse::<f64>()
        {
            return Scalar::Float(f);
        }
        Scalar::Str(text)
    }
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a single value (a number, a duration like `250ms`, or a percentage)")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Scalar, E> {
                Ok(Scalar::Float(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Scalar, E> {
                Ok(Scalar::Float(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Implements [`JsonSchema`] for a type: its name in `$defs` and its
/// schema, written as JSON.
macro_rules! impl_schema {
    ($name:ident, $schema_name:literal, $schema:tt) => {
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

/// Declares a leaf newtype over [`Scalar`] with its own JSON schema, so the
/// schema tells editors what each field takes while parsing stays lenient.
macro_rules! leaf {
    ($(#[$doc:meta])* $name:ident, $schema_name:literal, $schema:tt) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Scalar);
        impl_schema!($name, $schema_name, $schema);
    };
}

leaf!(
    /// A duration with a unit: `250ms`, `1.5s`, `5m`, `1h`, `1d`, `1m30s`.
    RawDuration,
    "Duration",
    {
        "description": "A duration with a unit: 250ms, 1.5s, 5m, 1h, 1d, or compound (1m30s).",
        "type": "string",
        "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$"
    }
);
leaf!(
    /// A fraction: `30%` or `0.3`.
    RawFraction,
    "Fraction",
    {
        "description": "A fraction: 30% or 0.3 (a bare number above 1 is an error).",
        "anyOf": [
            { "type": "number", "minimum": 0, "maximum": 1 },
            { "type": "string", "pattern": "^0*(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)%$" }
        ]
    }
);
leaf!(
    /// A whole number of things (replicas, retries, calls …).
    RawCount,
    "Count",
    { "description": "A whole number.", "type": "integer", "minimum": 0 }
);
leaf!(
    /// A rate in requests per second.
    RawRate,
    "Rate",
    { "description": "Requests per second.", "type": "number", "minimum": 0 }
);
leaf!(
    /// A plain positive number (a factor).
    RawNumber,
    "Number",
    { "description": "A number.", "type": "number", "minimum": 0 }
);

/// Declares a schema-only type for a field whose values run narrower than
/// its leaf's (`replicas` is a [`RawCount`] of at least 1): the field
/// parses as its leaf, and the loader checks the range again, so the
/// schema only tells editors sooner what `check` would refuse.
macro_rules! narrower_schema {
    ($(#[$doc:meta])* $name:ident, $schema_name:literal, $schema:tt) => {
        $(#[$doc])*
        pub struct $name;
        impl_schema!($name, $schema_name, $schema);
    };
}

narrower_schema!(
    /// Schema of a number of replicas (`replicas`, `autoscale.max_replicas`).
    ReplicaCountSchema,
    "ReplicaCount",
    {
        "description": format!("A number of replicas: 1 to {}.", super::read::MAX_REPLICAS),
        "type": "integer",
        "minimum": 1,
        "maximum": super::read::MAX_REPLICAS
    }
);
narrower_schema!(
    /// Schema of a count that cannot be 0 (`quorum`, `calls`).
    PositiveCountSchema,
    "PositiveCount",
    { "description": "A whole number, at least 1.", "type": "integer", "minimum": 1 }
);
narrower_schema!(
    /// Schema of `thresholds.slow_factor`.
    FactorSchema,
    "Factor",
    { "description": "A factor, at least 1.", "type": "number", "minimum": 1 }
);

/// A name from a fixed list (kind, criticality, mode, phase): kept as text so
/// that a typo gets a did-you-mean instead of a bare serde error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct RawWord(pub String);

/// Declares a schema-only enum for a [`RawWord`] field.
macro_rules! word_schema {
    ($name:ident, $schema_name:literal, [$($word:literal),*]) => {
        /// Schema of a word field.
        pub struct $name;
        impl_schema!($name, $schema_name, { "type": "string", "enum": [$($word),*] });
    };
}

word_schema!(
    KindSchema,
    "Kind",
    [
        "service", "frontend", "gateway", "database", "cache", "queue", "external"
    ]
);
word_schema!(CriticalitySchema, "Criticality", ["hard", "soft"]);
word_schema!(ModeSchema, "Mode", ["sync", "async"]);
word_schema!(PhaseSchema, "Phase", ["request", "startup", "background"]);

/// The whole file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "whatif model",
    description = "An architecture for whatif: services, their dependencies and policies."
)]
pub struct RawModel {
    /// The architecture's name (defaults to the file name).
    #[serde(default)]
    pub name: Option<At<String>>,
    /// Availability zones; replica k of a service lives in its zones[(k-1) mod n].
    #[serde(default)]
    pub zones: Option<Vec<At<String>>>,
    /// Policies applied to every dependency that does not set its own, and state thresholds.
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    /// The services, by name, in model order.
    pub services: At<IndexMap<At<String>, At<RawService>>>,
}

/// `defaults:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// Timeout of every dependency that does not set one.
    #[serde(default)]
    pub timeout: Option<At<RawDuration>>,
    /// Retries of every dependency that does not set them.
    #[serde(default)]
    pub retries: Option<At<RawCount>>,
    /// Retry budget of every dependency that does not set one.
    #[serde(default)]
    pub retry_budget: Option<At<RawFraction>>,
    /// Circuit breaker of every dependency that does not set one.
    #[serde(default)]
    pub circuit_breaker: Option<At<RawBreaker>>,
    /// When a service or operation counts as down, degraded or slow.
    #[serde(default)]
    pub thresholds: Option<RawThresholds>,
}

/// `defaults.thresholds`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// Down when success is strictly below this (default 5%).
    #[serde(default)]
    pub down_below: Option<At<RawFraction>>,
    /// Degraded when success is strictly below this (default 99%).
    #[serde(default)]
    pub degraded_below: Option<At<RawFraction>>,
    /// Slow when latency is at least this many times its healthy baseline (default 2).
    #[serde(default)]
    #[schemars(with = "Option<FactorSchema>")]
    pub slow_factor: Option<At<RawNumber>>,
    /// … and at least this much above it (default 50ms).
    #[serde(default)]
    pub slow_min: Option<At<RawDuration>>,
}

/// `circuit_breaker: { threshold, open_for }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    /// Opens when the failure share is strictly above this.
    pub threshold: At<RawFraction>,
    /// Stays open this long before letting a probe through.
    pub open_for: At<RawDuration>,
}

/// `entry: { rps }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    /// User requests per second entering here.
    pub rps: At<RawRate>,
}

/// `autoscale: { max_replicas, above, delay }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscale {
    /// The ceiling.
    #[schemars(with = "ReplicaCountSchema")]
    pub max_replicas: At<RawCount>,
    /// Add a replica when utilisation stays above this …
    pub above: At<RawFraction>,
    /// … for this long.
    pub delay: At<RawDuration>,
}

/// One service.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// service (default), frontend, gateway, database, cache, queue or external.
    #[serde(default)]
    #[schemars(with = "Option<KindSchema>")]
    pub kind: Option<At<RawWord>>,
    /// User traffic entering here.
    #[serde(default)]
    pub entry: Option<At<RawEntry>>,
    /// Replicas running (default 1).
    #[serde(default)]
    #[schemars(with = "Option<ReplicaCountSchema>")]
    pub replicas: Option<At<RawCount>>,
    /// Zones its replicas are spread over, in order (default: all the model's zones; none for `kind: external`).
    #[serde(default)]
    pub zones: Option<Vec<At<String>>>,
    /// Replicas that must be up for it to serve (default 1).
    #[serde(default)]
    #[schemars(with = "Option<PositiveCountSchema>")]
    pub quorum: Option<At<RawCount>>,
    /// Requests per second one replica can serve (default unlimited).
    #[serde(default)]
    pub capacity: Option<At<RawRate>>,
    /// In-flight requests one replica holds (default unlimited).
    #[serde(default)]
    pub concurrency: Option<At<RawCount>>,
    /// Requests one replica lets wait beyond its concurrency (default unlimited).
    #[serde(default)]
    pub queue: Option<At<RawCount>>,
    /// Own work per request: a mean (exponential), or `{ p50, p99 }` (lognormal); default 0ms.
    #[serde(default)]
    pub latency: Option<At<RawLatency>>,
    /// Availability of one replica (default 100%).
    #[serde(default)]
    pub availability: Option<At<RawFraction>>,
    /// A replica's time to come back up (default 0s).
    #[serde(default)]
    pub start_time: Option<At<RawDuration>>,
    /// Add replicas under sustained load.
    #[serde(default)]
    pub autoscale: Option<At<RawAutoscale>>,
    /// Call dependencies at once (true) or one after another (false, default).
    #[serde(default)]
    pub parallel: Option<At<bool>>,
    /// Dependencies of every operation.
    #[serde(default)]
    pub depends_on: Option<Vec<At<RawDependency>>>,
    /// Endpoints, each with its own traffic and dependencies.
    #[serde(default)]
    pub operations: Option<IndexMap<At<String>, At<RawOperation>>>,
}

/// One operation (endpoint).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOperation {
    /// User requests per second (makes it an entry operation).
    #[serde(default)]
    pub rps: Option<At<RawRate>>,
    /// Own work per request (default: the service's).
    #[serde(default)]
    pub latency: Option<At<RawLatency>>,
    /// Call dependencies at once (default: the service's).
    #[serde(default)]
    pub parallel: Option<At<bool>>,
    /// Its own dependencies (the service's apply too).
    #[serde(default)]
    pub depends_on: Option<Vec<At<RawDependency>>>,
}

/// Own work per request: a duration (the mean of an exponential time) or
/// its tail, `{ p50: 10ms, p99: 250ms }` (a lognormal through both).
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawLatency {
    /// `latency: 15ms`
    Mean(RawDuration),
    /// `latency: { p50: 10ms, p99: 250ms }`
    Tail(RawLatencyTail),
}

/// `latency: { p50, p99 }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLatencyTail {
    /// The median time.
    pub p50: At<RawDuration>,
    /// The 99th percentile (above the median).
    pub p99: At<RawDuration>,
}

impl<'de> Deserialize<'de> for RawLatency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LatencyVisitor;
        impl<'de> Visitor<'de> for LatencyVisitor {
            type Value = RawLatency;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration like `15ms`, or `{ p50: 10ms, p99: 250ms }`")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Int(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(
                    i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
                )))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Float(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Str(v.to_owned()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Bool(v))))
            }
            fn visit_unit<E>(self) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Null)))
            }
            fn visit_none<E>(self) -> Result<RawLatency, E> {
                Ok(RawLatency::Mean(RawDuration(Scalar::Null)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawLatency, A::Error> {
                let tail = RawLatencyTail::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawLatency::Tail(tail))
            }
        }
        deserializer.deserialize_any(LatencyVisitor)
    }
}

/// A dependency: a bare name (hard, sync, defaults) or a map with policies.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawDependency {
    /// `- catalog`
    Short(String),
    /// `- to: catalog …`
    Long(Box<RawDependencyLong>),
}

impl<'de> Deserialize<'de> for RawDependency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DepVisitor;
        impl<'de> Visitor<'de> for DepVisitor {
            type Value = RawDependency;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a service name, or a map with `to:` and policies")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawDependency, E> {
                Ok(RawDependency::Short(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawDependency, E> {
                Ok(RawDependency::Short(v))
            }
            // A service may be named `404`: names are data, even when YAML reads a number.
            fn visit_i64<E>(self, v: i64) -> Result<RawDependency, E> {
                Ok(RawDependency::Short(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawDependency, E> {
                Ok(RawDependency::Short(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDependency, A::Error> {
                let long =
                    RawDependencyLong::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawDependency::Long(Box::new(long)))
            }
        }
        deserializer.deserialize_any(DepVisitor)
    }
}

/// The long form of a dependency.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDependencyLong {
    /// The service (or `service.operation`) called.
    pub to: At<String>,
    /// Give up on one attempt after this long (default: defaults.timeout, else wait forever).
    #[serde(default)]
    pub timeout: Option<At<RawDuration>>,
    /// Retries after a failed attempt (default 0).
    #[serde(default)]
    pub retries: Option<At<RawCount>>,
    /// Retries at most this share of calls.
    #[serde(default)]
    pub retry_budget: Option<At<RawFraction>>,
    /// Fail fast while the callee keeps failing.
    #[serde(default)]
    pub circuit_breaker: Option<At<RawBreaker>>,
    /// Calls per request (fan-out, default 1).
    #[serde(default)]
    #[schemars(with = "Option<PositiveCountSchema>")]
    pub calls: Option<At<RawCount>>,
    /// hard (default): its failure fails the caller; soft: its errors degrade it.
    #[serde(default)]
    #[schemars(with = "Option<CriticalitySchema>")]
    pub criticality: Option<At<RawWord>>,
    /// sync (default): the caller waits; async: a hand-off.
    #[serde(default)]
    #[schemars(with = "Option<ModeSchema>")]
    pub mode: Option<At<RawWord>>,
    /// request (default), startup (needed only to start) or background.
    #[serde(default)]
    #[schemars(with = "Option<PhaseSchema>")]
    pub phase: Option<At<RawWord>>,
    /// Requests an async hand-off holds (default unlimited).
    #[serde(default)]
    pub buffer: Option<At<RawCount>>,
    /// What keeps the caller up when this fails.
    #[serde(default)]
    pub fallback: Option<At<RawFallback>>,
    /// This edge is a look-aside cache: hits answered here, misses sent on.
    #[serde(default)]
    pub cache: Option<At<RawCache>>,
}

/// `fallback: { serve_stale_for }` or `fallback: { to }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFallback {
    /// Serve a cached copy this long.
    #[serde(default)]
    pub serve_stale_for: Option<At<RawDuration>>,
    /// Fail over to this service.
    #[serde(default)]
    pub to: Option<At<String>>,
}

/// `cache: { hit_ratio, on_miss, warm_up }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    /// Share of calls answered by the warm cache.
    pub hit_ratio: At<RawFraction>,
    /// Where misses go.
    pub on_miss: At<String>,
    /// Time for a cold cache to warm up again (default 5m).
    #[serde(default)]
    pub warm_up: Option<At<RawDuration>>,
}
