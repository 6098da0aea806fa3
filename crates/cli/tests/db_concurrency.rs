//! Tier 1: imports that run at the same time all land (one writer at a time), and a killed
//! import's temporary copy is cleaned up by the next one.

use std::process::Command;

fn record(id: &str) -> String {
    serde_json::json!({
        "id": id,
        "affected": [{"package": {"ecosystem": "PyPI", "name": id.to_lowercase()},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}],
    })
    .to_string()
}

#[test]
fn concurrent_imports_all_land_and_stale_copies_are_removed() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let drydock = assert_cmd::cargo::cargo_bin("drydock");
    let dirs: Vec<_> = (0..6)
        .map(|i| {
            let dir = work.path().join(format!("feed{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("r.json"), record(&format!("OSV-{i}"))).unwrap();
            dir
        })
        .collect();
    // One after the other into `cache`…
    let children: Vec<_> = dirs
        .iter()
        .map(|d| {
            Command::new(&drydock)
                .args(["db", "import", "--cache-dir"])
                .arg(&cache)
                .arg(d)
                .output()
        })
        .collect::<Vec<_>>();
    // …and all at once into `cache2`: the same six sources must land.
    let running: Vec<_> = dirs
        .iter()
        .map(|d| {
            Command::new(&drydock)
                .args(["db", "import", "--cache-dir"])
                .arg(work.path().join("cache2"))
                .arg(d)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        assert!(c.unwrap().status.success());
    }
    for mut c in running {
        assert!(c.wait().unwrap().success());
    }
    for dir in [&cache, &work.path().join("cache2")] {
        let status = Command::new(&drydock)
            .args(["db", "status", "--cache-dir"])
            .arg(dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&status.stdout);
        assert!(text.contains("records:  6"), "every import landed:\n{text}");
        for i in 0..6 {
            assert!(text.contains(&format!("osv:dir:feed{i}")), "{text}");
        }
    }
    // A temporary copy a killed import left behind goes with the next import.
    let stale = cache.join("db/.advisories.redb.4242.tmp");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    assert!(
        Command::new(&drydock)
            .args(["db", "import", "--cache-dir"])
            .arg(&cache)
            .arg(&dirs[0])
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(!stale.exists());
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("db"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}
