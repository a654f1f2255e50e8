//! Terminal-safe text (issue 16): names, titles, stories, reasons, hints,
//! source lines and the drill's echo never put a control character on the
//! terminal. Every command that writes text runs on
//! `tests/fixtures/valid/hostile-terminal.yaml` (an OSC title change, a
//! screen clear, CR, LF, an 8-bit CSI, DEL, a bidi override and an
//! invisible space in its names), and everything it prints is searched
//! for a character a terminal would act on.

use std::path::Path;

use crate::support::*;

const MODEL: &str = "tests/fixtures/valid/hostile-terminal.yaml";
/// The same after a change (`whatif diff`): a new dependency, one replica less.
const AFTER: &str = "tests/fixtures/diff/hostile-terminal-after.yaml";
/// The names of the fixture, as the YAML spells them.
const WEB: &str = "web\x1b[2J\x1b[H";
const DB: &str = "db\nFAKE LINE";
const STORE: &str = "store\u{200b}\t\x7f";

/// A character a terminal acts on instead of showing: a control character
/// other than the line break, a bidi control, a line or paragraph
/// separator, an invisible space. (Written out here rather than taken from
/// whatif, so the test does not trust what it tests.)
fn acts(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Asserts that nothing a run printed acts on a terminal.
#[track_caller]
fn assert_inert(ran: &Ran) {
    for (stream, text) in [("stdout", ran.stdout()), ("stderr", ran.stderr())] {
        if let Some((at, c)) = text.char_indices().find(|&(_, c)| acts(c)) {
            panic!(
                "{} printed {c:?} on {stream} at byte {at}:\n{}",
                ran.command_line(),
                text.escape_debug()
            );
        }
    }
}

fn whatif(args: &[&str]) -> Whatif {
    Whatif::new().args(args)
}

#[test]
fn every_text_report_shows_hostile_names_as_escapes() {
    let down_db = ["--down", DB];
    let symptom = format!("{WEB}=down");
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", MODEL],
        vec!["run", MODEL],
        [&["run", MODEL][..], &down_db].concat(),
        vec![
            "run",
            MODEL,
            "--down",
            STORE,
            "--slow",
            "cache\u{9b}31m=+1s",
        ],
        vec![
            "run", MODEL, "--down", STORE, "--for", "30s", "--step", "10s",
        ],
        vec!["run", MODEL, "--down", "zone:zone\ra"],
        vec!["spof", MODEL, "--zones"],
        vec!["blast", MODEL],
        vec!["cuts", MODEL, "--zone-availability", "99.9%"],
        vec!["availability", MODEL, "--trials", "2000"],
        vec!["review", MODEL],
        vec!["diagnose", MODEL, "--symptom", &symptom],
        vec!["diff", MODEL, AFTER],
        vec!["diff", MODEL, AFTER, "--format", "markdown"],
    ];
    for args in &runs {
        let ran = whatif(args).run();
        assert!(ran.code() <= 1, "{}: {}", ran.command_line(), ran.stderr());
        assert_inert(&ran);
    }
    // The names are there, as escapes.
    let ran = whatif(&[&["run", MODEL][..], &down_db].concat()).code(0);
    for shown in [
        "shop\\e]0;PWNED\\u{7}",
        "web\\e[2J\\e[H",
        " .browse\\rFAKE",
        "api\\u{202e}live",
        "db\\nFAKE LINE",
        "chain: db\\nFAKE LINE → api\\u{202e}live",
        "healthy: cache\\u{9b}31m, store\\u{200b}\\t\\u{7f}",
    ] {
        assert!(
            ran.stdout().contains(shown),
            "no {shown:?} in\n{}",
            ran.stdout()
        );
    }
}

#[test]
fn colour_is_the_only_escape_sequence() {
    for args in [
        vec!["--color", "always", "run", MODEL, "--down", DB],
        vec!["--color", "always", "check", MODEL],
        vec!["--color", "always", "spof", MODEL],
        vec!["--color", "always", "diff", MODEL, AFTER],
        vec![
            "--color",
            "always",
            "run",
            MODEL,
            "--down",
            "nosuch\x1b]0;x\x07",
        ],
    ] {
        let ran = whatif(&args).run();
        let text = format!("{}{}", ran.stdout(), ran.stderr());
        assert!(text.contains('\x1b'), "{args:?} is not coloured");
        // Every ESC starts a colour (SGR) and nothing else.
        for (at, _) in text.match_indices('\x1b') {
            let rest = &text[at + 1..];
            let sgr = rest.strip_prefix('[').is_some_and(|r| {
                let end = r.find(|c: char| !(c.is_ascii_digit() || c == ';'));
                end.is_some_and(|e| r[e..].starts_with('m'))
            });
            assert!(
                sgr,
                "{args:?}: not a colour at {at}: {}",
                rest.escape_debug()
            );
        }
        let without: String = text.chars().filter(|&c| c != '\x1b').collect();
        assert!(!without.chars().any(acts), "{}", without.escape_debug());
    }
}

