//! `drydock audit`: what the built image itself gets wrong.
//!
//! The checks read what one streaming pass over the layers gathered, the same pass that
//! catalogs the packages: the final filesystem, every layer's own listing (what later layers
//! deleted is still shipped), the content probe's secret matches, and the image config and
//! history.
//!
//! * [`checks`]: configuration (user, health check, secrets in ENV/LABEL keys, volumes, base
//!   tag), history (update alone, ADD, sudo, upgrade, apk cache, apt lists), files (setuid,
//!   world-writable, users and groups, caches left behind), build tools.
//! * [`secrets`]: secret rules (`secrets.toml`) over every file of every layer.
//! * [`size`]: dive's efficiency and wasted bytes, and bytes each layer ships unseen.
//!
//! Where Dockle has a checkpoint for the same thing its code is the id (CIS-DI-…, DKL-…), so
//! Dockle users recognise them; drydock's own checks are `DD-…`. `docs/audit.md` lists them.

pub mod checks;
pub mod config;
pub mod secrets;
pub mod size;

use drydock_catalog::{IntroducedBy, Package};
use drydock_source::{Filesystem, Wants};
use serde::{Deserialize, Serialize};

/// Dockle's levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Fix before shipping.
    Fatal,
    /// Should be fixed.
    Warn,
    /// Worth a look.
    Info,
}

impl Level {
    /// The upper-case name Dockle prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Fatal => "FATAL",
            Level::Warn => "WARN",
            Level::Info => "INFO",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        match s.to_ascii_lowercase().as_str() {
            "fatal" => Ok(Level::Fatal),
            "warn" | "warning" => Ok(Level::Warn),
            "info" => Ok(Level::Info),
            _ => Err(format!("{s}: expected fatal, warn or info")),
        }
    }
}

/// One finding of the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check's stable id (`CIS-DI-0001`, `DD-SECRET/private-key`).
    pub id: String,
    /// How much it matters.
    pub level: Level,
    /// The check's one-line title.
    pub title: String,
    /// What exactly was found, for people.
    pub detail: String,
    /// The file it is about, as an absolute image path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The layer that holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The package that owns what was found (a build tool's package).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The build step behind the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced_by: Option<IntroducedBy>,
}

/// What the audit reads besides the filesystem.
pub struct Input<'a> {
    /// The merged filesystem, with each layer's listing.
    pub fs: &'a Filesystem,
    /// The inventory's packages.
    pub packages: &'a [Package],
    /// The origin of each layer, by index.
    pub layers: &'a [IntroducedBy],
    /// The image configuration.
    pub config: Config<'a>,
    /// The history's `created_by`, each with the layer it made (if any).
    pub history: Vec<(Option<usize>, String)>,
    /// The reference the image was read by (`oci:dir:latest`, `docker://…:tag`).
    pub reference: &'a str,
    /// The final stage's `FROM`, when a Dockerfile was given.
    pub base: Option<String>,
}

/// The image config fields the checks read.
pub struct Config<'a> {
    /// `User`.
    pub user: Option<&'a str>,
    /// `Env`.
    pub env: &'a [String],
    /// `Labels`.
    pub labels: &'a std::collections::BTreeMap<String, String>,
    /// `Volumes`.
    pub volumes: &'a [String],
    /// `Healthcheck.Test`.
    pub healthcheck: Option<&'a [String]>,
}

/// Dive's CI thresholds; a figure past one is a finding.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// The lowest efficiency accepted (0 to 1).
    pub lowest_efficiency: Option<f64>,
    /// The most wasted bytes accepted.
    pub highest_wasted_bytes: Option<u64>,
    /// The largest share of wasted bytes in the image's own layers accepted (0 to 1).
    pub highest_user_wasted_percent: Option<f64>,
}

impl Default for Thresholds {
    /// dive's defaults: efficiency at least 0.9, user wasted percent at most 0.1.
    fn default() -> Self {
        Thresholds {
            lowest_efficiency: Some(0.9),
            highest_wasted_bytes: None,
            highest_user_wasted_percent: Some(0.1),
        }
    }
}

/// An audit's findings and size figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// dive's figures.
    pub size: size::SizeReport,
}

/// What the layer pass must gather for an audit, on top of `base` (the catalog's wants).
pub fn wants(mut base: Wants) -> Wants {
    for f in checks::FILES {
        base.add(f);
    }
    base.content_probe = Some(secrets::probe());
    base.listings = true;
    base.all_entries = true;
    base
}

/// Runs every check.
pub fn audit(input: &Input, thresholds: &Thresholds) -> Report {
    let size = size::analyze(input.fs);
    let mut findings = Vec::new();
    checks::configuration(input, &mut findings);
    checks::history(input, &mut findings);
    let owners = checks::Owners::of(input);
    checks::files(input, &owners, &mut findings);
    checks::build_tools(input, &owners, &mut findings);
    for s in secrets::find(input.fs) {
        findings.push(Finding {
            id: format!("DD-SECRET/{}", s.rule),
            level: s.level,
            title: s.title.clone(),
            detail: match (&s.excerpt, s.line) {
                (Some(e), Some(line)) => format!(
                    "{} line {line}: {e}{}",
                    s.path,
                    if s.visible {
                        ""
                    } else {
                        " (deleted or replaced by a later layer, still shipped)"
                    }
                ),
                _ => format!(
                    "{}{}",
                    s.path,
                    if s.visible {
                        ""
                    } else {
                        " (deleted or replaced by a later layer, still shipped)"
                    }
                ),
            },
            path: Some(s.path),
            layer: Some(s.layer),
            package: None,
            introduced_by: input.layers.get(s.layer).cloned(),
        });
    }
    checks::size(&size, thresholds, input, &mut findings);
    findings.sort_by(|a, b| (a.level, &a.id, a.layer, &a.path).cmp(&(b.level, &b.id, b.layer, &b.path)));
    Report { findings, size }
}
