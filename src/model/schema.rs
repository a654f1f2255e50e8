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
