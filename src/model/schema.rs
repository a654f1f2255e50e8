//! The JSON Schema of the model file, generated from the raw structs so it
//! cannot drift from what the loader accepts.

use super::raw::RawModel;

/// The schema as pretty JSON with a trailing newline (the committed file
/// `schema/whatif.schema.json` holds exactly this).
pub fn model_schema_json() -> String {
    let schema = schemars::schema_for!(RawModel);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::*;

    fn keys(object: &serde_json::Value) -> (Vec<String>, Vec<String>) {
        let mut properties: Vec<String> = object["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let mut required: Vec<String> = object["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        properties.sort();
        required.sort();
        (properties, required)
    }

    /// The loader reads keys from its own tables; the schema comes from the
    /// raw structs. They must agree, key for key, required for required.
    #[test]
    fn schema_and_loader_accept_the_same_keys() {
        let schema: serde_json::Value = serde_json::from_str(&model_schema_json()).unwrap();
        let defs = &schema["$defs"];
        let tables: [(&serde_json::Value, &[&str], &[&str]); 12] = [
            (&schema, read::MODEL_KEYS, &["services"]),
            (&defs["RawDefaults"], read::DEFAULTS_KEYS, &[]),
            (&defs["RawThresholds"], read::THRESHOLDS_KEYS, &[]),
            (&defs["RawBreaker"], read::BREAKER_KEYS, read::BREAKER_KEYS),
            (&defs["RawEntry"], read::ENTRY_KEYS, read::ENTRY_KEYS),
            (
                &defs["RawAutoscale"],
                read::AUTOSCALE_KEYS,
                read::AUTOSCALE_KEYS,
            ),
            (&defs["RawService"], read::SERVICE_KEYS, &[]),
            (&defs["RawOperation"], read::OPERATION_KEYS, &[]),
            (&defs["RawLatencyTail"], read::TAIL_KEYS, read::TAIL_KEYS),
            (&defs["RawDependencyLong"], read::DEPENDENCY_KEYS, &["to"]),
            (&defs["RawFallback"], read::FALLBACK_KEYS, &[]),
            (
                &defs["RawCache"],
                read::CACHE_KEYS,
                &["hit_ratio", "on_miss"],
            ),
        ];
        for (object, accepted, required) in tables {
            let mut accepted: Vec<String> = accepted.iter().map(|k| (*k).to_owned()).collect();
            let mut required: Vec<String> = required.iter().map(|k| (*k).to_owned()).collect();
            accepted.sort();
            required.sort();
            assert_eq!(keys(object), (accepted, required), "{object}");
        }
        // Every object in the schema is one of the tables above.
        let objects = defs
            .as_object()
            .unwrap()
            .values()
            .filter(|d| d.get("properties").is_some())
            .count();
        assert_eq!(objects, 11);
    }

    /// The loader's required keys are required: leaving one out is E004.
    #[test]
    fn the_loader_requires_what_the_schema_requires() {
        let cases = [
            ("name: x\n", "services"),
            ("services: { a: { entry: {} } }\n", "rps"),
            (
                "services: { a: { depends_on: [ { timeout: 1s } ] } }\n",
                "to",
            ),
            (
                "services: { a: { depends_on: [ { to: b, circuit_breaker: { threshold: 5% } } ] }, b: {} }\n",
                "open_for",
            ),
            ("services: { a: { latency: { p50: 1ms } } }\n", "p99"),
            (
                "services: { a: { autoscale: { above: 5%, delay: 1m } } }\n",
                "max_replicas",
            ),
            (
                "services: { a: { depends_on: [ { to: b, cache: { on_miss: b } } ] }, b: {} }\n",
                "hit_ratio",
            ),
        ];
        for (text, key) in cases {
            let Err(crate::error::Error::Invalid { findings, .. }) =
                crate::model::load_str(text, "t.yaml")
            else {
                panic!("{text} should be invalid");
            };
            assert!(
                findings
                    .iter()
                    .any(|f| f.code == "E004" && f.message == format!("missing key `{key}`")),
                "{text}: {findings:?}"
            );
        }
    }
}
