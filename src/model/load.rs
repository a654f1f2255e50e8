//! Reading a model file: the input guards ([`super::input`]), YAML events
//! ([`super::events`]) read straight into the model's types
//! ([`super::read`]), names resolved ([`super::validate`]). Also the serde
//! path that scenario files and imports use, under the same guards.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::Model;
use super::events;
use super::read::Reader;
use super::validate;
use crate::error::Error;
use crate::finding::{Finding, Pos, did_you_mean_hint, shorten};

pub use super::events::MAX_DEPTH;
pub use super::input::MAX_FILE_BYTES;

/// Finding codes for reading and parsing. Stable: documented in the README.
pub mod codes {
    /// Not YAML (or not JSON): the parser's message, what it expected, where.
    pub const SYNTAX: &str = "E001";
    /// A key the format does not know (a typo must not be ignored).
    pub const UNKNOWN_KEY: &str = "E002";
    /// The same key twice in one map (also: two services with one name).
    pub const DUPLICATE_KEY: &str = "E003";
    /// A value of the wrong shape (a list where a map belongs, a missing key).
    pub const WRONG_SHAPE: &str = "E004";
    /// Input refused as hostile or too large: alias bomb, deep nesting,
    /// over 256 MiB, not a regular file (a FIFO, a device, a directory).
    pub const REFUSED: &str = "E005";
    /// An empty file.
    pub const EMPTY: &str = "E006";
    /// Binary, UTF-16/32 or otherwise non-UTF-8 content.
    pub const NOT_TEXT: &str = "E007";
    /// Tabs used for indentation.
    pub const TABS: &str = "E008";
    /// A YAML tag (`!!python/object:…`, `!custom`): models are plain data.
    pub const TAG: &str = "E029";
}

/// A model that validated, with its warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The model.
    pub model: Model,
    /// Warnings (no errors: those make loading fail).
    pub findings: Vec<Finding>,
    /// The source text, for snippets in diagnostics.
    pub source: String,
}

/// A model file read and validated whatever it holds: every finding,
/// errors and warnings, and the model as far as it could be built. What
/// `whatif check` reports from; everything else loads with [`load_file`].
#[derive(Debug, Clone)]
pub struct Validated {
    /// The model, whenever the document could be read (no syntax error,
    /// no refusal), also when it has errors. Then it is partial:
    /// dependencies, failovers and caches whose names do not resolve, and
    /// self-dependencies, are left out, and values that did not parse take
    /// their defaults. Fit for the warnings that hold whatever else is
    /// wrong (cycles among the dependencies that resolve), never for
    /// simulating.
    pub model: Option<Model>,
    /// Every finding: errors first, each kind in file order.
    pub findings: Vec<Finding>,
    /// The source text, for snippets in diagnostics.
    pub source: String,
}

impl Validated {
    /// Whether no finding is an error.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(Finding::is_error)
    }

    /// The model, when it is valid; else [`Error::Invalid`] for `file`
    /// with every finding.
    fn into_loaded(self, file: &str) -> Result<Loaded, Error> {
        let valid = self.is_valid();
        match self.model {
            Some(model) if valid => Ok(Loaded {
                model,
                findings: self.findings,
                source: self.source,
            }),
            _ => Err(Error::Invalid {
                file: file.to_owned(),
                source_text: self.source,
                findings: self.findings,
            }),
        }
    }
}

/// Reads and validates a model file: YAML, or JSON when the name ends in
/// `.json` (the same schema), or standard input for `-`.
///
/// Returns [`Error::Invalid`] with every finding when the file has errors.
pub fn load_file(path: &Path) -> Result<Loaded, Error> {
    let name = path.display().to_string();
    validate_file(path)?.into_loaded(&name)
}

/// Reads and validates a model file as [`load_file`] does, but a file
/// with errors is [`Validated`] too: its findings, and its model as far
/// as it goes. Errors only when the file cannot be read, or is refused by
/// the input guards ([`Error::Invalid`] with that one finding).
pub fn validate_file(path: &Path) -> Result<Validated, Error> {
    let text = read_text(path)?;
    Ok(validate_text(text, default_model_name(path), is_json(path)))
}

