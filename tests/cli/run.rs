//! `whatif run`: the cascade as text, JSON, Markdown and pictures.

use crate::support::*;

#[test]
fn three_tier_db_down_text() {
    let out = Whatif::new()
        .args(["run", "examples/three-tier.yaml", "--down", "db"])
        .code(0);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn online_shop_catalog_db_down_json_has_the_spec_shape() {
    let j = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog-db",
            "--format",
            "json",
        ])
        .code(0)
        .json();
    assert_eq!(j["model"], "online-shop");
    assert_eq!(
        j["faults"],
        serde_json::json!([{ "kind": "down", "target": "catalog-db" }])
    );
    let services = j["services"].as_array().unwrap();
    assert_eq!(services.len(), 15, "every service, healthy ones too");
    for s in services {
        for key in [
            "name",
            "state",
            "success",
            "latency_ms",
            "p99_ms",
            "load_rps",
            "amplification",
            "because",
            "chain",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
    }
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        &names[..3],
        ["web", "session-store", "config"],
        "model order"
    );
    let catalog = services.iter().find(|s| s["name"] == "catalog").unwrap();
    assert_eq!(catalog["state"], "degraded");
    assert_eq!(
        catalog["chain"],
        serde_json::json!(["catalog-db", "catalog"])
    );
    let db = services.iter().find(|s| s["name"] == "catalog-db").unwrap();
    assert_eq!(
        (db["state"].as_str(), db["success"].as_f64()),
        (Some("down"), Some(0.0))
    );
    // Operations: every one, `web.browse` style, and `NAME.default` for implicit ones.
    let ops: Vec<&str> = j["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        ops.contains(&"web.browse") && ops.contains(&"catalog.default"),
        "{ops:?}"
    );
    let entries: Vec<&str> = j["entry_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        entries,
        [
            "web",
            "web.browse",
            "web.search",
            "web.add-to-cart",
            "web.checkout"
        ]
    );
    let summary = &j["summary"];
    let total: u64 = ["healthy", "slow", "degraded", "down"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 15);
    assert_eq!(summary["down"], 1);
}

#[test]
fn faults_are_reported_as_typed() {
    let j = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--slow",
            "catalog-db=+400ms@5%",
            "--down",
            "catalog-db:1",
            "--surge",
            "x1.5",
            "--format",
            "json",
        ])
        .code(0)
        .json();
    assert_eq!(
        j["faults"],
        serde_json::json!([
            { "kind": "down", "target": "catalog-db:1", "replicas": 1 },
            { "kind": "slow", "target": "catalog-db", "add_ms": 400.0, "share": 0.05 },
            { "kind": "surge", "target": null, "factor": 1.5 },
        ])
    );
}

#[test]
fn unbounded_latency_is_null_in_json() {
    let j = Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--hang",
            "db",
            "--format",
            "json",
        ])
        .run()
        .json();
    let db = j["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "db")
        .unwrap();
    assert!(db["latency_ms"].is_null(), "{db}");
}

#[test]
fn bad_faults_are_exit_2_with_a_suggestion() {
    for (flag, value, hint) in [
        ("--down", "catalgo-db", "did you mean `catalog-db`?"),
        ("--down", "catalog-db:9", "catalog-db:1"),
        ("--down", "zone:eu-9z", "did you mean `zone:eu-1a`?"),
        ("--slow", "catalog-db=400ms", "+400ms"),
        ("--surge", "catalog=x2", "entry points: web"),
        ("--cut", "web->nowhere", "run `whatif check`"),
    ] {
        Whatif::new()
            .args(["run", "examples/online-shop.yaml", flag, value])
            .code(2)
            .stderr_contains(hint)
            .no_panic();
    }
}

