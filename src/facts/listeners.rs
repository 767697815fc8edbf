//! Where every running dockerd listens: the hosts its setup names (`-H` on the command line the unit or the
//! process gives, `hosts` in its daemon.json, the default when neither does) and the listening sockets it really
//! holds (its descriptors' socket inodes matched in its network namespace's `net/unix`, `net/tcp` and `net/tcp6`).

use super::{Facts, Read};
use crate::parse::{net_tcp, net_unix};

/// One address a running dockerd listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// What starts it, for findings (`docker.service, the root dockerd 950`).
    pub label: String,
    pub pid: u32,
    pub rootless: bool,
    /// `unix:///var/run/docker.sock`, `tcp://127.0.0.1:4200`, `fd://` (systemd's socket activation).
    pub url: String,
    /// Where it was found: `-H in /proc/950/cmdline`, `hosts in /etc/docker/daemon.json`, `the default`,
    /// `/proc/950/net/tcp`.
    pub from: String,
    /// The inode of the listening socket the process holds, when its descriptors were read and one matched.
    pub inode: Option<u64>,
    /// systemd made it and passes it (`-H fd://`, docker.socket's `ListenStream=`): only restarting docker.socket
    /// makes its file again.
    pub socket_activated: bool,
}

impl Listener {
    /// A TCP address.
    pub fn is_tcp(&self) -> bool {
        self.url.starts_with("tcp://")
    }
}

impl Facts<'_> {
    /// Every address of every running dockerd, computed once: each setup's configured hosts (`fd://` as
    /// docker.socket's path), confirmed by the sockets the process holds, then the listening TCP sockets it holds
    /// that no host names (a held Unix socket no host names is not reported: /proc/net/unix can be forged by any
    /// user through a socket path with a newline). A held Unix socket below its exec-root (`--exec-root`, else
    /// /var/run/docker or the rootless `$XDG_RUNTIME_DIR/docker`: the metrics, plugin and libnetwork sockets) or a
    /// `containerd/` directory is not an API endpoint and is left out.
    /// Another user's dockerd whose descriptors cannot be read gets its configured hosts, and its TCP hosts are
    /// matched by port against its namespace's listening sockets.
    pub fn dockerd_listeners(&self) -> &[Listener] {
        self.derived.listeners.get_or_init(|| listeners(self))
    }
}

