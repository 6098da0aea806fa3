//! Tier 2: real Go binaries (pre-1.18 pointer layout), non-Go and broken files, and a Rust
//! binary drydock cannot read, which must be listed as unscanned rather than ignored.

use std::collections::BTreeSet;

use drydock_catalog::{Ecosystem, catalog, wants};
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
        .filter(|p| p.ecosystem == Ecosystem::Golang)
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
    assert!(
        inv.packages
            .iter()
            .all(|p| p.locations[0] == "/usr/local/bin/gobinary"),
        "only the Go binary yields packages"
    );
    let unscanned: Vec<&str> = inv.unscanned.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        unscanned,
        vec!["/usr/local/bin/rustbinary"],
        "the Rust binary is reported, not silently skipped"
    );
}
