//! /etc/login.defs, read as shadow's getdef reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::login_defs;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    for (_, name, value) in login_defs::parse(text) {
        assert!(!name.is_empty() && !value.contains('"'));
        let (_, last) = login_defs::get(text, name).expect("a parsed name is found");
        assert_eq!(
            login_defs::get_bool(text, name),
            last.eq_ignore_ascii_case("yes")
        );
    }
});
