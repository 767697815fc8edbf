//! dpkg's status file, pacman's local `desc` files, and the version strings in them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::pkgdb;

fn versions(version: &str) {
    let upstream = pkgdb::upstream_version(version);
    let _ = pkgdb::semver_prefix(upstream);
    let _ = pkgdb::pasta_date(version);
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let installed = pkgdb::parse_dpkg_status(text);
    for version in installed.values() {
        versions(version);
    }
    for package in ["rootlesskit", "slirp4netns", "passt", "uidmap", "docker.io"] {
        if let Some(version) = pkgdb::dpkg_lookup(text, package) {
            versions(&version);
        }
    }
    // A few of the installed names too, so the lookup is exercised on names the input chose.
    for package in installed.keys().take(4) {
        let _ = pkgdb::dpkg_lookup(text, package);
    }
    if let Some((_, version)) = pkgdb::parse_pacman_desc(text) {
        versions(&version);
    }
    if text.len() < 256 {
        versions(text);
    }
});
