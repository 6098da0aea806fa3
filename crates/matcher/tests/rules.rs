//! Tier 1: each matching rule, on hand-written advisories in an in-memory store.

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_matcher::{Status, match_inventory};
use drydock_vulndb::{Severity, Store, import_path};

fn pkg(
    name: &str,
    version: &str,
    eco: PackageType,
    source: Option<(&str, &str)>,
    epoch: Option<u64>,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{name}@{version}", eco.as_str()),
        source_name: source.map(|s| s.0.to_string()),
        source_version: source.map(|s| s.1.to_string()),
        arch: Some("amd64".into()),
        epoch,
        modularity_label: None,
        layer: Some(1),
        locations: vec![],
        files: vec![],
        licenses: vec![],
        owner: None,
        dev: false,
        introduced_by: None,
        depends: Vec::new(),
        installed_size: None,
        essential: false,
    }
}

fn distro(id: &str, version: &str) -> Option<Distro> {
    Some(Distro {
        id: id.into(),
        version_id: Some(version.into()),
        source: "etc/os-release".into(),
        ..Default::default()
    })
}

fn store(records: &[&str]) -> Store {
    let dir = tempfile::tempdir().unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(dir.path().join(format!("r{i}.json")), r).unwrap();
    }
    let store = Store::in_memory().unwrap();
    import_path(&store, dir.path()).unwrap();
    store
}

