//! `whatif scenario`: every shipped scenario passes; failures exit 1; JUnit.

use crate::support::*;

#[test]
fn every_shipped_scenario_passes() {
    let files = yaml_files(&path("scenarios"));
    assert!(files.len() >= 6, "at least six scenarios");
    let mut args = vec!["scenario"];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect();
    args.extend(names.iter().map(String::as_str));
    let out = Whatif::new().args(&args).code(0);
    assert!(!stdout(&out).contains('✗'), "{}", stdout(&out));
}

/// Issue 13 §2: a scenario's own events appear in its timeline at their
/// moments, and every recovery says why. Shown on the catalog outage: the
/// database is recovered at 12m, starts for 3m, and the catalog and the
/// storefront follow it; the retry storm ended by a `set`.
#[test]
fn a_scenario_shows_its_events_and_why_things_recovered() {
    let out = Whatif::new()
        .args([
            "scenario",
            "scenarios/catalog-db-outlasts-stale-window.yaml",
        ])
        .code(0);
    let text = stdout(&out);
    for line in [
        "      0s  ▸ --down catalog-db\n      0s  web ",
        "     12m  ▸ recover catalog-db\n",
        "catalog-db           down → HEALTHY   recovered: its replicas are back after a 3m start",
        "catalog              down → HEALTHY   recovered: catalog-db is healthy again",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let out = Whatif::new()
        .args(["scenario", "scenarios/responder-turns-off-retries.yaml"])
        .code(0);
    let text = stdout(&out);
    for line in [
        "      2m  ▸ --surge x1.5 ends\n",
        "      5m  ▸ set storefront->checkout-api: retries 0\n",
        // The backlog left by the storm drains (1,000 − 800 rps) before
        // the storefront's calls fit in their 500ms again.
        "      5m  checkout-api  degraded → SLOW      draining a backlog of 3,999 queued requests: clear in 20s",
        "storefront        slow → HEALTHY   recovered: it answers in 32.1ms again",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    // Every change of every shipped scenario has a reason, and the JSON
    // lists the events as `actions`.
    let files = yaml_files(&path("scenarios"));
    let mut args = vec!["scenario".to_string(), "--format".into(), "json".into()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_owned()));
    let j = Whatif::new().args(&args).code(0).json();
    for sc in j["scenarios"].as_array().unwrap() {
        let actions = sc["actions"].as_array().unwrap();
        assert!(!actions.is_empty(), "{}", sc["file"]);
        for e in sc["events"].as_array().unwrap() {
            assert_ne!(e["because"], "", "{} {e}", sc["file"]);
        }
    }
}

/// The metastable pair, end to end. Same surge, same architecture; the only
/// difference is a 10 % retry budget. Without it, queued requests outlive
/// the 500 ms timeout, every attempt is retried three times, and after the
/// surge 800 rps × 4 attempts = 3,200 rps keeps a 1,000 rps service
/// swamped: still down at 10 minutes. With it, at most 880 rps arrive after
/// the surge, the backlog drains and the storefront recovers.
#[test]
fn the_metastable_pair() {
    let stays = Whatif::new()
        .args([
            "scenario",
            "scenarios/retry-storm-stays-down.yaml",
            "--format",
            "json",
        ])
        .code(0);
    let recovers = Whatif::new()
        .args([
            "scenario",
            "scenarios/retry-storm-recovers.yaml",
            "--format",
            "json",
        ])
        .code(0);
    let last_state = |out: &Ran| {
        let j = out.json();
        let events = j["scenarios"][0]["events"].as_array().unwrap().clone();
        events
            .iter()
            .rev()
            .find(|e| e["name"] == "storefront")
            .map(|e| e["to"].as_str().unwrap().to_owned())
    };
    assert_eq!(last_state(&stays).as_deref(), Some("down"));
    assert_eq!(last_state(&recovers).as_deref(), Some("healthy"));
}

#[test]
fn a_failing_expectation_exits_1_and_shows_in_junit() {
    let dir = temp_dir("scn");
    let file = dir.path().join("wrong.yaml");
    let model = path("examples/three-tier.yaml");
    std::fs::write(
        &file,
        format!(
            "title: A wrong guess\nmodel: {}\nstory: db dies; someone bets web survives.\nduration: 2m\nevents:\n  - {{ at: 0s, down: db }}\nexpect:\n  - {{ at: 1m, service: web, state: healthy }}\n  - {{ at: 1m, service: db, state: down }}\n",
            model.display()
        ),
    )
    .unwrap();
    let junit = dir.path().join("results.xml");
    Whatif::new()
        .args([
            "scenario",
            file.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ])
        .code(1)
        .stdout_contains("✗ web is healthy at 1m — expected healthy, found down")
        .stdout_contains("FAIL: 1 of 2 expectations hold");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");
}

#[test]
fn a_broken_scenario_is_exit_2_with_a_position() {
    Whatif::new()
        .args([
            "scenario",
            "tests/fixtures/scenarios/invalid/S011-unknown-service.yaml",
        ])
        .code(2)
        .stderr_contains("S011")
        .stderr_contains(":")
        .no_panic();
}

/// A file that cannot run is a JUnit error beside the files that ran, so
/// CI shows it; the exit is still 2.
#[test]
fn a_broken_scenario_is_a_junit_error_beside_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("results.xml");
    Whatif::new()
        .args([
            "scenario",
            "scenarios/zone-eu-1a-outage.yaml",
            "tests/fixtures/scenarios/invalid/S011-unknown-service.yaml",
            "--junit",
            junit.to_str().unwrap(),
        ])
        .code(2);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"failures="0" errors="1">"#), "{xml}");
    assert!(
        xml.contains("file=\"scenarios/zone-eu-1a-outage.yaml\""),
        "{xml}"
    );
    assert!(
        xml.contains(
            r#"<error message="tests/fixtures/scenarios/invalid/S011-unknown-service.yaml:"#
        ),
        "{xml}"
    );
    assert!(xml.contains("error[S011]"), "{xml}");
}

#[test]
fn run_for_prints_the_timeline_and_json_series() {
    let out = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog-db",
            "--for",
            "12m",
            "--step",
            "10s",
        ])
        .code(0);
    insta::assert_snapshot!(stdout(&out));
    let j = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog-db",
            "--for",
            "12m",
            "--step",
            "1m",
            "--format",
            "json",
        ])
        .run()
        .json();
    let events = j["events"].as_array().unwrap();
    let catalog: Vec<(f64, &str)> = events
        .iter()
        .filter(|e| e["name"] == "catalog")
        .map(|e| (e["t_s"].as_f64().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(catalog, [(0.0, "degraded"), (600.0, "down")]);
    let series = j["series"]["catalog"].as_array().unwrap();
    assert_eq!(series.len(), 13, "t = 0, 1m … 12m");
    for key in ["t_s", "success", "latency_ms", "load_rps"] {
        assert!(series[0].get(key).is_some(), "{key}");
    }
}

#[test]
fn run_for_writes_a_chart_and_frames() {
    let dir = temp_dir("frames");
    let chart = dir.path().join("chart.svg");
    let frames = dir.path().join("frames");
    Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
            "--for",
            "2m",
            "--step",
            "10s",
            "-o",
            chart.to_str().unwrap(),
            "--frames",
            frames.to_str().unwrap(),
        ])
        .code(0);
    assert!(
        std::fs::read_to_string(&chart)
            .unwrap()
            .contains("<polyline")
    );
    let n = std::fs::read_dir(&frames).unwrap().count();
    assert!(n >= 2, "one SVG and one DOT per state change, got {n}");
}
