//! Tier 1: the CI gate's outputs on a small document built here — SARIF baseline states and
//! fingerprints, GitLab's report, the compare comment's escaping.

use drydock_baseline::{Judgement, State};
use drydock_catalog::{Package, PackageType};
use drydock_matcher::{Finding, MatchedOn, PackageRef, Status};
use drydock_report::ImageSummary;
use drydock_report::compare::CompareDocument;
use drydock_report::scan::{ReportedFinding, ScanDocument};
use drydock_vulndb::Severity;

fn finding(id: &str, package: &str) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec!["CVE-2099-0001".into()],
        advisories: vec![id.into()],
        summary: Some("a <b>summary</b>".into()),
        package: PackageRef {
            name: package.into(),
            version: "1.0".into(),
            ecosystem: PackageType::Deb,
            purl: format!("pkg:deb/debian/{package}@1.0"),
        },
        severity: Severity::High,
        score: Some(7.5),
        status: Status::Fixed,
        fixed_version: Some("1.1".into()),
        layer: Some(0),
        matched: MatchedOn {
            ecosystem: "Debian:12".parse().unwrap(),
            name: package.into(),
            version: "1.0".into(),
        },
    }
}

fn package(name: &str, version: &str) -> Package {
    serde_json::from_value(serde_json::json!({
        "name": name, "version": version, "ecosystem": "deb",
        "purl": format!("pkg:deb/debian/{name}@{version}"), "locations": [], "layer": 0
    }))
    .unwrap()
}

fn image(name: &str) -> ImageSummary {
    ImageSummary {
        name: name.into(),
        transport: "oci".into(),
        ..Default::default()
    }
}

fn doc() -> ScanDocument {
    let judged = |state| {
        Some(Judgement {
            state,
            newly_disclosed: false,
            previous: None,
        })
    };
    ScanDocument::new(
        image("oci:app"),
        vec![package("openssl", "1.0")],
        Default::default(),
        vec![
            ReportedFinding::new(finding("DSA-1", "openssl"), judged(State::New)),
            ReportedFinding::new(finding("DSA-2", "curl"), judged(State::Unchanged)),
        ],
        vec![],
        vec![],
    )
    .with_baseline("base.json", "scan report", vec![finding("DSA-3", "bash")])
}

#[test]
fn sarif_carries_baseline_states_stable_fingerprints_and_the_inventory() {
    let sarif: serde_json::Value = serde_json::from_str(&drydock_report::scan::sarif(&doc())).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    let states: Vec<&str> = results
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["new", "unchanged", "absent"]);
    assert_eq!(
        results[0]["partialFingerprints"]["drydock/v2"],
        "CVE-2099-0001/deb/openssl"
    );
    assert_eq!(run["properties"]["drydock"]["packages"][0]["name"], "openssl");
    assert_eq!(
        run["properties"]["drydock"]["findings"].as_array().unwrap().len(),
        2
    );
    // The SARIF report is a baseline in its turn.
    let b =
        drydock_baseline::load_document(drydock_report::scan::sarif(&doc()).as_bytes(), "r.sarif").unwrap();
    assert_eq!((b.packages.len(), b.recorded.map(|r| r.len())), (1, Some(2)));
}

#[test]
fn json_report_totals_and_round_trip_as_a_baseline() {
    let text = drydock_report::scan::json(&doc());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["baseline"]["new"], 1);
    assert_eq!(v["baseline"]["unchanged"], 1);
    assert_eq!(v["findings"][0]["baseline"]["state"], "new");
    assert_eq!(v["findings"][0]["fingerprint"], "CVE-2099-0001/deb/openssl");
    let b = drydock_baseline::load_document(text.as_bytes(), "r.json").unwrap();
    assert_eq!(b.recorded.unwrap()[0].id, "DSA-1");
}

#[test]
fn gitlab_report_has_the_required_fields() {
    let v: serde_json::Value =
        serde_json::from_str(&drydock_report::scan::gitlab(&doc(), "2026-11-29T10:00:00Z")).unwrap();
    assert_eq!(v["version"], "15.2.4");
    assert_eq!(v["scan"]["type"], "container_scanning");
    assert_eq!(v["scan"]["start_time"], "2026-11-29T10:00:00");
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    assert_eq!(vulns[0]["id"], "CVE-2099-0001/deb/openssl");
    assert_eq!(vulns[0]["severity"], "High");
    assert_eq!(vulns[0]["identifiers"][1]["type"], "cve");
    assert_eq!(vulns[0]["location"]["dependency"]["package"]["name"], "openssl");
    assert_eq!(vulns[0]["solution"], "Upgrade openssl to 1.1");
}

#[test]
fn the_compare_comment_keeps_untrusted_names_inert() {
    let evil = "x|<img src=x onerror=alert(1)>";
    let before = [package("openssl", "1.0")];
    let after = [package("openssl", "1.1"), package(evil, "1")];
    let found = vec![finding("DSA-1", evil)];
    let comparison = drydock_baseline::compare(&found, &[], None);
    let doc = CompareDocument::new((image("a"), &before), (image("b"), &after), &found, comparison);
    assert_eq!(doc.packages.added.len(), 1);
    assert_eq!(doc.packages.changed[0].before, vec!["1.0"]);
    let md = drydock_report::compare::markdown(&doc);
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("x\\|&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    assert!(md.contains("| new vulnerabilities | **1** |"));
}

#[test]
fn terminal_safe_shows_control_characters_and_bidi_overrides() {
    assert_eq!(
        drydock_report::terminal_safe("a\u{1b}[2Jb\tc\nd\re\u{202e}f\u{7f}"),
        "a\\u{1b}[2Jb\tc\nd\\u{d}e\\u{202e}f\\u{7f}"
    );
    assert_eq!(
        drydock_report::terminal_safe("plain — ünïcode"),
        "plain — ünïcode"
    );
}
