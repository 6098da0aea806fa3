//! The base-image index: for each repository indexed, every tag's manifest digest, platform,
//! creation time, compressed size and layer ChainIDs, read from manifests and configs only —
//! never layers. It lives in the cache directory as one JSON file, so detection and advice
//! work offline once `drydock base index` has run.
//!
//! A tag that moves keeps its earlier digests (`previous`): an image built on the old digest
//! is still recognised by its layers, and the move is the `refresh` advice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_source::{Image, Platform, Reference, Registry, RegistryOptions, SourceSpec};
use serde::{Deserialize, Serialize};

use crate::chain::chain_ids;

const FORMAT: u32 = 1;
/// Earlier digests kept per tag: enough to recognise images built over months of rebuilds.
const KEEP_PREVIOUS: usize = 50;

/// The base-image index: what each indexed tag pointed to, and each image's layer ChainIDs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaseIndex {
    /// The file's format version.
    pub format: u32,
    /// Keyed by repository: `registry/repository` for a registry, `oci:PATH` for a layout.
    pub repositories: BTreeMap<String, Repository>,
}

impl Default for BaseIndex {
    fn default() -> Self {
        BaseIndex {
            format: FORMAT,
            repositories: BTreeMap::new(),
        }
    }
}

/// One indexed repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Repository {
    /// When a `base index` last read it (RFC 3339).
    pub updated: String,
    /// Its tags.
    pub tags: BTreeMap<String, TagEntry>,
}

/// One tag: what it points to now and before.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagEntry {
    /// What it points to now.
    pub current: Snapshot,
    /// The digests the tag pointed to before, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous: Vec<Snapshot>,
    /// The tag was no longer listed at the last index run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
}

/// What one digest of a tag is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// What the tag resolves to: an index for a multi-platform tag, else the manifest.
    pub digest: String,
    /// The platform's image manifest.
    pub manifest_digest: String,
    /// The platform indexed (`linux/amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The config's `created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The layers' compressed size, as the manifest declares it.
    pub size: u64,
    /// The ChainID of every layer prefix, in order.
    pub chain_ids: Vec<String>,
    /// When an index run first saw it (RFC 3339).
    pub first_seen: String,
    /// When one last saw it.
    pub last_seen: String,
}

/// An indexed image whose layers the scanned image starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainMatch {
    /// The repository.
    pub repository: String,
    /// The tags recording that digest (now or before), most specific first.
    pub tags: Vec<String>,
    /// The image.
    pub snapshot: Snapshot,
    /// Whether some tag still points to it.
    pub current: bool,
}

impl ChainMatch {
    /// How many layers of the scanned image it accounts for.
    pub fn layers(&self) -> usize {
        self.snapshot.chain_ids.len()
    }
}

