//! Networking: the RootlessKit network drivers on this host, the rootless binaries, the port and ping sysctls; DNS
//! for containers (what Docker hands them from the host's resolv.conf); and the host's network stack as Docker meets
//! it: IP forwarding, the network managers that touch Docker's interfaces, rootless DNS and MTU.

use super::{Check, Judges, Scope, sysctl_file, unreadable};
use crate::facts::dockerd::flag;
use crate::facts::{Access, Facts, FileKind, Permission, Read, Unit};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::{glob, netplan, pkgdb, resolv, unit};

const TUN_CONF: &str = include_str!("../../profiles/modules-load.d/rootless-docker-tun.conf");
const PING_CONF: &str = include_str!("../../profiles/sysctl/52-rootless-ping.conf");
const PORTS_CONF: &str = include_str!("../../profiles/sysctl/53-rootless-privileged-ports.conf");

/// slirp4netns learned `--netns-type` (how dockerd-rootless.sh detects a usable one) in v0.4.0.
const SLIRP_MIN: (u64, u64, u64) = (0, 4, 0);
/// Docker's docs: pasta needs passt 2023_12_04 or later.
const PASTA_MIN: (u32, u32, u32) = (2023, 12, 4);
/// dockerd-rootless.sh accepts pasta from Docker 25.0 and picks it by itself from 28.5.2 (moby's contrib/dockerd-rootless.sh at those tags).
const DOCKER_PASTA: (u64, u64, u64) = (25, 0, 0);
const DOCKER_PASTA_AUTO: (u64, u64, u64) = (28, 5, 2);
/// From 29.5 dockerd-rootless.sh falls back to RootlessKit's built-in gvisor-tap-vsock when no other driver is found.
const DOCKER_FALLBACK: (u64, u64, u64) = (29, 5, 0);
/// 28.5.2 printed the new "One of …" line without `exit 1` (restored in docker-v29.0.0).
const DOCKER_EXIT_RESTORED: (u64, u64, u64) = (29, 0, 0);

/// What dockerd-rootless.sh of Docker `v` (before 29.5) makes users see when it finds no network driver, from moby's
/// contrib/dockerd-rootless.sh at the tags: v20.10.24 to v28.5.1 print `Either …` and exit 1; v28.5.2 prints `One of …`
/// and carries on, so RootlessKit gets `--net=` and stops on it (cmd/rootlesskit/main.go, v1.1.0 and v2.3.4, the one
/// 28.5 bundles); docker-v29.0.0 to v29.4.x print `One of …` and exit 1.
fn no_driver_error(v: (u64, u64, u64)) -> &'static str {
    if v < DOCKER_PASTA_AUTO {
        "stops with \"Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed\""
    } else if v < DOCKER_EXIT_RESTORED {
        "prints \"One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed\" \
but carries on, and RootlessKit stops with \"[rootlesskit:parent] error: unknown network mode: \""
    } else {
        "stops with \"One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed\""
    }
}

/// The installed Docker engine's version, from the package database.
fn docker_version(f: &Facts) -> Option<(String, (u64, u64, u64))> {
    f.docker_version()
}

/// systemd-resolved's stub; Docker then reads the upstream servers from RESOLVED (libnetwork resolvconf.Path).
const STUB: &str = "127.0.0.53";
const RESOLVED: &str = "/run/systemd/resolve/resolv.conf";
/// NetworkManager's copy of resolv.conf with the network's own servers, which it writes when it runs a local
/// resolver (`dns=dnsmasq`, `dns=systemd-resolved`) and lists that in /etc/resolv.conf (NetworkManager.conf(5), `rc-manager`).
const NM_UPSTREAM: &str = "/run/NetworkManager/no-stub-resolv.conf";

/// Where systemd-networkd reads .network files, highest priority first (netplan writes to /run).
const NETWORKD_DIRS: &[&str] = &[
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network",
    "/lib/systemd/network",
];

/// One of Docker's interfaces, as the network managers' matches see it.
struct Iface {
    name: &'static str,
    /// The kernel driver (netplan's `match: driver:`, networkd's `Driver=`).
    driver: &'static str,
    /// networkd's `Type=` (the device type: a bridge, or plain ether for a veth).
    devtype: &'static str,
    /// networkd's `Kind=` (the netdev kind).
    kind: &'static str,
}

/// The names Docker gives its interfaces, to test patterns against: the default bridge, a user network's bridge, a veth.
const DOCKER_IFACES: &[Iface] = &[
    Iface {
        name: "docker0",
        driver: "bridge",
        devtype: "bridge",
        kind: "bridge",
    },
    Iface {
        name: "br-0123456789ab",
        driver: "bridge",
        devtype: "bridge",
        kind: "bridge",
    },
    Iface {
        name: "veth1234567",
        driver: "veth",
        devtype: "ether",
        kind: "veth",
    },
];

/// The name Docker's troubleshooting guide gives networkd's "leave Docker alone" file, then lower-sorting ones for when a catch-all sorts first.
const UNMANAGED_NAMES: &[&str] = &["docker.network", "00-docker.network", "0-docker.network"];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "network.driver",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "A usable RootlessKit network driver is installed (slirp4netns >= 0.4.0, pasta >= 2023_12_04, or vpnkit)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/rootless-containers/slirp4netns/issues/116; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/lxcusernic/lxcusernic.go; lxc-usernet(5)",
        explain: "\
What it checks: slirp4netns, pasta and vpnkit on PATH, and their versions from the package database (dpkg, pacman), in the order \
dockerd-rootless.sh tries them: slirp4netns (needs 0.4.0 or later), pasta (passt 2023_12_04 or later), vpnkit; a start \
that would fall back to VPNKit, the slowest driver, without a word, warns. \
No process is run to learn a version; where the database can't say, the version is reported as unknown. \
When the start will use slirp4netns sandboxed (--slirp4netns-sandbox=auto, the script's default, or true) and \
/etc/resolv.conf is a symbolic link, whether the sandbox, which keeps only /etc and /run, can follow it \
(slirp4netns 1.2.1 and later also bind a final target outside them). With any driver, that /etc/hosts can be read \
by the user: RootlessKit's child copies it into the namespace's /etc, reading it as root of a user namespace that maps \
only the user's ids. With \
DOCKERD_ROOTLESS_ROOTLESSKIT_NET=lxc-user-nic (RootlessKit's experimental driver), instead: the setuid-root helper \
lxc-user-nic where RootlessKit looks for it, a line of /etc/lxc/lxc-usernet granting the user (or `@group`) a veth on \
the bridge (lxcbr0 unless --lxc-user-nic-bridge), and that bridge.

Why it matters: the network driver carries every packet of every container. Without one, Docker up to 29.4 refuses to start \
(RootlessKit 3 in Docker 29.5+ falls back to its built-in gvisor-tap-vsock). passt releases before 2023_12_04, like Debian 12's \
0.0~git20230309, are too old for rootless Docker's pasta mode.

What you see when it's wrong: a sandbox that cannot follow /etc/resolv.conf leaves the start working and DNS \
dead: lookups through 10.0.2.3 in the namespace and in containers time out (`connection timed out; no servers could \
be reached`). An /etc/hosts the user cannot read: `[rootlesskit:child ] error: open /etc/hosts: permission denied`, \
and RootlessKit 1.1.0 with the builtin port driver never returns. lxc-user-nic without a quota or a bridge: `[rootlesskit:parent] error: failed to setup network …: \
/usr/libexec/lxc/lxc-user-nic failed: …: main: Quota reached`. Without a driver, up to 28.5.1, `Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed`; \
in 28.5.2 the script prints `One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed` \
without stopping, and the failure is RootlessKit's `[rootlesskit:parent] error: unknown network mode: ` (the script passes \
an empty --net=); in 29.0 to 29.4 the same `One of …` line, and the script stops. Before it, \
`slirp4netns found but seems older than v0.4.0. Falling back to VPNKit.` (`Checking for other network drivers.` from 28.5.2).

