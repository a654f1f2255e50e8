//! R010: a cache whose `on_miss` target cannot carry every call when the
//! cache is cold (a cache stampede).

use std::collections::BTreeMap;

use super::{Context, Found, Level, Rule, replicas};
use crate::finding::Pos;
use crate::model::ServiceId;
use crate::sim::explain::{percent, rate};
use crate::text::duration;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R010",
    level: Level::High,
    summary: "a cache whose `on_miss` target cannot carry the calls when the cache is cold or empty (a cache stampede)",
    why: "a cache restart or flush sends every lookup to a database sized for the misses: it saturates, and whatever reads through the cache fails until the cache is warm again",
    check,
};

/// The calls that reach one `on_miss` target through one cache.
struct Misses {
    /// Calls per second made on the cache edges (fault-free).
    calls: f64,
    /// Of those, the share the cache answers when warm.
    hits: f64,
    /// The longest `warm_up` among the edges.
    warm_up_s: f64,
    /// The first edge, for the position.
    pos: Pos,
    /// Its caller.
    caller: ServiceId,
}

/// For each (cache, `on_miss`) pair: the fault-free calls on its cache
/// edges (the engine's own call rates), the hits that become misses when
/// the cache is cold, and whether the `on_miss` target's whole capacity
/// (capacity × replicas) can take its fault-free load plus those.
fn check(cx: &Context) -> Vec<Found> {
    let baseline = cx.baseline();
    let engine = cx.engine();
    let mut pairs: BTreeMap<(ServiceId, ServiceId), Misses> = BTreeMap::new();
    for (e, edge) in engine.edges().iter().enumerate() {
        let dep = &cx.model.service(edge.service).operations[edge.op].depends_on[edge.dep];
        let Some(cache) = dep.cache else { continue };
        let calls = baseline.edges.get(e).map_or(0.0, |r| r.call_rate);
        let m = pairs
            .entry((dep.target.service, cache.on_miss))
            .or_insert(Misses {
                calls: 0.0,
                hits: 0.0,
                warm_up_s: 0.0,
                pos: dep.pos,
                caller: edge.service,
            });
        m.calls += calls;
        m.hits += calls * cache.hit_ratio;
        m.warm_up_s = m.warm_up_s.max(cache.warm_up_s);
    }
    let mut out = Vec::new();
    for ((cache, db), m) in pairs {
        let target = cx.model.service(db);
        let Some(each) = target.capacity else {
            continue;
        };
        let total = each * f64::from(target.replicas);
        let now = baseline.services[db.index()].load_rps;
        let cold = now + m.hits;
        if m.hits <= 0.0 || cold < total {
            continue;
        }
        let (c, d) = (cx.name(cache), cx.name(db));
        let warm_up = if m.warm_up_s > 0.0 {
            format!(" warms up ({})", duration(m.warm_up_s))
        } else {
            " is warm again".into()
        };
        out.push(Found {
            service: m.caller,
            message: format!(
                "when `{c}` is cold or restarts, `{d}` is asked for {} rps (the {} rps it gets now, plus the {} rps `{c}` answers when warm) against {} rps of capacity ({} × {}): {} of it, so `{d}` saturates and calls through `{c}` queue and fail until it{warm_up}",
                rate(cold),
                rate(now),
                rate(m.hits),
                rate(total),
                replicas(target.replicas),
                rate(each),
                percent(cold / total)
            ),
            fix: format!(
                "size `{d}` for a cold `{c}` (at least {} replicas of {} rps), or protect it: a `circuit_breaker` on the miss path, request coalescing, or warming `{c}` before it takes traffic",
                (cold / each).floor() as u64 + 1,
                rate(each)
            ),
            pos: m.pos,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_database_sized_for_the_misses_is_found_with_its_numbers() {
        // 1,000 calls, 90 % hits: the database sees 100 rps warm and
        // 1,000 cold, against 2 × 300 = 600.
        let f = found(
            &RULE,
            "services:\n  app: { entry: { rps: 1000 }, replicas: 2, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db, warm_up: 5m } }] }\n  cache: { kind: cache, replicas: 2 }\n  db: { kind: database, replicas: 2, capacity: 300 }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "app");
        assert_eq!(
            f[0].1,
            "when `cache` is cold or restarts, `db` is asked for 1,000 rps (the 100 rps it gets now, plus the 900 rps `cache` answers when warm) against 600 rps of capacity (2 replicas × 300): 167% of it, so `db` saturates and calls through `cache` queue and fail until it warms up (5m)"
        );
        assert!(
            f[0].2
                .starts_with("size `db` for a cold `cache` (at least 4 replicas of 300 rps)"),
            "{f:?}"
        );
    }

    #[test]
    fn a_database_that_can_take_every_call_is_not_found() {
        let f = found(
            &RULE,
            "services:\n  app: { entry: { rps: 1000 }, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db } }] }\n  cache: { kind: cache }\n  db: { kind: database, replicas: 2, capacity: 600 }\n  free: { depends_on: [{ to: cache, cache: { hit_ratio: 90%, on_miss: unbounded } }] }\n  unbounded: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
