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
use crate::layer::{LayerContext, LayerScan, scan_blob};
use crate::rootfs;
use crate::spec::SourceSpec;
use crate::store::{self, DirStore, Store};
use crate::wants::Wants;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
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

#[derive(Debug, Clone)]
pub struct LayerInfo {
    pub index: usize,
    /// Digest of the blob as stored (compressed); filled in by the scan when the source has none.
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    pub created_by: Option<String>,
    pub(crate) blob: String,
}

#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub created_by: Option<String>,
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

pub struct Image {
    /// The transport-qualified name, e.g. `oci:images/web:latest`.
    pub name: String,
    pub transport: Transport,
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    pub platform: Option<Platform>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    /// The manifest's annotations (`org.opencontainers.image.base.name` and the like).
    pub annotations: std::collections::BTreeMap<String, String>,
    /// The config's `created` time (RFC 3339), when it has one.
    pub created: Option<String>,
    pub volumes: Vec<String>,
    pub exposed_ports: Vec<String>,
    /// Docker's `Healthcheck.Test` (not part of the OCI config); `None` when the image has none.
    pub healthcheck: Option<Vec<String>>,
    pub repo_tags: Vec<String>,
    pub layers: Vec<LayerInfo>,
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
                let scan = rootfs::scan(path, wants)?;
                on_layer(scan.size);
                return Ok(Filesystem::merge_keeping(vec![scan], wants.listings));
            }
            Backing::Store(store) => store,
        };
        // Largest layers first, one task each, so the longest decompression starts at once.
        let stored = std::sync::atomic::AtomicBool::new(false);
        let budget = std::sync::atomic::AtomicU64::new(wants.budget);
        let entries_left = std::sync::atomic::AtomicU64::new(wants.max_entries);
        let mut order: Vec<&LayerInfo> = self.layers.iter().collect();
        order.sort_by_key(|l| std::cmp::Reverse(l.size.unwrap_or(0)));
        let mut scans: Vec<LayerScan> = order
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
                            if !crate::layer::take_entries(Some(&entries_left), scan.entries.len() as u64) {
                                return Err(Error::Layer {
                                    index: layer.index,
                                    digest: scan.digest.clone(),
                                    detail: crate::layer::too_many_entries(wants.max_entries),
                                });
                            }
                            on_layer(scan.compressed_size);
                            return Ok(scan);
                        }
                    }
                }
                let scan = scan_layer(store.as_ref(), layer, wants, &budget, &entries_left)?;
                if let Some(cache) = cache {
                    // Both digests were verified by the read.
                    cache.put(&[scan.digest.as_str(), scan.diff_id.as_str()], &scan);
                    stored.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                on_layer(scan.compressed_size);
                Ok(scan)
            })
            .collect::<Result<_>>()?;
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
        self.read_unread_wanted(store.as_ref(), wants, &mut fs)?;
        Ok(fs)
    }

    /// Wanted files the first pass could not recognise by name (written through a symlink, or
    /// reached through one): their layers are read again for just those files.
    fn read_unread_wanted(&self, store: &dyn Store, wants: &Wants, fs: &mut Filesystem) -> Result<()> {
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
                budget: None,
                entries_left: None,
            };
            let again = scan_blob(open_layer(store, layer)?, &ctx, layer.media_type.as_deref())?;
            for (literal, real) in files {
                match again.kept.iter().find(|(p, _)| *p == literal) {
                    Some((_, data)) => fs.supply(&real, index, data.clone()),
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
    budget: &std::sync::atomic::AtomicU64,
    entries_left: &std::sync::atomic::AtomicU64,
) -> Result<LayerScan> {
    let label = layer.digest.clone().unwrap_or_else(|| layer.blob.clone());
    let no_extra = HashSet::new();
    let ctx = LayerContext {
        index: layer.index,
        label: &label,
        wants,
        extra: &no_extra,
        budget: Some(budget),
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
            budget: None,
            entries_left: None,
        };
        let again = scan_blob(open_layer(store, layer)?, &ctx, layer.media_type.as_deref())?;
        for (link, target) in std::mem::take(&mut scan.pending_links) {
            match again.kept.iter().find(|(p, _)| *p == target) {
                Some((_, data)) => scan.kept.push((link, data.clone())),
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

fn descriptor_platform(d: &Descriptor) -> Option<Platform> {
    d.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone(),
    })
}

fn platform_matches(want: &Platform, have: &Platform) -> bool {
    want.os == have.os
        && want.architecture == have.architecture
        && match (&want.variant, &have.variant) {
            (Some(w), Some(h)) => w == h,
            (Some(w), None) => w == "v8" && have.architecture == "arm64",
            _ => true,
        }
}

/// The tags (`org.opencontainers.image.ref.name`) of an OCI layout directory or archive, in
/// the order its index lists them.
pub fn layout_tags(path: &Path) -> Result<Vec<String>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let store: Box<dyn Store> = if meta.is_dir() {
        Box::new(DirStore::new(path))
    } else {
        store::open_archive(path)?
    };
    let index = layout_index(store.as_ref())?;
    let mut tags: Vec<String> = Vec::new();
    for d in index.manifests() {
        if let Some(name) = d.annotations().as_ref().and_then(|a| a.get(REF_NAME)) {
            // A full reference (`repo:tag`) is named by its tag, as `oci:PATH:TAG` finds it.
            let tag = match name.rsplit_once(':') {
                Some((_, t)) if !t.contains('/') => t.to_string(),
                _ => name.clone(),
            };
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(tags)
}

/// A layout's `index.json`.
fn layout_index(store: &dyn Store) -> Result<ImageIndex> {
    if !store.exists("index.json") {
        return Err(Error::NotAnImage(format!(
            "{}: not an OCI layout (no index.json)",
            store.describe()
        )));
    }
    let raw = store.read_small("index.json")?;
    serde_json::from_slice(&raw).map_err(|e| Error::json(format!("{}: index.json", store.describe()), e))
}

fn open_oci(
    store: Box<dyn Store>,
    name: String,
    tag: Option<&str>,
    platform: &Platform,
    transport: Transport,
) -> Result<Image> {
    let index = layout_index(store.as_ref())?;
    let mut candidates: Vec<Descriptor> = index.manifests().clone();
    if let Some(tag) = tag {
        let tagged: Vec<Descriptor> = candidates
            .iter()
            .filter(|d| {
                d.annotations()
                    .as_ref()
                    .and_then(|a| a.get(REF_NAME))
                    .is_some_and(|r| r == tag || r.ends_with(&format!(":{tag}")))
            })
            .cloned()
            .collect();
        if tagged.is_empty() {
            let names: Vec<String> = candidates
                .iter()
                .filter_map(|d| d.annotations().as_ref().and_then(|a| a.get(REF_NAME)).cloned())
                .collect();
            return Err(Error::NotAnImage(format!(
                "{}: no image tagged {tag:?} (tags: {})",
                store.describe(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        candidates = tagged;
    }
    if candidates.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: index.json lists no manifests",
            store.describe()
        )));
    }
    let (manifest_desc, manifest, attestation) = pick_manifest(store.as_ref(), candidates, platform, 0)?;
    let manifest_digest = manifest_desc.digest().to_string();
    let config_digest = manifest.config().digest().to_string();
    let config_raw = read_verified(
        store.as_ref(),
        &blob_name(&config_digest),
        &config_digest,
        "image config",
    )?;
    let config = parse_config(&config_raw, &store.describe())?;
    let layers = manifest_layers(&manifest, &config, &store.describe())?;
    let name = match tag {
        Some(t) => format!("{name}:{t}"),
        None => name,
    };
    let mut image = Image {
        name,
        transport,
        manifest_digest: Some(manifest_digest),
        config_digest: Some(config_digest),
        platform: None,
        env: Vec::new(),
        user: None,
        labels: Default::default(),
        volumes: Vec::new(),
        exposed_ports: Vec::new(),
        healthcheck: None,
        repo_tags: Vec::new(),
        layers,
        history: Vec::new(),
        provenance: None,
        annotations: manifest
            .annotations()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        created: None,
        warnings: Vec::new(),
        backing: Backing::Store(store),
    };
    apply_config(&mut image, &config);
    apply_docker_config(&mut image, &config_raw);
    if let Some(att) = attestation {
        let digest = att.digest().to_string();
        let manifest = match &image.backing {
            Backing::Store(store) => read_verified(
                store.as_ref(),
                &blob_name(&digest),
                &digest,
                "attestation manifest",
            ),
            Backing::RootFs(_) => return Ok(image),
        };
        read_provenance(&mut image, manifest);
    }
    Ok(image)
}

const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
const PREDICATE_TYPE: &str = "in-toto.io/predicate-type";
/// The largest provenance statement read (BuildKit's mode=max ones are tens of KB to a few MB).
const MAX_PROVENANCE: u64 = 16 << 20;

/// The attestation manifest BuildKit stored for `manifest_digest` beside it in the index.
fn attestation_for(descriptors: &[Descriptor], manifest_digest: &str) -> Option<Descriptor> {
    descriptors
        .iter()
        .find(|d| {
            d.annotations().as_ref().is_some_and(|a| {
                a.get(REFERENCE_TYPE).map(String::as_str) == Some("attestation-manifest")
                    && a.get(REFERENCE_DIGEST).map(String::as_str) == Some(manifest_digest)
            })
        })
        .cloned()
}

/// Reads the SLSA provenance statement an attestation manifest lists. Provenance only refines
/// attribution: when it cannot be read the image is still scanned, with a warning.
fn read_provenance(image: &mut Image, manifest: Result<Vec<u8>>) {
    let result = manifest.and_then(|raw| {
        let manifest: ImageManifest =
            serde_json::from_slice(&raw).map_err(|e| Error::json("attestation manifest", e))?;
        let Some(layer) = manifest.layers().iter().find(|l| {
            l.annotations()
                .as_ref()
                .and_then(|a| a.get(PREDICATE_TYPE))
                .is_some_and(|t| t.starts_with("https://slsa.dev/provenance/"))
        }) else {
            return Ok(None);
        };
        if layer.size() > MAX_PROVENANCE {
            return Err(Error::NotAnImage(format!(
                "provenance attestation of {} bytes (more than {} MiB)",
                layer.size(),
                MAX_PROVENANCE >> 20
            )));
        }
        let digest = layer.digest().to_string();
        match &image.backing {
            Backing::Store(store) => read_verified(
                store.as_ref(),
                &blob_name(&digest),
                &digest,
                "provenance attestation",
            )
            .map(Some),
            Backing::RootFs(_) => Ok(None),
        }
    });
    match result {
        Ok(p) => image.provenance = p,
        Err(e) => image
            .warnings
            .push(format!("the image's provenance attestation is not usable: {e}")),
    }
}

/// Walks an index (and nested indexes) down to one image manifest for the platform.
/// The layers a manifest lists, each with the diff_id its config gives (the counts must agree).
fn manifest_layers(
    manifest: &ImageManifest,
    config: &ImageConfiguration,
    place: &str,
) -> Result<Vec<LayerInfo>> {
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(Error::NotAnImage(format!(
            "{place}: manifest lists {} layers but the config lists {} diff_ids",
            manifest.layers().len(),
            diff_ids.len()
        )));
    }
    Ok(manifest
        .layers()
        .iter()
        .zip(diff_ids)
        .enumerate()
        .map(|(index, (d, diff_id))| {
            let digest = d.digest().to_string();
            LayerInfo {
                index,
                blob: blob_name(&digest),
                digest: Some(digest),
                diff_id: Some(diff_id.clone()),
                media_type: Some(d.media_type().to_string()),
                size: Some(d.size()),
                created_by: None,
            }
        })
        .collect())
}

/// The chosen manifest, and the attestation manifest the index keeps for it, if any.
fn pick_manifest(
    store: &dyn Store,
    candidates: Vec<Descriptor>,
    platform: &Platform,
    depth: usize,
) -> Result<(Descriptor, ImageManifest, Option<Descriptor>)> {
    if depth > 4 {
        return Err(Error::NotAnImage(format!(
            "{}: image indexes nested too deeply",
            store.describe()
        )));
    }
    let mut images: Vec<(Descriptor, Option<Platform>)> = Vec::new();
    let all = candidates.clone();
    for d in candidates {
        let media_type = d.media_type().to_string();
        if INDEX_MEDIA_TYPES.contains(&media_type.as_str()) {
            let digest = d.digest().to_string();
            let raw = read_verified(store, &blob_name(&digest), &digest, "image index")?;
            let nested: ImageIndex =
                serde_json::from_slice(&raw).map_err(|e| Error::json(format!("image index {digest}"), e))?;
            return pick_manifest(store, nested.manifests().clone(), platform, depth + 1);
        }
        if !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str()) {
            continue;
        }
        let p = descriptor_platform(&d);
        // Attestation manifests carry the platform unknown/unknown.
        if p.as_ref().is_some_and(|p| p.os == "unknown") {
            continue;
        }
        images.push((d, p));
    }
    if images.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: no image manifest of a known media type in the index",
            store.describe()
        )));
    }
    let chosen = if images.len() == 1 && images[0].1.as_ref().is_none_or(|p| platform_matches(platform, p)) {
        images.remove(0).0
    } else if images.iter().all(|(_, p)| p.is_some()) {
        match images
            .iter()
            .position(|(_, p)| p.as_ref().is_some_and(|p| platform_matches(platform, p)))
        {
            Some(i) => images.remove(i).0,
            None => {
                let available: Vec<String> = images
                    .iter()
                    .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
                    .collect();
                return Err(Error::Platform(format!(
                    "{}: no image for platform {platform} (available: {}); choose one with --platform",
                    store.describe(),
                    available.join(", ")
                )));
            }
        }
    } else {
        return Err(Error::NotAnImage(format!(
            "{}: the layout holds {} images; name one with :TAG",
            store.describe(),
            images.len()
        )));
    };
    let digest = chosen.digest().to_string();
    let raw = read_verified(store, &blob_name(&digest), &digest, "image manifest")?;
    let manifest: ImageManifest =
        serde_json::from_slice(&raw).map_err(|e| Error::json(format!("image manifest {digest}"), e))?;
    let attestation = attestation_for(&all, &digest);
    Ok((chosen, manifest, attestation))
}

