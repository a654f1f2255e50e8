//! Mermaid output (`--format mermaid`, `-o FILE.mmd`): snapshots, the same
//! subset as DOT under `--focus`, hostile names, and the real Mermaid parser
//! (Node.js with `tests/mermaid`'s packages, which `.ci/run` installs) on
//! every example and on both hostile-name fixtures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

const HOSTILE: [&str; 2] = [
    "tests/fixtures/valid/hostile-names.yaml",
    "tests/fixtures/valid/hostile-mermaid.yaml",
];

fn mermaid(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", "mermaid"]);
    let out = Whatif::new().args(&all).code(0);
    stdout(&out)
}

/// Lines that declare a node (`n3("…")`, `n0[["…"]]` …).
fn node_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| {
            l.strip_prefix('n').is_some_and(|rest| {
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                digits > 0 && rest[digits..].starts_with(['(', '[', '{', '>'])
            })
        })
        .collect()
}

/// Service names in model order (the diagram's node order).
fn service_names(model: &str) -> Vec<String> {
    let j = Whatif::new()
        .args(["run", model, "--format", "json"])
        .run()
        .json();
    j["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn three_tier_architecture_snapshot() {
    insta::assert_snapshot!(mermaid(&["graph", "examples/three-tier.yaml"]));
}

#[test]
fn three_tier_cascade_snapshot() {
    insta::assert_snapshot!(mermaid(&[
        "run",
        "examples/three-tier.yaml",
        "--down",
        "db"
    ]));
}

#[test]
fn mmd_extension_picks_mermaid_for_graph_and_run() {
    let dir = temp_dir("mmd-ext");
    for (cmd, name) in [("graph", "arch.mmd"), ("run", "cascade.mermaid")] {
        let file = dir.path().join(name);
        Whatif::new()
            .args([
                cmd,
                "examples/online-shop.yaml",
                "--down",
                "catalog-db",
                "-o",
                file.to_str().unwrap(),
            ])
            .code(0);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("%% online-shop — --down catalog-db\nflowchart LR\n"),
            "{text}"
        );
        assert!(text.contains("class n5 down"), "{text}");
    }
    // A timeline is not one moment: refused, not drawn as its last step
    // (issue 13 §2).
    Whatif::new()
        .args([
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
            "--for",
            "2m",
            "--format",
            "mermaid",
        ])
        .code(2)
        .stderr_contains("a timeline is not a graph");
}

#[test]
fn focus_draws_the_same_subset_as_dot() {
    let args = [
        "graph",
        "examples/online-shop.yaml",
        "--focus",
        "catalog",
        "--depth",
        "1",
    ];
    let dot = Whatif::new().args(args).run().stdout();
    let dot_nodes = dot
        .lines()
        .filter(|l| l.trim_start().starts_with('n') && l.contains("[label=") && !l.contains(" -> "))
        .count();
    let dot_edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    let mmd = mermaid(&args);
    assert_eq!(node_lines(&mmd).len(), dot_nodes, "{mmd}");
    let arrows = mmd
        .lines()
        .filter(|l| {
            [" --> ", " -.-> ", " ==> ", "-->|", "-.->|", "==>|"]
                .iter()
                .any(|a| l.contains(a))
        })
        .count();
    assert_eq!(arrows, dot_edges, "{mmd}");
    let all = mermaid(&["graph", "examples/online-shop.yaml"]);
    assert!(node_lines(&mmd).len() < node_lines(&all).len());
}

#[test]
fn hostile_names_leave_no_syntax_behind() {
    for f in HOSTILE {
        for text in [
            mermaid(&["graph", f]),
            mermaid(&["run", f, "--down", &service_names(f)[1]]),
        ] {
            for line in text.lines().skip(1) {
                let inner = line.replace("<br>", "");
                assert!(!inner.contains('<'), "raw `<` in {line}");
                assert!(!line.contains("%%"), "`%%` in {line}");
                assert!(!line.contains('`'), "backtick in {line}");
                assert_eq!(line.matches('"').count() % 2, 0, "quotes in {line}");
                // Inside the quotes, only entity codes use `#` and `;`.
                for (k, part) in line.split('"').enumerate() {
                    if k % 2 == 1 {
                        let codes = part.matches('#').count();
                        assert_eq!(codes, part.matches(';').count(), "{line}");
                    }
                }
            }
            // The title comment cannot open a directive.
            assert!(!text.contains("%%{"), "{text}");
        }
    }
}

/// Whether Node.js and the Mermaid packages in `tests/mermaid` are there;
/// when they are not and tools are required, fails the test; otherwise
/// prints why it is skipped.
fn mermaid_parser_or_skip(test: &str) -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let packages = path("tests/mermaid/node_modules/mermaid/package.json").exists()
        && path("tests/mermaid/node_modules/jsdom/package.json").exists();
    let found = node && packages;
    if !found {
        let why = if node {
            "the Mermaid packages are not installed (`npm ci --prefix tests/mermaid`)"
        } else {
            "Node.js is not installed"
        };
        assert!(
            !tools_required(),
            "{test}: the Mermaid parser is required (WHATIF_REQUIRE_TOOLS=1) but {why}"
        );
        eprintln!("skipping {test}: {why} (set WHATIF_REQUIRE_TOOLS=1 to make this a failure)");
    }
    found
}

