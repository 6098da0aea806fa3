//! Evaluating an OSV `affected` entry against an installed version, as the OSV schema defines
//! it: the `versions` list, and `ranges` of type `ECOSYSTEM` and `SEMVER` whose events
//! (`introduced`, `fixed`, `last_affected`, `limit`) are applied in version order.
//! `GIT` ranges name commits, not versions; they are skipped with a note.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{Scheme, Version, VersionError};

/// The version part of an OSV `affected` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Affected {
    /// Versions listed one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Ranges of events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
}

/// One OSV range.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its events, in the order the record gives them.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One range event.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`0`: from the beginning).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// The range stops here (a branch limit).
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// What an `affected` entry says about one installed version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evaluation {
    /// Whether the installed version is affected.
    pub affected: bool,
    /// The `fixed` version of the range that matched, when it has one.
    pub fixed: Option<String>,
    /// Things skipped while evaluating (GIT ranges, unknown range types).
    pub notes: Vec<String>,
}

/// `introduced: "0"` means "from the beginning", whatever the scheme.
fn is_zero(v: &str) -> bool {
    v == "0"
}

fn cmp_event(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match (is_zero(a), is_zero(b)) {
        (true, true) => Ok(Ordering::Equal),
        (true, false) => Ok(Ordering::Less),
        (false, true) => Ok(Ordering::Greater),
        _ => scheme.compare(a, b),
    }
}

fn at_or_above(scheme: Scheme, installed: &Version, bound: &str) -> Result<bool, VersionError> {
    if is_zero(bound) {
        return Ok(true);
    }
    Ok(installed.cmp_same(&scheme.parse(bound)?) != Ordering::Less)
}

