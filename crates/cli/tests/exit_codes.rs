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
