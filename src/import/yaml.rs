//! Writing a [`Draft`] as model YAML by hand (the format is small), with
//! every name quoted when it could be read as anything but itself and every
//! comment kept on one line.

use std::borrow::Cow;
use std::fmt::Write;

use super::{Draft, DraftDep, DraftService, Format};

/// Comments start at this column when the line leaves room.
const COMMENT_COLUMN: usize = 40;

/// Placeholder traffic written on guessed entry points, to be replaced.
pub const PLACEHOLDER_RPS: u32 = 100;

/// A name as a YAML scalar that reads back as exactly that string: plain
/// when it is a simple word (`web`, `orders-db`, `team_a.api`), double-quoted
/// with escapes otherwise — colons, `#`, quotes, a leading `-`, spaces,
/// newlines, numbers (`404`) and words YAML 1.1 reads as booleans or null
/// (`no`, `on`, `null`) all get quotes.
pub fn quote(name: &str) -> Cow<'_, str> {
    const RESERVED: [&str; 9] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
    if plain {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            // Bidi controls and invisible spaces are printable to YAML, but
            // the model is often read on a terminal: escaped, they read back
            // the same and cannot reorder or hide what is shown.
            c if yaml_printable(c) && !crate::text::acts_on_terminal(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// YAML 1.2's printable set (what may appear unescaped in a quoted scalar),
/// less the tab and line breaks, which are escaped anyway.
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x1_0000..)
}

