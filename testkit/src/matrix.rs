//! The distro matrix's expectations (`tests/matrix/expected.toml`) and the checker that holds a machine's results to
//! them: the VM tier runs it on Debian 12 and 13 in CI, `cargo xtask matrix DIR` on what Vagrant machines brought
//! back (`tests/matrix/collect.sh`).
//!
//! A machine's results are the `out/` directory of the matrix scenario (`tests/vm/lib.sh`: `matrix_fresh`,
//! `matrix_install`): `STEP.stdout`, `STEP.stderr` and `STEP.rc` per step, and the capture in `matrix-capture/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// The steps every machine must finish with exit 0, beside the two judged below.
pub const MUST_SUCCEED: &[&str] = &["matrix-setup", "matrix-wait", "matrix-capture"];
/// The statuses a finding can have.
pub const STATUSES: &[&str] = &["pass", "info", "warn", "fail", "skip", "error"];

/// `tests/matrix/expected.toml`: machine name (as the Vagrantfile defines it) to what it must find.
pub type Expected = BTreeMap<String, Machine>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub proven: Proven,
    /// For a predicted machine: the fixture host (tests/fixtures/NAME) its statuses come from.
    pub fixture: Option<String>,
    #[serde(default)]
    pub fresh: Step,
    #[serde(default)]
    pub installed: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proven {
    /// The VM tier runs this machine's scenario on every `.ci/run`.
    Vm,
    /// No box can be downloaded on the CI machine: predicted from a fixture host.
    Predicted,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// No finding fails or errs.
    #[serde(default)]
    pub no_fail: bool,
    /// Every finding `status` does not name passes: the whole report is as expected, not only the named checks
    /// (for the machines the VM tier runs).
    #[serde(default)]
    pub exhaustive: bool,
    /// Check ID to the status it must have.
    #[serde(default)]
    pub status: BTreeMap<String, String>,
}

/// The project's `tests/matrix/expected.toml`.
pub fn expected_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/matrix/expected.toml")
}

/// Reads and validates an expectations file: every status is one the doctor gives, every check ID exists, a
/// predicted machine names its fixture.
pub fn load(path: &Path) -> Result<Expected, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let expected: Expected =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for (name, machine) in &expected {
        if machine.proven == Proven::Predicted && machine.fixture.is_none() {
            return Err(format!(
                "{name}: a predicted machine names the fixture it is predicted from"
            ));
        }
        for (step, s) in [("fresh", &machine.fresh), ("installed", &machine.installed)] {
            for (id, status) in &s.status {
                if rootless_doctor::checks::find(id).is_none() {
                    return Err(format!("{name}.{step}: no check {id}"));
                }
                if !STATUSES.contains(&status.as_str()) {
                    return Err(format!("{name}.{step}: {id} = {status:?} is not a status"));
                }
            }
        }
    }
    Ok(expected)
}