/// What one `base index` run did, per tag.
#[derive(Debug, Default)]
pub struct IndexReport {
    /// Tags seen for the first time.
    pub added: Vec<String>,
    /// Tags that point somewhere new.
    pub moved: Vec<String>,
    /// Tags that did not move.
    pub unchanged: Vec<String>,
    /// Tags no longer listed.
    pub gone: Vec<String>,
    /// `tag: error` for tags that could not be read (the rest are indexed).
    pub failed: Vec<String>,
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Why the base-image index could not be read, written or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The index file is not the JSON drydock writes.
    #[error("{path}: not a base-image index: {source}")]
    NotIndex {
        /// The index file.
        path: PathBuf,
        /// Where the JSON parser stopped.
        source: serde_json::Error,
    },
    /// An index written by a drydock of another format.
    #[error(
        "{path}: base-image index format {found} (this drydock reads {FORMAT}); run `drydock base index` again"
    )]
    Format {
        /// The index file.
        path: PathBuf,
        /// The format it was written in.
        found: u32,
    },
    /// The index could not be serialised into its file.
    #[error("{path}: {source}")]
    Write {
        /// The index file.
        path: PathBuf,
        /// The serialiser's error.
        source: serde_json::Error,
    },
    /// A reference of a kind the index does not read (a root filesystem, say).
    #[error(
        "{0}: base index reads registries (REPOSITORY[:TAG]), OCI layouts (oci:PATH) and docker archives (docker-archive:PATH)"
    )]
    Unindexable(String),
    /// The image source failed: a registry, a layout or an archive.
    #[error(transparent)]
    Source(#[from] drydock_source::Error),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl BaseIndex {
    /// Where the index lives in the cache directory.
    pub fn path(cache_dir: &Path) -> PathBuf {
        cache_dir.join("base-index.json")
    }

    /// The index in `cache_dir`, empty when none was made yet.
    pub fn load(cache_dir: &Path) -> Result<BaseIndex, IndexError> {
        let path = Self::path(cache_dir);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let index: BaseIndex = match serde_json::from_slice(&bytes) {
                    Ok(index) => index,
                    Err(source) => return Err(IndexError::NotIndex { path, source }),
                };
                if index.format != FORMAT {
                    return Err(IndexError::Format {
                        path,
                        found: index.format,
                    });
                }
                Ok(index)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BaseIndex::default()),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Writes the index whole, through a temporary file renamed over it.
    pub fn save(&self, cache_dir: &Path) -> Result<(), IndexError> {
        std::fs::create_dir_all(cache_dir).map_err(io_error(cache_dir))?;
        let path = Self::path(cache_dir);
        let mut tmp = tempfile::NamedTempFile::new_in(cache_dir).map_err(io_error(cache_dir))?;
        if let Err(source) = serde_json::to_writer(&mut tmp, self) {
            return Err(IndexError::Write { path, source });
        }
        tmp.persist(&path).map_err(|e| io_error(&path)(e.error))?;
        Ok(())
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.repositories.values().all(|r| r.tags.is_empty())
    }

    /// The indexed image whose ChainIDs are the longest proper prefix of `chain` (the whole
    /// chain is the image itself, indexed too perhaps, not its base).
    pub fn longest_prefix(&self, chain: &[String]) -> Option<ChainMatch> {
        let mut best: Option<(usize, &str, &Snapshot)> = None;
        for (repo, r) in &self.repositories {
            for entry in r.tags.values() {
                for snap in std::iter::once(&entry.current).chain(&entry.previous) {
                    let k = snap.chain_ids.len();
                    if k == 0 || k >= chain.len() || snap.chain_ids[k - 1] != chain[k - 1] {
                        continue;
                    }
                    if best.is_none_or(|(b, _, _)| k > b) {
                        best = Some((k, repo, snap));
                    }
                }
            }
        }
        let (_, repo, snap) = best?;
        Some(self.describe(repo, &snap.manifest_digest).unwrap_or(ChainMatch {
            repository: repo.to_string(),
            tags: Vec::new(),
            snapshot: snap.clone(),
            current: false,
        }))
    }

    /// The repository's record of a manifest digest: its tags and whether one still points there.
    pub fn describe(&self, repository: &str, manifest_digest: &str) -> Option<ChainMatch> {
        let r = self.repositories.get(repository)?;
        let mut found: Option<Snapshot> = None;
        let mut current_tags = Vec::new();
        let mut past_tags = Vec::new();
        for (tag, entry) in &r.tags {
            let is = |s: &Snapshot| s.manifest_digest == manifest_digest || s.digest == manifest_digest;
            if is(&entry.current) && !entry.gone {
                current_tags.push(tag.clone());
                found.get_or_insert_with(|| entry.current.clone());
            } else if let Some(s) = std::iter::once(&entry.current)
                .chain(&entry.previous)
                .find(|s| is(s))
            {
                past_tags.push(tag.clone());
                found.get_or_insert_with(|| s.clone());
            }
        }
        let current = !current_tags.is_empty();
        let mut tags = if current { current_tags } else { past_tags };
        tags.sort_by_key(|t| specificity(t));
        Some(ChainMatch {
            repository: repository.to_string(),
            tags,
            snapshot: found?,
            current,
        })
    }

    /// Finds the repository an image name refers to: `debian`, `docker.io/library/debian` and
    /// `registry-1.docker.io/library/debian` are one repository.
    pub fn repository_for(&self, name: &str) -> Option<&str> {
        let key = repository_key(name)?;
        self.repositories.keys().find(|k| **k == key).map(String::as_str)
    }

    /// Reads `reference` (a repository, `repo:tag`, or `oci:PATH[:tag]`) into the index: every
    /// tag (or the one named) matching `tags`, skipping what has not changed since the last run.
    pub fn update(
        &mut self,
        reference: &str,
        tags: Option<&regex::Regex>,
        platform: &Platform,
        options: &RegistryOptions,
    ) -> Result<(String, IndexReport), IndexError> {
        if let Some(rest) = reference
            .strip_prefix("oci:")
            .or_else(|| reference.strip_prefix("oci-archive:"))
        {
            return self.update_layout(rest, tags, platform);
        }
        let spec = SourceSpec::parse(reference)?;
        let r = match spec {
            SourceSpec::Registry { reference: r } => r,
            SourceSpec::DockerArchive { ref path, .. } => return self.update_archive(&spec, path, platform),
            _ => {
                return Err(IndexError::Unindexable(reference.to_string()));
            }
        };
        let key = format!("{}/{}", r.registry, r.repository);
        let named_tag = reference_has_tag(reference).then(|| r.tag.clone()).flatten();
        let mut repo_ref = r.clone();
        repo_ref.digest = None;
        let registry = Registry::connect(&repo_ref, options)?;
        let listed = match &named_tag {
            Some(t) => vec![t.clone()],
            None => registry.tags()?,
        };
        let wanted = select(listed, tags);
        let mut report = IndexReport::default();
        let repo = self.repositories.entry(key.clone()).or_default();
        let stamp = now();
        for tag in &wanted {
            let known = repo.tags.get(tag).map(|e| e.current.digest.clone());
            let changed = match &known {
                Some(d) => registry.manifest_if_changed(tag, d),
                None => registry.manifest(tag).map(Some),
            };
            let top = match changed {
                Ok(None) => {
                    unchanged(repo, tag, &stamp, &mut report);
                    continue;
                }
                Ok(Some((bytes, _))) => drydock_source::digest::sha256_hex(&bytes),
                Err(e) => {
                    report.failed.push(format!("{tag}: {e}"));
                    continue;
                }
            };
            let mut tagged = repo_ref.clone();
            tagged.tag = Some(tag.clone());
            let read = Image::open_with(&SourceSpec::Registry { reference: tagged }, platform, options);
            match read {
                Ok(image) => record(repo, tag, snapshot(&image, top, &stamp), &mut report),
                Err(e) => report.failed.push(format!("{tag}: {e}")),
            }
        }
        if named_tag.is_none() {
            mark_gone(repo, &wanted, tags, &mut report);
        }
        repo.updated = stamp;
        Ok((key, report))
    }

    /// A `docker save` archive: its image, under the tags it was saved with (else `latest`).
    fn update_archive(
        &mut self,
        spec: &SourceSpec,
        path: &Path,
        platform: &Platform,
    ) -> Result<(String, IndexReport), IndexError> {
        let abs = std::fs::canonicalize(path).map_err(io_error(path))?;
        let key = format!("docker-archive:{}", abs.display());
        let image = Image::open(spec, platform)?;
        let mut tags: Vec<String> = image
            .repo_tags
            .iter()
            .filter_map(|t| t.rsplit_once(':').map(|(_, tag)| tag.to_string()))
            .filter(|t| !t.contains('/'))
            .collect();
        if tags.is_empty() {
            tags.push("latest".into());
        }
        let mut report = IndexReport::default();
        let repo = self.repositories.entry(key.clone()).or_default();
        let stamp = now();
        let top = image
            .manifest_digest
            .clone()
            .unwrap_or_else(|| image.config_digest.clone().unwrap_or_default());
        for tag in tags {
            if repo.tags.get(&tag).is_some_and(|e| e.current.digest == top) {
                unchanged(repo, &tag, &stamp, &mut report);
                continue;
            }
            record(repo, &tag, snapshot(&image, top.clone(), &stamp), &mut report);
        }
        repo.updated = stamp;
        Ok((key, report))
    }

    fn update_layout(
        &mut self,
        rest: &str,
        tags: Option<&regex::Regex>,
        platform: &Platform,
    ) -> Result<(String, IndexReport), IndexError> {
        // `oci:PATH:TAG` names one tag, as everywhere else.
        let (path, named) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') && Path::new(p).exists() => (p, Some(t.to_string())),
            _ => (rest, None),
        };
        let abs = std::fs::canonicalize(path).map_err(io_error(Path::new(path)))?;
        let key = format!("oci:{}", abs.display());
        let listed = match &named {
            Some(t) => vec![t.clone()],
            None => drydock_source::layout_tags(&abs)?,
        };
        let wanted = select(listed, tags);
        let mut report = IndexReport::default();
        let repo = self.repositories.entry(key.clone()).or_default();
        let stamp = now();
        for tag in &wanted {
            let spec = SourceSpec::parse(&format!("oci:{}:{tag}", abs.display()))?;
            match Image::open(&spec, platform) {
                Ok(image) => {
                    let top = image.manifest_digest.clone().unwrap_or_default();
                    if repo.tags.get(tag).is_some_and(|e| e.current.digest == top) {
                        unchanged(repo, tag, &stamp, &mut report);
                        continue;
                    }
                    record(repo, tag, snapshot(&image, top, &stamp), &mut report);
                }
                Err(e) => report.failed.push(format!("{tag}: {e}")),
            }
        }
        if named.is_none() {
            mark_gone(repo, &wanted, tags, &mut report);
        }
        repo.updated = stamp;
        Ok((key, report))
    }
}

