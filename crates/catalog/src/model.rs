//! The inventory: plain data that every later stage (matching, advice, monitoring, reports)
//! reads, so a stored SBOM can be re-matched without the image.

use serde::{Deserialize, Serialize};

pub use drydock_ecosystem::PackageType;

/// The operating system of the image, from os-release and its older siblings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// os-release `ID`, lower case (`debian`, `alpine`, `rhel`, `rocky`, ...).
    pub id: String,
    /// os-release `VERSION_ID`, or the most precise version another release file gives.
    pub version_id: Option<String>,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// os-release `VERSION_CODENAME` (`bookworm`).
    pub version_codename: Option<String>,
    /// `ID_LIKE`, split.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// The file the identification came from.
    pub source: String,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Its name as its ecosystem writes it (`group:artifact` for Maven).
    pub name: String,
    /// The version as the ecosystem writes it; for rpm `[EPOCH:]VERSION-RELEASE`.
    pub version: String,
    /// Its type.
    pub ecosystem: PackageType,
    /// Its package URL.
    pub purl: String,
    /// The source package it was built from (Debian `Source:`, Alpine origin, rpm source rpm).
    pub source_name: Option<String>,
    /// The source package's version, when it differs.
    pub source_version: Option<String>,
    /// Its architecture.
    pub arch: Option<String>,
    /// rpm only: `None` when the header has no EPOCH tag, which is not the same as 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// rpm only: the module stream it came from (`nodejs:18:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    /// Index of the layer that installed it: the last layer that changed its database entry.
    pub layer: Option<usize>,
    /// Where the package was found (its database or manifest).
    pub locations: Vec<String>,
    /// Files the package owns, as absolute image paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Its licences, as the package declares them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// For a language package: the OS package that owns its files (`deb:python3-pip`). Such a
    /// package is matched by the OS advisories only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A development dependency, from a lock file that says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// The build step that brought the package in (filled in by attribution, after catalog);
    /// boxed, as most packages are listed before it is known and it would double their size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced_by: Option<Box<IntroducedBy>>,
    /// Names of the packages it needs: dpkg `Depends` and `Pre-Depends` (every alternative),
    /// apk `D:` (names only, `so:` and `cmd:` provides left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends: Vec<String>,
    /// The installed size in bytes, as the package database records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_size: Option<u64>,
    /// dpkg `Essential: yes` or `Priority: required`: the system needs it whatever runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
}

/// Which build step added a layer: the image history's entry for it, and the Dockerfile line
/// when one is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntroducedBy {
    /// The layer's index.
    pub layer: usize,
    /// The layer's uncompressed digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    /// The history entry's `created_by`, with the builder's wrapping taken off
    /// (`RUN apt-get install …`, `COPY app /app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether the layer came with the base image: `None` when nothing tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<bool>,
    /// The Dockerfile instruction, when a Dockerfile or provenance gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileLocation>,
    /// How the origin was established.
    pub confidence: Confidence,
}

/// The image this one was built `FROM`, and the evidence that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseImage {
    /// The repository (`docker.io/library/debian`, `127.0.0.1:5000/base`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The tag, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The base's manifest digest, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// What decided it.
    pub evidence: BaseEvidence,
    /// How sure that is.
    pub confidence: BaseConfidence,
    /// Layers `0..layers` of the image are the base's, when that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<usize>,
    /// Every tag the base-image index records at that digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Evidence that disagreed with what decided, for the user to look at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What decided the base image, in the order it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseEvidence {
    /// A BuildKit provenance attestation names the base (`pkg:docker/…@sha256:…`).
    Provenance,
    /// The manifest annotations or config labels `org.opencontainers.image.base.name`/`.digest`.
    Annotation,
    /// The image's layer ChainIDs begin with those of an image in the base-image index.
    Layers,
    /// The final stage's `FROM` in the Dockerfile given.
    Dockerfile,
    /// The image history: the last empty-layer `CMD`/`ENTRYPOINT` before the image's own steps.
    History,
}

impl BaseEvidence {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseEvidence::Provenance => "provenance",
            BaseEvidence::Annotation => "annotation",
            BaseEvidence::Layers => "layers",
            BaseEvidence::Dockerfile => "dockerfile",
            BaseEvidence::History => "history",
        }
    }
}

/// How sure the base image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseConfidence {
    /// Provenance, indexed layers, or a name pinned by digest (annotation or Dockerfile).
    High,
    /// A name without a digest, from annotations or the Dockerfile.
    Medium,
    /// The history alone: where the base ends, not what it is.
    Low,
}

impl BaseConfidence {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseConfidence::High => "high",
            BaseConfidence::Medium => "medium",
            BaseConfidence::Low => "low",
        }
    }
}

/// How the layer's origin was established, from most to least exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// BuildKit's provenance attestation names the Dockerfile range.
    Provenance,
    /// The Dockerfile's instructions were aligned with the image history.
    Aligned,
    /// Only the image history's `created_by` is known.
    History,
    /// Only the layer is known (no usable history).
    Layer,
}

/// An instruction in a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerfileLocation {
    /// The Dockerfile, as the user named it.
    pub path: String,
    /// 1-based, first line of the instruction.
    pub line: usize,
    /// Last line, for continuation lines and heredocs.
    pub end_line: usize,
    /// The instruction as written, continuation lines joined.
    pub instruction: String,
    /// For `COPY --from=STAGE`: the stage the files came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_stage: Option<String>,
}

/// An archive the image installs packages from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSource {
    /// `apt` or `apk`.
    pub kind: String,
    /// The archive's URL.
    pub uri: String,
    /// `bookworm-security`; for apk `v3.19/main`.
    pub suite: String,
    /// apt components (`main`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// The file that names it.
    pub file: String,
}

/// An ELF file no package database or detector accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unscanned {
    /// The file, as an absolute image path.
    pub path: String,
    /// The layer that last wrote it.
    pub layer: usize,
    /// Executable or shared library.
    pub kind: UnscannedKind,
}

/// What an unaccounted ELF file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnscannedKind {
    /// A program.
    Executable,
    /// A shared object (`.so`).
    SharedLibrary,
}

impl UnscannedKind {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            UnscannedKind::Executable => "executable",
            UnscannedKind::SharedLibrary => "shared-library",
        }
    }
}

impl Package {
    /// A package found outside the OS package manager: no source package, architecture or
    /// epoch; `location` is where it was found.
    pub fn found_at(
        name: String,
        version: String,
        ecosystem: PackageType,
        purl: String,
        layer: Option<usize>,
        location: String,
    ) -> Package {
        Package {
            name,
            version,
            ecosystem,
            purl,
            source_name: None,
            source_version: None,
            arch: None,
            epoch: None,
            modularity_label: None,
            layer,
            locations: vec![location],
            files: Vec::new(),
            licenses: Vec::new(),
            owner: None,
            dev: false,
            introduced_by: None,
            depends: Vec::new(),
            installed_size: None,
            essential: false,
        }
    }
}

/// Everything the catalog found in one image.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Inventory {
    /// The OS, when identified.
    pub distro: Option<Distro>,
    /// Every package, sorted by type, name, version and architecture.
    pub packages: Vec<Package>,
    /// ELF files no package accounts for.
    #[serde(default)]
    pub unscanned: Vec<Unscanned>,
    /// What could not be read, or read only in part.
    pub warnings: Vec<String>,
    /// The archives the image's package managers install from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_sources: Vec<PackageSource>,
}
