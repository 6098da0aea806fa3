//! The store and the update diff, on SQLite here and on a real PostgreSQL when one is given
//! (`DRYDOCK_POSTGRES_URL`, tier 2): the same behaviour on both backends.

use std::path::Path;

use drydock_catalog::{Distro, Inventory, Package, PackageType};
use drydock_monitor::check::{self, ChangeKind};
use drydock_monitor::{Snapshot, Store};
use drydock_report::{ImageSummary, SbomDocument};

fn deb(name: &str, source: &str, version: &str) -> Package {
    let mut p = Package::found_at(
        name.into(),
        version.into(),
        PackageType::Deb,
        format!("pkg:deb/debian/{name}@{version}?distro=debian-12"),
        Some(0),
        "/var/lib/dpkg/status".into(),
    );
    p.source_name = Some(source.into());
    p
}

fn pypi(name: &str, version: &str) -> Package {
    Package::found_at(
        name.into(),
        version.into(),
        PackageType::Pypi,
        format!("pkg:pypi/{name}@{version}"),
        Some(1),
        "/usr/lib/python3/dist-packages".into(),
    )
}

fn sbom(name: &str, digest_byte: char, packages: Vec<Package>) -> SbomDocument {
    let image = ImageSummary {
        name: name.into(),
        transport: "oci".into(),
        manifest_digest: Some(format!("sha256:{}", digest_byte.to_string().repeat(64))),
        config_digest: None,
        platform: Some("linux/amd64".into()),
        repo_tags: vec![format!("registry.example/{name}:1")],
        os: None,
        base_image: None,
        layers: Vec::new(),
    };
    SbomDocument::new(
        image,
        Inventory {
            distro: Some(Distro {
                id: "debian".into(),
                version_id: Some("12".into()),
                source: "etc/os-release".into(),
                ..Distro::default()
            }),
            packages,
            unscanned: Vec::new(),
            warnings: Vec::new(),
            package_sources: Vec::new(),
        },
    )
}

