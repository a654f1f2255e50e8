//! `whatif diff`: two versions of a model compared — as text and JSON
//! snapshots, `--fail-on worse`, `git:REV:PATH`, services added and
//! removed, zones.

use std::path::Path;
use std::process::Command;

use crate::support::*;

const BEFORE: &str = "examples/checkout-retries.yaml";
const AFTER: &str = "examples/checkout-retries-budgeted.yaml";

#[test]
fn checkout_retries_against_the_budgeted_version_as_text() {
    // Only the retry budget differs. Every single fault leaves the
    // storefront as it was (down, 0 %) in both: the budget shortens the
    // cascade's latency, not its states, so nothing is worse.
    Whatif::new()
        .args(["diff", BEFORE, AFTER])
        .code(0)
        .snapshot("checkout_retries_text");
}

#[test]
fn checkout_retries_against_the_budgeted_version_as_json() {
    Whatif::new()
        .args(["diff", BEFORE, AFTER, "--format", "json"])
        .code(0)
        .snapshot("checkout_retries_json");
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/diff/{name}.yaml")
}

#[test]
fn fail_on_worse_exits_1_on_a_worse_model_and_0_on_a_better_one() {
    let (single, replicated) = (fixture("db-single"), fixture("db-replicated"));
    // One replica instead of two: the availability interval falls wholly
    // below the old one.
    let worse = Whatif::new()
        .args(["diff", &replicated, &single, "--fail-on", "worse"])
        .code(1)
        .stdout_contains("worse: 1 finding for web")
        .stdout_contains("web's availability fell from 99.9840%");
    assert!(worse.stderr().is_empty(), "{}", worse.stderr());
    // Without --fail-on the same diff exits 0.
    Whatif::new().args(["diff", &replicated, &single]).code(0);
    // The other way is better: exit 0 with --fail-on.
    let better = Whatif::new()
        .args([
            "diff",
            &single,
            &replicated,
            "--fail-on",
            "worse",
            "--format",
            "json",
        ])
        .code(0)
        .json();
    assert_eq!(better["worse"], serde_json::json!([]));
    let web = &better["availability"]["entry_points"][0];
    assert_eq!(web["overlap"], false);
    assert!(web["after"]["ci95"][0].as_f64() > web["before"]["ci95"][1].as_f64());
    assert_eq!(better["lints"]["fixed"][0]["code"], "R005");
}

