//! rpm header blobs as stored in every rpmdb backend: an index of (tag, type, offset, count)
//! entries over a data store. No crate exposes this parser (the `rpm` crate keeps its own
//! private), so drydock carries its own, bounds-checked at every read.

use std::collections::HashMap;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SIZE: u32 = 1009;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_REQUIRENAME: u32 = 1049;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with more tags or data than this (`hdrchkTags`, `hdrchkData`).
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;

/// The tags of one installed package's header that drydock reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmHeader {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`; `None` without the tag.
    pub epoch: Option<u64>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`.
    pub arch: Option<String>,
    /// `SOURCERPM` (`bash-5.1.8-6.el9.src.rpm`).
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// `MODULARITYLABEL`.
    pub modularity_label: Option<String>,
    /// Its files, from `DIRNAMES`, `BASENAMES` and `DIRINDEXES`.
    pub files: Vec<String>,
    /// `REQUIRENAME` entries that name packages (not `libc.so.6()(64bit)`, `/bin/sh` or
    /// `rpmlib(…)` capabilities).
    pub requires: Vec<String>,
    /// `SIZE`: the installed size in bytes.
    pub size: Option<u64>,
}

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// File lists that, with the database's others, hold more than the read budget leaves.
    #[error("its file list passes what the read budget leaves (--read-budget raises it)")]
    PastBudget,
    /// File paths that would weigh far more than the header holding them: a few directory
    /// names shared by many files, each made long.
    #[error("its file paths would take {bytes} bytes, more than {limit} for a header of {header} bytes")]
    FilePaths {
        /// What the paths would take, as far as they were counted.
        bytes: usize,
        /// What a header of this size may expand to.
        limit: usize,
        /// The header's size.
        header: usize,
    },
    /// Shorter than its two size fields.
    #[error("header blob shorter than 8 bytes")]
    TooShort,
    /// Sizes rpm itself refuses.
    #[error("implausible header sizes ({tags} tags, {data} data bytes)")]
    Sizes {
        /// Index entries the blob claims.
        tags: usize,
        /// Data bytes the blob claims.
        data: usize,
    },
    /// The blob ends before its index and data do.
    #[error("header blob truncated: needs {needs} bytes, has {has}")]
    Truncated {
        /// Bytes the sizes call for.
        needs: usize,
        /// Bytes the blob has.
        has: usize,
    },
    /// The blob ends inside its index.
    #[error("truncated index")]
    TruncatedIndex,
    /// A tag holds another type than the one rpm gives it.
    #[error("tag {tag} has type {found} where {expected} was expected")]
    WrongType {
        /// The tag.
        tag: u32,
        /// Its type in the blob.
        found: u32,
        /// The type rpm gives it.
        expected: &'static str,
    },
    /// A string array with more entries than the data has bytes.
    #[error("tag {tag} claims {count} strings in {len} bytes")]
    TooManyStrings {
        /// The tag.
        tag: u32,
        /// Entries it claims.
        count: usize,
        /// The data store's length.
        len: usize,
    },
    /// A tag's value lies outside the data store.
    #[error("tag {tag} points outside the header")]
    OutsideHeader {
        /// The tag.
        tag: u32,
    },
    /// A string runs to the end of the data store.
    #[error("tag {tag} string is not terminated")]
    Unterminated {
        /// The tag.
        tag: u32,
    },
    /// No `NAME` tag.
    #[error("header has no NAME")]
    NoName,
    /// No `VERSION` tag.
    #[error("{name}: header has no VERSION")]
    NoVersion {
        /// The package's name.
        name: String,
    },
}

struct Entry {
    kind: u32,
    offset: usize,
    count: usize,
}

struct Blob<'a> {
    entries: HashMap<u32, Entry>,
    data: &'a [u8],
}

/// The values of a string tag, read as they are asked for.
struct Items<'a> {
    data: &'a [u8],
    at: usize,
    left: usize,
    tag: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<std::borrow::Cow<'a, str>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let tag = self.tag;
        let Some(rest) = self.data.get(self.at..) else {
            self.left = 0;
            return Some(Err(Error::OutsideHeader { tag }));
        };
        let Some(end) = memchr::memchr(0, rest) else {
            self.left = 0;
            return Some(Err(Error::Unterminated { tag }));
        };
        self.at += end + 1;
        Some(Ok(String::from_utf8_lossy(&rest[..end])))
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Blob<'a> {
    fn parse(mut blob: &'a [u8]) -> Result<Self, Error> {
        // A header read from an .rpm file starts with its own 8-byte magic; rpmdb blobs do not.
        if blob.starts_with(&[0x8e, 0xad, 0xe8, 0x01]) {
            blob = blob.get(8..).ok_or(Error::TooShort)?;
        }
        let il = be32(blob, 0).ok_or(Error::TooShort)? as usize;
        let dl = be32(blob, 4).ok_or(Error::TooShort)? as usize;
        if il == 0 || il > MAX_TAGS || dl > MAX_DATA {
            return Err(Error::Sizes { tags: il, data: dl });
        }
        let data_start = 8 + il * 16;
        let data = blob.get(data_start..data_start + dl).ok_or(Error::Truncated {
            needs: data_start + dl,
            has: blob.len(),
        })?;
        let mut entries = HashMap::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let tag = be32(blob, at).ok_or(Error::TruncatedIndex)?;
            let kind = be32(blob, at + 4).ok_or(Error::TruncatedIndex)?;
            let offset = be32(blob, at + 8).ok_or(Error::TruncatedIndex)? as i32;
            let count = be32(blob, at + 12).ok_or(Error::TruncatedIndex)? as usize;
            // Region tags (61-63) describe the index itself and carry negative offsets.
            if (61..=63).contains(&tag) || offset < 0 {
                continue;
            }
            entries.insert(
                tag,
                Entry {
                    kind,
                    offset: offset as usize,
                    count,
                },
            );
        }
        Ok(Blob { entries, data })
    }

    /// A string tag's values, one at a time and borrowed: a header of one-letter names
    /// would weigh many times its size as a list of strings.
    fn items(&self, tag: u32) -> Result<Option<Items<'a>>, Error> {
        let Some(e) = self.entries.get(&tag) else {
            return Ok(None);
        };
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(Error::WrongType {
                tag,
                found: e.kind,
                expected: "a string",
            });
        }
        let count = if e.kind == TYPE_STRING { 1 } else { e.count };
        if count > self.data.len() {
            return Err(Error::TooManyStrings {
                tag,
                count,
                len: self.data.len(),
            });
        }
        Ok(Some(Items {
            data: self.data,
            at: e.offset,
            left: count,
            tag,
        }))
    }

    fn string(&self, tag: u32) -> Result<Option<String>, Error> {
        match self.items(tag)? {
            Some(mut items) => items.next().transpose().map(|s| s.map(|s| s.into_owned())),
            None => Ok(None),
        }
    }

    fn int32s(&self, tag: u32) -> Result<Option<Vec<u32>>, Error> {
        let Some(e) = self.entries.get(&tag) else {
            return Ok(None);
        };
        if e.kind != TYPE_INT32 {
            return Err(Error::WrongType {
                tag,
                found: e.kind,
                expected: "INT32",
            });
        }
        let bytes = e
            .count
            .checked_mul(4)
            .and_then(|n| self.data.get(e.offset..e.offset.checked_add(n)?))
            .ok_or(Error::OutsideHeader { tag })?;
        Ok(Some(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ))
    }
}

/// How many times its own size a header's file paths may take once joined. A real header
/// carries a digest, size, mode and owner for every file besides its name, so its paths take
/// less than its own size.
const MAX_PATH_EXPANSION: usize = 2;

/// Reads a header blob as the database stores it (index entries, then data).
pub fn parse(blob: &[u8]) -> Result<RpmHeader, Error> {
    let mut room = u64::MAX;
    parse_within(blob, &mut room)
}

/// [`parse`], the file list taking what each path costs held (its text and its slot) from
/// `room`; past it, [`Error::PastBudget`].
pub fn parse_within(blob: &[u8], room: &mut u64) -> Result<RpmHeader, Error> {
    let b = Blob::parse(blob)?;
    let name = b.string(TAG_NAME)?.ok_or(Error::NoName)?;
    let version = b
        .string(TAG_VERSION)?
        .ok_or_else(|| Error::NoVersion { name: name.clone() })?;
    let release = b.string(TAG_RELEASE)?.unwrap_or_default();
    let epoch = b
        .int32s(TAG_EPOCH)?
        .and_then(|v| v.first().copied())
        .map(u64::from);
    let mut files = Vec::new();
    if let (Some(bases), Some(dirs), Some(index)) = (
        b.items(TAG_BASENAMES)?,
        b.items(TAG_DIRNAMES)?,
        b.int32s(TAG_DIRINDEXES)?,
    ) {
        // The folders are looked up by index, so they are listed; each takes its slot from
        // the room, as the paths do.
        let mut folders = Vec::new();
        for dir in dirs {
            *room = room.checked_sub(24).ok_or(Error::PastBudget)?;
            folders.push(dir?);
        }
        // Real databases hold headers whose DIRINDEXES point past DIRNAMES; such a file has no
        // knowable directory and is left out rather than failing the whole package.
        let limit = blob.len().saturating_mul(MAX_PATH_EXPANSION).max(64 << 10);
        let mut bytes = 0usize;
        for (base, di) in bases.zip(index) {
            let base = base?;
            if let Some(dir) = folders.get(di as usize) {
                bytes += dir.len() + base.len();
                if bytes > limit {
                    return Err(Error::FilePaths {
                        bytes,
                        limit,
                        header: blob.len(),
                    });
                }
                let path = format!("{dir}{base}");
                *room = room
                    .checked_sub(24 + path.len() as u64)
                    .ok_or(Error::PastBudget)?;
                files.push(path);
            }
        }
    } else if let Some(old) = b.items(TAG_OLDFILENAMES)? {
        for path in old {
            let path = path?.into_owned();
            *room = room
                .checked_sub(24 + path.len() as u64)
                .ok_or(Error::PastBudget)?;
            files.push(path);
        }
    }
    // Distinct names, and no more than a package needs: a header of one-letter names repeated
    // would otherwise list millions.
    let mut requires = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in b.items(TAG_REQUIRENAME)?.into_iter().flatten() {
        let r = r?;
        if r.is_empty() || r.contains(['(', '/']) || seen.contains(r.as_ref()) {
            continue;
        }
        if requires.len() == crate::detector::MAX_DEPENDS {
            break;
        }
        seen.insert(r.to_string());
        requires.push(r.into_owned());
    }
    Ok(RpmHeader {
        name,
        epoch,
        version,
        release,
        arch: b.string(TAG_ARCH)?,
        source_rpm: b.string(TAG_SOURCERPM)?,
        license: b.string(TAG_LICENSE)?,
        modularity_label: b.string(TAG_MODULARITYLABEL)?.filter(|s| !s.is_empty()),
        files,
        requires,
        size: b
            .int32s(TAG_SIZE)?
            .and_then(|v| v.first().copied())
            .map(u64::from),
    })
}