fn osv(id: &str, modified: &str, eco: &str, name: &str, fixed: &str, severity: &str) -> String {
    serde_json::json!({
        "id": id,
        "modified": modified,
        "aliases": [],
        "affected": [{
            "package": {"ecosystem": eco, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "ecosystem_specific": {"urgency": severity},
            "database_specific": {"severity": severity}
        }]
    })
    .to_string()
}

/// An advisory database holding exactly these records.
fn advisories(dir: &Path, label: &str, records: &[(&str, String)]) -> drydock_vulndb::Store {
    // One directory name for every generation: it is the import's source label, as it is
    // for a real database updated in place.
    let src = dir.join(label).join("advisories");
    std::fs::create_dir_all(&src).unwrap();
    for (id, body) in records {
        std::fs::write(src.join(format!("{id}.json")), body).unwrap();
    }
    let store = drydock_vulndb::Store::create(&dir.join(format!("{label}.redb"))).unwrap();
    drydock_vulndb::import_path(&store, &src).unwrap();
    store
}

fn images() -> (Snapshot, Snapshot) {
    let web = Snapshot::new(
        sbom(
            "web",
            'a',
            vec![deb("libssl3", "openssl", "3.0.1-1"), pypi("requests", "2.0.0")],
        ),
        None,
    )
    .unwrap();
    let worker = Snapshot::new(
        sbom("worker", 'b', vec![deb("zlib1g", "zlib", "1:1.2.13-1")]),
        None,
    )
    .unwrap();
    (web, worker)
}

fn snapshots_round_trip(store: &Store) {
    let (web, worker) = images();
    let (id, new) = store.put_snapshot(&web, 100).unwrap();
    assert!(new);
    let (again, new) = store.put_snapshot(&web, 200).unwrap();
    assert_eq!(
        (again, new),
        (id, false),
        "the same name and digest is one snapshot"
    );
    store.put_snapshot(&worker, 100).unwrap();
    let rows = store.images(true).unwrap();
    assert_eq!(rows.len(), 2);
    let w = rows.iter().find(|r| r.name == "registry.example/web:1").unwrap();
    assert_eq!((w.first_seen, w.last_seen), (100, 200));
    assert_eq!(w.repository.as_deref(), Some("registry.example/web"));
    assert_eq!(w.tag.as_deref(), Some("1"));
    assert_eq!(store.sbom(id).unwrap().packages.len(), 2);
    // A new digest under the same name becomes current; the old one stays, not current.
    let mut moved = web.clone();
    moved.digest = format!("sha256:{}", "c".repeat(64));
    let (moved_id, _) = store.put_snapshot(&moved, 300).unwrap();
    let current: Vec<i64> = store.images(true).unwrap().iter().map(|r| r.id).collect();
    assert!(current.contains(&moved_id) && !current.contains(&id));
    assert_eq!(store.images(false).unwrap().len(), 3);
    assert_eq!(store.remove("registry.example/web:1").unwrap(), 2);
    assert_eq!(store.images(false).unwrap().len(), 1);
    assert_eq!(store.remove("nothing").unwrap(), 0);
}

fn update_notifies_only_the_image_it_affects(store: &Store, dir: &Path) {
    let (web, worker) = images();
    let (web_id, _) = store.put_snapshot(&web, 100).unwrap();
    let (worker_id, _) = store.put_snapshot(&worker, 100).unwrap();
    let hook = store
        .add_webhook("http://127.0.0.1:9/hook", "s3cret", "json", "LOW", 100)
        .unwrap();
    let a = osv(
        "DSA-1-1",
        "2026-01-01T00:00:00Z",
        "Debian:12",
        "openssl",
        "3.0.2-1",
        "high",
    );
    let db1 = advisories(dir, "one", &[("DSA-1-1", a.clone())]);
    for id in [web_id, worker_id] {
        check::initial_findings(store, id, &db1, 100).unwrap();
    }
    assert_eq!(store.findings(web_id).unwrap().len(), 1);
    assert!(store.findings(worker_id).unwrap().is_empty());
    let first = check::apply_update(store, &db1, 110).unwrap();
    assert!(first.initial, "{first:?}");
    assert_eq!(first.notifications, 0, "the first state is a baseline");
    // Processing the same database again does nothing.
    let same = check::apply_update(store, &db1, 111).unwrap();
    assert_eq!((same.added, same.images_rechecked, same.notifications), (0, 0, 0));

    // A new record for zlib affects the worker only; a record for a package nobody has
    // re-checks nothing.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let z = osv(
        "DSA-2-1",
        "2026-02-01T00:00:00Z",
        "Debian:12",
        "zlib",
        "1:1.2.13-2",
        "critical",
    );
    let other = osv(
        "DSA-3-1",
        "2026-02-01T00:00:00Z",
        "Debian:12",
        "nginx",
        "1.0",
        "high",
    );
    let db2 = advisories(
        dir,
        "two",
        &[("DSA-1-1", a.clone()), ("DSA-2-1", z.clone()), ("DSA-3-1", other)],
    );
    let second = check::apply_update(store, &db2, 120).unwrap();
    assert_eq!(
        (second.added, second.changed, second.withdrawn),
        (2, 0, 0),
        "{second:?}"
    );
    assert_eq!(second.images_rechecked, 1, "only the worker holds zlib");
    assert_eq!(second.notifications, 1);
    let notes = store.notifications_since(0, 100).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].image_id, worker_id);
    assert_eq!(notes[0].kind, "added");
    assert_eq!(notes[0].change.finding.id, "DSA-2-1");
    assert_eq!(notes[0].severity, "CRITICAL");
    let outbox = store.claim_deliveries(130, 60, 10).unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].webhook.id, hook);
    let payload: serde_json::Value = serde_json::from_str(&outbox[0].payload).unwrap();
    assert_eq!(payload["image"]["id"], worker_id);
    assert_eq!(payload["changes"][0]["kind"], "added");
    // A claimed delivery is not claimed twice while its lease runs.
    assert!(store.claim_deliveries(131, 60, 10).unwrap().is_empty());
    store.delivered(outbox[0].id, 132).unwrap();
    assert_eq!(store.outbox_counts().unwrap().delivered, 1);

    // The openssl record changes its fix, then is withdrawn.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let a2 = osv(
        "DSA-1-1",
        "2026-03-01T00:00:00Z",
        "Debian:12",
        "openssl",
        "3.0.3-1",
        "high",
    );
    let db3 = advisories(dir, "three", &[("DSA-1-1", a2), ("DSA-2-1", z.clone())]);
    let third = check::apply_update(store, &db3, 140).unwrap();
    assert_eq!(
        (third.added, third.changed, third.withdrawn),
        (0, 1, 1),
        "{third:?}"
    );
    let notes = store.notifications_since(140, 100).unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!((notes[0].image_id, notes[0].kind.as_str()), (web_id, "changed"));
    let previous = notes[0].change.previous.as_ref().unwrap();
    assert_eq!(previous.fixed_version.as_deref(), Some("3.0.2-1"));
    assert_eq!(notes[0].change.finding.fixed_version.as_deref(), Some("3.0.3-1"));

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let db4 = advisories(dir, "four", &[("DSA-2-1", z)]);
    let fourth = check::apply_update(store, &db4, 150).unwrap();
    assert_eq!(fourth.withdrawn, 1);
    let notes = store.notifications_since(150, 100).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].image_id, notes[0].kind.as_str()), (web_id, "removed"));
    assert!(store.findings(web_id).unwrap().is_empty());
    assert_eq!(
        store.findings(worker_id).unwrap().len(),
        1,
        "untouched by the update"
    );

    // A database older than the one processed (another server ahead) is not applied.
    let older = check::apply_update(store, &db1, 160).unwrap();
    assert!(older.skipped, "{older:?}");
    assert!(store.notifications_since(160, 100).unwrap().is_empty());
}

