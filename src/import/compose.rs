//! docker-compose files → a [`Draft`].
//!
//! What is read, and how:
//!
//! - every entry of `services:` becomes a service of the same name, in file
//!   order;
//! - `depends_on` (list or map form) and `links` (`name` or `name:alias`)
//!   are dependencies the file states. Compose's `depends_on` orders
//!   start-up, but a service that waits for another nearly always calls it,
//!   so it is read as a hard runtime dependency; except `condition:
//!   service_completed_successfully`, a one-shot job (a migration) that
//!   must finish before the service starts: `phase: startup`. `required:
//!   false` (the service starts without it) becomes `criticality: soft`;
//! - host names in `environment` values (`postgres://db:5432/x`,
//!   `http://cart:8080`, `kafka:9092`, `REDIS_HOST=redis`, `${DB_HOST:-db}`)
//!   that name another service — by service name, `container_name`,
//!   `hostname`, network alias or link alias — are *guessed* dependencies,
//!   each commented with the variable it came from. `env_file` is not read
//!   (a note says so);
//! - `kind` is guessed from the image first (what the service runs), else
//!   from the service name: postgres, mysql, mongo … → database; redis,
//!   memcached … → cache; rabbitmq, kafka, nats … → queue; nginx, traefik,
//!   envoy … → gateway. Generic words (`db`, `cache`, `queue` …) count only
//!   as the head word, the last (`orders-db` is a database, `queue-master`
//!   is not a queue). Images of admin tools, exporters and workers
//!   (`mongo-express`, `kafka-ui`, `redis-exporter`, `cache-warmer`) are
//!   not guessed;
//! - entry points are guessed: services that publish `ports`, that no
//!   long-running service depends on, and that are not a database, cache or
//!   queue, an operations tool (grafana, jaeger, an admin UI …), a load
//!   generator (locust, k6 …) or a one-shot job (`restart: "no"`, a
//!   `profiles` switch, or the target of a `service_completed_successfully`
//!   condition). One-shot jobs and load generators are not counted as
//!   callers. When no service qualifies, every long-running service nobody
//!   depends on, published or not. Every guess, either way, is noted;
//! - `deploy.replicas` (or the older `scale`) gives `replicas`;
//! - a reference to a service the file does not define becomes a
//!   placeholder service, so the model still checks;
//! - `env_file`, `extends`, `external_links` and top-level `include` are
//!   not followed (each gets a note): only this file is read.

use std::collections::HashMap;

use super::tree::Node;
use super::{Draft, DraftDep, DraftService, Format, NoteKind, file_stem};
use crate::finding::{Finding, Pos};
use crate::model::load::codes::WRONG_SHAPE;
use crate::model::raw::At;
use crate::model::validate::codes::EMPTY_NAME;

/// Whether a document is a compose file: a top-level `services:` map.
pub fn is_compose(doc: &Node) -> bool {
    doc.get("services")
        .is_some_and(|s| matches!(s.value, Node::Map(_) | Node::Null))
        && !looks_like_whatif_model(doc)
}

/// Whether a document with top-level `services:` is a whatif model rather
/// than a compose file: it has whatif's top-level keys, or no service has
/// compose's `image`/`build`/`extends` while some has a whatif-only key.
pub fn looks_like_whatif_model(doc: &Node) -> bool {
    if doc.get("zones").is_some() || doc.get("defaults").is_some() {
        return doc.get("services").is_some();
    }
    let Some(services) = doc.get("services").and_then(|s| s.value.as_map()) else {
        return false;
    };
    const COMPOSE: [&str; 3] = ["image", "build", "extends"];
    const WHATIF: [&str; 11] = [
        "kind",
        "entry",
        "replicas",
        "quorum",
        "capacity",
        "concurrency",
        "queue",
        "latency",
        "availability",
        "operations",
        "autoscale",
    ];
    let has = |keys: &[&str]| {
        services
            .iter()
            .any(|(_, s)| keys.iter().any(|k| s.value.get(k).is_some()))
    };
    !has(&COMPOSE) && has(&WHATIF)
}

/// A wrong-shape finding at `at`.
fn shape(at: Pos, message: String, hint: &str) -> Finding {
    Finding::error(WRONG_SHAPE, message, Some(at)).with_hint(hint)
}

