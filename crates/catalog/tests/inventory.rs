//! The inventory around the detectors, on synthetic images: the OS databases' size limits,
//! the layer cache's analyzer version, the warnings about the OS, and the ELF files no package
//! accounts for. Every expectation is written here from the files the test builds.

use drydock_catalog::{Inventory, UnscannedKind, analyzer_version, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn inventory(layer: Vec<u8>) -> Inventory {
    inventory_within(layer, wants().budget)
}

/// The inventory of a one-layer image, read with a budget of `budget` bytes.
fn inventory_within(layer: Vec<u8>, budget: u64) -> Inventory {
    catalog_within(layer, budget).unwrap()
}

/// The catalog of a one-layer image read with a budget of `budget` bytes, or its error.
fn catalog_within(layer: Vec<u8>, budget: u64) -> Result<Inventory, drydock_catalog::Error> {
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "base")
        .write_oci_dir(dir.path());
    let spec = SourceSpec::parse(&dir.path().display().to_string()).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let mut wants = wants();
    wants.budget = budget;
    let fs = image.scan(&wants, &|_| {}).unwrap();
    catalog(&fs)
}

/// A 64-bit little-endian ELF header of type `e_type` (2 executable, 3 shared object), padded.
fn elf(e_type: u16) -> Vec<u8> {
    let mut b = vec![0u8; 256];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2;
    b[5] = 1;
    b[6] = 1;
    b[16..18].copy_from_slice(&e_type.to_le_bytes());
    b
}

#[test]
fn os_databases_have_their_own_limits() {
    let w = wants();
    for db in [
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "usr/lib/apk/db/installed",
    ] {
        assert_eq!(w.wanted(db), Some((64 << 20, true)), "{db}");
    }
    for db in [
        "var/lib/rpm/Packages",
        "var/lib/rpm/Packages.db",
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages.db",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
    ] {
        assert_eq!(w.wanted(db), Some((384 << 20, true)), "{db}");
    }
}

#[test]
fn the_analyzer_version_is_a_stable_digest() {
    let v = analyzer_version();
    assert_eq!(v.len(), 16, "{v}");
    assert!(v.bytes().all(|b| b.is_ascii_hexdigit()), "{v}");
    assert_eq!(v, analyzer_version());
}

#[test]
fn a_missing_or_unknown_os_is_said() {
    let warnings = |layer: Vec<u8>| inventory(layer).warnings;
    let none = warnings(LayerBuilder::new().file("srv/app", b"x").finish());
    assert!(none.iter().any(|w| w.starts_with("no OS identified")), "{none:?}");
    let unknown = warnings(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=plan9\nVERSION_ID=4\n")
            .finish(),
    );
    assert!(
        unknown
            .iter()
            .any(|w| w.starts_with("OS \"plan9\" (etc/os-release) is not one drydock knows")),
        "{unknown:?}"
    );
    let known = warnings(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
            .finish(),
    );
    assert!(
        !known
            .iter()
            .any(|w| w.contains("not one drydock knows") || w.starts_with("no OS identified")),
        "{known:?}"
    );
}

#[test]
fn unscanned_lists_the_elf_files_no_package_accounts_for() {
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file(
            "var/lib/dpkg/status",
            b"Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n",
        )
        .file("var/lib/dpkg/info/tool.list", b"/usr/bin/owned\n")
        .file("usr/bin/owned", &elf(2))
        .file("usr/local/bin/stray", &elf(2))
        .file("usr/local/bin/pie", &elf(3))
        .file("usr/local/lib/libstray.so.1", &elf(3))
        .file(
            "usr/lib/python3/site-packages/pkg-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
        )
        .file("usr/lib/python3/site-packages/pkg/_native.so", &elf(3))
        .file(
            "usr/lib/python3/dist-packages/other-2.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: other\nVersion: 2.0\n",
        )
        .file("usr/lib/python3/dist-packages/other/_c.so", &elf(3))
        .file(
            "usr/lib/node_modules/addon/package.json",
            br#"{"name": "addon", "version": "1.0.0"}"#,
        )
        .file("usr/lib/node_modules/addon/build/addon.node", &elf(3))
        .finish();
    let inv = inventory(layer);
    let unscanned: Vec<(&str, usize, UnscannedKind)> = inv
        .unscanned
        .iter()
        .map(|u| (u.path.as_str(), u.layer, u.kind))
        .collect();
    assert_eq!(
        unscanned,
        [
            ("/usr/local/bin/pie", 0, UnscannedKind::Executable),
            ("/usr/local/bin/stray", 0, UnscannedKind::Executable),
            ("/usr/local/lib/libstray.so.1", 0, UnscannedKind::SharedLibrary),
        ]
    );
}

