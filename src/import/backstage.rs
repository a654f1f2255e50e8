//! Backstage catalogs (multi-document YAML) → a [`Draft`].
//!
//! What is read, and how:
//!
//! - every `Component` and `Resource` entity becomes a service, in document
//!   order, named by `metadata.name` — or by its full reference
//!   (`resource:default/orders`) when two of them share a name;
//! - `spec.dependsOn` of X on Y, and `spec.dependencyOf` of Y naming X, make
//!   X depend on Y (hard, request phase). References take the forms
//!   `kind:namespace/name`, `kind:name` and `name`; the namespace defaults
//!   to the referring entity's, and a bare name is looked up as a
//!   component, then a resource, then an API;
//! - `API` entities connect their providers to their consumers: a component
//!   with `consumesApis: [X]` depends on every component with
//!   `providesApis: [X]`. An API nobody in the catalog provides (a
//!   third-party API, or one catalogued elsewhere) becomes a placeholder
//!   service named after it;
//! - a reference to a component or resource the catalog does not hold
//!   becomes a placeholder service too, so the model still checks;
//! - `kind`: components of `type: website` are `frontend`; resources are
//!   `database`, `cache`, `queue` or `gateway` by their `type` (`database`,
//!   `s3-bucket`, `kafka-topic`, `redis` …); other types are left to the user;
//! - entry points: `website` components; when there are none, components
//!   nobody depends on (a guess);
//! - `System` entities and `spec.system` group services in comments (the
//!   header and each service's first line); `Group`, `User`, `Domain`,
//!   `Location` and `Template` entities are skipped with a note.

use std::collections::HashMap;

use super::tree::Node;
use super::{Draft, DraftDep, DraftService, Format, NoteKind, file_stem};
use crate::finding::{Finding, Pos};
use crate::model::load::codes::{DUPLICATE_KEY, WRONG_SHAPE};
use crate::model::raw::At;
use crate::model::validate::codes::EMPTY_NAME;

/// Whether a document is a Backstage entity (`apiVersion: backstage.io/…`
/// and a `kind`).
pub fn is_entity(doc: &Node) -> bool {
    doc.get("apiVersion")
        .and_then(|v| v.value.as_str())
        .is_some_and(|v| v.starts_with("backstage.io/"))
        && doc.get("kind").and_then(|k| k.value.as_str()).is_some()
}

/// An entity reference, lower-cased for matching (Backstage compares
/// references case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    kind: String,
    namespace: String,
    name: String,
}

impl Key {
    fn new(kind: &str, namespace: &str, name: &str) -> Key {
        Key {
            kind: kind.to_lowercase(),
            namespace: namespace.to_lowercase(),
            name: name.to_lowercase(),
        }
    }
}

/// A parsed reference: kind when given, namespace defaulted.
struct Ref {
    kind: Option<String>,
    namespace: String,
    name: String,
}

/// Parses `[kind:][namespace/]name`.
fn parse_ref(text: &str, default_namespace: &str) -> Ref {
    let (kind, rest) = match text.split_once(':') {
        Some((k, rest)) if !k.is_empty() && !k.contains('/') => (Some(k.to_owned()), rest),
        _ => (None, text),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) if !ns.is_empty() => (ns.to_owned(), name.to_owned()),
        _ => (default_namespace.to_owned(), rest.to_owned()),
    };
    Ref {
        kind,
        namespace,
        name,
    }
}

/// One entity as read.
struct Entity<'a> {
    kind: String,
    namespace: String,
    name: String,
    pos: Pos,
    spec: Option<&'a Node>,
}

