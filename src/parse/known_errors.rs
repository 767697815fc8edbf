//! The known-error table: the errors rootless Docker's start path really prints, each with the check that
//! explains it. `launch.trial` looks up the error of its trial launch here, and `why "<pasted error>"` the error a
//! user pastes (the last entries are the messages of `docker`, `systemctl --user` and the kernel log).
//!
//! Every entry quotes text from the source that prints it, at the version named in its `source`:
//! RootlessKit 1.1.0 (Debian 12) to 2.3.4, shadow 4.13 (newuidmap/newgidmap in Debian 12's uidmap), Go's `os/exec`
//! (how RootlessKit's `exec.Command` failures read), moby's dockerd-rootless.sh, its setup tool, dockerd and the
//! client (20.10.24 to docker-v29.7.2), and systemd. Matching is a case-insensitive substring test of every
//! part of an entry's `needles` (and of none of its `unless`), on the text as [`squeezed`] reads it: whitespace
//! runs as one space and double quotes left out, so a paste whose quotes the shell ate (`why "exec: "slirp4netns":
//! …"`) or a logrus line that escaped them (`msg="exec: \"containerd\": …"`) still matches. An error may match
//! several entries, and [`explain`] returns them in table order.

/// One known error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownError {
    /// Every one of these must occur in the error text (ASCII case-insensitively).
    pub needles: &'static [&'static str],
    /// The checks that explain it, most likely first.
    pub checks: &'static [&'static str],
    /// One line: what the error means.
    pub meaning: &'static str,
    /// Where the text comes from: public URLs, separated by "; ".
    pub source: &'static str,
    /// None of these may occur: the same words in another program's message about something else (a bind mount's
    /// source that dockerd cannot create is no data-root).
    pub unless: &'static [&'static str],
}

/// The checks behind the client's "nothing answers" (both wordings).
const NOTHING_ANSWERS: &[&str] = &[
    "client.endpoint",
    "client.socket",
    "daemon.running",
    "daemon.user_unit",
    "session.linger",
];
/// The checks behind the client's "permission denied" on a socket (both wordings).
const SOCKET_NOT_YOURS: &[&str] = &[
    "client.endpoint",
    "daemon.group",
    "daemon.socket",
    "client.socket",
];
/// The checks behind `systemctl --user` finding no bus (both wordings).
const NO_USER_BUS: &[&str] = &["session.login", "session.xdg_runtime_dir", "session.dbus"];