/// Whether the user named a tag (`repo:tag`), not just a repository (`localhost:5000/repo`).
fn reference_has_tag(reference: &str) -> bool {
    let r = reference.strip_prefix("docker://").unwrap_or(reference);
    let last = r.rsplit('/').next().unwrap_or(r);
    last.contains(':') || r.contains('@')
}

/// `debian`, `docker.io/library/debian:12` → `registry-1.docker.io/library/debian`.
pub fn repository_key(name: &str) -> Option<String> {
    if name.starts_with("oci:") || name.starts_with("docker-archive:") {
        return Some(name.to_string());
    }
    let r = Reference::parse(name.strip_prefix("docker://").unwrap_or(name)).ok()?;
    Some(format!("{}/{}", r.registry, r.repository))
}

/// How people write the repository: `docker.io/library/debian` as `debian`.
pub fn display_name(key: &str) -> String {
    key.strip_prefix("registry-1.docker.io/library/")
        .or_else(|| key.strip_prefix("registry-1.docker.io/"))
        .map(str::to_string)
        .unwrap_or_else(|| key.to_string())
}

/// Sort key: version tags with the most components first, moving tags last.
fn specificity(tag: &str) -> (u8, std::cmp::Reverse<usize>, String) {
    let parsed = crate::tags::Tag::parse(tag);
    match &parsed.line {
        crate::tags::Line::Version(v) => (0, std::cmp::Reverse(v.len()), tag.to_string()),
        crate::tags::Line::Other => (1, std::cmp::Reverse(0), tag.to_string()),
        crate::tags::Line::Moving => (2, std::cmp::Reverse(0), tag.to_string()),
    }
}

