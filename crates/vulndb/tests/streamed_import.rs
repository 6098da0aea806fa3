//! A dump larger than one batch is imported in batches: every record lands, the counts are the
//! dump's, and a re-import of a smaller dump leaves none of the old records behind.

use std::io::Write;

use drydock_vulndb::Store;

fn dump(n: usize, name_prefix: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..n {
        w.start_file(format!("TEST-{i}.json"), opts).unwrap();
        let record = serde_json::json!({
            "id": format!("TEST-{i}"),
            "modified": format!("2026-01-{:02}T00:00:00Z", 1 + i % 28),
            "affected": [{"package": {"ecosystem": "PyPI", "name": format!("{name_prefix}{}", i % 500)},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]
        });
        w.write_all(record.to_string().as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn dumps_larger_than_a_batch_import_whole_and_replace_whole() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("PyPI").join("all.zip");
    std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
    std::fs::write(&zip, dump(12_345, "pkg")).unwrap();
    let store = Store::in_memory().unwrap();
    let imported = drydock_vulndb::import_path(&store, &zip).unwrap();
    assert_eq!(imported.sources.len(), 1);
    let info = &imported.sources[0];
    assert_eq!((info.name.as_str(), info.records), ("osv:PyPI", 12_345));
    assert_eq!(info.newest_modified.as_deref(), Some("2026-01-28T00:00:00Z"));
    assert_eq!(store.record_count().unwrap(), 12_345);
    // pkg0 is named by records 0, 500, 1000, … 12000: 25 of them, across three batches.
    assert_eq!(store.lookup(&"PyPI".parse().unwrap(), "pkg0").unwrap().len(), 25);
    assert_eq!(store.sources().unwrap()[0].records, 12_345);

    std::fs::write(&zip, dump(100, "other")).unwrap();
    drydock_vulndb::import_path(&store, &zip).unwrap();
    assert_eq!(store.record_count().unwrap(), 100);
    assert!(store.lookup(&"PyPI".parse().unwrap(), "pkg0").unwrap().is_empty());
    assert_eq!(store.lookup(&"PyPI".parse().unwrap(), "other0").unwrap().len(), 1);
}

/// Entries in ecosystems drydock does not know are left out and counted per family, for the
/// zip and the directory importers alike; the rest of the record is kept.
#[test]
fn unknown_ecosystems_are_counted_not_dropped_silently() {
    let record = |id: &str| {
        serde_json::json!({
            "id": id, "modified": "2026-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "Debian:12", "name": "openssl"},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.1-1"}]}]},
                {"package": {"ecosystem": "Linux", "name": "kernel"}},
                {"package": {"ecosystem": "Android:13", "name": "framework"}},
                {"package": {"ecosystem": "debian:12", "name": "lower-case is not Debian"}}
            ]
        })
        .to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("A-1.json"), record("A-1")).unwrap();
    std::fs::write(dir.path().join("A-2.json"), record("A-2")).unwrap();
    let store = Store::in_memory().unwrap();
    let imported = drydock_vulndb::import_path(&store, dir.path()).unwrap();
    let expected: std::collections::BTreeMap<String, u64> = [
        ("Android".to_string(), 2),
        ("Linux".to_string(), 2),
        ("debian".to_string(), 2),
    ]
    .into();
    assert_eq!(imported.sources[0].unsupported, expected);
    assert_eq!(store.sources().unwrap()[0].unsupported, expected);
    let kept = store.lookup(&"Debian:12".parse().unwrap(), "openssl").unwrap();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|a| a.affected.len() == 1));

    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("A-3.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(record("A-3").as_bytes()).unwrap();
    let zip = dir.path().join("Debian").join("all.zip");
    std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
    std::fs::write(&zip, w.finish().unwrap().into_inner()).unwrap();
    let imported = drydock_vulndb::import_path(&store, &zip).unwrap();
    assert_eq!(imported.sources[0].unsupported.get("Linux"), Some(&1));
    assert_eq!(imported.sources[0].unsupported.len(), 3);
}

/// Unknown ecosystem names come from the data: past 32 distinct ones they are counted
/// together, and a name is kept to 64 characters.
#[test]
fn unknown_ecosystem_names_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100 {
        let record = serde_json::json!({
            "id": format!("U-{i}"),
            "affected": [{"package": {"ecosystem": format!("Made{i:03}{}", "x".repeat(100)), "name": "p"}}]
        });
        std::fs::write(dir.path().join(format!("U-{i}.json")), record.to_string()).unwrap();
    }
    let store = Store::in_memory().unwrap();
    let imported = drydock_vulndb::import_path(&store, dir.path()).unwrap();
    let unsupported = &imported.sources[0].unsupported;
    assert_eq!(unsupported.len(), 33, "{unsupported:?}");
    assert_eq!(unsupported.values().sum::<u64>(), 100);
    assert_eq!(unsupported["(other ecosystems)"], 68);
    assert!(unsupported.keys().all(|k| k.chars().count() <= 64));
}
