//! Tier 1: images synthesised here, in every source format, exercising the layer semantics.

use std::path::Path;

use drydock_source::{Error, Filesystem, Image, NodeKind, Platform, SourceSpec, Wants};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder, sha256};

/// Every entry recorded, so the tests can ask about any path; [`scan`] checks that a compact
/// scan of the same image agrees on everything it records.
fn wants() -> Wants {
    let mut w = compact_wants();
    w.all_entries = true;
    w
}

fn compact_wants() -> Wants {
    let mut w = Wants::new();
    for p in [
        "etc/os-release",
        "usr/lib/os-release",
        "var/lib/dpkg/status",
        "var/lib/rpm/Packages",
        "**/*.dist-info/METADATA",
    ] {
        w.add(p);
    }
    w
}

fn scan(source: &str) -> Result<(Image, Filesystem), Error> {
    let spec = SourceSpec::parse(source)?;
    let mut image = Image::open(&spec, &Platform::default())?;
    let fs = image.scan(&wants(), &|_| {})?;
    let compact = Image::open(&spec, &Platform::default())?.scan(&compact_wants(), &|_| {})?;
    agree(&fs, &compact, &compact_wants());
    Ok((image, fs))
}

/// A compact scan records a subset of the paths, each as the full scan has it, and finds the
/// same wanted files with the same contents and histories.
fn agree(full: &Filesystem, compact: &Filesystem, w: &Wants) {
    for (path, node) in compact.nodes() {
        let whole = full
            .node(path)
            .unwrap_or_else(|| panic!("compact scan invented /{path}"));
        assert_eq!((whole.layer, &whole.kind), (node.layer, &node.kind), "/{path}");
    }
    for (path, node) in full.nodes() {
        if matches!(node.kind, NodeKind::Symlink(_)) || w.names(path) {
            assert!(compact.node(path).is_some(), "compact scan lost /{path}");
        }
    }
    for p in w.patterns() {
        let found = full.glob(p);
        assert_eq!(found, compact.glob(p), "{}", p.as_str());
        for path in found {
            assert_eq!(full.read(&path), compact.read(&path), "/{path}");
            let layers = |fs: &Filesystem| -> Vec<(usize, bool)> {
                fs.history(&path)
                    .iter()
                    .map(|r| (r.layer, r.data.is_some()))
                    .collect()
            };
            assert_eq!(layers(full), layers(compact), "history of /{path}");
        }
    }
    let skipped = |fs: &Filesystem| -> Vec<String> { fs.skipped().iter().map(|s| s.path.clone()).collect() };
    assert_eq!(skipped(full), skipped(compact));
}

/// Three layers: a base, a layer deleting and replacing things, and an opaque directory.
fn layered(comp: Comp) -> ImageBuilder {
    let base = LayerBuilder::new()
        .dir("etc")
        .file("usr/lib/os-release", b"ID=debian\nVERSION_ID=12\n")
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("var/lib/dpkg/status", b"Package: a\nVersion: 1\n")
        .file("opt/app/old.txt", b"old")
        .file(
            "usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA",
            b"Name: gone\nVersion: 1.0\n",
        )
        .file("usr/lib/sysimage/rpm/Packages", b"rpmdb")
        .symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm")
        .finish();
    let second = LayerBuilder::new()
        .whiteout("usr/lib/python3/dist-packages/gone-1.0.dist-info")
        .file(
            "var/lib/dpkg/status",
            b"Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n",
        )
        .file("srv/data/blob.bin", b"xyz")
        .hardlink("srv/data/METADATA-link.dist-info/METADATA", "srv/data/blob.bin")
        .finish();
    let third = LayerBuilder::new()
        .opaque("opt/app")
        .file("opt/app/new.txt", b"new")
        .finish();
    ImageBuilder::new()
        .layer(base, comp, "ADD rootfs.tar /")
        .layer(second, comp, "RUN apt-get install b")
        .layer(third, comp, "COPY app /opt/app")
}