How to fix: install slirp4netns (`sudo apt-get install -y slirp4netns`, `sudo dnf install -y slirp4netns`, …), \
or a recent passt for pasta. For the sandbox, point /etc/resolv.conf into /etc or /run, or set \
DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false.",
        packages: &["slirp4netns", "passt"],
        removes: &[],
        run: driver,
    },
    Check {
        id: "network.tun",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "/dev/net/tun exists as a character device the user can read and write",
        reference: "https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; https://docs.kernel.org/networking/tuntap.html",
        explain: "\
What it checks: that /dev/net/tun exists, is a character device, and that its mode and owner let the user open it for reading \
and writing (normally 0666 root:root), and that it is the tun device, number 10:200 (checked where the host reports the number: \
always on a real host, in a fixture only with `device`). The doctor reads the device in its own mount namespace, the one a start \
by hand inherits; it considers the owner, the user's primary group and everyone else, not supplementary groups.

Why it matters: every network driver dockerd-rootless.sh picks (slirp4netns, pasta, vpnkit, RootlessKit 3's gvisor-tap-vsock) \
puts a TAP device into the rootless network namespace, and RootlessKit creates it with `ip tuntap add`, which opens \
/dev/net/tun. Containers, LXC guests without an `lxc.mount.entry` for it, and minimal VMs without the tun module lack the device.

What you see when it's wrong: RootlessKit stops with `open: No such file or directory` and `setting up tap tap0: executing \
[[nsenter -t PID -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: exit status 1`; another device at that \
path: `ioctl(TUNSETIFF): Inappropriate ioctl for device`, then the same `exit status 1`.

How to fix: load the tun module now and at every boot: `sudo modprobe tun` and list it in \
/etc/modules-load.d/rootless-docker-tun.conf; inside a container or LXC guest, have the host pass /dev/net/tun in; a device \
with the wrong mode: `sudo chmod 0666 /dev/net/tun`; another device there: remove it and `sudo mknod -m 0666 /dev/net/tun c 10 200`.",
        packages: &[],
        removes: &[],
        run: tun,
    },
    Check {
        id: "network.binaries",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "rootlesskit, dockerd and dockerd-rootless.sh are installed (with versions)",
        reference: "https://docs.docker.com/engine/security/rootless/; https://github.com/rootless-containers/rootlesskit/releases",
        explain: "\
What it checks: rootlesskit (or docker-rootlesskit), dockerd and dockerd-rootless.sh on PATH, in ~/bin (get.docker.com/rootless) \
or where the distribution keeps the rootless scripts (Debian's docker.io: /usr/share/docker.io/contrib), with versions from the \
package database.

Why it matters: preflight runs before installation, so a missing binary is expected, not broken; the versions decide which \
features and bugs apply (pasta needs Docker 25 and RootlessKit 2; RootlessKit 3.0.0 in Docker 29.5 broke UDP port publishing).

What you see when it's wrong: `dockerd-rootless.sh needs to be present under $PATH`, `rootlesskit needs to be installed`.

How to fix: install the rootless extras: `sudo apt-get install -y docker-ce-rootless-extras` (Docker's repository), \
`sudo apt-get install -y rootlesskit` with Debian's docker.io, or `curl -fsSL https://get.docker.com/rootless | sh` for ~/bin.",
        packages: &["rootlesskit"],
        removes: &[],
        run: binaries,
    },
    Check {
        id: "network.unprivileged_port_start",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Which ports below 1024 the rootless daemon may publish (net.ipv4.ip_unprivileged_port_start)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; capabilities(7)",
        explain: "\
What it checks: net.ipv4.ip_unprivileged_port_start, the lowest port an unprivileged process may bind. The default, 1024, \
means `-p 80:80` cannot work; a value above 1024 blocks ordinary ports too.

Why it matters: RootlessKit binds published ports on the host as you.

What you see when it's wrong: `Error starting userland proxy: error while calling PortManager.AddPort(): cannot expose privileged \
port 80, you might need to add \"net.ipv4.ip_unprivileged_port_start=0\" (currently 1024) to /etc/sysctl.conf, or set \
CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= 1024): listen tcp 0.0.0.0:80: bind: permission denied.`

How to fix: publish a port of 1024 or more (`-p 8080:80`); or `net.ipv4.ip_unprivileged_port_start=0` in /etc/sysctl.d (for boot) and \
`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0` (for now); or `sudo setcap cap_net_bind_service=ep $(which rootlesskit)` and restart the daemon.",
        packages: &[],
        removes: &[],
        run: unprivileged_port_start,
    },
    Check {
        id: "network.ping_group_range",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "ping works in containers (net.ipv4.ping_group_range is not \"1 0\")",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; icmp(7)",
        explain: "\
What it checks: net.ipv4.ping_group_range, the groups allowed to open ICMP echo sockets without privileges. \
\"1 0\" (an empty range, the kernel default) allows nobody.

Why it matters: in rootless mode, ping inside a container is an unprivileged ICMP socket on the host side.

What you see when it's wrong: `ping: socket: Operation not permitted` (or `permission denied`) inside containers.

How to fix: `net.ipv4.ping_group_range = 0 2147483647` in /etc/sysctl.d (for boot), and \
`sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'` (for now).",
        packages: &[],
        removes: &[],
        run: ping_group_range,
    },
    Check {
    id: "network.dns",
    area: "network",
    scope: Scope::CheckOnly,
    needs_runtime: false,
    per_user: true,
    judges: Judges::AnyDaemon,
    title: "Containers get a DNS server they can reach (no loopback-only resolv.conf)",
    reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://github.com/moby/moby/blob/v26.1.0/libnetwork/internal/resolvconf/resolvconf.go#L231; resolv.conf(5)",
    explain: "\
What it checks: the nameservers in /etc/resolv.conf the way Docker reads them: loopback servers (127.0.0.0/8, ::1) are dropped, \
because a container's 127.0.0.1 is the container itself; with only systemd-resolved's stub (127.0.0.53) Docker reads the upstream \
servers from /run/systemd/resolve/resolv.conf instead; a `dns` key in daemon.json (/etc/docker/daemon.json, or \
~/.config/docker/daemon.json for rootless) overrides it all. It also looks for the usual cause: dnsmasq running, and \
NetworkManager configured with `dns=dnsmasq`.

Why it matters: when nothing usable is left, Docker silently falls back to Google's public servers, which fails on networks \
that block outside DNS and leaks names that should stay internal.

What you see when it's wrong: dockerd logs `No non-localhost DNS nameservers are left in resolv.conf. Using default \
external servers` (Docker 20.10 to 29; the docs quote older Docker's `WARNING: Local (127.0.0.1) DNS resolver found in \
resolv.conf and containers can't use it. Using default external servers : [8.8.8.8 8.8.4.4]`), then lookups that time \
out inside containers.

How to fix: give Docker the real upstream servers: `{\"dns\": [\"10.0.0.2\", \"8.8.8.8\"]}` in daemon.json (then restart the daemon; \
when NetworkManager lists the network's own servers in /run/NetworkManager/no-stub-resolv.conf, `fix --apply` sets them in \
~/.config/docker/daemon.json, keeping its other settings, and they are this network's: set them again on another); \
or stop NetworkManager from running dnsmasq: comment out `dns=dnsmasq` in /etc/NetworkManager/NetworkManager.conf and \
`sudo systemctl restart NetworkManager` (or `sudo restart network-manager` on old Ubuntu); or, for a dnsmasq of the host's own \
(RHEL, Fedora without NetworkManager's `dns=dnsmasq`), `sudo systemctl stop dnsmasq` and `sudo systemctl disable dnsmasq`.",
    packages: &[],
    removes: &[],
    run: dns,
    },
    Check {
        id: "network.ip_forward",
        area: "network",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "IP forwarding is on for the rootful daemon, and systemd-networkd does not turn it off",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; systemd.network(5)",
        explain: "\
What it checks: net.ipv4.ip_forward and the per-interface net.ipv4.conf.*.forwarding; whether systemd-networkd is in use \
(enabled or running) and which of its .network files (/etc/systemd/network, /run/systemd/network — where netplan writes — \
/usr/lib/systemd/network, each with its NAME.network.d/*.conf drop-ins) set no IPForward= (IPv4Forwarding= since systemd 256); the systemd version from the package database \
or libsystemd-shared-NNN.so. It applies to a rootful daemon: rootless networking runs through slirp4netns or pasta in user \
space and does not route through the host.

Why it matters: dockerd turns forwarding on when it starts, but since systemd 220 networkd sets \
net.ipv4.conf.<interface>.forwarding to off for every interface it configures without IPForward=, and containers lose the \
network.

What you see when it's wrong: containers resolve nothing and reach nothing outside the host; `docker run busybox ping 8.8.8.8` \
times out while the host is online.

How to fix: add `IPForward=true` (or `IPForward=kernel` on old systemd) to the [Network] section of the .network file, e.g. \
/usr/lib/systemd/network/80-container-host0.network, or better a drop-in next to it in /etc; then `systemctl restart systemd-networkd` \
and `systemctl restart docker`.",
        packages: &[],
        removes: &[],
        run: ip_forward,
    },
    Check {
        id: "network.managers",
        area: "network",
        scope: Scope::CheckOnly,
        needs_runtime: false,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "No network manager takes over Docker's interfaces (NetworkManager, systemd-networkd, netplan, netscript)",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; NetworkManager.conf(5); systemd.network(5)",
        explain: "\
What it checks: NetworkManager (installed or running): is docker0 unmanaged (unmanaged-devices=interface-name:… in \
NetworkManager.conf and conf.d, or `iface docker0 inet manual` in /etc/network/interfaces(.d)); systemd-networkd: a .network file \
that is the first, in networkd's lexical order, whose [Match] Name= catches docker0, br-* or veth* (or that matches every \
interface), drop-ins included, without `Unmanaged=yes` in [Link]; netplan: a device in /etc/netplan, /run/netplan or \
/lib/netplan whose `match:` (name and driver globs) catches them, or a netplan bridge or other device called docker0; netscript \
installed. It applies to a rootful daemon: the rootless daemon's \
bridges live in RootlessKit's network namespace, out of the host managers' sight.

Why it matters: a manager that thinks it owns docker0 or a veth reconfigures or deletes it; networks and published ports \
vanish at random.

What you see when it's wrong: `docker0` without its address, containers that lose connectivity after a DHCP renewal, \
`networkctl` or `nmcli device` listing docker0 as configured.

How to fix: Docker's remedies: uninstall netscript (`apt-get remove netscript-2.4`); for NetworkManager, \
/etc/network/interfaces.d/20-docker0 with `iface docker0 inet manual` (or `unmanaged-devices=interface-name:docker0;interface-name:br-*;interface-name:veth*` \
under [keyfile]) and restart NetworkManager; for networkd, /etc/systemd/network/docker.network with `[Match]` `Name=docker0 br-* veth*` \
and `[Link]` `Unmanaged=yes` (named 00-docker.network when a catch-all such as netplan's 10-netplan-*.network sorts \
before docker.network), then restart systemd-networkd; for netplan, narrow the match (e.g. `name: en*`) and `netplan apply`.",
        packages: &[],
        removes: &["netscript"],
        run: managers,
    },
    Check {
        id: "network.rootless",
        area: "network",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Rootless containers' DNS through slirp4netns works, and the MTU fits RootlessKit's",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/rootless-containers/slirp4netns/issues/116; https://github.com/rootless-containers/slirp4netns/issues/318; https://github.com/rootless-containers/slirp4netns/issues/333",
        explain: "\
What it checks: for a running rootless daemon with the slirp4netns network driver: whether slirp4netns runs sandboxed \
(--enable-sandbox, RootlessKit's --slirp4netns-sandbox=auto) and, if so, whether /etc/resolv.conf resolves inside the sandbox, which \
keeps only /etc and /run (slirp4netns ≥ 1.2.1 also binds a target outside them, but never intermediate links such as \
/var/run/…); then the MTU: RootlessKit's --mtu (DOCKERD_ROOTLESS_ROOTLESSKIT_MTU) against the `mtu` in the rootless daemon.json.

Why it matters: slirp4netns answers the containers' DNS at 10.0.2.3 by forwarding to the nameservers in the host's \
/etc/resolv.conf, read inside its sandbox; a resolv.conf it cannot reach there means no DNS at all. A container MTU above the \
TAP device's drops every large packet.

What you see when it's wrong: `nslookup: can't resolve` / `Temporary failure in name resolution` in every rootless container \
while IP addresses work; large downloads that stall.

How to fix: point /etc/resolv.conf at a file under /etc or /run (`sudo ln -sf /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf`), \
upgrade slirp4netns, or add `--slirp4netns-sandbox=false` to DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS; for the MTU, make daemon.json's \
`mtu` no larger than DOCKERD_ROOTLESS_ROOTLESSKIT_MTU (or drop it).",
        packages: &["slirp4netns"],
        removes: &[],
        run: rootless_net,
    },
];

/// An installed program: where, and which version the package database records for it.
struct Installed {
    path: String,
    package: Option<(String, String)>,
}

/// Looks `binary` up on the user's PATH (plus `extra` dirs) and asks the package database for `packages`.
fn installed(f: &Facts, binary: &str, extra: &[String], packages: &[&str]) -> Option<Installed> {
    let mut dirs = f.path_dirs();
    dirs.extend(extra.iter().cloned());
    let path = f.first_in(binary, &dirs)?;
    // A binary in the user's home or /usr/local was not installed by the package manager.
    let packaged = path.starts_with("/usr/bin/")
        || path.starts_with("/usr/sbin/")
        || path.starts_with("/bin/")
        || path.starts_with("/sbin/")
        || path.starts_with("/usr/share/")
        || path.starts_with("/usr/libexec/");
    let package = if packaged {
        packages
            .iter()
            .find_map(|p| f.package_version(p).map(|v| ((*p).to_owned(), v)))
    } else {
        None
    };
    Some(Installed { path, package })
}

fn describe(i: &Installed) -> String {
    match &i.package {
        Some((p, v)) => format!("{} (package {p} {v})", i.path),
        None => format!("{} (version not recorded in a package database)", i.path),
    }
}

fn driver(f: &Facts) -> Verdict {
    if f.start_driver().and_then(|s| s.driver.as_deref()) == Some("lxc-user-nic") {
        return lxc_user_nic(f);
    }
    let d = f.distro();
    let slirp = installed(f, "slirp4netns", &[], &[d.package("slirp4netns")]);
    let pasta = installed(f, "pasta", &[], &[d.package("passt")]);
    let vpnkit = installed(f, "vpnkit", &[], &[]);
    let mut evidence = Vec::new();
    let mut usable = Vec::new();
    let mut notes = Vec::new();
    match &slirp {
        Some(i) => {
            evidence.push(Evidence {
                source: i.path.clone(),
                detail: describe(i),
            });
            let version = i
                .package
                .as_ref()
                .and_then(|(_, v)| pkgdb::semver_prefix(pkgdb::upstream_version(v)));
            match version {
                Some(v) if v < SLIRP_MIN => notes.push(format!(
                    "slirp4netns {}.{}.{} is older than 0.4.0 (\"slirp4netns found but seems older than v0.4.0\")",
                    v.0, v.1, v.2
                )),
                Some(_) => usable.push("slirp4netns"),
                None => usable.push("slirp4netns (version unknown)"),
            }
        }
        None => evidence.push(Evidence {
            source: "slirp4netns".into(),
            detail: "not on PATH".into(),
        }),
    }
    match &pasta {
        Some(i) => {
            evidence.push(Evidence {
                source: i.path.clone(),
                detail: describe(i),
            });
            let date = i.package.as_ref().and_then(|(_, v)| pkgdb::pasta_date(v));
            match date {
                Some(dt) if dt < PASTA_MIN => notes.push(format!(
                    "pasta {:04}_{:02}_{:02} is older than 2023_12_04, which rootless Docker's pasta mode needs",
                    dt.0, dt.1, dt.2
                )),
                Some(_) => usable.push("pasta"),
                None => usable.push("pasta (version unknown)"),
            }
        }
        None => evidence.push(Evidence {
            source: "pasta".into(),
            detail: "not on PATH".into(),
        }),
    }
    if let Some(i) = &vpnkit {
        evidence.push(Evidence {
            source: i.path.clone(),
            detail: describe(i),
        });
        usable.push("vpnkit");
    }
    // pasta first means slirp4netns is not usable: whether dockerd-rootless.sh takes pasta depends on Docker's version.
    if usable.first().is_some_and(|u| u.starts_with("pasta"))
        && let Some((pkg, v)) = docker_version(f)
    {
        evidence.push(Evidence {
            source: "package database".into(),
            detail: pkg.clone(),
        });
        if v < DOCKER_PASTA {
            usable.retain(|u| !u.starts_with("pasta"));
            notes.push(format!("{pkg} predates pasta support (Docker 25.0)"));
        } else if v < DOCKER_PASTA_AUTO {
            let rest: Vec<&str> = usable[1..].to_vec();
            let mut summary = format!(
                "{pkg} picks pasta only when asked (DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta; automatic from 28.5.2)"
            );
            if !rest.is_empty() {
                summary.push_str(&format!("; without that it uses {}", rest.join(", ")));
            }
            let r = Remediation::text(
                "Install slirp4netns, or set DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta and DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit \
for the daemon (in ~/.config/systemd/user/docker.service.d/override.conf under [Service] as Environment= lines).",
            );
            return Verdict::warn(summary)
                .with_evidence(evidence)
                .fix(r.steps(d.install_step(&["slirp4netns"])));
        }
    }
    // DOCKERD_ROOTLESS_ROOTLESSKIT_NET in the daemon's environment decides, not the script's search: a driver asked
    // for that is not here stops RootlessKit, whatever else is installed (an override.conf that outlived the
    // package it names, as after Docker 29.5's packages stopped depending on slirp4netns).
    let asked_by = f
        .start_driver()
        .filter(|sd| sd.source.starts_with("DOCKERD_ROOTLESS_ROOTLESSKIT_NET="));
    if let Some(sd) = asked_by
        && let Some(n) = sd.driver.as_deref()
        && let Some((package, found)) = match n {
            "slirp4netns" => Some(("slirp4netns", &slirp)),
            "pasta" => Some(("passt", &pasta)),
            "vpnkit" => Some(("", &vpnkit)),
            _ => None,
        }
        && found.is_none()
        // A RootlessKit built without the driver refuses it first (start.environment quotes that).
        && !d.quirks.rootlesskit_without_networks.iter().any(|w| w == n)
    {
        let mut r = Remediation::text(format!(
            "Install {n}, or take DOCKERD_ROOTLESS_ROOTLESSKIT_NET (and a _PORT_DRIVER that goes with it) out of {} \
(`rootless-doctor net` says what else this host can run), then restart the daemon.",
            sd.source
        ));
        if !package.is_empty() {
            r = r.steps(d.install_step(&[package]));
        }
        return Verdict::fail(format!(
            "{} names {n}, which is not installed (not on PATH): RootlessKit stops with \"[rootlesskit:parent] error: exec: \\\"{n}\\\": executable file not found in $PATH\"",
            sd.source
        ))
        .with_evidence(evidence)
        .fix(r);
    }
    if let Some(first) = usable.first() {
        let asked = asked_by.and_then(|sd| sd.driver.as_deref());
        let mut summary = match asked {
            Some(n) => format!(
                "dockerd-rootless.sh will use {n}, as DOCKERD_ROOTLESS_ROOTLESSKIT_NET asks (usable: {})",
                usable.join(", ")
            ),
            None => format!("dockerd-rootless.sh will pick {first}"),
        };
        if asked.is_none() && usable.len() > 1 {
            summary.push_str(&format!(" (also usable: {})", usable[1..].join(", ")));
        }
        if !notes.is_empty() {
            summary.push_str(&format!("; {}", notes.join("; ")));
        }
        if asked != Some("host")
            && let Some((ev, problem, fix)) = etc_hosts(f)
        {
            evidence.push(ev);
            return Verdict::fail(format!("{summary}; but {problem}"))
                .with_evidence(evidence)
                .fix(fix);
        }
        if let Some((ev, problem)) = sandbox_dns(f) {
            evidence.extend(ev);
            if let Some(problem) = problem {
                return Verdict::warn(format!("{summary}; but {problem}"))
                    .with_evidence(evidence)
                    .fix(Remediation::text(
                        "Point /etc/resolv.conf at a file under /etc or /run (e.g. systemd-resolved's stub), upgrade \
slirp4netns (1.2.1 and later bind a final target outside them), or start RootlessKit without the sandbox: \
DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false for the daemon.",
                    ));
            }
        }
        // The script's last resort: with neither slirp4netns nor pasta it takes VPNKit without a word, the slowest
        // driver of the rootless page's table.
        if asked.is_none() && *first == "vpnkit" {
            return Verdict::warn(format!(
                "{summary}, as neither slirp4netns nor pasta is usable: VPNKit is the slowest network driver, and dockerd-rootless.sh falls back to it without a word"
            ))
            .with_evidence(evidence)
            .fix(
                Remediation::text("Install slirp4netns (or passt, for pasta), then restart the daemon:")
                    .steps(d.install_step(&["slirp4netns"])),
            );
        }
        return Verdict::pass(summary).with_evidence(evidence);
    }
    // Which Docker will run decides what "no driver" means: before 29.5 the script stops, from 29.5 it falls back.
    let version = docker_version(f);
    if let Some((pkg, _)) = &version
        && !evidence.iter().any(|e| e.source == "package database")
    {
        evidence.push(Evidence {
            source: "package database".into(),
            detail: pkg.clone(),
        });
    }
    let mut summary = match &version {
        Some((pkg, v)) if *v < DOCKER_FALLBACK => format!(
            "no usable network driver: dockerd-rootless.sh of {pkg} {}",
            no_driver_error(*v)
        ),
        Some((pkg, _)) => format!(
            "no usable network driver: {pkg} falls back to the slower built-in gvisor-tap-vsock"
        ),
        None => "no usable network driver: dockerd-rootless.sh stops (before 28.5.2 with \"Either slirp4netns (>= v0.4.0) or \
vpnkit needs to be installed\", in 28.5.2 with RootlessKit's \"unknown network mode: \", in 29.0 to 29.4 with \"One of \
slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed\"); 29.5+ falls back to the slower \
built-in gvisor-tap-vsock".to_owned(),
    };
    if !notes.is_empty() {
        summary.push_str(&format!(" ({})", notes.join("; ")));
    }
    let r = Remediation::text(format!(
        "Install {} (the default, and the fastest to set up).",
        d.package_list(&["slirp4netns"])
    ));
    let verdict = match &version {
        Some((_, v)) if *v < DOCKER_FALLBACK => Verdict::fail(summary),
        _ => Verdict::warn(summary),
    };
    verdict
        .with_evidence(evidence)
        .fix(r.steps(d.install_step(&["slirp4netns"])))
}

/// Row 3.6: with a network driver, RootlessKit's child copies /etc/hosts into the namespace's /etc (`writeEtcHosts`:
/// `os.ReadFile("/etc/hosts")`, then its hostname appended, RootlessKit v1.1.0 to v3.0.1 pkg/child/hosts.go). It reads
/// the host's file through the copy-up's link, as root of a user namespace that maps only the user and their
/// subordinate ids, so the user's own permission to read it decides. The problem, what RootlessKit prints, and the
/// fix; `None` when the user can read it (or it cannot be told).
fn etc_hosts(f: &Facts) -> Option<(Evidence, String, Remediation)> {
    const HOSTS: &str = "/etc/hosts";
    const READ: Access = Access {
        read: true,
        write: false,
        exec: false,
    };
    let (errno, detail) = match f.read(HOSTS) {
        Read::Missing => ("no such file or directory", "missing".to_owned()),
        Read::Failed(e) if e.contains("permission denied") => ("permission denied", e),
        Read::Failed(_) => return None,
        Read::Ok(_) => match f.access(HOSTS, READ) {
            Read::Ok(Permission::Denied(why)) => ("permission denied", why),
            _ => return None,
        },
    };
    let detail = match f.stat(HOSTS) {
        Read::Ok(m) => format!(
            "{detail}; {}, mode {:04o}, owner uid {}, group {}",
            m.kind.describe(),
            m.mode,
            m.uid,
            m.gid
        ),
        _ => detail,
    };
    let problem = format!(
        "RootlessKit's child, which copies /etc/hosts into the namespace's /etc, cannot read it as {}: \
\"[rootlesskit:child ] error: open /etc/hosts: {errno}\" (RootlessKit 1.1.0 with the builtin port driver then waits forever)",
        f.user.name
    );
    let fix = if errno == "permission denied" {
        Remediation::text("Make /etc/hosts readable by everyone, as it is by default:")
            .steps([Step::set_mode(true, HOSTS, 0o644)])
    } else {
        Remediation::text(
            "Create /etc/hosts (every distribution ships one; at least `127.0.0.1 localhost`):",
        )
        .steps([Step::write_file(
            true,
            HOSTS,
            "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
        )])
    };
    Some((
        Evidence {
            source: HOSTS.into(),
            detail,
        },
        problem,
        fix,
    ))
}

/// The TAP device every network driver needs (docs/launch-sequence.md, row 4.3). `Meta` carries no device number,
/// so a character device at /dev/net/tun is taken for the tun device.
/// The tun device's number (Documentation/admin-guide/devices.txt: char 10, minor 200).
const TUN_DEVICE: (u32, u32) = (10, 200);

fn tun(f: &Facts) -> Verdict {
    const TUN: &str = "/dev/net/tun";
    let load = || {
        Remediation::text("Load the tun module now and at every boot (inside a container or LXC guest, have the host pass /dev/net/tun in):")
            .steps([
                Step::load_module("tun"),
                Step::write_file(true, "/etc/modules-load.d/rootless-docker-tun.conf", TUN_CONF),
            ])
    };
    let meta = match f.stat(TUN) {
        Read::Ok(m) => m,
        Read::Missing => {
            return Verdict::fail(
                "/dev/net/tun is missing: RootlessKit's `ip tuntap add name tap0 mode tap` stops with \"open: No such file or directory\"",
            )
            .evidence(TUN, "missing")
            .fix(load());
        }
        Read::Failed(e) => return unreadable(TUN, &e),
    };
    let mut detail = format!(
        "{}, mode {:04o}, owner {}:{}",
        meta.kind.describe(),
        meta.mode,
        meta.uid,
        meta.gid
    );
    if let Some((major, minor)) = meta.rdev {
        detail.push_str(&format!(", device {major}:{minor}"));
    }
    if meta.kind != FileKind::CharDevice {
        return Verdict::fail(format!(
            "/dev/net/tun is a {}, not the tun character device: RootlessKit cannot create its TAP device",
            meta.kind.describe()
        ))
        .evidence(TUN, detail)
        .fix(load());
    }
    let shift = if meta.uid == f.user.uid {
        6
    } else if meta.gid == f.user.gid {
        3
    } else {
        0
    };
    if (meta.mode >> shift) & 0o6 != 0o6 {
        return Verdict::fail(format!(
            "{} cannot open /dev/net/tun for reading and writing (mode {:04o}, owner {}:{}): RootlessKit's `ip tuntap add` fails",
            f.user.name, meta.mode, meta.uid, meta.gid
        ))
        .evidence(TUN, detail)
        .fix(Remediation::text("Give everyone read and write access, as udev does:").steps([Step::set_mode(true, TUN, 0o666)]));
    }
    match meta.rdev {
        Some(TUN_DEVICE) => Verdict::pass("/dev/net/tun is the tun device (10:200), and the user can read and write it"),
        Some((major, minor)) => {
            return Verdict::fail(format!(
                "/dev/net/tun is character device {major}:{minor}, not the tun device 10:200: RootlessKit's `ip tuntap add` \
fails with \"ioctl(TUNSETIFF): Inappropriate ioctl for device\""
            ))
            .evidence(TUN, detail)
            .fix(Remediation::text("Replace it with the tun device (inside a container or LXC guest, have the host pass /dev/net/tun in):").steps([
                Step::remove(true, TUN),
                Step::root(["mknod", "-m", "0666", TUN, "c", "10", "200"]),
            ]));
        }
        None => Verdict::pass("/dev/net/tun is a character device the user can read and write (device number not checked)"),
    }
    .evidence(TUN, detail)
}

fn binaries(f: &Facts) -> Verdict {
    let d = f.distro();
    let home_bin = format!("{}/bin", f.user.home.trim_end_matches('/'));
    let mut extra = vec![home_bin, "/usr/sbin".to_owned(), "/sbin".to_owned()];
    extra.extend(d.defaults.rootless_script_dirs.iter().cloned());
    // RootlessKit's version is the shared fact's (symbolic links followed, the bundling table, Go build
    // information): the one dockerd-rootless.sh will exec when it is the one found here.
    let rootlesskit = ["docker-rootlesskit", "rootlesskit"]
        .iter()
        .find_map(|name| {
            let mut dirs = f.path_dirs();
            dirs.extend(extra.iter().cloned());
            f.first_in(name, &dirs)
        });
    let rootlesskit = rootlesskit.map(|found| {
        let version = f.rootlesskit_version_at(&found);
        format!("{} ({})", version.path, version.detail)
    });
    let lookups: [(&str, Option<String>); 3] = [
        ("rootlesskit", rootlesskit),
        (
            "dockerd",
            installed(f, "dockerd", &extra, &d.package_alternatives("docker"))
                .map(|i| describe(&i)),
        ),
        (
            "dockerd-rootless.sh",
            installed(
                f,
                "dockerd-rootless.sh",
                &extra,
                &[d.package("docker_rootless"), d.package("docker")],
            )
            .map(|i| describe(&i)),
        ),
    ];
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    for (name, found) in &lookups {
        match found {
            Some(detail) => evidence.push(Evidence {
                source: (*name).to_owned(),
                detail: detail.clone(),
            }),
            None => {
                missing.push(*name);
                evidence.push(Evidence {
                    source: (*name).to_owned(),
                    detail: "not found".into(),
                });
            }
        }
    }
    if missing.is_empty() {
        return Verdict::pass("rootlesskit, dockerd and dockerd-rootless.sh are installed")
            .with_evidence(evidence);
    }
    let own = d.package_list(&["rootlesskit"]);
    // Where the distribution has no RootlessKit program of its own (RHEL, Fedora), the data names Docker's
    // package for it.
    let first = if own == d.package_list(&["docker_rootless"]) {
        format!(
            "{own} from Docker's repository (this distribution packages no RootlessKit program)"
        )
    } else {
        format!("{own} from the distribution, or Docker's docker-ce-rootless-extras")
    };
    let r = Remediation::text(format!(
        "Install Docker's rootless pieces: {first}, or the static bundle in ~/bin (get.docker.com/rootless; then \
rootlesskit needs its own AppArmor profile on Ubuntu 24.04)."
    ));
    Verdict::warn(format!("not installed yet: {}", missing.join(", ")))
        .with_evidence(evidence)
        .fix(r.steps(d.install_step(&["rootlesskit"])))
}

fn unprivileged_port_start(f: &Facts) -> Verdict {
    const PATH: &str = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
    let fix = || {
        Remediation::text("Publish ports of 1024 and above (-p 8080:80), or let unprivileged processes bind every port:")
            .steps(sysctl_file("/etc/sysctl.d/53-rootless-privileged-ports.conf", PORTS_CONF))
            .by_hand("two ways: publish high ports, or let every user bind low ones")
    };
    match f.sysctl_int("net.ipv4.ip_unprivileged_port_start") {
        Read::Missing => Verdict::skip("the kernel has no ip_unprivileged_port_start (before 4.11): ports below 1024 need CAP_NET_BIND_SERVICE"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(Err(e)) => Verdict::error(format!("{PATH} does not hold a number: {e}")).evidence(PATH, e),
        Read::Ok(Ok(0)) => Verdict::pass("every port can be published (ip_unprivileged_port_start = 0)").evidence(PATH, "0"),
        // RootlessKit's own remedy: its parent binds the builtin port driver's host ports with the capability.
        Read::Ok(Ok(v)) if let Some(rk) = f.rootlesskit_bind_cap() => Verdict::pass(format!(
            "every port can be published with the builtin port driver: {rk} carries CAP_NET_BIND_SERVICE (ip_unprivileged_port_start = {v}; the slirp4netns port driver binds in slirp4netns, which lacks it, so there -p below {v} still fails)"
        ))
        .evidence(PATH, v.to_string())
        .evidence("security.capability", format!("{rk}: cap_net_bind_service")),
        Read::Ok(Ok(v)) if v <= 1024 => Verdict::pass(format!(
            "ports {v} and above can be published; -p with a host port below {v} fails with \"cannot expose privileged port\""
        ))
        .evidence(PATH, v.to_string())
        .fix(fix()),
        Read::Ok(Ok(v)) => Verdict::warn(format!(
            "ip_unprivileged_port_start = {v}: even unprivileged ports 1024-{} cannot be published", v - 1
        ))
        .evidence(PATH, v.to_string())
        .fix(fix()),
    }
}

fn ping_group_range(f: &Facts) -> Verdict {
    const PATH: &str = "/proc/sys/net/ipv4/ping_group_range";
    let fix = || {
        Remediation::text("Allow every group to ping, now and at every boot:").steps(sysctl_file(
            "/etc/sysctl.d/52-rootless-ping.conf",
            PING_CONF,
        ))
    };
    match f.sysctl("net.ipv4.ping_group_range") {
        Read::Missing => Verdict::skip("the kernel has no ping_group_range"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(text) => match crate::parse::sysctl::parse_int_pair(&text) {
            Err(e) => Verdict::error(format!("{PATH} is not two numbers: {e}")).evidence(PATH, text),
            Ok((lo, hi)) if lo > hi => Verdict::warn(format!(
                "ping_group_range = {lo} {hi} allows no group: ping fails inside containers"
            ))
            .evidence(PATH, format!("{lo} {hi}"))
            .fix(fix()),
            Ok((lo, hi)) if i64::from(f.user.gid) < lo || i64::from(f.user.gid) > hi => Verdict::warn(format!(
                "ping_group_range = {lo} {hi} leaves out {}'s group {}: ping fails inside containers",
                f.user.name, f.user.gid
            ))
            .evidence(PATH, format!("{lo} {hi}"))
            .fix(fix()),
            Ok((lo, hi)) => Verdict::pass(format!("ping_group_range = {lo} {hi} includes gid {}", f.user.gid)).evidence(PATH, format!("{lo} {hi}")),
        },
    }
}

/// `dns` in either daemon's configuration.
fn configured_dns(f: &Facts) -> Option<(String, String)> {
    // The rootful daemon's file, then the rootless one's (the same path storage.data_root reads).
    for path in ["/etc/docker/daemon.json".to_owned(), f.daemon_json_path()] {
        if let Read::Ok(text) = f.read_config(&path)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(list) = v
                .get("dns")
                .and_then(|d| d.as_array())
                .filter(|a| !a.is_empty())
        {
            let servers: Vec<String> = list
                .iter()
                .filter_map(|s| s.as_str())
                .map(str::to_owned)
                .collect();
            return Some((path, servers.join(" ")));
        }
    }
    None
}

/// Whether NetworkManager runs dnsmasq for the host (`dns=dnsmasq` in its main configuration or conf.d).
fn networkmanager_dnsmasq(f: &Facts) -> Option<String> {
    let mut files = vec!["/etc/NetworkManager/NetworkManager.conf".to_owned()];
    if let Read::Ok(names) = f.read_dir("/etc/NetworkManager/conf.d") {
        files.extend(
            names
                .into_iter()
                .filter(|n| n.ends_with(".conf"))
                .map(|n| format!("/etc/NetworkManager/conf.d/{n}")),
        );
    }
    files.into_iter().find(|p| {
        f.read(p).ok().is_some_and(|t| {
            t.lines().any(|l| {
                let l = l.trim();
                !l.starts_with('#') && l.replace(' ', "") == "dns=dnsmasq"
            })
        })
    })
}

fn dns(f: &Facts) -> Verdict {
    const PATH: &str = "/etc/resolv.conf";
    let text = match f.read(PATH) {
        Read::Ok(t) => t,
        Read::Missing => {
            return Verdict::warn(
                "no /etc/resolv.conf: Docker gives containers 8.8.8.8 and 8.8.4.4",
            )
            .evidence(PATH, "missing");
        }
        Read::Failed(e) => return unreadable(PATH, &e),
    };
    let (servers, errors) = resolv::parse(&text);
    let mut evidence: Vec<Evidence> = servers
        .iter()
        .map(|n| Evidence {
            source: format!("{PATH}:{}", n.line),
            detail: format!("nameserver {}", n.addr),
        })
        .collect();
    evidence.extend(errors.iter().map(|e| Evidence {
        source: format!("{PATH}:{}", e.line),
        detail: e.message.clone(),
    }));
    if let Read::Ok(target) = f.read_link(PATH) {
        evidence.push(Evidence {
            source: PATH.into(),
            detail: format!("symlink to {target}"),
        });
    }
    if let Some((path, list)) = configured_dns(f) {
        return Verdict::pass(format!("daemon.json sets dns: {list}"))
            .with_evidence(evidence)
            .evidence(path, format!("dns = {list}"));
    }
    let usable: Vec<String> = servers
        .iter()
        .filter(|n| !n.is_loopback())
        .map(|n| n.addr.to_string())
        .collect();
    if !usable.is_empty() {
        return Verdict::pass(format!("containers get {}", usable.join(", ")))
            .with_evidence(evidence);
    }
    // Only loopback: the systemd-resolved stub is fine when its upstream file has real servers.
    if !servers.is_empty()
        && servers.iter().all(|n| n.addr.to_string() == STUB)
        && let Read::Ok(up) = f.read(RESOLVED)
    {
        let upstream: Vec<String> = resolv::parse(&up)
            .0
            .into_iter()
            .filter(|n| !n.is_loopback())
            .map(|n| n.addr.to_string())
            .collect();
        if !upstream.is_empty() {
            return Verdict::pass(format!(
                    "systemd-resolved's stub: Docker gives containers its upstream servers {} from {RESOLVED}",
                    upstream.join(", ")
                ))
                .with_evidence(evidence)
                .evidence(RESOLVED, upstream.join(" "));
        }
        evidence.push(Evidence {
            source: RESOLVED.into(),
            detail: "no non-loopback nameserver".into(),
        });
    }
    let dnsmasq = match f.processes() {
        Read::Ok(list) => list.iter().any(|p| p.name == "dnsmasq"),
        _ => false,
    };
    let nm = networkmanager_dnsmasq(f);
    if dnsmasq {
        evidence.push(Evidence {
            source: "/proc".into(),
            detail: "dnsmasq is running".into(),
        });
    }
    if let Some(p) = &nm {
        evidence.push(Evidence {
            source: p.clone(),
            detail: "dns=dnsmasq".into(),
        });
    }
    let loopback: Vec<String> = servers.iter().map(|n| n.addr.to_string()).collect();
    // The network's own servers, when NetworkManager says which they are.
    let upstream: Vec<String> = match f.read(NM_UPSTREAM) {
        Read::Ok(t) => resolv::parse(&t)
            .0
            .into_iter()
            .filter(|n| !n.is_loopback())
            .map(|n| n.addr.to_string())
            .collect(),
        _ => Vec::new(),
    };
    if !upstream.is_empty() {
        evidence.push(Evidence {
            source: NM_UPSTREAM.into(),
            detail: format!("the network's servers: {}", upstream.join(" ")),
        });
    }
    // A dnsmasq of its own (no NetworkManager behind it): the documents' remedy is to stop and disable it.
    let standalone = dnsmasq && nm.is_none();
    let json = f.daemon_json_path();
    let set_dns = (!upstream.is_empty())
        .then(|| {
            let dns = serde_json::Value::from(upstream.clone());
            super::daemon_json_edit(
                f,
                &json,
                false,
                [("dns".to_owned(), dns)].into_iter().collect(),
                &[],
            )
        })
        .flatten();
    if let Some(edit) = set_dns {
        let mut fix = Remediation::text(format!(
            "Give the rootless daemon the network's real DNS servers, {} (NetworkManager's, from {NM_UPSTREAM}), as the \
`dns` list in {json}, then restart it. They are this network's servers: on another network, change them again{}.",
            upstream.join(", "),
            if nm.is_some() {
                " (or stop NetworkManager from running dnsmasq: comment out `dns=dnsmasq` and restart NetworkManager)"
            } else if standalone {
                " (or stop the host's own dnsmasq, as Docker's documentation says: `sudo systemctl stop dnsmasq` and `sudo systemctl disable dnsmasq`)"
            } else {
                ""
            }
        ))
        .step(edit);
        if f.systemd && matches!(f.user_docker_service(), Read::Ok(_)) {
            fix = fix.step(Step::user(["systemctl", "--user", "try-restart", "docker"]));
        }
        return Verdict::warn(loopback_summary(&loopback))
            .with_evidence(evidence)
            .fix(fix);
    }
    let mut fix = Remediation::text(
        "Give Docker the network's real DNS servers with a `dns` list in daemon.json (/etc/docker/daemon.json, or \
~/.config/docker/daemon.json for rootless), then restart the daemon.",
    );
    if let Some(p) = nm {
        fix.text.push_str(&format!(
            " Or stop NetworkManager from running dnsmasq: comment out `dns=dnsmasq` in {p} and restart NetworkManager:"
        ));
        fix = fix
            .step(Step::root(["systemctl", "restart", "NetworkManager"]))
            .by_hand("two ways, and both need an edit by hand");
    } else if standalone {
        fix.text.push_str(
            " Or, as Docker's documentation says for a dnsmasq of the host's own, stop it and keep it from starting again (then point /etc/resolv.conf at the network's servers):",
        );
        fix = fix
            .step(Step::root(["systemctl", "stop", "dnsmasq"]))
            .step(Step::root(["systemctl", "disable", "dnsmasq"]))
            .by_hand("two ways: the daemon's `dns` list, or the host without dnsmasq");
    }
    Verdict::warn(loopback_summary(&loopback))
        .with_evidence(evidence)
        .fix(fix)
}

fn loopback_summary(loopback: &[String]) -> String {
    format!(
        "/etc/resolv.conf has only loopback resolvers ({}): dockerd logs \"No non-localhost DNS nameservers are left in resolv.conf. Using default external servers\" and gives containers Google's public servers",
        if loopback.is_empty() {
            "none at all".to_owned()
        } else {
            loopback.join(", ")
        }
    )
}

/// Whether a rootful Docker is installed or running here (the host-network checks are about it).
fn rootful_present(f: &Facts) -> Option<String> {
    if let Some(p) = f.rootful_dockerd().first() {
        return Some(format!("a rootful dockerd runs (pid {p})"));
    }
    if let Read::Ok(u) = f.docker_service()
        && !u.masked
    {
        return Some(format!("docker.service is installed ({})", u.files[0].0));
    }
    ["/usr/bin/dockerd", "/usr/sbin/dockerd"]
        .into_iter()
        .find(|p| matches!(f.stat(p), Read::Ok(_)))
        .map(|p| format!("{p} is installed"))
}

const NO_ROOTFUL: &str = "no rootful Docker here: rootless networking runs in RootlessKit's namespace through slirp4netns or pasta, out of reach of host forwarding and network managers";

/// The .network files networkd uses: one per file name, the highest-priority directory winning.
fn network_files(f: &Facts) -> Vec<Unit> {
    let mut names = std::collections::BTreeSet::new();
    for dir in NETWORKD_DIRS {
        if let Read::Ok(list) = f.read_dir(dir) {
            names.extend(list.into_iter().filter(|n| n.ends_with(".network")));
        }
    }
    // networkd reads them in lexical order of their names, whatever the directory; a name in a higher-priority
    // directory hides the same name below (f.unit finds it), and `NAME.d/*.conf` drop-ins add to it. A masked file
    // (a link to /dev/null, or empty) is skipped.
    names
        .into_iter()
        .filter_map(|n| match f.unit(&n, NETWORKD_DIRS) {
            Read::Ok(u) if !u.masked => Some(u),
            _ => None,
        })
        .collect()
}

/// A .network file's main path.
fn main_path(u: &Unit) -> &str {
    u.files.first().map_or(u.name.as_str(), |(p, _)| p.as_str())
}

/// The effective value of a single-valued setting: its last assignment, drop-ins after the main file.
fn value<'a>(u: &'a Unit, section: &str, key: &str) -> Option<&'a unit::Entry> {
    u.files
        .iter()
        .rev()
        .flat_map(|(_, entries)| entries.iter().rev())
        .find(|e| e.section == section && e.key == key)
}

/// A [Match] condition as networkd tests it (`net_condition_test_strv`): the words of every assignment, merged (an
/// empty one resets), a line starting with `!` negating its words; a negated word that matches fails, and when plain
/// words exist one must match. `None` is a property the interface lacks (a virtual device's Path=), which no
/// pattern matches.
fn condition(u: &Unit, key: &str, value: Option<&str>) -> bool {
    let mut positive = false;
    let mut matched = false;
    for (_, e) in u.effective("Match", key) {
        let (invert, words) = match e.value.trim().strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, e.value.trim()),
        };
        for w in words.split_whitespace() {
            positive |= !invert;
            if value.is_some_and(|v| glob::matches(w, v)) {
                if invert {
                    return false;
                }
                matched = true;
            }
        }
    }
    !positive || matched
}

/// Whether a .network file's [Match] catches one of Docker's interfaces: every condition holds. A file without
/// [Match] settings catches everything; MAC addresses, paths, udev properties and Wi-Fi settings name real hardware,
/// never Docker's virtual interfaces; host conditions (Host=, Virtualization=, …) are taken as true.
fn catches(u: &Unit, iface: &Iface) -> bool {
    condition(u, "Name", Some(iface.name))
        && condition(u, "OriginalName", Some(iface.name))
        && condition(u, "Driver", Some(iface.driver))
        && condition(u, "Type", Some(iface.devtype))
        && condition(u, "Kind", Some(iface.kind))
        && [
            "MACAddress",
            "PermanentMACAddress",
            "Path",
            "Property",
            "SSID",
            "BSSID",
            "WLANInterfaceType",
        ]
        .iter()
        .all(|k| condition(u, k, None))
}

/// Whether systemd-networkd is in use: enabled, or running.
fn networkd_in_use(f: &Facts) -> Option<String> {
    let running = f
        .processes()
        .ok()
        .is_some_and(|l| l.iter().any(|p| p.name == "systemd-network"));
    if running {
        return Some("systemd-networkd runs".into());
    }
    f.unit_enabled("systemd-networkd.service")
        .map(|p| format!("systemd-networkd is enabled ({p})"))
}

/// systemd's major version: the package database, else the libsystemd-shared-NNN.so file name.
fn systemd_version(f: &Facts) -> Option<u32> {
    if let Some(v) = f.package_version("systemd") {
        let digits: String = v
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse() {
            return Some(n);
        }
    }
    for dir in ["/usr/lib/systemd", "/lib/systemd", "/usr/lib64/systemd"] {
        if let Read::Ok(names) = f.read_dir(dir)
            && let Some(n) = names.iter().find_map(|n| {
                n.strip_prefix("libsystemd-shared-")?
                    .split(['.', '-'])
                    .next()?
                    .parse()
                    .ok()
            })
        {
            return Some(n);
        }
    }
    None
}

fn ip_forward(f: &Facts) -> Verdict {
    let Some(rootful) = rootful_present(f) else {
        return Verdict::skip(NO_ROOTFUL);
    };
    let mut evidence = vec![Evidence {
        source: "rootful Docker".into(),
        detail: rootful,
    }];
    let running = !f.rootful_dockerd().is_empty();
    let global = match f.sysctl("net.ipv4.ip_forward") {
        Read::Ok(v) => v.trim().to_owned(),
        Read::Missing => {
            return Verdict::skip(
                "no /proc/sys/net/ipv4/ip_forward: this kernel has no IPv4 forwarding to judge",
            )
            .with_evidence(evidence);
        }
        Read::Failed(e) => return super::unreadable("/proc/sys/net/ipv4/ip_forward", &e),
    };
    evidence.push(Evidence {
        source: "/proc/sys/net/ipv4/ip_forward".into(),
        detail: global.clone(),
    });
    let mut off = Vec::new();
    if let Read::Ok(ifaces) = f.read_dir("/proc/sys/net/ipv4/conf") {
        for i in ifaces
            .iter()
            .filter(|i| !matches!(i.as_str(), "lo" | "default"))
        {
            if let Read::Ok(v) = f.read(&format!("/proc/sys/net/ipv4/conf/{i}/forwarding"))
                && v.trim() == "0"
            {
                off.push(i.clone());
            }
        }
    }
    if !off.is_empty() {
        evidence.push(Evidence {
            source: "/proc/sys/net/ipv4/conf/*/forwarding = 0".into(),
            detail: off.join(" "),
        });
    }
    let dockerd_args = f
        .rootful_dockerd()
        .first()
        .and_then(|p| f.cmdline(*p).ok().cloned())
        .unwrap_or_default();
    let forwarding_disabled = dockerd_args.iter().any(|a| a == "--ip-forward=false");
    if running && global == "0" && !forwarding_disabled {
        return Verdict::fail("net.ipv4.ip_forward is 0 while the rootful daemon runs: dockerd set it at start and something reset it, so containers cannot reach beyond the host")
            .with_evidence(evidence)
            .fix(Remediation::text("Turn it back on and find what resets it (a sysctl.d file, systemd-networkd without IPForward=):")
                .step(Step::sysctl("net.ipv4.ip_forward", "1")));
    }
    let Some(networkd) = networkd_in_use(f) else {
        return Verdict::pass(format!(
            "net.ipv4.ip_forward = {global}{}; systemd-networkd is not in use",
            if running {
                ""
            } else {
                " (dockerd sets it to 1 when it starts)"
            }
        ))
        .with_evidence(evidence);
    };
    evidence.push(Evidence {
        source: "systemd-networkd".into(),
        detail: networkd,
    });
    let version = systemd_version(f);
    evidence.push(Evidence {
        source: "systemd version".into(),
        detail: version.map_or("unknown".into(), |v| v.to_string()),
    });
    if version.is_some_and(|v| v < 220) {
        return Verdict::pass("systemd older than 220: networkd leaves forwarding alone")
            .with_evidence(evidence);
    }
    let files = network_files(f);
    let lacking: Vec<&Unit> = files
        .iter()
        .filter(|u| {
            value(u, "Link", "Unmanaged").is_none_or(|v| !is_yes(&v.value))
                && ["IPForward", "IPv4Forwarding", "IPMasquerade"]
                    .iter()
                    .all(|k| {
                        value(u, "Network", k).is_none_or(|v| {
                            matches!(v.value.as_str(), "no" | "false" | "0" | "ipv6")
                        })
                    })
        })
        .collect();
    if lacking.is_empty() {
        return Verdict::pass(format!("net.ipv4.ip_forward = {global}; every .network file of systemd-networkd sets IPForward="))
            .with_evidence(evidence);
    }
    let mut steps = Vec::new();
    for u in &lacking {
        let dropin_dir = format!("/etc/systemd/network/{}.d", u.name);
        let dropin = format!("{dropin_dir}/docker-ip-forward.conf");
        steps.push(Step::make_dir(true, dropin_dir.as_str()));
        steps.push(Step::write_file(
            true,
            dropin.as_str(),
            "[Network]\nIPForward=true\n",
        ));
    }
    steps.push(Step::root(["systemctl", "restart", "systemd-networkd"]));
    steps.push(Step::root(["systemctl", "restart", "docker"]));
    Verdict::warn(format!(
        "systemd-networkd (systemd ≥ 220) turns forwarding off for the interfaces of {} ({}): they have no IPForward=, so containers lose the network when networkd configures them",
        lacking.iter().map(|u| main_path(u)).collect::<Vec<_>>().join(", "),
        if off.is_empty() { "none is off right now".to_owned() } else { format!("off now: {}", off.join(" ")) }
    ))
    .with_evidence(evidence)
    .fix(
        Remediation::text(
            "Add IPForward=true to the [Network] section of each, through a drop-in in /etc (it survives package and netplan updates), then restart networkd and Docker:",
        )
        .steps(steps),
    )
}

