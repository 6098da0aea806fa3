//! Tier 2: importing real advisory data — PyPA's YAML records, Go's vulndb JSON, osv-scanner's
//! multi-ecosystem samples and Alpine secdb — and looking records up again.

use drydock_testkit::shared_testdata;
use drydock_vulndb::{Severity, Store, import_path};

fn count_files(dir: &std::path::Path, ext: &[&str]) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += count_files(&p, ext);
        } else if ext.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
            n += 1;
        }
    }
    n
}

#[test]
fn pypa_yaml_records_import_and_index_by_normalised_name() {
    let Some(data) = shared_testdata() else { return };
    let dir = data.join("vulndb/osv-pypi-pypa");
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &dir).unwrap();
    let files = count_files(&dir, &["yaml"]) as u64;
    assert_eq!(infos[0].records + infos[0].withdrawn, files);
    assert_eq!(store.record_count().unwrap(), infos[0].records);
    let requests = store.lookup("PyPI", "Requests").unwrap();
    assert!(
        requests.iter().any(|a| a.id == "PYSEC-2018-28"),
        "{:?}",
        requests.iter().map(|a| &a.id).collect::<Vec<_>>()
    );
    assert!(!store.lookup("PyPI", "urllib3").unwrap().is_empty());
}

#[test]
fn go_vulndb_and_osv_samples_import() {
    let Some(data) = shared_testdata() else { return };
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &data.join("vulndb/osv-go-vulndb")).unwrap();
    assert!(infos[0].records > 3000);
    let runc = store.lookup("Go", "github.com/opencontainers/runc").unwrap();
    assert!(runc.iter().any(|a| a.id == "GO-2022-0274"));
    // osv-scanner's samples span ecosystems, including GIT-only ranges and Packagist.
    let infos = import_path(&store, &data.join("vulndb/osv-samples-osv-scanner")).unwrap();
    assert!(!infos.is_empty());
    let dla = store.get("DLA-3008-1").unwrap().expect("DLA-3008-1 imported");
    assert!(dla.affected.iter().all(|a| a.ecosystem.starts_with("Debian:")));
    let alpine = store.get("ALPINE-CVE-2025-26519").unwrap().unwrap();
    assert!(
        alpine
            .affected
            .iter()
            .any(|a| a.ecosystem.starts_with("Alpine:v"))
    );
}

#[test]
fn alpine_secdb_becomes_fix_ranges_per_origin() {
    let Some(data) = shared_testdata() else { return };
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &data.join("vulndb/alpine-secdb/v3.10")).unwrap();
    assert_eq!(infos.len(), 2, "main and community");
    let openssl = store.lookup("Alpine:v3.10", "openssl").unwrap();
    let ids: Vec<&str> = openssl.iter().map(|a| a.id.as_str()).collect();
    for id in [
        "ALPINE-CVE-2019-1547",
        "ALPINE-CVE-2019-1549",
        "ALPINE-CVE-2019-1563",
        "ALPINE-CVE-2019-1543",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let a = openssl.iter().find(|a| a.id == "ALPINE-CVE-2019-1547").unwrap();
    assert_eq!(a.aliases, vec!["CVE-2019-1547".to_string()]);
    assert_eq!(a.affected[0].affected.ranges[0].events.len(), 2);
}

#[test]
fn severities_come_from_the_record_or_its_cvss_vector() {
    let Some(data) = shared_testdata() else { return };
    let store = Store::in_memory().unwrap();
    import_path(&store, &data.join("vulndb/osv-samples-osv-scanner")).unwrap();
    import_path(&store, &data.join("vulndb/osv-pypi-pypa")).unwrap();
    let mut scored = 0;
    for id in ["GHSA-269g-pwp5-87pp", "PYSEC-2018-28", "GO-2022-0274"] {
        if let Some(a) = store.get(id).unwrap() {
            let s = a
                .severity
                .clone()
                .or_else(|| a.affected.iter().find_map(|p| p.severity.clone()));
            if let Some(s) = s {
                assert_ne!(s.level, Severity::Unknown, "{id}");
                scored += 1;
            }
        }
    }
    assert!(scored >= 1);
}

#[test]
fn malformed_records_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), b"{\"id\": 5}").unwrap();
    let store = Store::in_memory().unwrap();
    let err = import_path(&store, dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("bad.json") && err.contains("malformed advisory data"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(import_path(&store, empty.path()).is_err());
}
