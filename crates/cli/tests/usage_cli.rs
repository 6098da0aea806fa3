//! Tier 1: `usage import` and `usage report` from the command line on the example image, and
//! the errors that keep a report from calling everything unused.

use assert_cmd::Command;
use drydock_testkit::workspace_root;

fn drydock(cache: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env("DRYDOCK_CACHE_DIR", cache).current_dir(workspace_root());
    c
}

#[test]
fn a_trace_of_paths_the_image_does_not_have_is_an_error_not_an_all_unused_report() {
    let tmp = tempfile::tempdir().unwrap();
    let host = tmp.path().join("host.txt");
    std::fs::write(
        &host,
        "/var/lib/containers/storage/overlay/abc/merged/usr/bin/python3\n",
    )
    .unwrap();
    let record = tmp.path().join("host.json");
    let out = drydock(tmp.path())
        .args(["usage", "import", "--format", "paths"])
        .arg(&host)
        .arg("-o")
        .arg(&record)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 files and 0 programs"));
    let out = drydock(tmp.path())
        .args([
            "usage",
            "report",
            "-q",
            "examples/debian-mini",
            "--advisories",
            "examples/advisories",
            "--trace",
        ])
        .arg(&record)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none of the 1 paths the traces name is a file of"),
        "{err}"
    );
    // The wrong --format: no line is a record of it.
    let out = drydock(tmp.path())
        .args(["usage", "import", "--format", "strace"])
        .arg(&host)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is --format right?"));
}
