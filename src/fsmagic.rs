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
    ("msdos", 0x4d44),
    ("exfat", 0x2011_BAB0),
    ("hfs", 0x4244),
    ("vboxsf", 0x786f_4256),
];

pub const CGROUP2: u64 = 0x6367_7270;
pub const TMPFS: u64 = 0x0102_1994;
pub const NFS: u64 = 0x6969;
pub const BTRFS: u64 = 0x9123_683E;
pub const ZFS: u64 = 0x2fc1_2fc1;
/// FUSE (`fuse` and `fuseblk` alike): what the filesystem can hold is its server's choice.
pub const FUSE: u64 = 0x6573_5546;

/// Filesystems whose directories have no `mknod` inode operation, so `mknod(2)`, `mkfifo(3)` and `bind(2)` of a
/// Unix socket fail with `EPERM` (fs/namei.c `vfs_mknod`: `if (!dir->i_op->mknod) return -EPERM;`): vfat and msdos
/// (`MSDOS_SUPER_MAGIC`, fs/fat/namei_vfat.c, namei_msdos.c), exfat (fs/exfat/namei.c), hfs (fs/hfs/dir.c) and
/// VirtualBox's shared folders (fs/vboxsf/dir.c).
pub const WITHOUT_SPECIAL_FILES: &[u64] = &[0x4d44, 0x2011_BAB0, 0x4244, 0x786f_4256];

/// FUSE filesystems (mountinfo type `fuse.SUBTYPE`) whose server makes a regular file for a FIFO or a socket, which
/// the kernel then refuses with `EIO` (fs/fuse/dir.c `create_new_entry`: the new inode's type must be the one asked
/// for). Observed: fusefat 0.1a (Debian 12) for `mkfifo` and `bind`. exfat-fuse does the same, but mounts as a plain
/// `fuseblk`, as ntfs-3g does, which holds FIFOs: that type alone decides nothing.
pub const FUSE_WITHOUT_SPECIAL_FILES: &[&str] = &["fuse.fusefat"];

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
