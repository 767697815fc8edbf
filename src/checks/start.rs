//! What dockerd-rootless.sh and RootlessKit need to start: the directories they create, the Unix sockets they
//! listen on, and the lock on RootlessKit's state directory.

use super::{Check, Scope, unreadable};
use crate::facts::{Facts, FileKind, Meta, Read};
use crate::model::{Remediation, Verdict};
use crate::parse::mountinfo;

/// The longest path a Unix socket can be bound to: `sun_path` holds 108 bytes including the terminating NUL
/// (unix(7)); Go's `net.Listen("unix", …)` refuses 108 and more with EINVAL.
pub(crate) const SUN_PATH_MAX: usize = 107;

/// containerd's own limit for the sockets it creates (`unix socket path too long (> 104)`, the BSDs' sun_path), which
/// it applies on Linux too.
const CONTAINERD_SOCKET_MAX: usize = 104;

/// dockerd's containerd sockets below `$XDG_RUNTIME_DIR`: the longest two (`containerd.sock.ttrpc` is as long).
const CONTAINERD_DEBUG_SOCK: &str = "/docker/containerd/containerd-debug.sock";

/// Go's `os.MkdirTemp` appends a random `uint32` in decimal: at most 10 digits.
const MKDIRTEMP_DIGITS: usize = 10;

