//! Reading user input: the one way whatif reads a file someone gave it (a
//! model, a scenario, a scenario's `model:`, an import). Only regular files
//! and `-` (standard input) are read, never more than
//! [`MAX_FILE_BYTES`] (the cap holds *while* reading, so `/dev/zero` or an
//! endless pipe cannot fill memory), and the bytes must be UTF-8 text.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::Error;
use crate::finding::{Finding, Pos};

/// Files larger than this are refused (docs/cli.md, "Input limits").
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The path that means standard input.
pub const STDIN: &str = "-";

// Reading shares the loader's finding codes (E005 refused, E007 not text).
use super::load::codes;

/// Reads a user's input file as UTF-8 text: a regular file, or standard
/// input when `path` is `-`.
///
/// Refused with a finding ([`Error::Invalid`], code `E005`): anything that is
/// not a regular file (a directory, a FIFO, a device such as `/dev/zero`),
/// at once and without opening it, and input over 256 MiB, counted while
/// reading. Refused with `E007`: binary (NUL bytes), UTF-16 or UTF-32, and
/// invalid UTF-8, each with the position of the first bad byte. A UTF-8
/// byte-order mark is dropped. A file that cannot be opened is
/// [`Error::Read`].
pub fn read_input(path: &Path) -> Result<String, Error> {
    let file_name = path.display().to_string();
    let refuse = |finding: Finding| Error::Invalid {
        file: file_name.clone(),
        source_text: String::new(),
        findings: vec![finding],
    };
    let read_error = |source: io::Error| Error::Read {
        path: path.to_owned(),
        source,
    };
    let bytes = if path.as_os_str() == STDIN {
        read_capped(io::stdin().lock(), 0, MAX_FILE_BYTES).map_err(read_error)?
    } else {
        // `metadata` does not open the file: a FIFO would block the open.
        let meta = std::fs::metadata(path).map_err(read_error)?;
        if !meta.is_file() {
            return Err(refuse(not_a_file(path, &meta)));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(refuse(too_large(meta.len())));
        }
        let file = File::open(path).map_err(read_error)?;
        // Replaced by something else between the two looks?
        let meta = file.metadata().map_err(read_error)?;
        if !meta.is_file() {
            return Err(refuse(not_a_file(path, &meta)));
        }
        read_capped(file, meta.len(), MAX_FILE_BYTES).map_err(read_error)?
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse(too_large(bytes.len() as u64)));
    }
    text_from_bytes(bytes).map_err(refuse)
}

/// Checks input that reached whatif another way than as a file (the
/// output of `git show REV:PATH`) under the same guards as [`read_input`]:
/// refused over 256 MiB (`E005`) and unless it is UTF-8 text (`E007`).
/// `name` names it in findings.
pub fn text_of(bytes: Vec<u8>, name: &str) -> Result<String, Error> {
    let refuse = |finding: Finding| Error::Invalid {
        file: name.to_owned(),
        source_text: String::new(),
        findings: vec![finding],
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse(too_large(bytes.len() as u64)));
    }
    text_from_bytes(bytes).map_err(refuse)
}

/// Reads at most one byte more than the limit, so "over the limit" shows
/// without reading the rest.
fn read_capped(reader: impl Read, expected: u64, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(expected.min(limit)).unwrap_or(0) + 1);
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn too_large(bytes: u64) -> Finding {
    let size = if bytes > MAX_FILE_BYTES + 1 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        "more than 256 MiB".to_owned()
    };
    Finding::error(
        codes::REFUSED,
        format!("input is {size}; whatif reads at most 256 MiB"),
        None,
    )
    .with_hint("split the architecture into several files")
}

/// What a path is, when it is not a regular file.
fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> Finding {
    let what = file_type_name(meta);
    Finding::error(
        codes::REFUSED,
        format!(
            "`{}` is {what}, not a regular file",
            crate::finding::shorten(&path.display().to_string())
        ),
        None,
    )
    .with_hint("whatif reads regular files, or standard input given as `-`")
}

