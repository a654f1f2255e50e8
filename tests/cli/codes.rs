//! The catalogue of finding codes (`whatif::codes`) against the docs, the
//! sources and the fixtures: every code is documented, every documented
//! code exists, every code literal in the sources is catalogued, and every
//! code has a fixture pinning where it is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::*;
use whatif::analysis::lints::REGISTRY;
use whatif::codes::{self, Family};

/// Whether `s` is spelled like a code: a capital E, W, S or R and three digits.
fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4
        && matches!(b[0], b'E' | b'W' | b'S' | b'R')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// Files under `dir` (recursively) whose names end with `ext`.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files(&p, ext));
        } else if p.to_string_lossy().ends_with(ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The docs: the README and every page under `docs/`.
fn doc_pages() -> Vec<PathBuf> {
    let mut pages = vec![path("README.md")];
    pages.extend(files(&path("docs"), ".md"));
    pages
}

/// Codes in the docs' tables (a cell holding only a code), each with the
/// cell after it (a lint's level) and where it was found.
fn documented() -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for page in doc_pages() {
        let text = std::fs::read_to_string(&page).expect("doc readable");
        for (n, line) in text.lines().enumerate() {
            if !line.trim_start().starts_with('|') {
                continue;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            for (i, cell) in cells.iter().enumerate() {
                if is_code(cell) {
                    let next = cells.get(i + 1).copied().unwrap_or_default().to_owned();
                    let at = format!("{}:{}", page.display(), n + 1);
                    out.insert((*cell).to_owned(), (next, at));
                }
            }
        }
    }
    out
}

/// Code literals (`"E010"`) in the library and binary sources, outside
/// their test modules (which sit at the bottom of each file).
fn in_sources() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in files(&path("src"), ".rs") {
        let text = std::fs::read_to_string(&file).expect("source readable");
        let code_part = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code_part.lines().enumerate() {
            for (i, _) in line.match_indices('"') {
                if let Some(candidate) = line.get(i + 1..i + 5)
                    && is_code(candidate)
                    && line.get(i + 5..i + 6) == Some("\"")
                {
                    out.entry(candidate.to_owned())
                        .or_insert_with(|| format!("{}:{}", file.display(), n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn every_code_is_documented_and_every_documented_code_exists() {
    let catalogue: BTreeSet<String> = codes::all().iter().map(|c| c.code.to_owned()).collect();
    let docs = documented();
    let undocumented: Vec<&String> = catalogue
        .iter()
        .filter(|c| !docs.contains_key(*c))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes missing from the docs' code tables: {undocumented:?}"
    );
    let unknown: Vec<String> = docs
        .iter()
        .filter(|(c, _)| !catalogue.contains(*c))
        .map(|(c, (_, at))| format!("{c} ({at})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "documented codes whatif does not have: {unknown:?}"
    );
    for rule in REGISTRY {
        let (level, at) = &docs[rule.code];
        assert_eq!(level, rule.level.as_str(), "level of {} at {at}", rule.code);
    }
}

#[test]
fn every_code_in_the_sources_is_catalogued() {
    let found = in_sources();
    for known in ["E001", "E010", "W001", "S004", "E040", "R001"] {
        assert!(
            found.contains_key(known),
            "the scan misses {known}: {found:?}"
        );
    }
    let missing: Vec<String> = found
        .into_iter()
        .filter(|(c, _)| codes::find(c).is_none())
        .map(|(c, at)| format!("{c} ({at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "codes reported but not in src/codes.rs: {missing:?}"
    );
}

#[test]
fn every_code_has_a_fixture() {
    let dir = |family| match family {
        Family::Model => "tests/fixtures/invalid",
        Family::Scenario => "tests/fixtures/scenarios/invalid",
        Family::Import => "tests/fixtures/import/invalid",
        Family::Review => "tests/fixtures/lints",
    };
    // A file that cannot be read cannot be a fixture: pinned below. A
    // scenario past the event limit would be a thousand events long: its
    // test in src/scenario/load.rs writes one. S017 is a warning (the
    // scenario still loads): a unit test there pins it.
    let elsewhere = ["E000", "S016", "S017"];
    let mut missing = Vec::new();
    for c in codes::all() {
        let has = files(&path(dir(c.family)), ".yaml").iter().any(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{}-", c.code)))
        });
        if !has && !elsewhere.contains(&c.code) {
            missing.push(format!("{} (in {})", c.code, dir(c.family)));
        }
    }
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn an_unreadable_model_is_e000() {
    let j = Whatif::new()
        .args([
            "check",
            "--format",
            "json",
            "tests/fixtures/no-such-model.yaml",
        ])
        .code(2)
        .json();
    assert_eq!(j["findings"][0]["code"], "E000");
    // Every key is there; what is not known is null.
    assert!(j["findings"][0]["line"].is_null());
    assert!(j["findings"][0]["column"].is_null());
    assert!(j["findings"][0]["hint"].is_string());
}

/// Every finding of `check --format json` has a code, a position and a
/// hint, also where no near name makes a did-you-mean.
#[test]
fn every_json_finding_has_a_position_and_a_hint() {
    let dir = temp_dir("hints");
    let model = dir.path().join("m.yaml");
    std::fs::write(
        &model,
        "services:
  web:
    entry: { rps: 100 }
    depends_on:
      - zzzzqqqq
      - { to: db, fallback: { to: xxxxyyyy } }
  db: {}
",
    )
    .unwrap();
    let j = Whatif::new()
        .args(["check", "--format", "json"])
        .args([&model])
        .code(2)
        .json();
    let findings = j["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"E010") && codes.contains(&"E024"),
        "{codes:?}"
    );
    for f in findings {
        for key in [
            "code", "column", "file", "hint", "line", "message", "severity",
        ] {
            assert!(f.get(key).is_some_and(|v| !v.is_null()), "{key} of {f}");
        }
    }
}
