//! OSV ecosystems: the family (`Debian`, `PyPI`, `Red Hat`) and the release part after the
//! first colon (`12`, `22.04:LTS`, `enterprise_linux:9::appstream`), as the OSV schema writes
//! them.

use std::fmt;
use std::str::FromStr;

use drydock_version::Scheme;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The OSV ecosystem families drydock can order versions for. A family not listed here is
/// refused at import (and counted), because no installed version could be compared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `AlmaLinux`
    AlmaLinux,
    /// `Alpaquita`
    Alpaquita,
    /// `Alpine`
    Alpine,
    /// `Azure Linux`
    AzureLinux,
    /// `BellSoft Hardened Containers`
    BellSoftHardenedContainers,
    /// `Chainguard`
    Chainguard,
    /// `crates.io`
    CratesIo,
    /// `Debian`
    Debian,
    /// `Go`
    Go,
    /// `Hex`
    Hex,
    /// `Mageia`
    Mageia,
    /// `Maven`
    Maven,
    /// `npm`
    Npm,
    /// `NuGet`
    NuGet,
    /// `openEuler`
    OpenEuler,
    /// `openSUSE`
    OpenSuse,
    /// `Packagist`
    Packagist,
    /// `Photon OS`
    PhotonOs,
    /// `Pub`
    Pub,
    /// `PyPI`
    PyPI,
    /// `Red Hat`
    RedHat,
    /// `Rocky Linux`
    RockyLinux,
    /// `RubyGems`
    RubyGems,
    /// drydock's own, not OSV's: RustSec's advisories for the Rust toolchain (std, rustdoc),
    /// kept apart so that they never match a crate of the same name.
    RustToolchain,
    /// `SUSE`
    Suse,
    /// `SwiftURL`
    SwiftUrl,
    /// `Ubuntu`
    Ubuntu,
    /// `Wolfi`
    Wolfi,
}

impl Family {
    /// Every family, in name order.
    pub const ALL: [Family; 28] = [
        Family::AlmaLinux,
        Family::Alpaquita,
        Family::Alpine,
        Family::AzureLinux,
        Family::BellSoftHardenedContainers,
        Family::Chainguard,
        Family::CratesIo,
        Family::Debian,
        Family::Go,
        Family::Hex,
        Family::Mageia,
        Family::Maven,
        Family::Npm,
        Family::NuGet,
        Family::OpenEuler,
        Family::OpenSuse,
        Family::Packagist,
        Family::PhotonOs,
        Family::Pub,
        Family::PyPI,
        Family::RedHat,
        Family::RockyLinux,
        Family::RubyGems,
        Family::RustToolchain,
        Family::Suse,
        Family::SwiftUrl,
        Family::Ubuntu,
        Family::Wolfi,
    ];

