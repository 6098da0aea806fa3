//! Tier 1: `base index|list|detect` and `advise` from the command line, on images written here,
//! and their errors: one line each, exit code 2, nothing on standard output.

use assert_cmd::Command;
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder, workspace_root};

fn drydock(cache: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env("DRYDOCK_CACHE_DIR", cache).current_dir(workspace_root());
    c
}

fn base() -> ImageBuilder {
    ImageBuilder::new().layer(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
            .finish(),
        Comp::Gzip,
        "ADD rootfs.tar /",
    )
}

fn app() -> ImageBuilder {
    base().layer(
        LayerBuilder::new().file("app/run", b"#!/bin/sh\n").finish(),
        Comp::Gzip,
        "COPY run /app/run",
    )
}

fn fails(cmd: &mut Command, expected: &str) {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("drydock: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains(expected), "{err}");
    assert!(err.lines().all(|l| l.starts_with("drydock: ")), "{err}");
}

#[test]
fn index_list_detect_and_advise_on_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (base_dir, app_dir) = (tmp.path().join("base"), tmp.path().join("app"));
    base().write_oci_dir_tagged(&base_dir, "12");
    app().write_oci_dir(&app_dir);
    let out = drydock(&cache)
        .args(["base", "index", &format!("oci:{}", base_dir.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("/base: 1 added, 0 moved, 0 unchanged\n"));
    let list = String::from_utf8(drydock(&cache).args(["base", "list"]).output().unwrap().stdout).unwrap();
    assert!(list.contains("12") && list.contains("linux/amd64"), "{list}");

    let detect = drydock(&cache)
        .args(["base", "detect", "-q", &format!("oci:{}", app_dir.display())])
        .output()
        .unwrap();
    let text = String::from_utf8(detect.stdout).unwrap();
    assert!(text.contains("evidence:   layers (high confidence)"), "{text}");
    assert!(text.contains("layers:     1 of 2"), "{text}");

    // The base is the only candidate the index has: nothing newer, and the app's own base
    // is compared with a candidate named on the command line.
    let advisories = workspace_root().join("examples/advisories");
    let out = drydock(&cache)
        .args(["advise", "-q", &format!("oci:{}", app_dir.display())])
        .arg("--advisories")
        .arg(&advisories)
        .args(["--candidates", &format!("oci:{}:12", base_dir.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no candidate is better than the current base (1 evaluated)"),
        "{text}"
    );
    assert!(
        text.contains("the index holds no newer or alternative tag"),
        "{text}"
    );
}

#[test]
fn errors_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    fails(
        drydock(&cache).args(["base", "index", "oci:/nonexistent-layout"]),
        "nonexistent-layout",
    );
    fails(
        drydock(&cache).args(["base", "index", "--tags", "(", "oci:/x"]),
        "--tags: regex parse error",
    );
    // A corrupt index: `base list` refuses it; reading an image warns and goes on.
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("base-index.json"), b"{not json").unwrap();
    fails(drydock(&cache).args(["base", "list"]), "not a base-image index");
    let out = drydock(&cache)
        .args(["sbom", "-q", "examples/debian-mini"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a base-image index"));
    // An image whose base nothing tells: advise says what would help.
    std::fs::remove_file(cache.join("base-index.json")).unwrap();
    let lone = tmp.path().join("lone");
    ImageBuilder::new()
        .layer(
            LayerBuilder::new().file("a", b"a").finish(),
            Comp::Gzip,
            "ADD a /",
        )
        .write_oci_dir(&lone);
    fails(
        drydock(&cache)
            .args(["advise", "-q", &format!("oci:{}", lone.display())])
            .arg("--advisories")
            .arg(workspace_root().join("examples/advisories")),
        "cannot tell its base image",
    );
}
