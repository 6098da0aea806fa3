//! Registries that stall, trickle or lie: each ends in a one-line error, not a hung CI job.
//! A small registry written here serves the example image from memory on 127.0.0.1 and
//! misbehaves in one way per test. The `timeout` on each command only guards the test run
//! against a hang; what is checked is the error.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use assert_cmd::Command;
use drydock_testkit::workspace_root;

#[derive(Clone, Copy, PartialEq)]
enum Misbehaviour {
    /// Accepts connections and never answers.
    Silent,
    /// Answers the manifest one byte at a time, slowly.
    TrickleManifest,
    /// Serves the manifest by tag with a `Docker-Content-Digest` that is not its digest.
    WrongDigest,
    /// Serves everything but the layer, which trickles.
    TrickleBlob,
}

fn serve(mode: Misbehaviour) -> u16 {
    let layout = workspace_root().join("examples/debian-mini");
    let mut blobs: HashMap<String, Vec<u8>> = HashMap::new();
    for e in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let p = e.unwrap().path();
        blobs.insert(
            format!("sha256:{}", p.file_name().unwrap().to_string_lossy()),
            std::fs::read(&p).unwrap(),
        );
    }
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap().to_string();
    let manifest: serde_json::Value = serde_json::from_slice(&blobs[&manifest_digest]).unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (blobs, manifest_digest, config_digest) =
                (blobs.clone(), manifest_digest.clone(), config_digest.clone());
            std::thread::spawn(move || handle(stream, mode, &blobs, &manifest_digest, &config_digest));
        }
    });
    port
}

fn handle(
    stream: TcpStream,
    mode: Misbehaviour,
    blobs: &HashMap<String, Vec<u8>>,
    manifest: &str,
    config: &str,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut stream = stream;
    if mode == Misbehaviour::Silent {
        std::thread::sleep(Duration::from_secs(120));
        return;
    }
    let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
    let (body, headers, trickle): (Vec<u8>, Vec<(String, String)>, bool) = if path == "/v2/" {
        (b"{}".to_vec(), vec![], false)
    } else if path.contains("/manifests/") {
        let digest = match mode {
            Misbehaviour::WrongDigest => format!("sha256:{}", "0".repeat(64)),
            _ => manifest.to_string(),
        };
        (
            blobs[manifest].clone(),
            vec![
                (
                    "content-type".into(),
                    "application/vnd.oci.image.manifest.v1+json".into(),
                ),
                ("docker-content-digest".into(), digest),
            ],
            mode == Misbehaviour::TrickleManifest,
        )
    } else if let Some(d) = path.rsplit('/').next().filter(|_| path.contains("/blobs/")) {
        let trickle = mode == Misbehaviour::TrickleBlob && d != config;
        (blobs.get(d).cloned().unwrap_or_default(), vec![], trickle)
    } else {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    let mut head = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    if trickle {
        for b in body {
            if stream.write_all(&[b]).and_then(|_| stream.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    } else {
        let _ = stream.write_all(&body);
    }
}

fn sbom(port: u16) -> std::process::Output {
    Command::cargo_bin("drydock")
        .unwrap()
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args([
            "sbom",
            &format!("127.0.0.1:{port}/team/mini:v1"),
            "--insecure",
            "-q",
            "--timeout",
            "2",
        ])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap()
}

fn one_line_error(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("drydock: error:"), "{stderr}");
    stderr
}

#[test]
fn a_silent_registry_times_out() {
    let e = one_line_error(&sbom(serve(Misbehaviour::Silent)));
    assert!(
        e.to_lowercase().contains("timeout") || e.to_lowercase().contains("timed out"),
        "{e}"
    );
}

#[test]
fn a_trickled_manifest_times_out() {
    let e = one_line_error(&sbom(serve(Misbehaviour::TrickleManifest)));
    assert!(
        e.to_lowercase().contains("timeout") || e.to_lowercase().contains("timed out"),
        "{e}"
    );
}

#[test]
fn a_manifest_that_is_not_the_digest_the_registry_names_is_refused() {
    let e = one_line_error(&sbom(serve(Misbehaviour::WrongDigest)));
    assert!(e.contains("Docker-Content-Digest"), "{e}");
}

#[test]
fn a_trickled_layer_times_out() {
    let e = one_line_error(&sbom(serve(Misbehaviour::TrickleBlob)));
    assert!(
        e.to_lowercase().contains("timeout") || e.to_lowercase().contains("timed out"),
        "{e}"
    );
}
