//! The docs show real output: every fenced block in `README.md` and
//! `docs/*.md` whose first line starts with `$ ` is a transcript, and this
//! test runs it and compares.
//!
//! A transcript block holds one or more commands, each a line starting
//! with `$ ` (continued on the next line after a trailing ` \`), followed by
//! what it printed. A command is `whatif ARGS…`, optionally preceded by
//! `NAME=value` environment settings and by `printf 'INPUT' |` for standard
//! input, or `echo $?`, which prints the previous command's exit status.
//!
//! Where it runs: the working directory is the repository's root, as the
//! guide says. Each block gets a scratch directory whose entries link to
//! the repository's top-level files and folders, so `examples/…` and
//! `scenarios/…` resolve as from the root while files a command writes
//! (`-o shop.yaml`) land in the scratch directory; later commands of the
//! same block see them. The binary is the one `cargo test` just built.
//!
//! How it runs: as the tests' builder runs whatif, piped, with an emptied
//! environment (`PATH` and `NO_COLOR=1` only, so no `COLUMNS` or colour
//! from the developer's shell; `TMPDIR` is the scratch directory), and
//! standard error merged into standard output in the order written, as a
//! terminal shows them. Trailing spaces are not compared (editors drop
//! them). Output that names the scratch directory is refused as
//! machine-dependent; a command gets two minutes. A command that exits
//! non-zero must be followed by `echo $?`, so a block never shows an error
//! without saying so.
//!
//! `WHATIF_UPDATE_DOCS=1 cargo test --test cli docs` rewrites every block
//! with the output of today's build instead of failing (never under `CI`),
//! adding `echo $?` after a command that now fails. Read the diff before
//! committing it: the prose around a block must still say what the block
//! shows. A block that cannot run at all (a command the harness does not
//! understand, a path of this machine) fails in both modes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// The pages whose transcripts are checked: the README and `docs/*.md`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![path("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(path("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// A fenced code block: its content lines (the fence's indentation
/// removed) and where they sit in the page.
struct Block {
    /// Index (from 0) of the first content line in the page's lines.
    first: usize,
    /// Number of content lines.
    len: usize,
    /// The fence's indentation, put back when the block is rewritten.
    indent: String,
    lines: Vec<String>,
}

/// Every fenced block of a page (backtick or tilde fences, indented or not).
fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let Some(c) = fence_char else {
            i += 1;
            continue;
        };
        let fence_len = trimmed.chars().take_while(|x| *x == c).count();
        if fence_len < 3 {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() {
            let t = lines[j].trim();
            if t.len() >= fence_len && t.chars().all(|x| x == c) {
                break;
            }
            j += 1;
        }
        let content = lines[i + 1..j.min(lines.len())]
            .iter()
            .map(|l| l.strip_prefix(indent).unwrap_or(l.trim_start()).to_owned())
            .collect();
        out.push(Block {
            first: i + 1,
            len: j.min(lines.len()) - (i + 1),
            indent: indent.to_owned(),
            lines: content,
        });
        i = j + 1;
    }
    out
}

/// One command of a transcript, as written, and the output shown under it.
struct Step {
    /// The command's lines as written (continuations included).
    written: Vec<String>,
    /// The command with continuations joined, without the `$ `.
    command: String,
    /// The output lines shown.
    shown: Vec<String>,
}

/// The steps of a transcript block.
fn steps(block: &Block) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < block.lines.len() {
        let line = &block.lines[i];
        if let Some(rest) = line.strip_prefix("$ ") {
            let mut written = vec![line.clone()];
            let mut command = rest.to_owned();
            while command.ends_with('\\') && i + 1 < block.lines.len() {
                command.pop();
                i += 1;
                written.push(block.lines[i].clone());
                command.push(' ');
                command.push_str(block.lines[i].trim());
            }
            out.push(Step {
                written,
                command,
                shown: Vec::new(),
            });
        } else if let Some(step) = out.last_mut() {
            step.shown.push(line.clone());
        }
        i += 1;
    }
    out
}

