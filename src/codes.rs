//! Every finding code whatif reports, in one catalogue: the loader's and
//! validator's (`E…`, `W…`), the scenario files' (`S…`), the importers'
//! and the review's lints (`R…`, read from [`crate::analysis::lints::REGISTRY`],
//! so a new lint is catalogued by registering it).
//!
//! The codes are stable: scripts match on them and `review --fail-on`
//! takes them. `tests/cli/codes.rs` holds the catalogue against the
//! README's code tables (every code documented, every documented code
//! real), against the sources (every code literal is catalogued) and
//! against the fixtures (every code has one that pins its position).

use crate::analysis::lints::REGISTRY;

/// Which part of whatif reports a code, and so where its fixture lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `check`: reading and validating a model (`tests/fixtures/invalid/`).
    Model,
    /// `scenario`: scenario files (`tests/fixtures/scenarios/invalid/`).
    Scenario,
    /// `import`: compose files and catalogs (`tests/fixtures/import/invalid/`).
    Import,
    /// `review`: risky patterns (`tests/fixtures/lints/`).
    Review,
}

/// One code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// `E010`, `W001`, `S004`, `R003` …
    pub code: &'static str,
    /// Who reports it.
    pub family: Family,
    /// What it means, in a few words.
    pub summary: &'static str,
}

const fn model(code: &'static str, summary: &'static str) -> Code {
    Code {
        code,
        family: Family::Model,
        summary,
    }
}

const fn scenario(code: &'static str, summary: &'static str) -> Code {
    Code {
        code,
        family: Family::Scenario,
        summary,
    }
}

const fn import(code: &'static str, summary: &'static str) -> Code {
    Code {
        code,
        family: Family::Import,
        summary,
    }
}

/// Every code but the lints', in code order.
const FIXED: &[Code] = &[
    model("E000", "the file cannot be read"),
    model("E001", "not valid YAML"),
    model("E002", "unknown key (typo)"),
    model("E003", "duplicate key or service name"),
    model("E004", "wrong shape (list vs map, missing key)"),
    model(
        "E005",
        "refused: not a regular file, over 256 MiB, deeper than 40, alias bomb",
    ),
    model("E006", "empty file"),
    model("E007", "binary, UTF-16/32 or non-UTF-8"),
    model("E008", "tabs as indentation"),
    model("E009", "unknown kind / criticality / mode / phase"),
    model("E010", "unknown service"),
    model("E011", "unknown operation"),
    model("E012", "unknown zone"),
    model("E013", "`a.b` is both a service and an operation"),
    model("E014", "self-dependency"),
    model("E015", "zero replicas"),
    model("E016", "quorum above replicas (or 0)"),
    model("E017", "count negative or not whole"),
    model("E018", "negative duration"),
    model("E019", "duration without a unit / malformed"),
    model("E020", "negative rate"),
    model("E021", "malformed rate"),
    model("E022", "fraction above 100 % (or negative)"),
    model("E023", "malformed fraction"),
    model("E024", "fallback / `on_miss` names an unknown service"),
    model("E025", "`entry.rps` ≠ sum of operations' rps"),
    model(
        "E026",
        "fallback with neither or both of `serve_stale_for`, `to`",
    ),
    model("E027", "dependency with both `cache` and `fallback`"),
    model("E028", "zone listed twice"),
    model("E029", "YAML tag (`!!python/object:…`, `!custom`)"),
    model("E030", "empty name (also a null key)"),
    model("E031", "`calls: 0`"),
    model("E032", "`autoscale.max_replicas` below `replicas`"),
    model("E033", "contradictory thresholds"),
    model("E034", "`latency: { p50, p99 }` with p99 not above p50"),
    import("E040", "`import`: not a compose file or Backstage catalog"),
    import("E041", "`import`: nothing to import"),
    model("W001", "dependency cycle (legal)"),
    model(
        "W002",
        "names that look alike (invisible characters, Unicode normalisation)",
    ),
    model("W003", "`buffer` on a synchronous edge"),
    model("W004", "no service receives user traffic"),
    model("W005", "a declared zone no service uses"),
    model("W006", "a dependency listed again (each entry is a call)"),
    scenario("S001", "`model:` cannot be read"),
    scenario("S002", "event without a fault or action"),
    scenario("S003", "event with several faults/actions"),
    scenario(
        "S004",
        "a fault the model refuses (unknown target, bad value)",
    ),
    scenario(
        "S005",
        "`recover`/`scale`/`flush` on an unknown service or zone",
    ),
    scenario(
        "S006",
        "`cut`/`set` on something that is not a dependency link",
    ),
    scenario("S007", "`scale` not `NAME=+N`"),
    scenario("S008", "`for` on an action, or `for: 0s`"),
    scenario("S009", "a time beyond `duration`"),
    scenario("S010", "`duration` zero or over a day"),
    scenario("S011", "expectation names an unknown service"),
    scenario("S012", "… an unknown operation"),
    scenario("S013", "`a.b` is both a service and an operation"),
    scenario("S014", "unknown state"),
    scenario("S015", "`set` that changes nothing"),
    scenario("S016", "more than 1,000 events"),
    scenario(
        "S017",
        "warning: a fault whose value changes nothing (`x1`, `+0ms`, `0%`)",
    ),
    scenario(
        "S018",
        "incident: a remedy before `detected_at`, or `detected_at` at the end",
    ),
    scenario(
        "S019",
        "incident: a key of the four missing, or an empty list or text",
    ),
    scenario("S020", "incident: two remedies of one name"),
    scenario("S021", "incident: `source.date` not `YYYY-MM-DD`"),
];

/// Every code whatif reports: the fixed ones, then the lints in registry
/// order.
pub fn all() -> Vec<Code> {
    FIXED
        .iter()
        .copied()
        .chain(REGISTRY.iter().map(|r| Code {
            code: r.code,
            family: Family::Review,
            summary: r.summary,
        }))
        .collect()
}

/// The code spelled `code` (exactly).
pub fn find(code: &str) -> Option<Code> {
    all().into_iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let all = all();
        let mut seen = std::collections::BTreeSet::new();
        for c in &all {
            assert!(seen.insert(c.code), "{} twice", c.code);
            let (letter, digits) = c.code.split_at(1);
            assert!(
                matches!(letter, "E" | "W" | "S" | "R")
                    && digits.len() == 3
                    && digits.chars().all(|d| d.is_ascii_digit()),
                "{}",
                c.code
            );
            assert_eq!(c.family == Family::Review, letter == "R", "{}", c.code);
            assert!(!c.summary.is_empty(), "{}", c.code);
        }
        assert_eq!(find("R001").map(|c| c.family), Some(Family::Review));
        assert_eq!(find("E010").map(|c| c.family), Some(Family::Model));
    }
}