fn check_layered(image: &Image, fs: &Filesystem) {
    assert_eq!(image.layers.len(), 3);
    assert_eq!(
        image.layers[1].created_by.as_deref(),
        Some("RUN apt-get install b")
    );
    assert_eq!(image.history.len(), 4, "history keeps the empty CMD entry");
    // symlinked os-release is read through the link
    assert_eq!(
        fs.read("etc/os-release"),
        Some(&b"ID=debian\nVERSION_ID=12\n"[..])
    );
    // the status file has one revision per layer that wrote it
    let revs = fs.history("var/lib/dpkg/status");
    assert_eq!(revs.iter().map(|r| r.layer).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(fs.node("var/lib/dpkg/status").unwrap().layer, 1);
    // whiteout removed the dist-info directory and its kept file
    assert!(
        fs.node("usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA")
            .is_none()
    );
    let gone = fs.history("usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA");
    assert_eq!(gone.last().map(|r| (r.layer, r.data.is_none())), Some((1, true)));
    // opaque directory hid the lower layer's file but kept its own
    assert!(fs.node("opt/app/old.txt").is_none());
    assert_eq!(fs.node("opt/app/new.txt").unwrap().layer, 2);
    // hard link to an unwanted name still yields the content
    assert_eq!(
        fs.read("srv/data/METADATA-link.dist-info/METADATA"),
        Some(&b"xyz"[..])
    );
    // directory symlink resolution for database lookups
    let rpm = fs.glob(&drydock_source::Pattern::new("var/lib/rpm/Packages"));
    assert_eq!(rpm, vec!["usr/lib/sysimage/rpm/Packages".to_string()]);
    assert!(matches!(
        fs.node("var/lib/rpm").unwrap().kind,
        NodeKind::Symlink(_)
    ));
}

#[test]
fn oci_dir_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let img = layered(Comp::Gzip);
    img.write_oci_dir(dir.path());
    let (image, fs) = scan(&format!("oci:{}", dir.path().display())).unwrap();
    check_layered(&image, &fs);
    assert_eq!(
        image.layers[0].digest.as_deref(),
        Some(sha256(&img.layers[0].blob).as_str())
    );
    assert_eq!(
        image.layers[0].diff_id.as_deref(),
        Some(sha256(&img.layers[0].tar).as_str())
    );
    assert!(image.manifest_digest.is_some());
}

#[test]
fn oci_dir_with_tag_and_bare_path() {
    let dir = tempfile::tempdir().unwrap();
    layered(Comp::None).write_oci_dir(dir.path());
    let (image, fs) = scan(&format!("oci:{}:latest", dir.path().display())).unwrap();
    check_layered(&image, &fs);
    let (_, fs) = scan(&dir.path().display().to_string()).unwrap();
    check_layered(&image, &fs);
    let err = scan(&format!("oci:{}:v9", dir.path().display())).unwrap_err();
    assert!(err.to_string().contains("no image tagged \"v9\""), "{err}");
}

#[test]
fn oci_archive_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    layered(Comp::Zstd).write_oci_archive(&path);
    let (image, fs) = scan(&format!("oci-archive:{}", path.display())).unwrap();
    check_layered(&image, &fs);
    let (image, _) = scan(&path.display().to_string()).unwrap();
    assert_eq!(image.transport, "oci-archive");
}

/// zstd layers are inflated one at a time in the process, and layers inside an archive that is
/// itself zstd-compressed (`docker save | zstd`) are inflated inside the archive's decoder:
/// the two must not wait for each other.
#[test]
fn zstd_layers_inside_a_zstd_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    layered(Comp::Zstd).write_docker_archive(&path);
    let zst = dir.path().join("img.tar.zst");
    std::fs::write(
        &zst,
        drydock_testkit::compress(&std::fs::read(&path).unwrap(), Comp::Zstd),
    )
    .unwrap();
    let (image, fs) = scan(&zst.display().to_string()).unwrap();
    check_layered(&image, &fs);
}

#[test]
fn docker_archive_uncompressed_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let img = layered(Comp::None);
    img.write_docker_archive(&path);
    let (image, fs) = scan(&format!("docker-archive:{}", path.display())).unwrap();
    check_layered(&image, &fs);
    assert_eq!(image.repo_tags, vec!["example/test:latest".to_string()]);
    // `docker save | gzip` is read by streaming the compressed archive
    let gz = dir.path().join("img.tar.gz");
    std::fs::write(
        &gz,
        drydock_testkit::compress(&std::fs::read(&path).unwrap(), Comp::Gzip),
    )
    .unwrap();
    let (image, fs) = scan(&gz.display().to_string()).unwrap();
    check_layered(&image, &fs);
}

#[test]
fn rootfs_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("usr/lib/os-release"), "ID=alpine\n").unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    // a link pointing far above the root resolves inside it
    std::os::unix::fs::symlink("../../../../../../etc/shadow", root.join("etc/escape")).unwrap();
    let (image, fs) = scan(&format!("dir:{}", root.display())).unwrap();
    assert_eq!(image.layers.len(), 1);
    assert_eq!(fs.read("etc/os-release"), Some(&b"ID=alpine\n"[..]));
    assert_eq!(fs.resolve("etc/escape"), "etc/shadow");
}

