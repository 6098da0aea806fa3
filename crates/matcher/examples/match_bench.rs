//! Matching at scale: RECORDS generated OSV records (the shapes of real Debian, PyPI, npm, Go
//! and Maven records: one package, an introduced/fixed range, CVE aliases, a CVSS vector) in an
//! on-disk store, and an inventory of PACKAGES packages that all have advisories; prints the
//! time `match_inventory` takes, best of five.
//!
//! usage: cargo run --release -p drydock-matcher --example match_bench [RECORDS] [PACKAGES]
// A benchmark program: its output is its result.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_version::osv::{Affected, Event, Range};
use drydock_vulndb::{Advisory, AffectedPackage, Severity, SeverityInfo, SourceInfo, Store};

const ECOSYSTEMS: [(&str, PackageType); 5] = [
    ("Debian:12", PackageType::Deb),
    ("PyPI", PackageType::Pypi),
    ("npm", PackageType::Npm),
    ("Go", PackageType::Golang),
    ("Maven", PackageType::Maven),
];

fn version(eco: PackageType, n: u64) -> String {
    let (major, minor, patch) = (n % 7, (n / 7) % 13, (n / 91) % 17);
    match eco {
        PackageType::Deb => format!("{major}.{minor}.{patch}-{}+deb12u{}", n % 5 + 1, n % 9),
        PackageType::Golang => format!("v{major}.{minor}.{patch}"),
        _ => format!("{major}.{minor}.{patch}"),
    }
}

fn name(eco: PackageType, i: u64) -> String {
    match eco {
        PackageType::Golang => format!("github.com/org{}/module{i}", i % 97),
        PackageType::Maven => format!("org.example{}:artifact{i}", i % 89),
        _ => format!("package{i}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let records: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let packages: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("advisories.redb");
    let store = Store::create(&path).expect("store");
    // Names with advisories: each gets records / names advisories, spread over its versions.
    let names_per_eco = (records / 10 / ECOSYSTEMS.len() as u64).max(1);
    let started = Instant::now();
    let batch = 50_000u64;
    let mut id = 0u64;
    while id < records {
        let end = (id + batch).min(records);
        let advisories: Vec<Advisory> = (id..end)
            .map(|n| {
                let (eco_name, eco) = ECOSYSTEMS[(n % ECOSYSTEMS.len() as u64) as usize];
                let pkg = name(eco, (n / ECOSYSTEMS.len() as u64) % names_per_eco);
                Advisory {
                    id: format!("OSV-2099-{n:07}"),
                    aliases: vec![format!("CVE-2099-{n:07}")],
                    summary: Some(format!("generated advisory {n} for {pkg}")),
                    modified: Some("2099-01-01T00:00:00Z".into()),
                    published: None,
                    severity: Some(SeverityInfo {
                        level: Severity::High,
                        score: Some(7.5),
                        vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
                        source: "cvss".into(),
                    }),
                    affected: vec![AffectedPackage {
                        ecosystem: eco_name.parse().unwrap(),
                        name: pkg,
                        affected: Affected {
                            versions: Vec::new(),
                            ranges: vec![Range {
                                kind: if matches!(eco, PackageType::Npm | PackageType::Golang) {
                                    "SEMVER"
                                } else {
                                    "ECOSYSTEM"
                                }
                                .into(),
                                events: vec![Event::Introduced("0".into()), Event::Fixed(version(eco, n))],
                            }],
                        },
                        disposition: None,
                        severity: None,
                        module: None,
                        source: None,
                    }],
                    source: String::new(),
                }
            })
            .collect();
        let info = SourceInfo {
            name: format!("bench:{}", id / batch),
            origin: "generated".into(),
            imported_at: "2099-01-01T00:00:00Z".into(),
            records: advisories.len() as u64,
            ..Default::default()
        };
        store.insert(&advisories, &info).expect("insert");
        id = end;
    }
    let built = started.elapsed();
    drop(store);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let store = Store::open(&path).expect("open");
    let inventory = Inventory {
        distro: Some(Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            source: "etc/os-release".into(),
            ..Default::default()
        }),
        packages: (0..packages)
            .map(|i| {
                let (_, eco) = ECOSYSTEMS[(i % ECOSYSTEMS.len() as u64) as usize];
                let n = name(eco, (i / ECOSYSTEMS.len() as u64) % names_per_eco);
                let v = version(eco, i * 31);
                Package {
                    purl: format!("pkg:{}/{n}@{v}", eco.as_str()),
                    name: n,
                    version: v,
                    ecosystem: eco,
                    source_name: None,
                    source_version: None,
                    arch: None,
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
            .collect(),
        unscanned: vec![],
        warnings: vec![],
        package_sources: vec![],
    };
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let report = drydock_matcher::match_inventory(&inventory, &store).expect("match");
        best = best.min(t.elapsed().as_secs_f64());
        found = report.findings.len();
    }
    println!(
        "Matching {packages} packages against {records} OSV records ({:.0} MB store, built in {:.1} s): {:.1} ms (best of 5), {found} findings",
        size as f64 / 1e6,
        built.as_secs_f64(),
        best * 1000.0
    );
}
