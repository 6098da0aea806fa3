//! `drydock audit` reports: the table, drydock JSON and SARIF 2.1.0.

use std::collections::BTreeMap;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use drydock_audit::size::SizeReport;
use drydock_audit::{Finding, Level};
use serde::{Deserialize, Serialize};

use crate::{ImageSummary, SCHEMA_VERSION, TOOL_NAME, TOOL_VERSION, Tool, sarif};

/// What `drydock audit --format json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditDocument {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// drydock and its version.
    pub tool: Tool,
    /// The image.
    pub image: ImageSummary,
    /// Findings per level (`FATAL`, `WARN`, `INFO`), and how many were suppressed.
    pub summary: BTreeMap<String, usize>,
    /// dive's figures.
    pub size: SizeReport,
    /// The findings reported.
    pub findings: Vec<Finding>,
    /// The findings the configuration ignores.
    pub suppressed: Vec<SuppressedFinding>,
    /// What could not be read.
    pub warnings: Vec<String>,
}

/// An ignored finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressedFinding {
    /// The check id.
    pub id: String,
    /// The file, when the finding has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The configuration's reason.
    pub reason: String,
}

impl AuditDocument {
    /// The document, with its summary counted.
    pub fn new(
        image: ImageSummary,
        size: SizeReport,
        findings: Vec<Finding>,
        suppressed: Vec<SuppressedFinding>,
        warnings: Vec<String>,
    ) -> Self {
        let mut summary = BTreeMap::new();
        for level in [Level::Fatal, Level::Warn, Level::Info] {
            summary.insert(
                level.as_str().to_string(),
                findings.iter().filter(|f| f.level == level).count(),
            );
        }
        summary.insert("SUPPRESSED".to_string(), suppressed.len());
        AuditDocument {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME.into(),
                version: TOOL_VERSION.into(),
            },
            image,
            summary,
            size,
            findings,
            suppressed,
            warnings,
        }
    }
}

/// drydock's JSON.
pub fn json(doc: &AuditDocument) -> String {
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}

fn origin(f: &Finding) -> String {
    crate::origin_cell(f.introduced_by.as_ref(), f.layer, 0)
}

/// A table per level.
pub fn table(doc: &AuditDocument) -> String {
    let mut out = format!("Image: {}\n", doc.image.name);
    for level in [Level::Fatal, Level::Warn, Level::Info] {
        let group: Vec<&Finding> = doc.findings.iter().filter(|f| f.level == level).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({})\n", level.as_str(), group.len()));
        let mut t = Table::new();
        t.load_style(UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["CHECK", "TITLE", "DETAIL", "INTRODUCED BY"]);
        for f in group {
            let mut detail = f.detail.clone();
            if let Some(p) = &f.package {
                detail.push_str(&format!(" [{p}]"));
            }
            t.add_row(vec![f.id.clone(), f.title.clone(), detail, origin(f)]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let s = &doc.size;
    out.push_str(&format!(
        "\nEfficiency: {:.4} %  wasted bytes: {}  user wasted percent: {}\n",
        s.efficiency * 100.0,
        s.wasted_bytes,
        s.user_wasted_percent
            .map(|p| format!("{:.4} %", p * 100.0))
            .unwrap_or_else(|| "n/a (one layer)".into())
    ));
    let reclaimable: Vec<String> = s
        .layers
        .iter()
        .filter(|l| l.reclaimable_bytes > 0)
        .map(|l| format!("layer {}: {} bytes", l.index, l.reclaimable_bytes))
        .collect();
    if !reclaimable.is_empty() {
        out.push_str(&format!("Shipped but not visible: {}\n", reclaimable.join(", ")));
    }
    out.push_str(&format!(
        "FATAL: {}, WARN: {}, INFO: {}; suppressed: {}\n",
        doc.summary.get("FATAL").unwrap_or(&0),
        doc.summary.get("WARN").unwrap_or(&0),
        doc.summary.get("INFO").unwrap_or(&0),
        doc.suppressed.len()
    ));
    out
}

fn sarif_level(l: Level) -> sarif::Level {
    match l {
        Level::Fatal => sarif::Level::Error,
        Level::Warn => sarif::Level::Warning,
        Level::Info => sarif::Level::Note,
    }
}

/// SARIF 2.1.0.
pub fn sarif(doc: &AuditDocument) -> String {
    use serde_json::json;
    let mut rules = sarif::Rules::default();
    let results: Vec<sarif::SarifResult> = doc
        .findings
        .iter()
        .map(|f| {
            let rule_index = rules.index(&f.id, || sarif::Rule {
                id: f.id.clone(),
                name: None,
                short_description: sarif::Text::new(f.title.clone()),
                full_description: Some(sarif::Text::new(f.title.clone())),
                help_uri: None,
                help: Some(sarif::Text::new(format!("{}: see docs/audit.md", f.title))),
                default_configuration: sarif::Configuration {
                    level: sarif_level(f.level),
                },
                properties: json!({"tags": ["audit", f.level.as_str()]}),
            });
            let mut locations = Vec::new();
            if let Some(d) = f.introduced_by.as_ref().and_then(|i| i.dockerfile.as_ref()) {
                locations.push(sarif::Location::at(
                    crate::sarif_uri(&d.path),
                    d.line,
                    Some(d.end_line),
                    1,
                ));
            }
            locations.push(sarif::Location::image(
                &doc.image.name,
                f.path.clone().unwrap_or_else(|| "image configuration".into()),
            ));
            sarif::SarifResult {
                rule_id: f.id.clone(),
                rule_index,
                level: sarif_level(f.level),
                message: sarif::Text::new(f.detail.clone()),
                locations,
                baseline_state: None,
                partial_fingerprints: [(
                    "drydock/audit".to_string(),
                    format!("{}|{}", f.id, f.path.clone().unwrap_or_default()),
                )]
                .into(),
                properties: json!({"layer": f.layer, "path": f.path, "package": f.package}),
            }
        })
        .collect();
    sarif::render(rules.into_vec(), results, None)
}