/// Converts a compose document (one for which [`is_compose`] holds).
pub fn convert(doc: &At<Node>, file: &str) -> Result<Draft, Finding> {
    let name = doc
        .value
        .get("name")
        .and_then(|n| n.value.scalar_text())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| file_stem(file));
    let mut draft = Draft::new(Format::Compose, file, name);
    draft.header = vec![
        "Compose `depends_on` and `links` are read as hard runtime dependencies;".into(),
        "`condition: service_completed_successfully` as `phase: startup`. Host".into(),
        "names found in `environment` are guessed dependencies.".into(),
    ];
    let Some(services_node) = doc.value.get("services") else {
        return Err(Finding::error(
            super::codes::UNRECOGNISED,
            "not a docker-compose file: it has no top-level `services:`",
            Some(doc.pos),
        ));
    };
    let entries: &[(At<String>, At<Node>)] = services_node.value.as_map().unwrap_or(&[]);
    if entries.is_empty() {
        return Err(Finding::error(
            super::codes::NOTHING_TO_IMPORT,
            "the compose file defines no services",
            Some(services_node.pos),
        )
        .with_hint("add services under `services:` first"));
    }
    if let Some(include) = doc.value.get("include") {
        draft.note(
            NoteKind::Ignored,
            "top-level `include` is not followed: only this file is read",
            Some(include.pos),
        );
    }

    // Services and the host names they answer to.
    let mut hosts: HashMap<String, usize> = HashMap::new();
    for (i, (key, body)) in entries.iter().enumerate() {
        if key.value.is_empty() {
            return Err(
                Finding::error(EMPTY_NAME, "service name is empty", Some(key.pos))
                    .with_hint("give the service a name"),
            );
        }
        if !matches!(body.value, Node::Map(_) | Node::Null) {
            return Err(shape(
                body.pos,
                format!(
                    "service `{}` is {}, expected a map",
                    key.value,
                    body.value.shape()
                ),
                "write the service's settings as `key: value` lines under its name",
            ));
        }
        draft.services.push(DraftService {
            name: key.value.clone(),
            origin: origin(key.pos, &body.value),
            ..DraftService::default()
        });
        hosts.entry(key.value.to_lowercase()).or_insert(i);
    }
    for (i, (_, body)) in entries.iter().enumerate() {
        for alias in host_aliases(&body.value) {
            hosts.entry(alias.to_lowercase()).or_insert(i);
        }
    }
    // `links: ["db:database"]` lets the linking service reach `db` as `database`.
    for (_, body) in entries {
        for link in body
            .value
            .get("links")
            .and_then(|l| l.value.as_seq())
            .unwrap_or(&[])
        {
            if let Some((name, alias)) = link
                .value
                .scalar_text()
                .as_deref()
                .and_then(|l| l.split_once(':'))
                && let Some(i) = draft.services.iter().position(|s| s.name == name)
            {
                hosts.entry(alias.to_lowercase()).or_insert(i);
            }
        }
    }

    for (i, (key, body)) in entries.iter().enumerate() {
        let service = &body.value;
        read_kind_and_replicas(&mut draft, i, service);
        read_depends_on(&mut draft, i, service, entries)?;
        read_links(&mut draft, i, service, entries)?;
        read_environment(&mut draft, i, &key.value, service, &hosts)?;
        if let Some(env_file) = service.get("env_file") {
            draft.note(
                NoteKind::Ignored,
                format!(
                    "`{}` has an `env_file`; it was not read, so host names in it are not guessed",
                    key.value
                ),
                Some(env_file.pos),
            );
        }
        if let Some(extends) = service.get("extends") {
            draft.note(
                NoteKind::Ignored,
                format!(
                    "`{}` extends another service; only what this file states for it was read",
                    key.value
                ),
                Some(extends.pos),
            );
        }
        if let Some(external) = service.get("external_links") {
            draft.note(
                NoteKind::Ignored,
                format!(
                    "`{}`'s `external_links` name containers outside this file; add them as services if they matter",
                    key.value
                ),
                Some(external.pos),
            );
        }
    }
    guess_entries(&mut draft, entries);
    Ok(draft)
}

