//! Tier 1: records that share an id across sources merge instead of overwriting each other, a
//! re-import replaces what its source held, and the files an upstream checkout carries besides
//! advisories do not stop an import.

use std::path::Path;

use drydock_vulndb::{Store, import_path};

fn secdb(branch: &str, fixed: &str) -> String {
    format!(
        "---\ndistroversion: {branch}\nreponame: main\narchs:\n  - x86_64\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        {fixed}:\n          - CVE-2099-1000\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn fixed_for(store: &Store, ecosystem: &str) -> Vec<String> {
    let ecosystem: drydock_vulndb::model::OsvEcosystem = ecosystem.parse().unwrap();
    store
        .lookup(&ecosystem, "openssl")
        .unwrap()
        .iter()
        .flat_map(|a| a.affected.iter().filter(|e| e.ecosystem == ecosystem))
        .flat_map(|e| e.affected.ranges.iter().flat_map(|r| r.events.iter()))
        .filter_map(|ev| match ev {
            drydock_version::osv::Event::Fixed(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn one_id_in_two_branches_keeps_both_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let v310 = write(dir.path(), "v3.10/main.yaml", &secdb("v3.10", "1.1.1d-r0"));
    let v311 = write(dir.path(), "v3.11/main.yaml", &secdb("v3.11", "1.1.1d-r2"));
    let mut records = Vec::new();
    for order in [[&v310, &v311], [&v311, &v310]] {
        let store = Store::in_memory().unwrap();
        for p in order {
            import_path(&store, p).unwrap();
        }
        assert_eq!(fixed_for(&store, "Alpine:v3.10"), vec!["1.1.1d-r0"]);
        assert_eq!(fixed_for(&store, "Alpine:v3.11"), vec!["1.1.1d-r2"]);
        let record = store.get("ALPINE-CVE-2099-1000").unwrap().unwrap();
        assert_eq!(record.affected.len(), 2);
        records.push(record);
        let counts: Vec<(String, u64)> = store
            .sources()
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.records))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("secdb:v3.10/main".to_string(), 1),
                ("secdb:v3.11/main".to_string(), 1)
            ]
        );
    }
    assert_eq!(
        records[0], records[1],
        "the stored record does not depend on import order"
    );

    // A newer copy of one branch replaces that branch's entry only.
    let store = Store::in_memory().unwrap();
    import_path(&store, &v310).unwrap();
    import_path(&store, &v311).unwrap();
    write(dir.path(), "v3.10/main.yaml", &secdb("v3.10", "1.1.1d-r1"));
    import_path(&store, &v310).unwrap();
    assert_eq!(fixed_for(&store, "Alpine:v3.10"), vec!["1.1.1d-r1"]);
    assert_eq!(fixed_for(&store, "Alpine:v3.11"), vec!["1.1.1d-r2"]);
}

const X_BOTH: &str = r#"{"id":"OSV-X","affected":[
 {"package":{"ecosystem":"PyPI","name":"alpha"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]},
 {"package":{"ecosystem":"npm","name":"beta"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}"#;
const X_NPM: &str = r#"{"id":"OSV-X","affected":[
 {"package":{"ecosystem":"npm","name":"beta"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.1"}]}]}]}"#;
const Y: &str =
    r#"{"id":"OSV-Y","affected":[{"package":{"ecosystem":"PyPI","name":"gamma"},"versions":["0.1"]}]}"#;

#[test]
fn a_re_import_leaves_nothing_of_the_previous_copy_behind() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed");
    write(&feed, "x.json", X_BOTH);
    write(&feed, "y.json", Y);
    let store = Store::in_memory().unwrap();
    import_path(&store, &feed).unwrap();
    assert_eq!(store.record_count().unwrap(), 2);
    assert_eq!(store.lookup(&"PyPI".parse().unwrap(), "alpha").unwrap().len(), 1);

    std::fs::remove_file(feed.join("y.json")).unwrap();
    write(&feed, "x.json", X_NPM);
    import_path(&store, &feed).unwrap();
    assert!(
        store.get("OSV-Y").unwrap().is_none(),
        "a record the dump dropped is gone"
    );
    assert!(
        store
            .lookup(&"PyPI".parse().unwrap(), "gamma")
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lookup(&"PyPI".parse().unwrap(), "alpha")
            .unwrap()
            .is_empty(),
        "a range the dump dropped is gone"
    );
    let x = store.get("OSV-X").unwrap().unwrap();
    assert_eq!(x.affected.len(), 1);
    assert_eq!(store.lookup(&"npm".parse().unwrap(), "beta").unwrap().len(), 1);
}

#[test]
fn a_secdb_branch_without_packages_imports_nothing_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "community.yaml",
        "---\ndistroversion: v3.3\nreponame: community\narchs:\n  - x86_64\npackages:\n",
    );
    let store = Store::in_memory().unwrap();
    let imported = import_path(&store, &path).unwrap();
    assert_eq!(imported.sources.len(), 1);
    assert_eq!(imported.sources[0].name, "secdb:v3.3/community");
    assert_eq!(imported.sources[0].records, 0);
}

const CRATE_ADVISORY: &str = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"cargo\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= 0.5.0\"]\n```\n\n# A crate advisory\n";
const TOOLCHAIN_ADVISORY: &str = "```toml\n[advisory]\nid = \"CVE-2099-0002\"\npackage = \"cargo\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= 1.60.0\"]\n```\n\n# A toolchain advisory\n";

#[test]
fn an_advisory_db_checkout_imports_from_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("advisory-db");
    write(&root, ".github/workflows/ci.yml", "name: CI\non: [push]\n");
    write(&root, ".duplicate-id-guard", "x\n");
    write(&root, "README.md", "# RustSec Advisory Database\n");
    write(&root, "config.yml", "collection: crates\n");
    write(&root, "crates/cargo/RUSTSEC-2099-0001.md", CRATE_ADVISORY);
    write(&root, "rust/cargo/CVE-2099-0002.md", TOOLCHAIN_ADVISORY);
    let store = Store::in_memory().unwrap();
    let imported = import_path(&store, &root).unwrap();
    assert_eq!(imported.sources[0].records, 2);
    let skipped: Vec<&str> = imported
        .skipped
        .iter()
        .map(|s| s.rsplit('/').next().unwrap())
        .collect();
    assert!(skipped.iter().any(|s| s.starts_with("README.md")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.starts_with("config.yml")), "{skipped:?}");
    // The toolchain's cargo is not the crate named cargo.
    let crate_ids: Vec<String> = store
        .lookup(&"crates.io".parse().unwrap(), "cargo")
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(crate_ids, vec!["RUSTSEC-2099-0001"]);
    let toolchain: Vec<String> = store
        .lookup(
            &drydock_vulndb::model::OsvEcosystem::new(drydock_vulndb::model::Family::RustToolchain),
            "cargo",
        )
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(toolchain, vec!["CVE-2099-0002"]);
}

#[test]
fn a_broken_record_among_other_files_is_still_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.json", Y);
    write(dir.path(), "broken.json", "{\"id\": \"OSV-Z\", \"affected\": 5}");
    let store = Store::in_memory().unwrap();
    let err = import_path(&store, dir.path()).unwrap_err().to_string();
    assert!(err.contains("broken.json"), "{err}");
}
