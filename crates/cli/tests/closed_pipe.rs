//! Tier 1: a reader that goes away (`drydock … | head -1`) ends the output quietly with success.

use std::process::{Command, Stdio};

fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("drydock"))
        .args(args)
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .current_dir(drydock_testkit::workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before drydock writes a byte: every write it makes fails with EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn commands_that_print_exit_zero_when_the_reader_is_gone() {
    for args in [
        &["dockerfile", "rules"][..],
        &["dockerfile", "dump", "examples/lint/Dockerfile"],
        &["lint", "-t", "none", "examples/lint/Dockerfile"],
        &["sbom", "examples/debian-mini"],
        &["sbom", "-f", "json", "examples/debian-mini"],
        &[
            "scan",
            "examples/debian-mini",
            "--advisories",
            "examples/advisories",
        ],
        &["db", "import", "examples/advisories"],
        &["version", "compare", "dpkg", "1.0", "2.0"],
    ] {
        let (code, stderr) = with_closed_stdout(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
    }
}
