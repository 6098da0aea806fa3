//! Tier 2: `drydock scan` end to end on real images against real advisories.

use std::collections::BTreeSet;

use assert_cmd::Command;
use drydock_testkit::{built_images, shared_testdata};

fn scan_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        // Every read in these tests is a cold one: no layer cache to answer for the image.
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// deb-extras' pip-installed packages against PyPA's advisories: exactly the records whose
/// ranges cover them; the pip, setuptools and wheel that Debian packages own get none.
#[test]
fn deb_extras_python_packages_against_pypa() {
    let (Some(images), Some(data)) = (built_images(), shared_testdata()) else {
        return;
    };
    let image = format!("oci:{}/oci/deb-extras", images.display());
    let pypa = data.join("vulndb/osv-pypi-pypa").display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &pypa, "-f", "json", "-q"]);
    let got: BTreeSet<(String, String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, String)> = [
        ("certifi", "PYSEC-2022-42986", "2022.12.7"),
        ("certifi", "PYSEC-2023-135", "2023.7.22"),
        ("idna", "PYSEC-2024-60", "3.7"),
        ("urllib3", "PYSEC-2021-108", "1.26.5"),
        ("urllib3", "PYSEC-2023-212", "1.26.18"),
    ]
    .iter()
    .map(|(p, id, fix)| {
        (
            p.to_string(),
            id.to_string(),
            fix.to_string(),
            "fixed".to_string(),
        )
    })
    .collect();
    assert_eq!(got, want);
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["layer"], 2, "pip install ran in layer 2");
        assert_eq!(f["package"]["ecosystem"], "pypi");
    }
}

/// The real Alpine 3.10 image is up to date with its branch's secdb: no findings, and the
/// packages were looked up (their origins exist in the data).
#[test]
fn alpine_310_image_against_its_secdb() {
    let Some(data) = shared_testdata() else { return };
    let image = data
        .join("images/trivy-docker-archive/alpine-310/alpine-310.tar.gz")
        .display()
        .to_string();
    let secdb = data.join("vulndb/alpine-secdb/v3.10").display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &secdb, "-f", "json", "-q"]);
    assert_eq!(doc["packages_scanned"], 14);
    assert_eq!(doc["summary"]["total"], 0, "{}", doc["findings"]);
    assert_eq!(doc["database"]["sources"].as_array().unwrap().len(), 2);
}

/// deb-extras' esbuild (a Go binary) against Go's vulndb: its standard library (go1.20.12) and
/// modules are matched; nothing else in the image is a Go package.
#[test]
fn deb_extras_go_binary_against_go_vulndb() {
    let (Some(images), Some(data)) = (built_images(), shared_testdata()) else {
        return;
    };
    let image = format!("oci:{}/oci/deb-extras", images.display());
    let vulndb = data.join("vulndb/osv-go-vulndb").display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &vulndb, "-f", "json", "-q"]);
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["package"]["ecosystem"] == "golang" && f["layer"] == 4)
    );
    let got: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Both fixed only in later Go releases (1.21.8 / 1.22.1 and 1.21.11 / 1.22.4).
    for id in ["GO-2024-2599", "GO-2024-2887"] {
        assert!(got.contains(&("stdlib".to_string(), id.to_string())), "{id}");
    }
}
