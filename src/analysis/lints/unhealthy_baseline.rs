//! R009: a service that is not healthy before any fault.

use super::{Context, Found, Level, Rule, path, replicas};
use crate::sim::explain::{latency, percent, rate};
use crate::sim::steady::State;

/// The rule.
pub const RULE: Rule = Rule {
    code: "R009",
    level: Level::High,
    summary: "a service not healthy with no fault at all (the steady state of the model as written), with its numbers",
    why: "the model is broken before anything fails: users already suffer, and every cascade computed from it starts from this state",
    check,
};

/// Every service whose fault-free steady state is not healthy: its state,
/// success, latency, load and reason; what to change at the root.
fn check(cx: &Context) -> Vec<Found> {
    let baseline = cx.baseline();
    let mut out = Vec::new();
    for id in cx.model.service_ids() {
        let f = &baseline.services[id.index()];
        if f.state == State::Healthy {
            continue;
        }
        let svc = cx.model.service(id);
        let capacity = svc.capacity.map(|c| (c, f64::from(svc.replicas) * c));
        let serves = match capacity {
            Some((each, total)) => format!(
                " against {} rps of capacity ({} × {})",
                rate(total),
                replicas(svc.replicas),
                rate(each)
            ),
            None => String::new(),
        };
        let root = f.chain.first().copied().filter(|&r| r != id);
        let fix = match (root, capacity) {
            (Some(r), _) => format!(
                "it follows from {}: fix `{}` first",
                path(cx, &f.chain),
                cx.name(r)
            ),
            (None, Some((each, total))) if f.load_rps >= total => format!(
                "give `{}` capacity above {} rps: at least {} replicas of {} rps, or more `capacity` per replica; or send it less",
                svc.name,
                rate(f.load_rps),
                (f.load_rps / each).floor() as u64 + 1,
                rate(each)
            ),
            (None, _) => format!(
                "change what the reason names until `whatif run` shows `{}` healthy with no fault",
                svc.name
            ),
        };
        out.push(Found {
            service: id,
            message: format!(
                "`{}` is {} with no fault: {} of requests succeed, mean latency {}, at {} rps{serves}; {}",
                svc.name,
                f.state.as_str(),
                percent(f.success),
                latency(f.latency_s),
                rate(f.load_rps),
                f.because
            ),
            fix,
            pos: svc.pos,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    const MAIL: &str = "services:\n  web: { entry: { rps: 100 }, replicas: 2, depends_on: [{ to: mailer, timeout: 1s, mode: async, criticality: soft }, { to: api, timeout: 1s }] }\n  api: { replicas: 2 }\n  mailer: { replicas: 2, depends_on: [{ to: mail-provider, timeout: 2s }] }\n  mail-provider: { kind: external, capacity: 10 }\n";

    #[test]
    fn a_provider_at_ten_times_its_capacity_is_found_with_its_numbers() {
        let f = found(&RULE, MAIL);
        let names: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        // The provider, and what it drags along; api stays healthy.
        assert!(
            names.contains(&"mail-provider") && names.contains(&"mailer"),
            "{f:?}"
        );
        assert!(!names.contains(&"api"), "{f:?}");
        let provider = f.iter().find(|x| x.0 == "mail-provider").unwrap();
        assert!(
            provider
                .1
                .starts_with("`mail-provider` is down with no fault"),
            "{f:?}"
        );
        assert!(
            provider
                .1
                .contains("at 100 rps against 10 rps of capacity (1 replica × 10)"),
            "{f:?}"
        );
        assert!(
            provider
                .2
                .contains("capacity above 100 rps: at least 11 replicas of 10 rps"),
            "{f:?}"
        );
        let mailer = f.iter().find(|x| x.0 == "mailer").unwrap();
        assert!(mailer.2.contains("fix `mail-provider` first"), "{f:?}");
    }

    #[test]
    fn a_healthy_model_has_none() {
        assert!(
            found(
                &RULE,
                "services:\n  web: { entry: { rps: 100 }, capacity: 200 }\n"
            )
            .is_empty()
        );
    }
}