#[test]
fn blob_digest_mismatch_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = layered(Comp::Gzip);
    let other = drydock_testkit::compress(&LayerBuilder::new().file("x", b"y").finish(), Comp::Gzip);
    img.tamper_blob = Some((1, other));
    img.write_oci_dir(dir.path());
    let err = scan(&format!("oci:{}", dir.path().display())).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().starts_with("digest mismatch for layer 1 blob"),
        "{err}"
    );
}

#[test]
fn diff_id_mismatch_is_an_error() {
    for comp in [Comp::Gzip, Comp::None] {
        let dir = tempfile::tempdir().unwrap();
        let mut img = layered(comp);
        img.wrong_diff_id = Some(2);
        let path = dir.path().join("a.tar");
        img.write_docker_archive(&path);
        let err = scan(&path.display().to_string()).unwrap_err();
        assert!(err.to_string().contains("layer 2 diff_id"), "{err}");
    }
}

#[test]
fn truncated_and_corrupt_layers_are_errors() {
    let good = layered(Comp::Gzip);
    let blob = &good.layers[0].blob;
    let truncated = blob[..blob.len() / 2].to_vec();
    let mut corrupt = blob.clone();
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 16] {
        *b ^= 0x5a;
    }
    for bad in [truncated, corrupt] {
        let dir = tempfile::tempdir().unwrap();
        let mut img = layered(Comp::Gzip);
        img.tamper_blob = Some((0, bad));
        img.write_oci_dir(dir.path());
        let err = scan(&format!("oci:{}", dir.path().display())).unwrap_err();
        assert!(matches!(err, Error::Layer { index: 0, .. }), "{err}");
    }
    // a truncated uncompressed tar
    let tar = LayerBuilder::new().file("etc/os-release", &[b'x'; 4000]).finish();
    let dir = tempfile::tempdir().unwrap();
    let mut img = ImageBuilder::new().layer(tar.clone(), Comp::None, "x");
    img.tamper_blob = Some((0, tar[..1500].to_vec()));
    img.write_oci_dir(dir.path());
    let err = scan(&format!("oci:{}", dir.path().display())).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

/// A zstd frame names the window its decoder allocates and fills: a few KB of layer may ask
/// for 128 MiB. Windows up to 8 MiB (what `zstd -19` and the Go encoders write) are read; a
/// larger one is refused before it is allocated.
#[test]
fn zstd_windows_past_eight_mib_are_refused() {
    use std::io::Write;
    let tar = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\n")
        .file("srv/zeros", &vec![0u8; 9 << 20])
        .finish();
    let read = |window_log: u32| {
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        encoder
            .set_parameter(zstd::zstd_safe::CParameter::WindowLog(window_log))
            .unwrap();
        encoder.write_all(&tar).unwrap();
        let blob = encoder.finish().unwrap();
        assert!(blob.len() < 64 << 10);
        let dir = tempfile::tempdir().unwrap();
        let mut img = ImageBuilder::new();
        img.layers.push(drydock_testkit::Layer {
            tar: tar.clone(),
            blob,
            comp: Comp::Zstd,
            created_by: "ADD".into(),
        });
        img.write_oci_dir(dir.path());
        scan(&format!("oci:{}", dir.path().display())).map(|(_, fs)| fs)
    };
    let fs = read(23).unwrap();
    assert!(fs.node("srv/zeros").is_some());
    let err = read(24).err().unwrap().to_string();
    assert!(
        err.ends_with("a zstd frame asks for a window larger than the 8 MiB drydock decodes with"),
        "{err}"
    );
    assert!(!err.contains("corrupt"), "{err}");
}

#[test]
fn hostile_paths_are_refused() {
    let cases = [
        LayerBuilder::new().raw_file("../../etc/passwd", b"x").finish(),
        LayerBuilder::new().raw_file("/etc/passwd", b"x").finish(),
        LayerBuilder::new().raw_file("a/../../b", b"x").finish(),
        LayerBuilder::new()
            .file("etc/passwd", b"x")
            .hardlink("etc/evil", "../../../etc/shadow")
            .finish(),
    ];
    for tar in cases {
        let dir = tempfile::tempdir().unwrap();
        ImageBuilder::new()
            .layer(tar, Comp::Gzip, "x")
            .write_oci_dir(dir.path());
        let err = scan(&format!("oci:{}", dir.path().display())).unwrap_err();
        assert!(matches!(err, Error::HostilePath { .. }), "{err}");
    }
}

