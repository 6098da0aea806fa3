//! Lint output: a terminal listing, drydock JSON, SARIF 2.1.0, Checkstyle XML and GitLab Code
//! Quality JSON. All are plain serde structs or string building: the subsets these consumers
//! read are small.

use serde_json::json;

use crate::Finding;
use drydock_report::sarif;

use crate::registry::{RULES, Severity};

/// An output format of `drydock lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lines for a terminal: `file:line rule severity: message`.
    Tty,
    /// drydock's JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitLab Code Quality.
    Gitlab,
}

impl Format {
    /// The format `--format` names.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "tty" => Format::Tty,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "checkstyle" => Format::Checkstyle,
            "gitlab" | "codeclimate" => Format::Gitlab,
            _ => return None,
        })
    }
}

/// The findings in `format`.
pub fn render(format: Format, findings: &[Finding]) -> String {
    match format {
        Format::Tty => tty(findings),
        Format::Json => json(findings),
        Format::Sarif => sarif(findings),
        Format::Checkstyle => checkstyle(findings),
        Format::Gitlab => gitlab(findings),
    }
}

fn rule_label(f: &Finding) -> String {
    match f.hadolint {
        Some(h) if h != f.rule => format!("{} ({h})", f.rule),
        _ => f.rule.to_string(),
    }
}

/// One line per finding.
pub fn tty(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:{} {} {}: {}\n",
            f.file,
            f.line,
            rule_label(f),
            f.severity.as_str(),
            f.message
        ));
    }
    out
}

/// `{"findings": [...]}`.
pub fn json(findings: &[Finding]) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        findings: &'a [Finding],
    }
    let doc = Doc { findings };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn sarif_level(s: Severity) -> sarif::Level {
    match s {
        Severity::Error => sarif::Level::Error,
        Severity::Warning => sarif::Level::Warning,
        Severity::Info | Severity::Style => sarif::Level::Note,
    }
}

/// SARIF 2.1.0 with every rule drydock knows, so that `ruleIndex` is stable across files.
pub fn sarif(findings: &[Finding]) -> String {
    let rules: Vec<sarif::Rule> = RULES
        .iter()
        .map(|r| sarif::Rule {
            id: r.id.to_string(),
            name: Some(r.id.to_string()),
            short_description: sarif::Text::new(r.summary),
            full_description: None,
            help_uri: None,
            help: None,
            default_configuration: sarif::Configuration {
                level: sarif_level(r.severity),
            },
            properties: json!({"hadolint": r.hadolint, "buildkit": r.buildkit}),
        })
        .collect();
    let results: Vec<sarif::SarifResult> = findings
        .iter()
        .map(|f| sarif::SarifResult {
            rule_id: f.rule.to_string(),
            rule_index: RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
            level: sarif_level(f.severity),
            message: sarif::Text::new(f.message.clone()),
            locations: vec![sarif::Location::at(
                drydock_report::sarif_uri(&f.file),
                f.line,
                None,
                f.column,
            )],
            baseline_state: None,
            partial_fingerprints: Default::default(),
            properties: serde_json::Value::Null,
        })
        .collect();
    sarif::render(rules, results, None)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Checkstyle XML, one `<file>` per Dockerfile.
pub fn checkstyle(findings: &[Finding]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    let mut files: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
    files.dedup();
    for file in files {
        out.push_str(&format!("  <file name=\"{}\">\n", xml_escape(file)));
        for f in findings.iter().filter(|f| f.file == file) {
            out.push_str(&format!(
                "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"{}\"/>\n",
                f.line,
                f.column,
                match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info | Severity::Style => "info",
                },
                xml_escape(&f.message),
                xml_escape(&rule_label(f))
            ));
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

/// GitLab Code Quality (Code Climate) issues; the fingerprint is stable across runs.
pub fn gitlab(findings: &[Finding]) -> String {
    use sha2_free_fingerprint as fp;
    let issues: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({
                "description": format!("{}: {}", rule_label(f), f.message),
                "check_name": f.rule,
                "fingerprint": fp(&format!("{}:{}:{}:{}", f.file, f.line, f.rule, f.message)),
                "severity": match f.severity {
                    Severity::Error => "critical",
                    Severity::Warning => "major",
                    Severity::Info => "minor",
                    Severity::Style => "info",
                },
                "location": {"path": f.file, "lines": {"begin": f.line}},
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}

/// A 128-bit FNV-1a hash in hex: stable, dependency-free, enough to tell issues apart.
fn sha2_free_fingerprint(s: &str) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in s.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    format!("{h:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            rule: "apt-unpinned",
            hadolint: Some("DL3008"),
            severity: Severity::Warning,
            line: 3,
            column: 1,
            message: "pin versions: <curl>".into(),
            file: "Dockerfile".into(),
        }
    }

    #[test]
    fn every_format_carries_rule_line_and_message() {
        let f = [finding()];
        assert_eq!(
            tty(&f),
            "Dockerfile:3 apt-unpinned (DL3008) warning: pin versions: <curl>\n"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&f)).unwrap();
        assert_eq!(j["findings"][0]["hadolint"], "DL3008");
        let s: serde_json::Value = serde_json::from_str(&sarif(&f)).unwrap();
        assert_eq!(
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
        assert!(checkstyle(&f).contains("message=\"pin versions: &lt;curl&gt;\""));
        let g: serde_json::Value = serde_json::from_str(&gitlab(&f)).unwrap();
        assert_eq!(g[0]["location"]["lines"]["begin"], 3);
        assert_eq!(g[0]["fingerprint"].as_str().unwrap().len(), 32);
    }
}
