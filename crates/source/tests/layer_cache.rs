//! Tier 1: the layer cache — a warm scan gives the same filesystem without reading the layers;
//! corrupt or truncated entries are misses and are removed; concurrent scans sharing the cache
//! agree; eviction keeps it bounded; another analyzer version never reads old entries; a layer
//! that fails verification is never stored.

use std::path::{Path, PathBuf};

use drydock_source::{Filesystem, Image, LayerCache, Platform, SourceSpec, Wants};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn wants() -> Wants {
    let mut w = Wants::new();
    for p in ["etc/os-release", "var/lib/dpkg/status", "**/*.dist-info/METADATA"] {
        w.add(p);
    }
    w
}

fn image() -> ImageBuilder {
    let base = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file("var/lib/dpkg/status", b"Package: a\nVersion: 1\n")
        .symlink("usr/bin/sh", "dash")
        .finish();
    let app = LayerBuilder::new()
        .whiteout("etc/os-release")
        .file(
            "var/lib/dpkg/status",
            b"Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n",
        )
        .file("app/x-1.0.dist-info/METADATA", b"Name: x\nVersion: 1.0\n")
        .finish();
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "ADD rootfs.tar /")
        .layer(app, Comp::Zstd, "RUN install b")
}

fn scan(dir: &Path, cache: Option<&LayerCache>) -> Result<Filesystem, drydock_source::Error> {
    let spec = SourceSpec::parse(&format!("oci:{}", dir.display()))?;
    let mut image = Image::open(&spec, &Platform::default())?;
    image.scan_cached(&wants(), cache, &|_| {})
}

/// What a detector sees of a filesystem, to compare scans.
fn view(fs: &Filesystem) -> Vec<String> {
    let mut out: Vec<String> = fs
        .nodes()
        .map(|(p, n)| format!("{p} {} {:?}", n.layer, n.kind))
        .collect();
    for path in [
        "var/lib/dpkg/status",
        "etc/os-release",
        "app/x-1.0.dist-info/METADATA",
    ] {
        for r in fs.history(path) {
            out.push(format!(
                "{path}@{}={:?}",
                r.layer,
                r.data.as_deref().map(String::from_utf8_lossy)
            ));
        }
    }
    out
}

fn entries(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for v in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for e in std::fs::read_dir(v.path()).into_iter().flatten().flatten() {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

fn blobs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn a_warm_scan_reads_no_layer_and_sees_the_same_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("img");
    image().write_oci_dir(&dir);
    let root = tmp.path().join("cache");
    let cache = LayerCache::new(&root, "analyzer-1", 1 << 30);
    let cold = view(&scan(&dir, Some(&cache)).unwrap());
    assert_eq!(cold, view(&scan(&dir, None).unwrap()));
    // Each layer under its blob digest and its diff_id.
    assert_eq!(entries(&root).len(), 4);
    // The layer blobs are gone: only the cache can answer.
    let layer_blobs: Vec<PathBuf> = blobs(&dir)
        .into_iter()
        .filter(|p| {
            std::fs::metadata(p).unwrap().len() > 0
                && !String::from_utf8_lossy(&std::fs::read(p).unwrap()).starts_with('{')
        })
        .collect();
    assert_eq!(layer_blobs.len(), 2);
    for b in &layer_blobs {
        std::fs::remove_file(b).unwrap();
    }
    assert_eq!(view(&scan(&dir, Some(&cache)).unwrap()), cold);
    assert!(
        scan(&dir, None).is_err(),
        "without the cache the missing blobs are an error"
    );
    // Another analyzer version never reads these entries.
    let other = LayerCache::new(&root, "analyzer-2", 1 << 30);
    assert!(scan(&dir, Some(&other)).is_err());
}

#[test]
fn corrupt_and_truncated_entries_are_misses_and_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("img");
    image().write_oci_dir(&dir);
    let root = tmp.path().join("cache");
    let cache = LayerCache::new(&root, "a", 1 << 30);
    let want = view(&scan(&dir, Some(&cache)).unwrap());
    let files = entries(&root);
    // One flipped byte, one truncated, one emptied, one replaced by garbage.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&files[0], &bytes).unwrap();
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..bytes.len() - 7]).unwrap();
    std::fs::write(&files[2], b"").unwrap();
    std::fs::write(&files[3], b"drydock-layer\n\x01\x00\x00\x00garbage").unwrap();
    assert_eq!(
        view(&scan(&dir, Some(&cache)).unwrap()),
        want,
        "misses read the layers again"
    );
    // The bad entries were replaced by good ones: a scan without the blobs now works.
    for f in entries(&root) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            bytes.starts_with(b"drydock-layer\n") && bytes.len() > 100,
            "{}",
            f.display()
        );
    }
}

#[test]
fn concurrent_scans_sharing_the_cache_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("img");
    image().write_oci_dir(&dir);
    let want = view(&scan(&dir, None).unwrap());
    let root = tmp.path().join("cache");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let cache = LayerCache::new(&root, "a", 1 << 30);
                    (0..5)
                        .map(|_| view(&scan(&dir, Some(&cache)).unwrap()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for got in h.join().unwrap() {
                assert_eq!(got, want);
            }
        }
    });
    // No temporary file is left, and every entry is whole.
    for f in entries(&root) {
        assert_eq!(f.extension().unwrap(), "layer", "{}", f.display());
    }
    assert_eq!(entries(&root).len(), 4);
}

