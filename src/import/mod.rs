//! Importing a starting model from what a team already has: a docker-compose
//! file ([`compose`]) or a Backstage catalog ([`backstage`]). Text in, model
//! YAML text and notes out; nothing is printed here.
//!
//! Both formats say which service talks to which, never how much traffic,
//! how many replicas, how long a caller waits or whether it survives without
//! a dependency. So the written model keeps every service and every relation
//! the input states, guesses a little more (each guess is a YAML comment
//! that says `guessed` and where from), and asks for the rest in `TODO`
//! comments. Before it is returned the text is read back by the real loader
//! ([`crate::model::load_str`]): an import always passes `whatif check`.
//! Dependency cycles in the input are kept, listed in the header and
//! reported as notes.
//!
//! ```
//! let compose = "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    depends_on: [db]\n  db:\n    image: postgres:16\n";
//! let imported = whatif::import::import_str(compose, "docker-compose.yml").expect("imports");
//! assert_eq!(imported.format, whatif::import::Format::Compose);
//! let model = whatif::model::load_str(&imported.yaml, "model.yaml").expect("checks");
//! assert_eq!(model.model.services().len(), 2);
//! ```

pub mod backstage;
pub mod compose;
pub mod tree;
pub mod yaml;

use std::path::Path;

use crate::error::Error;
use crate::finding::{Finding, Pos};
use crate::graph::Graph;
use crate::model::load::{self, parse_yaml_documents};
use crate::model::raw::At;
use tree::Node;

pub use yaml::quote;

/// Finding codes of the importers. Stable: documented in the README.
pub mod codes {
    /// The input is neither a docker-compose file nor a Backstage catalog.
    pub const UNRECOGNISED: &str = "E040";
    /// The input has no service to import.
    pub const NOTHING_TO_IMPORT: &str = "E041";
}

/// The format an input was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A docker-compose file (top-level `services:`).
    Compose,
    /// A Backstage catalog (documents with `apiVersion: backstage.io/…`).
    Backstage,
}

impl Format {
    /// How the format is named in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Compose => "docker-compose file",
            Format::Backstage => "Backstage catalog",
        }
    }
}

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A dependency, kind or entry point the input does not state.
    Guess,
    /// A dependency cycle, kept.
    Cycle,
    /// A service made up for a reference to something not in the input.
    Placeholder,
    /// Something in the input that the model does not carry.
    Ignored,
    /// The imported model says too little to trust its analyses.
    Warning,
}

/// One thing the user should know about an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// What it is about.
    pub kind: NoteKind,
    /// One lower-case sentence, names in backticks.
    pub message: String,
    /// Where in the input, when it is about one place.
    pub pos: Option<Pos>,
}

/// A model written from a compose file or a catalog.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What the input was read as.
    pub format: Format,
    /// The model, as YAML text that passes `whatif check`.
    pub yaml: String,
    /// Guesses, cycles, placeholders and what was left out, in input order
    /// (cycles last).
    pub notes: Vec<Note>,
    /// Services written.
    pub services: usize,
    /// Dependencies written.
    pub dependencies: usize,
    /// Of those, how many are guesses.
    pub guessed: usize,
}

/// Reads a file (with the loader's guards against huge, binary and
/// non-UTF-8 input) and imports it.
pub fn import_file(path: &Path) -> Result<Imported, Error> {
    let text = load::read_text(path)?;
    import_str(&text, &path.display().to_string())
}