/// Where a service came from: its line and what it runs.
fn origin(pos: Pos, service: &Node) -> String {
    let image = service.get("image").and_then(|i| i.value.scalar_text());
    let build = service.get("build").and_then(|b| {
        b.value
            .scalar_text()
            .or_else(|| b.value.get("context").and_then(|c| c.value.scalar_text()))
    });
    let mut origin = match (image, build) {
        (Some(image), _) => format!("compose line {}, image {image}", pos.line),
        (None, Some(build)) => format!("compose line {}, built from {build}", pos.line),
        (None, None) => format!("compose line {}", pos.line),
    };
    if let Some(profiles) = profiles(service) {
        origin.push_str(&format!(", profiles {}", profiles.join(" ")));
    }
    origin
}

/// The `profiles` a service runs under (`None`: it always runs).
fn profiles(service: &Node) -> Option<Vec<String>> {
    let list = service.get("profiles")?.value.as_seq()?;
    let names: Vec<String> = list.iter().filter_map(|p| p.value.scalar_text()).collect();
    (!names.is_empty()).then_some(names)
}

/// Other names a service answers to on the compose network.
fn host_aliases(service: &Node) -> Vec<String> {
    let mut names = Vec::new();
    for key in ["container_name", "hostname"] {
        if let Some(n) = service.get(key).and_then(|v| v.value.scalar_text()) {
            names.push(n);
        }
    }
    if let Some(networks) = service.get("networks").and_then(|n| n.value.as_map()) {
        for (_, network) in networks {
            for alias in network
                .value
                .get("aliases")
                .and_then(|a| a.value.as_seq())
                .unwrap_or(&[])
            {
                names.extend(alias.value.scalar_text());
            }
        }
    }
    names
}

/// Index of the service called `name`, adding a placeholder when the file
/// does not define one.
fn service_index(
    draft: &mut Draft,
    entries: &[(At<String>, At<Node>)],
    name: &str,
    referrer: usize,
    pos: Pos,
) -> usize {
    if let Some(i) = draft.services.iter().position(|s| s.name == name) {
        return i;
    }
    let referrer_name = entries[referrer].0.value.clone();
    draft.services.push(DraftService {
        name: name.to_owned(),
        origin: format!("not defined in the compose file; `{referrer_name}` refers to it"),
        todo: vec!["describe this service or remove the references to it".into()],
        placeholder: true,
        ..DraftService::default()
    });
    draft.note(
        NoteKind::Placeholder,
        format!(
            "`{referrer_name}` refers to `{name}`, which the file does not define; added it as a placeholder service"
        ),
        Some(pos),
    );
    draft.services.len() - 1
}

fn read_depends_on(
    draft: &mut Draft,
    from: usize,
    service: &Node,
    entries: &[(At<String>, At<Node>)],
) -> Result<(), Finding> {
    let Some(node) = service.get("depends_on") else {
        return Ok(());
    };
    let hint = "write `depends_on: [db, cache]` or a map of service names to conditions";
    match &node.value {
        Node::Seq(items) => {
            for item in items {
                let name = item.value.scalar_text().ok_or_else(|| {
                    shape(
                        item.pos,
                        format!(
                            "`depends_on` item is {}, expected a service name",
                            item.value.shape()
                        ),
                        hint,
                    )
                })?;
                add_depends_on(draft, entries, from, &name, item.pos, None);
            }
        }
        Node::Map(conditions) => {
            for (name, settings) in conditions {
                add_depends_on(
                    draft,
                    entries,
                    from,
                    &name.value,
                    name.pos,
                    Some(&settings.value),
                );
            }
        }
        Node::Null => {}
        other => {
            return Err(shape(
                node.pos,
                format!(
                    "`depends_on` is {}, expected a list or a map",
                    other.shape()
                ),
                hint,
            ));
        }
    }
    Ok(())
}

/// One `depends_on` entry, with its map-form settings when given.
fn add_depends_on(
    draft: &mut Draft,
    entries: &[(At<String>, At<Node>)],
    from: usize,
    name: &str,
    pos: Pos,
    settings: Option<&Node>,
) {
    let to = service_index(draft, entries, name, from, pos);
    let condition = settings
        .and_then(|s| s.get("condition"))
        .and_then(|c| c.value.as_str());
    let optional = settings
        .and_then(|s| s.get("required"))
        .is_some_and(|r| r.value == Node::Bool(false));
    let mut why = match condition {
        Some(c) => format!("from depends_on, condition {c}"),
        None => "from depends_on".to_owned(),
    };
    if optional {
        why.push_str(", required: false");
    }
    let dep = DraftDep {
        startup: condition == Some("service_completed_successfully"),
        soft: optional,
        ..DraftDep::stated(to, why)
    };
    draft.depend(from, dep, pos);
}