pub const TABLE: &[KnownError] = &[
    KnownError {
        needles: &["No subuid ranges found"],
        checks: &["subid.entries", "subid.nss"],
        meaning: "the user has no line in /etc/subuid, so RootlessKit has no ids to map",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/idtools/idtools.go#L32",
        unless: &[],
    },
    KnownError {
        needles: &["No subgid ranges found"],
        checks: &["subid.entries", "subid.nss"],
        meaning: "the user has no line in /etc/subgid, so RootlessKit has no ids to map",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/idtools/idtools.go#L35",
        unless: &[],
    },
    KnownError {
        needles: &["Cannot parse subuid/gid information"],
        checks: &["subid.files"],
        meaning: "a line of /etc/subuid or /etc/subgid is not NAME:START:COUNT",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/idtools/idtools.go#L68",
        unless: &[],
    },
    KnownError {
        needles: &["String to int conversion failed during subuid/gid parsing"],
        checks: &["subid.files"],
        meaning: "a start or count in /etc/subuid or /etc/subgid is not a number",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/idtools/idtools.go#L73",
        unless: &[],
    },
    KnownError {
        needles: &["write to uid_map failed: Invalid argument"],
        checks: &["subid.overlap", "subid.own_id", "subid.nested_userns"],
        meaning: "the kernel refused the uid map: its ranges overlap (two ranges of the user, or one holding the user's own uid), or, in a nested user namespace, they are not mapped in the parent",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L217; https://man7.org/linux/man-pages/man7/user_namespaces.7.html",
        unless: &[],
    },
    KnownError {
        needles: &["write to gid_map failed: Invalid argument"],
        checks: &["subid.overlap", "subid.own_id", "subid.nested_userns"],
        meaning: "the kernel refused the gid map: its ranges overlap (two ranges of the user, or one holding the user's own gid), or, in a nested user namespace, they are not mapped in the parent",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L217; https://man7.org/linux/man-pages/man7/user_namespaces.7.html",
        unless: &[],
    },
    KnownError {
        needles: &["write to uid_map failed: Operation not permitted"],
        checks: &["uidmap.newuidmap", "subid.nested_userns"],
        meaning: "newuidmap could not write the map: it lacks its privilege, or the ids are not mapped in this (nested) namespace",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L217",
        unless: &[],
    },
    KnownError {
        needles: &["write to gid_map failed: Operation not permitted"],
        checks: &["uidmap.newgidmap", "subid.nested_userns"],
        meaning: "newgidmap could not write the map: it lacks its privilege, or the ids are not mapped in this (nested) namespace",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L217",
        unless: &[],
    },
    KnownError {
        needles: &["newuidmap: Could not set caps"],
        checks: &["uidmap.newuidmap"],
        meaning: "newuidmap runs without the privilege it needs (setuid-root or cap_setuid)",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L185",
        unless: &[],
    },
    KnownError {
        needles: &["newgidmap: Could not set caps"],
        checks: &["uidmap.newgidmap"],
        meaning: "newgidmap runs without the privilege it needs (setuid-root or cap_setgid)",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/libmisc/idmapping.c#L185",
        unless: &[],
    },
    KnownError {
        needles: &["range [", ") not allowed"],
        checks: &["subid.files", "subid.entries", "subid.nss"],
        meaning: "newuidmap/newgidmap refuse a range RootlessKit passed (a subid file line they read otherwise, or a subid module in nsswitch.conf that does not grant it)",
        source: "https://github.com/shadow-maint/shadow/blob/4.13/src/newuidmap.c#L54",
        unless: &[],
    },
    KnownError {
        needles: &["newuidmap", "failed: : exit status 1"],
        checks: &["subid.files"],
        meaning: "newuidmap failed without a word, as it does when /etc/subuid or /etc/subgid is a symbolic link",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L380",
        unless: &[],
    },
    KnownError {
        needles: &["newgidmap", "failed: : exit status 1"],
        checks: &["subid.files"],
        meaning: "newgidmap failed without a word, as it does when /etc/subuid or /etc/subgid is a symbolic link",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L385",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"newuidmap\": executable file not found"],
        checks: &["uidmap.newuidmap"],
        meaning: "newuidmap is not installed (or not on PATH)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L380; https://github.com/golang/go/blob/go1.19/src/os/exec/lp_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"newgidmap\": executable file not found"],
        checks: &["uidmap.newgidmap"],
        meaning: "newgidmap is not installed (or not on PATH)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L385; https://github.com/golang/go/blob/go1.19/src/os/exec/lp_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["fork/exec /proc/self/exe: operation not permitted"],
        checks: &["userns.clone", "apparmor.rootlesskit", "start.propagation"],
        meaning: "the kernel refuses unprivileged user namespaces (kernel.unprivileged_userns_clone=0, or a chroot: user_namespaces(7)), or an AppArmor profile confining rootlesskit refuses it the capabilities for its child's namespaces",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L186",
        unless: &[],
    },
    KnownError {
        needles: &["fork/exec /proc/self/exe: no space left on device"],
        checks: &["userns.max_namespaces"],
        meaning: "no user namespace may be created (user.max_user_namespaces is 0 or used up)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L186",
        unless: &[],
    },
    KnownError {
        needles: &["fork/exec /proc/self/exe: permission denied"],
        checks: &["userns.apparmor_restrict", "apparmor.rootlesskit"],
        meaning: "AppArmor keeps this rootlesskit from creating a user namespace (Ubuntu's restriction without a profile granting userns), or a profile confining it refuses the child's re-exec of /proc/self/exe (no attach_disconnected)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L186",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"slirp4netns\": executable file not found"],
        checks: &["network.driver"],
        meaning: "the slirp4netns network driver is not installed (or not on PATH)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go#L344; https://github.com/golang/go/blob/go1.19/src/os/exec/lp_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["slirp4netns binary", "is not installed"],
        checks: &["network.driver"],
        meaning: "the slirp4netns network driver cannot be run",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/slirp4netns/slirp4netns.go#L50",
        unless: &[],
    },
    KnownError {
        needles: &["slirp4netns seems older than v0.4.0"],
        checks: &["network.driver"],
        meaning: "slirp4netns is too old for RootlessKit",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/slirp4netns/slirp4netns.go#L65",
        unless: &[],
    },
    KnownError {
        needles: &["unsupported slirp4netns version"],
        checks: &["network.driver"],
        meaning: "slirp4netns lacks a feature RootlessKit was asked to use",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go#L354",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"vpnkit\": executable file not found"],
        checks: &["network.driver"],
        meaning: "the vpnkit network driver is not installed (or not on PATH)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/vpnkit/vpnkit.go#L105; https://github.com/golang/go/blob/go1.19/src/os/exec/lp_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"pasta\": executable file not found"],
        checks: &["network.driver"],
        meaning: "the pasta network driver is not installed (or not on PATH)",
        source: "https://github.com/golang/go/blob/go1.19/src/os/exec/lp_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["ip tuntap add", "open: No such file or directory"],
        checks: &["network.tun"],
        meaning: "/dev/net/tun is missing, so `ip tuntap add` cannot create RootlessKit's TAP device",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; https://git.kernel.org/pub/scm/network/iproute2/iproute2.git/tree/ip/iptuntap.c?h=v6.1.0",
        unless: &[],
    },
    KnownError {
        needles: &["ip tuntap add", "open: Permission denied"],
        checks: &["network.tun"],
        meaning: "the user cannot open /dev/net/tun, so `ip tuntap add` cannot create RootlessKit's TAP device",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; https://git.kernel.org/pub/scm/network/iproute2/iproute2.git/tree/ip/iptuntap.c?h=v6.1.0",
        unless: &[],
    },
    KnownError {
        // RootlessKit passes ip's stderr straight to its own, so its error line alone (without the `open: …` line
        // before it) says only that `ip tuntap add` exited 1, which iproute2 does when it cannot open the device.
        needles: &["setting up tap", "ip tuntap add", "exit status 1"],
        checks: &["network.tun"],
        meaning: "`ip tuntap add` failed while RootlessKit set up its TAP device: /dev/net/tun is missing or the user cannot open it",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; https://git.kernel.org/pub/scm/network/iproute2/iproute2.git/tree/ip/iptuntap.c?h=v6.1.0",
        // `exit status 1` is the start of 10 to 19 and 126 too: another failure than ip's own.
        unless: &[
            "failed to execute ip",
            "exit status 10",
            "exit status 11",
            "exit status 12",
            "exit status 13",
            "exit status 14",
            "exit status 15",
            "exit status 16",
            "exit status 17",
            "exit status 18",
            "exit status 19",
        ],
    },
    KnownError {
        needles: &["flag provided but not defined"],
        checks: &["start.environment", "start.versions"],
        meaning: "a word of DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS (or a flag the script passes) is not a flag of this RootlessKit release",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/golang/go/blob/go1.19/src/flag/flag.go",
        unless: &[],
    },
    KnownError {
        needles: &["invalid value", "for flag -"],
        checks: &["start.environment"],
        meaning: "a RootlessKit flag got a value of the wrong type (DOCKERD_ROOTLESS_ROOTLESSKIT_MTU that is not a number)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/golang/go/blob/go1.19/src/flag/flag.go",
        unless: &[],
    },
    KnownError {
        needles: &["invalid boolean value", "parse error"],
        checks: &["start.environment"],
        meaning: "a boolean RootlessKit flag in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS got a value that is not true or false",
        source: "https://github.com/golang/go/blob/go1.19/src/flag/flag.go",
        unless: &[],
    },
    KnownError {
        needles: &["flag needs an argument"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS ends with a RootlessKit flag that needs a value",
        source: "https://github.com/golang/go/blob/go1.19/src/flag/flag.go",
        unless: &[],
    },
    KnownError {
        needles: &["mtu must be <= 65521"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU is outside 0…65521",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["unknown port driver"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER names a port driver this RootlessKit release does not have",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["port driver requires"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER does not fit the network driver",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/rootless-containers/rootlesskit/blob/v2.3.4/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["requires port driver"],
        checks: &["start.environment"],
        meaning: "the network driver needs another port driver (pasta: none or implicit)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.3.4/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["unsupported slirp4netns-sandbox mode"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX is not auto, true or false",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["unsupported slirp4netns-seccomp mode"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SECCOMP is not auto, true or false",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["cidr must be like"],
        checks: &["start.environment"],
        meaning: "a --cidr in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS has host bits set",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["invalid CIDR address"],
        checks: &["start.environment"],
        meaning: "a --cidr in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS is not an address/prefix",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go; https://github.com/golang/go/blob/go1.19/src/net/ip.go",
        unless: &[],
    },
    KnownError {
        needles: &["HOME needs to be set and exist"],
        checks: &["start.environment"],
        meaning: "dockerd-rootless.sh's HOME is unset or not a directory",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["Unsupported RootlessKit network driver"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host, which dockerd-rootless.sh refuses from 28.5.2 on",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["Unknown DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS value"],
        checks: &["start.environment"],
        meaning: "DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS is not 1, true, 0 or false",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["conflicts with containerd-rootless.sh"],
        checks: &["start.environment"],
        meaning: "containerd-rootless.sh's state dir exists (docker-v29.4 and later refuse to start)",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["rootless mode needs to be enabled for running with RootlessKit"],
        checks: &["start.rootless_flag"],
        meaning: "dockerd was given --rootless=false (or \"rootless\": false) under RootlessKit",
        source: "https://github.com/moby/moby/blob/v20.10.24/cmd/dockerd/daemon.go",
        unless: &[],
    },
    KnownError {
        needles: &["unknown network mode"],
        checks: &["start.environment", "network.driver"],
        meaning: "RootlessKit does not know the network driver it was given: DOCKERD_ROOTLESS_ROOTLESSKIT_NET names one this release lacks (pasta before RootlessKit 2.0), or, with nothing after the colon, dockerd-rootless.sh 28.5.2 found no driver installed and passed an empty one",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go#L425; https://github.com/moby/moby/blob/v28.5.2/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["not supported in this Debian package"],
        checks: &["start.environment", "network.driver"],
        meaning: "Debian's RootlessKit is built without VPNKit: DOCKERD_ROOTLESS_ROOTLESSKIT_NET=vpnkit (or a script that chose it) cannot start",
        source: "https://sources.debian.org/src/rootlesskit/1.1.0-1/debian/",
        unless: &[],
    },
    KnownError {
        needles: &["or vpnkit needs to be installed"],
        checks: &["network.driver", "start.path"],
        meaning: "dockerd-rootless.sh finds no network driver on its PATH (slirp4netns, pasta from 28.5.2 and 29.0, or vpnkit)",
        source: "https://github.com/moby/moby/blob/v24.0.0/contrib/dockerd-rootless.sh#L71; https://github.com/moby/moby/blob/v28.5.2/contrib/dockerd-rootless.sh#L130",
        unless: &[],
    },
    KnownError {
        needles: &["make sure pasta is installed"],
        checks: &["network.driver", "start.path"],
        meaning: "RootlessKit 2 and later could not run `pasta --version`: pasta (the passt package) is not installed, or not on the PATH",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.3.4/pkg/network/pasta/pasta.go#L39",
        unless: &[],
    },
    KnownError {
        needles: &["subid-source:dynamic: failed to get sub"],
        checks: &["subid.nss", "subid.entries"],
        meaning: "RootlessKit's dynamic subid source asked getsubids (the subid module of nsswitch.conf, else /etc/subuid and /etc/subgid) and got no range for the user",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/dynidtools/dynidtools.go#L36",
        unless: &[],
    },
    KnownError {
        needles: &["unprivileged_userns_clone needs to be set to 1"],
        checks: &["userns.clone"],
        meaning: "RootlessKit's warning that kernel.unprivileged_userns_clone is 0: no unprivileged user namespace can be made",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/warn.go#L40",
        unless: &[],
    },
    KnownError {
        needles: &["max_user_namespaces needs to be set to non-zero"],
        checks: &["userns.max_namespaces"],
        meaning: "RootlessKit's warning that user.max_user_namespaces is 0: no user namespace can be made",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/warn.go#L51",
        unless: &[],
    },
    KnownError {
        needles: &["state dir is inaccessible"],
        checks: &["start.state_dir"],
        meaning: "RootlessKit cannot use its state directory (`--state-dir`, $XDG_RUNTIME_DIR/dockerd-rootless for the 25+ script)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L78",
        unless: &[],
    },
    // dockerd-rootless-setuptool.sh's own `[ERROR]` lines (`install` and `check`).
    KnownError {
        needles: &["Missing system requirements"],
        checks: &[
            "uidmap.newuidmap",
            "iptables.binary",
            "iptables.modules",
            "userns.clone",
            "userns.max_namespaces",
            "subid.entries",
        ],
        meaning: "dockerd-rootless-setuptool.sh found a requirement missing (newuidmap, iptables, the nf_tables module (ip_tables for legacy iptables), unprivileged user namespaces, subordinate ids) and printed the commands it suggests",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L284",
        unless: &[],
    },
    KnownError {
        needles: &["newuidmap binary not found"],
        checks: &["uidmap.newuidmap"],
        meaning: "dockerd-rootless-setuptool.sh found no newuidmap on PATH (the uidmap or shadow-utils package)",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L147",
        unless: &[],
    },
    KnownError {
        needles: &["iptables binary not found"],
        checks: &["iptables.binary"],
        meaning: "dockerd-rootless-setuptool.sh found no iptables on PATH or in /sbin and /usr/sbin",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L191",
        unless: &[],
    },
    KnownError {
        needles: &["Aborting because systemd was detected but XDG_RUNTIME_DIR"],
        checks: &["session.xdg_runtime_dir", "session.login"],
        meaning: "dockerd-rootless-setuptool.sh runs in a shell without a login session's XDG_RUNTIME_DIR (su, sudo -iu)",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L100",
        unless: &[],
    },
    KnownError {
        needles: &["Aborting because rootful Docker"],
        checks: &["daemon.rootful", "daemon.service"],
        meaning: "dockerd-rootless-setuptool.sh refuses to install while the rootful daemon runs and its socket is usable by this user",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L93",
        unless: &[],
    },
    KnownError {
        needles: &["RootlessKit failed, see the error messages"],
        checks: &["launch.trial"],
        meaning: "dockerd-rootless-setuptool.sh's trial run of RootlessKit failed; the doctor's trial launch runs the same and names the cause",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless-setuptool.sh#L438",
        unless: &[],
    },
    // dockerd's own words about the rootless setup.
    KnownError {
        needles: &["could not get XDG_RUNTIME_DIR"],
        checks: &["session.xdg_runtime_dir"],
        meaning: "dockerd runs rootless without XDG_RUNTIME_DIR in its environment",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/pkg/homedir/homedir_linux.go#L20",
        unless: &[],
    },
    KnownError {
        needles: &["native.cgroupdriver=systemd requires cgroup v2"],
        checks: &["cgroup.v2"],
        meaning: "daemon.json or a flag asks for the systemd cgroup driver, which rootless mode has only on cgroup v2",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/daemon/daemon_unix.go#L759",
        unless: &[],
    },
    // What the rest of the start path prints (dockerd-rootless.sh inside RootlessKit, dockerd, containerd): the
    // start trial's errors, each matched on the one error line it quotes.
    KnownError {
        needles: &["rootlesskit needs to be installed"],
        checks: &["start.path", "network.binaries"],
        meaning: "dockerd-rootless.sh finds neither docker-rootlesskit nor rootlesskit on its PATH",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["exec: dockerd: not found"],
        checks: &["start.path"],
        meaning: "dockerd-rootless.sh execs dockerd from its PATH, which has no dockerd (Debian keeps it in /usr/sbin)",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["rootlesskit-docker-proxy not installed"],
        checks: &["start.path"],
        meaning: "dockerd 20.10 to 27.x needs rootlesskit-docker-proxy on its PATH under RootlessKit",
        source: "https://github.com/moby/moby/blob/v20.10.24/cmd/dockerd/daemon.go",
        unless: &[],
    },
    KnownError {
        needles: &["userland-proxy is enabled, but userland-proxy-path is not set"],
        checks: &["start.path"],
        meaning: "dockerd 28.0 and later found no docker-proxy (in Docker's libexec directories, /usr/libexec or its PATH) while the userland proxy is on, as it is by default",
        source: "https://github.com/moby/moby/blob/v28.0.0/daemon/config/config_linux.go#L269",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"containerd\": executable file not found"],
        checks: &["start.path"],
        meaning: "dockerd starts its own containerd from PATH, and there is none",
        source: "https://github.com/moby/moby/blob/v20.10.24/libcontainerd/supervisor/remote_daemon.go",
        unless: &[],
    },
    KnownError {
        needles: &["exec: \"nsenter\": executable file not found"],
        checks: &["start.path"],
        meaning: "RootlessKit sets up the TAP device with nsenter from its PATH, and there is none",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go",
        unless: &[],
    },
    KnownError {
        needles: &["nsenter: failed to execute ip"],
        checks: &["start.path"],
        meaning: "the TAP device is made with `ip` from the PATH, and there is none",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go",
        unless: &[],
    },
    KnownError {
        needles: &["mount: not found"],
        checks: &["start.path"],
        meaning: "dockerd-rootless.sh bind-mounts /etc/ssl inside the namespace with mount(8) from its PATH",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["sysctl: not found"],
        checks: &["start.path"],
        meaning: "dockerd-rootless.sh of Docker 29.0 and later enables forwarding with sysctl(8) from its PATH",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["failed to write the child PID", "no space left on device"],
        checks: &["start.state_dir"],
        meaning: "the filesystem holding RootlessKit's state directory is full",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go",
        unless: &[],
    },
    KnownError {
        needles: &["docker.pid: no space left on device"],
        checks: &["start.state_dir"],
        meaning: "XDG_RUNTIME_DIR's filesystem (the /run/user tmpfs) is full, so dockerd cannot write its pid file",
        source: "https://github.com/moby/moby/blob/v20.10.24/pkg/pidfile/pidfile.go",
        unless: &[],
    },
    KnownError {
        needles: &["error initializing graphdriver"],
        checks: &["storage.driver"],
        meaning: "the storage driver forced by DOCKER_DRIVER, --storage-driver or daemon.json's storage-driver cannot start in a user namespace here",
        source: "https://github.com/moby/moby/blob/v20.10.24/daemon/graphdriver/driver.go",
        unless: &[],
    },
    KnownError {
        needles: &["NanoCPUs can not be set"],
        checks: &["cgroup.v2", "cgroup.delegation"],
        meaning: "the rootless dockerd cannot limit CPU: the host runs cgroup v1 (rootless mode gets no cgroups there), or the cpu controller is not delegated to the user's systemd instance",
        source: "https://github.com/moby/moby/blob/v20.10.24/daemon/daemon_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["Table does not exist (do you need to insmod?)"],
        checks: &["iptables.modules"],
        meaning: "iptables-legacy found no ip_tables, and its modprobe cannot load it from rootless dockerd's user namespace",
        source: "https://git.netfilter.org/iptables/tree/libiptc/libiptc.c?h=v1.8.9",
        unless: &[],
    },
    KnownError {
        needles: &["iptables not found"],
        checks: &["iptables.binary"],
        meaning: "dockerd looks up iptables on its PATH, which a start by hand from a login shell lacks on Debian and Ubuntu",
        source: "https://github.com/moby/moby/blob/v20.10.24/libnetwork/iptables/iptables.go",
        unless: &[],
    },
    KnownError {
        needles: &["chmod ", ": operation not permitted"],
        checks: &["storage.data_root_owner"],
        meaning: "dockerd chmods its data-root first, and it belongs to someone else (root after a sudo dockerd)",
        source: "https://github.com/moby/moby/blob/v20.10.24/daemon/daemon_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["mkdir ", ": permission denied"],
        checks: &["storage.data_root_owner"],
        meaning: "dockerd cannot create (a directory of) its data-root",
        source: "https://github.com/moby/moby/blob/v20.10.24/daemon/daemon_unix.go",
        // A bind mount's source the daemon (running as the user) cannot create, and the CLI's own config
        // directory: the same words, about no data-root.
        unless: &["creating mount source path", "error loading config file"],
    },
    KnownError {
        needles: &["ensure docker is not running or delete"],
        checks: &["daemon.pidfile"],
        meaning: "$XDG_RUNTIME_DIR/docker.pid names a process that is still alive (a dockerd already running, or a stale file whose pid was reused)",
        source: "https://github.com/moby/moby/blob/v20.10.24/pkg/pidfile/pidfile.go; https://github.com/moby/moby/blob/v24.0.0/cmd/dockerd/daemon.go#L152; https://github.com/moby/moby/blob/docker-v29.7.2/daemon/command/daemon.go#L174",
        unless: &[],
    },
    KnownError {
        needles: &["can't create unix socket"],
        checks: &["start.state_dir"],
        meaning: "dockerd's API socket cannot be made (a directory in its place, or a path longer than sun_path)",
        source: "https://github.com/moby/moby/blob/v20.10.24/cmd/dockerd/daemon.go",
        unless: &[],
    },
    KnownError {
        needles: &["unix socket path too long"],
        checks: &["start.state_dir"],
        meaning: "containerd refuses socket paths over 104 bytes below $XDG_RUNTIME_DIR/docker/containerd",
        source: "https://github.com/containerd/containerd/blob/v1.6.20/pkg/sys/socket_unix.go",
        unless: &[],
    },
    KnownError {
        needles: &["another RootlessKit is running with the same state directory"],
        checks: &["start.state_dir"],
        meaning: "a RootlessKit that still runs holds the state directory's lock",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.3.4/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["creating a state directory"],
        checks: &["start.state_dir"],
        meaning: "RootlessKit cannot make its state directory in $TMPDIR or /tmp",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go",
        unless: &[],
    },
    KnownError {
        needles: &["cannot mkfifo", ".bp-ready.pipe"],
        checks: &["start.state_dir"],
        meaning: "RootlessKit's state directory is on a filesystem that cannot hold FIFOs (vfat, exfat, fusefat)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/port/builtin/parent/parent.go",
        unless: &[],
    },
    KnownError {
        needles: &["open /etc/hosts"],
        checks: &["network.driver"],
        meaning: "RootlessKit's child cannot read /etc/hosts to copy it into the namespace's /etc",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/child/hosts.go",
        unless: &[],
    },
    KnownError {
        needles: &["XDG_RUNTIME_DIR needs to be set and writable"],
        checks: &["session.xdg_runtime_dir"],
        meaning: "dockerd-rootless.sh's XDG_RUNTIME_DIR is unset or not writable",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh",
        unless: &[],
    },
    KnownError {
        needles: &["unable to configure the Docker daemon with file"],
        checks: &["daemon.config"],
        meaning: "daemon.json does not parse, or a directive is given both there and as a flag",
        source: "https://github.com/moby/moby/blob/v20.10.24/cmd/dockerd/daemon.go",
        unless: &[],
    },
    KnownError {
        needles: &[
            "failed to create a detached netns",
            "\"unshare\": executable file not found",
        ],
        checks: &["start.path"],
        meaning: "with --detach-netns, RootlessKit 2.0.0 to 2.3.2 run unshare from the PATH they were given, and it is not there",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.0.2/pkg/child/child.go#L548",
        unless: &[],
    },
    KnownError {
        needles: &[
            "failed to create a detached netns",
            "failed to execute mount",
        ],
        checks: &["start.path"],
        meaning: "with --detach-netns, RootlessKit 2.0.0 to 2.3.2 run `unshare -n mount --bind …`, and unshare finds no mount on PATH",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.0.2/pkg/child/child.go#L548",
        unless: &[],
    },
    KnownError {
        needles: &[
            "failed to create NAT chain DOCKER",
            "Permission denied (you must be root)",
        ],
        checks: &["start.versions"],
        meaning: "dockerd set up its bridge in a network namespace it has no rights over: RootlessKit got --detach-netns, which dockerd joins only from 29.5",
        source: "https://github.com/moby/moby/blob/docker-v29.5.0/daemon/daemon_linux.go#L244",
        unless: &[],
    },
    KnownError {
        needles: &["apparmor_restrict_unprivileged_userns is set to 1"],
        checks: &["userns.apparmor_restrict", "apparmor.rootlesskit"],
        meaning: "RootlessKit's child could not get its user namespace (EACCES) while AppArmor restricts unprivileged user namespaces, and no profile allows it for this rootlesskit",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v2.0.2/pkg/parent/warn.go#L75",
        unless: &[],
    },
    KnownError {
        needles: &[
            "The host root filesystem is mounted as",
            "Setting child propagation to",
        ],
        checks: &["start.propagation"],
        meaning: "/ is not a shared mount (no systemd at boot: WSL, a container, a chroot), so a file system mounted later on a directory of the root file system does not reach the daemon",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/warn.go#L24",
        unless: &[],
    },
    KnownError {
        needles: &["creating bind0 directory under /tmp"],
        checks: &["start.state_dir"],
        meaning: "RootlessKit's child could not make its directory in /tmp (read-only, full, or not writable) for the copied-up /etc",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/copyup/tmpfssymlink/tmpfssymlink.go#L26",
        unless: &[],
    },
    KnownError {
        needles: &["api.sock: bind: invalid argument"],
        checks: &["start.state_dir"],
        meaning: "RootlessKit's API socket path is longer than a Unix socket path may be (108 bytes): the state directory is too deep",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/parent/parent.go#L404; https://man7.org/linux/man-pages/man7/unix.7.html",
        unless: &[],
    },
    KnownError {
        needles: &["failed to create bind mount on /sys/fs/cgroup"],
        checks: &["cgroup.v2"],
        meaning: "RootlessKit's child could not bind /sys/fs/cgroup into its namespace: the directory is missing (nothing mounted there)",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/child/child.go#L76",
        unless: &[],
    },
    KnownError {
        needles: &["lxc-user-nic failed", "Quota reached"],
        checks: &["network.driver"],
        meaning: "lxc-user-nic allows this user no more interfaces: /etc/lxc/lxc-usernet has no line, or a full quota, for them",
        source: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/lxcusernic/lxcusernic.go#L77; https://github.com/lxc/lxc/blob/lxc-5.0.2/src/lxc/cmd/lxc_user_nic.c#L1211",
        unless: &[],
    },
    KnownError {
        needles: &["ioctl(TUNSETIFF)"],
        checks: &["network.tun"],
        meaning: "slirp4netns could not create its TAP device on /dev/net/tun: not the TUN device (a plain file), or not usable by the user",
        source: "https://github.com/rootless-containers/slirp4netns/blob/v1.2.0/main.c#L98",
        unless: &[],
    },
    KnownError {
        needles: &["chcon: failed to change context of"],
        checks: &["start.selinux"],
        meaning: "dockerd-rootless.sh relabels /run for iptables where SELinux is on, and chcon was refused",
        source: "https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh#L119; https://github.com/coreutils/coreutils/blob/v9.1/src/chcon.c#L191",
        unless: &[],
    },
    KnownError {
        needles: &["can't open lock file /run/xtables.lock"],
        checks: &["start.selinux"],
        meaning: "iptables in RootlessKit's namespace may not create its lock under /run: SELinux labels it for root's iptables (the script's chcon did not run or failed)",
        source: "https://github.com/moby/moby/issues/41230; https://github.com/moby/moby/blob/v26.1.0/contrib/dockerd-rootless.sh#L150",
        unless: &[],
    },
    KnownError {
        needles: &["failed to find iptables"],
        checks: &["iptables.binary"],
        meaning: "dockerd found no iptables on its PATH (the PATH of dockerd-rootless.sh)",
        source: "https://github.com/moby/moby/blob/v26.1.0/libnetwork/iptables/iptables.go#L113",
        unless: &[],
    },
    KnownError {
        needles: &["could not insert 'br_netfilter'"],
        checks: &["iptables.modules"],
        meaning: "br_netfilter is not loaded and cannot be loaded from inside RootlessKit's namespace: load it as root at boot",
        source: "https://github.com/moby/moby/blob/v26.1.0/libnetwork/drivers/bridge/bridge_linux.go#L427; https://github.com/kmod-project/kmod/blob/v30/tools/modprobe.c#L634",
        unless: &[],
    },
    KnownError {
        needles: &[
            "running in rootless-mode without cgroups",
            "boot the system in cgroup v2 mode",
        ],
        checks: &["cgroup.v2", "daemon.warnings"],
        meaning: "the host runs cgroup v1, where a rootless daemon has no cgroups: --memory, --cpus and --pids-limit are ignored",
        source: "https://github.com/moby/moby/blob/v26.1.0/daemon/info_unix.go#L89",
        unless: &[],
    },
    KnownError {
        needles: &[
            "running in rootless-mode without cgroups",
            "systemd is required",
        ],
        checks: &["systemd.pid1", "daemon.warnings"],
        meaning: "on cgroup v2 a rootless daemon gets cgroups only with the systemd cgroup driver: systemd is not the init here (no /run/systemd/system), or native.cgroupdriver=cgroupfs was set",
        source: "https://github.com/moby/moby/blob/v26.1.0/daemon/info_unix.go#L87",
        unless: &[],
    },
    KnownError {
        needles: &["No swap limit support"],
        checks: &["kernel.swap_limit"],
        meaning: "the kernel accounts no swap for cgroups: `docker run --memory-swap` is not enforced",
        source: "https://github.com/moby/moby/blob/v26.1.0/daemon/info_unix.go#L96",
        unless: &[],
    },
    KnownError {
        needles: &["No non-localhost DNS nameservers are left in resolv.conf"],
        checks: &["network.dns"],
        meaning: "/etc/resolv.conf names only loopback resolvers, which a container cannot reach: dockerd gives containers Google's public servers instead (usually the system daemon's: RootlessKit gives a rootless one a resolv.conf of its own)",
        source: "https://github.com/moby/moby/blob/v26.1.0/libnetwork/internal/resolvconf/resolvconf.go#L231",
        unless: &[],
    },
    KnownError {
        needles: &["Local (127.0.0.1) DNS resolver found in resolv.conf"],
        checks: &["network.dns"],
        meaning: "(older Docker's wording, quoted by the docs) /etc/resolv.conf names only loopback resolvers, which a container cannot reach",
        source: "https://docs.docker.com/engine/daemon/troubleshoot/",
        unless: &[],
    },
    KnownError {
        needles: &["needs to be present under $PATH"],
        checks: &["network.binaries", "start.path"],
        meaning: "dockerd-rootless-setuptool.sh finds no dockerd-rootless.sh on PATH (Debian's docker.io keeps it in /usr/share/docker.io/contrib)",
        source: "https://github.com/moby/moby/blob/v26.1.0/contrib/dockerd-rootless-setuptool.sh#L63",
        unless: &[],
    },
    KnownError {
        needles: &["systemd not detected", "needs to be started manually"],
        checks: &["systemd.pid1", "session.login"],
        meaning: "dockerd-rootless-setuptool.sh could not ask the user's systemd (`systemctl --user show-environment` failed): no systemd, or no login session of this user",
        source: "https://github.com/moby/moby/blob/v26.1.0/contrib/dockerd-rootless-setuptool.sh#L371",
        unless: &[],
    },
    // What users paste from `docker`, `systemctl --user` and the kernel log, after the start.
    KnownError {
        needles: &["cannot expose privileged port"],
        checks: &["network.unprivileged_port_start"],
        meaning: "a rootless daemon cannot publish a host port below net.ipv4.ip_unprivileged_port_start",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/",
        unless: &[],
    },
    KnownError {
        needles: &["Cannot connect to the Docker daemon"],
        checks: NOTHING_ANSWERS,
        meaning: "nothing answers on the socket the client uses: the daemon is not running (stopped at logout without linger, never started), or the client points elsewhere",
        source: "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/blob/docker-v29.7.2/client/errors.go#L38",
        unless: &[],
    },
    KnownError {
        needles: &["failed to connect to the docker API at"],
        checks: NOTHING_ANSWERS,
        meaning: "(the Docker 29 client's wording) nothing answers on the socket the client uses: the daemon is not running (stopped at logout without linger, never started), or the client points elsewhere",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/client/request.go#L177",
        unless: &[],
    },
    KnownError {
        needles: &["permission denied while trying to connect to the docker API at"],
        checks: SOCKET_NOT_YOURS,
        meaning: "(the Docker 29 client's wording) the client reached a socket it may not use: the rootful one without the docker group in this session, or another user's",
        source: "https://github.com/moby/moby/blob/docker-v29.7.2/client/request.go#L171",
        unless: &[],
    },
    KnownError {
        needles: &["permission denied while trying to connect to the Docker daemon socket"],
        checks: SOCKET_NOT_YOURS,
        meaning: "the client reached a socket it may not use: the rootful one without the docker group in this session, or another user's",
        source: "https://docs.docker.com/engine/install/linux-postinstall/",
        unless: &[],
    },
    KnownError {
        needles: &["lchown", "invalid argument"],
        checks: &["subid.range_size", "subid.entries"],
        meaning: "an image layer holds a file owned by a uid or gid the user namespace does not map: the user's subordinate range is smaller than 65,536",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/blob/v26.1.0/pkg/archive/archive.go#L773",
        unless: &[],
    },
    KnownError {
        needles: &["lchown", "operation not permitted"],
        checks: &["storage.data_root", "volumes.data_root"],
        meaning: "the data-root's file system refuses to change a file's owner (NFS, vfat, exFAT, NTFS, some FUSE file systems): the rootless data-root must be on a local Linux file system",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/blob/v26.1.0/pkg/archive/archive.go#L773",
        unless: &[],
    },
    KnownError {
        needles: &["ping: socket: Operation not permitted"],
        checks: &["network.ping_group_range"],
        meaning: "ping in a container may not open an ICMP socket: net.ipv4.ping_group_range leaves out the group it runs as",
        source: "https://github.com/iputils/iputils/blob/20221126/ping/ping.c#L191; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        unless: &[],
    },
    KnownError {
        needles: &["Error loading config file", "permission denied"],
        checks: &["client.config_dir"],
        meaning: "the docker CLI may not read its config.json (root-owned after a `sudo docker login`, or its directory's mode)",
        source: "https://github.com/docker/cli/blob/v28.0.0/cli/config/config.go#L166",
        unless: &[],
    },
    KnownError {
        needles: &["Unit docker.service not found"],
        checks: &["daemon.user_unit"],
        meaning: "systemctl --user has no docker.service: dockerd-rootless-setuptool.sh install was never run for this user (without --user, it is the system's docker.service that is missing)",
        source: "https://github.com/systemd/systemd/blob/v252/src/core/dbus-unit.c#L2467",
        unless: &[],
    },
    KnownError {
        needles: &["Unit docker.service is masked"],
        checks: &["daemon.user_unit"],
        meaning: "the user's docker.service is masked (a link to /dev/null): systemctl --user unmask docker",
        source: "https://github.com/systemd/systemd/blob/v252/src/core/dbus-unit.c#L2477",
        unless: &[],
    },
    KnownError {
        needles: &["Failed to connect to bus"],
        checks: NO_USER_BUS,
        meaning: "systemctl --user finds no user bus: the shell has no pam_systemd login session (su, sudo -iu), or the bus is not running",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/",
        unless: &[],
    },
    KnownError {
        needles: &["Failed to connect to user scope bus"],
        checks: NO_USER_BUS,
        meaning: "(newer systemd's wording) systemctl --user finds no user bus: the shell has no pam_systemd login session (su, sudo -iu), so neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set, or the bus is not running",
        source: "https://github.com/systemd/systemd/blob/main/src/shared/bus-util.c",
        unless: &[],
    },
    KnownError {
        needles: &["unable to start unit", "scope"],
        checks: &["session.dbus", "cgroup.delegation"],
        meaning: "runc asked systemd for the container's scope over the user bus and was refused: the bus is stopped, or the user manager does not delegate",
        source: "https://rootlesscontaine.rs/getting-started/common/cgroup2/",
        unless: &[],
    },
    KnownError {
        needles: &["/run/systemd/private", "connection reset by peer"],
        checks: &["session.dbus", "session.login"],
        meaning: "the systemd cgroup driver reached the system manager's private socket instead of the user's bus",
        source: "https://rootlesscontaine.rs/getting-started/common/cgroup2/",
        unless: &[],
    },
    KnownError {
        needles: &["operation=\"userns_create\""],
        checks: &["userns.apparmor_restrict", "apparmor.rootlesskit"],
        meaning: "AppArmor mediated the creation of a user namespace (Ubuntu 23.10 and later restrict it for unconfined programs)",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/",
        unless: &[],
    },
    KnownError {
        needles: &["profile=\"unprivileged_userns\""],
        checks: &["userns.apparmor_restrict", "apparmor.rootlesskit"],
        meaning: "the program was moved to AppArmor's unprivileged_userns profile, which denies capabilities inside the namespace",
        source: "https://docs.docker.com/engine/security/rootless/troubleshoot/",
        unless: &[],
    },
];

/// The entries that match `text`, in table order: those whose needles all occur on one of its lines and none of
/// whose `unless` does there, so a log piped in (`why -`) does not join the words of unrelated lines (a traced
/// `+ mkdir -p …` and another line's `: permission denied`); when no line matches any entry, the text as one
/// (a message a terminal wrapped over several lines).
///
/// A line systemd cut short to the terminal's width (`systemctl --user status docker` without `-l`; see
/// [`cut_head`]) that holds no entry whole matches the one entry whose needles all occur on it but one, of which
/// the text before the ellipsis ends with more than [`CUT_MIN`] characters and than any other entry's needle starts
/// alike; none when several entries could be meant.
pub fn explain(text: &str) -> Vec<&'static KnownError> {
    let mut hit = vec![false; TABLE.len()];
    for line in text.lines() {
        for i in line_entries(&squeezed(line)) {
            hit[i] = true;
        }
    }
    let (warnings, errors): (Vec<&'static KnownError>, Vec<&'static KnownError>) = TABLE
        .iter()
        .zip(&hit)
        .filter(|(_, hit)| **hit)
        .map(|(e, _)| e)
        .partition(|k| stops_nothing(k));
    if !errors.is_empty() {
        return errors;
    }
    let whole = squeezed(text);
    let errors: Vec<&'static KnownError> = TABLE
        .iter()
        .zip(squeezed_table())
        .filter(|(e, s)| !stops_nothing(e) && s.matches(&whole))
        .map(|(e, _)| e)
        .collect();
    if !errors.is_empty() {
        return errors;
    }
    // A warning that stops nothing is the answer only to a text that reports no failure of its own.
    if text.lines().any(reports_a_failure) {
        return Vec::new();
    }
    if !warnings.is_empty() {
        return warnings;
    }
    TABLE
        .iter()
        .zip(squeezed_table())
        .filter(|(e, s)| stops_nothing(e) && s.matches(&whole))
        .map(|(e, _)| e)
        .collect()
}

/// Whether `line` says something failed: an `error:` of RootlessKit's, a logrus error or fatal, dockerd's `failed to
/// start daemon`, a shell's `Error`.
fn reports_a_failure(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    ["error", "fatal", "failed"].iter().any(|w| l.contains(w))
}

/// An entry's needles and `unless` as [`squeezed`] text.
struct Squeezed {
    needles: Vec<String>,
    unless: Vec<String>,
}

impl Squeezed {
    /// Whether the entry matches text already [`squeezed`].
    fn matches(&self, squeezed_text: &str) -> bool {
        self.needles
            .iter()
            .all(|n| squeezed_text.contains(n.as_str()))
            && !self
                .unless
                .iter()
                .any(|n| squeezed_text.contains(n.as_str()))
    }

    /// Whether the entry matches `line` ([`squeezed`]), which systemd cut short after `head`: `line` holds every
    /// needle but one, and `head` ends with more of that one's start than [`CUT_MIN`] and than any other entry's
    /// needle shares with it (`shared`, per needle).
    fn matches_cut(&self, line: &str, head: &str, shared: &[usize]) -> bool {
        if self.unless.iter().any(|n| line.contains(n.as_str())) {
            return false;
        }
        let mut partial = false;
        for (n, &shared) in self.needles.iter().zip(shared) {
            if line.contains(n.as_str()) {
                continue;
            }
            if partial || !ends_with_start_of(head, n, shared) {
                return false;
            }
            partial = true;
        }
        partial
    }
}

/// The least of a needle's start a line cut short must still hold (and two thirds of it): enough to name a message,
/// not only a phrase (`permission denied` is 17, and shared by several entries besides).
pub const CUT_MIN: usize = 16;

/// What a [`squeezed`] line holds before the ellipsis systemd put where it cut it short (`ellipsize_mem`: at the end
/// of the line, or, for `systemctl status`'s log lines, at nine tenths of the terminal's width with the message's
/// tail after it; `…`, or `...` outside a UTF-8 locale); `None` for a line without one.
fn cut_head(squeezed_line: &str) -> Option<&str> {
    let at = squeezed_line
        .find('\u{2026}')
        .or_else(|| squeezed_line.find("..."))?;
    Some(squeezed_line[..at].trim_end())
}

/// Whether `head` ends with a start of `needle` shorter than all of it and at least [`CUT_MIN`] long, two thirds of
/// it, and longer than `shared`: the table is not every message there is (`error initializing` starts dockerd's
/// graph driver and network controller errors alike; only the first is an entry).
fn ends_with_start_of(head: &str, needle: &str, shared: usize) -> bool {
    let needle = needle.trim_end();
    (CUT_MIN..needle.len()).rev().any(|k| {
        let start = needle.get(..k).map(str::trim_end).unwrap_or_default();
        start.len() >= CUT_MIN
            && start.len() * 3 >= needle.len() * 2
            && start.len() > shared
            && head.ends_with(start)
    })
}

/// For each entry's needles ([`squeezed`]), the longest start another entry's needle shares with it: a line cut
/// short within that much of it could be either message. Computed once, and only for a line cut short.
fn cut_shared() -> &'static [Vec<usize>] {
    static SHARED: std::sync::OnceLock<Vec<Vec<usize>>> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let table = squeezed_table();
        let common = |a: &str, b: &str| {
            a.char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
        };
        table
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.needles
                    .iter()
                    .map(|n| {
                        table
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .flat_map(|(_, o)| o.needles.iter())
                            .map(|o| common(n, o))
                            .max()
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect()
    })
}

/// The entries (their indices in [`TABLE`]) that match one [`squeezed`] line: those it holds whole; when it holds
/// none whole and systemd cut it short, the one entry it holds all but the end of (none when more than one could be
/// meant).
fn line_entries(squeezed_line: &str) -> Vec<usize> {
    let table = squeezed_table();
    let whole: Vec<usize> = (0..table.len())
        .filter(|&i| table[i].matches(squeezed_line))
        .collect();
    let Some(head) = cut_head(squeezed_line).filter(|_| whole.is_empty()) else {
        return whole;
    };
    let shared = cut_shared();
    let cut: Vec<usize> = (0..table.len())
        .filter(|&i| table[i].matches_cut(squeezed_line, head, &shared[i]))
        .collect();
    if cut.len() == 1 { cut } else { Vec::new() }
}

/// [`TABLE`]'s entries squeezed, in its order, once per process: a log piped in is matched line by line against
/// every entry.
fn squeezed_table() -> &'static [Squeezed] {
    static TABLE_SQUEEZED: std::sync::OnceLock<Vec<Squeezed>> = std::sync::OnceLock::new();
    TABLE_SQUEEZED.get_or_init(|| {
        TABLE
            .iter()
            .map(|e| Squeezed {
                needles: e.needles.iter().map(|n| squeezed(n)).collect(),
                unless: e.unless.iter().map(|n| squeezed(n)).collect(),
            })
            .collect()
    })
}

