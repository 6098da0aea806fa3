//! Inventory × advisories → findings, with each distribution's matching rules:
//!
//! * Debian and Ubuntu: advisories name **source** packages, so a binary package is matched by
//!   its `Source:` name and the source version (a binNMU `+b1` is not a different source).
//! * Alpine: advisories name the **origin** package.
//! * RPM distributions: the full EVR; an epoch absent from the package header is unknown, not
//!   0, so it takes the advisory's epoch rather than making every `1:` fix look newer; a package
//!   from a module stream (`nodejs:18`) matches only advisories for that stream.
//! * Language packages match their ecosystem's advisories — unless an OS package owns them, in
//!   which case only the OS advisories apply (no PyPI false positives for backported fixes).
//!
//! Each finding carries a status: `fixed` (with the version), `affected` (no fix yet), or the
//! distribution's `will_not_fix` / `unimportant`.

use std::collections::BTreeMap;

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_version::Scheme;
use drydock_version::osv::{Affected, Event, Range, evaluate};
use drydock_vulndb::model::OsvEcosystem;
use drydock_vulndb::{Advisory, Disposition, Severity, Store};
use serde::{Deserialize, Serialize};

/// Why matching stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The advisory store could not be read.
    #[error(transparent)]
    Db(#[from] drydock_vulndb::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Where a finding stands with its distribution or ecosystem.
pub enum Status {
    /// A fixed version is published.
    Fixed,
    /// Affected, with no fix yet.
    Affected,
    /// The distribution decided not to fix it (in this release).
    WillNotFix,
    /// The distribution rates it as not worth a fix (Debian's `unimportant`).
    Unimportant,
}

impl Status {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::Affected => "affected",
            Status::WillNotFix => "will_not_fix",
            Status::Unimportant => "unimportant",
        }
    }
}

/// The installed package a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageRef {
    /// Its name, as installed.
    pub name: String,
    /// Its version, as installed.
    pub version: String,
    /// Its type.
    pub ecosystem: PackageType,
    /// Its package URL.
    pub purl: String,
}

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The primary advisory: the one whose fix is reported, else the lowest id.
    pub id: String,
    /// Other ids of the primary advisory (CVE, GHSA…).
    pub aliases: Vec<String>,
    /// Every advisory folded into this finding, the primary `id` included, sorted. Advisories
    /// for one package fold when they share an id or alias (a DSA that supersedes another).
    #[serde(default)]
    pub advisories: Vec<String>,
    /// The primary advisory's one-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The affected package.
    pub package: PackageRef,
    /// The highest severity among the folded advisories.
    pub severity: Severity,
    /// The CVSS base score behind the severity, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Fixed, affected, will not fix, unimportant.
    pub status: Status,
    /// The lowest version that fixes every folded advisory.
    pub fixed_version: Option<String>,
    /// The layer that installed the package.
    pub layer: Option<usize>,
    /// How it matched, for people checking a finding: the advisory ecosystem, the name and
    /// version looked up.
    pub matched: MatchedOn,
}

/// What a finding was looked up by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedOn {
    /// The OSV ecosystem of the advisory entry that matched.
    pub ecosystem: OsvEcosystem,
    /// The name looked up (a Debian binary package's source name, an Alpine origin).
    pub name: String,
    /// The version compared (the source version for Debian).
    pub version: String,
}

impl Finding {
    /// The CVE id when the finding has one (its id or an alias), else its id.
    pub fn cve(&self) -> &str {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .find(|a| a.starts_with("CVE-"))
            .unwrap_or(&self.id)
    }
}

/// An inventory's findings, and what could not be checked.
#[derive(Debug, Default)]
pub struct MatchReport {
    /// Sorted by severity (highest first), package and id.
    pub findings: Vec<Finding>,
    /// Packages or advisories that could not be checked, and why.
    pub warnings: Vec<String>,
}

/// One package's findings and warnings.
type PackageMatch = (Vec<Finding>, Vec<String>);

/// What to look up for one package.
struct Query {
    ecosystems: Vec<OsvEcosystem>,
    name: String,
    version: String,
    scheme: Scheme,
    /// rpm without an EPOCH tag: compare ignoring epochs.
    epoch_unknown: bool,
}

/// The OSV ecosystems of an image's OS packages, worked out once per inventory: empty when the
/// distribution has none, `None` for an unidentified OS.
fn os_ecosystems(distro: Option<&Distro>) -> Option<Vec<OsvEcosystem>> {
    let distro = distro?;
    Some(
        drydock_ecosystem::distribution(&distro.id)
            .map(|d| d.osv_ecosystems(distro.version_id.as_deref()))
            .unwrap_or_default(),
    )
}