/// Imports a docker-compose file or a Backstage catalog given as text;
/// `file` names it in findings and in the model's header comment.
///
/// Errors: [`Error::Invalid`] with a finding when the text is not YAML, is
/// neither format ([`codes::UNRECOGNISED`], with a hint), has a relation
/// field of the wrong shape, or holds no service.
pub fn import_str(text: &str, file: &str) -> Result<Imported, Error> {
    let invalid = |finding: Finding| Error::Invalid {
        file: file.to_owned(),
        source_text: text.to_owned(),
        findings: vec![finding],
    };
    let documents: Vec<At<Node>> = parse_yaml_documents(text).map_err(|f| {
        invalid(if f.code == load::codes::EMPTY {
            f.with_hint("give a docker-compose file or a Backstage catalog")
        } else {
            f
        })
    })?;
    let draft = if let [doc] = documents.as_slice()
        && compose::is_compose(&doc.value)
    {
        compose::convert(doc, file).map_err(invalid)?
    } else if documents.iter().any(|d| backstage::is_entity(&d.value)) {
        backstage::convert(&documents, file).map_err(invalid)?
    } else {
        return Err(invalid(unrecognised(&documents)));
    };
    finish(draft)
}

/// The finding for input that is neither format, with the most useful hint.
fn unrecognised(documents: &[At<Node>]) -> Finding {
    let first = documents.first();
    let pos = first.map_or(Pos::new(1, 1), |d| d.pos);
    if let Some(doc) = first
        && compose::looks_like_whatif_model(&doc.value)
    {
        return Finding::error(
            codes::UNRECOGNISED,
            "this is already a whatif model, not a docker-compose file",
            Some(pos),
        )
        .with_hint("check it with `whatif check FILE` instead");
    }
    let what = match first.and_then(|d| d.value.get("apiVersion")) {
        Some(v) => format!(
            "documents with `apiVersion: {}`",
            v.value.scalar_text().unwrap_or_default()
        ),
        None if documents.len() > 1 => format!("{} YAML documents", documents.len()),
        None if first.and_then(|d| d.value.get("services")).is_some() => {
            "a YAML document whose `services:` is not a map of services".into()
        }
        None => "a YAML document without top-level `services:`".into(),
    };
    Finding::error(
        codes::UNRECOGNISED,
        format!("cannot import {what}: not a docker-compose file or a Backstage catalog"),
        Some(pos),
    )
    .with_hint(
        "whatif imports a docker-compose file (a map of `services:`) or a Backstage catalog (entities with `apiVersion: backstage.io/v1alpha1`)",
    )
}

/// Writes the draft, reads it back with the real loader, lists its cycles
/// and warnings in the header and the notes.
fn finish(mut draft: Draft) -> Result<Imported, Error> {
    let verify_as = format!("imported from {}", draft.file);
    let first = yaml::write(&draft);
    let loaded = crate::model::load_str(&first, &verify_as)?;
    let model = &loaded.model;
    for cycle in Graph::build(model).cycles() {
        let mut names: Vec<&str> = cycle
            .iter()
            .map(|&id| model.service(id).name.as_str())
            .collect();
        names.push(names[0]);
        draft
            .cycles
            .push(names.iter().map(|n| (*n).to_owned()).collect());
    }
    for cycle in &draft.cycles {
        let spelled = cycle
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" → ");
        draft.notes.push(Note {
            kind: NoteKind::Cycle,
            message: format!(
                "kept the dependency cycle {spelled}; if it does not really hold, make one edge `criticality: soft` or `mode: async`"
            ),
            pos: None,
        });
    }
    let aside: Vec<&str> = draft
        .services
        .iter()
        .filter(|s| s.aside.is_some())
        .map(|s| s.name.as_str())
        .collect();
    draft.warnings = warnings(model, draft.format, &aside);
    for w in &draft.warnings {
        draft.notes.push(Note {
            kind: NoteKind::Warning,
            message: w.clone(),
            pos: None,
        });
    }
    let text = if draft.cycles.is_empty() && draft.warnings.is_empty() {
        first
    } else {
        let text = yaml::write(&draft);
        crate::model::load_str(&text, &verify_as)?;
        text
    };
    let dependencies = draft.services.iter().map(|s| s.deps.len()).sum();
    let guessed = draft
        .services
        .iter()
        .flat_map(|s| &s.deps)
        .filter(|d| d.guessed)
        .count();
    Ok(Imported {
        format: draft.format,
        yaml: text,
        notes: draft.notes,
        services: draft.services.len(),
        dependencies,
        guessed,
    })
}

