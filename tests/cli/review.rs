//! Design-review commands: spof, blast, cuts, review.

use crate::support::*;

fn json(args: &[&str]) -> serde_json::Value {
    Whatif::new().args(args).code(0).json()
}

#[test]
fn spof_has_the_spec_shape_and_finds_the_session_store() {
    let j = json(&["spof", "examples/online-shop.yaml", "--format", "json"]);
    let entries = j["entry_points"].as_array().unwrap();
    assert_eq!(entries[0]["name"], "web");
    assert_eq!(
        entries[0]["single_points"],
        serde_json::json!(["session-store"])
    );
    let browse = entries.iter().find(|e| e["name"] == "web.browse").unwrap();
    // catalog-db is covered by a stale fallback, product-cache by its on_miss.
    assert_eq!(
        browse["single_points"],
        serde_json::json!(["catalog", "session-store"])
    );
    let zones = json(&[
        "spof",
        "examples/online-shop.yaml",
        "--zones",
        "--format",
        "json",
    ]);
    assert_eq!(
        zones["entry_points"][0]["zones"],
        serde_json::json!(["eu-1a"])
    );
}

#[test]
fn blast_ranks_by_traffic_lost() {
    let j = json(&["blast", "examples/online-shop.yaml", "--format", "json"]);
    let services = j["services"].as_array().unwrap();
    assert_eq!(services.len(), 15, "every service is ranked");
    assert_eq!(services[0]["name"], "session-store");
    assert_eq!(services[0]["entry_rps_lost"], 1200.0);
    let lost: Vec<f64> = services
        .iter()
        .map(|s| s["entry_rps_lost"].as_f64().unwrap())
        .collect();
    assert!(lost.windows(2).all(|w| w[0] >= w[1]), "{lost:?}");
}

#[test]
fn cuts_include_order_one_sorted_by_size_then_names() {
    let j = json(&[
        "cuts",
        "examples/online-shop.yaml",
        "--entry",
        "web.checkout",
        "--format",
        "json",
    ]);
    let sets = j["entry_points"][0]["cut_sets"].as_array().unwrap();
    assert_eq!(sets[0], serde_json::json!(["session-store"]));
    assert!(
        sets.contains(&serde_json::json!(["cart-db#1", "cart-db#2"])),
        "{sets:?}"
    );
    let sizes: Vec<usize> = sets.iter().map(|s| s.as_array().unwrap().len()).collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]));
    Whatif::new()
        .args([
            "cuts",
            "examples/online-shop.yaml",
            "--entry",
            "web.chekout",
        ])
        .code(2)
        .stderr_contains("did you mean `web.checkout`?");
}

#[test]
fn review_reports_and_fails_on_request() {
    let out = Whatif::new()
        .args(["review", "examples/online-shop.yaml"])
        .code(0);
    let text = stdout(&out);
    for needle in [
        "single points of failure",
        "blast radius",
        "minimal cut sets",
        "R005",
        "R003",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    Whatif::new()
        .args(["review", "examples/online-shop.yaml", "--fail-on", "high"])
        .code(1);
    // No R001 in the shop.
    Whatif::new()
        .args(["review", "examples/online-shop.yaml", "--fail-on", "R001"])
        .code(0);
    Whatif::new()
        .args(["review", "examples/online-shop.yaml", "--fail-on", "bogus"])
        .code(2);
    let dir = std::env::temp_dir().join(format!("whatif-review-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("review.html");
    Whatif::new()
        .args([
            "review",
            "tests/fixtures/valid/hostile-names.yaml",
            "-o",
            html.to_str().unwrap(),
        ])
        .code(0);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
    // The page's own data and script, and no other: names stay inert.
    assert_eq!(page.matches("<script").count(), 2, "names stay inert");
    assert!(!page.contains("<script>alert("), "names stay inert");
    assert!(
        !page.contains("http://") || page.contains("http://www.w3.org/2000/svg"),
        "nothing fetched"
    );
}

#[test]
fn every_example_reviews_in_every_format() {
    for file in yaml_files(&path("examples")) {
        for format in ["text", "markdown", "html", "json"] {
            Whatif::new()
                .args(["review", file.to_str().unwrap(), "--format", format])
                .code(0);
        }
        for cmd in ["spof", "blast", "cuts"] {
            Whatif::new()
                .args([cmd, file.to_str().unwrap(), "--format", "json"])
                .code(0);
        }
    }
}

#[test]
fn availability_has_the_spec_shape_and_is_deterministic() {
    let args = [
        "availability",
        "examples/three-tier.yaml",
        "--trials",
        "200000",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let j = json(&args);
    assert_eq!(
        (j["trials"].as_u64(), j["seed"].as_u64()),
        (Some(200_000), Some(7))
    );
    let web = &j["entry_points"][0];
    assert_eq!(web["name"], "web");
    let a = web["availability"].as_f64().unwrap();
    let (lo, hi) = (
        web["ci95"][0].as_f64().unwrap(),
        web["ci95"][1].as_f64().unwrap(),
    );
    assert!(lo <= a && a <= hi);
    // Small enough for the exact value: Monte Carlo lies within its interval.
    let exact = web["exact"].as_f64().unwrap();
    assert!(lo <= exact && exact <= hi, "{exact} not in [{lo}, {hi}]");
    assert!(web["importance"][0]["birnbaum"].as_f64().unwrap() > 0.0);
    assert_eq!(
        Whatif::new().args(args).run().stdout,
        Whatif::new().args(args).run().stdout,
        "same seed, same bytes"
    );
    Whatif::new()
        .args(["availability", "examples/three-tier.yaml", "--trials", "0"])
        .code(2);
}

#[test]
fn diagnose_has_the_spec_shape() {
    let j = json(&[
        "diagnose",
        "examples/online-shop.yaml",
        "--symptom",
        "web=down",
        "--symptom",
        "cart=healthy",
        "--format",
        "json",
    ]);
    let first = &j["candidates"][0];
    assert_eq!(first["score"], 1.0);
    assert!(
        first["faults"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.is_string())
    );
    assert!(
        j["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| !c["mismatches"].as_array().unwrap().is_empty())
    );
}

#[test]
fn an_unknown_extension_lists_the_formats_review_writes() {
    Whatif::new()
        .args(["review", "examples/three-tier.yaml", "-o", "review.svg"])
        .code(2)
        .snapshot("an_unknown_extension_lists_the_formats_review_writes");
}