fn snapshot(image: &Image, top: String, stamp: &str) -> Snapshot {
    let diff_ids: Vec<String> = image.layers.iter().filter_map(|l| l.diff_id.clone()).collect();
    Snapshot {
        digest: top,
        // A docker archive has no manifest digest: its config digest names the image.
        manifest_digest: image
            .manifest_digest
            .clone()
            .or_else(|| image.config_digest.clone())
            .unwrap_or_default(),
        platform: image.platform.as_ref().map(|p| p.to_string()),
        created: image.created.clone(),
        size: image.layers.iter().filter_map(|l| l.size).sum(),
        chain_ids: if diff_ids.len() == image.layers.len() {
            chain_ids(&diff_ids)
        } else {
            Vec::new()
        },
        first_seen: stamp.to_string(),
        last_seen: stamp.to_string(),
    }
}

/// The tag still has the digest recorded: only when it was last seen changes.
fn unchanged(repo: &mut Repository, tag: &str, stamp: &str, report: &mut IndexReport) {
    if let Some(entry) = repo.tags.get_mut(tag) {
        entry.current.last_seen = stamp.to_string();
        entry.gone = false;
        report.unchanged.push(tag.to_string());
    }
}

/// The listed tags the `--tags` expression keeps.
fn select(listed: Vec<String>, tags: Option<&regex::Regex>) -> Vec<String> {
    listed
        .into_iter()
        .filter(|t| tags.is_none_or(|re| re.is_match(t)))
        .collect()
}

fn record(repo: &mut Repository, tag: &str, snap: Snapshot, report: &mut IndexReport) {
    match repo.tags.get_mut(tag) {
        Some(entry) => {
            let old = std::mem::replace(&mut entry.current, snap);
            entry
                .previous
                .retain(|p| p.manifest_digest != entry.current.manifest_digest);
            entry.previous.insert(0, old);
            entry.previous.truncate(KEEP_PREVIOUS);
            entry.gone = false;
            report.moved.push(tag.to_string());
        }
        None => {
            repo.tags.insert(
                tag.to_string(),
                TagEntry {
                    current: snap,
                    previous: Vec::new(),
                    gone: false,
                },
            );
            report.added.push(tag.to_string());
        }
    }
}

/// Tags the last full listing no longer has stay for recognising images, marked gone.
fn mark_gone(
    repo: &mut Repository,
    listed: &[String],
    filter: Option<&regex::Regex>,
    report: &mut IndexReport,
) {
    for (tag, entry) in repo.tags.iter_mut() {
        if !entry.gone && !listed.contains(tag) && filter.is_none_or(|re| re.is_match(tag)) {
            entry.gone = true;
            report.gone.push(tag.clone());
        }
    }
}