    /// The name as OSV writes it (and as osv.dev names its per-ecosystem dumps).
    pub fn name(self) -> &'static str {
        match self {
            Family::AlmaLinux => "AlmaLinux",
            Family::Alpaquita => "Alpaquita",
            Family::Alpine => "Alpine",
            Family::AzureLinux => "Azure Linux",
            Family::BellSoftHardenedContainers => "BellSoft Hardened Containers",
            Family::Chainguard => "Chainguard",
            Family::CratesIo => "crates.io",
            Family::Debian => "Debian",
            Family::Go => "Go",
            Family::Hex => "Hex",
            Family::Mageia => "Mageia",
            Family::Maven => "Maven",
            Family::Npm => "npm",
            Family::NuGet => "NuGet",
            Family::OpenEuler => "openEuler",
            Family::OpenSuse => "openSUSE",
            Family::Packagist => "Packagist",
            Family::PhotonOs => "Photon OS",
            Family::Pub => "Pub",
            Family::PyPI => "PyPI",
            Family::RedHat => "Red Hat",
            Family::RockyLinux => "Rocky Linux",
            Family::RubyGems => "RubyGems",
            Family::RustToolchain => "Rust",
            Family::Suse => "SUSE",
            Family::SwiftUrl => "SwiftURL",
            Family::Ubuntu => "Ubuntu",
            Family::Wolfi => "Wolfi",
        }
    }

    /// The family OSV names `name`, exactly (OSV ecosystem names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Family> {
        // A match, not a scan of `ALL`: every stored record's entries are read through it.
        Some(match name {
            "AlmaLinux" => Family::AlmaLinux,
            "Alpaquita" => Family::Alpaquita,
            "Alpine" => Family::Alpine,
            "Azure Linux" => Family::AzureLinux,
            "BellSoft Hardened Containers" => Family::BellSoftHardenedContainers,
            "Chainguard" => Family::Chainguard,
            "crates.io" => Family::CratesIo,
            "Debian" => Family::Debian,
            "Go" => Family::Go,
            "Hex" => Family::Hex,
            "Mageia" => Family::Mageia,
            "Maven" => Family::Maven,
            "npm" => Family::Npm,
            "NuGet" => Family::NuGet,
            "openEuler" => Family::OpenEuler,
            "openSUSE" => Family::OpenSuse,
            "Packagist" => Family::Packagist,
            "Photon OS" => Family::PhotonOs,
            "Pub" => Family::Pub,
            "PyPI" => Family::PyPI,
            "Red Hat" => Family::RedHat,
            "Rocky Linux" => Family::RockyLinux,
            "RubyGems" => Family::RubyGems,
            "Rust" => Family::RustToolchain,
            "SUSE" => Family::Suse,
            "SwiftURL" => Family::SwiftUrl,
            "Ubuntu" => Family::Ubuntu,
            "Wolfi" => Family::Wolfi,
            _ => return None,
        })
    }

    /// The rules its versions are ordered by.
    pub fn scheme(self) -> Scheme {
        match self {
            Family::Debian | Family::Ubuntu => Scheme::Dpkg,
            Family::Alpine
            | Family::Wolfi
            | Family::Chainguard
            | Family::Alpaquita
            | Family::BellSoftHardenedContainers => Scheme::Apk,
            Family::RedHat
            | Family::RockyLinux
            | Family::AlmaLinux
            | Family::Suse
            | Family::OpenSuse
            | Family::Mageia
            | Family::PhotonOs
            | Family::AzureLinux
            | Family::OpenEuler => Scheme::Rpm,
            Family::PyPI => Scheme::Pep440,
            Family::Maven => Scheme::Maven,
            Family::RubyGems => Scheme::Gem,
            // Composer versions are semver with an optional `v` and a fourth part; the semver
            // rules place every version Packagist advisories name.
            Family::Npm
            | Family::Go
            | Family::CratesIo
            | Family::Hex
            | Family::Pub
            | Family::NuGet
            | Family::SwiftUrl
            | Family::Packagist
            | Family::RustToolchain => Scheme::Semver,
        }
    }

    /// Whether `drydock db update` fetches it when no ecosystem is named: the distributions
    /// drydock maps an image to, and the language ecosystems its catalog finds, where osv.dev
    /// publishes a dump (it has none for Photon OS, whose records come from other feeds).
    pub fn fetched_by_default(self) -> bool {
        self != Family::PhotonOs && crate::DISTRIBUTIONS.iter().any(|d| d.families.contains(&self))
            || crate::PackageType::ALL
                .iter()
                .any(|t| t.osv_family() == Some(self))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An OSV ecosystem name whose family drydock does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEcosystem {
    /// The family part of the name (before the first colon).
    pub family: String,
}

impl fmt::Display for UnknownEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown OSV ecosystem {:?}", self.family)
    }
}

impl std::error::Error for UnknownEcosystem {}

/// One OSV ecosystem: a family and, for most distributions, a release. Ordered as its name
/// is, so that lists sorted by it read as before.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OsvEcosystem {
    family: Family,
    release: Option<Box<str>>,
}

impl OsvEcosystem {
    /// A family without a release (`PyPI`, `Wolfi`).
    pub fn new(family: Family) -> OsvEcosystem {
        OsvEcosystem {
            family,
            release: None,
        }
    }