/// Is `installed` affected according to one OSV `affected` entry?
pub fn evaluate(scheme: Scheme, installed: &str, affected: &Affected) -> Result<Evaluation, VersionError> {
    let v = scheme.parse(installed)?;
    let mut eval = Evaluation::default();
    for listed in &affected.versions {
        let same = match scheme.parse(listed) {
            Ok(l) => l.cmp_same(&v) == Ordering::Equal,
            Err(_) => listed == installed,
        };
        if same {
            eval.affected = true;
        }
    }
    for range in &affected.ranges {
        match range.kind.as_str() {
            "ECOSYSTEM" | "SEMVER" => {}
            "GIT" => {
                eval.notes
                    .push("GIT range skipped: it names commits, not versions".to_string());
                continue;
            }
            other => {
                eval.notes.push(format!("range type {other} skipped"));
                continue;
            }
        }
        let range_scheme = if range.kind == "SEMVER" {
            Scheme::Semver
        } else {
            scheme
        };
        let v = if range_scheme == scheme {
            v.clone()
        } else {
            range_scheme.parse(installed)?
        };
        let mut events: Vec<&Event> = range
            .events
            .iter()
            .filter(|e| !matches!(e, Event::Limit(_)))
            .collect();
        // Sort by version; on ties an introduced event comes first so that a fix at the same
        // version still closes the range.
        let mut err = None;
        events.sort_by(|a, b| match cmp_event(range_scheme, a.version(), b.version()) {
            Ok(o) => {
                o.then_with(|| matches!(b, Event::Introduced(_)).cmp(&matches!(a, Event::Introduced(_))))
            }
            Err(e) => {
                err.get_or_insert(e);
                Ordering::Equal
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        let mut vulnerable = false;
        let mut fixed_here = None;
        for event in &events {
            match event {
                Event::Introduced(x) => {
                    if at_or_above(range_scheme, &v, x)? {
                        vulnerable = true;
                        fixed_here = None;
                    }
                }
                Event::Fixed(x) => {
                    if at_or_above(range_scheme, &v, x)? {
                        vulnerable = false;
                    } else if vulnerable && fixed_here.is_none() {
                        fixed_here = Some(x.clone());
                    }
                }
                Event::LastAffected(x) => {
                    if v.cmp_same(&range_scheme.parse(x)?) == Ordering::Greater {
                        vulnerable = false;
                    }
                }
                Event::Limit(_) => {}
            }
        }
        let limits: Vec<&str> = range
            .events
            .iter()
            .filter_map(|e| {
                if let Event::Limit(l) = e {
                    Some(l.as_str())
                } else {
                    None
                }
            })
            .collect();
        if vulnerable && !limits.is_empty() {
            let mut below_some = false;
            for l in limits {
                if l == "*" || !at_or_above(range_scheme, &v, l)? {
                    below_some = true;
                }
            }
            vulnerable = below_some;
        }
        if vulnerable {
            eval.affected = true;
            if eval.fixed.is_none() {
                eval.fixed = fixed_here;
            }
        }
    }
    Ok(eval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affected(json: &str) -> Affected {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn introduced_fixed_and_last_affected() {
        let a =
            affected(r#"{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}"#);
        let e = evaluate(Scheme::Pep440, "1.5", &a).unwrap();
        assert!(e.affected);
        assert_eq!(e.fixed.as_deref(), Some("2.0"));
        assert!(!evaluate(Scheme::Pep440, "2.0", &a).unwrap().affected);
        let a = affected(
            r#"{"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.2.0"}]}]}"#,
        );
        assert!(evaluate(Scheme::Semver, "1.2.0", &a).unwrap().affected);
        assert!(!evaluate(Scheme::Semver, "1.2.1", &a).unwrap().affected);
        assert!(!evaluate(Scheme::Semver, "0.9.0", &a).unwrap().affected);
    }

    /// `introduced: "0"` is the beginning of time in every scheme, even for versions the
    /// scheme orders below its own "0" (a dpkg tilde, a semver or PEP 440 pre-release).
    #[test]
    fn introduced_zero_is_before_everything() {
        for (scheme, kind, below_zero) in [
            (Scheme::Dpkg, "ECOSYSTEM", "0~beta1"),
            (Scheme::Semver, "SEMVER", "0.0.0-alpha"),
            (Scheme::Pep440, "ECOSYSTEM", "0.dev1"),
        ] {
            let a = affected(&format!(
                r#"{{"ranges":[{{"type":"{kind}","events":[{{"introduced":"0"}},{{"fixed":"1.0"}}]}}]}}"#
            ));
            assert!(
                evaluate(scheme, below_zero, &a).unwrap().affected,
                "{scheme}: {below_zero}"
            );
        }
    }

    /// A fix below the scheme's own "0" still closes a range opened at "0" (events are
    /// ordered with "0" first whatever the scheme says of it).
    #[test]
    fn a_fix_below_zero_closes_the_range() {
        let a = affected(
            r#"{"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"0~20201001"},{"introduced":"0"}]}]}"#,
        );
        assert!(evaluate(Scheme::Dpkg, "0~20200923", &a).unwrap().affected);
        assert!(!evaluate(Scheme::Dpkg, "0~20201101", &a).unwrap().affected);
    }

    /// The `versions` list matches equal versions only; ECOSYSTEM ranges use the package's
    /// scheme and SEMVER ranges semver, whatever the package's scheme.
    #[test]
    fn versions_and_range_types_use_the_right_rules() {
        let listed = affected(r#"{"versions":["1.0"]}"#);
        assert!(evaluate(Scheme::Pep440, "1.0.0", &listed).unwrap().affected);
        assert!(!evaluate(Scheme::Pep440, "2.0", &listed).unwrap().affected);
        // dpkg epochs are no semver: read under semver, this range would be an error.
        let eco = affected(
            r#"{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:2.0-1"}]}]}"#,
        );
        assert!(evaluate(Scheme::Dpkg, "1:1.0-1", &eco).unwrap().affected);
        assert!(!evaluate(Scheme::Dpkg, "1:2.0-1", &eco).unwrap().affected);
        // A SEMVER range on a PyPI package compares semver with semver.
        let semver =
            affected(r#"{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}"#);
        assert!(evaluate(Scheme::Pep440, "1.5.0", &semver).unwrap().affected);
        assert!(!evaluate(Scheme::Pep440, "2.5.0", &semver).unwrap().affected);
    }

    #[test]
    fn several_ranges_and_versions_list() {
        let a = affected(
            r#"{"versions":["3.0.1"],"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.5"},{"introduced":"2.0"},{"fixed":"2.3"}]}]}"#,
        );
        let hit = |v: &str| evaluate(Scheme::Pep440, v, &a).unwrap().affected;
        assert!(hit("1.2") && !hit("1.7") && hit("2.1") && !hit("2.3") && hit("3.0.1") && !hit("0.5"));
        assert_eq!(
            evaluate(Scheme::Pep440, "2.1", &a).unwrap().fixed.as_deref(),
            Some("2.3")
        );
    }

    #[test]
    fn git_ranges_are_noted_and_limits_bound() {
        let a = affected(r#"{"ranges":[{"type":"GIT","repo":"x","events":[{"introduced":"abc"}]}]}"#);
        let e = evaluate(Scheme::Semver, "1.0.0", &a).unwrap();
        assert!(!e.affected && e.notes.len() == 1);
        let a = affected(r#"{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"2.0.0"}]}]}"#);
        assert!(evaluate(Scheme::Semver, "1.0.0", &a).unwrap().affected);
        assert!(!evaluate(Scheme::Semver, "2.0.0", &a).unwrap().affected);
    }

    #[test]
    fn invalid_versions_are_errors() {
        let a =
            affected(r#"{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}"#);
        assert!(evaluate(Scheme::Pep440, "not!a!version", &a).is_err());
    }
}
