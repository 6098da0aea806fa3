//! Tier 1: how each format shows where a finding came from and its fix, on a document built
//! here: the table's columns and summary line, SARIF's first location, CycloneDX's
//! recommendation, GitLab's solution, the JSON fields.

use drydock_advise::{Fix, FixClass};
use drydock_catalog::{Confidence, DockerfileLocation, IntroducedBy, PackageType};
use drydock_matcher::{Finding, MatchedOn, PackageRef, Status};
use drydock_report::scan::{ReportedFinding, ScanDocument};
use drydock_report::{ImageSummary, SbomDocument};
use drydock_vulndb::Severity;

fn finding(id: &str, package: &str, layer: usize) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        advisories: vec![id.into()],
        summary: None,
        package: PackageRef {
            name: package.into(),
            version: "1.0-1".into(),
            ecosystem: PackageType::Deb,
            purl: format!("pkg:deb/debian/{package}@1.0-1"),
        },
        severity: Severity::High,
        score: None,
        status: Status::Fixed,
        fixed_version: Some("1.0-1+deb12u1".into()),
        layer: Some(layer),
        matched: MatchedOn {
            ecosystem: "Debian:12".parse().unwrap(),
            name: package.into(),
            version: "1.0-1".into(),
        },
    }
}

fn reported(id: &str, package: &str, line: Option<usize>, fix: FixClass) -> ReportedFinding {
    let mut r = ReportedFinding::new(finding(id, package, 3), None);
    r.introduced_by = Some(IntroducedBy {
        layer: 3,
        diff_id: Some("sha256:abc".into()),
        created_by: Some("RUN apt-get install -y curl".into()),
        base_image: Some(line.is_none()),
        dockerfile: line.map(|line| DockerfileLocation {
            path: "build/Dockerfile".into(),
            line,
            end_line: line + 2,
            instruction: "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*"
                .into(),
            from_stage: None,
        }),
        confidence: if line.is_some() {
            Confidence::Aligned
        } else {
            Confidence::History
        },
    });
    r.fix = Some(Fix {
        class: fix,
        action: format!("do the {} thing", fix.as_str()),
        version: Some("1.0-1+deb12u1".into()),
        suite: (fix == FixClass::Rebuild).then(|| "debian:bookworm-security".into()),
    });
    r
}

fn document() -> (ScanDocument, SbomDocument) {
    let image = ImageSummary {
        name: "oci:app:1.0".into(),
        transport: "oci".into(),
        ..Default::default()
    };
    let findings = vec![
        reported("TEST-1", "curl", Some(12), FixClass::Rebuild),
        reported("TEST-2", "libssl3", None, FixClass::BaseImage),
    ];
    let scan = ScanDocument::new(
        image.clone(),
        vec![],
        Default::default(),
        findings,
        vec![],
        vec![],
    );
    let sbom = SbomDocument::new(image, Default::default());
    (scan, sbom)
}

#[test]
fn the_table_shows_origin_fix_and_summary() {
    let (doc, _) = document();
    let table = drydock_report::scan::table(&doc);
    assert!(
        table.contains("INTRODUCED BY") && table.contains("FIX"),
        "{table}"
    );
    assert!(
        table.contains("Dockerfile:12 RUN apt-get update && apt-get install -…"),
        "{table}"
    );
    assert!(table.contains("layer 3: RUN apt-get install -y curl"), "{table}");
    assert!(table.contains("rebuild → 1.0-1+deb12u1"), "{table}");
    assert!(
        table.contains("Of 2 findings: 1 is fixed by a rebuild; 1 needs a newer base image."),
        "{table}"
    );
}

#[test]
fn json_carries_the_fields_and_the_counts() {
    let (doc, _) = document();
    let v: serde_json::Value = serde_json::from_str(&drydock_report::scan::json(&doc)).unwrap();
    assert_eq!(v["summary"]["by_fix_class"]["rebuild"], 1);
    assert_eq!(v["summary"]["by_fix_class"]["base-image"], 1);
    assert_eq!(v["findings"][0]["fix"]["suite"], "debian:bookworm-security");
    assert_eq!(v["findings"][0]["introduced_by"]["dockerfile"]["end_line"], 14);
    assert_eq!(v["findings"][0]["introduced_by"]["confidence"], "aligned");
    assert_eq!(v["findings"][1]["introduced_by"]["base_image"], true);
}

#[test]
fn sarif_puts_the_dockerfile_line_first() {
    let (doc, _) = document();
    let v: serde_json::Value = serde_json::from_str(&drydock_report::scan::sarif(&doc)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let first = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(first["artifactLocation"]["uri"], "build/Dockerfile");
    assert_eq!(first["region"]["startLine"], 12);
    assert_eq!(first["region"]["endLine"], 14);
    assert_eq!(results[0]["locations"].as_array().unwrap().len(), 2);
    assert_eq!(results[0]["properties"]["fix"]["class"], "rebuild");
    // Without a Dockerfile line the image is the only location.
    assert_eq!(results[1]["locations"].as_array().unwrap().len(), 1);
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Fix (rebuild): do the rebuild thing")
    );
}

#[test]
fn cyclonedx_and_gitlab_recommend_the_fix() {
    let (doc, _) = document();
    let bom: serde_json::Value = serde_json::from_str(&drydock_report::scan::cyclonedx(&doc)).unwrap();
    let v = &bom["vulnerabilities"][0];
    assert_eq!(v["recommendation"], "Do the rebuild thing");
    let props: Vec<(&str, &str)> = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert!(props.contains(&("drydock:fix-class", "rebuild")), "{props:?}");
    assert!(
        props.contains(&("drydock:dockerfile", "build/Dockerfile:12")),
        "{props:?}"
    );
    let gitlab: serde_json::Value =
        serde_json::from_str(&drydock_report::scan::gitlab(&doc, "2026-11-29T00:00:00Z")).unwrap();
    assert_eq!(
        gitlab["vulnerabilities"][1]["solution"],
        "Do the base-image thing"
    );
}
