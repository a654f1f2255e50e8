//! Terminal manners: colour follows `--color`, `NO_COLOR` and whether
//! stdout is a terminal; text tables fit `COLUMNS` or the terminal's width
//! (names cut with `…`, prose wrapped, numbers whole) and piped output is
//! never cut. The real-terminal cases run under util-linux `script`, which
//! gives the program a pseudo-terminal.

use crate::support::*;

const ESC: &str = "\x1b[";

/// Runs `whatif` piped, with exactly the environment given (NO_COLOR and
/// COLUMNS removed unless set here).
fn whatif_env(env: &[(&str, &str)], args: &[&str]) -> Whatif {
    let mut whatif = Whatif::new().env_remove("NO_COLOR").args(args);
    for (k, v) in env {
        whatif = whatif.env(k, v);
    }
    whatif
}

#[test]
fn color_always_beats_no_color_and_a_pipe() {
    for args in [
        &[
            "--color",
            "always",
            "run",
            "examples/three-tier.yaml",
            "--down",
            "db",
        ][..],
        &["spof", "examples/online-shop.yaml", "--color", "always"],
        &[
            "--color",
            "always",
            "check",
            "tests/fixtures/invalid/E010-unknown-service.yaml",
        ],
    ] {
        let out = whatif_env(&[("NO_COLOR", "1")], args).run();
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(text.contains(ESC), "{args:?} is not coloured: {text}");
    }
}

#[test]
fn color_auto_is_off_when_piped_or_with_no_color_and_never_is_never() {
    let args = ["run", "examples/three-tier.yaml", "--down", "db"];
    for (env, color) in [
        (&[][..], "auto"),
        (&[("NO_COLOR", "1")][..], "auto"),
        (&[][..], "never"),
    ] {
        let out = whatif_env(env, &[&["--color", color][..], &args].concat()).code(0);
        assert!(!stdout(&out).contains(ESC), "{env:?} --color {color}");
    }
}

/// Each row's figures: the tokens from its state word on.
fn figures(text: &str) -> Vec<String> {
    const STATES: [&str; 4] = ["HEALTHY", "SLOW", "DEGRADED", "DOWN"];
    text.lines()
        .filter_map(|l| {
            let tokens: Vec<&str> = l.split_whitespace().collect();
            let at = tokens.iter().position(|t| STATES.contains(t))?;
            Some(tokens[at..].join(" "))
        })
        .collect()
}

fn assert_fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "{what}: {} characters: {line}\n{text}",
            line.chars().count()
        );
    }
}

#[test]
fn columns_60_fits_the_cascade_and_keeps_every_number() {
    for args in [
        &["run", "examples/online-shop.yaml", "--down", "catalog-db"][..],
        &[
            "run",
            "examples/payments.yaml",
            "--errors",
            "card-network=80%",
        ],
    ] {
        let wide = whatif_env(&[], args).run().stdout();
        let narrow = whatif_env(&[("COLUMNS", "60")], args).run().stdout();
        assert_fits(&narrow, 60, &format!("{args:?}"));
        assert!(
            wide.lines().any(|l| l.chars().count() > 60),
            "the test needs long lines"
        );
        assert_eq!(figures(&narrow), figures(&wide), "{narrow}");
        // Reasons are wrapped, not cut: the same words in the same order.
        let words = |t: &str| t.split_whitespace().filter(|w| !w.contains('…')).count();
        assert!(words(&narrow) >= words(&wide) - figures(&wide).len() * 2);
    }
    let payments = whatif_env(
        &[("COLUMNS", "60")],
        &[
            "run",
            "examples/payments.yaml",
            "--errors",
            "card-network=80%",
        ],
    )
    .run()
    .stdout();
    assert!(
        payments.contains("…  DOWN"),
        "a long name is cut: {payments}"
    );
}

