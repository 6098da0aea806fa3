//! RubyGems versions, ordered as `Gem::Version#<=>`: segments are runs of digits or letters;
//! a letter segment marks a pre-release, which sorts before the release; trailing zeros of each
//! numeric run do not count (`1.0` = `1`).

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Num(String),
    Str(String),
}

/// A RubyGems version: numeric and string segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemVersion {
    canonical: Vec<Segment>,
}

fn valid(s: &str) -> bool {
    // \A[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\z, or empty
    if s.is_empty() {
        return true;
    }
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return false;
    }
    match pre {
        None => true,
        Some(p) => p
            .split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
    }
}

impl GemVersion {
    /// Reads a version as `Gem::Version.new` does.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if !valid(s) {
            return Err(VersionError::new("gem", input, "malformed version number string"));
        }
        let s = if s.is_empty() {
            "0".to_string()
        } else {
            s.replace('-', ".pre.")
        };
        let mut segments = Vec::new();
        let mut chars = s.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut d = String::new();
                while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
                    d.push(c);
                    chars.next();
                }
                segments.push(Segment::Num(d.trim_start_matches('0').to_string()));
            } else if c.is_ascii_alphabetic() {
                let mut t = String::new();
                while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphabetic()) {
                    t.push(c);
                    chars.next();
                }
                segments.push(Segment::Str(t));
            } else {
                chars.next();
            }
        }
        // canonical_segments: drop trailing zeros of the numeric part and of the string part.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Str(_)))
            .unwrap_or(segments.len());
        let (mut nums, mut rest) = (segments[..split].to_vec(), segments[split..].to_vec());
        let zero = |s: &Segment| matches!(s, Segment::Num(n) if n.is_empty());
        while nums.last().is_some_and(zero) {
            nums.pop();
        }
        while rest.last().is_some_and(zero) {
            rest.pop();
        }
        nums.extend(rest);
        Ok(GemVersion { canonical: nums })
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Num(String::new());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let a = self.canonical.get(i).unwrap_or(&zero);
            let b = other.canonical.get(i).unwrap_or(&zero);
            let r = match (a, b) {
                (Segment::Num(x), Segment::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
                (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
                (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
                (Segment::Str(x), Segment::Str(y)) => x.cmp(y),
            };
            if r != Ordering::Equal {
                return r;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
