//! The embedded advisory store (redb): records by id, an index by (ecosystem, package name),
//! and metadata (schema version, import sources). redb was chosen over SQLite for its look-up
//! speed on this access pattern (see `docs/` of the project), and it is pure Rust.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::archive::{IndexPart, SuiteInfo};
use crate::model::{Advisory, OsvEcosystem};

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
/// `ecosystem \0 name \0 id` → ().
const INDEX: TableDefinition<&str, ()> = TableDefinition::new("index");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// `source \0 id` → (): the records each import source contributed entries to.
const BY_SOURCE: TableDefinition<&str, ()> = TableDefinition::new("by_source");
/// `distro \0 suite \0 part` → [`SuiteInfo`] JSON: the archive index parts imported.
const ARCHIVE_PARTS: TableDefinition<&str, &[u8]> = TableDefinition::new("archive_parts");
/// `distro \0 suite \0 package \0 part` → the newest version that part publishes.
const ARCHIVE_PACKAGES: TableDefinition<&str, &str> = TableDefinition::new("archive_packages");

/// 2: the store lists the ecosystems it holds records for.
/// 3: records merge per (id, source): affected entries carry their source.
/// 4: only ecosystems drydock knows are stored; the rest are counted per source.
pub const SCHEMA_VERSION: &str = "4";

/// One import source: what it holds and when it was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `osv:Debian`, `secdb:v3.10/main`, `osv:dir:...`.
    pub name: String,
    /// Where it came from: a path or URL.
    pub origin: String,
    /// RFC 3339 time of the import.
    pub imported_at: String,
    /// Records imported.
    pub records: u64,
    /// Withdrawn records skipped.
    pub withdrawn: u64,
    /// Newest `modified` among the source's records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    /// `affected` entries left out at import, per ecosystem family drydock does not know
    /// (`Linux`, `Android`): they could never match, and are said rather than dropped.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsupported: BTreeMap<String, u64>,
    /// HTTP validators for conditional updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The HTTP `Last-Modified` of the download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// The advisory store: one redb file.
pub struct Store {
    db: Handle,
}

/// A store opened for reading only needs no write access to its file (a database on a
/// read-only mount, or shared by several scanners).
enum Handle {
    Write(Database),
    Read(redb::ReadOnlyDatabase),
}

impl Handle {
    fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Handle::Write(d) => d.begin_read(),
            Handle::Read(d) => d.begin_read(),
        }
    }

    fn writer(&mut self) -> Result<&mut Database, Error> {
        match self {
            Handle::Write(d) => Ok(d),
            Handle::Read(_) => Err(Error::Store("the database was opened read-only".into())),
        }
    }

    fn begin_write(&self) -> Result<redb::WriteTransaction, Error> {
        match self {
            Handle::Write(d) => d.begin_write().map_err(db_err),
            Handle::Read(_) => Err(Error::Store("the database was opened read-only".into())),
        }
    }
}

/// A read view of the store (see [`Store::snapshot`]).
pub struct Snapshot {
    index: redb::ReadOnlyTable<&'static str, ()>,
    records: redb::ReadOnlyTable<&'static str, &'static [u8]>,
}

impl Snapshot {
    /// Advisories that name this package in this ecosystem (`Debian:12`, `PyPI`, ...).
    pub fn lookup(&self, ecosystem: &OsvEcosystem, name: &str) -> Result<Vec<Advisory>, Error> {
        let prefix = index_key(ecosystem, name, "");
        let mut out = Vec::new();
        for entry in self.index.range(prefix.as_str()..).map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let key = key.value();
            let Some(id) = key.strip_prefix(prefix.as_str()) else {
                break;
            };
            if let Some(bytes) = self.records.get(id).map_err(db_err)? {
                out.push(serde_json::from_slice(bytes.value()).map_err(db_err)?);
            }
        }
        Ok(out)
    }
}

/// One record as [`Store::record_digests`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDigest {
    /// The record id.
    pub id: String,
    /// Its `modified`.
    pub modified: Option<String>,
    /// FNV-1a of the stored record: a change detector, not a security boundary.
    pub fingerprint: u64,
    /// [`package_key`]s of every package the record names.
    pub keys: Vec<String>,
}

