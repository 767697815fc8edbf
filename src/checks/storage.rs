//! Storage: which driver the kernel allows in a user namespace, and where the data-root lives.

use super::{Check, Scope, no_filesystem, unreadable};
use crate::facts::data_root::{DataRootError, DataRootSetting};
use crate::facts::{Facts, Read};
use crate::fsmagic;
use crate::model::{Evidence, Remediation, Verdict, tristate_letter};
use crate::parse::kernel::{KernelVersion, Tristate};

/// overlayfs mounts inside a user namespace since 5.11 (upstream 459c7c565ac3).
const OVERLAY_USERNS: KernelVersion = KernelVersion::new(5, 11, 0);
/// FUSE in user namespaces (and so fuse-overlayfs) since 4.18.
const FUSE_USERNS: KernelVersion = KernelVersion::new(4, 18, 0);

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "storage.driver",
        area: "storage",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "The kernel allows overlay2 (5.11+) or fuse-overlayfs (4.18+) in a user namespace",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: the running kernel's version (/proc/sys/kernel/osrelease) and configuration: overlay2 needs kernel 5.11 or later \
(and CONFIG_OVERLAY_FS); fuse-overlayfs needs 4.18 and the fuse-overlayfs binary; btrfs works on 4.18 or with \
user_subvol_rm_allowed; vfs always works but copies every layer in full.

Why it matters: rootless dockerd picks the first driver that works. On RHEL 8 (4.18) or Debian 11 (5.10) without \
fuse-overlayfs it falls back to vfs: pulls are slow and layers take many times the disk space.

What you see when it's wrong: `docker info` shows `Storage Driver: vfs`; pulls of large images are slow and fill the disk.

How to fix: install fuse-overlayfs (`sudo dnf install -y fuse-overlayfs` on RHEL 8, `sudo apt-get install -y fuse-overlayfs` on \
Debian 11), or run a kernel of 5.11 or later.",
        packages: &["fuse_overlayfs"],
        run: driver,
    },
    Check {
        id: "storage.data_root",
        area: "storage",
        scope: Scope::Preflight,
        needs_runtime: false,
        title: "Docker's data-root is not on NFS or another network filesystem",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; subuid(5)",
        explain: "\
What it checks: the rootless data-root (\"data-root\" in ~/.config/docker/daemon.json, else ~/.local/share/docker), or the \
nearest existing parent directory, and the filesystem it lives on (statfs). NFS, CIFS/SMB, Ceph, GFS2, OCFS2, Lustre and 9p \
are refused.

Why it matters: the storage drivers need lchown to subordinate ids and overlay mounts on the data-root; network filesystems \
with root squashing or id mapping refuse both. Home directories on NFS are common in universities and companies.

What you see when it's wrong: `docker: failed to register layer: ApplyLayer exit status 1 stdout: stderr: lchown <FILE>: operation not permitted`.

How to fix: point the data-root at a local disk in ~/.config/docker/daemon.json: `{\"data-root\":\"/somewhere-out-of-nfs\"}` \
(a directory you own on a local filesystem, e.g. /var/tmp/USER-docker or a local scratch disk), then restart the daemon.",
        packages: &[],
        run: data_root,
    },
];

