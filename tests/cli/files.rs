//! Output files (docs/cli.md, issue 16): an input is never written over, a
//! regular file is replaced whole through an unpredictable temporary file,
//! devices and FIFOs are written in place with their errors reported,
//! symbolic links are written through, folders that are not folders are
//! refused, and a closed pipe ends quietly.
//!
//! Special files are reached through links in a temporary folder (never
//! `/dev/…` by its own name), so a whatif that replaced its target instead
//! of writing to it would replace the link, not the machine's device.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};

use crate::support::*;

/// A temporary folder, removed when dropped.
fn folder() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("whatif-files-")
        .tempdir()
        .expect("temporary folder")
}

/// A copy of a repository file in `dir`.
fn copy(dir: &Path, from: &str, name: &str) -> PathBuf {
    let to = dir.join(name);
    fs::copy(path(from), &to).expect("copy");
    to
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = folder();
    let d = dir.path();
    let model = copy(d, "examples/three-tier.yaml", "m.yaml");
    let compose = copy(d, "tests/fixtures/import/docker-compose.yml", "dc.yml");
    let scenario_text =
        "title: t\nmodel: m.yaml\nduration: 1m\nevents:\n  - { at: 0s, down: db }\n";
    let scenario = d.join("s.yaml");
    fs::write(&scenario, scenario_text).unwrap();
    let linked = d.join("linked.json");
    symlink(&model, &linked).unwrap();
    let hard = d.join("hard.md");
    fs::hard_link(&model, &hard).unwrap();
    let after = copy(d, "examples/three-tier.yaml", "after.yaml");
    let (m, c, sc, a) = (s(&model), s(&compose), s(&scenario), s(&after));
    let cases: Vec<Vec<&str>> = vec![
        vec!["import", c, "-o", c],
        vec!["graph", m, "--format", "dot", "-o", m],
        vec!["review", m, "--format", "markdown", "-o", m],
        vec!["run", m, "--format", "json", "-o", m],
        vec![
            "run", m, "--down", "db", "--for", "10s", "-o", m, "--format", "json",
        ],
        vec!["faulttree", m, "-o", m],
        vec!["drill", m, "--handout", "1", "-o", m],
        vec!["drill", m, "--record", m, "--no-pictures"],
        vec!["scenario", sc, "--junit", sc],
        vec!["check", m, "--format", "json", "-o", m],
        vec!["scenario", sc, "--format", "text", "-o", sc],
        // Either side of a diff.
        vec!["diff", m, a, "--format", "json", "-o", m],
        vec!["diff", a, m, "--format", "markdown", "-o", m],
        // The scenario's model is an input too.
        vec!["scenario", sc, "--junit", m],
        vec!["scenario", sc, "--format", "json", "-o", m],
        // Another name for the same file: a link, a hard link.
        vec!["run", m, "--format", "json", "-o", s(&linked)],
        vec!["review", m, "-o", s(&hard)],
    ];
    let before = fs::read(&model).unwrap();
    for args in cases {
        let input_before = fs::read(args[1]).unwrap();
        Whatif::new()
            .current_dir(d)
            .args(&args)
            .code(2)
            .stderr_contains("refusing to write over")
            .stderr_contains("hint: write the output to another file");
        assert_eq!(fs::read(args[1]).unwrap(), input_before, "{args:?}");
        assert_eq!(fs::read(&model).unwrap(), before, "{args:?}");
    }
    assert!(fs::symlink_metadata(&linked).unwrap().is_symlink());
    assert_eq!(fs::read(&scenario).unwrap(), scenario_text.as_bytes());
}

#[test]
fn a_device_is_written_in_place_and_its_errors_reported() {
    let dir = folder();
    let full = dir.path().join("full");
    let null = dir.path().join("null.json");
    symlink("/dev/full", &full).unwrap();
    symlink("/dev/null", &null).unwrap();
    for args in [
        vec![
            "run",
            "examples/three-tier.yaml",
            "--format",
            "json",
            "-o",
            s(&full),
        ],
        vec![
            "scenario",
            "scenarios/zone-eu-1a-outage.yaml",
            "--junit",
            s(&full),
        ],
        vec!["schema", "-o", s(&full)],
    ] {
        Whatif::new()
            .args(&args)
            .code(2)
            .stderr_contains("No space left on device");
    }
    Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", s(&null)])
        .code(0);
    for link in [&full, &null] {
        let meta = fs::symlink_metadata(link).unwrap();
        assert!(meta.is_symlink(), "{} was replaced", link.display());
        assert!(fs::metadata(link).unwrap().file_type().is_char_device());
    }
}

