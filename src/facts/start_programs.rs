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
use crate::parse::rootlesskit::Version;
use crate::parse::{gobuildinfo, pkgdb};

/// RootlessKit's Go module (major versions 2 and later end in `/vN`).
const RK_MODULE: &str = "github.com/rootless-containers/rootlesskit";

/// The directories a package manager installs RootlessKit into: a binary elsewhere (~/bin, /usr/local/bin) has no
/// release in the package database.
const PACKAGED_DIRS: &[&str] = &[
    "/usr/bin/",
    "/usr/sbin/",
    "/bin/",
    "/sbin/",
    "/usr/libexec/",
];

/// The network driver dockerd-rootless.sh will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDriver {
    /// The network driver; `None` when the script finds none and has no fallback (network.driver's failure).
    pub driver: Option<String>,
    /// The driver's program found on the daemon's PATH (`None` when set by the variable or the script's fallback).
    pub program: Option<String>,
    /// Why: `DOCKERD_ROOTLESS_ROOTLESSKIT_NET`, the binary found, or the script's fallback.
    pub source: String,
}

/// The RootlessKit dockerd-rootless.sh would exec: the first of `docker-rootlesskit` and `rootlesskit` on the
/// daemon's PATH (the script's `command -v`). Its version is [`Facts::rootlesskit_version`], read only when asked
/// (the dpkg status is hundreds of kilobytes, an unpackaged binary megabytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRootlessKit {
    pub path: String,
    /// `docker-rootlesskit` (Docker's rootless extras) or `rootlesskit`.
    pub name: &'static str,
}

/// An installed RootlessKit's version, as far as the package database or the binary's Go build information tells
/// it, without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootlessKitVersion {
    /// The path found, and ` -> REAL` when it is a symbolic link (the packaged binary behind it is what runs).
    pub path: String,
    /// The full release, when known (a package's version, the bundling table, the module version in the binary).
    pub release: Option<Version>,
    /// RootlessKit's own major version (1, 2, 3), when known (a bundle before Docker 25.0 counts as 1).
    pub major: Option<u64>,
    /// How it was learned, or why it is unknown, for evidence (`package rootlesskit 1.1.0-1`).
    pub detail: String,
}

impl RootlessKitVersion {
    /// The release to judge its flags against: the known one, else the last of its major version (v1.1.1, v2.3.6;
    /// rootless-containers/rootlesskit's tags), else `None` (unknown: the caller takes the newest modelled).
    pub fn judged(&self) -> Option<Version> {
        self.release.or(match self.major? {
            0 | 1 => Some(Version(1, 1, 1)),
            2 => Some(Version(2, 3, 6)),
            _ => None,
        })
    }
}

/// The RootlessKit Docker's rootless extras and static bundles carry, per moby's
/// `hack/dockerfile/install/rootlesskit.installer` at each release (25.0 → v2.0.0 … 29.7 → v3.0.2); `None` before
/// 25.0 (v1.x or older).
pub fn bundled_rootlesskit(docker: (u64, u64, u64)) -> Option<Version> {
    const TABLE: &[((u64, u64), Version)] = &[
        ((29, 7), Version(3, 0, 2)),
        ((29, 6), Version(3, 0, 1)),
        ((29, 5), Version(3, 0, 0)),
        ((29, 4), Version(2, 3, 6)),
        ((29, 0), Version(2, 3, 5)),
        ((28, 5), Version(2, 3, 4)),
        ((27, 5), Version(2, 3, 2)),
        ((26, 0), Version(2, 0, 2)),
        ((25, 0), Version(2, 0, 0)),
    ];
    TABLE
        .iter()
        .find(|((major, minor), _)| (docker.0, docker.1) >= (*major, *minor))
        .map(|(_, rk)| *rk)
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

    /// The network driver dockerd-rootless.sh will use on the daemon's PATH; `None` where [`Facts::daemon_path`]
    /// is.
    pub fn start_driver(&self) -> Option<&StartDriver> {
        self.derived
            .start_driver
            .get_or_init(|| start_driver(self))
            .as_ref()
    }

    /// The RootlessKit dockerd-rootless.sh would exec; `None` when none is on the daemon's PATH (this session's
    /// PATH on a tree without a running system).
    pub fn start_rootlesskit(&self) -> Option<&StartRootlessKit> {
        self.derived
            .start_rootlesskit
            .get_or_init(|| start_rootlesskit(self))
            .as_ref()
    }

    /// The version of [`Facts::start_rootlesskit`]; `None` when there is none.
    pub fn rootlesskit_version(&self) -> Option<&RootlessKitVersion> {
        self.derived
            .rootlesskit_version
            .get_or_init(|| {
                self.start_rootlesskit()
                    .map(|k| rootlesskit_version_of(self, &k.path))
            })
            .as_ref()
    }

    /// The version of the RootlessKit at `found` (one found on another PATH, as network.binaries looks), the same
    /// way; the cached one when it is [`Facts::start_rootlesskit`].
    pub fn rootlesskit_version_at(&self, found: &str) -> std::borrow::Cow<'_, RootlessKitVersion> {
        if self.start_rootlesskit().is_some_and(|k| k.path == found)
            && let Some(v) = self.rootlesskit_version()
        {
            return std::borrow::Cow::Borrowed(v);
        }
        std::borrow::Cow::Owned(rootlesskit_version_of(self, found))
    }
}

