//! Tier 1: every distribution drydock matches finds its advisories under the OSV ecosystem name
//! osv.dev uses for it, and not under a neighbour's; epochs and owned language packages.

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_matcher::{Status, match_inventory};
use drydock_vulndb::{Store, import_path};

fn package(name: &str, version: &str, ecosystem: PackageType, epoch: Option<u64>) -> Package {
    let mut p = Package::found_at(
        name.into(),
        version.into(),
        ecosystem,
        format!("pkg:{}/{name}@{version}", ecosystem.as_str()),
        Some(0),
        "/db".into(),
    );
    p.epoch = epoch;
    p
}

fn store_with(ecosystem: &str, name: &str, fixed: &str) -> Store {
    let dir = tempfile::tempdir().unwrap();
    let record = serde_json::json!({
        "id": "TEST-1", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
    });
    std::fs::write(dir.path().join("r.json"), record.to_string()).unwrap();
    let store = Store::in_memory().unwrap();
    import_path(&store, dir.path()).unwrap();
    store
}

fn findings(distro: (&str, &str), p: Package, store: &Store) -> usize {
    let inv = Inventory {
        distro: Some(Distro {
            id: distro.0.into(),
            version_id: Some(distro.1.into()),
            source: "etc/os-release".into(),
            ..Default::default()
        }),
        packages: vec![p],
        ..Default::default()
    };
    match_inventory(&inv, store).unwrap().findings.len()
}

#[test]
fn each_distribution_reads_its_own_ecosystem() {
    // (os-release id, VERSION_ID, package ecosystem, OSV ecosystem, a neighbour's)
    let cases = [
        ("debian", "12", PackageType::Deb, "Debian:12", "Debian:11"),
        (
            "ubuntu",
            "22.04",
            PackageType::Deb,
            "Ubuntu:22.04:LTS",
            "Ubuntu:20.04:LTS",
        ),
        (
            "ubuntu",
            "22.04",
            PackageType::Deb,
            "Ubuntu:Pro:22.04:LTS",
            "Ubuntu:Pro:20.04:LTS",
        ),
        (
            "ubuntu",
            "23.10",
            PackageType::Deb,
            "Ubuntu:23.10",
            "Ubuntu:23.04",
        ),
        (
            "alpine",
            "3.19.1",
            PackageType::Apk,
            "Alpine:v3.19",
            "Alpine:v3.18",
        ),
        ("wolfi", "20230201", PackageType::Apk, "Wolfi", "Chainguard"),
        ("chainguard", "20230214", PackageType::Apk, "Chainguard", "Wolfi"),
        ("rocky", "9.3", PackageType::Rpm, "Rocky Linux:9", "Rocky Linux:8"),
        ("almalinux", "9.3", PackageType::Rpm, "AlmaLinux:9", "AlmaLinux:8"),
        ("rhel", "9.3", PackageType::Rpm, "Red Hat:9", "Red Hat:8"),
        ("centos", "8", PackageType::Rpm, "Red Hat:8", "Red Hat:9"),
        (
            "opensuse-leap",
            "15.5",
            PackageType::Rpm,
            "openSUSE:Leap 15.5",
            "openSUSE:Leap 15.4",
        ),
        (
            "opensuse-tumbleweed",
            "20240101",
            PackageType::Rpm,
            "openSUSE:Tumbleweed",
            "openSUSE:Leap 15.5",
        ),
        (
            "sles",
            "15.5",
            PackageType::Rpm,
            "SUSE:Linux Enterprise Server 15 SP5",
            "SUSE:Linux Enterprise Server 15 SP4",
        ),
        (
            "sles",
            "15",
            PackageType::Rpm,
            "SUSE:Linux Enterprise Server 15",
            "SUSE:Linux Enterprise Server 15 SP1",
        ),
        (
            "azurelinux",
            "3.0",
            PackageType::Rpm,
            "Azure Linux:3",
            "Azure Linux:2",
        ),
        (
            "mariner",
            "2.0",
            PackageType::Rpm,
            "Azure Linux:2",
            "Azure Linux:3",
        ),
        (
            "photon",
            "5.0",
            PackageType::Rpm,
            "Photon OS:5.0",
            "Photon OS:4.0",
        ),
    ];
    for (id, version, eco, osv, neighbour) in cases {
        let epoch = (eco == PackageType::Rpm).then_some(0);
        let mine = store_with(osv, "zlib", "2.0");
        assert_eq!(
            findings((id, version), package("zlib", "1.0", eco, epoch), &mine),
            1,
            "{id} {version} reads {osv}"
        );
        let theirs = store_with(neighbour, "zlib", "2.0");
        assert_eq!(
            findings((id, version), package("zlib", "1.0", eco, epoch), &theirs),
            0,
            "{id} {version} must not read {neighbour}"
        );
    }
}