/// The key a package is looked up under: `ecosystem TAB normalised name` (a tab, not the
/// index's NUL, so that the key can be stored as text anywhere).
pub fn package_key(ecosystem: &OsvEcosystem, name: &str) -> String {
    to_package_key(&index_key(ecosystem, name, ""))
}

fn to_package_key(index_key: &str) -> String {
    index_key.trim_end_matches('\0').replacen('\0', "\t", 1)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn db_err(e: impl std::fmt::Display) -> Error {
    Error::Store(e.to_string())
}

/// The index keys of one record's package: under its ecosystem and every alias of it.
fn index_keys(ecosystem: &OsvEcosystem, name: &str, id: &str) -> Vec<String> {
    std::iter::once(ecosystem.clone())
        .chain(ecosystem.aliases())
        .map(|eco| index_key(&eco, name, id))
        .collect()
}

fn index_key(ecosystem: &OsvEcosystem, name: &str, id: &str) -> String {
    format!("{ecosystem}\0{}\0{id}", ecosystem.normalize_name(name))
}

impl Store {
    /// Opens an existing store, refusing one written with another schema.
    pub fn open(path: &Path) -> Result<Store, Error> {
        if !path.is_file() {
            return Err(Error::Missing(path.to_path_buf()));
        }
        let db = Database::open(path).map_err(|e| Error::Store(format!("{}: {e}", path.display())))?;
        Store::checked(
            Store {
                db: Handle::Write(db),
            },
            path,
        )
    }

    /// Opens an existing store for look-ups only: no write access to the file is needed.
    pub fn open_read_only(path: &Path) -> Result<Store, Error> {
        if !path.is_file() {
            return Err(Error::Missing(path.to_path_buf()));
        }
        let db = redb::ReadOnlyDatabase::open(path)
            .map_err(|e| Error::Store(format!("{}: {e}", path.display())))?;
        Store::checked(Store { db: Handle::Read(db) }, path)
    }

    fn checked(store: Store, path: &Path) -> Result<Store, Error> {
        let version = store.meta("schema_version")?;
        if version.as_deref() != Some(SCHEMA_VERSION) {
            return Err(Error::Store(format!(
                "{}: database schema {} is not the supported {SCHEMA_VERSION}; run `drydock db update` or re-import",
                path.display(),
                version.as_deref().unwrap_or("(none)")
            )));
        }
        Ok(store)
    }

    /// Creates a store at `path` with its tables (an existing redb file there is opened).
    pub fn create(path: &Path) -> Result<Store, Error> {
        let db = Database::create(path).map_err(|e| Error::Store(format!("{}: {e}", path.display())))?;
        Store::init(db)
    }

    /// A store that lives only in memory, for one-off scans against a folder of records.
    pub fn in_memory() -> Result<Store, Error> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(db_err)?;
        Store::init(db)
    }

    fn init(db: Database) -> Result<Store, Error> {
        let tx = db.begin_write().map_err(db_err)?;
        {
            tx.open_table(RECORDS).map_err(db_err)?;
            tx.open_table(INDEX).map_err(db_err)?;
            tx.open_table(BY_SOURCE).map_err(db_err)?;
            let mut meta = tx.open_table(META).map_err(db_err)?;
            if meta.get("schema_version").map_err(db_err)?.is_none() {
                meta.insert("schema_version", SCHEMA_VERSION).map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)?;
        Ok(Store {
            db: Handle::Write(db),
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db_err(e)),
        };
        Ok(table.get(key).map_err(db_err)?.map(|v| v.value().to_string()))
    }

    /// Replaces everything `source` held with `advisories`, and records the source.
    ///
    /// Records are merged by id across sources, never overwritten: each affected entry keeps
    /// the source it came from, so the Alpine secdb of `v3.11` adds its entries for
    /// `ALPINE-CVE-x` beside those of `v3.10` instead of replacing them, and the result does not
    /// depend on import order. Re-importing a source first drops every entry it held, so ranges
    /// or records an updated dump no longer has do not linger.
    pub fn insert(&self, advisories: &[Advisory], source: &SourceInfo) -> Result<(), Error> {
        self.begin_source(&source.name)?;
        self.add_batch(advisories, &source.name)?;
        self.finish_source(source)
    }

    /// Drops every entry `label` held: the first step of re-importing a source. Records are then
    /// added in batches ([`Store::add_batch`]) so an import's memory does not grow with its size,
    /// and [`Store::finish_source`] records the source. The file-level swap of
    /// [`crate::update::atomically`] keeps the three steps atomic for readers.
    pub fn begin_source(&self, label: &str) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        {
            let mut records = tx.open_table(RECORDS).map_err(db_err)?;
            let mut index = tx.open_table(INDEX).map_err(db_err)?;
            let mut by_source = tx.open_table(BY_SOURCE).map_err(db_err)?;
            let prefix = format!("{label}\0");
            let held: Vec<String> = by_source
                .range(prefix.as_str()..)
                .map_err(db_err)?
                .map_while(|e| {
                    e.map_err(db_err)
                        .map(|(k, _)| k.value().strip_prefix(prefix.as_str()).map(str::to_string))
                        .transpose()
                })
                .collect::<Result<_, _>>()?;
            for id in &held {
                by_source
                    .remove(format!("{prefix}{id}").as_str())
                    .map_err(db_err)?;
                let Some(old) = records
                    .get(id.as_str())
                    .map_err(db_err)?
                    .map(|v| v.value().to_vec())
                else {
                    continue;
                };
                let mut old: Advisory = serde_json::from_slice(&old).map_err(db_err)?;
                let (gone, kept): (Vec<_>, Vec<_>) = old
                    .affected
                    .into_iter()
                    .partition(|a| entry_source(a, &old.source) == label);
                for a in &gone {
                    if !kept
                        .iter()
                        .any(|k| k.ecosystem == a.ecosystem && k.name == a.name)
                    {
                        for key in index_keys(&a.ecosystem, &a.name, id) {
                            index.remove(key.as_str()).map_err(db_err)?;
                        }
                    }
                }
                if kept.is_empty() {
                    records.remove(id.as_str()).map_err(db_err)?;
                } else {
                    old.affected = kept;
                    if old.source == label {
                        old.source = old
                            .affected
                            .iter()
                            .map(|a| entry_source(a, ""))
                            .min()
                            .unwrap_or_default()
                            .to_string();
                    }
                    let bytes = serde_json::to_vec(&old).map_err(db_err)?;
                    records.insert(id.as_str(), bytes.as_slice()).map_err(db_err)?;
                }
            }
        }
        tx.commit().map_err(db_err)
    }

    /// Merges a batch of records of source `label` into the store.
    pub fn add_batch(&self, advisories: &[Advisory], label: &str) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        {
            let mut records = tx.open_table(RECORDS).map_err(db_err)?;
            let mut index = tx.open_table(INDEX).map_err(db_err)?;
            let mut by_source = tx.open_table(BY_SOURCE).map_err(db_err)?;
            let prefix = format!("{label}\0");
            let mut ecosystems = std::collections::BTreeSet::new();
            for adv in advisories {
                let mut adv = adv.clone();
                for a in &mut adv.affected {
                    a.source = Some(label.to_string());
                    // The record's own severity must survive a merge with another source's.
                    if a.severity.is_none() {
                        a.severity = adv.severity.clone();
                    }
                }
                adv.source = label.to_string();
                let existing = records
                    .get(adv.id.as_str())
                    .map_err(db_err)?
                    .map(|v| v.value().to_vec());
                let merged = match existing {
                    Some(bytes) => {
                        let old: Advisory = serde_json::from_slice(&bytes).map_err(db_err)?;
                        merge_records(old, adv, label)
                    }
                    None => adv,
                };
                let bytes = serde_json::to_vec(&merged).map_err(db_err)?;
                records
                    .insert(merged.id.as_str(), bytes.as_slice())
                    .map_err(db_err)?;
                by_source
                    .insert(format!("{prefix}{}", merged.id).as_str(), ())
                    .map_err(db_err)?;
                for a in &merged.affected {
                    for key in index_keys(&a.ecosystem, &a.name, &merged.id) {
                        index.insert(key.as_str(), ()).map_err(db_err)?;
                    }
                    ecosystems.insert(a.ecosystem.clone());
                    ecosystems.extend(a.ecosystem.aliases());
                }
            }
            let mut meta = tx.open_table(META).map_err(db_err)?;
            for eco in &ecosystems {
                meta.insert(format!("ecosystem:{eco}").as_str(), "")
                    .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    /// Records the source's figures once all its batches are in.
    pub fn finish_source(&self, source: &SourceInfo) -> Result<(), Error> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META).map_err(db_err)?;
            let info = serde_json::to_string(source).map_err(db_err)?;
            meta.insert(format!("source:{}", source.name).as_str(), info.as_str())
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Advisories that name this package in this ecosystem (`Debian:12`, `PyPI`, ...).
    pub fn lookup(&self, ecosystem: &OsvEcosystem, name: &str) -> Result<Vec<Advisory>, Error> {
        self.snapshot()?.lookup(ecosystem, name)
    }

    /// Replaces what one archive index part held with `part`.
    pub fn insert_archive(&self, part: &IndexPart) -> Result<(), Error> {
        let info = &part.info;
        let suite_prefix = format!("{}\0{}\0", info.distro, info.suite);
        let part_suffix = format!("\0{}", info.part);
        let tx = self.db.begin_write()?;
        {
            let mut parts = tx.open_table(ARCHIVE_PARTS).map_err(db_err)?;
            let mut packages = tx.open_table(ARCHIVE_PACKAGES).map_err(db_err)?;
            let stale: Vec<String> = packages
                .range(suite_prefix.as_str()..)
                .map_err(db_err)?
                .map_while(|e| match e {
                    Ok((k, _)) => k
                        .value()
                        .starts_with(suite_prefix.as_str())
                        .then(|| Ok(k.value().to_string())),
                    Err(e) => Some(Err(db_err(e))),
                })
                .filter(|k| k.as_ref().map_or(true, |k| k.ends_with(part_suffix.as_str())))
                .collect::<Result<_, _>>()?;
            for key in stale {
                packages.remove(key.as_str()).map_err(db_err)?;
            }
            for (name, version) in &part.packages {
                let key = format!("{suite_prefix}{name}{part_suffix}");
                packages.insert(key.as_str(), version.as_str()).map_err(db_err)?;
            }
            let key = format!("{suite_prefix}{}", info.part);
            let json = serde_json::to_vec(info).map_err(db_err)?;
            parts.insert(key.as_str(), json.as_slice()).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Every archive index part imported, sorted by distribution, suite and part.
    pub fn archive_parts(&self) -> Result<Vec<SuiteInfo>, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = match tx.open_table(ARCHIVE_PARTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(db_err(e)),
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            out.push(serde_json::from_slice(v.value()).map_err(db_err)?);
        }
        Ok(out)
    }

    /// The part recorded for (distro, suite, part), for conditional downloads.
    pub fn archive_part(&self, distro: &str, suite: &str, part: &str) -> Result<Option<SuiteInfo>, Error> {
        Ok(self
            .archive_parts()?
            .into_iter()
            .find(|p| p.distro == distro && p.suite == suite && p.part == part))
    }

    /// The versions of binary package `name` that the parts of `suite` publish, with the part
    /// each comes from.
    pub fn archive_versions(
        &self,
        distro: &str,
        suite: &str,
        name: &str,
    ) -> Result<Vec<(String, String)>, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = match tx.open_table(ARCHIVE_PACKAGES) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(db_err(e)),
        };
        let prefix = format!("{distro}\0{suite}\0{name}\0");
        let mut out = Vec::new();
        for entry in table.range(prefix.as_str()..).map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let Some(part) = k.value().strip_prefix(prefix.as_str()) else {
                break;
            };
            out.push((part.to_string(), v.value().to_string()));
        }
        Ok(out)
    }

    /// A consistent read view for many look-ups: one transaction instead of one per look-up.
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        Ok(Snapshot {
            index: tx.open_table(INDEX).map_err(db_err)?,
            records: tx.open_table(RECORDS).map_err(db_err)?,
        })
    }

    /// The record `id`.
    pub fn get(&self, id: &str) -> Result<Option<Advisory>, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let records = tx.open_table(RECORDS).map_err(db_err)?;
        Ok(match records.get(id).map_err(db_err)? {
            Some(b) => Some(serde_json::from_slice(b.value()).map_err(db_err)?),
            None => None,
        })
    }

    /// Every record's identity and what it names, for telling what an update changed: the
    /// id, its `modified`, a fingerprint of its stored bytes (records without `modified`, such
    /// as secdb's, change too) and its [`package_key`]s, aliases included.
    pub fn record_digests(&self) -> Result<Vec<RecordDigest>, Error> {
        #[derive(Deserialize)]
        struct Lean {
            #[serde(default)]
            modified: Option<String>,
            affected: Vec<LeanAffected>,
        }
        #[derive(Deserialize)]
        struct LeanAffected {
            ecosystem: OsvEcosystem,
            name: String,
        }
        let tx = self.db.begin_read().map_err(db_err)?;
        let records = tx.open_table(RECORDS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in records.iter().map_err(db_err)? {
            let (id, bytes) = entry.map_err(db_err)?;
            let lean: Lean = serde_json::from_slice(bytes.value()).map_err(db_err)?;
            let mut keys: Vec<String> = lean
                .affected
                .iter()
                .flat_map(|a| index_keys(&a.ecosystem, &a.name, ""))
                .map(|k| to_package_key(&k))
                .collect();
            keys.sort();
            keys.dedup();
            out.push(RecordDigest {
                id: id.value().to_string(),
                modified: lean.modified,
                fingerprint: fnv1a(bytes.value()),
                keys,
            });
        }
        Ok(out)
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<u64, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        tx.open_table(RECORDS).map_err(db_err)?.len().map_err(db_err)
    }

    /// Every import source, by name.
    pub fn sources(&self) -> Result<Vec<SourceInfo>, Error> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let meta = tx.open_table(META).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in meta.range("source:".."source;").map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            out.push(serde_json::from_str(v.value()).map_err(db_err)?);
        }
        Ok(out)
    }

    /// Whether any record names a package in this ecosystem (`Debian:12`, `PyPI`): without
    /// one, "no findings" for such packages means "not looked at", not "not vulnerable".
    pub fn has_ecosystem(&self, ecosystem: &OsvEcosystem) -> Result<bool, Error> {
        Ok(self.meta(&format!("ecosystem:{ecosystem}"))?.is_some())
    }

    /// The import source `name`.
    pub fn source(&self, name: &str) -> Result<Option<SourceInfo>, Error> {
        Ok(self.sources()?.into_iter().find(|s| s.name == name))
    }

    /// Shrinks the file after a large import.
    pub fn compact(&mut self) -> Result<(), Error> {
        self.db.writer()?.compact().map_err(db_err)?;
        Ok(())
    }
}

