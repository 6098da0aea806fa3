//! Tier 2: the CI gate on real images. deb-extras is deb-base plus six layers (curl, Python,
//! npm and Go packages), sharing deb-base's layer; advisories written here affect zlib (in the
//! base layer) and curl (in deb-extras' own layers) at the versions the images really hold.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use drydock_testkit::built_images;
use serde_json::Value;

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const LOW: &str = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";

fn advisory(dir: &Path, id: &str, source: &str, fixed: &str, vector: &str) {
    let record = serde_json::json!({
        "id": id,
        "upstream": [id.trim_start_matches("DEBIAN-")],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": source},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
        "severity": [{"type": "CVSS_V3", "score": vector}],
    });
    std::fs::write(dir.join(format!("{id}.json")), record.to_string()).unwrap();
}

fn zlib(dir: &Path, vector: &str) {
    advisory(
        dir,
        "DEBIAN-CVE-2099-1111",
        "zlib",
        "1:1.2.13.dfsg-1+deb12u99",
        vector,
    );
}

fn curl(dir: &Path) {
    advisory(
        dir,
        "DEBIAN-CVE-2099-2222",
        "curl",
        "7.88.1-10+deb12u99",
        CRITICAL,
    );
}

fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true");
    c
}

struct Run {
    code: i32,
    doc: Value,
}

fn scan(image: &str, advisories: &Path, extra: &[&str]) -> Run {
    let out = drydock()
        .args(["scan", "-q", "-f", "json", image, "--advisories"])
        .arg(advisories)
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", String::from_utf8_lossy(&out.stderr));
    Run {
        code,
        doc: serde_json::from_slice(&out.stdout).unwrap(),
    }
}

