//! What `openssl s_client` printed: stdout (what the peer sent), a NUL, then stderr.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::openssl::{self, Handshake};

fuzz_target!(|data: &[u8]| {
    let (stdout, stderr) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let Some(stderr) = rootless_doctor_fuzz::text(stderr) else {
        return;
    };
    for verified in [true, false] {
        match openssl::s_client(stdout, stderr, verified) {
            Handshake::Answered(bytes) => assert_eq!(bytes, stdout),
            Handshake::Silent | Handshake::EncryptedKey => assert!(stdout.is_empty()),
            Handshake::Unverified { text, .. } => {
                assert!(verified);
                assert!(text.chars().count() <= 200);
            }
            Handshake::Alert(s)
            | Handshake::NotTls(s)
            | Handshake::LocalFiles(s)
            | Handshake::Other(s) => assert!(s.chars().count() <= 200),
        }
    }
});
