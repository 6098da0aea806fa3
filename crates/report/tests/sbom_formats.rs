//! Tier 1: the SBOM formats on a small inventory built here: every package appears once, with
//! its purl, in CycloneDX and SPDX; drydock JSON reads back to the same inventory, fields added
//! by attribution included; the table lists each package.

use std::collections::BTreeSet;

use drydock_catalog::{Confidence, Distro, IntroducedBy, Inventory, Package, PackageSource, PackageType};
use drydock_report::{ImageSummary, SbomDocument};

fn package(name: &str, version: &str, ecosystem: PackageType, purl: &str) -> Package {
    let mut p = Package::found_at(
        name.into(),
        version.into(),
        ecosystem,
        purl.into(),
        Some(1),
        "/var/lib/dpkg/status".into(),
    );
    p.introduced_by = Some(Box::new(IntroducedBy {
        layer: 1,
        diff_id: Some("sha256:1".into()),
        created_by: Some("RUN pip install requests".into()),
        base_image: Some(false),
        dockerfile: None,
        confidence: Confidence::History,
    }));
    p
}

fn document() -> SbomDocument {
    let inventory = Inventory {
        distro: Some(Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            source: "etc/os-release".into(),
            ..Default::default()
        }),
        packages: vec![
            package(
                "libssl3",
                "3.0.15-1~deb12u1",
                PackageType::Deb,
                "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12",
            ),
            package(
                "requests",
                "2.25.1",
                PackageType::Pypi,
                "pkg:pypi/requests@2.25.1",
            ),
            package("lodash", "4.17.15", PackageType::Npm, "pkg:npm/lodash@4.17.15"),
        ],
        package_sources: vec![PackageSource {
            kind: "apt".into(),
            uri: "http://deb.example/debian".into(),
            suite: "bookworm".into(),
            components: vec!["main".into()],
            file: "/etc/apt/sources.list".into(),
        }],
        ..Default::default()
    };
    let image = ImageSummary {
        name: "oci:app:1.0".into(),
        transport: "oci".into(),
        ..Default::default()
    };
    SbomDocument::new(image, inventory)
}

fn purls(doc: &SbomDocument) -> BTreeSet<String> {
    doc.packages.iter().map(|p| p.purl.clone()).collect()
}

#[test]
fn cyclonedx_lists_every_package_once_with_its_purl() {
    let doc = document();
    let bom: serde_json::Value = serde_json::from_str(&drydock_report::cyclonedx::render(&doc)).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert!(bom["serialNumber"].as_str().unwrap().starts_with("urn:uuid:"));
    let components = bom["components"].as_array().unwrap();
    let with_purl: Vec<String> = components
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    assert_eq!(with_purl.iter().cloned().collect::<BTreeSet<_>>(), purls(&doc));
    assert_eq!(with_purl.len(), doc.packages.len(), "each package once");
    let refs: Vec<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs.iter().collect::<BTreeSet<_>>().len(),
        refs.len(),
        "bom-refs are unique"
    );
}

/// Two packages with one purl (the same wheel in two virtual environments) get distinct
/// bom-refs, numbered from the second, and the image depends on every component: the OS and
/// each package, in order.
#[test]
fn cyclonedx_numbers_shared_purls_and_the_image_depends_on_every_component() {
    let mut doc = document();
    let twin = doc
        .packages
        .iter()
        .find(|p| p.name == "requests")
        .unwrap()
        .clone();
    doc.packages.push(twin);
    let bom: serde_json::Value = serde_json::from_str(&drydock_report::cyclonedx::render(&doc)).unwrap();
    let refs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let mut expected = vec!["os:debian".to_string()];
    let mut seen = BTreeSet::new();
    for p in &doc.packages {
        expected.push(if seen.insert(p.purl.clone()) {
            p.purl.clone()
        } else {
            format!("{}#2", p.purl)
        });
    }
    assert_eq!(refs, expected);
    assert!(refs.contains(&"pkg:pypi/requests@2.25.1#2"));
    let dependencies = bom["dependencies"].as_array().unwrap();
    assert_eq!(dependencies.len(), 1);
    assert_eq!(dependencies[0]["ref"], "image");
    assert_eq!(bom["metadata"]["component"]["bom-ref"], "image");
    let depends_on: Vec<&str> = dependencies[0]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(depends_on, refs);
}

#[test]
fn spdx_lists_every_package_and_what_contains_it() {
    let doc = document();
    let spdx: serde_json::Value = serde_json::from_str(&drydock_report::spdx::render(&doc)).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let packages = spdx["packages"].as_array().unwrap();
    let mut found = BTreeSet::new();
    for p in packages {
        for r in p["externalRefs"].as_array().into_iter().flatten() {
            if r["referenceType"] == "purl" {
                found.insert(r["referenceLocator"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(found, purls(&doc));
    let ids: Vec<&str> = packages.iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "SPDX ids are unique"
    );
    let relationships = spdx["relationships"].as_array().unwrap();
    assert!(relationships.iter().any(|r| r["relationshipType"] == "DESCRIBES"));
    // Every package is related to something (the image or its operating system).
    let package_ids: Vec<&&str> = ids.iter().filter(|i| i.starts_with("SPDXRef-Package-")).collect();
    assert_eq!(package_ids.len(), doc.packages.len());
    for id in package_ids {
        assert!(
            relationships.iter().any(|r| r["relatedSpdxElement"] == *id),
            "{id} is related to nothing"
        );
    }
}

#[test]
fn drydock_json_reads_back_to_the_same_inventory() {
    let doc = document();
    let back: SbomDocument = serde_json::from_str(&drydock_report::json::render(&doc)).unwrap();
    assert_eq!(back.packages, doc.packages);
    assert_eq!(back.package_sources, doc.package_sources);
    assert_eq!(back.image.os, doc.image.os);
    assert_eq!(
        back.packages[1].introduced_by.as_ref().unwrap().confidence,
        Confidence::History
    );
}

#[test]
fn the_table_lists_each_package() {
    let doc = document();
    let table = drydock_report::table::render(&doc);
    for p in &doc.packages {
        assert!(
            table.contains(&p.name) && table.contains(&p.version),
            "{} in {table}",
            p.name
        );
    }
}
