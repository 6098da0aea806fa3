use std::collections::BTreeMap;

use drydock_catalog::{Confidence, DockerfileLocation, PackageType};
use drydock_matcher::{MatchedOn, PackageRef};
use drydock_vulndb::Severity;
use drydock_vulndb::archive::{IndexPart, SuiteInfo};

use super::*;

fn package(name: &str, version: &str, ecosystem: PackageType, introduced: Option<IntroducedBy>) -> Package {
    let mut p = Package::found_at(
        name.into(),
        version.into(),
        ecosystem,
        format!("pkg:{}/{name}@{version}", ecosystem.as_str()),
        introduced.as_ref().map(|i| i.layer),
        "/var/lib/dpkg/status".into(),
    );
    p.introduced_by = introduced.map(Box::new);
    p
}

fn finding(p: &Package, status: Status, fixed: Option<&str>) -> Finding {
    Finding {
        id: "CVE-2099-0001".into(),
        aliases: vec![],
        advisories: vec!["CVE-2099-0001".into()],
        summary: None,
        package: PackageRef {
            name: p.name.clone(),
            version: p.version.clone(),
            ecosystem: p.ecosystem,
            purl: p.purl.clone(),
        },
        severity: Severity::High,
        score: None,
        status,
        fixed_version: fixed.map(str::to_string),
        layer: p.layer,
        matched: MatchedOn {
            ecosystem: "Debian:12".parse().unwrap(),
            name: p.name.clone(),
            version: p.version.clone(),
        },
    }
}

fn own_layer(layer: usize, line: usize, instruction: &str) -> IntroducedBy {
    IntroducedBy {
        layer,
        diff_id: None,
        created_by: Some(instruction.into()),
        base_image: Some(false),
        dockerfile: Some(DockerfileLocation {
            path: "Dockerfile".into(),
            line,
            end_line: line,
            instruction: instruction.into(),
            from_stage: None,
        }),
        confidence: Confidence::Aligned,
    }
}

fn base_layer(layer: usize) -> IntroducedBy {
    IntroducedBy {
        layer,
        diff_id: None,
        created_by: None,
        base_image: Some(true),
        dockerfile: None,
        confidence: Confidence::Aligned,
    }
}

fn store_with(suite: &str, packages: &[(&str, &str)]) -> Store {
    let store = Store::in_memory().unwrap();
    let packages: BTreeMap<String, String> = packages
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    store
        .insert_archive(&IndexPart {
            info: SuiteInfo {
                distro: "debian".into(),
                suite: suite.into(),
                part: "main/binary-amd64".into(),
                version: Some("12".into()),
                date: Some("2026-11-28T02:53:00Z".into()),
                origin: "test".into(),
                imported_at: "2026-11-29T00:00:00Z".into(),
                packages: packages.len() as u64,
                etag: None,
            },
            packages,
        })
        .unwrap();
    store
}

fn debian() -> Distro {
    Distro {
        id: "debian".into(),
        version_id: Some("12".into()),
        source: "etc/os-release".into(),
        ..Default::default()
    }
}

fn sources(suites: &[&str]) -> Vec<PackageSource> {
    suites
        .iter()
        .map(|s| PackageSource {
            kind: "apt".into(),
            uri: "http://deb.example/debian".into(),
            suite: s.to_string(),
            components: vec!["main".into()],
            file: "/etc/apt/sources.list".into(),
        })
        .collect()
}

fn advise_one(p: Package, f: Finding, store: &Store, suites: &[&str]) -> (Fix, Vec<String>) {
    let distro = debian();
    let srcs = sources(suites);
    let packages = [p];
    let image = Image {
        distro: Some(&distro),
        packages: &packages,
        package_sources: &srcs,
    };
    let mut advice = advise(&[f], &image, store);
    (advice.fixes.remove(0), advice.warnings)
}

#[test]
fn a_fix_in_the_security_suite_is_a_rebuild() {
    let store = store_with(
        "bookworm-security",
        &[("libyaml-0-2", "0.2.5-1+deb12u1\t0.2.5-1+deb12u1")],
    );
    let p = package(
        "libyaml-0-2",
        "0.2.5-1",
        PackageType::Deb,
        Some(own_layer(2, 9, "RUN apt-get install -y libyaml-0-2")),
    );
    let f = finding(&p, Status::Fixed, Some("0.2.5-1+deb12u1"));
    let (fix, warnings) = advise_one(p, f, &store, &["bookworm-security"]);
    assert_eq!(fix.class, FixClass::Rebuild, "{}", fix.action);
    assert_eq!(fix.version.as_deref(), Some("0.2.5-1+deb12u1"));
    assert_eq!(fix.suite.as_deref(), Some("debian:bookworm-security"));
    assert!(fix.action.contains("Dockerfile:9"), "{}", fix.action);
    assert!(warnings.is_empty());
}

