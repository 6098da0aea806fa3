//! Which layer installed each package, for apk and rpm as for dpkg: the last layer that added
//! or changed the package's database entry. A package upgraded in a later layer belongs to
//! that layer; one removed and reinstalled, to the reinstalling layer; a layer that rewrites
//! the database without touching an entry does not take it over.

use std::collections::BTreeMap;
use std::path::Path;

use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn layers_of(image: &Path) -> BTreeMap<String, (String, u64)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["sbom", image.to_str().unwrap(), "-q", "-f", "json", "--no-cache"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "apk" || p["ecosystem"] == "rpm")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                (
                    p["version"].as_str().unwrap().to_string(),
                    p["layer"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn apk_db(entries: &[(&str, &str)]) -> Vec<u8> {
    entries
        .iter()
        .map(|(name, version)| format!("C:Q1{name}=\nP:{name}\nV:{version}\nA:x86_64\no:{name}\nL:\n\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn apk_packages_belong_to_the_layer_that_last_changed_them() {
    const DB: &str = "lib/apk/db/installed";
    let os = b"ID=alpine\nVERSION_ID=3.20.3\n";
    let steps: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "FROM alpine",
            vec![("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")],
        ),
        (
            "RUN apk upgrade busybox && apk add curl",
            vec![
                ("musl", "1.2.5-r0"),
                ("busybox", "1.36.1-r30"),
                ("curl", "8.9.1-r0"),
            ],
        ),
        (
            "RUN apk del curl",
            vec![("musl", "1.2.5-r0"), ("busybox", "1.36.1-r30")],
        ),
        (
            "RUN apk add curl",
            vec![
                ("musl", "1.2.5-r0"),
                ("busybox", "1.36.1-r30"),
                ("curl", "8.9.1-r0"),
            ],
        ),
        // Rewrites the database (a new entry at the end), changing no other entry.
        (
            "RUN apk add zlib",
            vec![
                ("musl", "1.2.5-r0"),
                ("busybox", "1.36.1-r30"),
                ("curl", "8.9.1-r0"),
                ("zlib", "1.3.1-r1"),
            ],
        ),
    ];
    let mut image = ImageBuilder::new();
    for (i, (created_by, entries)) in steps.iter().enumerate() {
        let mut layer = LayerBuilder::new().file(DB, &apk_db(entries));
        if i == 0 {
            layer = layer.file("etc/os-release", os);
        }
        image = image.layer(layer.finish(), Comp::Gzip, created_by);
    }
    let dir = tempfile::tempdir().unwrap();
    image.write_oci_dir(dir.path());
    let got = layers_of(dir.path());
    let want: BTreeMap<String, (String, u64)> = [
        ("musl", "1.2.5-r0", 0),
        ("busybox", "1.36.1-r30", 1),
        ("curl", "8.9.1-r0", 3),
        ("zlib", "1.3.1-r1", 4),
    ]
    .into_iter()
    .map(|(n, v, l)| (n.to_string(), (v.to_string(), l)))
    .collect();
    assert_eq!(got, want);
}

/// Tier 2: a real rpm sqlite database (CBL-Mariner 2.0's, from go-rpmdb's test data), edited
/// per layer with SQLite itself: two packages missing at first, one removed and reinstalled,
/// and a last layer whose file differs (vacuumed) while every header stays the same.
#[test]
fn rpm_packages_belong_to_the_layer_that_last_changed_them() {
    let Some(testdata) = drydock_testkit::shared_testdata() else {
        return;
    };
    let real = testdata.join("pkgdb/rpm/go-rpmdb-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite");
    let work = tempfile::tempdir().unwrap();
    let names: Vec<(i64, String)> = {
        let conn = rusqlite::Connection::open(&real).unwrap();
        let mut stmt = conn.prepare("SELECT hnum, key FROM Name ORDER BY hnum").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let (late, flip) = (&names[3], &names[7]);
    let variant = |label: &str, without: &[i64], vacuum: bool| -> Vec<u8> {
        let path = work.path().join(format!("{label}.sqlite"));
        std::fs::copy(&real, &path).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        // rpm removes the index rows too; drydock reads only `Packages`.
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        for h in without {
            conn.execute("DELETE FROM Packages WHERE hnum = ?1", [h]).unwrap();
        }
        if vacuum {
            conn.execute_batch("VACUUM").unwrap();
        }
        drop(conn);
        std::fs::read(&path).unwrap()
    };
    const DB: &str = "var/lib/rpm/rpmdb.sqlite";
    let full = variant("full", &[], false);
    let layers = [
        variant("first", &[late.0, flip.0], false),
        full.clone(),
        variant("removed", &[flip.0], false),
        full.clone(),
        variant("vacuumed", &[], true),
    ];
    assert_ne!(layers[4], full, "the last layer's file differs");
    let mut image = ImageBuilder::new();
    for (i, data) in layers.iter().enumerate() {
        let mut layer = LayerBuilder::new().file(DB, data);
        if i == 0 {
            layer = layer.file("etc/os-release", b"ID=mariner\nVERSION_ID=2.0\n");
        }
        image = image.layer(layer.finish(), Comp::Gzip, &format!("layer {i}"));
    }
    let dir = tempfile::tempdir().unwrap();
    image.write_oci_dir(dir.path());
    let got = layers_of(dir.path());
    assert_eq!(got.len(), names.len(), "every header of the database");
    for (_, name) in &names {
        let want = if name == &late.1 {
            1
        } else if name == &flip.1 {
            3
        } else {
            0
        };
        assert_eq!(got[name].1, want, "{name}");
    }
}
