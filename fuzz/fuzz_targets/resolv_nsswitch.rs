//! resolv.conf and /etc/lxc/lxc-usernet (nsswitch.conf's `subid:` line, as shadow reads it, is in subid_passwd).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{lxc_usernet, resolv};

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
});