impl Entity<'_> {
    fn key(&self) -> Key {
        Key::new(&self.kind, &self.namespace, &self.name)
    }

    fn is_service(&self) -> bool {
        matches!(self.kind.to_lowercase().as_str(), "component" | "resource")
    }

    fn spec_text(&self, field: &str) -> Option<String> {
        self.spec
            .and_then(|s| s.get(field))
            .and_then(|v| v.value.scalar_text())
    }

    /// A `spec` field that holds a list of references.
    fn refs(&self, field: &str) -> Result<Vec<(String, Pos)>, Finding> {
        let Some(node) = self.spec.and_then(|s| s.get(field)) else {
            return Ok(Vec::new());
        };
        let hint = format!("write `{field}: [component:name, resource:name]`");
        match &node.value {
            Node::Null => Ok(Vec::new()),
            Node::Seq(items) => items
                .iter()
                .map(|item| match item.value.scalar_text() {
                    Some(text) if !text.is_empty() => Ok((text, item.pos)),
                    _ => Err(Finding::error(
                        WRONG_SHAPE,
                        format!(
                            "`{field}` item is {}, expected an entity reference",
                            item.value.shape()
                        ),
                        Some(item.pos),
                    )
                    .with_hint(hint.clone())),
                })
                .collect(),
            other => Err(Finding::error(
                WRONG_SHAPE,
                format!(
                    "`{field}` of `{}` is {}, expected a list of entity references",
                    self.name,
                    other.shape()
                ),
                Some(node.pos),
            )
            .with_hint(hint)),
        }
    }
}

/// Reads an entity's kind, namespace and name.
fn read_entity(doc: &At<Node>) -> Result<Entity<'_>, Finding> {
    let kind = doc
        .value
        .get("kind")
        .and_then(|k| k.value.as_str())
        .unwrap_or_default()
        .to_owned();
    let metadata = doc.value.get("metadata");
    let name = metadata.and_then(|m| m.value.get("name"));
    let Some(name) = name else {
        return Err(Finding::error(
            WRONG_SHAPE,
            format!("{kind} entity has no `metadata.name`"),
            Some(metadata.map_or(doc.pos, |m| m.pos)),
        )
        .with_hint("every entity needs `metadata: { name: … }`"));
    };
    let text = name.value.scalar_text().ok_or_else(|| {
        Finding::error(
            WRONG_SHAPE,
            format!("`metadata.name` is {}, expected a name", name.value.shape()),
            Some(name.pos),
        )
    })?;
    if text.is_empty() {
        return Err(
            Finding::error(EMPTY_NAME, "entity name is empty", Some(name.pos))
                .with_hint("give the entity a name"),
        );
    }
    let namespace = metadata
        .and_then(|m| m.value.get("namespace"))
        .and_then(|n| n.value.scalar_text())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into());
    Ok(Entity {
        kind,
        namespace,
        name: text,
        pos: name.pos,
        spec: doc.value.get("spec").map(|s| &s.value),
    })
}

/// A kind from a resource's `type`, with the comment saying why.
fn resource_kind(spec_type: &str) -> Option<(&'static str, String)> {
    const KINDS: [(&str, &[&str]); 4] = [
        (
            "database",
            &[
                "database",
                "db",
                "postgres",
                "postgresql",
                "mysql",
                "mariadb",
                "rds",
                "aurora",
                "mongo",
                "mongodb",
                "dynamodb",
                "cassandra",
                "bigtable",
                "spanner",
                "firestore",
                "elasticsearch",
                "opensearch",
                "s3",
                "bucket",
                "storage",
                "gcs",
                "blob",
                "datastore",
                "table",
            ],
        ),
        (
            "cache",
            &["cache", "redis", "memcached", "elasticache", "valkey"],
        ),
        (
            "queue",
            &[
                "queue",
                "topic",
                "kafka",
                "sqs",
                "sns",
                "pubsub",
                "stream",
                "kinesis",
                "rabbitmq",
                "nats",
                "eventhub",
                "servicebus",
            ],
        ),
        (
            "gateway",
            &["cdn", "gateway", "load", "balancer", "lb", "ingress"],
        ),
    ];
    let lower = spec_type.to_lowercase();
    if let Some((kind, _)) = KINDS.iter().find(|(k, _)| *k == lower) {
        return Some((kind, format!("from type {spec_type}")));
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    KINDS
        .iter()
        .find(|(_, list)| words.iter().any(|w| list.contains(w)))
        .map(|(kind, _)| (*kind, format!("guessed from type {spec_type}")))
}

/// What a reference points at.
enum Target {
    /// A service already in the draft.
    Service(usize),
    /// An API (by key), in the catalog or not.
    Api(Key),
    /// A component or resource the catalog does not hold (kind if given).
    Missing(Key),
    /// An entity of a kind that is not a service (system, group …).
    Other(String),
}

/// The conversion's working state.
struct Catalog<'a> {
    draft: Draft,
    /// Entities in the catalog, by key.
    entities: HashMap<Key, usize>,
    all: Vec<Entity<'a>>,
    /// For each service in the draft, its key (for naming).
    keys: Vec<Key>,
    /// Service index by key.
    services: HashMap<Key, usize>,
    /// Providers of each API.
    providers: HashMap<Key, Vec<usize>>,
}

