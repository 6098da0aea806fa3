//! `drydock serve` end to end: snapshots pushed over the API, an advisory imported that
//! affects exactly one image, one signed webhook for that image at a local receiver, a crash
//! of the server between the failed first attempt and the retry losing nothing, and tokens
//! refused with 401 (unknown) and 403 (wrong scope). Tier 1 runs it on SQLite with images
//! derived from the shipped example; tier 2 on a real PostgreSQL with the real Debian images.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_drydock"))
}

fn drydock(cache: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "drydock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[derive(Debug, Clone)]
struct Hit {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    answered: u16,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

/// A webhook receiver on 127.0.0.1 that records every request and answers `status`.
struct Receiver {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (h, s) = (hits.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap_or_default();
                let answered = s.load(Ordering::SeqCst);
                h.lock().unwrap().push(Hit {
                    headers,
                    body,
                    answered,
                });
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answered} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { port, hits, status }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(cache: &Path, database: &str, port: u16, token: &str) -> Server {
    let child = Command::new(bin())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--poll-seconds",
            "1",
            "--retry-seconds",
            "1",
        ])
        .arg("--cache-dir")
        .arg(cache)
        .args(["--database", database])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_for("the server to answer", || {
        get(&server.base, "/v1/health", token).0 == 200
    });
    server
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn get(base: &str, path: &str, token: &str) -> (u16, String) {
    match agent()
        .get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        ),
        Err(_) => (0, String::new()),
    }
}

fn post(base: &str, path: &str, token: &str, body: &[u8]) -> (u16, Value) {
    let mut r = agent()
        .post(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        r.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn metric(base: &str, token: &str, name: &str) -> u64 {
    let (_, text) = get(base, "/v1/metrics", token);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn osv_record(id: &str, ecosystem: &str, name: &str, fixed: &str) -> String {
    serde_json::json!({
        "id": id,
        "modified": "2026-11-01T00:00:00Z",
        "summary": "test advisory",
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "database_specific": {"severity": "HIGH"}
        }]
    })
    .to_string()
}

/// One image to push: its name and its `drydock sbom -f json` document.
struct Pushed {
    name: String,
    sbom: Vec<u8>,
}

/// The whole story. `advisory` affects `affected` packages of `images[target]` and no other.
fn end_to_end(database: &str, images: &[Pushed], target: usize, advisory: (&str, String), affected: usize) {
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path();
    // A database with Debian 12 coverage and nothing that affects the images.
    let first = cache.join("first");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::write(
        first.join("DSA-0000-1.json"),
        osv_record("DSA-0000-1", "Debian:12", "no-such-source-package", "1.0"),
    )
    .unwrap();
    drydock(cache, &["db", "import", first.to_str().unwrap()]);
    let admin = drydock(
        cache,
        &[
            "serve",
            "token",
            "add",
            "ops",
            "--scope",
            "push,read,admin",
            "--database",
            database,
        ],
    );
    let admin = admin.trim();
    let reader = drydock(
        cache,
        &[
            "serve",
            "token",
            "add",
            "dashboard",
            "--scope",
            "read",
            "--database",
            database,
        ],
    );
    let reader = reader.trim();
    let receiver = Receiver::start();
    let secret = "a-webhook-secret-of-some-length";
    drydock(
        cache,
        &[
            "serve",
            "webhook",
            "add",
            &format!("http://127.0.0.1:{}/hook", receiver.port),
            "--secret",
            secret,
            "--database",
            database,
        ],
    );
    let port = free_port();
    let server = start_server(cache, database, port, admin);
    let base = server.base.clone();

    // Tokens: none, unknown, and the wrong scope.
    assert_eq!(get(&base, "/v1/images", "").0, 401);
    assert_eq!(get(&base, "/v1/images", "ddk_not-a-token").0, 401);
    assert_eq!(post(&base, "/v1/snapshots", reader, &images[0].sbom).0, 403);
    // A malformed snapshot is a 400 with a reason, and stores nothing.
    let (status, reply) = post(
        &base,
        "/v1/snapshots",
        admin,
        b"{\"schema_version\": 1, \"packages\": 5}",
    );
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("not a drydock SBOM"),
        "{reply}"
    );
    for image in images {
        let (status, reply) = post(
            &base,
            &format!("/v1/snapshots?name={}", image.name),
            admin,
            &image.sbom,
        );
        assert_eq!(status, 201, "{reply}");
        assert_eq!(reply["findings"], 0, "nothing affects the images yet: {reply}");
    }
    let (_, listed) = get(&base, "/v1/images", reader);
    let listed: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.len(), images.len());
    let target_id = listed
        .iter()
        .find(|i| i["name"] == images[target].name.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // The receiver is down when the advisory arrives: the first attempt fails.
    receiver.status.store(503, Ordering::SeqCst);
    let second = cache.join("second");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(second.join(format!("{}.json", advisory.0)), &advisory.1).unwrap();
    drydock(cache, &["db", "import", second.to_str().unwrap()]);
    wait_for("the first delivery attempt", || !receiver.hits().is_empty());
    wait_for("the failed attempt to be recorded", || {
        metric(&base, admin, "drydock_webhook_attempts_failed_total") >= 1
    });
    // The server dies (no graceful anything); the receiver comes back; a new server starts.
    drop(server);
    receiver.status.store(200, Ordering::SeqCst);
    let server = start_server(cache, database, port, admin);
    let base = server.base.clone();
    wait_for("the retried delivery", || {
        receiver.hits().iter().any(|h| h.answered == 200)
    });
    // Time for any duplicate to show up.
    std::thread::sleep(Duration::from_secs(3));
    let hits = receiver.hits();
    let delivered: Vec<&Hit> = hits.iter().filter(|h| h.answered == 200).collect();
    assert_eq!(delivered.len(), 1, "exactly one successful delivery: {hits:?}");
    let ids: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.header("X-Drydock-Delivery")).collect();
    assert_eq!(ids.len(), 1, "every attempt is the same delivery");
    for h in &hits {
        let timestamp: i64 = h.header("X-Drydock-Timestamp").parse().unwrap();
        assert!(
            drydock_server::signing::verify(secret, timestamp, &h.body, h.header("X-Drydock-Signature")),
            "a valid HMAC-SHA256 signature"
        );
        assert!(!drydock_server::signing::verify(
            "another-secret-entirely",
            timestamp,
            &h.body,
            h.header("X-Drydock-Signature")
        ));
    }
    let payload: Value = serde_json::from_slice(&delivered[0].body).unwrap();
    assert_eq!(
        payload["image"]["name"],
        images[target].name.as_str(),
        "{payload}"
    );
    assert_eq!(payload["image"]["id"], target_id);
    let changes = payload["changes"].as_array().unwrap();
    assert_eq!(changes.len(), affected, "{payload}");
    for c in changes {
        assert_eq!(c["kind"], "added");
        assert_eq!(c["finding"]["id"], advisory.0);
        assert_eq!(c["finding"]["severity"], "HIGH");
    }
    // The API tells the same story.
    let (_, notes) = get(&base, "/v1/changes?since=1970-01-01T00:00:00Z", reader);
    let notes: Vec<Value> = serde_json::from_str(&notes).unwrap();
    assert_eq!(notes.len(), affected, "{notes:?}");
    assert!(
        notes
            .iter()
            .all(|n| n["image_id"] == target_id && n["kind"] == "added")
    );
    let (_, findings) = get(&base, &format!("/v1/images/{target_id}/findings"), reader);
    let findings: Value = serde_json::from_str(&findings).unwrap();
    assert_eq!(findings["findings"].as_array().unwrap().len(), affected);
    assert_eq!(
        metric(&base, admin, "drydock_webhook_deliveries{state=\"delivered\"}"),
        1
    );
    assert_eq!(
        metric(&base, admin, "drydock_webhook_deliveries{state=\"pending\"}"),
        0
    );
    drop(server);
}

