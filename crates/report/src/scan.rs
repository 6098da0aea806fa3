//! Vulnerability reports: drydock JSON, the terminal table, SARIF 2.1.0 and CycloneDX 1.6 with
//! its vulnerabilities section.

use std::collections::BTreeMap;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use drydock_advise::Fix;
use drydock_baseline::{Fingerprint, Judgement, State};
use drydock_catalog::{IntroducedBy, Package};
use drydock_matcher::{Finding, Status};
use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};

use crate::{ImageSummary, SCHEMA_VERSION, TOOL_NAME, TOOL_VERSION, Tool, sarif, timestamp};

/// A scan's totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Findings reported.
    pub total: usize,
    /// Per severity.
    pub by_severity: BTreeMap<String, usize>,
    /// With a fixed version.
    pub fixable: usize,
    /// Ignored by the ignore file.
    pub suppressed: usize,
    /// Findings per fix class (`rebuild`, `base-image`, …), when fixes were worked out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_fix_class: BTreeMap<String, usize>,
}

/// A finding the ignore file suppressed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suppressed {
    /// The advisory id.
    pub id: String,
    /// The package.
    pub package: String,
    /// The ignore file's reason.
    pub reason: String,
    /// When the entry expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// The advisory database a scan used.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseSummary {
    /// Its import sources.
    pub sources: Vec<DatabaseSource>,
    /// Age in seconds of the oldest source import.
    pub age_seconds: Option<i64>,
}

/// One import source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseSource {
    /// `osv:Debian`, `secdb:v3.19/main`.
    pub name: String,
    /// Records.
    pub records: u64,
    /// When it was imported.
    pub imported_at: String,
}

/// A finding as reported: the matcher's finding, its stable fingerprint, and what the baseline
/// says of it when the scan has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportedFinding {
    /// The matcher's finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// `CVE/ecosystem/package`: the same vulnerability in the same package keeps it across
    /// versions, layers and rebuilds.
    pub fingerprint: String,
    /// What the baseline says of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Judgement>,
    /// The build step that brought the package in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced_by: Option<IntroducedBy>,
    /// The cheapest fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// With `scan --usage`: whether traced runs used the package (`used`, `required`,
    /// `unused`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
}

impl std::ops::Deref for ReportedFinding {
    type Target = Finding;
    fn deref(&self) -> &Finding {
        &self.finding
    }
}

impl ReportedFinding {
    /// A finding with its fingerprint.
    pub fn new(finding: Finding, baseline: Option<Judgement>) -> Self {
        ReportedFinding {
            fingerprint: Fingerprint::of(&finding).key(),
            finding,
            baseline,
            introduced_by: None,
            fix: None,
            usage: None,
        }
    }

    /// The Dockerfile line, else the history step, else the layer, for people.
    pub fn origin(&self) -> String {
        crate::origin_cell(self.introduced_by.as_ref(), self.layer, 40)
    }
}

/// The baseline a scan was held against, and its totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// What was given: a file path or an image reference.
    pub reference: String,
    /// `scan report`, `SBOM`, `SARIF report` or `image`.
    pub kind: String,
    /// New findings.
    pub new: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Updated.
    pub updated: usize,
    /// Of the unchanged and updated: in the baseline image too, but disclosed since it was taken.
    pub newly_disclosed: usize,
    /// Findings of the baseline the scanned image no longer has.
    pub absent: Vec<Finding>,
}

/// What `drydock scan --format json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanDocument {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// drydock and its version.
    pub tool: Tool,
    /// The image.
    pub image: ImageSummary,
    /// Packages matched.
    pub packages_scanned: usize,
    /// The database.
    pub database: DatabaseSummary,
    /// Totals.
    pub summary: Summary,
    /// The baseline, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// The findings.
    pub findings: Vec<ReportedFinding>,
    /// Suppressed findings.
    pub suppressed: Vec<Suppressed>,
    /// What could not be read or checked.
    pub warnings: Vec<String>,
    /// The inventory that was matched, so this report can serve as a later scan's baseline.
    #[serde(default)]
    pub packages: Vec<Package>,
}

