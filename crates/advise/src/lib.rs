//! The cheapest fix for each finding.
//!
//! * `rebuild`: an OS package the image's own layers installed, whose fixed version the archive
//!   the image installs from (its own apt sources or apk repositories) already publishes. A
//!   rebuild without cache picks it up.
//! * `base-image`: the package came with the base image's layers; refresh or update the base.
//! * `upgrade`: a language package, or an OS package pinned in the Dockerfile, with a fixed
//!   version: change the pin, the lock file or the requirement.
//! * `no-fix`: no fixed version is published for it, or not yet in the suites the image
//!   installs from.
//! * `unknown`: the database has no index of the archive the image installs from; a warning
//!   names what to import. Nothing is guessed.
//!
//! Archive facts come from the indexes `drydock db update --distro` or `db import` stored.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use drydock_catalog::{Distro, IntroducedBy, Package, PackageSource};
use drydock_matcher::{Finding, Status};
use drydock_version::Scheme;
use drydock_vulndb::Store;
use drydock_vulndb::archive::Published;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
/// The cheapest way a finding goes away.
pub enum FixClass {
    /// The archive already publishes the fix: rebuilding the image installs it.
    Rebuild,
    /// The package came with the base image: a newer base brings the fix.
    BaseImage,
    /// A fixed version exists but the build pins or vendors the package: change the version.
    Upgrade,
    /// No fixed version is published yet.
    NoFix,
    /// The database lacks what it takes to tell (no archive index for the image's suites).
    Unknown,
}

impl FixClass {
    /// Every class, in the order reports list them.
    pub const ALL: [FixClass; 5] = [
        FixClass::Rebuild,
        FixClass::BaseImage,
        FixClass::Upgrade,
        FixClass::NoFix,
        FixClass::Unknown,
    ];

    /// The name the JSON and `--fix-class` use (`rebuild`, `base-image`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FixClass::Rebuild => "rebuild",
            FixClass::BaseImage => "base-image",
            FixClass::Upgrade => "upgrade",
            FixClass::NoFix => "no-fix",
            FixClass::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for FixClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        FixClass::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "{s}: not a fix class (one of {})",
                    FixClass::ALL.map(FixClass::as_str).join(", ")
                )
            })
    }
}

impl std::fmt::Display for FixClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding's fix: its class and the concrete action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// Which kind of fix.
    pub class: FixClass,
    /// What to do, in one sentence.
    pub action: String,
    /// The version the fix installs: what a rebuild gets from the archive, or the version to
    /// upgrade to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The archive suite that publishes it (`debian:bookworm-security`), for a rebuild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
}

/// What the advice needs of the image besides its findings.
pub struct Image<'a> {
    /// The image's OS, which names the archive suites.
    pub distro: Option<&'a Distro>,
    /// Its packages, with the layers and Dockerfile lines they came from.
    pub packages: &'a [Package],
    /// The apt sources and apk repositories the image installs from.
    pub package_sources: &'a [PackageSource],
}

/// The fix for each finding, in order, and the warnings for archives the database lacks.
pub struct Advice {
    /// One fix per finding, in the findings' order.
    pub fixes: Vec<Fix>,
    /// Archives the database has no index for, said once each.
    pub warnings: Vec<String>,
}

/// Classifies every finding.
pub fn advise(findings: &[Finding], image: &Image, store: &Store) -> Advice {
    let by_purl: HashMap<&str, &Package> = image.packages.iter().map(|p| (p.purl.as_str(), p)).collect();
    let archive = ArchiveView::new(image, store);
    let mut missing = BTreeSet::new();
    let fixes = findings
        .iter()
        .map(|f| {
            let package = by_purl.get(f.package.purl.as_str()).copied();
            classify(f, package, &archive, &mut missing)
        })
        .collect();
    let warnings = missing
        .into_iter()
        .map(|m: String| {
            format!(
                "no archive index for {m}: fix classes of its packages are unknown; {}",
                archive.hint()
            )
        })
        .collect();
    Advice { fixes, warnings }
}

/// The archive suites the image installs from, as the database knows them.
struct ArchiveView<'a> {
    store: &'a Store,
    /// `debian`, `ubuntu`, `alpine`.
    distro: Option<String>,
    version: Option<String>,
    suites: Vec<String>,
    /// Suites of the image's sources the database holds an index of.
    known: BTreeSet<String>,
}

