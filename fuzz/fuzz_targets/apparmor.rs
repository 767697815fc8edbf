//! AppArmor profiles, tunables with `@{VAR}` definitions, and attachment matching with variable expansion:
//! PROFILE 0xFF TUNABLES [0xFF PATH].
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::apparmor;

/// Where rootlesskit is looked for when no path is given.
const PATHS: &[&str] = &[
    "/usr/bin/rootlesskit",
    "/home/alice/bin/rootlesskit",
    "/usr/local/bin/rootlesskit",
];

fuzz_target!(|data: &[u8]| {
    let [profile, tunables, path] = rootless_doctor_fuzz::split::<3>(data);
    let mut vars = apparmor::Variables::new();
    if let Some(text) = rootless_doctor_fuzz::text(tunables) {
        apparmor::parse_variables(text, &mut vars);
    }
    let Some(text) = rootless_doctor_fuzz::text(profile) else {
        return;
    };
    // Profiles hold variable definitions too.
    apparmor::parse_variables(text, &mut vars);
    let _ = apparmor::declared_abi(text);
    let (profiles, _) = apparmor::parse_profiles(text);
    let path = rootless_doctor_fuzz::text(path).filter(|p| !p.is_empty());
    for p in &profiles {
        if let Some(pattern) = p.attach_pattern() {
            match path {
                Some(path) => {
                    let _ = apparmor::attachment_matches(pattern, &vars, path);
                }
                None => {
                    for path in PATHS {
                        let _ = apparmor::attachment_matches(pattern, &vars, path);
                    }
                }
            }
        }
    }
});
