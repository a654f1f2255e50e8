//! Findings as text (with the source line and a caret, like a compiler) and
//! as JSON. In text, the file name, messages, hints and source lines pass
//! through [`terminal`]: a model's names and bytes are its author's.

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::text::terminal;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Whether to emit escape codes.
    pub enabled: bool,
}

impl Palette {
    /// Wraps `text` in an SGR code when colour is on.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Writes findings for one file, compiler style:
///
/// ```text
/// error[E010]: service `web` depends on unknown service `paymnets`
///   --> shop.yaml:12:9
///    |
/// 12 |       - paymnets
///    |         ^
///    = hint: did you mean `payments`?
/// ```
pub fn write_text(
    out: &mut dyn Write,
    file: &str,
    source: &str,
    findings: &[Finding],
    palette: Palette,
) -> io::Result<()> {
    // The lines are indexed only when a finding points into them (a valid
    // 100,000-service model has 400,000 lines and nothing to show).
    let lines: Vec<&str> = if findings.iter().any(|f| f.pos.is_some()) {
        source.lines().collect()
    } else {
        Vec::new()
    };
    let file = terminal(file);
    for f in findings {
        let (word, code) = match f.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        writeln!(
            out,
            "{}: {}",
            palette.paint(code, &format!("{word}[{}]", f.code)),
            palette.paint("1", &terminal(&f.message))
        )?;
        let hint = f.hint.as_deref().map(terminal);
        match f.pos {
            Some(pos) => {
                writeln!(out, "  --> {file}:{}:{}", pos.line, pos.column)?;
                if let Some(line) = lines.get(pos.line.saturating_sub(1) as usize) {
                    let number = pos.line.to_string();
                    let pad = " ".repeat(number.len());
                    let (shown, caret_at) = snippet(line, pos.column.saturating_sub(1) as usize);
                    writeln!(out, "{pad} |")?;
                    writeln!(out, "{number} | {shown}")?;
                    writeln!(
                        out,
                        "{pad} | {}{}",
                        " ".repeat(caret_at),
                        palette.paint(code, "^")
                    )?;
                    if let Some(hint) = &hint {
                        writeln!(out, "{pad} = hint: {hint}")?;
                    }
                    continue;
                }
            }
            None => writeln!(out, "  --> {file}")?,
        }
        if let Some(hint) = &hint {
            writeln!(out, "  = hint: {hint}")?;
        }
    }
    Ok(())
}

/// Longest source line shown whole under a finding.
pub const MAX_SNIPPET_CHARS: usize = 200;

/// The source line as shown under a finding, and the caret's offset in it:
/// control characters blanked, and a line longer than
/// [`MAX_SNIPPET_CHARS`] cut to a window around the column, with `…` where
/// it was cut (a generated file's one 2 MB line must not flood the terminal).
fn snippet(line: &str, column: usize) -> (String, usize) {
    // Each character as the terminal should show it (a tab as one space,
    // so the caret stays under its column; control characters visible).
    let cells: Vec<String> = line
        .chars()
        .map(|c| match c {
            '\t' => " ".to_owned(),
            c => terminal(c.encode_utf8(&mut [0; 4])).into_owned(),
        })
        .collect();
    let width = |cells: &[String]| cells.iter().map(|c| c.chars().count()).sum::<usize>();
    let column = column.min(cells.len());
    if cells.len() <= MAX_SNIPPET_CHARS {
        return (cells.concat(), width(&cells[..column]));
    }
    let before = MAX_SNIPPET_CHARS / 3;
    let start = column.saturating_sub(before);
    let end = (start + MAX_SNIPPET_CHARS).min(cells.len());
    let start = end.saturating_sub(MAX_SNIPPET_CHARS).min(start);
    let mut shown = String::new();
    let mut caret = width(&cells[start..column]);
    if start > 0 {
        shown.push('…');
        caret += 1;
    }
    shown.push_str(&cells[start..end].concat());
    if end < cells.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// One finding in JSON, with its file. Every key is always there: a
/// position or hint that is not known (a file that cannot be read has no
/// line) is `null`.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    column: Option<u32>,
    file: &'a str,
    hint: Option<&'a str>,
    line: Option<u32>,
    message: &'a str,
    severity: crate::finding::Severity,
    #[serde(skip)]
    finding: &'a Finding,
}

impl<'a> JsonFinding<'a> {
    fn new(file: &'a str, finding: &'a Finding) -> JsonFinding<'a> {
        JsonFinding {
            code: finding.code,
            column: finding.pos.map(|p| p.column),
            file,
            hint: finding.hint.as_deref(),
            line: finding.pos.map(|p| p.line),
            message: &finding.message,
            severity: finding.severity,
            finding,
        }
    }
}

/// The JSON report of `check`: every finding of every file, and counts.
pub fn write_json(out: &mut dyn Write, files: &[(String, Vec<Finding>)]) -> io::Result<()> {
    let findings: Vec<JsonFinding> = files
        .iter()
        .flat_map(|(file, fs)| {
            fs.iter()
                .map(move |finding| JsonFinding::new(file, finding))
        })
        .collect();
    let errors = findings.iter().filter(|f| f.finding.is_error()).count();
    let warnings = findings.len() - errors;
    let report = serde_json::json!({
        "files": files.iter().map(|(f, fs)| serde_json::json!({
            "file": f,
            "valid": !fs.iter().any(Finding::is_error),
        })).collect::<Vec<_>>(),
        "findings": findings,
        "summary": { "errors": errors, "warnings": warnings },
    });
    super::write_json_pretty(out, &report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Pos;

    #[test]
    fn text_shows_line_caret_and_hint() {
        let source = "services:\n  web:\n    depends_on: [paymnets]\n";
        let f = Finding::error(
            "E010",
            "service `web` depends on unknown service `paymnets`",
            Some(Pos::new(3, 18)),
        )
        .with_hint("did you mean `payments`?");
        let mut out = Vec::new();
        write_text(
            &mut out,
            "shop.yaml",
            source,
            &[f],
            Palette { enabled: false },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "error[E010]: service `web` depends on unknown service `paymnets`\n  --> shop.yaml:3:18\n  |\n3 |     depends_on: [paymnets]\n  |                  ^\n  = hint: did you mean `payments`?\n"
        );
    }
}
