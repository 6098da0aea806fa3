//! Tier 1: `drydock scan` and `drydock db` end to end, on the example image and advisories
//! shipped in the repository, plus a local HTTP mirror for `db update`.

use std::io::{Read, Write};
use std::net::TcpListener;

use assert_cmd::Command;
use drydock_testkit::workspace_root;

fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true");
    c
}

fn example() -> String {
    workspace_root()
        .join("examples/debian-mini")
        .display()
        .to_string()
}

fn advisories() -> String {
    workspace_root().join("examples/advisories").display().to_string()
}

fn ids(doc: &serde_json::Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn example_scan_finds_the_python_advisories() {
    let out = drydock()
        .args(["scan", &example(), "--advisories", &advisories(), "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        ids(&doc, "findings"),
        vec![
            "GHSA-34jh-p97f-mpxf",
            "GHSA-9wx4-h78v-vm56",
            "GHSA-g4mx-q9vg-27p4",
            "GHSA-j8r2-6x86-q33q",
            "GHSA-q2q7-5pp4-w6pg",
            "GHSA-v845-jxx5-vc9f"
        ]
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "GHSA-q2q7-5pp4-w6pg")
        .unwrap();
    assert_eq!(f["package"]["name"], "urllib3");
    assert_eq!(f["package"]["ecosystem"], "pypi");
    assert_eq!(f["package"]["purl"], "pkg:pypi/urllib3@1.26.4");
    assert_eq!(f["aliases"][0], "CVE-2021-33503");
    assert_eq!(f["severity"], "HIGH");
    assert_eq!(f["status"], "fixed");
    assert_eq!(f["fixed_version"], "1.26.5");
    assert_eq!(f["layer"], 2);
    assert_eq!(doc["summary"]["total"], 6);
    assert_eq!(doc["packages_scanned"], 9);
}

#[test]
fn filters_and_fail_on() {
    let base = ["scan", &example(), "--advisories", &advisories(), "-f", "json"];
    let out = drydock()
        .args(base)
        .args(["--severity", "HIGH,CRITICAL"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&doc, "findings"), vec!["GHSA-q2q7-5pp4-w6pg"]);
    // --fail-on: exit 1 when a finding at or above the threshold remains, 0 otherwise.
    let out = drydock().args(base).args(["--fail-on", "HIGH"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 finding(s) at or above HIGH"));
    let out = drydock()
        .args(base)
        .args(["--fail-on", "critical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = drydock()
        .args(base)
        .args(["--fail-on", "severe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown severity is a usage error");
}

#[test]
fn ignore_file_suppresses_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore.toml");
    std::fs::write(
        &ignore,
        r#"
[[ignore]]
id = "CVE-2021-33503"
package = "urllib3"
reason = "not reachable from our code"

[[ignore]]
id = "GHSA-j8r2-6x86-q33q"
expires = 2020-01-01
reason = "was accepted once"

[[ignore]]
id = "GHSA-9wx4-h78v-vm56"
package = "some-other-package"
reason = "does not apply to requests"
"#,
    )
    .unwrap();
    let out = drydock()
        .args([
            "scan",
            &example(),
            "--advisories",
            &advisories(),
            "-f",
            "json",
            "--ignore-file",
        ])
        .arg(&ignore)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&doc, "suppressed"), vec!["GHSA-q2q7-5pp4-w6pg"]);
    assert_eq!(doc["suppressed"][0]["reason"], "not reachable from our code");
    assert!(
        ids(&doc, "findings").contains(&"GHSA-j8r2-6x86-q33q".to_string()),
        "expired entry no longer suppresses"
    );
    assert!(
        ids(&doc, "findings").contains(&"GHSA-9wx4-h78v-vm56".to_string()),
        "package must match"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expired on 2020-01-01"), "{stderr}");
    std::fs::write(&ignore, "[[ignore]]\nid = \"x\"\nreson = \"typo\"\n").unwrap();
    let out = drydock()
        .args(["scan", &example(), "--advisories", &advisories(), "--ignore-file"])
        .arg(&ignore)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ignore_unfixed_and_sarif_and_cyclonedx() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("unfixed.json");
    std::fs::write(
        &rec,
        r#"{"id":"TEST-UNFIXED-1","affected":[{"package":{"ecosystem":"Debian:12","name":"libxml2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
    )
    .unwrap();
    let rec = rec.display().to_string();
    let out = drydock()
        .args(["scan", &example(), "--advisories", &rec, "-f", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&doc, "findings"), vec!["TEST-UNFIXED-1"]);
    assert_eq!(doc["findings"][0]["status"], "affected");
    assert_eq!(doc["findings"][0]["layer"], 1);
    let out = drydock()
        .args([
            "scan",
            &example(),
            "--advisories",
            &rec,
            "-f",
            "json",
            "--ignore-unfixed",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["findings"].as_array().unwrap().is_empty());

    let out = drydock()
        .args(["scan", &example(), "--advisories", &advisories(), "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 6);
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 6);
    for r in run["results"].as_array().unwrap() {
        let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(
            rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .is_ok()
        );
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
    let out = drydock()
        .args([
            "scan",
            &example(),
            "--advisories",
            &advisories(),
            "-f",
            "cyclonedx",
        ])
        .output()
        .unwrap();
    let cdx: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    let refs: Vec<&str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = cdx["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 6);
    for v in vulns {
        assert!(
            refs.contains(&v["affects"][0]["ref"].as_str().unwrap()),
            "affects a component"
        );
    }
}

#[test]
fn missing_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock()
        .args(["scan", &example(), "--cache-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no advisory database") && err.contains("drydock db update"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn db_import_status_and_scan_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().display().to_string();
    let out = drydock()
        .args(["db", "import", &advisories(), "--cache-dir", &cache])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 6 records"));
    let out = drydock()
        .args(["db", "status", "--cache-dir", &cache])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("records:  6"), "{text}");
    let out = drydock()
        .args(["scan", &example(), "--cache-dir", &cache, "-f", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["total"], 6);
    // A failed import leaves the database as it was.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let out = drydock()
        .args(["db", "import", bad.to_str().unwrap(), "--cache-dir", &cache])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = drydock()
        .args(["db", "status", "--cache-dir", &cache])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("records:  6"));
    // Entries in ecosystems drydock cannot match are said, with their count.
    let linux = dir.path().join("linux.json");
    let record = serde_json::json!({"id": "X-1", "affected": [
        {"package": {"ecosystem": "Linux", "name": "kernel"}},
        {"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0"]}]});
    std::fs::write(&linux, record.to_string()).unwrap();
    let out = drydock()
        .args(["db", "import", linux.to_str().unwrap(), "--cache-dir", &cache])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 affected entries left out, in ecosystems drydock does not match: Linux (1)"),
        "{err}"
    );
}

/// Serves `ECOSYSTEM/all.zip` from memory on 127.0.0.1: 200 with an ETag, 304 when the client
/// sends it back, 500 for the ecosystem named `Broken`. Stops after `requests` requests.
fn serve(zip: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let line = req.lines().next().unwrap_or_default().to_string();
            seen.push(line.clone());
            let response = if line.contains("/Broken/") {
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_vec()
            } else if req.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
                b"HTTP/1.1 304 Not Modified\r\netag: \"v1\"\r\nconnection: close\r\n\r\n".to_vec()
            } else {
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\netag: \"v1\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    zip.len()
                )
                .into_bytes();
                r.extend_from_slice(&zip);
                r
            };
            let _ = s.write_all(&response);
        }
        seen
    });
    (base, handle)
}

fn zip_of_examples() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for entry in std::fs::read_dir(workspace_root().join("examples/advisories")).unwrap() {
            let p = entry.unwrap().path();
            z.start_file(
                p.file_name().unwrap().to_string_lossy(),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn db_update_from_a_mirror_is_conditional_and_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().display().to_string();
    let (base, server) = serve(zip_of_examples(), 3);
    let out = drydock()
        .args([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--mirror",
            &base,
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "PyPI: 6 records\n");
    // Second run sends the ETag back and gets 304.
    let out = drydock()
        .args([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--mirror",
            &base,
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "PyPI: not modified\n");
    // A failing ecosystem fails the update and leaves the previous database intact.
    let out = drydock()
        .args([
            "db",
            "update",
            "--ecosystem",
            "Broken",
            "--mirror",
            &base,
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 500"));
    let seen = server.join().unwrap();
    assert!(seen[0].starts_with("GET /PyPI/all.zip"), "{seen:?}");
    let out = drydock()
        .args(["db", "status", "--cache-dir", &cache])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("records:  6") && text.contains("osv:PyPI"),
        "{text}"
    );
    // Plain HTTP to anything but localhost is refused.
    let out = drydock()
        .args([
            "db",
            "update",
            "--mirror",
            "http://example.com",
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The expiry boundary as documented (an entry suppresses through the day it names, and stops
/// the day after), a future date, and a package named by its purl.
#[test]
fn ignore_entries_expire_the_day_after_and_match_purls() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore.toml");
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let yesterday = today.yesterday().unwrap();
    let next_year = today.checked_add(jiff::Span::new().years(1)).unwrap();
    std::fs::write(
        &ignore,
        format!(
            r#"
[[ignore]]
id = "GHSA-q2q7-5pp4-w6pg"
expires = {today}
reason = "last day today"

[[ignore]]
id = "GHSA-9wx4-h78v-vm56"
package = "pkg:pypi/requests@2.25.1"
expires = {next_year}
reason = "by purl, until next year"

[[ignore]]
id = "GHSA-j8r2-6x86-q33q"
expires = {yesterday}
reason = "expired yesterday"

[[ignore]]
id = "GHSA-34jh-p97f-mpxf"
package = "pkg:pypi/requests@2.25.1"
reason = "a purl of another package does not match"
"#
        ),
    )
    .unwrap();
    let out = drydock()
        .args([
            "scan",
            &example(),
            "--advisories",
            &advisories(),
            "-f",
            "json",
            "--ignore-file",
        ])
        .arg(&ignore)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut suppressed = ids(&doc, "suppressed");
    suppressed.sort();
    assert_eq!(suppressed, ["GHSA-9wx4-h78v-vm56", "GHSA-q2q7-5pp4-w6pg"]);
    let findings = ids(&doc, "findings");
    assert!(findings.contains(&"GHSA-j8r2-6x86-q33q".to_string()));
    assert!(findings.contains(&"GHSA-34jh-p97f-mpxf".to_string()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("expired on {yesterday}")), "{stderr}");
    assert!(!stderr.contains(&format!("expired on {today}")), "{stderr}");
}

/// A database older than `--max-db-age` days is a warning in every scan.
#[test]
fn an_old_database_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock()
        .env("DRYDOCK_CACHE_DIR", dir.path())
        .args(["db", "import", &advisories()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let scan = |age: &str| {
        drydock()
            .env("DRYDOCK_CACHE_DIR", dir.path())
            .args(["scan", &example(), "-q", "-f", "json", "--max-db-age", age])
            .output()
            .unwrap()
    };
    let fresh = scan("7");
    assert!(
        !String::from_utf8_lossy(&fresh.stderr).contains("old"),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    // Age 0: anything imported before this second is older than allowed.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let old = scan("0");
    let stderr = String::from_utf8_lossy(&old.stderr);
    assert!(
        stderr.contains("the advisory database is") && stderr.contains("more than 0 days"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap();
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("more than 0 days"))
    );
}

/// An update whose first ecosystem was already written into the working copy when the second
/// fails: the database keeps the old records, and no copy is left behind.
#[test]
fn an_update_failing_after_part_of_it_was_written_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().display().to_string();
    let (base, server) = serve(zip_of_examples(), 1);
    let out = drydock()
        .args([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--mirror",
            &base,
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.join().unwrap();
    let status = || {
        String::from_utf8_lossy(
            &drydock()
                .args(["db", "status", "--cache-dir", &cache])
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned()
    };
    let before = status();

    // A new PyPI dump with one record (written first), then an ecosystem whose dump is corrupt.
    let mut one = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut one);
        z.start_file("X-1.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(br#"{"id":"X-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"}}]}"#)
            .unwrap();
        z.finish().unwrap();
    }
    let one = one.into_inner();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            let line = String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            let body: Vec<u8> = if line.contains("/PyPI/") {
                one.clone()
            } else {
                b"PK\x03\x04 not a zip at all".to_vec()
            };
            let mut r = format!(
                "HTTP/1.1 200 OK\r\netag: \"v2\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            let _ = s.write_all(&r);
        }
    });
    let out = drydock()
        .args([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--ecosystem",
            "Corrupt",
            "--mirror",
            &base,
            "--cache-dir",
            &cache,
        ])
        .output()
        .unwrap();
    server.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Corrupt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status(), before, "the database changed");
    let left: Vec<String> = std::fs::read_dir(dir.path().join("db"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "advisories.redb" && n != ".import.lock")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
