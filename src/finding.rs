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
    /// An error finding (with its code's usual hint until given one).
    pub fn error(code: &'static str, message: impl Into<String>, pos: Option<Pos>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            pos,
            hint: usual_hint(code).map(String::from),
        }
    }

    /// A warning finding (with its code's usual hint until given one).
    pub fn warning(code: &'static str, message: impl Into<String>, pos: Option<Pos>) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            message: message.into(),
            pos,
            hint: usual_hint(code).map(String::from),
        }
    }

    /// The same finding with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same finding with a hint if there is one (else its code's
    /// usual hint stays).
    pub fn with_opt_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// Whether this finding is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// What to do about a finding whose site has nothing more particular to
/// say (no near name to suggest, say): every finding carries a hint.
fn usual_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "E000" => "check the path, and that the file is readable",
        "E010" | "E024" => {
            "name a service declared under `services:` (names are case-sensitive), or declare it"
        }
        "E021" => "write a finite number of requests per second, e.g. `250`",
        "E003" => "remove the second one, or give it a name of its own",
        "E001" => "YAML indents with spaces, writes `key: value` and lists items with `- `",
        "S017" => "remove the event, or give it a value that changes something",
        _ => match crate::codes::find(code)?.family {
            crate::codes::Family::Model => "docs/model.md gives every key, its form and its unit",
            crate::codes::Family::Scenario => "docs/timelines.md gives the scenario file's form",
            crate::codes::Family::Import => "docs/import.md says what is read and how",
            crate::codes::Family::Review => "docs/review.md explains each finding and its fix",
        },
    })
}

/// The closest candidate to `wrong` among `candidates`, if one is close
/// enough to be a likely typo ("did you mean …"). Case-insensitive.
///
/// Closeness, best first: the same word but for case, `-` for `_` or a
/// plural (`retry` → `retries`); then one slip of the keys — a letter
/// wrong, missing, extra, or two swapped (`wbe` → `web`, `cart-bd` →
/// `cart-db`); then one word the start of the other (`repl` →
/// `replicas`); then spelling: fewest edits, then Jaro–Winkler.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = wrong.to_lowercase();
    let stem = word_stem(&lower);
    // (rank, edits, score): lower rank first, then fewer edits, then
    // higher score.
    let mut best: Option<(u8, usize, f64, &'a str)> = None;
    for candidate in candidates {
        let other = candidate.to_lowercase();
        let edits = strsim::osa_distance(&lower, &other);
        let score = strsim::jaro_winkler(&lower, &other);
        let (rank, edits, score) = if word_stem(&other) == stem {
            (0, 0, 1.0)
        } else if edits == 1 && lower.chars().count() >= 2 {
            (1, edits, score)
        } else if let Some(share) = prefix_share(&lower, &other) {
            (2, 0, share)
        } else {
            if score < 0.8 && edits > 2.max(lower.chars().count() / 4) {
                continue;
            }
            (3, edits, score)
        };
        let better = best.is_none_or(|(r, e, s, _)| {
            (rank, edits) < (r, e) || ((rank, edits) == (r, e) && score > s)
        });
        if better {
            best = Some((rank, edits, score, candidate));
        }
    }
    best.map(|(_, _, _, c)| c)
}

/// A word without case, with `_` for `-`, singular: `Retries` → `retry`.
fn word_stem(lower: &str) -> String {
    let word = lower.replace('-', "_");
    if let Some(base) = word.strip_suffix("ies") {
        format!("{base}y")
    } else if let Some(base) = word.strip_suffix('s')
        && !base.ends_with('s')
        && !base.is_empty()
    {
        base.to_owned()
    } else {
        word
    }
}

/// When one word starts the other and is a fair part of it (at least three
/// characters and 40 %), how much of the longer it covers.
fn prefix_share(a: &str, b: &str) -> Option<f64> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (s, l) = (short.chars().count(), long.chars().count());
    (s >= 3 && s * 5 >= l * 2 && long.starts_with(short)).then(|| s as f64 / l as f64)
}

/// Longest name shown whole in a message; longer ones are cut with `…`.
pub const MAX_SHOWN_CHARS: usize = 80;

/// A name or value as a message shows it: at most [`MAX_SHOWN_CHARS`]
/// characters, cut with `…` (a 2,000-character key would bury the message).
/// Formats lazily, so holding one costs nothing until a message needs it.
pub fn shorten(text: &str) -> Shown<'_> {
    Shown(text)
}

