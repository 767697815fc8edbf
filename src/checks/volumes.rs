//! "Unable to remove filesystem … Device or resource busy": who holds Docker's data-root, or a given path.

use super::{Check, Judges, Scope, no_filesystem};
use crate::facts::data_root::{DataRoot, Origin, Starter};
use crate::facts::{Facts, Read};
use crate::fsmagic;
use crate::model::{Evidence, Remediation, Verdict};
use crate::parse::{kmsg, mountinfo};

/// data-root subdirectories whose bind mount carries other containers' mounts with it (their rootfs and /dev/shm).
const CARRIERS: &[&str] = &[
    "containers",
    "overlay2",
    "overlay",
    "fuse-overlayfs",
    "aufs",
    "btrfs",
    "zfs",
    "vfs",
    "devicemapper",
];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "volumes.busy",
        area: "volumes",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "No other mount namespace (a cAdvisor-like container) holds Docker's data-root",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; mount_namespaces(7)",
        explain: "\
What it checks: the data-root of each daemon (the rootless one's, ~/.local/share/docker or daemon.json's data-root; the system \
daemon's, /var/lib/docker or its --data-root) located on its filesystem (device and path inside it, from mountinfo); then every \
mount namespace on the machine (/proc/*/ns/mnt, one /proc/PID/mountinfo each) other than the host's and the daemons' own, \
for a mount of that filesystem that is the data-root, a parent of it (`-v /:/rootfs`) or one of its containers/ or storage-driver \
directories. Each is named by process and, from /proc/PID/cgroup, by container ID.

Why it matters: a container that bind-mounts /var/lib/docker (cAdvisor's documented command line does) carries every other \
container's mounts into its namespace, and while it holds handles there, their removal fails.

What you see when it's wrong: `Error: Unable to remove filesystem for 74bef250361c…: remove \
/var/lib/docker/containers/74bef250361c…/shm: Device or resource busy`.

How to fix: stop the container that mounts the data-root, remove the other container, start it again; avoid mounting \
/var/lib/docker where you can. For one path, `rootless-doctor check volumes --path PATH` lists who holds it (what `lsof PATH` \
shows, plus mounts in other namespaces). Run as root to see other users' processes.",
        packages: &[],
        removes: &[],
        run: busy,
    },
    Check {
        id: "volumes.path",
        area: "volumes",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "Who holds the path given with --path open (descriptors, working directories, mounts), like lsof",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; lsof(8)",
        explain: "\
What it checks: with `check volumes --path PATH`, every process whose open file descriptors (/proc/PID/fd), working directory \
or root is PATH or below it, and every other mount namespace with a mount at PATH — the `lsof` of Docker's troubleshooting guide without lsof, with \
the container ID of each process from its cgroup.

Why it matters: a path that is open or mounted somewhere cannot be removed, and the error does not say by whom.

What you see when it's wrong: `remove /var/lib/docker/containers/<id>/shm: Device or resource busy`.

How to fix: stop the process or container named (or have it close the path), then retry the removal.",
        packages: &[],
        removes: &[],
        run: path,
    },
    Check {
        id: "volumes.data_root",
        area: "volumes",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "No daemon's data-root (the system one's or a rootless one's --data-root) is on NFS or another network filesystem",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: the data-root of every daemon this host starts or runs: the system docker.service (after its drop-ins), the \
init script's DOCKER_OPTS and a running root dockerd (--data-root or -g, else \"data-root\" in /etc/docker/daemon.json or the \
file --config-file names, else /var/lib/docker); and a rootless daemon whose unit or command line gives --data-root. Each is \
located with statfs (its nearest existing directory before the first start). The rootless data-root that comes from \
~/.config/docker/daemon.json or the default is storage.data_root's (it runs before install too) and is not judged twice.

Why it matters: Docker does not support a data-root on NFS, rootful or rootless: with root squashing the daemon's lchown to \
an image's owners is refused, and the kernel does not take NFS as an overlayfs upper directory.

What you see when it's wrong: `docker: failed to register layer: ApplyLayer exit status 1 stdout: stderr: lchown <FILE>: \
operation not permitted`, or a daemon that silently falls back to the vfs driver.

How to fix: move the data-root to a local filesystem, in the place it is set: the --data-root flag in the unit or DOCKER_OPTS \
named, or \"data-root\" in that daemon's daemon.json (e.g. {\"data-root\":\"/srv/docker\"} in /etc/docker/daemon.json, never both, \
or dockerd refuses to start). Stop the daemon, copy the old data-root if its images and volumes matter (`sudo rsync -aHAX \
/var/lib/docker/ /srv/docker/`), then start it again.",
        packages: &[],
        removes: &[],
        run: network_fs,
    },
];

