//! /proc/PID/mountinfo.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::mountinfo;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (mounts, _) = mountinfo::parse(text);
    for path in [
        "/",
        "/home/alice/.local/share/docker",
        "/sys/fs/cgroup",
        "relative",
    ] {
        if let Some(m) = mountinfo::mount_for(&mounts, path) {
            let _ = (m.has_option("nosuid"), m.has_option(""));
        }
    }
    for m in &mounts {
        let _ = mountinfo::mount_for(&mounts, &m.mount_point);
    }
});
