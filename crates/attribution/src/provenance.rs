//! BuildKit's SLSA provenance (`--provenance=mode=max`): the exact step behind each layer.
//!
//! The statement's BuildKit metadata (`predicate.metadata` in SLSA v0.2,
//! `predicate.runDetails.metadata` in v1, under `https://mobyproject.org/buildkit@v1#metadata`)
//! maps each build step to the layers it produced (`layers`: `"step4:0"` → chains of layer
//! descriptors, the step's own layer last) and to its Dockerfile range (`source.locations`:
//! `"step4"` → ranges in `source.infos[sourceIndex]`, whose `data` is the Dockerfile itself).

use std::collections::HashMap;

use base64::Engine as _;
use drydock_catalog::DockerfileLocation;
use serde_json::Value;

const BUILDKIT_METADATA: &str = "https://mobyproject.org/buildkit@v1#metadata";

/// Layer blob digest → where in the Dockerfile it was made.
#[derive(Debug, Default)]
pub struct Provenance {
    /// By layer blob digest.
    pub layers: HashMap<String, DockerfileLocation>,
}

/// Why a provenance statement cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    /// The statement is not JSON.
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// A minimal provenance: it says how the image was built, not which step made each layer.
    #[error("no BuildKit metadata (the build used provenance mode=min)")]
    NoBuildKitMetadata,
    /// BuildKit metadata without the step of each layer.
    #[error("no layer map in the BuildKit metadata")]
    NoLayerMap,
    /// A layer map whose steps have no place in any Dockerfile.
    #[error("its layer map names no layer with a source location")]
    NoLocatedLayer,
}

/// Reads a provenance statement; `Err` says why it cannot be used.
pub fn parse(statement: &[u8]) -> Result<Provenance, Unusable> {
    let v: Value = serde_json::from_slice(statement)?;
    let predicate = &v["predicate"];
    let metadata = [&predicate["metadata"], &predicate["runDetails"]["metadata"]]
        .into_iter()
        .map(|m| &m[BUILDKIT_METADATA])
        .find(|m| m.is_object())
        .ok_or(Unusable::NoBuildKitMetadata)?;
    let infos: Vec<(String, Vec<String>)> = metadata["source"]["infos"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    let name = i["filename"].as_str().unwrap_or("Dockerfile").to_string();
                    let text = i["data"]
                        .as_str()
                        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                        .map(|b| String::from_utf8_lossy(&b).lines().map(str::to_string).collect())
                        .unwrap_or_default();
                    (name, text)
                })
                .collect()
        })
        .unwrap_or_default();
    let locations = &metadata["source"]["locations"];
    let mut out = Provenance::default();
    let Some(layers) = metadata["layers"].as_object() else {
        return Err(Unusable::NoLayerMap);
    };
    for (key, chains) in layers {
        let step = key.split(':').next().unwrap_or(key);
        let Some(range) = locations[step]["locations"]
            .as_array()
            .and_then(|l| l.first())
            .filter(|l| l["ranges"].as_array().is_some_and(|r| !r.is_empty()))
        else {
            continue;
        };
        let source_index = range["sourceIndex"].as_u64().unwrap_or(0) as usize;
        let ranges = range["ranges"].as_array().into_iter().flatten();
        let (mut start, mut end) = (usize::MAX, 0);
        for r in ranges {
            let s = r["start"]["line"].as_u64().unwrap_or(0) as usize;
            let e = r["end"]["line"].as_u64().unwrap_or(s as u64) as usize;
            start = start.min(s);
            end = end.max(e);
        }
        if start == usize::MAX || start == 0 {
            continue;
        }
        let (path, text) = infos
            .get(source_index)
            .cloned()
            .unwrap_or_else(|| ("Dockerfile".to_string(), Vec::new()));
        let instruction = text
            .get(start - 1..end.min(text.len()))
            .map(|lines| {
                crate::collapse(
                    &lines
                        .iter()
                        .map(|l| l.trim_end().trim_end_matches('\\'))
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            })
            .unwrap_or_default();
        for chain in chains.as_array().into_iter().flatten() {
            let Some(last) = chain.as_array().and_then(|c| c.last()) else {
                continue;
            };
            let Some(digest) = last["digest"].as_str() else {
                continue;
            };
            out.layers
                .entry(digest.to_string())
                .or_insert_with(|| DockerfileLocation {
                    path: path.clone(),
                    line: start,
                    end_line: end.max(start),
                    instruction: instruction.clone(),
                    from_stage: None,
                });
        }
    }
    if out.layers.is_empty() {
        return Err(Unusable::NoLocatedLayer);
    }
    Ok(out)
}
