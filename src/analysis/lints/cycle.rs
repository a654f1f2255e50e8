//! R007: a dependency cycle.

use super::{Context, Found, Level, Rule, path};

/// The rule.
pub const RULE: Rule = Rule {
    code: "R007",
    level: Level::Low,
    summary: "a dependency cycle",
    why: "a failure anywhere in the loop can hold every member down, and restarts can deadlock",
    check,
};

/// One finding per cycle (strongly connected component), at its first
/// member.
fn check(cx: &Context) -> Vec<Found> {
    cx.graph
        .cycles()
        .into_iter()
        .map(|cycle| {
            let mut walk = cycle.clone();
            walk.push(cycle[0]);
            Found {
                service: cycle[0],
                message: format!("dependency cycle: {}", path(cx, &walk)),
                fix: "make one edge of the loop `criticality: soft` or `mode: async`, or give it a `fallback`, so a failure cannot travel all the way round".into(),
                pos: cx.model.service(cycle[0]).pos,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::found;
    use super::*;

    #[test]
    fn a_loop_is_spelled_out() {
        let f = found(
            &RULE,
            "services:\n  a: { entry: { rps: 1 }, depends_on: [b] }\n  b: { depends_on: [a] }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].1, "dependency cycle: `a` → `b` → `a`");
    }
}
