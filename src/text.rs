//! How values are spelled for people: durations, plain numbers and
//! untrusted names made safe for XML. Pure functions below the engine, so
//! `sim`, `analysis` and `scenario` can word their messages without
//! reaching up into `render`.

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
    fn xml_text_is_one_inert_line() {
        assert_eq!(xml_text("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_text("x\r\ny\tz\u{7}"), "x␤y z\u{FFFD}");
    }
}
