//! `whatif graph`: formats, focus, files, hostile names.

use crate::support::*;

#[test]
fn three_tier_dot_snapshot() {
    let out = Whatif::new()
        .args(["graph", "examples/three-tier.yaml"])
        .code(0);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn output_extension_picks_the_format() {
    let dir = temp_dir("graph-ext");
    let dot = dir.path().join("shop.dot");
    let svg = dir.path().join("shop.svg");
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
            dir.path().join("shop.xyz").to_str().unwrap(),
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
    // Every service appears as a node (besides the legend's).
    let nodes = svg.matches("class=\"node\"").count();
    assert_eq!(nodes, 8 + 1, "{svg}");
    assert!(svg.contains("<title>legend</title>"), "{svg}");
}

/// Issue 13 §3: Graphviz pictures carry a legend (the states shown, the
/// edge kinds used, the causal path) and an entry point's box names its
/// operations with their states (`browse DOWN 0%`).
#[test]
fn dot_has_a_legend_and_the_entry_operations() {
    let dot = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog",
            "--format",
            "dot",
        ])
        .code(0)
        .stdout();
    let legend = dot
        .lines()
        .find(|l| l.trim_start().starts_with("legend ["))
        .unwrap_or_else(|| panic!("no legend:\n{dot}"));
    for word in [
        "healthy",
        "degraded",
        "down",
        "hard",
        "soft",
        "async / background",
        "startup only",
        "fallback path",
        "causal path",
    ] {
        assert!(
            legend.contains(&format!("{word}</")),
            "legend lacks {word}: {legend}"
        );
    }
    assert!(
        !legend.contains(">slow<"),
        "only the states shown: {legend}"
    );
    let web = dot
        .lines()
        .find(|l| l.contains("[label=\"web\\n"))
        .unwrap_or_else(|| panic!("no web node:\n{dot}"));
    assert!(
        web.contains("\\n.browse DOWN 0%\\n.search HEALTHY 100%\\n.add-to-cart DOWN 0%\\n.checkout HEALTHY 100%\""),
        "{web}"
    );
    // The plain architecture names the operations with their traffic.
    let plain = Whatif::new()
        .args(["graph", "examples/online-shop.yaml"])
        .code(0)
        .stdout();
    assert!(plain.contains("\\n.browse 900 rps\\n"), "{plain}");
    assert!(
        !plain.contains("causal path"),
        "no causal path without faults"
    );
}

/// Issue 13 §3: a zone outage shows the replicas each service lost, and
/// the zone's outline says it is down.
#[test]
fn zone_faults_show_the_lost_replicas() {
    let dot = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--down",
            "zone:eu-1a",
            "--format",
            "dot",
        ])
        .code(0)
        .stdout();
    assert!(dot.contains("label=\"zone eu-1a (down)\""), "{dot}");
    assert!(
        dot.contains("[label=\"web\\nDOWN 0% · 1200 rps · ×3 · 1 of 3 down\\n"),
        "{dot}"
    );
    assert!(
        dot.contains("catalog-db\\nHEALTHY 100% · ×3 (quorum 2) · 1 of 3 down\""),
        "{dot}"
    );
    let svg = Whatif::new()
        .args([
            "run",
            "examples/online-shop.yaml",
            "--hang",
            "zone:eu-1a",
            "--format",
            "svg",
            "--layout",
            "builtin",
        ])
        .code(0)
        .stdout();
    assert!(
        svg.contains("1 of 3 hung"),
        "the built-in picture says it too"
    );
}

/// The width and height, in points, of an SVG drawn by Graphviz.
fn svg_size(svg: &str) -> (f64, f64) {
    let number = |key: &str| {
        let at = svg.find(key).unwrap() + key.len();
        svg[at..svg[at..].find("pt\"").unwrap() + at]
            .parse::<f64>()
            .unwrap()
    };
    (number("width=\""), number("height=\""))
}

/// Issue 13 §3: a wide architecture is not drawn as a long strip. The
/// online shop (15 services, ten behind `web`) came out 2005×373 pixels
/// top-down; by default it is now drawn left to right, near a screen's
/// shape, and `--rankdir tb` still gives the strip.
#[test]
fn wide_graphs_keep_a_screen_shape() {
    if !graphviz_or_skip("wide_graphs_keep_a_screen_shape") {
        return;
    }
    for (args, most) in [
        (vec!["graph", "examples/online-shop.yaml"], 1.6),
        (
            vec!["run", "examples/online-shop.yaml", "--down", "zone:eu-1a"],
            2.0,
        ),
        (vec!["graph", "examples/social-network.yaml"], 2.0),
        (vec!["graph", "examples/payments.yaml"], 2.0),
    ] {
        let svg = Whatif::new()
            .args(&args)
            .args(["--format", "svg", "--layout", "graphviz"])
            .code(0)
            .stdout();
        let (w, h) = svg_size(&svg);
        assert!(w / h <= most && w / h >= 0.5, "{args:?}: {w}×{h}");
    }
    let svg = Whatif::new()
        .args([
            "graph",
            "examples/online-shop.yaml",
            "--rankdir",
            "tb",
            "--format",
            "svg",
            "--layout",
            "graphviz",
        ])
        .code(0)
        .stdout();
    let (w, h) = svg_size(&svg);
    assert!(w / h > 2.5, "--rankdir tb draws top-down: {w}×{h}");
}

/// PNG is Graphviz's drawing: asking for the built-in layout says so
/// (not that Graphviz is missing), whether or not `dot` is installed.
#[test]
fn png_with_the_builtin_layout_names_the_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("c.png");
    Whatif::new()
        .args([
            "graph",
            "examples/three-tier.yaml",
            "--layout",
            "builtin",
            "-o",
            png.to_str().unwrap(),
        ])
        .code(2)
        .stderr_contains("`--layout builtin` asks for whatif's own layout");
    assert!(!png.exists());
}
