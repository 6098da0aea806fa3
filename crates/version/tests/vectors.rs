//! Tier 2: the upstream projects' own comparison and parsing vectors, in both directions.

use std::cmp::Ordering;
use std::path::Path;

use drydock_testkit::shared_testdata;
use drydock_version::{Scheme, apk, dpkg, pep440, rpm};

fn op(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn check_tsv(file: &str, compare: impl Fn(&str, &str) -> Ordering) {
    let Some(data) = shared_testdata() else { return };
    let mut failures = Vec::new();
    let rows = rows(&data.join("versions").join(file));
    for r in &rows {
        let (a, want, b) = (&r[0], r[1].as_str(), &r[2]);
        let got = op(compare(a, b));
        let back = op(compare(b, a));
        let want_back = match want {
            "<" => ">",
            ">" => "<",
            o => o,
        };
        if got != want || back != want_back {
            failures.push(format!(
                "{a} {want} {b}: got {got} (reverse {back}) [{}]",
                r.get(3).map(String::as_str).unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{file}: {} of {} vectors fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn scheme_cmp(s: Scheme) -> impl Fn(&str, &str) -> Ordering {
    move |a, b| s.compare(a, b).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn dpkg_vectors() {
    check_tsv("dpkg.tsv", scheme_cmp(Scheme::Dpkg));
}

#[test]
fn apk_vectors() {
    check_tsv("apk.tsv", scheme_cmp(Scheme::Apk));
}

#[test]
fn rpm_vectors() {
    check_tsv("rpm.tsv", rpm::rpmvercmp);
}

#[test]
fn rpm_nevra_vectors() {
    check_tsv("rpm_nevra.tsv", |a, b| {
        rpm::Nevra::parse(a).unwrap().cmp(&rpm::Nevra::parse(b).unwrap())
    });
}

#[test]
fn pep440_vectors() {
    check_tsv("pep440.tsv", scheme_cmp(Scheme::Pep440));
}

#[test]
fn maven_vectors() {
    check_tsv("maven.tsv", scheme_cmp(Scheme::Maven));
}

#[test]
fn apk_validity() {
    let Some(data) = shared_testdata() else { return };
    for r in rows(&data.join("versions/apk_valid.tsv")) {
        let version = r[0].as_str();
        assert_eq!(
            apk::is_valid(version),
            r[1] == "valid",
            "{version:?} should be {}",
            r[1]
        );
        if r[1] == "valid" {
            assert!(Scheme::Apk.parse(version).is_ok(), "{version:?}");
        }
    }
}

#[test]
fn apk_match_operators() {
    let Some(data) = shared_testdata() else { return };
    for r in rows(&data.join("versions/apk_match.tsv")) {
        let a = apk::ApkVersion::parse(&r[0]).unwrap();
        let b = apk::ApkVersion::parse(&r[2]).unwrap();
        assert_eq!(
            a.matches(&r[1], &b),
            Some(r[3] == "true"),
            "{} {} {}",
            r[0],
            r[1],
            r[2]
        );
    }
}

#[test]
fn dpkg_parsing() {
    let Some(data) = shared_testdata() else { return };
    let text = std::fs::read_to_string(data.join("versions/dpkg_parse.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let input = case["input"].as_str().unwrap();
        let parsed = dpkg::DpkgVersion::parse(input);
        match case["expect"].as_str().unwrap() {
            "error" => assert!(parsed.is_err(), "{input:?} should be rejected"),
            // dpkg warns but still orders these, as must a scanner reading real status files
            "warn" => assert!(parsed.is_ok(), "{input:?} should be accepted"),
            _ => {
                let v = parsed.unwrap_or_else(|e| panic!("{e}"));
                if let Some(e) = case["epoch"].as_u64() {
                    assert_eq!(v.epoch as u64, e, "{input:?}");
                }
                if let Some(e) = case.get("epoch_str").filter(|e| !e.is_null()) {
                    assert_eq!(v.epoch.to_string(), e.as_str().unwrap(), "{input:?}");
                }
                assert_eq!(v.upstream, case["upstream"].as_str().unwrap(), "{input:?}");
                let revision = case["revision"]
                    .as_str()
                    .or(case["revision_str"].as_str())
                    .unwrap_or("");
                assert_eq!(v.revision, revision, "{input:?}");
            }
        }
    }
}

#[test]
fn pep440_parsing_and_normalisation() {
    let Some(data) = shared_testdata() else { return };
    let text = std::fs::read_to_string(data.join("versions/pep440_parse.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let input = case["input"].as_str().unwrap();
        let parsed = pep440::Pep440Version::parse(input);
        if case["valid"].as_bool().unwrap() {
            let v = parsed.unwrap_or_else(|e| panic!("{e}"));
            if let Some(n) = case["normalized"].as_str() {
                assert_eq!(v.normalized(), n, "{input:?}");
            }
        } else {
            assert!(parsed.is_err(), "{input:?} should be rejected");
        }
    }
}

#[test]
fn rpm_nevra_parsing() {
    let Some(data) = shared_testdata() else { return };
    for r in rows(&data.join("versions/rpm_nevra_parse.tsv")) {
        let n = rpm::Nevra::parse(&r[0]).unwrap();
        assert_eq!(n.name, r[1], "{}", r[0]);
        assert_eq!(
            n.evr.epoch.map(|e| e.to_string()).unwrap_or_default(),
            r[2],
            "{}",
            r[0]
        );
        assert_eq!(n.evr.version, r[3], "{}", r[0]);
        assert_eq!(n.evr.release, r[4], "{}", r[0]);
        assert_eq!(n.arch, r[5], "{}", r[0]);
    }
}

/// osv.dev's own answers (recorded query/response pairs) as an oracle for range evaluation on
/// the real Go vulndb records: for every recorded query, every local id osv.dev returned must be
/// found affected. The local records are newer than the recording, so drydock may find more
/// (e.g. GO-2026-5026 for stdlib 1.26.0, fixed in 1.26.6); false positives are covered by the
/// boundary test below.
#[test]
fn go_vulndb_ranges_agree_with_osv_dev() {
    let Some(data) = shared_testdata() else { return };
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("golden/osv-api-querybatch.json")).unwrap()).unwrap();
    let mut records: Vec<serde_json::Value> = Vec::new();
    for entry in std::fs::read_dir(data.join("vulndb/osv-go-vulndb")).unwrap() {
        let path = entry.unwrap().path();
        records.push(serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap());
    }
    let local: std::collections::BTreeSet<String> = records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in golden["rows"].as_array().unwrap() {
        if row["ecosystem"] != "Go" {
            continue;
        }
        let (name, version) = (row["name"].as_str().unwrap(), row["version"].as_str().unwrap());
        let want: std::collections::BTreeSet<String> = row["vuln_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|id| local.contains(*id))
            .map(str::to_string)
            .collect();
        let mut got = std::collections::BTreeSet::new();
        for r in &records {
            if r.get("withdrawn").is_some() {
                continue;
            }
            for a in r["affected"].as_array().into_iter().flatten() {
                if a["package"]["ecosystem"] != "Go" || a["package"]["name"] != name {
                    continue;
                }
                let affected: drydock_version::osv::Affected = serde_json::from_value(a.clone()).unwrap();
                let eval = drydock_version::osv::evaluate(Scheme::Semver, version, &affected).unwrap();
                if eval.affected {
                    got.insert(r["id"].as_str().unwrap().to_string());
                }
            }
        }
        checked += 1;
        if !want.is_subset(&got) {
            failures.push(format!("{name} {version}: drydock {got:?}, osv.dev {want:?}"));
        }
    }
    assert!(checked >= 10, "only {checked} Go queries checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every real Go vulndb range: the introduced version is affected and the fixed one is not
/// (unless another range of the same record covers it).
#[test]
fn go_vulndb_range_boundaries() {
    let Some(data) = shared_testdata() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(data.join("vulndb/osv-go-vulndb")).unwrap() {
        let path = entry.unwrap().path();
        let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for a in record["affected"].as_array().into_iter().flatten() {
            let affected: drydock_version::osv::Affected = serde_json::from_value(a.clone()).unwrap();
            for range in &affected.ranges {
                let mut introduced = None;
                for event in &range.events {
                    match event {
                        drydock_version::osv::Event::Introduced(v) => introduced = Some(v.clone()),
                        drydock_version::osv::Event::Fixed(fixed) => {
                            let only = drydock_version::osv::Affected {
                                versions: vec![],
                                ranges: vec![range.clone()],
                            };
                            let at_fix =
                                drydock_version::osv::evaluate(Scheme::Semver, fixed, &only).unwrap();
                            assert!(!at_fix.affected, "{}: {fixed} is the fix", path.display());
                            if let Some(i) = introduced.take().filter(|i| i != "0" && i != fixed) {
                                let at_intro =
                                    drydock_version::osv::evaluate(Scheme::Semver, &i, &only).unwrap();
                                assert!(at_intro.affected, "{}: {i} is introduced", path.display());
                                assert_eq!(
                                    at_intro.fixed.as_deref(),
                                    Some(fixed.as_str()),
                                    "{}",
                                    path.display()
                                );
                            }
                            checked += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
