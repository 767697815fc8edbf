//! "Unable to remove filesystem … Device or resource busy": who holds Docker's data-root, or a given path.

use super::Check;
use super::daemon_config::setups;
use crate::facts::{Facts, Read};
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
        title: "No other mount namespace (a cAdvisor-like container) holds Docker's data-root",
        reference: "daemon-troubleshoot seed: Volumes (Unable to remove filesystem … Device or resource busy)",
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
        run: busy,
    },
    Check {
        id: "volumes.path",
        area: "volumes",
        title: "Who holds the path given with --path open (descriptors, working directories, mounts), like lsof",
        reference: "daemon-troubleshoot seed: Volumes (sudo lsof /var/lib/docker/containers/<id>/shm)",
        explain: "\
What it checks: with `check volumes --path PATH`, every process whose open file descriptors (/proc/PID/fd), working directory \
or root is PATH or below it, and every other mount namespace with a mount at PATH — the `lsof` of the seed without lsof, with \
the container ID of each process from its cgroup.

Why it matters: a path that is open or mounted somewhere cannot be removed, and the error does not say by whom.

What you see when it's wrong: `remove /var/lib/docker/containers/<id>/shm: Device or resource busy`.

How to fix: stop the process or container named (or have it close the path), then retry the removal.",
        packages: &[],
        run: path,
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

/// Every data-root in use here: the running daemons' and the configured defaults that exist.
fn data_roots(f: &Facts) -> Vec<(String, String)> {
    let mut roots: Vec<(String, String)> = Vec::new();
    let mut add = |path: String, who: String| {
        if !roots.iter().any(|(p, _)| *p == path) && matches!(f.stat(&path), Read::Ok(_)) {
            roots.push((path, who));
        }
    };
    for s in setups(f) {
        let configured = s.setting("data-root");
        let flag = s.flag("data-root").or_else(|| s.flag("graph"));
        let default = if s.rootless {
            format!("{}/.local/share/docker", f.user.home.trim_end_matches('/'))
        } else {
            "/var/lib/docker".to_owned()
        };
        add(
            flag.or(configured).map_or(default, str::to_owned),
            s.label.clone(),
        );
    }
    add(
        "/var/lib/docker".into(),
        "the system daemon's default".into(),
    );
    add(
        format!("{}/.local/share/docker", f.user.home.trim_end_matches('/')),
        "the rootless default".into(),
    );
    roots
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
            let text = f.read(&format!("/proc/{pid}/mountinfo")).ok()?.clone();
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
    let roots = data_roots(f);
    if roots.is_empty() {
        return Verdict::skip("no data-root exists yet: no daemon has run");
    }
    let mut evidence = Vec::new();
    let located: Vec<(String, String, String)> = roots
        .iter()
        .filter_map(|(p, who)| {
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
    for pid in namespaces {
        let Read::Ok(text) = f.read(&format!("/proc/{pid}/mountinfo")) else {
            continue;
        };
        let (mounts, _) = mountinfo::parse(&text);
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
    if holders.is_empty() {
        return Verdict::pass("no other mount namespace holds a data-root").with_evidence(evidence);
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
    let Some(target) = f.volume_path.as_deref() else {
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
            if let Read::Ok(t) = f.read_link(&format!("/proc/{}/{link}", p.pid))
                && under(&t)
                && t != "/"
            {
                holders.push(format!("{} has its {link} at {t}", describe(f, p.pid)));
            }
        }
    }
    let (namespaces, _) = other_namespaces(f);
    for pid in namespaces {
        if let Read::Ok(text) = f.read(&format!("/proc/{pid}/mountinfo")) {
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
