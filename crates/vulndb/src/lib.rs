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
mod malformation;
pub mod model;
pub mod osv;
pub mod rustsec;
pub mod secdb;
pub mod store;
pub mod update;

use std::path::{Path, PathBuf};

pub use import::{Imported, import_path};
pub use malformation::Malformation;
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
    #[error("{what}: malformed advisory data: {problem}")]
    Malformed {
        /// The file or record.
        what: String,
        /// What is wrong.
        problem: Malformation,
    },
    /// A distribution release drydock has no archive suites for.
    #[error("{release}: unknown release (known: {known})")]
    UnknownRelease {
        /// `DISTRO:VERSION` as asked.
        release: String,
        /// The releases drydock knows.
        known: String,
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
    cache_dir_from(explicit, &|name| std::env::var_os(name))
}

/// [`cache_dir`] with the environment given: an empty variable counts as unset.
fn cache_dir_from(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let set = |name: &str| env(name).filter(|p| !p.is_empty());
    if let Some(p) = set("DRYDOCK_CACHE_DIR") {
        return PathBuf::from(p);
    }
    if let Some(p) = set("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("drydock");
    }
    let home = env("HOME")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_directory_follows_the_documented_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let all = env(&[
            ("DRYDOCK_CACHE_DIR", "/d"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(
            cache_dir_from(Some(Path::new("/given")), &all),
            Path::new("/given")
        );
        assert_eq!(cache_dir_from(None, &all), Path::new("/d"));
        let xdg = env(&[
            ("DRYDOCK_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(cache_dir_from(None, &xdg), Path::new("/x/drydock"));
        let home = env(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")]);
        assert_eq!(cache_dir_from(None, &home), Path::new("/h/.cache/drydock"));
        assert_eq!(cache_dir_from(None, &env(&[])), Path::new("./.cache/drydock"));
        assert_eq!(db_path(Path::new("/c")), Path::new("/c/db/advisories.redb"));
    }

    #[test]
    fn the_oldest_import_decides_the_age() {
        let store = Store::in_memory().unwrap();
        assert_eq!(oldest_import_age(&store).unwrap(), None);
        let now = jiff::Timestamp::now().as_second();
        let at = |secs_ago: i64| {
            jiff::Timestamp::from_second(now - secs_ago)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        for (name, ago) in [("osv:a", 3_600), ("osv:b", 2 * 86_400)] {
            store
                .finish_source(&SourceInfo {
                    name: name.into(),
                    imported_at: at(ago),
                    ..Default::default()
                })
                .unwrap();
        }
        let age = oldest_import_age(&store).unwrap().unwrap();
        // The test's own run time is the only slack.
        assert!((2 * 86_400..2 * 86_400 + 60).contains(&age), "{age}");
    }
}