/// `a`, `b`, `c` and 4 more, each name in backticks.
fn some_names<'a>(names: impl Iterator<Item = &'a str>, total: usize) -> String {
    const SHOWN: usize = 6;
    let mut shown: Vec<String> = names.take(SHOWN).map(|n| format!("`{n}`")).collect();
    if total > SHOWN {
        shown.push(format!("and {} more", total - SHOWN));
    }
    shown.join(", ")
}

/// What makes an imported model too thin to trust, one sentence each:
/// services no entry point reaches (their failures look harmless in every
/// analysis), and an input that states few links (most services that are
/// not stores neither call nor are called by any other). Services `aside`
/// from the users' path (jobs, tools, load generators) are not counted.
pub fn warnings(model: &crate::model::Model, format: Format, aside: &[&str]) -> Vec<String> {
    use crate::model::ServiceId;
    let mut out = Vec::new();
    let n = model.services().len();
    let counted = |id: ServiceId| !aside.contains(&model.service(id).name.as_str());
    let deps = |id: ServiceId| {
        let mut to: Vec<ServiceId> = Vec::new();
        for dep in model
            .service(id)
            .operations
            .iter()
            .flat_map(|o| &o.depends_on)
        {
            to.push(dep.target.service);
            to.extend(dep.cache.map(|c| c.on_miss));
            if let Some(crate::model::Fallback::Failover { to: alt }) = dep.fallback {
                to.push(alt);
            }
        }
        to
    };
    let mut reached = vec![false; n];
    let mut called = vec![false; n];
    let mut stack: Vec<ServiceId> = model.entry_points().collect();
    for id in model.service_ids().filter(|&id| counted(id)) {
        for t in deps(id) {
            called[t.index()] = true;
        }
    }
    while let Some(id) = stack.pop() {
        if !std::mem::replace(&mut reached[id.index()], true) {
            stack.extend(deps(id));
        }
    }
    let (links, edit) = match format {
        Format::Compose => (
            "links",
            "add `depends_on`, or check the environment variables (host names in `env_file` or in code are not read)",
        ),
        Format::Backstage => (
            "relations",
            "add `dependsOn`, or `consumesApis` with the matching `providesApis`",
        ),
    };
    let unreached: Vec<&str> = model
        .service_ids()
        .filter(|&id| counted(id) && !reached[id.index()])
        .map(|id| model.service(id).name.as_str())
        .collect();
    if model.entry_points().next().is_some() && !unreached.is_empty() {
        out.push(format!(
            "no entry point reaches {} of {n} services: {}; every analysis sees their failures as harmless to users. If users need them, {edit}; if users call them directly, give them `entry: {{ rps }}`",
            unreached.len(),
            some_names(unreached.iter().copied(), unreached.len())
        ));
    }
    let working: Vec<ServiceId> = model
        .service_ids()
        .filter(|&id| counted(id) && !model.service(id).kind.is_stateful())
        .collect();
    let alone: Vec<&str> = working
        .iter()
        .filter(|&&id| deps(id).is_empty() && !called[id.index()])
        .map(|&id| model.service(id).name.as_str())
        .collect();
    if working.len() >= 3 && 2 * alone.len() > working.len() {
        out.push(format!(
            "the {} states few {links}: {} of the {} services that are not databases, caches or queues depend on nothing and nothing depends on them ({}); {edit}",
            format.describe(),
            alone.len(),
            working.len(),
            some_names(alone.iter().copied(), alone.len())
        ));
    }
    out
}

