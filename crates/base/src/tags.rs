//! Tag families: what a tag says about the release line, the variant and the distribution
//! under it, so that `12.4` → `12.9` reads as a patch, `bookworm` → `trixie` as a major
//! release, and `12-slim` as an alternative to `12`.
//!
//! A tag is a head and `-`-separated words: `3.12.7-slim-bookworm` is version 3.12.7, variant
//! `slim`, on Debian 12. Codenames of Debian and Ubuntu read as their version numbers, an
//! `alpine3.20` word as Alpine 3.20, an eight-digit word as a build date. Moving tags
//! (`latest`, `stable`, `edge`…) name no line; tags that parse as none of these (`iron`,
//! `3.13.0rc3`) are never offered as candidates.

use std::cmp::Ordering;

/// Debian and Ubuntu release codenames with their version numbers.
const CODENAMES: &[(&str, &str, &[u64])] = &[
    ("jessie", "debian", &[8]),
    ("stretch", "debian", &[9]),
    ("buster", "debian", &[10]),
    ("bullseye", "debian", &[11]),
    ("bookworm", "debian", &[12]),
    ("trixie", "debian", &[13]),
    ("forky", "debian", &[14]),
    ("duke", "debian", &[15]),
    ("xenial", "ubuntu", &[16, 4]),
    ("bionic", "ubuntu", &[18, 4]),
    ("focal", "ubuntu", &[20, 4]),
    ("jammy", "ubuntu", &[22, 4]),
    ("noble", "ubuntu", &[24, 4]),
    ("oracular", "ubuntu", &[24, 10]),
    ("plucky", "ubuntu", &[25, 4]),
    ("questing", "ubuntu", &[25, 10]),
];

/// Tags that move from release to release and so name no line of their own.
const MOVING: &[&str] = &[
    "latest",
    "stable",
    "oldstable",
    "testing",
    "unstable",
    "sid",
    "edge",
    "lts",
    "current",
    "rolling",
    "mainline",
    "nightly",
    "experimental",
    "rc-buggy",
    "devel",
];

/// Words that name a distribution, with the version glued on (`alpine3.20`, `ubi9`).
const DISTRO_WORDS: &[&str] = &[
    "alpine",
    "ubi",
    "el",
    "centos",
    "rockylinux",
    "almalinux",
    "ubuntu",
    "debian",
];

/// The release line a tag names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A release line: `12`, `12.8`, `3.19.1`, or a codename read as its version.
    Version(Vec<u64>),
    /// `latest`, `stable`, `edge`…
    Moving,
    /// Neither: a pre-release, a date, a name this module does not know.
    Other,
}

/// A tag, read for its release line and variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// As written.
    pub raw: String,
    /// Its release line.
    pub line: Line,
    /// The variant words, distributions and dates taken out (`slim`, `alpine`, `full`); empty
    /// for the plain image.
    pub variant: String,
    /// The distribution a word names (`bookworm` → debian 12, `alpine3.20` → alpine 3.20).
    pub distro: Option<(String, Vec<u64>)>,
    /// An eight-digit build date (`bookworm-20241202`).
    pub date: Option<u64>,
}

