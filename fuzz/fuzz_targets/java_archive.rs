//! A Java archive read both ways: through its central directory (held in memory) and by its
//! local headers as it streams by (the reader drydock uses for large archives).
#![no_main]
use libfuzzer_sys::fuzz_target;

use drydock_catalog::java::{Budget, probe_archive, stream_archive};

fuzz_target!(|data: &[u8]| {
    let pool = drydock_source::Pool::new(1 << 30);
    let _ = probe_archive("app.jar", data.len() as u64, &mut &data[..], &pool);
    let mut out = Vec::new();
    let _ = stream_archive(&mut &data[..], "app.jar", &mut Budget::default(), &mut out);
});