/// The look-up for one package: OS packages in their distribution release's ecosystems `os`
/// (none when the distribution has none), language packages in their ecosystem. `None` for what
/// drydock cannot look up at all (an OS package on an unidentified OS, a bare runtime).
fn query(p: &Package, os: Option<&[OsvEcosystem]>) -> Option<Query> {
    let scheme = p.ecosystem.scheme()?;
    if p.ecosystem.is_os() {
        let ecosystems = os?.to_vec();
        // Debian and Ubuntu advisories name source packages at the source version; Alpine's
        // name the origin at the package's own version; rpm's the binary package.
        let (name, version) = match p.ecosystem {
            PackageType::Deb => (
                p.source_name.clone().unwrap_or_else(|| p.name.clone()),
                p.source_version.clone().unwrap_or_else(|| p.version.clone()),
            ),
            PackageType::Apk => (
                p.source_name.clone().unwrap_or_else(|| p.name.clone()),
                p.version.clone(),
            ),
            _ => (p.name.clone(), p.version.clone()),
        };
        return Some(Query {
            ecosystems,
            name,
            version,
            scheme,
            epoch_unknown: p.ecosystem == PackageType::Rpm && p.epoch.is_none(),
        });
    }
    Some(Query {
        ecosystems: vec![p.ecosystem.osv_ecosystem()?],
        name: p.name.clone(),
        version: p.version.clone(),
        scheme,
        epoch_unknown: false,
    })
}

fn strip_epoch(v: &str) -> String {
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => rest.to_string(),
        _ => v.to_string(),
    }
}

fn without_epochs(a: &Affected) -> Affected {
    let strip = |e: &Event| match e {
        Event::Introduced(v) => Event::Introduced(strip_epoch(v)),
        Event::Fixed(v) => Event::Fixed(strip_epoch(v)),
        Event::LastAffected(v) => Event::LastAffected(strip_epoch(v)),
        Event::Limit(v) => Event::Limit(strip_epoch(v)),
    };
    Affected {
        versions: a.versions.iter().map(|v| strip_epoch(v)).collect(),
        ranges: a
            .ranges
            .iter()
            .map(|r| Range {
                kind: r.kind.clone(),
                events: r.events.iter().map(strip).collect(),
            })
            .collect(),
    }
}

/// The store keys ([`drydock_vulndb::package_key`]) each package is looked up under, by index
/// into `inventory.packages`: what a stored inventory is re-matched by when advisories naming
/// those keys change. Packages the matcher would skip get none.
pub fn lookup_keys(inventory: &Inventory) -> Vec<(usize, String)> {
    let os = os_ecosystems(inventory.distro.as_ref());
    let mut out = Vec::new();
    for (i, p) in inventory.packages.iter().enumerate() {
        if p.owner.is_some() && !p.ecosystem.is_os() {
            continue;
        }
        if let Some(q) = query(p, os.as_deref()) {
            for eco in &q.ecosystems {
                out.push((i, drydock_vulndb::package_key(eco, &q.name)));
            }
        }
    }
    out
}

/// Matches every package of the inventory against the store, packages in parallel.
pub fn match_inventory(inventory: &Inventory, store: &Store) -> Result<MatchReport, Error> {
    use rayon::prelude::*;
    let mut report = MatchReport::default();
    let distro = inventory.distro.as_ref();
    let os = os_ecosystems(distro);
    let mut unmatched_os = false;
    // Packages per ecosystem group the database has no records for at all.
    let mut uncovered: BTreeMap<OsvEcosystem, usize> = BTreeMap::new();
    let mut coverage: std::collections::HashMap<Vec<OsvEcosystem>, bool> = std::collections::HashMap::new();
    let mut work: Vec<(&Package, Query)> = Vec::new();
    for p in &inventory.packages {
        // A language package an OS package installed (python3-pip's pip) gets the OS
        // package's advisories only: its fixes are backported under the OS version.
        if p.owner.is_some() && !p.ecosystem.is_os() {
            continue;
        }
        let Some(q) = query(p, os.as_deref()) else {
            if p.ecosystem.is_os() {
                unmatched_os = true;
            }
            continue;
        };
        if q.ecosystems.is_empty() {
            unmatched_os = true;
            continue;
        }
        let covered = match coverage.get(&q.ecosystems) {
            Some(c) => *c,
            None => {
                let mut c = false;
                for eco in &q.ecosystems {
                    c |= store.has_ecosystem(eco)?;
                }
                coverage.insert(q.ecosystems.clone(), c);
                c
            }
        };
        if !covered {
            *uncovered.entry(q.ecosystems[0].clone()).or_default() += 1;
            continue;
        }
        work.push((p, q));
    }
    // One read view per chunk of packages: a transaction per look-up would cost more than
    // the look-up.
    let results: Vec<Result<Vec<PackageMatch>, Error>> = work
        .par_chunks(256)
        .map(|chunk| {
            let snapshot = store.snapshot()?;
            chunk
                .iter()
                .map(|(p, q)| match_package(p, q, &snapshot))
                .collect()
        })
        .collect();
    for r in results {
        for (findings, warnings) in r? {
            report.findings.extend(findings);
            report.warnings.extend(warnings);
        }
    }
    for (eco, n) in &uncovered {
        report.warnings.push(format!(
            "the advisory database has no records for {eco}: {n} package(s) were not checked (import or update that ecosystem)"
        ));
    }
    if unmatched_os {
        let what = distro
            .map(|d| format!("{} {}", d.id, d.version_id.as_deref().unwrap_or("")))
            .unwrap_or_else(|| "an unidentified OS".into());
        report.warnings.push(format!(
            "OS packages of {} were not matched: drydock has no advisory ecosystem for it",
            what.trim()
        ));
    }
    report.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(report)
}