#[cfg(unix)]
fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// UTF-8 check with the position of the first bad byte; a byte-order mark
/// of UTF-16 or UTF-32 names that encoding; NUL bytes mean binary.
pub(crate) fn text_from_bytes(bytes: Vec<u8>) -> Result<String, Finding> {
    if let Some(encoding) = wide_encoding(&bytes) {
        return Err(Finding::error(
            codes::NOT_TEXT,
            format!("file is {encoding}; whatif reads UTF-8 only"),
            Some(Pos::new(1, 1)),
        )
        .with_hint(format!(
            "save it as UTF-8 (for example `iconv -f {encoding} -t UTF-8 FILE`)"
        )));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Finding::error(
            codes::NOT_TEXT,
            "file is binary (it contains NUL bytes), not text",
            Some(pos_of(&bytes, at)),
        )
        .with_hint("models are UTF-8 text files"));
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            Err(Finding::error(
                codes::NOT_TEXT,
                "file is not valid UTF-8",
                Some(pos_of(&bytes, at)),
            )
            .with_hint("save the file as UTF-8"))
        }
    }
}

/// UTF-16 or UTF-32, by byte-order mark, or by the NUL byte beside every
/// ASCII character that such a file without a mark shows.
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xfe, 0, 0, ..] => return Some("UTF-32LE"),
        [0, 0, 0xfe, 0xff, ..] => return Some("UTF-32BE"),
        [0xff, 0xfe, ..] => return Some("UTF-16LE"),
        [0xfe, 0xff, ..] => return Some("UTF-16BE"),
        _ => {}
    }
    // Without a mark: text such as `services:` as UTF-16 has a NUL on one
    // side of every character. Look at the first few.
    let head = &bytes[..bytes.len().min(64) & !3];
    if head.len() < 8 {
        return None;
    }
    let pairs = || head.chunks_exact(2);
    let (odd_nul, even_nul) = (
        pairs().filter(|p| p[0] != 0 && p[1] == 0).count(),
        pairs().filter(|p| p[0] == 0 && p[1] != 0).count(),
    );
    let n = head.len() / 2;
    if odd_nul == n {
        Some("UTF-16LE")
    } else if even_nul == n {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// Line and column (in characters) of a byte offset.
fn pos_of(bytes: &[u8], at: usize) -> Pos {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> Result<String, (&'static str, String)> {
        text_from_bytes(bytes.to_vec()).map_err(|f| (f.code, f.message))
    }

    #[test]
    fn utf8_with_or_without_a_mark_is_text() {
        assert_eq!(code(b"a: 1\n").unwrap(), "a: 1\n");
        assert_eq!(code(b"\xef\xbb\xbfa: 1\n").unwrap(), "a: 1\n");
    }

    #[test]
    fn wide_encodings_are_named_not_called_binary() {
        let utf16le: Vec<u8> = "\u{feff}services: {}\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let (c, message) = code(&utf16le).unwrap_err();
        assert_eq!(c, codes::NOT_TEXT);
        assert!(message.contains("UTF-16LE"), "{message}");
        let utf16be: Vec<u8> = "services: {}\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(code(&utf16be).unwrap_err().1.contains("UTF-16BE"));
        assert!(code(b"a\0b").unwrap_err().1.contains("binary"));
    }

    #[test]
    fn bad_bytes_have_positions() {
        let f = text_from_bytes(b"a\n\xff".to_vec()).unwrap_err();
        assert_eq!((f.code, f.pos), (codes::NOT_TEXT, Some(Pos::new(2, 1))));
        let f = text_from_bytes(vec![b'a', 0, b'b']).unwrap_err();
        assert_eq!(f.pos, Some(Pos::new(1, 2)));
    }

    #[test]
    fn reads_stop_one_byte_past_the_limit() {
        let bytes = read_capped(io::repeat(b'x'), 0, 1000).unwrap();
        assert_eq!(bytes.len(), 1001);
    }
}
