//! /proc/PID/status and the NUL-separated /proc/PID/cmdline and environ.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::proc;

fuzz_target!(|data: &[u8]| {
    if let Some(text) = rootless_doctor_fuzz::text(data) {
        let _ = proc::parse_status(text);
    }
    let list = proc::nul_list(data);
    for name in ["XDG_RUNTIME_DIR", "ROOTLESSKIT_STATE_DIR", "", "A=B"] {
        let _ = proc::env_value(&list, name);
    }
});
