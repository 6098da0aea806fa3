//! drydock's advisory database.
//!
//! Importers turn OSV records (osv.dev's per-ecosystem `all.zip`, directories of JSON or YAML
//! records such as PyPA's advisory repository, single records), RustSec advisories and Alpine
//! secdb files into
//! [`Advisory`]s; the [`Store`] (redb, pure Rust) keeps them indexed by (ecosystem, package
//! name), with withdrawn records dropped and aliases and modified times kept; [`update`]
//! downloads fresh dumps and swaps them in atomically. Severity is worked out once at import:
//! the record's own word where it has one, else its CVSS v4/v3/v2 vector scored with `cvss`.
//!
//! It knows nothing about images or inventories; `drydock-matcher` joins the two.
//!
//! ```
//! let store = drydock_vulndb::Store::in_memory()?;
//! assert!(store.lookup(&"Debian:12".parse().unwrap(), "openssl")?.is_empty());
//! # Ok::<(), drydock_vulndb::Error>(())
//! ```

pub mod archive;
pub mod download;
pub mod import;
pub mod model;
pub mod osv;
pub mod rustsec;
pub mod secdb;
pub mod store;
pub mod update;

use std::path::{Path, PathBuf};

pub use import::{Imported, import_path};
pub use model::{Advisory, AffectedPackage, Disposition, Severity, SeverityCounts, SeverityInfo};
pub use store::{RecordDigest, Snapshot, SourceInfo, Store, package_key};

/// Why an import, an update or a look-up failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// No database at this path yet.
    #[error("no advisory database at {0}; run `drydock db update` or `drydock db import PATH`")]
    Missing(PathBuf),
    /// The store itself failed (a corrupt or unreadable database).
    #[error("advisory database: {0}")]
    Store(String),
    /// Advisory data that cannot be read.
    #[error("{what}: malformed advisory data: {detail}")]
    Malformed {
        /// The file or record.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// A download failed.
    #[error("download of {url} failed: {detail}")]
    Download {
        /// What was fetched.
        url: String,
        /// Why it failed.
        detail: String,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `--cache-dir`, else `$DRYDOCK_CACHE_DIR`, else `$XDG_CACHE_HOME/drydock`, else
/// `~/.cache/drydock`.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("DRYDOCK_CACHE_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("drydock");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("drydock")
}

/// The database file inside a cache directory.
pub fn db_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join("db").join("advisories.redb")
}

/// Age in seconds of the oldest import among the store's sources (`None` without sources).
pub fn oldest_import_age(store: &Store) -> Result<Option<i64>, Error> {
    let now = jiff::Timestamp::now();
    let mut oldest = None;
    for s in store.sources()? {
        if let Ok(t) = s.imported_at.parse::<jiff::Timestamp>() {
            let age = now.as_second() - t.as_second();
            oldest = Some(oldest.map_or(age, |o: i64| o.max(age)));
        }
    }
    Ok(oldest)
}