/// Whether `e` is a warning that never stops a start (RootlessKit's about the propagation of /): `why` names it, and a
/// failed start is not explained by it.
fn stops_nothing(e: &KnownError) -> bool {
    e.needles.first() == Some(&"The host root filesystem is mounted as")
}

/// [`explain`] for the output of a start that failed: a warning that stops nothing explains no failure.
pub fn explain_failure(text: &str) -> Vec<&'static KnownError> {
    let mut known = explain(text);
    known.retain(|k| !stops_nothing(k));
    known
}

/// `e`'s index in [`TABLE`].
fn index_of(e: &KnownError) -> Option<usize> {
    // By value: `TABLE` is a constant, so its entries have no one address.
    TABLE.iter().position(|t| t == e)
}

/// `e`'s needles, squeezed.
fn squeezed_entry(e: &KnownError) -> Option<&'static Squeezed> {
    index_of(e).map(|i| &squeezed_table()[i])
}

/// Whether `e` matches one line already [`squeezed`], whole or cut short: the whole table is asked ([`line_entries`])
/// only for a line cut short that `e` does not match whole, so a long log is matched entry by entry.
fn matches_line(e: &KnownError, squeezed_line: &str) -> bool {
    index_of(e).is_some_and(|i| {
        squeezed_table()[i].matches(squeezed_line)
            || (cut_head(squeezed_line).is_some() && line_entries(squeezed_line).contains(&i))
    })
}

