//! `drydock monitor` on one machine: snapshots, checks that report what an advisory update
//! changed (and exit 1 at --fail-on), the three output formats, removal, and one-line errors.

use std::path::Path;
use std::process::{Command, Output};

fn drydock(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn record(dir: &Path, id: &str, name: &str, fixed: &str, severity: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let body = serde_json::json!({
        "id": id, "modified": "2026-11-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "database_specific": {"severity": severity}}]
    });
    std::fs::write(dir.join(format!("{id}.json")), body.to_string()).unwrap();
}

#[test]
fn a_check_reports_what_an_update_changed() {
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    let example = drydock_testkit::workspace_root().join("examples/debian-mini");
    let example = example.to_str().unwrap();
    // libxml2 in the example is 2.9.14+dfsg-1.3~deb12u6 (packages.tsv); zlib 1:1.2.13.dfsg-1.
    record(&c.join("a"), "DSA-9100-1", "zlib", "1:1.2.13.dfsg-2", "low");
    assert!(
        drydock(c, &["db", "import", c.join("a").to_str().unwrap()])
            .status
            .success()
    );
    let add = drydock(c, &["monitor", "add", example, "--name", "shop/web:1"]);
    assert!(add.status.success(), "{}", err(&add));
    assert!(text(&add).contains("monitoring shop/web:1"), "{}", text(&add));
    assert!(text(&add).contains("1 finding(s)"), "{}", text(&add));
    let again = drydock(c, &["monitor", "add", example, "--name", "shop/web:1"]);
    assert!(text(&again).contains("already monitoring"), "{}", text(&again));

    let first = drydock(c, &["monitor", "check", "--fail-on", "LOW"]);
    assert_eq!(first.status.code(), Some(0), "{}", err(&first));
    assert!(
        text(&first).contains("1 image(s) checked: 0 with changes"),
        "{}",
        text(&first)
    );

    // The update: libxml2 gets a HIGH advisory; zlib's fix moves and its severity rises.
    record(
        &c.join("b"),
        "DSA-9101-1",
        "libxml2",
        "2.9.14+dfsg-1.3~deb12u7",
        "high",
    );
    record(&c.join("a"), "DSA-9100-1", "zlib", "1:1.2.13.dfsg-3", "medium");
    for d in ["a", "b"] {
        assert!(
            drydock(c, &["db", "import", c.join(d).to_str().unwrap()])
                .status
                .success()
        );
    }
    let json = drydock(c, &["monitor", "check", "-f", "json", "--fail-on", "HIGH"]);
    assert_eq!(
        json.status.code(),
        Some(1),
        "a new HIGH finding fails: {}",
        err(&json)
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let changes = report["images"][0]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{report}");
    let added = changes.iter().find(|c| c["kind"] == "added").unwrap();
    assert_eq!(added["finding"]["id"], "DSA-9101-1");
    assert_eq!(added["finding"]["package"]["name"], "libxml2");
    let changed = changes.iter().find(|c| c["kind"] == "changed").unwrap();
    assert_eq!(changed["finding"]["id"], "DSA-9100-1");
    assert_eq!(changed["previous"]["severity"], "LOW");
    assert_eq!(changed["previous"]["fixed_version"], "1:1.2.13.dfsg-2");
    assert_eq!(changed["finding"]["fixed_version"], "1:1.2.13.dfsg-3");

    // Nothing new since: the same findings are no change, and --fail-on passes.
    let quiet = drydock(c, &["monitor", "check", "--fail-on", "LOW", "-f", "markdown"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", err(&quiet));
    assert!(text(&quiet).contains("0 with changes"));

    // Withdrawn data shows as gone; the table names it.
    std::fs::remove_file(c.join("b/DSA-9101-1.json")).unwrap();
    std::fs::write(
        c.join("b/withdrawn.json"),
        serde_json::json!({"id": "DSA-9101-1", "modified": "2026-11-02T00:00:00Z", "withdrawn": "2026-11-02T00:00:00Z", "affected": []}).to_string(),
    )
    .unwrap();
    assert!(
        drydock(c, &["db", "import", c.join("b").to_str().unwrap()])
            .status
            .success()
    );
    let table = drydock(c, &["monitor", "check"]);
    assert!(table.status.success(), "{}", err(&table));
    assert!(
        text(&table).contains("0 new, 0 changed, 1 gone"),
        "{}",
        text(&table)
    );
    assert!(text(&table).contains("removed"), "{}", text(&table));

    let list = drydock(c, &["monitor", "list"]);
    assert!(text(&list).contains("shop/web:1"), "{}", text(&list));
    let removed = drydock(c, &["monitor", "remove", "shop/web:1"]);
    assert!(removed.status.success(), "{}", err(&removed));
    assert!(text(&drydock(c, &["monitor", "list"])).contains("nothing monitored"));
    let gone = drydock(c, &["monitor", "remove", "shop/web:1"]);
    assert_eq!(gone.status.code(), Some(2));
    assert_eq!(err(&gone).lines().count(), 1, "{}", err(&gone));
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    for (args, want) in [
        (
            vec![
                "monitor",
                "list",
                "--database",
                "postgres://drydock:secret@127.0.0.1:1/none",
            ],
            "PostgreSQL at postgres://drydock:***@127.0.0.1:1/none",
        ),
        (
            vec!["serve", "--listen", "0.0.0.0:0"],
            "refusing to serve plain HTTP on 0.0.0.0:0",
        ),
        (
            vec![
                "serve",
                "webhook",
                "add",
                "ftp://example/",
                "--secret",
                "0123456789abcdef",
            ],
            "http:// or https:// only",
        ),
        (
            vec!["serve", "webhook", "add", "https://example/", "--secret", "short"],
            "at least 16 characters",
        ),
        (
            vec!["serve", "token", "add", "x", "--scope", "root"],
            "unknown scope",
        ),
        (
            vec!["monitor", "add", "/nonexistent/image"],
            "no advisory database",
        ),
        (
            vec![
                "monitor",
                "push",
                "ftp://server",
                "examples/debian-mini",
                "--token",
                "t",
            ],
            "must start with http:// or https://",
        ),
    ] {
        let out = drydock(c, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", err(&out));
        assert_eq!(err(&out).lines().count(), 1, "{args:?}: {}", err(&out));
        assert!(err(&out).contains(want), "{args:?}: {}", err(&out));
        assert!(!err(&out).contains("secret@"), "a password never shows");
    }
}

/// A database without the image's ecosystem is "not checked", said on every add and check,
/// never a silent zero.
#[test]
fn an_uncovered_ecosystem_is_said() {
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    let adv = drydock_testkit::workspace_root().join("examples/advisories");
    assert!(
        drydock(c, &["db", "import", adv.to_str().unwrap()])
            .status
            .success()
    );
    let example = drydock_testkit::workspace_root().join("examples/debian-mini");
    let add = drydock(c, &["monitor", "add", example.to_str().unwrap()]);
    assert!(add.status.success(), "{}", err(&add));
    assert!(
        err(&add).contains("has no records for Debian:12"),
        "{}",
        err(&add)
    );
    let check = drydock(c, &["monitor", "check"]);
    assert!(
        err(&check).contains("has no records for Debian:12"),
        "{}",
        err(&check)
    );
}
