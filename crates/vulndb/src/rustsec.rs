//! RustSec advisories (`RUSTSEC-YYYY-NNNN.md`: a TOML block followed by Markdown) into
//! [`Advisory`]s for the `crates.io` ecosystem. RustSec states what is *not* affected —
//! `patched` and `unaffected` semver requirements — so the affected ranges are their complement,
//! written as OSV events.

use crate::Malformation;
use drydock_version::osv::{Affected, Event, Range};
use serde::Deserialize;

use crate::model::{Advisory, AffectedPackage, Family, OsvEcosystem, Severity, SeverityInfo};

/// Whether a Markdown file is a RustSec advisory: it opens with a TOML block with `[advisory]`.
pub fn looks_like_advisory(text: &str) -> bool {
    text.trim_start()
        .strip_prefix("```toml")
        .is_some_and(|rest| rest.split("```").next().is_some_and(|t| t.contains("[advisory]")))
}

#[derive(Deserialize)]
struct Doc {
    advisory: Meta,
    #[serde(default)]
    versions: Versions,
}

#[derive(Deserialize)]
struct Meta {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    informational: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// A bound of an interval of versions: (version, inclusive).
type Bound = Option<(semver::Version, bool)>;

fn version(s: &str) -> Option<semver::Version> {
    let s = s.trim();
    let parts = s.split(['-', '+']).next().unwrap_or(s).matches('.').count();
    let padded = match parts {
        0 => format!("{s}.0.0"),
        1 => format!("{s}.0"),
        _ => s.to_string(),
    };
    semver::Version::parse(&padded).ok()
}

fn next_major(v: &semver::Version) -> semver::Version {
    if v.major > 0 {
        semver::Version::new(v.major + 1, 0, 0)
    } else if v.minor > 0 {
        semver::Version::new(0, v.minor + 1, 0)
    } else {
        semver::Version::new(0, 0, v.patch + 1)
    }
}

/// One requirement (`>= 1.2, < 1.5`, `^0.3.1`, `~1.2`, `=1.0.0`) as an interval [lo, hi).
fn interval(req: &str) -> Option<(Bound, Bound)> {
    let (mut lo, mut hi): (Bound, Bound) = (None, None);
    for part in req.split(',') {
        let p = part.trim();
        let (op, rest) = ["<=", ">=", "<", ">", "=", "^", "~"]
            .iter()
            .find_map(|op| p.strip_prefix(op).map(|r| (*op, r.trim())))
            .unwrap_or(("^", p));
        let v = version(rest)?;
        match op {
            ">=" => lo = Some((v, true)),
            ">" => lo = Some((v, false)),
            "<" => hi = Some((v, false)),
            "<=" => hi = Some((v, true)),
            "=" => {
                lo = Some((v.clone(), true));
                hi = Some((v, true));
            }
            "~" => {
                let upper = semver::Version::new(v.major, v.minor + 1, 0);
                lo = Some((v, true));
                hi = Some((upper, false));
            }
            _ => {
                let upper = next_major(&v);
                lo = Some((v, true));
                hi = Some((upper, false));
            }
        }
    }
    Some((lo, hi))
}

/// The affected ranges: the complement of the union of the unaffected intervals.
fn affected_events(safe: &[(Bound, Bound)]) -> Vec<Event> {
    let mut intervals: Vec<(Bound, Bound)> = safe.to_vec();
    intervals.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.0.cmp_precedence(&y.0),
    });
    let mut events = Vec::new();
    // `cursor`: where the current affected stretch starts (None = from the beginning).
    let mut cursor: Option<Event> = Some(Event::Introduced("0".into()));
    for (lo, hi) in intervals {
        if let Some(start) = cursor.take() {
            match &lo {
                None => {}
                Some((v, inclusive)) => {
                    events.push(start);
                    events.push(if *inclusive {
                        Event::Fixed(v.to_string())
                    } else {
                        Event::LastAffected(v.to_string())
                    });
                }
            }
        }
        cursor = match hi {
            None => return events,
            Some((v, true)) => Some(Event::Introduced(format!("{v}+1"))),
            Some((v, false)) => Some(Event::Introduced(v.to_string())),
        };
    }
    if let Some(start) = cursor {
        events.push(start);
    }
    events
        .into_iter()
        .map(|e| match e {
            // `<= X` safe: the next affected version is the one after X; semver has no
            // successor function, so the smallest later patch stands in for it.
            Event::Introduced(v) if v.ends_with("+1") => {
                let base = version(v.trim_end_matches("+1")).unwrap_or(semver::Version::new(0, 0, 0));
                Event::Introduced(semver::Version::new(base.major, base.minor, base.patch + 1).to_string())
            }
            other => other,
        })
        .collect()
}