fn parse_config(raw: &[u8], place: &str) -> Result<ImageConfiguration> {
    serde_json::from_slice(raw).map_err(|e| Error::json(format!("{place}: image config"), e))
}

fn apply_config(image: &mut Image, config: &ImageConfiguration) {
    image.platform = Some(Platform {
        os: config.os().to_string(),
        architecture: config.architecture().to_string(),
        variant: config.variant().clone(),
    });
    if let Some(c) = config.config() {
        image.env = c.env().clone().unwrap_or_default();
        image.user = c.user().clone().filter(|u| !u.is_empty());
        image.labels = c.labels().clone().unwrap_or_default().into_iter().collect();
        image.volumes = c.volumes().clone().unwrap_or_default();
        image.exposed_ports = c.exposed_ports().clone().unwrap_or_default();
    }
    image.created = config.created().clone();
    let history = config.history().clone().unwrap_or_default();
    // Entries pair with layers in order, skipping `empty_layer` ones. When the counts differ the
    // pairing is unknowable: shifting entries would blame the wrong step for every package.
    let producing = history
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .count();
    let usable = producing == image.layers.len();
    if !history.is_empty() && !usable {
        image.warnings.push(format!(
            "the image history lists {producing} layer-creating step(s) for {} layer(s): it is not used to attribute layers",
            image.layers.len()
        ));
    }
    let mut next_layer = 0;
    for h in history {
        let empty = h.empty_layer().unwrap_or(false);
        let layer = (usable && !empty).then_some(next_layer);
        if let Some(i) = layer {
            image.layers[i].created_by = h.created_by().clone();
            next_layer += 1;
        }
        image.history.push(HistoryEntry {
            created_by: h.created_by().clone(),
            empty_layer: empty,
            layer,
        });
    }
}

