//! The stored advisory: a lean subset of an OSV record, plus the severity and per-package status
//! worked out once at import time.

pub use drydock_ecosystem::{Family, OsvEcosystem};
use drydock_version::osv::Affected;
use serde::{Deserialize, Serialize};

/// How bad a vulnerability is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No severity given.
    Unknown,
    /// Rated negligible by the distribution.
    Negligible,
    /// Low (CVSS below 4).
    Low,
    /// Medium (CVSS 4 to 6.9).
    Medium,
    /// High (CVSS 7 to 8.9).
    High,
    /// Critical (CVSS 9 and above).
    Critical,
}

impl Severity {
    /// The upper-case name (`HIGH`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Negligible => "NEGLIGIBLE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Words advisories use: GHSA's `MODERATE`, Debian urgencies, Ubuntu priorities.
    pub fn from_word(word: &str) -> Option<Severity> {
        Some(
            match word.trim().to_ascii_lowercase().trim_end_matches('*').trim() {
                "critical" => Severity::Critical,
                "high" | "important" => Severity::High,
                "medium" | "moderate" => Severity::Medium,
                "low" => Severity::Low,
                "negligible" | "unimportant" => Severity::Negligible,
                "unknown" | "not yet assigned" | "none" => Severity::Unknown,
                _ => return None,
            },
        )
    }

    /// CVSS qualitative rating for a base score.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::from_word(s)
            .ok_or_else(|| format!("unknown severity {s:?} (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)"))
    }
}

/// Vulnerability counts by severity. The derived order compares the most severe first
/// (critical, then high, …): fewer is better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Negligible and unknown.
    pub other: usize,
}

impl SeverityCounts {
    /// All of them.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.other
    }

    /// Counts one more of severity `s`.
    pub fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Negligible | Severity::Unknown => self.other += 1,
        }
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, o: &SeverityCounts) {
        self.critical += o.critical;
        self.high += o.high;
        self.medium += o.medium;
        self.low += o.low;
        self.other += o.other;
    }
}

/// A severity and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityInfo {
    /// The level.
    pub level: Severity,
    /// The CVSS base score, when a vector gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// Where the level came from: `advisory` (the record's own word) or `cvss`.
    pub source: String,
}

/// What the distribution says about a package that has no fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The distribution will not fix it in this release.
    WillNotFix,
    /// The distribution rates it as not worth fixing.
    Unimportant,
}

/// One package an advisory names, and which of its versions are affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem, release included: `Debian:12`, `Alpine:v3.19`, `PyPI`.
    pub ecosystem: OsvEcosystem,
    /// The package name as the ecosystem writes it.
    pub name: String,
    /// Nested, not flattened: a flattened field makes every record's decode buffer its map,
    /// which was a third of matching time.
    pub affected: Affected,
    /// What the distribution decided when there is no fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// The severity for this package, when it differs from the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityInfo>,
    /// The RPM module stream the fix applies to (`nodejs:18`), when the record names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The import source this entry came from, set by the store: one record id can hold
    /// entries from several sources (Alpine secdb publishes the same id in every branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `name:stream` of a module: a modularity label (`nodejs:18:8090020231005151149:a75119d5`) or
/// an advisory's module field reduced to what identifies the stream.
pub fn module_stream(label: &str) -> String {
    label.split(':').take(2).collect::<Vec<_>>().join(":")
}

/// A stored advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Its id (`CVE-…`, `DSA-…`, `GHSA-…`, `PYSEC-…`).
    pub id: String,
    /// Its other ids, upstream ids included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Its one-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// When the record last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// When it was first published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The record's severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityInfo>,
    /// The packages it affects.
    pub affected: Vec<AffectedPackage>,
    /// The import source it came from (a label such as `osv:Debian` or `secdb:v3.10/main`).
    pub source: String,
}
