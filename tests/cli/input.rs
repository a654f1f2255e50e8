//! Reading input (issue 16): models, scenario files, a scenario's `model:`
//! and import inputs are read only from regular files or `-` (standard
//! input), capped at 256 MiB while reading; anything else is refused at
//! once with exit 2. JSON models (`.json`) are read like YAML ones.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// A named pipe in `dir` nobody writes to: opening it for reading would
/// block forever.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
    path
}

/// Runs whatif with a deadline: a read that blocks must not hang the test.
fn within_seconds(seconds: u64, args: &[&str], stdin: Stdio) -> std::process::Output {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("whatif"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("whatif starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(seconds) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "whatif {args:?} still running after {seconds} s: {}{}",
                stdout(&out),
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn refused_at_once(args: &[&str], says: &str) {
    let out = within_seconds(10, args, Stdio::null());
    assert_no_panic(&out);
    assert_eq!(code(&out), 2, "{args:?}: {}{}", stdout(&out), stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains(says), "{args:?} should say {says:?}: {all}");
}

#[test]
fn special_files_are_refused_at_once_everywhere() {
    let scratch = temp_dir("input");
    let pipe = fifo(scratch.path(), "model.yaml");
    let pipe = pipe.to_str().unwrap();
    let dir = scratch.path().join("a-folder");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    for (args, says) in [
        (
            vec!["check", "/dev/zero"],
            "is a character device, not a regular file",
        ),
        (
            vec!["check", "/dev/urandom"],
            "is a character device, not a regular file",
        ),
        (
            vec!["check", pipe],
            "is a named pipe (FIFO), not a regular file",
        ),
        (vec!["check", dir], "is a directory, not a regular file"),
        (vec!["run", "/dev/zero"], "not a regular file"),
        (
            vec!["import", pipe],
            "is a named pipe (FIFO), not a regular file",
        ),
        (vec!["import", "/dev/zero"], "not a regular file"),
        (vec!["scenario", pipe], "not a regular file"),
    ] {
        refused_at_once(&args, says);
    }
}

#[test]
fn a_scenario_whose_model_is_a_special_file_is_refused_at_once() {
    let scratch = temp_dir("input");
    let pipe = fifo(scratch.path(), "scenario-model.yaml");
    for model in ["/dev/zero", pipe.to_str().unwrap()] {
        let scenario = scratch.path().join("special-model.yaml");
        std::fs::write(
            &scenario,
            format!("title: t\nmodel: {model}\nduration: 1m\n"),
        )
        .unwrap();
        let out = within_seconds(10, &["scenario", scenario.to_str().unwrap()], Stdio::null());
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("S001") && err.contains("not a regular file"),
            "{err}"
        );
    }
}

#[test]
fn dash_reads_standard_input() {
    let model = std::fs::File::open(path("examples/three-tier.yaml")).unwrap();
    let out = within_seconds(30, &["check", "-"], Stdio::from(model));
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("ok (5 services)"), "{}", stdout(&out));
}

#[test]
fn endless_standard_input_stops_at_the_cap() {
    // /dev/zero never ends: the read stops just past 256 MiB, not at the end.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = within_seconds(60, &["check", "--format", "json", "-"], Stdio::from(zero));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["findings"][0]["code"], "E005", "{json}");
    assert!(
        json["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("256 MiB"),
        "{json}"
    );
}

fn to_json(yaml_file: &Path) -> String {
    let text = std::fs::read_to_string(yaml_file).unwrap();
    whatif::model::events::yaml_to_json(&text).expect("valid YAML")
}

#[test]
fn json_models_load_like_their_yaml() {
    let scratch = temp_dir("input");
    for file in yaml_files(&path("examples")) {
        let yaml = whatif::model::load_file(&file).expect("example loads");
        let json_file = scratch.path().join(format!(
            "{}.json",
            file.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&json_file, to_json(&file)).unwrap();
        let json = whatif::model::load_file(&json_file)
            .unwrap_or_else(|e| panic!("{}: {e:?}", json_file.display()));
        assert_eq!(
            serde_json::to_value(&yaml.model).unwrap(),
            serde_json::to_value(&json.model).unwrap(),
            "{}",
            file.display()
        );
        assert_eq!(
            yaml.findings.len(),
            json.findings.len(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn json_findings_have_positions_and_tabs_are_fine() {
    let scratch = temp_dir("input");
    let file = scratch.path().join("tabs.json");
    std::fs::write(
        &file,
        "{\n\t\"services\": {\n\t\t\"web\": { \"entry\": { \"rps\": 5 }, \"replicsa\": 2 }\n\t}\n}\n",
    )
    .unwrap();
    let out = Whatif::new()
        .args(["check", "--format", "json", file.to_str().unwrap()])
        .run();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &json["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("E002"), Some(3), Some(35)),
        "{json}"
    );
    assert_eq!(f["hint"], "did you mean `replicas`?");
}
