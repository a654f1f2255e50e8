//! `whatif check`: exit codes, text and JSON.

use crate::support::*;

#[test]
fn examples_check_clean() {
    for file in yaml_files(&path("examples")) {
        let out = whatif(&["check", file.to_str().unwrap()]);
        assert_eq!(
            code(&out),
            0,
            "{}: {}{}",
            file.display(),
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains(": ok ("), "{}", stdout(&out));
    }
}

#[test]
fn exit_code_is_the_worst_over_all_files() {
    let out = whatif(&[
        "check",
        "examples/three-tier.yaml",
        "tests/fixtures/invalid/E010-unknown-service.yaml",
    ]);
    assert_eq!(code(&out), 2);
    let warn = "tests/fixtures/invalid/W001-cycle.yaml";
    assert_eq!(code(&whatif(&["check", warn])), 0);
    assert_eq!(code(&whatif(&["check", "--strict", warn])), 1);
    assert_eq!(
        code(&whatif(&[
            "check",
            "--strict",
            warn,
            "tests/fixtures/invalid/E010-unknown-service.yaml"
        ])),
        2
    );
}

#[test]
fn json_lists_findings_with_positions() {
    let out = whatif(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/invalid/W001-cycle.yaml",
    ]);
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn missing_file_is_exit_2_with_its_name() {
    let out = whatif(&["check", "no/such/model.yaml"]);
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("no/such/model.yaml"),
        "{}",
        stdout(&out)
    );
    assert_no_panic(&out);
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(code(&whatif(&["check"])), 2);
    assert_eq!(code(&whatif(&["frobnicate"])), 2);
    assert_eq!(code(&whatif(&["--help"])), 0);
}

/// `check` of a model given as text, as the user sees it (text output).
fn check_text(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("whatif-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let out = whatif(&["check", file.to_str().unwrap()]);
    // The folder holds the process id: show the file by its name.
    let shown = stdout(&out).replace(&format!("{}/", dir.display()), "");
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
