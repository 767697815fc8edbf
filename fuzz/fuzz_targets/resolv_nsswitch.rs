//! resolv.conf and nsswitch.conf.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{resolv, sysctl};

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (servers, _) = resolv::parse(text);
    for s in &servers {
        let _ = s.is_loopback();
    }
    for database in ["subid", "passwd", "hosts", ""] {
        let _ = sysctl::nsswitch_sources(text, database);
    }
});
