//! Findings: what validation (and later analysis) reports about a file,
//! each with a stable code, a severity, a position and a hint.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The model cannot be used (exit 2).
    Error,
    /// The model works but something deserves a look (`--strict`: exit 1).
    Warning,
}

/// A line and column in a source file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1 (in characters).
    pub column: u32,
}

impl Pos {
    /// A position.
    pub fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code: `E…` for errors, `W…` for warnings. Documented in the README.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One lower-case sentence, names in backticks.
    pub message: String,
    /// Where, when known.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub pos: Option<Pos>,
    /// What to do about it (a did-you-mean, the expected form …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    /// An error finding.
    pub fn error(code: &'static str, message: impl Into<String>, pos: Option<Pos>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            pos,
            hint: None,
        }
    }

    /// A warning finding.
    pub fn warning(code: &'static str, message: impl Into<String>, pos: Option<Pos>) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            message: message.into(),
            pos,
            hint: None,
        }
    }

    /// The same finding with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same finding with an optional hint.
    pub fn with_opt_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Whether this finding is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The closest candidate to `wrong` among `candidates`, if one is close
/// enough to be a likely typo ("did you mean …"). Case-insensitive.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = wrong.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&lower, &candidate.to_lowercase());
        let distance = strsim::levenshtein(&lower, &candidate.to_lowercase());
        let close = score >= 0.8 || distance <= 2.max(lower.chars().count() / 4);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `Some("did you mean `x`?")` when a close candidate exists.
pub fn did_you_mean_hint<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(wrong, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["payments", "catalog", "cart"];
        assert_eq!(did_you_mean("paymnets", names), Some("payments"));
        assert_eq!(did_you_mean("Catalog", names), Some("catalog"));
        assert_eq!(did_you_mean("zzzzzzzz", names), None);
    }
}
