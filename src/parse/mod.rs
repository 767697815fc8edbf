//! Pure parsers: every function here takes `&str` or `&[u8]` and never touches the OS.
//!
//! **Architecture Invariant:** nothing in `parse/` reads a file, an environment variable or a clock.
//! The host layer (`src/host/`) hands over bytes; checks interpret what comes back.

use serde::Serialize;

/// A problem in one line of an input, 1-based, as users see it in an editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

pub mod apparmor;
pub mod docker_config;
pub mod dockerd;
pub mod dropin;
pub mod glob;
pub mod gobuildinfo;
pub mod http;
pub mod id_map;
pub mod json_edit;
pub mod kernel;
pub mod kmsg;
pub mod known_errors;
pub mod login_defs;
pub mod lxc_usernet;
pub mod mountinfo;
pub mod net_tcp;
pub mod net_unix;
pub mod netplan;
pub mod openssl;
pub mod os_release;
pub mod passwd;
pub mod pkgdb;
pub mod proc;
pub mod resolv;
pub mod rootlesskit;
pub mod route;
pub mod scan;
pub mod subid;
pub mod sysctl;
pub mod unit;
pub mod vfs_cap;

/// Parses each non-blank line with `parse_line`: good lines are collected, bad ones reported by number and skipped.
pub(crate) fn each_line<T>(
    text: &str,
    parse_line: impl Fn(&str) -> Result<T, String>,
) -> (Vec<T>, Vec<LineError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        if raw.trim_ascii().is_empty() {
            continue;
        }
        match parse_line(raw) {
            Ok(item) => items.push(item),
            Err(message) => errors.push(LineError {
                line: index + 1,
                message,
            }),
        }
    }
    (items, errors)
}

/// Every line of `bytes` as `split(b'\n')` gives them (the text after the last newline is a line too, empty or
/// not), each with its 1-based number, its place in `bytes`, the offsets in the line of its first `N` colons and how
/// many colons it has: one pass that finds newlines and colons together, instead of a memchr search per line and per
/// field, whose set-up costs more than the search on the short lines of passwd, group and subid files. The pass reads
/// eight bytes at a time ([`newlines_and_colons`]) and stops only at those two bytes.
pub(crate) fn lines_with_colons<const N: usize>(
    bytes: &[u8],
    mut each: impl FnMut(usize, std::ops::Range<usize>, &[usize], usize),
) {
    let (mut line, mut start, mut count) = (1, 0, 0);
    let mut colons = [0usize; N];
    let mut at = |i: usize, b: u8| {
        if b == b'\n' {
            each(line, start..i, &colons[..count.min(N)], count);
            (line, start, count) = (line + 1, i + 1, 0);
        } else {
            if let Some(slot) = colons.get_mut(count) {
                *slot = i - start;
            }
            count += 1;
        }
    };
    // Each word's marked bytes, lowest first: little-endian order is the bytes' order.
    let mut word_at = |base: usize, word: [u8; 8]| {
        let mut found = newlines_and_colons(u64::from_le_bytes(word));
        while found != 0 {
            let j = (found.trailing_zeros() / 8) as usize;
            at(base + j, word[j]);
            found &= found - 1;
        }
    };
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (k, word) in words.enumerate() {
        word_at(k * 8, word.try_into().unwrap_or_default());
    }
    // The last bytes as a word padded with zeros, which are neither.
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    word_at(bytes.len() - tail.len(), last);
    each(line, start..bytes.len(), &colons[..count.min(N)], count);
}

/// The bytes of `word` that are `\n` or `:`, each marked by its high bit (and nothing else set): exact, with no
/// carry from one byte into the next (`(b & 0x7f) + 0x7f` is at most 0xfe), unlike the shorter test for whether
/// any byte is zero.
fn newlines_and_colons(word: u64) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let zero_bytes = |x: u64| !(((x & LOW) + LOW) | x | LOW);
    zero_bytes(word ^ 0x0a0a_0a0a_0a0a_0a0a) | zero_bytes(word ^ 0x3a3a_3a3a_3a3a_3a3a)
}

/// [`lines_with_colons`] for one line (no newline in it).
pub(crate) fn colons_of<const N: usize>(line: &[u8]) -> ([usize; N], usize) {
    let mut colons = [0usize; N];
    let mut count = 0;
    for (i, _) in line.iter().enumerate().filter(|(_, b)| **b == b':') {
        if let Some(slot) = colons.get_mut(count) {
            *slot = i;
        }
        count += 1;
    }
    (colons, count)
}

/// `text.split(sep)` for an ASCII separator, by a plain byte scan: `str::split` with a char searches with memchr,
/// whose set-up costs more than the search when the pieces are a few bytes long (the lines and fields of a fleet's
/// passwd and subid files, tens of thousands of them).
pub fn split_ascii(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = Some(&t[i + 1..]);
                Some(&t[..i])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

/// A run of ASCII digits as a number (no sign, no spaces, unlike `str::parse` alone).
pub(crate) fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A field or line for an error message, cut short so a binary blob cannot flood the report.
pub(crate) fn shown(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lines_with_colons_is_split_and_a_count(text in "([a:\n]|\\PC){0,80}") {
            let mut ours = Vec::new();
            super::lines_with_colons::<2>(text.as_bytes(), |line, place, colons, count| {
                ours.push((line, text[place].to_string(), colons.to_vec(), count));
            });
            let split: Vec<_> = text
                .split('\n')
                .enumerate()
                .map(|(i, l)| {
                    let (colons, count) = super::colons_of::<2>(l.as_bytes());
                    (i + 1, l.to_string(), colons[..count.min(2)].to_vec(), count)
                })
                .collect();
            prop_assert_eq!(ours, split);
        }

        #[test]
        fn newlines_and_colons_marks_exactly_those_bytes(word in any::<[u8; 8]>(), picks in any::<[bool; 8]>()) {
            // Random bytes rarely are either: put some in.
            let mut word = word;
            for (b, (i, pick)) in word.iter_mut().zip(picks.iter().enumerate()) {
                if *pick {
                    *b = if i % 2 == 0 { b'\n' } else { b':' };
                }
            }
            let marks = super::newlines_and_colons(u64::from_le_bytes(word)).to_le_bytes();
            for (b, m) in word.iter().zip(marks) {
                prop_assert_eq!(m, if matches!(*b, b'\n' | b':') { 0x80 } else { 0 }, "{:?}", word);
            }
        }

        #[test]
        fn split_ascii_is_str_split(text in "([a:\n]|\\PC){0,40}") {
            for sep in [b':', b'\n'] {
                let ours: Vec<&str> = super::split_ascii(&text, sep).collect();
                let std: Vec<&str> = text.split(char::from(sep)).collect();
                prop_assert_eq!(ours, std);
            }
        }
    }
}
