use std::path::PathBuf;

/// Everything that can go wrong while reading an image. Each variant renders as one line that
/// names the offending file, blob or layer, because that line is all a user sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The SOURCE names nothing.
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    /// The SOURCE is not an image drydock reads.
    #[error("{0}")]
    NotAnImage(String),
    /// The SOURCE or an option is written wrong.
    #[error("{0}")]
    Usage(String),
    /// A manifest, index or config that is not the JSON it should be.
    #[error("{what}: malformed JSON: {detail}")]
    Json {
        /// The document.
        what: String,
        /// The parser's message.
        detail: String,
    },
    /// Content whose digest is not the one its descriptor names.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked.
        what: String,
        /// The digest named.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },
    /// A layer that cannot be read (truncated, corrupt, too many entries).
    #[error("layer {index} ({digest}): {detail}")]
    Layer {
        /// The layer's index.
        index: usize,
        /// Its digest.
        digest: String,
        /// What is wrong.
        detail: String,
    },
    /// A path that would write outside the image root.
    #[error("hostile path in {place}: {path:?} ({why})")]
    HostilePath {
        /// Where it was found.
        place: String,
        /// The path, as written.
        path: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// No image for the platform asked for.
    #[error("{0}")]
    Platform(String),
    /// A format or feature drydock does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The registry refused or failed.
    #[error("registry {0}")]
    Registry(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound(path)
        } else {
            Error::Io { path, source }
        }
    }

    pub(crate) fn json(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        Error::Json {
            what: what.into(),
            detail: err.to_string(),
        }
    }

    /// True when the error was caused by the input rather than by the machine.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Io { .. })
    }
}

/// A result with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
