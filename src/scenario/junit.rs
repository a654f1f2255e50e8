//! Scenario results as a JUnit XML report, for CI (`whatif scenario --junit`).
//!
//! One `<testsuite>` per scenario file, one `<testcase>` per expectation
//! (named like `web is degraded at 1m`), a `<failure>` for each one that
//! failed. Every name is untrusted text: it is escaped, and characters XML
//! 1.0 cannot hold at all (most control characters) are written as visible
//! `\u{…}` text. No timestamps or timings, so the same results give the
//! same bytes.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::check::Verdict;

/// Writes the report: `results` holds, per scenario file in the order to
/// show, the file's name, the scenario's title and its verdicts.
///
/// # Errors
///
/// Whatever `out` returns.
pub fn write_junit(
    out: &mut dyn Write,
    results: &[(String, String, Vec<Verdict>)],
    broken: &[Broken],
) -> io::Result<()> {
    let tests: usize = results.iter().map(|(_, _, v)| v.len()).sum();
    let failures = results
        .iter()
        .flat_map(|(_, _, v)| v)
        .filter(|v| !v.passed)
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="whatif scenarios" tests="{}" failures="{failures}" errors="{}">"#,
        tests + broken.len(),
        broken.len()
    )?;
    for (file, title, verdicts) in results {
        let failed = verdicts.iter().filter(|v| !v.passed).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" file="{}" tests="{}" failures="{failed}" errors="0" skipped="0">"#,
            escape(title),
            escape(file),
            verdicts.len()
        )?;
        for verdict in verdicts {
            let e = &verdict.expectation;
            let opening = format!(
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                escape(&e.describe()),
                escape(title),
                escape(file),
                e.pos.line
            );
            match verdict.failure() {
                None => writeln!(out, "{opening}/>")?,
                Some(why) => {
                    writeln!(out, "{opening}>")?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="expectation">{}</failure>"#,
                        escape(&why),
                        escape(&format!(
                            "{file}:{}:{}: {} — {why}",
                            e.pos.line,
                            e.pos.column,
                            e.describe()
                        ))
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    for b in broken {
        let file = escape(&b.file);
        writeln!(
            out,
            r#"  <testsuite name="{file}" file="{file}" tests="1" failures="0" errors="1" skipped="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="the scenario file loads" classname="{file}" file="{file}">"#
        )?;
        let first = b.messages.first().map_or("", String::as_str);
        writeln!(
            out,
            r#"      <error message="{}" type="invalid">{}</error>"#,
            escape(first),
            escape(&b.messages.join("\n"))
        )?;
        writeln!(out, "    </testcase>")?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// A scenario file that could not be run (unreadable, invalid, or its
/// model invalid): one JUnit error, so a CI dashboard shows it rather
/// than counting only the files that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    /// The file as given.
    pub file: String,
    /// What is wrong, one line each (`file:line:column: error[CODE]: …`).
    pub messages: Vec<String>,
}

/// Escapes text for an attribute value or element content. Tab, newline and
/// carriage return become character references (attribute values would
/// otherwise fold them to spaces); other characters XML 1.0 forbids even as
/// references become visible `\u{…}` text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Pos;
    use crate::model::ServiceId;
    use crate::scenario::{ExpectTarget, Expectation};
    use crate::sim::steady::State;

    fn verdict(written: &str, state: State, actual: State, line: u32) -> Verdict {
        Verdict {
            expectation: Expectation {
                at_s: 60.0,
                target: ExpectTarget::Service(ServiceId(0)),
                written: written.into(),
                state,
                pos: Pos::new(line, 5),
            },
            actual,
            passed: state == actual,
        }
    }

    fn render(results: &[(String, String, Vec<Verdict>)]) -> String {
        let mut out = Vec::new();
        write_junit(&mut out, results, &[]).expect("writes to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn suites_count_tests_and_failures() {
        let results = vec![
            (
                "scenarios/db.yaml".to_owned(),
                "Catalog database fails".to_owned(),
                vec![
                    verdict("web", State::Degraded, State::Degraded, 12),
                    verdict("catalog", State::Down, State::Healthy, 13),
                ],
            ),
            (
                "scenarios/empty.yaml".to_owned(),
                "Nothing".to_owned(),
                vec![],
            ),
        ];
        let xml = render(&results);
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="whatif scenarios" tests="2" failures="1" errors="0">
  <testsuite name="Catalog database fails" file="scenarios/db.yaml" tests="2" failures="1" errors="0" skipped="0">
    <testcase name="web is degraded at 1m" classname="Catalog database fails" file="scenarios/db.yaml" line="12"/>
    <testcase name="catalog is down at 1m" classname="Catalog database fails" file="scenarios/db.yaml" line="13">
      <failure message="expected down, found healthy" type="expectation">scenarios/db.yaml:13:5: catalog is down at 1m — expected down, found healthy</failure>
    </testcase>
  </testsuite>
  <testsuite name="Nothing" file="scenarios/empty.yaml" tests="0" failures="0" errors="0" skipped="0">
  </testsuite>
</testsuites>
"#;
        assert_eq!(xml, expected);
        assert_eq!(render(&results), xml, "deterministic");
    }

    #[test]
    fn hostile_names_come_out_inert() {
        let name = "<script>\"a\" & 'b'\n\t\u{1b}[31m\u{0}";
        let xml = render(&[(
            "we\"ird<&>.yaml".to_owned(),
            "]]></testsuite><x a='".to_owned(),
            vec![verdict(name, State::Down, State::Healthy, 1)],
        )]);
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(!xml.contains("</testsuite><x"), "{xml}");
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}'), "{xml}");
        assert!(
            xml.contains(
                "&lt;script&gt;&quot;a&quot; &amp; &apos;b&apos;&#10;&#9;\\u{1b}[31m\\u{0}"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"file="we&quot;ird&lt;&amp;&gt;.yaml""#),
            "{xml}"
        );
        // Every element that opens is closed, in order: a crude well-formedness check.
        let opened = xml.matches("<testcase").count();
        let closed = xml.matches("</testcase>").count() + xml.matches("\"/>").count();
        assert_eq!(opened, closed);
    }
}