/// Whether `e` matches `text` only on a line cut short: nowhere does `text` hold the whole message.
pub fn only_cut_short(text: &str, e: &KnownError) -> bool {
    let Some(s) = squeezed_entry(e) else {
        return false;
    };
    // One pass over the lines, each squeezed once; the whole text last, only when a line was cut.
    let mut cut = false;
    for line in text.lines() {
        let line = squeezed(line);
        if s.matches(&line) {
            return false;
        }
        cut = cut || matches_line(e, &line);
    }
    cut && !s.matches(&squeezed(text))
}

/// The last line of `text` the first of `known` (its [`explain`]) matches on (the line a pasted log is about, not
/// its first, nor a shell trace that only shares a word), trimmed; `None` when it matches nothing, or only across
/// lines.
pub fn matched_line<'t>(text: &'t str, known: &[&KnownError]) -> Option<&'t str> {
    let first = known.first()?;
    text.lines()
        .map(str::trim)
        .rfind(|l| matches_line(first, &squeezed(l)))
}

/// `text` in ASCII lower case with each run of whitespace one space and double quotes left out: a message pasted
/// from a terminal or a journal that wrapped it (`No subuid\nranges found`) or aligned it reads as the one-line
/// message, and so does one whose quotes a shell removed or a log escaped (`\"`, and typographic ones a chat or
/// a document put in). A run at either end is kept as one space too: a needle's `chmod ` is the whole word, which
/// `chmod:` is not.
pub fn squeezed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'"') {
            continue;
        }
        if matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{201e}') {
            continue;
        }
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The checks that explain `text`, each once, in the order of the entries that name them.
pub fn checks_for(text: &str) -> Vec<&'static str> {
    checks_of(&explain(text))
}

