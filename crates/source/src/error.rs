use std::path::PathBuf;

/// Everything that can go wrong while reading an image. Each variant renders as one line that
/// names the offending file, blob or layer, because that line is all a user sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    #[error("{0}")]
    NotAnImage(String),
    #[error("{0}")]
    Usage(String),
    #[error("{what}: malformed JSON: {detail}")]
    Json { what: String, detail: String },
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("layer {index} ({digest}): {detail}")]
    Layer {
        index: usize,
        digest: String,
        detail: String,
    },
    #[error("hostile path in {place}: {path:?} ({why})")]
    HostilePath {
        place: String,
        path: String,
        why: &'static str,
    },
    #[error("{0}")]
    Platform(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
