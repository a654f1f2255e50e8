//! The library's error type: what can go wrong before a result exists.

use std::path::PathBuf;

use crate::finding::Finding;

/// Everything the library can fail with. Each variant prints one careful
/// sentence; the CLI adds file positions and hints from the findings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The model (or scenario) did not validate; the findings say why.
    #[error("{} error(s) in `{file}`", findings.iter().filter(|f| f.is_error()).count())]
    Invalid {
        /// The file the findings are about.
        file: String,
        /// The source text, for snippets.
        source_text: String,
        /// Every finding, errors and warnings.
        findings: Vec<Finding>,
    },
    /// The user asked for something that cannot be done (bad flag value,
    /// unknown focus service, …).
    #[error("{message}")]
    Usage {
        /// One sentence.
        message: String,
        /// What to try instead.
        hint: Option<String>,
    },
    /// Writing a report into memory (or a console) failed: a formatter
    /// or serializer error, never a file (that is [`Error::Write`]).
    #[error("{source}")]
    Io {
        /// Why.
        #[from]
        source: std::io::Error,
    },
    /// An external program (Graphviz) failed or is missing.
    #[error("{0}")]
    Tool(String),
}

impl Error {
    /// A usage error with an optional hint.
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint,
        }
    }
}