/// One package's findings (folded) and warnings.
fn match_package(p: &Package, q: &Query, store: &drydock_vulndb::Snapshot) -> Result<PackageMatch, Error> {
    let mut warnings = Vec::new();
    let installed = if q.epoch_unknown {
        strip_epoch(&q.version)
    } else {
        q.version.clone()
    };
    // A module stream's fix applies to that stream only, and a non-modular fix not to a
    // module's package.
    let package_stream = p
        .modularity_label
        .as_deref()
        .map(drydock_vulndb::model::module_stream);
    let mut matched: Vec<Finding> = Vec::new();
    for eco in &q.ecosystems {
        for adv in store.lookup(eco, &q.name)? {
            for a in adv
                .affected
                .iter()
                .filter(|a| a.ecosystem.serves(eco) && eco.same_name(&a.name, &q.name))
            {
                if p.ecosystem == PackageType::Rpm && a.module != package_stream {
                    continue;
                }
                let stripped;
                let affected = if q.epoch_unknown {
                    stripped = without_epochs(&a.affected);
                    &stripped
                } else {
                    &a.affected
                };
                let eval = match evaluate(q.scheme, &installed, affected) {
                    Ok(e) => e,
                    Err(e) => {
                        warnings.push(format!("{}: {} {}: {e}", adv.id, p.name, p.version));
                        continue;
                    }
                };
                // An entry drydock could not evaluate at all (only GIT ranges, or range types it
                // does not know) is said, not read as "not affected".
                let unevaluated = affected.versions.is_empty()
                    && affected
                        .ranges
                        .iter()
                        .all(|r| r.kind != "ECOSYSTEM" && r.kind != "SEMVER");
                if !eval.affected && unevaluated && !eval.notes.is_empty() {
                    warnings.push(format!(
                        "{}: {} {} not checked against it: {}",
                        adv.id,
                        p.name,
                        p.version,
                        eval.notes.join("; ")
                    ));
                }
                if !eval.affected {
                    continue;
                }
                matched.push(finding(p, q, eco, &adv, a, eval.fixed));
            }
        }
    }
    Ok((fold(matched, q.scheme), warnings))
}

fn finding(
    p: &Package,
    q: &Query,
    eco: &OsvEcosystem,
    adv: &Advisory,
    a: &drydock_vulndb::AffectedPackage,
    fixed: Option<String>,
) -> Finding {
    let sev = a.severity.as_ref().or(adv.severity.as_ref());
    let status = match (&fixed, a.disposition) {
        (Some(_), _) => Status::Fixed,
        (None, Some(Disposition::WillNotFix)) => Status::WillNotFix,
        (None, Some(Disposition::Unimportant)) => Status::Unimportant,
        (None, None) => Status::Affected,
    };
    Finding {
        id: adv.id.clone(),
        aliases: adv.aliases.clone(),
        summary: adv.summary.clone(),
        package: PackageRef {
            name: p.name.clone(),
            version: p.version.clone(),
            ecosystem: p.ecosystem,
            purl: p.purl.clone(),
        },
        severity: sev.map(|s| s.level).unwrap_or(Severity::Unknown),
        score: sev.and_then(|s| s.score),
        status,
        fixed_version: fixed,
        advisories: Vec::new(),
        layer: p.layer,
        matched: MatchedOn {
            ecosystem: eco.clone(),
            name: q.name.clone(),
            version: q.version.clone(),
        },
    }
}

