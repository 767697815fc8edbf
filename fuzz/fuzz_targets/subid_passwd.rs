//! /etc/subuid and /etc/subgid, shadow's `subid:` line of nsswitch.conf, getsubids's output, /etc/passwd and
//! /etc/group.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{passwd, subid};

fuzz_target!(|data: &[u8]| {
    // Facts reads the subid files lossily (a non-UTF-8 line is reported, the rest still counts).
    let text = String::from_utf8_lossy(data);
    let (entries, _) = subid::parse(&text);
    for e in &entries {
        let _ = (e.end(), e.matches("alice", 1000), e.contains(100_000));
        let _ = e.overlaps(e.start, e.count);
    }
    let _ = subid::parse(&subid::render(&entries));
    let _ = subid::shadow_nss_source(&text);
    let _ = subid::rootlesskit_getsubids(&text);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = passwd::parse_passwd(text);
        let _ = passwd::parse_group(text);
    }
});
