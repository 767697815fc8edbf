//! The one edit of a systemd drop-in (`parse::dropin::set_environment`, `net --write`): a drop-in's text, then the
//! value to set. Whatever the file holds, the edit refuses it at a line of the file or gives a text that the same
//! edit leaves as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::dropin;

fuzz_target!(|data: &[u8]| {
    let [file, value] = rootless_doctor_fuzz::split::<2>(data);
    let (Some(file), Some(value)) = (
        rootless_doctor_fuzz::text(file),
        rootless_doctor_fuzz::text(value),
    ) else {
        return;
    };
    let vars = vec![
        (
            "DOCKERD_ROOTLESS_ROOTLESSKIT_NET".to_owned(),
            value.to_owned(),
        ),
        (
            "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU".to_owned(),
            "65520".to_owned(),
        ),
    ];
    match dropin::set_environment(file, &vars) {
        Err(e) => assert!(e.line <= file.lines().count()),
        Ok(once) => {
            assert!(once.ends_with('\n'));
            assert_eq!(dropin::set_environment(&once, &vars).as_ref(), Ok(&once));
        }
    }
});