/// package name → (baseline state, newly disclosed)
fn states(doc: &Value) -> Vec<(String, String, bool)> {
    let mut v: Vec<(String, String, bool)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["baseline"]["state"].as_str().unwrap_or("-").to_string(),
                f["baseline"]["newly_disclosed"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    v.sort();
    v
}

fn images() -> Option<(String, String, PathBuf)> {
    let dir = built_images()?;
    Some((
        format!("oci:{}", dir.join("oci/deb-base").display()),
        format!("oci:{}", dir.join("oci/deb-extras").display()),
        dir,
    ))
}

#[test]
fn a_baseline_of_the_base_image_makes_only_the_new_layers_findings_new() {
    let Some((base, extras, _)) = images() else { return };
    let adv = tempfile::tempdir().unwrap();
    zlib(adv.path(), CRITICAL);
    curl(adv.path());
    let work = tempfile::tempdir().unwrap();
    let sbom = work.path().join("base.sbom.json");
    drydock()
        .args(["sbom", "-q", "-f", "json", &base, "-o"])
        .arg(&sbom)
        .assert()
        .success();
    let want = vec![
        ("curl".to_string(), "new".to_string(), false),
        ("libcurl4".to_string(), "new".to_string(), false),
        ("zlib1g".to_string(), "unchanged".to_string(), false),
    ];
    // The same answer from every kind of baseline: an SBOM, the image itself, a JSON report, a
    // SARIF report.
    let report = work.path().join("base.json");
    let sarif = work.path().join("base.sarif");
    for (format, path) in [("json", &report), ("sarif", &sarif)] {
        drydock()
            .args(["scan", "-q", "-f", format, &base, "--advisories"])
            .arg(adv.path())
            .arg("-o")
            .arg(path)
            .assert()
            .success();
    }
    for baseline in [
        sbom.display().to_string(),
        base.clone(),
        report.display().to_string(),
        sarif.display().to_string(),
    ] {
        let run = scan(&extras, adv.path(), &["--baseline", &baseline]);
        assert_eq!(states(&run.doc), want, "baseline {baseline}");
        assert_eq!(run.doc["baseline"]["new"], 2);
        assert_eq!(run.doc["baseline"]["unchanged"], 1);
        assert_eq!(run.doc["baseline"]["absent"].as_array().unwrap().len(), 0);
    }
    // The gate fails on what the change brought in; --only-new leaves just that.
    let run = scan(
        &extras,
        adv.path(),
        &["--baseline", &base, "--fail-on", "new:CRITICAL", "--only-new"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(states(&run.doc).len(), 2);
    // The other way round, curl is absent: fixed by the change.
    let run = scan(
        &base,
        adv.path(),
        &["--baseline", &extras, "--fail-on", "new:LOW"],
    );
    assert_eq!(run.code, 0, "nothing new in the base image");
    let absent: Vec<&str> = run.doc["baseline"]["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(absent, vec!["curl", "libcurl4"]);
}

#[test]
fn a_newly_disclosed_advisory_is_told_apart_and_does_not_fail_the_new_gate() {
    let Some((_, extras, _)) = images() else { return };
    let then = tempfile::tempdir().unwrap();
    curl(then.path());
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("extras.json");
    drydock()
        .args(["scan", "-q", "-f", "json", &extras, "--advisories"])
        .arg(then.path())
        .arg("-o")
        .arg(&report)
        .assert()
        .success();
    // zlib's advisory is published after the baseline was taken.
    let now = tempfile::tempdir().unwrap();
    curl(now.path());
    zlib(now.path(), CRITICAL);
    let baseline = report.display().to_string();
    let run = scan(
        &extras,
        now.path(),
        &["--baseline", &baseline, "--fail-on", "new:LOW"],
    );
    assert_eq!(
        states(&run.doc),
        vec![
            ("curl".to_string(), "unchanged".to_string(), false),
            ("libcurl4".to_string(), "unchanged".to_string(), false),
            ("zlib1g".to_string(), "unchanged".to_string(), true),
        ]
    );
    assert_eq!(
        run.code, 0,
        "a newly disclosed advisory is not the change's doing"
    );
    assert_eq!(run.doc["baseline"]["newly_disclosed"], 1);
    let run = scan(
        &extras,
        now.path(),
        &["--baseline", &baseline, "--fail-on", "LOW"],
    );
    assert_eq!(run.code, 1, "the plain gate counts everything");
}

#[test]
fn upgrades_between_vulnerable_versions_and_raised_severities() {
    let Some((_, extras, _)) = images() else { return };
    let then = tempfile::tempdir().unwrap();
    curl(then.path());
    zlib(then.path(), LOW);
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("extras.json");
    drydock()
        .args(["scan", "-q", "-f", "json", &extras, "--advisories"])
        .arg(then.path())
        .arg("-o")
        .arg(&report)
        .assert()
        .success();
    // The baseline image had an older, also vulnerable curl.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    for p in doc["packages"].as_array_mut().unwrap() {
        if p["source_name"] == "curl" {
            p["version"] = "7.88.1-10+deb12u5".into();
            p["source_version"] = "7.88.1-10+deb12u5".into();
        }
    }
    for f in doc["findings"].as_array_mut().unwrap() {
        if f["package"]["name"] == "curl" {
            f["package"]["version"] = "7.88.1-10+deb12u5".into();
        }
    }
    std::fs::write(&report, doc.to_string()).unwrap();
    // Today zlib's advisory is rated critical.
    let now = tempfile::tempdir().unwrap();
    curl(now.path());
    zlib(now.path(), CRITICAL);
    let run = scan(
        &extras,
        now.path(),
        &[
            "--baseline",
            &report.display().to_string(),
            "--fail-on",
            "new:LOW",
        ],
    );
    assert_eq!(
        states(&run.doc),
        vec![
            ("curl".to_string(), "unchanged".to_string(), false),
            ("libcurl4".to_string(), "unchanged".to_string(), false),
            ("zlib1g".to_string(), "updated".to_string(), false),
        ]
    );
    let zlib = run.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "zlib1g")
        .unwrap();
    assert_eq!(zlib["baseline"]["previous"]["severity"], "LOW");
    assert_eq!(zlib["severity"], "CRITICAL");
    assert_eq!(run.code, 0);
    // Fingerprints hold no version: the upgraded curl keeps its identity.
    let curl = run.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "curl")
        .unwrap();
    assert_eq!(curl["fingerprint"], "CVE-2099-2222/deb/curl");
}

#[test]
fn compare_lists_what_the_second_image_adds_and_fixes() {
    let Some((base, extras, _)) = images() else { return };
    let adv = tempfile::tempdir().unwrap();
    zlib(adv.path(), CRITICAL);
    curl(adv.path());
    let out = drydock()
        .args([
            "compare",
            "-f",
            "json",
            &base,
            &extras,
            "--fail-on",
            "new:HIGH",
            "--advisories",
        ])
        .arg(adv.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |key: &str| -> Vec<String> {
        doc["findings"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["package"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("new"), vec!["curl", "libcurl4"]);
    assert_eq!(names("unchanged"), vec!["zlib1g"]);
    assert!(names("fixed").is_empty());
    assert_eq!(doc["layers"]["shared"], 1);
    assert_eq!(doc["layers"]["base_changed"], false);
    let added: Vec<&str> = doc["packages"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"curl") && added.contains(&"libcurl4") && !added.contains(&"zlib1g"));
    // The reverse: curl is fixed, nothing new.
    let out = drydock()
        .args([
            "compare",
            "-f",
            "markdown",
            &extras,
            &base,
            "--fail-on",
            "new:LOW",
            "--advisories",
        ])
        .arg(adv.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("#### Fixed vulnerabilities"), "{md}");
    assert!(md.contains("| new vulnerabilities | **0** |"), "{md}");
    assert!(md.contains("| base layers | 1 shared |"), "{md}");
}