/// Splits a command line into words as a POSIX shell does, for the
/// quoting the docs use: single quotes, double quotes (with `\"`, `\\`,
/// `\$`) and backslash escapes. A bare `|` is its own word.
fn words(command: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err(format!("unclosed ' in `{command}`")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err(format!("unclosed \" in `{command}`")),
                        },
                        Some(x) => word.push(x),
                        None => return Err(format!("unclosed \" in `{command}`")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    word.push(x);
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// What printf makes of a format without conversions: `\n`, `\t`, `\\`
/// and `%%`.
fn printf(format: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                other => return Err(format!("printf escape \\{other:?} is not supported")),
            },
            '%' => match chars.next() {
                Some('%') => out.push('%'),
                _ => return Err("printf conversions are not supported".to_owned()),
            },
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// A command the test can run.
enum Runnable {
    /// `echo $?`.
    Status,
    /// `[NAME=value…] [printf 'INPUT' |] whatif ARGS…`.
    Whatif {
        env: Vec<(String, String)>,
        stdin: Option<String>,
        args: Vec<String>,
    },
}

fn parse(command: &str) -> Result<Runnable, String> {
    let mut w = words(command)?;
    if w == ["echo", "$?"] {
        return Ok(Runnable::Status);
    }
    let mut env = Vec::new();
    while let Some((name, value)) = w.first().and_then(|x| x.split_once('='))
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    {
        env.push((name.to_owned(), value.to_owned()));
        w.remove(0);
    }
    let mut stdin = None;
    if w.first().is_some_and(|x| x == "printf") {
        if w.len() < 3 || w[2] != "|" {
            return Err(format!(
                "expected `printf 'INPUT' | whatif …` in `{command}`"
            ));
        }
        stdin = Some(printf(&w[1])?);
        w.drain(..3);
    }
    if w.first().is_none_or(|x| x != "whatif") {
        return Err(format!(
            "`{command}`: a transcript runs `whatif …` (with optional `NAME=value` and `printf '…' |` before it) or `echo $?`"
        ));
    }
    if let Some(bad) = w
        .iter()
        .find(|x| ["|", ">", ">>", "<", "&&", ";"].contains(&x.as_str()))
    {
        return Err(format!(
            "`{command}`: `{bad}` is not supported in a transcript"
        ));
    }
    Ok(Runnable::Whatif {
        env,
        stdin,
        args: w[1..].to_vec(),
    })
}

/// A scratch directory that looks like the repository root: one symbolic
/// link per top-level entry (but `target` and hidden ones).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("scratch directory");
    for entry in std::fs::read_dir(root()).expect("repository readable") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text.starts_with('.') || name_text == "target" {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.path().join(&name)).expect("link");
    }
    dir
}

/// How long one command may run before the test gives up on it.
const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(120);

/// What one command printed (standard output and error merged, trailing
/// spaces dropped from each line) and its exit status.
struct Printed {
    lines: Vec<String>,
    code: i32,
}

/// Runs `whatif` as a user at a terminal would see it, but piped: standard
/// output and standard error into one pipe, in the order written. The
/// environment is cleared but for `PATH`, so nothing of the developer's
/// shell (`COLUMNS`, `CLICOLOR_FORCE`, `TMPDIR` …) leaks into the docs;
/// the temporary directory is the scratch directory, so a path under it is
/// caught as machine-dependent.
fn run_whatif(
    dir: &Path,
    env: &[(String, String)],
    stdin: Option<&str>,
    args: &[String],
) -> Result<Printed, String> {
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut command = Command::new(env!("CARGO_BIN_EXE_whatif"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("TMPDIR", dir)
        .stdout(writer.try_clone().expect("pipe clone"))
        .stderr(writer)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("whatif starts");
    drop(command); // closes our copies of the pipe's write end
    let feeder = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("stdin piped");
        let input = input.to_owned();
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        })
    });
    // The pipe is read on its own thread so that a command that never ends
    // can be killed here instead of hanging the test.
    let collector = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("whatif waited for") {
            break status;
        }
        if started.elapsed() > COMMAND_TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "still running after {}s; killed",
                COMMAND_TIME_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let bytes = collector.join().expect("output read");
    if let Some(f) = feeder {
        f.join().expect("stdin written");
    }
    let code = status
        .code()
        .ok_or_else(|| format!("killed by a signal ({status})"))?;
    let text = String::from_utf8_lossy(&bytes);
    let scratch = dir.display().to_string();
    if text.contains(&scratch) {
        return Err(format!(
            "prints a path of this machine (`{scratch}`, the scratch directory and TMPDIR): \
             a transcript must print the same everywhere (a drill: `--no-pictures`; \
             files: a relative `-o`)"
        ));
    }
    Ok(Printed {
        lines: text.lines().map(|l| l.trim_end().to_owned()).collect(),
        code,
    })
}

/// One command of a block as it ran: its step and what it printed, or, for
/// an `echo $?` the update inserts, none.
struct Ran<'s> {
    step: Option<&'s Step>,
    lines: Vec<String>,
}