#[test]
fn not_images() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"this is not a tar archive at all, just text that goes on").unwrap();
    assert!(matches!(
        scan(&junk.display().to_string()),
        Err(Error::NotAnImage(_))
    ));
    let empty_tar = dir.path().join("empty.tar");
    drydock_testkit::write_tar(&empty_tar, &[("hello.txt".into(), b"hi".to_vec())]);
    let err = scan(&empty_tar.display().to_string()).unwrap_err();
    assert!(
        err.to_string().contains("no manifest.json or index.json"),
        "{err}"
    );
    assert!(matches!(scan("/nonexistent/image.tar"), Err(Error::NotFound(_))));
    let bad_index = dir.path().join("layout");
    std::fs::create_dir(&bad_index).unwrap();
    std::fs::write(bad_index.join("index.json"), b"{ not json").unwrap();
    assert!(matches!(
        scan(&format!("oci:{}", bad_index.display())),
        Err(Error::Json { .. })
    ));
}

#[test]
fn platform_is_chosen_from_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let img = layered(Comp::Gzip);
    img.write_oci_dir(dir.path());
    // Wrap the single manifest in a nested index that declares two platforms.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    let mut amd = index["manifests"][0].clone();
    amd["platform"] = serde_json::json!({"os": "linux", "architecture": "amd64"});
    let mut arm = amd.clone();
    arm["platform"] = serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
    arm["digest"] =
        serde_json::json!("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    let nested = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [arm, amd]})).unwrap();
    let digest = sha256(&nested);
    std::fs::write(
        dir.path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        &nested,
    )
    .unwrap();
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": nested.len()}]});
    std::fs::write(dir.path().join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let src = format!("oci:{}", dir.path().display());
    let (image, fs) = scan(&src).unwrap();
    check_layered(&image, &fs);
    let spec = SourceSpec::parse(&src).unwrap();
    let err = Image::open(&spec, &"linux/s390x".parse().unwrap()).unwrap_err();
    assert!(matches!(err, Error::Platform(_)));
    assert!(
        err.to_string().contains("available: linux/arm64/v8, linux/amd64"),
        "{err}"
    );
    assert!(Path::new(&dir.path().join("index.json")).exists());
}

/// Many hard links in one layer: each finds its target's size by look-up (this was quadratic:
/// 80,000 links took 16 s in a release build).
#[test]
fn eighty_thousand_hard_links() {
    let mut layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .file("data/target", b"0123456789");
    for i in 0..80_000 {
        layer = layer.hardlink(&format!("data/l{i}"), "data/target");
    }
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(layer.finish(), Comp::None, "ADD x /")
        .write_oci_dir(dir.path());
    let (_, fs) = scan(&format!("oci:{}", dir.path().display())).unwrap();
    assert_eq!(
        fs.node("data/l79999").map(|n| n.kind.clone()),
        Some(NodeKind::File {
            size: 10,
            mode: 0o644
        })
    );
}

fn single_layer_layout(dir: &Path) -> std::path::PathBuf {
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .finish();
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD x /")
        .write_oci_dir(dir);
    // The layer blob: the one that is not JSON.
    std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read(p).unwrap().starts_with(&[0x1f, 0x8b]))
        .unwrap()
}

/// Layout blobs are regular files inside the layout, read no further than their descriptor says.
#[test]
fn blobs_that_point_out_of_the_layout_or_never_end_are_refused() {
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), b"SECRET-HOST-CONTENT").unwrap();
    type Plant<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Plant<'_>)> = vec![
        (
            "link out of the layout",
            Box::new(|blob: &Path| {
                std::fs::remove_file(blob).unwrap();
                std::os::unix::fs::symlink(secret.path(), blob).unwrap();
            }),
        ),
        (
            "link to /dev/zero",
            Box::new(|blob: &Path| {
                std::fs::remove_file(blob).unwrap();
                std::os::unix::fs::symlink("/dev/zero", blob).unwrap();
            }),
        ),
        (
            "FIFO",
            Box::new(|blob: &Path| {
                std::fs::remove_file(blob).unwrap();
                let status = std::process::Command::new("mkfifo").arg(blob).status().unwrap();
                assert!(status.success());
            }),
        ),
        (
            "longer than declared",
            Box::new(|blob: &Path| {
                let mut bytes = std::fs::read(blob).unwrap();
                bytes.extend(std::iter::repeat_n(0u8, 1 << 20));
                std::fs::write(blob, bytes).unwrap();
            }),
        ),
    ];
    for (what, damage) in cases {
        let dir = tempfile::tempdir().unwrap();
        let blob = single_layer_layout(dir.path());
        damage(&blob);
        let err = scan(&format!("oci:{}", dir.path().display()))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET-HOST-CONTENT"), "{what}: {err}");
        assert!(
            err.contains("link out of the layout")
                || err.contains("not a regular file")
                || err.contains("longer than the manifest says"),
            "{what}: {err}"
        );
    }
}

