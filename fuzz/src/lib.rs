//! Helpers shared by the fuzz targets in `fuzz_targets/`.
//!
//! Targets with several inputs (a unit and its environment file, dockerd's flags and daemon.json, a profile and its
//! tunables) take them from one byte string split at [`SEP`], `0xFF`: a byte that never occurs in UTF-8 text, so a
//! text input can hold anything else, NUL-separated lists included. `cargo xtask fuzz` writes its seeds the same way.

/// The byte between the inputs of a multi-input target.
pub const SEP: u8 = 0xFF;

/// The first `N` inputs in `data` (missing ones are empty); anything after the `N`th separator belongs to the last.
pub fn split<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = rest;
            break;
        }
        match rest.iter().position(|&b| b == SEP) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
            }
        }
    }
    out
}

/// `bytes` as text the way `Host::read` hands a file over: `None` when it is not UTF-8.
pub fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}