pub(super) const CHECKS: &[Check] = &[Check {
    id: "start.state_dir",
    area: "start",
    scope: Scope::Preflight,
    needs_runtime: true,
    title: "RootlessKit's state directory and /tmp are writable, and every socket path fits in sun_path",
    reference: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/copyup/tmpfssymlink/tmpfssymlink.go; https://github.com/moby/moby/blob/v26.1.5/contrib/dockerd-rootless.sh; unix(7); mount(8)",
    explain: "\
What it checks: the directories the start path creates, for the dockerd-rootless.sh that will run. Scripts without \
`--state-dir` (Docker 20.10, Debian 12's docker.io) let RootlessKit make its state directory with Go's \
`os.MkdirTemp(\"\", \"rootlesskit\")`, a random `rootlesskitNNNNNNNNNN` in $TMPDIR or /tmp; from Docker 25 the script \
passes `--state-dir=$XDG_RUNTIME_DIR/dockerd-rootless` (or $DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR), which RootlessKit \
creates and locks (`lock`). That directory, and /tmp, where RootlessKit's child makes `rootlesskit-bNNN` and `rksysNNN` \
for its copy-up and /sys mounts, must be directories the user can write, on a mount that is not read-only \
(/proc/self/mountinfo). The state directory must not be locked by another RootlessKit that is still running. And every \
Unix socket the start path listens on must fit in sun_path, 107 bytes plus the NUL (unix(7)): RootlessKit's \
`api.sock`, the builtin port driver's `.bp.sock` or slirp4netns's `.s4nn.sock` in the state directory (for a random \
name, its longest form), and dockerd's `$XDG_RUNTIME_DIR/docker.sock`; containerd, which dockerd starts, refuses \
socket paths over 104 bytes, and its longest is `$XDG_RUNTIME_DIR/docker/containerd/containerd-debug.sock`. \
`docker.sock` must not be a directory. The environment \
judged is the start path's (the user unit's, or this session's for a start by hand); writability is read from the \
mode bits and the groups in /etc/group (ACLs are not read).

Why it matters: each of these stops the daemon before it listens, and two of them stop it without a word: with a \
read-only /tmp, or a `.bp.sock` path over the limit, RootlessKit 1.1.0 with the builtin port driver (the script's \
default) waits forever for its child, so `systemctl --user start docker` or the script never returns.

What you see when it's wrong: `[rootlesskit:parent] error: creating a state directory: mkdir \
/tmp/rootlesskit1112766645: read-only file system`; `[rootlesskit:child ] error: creating bind0 directory under /tmp: \
mkdir /tmp/rootlesskit-b4165514075: read-only file system` and then nothing; `[rootlesskit:parent] error: failed to lock \
…/lock, another RootlessKit is running with the same state directory?`; `[rootlesskit:parent] error: listen unix \
…/api.sock: bind: invalid argument`; nothing at all with a 121-byte `.bp.sock`; `failed to load listeners: can't create \
unix socket …/docker.sock: listen unix …/docker.sock: bind: invalid argument` from dockerd; `containerd: failed to get \
listener for debug endpoint: \"…/containerd-debug.sock\": unix socket path too long (> 104)` and then dockerd's `failed to \
start containerd: timeout waiting for containerd to start`.

How to fix: give the start path a writable /tmp (remount it read-write, or start outside the sandbox or namespace \
that made it read-only), set TMPDIR to a short directory you own, keep XDG_RUNTIME_DIR short (/run/user/UID, or \
$HOME/.docker/xrd without systemd), stop the other RootlessKit named by its pid (or point \
DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR elsewhere), and remove a directory left at docker.sock.",
    packages: &[],
    run: state_dir,
}];

/// Where RootlessKit's state directory will be.
enum StateDir {
    /// 20.10's scripts: `os.MkdirTemp(dir, "rootlesskit")`.
    Temp { parent: String },
    /// 25+: `--state-dir=DIR`, created with `MkdirAll` and locked.
    Fixed { dir: String },
}

/// One thing that stops the start, and what the real tool then prints.
struct Problem {
    summary: String,
    source: String,
    detail: String,
    fix: String,
}

fn state_dir(f: &Facts) -> Verdict {
    let Some(script) = f.rootless_script() else {
        return Verdict::skip(
            "dockerd-rootless.sh is not installed, so where RootlessKit keeps its state is not decided yet (network.binaries)",
        );
    };
    let env = f.start_env();
    let known = env.is_some_and(|e| e.known);
    let var = |name: &str| {
        env.and_then(|e| e.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let estimate = if known {
        String::new()
    } else {
        format!(
            " (estimated: {})",
            env.map(|e| e.source.as_str())
                .unwrap_or("the start environment is not visible")
        )
    };
    let xdg = var("XDG_RUNTIME_DIR")
        .filter(|d| d.starts_with('/'))
        .map(|d| trim_dir(&d))
        .unwrap_or_else(|| f.runtime_dir());
    let tmpdir = var("TMPDIR")
        .map(|d| trim_dir(&d))
        .unwrap_or_else(|| "/tmp".to_owned());
    let layout = if script.mentions("--state-dir") {
        StateDir::Fixed {
            dir: var("DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR")
                .map(|d| trim_dir(&d))
                .unwrap_or_else(|| format!("{xdg}/dockerd-rootless")),
        }
    } else {
        StateDir::Temp {
            parent: tmpdir.clone(),
        }
    };
    let port_driver =
        var("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER").unwrap_or_else(|| "builtin".to_owned());
    let how = env
        .map(|e| e.how.clone())
        .unwrap_or_else(|| "dockerd-rootless.sh".to_owned());

    let mut v_evidence: Vec<(String, String)> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let state_shown = match &layout {
        StateDir::Temp { parent } => {
            format!("{parent}/rootlesskit{}", "N".repeat(MKDIRTEMP_DIGITS))
        }
        StateDir::Fixed { dir } => dir.clone(),
    };
    v_evidence.push((
        script.path.clone(),
        match &layout {
            StateDir::Temp { .. } => format!(
                "passes no --state-dir: RootlessKit makes {state_shown} (os.MkdirTemp in {}){estimate}",
                if var("TMPDIR").is_some() {
                    "$TMPDIR"
                } else {
                    "/tmp, TMPDIR being unset"
                }
            ),
            StateDir::Fixed { .. } => format!(
                "passes --state-dir={state_shown}{}{estimate}",
                if var("DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR").is_some() {
                    " (DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR)"
                } else {
                    ""
                }
            ),
        },
    ));

    // The state directory (or the directory it is made in).
    match &layout {
        StateDir::Temp { parent } => {
            if let Err(v) = judge_dir(
                f,
                parent,
                &format!("RootlessKit's state directory ({state_shown})"),
                "creating a state directory: mkdir",
                &mut problems,
                &mut v_evidence,
            ) {
                return v;
            }
        }
        StateDir::Fixed { dir } => {
            if let Err(v) = judge_fixed(f, dir, &mut problems, &mut v_evidence) {
                return v;
            }
        }
    }
    // The child's /tmp (copy-up and /sys), unless it is the directory just judged.
    let same_as_parent = matches!(&layout, StateDir::Temp { parent } if parent == "/tmp");
    if !same_as_parent
        && let Err(v) = judge_dir(
            f,
            "/tmp",
            "RootlessKit's child (rootlesskit-bNNN for --copy-up, rksysNNN for /sys)",
            "creating bind0 directory under /tmp: mkdir",
            &mut problems,
            &mut v_evidence,
        )
    {
        return v;
    }

    // Unix socket paths.
    let state_len = match &layout {
        StateDir::Temp { parent } => parent.len() + "/rootlesskit".len() + MKDIRTEMP_DIGITS,
        StateDir::Fixed { dir } => dir.len(),
    };
    // RootlessKit's: api.sock always, and the port driver's (.bp.sock, which its child listens on before the parent
    // gets to api.sock, or .s4nn.sock); then dockerd's.
    let mut rk_sockets = vec!["api.sock"];
    let rk_failure = match port_driver.as_str() {
        "builtin" => {
            rk_sockets.push(".bp.sock");
            "RootlessKit 1.1.0 with the builtin port driver waits forever for its child and prints nothing"
        }
        "slirp4netns" => {
            rk_sockets.push(".s4nn.sock");
            "[rootlesskit:parent] error: failed to setup network …: slirp4netns failed"
        }
        _ => "[rootlesskit:parent] error: listen unix …/api.sock: bind: invalid argument",
    };
    let mut sockets: Vec<(String, usize)> = rk_sockets
        .iter()
        .map(|name| (format!("{state_shown}/{name}"), state_len + 1 + name.len()))
        .collect();
    let dockerd_sock = format!("{xdg}/docker.sock");
    let containerd_sock = format!("{xdg}{CONTAINERD_DEBUG_SOCK}");
    sockets.push((dockerd_sock.clone(), dockerd_sock.len()));
    let longest = sockets
        .iter()
        .max_by_key(|(_, len)| *len)
        .cloned()
        .unwrap_or_default();
    let too_long = |paths: &[(String, usize)]| -> Vec<(String, usize)> {
        paths
            .iter()
            .filter(|(_, len)| *len > SUN_PATH_MAX)
            .cloned()
            .collect()
    };
    let rk_long = too_long(&sockets[..rk_sockets.len()]);
    if let Some(max) = rk_long.iter().map(|(_, l)| *l).max() {
        let random = if matches!(layout, StateDir::Temp { .. }) {
            " at their longest (MkdirTemp's random part has up to 10 digits)"
        } else {
            ""
        };
        let names = rk_long
            .iter()
            .map(|(p, _)| p.rsplit('/').next().unwrap_or(p))
            .collect::<Vec<_>>()
            .join(" and ");
        let room = SUN_PATH_MAX - 1 - ".s4nn.sock".len();
        problems.push(Problem {
            summary: format!(
                "RootlessKit's {names} in its state directory {} {max} bytes{random}, over the {SUN_PATH_MAX} a Unix socket path can hold: {rk_failure}",
                if rk_long.len() > 1 { "are" } else { "is" }
            ),
            source: rk_long[0].0.clone(),
            detail: format!("{max} bytes; sun_path holds {SUN_PATH_MAX} plus the NUL (unix(7))"),
            fix: match &layout {
                StateDir::Temp { parent } => format!(
                    "Use a TMPDIR of at most {} bytes ({parent} is {}), a directory you own, or unset TMPDIR to use /tmp.",
                    room - "/rootlesskit".len() - MKDIRTEMP_DIGITS,
                    parent.len()
                ),
                StateDir::Fixed { dir } => format!(
                    "Use a state directory of at most {room} bytes ({dir} is {}): a shorter XDG_RUNTIME_DIR, or DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR.",
                    dir.len()
                ),
            },
        });
    }
    let xdg_fix = format!(
        "Use an XDG_RUNTIME_DIR of at most {} bytes ({xdg} is {}): /run/user/{} under systemd, else a short directory such as $HOME/.docker/xrd.",
        CONTAINERD_SOCKET_MAX - CONTAINERD_DEBUG_SOCK.len(),
        xdg.len(),
        f.user.uid
    );
    if dockerd_sock.len() > SUN_PATH_MAX {
        problems.push(Problem {
            summary: format!(
                "{dockerd_sock} is {} bytes, over the {SUN_PATH_MAX} a Unix socket path can hold: dockerd stops with \"failed to load listeners: can't create unix socket {dockerd_sock}: listen unix {dockerd_sock}: bind: invalid argument\"",
                dockerd_sock.len()
            ),
            source: dockerd_sock.clone(),
            detail: format!("{} bytes; sun_path holds {SUN_PATH_MAX} plus the NUL (unix(7))", dockerd_sock.len()),
            fix: xdg_fix.clone(),
        });
    } else if containerd_sock.len() > CONTAINERD_SOCKET_MAX {
        problems.push(Problem {
            summary: format!(
                "{containerd_sock} is {} bytes, over the {CONTAINERD_SOCKET_MAX} containerd allows: the containerd dockerd starts exits (\"failed to get listener for debug endpoint: …: unix socket path too long (> 104)\") and dockerd stops with \"failed to start containerd: timeout waiting for containerd to start\"",
                containerd_sock.len()
            ),
            source: containerd_sock.clone(),
            detail: format!("{} bytes; containerd creates sockets of at most {CONTAINERD_SOCKET_MAX}", containerd_sock.len()),
            fix: xdg_fix,
        });
    }

    // docker.sock: dockerd unlinks what is there, then listens (go-connections' NewUnixSocket).
    let sock = format!("{xdg}/docker.sock");
    match f.lstat(&sock) {
        Read::Ok(m) if m.kind == FileKind::Dir => problems.push(Problem {
            summary: format!(
                "{sock} is a directory: dockerd stops with \"failed to load listeners: can't create unix socket {sock}: is a directory\""
            ),
            source: sock.clone(),
            detail: describe(&m),
            fix: format!("Remove the directory {sock} (nothing uses it: dockerd needs a socket there)."),
        }),
        Read::Ok(m) if m.uid != f.user.uid && sticky_parent(f, &xdg) => problems.push(Problem {
            summary: format!(
                "{sock} belongs to uid {} in a sticky directory, so dockerd cannot remove it: \"failed to load listeners: can't create unix socket {sock}: operation not permitted\"",
                m.uid
            ),
            source: sock.clone(),
            detail: describe(&m),
            fix: format!("Its owner or root must remove {sock}; better, use a runtime directory of your own (0700)."),
        }),
        Read::Ok(m) => v_evidence.push((sock.clone(), format!("{} (dockerd replaces it)", describe(&m)))),
        Read::Missing | Read::Failed(_) => {}
    }

    if problems.is_empty() {
        let (lp, ll) = longest;
        let mut v = Verdict::pass(format!(
            "{state_shown} and /tmp can be made and written; every socket fits (longest {ll} of {SUN_PATH_MAX} bytes, containerd's {} of {CONTAINERD_SOCKET_MAX})",
            containerd_sock.len()
        ))
        .evidence(lp, format!("{ll} bytes, the longest socket path"));
        for (s, d) in v_evidence {
            v = v.evidence(s, d);
        }
        return v;
    }
    let summary = format!(
        "{} cannot start: {}",
        how,
        problems
            .iter()
            .map(|p| p.summary.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut v = Verdict::fail(summary);
    for (s, d) in v_evidence {
        v = v.evidence(s, d);
    }
    let mut text = Vec::new();
    for p in problems {
        v = v.evidence(p.source, p.detail);
        if !text.contains(&p.fix) {
            text.push(p.fix);
        }
    }
    v.fix(Remediation::text(text.join(" ")))
}

/// `dir` without trailing slashes (`/` stays `/`).
fn trim_dir(dir: &str) -> String {
    match dir.trim_end_matches('/') {
        "" => "/".to_owned(),
        d => d.to_owned(),
    }
}

fn describe(m: &Meta) -> String {
    format!(
        "{}, mode {:04o}, owner uid {}, group {}",
        m.kind.describe(),
        m.mode,
        m.uid,
        m.gid
    )
}

/// Whether the user may create entries in a directory with this metadata: write and search permission for the
/// class the user falls in (owner, a group of theirs in /etc/group or their primary group, others).
fn user_can_write(f: &Facts, m: &Meta) -> bool {
    if f.user.uid == 0 {
        return true;
    }
    let bits = if m.uid == f.user.uid {
        m.mode >> 6
    } else if in_group(f, m.gid) {
        m.mode >> 3
    } else {
        m.mode
    };
    bits & 0o3 == 0o3
}

fn in_group(f: &Facts, gid: u32) -> bool {
    f.user.gid == gid
        || matches!(f.groups(), Read::Ok(groups)
            if groups.iter().any(|g| g.gid == gid && g.members.contains(&f.user.name)))
}

fn sticky_parent(f: &Facts, dir: &str) -> bool {
    matches!(f.stat(dir), Read::Ok(m) if m.mode & 0o1000 != 0)
}

/// The mount holding `path`, if mounted read-only (per-mount `ro`, or a read-only superblock).
fn read_only_mount(f: &Facts, path: &str) -> Option<String> {
    let Read::Ok(mounts) = f.mounts() else {
        return None;
    };
    let real = f
        .canonicalize(path)
        .ok()
        .cloned()
        .unwrap_or_else(|| path.to_owned());
    let m = mountinfo::mount_for(mounts, &real)?;
    (m.has_option("ro") || m.super_options.iter().any(|o| o == "ro")).then(|| {
        format!(
            "{} {} {} (superblock {})",
            m.mount_point,
            m.fs_type,
            m.mount_options.join(","),
            m.super_options.join(",")
        )
    })
}

/// An existing directory in which the start path creates entries: a directory, writable by the user, on a
/// mount that is not read-only.
fn judge_dir(
    f: &Facts,
    dir: &str,
    who: &str,
    error: &str,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(String, String)>,
) -> Result<(), Verdict> {
    let meta = match f.stat(dir) {
        Read::Ok(m) => m,
        Read::Failed(e) => return Err(unreadable(dir, &e)),
        Read::Missing => {
            problems.push(Problem {
                summary: format!(
                    "{dir} does not exist, so {who} cannot be made (\"{error} {dir}/…: no such file or directory\")"
                ),
                source: dir.to_owned(),
                detail: "missing".into(),
                fix: format!("Create {dir} (as root, mode 1777 for /tmp) or point TMPDIR at a directory you own."),
            });
            return Ok(());
        }
    };
    if meta.kind != FileKind::Dir {
        problems.push(Problem {
            summary: format!(
                "{dir} is a {}, not a directory, so {who} cannot be made",
                meta.kind.describe()
            ),
            source: dir.to_owned(),
            detail: describe(&meta),
            fix: format!("{dir} must be a directory you can write."),
        });
        return Ok(());
    }
    if let Some(ro) = read_only_mount(f, dir) {
        problems.push(Problem {
            summary: format!(
                "{dir} is on a read-only mount, so {who} cannot be made (\"{error} {dir}/…: read-only file system\")"
            ),
            source: "/proc/self/mountinfo".into(),
            detail: ro,
            fix: format!(
                "RootlessKit needs a writable {dir}: remount it read-write (mount(8) `-o remount,rw`), or start the daemon \
outside the sandbox or mount namespace that made it read-only."
            ),
        });
        return Ok(());
    }
    if !user_can_write(f, &meta) {
        problems.push(Problem {
            summary: format!(
                "{} cannot write {dir}, so {who} cannot be made (\"{error} {dir}/…: permission denied\")",
                f.user.name
            ),
            source: dir.to_owned(),
            detail: describe(&meta),
            fix: if dir == "/tmp" {
                "/tmp must be writable by every user, mode 1777 (as root: `chmod 1777 /tmp`).".to_owned()
            } else {
                format!("Make {dir} writable by {} or point TMPDIR at a directory you own.", f.user.name)
            },
        });
        return Ok(());
    }
    evidence.push((
        dir.to_owned(),
        format!("{}; writable by {}", describe(&meta), f.user.name),
    ));
    Ok(())
}

/// `--state-dir=DIR`: `MkdirAll(DIR, 0755)`, then a lock on `DIR/lock` that a running RootlessKit holds.
fn judge_fixed(
    f: &Facts,
    dir: &str,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(String, String)>,
) -> Result<(), Verdict> {
    // The directory itself if it exists, else the nearest existing ancestor, which MkdirAll creates it in.
    let mut existing = dir.to_owned();
    loop {
        match f.stat(&existing) {
            Read::Ok(_) => break,
            Read::Failed(e) => return Err(unreadable(&existing, &e)),
            Read::Missing => match existing.rsplit_once('/') {
                Some(("", _)) => {
                    existing = "/".to_owned();
                    break;
                }
                Some((parent, _)) => existing = parent.to_owned(),
                None => break,
            },
        }
    }
    let who = format!("RootlessKit's state directory ({dir})");
    judge_dir(f, &existing, &who, "mkdir", problems, evidence)?;
    if existing != dir {
        return Ok(());
    }
    let lock = format!("{dir}/lock");
    if !matches!(f.lstat(&lock), Read::Ok(_)) {
        return Ok(());
    }
    // The lock file outlives a RootlessKit that crashed; only a live one holding this directory fails the start.
    let Read::Ok(procs) = f.processes() else {
        return Ok(());
    };
    for p in procs.iter().filter(|p| p.uid == f.user.uid) {
        let Read::Ok(argv) = f.cmdline(p.pid) else {
            continue;
        };
        if !argv
            .first()
            .is_some_and(|a| a.rsplit('/').next().unwrap_or(a).ends_with("rootlesskit"))
        {
            continue;
        }
        if state_dir_arg(&argv).is_some_and(|d| trim_dir(&d) == dir) {
            let cmd = argv.join(" ");
            if argv.iter().any(|a| a.ends_with("dockerd-rootless.sh")) {
                evidence.push((
                    lock.clone(),
                    format!("held by the running rootless daemon's RootlessKit, pid {} ({cmd}): a second start would fail to lock it", p.pid),
                ));
                return Ok(());
            }
            problems.push(Problem {
                summary: format!(
                    "another RootlessKit (pid {}) holds {lock}: \"failed to lock {lock}, another RootlessKit is running with the same state directory?\"",
                    p.pid
                ),
                source: format!("/proc/{}/cmdline", p.pid),
                detail: cmd,
                fix: format!(
                    "Stop the RootlessKit with pid {} (`kill {}`), or give this daemon another state directory with DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR.",
                    p.pid, p.pid
                ),
            });
            return Ok(());
        }
    }
    evidence.push((
        lock,
        "left by an earlier RootlessKit; no running RootlessKit holds it".into(),
    ));
    Ok(())
}

/// RootlessKit's `--state-dir` (`--state-dir=D`, `--state-dir D`, one or two dashes), before the command.
fn state_dir_arg(argv: &[String]) -> Option<String> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        let flag = a.trim_start_matches('-');
        if !a.starts_with('-') {
            return None;
        }
        if let Some(v) = flag.strip_prefix("state-dir=") {
            return Some(v.to_owned());
        }
        if flag == "state-dir" {
            return it.next().cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix};
    use crate::model::Status;

    fn evidence<'a>(v: &'a crate::model::Verdict, source: &str) -> Option<&'a str> {
        v.evidence
            .iter()
            .find(|e| e.source == source)
            .map(|e| e.detail.as_str())
    }

    #[test]
    fn a_stock_host_passes_with_debians_temporary_state_dir() {
        let v = check("debian-12", "start.state_dir");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.summary.contains("/tmp/rootlesskitNNNNNNNNNN"),
            "{}",
            v.summary
        );
        let script = evidence(&v, "/usr/share/docker.io/contrib/dockerd-rootless.sh").unwrap();
        assert!(script.starts_with("passes no --state-dir"), "{script}");
        // .bp.sock in /tmp/rootlesskit + 10 digits: 12 + 10 + 4 + 9.
        assert_eq!(
            evidence(&v, "/tmp/rootlesskitNNNNNNNNNN/.bp.sock"),
            Some("35 bytes, the longest socket path")
        );
    }

    #[test]
    fn a_read_only_tmp_fails_naming_the_mount() {
        let v = check("debian-12-tmp-read-only", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("read-only file system"), "{}", v.summary);
        let mount = evidence(&v, "/proc/self/mountinfo").unwrap();
        assert!(mount.starts_with("/tmp tmpfs ro,"), "{mount}");
        assert!(fix(&v).text.contains("remount"), "{}", fix(&v).text);
    }

    #[test]
    fn a_long_tmpdir_names_the_socket_its_length_and_the_limit() {
        let v = check("debian-12-no-systemd-long-tmpdir", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        // 86-byte TMPDIR + /rootlesskit + 10 digits + /api.sock
        assert!(v.summary.contains("are 117 bytes"), "{}", v.summary);
        assert!(v.summary.contains("over the 107"), "{}", v.summary);
        assert!(v.summary.contains("waits forever"), "{}", v.summary);
        assert!(
            fix(&v).text.contains("TMPDIR of at most 74 bytes"),
            "{}",
            fix(&v).text
        );
    }

    #[test]
    fn a_long_runtime_dir_fails_on_containerds_104_bytes() {
        let v = check("debian-12-no-systemd-long-xdg", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("containerd-debug.sock is 108 bytes, over the 104"),
            "{}",
            v.summary
        );
        assert!(
            fix(&v).text.contains("at most 64 bytes"),
            "{}",
            fix(&v).text
        );
    }

    #[test]
    fn a_directory_at_docker_sock_fails_as_dockerd_does() {
        let v = check("debian-12-docker-sock-directory", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("can't create unix socket /run/user/1000/docker.sock: is a directory"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn another_rootlesskit_on_the_state_dir_is_named_by_pid() {
        let v = check("debian-12-no-systemd-state-dir-locked", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("(pid 5120)"), "{}", v.summary);
        assert!(
            v.summary.contains("failed to lock /home/alice/.docker/xrd/dockerd-rootless/lock, another RootlessKit is running with the same state directory?"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.contains("kill 5120"));
    }

    #[test]
    fn the_daemons_own_rootlesskit_on_the_state_dir_is_reported_not_failed() {
        let v = check(
            "debian-12-no-systemd-state-dir-held-by-daemon",
            "start.state_dir",
        );
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        let lock = evidence(&v, "/home/alice/.docker/xrd/dockerd-rootless/lock").unwrap();
        assert!(
            lock.starts_with("held by the running rootless daemon's RootlessKit, pid 5120"),
            "{lock}"
        );
    }

    #[test]
    fn state_dir_flag_forms() {
        let argv = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            super::state_dir_arg(&argv(&[
                "rootlesskit",
                "--net=slirp4netns",
                "--state-dir=/a",
                "true"
            ])),
            Some("/a".into())
        );
        assert_eq!(
            super::state_dir_arg(&argv(&["rootlesskit", "-state-dir", "/b", "true"])),
            Some("/b".into())
        );
        // After the command, a flag belongs to the command.
        assert_eq!(
            super::state_dir_arg(&argv(&["rootlesskit", "sh", "--state-dir=/c"])),
            None
        );
    }
}
