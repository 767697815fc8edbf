//! /etc/os-release and /usr/lib/os-release.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::os_release;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (release, _) = os_release::parse(text);
    let _ = (
        release.id(),
        release.id_like(),
        release.version_id(),
        release.pretty_name(),
        release.get("VERSION_CODENAME"),
    );
    let _ = os_release::parse(&os_release::render(&release));
});