const OPENSSL_DSA: &str = r#"{"id":"DSA-9999-1","aliases":["CVE-2099-0001"],"modified":"2099-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]},
             {"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u9"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;
const OPENSSL_CVE: &str = r#"{"id":"DEBIAN-CVE-2099-0001","aliases":[],"upstream":["CVE-2099-0001"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]}]}"#;
const LIBSSL_BINARY: &str = r#"{"id":"FAKE-BINARY-NAME","affected":[{"package":{"ecosystem":"Debian:12","name":"libssl3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;
const UNFIXED: &str = r#"{"id":"DEBIAN-CVE-2099-0002","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],"ecosystem_specific":{"urgency":"unimportant"}}]}"#;
const NOFIX_HIGH: &str = r#"{"id":"DEBIAN-CVE-2099-0003","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],"ecosystem_specific":{"urgency":"high"}}]}"#;

#[test]
fn debian_matches_by_source_package_and_source_version() {
    let store = store(&[OPENSSL_DSA, OPENSSL_CVE, LIBSSL_BINARY, UNFIXED, NOFIX_HIGH]);
    // The binNMU suffix is on the binary only; the source version decides.
    let inv = Inventory {
        distro: distro("debian", "12"),
        packages: vec![pkg(
            "libssl3",
            "3.0.11-1~deb12u2+b1",
            PackageType::Deb,
            Some(("openssl", "3.0.11-1~deb12u2")),
            None,
        )],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let r = match_inventory(&inv, &store).unwrap();
    let ids: Vec<(&str, Status)> = r.findings.iter().map(|f| (f.id.as_str(), f.status)).collect();
    // DSA and DEBIAN-CVE for the same CVE collapse into one finding; the binary-name record is
    // not consulted; the Debian 11 range is not this image's.
    assert_eq!(ids.len(), 3, "{ids:?}");
    let dsa = r.findings.iter().find(|f| f.cve() == "CVE-2099-0001").unwrap();
    assert_eq!(dsa.status, Status::Fixed);
    assert_eq!(dsa.fixed_version.as_deref(), Some("3.0.11-1~deb12u3"));
    assert_eq!(dsa.severity, Severity::Critical, "CVSS 9.8 from the vector");
    assert_eq!(dsa.score, Some(9.8));
    assert_eq!(dsa.layer, Some(1));
    assert_eq!(dsa.matched.name, "openssl");
    let unimportant = r
        .findings
        .iter()
        .find(|f| f.id == "DEBIAN-CVE-2099-0002")
        .unwrap();
    assert_eq!(unimportant.status, Status::Unimportant);
    let high = r
        .findings
        .iter()
        .find(|f| f.id == "DEBIAN-CVE-2099-0003")
        .unwrap();
    assert_eq!((high.status, high.severity), (Status::Affected, Severity::High));
    // Findings come most severe first.
    assert_eq!(r.findings[0].severity, Severity::Critical);

    // At the fixed source version, the DSA no longer matches.
    let fixed = Inventory {
        distro: distro("debian", "12"),
        packages: vec![pkg(
            "libssl3",
            "3.0.11-1~deb12u3+b1",
            PackageType::Deb,
            Some(("openssl", "3.0.11-1~deb12u3")),
            None,
        )],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let r = match_inventory(&fixed, &store).unwrap();
    assert!(r.findings.iter().all(|f| f.cve() != "CVE-2099-0001"));
}

#[test]
fn alpine_matches_by_origin() {
    let rec = r#"{"id":"ALPINE-CVE-2099-1","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r5"}]}]}]}"#;
    let store = store(&[rec]);
    let inv = Inventory {
        distro: distro("alpine", "3.19.1"),
        packages: vec![
            pkg(
                "libcrypto3",
                "3.1.4-r4",
                PackageType::Apk,
                Some(("openssl", "3.1.4-r4")),
                None,
            ),
            pkg(
                "libssl3",
                "3.1.4-r5",
                PackageType::Apk,
                Some(("openssl", "3.1.4-r5")),
                None,
            ),
            pkg(
                "openssl-unrelated",
                "1.0-r0",
                PackageType::Apk,
                Some(("other", "1.0-r0")),
                None,
            ),
        ],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let r = match_inventory(&inv, &store).unwrap();
    let got: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.package.name.as_str(), f.id.as_str()))
        .collect();
    assert_eq!(got, vec![("libcrypto3", "ALPINE-CVE-2099-1")]);
}

#[test]
fn rpm_epochs_absent_is_unknown_not_zero() {
    let rec = r#"{"id":"RLSA-2099:1","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-18.el9"}]}]}]}"#;
    let store = store(&[rec]);
    let inv = |version: &str, epoch| Inventory {
        distro: distro("rocky", "9.3"),
        packages: vec![pkg("openssl", version, PackageType::Rpm, None, epoch)],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    // No EPOCH tag: compared without epochs, 3.0.7-20 is past the fix.
    assert!(
        match_inventory(&inv("3.0.7-20.el9", None), &store)
            .unwrap()
            .findings
            .is_empty()
    );
    assert_eq!(
        match_inventory(&inv("3.0.7-16.el9", None), &store)
            .unwrap()
            .findings
            .len(),
        1
    );
    // An explicit epoch 0 is older than any 1: version.
    assert_eq!(
        match_inventory(&inv("0:3.0.7-20.el9", Some(0)), &store)
            .unwrap()
            .findings
            .len(),
        1
    );
    assert!(
        match_inventory(&inv("1:3.0.7-18.el9", Some(1)), &store)
            .unwrap()
            .findings
            .is_empty()
    );
}

#[test]
fn unknown_os_says_so() {
    let store = store(&[OPENSSL_DSA]);
    let inv = Inventory {
        distro: distro("plan9", "4"),
        packages: vec![pkg(
            "openssl",
            "1.0",
            PackageType::Deb,
            Some(("openssl", "1.0")),
            None,
        )],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let r = match_inventory(&inv, &store).unwrap();
    assert!(r.findings.is_empty());
    assert!(
        r.warnings.iter().any(|w| w.contains("were not matched")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn rpm_module_streams_must_agree() {
    let stream18 = r#"{"id":"RLSA-2099:18","affected":[{"package":{"ecosystem":"Rocky Linux:8","name":"nodejs","purl":"pkg:rpm/rocky-linux/nodejs?rpmmod=nodejs:18:8090020231005151149:a75119d5"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:18.19.0-1.module+el8.9.0"}]}]}]}"#;
    let stream20 = r#"{"id":"RLSA-2099:20","affected":[{"package":{"ecosystem":"Rocky Linux:8","name":"nodejs","purl":"pkg:rpm/rocky-linux/nodejs?rpmmod=nodejs:20"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:20.11.0-1.module+el8.9.0"}]}]}]}"#;
    let plain = r#"{"id":"RLSA-2099:1","affected":[{"package":{"ecosystem":"Rocky Linux:8","name":"nodejs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:99.0.0-1.el8"}]}]}]}"#;
    let store = store(&[stream18, stream20, plain]);
    let mut p = pkg(
        "nodejs",
        "1:18.18.0-1.module+el8.8.0",
        PackageType::Rpm,
        None,
        Some(1),
    );
    p.modularity_label = Some("nodejs:18:8080020230802165407:63b34585".into());
    let inv = Inventory {
        distro: distro("rocky", "8.9"),
        packages: vec![p],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let ids: Vec<String> = match_inventory(&inv, &store)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(
        ids,
        vec!["RLSA-2099:18".to_string()],
        "only the package's own stream"
    );
    let plain_pkg = pkg("nodejs", "1:10.0.0-1.el8", PackageType::Rpm, None, Some(1));
    let inv = Inventory {
        distro: distro("rocky", "8.9"),
        packages: vec![plain_pkg],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let ids: Vec<String> = match_inventory(&inv, &store)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(
        ids,
        vec!["RLSA-2099:1".to_string()],
        "a non-modular package ignores module advisories"
    );
}

#[test]
fn packages_of_an_ecosystem_the_database_lacks_are_a_warning_not_a_clean_result() {
    let pypi = r#"{"id":"PYSEC-2099-1","affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31.0"}]}]}]}"#;
    let store = store(&[pypi]);
    let inv = Inventory {
        distro: distro("debian", "12"),
        packages: vec![
            pkg(
                "libssl3",
                "3.0.11-1",
                PackageType::Deb,
                Some(("openssl", "3.0.11-1")),
                None,
            ),
            pkg(
                "zlib1g",
                "1:1.2.13.dfsg-1",
                PackageType::Deb,
                Some(("zlib", "1:1.2.13.dfsg-1")),
                None,
            ),
            pkg("requests", "2.25.1", PackageType::Pypi, None, None),
        ],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let r = match_inventory(&inv, &store).unwrap();
    assert_eq!(
        r.findings.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        vec!["PYSEC-2099-1"],
        "PyPI names match after PEP 503 normalisation"
    );
    assert_eq!(
        r.warnings,
        vec!["the advisory database has no records for Debian:12: 2 package(s) were not checked (import or update that ecosystem)".to_string()]
    );
}

/// A later advisory supersedes an earlier one for a shared CVE with a higher fix (DSA-5890-1
/// fixed chromium in .52, DSA-5898-1 re-fixed one of its CVEs in .84).
const EARLY: &str = r#"{"id":"DSA-9000-1","upstream":["CVE-2099-0101","CVE-2099-0102"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"chromium"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"135.0.52-1~deb12u1"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N"}]}"#;
const LATER: &str = r#"{"id":"DSA-9008-1","upstream":["CVE-2099-0101"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"chromium"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"135.0.84-1~deb12u1"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;
/// A CVE of its own: never folded with the others.
const UNRELATED: &str = r#"{"id":"DSA-9001-1","upstream":["CVE-2099-0200"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"chromium"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"135.0.60-1~deb12u1"}]}]}]}"#;
const NO_FIX_YET: &str = r#"{"id":"DEBIAN-CVE-2099-0102","upstream":["CVE-2099-0102"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"chromium"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;

fn chromium_at(version: &str) -> Inventory {
    Inventory {
        distro: distro("debian", "12"),
        packages: vec![pkg("chromium", version, PackageType::Deb, None, None)],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    }
}

#[test]
fn folded_advisories_report_the_fix_for_all_of_them() {
    // Either import order gives the same answer.
    for records in [[EARLY, LATER, UNRELATED], [UNRELATED, LATER, EARLY]] {
        let store = store(&records);
        let r = match_inventory(&chromium_at("135.0.40-1~deb12u1"), &store).unwrap();
        assert_eq!(r.findings.len(), 2, "{:?}", r.findings);
        let folded = r.findings.iter().find(|f| f.advisories.len() == 2).unwrap();
        assert_eq!(folded.advisories, vec!["DSA-9000-1", "DSA-9008-1"]);
        assert_eq!(folded.fixed_version.as_deref(), Some("135.0.84-1~deb12u1"));
        assert_eq!(folded.id, "DSA-9008-1", "the advisory whose fix is reported");
        assert_eq!(folded.status, Status::Fixed);
        assert_eq!(folded.severity, Severity::Critical, "the highest of the two");
        assert_eq!(folded.score, Some(9.8));
        for alias in ["CVE-2099-0101", "CVE-2099-0102", "DSA-9000-1"] {
            assert!(
                folded.aliases.iter().any(|a| a == alias),
                "{alias} in {:?}",
                folded.aliases
            );
        }
        assert!(!folded.aliases.contains(&folded.id));
        let other = r.findings.iter().find(|f| f.id == "DSA-9001-1").unwrap();
        assert_eq!(other.advisories, vec!["DSA-9001-1"]);
    }
    // Between the two fixes only the later advisory still applies.
    let store = store(&[EARLY, LATER]);
    let r = match_inventory(&chromium_at("135.0.60-1~deb12u1"), &store).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].id, "DSA-9008-1");
    assert_eq!(r.findings[0].advisories, vec!["DSA-9008-1"]);
    assert_eq!(r.findings[0].severity, Severity::Critical);
}

#[test]
fn a_folded_finding_is_unfixed_when_any_part_has_no_fix() {
    let store = store(&[EARLY, NO_FIX_YET, LATER]);
    let r = match_inventory(&chromium_at("135.0.40-1~deb12u1"), &store).unwrap();
    assert_eq!(r.findings.len(), 1, "all three share CVEs: {:?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        f.advisories,
        vec!["DEBIAN-CVE-2099-0102", "DSA-9000-1", "DSA-9008-1"]
    );
    assert_eq!(f.status, Status::Affected);
    assert_eq!(f.fixed_version, None);
    assert_eq!(f.id, "DEBIAN-CVE-2099-0102");
}

/// An advisory entry with only GIT ranges cannot be evaluated against a version: the package
/// gets a warning naming the advisory, never a silent "not affected". An entry with a GIT range
/// beside an ECOSYSTEM one is evaluated on the latter, without a warning.
#[test]
fn entries_that_cannot_be_evaluated_are_warned_about() {
    let only_git = r#"{"id":"GHSA-git-only","modified":"2099-01-01T00:00:00Z",
     "affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"GIT","repo":"https://example.invalid/r","events":[{"introduced":"0"},{"fixed":"abc123"}]}]}]}"#;
    let mixed = r#"{"id":"GHSA-mixed","modified":"2099-01-01T00:00:00Z",
     "affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"GIT","repo":"https://example.invalid/r","events":[{"introduced":"0"},{"fixed":"abc123"}]},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#;
    let inv = Inventory {
        distro: None,
        packages: vec![pkg("requests", "2.31.0", PackageType::Pypi, None, None)],
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let report = match_inventory(&inv, &store(&[only_git, mixed])).unwrap();
    assert!(report.findings.is_empty());
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0]
            .starts_with("GHSA-git-only: requests 2.31.0 not checked against it: GIT range skipped")
    );
}