/// A model on its way out: what the converters fill in and [`yaml`] writes.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The input's format.
    pub format: Format,
    /// The input file, for the header.
    pub file: String,
    /// The model's name.
    pub name: String,
    /// Extra header comment lines about this input (how it was read).
    pub header: Vec<String>,
    /// Services, in input order.
    pub services: Vec<DraftService>,
    /// Cycles, each spelled as a closed walk of names (filled by [`finish`]).
    pub cycles: Vec<Vec<String>>,
    /// Warnings about the model as a whole (filled by [`finish`]), also
    /// written in its header.
    pub warnings: Vec<String>,
    /// Notes for the user.
    pub notes: Vec<Note>,
}

/// One service of a [`Draft`].
#[derive(Debug, Clone, Default)]
pub struct DraftService {
    /// Its name in the model.
    pub name: String,
    /// Where it came from (a comment on its first line).
    pub origin: String,
    /// `kind`, and the comment saying why (`from …` or `guessed from …`).
    pub kind: Option<(&'static str, String)>,
    /// Why it is an entry point (it gets a placeholder `entry` rate).
    pub entry: Option<String>,
    /// `replicas` stated by the input, and where from.
    pub replicas: Option<(u64, String)>,
    /// Extra `TODO` comment lines for this service.
    pub todo: Vec<String>,
    /// Dependencies, in input order, one per callee.
    pub deps: Vec<DraftDep>,
    /// Made up for a reference to something not in the input.
    pub placeholder: bool,
    /// Why it stands outside the users' path, when it does (a one-shot
    /// job, a load generator, an operations tool, a library): no entry
    /// point reaching it is expected, not a warning.
    pub aside: Option<String>,
}

/// One dependency of a [`DraftService`].
#[derive(Debug, Clone, PartialEq)]
pub struct DraftDep {
    /// Index of the callee in [`Draft::services`].
    pub to: usize,
    /// Needed only to start (`phase: startup`).
    pub startup: bool,
    /// The caller survives without it (`criticality: soft`).
    pub soft: bool,
    /// Where it came from, one entry per source.
    pub why: Vec<String>,
    /// Every source is a guess.
    pub guessed: bool,
}

impl DraftDep {
    /// A hard, request-phase dependency stated by the input.
    pub fn stated(to: usize, why: impl Into<String>) -> Self {
        DraftDep {
            to,
            startup: false,
            soft: false,
            why: vec![why.into()],
            guessed: false,
        }
    }

