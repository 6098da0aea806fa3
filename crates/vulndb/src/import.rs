//! Importing advisory files: an OSV `all.zip`, a directory of OSV records (JSON or YAML), one
//! record, or an Alpine secdb file (YAML or JSON).

use crate::Malformation;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::Error;
use crate::model::Advisory;
use crate::osv::{self, Parsed};
use crate::secdb;
use crate::store::{SourceInfo, Store};

/// Largest single record or secdb file read into memory.
const MAX_FILE: u64 = 256 << 20;

#[derive(Default)]
struct Batch {
    advisories: Vec<Advisory>,
    withdrawn: u64,
    unsupported: BTreeMap<String, u64>,
}

impl Batch {
    fn push(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Advisory {
                advisory,
                unsupported,
            } => {
                self.advisories.push(*advisory);
                for family in unsupported {
                    count_unsupported(&mut self.unsupported, family, 1);
                }
            }
            Parsed::Withdrawn(_) => self.withdrawn += 1,
        }
    }

    fn advisory(&mut self, advisory: Advisory) {
        self.push(Parsed::Advisory {
            advisory: Box::new(advisory),
            unsupported: Vec::new(),
        });
    }
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, n) in from {
        count_unsupported(into, k.clone(), *n);
    }
}

/// Distinct unknown ecosystem names kept by name; the rest are counted together. The names
/// come from the advisory data, so neither their number nor their length is left unbounded.
const MAX_UNSUPPORTED_NAMES: usize = 32;
const OTHER_ECOSYSTEMS: &str = "(other ecosystems)";

fn count_unsupported(into: &mut BTreeMap<String, u64>, family: String, n: u64) {
    let mut family: String = family.chars().take(64).collect();
    if !into.contains_key(&family) && into.len() >= MAX_UNSUPPORTED_NAMES {
        family = OTHER_ECOSYSTEMS.to_string();
    }
    *into.entry(family).or_default() += n;
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn info(name: String, origin: &Path, batch: &Batch) -> SourceInfo {
    SourceInfo {
        name,
        origin: origin.display().to_string(),
        imported_at: now(),
        records: batch.advisories.len() as u64,
        withdrawn: batch.withdrawn,
        newest_modified: batch.advisories.iter().filter_map(|a| a.modified.clone()).max(),
        unsupported: batch.unsupported.clone(),
        etag: None,
        last_modified: None,
    }
}

fn parse_record(bytes: &[u8], name: &str, source: &str) -> Result<Parsed, Error> {
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let parsed = if yaml {
        osv::parse_yaml(bytes, source)
    } else {
        osv::parse_json(bytes, source)
    };
    parsed.map_err(|problem| Error::Malformed {
        what: name.to_string(),
        problem,
    })
}

fn looks_like_secdb(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.contains("distroversion") && text.contains("packages")
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path, e))?;
    if out.len() as u64 > MAX_FILE {
        return Err(Error::Malformed {
            what: path.display().to_string(),
            problem: Malformation::FileTooLarge,
        });
    }
    Ok(out)
}

/// Records parsed and held before they are written: memory stays flat in the dump's size.
const BATCH: usize = 5_000;

/// What a streamed import counted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counted {
    /// Records imported.
    pub records: u64,
    /// Withdrawn records skipped.
    pub withdrawn: u64,
    /// The newest `modified` among them.
    pub newest_modified: Option<String>,
    /// `affected` entries left out, per ecosystem family drydock does not know.
    pub unsupported: BTreeMap<String, u64>,
}