/// A symlink whose target climbs above the root resolves as container runtimes resolve it:
/// clamped at the root, never outside the image.
#[test]
fn symlinks_climbing_above_the_root_are_clamped_at_it() {
    let layer = LayerBuilder::new()
        .file("usr/lib/os-release", b"ID=debian\nVERSION_ID=12\n")
        .symlink("etc/os-release", "../../../../../usr/lib/os-release")
        .file("etc/shadow", b"root:*:")
        .symlink("etc/evil", "../../../../etc/shadow")
        .symlink("etc/abs", "/../../etc/shadow")
        .finish();
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "x")
        .write_oci_dir(dir.path());
    let (_, fs) = scan(&format!("oci:{}", dir.path().display())).unwrap();
    assert_eq!(fs.resolve("etc/evil"), "etc/shadow");
    assert_eq!(fs.resolve("etc/abs"), "etc/shadow");
    assert_eq!(
        fs.read("etc/os-release"),
        Some(&b"ID=debian\nVERSION_ID=12\n"[..])
    );
}

/// Runtimes apply a layer inside the root, following the symlinks earlier layers made: a layer
/// that writes `evil/status` through `evil -> /var/lib/dpkg` replaces the dpkg status. And a
/// wanted path that is itself a symlink to a file of another name is read through it.
#[test]
fn writes_through_earlier_symlinks_and_wanted_symlinks_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let base = LayerBuilder::new()
        .dir("var")
        .dir("var/lib")
        .dir("var/lib/dpkg")
        .file("var/lib/dpkg/status", b"Package: old\nVersion: 1\n")
        .finish();
    let link = LayerBuilder::new().symlink("evil", "/var/lib/dpkg").finish();
    let write = LayerBuilder::new()
        .file("evil/status", b"Package: new\nVersion: 2\n")
        .finish();
    let path = dir.path().join("through");
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "ADD")
        .layer(link, Comp::Gzip, "RUN ln -s /var/lib/dpkg /evil")
        .layer(write, Comp::Zstd, "COPY status /evil/status")
        .write_oci_dir(&path);
    let (_, fs) = scan(&format!("oci:{}", path.display())).unwrap();
    assert_eq!(
        fs.read("var/lib/dpkg/status").unwrap(),
        b"Package: new\nVersion: 2\n"
    );
    assert_eq!(fs.node("var/lib/dpkg/status").unwrap().layer, 2);
    assert!(
        fs.node("evil/status").is_none(),
        "nothing lands under the link itself"
    );
    let revs: Vec<(usize, bool)> = fs
        .history("var/lib/dpkg/status")
        .iter()
        .map(|r| (r.layer, r.data.is_some()))
        .collect();
    assert_eq!(revs, [(0, true), (2, true)]);

    // A whiteout through the link deletes the real file.
    let gone = LayerBuilder::new().whiteout("evil/status").finish();
    let path = dir.path().join("deleted");
    let base = LayerBuilder::new()
        .file("var/lib/dpkg/status", b"Package: old\nVersion: 1\n")
        .symlink("evil", "var/lib/dpkg")
        .finish();
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "ADD")
        .layer(gone, Comp::Gzip, "RUN rm /evil/status")
        .write_oci_dir(&path);
    let (_, fs) = scan(&format!("oci:{}", path.display())).unwrap();
    assert!(fs.read("var/lib/dpkg/status").is_none());

    // The status is a symlink to a file of another name.
    let path = dir.path().join("symlinked");
    let layer = LayerBuilder::new()
        .file("var/lib/dpkg/status.real", b"Package: real\nVersion: 3\n")
        .symlink("var/lib/dpkg/status", "status.real")
        .finish();
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD")
        .write_oci_dir(&path);
    let (_, fs) = scan(&format!("oci:{}", path.display())).unwrap();
    assert_eq!(
        fs.read("var/lib/dpkg/status").unwrap(),
        b"Package: real\nVersion: 3\n"
    );

    // Both at once: the status links to a file another layer wrote through a link.
    let path = dir.path().join("both");
    let base = LayerBuilder::new()
        .file("var/lib/dpkg/status.real", b"Package: old\nVersion: 1\n")
        .symlink("var/lib/dpkg/status", "status.real")
        .symlink("evil", "var/lib/dpkg")
        .finish();
    let upper = LayerBuilder::new()
        .file("evil/status.real", b"Package: new\nVersion: 2\n")
        .finish();
    ImageBuilder::new()
        .layer(base, Comp::Gzip, "ADD")
        .layer(upper, Comp::Gzip, "RUN")
        .write_oci_dir(&path);
    let (_, fs) = scan(&format!("oci:{}", path.display())).unwrap();
    assert_eq!(
        fs.read("var/lib/dpkg/status").unwrap(),
        b"Package: new\nVersion: 2\n"
    );
}

