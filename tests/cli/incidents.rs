//! Incidents: every file of the library replays with its expectations
//! holding and its remedies doing what their `works:` says; `whatif
//! incident` lists, reports and plays (the `fix` game, also `whatif drill
//! --mode fix`) through pipes.

use std::path::Path;

use crate::support::*;
use whatif::scenario::incident::{STEP_S, replay};
use whatif::scenario::load_scenario;

/// The fixture incident (over examples/checkout-retries.yaml).
const STORM: &str = "tests/fixtures/incidents/retry-storm.yaml";

/// Why an incident file does not replay as written: every failed
/// expectation and misjudged remedy, each with its line.
fn problems(file: &Path) -> Vec<String> {
    let shown = file.display();
    let scenario = match load_scenario(file) {
        Ok(s) => s,
        Err(e) => return vec![format!("{shown}: does not load: {e:?}")],
    };
    let Some(incident) = scenario.incident.clone() else {
        return vec![format!(
            "{shown}: not an incident (no source, detected_at, remedies, debrief)"
        )];
    };
    let r = replay(&scenario, &incident, STEP_S);
    let mut out = Vec::new();
    for v in r.verdicts.iter().filter(|v| !v.passed) {
        out.push(format!(
            "{shown}:{}: {} — {}",
            v.expectation.pos.line,
            v.expectation.describe(),
            v.failure().unwrap_or_default()
        ));
    }
    for j in r.remedies.iter().filter(|j| !j.agrees) {
        let remedy = &incident.remedies[j.remedy];
        out.push(format!(
            "{shown}:{}: remedy `{}` is marked `works: {}` but {} (healthy from {:?}, {:.0} failed requests)",
            remedy.pos.line,
            remedy.name,
            remedy.works,
            if j.run.works { "works" } else { "does not work" },
            j.run.healthy_from_s,
            j.run.failed_requests
        ));
    }
    out
}