    /// A family with a release (`Debian` + `12`); an empty release is no release.
    pub fn with_release(family: Family, release: impl Into<String>) -> OsvEcosystem {
        let release: String = release.into();
        OsvEcosystem {
            family,
            release: (!release.is_empty()).then(|| release.into_boxed_str()),
        }
    }

    /// Reads `FAMILY[:RELEASE]`. `Packagist:https://…` keeps its registry as the release.
    pub fn parse(s: &str) -> Result<OsvEcosystem, UnknownEcosystem> {
        let (family, release) = match s.split_once(':') {
            Some((f, r)) => (f, r),
            None => (s, ""),
        };
        match Family::from_name(family) {
            Some(f) => Ok(OsvEcosystem::with_release(f, release)),
            None => Err(UnknownEcosystem {
                family: family.to_string(),
            }),
        }
    }

    /// The family: `Debian` for `Debian:12`.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Everything after the first colon: `12`, `v3.19`, `22.04:LTS`, `Leap 15.5`.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    /// The rules its versions are ordered by (its family's).
    pub fn scheme(&self) -> Scheme {
        self.family.scheme()
    }

    /// The other names a record filed under this ecosystem is also found by, so that a look-up
    /// by release works: `Red Hat:enterprise_linux:9::appstream` is also `Red Hat:9`, and a
    /// registry-qualified Packagist (`Packagist:https://packages.drupal.org/8`, Drupal's
    /// contributed modules) is Packagist to a composer.lock, as to osv.dev.
    pub fn aliases(&self) -> Vec<OsvEcosystem> {
        let Some(release) = self.release() else {
            return Vec::new();
        };
        match self.family {
            Family::RedHat => {
                let parts: Vec<&str> = release.split(':').collect();
                match parts.as_slice() {
                    [product, version, ..]
                        if product.starts_with("enterprise_linux") || product.starts_with("rhel") =>
                    {
                        let major = version.split('.').next().unwrap_or(version);
                        if major.is_empty() {
                            Vec::new()
                        } else {
                            vec![OsvEcosystem::with_release(Family::RedHat, major)]
                        }
                    }
                    _ => Vec::new(),
                }
            }
            Family::Packagist => vec![OsvEcosystem::new(Family::Packagist)],
            _ => Vec::new(),
        }
    }

    /// Whether a record filed under `self` applies to a package looked up under `wanted`.
    pub fn serves(&self, wanted: &OsvEcosystem) -> bool {
        self == wanted || self.aliases().contains(wanted)
    }

    /// A package name as the ecosystem compares it. PyPI names are normalised (PEP 503:
    /// `Zope.Interface` is `zope-interface`). npm names compare exactly, since the registry
    /// kept its legacy mixed-case names distinct; Maven compares `group:artifact` exactly, as
    /// Maven coordinates are case-sensitive.
    pub fn normalize_name(&self, name: &str) -> String {
        match self.family {
            Family::PyPI => drydock_version::pep440::normalize_name(name),
            _ => name.to_string(),
        }
    }

    /// Whether two package names are the same package in this ecosystem.
    pub fn same_name(&self, a: &str, b: &str) -> bool {
        a == b || self.normalize_name(a) == self.normalize_name(b)
    }
}

impl Ord for OsvEcosystem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.family.name(), &self.release).cmp(&(other.family.name(), &other.release))
    }
}

impl PartialOrd for OsvEcosystem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for OsvEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(r) => write!(f, "{}:{r}", self.family.name()),
            None => f.write_str(self.family.name()),
        }
    }
}

impl FromStr for OsvEcosystem {
    type Err = UnknownEcosystem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OsvEcosystem::parse(s)
    }
}

