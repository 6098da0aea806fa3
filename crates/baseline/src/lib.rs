//! Baselines: which findings a change brought in, which it fixed, and which were only newly
//! disclosed against what was there before.
//!
//! A finding is identified across images and runs by its [`Fingerprint`]: the vulnerability
//! (any shared advisory id or alias), the package ecosystem and the package name — never a
//! layer digest, a line number or an installed version, so an upgrade from one vulnerable version
//! to another is the same finding, and a rebuilt image keeps its findings' identities.
//!
//! The baseline's inventory is matched again against today's database by the caller, so two
//! questions get separate answers: "did this change introduce it?" ([`State::New`]) and "was it
//! disclosed since the baseline was recorded?" ([`Judgement::newly_disclosed`]). Only the first
//! should fail a CI gate by default.
//!
//! It knows the matcher's model only; reading baselines from files is [`load`].

pub mod load;

use std::collections::{BTreeSet, HashMap};

use drydock_catalog::PackageType;
use drydock_matcher::Finding;
use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};

pub use load::{Baseline, load_document};

/// A finding's state against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not in the baseline: the change brought it in.
    New,
    /// In the baseline, with the same severity and fix.
    Unchanged,
    /// In the baseline, but its severity rose or its fix changed.
    Updated,
}

impl State {
    /// The name the JSON and SARIF's `baselineState` use.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Unchanged => "unchanged",
            State::Updated => "updated",
        }
    }
}

/// What the baseline says about one current finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// New, unchanged or updated.
    pub state: State,
    /// In the baseline image too, but absent from the baseline's recorded findings: an advisory
    /// published (or changed to affect it) since the baseline was taken, not something the change
    /// introduced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub newly_disclosed: bool,
    /// The baseline's severity and fix, for `updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// A finding as the baseline recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// Its severity then.
    pub severity: Severity,
    /// Its fixed version then.
    pub fixed_version: Option<String>,
}

/// The identity of a finding across images and runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The canonical advisory id: the lowest CVE among the finding's ids and aliases, else its
    /// lowest advisory id.
    pub vulnerability: String,
    /// The package's type.
    pub ecosystem: PackageType,
    /// The package's name (not its version: an upgrade that still has the finding is the same
    /// finding).
    pub package: String,
}

impl Fingerprint {
    /// The fingerprint of a finding.
    pub fn of(f: &Finding) -> Fingerprint {
        let ids = ids(f);
        let vulnerability = ids
            .iter()
            .find(|i| i.starts_with("CVE-"))
            .or_else(|| ids.iter().next())
            .map_or_else(|| f.id.clone(), |id| id.to_string());
        Fingerprint {
            vulnerability,
            ecosystem: f.package.ecosystem,
            package: f.package.name.clone(),
        }
    }

    /// A stable string form, for SARIF `partialFingerprints`.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.vulnerability,
            self.ecosystem.as_str(),
            self.package
        )
    }
}

fn ids(f: &Finding) -> BTreeSet<&str> {
    std::iter::once(&f.id)
        .chain(&f.aliases)
        .chain(&f.advisories)
        .map(String::as_str)
        .collect()
}

/// A finding and every id it is known by.
type WithIds<'a> = (&'a Finding, BTreeSet<&'a str>);

/// Findings by package, each with its ids, so matching a finding is a look-up of its package
/// and a check of a few id sets, not a scan of every finding with sets rebuilt each time.
struct ByPackage<'a> {
    map: HashMap<(PackageType, &'a str), Vec<WithIds<'a>>>,
}