impl<'a> ArchiveView<'a> {
    fn new(image: &Image, store: &'a Store) -> ArchiveView<'a> {
        let distro = image.distro.map(|d| d.id.clone());
        let mut suites: Vec<String> = Vec::new();
        for s in image.package_sources {
            if !suites.contains(&s.suite) {
                suites.push(s.suite.clone());
            }
        }
        // An unreadable index table reads as "no index": every class that needs one says
        // `unknown` and the warning names the release, so nothing is silently wrong.
        let parts = store.archive_parts().unwrap_or_default();
        let known = parts
            .iter()
            .filter(|p| Some(&p.distro) == distro.as_ref() && suites.contains(&p.suite))
            .map(|p| p.suite.clone())
            .collect();
        ArchiveView {
            store,
            distro,
            version: image.distro.and_then(|d| d.version_id.clone()),
            suites,
            known,
        }
    }

    fn hint(&self) -> String {
        match (&self.distro, &self.version) {
            (Some(d), Some(v)) if d == "alpine" => format!(
                "run `drydock db update --distro alpine:{} --alpine-mirror URL`",
                v.split('.').take(2).collect::<Vec<_>>().join(".")
            ),
            (Some(d), Some(v)) => format!("run `drydock db update --distro {d}:{v} --{d}-mirror URL`"),
            _ => "import the archive's indexes with `drydock db import`".to_string(),
        }
    }

    /// The newest publication of binary package `name` across the image's suites.
    fn newest(&self, name: &str, scheme: Scheme) -> Option<(String, Published)> {
        let distro = self.distro.as_deref()?;
        let mut best: Option<(String, Published)> = None;
        for suite in self.suites.iter().filter(|s| self.known.contains(*s)) {
            for (_, value) in self
                .store
                .archive_versions(distro, suite, name)
                .unwrap_or_default()
            {
                let published = Published::decode(&value);
                let newer = match &best {
                    None => true,
                    Some((_, b)) => scheme
                        .compare(&published.version, &b.version)
                        .is_ok_and(|o| o.is_gt()),
                };
                if newer {
                    best = Some((suite.clone(), published));
                }
            }
        }
        best
    }
}

fn classify(
    finding: &Finding,
    package: Option<&Package>,
    archive: &ArchiveView,
    missing: &mut BTreeSet<String>,
) -> Fix {
    let name = &finding.package.name;
    let introduced = package.and_then(|p| p.introduced_by.as_deref());
    let fixed = match (&finding.status, &finding.fixed_version) {
        (Status::Fixed, Some(v)) => v.clone(),
        (status, _) => {
            return Fix {
                class: FixClass::NoFix,
                action: format!(
                    "no fixed version of {name} is published ({})",
                    status.as_str().replace('_', " ")
                ),
                version: None,
                suite: None,
            };
        }
    };
    if let Some(i) = introduced
        && i.base_image == Some(true)
    {
        return Fix {
            class: FixClass::BaseImage,
            action: format!(
                "{name} came with the base image (layer {}): pull a refreshed base image or move to a newer tag; fixed in {fixed}",
                i.layer
            ),
            version: Some(fixed),
            suite: None,
        };
    }
    let line = introduced.and_then(dockerfile_line);
    let instruction = introduced
        .and_then(|i| {
            i.dockerfile
                .as_ref()
                .map(|d| d.instruction.clone())
                .or(i.created_by.clone())
        })
        .unwrap_or_default();
    let Some(scheme) = Some(finding.package.ecosystem)
        .filter(|t| t.is_os())
        .and_then(|t| t.scheme())
    else {
        let pin = find_pin(&instruction, name, &finding.package.version);
        let action = match (&pin, &line) {
            (Some(pin), Some(line)) => format!("change `{pin}` at {line} to {fixed}"),
            (Some(pin), None) => format!("change `{pin}` to {fixed} where the image installs it"),
            (None, _) => {
                let file = package
                    .and_then(|p| p.locations.first().cloned())
                    .map(|l| format!(" (found at {l})"))
                    .unwrap_or_default();
                format!("upgrade {name} to {fixed} in the project's requirements or lock file{file}")
            }
        };
        return Fix {
            class: FixClass::Upgrade,
            action,
            version: Some(fixed),
            suite: None,
        };
    };
    if let Some(pin) = find_pin(&instruction, name, &finding.package.version) {
        return Fix {
            class: FixClass::Upgrade,
            action: match &line {
                Some(line) => {
                    format!("{name} is pinned by `{pin}` at {line}: change the pin to {fixed} or later")
                }
                None => format!("{name} is pinned by `{pin}`: change the pin to {fixed} or later"),
            },
            version: Some(fixed),
            suite: None,
        };
    }
    let distro = archive.distro.clone().unwrap_or_else(|| "unknown".into());
    if archive.suites.is_empty() || archive.known.is_empty() || scheme == Scheme::Rpm {
        let what = if scheme == Scheme::Rpm {
            format!("{distro} (rpm archives are not indexed yet)")
        } else if archive.suites.is_empty() {
            format!("{distro}: the image names no package sources")
        } else {
            format!("{distro}:{}", archive.suites.join(", "))
        };
        missing.insert(what);
        return Fix {
            class: FixClass::Unknown,
            action: format!("upgrade {name} to {fixed}; no archive data tells whether a rebuild gets it"),
            version: Some(fixed),
            suite: None,
        };
    }
    let partial: Vec<&String> = archive
        .suites
        .iter()
        .filter(|s| !archive.known.contains(*s))
        .collect();
    if !partial.is_empty() {
        missing.insert(format!(
            "{distro}:{}",
            partial.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    match archive.newest(name, scheme) {
        None => Fix {
            class: FixClass::Unknown,
            action: format!(
                "{name} is in none of the archive suites the image installs from ({}); fixed in {fixed}",
                archive.known.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            version: Some(fixed),
            suite: None,
        },
        Some((suite, published)) => {
            // Advisories of Debian and Alpine name the source package's version.
            let reaches = scheme
                .compare(&published.source_version, &fixed)
                .is_ok_and(|o| o.is_ge());
            if reaches {
                Fix {
                    class: FixClass::Rebuild,
                    action: format!(
                        "rebuild without cache{}: {distro}:{suite} publishes {name} {}",
                        line.map(|l| format!(" ({l} installs it)")).unwrap_or_default(),
                        published.version
                    ),
                    version: Some(published.version),
                    suite: Some(format!("{distro}:{suite}")),
                }
            } else {
                Fix {
                    class: FixClass::NoFix,
                    action: format!(
                        "fixed in {fixed}, not yet in the suites the image installs from (newest there: {} in {distro}:{suite})",
                        published.version
                    ),
                    version: None,
                    suite: None,
                }
            }
        }
    }
}

fn dockerfile_line(i: &IntroducedBy) -> Option<String> {
    i.dockerfile.as_ref().map(|d| format!("{}:{}", d.path, d.line))
}

/// The word of an install command that pins `name` to `version`: `jinja2==2.11.2`,
/// `lodash@4.17.15`, `curl=7.88.1-10` (apt and apk), case-insensitively for the name.
pub fn find_pin(instruction: &str, name: &str, version: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let normalized = |s: &str| s.to_ascii_lowercase().replace(['_', '.'], "-");
    for word in instruction.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|') {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        for sep in ["==", "===", "@", "="] {
            let Some((n, v)) = word.rsplit_once(sep) else {
                continue;
            };
            let n = n.trim_end_matches('=');
            // `name[extra]==v` for pip.
            let n = n.split('[').next().unwrap_or(n);
            if (n.eq_ignore_ascii_case(&lower) || normalized(n) == normalized(name))
                && !v.is_empty()
                && v == version
            {
                return Some(word.to_string());
            }
        }
    }
    None
}

/// Counts per class, for the summary line.
pub fn counts(fixes: &[Fix]) -> BTreeMap<FixClass, usize> {
    let mut out = BTreeMap::new();
    for f in fixes {
        *out.entry(f.class).or_insert(0) += 1;
    }
    out
}

/// "Of 31 findings: 7 are fixed by a rebuild; 12 need a newer base image; 9 have no fix yet."
pub fn summary(fixes: &[Fix]) -> Option<String> {
    if fixes.is_empty() {
        return None;
    }
    let counts = counts(fixes);
    let mut parts = Vec::new();
    for class in FixClass::ALL {
        let Some(&n) = counts.get(&class) else { continue };
        let phrase = match class {
            FixClass::Rebuild => format!("{n} {} fixed by a rebuild", if n == 1 { "is" } else { "are" }),
            FixClass::BaseImage => {
                format!("{n} {} a newer base image", if n == 1 { "needs" } else { "need" })
            }
            FixClass::Upgrade => format!("{n} {} an upgrade", if n == 1 { "needs" } else { "need" }),
            FixClass::NoFix => format!("{n} {} no fix yet", if n == 1 { "has" } else { "have" }),
            FixClass::Unknown => format!("{n} cannot be classed without archive data"),
        };
        parts.push(phrase);
    }
    Some(format!(
        "Of {} finding{}: {}.",
        fixes.len(),
        if fixes.len() == 1 { "" } else { "s" },
        parts.join("; ")
    ))
}

#[cfg(test)]
mod tests;
