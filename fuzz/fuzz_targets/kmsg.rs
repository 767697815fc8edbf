//! /dev/kmsg records, the OOM kills in them, and container ids in cgroup paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::kmsg;

fuzz_target!(|data: &[u8]| {
    // As Facts::kernel_log reads it.
    let text = String::from_utf8_lossy(data);
    let (records, _) = kmsg::parse(&text);
    for kill in kmsg::oom_kills(&records) {
        // kernel.oom and volumes.busy shorten the id to 12 characters.
        if let Some(cgroup) = kill.cgroup.as_deref()
            && let Some(id) = kmsg::container_id(cgroup)
        {
            let _ = &id[..12];
        }
    }
    for line in text.lines() {
        if let Some(id) = kmsg::container_id(line) {
            let _ = &id[..12];
        }
    }
});
