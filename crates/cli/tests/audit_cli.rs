//! `drydock audit` end to end on a synthetic image: formats, the gate, the `[audit]` table.

use std::path::Path;

use assert_cmd::Command;
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn image(dir: &Path) -> String {
    let key = format!("AKIA{}", "ZXCVBNMASDFGHJKL");
    let l0 = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file_mode("usr/bin/su", b"#!/bin/sh\n", 0o4755)
        .finish();
    let l1 = LayerBuilder::new()
        .file("app/settings.py", format!("AWS = '{key}'\n").as_bytes())
        .finish();
    let l2 = LayerBuilder::new().whiteout("app/settings.py").finish();
    let layout = dir.join("image");
    ImageBuilder::new()
        .layer(l0, Comp::Gzip, "/bin/sh -c #(nop) ADD file:abc in / ")
        .layer(l1, Comp::Gzip, "/bin/sh -c #(nop) COPY file:def in /app ")
        .layer(l2, Comp::Gzip, "/bin/sh -c rm /app/settings.py")
        .write_oci_dir(&layout);
    format!("oci:{}", layout.display())
}

fn drydock(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("drydock")
        .unwrap()
        .current_dir(dir)
        .env("DRYDOCK_CACHE_DIR", dir.join("cache"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn audit_reports_gates_and_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let img = image(d);

    let out = drydock(d, &["audit", &img, "-q", "-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let secret = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "DD-SECRET/aws-access-key-id")
        .expect("the deleted key is found");
    assert_eq!(secret["layer"], 1);
    assert_eq!(secret["path"], "/app/settings.py");
    assert!(!secret["detail"].as_str().unwrap().contains("ZXCVBNMASDFGHJKL"));
    assert_eq!(doc["summary"]["FATAL"], 1);
    assert!(doc["size"]["layers"][1]["reclaimable_bytes"].as_u64().unwrap() > 0);

    // The gate: a FATAL finding fails --fail-on fatal; nothing at all fails --fail-on info.
    let out = drydock(d, &["audit", &img, "-q", "--fail-on", "fatal"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at or above FATAL"));

    // Suppressed with a reason; an expired entry no longer suppresses and says so.
    std::fs::write(
        d.join(".drydock.toml"),
        "ignore = []\n[audit]\nlowest-efficiency = 0.1\n\
         [[audit.ignore]]\nid = \"DD-SECRET/aws-access-key-id\"\npath = \"/app/*.py\"\nreason = \"test key, rotated\"\n\
         [[audit.ignore]]\nid = \"CIS-DI-0008\"\nreason = \"reviewed\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let out = drydock(d, &["audit", &img, "-q", "-f", "json", "--fail-on", "fatal"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expired on 2020-01-01"), "{stderr}");
    let doc = json(&out);
    assert_eq!(doc["suppressed"][0]["reason"], "test key, rotated");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "CIS-DI-0008")
    );

    // The same file still serves `drydock lint`.
    std::fs::write(d.join("Dockerfile"), "FROM debian:12\nUSER app\n").unwrap();
    let out = drydock(d, &["lint", "Dockerfile", "-t", "none"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SARIF: one rule per check id.
    let out = drydock(
        d,
        &["audit", &img, "-q", "-f", "sarif", "--config", ".drydock.toml"],
    );
    let sarif = json(&out);
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"CIS-DI-0008"), "{rules:?}");

    // A malformed table or a missing explicit file is an input error.
    std::fs::write(d.join("bad.toml"), "[audit]\nignore = [{ id = \"X\" }]\n").unwrap();
    let out = drydock(d, &["audit", &img, "-q", "--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = drydock(d, &["audit", &img, "-q", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
}
