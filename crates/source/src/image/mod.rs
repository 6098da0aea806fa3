//! Opening an image: reading its index, manifest and config, checking their digests, and
//! describing its layers. [`Image::scan`] then streams every layer once, in parallel.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use rayon::prelude::*;
use serde::Deserialize;

use crate::cache::LayerCache;
use crate::digest::{self, sha256_hex};
use crate::error::{Error, Result};
use crate::fs::Filesystem;
use crate::layer::{Entry, Fits, LayerContext, LayerScan, NodeKind, scan_blob};
use crate::pool::Pool;
use crate::rootfs;
use crate::spec::SourceSpec;
use crate::store::{self, DirStore, Store};
use crate::wants::Wants;

mod config;
mod docker_archive;
mod oci;
mod remote;

use config::*;
use docker_archive::*;
pub use oci::layout_tags;
use oci::*;
use remote::*;

/// An OS and architecture, as image indexes name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`…
    pub architecture: String,
    /// `v8`, `v7`…
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(Error::Usage(format!(
                "invalid platform {s:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64"
            ))),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One layer, as the manifest and config describe it.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    /// Its position, from 0.
    pub index: usize,
    /// Digest of the blob as stored (compressed); filled in by the scan when the source has none.
    pub digest: Option<String>,
    /// The digest of its uncompressed tar, from the config.
    pub diff_id: Option<String>,
    /// The manifest's media type.
    pub media_type: Option<String>,
    /// Its compressed size, from the manifest.
    pub size: Option<u64>,
    /// The history step that made it.
    pub created_by: Option<String>,
    pub(crate) blob: String,
}

/// One entry of the config's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The step as the builder recorded it.
    pub created_by: Option<String>,
    /// Whether it made no layer.
    pub empty_layer: bool,
    /// The layer this entry produced, when it produced one.
    pub layer: Option<usize>,
}

enum Backing {
    Store(Box<dyn Store>),
    RootFs(PathBuf),
}

/// Where an image was read from: the prefix of its transport-qualified name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// An OCI layout directory.
    Oci,
    /// An OCI layout in a tar.
    OciArchive,
    /// A `docker save` tar.
    DockerArchive,
    /// A plain root filesystem.
    Dir,
    /// A registry.
    Docker,
}

