//! One pass over one layer: hash the blob, decompress, hash the tar, and record each entry,
//! whiteout and wanted file. Nothing is written to disk.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read};

use std::sync::Arc;

use crate::compression::{Compression, sniff};
use crate::digest::HashingReader;
use crate::error::{Error, Result};
use crate::paths;
use crate::pool::{FINGERPRINT_COST, Pool, file_cost, record_cost};
use crate::wants::{Skipped, Wants};

/// What a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file (hard links carry their target's size).
    File {
        /// Bytes.
        size: u64,
        /// Permission bits, setuid and setgid included.
        mode: u32,
    },
    /// A folder.
    Dir,
    /// A symbolic link, with its target as written.
    Symlink(String),
    /// A device, FIFO or the like.
    Other,
}

/// One tar entry of a layer.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its path, relative to the root.
    pub path: String,
    /// What it is.
    pub kind: NodeKind,
    /// A hard link (its tar header carries no size; `kind` has its target's).
    pub hardlink: bool,
}

/// What a layer holds, reduced to what the merge and the detectors need.
#[derive(Debug, Default)]
pub struct LayerScan {
    pub index: usize,
    pub digest: String,
    pub diff_id: String,
    pub compressed_size: u64,
    pub size: u64,
    pub(crate) entries: Vec<Entry>,
    pub(crate) whiteouts: Vec<String>,
    pub(crate) opaque: Vec<String>,
    pub(crate) kept: Vec<(String, Arc<[u8]>)>,
    /// Summaries of ELF files from the probe.
    pub(crate) probed: Vec<(String, Arc<[u8]>)>,
    /// Results of the content probe, per file.
    pub(crate) content: Vec<(String, Arc<[u8]>)>,
    /// Wanted files not kept: too large for their kind, or past the scan's budget.
    pub(crate) skipped: Vec<Skipped>,
    /// Hard links to wanted files whose target was not kept by name: (link, target).
    pub(crate) pending_links: Vec<(String, String)>,
    /// A compact scan's entries it did not record, by fingerprint, sorted: folders, and the
    /// rest. The merge needs them only for what they replace in lower layers.
    pub(crate) unrecorded_dirs: Vec<Fingerprint>,
    pub(crate) unrecorded: Vec<Fingerprint>,
}

/// Whether a cached layer fits what the image may still hold.
pub(crate) enum Fits {
    Yes,
    /// Its files do not fit what is left: read it again, leaving files out with warnings.
    Reread,
    /// Its entries pass a limit: the image cannot be read.
    No(String),
}

impl LayerScan {
    /// What the layer's recorded entries and fingerprints cost the pool.
    fn held(&self) -> u64 {
        let entries: u64 = self
            .entries
            .iter()
            .map(|e| match &e.kind {
                NodeKind::Symlink(target) => record_cost(&e.path, target),
                _ => record_cost(&e.path, ""),
            })
            .sum();
        let whiteouts: u64 = self
            .whiteouts
            .iter()
            .chain(&self.opaque)
            .map(|p| record_cost(p, ""))
            .sum();
        let summaries: u64 = self.probed.iter().map(|(_, s)| s.len() as u64).sum();
        entries
            + whiteouts
            + summaries
            + FINGERPRINT_COST * (self.unrecorded.len() + self.unrecorded_dirs.len()) as u64
    }

    /// Takes a cached layer's entries, records and files from the image's allowances, or says
    /// which one it passes.
    pub(crate) fn fits(
        &self,
        wants: &Wants,
        entries_left: &std::sync::atomic::AtomicU64,
        pool: &Pool,
    ) -> Fits {
        let records = (self.entries.len() + self.whiteouts.len() + self.opaque.len()) as u64;
        let entries = records + (self.unrecorded.len() + self.unrecorded_dirs.len()) as u64;
        if !take_entries(Some(entries_left), entries) {
            return Fits::No(too_many_entries(wants.max_entries));
        }
        let held = if wants.records_all() { 0 } else { self.held() };
        if !pool.take(held) {
            return Fits::No(records_past_the_pool(pool.size()));
        }
        let files: u64 = self
            .kept
            .iter()
            .map(|(path, data)| file_cost(path, data.len() as u64))
            .sum();
        if !pool.take_optional(files) {
            // The read that follows takes both again.
            pool.give(held);
            entries_left.fetch_add(entries, std::sync::atomic::Ordering::Relaxed);
            return Fits::Reread;
        }
        Fits::Yes
    }
}

