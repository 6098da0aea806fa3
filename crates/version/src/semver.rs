//! SemVer ordering for crates.io, npm and Go module versions, through the `semver` crate with
//! precedence rules (build metadata ignored, so Go's `+incompatible` does not count).
//! Accepted leniently: a leading `v` or `=`, and a missing minor or patch (`1.2` = `1.2.0`).

use std::cmp::Ordering;

use crate::VersionError;

/// A semantic version, read leniently (a `v`, missing parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVersion(pub semver::Version);

impl SemVersion {
    /// Reads a version, filling in missing parts.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim().trim_start_matches('=').trim_start_matches('v');
        if let Ok(v) = semver::Version::parse(s) {
            return Ok(SemVersion(v));
        }
        let split = s.find(['-', '+']).unwrap_or(s.len());
        let (core, tail) = s.split_at(split);
        let dots = core.matches('.').count();
        if dots < 2
            && !core.is_empty()
            && core
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            let padded = format!("{core}{}{tail}", ".0".repeat(2 - dots));
            if let Ok(v) = semver::Version::parse(&padded) {
                return Ok(SemVersion(v));
            }
        }
        Err(VersionError::new("semver", input, "not a semantic version"))
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
