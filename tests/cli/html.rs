//! The interactive HTML page of `run` and `review`, without a browser:
//! one self-contained file (nothing fetched, no external script, style or
//! font), its data parses, has one cascade per service, and agrees with
//! `whatif run MODEL --down SERVICE --format json`. (`browser.rs` drives
//! the page in Chromium.)

use serde_json::Value;

use crate::support::*;

/// Writes a page with `whatif ARGS -o FILE` and returns it.
fn page(args: &[&str], name: &str) -> String {
    let dir = temp_dir("html");
    let file = dir.path().join(name);
    let mut all = args.to_vec();
    all.extend(["-o", file.to_str().unwrap()]);
    Whatif::new().args(&all).code(0);
    std::fs::read_to_string(&file).unwrap()
}

/// The embedded data, parsed.
fn data(page: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"whatif-data\">";
    let start = page.find(open).expect("data element") + open.len();
    let end = start + page[start..].find("</script>").unwrap();
    let json = &page[start..end];
    assert!(
        !json.contains('<') && !json.contains('>') && !json.contains('&'),
        "markup characters are escaped in the data"
    );
    serde_json::from_str(json).expect("the data is JSON")
}

const STATES: [&str; 4] = ["healthy", "slow", "degraded", "down"];

/// A cascade of the page's data as (state, success, latency, because,
/// chain) per service, healthy and unexplained services filled in.
fn expand(data: &Value, cascade: &Value) -> Vec<Value> {
    let n = data["services"].as_array().unwrap().len();
    let mut out = vec![serde_json::json!(["healthy", "", ""]); n];
    for r in cascade["affected"].as_array().unwrap() {
        let i = r[0].as_u64().unwrap() as usize;
        let chain: Vec<Value> = chain(cascade, i)
            .into_iter()
            .map(|s| data["services"][s].clone())
            .collect();
        out[i] = serde_json::json!([
            STATES[r[1].as_u64().unwrap() as usize],
            data["texts"][r[4].as_u64().unwrap() as usize],
            chain
        ]);
    }
    out
}

/// A service's chain in a cascade of the page's data: `null`, a list, or
/// the chain of another service followed by this one.
fn chain(cascade: &Value, service: usize) -> Vec<usize> {
    let row = cascade["affected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == service)
        .expect("the chain refers to an affected service");
    match &row[5] {
        Value::Null => Vec::new(),
        Value::Number(n) => {
            let before = n.as_u64().unwrap() as usize;
            assert_ne!(before, service);
            let mut c = chain(cascade, before);
            c.push(service);
            c
        }
        list => list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap() as usize)
            .collect(),
    }
}

/// The same, from the CLI's JSON.
fn from_cli(cli: &Value) -> Vec<Value> {
    cli["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            if s["state"] == "healthy" && s["because"] == "" {
                serde_json::json!(["healthy", "", ""])
            } else {
                serde_json::json!([s["state"], s["because"], s["chain"]])
            }
        })
        .collect()
}

/// Nothing in the page can reach outside the file.
fn assert_self_contained(page: &str, what: &str) {
    let lower = page.to_lowercase();
    let without_xmlns = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http://",
        "https://",
        "<script src",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(http",
        "//fonts",
    ] {
        assert!(
            !without_xmlns.contains(needle),
            "{what}: `{needle}` in the page"
        );
    }
    assert!(
        lower
            .contains("<meta http-equiv=\"content-security-policy\" content=\"default-src 'none';"),
        "{what}: no CSP forbidding network access"
    );
    assert!(!lower.contains("unsafe-inline") && !lower.contains("unsafe-eval"));
    assert_eq!(
        lower.matches("<script").count(),
        2,
        "{what}: data and script only"
    );
    assert_eq!(
        lower.matches("<style").count(),
        1,
        "{what}: one style sheet"
    );
    assert!(
        !lower.contains(" style=\""),
        "{what}: no inline style attributes"
    );
}

#[test]
fn every_example_gives_a_self_contained_page_with_one_cascade_per_service() {
    for file in yaml_files(&path("examples")) {
        let model = file.to_str().unwrap();
        for command in ["run", "review"] {
            let html = page(&[command, model], &format!("{command}.html"));
            let what = format!("{command} {model}");
            assert!(html.starts_with("<!DOCTYPE html>"), "{what}");
            assert_self_contained(&html, &what);
            let d = data(&html);
            let n = d["services"].as_array().unwrap().len();
            assert_eq!(d["faults"].as_array().unwrap().len(), n, "{what}");
            assert_eq!(
                html.matches("class=\"wf-node\" data-service=").count(),
                n,
                "{what}"
            );
            assert_eq!(d["initial"].is_null(), command == "review", "{what}");
        }
    }
}