/// What Docker keeps in the config beyond the OCI fields: the health check.
fn apply_docker_config(image: &mut Image, raw: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        config: Option<RawConfig>,
    }
    #[derive(serde::Deserialize)]
    struct RawConfig {
        #[serde(rename = "Healthcheck", default)]
        healthcheck: Option<RawHealthcheck>,
    }
    #[derive(serde::Deserialize)]
    struct RawHealthcheck {
        #[serde(rename = "Test", default)]
        test: Option<Vec<String>>,
    }
    if let Ok(raw) = serde_json::from_slice::<Raw>(raw) {
        image.healthcheck = raw
            .config
            .and_then(|c| c.healthcheck)
            .map(|h| h.test.unwrap_or_default());
    }
}

fn open_docker_archive(store: Box<dyn Store>, path: &Path, reference: Option<&str>) -> Result<Image> {
    let raw = store.read_small("manifest.json")?;
    let entries: Option<Vec<DockerManifestEntry>> = serde_json::from_slice(&raw)
        .map_err(|e| Error::json(format!("{}: manifest.json", path.display()), e))?;
    let mut entries = entries.unwrap_or_default();
    if entries.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: manifest.json lists no images",
            path.display()
        )));
    }
    let entry = match reference {
        Some(r) if r.starts_with('@') => {
            let i: usize = r[1..]
                .parse()
                .map_err(|_| Error::Usage(format!("invalid archive index {r:?}")))?;
            if i >= entries.len() {
                return Err(Error::NotAnImage(format!(
                    "{}: archive holds {} images, no @{i}",
                    path.display(),
                    entries.len()
                )));
            }
            entries.remove(i)
        }
        Some(r) => {
            let pos = entries.iter().position(|e| {
                e.repo_tags.as_ref().is_some_and(|tags| {
                    tags.iter().any(|t| {
                        t == r
                            || t.ends_with(&format!("/{r}"))
                            || t.rsplit_once(':').is_some_and(|(_, tag)| tag == r)
                    })
                })
            });
            match pos {
                Some(i) => entries.remove(i),
                None => {
                    return Err(Error::NotAnImage(format!(
                        "{}: no image tagged {r:?} in the archive",
                        path.display()
                    )));
                }
            }
        }
        None if entries.len() > 1 => {
            let tags: Vec<String> = entries
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(Error::NotAnImage(format!(
                "{}: the archive holds {} images ({}); choose one with docker-archive:PATH:TAG or :@N",
                path.display(),
                entries.len(),
                tags.join(", ")
            )));
        }
        None => entries.remove(0),
    };
    let config_name = paths_clean(&entry.config)?;
    let config_raw = store.read_small(&config_name)?;
    let config_digest = sha256_hex(&config_raw);
    // Docker names the config after its digest by convention only (`docker load` never checks),
    // so a mismatch is reported, not fatal; layer digests are still verified.
    let mut warnings = Vec::new();
    if let Some(hex) = expected_hex(&config_name)
        && config_digest != format!("sha256:{hex}")
    {
        warnings.push(format!(
            "{}: image config {config_name} does not match the digest in its name (content is {config_digest})",
            path.display()
        ));
    }
    let config = parse_config(&config_raw, &path.display().to_string())?;
    let diff_ids = config.rootfs().diff_ids().clone();
    if diff_ids.len() != entry.layers.len() {
        return Err(Error::NotAnImage(format!(
            "{}: manifest.json lists {} layers but the config lists {} diff_ids",
            path.display(),
            entry.layers.len(),
            diff_ids.len()
        )));
    }
    let mut layers = Vec::new();
    for (index, name) in entry.layers.iter().enumerate() {
        let blob = paths_clean(name)?;
        if !store.exists(&blob) {
            return Err(Error::NotAnImage(format!(
                "{}: layer {blob} is missing from the archive",
                path.display()
            )));
        }
        layers.push(LayerInfo {
            index,
            digest: expected_hex(&blob).map(|h| format!("sha256:{h}")),
            diff_id: Some(diff_ids[index].clone()),
            media_type: None,
            size: None,
            created_by: None,
            blob,
        });
    }
    let mut image = Image {
        name: format!("docker-archive:{}", path.display()),
        transport: Transport::DockerArchive,
        manifest_digest: None,
        config_digest: Some(config_digest),
        platform: None,
        env: Vec::new(),
        user: None,
        labels: Default::default(),
        volumes: Vec::new(),
        exposed_ports: Vec::new(),
        healthcheck: None,
        repo_tags: entry.repo_tags.unwrap_or_default(),
        layers,
        history: Vec::new(),
        provenance: None,
        annotations: Default::default(),
        created: None,
        warnings,
        backing: Backing::Store(store),
    };
    apply_config(&mut image, &config);
    apply_docker_config(&mut image, &config_raw);
    Ok(image)
}

