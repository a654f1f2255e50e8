//! One fixture per finding code under `tests/fixtures/invalid/`. Each file's
//! first line says what `check` must report: `# expect: E010 at 4:19`.

use crate::support::*;

/// A fixture's first line: the code it must report, and where.
pub struct Expectation {
    /// `E010`, `R003` …
    pub code: String,
    /// Line and column, when pinned.
    pub position: Option<(u64, u64)>,
}

/// Reads a fixture's `# expect: CODE [at L:C]` line.
pub fn expectation(file: &std::path::Path) -> Expectation {
    let bytes = std::fs::read(file).expect("fixture readable");
    let first = String::from_utf8_lossy(&bytes)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| {
        panic!(
            "{}: first line must be `# expect: CODE [at L:C]`",
            file.display()
        )
    });
    let (code, position) = match rest.split_once(" at ") {
        Some((code, pos)) => {
            let (l, c) = pos.trim().split_once(':').expect("L:C");
            (
                code.trim().to_owned(),
                Some((l.parse().expect("line"), c.parse().expect("column"))),
            )
        }
        None => (rest.trim().to_owned(), None),
    };
    Expectation { code, position }
}

#[test]
fn every_fixture_reports_its_code_at_its_position() {
    let files = yaml_files(&path("tests/fixtures/invalid"));
    assert!(files.len() >= 30, "expected a fixture per finding code");
    let mut failures = Vec::new();
    for file in &files {
        let expect = expectation(file);
        let file_arg = file.to_str().expect("utf-8 path");
        let out = Whatif::new()
            .args(["check", "--format", "json", file_arg])
            .run()
            .no_panic();
        let json: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{}: stdout is not JSON ({e}): {}{}",
                    file.display(),
                    stdout(&out),
                    stderr(&out)
                ));
                continue;
            }
        };
        let findings = json["findings"].as_array().cloned().unwrap_or_default();
        let found = findings.iter().find(|f| f["code"] == expect.code.as_str());
        let Some(found) = found else {
            failures.push(format!(
                "{}: no {} in {findings:?}",
                file.display(),
                expect.code
            ));
            continue;
        };
        if let Some((line, column)) = expect.position {
            let at = (
                found["line"].as_u64().unwrap_or(0),
                found["column"].as_u64().unwrap_or(0),
            );
            if at != (line, column) {
                failures.push(format!(
                    "{}: {} at {}:{}, expected {line}:{column}",
                    file.display(),
                    expect.code,
                    at.0,
                    at.1
                ));
            }
        } else {
            assert!(
                found.get("line").is_some(),
                "{}: finding has no line",
                file.display()
            );
        }
        let expected_exit = if expect.code.starts_with('E') { 2 } else { 0 };
        if out.code() != expected_exit {
            failures.push(format!(
                "{}: exit {} (expected {expected_exit})",
                file.display(),
                out.code()
            ));
        }
        if expect.code.starts_with('W') {
            let strict = Whatif::new().args(["check", "--strict", file_arg]).run();
            if strict.code() != 1 {
                failures.push(format!(
                    "{}: --strict exit {} (expected 1)",
                    file.display(),
                    strict.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_findings_name_file_line_and_column_with_a_hint() {
    let out = Whatif::new()
        .args(["check", "tests/fixtures/invalid/E010-unknown-service.yaml"])
        .code(2);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn several_problems_are_all_reported() {
    let dir = temp_dir("multi");
    let file = dir.path().join("multi.yaml");
    std::fs::write(
        &file,
        "services:\n  web:\n    replicas: 0\n    latency: 15\n    depends_on: [paymnets, catalog]\n  db: { replicas: 2, quorum: 3 }\n",
    )
    .unwrap();
    let json = Whatif::new()
        .args(["check", "--format", "json", file.to_str().unwrap()])
        .code(2)
        .json();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for expected in ["E015", "E019", "E010", "E016"] {
        assert!(
            codes.contains(&expected),
            "{expected} missing from {codes:?}"
        );
    }
    assert_eq!(
        codes.iter().filter(|c| **c == "E010").count(),
        2,
        "both unknown services: {codes:?}"
    );
}
