//! The layer cache: what one pass over a layer extracted ([`LayerScan`]: its paths and their
//! kinds, whiteouts, the package-database files the detectors asked for, and ELF probe
//! summaries), stored per layer digest so the same layer is never read twice.
//!
//! Safe by construction:
//! * the key is a layer digest (`sha256:…`) plus the analyzer version: a change to what is
//!   extracted from layers changes the version, and old entries are never read again;
//! * an entry is written only after drydock read the whole layer and verified its digests, to a
//!   private temporary file renamed into place, so a concurrent reader sees the old entry, the
//!   new one, or none — never half of one;
//! * every entry ends with the SHA-256 of its content: a corrupt or truncated entry is a miss and
//!   is removed;
//! * the directory is bounded: least recently used entries go first past `max_bytes`.
//!
//! A hit trusts the image's own digest for that layer (the manifest's blob digest, or the
//! config's diff_id): that is what makes a warm scan cost nothing, and what `--no-cache` turns
//! off. The format is drydock's own: length-prefixed fields, no serde, so a warm load costs
//! little more than reading the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::layer::{Entry, LayerScan, NodeKind};

const MAGIC: &[u8] = b"drydock-layer\n";
/// Bumped whenever the entry layout changes.
/// 2: entries say whether they are hard links; content probe results are kept.
/// 3: wanted files not kept, and why.
/// 4: fingerprints of the entries a compact scan did not record.
const FORMAT: u32 = 4;

