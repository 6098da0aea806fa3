//! Advice: which bases to try instead of the current one, and how they compare once each is
//! inventoried and matched. Choosing candidates reads only the index; scoring takes each
//! candidate's findings, however the caller obtained them.

use std::collections::{BTreeMap, BTreeSet};

use drydock_catalog::BaseImage;
use drydock_matcher::Finding;
use drydock_vulndb::{Severity, SeverityCounts};
use serde::Serialize;

use crate::index::{BaseIndex, Snapshot, display_name};
use crate::tags::{Change, Line, Tag, change, compare_versions};

/// What a candidate is, relative to the current base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The same tag now points to a newer digest.
    Refresh,
    /// A newer patch release of the same line.
    Patch,
    /// A newer minor release of the same major line.
    Minor,
    /// The next release line.
    Major,
    /// Another variant of the same line.
    Alternative,
    /// Named with `--candidates`.
    Candidate,
}

impl Kind {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Refresh => "refresh",
            Kind::Patch => "patch",
            Kind::Minor => "minor",
            Kind::Major => "major",
            Kind::Alternative => "alternative",
            Kind::Candidate => "candidate",
        }
    }
}

impl From<Change> for Kind {
    fn from(c: Change) -> Kind {
        match c {
            Change::Patch => Kind::Patch,
            Change::Minor => Kind::Minor,
            Change::Major => Kind::Major,
            Change::Alternative => Kind::Alternative,
        }
    }
}

/// A base to try.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// How people name it: `debian:trixie-slim`, or the reference given.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// What to read it from (a SOURCE).
    pub source: String,
    /// Every indexed tag at that digest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Its digest, when indexed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Its `created`, when indexed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// Why no candidate came from the index, when none did.
#[derive(Debug, Default)]
pub struct Selection {
    /// The candidates, in the order they are tried.
    pub candidates: Vec<Candidate>,
    /// Why some were left out.
    pub notes: Vec<String>,
}