/// A path's fingerprint: 96 bits of its SHA-256, so no crafted path can pass for a given one.
pub(crate) type Fingerprint = [u8; 12];

pub(crate) fn fingerprint(path: &str) -> Fingerprint {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(path.as_bytes());
    let mut out = [0u8; 12];
    out.copy_from_slice(&digest[..12]);
    out
}

pub(crate) struct LayerContext<'a> {
    pub index: usize,
    pub label: &'a str,
    pub wants: &'a Wants,
    /// Exact paths to keep in addition to the wants (hard link targets on a second pass).
    pub extra: &'a HashSet<String>,
    /// What the whole scan may still hold, shared by the layers read in parallel.
    pub pool: Option<&'a Pool>,
    /// How many more tar entries the image's layers may hold together; `None` on a second read
    /// of a layer, whose entries the first read counted and holds (it takes only files).
    pub entries_left: Option<&'a std::sync::atomic::AtomicU64>,
}

/// Takes `n` entries from the image's allowance, or says it is spent.
pub(crate) fn take_entries(left: Option<&std::sync::atomic::AtomicU64>, n: u64) -> bool {
    use std::sync::atomic::Ordering;
    left.is_none_or(|l| {
        l.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(n))
            .is_ok()
    })
}

pub(crate) fn budget_spent(budget: u64) -> String {
    format!(
        "the scan's read budget of {} MiB is spent (--read-budget raises it)",
        budget >> 20
    )
}

pub(crate) fn too_many_entries(max: u64) -> String {
    format!(
        "the image's layers hold more than {max} entries together; drydock stops rather than hold them all"
    )
}

pub(crate) fn records_past_the_pool(size: u64) -> String {
    format!(
        "the image's symlinks, whiteouts, programs and package files take more than the read budget of {} MiB; drydock stops rather than hold them all (--read-budget raises it)",
        size >> 20
    )
}

