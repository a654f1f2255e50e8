//! Shell integration: completion scripts, man pages, and an example in
//! every command's `--help`.

use crate::support::*;

/// Subcommand names as `whatif --help` lists them (without `help`).
fn subcommands() -> Vec<String> {
    let out = Whatif::new().args(["--help"]).code(0);
    let text = stdout(&out);
    let list = text
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section")
        .split("\n\n")
        .next()
        .unwrap();
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    for known in ["check", "run", "graph", "completions", "man"] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    names
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for name in subcommands() {
        let out = Whatif::new().args([&name, "--help"]).code(0);
        let help = stdout(&out);
        assert!(
            help.contains("Example:"),
            "`whatif {name} --help` has no example:\n{help}"
        );
        assert!(
            help.contains(&format!("whatif {name}")),
            "the example of {name} does not use it:\n{help}"
        );
    }
}

#[test]
fn completions_for_every_shell_know_the_subcommands() {
    let names = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Whatif::new().args(["completions", shell]).code(0);
        let script = stdout(&out);
        assert!(script.len() > 1000, "{shell}: {script}");
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{shell} script lacks {name}"
            );
        }
        assert!(
            script.contains("--down") || script.contains("-l down"),
            "{shell} script lacks fault flags"
        );
    }
    Whatif::new().args(["completions", "tcsh"]).code(2);
}

fn assert_man_page(page: &str, title: &str) {
    let head: Vec<&str> = page.lines().take(4).collect();
    assert!(
        head.iter()
            .any(|l| l.starts_with(&format!(".TH {title} 1 "))),
        "no .TH {title} header in {head:?}"
    );
    assert!(page.contains(".SH NAME"), "{page}");
}

#[test]
fn man_prints_the_top_page_listing_every_command() {
    let out = Whatif::new().args(["man"]).code(0);
    let page = stdout(&out);
    assert_man_page(&page, "whatif");
    for name in subcommands() {
        let roff_name = name.replace('-', "\\-");
        assert!(
            page.contains(&format!("whatif\\-{roff_name}(1)")),
            "{name} missing"
        );
    }
    assert!(
        page.contains("NO_COLOR") && page.contains("Exit status"),
        "{page}"
    );
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let pages = temp_dir("man");
    let dir = pages.path().join("man");
    Whatif::new()
        .args(["man", "--dir", dir.to_str().unwrap()])
        .code(0);
    assert_man_page(
        &std::fs::read_to_string(dir.join("whatif.1")).unwrap(),
        "whatif",
    );
    for name in subcommands() {
        let page = std::fs::read_to_string(dir.join(format!("whatif-{name}.1")))
            .unwrap_or_else(|e| panic!("whatif-{name}.1: {e}"));
        assert_man_page(&page, &format!("whatif-{name}"));
        assert!(page.contains("Example:"), "whatif-{name}.1 has no example");
    }
    Whatif::new().args(["man", "--dir", "x", "-o", "y"]).code(2);
}