impl ScanDocument {
    /// The document, with its summary counted.
    pub fn new(
        image: ImageSummary,
        packages: Vec<Package>,
        database: DatabaseSummary,
        findings: Vec<ReportedFinding>,
        suppressed: Vec<Suppressed>,
        warnings: Vec<String>,
    ) -> Self {
        let mut summary = Summary {
            total: findings.len(),
            suppressed: suppressed.len(),
            ..Default::default()
        };
        for f in &findings {
            *summary
                .by_severity
                .entry(f.severity.as_str().to_string())
                .or_default() += 1;
            if f.status == Status::Fixed {
                summary.fixable += 1;
            }
            if let Some(fix) = &f.fix {
                *summary
                    .by_fix_class
                    .entry(fix.class.as_str().to_string())
                    .or_default() += 1;
            }
        }
        ScanDocument {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME.into(),
                version: TOOL_VERSION.into(),
            },
            image,
            packages_scanned: packages.len(),
            database,
            summary,
            baseline: None,
            findings,
            suppressed,
            warnings,
            packages,
        }
    }

    /// Records the baseline totals from the findings' judgements.
    pub fn with_baseline(mut self, reference: &str, kind: &str, absent: Vec<Finding>) -> Self {
        let mut b = BaselineSummary {
            reference: reference.to_string(),
            kind: kind.to_string(),
            absent,
            ..Default::default()
        };
        for j in self.findings.iter().filter_map(|f| f.baseline.as_ref()) {
            match j.state {
                State::New => b.new += 1,
                State::Unchanged => b.unchanged += 1,
                State::Updated => b.updated += 1,
            }
            b.newly_disclosed += usize::from(j.newly_disclosed);
        }
        self.baseline = Some(b);
        self
    }
}

/// A finding's baseline state as a word for people: `new`, `unchanged`, `updated`, with
/// `(disclosed since)` for what the baseline image already had.
fn baseline_word(j: &Judgement) -> String {
    if j.newly_disclosed {
        format!("{} (newly disclosed)", j.state.as_str())
    } else {
        j.state.as_str().to_string()
    }
}

/// drydock's JSON.
pub fn json(doc: &ScanDocument) -> String {
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}

const ORDER: [Severity; 6] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Negligible,
    Severity::Unknown,
];

fn summary_line(doc: &ScanDocument) -> String {
    let parts: Vec<String> = ORDER
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.as_str(),
                doc.summary.by_severity.get(s.as_str()).copied().unwrap_or(0)
            )
        })
        .collect();
    let mut line = format!(
        "Total: {} ({}); fixable: {}",
        doc.summary.total,
        parts.join(", "),
        doc.summary.fixable
    );
    if doc.summary.suppressed > 0 {
        line.push_str(&format!("; suppressed: {}", doc.summary.suppressed));
    }
    line
}