impl LayerContext<'_> {
    /// The scan's pool, or one without end for a read that has none.
    fn pool_or_none(&self) -> &Pool {
        static ENDLESS: std::sync::LazyLock<Pool> = std::sync::LazyLock::new(|| Pool::new(u64::MAX));
        self.pool.unwrap_or(&ENDLESS)
    }

    /// Takes `size` bytes from the scan's pool for a file to read, or says it is spent.
    fn spend(&self, size: u64) -> bool {
        self.pool.is_none_or(|pool| pool.take_optional(size))
    }

    /// Takes what a recorded entry costs from the scan's pool, or fails the read.
    fn hold(&self, cost: u64) -> Result<()> {
        match self.pool {
            Some(pool) if self.entries_left.is_some() && !pool.take(cost) => {
                Err(self.fail(records_past_the_pool(pool.size())))
            }
            _ => Ok(()),
        }
    }

    /// Whether to keep a file, recording why a wanted one is not kept. The record of a file
    /// not read is held like an entry: a layer of a million manifests past the budget must not
    /// grow a million warnings without bound.
    fn keep(&self, path: &str, size: u64, skipped: &mut Vec<Skipped>) -> Result<bool> {
        let wanted = if self.extra.contains(path) {
            Some((self.wants.max_file_size, false))
        } else {
            self.wants.wanted(path)
        };
        let Some((cap, os_database)) = wanted else {
            return Ok(false);
        };
        let why = if size > cap {
            format!("larger than the {} MiB drydock reads for such a file", cap >> 20)
        } else if self.spend(file_cost(path, size)) {
            return Ok(true);
        } else {
            budget_spent(self.wants.budget)
        };
        self.hold(record_cost(path, &why))?;
        skipped.push(Skipped {
            path: path.to_string(),
            layer: self.index,
            size,
            why,
            os_database,
        });
        Ok(false)
    }

    fn fail(&self, detail: impl std::fmt::Display) -> Error {
        Error::Layer {
            index: self.index,
            digest: self.label.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// The decompressed bytes handed from the inflating thread to the tar walk at a time; with the
/// two queued, four are in flight per layer.
const CHUNK: usize = 256 << 10;

/// Bytes gathered before the compression is sniffed.
const SNIFF_BYTES: usize = 512;

/// Reads a layer blob: verifies it, decompresses it and walks its tar stream.
///
/// An uncompressed blob is its own tar, so one hash serves as both digest and diff_id. A
/// compressed blob is decompressed on a second thread (bounded hand-off of 256 KiB chunks) while
/// this one hashes the tar and walks it, so a single large layer uses two cores.
pub(crate) fn scan_blob<R: Read + Send>(
    raw: R,
    ctx: &LayerContext<'_>,
    media_type: Option<&str>,
) -> Result<LayerScan> {
    let mut raw = BufReader::with_capacity(256 << 10, raw);
    // A network read may hand over a single byte first: gather enough to tell the compression
    // (zstd's magic is four bytes, tar's `ustar` sits at 257) before deciding.
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while head.len() < SNIFF_BYTES {
        let available = raw
            .fill_buf()
            .map_err(|e| ctx.fail(format!("cannot read blob: {e}")))?;
        if available.is_empty() {
            break;
        }
        let n = available.len().min(SNIFF_BYTES - head.len());
        head.extend_from_slice(&available[..n]);
        raw.consume(n);
    }
    if head.is_empty() {
        return Err(ctx.fail("layer blob is empty"));
    }
    let compression = sniff(&head);
    let buffered = io::Cursor::new(head).chain(raw);
    if let Some(declared) = media_type.and_then(crate::compression::from_media_type)
        && declared != Compression::None
        && declared != compression
    {
        return Err(ctx.fail(format!(
            "media type says {} but the blob is {}: corrupt layer",
            declared.name(),
            compression.name()
        )));
    }
    let walk = |reader: &mut dyn Read| -> Result<LayerScan> {
        walk_tar(reader, ctx).map_err(|e| match e {
            Error::Layer { .. } | Error::HostilePath { .. } => e,
            other => ctx.fail(other),
        })
    };
    let corrupt = |e: io::Error| {
        let e = e.to_string();
        if e.contains("zstd frame asks for a window") {
            return ctx.fail(e);
        }
        ctx.fail(format!(
            "{} stream is corrupt or truncated: {e}",
            compression.name()
        ))
    };
    let mut scan;
    if compression == Compression::None {
        let mut tarred = HashingReader::new(buffered);
        scan = walk(&mut tarred)?;
        let (digest, size) = tarred.finish().map_err(corrupt)?;
        scan.diff_id = digest.clone();
        scan.digest = digest;
        scan.size = size;
        scan.compressed_size = size;
    } else {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(2);
        let label = ctx.label.to_string();
        let (walked, produced) = std::thread::scope(|s| {
            let producer = s.spawn(move || -> io::Result<(String, u64)> {
                let turn = (compression == Compression::Zstd).then(crate::compression::ZstdTurn::wait);
                let mut blob = HashingReader::new(buffered);
                let mut decoder = compression.decoder(&mut blob, &label).map_err(io::Error::other)?;
                loop {
                    let mut chunk = vec![0u8; CHUNK];
                    let mut filled = 0;
                    while filled < chunk.len() {
                        match decoder.read(&mut chunk[filled..]) {
                            Ok(0) => break,
                            Ok(n) => filled += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                                return Err(e);
                            }
                        }
                    }
                    if filled == 0 {
                        break;
                    }
                    chunk.truncate(filled);
                    if tx.send(Ok(chunk)).is_err() {
                        break;
                    }
                }
                drop(decoder);
                drop(turn);
                drop(tx);
                blob.finish()
            });
            let mut chunks = ChannelReader {
                rx,
                chunk: Vec::new(),
                pos: 0,
            };
            let mut tarred = HashingReader::new(&mut chunks);
            let walked = walk(&mut tarred).and_then(|scan| {
                let (diff_id, size) = tarred.finish().map_err(corrupt)?;
                Ok((scan, diff_id, size))
            });
            // Unblock the producer if the walk stopped early, then collect its result.
            drop(chunks);
            (walked, producer.join())
        });
        let produced = produced.map_err(|_| ctx.fail("decompression thread panicked"))?;
        let (digest, compressed_size) = produced.map_err(corrupt)?;
        let (s, diff_id, size) = walked?;
        scan = s;
        scan.digest = digest;
        scan.diff_id = diff_id;
        scan.size = size;
        scan.compressed_size = compressed_size;
    }
    scan.index = ctx.index;
    Ok(scan)
}

/// Reads the chunks a decompression thread sends.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn walk_tar(reader: &mut dyn Read, ctx: &LayerContext<'_>) -> Result<LayerScan> {
    let mut archive = tar::Archive::new(reader);
    let mut scan = LayerScan::default();
    // Paths met in this layer are looked up by a hash of the path (random keys, so input
    // cannot make two collide): a copy of every path would double what the layer holds.
    let keys = std::hash::RandomState::new();
    let key = |path: &str| std::hash::BuildHasher::hash_one(&keys, path);
    let mut kept_here: HashMap<u64, Arc<[u8]>> = HashMap::new();
    let compact = !ctx.wants.records_all();
    // The paths this layer recorded, for an unrecorded entry that replaces one of them later in
    // the same layer (compact scans only).
    let mut recorded_here = Recorded::default();
    // The size of each file met so far, for hard links to it: a look-up, not a scan back through
    // the entries (80,000 links made that quadratic). A compact scan knows only the recorded.
    let mut file_sizes: HashMap<u64, u64> = HashMap::new();
    let broken = |e: io::Error| ctx.fail(format!("truncated or malformed tar stream: {e}"));
    // A full scan (audits) is bounded by its entry count alone.
    let record = |path: &str, target: &str| -> Result<()> {
        if compact {
            ctx.hold(record_cost(path, target))?;
        }
        Ok(())
    };
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        if !take_entries(ctx.entries_left, 1) {
            return Err(ctx.fail(too_many_entries(ctx.wants.max_entries)));
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = paths::entry_name(&raw_name, &format!("layer {} ({})", ctx.index, ctx.label))?;
        if path.is_empty() {
            continue;
        }
        let name = paths::file_name(&path);
        let path_key = key(&path);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = paths::parent(&path);
            if hidden == ".wh..opq" {
                record(dir, "")?;
                scan.opaque.push(dir.to_string());
            } else if !hidden.starts_with(".wh.") {
                let gone = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                record(&gone, "")?;
                scan.whiteouts.push(gone);
            }
            continue;
        }
        let header = entry.header();
        let kind = header.entry_type();
        let mode = header.mode().unwrap_or(0);
        let named = !compact || ctx.wants.names(&path) || ctx.extra.contains(&path);
        let mut probed = false;
        let node = if kind.is_dir() {
            NodeKind::Dir
        } else if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            // A target that climbs above the root is kept as written: the merged view resolves
            // it as container runtimes do, clamped at the root (`/..` is `/`), and nothing is
            // ever written through it. Real images carry such links.
            NodeKind::Symlink(target)
        } else if kind.is_hard_link() {
            let target_raw = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let target = paths::entry_name(&target_raw, &format!("layer {} ({})", ctx.index, ctx.label))?;
            let size = file_sizes.get(&key(&target)).copied().unwrap_or(0);
            if ctx.keep(&path, size, &mut scan.skipped)? {
                match kept_here.get(&key(&target)) {
                    Some(data) => {
                        let data = data.clone();
                        kept_here.insert(path_key, data.clone());
                        scan.kept.push((path.clone(), data));
                    }
                    None => scan.pending_links.push((path.clone(), target)),
                }
            }
            NodeKind::File { size, mode }
        } else if kind.is_file() || kind == tar::EntryType::Continuous || kind == tar::EntryType::GNUSparse {
            let size = entry.size();
            if ctx.keep(&path, size, &mut scan.skipped)? {
                let mut data = Vec::with_capacity(size.min(64 << 20) as usize);
                entry.read_to_end(&mut data).map_err(broken)?;
                let data: Arc<[u8]> = data.into();
                kept_here.insert(path_key, data.clone());
                scan.kept.push((path.clone(), data));
            } else if size > 0 && (ctx.wants.probe.is_some() || ctx.wants.content_probe.is_some()) {
                let mut head = [0u8; 4];
                let n = size.min(4) as usize;
                entry.read_exact(&mut head[..n]).map_err(broken)?;
                let head = &head[..n];
                if let Some(probe) = ctx.wants.probe.as_ref().filter(|p| p.accepts(&path, size, head)) {
                    let mut stream = std::io::Cursor::new(head).chain(&mut entry);
                    let summary = probe
                        .probe(&path, size, &mut stream, ctx.pool_or_none())
                        .map_err(broken)?;
                    // A probe's summary is held until the report: it grows with what a crafted
                    // file claims. Counted as recorded entries are (a compact read), as the
                    // root-filesystem walk and a cached layer count it.
                    if compact {
                        ctx.hold(summary.len() as u64)?;
                    }
                    scan.probed.push((path.clone(), summary.into()));
                    probed = true;
                } else if let Some((_, probe)) = ctx
                    .wants
                    .content_probe
                    .as_ref()
                    .filter(|(_, p)| p.accepts(&path, size, head))
                {
                    let mut stream = std::io::Cursor::new(head).chain(&mut entry);
                    let summary = probe
                        .probe(&path, size, &mut stream, ctx.pool_or_none())
                        .map_err(broken)?;
                    if !summary.is_empty() {
                        scan.content.push((path.clone(), summary.into()));
                    }
                }
            }
            NodeKind::File { size, mode }
        } else {
            NodeKind::Other
        };
        let recorded = named
            || probed
            || matches!(node, NodeKind::Symlink(_))
            || kept_here.contains_key(&path_key)
            || scan.pending_links.last().is_some_and(|(link, _)| *link == path);
        if !recorded {
            let is_dir = node == NodeKind::Dir;
            if recorded_here.may_cover(&path, is_dir) {
                forget_replaced(&mut scan, &mut kept_here, &key, &path, is_dir);
                // Nothing recorded is left at the path (or under it): the same path again,
                // which a tar may repeat without end, must not cost another look.
                recorded_here.forget(&path, is_dir);
            }
            file_sizes.remove(&path_key);
            ctx.hold(FINGERPRINT_COST)?;
            let print = fingerprint(&path);
            if is_dir {
                scan.unrecorded_dirs.push(print);
            } else {
                scan.unrecorded.push(print);
            }
            continue;
        }
        match &node {
            NodeKind::Symlink(target) => record(&path, target)?,
            _ => record(&path, "")?,
        }
        if compact {
            recorded_here.insert(&path);
        }
        match node {
            NodeKind::File { size, .. } => {
                file_sizes.insert(path_key, size);
            }
            _ => {
                file_sizes.remove(&path_key);
            }
        }
        scan.entries.push(Entry {
            path,
            kind: node,
            hardlink: kind.is_hard_link(),
        });
    }
    for prints in [&mut scan.unrecorded_dirs, &mut scan.unrecorded] {
        prints.sort_unstable();
        prints.dedup();
        prints.shrink_to_fit();
    }
    Ok(scan)
}