fn listeners(f: &Facts) -> Vec<Listener> {
    let mut out: Vec<Listener> = Vec::new();
    for s in f.dockerd_setups() {
        let Some(pid) = s.pid else { continue };
        if out.iter().any(|l| l.pid == pid) {
            continue;
        }
        let mut configured: Vec<(String, String)> = s
            .flags
            .iter()
            .filter(|fl| fl.name == "host")
            .flat_map(|fl| {
                fl.values
                    .iter()
                    .map(|v| (v.clone(), format!("-H in {}", s.source)))
            })
            .collect();
        if let Some(list) = s
            .settings
            .as_ref()
            .and_then(|c| c.get("hosts"))
            .and_then(serde_json::Value::as_array)
        {
            configured.extend(
                list.iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(|h| (h.to_owned(), format!("hosts in {}", s.config))),
            );
        }
        if configured.is_empty() {
            let default = if s.rootless {
                format!("unix://{}/docker.sock", runtime_of(f, s))
            } else {
                "unix:///var/run/docker.sock".to_owned()
            };
            configured.push((default, "dockerd's default (no -H, no hosts)".to_owned()));
        }
        // dockerd's own sockets (metrics, libnetwork's, plugins') live below its exec-root: not API endpoints.
        let exec_root = s
            .flag("exec-root")
            .or_else(|| s.setting("exec-root"))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if s.rootless {
                    format!("{}/docker", runtime_of(f, s))
                } else {
                    "/var/run/docker".to_owned()
                }
            });
        let held = held_sockets(f, pid, &exec_root);
        let index = match &held {
            Ok(h) => HeldIndex::new(h.iter().map(|(u, i, _)| (u.as_str(), *i))),
            Err(tcp) => HeldIndex::new(tcp.iter().map(|(u, i)| (u.as_str(), *i))),
        };
        let mut mine: Vec<Listener> = configured
            .into_iter()
            .map(|(host, from)| {
                // `fd://`: the sockets systemd passes, docker.socket's ListenStream= (the packaged /run/docker.sock).
                let socket_activated = host == "fd://" && !s.rootless;
                let (host, from) = if socket_activated {
                    (
                        docker_socket_path(f),
                        format!("{from} (fd://: docker.socket's ListenStream=)"),
                    )
                } else {
                    (host, from)
                };
                let url = normalise(&host);
                let inode = held.as_ref().ok().and_then(|_| index.find(&url));
                Listener {
                    label: s.label.clone(),
                    pid,
                    rootless: s.rootless,
                    url,
                    from,
                    inode,
                    socket_activated,
                }
            })
            .collect();
        match held {
            Ok(held) => {
                // A held TCP socket no host names is added (its table holds nothing a user writes). A held Unix
                // socket only confirms a configured host: its path comes from /proc/net/unix, where a user can
                // forge a line (a path with a newline) claiming an inode of dockerd's other sockets, so an address
                // found only there is never reported, nor offered as where to point a client.
                let mut named: std::collections::HashSet<u64> =
                    mine.iter().filter_map(|l| l.inode).collect();
                for (url, inode, table) in held.into_iter().filter(|(_, _, t)| *t != "unix") {
                    if named.insert(inode) {
                        mine.push(Listener {
                            label: s.label.clone(),
                            pid,
                            rootless: s.rootless,
                            url,
                            from: format!("/proc/{pid}/net/{table}"),
                            inode: Some(inode),
                            socket_activated: false,
                        });
                    }
                }
            }
            // Descriptors not readable: the namespace's listening TCP sockets on the ports the hosts name.
            Err(_) => {
                for l in &mut mine {
                    if l.is_tcp()
                        && let Some(inode) = index.find(&l.url)
                    {
                        l.inode = Some(inode);
                    }
                }
            }
        }
        out.extend(mine);
    }
    out
}

/// A rootless dockerd's runtime directory: XDG_RUNTIME_DIR in its environment, else the user's.
fn runtime_of(f: &Facts, s: &crate::facts::dockerd::Setup) -> String {
    s.env
        .as_ref()
        .and_then(|e| crate::facts::dockerd::lookup(e)("XDG_RUNTIME_DIR"))
        .unwrap_or_else(|| f.runtime_dir())
        .trim_end_matches('/')
        .to_owned()
}

/// The path docker.socket listens on: its last `ListenStream=` that is a path, else the packaged /run/docker.sock.
fn docker_socket_path(f: &Facts) -> String {
    let dirs = [
        "/etc/systemd/system",
        "/run/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
    ];
    if let Read::Ok(u) = f.unit("docker.socket", &dirs)
        && let Some((_, e)) = u
            .effective("Socket", "ListenStream")
            .into_iter()
            .rev()
            .find(|(_, e)| e.value.trim().starts_with('/'))
    {
        return e.value.trim().to_owned();
    }
    "/run/docker.sock".to_owned()
}

/// `unix:///p` as it is; a bare `/p` (`-H /p` is accepted by dockerd) as `unix:///p`; `tcp://` as it is.
fn normalise(host: &str) -> String {
    if host.starts_with('/') {
        format!("unix://{host}")
    } else {
        host.to_owned()
    }
}

/// Two addresses name the same socket: equal, `/run` and `/var/run` (a symlink on every distribution), or TCP on
/// the same port where one side is every address (`tcp://:2375`, `0.0.0.0`, `[::]`).
pub fn same_address(a: &str, b: &str) -> bool {
    if let (Some(x), Some(y)) = (unix_key(a), unix_key(b)) {
        return x == y;
    }
    match (tcp_key(a), tcp_key(b)) {
        (Some(x), Some(y)) => x.port == y.port && x.same_host(&y),
        _ => a == b,
    }
}

/// A `unix://` address's path, `/var/run` written `/run`.
fn unix_key(u: &str) -> Option<String> {
    u.strip_prefix("unix://").map(|p| {
        p.strip_prefix("/var/run/")
            .map_or(p.to_owned(), |r| format!("/run/{r}"))
    })
}