fn driver(f: &Facts) -> Verdict {
    let Some(kernel) = f.kernel else {
        let release = f
            .kernel_release
            .clone()
            .unwrap_or_else(|| "unreadable".into());
        return Verdict::error(format!("cannot tell the kernel version from {release:?}"))
            .evidence("/proc/sys/kernel/osrelease", release);
    };
    let release = f.kernel_release.clone().unwrap_or_default();
    // /proc/filesystems lists overlay when it is built in or loaded: no need to decompress the kernel config then.
    let overlay_listed = match f.read("/proc/filesystems") {
        Read::Ok(text) => text
            .lines()
            .any(|l| l.split_whitespace().last() == Some("overlay")),
        _ => false,
    };
    let overlay_config = if overlay_listed {
        Some(("/proc/filesystems".to_owned(), Tristate::Yes))
    } else {
        f.kernel_option("OVERLAY_FS")
    };
    let fuse = f.which("fuse-overlayfs");
    // Ubuntu's kernels carry overlayfs-in-userns from long before 5.11 (Docker docs: "or Ubuntu-flavored kernel").
    let patched = f.distro().quirks.overlay_userns_patched;
    let overlay_in_userns = kernel >= OVERLAY_USERNS || patched;
    let mut v = match (&overlay_config, overlay_in_userns) {
        (Some((_, Tristate::No)), _) | (_, false) => {
            let reason = if overlay_in_userns {
                "the kernel has no overlayfs (CONFIG_OVERLAY_FS is not set)".to_owned()
            } else {
                format!(
                    "kernel {kernel} is older than {OVERLAY_USERNS}, which first mounts overlayfs in a user namespace"
                )
            };
            // The btrfs driver needs the data-root on btrfs and, in a user namespace, kernel 4.18.
            let on_btrfs = matches!(locate_data_root(f), Ok(r) if r.magic == fsmagic::BTRFS);
            match (&fuse, kernel >= FUSE_USERNS) {
                (Some(path), true) => Verdict::pass(format!("{reason}; fuse-overlayfs ({path}) will be used")),
                (None, true) if on_btrfs => Verdict::pass(format!(
                    "{reason}; the data-root is on btrfs, so the btrfs driver will be used"
                )),
                (None, true) => Verdict::warn(format!(
                    "{reason}, and fuse-overlayfs is not installed: dockerd falls back to vfs (slow, full copies of every layer)"
                ))
                .fix({
                    let d = f.distro();
                    let r = Remediation::text(format!("Install {} (it works on kernel 4.18 and later):", d.package_list(&["fuse_overlayfs"])));
                    r.steps(d.install_step(&["fuse_overlayfs"]))
                }),
                (_, false) => Verdict::warn(format!(
                    "{reason}, and kernel {kernel} is older than {FUSE_USERNS} (FUSE in user namespaces): only vfs works"
                ))
                .fix(Remediation::text("Run a newer kernel: 5.11 or later for overlay2, 4.18 or later for fuse-overlayfs.")),
            }
        }
        _ if kernel < OVERLAY_USERNS => Verdict::pass(format!(
            "kernel {kernel} is older than {OVERLAY_USERNS}, but {}'s kernels mount overlayfs in a user namespace: overlay2",
            f.distro().name
        )),
        _ => Verdict::pass(format!(
            "kernel {kernel} mounts overlayfs in a user namespace: overlay2"
        )),
    };
    v = v.evidence("/proc/sys/kernel/osrelease", release);
    match overlay_config {
        Some((src, _)) if overlay_listed => v = v.evidence(src, "overlay"),
        Some((src, t)) => v = v.evidence(src, format!("CONFIG_OVERLAY_FS={}", tristate_letter(t))),
        None => {}
    }
    if let Some(path) = fuse {
        v = v.evidence(path, "fuse-overlayfs");
    }
    if f.distro().quirks.prefer_fuse_overlayfs
        && v.status == crate::model::Status::Pass
        && kernel < OVERLAY_USERNS
    {
        v = v.evidence(
            format!("distros/{}.toml", f.distro().key),
            "the docs recommend fuse-overlayfs on this release",
        );
    }
    v
}

/// Where the data-root is and which filesystem will hold it.
struct DataRoot {
    path: String,
    /// The nearest existing directory (the data-root itself once dockerd has run).
    probe: String,
    magic: u64,
    daemon_json: String,
    evidence: Vec<Evidence>,
}