/// A fault that cannot do anything is refused like a typo, with
/// what would have worked; a value that changes nothing runs, with a warning.
#[test]
fn faults_that_cannot_do_anything_are_refused() {
    for (flag, value, message, hint) in [
        (
            "--cut",
            "web->catalog-db",
            "`web` does not call `catalog-db`",
            "did you mean `web->catalog`?",
        ),
        (
            "--cold",
            "catalog-db",
            "`catalog-db` is not a cache",
            "caches: product-cache",
        ),
        (
            "--down",
            "catalog-db:4",
            "not a replica count",
            "catalog-db:1",
        ),
        (
            "--cold",
            "zone:eu-1a",
            "`zone:eu-1a` is a zone, not a service",
            "a zone can be taken by `--down`, `--hang`, `--slow` or `--errors`",
        ),
        (
            "--cut",
            "zone:eu-1a->web",
            "is not a link between two services",
            "a zone can be taken by",
        ),
        ("--surge", "x1e308", "too large", "at most x1000000"),
        (
            "--slow",
            "catalog-db=x1e308",
            "too large",
            "--hang catalog-db",
        ),
    ] {
        Whatif::new()
            .args(["run", "examples/online-shop.yaml", flag, value])
            .code(2)
            .stderr_contains(message)
            .stderr_contains(hint)
            .no_panic();
    }
    // A zone where no replica lives (the model warns about it too).
    let model = "zones: [a, b]\nservices:\n  web: { entry: { rps: 5 }, zones: [a] }\n";
    Whatif::new()
        .args(["run", "-", "--down", "zone:b"])
        .stdin(model)
        .code(2)
        .stderr_contains("no replica lives in zone `b`")
        .stderr_contains("zones with replicas: zone:a");
    for (flag, value) in [
        ("--slow", "catalog-db=x1"),
        ("--slow", "catalog-db=+0ms"),
        ("--errors", "catalog-db=0%"),
        ("--surge", "x1"),
    ] {
        Whatif::new()
            .args(["run", "examples/online-shop.yaml", flag, value])
            .code(0)
            .stderr_contains(&format!("warning: `{flag} {value}` changes nothing"))
            .stdout_contains("0 slow · 0 degraded · 0 down");
    }
}

#[test]
fn markdown_and_pictures() {
    Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "cache",
            "--format",
            "markdown",
        ])
        .code(0)
        .stdout_contains("| service | state | success |");
    let svg = Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
            "--format",
            "svg",
            "--layout",
            "builtin",
        ])
        .code(0);
    let text = stdout(&svg);
    assert!(text.contains("DOWN 0%"), "states are written on the boxes");
    assert!(text.contains("#c0392b"), "the causal path is highlighted");
    let dot = Whatif::new()
        .args(["graph", "examples/three-tier.yaml", "--down", "db"])
        .run()
        .stdout();
    assert!(
        dot.contains("fillcolor=\"#f4a6a6\""),
        "down is painted: {dot}"
    );
}

#[test]
fn every_example_runs_and_is_healthy_without_faults() {
    for file in yaml_files(&path("examples")) {
        let j = Whatif::new()
            .args(["run", file.to_str().unwrap(), "--format", "json"])
            .code(0)
            .json();
        assert_eq!(j["converged"], true, "{}", file.display());
        let n = j["services"].as_array().unwrap().len() as u64;
        assert_eq!(
            j["summary"]["healthy"].as_u64(),
            Some(n),
            "{}: {}",
            file.display(),
            j["summary"]
        );
    }
}

#[test]
fn generate_is_deterministic_and_checks() {
    let a = Whatif::new()
        .args(["generate", "--services", "300", "--seed", "5"])
        .code(0);
    let b = Whatif::new()
        .args(["generate", "--services", "300", "--seed", "5"])
        .run();
    assert_eq!(a.stdout, b.stdout);
    let dir = temp_dir("gen");
    std::fs::write(dir.path().join("g.yaml"), &a.stdout).unwrap();
    Whatif::new()
        .current_dir(dir.path())
        .args(["check", "g.yaml"])
        .code(0);
    Whatif::new()
        .current_dir(dir.path())
        .args(["run", "g.yaml", "--down", "db-1"])
        .code(0);
}

