//! RootlessKit's command line as its parent checks it: WORDS 0xFF VERSION, where WORDS is
//! DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS-like text split at blanks as the script's `$VAR` is, and VERSION a package
//! version (`1.1.0-1+b5`; RootlessKit's newest modelled release when it does not parse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::rootlesskit::{self, Version};

fuzz_target!(|data: &[u8]| {
    let [words, version] = rootless_doctor_fuzz::split::<2>(data);
    let Some(text) = rootless_doctor_fuzz::text(words) else {
        return;
    };
    let version = rootless_doctor_fuzz::text(version)
        .and_then(Version::parse)
        .unwrap_or(Version::NEWEST);
    let words: Vec<String> = text
        .split([' ', '\t', '\n'])
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if let Err(refusal) = rootlesskit::check(&words, version) {
        // The word at fault is one of the input's.
        assert!(refusal.word.is_none_or(|i| i < words.len()));
    }
    for w in &words {
        let _ = rootlesskit::parse_go_int(w);
    }
});
