//! Storage: which driver the kernel allows in a user namespace, and where the data-root lives.

use super::{Check, Judges, Scope, no_filesystem, unreadable};
use crate::facts::data_root::{DataRootError, DataRootSetting};
use crate::facts::{Access, Facts, FileKind, Permission, Read};
use crate::fsmagic;
use crate::model::{Evidence, Remediation, Verdict, parent_dir, tristate_letter};
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
        per_user: true,
        judges: Judges::Rootless,
        title: "The storage driver works in a user namespace: overlay2 (kernel 5.11+), fuse-overlayfs (4.18+), or the one forced",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: the running kernel's version (/proc/sys/kernel/osrelease) and configuration: overlay2 needs kernel 5.11 or later \
(and CONFIG_OVERLAY_FS); fuse-overlayfs needs 4.18 and the fuse-overlayfs binary; btrfs works on 4.18 or with \
user_subvol_rm_allowed; vfs always works but copies every layer in full. A driver forced by `DOCKER_DRIVER` in the \
daemon's environment, `--storage-driver` (`-s`) on the unit's command line or `storage-driver` in daemon.json is judged \
instead: overlay2 against the kernel, fuse-overlayfs against the daemon's PATH, btrfs and zfs against the data-root's \
filesystem, and the drivers that never work rootless (aufs, devicemapper) or no longer exist (Docker 24 removed aufs and \
overlay, Docker 25 devicemapper).

Why it matters: rootless dockerd picks the first driver that works. On RHEL 8 (4.18) or Debian 11 (5.10) without \
fuse-overlayfs it falls back to vfs: pulls are slow and layers take many times the disk space.

What you see when it's wrong: `docker info` shows `Storage Driver: vfs`; pulls of large images are slow and fill the disk. \
With a forced driver that cannot work, dockerd does not start: `failed to start daemon: error initializing graphdriver: \
prerequisites for driver not satisfied (wrong filesystem?)` (btrfs or zfs elsewhere) or `… driver not supported`.

How to fix: remove a forced driver that cannot work (dockerd then chooses), or install fuse-overlayfs (`sudo dnf install -y fuse-overlayfs` on RHEL 8, `sudo apt-get install -y fuse-overlayfs` on \
Debian 11), or run a kernel of 5.11 or later.",
        packages: &["fuse_overlayfs"],
        removes: &[],
        run: driver,
    },
    Check {
        id: "storage.data_root",
        area: "storage",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
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
(a directory you own on a local filesystem), then restart the daemon. Where /var/lib is local, `fix --apply` makes \
/var/lib/rootless-docker/USER (0700, yours; as root, and only if it is missing: not /var/tmp, where anyone may take the name \
first) and sets it in daemon.json, keeping its other keys.",
        packages: &[],
        removes: &[],
        run: data_root,
    },
    Check {
        id: "storage.data_root_owner",
        area: "storage",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "The rootless data-root is yours: owned by you (nothing of root's in it), or creatable by you",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: the rootless data-root (\"data-root\" in ~/.config/docker/daemon.json, else $XDG_DATA_HOME/docker or \
~/.local/share/docker). If it exists it must be a directory owned by you, and no entry in it may belong to root (what a `sudo dockerd`, a `sudo docker` with this data-root, or a copy made as root leaves behind). If it does \
not exist yet, the nearest existing parent must let you create directories in it, as the kernel judges it for you (permission \
bits, ACLs, a read-only mount: faccessat2(2) with your filesystem ids).

Why it matters: rootless dockerd runs as you (root only inside its user namespace) and creates and chmods its data-root \
before anything else; it stops at the first directory it may not change.

What you see when it's wrong: `chmod /home/alice/.local/share/docker: operation not permitted` (the data-root is root's), \
`mkdir /home/alice/.local/share/docker: permission denied` (its parent is not writable, e.g. ~/.local/share made by a \
`sudo` command), `failed to start daemon: mkdir /home/alice/.local/share/docker/image/overlay2: permission denied` (a \
directory inside is root's); then `[rootlesskit:parent] error: child exited: exit status 1`.

How to fix: move a root-owned data-root aside (`sudo mv ~/.local/share/docker ~/.local/share/docker.root-owned`; the rootless \
daemon starts with an empty one, and the old one can be removed once nothing in it is needed), or give a parent directory \
back to you (`sudo chown alice: ~/.local/share`), or point \"data-root\" in ~/.config/docker/daemon.json at a directory you own.",
        packages: &[],
        removes: &[],
        run: data_root_owner,
    },
];