    /// A hard, request-phase dependency that the input only suggests.
    pub fn guessed(to: usize, why: impl Into<String>) -> Self {
        DraftDep {
            guessed: true,
            ..DraftDep::stated(to, why)
        }
    }
}

impl Draft {
    /// An empty draft.
    pub fn new(format: Format, file: &str, name: String) -> Self {
        Draft {
            format,
            file: file.to_owned(),
            name,
            header: Vec::new(),
            services: Vec::new(),
            cycles: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a dependency, merging it into an existing one to the same
    /// callee: what the input states beats a guess; between equals the
    /// stronger wins (request over startup, hard over soft); every source
    /// is kept. A dependency on itself is dropped with a note (whatif
    /// refuses them) and returns `false`.
    pub fn depend(&mut self, from: usize, dep: DraftDep, pos: Pos) -> bool {
        if from == dep.to {
            let message = format!(
                "`{}` depends on itself ({}); dropped",
                self.services[from].name,
                dep.why.join("; ")
            );
            self.note(NoteKind::Ignored, message, Some(pos));
            return false;
        }
        let deps = &mut self.services[from].deps;
        match deps.iter_mut().find(|d| d.to == dep.to) {
            Some(d) => {
                if d.guessed == dep.guessed {
                    d.startup &= dep.startup;
                    d.soft &= dep.soft;
                } else if d.guessed {
                    d.startup = dep.startup;
                    d.soft = dep.soft;
                    d.guessed = false;
                }
                for why in dep.why {
                    if !d.why.contains(&why) {
                        d.why.push(why);
                    }
                }
            }
            None => deps.push(dep),
        }
        true
    }

    /// For each service, whether any other service depends on it.
    pub fn has_callers(&self) -> Vec<bool> {
        let mut called = vec![false; self.services.len()];
        for dep in self.services.iter().flat_map(|s| &s.deps) {
            called[dep.to] = true;
        }
        called
    }

    /// Adds a note.
    pub fn note(&mut self, kind: NoteKind, message: impl Into<String>, pos: Option<Pos>) {
        self.notes.push(Note {
            kind,
            message: message.into(),
            pos,
        });
    }
}

/// The last path segment of a file name without its extension (the
/// model's name when the input gives none).
pub fn file_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "imported".into())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn code_of(text: &str) -> &'static str {
        match import_str(text, "in.yaml") {
            Err(Error::Invalid { findings, .. }) => findings[0].code,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_input_is_refused_with_a_hint() {
        assert_eq!(
            code_of("apiVersion: apps/v1\nkind: Deployment\n"),
            codes::UNRECOGNISED
        );
        assert_eq!(code_of("just: text\n"), codes::UNRECOGNISED);
        assert_eq!(code_of("- a\n- b\n"), codes::UNRECOGNISED);
        assert_eq!(code_of(""), load::codes::EMPTY);
        assert_eq!(code_of("services: [\n"), load::codes::SYNTAX);
        let Err(Error::Invalid { findings, .. }) = import_str(
            "services:\n  web: { kind: frontend, entry: { rps: 5 } }\n",
            "m.yaml",
        ) else {
            panic!("a whatif model is not importable")
        };
        assert!(
            findings[0].message.contains("already a whatif model"),
            "{findings:?}"
        );
    }

    #[test]
    fn merging_keeps_the_strongest_dependency() {
        let at = Pos::new(1, 1);
        let mut draft = Draft::new(Format::Compose, "f", "m".into());
        draft.services = vec![DraftService::default(), DraftService::default()];
        let soft = |why| DraftDep {
            soft: true,
            ..DraftDep::stated(1, why)
        };
        // A guess does not override what the input states …
        assert!(draft.depend(0, soft("from depends_on"), at));
        assert!(draft.depend(0, DraftDep::guessed(1, "guessed from environment A"), at));
        let dep = &draft.services[0].deps[0];
        assert!(!dep.guessed && dep.soft);
        assert_eq!(dep.why, ["from depends_on", "guessed from environment A"]);
        // … and a stated dependency replaces a guess's policies.
        draft.services[0].deps.clear();
        assert!(draft.depend(0, DraftDep::guessed(1, "guessed"), at));
        assert!(draft.depend(
            0,
            DraftDep {
                startup: true,
                ..DraftDep::stated(1, "startup")
            },
            at
        ));
        assert!(draft.services[0].deps[0].startup && !draft.services[0].deps[0].guessed);
        // Between equals, the stronger wins.
        assert!(draft.depend(0, DraftDep::stated(1, "request"), at));
        assert!(!draft.services[0].deps[0].startup);
        assert!(!draft.depend(1, DraftDep::stated(1, "self"), at));
        assert_eq!(draft.notes.len(), 1, "a self-dependency is noted");
        assert_eq!(draft.has_callers(), [false, true]);
    }

    /// Service names for generated compose files; the last two are never
    /// defined, only referred to.
    const NAMES: [&str; 12] = [
        "web",
        "api",
        "db",
        "no",
        "a: b",
        "- x",
        "quote\"d",
        "404",
        "redis",
        "x#y",
        "ghost",
        "gone: too",
    ];

    /// A generated compose service: its name, `depends_on` (in map form
    /// when the flag is set), `links` and environment URLs, as indices
    /// into [`NAMES`].
    type GeneratedService = (usize, Vec<usize>, bool, Vec<usize>, Vec<usize>);

    /// A compose file over [`NAMES`] (services take the first ten): each
    /// service's relations and environment pick from the whole pool, so
    /// cycles, self-references and references to undefined services occur.
    fn compose_text(services: &[GeneratedService]) -> String {
        let q = |i: &usize| yaml::quote(NAMES[*i]).into_owned();
        let mut text = String::from("services:\n");
        let mut seen = std::collections::BTreeSet::new();
        for (name, deps, map_form, links, env) in services {
            if !seen.insert(name) {
                continue;
            }
            text.push_str(&format!(
                "  {}:\n    image: postgres\n    ports: [\"80\"]\n",
                q(name)
            ));
            if *map_form {
                text.push_str("    depends_on:\n");
                for d in deps.iter().collect::<std::collections::BTreeSet<_>>() {
                    text.push_str(&format!(
                        "      {}: {{ condition: service_healthy }}\n",
                        q(d)
                    ));
                }
            } else {
                let list: Vec<String> = deps.iter().map(q).collect();
                text.push_str(&format!("    depends_on: [{}]\n", list.join(", ")));
            }
            let links: Vec<String> = links.iter().map(q).collect();
            text.push_str(&format!("    links: [{}]\n", links.join(", ")));
            text.push_str("    environment:\n");
            for (k, e) in env.iter().enumerate() {
                let url = format!("http://{}:80", NAMES[*e]);
                text.push_str(&format!("      V{k}: {}\n", yaml::quote(&url)));
            }
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn every_compose_import_checks_and_keeps_every_service(
            services in prop::collection::vec(
                (0..10usize, prop::collection::vec(0..12usize, 0..4), any::<bool>(),
                 prop::collection::vec(0..12usize, 0..2), prop::collection::vec(0..10usize, 0..3)),
                1..8,
            )
        ) {
            let text = compose_text(&services);
            let imported = import_str(&text, "compose.yml").expect("imports");
            let loaded = crate::model::load_str(&imported.yaml, "out.yaml").expect("checks");
            let names: Vec<&str> = loaded.model.services().iter().map(|s| s.name.as_str()).collect();
            let doc: At<Node> = load::parse_yaml(&text).expect("yaml");
            for (key, _) in doc.value.get("services").and_then(|s| s.value.as_map()).unwrap_or(&[]) {
                prop_assert!(names.contains(&key.value.as_str()), "{} missing", key.value);
            }
            prop_assert_eq!(import_str(&text, "compose.yml").expect("imports").yaml, imported.yaml);
        }

        #[test]
        fn every_catalog_import_checks(
            entities in prop::collection::vec(
                (0..3usize, 0..6usize, prop::collection::vec((0..4usize, 0..8usize), 0..4)),
                1..10,
            )
        ) {
            const KINDS: [&str; 3] = ["Component", "Resource", "API"];
            const FIELDS: [&str; 4] = ["dependsOn", "dependencyOf", "consumesApis", "providesApis"];
            let mut text = String::new();
            let mut seen = std::collections::BTreeSet::new();
            for (kind, name, relations) in &entities {
                if !seen.insert((kind, name)) {
                    continue;
                }
                text.push_str(&format!(
                    "---\napiVersion: backstage.io/v1alpha1\nkind: {}\nmetadata: {{ name: n{name} }}\nspec:\n  type: service\n",
                    KINDS[*kind]
                ));
                for (field, target) in relations {
                    let target = match target % 4 {
                        0 => format!("n{target}"),
                        1 => format!("component:n{target}"),
                        2 => format!("resource:default/n{target}"),
                        _ => format!("api:n{target}"),
                    };
                    text.push_str(&format!("  {}: [\"{target}\"]\n", FIELDS[*field]));
                }
            }
            match import_str(&text, "catalog.yaml") {
                Ok(imported) => {
                    crate::model::load_str(&imported.yaml, "out.yaml").expect("checks");
                }
                Err(Error::Invalid { findings, .. }) => {
                    // Duplicate keys in one spec map, or a catalog of APIs only.
                    prop_assert!(
                        findings.iter().all(|f| f.code == codes::NOTHING_TO_IMPORT || f.code == load::codes::DUPLICATE_KEY),
                        "{findings:?}"
                    );
                }
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