/// `drydock sbom -f json` of a source.
fn sbom(source: &str) -> Value {
    let out = Command::new(bin())
        .args(["sbom", source, "-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn serve_on_sqlite_notifies_the_one_affected_image_after_a_crash() {
    let root = drydock_testkit::workspace_root();
    let example = sbom(root.join("examples/debian-mini").to_str().unwrap());
    // A second image: the example without libxml2, at another digest.
    let mut other = example.clone();
    other["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] != "libxml2");
    other["image"]["manifest_digest"] = Value::from(format!("sha256:{}", "e".repeat(64)));
    let libxml2 = example["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libxml2")
        .expect("the example ships libxml2")
        .clone();
    let version = libxml2["source_version"]
        .as_str()
        .or(libxml2["version"].as_str())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let images = [
        Pushed {
            name: "example/web:1".into(),
            sbom: serde_json::to_vec(&example).unwrap(),
        },
        Pushed {
            name: "example/worker:1".into(),
            sbom: serde_json::to_vec(&other).unwrap(),
        },
    ];
    end_to_end(
        &format!("sqlite://{}", dir.path().join("server.sqlite").display()),
        &images,
        0,
        (
            "DSA-9001-1",
            osv_record("DSA-9001-1", "Debian:12", "libxml2", &format!("{version}+fix1")),
        ),
        1,
    );
}

/// `Source:` (name, version) per binary package of a dpkg status file.
fn dpkg_sources(status: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(status).unwrap();
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |k: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .map(str::to_string)
            };
            let package = field("Package")?;
            let version = field("Version")?;
            let (source, source_version) = match field("Source") {
                Some(s) => match s.split_once(" (") {
                    Some((n, v)) => (n.to_string(), v.trim_end_matches(')').to_string()),
                    None => (s, version.clone()),
                },
                None => (package.clone(), version.clone()),
            };
            Some((package, source, source_version))
        })
        .collect()
}

