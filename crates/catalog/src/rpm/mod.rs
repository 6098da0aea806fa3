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
    read_database_within(bytes, u64::MAX)
}

/// [`read_database`], the file lists of all its packages together holding at most `room`
/// bytes: a header's paths are short and many, so their list weighs several times the header.
pub fn read_database_within(bytes: &[u8], mut room: u64) -> Result<Vec<RpmHeader>, DbError> {
    let mut out = Vec::new();
    for (i, blob) in blobs(bytes)?.iter().enumerate() {
        let h = header::parse_within(blob, &mut room)
            .map_err(|source| DbError::Header { index: i + 1, source })?;
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

    fn os_databases(&self) -> (&'static [&'static str], u64) {
        (DATABASES, 384 << 20)
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
            let room = cx.allowance.saturating_sub(cx.held);
            let headers = read_database_within(bytes, room).map_err(|source| match source {
                DbError::Header {
                    source: header::Error::PastBudget,
                    ..
                } => crate::Error::FileListsPastBudget {
                    path: ImagePath::new(&db).absolute(),
                    left: room,
                },
                source => crate::Error::Database {
                    path: ImagePath::new(&db).absolute(),
                    source,
                },
            })?;
            let layers = entry_layers(cx.fs.history(&db), |d| {
                let blobs = blobs(d).ok()?;
                let mut map = HashMap::new();
                // As many as the final database may list, and one more.
                for b in blobs.into_iter().take(crate::detector::MAX_DATABASE_PACKAGES + 1) {
                    // One header at a time, each within what the read left.
                    let mut each = room;
                    if let Ok(h) = header::parse_within(&b, &mut each) {
                        map.insert(nevra(&h), b);
                    }
                }
                Some(map)
            });
            if headers.len() > crate::detector::MAX_DATABASE_PACKAGES {
                return Err(crate::Error::TooManyPackages {
                    path: ImagePath::new(&db).absolute(),
                    max: crate::detector::MAX_DATABASE_PACKAGES,
                });
            }
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
        // The magic an .rpm file's header opens with, and nothing after it.
        for len in 4..8 {
            let magic = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
            assert_eq!(header::parse(&magic[..len]), Err(header::Error::TooShort));
        }
        // rpm's own limits on the sizes (`hdrchkTags`, `hdrchkData`): at them a blob is only
        // short, past them (or with no tags) it is implausible.
        let sizes = |tags: u32, data: u32| [tags.to_be_bytes(), data.to_be_bytes()].concat();
        for (tags, data) in [(0, 4), (0x1_0000, 4), (1, (256 << 20) + 1)] {
            assert_eq!(
                header::parse(&sizes(tags, data)),
                Err(header::Error::Sizes {
                    tags: tags as usize,
                    data: data as usize
                })
            );
        }
        for (tags, data) in [(0xffff, 4), (1, 256 << 20)] {
            assert!(matches!(
                header::parse(&sizes(tags, data)),
                Err(header::Error::Truncated { has: 8, .. })
            ));
        }
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

    /// A header built tag by tag: each value is appended to the data store.
    #[derive(Default)]
    struct Built {
        index: Vec<Vec<u8>>,
        data: Vec<u8>,
    }

    impl Built {
        fn strings(mut self, tag: u32, kind: u32, values: &[&str]) -> Self {
            self.index
                .push(entry(tag, kind, self.data.len() as u32, values.len() as u32));
            for v in values {
                self.data.extend_from_slice(v.as_bytes());
                self.data.push(0);
            }
            self
        }
        fn ints(mut self, tag: u32, values: &[u32]) -> Self {
            self.index
                .push(entry(tag, 4, self.data.len() as u32, values.len() as u32));
            for v in values {
                self.data.extend_from_slice(&v.to_be_bytes());
            }
            self
        }
        fn raw(mut self, index_entry: Vec<u8>) -> Self {
            self.index.push(index_entry);
            self
        }
        fn blob(&self) -> Vec<u8> {
            blob(&self.index, &self.data)
        }
    }

    /// Every field drydock reads, string arrays and the file list included; index entries with
    /// a negative offset (regions) are not tags.
    #[test]
    fn a_header_reads_every_field_it_carries() {
        let b = Built::default()
            .strings(1000, 6, &["bash"])
            .strings(1001, 6, &["5.1.8"])
            .strings(1002, 6, &["6.el9"])
            .ints(1003, &[1])
            .strings(1117, 8, &["bash", "sh", "bashbug"])
            .strings(1118, 8, &["/usr/bin/", "/etc/"])
            .ints(1116, &[0, 0, 7])
            .strings(
                1049,
                8,
                &["libc.so.6()(64bit)", "/bin/sh", "", "filesystem", "ncurses-libs"],
            )
            .strings(5096, 6, &[""])
            .raw(entry(1022, 6, 0xffff_ffff, 1));
        let h = header::parse(&b.blob()).unwrap();
        assert_eq!(
            (h.name.as_str(), h.version.as_str(), h.release.as_str(), h.epoch),
            ("bash", "5.1.8", "6.el9", Some(1))
        );
        assert_eq!(evr(&h), "1:5.1.8-6.el9");
        // The third file's directory index points past DIRNAMES: it has no knowable place.
        assert_eq!(h.files, ["/usr/bin/bash", "/usr/bin/sh"]);
        assert_eq!(h.requires, ["filesystem", "ncurses-libs"]);
        assert_eq!((h.modularity_label, h.arch), (None, None));

        // An array that claims more strings than the store has bytes.
        let b = Built::default()
            .strings(1000, 6, &["a"])
            .strings(1001, 6, &["1"])
            .raw(entry(1117, 8, 0, 5));
        assert_eq!(
            header::parse(&b.blob()),
            Err(header::Error::TooManyStrings {
                tag: 1117,
                count: 5,
                len: 4
            })
        );
        // As many strings as the store has bytes: all empty, and all there.
        let b = Built::default()
            .strings(1000, 6, &[""])
            .raw(entry(1001, 6, 0, 1))
            .raw(entry(1117, 8, 0, 1))
            .raw(entry(1118, 8, 0, 1))
            .ints(1116, &[]);
        assert_eq!(b.data.len(), 1);
        assert_eq!(header::parse(&b.blob()).unwrap().files, Vec::<String>::new());
        // A single STRING is one value whatever its count says.
        let b = Built::default()
            .raw(entry(1000, 6, 0, 9))
            .strings(1001, 6, &["1"]);
        let mut blob = b.blob();
        // NAME shares VERSION's bytes: "1".
        assert_eq!(header::parse(&blob).unwrap().name, "1");
        blob.truncate(blob.len() - 1);
        assert!(header::parse(&blob).is_err());
    }

    /// One long directory name shared by many one-letter files would make a small header
    /// expand to gigabytes of paths: past twice the header's size (and 64 KiB) it is an
    /// error. A header of real proportions is read whole.
    #[test]
    fn file_paths_cannot_outgrow_their_header() {
        let long_dir = format!("/{}/", "d".repeat(4000));
        let files = 20_000;
        let bases: Vec<&str> = vec!["f"; files];
        let hostile = Built::default()
            .strings(1000, 6, &["x"])
            .strings(1001, 6, &["1"])
            .strings(1117, 8, &bases)
            .strings(1118, 8, &[long_dir.as_str()])
            .ints(1116, &vec![0; files]);
        let blob = hostile.blob();
        match header::parse(&blob) {
            Err(header::Error::FilePaths { limit, header, bytes }) => {
                assert_eq!((header, limit), (blob.len(), blob.len() * 2));
                assert!(bytes > limit);
            }
            other => panic!("{other:?}"),
        }
        // Real proportions: a short directory, names of twenty bytes.
        let names: Vec<String> = (0..files).map(|i| format!("lib{i:06}-plugin.so")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let real = Built::default()
            .strings(1000, 6, &["x"])
            .strings(1001, 6, &["1"])
            .strings(1117, 8, &names)
            .strings(1118, 8, &["/usr/lib64/x/plugins/"])
            .ints(1116, &vec![0; files]);
        assert_eq!(header::parse(&real.blob()).unwrap().files.len(), files);
    }

    /// The ndb slot table: it must fit the file, a file that is exactly the table is an empty
    /// database, and bytes past the table are never read as slots.
    #[test]
    fn ndb_slot_tables_fit_their_file() {
        const PAGE: usize = 4096;
        let table = |pages: u32| {
            let mut db = vec![0u8; PAGE];
            db[0..4].copy_from_slice(b"RpmP");
            db[12..16].copy_from_slice(&pages.to_le_bytes());
            db
        };
        assert_eq!(ndb::values(&table(1)), Ok(Vec::new()));
        assert_eq!(ndb::values(&table(0)), Err(ndb::Error::SlotTable { pages: 0 }));
        assert_eq!(ndb::values(&table(2)), Err(ndb::Error::SlotTable { pages: 2 }));
        // A second page that looks like slots, outside the one-page table.
        let mut db = table(1);
        let mut fake = vec![0u8; PAGE];
        for at in [0, 32] {
            fake[at..at + 4].copy_from_slice(b"Slot");
            fake[at + 4..at + 8].copy_from_slice(&7u32.to_le_bytes());
            fake[at + 8..at + 12].copy_from_slice(&999u32.to_le_bytes());
        }
        db.extend(fake);
        assert_eq!(ndb::values(&db), Ok(Vec::new()));
    }

    /// A header's file list takes what each folder and path holds from the room it is given;
    /// past it, the read stops with [`header::Error::PastBudget`] rather than holding the rest.
    /// Required names are distinct and at most [`crate::MAX_DEPENDS`].
    #[test]
    fn file_lists_take_from_the_room_they_are_given() {
        let names: Vec<String> = (0..1_000).map(|i| format!("f{i:04}")).collect();
        let bases: Vec<&str> = names.iter().map(String::as_str).collect();
        let blob = Built::default()
            .strings(1000, 6, &["big"])
            .strings(1001, 6, &["1"])
            .strings(1117, 8, &bases)
            .strings(1118, 8, &["/usr/lib/"])
            .ints(1116, &vec![0; 1_000])
            .strings(
                1049,
                8,
                &["libc.so.6()(64bit)", "bash", "bash", "/bin/sh", "coreutils"],
            )
            .blob();
        let mut room = u64::MAX;
        assert_eq!(
            header::parse_within(&blob, &mut room).unwrap().requires,
            ["bash", "coreutils"]
        );
        let many: Vec<String> = (0..crate::MAX_DEPENDS + 10).map(|i| format!("r{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let wide = Built::default()
            .strings(1000, 6, &["wide"])
            .strings(1001, 6, &["1"])
            .strings(1049, 8, &many)
            .blob();
        assert_eq!(header::parse(&wide).unwrap().requires.len(), crate::MAX_DEPENDS);
        let each = 24 + "/usr/lib/f0000".len() as u64;
        // The one folder's slot, then each path.
        let mut room = 24 + 1_000 * each;
        assert_eq!(header::parse_within(&blob, &mut room).unwrap().files.len(), 1_000);
        assert_eq!(room, 0);
        let mut room = 24 + 1_000 * each - 1;
        assert_eq!(
            header::parse_within(&blob, &mut room),
            Err(header::Error::PastBudget)
        );
    }
}
