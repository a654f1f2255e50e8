//! Text fitted to a width (a terminal's): long names are cut with `…`,
//! prose is wrapped under its column, numbers are never cut. Every text
//! writer takes the width as a plain `Option<usize>`; `None` means no limit,
//! which the command line gives to piped output and files, so scripts and
//! snapshots always see every byte. Widths count characters.

use std::borrow::Cow;

/// Below this many characters a wrapped column is not worth keeping: the
/// text starts further left instead.
const NARROWEST: usize = 16;

/// `text` cut to at most `max` characters, the last of them `…` when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.chars().count() <= max {
        return Cow::Borrowed(text);
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

/// A name in a column `column` characters wide, padded to it. Without a
/// line width (`room` is `None`: piped output, files) it is never cut; on
/// a terminal it is cut only to `room`, what the line leaves it beside the
/// other columns, so a name longer than its column pushes that row's
/// figures right rather than lose characters the line has room for.
pub fn cell(name: &str, column: usize, room: Option<usize>) -> String {
    let shown = match room {
        Some(room) => truncate(name, room.max(column)),
        None => Cow::Borrowed(name),
    };
    format!("{shown:<column$}")
}

/// The width of a column of names whose longest is `natural` characters,
/// when the other columns of the line take `rest`: as wide as it needs, no
/// wider than the line leaves, never below `min` (numbers are never cut,
/// so on a very narrow terminal the line runs over instead).
pub fn column(natural: usize, rest: usize, width: Option<usize>, min: usize) -> usize {
    match width {
        Some(w) => natural.min(w.saturating_sub(rest)).max(min.min(natural)),
        None => natural,
    }
}

/// `text` wrapped at spaces: the first line has `width − first` characters
/// (the caller has written `first` already), the next ones start with
/// `indent` spaces. When the first line or the column is too narrow to be
/// worth it, the text starts on the next line, or further left. A word
/// longer than a line is split. Unchanged when `width` is `None`. No
/// trailing newline.
pub fn wrap(text: &str, first: usize, indent: usize, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_owned();
    };
    let indent = if width >= indent + NARROWEST {
        indent
    } else {
        indent.min(4)
    };
    let rest_room = width.saturating_sub(indent).max(1);
    let mut lines: Vec<String> = vec![String::new()];
    let mut room = width.saturating_sub(first);
    if room < NARROWEST.min(rest_room) {
        lines.push(String::new());
        room = rest_room;
    }
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut chars: Vec<char> = word.chars().collect();
        while !chars.is_empty() {
            let line = lines.last_mut().expect("one line at least");
            let len = line.chars().count();
            if len + usize::from(len > 0) + chars.len() <= room {
                if len > 0 {
                    line.push(' ');
                }
                line.extend(chars.drain(..));
            } else if len > 0 {
                lines.push(String::new());
                room = rest_room;
            } else {
                // A word longer than a whole line: split it.
                let cut = room.clamp(1, chars.len());
                line.extend(chars.drain(..cut));
                if !chars.is_empty() {
                    lines.push(String::new());
                    room = rest_room;
                }
            }
        }
    }
    let pad = " ".repeat(indent);
    lines.join(&format!("\n{pad}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("catalog-db", 20), "catalog-db");
        assert_eq!(truncate("catalog-db", 10), "catalog-db");
        assert_eq!(truncate("catalog-db", 8), "catalog…");
        assert_eq!(truncate("zürich-zone", 4), "zür…");
        assert_eq!(truncate("abc", 1), "…");
    }

    #[test]
    fn a_cell_is_cut_only_when_the_line_has_no_room() {
        let long = "a-service-name-longer-than-its-column";
        assert_eq!(cell("db", 6, None), "db    ");
        assert_eq!(cell(long, 10, None), long);
        assert_eq!(cell(long, 10, Some(200)), long);
        assert_eq!(cell(long, 10, Some(12)), "a-service-n…");
        assert_eq!(cell(long, 10, Some(4)), "a-service…");
    }

    #[test]
    fn columns_shrink_to_the_line_but_not_below_a_minimum() {
        assert_eq!(column(30, 40, None, 8), 30);
        assert_eq!(column(30, 40, Some(100), 8), 30);
        assert_eq!(column(30, 40, Some(60), 8), 20);
        assert_eq!(column(30, 40, Some(30), 8), 8);
        assert_eq!(column(5, 40, Some(30), 8), 5);
    }

    #[test]
    fn prose_wraps_under_its_column() {
        let text = "hard dependency catalog is degraded (19% of calls fail)";
        assert_eq!(wrap(text, 0, 0, None), text);
        let wrapped = wrap(text, 10, 10, Some(40));
        assert_eq!(
            wrapped,
            "hard dependency catalog is\n          degraded (19% of calls fail)"
        );
        for (k, line) in wrapped.lines().enumerate() {
            assert!(line.chars().count() + if k == 0 { 10 } else { 0 } <= 40);
        }
        assert_eq!(wrap("abcdefghij", 0, 2, Some(6)), "abcdef\n  ghij");
    }

    #[test]
    fn a_deep_column_wraps_further_left() {
        let wrapped = wrap("one two three four five six", 50, 50, Some(60));
        assert_eq!(wrapped, "\n    one two three four five six");
    }
}