fn full_check_reports_changes(store: &Store, dir: &Path) {
    let (web, _) = images();
    store.put_snapshot(&web, 100).unwrap();
    let empty = advisories(
        dir,
        "empty-pypi",
        &[(
            "GHSA-0",
            osv(
                "GHSA-0",
                "2026-01-01T00:00:00Z",
                "PyPI",
                "unrelated",
                "1.0",
                "low",
            ),
        )],
    );
    let first = check::check_all(store, &empty, "g1", 100).unwrap();
    assert_eq!(first.len(), 1);
    assert!(!first[0].compared && first[0].changes.is_empty());
    let db = advisories(
        dir,
        "pypi",
        &[(
            "GHSA-1",
            osv(
                "GHSA-1",
                "2026-01-01T00:00:00Z",
                "PyPI",
                "Requests",
                "2.31.0",
                "moderate",
            ),
        )],
    );
    let second = check::check_all(store, &db, "g2", 110).unwrap();
    assert!(second[0].compared);
    assert_eq!(second[0].changes.len(), 1);
    assert_eq!(second[0].changes[0].kind, ChangeKind::Added);
    assert_eq!(second[0].changes[0].finding.package.name, "requests");
    assert_eq!(
        check::worst_new(&second[0].changes),
        Some(drydock_vulndb::Severity::Medium)
    );
    let third = check::check_all(store, &db, "g3", 120).unwrap();
    assert!(third[0].changes.is_empty(), "nothing changed");
}

