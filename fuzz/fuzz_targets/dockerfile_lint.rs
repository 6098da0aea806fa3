//! The Dockerfile parser, the linter (shell bodies included) and the attribution's alignment.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(file) = drydock_dockerfile::parse(&text) {
        let _ = drydock_lint::lint(&file, &drydock_lint::config::Config::default(), "Dockerfile");
        let _ = drydock_dockerfile::stages::stages(&file);
    }
});