/// A language package whose metadata an OS package installed belongs to it, even when the OS
/// package lists the path through merged `/usr` (`/lib/...` for `/usr/lib/...`); one no OS
/// package lists belongs to none.
#[test]
fn os_packages_own_the_language_packages_they_installed() {
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .symlink("lib", "usr/lib")
        .file(
            "var/lib/dpkg/status",
            b"Package: python3-pip\nStatus: install ok installed\nArchitecture: all\nVersion: 23.0.1+dfsg-1\n",
        )
        .file(
            "var/lib/dpkg/info/python3-pip.list",
            b"/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA\n",
        )
        .file(
            "usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: pip\nVersion: 23.0.1\n",
        )
        .file(
            "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
        )
        .finish();
    let inv = inventory(layer);
    let owner = |name: &str| {
        inv.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not found"))
            .owner
            .clone()
    };
    assert_eq!(owner("pip").as_deref(), Some("deb:python3-pip"));
    assert_eq!(owner("requests"), None);
    assert_eq!(owner("python3-pip"), None);
}

/// One `installed` record, field by field, as apk-tools writes it.
#[test]
fn apk_records_read_field_by_field() {
    let e = drydock_catalog::apk::parse_entry(
        "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nL:Apache-2.0\nI:4661248\nD:so:libc.musl-x86_64.so.1 !libressl musl>=1.2\nF:lib\nR:libcrypto.so.3\nR:libcrypto.so.3.1\nF:usr/lib/engines-3\nR:afalg.so\n",
    )
    .unwrap();
    assert_eq!((e.name.as_str(), e.version.as_str()), ("libcrypto3", "3.1.4-r5"));
    assert_eq!(e.arch.as_deref(), Some("x86_64"));
    assert_eq!(e.origin.as_deref(), Some("openssl"));
    assert_eq!(e.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(e.installed_size, Some(4_661_248));
    assert_eq!(e.depends, ["musl"]);
    assert_eq!(
        e.files,
        [
            "/lib/libcrypto.so.3",
            "/lib/libcrypto.so.3.1",
            "/usr/lib/engines-3/afalg.so"
        ]
    );
    assert!(drydock_catalog::apk::parse_entry("P:x\n").is_none());
    assert!(drydock_catalog::apk::parse_entry("V:1\n").is_none());
}

/// A runtime recognised inside a binary an OS package installed is that OS package: it is not
/// reported again. The same runtime copied in by hand is.
#[test]
fn a_runtime_an_os_package_installed_is_not_reported_twice() {
    let node = |version: &str| {
        let mut b = elf(2);
        b.extend_from_slice(format!("\0node.js/v{version}\0").as_bytes());
        b.extend_from_slice(&[0u8; 64]);
        b
    };
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file(
            "var/lib/dpkg/status",
            b"Package: nodejs\nStatus: install ok installed\nArchitecture: amd64\nVersion: 18.19.0+dfsg-6~deb12u1\n",
        )
        .file("var/lib/dpkg/info/nodejs.list", b"/usr/bin/node\n")
        .file("usr/bin/node", &node("18.19.0"))
        .file("usr/local/bin/node", &node("20.11.1"))
        .finish();
    let inv = inventory(layer);
    let generic: Vec<(&str, &str, &[String])> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == drydock_catalog::PackageType::Generic)
        .map(|p| (p.name.as_str(), p.version.as_str(), p.locations.as_slice()))
        .collect();
    assert_eq!(
        generic,
        [("node", "20.11.1", &["/usr/local/bin/node".to_string()][..])]
    );
}

/// The apk detector reads `lib/apk/db/installed` of an Alpine image: its packages, with the
/// origin Alpine's advisories name.
#[test]
fn alpine_images_list_their_apk_packages() {
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n")
        .file(
            "lib/apk/db/installed",
            b"P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n",
        )
        .finish();
    let inv = inventory(layer);
    let apk: Vec<(&str, &str, Option<&str>)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == drydock_catalog::PackageType::Apk)
        .map(|p| (p.name.as_str(), p.version.as_str(), p.source_name.as_deref()))
        .collect();
    assert_eq!(
        apk,
        [
            ("libcrypto3", "3.1.4-r5", Some("openssl")),
            ("musl", "1.2.4_git20230717-r4", Some("musl"))
        ]
    );
}