#[test]
fn a_zone_pair_shows_services_added_and_removed_spofs_and_faults_both_ways() {
    let (before, after) = (fixture("zoned-before"), fixture("zoned-after"));
    let j = Whatif::new()
        .args([
            "diff",
            &before,
            &after,
            "--format",
            "json",
            "--fail-on",
            "worse",
        ])
        .code(1)
        .json();
    let m = &j["model"];
    assert_eq!(
        m["services"]["added"],
        serde_json::json!(["cart-db-standby"])
    );
    assert_eq!(m["services"]["removed"], serde_json::json!(["legacy"]));
    assert_eq!(
        m["services"]["changed"][0],
        serde_json::json!({ "name": "index", "changes": [ { "field": "zones", "before": "[a, b]", "after": "[b]" } ] })
    );
    assert_eq!(
        m["dependencies"]["changed"][0],
        serde_json::json!({ "from": "cart", "to": "cart-db", "changes": [ { "field": "fallback", "before": "none", "after": "{ to: cart-db-standby }" } ] })
    );
    assert_eq!(
        j["single_points"],
        serde_json::json!([{ "entry": "web", "gained": ["zone:b"], "lost": ["cart-db", "zone:a"] }])
    );
    // Faults of services in one model only are tried there: `legacy`'s
    // before, the standby's after.
    assert_eq!(
        j["faults"]["tried"],
        serde_json::json!({ "before": 14, "after": 14, "either": 16 })
    );
    let changed: Vec<(String, String, String)> = j["faults"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let flag = format!(
                "--{} {}",
                c["fault"]["kind"].as_str().unwrap(),
                c["fault"]["target"].as_str().unwrap()
            );
            c["entry_points"].as_array().unwrap().iter().map(move |e| {
                (
                    flag.clone(),
                    e["name"].as_str().unwrap().to_owned(),
                    e["change"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    let row = |f: &str, v: &str| (f.to_owned(), "web".to_owned(), v.to_owned());
    assert_eq!(
        changed,
        [
            row("--down cart-db", "better"),
            row("--down zone:a", "better"),
            row("--down zone:b", "worse"),
        ]
    );
    let reasons: Vec<&str> = j["worse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["single_point", "fault"]);
    assert_eq!(
        j["worse"][1]["message"],
        "`--down zone:b` now takes down web (healthy 100% → down 0%)"
    );

    // The text says it as a reviewer would.
    Whatif::new()
        .args(["diff", &before, &after])
        .code(0)
        .stdout_contains("  + service cart-db-standby\n  - service legacy\n")
        .stdout_contains("    `--down zone:b` now takes down web (healthy 100% → down 0%)\n")
        .stdout_contains(
            "    `--down cart-db` no longer takes down web (down 0% → degraded 100%)\n",
        )
        .stdout_contains("  web: gained zone:b; lost cart-db, zone:a\n");
}

#[test]
fn markdown_goes_to_a_file_for_the_pull_request() {
    let dir = temp_dir("diff-md");
    let out = dir.path().join("diff.md");
    let ran = Whatif::new()
        .args([
            "diff",
            &fixture("zoned-before"),
            &fixture("zoned-after"),
            "-o",
        ])
        .args([&out])
        .code(0);
    assert!(ran.stdout().is_empty());
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(
        md.starts_with("### whatif diff: zoned → zoned\n\n**Worse:** 2 findings for web.\n"),
        "{md}"
    );
    assert!(
        md.contains(
            "| worse | <code>--down zone:b</code> now takes down web | healthy 100% | down 0% |\n"
        ),
        "{md}"
    );
    assert!(md.contains("| web | zone:b | cart-db, zone:a |\n"), "{md}");
}

/// A scratch git repository holding `model.yaml` (the checkout example)
/// in one commit, removed when dropped; `None` (with a note) when git
/// cannot be run.
fn repository(tag: &str) -> Option<tempfile::TempDir> {
    repository_with(tag, &[])
}

/// [`repository`] with more files, given as (name, bytes), in the commit.
fn repository_with(tag: &str, files: &[(&str, &[u8])]) -> Option<tempfile::TempDir> {
    let repo = temp_dir(&format!("diff-git-{tag}"));
    let dir = repo.path();
    let git = |args: &[&str]| {
        Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
    };
    let Ok(init) = git(&["init", "-q"]) else {
        assert!(
            !tools_required(),
            "git is required (WHATIF_REQUIRE_TOOLS=1) but cannot be run"
        );
        eprintln!("skipping: git cannot be run");
        return None;
    };
    assert!(init.status.success());
    std::fs::copy(path(BEFORE), dir.join("model.yaml")).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    for args in [&["add", "."][..], &["commit", "-q", "-m", "before"]] {
        let out = git(args).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(repo)
}

#[test]
fn git_rev_path_reads_the_model_at_a_revision() {
    let Some(repo) = repository("read") else {
        return;
    };
    let dir = repo.path();
    // The working copy gets the budget; HEAD keeps the old file.
    std::fs::copy(path(AFTER), dir.join("model.yaml")).unwrap();
    let ran = Whatif::new()
        .current_dir(dir)
        .args([
            "diff",
            "git:HEAD:model.yaml",
            "model.yaml",
            "--format",
            "json",
        ])
        .code(0);
    let j = ran.json();
    assert_eq!(j["before"]["source"], "git:HEAD:model.yaml");
    assert_eq!(j["before"]["model"], "checkout-retries");
    assert_eq!(j["after"]["model"], "checkout-retries-budgeted");
    assert_eq!(
        j["model"]["dependencies"]["changed"][0]["changes"],
        serde_json::json!([{ "field": "retry_budget", "before": "none", "after": "10%" }])
    );
    // The same revision on both sides: nothing changed, solved once.
    let same = Whatif::new()
        .current_dir(dir)
        .args([
            "diff",
            "git:HEAD:model.yaml",
            "git:HEAD:./model.yaml",
            "--format",
            "json",
        ])
        .code(0)
        .json();
    assert_eq!(same["faults"]["identical_models"], true);
    assert_eq!(same["faults"]["changed"], serde_json::json!([]));
}

#[test]
fn git_sources_are_refused_cleanly() {
    let Some(repo) = repository("refuse") else {
        return;
    };
    let dir = repo.path();
    let refused = |args: &[&str], needle: &str| {
        Whatif::new()
            .current_dir(dir)
            .env("LC_ALL", "C")
            .args(["diff"])
            .args(args)
            .code(2)
            .no_panic()
            .stderr_contains(needle);
    };
    refused(
        &["git:no-such-rev:model.yaml", "model.yaml"],
        "error: cannot read `git:no-such-rev:model.yaml`: `git show no-such-rev:model.yaml` says: invalid object name 'no-such-rev'",
    );
    refused(
        &["git:HEAD:missing.yaml", "model.yaml"],
        "error: cannot read `git:HEAD:missing.yaml`: `git show HEAD:missing.yaml` says: path 'missing.yaml' does not exist in 'HEAD'",
    );
    refused(
        &["model.yaml", "git:HEAD"],
        "error: `git:HEAD` is not `git:REV:PATH`",
    );
    refused(
        &["git:--output=x:model.yaml", "model.yaml"],
        "a revision cannot start with `-`",
    );
    // No git at all (an empty PATH): refused, not a panic.
    Whatif::new()
        .current_dir(dir)
        .env("PATH", "")
        .args(["diff", "git:HEAD:model.yaml", "model.yaml"])
        .code(2)
        .stderr_contains("error: cannot read `git:HEAD:model.yaml`: cannot run git")
        .stderr_contains("hint: install git, or give the model as a file");
    // Outside a repository, git says so.
    let nogit = temp_dir("diff-nogit");
    let outside = nogit.path();
    Whatif::new()
        .current_dir(outside)
        .env("LC_ALL", "C")
        .env(
            "GIT_CEILING_DIRECTORIES",
            outside.parent().unwrap_or(Path::new("/")),
        )
        .args(["diff", "git:HEAD:model.yaml", "git:HEAD:model.yaml"])
        .code(2)
        .stderr_contains("not a git repository");
}

#[test]
fn a_model_at_a_revision_gets_the_loaders_findings_under_its_git_name() {
    // Read through the same loader and guards as a file: positions, codes
    // and hints, named `git:REV:PATH`.
    let files: [(&str, &[u8]); 3] = [
        (
            "typo.yaml",
            b"services:\n  web:\n    entry: { rps: 5 }\n    depends_on: [paymnets]\n  payments: {}\n",
        ),
        ("binary.yaml", b"services:\0"),
        ("tabs.yaml", b"services:\n\tweb: {}\n"),
    ];
    let Some(repo) = repository_with("findings", &files) else {
        return;
    };
    let dir = repo.path();
    let refused = |spec: &str, needles: &[&str]| {
        let mut ran = Whatif::new()
            .current_dir(dir)
            .args(["diff", spec, "model.yaml"])
            .code(2)
            .no_panic();
        for needle in needles {
            ran = ran.stderr_contains(needle);
        }
    };
    refused(
        "git:HEAD:typo.yaml",
        &[
            "error[E010]",
            "--> git:HEAD:typo.yaml:4:18",
            "did you mean `payments`?",
        ],
    );
    refused(
        "git:HEAD:binary.yaml",
        &[
            "error[E007]: file is binary",
            "--> git:HEAD:binary.yaml:1:10",
        ],
    );
    refused(
        "git:HEAD:tabs.yaml",
        &[
            "error[E008]: tab used for indentation",
            "--> git:HEAD:tabs.yaml:2:1",
        ],
    );
}
