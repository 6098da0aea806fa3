//! What registries and layouts hand over: manifests, indexes, configs, provenance statements,
//! and history strings.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<oci_spec::image::ImageManifest>(data);
    let _ = serde_json::from_slice::<oci_spec::image::ImageIndex>(data);
    let _ = serde_json::from_slice::<oci_spec::image::ImageConfiguration>(data);
    let _ = drydock_attribution::provenance::parse(data);
    let _ = drydock_attribution::normalize(&String::from_utf8_lossy(data));
});