/// A `tcp://` address's host (`None` for every address) and port.
struct TcpKey {
    host: Option<String>,
    port: String,
}

impl TcpKey {
    fn same_host(&self, other: &TcpKey) -> bool {
        self.host.is_none() || other.host.is_none() || self.host == other.host
    }
}

fn tcp_key(u: &str) -> Option<TcpKey> {
    let rest = u.strip_prefix("tcp://")?;
    let (host, port) = rest.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let any = matches!(host, "" | "0.0.0.0" | "::");
    Some(TcpKey {
        host: (!any).then(|| host.replace("localhost", "127.0.0.1")),
        port: port.to_owned(),
    })
}

/// The sockets a dockerd holds, found by address as [`same_address`] finds them, without comparing every
/// configured host with every held socket: a process can hold tens of thousands of sockets and name as many hosts.
struct HeldIndex {
    /// The first held Unix socket of each path.
    unix: std::collections::HashMap<String, u64>,
    /// The held TCP sockets by port, in order.
    tcp: std::collections::HashMap<String, Vec<(TcpKey, u64)>>,
    /// Anything else, in order (compared whole).
    other: Vec<(String, u64)>,
}

impl HeldIndex {
    fn new<'a>(held: impl Iterator<Item = (&'a str, u64)>) -> HeldIndex {
        let mut index = HeldIndex {
            unix: std::collections::HashMap::new(),
            tcp: std::collections::HashMap::new(),
            other: Vec::new(),
        };
        for (url, inode) in held {
            if let Some(path) = unix_key(url) {
                index.unix.entry(path).or_insert(inode);
            } else if let Some(key) = tcp_key(url) {
                index
                    .tcp
                    .entry(key.port.clone())
                    .or_default()
                    .push((key, inode));
            } else {
                index.other.push((url.to_owned(), inode));
            }
        }
        index
    }

    /// The inode of the first held socket at `url`'s address.
    fn find(&self, url: &str) -> Option<u64> {
        if let Some(path) = unix_key(url) {
            return self.unix.get(&path).copied();
        }
        if let Some(key) = tcp_key(url) {
            return self
                .tcp
                .get(&key.port)?
                .iter()
                .find(|(k, _)| k.same_host(&key))
                .map(|(_, inode)| *inode);
        }
        self.other
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, inode)| *inode)
    }
}

/// Whether the Unix socket `url` lies below directory `dir` (`/run` and `/var/run` alike).
fn below(url: &str, dir: &str) -> bool {
    let norm = |p: &str| {
        p.strip_prefix("/var/run/")
            .map_or(p.to_owned(), |r| format!("/run/{r}"))
    };
    let path = norm(url.trim_start_matches("unix://"));
    let dir = norm(dir.trim_end_matches('/'));
    path.starts_with(&format!("{dir}/"))
}

