//! What `rootless-doctor net` weighs, read from the host without running anything: RootlessKit and Docker with
//! their versions, each network driver's helper program (where, which version from the package database, whether
//! the user may run it, setuid, AppArmor's say), /dev/net/tun, `ip` and `iptables` on the daemon's PATH, the
//! default routes, the privileged-port sysctl, the capability on rootlesskit, and the `DOCKERD_ROOTLESS_*` settings
//! in force now.

use super::{Access, Facts, FileKind, Permission, Read};
use crate::net::{Helper, HelperVersion, Inventory, Program};
use crate::parse::{lxc_usernet, route, vfs_cap};

const TUN: &str = "/dev/net/tun";

impl Facts<'_> {
    /// The network inventory (computed on every call: `net` asks once).
    pub fn net_inventory(&self) -> Inventory {
        let d = self.distro();
        let dirs = match self.daemon_path() {
            Some(p) => p.dirs.clone(),
            None => self.path_dirs(),
        };
        let first = |name: &str| self.first_in(name, &dirs);
        // A helper's lookup (Go's exec.LookPath) skips files without an execute bit: the first such file is still
        // named, as the reason the driver is out.
        let helper_at = |name: &str| {
            first(name).or_else(|| {
                dirs.iter()
                    .map(|d| format!("{}/{name}", d.trim_end_matches('/')))
                    .find(|c| matches!(self.stat(c), Read::Ok(m) if m.kind == FileKind::File))
            })
        };
        let rootlesskit = self.start_rootlesskit().map(|k| {
            let v = self.rootlesskit_version();
            Program {
                path: k.path.clone(),
                version: v.and_then(|v| v.judged()),
                detail: v.map(|v| v.detail.clone()).unwrap_or_default(),
            }
        });
        let rootlesskit_bind_cap = self.rootlesskit_bind_cap().is_some();
        let restricts = matches!(
            self.sysctl_int("kernel.apparmor_restrict_unprivileged_userns"),
            Read::Ok(Ok(v)) if v != 0
        );
        let mut helpers = Vec::new();
        for (network, package_key) in [
            ("slirp4netns", "slirp4netns"),
            ("pasta", "passt"),
            ("vpnkit", ""),
        ] {
            let mut h = self.helper(network, helper_at(network), package_key);
            if network == "pasta"
                && restricts
                && let Some(path) = &h.path
            {
                let real = match self.canonicalize(path) {
                    Read::Ok(r) => r,
                    _ => path.clone(),
                };
                h.apparmor_userns = self
                    .apparmor_attaching(&real)
                    .ok()
                    .map(|a| a.grants_userns());
            }
            helpers.push(h);
        }
        let lxc = self.lxc_user_nic_default();
        let mut h = self.helper("lxc-user-nic", lxc, "lxc_user_nic");
        h.quota = self.lxc_quota();
        helpers.push(h);
        let current = self
            .start_env()
            .map(|e| {
                e.vars
                    .iter()
                    .filter(|(k, _)| k.starts_with("DOCKERD_ROOTLESS_ROOTLESSKIT_"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Inventory {
            rootlesskit,
            docker: self.docker_version(),
            helpers,
            tun_problem: self.tun_problem(),
            ip: first("ip"),
            iptables: first("iptables"),
            default_route: self
                .read("/proc/net/route")
                .ok()
                .map(|t| route::default_v4(t).is_some()),
            default_route6: match self.read("/proc/net/ipv6_route") {
                Read::Ok(t) => Some(route::default_v6(&t).is_some()),
                // No IPv6 in this kernel: no default route either.
                Read::Missing => Some(false),
                Read::Failed(_) => None,
            },
            unprivileged_port_start: self
                .sysctl_int("net.ipv4.ip_unprivileged_port_start")
                .ok()
                .and_then(|r| r.as_ref().ok().copied()),
            rootlesskit_bind_cap,
            without_networks: d.quirks.rootlesskit_without_networks.clone(),
            without_error: d.quirks.rootlesskit_without_networks_error.clone(),
            current,
            current_source: self
                .start_env()
                .map(|e| e.source.clone())
                .unwrap_or_default(),
            running: self.running_drivers(),
        }
    }

    /// The RootlessKit of the start path (its real file, links resolved) when it carries CAP_NET_BIND_SERVICE as a
    /// file capability (`setcap cap_net_bind_service=ep`): its parent, which the builtin port driver binds host
    /// ports in, may then bind below `ip_unprivileged_port_start`.
    pub fn rootlesskit_bind_cap(&self) -> Option<String> {
        let path = &self.start_rootlesskit()?.path;
        let real = match self.canonicalize(path) {
            Read::Ok(r) => r,
            _ => path.clone(),
        };
        matches!(self.xattr(&real, "security.capability"), Read::Ok(Some(blob))
            if vfs_cap::parse(&blob).is_ok_and(|c| c.permits(caps::Capability::CAP_NET_BIND_SERVICE)))
        .then_some(real)
    }

    /// The drivers the running rootless daemon's RootlessKit reports on its API (`GET /v1/info`, the answer
    /// `rootlesskit.api` judges), when a daemon runs and it answers. The API names no port driver for pasta's
    /// `implicit` (pasta forwards by itself) or for `none`.
    fn running_drivers(&self) -> Option<crate::net::Running> {
        let (api, super::rootlesskit::ApiInfo::Answer(info)) = self.rootlesskit_api() else {
            return None;
        };
        let text = |pointer: &str| {
            info.pointer(pointer)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let network = text("/networkDriver/driver").unwrap_or_else(|| "host".to_owned());
        let port = text("/portDriver/driver").unwrap_or_else(|| {
            if network == "pasta" {
                "implicit"
            } else {
                "none"
            }
            .to_owned()
        });
        Some(crate::net::Running {
            network,
            port,
            rootlesskit_version: text("/version").unwrap_or_default(),
            api,
        })
    }

    /// A helper found at `path`: its packaged version (a program under the package manager's directories only),
    /// whether the user may run it, and whether it is set-user-ID root.
    fn helper(&self, network: &str, path: Option<String>, package_key: &str) -> Helper {
        let Some(path) = path else {
            return Helper {
                network: network.to_owned(),
                ..Helper::default()
            };
        };
        let packaged = [
            "/usr/bin/",
            "/usr/sbin/",
            "/bin/",
            "/sbin/",
            "/usr/lib/",
            "/usr/libexec/",
        ]
        .iter()
        .any(|p| path.starts_with(p));
        let package = if packaged && !package_key.is_empty() {
            let name = self.distro().package(package_key).to_owned();
            self.package_version(&name).map(|v| (name, v))
        } else {
            None
        };
        let version = package
            .as_ref()
            .and_then(|(_, v)| HelperVersion::of_package(network, v));
        let detail = match &package {
            Some((p, v)) => format!("package {p} {v}"),
            None => "version not recorded in a package database".to_owned(),
        };
        let meta = self.stat(&path);
        let executable = match self.access(
            &path,
            Access {
                read: false,
                write: false,
                exec: true,
            },
        ) {
            Read::Ok(Permission::Denied(_)) => false,
            Read::Ok(Permission::Unknown(_)) => {
                matches!(&meta, Read::Ok(m) if m.kind == FileKind::File && m.mode & 0o111 != 0)
            }
            Read::Ok(Permission::Allowed) => {
                matches!(&meta, Read::Ok(m) if m.kind == FileKind::File)
            }
            _ => false,
        };
        let setuid_root = matches!(&meta, Read::Ok(m) if m.uid == 0 && m.is_setuid());
        Helper {
            network: network.to_owned(),
            path: Some(path),
            version,
            detail,
            executable,
            setuid_root,
            apparmor_userns: None,
            quota: None,
        }
    }

    /// Where RootlessKit looks for lxc-user-nic by default (`lxcUserNicBin`): the first of
    /// /usr/libexec/lxc/, /usr/lib/*-linux-gnu/lxc/ (sorted; /usr/lib/$(uname -m)-linux-gnu/ is Ubuntu's),
    /// /usr/lib/lxc/ that exists.
    pub fn lxc_user_nic_default(&self) -> Option<String> {
        let mut candidates = vec!["/usr/libexec/lxc/lxc-user-nic".to_owned()];
        if let Read::Ok(mut dirs) = self.read_dir("/usr/lib") {
            dirs.sort();
            candidates.extend(
                dirs.iter()
                    .filter(|d| d.ends_with("-linux-gnu"))
                    .map(|d| format!("/usr/lib/{d}/lxc/lxc-user-nic")),
            );
        }
        candidates.push("/usr/lib/lxc/lxc-user-nic".to_owned());
        candidates
            .into_iter()
            .find(|c| matches!(self.stat(c), Read::Ok(_)))
    }

    /// The user's (or a group of theirs') line of /etc/lxc/lxc-usernet granting a veth on lxcbr0, as text.
    fn lxc_quota(&self) -> Option<String> {
        let text = self.read("/etc/lxc/lxc-usernet").ok().cloned()?;
        let mut groups: Vec<String> = Vec::new();
        if let Read::Ok(list) = self.groups() {
            for g in list.iter() {
                if g.gid == self.user.gid || g.members.contains(&self.user.name) {
                    groups.push(g.name.to_owned());
                }
            }
        }
        lxc_usernet::parse(text.as_bytes())
            .into_iter()
            .find(|e| {
                (e.owner == self.user.name
                    || e.group().is_some_and(|g| groups.iter().any(|n| n == g)))
                    && e.kind == "veth"
                    && e.bridge == "lxcbr0"
                    && e.count > 0
            })
            .map(|e| {
                format!(
                    "/etc/lxc/lxc-usernet:{}: {} {} {} {}",
                    e.line, e.owner, e.kind, e.bridge, e.count
                )
            })
    }

    /// Why /dev/net/tun cannot serve the user, or `None` (also on a tree without a running system, where /dev is
    /// not the kernel's).
    fn tun_problem(&self) -> Option<String> {
        if !self.has_runtime() {
            return None;
        }
        match self.stat(TUN) {
            Read::Missing => Some("it is missing (load the tun module)".to_owned()),
            Read::Failed(e) => Some(format!("it cannot be read: {e}")),
            Read::Ok(m) if m.kind != FileKind::CharDevice => Some(format!(
                "it is a {}, not the tun character device",
                m.kind.describe()
            )),
            Read::Ok(m) if m.rdev.is_some_and(|r| r != (10, 200)) => {
                let (a, b) = m.rdev.unwrap_or_default();
                Some(format!("it is device {a}:{b}, not the tun device 10:200"))
            }
            Read::Ok(_) => match self.access(
                TUN,
                Access {
                    read: true,
                    write: true,
                    exec: false,
                },
            ) {
                Read::Ok(Permission::Denied(why)) => {
                    Some(format!("the user may not open it ({why})"))
                }
                _ => None,
            },
        }
    }
}
