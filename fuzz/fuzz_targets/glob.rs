//! fnmatch globs for interface names (systemd-networkd `Name=`, NetworkManager `unmanaged-devices`): PATTERN 0xFF NAME.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::glob;

fuzz_target!(|data: &[u8]| {
    let [pattern, name] = rootless_doctor_fuzz::split::<2>(data);
    let (Some(pattern), Some(name)) = (
        rootless_doctor_fuzz::text(pattern),
        rootless_doctor_fuzz::text(name),
    ) else {
        return;
    };
    let name = if name.is_empty() { "docker0" } else { name };
    let _ = glob::matches(pattern, name);
    let _ = glob::list_matches(pattern, name);
});
