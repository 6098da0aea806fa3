//! One layer blob through the whole pipeline: the layer pass with the catalog's and the
//! audit's wants, the catalog, the secret rules and the size figures.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let wants = drydock_audit::wants(drydock_catalog::wants());
    if let Ok(fs) = drydock_source::scan_layer_bytes(data, &wants) {
        let _ = drydock_catalog::catalog(&fs);
        let _ = drydock_audit::secrets::find(&fs);
        let _ = drydock_audit::size::analyze(&fs);
    }
});