/// A wanted file larger than its kind's cap, or past the scan's budget, is not read, and the
/// filesystem says which and why (the catalog turns that into a warning, or an error for an OS
/// package database).
#[test]
fn caps_and_the_scan_budget_bound_what_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 3 << 20];
    let layer = LayerBuilder::new()
        .file("usr/lib/python3/dist-packages/huge-1.0.dist-info/METADATA", &big)
        .file("var/lib/dpkg/status", b"Package: a\nVersion: 1\n")
        .file(
            "usr/lib/python3/dist-packages/one-1.0.dist-info/METADATA",
            &[b'a'; 600 << 10],
        )
        .file(
            "usr/lib/python3/dist-packages/two-1.0.dist-info/METADATA",
            &[b'b'; 600 << 10],
        )
        .finish();
    let path = dir.path().join("capped");
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD")
        .write_oci_dir(&path);
    let spec = SourceSpec::parse(&format!("oci:{}", path.display())).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let mut w = Wants::new();
    w.add_capped("**/*.dist-info/METADATA", 2 << 20, false);
    w.add_capped("var/lib/dpkg/status", 1 << 20, true);
    w.budget = 1 << 20;
    let fs = image.scan(&w, &|_| {}).unwrap();
    let skipped: Vec<(String, bool, bool)> = fs
        .skipped()
        .iter()
        .map(|s| {
            (
                s.path.clone(),
                s.why.contains("larger than the 2 MiB"),
                s.why.contains("budget"),
            )
        })
        .collect();
    assert!(
        skipped.contains(&(
            "usr/lib/python3/dist-packages/huge-1.0.dist-info/METADATA".into(),
            true,
            false
        )),
        "{skipped:?}"
    );
    // The status and the first small METADATA fit the 1 MiB budget; the second does not.
    assert!(fs.read("var/lib/dpkg/status").is_some());
    assert!(
        fs.read("usr/lib/python3/dist-packages/one-1.0.dist-info/METADATA")
            .is_some()
    );
    assert!(
        skipped.contains(&(
            "usr/lib/python3/dist-packages/two-1.0.dist-info/METADATA".into(),
            false,
            true
        )),
        "{skipped:?}"
    );
    assert_eq!(skipped.len(), 2);
}

/// A tar of empty entries gzips to almost nothing and would otherwise cost about 230 bytes of
/// memory per entry: the image's layers together may hold `max_entries`, then the read stops
/// with an error (never a partial filesystem).
#[test]
fn entries_past_the_image_allowance_are_an_error() {
    let layer = |prefix: &str| {
        let mut b = LayerBuilder::new();
        for i in 0..60 {
            b = b.file(&format!("{prefix}/f{i}"), b"");
        }
        b.finish()
    };
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(layer("a"), Comp::Gzip, "x")
        .layer(layer("b"), Comp::Gzip, "y")
        .write_oci_dir(dir.path());
    let spec = SourceSpec::parse(&dir.path().display().to_string()).unwrap();
    let read = |max: u64| {
        let mut w = wants();
        w.max_entries = max;
        let mut image = Image::open(&spec, &Platform::default()).unwrap();
        image.scan(&w, &|_| {})
    };
    let err = read(100)
        .expect_err("120 entries over an allowance of 100")
        .to_string();
    assert!(err.contains("more than 100 entries together"), "{err}");
    let fs = read(130).unwrap();
    assert!(fs.node("b/f59").is_some());
    // The same allowance for a plain root filesystem.
    let root = tempfile::tempdir().unwrap();
    for i in 0..50 {
        std::fs::write(root.path().join(format!("f{i}")), b"").unwrap();
    }
    let spec = SourceSpec::parse(&format!("dir:{}", root.path().display())).unwrap();
    let mut w = wants();
    w.max_entries = 20;
    let err = Image::open(&spec, &Platform::default())
        .unwrap()
        .scan(&w, &|_| {})
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("more than 20 entries"), "{err}");
}