fn paths_clean(name: &str) -> Result<String> {
    crate::paths::entry_name(name, "manifest.json")
}

/// Content-addressed member names (`blobs/sha256/<hex>`, `<hex>.json`, skopeo's `<hex>.tar`)
/// promise their own digest.
fn expected_hex(name: &str) -> Option<String> {
    let file = crate::paths::file_name(name);
    let stem = file
        .strip_suffix(".json")
        .or_else(|| file.strip_suffix(".tar"))
        .unwrap_or(file);
    let looks_hex = stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit());
    let under_blobs = name.starts_with("blobs/sha256/") || !name.contains('/');
    (looks_hex && under_blobs).then(|| stem.to_ascii_lowercase())
}

fn open_rootfs(path: &Path) -> Result<Image> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Err(Error::NotAnImage(format!(
            "{}: a root filesystem source must be a directory",
            path.display()
        )));
    }
    Ok(Image {
        name: format!("dir:{}", path.display()),
        transport: Transport::Dir,
        manifest_digest: None,
        config_digest: None,
        platform: None,
        env: Vec::new(),
        user: None,
        labels: Default::default(),
        volumes: Vec::new(),
        exposed_ports: Vec::new(),
        healthcheck: None,
        repo_tags: Vec::new(),
        layers: vec![LayerInfo {
            index: 0,
            digest: None,
            diff_id: None,
            media_type: None,
            size: None,
            created_by: None,
            blob: String::new(),
        }],
        history: Vec::new(),
        provenance: None,
        annotations: Default::default(),
        created: None,
        warnings: Vec::new(),
        backing: Backing::RootFs(path.to_path_buf()),
    })
}

