//! Reading a baseline from a file drydock wrote: its JSON scan report, its JSON SBOM, or its
//! SARIF report (which carries the inventory and findings in the run's property bag). An image
//! as a baseline is inventoried by the caller and handed over as a [`Baseline`] directly.

use drydock_catalog::{Distro, Inventory, Package};
use drydock_matcher::Finding;
use serde::Deserialize;

/// What a baseline holds: the inventory to match again today, and the findings recorded when
/// it was taken (when the document has them).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// The baseline image's OS.
    pub distro: Option<Distro>,
    /// Its packages.
    pub packages: Vec<Package>,
    /// The findings recorded when it was taken, when the document has them.
    pub recorded: Option<Vec<Finding>>,
    /// What the baseline was: `scan report`, `SBOM`, `SARIF report`, `image`.
    pub kind: &'static str,
}

impl Baseline {
    /// The inventory to match against today's database.
    pub fn inventory(&self) -> Inventory {
        Inventory {
            distro: self.distro.clone(),
            packages: self.packages.clone(),
            ..Default::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
/// A baseline that cannot be read.
pub struct Error {
    /// The file or reference.
    pub what: String,
    /// Why.
    pub detail: String,
}

#[derive(Deserialize)]
struct ImagePart {
    #[serde(default)]
    os: Option<Distro>,
}

/// The part of a drydock JSON document (scan report or SBOM) a baseline needs.
#[derive(Deserialize)]
struct DrydockDocument {
    schema_version: u32,
    tool: serde_json::Value,
    image: ImagePart,
    #[serde(default)]
    packages: Option<Vec<Package>>,
    #[serde(default)]
    findings: Option<Vec<Finding>>,
    #[serde(default)]
    suppressed: Option<serde_json::Value>,
}

/// The property bag drydock's SARIF writer puts on its run.
#[derive(Deserialize)]
struct SarifInventory {
    #[serde(default)]
    os: Option<Distro>,
    packages: Vec<Package>,
    findings: Vec<Finding>,
}

/// Reads a baseline document; `what` names it in errors.
pub fn load_document(bytes: &[u8], what: &str) -> Result<Baseline, Error> {
    let err = |detail: String| Error {
        what: what.to_string(),
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| err(format!("not a drydock JSON or SARIF report: {e}")))?;
    if value.get("runs").is_some() {
        let bag = value.pointer("/runs/0/properties/drydock").ok_or_else(|| {
            err("a SARIF report without drydock's inventory (write it with `drydock scan -f sarif`)".into())
        })?;
        let inv: SarifInventory = serde_json::from_value(bag.clone())
            .map_err(|e| err(format!("drydock's SARIF inventory: {e}")))?;
        return Ok(Baseline {
            distro: inv.os,
            packages: inv.packages,
            recorded: Some(inv.findings),
            kind: "SARIF report",
        });
    }
    let doc: DrydockDocument =
        serde_json::from_value(value).map_err(|e| err(format!("not a drydock JSON report or SBOM: {e}")))?;
    if doc.tool.get("name").and_then(|n| n.as_str()) != Some("drydock") || doc.schema_version != 1 {
        return Err(err("not a drydock JSON document of schema version 1".into()));
    }
    let _ = doc.suppressed;
    let is_report = doc.findings.is_some();
    let packages = doc.packages.ok_or_else(|| {
        err("this scan report holds no inventory; use a report written by this version, its SBOM, or the image".into())
    })?;
    Ok(Baseline {
        distro: doc.image.os,
        packages,
        recorded: doc.findings,
        kind: if is_report { "scan report" } else { "SBOM" },
    })
}