/// The layer cache in one directory.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// What `drydock cache status` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStatus {
    /// Layers cached.
    pub entries: u64,
    /// Their size on disk.
    pub bytes: u64,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl LayerCache {
    /// A cache under `root` (created on first write) for entries of `analyzer` version.
    pub fn new(root: &Path, analyzer: &str, max_bytes: u64) -> LayerCache {
        let version: String = analyzer
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        LayerCache {
            dir: root.join(format!("v{FORMAT}-{version}")),
            max_bytes,
        }
    }

    /// The folder holding the entries of every analyzer version under `root`.
    pub fn root_status(root: &Path) -> CacheStatus {
        let mut status = CacheStatus::default();
        for (_, size, _) in files(root, true) {
            status.entries += 1;
            status.bytes += size;
        }
        status
    }

    /// Removes every entry under `root`, of every version.
    pub fn clean(root: &Path) -> std::io::Result<CacheStatus> {
        let status = LayerCache::root_status(root);
        match std::fs::remove_dir_all(root) {
            Ok(()) => Ok(status),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CacheStatus::default()),
            Err(e) => Err(e),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let hex = key.strip_prefix("sha256:")?;
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| self.dir.join(format!("{hex}.layer")))
    }

    /// The stored extraction of the layer with this digest, as layer `index`.
    pub(crate) fn get(&self, key: &str, index: usize) -> Option<LayerScan> {
        let path = self.path(key)?;
        // No entry is larger than the whole cache may be.
        if std::fs::metadata(&path).ok()?.len() > self.max_bytes {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        match decode(&bytes) {
            Some(mut scan) => {
                scan.index = index;
                // Least recently *used*: a hit counts as use.
                if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                Some(scan)
            }
            None => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores a verified layer's extraction under each of its digests. Failures only cost the
    /// next scan its speed, so they are ignored.
    pub(crate) fn put(&self, keys: &[&str], scan: &LayerScan) {
        let encoded = encode(scan);
        let mut keys = keys.to_vec();
        keys.dedup();
        for key in keys {
            let Some(path) = self.path(key) else { continue };
            if std::fs::create_dir_all(&self.dir).is_err() {
                return;
            }
            let tmp = self.dir.join(format!(
                ".{}.{}.{}.tmp",
                std::process::id(),
                TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
                key.trim_start_matches("sha256:").get(..12).unwrap_or("x")
            ));
            let written = std::fs::File::create(&tmp)
                .and_then(|mut f| f.write_all(&encoded).and_then(|_| f.sync_data()))
                .and_then(|_| std::fs::rename(&tmp, &path));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }

    /// Removes least recently used entries until the cache fits `max_bytes`, and temporary files
    /// a killed writer left behind. It lists the whole cache, so a scan calls it once, after it
    /// stored what it read.
    pub fn evict(&self) {
        let Some(root) = self.dir.parent() else { return };
        let mut all = files(root, false);
        let stale = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        all.retain(|(path, _, modified)| {
            let is_tmp = path.extension().is_some_and(|e| e == "tmp");
            if is_tmp && *modified < stale {
                let _ = std::fs::remove_file(path);
            }
            !is_tmp
        });
        let mut total: u64 = all.iter().map(|(_, s, _)| s).sum();
        if total <= self.max_bytes {
            return;
        }
        all.sort_by_key(|(_, _, modified)| *modified);
        for (path, size, _) in all {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }
}

/// (path, size, modified) of every file under `root` (one level of version folders).
fn files(root: &Path, entries_only: bool) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let Ok(versions) = std::fs::read_dir(root) else {
        return out;
    };
    for v in versions.flatten() {
        let Ok(inner) = std::fs::read_dir(v.path()) else {
            continue;
        };
        for e in inner.flatten() {
            let path = e.path();
            if entries_only && path.extension().is_none_or(|x| x != "layer") {
                continue;
            }
            if let Ok(meta) = e.metadata()
                && meta.is_file()
            {
                out.push((path, meta.len(), meta.modified().unwrap_or(std::time::UNIX_EPOCH)));
            }
        }
    }
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn encode(scan: &LayerScan) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(64 * scan.entries.len() + scan.kept.iter().map(|(_, d)| d.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    put_str(&mut out, &scan.digest);
    put_str(&mut out, &scan.diff_id);
    out.extend_from_slice(&scan.compressed_size.to_le_bytes());
    out.extend_from_slice(&scan.size.to_le_bytes());
    out.extend_from_slice(&(scan.entries.len() as u64).to_le_bytes());
    for e in &scan.entries {
        put_str(&mut out, &e.path);
        match &e.kind {
            NodeKind::File { size, mode } => {
                out.push(if e.hardlink { 4 } else { 0 });
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&mode.to_le_bytes());
            }
            NodeKind::Dir => out.push(1),
            NodeKind::Symlink(target) => {
                out.push(2);
                put_str(&mut out, target);
            }
            NodeKind::Other => out.push(3),
        }
    }
    for list in [&scan.whiteouts, &scan.opaque] {
        out.extend_from_slice(&(list.len() as u64).to_le_bytes());
        for p in list {
            put_str(&mut out, p);
        }
    }
    for list in [&scan.kept, &scan.probed, &scan.content] {
        out.extend_from_slice(&(list.len() as u64).to_le_bytes());
        for (p, data) in list {
            put_str(&mut out, p);
            put_bytes(&mut out, data);
        }
    }
    out.extend_from_slice(&(scan.skipped.len() as u64).to_le_bytes());
    for s in &scan.skipped {
        put_str(&mut out, &s.path);
        out.extend_from_slice(&s.size.to_le_bytes());
        put_str(&mut out, &s.why);
        out.push(u8::from(s.os_database));
    }
    for prints in [&scan.unrecorded_dirs, &scan.unrecorded] {
        out.extend_from_slice(&(prints.len() as u64).to_le_bytes());
        for print in prints {
            out.extend_from_slice(print);
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
    /// A count of items that each take at least one byte: never more than what is left.
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
}

fn decode(bytes: &[u8]) -> Option<LayerScan> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let mut r = Reader { bytes: body, at: 0 };
    if r.take(MAGIC.len())? != MAGIC || r.u32()? != FORMAT {
        return None;
    }
    let mut scan = LayerScan {
        digest: r.string()?,
        diff_id: r.string()?,
        compressed_size: r.u64()?,
        size: r.u64()?,
        ..Default::default()
    };
    let n = r.count()?;
    scan.entries.reserve(n);
    for _ in 0..n {
        let path = r.string()?;
        let tag = r.u8()?;
        let kind = match tag {
            0 | 4 => NodeKind::File {
                size: r.u64()?,
                mode: r.u32()?,
            },
            1 => NodeKind::Dir,
            2 => NodeKind::Symlink(r.string()?),
            3 => NodeKind::Other,
            _ => return None,
        };
        scan.entries.push(Entry {
            path,
            kind,
            hardlink: tag == 4,
        });
    }
    for list in [&mut scan.whiteouts, &mut scan.opaque] {
        let n = r.count()?;
        for _ in 0..n {
            list.push(r.string()?);
        }
    }
    for list in [&mut scan.kept, &mut scan.probed, &mut scan.content] {
        let n = r.count()?;
        for _ in 0..n {
            let path = r.string()?;
            list.push((path, Arc::from(r.bytes()?)));
        }
    }
    let n = r.count()?;
    for _ in 0..n {
        scan.skipped.push(crate::wants::Skipped {
            path: r.string()?,
            layer: 0,
            size: r.u64()?,
            why: r.string()?,
            os_database: r.u8()? != 0,
        });
    }
    for prints in [&mut scan.unrecorded_dirs, &mut scan.unrecorded] {
        let n = r.count()?;
        prints.reserve_exact(n);
        for _ in 0..n {
            prints.push(r.take(12)?.try_into().ok()?);
        }
    }
    (r.at == body.len()).then_some(scan)
}