#[test]
fn errors_and_hints_quote_what_was_typed_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = dir.path().join("in\x1b[2Jvalid.yaml");
    std::fs::write(
        &invalid,
        "services:\n  \"web\\e[2J\": { depends_on: [\"nope\\e]0;x\\a\", \"web\u{202e}\"] }\n  \"ok\": { depends_on: [web\u{202e}x] }\n",
    )
    .unwrap();
    let invalid = invalid.to_str().unwrap();
    let missing = "no\x1b]0;such\x07.yaml";
    for args in [
        vec!["run", MODEL, "--down", "\x1b]0;x\x07"],
        vec!["run", MODEL, "--down", "db\u{202e}"],
        vec!["run", MODEL, "--slow", "api\u{202e}live=fast\r"],
        vec!["graph", MODEL, "--focus", "\x1b[2J"],
        vec!["cuts", MODEL, "--entry", "web\r"],
        vec!["diagnose", MODEL, "--symptom", "x\x1b[2J=down"],
        vec!["diagnose", MODEL, "--symptom", "web=\x1b[2J"],
        vec!["check", invalid],
        vec!["run", invalid],
        vec!["check", missing],
        vec!["run", missing],
    ] {
        let ran = whatif(&args).run();
        assert!(ran.code() == 2, "{}: {}", ran.command_line(), ran.stderr());
        assert_inert(&ran);
    }
    // The source line is shown, escaped, with the caret under the name.
    let ran = whatif(&["check", invalid]).code(2);
    let err = ran.stdout();
    assert!(err.contains("in\\e[2Jvalid.yaml"), "{err}");
    assert!(err.contains("web\\u{202e}x"), "{err}");
}

#[test]
fn the_drill_shows_names_and_echoes_answers_as_escapes() {
    let answers = "\x1b]0;typed\x07\nf\nd\nf\nnone\nnone\n";
    for (mode, level, input) in [
        ("predict", "easy", answers.to_string()),
        ("predict", "medium", answers.to_string()),
        (
            "diagnose",
            "easy",
            format!("list\nlook \x1b[2Jx\nlook {STORE}\ncause api\u{202e}live\n"),
        ),
    ] {
        for seed in ["1", "2"] {
            let ran = Whatif::new()
                .args([
                    "drill",
                    MODEL,
                    "--mode",
                    mode,
                    "--level",
                    level,
                    "--seed",
                    seed,
                    "--rounds",
                    "1",
                    "--no-pictures",
                ])
                .stdin(input.clone())
                .run();
            assert_eq!(ran.code(), 0, "{}", ran.stderr());
            assert_inert(&ran);
        }
    }
    let ran = Whatif::new()
        .args([
            "drill",
            MODEL,
            "--seed",
            "1",
            "--rounds",
            "1",
            "--no-pictures",
        ])
        .stdin(answers)
        .code(0);
    assert!(
        ran.stdout().contains("\\e]0;typed\\u{7}"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn scenario_titles_stories_and_expectations_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let model = path(MODEL);
    let scenario = dir.path().join("s.yaml");
    std::fs::write(
        &scenario,
        format!(
            "title: \"outage\\e]0;PWNED\\a\"\nmodel: {}\nstory: \"line one\\r overwritten \\u202e backwards\"\nduration: 1m\nevents:\n  - {{ at: 0s, down: \"db\\nFAKE LINE\" }}\nexpect:\n  - {{ at: 30s, service: \"web\\e[2J\\e[H\", state: healthy }}\n",
            model.display()
        ),
    )
    .unwrap();
    let ran = whatif(&["scenario", scenario.to_str().unwrap()]).code(1);
    assert_inert(&ran);
    assert!(
        ran.stdout().contains("outage\\e]0;PWNED\\u{7}"),
        "{}",
        ran.stdout()
    );
    assert!(
        ran.stdout().contains("web\\e[2J\\e[H is healthy at 30s"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn import_notes_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yml");
    std::fs::write(
        &compose,
        "services:\n  \"web\\e]0;PWNED\\a\":\n    ports: [\"80:80\"]\n    depends_on: [\"db\\u202e\", \"missing\\e[2J\"]\n  \"db\\u202e\": { image: postgres }\n",
    )
    .unwrap();
    let ran = whatif(&["import", compose.to_str().unwrap()]).code(0);
    assert_inert(&ran);
    assert!(ran.stderr().contains("missing\\e[2J"), "{}", ran.stderr());
    assert!(Path::new(&compose).exists());
}
