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

/// Header blobs of any rpm database format.
pub fn blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if sqlite::is_sqlite(bytes) {
        sqlite::values(bytes)
    } else if ndb::is_ndb(bytes) {
        ndb::values(bytes)
    } else if bdb::is_bdb_hash(bytes) {
        bdb::values(bytes)
    } else {
        Err("not an rpm database (neither sqlite, ndb nor Berkeley DB hash)".to_string())
    }
}

/// Every package in a database; `gpg-pubkey` entries are imported keys, not software.
pub fn read_database(bytes: &[u8]) -> Result<Vec<RpmHeader>, String> {
    let mut out = Vec::new();
    for blob in blobs(bytes)? {
        let h = header::parse(&blob)?;
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
            let headers = read_database(bytes).map_err(|detail| crate::Error::Database {
                path: ImagePath::new(&db).absolute(),
                detail,
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
        assert!(blobs(b"hello world, this is not a database").is_err());
        assert!(bdb::values(&[0u8; 10]).is_err());
    }
}
