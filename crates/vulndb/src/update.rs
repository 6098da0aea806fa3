//! `drydock db update`: downloads osv.dev's per-ecosystem `all.zip` dumps (or a mirror's) with
//! conditional requests, and swaps the new database in atomically: a failed or interrupted
//! update leaves the previous database intact.

use std::path::Path;

use crate::Error;
pub use crate::download::{Fetched, fetch};
use crate::import::import_zip;
use crate::store::{SourceInfo, Store};

/// Where osv.dev publishes its per-ecosystem dumps (`ECOSYSTEM/all.zip`).
pub const DEFAULT_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems fetched when none are named: the OS distributions drydock matches and the
/// language ecosystems it catalogs, as osv.dev names its dumps.
pub fn default_ecosystems() -> Vec<String> {
    drydock_ecosystem::Family::ALL
        .into_iter()
        .filter(|f| f.fetched_by_default())
        .map(|f| f.name().to_string())
        .collect()
}

/// One ecosystem's outcome.
pub struct Outcome {
    /// The ecosystem, as osv.dev names its dump.
    pub ecosystem: String,
    /// Records imported; `None` when the dump had not changed.
    pub records: Option<u64>,
    /// `affected` entries left out, per ecosystem family drydock does not know.
    pub unsupported: std::collections::BTreeMap<String, u64>,
}

fn url_for(base: &str, ecosystem: &str) -> String {
    let encoded: String = ecosystem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{}/{encoded}/all.zip", base.trim_end_matches('/'))
}

/// Updates `store` in place for each ecosystem (the caller works on a copy and swaps it in).
pub fn update(
    store: &Store,
    base: &str,
    ecosystems: &[String],
    on_bytes: &dyn Fn(u64),
    on_start: &dyn Fn(&str),
) -> Result<Vec<Outcome>, Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(1800)))
        .build()
        .into();
    let mut out = Vec::new();
    for eco in ecosystems {
        on_start(eco);
        let source = format!("osv:{eco}");
        let previous = store.source(&source)?;
        let url = url_for(base, eco);
        match fetch(&agent, &url, validators(previous.as_ref()), on_bytes)? {
            Fetched::NotModified => out.push(Outcome {
                ecosystem: eco.clone(),
                records: None,
                unsupported: Default::default(),
            }),
            Fetched::Body {
                bytes,
                etag,
                last_modified,
            } => {
                let counted = import_zip(store, &bytes, &url, &source)?;
                let info = SourceInfo {
                    name: source,
                    origin: url,
                    imported_at: jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    records: counted.records,
                    withdrawn: counted.withdrawn,
                    newest_modified: counted.newest_modified,
                    unsupported: counted.unsupported,
                    etag,
                    last_modified,
                };
                store.finish_source(&info)?;
                out.push(Outcome {
                    ecosystem: eco.clone(),
                    records: Some(info.records),
                    unsupported: info.unsupported.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Runs `work` on a copy of the database at `path` and renames the copy over it only when
/// `work` succeeds. The previous database stays usable throughout.
pub fn atomically<T>(path: &Path, work: impl FnOnce(&mut Store) -> Result<T, Error>) -> Result<T, Error> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Store(format!("{}: no parent directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // One writer at a time: two imports that both copied the old database would each rename
    // their copy over it, and the first one's records would be lost. The lock is released when
    // the file closes, also when the process is killed.
    let lock_path = dir.join(".import.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Holding the lock, any temporary copy left here is a killed import's: remove it.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if file.starts_with(&format!(".{name}.")) && file.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    if path.is_file() {
        std::fs::copy(path, &tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    let result = (|| {
        let mut store = if path.is_file() {
            Store::open(&tmp)?
        } else {
            Store::create(&tmp)?
        };
        let value = work(&mut store)?;
        store.compact()?;
        drop(store);
        Ok(value)
    })();
    let outcome = match result {
        Ok(value) => {
            std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
            Ok(value)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    };
    drop(lock);
    outcome
}

/// The validators a recorded source carries.
pub(crate) fn validators(source: Option<&SourceInfo>) -> crate::download::Validators<'_> {
    crate::download::Validators {
        etag: source.and_then(|s| s.etag.as_deref()),
        last_modified: source.and_then(|s| s.last_modified.as_deref()),
    }
}
