//! Values of files under /proc/sys, and sysctl names as paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::sysctl;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let _ = sysctl::parse_int(text);
    let _ = sysctl::parse_int_pair(text);
    let _ = sysctl::path_for(text);
});