#[test]
fn an_open_descriptor_is_written_to() {
    let out = Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--format",
            "json",
            "-o",
            "/dev/fd/1",
        ])
        .code(0);
    assert_eq!(out.json()["model"], "three-tier");
    // A link to standard output in a folder: written through as well.
    let dir = folder();
    let link = dir.path().join("out.json");
    symlink("/dev/stdout", &link).unwrap();
    let out = Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", s(&link)])
        .code(0);
    assert_eq!(out.json()["model"], "three-tier");
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = folder();
    let fifo = dir.path().join("cascade.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).expect("read the FIFO"))
    };
    Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
            "-o",
            s(&fifo),
        ])
        .code(0);
    assert!(
        fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "the FIFO was replaced by a file"
    );
    let json: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(json["summary"]["down"], 3);
}

#[test]
fn a_link_is_written_through_and_a_link_to_nothing_refused() {
    let dir = folder();
    let d = dir.path();
    let target = d.join("real.json");
    fs::write(&target, "old").unwrap();
    let link = d.join("link.json");
    symlink(&target, &link).unwrap();
    Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", s(&link)])
        .code(0);
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(json["model"], "three-tier");

    let dangling = d.join("dangling.json");
    symlink(d.join("nowhere.json"), &dangling).unwrap();
    Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", s(&dangling)])
        .code(2)
        .stderr_contains("is a symbolic link to");
    assert!(!d.join("nowhere.json").exists());
}

#[test]
fn a_link_planted_where_the_temporary_file_goes_is_not_followed() {
    // The old temporary name was `.NAME.whatif-PID.tmp`; the shell's `$$`
    // is whatif's process id once it `exec`s, so the trap sits exactly
    // there. Nothing may be written through it.
    let dir = folder();
    let d = dir.path();
    let victim = d.join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("whatif");
    let script = format!(
        "ln -s {victim} .out.json.whatif-$$.tmp && exec {bin} run {model} --format json -o out.json",
        victim = s(&victim),
        bin = bin.display(),
        model = s(&path("examples/three-tier.yaml")),
    );
    let status = std::process::Command::new("sh")
        .current_dir(d)
        .args(["-c", &script])
        .status()
        .expect("sh runs");
    assert!(status.success());
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    let out = d.join("out.json");
    assert!(fs::symlink_metadata(&out).unwrap().is_file());
    assert!(fs::read_to_string(&out).unwrap().contains("\"three-tier\""));
}