fn start_rootlesskit(f: &Facts) -> Option<StartRootlessKit> {
    let dirs = f
        .daemon_path()
        .map(|p| p.dirs.clone())
        .unwrap_or_else(|| f.path_dirs());
    let (name, path) = ["docker-rootlesskit", "rootlesskit"]
        .iter()
        .find_map(|n| f.first_in(n, &dirs).map(|p| (*n, p)))?;
    Some(StartRootlessKit { path, name })
}

fn start_driver(f: &Facts) -> Option<StartDriver> {
    let path = f.daemon_path()?;
    let first = |name: &str| f.first_in(name, &path.dirs);
    let script = f.rootless_script();
    let mentions = |needle: &str| script.is_some_and(|s| s.mentions(needle));
    let env = f.start_env();
    if let Some(net) = env
        .and_then(|e| e.get("DOCKERD_ROOTLESS_ROOTLESSKIT_NET"))
        .filter(|v| !v.is_empty())
    {
        let source = env.map(|e| e.source.clone()).unwrap_or_default();
        return Some(StartDriver {
            driver: Some(net.to_owned()),
            program: None,
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
                driver: Some(name.to_owned()),
                program: Some(p.clone()),
                source: p,
            });
        }
    }
    if mentions("net=gvisor-tap-vsock") {
        return Some(StartDriver {
            driver: Some("gvisor-tap-vsock".to_owned()),
            program: None,
            source: "the script's fallback when no slirp4netns, pasta or vpnkit is on PATH"
                .to_owned(),
        });
    }
    Some(StartDriver {
        driver: None,
        program: None,
        source: "no slirp4netns, pasta or vpnkit on PATH".to_owned(),
    })
}

/// The version of the RootlessKit at `found` (a `docker-rootlesskit` or `rootlesskit` found on a PATH), without
/// running it: a symbolic link is followed to the binary that runs; a packaged one's from the package database
/// (its own package, or the Docker release whose rootless extras bundle it); any other's from its Go build
/// information (only its `.go.buildinfo` section when it is an ELF file: see [`Facts::go_build_info`]).
fn rootlesskit_version_of(f: &Facts, found: &str) -> RootlessKitVersion {
    let d = f.distro();
    let real = f
        .canonicalize(found)
        .ok()
        .cloned()
        .unwrap_or_else(|| found.to_owned());
    let path = if real == found {
        found.to_owned()
    } else {
        format!("{found} -> {real}")
    };
    let unknown = |detail: String| RootlessKitVersion {
        path: path.clone(),
        release: None,
        major: None,
        detail,
    };
    if !PACKAGED_DIRS.iter().any(|p| real.starts_with(p)) {
        // The static bundle (get.docker.com/rootless in ~/bin): the module path in its Go build information carries
        // the major version, the module version the release.
        return match f.go_build_info(&real) {
            Read::Ok(info) => {
                let (release, major, detail) = from_build_info(info);
                RootlessKitVersion {
                    path,
                    release,
                    major,
                    detail,
                }
            }
            Read::Missing => unknown("unknown: vanished while read".to_owned()),
            Read::Failed(e) => unknown(format!("unknown: not packaged, and unreadable: {e}")),
        };
    }
    // Debian's and Arch's own rootlesskit package carries RootlessKit's version (`docker-rootlesskit` is the name
    // Docker's own packages use).
    let own = d.package("rootlesskit");
    if !real.ends_with("/docker-rootlesskit")
        && own != d.package("docker_rootless")
        && let Some(v) = f.package_version(own)
    {
        let release = Version::parse(pkgdb::upstream_version(&v));
        return RootlessKitVersion {
            path,
            release,
            major: release.map(|r| u64::from(r.0)),
            detail: format!("package {own} {v}"),
        };
    }
    // Docker's rootless extras bundle the RootlessKit of their Docker version.
    let extras = d.package("docker_rootless");
    if let Some(v) = f.package_version(extras)
        && let Some(docker) = pkgdb::semver_prefix(pkgdb::upstream_version(&v))
    {
        let release = bundled_rootlesskit(docker);
        let (major, bundles) = match release {
            Some(r) => (u64::from(r.0), r.to_string()),
            None => (1, "1.x or earlier".to_owned()),
        };
        return RootlessKitVersion {
            path,
            release,
            major: Some(major),
            detail: format!("package {extras} {v}, which bundles RootlessKit {bundles}"),
        };
    }
    unknown(match d.package_manager.database.as_str() {
        "dpkg" | "pacman" => "unknown: no package of it in the package database".to_owned(),
        _ => "unknown: this distribution's package database is not read, and no process is run to ask it".to_owned(),
    })
}

