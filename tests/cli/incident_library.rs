//! The incident library (docs/incidents.md): its shape (facts, a mix of
//! remedies, a debrief), every model it stands on checking clean and
//! staying small, and the incidents page listing every incident. Replaying
//! each one as marked is tested in `incidents.rs`.

use crate::support::*;
use whatif::scenario::load_scenario;

/// The library keeps its shape (whether each replays as marked is
/// `incidents::every_incident_in_the_library_replays_as_marked`): at least
/// fifteen incidents, each pinning at least three public facts, with a
/// remedy that works and one that does not, three to five questions, and
/// no warning.
#[test]
fn every_incident_keeps_the_library_shape() {
    let files = yaml_files(&path("incidents"));
    assert!(files.len() >= 15, "at least fifteen incidents");
    for file in &files {
        let shown = file.display();
        let scenario = load_scenario(file).unwrap_or_else(|e| panic!("{shown}: {e:?}"));
        assert!(
            scenario.warnings.is_empty(),
            "{shown}: {:?}",
            scenario.warnings
        );
        assert!(scenario.expectations.len() >= 3, "{shown} pins few facts");
        let incident = scenario.incident.expect("an incident");
        let marked = |works: bool| incident.remedies.iter().any(|r| r.works == works);
        assert!(marked(true) && marked(false), "{shown}: a mix of remedies");
        let questions = incident.debrief.len();
        assert!(
            (3..=5).contains(&questions),
            "{shown}: {questions} questions"
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
