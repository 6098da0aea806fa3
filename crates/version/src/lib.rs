//! Version ordering for every package ecosystem drydock knows, and OSV range evaluation.
//!
//! Most false positives and misses in container scanners come from comparing versions wrongly,
//! so each scheme follows its ecosystem's own rules exactly and is tested on the upstream
//! projects' vectors: [`dpkg`] (dpkg's verrevcmp), [`apk`] (apk-tools), [`rpm`] (rpmvercmp, with
//! an absent epoch kept distinct from 0), [`pep440`] (via `pep440_rs`), [`semver`] (crates.io,
//! npm and Go, via `semver`), [`maven`] (ComparableVersion) and [`gem`] (`Gem::Version`).
//! apk, Maven, Gem and dpkg are implemented here: no maintained crate follows their rules
//! (see each module). An invalid version is a [`VersionError`], never a panic and never "equal".
//!
//! ```
//! use drydock_version::Scheme;
//! use std::cmp::Ordering;
//! assert_eq!(Scheme::Dpkg.compare("1.0~rc1-1", "1.0-1").unwrap(), Ordering::Less);
//! assert_eq!(Scheme::Rpm.compare("1:0.9-1", "2.0-1").unwrap(), Ordering::Greater);
//! assert!(Scheme::Pep440.compare("not a version", "1.0").is_err());
//! ```

pub mod apk;
pub mod dpkg;
pub mod gem;
pub mod maven;
pub mod osv;
pub mod pep440;
pub mod rpm;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A version string the scheme cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {input:?}: {reason}")]
pub struct VersionError {
    /// The scheme's name (`dpkg`, `pep440`…).
    pub scheme: &'static str,
    /// The string as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl VersionError {
    /// An error for `input` in `scheme`.
    pub fn new(scheme: &'static str, input: &str, reason: &str) -> Self {
        VersionError {
            scheme,
            input: input.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// A set of version ordering rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine, Wolfi and Chainguard (apk-tools).
    Apk,
    /// RPM distributions (`rpmvercmp`, epochs).
    Rpm,
    /// Python (PEP 440).
    Pep440,
    /// Semantic versioning: npm, Go, crates.io and others.
    Semver,
    /// Maven's ComparableVersion.
    Maven,
    /// RubyGems (`Gem::Version`).
    Gem,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 7] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Maven,
        Scheme::Gem,
    ];

    /// The scheme's name, as `drydock version compare` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Maven => "maven",
            Scheme::Gem => "gem",
        }
    }

    /// Reads `input` under the scheme's rules.
    pub fn parse(self, input: &str) -> Result<Version, VersionError> {
        Ok(match self {
            // Ordering follows Dpkg::Version's unchecked comparison: a string dpkg would refuse
            // to install is still placed, as Debian's own tools place it.
            Scheme::Dpkg => Version::Dpkg(
                dpkg::DpkgVersion::parse(input)
                    .or_else(|e| dpkg::DpkgVersion::parse_lenient(input).map_err(|_| e))?,
            ),
            Scheme::Apk => Version::Apk(apk::ApkVersion::parse(input)?),
            Scheme::Rpm => Version::Rpm(rpm::RpmVersion::parse(input)?),
            Scheme::Pep440 => Version::Pep440(pep440::Pep440Version::parse(input)?),
            Scheme::Semver => Version::Semver(semver::SemVersion::parse(input)?),
            Scheme::Maven => Version::Maven(maven::MavenVersion::parse(input)?),
            Scheme::Gem => Version::Gem(gem::GemVersion::parse(input)?),
        })
    }

    /// Orders two version strings under the scheme's rules.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = self.parse(a)?;
        let b = self.parse(b)?;
        Ok(a.cmp_same(&b))
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "dpkg" | "deb" | "debian" | "ubuntu" => Scheme::Dpkg,
            "apk" | "alpine" | "wolfi" => Scheme::Apk,
            "rpm" | "redhat" => Scheme::Rpm,
            "pep440" | "pypi" | "python" => Scheme::Pep440,
            "semver" | "npm" | "go" | "golang" | "cargo" | "crates.io" => Scheme::Semver,
            "maven" => Scheme::Maven,
            "gem" | "rubygems" => Scheme::Gem,
            other => {
                return Err(format!(
                    "unknown version scheme {other:?} (known: dpkg, apk, rpm, pep440, semver, maven, gem)"
                ));
            }
        })
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of some scheme. Only versions of the same scheme compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// A dpkg version.
    Dpkg(dpkg::DpkgVersion),
    /// An apk version.
    Apk(apk::ApkVersion),
    /// An rpm EVR.
    Rpm(rpm::RpmVersion),
    /// A PEP 440 version.
    Pep440(pep440::Pep440Version),
    /// A semantic version.
    Semver(semver::SemVersion),
    /// A Maven version.
    Maven(maven::MavenVersion),
    /// A RubyGems version.
    Gem(gem::GemVersion),
}

impl Version {
    /// Compares two versions of the same scheme; versions of different schemes are ordered
    /// by scheme so that the ordering stays total, but no caller should rely on that.
    pub fn cmp_same(&self, other: &Version) -> Ordering {
        use Version::*;
        match (self, other) {
            (Dpkg(a), Dpkg(b)) => a.cmp(b),
            (Apk(a), Apk(b)) => a.cmp(b),
            (Rpm(a), Rpm(b)) => a.cmp(b),
            (Pep440(a), Pep440(b)) => a.cmp(b),
            (Semver(a), Semver(b)) => a.cmp(b),
            (Maven(a), Maven(b)) => a.cmp(b),
            (Gem(a), Gem(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Version::Dpkg(_) => 0,
            Version::Apk(_) => 1,
            Version::Rpm(_) => 2,
            Version::Pep440(_) => 3,
            Version::Semver(_) => 4,
            Version::Maven(_) => 5,
            Version::Gem(_) => 6,
        }
    }
}