/// RootlessKit's release and major version from a binary's Go build information (`None` with the reason when it
/// does not say).
fn from_build_info(
    info: Result<gobuildinfo::BuildInfo, gobuildinfo::Error>,
) -> (Option<Version>, Option<u64>, String) {
    let info = match info {
        Ok(info) => info,
        Err(e) => return (None, None, format!("unknown: not packaged, and {e}")),
    };
    let from = info
        .module
        .as_ref()
        .map(|(p, _)| p.as_str())
        .or(info.path.as_deref());
    let Some(major) = from.and_then(|p| gobuildinfo::module_major(p, RK_MODULE)) else {
        return (
            None,
            None,
            format!(
                "unknown: not packaged, and its Go build information names {}, not RootlessKit",
                from.unwrap_or("no package")
            ),
        );
    };
    // A module version of the same major (`v2.3.4`; not `(devel)`, a build from a checkout) is the release.
    let release = info
        .module
        .as_ref()
        .and_then(|(_, v)| v.starts_with('v').then(|| Version::parse(v)).flatten())
        .filter(|r| u64::from(r.0) == major.max(1) || (major < 2 && r.0 < 2));
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
        release,
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
        assert_eq!(
            f.start_rootlesskit().map(|k| k.path.as_str()),
            Some("/usr/bin/rootlesskit")
        );
        assert_eq!(d.driver.as_deref(), Some("slirp4netns"));
        let v = f.rootlesskit_version().unwrap();
        assert_eq!(v.major, Some(1));
        assert_eq!(v.release, Some(Version(1, 1, 0)));
        assert_eq!(v.judged(), Some(Version(1, 1, 0)));
        assert_eq!(v.detail, "package rootlesskit 1.1.0-1");
        assert_eq!(f.docker_version().unwrap().1, (20, 10, 24));
    }

    #[test]
    fn a_static_bundle_is_judged_as_the_last_release_of_its_major() {
        // ~/bin/rootlesskit is not packaged; its Go build information names module …/rootlesskit/v2 at (devel).
        let f = facts("debian-12-start-home-bin-rootlesskit-2");
        let v = f.rootlesskit_version().unwrap();
        assert_eq!((v.release, v.major), (None, Some(2)));
        assert_eq!(v.judged(), Some(Version(2, 3, 6)));
    }

    #[test]
    fn bundled_releases_follow_the_installer() {
        assert_eq!(bundled_rootlesskit((20, 10, 24)), None);
        assert_eq!(bundled_rootlesskit((25, 0, 0)), Some(Version(2, 0, 0)));
        assert_eq!(bundled_rootlesskit((29, 4, 3)), Some(Version(2, 3, 6)));
        assert_eq!(bundled_rootlesskit((29, 5, 0)), Some(Version(3, 0, 0)));
        assert_eq!(bundled_rootlesskit((29, 7, 2)), Some(Version(3, 0, 2)));
    }
}
