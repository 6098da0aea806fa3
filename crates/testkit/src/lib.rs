//! Test helpers shared by drydock's crates.
//!
//! * [`shared_testdata`] and [`built_images`] locate the real-data corpus (tier 2). Without it
//!   they skip with a message — unless `CI` is set, where a missing corpus fails the test, so CI
//!   can never pass by skipping.
//! * [`LayerBuilder`] and [`ImageBuilder`] synthesise images in every source format (tier 1).

pub mod postgres;
pub mod registry;

pub use postgres::{fresh_postgres_database, postgres_ca, postgres_url};

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn require_or_skip(what: &str, found: Option<PathBuf>) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{what} is required when CI is set, but was not found");
    }
    eprintln!("skipping: {what} not available");
    None
}

/// The workspace root (two levels above a crate's manifest dir).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `../shared/testdata` beside the repository, or `$DRYDOCK_TESTDATA`.
pub fn shared_testdata() -> Option<PathBuf> {
    let found = std::env::var_os("DRYDOCK_TESTDATA")
        .map(PathBuf::from)
        .or_else(|| Some(workspace_root().join("../shared/testdata")))
        .filter(|p| p.join("README.md").is_file());
    require_or_skip("../shared/testdata", found)
}

/// Images built by `shared/tools/build-images.sh`, found through `$DRYDOCK_IMAGES`.
pub fn built_images() -> Option<PathBuf> {
    let found = std::env::var_os("DRYDOCK_IMAGES")
        .map(PathBuf::from)
        .filter(|p| p.join("fixtures.json").is_file());
    require_or_skip("built images ($DRYDOCK_IMAGES)", found)
}

/// The attribution example built by `examples/attribution/build.sh`, through
/// `$DRYDOCK_ATTRIBUTION_IMAGE` (its output folder: `oci/` and `facts.env`).
pub fn attribution_image() -> Option<PathBuf> {
    let found = std::env::var_os("DRYDOCK_ATTRIBUTION_IMAGE")
        .map(PathBuf::from)
        .filter(|p| p.join("facts.env").is_file() && p.join("oci/index.json").is_file());
    require_or_skip(
        "the attribution example image ($DRYDOCK_ATTRIBUTION_IMAGE)",
        found,
    )
}

/// The report formats' official validators `.ci/run` installs: a Python with
/// cyclonedx-python-lib and spdx-tools (`$DRYDOCK_VALIDATOR_PYTHON`) and Microsoft's SARIF
/// multitool (`$DRYDOCK_SARIF_TOOL`).
pub fn validators() -> Option<(PathBuf, PathBuf)> {
    let python = std::env::var_os("DRYDOCK_VALIDATOR_PYTHON").map(PathBuf::from);
    let sarif = std::env::var_os("DRYDOCK_SARIF_TOOL").map(PathBuf::from);
    let found = python.zip(sarif).filter(|(p, s)| p.is_file() && s.is_file());
    let python = require_or_skip(
        "the report validators ($DRYDOCK_VALIDATOR_PYTHON, $DRYDOCK_SARIF_TOOL)",
        found.as_ref().map(|(p, _)| p.clone()),
    )?;
    Some((python, found?.1))
}

/// `KEY=value` lines of a build script's `facts.env` in `dir`.
pub fn facts(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("facts.env"))
        .unwrap_or_else(|e| panic!("{}/facts.env: {e}", dir.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The base-image example built by `examples/base/build.sh` (env `DRYDOCK_BASE_IMAGE`).
pub fn base_example() -> Option<PathBuf> {
    let found = std::env::var_os("DRYDOCK_BASE_IMAGE")
        .map(PathBuf::from)
        .filter(|p| p.join("facts.env").is_file() && p.join("oci/index.json").is_file());
    require_or_skip("the base-image example ($DRYDOCK_BASE_IMAGE)", found)
}

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Builds one uncompressed layer tar.
#[derive(Default)]
pub struct LayerBuilder {
    builder: Option<tar::Builder<Vec<u8>>>,
}

impl LayerBuilder {
    pub fn new() -> Self {
        LayerBuilder {
            builder: Some(tar::Builder::new(Vec::new())),
        }
    }

    fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(0);
        h
    }

    fn b(&mut self) -> &mut tar::Builder<Vec<u8>> {
        self.builder.as_mut().expect("layer already finished")
    }

    pub fn file(mut self, path: &str, data: &[u8]) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, data.len() as u64, 0o644);
        self.b().append_data(&mut h, path, data).unwrap();
        self
    }

    /// A regular file with the given permission bits (setuid, world-writable, …).
    pub fn file_mode(mut self, path: &str, data: &[u8], mode: u32) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, data.len() as u64, mode);
        self.b().append_data(&mut h, path, data).unwrap();
        self
    }

    pub fn dir(mut self, path: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Directory, 0, 0o755);
        self.b().append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Symlink, 0, 0o777);
        self.b().append_link(&mut h, path, target).unwrap();
        self
    }

    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Link, 0, 0o644);
        self.b().append_link(&mut h, path, target).unwrap();
        self
    }

    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let wh = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&wh, b"")
    }

    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    /// Writes a raw header with an arbitrary name, bypassing the tar crate's path checks, to
    /// produce hostile archives.
    pub fn raw_file(mut self, name: &str, data: &[u8]) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, data.len() as u64, 0o644);
        let bytes = h.as_old_mut();
        bytes.name = [0; 100];
        bytes.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        self.b().append(&h, data).unwrap();
        self
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.builder.take().unwrap().into_inner().unwrap()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Comp {
    None,
    Gzip,
    Zstd,
}

