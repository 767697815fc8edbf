//! The `security.capability` xattr blob, its encoding, and the hex form sidecars store it in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::vfs_cap;

fuzz_target!(|data: &[u8]| {
    if let Ok(caps) = vfs_cap::parse(data) {
        let _ = (caps.names(), caps.describe());
        // Decoding what was encoded gives the same capabilities back.
        assert_eq!(vfs_cap::parse(&vfs_cap::encode(&caps)).as_ref(), Ok(&caps));
    }
    let hex = vfs_cap::to_hex(data);
    assert_eq!(vfs_cap::from_hex(&hex).as_deref(), Ok(data));
    if let Some(text) = rootless_doctor_fuzz::text(data)
        && let Ok(bytes) = vfs_cap::from_hex(text)
    {
        let _ = vfs_cap::parse(&bytes);
    }
});
