//! Filesystem magic numbers (`statfs(2)` `f_type`, from linux/magic.h) and their names.
//!
//! Pure data: the host layer reports a number, checks and sidecars speak names.

/// (name, magic) pairs; names are the ones `stat -f -c %T` prints where it knows them.
pub const MAGICS: &[(&str, u64)] = &[
    ("ext4", 0xEF53),
    ("xfs", 0x5846_5342),
    ("btrfs", 0x9123_683E),
    ("tmpfs", 0x0102_1994),
    ("cgroup2", 0x6367_7270),
    ("cgroup", 0x0027_e0eb),
    ("nfs", 0x6969),
    ("smb2", 0xFE53_4D42),
    ("cifs", 0xFF53_4D42),
    ("fuse", 0x6573_5546),
    ("overlay", 0x794c_7630),
    ("zfs", 0x2fc1_2fc1),
    ("proc", 0x9fa0),
    ("sysfs", 0x6265_6572),
    ("ramfs", 0x8584_58f6),
    ("squashfs", 0x7371_7368),
    ("f2fs", 0xF2F5_2010),
    ("bcachefs", 0xca45_1a4e),
    ("9p", 0x0102_1997),
    ("ceph", 0x00c3_6400),
    ("gfs2", 0x0116_1970),
    ("ocfs2", 0x7461_636f),
    ("lustre", 0x0BD0_0BD0),
    ("selinuxfs", 0xf97c_ff8c),
];

pub const CGROUP2: u64 = 0x6367_7270;
pub const TMPFS: u64 = 0x0102_1994;
pub const NFS: u64 = 0x6969;
pub const BTRFS: u64 = 0x9123_683E;
pub const ZFS: u64 = 0x2fc1_2fc1;

/// Network and cluster filesystems on which Docker's data-root breaks (`lchown … operation not permitted`).
pub const NETWORK_FILESYSTEMS: &[u64] = &[
    NFS,
    0xFE53_4D42,
    0xFF53_4D42,
    0x00c3_6400,
    0x0116_1970,
    0x7461_636f,
    0x0BD0_0BD0,
    0x0102_1997,
];

pub fn name(magic: u64) -> String {
    MAGICS
        .iter()
        .find(|(_, m)| *m == magic)
        .map(|(n, _)| (*n).to_owned())
        .unwrap_or_else(|| format!("0x{magic:x}"))
}

pub fn by_name(name: &str) -> Option<u64> {
    MAGICS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (n, m) in MAGICS {
            assert_eq!(by_name(n), Some(*m));
            assert_eq!(name(*m), *n);
        }
        assert_eq!(name(0x1234), "0x1234");
    }
}