pub fn compress(data: &[u8], comp: Comp) -> Vec<u8> {
    match comp {
        Comp::None => data.to_vec(),
        Comp::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Comp::Zstd => zstd::encode_all(data, 3).unwrap(),
    }
}

fn media_type(comp: Comp) -> &'static str {
    match comp {
        Comp::None => "application/vnd.oci.image.layer.v1.tar",
        Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

pub struct Layer {
    pub tar: Vec<u8>,
    pub blob: Vec<u8>,
    pub comp: Comp,
    pub created_by: String,
}

/// An image in memory, written out in any source format.
#[derive(Default)]
pub struct ImageBuilder {
    pub layers: Vec<Layer>,
    /// Replace a layer's blob after digests are computed (digest-mismatch tests).
    pub tamper_blob: Option<(usize, Vec<u8>)>,
    /// Report a wrong diff_id for a layer in the config.
    pub wrong_diff_id: Option<usize>,
    /// Extra `Env` entries of the config (after `PATH`).
    pub env: Vec<String>,
    /// The config's `Labels`.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The manifest's `annotations`.
    pub annotations: std::collections::BTreeMap<String, String>,
}

impl ImageBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn layer(mut self, tar: Vec<u8>, comp: Comp, created_by: &str) -> Self {
        let blob = compress(&tar, comp);
        self.layers.push(Layer {
            tar,
            blob,
            comp,
            created_by: created_by.to_string(),
        });
        self
    }

    /// Config JSON and the layer blobs as they will be stored.
    fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if self.wrong_diff_id == Some(i) {
                    sha256(b"wrong")
                } else {
                    sha256(&l.tar)
                }
            })
            .collect();
        let history: Vec<serde_json::Value> = self
            .layers
            .iter()
            .map(|l| serde_json::json!({"created_by": l.created_by}))
            .chain(std::iter::once(
                serde_json::json!({"created_by": "CMD [\"sh\"]", "empty_layer": true}),
            ))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": std::iter::once("PATH=/usr/bin".to_string()).chain(self.env.iter().cloned()).collect::<Vec<_>>(), "Labels": self.labels},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .unwrap()
    }

    fn stored_blob(&self, i: usize) -> Vec<u8> {
        match &self.tamper_blob {
            Some((j, data)) if *j == i => data.clone(),
            _ => self.layers[i].blob.clone(),
        }
    }

    /// The OCI layout as (member name, bytes) pairs.
    pub fn oci_members(&self, tag: &str) -> Vec<(String, Vec<u8>)> {
        let mut members = Vec::new();
        let config = self.config();
        let layers: Vec<serde_json::Value> = self
            .layers
            .iter()
            .map(|l| serde_json::json!({"mediaType": media_type(l.comp), "digest": sha256(&l.blob), "size": l.blob.len()}))
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
            "layers": layers,
            "annotations": self.annotations,
        }))
        .unwrap();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha256(&manifest),
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        }))
        .unwrap();
        members.push((
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ));
        members.push(("index.json".to_string(), index));
        let blob_path = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
        members.push((blob_path(&sha256(&manifest)), manifest.clone()));
        members.push((blob_path(&sha256(&config)), config));
        for (i, l) in self.layers.iter().enumerate() {
            members.push((blob_path(&sha256(&l.blob)), self.stored_blob(i)));
        }
        members
    }

    pub fn write_oci_dir(&self, dir: &Path) {
        self.write_oci_dir_tagged(dir, "latest");
    }

    /// An OCI layout directory whose one image carries `tag`.
    pub fn write_oci_dir_tagged(&self, dir: &Path, tag: &str) {
        for (name, data) in self.oci_members(tag) {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        }
    }

    pub fn write_oci_archive(&self, path: &Path) {
        write_tar(path, &self.oci_members("latest"));
    }

    /// The classic `docker save` layout: `<id>/layer.tar` (uncompressed) and `<hex>.json`.
    pub fn write_docker_archive(&self, path: &Path) {
        let config = self.config();
        let config_name = format!("{}.json", sha256(&config).trim_start_matches("sha256:"));
        let mut members = vec![(config_name.clone(), config)];
        let mut layer_names = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let id = sha256(format!("layer{i}").as_bytes())
                .trim_start_matches("sha256:")
                .to_string();
            let name = format!("{id}/layer.tar");
            let data = match &self.tamper_blob {
                Some((j, d)) if *j == i => d.clone(),
                _ => l.tar.clone(),
            };
            members.push((name.clone(), data));
            layer_names.push(name);
        }
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": config_name,
            "RepoTags": ["example/test:latest"],
            "Layers": layer_names,
        }]))
        .unwrap();
        members.push(("manifest.json".to_string(), manifest));
        write_tar(path, &members);
    }
}

pub fn write_tar(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.finish().unwrap();
}
