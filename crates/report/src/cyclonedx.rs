//! CycloneDX 1.6 JSON.

use serde::Serialize;

use drydock_catalog::Package;

use crate::{ImageSummary, SbomDocument, TOOL_NAME, TOOL_VERSION, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    /// Filled in by `scan`: the findings, each pointing at the component it affects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
pub(crate) struct Vulnerability {
    #[serde(rename = "bom-ref")]
    pub(crate) bom_ref: String,
    pub(crate) id: String,
    pub(crate) source: VulnerabilitySource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) references: Vec<VulnerabilityReference>,
    pub(crate) ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recommendation: Option<String>,
    pub(crate) affects: Vec<Affects>,
    pub(crate) properties: Vec<Property>,
}

#[derive(Serialize)]
pub(crate) struct VulnerabilitySource {
    pub(crate) name: &'static str,
    pub(crate) url: String,
}

#[derive(Serialize)]
pub(crate) struct VulnerabilityReference {
    pub(crate) id: String,
    pub(crate) source: VulnerabilitySource,
}

#[derive(Serialize)]
pub(crate) struct Rating {
    pub(crate) severity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) score: Option<f64>,
    pub(crate) method: &'static str,
}

#[derive(Serialize)]
pub(crate) struct Affects {
    #[serde(rename = "ref")]
    pub(crate) reference: String,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct LicenseChoice {
    license: License,
}

#[derive(Serialize)]
struct License {
    name: String,
}

#[derive(Serialize)]
pub(crate) struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

pub(crate) fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: format!("drydock:{name}"),
        value: value.into(),
    }
}

/// The SBOM as CycloneDX 1.6 JSON.
pub fn render(doc: &SbomDocument) -> String {
    write(&bom(&doc.image, &doc.packages))
}

/// [`render`] straight into `out`, so a large SBOM is never held twice.
pub fn write_to(doc: &SbomDocument, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    crate::write_json(&bom(&doc.image, &doc.packages), out)
}

pub(crate) fn write(bom: &Bom) -> String {
    let mut out = Vec::new();
    let _ = crate::write_json(bom, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The image and its packages as components, without vulnerabilities.
pub(crate) fn bom(image: &ImageSummary, packages: &[Package]) -> Bom {
    let image_ref = "image".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut components = Vec::new();
    let mut refs = Vec::new();
    if let Some(os) = &image.os {
        let r = format!("os:{}", os.id);
        seen.insert(r.clone());
        refs.push(r.clone());
        components.push(Component {
            kind: "operating-system",
            bom_ref: Some(r),
            name: os.id.clone(),
            version: os.version_id.clone(),
            ..Default::default()
        });
    }
    for p in packages {
        let mut r = p.purl.clone();
        let mut n = 1;
        while !seen.insert(r.clone()) {
            n += 1;
            r = format!("{}#{n}", p.purl);
        }
        refs.push(r.clone());
        let mut properties = vec![prop("package:ecosystem", p.ecosystem.as_str())];
        if let Some(l) = p.layer {
            properties.push(prop("layer:index", l.to_string()));
            if let Some(layer) = image.layers.get(l) {
                if let Some(d) = &layer.digest {
                    properties.push(prop("layer:digest", d.clone()));
                }
                if let Some(d) = &layer.diff_id {
                    properties.push(prop("layer:diff_id", d.clone()));
                }
            }
        }
        if let (Some(n), Some(v)) = (&p.source_name, &p.source_version) {
            properties.push(prop("package:source_name", n.clone()));
            properties.push(prop("package:source_version", v.clone()));
        }
        for loc in &p.locations {
            properties.push(prop("location", loc.clone()));
        }
        components.push(Component {
            kind: "library",
            bom_ref: Some(r),
            name: p.name.clone(),
            version: Some(p.version.clone()),
            purl: Some(p.purl.clone()),
            licenses: p
                .licenses
                .iter()
                .map(|l| LicenseChoice {
                    license: License { name: l.clone() },
                })
                .collect(),
            properties,
        });
    }
    Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        version: 1,
        metadata: Metadata {
            timestamp: timestamp(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: TOOL_NAME.into(),
                    version: Some(TOOL_VERSION.into()),
                    ..Default::default()
                }],
            },
            component: Component {
                kind: "container",
                bom_ref: Some(image_ref.clone()),
                name: image.name.clone(),
                version: image
                    .manifest_digest
                    .clone()
                    .or_else(|| image.config_digest.clone()),
                ..Default::default()
            },
        },
        components,
        dependencies: vec![Dependency {
            reference: image_ref,
            depends_on: refs,
        }],
        vulnerabilities: Vec::new(),
    }
}
