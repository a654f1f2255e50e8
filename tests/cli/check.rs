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
