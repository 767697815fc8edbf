//! cgroup v2 and the controllers systemd delegates to the user.

use super::{Check, Judges, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::fsmagic;
use crate::model::{Remediation, Step, Verdict};

const DELEGATE_CONF: &str = include_str!("../../profiles/systemd/user@.service.d-delegate.conf");

/// Without these, `--cpus`, `--memory` and `--pids-limit` fail or are ignored.
const NEEDED: &[&str] = &["cpu", "memory", "pids"];
/// Nice to have: `--blkio-weight`, `--cpuset-cpus`.
const OPTIONAL: &[&str] = &["io", "cpuset"];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "cgroup.v2",
        area: "cgroup",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: false,
        judges: Judges::Rootless,
        title: "The host runs cgroup v2 (unified hierarchy)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://rootlesscontaine.rs/getting-started/common/cgroup2/; systemd.resource-control(5)",
        explain: "\
What it checks: the filesystem at /sys/fs/cgroup, by its statfs magic: cgroup2 (unified), or tmpfs holding v1 controllers \
(legacy), possibly with a cgroup2 mount at /sys/fs/cgroup/unified (hybrid).

Why it matters: rootless Docker can limit resources only through cgroup v2 with systemd delegation. On v1 or hybrid hosts \
the daemon runs without cgroups and silently ignores limits.

What you see when it's wrong: without /sys/fs/cgroup at all (no sysfs at /sys), RootlessKit's child stops with \
`[rootlesskit:child ] error: failed to create bind mount on /sys/fs/cgroup: no such file or directory`, as it keeps the \
cgroup mounts across the sysfs it mounts for its network namespace. On v1, `docker info` warns `WARNING: Running in rootless-mode without cgroups. To enable cgroups in \
rootless-mode, you need to boot the system in cgroup v2 mode.`; `docker run --memory 64m` is accepted and not enforced.

How to fix: boot with `systemd.unified_cgroup_hierarchy=1` on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, \
then `sudo update-grub` or `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`), and reboot. Every current distribution defaults to v2 \
except RHEL 8 and openSUSE Leap 15.",
        packages: &[],
        removes: &[],
        run: v2,
    },
    Check {
        id: "cgroup.delegation",
        area: "cgroup",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "systemd delegates cpu, memory and pids (and io, cpuset) to the user",
        reference: "https://docs.docker.com/engine/security/rootless/; https://rootlesscontaine.rs/getting-started/common/cgroup2/",
        explain: "\
What it checks: /sys/fs/cgroup/user.slice/user-UID.slice/user@UID.service/cgroup.controllers, the controllers the user's \
systemd instance may hand to its services. cpu, memory and pids are needed for --cpus, --memory and --pids-limit; io and \
cpuset for --blkio-weight and --cpuset-cpus.

Why it matters: systemd before 252 delegates only memory and pids by default, so limits on those other resources fail.

What you see when it's wrong: without cpu, `docker run --cpus 0.5` fails with `docker: Error response from daemon: NanoCPUs \
can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted.` (dockerd's own check, \
Docker 20.10 to 29); without memory, `--memory` is dropped with only a warning, `Your kernel does not support memory limit \
capabilities or the cgroup is not mounted. Limitation discarded.`, and the container runs unlimited; without pids, \
`--pids-limit` likewise (`… PIDs limit discarded.`). A missing file means no user manager runs for the user.

How to fix: a drop-in for user@.service: /etc/systemd/system/user@.service.d/delegate.conf with \
`[Service]` / `Delegate=cpu cpuset io memory pids`, then `sudo systemctl daemon-reload` and log out and in \
(or reboot).",
        packages: &[],
        removes: &[],
        run: delegation,
    },
];

fn v2(f: &Facts) -> Verdict {
    const ROOT: &str = "/sys/fs/cgroup";
    let magic = match f.fs_magic(ROOT) {
        Read::Ok(m) => m,
        Read::Missing => {
            // Row 3.4: with a network namespace, RootlessKit's child keeps the cgroup mounts across its new sysfs
            // by bind-mounting /sys/fs/cgroup first (`mountSysfs`, RootlessKit v1.1.0 to v3.0.1 pkg/child/child.go).
            if let Some(driver) = f
                .start_driver()
                .and_then(|d| d.driver.as_deref())
                .filter(|d| *d != "host")
            {
                return Verdict::fail(format!(
                    "/sys/fs/cgroup does not exist (a container or chroot without sysfs?): RootlessKit's child, which \
bind-mounts it before mounting a sysfs for the {driver} network namespace, stops with \"[rootlesskit:child ] error: failed to \
create bind mount on /sys/fs/cgroup: no such file or directory\""
                ))
                .evidence(ROOT, "missing")
                .fix(Remediation::text(
                    "Mount sysfs at /sys (and the cgroup filesystem at /sys/fs/cgroup) where the daemon starts: as root, \
`mount -t sysfs sysfs /sys`, then `mount -t cgroup2 cgroup2 /sys/fs/cgroup`; in a container, start it with /sys mounted.",
                ));
            }
            return Verdict::warn(
                "/sys/fs/cgroup does not exist: no cgroups at all (a container or chroot?)",
            )
            .evidence(ROOT, "missing");
        }
        Read::Failed(e) => return unreadable(ROOT, &e),
    };
    if magic == fsmagic::CGROUP2 {
        let controllers = f
            .read("/sys/fs/cgroup/cgroup.controllers")
            .ok()
            .map(|c| c.trim().to_owned())
            .unwrap_or_default();
        return Verdict::pass("cgroup v2 (unified hierarchy)")
            .evidence(format!("statfs:{ROOT}"), "cgroup2")
            .evidence("/sys/fs/cgroup/cgroup.controllers", controllers);
    }
    let hybrid =
        matches!(f.fs_magic("/sys/fs/cgroup/unified"), Read::Ok(m) if m == fsmagic::CGROUP2);
    let mode = if hybrid {
        "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
    } else {
        "v1 (legacy)"
    };
    Verdict::warn(format!(
        "cgroup {mode}: rootless dockerd runs without cgroups and ignores --cpus, --memory and --pids-limit"
    ))
    .evidence(format!("statfs:{ROOT}"), fsmagic::name(magic))
    .fix(boot_v2(f))
}

