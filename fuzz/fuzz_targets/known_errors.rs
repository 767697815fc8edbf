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
    let line_seen = seen(&line);
    // A line systemd cut short (an ellipsis where it cut, the message's tail after it) may hold all needles but
    // one, of which the text before the ellipsis ends with CUT_MIN characters or more, and two thirds of it.
    let head = line_seen
        .find('\u{2026}')
        .or_else(|| line_seen.find("..."))
        .map(|at| line_seen[..at].trim_end());
    for e in known_errors::explain(&line) {
        assert!(!e.unless.iter().any(|n| line_seen.contains(&seen(n))));
        let missing: Vec<String> = e
            .needles
            .iter()
            .map(|n| seen(n))
            .filter(|n| !line_seen.contains(n.as_str()))
            .collect();
        match (missing.as_slice(), head) {
            ([], _) => {}
            ([n], Some(head)) => assert!(
                (0..=n.len()).any(|k| n.is_char_boundary(k) && {
                    let start = n[..k].trim_end();
                    start.len() >= known_errors::CUT_MIN
                        && start.len() * 3 >= n.trim_end().len() * 2
                        && start.len() < n.trim_end().len()
                        && head.ends_with(start)
                }),
                "{line:?} holds too little of {n:?}"
            ),
            _ => panic!("{line:?} lacks {missing:?}"),
        }
    }
    let _ = known_errors::checks_for(&stderr);
});

/// Text as the table matches it (written here apart from the crate's own): ASCII lower case, each run of
/// whitespace one space, so a wrapped paste matches the one-line message, and double quotes (plain, escaped with a
/// backslash, typographic) left out, so a paste whose quotes a shell ate matches too.
fn seen(text: &str) -> String {
    let text = text.replace("\\\"", "");
    let mut out = String::new();
    let mut after_space = false;
    for c in text
        .chars()
        .filter(|c| !matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{201e}'))
    {
        let space = c.is_whitespace();
        if !(space && after_space) {
            out.push(if space { ' ' } else { c.to_ascii_lowercase() });
        }
        after_space = space;
    }
    out
}
