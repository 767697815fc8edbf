//! Decoder and encoder for the `security.capability` extended attribute, the on-disk form of
//! file capabilities described in capabilities(7) and defined by `struct vfs_ns_cap_data` in
//! `linux/capability.h`.
//!
//! All fields are little-endian `u32`s. The first, `magic_etc`, holds the revision in its top
//! byte and flags below; `VFS_CAP_FLAGS_EFFECTIVE` (bit 0) means the permitted and inheritable
//! sets are raised into the effective set on exec.
//!
//! | revision | magic        | size | layout after magic_etc                                |
//! |----------|--------------|------|-------------------------------------------------------|
//! | 1        | `0x01000000` | 12   | permitted, inheritable (32-bit sets)                  |
//! | 2        | `0x02000000` | 20   | permitted lo, inheritable lo, permitted hi, inheritable hi |
//! | 3        | `0x03000000` | 24   | as revision 2, then `rootid`, the namespace root's uid |
//!
//! The kernel accepts exactly these sizes; any other length for a revision is corrupt.

use serde::Serialize;

/// Mask selecting the revision in `magic_etc`.
const REVISION_MASK: u32 = 0xFF00_0000;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;
const FLAGS_EFFECTIVE: u32 = 0x0000_0001;

const SIZE_1: usize = 12;
const SIZE_2: usize = 20;
const SIZE_3: usize = 24;

/// Decoded file capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCaps {
    /// 1, 2 or 3, the `VFS_CAP_REVISION_*` the blob was written with.
    pub revision: u8,
    /// Whether `VFS_CAP_FLAGS_EFFECTIVE` was set (the `e` in `cap_setuid=ep`).
    pub effective: bool,
    /// Permitted set, one bit per capability number.
    pub permitted: u64,
    /// Inheritable set, one bit per capability number.
    pub inheritable: u64,
    /// For revision 3, the uid that is root in the user namespace the capabilities apply to.
    pub rootid: Option<u32>,
}

impl FileCaps {
    /// Returns true when `cap` is in the permitted set.
    pub fn permits(&self, cap: caps::Capability) -> bool {
        bit_set(self.permitted, cap.index())
    }

    /// Returns the permitted capabilities as lowercase names such as `cap_setuid`, in bit
    /// order. Bits this build's `caps` crate has no name for are shown as their decimal
    /// number, which is what libcap's `cap_to_text` does too.
    pub fn names(&self) -> Vec<String> {
        (0u8..64)
            .filter(|&bit| bit_set(self.permitted, bit))
            .map(cap_name)
            .collect()
    }

    /// Describes the capabilities in the style of `getcap`, e.g. `cap_setuid=ep`.
    ///
    /// Capabilities that share the same flags are grouped (`cap_a,cap_b=ep`), groups are
    /// ordered by their lowest capability number, and flags are written in libcap's `eip`
    /// order, so the output is stable. An empty set is written as `=`, as libcap does. A
    /// revision-3 root id is appended as `[rootid=N]`, matching `getcap -n`.
    pub fn describe(&self) -> String {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for bit in 0u8..64 {
            let p = bit_set(self.permitted, bit);
            let i = bit_set(self.inheritable, bit);
            if !p && !i {
                continue;
            }
            let mut flags = String::new();
            // The effective flag raises every permitted or inheritable capability, so it
            // applies to each listed bit alike.
            if self.effective {
                flags.push('e');
            }
            if i {
                flags.push('i');
            }
            if p {
                flags.push('p');
            }
            match groups.iter_mut().find(|(f, _)| *f == flags) {
                Some((_, names)) => names.push(cap_name(bit)),
                None => groups.push((flags, vec![cap_name(bit)])),
            }
        }
        let mut out = if groups.is_empty() {
            "=".to_string()
        } else {
            groups
                .iter()
                .map(|(flags, names)| format!("{}={flags}", names.join(",")))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if let Some(rootid) = self.rootid {
            out.push_str(&format!(" [rootid={rootid}]"));
        }
        out
    }
}

/// Decodes a `security.capability` attribute value.
pub fn parse(blob: &[u8]) -> Result<FileCaps, String> {
    let magic = read_u32(blob, 0).ok_or_else(|| {
        format!(
            "capability attribute is {} bytes, too short for its 4-byte header",
            blob.len()
        )
    })?;
    let (revision, expected) = match magic & REVISION_MASK {
        REVISION_1 => (1u8, SIZE_1),
        REVISION_2 => (2u8, SIZE_2),
        REVISION_3 => (3u8, SIZE_3),
        other => {
            return Err(format!(
                "unknown capability revision 0x{other:08x} (known: 0x01000000, 0x02000000, 0x03000000)"
            ));
        }
    };
    if blob.len() != expected {
        return Err(format!(
            "revision {revision} capability attribute must be {expected} bytes, got {}",
            blob.len()
        ));
    }
    let field = |offset: usize| u64::from(read_u32(blob, offset).unwrap_or(0));
    let (permitted, inheritable) = if revision == 1 {
        (field(4), field(8))
    } else {
        (field(4) | field(12) << 32, field(8) | field(16) << 32)
    };
    Ok(FileCaps {
        revision,
        effective: magic & FLAGS_EFFECTIVE != 0,
        permitted,
        inheritable,
        rootid: if revision == 3 {
            read_u32(blob, 20)
        } else {
            None
        },
    })
}

/// Encodes capabilities into the attribute format of `caps.revision`.
///
/// Revision 1 can only hold 32-bit sets, so higher bits are dropped there. A revision other
/// than 1, 2 or 3 is written as revision 3 when a root id is present and revision 2
/// otherwise, the two forms current kernels write.
pub fn encode(caps: &FileCaps) -> Vec<u8> {
    let revision = match caps.revision {
        1 => REVISION_1,
        2 => REVISION_2,
        3 => REVISION_3,
        _ if caps.rootid.is_some() => REVISION_3,
        _ => REVISION_2,
    };
    let magic = revision | if caps.effective { FLAGS_EFFECTIVE } else { 0 };
    let lo = |set: u64| (set & 0xFFFF_FFFF) as u32;
    let hi = |set: u64| (set >> 32) as u32;
    let mut words = vec![magic, lo(caps.permitted), lo(caps.inheritable)];
    if revision != REVISION_1 {
        words.push(hi(caps.permitted));
        words.push(hi(caps.inheritable));
    }
    if revision == REVISION_3 {
        words.push(caps.rootid.unwrap_or(0));
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Formats bytes as lowercase hex without separators, as `getfattr -e hex` prints them
/// (minus its `0x` prefix).
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// Parses hex digits in either case, ignoring whitespace and an optional leading `0x` as
/// printed by `getfattr -e hex`.
pub fn from_hex(s: &str) -> Result<Vec<u8>, String> {
    let trimmed = s.trim_ascii();
    let body = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let mut nibbles = Vec::with_capacity(body.len());
    for c in body.chars() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let value = c
            .to_digit(16)
            .ok_or_else(|| format!("invalid hex digit {c:?}"))?;
        // to_digit(16) never exceeds 15, so the narrowing cannot lose information.
        nibbles.push(value as u8);
    }
    if nibbles.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", nibbles.len()));
    }
    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => high << 4 | low,
            _ => 0,
        })
        .collect())
}

