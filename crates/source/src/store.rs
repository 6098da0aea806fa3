//! Where an image's files live: a directory (OCI layout) or a tar archive (oci-archive,
//! docker-archive). Both answer `open(name)` with a fresh reader, so layers can be read in
//! parallel without ever unpacking the archive to disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::compression::{Compression, sniff};
use crate::error::{Error, Result};
use crate::paths;

/// Largest metadata document (manifest, index, config) drydock reads into memory.
const MAX_JSON: u64 = 64 << 20;

pub(crate) type BlobReader<'a> = Box<dyn Read + Send + 'a>;

pub(crate) trait Store: Send + Sync {
    /// Human name used in errors, e.g. the archive path.
    fn describe(&self) -> String;
    fn exists(&self, name: &str) -> bool;
    fn open(&self, name: &str) -> Result<BlobReader<'_>>;

    /// [`Store::open`] for a blob whose descriptor declares `size`: a store that reads over the
    /// network gives the transfer a deadline that grows with the size.
    fn open_sized(&self, name: &str, _size: u64) -> Result<BlobReader<'_>> {
        self.open(name)
    }

    fn read_small(&self, name: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(name)?
            .take(MAX_JSON + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::NotAnImage(format!("{}: reading {name}: {e}", self.describe())))?;
        if out.len() as u64 > MAX_JSON {
            return Err(Error::NotAnImage(format!(
                "{}: {name} is larger than {MAX_JSON} bytes",
                self.describe()
            )));
        }
        Ok(out)
    }
}

pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> Self {
        DirStore {
            root: root.to_path_buf(),
        }
    }
}

impl Store for DirStore {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
    fn exists(&self, name: &str) -> bool {
        self.root.join(name).is_file()
    }
    fn open(&self, name: &str) -> Result<BlobReader<'_>> {
        let clean = paths::entry_name(name, &self.describe())?;
        let path = self.root.join(&clean);
        // A blob is a regular file inside the layout: a symlink out of it (to a host file, to
        // /dev/zero) or a FIFO would read the host or never end.
        let real = path.canonicalize().map_err(|e| Error::io(&path, e))?;
        let root = self.root.canonicalize().map_err(|e| Error::io(&self.root, e))?;
        if !real.starts_with(&root) {
            return Err(Error::HostilePath {
                place: self.describe(),
                path: clean,
                why: "blob is a link out of the layout",
            });
        }
        let meta = std::fs::metadata(&real).map_err(|e| Error::io(&path, e))?;
        if !meta.is_file() {
            return Err(Error::NotAnImage(format!(
                "{}: {clean} is not a regular file",
                self.describe()
            )));
        }
        let file = File::open(&real).map_err(|e| Error::io(&path, e))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, file)))
    }
}

/// An uncompressed tar archive, indexed once: every member is then read in place with its own
/// file handle.
pub(crate) struct TarStore {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

/// A compressed tar archive (e.g. `docker save | gzip`). It cannot be seeked, so each `open`
/// decompresses from the start up to the member; memory stays flat at the price of re-reading.
pub(crate) struct StreamTarStore {
    path: PathBuf,
    compression: Compression,
    members: HashMap<String, String>,
}

enum Member {
    Data(u64, u64),
    Link(String),
}

fn index_tar<R: Read>(reader: R, place: &str) -> Result<HashMap<String, Member>> {
    let mut archive = tar::Archive::new(reader);
    let bad = |e: io::Error| Error::NotAnImage(format!("{place}: not a readable tar archive: {e}"));
    index_entries(archive.entries().map_err(bad)?, place)
}

/// As [`index_tar`] for a file: member data is skipped with a seek instead of being read, so a
/// warm scan of a large archive costs its headers only.
fn index_tar_seekable(file: File, place: &str) -> Result<HashMap<String, Member>> {
    let mut archive = tar::Archive::new(file);
    let bad = |e: io::Error| Error::NotAnImage(format!("{place}: not a readable tar archive: {e}"));
    index_entries(archive.entries_with_seek().map_err(bad)?, place)
}

fn index_entries<R: Read>(entries: tar::Entries<'_, R>, place: &str) -> Result<HashMap<String, Member>> {
    let mut out = HashMap::new();
    let bad = |e: io::Error| Error::NotAnImage(format!("{place}: not a readable tar archive: {e}"));
    for entry in entries {
        let entry = entry.map_err(bad)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = paths::entry_name(&raw, place)?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let resolved = if kind.is_symlink() {
                paths::join_link(&name, &target)
            } else {
                paths::entry_name(&target, place).ok()
            };
            let resolved = resolved.ok_or_else(|| Error::HostilePath {
                place: place.to_string(),
                path: raw.clone(),
                why: "link escapes the archive",
            })?;
            out.insert(name, Member::Link(resolved));
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            out.insert(name, Member::Data(entry.raw_file_position(), entry.size()));
        }
    }
    Ok(out)
}

