//! What dockerd-rootless.sh and RootlessKit need to start, judged against the script that will run and the RootlessKit
//! it will exec: the environment and flags the script reads and passes on (start.environment, start.rootless_flag), the
//! programs the start path looks up on the daemon's PATH (start.path), a RootlessKit that understands the flags the
//! script passes (start.versions), and the directories, sockets and lock they create (start.state_dir).

#[cfg(test)]
use super::detach_in_flags;
use super::{Check, Judges, Scope, unreadable};
use super::{DETACH, FLAGS, detach_netns};
use crate::facts::start::{DaemonPath, VarOrigin, with_dirs};
use crate::facts::start_programs::is_dir;
use crate::facts::{Access, Facts, FileKind, Meta, Permission, Read};
use crate::fsmagic;
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::mountinfo;
use crate::parse::rootlesskit::{self as rk, Version};

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

pub(super) const CHECKS: &[Check] = &[
    // --- start.environment (launch-sequence rows 1.3, 1.5, 1.7, 1.8, 1.9, 1.13, 2.1) ---
    Check {
        id: "start.environment",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The variables dockerd-rootless.sh reads have values it and RootlessKit accept",
        reference: "https://docs.docker.com/engine/security/rootless/; https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        explain: "\
What it checks: the environment dockerd-rootless.sh will get (the docker user service's Environment= and \
EnvironmentFile=, or, started by hand, this session's), against the script that will run (its own text decides which \
tests it makes) and the RootlessKit it will exec (its release, from the package database, decides which flags and \
drivers exist): HOME is an existing directory; $CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR (default \
$XDG_RUNTIME_DIR/containerd-rootless) does not exist (docker-v29.4 and later); DOCKERD_ROOTLESS_ROOTLESSKIT_NET is not \
`host` (28.5.2 and later) and is a network driver RootlessKit knows; DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS is 1, \
true, 0 or false (docker-v29.5 and later); and the flags the script builds from DOCKERD_ROOTLESS_ROOTLESSKIT_MTU, \
_PORT_DRIVER, _SLIRP4NETNS_SANDBOX, _SLIRP4NETNS_SECCOMP and _FLAGS pass RootlessKit's own validation (every \
_FLAGS word a flag of that release, the MTU a number from 0 to 65521, the port driver one that fits the network \
driver: slirp4netns needs --net=slirp4netns, implicit needs pasta, pasta needs none or implicit, which scripts \
25.0 to 28.5.1 do not pick by themselves; a driver the distribution's own rootlesskit package is built without, \
such as VPNKit on Debian 12). When root judges someone who starts the daemon by hand, their shell's environment \
cannot be seen, and the check says so instead of passing.

Why it matters: the script runs with `set -e` and stops at the first test that fails; RootlessKit refuses its \
command line before creating any namespace. Either way the daemon never starts, and under systemd the unit restarts \
until its start limit.

What you see when it's wrong: `HOME needs to be set and exist.`; `dockerd-rootless.sh conflicts with \
containerd-rootless.sh. …`; `Unsupported RootlessKit network driver: host`; `Unknown \
DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS value: …`; `[rootlesskit:parent] error: flag provided but not defined: \
-…`, `mtu must be <= 65521, got 70000`, `invalid value \"abc\" for flag -mtu: parse error`, `unknown port driver: \
implicit`, `not supported in this Debian package`, `port driver requires slirp4netns network`, `network \"pasta\" requires port driver \"none\" or \
\"implicit\"`, `port driver requires non-host network`.

How to fix: remove the variable (the script's default is valid) or set the value the finding names: in the unit, \
edit the Environment= line it names, then `systemctl --user daemon-reload` and `systemctl --user restart docker`; \
started by hand, start it without the variable (`env -u NAME dockerd-rootless.sh`).",
        packages: &[],
        removes: &[],
        run: environment,
    },
    // --- start.rootless_flag (launch-sequence row 8.1) ---
    Check {
        id: "start.rootless_flag",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "Neither the unit's dockerd flags nor the rootless daemon.json turn rootless mode off",
        reference: "https://docs.docker.com/engine/security/rootless/; https://github.com/moby/moby/blob/v20.10.24/cmd/dockerd/daemon.go",
        explain: "\
What it checks: `--rootless=false` (or 0, f, F, FALSE, False) among the words of the docker user service's \
ExecStart= after dockerd-rootless.sh, which the script passes to dockerd, and `\"rootless\": false` in the rootless \
daemon's daemon.json ($XDG_CONFIG_HOME/docker/daemon.json, default ~/.config/docker/daemon.json, or the unit's \
--config-file). Arguments given to the script by hand are not visible before the start.

Why it matters: RootlessKit sets ROOTLESSKIT_STATE_DIR, and dockerd, seeing it, refuses to run with rootless mode \
off: its paths, cgroup handling and networking would be the rootful ones inside a user namespace.

What you see when it's wrong: `rootless mode needs to be enabled for running with RootlessKit`, followed by \
`[rootlesskit:parent] error: child exited: exit status 1`.

How to fix: remove `--rootless=false` from ExecStart= (then `systemctl --user daemon-reload` and `systemctl --user \
restart docker`), and remove the `\"rootless\": false` setting from daemon.json (`fix --apply` does that one: \
a structured edit that keeps the file's other settings); rootless mode is on by default under RootlessKit.",
        packages: &[],
        removes: &[],
        run: rootless_flag,
    },
    Check {
        id: "start.path",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Every program the start path runs is on the daemon's PATH (nsenter, ip, newuidmap, containerd, …)",
        reference: "https://docs.docker.com/engine/security/rootless/; https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/pkg/port/builtin/child/child.go; https://github.com/moby/moby/blob/v28.0.0/daemon/config/config_linux.go; systemd.exec(5)",
        explain: "\
What it checks: the PATH dockerd-rootless.sh, RootlessKit and dockerd will have (the docker user service's \
Environment=PATH=, the one `dockerd-rootless-setuptool.sh install` writes, or, started by hand, the shell's), and on it \
every program the start path that will run looks up there: newuidmap and newgidmap (RootlessKit maps the subordinate \
ids); nsenter (RootlessKit puts the TAP device of slirp4netns and gvisor-tap-vsock, and of pasta in RootlessKit 2.0.0 \
to 2.2.0, into its namespace with `nsenter … ip tuntap add`; the 29.5+ script runs sysctl through it); ip (that TAP \
setup, and the child's `ip link set lo up`); unshare and mount (with `--detach-netns`, RootlessKit 2.0.0 to 2.3.2 \
create the detached namespace with `unshare -n mount --bind /proc/self/ns/net $STATE_DIR/netns` from the child's \
PATH; 2.3.3 and later do it themselves); sysctl (scripts of 29.0 and later enable forwarding with `sysctl -w`); mount \
(the script bind-mounts /etc/ssl over the symlink `--copy-up=/etc` leaves, on every host, and /etc/cdi and \
/var/run/cdi, 27.4 to 29.1, when they exist); rootlesskit-docker-proxy (dockerd 20.10 to \
27.x; 27.x also looks in /usr/libexec/docker and the like); docker-proxy (dockerd 28.0 and later, whose userland \
proxy is on unless `--userland-proxy=false` or `\"userland-proxy\": false` turns it off: Docker's libexec directories, \
/usr/local/libexec and /usr/libexec, then PATH; a `userland-proxy-path` naming another program is left to dockerd); containerd (dockerd starts its own unless one listens at \
$XDG_RUNTIME_DIR/containerd/containerd.sock); with RootlessKit 3's builtin port driver, iptables, ip6tables, ip and \
sysctl for its source-IP transparency (`--source-ip-transparent`, on by default), whose absence only turns the feature \
off (a warning; the mangle table it also needs is not judged). Which are needed follows the script that will run (read from its text) \
and the network driver it will choose on that PATH. A unit whose ExecStart= names a script that is gone or not \
executable is reported too. Started by hand while root judges someone else, their shell's PATH is not visible: \
the login PATH stands in, and a miss is a warning. The RootlessKit binary, the network driver, dockerd and iptables \
have their own checks (network.binaries, network.driver, iptables.binary).

Why it matters: dockerd-rootless.sh never changes PATH, and every program below it looks up its helpers there. \
A unit written by an old install keeps the PATH of that day; a start by hand from a login shell on Debian or Ubuntu has \
no /usr/sbin; a minimal image may lack iproute2 or util-linux. Each missing helper stops the start at its own step.

What you see when it's wrong: RootlessKit: `[rootlesskit:parent] error: failed to setup network …: setting up tap tap0: \
executing [[nsenter -t PID -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: exec: \"nsenter\": \
executable file not found in $PATH`; `nsenter: failed to execute ip: No such file or directory` (then `exit status \
127`); `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap PID [...] failed: : exec: \"newuidmap\": \
executable file not found in $PATH`. dockerd: `running with RootlessKit, but rootlesskit-docker-proxy not installed: \
exec: \"rootlesskit-docker-proxy\": executable file not found in $PATH`; 28.0 and later: `invalid userland-proxy-path: \
userland-proxy is enabled, but userland-proxy-path is not set`; `failed to start containerd: exec: \
\"containerd\": executable file not found in $PATH`. The script: `sysctl: not found`, `mount: not found`. systemd, for a \
unit whose script is gone: `status=203/EXEC`. RootlessKit 3, only in its --debug log and only at the first forwarded \
connection: `port/builtin: source IP transparent: iptables not found, disabling: …`.

How to fix: install the package that ships the program (iproute2, util-linux, procps, containerd, rootlesskit); if it \
is installed but not on that PATH, add its directory to Environment=PATH= in the docker user service (then \
`systemctl --user daemon-reload`), or start the script with it: `PATH=$BIN:/sbin:/usr/sbin:$PATH dockerd-rootless.sh`. \
A unit that names a script that moved: run `dockerd-rootless-setuptool.sh install` again.",
        packages: &["iproute2", "util_linux", "procps", "containerd", "rootlesskit"],
        removes: &[],
        run: path,
    },
    Check {
        id: "start.versions",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The RootlessKit on the daemon's PATH understands the flags dockerd-rootless.sh passes",
        reference: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh; https://github.com/moby/moby/blob/docker-v29.7.2/hack/dockerfile/install/rootlesskit.installer; https://github.com/rootless-containers/rootlesskit/releases",
        explain: "\
What it checks: what the dockerd-rootless.sh that will run passes to RootlessKit, read from the script's own text and \
the environment it gets: `--detach-netns` (29.5+, unless DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false), \
`--net=pasta` with `--port-driver=implicit` (asked for, or chosen by 28.5.2+ when slirp4netns is missing), and the \
29.5+ fallback `--net=gvisor-tap-vsock`; against the major version of the RootlessKit the script finds on the daemon's \
PATH: `--detach-netns`, pasta and `implicit` need RootlessKit 2, gvisor-tap-vsock needs RootlessKit 3. The version comes \
from the package database, never from running the binary: Debian's and Arch's rootlesskit package, or Docker's \
rootless extras, whose Docker version fixes the RootlessKit they bundle (25.0 to 29.4: v2, 29.5+: v3); for a RootlessKit \
installed without a package (the static bundle in ~/bin), the Go module path in the binary's build information \
(`github.com/rootless-containers/rootlesskit/v2`), read from the file. What none of these tells is reported as \
unknown, and then a flag that needs a newer RootlessKit is a warning. And `--detach-netns` given in \
DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS against the packaged dockerd's version: dockerd joins RootlessKit's detached network \
namespace only from 29.5.

Why it matters: a newer script with an older RootlessKit (Docker's script copied next to a distribution's RootlessKit, \
a half-upgraded ~/bin, `DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta` on Debian 12) stops before anything starts.

What you see when it's wrong: RootlessKit 1: `[rootlesskit:parent] error: flag provided but not defined: -detach-netns` \
(after its usage text); `[rootlesskit:parent] error: unknown network mode: pasta`; `[rootlesskit:parent] error: unknown \
network mode: gvisor-tap-vsock`. dockerd before 29.5 under `--detach-netns`: `failed to start daemon: Error initializing \
network controller: … failed to create NAT chain DOCKER: … Permission denied (you must be root)`.

How to fix: use the RootlessKit that comes with the script (Docker's docker-ce-rootless-extras, or the same static \
bundle), or the script that comes with the RootlessKit; for `--detach-netns` alone, set \
DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false for the daemon (or remove it from DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS); for \
pasta, install slirp4netns.",
        packages: &["docker_rootless"],
        removes: &[],
        run: versions,
    },
    Check {
        id: "start.state_dir",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "RootlessKit's state directory and /tmp are writable, and every socket path fits in sun_path",
        reference: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/copyup/tmpfssymlink/tmpfssymlink.go; https://github.com/moby/moby/blob/v26.1.5/contrib/dockerd-rootless.sh; unix(7); mount(8)",
        explain: "\
    What it checks: the directories the start path creates, for the dockerd-rootless.sh that will run. Scripts without \
    `--state-dir` (Docker 20.10, Debian 12's docker.io) let RootlessKit make its state directory with Go's \
    `os.MkdirTemp(\"\", \"rootlesskit\")`, a random `rootlesskitNNNNNNNNNN` in $TMPDIR or /tmp; from Docker 25 the script \
    passes `--state-dir=$XDG_RUNTIME_DIR/dockerd-rootless` (or $DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR), which RootlessKit \
    creates and locks (`lock`). That directory, and /tmp, where RootlessKit's child makes `rootlesskit-bNNN` and `rksysNNN` \
    for its copy-up and /sys mounts, must be directories the user can write, on a mount that is not read-only \
    (/proc/self/mountinfo). The state directory's filesystem must hold FIFOs and Unix sockets: RootlessKit's builtin \
    port driver makes `.bp-ready.pipe` with mkfifo(3) before anything else, and every driver binds sockets there; \
    vfat, msdos, exfat, hfs and vboxsf have no mknod (their statfs(2) magic), and a FUSE `fusefat` mount (its mountinfo \
    type) makes a regular file instead, which the kernel refuses. The state directory must not be locked by another RootlessKit that is still running. And every \
    Unix socket the start path listens on must fit in sun_path, 107 bytes plus the NUL (unix(7)): RootlessKit's \
    `api.sock`, the builtin port driver's `.bp.sock` or slirp4netns's `.s4nn.sock` in the state directory (for a random \
    name, its longest form), and dockerd's `$XDG_RUNTIME_DIR/docker.sock`; containerd, which dockerd starts, refuses \
    socket paths over 104 bytes, and its longest is `$XDG_RUNTIME_DIR/docker/containerd/containerd-debug.sock`. \
    `docker.sock` must not be a directory. The filesystems holding the state directory and $XDG_RUNTIME_DIR need room \
    (statfs(2)): a page for RootlessKit's `child_pid`, a page for dockerd's `docker.pid`, and a free inode. The environment \
    judged is the start path's (the user unit's, or this session's for a start by hand); writability is the kernel's \
    answer for the user (faccessat2(2) with their filesystem ids: mode bits, ACLs, read-only mounts), or, on a --root \
    tree, the mode bits and the groups in /etc/group.
    
    Why it matters: each of these stops the daemon before it listens, and two of them stop it without a word: with a \
    read-only /tmp, or a `.bp.sock` path over the limit, RootlessKit 1.1.0 with the builtin port driver (the script's \
    default) waits forever for its child, so `systemctl --user start docker` or the script never returns.
    
    What you see when it's wrong: `[rootlesskit:parent] error: creating a state directory: mkdir \
    /tmp/rootlesskit1112766645: read-only file system`; `[rootlesskit:child ] error: creating bind0 directory under /tmp: \
    mkdir /tmp/rootlesskit-b4165514075: read-only file system` and then nothing; `[rootlesskit:parent] error: cannot mkfifo \
    /media/alice/STICK/tmp/rootlesskit2736405318/.bp-ready.pipe: operation not permitted` (`input/output error` on FUSE); \
    `[rootlesskit:parent] error: failed to lock \
    …/lock, another RootlessKit is running with the same state directory?`; `[rootlesskit:parent] error: listen unix \
    …/api.sock: bind: invalid argument`; nothing at all with a 121-byte `.bp.sock`; `failed to load listeners: can't create \
    unix socket …/docker.sock: listen unix …/docker.sock: bind: invalid argument` from dockerd; `containerd: failed to get \
    listener for debug endpoint: \"…/containerd-debug.sock\": unix socket path too long (> 104)` and then dockerd's `failed to \
    start containerd: timeout waiting for containerd to start`; on a full /run/user tmpfs `[rootlesskit:parent] error: \
    failed to write the child PID … to …/child_pid: … no space left on device` or `failed to start daemon: write \
    /run/user/UID/docker.pid: no space left on device`.
    
    How to fix: give the start path a writable /tmp (remount it read-write, or start outside the sandbox or namespace \
    that made it read-only), set TMPDIR to a short directory you own on a filesystem with FIFOs and sockets (tmpfs, ext4, xfs, btrfs), keep XDG_RUNTIME_DIR short (/run/user/UID, or \
    $HOME/.docker/xrd without systemd), stop the other RootlessKit named by its pid (or point \
    DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR elsewhere), remove a directory left at docker.sock, and free room on a full \
    runtime directory (or raise logind's RuntimeDirectorySize=).",
        packages: &[],
        removes: &[],
        run: state_dir,
    },
    Check {
        id: "start.propagation",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "/ is a shared mount, so RootlessKit's rslave propagation brings the host's later mounts in",
        reference: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/warn.go#L24; https://github.com/moby/moby/blob/v26.1.0/contrib/dockerd-rootless.sh#L137; mount_namespaces(7); mount(8)",
        explain: "\
What it checks: the propagation of / in this machine's mount table (/proc/self/mountinfo, the first entry mounted on \
/, as RootlessKit reads it), when the start path asks RootlessKit for --propagation=rslave, as every dockerd-rootless.sh \
does (unless DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS sets a private propagation, which asks for nothing from the host).

Why it matters: RootlessKit's child makes its copy of the mount tree a slave of the host's, so a file system mounted on \
the host after the daemon started (a disk, an NFS or autofs mount, a new bind mount) shows up for the daemon and its \
containers. That works only when / is shared, which systemd makes it at boot; without systemd as init (WSL, a \
container, a chroot, some init systems) / is private, and a file system mounted later on a directory of the root file \
system never reaches the daemon (below a submount that is itself shared, it still does): a bind mount or volume of such \
a path shows the empty directory below it. In a chroot into a plain directory no mount is on / at all: there the \
kernel refuses RootlessKit its user namespace (user_namespaces(7)), and the check fails.

What you see when it's wrong: at every start, RootlessKit's warning `The host root filesystem is mounted as \"\". \
Setting child propagation to \"rslave\" is not supported.` (`\"master:363\"` and the like inside a container); later, \
containers that see an empty directory where the host has a mount.

How to fix: make / shared, now and at every boot: `sudo mount --make-rshared /` (on WSL, `command = \"mount \
--make-rshared /\"` in the [boot] section of /etc/wsl.conf, or systemd there with `systemd=true`; inside a container, \
the same command, which needs a privileged one), then restart the daemon.",
        packages: &[],
        removes: &[],
        run: propagation,
    },
    // --- start.selinux (launch-sequence rows 1.12 and 7.3) ---
    Check {
        id: "start.selinux",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Under SELinux, dockerd-rootless.sh's probe finds it and its relabel of the namespace's /run can work",
        reference: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh; https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh; https://github.com/moby/moby/issues/41230; https://github.com/rootless-containers/rootlesskit/issues/94; https://github.com/torvalds/linux/blob/v6.1/security/selinux/ss/mls.c; selinuxenabled(8); chcon(1)",
        explain: "\
What it checks: what decides dockerd-rootless.sh's SELinux steps, without running anything. In the host's namespaces the \
script runs `command -v selinuxenabled && selinuxenabled` (inside RootlessKit it would always be false); libselinux's \
is_selinux_enabled is true when selinuxfs is mounted (at /sys/fs/selinux) and /etc/selinux/config exists. When it is \
true, the script's second pass, inside the namespaces, runs `chcon system_u:object_r:iptables_var_run_t:s0 /run` on \
RootlessKit's copy of /run, so that iptables may take /run/xtables.lock there. The check reads selinuxfs \
(/sys/fs/selinux: the filesystem's magic number, `enforce`, `mls`), /etc/selinux/config, and looks up selinuxenabled and \
chcon on the daemon's PATH (the unit's Environment=PATH=, or the session's for a start by hand).

Why it matters: the script runs with `set -e`, so a failing chcon stops the daemon; and a relabel that never happens \
(selinuxenabled not on that PATH) leaves iptables in the namespace facing an unlabelled /run under an enforcing policy. \
The kernel refuses a context with a level (`:s0`) under a policy without MLS (`mls` 0), whatever the mode.

What you see when it's wrong: `chcon: not found` or `chcon: failed to change context of '/run' to \
'system_u:object_r:iptables_var_run_t:s0': Invalid argument`, and the script stops; without the relabel, dockerd's \
iptables fails with `/run/xtables.lock: Permission denied` (the setup tool then points to moby#41230 and suggests \
`semanage permissive -a iptables_t`).

How to fix: install the package that ships selinuxenabled and put its directory on the daemon's PATH; under a policy \
without MLS, the script's fixed context cannot be applied: run the daemon on a host whose policy has MLS/MCS (the \
targeted policy has), or make iptables_t permissive as the setup tool suggests.",
        packages: &["selinux_utils"],
        removes: &[],
        run: selinux,
    },
];

// --- start.environment -------------------------------------------------------------------------------------------

const NET: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_NET";
const MTU: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU";
const PORT_DRIVER: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER";
const SANDBOX: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX";
const SECCOMP: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SECCOMP";
const CONTAINERD_STATE: &str = "CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR";

/// What the fix does to a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// Remove it: the script's default is valid.
    Remove,
    /// Set it to this value.
    Set(String),
    /// Remove a path (the containerd-rootless state dir).
    RemovePath(String),
    /// Create the user's home directory (HOME has nothing better to point at).
    CreateHome(String),
}

/// One value the start refuses.
#[derive(Debug, Clone)]
struct Problem {
    var: &'static str,
    /// The value as the start gets it (`None`: unset).
    value: Option<String>,
    origin: VarOrigin,
    /// What the real start prints.
    error: String,
    change: Change,
}

/// The script's own behaviour, read from its text.
struct ScriptModel {
    checks_home: bool,
    containerd_conflict: bool,
    refuses_host: bool,
    detach_netns: bool,
    port_default_builtin: bool,
}

impl ScriptModel {
    fn of(s: &crate::facts::start::Script) -> ScriptModel {
        ScriptModel {
            checks_home: s.mentions("HOME needs to be set and exist."),
            containerd_conflict: s.mentions("conflicts with containerd-rootless.sh"),
            refuses_host: s.mentions("Unsupported RootlessKit network driver"),
            detach_netns: s.mentions("Unknown DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS value"),
            port_default_builtin: s.mentions("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER:=builtin"),
        }
    }
}

fn environment(f: &Facts) -> Verdict {
    let Some(env) = f.start_env() else {
        return Verdict::skip(
            "a tree without a running system: neither its init system nor a session shows the start environment",
        );
    };
    let Some(script) = f.rootless_script() else {
        return Verdict::skip(
            "dockerd-rootless.sh is not installed: nothing reads these variables yet (network.binaries)",
        );
    };
    if let Read::Failed(e) = &script.text {
        return super::unreadable(&script.path, e);
    }
    let model = ScriptModel::of(script);
    let mut evidence = vec![(
        script.path.clone(),
        format!(
            "the script that will run (found in {}); {}",
            script.found_by,
            behaviour(&model)
        ),
    )];
    let origin = |var: &str| f.start_var_origin(var);
    let value = |var: &str| env.get(var).map(str::to_owned);
    let mut problems: Vec<Problem> = Vec::new();

    // The start environment of someone else's shell is not visible: judge what files decide, and say so.
    if !env.known {
        if model.containerd_conflict
            && let Some(p) = containerd_conflict(f, None)
        {
            problems.push(p);
        }
        if problems.is_empty() {
            return Verdict::skip(format!("cannot be judged: {}, and {}", env.how, env.source))
                .evidence(script.path.clone(), evidence[0].1.clone());
        }
        return report(f, env, script, &problems, evidence);
    }

    // Row 1.3: `[ -d "$HOME" ]`.
    if model.checks_home {
        let (home, home_origin) = match value("HOME") {
            Some(h) => (h, origin("HOME")),
            // systemd gives a user unit (installed or still to be) the passwd home.
            None if !f.daemon_path().is_some_and(|p| p.by_hand) => {
                (f.user.home.clone(), VarOrigin::Unset)
            }
            None => (String::new(), VarOrigin::Unset),
        };
        let is_dir = !home.is_empty()
            && matches!(f.stat(&home), Read::Ok(m) if m.kind == crate::facts::FileKind::Dir);
        if !is_dir {
            let passwd_home_ok = matches!(f.stat(&f.user.home), Read::Ok(m) if m.kind == crate::facts::FileKind::Dir);
            problems.push(Problem {
                var: "HOME",
                value: (!home.is_empty()).then(|| home.clone()),
                origin: home_origin,
                error: "HOME needs to be set and exist.".to_owned(),
                change: if passwd_home_ok && home != f.user.home {
                    Change::Set(f.user.home.clone())
                } else {
                    Change::CreateHome(f.user.home.clone())
                },
            });
        }
        evidence.push((
            "HOME".to_owned(),
            format!(
                "{} ({})",
                if home.is_empty() { "unset" } else { &home },
                if is_dir {
                    "an existing directory"
                } else {
                    "not an existing directory"
                }
            ),
        ));
    }

    // Row 1.5: `[ -e "$CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR" ]`.
    if model.containerd_conflict
        && let Some(p) = containerd_conflict(f, Some(env))
    {
        problems.push(p);
    }

    // Which RootlessKit runs, and what it accepts.
    let kit = f.start_rootlesskit();
    match kit {
        Some(k) => evidence.push((
            k.path.clone(),
            "the RootlessKit the script will exec".to_owned(),
        )),
        None => evidence.push((
            "rootlesskit".to_owned(),
            "neither docker-rootlesskit nor rootlesskit is on the daemon's PATH (network.binaries)"
                .to_owned(),
        )),
    }

    // The network driver the script passes.
    let user_net = value(NET).filter(|v| !v.is_empty());
    let net = user_net
        .clone()
        .or_else(|| f.start_driver().and_then(|d| d.driver.clone()));
    if let Some(n) = &user_net {
        evidence.push((NET.to_owned(), format!("{n} ({})", origin(NET))));
    }

    // Row 1.7: 28.5.2 and later refuse host themselves.
    if model.refuses_host && user_net.as_deref() == Some("host") {
        problems.push(Problem {
            var: NET,
            value: user_net.clone(),
            origin: origin(NET),
            error: "Unsupported RootlessKit network driver: host".to_owned(),
            change: Change::Remove,
        });
        return report(f, env, script, &problems, evidence);
    }

    // Row 1.9: the value of DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS (`${…:=true}`).
    let mut detach = false;
    if model.detach_netns {
        let v = value(DETACH).filter(|v| !v.is_empty());
        match v.as_deref().unwrap_or("true") {
            "1" | "true" => detach = true,
            "0" | "false" => {}
            other => {
                problems.push(Problem {
                    var: DETACH,
                    value: v.clone(),
                    origin: origin(DETACH),
                    error: format!(
                        "Unknown DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS value: {other}"
                    ),
                    change: Change::Remove,
                });
                return report(f, env, script, &problems, evidence);
            }
        }
    }

    // Rows 1.13, 2.1, 1.8: RootlessKit's own validation of the command line the script builds.
    let Some(net) = net else {
        evidence.push((
            "network driver".to_owned(),
            "none the script would pick is installed (network.driver): RootlessKit's flags not judged".to_owned(),
        ));
        return report(f, env, script, &problems, evidence);
    };
    let mut words: Vec<(String, Option<&'static str>)> = Vec::new();
    let user = |var: &'static str| value(var).filter(|v| !v.is_empty()).map(|v| (v, var));
    words.push((format!("--net={net}"), user_net.as_ref().map(|_| NET)));
    // 20.10 to 28.5.1 (the scripts whose port driver defaults to builtin) give 65520 only to the slirp4netns they
    // find themselves; a driver asked for by name gets 1500 (observed with 26.1.5 and NET=pasta). 28.5.2 and later
    // give 65520 to slirp4netns, pasta and gvisor-tap-vsock however chosen.
    let default_mtu = if model.port_default_builtin {
        if user_net.is_none() && net == "slirp4netns" {
            "65520"
        } else {
            "1500"
        }
    } else if matches!(net.as_str(), "slirp4netns" | "pasta" | "gvisor-tap-vsock") {
        "65520"
    } else {
        "1500"
    };
    let (mtu, mtu_var) = user(MTU).map_or((default_mtu.to_owned(), None), |(v, k)| (v, Some(k)));
    words.push((format!("--mtu={mtu}"), mtu_var));
    for var in [SANDBOX, SECCOMP] {
        let flag = if var == SANDBOX { "sandbox" } else { "seccomp" };
        let (v, k) = user(var).map_or(("auto".to_owned(), None), |(v, k)| (v, Some(k)));
        words.push((format!("--slirp4netns-{flag}={v}"), k));
    }
    let default_port = if !model.port_default_builtin && net == "pasta" {
        "implicit"
    } else {
        "builtin"
    };
    let (port, port_var) =
        user(PORT_DRIVER).map_or((default_port.to_owned(), None), |(v, k)| (v, Some(k)));
    words.push((format!("--port-driver={port}"), port_var));
    for w in ["--copy-up=/etc", "--copy-up=/run", "--propagation=rslave"] {
        words.push((w.to_owned(), None));
    }
    if detach {
        words.push(("--detach-netns".to_owned(), Some(DETACH)));
    }
    let flags_value = value(FLAGS).unwrap_or_default();
    for w in flags_value
        .split([' ', '\t', '\n'])
        .filter(|w| !w.is_empty())
    {
        words.push((w.to_owned(), Some(FLAGS)));
    }
    if !flags_value.trim().is_empty() {
        evidence.push((
            FLAGS.to_owned(),
            format!("{flags_value} ({})", origin(FLAGS)),
        ));
    }
    words.push((script.path.clone(), None));
    // A network driver the distribution's own rootlesskit package was built without.
    let quirks = &f.distro().quirks;
    if kit.is_some_and(|k| k.name == "rootlesskit" && k.path.starts_with("/usr/bin/"))
        && user_net
            .as_ref()
            .is_some_and(|n| quirks.rootlesskit_without_networks.contains(n))
    {
        problems.push(Problem {
            var: NET,
            value: user_net.clone(),
            origin: origin(NET),
            error: format!(
                "[rootlesskit:parent] error: {}",
                quirks.rootlesskit_without_networks_error
            ),
            change: Change::Remove,
        });
        return report(f, env, script, &problems, evidence);
    }
    let argv: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
    // Every flag and driver of an older release is in the newer ones, so what the oldest accepts every release
    // accepts, and the release (from the package database, a large file) is read only when it decides.
    let judged = match rk::check(&argv, rk::OLDEST) {
        Ok(()) => Ok(format!("accepted by every release from {} on", rk::OLDEST)),
        Err(_) => {
            let (version, source) = f.rootlesskit_version().map_or_else(
                || (None, "no RootlessKit found".to_owned()),
                |v| (v.judged(), v.detail.clone()),
            );
            let version = version.unwrap_or(Version::NEWEST);
            evidence.push((
                "RootlessKit release".to_owned(),
                format!("{source}; judged as RootlessKit {version}"),
            ));
            rk::check(&argv, version)
                .map(|()| format!("accepted by RootlessKit {version}"))
                .map_err(|r| (r, version))
        }
    };
    evidence.push((
        "RootlessKit's arguments".to_owned(),
        format!(
            "{} ({})",
            argv.join(" "),
            match &judged {
                Ok(how) => how.clone(),
                Err((_, v)) => format!("refused by RootlessKit {v}"),
            }
        ),
    ));
    if let Err((refusal, version)) = judged {
        let error = format!("[rootlesskit:parent] error: {}", refusal.message);
        let at = refusal.word.and_then(|i| words.get(i));
        let var = at.and_then(|(_, v)| *v);
        let pair = refusal.message.contains("requires port driver");
        let problem = match (var, pair) {
            // The network driver the user chose needs a port driver the script does not pick (row 1.8).
            (None, true) if user_net.is_some() => Some(Problem {
                var: PORT_DRIVER,
                value: None,
                origin: VarOrigin::Unset,
                error,
                change: Change::Set(
                    if net == "pasta" {
                        "implicit"
                    } else {
                        "builtin"
                    }
                    .to_owned(),
                ),
            }),
            // The user's network driver against the script's own port driver (20.10 with NET=host: builtin).
            (None, false)
                if user_net.is_some() && refusal.message.starts_with("port driver requires") =>
            {
                Some(Problem {
                    var: NET,
                    value: user_net.clone(),
                    origin: origin(NET),
                    error,
                    change: Change::Remove,
                })
            }
            (Some(FLAGS), _) => {
                // The word at fault goes, with its value when it is a flag that takes the next word.
                let i = refusal.word.unwrap_or_default();
                let mut drop = vec![i];
                let bad = words[i].0.as_str();
                let name = bad.trim_start_matches('-');
                if !bad.contains('=')
                    && rk::find_flag(name, version).is_some_and(|d| d.kind != rk::Kind::Bool)
                    && words.get(i + 1).is_some_and(|(_, v)| *v == Some(FLAGS))
                {
                    drop.push(i + 1);
                }
                let rest: Vec<&str> = words
                    .iter()
                    .enumerate()
                    .filter(|(j, (_, v))| *v == Some(FLAGS) && !drop.contains(j))
                    .map(|(_, (w, _))| w.as_str())
                    .collect();
                Some(Problem {
                    var: FLAGS,
                    value: Some(flags_value.clone()),
                    origin: origin(FLAGS),
                    error,
                    change: if rest.is_empty() {
                        Change::Remove
                    } else {
                        Change::Set(rest.join(" "))
                    },
                })
            }
            (Some(DETACH), _) => Some(Problem {
                var: DETACH,
                value: value(DETACH),
                origin: origin(DETACH),
                error,
                change: Change::Set("false".to_owned()),
            }),
            (Some(v), _) => Some(Problem {
                var: v,
                value: value(v),
                origin: origin(v),
                error,
                // A host network with the script's builtin port driver: the script's own network choice works.
                change: Change::Remove,
            }),
            // The script's own flags against this RootlessKit: not a variable's fault.
            (None, _) => {
                evidence.push((
                    "RootlessKit".to_owned(),
                    format!("refuses the script's own flags: {error} (start.versions)"),
                ));
                return Verdict::fail(format!(
                    "RootlessKit {version} refuses the flags {} passes by itself: {error}",
                    script.path
                ))
                .with_evidence(evidence.into_iter().map(|(s, d)| {
                    crate::model::Evidence {
                        source: s,
                        detail: d,
                    }
                }))
                .fix(Remediation::text(format!(
                    "No variable is at fault: run a RootlessKit of the release {} comes with (start.versions says which), or \
that RootlessKit's own dockerd-rootless.sh.",
                    script.path
                )));
            }
        };
        problems.extend(problem);
    }
    report(f, env, script, &problems, evidence)
}

/// What the script's text says it does, for evidence.
fn behaviour(m: &ScriptModel) -> String {
    let mut tests = Vec::new();
    if m.checks_home {
        tests.push("HOME");
    }
    if m.containerd_conflict {
        tests.push("the containerd-rootless state dir");
    }
    if m.refuses_host {
        tests.push("NET=host");
    }
    if m.detach_netns {
        tests.push("DETACH_NETNS");
    }
    let port = if m.port_default_builtin {
        "port driver builtin unless set"
    } else {
        "port driver implicit for pasta, builtin otherwise"
    };
    if tests.is_empty() {
        format!("tests no variable itself; {port}")
    } else {
        format!("tests {}; {port}", tests.join(", "))
    }
}

/// Row 1.5: the containerd-rootless state dir exists. `env` is `None` when the start environment is not visible
/// (then the default under the runtime dir is judged).
fn containerd_conflict(f: &Facts, env: Option<&crate::facts::start::StartEnv>) -> Option<Problem> {
    let set = env
        .and_then(|e| e.get(CONTAINERD_STATE))
        .filter(|v| !v.is_empty());
    let runtime = env
        .and_then(|e| e.get("XDG_RUNTIME_DIR"))
        .map(str::to_owned)
        .unwrap_or_else(|| f.runtime_dir());
    let dir = set.map_or_else(|| format!("{runtime}/containerd-rootless"), str::to_owned);
    // `[ -e ]` follows symbolic links.
    matches!(f.stat(&dir), Read::Ok(_)).then(|| Problem {
        var: CONTAINERD_STATE,
        value: Some(dir.clone()),
        origin: if set.is_some() {
            f.start_var_origin(CONTAINERD_STATE)
        } else {
            VarOrigin::Unset
        },
        error: format!(
            "dockerd-rootless.sh conflicts with containerd-rootless.sh. Stop containerd-rootless.sh if it's running, and remove {dir} if it still exists."
        ),
        change: Change::RemovePath(dir),
    })
}

/// The verdict for what was found: a failure naming the first problem (what the real start prints), every problem
/// as evidence, and one fix.
fn report(
    f: &Facts,
    env: &crate::facts::start::StartEnv,
    script: &crate::facts::start::Script,
    problems: &[Problem],
    evidence: Vec<(String, String)>,
) -> Verdict {
    let ev = evidence
        .into_iter()
        .map(|(source, detail)| crate::model::Evidence { source, detail });
    let Some(first) = problems.first() else {
        return Verdict::pass(format!(
            "every variable {} reads is accepted by it and RootlessKit ({})",
            script.path, env.source
        ))
        .with_evidence(ev);
    };
    let shown = |p: &Problem| match (&p.value, &p.origin) {
        (Some(v), VarOrigin::Unset) => format!("{} defaults to {v}", p.var),
        (None, _) => format!("{} is unset", p.var),
        (Some(v), o) => format!("{}={v} ({o})", p.var),
    };
    let mut v = Verdict::fail(format!(
        "{}: the start stops with \"{}\"",
        shown(first),
        first.error
    ))
    .with_evidence(ev);
    for p in problems {
        v = v.evidence(shown(p), p.error.clone());
    }
    v.fix(fix(f, env, script, problems))
}

fn fix(
    f: &Facts,
    env: &crate::facts::start::StartEnv,
    script: &crate::facts::start::Script,
    problems: &[Problem],
) -> Remediation {
    let mut lines = Vec::new();
    let mut steps = Vec::new();
    let mut env_words: Vec<String> = Vec::new();
    let mut unit_edit = false;
    let mut stop_first = false;
    for p in problems {
        let what = match &p.change {
            Change::Remove => "remove it (the script's default is valid)".to_owned(),
            Change::Set(v) => format!("set it to {v}"),
            Change::CreateHome(h) => format!("create the home directory {h}"),
            Change::RemovePath(d) => {
                format!("stop containerd-rootless.sh if it runs, then remove {d}")
            }
        };
        match (&p.origin, &p.change) {
            (_, Change::RemovePath(d)) => {
                lines.push(format!("{}: {what}.", p.var));
                steps.push(Step::remove_tree(false, d.as_str()));
                stop_first = true;
            }
            (_, Change::CreateHome(h)) => {
                lines.push(format!("{}: {what}.", p.var));
                steps.push(Step::make_dir_for(
                    h.as_str(),
                    0o700,
                    format!("{}:{}", f.user.name, f.user.gid),
                ));
            }
            (VarOrigin::UnitEnvironment { file, line }, _) => {
                unit_edit = true;
                lines.push(match &p.change {
                    Change::Set(v) => format!(
                        "{}: in {file}, line {line}, change the Environment= assignment to {}={v}.",
                        p.var, p.var
                    ),
                    _ => format!(
                        "{}: in {file}, line {line}, remove the assignment from Environment= (the script's default is valid).",
                        p.var
                    ),
                });
            }
            (VarOrigin::EnvironmentFile { file, line, .. }, _) => {
                unit_edit = true;
                let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
                lines.push(match &p.change {
                    Change::Set(v) => format!(
                        "{}: in {file}{at}, change the assignment to {}={v}.",
                        p.var, p.var
                    ),
                    _ => format!(
                        "{}: in {file}{at}, remove the assignment (the script's default is valid).",
                        p.var
                    ),
                });
            }
            (_, change) if env.unit.is_some() => {
                unit_edit = true;
                let unit = env.unit.clone().unwrap_or_default();
                if let Change::Set(v) = change {
                    lines.push(format!(
                        "{}: add `Environment={}={v}` to the [Service] section of {unit}.",
                        p.var, p.var
                    ));
                } else {
                    lines.push(format!("{}: {what}.", p.var));
                }
            }
            (_, change) => {
                lines.push(format!("{}: {what}.", p.var));
                match change {
                    Change::Set(v) => env_words.push(format!("{}={v}", p.var)),
                    Change::Remove => {
                        env_words.push("-u".to_owned());
                        env_words.push(p.var.to_owned());
                    }
                    Change::RemovePath(_) | Change::CreateHome(_) => {}
                }
            }
        }
    }
    if unit_edit {
        steps.push(Step::user(["systemctl", "--user", "daemon-reload"]));
        steps.push(Step::user(["systemctl", "--user", "restart", "docker"]));
    }
    let start_by_hand = !env_words.is_empty();
    if start_by_hand {
        let mut argv = vec!["env".to_owned()];
        argv.extend(env_words);
        argv.push(script.path.clone());
        lines.push(
            "Start it with these values (and drop them from the shell profile that sets them):"
                .to_owned(),
        );
        steps.push(Step::user(argv));
    }
    let r = Remediation::text(lines.join(" ")).steps(steps);
    if unit_edit {
        r.by_hand("the unit's environment needs an edit by hand first")
    } else if start_by_hand {
        r.by_hand("you start the daemon yourself")
    } else if stop_first {
        r.by_hand("stop containerd-rootless.sh first, if it runs")
    } else {
        r
    }
}

// --- start.rootless_flag -----------------------------------------------------------------------------------------

fn rootless_flag(f: &Facts) -> Verdict {
    const ERROR: &str = "rootless mode needs to be enabled for running with RootlessKit";
    // Only systemd starts a unit (and asking for it scans every process: `preflight` stays cheap without systemd).
    let setup = if f.systemd {
        f.rootless_unit_setup()
    } else {
        None
    };
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut steps = Vec::new();
    let mut text = Vec::new();
    let mut flag_edit = false;
    let mut json_edit = None;
    if let Some(s) = setup {
        match s.flag("rootless") {
            Some(v) if rk::parse_bool(v) == Some(false) => {
                let file = s
                    .source
                    .rsplit_once(' ')
                    .map_or(s.source.as_str(), |(a, _)| a);
                problems.push(format!("--rootless={v} in {}", s.source));
                evidence.push((
                    s.source.clone(),
                    format!("--rootless={v}: dockerd-rootless.sh passes it to dockerd"),
                ));
                text.push(format!(
                    "Remove `--rootless={v}` from ExecStart= at {file}, then reload and restart the user service."
                ));
                flag_edit = true;
            }
            Some(v) => evidence.push((s.source.clone(), format!("--rootless={v}"))),
            None => evidence.push((s.source.clone(), "no --rootless flag".to_owned())),
        }
    } else if !f.systemd {
        evidence.push((
            "dockerd-rootless.sh arguments".to_owned(),
            "started by hand: the arguments it will get are not visible (it passes them to dockerd; do not give --rootless=false)"
                .to_owned(),
        ));
    }
    let config = setup.map_or_else(|| f.daemon_json_path(), |s| s.config.clone());
    match f.daemon_config(&config) {
        Ok(Some(map)) => match map.get("rootless") {
            Some(serde_json::Value::Bool(false)) => {
                let line = f.read(&config).ok().and_then(|t| {
                    t.lines()
                        .position(|l| l.contains("\"rootless\""))
                        .map(|i| i + 1)
                });
                let at = line.map_or_else(|| config.clone(), |l| format!("{config}:{l}"));
                problems.push(format!("\"rootless\": false in {at}"));
                evidence.push((at.clone(), "\"rootless\": false".to_owned()));
                text.push(format!("Remove the \"rootless\": false setting from {at}."));
                json_edit = super::daemon_json_edit(
                    f,
                    &config,
                    false,
                    serde_json::Map::new(),
                    &["rootless"],
                );
            }
            Some(other) => evidence.push((config.clone(), format!("\"rootless\": {other}"))),
            None => evidence.push((config.clone(), "no \"rootless\" setting".to_owned())),
        },
        Ok(None) => evidence.push((config.clone(), "absent or empty".to_owned())),
        Err(e) => {
            use crate::facts::dockerd::ConfigError;
            let why = match e {
                ConfigError::Unreadable { error, .. } => format!("unreadable ({error})"),
                ConfigError::NotObject { .. } => "not a JSON object".to_owned(),
                ConfigError::Syntax { line, column, .. } => {
                    format!("not JSON (line {line}, column {column})")
                }
            };
            evidence.push((
                config.clone(),
                format!("{why}: dockerd refuses it before rootless mode matters (daemon.config)"),
            ));
        }
    }
    let ev = evidence
        .into_iter()
        .map(|(source, detail)| crate::model::Evidence { source, detail });
    if problems.is_empty() {
        return Verdict::pass("rootless mode is not turned off").with_evidence(ev);
    }
    Verdict::fail(format!(
        "{}: dockerd stops with \"{ERROR}\"",
        problems.join(" and ")
    ))
    .with_evidence(ev)
    .fix({
        // daemon.json's setting is removed by a typed edit; ExecStart= stays an edit by hand.
        let json_by_hand = problems.iter().any(|p| p.starts_with('"')) && json_edit.is_none();
        steps.extend(json_edit);
        if flag_edit {
            steps.push(Step::user(["systemctl", "--user", "daemon-reload"]));
        }
        if setup.is_some() {
            steps.push(Step::user(["systemctl", "--user", "restart", "docker"]));
        }
        let r = Remediation::text(text.join(" ")).steps(steps);
        if flag_edit || json_by_hand {
            r.by_hand("the setting needs an edit by hand first")
        } else {
            r
        }
    })
}

// --- start.path and start.versions ---------------------------------------------------------------

/// A program the start path runs and looks up on PATH.
struct Need {
    program: &'static str,
    /// The step that runs it (docs/launch-sequence.md's wording, short).
    step: String,
    /// What that step prints when the program is missing.
    error: String,
    /// Logical package that ships it.
    package: &'static str,
    /// Directories searched before PATH (dockerd 27.x's libexec lookup).
    before_path: &'static [&'static str],
    /// False when it is needed only for a Docker version that could not be read: a miss is then a warning.
    certain: bool,
    /// A miss turns a feature off and never stops the start (RootlessKit 3's source-IP transparency, row 5.4): a
    /// warning, reported after every miss that does stop it.
    feature: bool,
}

/// Directories where a package installs the programs, to tell "not installed" from "not on that PATH"; also the
/// PATH a login shell and `fix --apply`'s user steps have.
pub(crate) const SYSTEM_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// dockerd 27.x looks for rootlesskit-docker-proxy here before PATH (moby v27.0.1 daemon/config/config_linux.go
/// `lookupBinPath`).
const LIBEXEC_DOCKER: &[&str] = &[
    "/usr/local/libexec/docker",
    "/usr/libexec/docker",
    "/usr/local/lib/docker",
    "/usr/lib/docker",
];

/// Where dockerd 28.0 and later look for docker-proxy before PATH (moby v28.0.0 daemon/config/config_linux.go
/// `lookupBinPath`: a program named `docker-…` is looked up in /usr/local/libexec and /usr/libexec too).
const LIBEXEC_DOCKER_PROXY: &[&str] = &[
    "/usr/local/libexec/docker",
    "/usr/libexec/docker",
    "/usr/local/lib/docker",
    "/usr/lib/docker",
    "/usr/local/libexec",
    "/usr/libexec",
];

/// How the rootless dockerd 28.0+ will find its userland proxy.
enum UserlandProxy {
    /// docker-proxy, looked up (the default).
    LookedUp,
    /// Turned off, and where: `--userland-proxy=false` in the command line or `"userland-proxy": false` in
    /// daemon.json.
    Off(String),
    /// The program `userland-proxy-path` names, and where: dockerd checks it itself (absolute, executable) and it is
    /// not judged here.
    Given(String, String),
}

/// How the rootless dockerd will find its userland proxy, from the running rootless daemon's command line, else the
/// docker user service's, and the daemon.json it reads.
fn userland_proxy(f: &Facts) -> UserlandProxy {
    let setup = f
        .dockerd_setups()
        .iter()
        .find(|s| s.rootless && s.pid.is_some() && !s.system_unit)
        .or_else(|| f.rootless_unit_setup());
    let flag = |name: &str| setup.and_then(|s| s.flag(name));
    let (config, settings) = f.rootless_settings(setup);
    let from = |what: &str| match setup {
        Some(s) => format!("{what} in {}", s.source),
        None => format!("{what} in {config}"),
    };
    let setting = |name: &str| settings.as_ref().and_then(|m| m.get(name)).cloned();
    // Go's strconv.ParseBool's false words.
    if let Some(v) = flag("userland-proxy")
        .filter(|v| matches!(*v, "0" | "f" | "F" | "false" | "FALSE" | "False"))
    {
        return UserlandProxy::Off(from(&format!("--userland-proxy={v}")));
    }
    if setting("userland-proxy") == Some(serde_json::Value::Bool(false)) {
        return UserlandProxy::Off(format!("\"userland-proxy\": false in {config}"));
    }
    if let Some(p) = flag("userland-proxy-path").filter(|p| !p.is_empty()) {
        return UserlandProxy::Given(p.to_owned(), from("--userland-proxy-path"));
    }
    if let Some(p) = setting("userland-proxy-path")
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .filter(|p| !p.is_empty())
    {
        return UserlandProxy::Given(p.to_owned(), format!("\"userland-proxy-path\" in {config}"));
    }
    UserlandProxy::LookedUp
}

/// What start.path looks up, for the daemon's PATH; `userland`: how a dockerd 28.0+ finds its userland proxy (`None`
/// for another or an unknown Docker version).
fn needs(f: &Facts, daemon: &DaemonPath, userland: Option<&UserlandProxy>) -> Vec<Need> {
    let mut out = Vec::new();
    let driver = f.start_driver();
    let script = f.rootless_script();
    let mentions = |needle: &str| script.is_some_and(|s| s.mentions(needle));
    if f.start_rootlesskit().is_some() {
        for (program, map) in [("newuidmap", "UID"), ("newgidmap", "GID")] {
            out.push(Need {
                program,
                step: format!("RootlessKit's parent writes the child's {map} map with {program}"),
                error: format!(
                    "[rootlesskit:parent] error: failed to setup UID/GID map: {program} PID [...] failed: : exec: \
\"{program}\": executable file not found in $PATH"
                ),
                package: "newuidmap",
                before_path: &[],
                certain: true,
                feature: false,
            });
        }
    }
    let net = driver.and_then(|d| d.driver.as_deref());
    let release = f.rootlesskit_version().and_then(|v| v.release);
    // pasta's parent also adds the TAP device through nsenter in RootlessKit 2.0.0 to 2.2.0; from 2.3.0 pasta
    // configures its interface itself (rootlesskit v2.2.0 and v2.3.0 pkg/network/pasta/pasta.go, `PrepareTap`).
    let pasta_tap = net == Some("pasta")
        && release.is_some_and(|r| (Version(2, 0, 0)..Version(2, 3, 0)).contains(&r));
    let tap_by_nsenter = matches!(net, Some("slirp4netns" | "gvisor-tap-vsock")) || pasta_tap;
    if tap_by_nsenter {
        out.push(Need {
            program: "nsenter",
            step: format!(
                "RootlessKit's parent puts {}'s TAP device into the namespace (`nsenter -t PID -n -m -U \
--preserve-credentials ip tuntap add name tap0 mode tap`)",
                net.unwrap_or_default()
            ),
            error: "[rootlesskit:parent] error: failed to setup network …: setting up tap tap0: executing [[nsenter -t \
PID -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: exec: \"nsenter\": executable file not \
found in $PATH"
                .into(),
            package: "util_linux",
            before_path: &[],
            certain: true,
            feature: false,
        });
    } else if mentions("nsenter -n") {
        out.push(Need {
            program: "nsenter",
            step: "the script enables forwarding in the detached namespace (`nsenter -n$netns sysctl -w …`)".into(),
            error: format!("{}: LINE: nsenter: not found", script.map_or("dockerd-rootless.sh", |s| s.path.as_str())),
            package: "util_linux",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    if let Some(net) = net.filter(|n| *n != "host") {
        let (step, error) = if tap_by_nsenter {
            (
                "nsenter runs `ip tuntap add` and `ip link set tap0 up` in RootlessKit's namespaces, then the child \
runs `ip link set lo up`"
                    .to_owned(),
                "nsenter: failed to execute ip: No such file or directory, then [rootlesskit:parent] error: failed to \
setup network …: setting up tap tap0: executing […]: exit status 127"
                    .to_owned(),
            )
        } else {
            (
                format!("RootlessKit's child sets up the {net} interface and lo with `ip link set …`"),
                "[rootlesskit:child ] error: … executing [[ip …]]: exec: \"ip\": executable file not found in $PATH"
                    .to_owned(),
            )
        };
        out.push(Need {
            program: "ip",
            step,
            error,
            package: "iproute2",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    // Row 3.5: with --detach-netns, RootlessKit 2.0.0 to 2.3.2 create the detached namespace with `unshare -n mount
    // --bind /proc/self/ns/net $STATE_DIR/netns` from the child's PATH, and unshare execs `mount` from it too;
    // 2.3.3 binds it in-process, 2.3.4 and later run their own embedded unshare (rootlesskit v2.3.2, v2.3.3 and
    // v2.3.4 pkg/child/child.go `NewNetNsWithPathWithoutEnter`).
    if let Some(how) = detach_netns(f) {
        let version = f.rootlesskit_version();
        let uses_path = match release {
            Some(r) => (Version(2, 0, 0)..=Version(2, 3, 2))
                .contains(&r)
                .then_some(true),
            // RootlessKit 1 refuses the flag (start.versions); an unknown release may be one of them.
            None => (version.and_then(|v| v.major) != Some(1)).then_some(false),
        };
        if let Some(certain) = uses_path {
            let which = release.map_or_else(
                || "as RootlessKit 2.0.0 to 2.3.2 do; this one's release is unknown".to_owned(),
                |r| format!("RootlessKit {r}; 2.3.3 and later do it themselves"),
            );
            out.push(Need {
                program: "unshare",
                step: format!(
                    "RootlessKit's child creates the detached network namespace ({how}) with `unshare -n mount \
--bind /proc/self/ns/net $STATE_DIR/netns` from its PATH ({which})"
                ),
                error: "[rootlesskit:child ] error: failed to create a detached netns on \"…/netns\": failed to \
execute [unshare -n mount --bind /proc/self/ns/net …/netns]: exec: \"unshare\": executable file not found in $PATH \
(out=\"\")"
                    .into(),
                package: "util_linux",
                before_path: &[],
                certain,
                feature: false,
            });
            out.push(Need {
                program: "mount",
                step: format!(
                    "unshare, run by RootlessKit's child for the detached network namespace ({how}), execs mount \
from the same PATH ({which})"
                ),
                error: "[rootlesskit:child ] error: failed to create a detached netns on \"…/netns\": failed to \
execute [unshare -n mount --bind /proc/self/ns/net …/netns]: exit status 127 (out=\"unshare: failed to execute mount: \
No such file or directory\\n\")"
                    .into(),
                package: "mount",
                before_path: &[],
                certain,
                feature: false,
            });
        }
    }
    if mentions("sysctl -w") {
        out.push(Need {
            program: "sysctl",
            step: "the script enables IP forwarding in the namespace (`sysctl -w net.ipv4.ip_forward=1`, 29.0+)".into(),
            error: format!("{}: LINE: sysctl: not found", script.map_or("dockerd-rootless.sh", |s| s.path.as_str())),
            package: "procps",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    let cdi: Vec<&str> = ["/etc/cdi", "/var/run/cdi"]
        .into_iter()
        .filter(|d| mentions(&format!("mount_directory {d}")) && is_dir(f, d))
        .collect();
    // Written for openSUSE's symlinked /etc/ssl, but `--copy-up=/etc` makes every entry of /etc a symlink in the
    // child, so every host with an /etc/ssl runs it (`mount --rbind /etc/.roNNN/ssl /etc/ssl`, observed on Debian 12).
    let ssl = mentions("-L \"/etc/ssl\"") && matches!(f.lstat("/etc/ssl"), Read::Ok(_));
    if (!cdi.is_empty() || ssl) && !out.iter().any(|n| n.program == "mount") {
        let mut what = cdi.clone();
        if ssl {
            what.push("/etc/ssl (a symlink once /etc is copied up)");
        }
        out.push(Need {
            program: "mount",
            step: format!(
                "the script bind-mounts {} inside the namespace",
                what.join(" and ")
            ),
            error: format!(
                "{}: LINE: mount: not found",
                script.map_or("dockerd-rootless.sh", |s| s.path.as_str())
            ),
            package: "mount",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    // dockerd 20.10 to 27.x look up the userland proxy; 28.0+ talk to RootlessKit's API instead.
    let docker = f.docker_version();
    let newer_script = mentions("sysctl -w") || mentions("--detach-netns");
    let proxy = match &docker {
        Some((_, v)) => (*v < (28, 0, 0)).then_some(true),
        None => (!newer_script).then_some(false),
    };
    if let Some(certain) = proxy {
        let v27 = docker.as_ref().is_some_and(|(_, v)| *v >= (27, 0, 0));
        out.push(Need {
            program: "rootlesskit-docker-proxy",
            step: match &docker {
                Some((pkg, _)) => format!("dockerd ({pkg}) looks up its userland proxy at start"),
                None => "dockerd before 28.0 looks up its userland proxy at start (Docker's version not in a package \
database)"
                    .to_owned(),
            },
            error: "running with RootlessKit, but rootlesskit-docker-proxy not installed: exec: \
\"rootlesskit-docker-proxy\": executable file not found in $PATH"
                .into(),
            package: "rootlesskit",
            before_path: if v27 { LIBEXEC_DOCKER } else { &[] },
            certain,
            feature: false,
        });
    }
    // dockerd 28.0 and later start docker-proxy as the userland proxy (`userland-proxy`, on by default), looked up in
    // Docker's libexec directories, /usr/local/libexec and /usr/libexec, then PATH; with none there it refuses to
    // start (moby v28.0.0 daemon/config/config_linux.go `lookupBinPath`, `verifyUserlandProxyConfig`). Only for a
    // known Docker version: 25.0 to 27.x scripts look alike, and their dockerd looks up rootlesskit-docker-proxy.
    if let Some((pkg, _)) = &docker
        && matches!(userland, Some(UserlandProxy::LookedUp))
    {
        out.push(Need {
            program: "docker-proxy",
            step: format!(
                "dockerd ({pkg}) looks up docker-proxy, its userland proxy (`userland-proxy`, on by default), at start"
            ),
            error: "invalid userland-proxy-path: userland-proxy is enabled, but userland-proxy-path is not set".into(),
            package: "docker",
            before_path: LIBEXEC_DOCKER_PROXY,
            certain: true,
            feature: false,
        });
    }
    // The script's first lookup (row 1.4): `command -v docker-rootlesskit`, then `rootlesskit`, on its PATH. A
    // RootlessKit installed elsewhere (network.binaries also searches /usr/sbin, ~/bin and the contrib directories)
    // does not help it.
    let rk_dirs: Vec<String> = SYSTEM_DIRS
        .iter()
        .map(|d| (*d).to_owned())
        .chain(std::iter::once(format!(
            "{}/bin",
            f.user.home.trim_end_matches('/')
        )))
        .chain(f.distro().defaults.rootless_script_dirs.iter().cloned())
        .collect();
    if f.first_in("docker-rootlesskit", &daemon.dirs).is_none()
        && (f.first_in("rootlesskit", &rk_dirs).is_some()
            || f.first_in("docker-rootlesskit", &rk_dirs).is_some())
    {
        out.push(Need {
            program: "rootlesskit",
            step: "dockerd-rootless.sh looks up `docker-rootlesskit`, then `rootlesskit`, with `command -v`".to_owned(),
            error: "rootlesskit needs to be installed".into(),
            package: "rootlesskit",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    // The script's last step: `exec dockerd` (20.10; `${DOCKERD:-dockerd}` from 25.0) from its PATH. Debian and
    // Ubuntu keep dockerd in /usr/sbin, which a login shell's PATH lacks (row 7.6). Before install, network.binaries
    // says dockerd is missing.
    let mut installed: Vec<String> = SYSTEM_DIRS.iter().map(|d| (*d).to_owned()).collect();
    installed.push(format!("{}/bin", f.user.home.trim_end_matches('/')));
    installed.extend(daemon.dirs.iter().cloned());
    if f.first_in("dockerd", &installed).is_some() {
        out.push(Need {
            program: "dockerd",
            step: "dockerd-rootless.sh execs dockerd inside RootlessKit".to_owned(),
            error: "dockerd-rootless.sh: …: exec: dockerd: not found".into(),
            package: "docker",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    // Row 5.4: RootlessKit 3's builtin port driver preserves client source IPs (`--source-ip-transparent`, on by
    // default) by setting up policy routing in the child at the first forwarded TCP connection, with iptables,
    // ip6tables, ip and sysctl from the child's PATH (v3.0.1 pkg/port/builtin/child/child.go).
    let rk3 = f.rootlesskit_version().and_then(|v| v.major) == Some(3);
    let env_port = f
        .start_env()
        .and_then(|e| e.get("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER"))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let port = f
        .start_flags_value("port-driver")
        .or(env_port)
        .unwrap_or_else(|| {
            if net == Some("pasta") && !mentions("PORT_DRIVER:=builtin") {
                "implicit".to_owned()
            } else {
                "builtin".to_owned()
            }
        });
    let transparent = f
        .start_flags_value("source-ip-transparent")
        .is_none_or(|v| rk::parse_bool(&v) != Some(false));
    if rk3 && port == "builtin" && transparent && net.is_some_and(|n| n != "host") {
        for (program, package, error) in [
            (
                "iptables",
                "iptables",
                "port/builtin: source IP transparent: iptables not found, disabling: exec: \"iptables\": executable \
file not found in $PATH (RootlessKit's --debug log; published ports then see RootlessKit's address, not the client's)",
            ),
            (
                "ip6tables",
                "iptables",
                "port/builtin: source IP transparent routing setup: exec: \"ip6tables\": executable file not found in \
$PATH (RootlessKit's --debug log; the IPv6 rules are missing)",
            ),
            (
                "ip",
                "iproute2",
                "port/builtin: source IP transparent routing setup: exec: \"ip\": executable file not found in $PATH \
(RootlessKit's --debug log; the policy routes are missing)",
            ),
            (
                "sysctl",
                "procps",
                "port/builtin: source IP transparent routing setup: exec: \"sysctl\": executable file not found in \
$PATH (RootlessKit's --debug log; net.ipv4.tcp_fwmark_accept stays 0)",
            ),
        ] {
            out.push(Need {
                program,
                step: "RootlessKit 3's builtin port driver sets up source-IP transparency in the child at the first \
forwarded TCP connection (--source-ip-transparent, on by default)"
                    .to_owned(),
                error: error.to_owned(),
                package,
                before_path: &[],
                certain: false,
                feature: true,
            });
        }
    }
    let socket = format!("{}/containerd/containerd.sock", f.runtime_dir());
    if !matches!(f.lstat(&socket), Read::Ok(_)) && daemon.known {
        out.push(Need {
            program: "containerd",
            step: format!("dockerd starts its own containerd (none at {socket})"),
            error: "failed to start containerd: exec: \"containerd\": executable file not found in $PATH".into(),
            package: "containerd",
            before_path: &[],
            certain: true,
            feature: false,
        });
    }
    out
}

/// The unit's ExecStart= script (launch-sequence row 0.4): systemd's exec fails with status=203/EXEC.
fn exec_start(f: &Facts) -> Option<Verdict> {
    let script = f.rootless_script()?;
    let unit = script.unit.clone()?;
    let why = match f.stat(&script.path) {
        Read::Missing => "does not exist".to_owned(),
        Read::Failed(e) => return Some(super::unreadable(&script.path, &e)),
        Read::Ok(m) if m.kind != FileKind::File => format!("is a {}", m.kind.describe()),
        Read::Ok(m) => {
            let shift = if m.uid == f.user.uid {
                6
            } else if m.gid == f.user.gid {
                3
            } else {
                0
            };
            if (m.mode >> shift) & 0o1 != 0 {
                return None;
            }
            format!(
                "is not executable for {} (mode {:04o}, owner {}:{})",
                f.user.name, m.mode, m.uid, m.gid
            )
        }
    };
    Some(
        Verdict::fail(format!(
            "{unit} starts {}, which {why}: systemd reports status=203/EXEC",
            script.path
        ))
        .evidence(script.found_by.clone(), script.path.clone())
        .evidence(script.path.clone(), why)
        .fix(Remediation::text(
            "Write the unit again for the installed dockerd-rootless.sh: run `dockerd-rootless-setuptool.sh install` \
(from the directory of the current dockerd-rootless.sh), then `systemctl --user daemon-reload`.",
        )),
    )
}

fn path(f: &Facts) -> Verdict {
    let Some(daemon) = f.daemon_path() else {
        return Verdict::skip(
            "not judged: a tree without a running system shows neither its init system nor a session's PATH",
        );
    };
    if let Some(v) = exec_start(f) {
        return v.evidence(daemon.source.clone(), daemon.detail());
    }
    let d = f.distro();
    let mut evidence = vec![Evidence {
        source: daemon.source.clone(),
        detail: daemon.detail(),
    }];
    if let Some(s) = f.rootless_script() {
        evidence.push(Evidence {
            source: "dockerd-rootless.sh".into(),
            detail: format!("{} ({})", s.path, s.found_by),
        });
    }
    if let Some(sd) = f.start_driver() {
        evidence.push(Evidence {
            source: "network driver".into(),
            detail: match &sd.driver {
                Some(n) => format!("{n} ({})", sd.source),
                None => format!("none ({})", sd.source),
            },
        });
    }
    let proxy = f
        .docker_version()
        .filter(|(_, v)| *v >= (28, 0, 0))
        .map(|_| userland_proxy(f));
    if let Some(proxy) = &proxy {
        match proxy {
            UserlandProxy::LookedUp => {}
            UserlandProxy::Off(at) => evidence.push(Evidence {
                source: "userland proxy".into(),
                detail: format!("off ({at}): dockerd does not look up docker-proxy"),
            }),
            UserlandProxy::Given(path, at) => evidence.push(Evidence {
                source: "userland proxy".into(),
                detail: format!(
                    "{path} ({at}): dockerd checks that program itself (an absolute path to an executable), not judged here"
                ),
            }),
        }
    }
    let mut missing: Vec<(Need, Option<String>)> = Vec::new();
    let mut found = Vec::new();
    for need in needs(f, daemon, proxy.as_ref()) {
        let dirs: Vec<String> = need
            .before_path
            .iter()
            .map(|d| (*d).to_owned())
            .chain(daemon.dirs.iter().cloned())
            .collect();
        match f.first_in(need.program, &dirs) {
            Some(p) => {
                if !found.contains(&need.program) {
                    found.push(need.program);
                }
                evidence.push(Evidence {
                    source: p,
                    detail: need.step,
                });
            }
            None => {
                let dirs: Vec<String> = SYSTEM_DIRS.iter().map(|d| (*d).to_owned()).collect();
                let elsewhere = f.first_in(need.program, &dirs);
                // Not installed at all: uidmap.newuidmap and uidmap.newgidmap already fail for it.
                if elsewhere.is_none() && need.package == "newuidmap" {
                    evidence.push(Evidence {
                        source: need.program.to_owned(),
                        detail: format!("not installed (uidmap.{})", need.program),
                    });
                    continue;
                }
                evidence.push(Evidence {
                    source: need.program.to_owned(),
                    detail: format!(
                        "{}: {}; without it: {}",
                        match &elsewhere {
                            Some(p) => format!("not on that PATH (installed as {p})"),
                            None => "not installed".to_owned(),
                        },
                        need.step,
                        need.error
                    ),
                });
                missing.push((need, elsewhere));
            }
        }
    }
    if missing.is_empty() {
        let summary = if found.is_empty() {
            format!(
                "nothing the start path looks up on PATH is needed here ({})",
                daemon.how
            )
        } else {
            format!("{} on the PATH of {}", found.join(", "), daemon.how)
        };
        return Verdict::pass(summary).with_evidence(evidence);
    }
    // What stops the start first; a feature turned off after.
    missing.sort_by_key(|(n, _)| n.feature);
    let names: Vec<&str> = missing.iter().map(|(n, _)| n.program).collect();
    let first = &missing[0].0;
    let mut summary = if first.feature {
        format!(
            "{} not on the PATH of {}: not a start failure, but {}: \"{}\"",
            names.join(", "),
            daemon.how,
            first.step,
            first.error
        )
    } else {
        format!(
            "{} not on the PATH of {}; the first step to fail: {}, with \"{}\"",
            names.join(", "),
            daemon.how,
            first.step,
            first.error
        )
    };
    let certain = daemon.known && missing.iter().all(|(n, _)| n.certain);
    if !daemon.known {
        summary.push_str(" (unless a shell profile adds it)");
    }
    let v = if certain {
        Verdict::fail(summary)
    } else {
        Verdict::warn(summary)
    }
    .with_evidence(evidence);
    // Not installed: the packages; installed elsewhere: the directories, on the unit's or the shell's PATH.
    // docker-proxy is needed only with a Docker engine the package database holds: it ships docker-proxy, so the
    // package is there and the file is not (a partial install, a removed file), which installing does not mend.
    let reinstall = missing
        .iter()
        .any(|(n, e)| e.is_none() && n.program == "docker-proxy")
        .then(|| f.docker_version())
        .flatten()
        .map(|(pkg, _)| pkg.split(' ').next().unwrap_or_default().to_owned());
    let packages: Vec<&str> = {
        let mut p: Vec<&str> = missing
            .iter()
            .filter(|(n, e)| e.is_none() && !(reinstall.is_some() && n.program == "docker-proxy"))
            .map(|(n, _)| n.package)
            .collect();
        p.dedup();
        p
    };
    let mut dirs: Vec<&str> = missing
        .iter()
        .filter_map(|(_, e)| {
            e.as_deref()
                .and_then(|p| p.rsplit_once('/'))
                .map(|(d, _)| d)
        })
        .collect();
    dirs.dedup();
    let mut r = Remediation::text(String::new());
    let mut text = Vec::new();
    if !packages.is_empty() {
        text.push(format!("Install {}.", d.package_list(&packages)));
        r = r.steps(d.install_step(&packages));
    }
    if let Some(pkg) = &reinstall {
        text.push(format!(
            "docker-proxy is missing from {pkg}, which is installed and ships it: reinstall {pkg} with the package \
manager (apt-get install --reinstall, dnf reinstall, zypper install --force, pacman -S), or put docker-proxy where \
dockerd looks before PATH (/usr/local/libexec/docker, /usr/libexec/docker, /usr/local/lib/docker, /usr/lib/docker, \
/usr/local/libexec, /usr/libexec)."
        ));
        r = r.by_hand("a package to reinstall");
    }
    if !dirs.is_empty() {
        let list = dirs.join(" and ");
        match &daemon.unit {
            Some(unit) => text.push(format!(
                "Add {list} to Environment=PATH= in {unit} (dockerd-rootless-setuptool.sh install writes \
$BIN:/sbin:/usr/sbin:$PATH), then `systemctl --user daemon-reload` and `systemctl --user restart docker`."
            )),
            None if daemon.by_hand => {
                let script_dir = f
                    .rootless_script()
                    .and_then(|s| s.path.rsplit_once('/').map(|(d, _)| d.to_owned()));
                let mut front: Vec<&str> = script_dir.iter().map(String::as_str).collect();
                front.extend(dirs.iter().copied());
                let value = format!("PATH={}", with_dirs(&daemon.dirs, &front, true).join(":"));
                text.push(format!(
                    "Start the daemon with {list} on PATH (or add it to PATH in the shell profile):"
                ));
                r = r
                    .step(Step::user(["env", value.as_str(), "dockerd-rootless.sh"]))
                    .by_hand("you start the daemon yourself");
            }
            None => text.push(format!(
                "Add {list} to the PATH the docker user service gets (Environment=PATH= after \
`dockerd-rootless-setuptool.sh install`)."
            )),
        }
    }
    r.text = text.join(" ");
    v.fix(r)
}

/// dockerd 26.1.5 under RootlessKit 2.0.2 with --detach-netns (observed on Debian 13; `…` is the iptables version).
const DETACHED_DOCKERD: &str = "failed to start daemon: Error initializing network controller: error obtaining \
controller instance: failed to register \"bridge\" driver: failed to create NAT chain DOCKER: iptables failed: iptables \
-t nat -N DOCKER: … Could not fetch rule set generation id: Permission denied (you must be root)";

/// What the script passes that an older RootlessKit lacks: (what, the major it needs, RootlessKit 1's error).
fn demands(f: &Facts) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let Some(script) = f.rootless_script() else {
        return out;
    };
    let env = f.start_env();
    let var = |name: &str| env.and_then(|e| e.get(name));
    if script.mentions("--detach-netns") {
        let value = var("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS").unwrap_or("true");
        if matches!(value, "1" | "true") {
            out.push((
                format!(
                    "--detach-netns (DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS={value}{})",
                    if var("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS").is_none() {
                        ", the script's default"
                    } else {
                        ""
                    }
                ),
                2,
                "[rootlesskit:parent] error: flag provided but not defined: -detach-netns"
                    .to_owned(),
            ));
        }
    }
    match f.start_driver().and_then(|d| d.driver.as_deref()) {
        Some("pasta") => out.push((
            "--net=pasta".to_owned(),
            2,
            "[rootlesskit:parent] error: unknown network mode: pasta".to_owned(),
        )),
        Some("gvisor-tap-vsock") => out.push((
            "--net=gvisor-tap-vsock".to_owned(),
            3,
            "[rootlesskit:parent] error: unknown network mode: gvisor-tap-vsock".to_owned(),
        )),
        _ => {}
    }
    if var("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER") == Some("implicit") {
        out.push((
            "--port-driver=implicit".to_owned(),
            2,
            "[rootlesskit:parent] error: unknown port driver: implicit".to_owned(),
        ));
    }
    out
}

fn versions(f: &Facts) -> Verdict {
    let Some(_) = f.daemon_path() else {
        return Verdict::skip(
            "not judged: a tree without a running system shows neither its init system nor a session's PATH",
        );
    };
    let Some(script) = f.rootless_script() else {
        return Verdict::pass(
            "no dockerd-rootless.sh installed yet: nothing to compare (network.binaries)",
        );
    };
    match &script.text {
        Read::Ok(_) => {}
        Read::Missing => {
            return Verdict::skip(format!(
                "{} does not exist (start.path): nothing to compare",
                script.path
            ));
        }
        Read::Failed(e) => return super::unreadable(&script.path, e),
    }
    let Some(rk) = f.rootlesskit_version() else {
        return Verdict::pass(format!(
            "{}: no RootlessKit on the daemon's PATH to compare with (network.binaries)",
            script.path
        ))
        .evidence(script.path.clone(), script.found_by.clone());
    };
    let demands = demands(f);
    let mut evidence = vec![
        Evidence {
            source: script.path.clone(),
            detail: if demands.is_empty() {
                "passes no flag that needs RootlessKit 2 or later".to_owned()
            } else {
                format!(
                    "passes {}",
                    demands
                        .iter()
                        .map(|(w, m, _)| format!("{w} (RootlessKit {m}+)"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        },
        Evidence {
            source: rk.path.clone(),
            detail: rk.detail.clone(),
        },
    ];
    if let Some(sd) = f.start_driver()
        && let Some(n) = &sd.driver
    {
        evidence.push(Evidence {
            source: "network driver".into(),
            detail: format!("{n} ({})", sd.source),
        });
    }
    let Some(major) = rk.major else {
        if demands.is_empty() {
            return Verdict::pass(format!(
                "{} passes nothing a RootlessKit 1 lacks; {}'s version is unknown",
                script.path, rk.path
            ))
            .with_evidence(evidence);
        }
        let need = demands.iter().map(|(_, m, _)| *m).max().unwrap_or(2);
        return Verdict::warn(format!(
            "{} passes {}, which needs RootlessKit {need} or later; {}'s version is {}",
            script.path,
            demands[0].0,
            rk.path,
            rk.detail
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Make sure the RootlessKit comes from the same release as dockerd-rootless.sh (`rootlesskit --version`).",
        ));
    };
    let short: Vec<&(String, u64, String)> =
        demands.iter().filter(|(_, m, _)| *m > major).collect();
    if short.is_empty() {
        // Row 3.5's other half: dockerd before 29.5 never joins the detached namespace (moby docker-v29.5.0
        // daemon/daemon_linux.go is the first to), so it sets up its bridge in the host's, where it has no rights.
        // Only when the flag comes from DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS: a script that passes it by default comes
        // with its own dockerd (29.5+), which the package database may not describe (a static bundle in ~/bin).
        if major >= 2
            && let Some(how) = detach_netns(f).filter(|how| how.starts_with(FLAGS))
            && let Some((pkg, v)) = f.docker_version()
            && v < (29, 5, 0)
        {
            evidence.push(Evidence {
                source: "package database".into(),
                detail: pkg.clone(),
            });
            return Verdict::fail(format!(
                "RootlessKit gets --detach-netns ({how}), but dockerd of {pkg} (before 29.5) stays in the host's \
network namespace: it stops with \"{DETACHED_DOCKERD}\""
            ))
            .with_evidence(evidence)
            .fix(Remediation::text(format!(
                "Remove --detach-netns from {FLAGS} (or set DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false) for the \
daemon: only dockerd 29.5 and later run their networking in RootlessKit's detached namespace."
            )));
        }
        return Verdict::pass(format!(
            "RootlessKit {major}.x understands what {} passes",
            script.path
        ))
        .with_evidence(evidence);
    }
    let (what, need, error) = short[0];
    let mut text = format!(
        "Use the RootlessKit that comes with {} (Docker's {} bundles RootlessKit {need}), or the dockerd-rootless.sh of \
the installed RootlessKit's release.",
        script.path,
        f.distro().package("docker_rootless")
    );
    if short
        .iter()
        .all(|(w, _, _)| w.starts_with("--detach-netns"))
    {
        text.push_str(
            " Or turn the flag off for the daemon: DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false (in \
~/.config/systemd/user/docker.service.d/override.conf under [Service] as an Environment= line, or in the shell \
that starts it).",
        );
    }
    Verdict::fail(format!(
        "{} passes {what}, which RootlessKit {major}.x ({}) lacks: it stops with \"{error}\"",
        script.path, rk.path
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(text))
}

// --- start.state_dir ----------------------------------------------------------------------------

/// Where RootlessKit's state directory will be.
enum StateDir {
    /// 20.10's scripts: `os.MkdirTemp(dir, "rootlesskit")`.
    Temp { parent: String },
    /// 25+: `--state-dir=DIR`, created with `MkdirAll` and locked.
    Fixed { dir: String },
}

/// One thing that stops the start, and what the real tool then prints.
struct StateProblem {
    summary: String,
    source: String,
    detail: String,
    fix: String,
}

/// A page: what tmpfs (and a 4 KiB-block filesystem) takes for each small file of the start.
const PAGE: u64 = 4096;

/// Judges the room on the filesystem holding `dir` for `what` (`needs` bytes, and a free inode); on a full
/// filesystem the start stops with `error`. Evidence only when it is short: the room of a healthy host is noise.
fn space_problem(
    f: &Facts,
    (dir, needs, what): &(String, u64, &str),
    error: &str,
    problems: &mut Vec<StateProblem>,
) {
    let Ok((probe, _)) = f.filesystem_of(dir) else {
        return;
    };
    let Read::Ok(space) = f.fs_space(&probe) else {
        return;
    };
    let inodes_out = space.files > 0 && space.files_free == 0;
    if space.avail >= *needs && !inodes_out {
        return;
    }
    let detail = format!(
        "{} bytes free{}",
        space.avail,
        if space.files > 0 {
            format!(", {} of {} inodes free", space.files_free, space.files)
        } else {
            String::new()
        }
    );
    let short = if inodes_out {
        "has no free inode".to_owned()
    } else {
        format!(
            "has {} bytes free, less than the {needs} bytes {what} need (a page each)",
            space.avail
        )
    };
    problems.push(StateProblem {
        summary: format!("the filesystem holding {dir} {short}: the start stops with \"{error}\""),
        source: probe.clone(),
        detail,
        fix: format!(
            "Free room on the filesystem holding {dir} (`df -h {probe}`, `df -i {probe}`): remove what fills it, or \
give the tmpfs more (RuntimeDirectorySize= in logind.conf(5) for /run/user)."
        ),
    });
}

/// `start.propagation`: see its explain text.
fn propagation(f: &Facts) -> Verdict {
    // Every dockerd-rootless.sh since 20.10 passes --propagation=rslave (v20.10.24, v26.1.0, docker-v29.7.2), before
    // DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS, whose value wins.
    if f.rootless_script().is_none() {
        return Verdict::skip(
            "no dockerd-rootless.sh on the start path to pass --propagation=rslave (network.binaries says why)",
        );
    }
    let mounts = match f.mounts() {
        Read::Ok(m) => m,
        Read::Missing => {
            return Verdict::skip("no /proc/self/mountinfo here: no mount table to judge");
        }
        Read::Failed(e) => return super::unreadable("/proc/self/mountinfo", e),
    };
    // RootlessKit reads the first entry mounted on / (moby/sys/mountinfo's SingleEntryFilter).
    let Some(root) = mounts.iter().find(|m| m.mount_point == "/") else {
        return Verdict::fail(
            "/ is not a mount point here: this runs in a chroot, where the kernel refuses RootlessKit a user namespace \
(\"[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: operation not permitted\")",
        )
        .evidence("/proc/self/mountinfo", "no entry mounted on /".to_owned())
        .fix(Remediation::text(
            "Enter the root with pivot_root in a mount namespace of its own (`unshare -m`, bind-mount the directory \
onto itself, `pivot_root`), or with a container runtime: user_namespaces(7) refuses a user namespace to a process \
whose root is not its mount namespace's.",
        ));
    };
    let wanted = f
        .start_flags_value("propagation")
        .unwrap_or_else(|| "rslave".to_owned());
    if wanted.contains("private") {
        return Verdict::pass(format!(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS sets --propagation={wanted}: RootlessKit asks nothing from the host's mounts"
        ));
    }
    let optional = root.optional.join(" ");
    let ev = format!(
        "/ ({} on {}): {}",
        root.fs_type,
        root.source,
        if optional.is_empty() {
            "private (no propagation fields)".to_owned()
        } else {
            optional.clone()
        }
    );
    if optional.contains("shared") {
        return Verdict::pass(format!(
            "/ is shared ({optional}): mounts the host makes after the daemon starts reach it (RootlessKit's {wanted})"
        ))
        .evidence("/proc/self/mountinfo", ev);
    }
    Verdict::warn(format!(
        "/ is not a shared mount ({}): RootlessKit warns \"The host root filesystem is mounted as {optional:?}. Setting child \
propagation to {wanted:?} is not supported.\", and a file system mounted later on a directory of the root file system \
does not reach the daemon or its containers (below a submount that is itself shared, it still does)",
        if optional.is_empty() { "private" } else { optional.as_str() }
    ))
    .evidence("/proc/self/mountinfo", ev)
    .fix(
        Remediation::text(
            "Make / shared now and at every boot (systemd does at boot; on WSL add `command = \"mount --make-rshared /\"` \
to the [boot] section of /etc/wsl.conf), then restart the daemon:",
        )
        .step(Step::root(["mount", "--make-rshared", "/"]))
        .by_hand("it lasts until the next boot unless the boot makes it so"),
    )
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
    let mut problems: Vec<StateProblem> = Vec::new();
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

    // The state directory's filesystem must hold a FIFO and Unix sockets (row 5.1).
    let state_parent = match &layout {
        StateDir::Temp { parent } => parent,
        StateDir::Fixed { dir } => dir,
    };
    if let Some(refusal) = special_files_refused(f, state_parent) {
        let (step, error) = match port_driver.as_str() {
            "builtin" => (
                "the builtin port driver's FIFO",
                format!(
                    "[rootlesskit:parent] error: cannot mkfifo {state_shown}/.bp-ready.pipe: {}",
                    refusal.errno
                ),
            ),
            "slirp4netns" => (
                "slirp4netns's API socket",
                format!(
                    "[rootlesskit:parent] error: failed to setup network …: waiting for ready fd (… --api-socket {state_shown}/.s4nn.sock …): slirp4netns failed"
                ),
            ),
            _ => (
                "its API socket",
                format!(
                    "[rootlesskit:parent] error: listen unix {state_shown}/api.sock: bind: {}",
                    refusal.errno
                ),
            ),
        };
        problems.push(StateProblem {
            summary: format!(
                "{state_parent} is on {}, which cannot hold FIFOs or Unix sockets, so RootlessKit cannot make {step} in its state directory: \"{error}\"",
                refusal.what
            ),
            source: refusal.source,
            detail: refusal.detail,
            fix: match &layout {
                StateDir::Temp { .. } => "Point TMPDIR at a directory on a filesystem that holds FIFOs and sockets (tmpfs, ext4, xfs, btrfs), or unset it to use /tmp.".to_owned(),
                StateDir::Fixed { .. } => "Give RootlessKit a state directory on a filesystem that holds FIFOs and sockets (tmpfs, ext4, xfs, btrfs): DOCKERD_ROOTLESS_ROOTLESSKIT_STATE_DIR, or an XDG_RUNTIME_DIR on tmpfs.".to_owned(),
            },
        });
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
        problems.push(StateProblem {
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
        problems.push(StateProblem {
            summary: format!(
                "{dockerd_sock} is {} bytes, over the {SUN_PATH_MAX} a Unix socket path can hold: dockerd stops with \"failed to load listeners: can't create unix socket {dockerd_sock}: listen unix {dockerd_sock}: bind: invalid argument\"",
                dockerd_sock.len()
            ),
            source: dockerd_sock.clone(),
            detail: format!("{} bytes; sun_path holds {SUN_PATH_MAX} plus the NUL (unix(7))", dockerd_sock.len()),
            fix: xdg_fix.clone(),
        });
    } else if containerd_sock.len() > CONTAINERD_SOCKET_MAX {
        problems.push(StateProblem {
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
        Read::Ok(m) if m.kind == FileKind::Dir => problems.push(StateProblem {
            summary: format!(
                "{sock} is a directory: dockerd stops with \"failed to load listeners: can't create unix socket {sock}: is a directory\""
            ),
            source: sock.clone(),
            detail: describe(&m),
            fix: format!("Remove the directory {sock} (nothing uses it: dockerd needs a socket there)."),
        }),
        Read::Ok(m) if m.uid != f.user.uid && sticky_parent(f, &xdg) => problems.push(StateProblem {
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

    // Room to write. RootlessKit writes child_pid into its state directory and dockerd writes docker.pid into
    // XDG_RUNTIME_DIR, a page each on tmpfs (measured: Debian 12's start, with its state under /tmp, took 4 KiB of
    // XDG_RUNTIME_DIR); a filesystem without that room stops the start at the first of them.
    let state_in_xdg = matches!(&layout, StateDir::Fixed { dir } if dir == &xdg || dir.starts_with(&format!("{xdg}/")));
    if !state_in_xdg {
        let (dir, error) = match &layout {
            StateDir::Temp { parent } => (
                parent.clone(),
                format!(
                    "[rootlesskit:parent] error: failed to write the child PID … to {state_shown}/child_pid: … no space left on device"
                ),
            ),
            StateDir::Fixed { dir } => (
                dir.clone(),
                format!(
                    "[rootlesskit:parent] error: failed to write the child PID … to {dir}/child_pid: … no space left on device"
                ),
            ),
        };
        space_problem(
            f,
            &(dir, PAGE, "RootlessKit's child_pid"),
            &error,
            &mut problems,
        );
    }
    let (xdg_needs, xdg_error) = if state_in_xdg {
        (
            2 * PAGE,
            format!(
                "[rootlesskit:parent] error: failed to write the child PID … to {state_shown}/child_pid: … no space left on device"
            ),
        )
    } else {
        (
            PAGE,
            format!("failed to start daemon: write {xdg}/docker.pid: no space left on device"),
        )
    };
    let xdg_room = (
        xdg.clone(),
        xdg_needs,
        if state_in_xdg {
            "RootlessKit's child_pid and dockerd's docker.pid"
        } else {
            "dockerd's docker.pid"
        },
    );
    space_problem(f, &xdg_room, &xdg_error, &mut problems);

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

/// A filesystem on which RootlessKit cannot make the FIFO and sockets of its state directory.
struct SpecialFilesRefused {
    /// How the filesystem is named in the summary (`msdos`, `fuse.fusefat`).
    what: String,
    /// Where it was read (the directory `statfs` answered for, or mountinfo), and what it said.
    source: String,
    detail: String,
    /// The error `mkfifo` and `bind` meet there, as Go prints it.
    errno: &'static str,
}

/// Whether the filesystem holding `dir` (or, before it exists, its nearest existing ancestor) refuses FIFOs and Unix
/// sockets: a kernel filesystem without `mknod` (its `statfs` magic), or a FUSE filesystem whose server is known to
/// make a regular file instead (its mountinfo type). `None` when it holds them or nothing says.
fn special_files_refused(f: &Facts, dir: &str) -> Option<SpecialFilesRefused> {
    let (probe, magic) = f.filesystem_of(dir).ok()?;
    if fsmagic::WITHOUT_SPECIAL_FILES.contains(&magic) {
        return Some(SpecialFilesRefused {
            what: fsmagic::name(magic),
            source: probe,
            detail: format!(
                "statfs f_type 0x{magic:x} ({}): no mknod, so mkfifo and bind fail with EPERM",
                fsmagic::name(magic)
            ),
            errno: "operation not permitted",
        });
    }
    if magic != fsmagic::FUSE {
        return None;
    }
    let Read::Ok(mounts) = f.mounts() else {
        return None;
    };
    let real = f
        .canonicalize(&probe)
        .ok()
        .cloned()
        .unwrap_or_else(|| probe.clone());
    let m = mountinfo::mount_for(mounts, &real)?;
    fsmagic::FUSE_WITHOUT_SPECIAL_FILES
        .contains(&m.fs_type.as_str())
        .then(|| SpecialFilesRefused {
            what: m.fs_type.clone(),
            source: "/proc/self/mountinfo".into(),
            detail: format!(
                "{} {} at {}: its server makes a regular file for a FIFO or socket, which the kernel refuses with EIO",
                m.fs_type, m.source, m.mount_point
            ),
            errno: "input/output error",
        })
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

/// Whether the user may create entries in `dir`: the kernel's answer for them ([`Facts::access`]: mode bits, ACLs,
/// a read-only mount), or, where it cannot be asked (a `--root` tree), the mode bits.
fn may_create_in(f: &Facts, dir: &str, m: &Meta) -> bool {
    match f.access(dir, Access::CREATE_IN) {
        Read::Ok(Permission::Allowed) => true,
        Read::Ok(Permission::Denied(_)) => false,
        _ => user_can_write(f, m),
    }
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
    problems: &mut Vec<StateProblem>,
    evidence: &mut Vec<(String, String)>,
) -> Result<(), Verdict> {
    let meta = match f.stat(dir) {
        Read::Ok(m) => m,
        Read::Failed(e) => return Err(unreadable(dir, &e)),
        Read::Missing => {
            problems.push(StateProblem {
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
        problems.push(StateProblem {
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
        problems.push(StateProblem {
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
    if !may_create_in(f, dir, &meta) {
        problems.push(StateProblem {
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
    problems: &mut Vec<StateProblem>,
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
            problems.push(StateProblem {
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

// --- start.selinux -----------------------------------------------------------------------------------------------

/// selinuxfs's magic number (linux/magic.h `SELINUX_MAGIC`).
const SELINUX_MAGIC: u64 = 0xf97c_ff8c;
const SELINUXFS: &str = "/sys/fs/selinux";
const SELINUX_CONFIG: &str = "/etc/selinux/config";
/// The context the script gives the namespace's /run (every tag from v20.10.0 to docker-v29.7.2).
const RUN_CONTEXT: &str = "system_u:object_r:iptables_var_run_t:s0";

/// Rows 1.12 and 7.3: the script's `selinuxenabled` probe in the host namespaces and its `chcon … /run` inside them.
fn selinux(f: &Facts) -> Verdict {
    let Some(daemon) = f.daemon_path() else {
        return Verdict::skip(
            "not judged: a tree without a running system shows neither its init system nor a session's PATH",
        );
    };
    let mounted = matches!(f.fs_magic(SELINUXFS), Read::Ok(m) if m == SELINUX_MAGIC);
    if !mounted {
        return Verdict::pass(
            "SELinux is not enabled (no selinuxfs at /sys/fs/selinux): the script's selinuxenabled probe is false and it \
relabels nothing",
        );
    }
    let script = f.rootless_script();
    if let Some(s) = script
        && s.text.ok().is_some()
        && !s.mentions("selinuxenabled")
    {
        return Verdict::pass(format!("{} has no SELinux steps", s.path));
    }
    let value = |name: &str| {
        f.read(&format!("{SELINUXFS}/{name}"))
            .ok()
            .map(|t| t.trim().to_owned())
    };
    let enforcing = value("enforce").as_deref() == Some("1");
    let mls = value("mls");
    let config = matches!(f.lstat(SELINUX_CONFIG), Read::Ok(_));
    let mode = if enforcing { "enforcing" } else { "permissive" };
    let mut evidence = vec![
        Evidence {
            source: SELINUXFS.into(),
            detail: format!(
                "selinuxfs, enforce {}, mls {}",
                value("enforce").as_deref().unwrap_or("unreadable"),
                mls.as_deref().unwrap_or("unreadable")
            ),
        },
        Evidence {
            source: SELINUX_CONFIG.into(),
            detail: if config {
                "present"
            } else {
                "missing: libselinux's is_selinux_enabled says no"
            }
            .into(),
        },
        Evidence {
            source: daemon.source.clone(),
            detail: daemon.detail(),
        },
    ];
    let probe = f.first_in("selinuxenabled", &daemon.dirs);
    evidence.push(Evidence {
        source: "selinuxenabled".into(),
        detail: match &probe {
            Some(p) => format!("{p}: the script's probe runs it"),
            None => {
                "not on that PATH: the script's `command -v selinuxenabled` finds nothing".into()
            }
        },
    });
    let no_relabel = |why: &str| {
        let summary = format!(
            "SELinux is {mode}, but {why}: dockerd-rootless.sh skips `chcon {RUN_CONTEXT} /run` in the namespace, \
so iptables there meets an unlabelled /run (moby#41230: `/run/xtables.lock: Permission denied`)"
        );
        if enforcing {
            Verdict::warn(summary)
        } else {
            Verdict::pass(format!(
                "SELinux is permissive, and {why}: the script relabels nothing, which a permissive policy does not \
refuse"
            ))
        }
    };
    if probe.is_none() {
        let d = f.distro();
        let v = no_relabel(&format!(
            "selinuxenabled is not on the PATH of {}",
            daemon.how
        ));
        return if v.status == crate::model::Status::Warn {
            v.with_evidence(evidence).fix(
                Remediation::text(format!(
                    "Install {} (it ships selinuxenabled) and have its directory on the daemon's PATH.",
                    d.package_list(&["selinux_utils"])
                ))
                .steps(d.install_step(&["selinux_utils"])),
            )
        } else {
            v.with_evidence(evidence)
        };
    }
    if !config {
        return no_relabel("/etc/selinux/config is missing, so selinuxenabled says no")
            .with_evidence(evidence);
    }
    let chcon = f.first_in("chcon", &daemon.dirs);
    let script_path = script.map_or("dockerd-rootless.sh", |s| s.path.as_str());
    let Some(chcon) = chcon else {
        return Verdict::fail(format!(
            "SELinux is {mode} and the script will relabel /run inside the namespace, but chcon is not on the PATH of \
{}: the script stops with \"{script_path}: LINE: chcon: not found\"",
            daemon.how
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Put the directory holding chcon (coreutils) on the daemon's PATH.",
        ));
    };
    evidence.push(Evidence {
        source: chcon,
        detail: format!("runs `chcon {RUN_CONTEXT} /run` on RootlessKit's copy of /run"),
    });
    if mls.as_deref() == Some("0") {
        return Verdict::fail(format!(
            "the loaded SELinux policy has no MLS ({SELINUXFS}/mls is 0), and the kernel refuses the script's context \
{RUN_CONTEXT}, which carries a level: the script stops with \"chcon: failed to change context of '/run' to \
'{RUN_CONTEXT}': Invalid argument\""
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "The script's context is fixed: load a policy with MLS/MCS (the targeted and default policies have it), \
or start the daemon with a copy of dockerd-rootless.sh whose chcon names a context without a level.",
        ));
    }
    Verdict::pass(format!(
        "SELinux is {mode}: the script's probe finds it, and chcon relabels the namespace's /run to {RUN_CONTEXT}"
    ))
    .with_evidence(evidence)
}

#[cfg(test)]
mod tests {
    use super::detach_in_flags;
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    const UNIT: &str = "/home/alice/.config/systemd/user/docker.service";
    const SCRIPT: &str = "/usr/share/docker.io/contrib/dockerd-rootless.sh";

    #[test]
    fn stock_hosts_pass() {
        for fixture in [
            "debian-12",
            "debian-12-no-systemd",
            "debian-12-unit-path-without-sbin",
        ] {
            let v = check(fixture, "start.environment");
            assert_eq!(v.status, Status::Pass, "{fixture}: {}", v.summary);
            assert_eq!(
                check(fixture, "start.rootless_flag").status,
                Status::Pass,
                "{fixture}"
            );
        }
    }

    #[test]
    fn mtu_above_rootlesskits_limit_fails_with_its_error() {
        let v = check("debian-12-no-systemd-start-mtu", "start.environment");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=70000 (the environment of this session)"
            ) && v
                .summary
                .contains("\"[rootlesskit:parent] error: mtu must be <= 65521, got 70000\""),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [format!("env -u DOCKERD_ROOTLESS_ROOTLESSKIT_MTU {SCRIPT}")]
        );
    }

    #[test]
    fn a_flag_rootlesskit_1_1_0_lacks_is_removed_from_the_flags() {
        let v = check("debian-12-no-systemd-start-flags", "start.environment");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "\"[rootlesskit:parent] error: flag provided but not defined: -detach-netns\""
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [format!(
                "env DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--cidr=10.0.3.0/24 {SCRIPT}"
            )]
        );
    }

    #[test]
    fn debians_rootlesskit_is_built_without_vpnkit() {
        let v = check("debian-12-no-systemd-start-vpnkit", "start.environment");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=vpnkit (the environment of this session): the start stops with \"[rootlesskit:parent] error: not supported in this Debian package\""
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [format!("env -u DOCKERD_ROOTLESS_ROOTLESSKIT_NET {SCRIPT}")]
        );
    }

    #[test]
    fn home_that_does_not_exist_fails_with_the_scripts_words() {
        let v = check("debian-12-no-systemd-start-home", "start.environment");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains("\"HOME needs to be set and exist.\""),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), [format!("env HOME=/home/alice {SCRIPT}")]);
    }

    #[test]
    fn docker_29_7_2_containerd_conflict_and_detach_netns_value() {
        let v = check("debian-12-unit-start-docker-29.7.2", "start.environment");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "\"dockerd-rootless.sh conflicts with containerd-rootless.sh. Stop containerd-rootless.sh if it's running, and remove /run/user/1000/containerd-rootless if it still exists.\""
            ),
            "{}",
            v.summary
        );
        // The second problem, named with its file and line, and the error it would print once the first is gone.
        assert!(v.evidence.iter().any(|e| e.source.contains(
            "/home/alice/.config/docker/rootless.env:2 (EnvironmentFile= of /home/alice/.config/systemd/user/docker.service:8)"
        ) && e.detail == "Unknown DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS value: yes"));
        assert_eq!(
            steps(&v),
            [
                "rm -rf -- /run/user/1000/containerd-rootless",
                "systemctl --user daemon-reload",
                "systemctl --user restart docker"
            ]
        );
        assert!(
            fix(&v)
                .text
                .contains("/home/alice/.config/docker/rootless.env, line 2")
        );
    }

    #[test]
    fn net_host_is_refused_by_28_5_2_and_later() {
        let v = check(
            "debian-12-unit-start-net-host-docker-29.7.2",
            "start.environment",
        );
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with(&format!(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host ({UNIT}:8 Environment=): the start stops with \"Unsupported RootlessKit network driver: host\""
            )),
            "{}",
            v.summary
        );
        assert!(
            fix(&v)
                .text
                .contains(&format!("in {UNIT}, line 8, remove the assignment"))
        );
    }

    #[test]
    fn pasta_before_28_5_2_needs_the_port_driver_set() {
        let v = check(
            "debian-12-unit-start-pasta-docker-28.5.1",
            "start.environment",
        );
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "[rootlesskit:parent] error: network \"pasta\" requires port driver \"none\" or \"implicit\""
            ),
            "{}",
            v.summary
        );
        assert!(
            fix(&v)
                .text
                .contains("add `Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit`"),
            "{}",
            fix(&v).text
        );
    }

    #[test]
    fn root_cannot_see_a_by_hand_start_environment() {
        let v = check("debian-12-no-systemd-judged-by-root", "start.environment");
        assert_eq!(v.status, Status::Skip);
        assert!(v.summary.starts_with("cannot be judged"), "{}", v.summary);
    }

    #[test]
    fn rootless_false_in_the_unit_and_daemon_json_fails() {
        let v = check(
            "debian-12-unit-start-pasta-docker-28.5.1",
            "start.rootless_flag",
        );
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(&format!("--rootless=false in {UNIT}:9 ExecStart"))
                && v.summary.contains("\"rootless\": false in /home/alice/.config/docker/daemon.json:3")
                && v.summary.ends_with(
                    "dockerd stops with \"rootless mode needs to be enabled for running with RootlessKit\""
                ),
            "{}",
            v.summary
        );
        // daemon.json's setting goes by a typed edit; the unit's flag stays a hand edit, so the whole is by hand.
        assert_eq!(
            steps(&v),
            [
                "tee /home/alice/.config/docker/daemon.json",
                "systemctl --user daemon-reload",
                "systemctl --user restart docker"
            ]
        );
        assert_eq!(
            fix(&v).steps[0].describe(),
            "remove \"rootless\" in /home/alice/.config/docker/daemon.json"
        );
        assert_eq!(
            fix(&v).steps[0].stdin.as_deref(),
            Some("{\n  \"debug\": true\n}\n")
        );
        assert!(fix(&v).by_hand.is_some());
    }

    #[test]
    fn debian_12_has_everything_on_the_install_path() {
        for id in ["start.path", "start.versions"] {
            let v = check("debian-12", id);
            assert_eq!(v.status, Status::Pass, "{id}: {v:?}");
        }
    }

    #[test]
    fn a_missing_tap_helper_names_its_step_error_and_package() {
        let v = check("debian-12-start-no-ip-no-nsenter", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("nsenter, ip not on the PATH"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("exec: \"nsenter\": executable file not found in $PATH"),
            "{}",
            v.summary
        );
        assert!(v.evidence.iter().any(|e| {
            e.source == "ip"
                && e.detail
                    .contains("nsenter: failed to execute ip: No such file or directory")
        }));
        assert_eq!(steps(&v), ["sudo apt-get install -y util-linux iproute2"]);
    }

    #[test]
    fn dockerd_20_10_needs_its_proxy_and_a_containerd() {
        let v = check("debian-12-start-no-containerd-no-proxy", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .starts_with("rootlesskit-docker-proxy, dockerd, containerd not on the PATH")
        );
        // dockerd is installed, in /usr/sbin, which this session's PATH lacks (row 7.6).
        assert_eq!(
            steps(&v),
            [
                "sudo apt-get install -y rootlesskit containerd",
                "env PATH=/usr/share/docker.io/contrib:/usr/sbin:/usr/local/bin:/usr/bin:/bin dockerd-rootless.sh"
            ]
        );
        // A containerd already listening is used instead of the binary.
        let v = check("debian-12-start-containerd-running", "start.path");
        // Only dockerd (in /usr/sbin, off this session's PATH) is missing now.
        assert!(
            v.summary.starts_with("dockerd not on the PATH"),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("containerd"), "{}", v.summary);
    }

    #[test]
    fn a_29_script_by_hand_needs_sbin_for_sysctl() {
        let v = check("debian-12-start-script-29-rootlesskit-1", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("sysctl, dockerd not on the PATH"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            ["env PATH=/home/alice/bin:/usr/sbin:/usr/local/bin:/usr/bin:/bin dockerd-rootless.sh"]
        );
    }

    #[test]
    fn cdi_directories_need_mount() {
        let v = check("debian-12-start-cdi-without-mount", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("bind-mounts /etc/cdi and /etc/ssl (a symlink once /etc is copied up)"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [
                "sudo apt-get install -y mount",
                "env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin dockerd-rootless.sh"
            ]
        );
    }

    #[test]
    fn newuidmap_off_the_units_path_is_fixed_in_the_unit() {
        let v = check("debian-12-start-unit-path-without-usr-bin", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("newuidmap, newgidmap, nsenter, ip"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.contains(
            "Add /usr/bin to Environment=PATH= in /home/alice/.config/systemd/user/docker.service"
        ));
        assert!(steps(&v).is_empty());
    }

    #[test]
    fn a_unit_whose_script_is_gone_fails_with_203() {
        let v = check("debian-12-start-unit-script-gone", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .ends_with("which does not exist: systemd reports status=203/EXEC"),
            "{}",
            v.summary
        );
        assert_eq!(
            check("debian-12-start-unit-script-gone", "start.versions").status,
            Status::Skip
        );
    }

    #[test]
    fn regression_unit_exec_start_judged_without_systemd() {
        // Without systemd as PID 1 nothing runs the user unit: its ExecStart= does not decide the script (and
        // looking for the unit listed every process, 2 ms of preflight on a busy host).
        let v = check("debian-12-start-unit-without-systemd", "start.path");
        // What fails is the session's PATH without /usr/sbin for dockerd, not the unit's script (203/EXEC).
        assert!(!v.summary.contains("203/EXEC"), "{}", v.summary);
        assert!(
            v.summary.starts_with("dockerd not on the PATH"),
            "{}",
            v.summary
        );
        assert!(v.evidence.iter().any(|e| {
            e.source == "dockerd-rootless.sh"
                && e.detail
                    .starts_with("/usr/share/docker.io/contrib/dockerd-rootless.sh")
        }));
    }

    #[test]
    fn detach_netns_in_rootlesskit_flags() {
        assert_eq!(detach_in_flags(""), None);
        assert_eq!(
            detach_in_flags("--detach-netns"),
            Some((true, "--detach-netns"))
        );
        assert_eq!(
            detach_in_flags("-detach-netns=1 --debug"),
            Some((true, "-detach-netns=1"))
        );
        assert_eq!(
            detach_in_flags("--detach-netns --detach-netns=false"),
            Some((false, "--detach-netns=false"))
        );
        assert_eq!(detach_in_flags("--detach-netns-x"), None);
        assert_eq!(detach_in_flags("---detach-netns"), None);
    }

    #[test]
    fn rootlesskit_2_0_2_detaching_the_netns_needs_unshare_and_mount_on_the_path() {
        let v = check("debian-13-unit-detach-netns-without-unshare", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .starts_with("unshare not on the PATH of your docker.service"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("exec: \"unshare\": executable file not found in $PATH"),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), ["sudo apt-get install -y util-linux"]);
        let v = check("debian-13-unit-detach-netns", "start.path");
        assert_eq!(v.status, Status::Pass);
        for program in ["/usr/bin/unshare", "/usr/bin/mount"] {
            let detail = evidence(&v, program).unwrap_or_default();
            assert!(
                detail.contains("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--detach-netns")
                    && detail.contains("RootlessKit 2.0.2"),
                "{program}: {detail}"
            );
        }
    }

    #[test]
    fn dockerd_before_29_5_does_not_join_the_detached_netns() {
        let v = check("debian-13-unit-detach-netns", "start.versions");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--detach-netns")
                && v.summary.contains("docker.io 26.1.5")
                && v.summary.contains("failed to create NAT chain DOCKER"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.contains("Remove --detach-netns"));
    }

    #[test]
    fn rootlesskit_2_0_2_with_pasta_adds_the_tap_device_through_nsenter() {
        let v = check("debian-13-unit-detach-netns", "start.path");
        let detail = evidence(&v, "/usr/bin/nsenter").unwrap_or_default();
        assert!(detail.contains("pasta's TAP device"), "{detail}");
    }

    #[test]
    fn a_29_script_with_rootlesskit_1_fails_on_detach_netns() {
        let v = check("debian-12-start-script-29-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.ends_with(
                "\"[rootlesskit:parent] error: flag provided but not defined: -detach-netns\""
            ),
            "{}",
            v.summary
        );
        assert!(
            fix(&v)
                .text
                .contains("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false")
        );
    }

    #[test]
    fn regression_symlinked_packaged_rootlesskit_had_an_unknown_version() {
        // /usr/local/bin/rootlesskit -> /usr/bin/rootlesskit: the packaged 1.1.0 runs (the live test's scratch
        // PATH of symlinks found this).
        let v = check("debian-12-start-pasta-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.evidence.iter().any(|e| e.source
            == "/usr/local/bin/rootlesskit -> /usr/bin/rootlesskit"
            && e.detail == "package rootlesskit 1.1.0-1"));
    }

    #[test]
    fn regression_environment_judged_a_symlink_to_the_packaged_rootlesskit_as_the_newest_release() {
        // start.environment took /usr/local/bin/rootlesskit for an unpackaged binary and judged NET=pasta against
        // RootlessKit 3.0.1; it runs Debian's 1.1.0, which prints exactly this (run on Debian 12).
        let v = check("debian-12-start-pasta-rootlesskit-1", "start.environment");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert_eq!(
            v.summary,
            "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta (the environment of this session): the start stops with \
\"[rootlesskit:parent] error: unknown network mode: pasta\""
        );
        assert!(v.evidence.iter().any(|e| e.source == "RootlessKit release"
            && e.detail == "package rootlesskit 1.1.0-1; judged as RootlessKit 1.1.0"));
        assert_eq!(
            steps(&v),
            [
                "env -u DOCKERD_ROOTLESS_ROOTLESSKIT_NET /usr/share/docker.io/contrib/dockerd-rootless.sh"
            ]
        );
    }

    #[test]
    fn a_static_bundle_of_rootlesskit_2_is_judged_as_its_last_2_x() {
        // ~/bin/rootlesskit's Go build information says only "v2": the 29.7.2 script's own gvisor-tap-vsock fallback
        // is refused as by any 2.x (the flag came in 3.0.0), and the fix points at the release that matches.
        let v = check(
            "debian-12-start-gvisor-fallback-rootlesskit-2",
            "start.environment",
        );
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert_eq!(
            v.summary,
            "RootlessKit 2.3.6 refuses the flags /home/alice/bin/dockerd-rootless.sh passes by itself: \
[rootlesskit:parent] error: unknown network mode: gvisor-tap-vsock"
        );
        assert!(fix(&v).text.starts_with("No variable is at fault"));
        assert!(fix(&v).steps.is_empty());
    }

    #[test]
    fn pasta_with_rootlesskit_1_fails() {
        let v = check("debian-12-start-pasta-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .ends_with("\"[rootlesskit:parent] error: unknown network mode: pasta\"")
        );
    }

    #[test]
    fn the_static_bundles_major_comes_from_its_go_build_information() {
        let v = check("debian-12-start-home-bin-rootlesskit-2", "start.versions");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.evidence.iter().any(|e| e.source == "/home/alice/bin/rootlesskit"
            && e.detail.starts_with("RootlessKit 2.x: not packaged; its Go build information names github.com/rootless-containers/rootlesskit/v2")));
        // Without slirp4netns, pasta or vpnkit the 29.5+ script falls back to gvisor-tap-vsock: RootlessKit 3 only.
        let v = check(
            "debian-12-start-gvisor-fallback-rootlesskit-2",
            "start.versions",
        );
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.ends_with(
                "\"[rootlesskit:parent] error: unknown network mode: gvisor-tap-vsock\""
            ),
            "{}",
            v.summary
        );
    }

    #[test]
    fn an_unpackaged_rootlesskit_has_an_unknown_version() {
        let v = check(
            "debian-12-start-unit-path-without-usr-bin",
            "start.versions",
        );
        assert_eq!(v.status, Status::Pass);
        assert!(
            v.summary
                .ends_with("/home/alice/bin/rootlesskit's version is unknown"),
            "{}",
            v.summary
        );
    }

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
    fn a_tmpdir_on_vfat_fails_on_the_builtin_port_drivers_fifo() {
        let v = check("debian-12-no-systemd-tmpdir-vfat", "start.state_dir");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains("/media/alice/STICK/tmp is on msdos, which cannot hold FIFOs or Unix sockets")
                && v.summary.contains(
                    "[rootlesskit:parent] error: cannot mkfifo /media/alice/STICK/tmp/rootlesskitNNNNNNNNNN/.bp-ready.pipe: operation not permitted"
                ),
            "{}",
            v.summary
        );
        assert!(
            v.evidence
                .iter()
                .any(|e| e.source == "/media/alice/STICK/tmp" && e.detail.contains("0x4d44")),
            "{:?}",
            v.evidence
        );
        assert!(
            fix(&v)
                .text
                .contains("Point TMPDIR at a directory on a filesystem that holds FIFOs")
        );
    }

    #[test]
    fn a_tmpdir_on_tmpfs_passes() {
        let v = check("debian-12-no-systemd-tmpdir-tmpfs", "start.state_dir");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
    }

    #[test]
    fn every_filesystem_without_mknod_is_named_and_refuses_special_files() {
        for magic in crate::fsmagic::WITHOUT_SPECIAL_FILES {
            assert!(
                !crate::fsmagic::name(*magic).starts_with("0x"),
                "0x{magic:x} has no name for sidecars"
            );
        }
        for fs in ["ext4", "xfs", "btrfs", "tmpfs", "fuse"] {
            let magic = crate::fsmagic::by_name(fs).unwrap();
            assert!(
                !crate::fsmagic::WITHOUT_SPECIAL_FILES.contains(&magic),
                "{fs}"
            );
        }
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

    #[test]
    fn selinux_relabel_judged_from_selinuxfs_and_the_path() {
        use crate::checks::test_support::check;
        use crate::model::Status;
        let v = check("fedora-selinux-enforcing", "start.selinux");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        let v = check("fedora-selinux-no-selinuxenabled", "start.selinux");
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert!(
            v.summary.contains("selinuxenabled is not on the PATH"),
            "{}",
            v.summary
        );
        let v = check("fedora-selinux-no-mls", "start.selinux");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.summary.contains("Invalid argument"), "{}", v.summary);
        let v = check("fedora", "start.selinux");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.summary.starts_with("SELinux is not enabled"),
            "{}",
            v.summary
        );
    }
}
