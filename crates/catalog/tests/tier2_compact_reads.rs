//! Tier 2: a compact read (what `sbom` and `scan` do: symlinks, whiteouts, ELF files and the
//! files the detectors name, the rest known by fingerprint) finds exactly what a read that
//! records every entry finds, on every real image at hand, in every source format.

use drydock_catalog::{Inventory, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::{attribution_image, base_example, built_images, shared_testdata};

fn inventory(source: &str, all_entries: bool) -> Inventory {
    let spec = SourceSpec::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut image = Image::open(&spec, &Platform::default()).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut w = wants();
    w.all_entries = all_entries;
    let fs = image
        .scan(&w, &|_| {})
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    catalog(&fs).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn same_inventory(source: &str) -> usize {
    let compact = serde_json::to_value(inventory(source, false)).unwrap();
    let full = serde_json::to_value(inventory(source, true)).unwrap();
    assert_eq!(compact, full, "{source}");
    compact["packages"].as_array().map_or(0, Vec::len)
}

#[test]
fn compact_and_full_reads_agree_on_real_images() {
    let mut sources = Vec::new();
    if let Some(images) = built_images() {
        for name in ["deb-base", "deb-extras", "deb-multi"] {
            sources.push(format!("oci:{}", images.join("oci").join(name).display()));
            sources.push(format!(
                "oci-archive:{}",
                images.join(format!("{name}.oci.tar")).display()
            ));
            sources.push(format!(
                "docker-archive:{}",
                images.join(format!("{name}.docker.tar")).display()
            ));
            sources.push(format!(
                "docker-archive:{}",
                images.join(format!("{name}.docker25.tar")).display()
            ));
            sources.push(format!("dir:{}", images.join("rootfs").join(name).display()));
        }
    }
    if let Some(dir) = attribution_image() {
        sources.push(format!("oci:{}", dir.join("oci").display()));
    }
    if let Some(dir) = base_example() {
        for tag in ["12-v1", "12-v2", "12-full", "13", "app"] {
            sources.push(format!("oci:{}:{tag}", dir.join("oci").display()));
        }
    }
    if let Some(data) = shared_testdata() {
        sources.push(format!(
            "docker-archive:{}",
            data.join("images/trivy-docker-archive/alpine-310/alpine-310.tar.gz")
                .display()
        ));
    }
    let mut packages = 0;
    for source in &sources {
        packages += same_inventory(source);
    }
    // Every image lists packages: the comparison is not of two empty lists.
    assert!(sources.is_empty() || packages > 10 * sources.len(), "{packages}");
}
