//! Distributions: the os-release `ID`s drydock knows, and the OSV ecosystems each release's
//! advisories are published under.

use crate::osv::{Family, OsvEcosystem};

/// One distribution drydock knows.
pub struct Distribution {
    /// os-release `ID`, lower case.
    pub id: &'static str,
    /// The OSV families its advisories are published in; empty when OSV publishes none (its
    /// OS packages are then inventoried but not matched, and the user is told so).
    pub families: &'static [Family],
    /// Whether its ecosystems name a release: without a `VERSION_ID` it then has none.
    release: bool,
    /// The ecosystems for one release (its os-release `VERSION_ID`), most specific first.
    ecosystems: fn(&str) -> Vec<OsvEcosystem>,
}

impl Distribution {
    /// The OSV ecosystems a package of this release is looked up in. Empty when OSV has no
    /// data for the distribution, or when the release is needed and unknown.
    pub fn osv_ecosystems(&self, version_id: Option<&str>) -> Vec<OsvEcosystem> {
        let version = version_id.unwrap_or_default();
        if self.release && version.is_empty() {
            return Vec::new();
        }
        (self.ecosystems)(version)
    }
}

impl std::fmt::Debug for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Distribution").field("id", &self.id).finish()
    }
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// `Family:RELEASE`.
fn released(family: Family, release: impl Into<String>) -> Vec<OsvEcosystem> {
    vec![OsvEcosystem::with_release(family, release)]
}

fn none(_: &str) -> Vec<OsvEcosystem> {
    Vec::new()
}

/// Every distribution drydock knows. Adding one is one row.
pub static DISTRIBUTIONS: &[Distribution] = &[
    Distribution {
        id: "debian",
        release: true,
        families: &[Family::Debian],
        ecosystems: |v| released(Family::Debian, major(v)),
    },
    Distribution {
        id: "ubuntu",
        release: true,
        families: &[Family::Ubuntu],
        // Ubuntu files a release's records under the plain release, the LTS release and the
        // Pro (ESM) release; an installed package may be covered by any of them.
        ecosystems: |v| {
            vec![
                OsvEcosystem::with_release(Family::Ubuntu, v),
                OsvEcosystem::with_release(Family::Ubuntu, format!("{v}:LTS")),
                OsvEcosystem::with_release(Family::Ubuntu, format!("Pro:{v}:LTS")),
            ]
        },
    },
    Distribution {
        id: "alpine",
        release: true,
        families: &[Family::Alpine],
        ecosystems: |v| released(Family::Alpine, format!("v{}", major_minor(v))),
    },
    Distribution {
        id: "wolfi",
        release: false,
        families: &[Family::Wolfi],
        ecosystems: |_| vec![OsvEcosystem::new(Family::Wolfi)],
    },
    Distribution {
        id: "chainguard",
        release: false,
        families: &[Family::Chainguard],
        ecosystems: |_| vec![OsvEcosystem::new(Family::Chainguard)],
    },
    Distribution {
        id: "rhel",
        release: true,
        families: &[Family::RedHat],
        ecosystems: |v| released(Family::RedHat, major(v)),
    },
    Distribution {
        id: "centos",
        release: true,
        families: &[Family::RedHat],
        ecosystems: |v| released(Family::RedHat, major(v)),
    },
    Distribution {
        id: "rocky",
        release: true,
        families: &[Family::RockyLinux],
        ecosystems: |v| released(Family::RockyLinux, major(v)),
    },
    Distribution {
        id: "almalinux",
        release: true,
        families: &[Family::AlmaLinux],
        ecosystems: |v| released(Family::AlmaLinux, major(v)),
    },
    Distribution {
        id: "sles",
        release: true,
        families: &[Family::Suse],
        // VERSION_ID 15.5 is "Linux Enterprise Server 15 SP5"; 15 and 15.0 have no SP.
        ecosystems: |v| {
            let (base, sp) = v.split_once('.').unwrap_or((v, "0"));
            if sp == "0" {
                released(Family::Suse, format!("Linux Enterprise Server {base}"))
            } else {
                released(Family::Suse, format!("Linux Enterprise Server {base} SP{sp}"))
            }
        },
    },
    Distribution {
        id: "opensuse-leap",
        release: true,
        families: &[Family::OpenSuse],
        ecosystems: |v| released(Family::OpenSuse, format!("Leap {v}")),
    },
    Distribution {
        id: "opensuse-tumbleweed",
        release: false,
        families: &[Family::OpenSuse],
        ecosystems: |_| released(Family::OpenSuse, "Tumbleweed"),
    },
    // Older openSUSE releases said only `opensuse`: which product is not known.
    Distribution {
        id: "opensuse",
        release: false,
        families: &[],
        ecosystems: none,
    },
    Distribution {
        id: "sle-micro",
        release: false,
        families: &[],
        ecosystems: none,
    },
    // CBL-Mariner 2.0 was renamed Azure Linux; OSV files both under the major release
    // (`Azure Linux:2`, `Azure Linux:3`).
    Distribution {
        id: "mariner",
        release: true,
        families: &[Family::AzureLinux],
        ecosystems: |v| released(Family::AzureLinux, major(v)),
    },
    Distribution {
        id: "azurelinux",
        release: true,
        families: &[Family::AzureLinux],
        ecosystems: |v| released(Family::AzureLinux, major(v)),
    },
    // Photon's VERSION_ID is `5.0`, as its ecosystem (`Photon OS:5.0`); a bare `5` gains `.0`.
    Distribution {
        id: "photon",
        release: true,
        families: &[Family::PhotonOs],
        ecosystems: |v| {
            let v = major_minor(v);
            released(
                Family::PhotonOs,
                if v.contains('.') { v } else { format!("{v}.0") },
            )
        },
    },
    // OSV publishes no advisories for these: inventoried, not matched.
    Distribution {
        id: "fedora",
        release: false,
        families: &[],
        ecosystems: none,
    },
    Distribution {
        id: "amzn",
        release: false,
        families: &[],
        ecosystems: none,
    },
    Distribution {
        id: "ol",
        release: false,
        families: &[],
        ecosystems: none,
    },
];

