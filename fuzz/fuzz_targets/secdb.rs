#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = drydock_vulndb::secdb::parse(data, true);
    let _ = drydock_vulndb::secdb::parse(data, false);
});
