//! Tier 2: real inventories against real advisories.

use std::collections::BTreeSet;

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_matcher::{Status, match_inventory};
use drydock_testkit::shared_testdata;
use drydock_vulndb::{Store, import_path};

/// Alpine 3.10's package list as Trivy recorded it (an older build of alpine:3.10: openssl
/// 1.1.1c-r0, busybox 1.30.1-r2) against the real secdb for v3.10: openssl's fixes in
/// 1.1.1d-r0 reach libcrypto1.1 and libssl1.1 through their origin; busybox sits exactly on its
/// fix and musl on its own.
#[test]
fn alpine_310_packages_against_secdb() {
    let Some(data) = shared_testdata() else { return };
    let golden: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.join("golden/trivy-packages/alpine-310.json.golden")).unwrap(),
    )
    .unwrap();
    let packages = golden
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            Package {
                name: s("Name"),
                version: s("Version"),
                ecosystem: PackageType::Apk,
                purl: format!("pkg:apk/alpine/{}@{}", s("Name"), s("Version")),
                source_name: Some(s("SrcName")),
                source_version: Some(s("SrcVersion")),
                arch: Some(s("Arch")),
                epoch: None,
                modularity_label: None,
                layer: Some(0),
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
        })
        .collect();
    let inv = Inventory {
        distro: Some(Distro {
            id: "alpine".into(),
            version_id: Some("3.10.2".into()),
            source: "etc/os-release".into(),
            ..Default::default()
        }),
        packages,
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    // The v3.11 secdb repeats the same ALPINE-CVE ids with v3.11's fixes: importing it, before
    // or after v3.10, must change nothing for a 3.10 image.
    let secdb = data.join("vulndb/alpine-secdb");
    for order in [vec!["v3.10"], vec!["v3.10", "v3.11"], vec!["v3.11", "v3.10"]] {
        let store = Store::in_memory().unwrap();
        for branch in &order {
            import_path(&store, &secdb.join(branch)).unwrap();
        }
        let report = match_inventory(&inv, &store).unwrap();
        let got: BTreeSet<(String, String, String)> = report
            .findings
            .iter()
            .map(|f| {
                (
                    f.package.name.clone(),
                    f.cve().to_string(),
                    f.fixed_version.clone().unwrap_or_default(),
                )
            })
            .collect();
        let mut want = BTreeSet::new();
        for pkg in ["libcrypto1.1", "libssl1.1"] {
            for cve in ["CVE-2019-1547", "CVE-2019-1549", "CVE-2019-1563"] {
                want.insert((pkg.to_string(), cve.to_string(), "1.1.1d-r0".to_string()));
            }
        }
        assert_eq!(got, want, "import order {order:?}");
        assert!(report.findings.iter().all(|f| f.status == Status::Fixed));
    }
}

/// The ecosystem of a recorded query as drydock's inventory would hold it.
fn query_ecosystem(eco: &str) -> Option<(PackageType, Option<Distro>)> {
    let distro = |id: &str, v: String| Distro {
        id: id.into(),
        version_id: Some(v),
        ..Default::default()
    };
    Some(if let Some(v) = eco.strip_prefix("Debian:") {
        (PackageType::Deb, Some(distro("debian", v.into())))
    } else if let Some(v) = eco.strip_prefix("Ubuntu:") {
        (PackageType::Deb, Some(distro("ubuntu", v.into())))
    } else if let Some(v) = eco.strip_prefix("Alpine:v") {
        (PackageType::Apk, Some(distro("alpine", format!("{v}.0"))))
    } else {
        match eco {
            "PyPI" => (PackageType::Pypi, None),
            "npm" => (PackageType::Npm, None),
            "Maven" => (PackageType::Maven, None),
            "Go" => (PackageType::Golang, None),
            "Packagist" => (PackageType::Composer, None),
            "RubyGems" => (PackageType::Gem, None),
            "crates.io" => (PackageType::Cargo, None),
            _ => return None,
        }
    })
}

/// osv.dev's recorded answers (osv-scanner's cassettes), exact in both directions for every
/// advisory held locally that names the queried package: each one osv.dev returned drydock
/// finds, and none that osv.dev did not return.
#[test]
fn queries_agree_with_osv_dev_both_ways() {
    let Some(data) = shared_testdata() else { return };
    let dir = data.join("vulndb/osv-samples-osv-scanner");
    let store = Store::in_memory().unwrap();
    import_path(&store, &dir).unwrap();
    // (OSV ecosystem, package name) → ids of the local records naming it, read from the files.
    let mut local: std::collections::BTreeMap<(String, String), BTreeSet<String>> = Default::default();
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).unwrap() {
            let record: serde_json::Value =
                serde_json::from_slice(&std::fs::read(f.unwrap().path()).unwrap()).unwrap();
            for a in record["affected"].as_array().into_iter().flatten() {
                let (Some(eco), Some(name)) =
                    (a["package"]["ecosystem"].as_str(), a["package"]["name"].as_str())
                else {
                    continue;
                };
                // A registry-qualified ecosystem (`Packagist:https://…`) is queried as its base.
                let eco = if eco.starts_with("Packagist:") {
                    "Packagist"
                } else {
                    eco
                };
                local
                    .entry((eco.to_string(), name.to_string()))
                    .or_default()
                    .insert(record["id"].as_str().unwrap().to_string());
            }
        }
    }
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("golden/osv-api-querybatch.json")).unwrap()).unwrap();
    let (mut checked, mut positive, mut negative) = (0, 0, 0);
    let mut wrong = Vec::new();
    for row in golden["rows"].as_array().unwrap() {
        let eco = row["ecosystem"].as_str().unwrap_or_default();
        let (name, version) = (row["name"].as_str().unwrap(), row["version"].as_str().unwrap());
        let Some(candidates) = local.get(&(eco.to_string(), name.to_string())) else {
            continue;
        };
        let (ecosystem, distro) = query_ecosystem(eco).unwrap_or_else(|| panic!("{eco}: no mapping"));
        let want: BTreeSet<String> = row["vuln_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|id| candidates.contains(*id))
            .map(str::to_string)
            .collect();
        let inv = Inventory {
            distro,
            packages: vec![Package {
                name: name.into(),
                version: version.into(),
                ecosystem,
                purl: String::new(),
                source_name: Some(name.into()),
                source_version: Some(version.into()),
                arch: None,
                epoch: None,
                modularity_label: None,
                layer: None,
                locations: vec![],
                files: vec![],
                licenses: vec![],
                owner: None,
                dev: false,
                introduced_by: None,
                depends: Vec::new(),
                installed_size: None,
                essential: false,
            }],
            unscanned: vec![],
            warnings: vec![],
            package_sources: vec![],
        };
        let report = match_inventory(&inv, &store).unwrap();
        let got: BTreeSet<String> = report
            .findings
            .iter()
            .flat_map(|f| {
                f.advisories
                    .iter()
                    .cloned()
                    .chain(std::iter::once(f.id.clone()))
                    .chain(f.aliases.clone())
            })
            .filter(|id| candidates.contains(id))
            .collect();
        if got != want {
            wrong.push(format!(
                "{eco} {name} {version}: osv.dev {want:?}, drydock {got:?}"
            ));
        }
        checked += 1;
        if want.is_empty() {
            negative += 1;
        } else {
            positive += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} queries differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Both directions are exercised: queries osv.dev answered with a local advisory, and
    // queries on a locally advised package that osv.dev found unaffected.
    assert!(
        positive >= 10 && negative >= 3,
        "{positive} affected and {negative} unaffected queries checked"
    );
}
