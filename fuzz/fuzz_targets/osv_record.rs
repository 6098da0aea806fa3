#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = drydock_vulndb::osv::parse_json(data, "fuzz");
    let _ = drydock_vulndb::osv::parse_yaml(data, "fuzz");
});
