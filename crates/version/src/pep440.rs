//! PEP 440 (Python) versions, through `pep440_rs`: normalisation, epochs, pre/post/dev
//! releases and local versions.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::VersionError;

/// A PEP 440 version (pep440_rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pep440Version(pub pep440_rs::Version);

impl Pep440Version {
    /// Reads a version as pip does.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        pep440_rs::Version::from_str(input.trim())
            .map(Pep440Version)
            .map_err(|e| VersionError::new("pep440", input, &e.to_string()))
    }

    /// The normalised form (`1.0dev` → `1.0.dev0`).
    pub fn normalized(&self) -> String {
        self.0.to_string()
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A distribution name as PEP 503 compares it: lower case, runs of `-`, `_` and `.` as one `-`
/// (`Zope.Interface` → `zope-interface`).
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}
