//! OSV records (JSON, or YAML as advisory repositories such as PyPA's keep them) into
//! [`Advisory`]s. Only the fields drydock uses are read; unknown ecosystems and fields are
//! kept or ignored, never fatal for the whole import.

use crate::Malformation;
use serde::Deserialize;
use serde_json::Value;

use crate::model::{Advisory, AffectedPackage, Disposition, OsvEcosystem, Severity, SeverityInfo};

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    /// Newer OSV: the upstream vulnerability a distribution record tracks (DEBIAN-CVE-x → CVE-x).
    #[serde(default)]
    upstream: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<RecordAffected>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RecordAffected {
    #[serde(default)]
    package: Option<Package>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    ranges: Vec<drydock_version::osv::Range>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    ecosystem_specific: Option<Value>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

/// The module stream an affected entry is limited to: the `rpmmod` qualifier of its purl, or a
/// `module` field in its ecosystem- or database-specific data.
fn module_of(package: &Package, values: &[Option<&Value>]) -> Option<String> {
    let from_purl = package.purl.as_deref().and_then(|purl| {
        let query = purl.split_once('?')?.1;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("rpmmod="))
            .map(|m| m.replace("%3A", ":").replace("%3a", ":"))
    });
    from_purl
        .or_else(|| {
            values
                .iter()
                .flatten()
                .find_map(|v| v.get("module").and_then(|m| m.as_str()).map(str::to_string))
        })
        .filter(|m| !m.is_empty())
        .map(|m| crate::model::module_stream(&m))
}

/// Parsing outcome: a record, or a reason it was skipped.
pub enum Parsed {
    /// A record to store.
    Advisory {
        /// The record.
        advisory: Box<Advisory>,
        /// The ecosystem family of each `affected` entry left out because drydock does not
        /// know it (`Linux`, `Android`, `GIT`): counted by the importer, never matched.
        unsupported: Vec<String>,
    },
    /// A withdrawn record, by id: not stored.
    Withdrawn(String),
}

/// Reads one OSV record in JSON.
pub fn parse_json(bytes: &[u8], source: &str) -> Result<Parsed, Malformation> {
    let record: Record = serde_json::from_slice(bytes)?;
    Ok(convert(record, source))
}

/// Reads one OSV record in YAML (PyPA's advisory database).
pub fn parse_yaml(bytes: &[u8], source: &str) -> Result<Parsed, Malformation> {
    let text = std::str::from_utf8(bytes)?;
    let record: Record = serde_saphyr::from_str(text).map_err(Malformation::yaml)?;
    Ok(convert(record, source))
}

/// Severity from CVSS vectors: the highest-version vector that parses wins.
fn cvss(severities: &[OsvSeverity]) -> Option<SeverityInfo> {
    let mut best: Option<(u8, SeverityInfo)> = None;
    for s in severities {
        let rank = match s.kind.as_str() {
            "CVSS_V4" => 4,
            "CVSS_V3" => 3,
            "CVSS_V2" => 2,
            _ => continue,
        };
        let score = match s.kind.as_str() {
            "CVSS_V2" => s
                .score
                .parse::<cvss::v2::Vector>()
                .ok()
                .map(|v| v.score().value()),
            _ => s.score.parse::<cvss::Cvss>().ok().map(|v| v.score()),
        };
        // Some feeds put the bare number where the vector belongs.
        let score = score.or_else(|| s.score.parse::<f64>().ok());
        if let Some(score) = score
            && best.as_ref().is_none_or(|(r, _)| rank > *r)
        {
            let vector = s.score.contains(':').then(|| s.score.clone());
            best = Some((
                rank,
                SeverityInfo {
                    level: Severity::from_score(score),
                    score: Some(score),
                    vector,
                    source: "cvss".into(),
                },
            ));
        }
    }
    best.map(|(_, s)| s)
}

