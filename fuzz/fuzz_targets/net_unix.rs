//! /proc/PID/net/unix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::net_unix;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (sockets, errors) = net_unix::parse(text);
    // An inode is never reported twice.
    for (i, s) in sockets.iter().enumerate() {
        assert!(sockets[i + 1..].iter().all(|o| o.inode != s.inode));
    }
    for e in &errors {
        assert!(e.line >= 1);
    }
});