/// Text shown in a message, cut to [`MAX_SHOWN_CHARS`]: see [`shorten`].
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.char_indices().nth(MAX_SHOWN_CHARS - 1) {
            Some((cut, _)) if self.0[cut..].chars().nth(1).is_some() => {
                write!(f, "{}…", &self.0[..cut])
            }
            _ => f.write_str(self.0),
        }
    }
}

/// `Some("did you mean `x`?")` when a close candidate exists.
pub fn did_you_mean_hint<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(wrong, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// A word that is none of those a field takes: the error of `FromStr` on
/// the types whose words users type (states, fault kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// The word as written.
    pub word: String,
    /// The words there are, in their usual order.
    pub words: Vec<&'static str>,
}

impl UnknownWord {
    /// `Some("did you mean `x`?")` when one of the words is close.
    pub fn hint(&self) -> Option<String> {
        did_you_mean_hint(&self.word, self.words.iter().copied())
    }
}

impl std::fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown word `{}` (one of: {})",
            self.word,
            self.words.join(", ")
        )
    }
}

impl std::error::Error for UnknownWord {}

/// The one of `values` whose word (`name`) is `word`, trimmed, in any case.
pub fn parse_word<T: Copy>(
    word: &str,
    values: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, UnknownWord> {
    let trimmed = word.trim();
    values
        .iter()
        .copied()
        .find(|&v| name(v).eq_ignore_ascii_case(trimmed))
        .ok_or_else(|| UnknownWord {
            word: word.to_owned(),
            words: values.iter().map(|&v| name(v)).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_in_any_case_and_name_the_others() {
        use crate::sim::steady::State;
        assert_eq!(" Degraded ".parse::<State>(), Ok(State::Degraded));
        let e = "dwn".parse::<State>().unwrap_err();
        assert_eq!(e.hint().as_deref(), Some("did you mean `down`?"));
        assert_eq!(
            e.to_string(),
            "unknown word `dwn` (one of: healthy, slow, degraded, down)"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["payments", "catalog", "cart"];
        assert_eq!(did_you_mean("paymnets", names), Some("payments"));
        assert_eq!(did_you_mean("Catalog", names), Some("catalog"));
        assert_eq!(did_you_mean("zzzzzzzz", names), None);
    }

    #[test]
    fn prefers_the_same_word_then_a_prefix_then_spelling() {
        let keys = [
            "to",
            "timeout",
            "retries",
            "retry_budget",
            "circuit_breaker",
            "calls",
        ];
        assert_eq!(did_you_mean("retry", keys), Some("retries"));
        assert_eq!(did_you_mean("retry-budget", keys), Some("retry_budget"));
        assert_eq!(did_you_mean("circuit", keys), Some("circuit_breaker"));
        assert_eq!(did_you_mean("timout", keys), Some("timeout"));
        assert_eq!(did_you_mean("call", keys), Some("calls"));
        let fields = ["replicas", "zones", "quorum", "queue"];
        assert_eq!(did_you_mean("repl", fields), Some("replicas"));
        assert_eq!(did_you_mean("zone", fields), Some("zones"));
    }

    /// One slip of the keys beats a name that merely shares letters or
    /// starts the same: `wbe` is `web` (not `db`), `cart-bd` is `cart-db`
    /// (not `cart`).
    #[test]
    fn one_slip_of_the_keys_beats_a_prefix_or_a_shared_letter() {
        let names = ["web", "app", "cache", "db", "lonely"];
        assert_eq!(did_you_mean("wbe", names), Some("web"));
        assert_eq!(did_you_mean("dbb", names), Some("db"));
        assert_eq!(did_you_mean("ap", names), Some("app"));
        let shop = ["web", "cart", "cart-db", "catalog", "catalog-db"];
        assert_eq!(did_you_mean("cart-bd", shop), Some("cart-db"));
        assert_eq!(did_you_mean("catalgo", shop), Some("catalog"));
    }

    #[test]
    fn long_text_is_cut_for_messages() {
        assert_eq!(shorten("web").to_string(), "web");
        let long = "é".repeat(2000);
        let shown = shorten(&long).to_string();
        assert_eq!(shown.chars().count(), MAX_SHOWN_CHARS);
        assert!(shown.ends_with('…'));
        let exact = "x".repeat(MAX_SHOWN_CHARS);
        assert_eq!(shorten(&exact).to_string(), exact);
    }
}
