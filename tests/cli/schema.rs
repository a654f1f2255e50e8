//! The committed JSON Schema matches the one the binary prints.

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
