//! `--dockerfile` and fix classes end to end on a synthetic image: a Debian base layer, a RUN
//! that installs a Debian package, a RUN that pins a PyPI package; an archive index of the
//! security suite that publishes the Debian package's fix.

use std::path::Path;

use assert_cmd::Command;
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

const SOURCES: &str = "deb http://deb.example/debian bookworm main\ndeb http://deb.example/debian-security bookworm-security main\n";

fn status(packages: &[(&str, &str)]) -> String {
    packages
        .iter()
        .map(|(n, v)| format!("Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\nDescription: test\n\n"))
        .collect()
}

const DOCKERFILE: &str = "FROM debian:12
ARG EXTRA=yes
RUN apt-get update \\
 && apt-get install -y own-pkg
RUN pip install jinja2==2.11.2
CMD [\"sh\"]
";

fn build(dir: &Path) -> String {
    let base = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        )
        .file("etc/apt/sources.list", SOURCES.as_bytes())
        .file("var/lib/dpkg/status", status(&[("base-pkg", "1.0-1")]).as_bytes())
        .finish();
    let apt = LayerBuilder::new()
        .file(
            "var/lib/dpkg/status",
            status(&[("base-pkg", "1.0-1"), ("own-pkg", "2.0-1")]).as_bytes(),
        )
        .finish();
    let pip = LayerBuilder::new()
        .file(
            "usr/local/lib/python3.11/dist-packages/Jinja2-2.11.2.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.11.2\n",
        )
        .finish();
    let image = ImageBuilder::new()
        .layer(base, Comp::Gzip, "/bin/sh -c #(nop) ADD file:0123 in / ")
        .layer(
            apt,
            Comp::Gzip,
            "|1 EXTRA=yes /bin/sh -c apt-get update  && apt-get install -y own-pkg",
        )
        .layer(
            pip,
            Comp::Gzip,
            "|1 EXTRA=yes /bin/sh -c pip install jinja2==2.11.2",
        );
    let layout = dir.join("image");
    image.write_oci_dir(&layout);
    std::fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();

    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let osv = |id: &str, eco: &str, name: &str, fixed: Option<&str>| {
        let mut events = vec![serde_json::json!({"introduced": "0"})];
        if let Some(f) = fixed {
            events.push(serde_json::json!({"fixed": f}));
        }
        let r = serde_json::json!({"id": id, "modified": "2026-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}]});
        std::fs::write(records.join(format!("{id}.json")), r.to_string()).unwrap();
    };
    osv("TEST-OWN", "Debian:12", "own-pkg", Some("2.0-1+deb12u1"));
    osv("TEST-OWN-LATER", "Debian:12", "own-pkg", Some("2.0-1+deb12u9"));
    osv("TEST-BASE", "Debian:12", "base-pkg", Some("1.0-1+deb12u1"));
    osv("TEST-JINJA", "PyPI", "jinja2", Some("2.11.3"));
    osv("TEST-NOFIX", "Debian:12", "base-pkg", None);

    let suite = dir.join("mirror/dists/bookworm-security");
    std::fs::create_dir_all(suite.join("main/binary-amd64")).unwrap();
    std::fs::write(
        suite.join("Release"),
        "Origin: Debian\nSuite: oldstable-security\nCodename: bookworm-security\nVersion: 12\nDate: Sat, 28 Nov 2026 02:53:00 UTC\nArchitectures: amd64\nComponents: main\n",
    )
    .unwrap();
    std::fs::write(
        suite.join("main/binary-amd64/Packages"),
        "Package: own-pkg\nVersion: 2.0-1+deb12u1\nArchitecture: amd64\n\nPackage: base-pkg\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\n",
    )
    .unwrap();
    format!("oci:{}", layout.display())
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

#[test]
fn findings_are_traced_and_classed() {
    let dir = tempfile::tempdir().unwrap();
    let image = build(dir.path());
    let cache = dir.path().join("cache");
    let df = dir.path().join("Dockerfile").display().to_string();
    for p in ["records", "mirror/dists/bookworm-security/Release"] {
        let out = drydock(
            &cache,
            &["db", "import", &dir.path().join(p).display().to_string()],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = drydock(&cache, &["scan", &image, "--dockerfile", &df, "-f", "json", "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // bookworm itself was not imported: said, not guessed.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no archive index for debian:bookworm"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fix = |id: &str| {
        let f = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        (
            f["fix"]["class"].as_str().unwrap().to_string(),
            f["fix"]["version"].as_str().map(str::to_string),
            f["introduced_by"]["dockerfile"]["line"].as_u64(),
        )
    };
    assert_eq!(
        fix("TEST-OWN"),
        ("rebuild".into(), Some("2.0-1+deb12u1".into()), Some(3))
    );
    // A later fix than the archive has: no fix a rebuild could get yet.
    assert_eq!(fix("TEST-OWN-LATER").0, "no-fix");
    assert_eq!(
        fix("TEST-BASE"),
        ("base-image".into(), Some("1.0-1+deb12u1".into()), None)
    );
    assert_eq!(
        fix("TEST-JINJA"),
        ("upgrade".into(), Some("2.11.3".into()), Some(5))
    );
    assert_eq!(fix("TEST-NOFIX").0, "no-fix");
    let own = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "TEST-OWN")
        .unwrap();
    assert_eq!(own["introduced_by"]["dockerfile"]["end_line"].as_u64(), Some(4));
    assert_eq!(own["introduced_by"]["base_image"], false);
    assert_eq!(doc["summary"]["by_fix_class"]["no-fix"].as_u64(), Some(2));

    let out = drydock(
        &cache,
        &[
            "scan",
            &image,
            "--dockerfile",
            &df,
            "-q",
            "--fix-class",
            "rebuild,upgrade",
        ],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Of 2 findings: 1 is fixed by a rebuild; 1 needs an upgrade."),
        "{table}"
    );
    assert!(!table.contains("TEST-BASE"), "{table}");

    let out = drydock(&cache, &["scan", &image, "-q", "--fix-class", "later"]);
    assert_eq!(out.status.code(), Some(2));

    // Without --dockerfile: the history only, and no base boundary.
    let out = drydock(&cache, &["sbom", &image, "-f", "json", "-q"]);
    let sbom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let own = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "own-pkg")
        .unwrap();
    assert_eq!(own["introduced_by"]["confidence"], "history");
    assert_eq!(
        own["introduced_by"]["created_by"],
        "RUN apt-get update  && apt-get install -y own-pkg"
    );
    assert!(own["introduced_by"]["base_image"].is_null());
    assert_eq!(sbom["package_sources"].as_array().unwrap().len(), 2);

    // A Dockerfile that does not parse is an input error naming its line.
    std::fs::write(dir.path().join("Bad"), "FROM debian:12\nRUN <<EOF\necho\n").unwrap();
    let out = drydock(
        &cache,
        &[
            "sbom",
            &image,
            "--dockerfile",
            &dir.path().join("Bad").display().to_string(),
            "-q",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Bad:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A layout whose index carries a BuildKit provenance attestation for the image: layers are
/// attributed from it, exactly, without --dockerfile.
#[test]
fn provenance_attestation_in_the_index_attributes_layers() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let image = build(dir.path());
    let layout = dir.path().join("image");
    let index_path = layout.join("index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap().to_string();
    let blob = |d: &str| layout.join("blobs/sha256").join(d.trim_start_matches("sha256:"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(&manifest_digest)).unwrap()).unwrap();
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    let chain = |n: usize| -> Vec<serde_json::Value> {
        layers[..n]
            .iter()
            .map(|d| serde_json::json!({"digest": d, "size": 1}))
            .collect()
    };
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {"metadata": {"https://mobyproject.org/buildkit@v1#metadata": {
            "source": {
                "locations": {
                    "step1": {"locations": [{"ranges": [{"start": {"line": 3}, "end": {"line": 4}}]}]},
                    "step2": {"locations": [{"ranges": [{"start": {"line": 5}, "end": {"line": 5}}]}]}
                },
                "infos": [{"filename": "Dockerfile", "data": base64::engine::general_purpose::STANDARD.encode(DOCKERFILE)}]
            },
            "layers": {"step1:0": [chain(2)], "step2:0": [chain(3)]}
        }}}
    });
    let write_blob = |bytes: &[u8]| -> (String, usize) {
        let digest = drydock_testkit::sha256(bytes);
        std::fs::write(blob(&digest), bytes).unwrap();
        (digest, bytes.len())
    };
    let (stmt_digest, stmt_size) = write_blob(statement.to_string().as_bytes());
    let (config_digest, config_size) = write_blob(b"{}");
    let attestation = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": stmt_digest, "size": stmt_size,
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}]
    });
    let (att_digest, att_size) = write_blob(attestation.to_string().as_bytes());
    index["manifests"].as_array_mut().unwrap().push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": att_digest,
        "size": att_size,
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": manifest_digest}
    }));
    std::fs::write(&index_path, index.to_string()).unwrap();

    let cache = dir.path().join("cache");
    let out = drydock(&cache, &["sbom", &image, "-f", "json", "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sbom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let origin = |name: &str| {
        let p = sbom["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        let i = &p["introduced_by"];
        (
            i["confidence"].as_str().unwrap().to_string(),
            i["dockerfile"]["line"].as_u64(),
            i["base_image"].as_bool(),
        )
    };
    assert_eq!(origin("own-pkg"), ("provenance".into(), Some(3), Some(false)));
    assert_eq!(origin("Jinja2"), ("provenance".into(), Some(5), Some(false)));
    assert_eq!(origin("base-pkg").2, Some(true));

    // A statement that does not match its digest is refused with a warning, not trusted.
    std::fs::write(blob(&stmt_digest), b"{\"tampered\": true}").unwrap();
    let out = drydock(&cache, &["sbom", &image, "-f", "json", "-q"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("provenance attestation is not usable"),
        "{stderr}"
    );
}

/// A one-thread HTTP server on 127.0.0.1 answering GETs from `files` (404 otherwise), for as
/// long as the test holds it.
fn serve(files: Vec<(String, Vec<u8>)>) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = stop.clone();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut stream = stream;
            match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => {
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .unwrap();
                    stream.write_all(body).unwrap();
                }
                None => write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .unwrap(),
            }
        }
    });
    (port, stop)
}