/// How many entries of the data-root are looked at (a data-root holds a dozen; the cap bounds a hostile one).
const OWNER_SCAN: usize = 256;

fn data_root_owner(f: &Facts) -> Verdict {
    let Ok(root) = locate_data_root(f) else {
        return Verdict::skip("the data-root cannot be located (see storage.data_root)");
    };
    let path = root.path.as_str();
    let user = &f.user;
    let move_aside = |path: &str| {
        let aside = format!("{path}.root-owned");
        Remediation::text(format!(
            "Move it aside (the rootless daemon starts with an empty data-root; remove the old one once nothing in it is \
needed), or point \"data-root\" in {} at a directory you own:",
            root.daemon_json
        ))
        .step(crate::model::Step::rename(true, path, aside.as_str()))
        .by_hand("two ways: start from an empty data-root, or point to another one")
    };
    match f.stat(path) {
        Read::Failed(e) => unreadable(path, &e),
        Read::Ok(meta) if meta.kind != FileKind::Dir => Verdict::fail(format!(
            "data-root {path} is not a directory ({:?}): dockerd stops creating it",
            meta.kind
        ))
        .evidence(path, format!("{:?}", meta.kind).to_lowercase()),
        Read::Ok(meta) if meta.uid != user.uid => Verdict::fail(format!(
            "data-root {path} belongs to uid {}, not to {} ({}): dockerd stops with \"chmod {path}: operation not permitted\"",
            meta.uid, user.name, user.uid
        ))
        .evidence(path, format!("owner {}:{}, mode {:04o}", meta.uid, meta.gid, meta.mode))
        .fix(move_aside(path)),
        Read::Ok(_) => {
            let mut root_owned = Vec::new();
            // dockerd chmods what it owns before it looks inside; a data-root we cannot list is judged no further.
            let listed = f.read_dir(path);
            let (names, unlisted): (&[String], Option<&str>) = match &listed {
                Read::Ok(names) => (names, None),
                Read::Failed(e) => (&[], Some(e.as_str())),
                Read::Missing => (&[], None),
            };
            let truncated = names.len() > OWNER_SCAN;
            for name in names.iter().take(OWNER_SCAN) {
                let entry = format!("{path}/{name}");
                if let Read::Ok(m) = f.lstat(&entry)
                    && m.uid == 0
                    && user.uid != 0
                {
                    root_owned.push((entry, m));
                }
            }
            root_owned.sort_by(|a, b| a.0.cmp(&b.0));
            let scope = if let Some(e) = unlisted {
                format!("its entries not listed: {e}")
            } else if truncated {
                format!("the first {OWNER_SCAN} of {} entries looked at", names.len())
            } else {
                format!("{} entries", names.len())
            };
            let Some((first, _)) = root_owned.first() else {
                return Verdict::pass(format!(
                    "data-root {path} is yours, and nothing in it is root's"
                ))
                .evidence(path, format!("owner {}, {scope}", user.uid));
            };
            let mut v = Verdict::fail(format!(
                "{} of the data-root {path} belong{} to root (left by a `sudo dockerd` or a root-run copy): dockerd \
stops with \"mkdir …: permission denied\" or \"chmod …: operation not permitted\" when it reaches {first}",
                if root_owned.len() == 1 {
                    "an entry".to_owned()
                } else {
                    format!("{} entries", root_owned.len())
                },
                if root_owned.len() == 1 { "s" } else { "" },
            ));
            for (entry, m) in root_owned.iter().take(5) {
                v = v.evidence(entry.clone(), format!("owner 0:{}, mode {:04o}", m.gid, m.mode));
            }
            v.evidence(path, scope).fix(move_aside(path))
        }
        Read::Missing => {
            // dockerd makes it with MkdirAll: the nearest existing ancestor must let the user create in it.
            let mut dir = parent_dir(path).to_owned();
            let meta = loop {
                match f.stat(&dir) {
                    Read::Ok(m) => break m,
                    Read::Missing if dir != "/" => dir = parent_dir(&dir).to_owned(),
                    Read::Missing => return Verdict::error("no existing directory holds the data-root"),
                    Read::Failed(e) => return unreadable(&dir, &e),
                }
            };
            if meta.kind != FileKind::Dir {
                return Verdict::fail(format!(
                    "data-root {path} cannot be created: {dir} is not a directory (\"mkdir {dir}: not a directory\")"
                ))
                .evidence(dir.clone(), format!("{:?}", meta.kind).to_lowercase());
            }
            let owner = format!("owner {}:{}, mode {:04o}", meta.uid, meta.gid, meta.mode);
            match f.access(&dir, Access::CREATE_IN) {
                Read::Ok(Permission::Allowed) => Verdict::pass(format!(
                    "data-root {path} does not exist yet, and {} may create it in {dir}",
                    user.name
                ))
                .evidence(dir, owner),
                Read::Ok(Permission::Denied(why)) => {
                    let home = user.home.trim_end_matches('/');
                    let mut v = Verdict::fail(format!(
                        "data-root {path} does not exist and {} may not create it in {dir} ({why}): dockerd stops with \
\"mkdir {}: permission denied\"",
                        user.name,
                        if dir == parent_dir(path) { path.to_owned() } else { format!("{dir}/…") }
                    ))
                    .evidence(dir.clone(), format!("{owner}: {why}"));
                    if dir.starts_with(&format!("{home}/")) && meta.uid != user.uid {
                        let owner_arg = format!("{}:", user.name);
                        v = v.fix(
                            Remediation::text(format!(
                                "{dir} is in your home but not yours (made by a command run with sudo): give it back to you, or point \
\"data-root\" in {} at a directory you own.",
                                root.daemon_json
                            ))
                            .step(crate::model::Step::set_owner(dir.as_str(), owner_arg.as_str())),
                        );
                    } else {
                        v = v.fix(Remediation::text(format!(
                            "Point \"data-root\" in {} at a directory you own (e.g. /var/tmp/{}-docker), or create {path} as root \
and give it to {}.",
                            root.daemon_json, user.name, user.name
                        )));
                    }
                    v
                }
                Read::Ok(Permission::Unknown(why)) => Verdict::skip(format!(
                    "data-root {path} does not exist yet; whether {} may create it in {dir} cannot be told here ({why})",
                    user.name
                ))
                .evidence(dir, owner),
                Read::Missing => Verdict::error(format!("{dir} vanished while it was looked at")),
                Read::Failed(e) => unreadable(&dir, &e),
            }
        }
    }
}

