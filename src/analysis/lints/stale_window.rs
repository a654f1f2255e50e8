//! R011: a stale fallback, which hides its target's failure only for its
//! window (SPEC: the structural evaluation counts it as protection, and
//! the review says how long that protection lasts).

use std::collections::HashSet;

use super::{Context, Found, Level, Rule};
use crate::model::{Criticality, Fallback, Mode, Phase};
use crate::text::duration;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R011",
    level: Level::Low,
    summary: "a stale fallback: it hides its target's failure only for its window (the window and what fails after it are stated)",
    why: "the structural analyses count stale copies as protection, but an outage longer than the window reaches the caller all the same",
    check,
};

/// Every hard dependency with `serve_stale_for`, once per edge: how long it
/// lasts, and what the caller's failure takes down once it runs out.
fn check(cx: &Context) -> Vec<Found> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (id, dep) in cx.dependencies() {
        let Some(Fallback::ServeStale { for_s }) = dep.fallback else {
            continue;
        };
        // Only a hard call made on requests can take its caller down.
        let takes_down = dep.criticality == Criticality::Hard
            && dep.mode == Mode::Sync
            && dep.phase == Phase::Request;
        if !takes_down || !seen.insert(dep.pos) {
            continue;
        }
        let (caller, target) = (cx.name(id), cx.name(dep.target.service));
        let window = duration(for_s);
        let impact = cx.impacts.get(id.index());
        let others = match impact.map_or(0, |i| i.down) {
            0 => String::new(),
            n => format!(
                ", and with it {n} other service{}",
                if n == 1 { "" } else { "s" }
            ),
        };
        let users = match impact.map_or(0.0, |i| i.rps_lost) {
            r if r > 0.0 => format!(" ({} rps of user traffic)", crate::sim::explain::rate(r)),
            _ => String::new(),
        };
        let then = format!("{others}{users}");
        out.push(Found {
            service: id,
            message: format!(
                "`{caller}` serves stale copies when `{target}` fails, for {window}: an outage of `{target}` longer than {window} takes down `{caller}`{then}"
            ),
            fix: format!(
                "make sure `{target}` is back within {window} (spare replicas, a faster restart or failover), or serve stale copies for longer if the data can be that old (`serve_stale_for`)"
            ),
            pos: dep.pos,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_stale_window_is_stated_with_what_fails_after_it() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: api, timeout: 1s }] }\n  api: { depends_on: [{ to: db, timeout: 1s, fallback: { serve_stale_for: 5m } }] }\n  db: {}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "api");
        assert_eq!(
            f[0].1,
            "`api` serves stale copies when `db` fails, for 5m: an outage of `db` longer than 5m takes down `api`, and with it 1 other service (100 rps of user traffic)"
        );
    }

    #[test]
    fn only_a_hard_request_call_has_a_stale_window() {
        let f = found(
            &RULE,
            "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: db, timeout: 1s, fallback: { to: db2 } }, { to: rec, timeout: 1s, criticality: soft, fallback: { serve_stale_for: 5m } }, { to: q, mode: async, fallback: { serve_stale_for: 5m } }, { to: cfg, phase: startup, fallback: { serve_stale_for: 5m } }] }\n  db: {}\n  db2: {}\n  rec: {}\n  q: {}\n  cfg: {}\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