#[test]
fn serve_on_postgres_with_the_real_debian_images() {
    let Some(images_dir) = drydock_testkit::built_images() else {
        return;
    };
    let Some(url) = drydock_testkit::postgres_url() else {
        return;
    };
    let names = ["deb-base", "deb-extras", "deb-multi"];
    let sources: Vec<Vec<(String, String, String)>> = names
        .iter()
        .map(|n| dpkg_sources(&images_dir.join("rootfs").join(n).join("var/lib/dpkg/status")))
        .collect();
    // A source package in deb-extras and in no other image, read from the images' own dpkg
    // databases; the advisory then affects every binary package built from it.
    let in_image = |i: usize, s: &str| sources[i].iter().any(|(_, src, _)| src == s);
    let (_, source, version) = sources[1]
        .iter()
        .find(|(_, s, _)| !in_image(0, s) && !in_image(2, s))
        .expect("deb-extras has a source package of its own")
        .clone();
    let binaries = sources[1].iter().filter(|(_, s, _)| *s == source).count();
    let images: Vec<Pushed> = names
        .iter()
        .map(|n| Pushed {
            name: format!("debian/{n}:12"),
            sbom: serde_json::to_vec(&sbom(&format!(
                "oci:{}",
                images_dir.join("oci").join(n).display()
            )))
            .unwrap(),
        })
        .collect();
    let database = drydock_testkit::fresh_postgres_database(&url, "serve_e2e");
    end_to_end(
        &database,
        &images,
        1,
        (
            "DSA-9002-1",
            osv_record("DSA-9002-1", "Debian:12", &source, &format!("{version}+fix1")),
        ),
        binaries,
    );
}

/// Tier 2: two servers on one PostgreSQL (and one database file) process an update once: one
/// set of notifications, one delivery, each image visible from both.
#[test]
fn two_servers_share_one_postgres() {
    let Some(url) = drydock_testkit::postgres_url() else {
        return;
    };
    let database = drydock_testkit::fresh_postgres_database(&url, "two_servers");
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path();
    let first = cache.join("first");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::write(
        first.join("DSA-0000-1.json"),
        osv_record("DSA-0000-1", "Debian:12", "no-such-source-package", "1.0"),
    )
    .unwrap();
    drydock(cache, &["db", "import", first.to_str().unwrap()]);
    let token = drydock(
        cache,
        &[
            "serve",
            "token",
            "add",
            "ops",
            "--scope",
            "admin",
            "--database",
            &database,
        ],
    );
    let token = token.trim();
    let receiver = Receiver::start();
    drydock(
        cache,
        &[
            "serve",
            "webhook",
            "add",
            &format!("http://127.0.0.1:{}/hook", receiver.port),
            "--secret",
            "a-webhook-secret-of-some-length",
            "--database",
            &database,
        ],
    );
    let a = start_server(cache, &database, free_port(), token);
    let b = start_server(cache, &database, free_port(), token);
    let example = sbom(
        drydock_testkit::workspace_root()
            .join("examples/debian-mini")
            .to_str()
            .unwrap(),
    );
    let (status, reply) = post(
        &a.base,
        "/v1/snapshots?name=shared/web:1",
        token,
        &serde_json::to_vec(&example).unwrap(),
    );
    assert_eq!(status, 201, "{reply}");
    let (_, seen) = get(&b.base, "/v1/images", token);
    assert!(seen.contains("shared/web:1"), "{seen}");
    let version = example["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zlib1g")
        .unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string();
    let second = cache.join("second");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        second.join("DSA-9003-1.json"),
        osv_record("DSA-9003-1", "Debian:12", "zlib", &format!("{version}+fix1")),
    )
    .unwrap();
    drydock(cache, &["db", "import", second.to_str().unwrap()]);
    // Both are told at once; one does the work, the other finds it done.
    let (sa, oa) = post(&a.base, "/v1/advisories/check", token, b"");
    let (sb, ob) = post(&b.base, "/v1/advisories/check", token, b"");
    assert_eq!((sa, sb), (200, 200), "{oa} {ob}");
    wait_for("the delivery", || {
        receiver.hits().iter().any(|h| h.answered == 200)
    });
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(receiver.hits().len(), 1, "one delivery, not one per server");
    let (_, notes) = get(&b.base, "/v1/changes", token);
    let notes: Vec<Value> = serde_json::from_str(&notes).unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["change"]["finding"]["id"], "DSA-9003-1");
    drop((a, b));
}
