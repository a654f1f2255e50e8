//! Where output goes: standard output (a closed pipe ends quietly) or a
//! file named by `-o`, `--junit`, `--frames`, `--pictures`, `--record` or
//! `man --dir`. Every file write goes through [`write_file_with`] (bytes
//! made first, or written as they are made), which:
//!
//! - never writes over an input: a path that is the same file (device and
//!   inode, so links and other spellings count) as one of the command's
//!   [`Inputs`] is refused, exit 2;
//! - writes a regular file, or a new path, whole or not at all: into a
//!   temporary file beside it, created exclusively (`O_EXCL`) under an
//!   unpredictable name, then renamed over it, so a half-written file is
//!   never seen and a link planted under a guessable name is never
//!   followed; an existing file keeps its permissions;
//! - writes anything else — a terminal, `/dev/null`, `/dev/full`, a FIFO,
//!   or a path naming an open descriptor (`/dev/stdout`, `/dev/fd/N`) —
//!   directly, never replacing it, and reports a failed write (exit 2);
//! - writes *through* a symbolic link: the file it points to is replaced
//!   (atomically, as above) and the link stays a link; a link to nothing
//!   is refused.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use whatif::error::Error;
use whatif::text::terminal;

/// Writes bytes to standard output; a closed pipe ends quietly.
pub(super) fn print(bytes: &[u8]) -> Result<(), Error> {
    print_with(|out| out.write_all(bytes))
}

/// Writes what `write` writes to standard output, through a buffer; a
/// closed pipe ends quietly.
fn print_with(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
    }
}

/// Which file a path is, whatever it is called: device and inode on Unix,
/// the canonical path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    #[cfg(unix)]
    id: (u64, u64),
    #[cfg(not(unix))]
    id: PathBuf,
}

impl Identity {
    /// The file at `path` (links followed), or `None` when there is none.
    fn of(path: &Path) -> Option<Identity> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = fs::metadata(path).ok()?;
            Some(Identity {
                id: (meta.dev(), meta.ino()),
            })
        }
        #[cfg(not(unix))]
        {
            Some(Identity {
                id: fs::canonicalize(path).ok()?,
            })
        }
    }
}

/// The files a command reads: no output may be written over one of them.
#[derive(Debug, Default)]
pub(super) struct Inputs {
    files: Vec<(PathBuf, Identity)>,
}

impl Inputs {
    /// The inputs at these paths (a path that is not there is skipped: it
    /// cannot be written over).
    pub(super) fn of<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Inputs {
        let mut inputs = Inputs::default();
        for path in paths {
            inputs.add(path);
        }
        inputs
    }

    /// One more input.
    pub(super) fn add(&mut self, path: &Path) {
        if let Some(identity) = Identity::of(path) {
            self.files.push((path.to_owned(), identity));
        }
    }

    /// Refuses `output` when it is the same file as an input. An output
    /// that does not exist yet cannot be one.
    pub(super) fn check(&self, output: &Path) -> Result<(), Error> {
        let Some(identity) = Identity::of(output) else {
            return Ok(());
        };
        let Some((input, _)) = self.files.iter().find(|(_, id)| *id == identity) else {
            return Ok(());
        };
        let message = if input == output {
            format!(
                "refusing to write over `{}`: it is an input of this command",
                output.display()
            )
        } else {
            format!(
                "refusing to write over `{}`: it is the same file as the input `{}`",
                output.display(),
                input.display()
            )
        };
        Err(Error::usage(
            message,
            Some("write the output to another file".into()),
        ))
    }
}

/// Sends output to a file (see [`write_file`]) or, without one, to
/// standard output.
pub(super) fn emit(output: Option<&Path>, inputs: &Inputs, bytes: &[u8]) -> Result<(), Error> {
    match output {
        Some(path) => write_file(path, inputs, bytes),
        None => print(bytes),
    }
}

/// As [`emit`], for output too large to hold whole in memory first (a
/// 100,000-service cascade as JSON is 50 MB): `write` writes it straight
/// to standard output, or into the temporary file that then replaces the
/// output file (so a file is still written whole or not at all).
pub(super) fn emit_with(
    output: Option<&Path>,
    inputs: &Inputs,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    match output {
        Some(path) => write_file_with(path, inputs, write),
        None => print_with(write),
    }
}

/// What is at an output path, and so how it is written.
enum Target {
    /// Nothing yet, or a regular file: replaced atomically.
    Replace(PathBuf),
    /// A device, a FIFO, a socket or an open descriptor: written directly.
    Direct,
}

