//! /proc/PID/net/tcp and tcp6.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::net_tcp;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (sockets, _) = net_tcp::parse(text);
    for s in &sockets {
        let _ = s.is_listening();
    }
});
