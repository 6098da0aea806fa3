//! `drydock compare A B`: two images side by side — packages added, removed and changed,
//! findings new, fixed and unchanged, layer sizes, and whether the base layers changed. The
//! markdown form is meant to be posted as a pull-request comment.

use std::collections::BTreeMap;

use drydock_baseline::{Comparison, State};
use drydock_catalog::{Package, PackageType};
use drydock_matcher::Finding;
use serde::{Deserialize, Serialize};

use crate::{ImageSummary, SCHEMA_VERSION, TOOL_NAME, TOOL_VERSION, Tool};

/// A package added, removed or changed between two images.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageChange {
    /// Its type.
    pub ecosystem: PackageType,
    /// Its name.
    pub name: String,
    /// Versions before (empty when added) and after (empty when removed).
    pub before: Vec<String>,
    /// Versions after.
    pub after: Vec<String>,
    /// The layer of the package in the second image, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// Packages that differ.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PackageDiff {
    /// Only in the second image.
    pub added: Vec<PackageChange>,
    /// Only in the first.
    pub removed: Vec<PackageChange>,
    /// In both, at other versions.
    pub changed: Vec<PackageChange>,
}

/// Findings that differ, and those that do not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FindingDiff {
    /// In the second image only.
    pub new: Vec<Finding>,
    /// In the first image only: fixed by the change.
    pub fixed: Vec<Finding>,
    /// In both, severity and fix alike.
    pub unchanged: Vec<Finding>,
    /// In both, with a higher severity or another fix in the second.
    pub updated: Vec<Finding>,
}

/// What the layers say about the change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerDiff {
    /// Layers both images start with (same diff_ids): the shared base.
    pub shared: usize,
    /// The first image's compressed size.
    pub before_bytes: u64,
    /// The second's.
    pub after_bytes: u64,
    /// No layer in common from the start: the base changed (or the images are unrelated). With
    /// layers in common, which of them are the base is for base-image detection to tell.
    pub base_changed: bool,
}

/// What `drydock compare --format json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareDocument {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// drydock and its version.
    pub tool: Tool,
    /// The first image.
    pub before: ImageSummary,
    /// The second.
    pub after: ImageSummary,
    /// Packages.
    pub packages: PackageDiff,
    /// Findings.
    pub findings: FindingDiff,
    /// Layers.
    pub layers: LayerDiff,
}

fn versions(packages: &[Package]) -> BTreeMap<(PackageType, String), (Vec<String>, Option<usize>)> {
    let mut out: BTreeMap<(PackageType, String), (Vec<String>, Option<usize>)> = BTreeMap::new();
    for p in packages {
        let e = out.entry((p.ecosystem, p.name.clone())).or_default();
        if !e.0.contains(&p.version) {
            e.0.push(p.version.clone());
            e.0.sort();
        }
        e.1 = e.1.or(p.layer);
    }
    out
}

impl CompareDocument {
    /// `comparison` holds the second image's findings against the first's.
    pub fn new(
        before: (ImageSummary, &[Package]),
        after: (ImageSummary, &[Package]),
        after_findings: &[Finding],
        comparison: Comparison,
    ) -> Self {
        let (b, a) = (versions(before.1), versions(after.1));
        let mut packages = PackageDiff::default();
        for (key, (vb, _)) in &b {
            match a.get(key) {
                None => packages.removed.push(PackageChange {
                    ecosystem: key.0,
                    name: key.1.clone(),
                    before: vb.clone(),
                    after: Vec::new(),
                    layer: None,
                }),
                Some((va, layer)) if va != vb => packages.changed.push(PackageChange {
                    ecosystem: key.0,
                    name: key.1.clone(),
                    before: vb.clone(),
                    after: va.clone(),
                    layer: *layer,
                }),
                Some(_) => {}
            }
        }
        for (key, (va, layer)) in &a {
            if !b.contains_key(key) {
                packages.added.push(PackageChange {
                    ecosystem: key.0,
                    name: key.1.clone(),
                    before: Vec::new(),
                    after: va.clone(),
                    layer: *layer,
                });
            }
        }
        let mut findings = FindingDiff {
            fixed: comparison.absent,
            ..Default::default()
        };
        for (f, j) in after_findings.iter().zip(&comparison.judgements) {
            match j.state {
                State::New => findings.new.push(f.clone()),
                State::Unchanged => findings.unchanged.push(f.clone()),
                State::Updated => findings.updated.push(f.clone()),
            }
        }
        let ids = |s: &ImageSummary| s.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>();
        let (lb, la) = (ids(&before.0), ids(&after.0));
        let shared = lb
            .iter()
            .zip(&la)
            .take_while(|(x, y)| x.is_some() && x == y)
            .count();
        let bytes = |s: &ImageSummary| s.layers.iter().filter_map(|l| l.size).sum();
        let layers = LayerDiff {
            shared,
            before_bytes: bytes(&before.0),
            after_bytes: bytes(&after.0),
            base_changed: shared == 0 && !lb.is_empty() && !la.is_empty(),
        };
        CompareDocument {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME.into(),
                version: TOOL_VERSION.into(),
            },
            before: before.0,
            after: after.0,
            packages,
            findings,
            layers,
        }
    }
}

