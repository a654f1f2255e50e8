//! Where output goes: standard output (a closed pipe ends quietly) or a
//! `-o` file, written whole or not at all.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use whatif::error::Error;

/// Writes bytes to standard output; a closed pipe ends quietly.
pub(super) fn print(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
    }
}

/// Writes a file whole or not at all: beside it first, then renamed over it.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let temp = dir.join(format!(".{name}.whatif-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(fail)
}

/// Sends output to `-o FILE` (atomically) or to standard output.
pub(super) fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    match output {
        Some(path) => write_atomically(path, bytes),
        None => print(bytes),
    }
}

/// A JSON document, pretty-printed, with a final newline.
pub(super) fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Creates a directory (and its parents) for files a command writes.
pub(super) fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_owned(),
        source,
    })
}