fn driver(f: &Facts) -> Verdict {
    match forced_driver(f) {
        Some(forced) => judge_forced(f, &forced),
        None => kernel_driver(f),
    }
}

/// A storage driver the rootless daemon is told to use, and where.
struct Forced {
    name: String,
    source: String,
    detail: String,
}

/// `DOCKER_DRIVER` in the script's environment (dockerd reads it before anything else), else `--storage-driver`
/// (`-s`) on the user unit's command line, else `storage-driver` in the daemon.json that daemon reads.
fn forced_driver(f: &Facts) -> Option<Forced> {
    if let Some(env) = f.start_env()
        && let Some(v) = env.get("DOCKER_DRIVER").filter(|v| !v.is_empty())
    {
        return Some(Forced {
            name: v.to_owned(),
            source: env.source.clone(),
            detail: format!("DOCKER_DRIVER={v}"),
        });
    }
    // Only systemd starts a unit (and asking for it scans every process: `preflight` stays cheap without systemd).
    let unit = if f.systemd {
        f.rootless_unit_setup()
    } else {
        None
    };
    if let Some(setup) = unit
        && let Some(v) = setup.flag("storage-driver")
    {
        return Some(Forced {
            name: v.to_owned(),
            source: setup.source.clone(),
            detail: format!("--storage-driver={v}"),
        });
    }
    let (path, settings) = f.rootless_settings(unit);
    let v = settings?.get("storage-driver")?.as_str()?.to_owned();
    Some(Forced {
        detail: format!("\"storage-driver\": \"{v}\""),
        name: v,
        source: path,
    })
}

