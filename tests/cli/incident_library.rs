//! The incident library (docs/incidents.md): every incident in
//! `incidents/` replays with its public facts holding, every model it
//! stands on checks clean and stays small, and the incidents page lists
//! them all. (Whether each remedy does what its `works:` says is judged by
//! the incident machinery's own tests.)

use crate::support::*;

fn incidents() -> Vec<String> {
    yaml_files(&path("incidents"))
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_incident_replays_its_public_facts() {
    let files = incidents();
    assert!(files.len() >= 15, "at least fifteen incidents");
    let mut args = vec!["scenario".to_owned(), "--format".into(), "json".into()];
    args.extend(files.iter().cloned());
    let j = Whatif::new().args(&args).code(0).json();
    let scenarios = j["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), files.len());
    for sc in scenarios {
        let expectations = sc["expectations"].as_array().unwrap();
        assert!(expectations.len() >= 3, "{} pins few facts", sc["file"]);
        for e in expectations {
            assert_eq!(e["passed"], true, "{} {e}", sc["file"]);
        }
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