/// Runs a transcript block. A command that exits non-zero must be followed
/// by `echo $?`; when updating, one is inserted where it is missing (and
/// said so), since a changed command may now fail. Returns what each step
/// printed, or why the block cannot be run.
fn run_block<'s>(steps: &'s [Step], update: bool) -> Result<Vec<Ran<'s>>, String> {
    let dir = scratch();
    let mut out: Vec<Ran<'s>> = Vec::new();
    let mut pending: Option<(i32, &str)> = None; // an exit status not yet shown
    let mut last_code: Option<i32> = None;
    let unshown = |code: i32, command: &str| {
        format!("`$ {command}` exits {code}: follow it with `$ echo $?` so the docs say so")
    };
    for step in steps {
        match parse(&step.command)? {
            Runnable::Status => {
                let code = last_code
                    .take()
                    .ok_or("`$ echo $?` must follow a whatif command")?;
                pending = None;
                out.push(Ran {
                    step: Some(step),
                    lines: vec![code.to_string()],
                });
            }
            Runnable::Whatif { env, stdin, args } => {
                if let Some((code, command)) = pending.take() {
                    if !update {
                        return Err(unshown(code, command));
                    }
                    out.push(Ran {
                        step: None,
                        lines: vec![code.to_string()],
                    });
                }
                let printed = run_whatif(dir.path(), &env, stdin.as_deref(), &args)
                    .map_err(|why| format!("`$ {}`: {why}", step.command))?;
                last_code = Some(printed.code);
                if printed.code != 0 {
                    pending = Some((printed.code, &step.command));
                }
                out.push(Ran {
                    step: Some(step),
                    lines: printed.lines,
                });
            }
        }
    }
    if let Some((code, command)) = pending {
        if !update {
            return Err(unshown(code, command));
        }
        out.push(Ran {
            step: None,
            lines: vec![code.to_string()],
        });
    }
    Ok(out)
}

