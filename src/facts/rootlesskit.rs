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

/// What RootlessKit's API (`GET /v1/info` on `<state dir>/api.sock`) says about the running rootless daemon.
#[derive(Debug, Clone)]
pub enum ApiInfo {
    /// No rootless daemon of the user runs (no answer on its socket, no dockerd of theirs in /proc).
    NoDaemon,
    Answer(serde_json::Value),
    /// The answer is not JSON (serde_json's words).
    NotJson(String),
    /// An HTTP status other than 200.
    Status(u16),
    /// The socket does not answer (the error's text).
    Failed(String),
}

impl Facts<'_> {
    /// RootlessKit's API socket and its `/v1/info`, asked once: what `rootlesskit.*` and `net` read of the running
    /// daemon's RootlessKit.
    pub fn rootlesskit_api(&self) -> (String, &ApiInfo) {
        let api = format!("{}/api.sock", self.rootlesskit_state_dir().path);
        let info = self.derived.rootlesskit_api.get_or_init(|| {
            if self.http_get(&self.rootless_socket(), "/_ping").is_err()
                && self.rootless_dockerd().is_none()
            {
                return ApiInfo::NoDaemon;
            }
            match self.http_get(&api, "/v1/info") {
                Ok(r) if r.status == 200 => match super::api_json(&r.body) {
                    Ok(v) => ApiInfo::Answer(v),
                    Err(e) => ApiInfo::NotJson(e),
                },
                Ok(r) => ApiInfo::Status(r.status),
                Err(e) => ApiInfo::Failed(e.text),
            }
        });
        (api, info)
    }

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
