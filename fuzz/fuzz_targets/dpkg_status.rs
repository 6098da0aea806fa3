#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for paragraph in drydock_catalog::paragraphs(&text) {
        let _ = drydock_catalog::dpkg::parse_paragraph(paragraph);
    }
});