impl Catalog<'_> {
    fn resolve(&self, text: &str, namespace: &str, default_kind: Option<&str>) -> Target {
        let r = parse_ref(text, namespace);
        let kinds: Vec<String> = match r.kind.as_deref().or(default_kind) {
            Some(k) => vec![k.to_lowercase()],
            None => vec!["component".into(), "resource".into(), "api".into()],
        };
        for kind in &kinds {
            let key = Key::new(kind, &r.namespace, &r.name);
            if let Some(&i) = self.services.get(&key) {
                return Target::Service(i);
            }
            if let Some(&e) = self.entities.get(&key) {
                return match kind.as_str() {
                    "api" => Target::Api(key),
                    _ => Target::Other(self.all[e].kind.clone()),
                };
            }
        }
        match kinds.as_slice() {
            [k] if k == "api" => Target::Api(Key::new("api", &r.namespace, &r.name)),
            [k] if k == "component" || k == "resource" => {
                Target::Missing(Key::new(k, &r.namespace, &r.name))
            }
            [k] => Target::Other(k.clone()),
            _ => Target::Missing(Key::new("", &r.namespace, &r.name)),
        }
    }

    /// The service for a key, adding a placeholder the first time; `what`
    /// says why it is missing, `todo` what to do about it.
    fn placeholder(
        &mut self,
        key: Key,
        display: &str,
        what: String,
        todo: String,
        pos: Pos,
    ) -> usize {
        if let Some(&i) = self.services.get(&key) {
            return i;
        }
        self.draft.services.push(DraftService {
            name: display.to_owned(),
            origin: format!("placeholder: {what}"),
            todo: vec![todo.clone()],
            placeholder: true,
            ..DraftService::default()
        });
        self.draft.note(
            NoteKind::Placeholder,
            format!("{what}; added a placeholder service ({todo})"),
            Some(pos),
        );
        let i = self.draft.services.len() - 1;
        self.keys.push(key.clone());
        self.services.insert(key, i);
        i
    }

    /// The services a reference from `from` stands for (several for an API
    /// with several providers), adding placeholders where needed.
    fn targets(
        &mut self,
        from: usize,
        text: &str,
        namespace: &str,
        default_kind: Option<&str>,
        field: &str,
        pos: Pos,
    ) -> Vec<usize> {
        let caller = self.draft.services[from].name.clone();
        match self.resolve(text, namespace, default_kind) {
            Target::Service(i) => vec![i],
            Target::Missing(key) => {
                let name = parse_ref(text, namespace).name;
                let what = if key.kind.is_empty() {
                    format!("`{name}` is not in this catalog")
                } else {
                    format!("{} `{name}` is not in this catalog", key.kind)
                };
                let todo = format!(
                    "`{caller}` names it in {field}; describe it here or remove the reference"
                );
                vec![self.placeholder(key, &name, what, todo, pos)]
            }
            Target::Api(key) => match self.providers.get(&key) {
                Some(providers) if !providers.is_empty() => {
                    let providers = providers.clone();
                    if providers.len() > 1 {
                        let names: Vec<String> = providers
                            .iter()
                            .map(|&p| format!("`{}`", self.draft.services[p].name))
                            .collect();
                        self.draft.note(
                            NoteKind::Guess,
                            format!(
                                "API `{}` has {} providers ({}); `{caller}` depends on each — if they are alternatives, make one a `fallback: {{ to }}`",
                                key.name,
                                providers.len(),
                                names.join(", ")
                            ),
                            Some(pos),
                        );
                    }
                    providers
                }
                _ => {
                    let name = parse_ref(text, namespace).name;
                    let what = if self.entities.contains_key(&key) {
                        format!("no component in this catalog provides API `{name}`")
                    } else {
                        format!("API `{name}` is not in this catalog")
                    };
                    let todo = "it stands for whoever serves the API; if that is a third party, set `kind: external`".to_owned();
                    vec![self.placeholder(key, &name, what, todo, pos)]
                }
            },
            Target::Other(kind) => {
                self.draft.note(
                    NoteKind::Ignored,
                    format!("`{caller}` names {kind} `{text}` in {field}; only components, resources and APIs become dependencies"),
                    Some(pos),
                );
                Vec::new()
            }
        }
    }
}

