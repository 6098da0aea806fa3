//! CycloneDX 1.6 JSON.

use std::borrow::Cow;

use serde::Serialize;

use drydock_catalog::Package;

use crate::{ImageSummary, SbomDocument, TOOL_NAME, TOOL_VERSION, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Components<'a>,
    dependencies: [Dependency<'a>; 1],
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
struct Dependency<'a> {
    #[serde(rename = "ref")]
    reference: &'static str,
    depends_on: &'a [Cow<'a, str>],
}

/// The components, each built as it is written: a second copy of every package, held while
/// the document is written, would double what a large SBOM costs.
struct Components<'a> {
    image: &'a ImageSummary,
    packages: &'a [Package],
    /// The bom-ref of the OS (when known), then of each package.
    refs: &'a [Cow<'a, str>],
}

impl Serialize for Components<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let os = self.image.os.as_ref().map(|os| Component {
            kind: "operating-system",
            bom_ref: Some(format!("os:{}", os.id)),
            name: os.id.clone(),
            version: os.version_id.clone(),
            ..Default::default()
        });
        let package_refs = &self.refs[usize::from(os.is_some())..];
        serializer.collect_seq(
            os.into_iter().chain(
                self.packages
                    .iter()
                    .zip(package_refs)
                    .map(|(p, r)| component(self.image, p, r)),
            ),
        )
    }
}

pub(crate) fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: format!("drydock:{name}"),
        value: value.into(),
    }
}

/// The SBOM as CycloneDX 1.6 JSON.
pub fn render(doc: &SbomDocument) -> String {
    let refs = refs(&doc.image, &doc.packages);
    write(&bom(&doc.image, &doc.packages, &refs))
}

/// [`render`] straight into `out`, so a large SBOM is never held twice.
pub fn write_to(doc: &SbomDocument, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let refs = refs(&doc.image, &doc.packages);
    crate::write_json(&bom(&doc.image, &doc.packages, &refs), out)
}

pub(crate) fn write(bom: &Bom) -> String {
    let mut out = Vec::new();
    let _ = crate::write_json(bom, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Each component's bom-ref: the OS's, then each package's purl, numbered where two packages
/// share one.
pub(crate) fn refs<'a>(image: &ImageSummary, packages: &'a [Package]) -> Vec<Cow<'a, str>> {
    let mut seen = std::collections::HashSet::new();
    let mut refs = Vec::with_capacity(packages.len() + 1);
    if let Some(os) = &image.os {
        let r = format!("os:{}", os.id);
        seen.insert(r.clone());
        refs.push(Cow::Owned(r));
    }
    for p in packages {
        let mut r = Cow::Borrowed(p.purl.as_str());
        let mut n = 1;
        while !seen.insert(r.to_string()) {
            n += 1;
            r = Cow::Owned(format!("{}#{n}", p.purl));
        }
        refs.push(r);
    }
    refs
}

fn component(image: &ImageSummary, p: &Package, r: &str) -> Component {
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
    Component {
        kind: "library",
        bom_ref: Some(r.to_string()),
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
    }
}

/// The image and its packages as components, without vulnerabilities; `refs` from [`refs`].
pub(crate) fn bom<'a>(image: &'a ImageSummary, packages: &'a [Package], refs: &'a [Cow<'a, str>]) -> Bom<'a> {
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
                bom_ref: Some(IMAGE_REF.into()),
                name: image.name.clone(),
                version: image
                    .manifest_digest
                    .clone()
                    .or_else(|| image.config_digest.clone()),
                ..Default::default()
            },
        },
        components: Components {
            image,
            packages,
            refs,
        },
        dependencies: [Dependency {
            reference: IMAGE_REF,
            depends_on: refs,
        }],
        vulnerabilities: Vec::new(),
    }
}

const IMAGE_REF: &str = "image";
