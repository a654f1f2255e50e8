//! The committed JSON Schema matches the one the binary prints, accepts
//! every model whatif ships, and refuses the obvious values `check` refuses.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

#[test]
fn committed_schema_is_up_to_date() {
    let out = Whatif::new().args(["schema"]).code(0);
    let committed = std::fs::read_to_string(path("schema/whatif.schema.json"))
        .expect("schema/whatif.schema.json exists");
    assert!(
        committed == stdout(&out),
        "schema/whatif.schema.json is stale: run `cargo run -- schema -o schema/whatif.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["services"].is_object());
}

/// The committed schema.
fn schema() -> Value {
    let text = std::fs::read_to_string(path("schema/whatif.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A model file as the JSON an editor's YAML plugin checks against the
/// schema.
fn as_json(text: &str, file: &Path) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Where `value` breaks `schema`, each as `path: why`. Only the keywords
/// the model schema uses are known; any other fails the test, so the
/// check never passes by skipping what it does not understand.
fn violations(root: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        panic!("{at}: a schema that is not an object: {schema}");
    };
    for (keyword, rule) in keywords {
        match keyword.as_str() {
            "$ref" => {
                let name = rule.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                violations(root, &root["$defs"][name], value, at, out);
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::Array(list) => list.iter().map(|t| t.as_str().unwrap()).collect(),
                    one => vec![one.as_str().unwrap()],
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    out.push(format!("{at}: {value} is not {}", types.join(" or ")));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    out.push(format!("{at}: {value} is not one of {rule}"));
                }
            }
            "anyOf" => {
                let fits = rule.as_array().unwrap().iter().any(|option| {
                    let mut none = Vec::new();
                    violations(root, option, value, at, &mut none);
                    none.is_empty()
                });
                if !fits {
                    out.push(format!("{at}: {value} fits none of {rule}"));
                }
            }
            "properties" | "additionalProperties" | "required" => {
                if let Some(object) = value.as_object() {
                    object_violations(root, keywords, keyword, object, at, out);
                }
            }
            "items" => {
                for (k, item) in value.as_array().into_iter().flatten().enumerate() {
                    violations(root, rule, item, &format!("{at}[{k}]"), out);
                }
            }
            "minimum" | "maximum" => {
                if let (Some(n), Some(bound)) = (value.as_f64(), rule.as_f64()) {
                    let below = keyword == "minimum";
                    if (below && n < bound) || (!below && n > bound) {
                        out.push(format!("{at}: {n} is past the {keyword} {bound}"));
                    }
                }
            }
            "pattern" => {
                if let Some(text) = value.as_str() {
                    let pattern = regex::Regex::new(rule.as_str().unwrap()).unwrap();
                    if !pattern.is_match(text) {
                        out.push(format!("{at}: `{text}` does not match {rule}"));
                    }
                }
            }
            "description" | "title" | "$schema" | "$defs" => {}
            other => panic!("{at}: the schema uses `{other}`, which this check does not know"),
        }
    }
}

/// One of `properties`, `additionalProperties` and `required` on an object.
fn object_violations(
    root: &Value,
    keywords: &serde_json::Map<String, Value>,
    keyword: &str,
    object: &serde_json::Map<String, Value>,
    at: &str,
    out: &mut Vec<String>,
) {
    let properties = keywords.get("properties").and_then(Value::as_object);
    match keyword {
        "properties" => {
            for (key, rule) in properties.into_iter().flatten() {
                if let Some(v) = object.get(key) {
                    violations(root, rule, v, &format!("{at}.{key}"), out);
                }
            }
        }
        "additionalProperties" => {
            let rule = &keywords["additionalProperties"];
            for (key, v) in object {
                if properties.is_some_and(|p| p.contains_key(key)) {
                    continue;
                }
                match rule {
                    Value::Bool(false) => out.push(format!("{at}: unknown key `{key}`")),
                    Value::Bool(true) => {}
                    rule => violations(root, rule, v, &format!("{at}.{key}"), out),
                }
            }
        }
        _ => {
            for key in keywords["required"].as_array().unwrap() {
                if !object.contains_key(key.as_str().unwrap()) {
                    out.push(format!("{at}: missing key {key}"));
                }
            }
        }
    }
}

/// Whether a JSON value has a JSON Schema type.
fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => panic!("unknown type `{other}`"),
    }
}

