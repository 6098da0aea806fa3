//! Which image this one was built `FROM`, asked of the evidence in order of how much it can
//! be trusted: a provenance attestation, the base annotations, the layers themselves against
//! the base-image index, the Dockerfile, and last the history.

use std::collections::BTreeMap;

use drydock_catalog::{BaseConfidence, BaseEvidence, BaseImage};
use drydock_dockerfile::Dockerfile;
use drydock_dockerfile::stages::{ImageRef, stages};
use drydock_source::HistoryEntry;
use serde_json::Value;

use crate::chain::chain_ids;
use crate::index::{BaseIndex, display_name};

/// The annotation (or label) that names the base image.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The annotation (or label) that gives the base image's digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// What detection reads of the image.
pub struct ImageEvidence<'a> {
    /// Every layer's diff_id, in order (`None` where the image does not say).
    pub diff_ids: &'a [Option<String>],
    /// The manifest's annotations.
    pub annotations: &'a BTreeMap<String, String>,
    /// The config's labels.
    pub labels: &'a BTreeMap<String, String>,
    /// The config's history.
    pub history: &'a [HistoryEntry],
    /// The provenance attestation's in-toto statement.
    pub provenance: Option<&'a [u8]>,
    /// The Dockerfile, when given.
    pub dockerfile: Option<&'a Dockerfile>,
    /// Layers the Dockerfile alignment or the provenance put in the base (attribution's count).
    pub aligned_base_layers: Option<usize>,
}

/// A base named by one piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// The base image and the evidence that decided, or `None` when nothing tells.
pub fn detect(image: &ImageEvidence, index: Option<&BaseIndex>) -> Option<BaseImage> {
    let chain: Option<Vec<String>> = image
        .diff_ids
        .iter()
        .cloned()
        .collect::<Option<Vec<String>>>()
        .map(|d| chain_ids(&d));
    let by_layers = index.zip(chain.as_ref()).and_then(|(i, c)| i.longest_prefix(c));
    let from_dockerfile = image.dockerfile.and_then(final_base);
    let mut notes = Vec::new();

    let provenance = image.provenance.and_then(|p| match materials(p) {
        Ok(m) => pick_material(m, from_dockerfile.as_ref(), &mut notes),
        Err(why) => {
            notes.push(format!("the provenance attestation names no base: {why}"));
            None
        }
    });
    let annotated = annotation(image.annotations).or_else(|| annotation(image.labels));

    let mut base = if let Some(named) = provenance {
        from_named(named, BaseEvidence::Provenance, BaseConfidence::High)
    } else if let Some(named) = annotated {
        let confidence = if named.digest.is_some() {
            BaseConfidence::High
        } else {
            BaseConfidence::Medium
        };
        from_named(named, BaseEvidence::Annotation, confidence)
    } else if let Some(m) = &by_layers {
        BaseImage {
            name: Some(display_name(&m.repository)),
            tag: m.tags.first().cloned(),
            digest: Some(m.snapshot.manifest_digest.clone()),
            evidence: BaseEvidence::Layers,
            confidence: BaseConfidence::High,
            layers: Some(m.layers()),
            tags: m.tags.clone(),
            notes: Vec::new(),
        }
    } else if let Some(named) = from_dockerfile.clone() {
        let confidence = if named.digest.is_some() {
            BaseConfidence::High
        } else {
            BaseConfidence::Medium
        };
        from_named(named, BaseEvidence::Dockerfile, confidence)
    } else {
        let layers = history_base_layers(image.history)?;
        BaseImage {
            name: None,
            tag: None,
            digest: None,
            evidence: BaseEvidence::History,
            confidence: BaseConfidence::Low,
            layers: Some(layers),
            tags: Vec::new(),
            notes: Vec::new(),
        }
    };

    // How many layers are the base's: the index knows exactly for a digest it holds.
    if base.layers.is_none() {
        let known = index.zip(base.name.as_deref()).and_then(|(i, name)| {
            let repo = i.repository_for(name)?;
            let digest = base.digest.as_deref()?;
            i.describe(repo, digest)
        });
        base.layers = known
            .filter(|k| {
                k.layers() > 0
                    && chain
                        .as_ref()
                        .is_some_and(|c| c.get(k.layers() - 1) == k.snapshot.chain_ids.last())
            })
            .map(|k| {
                if base.tags.is_empty() {
                    base.tags = k.tags.clone();
                }
                k.layers()
            })
            .or(image.aligned_base_layers)
            .or(by_layers.as_ref().map(|m| m.layers()))
            .or_else(|| history_base_layers(image.history));
    }
    if let Some(m) = &by_layers
        && base.evidence != BaseEvidence::Layers
        && base.digest.as_deref() != Some(m.snapshot.manifest_digest.as_str())
        && base.digest.as_deref() != Some(m.snapshot.digest.as_str())
    {
        notes.push(format!(
            "the layers match {}{} ({}), not the {} evidence",
            display_name(&m.repository),
            m.tags.first().map(|t| format!(":{t}")).unwrap_or_default(),
            short(&m.snapshot.manifest_digest),
            base.evidence.as_str()
        ));
    }
    if let Some(df) = &from_dockerfile
        && base.evidence != BaseEvidence::Dockerfile
        && let Some(name) = &base.name
        && !same_repository(name, &df.name)
    {
        notes.push(format!("the Dockerfile's final stage is FROM {}", df.shown()));
    }
    base.notes = notes;
    Some(base)
}

