//! In-process fixtures for the checks' unit tests: a check's verdict on a host of `tests/fixtures/`, as the binary
//! would judge it with `--host-file tests/fixtures/NAME/host.toml`, without spawning it.
//!
//! ```ignore
//! let v = check("debian-12-daemon-killed", "client.socket");
//! assert_eq!(v.status, Status::Fail);
//! ```
//!
//! The fixture tier (`tests/fixtures.rs`) still runs every scenario through the real binary and snapshots it;
//! these helpers are for the fast tests beside each check, and for regression tests named after the bug.

use std::path::Path;

use crate::facts::Facts;
use crate::host::FakeHost;
use crate::model::{Remediation, Step, Verdict};

/// The fixture `name`'s host: its sidecar (with the bases it names) and its `root/` tree.
pub(crate) fn host(name: &str) -> FakeHost {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    FakeHost::load(dir.join("root"), &dir.join("host.toml"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The verdict of check `id` on fixture `name`, for the user the fixture runs as (or `SUDO_USER`).
pub(crate) fn check(name: &str, id: &str) -> Verdict {
    check_with(name, None, None, id)
}

/// The verdict of check `id` on fixture `name`, as `--user USER` and `check volumes --path PATH` would give it.
pub(crate) fn check_with(name: &str, user: Option<&str>, path: Option<&str>, id: &str) -> Verdict {
    let host = host(name);
    let mut facts =
        Facts::gather(&host, user, path).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    // As `check` judges: the daemon the client targets.
    facts.choose_target(crate::facts::client::TargetChoice::Auto);
    let check = super::find(id).unwrap_or_else(|| panic!("no check {id}"));
    super::verdict(check, &facts)
}

/// The verdict's fix; panics when it has none.
pub(crate) fn fix(v: &Verdict) -> &Remediation {
    v.remediation
        .as_ref()
        .unwrap_or_else(|| panic!("no fix in {:?}: {}", v.status, v.summary))
}

/// The fix's steps as argv strings joined by spaces, root steps prefixed `sudo `, in order.
pub(crate) fn steps(v: &Verdict) -> Vec<String> {
    fix(v).steps.iter().map(shown).collect()
}

fn shown(s: &Step) -> String {
    let argv = s.argv.join(" ");
    if s.root { format!("sudo {argv}") } else { argv }
}

/// The facts of fixture `name`, for tests of derived facts; the host is leaked to outlive them.
pub(crate) fn facts(name: &str) -> Facts<'static> {
    facts_with(name, None)
}

/// The facts of fixture `name` as `check volumes --path PATH` would gather them; the host is leaked.
pub(crate) fn facts_with(name: &str, path: Option<&str>) -> Facts<'static> {
    facts_as(name, None, path)
}

/// The facts of fixture `name` as `--user USER` and `check volumes --path PATH` would gather them; the host is
/// leaked.
pub(crate) fn facts_as(name: &str, user: Option<&str>, path: Option<&str>) -> Facts<'static> {
    let host: &'static FakeHost = Box::leak(Box::new(host(name)));
    let mut facts =
        Facts::gather(host, user, path).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    facts.choose_target(crate::facts::client::TargetChoice::Auto);
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn a_fixture_judged_in_process_agrees_with_its_expect_toml() {
        // debian-12-daemon-killed/expect.toml: daemon.running fail, daemon.pidfile warn (a dead daemon fails, its
        // pid file warns; this is also daemon.rs's test of those two verdicts).
        assert_eq!(
            check("debian-12-daemon-killed", "daemon.running").status,
            Status::Fail
        );
        assert_eq!(
            check("debian-12-daemon-killed", "daemon.pidfile").status,
            Status::Warn
        );
    }
}
