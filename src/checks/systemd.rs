//! Whether systemd runs the machine: user services, linger and cgroup delegation come with it.

use super::{Check, Judges, Scope, manual_start};
use crate::facts::{Facts, Read};
use crate::model::Verdict;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "systemd.pid1",
        area: "systemd",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "systemd is the init system (user services, linger, cgroup delegation)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; sd_booted(3)",
        explain: "\
What it checks: whether systemd runs the machine, the way sd_booted(3) tells: /run/systemd/system is a directory.

Why it matters: with systemd, rootless Docker runs as a user service (~/.config/systemd/user/docker.service), starts at boot \
with linger, and gets cgroup v2 resource limits through the systemd cgroup driver. Without systemd (containers, WSL without \
systemd, minimal init), dockerd-rootless.sh must be started by hand, XDG_RUNTIME_DIR must be created by hand, and \
--cpus/--memory/--pids-limit are ignored: the daemon reports \"WARNING: Running in rootless-mode without cgroups. \
Systemd is required to enable cgroups in rootless-mode.\"

What you see when it's wrong: dockerd-rootless-setuptool.sh install prints \
\"[INFO] systemd not detected, dockerd-rootless.sh needs to be started manually\"; `systemctl --user` fails.

How to fix: nothing is broken. Start the daemon by hand: \
`export XDG_RUNTIME_DIR=$HOME/.docker/xrd; rm -rf $XDG_RUNTIME_DIR; mkdir -p $XDG_RUNTIME_DIR; dockerd-rootless.sh` \
(remove that directory at every logout). The systemd checks (linger, user bus, delegation) are skipped on such hosts.",
        packages: &[],
        removes: &[],
        run: pid1,
    },
];
fn pid1(f: &Facts) -> Verdict {
    let comm = match f.read("/proc/1/comm") {
        Read::Ok(c) => c.trim().to_owned(),
        Read::Missing => "(no /proc/1/comm)".to_owned(),
        Read::Failed(e) => format!("(unreadable: {e})"),
    };
    if f.systemd {
        return Verdict::pass("systemd is the init system")
            .evidence("/run/systemd/system", "directory")
            .evidence("/proc/1/comm", comm);
    }
    Verdict::warn(format!(
        "systemd is not the init system (PID 1 is {comm}): start dockerd-rootless.sh by hand, and expect no cgroup limits"
    ))
    .evidence("/run/systemd/system", "missing")
    .evidence("/proc/1/comm", comm)
    .fix(manual_start(f))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    #[test]
    fn systemd_as_pid1_passes() {
        assert_eq!(check("debian-12", "systemd.pid1").status, Status::Pass);
    }

    #[test]
    fn another_init_warns_and_gives_the_manual_recipe() {
        let v = check("debian-12-no-systemd", "systemd.pid1");
        assert_eq!(v.status, Status::Warn);
        assert!(v.summary.contains("(PID 1 is tini)"), "{}", v.summary);
        assert_eq!(
            steps(&v),
            [
                "rm -rf -- /home/alice/.docker/xrd",
                "mkdir -p -m 0700 /home/alice/.docker/xrd",
            ]
        );
        // The daemon is then started by hand: `fix --apply` leaves the recipe to the person.
        assert!(fix(&v).by_hand.is_some());
    }
}
