//! RootlessKit's state directory, where its API socket (and, with `--detach-netns`, the containers' network
//! namespace) lives.

use super::{Facts, Read};
use crate::parse::proc::env_value;

/// RootlessKit's state dir and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    pub path: String,
    /// `ROOTLESSKIT_STATE_DIR of dockerd PID`, or `the upstream default`.
    pub source: String,
}

impl Facts<'_> {
    /// RootlessKit's state dir: ROOTLESSKIT_STATE_DIR in the rootless dockerd's environment, else the upstream path.
    pub fn rootlesskit_state_dir(&self) -> &StateDir {
        self.derived
            .rootlesskit_state_dir
            .get_or_init(|| state_dir(self))
    }
}

fn state_dir(f: &Facts) -> StateDir {
    if let Some(pid) = f.rootless_dockerd()
        && let Read::Ok(env) = f.environ(pid)
        && let Some(dir) = env_value(&env, "ROOTLESSKIT_STATE_DIR")
    {
        return StateDir {
            path: dir.to_owned(),
            source: format!("ROOTLESSKIT_STATE_DIR of dockerd {pid}"),
        };
    }
    StateDir {
        path: format!("{}/dockerd-rootless", f.runtime_dir()),
        source: "the upstream default".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::facts;

    #[test]
    fn state_dir_from_dockerds_environment() {
        let f = facts("debian-12-daemon-rootlesskit-api-gone");
        let dir = f.rootlesskit_state_dir();
        assert_eq!(dir.path, "/tmp/rootlesskit1234");
        assert!(
            dir.source.starts_with("ROOTLESSKIT_STATE_DIR of dockerd "),
            "{}",
            dir.source
        );
    }
}
