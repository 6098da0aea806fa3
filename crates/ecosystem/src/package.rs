//! Package types: what kind of package the catalog found, and what that means for purls,
//! advisories and version rules.

use drydock_version::Scheme;
use serde::{Deserialize, Serialize};

use crate::osv::{Family, OsvEcosystem};

/// The kind of a package found in an image. Serialised in lower case (`deb`, `pypi`), which is
/// also its purl type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageType {
    /// A Debian package (dpkg).
    Deb,
    /// An Alpine package (apk).
    Apk,
    /// An RPM package.
    Rpm,
    /// A Python distribution.
    Pypi,
    /// An npm package.
    Npm,
    /// A Java archive with Maven coordinates.
    Maven,
    /// A Go module, from a binary's build information.
    Golang,
    /// A Rust crate, from a binary's `cargo auditable` data.
    Cargo,
    /// A Ruby gem.
    Gem,
    /// A PHP package from `composer.lock` or `installed.json`.
    Composer,
    /// A runtime installed outside any package manager (node, python, openjdk, php).
    Generic,
}

impl PackageType {
    /// Every package type, in serialisation order.
    pub const ALL: [PackageType; 11] = [
        PackageType::Deb,
        PackageType::Apk,
        PackageType::Rpm,
        PackageType::Pypi,
        PackageType::Npm,
        PackageType::Maven,
        PackageType::Golang,
        PackageType::Cargo,
        PackageType::Gem,
        PackageType::Composer,
        PackageType::Generic,
    ];

    /// The lower-case name drydock's JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Pypi => "pypi",
            PackageType::Npm => "npm",
            PackageType::Maven => "maven",
            PackageType::Golang => "golang",
            PackageType::Cargo => "cargo",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
            PackageType::Generic => "generic",
        }
    }

    /// The package-url type (the purl spec's names happen to be drydock's own).
    pub fn purl_type(self) -> &'static str {
        self.as_str()
    }

    /// Whether the distribution's package manager installed it: its advisories are the
    /// distribution's, and it owns the files it lists.
    pub fn is_os(self) -> bool {
        matches!(self, PackageType::Deb | PackageType::Apk | PackageType::Rpm)
    }

    /// The rules its versions are ordered by, or `None` for a runtime found by its binary.
    pub fn scheme(self) -> Option<Scheme> {
        Some(match self {
            PackageType::Deb => Scheme::Dpkg,
            PackageType::Apk => Scheme::Apk,
            PackageType::Rpm => Scheme::Rpm,
            PackageType::Pypi => Scheme::Pep440,
            PackageType::Maven => Scheme::Maven,
            PackageType::Gem => Scheme::Gem,
            PackageType::Npm | PackageType::Golang | PackageType::Cargo | PackageType::Composer => {
                Scheme::Semver
            }
            PackageType::Generic => return None,
        })
    }

    /// The OSV family a language package's advisories are filed under. OS packages have none
    /// of their own: theirs depend on the distribution (see [`crate::Distribution`]).
    pub fn osv_family(self) -> Option<Family> {
        Some(match self {
            PackageType::Pypi => Family::PyPI,
            PackageType::Npm => Family::Npm,
            PackageType::Maven => Family::Maven,
            PackageType::Golang => Family::Go,
            PackageType::Cargo => Family::CratesIo,
            PackageType::Gem => Family::RubyGems,
            PackageType::Composer => Family::Packagist,
            PackageType::Deb | PackageType::Apk | PackageType::Rpm | PackageType::Generic => return None,
        })
    }

    /// The OSV ecosystem a language package is looked up in.
    pub fn osv_ecosystem(self) -> Option<OsvEcosystem> {
        self.osv_family().map(OsvEcosystem::new)
    }
}

impl std::fmt::Display for PackageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_types_agree_with_their_family() {
        for t in PackageType::ALL {
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
            if let Some(f) = t.osv_family() {
                // The version rules of a package and of its advisories are one and the same.
                assert_eq!(t.scheme(), Some(f.scheme()), "{t}");
                assert!(!t.is_os());
            }
        }
        assert_eq!(
            PackageType::Composer.osv_ecosystem().unwrap().to_string(),
            "Packagist"
        );
        assert_eq!(
            PackageType::Cargo.osv_ecosystem().unwrap().to_string(),
            "crates.io"
        );
        assert_eq!(PackageType::Deb.osv_ecosystem(), None);
        assert_eq!(PackageType::Generic.scheme(), None);
        assert!(PackageType::Rpm.is_os() && !PackageType::Generic.is_os());
    }
}