fn entry_source<'a>(entry: &'a crate::model::AffectedPackage, record_source: &'a str) -> &'a str {
    entry.source.as_deref().unwrap_or(record_source)
}

/// One id from two sources. Affected entries are kept per source (the new source's copy
/// replaces its own earlier entries only); the record-level fields come from the source whose
/// name sorts first, so the merged record is the same whatever the import order.
fn merge_records(mut old: Advisory, new: Advisory, label: &str) -> Advisory {
    old.affected.retain(|a| entry_source(a, &old.source) != label);
    if old.affected.is_empty() {
        return new;
    }
    let mut aliases = old.aliases.clone();
    for a in &new.aliases {
        if !aliases.contains(a) {
            aliases.push(a.clone());
        }
    }
    aliases.sort();
    let modified = old.modified.clone().max(new.modified.clone());
    let published = match (&old.published, &new.published) {
        (Some(a), Some(b)) => Some(a.min(b).clone()),
        (a, b) => a.clone().or(b.clone()),
    };
    let mut affected = std::mem::take(&mut old.affected);
    affected.extend(new.affected.iter().cloned());
    affected.sort_by(|a, b| {
        (entry_source(a, ""), &a.ecosystem, &a.name).cmp(&(entry_source(b, ""), &b.ecosystem, &b.name))
    });
    let first = if new.source < old.source { new } else { old };
    Advisory {
        aliases,
        modified,
        published,
        affected,
        summary: first.summary.clone(),
        severity: first.severity.clone(),
        id: first.id.clone(),
        source: first.source.clone(),
    }
}
