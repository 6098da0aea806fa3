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
    assert_eq!(store.lookup("PyPI", "pkg0").unwrap().len(), 25);
    assert_eq!(store.sources().unwrap()[0].records, 12_345);

    std::fs::write(&zip, dump(100, "other")).unwrap();
    drydock_vulndb::import_path(&store, &zip).unwrap();
    assert_eq!(store.record_count().unwrap(), 100);
    assert!(store.lookup("PyPI", "pkg0").unwrap().is_empty());
    assert_eq!(store.lookup("PyPI", "other0").unwrap().len(), 1);
}