/// The lines where two texts part: a short line diff for a failure message.
fn diff(shown: &[&str], real: &[String]) -> String {
    // Longest common subsequence; the blocks are short.
    let (n, m) = (shown.len(), real.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if shown[i] == real[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && shown[i] == real[j] {
            out.push_str(&format!("   {}\n", shown[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!(" + {}\n", real[j]));
            j += 1;
        } else {
            out.push_str(&format!(" - {}\n", shown[i]));
            i += 1;
        }
    }
    out
}

/// Whether this run rewrites the blocks instead of failing.
fn updating() -> bool {
    std::env::var("WHATIF_UPDATE_DOCS").is_ok_and(|v| v == "1")
        && std::env::var_os("CI").is_none_or(|v| v.is_empty())
}

#[test]
fn every_transcript_in_the_docs_is_real_output() {
    let update = updating();
    let mut problems = Vec::new();
    let mut transcripts = 0;
    for page in pages() {
        let name = page
            .strip_prefix(root())
            .unwrap_or(&page)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&page).expect("page readable");
        let mut rewrites: Vec<(usize, usize, Vec<String>)> = Vec::new();
        let mut on_page = 0;
        for block in blocks(&text) {
            if !block.lines.first().is_some_and(|l| l.starts_with("$ ")) {
                continue;
            }
            transcripts += 1;
            on_page += 1;
            // The fence's line, as an editor shows it (the content starts
            // on the next line).
            let at = format!("{name}:{} (transcript {on_page} of the page)", block.first);
            let steps = steps(&block);
            let ran = match run_block(&steps, update) {
                Ok(ran) => ran,
                Err(why) => {
                    problems.push(format!("{at}: {why}"));
                    continue;
                }
            };
            let mut fresh = Vec::new();
            let mut previous = "";
            for run in &ran {
                match run.step {
                    Some(step) => {
                        fresh.extend(step.written.iter().cloned());
                        let shown: Vec<&str> = step.shown.iter().map(|l| l.trim_end()).collect();
                        if shown != run.lines && !update {
                            problems.push(format!(
                                "{at}: `$ {}` prints something else now (- shown, + real):\n{}",
                                step.command,
                                diff(&shown, &run.lines)
                            ));
                        }
                    }
                    None => {
                        fresh.push("$ echo $?".to_owned());
                        eprintln!(
                            "{at}: `$ {previous}` now exits {}; added `$ echo $?` after it: read it",
                            run.lines[0]
                        );
                    }
                }
                if let Some(step) = run.step {
                    previous = &step.command;
                }
                fresh.extend(run.lines.iter().cloned());
            }
            if fresh != block.lines {
                let indented = fresh
                    .into_iter()
                    .map(|l| {
                        if l.is_empty() {
                            l
                        } else {
                            format!("{}{l}", block.indent)
                        }
                    })
                    .collect();
                rewrites.push((block.first, block.len, indented));
            }
        }
        if update && !rewrites.is_empty() {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            for (first, len, new) in rewrites.into_iter().rev() {
                lines.splice(first..first + len, new);
            }
            let mut new_text = lines.join("\n");
            if text.ends_with('\n') {
                new_text.push('\n');
            }
            std::fs::write(&page, new_text).expect("page writable");
            eprintln!("rewrote the transcripts of {name}: read the diff");
        }
    }
    assert!(transcripts > 0, "no transcripts found in the docs");
    assert!(
        problems.is_empty(),
        "{} transcript(s) in the docs are not what whatif prints.\n\
         If the change is meant, rewrite them from today's build with\n\
         \n    WHATIF_UPDATE_DOCS=1 cargo test --test cli docs\n\n\
         and read `git diff README.md docs/` before committing.\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = Vec::new();
    for b in blocks(text) {
        in_code.push((b.first - 1)..(b.first + b.len + 1));
    }
    text.lines()
        .enumerate()
        .filter(|(n, _)| !in_code.iter().any(|r| r.contains(n)))
        .filter_map(|(_, l)| {
            let t = l.trim_start();
            t.starts_with('#')
                .then(|| anchor(t.trim_start_matches('#')))
        })
        .collect()
}

#[test]
fn links_between_the_pages_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page readable");
        let dir = page.parent().expect("page in a folder");
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(start) = rest.find("](") {
                let after = &rest[start + 2..];
                let Some(end) = after.find(')') else { break };
                let target = &after[..end];
                rest = &after[end..];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
                let file_path = if file.is_empty() {
                    page.clone()
                } else {
                    dir.join(file)
                };
                let at = format!("{}:{}", page.display(), n + 1);
                if !file_path.exists() {
                    broken.push(format!("{at}: `{target}`: no such file"));
                    continue;
                }
                if !fragment.is_empty() && file_path.extension().is_some_and(|e| e == "md") {
                    let linked = std::fs::read_to_string(&file_path).expect("readable");
                    if !anchors(&linked).iter().any(|a| a == fragment) {
                        broken.push(format!("{at}: `{target}`: no such heading"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_maps_every_docs_page() {
    let readme = std::fs::read_to_string(path("README.md")).expect("README readable");
    let missing: Vec<String> = pages()
        .into_iter()
        .skip(1)
        .filter_map(|p| {
            let name = format!("docs/{}", p.file_name()?.to_string_lossy());
            (!readme.contains(&format!("({name}"))).then_some(name)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "pages the README's map does not link: {missing:?}"
    );
}

#[test]
fn shell_words_and_printf_read_as_a_shell_would() {
    assert_eq!(
        words(r#"whatif drill --fault 'slow app=+3s' "a \"b\"" c\ d"#).unwrap(),
        [
            "whatif",
            "drill",
            "--fault",
            "slow app=+3s",
            "a \"b\"",
            "c d"
        ]
    );
    assert_eq!(printf(r"f\nweb\n").unwrap(), "f\nweb\n");
    assert!(matches!(
        parse("COLUMNS=50 whatif blast x.yaml").unwrap(),
        Runnable::Whatif { env, .. } if env == [("COLUMNS".to_owned(), "50".to_owned())]
    ));
    assert!(matches!(parse("echo $?").unwrap(), Runnable::Status));
    assert!(parse("cargo test").is_err());
    assert!(parse("whatif run x.yaml | head").is_err());
}

/// A block as the page would hold it, for the harness's own tests.
fn block_of(lines: &[&str]) -> Block {
    Block {
        first: 1,
        len: lines.len(),
        indent: String::new(),
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
}

#[test]
fn a_failing_command_must_show_its_status_and_the_update_adds_it() {
    let steps = steps(&block_of(&[
        "$ whatif run docs/models/hello.yaml --down apii",
    ]));
    let why = run_block(&steps, false)
        .err()
        .expect("refused when checking");
    assert!(why.contains("exits 2: follow it with `$ echo $?`"), "{why}");

    let ran = run_block(&steps, true).expect("runs when updating");
    assert_eq!(ran.len(), 2);
    assert!(ran[0].lines[0].contains("unknown service `apii`"));
    assert!(ran[1].step.is_none() && ran[1].lines == ["2"]);
}

#[test]
fn output_naming_the_scratch_directory_is_refused() {
    // A drill writes its pictures under TMPDIR, the scratch directory.
    let steps = steps(&block_of(&[
        r"$ printf 'f\n' | whatif drill examples/three-tier.yaml --rounds 1 --seed 1",
    ]));
    let why = run_block(&steps, true).err().expect("refused");
    assert!(why.contains("prints a path of this machine"), "{why}");
}
