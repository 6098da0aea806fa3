//! Tier 2: the attribution example, built with buildah on the real Debian image `deb-extras`
//! (`examples/attribution/build.sh`), traced line by line, and its findings classed by fix
//! against the real Debian archive indexes.
//!
//! The expected lines are found here by searching the Dockerfile's text, not with drydock's
//! parser; the expected base packages are `dpkg-query`'s list of the base image.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use drydock_testkit::{attribution_image, built_images, facts, shared_testdata, workspace_root};

fn dockerfile() -> PathBuf {
    workspace_root().join("examples/attribution/Dockerfile")
}

/// (first, last) line of the instruction whose first line contains `needle`.
fn lines_of(needle: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(dockerfile()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains(needle) && !l.trim_start().starts_with('#'))
        .unwrap_or_else(|| panic!("{needle} not in the Dockerfile"));
    let mut end = start;
    while lines[end].trim_end().ends_with('\\') {
        end += 1;
    }
    (start as u64 + 1, end as u64 + 1)
}

fn drydock(cache: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("drydock")
        .unwrap()
        .env("DRYDOCK_CACHE_DIR", cache)
        .env("DRYDOCK_NO_CACHE", "true")
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn origin(p: &serde_json::Value) -> (Option<bool>, Option<(u64, u64)>) {
    let i = &p["introduced_by"];
    let line = i["dockerfile"]["line"]
        .as_u64()
        .map(|l| (l, i["dockerfile"]["end_line"].as_u64().unwrap()));
    (i["base_image"].as_bool(), line)
}

#[test]
fn every_package_is_traced_to_its_line() {
    let (Some(built), Some(images)) = (attribution_image(), built_images()) else {
        return;
    };
    let f = facts(&built);
    let cache = tempfile::tempdir().unwrap();
    let image = format!("oci:{}/oci:latest", built.display());
    let df = dockerfile().display().to_string();
    let doc = json_of(&drydock(
        cache.path(),
        &["sbom", &image, "--dockerfile", &df, "-f", "json", "-q"],
    ));

    let own: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::from([
        (("deb", "libyaml-0-2"), lines_of("RUN apt-get update")),
        (
            ("deb", f["REBUILD_PKG"].as_str()),
            lines_of("RUN grep -v -- -security"),
        ),
        (("npm", "left-pad"), lines_of("COPY node_modules")),
        (("pypi", "jinja2"), lines_of("RUN pip install")),
    ]);
    let base_debs: BTreeSet<String> = std::fs::read_to_string(images.join("truth/deb-extras/dpkg.tsv"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect();
    let mut seen_own = BTreeSet::new();
    for p in doc["packages"].as_array().unwrap() {
        let key = (p["ecosystem"].as_str().unwrap(), p["name"].as_str().unwrap());
        let name = key.1.to_ascii_lowercase();
        match own
            .iter()
            .find(|((e, n), _)| *e == key.0 && n.eq_ignore_ascii_case(&name))
        {
            Some((k, lines)) => {
                assert_eq!(origin(p), (Some(false), Some(*lines)), "{key:?}");
                assert_eq!(p["introduced_by"]["confidence"], "aligned", "{key:?}");
                seen_own.insert(*k);
            }
            None => {
                assert_eq!(
                    origin(p),
                    (Some(true), None),
                    "{key:?} should come from the base image"
                );
                if key.0 == "deb" {
                    assert!(
                        base_debs.contains(key.1),
                        "{key:?} is not in the base image's dpkg database"
                    );
                }
            }
        }
    }
    assert_eq!(
        seen_own.len(),
        own.len(),
        "missing: {:?}",
        own.keys().filter(|k| !seen_own.contains(*k)).collect::<Vec<_>>()
    );

    // Layers: the base image's seven, then one per RUN and COPY of the final stage.
    let layers = doc["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 12);
    assert!(
        layers[..7]
            .iter()
            .all(|l| l["base_image"] == true && l["dockerfile"].is_null())
    );
    let copy_from = &layers[10]["dockerfile"];
    assert_eq!(copy_from["line"].as_u64(), Some(lines_of("COPY --from=build").0));
    assert_eq!(copy_from["from_stage"], "build");

    // A Dockerfile that does not match says so and falls back to the history.
    let other = cache.path().join("Dockerfile.other");
    std::fs::write(&other, "FROM debian:12\nRUN echo something else\n").unwrap();
    let out = drydock(
        cache.path(),
        &[
            "sbom",
            &image,
            "--dockerfile",
            &other.display().to_string(),
            "-f",
            "json",
            "-q",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match the image"), "{stderr}");
    let doc = json_of(&out);
    let pip = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Jinja2" || p["name"] == "jinja2")
        .unwrap();
    assert_eq!(pip["introduced_by"]["confidence"], "history");
    assert_eq!(
        pip["introduced_by"]["created_by"],
        "RUN pip install --no-cache-dir --no-deps --break-system-packages jinja2==2.11.2"
    );
}

fn osv(dir: &Path, id: &str, source: &str, fixed: Option<&str>) {
    let mut events = vec![serde_json::json!({"introduced": "0"})];
    if let Some(v) = fixed {
        events.push(serde_json::json!({"fixed": v}));
    }
    let record = serde_json::json!({
        "id": id,
        "modified": "2026-11-01T00:00:00Z",
        "summary": format!("test advisory for {source}"),
        "affected": [{"package": {"ecosystem": "Debian:12", "name": source}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
        "database_specific": {"severity": "HIGH"},
    });
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
}

#[test]
fn findings_carry_their_fix_class() {
    let (Some(built), Some(data)) = (attribution_image(), shared_testdata()) else {
        return;
    };
    let f = facts(&built);
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    // Two advisories written here: one fixed at the version the security suite publishes for
    // the package the image installed without it, one without any fix.
    let records = tempfile::tempdir().unwrap();
    osv(
        records.path(),
        "TEST-REBUILD-1",
        &f["REBUILD_SOURCE"],
        Some(&f["REBUILD_SECURITY_SOURCE_VERSION"]),
    );
    osv(records.path(), "TEST-NOFIX-1", "libyaml", None);
    let pypa = data.join("vulndb/osv-pypi-pypa");
    for path in [
        records.path().to_path_buf(),
        pypa.join("jinja2"),
        pypa.join("requests"),
        pypa.join("urllib3"),
    ] {
        let out = drydock(c, &["db", "import", &path.display().to_string()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let image = format!("oci:{}/oci:latest", built.display());
    let df = dockerfile().display().to_string();

    // Without the archive's indexes nothing is guessed: rebuildable findings are `unknown`.
    let out = drydock(c, &["scan", &image, "--dockerfile", &df, "-f", "json", "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no archive index for debian:bookworm"),
        "{stderr}"
    );
    assert!(stderr.contains("--distro debian:12"), "{stderr}");
    let doc = json_of(&out);
    let class_of = |doc: &serde_json::Value, id: &str| -> String {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} not found"))["fix"]["class"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(class_of(&doc, "TEST-REBUILD-1"), "unknown");

    // The real indexes, from the mirror this machine's apt uses.
    let out = drydock(
        c,
        &[
            "db",
            "update",
            "-q",
            "--distro",
            "debian:12",
            "--debian-mirror",
            &f["DEBIAN_MIRROR"],
            "--debian-security-mirror",
            &f["DEBIAN_SECURITY_MIRROR"],
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&drydock(
        c,
        &["scan", &image, "--dockerfile", &df, "-f", "json", "-q"],
    ));
    let findings = doc["findings"].as_array().unwrap();
    let by_id = |id: &str| {
        findings
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} not found"))
    };

    let rebuild = by_id("TEST-REBUILD-1");
    assert_eq!(rebuild["package"]["name"], f["REBUILD_PKG"].as_str());
    assert_eq!(rebuild["fix"]["class"], "rebuild");
    // What a rebuild gets today: at least the build that was newer when the image was made.
    let gets = rebuild["fix"]["version"].as_str().unwrap();
    let ge = std::process::Command::new("dpkg")
        .args(["--compare-versions", gets, "ge", &f["REBUILD_SECURITY_VERSION"]])
        .status()
        .unwrap();
    assert!(ge.success(), "a rebuild gets {gets}");
    assert_eq!(rebuild["fix"]["suite"], "debian:bookworm-security");
    assert_eq!(
        rebuild["introduced_by"]["dockerfile"]["line"].as_u64(),
        Some(lines_of("RUN grep -v -- -security").0)
    );

    assert_eq!(by_id("TEST-NOFIX-1")["fix"]["class"], "no-fix");
    let mut classes: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for x in findings {
        classes
            .entry((
                x["package"]["ecosystem"].as_str().unwrap().into(),
                x["package"]["name"].as_str().unwrap().to_lowercase(),
            ))
            .or_default()
            .insert(x["fix"]["class"].as_str().unwrap().into());
    }
    // jinja2 is pinned on the pip line: an upgrade there. urllib3 came with the base image's
    // layers.
    assert_eq!(
        classes[&("pypi".into(), "jinja2".into())],
        BTreeSet::from(["upgrade".to_string()])
    );
    let jinja = findings
        .iter()
        .find(|x| {
            x["package"]["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("jinja2")
                && x["status"] == "fixed"
        })
        .unwrap();
    let pip_line = lines_of("RUN pip install").0;
    assert!(
        jinja["fix"]["action"]
            .as_str()
            .unwrap()
            .contains(&format!("`jinja2==2.11.2` at {df}:{pip_line}")),
        "{}",
        jinja["fix"]["action"]
    );
    assert_eq!(
        classes[&("pypi".into(), "urllib3".into())],
        BTreeSet::from(["base-image".to_string()])
    );
    assert_eq!(doc["summary"]["by_fix_class"]["rebuild"].as_u64(), Some(1));

    // SARIF: the Dockerfile line is the first location, the image the second.
    let sarif = json_of(&drydock(
        c,
        &["scan", &image, "--dockerfile", &df, "-f", "sarif", "-q"],
    ));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "TEST-REBUILD-1")
        .unwrap();
    let first = &result["locations"][0]["physicalLocation"];
    // An absolute path is a file:// URI (SARIF forbids a relative reference starting with /).
    assert_eq!(first["artifactLocation"]["uri"], format!("file://{df}"));
    assert_eq!(
        first["region"]["startLine"].as_u64(),
        Some(lines_of("RUN grep -v -- -security").0)
    );
    assert_eq!(
        first["region"]["endLine"].as_u64(),
        Some(lines_of("RUN grep -v -- -security").1)
    );
    assert_eq!(result["properties"]["fix"]["class"], "rebuild");

    // CycloneDX: the recommendation is the fix.
    let bom = json_of(&drydock(
        c,
        &["scan", &image, "--dockerfile", &df, "-f", "cyclonedx", "-q"],
    ));
    let v = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "TEST-REBUILD-1")
        .unwrap();
    assert!(
        v["recommendation"]
            .as_str()
            .unwrap()
            .starts_with("Rebuild without cache"),
        "{}",
        v["recommendation"]
    );

    // Table: the columns and the summary line.
    let out = drydock(c, &["scan", &image, "--dockerfile", &df, "-q"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("INTRODUCED BY") && table.contains("FIX"),
        "{table}"
    );
    assert!(table.contains("1 is fixed by a rebuild"), "{table}");
    assert!(
        table.contains(&format!("Dockerfile:{pip_line} RUN pip install")),
        "{table}"
    );

    // Only what a rebuild fixes, and the gate counts only that.
    let out = drydock(
        c,
        &[
            "scan",
            &image,
            "--dockerfile",
            &df,
            "-f",
            "json",
            "-q",
            "--fix-class",
            "rebuild",
            "--fail-on",
            "low",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["TEST-REBUILD-1"]);
    let out = drydock(
        c,
        &[
            "scan",
            &image,
            "--dockerfile",
            &df,
            "-q",
            "--fix-class",
            "upgrade",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
