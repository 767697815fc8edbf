//! What the person gives the doctor on standard input: `why -`, an error log piped in (`journalctl --user -u docker
//! | rootless-doctor why -`). Read here, at the OS boundary, and bounded: the last [`TAIL_MAX`] bytes are kept (a
//! failed start's error is its last words), and a stream that goes on past [`READ_MAX`] is refused, so `yes |
//! rootless-doctor why -` ends with a message instead of running forever.
#![allow(clippy::disallowed_methods)]

use std::io::{self, Read};

/// The most of the input `why` matches: its end.
pub const TAIL_MAX: usize = 1024 * 1024;
/// The most bytes read before the input is refused.
pub const READ_MAX: u64 = 64 * 1024 * 1024;

/// The end of standard input, at most [`TAIL_MAX`] bytes of it (on a line boundary when it was cut), and whether
/// anything before it was left out.
pub fn stdin_tail() -> io::Result<(Vec<u8>, bool)> {
    tail_of(io::stdin().lock())
}

/// [`stdin_tail`] of any reader.
pub fn tail_of(input: impl Read) -> io::Result<(Vec<u8>, bool)> {
    let mut limited = input.take(READ_MAX + 1);
    let mut kept: Vec<u8> = Vec::new();
    // The last byte left out, once something was: a cut right after a newline starts on a whole line.
    let mut before: Option<u8> = None;
    // Keeps the last TAIL_MAX bytes.
    let keep_tail = |kept: &mut Vec<u8>, before: &mut Option<u8>| {
        if let Some(drop) = kept.len().checked_sub(TAIL_MAX).filter(|&d| d > 0) {
            *before = Some(kept[drop - 1]);
            kept.drain(..drop);
        }
    };
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > READ_MAX {
            return Err(io::Error::other(format!(
                "standard input goes on past {} MiB: pipe in the lines around the error (`journalctl --user -u docker -n 200`), not an endless stream",
                READ_MAX / (1024 * 1024)
            )));
        }
        kept.extend_from_slice(&buf[..n]);
        // (Only now and then: a drain moves the whole tail.)
        if kept.len() > 2 * TAIL_MAX {
            keep_tail(&mut kept, &mut before);
        }
    }
    keep_tail(&mut kept, &mut before);
    let cut = before.is_some();
    if cut && before != Some(b'\n') {
        // The first line was cut in the middle: start at the next whole one, unless the cut one is all there is
        // (a last line longer than the tail).
        if let Some(nl) = kept.iter().position(|&b| b == b'\n')
            && nl + 1 < kept.len()
        {
            kept.drain(..=nl);
        }
    }
    Ok((kept, cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_input_is_kept_whole() {
        let (text, cut) = tail_of(&b"one\ntwo\n"[..]).unwrap();
        assert_eq!(text, b"one\ntwo\n");
        assert!(!cut);
    }

    #[test]
    fn a_long_input_keeps_its_last_whole_lines() {
        let mut input = Vec::new();
        for i in 0..200_000 {
            input.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let (text, cut) = tail_of(&input[..]).unwrap();
        assert!(cut);
        assert!(text.len() <= TAIL_MAX);
        assert!(text.starts_with(b"line "));
        assert!(text.ends_with(b"line 199999\n"));
    }

    /// Regression (a review): a cut that fell on a line boundary dropped a whole line, and a last line longer than
    /// the tail was dropped entirely (the text then read as empty).
    #[test]
    fn regression_the_tail_dropped_whole_lines() {
        // 16-byte lines: TAIL_MAX is a multiple of 16, so the cut falls on a boundary.
        let mut input = Vec::new();
        for i in 0..(3 * TAIL_MAX / 16) {
            input.extend_from_slice(format!("line {i:010}\n").as_bytes());
        }
        let (text, cut) = tail_of(&input[..]).unwrap();
        assert!(cut);
        assert_eq!(text.len(), TAIL_MAX);
        assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), TAIL_MAX / 16);
        let mut long = vec![b'x'; TAIL_MAX + 10];
        long.push(b'\n');
        let (text, cut) = tail_of(&long[..]).unwrap();
        assert!(cut);
        assert_eq!(text.len(), TAIL_MAX);
        assert!(text.starts_with(b"xxx"));
    }

    #[test]
    fn an_endless_input_is_refused() {
        let endless = io::repeat(b'y');
        let e = tail_of(endless).unwrap_err();
        assert!(e.to_string().contains("goes on past 64 MiB"), "{e}");
    }
}