/// Runs `tests/mermaid/check.mjs` on the files: what Mermaid made of each.
fn parse_with_mermaid(files: &[PathBuf]) -> Vec<Value> {
    let out = std::process::Command::new("node")
        .arg(path("tests/mermaid/check.mjs"))
        .args(files)
        .output()
        .expect("node runs");
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check.mjs printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    for r in &results {
        assert_eq!(
            r["ok"], true,
            "Mermaid refused {}: {}",
            r["file"], r["error"]
        );
        assert_eq!(
            r["config"],
            serde_json::json!({}),
            "a directive got through: {r}"
        );
        assert_eq!(r["markup"], false, "markup reached the page: {r}");
    }
    results
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn mermaid_parses_every_example_and_cascade() {
    if !mermaid_parser_or_skip("mermaid_parses_every_example_and_cascade") {
        return;
    }
    let dir = temp_dir("mmd-examples");
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for model in yaml_files(&path("examples")) {
        let m = model.to_str().unwrap();
        let stem = model.file_stem().unwrap().to_string_lossy().into_owned();
        let names = service_names(m);
        let arch = mermaid(&["graph", m]);
        let cascade = mermaid(&["run", m, "--down", &names[names.len() - 1]]);
        for (kind, text) in [("arch", arch), ("cascade", cascade)] {
            files.push(write(dir.path(), &format!("{stem}-{kind}.mmd"), &text));
            let edges = Whatif::new()
                .args(["graph", m])
                .run()
                .stdout()
                .lines()
                .filter(|l| l.contains(" -> "))
                .count();
            expected.push((names.clone(), edges));
        }
    }
    let results = parse_with_mermaid(&files);
    for (r, (names, edges)) in results.iter().zip(&expected) {
        assert_eq!(r["type"], "flowchart-v2");
        assert_eq!(
            r["vertices"].as_array().unwrap().len(),
            names.len(),
            "{}",
            r["file"]
        );
        assert_eq!(
            r["edges"].as_array().unwrap().len(),
            *edges,
            "{}",
            r["file"]
        );
    }
    // A cascade's states are classes, its causal path thick and red.
    let shop = results
        .iter()
        .find(|r| {
            r["file"]
                .as_str()
                .unwrap()
                .ends_with("online-shop-cascade.mmd")
        })
        .unwrap();
    assert!(
        shop["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["classes"].as_array().unwrap().contains(&"down".into())),
        "{shop}"
    );
}

#[test]
fn mermaid_shows_hostile_names_as_the_text_they_are() {
    if !mermaid_parser_or_skip("mermaid_shows_hostile_names_as_the_text_they_are") {
        return;
    }
    let dir = temp_dir("mmd-hostile");
    let mut files = Vec::new();
    let mut all_names = Vec::new();
    for (k, f) in HOSTILE.iter().enumerate() {
        let names = service_names(f);
        files.push(write(
            dir.path(),
            &format!("{k}-arch.mmd"),
            &mermaid(&["graph", f]),
        ));
        files.push(write(
            dir.path(),
            &format!("{k}-cascade.mmd"),
            &mermaid(&["run", f, "--down", &names[1]]),
        ));
        all_names.push(names.clone());
        all_names.push(names);
    }
    let results = parse_with_mermaid(&files);
    for (r, names) in results.iter().zip(&all_names) {
        let vertices = r["vertices"].as_array().unwrap();
        assert_eq!(vertices.len(), names.len(), "{r}");
        for (i, name) in names.iter().enumerate() {
            let v = vertices
                .iter()
                .find(|v| v["id"] == format!("n{i}"))
                .unwrap_or_else(|| panic!("no n{i} in {r}"));
            // Invisible word joiners keep `ﬂ°` and `¶ß` from Mermaid's decoder.
            let text = v["text"].as_str().unwrap().replace('\u{2060}', "");
            // A tab is a control character: shown as U+FFFD, as in DOT.
            let name = name.replace('\t', "\u{fffd}");
            assert!(
                text == name || text.starts_with(&format!("{name}\n")),
                "n{i}: Mermaid shows {text:?} for {name:?}"
            );
        }
    }
    // Edge labels and zone titles come through as text too.
    let texts: Vec<&str> = results[2]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&".classDef x fill:#f00;"), "{texts:?}");
    assert!(texts.contains(&"cache 50%"), "{texts:?}");
    let titles: Vec<&str> = results[2]["subgraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "zone %%{init: {\"securityLevel\": \"loose\"}}%%",
            "zone zone|b]"
        ]
    );
}
