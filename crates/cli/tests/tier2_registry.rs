//! Tier 2: pulling from a real registry — Debian's `docker-registry` (the CNCF distribution
//! registry) started here on 127.0.0.1 with a temporary storage directory, images pushed with
//! `skopeo`, and the registry stopped by PID.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command as Proc, Stdio};

use assert_cmd::Command;
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder, workspace_root};

use drydock_testkit::registry::{LocalRegistry as Registry, tools};

/// Starts a registry; with `htpasswd`, one user; with `token`, an `auth: token` section and
/// the directory holding its files (kept until the test ends).
fn start(htpasswd: Option<(&str, &str)>) -> Registry {
    start_with(htpasswd, None).0
}

fn start_with(
    htpasswd: Option<(&str, &str)>,
    token: Option<(String, tempfile::TempDir)>,
) -> (Registry, Option<tempfile::TempDir>) {
    let (section, dir) = match token {
        Some((s, d)) => (Some(s), Some(d)),
        None => (None, None),
    };
    let reg = Registry::start(|config| {
        let mut yaml = String::new();
        if let Some((user, password)) = htpasswd {
            let file = config.join("htpasswd");
            std::fs::write(&file, format!("{user}:{}\n", bcrypt::hash(password, 5).unwrap())).unwrap();
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                file.display()
            ));
        }
        if let Some(s) = section {
            yaml.push_str(&s);
        }
        yaml
    });
    (reg, dir)
}

fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    // Every read in these tests is a cold one: no layer cache to answer for the image.
    c.env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true");
    c
}

fn packages(source: &str, extra: &[&str], stdin: Option<&str>) -> Result<serde_json::Value, (i32, String)> {
    let mut cmd = drydock();
    cmd.args(["sbom", source, "-f", "json", "-q"]).args(extra);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        assert!(out.stdout.is_empty(), "nothing reported on failure");
        Err((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

fn example_layout() -> String {
    format!(
        "oci:{}:latest",
        workspace_root().join("examples/debian-mini").display()
    )
}

#[test]
fn anonymous_pull_by_tag_and_digest_matches_the_layout() {
    if !tools() {
        return;
    }
    let reg = start(None);
    reg.push(&example_layout(), "team/mini:v1", None);
    let local = packages(&example_layout(), &[], None).unwrap();
    let remote = packages(&format!("{}/team/mini:v1", reg.host()), &["--insecure"], None).unwrap();
    assert_eq!(
        remote["packages"], local["packages"],
        "same inventory as the layout it was pushed from"
    );
    assert_eq!(
        remote["image"]["manifest_digest"],
        local["image"]["manifest_digest"]
    );
    let digest = remote["image"]["manifest_digest"].as_str().unwrap().to_string();
    let by_digest = packages(
        &format!("docker://{}/team/mini@{digest}", reg.host()),
        &["--insecure"],
        None,
    )
    .unwrap();
    assert_eq!(by_digest["packages"], local["packages"]);

    // Errors name what is missing.
    let (code, err) = packages(&format!("{}/team/mini:v2", reg.host()), &["--insecure"], None).unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("tag \"v2\" not found"), "{err}");
    let (_, err) = packages(&format!("{}/team/other:v1", reg.host()), &["--insecure"], None).unwrap_err();
    assert!(err.contains("repository not found"), "{err}");
    let missing = format!("sha256:{}", "0".repeat(64));
    let (_, err) = packages(
        &format!("{}/team/mini@{missing}", reg.host()),
        &["--insecure"],
        None,
    )
    .unwrap_err();
    assert!(err.contains("digest not found"), "{err}");
    // Plain HTTP needs --insecure.
    let (code, err) = packages(&format!("{}/team/mini:v1", reg.host()), &[], None).unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("needs --insecure"), "{err}");
}

#[test]
fn basic_auth_with_right_and_wrong_password() {
    if !tools() {
        return;
    }
    let reg = start(Some(("alice", "s3cret")));
    reg.push(&example_layout(), "team/mini:v1", Some("alice:s3cret"));
    let source = format!("{}/team/mini:v1", reg.host());
    let ok = packages(
        &source,
        &["--insecure", "--username", "alice", "--password-stdin"],
        Some("s3cret\n"),
    )
    .unwrap();
    assert_eq!(ok["packages"].as_array().unwrap().len(), 9);
    let (code, err) = packages(
        &source,
        &["--insecure", "--username", "alice", "--password-stdin"],
        Some("wrong\n"),
    )
    .unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains("wrong"), "the password never appears: {err}");
    let (_, err) = packages(&source, &["--insecure"], None).unwrap_err();
    assert!(err.contains("authentication required"), "{err}");
    // Credentials from a docker config file.
    let docker = tempfile::tempdir().unwrap();
    let auth = base64_encode(b"alice:s3cret");
    std::fs::write(
        docker.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let out = drydock()
        .env("DOCKER_CONFIG", docker.path())
        .args(["sbom", &source, "--insecure", "-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // ... and from a credential helper named for the registry.
    let helpers = tempfile::tempdir().unwrap();
    let helper = helpers.path().join("docker-credential-drydocktest");
    std::fs::write(&helper, "#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}'\n").unwrap();
    let mut perms = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&helper, perms).unwrap();
    let docker = tempfile::tempdir().unwrap();
    std::fs::write(
        docker.path().join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"drydocktest"}}}}"#, reg.host()),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helpers.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = drydock()
        .env("DOCKER_CONFIG", docker.path())
        .env("PATH", path)
        .args(["sbom", &source, "--insecure", "-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "credential helper: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn base64_encode(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An OCI layout with one image per platform under one index.
fn multi_arch_layout(dir: &Path) {
    let mut manifests = Vec::new();
    for (arch, id) in [("amd64", "debian"), ("arm64", "alpine")] {
        let sub = tempfile::tempdir().unwrap();
        ImageBuilder::new()
            .layer(
                LayerBuilder::new()
                    .file("etc/os-release", format!("ID={id}\nVERSION_ID=1\n").as_bytes())
                    .finish(),
                Comp::Gzip,
                arch,
            )
            .write_oci_dir(sub.path());
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(sub.path().join("index.json")).unwrap()).unwrap();
        let mut m = index["manifests"][0].clone();
        m["platform"] = serde_json::json!({"os": "linux", "architecture": arch});
        m.as_object_mut().unwrap().remove("annotations");
        // The config must agree with the platform.
        for entry in std::fs::read_dir(sub.path().join("blobs/sha256")).unwrap() {
            let p = entry.unwrap().path();
            let target = dir.join("blobs/sha256").join(p.file_name().unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&p, &target).unwrap();
        }
        manifests.push(m);
    }
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    let bytes = serde_json::to_vec(&index).unwrap();
    let digest = drydock_testkit::sha256(&bytes);
    std::fs::write(
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        &bytes,
    )
    .unwrap();
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": bytes.len(), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn multi_arch_index_picks_the_platform() {
    if !tools() {
        return;
    }
    let reg = start(None);
    let layout = tempfile::tempdir().unwrap();
    multi_arch_layout(layout.path());
    reg.push(
        &format!("oci:{}:latest", layout.path().display()),
        "team/multi:latest",
        None,
    );
    let source = format!("{}/team/multi", reg.host());
    let amd = packages(&source, &["--insecure"], None).unwrap();
    assert_eq!(amd["image"]["os"]["id"], "debian", "linux/amd64 by default");
    let arm = packages(&source, &["--insecure", "--platform", "linux/arm64"], None).unwrap();
    assert_eq!(arm["image"]["os"]["id"], "alpine");
    let (code, err) = packages(&source, &["--insecure", "--platform", "linux/s390x"], None).unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("available: linux/amd64, linux/arm64"), "{err}");
}

#[test]
fn a_tampered_blob_is_an_error_and_nothing_is_reported() {
    if !tools() {
        return;
    }
    let reg = start(None);
    reg.push(&example_layout(), "team/mini:v1", None);
    let local = packages(&example_layout(), &[], None).unwrap();
    let layer = local["image"]["layers"][2]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let file = reg.blob_file(&layer);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let (code, err) = packages(&format!("{}/team/mini:v1", reg.host()), &["--insecure"], None).unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("layer 2"), "{err}");
}

