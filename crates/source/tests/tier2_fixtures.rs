//! Tier 2: image layouts and layers from other projects' test suites, valid and broken.

use std::path::Path;

use drydock_source::{Error, Filesystem, Image, Platform, SourceSpec, Wants};
use drydock_testkit::shared_testdata;

fn open(source: &str) -> Result<(Image, Filesystem), Error> {
    let spec = SourceSpec::parse(source)?;
    let mut image = Image::open(&spec, &Platform::default())?;
    // Every entry recorded: the tests ask about paths no detector wants.
    let mut wants = Wants::new();
    wants.all_entries = true;
    let fs = image.scan(&wants, &|_| {})?;
    Ok((image, fs))
}

fn images(data: &Path, rel: &str) -> String {
    data.join("images").join(rel).display().to_string()
}

#[test]
fn valid_layouts_and_archives_open() {
    let Some(data) = shared_testdata() else { return };
    for (rel, layers) in [
        ("trivy-oci-layout/test", 1),
        ("ggcr-oci-layout/test_index", 1),
        ("ggcr-oci-layout/test_index_one_image", 1),
        ("ggcr-oci-layout/test_gc_index", 1),
        ("ggcr-docker-archive/hello-world-v25/hello-world-v25.tar", 1),
        ("ggcr-docker-archive/test_image_1/test_image_1.tar", 1),
        ("ggcr-layers/source_image/source_image.tar", 1),
        ("ggcr-layers/whiteout_image/whiteout_image.tar", 3),
        ("ggcr-layers/whiteout_dir/whiteout_dir.tar", 4),
    ] {
        let (image, _) = open(&images(&data, rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(image.layers.len(), layers, "{rel}");
        assert!(
            image
                .layers
                .iter()
                .all(|l| l.diff_id.is_some() && l.digest.is_some()),
            "{rel}"
        );
    }
    let (image, _) = open(&format!(
        "oci:{}:0.0.1",
        images(&data, "trivy-oci-layout/test_image_tag")
    ))
    .unwrap();
    assert_eq!(image.layers.len(), 1);
}

#[test]
fn archives_with_several_images_need_a_choice() {
    let Some(data) = shared_testdata() else { return };
    let bundle = images(&data, "ggcr-docker-archive/test_bundle/test_bundle.tar");
    let err = open(&bundle).unwrap_err();
    assert!(err.to_string().contains("holds 2 images"), "{err}");
    assert!(open(&format!("docker-archive:{bundle}:@1")).is_ok());
    // Layers given as symlinks inside the archive resolve to their targets.
    let link = images(&data, "ggcr-docker-archive/test_link/test_link.tar");
    // `@N` is the N-th entry of manifest.json, counted from 0: test_image_1 (one layer), then
    // test_image_3 (two).
    for (choice, tag, layers) in [
        ("@0", "bazel/v1/tarball:test_image_1", 1),
        ("@1", "bazel/v1/tarball:test_image_3", 2),
    ] {
        let (image, _) =
            open(&format!("docker-archive:{link}:{choice}")).unwrap_or_else(|e| panic!("{choice}: {e}"));
        assert_eq!(image.repo_tags, [tag], "{choice}");
        assert_eq!(image.layers.len(), layers, "{choice}");
    }
    let err = open(&format!("docker-archive:{link}:@2")).unwrap_err();
    assert!(err.to_string().contains("holds 2 images, no @2"), "{err}");
}

#[test]
fn whiteouts_in_real_layers() {
    let Some(data) = shared_testdata() else { return };
    let (_, fs) = open(&images(&data, "ggcr-layers/whiteout_image/whiteout_image.tar")).unwrap();
    assert!(fs.node("foo.txt").is_none());
    assert!(fs.node("bar.txt").is_some());
    let (_, fs) = open(&images(&data, "ggcr-layers/whiteout_dir/whiteout_dir.tar")).unwrap();
    assert!(fs.node("a/foo").is_none(), "deleted with its directory");
    assert_eq!(fs.node("a/baz").map(|n| n.layer), Some(3), "recreated later");
    assert!(fs.node("b/bar").is_some());
    // A config whose content does not match its name is reported, not fatal.
    let (image, _) = open(&images(
        &data,
        "ggcr-layers/source_image_with_empty_layer_history/source_image_with_empty_layer_history.tar",
    ))
    .unwrap();
    assert_eq!(image.warnings.len(), 1, "{:?}", image.warnings);
}

#[test]
fn broken_layouts_are_clear_errors() {
    let Some(data) = shared_testdata() else { return };
    let cases = [
        ("trivy-oci-layout/test_bad_index_json", "malformed JSON"),
        (
            "trivy-oci-layout/test_invalid_oci_image",
            "no image manifest of a known media type",
        ),
        (
            "ggcr-oci-layout/test_gc_image_unknown_mediatype",
            "no image manifest of a known media type",
        ),
        ("trivy-oci-index/multi", "is missing from the layout"),
        (
            "ggcr-docker-archive/null_manifest/null_manifest.tar",
            "lists no images",
        ),
        (
            "ggcr-docker-archive/no_manifest/no_manifest.tar",
            "without manifest.json",
        ),
        ("ggcr-docker-archive/content/content.tar", "not an image archive"),
        ("claircore-tar-edge-cases/bad_name.tar", "not an image archive"),
    ];
    for (rel, needle) in cases {
        let err = open(&images(&data, rel))
            .err()
            .unwrap_or_else(|| panic!("{rel} opened"));
        assert!(err.to_string().contains(needle), "{rel}: {err}");
        assert!(!err.to_string().contains('\n'), "{rel}: one line");
    }
}