/// The index's alternatives to `base`: the tag's newer digest, the newest release of the same
/// line, the next release line, and the newest of each other variant, at most `max`.
pub fn candidates(index: &BaseIndex, base: &BaseImage, max: usize) -> Selection {
    let mut out = Selection::default();
    let Some(name) = base.name.as_deref() else {
        out.notes
            .push("the base image's name is unknown (only the history tells where it ends)".into());
        return out;
    };
    let Some(key) = index.repository_for(name) else {
        out.notes.push(format!(
            "{name} is not in the base-image index: run `drydock base index {name}` first"
        ));
        return out;
    };
    let repo = &index.repositories[key];
    let Some(tag) = base.tag.clone().or_else(|| base.tags.first().cloned()) else {
        out.notes.push(format!(
            "the base image's tag is unknown, so {name}'s tags cannot be compared to it"
        ));
        return out;
    };
    let current_tag = Tag::parse(&tag);
    let base_digest = base.digest.clone().unwrap_or_default();
    let is_base = |s: &Snapshot| s.manifest_digest == base_digest || s.digest == base_digest;
    let source = |s: &Snapshot, tag: &str| {
        if key.starts_with("oci:") {
            format!("{key}:{tag}")
        } else if key.starts_with("docker-archive:") {
            key.to_string()
        } else {
            format!("docker://{key}@{}", s.manifest_digest)
        }
    };

    // One candidate per digest, with every tag that points there.
    let mut by_digest: BTreeMap<String, (Kind, Vec<String>, &Snapshot)> = BTreeMap::new();
    if let Some(entry) = repo.tags.get(&tag).filter(|e| !e.gone)
        && !base_digest.is_empty()
        && !is_base(&entry.current)
    {
        by_digest.insert(
            entry.current.manifest_digest.clone(),
            (Kind::Refresh, vec![tag.clone()], &entry.current),
        );
    }
    for (t, entry) in &repo.tags {
        if entry.gone || is_base(&entry.current) {
            continue;
        }
        let parsed = Tag::parse(t);
        let kind = if *t == tag {
            continue;
        } else {
            match change(&current_tag, &parsed) {
                Some(c) => Kind::from(c),
                None => {
                    // Another name for a digest already chosen (`trixie` beside `13`).
                    if let Some(e) = by_digest.get_mut(&entry.current.manifest_digest) {
                        e.1.push(t.clone());
                    }
                    continue;
                }
            }
        };
        let e = by_digest.entry(entry.current.manifest_digest.clone()).or_insert((
            kind,
            Vec::new(),
            &entry.current,
        ));
        e.0 = e.0.min(kind);
        e.1.push(t.clone());
    }
    // Within each kind and variant, the newest line only; of major lines, the next one.
    let mut best: BTreeMap<(Kind, String), (Vec<u64>, String, Candidate)> = BTreeMap::new();
    for (digest, (kind, mut tags, snap)) in by_digest {
        tags.sort_by(|a, b| version_of(b).len().cmp(&version_of(a).len()).then(a.cmp(b)));
        tags.dedup();
        let Some(lead) = tags
            .iter()
            .find(|t| Tag::parse(t).version().is_some())
            .or(tags.first())
            .cloned()
        else {
            continue;
        };
        let parsed = Tag::parse(&lead);
        let version = parsed.version().map(<[u64]>::to_vec).unwrap_or_default();
        let group = (
            kind,
            if kind == Kind::Major {
                String::new()
            } else {
                parsed.variant.clone()
            },
        );
        let candidate = Candidate {
            name: format!("{}:{lead}", display_name(key)),
            kind,
            source: source(snap, &lead),
            tags: tags.clone(),
            digest: Some(digest),
            created: snap.created.clone(),
        };
        let created = snap.created.clone().unwrap_or_default();
        let replace = match best.get(&group) {
            None => true,
            // The newest build, then the higher version (`12-slim` moves past a pinned `12.7-slim`).
            Some((v, c, _)) if kind == Kind::Major => {
                // The next line: the smallest major above the current, newest within it.
                let (new_major, old_major) = (version.first(), v.first());
                new_major < old_major
                    || (new_major == old_major
                        && (&created, compare_versions(&version, v)) > (c, std::cmp::Ordering::Equal))
            }
            Some((v, c, _)) => (&created, compare_versions(&version, v)) > (c, std::cmp::Ordering::Equal),
        };
        if replace {
            best.insert(group, (version, created, candidate));
        }
    }
    let mut list: Vec<Candidate> = best.into_values().map(|(_, _, c)| c).collect();
    list.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.name.cmp(&b.name)));
    if list.len() > max {
        out.notes.push(format!(
            "{} more candidates left out (--max-candidates {max})",
            list.len() - max
        ));
        list.truncate(max);
    }
    if list.is_empty() {
        out.notes.push(format!(
            "the index holds no newer or alternative tag of {name}:{tag}"
        ));
    }
    out.candidates = list;
    out
}

fn version_of(tag: &str) -> Vec<u64> {
    match Tag::parse(tag).line {
        Line::Version(v) => v,
        _ => Vec::new(),
    }
}

/// What an image (or the base part of one) carries.
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// Packages.
    pub packages: usize,
    /// Compressed bytes.
    pub size: u64,
    /// (vulnerability id, package name) → severity: a newer version of the same package with
    /// the same vulnerability is the same problem.
    pub findings: BTreeMap<(String, String), Severity>,
}

impl Score {
    /// The score of an image with these packages, size and findings.
    pub fn new<'a>(packages: usize, size: u64, findings: impl IntoIterator<Item = &'a Finding>) -> Score {
        let mut map: BTreeMap<(String, String), Severity> = BTreeMap::new();
        for f in findings {
            let e = map
                .entry((f.id.clone(), f.package.name.clone()))
                .or_insert(f.severity);
            *e = (*e).max(f.severity);
        }
        Score {
            packages,
            size,
            findings: map,
        }
    }

    /// Its vulnerabilities by severity.
    pub fn counts(&self) -> SeverityCounts {
        let mut c = SeverityCounts::default();
        for s in self.findings.values() {
            c.add(*s);
        }
        c
    }
}

/// A candidate against the current base.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// Vulnerabilities of the current base the candidate does not have.
    pub removed: usize,
    /// Those, by severity.
    pub removed_by_severity: SeverityCounts,
    /// Vulnerabilities the candidate has that the current base does not.
    pub added: usize,
    /// Those, by severity.
    pub added_by_severity: SeverityCounts,
    /// Candidate size minus current size, in bytes (negative: smaller).
    pub size: i64,
    /// Candidate packages minus current packages.
    pub packages: i64,
}

