//! Tier 2: every report format drydock writes, for the shipped example and the real images,
//! checked by the formats' official validators (`.ci/validate_sboms.py`: CycloneDX 1.6's JSON
//! schema, the SPDX project's spdx-tools, Microsoft's SARIF multitool, GitLab's 15.2.4
//! schema) — and a broken file of each kind refused, so the check can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

fn drydock(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("DRYDOCK_NO_CACHE", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "drydock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn validate(python: &Path, sarif: &Path, files: &[PathBuf]) -> (bool, String) {
    let script = drydock_testkit::workspace_root().join(".ci/validate_sboms.py");
    let out = Command::new(python)
        .arg(script)
        .arg("--sarif-tool")
        .arg(sarif)
        .args(files)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn every_report_format_passes_its_official_validator() {
    let Some(images) = drydock_testkit::built_images() else {
        return;
    };
    let Some(attribution) = drydock_testkit::attribution_image() else {
        return;
    };
    let Some(testdata) = drydock_testkit::shared_testdata() else {
        return;
    };
    let Some((python, sarif)) = drydock_testkit::validators() else {
        return;
    };
    let root = drydock_testkit::workspace_root();
    let out = tempfile::tempdir().unwrap();
    let o = |name: &str| out.path().join(name).display().to_string();
    let example = root.join("examples/debian-mini").display().to_string();
    let example_advisories = root.join("examples/advisories").display().to_string();
    let extras = format!("oci:{}", images.join("oci/deb-extras").display());
    let base = format!("oci:{}", images.join("oci/deb-base").display());
    let multi = images.join("deb-multi.docker.tar").display().to_string();
    let pypa = testdata.join("vulndb/osv-pypi-pypa").display().to_string();
    let built = format!("oci:{}", attribution.join("oci:latest").display());
    let audited = format!("oci:{}", attribution.join("audit-oci:final").display());
    let dockerfile = root.join("examples/attribution/Dockerfile").display().to_string();
    for (name, src) in [("example", &example), ("extras", &extras), ("multi", &multi)] {
        drydock(&[
            "sbom",
            src,
            "-q",
            "-f",
            "cyclonedx",
            "-o",
            &o(&format!("{name}.cdx.json")),
        ]);
        drydock(&[
            "sbom",
            src,
            "-q",
            "-f",
            "spdx-json",
            "-o",
            &o(&format!("{name}.spdx.json")),
        ]);
    }
    for (name, src, adv) in [
        ("example", &example, &example_advisories),
        ("extras", &extras, &pypa),
    ] {
        drydock(&[
            "scan",
            src,
            "-q",
            "--advisories",
            adv,
            "-f",
            "cyclonedx",
            "-o",
            &o(&format!("{name}-scan.cdx.json")),
        ]);
        drydock(&[
            "scan",
            src,
            "-q",
            "--advisories",
            adv,
            "-f",
            "sarif",
            "-o",
            &o(&format!("{name}-scan.sarif")),
        ]);
        drydock(&[
            "scan",
            src,
            "-q",
            "--advisories",
            adv,
            "-f",
            "gitlab",
            "-o",
            &o(&format!("{name}-scan.gitlab.json")),
        ]);
    }
    drydock(&[
        "scan",
        &extras,
        "-q",
        "--advisories",
        &pypa,
        "--baseline",
        &base,
        "-f",
        "sarif",
        "-o",
        &o("baseline-scan.sarif"),
    ]);
    for (format, ext) in [
        ("sarif", "sarif"),
        ("cyclonedx", "cdx.json"),
        ("gitlab", "gitlab.json"),
    ] {
        drydock(&[
            "scan",
            &built,
            "-q",
            "--advisories",
            &pypa,
            "--dockerfile",
            &dockerfile,
            "-f",
            format,
            "-o",
            &o(&format!("attribution-scan.{ext}")),
        ]);
    }
    let lint = root.join("examples/lint/Dockerfile").display().to_string();
    drydock(&["lint", "-t", "none", "-f", "sarif", "-o", &o("lint.sarif"), &lint]);
    let audit_dockerfile = root.join("examples/audit/Dockerfile").display().to_string();
    drydock(&[
        "audit",
        &audited,
        "-q",
        "--dockerfile",
        &audit_dockerfile,
        "-f",
        "sarif",
        "-o",
        &o("audit.sarif"),
    ]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 18, "{files:?}");
    let (ok, log) = validate(&python, &sarif, &files);
    assert!(ok, "{log}");

    // Broken copies: each must be refused.
    let broken = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    for (from, breakage) in [
        ("example.cdx.json", "bomFormat"),
        ("example.spdx.json", "spdxVersion"),
        ("lint.sarif", "version"),
        ("example-scan.gitlab.json", "scan"),
    ] {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join(from)).unwrap()).unwrap();
        doc.as_object_mut().unwrap().remove(breakage);
        let path = broken.path().join(from);
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
        bad.push(path);
    }
    for path in bad {
        let (ok, log) = validate(&python, &sarif, std::slice::from_ref(&path));
        assert!(
            !ok,
            "{} with a required field removed passed: {log}",
            path.display()
        );
    }
}
