//! Tier 1: the layer cache from the command line, on the example image.

use assert_cmd::Command;
use drydock_testkit::workspace_root;

fn drydock(cache: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env("DRYDOCK_CACHE_DIR", cache).current_dir(workspace_root());
    c
}

#[test]
fn warm_scans_give_the_same_sbom_and_the_cache_can_be_inspected_and_cleaned() {
    let cache = tempfile::tempdir().unwrap();
    let sbom = |extra: &[&str]| {
        let out = drydock(cache.path())
            .args(["sbom", "-q", "-f", "json", "examples/debian-mini"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let uncached = sbom(&["--no-cache"]);
    let status = drydock(cache.path()).args(["cache", "status"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("layers:      0"),
        "--no-cache writes nothing"
    );
    let cold = sbom(&[]);
    let warm = sbom(&[]);
    assert_eq!(cold, uncached);
    assert_eq!(warm, uncached);
    let status = String::from_utf8(
        drydock(cache.path())
            .args(["cache", "status"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(!status.contains("layers:      0"), "{status}");
    let clean = String::from_utf8(
        drydock(cache.path())
            .args(["cache", "clean"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(clean.starts_with("removed "), "{clean}");
    let status = String::from_utf8(
        drydock(cache.path())
            .args(["cache", "status"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(status.contains("layers:      0"), "{status}");
    // The scan uses the cache too, with the same findings.
    let scan = |extra: &[&str]| {
        drydock(cache.path())
            .args([
                "scan",
                "-q",
                "-f",
                "json",
                "examples/debian-mini",
                "--advisories",
                "examples/advisories",
            ])
            .args(extra)
            .output()
            .unwrap()
            .stdout
    };
    let ids = |bytes: Vec<u8>| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let a = ids(scan(&[]));
    assert!(!a.is_empty());
    assert_eq!(a, ids(scan(&[])));
    assert_eq!(a, ids(scan(&["--no-cache"])));
}