fn is_yes(v: &str) -> bool {
    matches!(v.trim(), "yes" | "true" | "1" | "on")
}

/// NetworkManager's unmanaged-devices specs (`interface-name:docker0;interface-name:veth*`) from its configuration.
fn nm_unmanaged(f: &Facts) -> Vec<(String, String)> {
    let mut files = vec!["/etc/NetworkManager/NetworkManager.conf".to_owned()];
    for dir in [
        "/usr/lib/NetworkManager/conf.d",
        "/run/NetworkManager/conf.d",
        "/etc/NetworkManager/conf.d",
    ] {
        if let Read::Ok(names) = f.read_dir(dir) {
            files.extend(
                names
                    .into_iter()
                    .filter(|n| n.ends_with(".conf"))
                    .map(|n| format!("{dir}/{n}")),
            );
        }
    }
    let mut specs = Vec::new();
    for path in files {
        if let Read::Ok(text) = f.read(&path) {
            for line in text.lines() {
                let line = line.trim();
                if let Some(v) = line.strip_prefix("unmanaged-devices") {
                    let v = v.trim_start().trim_start_matches('=');
                    for spec in v.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()) {
                        specs.push((path.clone(), spec.to_owned()));
                    }
                }
            }
        }
    }
    specs
}

/// Whether /etc/network/interfaces(.d) declares docker0 (`iface docker0 inet manual`).
fn ifupdown_docker0(f: &Facts) -> Option<String> {
    let mut files = vec!["/etc/network/interfaces".to_owned()];
    if let Read::Ok(names) = f.read_dir("/etc/network/interfaces.d") {
        files.extend(
            names
                .into_iter()
                .map(|n| format!("/etc/network/interfaces.d/{n}")),
        );
    }
    files.into_iter().find(|p| {
        f.read(p).ok().is_some_and(|t| {
            t.lines().any(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.first() == Some(&"iface") && w.get(1) == Some(&"docker0")
            })
        })
    })
}

