//! A failed start's output (stderr, then stdout after the separator), decoded as the trial's runner decodes it:
//! the error line `launch.trial` quotes, and the known-error table's match of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::known_errors;

fuzz_target!(|data: &[u8]| {
    let [stderr, stdout] = rootless_doctor_fuzz::split::<2>(data);
    let stderr = String::from_utf8_lossy(stderr);
    let stdout = String::from_utf8_lossy(stdout);
    let line = known_errors::error_line(&stderr, &stdout);
    assert!(!line.is_empty() && !line.contains('\n'));
    assert!(
        line == "no output"
            || stderr
                .lines()
                .chain(stdout.lines())
                .any(|l| l.trim() == line),
        "{line:?} is no line of the output"
    );
    let lower = line.to_ascii_lowercase();
    for e in known_errors::explain(&line) {
        assert!(
            e.needles
                .iter()
                .all(|n| lower.contains(&n.to_ascii_lowercase()))
        );
    }
    let _ = known_errors::checks_for(&stderr);
});