/// Validates a model given as text; `file` names it in findings (a name
/// ending in `.json` reads it as JSON) and its stem becomes the model's
/// name when the file gives none.
pub fn load_str(text: &str, file: &str) -> Result<Loaded, Error> {
    let path = Path::new(file);
    load_text(
        text.to_owned(),
        file,
        default_model_name(path),
        is_json(path),
    )
}

/// Reads a user's input file (or `-`) as text under the input guards of docs/cli.md: see
/// [`super::input::read_input`], the one function every input goes through.
pub fn read_text(path: &Path) -> Result<String, Error> {
    super::input::read_input(path)
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Validates a model read from somewhere other than a file of its own
/// (`git show REV:PATH`), under the same guards as [`load_file`] (see
/// [`super::input::text_of`]). `file` names it in findings (a name ending
/// in `.json` reads it as JSON), and its stem becomes the model's name
/// when the file gives none.
pub fn load_bytes(bytes: Vec<u8>, file: &str) -> Result<Loaded, Error> {
    let text = super::input::text_of(bytes, file)?;
    let path = Path::new(file);
    load_text(text, file, default_model_name(path), is_json(path))
}

fn default_model_name(path: &Path) -> String {
    if path.as_os_str() == super::input::STDIN {
        return "stdin".into();
    }
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into())
}

fn load_text(text: String, file: &str, default_name: String, json: bool) -> Result<Loaded, Error> {
    validate_text(text, default_name, json).into_loaded(file)
}

/// Validates model text: refused before parsing (empty, tabs), or read.
fn validate_text(text: String, default_name: String, json: bool) -> Validated {
    if let Err(finding) = refuse_before_parsing(&text, json) {
        return Validated {
            model: None,
            findings: vec![finding],
            source: text,
        };
    }
    let (model, findings) = read_model(&text, default_name);
    Validated {
        model,
        findings,
        source: text,
    }
}

/// Reads and validates model text: the model when it could be built (see
/// [`Validated::model`]), and every finding, errors first, each kind in
/// file order.
fn read_model(text: &str, default_name: String) -> (Option<Model>, Vec<Finding>) {
    let mut reader = Reader::new(text);
    let document = reader.document();
    let mut findings = reader.findings;
    let mut model = document.and_then(|doc| validate::finish(doc, default_name, &mut findings));
    // A refused file is hostile: its refusal is the whole story.
    if findings.iter().any(|f| f.code == codes::REFUSED) {
        findings.retain(|f| f.code == codes::REFUSED);
        model = None;
    }
    // Errors first, each kind in file order.
    findings.sort_by_key(|f| (!f.is_error(), f.pos));
    // Aliases replay a node, and its problems with it: report each once.
    findings.dedup();
    (model, findings)
}

/// Budgets that admit a 100,000-service model yet stop alias bombs and
/// absurd nesting quickly; `max_documents` is 2 for a model (so a stray
/// `---` gets a clear message) and more for multi-document imports.
fn options(max_documents: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES as usize);
    budget.max_events = 80_000_000;
    budget.max_nodes = 40_000_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES as usize;
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = max_documents;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    // Names are data: `no`, `on`, `y` are services, not YAML 1.1 booleans.
    options.strict_booleans = true;
    options.alias_limits.max_total_replayed_events = 200_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options
}

/// Parses YAML text into serde structs (scenario files, imports): the
/// event guards first (tags, aliases, depth, syntax, null keys, a second
/// document), then serde-saphyr.
pub fn parse_yaml<T: DeserializeOwned>(text: &str) -> Result<T, Finding> {
    refuse_before_parsing(text, false)?;
    events::check_stream(text, 1)?;
    serde_saphyr::from_str_with_options::<T>(text, options(2))
        .map_err(|e| finding_from_yaml_error(&e))
}