/// A data-root, with the filesystem that holds it: (path, device, path inside the filesystem).
fn locate(f: &Facts, path: &str) -> Option<(String, String)> {
    let mounts = f.mounts().ok()?;
    let m = mountinfo::mount_for(mounts, path)?;
    let below = path
        .strip_prefix(m.mount_point.trim_end_matches('/'))
        .unwrap_or(path);
    let inside = format!(
        "{}/{}",
        m.root.trim_end_matches('/'),
        below.trim_start_matches('/')
    );
    Some((m.device.clone(), inside.trim_end_matches('/').to_owned()))
}

/// The container a mount table belongs to: Docker bind-mounts `<data-root>/containers/<id>/hostname` (and hosts,
/// resolv.conf) into every container, whatever the cgroup setup.
fn container_of_mounts(mounts: &[mountinfo::Mount]) -> Option<String> {
    mounts.iter().find_map(|m| {
        let mut parts = m.root.rsplit('/');
        let file = parts.next()?;
        let id = parts.next()?;
        (matches!(file, "hostname" | "hosts" | "resolv.conf")
            && parts.next() == Some("containers")
            && id.len() == 64
            && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| id[..12].to_owned())
    })
}

/// A process's name and, when it runs in a container, the short container ID (from its cgroup, else its mounts).
fn describe(f: &Facts, pid: u32) -> String {
    let name = f.process(pid).map(|p| p.name).unwrap_or_else(|| "?".into());
    let container = f
        .read(&format!("/proc/{pid}/cgroup"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let path = l.splitn(3, ':').nth(2)?;
                kmsg::container_id(path).map(|id| id[..12].to_owned())
            })
        })
        .or_else(|| {
            let text = f.proc_file(pid, "mountinfo").ok()?.clone();
            container_of_mounts(&mountinfo::parse(&text).0)
        });
    match container {
        Some(id) => format!("container {id} ({name}, pid {pid})"),
        None => format!("{name} (pid {pid})"),
    }
}