fn dotted(s: &str) -> Option<Vec<u64>> {
    let s = s.strip_prefix('v').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    s.split('.')
        .map(|p| {
            (!p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect()
}

fn codename(word: &str) -> Option<(String, Vec<u64>)> {
    CODENAMES
        .iter()
        .find(|(name, _, _)| *name == word)
        .map(|(_, distro, v)| (distro.to_string(), v.to_vec()))
}

fn date(word: &str) -> Option<u64> {
    (word.len() == 8 && word.starts_with("20") && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

/// `alpine3.20` → (`alpine`, [3, 20]); `ubi9` → (`ubi`, [9]).
fn distro_word(word: &str) -> Option<(String, Vec<u64>)> {
    DISTRO_WORDS.iter().find_map(|d| {
        let rest = word.strip_prefix(d)?;
        let v = dotted(rest)?;
        Some((d.to_string(), v))
    })
}

impl Tag {
    /// Reads a tag (`12.8-slim`, `bookworm`, `3.19.1`, `latest`).
    pub fn parse(raw: &str) -> Tag {
        let lower = raw.to_ascii_lowercase();
        let (mut tag, words) = if let Some(m) = MOVING
            .iter()
            .find(|m| lower == **m || lower.starts_with(&format!("{m}-")))
        {
            let rest = lower[m.len()..].trim_start_matches('-').to_string();
            (
                Tag {
                    raw: raw.to_string(),
                    line: Line::Moving,
                    variant: String::new(),
                    distro: None,
                    date: None,
                },
                rest,
            )
        } else {
            let (head, rest) = lower.split_once('-').unwrap_or((&lower, ""));
            let (line, distro) = if date(head).is_some() {
                (Line::Other, None)
            } else if let Some(v) = dotted(head) {
                (Line::Version(v), None)
            } else if let Some((d, v)) = codename(head) {
                (Line::Version(v.clone()), Some((d, v)))
            } else if let Some((d, v)) = distro_word(head) {
                (Line::Version(v.clone()), Some((d, v)))
            } else {
                (Line::Other, None)
            };
            (
                Tag {
                    raw: raw.to_string(),
                    line,
                    variant: String::new(),
                    distro,
                    date: date(head),
                },
                rest.to_string(),
            )
        };
        let mut variant: Vec<String> = Vec::new();
        for word in words.split('-').filter(|w| !w.is_empty()) {
            if let Some(d) = date(word) {
                tag.date = Some(d);
            } else if let Some(d) = codename(word) {
                tag.distro = Some(d);
            } else if let Some((family, v)) = distro_word(word) {
                variant.push(family.clone());
                tag.distro = Some((family, v));
            } else {
                variant.push(word.to_string());
            }
        }
        tag.variant = variant.join("-");
        tag
    }

    /// The version parts, for a release line.
    pub fn version(&self) -> Option<&[u64]> {
        match &self.line {
            Line::Version(v) => Some(v),
            _ => None,
        }
    }
}

/// What moving from one tag to another is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// A newer patch release of the same line (`12.4.1` → `12.4.3`).
    Patch,
    /// A newer minor release of the same major line (`12.4` → `12.9`, `3.19` → `3.19.4`).
    Minor,
    /// The next release line, or the same version on a newer distribution
    /// (`bookworm` → `trixie`, `3.12-slim-bookworm` → `3.12-slim-trixie`).
    Major,
    /// Another variant of the same major line (`12` → `12-slim`, `3.12` → `3.12-alpine`).
    Alternative,
}

impl Change {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Patch => "patch",
            Change::Minor => "minor",
            Change::Major => "major",
            Change::Alternative => "alternative",
        }
    }
}

/// Compares versions as numbers, a missing component reading as 0.
pub fn compare_versions(a: &[u64], b: &[u64]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        match a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

/// What `candidate` is to `current`, or `None` when it is no step forward (older, the same
/// line under another name, a moving or unknown tag, a date snapshot).
pub fn change(current: &Tag, candidate: &Tag) -> Option<Change> {
    let (cur, cand) = (current.version()?, candidate.version()?);
    if candidate.date.is_some() || current.raw == candidate.raw {
        return None;
    }
    let same_family = match (&current.distro, &candidate.distro) {
        (Some((a, _)), Some((b, _))) => a == b,
        _ => true,
    };
    let distro_newer = match (&current.distro, &candidate.distro) {
        (Some((a, va)), Some((b, vb))) if a == b => compare_versions(vb, va) == Ordering::Greater,
        _ => false,
    };
    let distro_older = match (&current.distro, &candidate.distro) {
        (Some((a, va)), Some((b, vb))) if a == b => compare_versions(vb, va) == Ordering::Less,
        _ => false,
    };
    if current.variant != candidate.variant || !same_family {
        // The same line at the current tag's precision: `3.12` → `3.12-alpine`, `3.12.7-slim`.
        let same_line = cand.len() >= cur.len() && cand[..cur.len()] == cur[..];
        return (same_line && !distro_older).then_some(Change::Alternative);
    }
    // `12.8` is inside the line `12` names, not past it: `12` already moves to its newest.
    if cand.len() > cur.len() && cand[..cur.len()] == cur[..] {
        return None;
    }
    match compare_versions(cand, cur) {
        Ordering::Greater if cand.first() > cur.first() => Some(Change::Major),
        Ordering::Greater if distro_older => None,
        Ordering::Greater if cand.get(1).unwrap_or(&0) != cur.get(1).unwrap_or(&0) => Some(Change::Minor),
        Ordering::Greater => Some(Change::Patch),
        Ordering::Equal if distro_newer => Some(Change::Major),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