/// What the schema says about a model's text.
fn schema_violations(schema: &Value, text: &str, file: &Path) -> Vec<String> {
    let mut out = Vec::new();
    violations(schema, schema, &as_json(text, file), "$", &mut out);
    out
}

/// Every model whatif ships (examples, the incidents' models, the docs'
/// model) and one it generates pass the schema an editor checks them
/// against: tightening the schema must never flag a model `check` accepts.
#[test]
fn the_schema_accepts_every_shipped_model() {
    let schema = schema();
    let mut files = Vec::new();
    for dir in ["examples", "incidents/models", "docs/models"] {
        files.extend(yaml_files(&path(dir)));
    }
    assert!(files.len() >= 20, "{files:?}");
    let generated = Whatif::new()
        .args(["generate", "--services", "300", "--seed", "5"])
        .code(0)
        .stdout();
    let mut texts: Vec<(std::path::PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect();
    texts.push(("generated.yaml".into(), generated));
    for (file, text) in &texts {
        let found = schema_violations(&schema, text, file);
        assert!(found.is_empty(), "{}: {found:#?}", file.display());
    }
}

/// Values `check` refuses on their own — zero replicas or quorum, more
/// replicas than whatif takes, no calls, a percentage above 100, a slow
/// factor below 1 — are refused by the schema too, so an editor flags
/// them as they are typed; and the edges `check` accepts still pass.
#[test]
fn the_schema_refuses_what_check_refuses_on_sight() {
    let schema = schema();
    let model = |service: &str| {
        format!("services:\n  web:\n    entry: {{ rps: 1 }}\n{service}\n  db: {{}}\n")
    };
    let refused = [
        "    replicas: 0",
        "    replicas: 100001",
        "    quorum: 0",
        "    availability: \"130%\"",
        "    availability: 100.5%",
        "    availability: 1000%",
        "    availability: 1.3",
        "    depends_on: [{ to: db, calls: 0 }]",
        "    depends_on: [{ to: db, retry_budget: 101% }]",
        "    autoscale: { max_replicas: 0, above: 50%, delay: 1m }",
        "    autoscale: { max_replicas: 3, above: 150%, delay: 1m }",
    ];
    let accepted = [
        "    replicas: 1",
        "    replicas: 100000",
        "    replicas: 3\n    quorum: 2",
        "    availability: 100%",
        "    availability: 100.0%",
        "    availability: 0%",
        "    availability: 99.95%",
        "    availability: 0.5",
        "    depends_on: [{ to: db, calls: 1, retries: 0 }]",
        "    autoscale: { max_replicas: 100000, above: 50%, delay: 1m }",
    ];
    let dir = temp_dir("schema");
    let file = dir.path().join("m.yaml");
    for (lines, code) in refused
        .iter()
        .map(|l| (l, 2))
        .chain(accepted.iter().map(|l| (l, 0)))
    {
        let text = model(lines);
        std::fs::write(&file, &text).unwrap();
        Whatif::new()
            .args(["check", file.to_str().unwrap()])
            .code(code);
        let found = schema_violations(&schema, &text, &file);
        assert_eq!(found.is_empty(), code == 0, "{lines}: {found:?}");
    }
    let slow =
        "defaults: { thresholds: { slow_factor: 0.5 } }\nservices:\n  web: { entry: { rps: 1 } }\n";
    std::fs::write(&file, slow).unwrap();
    Whatif::new()
        .args(["check", file.to_str().unwrap()])
        .code(2);
    assert!(!schema_violations(&schema, slow, &file).is_empty());
}
