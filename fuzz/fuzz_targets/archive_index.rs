//! Debian/Ubuntu `Release` and `Packages` indexes, Alpine `APKINDEX.tar.gz`, and the apt and
//! apk source lists that name them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drydock_vulndb::archive::parse_release(&text);
    let mut into = std::collections::BTreeMap::new();
    let _ = drydock_vulndb::archive::parse_packages(&text, &mut into);
    let _ = drydock_vulndb::archive::parse_apkindex(data);
    let _ = drydock_catalog::sources::one_line(&text, "sources.list", 10_000);
    let _ = drydock_catalog::sources::deb822(&text, "x.sources", 10_000);
    let _ = drydock_catalog::sources::apk_repositories(&text, "repositories", 10_000);
});
