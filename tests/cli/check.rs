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