/// Distributions OSV publishes nothing for are inventoried, never silently "clean": the match
/// says their OS packages were not checked.
#[test]
fn distributions_without_advisories_say_so() {
    let store = store_with("Red Hat:9", "bash", "2.0");
    for (id, version) in [("fedora", "40"), ("amzn", "2023"), ("ol", "9")] {
        let inv = Inventory {
            distro: Some(Distro {
                id: id.into(),
                version_id: Some(version.into()),
                source: "etc/os-release".into(),
                ..Default::default()
            }),
            packages: vec![package("bash", "1.0", PackageType::Rpm, Some(0))],
            ..Default::default()
        };
        let report = match_inventory(&inv, &store).unwrap();
        assert!(report.findings.is_empty(), "{id}");
        assert_eq!(
            report.warnings,
            [format!(
                "OS packages of {id} {version} were not matched: drydock has no advisory ecosystem for it"
            )],
            "{id}"
        );
    }
}

/// An rpm header without an EPOCH tag is compared without epochs: `1.5` against a fix at
/// `1:2.0` is affected.
#[test]
fn unknown_epochs_compare_without_epochs() {
    let store = store_with("Red Hat:9", "bash", "1:2.0");
    assert_eq!(
        findings(
            ("rhel", "9"),
            package("bash", "1.5", PackageType::Rpm, None),
            &store
        ),
        1
    );
    assert_eq!(
        findings(
            ("rhel", "9"),
            package("bash", "2.5", PackageType::Rpm, None),
            &store
        ),
        0
    );
    // With the epoch known, 0:2.5 is older than 1:2.0.
    assert_eq!(
        findings(
            ("rhel", "9"),
            package("bash", "2.5", PackageType::Rpm, Some(0)),
            &store
        ),
        1
    );
}

/// A language package that an OS package installed (pip from python3-pip) is matched by the
/// OS advisories only.
#[test]
fn owned_language_packages_are_left_to_the_os_advisories() {
    let store = store_with("PyPI", "pip", "23.3");
    let mut pip = package("pip", "23.0.1", PackageType::Pypi, None);
    assert_eq!(findings(("debian", "12"), pip.clone(), &store), 1);
    pip.owner = Some("deb:python3-pip".into());
    assert_eq!(findings(("debian", "12"), pip, &store), 0);
}

#[test]
fn statuses_have_their_documented_names() {
    let names: Vec<&str> = [
        Status::Fixed,
        Status::Affected,
        Status::WillNotFix,
        Status::Unimportant,
    ]
    .into_iter()
    .map(Status::as_str)
    .collect();
    assert_eq!(names, ["fixed", "affected", "will_not_fix", "unimportant"]);
}

/// Folded advisories without a fix: the finding is "affected" when one of them is plainly
/// unfixed, and that one is the primary id, even when a "will not fix" one sorts first.
#[test]
fn an_unfixed_fold_reports_the_plain_unfixed_advisory() {
    let dir = tempfile::tempdir().unwrap();
    let record = |id: &str, state: Option<&str>| {
        let mut affected = serde_json::json!({"package": {"ecosystem": "Debian:12", "name": "zlib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]});
        if let Some(s) = state {
            affected["ecosystem_specific"] = serde_json::json!({"urgency": s});
        }
        serde_json::json!({"id": id, "aliases": ["CVE-2099-0042"], "modified": "2026-01-01T00:00:00Z",
                           "affected": [affected]})
    };
    std::fs::write(
        dir.path().join("a.json"),
        record("AAA-1", Some("will not fix")).to_string(),
    )
    .unwrap();
    std::fs::write(dir.path().join("z.json"), record("ZZZ-1", None).to_string()).unwrap();
    let store = Store::in_memory().unwrap();
    import_path(&store, dir.path()).unwrap();
    let inv = Inventory {
        distro: Some(Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            source: "etc/os-release".into(),
            ..Default::default()
        }),
        packages: vec![package("zlib", "1.0", PackageType::Deb, None)],
        ..Default::default()
    };
    let report = match_inventory(&inv, &store).unwrap();
    assert_eq!(report.findings.len(), 1);
    let f = &report.findings[0];
    assert_eq!(f.advisories, ["AAA-1", "ZZZ-1"]);
    assert_eq!((f.id.as_str(), f.status), ("ZZZ-1", Status::Affected));
}
