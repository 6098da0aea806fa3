//! What the file probe records for one file, as the layer pass stores it and the detectors
//! read it back: the ELF facts of an executable, the artifacts of a Java archive, the name and
//! version of a zipped Python egg. The layer pass (the `source` crate, below this one) keeps
//! each summary as bytes, so the layer cache can hold it; this module owns the one typed form
//! and its one encoding, and the detectors decode nothing themselves.

use serde::{Deserialize, Serialize};

/// What the probe keeps for one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FileFacts {
    /// An ELF file.
    Elf(ElfFacts),
    /// The artifacts of a Java archive, or why it could not be read.
    Java(Result<JavaArchive, String>),
    /// A zipped Python egg: name and version from its `EGG-INFO/PKG-INFO`, if it has one.
    Egg(Result<Option<(String, String)>, String>),
}

/// Decodes a summary the layer pass stored.
pub fn file_facts(summary: &[u8]) -> Option<FileFacts> {
    serde_json::from_slice(summary).ok()
}

/// A summary as the layer pass stores it.
pub fn encode(facts: &FileFacts) -> Vec<u8> {
    serde_json::to_vec(facts).unwrap_or_default()
}

/// What the probe keeps of an ELF file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ElfFacts {
    /// ELF e_type: 2 = executable, 3 = shared object (also PIE executables).
    pub elf_type: u16,
    /// A Go binary's build information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<GoBuildInfo>,
    /// Runtimes and tools recognised by a version string: (name, version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classified: Vec<(String, String)>,
    /// Crates from a cargo-auditable `.dep-v0` section: (name, version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<Vec<(String, String)>>,
}

/// A Go binary's `runtime/debug.BuildInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoBuildInfo {
    /// `go1.20.12`; `None` for the pre-1.18 pointer layout drydock does not read.
    pub go_version: Option<String>,
    /// The module lines (`path`, `mod`, `dep`, `=>`), as the binary stores them.
    pub modinfo: String,
}

/// A Java archive's artifacts, and why some were not read (a budget ran out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JavaArchive {
    /// Its artifacts, nested ones included.
    pub artifacts: Vec<Artifact>,
    /// Why reading stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

/// One artifact, with Maven coordinates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// `groupId`.
    pub group: String,
    /// `artifactId`.
    pub artifact: String,
    /// `version`.
    pub version: String,
    /// `!/lib/inner.jar` for nested archives; empty for the file itself.
    pub inner: String,
}

/// Every probed file of the final image with its parsed summary, in path order.
pub fn file_probes(fs: &drydock_source::Filesystem) -> Vec<(&str, usize, FileFacts)> {
    let mut out: Vec<(&str, usize, FileFacts)> = fs
        .probes()
        .filter_map(|(path, layer, summary)| Some((path, layer, file_facts(summary)?)))
        .collect();
    out.sort_by_key(|(p, _, _)| *p);
    out
}

/// The ELF facts of a probe summary, if the file was an ELF file.
pub fn elf_facts(summary: &[u8]) -> Option<ElfFacts> {
    match file_facts(summary)? {
        FileFacts::Elf(f) => Some(f),
        FileFacts::Java(_) | FileFacts::Egg(_) => None,
    }
}