/// Issue 12, item 2: every incident in `incidents/` replays — its
/// expectations hold and every remedy does what its `works:` says. An
/// empty library is a failure too: the game needs incidents to play.
#[test]
fn every_incident_in_the_library_replays_as_marked() {
    let dir = path("incidents");
    let files = if dir.is_dir() {
        yaml_files(&dir)
    } else {
        Vec::new()
    };
    assert!(
        !files.is_empty(),
        "incidents/ holds no incident: the fix game has nothing to play"
    );
    // Files in parallel: a long incident's replay takes seconds.
    let failures: Vec<String> = {
        use rayon::prelude::*;
        let each: Vec<Vec<String>> = files.par_iter().map(|f| problems(f)).collect();
        each.concat()
    };
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_fixture_incidents_replay_as_marked_and_a_misjudged_one_does_not() {
    let files = yaml_files(&path("tests/fixtures/incidents"));
    assert!(!files.is_empty());
    let failures: Vec<String> = files.iter().flat_map(|f| problems(f)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let wrong = problems(&path(
        "tests/fixtures/incidents/misjudged/retry-storm-misjudged.yaml",
    ));
    assert_eq!(wrong.len(), 3, "{wrong:#?}");
    assert!(
        wrong[0].ends_with(":12: storefront is healthy at 20m — expected healthy, found down"),
        "{}",
        wrong[0]
    );
    assert!(
        wrong[1]
            .contains(":14: remedy `turn off client retries` is marked `works: false` but works"),
        "{}",
        wrong[1]
    );
}

#[test]
fn replay_reports_every_remedy_judged() {
    Whatif::new()
        .args(["incident", STORM, "--replay"])
        .code(0)
        .snapshot("replay_text");
    let out = Whatif::new()
        .args([
            "incident",
            "tests/fixtures/incidents/misjudged/retry-storm-misjudged.yaml",
            "--replay",
        ])
        .code(1);
    for line in [
        "  ✗ turn off client retries, at 5m: works, but it is marked `works: false` · 61,608 failed requests, healthy from 5m19s\n",
        "  ✗ add two replicas, at 5m: does not work, but it is marked `works: true` · 768,000 failed requests\n",
        "source: whatif, 2024-05-17: A misjudged example — https://example.com/postmortem\n",
        "FAIL: 0 of 1 expectations hold, 0 of 2 remedies judged as marked\n",
    ] {
        assert!(out.stdout().contains(line), "{line:?} in\n{}", out.stdout());
    }
    let j = Whatif::new()
        .args([
            "incident",
            "tests/fixtures/incidents/misjudged/retry-storm-misjudged.yaml",
            "--replay",
            "--format",
            "json",
        ])
        .code(1)
        .json();
    assert_eq!(j["passed"], false);
    assert_eq!(j["best_remedy"], "turn off client retries");
    assert_eq!(j["remedies"][0]["works"], true);
    assert_eq!(j["remedies"][0]["marked_works"], false);
    assert_eq!(j["remedies"][0]["agrees"], false);
    assert_eq!(j["nothing"]["failed_requests"], 768_000.0);
    assert_eq!(j["detected_at_s"], 240.0);
    assert_eq!(j["source"]["url"], "https://example.com/postmortem");
    assert_eq!(j["debrief"][0]["answer"], "Turning off retries.");
    assert_eq!(j["expectations"][0]["passed"], false);
}

#[test]
fn scenario_runs_an_incident_as_a_scenario() {
    Whatif::new()
        .args(["scenario", STORM])
        .code(0)
        .stdout_contains("PASS: 4 of 4 expectations hold\n");
}

#[test]
fn list_shows_the_library_from_its_folder() {
    Whatif::new()
        .args(["incident", "--list"])
        .env("WHATIF_INCIDENTS", "tests/fixtures/incidents")
        .code(0)
        .snapshot("list_text");
    let j = Whatif::new()
        .args(["incident", "--list", "--format", "json"])
        .env("WHATIF_INCIDENTS", "tests/fixtures/incidents")
        .code(0)
        .json();
    let first = &j["incidents"][0];
    assert_eq!(first["name"], "retry-storm");
    assert_eq!(first["source"]["date"], "2024-05-17");
    assert_eq!(first["remedies"], 2);
    // A NAME is looked up in the library.
    Whatif::new()
        .args(["incident", "retry-storm", "--replay"])
        .env("WHATIF_INCIDENTS", "tests/fixtures/incidents")
        .code(0)
        .stdout_contains("PASS: 4 of 4 expectations hold, 2 of 2 remedies judged as marked");
    // … and `incidents/` under the current directory.
    Whatif::new()
        .args(["incident", "retry-storm", "--replay"])
        .env_remove("WHATIF_INCIDENTS")
        .current_dir(path("tests/fixtures"))
        .code(0);
    Whatif::new()
        .args(["incident", "retry-stom"])
        .env("WHATIF_INCIDENTS", "tests/fixtures/incidents")
        .code(2)
        .stderr_contains("error: no incident named `retry-stom` in the library\n  hint: did you mean `retry-storm`?");
}

/// Issue 12, item 2: a scripted `fix` round, answers piped in: a bad
/// answer re-asked, a move with its target asked for, an undo, a move
/// typed with its target, then the simulator plays and the debrief asks.
#[test]
fn a_scripted_fix_round_plays_scores_and_reveals() {
    Whatif::new()
        .args(["incident", STORM])
        .stdin("shed\n7\nlist\nstorefront->checkout-api\nundo\n4 storefront->checkout-api\ndone\nthe retries\n\n")
        .code(0)
        .snapshot("fix_text");
}

#[test]
fn a_scripted_fix_round_as_json() {
    let out = Whatif::new()
        .args(["drill", STORM, "--mode", "fix", "--format", "json"])
        .stdin("4 storefront->checkout-api\n\nthe retries\n")
        .code(0);
    // The game goes to stderr; stdout is the result alone.
    assert!(out.stderr().contains("The simulator plays the rest"));
    insta::assert_json_snapshot!("fix_json", out.json());
}

#[test]
fn the_end_of_input_lets_it_run_and_still_reveals() {
    let out = Whatif::new().args(["incident", STORM]).code(0);
    let text = out.stdout();
    for line in [
        "Your moves:\n  none: you let it run\n",
        "    yours    ████████████████████████████████████████  down at the end\n",
        "  your moves     768,000\n",
        "Score: 0 of 100 points",
        "  Answer: A retry budget",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
}

#[test]
fn input_that_is_not_answers_ends_the_game() {
    // Twenty unreadable answers in a row: exit 2, as in the drill.
    Whatif::new()
        .args(["incident", STORM])
        .stdin("nonsense\n".repeat(30))
        .code(2)
        .stderr_contains("20 answers in a row could not be read");
    // Moves without end: the menu stops reading, the game still ends.
    let out = Whatif::new()
        .args(["incident", STORM])
        .stdin("1\nundo\n".repeat(200))
        .code(0);
    assert!(
        out.stdout()
            .contains("(100 lines read: the simulator plays the rest)")
    );
    // Moves past the end are refused, not played.
    let out = Whatif::new()
        .args(["incident", STORM])
        .stdin("9 storefront\n9 storefront\n9 storefront\n9 storefront\n\n")
        .code(0);
    assert!(
        out.stdout().contains(
            "  too late: it would land at 24m, after the end (20m); `done` lets it run\n"
        ),
        "{}",
        out.stdout()
    );
}

#[test]
fn drill_mode_fix_picks_an_incident_by_seed_and_records() {
    let dir = temp_dir("fix-record");
    let record = dir.path().join("record.jsonl");
    let out = Whatif::new()
        .args(["drill", "--mode", "fix", "--seed", "5", "--record"])
        .args([&record])
        .env("WHATIF_INCIDENTS", "tests/fixtures/incidents")
        .stdin("3\n")
        .code(0);
    assert!(
        out.stdout().starts_with(
            "whatif drill · fix · tests/fixtures/incidents/retry-storm.yaml · seed 5 (replay: --mode fix --seed 5)\n"
        ),
        "{}",
        out.stdout()
    );
    let line = std::fs::read_to_string(&record).expect("recorded");
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("a JSON line");
    assert_eq!(v["seed"], 5);
    assert_eq!(v["moves"][0]["move"], "flush a service's queue");
    assert_eq!(v["moves"][0]["actions"][0], "flush checkout-api");
    assert_eq!(v["moves"][0]["at_s"], 360.0);
}

#[test]
fn facilitator_and_handout() {
    let out = Whatif::new()
        .args(["incident", STORM, "--facilitator"])
        .stdin("\n")
        .code(0);
    let text = out.stdout();
    assert!(text.contains("For the room: what would you do, in what order?"));
    assert!(text.contains("  ✓ turn off client retries, at 5m: works, 61,608 failed requests\n"));
    assert!(!text.contains("Score:"));
    let out = Whatif::new().args(["incident", STORM, "--handout"]).code(0);
    let text = out.stdout();
    for part in [
        "# Fix the incident: A one-minute surge, and the retries never let go\n",
        "| 4 | turn a call's retries off | 3m | storefront-&gt;checkout-api |\n",
        "## Answer key\n",
        "| turn off client retries | 5m | yes | 61,608 | without retries the attempts fall below capacity and the queue drains |\n",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
}

#[test]
fn bad_incident_arguments_are_exit_2() {
    for (args, says) in [
        (
            vec!["incident", "scenarios/retry-storm-stays-down.yaml"],
            "is a scenario, not an incident",
        ),
        (
            vec!["incident"],
            "the following required arguments were not provided",
        ),
        (
            vec!["incident", STORM, "--replay", "--handout"],
            "cannot be used with",
        ),
        (vec!["incident", STORM, "-o", "x.md"], "--handout"),
        (
            vec!["drill", STORM, "--mode", "fix", "--rounds", "2"],
            "--mode fix plays one incident; it does not take --rounds",
        ),
        (
            vec!["drill", STORM, "--mode", "fix", "--handout", "3"],
            "give --handout 1",
        ),
        (vec!["drill"], "the drill needs a model file"),
        (
            vec![
                "incident",
                "tests/fixtures/scenarios/invalid/S018-before-detection.yaml",
            ],
            "error[S018]: remedy at 2m comes before `detected_at` (4m)",
        ),
    ] {
        Whatif::new().args(&args).code(2).stderr_contains(says);
    }
}