/// Documents one multi-document file may hold (a Backstage catalog has one
/// per entity); far above any real catalog, low enough to stop `---` storms.
pub const MAX_DOCUMENTS: usize = 1_000_000;

/// Parses a multi-document YAML stream (documents separated by `---`), one
/// `T` per non-empty document, under the same guards as [`parse_yaml`].
pub fn parse_yaml_documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, Finding> {
    refuse_before_parsing(text, false)?;
    events::check_stream(text, MAX_DOCUMENTS)?;
    serde_saphyr::from_multiple_with_options::<T>(text, options(MAX_DOCUMENTS))
        .map_err(|e| finding_from_yaml_error(&e))
}

/// Empty files and tab indentation (YAML only: JSON may indent with tabs),
/// refused before the parser sees them.
fn refuse_before_parsing(text: &str, json: bool) -> Result<(), Finding> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(
            Finding::error(codes::EMPTY, "file is empty", Some(Pos::new(1, 1)))
                .with_hint("a model needs at least `services:`; see examples/three-tier.yaml"),
        );
    }
    match tab_indentation(text) {
        Some(finding) if !json => Err(finding),
        _ => Ok(()),
    }
}

/// Tabs as indentation are refused up front with a clear message (YAML forbids them).
fn tab_indentation(text: &str) -> Option<Finding> {
    for (i, line) in text.lines().enumerate() {
        let rest = line.trim_start_matches([' ', '\t']);
        let indent = &line[..line.len() - rest.len()];
        if let Some(col) = indent.bytes().position(|c| c == b'\t') {
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            return Some(
                Finding::error(
                    codes::TABS,
                    "tab used for indentation",
                    Some(Pos::new(i as u32 + 1, col as u32 + 1)),
                )
                .with_hint("YAML indents with spaces only; replace the tab with spaces"),
            );
        }
    }
    None
}

fn finding_from_yaml_error(error: &serde_saphyr::Error) -> Finding {
    let pos = error.location().filter(|l| l.line() > 0).map(|l| {
        Pos::new(
            u32::try_from(l.line()).unwrap_or(u32::MAX),
            u32::try_from(l.column()).unwrap_or(u32::MAX),
        )
    });
    let message = plain_message(error);
    classify(&message, pos)
}

/// The error's sentence without the crate's own "error: line L column C:" prefix.
fn plain_message(error: &serde_saphyr::Error) -> String {
    let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
    let rendered = error.render_with_options(options);
    let mut text = rendered.lines().next().unwrap_or("").trim().to_owned();
    if let Some(rest) = text.strip_prefix("error: ") {
        text = rest.to_owned();
    }
    if text.starts_with("line ")
        && let Some((_, rest)) = text.split_once(": ")
    {
        text = rest.to_owned();
    }
    // Some messages end with " at line L, column C"; the position is shown separately.
    if let Some(i) = text.rfind(" at line ") {
        text.truncate(i);
    }
    text
}

/// Turns the YAML crate's message into a finding with a stable code and a hint.
fn classify(message: &str, pos: Option<Pos>) -> Finding {
    if let Some(finding) = key_finding(message, pos) {
        return finding;
    }
    let lower = message.to_lowercase();
    if lower.contains("tab") {
        return Finding::error(codes::TABS, message, pos)
            .with_hint("YAML indents with spaces only");
    }
    if let Some(finding) = refusal(&lower, pos) {
        return finding;
    }
    if lower.contains("multiple documents") || lower.contains("more than one document") {
        return Finding::error(codes::SYNTAX, "the file holds more than one YAML document", pos)
            .with_hint("a file holds one document: remove the `---` line, or put each document in its own file");
    }
    // The YAML scanner's and parser's own messages ("while parsing a flow
    // mapping, did not find expected ',' …") are syntax, not shape.
    if lower.starts_with("while ")
        || lower.contains("did not find")
        || lower.contains("not allowed")
    {
        return Finding::error(codes::SYNTAX, format!("not valid YAML: {message}"), pos);
    }
    if lower.contains("expected sequence start") {
        return Finding::error(codes::WRONG_SHAPE, "expected a list here", pos)
            .with_hint("write `[a, b]` or one `- a` line per item");
    }
    if lower.contains("expected mapping start") {
        return Finding::error(
            codes::WRONG_SHAPE,
            "expected a map of keys and values here",
            pos,
        )
        .with_hint("write `{ key: value }` or indented `key: value` lines");
    }
    if lower.contains("invalid type")
        || lower.contains("expected")
        || lower.contains("unknown variant")
    {
        return Finding::error(codes::WRONG_SHAPE, message, pos);
    }
    Finding::error(codes::SYNTAX, format!("not valid YAML: {message}"), pos)
}