/// Converts the documents of a catalog (at least one of which is an entity).
pub fn convert(documents: &[At<Node>], file: &str) -> Result<Draft, Finding> {
    let mut all = Vec::new();
    let mut entities = HashMap::new();
    let mut ignored_docs = 0;
    for doc in documents {
        if !is_entity(&doc.value) {
            ignored_docs += 1;
            continue;
        }
        let entity = read_entity(doc)?;
        let key = entity.key();
        if let Some(&first) = entities.get(&key) {
            let first: &Entity = &all[first];
            return Err(Finding::error(
                DUPLICATE_KEY,
                format!(
                    "entity `{}:{}/{}` is defined twice (first at line {})",
                    entity.kind.to_lowercase(),
                    entity.namespace,
                    entity.name,
                    first.pos.line
                ),
                Some(entity.pos),
            )
            .with_hint("each entity reference may appear once in a catalog; merge or rename one"));
        }
        entities.insert(key, all.len());
        all.push(entity);
    }
    let systems: Vec<&Entity> = all
        .iter()
        .filter(|e| e.kind.eq_ignore_ascii_case("system"))
        .collect();
    let name = match systems.as_slice() {
        [only] => only.name.clone(),
        _ => file_stem(file),
    };
    let mut catalog = Catalog {
        draft: Draft::new(Format::Backstage, file, name),
        entities,
        all,
        keys: Vec::new(),
        services: HashMap::new(),
        providers: HashMap::new(),
    };
    catalog.draft.header = vec![
        "Components and resources are services; `dependsOn` and `dependencyOf`".into(),
        "are hard dependencies; a consumer of an API depends on each component".into(),
        "that provides it.".into(),
    ];
    if ignored_docs > 0 {
        catalog.draft.note(
            NoteKind::Ignored,
            format!("skipped {ignored_docs} document(s) that are not Backstage entities"),
            None,
        );
    }

    // Services first, so references can point forward.
    let mut entity_of_service = Vec::new();
    for (e, entity) in catalog.all.iter().enumerate() {
        if !entity.is_service() {
            continue;
        }
        let spec_type = entity.spec_text("type");
        let is_component = entity.kind.eq_ignore_ascii_case("component");
        let kind = match spec_type.as_deref() {
            Some(t) if is_component && t.eq_ignore_ascii_case("website") => {
                Some(("frontend", format!("from type {t}")))
            }
            Some(t) if !is_component => resource_kind(t),
            _ => None,
        };
        let mut todo = Vec::new();
        match spec_type.as_deref() {
            Some(t) if kind.is_none() && !is_component => {
                todo.push(format!("set `kind` for resource type `{t}`"));
            }
            Some(t @ ("library" | "documentation")) => todo.push(format!(
                "type {t} does not run on its own: delete this service unless it does"
            )),
            _ => {}
        }
        let mut origin = format!(
            "Backstage {}, line {}",
            entity.kind.to_lowercase(),
            entity.pos.line
        );
        for field in ["type", "owner", "system"] {
            if let Some(v) = entity.spec_text(field) {
                origin.push_str(&format!(", {field} {v}"));
            }
        }
        // Libraries, documentation and tools do not serve users.
        let aside = spec_type
            .as_deref()
            .filter(|t| is_component && matches!(*t, "library" | "documentation" | "tool"))
            .map(|t| format!("a {t}"));
        catalog.draft.services.push(DraftService {
            name: entity.name.clone(),
            origin,
            kind,
            todo,
            aside,
            ..DraftService::default()
        });
        let i = catalog.draft.services.len() - 1;
        catalog.keys.push(entity.key());
        catalog.services.insert(entity.key(), i);
        entity_of_service.push(e);
    }
    if catalog.draft.services.is_empty() {
        return Err(Finding::error(
            super::codes::NOTHING_TO_IMPORT,
            "the catalog has no Component or Resource entity",
            documents.first().map(|d| d.pos),
        )
        .with_hint("whatif models components and resources; APIs, systems, groups and users alone make no services"));
    }
    for (i, &e) in entity_of_service.iter().enumerate() {
        let entity = &catalog.all[e];
        for (text, _) in entity.refs("providesApis")? {
            let r = parse_ref(&text, &entity.namespace);
            let key = Key::new(r.kind.as_deref().unwrap_or("api"), &r.namespace, &r.name);
            catalog.providers.entry(key).or_default().push(i);
        }
    }

    // Relations, in document order: dependsOn, consumesApis, dependencyOf.
    for (i, &e) in entity_of_service.iter().enumerate() {
        let entity = &catalog.all[e];
        let ns = entity.namespace.clone();
        let name = entity.name.clone();
        let depends_on = entity.refs("dependsOn")?;
        let consumes = entity.refs("consumesApis")?;
        let dependency_of = entity.refs("dependencyOf")?;
        for (text, pos) in depends_on {
            for to in catalog.targets(i, &text, &ns, None, "dependsOn", pos) {
                catalog
                    .draft
                    .depend(i, DraftDep::stated(to, "from dependsOn"), pos);
            }
        }
        for (text, pos) in consumes {
            let why = format!("from consumesApis {text}");
            for to in catalog.targets(i, &text, &ns, Some("api"), "consumesApis", pos) {
                catalog
                    .draft
                    .depend(i, DraftDep::stated(to, why.clone()), pos);
            }
        }
        for (text, pos) in dependency_of {
            let why = format!("from dependencyOf on {name}");
            for from in catalog.targets(i, &text, &ns, None, "dependencyOf", pos) {
                catalog
                    .draft
                    .depend(from, DraftDep::stated(i, why.clone()), pos);
            }
        }
    }
    name_services(&mut catalog);
    describe_systems(&mut catalog);
    skipped_kinds(&mut catalog);
    guess_entries(&mut catalog, &entity_of_service);
    Ok(catalog.draft)
}