#[test]
fn the_data_agrees_with_the_whatif_json() {
    for (model, services) in [
        (
            "examples/online-shop.yaml",
            ["catalog-db", "session-store", "orders"],
        ),
        (
            "examples/payments.yaml",
            ["ledger-db", "card-network", "merchant-db"],
        ),
    ] {
        let d = data(&page(&["run", model, "--format", "html"], "agree.html"));
        let healthy = Whatif::new()
            .args(["run", model, "--format", "json"])
            .code(0)
            .json();
        let names: Vec<&Value> = healthy["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["name"])
            .collect();
        assert_eq!(
            d["services"].as_array().unwrap().iter().collect::<Vec<_>>(),
            names
        );
        let entries: Vec<&Value> = healthy["entry_points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["name"])
            .collect();
        assert_eq!(
            d["entries"].as_array().unwrap().iter().collect::<Vec<_>>(),
            entries
        );
        assert_eq!(
            expand(&d, &d["initial"]),
            from_cli(&healthy),
            "{model} healthy"
        );
        for s in services {
            let k = names.iter().position(|n| *n == s).unwrap();
            let cascade = &d["faults"][k];
            let cli = Whatif::new()
                .args(["run", model, "--down", s, "--format", "json"])
                .code(0)
                .json();
            assert_eq!(cascade["label"], format!("--down {s}"));
            assert_eq!(expand(&d, cascade), from_cli(&cli), "{model} --down {s}");
            let states: Vec<&str> = cascade["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| STATES[e[0].as_u64().unwrap() as usize])
                .collect();
            let expected: Vec<&str> = cli["entry_points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["state"].as_str().unwrap())
                .collect();
            assert_eq!(states, expected, "{model} --down {s}: entry points");
            let c = &cli["summary"];
            assert_eq!(
                cascade["summary"],
                serde_json::json!([c["healthy"], c["slow"], c["degraded"], c["down"]])
            );
        }
    }
}

#[test]
fn run_page_opens_on_the_faults_given() {
    let args = [
        "run",
        "examples/online-shop.yaml",
        "--down",
        "zone:eu-1b",
        "--slow",
        "reviews=+300ms",
    ];
    let d = data(&page(&args, "initial.html"));
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let cli = Whatif::new().args(&json_args).code(0).json();
    assert_eq!(
        d["initial"]["label"],
        "--down zone:eu-1b --slow reviews=+300ms"
    );
    assert_eq!(expand(&d, &d["initial"]), from_cli(&cli));
    // A zone's fault targets every service living in it.
    assert!(d["initial"]["targets"].as_array().unwrap().len() > 1);
}

#[test]
fn html_refuses_a_timeline() {
    Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
            "--for",
            "1m",
            "--format",
            "html",
        ])
        .code(2)
        .stderr_contains("not a timeline");
}

#[test]
fn hostile_names_are_escaped_in_the_page() {
    for command in ["run", "review"] {
        let html = page(
            &[command, "tests/fixtures/valid/hostile-html.yaml"],
            "hostile.html",
        );
        assert_self_contained(&html, command);
        for raw in ["<script>window", "<img src=x", "<svg onload", "<b>bold"] {
            assert!(!html.contains(raw), "{command}: raw `{raw}` in the page");
        }
        let d = data(&html);
        let names: Vec<&str> = d["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(names[0], "<script>window.__pwned=1</script>");
        assert!(names.contains(&"multi\nline <b>bold</b>"));
    }
}

/// Above the limit the page has a static picture of the worst part of the
/// model and the top faults, and no per-fault data (docs/pictures.md).
#[test]
fn big_models_get_the_static_picture_and_the_top_faults() {
    let dir = temp_dir("html");
    let model = dir.path().join("big.yaml");
    Whatif::new()
        .args([
            "generate",
            "--services",
            "2001",
            "--seed",
            "3",
            "-o",
            model.to_str().unwrap(),
        ])
        .code(0);
    let html = page(
        &["run", model.to_str().unwrap(), "--down", "db-1"],
        "big.html",
    );
    assert_self_contained(&html, "big");
    let d = data(&html);
    assert!(d["faults"].is_null());
    assert_eq!(d["limit"], 2000);
    assert!(
        !d["initial"].is_null(),
        "the command line's cascade is still shown"
    );
    assert!(html.contains("Top faults"));
    assert_eq!(
        html.matches("<td class=\"n\">").count(),
        3 * 20,
        "twenty top faults"
    );
    // The picture is a part: at most 300 boxes, tagged with their indices
    // in the whole model, among them the failed service and the top fault.
    let services: Vec<&str> = d["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(services.len(), 2001);
    let tagged: Vec<usize> = html
        .split("<g class=\"wf-node\" data-service=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!((20..=300).contains(&tagged.len()), "{} boxes", tagged.len());
    assert!(tagged.windows(2).all(|w| w[0] < w[1]), "model order");
    let db1 = services.iter().position(|&s| s == "db-1").unwrap();
    assert!(tagged.contains(&db1), "the failed service is drawn");
    assert!(html.contains(&format!("The picture shows {} of them", tagged.len())));
    assert!(html.contains("2,001 services: above 2,000"));

    // A lost zone hits a third of the services: they take at most a third
    // of the boxes, and the top faults still have theirs.
    let html = page(
        &["run", model.to_str().unwrap(), "--down", "zone:zone-a"],
        "zone.html",
    );
    let tagged: Vec<usize> = html
        .split("<g class=\"wf-node\" data-service=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(tagged.len() <= 300, "{} boxes", tagged.len());
    let top = &html[html.find("class=\"wf-top\"").unwrap()..];
    for row in top.split("<tr><td>").skip(1).take(20) {
        let name = &row[..row.find("</td>").unwrap()];
        let id = services.iter().position(|&s| s == name).unwrap();
        assert!(tagged.contains(&id), "top fault {name} is drawn");
    }
}