/// The deserialiser's messages about keys: unknown (with the nearest
/// allowed one), duplicate, missing.
fn key_finding(message: &str, pos: Option<Pos>) -> Option<Finding> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .split(',')
            .map(|s| s.trim().trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        let hint = did_you_mean_hint(field, allowed.iter().copied()).or_else(|| {
            (!allowed.is_empty()).then(|| format!("allowed here: {}", allowed.join(", ")))
        });
        return Some(
            Finding::error(
                codes::UNKNOWN_KEY,
                format!("unknown key `{}`", shorten(field)),
                pos,
            )
            .with_opt_hint(hint),
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return Some(
            Finding::error(
                codes::DUPLICATE_KEY,
                format!("duplicate key `{}`", shorten(key)),
                pos,
            )
            .with_hint(
                "each key (and each service name) may appear once in a map; merge or rename one",
            ),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Some(
            Finding::error(codes::WRONG_SHAPE, format!("missing key `{field}`"), pos)
                .with_hint(format!("add `{field}:` here")),
        );
    }
    None
}

/// The guards against hostile input (too deep, too many nodes, alias
/// bombs), in our own words: the crate's messages name its settings.
fn refusal(lower: &str, pos: Option<Pos>) -> Option<Finding> {
    if !(lower.contains("budget")
        || lower.contains("recursion")
        || lower.contains("alias")
        || lower.contains("replay")
        || lower.contains("depth"))
    {
        return None;
    }
    let what = if lower.contains("alias") || lower.contains("replay") {
        "aliases expand to too many YAML nodes".to_owned()
    } else if lower.contains("depth") || lower.contains("recursion") {
        format!("nesting deeper than {MAX_DEPTH} levels")
    } else {
        "the file holds more YAML nodes than whatif reads".to_owned()
    };
    Some(
        Finding::error(codes::REFUSED, format!("input refused: {what}"), pos).with_hint(
            "real files need no deep nesting and few aliases; this looks like a YAML bomb or a generated file gone wrong",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Finding {
        match load_str(text, "t.yaml") {
            Err(Error::Invalid { findings, .. }) => findings.into_iter().next().expect("a finding"),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn unknown_key_gets_a_suggestion_and_position() {
        let f = first("services:\n  web:\n    replicas: 3\n    timout: 1s\n");
        assert_eq!(f.code, codes::UNKNOWN_KEY);
        assert_eq!(f.pos, Some(Pos::new(4, 5)));
        assert!(f.message.contains("`timout`"), "{f:?}");
    }

    #[test]
    fn duplicate_service_is_reported_where_it_repeats() {
        let f = first("services:\n  web: {}\n  web: {}\n");
        assert_eq!(f.code, codes::DUPLICATE_KEY);
        assert_eq!(f.pos, Some(Pos::new(3, 3)));
    }

    #[test]
    fn hostile_inputs_are_refused() {
        assert_eq!(first("").code, codes::EMPTY);
        assert_eq!(first("# only a comment\n").code, codes::EMPTY);
        assert_eq!(first("services:\n\tweb: {}\n").code, codes::TABS);
        let deep = format!(
            "services:\n  web:\n    depends_on: {}{}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert_eq!(first(&deep).code, codes::REFUSED);
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut text = String::from("name: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("z{i}: &a{i} [{refs}]\n"));
        }
        text.push_str("services: {}\n");
        // Refused either by the alias budget or by the shape check, whichever
        // trips first; what matters is that it returns an error at all.
        let f = first(&text);
        assert!(
            matches!(f.code, codes::REFUSED | codes::WRONG_SHAPE),
            "{f:?}"
        );
    }

    fn all_codes(text: &str) -> Vec<(&'static str, Pos)> {
        match load_str(text, "t.yaml") {
            Err(Error::Invalid { findings, .. }) => findings
                .into_iter()
                .map(|f| (f.code, f.pos.unwrap_or_default()))
                .collect(),
            Ok(l) => l
                .findings
                .into_iter()
                .map(|f| (f.code, f.pos.unwrap_or_default()))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn structural_problems_are_all_reported_not_just_the_first() {
        let codes = all_codes(
            "services:\n  web:\n    entry: { rps: 5 }\n    timout: 1s\n    depends_on: db\n    replicas: [3]\n    zones: { a: b }\n  db: { kind: databse, quorum: x }\n",
        );
        assert_eq!(
            codes,
            vec![
                (codes::UNKNOWN_KEY, Pos::new(4, 5)),
                (codes::WRONG_SHAPE, Pos::new(5, 17)),
                (codes::WRONG_SHAPE, Pos::new(6, 15)),
                (codes::WRONG_SHAPE, Pos::new(7, 12)),
                ("E009", Pos::new(8, 15)),
                ("E017", Pos::new(8, 32)),
            ]
        );
    }

    #[test]
    fn merge_keys_and_aliases_work_as_in_yaml() {
        let text = "services:\n  base: &defaults { replicas: 3, latency: 20ms }\n  web:\n    <<: *defaults\n    replicas: 5\n    entry: { rps: 1 }\n    depends_on: &deps [db]\n  api:\n    <<: [*defaults, { replicas: 9, capacity: 10 }]\n    depends_on: *deps\n  db: {}\n";
        let model = load_str(text, "t.yaml").expect("valid").model;
        let web = model.service(model.find("web").unwrap());
        let api = model.service(model.find("api").unwrap());
        assert_eq!(
            web.replicas, 5,
            "a key written in the map wins over a merged one"
        );
        assert_eq!(web.operations[0].latency.mean_s(), 0.02);
        assert_eq!(api.replicas, 3, "the first merged map wins");
        assert_eq!(api.capacity, Some(10.0));
        assert_eq!(api.operations[0].depends_on[0].written, "db");
    }

    #[test]
    fn values_keep_their_yaml_types_and_names_stay_as_written() {
        let text = "services:\n  404: { entry: { rps: 1 }, depends_on: ['0x1F', 1.0, true] }\n  0x1F: {}\n  1.0: {}\n  true: { replicas: 0x2 }\n";
        let model = load_str(text, "t.yaml").expect("valid").model;
        let names: Vec<&str> = model.service_names().collect();
        assert_eq!(names, ["404", "0x1F", "1.0", "true"]);
        assert_eq!(model.service(model.find("true").unwrap()).replicas, 2);
        assert_eq!(
            model.service(model.find("404").unwrap()).operations[0]
                .depends_on
                .len(),
            3
        );
        // `yes` is a name, not YAML 1.1's true; `~` in a list is empty.
        assert!(load_str("services:\n  yes: { entry: { rps: 1 } }\n", "t.yaml").is_ok());
        assert_eq!(
            first("services:\n  web: { depends_on: [~] }\n").code,
            codes::WRONG_SHAPE
        );
    }

    #[test]
    fn json_is_read_with_positions() {
        let text = "{\"services\": {\"web\": {\"entry\": {\"rps\": 5}, \"depends_on\": [\"paymnets\"]}, \"payments\": {}}}";
        match load_str(text, "m.json") {
            Err(Error::Invalid { findings, .. }) => {
                assert_eq!(
                    (findings[0].code, findings[0].pos),
                    ("E010", Some(Pos::new(1, 59)))
                );
                assert_eq!(
                    findings[0].hint.as_deref(),
                    Some("did you mean `payments`?")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
