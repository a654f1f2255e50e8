//! One fixture per review lint under `tests/fixtures/lints/`. Each file's
//! first line says what `review` must report: `# expect: R003 at 13:3`;
//! `--fail-on` that code must then exit 1.

use crate::fixtures::expectation;
use crate::support::*;

#[test]
fn every_lint_fixture_reports_its_code_at_its_position() {
    let files = yaml_files(&path("tests/fixtures/lints"));
    assert!(!files.is_empty(), "no lint fixtures");
    let mut failures = Vec::new();
    for file in &files {
        let expect = expectation(file);
        let file_arg = file.to_str().expect("utf-8 path");
        let json = Whatif::new()
            .args(["review", "--format", "json", file_arg])
            .code(0)
            .json();
        let lints = json["lints"].as_array().cloned().unwrap_or_default();
        let at = |l: &serde_json::Value| {
            (
                l["line"].as_u64().unwrap_or(0),
                l["column"].as_u64().unwrap_or(0),
            )
        };
        let found: Vec<(u64, u64)> = lints
            .iter()
            .filter(|l| l["code"] == expect.code.as_str())
            .map(at)
            .collect();
        let pinned = expect.position.expect("lint fixtures pin a position");
        if !found.contains(&pinned) {
            failures.push(format!(
                "{}: {} at {found:?}, expected at {}:{}",
                file.display(),
                expect.code,
                pinned.0,
                pinned.1
            ));
            continue;
        }
        let lint = lints
            .iter()
            .find(|l| l["code"] == expect.code.as_str() && at(l) == pinned)
            .expect("found above");
        for key in ["message", "fix", "why", "level", "service"] {
            if lint[key].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{}: no `{key}` in {lint}", file.display()));
            }
        }
        Whatif::new()
            .args(["review", file_arg, "--fail-on", &expect.code])
            .code(1);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
