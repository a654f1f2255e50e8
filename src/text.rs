//! How values are spelled for people: durations, plain numbers, untrusted
//! text made safe for a terminal ([`terminal`]) and for XML. Pure
//! functions below the engine, so `sim`, `analysis` and `scenario` can word
//! their messages without reaching up into `render`.

use std::borrow::Cow;

/// A duration in natural units: `250ms`, `1.5s`, `5m`, `2h`, `41m40s`.
pub fn duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0s".into();
    }
    if seconds < 1.0 {
        return format!("{}ms", number(seconds * 1000.0));
    }
    if seconds < 60.0 || seconds.fract() != 0.0 {
        return format!("{}s", number(seconds));
    }
    let total = seconds as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    let mut out = String::new();
    for (value, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    out
}

/// A number without trailing zeros, at most 3 decimals.
pub fn number(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

/// A whole number with thousands separated by commas: `100,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Untrusted text made safe to print on a terminal: every character that
/// could move the cursor, start an escape sequence or reorder what is shown
/// becomes a visible escape, and everything printable is left as it is.
///
/// The one function every user-supplied string (names, titles, stories,
/// reasons, messages, echoed input, source lines) goes through on its way
/// into terminal text, so a name cannot retitle the terminal (`ESC ] 0;…`),
/// clear the screen, overwrite its line (`\r`), fake a line of its own
/// (`\n`) or run backwards (U+202E). Escapes:
///
/// - `\e` for ESC, `\r`, `\n`, `\t`, `\0`; every other control
///   character (C0, DEL, C1) as `\u{7f}`;
/// - the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
///   U+2066–U+2069), the line and paragraph separators (U+2028, U+2029)
///   and the invisible U+200B, U+2060 and U+FEFF as `\u{202e}`.
///
/// A backslash is left as it is (a name may hold one), so `a\e` typed in a
/// name and `a` followed by ESC read the same; the point is that neither
/// can act. Other formats escape for their own syntax (JSON, SVG, DOT …)
/// and do not use this.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if acts_on_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`terminal`] for text of several lines: each line escaped, the line
/// breaks kept. For consoles that print whole paragraphs of their own.
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && acts_on_terminal(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(terminal).collect();
    Cow::Owned(lines.join("\n"))
}

/// Whether a terminal would act on `c` rather than show it (a control
/// character, a bidi control, a line or paragraph separator, an invisible
/// space): what [`terminal`] escapes. Writers of other formats that may
/// be printed (the importer's YAML) escape these too, in their syntax.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Untrusted text made safe for SVG/XML text and attribute values: control
/// characters cleaned, markup characters escaped.
pub fn xml_text(s: &str) -> String {
    escape_xml(&clean(s))
}

/// Escapes the five characters with a meaning in XML text and attribute
/// values. It does not make a string valid XML on its own: see [`clean`].
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Forces untrusted text onto one line of characters XML 1.0 can carry:
/// line breaks become a visible `␤` (a name with a newline in it is worth
/// noticing), tabs become spaces, and every other control character or
/// non-character becomes `�`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('␤');
            }
            '\n' => out.push('␤'),
            '\t' => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(4_294_967_295), "4,294,967,295");
    }

    #[test]
    fn numbers_and_durations_read_naturally() {
        assert_eq!(number(1200.0), "1200");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(duration(0.3), "300ms");
        assert_eq!(duration(1.5), "1.5s");
        assert_eq!(duration(600.0), "10m");
        assert_eq!(duration(7200.0), "2h");
        assert_eq!(duration(90.0), "1m30s");
        assert_eq!(duration(2500.0), "41m40s");
        assert_eq!(duration(86_400.0), "1d");
    }

    #[test]
    fn terminal_text_shows_control_characters_as_escapes() {
        assert!(matches!(terminal("café ✓ 東京 a\\b"), Cow::Borrowed(_)));
        assert_eq!(terminal("\u{1b}]0;owned\u{7}"), "\\e]0;owned\\u{7}");
        assert_eq!(terminal("\u{1b}[2J"), "\\e[2J");
        assert_eq!(terminal("ok\rFAKE\nline\tx\0"), "ok\\rFAKE\\nline\\tx\\0");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal("\u{9b}31m \u{7f}"), "\\u{9b}31m \\u{7f}");
        assert_eq!(terminal("db\u{200b}"), "db\\u{200b}");
        assert_eq!(
            terminal("\u{2066}x\u{2069}\u{feff}"),
            "\\u{2066}x\\u{2069}\\u{feff}"
        );
        // Emoji sequences keep their joiners; escaping twice changes nothing.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(terminal(family), family);
        let once = terminal("\u{1b}[31mred\r").into_owned();
        assert_eq!(terminal(&once), once);
    }

    #[test]
    fn terminal_lines_keep_their_breaks() {
        assert_eq!(terminal_lines("a\nb\u{1b}c\n"), "a\nb\\ec\n");
        assert!(matches!(terminal_lines("one\ntwo"), Cow::Borrowed(_)));
    }

    #[test]
    fn xml_text_is_one_inert_line() {
        assert_eq!(xml_text("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_text("x\r\ny\tz\u{7}"), "x␤y z\u{FFFD}");
    }
}