/// An image that lists more packages than any real one stops at the limit, with a warning that
/// says some are missing: every package costs memory until the report is written. OS packages
/// count too.
#[test]
fn language_packages_stop_at_the_image_limit_with_a_warning() {
    let max = drydock_catalog::MAX_IMAGE_PACKAGES;
    let layer = |npm: usize| {
        let mut l = LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
            .file(
                "var/lib/dpkg/status",
                b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\n\nPackage: zlib1g\nStatus: install ok installed\nVersion: 1.2\n",
            );
        for i in 0..npm {
            let manifest = format!(r#"{{"name":"p{i}","version":"1.0.0"}}"#);
            l = l.file(
                &format!("app/node_modules/p{i}/package.json"),
                manifest.as_bytes(),
            );
        }
        l.finish()
    };
    let at_limit = inventory(layer(max - 2));
    assert_eq!(at_limit.packages.len(), max);
    assert!(
        !at_limit.warnings.iter().any(|w| w.contains("stopped listing")),
        "{:?}",
        at_limit.warnings
    );
    let over = inventory(layer(max));
    assert_eq!(over.packages.len(), max);
    let warning = format!(
        "more than {max} packages in the image: drydock stopped listing them here, so some are missing"
    );
    assert_eq!(
        over.warnings.iter().filter(|w| **w == warning).count(),
        1,
        "{:?}",
        over.warnings
    );
}

/// The packages listed draw from the same budget as the files read: once they hold what the
/// read left, a language detector stops with one warning that says some are missing.
#[test]
fn language_packages_stop_where_the_read_budget_ends() {
    let mut l = LayerBuilder::new().file("etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    l = l.file(
        "var/lib/dpkg/status",
        b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\n",
    );
    for i in 0..2_000 {
        let manifest = format!(r#"{{"name":"p{i}","version":"1.0.0"}}"#);
        l = l.file(
            &format!("app/node_modules/p{i}/package.json"),
            manifest.as_bytes(),
        );
    }
    let layer = l.finish();
    let warning = "the packages listed so far hold what the read budget leaves: drydock stopped listing them here, so some are missing (--read-budget raises it)";
    let roomy = inventory_within(layer.clone(), 8 << 20);
    assert_eq!(roomy.packages.len(), 2_001);
    assert!(
        !roomy.warnings.iter().any(|w| w == warning),
        "{:?}",
        roomy.warnings
    );
    // 2 MiB: the read itself (2,000 recorded manifests and their bytes) fits; not all the
    // packages do.
    let tight = inventory_within(layer, 2 << 20);
    assert!(
        !tight.warnings.iter().any(|w| w.contains("was not read")),
        "{:?}",
        tight.warnings
    );
    let listed = tight.packages.len();
    assert!((100..2_000).contains(&listed), "{listed}");
    assert!(tight.packages.iter().any(|p| p.name == "libc6"));
    assert_eq!(
        tight.warnings.iter().filter(|w| *w == warning).count(),
        1,
        "{:?}",
        tight.warnings
    );
}

/// An OS database's packages draw from the read budget too; past what the read left, the
/// result is an error, never an inventory without them.
#[test]
fn os_packages_past_the_read_budget_are_an_error() {
    let mut status = String::new();
    for i in 0..2_000 {
        status.push_str(&format!(
            "Package: p{i}\nStatus: install ok installed\nVersion: 1.0\nDepends: libc6, zlib1g\n\n"
        ));
    }
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file("var/lib/dpkg/status", status.as_bytes())
        .finish();
    let read = |budget: u64| catalog_within(layer.clone(), budget);
    assert_eq!(read(8 << 20).unwrap().packages.len(), 2_000);
    // 1 MiB holds the 180 KB status, not the 2,000 packages made from it.
    let err = read(1 << 20).err().unwrap().to_string();
    assert!(err.starts_with("the dpkg packages take more than the "), "{err}");
    assert!(
        err.ends_with(
            " bytes the read budget leaves; drydock stops rather than hold them all (--read-budget raises it)"
        ),
        "{err}"
    );
}

/// An OS package's file list draws from the read budget as it is read: a list of many short
/// paths weighs several times its text, so the read stops at the budget with the error, not
/// after holding it all.
#[test]
fn os_file_lists_past_the_read_budget_are_an_error() {
    let list: String = (0..60_000).map(|i| format!("/u/{i}\n")).collect();
    let apk_files: String = (0..60_000).map(|i| format!("R:{i}\n")).collect();
    let images = [
        (
            "dpkg",
            LayerBuilder::new()
                .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
                .file(
                    "var/lib/dpkg/status",
                    b"Package: base-files\nStatus: install ok installed\nVersion: 12.4\n",
                )
                .file("var/lib/dpkg/info/base-files.list", list.as_bytes())
                .finish(),
        ),
        (
            "apk",
            LayerBuilder::new()
                .file("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n")
                .file(
                    "lib/apk/db/installed",
                    format!("P:musl\nV:1.2.4-r2\nF:lib\n{apk_files}").as_bytes(),
                )
                .finish(),
        ),
    ];
    for (detector, layer) in images {
        let read = |budget: u64| catalog_within(layer.clone(), budget);
        // 8 MiB: the list's text, its 60,000 paths as they are read (24 bytes and a few each),
        // and the package holding them.
        let whole = read(8 << 20).unwrap();
        assert_eq!(whole.packages.len(), 1, "{detector}");
        assert_eq!(whole.packages[0].files.len(), 60_000, "{detector}");
        // 2 MiB holds the list's text (under 600 KB), not its 60,000 paths.
        let err = read(2 << 20).err().unwrap().to_string();
        let database = if detector == "dpkg" {
            "/var/lib/dpkg/status"
        } else {
            "/lib/apk/db/installed"
        };
        assert!(
            err.starts_with(&format!(
                "{database}: the file lists of its packages take more than the "
            )),
            "{err}"
        );
    }
}
