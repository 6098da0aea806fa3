//! Distribution archive indexes: Release and Packages parsing, the Alpine APKINDEX, the layouts
//! `db import` reads, and per-part replacement in the store.

use drydock_testkit::{Comp, LayerBuilder, compress};
use drydock_vulndb::Store;
use drydock_vulndb::archive::{self, Published};

const IN_RELEASE: &str = "-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Label: Debian-Security
Suite: oldstable-security
Version: 12
Codename: bookworm-security
Date: Sat, 28 Nov 2026 02:53:00 UTC
Architectures: amd64 arm64
Components: updates/main
Description: Debian 12 - Security Updates
SHA256:
 0123 100 main/binary-amd64/Packages
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
";

#[test]
fn release_fields_come_out_of_the_clear_signed_wrapper() {
    let r = archive::parse_release(IN_RELEASE).unwrap();
    assert_eq!(r.distro().as_deref(), Some("debian"));
    assert_eq!(r.codename.as_deref(), Some("bookworm-security"));
    assert_eq!(r.suite.as_deref(), Some("oldstable-security"));
    assert_eq!(r.version.as_deref(), Some("12"));
    assert_eq!(r.date.as_deref(), Some("2026-11-28T02:53:00Z"));
    assert_eq!(r.components, ["updates/main"]);
    assert_eq!(r.architectures, ["amd64", "arm64"]);
    assert!(archive::parse_release("Package: x\nVersion: 1\n").is_err());
    // Either a Suite or a Codename names the suite; one is enough.
    let suite_only = archive::parse_release("Origin: Example\nSuite: stable\n").unwrap();
    assert_eq!(suite_only.suite.as_deref(), Some("stable"));
    let codename_only = archive::parse_release("Origin: Example\nCodename: bookworm\n").unwrap();
    assert_eq!(codename_only.codename.as_deref(), Some("bookworm"));
}

const PACKAGES: &str = "Package: libssl3
Source: openssl
Version: 3.0.17-1~deb12u2
Architecture: amd64
Description: Secure Sockets Layer toolkit
 - shared libraries

Package: libssl3
Source: openssl
Version: 3.0.17-1~deb12u3
Architecture: amd64

Package: python3
Source: python3-defaults (3.11.2-1)
Version: 3.11.2-1+b1
Architecture: amd64
";

#[test]
fn packages_keep_the_newest_build_and_its_source_version() {
    let mut into = std::collections::BTreeMap::new();
    assert_eq!(archive::parse_packages(PACKAGES, &mut into).unwrap(), 3);
    assert_eq!(Published::decode(&into["libssl3"]).version, "3.0.17-1~deb12u3");
    let python = Published::decode(&into["python3"]);
    assert_eq!(
        (python.version.as_str(), python.source_version.as_str()),
        ("3.11.2-1+b1", "3.11.2-1")
    );
    let err = archive::parse_packages("Package: x\nArchitecture: all\n", &mut into).unwrap_err();
    assert!(matches!(err, drydock_vulndb::Malformation::Stanza(1)), "{err}");
    // A source version equal to the binary's is not stored apart; empty fields and stanzas
    // of other fields are refused; blank stanzas are nothing.
    let mut into = std::collections::BTreeMap::new();
    let text = "Package: zlib1g\nSource: zlib (1:1.2.13)\nVersion: 1:1.2.13\n\n\n\n";
    assert_eq!(archive::parse_packages(text, &mut into).unwrap(), 1);
    assert_eq!(into["zlib1g"], "1:1.2.13");
    for bad in [
        "Package: a\nVersion:\n",
        "Package:\nVersion: 1\n",
        "Description: x\n",
    ] {
        assert!(archive::parse_packages(bad, &mut into).is_err(), "{bad:?}");
    }
}

fn release_for(codename: &str, suite: &str) -> String {
    format!(
        "Origin: Debian\nSuite: {suite}\nCodename: {codename}\nVersion: 12\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nArchitectures: amd64\nComponents: main contrib\n"
    )
}

