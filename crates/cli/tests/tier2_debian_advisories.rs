//! Tier 2: the 543 real Debian 12 security advisories in the corpus against a dpkg database
//! that holds every source package at the versions bookworm shipped around them.
//!
//! For each source package named by the advisories, one binary package sits at each fixed
//! version an advisory gave (versions bookworm really shipped), and one just below the lowest
//! (`~` sorts before anything in dpkg). The expected findings are worked out here, independently
//! of drydock's version code: dpkg itself orders the versions (`dpkg --compare-versions`), and
//! advisories that share an id or alias fold into one finding whose fix is the highest of theirs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use drydock_testkit::shared_testdata;

struct Dsa {
    id: String,
    keys: BTreeSet<String>,
    /// source package → fixed version in Debian:12.
    fixes: BTreeMap<String, String>,
}

fn load(dir: &Path) -> Vec<Dsa> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        let mut keys: BTreeSet<String> = BTreeSet::from([id.clone()]);
        for field in ["aliases", "upstream"] {
            for a in v[field].as_array().into_iter().flatten() {
                keys.insert(a.as_str().unwrap().to_string());
            }
        }
        let mut fixes = BTreeMap::new();
        for a in v["affected"].as_array().unwrap() {
            if a["package"]["ecosystem"] != "Debian:12" {
                continue;
            }
            let name = a["package"]["name"].as_str().unwrap().to_string();
            for r in a["ranges"].as_array().unwrap() {
                for ev in r["events"].as_array().unwrap() {
                    if let Some(f) = ev["fixed"].as_str() {
                        fixes.insert(name.clone(), f.to_string());
                    }
                }
            }
        }
        out.push(Dsa { id, keys, fixes });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// dpkg's own answer to `a < b`.
fn dpkg_lt(a: &str, b: &str) -> bool {
    std::process::Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg is installed on Debian test machines")
        .success()
}

#[test]
fn every_debian_advisory_pair_matches_dpkg_and_folds_to_the_fix_for_all() {
    let Some(data) = shared_testdata() else { return };
    let dsa_dir = data.join("vulndb/osv-debian12-dsa");
    let advisories = load(&dsa_dir);
    assert_eq!(advisories.len(), 543);

    // source → its fixed versions in dpkg order (dpkg sorts them: an insertion sort is enough).
    let mut by_source: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &advisories {
        for (src, fixed) in &a.fixes {
            let list = by_source.entry(src.clone()).or_default();
            if !list.contains(fixed) {
                let at = list.iter().position(|v| dpkg_lt(fixed, v)).unwrap_or(list.len());
                list.insert(at, fixed.clone());
            }
        }
    }
    // Rank of a version among its source's fixed versions (versions are either one of them or
    // the one below all).
    let rank = |src: &str, v: &str| by_source[src].iter().position(|f| f == v);

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.path().join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    )
    .unwrap();
    let mut status = String::new();
    // binary package name → (source, version)
    let mut installed: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (src, fixes) in &by_source {
        let mut versions = vec![format!("{}~before", fixes[0])];
        versions.extend(fixes.iter().cloned());
        for (i, v) in versions.iter().enumerate() {
            let name = format!("{src}-at{i}");
            status.push_str(&format!(
                "Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nSource: {src}\nVersion: {v}\nDescription: test\n\n"
            ));
            installed.insert(name, (src.clone(), v.clone()));
        }
    }
    std::fs::write(root.path().join("var/lib/dpkg/status"), status).unwrap();

    // Expected: per binary package, the affected advisories folded by shared ids.
    type Expected = BTreeSet<(String, Vec<String>, String)>;
    let mut want: Expected = BTreeSet::new();
    let mut pairs = 0;
    for (name, (src, version)) in &installed {
        let below = version.ends_with("~before");
        let affected: Vec<&Dsa> = advisories
            .iter()
            .filter(|a| {
                a.fixes.get(src).is_some_and(|fixed| {
                    pairs += 1;
                    below || rank(src, version) < rank(src, fixed)
                })
            })
            .collect();
        // Fold: connected components over shared keys.
        let mut groups: Vec<(BTreeSet<String>, Vec<&Dsa>)> = Vec::new();
        for a in affected {
            let mut merged = (a.keys.clone(), vec![a]);
            groups.retain(|(keys, members)| {
                if keys.is_disjoint(&merged.0) {
                    true
                } else {
                    merged.0.extend(keys.iter().cloned());
                    merged.1.extend(members.iter().copied());
                    false
                }
            });
            groups.push(merged);
        }
        for (_, members) in groups {
            let fix = members
                .iter()
                .map(|m| m.fixes[src].clone())
                .max_by_key(|f| rank(src, f))
                .unwrap();
            let mut ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
            ids.sort();
            want.insert((name.clone(), ids, fix));
        }
    }
    assert!(pairs > 1000, "{pairs} (package, advisory) pairs checked");

    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args(["scan", "-q", "-f", "json", "--advisories"])
        .arg(&dsa_dir)
        .arg(format!("dir:{}", root.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["packages_scanned"].as_u64(), Some(installed.len() as u64));
    let findings = doc["findings"].as_array().unwrap();
    let got: Expected = findings
        .iter()
        .map(|f| {
            let ids = f["advisories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                ids,
                f["fixed_version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(findings.len(), want.len());

    // The primary id is the advisory whose fix is reported, the lowest id among equals.
    for f in findings {
        let ids: Vec<&str> = f["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let fixed = f["fixed_version"].as_str().unwrap();
        let src = f["matched"]["name"].as_str().unwrap();
        let primary = ids
            .iter()
            .find(|id| {
                advisories
                    .iter()
                    .any(|a| a.id == **id && a.fixes.get(src).map(String::as_str) == Some(fixed))
            })
            .unwrap();
        assert_eq!(f["id"].as_str(), Some(*primary));
    }

    // The superseding pair named in the advisories: DSA-5898-1 re-fixed CVE-2025-3066 of
    // DSA-5890-1 in a later chromium; below both, the one finding carries the later fix.
    let chromium = findings
        .iter()
        .find(|f| {
            f["package"]["name"] == "chromium-at0"
                && f["advisories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == "DSA-5890-1")
        })
        .expect("chromium below every fix");
    assert_eq!(chromium["fixed_version"], "135.0.7049.84-1~deb12u1");
    assert_eq!(chromium["id"], "DSA-5898-1");

    // The same folding reaches CycloneDX: one vulnerability per finding, recommending the fix.
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args(["scan", "-q", "-f", "cyclonedx", "--advisories"])
        .arg(&dsa_dir)
        .arg(format!("dir:{}", root.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), want.len());
    let v = vulns
        .iter()
        .find(|v| {
            v["id"] == "DSA-5898-1" && v["affects"][0]["ref"].as_str().unwrap().contains("chromium-at0")
        })
        .unwrap();
    // No archive index was imported: the fix class is unknown, the upgrade still named.
    assert_eq!(
        v["recommendation"],
        "Upgrade chromium-at0 to 135.0.7049.84-1~deb12u1; no archive data tells whether a rebuild gets it"
    );
}