fn managers(f: &Facts) -> Verdict {
    let Some(rootful) = rootful_present(f) else {
        return Verdict::skip(NO_ROOTFUL);
    };
    let mut evidence = vec![Evidence {
        source: "rootful Docker".into(),
        detail: rootful,
    }];
    let mut problems = Vec::new();
    let mut fix = Remediation::text("Tell each manager to leave Docker's interfaces alone:");
    // Why `fix` leaves the steps to the person, when part of the fix is a choice or an edit by hand.
    let mut by_hand: Option<&'static str> = None;
    // netscript
    let d = f.distro();
    // Only Debian and Ubuntu package it (netscript-2.4); elsewhere it is files put there by hand.
    let packaged = d.packages.contains_key("netscript");
    let netscript_pkg = d.package("netscript");
    let netscript = packaged
        .then(|| f.package_version(netscript_pkg))
        .flatten()
        .map(|v| format!("package {netscript_pkg} {v}"))
        .or_else(|| {
            ["/etc/netscript", "/sbin/netscript", "/usr/sbin/netscript"]
                .into_iter()
                .find(|p| matches!(f.lstat(p), Read::Ok(_)))
                .map(str::to_owned)
        });
    if let Some(n) = netscript {
        evidence.push(Evidence {
            source: "netscript".into(),
            detail: n.clone(),
        });
        problems.push(format!(
            "netscript is installed ({n}) and rewrites the host's interfaces and firewall"
        ));
        if packaged {
            fix = fix.steps(d.remove_step(&[netscript_pkg]));
        } else {
            fix = Remediation::text(
                "Tell each manager to leave Docker's interfaces alone; netscript is not packaged here: remove the files it was installed with (/etc/netscript and its script)",
            );
        }
        by_hand = Some("removing netscript is your choice");
    }
    // NetworkManager
    let nm_running = f
        .processes()
        .ok()
        .is_some_and(|l| l.iter().any(|p| p.name == "NetworkManager"));
    let nm_installed = nm_running
        || ["/usr/sbin/NetworkManager", "/usr/bin/NetworkManager"]
            .iter()
            .any(|p| matches!(f.stat(p), Read::Ok(_)));
    if nm_installed {
        let specs = nm_unmanaged(f);
        let covered = specs.iter().find(|(_, s)| {
            s.strip_prefix("interface-name:")
                .map(|p| p.trim_start_matches(['=', '~']))
                .is_some_and(|p| glob::matches(p, "docker0"))
                || s == "*"
        });
        let ifupdown = ifupdown_docker0(f);
        evidence.push(Evidence {
            source: "NetworkManager".into(),
            detail: format!(
                "{}; docker0 unmanaged by {}",
                if nm_running { "running" } else { "installed" },
                covered
                    .map(|(p, s)| format!("{s} in {p}"))
                    .or(ifupdown.clone())
                    .unwrap_or_else(|| "nothing".into())
            ),
        });
        if covered.is_none() && ifupdown.is_none() {
            problems.push("NetworkManager is installed and nothing marks docker0 unmanaged (no unmanaged-devices entry, no `iface docker0` in /etc/network/interfaces.d)".into());
            fix = fix
                .step(Step::write_file(
                    true,
                    "/etc/network/interfaces.d/20-docker0",
                    "iface docker0 inet manual\n",
                ))
                .step(Step::root(["systemctl", "restart", "NetworkManager"]));
        }
    }
    // systemd-networkd (netplan's generated files included): for each interface the first file in lexical order whose
    // [Match] catches it is the one applied.
    let files = network_files(f);
    // (file name, where its Name= is, interfaces it catches first)
    let mut networkd_hits: Vec<(String, String, Vec<&str>)> = Vec::new();
    let mut shadowed: Vec<((String, String), Vec<&str>)> = Vec::new();
    for iface in DOCKER_IFACES {
        let Some(first) = files.iter().find(|u| catches(u, iface)) else {
            continue;
        };
        if value(first, "Link", "Unmanaged").is_some_and(|u| is_yes(&u.value)) {
            continue;
        }
        let at = first
            .effective("Match", "Name")
            .first()
            .map_or(main_path(first).to_owned(), |(path, n)| {
                format!("{path}:{}", n.line)
            });
        for later in files.iter().skip_while(|u| u.name != first.name).skip(1) {
            if catches(later, iface)
                && value(later, "Link", "Unmanaged").is_some_and(|u| is_yes(&u.value))
            {
                let key = (main_path(later).to_owned(), first.name.clone());
                match shadowed.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, ifaces)) => ifaces.push(iface.name),
                    None => shadowed.push((key, vec![iface.name])),
                }
            }
        }
        match networkd_hits.iter_mut().find(|(n, _, _)| *n == first.name) {
            Some((_, _, ifaces)) => ifaces.push(iface.name),
            None => networkd_hits.push((first.name.clone(), at, vec![iface.name])),
        }
    }
    if !networkd_hits.is_empty() {
        let hits: Vec<String> = networkd_hits
            .iter()
            .map(|(_, at, ifaces)| format!("{at} catches {}", ifaces.join(", ")))
            .collect();
        evidence.push(Evidence {
            source: "systemd-networkd .network files".into(),
            detail: hits
                .iter()
                .cloned()
                .chain(shadowed.iter().map(|((later, first), ifaces)| {
                    format!(
                        "{later} (Unmanaged=yes) never applies to {}: {first} sorts before it",
                        ifaces.join(", ")
                    )
                }))
                .collect::<Vec<_>>()
                .join("; "),
        });
        problems.push(format!(
            "systemd-networkd configuration catches Docker's interfaces without Unmanaged=yes: {}",
            hits.join("; ")
        ));
        // The Unmanaged=yes file works only when it sorts before every file that catches Docker's interfaces: the
        // troubleshooting guide's docker.network when it does, else a lower-sorting name.
        let lowest = networkd_hits
            .iter()
            .map(|(n, _, _)| n.as_str())
            .min()
            .unwrap_or_default();
        match UNMANAGED_NAMES.iter().find(|n| **n < lowest) {
            Some(name) => {
                let path = format!("/etc/systemd/network/{name}");
                fix = Remediation::text(format!(
                    "{} networkd applies the first .network file in lexical order that matches, so the Unmanaged=yes file is {path}.",
                    fix.text
                ))
                .steps(fix.steps)
                .step(Step::write_file(
                    true,
                    path.as_str(),
                    "# Ensure that the Docker interfaces are unmanaged\n[Match]\nName=docker0 br-* veth*\n\n[Link]\nUnmanaged=yes\n",
                ))
                .step(Step::root(["systemctl", "restart", "systemd-networkd"]));
            }
            None => {
                fix = Remediation::text(format!(
                    "{} networkd applies the first .network file in lexical order that matches, and {lowest} sorts before any name for an Unmanaged=yes file: add `Name=!docker0 br-* veth*` to its [Match] (a drop-in in /etc/systemd/network/{lowest}.d/), then restart systemd-networkd.",
                    fix.text
                ))
                .steps(fix.steps);
                by_hand.get_or_insert("a .network file needs an edit by hand");
            }
        }
    }
    // netplan: *.yaml from /run, /etc and /lib (a name in an earlier one hides the same name in a later one), read in
    // lexical order of their names, later definitions amending earlier ones.
    let mut netplan_hits = Vec::new();
    let mut yaml: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for dir in ["/run/netplan", "/etc/netplan", "/lib/netplan"] {
        if let Read::Ok(names) = f.read_dir(dir) {
            for n in names.iter().filter(|n| n.ends_with(".yaml")) {
                yaml.entry(n.clone())
                    .or_insert_with(|| format!("{dir}/{n}"));
            }
        }
    }
    let mut parsed = Vec::new();
    for path in yaml.into_values() {
        let Read::Ok(text) = f.read(&path) else {
            continue;
        };
        let (devices, errors) = netplan::parse(&text);
        for e in errors {
            evidence.push(Evidence {
                source: format!("{path}:{}", e.line),
                detail: e.message,
            });
        }
        parsed.push((path, devices));
    }
    for d in netplan::merge(parsed) {
        let caught: Vec<&str> = DOCKER_IFACES
            .iter()
            .filter(|i| d.catches(i.name, i.driver))
            .map(|i| i.name)
            .collect();
        if caught.is_empty() {
            continue;
        }
        let how = match (&d.matching, &d.set_name) {
            (_, Some(name)) if caught.contains(&name.as_str()) => {
                format!(
                    "{}:{} ({} {}, set-name: {name})",
                    d.file, d.line, d.kind, d.id
                )
            }
            (Some(m), _) => {
                let mut props = Vec::new();
                if let Some(n) = &m.name {
                    props.push(format!("name: {n}"));
                }
                if !m.driver.is_empty() {
                    props.push(format!("driver: {}", m.driver.join(", ")));
                }
                if props.is_empty() {
                    props.push("an empty match".to_owned());
                }
                format!(
                    "{}:{} ({} {}, {})",
                    m.file,
                    m.line,
                    d.kind,
                    d.id,
                    props.join(", ")
                )
            }
            (None, _) => format!("{}:{} ({} {})", d.file, d.line, d.kind, d.id),
        };
        netplan_hits.push(format!("{how} catches {}", caught.join(", ")));
    }
    if !netplan_hits.is_empty() {
        evidence.push(Evidence {
            source: "netplan".into(),
            detail: netplan_hits.join("; "),
        });
        problems.push(format!(
            "netplan matches Docker's interfaces: {}",
            netplan_hits.join("; ")
        ));
        fix = Remediation::text(format!("{} Narrow each netplan match named to the real NICs (e.g. `name: en*`, or their `macaddress:`), rename a netplan device (or set-name:) called docker0, then run `sudo netplan apply`.", fix.text)).steps(fix.steps);
        by_hand.get_or_insert("netplan files need an edit by hand");
    }
    if problems.is_empty() {
        return Verdict::pass("no network manager here claims docker0, br-* or veth*")
            .with_evidence(evidence);
    }
    if let Some(why) = by_hand {
        fix = fix.by_hand(why);
    }
    Verdict::warn(problems.join("; "))
        .with_evidence(evidence)
        .fix(fix)
}

