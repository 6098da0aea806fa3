//! Tier 2: a real Go binary (pre-1.18 pointer layout), a Rust binary built with
//! cargo-auditable, and files that only look like candidates (a script, a truncated ELF, a
//! Windows name): packages from the first two, nothing from the rest, nothing left unscanned.

use std::collections::BTreeSet;

use drydock_catalog::{PackageType, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::shared_testdata;

#[test]
fn go_binaries_and_the_files_nothing_accounts_for() {
    let Some(data) = shared_testdata() else { return };
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::copy(data.join("pkgdb").join(from), bin.join(to)).unwrap();
        let mut perms = std::fs::metadata(bin.join(to)).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(bin.join(to), perms).unwrap();
    };
    copy("go/trivy-executable_gobinary/executable_gobinary", "gobinary");
    copy("go/trivy-negative-broken_elf/broken_elf", "broken");
    copy("go/trivy-negative-executable_bash/executable_bash", "script");
    copy("go/trivy-negative-binary.exe/binary.exe", "binary.exe");
    copy("rust/trivy-executable_rust/executable_rust", "rustbinary");
    let spec = SourceSpec::parse(&format!("dir:{}", root.path().display())).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let fs = image.scan(&wants(), &|_| {}).unwrap();
    let inv = catalog(&fs).unwrap();
    let go: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == PackageType::Golang)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("github.com/aquasecurity/test", "(devel)"),
        (
            "github.com/aquasecurity/go-pep440-version",
            "v0.0.0-20210121094942-22b2f8951d46",
        ),
        (
            "github.com/aquasecurity/go-version",
            "v0.0.0-20210121072130-637058cfe492",
        ),
        ("golang.org/x/xerrors", "v0.0.0-20200804184101-5ec99f83aff1"),
        ("stdlib", "1.15.2"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(go, want);
    let rust: BTreeSet<(String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == PackageType::Cargo)
        .map(|p| (p.name.clone(), p.version.clone(), p.locations[0].clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> =
        [("crate_with_features", "0.1.0"), ("library_crate", "0.1.0")]
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    v.to_string(),
                    "/usr/local/bin/rustbinary".to_string(),
                )
            })
            .collect();
    assert_eq!(rust, want);
    assert_eq!(
        inv.packages.len(),
        7,
        "only the Go and Rust binaries yield packages"
    );
    assert!(inv.unscanned.is_empty(), "{:?}", inv.unscanned);
}

/// Zipped Python eggs in a site-packages directory: name and version from `EGG-INFO/PKG-INFO`;
/// an egg without one yields nothing.
#[test]
fn zipped_eggs() {
    let Some(data) = shared_testdata() else { return };
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("usr/lib/python3/site-packages");
    std::fs::create_dir_all(&site).unwrap();
    for (from, to) in [
        (
            "python/trivy-egg-zip/kitchen-1.2.6-py2.7.egg",
            "kitchen-1.2.6-py2.7.egg",
        ),
        (
            "python/trivy-egg-zip-with-license-file/sample_package.egg",
            "sample_package.egg",
        ),
        (
            "python/trivy-no-req-files/no-required-files.egg",
            "no-required-files.egg",
        ),
    ] {
        std::fs::copy(data.join("pkgdb").join(from), site.join(to)).unwrap();
    }
    let spec = SourceSpec::parse(&format!("dir:{}", root.path().display())).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let fs = image.scan(&wants(), &|_| {}).unwrap();
    let got: BTreeSet<(String, String, String)> = catalog(&fs)
        .unwrap()
        .packages
        .into_iter()
        .map(|p| (p.name, p.version, p.locations[0].clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        (
            "kitchen",
            "1.2.6",
            "/usr/lib/python3/site-packages/kitchen-1.2.6-py2.7.egg",
        ),
        (
            "sample_package",
            "0.1",
            "/usr/lib/python3/site-packages/sample_package.egg",
        ),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
}

/// A `.dep-v0` section more than the tail window away from the section headers (here: 3 MiB
/// of padding moved in before them, e_shoff updated) is still found, by its content.
#[test]
fn rust_crates_far_from_the_section_headers() {
    let Some(data) = shared_testdata() else { return };
    let mut elf = std::fs::read(data.join("pkgdb/rust/trivy-executable_rust/executable_rust")).unwrap();
    let shoff = u64::from_le_bytes(elf[0x28..0x30].try_into().unwrap());
    let pad = 3usize << 20;
    let at = usize::try_from(shoff).unwrap();
    elf.splice(at..at, std::iter::repeat_n(0u8, pad));
    elf[0x28..0x30].copy_from_slice(&(shoff + pad as u64).to_le_bytes());

    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("far"), &elf).unwrap();
    let spec = SourceSpec::parse(&format!("dir:{}", root.path().display())).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let fs = image.scan(&wants(), &|_| {}).unwrap();
    let inv = catalog(&fs).unwrap();
    let got: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [("crate_with_features", "0.1.0"), ("library_crate", "0.1.0")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(inv.unscanned.is_empty(), "{:?}", inv.unscanned);
}