#[test]
fn a_release_with_its_packages_imports_every_part_and_reimport_replaces_one() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("dists/bookworm");
    std::fs::create_dir_all(suite.join("main/binary-amd64")).unwrap();
    std::fs::create_dir_all(suite.join("contrib/binary-amd64")).unwrap();
    std::fs::write(suite.join("Release"), release_for("bookworm", "oldstable")).unwrap();
    std::fs::write(
        suite.join("main/binary-amd64/Packages.gz"),
        compress(PACKAGES.as_bytes(), Comp::Gzip),
    )
    .unwrap();
    std::fs::write(
        suite.join("contrib/binary-amd64/Packages"),
        "Package: libssl3\nVersion: 3.0.18-1\n\nPackage: contrib-only\nVersion: 1.0\n",
    )
    .unwrap();
    let store = Store::in_memory().unwrap();
    let imported = drydock_vulndb::import_path(&store, &suite.join("Release")).unwrap();
    assert!(imported.sources.is_empty());
    let parts: Vec<(String, String, u64)> = imported
        .archives
        .iter()
        .map(|a| (a.suite.clone(), a.part.clone(), a.packages))
        .collect();
    assert_eq!(
        parts,
        [
            ("bookworm".into(), "main/binary-amd64".into(), 2),
            ("bookworm".into(), "contrib/binary-amd64".into(), 2)
        ]
    );
    assert_eq!(imported.archives[0].date.as_deref(), Some("2026-07-11T10:16:37Z"));
    let versions = store.archive_versions("debian", "bookworm", "libssl3").unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");

    // One Packages file alone: its suite's Release two folders up names it; the other part stays.
    std::fs::write(
        suite.join("contrib/binary-amd64/Packages"),
        "Package: other\nVersion: 2\n",
    )
    .unwrap();
    drydock_vulndb::import_path(&store, &suite.join("contrib/binary-amd64/Packages")).unwrap();
    assert!(
        store
            .archive_versions("debian", "bookworm", "contrib-only")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .archive_versions("debian", "bookworm", "other")
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.archive_versions("debian", "bookworm", "libssl3").unwrap(),
        [("main/binary-amd64".to_string(), "3.0.17-1~deb12u3".to_string())]
    );
    assert_eq!(store.archive_parts().unwrap().len(), 2);
}

#[test]
fn a_lone_packages_file_without_its_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("main/binary-amd64");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("Packages"), PACKAGES).unwrap();
    let store = Store::in_memory().unwrap();
    let err = drydock_vulndb::import_path(&store, &folder.join("Packages"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Release file is not beside it"), "{err}");
}

#[test]
fn alpine_apkindex_imports_under_branch_and_repository() {
    let index = "C:Q1abc=\nP:busybox\nV:1.36.1-r15\nA:x86_64\no:busybox\n\nC:Q1def=\nP:busybox\nV:1.36.1-r9\nA:x86_64\n\nP:musl\nV:1.2.4_git20230717-r4\n";
    let tar = LayerBuilder::new()
        .file("DESCRIPTION", b"v3.19.1-100-gabc")
        .file("APKINDEX", index.as_bytes())
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("v3.19/main/x86_64");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("APKINDEX.tar.gz"), compress(&tar, Comp::Gzip)).unwrap();
    let store = Store::in_memory().unwrap();
    let imported = drydock_vulndb::import_path(&store, &folder.join("APKINDEX.tar.gz")).unwrap();
    assert_eq!(imported.archives.len(), 1);
    assert_eq!(imported.archives[0].suite, "v3.19/main");
    assert_eq!(imported.archives[0].version.as_deref(), Some("3.19"));
    let busybox = store.archive_versions("alpine", "v3.19/main", "busybox").unwrap();
    assert_eq!(busybox, [("x86_64".to_string(), "1.36.1-r15".to_string())]);

    std::fs::write(folder.join("APKINDEX.tar.gz"), compress(b"not a tar", Comp::Gzip)).unwrap();
    assert!(drydock_vulndb::import_path(&store, &folder.join("APKINDEX.tar.gz")).is_err());
}

#[test]
fn releases_map_to_their_suites() {
    assert_eq!(
        archive::suites_for("debian", "12").unwrap(),
        ["bookworm", "bookworm-updates", "bookworm-security"]
    );
    assert_eq!(
        archive::suites_for("ubuntu", "22.04").unwrap(),
        ["jammy", "jammy-updates", "jammy-security"]
    );
    assert_eq!(
        archive::suites_for("alpine", "3.19.1").unwrap(),
        ["v3.19/main", "v3.19/community"]
    );
    let unknown = archive::suites_for("debian", "99").unwrap_err().to_string();
    assert!(
        unknown.starts_with("debian:99: unknown release (known: "),
        "{unknown}"
    );
}
