//! The routing tables as /proc shows them (`parse::route`): any text gives an answer, never a panic, and a
//! default route found is on a named interface other than the loopback.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::route;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    for found in [route::default_v4(text), route::default_v6(text)]
        .into_iter()
        .flatten()
    {
        assert!(!found.is_empty() && found != "lo");
    }
});