/// Plain names where they are unique (case-insensitively), full references
/// where two services share one.
fn name_services(catalog: &mut Catalog) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for s in &catalog.draft.services {
        *count.entry(s.name.to_lowercase()).or_default() += 1;
    }
    for (service, key) in catalog.draft.services.iter_mut().zip(&catalog.keys) {
        if count[&service.name.to_lowercase()] > 1 {
            service.name = if key.kind.is_empty() {
                format!("{}/{}", key.namespace, service.name)
            } else {
                format!("{}:{}/{}", key.kind, key.namespace, service.name)
            };
        }
    }
}

/// Header lines grouping services by `spec.system`.
fn describe_systems(catalog: &mut Catalog) {
    let mut systems: Vec<(String, Vec<String>)> = catalog
        .all
        .iter()
        .filter(|e| e.kind.eq_ignore_ascii_case("system"))
        .map(|e| (e.name.clone(), Vec::new()))
        .collect();
    // Services were added first, one per service entity, in entity order.
    for (s, entity) in catalog.all.iter().filter(|e| e.is_service()).enumerate() {
        let name = catalog.draft.services[s].name.clone();
        let Some(system) = entity.spec_text("system") else {
            continue;
        };
        let system = parse_ref(&system, &entity.namespace).name;
        match systems
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&system))
        {
            Some((_, members)) => members.push(name),
            None => systems.push((system, vec![name])),
        }
    }
    if systems.is_empty() {
        return;
    }
    catalog.draft.header.push("Systems:".into());
    for (system, members) in systems {
        if members.is_empty() {
            catalog
                .draft
                .header
                .push(format!("  {system}: (no services)"));
            continue;
        }
        // One line per system, wrapped near 76 columns.
        let mut line = format!("  {system}:");
        for (k, member) in members.iter().enumerate() {
            let piece = if k + 1 < members.len() {
                format!(" {member},")
            } else {
                format!(" {member}")
            };
            if line.len() + piece.len() > 76 && line.len() > 4 {
                catalog.draft.header.push(line);
                line = "   ".to_owned();
            }
            line.push_str(&piece);
        }
        catalog.draft.header.push(line);
    }
}