#[test]
fn columns_60_fits_the_analyses() {
    for args in [
        &["spof", "examples/online-shop.yaml", "--zones"][..],
        &["blast", "examples/payments.yaml"],
        &["cuts", "examples/online-shop.yaml"],
        &[
            "availability",
            "examples/online-shop.yaml",
            "--trials",
            "10000",
        ],
        &["review", "examples/payments.yaml"],
        &[
            "diagnose",
            "examples/online-shop.yaml",
            "--symptom",
            "web=degraded",
            "--symptom",
            "catalog=down",
        ],
        &[
            "run",
            "examples/online-shop.yaml",
            "--down",
            "catalog-db",
            "--for",
            "15m",
            "--step",
            "10s",
        ],
        &["scenario", "scenarios/zone-eu-1a-outage.yaml"],
        &[
            "diff",
            "tests/fixtures/diff/zoned-before.yaml",
            "tests/fixtures/diff/zoned-after.yaml",
        ],
    ] {
        let out = whatif_env(&[("COLUMNS", "60")], args).run();
        assert!(out.code() <= 1, "{args:?}: {}", stderr(&out));
        assert_fits(&stdout(&out), 60, &format!("{args:?}"));
    }
    // Blast keeps its numbers whole while the names shrink.
    let row = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains('%'))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .collect()
    };
    let wide = whatif_env(&[], &["blast", "examples/payments.yaml"])
        .run()
        .stdout();
    let narrow = whatif_env(&[("COLUMNS", "44")], &["blast", "examples/payments.yaml"])
        .run()
        .stdout();
    assert!(narrow.contains('…'), "{narrow}");
    assert_eq!(row(&narrow), row(&wide));
}

#[test]
fn piped_output_is_never_cut_and_bad_columns_are_ignored() {
    let args = [
        "run",
        "examples/payments.yaml",
        "--errors",
        "card-network=80%",
    ];
    let plain = whatif_env(&[], &args).run().stdout();
    assert!(!plain.contains('…'));
    for bad in ["", "abc", "0", "-5"] {
        assert_eq!(
            whatif_env(&[("COLUMNS", bad)], &args).run().stdout(),
            plain,
            "COLUMNS={bad:?}"
        );
    }
    // A file gets the whole text whatever COLUMNS says.
    let dir = temp_dir("wide");
    let file = dir.path().join("wide.txt");
    whatif_env(
        &[("COLUMNS", "60")],
        &[&args[..], &["-o", file.to_str().unwrap()]].concat(),
    )
    .code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), plain);
}

#[test]
fn the_progress_bar_never_reaches_a_pipe() {
    let out = whatif_env(&[], &["cuts", "examples/online-shop.yaml", "--order", "3"]).code(0);
    assert_eq!(stderr(&out), "");
}

/// Whether util-linux `script` is there to give a pseudo-terminal; when it
/// is not and tools are required, fails the test; otherwise says why it is
/// skipped.
fn script_or_skip(test: &str) -> bool {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !tools_required(),
            "{test}: util-linux `script` is required (WHATIF_REQUIRE_TOOLS=1) but not found"
        );
        eprintln!(
            "skipping {test}: util-linux `script` is not installed (set WHATIF_REQUIRE_TOOLS=1 to make this a failure)"
        );
    }
    found
}

