//! Validation of names and cross-references, once a document is read
//! ([`super::read`]): dependencies, fallbacks and `on_miss` resolved to
//! services and operations, `defaults` applied to every edge that does not
//! set its own policy, zones checked, and the model-wide warnings. Every
//! finding is collected, not just the first, each with a stable code, a
//! position and a hint.
//!
//! A document with errors is still resolved as far as it goes, and its
//! warnings are given beside its errors wherever they can be told; a
//! warning never rests on a guess about what an erroneous value meant:
//!
//! - W001 (cycles, found by `check` on the graph of the model as far as it
//!   was built): only the dependencies whose names resolve are there;
//!   unknown, ambiguous and self-dependencies are dropped, so a cycle
//!   through a misspelt name shows once the name is fixed, and every cycle
//!   shown is made of edges the file really has.
//! - W002 (look-alike names) and W003 (`buffer` on a synchronous edge)
//!   are about one place each and stand beside any error elsewhere; W003
//!   is not given where the edge's `mode` did not read (it may have meant
//!   `async`).
//! - W004 (no entry point) and W005 (an unused zone) are claims about
//!   every service, so each is given only when every value it rests on
//!   read ([`Unread`]): an `entry` or `rps` that did not parse might have
//!   been the entry point, a `zones` list that did not read might have
//!   used the zone.
//! - W006 (a repeated dependency) compares dependencies whose names
//!   resolve and whose `mode` and `phase` read.

use std::collections::{HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;

use super::raw::At;
use super::read::{DepList, Document, EdgeDefaults, Extra, Unread};
use super::resolve::{Resolved, readings, resolve};
use super::types::{
    CacheEdge, Dependency, Fallback, Kind, Mode, Model, NameIndex, Phase, Service, ServiceId,
    Target,
};
use crate::finding::{Finding, Pos, did_you_mean_hint, shorten};

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
    /// Two names that differ only in invisible characters or Unicode
    /// normalisation (`café` written two ways, `db` and `db` + U+200B).
    pub const LOOKALIKE: &str = "W002";
    /// `buffer` on a synchronous edge (it only applies to async hand-offs).
    pub const BUFFER_ON_SYNC: &str = "W003";
    /// No service receives user traffic.
    pub const NO_ENTRY: &str = "W004";
    /// A declared zone that no service has a replica in (probably a typo).
    pub const UNUSED_ZONE: &str = "W005";
    /// A dependency listed again for the same caller: same target, same
    /// `mode`, both on the request path. Each entry is a call of its own.
    pub const REPEATED_DEPENDENCY: &str = "W006";
}

/// How long a cold cache takes to climb back to its hit ratio when the
/// model does not say (`cache.warm_up`).
pub const DEFAULT_WARM_UP_S: f64 = 300.0;

/// Names known once the document is read.
struct Directory<'a> {
    names: &'a NameIndex,
    services: &'a [Service],
}

impl Directory<'_> {
    fn name(&self, service: ServiceId) -> &str {
        &self.services[service.index()].name
    }
}

/// Collects findings while names are resolved.
struct Validator<'f> {
    findings: &'f mut Vec<Finding>,
    /// Where the dependencies whose `mode` or `phase` did not read are
    /// written (an alias replays a node at its position, unread alike).
    unknown_kind: HashSet<Pos>,
}

impl Validator<'_> {
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
}

