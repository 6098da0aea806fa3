//! Tier 2: `drydock audit` on real images. The size figures equal dive's own (`dive --ci` on
//! the same docker archives); the audit example built with buildah has its planted keys found in
//! the layer that wrote them, and only its single-stage variant ships build tools; the real
//! Debian images give no secret finding at all.

use std::path::Path;

use assert_cmd::Command;
use drydock_testkit::{attribution_image, built_images, workspace_root};

fn audit_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DRYDOCK_NO_CACHE", "true")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env_remove("DRYDOCK_CACHE_DIR")
        .arg("audit")
        .args(args)
        .args(["-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// dive 0.13's `--ci` figures: (efficiency %, wasted bytes, user wasted % or None for NaN).
fn dive(dive: &Path, archive: &Path) -> (String, u64, Option<String>) {
    let out = std::process::Command::new(dive)
        .args(["--ci", "--source", "docker-archive"])
        .arg(archive)
        .args(["--lowestEfficiency", "0", "--highestUserWastedPercent", "1"])
        .env("CI", "true")
        .output()
        .expect("dive runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in dive's output:\n{text}"))
            .trim()
            .to_string()
    };
    let efficiency = field("efficiency:").trim_end_matches('%').trim().to_string();
    let wasted = field("wastedBytes:")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let user = field("userWastedPercent:")
        .trim_end_matches('%')
        .trim()
        .to_string();
    (efficiency, wasted, (user != "NaN").then_some(user))
}

fn dive_binary() -> Option<std::path::PathBuf> {
    match std::env::var_os("DIVE") {
        Some(p) => Some(p.into()),
        None if std::env::var_os("CI").is_some() => panic!("$DIVE (dive 0.13) is required when CI is set"),
        None => {
            eprintln!("skipping: $DIVE not set");
            None
        }
    }
}

#[test]
fn size_figures_equal_dives_and_real_images_hold_no_secrets() {
    let (Some(images), Some(dive_bin)) = (built_images(), dive_binary()) else {
        return;
    };
    for name in ["deb-base", "deb-multi", "deb-extras"] {
        let archive = images.join(format!("{name}.docker.tar"));
        let doc = audit_json(&[&format!("docker-archive:{}", archive.display())]);
        let size = &doc["size"];
        let ours = (
            format!("{:.4}", size["efficiency"].as_f64().unwrap() * 100.0),
            size["wasted_bytes"].as_u64().unwrap(),
            size["user_wasted_percent"]
                .as_f64()
                .map(|p| format!("{:.4}", p * 100.0)),
        );
        assert_eq!(ours, dive(&dive_bin, &archive), "{name}");
        let secrets: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"].as_str().unwrap().starts_with("DD-SECRET/"))
            .collect();
        assert!(secrets.is_empty(), "{name}: {secrets:?}");
        // The same figures whatever the source format.
        let oci = audit_json(&[&format!("oci:{}/oci/{name}", images.display())]);
        assert_eq!(
            oci["size"], doc["size"],
            "{name}: OCI layout and docker archive differ"
        );
    }
}

/// (first line) of the instruction that starts with `needle` in the audit example.
fn line_of(needle: &str) -> u64 {
    let text = std::fs::read_to_string(workspace_root().join("examples/audit/Dockerfile")).unwrap();
    text.lines().position(|l| l.starts_with(needle)).unwrap() as u64 + 1
}

#[test]
fn planted_keys_are_found_in_their_layer_and_build_tools_only_in_one_stage() {
    let Some(built) = attribution_image() else {
        return;
    };
    let dockerfile = workspace_root().join("examples/audit/Dockerfile");
    let final_image = format!("oci:{}/audit-oci:final", built.display());
    let doc = audit_json(&[&final_image, "--dockerfile", &dockerfile.display().to_string()]);
    let findings = doc["findings"].as_array().unwrap();
    let secrets: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("DD-SECRET/"))
        .collect();
    let plant = line_of("RUN mkdir -p /root/.ssh");
    let mut seen: Vec<(String, String)> = Vec::new();
    for s in &secrets {
        assert_eq!(
            s["introduced_by"]["dockerfile"]["line"].as_u64(),
            Some(plant),
            "{s}"
        );
        assert!(s["detail"].as_str().unwrap().contains("still shipped"), "{s}");
        seen.push((
            s["id"].as_str().unwrap().to_string(),
            s["path"].as_str().unwrap().to_string(),
        ));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "DD-SECRET/aws-access-key-id".to_string(),
                "/root/.aws/credentials".to_string()
            ),
            (
                "DD-SECRET/aws-credentials-file".to_string(),
                "/root/.aws/credentials".to_string()
            ),
            (
                "DD-SECRET/private-key".to_string(),
                "/root/.ssh/id_ed25519".to_string()
            ),
            (
                "DD-SECRET/ssh-private-key-file".to_string(),
                "/root/.ssh/id_ed25519".to_string()
            ),
        ]
    );
    let aws = secrets
        .iter()
        .find(|s| s["id"] == "DD-SECRET/aws-access-key-id")
        .unwrap();
    let excerpt = aws["detail"].as_str().unwrap();
    assert!(excerpt.contains(&format!("AKIA{}", "*".repeat(16))), "{excerpt}");
    assert!(
        findings.iter().all(|f| f["id"] != "CIS-DI-0003"),
        "the final stage ships no build tools"
    );
    assert!(findings.iter().all(|f| f["id"] != "CIS-DI-0001"), "USER nobody");

    let single = audit_json(&[&format!("oci:{}/audit-oci:single", built.display())]);
    let tools: Vec<&str> = single["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "CIS-DI-0003")
        .filter_map(|f| f["package"].as_str())
        .collect();
    for want in ["deb:make", "deb:zlib1g-dev"] {
        assert!(tools.contains(&want), "{want} not in {tools:?}");
    }
    let secrets = single["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("DD-SECRET/"))
        .count();
    assert_eq!(secrets, 0);
}