/// Runs `whatif` on a pseudo-terminal `columns` wide, with `env` set (the
/// shell between may set COLUMNS itself, so `env -u` clears it first); what
/// it printed, without the terminal's carriage returns.
fn on_a_terminal(columns: usize, env: &[(&str, &str)], args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("whatif");
    let set: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let command = format!(
        "stty cols {columns} rows 50; exec env -u COLUMNS -u NO_COLOR {} {} {args}",
        set.join(" "),
        bin.display()
    );
    let out = std::process::Command::new("script")
        .current_dir(root())
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[test]
fn on_a_terminal_colour_is_on_unless_no_color_and_tables_fit_it() {
    if !script_or_skip("on_a_terminal_colour_is_on_unless_no_color_and_tables_fit_it") {
        return;
    }
    let args = "run examples/online-shop.yaml --down catalog-db";
    let coloured = on_a_terminal(50, &[], args);
    assert!(coloured.contains(ESC), "{coloured}");
    let plain = on_a_terminal(50, &[("NO_COLOR", "1")], args);
    assert!(!plain.contains(ESC), "{plain}");
    assert_fits(&plain, 50, "a 50-column terminal");
    assert!(plain.contains("DEGRADED"), "{plain}");
    // COLUMNS beats the terminal's own width.
    let wider = on_a_terminal(50, &[("NO_COLOR", "1"), ("COLUMNS", "100")], args);
    assert!(wider.lines().any(|l| l.chars().count() > 50), "{wider}");
}

/// A model whose entry has a 60-character name and an operation of 45, so
/// both are longer than the 40-character name column.
fn long_names() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.yaml");
    std::fs::write(
        &file,
        format!(
            "services:\n  {LONG}:\n    entry: {{ rps: 10 }}\n    operations:\n      {OP}: {{ depends_on: [db] }}\n      short: {{}}\n  db: {{}}\n"
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap().to_owned();
    (dir, file)
}

const LONG: &str = "a-front-door-service-with-a-name-of-sixty-characters-exactly";
const OP: &str = "an-operation-whose-name-runs-to-45-characters";

#[test]
fn names_are_never_cut_when_piped_whatever_columns_says() {
    // Issue 13 §2: `.us-users` came out as `.us-use…` in a pipe.
    let multi = [
        "run",
        "examples/multi-region.yaml",
        "--down",
        "zone:us-east-a",
    ];
    let (_dir, model) = long_names();
    let long = [
        "run",
        model.as_str(),
        "--down",
        "db",
        "--for",
        "10s",
        "--step",
        "10s",
    ];
    let long_run = ["run", model.as_str(), "--down", "db"];
    let long_blast = ["blast", model.as_str()];
    for env in [&[][..], &[("COLUMNS", "200")][..]] {
        let out = whatif_env(env, &multi).code(0).stdout();
        assert!(out.contains("   .us-users "), "{env:?}\n{out}");
        assert!(out.contains("   .eu-users "), "{env:?}\n{out}");
        assert!(!out.contains('…'), "{env:?}\n{out}");
        for args in [&long_run[..], &long[..], &long_blast[..]] {
            let out = whatif_env(env, args).code(0).stdout();
            assert!(!out.contains('…'), "{args:?} {env:?}\n{out}");
            assert!(out.contains(LONG), "{args:?} {env:?}\n{out}");
        }
        let out = whatif_env(env, &long_run).code(0).stdout();
        assert!(out.contains(&format!(" .{OP}")), "{env:?}\n{out}");
    }
    // Where the line has no room, the name is cut, and only there.
    let narrow = whatif_env(&[("COLUMNS", "70")], &long_run).code(0).stdout();
    assert_fits(&narrow, 70, "COLUMNS=70");
    assert!(narrow.contains('…'), "{narrow}");
}

#[test]
fn on_a_wide_terminal_a_long_name_is_whole() {
    if !script_or_skip("on_a_wide_terminal_a_long_name_is_whole") {
        return;
    }
    let (_dir, model) = long_names();
    let args = format!("run {model} --down db");
    let wide = on_a_terminal(200, &[("NO_COLOR", "1")], &args);
    assert!(wide.contains(LONG), "{wide}");
    assert!(wide.contains(&format!(" .{OP}")), "{wide}");
    assert!(!wide.contains('…'), "{wide}");
    let narrow = on_a_terminal(70, &[("NO_COLOR", "1")], &args);
    assert_fits(&narrow, 70, "a 70-column terminal");
    assert!(narrow.contains('…'), "{narrow}");
}