/// Text kept on one line (for a YAML comment, or a note on a terminal):
/// line breaks and other control or invisible characters are shown as
/// escapes (`\u{a}`) instead of ending the line or moving the cursor.
pub fn one_line(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| !yaml_printable(c) || crate::text::acts_on_terminal(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Appends `line` and, when given, a comment aligned at [`COMMENT_COLUMN`].
fn line(out: &mut String, line: &str, comment: Option<&str>) {
    out.push_str(line);
    if let Some(comment) = comment {
        let width = line.chars().count();
        let pad = if width + 2 <= COMMENT_COLUMN {
            COMMENT_COLUMN - width
        } else {
            2
        };
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str("# ");
        out.push_str(&one_line(comment));
    }
    out.push('\n');
}

/// Appends a comment on a line of its own.
fn comment(out: &mut String, indent: &str, text: &str) {
    let _ = writeln!(out, "{indent}# {}", one_line(text));
}

/// The model as YAML text.
pub fn write(draft: &Draft) -> String {
    let mut out = String::new();
    write_header(&mut out, draft);
    let _ = writeln!(out, "name: {}", quote(&draft.name));
    out.push_str(concat!(
        "# Timeouts and retries: the input does not say. Uncomment and set yours,\n",
        "# or set them per dependency; without a timeout a caller waits forever\n",
        "# on a hung dependency (`whatif review` flags each one).\n",
        "# defaults:\n",
        "#   timeout: 1s                         # TODO: your clients' timeout\n",
        "#   retries: 0                          # TODO: your clients' retries\n",
    ));
    out.push_str("services:\n");
    for (i, service) in draft.services.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_service(&mut out, draft, service);
    }
    out
}

fn write_header(out: &mut String, draft: &Draft) {
    let what = match draft.format {
        Format::Compose => "which services talk to which,",
        Format::Backstage => "which components depend on which,",
    };
    comment(
        out,
        "",
        &format!(
            "Imported by `whatif import` from the {} `{}`.",
            draft.format.describe(),
            draft.file
        ),
    );
    for text in [
        &format!("A starting point: the input says {what}"),
        "not how much traffic they take, how many replicas run in production",
        "or how long a caller waits. Before trusting a cascade:",
        "  - fill in every `TODO` (entry traffic, replicas, capacity, latency);",
        "  - set timeouts and retries (see `defaults:` below);",
        "  - dependencies are hard (their failure fails the caller): add",
        "    `criticality: soft` where the caller survives without one;",
        "  - check every line marked `guessed`: fix it or delete it.",
        "Then: whatif check FILE; whatif spof FILE; whatif review FILE",
    ] {
        comment(out, "", text);
    }
    if !draft.header.is_empty() {
        out.push_str("#\n");
        for text in &draft.header {
            comment(out, "", text);
        }
    }
    if !draft.warnings.is_empty() {
        out.push_str("#\n");
        for w in &draft.warnings {
            comment(out, "", &format!("WARNING: {w}"));
        }
    }
    if !draft.cycles.is_empty() {
        out.push_str("#\n");
        comment(
            out,
            "",
            "Dependency cycles kept from the input (`whatif check` warns, W001):",
        );
        for cycle in &draft.cycles {
            comment(out, "", &format!("  {}", cycle.join(" → ")));
        }
    }
}

fn write_service(out: &mut String, draft: &Draft, service: &DraftService) {
    line(
        out,
        &format!("  {}:", quote(&service.name)),
        Some(&service.origin),
    );
    if let Some((kind, why)) = &service.kind {
        line(out, &format!("    kind: {kind}"), Some(why));
    }
    if let Some(why) = &service.entry {
        line(
            out,
            &format!("    entry: {{ rps: {PLACEHOLDER_RPS} }}"),
            Some(&format!(
                "TODO: placeholder rate; set the peak requests/s ({why})"
            )),
        );
    }
    match &service.replicas {
        Some((n, why)) => line(out, &format!("    replicas: {n}"), Some(why)),
        None => line(
            out,
            "    replicas: 1",
            Some("TODO: how many run in production?"),
        ),
    }
    if let Some(aside) = &service.aside {
        comment(
            out,
            "    ",
            &format!(
                "guessed: {aside}, not on the users' path (no entry point, not counted as a caller)"
            ),
        );
    }
    for todo in &service.todo {
        comment(out, "    ", &format!("TODO: {todo}"));
    }
    comment(
        out,
        "    ",
        "TODO: capacity (requests/s per replica), latency (own work per request)",
    );
    if service.deps.is_empty() {
        return;
    }
    comment(
        out,
        "    ",
        "TODO: per dependency: timeout, retries; `criticality: soft` if this service survives without it",
    );
    out.push_str("    depends_on:\n");
    for dep in &service.deps {
        write_dependency(out, draft, &service.name, dep);
    }
}

fn write_dependency(out: &mut String, draft: &Draft, caller: &str, dep: &DraftDep) {
    let to = quote(&draft.services[dep.to].name);
    let mut policies = Vec::new();
    if dep.startup {
        policies.push("phase: startup");
    }
    if dep.soft {
        policies.push("criticality: soft");
    }
    let item = if policies.is_empty() {
        format!("      - {to}")
    } else {
        format!("      - {{ to: {to}, {} }}", policies.join(", "))
    };
    let mut why = dep.why.join("; ");
    if matches!(draft.services[dep.to].kind, Some(("queue", _))) && !dep.startup {
        // The one way to model a consumer (docs/model.md, "Queues and their
        // consumers"): the broker hands work to it over an async edge, so
        // the consumer receives the broker's traffic. A consumer that
        // "depends on" its broker would receive none.
        why.push_str(&format!(
            "; TODO: if this service consumes from it, delete this line and add `{{ to: {}, mode: async }}` under {}; if it publishes without waiting, make this edge `mode: async`",
            quote(caller),
            quote(&draft.services[dep.to].name),
        ));
    }
    line(out, &item, Some(&why));
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::load_str;

    /// Loads a model whose services are `name` and a caller of it; returns
    /// the first service's name as the loader read it.
    fn round_trip(name: &str) -> String {
        let q = quote(name);
        let other = if name == "caller" {
            "caller2"
        } else {
            "caller"
        };
        let text = format!(
            "name: {q}\nservices:\n  {q}: {{}}\n  {other}:\n    depends_on:\n      - {q}\n      - {{ to: {q}, phase: startup }}  # {}\n",
            one_line(name)
        );
        let loaded =
            load_str(&text, "t.yaml").unwrap_or_else(|e| panic!("{name:?} → {text}: {e:?}"));
        assert_eq!(loaded.model.name, name, "{text}");
        loaded.model.services()[0].name.clone()
    }

    #[test]
    fn plain_only_when_safe() {
        assert_eq!(quote("web"), "web");
        assert_eq!(quote("orders-db"), "orders-db");
        assert_eq!(quote("team_a.api/v2"), "team_a.api/v2");
        for hostile in [
            "no", "Yes", "ON", "null", "404", "1e3", "-x", "a: b", "a #b", "", " x", ".5",
        ] {
            assert!(quote(hostile).starts_with('"'), "{hostile}");
        }
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }

    #[test]
    fn hostile_names_round_trip_through_the_loader() {
        for name in [
            "web",
            "no",
            "yes",
            "off",
            "~",
            "null",
            "404",
            "0x1F",
            "1.5",
            ".inf",
            "-leading-dash",
            "- item",
            "a: b",
            "key:value",
            "# not a comment",
            "x # y",
            "quote \" inside",
            "'single'",
            "back\\slash",
            "multi\nline",
            "tab\there",
            "cr\rlf",
            "nel\u{85}ls\u{2028}ps\u{2029}",
            "bom\u{feff}",
            "bell\u{7}del\u{7f}",
            "{ braces }",
            "[list]",
            "&anchor",
            "*alias",
            "!tag",
            "%directive",
            "@at",
            "`tick`",
            "|block",
            ">folded",
            "trailing space ",
            "component:default/orders",
            "ünïcödé ✓ 🚀",
            "a.b",
        ] {
            assert_eq!(round_trip(name), name);
        }
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(one_line("plain"), "plain");
        let c = one_line("a\nb\rc\u{2028}d\u{feff}");
        assert!(!c.contains(['\n', '\r', '\u{2028}', '\u{feff}']), "{c}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_name_round_trips(name in "\\PC{1,12}|[\\x00-\\x7f]{1,8}") {
            prop_assume!(!name.is_empty());
            prop_assert_eq!(round_trip(&name), name);
        }
    }
}