fn read_links(
    draft: &mut Draft,
    from: usize,
    service: &Node,
    entries: &[(At<String>, At<Node>)],
) -> Result<(), Finding> {
    let Some(node) = service.get("links") else {
        return Ok(());
    };
    let items = match &node.value {
        Node::Seq(items) => items.as_slice(),
        Node::Null => &[],
        other => {
            return Err(shape(
                node.pos,
                format!("`links` is {}, expected a list", other.shape()),
                "write `links: [db, \"cache:redis\"]`",
            ));
        }
    };
    for item in items {
        let link = item.value.scalar_text().ok_or_else(|| {
            shape(
                item.pos,
                format!(
                    "`links` item is {}, expected `name` or `name:alias`",
                    item.value.shape()
                ),
                "write `links: [db, \"cache:redis\"]`",
            )
        })?;
        // `name:alias`; a name may itself hold colons only if the file defines it so.
        let name = if draft.services.iter().any(|s| s.name == link) {
            link.clone()
        } else {
            link.split_once(':')
                .map_or(link.clone(), |(n, _)| n.to_owned())
        };
        let to = service_index(draft, entries, &name, from, item.pos);
        draft.depend(from, DraftDep::stated(to, "from links"), item.pos);
    }
    Ok(())
}

fn read_environment(
    draft: &mut Draft,
    from: usize,
    name: &str,
    service: &Node,
    hosts: &HashMap<String, usize>,
) -> Result<(), Finding> {
    let Some(node) = service.get("environment") else {
        return Ok(());
    };
    let mut variables: Vec<(String, String, Pos)> = Vec::new();
    match &node.value {
        Node::Seq(items) => {
            for item in items {
                let text = item.value.scalar_text().ok_or_else(|| {
                    shape(
                        item.pos,
                        format!(
                            "`environment` item is {}, expected `KEY=value`",
                            item.value.shape()
                        ),
                        "write `- KEY=value` items or a map of `KEY: value`",
                    )
                })?;
                if let Some((k, v)) = text.split_once('=') {
                    variables.push((k.to_owned(), v.to_owned(), item.pos));
                }
            }
        }
        Node::Map(entries) => {
            for (k, v) in entries {
                if let Some(value) = v.value.scalar_text() {
                    variables.push((k.value.clone(), value, v.pos));
                }
            }
        }
        Node::Null => {}
        other => {
            return Err(shape(
                node.pos,
                format!(
                    "`environment` is {}, expected a list or a map",
                    other.shape()
                ),
                "write `- KEY=value` items or a map of `KEY: value`",
            ));
        }
    }
    for (key, value, pos) in variables {
        for host in host_names(&value) {
            let Some(&to) = hosts.get(&host.to_lowercase()) else {
                continue;
            };
            if to == from {
                continue; // its own name (SERVICE_NAME=api): not a dependency
            }
            let why = format!("guessed from environment {key}");
            let callee = draft.services[to].name.clone();
            let new = !draft.services[from].deps.iter().any(|d| d.to == to);
            draft.depend(from, DraftDep::guessed(to, why), pos);
            if new {
                draft.note(
                    NoteKind::Guess,
                    format!("guessed `{name}` → `{callee}` from environment `{key}`"),
                    Some(pos),
                );
            }
        }
    }
    Ok(())
}

