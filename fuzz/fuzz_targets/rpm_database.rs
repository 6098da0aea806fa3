//! BerkeleyDB hash, ndb and sqlite rpmdbs, and the header blobs inside them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = drydock_catalog::rpm::read_database(data);
    let _ = drydock_catalog::rpm::header::parse(data);
});