/// The image header and a table per severity.
pub fn table(doc: &ScanDocument) -> String {
    let mut out = crate::table::image_header(&doc.image, doc.packages_scanned);
    for sev in ORDER {
        let group: Vec<&ReportedFinding> = doc.findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({})\n", sev.as_str(), group.len()));
        let mut t = Table::new();
        t.load_style(UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic);
        let attributed = doc.findings.iter().any(|f| f.introduced_by.is_some());
        let fixes = doc.findings.iter().any(|f| f.fix.is_some());
        let usage = doc.findings.iter().any(|f| f.usage.is_some());
        let mut header = vec![
            "PACKAGE",
            "INSTALLED",
            "FIXED IN",
            "STATUS",
            if attributed { "INTRODUCED BY" } else { "LAYER" },
            "ADVISORY",
        ];
        if fixes {
            header.push("FIX");
        }
        if doc.baseline.is_some() {
            header.push("BASELINE");
        }
        if usage {
            header.push("USAGE");
        }
        t.set_header(header);
        for f in group {
            let mut advisory = if f.cve() != f.id {
                format!("{} ({})", f.id, f.cve())
            } else {
                f.id.clone()
            };
            if f.advisories.len() > 1 {
                advisory.push_str(&format!(" +{} folded", f.advisories.len() - 1));
            }
            let mut row = vec![
                f.package.name.clone(),
                f.package.version.clone(),
                f.fixed_version.clone().unwrap_or_default(),
                f.status.as_str().to_string(),
                if attributed {
                    f.origin()
                } else {
                    f.layer.map(|l| l.to_string()).unwrap_or_default()
                },
                advisory,
            ];
            if fixes {
                row.push(f.fix.as_ref().map(fix_word).unwrap_or_default());
            }
            if doc.baseline.is_some() {
                row.push(f.baseline.as_ref().map(baseline_word).unwrap_or_default());
            }
            if usage {
                row.push(f.usage.clone().unwrap_or_default());
            }
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&summary_line(doc));
    out.push('\n');
    let fixes: Vec<Fix> = doc.findings.iter().filter_map(|f| f.fix.clone()).collect();
    if let Some(line) = drydock_advise::summary(&fixes) {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(b) = &doc.baseline {
        out.push_str(&format!(
            "Against the baseline ({} {}): {} new, {} unchanged, {} updated; {} newly disclosed in what the baseline already had; {} fixed by the change\n",
            b.kind,
            b.reference,
            b.new,
            b.unchanged,
            b.updated,
            b.newly_disclosed,
            b.absent.len()
        ));
    }
    out
}

/// The action as a sentence: capitalised.
fn sentence(action: &str) -> String {
    let mut chars = action.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The class, with the version a rebuild or upgrade gets.
fn fix_word(fix: &Fix) -> String {
    match (&fix.version, fix.class) {
        (Some(v), drydock_advise::FixClass::Rebuild | drydock_advise::FixClass::Upgrade) => {
            format!("{} → {v}", fix.class.as_str())
        }
        _ => fix.class.as_str().to_string(),
    }
}

fn sarif_level(s: Severity) -> sarif::Level {
    match s {
        Severity::Critical | Severity::High => sarif::Level::Error,
        Severity::Medium => sarif::Level::Warning,
        _ => sarif::Level::Note,
    }
}

/// A score GitHub code scanning reads as `security-severity`.
fn security_severity(f: &Finding) -> String {
    let score = f.score.unwrap_or(match f.severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Negligible | Severity::Unknown => 0.0,
    });
    format!("{score:.1}")
}

/// SARIF 2.1.0, with the inventory kept in the run's properties for `--baseline`.
pub fn sarif(doc: &ScanDocument) -> String {
    use serde_json::json;
    let mut rules = sarif::Rules::default();
    let mut results = Vec::new();
    let absent = doc
        .baseline
        .iter()
        .flat_map(|b| b.absent.iter())
        .map(|f| (f, Some("absent"), None));
    let current = doc
        .findings
        .iter()
        .map(|f| (&f.finding, f.baseline.as_ref().map(|j| j.state.as_str()), Some(f)));
    for (f, state, extra) in current.chain(absent) {
        let rule_index = rules.index(&f.id, || {
            let text = f.summary.clone().unwrap_or_else(|| format!("{} in {}", f.cve(), f.package.name));
            sarif::Rule {
                id: f.id.clone(),
                name: Some(f.cve().replace('-', "")),
                short_description: sarif::Text::new(text.clone()),
                full_description: Some(sarif::Text::new(text)),
                help_uri: Some(format!("https://osv.dev/vulnerability/{}", f.id)),
                help: Some(sarif::Text::new(format!(
                    "{} affects {}; fixed in {}",
                    f.id,
                    f.package.name,
                    f.fixed_version.as_deref().unwrap_or("no release yet")
                ))),
                default_configuration: sarif::Configuration {
                    level: sarif_level(f.severity),
                },
                properties: json!({"security-severity": security_severity(f), "tags": ["security", "vulnerability", f.severity.as_str()]}),
            }
        });
        let message = format!(
            "{} {} is affected by {} ({}, {}){}",
            f.package.name,
            f.package.version,
            f.id,
            f.severity.as_str(),
            f.status.as_str(),
            f.fixed_version
                .as_ref()
                .map(|v| format!("; fixed in {v}"))
                .unwrap_or_default()
        );
        let mut locations = Vec::new();
        // The Dockerfile line first: code scanning annotates it in the pull request.
        if let Some(d) = extra
            .and_then(|r| r.introduced_by.as_ref())
            .and_then(|i| i.dockerfile.as_ref())
        {
            locations.push(
                sarif::Location::at(crate::sarif_uri(&d.path), d.line, Some(d.end_line), 1).with_message(
                    format!(
                        "{} installs {}",
                        drydock_attribution::shorten(&d.instruction, 80),
                        f.package.name
                    ),
                ),
            );
        }
        locations.push(sarif::Location::image(&doc.image.name, f.package.purl.clone()));
        let message = match extra.and_then(|r| r.fix.as_ref()) {
            Some(fix) => format!("{message}. Fix ({}): {}", fix.class.as_str(), fix.action),
            None => message,
        };
        let mut properties = json!({
            "advisories": f.advisories,
            "aliases": f.aliases,
            "status": f.status.as_str(),
            "fixedVersion": f.fixed_version,
            "image": doc.image.name,
            "layer": f.layer,
        });
        if let Some(r) = extra {
            if let Some(i) = &r.introduced_by {
                properties["introducedBy"] = json!(i);
            }
            if let Some(fix) = &r.fix {
                properties["fix"] = json!(fix);
            }
            if let Some(usage) = &r.usage {
                properties["usage"] = json!(usage);
            }
        }
        results.push(sarif::SarifResult {
            rule_id: f.id.clone(),
            rule_index,
            level: sarif_level(f.severity),
            message: sarif::Text::new(message),
            locations,
            baseline_state: state,
            // No version, layer or line: the alert survives upgrades and rebuilds.
            partial_fingerprints: [("drydock/v2".to_string(), Fingerprint::of(f).key())].into(),
            properties,
        });
    }
    let findings: Vec<&Finding> = doc.findings.iter().map(|f| &f.finding).collect();
    // What a later `scan --baseline report.sarif` needs: the inventory and the findings.
    let recorded = json!({"drydock": {"os": doc.image.os, "baseImage": doc.image.base_image, "packages": doc.packages, "findings": findings}});
    sarif::render(rules.into_vec(), results, Some(&recorded))
}

/// GitLab's container-scanning report (security report schema 15.2.4), for
/// `artifacts:reports:container_scanning`.
pub fn gitlab(doc: &ScanDocument, started: &str) -> String {
    use serde_json::json;
    let os = doc
        .image
        .os
        .as_ref()
        .map(|d| {
            format!("{} {}", d.id, d.version_id.as_deref().unwrap_or(""))
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into());
    let severity = |s: Severity| match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Negligible => "Info",
        Severity::Unknown => "Unknown",
    };
    let vulnerabilities: Vec<serde_json::Value> = doc
        .findings
        .iter()
        .map(|f| {
            let mut identifiers = vec![json!({
                "type": if f.id.starts_with("CVE-") { "cve" } else { "drydock" },
                "name": f.id,
                "value": f.id,
                "url": format!("https://osv.dev/vulnerability/{}", f.id),
            })];
            for a in &f.aliases {
                identifiers.push(json!({
                    "type": if a.starts_with("CVE-") { "cve" } else { "drydock" },
                    "name": a,
                    "value": a,
                    "url": format!("https://osv.dev/vulnerability/{a}"),
                }));
            }
            let mut v = json!({
                // Stable across runs, so GitLab tracks the same vulnerability in the same package.
                "id": f.fingerprint,
                "name": format!("{} in {}", f.cve(), f.package.name),
                "description": f.summary.clone().unwrap_or_else(|| format!("{} affects {} {}", f.id, f.package.name, f.package.version)),
                "severity": severity(f.severity),
                "identifiers": identifiers,
                "location": {
                    "dependency": {"package": {"name": f.package.name}, "version": f.package.version},
                    "operating_system": os,
                    "image": doc.image.name,
                },
                "links": [{"url": format!("https://osv.dev/vulnerability/{}", f.id)}],
            });
            match (&f.fix, &f.fixed_version) {
                (Some(fix), _) => v["solution"] = json!(sentence(&fix.action)),
                (None, Some(fixed)) => v["solution"] = json!(format!("Upgrade {} to {fixed}", f.package.name)),
                (None, None) => {}
            }
            v
        })
        .collect();
    let finished = timestamp();
    let clip = |t: &str| t.get(..19).unwrap_or(t).to_string();
    let report = json!({
        "version": "15.2.4",
        "scan": {
            "analyzer": {"id": "drydock", "name": "drydock", "version": TOOL_VERSION, "vendor": {"name": "drydock"}},
            "scanner": {"id": "drydock", "name": "drydock", "version": TOOL_VERSION, "vendor": {"name": "drydock"}},
            "type": "container_scanning",
            "start_time": clip(started),
            "end_time": clip(&finished),
            "status": "success",
        },
        "vulnerabilities": vulnerabilities,
        "remediations": [],
    });
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}

/// CycloneDX 1.6: the inventory plus a `vulnerabilities` section referencing components.
pub fn cyclonedx(doc: &ScanDocument) -> String {
    use crate::cyclonedx::{
        Affects, Rating, Vulnerability, VulnerabilityReference, VulnerabilitySource, prop,
    };
    let osv = |id: &str| VulnerabilitySource {
        name: "OSV",
        url: format!("https://osv.dev/vulnerability/{id}"),
    };
    let refs = crate::cyclonedx::refs(&doc.image, &doc.packages);
    let mut bom = crate::cyclonedx::bom(&doc.image, &doc.packages, &refs);
    bom.vulnerabilities = doc
        .findings
        .iter()
        .map(|f| {
            let mut properties = vec![
                prop("status", f.status.as_str()),
                prop("layer", f.layer.map(|l| l.to_string()).unwrap_or_default()),
                prop("advisories", f.advisories.join(",")),
            ];
            let recommendation = match (&f.fix, &f.fixed_version) {
                (Some(fix), _) => {
                    properties.push(prop("fix-class", fix.class.as_str()));
                    Some(sentence(&fix.action))
                }
                (None, Some(fixed)) => Some(format!("Upgrade {} to {fixed}", f.package.name)),
                (None, None) => None,
            };
            if let Some(d) = f.introduced_by.as_ref().and_then(|i| i.dockerfile.as_ref()) {
                properties.push(prop("dockerfile", format!("{}:{}", d.path, d.line)));
            }
            Vulnerability {
                bom_ref: format!("{}#{}", f.id, f.package.purl),
                id: f.id.clone(),
                source: osv(&f.id),
                references: f
                    .aliases
                    .iter()
                    .map(|a| VulnerabilityReference {
                        id: a.clone(),
                        source: osv(a),
                    })
                    .collect(),
                ratings: vec![Rating {
                    severity: match f.severity {
                        Severity::Negligible => "none".to_string(),
                        s => s.as_str().to_lowercase(),
                    },
                    score: f.score,
                    method: "other",
                }],
                recommendation,
                affects: vec![Affects {
                    reference: f.package.purl.clone(),
                }],
                properties,
            }
        })
        .collect();
    crate::cyclonedx::write(&bom)
}
