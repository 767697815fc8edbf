//! What the start path will run, read from facts only: the RootlessKit dockerd-rootless.sh finds on the daemon's
//! PATH and its version (package database, no process run), the network driver the script will choose there, and
//! the Docker engine's version.
//!
//! The script's choice is modelled on its own text (moby's contrib/dockerd-rootless.sh, v20.10.24 to
//! docker-v29.7.2): `DOCKERD_ROOTLESS_ROOTLESSKIT_NET` from the environment the script gets, else the first of
//! `docker-rootlesskit`/`rootlesskit` and of slirp4netns, pasta (only a script that looks for it: 28.5.2+), vpnkit
//! on that PATH, else gvisor-tap-vsock (only a script that falls back to it: 29.5+). The trial launch
//! ([`Facts::launch_plan`]) mirrors Debian 12's 20.10 script on the doctor's own PATH instead, because it runs there.

use super::{Facts, Read};
use crate::parse::{gobuildinfo, pkgdb};

/// RootlessKit's Go module (major versions 2 and later end in `/vN`).
const RK_MODULE: &str = "github.com/rootless-containers/rootlesskit";

/// The RootlessKit and network driver dockerd-rootless.sh will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDriver {
    /// The RootlessKit `command -v` finds on the daemon's PATH (`docker-rootlesskit` first).
    pub rootlesskit: Option<String>,
    /// The network driver; `None` when the script finds none and has no fallback (network.driver's failure).
    pub driver: Option<String>,
    /// Why: `DOCKERD_ROOTLESS_ROOTLESSKIT_NET`, the binary found, or the script's fallback.
    pub source: String,
}

/// The installed RootlessKit's version, as far as a package database tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootlessKitVersion {
    pub path: String,
    /// RootlessKit's own major version (1, 2, 3), when known.
    pub major: Option<u64>,
    /// How it was learned, or why it is unknown, for evidence.
    pub detail: String,
}

/// The RootlessKit major version Docker's static packages bundle, by the Docker version that ships it
/// (moby's hack/dockerfile/install/rootlesskit.installer at each tag: 25.0 to 29.4 bundle v2.x, 29.5+ v3.x, before
/// 25.0 v1.x or older).
pub fn bundled_rootlesskit_major(docker: (u64, u64, u64)) -> u64 {
    if docker >= (29, 5, 0) {
        3
    } else if docker >= (25, 0, 0) {
        2
    } else {
        1
    }
}

impl Facts<'_> {
    /// The installed Docker engine's version, from the package database: the package and its version, and the
    /// parsed upstream version.
    pub fn docker_version(&self) -> Option<(String, (u64, u64, u64))> {
        let d = self.distro();
        d.package_alternatives("docker").into_iter().find_map(|p| {
            let v = self.package_version(p)?;
            let parsed = pkgdb::semver_prefix(pkgdb::upstream_version(&v))?;
            Some((format!("{p} {v}"), parsed))
        })
    }

    /// The RootlessKit and network driver dockerd-rootless.sh will use on the daemon's PATH; `None` where
    /// [`Facts::daemon_path`] is.
    pub fn start_driver(&self) -> Option<&StartDriver> {
        self.derived
            .start_driver
            .get_or_init(|| start_driver(self))
            .as_ref()
    }

    /// The version of the RootlessKit the script will run; `None` when none is on the daemon's PATH.
    pub fn rootlesskit_version(&self) -> Option<&RootlessKitVersion> {
        self.derived
            .rootlesskit_version
            .get_or_init(|| rootlesskit_version(self))
            .as_ref()
    }
}

fn start_driver(f: &Facts) -> Option<StartDriver> {
    let path = f.daemon_path()?;
    let first = |name: &str| f.find_in(name, &path.dirs).into_iter().next();
    let rootlesskit = first("docker-rootlesskit").or_else(|| first("rootlesskit"));
    let script = f.rootless_script();
    let mentions = |needle: &str| script.is_some_and(|s| s.mentions(needle));
    let env = f.start_env();
    if let Some(net) = env
        .and_then(|e| e.get("DOCKERD_ROOTLESS_ROOTLESSKIT_NET"))
        .filter(|v| !v.is_empty())
    {
        let source = env.map(|e| e.source.clone()).unwrap_or_default();
        return Some(StartDriver {
            rootlesskit,
            driver: Some(net.to_owned()),
            source: format!("DOCKERD_ROOTLESS_ROOTLESSKIT_NET={net} ({source})"),
        });
    }
    // No script found: Debian 12's 20.10 order (slirp4netns, vpnkit), which every script keeps.
    let mut order = vec!["slirp4netns"];
    if mentions("command -v pasta") {
        order.push("pasta");
    }
    order.push("vpnkit");
    for name in order {
        if let Some(p) = first(name) {
            return Some(StartDriver {
                rootlesskit,
                driver: Some(name.to_owned()),
                source: p,
            });
        }
    }
    if mentions("net=gvisor-tap-vsock") {
        return Some(StartDriver {
            rootlesskit,
            driver: Some("gvisor-tap-vsock".to_owned()),
            source: "the script's fallback when no slirp4netns, pasta or vpnkit is on PATH"
                .to_owned(),
        });
    }
    Some(StartDriver {
        rootlesskit,
        driver: None,
        source: "no slirp4netns, pasta or vpnkit on PATH".to_owned(),
    })
}