/// Replaces `${VAR:-default}` and `${VAR-default}` by their default and
/// other variable references by nothing, as compose would with the
/// variables unset; `$$` is a literal `$`.
fn interpolate_defaults(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(body) = rest.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push('$');
                continue;
            };
            let inner = &body[..end];
            if let Some((_, default)) = inner.split_once(":-").or_else(|| inner.split_once('-')) {
                out.push_str(default);
            }
            rest = &body[end + 1..];
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Host names a variable's value points at: the whole value when it is a
/// bare name, the hosts of URLs (`scheme://user:pw@host:port,host2/path`),
/// and `host:port` pairs in comma- or space-separated lists.
fn host_names(value: &str) -> Vec<String> {
    // `cart:${CART_PORT}` with the port unset reads `cart:`: a host whose
    // port comes from elsewhere.
    let port_from_variable = value.contains('$');
    let value = interpolate_defaults(value);
    let value = value.trim();
    let mut hosts = Vec::new();
    let is_host = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let strip_port = |h: &str| -> String {
        match h.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_owned(),
            _ => h.to_owned(),
        }
    };
    if is_host(value) {
        hosts.push(value.to_owned());
        return hosts;
    }
    for word in value.split(|c: char| c.is_whitespace() || c == ';' || c == '"' || c == '\'') {
        if let Some(at) = word.find("://") {
            let authority = &word[at + 3..];
            let end = authority.find(['/', '?', '#']).unwrap_or(authority.len());
            let authority = &authority[..end];
            let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            for part in authority.split(',') {
                let host = strip_port(part);
                if is_host(&host) {
                    hosts.push(host);
                }
            }
        } else {
            for part in word.split(',') {
                if let Some((host, port)) = part.rsplit_once(':')
                    && (!port.is_empty() || port_from_variable)
                    && port.chars().all(|c| c.is_ascii_digit())
                    && is_host(host)
                {
                    hosts.push(host.to_owned());
                }
            }
        }
    }
    hosts
}

/// Words of admin tools, exporters and one-off helpers: their images are
/// not what their names say (`mongo-express` is no database).
const TOOLS: [&str; 24] = [
    "ui",
    "admin",
    "exporter",
    "express",
    "commander",
    "insight",
    "console",
    "dashboard",
    "manager",
    "browser",
    "connect",
    "registry",
    "schema",
    "cli",
    "client",
    "init",
    "migrate",
    "migration",
    "migrations",
    "setup",
    "backup",
    "tools",
    "test",
    "mock",
];

/// Words of programs that work on a store rather than being one.
const WORKERS: [&str; 9] = [
    "worker", "consumer", "producer", "warmer", "loader", "sync", "job", "cron", "seed",
];

/// Words that say what kind a service is, by kind. The last seven are
/// generic (`db`, `cache` …): they decide only as the head word, the last
/// of a name (`orders-db` is a database, `queue-master` is not a queue).
const KINDS: [(&str, &[&str]); 4] = [
    (
        "database",
        &[
            "postgres",
            "postgresql",
            "postgis",
            "timescaledb",
            "mysql",
            "mariadb",
            "mongo",
            "mongodb",
            "cassandra",
            "scylla",
            "cockroach",
            "cockroachdb",
            "couchdb",
            "couchbase",
            "neo4j",
            "clickhouse",
            "influxdb",
            "mssql",
            "sqlserver",
            "oracle",
            "elasticsearch",
            "opensearch",
            "solr",
            "minio",
            "dynamodb",
            "etcd",
            "db",
            "database",
        ],
    ),
    (
        "cache",
        &[
            "redis",
            "memcached",
            "valkey",
            "keydb",
            "dragonfly",
            "hazelcast",
            "varnish",
            "cache",
        ],
    ),
    (
        "queue",
        &[
            "rabbitmq",
            "kafka",
            "nats",
            "redpanda",
            "activemq",
            "artemis",
            "pulsar",
            "nsq",
            "mosquitto",
            "emqx",
            "elasticmq",
            "queue",
            "broker",
            "mq",
        ],
    ),
    (
        "gateway",
        &[
            "nginx", "traefik", "haproxy", "envoy", "kong", "caddy", "apisix", "gateway",
        ],
    ),
];

/// Generic kind words: they count only as a name's head word.
const GENERIC: [&str; 7] = [
    "db", "database", "cache", "queue", "broker", "mq", "gateway",
];

/// A kind guessed from a name (an image's repository or a service name),
/// with the word that decided: a product's name anywhere in its last path
/// segment (`bitnami/redis`, `orders-postgres`), or a generic word as its
/// head, the last word (`weaveworksdemos/catalogue-db`, `orders-db`). Tools
/// and workers are not guessed (`mongo-express`, `cache-warmer`).
fn kind_from_words(text: &str) -> Option<(&'static str, String)> {
    let lower = text.to_lowercase();
    let segment = lower.rsplit('/').next().unwrap_or(&lower);
    let words: Vec<&str> = segment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| TOOLS.contains(w) || WORKERS.contains(w))
    {
        return None;
    }
    let head = words.last().copied();
    for (kind, list) in KINDS {
        let decides = |w: &&&str| list.contains(*w) && (!GENERIC.contains(*w) || Some(**w) == head);
        if let Some(word) = words.iter().find(decides) {
            return Some((kind, (*word).to_owned()));
        }
    }
    None
}

