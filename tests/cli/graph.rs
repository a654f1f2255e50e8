//! `whatif graph`: formats, focus, files, hostile names.

use crate::support::*;

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn three_tier_dot_snapshot() {
    let out = Whatif::new()
        .args(["graph", "examples/three-tier.yaml"])
        .code(0);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn output_extension_picks_the_format() {
    let dir = temp_dir("ext");
    let dot = dir.join("shop.dot");
    let svg = dir.join("shop.svg");
    Whatif::new()
        .args([
            "graph",
            "examples/online-shop.yaml",
            "-o",
            dot.to_str().unwrap(),
        ])
        .code(0);
    assert!(
        std::fs::read_to_string(&dot)
            .unwrap()
            .starts_with("digraph")
    );
    Whatif::new()
        .args([
            "graph",
            "examples/online-shop.yaml",
            "--layout",
            "builtin",
            "-o",
            svg.to_str().unwrap(),
        ])
        .code(0);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    Whatif::new()
        .args([
            "graph",
            "examples/online-shop.yaml",
            "-o",
            dir.join("shop.xyz").to_str().unwrap(),
        ])
        .code(2)
        .stderr_contains("hint:");
}

#[test]
fn focus_draws_a_neighbourhood_and_suggests_names() {
    let all = Whatif::new()
        .args(["graph", "examples/online-shop.yaml"])
        .run();
    let part = Whatif::new()
        .args([
            "graph",
            "examples/online-shop.yaml",
            "--focus",
            "catalog",
            "--depth",
            "1",
        ])
        .code(0);
    let nodes = |s: &str| {
        s.lines()
            .filter(|l| l.contains("[label=") && !l.contains("->"))
            .count()
    };
    assert!(nodes(&stdout(&part)) < nodes(&stdout(&all)));
    assert!(stdout(&part).contains("\"catalog"));
    Whatif::new()
        .args(["graph", "examples/online-shop.yaml", "--focus", "catalgo"])
        .code(2)
        .stderr_contains("did you mean `catalog`?");
}

#[test]
fn png_without_graphviz_says_so() {
    // Run with an empty PATH so `dot` cannot be found.
    Whatif::new()
        .env("PATH", "")
        .args([
            "graph",
            "examples/three-tier.yaml",
            "-o",
            "/nonexistent-dir/x.png",
        ])
        .code(2)
        .stderr_contains("PNG needs Graphviz");
}

#[test]
fn svg_without_graphviz_uses_the_builtin_layout() {
    Whatif::new()
        .env("PATH", "")
        .args(["graph", "examples/online-shop.yaml", "--format", "svg"])
        .code(0)
        .stdout_contains("<svg");
}

#[test]
fn hostile_names_stay_inert_in_dot_and_svg() {
    let f = "tests/fixtures/valid/hostile-names.yaml";
    Whatif::new().args(["check", f]).code(0);
    let svg = Whatif::new()
        .args(["graph", f, "--format", "svg", "--layout", "builtin"])
        .run()
        .stdout();
    assert!(!svg.contains("<script"), "raw <script> in SVG");
    assert!(svg.contains("&lt;script&gt;"));
    let dot = Whatif::new().args(["graph", f]).run().stdout();
    assert!(dot.contains(r#"a \"quoted\" name"#), "{dot}");
    assert!(dot.contains(r"back\\slash\\N"), "{dot}");
}

#[test]
fn graphviz_accepts_our_dot_for_hostile_names() {
    if !graphviz_or_skip("graphviz_accepts_our_dot_for_hostile_names") {
        return;
    }
    let f = "tests/fixtures/valid/hostile-names.yaml";
    let dot = Whatif::new().args(["graph", f]).run().stdout.clone();
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