/// The checks the entries `known` name, each once, in their order.
pub fn checks_of(known: &[&'static KnownError]) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    for e in known {
        for id in e.checks {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The line of a failed start's output that says what went wrong: RootlessKit's own `error:` line (not the
/// `child exited` or `command [...] exited` lines that only pass a child's failure on), else the last stderr line
/// that is none of those, nor a shell trace (`+ …`, dockerd-rootless.sh runs with `set -x`), nor a logrus
/// `level=info`/`debug`/`warning` line, else the last non-blank line of stderr, else of stdout, else `no output`.
pub fn error_line(stderr: &str, stdout: &str) -> String {
    fn lines(t: &str) -> impl DoubleEndedIterator<Item = &str> {
        t.lines().map(str::trim).filter(|l| !l.is_empty())
    }
    fn passes_on(l: &str) -> bool {
        (l.contains("] error:")
            && (l.contains("] error: child exited") || l.contains("exited: exit status")))
            || l.starts_with("+ ")
            || ["level=info", "level=debug", "level=warning", "level=trace"]
                .iter()
                .any(|lv| l.contains(lv))
    }
    lines(stderr)
        .find(|l| l.contains("] error:") && !passes_on(l))
        // dockerd's own last word (cmd/dockerd: `failed to start daemon: …`), printed without a log level.
        .or_else(|| lines(stderr).find(|l| l.starts_with("failed to start daemon")))
        .or_else(|| lines(stderr).rfind(|l| !passes_on(l)))
        .or_else(|| lines(stderr).next_back())
        .or_else(|| lines(stdout).next_back())
        .unwrap_or("no output")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Errors as RootlessKit 1.1.0 prints them (the first seen on this project's CI machine, Debian 12).
    #[test]
    fn real_errors_name_their_checks() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1002 (\"rdtest-nosub\")",
                &["subid.entries", "subid.nss"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 4242 [0 1000 1 1 1000 65536] failed: newuidmap: write to uid_map failed: Invalid argument\n: exit status 1",
                &["subid.overlap", "subid.own_id", "subid.nested_userns"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 4242 [0 1000 1 1 100000 65536] failed: : exit status 1",
                &["subid.files"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 4242 [0 1000 1 1 100000 65536] failed: newuidmap: uid range [1-65537) -> [100000-165536) not allowed\n: exit status 1",
                &["subid.files", "subid.entries", "subid.nss"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 4242 [0 1000 1 1 100000 65536] failed: : exec: \"newuidmap\": executable file not found in $PATH",
                &["uidmap.newuidmap"],
            ),
            (
                "[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: operation not permitted",
                &["userns.clone", "apparmor.rootlesskit", "start.propagation"],
            ),
            (
                "[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: no space left on device",
                &["userns.max_namespaces"],
            ),
            (
                "[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied",
                &["userns.apparmor_restrict", "apparmor.rootlesskit"],
            ),
            (
                "[rootlesskit:parent] error: exec: \"slirp4netns\": executable file not found in $PATH",
                &["network.driver"],
            ),
            (
                "[rootlesskit:parent] error: cannot mkfifo /var/tmp/stick/rootlesskit3693312511/.bp-ready.pipe: input/output error",
                &["start.state_dir"],
            ),
            (
                "[rootlesskit:child ] error: open /etc/hosts: permission denied",
                &["network.driver"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup UID/GID map: newgidmap 4242 [0 1000 1 1 100000 65536] failed: newgidmap: write to gid_map failed: Operation not permitted\n: exit status 1",
                &["uidmap.newgidmap", "subid.nested_userns"],
            ),
            (
                "[rootlesskit:parent] error: failed to setup network &{logWriter:0xc000012345 binary:slirp4netns mtu:65520 ipnet:<nil> disableHostLoopback:true apiSocketPath: enableSandbox:true enableSeccomp:true enableIPv6:false ifname:tap0}: setting up tap tap0: executing [[nsenter -t 4242 -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] [nsenter -t 4242 -n -m -U --preserve-credentials ip link set tap0 up]]: open: No such file or directory\n: exit status 1",
                &["network.tun"],
            ),
            (
                // row 4.2 (iproute2 missing) names the same command but is not the device: start.path
                "[rootlesskit:parent] error: failed to setup network &{…}: setting up tap tap0: executing [[nsenter -t 4242 -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: nsenter: failed to execute ip: No such file or directory\n: exit status 127",
                &["start.path"],
            ),
            (
                // Debian 13 (RootlessKit 2.0.2), --detach-netns with unshare gone (observed in the VM tier)
                "[rootlesskit:child ] error: failed to create a detached netns on \"/run/user/1000/dockerd-rootless/netns\": failed to execute [unshare -n mount --bind /proc/self/ns/net /run/user/1000/dockerd-rootless/netns]: exec: \"unshare\": executable file not found in $PATH (out=\"\")",
                &["start.path"],
            ),
            (
                // Debian 13 (docker.io 26.1.5), --detach-netns through DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS
                "failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to register \"bridge\" driver: failed to create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER: iptables v1.8.11 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)",
                &["start.versions"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(checks_for(text), *want, "{text}");
        }
    }

    /// dockerd's `failed to start daemon: …` is its last word, ahead of RootlessKit's pass-on lines and of the info lines
    /// after it (the lines of docker.io 26.1.5 under RootlessKit 2.0.2 on Debian 13, as the VM tier saw them, shortened).
    #[test]
    fn dockerds_failed_to_start_line_is_the_error_line() {
        let stderr = "time=\"2026-11-30T16:46:08Z\" level=info msg=\"unable to detect if iptables supports xlock\" error=\"exit status 4\"\n\
failed to start daemon: Error initializing network controller: failed to create NAT chain DOCKER\n\
[rootlesskit:child ] error: command [/usr/share/docker.io/contrib/dockerd-rootless.sh] exited: exit status 1\n\
[rootlesskit:parent] error: child exited: exit status 1\n\
(exit status 4)\n";
        assert_eq!(
            error_line(stderr, ""),
            "failed to start daemon: Error initializing network controller: failed to create NAT chain DOCKER"
        );
    }

    /// What the start trial's error line is, from the output of the real dockerd-rootless.sh (Debian 12, 20.10):
    /// its `set -x` trace, dockerd's info lines and RootlessKit's pass-on lines are skipped.
    #[test]
    fn the_start_trials_error_line_is_dockerds_not_rootlesskits_pass_on() {
        let stderr = "+ exec dockerd\n\
time=\"2026-11-30T13:59:22Z\" level=warning msg=\"Running in rootless mode. This mode has feature limitations.\"\n\
time=\"2026-11-30T13:59:22Z\" level=info msg=\"Starting up\"\n\
chmod /tmp/rd-me-data/docker: operation not permitted\n\
[rootlesskit:child ] error: command [/usr/share/docker.io/contrib/dockerd-rootless.sh] exited: exit status 1\n\
[rootlesskit:parent] error: child exited: exit status 1\n";
        let line = error_line(stderr, "");
        assert_eq!(
            line,
            "chmod /tmp/rd-me-data/docker: operation not permitted"
        );
        assert_eq!(checks_for(&line), ["storage.data_root_owner"]);
        let proxy = "failed to start daemon: running with RootlessKit, but rootlesskit-docker-proxy not installed: exec: \"rootlesskit-docker-proxy\": executable file not found in $PATH";
        assert_eq!(checks_for(proxy), ["start.path"]);
    }

    #[test]
    fn an_unknown_error_is_explained_by_nothing() {
        assert!(
            checks_for("[rootlesskit:child ] error: open /dev/net/tun: no such device").is_empty()
        );
        assert!(checks_for("").is_empty());
    }

    #[test]
    fn matching_ignores_case() {
        assert_eq!(
            checks_for("no SUBUID ranges found for user 5"),
            ["subid.entries", "subid.nss"]
        );
    }

    /// Regression (found by a demanding-user review): a message pasted from a terminal that wrapped it, or with
    /// its words aligned by two spaces, was "not a known error".
    #[test]
    fn regression_a_wrapped_paste_was_not_a_known_error() {
        for text in [
            "No subuid\nranges found for user 5",
            "No subuid\r\n  ranges  found",
            "\tNo\tsubuid ranges found\n",
        ] {
            assert_eq!(checks_for(text), ["subid.entries", "subid.nss"], "{text:?}");
        }
        // Words still have to be there whole.
        assert!(checks_for("No subuidranges found").is_empty());
        // Nor does squeezing drop the space that ends a needle's word (a review): coreutils' own messages are not
        // dockerd's `chmod ` and `mkdir ` lines.
        for text in [
            "chmod: changing permissions of '/srv/app': Operation not permitted",
            "mkdir: cannot create directory '/srv/x': Permission denied",
        ] {
            assert!(
                checks_for(text).is_empty(),
                "{text}: {:?}",
                checks_for(text)
            );
        }
    }

    /// Regression (found by a demanding-user review): a needle with double quotes never matched a paste whose quotes
    /// the shell removed (`why "… exec: "slirp4netns": …"`), nor a logrus line that escaped them.
    #[test]
    fn regression_quotes_a_shell_or_a_log_changed_broke_matching() {
        for text in [
            "[rootlesskit:parent] error: exec: slirp4netns: executable file not found in /usr/bin:/bin",
            "[rootlesskit:parent] error: exec: \"slirp4netns\": executable file not found in $PATH",
            "[rootlesskit:parent] error: exec: \u{201c}slirp4netns\u{201d}: executable file not found in $PATH",
        ] {
            assert_eq!(checks_for(text), ["network.driver"], "{text}");
        }
        let logrus = r#"time="2026-12-04T10:00:00Z" level=fatal msg="failed to start daemon: failed to start containerd: exec: \"containerd\": executable file not found in $PATH""#;
        assert_eq!(checks_for(logrus), ["start.path"]);
    }

    /// Regression (found by a demanding-user review): real messages of RootlessKit, dockerd-rootless.sh, its setup
    /// tool, dockerd, the Docker 29 client and newer systemd were "not in the table", some of them quoted by the
    /// doctor's own checks.
    #[test]
    fn regression_real_messages_the_table_did_not_know() {
        let cases: &[(&str, &str)] = &[
            (
                "[rootlesskit:parent] error: unknown network mode: pasta",
                "start.environment",
            ),
            (
                "[rootlesskit:parent] error: not supported in this Debian package",
                "start.environment",
            ),
            (
                "Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed",
                "network.driver",
            ),
            (
                "One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed",
                "network.driver",
            ),
            (
                "[rootlesskit:parent] error: command \"pasta --version\" failed, make sure pasta is installed: \"\": exec: \"pasta\": executable file not found in $PATH",
                "network.driver",
            ),
            (
                "[rootlesskit:parent] error: subid-source:dynamic: failed to get subuids by the username \"rdtest-nosub\": failed to exec [/usr/bin/getsubids rdtest-nosub]: exit status 1",
                "subid.nss",
            ),
            (
                "level=warning msg=\"/proc/sys/kernel/unprivileged_userns_clone needs to be set to 1.\"",
                "userns.clone",
            ),
            (
                "level=warning msg=\"/proc/sys/user/max_user_namespaces needs to be set to non-zero.\"",
                "userns.max_namespaces",
            ),
            (
                "[rootlesskit:parent] error: state dir is inaccessible: stat /run/user/1000/dockerd-rootless: permission denied",
                "start.state_dir",
            ),
            (
                "failed to start daemon, ensure docker is not running or delete /run/user/1001/docker.pid: process with PID 4242 is still running",
                "daemon.pidfile",
            ),
            (
                "failed to start daemon: pid file found, ensure docker is not running or delete /run/user/1000/docker.pid",
                "daemon.pidfile",
            ),
            ("could not get XDG_RUNTIME_DIR", "session.xdg_runtime_dir"),
            (
                "failed to start daemon: exec-opt native.cgroupdriver=systemd requires cgroup v2 for rootless mode",
                "cgroup.v2",
            ),
            (
                "failed to connect to the docker API at unix:///run/user/1001/docker.sock; check if the path is correct and if the daemon is running: dial unix /run/user/1001/docker.sock: connect: no such file or directory",
                "client.endpoint",
            ),
            (
                "permission denied while trying to connect to the docker API at unix:///var/run/docker.sock",
                "client.endpoint",
            ),
            (
                "Cannot connect to the Docker daemon. Is the docker daemon running on this host?",
                "client.endpoint",
            ),
            (
                "Failed to connect to user scope bus via local transport: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined (consider using --machine=<user>@.host --user to connect to bus of other user)",
                "session.login",
            ),
            (
                "[ERROR] Missing system requirements. Run the following commands to",
                "uidmap.newuidmap",
            ),
            (
                "[ERROR] newuidmap binary not found. Please install with a package manager.",
                "uidmap.newuidmap",
            ),
            (
                "[ERROR] iptables binary not found. Please install with a package manager.",
                "iptables.binary",
            ),
            (
                "[ERROR] Aborting because systemd was detected but XDG_RUNTIME_DIR (\"\") is not set, does not exist, or is not writable",
                "session.xdg_runtime_dir",
            ),
            (
                "[ERROR] Aborting because rootful Docker (/var/run/docker.sock) is running and accessible. Set --force to ignore.",
                "daemon.rootful",
            ),
            (
                "[ERROR] RootlessKit failed, see the error messages and https://rootlesscontaine.rs/getting-started/common/ . Set --force to ignore.",
                "launch.trial",
            ),
            (
                "docker: Error response from daemon: NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted.",
                "cgroup.v2",
            ),
        ];
        for (text, first) in cases {
            assert_eq!(checks_for(text).first(), Some(first), "{text}");
        }
    }

    /// Regression (found by a demanding-user review): `mkdir …: permission denied` about a bind mount's source, or
    /// the CLI's config directory, was called the data-root's.
    #[test]
    fn regression_a_bind_mount_source_was_called_the_data_root() {
        let text = "docker: Error response from daemon: error while creating mount source path '/root/x': mkdir /root/x: permission denied.";
        assert!(
            checks_for(text).is_empty(),
            "{text}: {:?}",
            checks_for(text)
        );
        // The CLI's config directory is the CLI's.
        assert_eq!(
            checks_for(
                "WARNING: Error loading config file: /home/u/.docker/config.json: mkdir /home/u/.docker: permission denied"
            ),
            ["client.config_dir"]
        );
        assert_eq!(
            checks_for("mkdir /home/alice/.local/share/docker: permission denied"),
            ["storage.data_root_owner"]
        );
    }

    /// Regression (found by a demanding-user review): RootlessKit's error line about the TAP device, pasted without
    /// the `open: …` line ip printed before it, was unknown.
    #[test]
    fn regression_the_tap_error_line_alone_was_unknown() {
        let line = "[rootlesskit:parent] error: failed to setup network &{…}: setting up tap tap0: executing [[nsenter -t 4242 -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] [nsenter -t 4242 -n -m -U --preserve-credentials ip link set tap0 up]]: exit status 1";
        assert_eq!(checks_for(line), ["network.tun"]);
        // ip itself missing is still the start path, not the device.
        let missing = "[rootlesskit:parent] error: failed to setup network &{…}: setting up tap tap0: executing [[nsenter -t 4242 -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: nsenter: failed to execute ip: No such file or directory\n: exit status 127";
        assert_eq!(checks_for(missing), ["start.path"]);
    }

    /// Regression (a review): a log piped in was matched as one text, so words of unrelated lines made a known error
    /// (a traced `+ mkdir -p` and another line's `: permission denied` named the data-root), and an `unless` on one
    /// line hid the error of another.
    #[test]
    fn regression_a_log_joined_the_words_of_unrelated_lines() {
        let log = "+ mkdir -p /run/user/1000/x\n[rootlesskit:child ] error: open /etc/hosts: permission denied\n";
        assert_eq!(checks_for(log), ["network.driver"]);
        let log = "WARNING: Error loading config file: /home/u/.docker/config.json: stat: exit status 127\n\
mkdir /home/alice/.local/share/docker: permission denied\n";
        assert_eq!(checks_for(log), ["storage.data_root_owner"]);
        // A message wrapped over lines still matches as one.
        assert_eq!(
            checks_for("No subuid\nranges found"),
            ["subid.entries", "subid.nss"]
        );
        // ip that cannot be executed (126) is not the device.
        assert!(
            !checks_for("setting up tap tap0: executing [[nsenter … ip tuntap add name tap0 mode tap]]: exit status 126")
                .contains(&"network.tun")
        );
    }

    #[test]
    fn the_matched_line_is_the_line_the_error_is_on() {
        let log = "+ [ -w /tmp/x ]\n+ exec rootlesskit\n[rootlesskit:parent] error: failed to setup UID/GID map: No subuid ranges found for user 1002\n";
        assert_eq!(
            matched_line(log, &explain(log)),
            Some(
                "[rootlesskit:parent] error: failed to setup UID/GID map: No subuid ranges found for user 1002"
            )
        );
        assert_eq!(
            matched_line("nothing known", &explain("nothing known")),
            None
        );
        // Not a shell trace that shares the first word.
        let log =
            "+ chmod 700 /tmp/x\nchmod /home/a/.local/share/docker: operation not permitted\n";
        assert_eq!(
            matched_line(log, &explain(log)),
            Some("chmod /home/a/.local/share/docker: operation not permitted")
        );
    }

    #[test]
    fn every_entry_names_existing_checks_and_public_sources() {
        for e in TABLE {
            assert!(!e.needles.is_empty() && e.needles.iter().all(|n| !n.is_empty()));
            assert!(!e.checks.is_empty());
            for id in e.checks {
                assert!(crate::checks::find(id).is_some(), "{id} is no check");
            }
            for url in e.source.split("; ") {
                assert!(url.starts_with("https://") && !url.contains(' '), "{url}");
            }
            // An empty `unless` would turn the entry off; one its own needles hold, too.
            assert!(
                e.unless.iter().all(|n| !n.trim().is_empty()),
                "{:?}",
                e.needles
            );
            assert!(
                squeezed_entry(e).is_some_and(|s| s.matches(&squeezed(&e.needles.join(" ")))),
                "{:?}",
                e.needles
            );
        }
    }

    #[test]
    fn rootlesskits_propagation_warning_is_the_answer_only_alone() {
        let warning = "time=\"…\" level=warning msg=\"The host root filesystem is mounted as \\\"\\\". Setting child propagation to \\\"rslave\\\" is not supported.\"";
        assert_eq!(checks_for(warning), ["start.propagation"]);
        // A start that failed is never explained by it, whichever part of the output is matched.
        assert!(explain_failure(warning).is_empty());
        let with_error = format!(
            "{warning}\n[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1002 (\"rdtest-nosub\")"
        );
        assert!(!checks_for(&with_error).contains(&"start.propagation"));
        assert_eq!(checks_for(&with_error).first(), Some(&"subid.entries"));
        // An error wrapped over two lines is still found beside the warning (the whole text is tried before it).
        let wrapped = format!("{warning}\nnewuidmap: No subuid\nranges found for user 1002");
        assert_eq!(
            checks_for(&wrapped).first(),
            Some(&"subid.entries"),
            "{wrapped}"
        );
        // An unknown failure beside it is not blamed on it.
        let unknown = format!("{warning}\n[rootlesskit:child ] error: something new");
        assert!(
            checks_for(&unknown).is_empty(),
            "{:?}",
            checks_for(&unknown)
        );
    }

    #[test]
    fn regression_a_line_systemctl_status_cut_short_was_unknown() {
        // systemctl status cuts a log line at nine tenths of the terminal's width and keeps its tail after `…`.
        for cut in [
            "Dec 04 13:00:01 host dockerd-rootless.sh[812]: [rootlesskit:parent] error: failed to setup UID/GID \
map: newuidmap 830 [0 1000 1 1 100000 65536] failed: newuidmap: No subuid ranges fo\u{2026}r user 1000 (alice)",
            "Dec 04 13:00:01 host dockerd-rootless.sh[812]: [rootlesskit:parent] error: failed to setup UID/GID \
map: newuidmap 830 [0 1000 1 1 100000 65536] failed: newuidmap: No subuid ranges fo\u{2026}",
            "newuidmap 830 [0 1000 1 1 100000 65536] failed: newuidmap: No subuid ranges fo...",
        ] {
            let known = explain(cut);
            assert!(
                known.iter().any(|k| k.checks.contains(&"subid.entries")),
                "{cut}: {known:?}"
            );
            assert!(known.iter().all(|k| only_cut_short(cut, k)));
            assert!(matched_line(cut, &known).is_some());
        }
        // The same words whole: no cut.
        let whole = "newuidmap: No subuid ranges found for user 1000 (alice)";
        assert!(!explain(whole).is_empty());
        assert!(explain(whole).iter().all(|k| !only_cut_short(whole, k)));
        // Too little of the message left, a start several messages share, or no ellipsis: not matched.
        for not in [
            "invalid userland-proxy-path: userland-prox\u{2026}",
            "open /dev/net/tun: permission denied\u{2026}",
            "level=error msg=failed to start daemon: error initializing\u{2026}",
            "failed to connect to\u{2026}",
            "newuidmap: write to uid_map f\u{2026}",
            "newuidmap: No subuid ranges fo",
        ] {
            assert!(explain(not).is_empty(), "{not}: {:?}", explain(not));
        }
    }

    proptest! {
        #[test]
        fn the_matcher_never_panics(text in "\\PC{0,300}") {
            let _ = checks_for(&text);
        }

        #[test]
        fn the_error_line_is_a_trimmed_line_of_the_output(err in "[a-z\\] :=\n]{0,200}", out in "[a-z :\n]{0,100}") {
            let line = error_line(&err, &out);
            prop_assert!(line == "no output" || err.lines().chain(out.lines()).any(|l| l.trim() == line));
            prop_assert!(!line.is_empty() && !line.contains('\n'));
        }

        #[test]
        fn an_error_line_wins_over_warnings_around_it(warn in "[a-z ]{1,40}", rest in "[a-z ]{1,40}") {
            let err = format!("level=warning msg={warn}\n[rootlesskit:parent] error: {rest}\ntrailing {warn}\n");
            let want = format!("[rootlesskit:parent] error: {rest}");
            prop_assert_eq!(error_line(&err, ""), want.trim());
        }

        /// Cut short where systemd cuts a line to the terminal's width, past the first CUT_MIN characters of one
        /// needle: still found, and said to be so.
        #[test]
        fn a_known_error_cut_short_by_systemd_is_found(i in 0..TABLE.len(), keep in 0usize..200, dots in prop::bool::ANY, tail in prop::bool::ANY) {
            let e = &TABLE[i];
            let last = e.needles.last().unwrap();
            // Somewhere from two thirds of the needle (and CUT_MIN) to all of it but its last character.
            let lo = CUT_MIN.max((2 * last.len()).div_ceil(3));
            prop_assume!(lo < last.len());
            let keep = lo + keep % (last.len() - lo);
            prop_assume!(keep < last.trim_end().len() && last.is_char_boundary(keep));
            // (The matcher counts the needle as squeezed: without its quotes; and only a start no other entry's
            // needle shares.)
            let kept = squeezed(&last[..keep]);
            let shared = cut_shared()[i][e.needles.len() - 1];
            let whole = squeezed(last);
            prop_assume!(kept.trim_end().len() >= CUT_MIN && kept.trim_end().len() > shared);
            prop_assume!(kept.trim_end().len() * 3 >= whole.trim_end().len() * 2);
            let others = &e.needles[..e.needles.len() - 1];
            let ellipsis = if dots { "..." } else { "\u{2026}" };
            let tail = if tail { " (the message's end)" } else { "" };
            let text = format!("Dec 04 host dockerd-rootless.sh[812]: {} {}{ellipsis}{tail}", others.join(" "), &last[..keep]);
            let seen = squeezed(&text);
            prop_assume!(!e.unless.iter().any(|u| seen.contains(&squeezed(u))));
            // (Unless the kept words hold another entry whole.)
            prop_assume!(!TABLE.iter().zip(squeezed_table()).any(|(o, s)| o != e && s.matches(&seen)));
            prop_assert!(explain(&text).contains(&e), "{text}");
            prop_assert!(only_cut_short(&text, e) || squeezed_entry(e).unwrap().matches(&seen));
            prop_assert!(matched_line(&text, &[e]).is_some());
        }

        #[test]
        fn a_known_error_inside_any_text_is_found(prefix in "\\PC{0,50}", suffix in "\\PC{0,50}", i in 0..TABLE.len()) {
            let e = &TABLE[i];
            let text = format!("{prefix}{}{suffix}", e.needles.join(" "));
            // (Unless what is around it turns it into another message: `exit status 1` followed by `0`.)
            let seen = squeezed(&text);
            prop_assume!(!e.unless.iter().any(|u| seen.contains(&squeezed(u))));
            prop_assert!(explain(&text).contains(&e));
        }

        /// However its spaces were wrapped or widened.
        #[test]
        fn a_known_error_wrapped_anywhere_is_found(gaps in prop::collection::vec("[ \t\r\n]{1,3}", 64), i in 0..TABLE.len()) {
            let e = &TABLE[i];
            let mut gap = gaps.iter().cycle();
            let text: String = e
                .needles
                .join(" ")
                .split(' ')
                .map(|w| format!("{w}{}", gap.next().unwrap()))
                .collect();
            prop_assert!(explain(&text).contains(&e), "{:?}", text);
        }
    }
}