impl Transport {
    /// The name drydock's JSON uses: `oci`, `oci-archive`, `docker-archive`, `dir`, `docker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Oci => "oci",
            Transport::OciArchive => "oci-archive",
            Transport::DockerArchive => "docker-archive",
            Transport::Dir => "dir",
            Transport::Docker => "docker",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Transport {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An opened image: its identity, configuration and layers, before any layer is read.
pub struct Image {
    /// The transport-qualified name, e.g. `oci:images/web:latest`.
    pub name: String,
    /// How it was read.
    pub transport: Transport,
    /// The manifest's digest.
    pub manifest_digest: Option<String>,
    /// The config's digest (the image ID).
    pub config_digest: Option<String>,
    /// Its platform.
    pub platform: Option<Platform>,
    /// `Env`.
    pub env: Vec<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Labels`.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The manifest's annotations (`org.opencontainers.image.base.name` and the like).
    pub annotations: std::collections::BTreeMap<String, String>,
    /// The config's `created` time (RFC 3339), when it has one.
    pub created: Option<String>,
    /// `Volumes`.
    pub volumes: Vec<String>,
    /// `ExposedPorts`.
    pub exposed_ports: Vec<String>,
    /// Docker's `Healthcheck.Test` (not part of the OCI config); `None` when the image has none.
    pub healthcheck: Option<Vec<String>>,
    /// Tags a docker archive records.
    pub repo_tags: Vec<String>,
    /// Its layers, in order.
    pub layers: Vec<LayerInfo>,
    /// The config's history.
    pub history: Vec<HistoryEntry>,
    /// The in-toto statement of a BuildKit SLSA provenance attestation for this image, when
    /// its index carries one (`vnd.docker.reference.type: attestation-manifest`).
    pub provenance: Option<Vec<u8>>,
    /// Oddities that did not stop the read but that a user should hear about.
    pub warnings: Vec<String>,
    backing: Backing,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("name", &self.name)
            .field("layers", &self.layers)
            .finish()
    }
}

const INDEX_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const MANIFEST_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

impl Image {
    /// An image named `name`, read through `backing`, with its layers: every field the
    /// configuration fills in (`apply_config`) starts empty.
    fn new(name: String, transport: Transport, layers: Vec<LayerInfo>, backing: Backing) -> Image {
        Image {
            name,
            transport,
            manifest_digest: None,
            config_digest: None,
            platform: None,
            env: Vec::new(),
            user: None,
            labels: Default::default(),
            annotations: Default::default(),
            created: None,
            volumes: Vec::new(),
            exposed_ports: Vec::new(),
            healthcheck: None,
            repo_tags: Vec::new(),
            layers,
            history: Vec::new(),
            provenance: None,
            warnings: Vec::new(),
            backing,
        }
    }

    /// Opens the image SOURCE names, for `platform`.
    pub fn open(spec: &SourceSpec, platform: &Platform) -> Result<Image> {
        Image::open_with(spec, platform, &crate::registry::RegistryOptions::default())
    }

    /// As [`Image::open`], with registry options (credentials, `insecure`).
    pub fn open_with(
        spec: &SourceSpec,
        platform: &Platform,
        options: &crate::registry::RegistryOptions,
    ) -> Result<Image> {
        match spec {
            SourceSpec::Registry { reference } => open_registry(reference, platform, options),
            SourceSpec::RootFs { path } => open_rootfs(path),
            SourceSpec::OciDir { path, tag } => {
                let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
                if !meta.is_dir() {
                    return Err(Error::NotAnImage(format!(
                        "{}: not a directory (an OCI layout is a directory; use oci-archive: for a tar)",
                        path.display()
                    )));
                }
                let store = DirStore::new(path);
                open_oci(
                    Box::new(store),
                    format!("oci:{}", path.display()),
                    tag.as_deref(),
                    platform,
                    Transport::Oci,
                )
            }
            SourceSpec::OciArchive { path, tag } | SourceSpec::DockerArchive { path, reference: tag } => {
                let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
                if meta.is_dir() {
                    return open_oci(
                        Box::new(DirStore::new(path)),
                        format!("oci:{}", path.display()),
                        tag.as_deref(),
                        platform,
                        Transport::Oci,
                    );
                }
                let store = store::open_archive(path)?;
                let prefer_docker = matches!(spec, SourceSpec::DockerArchive { .. });
                if store.exists("manifest.json") && (prefer_docker || !store.exists("index.json")) {
                    open_docker_archive(store, path, tag.as_deref())
                } else if store.exists("index.json") {
                    open_oci(
                        store,
                        format!("oci-archive:{}", path.display()),
                        tag.as_deref(),
                        platform,
                        Transport::OciArchive,
                    )
                } else if store.exists("repositories") {
                    Err(Error::Unsupported(format!(
                        "{}: a docker save archive without manifest.json (Docker < 1.10 layout)",
                        path.display()
                    )))
                } else {
                    Err(Error::NotAnImage(format!(
                        "{}: not an image archive (no manifest.json or index.json inside)",
                        path.display()
                    )))
                }
            }
        }
    }

    /// The store the layers come from; `None` for a root filesystem on disk.
    pub(crate) fn layer_store(&self) -> Option<&dyn Store> {
        match &self.backing {
            Backing::Store(store) => Some(store.as_ref()),
            Backing::RootFs(_) => None,
        }
    }

    /// Streams every layer once (in parallel), verifying digests, and merges them.
    /// `on_layer` is called with the compressed size of each finished layer.
    pub fn scan(&mut self, wants: &Wants, on_layer: &(dyn Fn(u64) + Sync)) -> Result<Filesystem> {
        self.scan_cached(wants, None, on_layer)
    }

    /// As [`Image::scan`], taking each layer from `cache` when it holds it (the layer is then not
    /// read at all) and storing each layer it reads.
    pub fn scan_cached(
        &mut self,
        wants: &Wants,
        cache: Option<&LayerCache>,
        on_layer: &(dyn Fn(u64) + Sync),
    ) -> Result<Filesystem> {
        let store = match &self.backing {
            Backing::RootFs(path) => {
                let (scan, left) = rootfs::scan(path, wants)?;
                on_layer(scan.size);
                let mut fs = Filesystem::merge_keeping(vec![scan], wants.listings);
                fs.set_pool_left(left);
                return Ok(fs);
            }
            Backing::Store(store) => store,
        };
        if self.layers.len() > crate::wants::MAX_IMAGE_LAYERS {
            return Err(Error::Unsupported(format!(
                "{}: {} layers, more than the {} drydock reads",
                self.name,
                self.layers.len(),
                crate::wants::MAX_IMAGE_LAYERS
            )));
        }
        // Largest layers first, one task each, so the longest decompression starts at once.
        let stored = std::sync::atomic::AtomicBool::new(false);
        let pool = Pool::new(wants.budget);
        let entries_left = std::sync::atomic::AtomicU64::new(wants.max_entries);
        let mut order: Vec<&LayerInfo> = self.layers.iter().collect();
        order.sort_by_key(|l| std::cmp::Reverse(l.size.unwrap_or(0)));
        let read_all = || {
            order
                .par_iter()
                .with_max_len(1)
                .map(|layer| {
                    // The manifest's blob digest, else the config's diff_id: the same layer read from
                    // a docker archive and from an OCI layout shares its diff_id.
                    if let Some(cache) = cache {
                        for key in [layer.digest.as_deref(), layer.diff_id.as_deref()]
                            .into_iter()
                            .flatten()
                        {
                            if let Some(scan) = cache.get(key, layer.index)
                                && layer.diff_id.as_ref().is_none_or(|d| *d == scan.diff_id)
                                && layer
                                    .digest
                                    .as_ref()
                                    .is_none_or(|d| *d == scan.digest || *d != key)
                            {
                                match scan.fits(wants, &entries_left, &pool) {
                                    Fits::Yes => {
                                        on_layer(scan.compressed_size);
                                        return Ok(scan);
                                    }
                                    Fits::Reread => break,
                                    Fits::No(detail) => {
                                        return Err(Error::Layer {
                                            index: layer.index,
                                            digest: scan.digest.clone(),
                                            detail,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    let scan = scan_layer(store.as_ref(), layer, wants, &pool, &entries_left)?;
                    // A layer with files left unread is not kept: the budget that left them out is
                    // shared with the other layers, and may be raised on the next run.
                    if let Some(cache) = cache.filter(|_| scan.skipped.is_empty()) {
                        // Both digests were verified by the read.
                        cache.put(&[scan.digest.as_str(), scan.diff_id.as_str()], &scan);
                        stored.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    on_layer(scan.compressed_size);
                    Ok(scan)
                })
                .collect::<Result<Vec<LayerScan>>>()
        };
        let mut scans = match rayon::ThreadPoolBuilder::new()
            .num_threads(PARALLEL_LAYERS)
            .build()
        {
            Ok(threads) => threads.install(read_all),
            Err(_) => read_all(),
        }?;
        if let Some(cache) = cache
            && stored.into_inner()
        {
            cache.evict();
        }
        scans.sort_by_key(|s| s.index);
        for (info, scan) in self.layers.iter_mut().zip(&scans) {
            if info.digest.is_none() {
                info.digest = Some(scan.digest.clone());
            }
            if info.diff_id.is_none() {
                info.diff_id = Some(scan.diff_id.clone());
            }
            if info.size.is_none() {
                info.size = Some(scan.compressed_size);
            }
        }
        let mut fs = Filesystem::merge_keeping(scans, wants.listings);
        self.read_unread_wanted(store.as_ref(), wants, &pool, &mut fs)?;
        fs.forget_unrecorded();
        fs.set_pool_left(pool.left());
        Ok(fs)
    }

    /// Wanted files the first pass could not recognise by name (written through a symlink, or
    /// reached through one): their layers are read again for just those files.
    fn read_unread_wanted(
        &self,
        store: &dyn Store,
        wants: &Wants,
        pool: &Pool,
        fs: &mut Filesystem,
    ) -> Result<()> {
        let needs = fs.unread_wanted(wants);
        let mut by_layer: std::collections::BTreeMap<usize, Vec<(String, String)>> = Default::default();
        for (layer, literal, real) in needs {
            by_layer.entry(layer).or_default().push((literal, real));
        }
        for (index, files) in by_layer {
            let Some(layer) = self.layers.get(index) else {
                continue;
            };
            let label = layer.digest.clone().unwrap_or_else(|| layer.blob.clone());
            let extra: HashSet<String> = files.iter().map(|(l, _)| l.clone()).collect();
            let none = Wants::new();
            let ctx = LayerContext {
                index,
                label: &label,
                wants: &none,
                extra: &extra,
                pool: Some(pool),
                entries_left: None,
            };
            let again = scan_blob(open_layer(store, layer)?, &ctx, layer.media_type.as_deref())?;
            for (literal, real) in files {
                match again.kept.iter().find(|(p, _)| *p == literal) {
                    Some((_, data)) => {
                        let kind = again.entries.iter().rev().find(|e| e.path == literal).map_or(
                            NodeKind::File {
                                size: data.len() as u64,
                                mode: 0,
                            },
                            |e| e.kind.clone(),
                        );
                        fs.supply_read(&real, index, data.clone(), kind)
                    }
                    None => fs.note_skipped(crate::wants::Skipped {
                        os_database: wants.wanted(&real).is_some_and(|(_, os)| os),
                        path: real,
                        layer: index,
                        size: 0,
                        why: format!("a second read of layer {index} did not find /{literal}"),
                    }),
                }
            }
        }
        Ok(())
    }
}

/// Layers read at once. Each takes two threads (one inflates, one walks the tar) and up to
/// 12 MiB of buffers and zstd window, so the count, not the machine's cores, bounds what
/// reading costs.
const PARALLEL_LAYERS: usize = 2;

/// A layer's blob, never read past the size its descriptor declares: a blob longer than declared
/// is not read to its end (a 5 GB blob claiming a few MB), and the difference is an error, as
/// containers/image makes it.
pub(crate) fn open_layer<'a>(
    store: &'a dyn Store,
    layer: &LayerInfo,
) -> Result<crate::store::BlobReader<'a>> {
    let inner = match layer.size {
        Some(size) => store.open_sized(&layer.blob, size)?,
        None => store.open(&layer.blob)?,
    };
    Ok(match layer.size {
        Some(declared) => Box::new(Bounded {
            inner,
            left: declared,
        }),
        None => inner,
    })
}

fn scan_layer(
    store: &dyn Store,
    layer: &LayerInfo,
    wants: &Wants,
    pool: &Pool,
    entries_left: &std::sync::atomic::AtomicU64,
) -> Result<LayerScan> {
    let label = layer.digest.clone().unwrap_or_else(|| layer.blob.clone());
    let no_extra = HashSet::new();
    let ctx = LayerContext {
        index: layer.index,
        label: &label,
        wants,
        extra: &no_extra,
        pool: Some(pool),
        entries_left: Some(entries_left),
    };
    let mut scan = scan_blob(open_layer(store, layer)?, &ctx, layer.media_type.as_deref())?;
    if let Some(expected) = &layer.digest
        && *expected != scan.digest
    {
        return Err(Error::DigestMismatch {
            what: format!("layer {} blob {}", layer.index, layer.blob),
            expected: expected.clone(),
            actual: scan.digest,
        });
    }
    if let Some(expected) = &layer.diff_id
        && *expected != scan.diff_id
    {
        return Err(Error::DigestMismatch {
            what: format!(
                "layer {} diff_id (uncompressed content of {})",
                layer.index, layer.blob
            ),
            expected: expected.clone(),
            actual: scan.diff_id,
        });
    }
    if let Some(declared) = layer.size
        && declared != scan.compressed_size
    {
        return Err(Error::Layer {
            index: layer.index,
            digest: label.clone(),
            detail: format!(
                "blob is {} bytes, the manifest says {declared}",
                scan.compressed_size
            ),
        });
    }
    if !scan.pending_links.is_empty() {
        // Hard links to wanted files whose target had an unwanted name: read the layer again
        // for just those targets.
        let targets: HashSet<String> = scan.pending_links.iter().map(|(_, t)| t.clone()).collect();
        let none = Wants::new();
        let ctx = LayerContext {
            index: layer.index,
            label: &label,
            wants: &none,
            extra: &targets,
            pool: Some(pool),
            entries_left: None,
        };
        let again = scan_blob(open_layer(store, layer)?, &ctx, layer.media_type.as_deref())?;
        for (link, target) in std::mem::take(&mut scan.pending_links) {
            match again.kept.iter().find(|(p, _)| *p == target) {
                Some((_, data)) => {
                    // A compact scan did not know the target's size when it met the link.
                    if let Some(Entry {
                        kind: NodeKind::File { size, .. },
                        ..
                    }) = scan.entries.iter_mut().rev().find(|e| e.path == link)
                    {
                        *size = data.len() as u64;
                    }
                    scan.kept.push((link, data.clone()));
                }
                // A link to a file the layer never holds: what the link stands for is unknown.
                None => scan.skipped.push(crate::wants::Skipped {
                    os_database: wants.wanted(&link).is_some_and(|(_, os)| os),
                    path: link,
                    layer: layer.index,
                    size: 0,
                    why: format!("it is a hard link to /{target}, which the layer does not hold"),
                }),
            }
        }
    }
    Ok(scan)
}

fn read_verified(store: &dyn Store, name: &str, expected: &str, what: &str) -> Result<Vec<u8>> {
    if digest::parse(expected).is_none() {
        return Err(Error::NotAnImage(format!("{what}: invalid digest {expected:?}")));
    }
    if !expected.starts_with("sha256:") {
        return Err(Error::Unsupported(format!(
            "{what}: digest algorithm of {expected}"
        )));
    }
    if !store.exists(name) {
        return Err(Error::NotAnImage(format!(
            "{}: {what} {expected} is missing from the layout",
            store.describe()
        )));
    }
    let bytes = store.read_small(name)?;
    let actual = sha256_hex(&bytes);
    if actual != expected {
        return Err(Error::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(bytes)
}

fn blob_name(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex)) => format!("blobs/{algo}/{hex}"),
        None => format!("blobs/{digest}"),
    }
}

const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
const PREDICATE_TYPE: &str = "in-toto.io/predicate-type";
/// The largest provenance statement read (BuildKit's mode=max ones are tens of KB to a few MB).
const MAX_PROVENANCE: u64 = 16 << 20;

fn open_rootfs(path: &Path) -> Result<Image> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Err(Error::NotAnImage(format!(
            "{}: a root filesystem source must be a directory",
            path.display()
        )));
    }
    let root = LayerInfo {
        index: 0,
        digest: None,
        diff_id: None,
        media_type: None,
        size: None,
        created_by: None,
        blob: String::new(),
    };
    Ok(Image::new(
        format!("dir:{}", path.display()),
        Transport::Dir,
        vec![root],
        Backing::RootFs(path.to_path_buf()),
    ))
}

/// A blob reader that refuses to go past the size its descriptor declares.
struct Bounded<'a> {
    inner: crate::store::BlobReader<'a>,
    left: u64,
}

impl std::io::Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more than declared is enough to know.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the blob is longer than the manifest says",
                )),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}