/// The distribution with os-release `ID` `id`.
pub fn distribution(id: &str) -> Option<&'static Distribution> {
    DISTRIBUTIONS.iter().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecosystems(id: &str, version: &str) -> Vec<String> {
        distribution(id)
            .unwrap()
            .osv_ecosystems(Some(version))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn releases_map_to_the_ecosystems_osv_files_them_under() {
        assert_eq!(ecosystems("debian", "12"), ["Debian:12"]);
        assert_eq!(ecosystems("debian", "11.9"), ["Debian:11"]);
        assert_eq!(
            ecosystems("ubuntu", "22.04"),
            ["Ubuntu:22.04", "Ubuntu:22.04:LTS", "Ubuntu:Pro:22.04:LTS"]
        );
        assert_eq!(ecosystems("alpine", "3.19.1"), ["Alpine:v3.19"]);
        assert_eq!(ecosystems("wolfi", "20230201"), ["Wolfi"]);
        assert_eq!(ecosystems("chainguard", ""), ["Chainguard"]);
        assert_eq!(ecosystems("rhel", "9.3"), ["Red Hat:9"]);
        assert_eq!(ecosystems("centos", "7"), ["Red Hat:7"]);
        assert_eq!(ecosystems("rocky", "9.3"), ["Rocky Linux:9"]);
        assert_eq!(ecosystems("almalinux", "8.9"), ["AlmaLinux:8"]);
        assert_eq!(
            ecosystems("sles", "15.5"),
            ["SUSE:Linux Enterprise Server 15 SP5"]
        );
        assert_eq!(ecosystems("sles", "15"), ["SUSE:Linux Enterprise Server 15"]);
        assert_eq!(ecosystems("opensuse-leap", "15.5"), ["openSUSE:Leap 15.5"]);
        assert_eq!(
            ecosystems("opensuse-tumbleweed", "20240101"),
            ["openSUSE:Tumbleweed"]
        );
        assert_eq!(ecosystems("mariner", "2.0"), ["Azure Linux:2"]);
        assert_eq!(ecosystems("azurelinux", "3.0"), ["Azure Linux:3"]);
        assert_eq!(ecosystems("photon", "5.0"), ["Photon OS:5.0"]);
        assert_eq!(ecosystems("photon", "4"), ["Photon OS:4.0"]);
        for id in ["fedora", "amzn", "ol", "opensuse", "sle-micro"] {
            assert!(ecosystems(id, "1").is_empty(), "{id}");
            assert!(distribution(id).unwrap().families.is_empty());
        }
        assert!(distribution("gentoo").is_none());
    }

    #[test]
    fn a_release_that_is_needed_and_unknown_gives_no_ecosystem() {
        for id in [
            "debian",
            "ubuntu",
            "alpine",
            "rhel",
            "sles",
            "opensuse-leap",
            "photon",
        ] {
            assert!(distribution(id).unwrap().osv_ecosystems(None).is_empty(), "{id}");
        }
        assert_eq!(distribution("wolfi").unwrap().osv_ecosystems(None).len(), 1);
    }

    #[test]
    fn every_ecosystem_a_row_builds_is_of_a_family_it_declares() {
        for d in DISTRIBUTIONS {
            for e in d.osv_ecosystems(Some("9.1")) {
                assert!(d.families.contains(&e.family()), "{}: {e}", d.id);
            }
        }
        let mut ids: Vec<&str> = DISTRIBUTIONS.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), DISTRIBUTIONS.len(), "an os-release ID listed twice");
    }

    #[test]
    fn db_update_fetches_what_drydock_matches() {
        let fetched: Vec<&str> = Family::ALL
            .into_iter()
            .filter(|f| f.fetched_by_default())
            .map(Family::name)
            .collect();
        assert_eq!(
            fetched,
            [
                "AlmaLinux",
                "Alpine",
                "Azure Linux",
                "Chainguard",
                "crates.io",
                "Debian",
                "Go",
                "Maven",
                "npm",
                "openSUSE",
                "Packagist",
                "PyPI",
                "Red Hat",
                "Rocky Linux",
                "RubyGems",
                "SUSE",
                "Ubuntu",
                "Wolfi"
            ]
        );
    }
}