pub use drydock_source::digest::short;

/// A digest as an image, a label or an attestation gives it, kept only when it is one:
/// `sha256:` and 64 lower-case hex digits. Anything else names nothing that can be pulled.
fn valid_digest(d: &str) -> Option<String> {
    let hex = d.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| d.to_string())
}

fn same_repository(a: &str, b: &str) -> bool {
    crate::index::repository_key(a).is_some_and(|k| Some(k) == crate::index::repository_key(b))
}

impl Named {
    fn shown(&self) -> String {
        let mut s = self.name.clone();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    fn parse(reference: &str) -> Option<Named> {
        let r = ImageRef::parse(reference.trim());
        if r.name.is_empty() || r.name == "scratch" {
            return None;
        }
        let name = match &r.registry {
            Some(host) => format!("{host}/{}", r.name),
            None => r.name.clone(),
        };
        Some(Named {
            name,
            tag: r.tag,
            digest: r.digest.as_deref().and_then(valid_digest),
        })
    }
}

fn from_named(n: Named, evidence: BaseEvidence, confidence: BaseConfidence) -> BaseImage {
    BaseImage {
        name: Some(n.name),
        tag: n.tag,
        digest: n.digest,
        evidence,
        confidence,
        layers: None,
        tags: Vec::new(),
        notes: Vec::new(),
    }
}

fn annotation(map: &BTreeMap<String, String>) -> Option<Named> {
    let mut named = Named::parse(map.get(BASE_NAME)?)?;
    if let Some(d) = map.get(BASE_DIGEST).and_then(|d| valid_digest(d)) {
        named.digest = Some(d);
    }
    Some(named)
}

/// The final stage's base, following `FROM earlier-stage` back to an image.
fn final_base(file: &Dockerfile) -> Option<Named> {
    let stages = stages(file);
    let mut stage = stages.last()?;
    while let Some(p) = stage.parent {
        stage = stages.get(p).filter(|s| s.index < stage.index)?;
    }
    Named::parse(&stage.base)
}

/// The images a provenance statement says the build pulled (SLSA v0.2 `materials`, v1
/// `resolvedDependencies`), the Dockerfile frontend left out.
fn materials(statement: &[u8]) -> Result<Vec<Named>, String> {
    let v: Value = serde_json::from_slice(statement).map_err(|e| format!("not JSON: {e}"))?;
    let p = &v["predicate"];
    let list = p["materials"]
        .as_array()
        .or_else(|| p["buildDefinition"]["resolvedDependencies"].as_array())
        .ok_or("no materials")?;
    let mut out = Vec::new();
    for m in list {
        let Some(uri) = m["uri"].as_str().and_then(|u| u.strip_prefix("pkg:docker/")) else {
            continue;
        };
        let uri = uri.split(['?', '#']).next().unwrap_or(uri);
        let (name, version) = uri.rsplit_once('@').unwrap_or((uri, ""));
        let name = percent_decode(name);
        if name.ends_with("docker/dockerfile") || name.ends_with("docker/dockerfile-upstream") {
            continue;
        }
        let digest = m["digest"]["sha256"]
            .as_str()
            .and_then(|d| valid_digest(&format!("sha256:{d}")))
            .or_else(|| valid_digest(version));
        let tag = (!version.is_empty() && !version.starts_with("sha256")).then(|| percent_decode(version));
        out.push(Named { name, tag, digest });
    }
    Ok(out)
}

/// One material is the base; among several, the one the Dockerfile's final stage names.
fn pick_material(mut m: Vec<Named>, dockerfile: Option<&Named>, notes: &mut Vec<String>) -> Option<Named> {
    match m.len() {
        0 => None,
        1 => m.pop(),
        n => {
            if let Some(df) = dockerfile
                && let Some(i) = m.iter().position(|x| same_repository(&x.name, &df.name))
            {
                return Some(m.swap_remove(i));
            }
            notes.push(format!(
                "the provenance attestation names {n} images ({}); give --dockerfile to tell which is the base",
                m.iter().map(Named::shown).collect::<Vec<_>>().join(", ")
            ));
            None
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The history heuristic: a base image ends with its `CMD` or `ENTRYPOINT`, an empty-layer
/// step; the last such step that the image's own layer-creating steps follow ends the base.
pub fn history_base_layers(history: &[HistoryEntry]) -> Option<usize> {
    let mut layers_so_far = 0;
    let mut best = None;
    let mut pending: Option<usize> = None;
    for h in history {
        if h.empty_layer {
            let normalized = h
                .created_by
                .as_deref()
                .map(drydock_attribution::normalize)
                .unwrap_or_default();
            if matches!(
                drydock_attribution::keyword(&normalized),
                Some("CMD" | "ENTRYPOINT")
            ) {
                pending = Some(layers_so_far);
            }
        } else {
            if let Some(p) = pending.take()
                && p > 0
            {
                best = Some(p);
            }
            layers_so_far += 1;
        }
    }
    best
}