/// The distribution's way to boot cgroup v2 (distros/*.toml [cgroup_v2]); without systemd, v2 alone is not enough.
fn boot_v2(f: &Facts) -> Remediation {
    let fix = &f.distro().cgroup_v2;
    let mut text = fix.text.clone();
    if !f.systemd {
        text.push_str(
            " Without systemd as the init system, rootless Docker still gets no cgroups: it needs the systemd user service with delegation.",
        );
    }
    Remediation::text(text)
        .steps(
            fix.steps
                .iter()
                .map(|argv| Step::root(argv.iter().map(String::as_str))),
        )
        .by_hand("the kernel command line changes at the next reboot")
}

fn delegation(f: &Facts) -> Verdict {
    if !f.unified_cgroup() {
        return Verdict::skip("not cgroup v2 (see cgroup.v2): there is nothing to delegate");
    }
    if !f.systemd {
        return Verdict::skip(
            "systemd is not the init system: delegation is a systemd user@.service setting",
        );
    }
    let uid = f.user.uid;
    let path =
        format!("/sys/fs/cgroup/user.slice/user-{uid}.slice/user@{uid}.service/cgroup.controllers");
    let text = match f.read(&path) {
        Read::Ok(t) => t,
        Read::Failed(e) => return unreadable(&path, &e),
        Read::Missing => {
            return Verdict::warn(format!(
                "no user manager (user@{uid}.service) runs for {}: log in through pam_systemd or enable linger",
                f.user.name
            ))
            .evidence(path, "missing")
            .fix(
                Remediation::text("Start the user's systemd instance at boot:")
                    .step(Step::linger(f.user.name.as_str())),
            );
        }
    };
    let have: Vec<&str> = text.split_whitespace().collect();
    let missing_needed: Vec<&str> = NEEDED
        .iter()
        .copied()
        .filter(|c| !have.contains(c))
        .collect();
    let missing_optional: Vec<&str> = OPTIONAL
        .iter()
        .copied()
        .filter(|c| !have.contains(c))
        .collect();
    let fix = || {
        Remediation::text(
            "Delegate every controller to user sessions, then log out and in (or reboot):",
        )
        .steps([
            Step::make_dir(true, "/etc/systemd/system/user@.service.d"),
            Step::write_file(
                true,
                "/etc/systemd/system/user@.service.d/delegate.conf",
                DELEGATE_CONF,
            ),
            Step::root(["systemctl", "daemon-reload"]),
        ])
    };
    let listed = if have.is_empty() {
        "none".to_owned()
    } else {
        have.join(" ")
    };
    if !missing_needed.is_empty() {
        // What dockerd does with each limit when its cgroup lacks the controller (daemon/daemon_unix.go,
        // verifyPlatformContainerResources, v20.10.24 to docker-v29.0.0; the cpu refusal seen in the VM tier).
        let effects: Vec<&str> = missing_needed
            .iter()
            .map(|c| match *c {
                "cpu" => "`docker run --cpus` fails (\"NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted\")",
                "memory" => "--memory is dropped with a warning and the container runs unlimited (\"Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.\")",
                _ => "--pids-limit is dropped with a warning (\"Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.\")",
            })
            .collect();
        return Verdict::warn(format!(
            "{} not delegated to {}: {}",
            missing_needed.join(", "),
            f.user.name,
            effects.join("; ")
        ))
        .evidence(path, listed)
        .fix(fix());
    }
    let mut v = Verdict::pass(format!("delegated to {}: {listed}", f.user.name))
        .evidence(path, listed.clone());
    if !missing_optional.is_empty() {
        v.summary.push_str(&format!(
            " ({} not delegated: --blkio-weight/--cpuset-cpus won't work)",
            missing_optional.join(", ")
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::check;
    use crate::model::Status;

    #[test]
    fn without_sys_fs_cgroup_the_start_fails_at_rootlesskits_bind() {
        let v = check("debian-12-no-sys-fs-cgroup", "cgroup.v2");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains("before mounting a sysfs for the slirp4netns network namespace")
                && v.summary.contains(
                    "\"[rootlesskit:child ] error: failed to create bind mount on /sys/fs/cgroup: no such file or directory\""
                ),
            "{}",
            v.summary
        );
    }

    #[test]
    fn with_sys_fs_cgroup_v2_passes() {
        assert_eq!(check("debian-12", "cgroup.v2").status, Status::Pass);
    }
}