/// Imports every advisory of an OSV zip (`all.zip`) into `store` as source `source`, in
/// batches, replacing what that source held. The caller records the source with the counts.
pub fn import_zip(store: &Store, bytes: &[u8], label: &str, source: &str) -> Result<Counted, Error> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| Error::Malformed {
        what: label.to_string(),
        problem: Malformation::NotZip(e),
    })?;
    store.begin_source(source)?;
    let mut counted = Counted::default();
    let mut batch = Batch::default();
    let flush = |batch: &mut Batch, counted: &mut Counted| -> Result<(), Error> {
        counted.records += batch.advisories.len() as u64;
        counted.withdrawn += batch.withdrawn;
        let newest = batch.advisories.iter().filter_map(|a| a.modified.clone()).max();
        counted.newest_modified = counted.newest_modified.take().max(newest);
        add_counts(&mut counted.unsupported, &batch.unsupported);
        store.add_batch(&batch.advisories, source)?;
        *batch = Batch::default();
        Ok(())
    };
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| Error::Malformed {
            what: label.to_string(),
            problem: Malformation::ZipMember(e),
        })?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if !(name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let mut buf = Vec::with_capacity(entry.size().min(MAX_FILE) as usize);
        (&mut entry)
            .take(MAX_FILE)
            .read_to_end(&mut buf)
            .map_err(|e| Error::Malformed {
                what: format!("{label}:{name}"),
                problem: Malformation::ZipRead(e),
            })?;
        batch.push(parse_record(&buf, &format!("{label}:{name}"), source)?);
        if batch.advisories.len() >= BATCH {
            flush(&mut batch, &mut counted)?;
        }
    }
    flush(&mut batch, &mut counted)?;
    Ok(counted)
}

/// What an import read, and the files it passed over as not advisories.
#[derive(Debug, Default)]
pub struct Imported {
    /// One per import source the files made.
    pub sources: Vec<SourceInfo>,
    /// `path: why` for each file in a directory that is not an advisory (a CI workflow, a
    /// README), listed by `db import --verbose`.
    pub skipped: Vec<String>,
    /// Distribution archive index parts (Debian/Ubuntu `Packages`, Alpine `APKINDEX`).
    pub archives: Vec<crate::archive::SuiteInfo>,
}