fn open_registry(
    reference: &crate::registry::Reference,
    platform: &Platform,
    options: &crate::registry::RegistryOptions,
) -> Result<Image> {
    let registry = crate::registry::Registry::connect(reference, options)?;
    let place = format!("docker://{reference}");
    let (mut bytes, mut media_type) = registry.manifest(reference.target())?;
    let mut digest = sha256_hex(&bytes);
    if let Some(expected) = &reference.digest
        && *expected != digest
    {
        return Err(Error::DigestMismatch {
            what: format!("manifest of {place}"),
            expected: expected.clone(),
            actual: digest,
        });
    }
    let mut attestation = None;
    for _ in 0..4 {
        if !INDEX_MEDIA_TYPES.contains(&media_type.as_str()) {
            break;
        }
        let index: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| Error::json(format!("{place}: image index"), e))?;
        let all = index.manifests().clone();
        let mut images: Vec<(Descriptor, Option<Platform>)> = index
            .manifests()
            .iter()
            .filter(|d| {
                let mt = d.media_type().to_string();
                MANIFEST_MEDIA_TYPES.contains(&mt.as_str()) || INDEX_MEDIA_TYPES.contains(&mt.as_str())
            })
            .map(|d| (d.clone(), descriptor_platform(d)))
            .filter(|(_, p)| p.as_ref().is_none_or(|p| p.os != "unknown"))
            .collect();
        let chosen = match images
            .iter()
            .position(|(_, p)| p.as_ref().is_some_and(|p| platform_matches(platform, p)))
        {
            Some(i) => images.remove(i).0,
            None if images.len() == 1 && images[0].1.is_none() => images.remove(0).0,
            None => {
                let available: Vec<String> = images
                    .iter()
                    .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
                    .collect();
                return Err(Error::Platform(format!(
                    "{place}: no image for platform {platform} (available: {}); choose one with --platform",
                    available.join(", ")
                )));
            }
        };
        let want = chosen.digest().to_string();
        let (b, mt) = registry.manifest(&want)?;
        let got = sha256_hex(&b);
        if got != want {
            return Err(Error::DigestMismatch {
                what: format!("manifest {want} of {place}"),
                expected: want,
                actual: got,
            });
        }
        attestation = attestation_for(&all, &got);
        bytes = b;
        media_type = mt;
        digest = got;
    }
    if !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str()) {
        return Err(Error::Unsupported(format!(
            "{place}: manifest media type {media_type:?}"
        )));
    }
    let manifest: ImageManifest =
        serde_json::from_slice(&bytes).map_err(|e| Error::json(format!("{place}: image manifest"), e))?;
    let attestation_manifest = attestation.map(|att| {
        let want = att.digest().to_string();
        registry.manifest(&want).and_then(|(b, _)| {
            let got = sha256_hex(&b);
            if got == want {
                Ok(b)
            } else {
                Err(Error::DigestMismatch {
                    what: format!("attestation manifest of {place}"),
                    expected: want,
                    actual: got,
                })
            }
        })
    });
    let config_digest = manifest.config().digest().to_string();
    let config_raw = read_verified(
        &registry,
        &blob_name(&config_digest),
        &config_digest,
        "image config",
    )?;
    let config = parse_config(&config_raw, &place)?;
    let layers = manifest_layers(&manifest, &config, &place)?;
    let mut image = Image {
        name: place,
        transport: Transport::Docker,
        manifest_digest: Some(digest),
        config_digest: Some(config_digest),
        platform: None,
        env: Vec::new(),
        user: None,
        labels: Default::default(),
        volumes: Vec::new(),
        exposed_ports: Vec::new(),
        healthcheck: None,
        repo_tags: reference
            .tag
            .iter()
            .map(|t| format!("{}/{}:{t}", reference.registry, reference.repository))
            .collect(),
        layers,
        history: Vec::new(),
        provenance: None,
        annotations: manifest
            .annotations()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        created: None,
        warnings: Vec::new(),
        backing: Backing::Store(Box::new(registry)),
    };
    apply_config(&mut image, &config);
    apply_docker_config(&mut image, &config_raw);
    if let Some(manifest) = attestation_manifest {
        read_provenance(&mut image, manifest);
    }
    Ok(image)
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