fn word_severity(value: Option<&Value>) -> Option<SeverityInfo> {
    let v = value?;
    for key in ["severity", "urgency", "priority", "cvss_severity"] {
        if let Some(word) = v.get(key).and_then(Value::as_str)
            && let Some(level) = Severity::from_word(word)
        {
            return Some(SeverityInfo {
                level,
                score: None,
                vector: None,
                source: "advisory".into(),
            });
        }
    }
    None
}

fn disposition(values: &[Option<&Value>]) -> Option<Disposition> {
    for v in values.iter().flatten() {
        for key in ["urgency", "status", "fix_state", "fix-state", "state"] {
            let Some(word) = v.get(key).and_then(Value::as_str) else {
                continue;
            };
            let w = word.to_ascii_lowercase();
            if w.starts_with("unimportant") || w == "negligible" {
                return Some(Disposition::Unimportant);
            }
            if w.contains("will not fix")
                || w.contains("wont-fix")
                || w.contains("won't fix")
                || w == "ignored"
                || w.contains("out of support")
            {
                return Some(Disposition::WillNotFix);
            }
        }
    }
    None
}

fn convert(record: Record, source: &str) -> Parsed {
    if record.withdrawn.is_some() {
        return Parsed::Withdrawn(record.id);
    }
    let record_severity = word_severity(record.database_specific.as_ref()).or_else(|| cvss(&record.severity));
    let mut unsupported = Vec::new();
    let affected = record
        .affected
        .into_iter()
        .filter_map(|a| {
            let package = a.package?;
            let ecosystem = match OsvEcosystem::parse(&package.ecosystem) {
                Ok(e) => e,
                Err(unknown) => {
                    unsupported.push(unknown.family);
                    return None;
                }
            };
            let severity = word_severity(a.ecosystem_specific.as_ref())
                .or_else(|| word_severity(a.database_specific.as_ref()))
                .or_else(|| cvss(&a.severity));
            let module = module_of(
                &package,
                &[a.ecosystem_specific.as_ref(), a.database_specific.as_ref()],
            );
            Some(AffectedPackage {
                module,
                disposition: disposition(&[a.ecosystem_specific.as_ref(), a.database_specific.as_ref()]),
                ecosystem,
                name: package.name,
                affected: drydock_version::osv::Affected {
                    versions: a.versions,
                    ranges: a.ranges,
                },
                severity,
                source: None,
            })
        })
        .collect();
    let mut aliases = record.aliases;
    for u in record.upstream {
        if !aliases.contains(&u) {
            aliases.push(u);
        }
    }
    Parsed::Advisory {
        advisory: Box::new(Advisory {
            id: record.id,
            aliases,
            summary: record.summary,
            modified: record.modified,
            published: record.published,
            severity: record_severity,
            affected,
            source: source.to_string(),
        }),
        unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advisory(json: serde_json::Value) -> Advisory {
        match parse_json(json.to_string().as_bytes(), "test").unwrap() {
            Parsed::Advisory { advisory, .. } => *advisory,
            Parsed::Withdrawn(_) => panic!("withdrawn"),
        }
    }

    fn record(
        package: serde_json::Value,
        extra: serde_json::Value,
        severity: serde_json::Value,
    ) -> serde_json::Value {
        let mut affected = serde_json::json!({
            "package": package,
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]
        });
        if let (Some(a), Some(e)) = (affected.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        serde_json::json!({"id": "RLSA-1", "affected": [affected], "severity": severity})
    }

    /// The module stream an entry is limited to comes from the purl's `rpmmod` qualifier or a
    /// `module` field, reduced to name:stream; an empty one is none.
    #[test]
    fn module_streams() {
        let module = |package, extra| {
            advisory(record(package, extra, serde_json::json!([]))).affected[0]
                .module
                .clone()
        };
        let pkg = serde_json::json!({"ecosystem": "Rocky Linux:8", "name": "nodejs"});
        assert_eq!(module(pkg.clone(), serde_json::json!({})), None);
        assert_eq!(
            module(
                serde_json::json!({"ecosystem": "Rocky Linux:8", "name": "nodejs",
                    "purl": "pkg:rpm/rocky/nodejs?rpmmod=nodejs%3A18%3A8090020231005151149%3Aa75119d5"}),
                serde_json::json!({})
            ),
            Some("nodejs:18".into())
        );
        assert_eq!(
            module(
                pkg.clone(),
                serde_json::json!({"ecosystem_specific": {"module": "nodejs:20:1:x"}})
            ),
            Some("nodejs:20".into())
        );
        assert_eq!(
            module(pkg, serde_json::json!({"ecosystem_specific": {"module": ""}})),
            None
        );
    }

    /// What the distribution says about an unfixed package: Debian's `unimportant` urgency and
    /// `negligible`, and the won't-fix wordings (Red Hat's "Will not fix", Ubuntu's
    /// `ignored`, "out of support"), under whichever key the feed uses.
    #[test]
    fn dispositions() {
        let pkg = serde_json::json!({"ecosystem": "Debian:12", "name": "x"});
        let of = |extra| advisory(record(pkg.clone(), extra, serde_json::json!([]))).affected[0].disposition;
        let eco = |key: &str, word: &str| serde_json::json!({"ecosystem_specific": {key: word}});
        assert_eq!(of(serde_json::json!({})), None);
        assert_eq!(of(eco("urgency", "unimportant")), Some(Disposition::Unimportant));
        assert_eq!(of(eco("urgency", "negligible")), Some(Disposition::Unimportant));
        assert_eq!(of(eco("urgency", "low")), None);
        assert_eq!(
            of(eco("fix_state", "Will not fix")),
            Some(Disposition::WillNotFix)
        );
        assert_eq!(of(eco("status", "wont-fix")), Some(Disposition::WillNotFix));
        assert_eq!(of(eco("status", "won't fix")), Some(Disposition::WillNotFix));
        assert_eq!(of(eco("state", "ignored")), Some(Disposition::WillNotFix));
        assert_eq!(
            of(eco("status", "ignored (end of life)")),
            None,
            "only the bare word"
        );
        assert_eq!(
            of(eco("fix-state", "Out of support scope")),
            Some(Disposition::WillNotFix)
        );
        assert_eq!(
            of(serde_json::json!({"database_specific": {"urgency": "unimportant"}})),
            Some(Disposition::Unimportant)
        );
    }

    /// Debian's `upstream` ids join the aliases, once.
    #[test]
    fn upstream_ids_join_the_aliases_once() {
        let mut r = record(
            serde_json::json!({"ecosystem": "Debian:12", "name": "x"}),
            serde_json::json!({}),
            serde_json::json!([]),
        );
        r["aliases"] = serde_json::json!(["CVE-2099-1"]);
        r["upstream"] = serde_json::json!(["CVE-2099-1", "CVE-2099-2"]);
        assert_eq!(advisory(r).aliases, ["CVE-2099-1", "CVE-2099-2"]);
    }

    /// The highest CVSS version that parses wins; among vectors of one version, the first.
    /// CVSS v2 vectors are scored by the v2 formula (AV:N/AC:L/Au:N/C:P/I:P/A:P is 7.5).
    #[test]
    fn cvss_versions() {
        let pkg = serde_json::json!({"ecosystem": "PyPI", "name": "x"});
        let score = |severity| {
            advisory(record(pkg.clone(), serde_json::json!({}), severity))
                .severity
                .and_then(|s| s.score)
        };
        assert_eq!(
            score(serde_json::json!([{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}])),
            Some(7.5)
        );
        assert_eq!(
            score(serde_json::json!([
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}
            ])),
            Some(9.8),
            "the first of one version"
        );
        assert_eq!(
            score(serde_json::json!([
                {"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}
            ])),
            Some(5.3),
            "v3 over v2"
        );
    }
}
