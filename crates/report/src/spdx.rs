//! SPDX 2.3 JSON.

use serde::Serialize;

use crate::{SbomDocument, TOOL_NAME, TOOL_VERSION, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    document_describes: [&'static str; 1],
    packages: Packages<'a>,
    relationships: Relationships<'a>,
}

const IMAGE_ID: &str = "SPDXRef-Image";

/// The document's packages, each built as it is written: a second copy of every package, held
/// while the document is written, would double what a large SBOM costs.
struct Packages<'a>(&'a SbomDocument);

/// The relationships, built as they are written, for the same reason.
struct Relationships<'a>(&'a SbomDocument);

impl Serialize for Packages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        let image = SpdxPackage {
            spdx_id: IMAGE_ID.to_string(),
            name: doc.image.name.clone(),
            version_info: doc
                .image
                .manifest_digest
                .clone()
                .or_else(|| doc.image.config_digest.clone()),
            download_location: "NOASSERTION",
            files_analyzed: false,
            license_concluded: "NOASSERTION",
            license_declared: "NOASSERTION",
            copyright_text: "NOASSERTION",
            source_info: None,
            primary_package_purpose: Some("CONTAINER"),
            external_refs: Vec::new(),
        };
        let os = doc.image.os.as_ref().map(|os| SpdxPackage {
            spdx_id: os_id(&os.id),
            name: os.id.clone(),
            version_info: os.version_id.clone(),
            download_location: "NOASSERTION",
            files_analyzed: false,
            license_concluded: "NOASSERTION",
            license_declared: "NOASSERTION",
            copyright_text: "NOASSERTION",
            source_info: Some(format!("identified from /{}", os.source)),
            primary_package_purpose: Some("OPERATING-SYSTEM"),
            external_refs: Vec::new(),
        });
        let packages = doc.packages.iter().enumerate().map(|(i, p)| {
            let mut info = format!("found in {}", p.locations.join(", "));
            if let Some(l) = p.layer {
                info.push_str(&format!("; installed by layer {l}"));
            }
            SpdxPackage {
                spdx_id: package_id(p, i),
                name: p.name.clone(),
                version_info: Some(p.version.clone()),
                download_location: "NOASSERTION",
                files_analyzed: false,
                license_concluded: "NOASSERTION",
                license_declared: "NOASSERTION",
                copyright_text: "NOASSERTION",
                source_info: Some(info),
                primary_package_purpose: Some("LIBRARY"),
                external_refs: vec![ExternalRef {
                    reference_category: "PACKAGE-MANAGER",
                    reference_type: "purl",
                    reference_locator: p.purl.clone(),
                }],
            }
        });
        serializer.collect_seq(std::iter::once(image).chain(os).chain(packages))
    }
}

impl Serialize for Relationships<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        let contains = |related: String| Relationship {
            spdx_element_id: IMAGE_ID.to_string(),
            relationship_type: "CONTAINS",
            related_spdx_element: related,
        };
        let describes = Relationship {
            spdx_element_id: "SPDXRef-DOCUMENT".into(),
            relationship_type: "DESCRIBES",
            related_spdx_element: IMAGE_ID.to_string(),
        };
        let os = doc.image.os.as_ref().map(|os| contains(os_id(&os.id)));
        let packages = doc
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| contains(package_id(p, i)));
        serializer.collect_seq(std::iter::once(describes).chain(os).chain(packages))
    }
}

fn os_id(os: &str) -> String {
    spdx_id("OperatingSystem", os, 0)
}

fn package_id(p: &drydock_catalog::Package, i: usize) -> String {
    spdx_id("Package", &format!("{}-{}", p.ecosystem.as_str(), p.name), i + 1)
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: &'static str,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// SPDX ids allow letters, digits, `.` and `-` only.
fn spdx_id(prefix: &str, name: &str, n: usize) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{prefix}-{clean}-{n}")
}

/// The SBOM as SPDX 2.3 JSON.
pub fn render(doc: &SbomDocument) -> String {
    let mut out = Vec::new();
    // Writing plain structs of strings and numbers into memory cannot fail.
    let _ = write_to(doc, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`render`] straight into `out`, so a large SBOM is never held twice.
pub fn write_to(doc: &SbomDocument, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let document = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: doc.image.name.clone(),
        document_namespace: format!("https://drydock.dev/spdx/{}", uuid::Uuid::new_v4()),
        creation_info: CreationInfo {
            created: timestamp(),
            creators: vec![format!("Tool: {TOOL_NAME}-{TOOL_VERSION}")],
        },
        document_describes: [IMAGE_ID],
        packages: Packages(doc),
        relationships: Relationships(doc),
    };
    crate::write_json(&document, out)
}