/// drydock's JSON.
pub fn json(doc: &CompareDocument) -> String {
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}

fn versions_text(v: &[String]) -> String {
    if v.is_empty() { "—".into() } else { v.join(", ") }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn signed_mb(after: u64, before: u64) -> String {
    let d = after as f64 - before as f64;
    format!(
        "{}{:.1} MB",
        if d >= 0.0 { "+" } else { "−" },
        d.abs() / 1_000_000.0
    )
}

/// The terminal form.
pub fn table(doc: &CompareDocument) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Before: {}\nAfter:  {}\n\n",
        doc.before.name, doc.after.name
    ));
    let f = &doc.findings;
    out.push_str(&format!(
        "Vulnerabilities: {} new, {} fixed, {} unchanged, {} updated\n",
        f.new.len(),
        f.fixed.len(),
        f.unchanged.len(),
        f.updated.len()
    ));
    let p = &doc.packages;
    out.push_str(&format!(
        "Packages: {} added, {} removed, {} changed\n",
        p.added.len(),
        p.removed.len(),
        p.changed.len()
    ));
    let l = &doc.layers;
    out.push_str(&format!(
        "Size: {} → {} ({}); {} shared layer(s){}\n",
        mb(l.before_bytes),
        mb(l.after_bytes),
        signed_mb(l.after_bytes, l.before_bytes),
        l.shared,
        if l.base_changed {
            "; the base layers changed"
        } else {
            ""
        }
    ));
    for (title, list) in [
        ("New vulnerabilities", &f.new),
        ("Fixed vulnerabilities", &f.fixed),
        ("Updated vulnerabilities", &f.updated),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        for x in list {
            out.push_str(&format!(
                "  {:<9} {:<22} {} {}{}\n",
                x.severity.as_str(),
                x.id,
                x.package.name,
                x.package.version,
                x.fixed_version
                    .as_ref()
                    .map(|v| format!(" (fixed in {v})"))
                    .unwrap_or_default()
            ));
        }
    }
    for (title, list) in [
        ("Added packages", &p.added),
        ("Removed packages", &p.removed),
        ("Changed packages", &p.changed),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        for c in list {
            out.push_str(&format!(
                "  {:<8} {} {} → {}\n",
                c.ecosystem.as_str(),
                c.name,
                versions_text(&c.before),
                versions_text(&c.after)
            ));
        }
    }
    out
}

/// Markdown text can carry anything an image or a database put in a name: keep it inert.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The pull-request comment form.
pub fn markdown(doc: &CompareDocument) -> String {
    let f = &doc.findings;
    let p = &doc.packages;
    let l = &doc.layers;
    let mut out = String::from("### drydock: image comparison\n\n");
    out.push_str(&format!(
        "`{}` → `{}`\n\n",
        md(&doc.before.name),
        md(&doc.after.name)
    ));
    out.push_str("| | count |\n|---|---|\n");
    out.push_str(&format!("| new vulnerabilities | **{}** |\n", f.new.len()));
    out.push_str(&format!("| fixed vulnerabilities | {} |\n", f.fixed.len()));
    out.push_str(&format!(
        "| unchanged vulnerabilities | {} |\n",
        f.unchanged.len() + f.updated.len()
    ));
    out.push_str(&format!(
        "| packages added / removed / changed | {} / {} / {} |\n",
        p.added.len(),
        p.removed.len(),
        p.changed.len()
    ));
    out.push_str(&format!(
        "| size | {} → {} ({}) |\n",
        mb(l.before_bytes),
        mb(l.after_bytes),
        signed_mb(l.after_bytes, l.before_bytes)
    ));
    out.push_str(&format!(
        "| base layers | {} shared{} |\n",
        l.shared,
        if l.base_changed {
            ": none in common, the base changed"
        } else {
            ""
        }
    ));
    let findings_table = |out: &mut String, title: &str, list: &[Finding]| {
        if list.is_empty() {
            return;
        }
        out.push_str(&format!("\n#### {title}\n\n| severity | advisory | package | version | fixed in |\n|---|---|---|---|---|\n"));
        for x in list {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                x.severity.as_str(),
                md(&x.id),
                md(&x.package.name),
                md(&x.package.version),
                md(x.fixed_version.as_deref().unwrap_or("no fix yet"))
            ));
        }
    };
    findings_table(&mut out, "New vulnerabilities", &f.new);
    findings_table(&mut out, "Fixed vulnerabilities", &f.fixed);
    findings_table(&mut out, "Updated vulnerabilities", &f.updated);
    let changes = [
        ("added", &p.added),
        ("removed", &p.removed),
        ("changed", &p.changed),
    ];
    if changes.iter().any(|(_, l)| !l.is_empty()) {
        out.push_str("\n<details><summary>Package changes</summary>\n\n| change | ecosystem | package | before | after |\n|---|---|---|---|---|\n");
        for (what, list) in changes {
            for c in list.iter() {
                out.push_str(&format!(
                    "| {what} | {} | {} | {} | {} |\n",
                    c.ecosystem.as_str(),
                    md(&c.name),
                    md(&versions_text(&c.before)),
                    md(&versions_text(&c.after))
                ));
            }
        }
        out.push_str("\n</details>\n");
    }
    out
}