/// lxc-user-nic's quota file (lxc-usernet(5)).
const LXC_USERNET: &str = "/etc/lxc/lxc-usernet";

/// Row 4.7: `DOCKERD_ROOTLESS_ROOTLESSKIT_NET=lxc-user-nic` (RootlessKit's experimental driver): RootlessKit's
/// parent runs `lxc-user-nic create /dev/null dummy PID veth BRIDGE eth0` (RootlessKit v1.1.0 to v3.0.1
/// `pkg/network/lxcusernic`), a setuid-root helper that grants a veth on BRIDGE only within the quota of
/// /etc/lxc/lxc-usernet, and the child then asks DHCP on the bridge (lxc-net's dnsmasq, not judged).
fn lxc_user_nic(f: &Facts) -> Verdict {
    const PREFIX: &str = "[rootlesskit:parent] error: failed to setup network …: ";
    let flag = |name: &str| f.start_flags_value(name).filter(|v| !v.is_empty());
    let bridge = flag("lxc-user-nic-bridge").unwrap_or_else(|| "lxcbr0".to_owned());
    let mut evidence = vec![Evidence {
        source: "network driver".into(),
        detail: format!(
            "lxc-user-nic (experimental; {}), bridge {bridge}",
            f.start_driver()
                .map(|d| d.source.as_str())
                .unwrap_or_default()
        ),
    }];
    let package_fix = || {
        let d = f.distro();
        Remediation::text(format!(
            "Install {} (it ships the setuid helper lxc-user-nic), or use the default network driver: remove \
DOCKERD_ROOTLESS_ROOTLESSKIT_NET.",
            d.package_list(&["lxc_user_nic"])
        ))
        .steps(d.install_step(&["lxc_user_nic"]))
    };
    // RootlessKit's default (`lxcUserNicBin`), or "" when none exists.
    let helper = match flag("lxc-user-nic-binary") {
        Some(b) => Some(b),
        None => f.lxc_user_nic_default(),
    };
    let Some(helper) = helper else {
        return Verdict::fail(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=lxc-user-nic, but lxc-user-nic is not installed (none of \
/usr/libexec/lxc/, /usr/lib/*-linux-gnu/lxc/, /usr/lib/lxc/): RootlessKit stops with \"[rootlesskit:parent] error: \
exec: \"\": executable file not found in $PATH\"",
        )
        .with_evidence(evidence)
        .fix(package_fix());
    };
    let meta = match f.stat(&helper) {
        Read::Ok(m) => m,
        Read::Missing => {
            return Verdict::fail(format!(
                "--lxc-user-nic-binary={helper} does not exist: RootlessKit stops with \"[rootlesskit:parent] error: \
exec: \"{helper}\": stat {helper}: no such file or directory\""
            ))
            .with_evidence(evidence)
            .fix(package_fix());
        }
        Read::Failed(e) => return unreadable(&helper, &e),
    };
    evidence.push(Evidence {
        source: helper.clone(),
        detail: format!(
            "{}, mode {:04o}, owner {}:{}",
            meta.kind.describe(),
            meta.mode,
            meta.uid,
            meta.gid
        ),
    });
    if !(meta.kind == FileKind::File && meta.is_setuid() && meta.uid == 0) {
        return Verdict::fail(format!(
            "{helper} is not a setuid-root file (mode {:04o}, owner {}): it cannot create the veth pair for {}",
            meta.mode, meta.uid, f.user.name
        ))
        .with_evidence(evidence)
        .fix(Remediation::text("Reinstall the package that ships it, which installs it setuid root:").steps(f.distro().install_step(&["lxc_user_nic"])));
    }
    // The quota: a line for the user or one of their groups, type veth, this bridge (lxc 5.0 `get_alloted`).
    let text = match f.read(LXC_USERNET) {
        Read::Ok(t) => t.clone(),
        Read::Missing => {
            evidence.push(Evidence {
                source: LXC_USERNET.into(),
                detail: "missing".into(),
            });
            return Verdict::fail(format!(
                "{LXC_USERNET} is missing, so lxc-user-nic grants {} no interface: {PREFIX}{helper} failed: \
…: get_alloted - No such file or directory - Failed to open \"{LXC_USERNET}\" … main: Quota reached",
                f.user.name
            ))
            .with_evidence(evidence)
            .fix(quota_fix(f, &bridge));
        }
        Read::Failed(e) => return unreadable(LXC_USERNET, &e),
    };
    let mut groups: Vec<String> = Vec::new();
    if let Read::Ok(list) = f.groups() {
        for g in list.iter() {
            if g.gid == f.user.gid || g.members.contains(&f.user.name) {
                groups.push(g.name.to_owned());
            }
        }
    }
    let entries = crate::parse::lxc_usernet::parse(text.as_bytes());
    let mine: Vec<&crate::parse::lxc_usernet::Entry> = entries
        .iter()
        .filter(|e| {
            e.owner == f.user.name || e.group().is_some_and(|g| groups.iter().any(|n| n == g))
        })
        .collect();
    for e in &mine {
        evidence.push(Evidence {
            source: format!("{LXC_USERNET}:{}", e.line),
            detail: format!("{} {} {} {}", e.owner, e.kind, e.bridge, e.count),
        });
    }
    let granted = mine
        .iter()
        .find(|e| e.kind == "veth" && e.bridge == bridge && e.count > 0);
    let Some(granted) = granted else {
        return Verdict::fail(format!(
            "{LXC_USERNET} grants {} (or a group of theirs) no veth on {bridge}: {PREFIX}{helper} failed: … main: \
Quota reached",
            f.user.name
        ))
        .with_evidence(evidence)
        .fix(quota_fix(f, &bridge));
    };
    // The bridge, in this network namespace.
    let sys = format!("/sys/class/net/{bridge}");
    let is_bridge =
        matches!(f.stat(&format!("{sys}/bridge")), Read::Ok(m) if m.kind == FileKind::Dir);
    let exists = matches!(f.stat(&sys), Read::Ok(_));
    evidence.push(Evidence {
        source: sys.clone(),
        detail: match (exists, is_bridge) {
            (true, true) => "a bridge".into(),
            (true, false) => "an interface that is not a bridge".into(),
            _ => "missing".into(),
        },
    });
    if !is_bridge {
        return Verdict::fail(format!(
            "{}: lxc-user-nic cannot attach the veth pair: {PREFIX}{helper} failed: …: get_mtu: Could not get MTU \
for netdev {bridge} ifindex 0 … create_nic: Error attaching veth… to {bridge} … main: Quota reached",
            if exists {
                format!("{bridge} is not a bridge")
            } else {
                format!("there is no bridge {bridge}")
            }
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(format!(
            "Create the bridge with a DHCP server on it, as LXC's lxc-net service does for lxcbr0 (USE_LXC_BRIDGE=\"true\" \
in /etc/default/lxc-net, then start lxc-net), or name an existing one with --lxc-user-nic-bridge= in \
DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS and in {LXC_USERNET}."
        )));
    }
    Verdict::pass(format!(
        "lxc-user-nic (RootlessKit's experimental driver): {helper} is setuid root, {LXC_USERNET}:{} grants {} {} veth \
on {bridge}, and {bridge} is a bridge (the interfaces already in use, and DHCP on the bridge, are not judged)",
        granted.line, granted.owner, granted.count
    ))
    .with_evidence(evidence)
}

fn quota_fix(f: &Facts, bridge: &str) -> Remediation {
    let line = format!("{} veth {bridge} 1\n", f.user.name);
    Remediation::text(format!(
        "Grant {} an interface on {bridge} in {LXC_USERNET} (lxc-usernet(5): `user type bridge count`, or `@group …`):",
        f.user.name
    ))
    .steps([
        Step::make_dir(true, "/etc/lxc"),
        Step::append_line(true, LXC_USERNET, line),
    ])
}

/// Row 4.4: the start will run slirp4netns sandboxed (`--slirp4netns-sandbox=auto`, the script's default: on for a
/// slirp4netns of 0.4.0 or later, off with RootlessKit 2's `--detach-netns`), and /etc/resolv.conf is a symbolic link
/// the sandbox cannot follow (slirp4netns#116). Evidence only when /etc/resolv.conf is a link; the problem, when the
/// chain leaves /etc and /run.
fn sandbox_dns(f: &Facts) -> Option<(Vec<Evidence>, Option<String>)> {
    const SANDBOX: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX";
    const DETACH: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS";
    if !matches!(f.read_link("/etc/resolv.conf"), Read::Ok(_)) {
        return None;
    }
    if f.start_driver()?.driver.as_deref() != Some("slirp4netns") {
        return None;
    }
    let env = f.start_env()?;
    let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    // DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS comes after the script's own --slirp4netns-sandbox=$SANDBOX.
    let (mode, from) = match f.start_flags_value("slirp4netns-sandbox") {
        Some(v) => (v, "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS"),
        None => match var(SANDBOX) {
            Some(v) => (v, SANDBOX),
            None => ("auto".to_owned(), "the script's default"),
        },
    };
    let detached = f
        .rootless_script()
        .is_some_and(|s| s.mentions("--detach-netns"))
        && !matches!(var(DETACH).as_deref(), Some("0" | "false"));
    let sandboxed = match mode.as_str() {
        "true" => true,
        "auto" => !detached,
        _ => false,
    };
    let version = f.package_version(f.distro().package("slirp4netns"));
    let binds_target = version
        .as_deref()
        .is_some_and(|v| crate::distro::parse_version(v) >= vec![1, 2, 1]);
    let mut evidence = vec![Evidence {
        source: "slirp4netns sandbox".into(),
        detail: format!(
            "--slirp4netns-sandbox={mode} ({from}){}: {}",
            if mode == "auto" && detached {
                ", off with --detach-netns"
            } else {
                ""
            },
            if sandboxed {
                "sandboxed"
            } else {
                "not sandboxed"
            }
        ),
    }];
    if !sandboxed {
        return Some((evidence, None));
    }
    let (chain, broken) = sandbox_breaks(f, binds_target);
    evidence.push(Evidence {
        source: "/etc/resolv.conf".into(),
        detail: format!(
            "{} (slirp4netns {})",
            chain.join(" → "),
            version.as_deref().unwrap_or("version unknown")
        ),
    });
    let problem = broken.map(|hop| {
        format!(
            "slirp4netns runs sandboxed (--slirp4netns-sandbox={mode}), and /etc/resolv.conf leads through {hop}, which \
the sandbox (only /etc and /run) cannot see: the daemon and its containers get no answer from the DNS forwarder \
10.0.2.3 (\"connection timed out; no servers could be reached\"), and the start itself works: slirp4netns only \
logs a warning, which RootlessKit shows with --debug"
        )
    });
    Some((evidence, problem))
}

/// Follows /etc/resolv.conf's chain of links as slirp4netns's sandbox would see it: only /etc and /run exist
/// there (plus, from 1.2.1, the final target bind-mounted at its own path). Returns the hop that cannot be reached.
fn sandbox_breaks(f: &Facts, binds_target: bool) -> (Vec<String>, Option<String>) {
    let inside = |p: &str| ["/etc/", "/run/"].iter().any(|d| p.starts_with(d));
    let real = f.canonicalize("/etc/resolv.conf").ok().cloned();
    let mut chain = vec!["/etc/resolv.conf".to_owned()];
    let mut current = "/etc/resolv.conf".to_owned();
    for _ in 0..16 {
        let Read::Ok(target) = f.read_link(&current) else {
            break;
        };
        let next = if target.starts_with('/') {
            target
        } else {
            let dir = current.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{dir}/{target}")
        };
        chain.push(next.clone());
        let reachable = inside(&next) || (binds_target && real.as_deref() == Some(next.as_str()));
        if !reachable {
            return (chain, Some(next));
        }
        current = next;
    }
    (chain, None)
}

fn rootless_net(f: &Facts) -> Verdict {
    let Read::Ok(list) = f.processes() else {
        return Verdict::skip("cannot list processes");
    };
    let Some(rk) = list
        .iter()
        .find(|p| p.name == "rootlesskit" && p.uid == f.user.uid)
    else {
        return Verdict::skip(
            "no rootless daemon of yours runs (no rootlesskit process): nothing to judge",
        );
    };
    let argv = f.cmdline(rk.pid).ok().cloned().unwrap_or_default();
    let flag = |name: &str| flag(&argv, name).map(str::to_owned);
    let net = flag("net").unwrap_or_else(|| "host".into());
    let mut evidence = vec![Evidence {
        source: format!("/proc/{}/cmdline", rk.pid),
        detail: argv.join(" "),
    }];
    let mut problems = Vec::new();
    let mut fix = Remediation::text("");
    // DNS through slirp4netns's sandbox.
    if net == "slirp4netns" {
        let slirp = list
            .iter()
            .find(|p| p.name == "slirp4netns" && p.uid == f.user.uid);
        let slirp_argv = slirp
            .and_then(|p| f.cmdline(p.pid).ok().cloned())
            .unwrap_or_default();
        let sandboxed = if slirp.is_some() {
            slirp_argv.iter().any(|a| a == "--enable-sandbox")
        } else {
            flag("slirp4netns-sandbox").is_none_or(|v| v != "false")
        };
        let version = f.package_version(f.distro().package("slirp4netns"));
        let binds_target = version.as_deref().is_some_and(|v| {
            let n = crate::distro::parse_version(v);
            n >= vec![1, 2, 1]
        });
        evidence.push(Evidence {
            source: "slirp4netns".into(),
            detail: format!(
                "{}, version {}",
                if sandboxed {
                    "sandboxed"
                } else {
                    "not sandboxed"
                },
                version.as_deref().unwrap_or("unknown")
            ),
        });
        if sandboxed {
            let (chain, broken) = sandbox_breaks(f, binds_target);
            evidence.push(Evidence {
                source: "/etc/resolv.conf".into(),
                detail: chain.join(" → "),
            });
            if let Some(hop) = broken {
                problems.push(format!(
                    "/etc/resolv.conf leads through {hop}, which slirp4netns's sandbox (only /etc and /run) cannot see: containers get no DNS at 10.0.2.3 (\"Temporary failure in name resolution\")"
                ));
                fix = Remediation::text(
                    "Point /etc/resolv.conf at a file under /etc or /run (e.g. systemd-resolved's stub), upgrade slirp4netns (≥ 1.2.1 binds a final target outside them), or turn the sandbox off with --slirp4netns-sandbox=false in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS.",
                );
            }
        }
    }
    // MTU.
    let kit_mtu: u32 = flag("mtu").and_then(|m| m.parse().ok()).unwrap_or(
        if net == "slirp4netns" || net == "pasta" {
            65520
        } else {
            1500
        },
    );
    let json = f.daemon_json_path();
    let daemon_mtu = f
        .daemon_config(&json)
        .ok()
        .flatten()
        .and_then(|v| v.get("mtu").and_then(serde_json::Value::as_u64))
        .map(|m| m as u32);
    let container_mtu = daemon_mtu.unwrap_or(1500);
    evidence.push(Evidence {
        source: "MTU".into(),
        detail: format!(
            "RootlessKit {kit_mtu} ({}), containers {container_mtu} ({})",
            if flag("mtu").is_some() {
                "--mtu"
            } else {
                "default"
            },
            if daemon_mtu.is_some() {
                json.as_str()
            } else {
                "default"
            }
        ),
    });
    if container_mtu > kit_mtu {
        problems.push(format!(
            "containers use MTU {container_mtu} but RootlessKit's {net} device has {kit_mtu}: packets larger than {kit_mtu} bytes are dropped (large downloads stall)"
        ));
        let text = format!(
            "Set \"mtu\" in {json} to at most {kit_mtu} (or raise DOCKERD_ROOTLESS_ROOTLESSKIT_MTU), then restart the daemon."
        );
        fix = Remediation::text(if fix.text.is_empty() {
            text
        } else {
            format!("{} {text}", fix.text)
        });
    }
    if problems.is_empty() {
        return Verdict::pass(format!("network driver {net}: the containers' DNS path and MTU ({container_mtu} ≤ {kit_mtu}) work")).with_evidence(evidence);
    }
    Verdict::warn(problems.join("; "))
        .with_evidence(evidence)
        .fix(fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_etc_hosts_fails_the_driver_with_rootlesskits_child_error() {
        let v = check("debian-12-etc-hosts-unreadable", "network.driver");
        assert_eq!(v.status, crate::model::Status::Fail);
        assert!(
            v.summary
                .starts_with("dockerd-rootless.sh will pick slirp4netns")
                && v.summary
                    .contains("; but RootlessKit's child, which copies /etc/hosts")
                && v.summary
                    .contains("\"[rootlesskit:child ] error: open /etc/hosts: permission denied\""),
            "{}",
            v.summary
        );
        assert!(
            v.evidence
                .iter()
                .any(|e| e.source == "/etc/hosts" && e.detail.contains("mode 0600, owner uid 0")),
            "{:?}",
            v.evidence
        );
        let fix = crate::checks::test_support::fix(&v);
        assert_eq!(fix.steps[0].argv, ["chmod", "0644", "/etc/hosts"]);
    }

    #[test]
    fn a_missing_etc_hosts_fails_the_driver_and_says_how_to_create_one() {
        let v = check("debian-12-etc-hosts-missing", "network.driver");
        assert_eq!(v.status, crate::model::Status::Fail);
        assert!(
            v.summary.contains(
                "\"[rootlesskit:child ] error: open /etc/hosts: no such file or directory\""
            ),
            "{}",
            v.summary
        );
        let fix = crate::checks::test_support::fix(&v);
        assert_eq!(fix.steps[0].argv, ["tee", "/etc/hosts"]);
    }

    #[test]
    fn a_readable_etc_hosts_passes_the_driver() {
        let v = check("debian-12", "network.driver");
        assert_eq!(v.status, crate::model::Status::Pass, "{}", v.summary);
        assert!(!v.evidence.iter().any(|e| e.source == "/etc/hosts"));
    }

    #[test]
    fn tun_missing_fails_with_modprobe_and_modules_load() {
        let v = check("debian-12-no-tun", "network.tun");
        assert_eq!(v.status, crate::model::Status::Fail);
        assert!(
            v.summary.contains("open: No such file or directory"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [
                "sudo modprobe tun",
                "sudo tee /etc/modules-load.d/rootless-docker-tun.conf"
            ]
        );
    }

    #[test]
    fn regression_binaries_reported_a_symlink_to_the_packaged_rootlesskit_as_version_not_recorded()
    {
        // /usr/local/bin/rootlesskit links to Debian's packaged /usr/bin/rootlesskit: the package's version is the
        // one that runs (the shared fact start.environment and start.versions read).
        let v = check("debian-12-start-pasta-rootlesskit-1", "network.binaries");
        assert_eq!(v.status, crate::model::Status::Pass, "{}", v.summary);
        let rk = v
            .evidence
            .iter()
            .find(|e| e.source == "rootlesskit")
            .unwrap();
        assert_eq!(
            rk.detail,
            "/usr/local/bin/rootlesskit -> /usr/bin/rootlesskit (package rootlesskit 1.1.0-1)"
        );
        assert!(v.remediation.is_none());
    }

    #[test]
    fn tun_character_device_for_everyone_passes() {
        let v = check("debian-12", "network.tun");
        assert_eq!(v.status, crate::model::Status::Pass, "{}", v.summary);
    }

    #[test]
    fn tun_with_another_device_number_fails_with_mknod() {
        let v = check("debian-12-tun-wrong-device", "network.tun");
        assert_eq!(v.status, crate::model::Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("character device 1:3, not the tun device 10:200")
                && v.summary
                    .contains("ioctl(TUNSETIFF): Inappropriate ioctl for device"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [
                "sudo rm -- /dev/net/tun",
                "sudo mknod -m 0666 /dev/net/tun c 10 200"
            ]
        );
    }

    #[test]
    fn regression_network_driver_message_of_28_5_2_is_rootlesskits() {
        // 28.5.2's script prints "One of …" without exit 1, so users see RootlessKit's error on `--net=`.
        let v = check(
            "debian-12-no-network-driver-docker-28.5.2",
            "network.driver",
        );
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("\"[rootlesskit:parent] error: unknown network mode: \""),
            "{}",
            v.summary
        );
        assert!(v.summary.contains("but carries on"), "{}", v.summary);
        // 29.0 to 29.4: the same line, and the script stops.
        let v = check(
            "debian-12-no-network-driver-docker-29.1.0",
            "network.driver",
        );
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary.ends_with(
                "stops with \"One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed\""
            ),
            "{}",
            v.summary
        );
        // 20.10 (Debian 12's docker.io): the old line.
        let v = check("debian-12-no-network-driver", "network.driver");
        assert!(
            v.summary.ends_with(
                "stops with \"Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed\""
            ),
            "{}",
            v.summary
        );
    }

    /// Failure mode of 2026 (moby#52641): an override.conf that names slirp4netns outlived the package, and the check
    /// passed because another driver was installed.
    #[test]
    fn regression_a_driver_asked_for_by_name_and_removed_passed() {
        let v = check(
            "debian-12-unit-net-names-a-removed-driver",
            "network.driver",
        );
        assert_eq!(v.status, crate::model::Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("names slirp4netns, which is not installed (not on PATH)"),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), ["sudo apt-get install -y slirp4netns"]);
    }

    #[test]
    fn no_driver_error_by_version() {
        assert!(no_driver_error((28, 5, 1)).contains("Either"));
        assert!(no_driver_error((28, 5, 2)).contains("unknown network mode"));
        assert!(no_driver_error((29, 0, 0)).starts_with("stops with \"One of"));
        assert!(no_driver_error((29, 4, 3)).starts_with("stops with \"One of"));
    }

    /// A .network file and its drop-ins, as networkd merges them.
    fn network(texts: &[&str]) -> Unit {
        Unit {
            name: "x.network".into(),
            path: "/etc/systemd/network/0".into(),
            files: texts
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("/etc/systemd/network/{i}"), unit::parse(t).0))
                .collect(),
            errors: Vec::new(),
            masked: false,
        }
    }

    fn caught(texts: &[&str]) -> Vec<&'static str> {
        let u = network(texts);
        DOCKER_IFACES
            .iter()
            .filter(|i| catches(&u, i))
            .map(|i| i.name)
            .collect()
    }

    #[test]
    fn names_merge_negate_and_reset_as_networkd_does() {
        let all = ["docker0", "br-0123456789ab", "veth1234567"];
        assert_eq!(caught(&["[Match]\nName=*\n"]), all);
        assert_eq!(caught(&["[Match]\nName=en*\n"]), [] as [&str; 0]);
        // Lists merge: any word may match.
        assert_eq!(
            caught(&["[Match]\nName=en*\nName=veth*\n"]),
            ["veth1234567"]
        );
        // A drop-in excluding Docker's interfaces from a catch-all.
        assert_eq!(
            caught(&["[Match]\nName=*\n", "[Match]\nName=!docker0 br-* veth*\n"]),
            [] as [&str; 0]
        );
        // Negated words only: everything else matches.
        assert_eq!(
            caught(&["[Match]\nName=!docker0\n"]),
            ["br-0123456789ab", "veth1234567"]
        );
        // An empty assignment resets: the file matches everything again.
        assert_eq!(caught(&["[Match]\nName=en*\n", "[Match]\nName=\n"]), all);
        // No [Match] at all: everything.
        assert_eq!(caught(&["[Network]\nDHCP=yes\n"]), all);
    }

    #[test]
    fn other_match_keys_are_anded() {
        // netplan's `match: {name: "*", macaddress: …}` rendered for networkd.
        assert_eq!(
            caught(&["[Match]\nName=*\nPermanentMACAddress=52:54:00:12:34:56\n"]),
            [] as [&str; 0]
        );
        assert_eq!(
            caught(&["[Match]\nName=*\nDriver=e1000e\n"]),
            [] as [&str; 0]
        );
        assert_eq!(caught(&["[Match]\nDriver=veth\n"]), ["veth1234567"]);
        assert_eq!(
            caught(&["[Match]\nType=bridge\n"]),
            ["docker0", "br-0123456789ab"]
        );
        assert_eq!(
            caught(&["[Match]\nKind=!bridge\nName=*\n"]),
            ["veth1234567"]
        );
        // Virtual devices have no Path=: a positive pattern misses them, a negated one does not.
        assert_eq!(caught(&["[Match]\nPath=pci-*\n"]), [] as [&str; 0]);
        assert_eq!(caught(&["[Match]\nPath=!pci-*\n"]).len(), 3);
        // Host conditions hold.
        assert_eq!(
            caught(&["[Match]\nName=docker*\nVirtualization=no\n"]),
            ["docker0"]
        );
    }

    // Fixture hosts, judged in process (crate::checks::test_support).

    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    /// 18d86be and 247a8fc: networkd applies the first matching .network file in lexical order, so a netplan-generated
    /// catch-all (10-netplan-any-nic.network) wins over docker.network; the fix must name a file that sorts first.
    #[test]
    fn regression_no_network_driver_with_a_known_docker_before_29_5_fails() {
        // docker.io 24.0.7 is installed and only pasta is there: its dockerd-rootless.sh predates pasta and stops.
        let v = crate::checks::test_support::check(
            "ubuntu-24.04-pasta-without-profile",
            "network.driver",
        );
        assert_eq!(v.status, crate::model::Status::Fail, "{v:?}");
        assert!(
            v.summary
                .contains("dockerd-rootless.sh of docker.io 24.0.7-0ubuntu4.1 stops with"),
            "{}",
            v.summary
        );
        // Debian 12's docker.io 20.10 with a pasta too old for rootless Docker: the same.
        let v = crate::checks::test_support::check("debian-12-only-old-pasta", "network.driver");
        assert_eq!(v.status, crate::model::Status::Fail, "{v:?}");
        assert!(v.summary.contains("docker.io 20.10.24"), "{}", v.summary);
    }

    #[test]
    fn regression_networkd_first_match_order() {
        let v = check("debian-12-rootful-netplan-catch-all", "network.managers");
        assert_eq!(v.status, Status::Warn);
        let networkd = v
            .evidence
            .iter()
            .find(|e| e.source == "systemd-networkd .network files")
            .expect("networkd evidence");
        assert!(
            networkd.detail.contains(
                "/etc/systemd/network/docker.network (Unmanaged=yes) never applies to docker0, br-0123456789ab, veth1234567: 10-netplan-any-nic.network sorts before it"
            ),
            "{}",
            networkd.detail
        );
        assert!(
            fix(&v)
                .text
                .contains("so the Unmanaged=yes file is /etc/systemd/network/00-docker.network"),
            "{}",
            fix(&v).text
        );
        assert_eq!(
            steps(&v),
            [
                "sudo tee /etc/systemd/network/00-docker.network",
                "sudo systemctl restart systemd-networkd",
            ]
        );
    }

    /// 18d86be: a netplan device is named by its own file and line (not by the .network file netplan generated from
    /// it, nor as a catch-all when its match is uncertain), and networkd's generated file is networkd's.
    #[test]
    fn regression_netplan_attribution() {
        let v = check("debian-12-rootful-netplan-catch-all", "network.managers");
        let netplan = v
            .evidence
            .iter()
            .find(|e| e.source == "netplan")
            .expect("netplan evidence");
        assert_eq!(
            netplan.detail,
            "/etc/netplan/90-any-nic.yaml:7 (ethernets any-nic, name: *) catches docker0, br-0123456789ab, veth1234567; \
/etc/netplan/90-any-nic.yaml:11 (bridges docker0) catches docker0"
        );
        assert!(
            v.summary.starts_with(
                "systemd-networkd configuration catches Docker's interfaces without Unmanaged=yes: /run/systemd/network/10-netplan-any-nic.network:2 catches"
            ),
            "{}",
            v.summary
        );
    }

    /// 2cf6266 and beae6b0: an empty .network file is masked, as networkd treats it, and catches nothing.
    #[test]
    fn regression_empty_network_file_skipped() {
        let v = check("debian-12-rootful-healthy", "network.managers");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.remediation.is_none());
    }

    #[test]
    fn loopback_only_resolv_conf_warns_with_dockers_own_words() {
        let v = check("debian-12-daemon-dnsmasq", "network.dns");
        assert_eq!(v.status, Status::Warn);
        assert!(
            v.summary
                .contains("No non-localhost DNS nameservers are left in resolv.conf"),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), ["sudo systemctl restart NetworkManager"]);
    }
}