impl Serialize for OsvEcosystem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OsvEcosystem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(deserializer)?;
        OsvEcosystem::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_families_are_refused() {
        for f in Family::ALL {
            assert_eq!(Family::from_name(f.name()), Some(f));
        }
        for s in [
            "Debian:12",
            "Ubuntu:Pro:18.04:LTS",
            "Red Hat:enterprise_linux:9::appstream",
            "Alpine:v3.19",
            "openSUSE:Leap 15.5",
            "PyPI",
            "crates.io",
            "Photon OS:5.0",
            "Azure Linux:3",
        ] {
            assert_eq!(OsvEcosystem::parse(s).unwrap().to_string(), s);
        }
        let e = OsvEcosystem::parse("Ubuntu:22.04:LTS").unwrap();
        assert_eq!((e.family(), e.release()), (Family::Ubuntu, Some("22.04:LTS")));
        assert_eq!(OsvEcosystem::parse("Debian:").unwrap().release(), None);
        for unknown in ["Linux", "Android:13", "GIT", "debian:12", "", "Oracle Linux:9"] {
            assert!(OsvEcosystem::parse(unknown).is_err(), "{unknown}");
        }
        assert_eq!(OsvEcosystem::parse("OSS-Fuzz").unwrap_err().family, "OSS-Fuzz");
    }

    #[test]
    fn families_map_to_schemes() {
        let scheme = |s: &str| OsvEcosystem::parse(s).unwrap().scheme();
        assert_eq!(scheme("Ubuntu:22.04:LTS"), Scheme::Dpkg);
        assert_eq!(scheme("Alpine:v3.19"), Scheme::Apk);
        assert_eq!(scheme("Wolfi"), Scheme::Apk);
        assert_eq!(scheme("Red Hat:enterprise_linux:9::appstream"), Scheme::Rpm);
        assert_eq!(scheme("Rocky Linux:9"), Scheme::Rpm);
        assert_eq!(scheme("SUSE:Linux Enterprise Server 15 SP5"), Scheme::Rpm);
        assert_eq!(scheme("crates.io"), Scheme::Semver);
        assert_eq!(scheme("Go"), Scheme::Semver);
        assert_eq!(scheme("Packagist"), Scheme::Semver);
        assert_eq!(scheme("PyPI"), Scheme::Pep440);
        assert_eq!(scheme("Maven"), Scheme::Maven);
        assert_eq!(scheme("RubyGems"), Scheme::Gem);
    }

    #[test]
    fn qualified_ecosystems_alias_their_base() {
        let aliases = |s: &str| -> Vec<String> {
            OsvEcosystem::parse(s)
                .unwrap()
                .aliases()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(aliases("Packagist:https://packages.drupal.org/8"), ["Packagist"]);
        assert_eq!(aliases("Red Hat:enterprise_linux:9::appstream"), ["Red Hat:9"]);
        assert_eq!(aliases("Red Hat:rhel_eus:8.6::baseos"), ["Red Hat:8"]);
        assert!(aliases("Red Hat:openshift:4").is_empty());
        assert!(aliases("Red Hat:enterprise_linux::").is_empty());
        assert!(aliases("Packagist").is_empty());
        assert!(aliases("Debian:12").is_empty());
        let rh = OsvEcosystem::parse("Red Hat:enterprise_linux:9::appstream").unwrap();
        assert!(rh.serves(&OsvEcosystem::parse("Red Hat:9").unwrap()));
        assert!(!rh.serves(&OsvEcosystem::parse("Red Hat:8").unwrap()));
    }

    #[test]
    fn names_compare_as_the_ecosystem_does() {
        let pypi = OsvEcosystem::new(Family::PyPI);
        assert!(pypi.same_name("Zope.Interface", "zope-interface"));
        assert!(pypi.same_name("jinja2", "Jinja2"));
        let npm = OsvEcosystem::new(Family::Npm);
        assert!(!npm.same_name("JSONStream", "jsonstream"));
        let maven = OsvEcosystem::new(Family::Maven);
        assert!(!maven.same_name("org.Apache:x", "org.apache:x"));
    }

    #[test]
    fn serde_is_the_osv_string() {
        let e = OsvEcosystem::parse("Debian:12").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"Debian:12\"");
        assert_eq!(serde_json::from_str::<OsvEcosystem>("\"Debian:12\"").unwrap(), e);
        assert!(serde_json::from_str::<OsvEcosystem>("\"Linux\"").is_err());
    }
}
