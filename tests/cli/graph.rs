//! `whatif graph`: formats, focus, files, hostile names.

use crate::support::*;

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn three_tier_dot_snapshot() {
    let out = whatif(&["graph", "examples/three-tier.yaml"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn output_extension_picks_the_format() {
    let dir = temp_dir("ext");
    let dot = dir.join("shop.dot");
    let svg = dir.join("shop.svg");
    assert_eq!(
        code(&whatif(&[
            "graph",
            "examples/online-shop.yaml",
            "-o",
            dot.to_str().unwrap()
        ])),
        0
    );
    assert!(
        std::fs::read_to_string(&dot)
            .unwrap()
            .starts_with("digraph")
    );
    let out = whatif(&[
        "graph",
        "examples/online-shop.yaml",
        "--layout",
        "builtin",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let bad = whatif(&[
        "graph",
        "examples/online-shop.yaml",
        "-o",
        dir.join("shop.xyz").to_str().unwrap(),
    ]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("hint:"), "{}", stderr(&bad));
}

#[test]
fn focus_draws_a_neighbourhood_and_suggests_names() {
    let all = whatif(&["graph", "examples/online-shop.yaml"]);
    let part = whatif(&[
        "graph",
        "examples/online-shop.yaml",
        "--focus",
        "catalog",
        "--depth",
        "1",
    ]);
    assert_eq!(code(&part), 0, "{}", stderr(&part));
    let nodes = |s: &str| {
        s.lines()
            .filter(|l| l.contains("[label=") && !l.contains("->"))
            .count()
    };
    assert!(nodes(&stdout(&part)) < nodes(&stdout(&all)));
    assert!(stdout(&part).contains("\"catalog"));
    let typo = whatif(&["graph", "examples/online-shop.yaml", "--focus", "catalgo"]);
    assert_eq!(code(&typo), 2);
    assert!(
        stderr(&typo).contains("did you mean `catalog`?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn png_without_graphviz_says_so() {
    // Run with an empty PATH so `dot` cannot be found.
    let out = assert_cmd::Command::cargo_bin("whatif")
        .unwrap()
        .current_dir(root())
        .env("PATH", "")
        .args([
            "graph",
            "examples/three-tier.yaml",
            "-o",
            "/nonexistent-dir/x.png",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("PNG needs Graphviz"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn svg_without_graphviz_uses_the_builtin_layout() {
    let out = assert_cmd::Command::cargo_bin("whatif")
        .unwrap()
        .current_dir(root())
        .env("PATH", "")
        .args(["graph", "examples/online-shop.yaml", "--format", "svg"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("<svg"));
}

#[test]
fn hostile_names_stay_inert_in_dot_and_svg() {
    let f = "tests/fixtures/valid/hostile-names.yaml";
    let check = whatif(&["check", f]);
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    let svg = stdout(&whatif(&[
        "graph", f, "--format", "svg", "--layout", "builtin",
    ]));
    assert!(!svg.contains("<script"), "raw <script> in SVG");
    assert!(svg.contains("&lt;script&gt;"));
    let dot = stdout(&whatif(&["graph", f]));
    assert!(dot.contains(r#"a \"quoted\" name"#), "{dot}");
    assert!(dot.contains(r"back\\slash\\N"), "{dot}");
}

#[test]
fn graphviz_accepts_our_dot_for_hostile_names() {
    if !graphviz_or_skip("graphviz_accepts_our_dot_for_hostile_names") {
        return;
    }
    let f = "tests/fixtures/valid/hostile-names.yaml";
    let dot = whatif(&["graph", f]).stdout;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &dot).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8_lossy(&out.stdout);
    assert!(!svg.contains("<script"), "Graphviz output has raw <script>");
    // Every service appears as a node.
    let nodes = svg.matches("class=\"node\"").count();
    assert_eq!(nodes, 8, "{svg}");
}
