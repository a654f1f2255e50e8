//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// Runs `whatif` with these arguments from the repository root, no colour,
/// no width limit (whatever the developer's shell exports).
pub fn whatif(args: &[&str]) -> Output {
    Command::cargo_bin("whatif")
        .expect("binary built")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .args(args)
        .output()
        .expect("whatif runs")
}

/// Runs `whatif` with these arguments, expects exit 0, and parses its
/// standard output as JSON.
pub fn whatif_json(args: &[&str]) -> serde_json::Value {
    let out = whatif(args);
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}

/// Exit code (panics on a signal).
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("exited normally, not by a signal")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// No panic and no backtrace in what the program printed.
pub fn assert_no_panic(output: &Output) {
    let err = stderr(output);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic: {err}"
    );
}

/// Every `*.yaml` file in a directory, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// Whether tests that need an external program must fail without it
/// (`.ci/run` sets `WHATIF_REQUIRE_TOOLS=1`).
pub fn tools_required() -> bool {
    std::env::var("WHATIF_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Whether Graphviz `dot` is installed; when it is not and tools are
/// required, fails the test; otherwise prints why the test is skipped.
pub fn graphviz_or_skip(test: &str) -> bool {
    let found = std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !tools_required(),
            "{test}: Graphviz `dot` is required (WHATIF_REQUIRE_TOOLS=1) but not found"
        );
        eprintln!(
            "skipping {test}: Graphviz `dot` is not installed (set WHATIF_REQUIRE_TOOLS=1 to make this a failure)"
        );
    }
    found
}