/// Resolves a read document's names into a [`Model`], adding findings.
/// Returns the model when it could be built (callers check the findings
/// for errors).
pub fn finish(doc: Document, default_name: String, findings: &mut Vec<Finding>) -> Option<Model> {
    let mut v = Validator {
        findings,
        unknown_kind: HashSet::new(),
    };
    let Document {
        name,
        zones,
        defaults,
        thresholds,
        mut services,
        pending,
        names,
        services_pos,
        unread,
    } = doc;

    let mut used_zones = vec![false; zones.len()];
    for (i, pending) in pending.into_iter().enumerate() {
        let id = ServiceId(i as u32);
        let service_zones =
            service_zones(&mut v, &services[i], &zones, &mut used_zones, pending.zones);
        let dir = Directory {
            names: &names,
            services: &services,
        };
        let shared = dependencies(&mut v, &dir, defaults, id, pending.shared);
        repeated_dependencies(&mut v, &dir, id, None, &[], &shared);
        let own: Vec<Vec<Dependency>> = pending
            .own
            .into_iter()
            .map(|list| dependencies(&mut v, &dir, defaults, id, list))
            .collect();
        for (op, own) in services[i].operations.iter().zip(&own) {
            repeated_dependencies(&mut v, &dir, id, Some(&op.name), &shared, own);
        }
        let service = &mut services[i];
        service.zones = service_zones;
        if own.is_empty() {
            // No declared operations: the implicit one takes the shared list.
            service.operations[0].depends_on = shared;
        } else {
            for (op, own) in service.operations.iter_mut().zip(own) {
                let mut deps = Vec::with_capacity(shared.len() + own.len());
                deps.extend_from_slice(&shared);
                deps.extend(own);
                op.depends_on = deps;
            }
        }
    }

    if !services.is_empty() {
        model_wide_warnings(&mut v, &services, &zones, &used_zones, services_pos, unread);
    }
    lookalikes(&mut v, &services, &zones);

    let name = name.map_or(default_name, |n| n.value);
    let zones = zones.into_iter().map(|z| z.value).collect();
    let mut model = Model::with_index(name, zones, thresholds, services, names);
    model.default_timeout_s = defaults.timeout_s;
    Some(model)
}

/// W005 (a declared zone no service uses) and W004 (no entry point):
/// claims about every service, each given only when what it rests on
/// read (see the module docs).
fn model_wide_warnings(
    v: &mut Validator,
    services: &[Service],
    zones: &[At<String>],
    used_zones: &[bool],
    services_pos: Option<Pos>,
    unread: Unread,
) {
    if !unread.placement {
        for (z, used) in zones.iter().zip(used_zones) {
            if !used {
                v.warning(
                    codes::UNUSED_ZONE,
                    format!("no service has a replica in zone `{}`", shorten(&z.value)),
                    z.pos,
                    Some("check the services' `zones` lists for a typo".into()),
                );
            }
        }
    }
    if !unread.traffic && !services.iter().any(Service::is_entry) {
        v.warning(
            codes::NO_ENTRY,
            "no service receives user traffic",
            services_pos.unwrap_or_default(),
            Some(
                "mark the front door with `entry: { rps: 100 }` so analyses know what users call"
                    .into(),
            ),
        );
    }
}