/// Parses one RustSec advisory file; `None` for withdrawn ones.
/// Parses one advisory. `ecosystem` is `crates.io` for `crates/*/RUSTSEC-*.md`, and
/// [`Family::RustToolchain`] for the toolchain advisories under `rust/` (std, rustdoc…), which
/// must never match a crate of the same name.
pub fn parse(text: &str, source: &str, ecosystem: Family) -> Result<Option<Advisory>, Malformation> {
    let body = text.trim_start();
    let toml_text = body
        .strip_prefix("```toml")
        .and_then(|rest| rest.split_once("```").map(|(t, _)| t))
        .ok_or(Malformation::NoTomlBlock)?;
    let doc: Doc = toml::from_str(toml_text).map_err(|e| Malformation::Toml(e.message().to_string()))?;
    if doc.advisory.withdrawn.is_some() {
        return Ok(None);
    }
    let mut safe = Vec::new();
    for req in doc.versions.patched.iter().chain(&doc.versions.unaffected) {
        safe.push(interval(req).ok_or_else(|| Malformation::Requirement(req.clone()))?);
    }
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(str::to_string);
    let severity = doc.advisory.cvss.as_ref().and_then(|v| {
        let score = v.parse::<cvss::Cvss>().ok()?.score();
        Some(SeverityInfo {
            level: Severity::from_score(score),
            score: Some(score),
            vector: Some(v.clone()),
            source: "cvss".into(),
        })
    });
    let _ = &doc.advisory.informational;
    Ok(Some(Advisory {
        id: doc.advisory.id,
        aliases: doc.advisory.aliases,
        summary: title,
        modified: None,
        published: doc.advisory.date,
        severity,
        affected: vec![AffectedPackage {
            ecosystem: OsvEcosystem::new(ecosystem),
            name: doc.advisory.package,
            affected: Affected {
                versions: Vec::new(),
                ranges: vec![Range {
                    kind: "SEMVER".into(),
                    events: affected_events(&safe),
                }],
            },
            disposition: None,
            severity: None,
            module: None,
            source: None,
        }],
        source: source.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_version::Scheme;
    use drydock_version::osv::evaluate;

    fn affected(md: &str, v: &str) -> bool {
        let a = parse(md, "t", Family::CratesIo).unwrap().unwrap();
        evaluate(Scheme::Semver, v, &a.affected[0].affected)
            .unwrap()
            .affected
    }

    #[test]
    fn patched_and_unaffected_become_ranges() {
        let md = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"x\"\n\n[versions]\npatched = [\">= 1.2.3, < 2.0.0\", \">= 2.1.0\"]\nunaffected = [\"< 0.5.0\"]\n```\n\n# Title\n";
        assert!(!affected(md, "0.4.9"), "unaffected");
        assert!(affected(md, "0.5.0"));
        assert!(affected(md, "1.2.2"));
        assert!(!affected(md, "1.2.3"), "patched");
        assert!(affected(md, "2.0.5"));
        assert!(!affected(md, "2.1.0"));
        let caret = "```toml\n[advisory]\nid = \"R\"\npackage = \"y\"\n[versions]\npatched = [\"^0.3.1\", \">= 0.4.2\"]\n```\n";
        assert!(
            affected(caret, "0.3.0")
                && !affected(caret, "0.3.9")
                && affected(caret, "0.4.1")
                && !affected(caret, "0.5.0")
        );
        let none = "```toml\n[advisory]\nid = \"R\"\npackage = \"z\"\n[versions]\npatched = []\n```\n";
        assert!(affected(none, "9.9.9"), "no fix: every version");
        assert!(parse("no toml here", "t", Family::CratesIo).is_err());
    }
}
