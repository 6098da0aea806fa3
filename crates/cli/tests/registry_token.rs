//! Tier 1: the Bearer-token dance and retries, against a small registry written here that
//! serves the example image from memory: `/v2/` challenges, a token service checks the Basic
//! credentials and the pull scope, and the first blob request is told to come back later (429).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use drydock_testkit::workspace_root;

struct Fake {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

fn respond(stream: &mut std::net::TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn start() -> Fake {
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let blobs = Arc::new(blobs);
    let throttled = Arc::new(Mutex::new(false));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (log, blobs, throttled, manifest_digest) = (
                log2.clone(),
                blobs.clone(),
                throttled.clone(),
                manifest_digest.clone(),
            );
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                let mut auth = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("authorization:") {
                        auth = line[line.len() - v.len()..].trim().to_string();
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push(format!("{path} [{auth}]"));
                let challenge = format!(
                    "Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:team/mini:pull\""
                );
                if path.starts_with("/token") {
                    // alice:s3cret
                    if auth == "Basic YWxpY2U6czNjcmV0"
                        && path.contains("scope=repository%3Ateam%2Fmini%3Apull")
                    {
                        respond(
                            &mut stream,
                            "200 OK",
                            &[("content-type", "application/json".into())],
                            br#"{"token":"T1"}"#,
                        );
                    } else {
                        respond(&mut stream, "401 Unauthorized", &[], b"");
                    }
                    return;
                }
                if auth != "Bearer T1" {
                    respond(
                        &mut stream,
                        "401 Unauthorized",
                        &[("www-authenticate", challenge)],
                        b"",
                    );
                    return;
                }
                if path == "/v2/" {
                    respond(&mut stream, "200 OK", &[], b"{}");
                } else if path == "/v2/team/mini/manifests/v1"
                    || path == format!("/v2/team/mini/manifests/{manifest_digest}")
                {
                    let body = blobs[&manifest_digest].clone();
                    respond(
                        &mut stream,
                        "200 OK",
                        &[(
                            "content-type",
                            "application/vnd.oci.image.manifest.v1+json".into(),
                        )],
                        &body,
                    );
                } else if let Some(d) = path.strip_prefix("/v2/team/mini/blobs/") {
                    let mut t = throttled.lock().unwrap();
                    if !*t {
                        *t = true;
                        respond(
                            &mut stream,
                            "429 Too Many Requests",
                            &[("retry-after", "1".into())],
                            b"",
                        );
                        return;
                    }
                    drop(t);
                    match blobs.get(d) {
                        Some(b) => respond(&mut stream, "200 OK", &[], b),
                        None => respond(
                            &mut stream,
                            "404 Not Found",
                            &[],
                            br#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#,
                        ),
                    }
                } else {
                    respond(
                        &mut stream,
                        "404 Not Found",
                        &[],
                        br#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#,
                    );
                }
            });
        }
    });
    Fake { port, log }
}

#[test]
fn bearer_token_from_the_challenge_with_basic_credentials() {
    let fake = start();
    let out = Command::cargo_bin("drydock")
        .unwrap()
        // Every read in these tests is a cold one: no layer cache to answer for the image.
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args([
            "sbom",
            &format!("127.0.0.1:{}/team/mini:v1", fake.port),
            "--insecure",
            "-q",
            "-f",
            "json",
        ])
        .args(["--username", "alice", "--password-stdin"])
        .write_stdin("s3cret\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["packages"].as_array().unwrap().len(), 9);
    assert_eq!(doc["image"]["transport"], "docker");
    let log = fake.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/token?scope=repository%3Ateam%2Fmini%3Apull")
                && l.ends_with("[Basic YWxpY2U6czNjcmV0]")),
        "{log:?}"
    );
    assert!(
        log.iter().filter(|l| l.contains("/blobs/")).count() >= 5,
        "config, four layers and the 429 retry: {log:?}"
    );

    // Wrong password: the token service refuses, and the message says so without the secret.
    let out = Command::cargo_bin("drydock")
        .unwrap()
        // Every read in these tests is a cold one: no layer cache to answer for the image.
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args([
            "sbom",
            &format!("127.0.0.1:{}/team/mini:v1", fake.port),
            "--insecure",
            "-q",
        ])
        .args(["--username", "alice", "--password-stdin"])
        .write_stdin("hunter2\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("authentication failed") && !err.contains("hunter2"),
        "{err}"
    );
}