/// A listening socket a process holds: its url, inode and the `net/` table it was found in.
type Held = (String, u64, &'static str);

/// The listening sockets a process holds; when its descriptors cannot be read, `Err` with every listening TCP
/// socket of its namespace (url, inode).
fn held_sockets(f: &Facts, pid: u32, exec_root: &str) -> Result<Vec<Held>, Vec<(String, u64)>> {
    let mut tcp = Vec::new();
    for file in ["tcp", "tcp6"] {
        if let Read::Ok(text) = f.proc_file(pid, &format!("net/{file}")) {
            for s in net_tcp::parse(&text)
                .0
                .into_iter()
                .filter(net_tcp::Socket::is_listening)
            {
                let url = match s.local {
                    std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
                        Some(v4) => format!("tcp://{v4}:{}", s.port),
                        None => format!("tcp://[{a}]:{}", s.port),
                    },
                    a => format!("tcp://{a}:{}", s.port),
                };
                tcp.push((url, s.inode, file));
            }
        }
    }
    let Read::Ok(fds) = f.open_files(pid) else {
        return Err(tcp.into_iter().map(|(u, i, _)| (u, i)).collect());
    };
    let inodes: Vec<u64> = fds
        .iter()
        .filter_map(|(_, t)| t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
        .collect();
    let mut held: Vec<Held> = tcp
        .into_iter()
        .filter(|(_, i, _)| inodes.contains(i))
        .collect();
    if let Read::Ok(text) = f.proc_file(pid, "net/unix") {
        for s in net_unix::parse(&text).0 {
            let Some(path) = s.path.filter(|p| p.starts_with('/')) else {
                continue;
            };
            let url = format!("unix://{path}");
            let internal =
                same_address(&url, &format!("unix://{}", exec_root.trim_end_matches('/')))
                    || below(&url, exec_root)
                    || path.contains("/containerd/");
            if s.listening && inodes.contains(&s.inode) && !internal {
                held.push((url, s.inode, "unix"));
            }
        }
    }
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::facts;
    use proptest::prelude::*;

    fn address() -> impl Strategy<Value = String> {
        prop_oneof![
            "(/var)?/run/[ab]{1,2}".prop_map(|p| format!("unix://{p}")),
            "(|0\\.0\\.0\\.0|\\[::\\]|127\\.0\\.0\\.1|localhost|\\[::1\\]):(2375|2376)"
                .prop_map(|a| format!("tcp://{a}")),
            "(fd://|ssh://x|tcp://nope)",
        ]
    }

    proptest! {
        /// Regression (hostile-user review): a dockerd holding 19,000 sockets and naming 100,000 hosts took root's
        /// run 40 s (every host compared with every socket). The index finds what the pairwise search found.
        #[test]
        fn regression_the_held_index_finds_what_comparing_every_pair_found(
            held in proptest::collection::vec((address(), 0u64..50), 0..12),
            urls in proptest::collection::vec(address(), 1..8),
        ) {
            let index = HeldIndex::new(held.iter().map(|(u, i)| (u.as_str(), *i)));
            for url in &urls {
                let pairwise = held.iter().find(|(u, _)| same_address(u, url)).map(|(_, i)| *i);
                prop_assert_eq!(index.find(url), pairwise, "{}", url);
            }
        }
    }

    #[test]
    fn regression_a_forged_net_unix_line_is_not_a_listening_address() {
        // A user's socket path with a newline forged a /proc/net/unix line claiming the inode of one of dockerd's
        // netlink sockets (only net/unix was checked for duplicates), and the doctor reported, and offered as the
        // client's new DOCKER_HOST, the user's socket as where root's dockerd listens. The fixture's
        // /proc/950/net/unix holds such a line for /tmp/evil.sock and inode 55602, which dockerd holds.
        let f = facts("debian-12-rootful-tcp-only");
        let urls: Vec<&str> = f
            .dockerd_listeners()
            .iter()
            .map(|l| l.url.as_str())
            .collect();
        assert_eq!(urls, ["tcp://127.0.0.1:4200"]);
    }

    #[test]
    fn a_daemon_json_host_and_the_socket_dockerd_holds() {
        let f = facts("debian-12-rootful-tcp-only");
        let l = f.dockerd_listeners();
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].url, "tcp://127.0.0.1:4200");
        assert_eq!(l[0].from, "hosts in /etc/docker/daemon.json");
        assert_eq!(
            (l[0].pid, l[0].inode, l[0].rootless),
            (950, Some(55601), false)
        );
        // The rootless daemon's default socket, from its environment's XDG_RUNTIME_DIR.
        let f = facts("debian-12-daemon");
        let l = f.dockerd_listeners();
        assert!(
            l.iter()
                .any(|l| l.rootless && l.url == "unix:///run/user/1000/docker.sock"),
            "{l:?}"
        );
    }

    #[test]
    fn addresses_that_name_the_same_socket() {
        assert!(same_address(
            "unix:///var/run/docker.sock",
            "unix:///run/docker.sock"
        ));
        assert!(same_address("tcp://0.0.0.0:2375", "tcp://127.0.0.1:2375"));
        assert!(same_address("tcp://:2375", "tcp://[::1]:2375"));
        assert!(same_address("tcp://localhost:4200", "tcp://127.0.0.1:4200"));
        assert!(!same_address(
            "tcp://127.0.0.1:4200",
            "tcp://127.0.0.1:4201"
        ));
        assert!(!same_address("tcp://10.0.0.1:4200", "tcp://127.0.0.1:4200"));
        assert!(!same_address("unix:///run/a.sock", "unix:///run/b.sock"));
    }
}
