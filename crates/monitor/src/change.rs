//! A change to an image's findings between two checks, and the webhook body that carries a
//! batch of them. A leaf: the store and the checks both build on it.

use drydock_matcher::Finding;
use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};

/// How a finding changed between two checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A finding the image did not have at the previous check.
    Added,
    /// Still there, with another severity or fix.
    Changed,
    /// Gone: the data withdrew or corrected it.
    Removed,
}

impl ChangeKind {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One finding's change, with the finding as it is now (or was, when removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Added, changed or removed.
    pub kind: ChangeKind,
    /// The finding's identity in this image: its vulnerability and its package's purl.
    pub key: String,
    /// The finding now (the previous one for `removed`).
    pub finding: Finding,
    /// The severity and fix before, for `changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<drydock_baseline::Previous>,
}

/// The identity of a finding inside one snapshot: the vulnerability as the baseline
/// fingerprints it (the lowest CVE among its ids) and the package instance.
pub fn finding_key(f: &Finding) -> String {
    format!(
        "{}|{}",
        drydock_baseline::Fingerprint::of(f).vulnerability,
        f.package.purl
    )
}

/// Changes one webhook body carries at most.
pub const MAX_PAYLOAD_CHANGES: usize = 1000;

/// The body a webhook receives for one image's changes: drydock's JSON, or a Slack-compatible
/// message (`format = "slack"`).
pub fn payload(
    format: &str,
    image_id: i64,
    name: &str,
    digest: &str,
    generation: &str,
    changes: &[&Change],
) -> String {
    if format == "slack" {
        let mut lines = vec![format!(
            "*drydock*: {} ({}) — {} change(s) after advisory update {}",
            name,
            drydock_source::digest::short(digest),
            changes.len(),
            generation
        )];
        for c in changes.iter().take(20) {
            let f = &c.finding;
            let fix = f
                .fixed_version
                .as_deref()
                .map(|v| format!(", fixed in {v}"))
                .unwrap_or_default();
            lines.push(format!(
                "• {} {} in {} {} ({}{fix})",
                c.kind.as_str(),
                f.cve(),
                f.package.name,
                f.package.version,
                f.severity.as_str()
            ));
        }
        if changes.len() > 20 {
            lines.push(format!("… and {} more", changes.len() - 20));
        }
        return serde_json::json!({ "text": lines.join("\n") }).to_string();
    }
    serde_json::json!({
        "event": "drydock.findings.changed",
        "generation": generation,
        "image": { "id": image_id, "name": name, "digest": digest },
        // One image's body stays bounded whatever an update does: the rest are at
        // `/v1/changes`.
        "changes": changes.iter().take(MAX_PAYLOAD_CHANGES).collect::<Vec<_>>(),
        "more": changes.len().saturating_sub(MAX_PAYLOAD_CHANGES),
    })
    .to_string()
}

/// Highest severity among `added` and `changed` changes, for `--fail-on`.
pub fn worst_new(changes: &[Change]) -> Option<Severity> {
    changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Removed)
        .map(|c| c.finding.severity)
        .max()
}
