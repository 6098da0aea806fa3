//! npm packages installed in `node_modules` (nested and scoped): each `package.json` with a
//! name and version.

use serde::Deserialize;

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Ecosystem, Package};
use drydock_source::Pattern;

pub struct Npm;

const PATTERNS: &[&str] = &[
    "**/node_modules/*/package.json",
    "**/node_modules/@*/*/package.json",
];

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
}

impl Detector for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn patterns(&self) -> &'static [&'static str] {
        PATTERNS
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for pattern in PATTERNS {
            for path in cx.fs.glob(&Pattern::new(pattern)) {
                let Some(data) = cx.fs.read(&path) else { continue };
                let manifest: Manifest = match serde_json::from_slice(data) {
                    Ok(m) => m,
                    Err(e) => {
                        found
                            .warnings
                            .push(format!("/{path}: unreadable package.json: {e}"));
                        continue;
                    }
                };
                let (Some(name), Some(version)) = (manifest.name, manifest.version) else {
                    continue;
                };
                let (namespace, bare) = match name.split_once('/') {
                    Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
                    _ => (None, name.as_str()),
                };
                let license = manifest.license.and_then(|l| match l {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Object(o) => {
                        o.get("type").and_then(|t| t.as_str()).map(str::to_string)
                    }
                    _ => None,
                });
                found.packages.push(Package {
                    purl: purl("npm", namespace, bare, &version, &[]),
                    name,
                    version,
                    ecosystem: Ecosystem::Npm,
                    source_name: None,
                    source_version: None,
                    arch: None,
                    epoch: None,
                    modularity_label: None,
                    layer: cx.fs.node(&path).map(|n| n.layer),
                    locations: vec![format!("/{path}")],
                    files: Vec::new(),
                    licenses: license.into_iter().collect(),
                    owner: None,
                });
            }
        }
        Ok(found)
    }
}