/// Every way `out` (a machine's `out/` directory) falls short of `machine`; empty when it meets it all.
pub fn check(machine: &Machine, out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for step in MUST_SUCCEED {
        match read(out, step, "rc") {
            Ok(rc) if rc.trim() == "0" => {}
            Ok(rc) => problems.push(format!(
                "{step}: exited {}; stderr: {}",
                rc.trim(),
                read(out, step, "stderr").unwrap_or_default().trim()
            )),
            Err(e) => problems.push(e),
        }
    }
    if !out.join("matrix-capture/host.toml").is_file() {
        problems.push("matrix-capture: no host.toml was captured".to_owned());
    }
    for (step, expected) in [
        ("matrix-preflight", &machine.fresh),
        ("matrix-check", &machine.installed),
    ] {
        let doc = match read(out, step, "stdout").and_then(|text| {
            serde_json::from_str::<Value>(&text)
                .map_err(|e| format!("{step}: no JSON document ({e})"))
        }) {
            Ok(doc) => doc,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let findings = doc["findings"].as_array().cloned().unwrap_or_default();
        if findings.is_empty() {
            problems.push(format!("{step}: the document has no findings"));
        }
        let find = |id: &str| findings.iter().find(|f| f["id"] == id);
        for (id, want) in &expected.status {
            match find(id) {
                Some(f) if f["status"].as_str() == Some(want.as_str()) => {}
                Some(f) => problems.push(format!(
                    "{step}: {id} is {}, expected {want}: {}",
                    f["status"].as_str().unwrap_or("?"),
                    f["summary"].as_str().unwrap_or("")
                )),
                None => problems.push(format!("{step}: no finding {id}")),
            }
        }
        if expected.exhaustive {
            for f in &findings {
                let id = f["id"].as_str().unwrap_or("?");
                let status = f["status"].as_str().unwrap_or("?");
                if status != "pass" && !expected.status.contains_key(id) {
                    problems.push(format!(
                        "{step}: {id} is {status}, and only the listed checks may be anything but pass: {}",
                        f["summary"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        if expected.no_fail {
            for f in &findings {
                let status = f["status"].as_str().unwrap_or("?");
                if status == "fail" || status == "error" {
                    problems.push(format!(
                        "{step}: {} is {status}: {}",
                        f["id"].as_str().unwrap_or("?"),
                        f["summary"].as_str().unwrap_or("")
                    ));
                }
            }
        }
    }
    problems
}

fn read(out: &Path, step: &str, stream: &str) -> Result<String, String> {
    let path = out.join(format!("{step}.{stream}"));
    fs::read_to_string(&path).map_err(|e| format!("{step}: {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
    }

    /// The file parses, names real checks and statuses, and its machines are exactly the Vagrantfile's.
    #[test]
    fn the_expectations_name_the_vagrantfiles_machines() {
        let expected = load(&expected_path()).unwrap();
        let vagrantfile = fs::read_to_string(project("Vagrantfile")).unwrap();
        let defined: Vec<String> = vagrantfile
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix('"')?;
                let (name, tail) = rest.split_once('"')?;
                tail.trim_start()
                    .starts_with("=> {")
                    .then(|| name.to_owned())
            })
            .collect();
        assert!(defined.len() >= 10, "{defined:?}");
        let mut sorted = defined.clone();
        sorted.sort();
        assert_eq!(sorted, expected.keys().cloned().collect::<Vec<_>>());
        let vm: Vec<&str> = expected
            .iter()
            .filter(|(_, m)| m.proven == Proven::Vm)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(vm, ["debian-12", "debian-13"]);
        // What the VM tier runs, it knows whole.
        for name in vm {
            let m = &expected[name];
            assert!(
                m.fresh.exhaustive && m.installed.exhaustive && m.installed.no_fail,
                "{name}"
            );
        }
    }

    /// A predicted machine's statuses are its fixture host's: where the fixture's expect.toml names a check, the
    /// prediction agrees.
    #[test]
    fn predictions_agree_with_their_fixture_hosts() {
        #[derive(Deserialize)]
        struct FixtureExpect {
            #[serde(default)]
            status: BTreeMap<String, String>,
        }
        for (name, machine) in load(&expected_path()).unwrap() {
            let Some(fixture) = &machine.fixture else {
                continue;
            };
            let path = project(&format!("tests/fixtures/{fixture}/expect.toml"));
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", path.display()));
            let fx: FixtureExpect = toml::from_str(&text).unwrap();
            for (id, status) in &machine.fresh.status {
                if let Some(theirs) = fx.status.get(id) {
                    assert_eq!(status, theirs, "{name}: {id} against fixture {fixture}");
                }
            }
        }
    }

    fn write(dir: &Path, step: &str, stream: &str, text: &str) {
        fs::write(dir.join(format!("{step}.{stream}")), text).unwrap();
    }

    fn results(check_status: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for step in MUST_SUCCEED {
            write(out, step, "rc", "0\n");
            write(out, step, "stderr", "");
        }
        fs::create_dir_all(out.join("matrix-capture")).unwrap();
        fs::write(out.join("matrix-capture/host.toml"), "").unwrap();
        let doc = |status: &str| {
            format!(
                r#"{{"findings": [{{"id": "session.login", "status": "pass", "summary": "a login"}},
                {{"id": "daemon.running", "status": "{status}", "summary": "the daemon"}}]}}"#
            )
        };
        write(out, "matrix-preflight", "stdout", &doc("fail"));
        write(out, "matrix-check", "stdout", &doc(check_status));
        dir
    }

    fn machine(no_fail: bool) -> Machine {
        Machine {
            proven: Proven::Vm,
            fixture: None,
            fresh: Step {
                no_fail: false,
                exhaustive: false,
                status: [("session.login".to_owned(), "pass".to_owned())].into(),
            },
            installed: Step {
                no_fail,
                exhaustive: false,
                status: [("daemon.running".to_owned(), "pass".to_owned())].into(),
            },
        }
    }

    #[test]
    fn results_that_meet_the_expectations_pass() {
        let dir = results("pass");
        assert_eq!(check(&machine(true), dir.path()), Vec::<String>::new());
    }

    #[test]
    fn each_shortfall_is_named() {
        let dir = results("fail");
        let problems = check(&machine(true), dir.path());
        assert_eq!(
            problems,
            [
                "matrix-check: daemon.running is fail, expected pass: the daemon",
                "matrix-check: daemon.running is fail: the daemon",
            ]
        );
        write(dir.path(), "matrix-setup", "rc", "1\n");
        write(dir.path(), "matrix-setup", "stderr", "no subids\n");
        fs::remove_file(dir.path().join("matrix-capture/host.toml")).unwrap();
        fs::write(dir.path().join("matrix-preflight.stdout"), "not json").unwrap();
        let problems = check(&machine(false), dir.path());
        assert_eq!(problems[0], "matrix-setup: exited 1; stderr: no subids");
        assert_eq!(problems[1], "matrix-capture: no host.toml was captured");
        assert!(
            problems[2].starts_with("matrix-preflight: no JSON document"),
            "{problems:?}"
        );
        assert_eq!(
            problems[3],
            "matrix-check: daemon.running is fail, expected pass: the daemon"
        );
        assert_eq!(problems.len(), 4);
    }

    #[test]
    fn an_exhaustive_step_allows_no_unlisted_finding_but_pass() {
        let dir = results("pass");
        let mut m = machine(false);
        m.fresh.exhaustive = true;
        assert_eq!(
            check(&m, dir.path()),
            [
                "matrix-preflight: daemon.running is fail, and only the listed checks may be anything but pass: the daemon"
            ]
        );
        m.fresh
            .status
            .insert("daemon.running".to_owned(), "fail".to_owned());
        assert_eq!(check(&m, dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_file_with_an_unknown_check_or_status_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("expected.toml");
        fs::write(
            &path,
            "[x]\nproven = \"vm\"\n[x.fresh.status]\n\"session.nope\" = \"pass\"\n",
        )
        .unwrap();
        assert_eq!(load(&path).unwrap_err(), "x.fresh: no check session.nope");
        fs::write(
            &path,
            "[x]\nproven = \"vm\"\n[x.fresh.status]\n\"session.login\" = \"fine\"\n",
        )
        .unwrap();
        assert_eq!(
            load(&path).unwrap_err(),
            "x.fresh: session.login = \"fine\" is not a status"
        );
        fs::write(&path, "[x]\nproven = \"predicted\"\n").unwrap();
        assert!(load(&path).unwrap_err().contains("names the fixture"));
    }
}