/// Folds the findings of one package that describe the same vulnerability: advisories that
/// share an id or alias (connected through any chain of them) become one finding.
///
/// The folded finding must tell the whole truth of its parts: its `fixed_version` is the lowest
/// version that fixes **all** of them (the highest fixed version, by the package's scheme), it
/// is unfixed when any part is, it takes the highest severity, and it lists every advisory.
/// The primary id is the advisory whose fix is reported (the lowest id among equals), else the
/// lowest id, so the result never depends on the order records were read.
fn fold(findings: Vec<Finding>, scheme: Scheme) -> Vec<Finding> {
    let n = findings.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for key in std::iter::once(&f.id).chain(&f.aliases) {
            match first_with.get(key.as_str()) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<Finding>> = BTreeMap::new();
    let roots: Vec<usize> = (0..n).map(|i| root(&mut parent, i)).collect();
    for (f, r) in findings.into_iter().zip(roots) {
        groups.entry(r).or_default().push(f);
    }
    groups.into_values().map(|g| fold_group(g, scheme)).collect()
}

fn fold_group(mut group: Vec<Finding>, scheme: Scheme) -> Finding {
    group.sort_by(|a, b| a.id.cmp(&b.id));
    let unfixed = group.iter().any(|f| f.fixed_version.is_none());
    // Most packages' findings stand alone: nothing to choose, nothing to parse.
    let primary = if group.len() == 1 {
        0
    } else if unfixed {
        // Affected sorts before the distribution's dispositions: one plain "no fix yet" decides.
        let status = group
            .iter()
            .filter(|f| f.fixed_version.is_none())
            .map(|f| f.status)
            .min()
            .unwrap_or(Status::Affected);
        group
            .iter()
            .position(|f| f.fixed_version.is_none() && f.status == status)
            .unwrap_or(0)
    } else {
        // Each fixed version parsed once; one that does not parse never wins over one that does.
        let parsed: Vec<Option<drydock_version::Version>> = group
            .iter()
            .map(|f| f.fixed_version.as_deref().and_then(|v| scheme.parse(v).ok()))
            .collect();
        let mut best = 0;
        for i in 1..group.len() {
            let higher = match (&parsed[i], &parsed[best]) {
                (Some(candidate), Some(current)) => {
                    candidate.cmp_same(current) == std::cmp::Ordering::Greater
                }
                (Some(_), None) => true,
                (None, _) => false,
            };
            if higher {
                best = i;
            }
        }
        best
    };
    let severity = group
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Unknown);
    let score = group
        .iter()
        .filter_map(|f| f.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let mut advisories: Vec<String> = group.iter().map(|f| f.id.clone()).collect();
    advisories.sort();
    advisories.dedup();
    let mut aliases: Vec<String> = group
        .iter()
        .flat_map(|f| f.aliases.iter().cloned())
        .chain(advisories.iter().cloned())
        .collect();
    let mut result = group.swap_remove(primary);
    aliases.retain(|a| *a != result.id);
    aliases.sort();
    aliases.dedup();
    if result.summary.is_none() {
        result.summary = group.iter().find_map(|f| f.summary.clone());
    }
    result.aliases = aliases;
    result.severity = severity;
    result.score = score;
    result.advisories = advisories;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, fixed: &str) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec!["CVE-2099-0300".into()],
            advisories: vec![id.into()],
            summary: None,
            package: PackageRef {
                name: "demo".into(),
                version: "1.0".into(),
                ecosystem: PackageType::Pypi,
                purl: "pkg:pypi/demo@1.0".into(),
            },
            severity: Severity::High,
            score: None,
            status: Status::Fixed,
            fixed_version: Some(fixed.into()),
            layer: None,
            matched: MatchedOn {
                ecosystem: "PyPI".parse().unwrap(),
                name: "demo".into(),
                version: "1.0".into(),
            },
        }
    }

    #[test]
    fn an_unparsable_fixed_version_never_hides_a_real_one() {
        // The lowest id, looked at first, carries a fixed version PEP 440 cannot read.
        for order in [["A-1", "B-2"], ["B-2", "A-1"]] {
            let group: Vec<Finding> = order
                .iter()
                .map(|id| finding(id, if *id == "A-1" { "1.0.0-.x!" } else { "2.5" }))
                .collect();
            let folded = fold(group, Scheme::Pep440);
            assert_eq!(folded.len(), 1);
            assert_eq!(folded[0].fixed_version.as_deref(), Some("2.5"));
            assert_eq!(folded[0].id, "B-2");
        }
    }
}