/// dockerd's last line when the forced driver cannot start: every graphdriver failure ends in it.
const GRAPHDRIVER: &str = "failed to start daemon: error initializing graphdriver";

/// The forced driver against what dockerd does with it in a user namespace (observed with Debian 12's dockerd
/// 20.10.24; moby's daemon/graphdriver at the 25.x–29.x tags for the drivers removed since).
fn judge_forced(f: &Facts, forced: &Forced) -> Verdict {
    let name = forced.name.as_str();
    let set = format!("{} sets {}", forced.source, forced.detail);
    let docker = f.docker_version();
    let major = docker.as_ref().map(|(_, v)| v.0);
    let data_root = locate_data_root(f);
    let on = |magic: u64| matches!(&data_root, Ok(r) if r.magic == magic);
    let overlay = overlay_support(f);
    let works = if overlay.as_ref().is_some_and(|o| o.usable) {
        "overlay2, fuse-overlayfs (once its package is installed) or vfs"
    } else {
        "fuse-overlayfs (once its package is installed) or vfs"
    };
    let fix = |what: &str| {
        Remediation::text(format!(
            "{what} Remove {} from {} to let dockerd choose, or set one that works here: {works}.",
            forced.detail, forced.source
        ))
    };
    let refused = |why: String, dockerd_says: &str| {
        Verdict::fail(format!(
            "{set}: {why}; dockerd stops with \"{GRAPHDRIVER}: {dockerd_says}\""
        ))
        .fix(fix("Choose a driver the rootless daemon can use."))
    };
    let mut v = match name {
        "vfs" | "native" if name == "vfs" || major.is_some_and(|m| m >= 29) => {
            Verdict::pass(format!("{set}: works everywhere, but every layer is stored as a full copy"))
        }
        "overlay2" | "overlayfs" if name == "overlay2" || major.is_some_and(|m| m >= 29) => {
            match overlay {
                Some(Overlay { usable: true, .. }) => Verdict::pass(format!(
                    "{set}: kernel {} mounts overlayfs in a user namespace",
                    f.kernel.map(|k| k.to_string()).unwrap_or_default()
                )),
                Some(Overlay { reason, .. }) => refused(reason, "driver not supported"),
                None => Verdict::error(format!("{set}, and the kernel version cannot be told")),
            }
        }
        "fuse-overlayfs" => {
            let dirs = f.daemon_path().map(|p| p.dirs.clone());
            let found = match &dirs {
                Some(dirs) => f.first_in("fuse-overlayfs", dirs),
                None => f.which("fuse-overlayfs"),
            };
            match found {
                Some(path) => Verdict::pass(format!("{set}: fuse-overlayfs is {path}"))
                    .evidence(path, "fuse-overlayfs"),
                None => refused(
                    "fuse-overlayfs is not on the daemon's PATH (dockerd logs `exec: \"fuse-overlayfs\": executable \
file not found in $PATH`)"
                        .into(),
                    "driver not supported",
                )
                .fix({
                    let d = f.distro();
                    Remediation::text(format!(
                        "Install {}, or remove {} from {}.",
                        d.package_list(&["fuse_overlayfs"]),
                        forced.detail,
                        forced.source
                    ))
                    .steps(d.install_step(&["fuse_overlayfs"]))
                }),
            }
        }
        "btrfs" if on(fsmagic::BTRFS) => {
            Verdict::pass(format!("{set}, and the data-root is on btrfs"))
        }
        "btrfs" | "zfs" if data_root.is_ok() && !on(fsmagic::ZFS) => refused(
            format!("the data-root is not on {name}"),
            "prerequisites for driver not satisfied (wrong filesystem?)",
        ),
        "zfs" if on(fsmagic::ZFS) => Verdict::warn(format!(
            "{set}: the data-root is on zfs, but the zfs driver needs root for its `zfs` commands; rootless mode \
supports overlay2, fuse-overlayfs, btrfs and vfs"
        ))
        .fix(fix("Use a driver rootless mode supports.")),
        "aufs" | "devicemapper" | "overlay" if name != "overlay" || major.is_some_and(|m| m >= 24) => {
            let why = match (name, major) {
                ("aufs", Some(m)) if m < 24 => "aufs cannot be used in a user namespace (\"AUFS cannot be used in non-init user namespace\")".to_owned(),
                ("devicemapper", Some(m)) if m < 25 => "devicemapper does not work in a user namespace".to_owned(),
                _ => format!("{name} is not among the drivers this dockerd has (aufs and overlay were removed in Docker 24, devicemapper in 25)"),
            };
            refused(why, "driver not supported")
        }
        "overlay" => Verdict::warn(format!(
            "{set}: the legacy overlay driver, deprecated and removed in Docker 24; overlay2 is its replacement"
        ))
        .fix(fix("Use overlay2.")),
        _ if major.is_some_and(|m| m >= 29) => Verdict::warn(format!(
            "{set}: Docker 29 takes a name it has no graph driver for as a containerd snapshotter, which the doctor \
does not judge"
        )),
        _ => refused(
            "dockerd has no driver of that name (it looks for a graphdriver plugin, which needs experimental mode: \"graphdriver plugins are only supported with experimental mode\")".to_owned(),
            "driver not supported",
        ),
    };
    v = v.evidence(forced.source.clone(), forced.detail.clone());
    if let Some((package, _)) = docker {
        v = v.evidence("package database", package);
    }
    if let Ok(r) = &data_root {
        v = v.evidence(r.probe.clone(), fsmagic::name(r.magic));
    }
    v
}

