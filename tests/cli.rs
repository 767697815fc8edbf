//! The command line as users meet it: exit codes, usage errors, user selection, formats, colour, pipes.
#![allow(clippy::disallowed_methods)]

use std::io::Read;
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;

fn doctor() -> Command {
    let mut cmd = Command::cargo_bin("rootless-doctor").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_clear();
    cmd
}

/// The IDs of a JSON report's findings, in order.
fn finding_ids(doc: &serde_json::Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// The doctor's run on a fixture with `args`, to assert on.
fn run_on(scenario: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = doctor();
    fixture(&mut cmd, scenario);
    cmd.args(args).assert()
}

/// The doctor's JSON document on a fixture with `args` (`--format json` among them), and its exit code.
fn json_on(scenario: &str, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut cmd = doctor();
    fixture(&mut cmd, scenario);
    let out = cmd.args(args).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{scenario} {args:?}: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), doc)
}

fn fixture(cmd: &mut Command, scenario: &str) {
    cmd.args([
        "--host-file",
        &format!("tests/fixtures/{scenario}/host.toml"),
    ]);
}

/// A fixture host whose sidecar is rewritten: `edit` gets the sidecar text of `base`.
struct Edited {
    _dir: tempfile::TempDir,
    host: String,
    root: String,
}

impl Edited {
    /// The doctor on this host: the rewritten sidecar over the base fixture's tree.
    fn doctor(&self) -> Command {
        let mut cmd = doctor();
        cmd.args(["--host-file", &self.host, "--root", &self.root]);
        cmd
    }
}