#[test]
fn the_source_version_decides_for_a_binnmu() {
    // The binary is a binNMU of source 1.0-2; the advisory names the source's fix 1.0-3.
    let store = store_with("bookworm", &[("libx1", "1.0-2+b1\t1.0-2")]);
    let p = package(
        "libx1",
        "1.0-1",
        PackageType::Deb,
        Some(own_layer(1, 3, "RUN apt-get install -y libx1")),
    );
    let f = finding(&p, Status::Fixed, Some("1.0-3"));
    let (fix, _) = advise_one(p, f, &store, &["bookworm"]);
    assert_eq!(fix.class, FixClass::NoFix, "{}", fix.action);
    assert!(fix.action.contains("1.0-2+b1"), "{}", fix.action);
}

#[test]
fn base_layers_unfixed_and_pins() {
    let store = store_with("bookworm", &[("curl", "7.88.1-10+deb12u14")]);
    let base = package("curl", "7.88.1-10", PackageType::Deb, Some(base_layer(0)));
    let f = finding(&base, Status::Fixed, Some("7.88.1-10+deb12u5"));
    assert_eq!(
        advise_one(base.clone(), f, &store, &["bookworm"]).0.class,
        FixClass::BaseImage
    );

    let f = finding(&base, Status::Affected, None);
    assert_eq!(
        advise_one(base, f, &store, &["bookworm"]).0.class,
        FixClass::NoFix
    );

    let pinned = package(
        "curl",
        "7.88.1-10",
        PackageType::Deb,
        Some(own_layer(
            1,
            5,
            "RUN apt-get install -y curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*",
        )),
    );
    let f = finding(&pinned, Status::Fixed, Some("7.88.1-10+deb12u5"));
    let (fix, _) = advise_one(pinned, f, &store, &["bookworm"]);
    assert_eq!(fix.class, FixClass::Upgrade);
    assert!(
        fix.action.contains("`curl=7.88.1-10` at Dockerfile:5"),
        "{}",
        fix.action
    );

    let pip = package(
        "Jinja2",
        "2.11.2",
        PackageType::Pypi,
        Some(own_layer(4, 14, "RUN pip install --no-cache-dir jinja2==2.11.2")),
    );
    let f = finding(&pip, Status::Fixed, Some("2.11.3"));
    let (fix, _) = advise_one(pip, f, &store, &["bookworm"]);
    assert_eq!(fix.class, FixClass::Upgrade);
    assert!(
        fix.action.contains("`jinja2==2.11.2` at Dockerfile:14 to 2.11.3"),
        "{}",
        fix.action
    );
}

#[test]
fn without_archive_data_the_class_is_unknown_and_a_warning_says_what_to_import() {
    let store = Store::in_memory().unwrap();
    let p = package(
        "zlib1g",
        "1:1.2.13.dfsg-1",
        PackageType::Deb,
        Some(own_layer(1, 3, "RUN apt-get install -y zlib1g")),
    );
    let f = finding(&p, Status::Fixed, Some("1:1.2.13.dfsg-2"));
    let (fix, warnings) = advise_one(p, f, &store, &["bookworm", "bookworm-security"]);
    assert_eq!(fix.class, FixClass::Unknown);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("debian:bookworm, bookworm-security"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("--distro debian:12"), "{}", warnings[0]);
}

#[test]
fn pins_are_found_only_for_the_installed_version() {
    assert_eq!(
        find_pin("pip install Jinja2==2.11.2", "jinja2", "2.11.2").as_deref(),
        Some("Jinja2==2.11.2")
    );
    assert_eq!(
        find_pin("npm i lodash@4.17.15", "lodash", "4.17.15").as_deref(),
        Some("lodash@4.17.15")
    );
    assert_eq!(
        find_pin("pip install 'requests[socks]==2.25.1'", "requests", "2.25.1").as_deref(),
        Some("requests[socks]==2.25.1")
    );
    assert_eq!(find_pin("pip install jinja2>=2.11", "jinja2", "2.11.2"), None);
    assert_eq!(find_pin("apt-get install -y curl", "curl", "7.88.1-10"), None);
    assert_eq!(find_pin("pip install jinja2==2.11.3", "jinja2", "2.11.2"), None);
}

#[test]
fn summary_counts_each_class() {
    let fix = |class| Fix {
        class,
        action: String::new(),
        version: None,
        suite: None,
    };
    let fixes = [
        fix(FixClass::Rebuild),
        fix(FixClass::BaseImage),
        fix(FixClass::BaseImage),
        fix(FixClass::NoFix),
    ];
    assert_eq!(
        summary(&fixes).unwrap(),
        "Of 4 findings: 1 is fixed by a rebuild; 2 need a newer base image; 1 has no fix yet."
    );
    assert_eq!("base-image".parse::<FixClass>(), Ok(FixClass::BaseImage));
    assert!("later".parse::<FixClass>().is_err());
}
