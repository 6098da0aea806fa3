//! rpm: all three database formats — BerkeleyDB hash (`Packages`), ndb (`Packages.db`) and
//! sqlite (`rpmdb.sqlite`) — told apart by content, each yielding the same header blobs.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use drydock_source::ImagePath;
use std::collections::HashMap;

use crate::attribution::entry_layers;
use crate::detector::{Context, Detector, Found, distro_qualifier, purl};
use crate::model::{Package, PackageType};
pub use header::RpmHeader;

/// rpm's databases: BerkeleyDB `Packages`, `Packages.db` (ndb) and `rpmdb.sqlite`.
pub struct Rpm;

const DATABASES: &[&str] = &[
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Why an rpm database could not be read, whichever its format.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// None of the three formats.
    #[error("not an rpm database (neither sqlite, ndb nor Berkeley DB hash)")]
    Unrecognised,
    /// A broken Berkeley DB hash file.
    #[error(transparent)]
    BerkeleyDb(#[from] bdb::Error),
    /// A broken ndb file.
    #[error(transparent)]
    Ndb(#[from] ndb::Error),
    /// A broken sqlite database.
    #[error(transparent)]
    Sqlite(#[from] sqlite::Error),
    /// A package's header blob, counted from 1 in the database's order.
    #[error("package {index}: {source}")]
    Header {
        /// Which blob.
        index: usize,
        /// What is wrong with it.
        source: header::Error,
    },
}

/// Header blobs of any rpm database format.
pub fn blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, DbError> {
    if sqlite::is_sqlite(bytes) {
        Ok(sqlite::values(bytes)?)
    } else if ndb::is_ndb(bytes) {
        Ok(ndb::values(bytes)?)
    } else if bdb::is_bdb_hash(bytes) {
        Ok(bdb::values(bytes)?)
    } else {
        Err(DbError::Unrecognised)
    }
}

/// Every package in a database; `gpg-pubkey` entries are imported keys, not software.
pub fn read_database(bytes: &[u8]) -> Result<Vec<RpmHeader>, DbError> {
    let mut out = Vec::new();
    for (i, blob) in blobs(bytes)?.iter().enumerate() {
        let h = header::parse(blob).map_err(|source| DbError::Header { index: i + 1, source })?;
        if h.name != "gpg-pubkey" {
            out.push(h);
        }
    }
    Ok(out)
}

/// `[EPOCH:]VERSION-RELEASE` of a header.
pub fn evr(h: &RpmHeader) -> String {
    let vr = if h.release.is_empty() {
        h.version.clone()
    } else {
        format!("{}-{}", h.version, h.release)
    };
    match h.epoch {
        Some(e) => format!("{e}:{vr}"),
        None => vr,
    }
}

fn nevra(h: &RpmHeader) -> String {
    format!("{}-{}.{}", h.name, evr(h), h.arch.as_deref().unwrap_or(""))
}

/// `openssl-1.1.1k-5.el8_5.src.rpm` → (`openssl`, `1.1.1k-5.el8_5`).
pub fn split_source_rpm(srpm: &str) -> Option<(String, String)> {
    let stem = srpm.strip_suffix(".rpm")?;
    let stem = stem.rsplit_once('.').map(|(s, _arch)| s)?;
    let (name_version, release) = stem.rsplit_once('-')?;
    let (name, version) = name_version.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

impl Detector for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn patterns(&self) -> &'static [&'static str] {
        DATABASES
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        let distro = distro_qualifier(cx.distro);
        let namespace = cx
            .distro
            .map(|d| d.id.as_str())
            .filter(|id| !id.is_empty())
            .unwrap_or("redhat");
        for db in cx.fs.glob_any(DATABASES) {
            let Some(bytes) = cx.fs.read(&db) else {
                continue;
            };
            found.databases.push(ImagePath::new(&db).absolute());
            let headers = read_database(bytes).map_err(|source| crate::Error::Database {
                path: ImagePath::new(&db).absolute(),
                source,
            })?;
            let layers = entry_layers(cx.fs.history(&db), |d| {
                let blobs = blobs(d).ok()?;
                let mut map = HashMap::new();
                for b in blobs {
                    if let Ok(h) = header::parse(&b) {
                        map.insert(nevra(&h), b);
                    }
                }
                Some(map)
            });
            for h in headers {
                let version = evr(&h);
                let arch = h.arch.clone().unwrap_or_default();
                let epoch = h.epoch.map(|e| e.to_string()).unwrap_or_default();
                let vr = if h.release.is_empty() {
                    h.version.clone()
                } else {
                    format!("{}-{}", h.version, h.release)
                };
                let (source_name, source_version) = match h.source_rpm.as_deref().and_then(split_source_rpm) {
                    Some((n, v)) => (Some(n), Some(v)),
                    None => (None, None),
                };
                found.packages.push(Package {
                    purl: purl(
                        PackageType::Rpm,
                        Some(namespace),
                        &h.name,
                        &vr,
                        &[("arch", &arch), ("epoch", &epoch), ("distro", &distro)],
                    ),
                    layer: layers.get(&nevra(&h)).copied(),
                    name: h.name,
                    version,
                    ecosystem: PackageType::Rpm,
                    source_name,
                    source_version,
                    arch: h.arch,
                    epoch: h.epoch,
                    modularity_label: h.modularity_label,
                    locations: vec![ImagePath::new(&db).absolute()],
                    files: h.files,
                    licenses: h.license.into_iter().collect(),
                    owner: None,
                    dev: false,
                    introduced_by: None,
                    depends: h.requires,
                    installed_size: h.size,
                    essential: false,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("openssl-1.1.1k-5.el8_5.src.rpm"),
            Some(("openssl".into(), "1.1.1k-5.el8_5".into()))
        );
        assert_eq!(
            split_source_rpm("python-urllib3-1.26.5-3.el9.src.rpm"),
            Some(("python-urllib3".into(), "1.26.5-3.el9".into()))
        );
        assert_eq!(split_source_rpm("garbage"), None);
    }

    #[test]
    fn unknown_database_is_an_error() {
        assert!(matches!(
            blobs(b"hello world, this is not a database"),
            Err(DbError::Unrecognised)
        ));
        assert_eq!(bdb::values(&[0u8; 10]), Err(bdb::Error::TooShort));
    }

    /// A header index entry: tag, type, offset, count.
    fn entry(tag: u32, kind: u32, offset: u32, count: u32) -> Vec<u8> {
        [tag, kind, offset, count]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect()
    }

    fn blob(entries: &[Vec<u8>], data: &[u8]) -> Vec<u8> {
        let mut out = (entries.len() as u32).to_be_bytes().to_vec();
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(entries.concat());
        out.extend(data);
        out
    }

    /// Each way a header blob can break says which, and where: the tag, the sizes.
    #[test]
    fn header_errors_name_the_tag_and_the_sizes() {
        let good = blob(&[entry(1000, 6, 0, 1), entry(1001, 6, 5, 1)], b"zlib\x001.2\0");
        let h = header::parse(&good).unwrap();
        assert_eq!((h.name.as_str(), h.version.as_str()), ("zlib", "1.2"));
        assert_eq!(
            header::parse(&good[..good.len() - 1]),
            Err(header::Error::Truncated {
                needs: good.len(),
                has: good.len() - 1
            })
        );
        assert_eq!(header::parse(&good[..5]), Err(header::Error::TooShort));
        let name_as_int = blob(&[entry(1000, 4, 0, 1)], &[0, 0, 0, 1]);
        assert_eq!(
            header::parse(&name_as_int),
            Err(header::Error::WrongType {
                tag: 1000,
                found: 4,
                expected: "a string"
            })
        );
        let unterminated = blob(&[entry(1000, 6, 0, 1)], b"zlib");
        assert_eq!(
            header::parse(&unterminated),
            Err(header::Error::Unterminated { tag: 1000 })
        );
        let no_version = blob(&[entry(1000, 6, 0, 1)], b"zlib\0");
        assert_eq!(
            header::parse(&no_version),
            Err(header::Error::NoVersion { name: "zlib".into() })
        );
    }
}
