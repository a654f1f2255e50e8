//! The incident library (docs/incidents.md): every incident in
//! `incidents/` replays with its public facts holding and its remedies
//! judged as marked, every model it stands on checks clean and stays
//! small, and the incidents page lists them all.

use crate::support::*;

fn incidents() -> Vec<String> {
    yaml_files(&path("incidents"))
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect()
}

/// `whatif incident --replay` on every incident: each public fact pinned
/// under `expect:` holds, and every remedy, simulated, does what its
/// `works:` says. The library also keeps its shape: at least three facts,
/// a remedy that works and one that does not, three to five questions.
#[test]
fn every_incident_replays_and_every_remedy_is_judged_as_marked() {
    let files = incidents();
    assert!(files.len() >= 15, "at least fifteen incidents");
    // One replay per file, at once: each simulates the incident and every
    // remedy over up to half a day of one-second steps.
    let replays: Vec<(String, serde_json::Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|file| {
                scope.spawn(move || {
                    let j = Whatif::new()
                        .args(["incident", "--replay", file, "--format", "json"])
                        .code(0)
                        .json();
                    (file.clone(), j)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (file, j) in &replays {
        assert_eq!(j["passed"], true, "{file}");
        let expectations = j["expectations"].as_array().unwrap();
        assert!(expectations.len() >= 3, "{file} pins few facts");
        for e in expectations {
            assert_eq!(e["passed"], true, "{file} {e}");
        }
        let remedies = j["remedies"].as_array().unwrap();
        for r in remedies {
            assert_eq!(r["agrees"], true, "{file} {r}");
        }
        let marked = |works: bool| remedies.iter().any(|r| r["marked_works"] == works);
        assert!(marked(true) && marked(false), "{file}: a mix of remedies");
        let questions = j["debrief"].as_array().unwrap().len();
        assert!(
            (3..=5).contains(&questions),
            "{file}: {questions} questions"
        );
    }
}

#[test]
fn every_incident_model_checks_clean_and_stays_small() {
    for model in yaml_files(&path("incidents/models")) {
        let model = model.to_str().unwrap().to_owned();
        Whatif::new().args(["check", "--strict", &model]).code(0);
        let j = Whatif::new()
            .args(["run", &model, "--format", "json"])
            .code(0)
            .json();
        let services = j["services"].as_array().unwrap().len();
        assert!((5..=25).contains(&services), "{model}: {services} services");
        // The fault-free system is healthy: every incident starts from it.
        assert_eq!(j["summary"]["healthy"], services, "{model}");
    }
}

#[test]
fn the_incidents_page_lists_every_incident() {
    let page = std::fs::read_to_string(path("docs/incidents.md")).unwrap();
    for file in yaml_files(&path("incidents")) {
        let name = file.file_stem().unwrap().to_str().unwrap();
        assert!(
            page.contains(&format!("| `{name}` |")),
            "{name} in the table"
        );
        assert!(page.contains(&format!("**{name}.**")), "{name}'s limits");
        let model = format!("incidents/models/{name}.yaml");
        assert!(path(&model).exists(), "{model}");
    }
}