/// A service's zones: as listed (each checked against the model's), or
/// all of the model's, or none for `kind: external`.
fn service_zones(
    v: &mut Validator,
    service: &Service,
    zones: &[At<String>],
    used: &mut [bool],
    listed: Option<Vec<At<String>>>,
) -> Vec<String> {
    let name = shorten(&service.name);
    let mut out: Vec<String> = Vec::new();
    match listed {
        Some(list) => {
            for z in list {
                match zones.iter().position(|x| x.value == z.value) {
                    Some(i) if out.contains(&z.value) => {
                        used[i] = true;
                        v.error(
                            codes::DUPLICATE_NAME,
                            format!("zone `{}` is listed twice for `{name}`", shorten(&z.value)),
                            z.pos,
                            None,
                        );
                    }
                    Some(i) => {
                        used[i] = true;
                        out.push(z.value);
                    }
                    None => {
                        let hint = if zones.is_empty() {
                            "declare the model's zones at the top level: `zones: [...]`".to_string()
                        } else {
                            did_you_mean_hint(&z.value, zones.iter().map(|x| x.value.as_str()))
                                .unwrap_or_else(|| {
                                    format!(
                                        "declared zones: {}",
                                        zones
                                            .iter()
                                            .map(|x| x.value.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                })
                        };
                        v.error(
                            codes::UNKNOWN_ZONE,
                            format!(
                                "service `{name}` names unknown zone `{}`",
                                shorten(&z.value)
                            ),
                            z.pos,
                            Some(hint),
                        );
                    }
                }
            }
        }
        // Someone else's system (a card network, a mail provider) lives in
        // none of our zones unless it says so: a zone outage never takes it.
        None if service.kind == Kind::External => {}
        None => {
            used.iter_mut().for_each(|u| *u = true);
            out = zones.iter().map(|z| z.value.clone()).collect();
        }
    }
    out
}

/// Resolves a service name used by a fallback or `on_miss`.
fn service_ref(
    v: &mut Validator,
    dir: &Directory,
    caller: ServiceId,
    what: &str,
    at: &At<String>,
) -> Option<ServiceId> {
    let caller_name = shorten(dir.name(caller));
    match dir.names.get(at.value.as_str()) {
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
            let hint = did_you_mean_hint(&at.value, dir.services.iter().map(|s| s.name.as_str()));
            v.error(
                codes::UNKNOWN_FALLBACK,
                format!(
                    "`{caller_name}` names unknown service `{}` as its {what}",
                    shorten(&at.value)
                ),
                at.pos,
                hint,
            );
            None
        }
    }
}

/// A `depends_on` list with its names resolved and `defaults` applied;
/// dependencies whose target cannot be resolved, or is the caller's own
/// service, are reported and dropped.
fn dependencies(
    v: &mut Validator,
    dir: &Directory,
    d: EdgeDefaults,
    caller: ServiceId,
    list: DepList,
) -> Vec<Dependency> {
    let DepList { mut deps, extras } = list;
    let mut extras = extras.into_iter().peekable();
    let mut unresolved = false;
    for (i, dep) in deps.iter_mut().enumerate() {
        let extra = match extras.next_if(|(at, _)| *at == i) {
            Some((_, extra)) => extra,
            None => Extra::default(),
        };
        unresolved |= !dependency(v, dir, d, caller, dep, extra);
    }
    if unresolved {
        deps.retain(|dep| dep.target.service != UNRESOLVED);
    }
    deps
}

/// The placeholder of a target not (yet) resolved.
const UNRESOLVED: ServiceId = ServiceId(u32::MAX);

/// Resolves one dependency's names and applies `defaults`; `false`
/// (reported) when its target cannot be resolved or is the caller itself
/// (so a model with errors, built as far as it goes, has no self-loops).
fn dependency(
    v: &mut Validator,
    dir: &Directory,
    d: EdgeDefaults,
    caller: ServiceId,
    dep: &mut Dependency,
    extra: Extra,
) -> bool {
    let Extra {
        explicit,
        names,
        kind_unread,
    } = extra;
    if kind_unread {
        v.unknown_kind.insert(dep.pos);
    }
    let caller_name = shorten(dir.name(caller));
    let written = shorten(&dep.written);
    let mut target = match resolve(dir.names, dir.services, &dep.written) {
        Resolved::Found(t) => Some(t),
        Resolved::Ambiguous {
            service,
            operations,
        } => {
            let readings = readings(dir.services, &dep.written, service, &operations, |s| {
                shorten(s).to_string()
            });
            v.error(
                codes::AMBIGUOUS_TARGET,
                format!(
                    "dependency `{written}` of `{caller_name}` is ambiguous: it could be {}",
                    readings.join(" or ")
                ),
                dep.pos,
                Some("rename the service or the operation so only one reading remains".into()),
            );
            None
        }
        Resolved::UnknownOperation { service, operation } => {
            let svc = shorten(dir.name(service));
            let ops: Vec<&str> = dir.services[service.index()]
                .operations
                .iter()
                .map(|o| o.name.as_str())
                .collect();
            let hint = crate::finding::did_you_mean(&operation, ops.iter().copied())
                .map(|op| format!("did you mean `{svc}.{}`?", shorten(op)))
                .unwrap_or_else(|| format!("`{svc}` has operations: {}", ops.join(", ")));
            v.error(
                codes::UNKNOWN_OPERATION,
                format!(
                    "`{caller_name}` depends on unknown operation `{}` of service `{svc}`",
                    shorten(&operation)
                ),
                dep.pos,
                Some(hint),
            );
            None
        }
        Resolved::Unknown => {
            let hint =
                did_you_mean_hint(&dep.written, dir.services.iter().map(|s| s.name.as_str()));
            v.error(
                codes::UNKNOWN_SERVICE,
                format!("service `{caller_name}` depends on unknown service `{written}`"),
                dep.pos,
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
            dep.pos,
            Some(
                "remove the dependency; a service's internal calls are part of its latency".into(),
            ),
        );
        target = None;
    }
    if !explicit.timeout {
        dep.timeout_s = d.timeout_s;
    }
    if !explicit.retries {
        dep.retries = d.retries;
    }
    if !explicit.retry_budget {
        dep.retry_budget = d.retry_budget;
    }
    if !explicit.circuit_breaker {
        dep.circuit_breaker = d.circuit_breaker;
    }
    if let Some(names) = names {
        if let Some(to) = &names.failover {
            dep.fallback =
                service_ref(v, dir, caller, "fallback", to).map(|to| Fallback::Failover { to });
        }
        if let Some(c) = &names.cache {
            let on_miss = service_ref(v, dir, caller, "cache's `on_miss`", &c.on_miss);
            dep.cache = c
                .hit_ratio
                .zip(on_miss)
                .map(|(hit_ratio, on_miss)| CacheEdge {
                    hit_ratio,
                    on_miss,
                    warm_up_s: c.warm_up_s,
                });
        }
    }
    match target {
        Some(target) => {
            dep.target = target;
            true
        }
        None => {
            dep.target.service = UNRESOLVED;
            false
        }
    }
}

/// Lists longer than this look for repeats through a hash map; shorter
/// ones (nearly all) compare pairwise, allocating nothing.
const SHORT_LIST: usize = 16;

/// W006: an entry of `list` that calls what an earlier one of the same
/// operation already calls, the same way: the same target (service or
/// operation), the same `mode`, both `phase: request`. `earlier` is the
/// service-level `depends_on` when `list` is an operation's own (an
/// operation takes both), else empty; `operation` names it.
///
/// The engine keeps each entry as an edge of its own, so a repeat is
/// counted, not ignored: it adds its `calls` to every request, as
/// `calls: 2` on one entry would: load on the target and, for a hard
/// synchronous call, its time and one more call that must succeed (at 50 %
/// errors on `db`, `[db, db]` succeeds 25 %). The message says so. Entries on other phases carry no
/// requests, and a call beside a hand-off is two ways of using one
/// service: neither is a repeat. Entries whose `mode` or `phase` did not
/// read are not compared (what they are is not known).
fn repeated_dependencies(
    v: &mut Validator,
    dir: &Directory,
    caller: ServiceId,
    operation: Option<&str>,
    earlier: &[Dependency],
    list: &[Dependency],
) {
    let repeats = repeats(earlier, list, &v.unknown_kind);
    if repeats.is_empty() {
        return;
    }
    let caller_name = shorten(dir.name(caller));
    let subject = match operation {
        Some(op) => format!("operation `{}` of `{caller_name}`", shorten(op)),
        None => format!("`{caller_name}`"),
    };
    for Repeat {
        dep,
        first_in_earlier,
        calls_so_far,
    } in repeats
    {
        let target = shorten(&dep.written);
        let again = if first_in_earlier {
            format!("depends on `{target}`, which its service's `depends_on` already lists")
        } else {
            format!("depends on `{target}` again")
        };
        let calls = dep.calls;
        v.warning(
            codes::REPEATED_DEPENDENCY,
            format!(
                "{subject} {again}: each entry is a call of its own, so this one adds {calls} more call{} to `{target}` per request",
                if calls == 1 { "" } else { "s" }
            ),
            dep.pos,
            Some(format!(
                "keep one entry; if each request really calls `{target}` {calls_so_far} times, say so with `calls: {calls_so_far}` on it"
            )),
        );
    }
}

/// An entry that repeats an earlier one ([`repeated_dependencies`]).
struct Repeat<'d> {
    /// The entry.
    dep: &'d Dependency,
    /// Whether the first entry it repeats is in the service-level list.
    first_in_earlier: bool,
    /// The `calls` of every entry with its target and mode, up to and
    /// including this one.
    calls_so_far: u64,
}

/// The entries of `list` that repeat one before them in `earlier` then
/// `list`, in order; entries written where `unknown_kind` says are left
/// out. Linear, whatever the lists' length.
fn repeats<'d>(
    earlier: &'d [Dependency],
    list: &'d [Dependency],
    unknown_kind: &HashSet<Pos>,
) -> Vec<Repeat<'d>> {
    let total = earlier.len() + list.len();
    let mut found = Vec::new();
    if list.is_empty() || total < 2 {
        return found;
    }
    let at = |k: usize| {
        if k < earlier.len() {
            &earlier[k]
        } else {
            &list[k - earlier.len()]
        }
    };
    let key = |d: &Dependency| -> Option<(Target, Mode)> {
        (d.phase == Phase::Request && !unknown_kind.contains(&d.pos)).then_some((d.target, d.mode))
    };
    // Per key: the first entry with it, and the calls of those so far.
    let mut hashed: HashMap<(Target, Mode), (usize, u64)> = HashMap::new();
    for k in 0..total {
        let Some(this) = key(at(k)) else { continue };
        let calls = u64::from(at(k).calls);
        let (first, calls_so_far) = if total > SHORT_LIST {
            let seen = hashed.entry(this).or_insert((k, 0));
            seen.1 += calls;
            *seen
        } else {
            let mut first = k;
            let mut so_far = calls;
            for i in (0..k).filter(|&i| key(at(i)) == Some(this)) {
                first = first.min(i);
                so_far += u64::from(at(i).calls);
            }
            (first, so_far)
        };
        if first < k && k >= earlier.len() {
            found.push(Repeat {
                dep: at(k),
                first_in_earlier: first < earlier.len(),
                calls_so_far,
            });
        }
    }
    found
}