/// One representative process per mount namespace, the doctor's own and the daemons' left out;
/// and how many processes could not be looked at.
fn other_namespaces(f: &Facts) -> (Vec<u32>, usize) {
    let own = f.namespace(1, "mnt").ok().cloned();
    let self_ns = f.read_link("/proc/self/ns/mnt").ok().cloned();
    let mut daemons: Vec<String> = Vec::new();
    let Read::Ok(list) = f.processes() else {
        return (Vec::new(), 0);
    };
    for p in list
        .iter()
        .filter(|p| matches!(p.name.as_str(), "dockerd" | "containerd" | "rootlesskit"))
    {
        if let Read::Ok(ns) = f.namespace(p.pid, "mnt") {
            daemons.push(ns.clone());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut hidden = 0;
    for p in list.iter() {
        match f.namespace(p.pid, "mnt") {
            Read::Ok(ns) => {
                if Some(&ns) == own.as_ref()
                    || Some(&ns) == self_ns.as_ref()
                    || daemons.contains(&ns)
                    || !seen.insert(ns.clone())
                {
                    continue;
                }
                out.push(p.pid);
            }
            _ => hidden += 1,
        }
    }
    (out, hidden)
}

fn busy(f: &Facts) -> Verdict {
    let roots = f.existing_data_roots();
    if roots.is_empty() {
        return Verdict::skip("no data-root exists yet: no daemon has run");
    }
    let mut evidence = Vec::new();
    let located: Vec<(String, String, String)> = roots
        .iter()
        .filter_map(|r| {
            let (p, who) = (&r.path, &r.who);
            let (dev, inside) = locate(f, p)?;
            evidence.push(Evidence {
                source: format!("data-root of {who}"),
                detail: format!("{p} (device {dev}, {inside} inside it)"),
            });
            Some((p.clone(), dev, inside))
        })
        .collect();
    let (namespaces, hidden) = other_namespaces(f);
    evidence.push(Evidence {
        source: "/proc/*/ns/mnt".into(),
        detail: format!(
            "{} other mount namespace(s) examined{}",
            namespaces.len(),
            if hidden > 0 {
                format!(", {hidden} process(es) not readable by this user")
            } else {
                String::new()
            }
        ),
    });
    let mut holders = Vec::new();
    let (mut cut, mut unread) = (Vec::new(), 0);
    for pid in namespaces {
        let Some(table) = f.mountinfo_of(pid) else {
            unread += 1;
            continue;
        };
        let Read::Ok(text) = &table.text else {
            continue;
        };
        if table.cut {
            cut.push(pid);
        }
        let (mounts, _) = mountinfo::parse(text);
        for m in &mounts {
            if m.mount_point == "/" {
                continue;
            }
            for (path, dev, inside) in &located {
                if m.device != *dev {
                    continue;
                }
                let root = m.root.trim_end_matches('/');
                let holds_all =
                    root.is_empty() || *inside == root || inside.starts_with(&format!("{root}/"));
                let holds_carrier = m
                    .root
                    .strip_prefix(&format!("{inside}/"))
                    .is_some_and(|rest| CARRIERS.contains(&rest.trim_end_matches('/')));
                if holds_all || holds_carrier {
                    holders.push(format!(
                        "{} has {}{} mounted at {}",
                        describe(f, pid),
                        path,
                        if holds_all {
                            ""
                        } else {
                            &m.root[inside.len()..]
                        },
                        m.mount_point
                    ));
                }
            }
        }
    }
    holders.dedup();
    // What was not looked at is said, so a pass is read for what it covers.
    if !cut.is_empty() {
        evidence.push(Evidence {
            source: "/proc/*/mountinfo".into(),
            detail: format!(
                "only the first {} MiB of the mount table of process(es) {} looked at",
                crate::facts::MOUNTINFO_MAX >> 20,
                cut.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    if unread > 0 {
        evidence.push(Evidence {
            source: "/proc/*/mountinfo".into(),
            detail: format!(
                "{unread} namespace(s) not examined: this run's {} MiB of mount tables were read",
                crate::facts::MOUNTINFO_BUDGET >> 20
            ),
        });
    }
    if holders.is_empty() {
        let summary = if unread > 0 || !cut.is_empty() {
            "no other mount namespace examined holds a data-root (not all were examined in full: see the evidence)"
        } else {
            "no other mount namespace holds a data-root"
        };
        return Verdict::pass(summary).with_evidence(evidence);
    }
    Verdict::warn(format!(
        "{}: removing other containers can fail with \"Error: Unable to remove filesystem for <id>: remove …/containers/<id>/shm: Device or resource busy\"",
        holders.join("; ")
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(
        "Stop the container that mounts the data-root before removing others (`docker stop ID`), then start it again; mount /var/lib/docker into containers only when they need it (cAdvisor does).",
    ))
}

fn path(f: &Facts) -> Verdict {
    let Some(target) = f.volume_path() else {
        return Verdict::skip(
            "no --path given: `rootless-doctor check volumes --path PATH` lists who holds PATH",
        );
    };
    let target = target.trim_end_matches('/');
    let under = |p: &str| p == target || p.starts_with(&format!("{target}/"));
    let Read::Ok(list) = f.processes() else {
        return Verdict::error("cannot list /proc");
    };
    let mut holders = Vec::new();
    let mut hidden = 0;
    for p in list.iter() {
        match f.open_files(p.pid) {
            Read::Ok(fds) => {
                for (fd, t) in fds
                    .iter()
                    .filter(|(_, t)| under(t.trim_end_matches(" (deleted)")))
                {
                    holders.push(format!("{} has fd {fd} open on {t}", describe(f, p.pid)));
                }
            }
            _ => hidden += 1,
        }
        for link in ["cwd", "root"] {
            if let Read::Ok(t) = f.proc_link(p.pid, link)
                && under(&t)
                && t != "/"
            {
                holders.push(format!("{} has its {link} at {t}", describe(f, p.pid)));
            }
        }
    }
    let (namespaces, _) = other_namespaces(f);
    for pid in namespaces {
        if let Read::Ok(text) = f.proc_file(pid, "mountinfo") {
            for m in mountinfo::parse(&text)
                .0
                .iter()
                .filter(|m| under(&m.mount_point))
            {
                holders.push(format!(
                    "{} has a mount at {} (in its own mount namespace)",
                    describe(f, pid),
                    m.mount_point
                ));
            }
        }
    }
    let mut evidence = vec![Evidence {
        source: "/proc/*/fd, cwd, root, mountinfo".into(),
        detail: format!(
            "{} processes examined{}",
            list.len(),
            if hidden > 0 {
                format!(", {hidden} not readable by this user (run as root)")
            } else {
                String::new()
            }
        ),
    }];
    evidence.extend(holders.iter().map(|h| Evidence {
        source: target.to_owned(),
        detail: h.clone(),
    }));
    if holders.is_empty() {
        return Verdict::pass(format!("nothing this user can see holds {target}"))
            .with_evidence(evidence);
    }
    Verdict::fail(format!("{target} is held: {}", holders.join("; ")))
        .with_evidence(evidence)
        .fix(Remediation::text("Stop the processes or containers named (`docker stop ID`), or have them close the path, then retry the removal."))
}

fn network_fs(f: &Facts) -> Verdict {
    let judged = f.rootless_data_root();
    let mut evidence = Vec::new();
    let mut bad = Vec::new();
    let mut fixes = Vec::new();
    let mut unreadable = None;
    let mut judged_here = 0;
    for r in f.data_roots() {
        if r.rootless && judged.as_deref() == Some(r.path.as_str()) {
            evidence.push(Evidence {
                source: format!("data-root of {}", r.who),
                detail: format!("{}: judged by storage.data_root", r.path),
            });
            continue;
        }
        judged_here += 1;
        let (probe, magic) = match f
            .filesystem_of(&r.path)
            .map_err(|e| no_filesystem(&r.path, e))
        {
            Ok(found) => found,
            Err(v) => {
                // The other daemons are still judged.
                evidence.push(Evidence {
                    source: format!("data-root of {}", r.who),
                    detail: format!("{}: {}", r.path, v.summary),
                });
                unreadable.get_or_insert(v);
                continue;
            }
        };
        let fs = fsmagic::name(magic);
        let set = match &r.origin {
            Origin::Flag(source) => format!("--data-root in {source}"),
            Origin::Config(config) => format!("\"data-root\" in {config}"),
            Origin::Default(_) => "the default".to_owned(),
        };
        let shown = if probe == r.path {
            r.path.clone()
        } else {
            format!("{} (not created yet; {probe})", r.path)
        };
        evidence.push(Evidence {
            source: format!("statfs:{probe}"),
            detail: format!("data-root of {}, {set}: {shown} on {fs}", r.who),
        });
        if !fsmagic::NETWORK_FILESYSTEMS.contains(&magic) {
            continue;
        }
        bad.push(format!("{}'s data-root {shown} is on {fs}", r.who));
        fixes.push(move_fix(f, r, probe == r.path));
    }
    if judged_here == 0 {
        return Verdict::skip(match judged {
            Some(p) => format!(
                "no system daemon is started or running here, and the rootless data-root ({p}) is storage.data_root's"
            ),
            None => "no daemon is started or running here".to_owned(),
        })
        .with_evidence(evidence);
    }
    if bad.is_empty() {
        if let Some(v) = unreadable {
            return Verdict::error(v.summary).with_evidence(evidence);
        }
        return Verdict::pass("every daemon's data-root is on a local filesystem")
            .with_evidence(evidence);
    }
    Verdict::fail(format!(
        "{}: Docker does not support a data-root on a network filesystem; pulls fail with \"failed to register layer: ApplyLayer exit status 1 stdout: stderr: lchown <FILE>: operation not permitted\"",
        bad.join("; ")
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(fixes.join(" ")))
}

/// How to move one daemon's data-root off a network filesystem, in the place it is set.
fn move_fix(f: &Facts, r: &DataRoot, exists: bool) -> String {
    let local = if r.rootless {
        format!("/var/tmp/{}-docker", f.user.name)
    } else {
        "/srv/docker".to_owned()
    };
    let (user, sudo) = if r.rootless {
        ("--user ", "")
    } else {
        ("", "sudo ")
    };
    let (change, unit_changed) = match (&r.origin, r.starter) {
        (Origin::Flag(source), Starter::Process) => (
            format!(
                "stop it and start it again with --data-root on a local filesystem (e.g. {local}; its command line is in {source})"
            ),
            false,
        ),
        (Origin::Flag(source), Starter::SystemUnit | Starter::UserUnit) => (
            format!(
                "override its ExecStart in a drop-in (`{sudo}systemctl {user}edit docker.service`: an empty `ExecStart=`, then the command of {source} with --data-root={local}, a directory on a local filesystem)"
            ),
            true,
        ),
        (Origin::Flag(source), Starter::InitScript) => (
            format!(
                "change --data-root in {source} to a directory on a local filesystem (e.g. {local})"
            ),
            false,
        ),
        (Origin::Config(config) | Origin::Default(config), _) => (
            format!(
                "set {{\"data-root\":\"{local}\"}} (a directory on a local filesystem) in {config}"
            ),
            false,
        ),
    };
    // A rootless data-root holds files of the subordinate ids: only a copy inside the user namespace keeps them.
    let copier = if r.rootless {
        "rootlesskit rsync"
    } else {
        "sudo rsync"
    };
    let copy = if exists {
        format!(
            "; with the daemon stopped, copy the old data if its images and volumes matter (`{copier} -aHAX {}/ {local}/`)",
            r.path.trim_end_matches('/')
        )
    } else {
        String::new()
    };
    match r.starter.restart(unit_changed) {
        Some(restart) => format!("For {}: {change}{copy}; then {restart}.", r.who),
        None => format!("For {}: {change}{copy}.", r.who),
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix};
    use crate::model::Status;

    #[test]
    fn a_container_holding_the_data_root_warns() {
        let v = check("debian-12-daemon-cadvisor", "volumes.busy");
        assert_eq!(v.status, Status::Warn);
        assert!(v.summary.contains("(cadvisor, pid 5000)"), "{}", v.summary);
    }

    /// 06c39b0: a --data-root set in a unit is fixed by an ExecStart override and daemon-reload, not in daemon.json
    /// (where dockerd would refuse the directive given twice).
    #[test]
    fn regression_data_root_flag_fixed_by_execstart_override() {
        let v = check("debian-12-rootful-nfs-data-root-flag", "volumes.data_root");
        assert_eq!(v.status, Status::Fail);
        let text = &fix(&v).text;
        assert!(
            text.starts_with("For docker.service: override its ExecStart in a drop-in"),
            "{text}"
        );
        assert!(
            text.contains("with --data-root=/srv/docker")
                && text.ends_with("then `sudo systemctl daemon-reload` and `sudo systemctl restart docker.service`."),
            "{text}"
        );
    }

    /// 06c39b0: one daemon's data-root does not hide another's.
    #[test]
    fn regression_every_daemons_data_root_is_judged() {
        let v = check("debian-12-rootful-nfs-data-root", "volumes.data_root");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("docker.service's data-root /srv/nfs/docker is on nfs")
                && v.summary
                    .contains("your dockerd 4242's data-root /srv/nfs/alice-docker"),
            "{}",
            v.summary
        );
    }
}
