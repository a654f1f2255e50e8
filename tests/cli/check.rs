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