/// Whether a `.json`/`.yaml` file is meant as an OSV record: it has a top-level `id`. Other
/// files in an advisory checkout (CI workflows, configuration) are skipped, while a record
/// that is broken is still an error.
fn looks_like_osv(bytes: &[u8], yaml: bool) -> bool {
    if yaml {
        String::from_utf8_lossy(bytes)
            .lines()
            .any(|l| l.starts_with("id:") || l.starts_with("\"id\":"))
    } else {
        /// Only the top-level `id`, in one pass that skips everything else.
        #[derive(serde::Deserialize)]
        struct TopLevel {
            id: Option<serde::de::IgnoredAny>,
        }
        match serde_json::from_slice::<TopLevel>(bytes) {
            Ok(top) => top.id.is_some(),
            // Valid JSON of another shape (an array, a string) is not a record.
            Err(e) if e.classify() == serde_json::error::Category::Data => false,
            // Broken JSON is reported by the record parser, with its position.
            Err(_) => true,
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        // `.git`, `.github` and the like hold no advisories.
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = e.file_type().map_err(|err| Error::io(&path, err))?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Imports one path into the store and returns what was recorded for it.
pub fn import_path(store: &Store, path: &Path) -> Result<Imported, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let label = path.display().to_string();
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        let source = format!(
            "osv:dir:{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(label.clone())
        );
        let mut batch = Batch::default();
        let mut infos = Vec::new();
        let mut skipped = Vec::new();
        for f in files {
            let name = f.display().to_string();
            if name.ends_with(".md") {
                let text = String::from_utf8_lossy(&read_file(&f)?).into_owned();
                if !crate::rustsec::looks_like_advisory(&text) {
                    skipped.push(format!("{name}: not an advisory file"));
                    continue;
                }
                // advisory-db keeps crate advisories as crates/NAME/RUSTSEC-*.md and toolchain
                // ones as rust/COMPONENT/CVE-*.md.
                let ecosystem = if f
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("RUSTSEC-"))
                {
                    crate::model::Family::CratesIo
                } else {
                    crate::model::Family::RustToolchain
                };
                match crate::rustsec::parse(&text, &source, ecosystem).map_err(|problem| {
                    Error::Malformed {
                        what: name.clone(),
                        problem,
                    }
                })? {
                    Some(a) => batch.advisory(a),
                    None => batch.withdrawn += 1,
                }
                continue;
            }
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if !(yaml || name.ends_with(".json")) {
                skipped.push(format!("{name}: not an advisory file"));
                continue;
            }
            let bytes = read_file(&f)?;
            if looks_like_secdb(&bytes) {
                infos.extend(import_secdb(store, &f, &bytes)?);
                continue;
            }
            if !looks_like_osv(&bytes, yaml) {
                skipped.push(format!("{name}: no top-level id, not an OSV record"));
                continue;
            }
            batch.push(parse_record(&bytes, &name, &source)?);
        }
        if batch.advisories.is_empty() && batch.withdrawn == 0 && infos.is_empty() {
            return Err(Error::Malformed {
                what: label,
                problem: Malformation::NoRecords,
            });
        }
        if !batch.advisories.is_empty() || batch.withdrawn > 0 {
            let info = info(source, path, &batch);
            store.insert(&batch.advisories, &info)?;
            infos.push(info);
        }
        return Ok(Imported {
            sources: infos,
            skipped,
            archives: Vec::new(),
        });
    }
    let head = {
        use std::io::Read as _;
        let mut head = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(64).read_to_end(&mut head))
            .map_err(|e| Error::io(path, e))?;
        head
    };
    if crate::archive::is_archive_index(path, &head) {
        let mut archives = Vec::new();
        for part in crate::archive::read_local(path)? {
            store.insert_archive(&part)?;
            archives.push(part.info);
        }
        return Ok(Imported {
            sources: Vec::new(),
            skipped: Vec::new(),
            archives,
        });
    }
    let bytes = read_file(path)?;
    if bytes.starts_with(b"PK\x03\x04") || label.ends_with(".zip") {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        // osv.dev's layout is ECOSYSTEM/all.zip: name the source after the ecosystem.
        let source = if stem == "all" && !parent.is_empty() {
            format!("osv:{parent}")
        } else {
            format!("osv:{stem}")
        };
        let counted = import_zip(store, &bytes, &label, &source)?;
        let info = SourceInfo {
            name: source,
            origin: path.display().to_string(),
            imported_at: now(),
            records: counted.records,
            withdrawn: counted.withdrawn,
            newest_modified: counted.newest_modified,
            unsupported: counted.unsupported,
            etag: None,
            last_modified: None,
        };
        store.finish_source(&info)?;
        return Ok(Imported {
            sources: vec![info],
            skipped: Vec::new(),
            archives: Vec::new(),
        });
    }
    if looks_like_secdb(&bytes) {
        return Ok(Imported {
            sources: import_secdb(store, path, &bytes)?,
            skipped: Vec::new(),
            archives: Vec::new(),
        });
    }
    let source = format!(
        "osv:file:{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let mut batch = Batch::default();
    batch.push(parse_record(&bytes, &label, &source)?);
    let info = info(source, path, &batch);
    store.insert(&batch.advisories, &info)?;
    Ok(Imported {
        sources: vec![info],
        skipped: Vec::new(),
        archives: Vec::new(),
    })
}

fn import_secdb(store: &Store, path: &Path, bytes: &[u8]) -> Result<Vec<SourceInfo>, Error> {
    let is_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let (source, advisories) = secdb::parse(bytes, is_json).map_err(|problem| Error::Malformed {
        what: path.display().to_string(),
        problem,
    })?;
    let batch = Batch {
        advisories,
        ..Batch::default()
    };
    let info = info(source, path, &batch);
    store.insert(&batch.advisories, &info)?;
    Ok(vec![info])
}