fn tokens_and_webhooks(store: &Store) {
    store.add_token("ci", "hash-1", &["push".into()], 100).unwrap();
    assert!(store.add_token("ci", "hash-2", &["read".into()], 100).is_err());
    assert_eq!(
        store.token_scopes("hash-1", 101).unwrap(),
        Some(vec!["push".to_string()])
    );
    assert_eq!(store.token_scopes("nope", 101).unwrap(), None);
    assert_eq!(store.tokens().unwrap()[0].last_used, Some(101));
    assert_eq!(store.revoke_token("ci").unwrap(), 1);
    assert_eq!(store.token_scopes("hash-1", 102).unwrap(), None);
    let id = store
        .add_webhook("http://127.0.0.1:1/", "k", "slack", "HIGH", 1)
        .unwrap();
    assert_eq!(store.webhooks().unwrap()[0].format, "slack");
    assert_eq!(store.remove_webhook(id).unwrap(), 1);
    assert!(store.add_watch("registry.example/web:1").unwrap());
    assert!(!store.add_watch("registry.example/web:1").unwrap());
    let w = &store.watches().unwrap()[0];
    store.set_watch_digest(w.id, "sha256:x", 5).unwrap();
    assert_eq!(store.watches().unwrap()[0].digest.as_deref(), Some("sha256:x"));
}

fn failed_deliveries_retry_then_give_up(store: &Store) {
    let (web, _) = images();
    let (id, _) = store.put_snapshot(&web, 1).unwrap();
    store
        .add_webhook("http://127.0.0.1:9/", "k", "json", "UNKNOWN", 1)
        .unwrap();
    let f: drydock_matcher::Finding = serde_json::from_value(serde_json::json!({
        "id": "CVE-2026-1", "aliases": [], "package": {"name": "requests", "version": "2.0.0",
        "ecosystem": "pypi", "purl": "pkg:pypi/requests@2.0.0"}, "severity": "LOW",
        "status": "fixed", "fixed_version": "2.1", "layer": 1,
        "matched": {"ecosystem": "PyPI", "name": "requests", "version": "2.0.0"}
    }))
    .unwrap();
    let change = drydock_monitor::Change {
        kind: ChangeKind::Added,
        key: check::finding_key(&f),
        finding: f,
        previous: None,
    };
    let write = drydock_monitor::store::CheckWrite {
        image_id: id,
        scope: Some(Vec::new()),
        findings: Vec::new(),
        changes: vec![change],
        generation: "g".into(),
    };
    assert_eq!(store.write_check(&write, 10).unwrap(), 1);
    assert_eq!(
        store.write_check(&write, 11).unwrap(),
        0,
        "the same change in the same generation is one notification"
    );
    let d = store.claim_deliveries(20, 30, 10).unwrap();
    assert_eq!(d.len(), 1);
    store
        .delivery_failed(d[0].id, "connection refused", Some(40), 21)
        .unwrap();
    assert!(
        store.claim_deliveries(30, 30, 10).unwrap().is_empty(),
        "not due before its retry time"
    );
    let d = store.claim_deliveries(41, 30, 10).unwrap();
    assert_eq!(d[0].attempts, 1);
    store.delivery_failed(d[0].id, "HTTP 500", None, 42).unwrap();
    assert!(store.claim_deliveries(1000, 30, 10).unwrap().is_empty());
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 1));
}

/// Runs every behaviour on fresh stores `make` opens.
pub fn all_behaviours(make: &dyn Fn() -> Store) {
    snapshots_round_trip(&make());
    let dir = tempfile::tempdir().unwrap();
    update_notifies_only_the_image_it_affects(&make(), dir.path());
    let dir = tempfile::tempdir().unwrap();
    full_check_reports_changes(&make(), dir.path());
    tokens_and_webhooks(&make());
    failed_deliveries_retry_then_give_up(&make());
}

#[test]
fn sqlite_store_behaves() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    all_behaviours(&|| {
        n.set(n.get() + 1);
        Store::open(&format!("sqlite://{}/m{}.sqlite", dir.path().display(), n.get())).unwrap()
    });
}