fn locate_data_root(f: &Facts) -> Result<DataRoot, Verdict> {
    let json_path = f.daemon_json_path();
    let mut evidence = Vec::new();
    let configured = match f.rootless_data_root_setting() {
        Ok(DataRootSetting::NoFile) => None,
        Ok(setting) => {
            let root = match setting {
                DataRootSetting::Set(r) => Some(r),
                _ => None,
            };
            evidence.push(Evidence {
                source: json_path.clone(),
                detail: match &root {
                    Some(r) => format!("data-root = {r}"),
                    None => "no data-root key".into(),
                },
            });
            root
        }
        Err(DataRootError::Invalid(what)) => {
            return Err(Verdict::fail(format!("{json_path}: {what}: dockerd refuses to start with it"))
                .evidence(json_path.clone(), what)
                .fix(Remediation::text(format!(
                    "Make {json_path} a JSON object whose \"data-root\" (if any) is an absolute path, e.g. {{\"data-root\": \"/var/tmp/{}-docker\"}}.",
                    f.user.name
                ))));
        }
        Err(DataRootError::Syntax {
            line,
            column,
            message,
        }) => {
            return Err(Verdict::fail(format!("{json_path}:{line}:{column}: {message}"))
                .evidence(format!("{json_path}:{line}"), message)
                .fix(Remediation::text(format!(
                    "dockerd refuses to start with an invalid {json_path}: correct the JSON at the line and column named."
                ))));
        }
        Err(DataRootError::Unreadable(e)) => return Err(unreadable(&json_path, &e)),
    };
    let path = configured.unwrap_or_else(|| f.rootless_default_data_root());
    let (probe, magic) = f
        .filesystem_of(&path)
        .map_err(|e| no_filesystem(&path, e))?;
    evidence.push(Evidence {
        source: format!("statfs:{probe}"),
        detail: fsmagic::name(magic),
    });
    Ok(DataRoot {
        path,
        probe,
        magic,
        daemon_json: json_path,
        evidence,
    })
}

fn data_root(f: &Facts) -> Verdict {
    let root = match locate_data_root(f) {
        Ok(r) => r,
        Err(v) => return v,
    };
    let fs = fsmagic::name(root.magic);
    let shown = if root.probe == root.path {
        root.path.clone()
    } else {
        format!("{} (not created yet; {})", root.path, root.probe)
    };
    if fsmagic::NETWORK_FILESYSTEMS.contains(&root.magic) {
        return Verdict::fail(format!(
            "data-root {shown} is on {fs}: pulls fail with \"lchown <FILE>: operation not permitted\""
        ))
        .with_evidence(root.evidence)
        .fix(Remediation::text(format!(
            "Put the data-root on a local filesystem: write {{\"data-root\":\"/somewhere-out-of-nfs\"}} (a local directory you \
own, e.g. /var/tmp/{}-docker) into {}, then restart the daemon.",
            f.user.name, root.daemon_json
        )));
    }
    Verdict::pass(format!("data-root {shown} is on {fs}")).with_evidence(root.evidence)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix};
    use crate::model::Status;

    const JSON: &str = "/home/alice/.config/docker/daemon.json";

    #[test]
    fn a_daemon_json_that_is_not_json_fails_at_its_line_and_column() {
        let v = check("debian-12-daemon-json-syntax-error", "storage.data_root");
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            v.summary,
            format!("{JSON}:3:21: expected value at line 3 column 21")
        );
        assert_eq!(v.evidence[0].source, format!("{JSON}:3"));
    }

    #[test]
    fn a_relative_data_root_fails_with_an_absolute_example() {
        let v = check(
            "debian-12-daemon-json-relative-data-root",
            "storage.data_root",
        );
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            v.summary,
            format!(
                "{JSON}: data-root \"docker-data\" is not an absolute path: dockerd refuses to start with it"
            )
        );
        assert!(
            fix(&v)
                .text
                .contains(r#"{"data-root": "/var/tmp/alice-docker"}"#)
        );
    }

    #[test]
    fn a_daemon_json_that_is_not_an_object_fails() {
        let v = check("debian-12-daemon-json-not-an-object", "storage.data_root");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("the top level is not a JSON object"));
    }
}