/// The smallest architecture `generate` writes is one service: an entry
/// gateway with nothing behind it, the same for the same seed, which
/// `check` accepts and `run` can take down. Two add a stateful leaf.
#[test]
fn generate_one_service_is_a_lone_entry() {
    let one = |seed: &str| {
        Whatif::new()
            .args(["generate", "--services", "1", "--seed", seed])
            .code(0)
            .stdout()
    };
    let text = one("3");
    assert_eq!(text, one("3"));
    assert!(text.contains("name: generated-1-3\n"), "{text}");
    assert!(text.contains("  gateway-1:\n"), "{text}");
    assert!(!text.contains("depends_on"), "{text}");
    let dir = temp_dir("gen1");
    std::fs::write(dir.path().join("g.yaml"), &text).unwrap();
    Whatif::new()
        .current_dir(dir.path())
        .args(["check", "--strict", "g.yaml"])
        .code(0)
        .stdout_contains("g.yaml: ok (1 service)");
    let cascade = Whatif::new()
        .current_dir(dir.path())
        .args(["run", "g.yaml", "--down", "gateway-1", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(cascade["entry_points"][0]["name"], "gateway-1");
    assert_eq!(cascade["entry_points"][0]["state"], "down");
    Whatif::new()
        .current_dir(dir.path())
        .args(["run", "g.yaml"])
        .code(0);
    let two = Whatif::new()
        .args(["generate", "--services", "2", "--seed", "3"])
        .code(0)
        .stdout();
    assert!(two.contains("    depends_on:\n"), "{two}");
    std::fs::write(dir.path().join("g2.yaml"), &two).unwrap();
    Whatif::new()
        .current_dir(dir.path())
        .args(["check", "g2.yaml"])
        .code(0)
        .stdout_contains("g2.yaml: ok (2 services)");
    Whatif::new()
        .args(["generate", "--services", "0"])
        .code(2)
        .stderr_contains("0 is not in 1..=10000000");
}

/// Each command names the formats it writes when an extension names none
/// of them (one table of formats and extensions, each command its list).
#[test]
fn an_unknown_extension_lists_the_formats_run_writes() {
    Whatif::new()
        .args(["run", "examples/three-tier.yaml", "-o", "cascade.xyz"])
        .code(2)
        .snapshot("an_unknown_extension_lists_the_formats_run_writes");
    Whatif::new()
        .args(["graph", "examples/three-tier.yaml", "-o", "shop.json"])
        .code(2)
        .snapshot("an_unknown_extension_lists_the_formats_graph_writes");
}

/// Issue 13 §2: Markdown shows which user operation is down, each entry
/// operation under its entry point as the text's *what users see* does.
#[test]
fn markdown_lists_entry_operations_under_their_entry_point() {
    let md = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog",
            "--format",
            "markdown",
        ])
        .code(0)
        .stdout();
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    let at = |name: &str| {
        rows.iter()
            .position(|r| r.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{md}"))
    };
    let browse = rows[at("web.browse")];
    assert!(
        browse.starts_with("| web.browse | down | 0% | ")
            && browse.contains("| 900 rps | hard dependency catalog is down"),
        "{md}"
    );
    assert!(
        rows[at("web.search")].ends_with("| 200 rps |  |"),
        "a healthy operation needs no reason: {md}"
    );
    // Right under their entry point, in model order, before other services.
    let web = at("web");
    let ops: Vec<usize> = ["browse", "search", "add-to-cart", "checkout"]
        .iter()
        .map(|op| at(&format!("web.{op}")))
        .collect();
    assert_eq!(ops, [web + 1, web + 2, web + 3, web + 4], "{md}");
}

/// Issue 13 §2: a timeline is written as text, JSON, Markdown (tables of
/// events and state changes) or the SVG chart; the formats that draw one
/// moment of the architecture are refused (exit 2), not substituted.
#[test]
fn run_for_writes_markdown_tables_and_refuses_one_moment_pictures() {
    let args = [
        "run",
        "examples/online-shop.yaml",
        "--down",
        "catalog-db",
        "--for",
        "12m",
        "--step",
        "10s",
    ];
    let md = Whatif::new()
        .args(args)
        .args(["--format", "markdown"])
        .code(0)
        .stdout();
    assert!(
        md.starts_with("## online-shop --down catalog-db for 12m (step 10s)\n"),
        "{md}"
    );
    assert!(
        md.contains("| t | event |\n| ---: | --- |\n| 0s | --down catalog-db |\n"),
        "{md}"
    );
    assert!(
        md.contains("| 10m | web.browse | degraded | down | hard dependency catalog is down"),
        "{md}"
    );
    assert!(md.contains("| web | degraded | 18% |"), "{md}");
    let dir = temp_dir("for");
    for (file, said) in [
        (
            "chart.png",
            "a timeline is drawn as an SVG chart, not as PNG",
        ),
        ("moment.dot", "a timeline is not a graph"),
        ("moment.mmd", "a timeline is not a graph"),
        ("page.html", "the HTML page shows the steady state"),
    ] {
        let out = dir.path().join(file);
        Whatif::new()
            .args(args)
            .args(["-o", out.to_str().unwrap()])
            .code(2)
            .stderr_contains(said)
            .stderr_contains("hint:");
        assert!(!out.exists(), "{file} was written");
    }
}

/// A chain of `n` services, `s0` (the entry) calling `s1` … calling
/// `s{n-1}`, written to a temporary folder.
fn chain_model(n: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: chain\nservices:\n");
    for i in 0..n {
        text.push_str(&format!("  s{i}:\n"));
        if i == 0 {
            text.push_str("    entry: { rps: 10 }\n");
        }
        if i + 1 < n {
            text.push_str(&format!("    depends_on: [s{}]\n", i + 1));
        }
    }
    let file = dir.path().join("chain.yaml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap().to_owned();
    (dir, file)
}

#[test]
fn a_long_chain_keeps_its_first_and_last_8_names() {
    let (_dir, model) = chain_model(200);
    let ran = Whatif::new()
        .args(["run", &model, "--down", "s199", "--format", "json"])
        .code(0);
    // Every row repeating a 200-name chain would be about 1 MB.
    assert!(ran.stdout.len() < 250_000, "{} bytes", ran.stdout.len());
    let j = ran.json();
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    };
    let s0 = &j["services"][0];
    let expected: Vec<String> = (192..200)
        .rev()
        .chain((0..8).rev())
        .map(|i| format!("s{i}"))
        .collect();
    assert_eq!(names(&s0["chain"]), expected);
    assert_eq!(s0["chain_elided"], 184);
    // A chain of 16 is whole; a shorter one says 0 was left out.
    let s184 = &j["services"][184];
    assert_eq!(names(&s184["chain"]).len(), 16);
    assert_eq!(s184["chain_elided"], 0);
    let s183 = &j["services"][183];
    assert_eq!(names(&s183["chain"]).len(), 16);
    assert_eq!(s183["chain_elided"], 1);
    for rows in ["services", "operations"] {
        for row in j[rows].as_array().unwrap() {
            let kept = row["chain"].as_array().unwrap().len();
            let elided = row["chain_elided"].as_u64().unwrap() as usize;
            assert!(kept <= 16, "{row}");
            assert!(elided == 0 || kept == 16, "{row}");
        }
    }

    let text = Whatif::new()
        .args(["run", &model, "--down", "s199"])
        .code(0)
        .stdout();
    assert!(
        text.contains(
            "chain: s199 → s198 → s197 → s196 → s195 → s194 → s193 → s192 → … 184 more … → s7 → s6 → s5 → s4 → s3 → s2 → s1 → s0\n"
        ),
        "{text}"
    );
    // The timeline's JSON ends with `run`'s shape: elided too.
    let j = Whatif::new()
        .args([
            "run", &model, "--down", "s199", "--for", "2s", "--format", "json",
        ])
        .code(0)
        .json();
    assert_eq!(j["services"][0]["chain_elided"], 184);
}

/// Writes `text` as `NAME.yaml` in `dir` and returns its path.
fn model_in(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Replica k lives in `zones[(k-1) mod n]`: with three zones and at most
/// two replicas per service nothing lives in the third, so losing it is a
/// fault that cannot do anything, refused like any other (exit 2), in
/// `run`, in scenarios and never offered by the drill.
#[test]
fn a_zone_without_replicas_is_refused_even_when_services_list_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_in(
        dir.path(),
        "z",
        "name: z\nzones: [z1, z2, z3]\nservices:\n  a: { entry: { rps: 10 }, depends_on: [b] }\n  b: { replicas: 2 }\n",
    );
    for kind in ["--down", "--hang"] {
        Whatif::new()
            .args(["run", &model, kind, "zone:z3"])
            .code(2)
            .stderr_contains("no replica lives in zone `z3`")
            .stderr_contains("zones with replicas: zone:z1, zone:z2");
    }
    let j = Whatif::new()
        .args(["run", &model, "--down", "zone:z2", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(j["summary"]["down"], 0, "b keeps its replica in z1: {j}");
}

/// "At least" includes the boundary, float noise included: a 50 ms
/// service slowed ×2 answers in exactly twice its time and 50 ms more, so
/// it is slow; fault-free services succeed exactly 100 %.
#[test]
fn the_slow_boundary_holds_and_fault_free_success_is_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let alone = model_in(
        dir.path(),
        "alone",
        "name: t\nservices:\n  a: { entry: { rps: 100 }, latency: 50ms }\n",
    );
    for fault in ["a=x2", "a=+50ms"] {
        let j = Whatif::new()
            .args(["run", &alone, "--slow", fault, "--format", "json"])
            .code(0)
            .json();
        assert_eq!(j["services"][0]["state"], "slow", "--slow {fault}: {j}");
    }
    let model = model_in(
        dir.path(),
        "t",
        "name: t\nservices:\n  a: { entry: { rps: 100 }, latency: 50ms, depends_on: [b] }\n  b: { latency: 5ms }\n",
    );
    let j = Whatif::new()
        .args(["run", &model, "--format", "json"])
        .code(0)
        .json();
    for s in j["services"].as_array().unwrap() {
        assert_eq!(s["success"], 1.0, "{s}");
    }
    assert_eq!(
        j["services"][1]["latency_ms"], 5.0,
        "a leaf answers in its latency"
    );
}

/// `run --for --format json` streams its rows: the keys of every object in
/// name order (the order a JSON value tree would give them), the series by
/// service name, and a latency of requests that wait forever as `null`.
#[test]
fn the_timeline_json_keeps_its_keys_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_in(
        dir.path(),
        "t",
        "name: t\nservices:\n  web: { entry: { rps: 10 }, depends_on: [{ to: zdb, timeout: 1s }, api] }\n  api: {}\n  zdb: {}\n",
    );
    let text = Whatif::new()
        .args([
            "run", &model, "--hang", "zdb", "--for", "3s", "--format", "json",
        ])
        .code(0)
        .stdout();
    let top: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim_start().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "actions",
            "converged",
            "duration_s",
            "entry_points",
            "events",
            "faults",
            "iterations",
            "model",
            "operations",
            "series",
            "services",
            "step_s",
            "summary"
        ]
    );
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let series: Vec<&String> = j["series"].as_object().unwrap().keys().collect();
    assert_eq!(series, ["api", "web", "zdb"]);
    let zdb = j["series"]["zdb"].as_array().unwrap();
    assert_eq!(zdb.len(), 4, "t = 0, 1, 2, 3 s");
    assert!(zdb.iter().all(|s| s["latency_ms"].is_null()), "{zdb:?}");
    let sample = text.find("\"latency_ms\"").unwrap();
    let rest = &text[sample..];
    let order: Vec<usize> = ["\"latency_ms\"", "\"load_rps\"", "\"success\"", "\"t_s\""]
        .iter()
        .map(|k| rest.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(j["events"].as_array().is_some_and(|e| !e.is_empty()));
    let rest = &text[text.find("\"because\"").unwrap()..];
    let order: Vec<usize> = ["\"because\"", "\"from\"", "\"name\"", "\"t_s\"", "\"to\""]
        .iter()
        .map(|k| rest.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

/// A did-you-mean offers only what the flag takes: a misspelt entry point
/// for `--surge`, a cache for `--cold`, and keeps a replica count.
#[test]
fn a_did_you_mean_offers_what_the_flag_takes() {
    for (flag, value, hint) in [
        ("--down", "catlog-db", "did you mean `catalog-db`?"),
        ("--down", "catalog-bd:1", "did you mean `catalog-db:1`?"),
        ("--surge", "wbe=x2", "did you mean `web`?"),
        ("--surge", "catalog=x2", "entry points: web"),
        ("--surge", "=x2", "write `x2` to surge every entry point"),
        ("--cold", "prodcut-cache", "did you mean `product-cache`?"),
        ("--cold", "catalog-dbb", "caches: product-cache"),
    ] {
        Whatif::new()
            .args(["run", "examples/online-shop.yaml", flag, value])
            .code(2)
            .stderr_contains(hint)
            .no_panic();
    }
}

/// A file that is not there says so with a hint, as `check` does; a fault
/// that changes nothing is warned about by `drill --fault` as by `run`.
#[test]
fn a_missing_file_gets_a_hint_and_a_no_op_drill_fault_a_warning() {
    Whatif::new()
        .args(["run", "no-such-model.yaml", "--down", "db"])
        .code(2)
        .stderr_contains("cannot read `no-such-model.yaml`")
        .stderr_contains("hint: check the path");
    Whatif::new()
        .args([
            "drill",
            "examples/three-tier.yaml",
            "--fault",
            "slow db=x1",
            "--seed",
            "1",
            "--no-pictures",
        ])
        .stdin("")
        .run()
        .stderr_contains("warning: `--slow db=x1` changes nothing");
}
