#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for entry in text.split("\n\n") {
        let _ = drydock_catalog::apk::parse_entry(entry);
    }
});
