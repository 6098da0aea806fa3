//! Tier 2: `monitor watch` against a real registry (a tag that moves is snapshotted again and
//! reported), and `serve` over TLS with a certificate made by openssl.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use drydock_testkit::registry::{LocalRegistry, tools};

fn drydock(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn advisories(cache: &Path) {
    let dir = cache.join("adv");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("DSA-0-1.json"),
        serde_json::json!({"id": "DSA-0-1", "modified": "2026-11-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "no-such-package"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]}]})
        .to_string(),
    )
    .unwrap();
    ok(drydock(cache, &["db", "import", dir.to_str().unwrap()]));
}

#[test]
fn a_watched_tag_that_moves_is_snapshotted_and_reported() {
    let Some(images) = drydock_testkit::built_images() else {
        return;
    };
    if !tools() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    advisories(c);
    let registry = LocalRegistry::start(|_| String::new());
    let oci = |n: &str| format!("oci:{}", images.join("oci").join(n).display());
    registry.push(&oci("deb-base"), "shop/app:prod", None);
    let reference = format!("{}/shop/app:prod", registry.host());
    let watch = ok(drydock(c, &["monitor", "watch", &reference, "--insecure", "-q"]));
    assert!(
        watch.contains(&format!("watching {reference} at sha256:")),
        "{watch}"
    );
    // Unmoved: the check asks the registry and snapshots nothing new.
    let first: serde_json::Value = serde_json::from_str(&ok(drydock(
        c,
        &["monitor", "check", "--insecure", "-q", "-f", "json"],
    )))
    .unwrap();
    assert_eq!(first["moved"].as_array().unwrap().len(), 0, "{first}");
    let before = first["images"][0]["image"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // The tag moves to another image.
    registry.push(&oci("deb-extras"), "shop/app:prod", None);
    let second: serde_json::Value = serde_json::from_str(&ok(drydock(
        c,
        &["monitor", "check", "--insecure", "-q", "-f", "json"],
    )))
    .unwrap();
    let moved = second["moved"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{second}");
    assert_eq!(moved[0]["reference"], reference.as_str());
    let current: Vec<&serde_json::Value> = second["images"].as_array().unwrap().iter().collect();
    assert_eq!(current.len(), 1, "only the current digest is checked: {second}");
    let after = current[0]["image"]["digest"].as_str().unwrap();
    assert_ne!(after, before);
    // The snapshot is the deb-extras manifest (the fixtures record its digest).
    let fixtures: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(images.join("fixtures.json")).unwrap()).unwrap();
    let extras = fixtures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "deb-extras")
        .unwrap();
    assert_eq!(after, extras["manifest"].as_str().unwrap());
    let list = ok(drydock(c, &["monitor", "list", "--all"]));
    assert!(list.contains("(replaced)"), "{list}");
}

#[test]
fn serve_speaks_tls_with_the_given_certificate() {
    if drydock_testkit::built_images().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    advisories(c);
    let (cert, key) = (c.join("cert.pem"), c.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = ok(drydock(c, &["serve", "token", "add", "ci", "--scope", "push"]));
    let token = token.trim();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--cache-dir")
        .arg(c)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let example = drydock_testkit::workspace_root().join("examples/debian-mini");
    let server = format!("https://127.0.0.1:{port}");
    let pushed = drydock(
        c,
        &[
            "monitor",
            "push",
            &server,
            example.to_str().unwrap(),
            "--token",
            token,
            "--insecure-server",
            "-q",
        ],
    );
    // Unverified (the certificate is self-signed) but encrypted: the push lands.
    let pushed_text = String::from_utf8_lossy(&pushed.stdout).into_owned();
    let pushed_err = String::from_utf8_lossy(&pushed.stderr).into_owned();
    // Verified against the system roots, the self-signed certificate is refused.
    let verified = drydock(
        c,
        &[
            "monitor",
            "push",
            &server,
            example.to_str().unwrap(),
            "--token",
            token,
            "-q",
        ],
    );
    // Plain HTTP to the TLS port gets no API answer.
    let plain = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}/v1/health"),
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(pushed.status.success(), "{pushed_err}");
    assert!(pushed_text.contains("pushed oci:"), "{pushed_text}");
    assert_eq!(verified.status.code(), Some(2));
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200");
}