/// The paths a layer recorded so far and their folders, by hash: enough to tell at once that an
/// unrecorded entry cannot replace any of them. The keys are random per process, so input
/// cannot be made to collide; a collision only costs a look at the recorded entries.
#[derive(Default)]
struct Recorded {
    keys: std::hash::RandomState,
    paths: std::collections::HashSet<u64>,
    folders: std::collections::HashSet<u64>,
}

impl Recorded {
    fn hash(&self, path: &str) -> u64 {
        use std::hash::BuildHasher;
        self.keys.hash_one(path)
    }

    fn insert(&mut self, path: &str) {
        self.paths.insert(self.hash(path));
        let mut rest = path;
        while let Some((folder, _)) = rest.rsplit_once('/') {
            if !self.folders.insert(self.hash(folder)) {
                break;
            }
            rest = folder;
        }
    }

    fn forget(&mut self, path: &str, is_dir: bool) {
        let h = self.hash(path);
        self.paths.remove(&h);
        if !is_dir {
            self.folders.remove(&h);
        }
    }

    fn may_cover(&self, path: &str, is_dir: bool) -> bool {
        if self.paths.is_empty() {
            return false;
        }
        let h = self.hash(path);
        self.paths.contains(&h) || (!is_dir && self.folders.contains(&h))
    }
}

