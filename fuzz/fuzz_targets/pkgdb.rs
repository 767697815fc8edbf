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
    // The same bytes fed in pieces (as the live host reads the file) find the same packages, and the last stanza
    // of a package is the one the lookup answers with.
    let mut one = pkgdb::DpkgScan::default();
    one.feed(data);
    let one = one.finish();
    let mut scan = pkgdb::DpkgScan::default();
    for piece in data.chunks(1 + data.len() % 61) {
        scan.feed(piece);
    }
    assert_eq!(scan.finish(), one);
    for (package, version) in &installed {
        assert_eq!(one.get(package), Some(version.as_str()));
    }
    // A scan for some of the packages (the first and every third one found, and a name that is none) answers
    // for each of them as the full scan does.
    let wanted: Vec<&str> = installed
        .keys()
        .step_by(3)
        .map(String::as_str)
        .chain(["not-a-package"])
        .collect();
    let mut some = pkgdb::DpkgScan::only(wanted.iter().copied());
    for piece in data.chunks(1 + data.len() % 53) {
        some.feed(piece);
    }
    let some = some.finish();
    for name in &wanted {
        assert_eq!(some.get(name), one.get(name), "{name}");
    }
    assert!(some.iter().all(|(p, _)| wanted.contains(&p)));
    if let Some((_, version)) = pkgdb::parse_pacman_desc(text) {
        versions(&version);
    }
    if text.len() < 256 {
        versions(text);
    }
});