fn rootlesskit_version(f: &Facts) -> Option<RootlessKitVersion> {
    let found = f.start_driver()?.rootlesskit.clone()?;
    let d = f.distro();
    // A symlink to the packaged binary (/usr/local/bin/rootlesskit, a directory of links) runs the packaged one.
    let real = f
        .canonicalize(&found)
        .ok()
        .cloned()
        .unwrap_or_else(|| found.clone());
    let path = if real == found {
        found
    } else {
        format!("{found} -> {real}")
    };
    let packaged = ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"]
        .iter()
        .any(|p| real.starts_with(p));
    if !packaged {
        // The static bundle (get.docker.com/rootless in ~/bin): the module path in its Go build information carries
        // the major version. The binary (about 8 MB) is read only here, never for a packaged one.
        let (major, detail) = match f.read_bytes(&real) {
            Read::Ok(bytes) => from_build_info(&bytes),
            Read::Missing => (None, "unknown: vanished while read".to_owned()),
            Read::Failed(e) => (None, format!("unknown: not packaged, and unreadable: {e}")),
        };
        return Some(RootlessKitVersion {
            path,
            major,
            detail,
        });
    }
    // Debian's and Arch's own rootlesskit package carries RootlessKit's version (`docker-rootlesskit` is the name
    // Docker's own packages use).
    let own = d.package("rootlesskit");
    if !real.ends_with("/docker-rootlesskit")
        && own != d.package("docker_rootless")
        && let Some(v) = f.package_version(own)
    {
        let major = pkgdb::semver_prefix(pkgdb::upstream_version(&v)).map(|s| s.0);
        return Some(RootlessKitVersion {
            path,
            major,
            detail: format!("package {own} {v}"),
        });
    }
    // Docker's rootless extras bundle the RootlessKit of their Docker version.
    let extras = d.package("docker_rootless");
    if let Some(v) = f.package_version(extras)
        && let Some(docker) = pkgdb::semver_prefix(pkgdb::upstream_version(&v))
    {
        let major = bundled_rootlesskit_major(docker);
        return Some(RootlessKitVersion {
            path,
            major: Some(major),
            detail: format!("package {extras} {v}, which bundles RootlessKit {major}.x"),
        });
    }
    let detail = match f.distro().package_manager.database.as_str() {
        "dpkg" | "pacman" => "unknown: no package of it in the package database".to_owned(),
        _ => "unknown: this distribution's package database is not read, and no process is run to ask it".to_owned(),
    };
    Some(RootlessKitVersion {
        path,
        major: None,
        detail,
    })
}

/// RootlessKit's major version from a binary's Go build information (`None` with the reason when it does not say).
fn from_build_info(bytes: &[u8]) -> (Option<u64>, String) {
    let info = match gobuildinfo::parse(bytes) {
        Ok(info) => info,
        Err(e) => return (None, format!("unknown: not packaged, and {e}")),
    };
    let from = info
        .module
        .as_ref()
        .map(|(p, _)| p.as_str())
        .or(info.path.as_deref());
    let Some(major) = from.and_then(|p| gobuildinfo::module_major(p, RK_MODULE)) else {
        return (
            None,
            format!(
                "unknown: not packaged, and its Go build information names {}, not RootlessKit",
                from.unwrap_or("no package")
            ),
        );
    };
    let version = info
        .module
        .as_ref()
        .map(|(_, v)| format!(" {v}"))
        .unwrap_or_default();
    let range = if major < 2 {
        "1.x or earlier".to_owned()
    } else {
        format!("{major}.x")
    };
    (
        Some(major),
        format!(
            "RootlessKit {range}: not packaged; its Go build information names {}{version} (built with {})",
            from.unwrap_or_default(),
            info.go_version
        ),
    )
}

/// Whether a path exists as a directory (following symlinks), for the script's `[ -d DIR ]`.
pub fn is_dir(f: &Facts, path: &str) -> bool {
    matches!(f.stat(path), Read::Ok(m) if m.kind == super::FileKind::Dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::facts;

    #[test]
    fn debian_12_runs_its_rootlesskit_1_with_slirp4netns() {
        let f = facts("debian-12");
        let d = f.start_driver().unwrap();
        assert_eq!(d.rootlesskit.as_deref(), Some("/usr/bin/rootlesskit"));
        assert_eq!(d.driver.as_deref(), Some("slirp4netns"));
        let v = f.rootlesskit_version().unwrap();
        assert_eq!(v.major, Some(1));
        assert_eq!(v.detail, "package rootlesskit 1.1.0-1");
        assert_eq!(f.docker_version().unwrap().1, (20, 10, 24));
    }

    #[test]
    fn bundled_majors_follow_the_installer() {
        assert_eq!(bundled_rootlesskit_major((20, 10, 24)), 1);
        assert_eq!(bundled_rootlesskit_major((25, 0, 0)), 2);
        assert_eq!(bundled_rootlesskit_major((29, 4, 3)), 2);
        assert_eq!(bundled_rootlesskit_major((29, 5, 0)), 3);
    }
}