/// Characters that show nothing: zero-width spaces and joiners, bidi
/// controls, the byte-order mark, soft hyphens, variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
        | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

/// What a name looks like: compatibility-normalised (NFKC), invisible
/// characters removed. `None` for plain ASCII, which looks like itself.
fn skeleton(name: &str) -> Option<String> {
    if name.is_ascii() {
        return None;
    }
    Some(name.chars().filter(|&c| !is_invisible(c)).nfkc().collect())
}

/// A name with its invisible characters and combining marks shown as
/// `\u{…}`, so two look-alikes print differently.
fn visible(name: &str) -> String {
    let mut out = String::new();
    for c in shorten(name).to_string().chars() {
        if is_invisible(c) || c.is_control() || unicode_normalization::char::is_combining_mark(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// W002: two services (or two zones, or two operations of a service)
/// whose names look the same but are different strings.
fn lookalikes(v: &mut Validator, services: &[Service], zones: &[At<String>]) {
    let mut check = |what: &str, names: &mut dyn Iterator<Item = (&str, Pos)>| {
        let all: Vec<(&str, Pos)> = names.collect();
        if all.iter().all(|(name, _)| name.is_ascii()) {
            return;
        }
        // Every name's skeleton (ASCII names are their own) → its first name.
        let mut first: HashMap<String, &str> = HashMap::new();
        for (name, pos) in all {
            let sk = skeleton(name).unwrap_or_else(|| name.to_owned());
            match first.get(&sk) {
                Some(&other) if other != name => v.warning(
                    codes::LOOKALIKE,
                    format!("{what} `{}` looks like {what} `{}`", visible(name), visible(other)),
                    pos,
                    Some(format!(
                        "they differ only in invisible characters or in how accents are encoded, so they are two {what}s; rename one"
                    )),
                ),
                Some(_) => {}
                None => {
                    first.insert(sk, name);
                }
            }
        }
    };
    check(
        "service",
        &mut services.iter().map(|s| (s.name.as_str(), s.pos)),
    );
    check("zone", &mut zones.iter().map(|z| (z.value.as_str(), z.pos)));
    for s in services.iter().filter(|s| s.declares_operations) {
        check(
            "operation",
            &mut s.operations.iter().map(|o| (o.name.as_str(), o.pos)),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::finding::{Finding, Pos};
    use crate::model::load_str;

    /// Every finding of a model text, valid or not.
    fn findings(text: &str) -> Vec<Finding> {
        match load_str(text, "t.yaml") {
            Ok(loaded) => loaded.findings,
            Err(Error::Invalid { findings, .. }) => findings,
            Err(other) => panic!("{other:?}"),
        }
    }

    fn w006(text: &str) -> Vec<(Pos, String)> {
        findings(text)
            .into_iter()
            .filter(|f| f.code == super::codes::REPEATED_DEPENDENCY)
            .map(|f| (f.pos.unwrap_or_default(), f.hint.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_repeat_is_the_same_target_mode_and_request_phase() {
        let repeats = w006(
            "services:\n  web:\n    entry: { rps: 1 }\n    depends_on:\n      - db\n      - { to: db, calls: 3 }\n      - { to: db, mode: async }\n      - { to: db, phase: startup }\n      - { to: db, phase: background }\n      - db.r\n      - { to: db, mode: asynk }\n  db: { operations: { r: {} } }\n",
        );
        assert_eq!(repeats.len(), 1, "{repeats:?}");
        assert_eq!(repeats[0].0, Pos::new(6, 15));
        assert!(repeats[0].1.contains("`calls: 4`"), "{repeats:?}");
    }

    #[test]
    fn an_operation_repeats_its_services_list_and_each_repeat_is_told_once() {
        let repeats = w006(
            "services:\n  web:\n    depends_on: [db, db]\n    operations:\n      a: { rps: 1, depends_on: [db] }\n      b: { rps: 1 }\n  db: {}\n",
        );
        let at: Vec<Pos> = repeats.iter().map(|r| r.0).collect();
        assert_eq!(at, [Pos::new(3, 22), Pos::new(5, 33)], "{repeats:?}");
        assert!(repeats[1].1.contains("3 times"), "{repeats:?}");
    }

    #[test]
    fn a_long_list_finds_its_repeats_through_a_hash_map() {
        let names: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
        let mut list = names.clone();
        list.extend(["s3".to_owned(), "s3".to_owned(), "s39".to_owned()]);
        let mut text = format!(
            "services:\n  web: {{ entry: {{ rps: 1 }}, depends_on: [{}] }}\n",
            list.join(", ")
        );
        for n in &names {
            text.push_str(&format!("  {n}: {{}}\n"));
        }
        let hints: Vec<String> = w006(&text).into_iter().map(|r| r.1).collect();
        assert_eq!(hints.len(), 3, "{hints:?}");
        for (hint, n) in hints.iter().zip([2, 3, 2]) {
            assert!(hint.contains(&format!("`calls: {n}`")), "{hints:?}");
        }
    }

    #[test]
    fn model_wide_warnings_wait_for_the_values_they_rest_on() {
        let codes = |text: &str| -> Vec<&'static str> {
            findings(text).into_iter().map(|f| f.code).collect()
        };
        // Read: the claims stand beside errors elsewhere.
        assert_eq!(
            codes("zones: [a, b]\nservices:\n  web: { zones: [a], replicas: x }\n"),
            ["E017", "W005", "W004"]
        );
        // Not read: the claims wait.
        assert_eq!(
            codes("zones: [a, b]\nservices:\n  web: { entry: { rps: -1 }, zones: [a, ''] }\n"),
            ["E020", "E030"]
        );
        assert_eq!(
            codes("services:\n  web: { operations: { a: { rps: x } } }\n"),
            ["E021"]
        );
        assert_eq!(codes("services:\n  web: [entry]\n"), ["E004"]);
    }
}