/// What the kernel says about overlayfs in a user namespace.
struct Overlay {
    /// overlay2 will work.
    usable: bool,
    /// Why not, when not.
    reason: String,
    /// Where CONFIG_OVERLAY_FS was read, and its value.
    config: Option<(String, Tristate)>,
    listed: bool,
}

fn overlay_support(f: &Facts) -> Option<Overlay> {
    let kernel = f.kernel?;
    // /proc/filesystems lists overlay when it is built in or loaded: no need to decompress the kernel config then.
    let listed = match f.read("/proc/filesystems") {
        Read::Ok(text) => text
            .lines()
            .any(|l| l.split_whitespace().last() == Some("overlay")),
        _ => false,
    };
    let config = if listed {
        Some(("/proc/filesystems".to_owned(), Tristate::Yes))
    } else {
        f.kernel_option("OVERLAY_FS")
    };
    // Ubuntu's kernels carry overlayfs-in-userns from long before 5.11 (Docker docs: "or Ubuntu-flavored kernel").
    let in_userns = kernel >= OVERLAY_USERNS || f.distro().quirks.overlay_userns_patched;
    let (usable, reason) = match (&config, in_userns) {
        (Some((_, Tristate::No)), true) => (
            false,
            "the kernel has no overlayfs (CONFIG_OVERLAY_FS is not set)".to_owned(),
        ),
        (_, false) => (
            false,
            format!(
                "kernel {kernel} is older than {OVERLAY_USERNS}, which first mounts overlayfs in a user namespace"
            ),
        ),
        _ => (true, String::new()),
    };
    Some(Overlay {
        usable,
        reason,
        config,
        listed,
    })
}

