//! The dpkg detector end to end on a synthetic two-layer image: which paragraphs count as
//! installed, which layer installed each package (the last that changed its entry), the files
//! each owns (`info/*.list`, arch-qualified or not, directories' `/.` left out), installed
//! sizes in bytes, distroless `status.d` with its `.md5sums`, and the warnings for what could
//! not be read. Every expectation is written here from the files the test builds.

use std::collections::BTreeMap;

use drydock_catalog::{Package, PackageType, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

const LIBC: &str = "Package: libc6\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nSource: glibc (2.36-9+deb12u4)\nVersion: 2.36-9+deb12u4\nInstalled-Size: 12000\nDepends: libgcc-s1\n";
const ZLIB_1: &str = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nInstalled-Size: 168\n";
const ZLIB_2: &str = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1+b1\nInstalled-Size: 168\n";
const GONE: &str =
    "Package: oldpkg\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1\n";
const BROKEN: &str = "Package: noversion\nStatus: install ok installed\nArchitecture: amd64\n";
const CURL: &str =
    "Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n";

fn status(paragraphs: &[&str]) -> Vec<u8> {
    paragraphs.join("\n").into_bytes()
}

fn packages() -> (BTreeMap<String, Package>, Vec<String>) {
    let base = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file("var/lib/dpkg/status", &status(&[LIBC, ZLIB_1, GONE, BROKEN]))
        .file(
            "var/lib/dpkg/info/libc6:amd64.list",
            b"/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6/.\n\n",
        )
        .file(
            "var/lib/dpkg/info/zlib1g.list",
            b"/usr/lib/x86_64-linux-gnu/libz.so.1\n",
        )
        .finish();
    // The second layer upgrades zlib1g, adds curl, rewrites libc6's paragraph unchanged, and
    // ships a distroless status.d entry beside a file that holds no paragraph.
    let second = LayerBuilder::new()
        .file(
            "var/lib/dpkg/status",
            &status(&[CURL, LIBC, ZLIB_2, GONE, BROKEN]),
        )
        .file(
            "var/lib/dpkg/status.d/tzdata",
            b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
        )
        .file(
            "var/lib/dpkg/status.d/tzdata.md5sums",
            b"0123abcd  usr/share/zoneinfo/UTC\n",
        )
        .file("var/lib/dpkg/status.d/junk", b"not a paragraph\n")
        .finish();
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "base")
        .layer(second, Comp::Gzip, "apt-get install curl")
        .write_oci_dir(dir.path());
    let spec = SourceSpec::parse(&dir.path().display().to_string()).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let fs = image.scan(&wants(), &|_| {}).unwrap();
    let inventory = catalog(&fs).unwrap();
    let deb = inventory
        .packages
        .into_iter()
        .filter(|p| p.ecosystem == PackageType::Deb)
        .map(|p| (p.name.clone(), p))
        .collect();
    (deb, inventory.warnings)
}

#[test]
fn dpkg_packages_layers_files_sizes_and_warnings() {
    let (deb, warnings) = packages();
    let names: Vec<&str> = deb.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["curl", "libc6", "tzdata", "zlib1g"],
        "installed only: oldpkg and noversion are not"
    );
    let layers: Vec<(&str, Option<usize>)> = deb.iter().map(|(n, p)| (n.as_str(), p.layer)).collect();
    assert_eq!(
        layers,
        [
            ("curl", Some(1)),
            ("libc6", Some(0)),
            ("tzdata", Some(1)),
            ("zlib1g", Some(1))
        ],
        "libc6's unchanged paragraph stays with the base layer"
    );
    let libc = &deb["libc6"];
    assert_eq!(libc.files, ["/lib", "/lib/x86_64-linux-gnu/libc.so.6"]);
    assert_eq!(libc.installed_size, Some(12000 * 1024));
    assert_eq!(libc.source_name.as_deref(), Some("glibc"));
    assert_eq!(libc.source_version.as_deref(), Some("2.36-9+deb12u4"));
    assert!(libc.essential, "Priority: required");
    assert_eq!(libc.depends, ["libgcc-s1"]);
    assert_eq!(libc.locations, ["/var/lib/dpkg/status"]);
    let zlib = &deb["zlib1g"];
    assert_eq!(zlib.version, "1:1.2.13.dfsg-1+b1");
    assert_eq!(
        zlib.files,
        ["/usr/lib/x86_64-linux-gnu/libz.so.1"],
        "a .list without the arch"
    );
    assert_eq!(zlib.installed_size, Some(168 * 1024));
    assert!(deb["curl"].files.is_empty(), "no .list file");
    assert_eq!(
        deb["curl"].source_name.as_deref(),
        Some("curl"),
        "no Source: the package itself"
    );
    let tz = &deb["tzdata"];
    assert_eq!(tz.files, ["/usr/share/zoneinfo/UTC"]);
    assert_eq!(tz.locations, ["/var/lib/dpkg/status.d/tzdata"]);
    assert!(
        warnings
            .iter()
            .any(|w| w == "/var/lib/dpkg/status: skipped 1 paragraph(s) without Package or Version"),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w == "/var/lib/dpkg/status.d/junk: no dpkg paragraph with Package and Version"),
        "{warnings:?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("tzdata")), "{warnings:?}");
}

/// A status listing more packages than any system installs is an error naming it: each
/// package costs memory, and a small status of minimal paragraphs could list millions. At the
/// limit, every package is there.
#[test]
fn a_status_of_too_many_packages_is_an_error() {
    let read = |n: usize| {
        let text: String = (0..n)
            .map(|i| format!("Package: p{i}\nStatus: install ok installed\nVersion: 1\n\n"))
            .collect();
        let layer = LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
            .file("var/lib/dpkg/status", text.as_bytes())
            .finish();
        let dir = tempfile::tempdir().unwrap();
        ImageBuilder::new()
            .layer(layer, Comp::Gzip, "base")
            .write_oci_dir(dir.path());
        let spec = SourceSpec::parse(&dir.path().display().to_string()).unwrap();
        let fs = Image::open(&spec, &Platform::default())
            .unwrap()
            .scan(&wants(), &|_| {})
            .unwrap();
        catalog(&fs)
    };
    let max = drydock_catalog::MAX_DATABASE_PACKAGES;
    assert_eq!(read(max).unwrap().packages.len(), max);
    let err = read(max + 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "/var/lib/dpkg/status: lists more than {max} packages; drydock stops rather than hold them all"
        )
    );
}