fn bit_set(set: u64, bit: u8) -> bool {
    bit < 64 && set & (1u64 << bit) != 0
}

fn read_u32(blob: &[u8], offset: usize) -> Option<u32> {
    let bytes = blob.get(offset..offset.checked_add(4)?)?;
    let array: [u8; 4] = bytes.try_into().ok()?;
    Some(u32::from_le_bytes(array))
}

/// Returns libcap's name for capability number `bit`.
fn cap_name(bit: u8) -> String {
    caps::all()
        .into_iter()
        .find(|c| c.index() == bit)
        .map(|c| c.to_string().to_ascii_lowercase())
        .unwrap_or_else(|| bit.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use caps::Capability;
    use proptest::prelude::*;

    /// `getfattr -n security.capability -e hex /usr/bin/newuidmap` on Fedora, whose
    /// `getcap` output is `/usr/bin/newuidmap cap_setuid=ep`.
    const FEDORA_NEWUIDMAP: &str = "0x0100000280000000000000000000000000000000";

    #[test]
    fn fedora_newuidmap() {
        let blob = from_hex(FEDORA_NEWUIDMAP).unwrap();
        assert_eq!(blob.len(), 20);
        let caps = parse(&blob).unwrap();
        assert_eq!(
            caps,
            FileCaps {
                revision: 2,
                effective: true,
                permitted: 1 << 7,
                inheritable: 0,
                rootid: None,
            }
        );
        assert!(caps.permits(Capability::CAP_SETUID));
        assert!(!caps.permits(Capability::CAP_SETGID));
        assert_eq!(caps.names(), vec!["cap_setuid"]);
        assert_eq!(caps.describe(), "cap_setuid=ep");
        assert_eq!(encode(&caps), blob);
        assert_eq!(format!("0x{}", to_hex(&blob)), FEDORA_NEWUIDMAP);
    }

    #[test]
    fn newgidmap_and_combinations() {
        // cap_setgid=ep, as on newgidmap.
        let caps =
            parse(&from_hex("01000002 40000000 00000000 00000000 00000000").unwrap()).unwrap();
        assert_eq!(caps.describe(), "cap_setgid=ep");
        // cap_net_bind_service (10) and cap_net_raw (13) permitted, cap_chown (0)
        // inheritable only, no effective flag.
        let caps = FileCaps {
            revision: 2,
            effective: false,
            permitted: 1 << 10 | 1 << 13,
            inheritable: 1,
            rootid: None,
        };
        assert_eq!(
            caps.describe(),
            "cap_chown=i cap_net_bind_service,cap_net_raw=p"
        );
        assert_eq!(caps.names(), vec!["cap_net_bind_service", "cap_net_raw"]);
        // A capability above bit 31 lives in the second word of revision 2.
        let caps = FileCaps {
            revision: 2,
            effective: true,
            permitted: 1 << 38,
            inheritable: 0,
            rootid: None,
        };
        let blob = encode(&caps);
        assert_eq!(to_hex(&blob), "0100000200000000000000004000000000000000");
        assert_eq!(caps.names(), vec!["cap_perfmon"]);
        assert!(caps.permits(Capability::CAP_PERFMON));
    }

    #[test]
    fn revision_1_and_3() {
        let v1 = from_hex("010000018000000000000000").unwrap();
        let caps = parse(&v1).unwrap();
        assert_eq!(caps.revision, 1);
        assert!(caps.effective);
        assert_eq!(caps.permitted, 1 << 7);
        assert_eq!(encode(&caps), v1);

        let v3 = from_hex("010000038000000000000000000000000000000000000100").unwrap();
        let caps = parse(&v3).unwrap();
        assert_eq!(caps.revision, 3);
        assert_eq!(caps.rootid, Some(65536));
        assert_eq!(caps.describe(), "cap_setuid=ep [rootid=65536]");
        assert_eq!(encode(&caps), v3);
    }

    #[test]
    fn empty_sets_and_unknown_bits() {
        let caps = FileCaps {
            revision: 2,
            effective: false,
            permitted: 0,
            inheritable: 0,
            rootid: None,
        };
        assert_eq!(caps.describe(), "=");
        let caps = FileCaps {
            permitted: 1 << 63,
            ..caps
        };
        assert_eq!(caps.names(), vec!["63"]);
    }

    #[test]
    fn rejects_bad_blobs() {
        assert!(parse(&[]).unwrap_err().contains("too short"));
        assert!(parse(&[1, 0, 0]).unwrap_err().contains("too short"));
        let err = parse(&from_hex("0100000280000000").unwrap()).unwrap_err();
        assert_eq!(
            err,
            "revision 2 capability attribute must be 20 bytes, got 8"
        );
        let err = parse(&from_hex("010000018000000000000000 00000000").unwrap()).unwrap_err();
        assert!(err.contains("must be 12 bytes"), "{err}");
        let err =
            parse(&from_hex("0100000480000000000000000000000000000000").unwrap()).unwrap_err();
        assert!(
            err.contains("unknown capability revision 0x04000000"),
            "{err}"
        );
    }

    #[test]
    fn hex_parsing() {
        assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(
            from_hex(" DE ad\nbe ef ").unwrap(),
            vec![0xde, 0xad, 0xbe, 0xef]
        );
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
        assert!(from_hex("é0").is_err());
    }

    fn caps_strategy() -> impl Strategy<Value = FileCaps> {
        prop_oneof![
            (any::<bool>(), any::<u32>(), any::<u32>()).prop_map(|(e, p, i)| FileCaps {
                revision: 1,
                effective: e,
                permitted: u64::from(p),
                inheritable: u64::from(i),
                rootid: None,
            }),
            (any::<bool>(), any::<u64>(), any::<u64>()).prop_map(|(e, p, i)| FileCaps {
                revision: 2,
                effective: e,
                permitted: p,
                inheritable: i,
                rootid: None,
            }),
            (any::<bool>(), any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(e, p, i, r)| {
                FileCaps {
                    revision: 3,
                    effective: e,
                    permitted: p,
                    inheritable: i,
                    rootid: Some(r),
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn never_panics(blob in prop::collection::vec(any::<u8>(), 0..32), text in any::<String>()) {
            if let Ok(caps) = parse(&blob) {
                let _ = (caps.names(), caps.describe());
            }
            let _ = from_hex(&text);
        }

        #[test]
        fn decoding_is_stable(rev in 1u8..=3, flags in any::<u32>(), rest in prop::collection::vec(any::<u8>(), 20)) {
            // Build a blob of the right size for its revision with arbitrary flag bits and
            // sets; re-encoding what was decoded must decode to the same value, because only
            // the effective flag is meaningful among the flag bits.
            let magic = u32::from(rev) << 24 | (flags & 0x00FF_FFFF);
            let size = [0, SIZE_1, SIZE_2, SIZE_3][usize::from(rev)];
            let mut blob = magic.to_le_bytes().to_vec();
            blob.extend_from_slice(&rest[..size - 4]);
            let caps = parse(&blob).unwrap();
            prop_assert_eq!(caps.revision, rev);
            prop_assert_eq!(caps.effective, flags & 1 == 1);
            prop_assert_eq!(parse(&encode(&caps)), Ok(caps));
        }

        #[test]
        fn round_trips(caps in caps_strategy()) {
            let blob = encode(&caps);
            prop_assert_eq!(parse(&blob), Ok(caps));
        }

        #[test]
        fn hex_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let hex = to_hex(&bytes);
            prop_assert_eq!(hex.len(), bytes.len() * 2);
            prop_assert!(hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
            prop_assert_eq!(from_hex(&hex), Ok(bytes));
        }

        #[test]
        fn names_match_permitted_bits(caps in caps_strategy()) {
            prop_assert_eq!(caps.names().len() as u32, caps.permitted.count_ones());
            let blob_len = encode(&caps).len();
            prop_assert_eq!(blob_len, [0, SIZE_1, SIZE_2, SIZE_3][usize::from(caps.revision)]);
        }
    }
}
