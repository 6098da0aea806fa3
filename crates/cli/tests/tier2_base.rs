//! Tier 2: base images against a real registry. The example (`examples/base/build.sh`) holds
//! a Debian base tagged 12 at two digests (without and with the security suite), a "full"
//! variant, Debian 13 (mmdebstrap), and an application built with buildah on the first digest
//! of 12. They are pushed to Debian's `docker-registry` on 127.0.0.1, indexed, detected and
//! advised on, with OSV advisories written here so that each candidate differs.
//!
//! Expected digests, layer counts and sizes are read from the OCI layout's own index and
//! manifests, not from drydock.

use std::path::Path;

use assert_cmd::Command;
use drydock_testkit::registry::{LocalRegistry, tools};
use drydock_testkit::{base_example, facts, workspace_root};
use serde_json::Value;

/// The layout's manifest for `tag`: (digest, manifest JSON).
fn manifest(layout: &Path, tag: &str) -> (String, Value) {
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no {tag} in the layout"))["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    (
        digest,
        serde_json::from_slice(&std::fs::read(blob).unwrap()).unwrap(),
    )
}

fn layer_sizes(m: &Value) -> Vec<u64> {
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .collect()
}

fn drydock(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env("DRYDOCK_CACHE_DIR", cache).env_remove("XDG_CACHE_HOME");
    c
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_text(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn advisory(dir: &Path, id: &str, ecosystem: &str, package: &str, fixed: Option<&str>, severity: &str) {
    let mut events = vec![serde_json::json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(serde_json::json!({"fixed": f}));
    }
    let record = serde_json::json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2026-11-01T00:00:00Z",
        "summary": format!("test advisory for {package}"),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
            "database_specific": {"severity": severity},
        }],
    });
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
}

