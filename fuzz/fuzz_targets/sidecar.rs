//! A fixture's sidecar (host.toml).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::host::sidecar;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    if let Ok(s) = sidecar::parse("host.toml", text) {
        for magic in s.statfs.values() {
            let _ = magic.value();
        }
    }
});
