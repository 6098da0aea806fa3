//! Tier 1: the exit codes the README documents, each produced for real.

use assert_cmd::Command;
use drydock_testkit::workspace_root;

fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.current_dir(workspace_root())
        .env_remove("DRYDOCK_TEST_INTERNAL_ERROR");
    c
}

#[test]
fn zero_one_two_and_three() {
    let ok = drydock()
        .args(["version", "compare", "deb", "1.0", "1.1"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));

    // 1: a policy failure (the example's advisories affect the example image).
    let policy = drydock()
        .args([
            "scan",
            "-q",
            "examples/debian-mini",
            "--advisories",
            "examples/advisories",
            "--fail-on",
            "low",
        ])
        .output()
        .unwrap();
    assert_eq!(
        policy.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&policy.stderr)
    );
    assert!(!policy.stdout.is_empty(), "the report is still printed");

    // 2: an input error, one line.
    let input = drydock()
        .args(["sbom", "oci:/nonexistent-layout"])
        .output()
        .unwrap();
    assert_eq!(input.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&input.stderr).lines().count(), 1);

    // 3: an internal error (a panic), one line asking for a report, nothing on standard output.
    let internal = drydock()
        .env("DRYDOCK_TEST_INTERNAL_ERROR", "1")
        .args(["version", "compare", "deb", "1.0", "1.1"])
        .output()
        .unwrap();
    assert_eq!(internal.status.code(), Some(3));
    assert!(internal.stdout.is_empty());
    let err = String::from_utf8_lossy(&internal.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("drydock: internal error: deliberate internal error"),
        "{err}"
    );
    assert!(err.trim_end().ends_with("(please report this)"), "{err}");

    // 3 also for an error drydock classifies as its own (a document that will not serialise),
    // said the same way.
    let failure = drydock()
        .env("DRYDOCK_TEST_INTERNAL_ERROR", "failure")
        .args(["version", "compare", "deb", "1.0", "1.1"])
        .output()
        .unwrap();
    assert_eq!(failure.status.code(), Some(3));
    assert!(failure.stdout.is_empty());
    let err = String::from_utf8_lossy(&failure.stderr);
    assert_eq!(
        err.trim_end(),
        "drydock: error: internal error: deliberate failure for the test of exit code 3 (please report this)"
    );
}

/// An rpm `Packages.db` (ndb) holding one package whose header blob is the given bytes.
fn ndb_with_one_header(header: &[u8]) -> Vec<u8> {
    const PAGE: usize = 4096;
    let le = |v: u32| v.to_le_bytes();
    let mut db = vec![0u8; PAGE];
    db[0..4].copy_from_slice(b"RpmP");
    db[12..16].copy_from_slice(&le(1)); // one page of slots
    // Slot 2 (the first two hold the file header): package 1, its blob at block 256 (byte 4096).
    db[32..36].copy_from_slice(b"Slot");
    db[36..40].copy_from_slice(&le(1));
    db[40..44].copy_from_slice(&le((PAGE / 16) as u32));
    db.extend_from_slice(b"BlbS");
    db.extend_from_slice(&le(1));
    db.extend_from_slice(&le(0));
    db.extend_from_slice(&le(header.len() as u32));
    db.extend_from_slice(header);
    db
}

/// A broken OS package database is an input error that names the file, the package's place
/// in it and what is wrong, never an image with "no packages".
#[test]
fn a_broken_rpm_header_names_the_database_the_package_and_the_tag() {
    // One index entry, NAME (1000) as a STRING at offset 0, and 4 data bytes with no NUL.
    let mut header = Vec::new();
    for v in [1u32, 4, 1000, 6, 0, 1] {
        header.extend_from_slice(&v.to_be_bytes());
    }
    header.extend_from_slice(b"zlib");
    let root = tempfile::tempdir().unwrap();
    let rpm = root.path().join("var/lib/rpm");
    std::fs::create_dir_all(&rpm).unwrap();
    std::fs::write(rpm.join("Packages.db"), ndb_with_one_header(&header)).unwrap();
    let out = drydock()
        .args(["sbom", "-f", "json"])
        .arg(format!("dir:{}", root.path().display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing that looks like a result");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "drydock: error: /var/lib/rpm/Packages.db: malformed package database: package 1: tag 1000 string is not terminated"
    );
}