#[test]
fn a_store_reopens_with_its_data_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    let (web, _) = images();
    Store::open(path.to_str().unwrap())
        .unwrap()
        .put_snapshot(&web, 1)
        .unwrap();
    assert_eq!(
        Store::open(path.to_str().unwrap())
            .unwrap()
            .images(true)
            .unwrap()
            .len(),
        1
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO schema_migrations VALUES (99, 0)", [])
        .unwrap();
    drop(conn);
    let err = Store::open(path.to_str().unwrap()).err().unwrap().to_string();
    assert!(err.contains("schema version 99"), "{err}");
}

#[test]
fn malformed_snapshots_are_refused_with_a_reason() {
    for (body, want) in [
        (&b"{"[..], "not a drydock SBOM document"),
        (b"{\"schema_version\": 1}", "not a drydock SBOM document"),
    ] {
        let err = Snapshot::from_json(body, None).err().unwrap().to_string();
        assert!(err.contains(want), "{err}");
    }
    let mut doc = sbom("x", 'a', vec![pypi("requests", "2.0.0")]);
    doc.schema_version = 7;
    assert!(
        Snapshot::new(doc, None)
            .err()
            .unwrap()
            .to_string()
            .contains("schema version 7")
    );
    let mut doc = sbom("x", 'a', vec![pypi("requests", "2.0.0")]);
    doc.image.manifest_digest = Some("sha256:../../etc".into());
    assert!(
        Snapshot::new(doc, None)
            .err()
            .unwrap()
            .to_string()
            .contains("not a sha256 digest")
    );
    let doc = sbom("x", 'a', vec![pypi("", "2.0.0")]);
    assert!(
        Snapshot::new(doc, None)
            .err()
            .unwrap()
            .to_string()
            .contains("empty name")
    );
    let big = vec![b' '; drydock_monitor::snapshot::MAX_SNAPSHOT_BYTES + 1];
    assert!(
        Snapshot::from_json(&big, None)
            .err()
            .unwrap()
            .to_string()
            .contains("limit")
    );
}

/// Tier 2: the same behaviours on a real PostgreSQL, each in a database of its own.
#[test]
fn postgres_store_behaves() {
    let Some(url) = drydock_testkit::postgres_url() else {
        return;
    };
    let n = std::cell::Cell::new(0);
    let made = std::cell::RefCell::new(Vec::new());
    all_behaviours(&|| {
        n.set(n.get() + 1);
        let db = drydock_testkit::fresh_postgres_database(&url, &format!("monitor_{}", n.get()));
        made.borrow_mut().push(db.clone());
        Store::open(&db).unwrap()
    });
}

/// Tier 2: the store over TLS to PostgreSQL. The test server's certificate is self-signed, so it
/// verifies with `sslrootcert` naming it, and is refused against the webpki roots; a bad mode
/// or a root without TLS is a one-line error.
#[test]
fn postgres_over_tls_verifies_the_server() {
    let Some(url) = drydock_testkit::postgres_url() else {
        return;
    };
    let Some(ca) = drydock_testkit::postgres_ca() else {
        return;
    };
    let db = drydock_testkit::fresh_postgres_database(&url, "tls");
    let verified = format!("{db}?sslmode=verify-full&sslrootcert={}", ca.display());
    let store = Store::open(&verified).unwrap();
    tokens_and_webhooks(&store);
    for (bad, want) in [
        (format!("{db}?sslmode=require"), "certificate"),
        (format!("{db}?sslmode=sometimes"), "sslmode=sometimes"),
        (
            format!("{db}?sslrootcert={}", ca.display()),
            "sslrootcert needs sslmode=require",
        ),
        (
            format!("{db}?sslmode=require&sslrootcert=/nonexistent/ca.pem"),
            "/nonexistent/ca.pem",
        ),
    ] {
        let err = Store::open(&bad).err().unwrap().to_string();
        assert!(err.contains(want), "{bad}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(
            !err.contains(url.split(['@', ':']).nth(2).unwrap_or("password")),
            "no password: {err}"
        );
    }
}