#[test]
fn folders_that_are_files_are_refused_before_any_work() {
    let dir = folder();
    let file = dir.path().join("not-a-folder");
    fs::write(&file, "x").unwrap();
    let f = s(&file);
    for (flag, args) in [
        (
            "--pictures",
            vec![
                "drill",
                "examples/three-tier.yaml",
                "--seed",
                "1",
                "--rounds",
                "1",
                "--pictures",
                f,
            ],
        ),
        (
            "--frames",
            vec![
                "run",
                "examples/three-tier.yaml",
                "--down",
                "db",
                "--for",
                "10s",
                "--frames",
                f,
            ],
        ),
        ("--dir", vec!["man", "--dir", f]),
    ] {
        Whatif::new()
            .args(&args)
            .stdin("f\n")
            .code(2)
            .stderr_contains(&format!("{flag} `{f}`: not a directory"));
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    // A folder given as a file: said plainly.
    Whatif::new()
        .args(["schema", "-o", s(dir.path())])
        .code(2)
        .stderr_contains("is a directory");
}

/// A missing folder is named, and the temporary file's random name (which
/// the user never asked for) is not shown.
#[test]
fn a_missing_folder_is_named_without_the_temporary_file() {
    let dir = folder();
    let missing = dir.path().join("no-such-folder");
    let out = missing.join("shop.yaml");
    let err = Whatif::new()
        .args([
            "import",
            "tests/fixtures/import/docker-compose.yml",
            "-o",
            s(&out),
        ])
        .code(2)
        .stderr();
    assert!(
        err.contains(&format!(
            "cannot write `{}`: the folder `{}` does not exist",
            s(&out),
            s(&missing)
        )),
        "{err}"
    );
    assert!(!err.contains("whatif-tmp"), "{err}");
}

#[test]
fn a_replaced_file_keeps_its_permissions_and_nothing_is_left_beside_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder();
    let out = dir.path().join("cascade.txt");
    fs::write(&out, "an older and much longer cascade than the new one").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
    Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", s(&out)])
        .code(0);
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("three-tier (no faults)"), "{text}");
    let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["cascade.txt"]);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // Output far larger than a pipe holds, read for a moment and closed.
    let bin = assert_cmd::cargo::cargo_bin("whatif");
    for out in [None, Some("/dev/fd/1")] {
        let mut cmd = Command::new(&bin);
        cmd.current_dir(root())
            .args(["generate", "--services", "5000", "--seed", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(o) = out {
            cmd.args(["-o", o]);
        }
        let mut child = cmd.spawn().expect("whatif runs");
        let mut some = [0u8; 1024];
        child.stdout.take().unwrap().read_exact(&mut some).unwrap();
        let done = child.wait_with_output().unwrap();
        assert_eq!(done.status.code(), Some(0), "-o {out:?}");
        assert_eq!(stderr(&done), "", "-o {out:?}");
    }
}

/// Every report command takes `-o FILE` as `run` does: the extension picks
/// text or JSON, the bytes are what standard output would have shown
/// (without colour), an extension they do not write is a usage error, and
/// the model is never written over.
#[test]
fn report_commands_write_to_o_by_extension() {
    let dir = folder();
    let model = "examples/three-tier.yaml";
    for command in [
        &["check", model][..],
        &["scenario", "scenarios/zone-eu-1a-outage.yaml"],
        &["spof", model],
        &["blast", model],
        &["cuts", model],
        &["availability", model, "--trials", "2000", "--seed", "1"],
        &["diagnose", model, "--symptom", "web=down"],
    ] {
        for (ext, format) in [("json", "json"), ("txt", "text")] {
            let file = dir.path().join(format!("{}.{ext}", command[0]));
            let path = file.to_str().unwrap();
            Whatif::new()
                .args(command.iter().copied().chain(["-o", path]))
                .code(0);
            let shown = Whatif::new()
                .args(command.iter().copied().chain(["--format", format]))
                .code(0)
                .stdout();
            assert_eq!(
                fs::read_to_string(&file).unwrap(),
                shown,
                "{command:?} -o .{ext}"
            );
        }
        let md = dir.path().join("r.md");
        Whatif::new()
            .args(command.iter().copied().chain(["-o", md.to_str().unwrap()]))
            .code(2)
            .stderr_contains("use .txt or .json, or give --format");
        assert!(!md.exists());
    }
    let copy = dir.path().join("m.yaml");
    fs::copy(path(model), &copy).unwrap();
    let before = fs::read(&copy).unwrap();
    let copy = copy.to_str().unwrap();
    Whatif::new()
        .args(["spof", copy, "--format", "json", "-o", copy])
        .code(2)
        .stderr_contains("it is an input of this command");
    assert_eq!(fs::read(copy).unwrap(), before);
}

/// `-o` changes where `check` and `scenario` write, never how they end:
/// an invalid model is still exit 2 and `--strict` warnings exit 1 (with
/// the findings in the file), a failed expectation is still exit 1 (with
/// the verdicts in the file, and `--junit` written beside it).
#[test]
fn check_and_scenario_keep_their_exit_codes_with_o() {
    let dir = folder();
    let d = dir.path();
    let json = d.join("findings.json");
    let invalid = "tests/fixtures/invalid/E010-unknown-service.yaml";
    let warned = "tests/fixtures/invalid/W001-cycle.yaml";
    for (args, code, valid) in [
        (vec!["check", invalid], 2, false),
        (vec!["check", warned], 0, true),
        (vec!["check", "--strict", warned], 1, true),
    ] {
        Whatif::new()
            .args(args.iter().copied().chain(["-o", s(&json)]))
            .code(code);
        let j: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(j["files"][0]["valid"], valid, "{args:?}");
        assert!(!j["findings"].as_array().unwrap().is_empty(), "{args:?}");
    }

    let scenario = d.join("wrong.yaml");
    fs::write(
        &scenario,
        format!(
            "title: A wrong guess\nmodel: {}\nduration: 2m\nevents:\n  - {{ at: 0s, down: db }}\nexpect:\n  - {{ at: 1m, service: web, state: healthy }}\n",
            path("examples/three-tier.yaml").display()
        ),
    )
    .unwrap();
    let (text, junit) = (d.join("verdicts.txt"), d.join("results.xml"));
    let out = Whatif::new()
        .args([
            "scenario",
            s(&scenario),
            "-o",
            s(&text),
            "--junit",
            s(&junit),
        ])
        .code(1);
    assert_eq!(out.stdout(), "");
    let written = fs::read_to_string(&text).unwrap();
    assert!(
        written.contains("FAIL: 0 of 1 expectations hold"),
        "{written}"
    );
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
    Whatif::new()
        .args(["scenario", s(&scenario), "-o", s(&json)])
        .code(1);
    let j: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["summary"]["failed"], 1);
    // An extension neither writes is refused before anything runs.
    let svg = d.join("verdicts.svg");
    Whatif::new()
        .args([
            "scenario",
            s(&scenario),
            "-o",
            s(&svg),
            "--junit",
            s(&junit),
        ])
        .code(2)
        .stderr_contains("cannot tell the format of");
    assert!(!svg.exists());
}