#[test]
fn eviction_keeps_the_cache_within_its_bound_least_recently_used_first() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cache");
    let mut dirs = Vec::new();
    for i in 0..4 {
        let dir = tmp.path().join(format!("img{i}"));
        let layer = LayerBuilder::new()
            .file(
                "var/lib/dpkg/status",
                format!("Package: p{i}\nVersion: 1\n{}", "x".repeat(20_000)).as_bytes(),
            )
            .finish();
        ImageBuilder::new()
            .layer(layer, Comp::None, "ADD x /")
            .write_oci_dir(&dir);
        dirs.push(dir);
    }
    // Room for about two single-layer images (each stored once: blob digest = diff_id).
    let cache = LayerCache::new(&root, "a", 50_000);
    for dir in &dirs {
        scan(dir, Some(&cache)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = LayerCache::root_status(&root);
    assert!(status.bytes <= 50_000, "{status:?}");
    assert!(status.entries >= 1 && status.entries < 4, "{status:?}");
    // The newest image is the one kept.
    for b in blobs(&dirs[3]) {
        if std::fs::read(&b).unwrap().starts_with(b"{") {
            continue;
        }
        std::fs::remove_file(b).unwrap();
    }
    assert!(scan(&dirs[3], Some(&cache)).is_ok());
    assert_eq!(LayerCache::clean(&root).unwrap(), status);
    assert_eq!(LayerCache::root_status(&root).entries, 0);
}

#[test]
fn a_layer_that_fails_verification_is_never_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("img");
    let mut builder = image();
    builder.wrong_diff_id = Some(1);
    builder.write_oci_dir(&dir);
    let root = tmp.path().join("cache");
    let cache = LayerCache::new(&root, "a", 1 << 30);
    assert!(scan(&dir, Some(&cache)).is_err());
    assert!(
        scan(&dir, Some(&cache)).is_err(),
        "still an error: nothing of the bad layer was cached"
    );
    assert!(
        entries(&root).len() <= 2,
        "only the good layer is stored: {:?}",
        entries(&root)
    );
}

/// A layer taken from the cache draws from the read budget as a layer read does: the same
/// amount for its entries (symlinks, whiteouts, fingerprints) and files, the same files left
/// out, the same errors for entries past the budget or the entry count. A cached layer whose
/// files no longer fit is read again, so the files that do fit are kept and the rest named.
#[test]
fn cached_layers_draw_from_the_read_budget_as_read_ones_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("img");
    let base = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file("var/lib/dpkg/status", b"Package: a\nVersion: 1\n")
        .symlink("usr/bin/sh", "dash")
        .whiteout("etc/old")
        .opaque("opt/empty")
        .dir("usr/share/doc")
        .dir("usr/share/man")
        .file("usr/share/doc/a", b"a")
        .file("usr/share/doc/b", b"b")
        .finish();
    let app = LayerBuilder::new()
        .file("app/x-1.0.dist-info/METADATA", &[b'm'; 3000])
        .file("usr/share/doc/c", b"c")
        .finish();
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "ADD rootfs.tar /")
        .layer(app, Comp::Gzip, "RUN install x")
        .write_oci_dir(&dir);
    let cache = LayerCache::new(&tmp.path().join("cache"), "analyzer-1", 1 << 30);
    let read = |budget: u64, max_entries: u64, cache: Option<&LayerCache>| {
        let spec = SourceSpec::parse(&format!("oci:{}", dir.display())).unwrap();
        let mut image = Image::open(&spec, &Platform::default()).unwrap();
        let mut w = wants();
        w.budget = budget;
        w.max_entries = max_entries;
        image.scan_cached(&w, cache, &|_| {})
    };
    let skipped = |fs: &Filesystem| -> Vec<String> { fs.skipped().iter().map(|s| s.path.clone()).collect() };
    // Cold, with room: every layer is cached with its files; warm, the same is taken.
    let cold = read(1 << 20, 100, Some(&cache)).unwrap();
    assert!(cold.read("app/x-1.0.dist-info/METADATA").is_some());
    let warm = read(1 << 20, 100, Some(&cache)).unwrap();
    assert_eq!(view(&warm), view(&cold));
    assert_eq!(warm.pool_left(), cold.pool_left());
    // 4,000 bytes: the 3,000-byte METADATA passes the three quarters files may use; the rest
    // fit. The base comes from the cache, the other layer is read again.
    let uncached = read(4000, 100, None).unwrap();
    let warm = read(4000, 100, Some(&cache)).unwrap();
    assert_eq!(skipped(&uncached), ["app/x-1.0.dist-info/METADATA"]);
    assert_eq!(skipped(&warm), skipped(&uncached));
    assert!(warm.read("var/lib/dpkg/status").is_some());
    assert_eq!(view(&warm), view(&uncached));
    assert_eq!(warm.pool_left(), uncached.pool_left());
    // 500 bytes do not hold the recorded entries: the same error either way.
    for cache in [None, Some(&cache)] {
        let err = read(500, 100, cache).err().unwrap().to_string();
        assert!(err.contains("take more than the read budget"), "{err}");
    }
    // Eleven tar entries: ten are too many, either way.
    for cache in [None, Some(&cache)] {
        let err = read(1 << 20, 10, cache).err().unwrap().to_string();
        assert!(err.contains("more than 10 entries together"), "{err}");
        assert!(read(1 << 20, 11, cache).is_ok());
    }
}
