//! The drill's terminal console: a line editor with history and Tab
//! completion of service names (and of the diagnose game's verbs). Used
//! only when both stdin and stdout are terminals; pipes get the plain
//! console of `whatif::game::play`.
#![allow(clippy::print_stdout)]

use std::io::{self, Write};

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use whatif::game::play::Console;
use whatif::text::terminal_lines;

/// Completes the word under the cursor from a fixed list, ignoring case.
struct Words(Vec<String>);

impl Completer for Words {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = line[..pos]
            .rfind(|c: char| c == ',' || c.is_whitespace())
            .map_or(0, |i| i + 1);
        let word = line[start..pos].to_lowercase();
        let matches = self
            .0
            .iter()
            .filter(|w| w.to_lowercase().starts_with(&word))
            .cloned()
            .collect();
        Ok((start, matches))
    }
}

impl Hinter for Words {
    type Hint = String;
}
impl Highlighter for Words {}
impl Validator for Words {}
impl Helper for Words {}

/// A console on the terminal.
pub struct Terminal {
    editor: Editor<Words, DefaultHistory>,
}

impl Terminal {
    /// A terminal console completing `words` (service names, verbs).
    pub fn new(words: Vec<String>) -> io::Result<Terminal> {
        let mut editor: Editor<Words, DefaultHistory> =
            Editor::new().map_err(|e| io::Error::other(e.to_string()))?;
        editor.set_helper(Some(Words(words)));
        Ok(Terminal { editor })
    }
}

impl Console for Terminal {
    fn say(&mut self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(terminal_lines(text).as_bytes())?;
        out.flush()
    }

    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        match self.editor.readline(terminal_lines(prompt).as_ref()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.editor.add_history_entry(line.as_str());
                }
                Ok(Some(line))
            }
            // Ctrl-C and Ctrl-D end the drill, like the end of piped input.
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => Ok(None),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }
}
