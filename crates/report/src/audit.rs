//! `drydock audit` reports: the table, drydock JSON and SARIF 2.1.0.

use std::collections::BTreeMap;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use drydock_audit::size::SizeReport;
use drydock_audit::{Finding, Level};
use serde::{Deserialize, Serialize};

use crate::{ImageSummary, SCHEMA_VERSION, TOOL_NAME, TOOL_VERSION, Tool};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub image: ImageSummary,
    /// Findings per level (`FATAL`, `WARN`, `INFO`), and how many were suppressed.
    pub summary: BTreeMap<String, usize>,
    pub size: SizeReport,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressedFinding {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub reason: String,
}

impl AuditDocument {
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

pub fn json(doc: &AuditDocument) -> String {
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}

fn origin(f: &Finding) -> String {
    crate::origin_cell(f.introduced_by.as_ref(), f.layer, 0)
}

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

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Fatal => "error",
        Level::Warn => "warning",
        Level::Info => "note",
    }
}

pub fn sarif(doc: &AuditDocument) -> String {
    use serde_json::json;
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let image_uri = doc
        .image
        .name
        .replace(':', "/")
        .trim_start_matches('/')
        .to_string();
    let results: Vec<serde_json::Value> = doc
        .findings
        .iter()
        .map(|f| {
            let idx = *index.entry(f.id.clone()).or_insert_with(|| {
                rules.push(json!({
                    "id": f.id,
                    "shortDescription": {"text": f.title},
                    "fullDescription": {"text": f.title},
                    "help": {"text": format!("{}: see docs/audit.md", f.title)},
                    "defaultConfiguration": {"level": sarif_level(f.level)},
                    "properties": {"tags": ["audit", f.level.as_str()]},
                }));
                rules.len() - 1
            });
            let dockerfile = f.introduced_by.as_ref().and_then(|i| i.dockerfile.as_ref());
            let mut locations = Vec::new();
            if let Some(d) = dockerfile {
                locations.push(json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": crate::sarif_uri(&d.path)},
                        "region": {"startLine": d.line, "endLine": d.end_line, "startColumn": 1}
                    }
                }));
            }
            locations.push(json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": image_uri},
                    "region": {"startLine": 1, "startColumn": 1}
                },
                "message": {"text": f.path.clone().unwrap_or_else(|| "image configuration".into())}
            }));
            json!({
                "ruleId": f.id,
                "ruleIndex": idx,
                "level": sarif_level(f.level),
                "message": {"text": f.detail},
                "locations": locations,
                "partialFingerprints": {"drydock/audit": format!("{}|{}", f.id, f.path.clone().unwrap_or_default())},
                "properties": {"layer": f.layer, "path": f.path, "package": f.package},
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "informationUri": "https://github.com/drydock-scan/drydock", "rules": rules}},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
