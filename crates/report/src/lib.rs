//! drydock's output formats, rendered from plain data: the inventory from `drydock-catalog`
//! and an [`ImageSummary`] the caller fills in. Nothing here knows how the data was found.
//!
//! Formats: a terminal table, drydock's own versioned JSON (see `docs/json-format.md`),
//! CycloneDX 1.6 JSON and SPDX 2.3 JSON. The CycloneDX and SPDX documents are hand-written serde
//! structs: the official CycloneDX crate stops at 1.5, and SPDX crates are unmaintained.
//!
//! ```
//! use drydock_report::{ImageSummary, SbomDocument};
//! let doc = SbomDocument::new(ImageSummary::default(), Default::default());
//! let json = drydock_report::json::render(&doc);
//! assert!(json.contains("\"schema_version\": 1"));
//! ```

pub mod audit;
pub mod compare;
pub mod cyclonedx;
pub mod html;
/// drydock's SBOM JSON.
pub mod json;
pub mod sarif;
pub mod scan;
pub mod spdx;
/// The SBOM as a table.
pub mod table;

use drydock_catalog::model::Unscanned;
use drydock_catalog::{Distro, Inventory, Package, PackageSource};
use serde::{Deserialize, Serialize};

/// A file path as a SARIF `artifactLocation.uri`: relative paths become relative references
/// (`./` dropped), absolute ones `file://` URIs — SARIF forbids a relative reference that
/// begins with `/`. Characters URIs reserve are percent-encoded.
pub fn sarif_uri(path: &str) -> String {
    let encode = |p: &str| -> String {
        p.bytes()
            .map(|b| match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
                | b'/'
                | b'+'
                | b'@'
                | b'='
                | b',' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    match path.strip_prefix('/') {
        Some(_) => format!("file://{}", encode(path)),
        None => encode(path.trim_start_matches("./")),
    }
}

/// Text from images and advisory data made safe for a terminal: control characters (ESC
/// sequences that clear the screen or hide text, carriage returns that overwrite a line) and the
/// Unicode bidirectional overrides become visible `\u{…}` escapes. Newlines and tabs stay.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && c != '\n' && c != '\t') || bidi {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a finding came from, for a table cell: the Dockerfile line (with the instruction cut to
/// `width` characters, or none with `width` 0), else the history step, else the layer.
pub fn origin_cell(
    introduced_by: Option<&drydock_catalog::IntroducedBy>,
    layer: Option<usize>,
    width: usize,
) -> String {
    use drydock_attribution::{collapse, shorten};
    let Some(i) = introduced_by else {
        return layer.map(|l| format!("layer {l}")).unwrap_or_default();
    };
    match (&i.dockerfile, &i.created_by) {
        (Some(d), _) => {
            let file = d.path.rsplit('/').next().unwrap_or(&d.path);
            if width == 0 {
                format!("{file}:{}", d.line)
            } else {
                format!("{file}:{} {}", d.line, shorten(&d.instruction, width))
            }
        }
        (None, Some(c)) => format!("layer {}: {}", i.layer, shorten(&collapse(c), width.max(30))),
        (None, None) => format!("layer {}", i.layer),
    }
}

/// Version of drydock's JSON format; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// The name every report gives its tool.
pub const TOOL_NAME: &str = "drydock";
/// The version every report gives.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One layer, as reports describe it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Its position, from 0.
    pub index: usize,
    /// The blob digest.
    pub digest: Option<String>,
    /// The uncompressed digest.
    pub diff_id: Option<String>,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The compressed size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The history step that made it.
    pub created_by: Option<String>,
    /// Whether the layer came with the base image, when that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<bool>,
    /// The Dockerfile instruction that made it, when `--dockerfile` was aligned with the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<drydock_catalog::DockerfileLocation>,
}

/// The image a report is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageSummary {
    /// Transport-qualified source, e.g. `oci:images/web:latest`.
    pub name: String,
    /// How it was read (`oci`, `docker-archive`, `docker`, …).
    pub transport: String,
    /// The manifest's digest.
    pub manifest_digest: Option<String>,
    /// The config's digest.
    pub config_digest: Option<String>,
    /// `linux/amd64`.
    pub platform: Option<String>,
    /// Tags a docker archive records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// The OS, when identified.
    pub os: Option<Distro>,
    /// The image it was built `FROM`, with the evidence (`drydock base detect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<drydock_catalog::BaseImage>,
    /// Its layers.
    pub layers: Vec<LayerSummary>,
}

/// drydock's SBOM: what `drydock sbom --format json` prints and what later stages read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SbomDocument {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// drydock and its version.
    pub tool: Tool,
    /// The image.
    pub image: ImageSummary,
    /// Every package.
    pub packages: Vec<Package>,
    /// ELF executables and shared libraries no package accounts for.
    #[serde(default)]
    pub unscanned: Vec<Unscanned>,
    /// The archives the image's package managers install from (apt sources, apk repositories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_sources: Vec<PackageSource>,
    /// What could not be read, or read in part.
    pub warnings: Vec<String>,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// `drydock`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl SbomDocument {
    /// The document for an image and its inventory.
    pub fn new(mut image: ImageSummary, inventory: Inventory) -> Self {
        image.os = inventory.distro;
        SbomDocument {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME.into(),
                version: TOOL_VERSION.into(),
            },
            image,
            packages: inventory.packages,
            unscanned: inventory.unscanned,
            package_sources: inventory.package_sources,
            warnings: inventory.warnings,
        }
    }

    /// The inventory again, for matching.
    pub fn inventory(&self) -> Inventory {
        Inventory {
            distro: self.image.os.clone(),
            packages: self.packages.clone(),
            unscanned: self.unscanned.clone(),
            warnings: self.warnings.clone(),
            package_sources: self.package_sources.clone(),
        }
    }
}

/// Pretty JSON and a final newline, written as it is serialised.
pub(crate) fn write_json(value: &impl serde::Serialize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(64 << 10, out);
    serde_json::to_writer_pretty(&mut buffered, value).map_err(std::io::Error::from)?;
    std::io::Write::write_all(&mut buffered, b"\n")?;
    std::io::Write::flush(&mut buffered)
}

/// Document time: `SOURCE_DATE_EPOCH` when set (reproducible output), else now.
pub fn timestamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod sarif_uri_tests {
    use super::sarif_uri;

    #[test]
    fn paths_become_references_sarif_accepts() {
        assert_eq!(sarif_uri("./Dockerfile"), "Dockerfile");
        assert_eq!(sarif_uri("build/Dockerfile"), "build/Dockerfile");
        assert_eq!(sarif_uri("/src/app/Dockerfile"), "file:///src/app/Dockerfile");
        assert_eq!(sarif_uri("/a b/Docker#file"), "file:///a%20b/Docker%23file");
        assert_eq!(sarif_uri("my dir/Dockerfile"), "my%20dir/Dockerfile");
    }
}