/// The kind of a compose service: from its image first (what it runs),
/// else from its name; with the comment saying which.
fn guess_kind(image: Option<&str>, name: &str) -> Option<(&'static str, String)> {
    image
        .and_then(|image| {
            kind_from_words(image_repository(image))
                .map(|(k, _)| (k, format!("guessed from image {image}")))
        })
        .or_else(|| kind_from_words(name).map(|(k, w)| (k, format!("guessed from the name ({w})"))))
}

/// The image's repository path without registry host, tag or digest
/// (`registry.local:5000/team/redis:7` → `team/redis`).
fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let image = match image.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => image,
    };
    image.split(':').next().unwrap_or(image)
}

fn read_kind_and_replicas(draft: &mut Draft, i: usize, service: &Node) {
    let name = draft.services[i].name.clone();
    let image = service.get("image").and_then(|v| v.value.scalar_text());
    let kind = guess_kind(image.as_deref(), &name);
    let service_entry = &mut draft.services[i];
    service_entry.kind = kind;
    let deploy = service.get("deploy").map(|d| &d.value);
    let count = deploy
        .and_then(|d| d.get("replicas"))
        .map(|r| (r, "deploy.replicas"))
        .or_else(|| service.get("scale").map(|r| (r, "scale")));
    if let Some((node, key)) = count {
        let text = node.value.scalar_text().map(|t| interpolate_defaults(&t));
        match text.as_deref().map(str::parse::<u64>) {
            Some(Ok(n)) if n > 0 => service_entry.replicas = Some((n, format!("from {key}"))),
            Some(Ok(_)) => service_entry.todo.push(format!(
                "compose sets {key} to 0 (not started); how many run in production?"
            )),
            _ => service_entry.todo.push(format!(
                "{key} is `{}`; how many run in production?",
                node.value.scalar_text().unwrap_or_default()
            )),
        }
    }
    if deploy
        .and_then(|d| d.get("mode"))
        .and_then(|m| m.value.as_str())
        .is_some_and(|m| m.starts_with("global"))
    {
        service_entry.todo.push(
            "deploy.mode is global (one replica per node): set replicas to your node count".into(),
        );
    }
}

/// Whether a service publishes ports to the host.
fn publishes_ports(service: &Node) -> bool {
    service
        .get("ports")
        .and_then(|p| p.value.as_seq())
        .is_some_and(|p| !p.is_empty())
}

/// Words of operations tools (tracing, metrics, admin UIs, mail
/// catchers): they publish ports for the team, not for users.
const OPS_TOOLS: [&str; 16] = [
    "grafana",
    "prometheus",
    "zipkin",
    "jaeger",
    "kibana",
    "adminer",
    "pgadmin",
    "pgadmin4",
    "phpmyadmin",
    "mailhog",
    "mailpit",
    "portainer",
    "collector",
    "otel",
    "admin",
    "dashboard",
];

/// Words of load generators: they stand in for users, so what they call
/// is what users call.
const LOAD_GENERATORS: [&str; 10] = [
    "locust",
    "loadgenerator",
    "loadgen",
    "load",
    "loadtest",
    "k6",
    "jmeter",
    "gatling",
    "vegeta",
    "simulator",
];

