//! Every shipped example checks, and renders as DOT and SVG with the
//! built-in layout (and with Graphviz when it is installed).

use crate::support::*;

#[test]
fn every_example_starts_with_the_schema_comment() {
    for file in yaml_files(&path("examples")) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/whatif.schema.json\n"),
            "{} must start with the schema comment",
            file.display()
        );
    }
}

#[test]
fn there_are_at_least_five_examples() {
    assert!(yaml_files(&path("examples")).len() >= 5);
}

#[test]
fn every_example_renders_with_the_builtin_layout() {
    for file in yaml_files(&path("examples")) {
        let f = file.to_str().unwrap();
        let dot = Whatif::new().args(["graph", f]).code(0);
        assert!(stdout(&dot).starts_with("digraph {"), "{f}");
        let svg = Whatif::new()
            .args(["graph", f, "--format", "svg", "--layout", "builtin"])
            .code(0);
        let text = stdout(&svg);
        assert!(
            text.contains("<svg") && text.trim_end().ends_with("</svg>"),
            "{f}"
        );
        // Deterministic: same bytes twice.
        assert_eq!(
            svg.stdout,
            Whatif::new()
                .args(["graph", f, "--format", "svg", "--layout", "builtin"])
                .run()
                .stdout,
            "{f}"
        );
    }
}

#[test]
fn every_example_renders_with_graphviz() {
    if !graphviz_or_skip("every_example_renders_with_graphviz") {
        return;
    }
    for file in yaml_files(&path("examples")) {
        let f = file.to_str().unwrap();
        Whatif::new()
            .args(["graph", f, "--format", "svg", "--layout", "graphviz"])
            .code(0)
            .stdout_contains("<svg");
    }
}