#[test]
fn detect_index_and_advise_against_a_real_registry() {
    let Some(example) = base_example() else { return };
    if !tools() {
        return;
    }
    let facts = facts(&example);
    let layout = example.join("oci");
    let oci = |tag: &str| format!("oci:{}:{tag}", layout.display());
    let (v1_digest, v1) = manifest(&layout, "12-v1");
    let (v2_digest, v2) = manifest(&layout, "12-v2");
    let (full_digest, full) = manifest(&layout, "12-full");
    let (trixie_digest, trixie) = manifest(&layout, "13");
    let (_, app) = manifest(&layout, "app-plain");
    let base_layers = layer_sizes(&v1).len();
    assert_eq!(base_layers, 2, "deb-base and one RUN");

    let reg = LocalRegistry::start(|_| String::new());
    let host = reg.host();
    reg.push(&oci("12-v1"), "base:12", None);
    reg.push(&oci("12-full"), "base:12-full", None);
    reg.push(&oci("13"), "base:13", None);
    reg.push(&oci("13"), "base:trixie", None);
    let repo = format!("{host}/base");

    let cache = tempfile::tempdir().unwrap();
    let index = |expect: &str| {
        let out = run_text(drydock(cache.path()).args(["base", "index", &repo, "--insecure", "-q"]));
        assert_eq!(out.trim(), format!("{repo}: {expect}"));
    };
    index("4 added, 0 moved, 0 unchanged");
    // Nothing moved: conditional requests, nothing re-read.
    index("0 added, 0 moved, 4 unchanged");
    // The tag 12 moves to the rebuild with security updates.
    reg.push(&oci("12-v2"), "base:12", None);
    index("0 added, 1 moved, 3 unchanged");
    // --tags limits what is read.
    let out = run_text(drydock(cache.path()).args(["base", "index", &repo, "--insecure", "--tags", "^13$"]));
    assert_eq!(out.trim(), format!("{repo}: 0 added, 0 moved, 1 unchanged"));

    let listed = run_json(drydock(cache.path()).args(["base", "list", "-f", "json"]));
    let tags = &listed["repositories"][&repo]["tags"];
    assert_eq!(tags["12"]["current"]["manifest_digest"], v2_digest.as_str());
    assert_eq!(tags["12"]["previous"][0]["manifest_digest"], v1_digest.as_str());
    assert_eq!(
        tags["12-full"]["current"]["size"],
        layer_sizes(&full).iter().sum::<u64>()
    );
    assert_eq!(
        tags["13"]["current"]["chain_ids"].as_array().unwrap().len(),
        layer_sizes(&trixie).len()
    );
    assert_eq!(
        tags["trixie"]["current"]["manifest_digest"],
        trixie_digest.as_str()
    );
    assert_eq!(tags["13"]["current"]["platform"], "linux/amd64");

    // By layers: the application without base annotations, against the index.
    let detect = |cache: &Path, source: &str, extra: &[&str]| {
        run_json(
            drydock(cache)
                .args(["base", "detect", source, "-q", "-f", "json"])
                .args(extra),
        )["base_image"]
            .clone()
    };
    let by_layers = detect(cache.path(), &oci("app-plain"), &[]);
    assert_eq!(by_layers["evidence"], "layers");
    assert_eq!(by_layers["confidence"], "high");
    assert_eq!(by_layers["name"], repo.as_str());
    assert_eq!(by_layers["tag"], "12");
    assert_eq!(by_layers["digest"], v1_digest.as_str());
    assert_eq!(by_layers["layers"], base_layers);

    // By annotation: buildah wrote the base it built on, named as it was in its local store.
    let by_annotation = detect(cache.path(), &oci("app"), &[]);
    assert_eq!(by_annotation["evidence"], "annotation");
    let annotated = facts["APP_BASE_ANNOTATION"].clone();
    let (name, tag) = annotated.rsplit_once(':').unwrap();
    assert_eq!(
        (
            by_annotation["name"].as_str().unwrap(),
            by_annotation["tag"].as_str().unwrap()
        ),
        (name, tag)
    );
    assert_eq!(by_annotation["layers"], base_layers);
    assert!(
        by_annotation["notes"][0]
            .as_str()
            .unwrap()
            .contains(&format!("the layers match {repo}:12")),
        "{by_annotation}"
    );

    // By Dockerfile: no index, no annotations, the Dockerfile's FROM.
    let empty = tempfile::tempdir().unwrap();
    let dockerfile = workspace_root().join("examples/base/app.Dockerfile");
    let by_dockerfile = detect(
        empty.path(),
        &oci("app-plain"),
        &["--dockerfile", dockerfile.to_str().unwrap()],
    );
    assert_eq!(by_dockerfile["evidence"], "dockerfile");
    assert_eq!(by_dockerfile["confidence"], "medium");
    assert_eq!(
        (by_dockerfile["name"].as_str(), by_dockerfile["tag"].as_str()),
        (Some("localhost/base"), Some("12"))
    );
    assert_eq!(by_dockerfile["layers"], base_layers);
    // The scan and SBOM JSON carry it too, with the base's layers marked.
    let sbom = run_json(drydock(cache.path()).args(["sbom", &oci("app-plain"), "-q", "-f", "json"]));
    assert_eq!(sbom["image"]["base_image"]["digest"], v1_digest.as_str());
    let marks: Vec<bool> = sbom["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["base_image"].as_bool().unwrap())
        .collect();
    assert_eq!(
        marks,
        (0..layer_sizes(&app).len())
            .map(|i| i < base_layers)
            .collect::<Vec<_>>()
    );
    let sarif = run_json(drydock(cache.path()).args([
        "scan",
        &oci("app-plain"),
        "-q",
        "-f",
        "sarif",
        "--advisories",
        workspace_root().join("examples/advisories").to_str().unwrap(),
    ]));
    assert_eq!(
        sarif["runs"][0]["properties"]["drydock"]["baseImage"]["digest"],
        v1_digest.as_str()
    );

    // Advisories that make the candidates differ: the package the first digest has from the
    // release (fixed in the security suite), dpkg in every Debian 12 image, curl in "full".
    let advisories = tempfile::tempdir().unwrap();
    let a = advisories.path();
    advisory(
        a,
        "TEST-REFRESH",
        "Debian:12",
        &facts["BASE_SOURCE"],
        Some(&facts["BASE_SOURCE_SECURITY_VERSION"]),
        "MEDIUM",
    );
    advisory(a, "TEST-DEBIAN12", "Debian:12", "dpkg", None, "HIGH");
    advisory(a, "TEST-CURL", "Debian:12", "curl", None, "CRITICAL");
    let advice = run_json(drydock(cache.path()).args([
        "advise",
        &oci("app-plain"),
        "-q",
        "-f",
        "json",
        "--advisories",
        a.to_str().unwrap(),
        "--insecure",
    ]));
    let current = &advice["base_image"];
    assert_eq!(current["vulnerabilities"]["high"], 1);
    assert_eq!(current["vulnerabilities"]["medium"], 1);
    let current_size: u64 = layer_sizes(&app)[..base_layers].iter().sum();
    assert_eq!(current["size"], current_size);
    let candidates = advice["candidates"].as_array().unwrap();
    let row = |c: &Value| {
        (
            c["kind"].as_str().unwrap().to_string(),
            c["digest"].as_str().unwrap().to_string(),
            c["rank"].as_u64().unwrap(),
            c["delta"]["removed"].as_u64().unwrap(),
            c["delta"]["added"].as_u64().unwrap(),
            c["better"].as_bool().unwrap(),
        )
    };
    let rows: Vec<_> = candidates.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![
            ("major".to_string(), trixie_digest.clone(), 1, 2, 0, true),
            ("refresh".to_string(), v2_digest.clone(), 2, 1, 0, true),
            // Debian's curl source builds the packages curl and libcurl4, and curl needs
            // libcurl4: one advisory, two vulnerable packages.
            ("alternative".to_string(), full_digest.clone(), 3, 1, 2, false),
        ]
    );
    let sizes: Vec<u64> = candidates.iter().map(|c| c["size"].as_u64().unwrap()).collect();
    assert_eq!(
        sizes,
        vec![
            layer_sizes(&trixie).iter().sum::<u64>(),
            layer_sizes(&v2).iter().sum::<u64>(),
            layer_sizes(&full).iter().sum::<u64>()
        ]
    );
    assert_eq!(
        candidates[0]["delta"]["size"].as_i64().unwrap(),
        sizes[0] as i64 - current_size as i64
    );
    let mut trixie_tags: Vec<&str> = candidates[0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    trixie_tags.sort();
    assert_eq!(trixie_tags, vec!["13", "trixie"]);
    assert_eq!(advice["recommendation"], format!("{repo}:13"));
    assert!(
        advice["headline"].as_str().unwrap().starts_with(&format!(
            "switching to {repo}:13 removes 2 of 2 vulnerabilities (100 %), 0 critical"
        )),
        "{}",
        advice["headline"]
    );

    // A candidate that cannot be read is reported, not fatal; the table says the same.
    let table = run_text(drydock(cache.path()).args([
        "advise",
        &oci("app-plain"),
        "-q",
        "--advisories",
        a.to_str().unwrap(),
        "--candidates",
        &format!("docker://{host}/missing:1"),
        "--insecure",
    ]));
    assert!(table.contains("error:"), "{table}");
    assert!(
        table.contains(&format!("switching to {repo}:13 removes 2 of 2")),
        "{table}"
    );
}