/// One note for the entities that are neither services nor APIs.
fn skipped_kinds(catalog: &mut Catalog) {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for entity in &catalog.all {
        let kind = entity.kind.to_lowercase();
        if matches!(kind.as_str(), "component" | "resource" | "api" | "system") {
            continue;
        }
        match kinds.iter_mut().find(|(k, _)| *k == entity.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((entity.kind.clone(), 1)),
        }
    }
    if !kinds.is_empty() {
        let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        catalog.draft.note(
            NoteKind::Ignored,
            format!(
                "skipped entities that are not services: {}",
                list.join(", ")
            ),
            None,
        );
    }
}

fn guess_entries(catalog: &mut Catalog, entity_of_service: &[usize]) {
    let websites: Vec<usize> = catalog
        .draft
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, Some(("frontend", _))))
        .map(|(i, _)| i)
        .collect();
    if !websites.is_empty() {
        for i in websites {
            catalog.draft.services[i].entry = Some("a website component".into());
        }
        return;
    }
    let called = catalog.draft.has_callers();
    let roots: Vec<usize> = entity_of_service
        .iter()
        .enumerate()
        .filter(|&(i, &e)| {
            let entity = &catalog.all[e];
            entity.kind.eq_ignore_ascii_case("component")
                && !called[i]
                && catalog.draft.services[i].aside.is_none()
        })
        .map(|(i, _)| i)
        .collect();
    if roots.is_empty() {
        catalog.draft.note(
            NoteKind::Guess,
            "found no entry point (no website component, and every component is depended on); add `entry: { rps }` to the services users call",
            None,
        );
    }
    for i in roots {
        let name = catalog.draft.services[i].name.clone();
        let pos = catalog.all[entity_of_service[i]].pos;
        catalog.draft.services[i].entry =
            Some("guessed entry point: no website component, nobody depends on it".into());
        catalog.draft.note(
            NoteKind::Guess,
            format!("guessed `{name}` is an entry point (no website component; nobody depends on it); its traffic is a placeholder"),
            Some(pos),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_in_every_form() {
        let r = parse_ref("component:payments/ledger", "default");
        assert_eq!(
            (r.kind.as_deref(), r.namespace.as_str(), r.name.as_str()),
            (Some("component"), "payments", "ledger")
        );
        let r = parse_ref("resource:db", "shop");
        assert_eq!(
            (r.kind.as_deref(), r.namespace.as_str(), r.name.as_str()),
            (Some("resource"), "shop", "db")
        );
        let r = parse_ref("cart", "default");
        assert_eq!(
            (r.kind, r.namespace.as_str(), r.name.as_str()),
            (None, "default", "cart")
        );
    }

    #[test]
    fn resource_types_map_to_kinds() {
        assert_eq!(resource_kind("database").map(|k| k.0), Some("database"));
        assert_eq!(resource_kind("s3-bucket").map(|k| k.0), Some("database"));
        assert_eq!(resource_kind("kafka-topic").map(|k| k.0), Some("queue"));
        assert_eq!(resource_kind("Redis").map(|k| k.0), Some("cache"));
        assert!(resource_kind("database").is_some_and(|k| k.1 == "from type database"));
        assert!(resource_kind("s3-bucket").is_some_and(|k| k.1.starts_with("guessed")));
        assert_eq!(resource_kind("vault-secret"), None);
    }
}
