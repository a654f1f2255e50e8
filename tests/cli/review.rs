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

/// Issue 13 §4: a cold cache took down all traffic while `blast` said the
/// cache and its database lose nothing. `--engine steady` ranks by what
/// `run --down S` shows, load included; the structural ranking stays the
/// default.
#[test]
fn blast_ranks_by_the_steady_state_on_request() {
    let model = "tests/fixtures/lints/R010-cache-stampede.yaml";
    let lost = |j: &serde_json::Value, name: &str| {
        j["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["entry_rps_lost"]
            .as_f64()
            .unwrap()
    };
    let structural = json(&["blast", model, "--format", "json"]);
    assert_eq!(structural["engine"], "structural");
    assert_eq!(lost(&structural, "cache"), 0.0);
    let steady = json(&["blast", model, "--engine", "steady", "--format", "json"]);
    assert_eq!(steady["engine"], "steady");
    // The cache down sends every lookup to a database sized for the misses.
    assert_eq!(steady["services"][0]["name"], "cache");
    assert_eq!(lost(&steady, "cache"), 1000.0);
    assert_eq!(
        steady["services"][0]["entry_points_down"],
        serde_json::json!(["app"])
    );
    // The database down fails the misses only: a tenth of the traffic.
    assert!((lost(&steady, "db") - 100.0).abs() < 1.0, "{steady}");
    // Each row is `run --down S` for that service.
    let run = json(&["run", model, "--down", "db", "--format", "json"]);
    let success = run["entry_points"][0]["success"].as_f64().unwrap();
    assert!((lost(&steady, "db") - 1000.0 * (1.0 - success)).abs() < 1e-6);
    let text = Whatif::new()
        .args(["blast", model, "--engine", "steady"])
        .code(0)
        .stdout();
    assert!(text.contains("(steady state: load counted)"), "{text}");
    assert!(text.contains("  cache            100%"), "{text}");
    Whatif::new()
        .args(["blast", model, "--engine", "timeline"])
        .code(2);
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

/// `--order` has no maximum (SPEC §5): an entry behind four-way
/// redundancy (4 replicas, quorum 1) has one cut set of order 4, a
/// five-way one appears from order 5, and a failover whose two sides share
/// a service is cut by that service alone — never by a set containing it.
/// Every list is minimal (no set inside another) and a lower order's list
/// is the higher one's short sets.
#[test]
fn cuts_of_any_order_are_minimal() {
    let dir = temp_dir("cuts");
    let model = dir.path().join("redundant.yaml");
    std::fs::write(
        &model,
        "services:\n  web:\n    entry: { rps: 10 }\n    replicas: 2\n    depends_on: [api, auth, { to: db, fallback: { to: standby } }]\n  api: { replicas: 4, quorum: 1 }\n  auth: { replicas: 5, quorum: 1 }\n  db: { replicas: 3, quorum: 2, depends_on: [shared] }\n  standby: { replicas: 2, quorum: 1, depends_on: [shared] }\n  shared: {}\n",
    )
    .unwrap();
    let sets = |order: &str| -> Vec<Vec<String>> {
        let j = json(&[
            "cuts",
            model.to_str().unwrap(),
            "--order",
            order,
            "--format",
            "json",
        ]);
        assert_eq!(j["entry_points"][0]["truncated"], false);
        serde_json::from_value(j["entry_points"][0]["cut_sets"].clone()).unwrap()
    };
    let owned = |v: &[&[&str]]| -> Vec<Vec<String>> {
        v.iter()
            .map(|s| s.iter().map(|e| e.to_string()).collect())
            .collect()
    };
    let four = sets("4");
    assert_eq!(
        four,
        owned(&[
            &["shared"],
            &["web#1", "web#2"],
            &["api#1", "api#2", "api#3", "api#4"],
            &["db#1", "db#2", "standby#1", "standby#2"],
            &["db#1", "db#3", "standby#1", "standby#2"],
            &["db#2", "db#3", "standby#1", "standby#2"],
        ])
    );
    let five = sets("5");
    assert_eq!(five[..6], four[..]);
    assert_eq!(
        five[6..],
        owned(&[&["auth#1", "auth#2", "auth#3", "auth#4", "auth#5"]])
    );
    assert_eq!(sets("12"), five, "no set of more than five events");
    let short: Vec<Vec<String>> = four.iter().filter(|s| s.len() <= 3).cloned().collect();
    assert_eq!(sets("3"), short);
    for (i, a) in five.iter().enumerate() {
        for (j, b) in five.iter().enumerate() {
            assert!(
                i == j || !a.iter().all(|e| b.contains(e)),
                "{a:?} lies inside {b:?}"
            );
        }
    }
    Whatif::new()
        .args(["cuts", model.to_str().unwrap(), "--order", "4"])
        .code(0)
        .stdout_contains("redundant: minimal cut sets up to order 4\n")
        .stdout_contains("    {api#1, api#2, api#3, api#4}\n");
    Whatif::new()
        .args(["cuts", model.to_str().unwrap(), "--order", "0"])
        .code(2)
        .stderr_contains("--order");
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
        "R010",
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
    let dir = temp_dir("review");
    let html = dir.path().join("review.html");
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

/// `--symptom` reads names as the model and scenarios do: a name that is
/// both a service and an operation is refused, not read as the service.
#[test]
fn diagnose_refuses_a_symptom_name_with_two_readings() {
    let model = "tests/fixtures/scenarios/models/dotted.yaml";
    Whatif::new()
        .args(["diagnose", model, "--symptom", "users.login=down"])
        .code(2)
        .stderr_contains(
            "--symptom users.login=down: `users.login` can be read as the service `users.login` or operation `login` of service `users`",
        )
        .stderr_contains("rename one of them in the model");
    Whatif::new()
        .args(["diagnose", model, "--symptom", "users.logout=down"])
        .code(0);
    Whatif::new()
        .args(["diagnose", model, "--symptom", "users.signup=down"])
        .code(2)
        .stderr_contains("--symptom users.signup=down: unknown service `users.signup`");
}

#[test]
fn an_unknown_extension_lists_the_formats_review_writes() {
    Whatif::new()
        .args(["review", "examples/three-tier.yaml", "-o", "review.svg"])
        .code(2)
        .snapshot("an_unknown_extension_lists_the_formats_review_writes");
}

fn lints_of(file: &str) -> Vec<serde_json::Value> {
    json(&["review", file, "--format", "json"])["lints"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Issue 13 §4: `--fail-on R009`-style typos used to be accepted silently,
/// turning the CI gate off.
#[test]
fn fail_on_refuses_unknown_codes_with_a_did_you_mean() {
    Whatif::new()
        .args(["review", "examples/three-tier.yaml", "--fail-on", "R099"])
        .code(2)
        .stderr_contains("--fail-on R099: no such lint code")
        .stderr_contains("did you mean `R009`?");
    Whatif::new()
        .args(["review", "examples/three-tier.yaml", "--fail-on", "hihg"])
        .code(2)
        .stderr_contains("did you mean `high`?");
    Whatif::new()
        .args(["review", "examples/three-tier.yaml", "--fail-on", "zzz"])
        .code(2)
        .stderr_contains("use a code from R001 to R");
    // Registered codes and levels, any case, are accepted.
    for ok in ["r001", "R010", "Low"] {
        let code = Whatif::new()
            .args(["review", "examples/three-tier.yaml", "--fail-on", ok])
            .run()
            .code();
        assert!(code == 0 || code == 1, "--fail-on {ok}: exit {code}");
    }
}

/// Issue 13 §4: a model already broken with no fault (a mail provider at
/// 10× its capacity) got no word from `review`.
#[test]
fn review_reports_services_unhealthy_with_no_fault_with_their_numbers() {
    let lints = lints_of("tests/fixtures/lints/R009-unhealthy-baseline.yaml");
    let provider = lints
        .iter()
        .find(|l| l["code"] == "R009" && l["service"] == "mail-provider")
        .expect("R009 on the mail provider");
    let message = provider["message"].as_str().unwrap();
    // The numbers of the model: 100 rps against 1 × 10 rps.
    assert!(message.contains("with no fault"), "{message}");
    assert!(
        message.contains("at 100 rps against 10 rps of capacity (1 replica × 10)"),
        "{message}"
    );
    assert!(
        provider["fix"]
            .as_str()
            .unwrap()
            .contains("capacity above 100 rps")
    );
    // What it drags along is reported too, and points at the root.
    let mailer = lints
        .iter()
        .find(|l| l["code"] == "R009" && l["service"] == "mailer")
        .expect("R009 on the mailer");
    assert!(
        mailer["fix"]
            .as_str()
            .unwrap()
            .contains("fix `mail-provider` first")
    );
    // `check` stays a static validation: the model is valid.
    Whatif::new()
        .args([
            "check",
            "--strict",
            "tests/fixtures/lints/R009-unhealthy-baseline.yaml",
        ])
        .code(0);
    // Every example is healthy with no fault: no R009 there.
    for file in yaml_files(&path("examples")) {
        let lints = lints_of(file.to_str().unwrap());
        assert!(
            !lints.iter().any(|l| l["code"] == "R009"),
            "{}: {lints:?}",
            file.display()
        );
    }
}

/// Issue 13 §4: a cold product cache takes the shop's pages down while
/// `blast` says the cache loses nothing; R010 says so, with the numbers,
/// and `run --cold` agrees on every example: the database it names
/// saturates.
#[test]
fn a_cache_whose_database_drowns_when_cold_is_a_finding_the_engine_agrees_with() {
    let shop = lints_of("examples/online-shop.yaml");
    let stampede = shop
        .iter()
        .find(|l| l["code"] == "R010")
        .expect("R010 in the shop");
    let message = stampede["message"].as_str().unwrap();
    assert!(
        message.starts_with("when `product-cache` is cold or restarts, `catalog-db` is asked for"),
        "{message}"
    );
    assert!(
        message.contains("against 2,100 rps of capacity (3 replicas × 700)"),
        "{message}"
    );
    let mut checked = 0;
    for file in yaml_files(&path("examples")) {
        let file = file.to_str().unwrap();
        for l in lints_of(file).iter().filter(|l| l["code"] == "R010") {
            let names: Vec<&str> = l["message"].as_str().unwrap().split('`').collect();
            let (cache, db) = (names[1], names[3]);
            let cold = json(&["run", file, "--cold", cache, "--format", "json"]);
            let find = |key: &str, name: &str| {
                cold[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == name)
                    .cloned()
                    .unwrap()
            };
            // The database saturates (its callers' pools cap what reaches
            // it) — unless a breaker above it opens and sends the calls
            // elsewhere (multi-region: US users fail over to api-eu) — and
            // users lose what needs it, as the finding says.
            let db = find("services", db);
            let breaker_opened = cold["services"]
                .as_array()
                .unwrap()
                .iter()
                .chain(cold["operations"].as_array().unwrap())
                .any(|s| s["because"].as_str().unwrap_or("").contains("breaker on"));
            assert!(
                db["state"] != "healthy" || breaker_opened,
                "{file} --cold {cache}: {db}"
            );
            assert!(
                cold["entry_points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["state"] != "healthy"),
                "{file} --cold {cache}: users see nothing"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "{checked} R010 findings checked");
    // A database sized for every call is not flagged.
    let dir = temp_dir("r010");
    let big = dir.path().join("big.yaml");
    let text = std::fs::read_to_string(path("tests/fixtures/lints/R010-cache-stampede.yaml"))
        .unwrap()
        .replace("capacity: 300", "capacity: 600");
    std::fs::write(&big, text).unwrap();
    assert!(
        !lints_of(big.to_str().unwrap())
            .iter()
            .any(|l| l["code"] == "R010")
    );
}

/// Issue 13 §4: R005/R006 fired on external APIs ("after losing a replica
/// it can serve 0"), and a service left at exactly 100 % read like a pass.
#[test]
fn findings_state_a_risk_and_what_to_do() {
    let payments = lints_of("examples/payments.yaml");
    for l in &payments {
        assert!(
            !(l["service"] == "card-network" && (l["code"] == "R005" || l["code"] == "R006")),
            "replicas of an external API are not a design choice: {l}"
        );
    }
    for file in yaml_files(&path("examples")) {
        for l in lints_of(file.to_str().unwrap()) {
            let message = l["message"].as_str().unwrap();
            assert!(!message.contains("can serve 0"), "{}: {l}", file.display());
            assert!(
                !l["fix"].as_str().unwrap_or_default().is_empty(),
                "{}: {l}",
                file.display()
            );
        }
    }
    let shop = lints_of("examples/online-shop.yaml");
    // `web`→`cart` retries under a 10 % budget: 1.1 × 3 attempts, no storm.
    assert!(!shop.iter().any(|l| l["code"] == "R003"), "{shop:?}");
    let recs = shop
        .iter()
        .find(|l| l["code"] == "R006" && l["service"] == "recommendations")
        .expect("recommendations has no headroom");
    let message = recs["message"].as_str().unwrap();
    assert!(
        message.contains("100% of its capacity, so the queue grows without end"),
        "{message}"
    );
    assert!(
        recs["fix"].as_str().unwrap().starts_with("run at least"),
        "{recs}"
    );
}

/// Issue 13 §4: `availability` printed 100.0000 % with no word that no
/// service gives an availability.
#[test]
fn availability_says_which_services_are_assumed_never_to_fail() {
    let file = "tests/fixtures/lints/R009-unhealthy-baseline.yaml";
    Whatif::new()
        .args(["availability", file, "--trials", "1000"])
        .code(0)
        .stdout_contains(
            "no service gives an `availability`, so every replica is assumed never to fail",
        );
    let j = json(&["availability", file, "--trials", "1000", "--format", "json"]);
    assert_eq!(
        j["assumed_perfect"],
        serde_json::json!(["shop", "mailer", "mail-provider"])
    );
    // Some figures given: the others are named.
    Whatif::new()
        .args([
            "availability",
            "examples/social-network.yaml",
            "--trials",
            "1000",
        ])
        .code(0)
        .stdout_contains("of 26 services give no `availability` below 100 %");
    Whatif::new()
        .args(["review", file])
        .code(0)
        .stdout_contains("assumed never to fail");
    // Every service gives one: no note.
    let out = Whatif::new()
        .args([
            "availability",
            "examples/online-shop.yaml",
            "--trials",
            "1000",
        ])
        .code(0);
    assert!(!out.stdout().contains("assumed never to fail"));
}

/// The same model with its services in another order gives the same
/// availability, interval and importance for the same seed.
#[test]
fn availability_does_not_follow_the_file_order() {
    let forward = "services:
  web: { entry: { rps: 10 }, availability: 99.9%, depends_on: [api, cache] }
  api: { replicas: 3, quorum: 2, availability: 99%, depends_on: [db] }
  cache: { availability: 98% }
  db: { availability: 99.5% }
";
    let backward = "services:
  db: { availability: 99.5% }
  cache: { availability: 98% }
  api: { replicas: 3, quorum: 2, availability: 99%, depends_on: [db] }
  web: { entry: { rps: 10 }, availability: 99.9%, depends_on: [api, cache] }
";
    let run = |text: &str| {
        Whatif::new()
            .args([
                "availability",
                "-",
                "--trials",
                "50000",
                "--seed",
                "3",
                "--format",
                "json",
            ])
            .stdin(text)
            .code(0)
            .json()
    };
    let (a, b) = (run(forward), run(backward));
    let (a, b) = (&a["entry_points"][0], &b["entry_points"][0]);
    for key in ["availability", "ci95", "exact"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    // Importance: the same ranking; values summed in another order may
    // differ in their last bits.
    let ranking = |e: &serde_json::Value| -> Vec<(String, f64)> {
        e["importance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["name"].as_str().unwrap().to_owned(),
                    x["birnbaum"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (ra, rb) = (ranking(a), ranking(b));
    assert_eq!(
        ra.iter().map(|x| &x.0).collect::<Vec<_>>(),
        rb.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in ra.iter().zip(&rb) {
        assert!((x - y).abs() <= 1e-12, "{name}: {x} vs {y}");
    }
}