fn edited(base: &str, edit: impl FnOnce(String) -> String) -> Edited {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{base}/host.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let text = edit(text);
    // A sidecar's base is the fixture directory beside it: beside the copy, a link to it.
    if let Some(name) = text
        .lines()
        .find_map(|l| l.strip_prefix("base = \""))
        .and_then(|l| l.strip_suffix('"'))
    {
        std::os::unix::fs::symlink(
            format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")),
            dir.path().join(name),
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join("case")).unwrap();
    let path = dir.path().join("case/host.toml");
    std::fs::write(&path, text).unwrap();
    Edited {
        host: path.to_string_lossy().into_owned(),
        root: root_of(base),
        _dir: dir,
    }
}

/// A fixture host whose tree is a copy of `base`'s, changed by `edit` (given the copy's root), under its own sidecar.
fn edited_tree(base: &str, edit: impl FnOnce(&std::path::Path)) -> Edited {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    copy_tree(std::path::Path::new(&root_of(base)), &root);
    edit(&root);
    Edited {
        host: format!(
            "{}/tests/fixtures/{base}/host.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
        root: root.to_string_lossy().into_owned(),
        _dir: dir,
    }
}

/// Copies a fixture tree, symlinks as symlinks.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Replaces a file of a copied tree (a symlink there is replaced, not followed).
fn put(root: &std::path::Path, path: &str, content: impl AsRef<[u8]>) {
    let file = root.join(path.trim_start_matches('/'));
    let _ = std::fs::remove_file(&file);
    std::fs::write(file, content).unwrap();
}

/// The only escape sequences in a report are the SGR colour codes the renderer writes: strips them and
/// panics on any other control character (newlines aside).
#[track_caller]
fn assert_no_terminal_controls(out: &[u8]) -> String {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let mut plain = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find('\x1b') {
        plain.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let n = after
            .strip_prefix('[')
            .map(|p| {
                p.find(|c: char| !(c.is_ascii_digit() || c == ';'))
                    .unwrap_or(p.len())
            })
            .filter(|n| after[1 + n..].starts_with('m'));
        let Some(n) = n else {
            panic!(
                "an escape sequence that is not SGR: {:?}",
                &rest[i..(i + 20).min(rest.len())]
            );
        };
        rest = &after[n + 2..];
    }
    plain.push_str(rest);
    let bad: Vec<char> = plain
        .chars()
        .filter(|&c| {
            c != '\n'
                && (c < ' '
                    || ('\x7f'..='\u{9f}').contains(&c)
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "control characters {bad:?} in the report:\n{plain}"
    );
    plain
}

fn root_of(base: &str) -> String {
    format!("{}/tests/fixtures/{base}/root", env!("CARGO_MANIFEST_DIR"))
}

/// The sidecar's identity switched to root (only the `[identity]` table, not file owners).
fn as_root(sidecar: &str) -> String {
    sidecar.replace(
        "[identity]\nuid = 1000\ngid = 1000",
        "[identity]\nuid = 0\ngid = 0",
    )
}

#[test]
fn list_shows_every_check_with_its_area() {
    let out = doctor()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().count() >= 29);
    for id in [
        "subid.entries",
        "uidmap.newuidmap",
        "apparmor.rootlesskit",
        "iptables.modules",
        "session.linger",
    ] {
        assert!(text.contains(id), "{id} missing from list");
    }
    // The README's check list is `list`'s output, verbatim: a new check cannot land without its row.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&format!("```\n{text}```")),
        "README.md's check list differs from `rootless-doctor list`; paste the new output:\n{text}"
    );
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    let out = cmd
        .args(["preflight", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let preflight = doc["findings"].as_array().unwrap().len();
    // preflight runs its checks in `list`'s order (by area), leaving out those of `check` and `--probe`.
    let ran: Vec<&str> = finding_ids(&doc);
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| ran.contains(id))
        .collect();
    assert_eq!(listed, ran, "preflight's checks are not in `list`'s order");
    assert!(
        readme.contains(&format!(
            "`preflight` runs {preflight} of them, and runs no program;"
        )),
        "README.md should say that preflight runs {preflight} of them"
    );
}

#[test]
fn explain_quotes_the_real_error_and_shows_the_fix_here() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    cmd.args(["explain", "subid.entries"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No subuid ranges found for user"))
        .stdout(predicate::str::contains("On this host"))
        .stdout(predicate::str::contains(
            "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice",
        ));
}

#[test]
fn explain_of_a_probe_check_says_where_it_runs_instead_of_running_it() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    cmd.args(["explain", "launch.trial"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "On this host: not tried by `explain`, which launches nothing; `rootless-doctor check launch`",
        ))
        .stdout(predicate::str::contains("On this host (").not());
}

#[test]
fn explain_works_without_a_user_and_lists_packages_per_distro() {
    doctor()
        .args(["explain", "uidmap.newuidmap"])
        .assert()
        .success()
        .stdout(predicate::str::contains("debian-12"))
        .stdout(predicate::str::contains("sudo apt-get install -y uidmap"))
        .stdout(predicate::str::contains("sudo dnf install -y shadow-utils"))
        .stdout(predicate::str::contains(
            "sudo pacman -S --needed --noconfirm shadow",
        ));
}

#[test]
fn unknown_check_is_a_usage_error() {
    doctor()
        .args(["explain", "subid.nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown check or area: subid.nope",
        ));
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    cmd.args(["preflight", "--only", "nonsense"])
        .assert()
        .code(2)
        .stdout("");
    // A trailing comma names an empty check: said so, not "unknown check or area: " with nothing after it.
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    cmd.args(["preflight", "--only", "subid,"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "one was empty (a trailing or doubled comma?)",
        ));
}

#[test]
fn only_and_skip_select_by_id_and_area() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    let out = cmd
        .args([
            "preflight",
            "--format",
            "json",
            "--only",
            "subid,uidmap.newuidmap",
            "--skip",
            "subid.entries",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = finding_ids(&doc);
    assert!(ids.contains(&"uidmap.newuidmap"));
    assert!(ids.contains(&"subid.range_size"));
    assert!(!ids.contains(&"subid.entries"), "skipped check ran");
    assert!(!ids.contains(&"distro.detected"));
}

#[test]
fn strict_turns_warnings_into_failure() {
    let mut cmd = doctor();
    fixture(&mut cmd, "fedora-no-linger");
    cmd.arg("preflight").assert().code(0);
    let mut cmd = doctor();
    fixture(&mut cmd, "fedora-no-linger");
    cmd.args(["preflight", "--strict"]).assert().code(1);
}

#[test]
fn root_without_a_user_gets_every_account_and_fix_still_asks_for_one() {
    let host = edited("debian-12", |t| as_root(&t));
    let out = host.doctor().args(["preflight"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("every account (2)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(" alice ") && l.contains("ok (")),
        "{text}"
    );
    // `fix` changes one user's setup: it still needs to be told whose.
    host.doctor()
        .args(["fix"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rootless mode is per user"))
        .stdout("");
}

/// The accounts' lines of a human `--all-users` report: (name, rest of the line).
fn account_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip_while(|l| !l.starts_with("accounts"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let _glyph = words.next();
            let name = words.next().unwrap().to_owned();
            (name, l.to_owned())
        })
        .collect()
}

#[test]
fn all_users_judges_each_account_that_could_run_rootless_docker_once_with_the_host_once() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-accounts");
    let out = cmd
        .args(["preflight", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = account_lines(&text);
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    // dave has no login shell and erin's uid is above UID_MAX; svc is judged for its line in /etc/subuid.
    assert_eq!(names, ["svc", "alice", "bob", "carol"], "{text}");
    let line = |name: &str| &lines.iter().find(|(n, _)| n == name).unwrap().1;
    assert!(
        line("alice").contains("ok (31 passed, 3 skipped)"),
        "{text}"
    );
    assert!(
        line("svc").contains("fail subid.entries subid.overlap"),
        "{text}"
    );
    assert!(line("bob").contains("fail subid.overlap"), "{text}");
    assert!(!line("bob").contains("subid.entries"), "{text}");
    assert!(line("carol").contains("fail subid.entries"), "{text}");
    // The host's checks appear once, above the accounts, and no per-user check among them.
    assert_eq!(text.matches("subid.files").count(), 1, "{text}");
    assert!(!text.contains("subid.range_size"), "{text}");
    assert!(
        text.contains("accounts: 1 ok, 0 with warnings, 3 failing"),
        "{text}"
    );
    // Below, each check that did not pass with how many accounts, the most first (then in the order the checks run):
    // the three without a session fail the session's checks, subid.entries fails for svc and carol, subid.overlap
    // for svc and bob (svc's line in /etc/subuid overlaps bob's).
    let tally: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("accounts by check"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(
        tally,
        [
            "  fail  session.xdg_runtime_dir 3, session.dbus 3, start.environment 3, subid.entries 2, subid.overlap 2",
            "  warn  session.linger 3, cgroup.delegation 3"
        ],
        "{text}"
    );
    // --all-users says the same explicitly; --user still judges one.
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-accounts");
    let explicit = cmd
        .args(["preflight", "--all-users", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(explicit.stdout).unwrap(), text);
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-accounts");
    cmd.args(["preflight", "--all-users", "--user", "bob"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    // clap checks the conflict within one level of the line only; the doctor checks it across levels.
    for line in [
        &["--user", "bob", "preflight", "--all-users"][..],
        &["--all-users", "preflight", "--user", "bob"],
        &["--user", "bob", "--all-users", "check"],
    ] {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12-accounts");
        cmd.args(line).assert().code(2).stdout("").stderr(
            predicate::str::contains("cannot be used with")
                .and(predicate::str::contains("'--all-users'"))
                .and(predicate::str::contains("'--user <NAME>'")),
        );
    }
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-accounts");
    cmd.args(["preflight", "--all-users", "--probe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name one with --user NAME"));
}

/// Every account's findings in the `--all-users` JSON document are the findings `--user NAME` gives, the host-wide
/// checks (reported once, at the top) and the checks that launch RootlessKit aside.
#[test]
fn all_users_json_holds_what_each_accounts_own_run_finds() {
    for command in ["preflight", "check"] {
        let (json, code) = report("debian-12-accounts", command, "json", &[]);
        assert_eq!(code, 1, "{command}");
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["all_users"], true);
        assert_eq!(doc["healthy"], false);
        assert_eq!(doc["accounts_chosen"]["uid_max"], 60000);
        let host_ids = finding_ids(&doc);
        assert!(host_ids.contains(&"subid.files"), "{host_ids:?}");
        let accounts = doc["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 4, "{command}");
        // accounts_summary.by_check counts the accounts' own findings, check by check.
        let mut counted = serde_json::Map::new();
        for f in accounts
            .iter()
            .flat_map(|a| a["findings"].as_array().unwrap())
        {
            let status = f["status"].as_str().unwrap();
            if ["fail", "error", "warn"].contains(&status) {
                let entry = counted
                    .entry(f["id"].as_str().unwrap())
                    .or_insert_with(|| serde_json::json!({}));
                let n = entry[status].as_u64().unwrap_or(0);
                entry[status] = (n + 1).into();
            }
        }
        let by_check = doc["accounts_summary"]["by_check"].as_object().unwrap();
        assert!(!by_check.is_empty(), "{command}");
        assert_eq!(by_check, &counted, "{command}");
        // In the order the checks run (an account's findings are in that order).
        let order: Vec<&str> = accounts[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        let keys: Vec<usize> = by_check
            .keys()
            .map(|k| order.iter().position(|id| id == k).unwrap())
            .collect();
        assert!(keys.is_sorted(), "{command}: {by_check:?}");
        assert_eq!(doc["accounts_summary"]["not_judged"], 0, "{command}");
        for a in accounts {
            let name = a["name"].as_str().unwrap();
            let (own, _) = report("debian-12-accounts", command, "json", &["--user", name]);
            let own: serde_json::Value = serde_json::from_str(&own).unwrap();
            let expected: Vec<(String, String, String)> = own["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| !host_ids.contains(&f["id"].as_str().unwrap()))
                .filter(|f| f["id"] != "launch.trial" && f["id"] != "subid.nss")
                .map(|f| {
                    (
                        f["id"].to_string(),
                        f["status"].to_string(),
                        f["summary"].to_string(),
                    )
                })
                .collect();
            let got: Vec<(String, String, String)> = a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["id"].to_string(),
                        f["status"].to_string(),
                        f["summary"].to_string(),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{command}: {name}");
            assert!(!got.is_empty());
        }
    }
}

#[test]
fn all_users_prometheus_and_junit_carry_every_account() {
    let (text, code) = report("debian-12-accounts", "preflight", "prometheus", &[]);
    assert_eq!(code, 1);
    let (ok, said) = validate("promtool", &["check", "metrics"], text.as_bytes());
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{text}");
    for line in [
        r#"rootless_doctor_check{command="preflight",user="",id="subid.files",area="subid",status="pass"} 1"#,
        r#"rootless_doctor_check{command="preflight",user="bob",id="subid.overlap",area="subid",status="fail"} 1"#,
        r#"rootless_doctor_check{command="preflight",user="alice",id="subid.overlap",area="subid",status="pass"} 1"#,
        r#"rootless_doctor_healthy{command="preflight",user=""} 0"#,
        r#"rootless_doctor_healthy{command="preflight",user="alice"} 1"#,
        r#"rootless_doctor_healthy{command="preflight",user="bob"} 0"#,
        r#"rootless_doctor_last_run_timestamp_seconds{command="preflight",user=""} 1700000000"#,
        // The counts over the four accounts: subid.overlap fails for svc and bob, passes for alice and skips carol,
        // who has no range.
        r#"rootless_doctor_check_accounts{command="preflight",user="",id="subid.overlap",area="subid",status="fail"} 2"#,
        r#"rootless_doctor_check_accounts{command="preflight",user="",id="subid.overlap",area="subid",status="pass"} 1"#,
        r#"rootless_doctor_check_accounts{command="preflight",user="",id="subid.overlap",area="subid",status="skip"} 1"#,
        r#"rootless_doctor_check_accounts{command="preflight",user="",id="subid.overlap",area="subid",status="warn"} 0"#,
        r#"rootless_doctor_accounts{command="preflight",user="",status="ok"} 1"#,
        r#"rootless_doctor_accounts{command="preflight",user="",status="warn"} 0"#,
        r#"rootless_doctor_accounts{command="preflight",user="",status="fail"} 3"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no line {line}:\n{text}");
    }
    // Every per-account check is counted once per account, and no host-wide check is among them.
    let per_check = |id: &str| -> u64 {
        text.lines()
            .filter(|l| {
                l.starts_with("rootless_doctor_check_accounts{")
                    && l.contains(&format!(r#"id="{id}""#))
            })
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
            .sum()
    };
    for id in ["subid.entries", "session.linger", "start.path"] {
        assert_eq!(per_check(id), 4, "{id}:\n{text}");
    }
    assert_eq!(per_check("subid.files"), 0, "{text}");
    let (xml, code) = report("debian-12-accounts", "preflight", "junit", &[]);
    assert_eq!(code, 1);
    assert_valid_junit(&xml);
    assert_eq!(xml.matches("<testsuite ").count(), 5, "{xml}");
    for suite in [
        "preflight, the host",
        "preflight (svc)",
        "preflight (carol)",
    ] {
        assert!(
            xml.contains(&format!(r#"<testsuite name="{suite}""#)),
            "{suite}\n{xml}"
        );
    }
}

/// Regression (hostile-user audit): accounts named `esc2<ESC>` and `esc2\e` got one `user` label, so the file held
/// each of their series twice, which Prometheus refuses.
#[test]
fn regression_two_accounts_one_prometheus_label() {
    let host = edited("debian-12-accounts", |t| {
        t.replace(
            "carol:x:1002:1002:Carol,,,:/home/carol:/bin/bash\n",
            "carol:x:1002:1002:Carol,,,:/home/carol:/bin/bash\nesc2\\u001B:x:2014:2014::/home/e1:/bin/bash\nesc2\\\\e:x:2015:2015::/home/e2:/bin/bash\n",
        )
    });
    let out = host
        .doctor()
        .args(["preflight", "--all-users", "--format", "prometheus"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (ok, said) = validate("promtool", &["check", "metrics"], text.as_bytes());
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{text}");
    let series: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s))
        .collect();
    let distinct: std::collections::BTreeSet<&str> = series.iter().copied().collect();
    assert_eq!(distinct.len(), series.len(), "a series twice:\n{text}");
    for user in [r#"user="esc2\\e""#, r#"user="esc2\\\\e""#] {
        assert!(
            text.contains(&format!(
                r#"rootless_doctor_healthy{{command="preflight",{user}}}"#
            )),
            "no {user}:\n{text}"
        );
    }
}

#[test]
fn under_sudo_the_invoking_user_is_checked_and_the_report_says_so() {
    let host = edited("debian-12", |t| {
        as_root(&t).replace("[env]\n", "[env]\nSUDO_USER = \"alice\"\n")
    });
    let out = host
        .doctor()
        .args(["preflight", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["host"]["user"]["name"], "alice");
    assert_eq!(doc["host"]["user"]["source"], "sudo");
    let find = |id: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()
            .clone()
    };
    // Root's environment is not alice's session: the runtime dir is judged at /run/user/1000, the login is skipped.
    assert_eq!(find("session.xdg_runtime_dir")["status"], "pass");
    assert!(
        find("session.xdg_runtime_dir")["summary"]
            .as_str()
            .unwrap()
            .contains("/run/user/1000")
    );
    assert_eq!(find("session.login")["status"], "skip");
    let human = host
        .doctor()
        .args(["preflight"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8(human)
            .unwrap()
            .contains("user alice (uid 1000), from SUDO_USER")
    );
}

#[test]
fn user_flag_is_for_root_only() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    cmd.args(["--user", "bob", "preflight"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--user is only for root"));
    let host = edited("debian-12", |t| as_root(&t));
    let out = host
        .doctor()
        .args(["--user", "bob", "preflight", "--format", "json"])
        .assert()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["host"]["user"]["name"], "bob");
    assert_eq!(doc["host"]["user"]["source"], "flag");
    host.doctor()
        .args(["--user", "mallory", "preflight"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no user named \"mallory\""));
}

#[test]
fn a_broken_sidecar_names_the_file_and_line() {
    let host = edited("debian-12", |t| {
        t.replace(
            "[identity]\nuid = 1000\n",
            "[identity]\nuid = \"a thousand\"\n",
        )
    });
    host.doctor()
        .args(["preflight"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("host.toml: line 6:"))
        .stdout("");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    let plain = cmd
        .arg("preflight")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(!plain.contains(&0x1b), "escape codes in piped output");
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    let coloured = cmd
        .args(["preflight", "--color", "always"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(
        coloured.contains(&0x1b),
        "no escape codes with --color always"
    );
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    let no_color = cmd
        .env("NO_COLOR", "1")
        .arg("preflight")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(!no_color.contains(&0x1b));
}

#[test]
fn verbose_shows_evidence_for_passing_checks() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    let quiet = String::from_utf8(
        cmd.arg("preflight")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    let verbose = String::from_utf8(
        cmd.args(["preflight", "-v"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(!quiet.contains("/etc/subuid:1: alice:100000:65536"));
    assert!(verbose.contains("/etc/subuid:1: alice:100000:65536"));
}

/// Runs the doctor on a fixture with its standard output a pipe whose read end is closed at once, as `| head -0`
/// would: the exit code and what it wrote to standard error.
fn with_a_closed_pipe(fixture: &str, args: &[&str]) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("rootless-doctor");
    let mut child = std::process::Command::new(bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--host-file",
            &format!("tests/fixtures/{fixture}/host.toml"),
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let (code, stderr) = with_a_closed_pipe("debian-12", &["preflight", "-v"]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
}

/// A fleet's report is written as its accounts are judged; a reader that stopped reading ended the run at the
/// first write, before the failing accounts were judged, and the exit code said 0 ("no failure"). JUnit's writer
/// wrapped the same closed pipe into "error serializing JUnit report" and exit code 2.
#[test]
fn regression_a_closed_pipe_ended_the_fleet_run_with_exit_code_0() {
    for format in ["human", "json", "junit", "prometheus"] {
        let (code, stderr) = with_a_closed_pipe(
            "debian-12-accounts",
            &["preflight", "--all-users", "--format", format],
        );
        assert_eq!(code, Some(1), "{format}: stderr: {stderr}");
        assert!(stderr.is_empty(), "{format}: stderr: {stderr}");
    }
}

#[test]
fn root_flag_reads_a_tree_with_the_real_identity() {
    // --root without a sidecar: files come from the tree, identity and environment from this process.
    // This test's process may be root (CI) or not (a developer); either way the tree's distro is what is reported.
    let out = doctor()
        .env("SUDO_USER", "alice")
        .env("HOME", "/home/alice")
        .args(["--root", &root_of("rhel-9"), "explain", "distro.detected"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("distro.detected"));
    if text.contains("On this host") {
        assert!(text.contains("Rocky Linux 9.4"), "{text}");
    }
}

#[test]
fn regression_terminal_injection_pretty_name() {
    // An image's os-release that erases the header line and writes the clipboard (OSC 52) when the report is read.
    let host = edited_tree("debian-12", |root| {
        put(
            root,
            "/etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian\u{1b}[2K\r\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{202e}\"\n",
        );
    });
    for colour in ["always", "never"] {
        let out = host
            .doctor()
            .args(["preflight", "--color", colour])
            .output()
            .unwrap();
        let text = assert_no_terminal_controls(&out.stdout);
        assert!(
            text.contains(r"preflight: Debian\e[2K\r\e]52;c;cm0gLXJmIH4=\x07\u{202e}, kernel"),
            "{text}"
        );
    }
    // JSON keeps the value as it is (serde escapes it).
    let out = host
        .doctor()
        .args(["preflight", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["host"]["distro"]["pretty_name"],
        "Debian\u{1b}[2K\r\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{202e}"
    );
}

#[test]
fn regression_terminal_injection_context_name() {
    // A context name that moves the cursor up and erases the ✗ line it appears on.
    let host = edited("debian-12-daemon-context-missing", |t| {
        t.replace(
            "DOCKER_CONTEXT = \"rootless\"",
            "DOCKER_CONTEXT = \"rootless\\u001b[1A\\u001b[2K\\r\\u009b2J\"",
        )
    });
    for colour in ["always", "never"] {
        let out = host
            .doctor()
            .args(["check", "--color", colour])
            .output()
            .unwrap();
        let text = assert_no_terminal_controls(&out.stdout);
        assert!(text.contains(r"rootless\e[1A\e[2K\r\u{9b}2J"), "{text}");
    }
}

#[test]
fn regression_unbounded_output_huge_subuid() {
    // A million-line /etc/subuid once made 422 MB of JSON; 20,000 of alice's ranges made 2 MB (and take seconds
    // to judge in a debug build, so the test stops there).
    let host = edited_tree("debian-12", |root| {
        let mut text = String::new();
        for i in 0..20_000u64 {
            text.push_str(&format!("alice:{}:65536\n", 100_000 + i * 65_536));
        }
        put(root, "/etc/subuid", text);
    });
    let out = host
        .doctor()
        .args(["preflight", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.stdout.len() < 1_000_000,
        "{} bytes of JSON",
        out.stdout.len()
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(" more lines") || text.contains(" more characters"),
        "{text}"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(!finding_ids(&doc).is_empty());
    let human = host.doctor().args(["preflight", "-v"]).output().unwrap();
    assert!(
        human.stdout.len() < 1_000_000,
        "{} bytes of text",
        human.stdout.len()
    );
}

/// `check --only ID` on `host`: its one finding, from the JSON report.
fn only_finding(host: &Edited, id: &str) -> serde_json::Value {
    let out = host
        .doctor()
        .args(["check", "--only", id, "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"][0].clone()
}

/// Regression (hostile-user audit): a user unit's drop-ins were parsed whatever their size (three of 64 MiB took
/// 8.7 GB). A unit's files together may hold 1 MiB; past it the check names the file, and nothing is parsed.
#[test]
fn regression_huge_drop_ins_are_named_not_parsed() {
    let host = edited_tree("debian-12", |root| {
        let dir = root.join("home/alice/.config/systemd/user/docker.service.d");
        std::fs::create_dir_all(&dir).unwrap();
        put(
            root,
            "/home/alice/.config/systemd/user/docker.service",
            "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n",
        );
        let body = format!("[Service]\n{}", "E=1\n".repeat(100_000));
        for name in ["0.conf", "1.conf", "2.conf"] {
            put(
                root,
                &format!("/home/alice/.config/systemd/user/docker.service.d/{name}"),
                &body,
            );
        }
    });
    let f = &only_finding(&host, "daemon.user_unit");
    assert_eq!(f["status"], "error", "{f}");
    assert!(
        f.to_string().contains(
            "/home/alice/.config/systemd/user/docker.service.d/2.conf: the unit's files hold more than 1 MiB with this one: not read"
        ),
        "{f}"
    );
}

/// Regression (hostile-user audit): a user's daemon.json was parsed whatever its size under the 64 MiB read cap, and
/// a JSON value costs up to sixteen times its text (60 MB of `[],` took 1.5 GB and 8 s, in four parses). A user's
/// JSON configuration may hold 1 MiB; past it the check says it was not read.
#[test]
fn regression_huge_daemon_json_is_named_not_parsed() {
    let host = edited_tree("debian-12", |root| {
        std::fs::create_dir_all(root.join("home/alice/.config/docker")).unwrap();
        put(
            root,
            "/home/alice/.config/docker/daemon.json",
            format!("[{}[]]", "[],".repeat(400_000)),
        );
    });
    let f = &only_finding(&host, "daemon.config");
    assert!(
        f.to_string().contains(
            "/home/alice/.config/docker/daemon.json: larger than 1 MiB: not read (no configuration file is that large)"
        ),
        "{f}"
    );
}

/// Regression (found by review): each EnvironmentFile= was capped alone, and a unit may name one file thousands of
/// times (each naming a read and a parse). Together they may hold 1 MiB; past it the line is named, the environment
/// is unknown, and the fix says what to shorten.
#[test]
fn regression_environment_files_capped_together() {
    let host = edited_tree("debian-12-rootful-healthy", |root| {
        let dir = root.join("etc/systemd/system/docker.service.d");
        std::fs::create_dir_all(&dir).unwrap();
        put(root, "/etc/e.env", format!("A={}\n", "x".repeat(100_000)));
        put(
            root,
            "/etc/systemd/system/docker.service.d/zz-env.conf",
            format!(
                "[Service]\n{}ExecStart=\nExecStart=/usr/bin/dockerd $A\n",
                "EnvironmentFile=/etc/e.env\n".repeat(20)
            ),
        );
    });
    let f = only_finding(&host, "daemon.config");
    assert_eq!(f["status"], "warn", "{f}");
    let text = f.to_string();
    assert!(
        text.contains(
            "/etc/systemd/system/docker.service.d/zz-env.conf:12: EnvironmentFile=/etc/e.env: the unit's environment \
files hold more than 1 MiB with this one: not read: the flags of docker.service were read without their variables"
        ),
        "{f}"
    );
    assert!(text.contains("Shorten the environment files of"), "{f}");
}

#[test]
fn regression_unbounded_expansion_unit_names_file_and_line() {
    // A drop-in repeating ${A} 4,000 times over a 1 MB EnvironmentFile once asked for a 4 GB allocation.
    let host = edited_tree("debian-12-rootful-healthy", |root| {
        let dir = root.join("etc/systemd/system/docker.service.d");
        std::fs::create_dir_all(&dir).unwrap();
        put(
            root,
            "/etc/big.env",
            format!("A={}\n", "x".repeat(1_000_000)),
        );
        put(
            root,
            "/etc/systemd/system/docker.service.d/zz-big.conf",
            format!(
                "[Service]\nEnvironmentFile=/etc/big.env\nExecStart=\nExecStart=/usr/bin/dockerd {}\n",
                "${A}".repeat(4000)
            ),
        );
    });
    let f = &only_finding(&host, "daemon.config");
    assert_eq!(f["status"], "warn", "{f}");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains(
            "/etc/systemd/system/docker.service.d/zz-big.conf:4: ExecStart= expansion exceeds 1048576 bytes"
        ),
        "{summary}"
    );
}

#[test]
fn regression_unbounded_expansion_apparmor_names_file_and_line() {
    // Tunables whose variables reference themselves with long values once expanded to a gigabyte.
    let host = edited_tree("ubuntu-24.04-rootlesskit-in-home-bin", |root| {
        let long = "x".repeat(400_000);
        put(
            root,
            "/etc/apparmor.d/tunables/zz-loop",
            format!("@{{LOOP}}=@{{LOOP}}{long}@{{LOOP}} {long}\n"),
        );
        put(
            root,
            "/etc/apparmor.d/home.alice.bin.rootlesskit",
            "abi <abi/4.0>,\n\nprofile loop @{LOOP}/rootlesskit flags=(unconfined) {\n  userns,\n}\n",
        );
    });
    let out = host
        .doctor()
        .args([
            "preflight",
            "--only",
            "apparmor.rootlesskit",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["status"], "fail", "{f}");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("the attachment at /etc/apparmor.d/home.alice.bin.rootlesskit:3 expands to more than 1048576 bytes"),
        "{f}"
    );
    assert!(f["evidence"].as_array().unwrap().iter().any(|e| {
        e["source"] == "/etc/apparmor.d/home.alice.bin.rootlesskit:3"
            && e["detail"]
                .as_str()
                .unwrap()
                .contains("(through @{LOOP}) exceeds 1048576 bytes")
    }));
}

/// Comments and texts name public sources; nothing points into the workplace's private notes, which a reader of
/// the repository (or a user of the binary) cannot open.
#[test]
fn no_file_points_outside_the_repository() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "target" || name == "corpus" || name == "artifacts" || name.starts_with('.')
            {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if ["rs", "md", "toml", "conf", "sh"]
                .iter()
                .any(|ext| name.ends_with(&format!(".{ext}")))
            {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "src", "tests", "testkit", "xtask", "fuzz", "profiles", "distros",
    ] {
        walk(&root.join(dir), &mut files);
    }
    files.extend(["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"].map(|f| root.join(f)));
    assert!(files.len() > 100, "only {} files found", files.len());
    // Spelled in two halves so this test does not find itself.
    let private = [
        ["shared/", "reference"],
        ["anchors", ".md"],
        ["live-host", ".md"],
        ["failure-modes", "-2026"],
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for [a, b] in private {
            let needle = format!("{a}{b}");
            assert!(
                !text.contains(&needle),
                "{} points outside the repository ({needle})",
                file.display()
            );
        }
    }
}

/// Regression (source-document audit): `explain network.managers` told users to *install* netscript, the tool
/// Docker's documentation says to remove, and named dnf, zypper and pacman packages that do not exist. It now says
/// remove, and only where the distribution packages it (Debian and Ubuntu's netscript-2.4).
#[test]
fn regression_explain_network_managers_says_remove_netscript_only_where_it_is_packaged() {
    let out = doctor()
        .args(["explain", "network.managers"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Packages to remove, where the distribution has them:\n  ubuntu-26.04           sudo apt-get remove -y netscript-2.4\n  ubuntu-25.04           sudo apt-get remove -y netscript-2.4\n  ubuntu-24.04           sudo apt-get remove -y netscript-2.4"),
        "{text}"
    );
    assert!(
        text.contains("debian-12              sudo apt-get remove -y netscript-2.4"),
        "{text}"
    );
    for wrong in [
        "install -y netscript",
        "dnf",
        "zypper",
        "pacman",
        "Packages, per distribution",
    ] {
        assert!(!text.contains(wrong), "{wrong:?} in:\n{text}");
    }
}

/// Regression (source-document audit): the hosts drop-in `fix` writes for Debian's docker.io unit replaced its
/// `ExecStart=… $DOCKER_OPTS` with the variable's value of the moment, so later edits of /etc/default/docker were
/// ignored. It keeps `$DOCKER_OPTS` as a word for systemd now.
#[test]
fn regression_the_hosts_dropin_keeps_docker_opts() {
    let out = doctor()
        .args([
            "--host-file",
            "tests/fixtures/debian-12-rootful-hosts-conflict/host.toml",
            "fix",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "ExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n"
        ),
        "{text}"
    );
    assert!(!text.contains("--dns 8.8.8.8"), "{text}");
}

/// The JSON report of `args` on a fixture, with its exit code.
fn json_of(scenario: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut cmd = doctor();
    fixture(&mut cmd, scenario);
    let out = cmd.args(args).args(["--format", "json"]).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn status_of<'a>(doc: &'a serde_json::Value, id: &str) -> &'a str {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn target_decides_which_daemon_check_judges_and_the_report_says_why() {
    // Auto: a docker-group member without a rootless daemon, on the default socket, is judged as a rootful user.
    let (code, doc) = json_of("debian-12-rootful-user", &["check"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["target"]["daemon"], "rootful");
    assert!(
        doc["target"]["why"]
            .as_str()
            .unwrap()
            .contains("you are in the docker group"),
        "{doc:#}"
    );
    assert_eq!(status_of(&doc, "subid.entries"), "info");
    assert_eq!(doc["summary"]["info"], 4);
    // --target rootless: the same host judged for rootless mode fails where rootless mode would.
    let (code, doc) = json_of("debian-12-rootful-user", &["check", "--target", "rootless"]);
    assert_eq!(code, 1);
    assert_eq!(doc["target"]["daemon"], "rootless");
    assert_eq!(status_of(&doc, "subid.entries"), "fail");
    assert_eq!(status_of(&doc, "client.endpoint"), "fail");
    // --target rootful for a user whose client uses the rootless daemon: client.endpoint says the client is elsewhere.
    let (_, doc) = json_of(
        "debian-12-daemon",
        &["check", "--target", "rootful", "client.endpoint"],
    );
    assert_eq!(
        doc["target"]["why"],
        "the rootful daemon, as asked (--target rootful)"
    );
    assert_eq!(status_of(&doc, "client.endpoint"), "warn");
    // The human report's second line names the daemon judged.
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-rootful-user");
    cmd.args(["check", "client"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "judging the rootful daemon: you are in the docker group",
        ));
    // preflight, setup and net judge rootless mode only: --target rootful there is a usage error.
    for args in [&["preflight"][..], &["net"][..], &["setup"][..]] {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12-rootful-user");
        cmd.args(args)
            .args(["--target", "rootful"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("judges rootless mode only"));
    }
}

#[test]
fn a_rootful_user_gets_the_documents_fixes_not_rootless_advice() {
    // Session predating the group: a fresh login or newgrp.
    let (_, doc) = json_of(
        "debian-12-rootful-user-stale-session",
        &["check", "client.socket"],
    );
    let text = doc["findings"][0].to_string();
    assert!(
        text.contains("newgrp docker") && text.contains("predates"),
        "{text}"
    );
    let fix = doc["findings"][0]["remediation"].to_string();
    assert!(!fix.contains("rootless"), "{fix}");
    // Not in the group, DOCKER_HOST naming the rootful socket: join the group.
    let (_, doc) = json_of(
        "debian-12-rootful-docker-host-no-group",
        &["check", "client.socket"],
    );
    let fix = doc["findings"][0]["remediation"].to_string();
    assert!(fix.contains("usermod -aG docker alice"), "{fix}");
    assert!(
        !fix.contains("context") && !fix.contains("rootless"),
        "{fix}"
    );
    // The service stopped: start and enable it.
    let (_, doc) = json_of(
        "debian-12-rootful-user-service-stopped",
        &["check", "client.socket"],
    );
    let text = doc["findings"][0].to_string();
    assert!(
        text.contains("systemctl enable --now docker.service"),
        "{text}"
    );
}

#[test]
fn coverage_table_names_every_check_of_list() {
    // README's "Coverage of Docker's documents": every check it names exists, and every check is named.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("## Coverage of Docker's documents")
        .expect("the coverage section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    let section = &section[..end];
    let mut named = std::collections::BTreeSet::new();
    for row in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(last) = cells.last() else { continue };
        for (i, part) in last.split('`').enumerate() {
            if i % 2 == 1
                && part.contains('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
            {
                named.insert(part.to_owned());
            }
        }
    }
    let out = doctor()
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: std::collections::BTreeSet<String> = list
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let unknown: Vec<&String> = named.difference(&ids).collect();
    assert!(
        unknown.is_empty(),
        "the coverage table names checks that do not exist: {unknown:?}"
    );
    let missing: Vec<&String> = ids.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "checks the coverage table does not name: {missing:?}"
    );
}

/// `capture` writes only a directory of its own: an existing one (or a link where it would go) is refused with exit
/// 1 and nothing written through it; a selection captures just those checks, and the replay hint names the user.
#[test]
fn capture_refuses_an_existing_directory_and_follows_no_link() {
    let tmp = tempfile::tempdir().unwrap();
    let existing = tmp.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&existing, &link).unwrap();
    for out in [&existing, &link] {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12-daemon");
        cmd.args(["capture", "--out"])
            .arg(out)
            .assert()
            .code(1)
            .stdout("")
            .stderr(
                predicate::str::contains("capture: cannot write")
                    .and(predicate::str::contains("exists")),
            );
    }
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);
    let dir = tmp.path().join("subid");
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-daemon");
    cmd.args(["capture", "subid", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "replay: rootless-doctor --host-file {}/host.toml check",
            dir.display()
        )));
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("findings.json")).unwrap()).unwrap();
    let ids = finding_ids(&findings);
    assert!(
        !ids.is_empty() && ids.iter().all(|id| id.starts_with("subid.")),
        "{ids:?}"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&dir).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
}

/// Runs `tool ARGS` with `input` on its stdin; a machine without the tool fails the test (`cargo xtask setup`
/// installs xmllint and promtool).
fn validate(tool: &str, args: &[&str], input: &[u8]) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e} (`cargo xtask setup` installs it)"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// xmllint finds `xml` valid against the JUnit schema of `tests/schemas/junit.xsd`.
fn assert_valid_junit(xml: &str) {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/junit.xsd");
    let (ok, said) = validate(
        "xmllint",
        &["--noout", "--schema", schema, "-"],
        xml.as_bytes(),
    );
    assert!(ok, "xmllint: {said}\n{xml}");
}

/// One report of `scenario` in `format` (with `extra` flags): its stdout and exit code.
fn report(scenario: &str, command: &str, format: &str, extra: &[&str]) -> (String, i32) {
    let mut cmd = doctor();
    fixture(&mut cmd, scenario);
    let out = cmd
        .args([command, "--format", format])
        .args(extra)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn prometheus_format_passes_promtool_and_says_what_the_exit_code_says() {
    let (text, code) = report("debian-12-user-bus-stopped", "preflight", "prometheus", &[]);
    assert_eq!(code, 1);
    let (ok, said) = validate("promtool", &["check", "metrics"], text.as_bytes());
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{text}");
    let run = r#"command="preflight",user="alice""#;
    for line in [
        format!(
            r#"rootless_doctor_check{{{run},id="session.dbus",area="session",status="fail"}} 1"#
        ),
        format!(
            r#"rootless_doctor_check{{{run},id="subid.entries",area="subid",status="pass"}} 1"#
        ),
        format!(r#"rootless_doctor_checks{{{run},status="fail"}} 1"#),
        format!(r#"rootless_doctor_checks{{{run},status="error"}} 0"#),
        format!(r#"rootless_doctor_healthy{{{run}}} 0"#),
        // A fixture host's clock: the reports of a fixture are the same from run to run.
        format!(r#"rootless_doctor_last_run_timestamp_seconds{{{run}}} 1700000000"#),
        format!(
            r#"rootless_doctor_info{{{run},version="0.1.0",distro="debian-12",kernel="6.1.0-26-amd64"}} 1"#
        ),
    ] {
        assert!(text.lines().any(|l| l == line), "no line {line}:\n{text}");
    }
    // One series per check, as many as the JSON report's findings.
    let (json, _) = report("debian-12-user-bus-stopped", "preflight", "json", &[]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let series = text
        .lines()
        .filter(|l| l.starts_with("rootless_doctor_check{"))
        .count();
    assert_eq!(series, finding_ids(&doc).len());
    // Warnings alone: healthy, unless --strict makes them fail the run (and the gauge).
    for (extra, code, healthy) in [(&[][..], 0, "1"), (&["--strict"][..], 1, "0")] {
        let (text, got) = report("arch-ping-and-ports", "preflight", "prometheus", extra);
        assert_eq!(got, code, "{extra:?}");
        let line =
            format!(r#"rootless_doctor_healthy{{command="preflight",user="alice"}} {healthy}"#);
        assert!(
            text.lines().any(|l| l == line),
            "{extra:?}: no {line}:\n{text}"
        );
        let (ok, said) = validate("promtool", &["check", "metrics"], text.as_bytes());
        assert!(ok, "promtool: {said}");
    }
}

#[test]
fn junit_format_is_valid_against_the_schema_with_one_case_per_check() {
    let (xml, code) = report("debian-12-user-bus-stopped", "preflight", "junit", &[]);
    assert_eq!(code, 1);
    assert_valid_junit(&xml);
    let (json, _) = report("debian-12-user-bus-stopped", "preflight", "json", &[]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids = finding_ids(&doc);
    assert_eq!(xml.matches("<testcase ").count(), ids.len());
    assert!(xml.contains(&format!(
        r#"<testsuites name="rootless-doctor" tests="{}" skipped="2" failures="1" errors="0""#,
        ids.len()
    )));
    // The failure carries the summary as its message and the evidence and fix as its text.
    let case = xml
        .split("<testcase ")
        .find(|c| c.starts_with(r#"name="session.dbus""#))
        .unwrap();
    assert!(
        case.contains(r#"classname="rootless-doctor.session""#),
        "{case}"
    );
    assert!(
        case.contains(r#"<failure message="nobody listens on the user bus /run/user/1000/bus"#),
        "{case}"
    );
    assert!(
        case.contains("/run/user/1000/bus: socket, connect: connection refused"),
        "{case}"
    );
    assert!(
        case.contains("$ systemctl --user start dbus.socket"),
        "{case}"
    );
    // A warning passes outside --strict (and says so) and fails under it.
    let (xml, _) = report("arch-ping-and-ports", "preflight", "junit", &[]);
    let case = xml
        .split("<testcase ")
        .find(|c| c.starts_with(r#"name="network.ping_group_range""#))
        .unwrap();
    assert!(!case.contains("<failure"), "{case}");
    assert!(case.contains("<system-out>warn: "), "{case}");
    let (xml, code) = report("arch-ping-and-ports", "preflight", "junit", &["--strict"]);
    assert_eq!(code, 1);
    let case = xml
        .split("<testcase ")
        .find(|c| c.starts_with(r#"name="network.ping_group_range""#))
        .unwrap();
    assert!(case.contains(r#"type="warn""#), "{case}");
    assert_valid_junit(&xml);
}

#[test]
fn report_formats_are_for_preflight_and_check_only() {
    for (args, word) in [
        (
            &["list", "--format", "junit"][..],
            "--format junit reports checks, for `preflight` and `check`; `list` does not take it",
        ),
        (
            &["fix", "--format", "prometheus"][..],
            "--format prometheus reports checks, for `preflight` and `check`; `fix` does not take it",
        ),
    ] {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12");
        cmd.args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(word));
    }
}

#[test]
fn regression_a_non_character_in_a_users_file_keeps_the_junit_report_valid() {
    // An account named with U+FFFF inside alice's subordinate range: subid.passwd_overlap names it, and quick-junit
    // passed the character through, which XML 1.0 forbids (xmllint: "Char 0xFFFF out of allowed range"), so a CI
    // system would have dropped the whole report.
    let host = edited_tree("debian-12", |root| {
        let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
        put(
            root,
            "/etc/passwd",
            format!("{passwd}evil\u{ffff}:x:100005:100005::/home/evil:/bin/sh\n"),
        );
    });
    let out = host
        .doctor()
        .args(["preflight", "--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("evil\u{fffd}"), "{xml}");
    assert_valid_junit(&xml);
    // The same run's Prometheus text passes promtool too.
    let out = host
        .doctor()
        .args(["preflight", "--format", "prometheus"])
        .output()
        .unwrap();
    let (ok, said) = validate("promtool", &["check", "metrics"], &out.stdout);
    assert!(ok, "promtool: {said}");
}

/// Regression (found by a demanding-user review): an account whose /etc/passwd line is not UTF-8 in its home (carol,
/// `/home/j\xf6rg`) was left out of `--all-users` altogether, though glibc sees it: not listed, not counted, and
/// the run could exit 0. It is listed as not judged, which fails the run.
#[test]
fn regression_an_account_whose_passwd_line_is_not_utf8_was_left_out_of_the_fleet() {
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-passwd-not-utf8");
    let out = cmd
        .args(["preflight", "--all-users", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = account_lines(&text);
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"], "{text}");
    assert!(
        lines[2].1.contains("uid 1002")
            && lines[2].1.contains("not judged: /etc/passwd:6: not UTF-8"),
        "{text}"
    );
    let (_, doc) = json_on(
        "debian-12-passwd-not-utf8",
        &["preflight", "--all-users", "--format", "json"],
    );
    let carol = doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "carol")
        .unwrap();
    assert_eq!(carol["status"], "error", "{carol:#}");
    // Its one error, as Prometheus and JUnit count it.
    assert_eq!(carol["summary"]["error"], 1, "{carol:#}");
    assert!(
        carol["error"]
            .as_str()
            .unwrap()
            .starts_with("/etc/passwd:6:")
    );
    assert_eq!(doc["accounts_summary"]["not_judged"], 1);
}

/// Regression (found by a demanding-user review): a selection that left no check to run (`--all-users --only
/// launch.trial`, which is not run for every account; `preflight --only daemon.rootful`, a `check` check) ran none,
/// reported every account ok and exited 0: a CI gate that judged nothing passed. It is a usage error now.
#[test]
fn regression_a_selection_that_ran_no_check_passed() {
    for (fx, args, said) in [
        (
            "debian-12-accounts",
            &["preflight", "--all-users", "--only", "launch.trial"][..],
            "runs for every account (not subid.nss, launch.trial",
        ),
        (
            "debian-12-accounts",
            &["check", "--all-users", "--only", "subid.nss,launch.trial"],
            "`check` runs for every account",
        ),
        (
            "debian-12",
            &["preflight", "--only", "daemon.rootful"],
            "`preflight` runs",
        ),
        (
            "debian-12",
            &["preflight", "--only", "launch", "--skip", "launch.trial"],
            "`preflight` runs",
        ),
    ] {
        run_on(fx, args)
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(said));
    }
    // The same checks where they do run.
    run_on("debian-12", &["check", "--only", "daemon.rootful"]).code(0);
}

/// Regression (found by a demanding-user review): in the `--all-users` JSON document an account with nothing to fix
/// had `"status": "skip"` (its worst status, a skip ranking above a pass), where the human line says `ok` and
/// `accounts_summary` counts it ok; a gate on `.accounts[] | select(.status == "pass")` found no healthy account.
#[test]
fn regression_an_account_with_nothing_to_fix_had_status_skip_in_json() {
    let (_, doc) = json_on(
        "debian-12-accounts",
        &["preflight", "--all-users", "--format", "json"],
    );
    let accounts = doc["accounts"].as_array().unwrap();
    let alice = accounts.iter().find(|a| a["name"] == "alice").unwrap();
    assert!(alice["summary"]["skip"].as_u64().unwrap() > 0, "{alice:#}");
    assert_eq!(alice["status"], "pass", "{alice:#}");
    let passing = accounts.iter().filter(|a| a["status"] == "pass").count();
    assert_eq!(
        serde_json::json!(passing),
        doc["accounts_summary"]["ok"],
        "{:#}",
        doc["accounts_summary"]
    );
}

/// Regression (found by a demanding-user review): `why --skip subid` left out every check that explains the error
/// and still answered "none of them fails here" with exit 0 (and so did judging the rootful daemon, which turns
/// rootless mode's failures into notes); `why --only` and `--all-users` on commands that judge
/// one user were taken and ignored.
#[test]
fn regression_why_with_its_explaining_checks_skipped_said_none_fails_here() {
    let error = r#"No subuid ranges found for user 1000 ("alice")"#;
    run_on(
        "debian-12-no-subid",
        &["why", "--skip", "subid", error, "--color", "never"],
    )
    .code(1)
    .stdout(predicate::str::contains(
        "not judged: subid.entries (left out with --skip), subid.nss (left out with --skip).",
    ))
    .stdout(predicate::str::contains("none of them fails here").not());
    // One of two left out on a host where the other passes: still not "none fails here".
    let (code, doc) = json_on(
        "debian-12",
        &["why", "--skip", "subid.nss", error, "--format", "json"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        doc["not_judged"],
        serde_json::json!([{"id": "subid.nss", "why": "left out with --skip"}]),
        "{doc:#}"
    );
    assert_eq!(doc["causes"], serde_json::json!([]));
    // Judging the rootful daemon turns rootless mode's findings into notes: not judged either (a review found
    // "none of them fails here" and exit 0 where `--target rootless` fails subid.entries).
    run_on("debian-12-no-subid", &["why", "--target", "rootful", error, "--color", "never"])
        .code(1)
        .stdout(predicate::str::contains(
            "not judged: subid.entries (judges rootless mode, and this run judges the rootful daemon; `--target rootless` judges it)",
        ))
        .stdout(predicate::str::contains("none of them fails here").not());
    run_on(
        "debian-12-no-subid",
        &["why", "--target", "rootless", error],
    )
    .code(1)
    .stdout(predicate::str::contains("here: subid.entries"));
    // Nothing left out: the field is there, empty.
    let (code, doc) = json_on("debian-12", &["why", error, "--format", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["not_judged"], serde_json::json!([]));
    for (args, said) in [
        (
            &["why", "--only", "distro", error][..],
            "--only does not apply",
        ),
        (&["why", "--all-users", error], "`why` does not take it"),
        (
            &["explain", "--all-users", "subid.entries"],
            "`explain` does not take it",
        ),
        (&["fix", "--all-users"], "`fix` does not take it"),
    ] {
        run_on("debian-12-no-subid", args)
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(said));
    }
}

/// Regression (found by a demanding-user review): `why` answered "none of them fails here" (exit 0) where this host
/// does explain the error: checks that were skipped here counted as passed, and a passing check whose finding holds
/// what the error names (a port below the sysctl, a pid file naming the user's running dockerd) was not the answer.
#[test]
fn regression_why_said_none_fails_here_where_this_host_explains_the_error() {
    // No systemd: the session checks skip, so nothing here rules the bus out.
    let (code, doc) = json_on(
        "debian-12-no-systemd",
        &[
            "why",
            "Failed to connect to bus: No such file or directory",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1), "{doc:#}");
    let not_judged: Vec<&str> = doc["not_judged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(not_judged, ["session.login", "session.dbus"], "{doc:#}");
    assert!(
        doc["not_judged"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("skipped here: systemd is not the init system"),
        "{doc:#}"
    );
    run_on(
        "debian-12-no-systemd",
        &[
            "why",
            "Failed to connect to bus: No such file or directory",
            "--color",
            "never",
        ],
    )
    .code(1)
    .stdout(predicate::str::contains(
        "not judged: session.login (skipped here:",
    ))
    .stdout(predicate::str::contains("none of them fails here").not());
    // -p 80 with ip_unprivileged_port_start = 1024 and no capability: this host's setting is the answer.
    let port = "docker: Error response from daemon: driver failed programming external connectivity on endpoint web: Error starting userland proxy: error while calling PortManager.AddPort(): cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024), or set CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= 1024): listen tcp4 0.0.0.0:80: bind: permission denied.";
    let (code, doc) = json_on("debian-12", &["why", port, "--format", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        doc["causes"],
        serde_json::json!(["network.unprivileged_port_start"])
    );
    assert_eq!(
        doc["confirmed"][0]["why"],
        "port 80 is below this host's net.ipv4.ip_unprivileged_port_start = 1024"
    );
    run_on("debian-12", &["why", port, "--color", "never"])
        .code(1)
        .stdout(predicate::str::contains(
            "here: network.unprivileged_port_start;",
        ))
        .stdout(predicate::str::contains(
            "network.unprivileged_port_start passes, and still explains it: port 80 is below",
        ));
    // With RootlessKit carrying CAP_NET_BIND_SERVICE the builtin port driver binds it: not this host's setting.
    let (code, doc) = json_on(
        "debian-12-rootlesskit-cap-net-bind-service",
        &["why", port, "--format", "json"],
    );
    assert_eq!(
        (code, &doc["causes"]),
        (Some(0), &serde_json::json!([])),
        "{doc:#}"
    );
    // A port the sysctl allows is not explained by it either.
    let (code, doc) = json_on(
        "debian-12",
        &[
            "why",
            "cannot expose privileged port 2000",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        (code, &doc["causes"]),
        (Some(0), &serde_json::json!([])),
        "{doc:#}"
    );
    // A second start while the user's dockerd runs (dockerd 24 and later's wording).
    let pid = "failed to start daemon, ensure docker is not running or delete /run/user/1000/docker.pid: process with PID 4242 is still running";
    let (code, doc) = json_on("debian-12-daemon", &["why", pid, "--format", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        doc["causes"],
        serde_json::json!(["daemon.pidfile"]),
        "{doc:#}"
    );
    assert!(
        doc["confirmed"][0]["why"]
            .as_str()
            .unwrap()
            .ends_with("yours and running: the start you pasted was a second one"),
        "{doc:#}"
    );
    // (A review:) another pid file (the rootful daemon's), or another pid, is not this user's running dockerd.
    for other in [
        "failed to start daemon, ensure docker is not running or delete /var/run/docker.pid: process with PID 812 is still running",
        "failed to start daemon, ensure docker is not running or delete /run/user/1000/docker.pid: process with PID 812 is still running",
    ] {
        let (code, doc) = json_on("debian-12-daemon", &["why", other, "--format", "json"]);
        assert_eq!(
            (code, &doc["confirmed"]),
            (Some(0), &serde_json::json!([])),
            "{other}: {doc:#}"
        );
    }
    // (A review:) judging the rootful daemon, a rootless-mode check is not judged, so not the answer either.
    let (code, doc) = json_on(
        "debian-12",
        &["why", "--target", "rootful", port, "--format", "json"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(doc["confirmed"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["causes"], serde_json::json!([]), "{doc:#}");
    assert_eq!(
        doc["not_judged"][0]["id"], "network.unprivileged_port_start",
        "{doc:#}"
    );
}

/// Regression (found by a demanding-user review): without systemd, root judging a user was told to start the
/// daemon with `XDG_RUNTIME_DIR=/run/user/UID`, a directory nothing had made there: the script refuses it
/// ("XDG_RUNTIME_DIR needs to be set and writable"). The fix now says so and shows the command that makes it.
#[test]
fn regression_the_manual_start_named_a_runtime_dir_that_does_not_exist() {
    let json = |cmd: &mut Command| -> serde_json::Value {
        let out = cmd
            .args(["check", "--only", "daemon.running", "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let gone = edited("debian-12-no-systemd-judged-by-root", |t| {
        t.replacen(
            "[overlay]\n",
            "[overlay]\nremove = [\"/run/user/1000\"]\n",
            1,
        )
    });
    let doc = json(&mut gone.doctor());
    let fix = &doc["findings"][0]["remediation"];
    assert!(
        fix["text"]
            .as_str()
            .unwrap()
            .contains("/run/user/1000 does not exist, and nothing here makes it"),
        "{doc:#}"
    );
    assert_eq!(
        fix["steps"][0]["command"], "sudo install -d -m 0700 -o alice -g 1000 /run/user/1000",
        "{doc:#}"
    );
    // Where it exists, the fix is the start alone.
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-systemd-judged-by-root");
    let doc = json(&mut cmd);
    let fix = &doc["findings"][0]["remediation"];
    assert!(
        !fix["text"].as_str().unwrap().contains("does not exist"),
        "{doc:#}"
    );
    assert_eq!(fix["steps"], serde_json::json!([]), "{doc:#}");
}

/// Regression (found by a demanding-user review): `why` could not read a log piped in (`why -` took `-` as the
/// error), took an empty text as an unknown error, refused a paste that is not UTF-8, and headed its answer with
/// the paste's first line rather than the one the error is on.
#[test]
fn regression_why_read_no_standard_input() {
    let log = "Dec 04 10:00:00 host dockerd-rootless.sh[1234]: + [ -w /run/user/1000 ]\n\
Dec 04 10:00:00 host dockerd-rootless.sh[1234]: [rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1000 (\"alice\")\n";
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    cmd.args(["why", "-", "--color", "never"])
        .write_stdin(log)
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "rootless-doctor why: Dec 04 10:00:00 host dockerd-rootless.sh[1234]: [rootlesskit:parent] error: failed to setup UID/GID map",
        ))
        .stdout(predicate::str::contains("here: subid.entries;"));
    for (input, said) in [
        ("", "the error text is empty"),
        (" \n\t\n", "the error text is empty"),
    ] {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12");
        cmd.args(["why", "-"])
            .write_stdin(input)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(said));
    }
    run_on("debian-12", &["why", ""])
        .code(2)
        .stderr(predicate::str::contains("why: the error text is empty"));
    // A byte of another encoding is read as U+FFFD; the rest still matches.
    use std::os::unix::ffi::OsStrExt as _;
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    cmd.args(["why", "--format", "json"])
        .arg(std::ffi::OsStr::from_bytes(
            b"caf\xe9: No subuid ranges found for user 1000",
        ))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"subid.entries\""));
}

/// `why` with RootlessKit's real message (as the live tier provokes it): the known error, the checks that explain
/// it judged here, and the one that fails named; on a host where they pass, "none of them fails here"; text it does
/// not know is said to be unknown.
#[test]
fn why_names_the_check_that_explains_a_pasted_error_here() {
    let error = r#"[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1000 ("alice")"#;
    let (json, code) = {
        let mut cmd = doctor();
        fixture(&mut cmd, "debian-12-no-subid");
        let out = cmd
            .args(["why", error, "--format", "json"])
            .output()
            .unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            out.status.code().unwrap(),
        )
    };
    assert_eq!(code, 1, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["command"], "why");
    assert_eq!(doc["causes"][0], "subid.entries", "{doc:#}");
    assert_eq!(finding_ids(&doc), ["subid.entries", "subid.nss"]);
    assert!(
        doc["known"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("https://github.com/rootless-containers/rootlesskit/")
    );
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12-no-subid");
    cmd.args(["why", "--color", "never"])
        .args(error.split(' '))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("here: subid.entries;"))
        .stdout(predicate::str::contains("$ sudo usermod --add-subuids"));
    // The same error on a host whose user has ranges: not this host's problem.
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    cmd.args(["why", error, "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("none of them fails here"));
    // The messages users paste after the start, from docker and systemctl --user.
    for (scenario, text, cause) in [
        (
            "debian-12-user-bus-stopped",
            "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply cgroup configuration: unable to start unit \"docker-0123.scope\" (properties [{Name:Description Value:\"libcontainer container 0123\"}]): Permission denied: unknown.",
            "session.dbus",
        ),
        (
            "debian-12-daemon-killed",
            "docker: Cannot connect to the Docker daemon at unix:///run/user/1000/docker.sock. Is the docker daemon running?",
            "client.socket",
        ),
    ] {
        let mut cmd = doctor();
        fixture(&mut cmd, scenario);
        let out = cmd
            .args(["why", text, "--format", "json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["causes"][0], cause, "{scenario}: {doc:#}");
        assert_eq!(out.status.code(), Some(1));
    }
    let mut cmd = doctor();
    fixture(&mut cmd, "debian-12");
    cmd.args(["why", "the", "printer", "is", "on", "fire"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "not in the doctor's table of known errors",
        ));
}

/// Hostile review: with /etc/passwd gone, root's run over every account judged nobody and exited 0, healthy.
#[test]
fn regression_all_users_without_a_passwd_file_is_not_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    copy_tree(std::path::Path::new(&root_of("debian-12")), &root);
    std::fs::remove_file(root.join("etc/passwd")).unwrap();
    let sidecar = dir.path().join("host.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/debian-12/host.toml"
    ))
    .unwrap();
    std::fs::write(&sidecar, as_root(&text)).unwrap();
    let run = |format: &str| {
        doctor()
            .args(["--host-file", sidecar.to_str().unwrap()])
            .args(["--root", root.to_str().unwrap()])
            .args(["preflight", "--format", format])
            .output()
            .unwrap()
    };
    let human = run("human");
    assert_eq!(human.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("none: /etc/passwd does not exist"),
        "{}",
        String::from_utf8_lossy(&human.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&run("json").stdout).unwrap();
    assert_eq!(json["healthy"], false);
    let prom = String::from_utf8(run("prometheus").stdout).unwrap();
    assert!(
        prom.lines()
            .any(|l| l == r#"rootless_doctor_healthy{command="preflight",user=""} 0"#),
        "{prom}"
    );
    // Every format counts the missing account list as the host's one error (a demanding-user review: human and
    // JSON said 0 errors beside exit 1, Prometheus 1, JUnit 1).
    assert!(
        String::from_utf8_lossy(&human.stdout).contains(" 0 skipped, 1 errors;"),
        "{}",
        String::from_utf8_lossy(&human.stdout)
    );
    assert_eq!(json["summary"]["error"], 1, "{:#}", json["summary"]);
    assert!(
        prom.lines()
            .any(|l| l == r#"rootless_doctor_checks{command="preflight",user="",status="error"} 1"#),
        "{prom}"
    );
    let junit = String::from_utf8(run("junit").stdout).unwrap();
    assert!(junit.contains(r#"errors="1""#), "{junit}");
}

/// What bash offers for `words` (the last one being completed) with `script` as the completion loaded:
/// COMPREPLY, one per line.
pub fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1" || exit 3
COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE={line:?}; COMP_POINT=${{#COMP_LINE}}
fn=$(complete -p rootless-doctor | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || exit 4
"$fn" rootless-doctor "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words.join(" "),
        cword = words.len() - 1,
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(script)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_bash_completion_offers_explain_for_ex_and_a_subcommands_own_options() {
    let out = doctor().args(["completion", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rootless-doctor");
    std::fs::write(&script, &out.stdout).unwrap();
    assert_eq!(
        bash_completes(&script, &["rootless-doctor", "ex"]),
        ["explain"]
    );
    let options = bash_completes(&script, &["rootless-doctor", "preflight", "--pr"]);
    assert_eq!(options, ["--probe"]);
    let formats = bash_completes(&script, &["rootless-doctor", "check", "--format", ""]);
    for want in ["human", "json", "prometheus", "junit"] {
        assert!(
            formats.iter().any(|f| f == want),
            "{want} not in {formats:?}"
        );
    }
}

#[test]
fn every_manual_page_renders_without_a_warning_from_man() {
    let list = doctor().args(["man", "--list"]).output().unwrap();
    assert_eq!(list.status.code(), Some(0));
    let names = String::from_utf8(list.stdout).unwrap();
    let names: Vec<&str> = names.lines().collect();
    assert!(names.len() >= 14, "{names:?}");
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        let page = doctor().args(["man", name]).output().unwrap();
        assert_eq!(page.status.code(), Some(0), "{name}");
        let file = dir.path().join(format!("{name}.1"));
        std::fs::write(&file, &page.stdout).unwrap();
        // man-db's --warnings hands groff -w mac (undefined macros, bad requests); any line on stderr fails.
        let shown = std::process::Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(&file)
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "")
            .output()
            .expect("man (man-db; `cargo xtask setup` installs it)");
        let stderr = String::from_utf8_lossy(&shown.stderr);
        assert!(
            shown.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            text.contains("NAME"),
            "{name} rendered without a NAME section:\n{text}"
        );
    }
    let unknown = doctor().args(["man", "nonesuch"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no manual page nonesuch"));
}