impl Target {
    /// Looks at `path` without following a final link first.
    fn of(path: &Path) -> Result<Target, Error> {
        let fail = |source| Error::Write {
            path: path.to_owned(),
            source,
        };
        if names_open_descriptor(path) {
            return Ok(Target::Direct);
        }
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Replace(path.to_owned()));
            }
            Err(e) => return Err(fail(e)),
        };
        let meta = if meta.file_type().is_symlink() {
            match fs::metadata(path) {
                Ok(target) => target,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let to = fs::read_link(path).unwrap_or_default();
                    return Err(Error::usage(
                        format!(
                            "`{}` is a symbolic link to `{}`, which does not exist",
                            path.display(),
                            to.display()
                        ),
                        Some("remove the link, or write to another file".into()),
                    ));
                }
                Err(e) => return Err(fail(e)),
            }
        } else {
            meta
        };
        if meta.is_dir() {
            return Err(Error::usage(
                format!("`{}` is a directory", path.display()),
                Some("give a file name".into()),
            ));
        }
        Ok(if meta.is_file() {
            // Through any links, the file itself (and its folder for the
            // temporary file), so a link stays a link.
            Target::Replace(fs::canonicalize(path).map_err(fail)?)
        } else {
            Target::Direct
        })
    }
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: paths
/// that name a descriptor the shell opened (maybe onto a regular file
/// opened for appending), so they are written through, never replaced.
fn names_open_descriptor(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    matches!(text, "/dev/stdout" | "/dev/stderr")
        || ["/dev/fd/", "/proc/self/fd/"]
            .iter()
            .any(|prefix| text.strip_prefix(prefix).is_some_and(is_number))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Writes a file as the [module](self) says: never over an input, whole
/// or not at all when it is a regular file, directly when it is not.
pub(super) fn write_file(path: &Path, inputs: &Inputs, bytes: &[u8]) -> Result<(), Error> {
    write_file_with(path, inputs, |out| out.write_all(bytes))
}

/// [`write_file`] with what `write` writes (through a buffer).
fn write_file_with(
    path: &Path,
    inputs: &Inputs,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    inputs.check(path)?;
    let result = match Target::of(path)? {
        Target::Replace(file) => replace_with(&file, write),
        Target::Direct => write_directly_with(path, write),
    };
    result.map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// Replaces (or creates) a regular file atomically with what `write`
/// writes (through a buffer): a temporary file beside it (exclusive,
/// unpredictable name), synced, then renamed over it. A failed write
/// removes the temporary file and leaves the old one as it was.
fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let prefix = format!(".{name}.");
    let existing = fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".whatif-tmp");
    #[cfg(unix)]
    {
        // A new file gets what the umask leaves of rw-rw-rw-, as with
        // any file a program creates; tempfile's own default is 0600.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir).map_err(|e| beside(e, dir))?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions)?;
    }
    {
        let mut buffered = io::BufWriter::with_capacity(1 << 16, temp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    temp.as_file().sync_all()?;
    // On failure the temporary file is removed when `temp` drops.
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Why the temporary file beside the output could not be made, without
/// its random name (which the user never asked for).
fn beside(e: io::Error, dir: &Path) -> io::Error {
    let dir = terminal(&dir.display().to_string()).into_owned();
    let message = match e.kind() {
        io::ErrorKind::NotFound if !Path::new(&dir).is_dir() => {
            format!("the folder `{dir}` does not exist")
        }
        io::ErrorKind::NotFound => format!("files cannot be created in `{dir}`"),
        io::ErrorKind::PermissionDenied => format!("no permission to create files in `{dir}`"),
        _ => {
            let text = e.to_string();
            match text.find(" at path ") {
                Some(k) => text[..k].to_string(),
                None => text,
            }
        }
    };
    io::Error::new(e.kind(), message)
}

/// Writes what `write` writes to a device, a FIFO or an open descriptor as
/// it is: opened without creating or truncating (appending, so a
/// descriptor the shell opened with `>>` keeps what it holds). A reader
/// that went away ends quietly, as on standard output.
fn write_directly_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let written = OpenOptions::new().append(true).open(path).and_then(|f| {
        let mut buffered = io::BufWriter::with_capacity(1 << 16, f);
        write(&mut buffered).and_then(|()| buffered.flush())
    });
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A JSON document, pretty-printed, with a final newline.
pub(super) fn json_bytes<T: serde::Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Makes sure `dir` is a directory files can be written into, creating it
/// (and its parents) when it is not there.
pub(super) fn create_dir(dir: &Path, flag: &str) -> Result<(), Error> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::usage(
            format!("{flag} `{}`: not a directory", dir.display()),
            Some(format!(
                "{flag} takes a directory to write files into; give a new or existing directory"
            )),
        )),
        Err(_) => fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed (with what a test wrote) when dropped.
    fn temp_dir(test: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("whatif-output-{test}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn descriptor_paths_are_recognised() {
        for p in [
            "/dev/stdout",
            "/dev/stderr",
            "/dev/fd/1",
            "/proc/self/fd/12",
        ] {
            assert!(names_open_descriptor(Path::new(p)), "{p}");
        }
        for p in [
            "/dev/fd/",
            "/dev/fd/x",
            "/dev/full",
            "out.json",
            "/proc/self/fd",
        ] {
            assert!(!names_open_descriptor(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn a_regular_file_is_replaced_whole_and_keeps_its_permissions() {
        let dir = temp_dir("replace");
        let file = dir.path().join("out.txt");
        fs::write(&file, "old, longer content").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_file(&file, &Inputs::default(), b"new").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        // Nothing is left beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_that_fails_half_way_leaves_the_old_file_and_nothing_else() {
        let dir = temp_dir("half");
        let file = dir.path().join("out.json");
        fs::write(&file, "old").unwrap();
        let failed = emit_with(Some(&file), &Inputs::default(), |out| {
            out.write_all(&[b'x'; 100_000])?;
            Err(io::Error::other("the renderer gave up"))
        });
        let Err(Error::Write { source, .. }) = failed else {
            panic!("a failed write reported as {failed:?}");
        };
        assert_eq!(source.to_string(), "the renderer gave up");
        assert_eq!(fs::read_to_string(&file).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // And written whole when it does not fail.
        emit_with(Some(&file), &Inputs::default(), |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_input_is_never_an_output() {
        let dir = temp_dir("inputs");
        let input = dir.path().join("m.yaml");
        fs::write(&input, "services: {}\n").unwrap();
        let inputs = Inputs::of([input.as_path()]);
        let Err(Error::Usage { message, .. }) = write_file(&input, &inputs, b"x") else {
            panic!("the input was written over");
        };
        assert!(message.contains("an input of this command"), "{message}");
        assert_eq!(fs::read_to_string(&input).unwrap(), "services: {}\n");
        // Not yet there: cannot be an input.
        write_file(&dir.path().join("new.yaml"), &inputs, b"x").unwrap();
    }
}