/// The words of a service's image's last path segment and of its name.
fn words(service: &Node, name: &str) -> Vec<String> {
    let image = service
        .get("image")
        .and_then(|i| i.value.scalar_text())
        .map(|i| {
            image_repository(&i)
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    format!("{image} {name}")
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first of `list` among a service's words.
fn word_in(service: &Node, name: &str, list: &[&str]) -> Option<String> {
    words(service, name)
        .into_iter()
        .find(|w| list.contains(&w.as_str()))
}

/// Why a service runs once instead of serving (`None`: it serves):
/// `restart: "no"`, a `profiles` switch, or another service waits for it
/// to complete (`condition: service_completed_successfully`).
fn one_shot(entries: &[(At<String>, At<Node>)], i: usize) -> Option<String> {
    let service = &entries[i].1.value;
    let mut why = Vec::new();
    if service
        .get("restart")
        .is_some_and(|r| r.value == Node::Bool(false) || r.value.as_str() == Some("no"))
    {
        why.push("restart: no".to_owned());
    }
    if let Some(p) = profiles(service) {
        why.push(format!("profiles {}", p.join(" ")));
    }
    let name = &entries[i].0.value;
    for (waiter, body) in entries {
        let completes = body
            .value
            .get("depends_on")
            .and_then(|d| d.value.get(name))
            .and_then(|c| c.value.get("condition"))
            .and_then(|c| c.value.as_str())
            == Some("service_completed_successfully");
        if completes {
            why.push(format!("`{}` waits for it to complete", waiter.value));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// Guesses the entry points, noting every guess either way. A service is
/// one when it publishes ports, no long-running service depends on it,
/// and it is not a database, cache or queue, an operations tool, a load
/// generator or a one-shot job; when no service qualifies, the
/// long-running services nobody depends on. One-shot jobs and load
/// generators are not counted as callers: a seed job or a load test that
/// calls `vote` does not make `vote` internal.
fn guess_entries(draft: &mut Draft, entries: &[(At<String>, At<Node>)]) {
    let n = entries.len();
    let name = |i: usize| entries[i].0.value.clone();
    let shot: Vec<Option<String>> = (0..n).map(|i| one_shot(entries, i)).collect();
    let load: Vec<Option<String>> = (0..n)
        .map(|i| word_in(&entries[i].1.value, &entries[i].0.value, &LOAD_GENERATORS))
        .collect();
    // Who depends on each service: long-running callers, and the rest.
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); draft.services.len()];
    let mut ignored: Vec<Vec<usize>> = vec![Vec::new(); draft.services.len()];
    for (i, s) in draft.services.iter().enumerate() {
        let passive = i < n && (shot[i].is_some() || load[i].is_some());
        for d in &s.deps {
            let list = if passive { &mut ignored } else { &mut callers };
            list[d.to].push(i);
        }
    }
    let callees = |i: usize| -> String {
        let names: Vec<String> = draft.services[i]
            .deps
            .iter()
            .map(|d| format!("`{}`", draft.services[d.to].name))
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!(", and not counted as a caller of {}", names.join(", "))
        }
    };
    let mut notes: Vec<(String, Pos)> = Vec::new();
    // Why each service cannot be an entry point, if it cannot.
    let mut excluded: Vec<Option<String>> = vec![None; n];
    let mut aside: Vec<Option<String>> = vec![None; n];
    for i in 0..n {
        let service = &entries[i].1.value;
        let pos = entries[i].0.pos;
        excluded[i] = if let Some(why) = &shot[i] {
            // Only a profile: a service run on demand (a debug tool, a seed).
            let on_demand = why.starts_with("profiles") && !why.contains(';');
            let what = if on_demand {
                "runs only on demand"
            } else {
                "is a one-shot job"
            };
            notes.push((
                format!(
                    "`{}` {what} ({why}): not an entry point{}",
                    name(i),
                    callees(i)
                ),
                pos,
            ));
            aside[i] = Some(if on_demand {
                "run only on demand".into()
            } else {
                "a one-shot job".into()
            });
            Some(String::new())
        } else if let Some(word) = &load[i] {
            notes.push((
                format!(
                    "`{}` looks like a load generator ({word}): it stands in for users, so it is not an entry point{}",
                    name(i),
                    callees(i)
                ),
                pos,
            ));
            aside[i] = Some("a load generator".into());
            Some(String::new())
        } else if let Some((kind, _)) = draft.services[i].kind
            && matches!(kind, "database" | "cache" | "queue")
        {
            Some(format!("is a {kind}"))
        } else if let Some(word) = word_in(service, &entries[i].0.value, &OPS_TOOLS) {
            aside[i] = Some("an operations tool".into());
            Some(format!("runs an operations tool ({word})"))
        } else if let Some(&c) = callers[i].first() {
            Some(format!("`{}` depends on it", draft.services[c].name))
        } else {
            None
        };
    }
    let with_ports: Vec<usize> = (0..n)
        .filter(|&i| excluded[i].is_none() && publishes_ports(&entries[i].1.value))
        .collect();
    let (chosen, reason) = if with_ports.is_empty() {
        let any: Vec<usize> = (0..n).filter(|&i| excluded[i].is_none()).collect();
        (any, "no long-running service depends on it")
    } else {
        (
            with_ports,
            "publishes ports, no long-running service depends on it",
        )
    };
    for i in 0..n {
        let pos = entries[i].0.pos;
        let ports = publishes_ports(&entries[i].1.value);
        if chosen.contains(&i) {
            let also = match ignored[i].as_slice() {
                [] => String::new(),
                some => format!(
                    "; {} depends on it but only runs once or stands in for users",
                    some.iter()
                        .map(|&c| format!("`{}`", draft.services[c].name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            draft.services[i].entry = Some(format!("guessed entry point: {reason}"));
            notes.push((
                format!(
                    "guessed `{}` is an entry point ({reason}{also}); its traffic is a placeholder",
                    name(i)
                ),
                pos,
            ));
        } else if let Some(why) = excluded[i].as_ref().filter(|w| !w.is_empty()) {
            if ports {
                notes.push((
                    format!(
                        "`{}` publishes ports but {why}: not guessed an entry point",
                        name(i)
                    ),
                    pos,
                ));
            }
        } else if excluded[i].is_none() {
            notes.push((
                format!(
                    "`{}` publishes no ports and nothing depends on it: not guessed an entry point (a background worker? if users call it, give it `entry: {{ rps }}`)",
                    name(i)
                ),
                pos,
            ));
        }
    }
    for (i, why) in aside.into_iter().enumerate() {
        draft.services[i].aside = why;
    }
    notes.sort_by_key(|(_, pos)| *pos);
    for (message, pos) in notes {
        draft.note(NoteKind::Guess, message, Some(pos));
    }
    if chosen.is_empty() {
        draft.note(
            NoteKind::Guess,
            "found no entry point (every service is called by another, or is a store, a tool or a job); add `entry: { rps }` to the services users call",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_come_from_urls_pairs_and_bare_names() {
        assert_eq!(host_names("postgres://user:pw@db:5432/app"), ["db"]);
        assert_eq!(host_names("http://cart:8080/api?x=1"), ["cart"]);
        assert_eq!(host_names("redis"), ["redis"]);
        assert_eq!(
            host_names("kafka-1:9092,kafka-2:9092"),
            ["kafka-1", "kafka-2"]
        );
        assert_eq!(host_names("mongodb://a:1,b:2/db?replicaSet=rs"), ["a", "b"]);
        assert_eq!(host_names("${DB_HOST:-db}"), ["db"]);
        assert_eq!(host_names("http://${API_HOST-api}:80"), ["api"]);
        // The OpenTelemetry demo's `CART_ADDR=cart:${CART_PORT}`.
        assert_eq!(host_names("cart:${CART_PORT}"), ["cart"]);
        assert!(host_names("note:").is_empty());
        assert!(host_names("/var/lib/api").is_empty());
        assert!(host_names("some words here").is_empty());
        assert!(host_names("").is_empty());
        assert_eq!(interpolate_defaults("a$$b${X}c$Y-d"), "a$bc-d");
    }

    #[test]
    fn kinds_from_images_and_names() {
        let k = |image: &str| guess_kind(Some(image), "x").map(|(k, _)| k);
        assert_eq!(k("postgres:16-alpine"), Some("database"));
        assert_eq!(k("docker.io/bitnami/redis:7.2"), Some("cache"));
        assert_eq!(k("confluentinc/cp-kafka:7.5.0"), Some("queue"));
        assert_eq!(k("registry.local:5000/traefik:v3"), Some("gateway"));
        assert_eq!(k("mongo-express"), None);
        assert_eq!(k("oliver006/redis_exporter"), None);
        assert_eq!(k("myorg/orders-db-migrations"), None);
        assert_eq!(k("myorg/app"), None);
        let n = |name: &str| guess_kind(None, name).map(|(k, _)| k);
        assert_eq!(n("orders-db"), Some("database"));
        assert_eq!(n("cache"), Some("cache"));
        assert_eq!(n("cache-warmer"), None);
        assert_eq!(n("api"), None);
        // Issue 13 §6 (Sock Shop): a generic word decides only as the head
        // word, and the image comes first.
        assert_eq!(n("queue-master"), None);
        assert_eq!(k("weaveworksdemos/queue-master"), None);
        assert_eq!(k("weaveworksdemos/catalogue-db"), Some("database"));
        assert_eq!(
            guess_kind(Some("weaveworksdemos/queue-master"), "queue-master"),
            None
        );
        assert_eq!(
            guess_kind(Some("mongo:3.4"), "carts-db").map(|(_, why)| why),
            Some("guessed from image mongo:3.4".into())
        );
    }
}
