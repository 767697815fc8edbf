//! resolv.conf, nsswitch.conf and /etc/lxc/lxc-usernet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{lxc_usernet, resolv, sysctl};

fuzz_target!(|data: &[u8]| {
    for e in lxc_usernet::parse(data) {
        let _ = e.group();
    }
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
