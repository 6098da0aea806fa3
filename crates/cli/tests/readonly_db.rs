//! Tier 1: a valid advisory database on a read-only mount can be read by `scan` and `db status`
//! (a private read-only bind mount in a user and mount namespace, as unprivileged `unshare` makes
//! it; skipped where the kernel does not allow those namespaces).

use std::process::Command;

use drydock_testkit::workspace_root;

#[test]
fn a_database_on_a_read_only_mount_is_readable() {
    let cache = tempfile::tempdir().unwrap();
    // What the test needs of the kernel: a read-only bind mount inside a user namespace.
    let dir = cache.path().display().to_string();
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!(
            "mount --bind {dir} {dir} && mount -o remount,ro,bind {dir} {dir}"
        ))
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipping: read-only bind mounts in a user namespace are not available here");
        return;
    }
    let drydock = assert_cmd::cargo::cargo_bin("drydock");
    let root = workspace_root();
    let import = Command::new(&drydock)
        .args(["db", "import", "--cache-dir"])
        .arg(cache.path())
        .arg(root.join("examples/advisories"))
        .output()
        .unwrap();
    assert!(import.status.success());
    let script = format!(
        "mount --bind {dir} {dir} && mount -o remount,ro,bind {dir} && \
         if touch {dir}/probe 2>/dev/null; then echo not-read-only; exit 9; fi && \
         {bin} db status --cache-dir {dir} && \
         DRYDOCK_NO_CACHE=true {bin} scan -q -f json --cache-dir {dir} {example}",
        bin = drydock.display(),
        example = root.join("examples/debian-mini").display()
    );
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("records:  6"), "{stdout}");
    let report = &stdout[stdout.find('{').unwrap()..];
    let v: serde_json::Value = serde_json::from_str(report).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 6);
}
