//! Tier 2: importing real advisory data — PyPA's YAML records, Go's vulndb JSON, osv-scanner's
//! multi-ecosystem samples and Alpine secdb — and looking records up again.

mod cvss_table;

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
    let infos = import_path(&store, &dir).unwrap().sources;
    let files = count_files(&dir, &["yaml"]) as u64;
    assert_eq!(infos[0].records + infos[0].withdrawn, files);
    assert_eq!(store.record_count().unwrap(), infos[0].records);
    let requests = store.lookup(&"PyPI".parse().unwrap(), "Requests").unwrap();
    assert!(
        requests.iter().any(|a| a.id == "PYSEC-2018-28"),
        "{:?}",
        requests.iter().map(|a| &a.id).collect::<Vec<_>>()
    );
    assert!(
        !store
            .lookup(&"PyPI".parse().unwrap(), "urllib3")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn go_vulndb_and_osv_samples_import() {
    let Some(data) = shared_testdata() else { return };
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &data.join("vulndb/osv-go-vulndb"))
        .unwrap()
        .sources;
    assert!(infos[0].records > 3000);
    let runc = store
        .lookup(&"Go".parse().unwrap(), "github.com/opencontainers/runc")
        .unwrap();
    assert!(runc.iter().any(|a| a.id == "GO-2022-0274"));
    // osv-scanner's samples span ecosystems, including GIT-only ranges and Packagist.
    let infos = import_path(&store, &data.join("vulndb/osv-samples-osv-scanner"))
        .unwrap()
        .sources;
    assert!(!infos.is_empty());
    let dla = store.get("DLA-3008-1").unwrap().expect("DLA-3008-1 imported");
    assert!(
        dla.affected
            .iter()
            .all(|a| a.ecosystem.family() == drydock_vulndb::model::Family::Debian)
    );
    let alpine = store.get("ALPINE-CVE-2025-26519").unwrap().unwrap();
    assert!(
        alpine
            .affected
            .iter()
            .any(|a| a.ecosystem.to_string().starts_with("Alpine:v"))
    );
}

#[test]
fn alpine_secdb_becomes_fix_ranges_per_origin() {
    let Some(data) = shared_testdata() else { return };
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &data.join("vulndb/alpine-secdb/v3.10"))
        .unwrap()
        .sources;
    assert_eq!(infos.len(), 2, "main and community");
    let openssl = store.lookup(&"Alpine:v3.10".parse().unwrap(), "openssl").unwrap();
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

/// Every real record scored by one CVSS v3 vector that the calculator table holds (and no
/// severity word of its own) gets exactly that score and rating.
#[test]
fn real_records_score_as_the_cvss_calculator_does() {
    let Some(data) = shared_testdata() else { return };
    let table: std::collections::BTreeMap<&str, (f64, Severity)> = cvss_table::SCORED
        .iter()
        .map(|(_, v, s, l)| (*v, (*s, *l)))
        .collect();
    let mut checked = 0;
    for dir in ["osv-samples-osv-scanner", "osv-pypi-pypa", "osv-debian12-dsa"] {
        let dir = data.join("vulndb").join(dir);
        let store = Store::in_memory().unwrap();
        import_path(&store, &dir).unwrap();
        for file in walk(&dir) {
            let text = std::fs::read_to_string(&file).unwrap();
            let parsed = if file.extension().is_some_and(|x| x == "json") {
                serde_json::from_str::<serde_json::Value>(&text).ok()
            } else {
                serde_saphyr::from_str::<serde_json::Value>(&text).ok()
            };
            let Some(record) = parsed else { continue };
            let vectors: Vec<&str> = record["severity"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["type"] == "CVSS_V3")
                .filter_map(|s| s["score"].as_str())
                .collect();
            let worded = ["severity", "cvss_severity"]
                .iter()
                .any(|k| !record["database_specific"][k].is_null());
            let [vector] = vectors.as_slice() else { continue };
            let (Some((score, level)), false) = (table.get(vector), worded) else {
                continue;
            };
            let id = record["id"].as_str().unwrap();
            let Some(stored) = store.get(id).unwrap() else {
                continue;
            };
            let s = stored.severity.unwrap_or_else(|| panic!("{id}: no severity"));
            assert_eq!((s.score, s.level), (Some(*score), *level), "{id} {vector}");
            checked += 1;
        }
    }
    assert!(checked >= 300, "only {checked} records checked");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "json" || x == "yaml") {
            out.push(p);
        }
    }
    out
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

/// RustSec's TOML-in-Markdown advisories: every file imports, and its ranges agree with its own
/// `patched` list — each `>= X` version is unaffected, and an advisory without any patched or
/// unaffected version affects every release.
#[test]
fn rustsec_advisories_import_with_ranges_that_respect_their_patched_versions() {
    let Some(data) = shared_testdata() else { return };
    let dir = data.join("vulndb/rustsec-crates");
    let store = Store::in_memory().unwrap();
    let infos = import_path(&store, &dir).unwrap().sources;
    let files = count_files(&dir, &["md"]) as u64;
    assert_eq!(infos[0].records + infos[0].withdrawn, files);
    let mut checked = 0;
    let mut walk = vec![dir];
    while let Some(d) = walk.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let id = path.file_stem().unwrap().to_string_lossy().to_string();
            let Some(adv) = store.get(&id).unwrap() else {
                continue;
            };
            let affected = &adv.affected[0].affected;
            let eval = |v: &str| {
                drydock_version::osv::evaluate(drydock_version::Scheme::Semver, v, affected)
                    .unwrap()
                    .affected
            };
            let toml_block = text.split("```").nth(1).unwrap_or_default();
            let patched_line = toml_block
                .lines()
                .find(|l| l.starts_with("patched"))
                .unwrap_or("");
            let unaffected_line = toml_block
                .lines()
                .find(|l| l.starts_with("unaffected"))
                .unwrap_or("");
            if patched_line.trim_end().ends_with("[]")
                && (unaffected_line.is_empty() || unaffected_line.trim_end().ends_with("[]"))
            {
                assert!(
                    eval("0.0.1") && eval("999.0.0"),
                    "{id}: no fix means every version"
                );
                checked += 1;
            }
            for req in patched_line.split('"').skip(1).step_by(2) {
                if let Some(v) = req
                    .strip_prefix(">= ")
                    .filter(|v| !v.contains(',') && v.matches('.').count() == 2 && !v.contains('-'))
                {
                    assert!(!eval(v), "{id}: {v} is patched");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "{checked}");
}