/// An entry the compact scan does not record replaces what this layer recorded earlier at its
/// path (and, unless it is a folder, everything under it): forget those, as the merge would
/// have had it recorded them in order.
fn forget_replaced(
    scan: &mut LayerScan,
    kept_here: &mut HashMap<u64, Arc<[u8]>>,
    key: &dyn Fn(&str) -> u64,
    path: &str,
    is_dir: bool,
) {
    let under = format!("{path}/");
    let gone = |e: &Entry| {
        (e.path == path && !(is_dir && e.kind == NodeKind::Dir)) || (!is_dir && e.path.starts_with(&under))
    };
    let doomed: std::collections::HashSet<String> = scan
        .entries
        .iter()
        .filter(|e| gone(e))
        .map(|e| e.path.clone())
        .collect();
    if doomed.is_empty() {
        return;
    }
    scan.entries.retain(|e| !doomed.contains(&e.path));
    scan.kept.retain(|(p, _)| !doomed.contains(p));
    scan.probed.retain(|(p, _)| !doomed.contains(p));
    scan.pending_links.retain(|(p, _)| !doomed.contains(p));
    for path in &doomed {
        kept_here.remove(&key(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn keeps_wanted_files_and_records_whiteouts() {
        let mut wants = Wants::new();
        wants.add("etc/os-release");
        let data = tar_with(&[
            ("etc/os-release", b"ID=debian\n"),
            ("etc/.wh.passwd", b""),
            ("usr/.wh..wh..opq", b""),
        ]);
        let extra = HashSet::new();
        let ctx = LayerContext {
            index: 0,
            label: "t",
            wants: &wants,
            extra: &extra,
            pool: None,
            entries_left: None,
        };
        let scan = scan_blob(&data[..], &ctx, None).unwrap();
        assert_eq!(scan.kept.len(), 1);
        assert_eq!(&*scan.kept[0].1, b"ID=debian\n");
        assert_eq!(scan.whiteouts, vec!["etc/passwd".to_string()]);
        assert_eq!(scan.opaque, vec!["usr".to_string()]);
        assert_eq!(scan.diff_id, crate::digest::sha256_hex(&data));
    }

    /// A reader that hands over one byte per read, as a slow network may.
    struct Dribble<'a>(&'a [u8]);

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn compression_is_told_even_when_the_first_read_is_one_byte() {
        let mut wants = Wants::new();
        wants.add("etc/os-release");
        let data = tar_with(&[("etc/os-release", b"ID=debian\n")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &data).unwrap();
        let gz = gz.finish().unwrap();
        let extra = HashSet::new();
        let ctx = LayerContext {
            index: 0,
            label: "t",
            wants: &wants,
            extra: &extra,
            pool: None,
            entries_left: None,
        };
        let scan = scan_blob(
            Dribble(&gz),
            &ctx,
            Some("application/vnd.oci.image.layer.v1.tar+gzip"),
        )
        .unwrap();
        assert_eq!(scan.kept.len(), 1);
        assert_eq!(scan.digest, crate::digest::sha256_hex(&gz));
        assert_eq!(scan.diff_id, crate::digest::sha256_hex(&data));
    }

    /// Once an unrecorded entry has replaced what a layer recorded at and under its path, the
    /// same path again is known at once to cover nothing: a tar repeating it cannot make every
    /// repeat look through the recorded entries.
    #[test]
    fn a_replaced_path_covers_nothing_afterwards() {
        let mut r = Recorded::default();
        r.insert("a/b/status");
        r.insert("a/c/status");
        assert!(r.may_cover("a/b", false));
        assert!(!r.may_cover("a/b", true));
        assert!(r.may_cover("a/b/status", true));
        r.forget("a/b", false);
        assert!(!r.may_cover("a/b", false));
        assert!(r.may_cover("a", false));
        assert!(r.may_cover("a/c/status", false));
    }
}
