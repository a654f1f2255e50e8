//! Helpers shared by the CLI tests: [`Whatif`], a builder that runs the
//! binary as a user does and reads as a sentence
//! (`Whatif::new().args(["check", f]).code(0).stdout_contains("ok")`),
//! and the paths, files and tools the tests need.

use std::ffi::OsStr;
use std::ops::Deref;
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

/// A `whatif` command line about to run: from the repository root, no
/// colour, no width limit (whatever the developer's shell exports), empty
/// standard input, unless the test says otherwise.
pub struct Whatif {
    command: Command,
    argv: Vec<String>,
}

impl Whatif {
    /// `whatif` with no arguments yet.
    pub fn new() -> Self {
        let mut command = Command::cargo_bin("whatif").expect("binary built");
        command
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS");
        Whatif {
            command,
            argv: Vec::new(),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self.argv.push(arg.as_ref().to_string_lossy().into_owned());
            self.command.arg(arg);
        }
        self
    }

    /// Standard input (else empty).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.command.write_stdin(input);
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Runs in this directory instead of the repository root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Runs it, whatever the exit code.
    pub fn run(mut self) -> Ran {
        let output = self.command.output().expect("whatif runs");
        Ran {
            argv: self.argv,
            output,
        }
    }

    /// Runs it and asserts the exit code; a failure shows the command
    /// line and both streams.
    #[track_caller]
    pub fn code(self, expected: i32) -> Ran {
        let ran = self.run();
        assert_eq!(
            ran.code(),
            expected,
            "exit code of {}\n{}",
            ran.command_line(),
            ran.streams()
        );
        ran
    }
}

/// A finished run of `whatif`. It dereferences to its [`Output`].
pub struct Ran {
    argv: Vec<String>,
    output: Output,
}

impl Deref for Ran {
    type Target = Output;

    fn deref(&self) -> &Output {
        &self.output
    }
}

impl Ran {
    /// The exit code (panics on a signal).
    pub fn code(&self) -> i32 {
        code(&self.output)
    }

    /// Standard output as text.
    pub fn stdout(&self) -> String {
        stdout(&self.output)
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        stderr(&self.output)
    }

    /// `whatif ARGS…`, as typed.
    pub fn command_line(&self) -> String {
        format!("whatif {}", self.argv.join(" "))
    }

    /// Both streams, for failure messages.
    fn streams(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout(), self.stderr())
    }

    /// Asserts that standard output contains `needle`.
    #[track_caller]
    pub fn stdout_contains(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "stdout of {} lacks {needle:?}\n{}",
            self.command_line(),
            self.streams()
        );
        self
    }

    /// Asserts that standard error contains `needle`.
    #[track_caller]
    pub fn stderr_contains(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "stderr of {} lacks {needle:?}\n{}",
            self.command_line(),
            self.streams()
        );
        self
    }

    /// Asserts that nothing panicked (see [`assert_no_panic`]).
    #[track_caller]
    pub fn no_panic(self) -> Self {
        assert_no_panic(&self.output);
        self
    }

    /// Standard output parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of {} is not JSON: {e}\n{}",
                self.command_line(),
                self.streams()
            )
        })
    }

    /// The command line, exit code, standard output and standard error
    /// together: what [`Ran::snapshot`] records.
    pub fn transcript(&self) -> String {
        format!(
            "$ {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            self.command_line(),
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Snapshots the [transcript](Ran::transcript) with insta, as
    /// `snapshots/cli__<test file>__<name>.snap`.
    #[track_caller]
    pub fn snapshot(&self, name: &str) {
        let file = std::panic::Location::caller().file();
        let module = Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let transcript = self.transcript();
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(file);
        settings.bind(|| insta::assert_snapshot!(format!("cli__{module}__{name}"), transcript));
    }
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

/// A fresh directory in the system's temporary directory, named
/// `whatif-TAG-…`: it and everything a test writes in it are removed when
/// it is dropped, also when the test fails. Keep it alive (`let dir = …`)
/// as long as its path is used, by the test or by a program it started.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("whatif-{tag}-"))
        .tempdir()
        .expect("temporary directory")
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