/// The driver dockerd picks by itself: overlay2 where the kernel allows it, else fuse-overlayfs, btrfs or vfs.
fn kernel_driver(f: &Facts) -> Verdict {
    let Some(kernel) = f.kernel else {
        let release = f
            .kernel_release
            .clone()
            .unwrap_or_else(|| "unreadable".into());
        return Verdict::error(format!("cannot tell the kernel version from {release:?}"))
            .evidence("/proc/sys/kernel/osrelease", release);
    };
    let release = f.kernel_release.clone().unwrap_or_default();
    let Some(Overlay {
        usable,
        reason,
        config: overlay_config,
        listed: overlay_listed,
    }) = overlay_support(f)
    else {
        return Verdict::error(format!("cannot tell the kernel version from {release:?}"));
    };
    let fuse = f.which("fuse-overlayfs");
    let mut v = match usable {
        false => {
            // The btrfs driver needs the data-root on btrfs and, in a user namespace, kernel 4.18.
            let data_root = locate_data_root(f).ok();
            let on_btrfs = data_root
                .as_ref()
                .is_some_and(|r| r.magic == fsmagic::BTRFS);
            // Before 4.18 an unprivileged btrfs subvolume delete needs the filesystem mounted with
            // user_subvol_rm_allowed (the rootless page's storage table): then the btrfs driver works too.
            let rm_allowed = on_btrfs
                && data_root.as_ref().is_some_and(|r| {
                    let real = f
                        .canonicalize(&r.probe)
                        .ok()
                        .cloned()
                        .unwrap_or_else(|| r.probe.clone());
                    matches!(f.mounts(), Read::Ok(mounts)
                        if crate::parse::mountinfo::mount_for(mounts, &real).is_some_and(|m| {
                            m.super_options.iter().chain(&m.mount_options).any(|o| o == "user_subvol_rm_allowed")
                        }))
                });
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
                (_, false) if rm_allowed => Verdict::pass(format!(
                    "{reason}, and kernel {kernel} is older than {FUSE_USERNS}, but the data-root's btrfs is mounted with \
user_subvol_rm_allowed: the btrfs driver will be used"
                ))
                .evidence("/proc/self/mountinfo", "btrfs, user_subvol_rm_allowed"),
                (_, false) => Verdict::warn(format!(
                    "{reason}, and kernel {kernel} is older than {FUSE_USERNS} (FUSE in user namespaces): only vfs works"
                ))
                .fix(Remediation::text("Run a newer kernel: 5.11 or later for overlay2, 4.18 or later for fuse-overlayfs; or keep the \
data-root on btrfs mounted with user_subvol_rm_allowed, where the btrfs driver works on this kernel.")),
            }
        }
        true if kernel < OVERLAY_USERNS => Verdict::pass(format!(
            "kernel {kernel} is older than {OVERLAY_USERNS}, but {}'s kernels mount overlayfs in a user namespace: overlay2",
            f.distro().name
        )),
        true => Verdict::pass(format!(
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

/// Where the fix puts a data-root that is on a network filesystem: a directory root makes for the user below
/// /var/lib (not /var/tmp, where anyone may make the name first).
const LOCAL_DATA_ROOTS: &str = "/var/lib/rootless-docker";

/// The data-root moved to `LOCAL_DATA_ROOTS/USER` when /var/lib is on a local filesystem: the directory made for the
/// user (only if it is missing), `data-root` set in daemon.json (every other key kept), and the user service
/// restarted when there is one. Otherwise the fix in words.
fn local_data_root(f: &Facts, daemon_json: &str) -> Remediation {
    let target = format!("{LOCAL_DATA_ROOTS}/{}", f.user.name);
    let local = f
        .filesystem_of(LOCAL_DATA_ROOTS)
        .ok()
        .filter(|(_, magic)| !fsmagic::NETWORK_FILESYSTEMS.contains(magic));
    let edit = local.as_ref().and_then(|_| {
        let set = [(
            "data-root".to_owned(),
            serde_json::Value::from(target.clone()),
        )];
        super::daemon_json_edit(f, daemon_json, false, set.into_iter().collect(), &[])
    });
    let (Some((on, magic)), Some(edit)) = (local, edit) else {
        return Remediation::text(format!(
            "Put the data-root on a local filesystem: write {{\"data-root\":\"/somewhere-out-of-nfs\"}} (a local directory you \
own, e.g. {target} made by root for you) into {daemon_json}, then restart the daemon."
        ));
    };
    let mut r = Remediation::text(format!(
        "Put the data-root on a local filesystem: {target} ({} at {on}), made by root for {} and set as \"data-root\" in \
{daemon_json}, then restart the daemon. The new data-root starts empty; what the old one holds stays there.",
        fsmagic::name(magic),
        f.user.name
    ))
    .steps([
        crate::model::Step::make_dir_for(target.as_str(), 0o700, format!("{}:{}", f.user.name, f.user.gid)),
        edit,
    ]);
    if f.systemd && matches!(f.user_docker_service(), Read::Ok(_)) {
        r = r.step(crate::model::Step::user([
            "systemctl",
            "--user",
            "try-restart",
            "docker",
        ]));
    }
    r
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
        .fix(local_data_root(f, &root.daemon_json));
    }
    Verdict::pass(format!("data-root {shown} is on {fs}")).with_evidence(root.evidence)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};

    /// Issue 12: a data-root on NFS is moved to a directory root makes for the user on the local /var/lib.
    #[test]
    fn a_data_root_on_nfs_moves_to_a_local_directory_made_for_the_user() {
        let v = check("rhel-9-nfs-home", "storage.data_root");
        assert_eq!(v.status, crate::model::Status::Fail, "{}", v.summary);
        assert_eq!(
            steps(&v),
            [
                "sudo install -d -m 0700 -o alice -g 1000 /var/lib/rootless-docker/alice",
                "tee /home/alice/.config/docker/daemon.json",
            ]
        );
        assert_eq!(
            fix(&v).steps[1].describe(),
            "set \"data-root\": \"/var/lib/rootless-docker/alice\" in /home/alice/.config/docker/daemon.json"
        );
        assert!(fix(&v).by_hand.is_none());
    }
    use crate::model::Status;

    const JSON: &str = "/home/alice/.config/docker/daemon.json";

    #[test]
    fn the_data_root_must_be_the_users_or_creatable_by_them() {
        let v = check("debian-12-data-root-root-owned", "storage.data_root_owner");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("\"chmod /home/alice/.local/share/docker: operation not permitted\"")
        );
        assert_eq!(
            steps(&v),
            [
                "sudo mv -n -- /home/alice/.local/share/docker /home/alice/.local/share/docker.root-owned"
            ]
        );

        let v = check(
            "debian-12-data-root-parent-root-owned",
            "storage.data_root_owner",
        );
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("\"mkdir /home/alice/.local/share/docker: permission denied\"")
        );
        assert_eq!(steps(&v), ["sudo chown alice: /home/alice/.local/share"]);

        let v = check("debian-12-data-root-root-entry", "storage.data_root_owner");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary.ends_with("/home/alice/.local/share/docker/image"),
            "{}",
            v.summary
        );
        assert_eq!(
            v.evidence[0].source,
            "/home/alice/.local/share/docker/image"
        );

        for yours in ["debian-12-data-root-yours", "debian-12"] {
            let v = check(yours, "storage.data_root_owner");
            assert_eq!(v.status, Status::Pass, "{yours}: {}", v.summary);
        }
    }

    #[test]
    fn parent_dir_stops_at_the_root() {
        assert_eq!(super::parent_dir("/home/alice/x"), "/home/alice");
        assert_eq!(super::parent_dir("/home/"), "/");
        assert_eq!(super::parent_dir("/home"), "/");
        assert_eq!(super::parent_dir("/"), "/");
    }

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
