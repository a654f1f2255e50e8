//! `whatif check`: exit codes, text and JSON.

use crate::support::*;

#[test]
fn examples_check_clean() {
    for file in yaml_files(&path("examples")) {
        Whatif::new()
            .args(["check", file.to_str().unwrap()])
            .code(0)
            .stdout_contains(": ok (");
    }
}

#[test]
fn exit_code_is_the_worst_over_all_files() {
    Whatif::new()
        .args([
            "check",
            "examples/three-tier.yaml",
            "tests/fixtures/invalid/E010-unknown-service.yaml",
        ])
        .code(2);
    let warn = "tests/fixtures/invalid/W001-cycle.yaml";
    Whatif::new().args(["check", warn]).code(0);
    Whatif::new().args(["check", "--strict", warn]).code(1);
    Whatif::new()
        .args([
            "check",
            "--strict",
            warn,
            "tests/fixtures/invalid/E010-unknown-service.yaml",
        ])
        .code(2);
}

#[test]
fn json_lists_findings_with_positions() {
    let out = Whatif::new()
        .args([
            "check",
            "--format",
            "json",
            "tests/fixtures/invalid/W001-cycle.yaml",
        ])
        .code(0);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn missing_file_is_exit_2_with_its_name() {
    Whatif::new()
        .args(["check", "no/such/model.yaml"])
        .code(2)
        .stdout_contains("no/such/model.yaml")
        .no_panic();
}

#[test]
fn usage_errors_are_exit_2() {
    Whatif::new().args(["check"]).code(2);
    Whatif::new().args(["frobnicate"]).code(2);
    Whatif::new().args(["--help"]).code(0);
}

/// `check` of a model given as text, as the user sees it (text output).
fn check_text(name: &str, text: &str) -> (i32, String) {
    let dir = temp_dir("check");
    let file = dir.path().join(name);
    std::fs::write(&file, text).unwrap();
    let out = Whatif::new().args(["check", file.to_str().unwrap()]).run();
    // The folder's name is random: show the file by its name.
    let shown = stdout(&out).replace(&format!("{}/", dir.path().display()), "");
    (code(&out), shown)
}

/// Issue 13, small hints: `retry` means `retries`, not `retry_budget`.
#[test]
fn a_misspelt_key_gets_the_key_it_means() {
    let (code, text) = check_text(
        "retry.yaml",
        "services:\n  web:\n    entry: { rps: 5 }\n    depends_on:\n      - { to: db, retry: 2 }\n  db: {}\n",
    );
    assert_eq!(code, 2);
    assert!(text.contains("unknown key `retry`"), "{text}");
    assert!(text.contains("hint: did you mean `retries`?"), "{text}");
}

/// Issue 13, small hints: a bare number of seconds is not milliseconds.
#[test]
fn a_duration_without_a_unit_says_one_is_required() {
    let (code, text) = check_text(
        "timeout.yaml",
        "services:\n  web:\n    entry: { rps: 5 }\n    depends_on:\n      - { to: db, timeout: 2 }\n  db: {}\n",
    );
    assert_eq!(code, 2);
    assert!(text.contains("a unit is required"), "{text}");
    assert!(text.contains("hint: did you mean `2s`?"), "{text}");
}

/// Issue 13, small hints: a syntax error says what the parser expected,
/// where the construct started, and shows the line.
#[test]
fn a_syntax_error_says_what_was_expected_and_shows_the_line() {
    let (code, text) = check_text(
        "syntax.yaml",
        "services:\n  web: { entry: { rps: 5 }, replicas: 3\n  db: {}\n",
    );
    assert_eq!(code, 2);
    insta::assert_snapshot!(text);
}

/// Warnings are not dropped when the file also has errors: a cycle among
/// the dependencies that resolve is reported beside an unrelated unknown
/// zone (it was reported only once the error was fixed), in text and in
/// JSON, counted in the verdict, and the exit stays 2.
#[test]
fn a_cycle_is_reported_beside_an_error() {
    let model = "tests/fixtures/check/cycle-beside-an-error.yaml";
    Whatif::new()
        .args(["check", model])
        .code(2)
        .snapshot("cycle_beside_an_error_text");
    Whatif::new()
        .args(["check", "--format", "json", model])
        .code(2)
        .snapshot("cycle_beside_an_error_json");
}

/// On a file with errors, cycles are found among the dependencies whose
/// names resolve: a self-dependency (an error) is no cycle and does not
/// bend one, and a cycle through a misspelt name waits for the fix.
#[test]
fn cycles_in_a_file_with_errors_use_only_resolved_dependencies() {
    let (code, text) = check_text(
        "self.yaml",
        "services:\n  web: { entry: { rps: 5 }, depends_on: [a] }\n  a: { depends_on: [a, b] }\n  b: { depends_on: [a] }\n",
    );
    assert_eq!(code, 2);
    assert!(text.contains("error[E014]"), "{text}");
    assert!(
        text.contains("warning[W001]: dependency cycle: `a` → `b` → `a`\n"),
        "{text}"
    );
    assert!(text.contains("invalid (1 error, 1 warning)"), "{text}");
    let (code, text) = check_text(
        "misspelt.yaml",
        "services:\n  web: { entry: { rps: 5 }, depends_on: [a] }\n  a: { depends_on: [bb] }\n  b: { depends_on: [a] }\n",
    );
    assert_eq!(code, 2);
    assert!(!text.contains("W001"), "{text}");
}

/// A warning that claims something of every service is not given while a
/// value it rests on did not read: the malformed `entry` may be the entry
/// point (W004), the unreadable `zones` may use the zone (W005), the
/// unknown `mode` word may mean `async` (W003).
#[test]
fn no_warning_rests_on_a_value_that_did_not_read() {
    for (name, text, error) in [
        (
            "entry.yaml",
            "services:\n  web: { entry: { rps: x }, depends_on: [db] }\n  db: {}\n",
            "E021",
        ),
        (
            "zones.yaml",
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 5 }, zones: [a] }\n  db: { zones: b }\n",
            "E004",
        ),
        (
            "mode.yaml",
            "services:\n  web: { entry: { rps: 5 }, depends_on: [{ to: q, mode: asynk, buffer: 10 }] }\n  q: {}\n",
            "E009",
        ),
    ] {
        let (code, shown) = check_text(name, text);
        assert_eq!(code, 2, "{shown}");
        assert!(shown.contains(&format!("error[{error}]")), "{shown}");
        assert!(!shown.contains("warning["), "{shown}");
    }
}

/// `depends_on: [db, db]` was accepted silently, and the engine counts
/// both entries: every request calls `db` twice. W006 says so, and the
/// load it promises is the load `run` shows.
#[test]
fn a_repeated_dependency_is_warned_about_and_counted() {
    let model = "tests/fixtures/invalid/W006-repeated-dependency.yaml";
    Whatif::new()
        .args(["check", model])
        .code(0)
        .snapshot("repeated_dependency");
    let j = Whatif::new()
        .args(["run", "--format", "json", model])
        .code(0)
        .json();
    let db = &j["services"][1];
    assert_eq!(db["name"], "db");
    assert_eq!(db["load_rps"], 200.0, "{db}");
    // Another use of the same service is no repeat.
    let (code, text) = check_text(
        "uses.yaml",
        "services:\n  web: { entry: { rps: 5 }, depends_on: [db, { to: db, mode: async }, { to: db, phase: startup }] }\n  db: {}\n",
    );
    assert_eq!((code, text.contains("W006")), (0, false), "{text}");
}