/// Recorded entries draw from the read budget by their size: 3,000 symlinks with names of
/// 400 bytes gzip to almost nothing and would hold about 2 MB. Past the budget the read is an
/// error, whatever the files read left of it; within it, every link is there.
#[test]
fn recorded_entries_past_the_read_budget_are_an_error() {
    let mut b = LayerBuilder::new().file("etc/os-release", b"ID=debian\n");
    for i in 0..3_000 {
        b = b.symlink(
            &format!("usr/share/links/{i:05}-{}", "y".repeat(400)),
            "../../../etc/os-release",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(b.finish(), Comp::Gzip, "x")
        .write_oci_dir(dir.path());
    let spec = SourceSpec::parse(&dir.path().display().to_string()).unwrap();
    let read = |budget: u64| {
        let mut w = compact_wants();
        w.budget = budget;
        Image::open(&spec, &Platform::default())
            .unwrap()
            .scan(&w, &|_| {})
    };
    let err = read(1 << 20).err().unwrap().to_string();
    assert!(
        err.ends_with(
            "the image's symlinks, whiteouts, programs and package files take more than the read budget of 1 MiB; drydock stops rather than hold them all (--read-budget raises it)"
        ),
        "{err}"
    );
    let fs = read(4 << 20).unwrap();
    assert!(
        fs.node(&format!("usr/share/links/02999-{}", "y".repeat(400)))
            .is_some()
    );
    assert!(fs.pool_left().is_some_and(|left| left < (4 << 20) - 3_000 * 400));
}

/// A read takes from the budget what `docs/security.md` says each item costs: a recorded entry
/// 192 bytes plus its path and link target, a file read its size plus 128 bytes and its path,
/// an entry known by its fingerprint 12 bytes.
#[test]
fn a_read_takes_from_the_budget_what_each_item_costs() {
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\n")
        .symlink("usr/bin/sh", "dash")
        .whiteout("etc/old")
        .dir("usr/share/doc")
        .file("usr/share/doc/a", b"x")
        .file("usr/share/doc/b", b"y")
        .finish();
    let fs = drydock_source::scan_layer_bytes(&layer, &compact_wants()).unwrap();
    let record = |path: &str, target: &str| 192 + (path.len() + target.len()) as u64;
    let expected = record("etc/os-release", "")
        + (10 + 128 + "etc/os-release".len() as u64)
        + record("usr/bin/sh", "dash")
        + record("etc/old", "")
        + 3 * 12;
    assert_eq!(compact_wants().budget - fs.pool_left().unwrap(), expected);
}

/// A probe's summary is held until the report, so it draws from the read budget: a probe that
/// makes 100 KB of each of 20 small programs passes a budget of 1 MiB.
#[test]
fn probe_summaries_draw_from_the_read_budget() {
    struct Verbose;
    impl drydock_source::Probe for Verbose {
        fn probe(
            &self,
            _path: &str,
            _size: u64,
            reader: &mut dyn std::io::Read,
            _pool: &drydock_source::Pool,
        ) -> std::io::Result<Vec<u8>> {
            std::io::copy(reader, &mut std::io::sink())?;
            Ok(vec![b's'; 100 << 10])
        }
    }
    let mut b = LayerBuilder::new();
    for i in 0..20 {
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        b = b.file(&format!("usr/bin/p{i}"), &elf);
    }
    let layer = b.finish();
    let read = |budget: u64| {
        let mut w = compact_wants();
        w.probe = Some(std::sync::Arc::new(Verbose));
        w.budget = budget;
        drydock_source::scan_layer_bytes(&layer, &w)
    };
    let err = read(1 << 20).err().unwrap().to_string();
    assert!(err.contains("take more than the read budget of 1 MiB"), "{err}");
    let fs = read(4 << 20).unwrap();
    assert!((4 << 20) - fs.pool_left().unwrap() > 20 * (100 << 10));
}

/// A compact scan records only what the detectors name, and knows the other entries by
/// fingerprint: what they replace in lower layers must still be gone, and nothing else. Each
/// image is also read in full and compared ([`scan`]).
#[test]
fn unrecorded_entries_replace_what_lies_under_them() {
    let dir = tempfile::tempdir().unwrap();
    let status = b"Package: old\nVersion: 1\n";
    let base = || {
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\n")
            .file("var/lib/dpkg/status", status)
            .file("usr/lib/sysimage/rpm/Packages", b"rpm")
            .symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm")
            .symlink("lib", "usr/lib")
            .file("usr/lib/python3/x-1.0.dist-info/METADATA", b"Name: x\n")
            .symlink("usr/lib/thing", "python3")
    };
    let image = |name: &str, top: LayerBuilder| {
        let path = dir.path().join(name);
        ImageBuilder::new()
            .layer(base().finish(), Comp::Gzip, "ADD base")
            .layer(top.finish(), Comp::Gzip, "RUN")
            .write_oci_dir(&path);
        let spec = SourceSpec::parse(&format!("oci:{}", path.display())).unwrap();
        let full = scan(&format!("oci:{}", path.display())).unwrap().1;
        let compact = Image::open(&spec, &Platform::default())
            .unwrap()
            .scan(&compact_wants(), &|_| {})
            .unwrap();
        (full, compact)
    };

    // A plain file where a folder was: everything under it goes.
    let (_, fs) = image("file-over-folder", LayerBuilder::new().file("var/lib/dpkg", b"x"));
    assert!(fs.read("var/lib/dpkg/status").is_none());
    assert_eq!(
        fs.history("var/lib/dpkg/status")
            .last()
            .map(|r| (r.layer, r.data.is_none())),
        Some((1, true))
    );
    assert!(fs.read("etc/os-release").is_some());

    // A folder where a symlink was: the link is gone, the files it led to stay.
    let (_, fs) = image("folder-over-link", LayerBuilder::new().dir("var/lib/rpm"));
    assert!(fs.node("var/lib/rpm").is_none());
    assert!(
        fs.glob(&drydock_source::Pattern::new("var/lib/rpm/Packages"))
            .is_empty()
    );
    assert!(fs.read("usr/lib/sysimage/rpm/Packages").is_some());

    // A folder over a folder changes nothing.
    let (_, fs) = image(
        "folder-over-folder",
        LayerBuilder::new()
            .dir("var/lib/dpkg")
            .dir("usr/lib")
            .dir("lib/python3"),
    );
    assert_eq!(fs.read("var/lib/dpkg/status"), Some(&status[..]));
    assert!(fs.read("usr/lib/python3/x-1.0.dist-info/METADATA").is_some());
    assert_eq!(fs.layer_count(), 2);

    // A folder written through a link onto a recorded symlink replaces it.
    let (_, fs) = image("folder-through-link", LayerBuilder::new().dir("lib/thing"));
    assert!(fs.node("usr/lib/thing").is_none());
    assert!(fs.read("usr/lib/python3/x-1.0.dist-info/METADATA").is_some());

    // A file written through a symlink to a folder replaces the folder below it.
    let (_, fs) = image(
        "through-link",
        LayerBuilder::new().file("lib/python3", b"not a folder"),
    );
    assert!(fs.read("usr/lib/python3/x-1.0.dist-info/METADATA").is_none());
    assert!(fs.read("usr/lib/sysimage/rpm/Packages").is_some());

    // An unrecorded file over a symlink replaces the link.
    let (_, fs) = image("file-over-link", LayerBuilder::new().file("lib", b"x"));
    assert!(fs.node("lib").is_none());

    // Later in the same layer: a recorded file, then a plain file over its folder.
    let (_, fs) = image(
        "same-layer",
        LayerBuilder::new()
            .file("opt/p/y-2.0.dist-info/METADATA", b"Name: y\n")
            .file("opt/p/y-2.0.dist-info", b"x"),
    );
    assert!(fs.node("opt/p/y-2.0.dist-info/METADATA").is_none());
    assert!(fs.read("usr/lib/python3/x-1.0.dist-info/METADATA").is_some());

    // Unrelated entries touch nothing, and the compact view holds only what it names.
    let mut many = LayerBuilder::new();
    for i in 0..2_000 {
        many = many
            .file(&format!("usr/share/doc/p{i}/copyright"), b"c")
            .dir(&format!("srv/{i}"));
    }
    let (full, fs) = image("unrelated", many);
    assert_eq!(fs.read("var/lib/dpkg/status"), Some(&status[..]));
    assert!(full.nodes().count() > 4_000);
    assert_eq!(
        fs.nodes().count(),
        7,
        "{:?}",
        fs.nodes().map(|(p, _)| p).collect::<Vec<_>>()
    );
}

/// An image of more layers than any runtime mounts is refused before a layer is read: the
/// merge's work grows with layers times recorded paths.
#[test]
fn more_layers_than_runtimes_mount_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut image = ImageBuilder::new();
    for i in 0..501 {
        image = image.layer(
            LayerBuilder::new().file(&format!("f{i}"), b"x").finish(),
            Comp::None,
            "RUN",
        );
    }
    image.write_oci_dir(dir.path());
    let err = scan(&format!("oci:{}", dir.path().display()))
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(": 501 layers, more than the 500 drydock reads"),
        "{err}"
    );
}
