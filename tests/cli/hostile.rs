//! Hostile input (SPEC §6): refused cleanly, quickly, with exit 2 and a
//! message, never a panic.

use proptest::prelude::*;

use crate::support::*;

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    file
}

fn refused(name: &str, bytes: &[u8], code_expected: &str) {
    let file = temp_file(name, bytes);
    let json = Whatif::new()
        .args(["check", "--format", "json", file.to_str().unwrap()])
        .code(2)
        .no_panic()
        .json();
    assert_eq!(json["findings"][0]["code"], code_expected, "{name}: {json}");
}

#[test]
fn alias_bomb() {
    // A billion laughs sitting under a key the format accepts as a list.
    let mut text = String::from("zones: &a0 [x, x, x, x, x, x, x, x, x]\nservices:\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("  s{i}: {{ zones: &a{i} [{refs}] }}\n"));
    }
    let file = temp_file("bomb.yaml", text.as_bytes());
    Whatif::new()
        .args(["check", file.to_str().unwrap()])
        .code(2)
        .no_panic();
}

#[test]
fn deep_nesting() {
    let text = format!(
        "services:\n  web:\n    depends_on: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused("deep.yaml", text.as_bytes(), "E005");
}

#[test]
fn binary_and_non_utf8() {
    refused(
        "junk.yaml",
        &[0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3],
        "E007",
    );
    refused("latin1.yaml", b"services:\n  caf\xe9: {}\n", "E007");
}

#[test]
fn empty_and_whitespace_files() {
    refused("empty.yaml", b"", "E006");
    refused("blank.yaml", b"\n\n   \n", "E006");
}

#[test]
fn tabs_as_indentation() {
    refused("tabs.yaml", b"services:\n\tweb: {}\n", "E008");
}

#[test]
fn huge_file_is_refused_before_parsing() {
    // A sparse file just over 256 MiB: costs no disk and no parsing.
    let file = temp_file("huge.yaml", b"");
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(256 * 1024 * 1024 + 1).unwrap();
    drop(f);
    let json = Whatif::new()
        .args(["check", "--format", "json", file.to_str().unwrap()])
        .code(2)
        .json();
    assert_eq!(json["findings"][0]["code"], "E005");
    std::fs::remove_file(&file).unwrap();
}

fn load(text: &str) {
    let _ = whatif::model::load_str(text, "prop.yaml");
}

const SEED_MODEL: &str = include_str!("../../examples/three-tier.yaml");

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text never panics the loader.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        load(&text);
    }

    /// YAML-ish text built from the model's own vocabulary never panics.
    #[test]
    fn yamlish_text_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("services:"), Just("\n  "), Just("web:"), Just(" { "), Just(" }"), Just("depends_on: ["),
        Just("]"), Just(", "), Just("db"), Just("- "), Just("to: "), Just("timeout: "), Just("250ms"),
        Just("-1"), Just("1e999"), Just("150%"), Just("fallback: "), Just("cache: "), Just("&a "), Just("*a"),
        Just("\""), Just("'"), Just("operations:"), Just("replicas: "), Just("quorum: "), Just("0"), Just("\t"),
        Just("zones: "), Just("eu.1"), Just("\n"), Just("    "), Just(": "), Just("? "), Just("!!binary "),
    ], 0..60)) {
        load(&parts.concat());
    }

    /// Mutations of a real example never panic the loader.
    #[test]
    fn mutated_examples_never_panic(at in 0usize..4000, len in 0usize..20, insert in "\\PC{0,10}") {
        let text = SEED_MODEL;
        let at = at.min(text.len());
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (at + len).min(text.len());
        let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        let mutated = format!("{}{}{}", &text[..at], insert, &text[end..]);
        load(&mutated);
    }
}