fn follow<'a, T>(
    members: &'a HashMap<String, T>,
    name: &str,
    link: impl Fn(&'a T) -> Option<&'a String>,
) -> Option<&'a T> {
    let mut current = members.get(name)?;
    for _ in 0..16 {
        match link(current) {
            Some(target) => current = members.get(target.as_str())?,
            None => return Some(current),
        }
    }
    None
}

impl TarStore {
    pub(crate) fn open_path(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let members = index_tar_seekable(file, &path.display().to_string())?;
        let mut resolved = HashMap::new();
        for name in members.keys() {
            if let Some(Member::Data(off, len)) = follow(&members, name, |m| match m {
                Member::Link(t) => Some(t),
                Member::Data(..) => None,
            }) {
                resolved.insert(name.clone(), (*off, *len));
            }
        }
        Ok(TarStore {
            path: path.to_path_buf(),
            members: resolved,
        })
    }
}

impl Store for TarStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
    fn exists(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }
    fn open(&self, name: &str) -> Result<BlobReader<'_>> {
        let &(offset, len) = self
            .members
            .get(name)
            .ok_or_else(|| Error::NotAnImage(format!("{}: archive has no member {name}", self.describe())))?;
        let mut file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, file.take(len))))
    }
}

impl StreamTarStore {
    pub(crate) fn open_path(path: &Path, compression: Compression) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let place = path.display().to_string();
        let members = index_tar(compression.decoder(BufReader::new(file), &place)?, &place)?;
        let mut resolved = HashMap::new();
        for name in members.keys() {
            let mut current = name.clone();
            for _ in 0..16 {
                match members.get(&current) {
                    Some(Member::Link(t)) => current = t.clone(),
                    Some(Member::Data(..)) => {
                        resolved.insert(name.clone(), current.clone());
                        break;
                    }
                    None => break,
                }
            }
        }
        Ok(StreamTarStore {
            path: path.to_path_buf(),
            compression,
            members: resolved,
        })
    }
}

impl Store for StreamTarStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
    fn exists(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }
    fn open(&self, name: &str) -> Result<BlobReader<'_>> {
        let target = self
            .members
            .get(name)
            .ok_or_else(|| Error::NotAnImage(format!("{}: archive has no member {name}", self.describe())))?
            .clone();
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let decoder = self.compression.decoder(BufReader::new(file), &self.describe())?;
        let mut archive = tar::Archive::new(decoder);
        let bad = |e: io::Error| Error::NotAnImage(format!("{}: reading {name}: {e}", self.path.display()));
        let mut size = None;
        // Dropping the iterator right after the member's header leaves the decoder at the first
        // byte of its data, so the member can be streamed from the bare decoder.
        for entry in archive.entries().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if paths::entry_name(&raw, "").ok().as_deref() == Some(target.as_str()) {
                size = Some(entry.size());
                break;
            }
        }
        let size =
            size.ok_or_else(|| Error::NotAnImage(format!("{}: member {name} vanished", self.describe())))?;
        Ok(Box::new(archive.into_inner().take(size)))
    }
}

/// Opens a tar archive as a store, choosing the seekable or the streaming form by its magic bytes.
pub(crate) fn open_archive(path: &Path) -> Result<Box<dyn Store>> {
    let mut head = [0u8; 8];
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = read_up_to(&mut file, &mut head).map_err(|e| Error::io(path, e))?;
    match sniff(&head[..n]) {
        Compression::None => Ok(Box::new(TarStore::open_path(path)?)),
        c => Ok(Box::new(StreamTarStore::open_path(path, c)?)),
    }
}

pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
