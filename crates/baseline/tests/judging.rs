//! Tier 1: judging findings against a baseline, on findings built here.

use drydock_baseline::{FailOn, Fingerprint, State, compare, load_document};
use drydock_catalog::PackageType;
use drydock_matcher::{Finding, MatchedOn, PackageRef, Status};
use drydock_vulndb::Severity;

fn finding(
    id: &str,
    aliases: &[&str],
    package: &str,
    version: &str,
    severity: Severity,
    fixed: Option<&str>,
) -> Finding {
    Finding {
        id: id.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        advisories: vec![id.into()],
        summary: None,
        package: PackageRef {
            name: package.into(),
            version: version.into(),
            ecosystem: PackageType::Deb,
            purl: format!("pkg:deb/debian/{package}@{version}"),
        },
        severity,
        score: None,
        status: if fixed.is_some() {
            Status::Fixed
        } else {
            Status::Affected
        },
        fixed_version: fixed.map(str::to_string),
        layer: Some(1),
        matched: MatchedOn {
            ecosystem: "Debian:12".parse().unwrap(),
            name: package.into(),
            version: version.into(),
        },
    }
}

#[test]
fn states_new_unchanged_updated_and_absent() {
    let now = vec![
        finding(
            "DSA-1",
            &["CVE-2099-1"],
            "openssl",
            "3.0.2",
            Severity::High,
            Some("3.0.9"),
        ),
        finding(
            "DSA-2",
            &["CVE-2099-2"],
            "curl",
            "8.0",
            Severity::Critical,
            Some("8.1"),
        ),
        finding(
            "DEBIAN-CVE-2099-3",
            &["CVE-2099-3"],
            "zlib1g",
            "1.2",
            Severity::High,
            None,
        ),
    ];
    // The baseline had an older openssl, vulnerable to the same CVE under another advisory id.
    let before = vec![
        finding(
            "DEBIAN-CVE-2099-1",
            &["CVE-2099-1"],
            "openssl",
            "3.0.1",
            Severity::High,
            Some("3.0.9"),
        ),
        finding(
            "DEBIAN-CVE-2099-3",
            &["CVE-2099-3"],
            "zlib1g",
            "1.2",
            Severity::Low,
            None,
        ),
        finding(
            "DSA-4",
            &["CVE-2099-4"],
            "bash",
            "5.1",
            Severity::Medium,
            Some("5.2"),
        ),
    ];
    let c = compare(&now, &before, None);
    let states: Vec<State> = c.judgements.iter().map(|j| j.state).collect();
    assert_eq!(states, vec![State::Unchanged, State::New, State::Updated]);
    assert_eq!(c.judgements[2].previous.as_ref().unwrap().severity, Severity::Low);
    assert!(c.judgements.iter().all(|j| !j.newly_disclosed));
    assert_eq!(c.absent.len(), 1);
    assert_eq!(c.absent[0].package.name, "bash");
}

#[test]
fn a_finding_absent_from_the_recorded_report_is_newly_disclosed() {
    let now = vec![finding(
        "DSA-1",
        &["CVE-2099-1"],
        "openssl",
        "3.0.2",
        Severity::High,
        Some("3.0.9"),
    )];
    let today = now.clone();
    let recorded: Vec<Finding> = Vec::new();
    let c = compare(&now, &today, Some(&recorded));
    assert_eq!(c.judgements[0].state, State::Unchanged);
    assert!(c.judgements[0].newly_disclosed);
    let gate: FailOn = "new:LOW".parse().unwrap();
    assert!(!gate.fails(&now[0], Some(&c.judgements[0])));
    let plain: FailOn = "LOW".parse().unwrap();
    assert!(plain.fails(&now[0], Some(&c.judgements[0])));
    // Without a baseline, `new:` counts every finding.
    assert!(gate.fails(&now[0], None));
    assert!(!"new:CRITICAL".parse::<FailOn>().unwrap().fails(&now[0], None));
    assert!("old:HIGH".parse::<FailOn>().is_err());
    assert!("new:SEVERE".parse::<FailOn>().is_err());
}

#[test]
fn another_package_or_ecosystem_is_another_finding() {
    let now = vec![finding(
        "DSA-1",
        &["CVE-2099-1"],
        "libssl3",
        "3.0.2",
        Severity::High,
        Some("3.0.9"),
    )];
    let before = vec![finding(
        "DSA-1",
        &["CVE-2099-1"],
        "openssl",
        "3.0.2",
        Severity::High,
        Some("3.0.9"),
    )];
    assert_eq!(compare(&now, &before, None).judgements[0].state, State::New);
    let mut pypi = before[0].clone();
    pypi.package.name = "libssl3".into();
    pypi.package.ecosystem = PackageType::Pypi;
    assert_eq!(compare(&now, &[pypi], None).judgements[0].state, State::New);
}

#[test]
fn fingerprints_hold_no_version_and_prefer_the_lowest_cve() {
    let a = finding(
        "DSA-9",
        &["CVE-2099-7", "CVE-2099-3"],
        "curl",
        "8.0",
        Severity::High,
        Some("8.1"),
    );
    let mut b = a.clone();
    b.package.version = "8.0.1".into();
    b.layer = Some(5);
    assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
    assert_eq!(Fingerprint::of(&a).key(), "CVE-2099-3/deb/curl");
    let no_cve = finding("GHSA-xxxx", &["PYSEC-1"], "curl", "8.0", Severity::High, None);
    assert_eq!(Fingerprint::of(&no_cve).vulnerability, "GHSA-xxxx");
}

#[test]
fn baseline_documents_are_recognised_or_refused_with_a_reason() {
    let sbom = br#"{"schema_version":1,"tool":{"name":"drydock","version":"0"},"image":{"os":null},"packages":[],"warnings":[]}"#;
    let b = load_document(sbom, "sbom.json").unwrap();
    assert_eq!(b.kind, "SBOM");
    assert!(b.recorded.is_none());
    let report = br#"{"schema_version":1,"tool":{"name":"drydock","version":"0"},"image":{"os":null},"findings":[],"packages":[]}"#;
    let b = load_document(report, "r.json").unwrap();
    assert_eq!((b.kind, b.recorded.map(|r| r.len())), ("scan report", Some(0)));
    let old_report =
        br#"{"schema_version":1,"tool":{"name":"drydock","version":"0"},"image":{"os":null},"findings":[]}"#;
    let err = load_document(old_report, "old.json").unwrap_err().to_string();
    assert!(
        err.starts_with("old.json: ") && err.contains("no inventory"),
        "{err}"
    );
    let other = br#"{"schema_version":1,"tool":{"name":"trivy","version":"0"},"image":{},"packages":[]}"#;
    assert!(
        load_document(other, "t.json")
            .unwrap_err()
            .to_string()
            .contains("not a drydock")
    );
    let foreign_sarif = br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}"#;
    assert!(
        load_document(foreign_sarif, "x.sarif")
            .unwrap_err()
            .to_string()
            .contains("without drydock's inventory")
    );
    assert!(load_document(b"not json", "x").is_err());
}
