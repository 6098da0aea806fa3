//! Alpine secdb (`secfixes` per branch, YAML or JSON) into [`Advisory`]s: each fixed CVE
//! becomes one advisory per branch, affecting the origin package below the version that fixed it.
//! A fix listed under version `0` means the package was never affected and is skipped.

use crate::Malformation;
use std::collections::BTreeMap;

use drydock_version::osv::{Affected, Event, Range};
use serde::Deserialize;

use crate::model::{Advisory, AffectedPackage};

#[derive(Deserialize)]
struct SecDb {
    distroversion: String,
    #[serde(default)]
    reponame: Option<String>,
    /// `packages:` with nothing under it is valid (a branch with no fixes yet): YAML null.
    #[serde(default)]
    packages: Option<Vec<Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: Option<BTreeMap<String, Option<Vec<Option<String>>>>>,
}

/// Reads one secdb file: its source name (`secdb:v3.19/main`) and its advisories.
pub fn parse(bytes: &[u8], is_json: bool) -> Result<(String, Vec<Advisory>), Malformation> {
    let db: SecDb = if is_json {
        serde_json::from_slice(bytes)?
    } else {
        serde_saphyr::from_str(std::str::from_utf8(bytes)?).map_err(Malformation::yaml)?
    };
    let branch = db.distroversion.trim().to_string();
    let ecosystem = crate::model::OsvEcosystem::with_release(crate::model::Family::Alpine, branch.clone());
    let source = format!("secdb:{branch}/{}", db.reponame.as_deref().unwrap_or("main"));
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for entry in db.packages.unwrap_or_default() {
        for (fixed, ids) in entry.pkg.secfixes.unwrap_or_default() {
            let fixed = fixed.trim().to_string();
            if fixed == "0" || fixed.is_empty() {
                continue;
            }
            for id in ids
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .flat_map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            {
                let advisory_id = format!("ALPINE-{id}");
                let adv = by_id.entry(advisory_id.clone()).or_insert_with(|| Advisory {
                    id: advisory_id,
                    aliases: if id.starts_with("CVE-") {
                        vec![id.clone()]
                    } else {
                        Vec::new()
                    },
                    summary: None,
                    modified: None,
                    published: None,
                    severity: None,
                    affected: Vec::new(),
                    source: source.clone(),
                });
                adv.affected.push(AffectedPackage {
                    ecosystem: ecosystem.clone(),
                    name: entry.pkg.name.clone(),
                    affected: Affected {
                        versions: Vec::new(),
                        ranges: vec![Range {
                            kind: "ECOSYSTEM".into(),
                            events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.clone())],
                        }],
                    },
                    disposition: None,
                    severity: None,
                    module: None,
                    source: None,
                });
            }
        }
    }
    Ok((source, by_id.into_values().collect()))
}