/// `db update --from-image` fetches exactly what the image's own sources name, from where they
/// name it (here a mirror that has only gzip indexes).
#[test]
fn archive_indexes_come_from_the_images_own_sources() {
    let dir = tempfile::tempdir().unwrap();
    let release = "Origin: Debian\nSuite: oldstable-security\nCodename: bookworm-security\nVersion: 12\nDate: Sat, 28 Nov 2026 02:53:00 UTC\nArchitectures: amd64\nComponents: main\n";
    let packages = drydock_testkit::compress(
        b"Package: own-pkg\nVersion: 2.0-1+deb12u1\nArchitecture: amd64\n",
        drydock_testkit::Comp::Gzip,
    );
    let (port, stop) = serve(vec![
        (
            "/debian-security/dists/bookworm-security/Release".into(),
            release.as_bytes().to_vec(),
        ),
        (
            "/debian-security/dists/bookworm-security/main/binary-amd64/Packages.gz".into(),
            packages,
        ),
    ]);
    let sources = format!("deb http://127.0.0.1:{port}/debian-security bookworm-security main\n");
    let base = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("etc/apt/sources.list", sources.as_bytes())
        .file("var/lib/dpkg/status", status(&[("own-pkg", "2.0-1")]).as_bytes())
        .finish();
    let layout = dir.path().join("image");
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "/bin/sh -c apt-get install -y own-pkg")
        .write_oci_dir(&layout);
    let image = format!("oci:{}", layout.display());
    let cache = dir.path().join("cache");
    let out = drydock(&cache, &["db", "update", "-q", "--from-image", &image]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("debian:bookworm-security main/binary-amd64: 1 packages"),
        "{said}"
    );

    let records = dir.path().join("records");
    std::fs::create_dir_all(&records).unwrap();
    std::fs::write(
        records.join("T.json"),
        r#"{"id":"TEST-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"own-pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0-1+deb12u1"}]}]}]}"#,
    )
    .unwrap();
    assert!(
        drydock(&cache, &["db", "import", &records.display().to_string()])
            .status
            .success()
    );
    let out = drydock(&cache, &["scan", &image, "-f", "json", "-q"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["findings"][0]["fix"]["class"],
        "rebuild",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(doc["findings"][0]["fix"]["suite"], "debian:bookworm-security");

    // An image that names no archive is told so.
    let bare = dir.path().join("bare");
    ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
                .finish(),
            Comp::Gzip,
            "ADD",
        )
        .write_oci_dir(&bare);
    let out = drydock(
        &cache,
        &[
            "db",
            "update",
            "-q",
            "--from-image",
            &format!("oci:{}", bare.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names no apt sources"));
}