/// The candidate against the current base.
pub fn delta(current: &Score, candidate: &Score) -> Delta {
    let (mut removed, mut added) = (SeverityCounts::default(), SeverityCounts::default());
    for (k, s) in &current.findings {
        if !candidate.findings.contains_key(k) {
            removed.add(*s);
        }
    }
    for (k, s) in &candidate.findings {
        if !current.findings.contains_key(k) {
            added.add(*s);
        }
    }
    Delta {
        removed: removed.total(),
        removed_by_severity: removed,
        added: added.total(),
        added_by_severity: added,
        size: candidate.size as i64 - current.size as i64,
        packages: candidate.packages as i64 - current.packages as i64,
    }
}

/// One candidate's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    /// The candidate.
    #[serde(flatten)]
    pub candidate: Candidate,
    /// 1 = best; `None` for a candidate that could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Its packages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<usize>,
    /// Its compressed size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its vulnerabilities by severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<SeverityCounts>,
    /// Against the current base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
    /// Fewer or less severe vulnerabilities than the current base.
    pub better: bool,
    /// Why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Orders the candidates: fewest critical, then high, medium, low, other vulnerabilities; then
/// the smaller; then the smaller step (a refresh before a major upgrade). Unreadable ones last.
pub fn rank<E: std::fmt::Display>(
    current: &Score,
    results: Vec<(Candidate, Result<Score, E>)>,
) -> Vec<Ranked> {
    let base_key = current.counts();
    let mut scored: Vec<(Candidate, Score)> = Vec::new();
    let mut failed: Vec<Ranked> = Vec::new();
    for (c, r) in results {
        match r {
            Ok(s) => scored.push((c, s)),
            Err(e) => failed.push(Ranked {
                candidate: c,
                rank: None,
                packages: None,
                size: None,
                vulnerabilities: None,
                delta: None,
                better: false,
                error: Some(e.to_string()),
            }),
        }
    }
    scored.sort_by(|(ca, a), (cb, b)| {
        a.counts()
            .cmp(&b.counts())
            .then(a.size.cmp(&b.size))
            .then(ca.kind.cmp(&cb.kind))
            .then(ca.name.cmp(&cb.name))
    });
    let mut out: Vec<Ranked> = scored
        .into_iter()
        .enumerate()
        .map(|(i, (c, s))| {
            let counts = s.counts();
            Ranked {
                candidate: c,
                rank: Some(i + 1),
                packages: Some(s.packages),
                size: Some(s.size),
                vulnerabilities: Some(counts),
                delta: Some(delta(current, &s)),
                better: counts < base_key,
                error: None,
            }
        })
        .collect();
    out.extend(failed);
    out
}

/// The sentence a developer reads first.
pub fn headline(current: &Score, ranked: &[Ranked]) -> String {
    let Some(best) = ranked.iter().find(|r| r.better) else {
        let tried = ranked.iter().filter(|r| r.rank.is_some()).count();
        return if tried == 0 {
            "no candidate could be evaluated".to_string()
        } else {
            format!("no candidate is better than the current base ({tried} evaluated)")
        };
    };
    let d = best.delta.as_ref().expect("a ranked candidate has a delta");
    let total = current.counts().total();
    let pct = (d.removed * 100).checked_div(total).unwrap_or(0);
    let mut s = format!(
        "switching to {} removes {} of {} vulnerabilities ({pct} %), {} critical",
        best.candidate.name, d.removed, total, d.removed_by_severity.critical
    );
    if d.added > 0 {
        s.push_str(&format!(", adds {}", d.added));
    }
    match d.size {
        n if n < 0 => s.push_str(&format!(", and {} smaller", human_bytes(n.unsigned_abs()))),
        n if n > 0 => s.push_str(&format!(", and is {} larger", human_bytes(n as u64))),
        _ => {}
    }
    s
}

/// `12.3 MB`, `456.0 KB`, `789 B` (binary units).
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / 1_048_576.0)
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Candidates named on the command line that the index did not already offer.
pub fn named_candidates(given: &[String], already: &[Candidate]) -> Vec<Candidate> {
    let seen: BTreeSet<&str> = already.iter().map(|c| c.source.as_str()).collect();
    given
        .iter()
        .filter(|g| !seen.contains(g.as_str()))
        .map(|g| Candidate {
            name: g.strip_prefix("docker://").unwrap_or(g).to_string(),
            kind: Kind::Candidate,
            source: g.clone(),
            tags: Vec::new(),
            digest: None,
            created: None,
        })
        .collect()
}