fn b64url(data: &[u8]) -> String {
    base64_encode(data)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    use std::io::Write;
    let mut child = Proc::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or_default())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}");
    out.stdout
}

/// A token issuer for distribution's `auth: token`: a self-signed key pair, one RS256 JWT
/// granting pull and push on `team/mini` (its certificate in the `x5c` header), and an HTTP
/// endpoint that hands it out to `alice:s3cret` only.
fn token_issuer() -> (
    u16,
    tempfile::TempDir,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=drydock-test-token",
            "-days",
            "1",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
        None,
    );
    let der = openssl(&["x509", "-in", cert.to_str().unwrap(), "-outform", "DER"], None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [base64_encode(&der)]});
    let claims = serde_json::json!({
        "iss": "drydock-test-issuer", "sub": "alice", "aud": "drydock-test-registry",
        "exp": now + 3600, "nbf": now - 60, "iat": now - 60, "jti": "drydock-test",
        "access": [{"type": "repository", "name": "team/mini", "actions": ["pull", "push"]}],
    });
    let input = format!(
        "{}.{}",
        b64url(&serde_json::to_vec(&header).unwrap()),
        b64url(&serde_json::to_vec(&claims).unwrap())
    );
    let signature = openssl(
        &["dgst", "-sha256", "-sign", key.to_str().unwrap()],
        Some(input.as_bytes()),
    );
    let token = format!("{input}.{}", b64url(&signature));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
            }
            log2.lock().unwrap().push(request.trim().to_string());
            let (status, body) = if auth == format!("Basic {}", base64_encode(b"alice:s3cret")) {
                (
                    "200 OK",
                    serde_json::json!({"token": token, "access_token": token, "expires_in": 3600})
                        .to_string(),
                )
            } else {
                ("401 Unauthorized", String::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, dir, log)
}

#[test]
fn token_auth_with_distribution() {
    if !tools() {
        return;
    }
    let (token_port, dir, log) = token_issuer();
    let section = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: drydock-test-registry\n    issuer: drydock-test-issuer\n    rootcertbundle: {}\n",
        dir.path().join("cert.pem").display()
    );
    let (reg, _token) = start_with(None, Some((section, dir)));
    reg.push(&example_layout(), "team/mini:v1", Some("alice:s3cret"));
    let source = format!("{}/team/mini:v1", reg.host());
    let doc = packages(
        &source,
        &["--insecure", "--username", "alice", "--password-stdin"],
        Some("s3cret\n"),
    )
    .unwrap();
    assert_eq!(doc["packages"].as_array().unwrap().len(), 9);
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("scope=repository%3Ateam%2Fmini%3Apull")
                && l.contains("service=drydock-test-registry")),
        "{:?}",
        log.lock().unwrap()
    );
    let (code, err) = packages(
        &source,
        &["--insecure", "--username", "alice", "--password-stdin"],
        Some("nope\n"),
    )
    .unwrap_err();
    assert_eq!(code, 2);
    assert!(
        err.contains("authentication failed") && !err.contains("nope"),
        "{err}"
    );
}