impl<'a> ByPackage<'a> {
    fn new(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut map: HashMap<(PackageType, &'a str), Vec<WithIds<'a>>> = HashMap::new();
        for f in findings {
            map.entry((f.package.ecosystem, f.package.name.as_str()))
                .or_default()
                .push((f, ids(f)));
        }
        ByPackage { map }
    }

    /// The first finding that is the same vulnerability in the same package as `f` (see [`same`]).
    fn find(&self, f: &Finding, f_ids: &BTreeSet<&str>) -> Option<&'a Finding> {
        self.map
            .get(&(f.package.ecosystem, f.package.name.as_str()))?
            .iter()
            .find(|(_, other)| !other.is_disjoint(f_ids))
            .map(|(b, _)| *b)
    }
}

/// Whether two findings describe the same vulnerability in the same package: same ecosystem and
/// name, and at least one advisory id or alias in common (folding may differ between runs when
/// an advisory that links two CVEs is published, and a shared id still identifies them).
pub fn same(a: &Finding, b: &Finding) -> bool {
    a.package.ecosystem == b.package.ecosystem
        && a.package.name == b.package.name
        && !ids(a).is_disjoint(&ids(b))
}

/// The result of holding current findings against a baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// One judgement per current finding, in the same order.
    pub judgements: Vec<Judgement>,
    /// Baseline findings the current image no longer has: fixed by the change.
    pub absent: Vec<Finding>,
}

/// Judges `current` against the baseline: `baseline_today` is the baseline's inventory matched
/// against today's database; `baseline_recorded` the findings stored with the baseline when it
/// was taken, if it holds any (an SBOM or an image holds none: then nothing can be told apart as
/// newly disclosed).
pub fn compare(
    current: &[Finding],
    baseline_today: &[Finding],
    baseline_recorded: Option<&[Finding]>,
) -> Comparison {
    let today_index = ByPackage::new(baseline_today);
    let recorded_index = baseline_recorded.map(ByPackage::new);
    let judgements = current
        .iter()
        .map(|f| {
            let f_ids = ids(f);
            let Some(today) = today_index.find(f, &f_ids) else {
                return Judgement {
                    state: State::New,
                    newly_disclosed: false,
                    previous: None,
                };
            };
            let (before, newly_disclosed) = match recorded_index.as_ref().map(|r| r.find(f, &f_ids)) {
                Some(Some(b)) => (b, false),
                Some(None) => (today, true),
                None => (today, false),
            };
            let updated = f.severity > before.severity || f.fixed_version != before.fixed_version;
            Judgement {
                state: if updated && !newly_disclosed {
                    State::Updated
                } else {
                    State::Unchanged
                },
                newly_disclosed,
                previous: updated.then(|| Previous {
                    severity: before.severity,
                    fixed_version: before.fixed_version.clone(),
                }),
            }
        })
        .collect();
    let current_index = ByPackage::new(current);
    let mut absent: Vec<Finding> = Vec::new();
    for b in baseline_today.iter().chain(baseline_recorded.unwrap_or_default()) {
        let b_ids = ids(b);
        if current_index.find(b, &b_ids).is_none() && !absent.iter().any(|a| same(a, b)) {
            absent.push(b.clone());
        }
    }
    Comparison { judgements, absent }
}

/// `--fail-on`: a severity, optionally only for findings the change introduced (`new:HIGH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn {
    /// Only findings the change introduced count (`new:`).
    pub only_new: bool,
    /// The lowest severity that fails.
    pub severity: Severity,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (only_new, sev) = match s.split_once(':') {
            Some((scope, sev)) if scope.eq_ignore_ascii_case("new") => (true, sev),
            Some((scope, _)) => return Err(format!("unknown scope {scope:?} in {s:?} (only new:SEVERITY)")),
            None => (false, s),
        };
        Ok(FailOn {
            only_new,
            severity: sev.parse()?,
        })
    }
}

impl FailOn {
    /// Whether this finding fails the gate. `judgement` is `None` without a baseline, where
    /// `new:` has nothing to compare with and every finding counts as new.
    pub fn fails(&self, f: &Finding, judgement: Option<&Judgement>) -> bool {
        f.severity >= self.severity && (!self.only_new || judgement.is_none_or(|j| j.state == State::New))
    }
}
