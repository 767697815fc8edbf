//! Live tier: the release binary, run as real test users against this real host, and checked against reality.
//!
//! The reference host is the CI machine (Debian 12, no systemd as PID 1, no udev, ip_tables/nf_tables built into the
//! kernel), but what depends on the host (the distribution, systemd
//! as PID 1, cgroup v2, linger) is read from the host by the test, not assumed. Each verdict the doctor gives is
//! followed, in the same test, by the real tool it predicts: "the doctor said X, and rootlesskit agreed".
//!
//! These tests need root (they run commands as other users) and what `cargo xtask setup` installs. In the live tier
//! (`ROOTLESS_DOCTOR_LIVE=1` or `CI`, as `cargo xtask test --tier live` runs them) a missing prerequisite fails the
//! test; outside it each test prints why it skipped and passes.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

// Shared by the live tier's test files, each of which uses part of it.
#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;
use support::{Need, PROCESS_SYSCALLS, count_syscall, finding};

const STATUSES: [&str; 5] = ["pass", "warn", "fail", "skip", "error"];

/// What a test of this file needs from the machine.
fn live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::User(testkit::live::nosub_user()),
        Need::Program("rootlesskit"),
        Need::Program("strace"),
        Need::File(support::SETUPTOOL.into()),
    ])
}

/// What is true on this host for any user, whatever their subordinate ids: `(id, status)`.
///
/// The first ones hold on any host the live tier runs on (`cargo xtask setup` installs Debian's setuid uidmap and
/// iptables; rootlesskit really runs); the rest are read from the host here, as the doctor should read them.
fn host_verdicts(user: &support::TestUser) -> Vec<(&'static str, &'static str)> {
    let host = Host::read();
    let mut verdicts = vec![
        // Debian's uidmap ships them setuid root.
        ("uidmap.newuidmap", "pass"),
        ("uidmap.newgidmap", "pass"),
        // On the reference host ip_tables and nf_tables are built in (CONFIG_IP_NF_IPTABLES=y, CONFIG_NF_TABLES=y)
        // with no /proc/modules entry, so a check that demands `modprobe ip_tables` there is wrong.
        ("iptables.modules", "pass"),
        ("iptables.binary", "pass"),
        ("userns.max_namespaces", "pass"),
        // The test hands every run a 0700 XDG_RUNTIME_DIR the user owns.
        ("session.xdg_runtime_dir", "pass"),
        (
            "distro.detected",
            if host.distro_data.is_some() {
                "pass"
            } else {
                "warn"
            },
        ),
        ("systemd.pid1", if host.systemd { "pass" } else { "warn" }),
    ];
    if host.systemd {
        let linger = Path::new("/var/lib/systemd/linger").join(&user.name);
        verdicts.push((
            "session.linger",
            if linger.exists() { "pass" } else { "warn" },
        ));
        // The test's hand-made XDG_RUNTIME_DIR holds no user bus: a warning, or on cgroup v2 (where `docker run`
        // needs the bus) a failure.
        verdicts.push(("session.dbus", if host.cgroup2 { "fail" } else { "warn" }));
    } else {
        // No systemd as PID 1: these can't be checked, and each says why.
        verdicts.push(("session.linger", "skip"));
        verdicts.push(("session.dbus", "skip"));
    }
    let delegation = if !host.cgroup2 || !host.systemd {
        "skip"
    } else {
        let controllers = fs::read_to_string(format!(
            "/sys/fs/cgroup/user.slice/user-{0}.slice/user@{0}.service/cgroup.controllers",
            user.uid
        ));
        match controllers {
            Ok(have)
                if ["cpu", "memory", "pids"]
                    .iter()
                    .all(|c| have.split_whitespace().any(|h| h == *c)) =>
            {
                "pass"
            }
            // No user manager, or controllers missing from it.
            _ => "warn",
        }
    };
    verdicts.push(("cgroup.delegation", delegation));
    verdicts
}

/// The facts about this host that the expectations depend on, read the way the doctor documents them.
struct Host {
    /// systemd is PID 1: `/run/systemd/system` is a directory (sd_booted(3)).
    systemd: bool,
    /// PID 1's name, `/proc/1/comm`, which `systemd.pid1` names when it warns.
    pid1: String,
    /// /sys/fs/cgroup is the unified hierarchy (cgroup v2): it has `cgroup.controllers` at its root.
    cgroup2: bool,
    /// os-release's `ID` and `VERSION_ID`.
    id: String,
    version_id: String,
    /// The `distros/*.toml` the doctor should choose: `ID-VERSION_ID`, else `ID`; `None` for a distribution the
    /// doctor has no data for under its own ID (generic, or matched through ID_LIKE).
    distro_data: Option<String>,
}

impl Host {
    fn read() -> Host {
        let os_release = fs::read_to_string("/etc/os-release")
            .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
            .expect("read os-release");
        let field = |key: &str| {
            os_release
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(|value| value.trim().trim_matches('"').to_owned())
                .unwrap_or_default()
        };
        let (id, version_id) = (field("ID"), field("VERSION_ID"));
        let distros = Path::new(env!("CARGO_MANIFEST_DIR")).join("distros");
        let distro_data = [format!("{id}-{version_id}"), id.clone()]
            .into_iter()
            .find(|name| distros.join(format!("{name}.toml")).exists());
        Host {
            systemd: Path::new("/run/systemd/system").is_dir(),
            pid1: fs::read_to_string("/proc/1/comm")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            cgroup2: Path::new("/sys/fs/cgroup/cgroup.controllers").exists(),
            id,
            version_id,
            distro_data,
        }
    }
}

#[test]
fn ok_user_passes_and_rootlesskit_agrees() {
    let Some(live) = live() else { return };
    let user = live.ok_user();

    let (code, doc) = user.preflight_json();
    let findings = check_document(&doc, &user);
    let table = findings_table(&doc);
    let expected_failures = assert_host_verdicts(&findings, &user, &table);
    for (id, want) in [("subid.entries", "pass"), ("subid.range_size", "pass")] {
        assert_eq!(
            findings.get(id).map(String::as_str),
            Some(want),
            "{id}\n{table}"
        );
    }
    // Nothing fails but what this host makes fail for anyone (see host_verdicts).
    let failing = ids_with_status(&doc, "fail");
    assert_eq!(
        failing, expected_failures,
        "{} should fail only the host's expected checks\n{table}",
        user.name
    );
    let want = if expected_failures.is_empty() { 0 } else { 1 };
    assert_eq!(code, want, "exit 1 exactly when a check fails\n{table}");

    // Reality agrees: RootlessKit sets up the user namespace with the user's subordinate ids.
    let rootlesskit = user.run("rootlesskit", &["true"]);
    assert_eq!(
        rootlesskit.code(),
        0,
        "the doctor passed {} but rootlesskit failed:\n{rootlesskit}",
        user.name
    );
}

#[test]
fn nosub_user_fails_on_subid_and_rootlesskit_agrees() {
    let Some(live) = live() else { return };
    let user = live.nosub_user();

    let (code, doc) = user.preflight_json();
    let findings = check_document(&doc, &user);
    let table = findings_table(&doc);
    assert_eq!(
        findings.get("subid.entries").map(String::as_str),
        Some("fail"),
        "{table}"
    );
    let expected_failures = assert_host_verdicts(&findings, &user, &table);
    let outside_subid: Vec<&str> = array(&doc["findings"])
        .iter()
        .filter(|finding| finding["status"] == "fail" && finding["area"] != "subid")
        .map(|finding| finding["id"].as_str().unwrap_or_default())
        .filter(|id| !expected_failures.contains(id))
        .collect();
    assert!(
        outside_subid.is_empty(),
        "only `subid` checks (and the host's expected failures) may fail for {}, got {outside_subid:?}\n{table}",
        user.name
    );
    let entries = finding(&doc, "subid.entries");
    assert!(
        array(&entries["evidence"])
            .iter()
            .any(|e| e["source"] == "/etc/subuid" || e["source"] == "/etc/subgid"),
        "subid.entries should cite /etc/subuid or /etc/subgid as evidence: {entries:#}"
    );
    assert!(
        entries["remediation"]["text"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "a failing subid.entries should say how to fix it: {entries:#}"
    );
    assert_eq!(code, 1, "a `fail` finding means exit 1\n{table}");

    // Reality agrees: RootlessKit refuses for the same reason.
    let rootlesskit = user.run("rootlesskit", &["true"]);
    assert_ne!(
        rootlesskit.code(),
        0,
        "the doctor failed {} on subid but rootlesskit worked:\n{rootlesskit}",
        user.name
    );
    assert!(
        rootlesskit
            .stderr
            .contains("No subuid ranges found for user"),
        "rootlesskit failed for another reason than the doctor's:\n{rootlesskit}"
    );

    // And `why`, given what rootlesskit really printed, names the same check.
    let why = user.doctor(&["why", &rootlesskit.stderr, "--format", "json"]);
    let answer = why.json();
    assert_eq!(
        answer["causes"][0], "subid.entries",
        "why did not name subid.entries for rootlesskit's own error:\n{why}"
    );
    assert_eq!(why.code(), 1, "{why}");
}

#[test]
fn strict_turns_warnings_into_exit_1() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    // Whether this host warns (the reference host does: no systemd as PID 1) is read from the plain run.
    let (_, doc) = user.preflight_json();
    let flagged: Vec<&str> = ["warn", "fail", "error"]
        .into_iter()
        .flat_map(|status| ids_with_status(&doc, status))
        .collect();
    let run = user.doctor(&["preflight", "--format", "json", "--strict"]);
    assert_eq!(
        run.code(),
        if flagged.is_empty() { 0 } else { 1 },
        "--strict exits 1 exactly when a check warns or fails ({flagged:?})\n{run}"
    );
}

#[test]
fn default_path_spawns_no_subprocess() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    let bin = support::doctor_bin();
    let (run, trace) = support::traced_doctor(&user, "doctor", &["preflight", "--format", "json"]);
    assert_eq!(run.code(), 0, "{run}");
    assert_eq!(
        count_syscall(&trace, "execve"),
        1,
        "only the binary itself is executed:\n{trace}"
    );
    assert!(
        trace.contains(&format!("execve(\"{}\"", bin.display())),
        "the one execve is the binary:\n{trace}"
    );
    for call in PROCESS_SYSCALLS.iter().filter(|&&call| call != "execve") {
        assert_eq!(
            count_syscall(&trace, call),
            0,
            "preflight must not call {call}:\n{trace}"
        );
    }

    // The same trace of the upstream script shows the assertion can see subprocesses.
    let (_, trace) = support::traced(&user, "setuptool", |strace| user.setuptool_command(strace));
    let execs = count_syscall(&trace, "execve");
    let spawns: usize = ["fork", "vfork", "clone", "clone3"]
        .iter()
        .map(|call| count_syscall(&trace, call))
        .sum();
    assert!(
        execs > 1 && spawns > 0,
        "setuptool check should spawn processes (execve {execs}, spawns {spawns}):\n{trace}"
    );
}

#[test]
fn human_format_exits_like_json() {
    let Some(live) = live() else { return };
    for user in [live.ok_user(), live.nosub_user()] {
        let (json_code, _) = user.preflight_json();
        let run = user.doctor(&["preflight"]);
        assert_eq!(
            run.code(),
            json_code,
            "human and JSON output should agree on the exit code\n{run}"
        );
        assert!(
            !run.stdout.trim().is_empty(),
            "human output should not be empty\n{run}"
        );
    }
}

/// Checks the document's shape and the facts about this host and user; returns each finding's status by id.
#[track_caller]
fn check_document(doc: &Value, user: &support::TestUser) -> BTreeMap<String, String> {
    assert_eq!(doc["schema_version"], 1, "{doc:#}");
    assert_eq!(doc["tool"]["name"], "rootless-doctor", "{doc:#}");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"), "{doc:#}");
    assert_eq!(doc["command"], "preflight", "{doc:#}");

    let host = &doc["host"];
    assert_eq!(host["root"], "/", "{host:#}");
    let machine = Host::read();
    let distro = &host["distro"];
    assert_eq!(distro["id"], machine.id.as_str(), "{host:#}");
    assert_eq!(
        distro["version_id"],
        machine.version_id.as_str(),
        "{host:#}"
    );
    if let Some(data) = &machine.distro_data {
        assert_eq!(distro["data"], data.as_str(), "{host:#}");
        assert_eq!(distro["known"], true, "{host:#}");
    }
    assert!(
        distro["pretty_name"]
            .as_str()
            .is_some_and(|name| !name.is_empty()),
        "{host:#}"
    );
    let osrelease = fs::read_to_string("/proc/sys/kernel/osrelease").expect("read osrelease");
    let kernel = host["kernel"].as_str().unwrap_or_default();
    assert!(
        !kernel.is_empty() && osrelease.trim().starts_with(kernel),
        "host.kernel {kernel:?} should be (a prefix of) {osrelease:?}"
    );
    assert_eq!(host["user"]["name"], user.name.as_str(), "{host:#}");
    assert_eq!(host["user"]["uid"], user.uid, "{host:#}");
    assert_eq!(host["user"]["gid"], user.gid, "{host:#}");
    assert_eq!(host["user"]["source"], "invoking", "{host:#}");
    assert_eq!(host["systemd"], machine.systemd, "{host:#}");

    let mut statuses = BTreeMap::new();
    let mut tally: BTreeMap<&str, u64> = STATUSES.iter().map(|status| (*status, 0)).collect();
    for finding in array(&doc["findings"]) {
        let id = finding["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("bad id: {finding:#}"));
        let status = finding["status"].as_str().unwrap_or_default();
        assert!(
            STATUSES.contains(&status),
            "{id}: unknown status: {finding:#}"
        );
        *tally.get_mut(status).expect("known status") += 1;
        assert!(
            finding["area"]
                .as_str()
                .is_some_and(|area| !area.is_empty()),
            "{id}: no area: {finding:#}"
        );
        assert!(
            finding["summary"]
                .as_str()
                .is_some_and(|summary| !summary.trim().is_empty()),
            "{id}: every finding, a skip too, says why in its summary: {finding:#}"
        );
        for evidence in array(&finding["evidence"]) {
            assert!(
                evidence["source"].is_string() && evidence["detail"].is_string(),
                "{id}: {finding:#}"
            );
        }
        let remediation = &finding["remediation"];
        if !remediation.is_null() {
            assert!(remediation["text"].is_string(), "{id}: {finding:#}");
            // Every step carries both forms: the argv `fix --apply` will run, and the command a person types.
            for step in array(&remediation["steps"]) {
                let argv_ok = step["argv"]
                    .as_array()
                    .is_some_and(|argv| !argv.is_empty() && argv.iter().all(Value::is_string));
                assert!(
                    step["root"].is_boolean() && step["command"].is_string() && argv_ok,
                    "{id}: {finding:#}"
                );
            }
        }
        assert!(finding["reference"].is_string(), "{id}: {finding:#}");
        let previous = statuses.insert(id.to_string(), status.to_string());
        assert!(previous.is_none(), "{id} is reported twice");
    }
    for (status, count) in tally {
        assert_eq!(
            doc["summary"][status], count,
            "summary.{status} should count the findings: {:#}",
            doc["summary"]
        );
    }
    // Without systemd, systemd.pid1 names what PID 1 is instead.
    if !machine.systemd {
        let pid1 = finding(doc, "systemd.pid1");
        let named = format!("(PID 1 is {})", machine.pid1);
        assert!(
            pid1["summary"].as_str().is_some_and(|s| s.contains(&named)),
            "systemd.pid1 should say {named:?}: {pid1:#}"
        );
    }
    // Nothing on this reference host should be beyond the doctor's understanding.
    let errors = ids_with_status(doc, "error");
    assert!(
        errors.is_empty(),
        "checks that errored on this host: {errors:?}\n{}",
        findings_table(doc)
    );
    statuses
}

/// Asserts the statuses that depend on the host alone (see [`host_verdicts`]); returns the ids the host makes fail.
#[track_caller]
fn assert_host_verdicts(
    findings: &BTreeMap<String, String>,
    user: &support::TestUser,
    table: &str,
) -> Vec<&'static str> {
    let verdicts = host_verdicts(user);
    for &(id, want) in &verdicts {
        assert_eq!(
            findings.get(id).map(String::as_str),
            Some(want),
            "{id} as {}\n{table}",
            user.name
        );
    }
    verdicts
        .into_iter()
        .filter(|&(_, status)| status == "fail")
        .map(|(id, _)| id)
        .collect()
}

#[track_caller]
fn array(value: &Value) -> &[Value] {
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("expected an array, got {value}"))
}

fn ids_with_status<'a>(doc: &'a Value, status: &str) -> Vec<&'a str> {
    array(&doc["findings"])
        .iter()
        .filter(|finding| finding["status"] == status)
        .filter_map(|finding| finding["id"].as_str())
        .collect()
}

/// One line per finding, for assertion messages.
fn findings_table(doc: &Value) -> String {
    doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "  {:<28} {:<5} {}\n",
                f["id"].as_str().unwrap_or("?"),
                f["status"].as_str().unwrap_or("?"),
                f["summary"]
            )
        })
        .collect()
}

/// Contradiction 6 of docs/launch-sequence.md: under no_new_privs the kernel ignores newuidmap's setuid bit.
/// The doctor, started the same way as RootlessKit, must fail `uidmap.newuidmap`, and RootlessKit really fails.
#[test]
fn regression_no_new_privs_ignored_by_the_setuid_check() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    let doctor = support::doctor_bin().display().to_string();

    let run = user.run(
        "setpriv",
        &[
            "--no-new-privs",
            "--",
            &doctor,
            "preflight",
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{run}"));
    let table = findings_table(&doc);
    for id in ["uidmap.newuidmap", "uidmap.newgidmap"] {
        let found = finding(&doc, id);
        assert_eq!(found["status"], "fail", "{id} under no_new_privs\n{table}");
        assert!(
            array(&found["evidence"])
                .iter()
                .any(|e| e["source"] == "/proc/self/status" && e["detail"] == "NoNewPrivs: 1"),
            "{id} should cite NoNewPrivs: {found:#}"
        );
    }
    assert_eq!(run.code(), 1, "a `fail` finding means exit 1\n{table}");

    // Without no_new_privs the same user passes both (ok_user_passes_and_rootlesskit_agrees holds the rest).
    let (_, plain) = user.preflight_json();
    for id in ["uidmap.newuidmap", "uidmap.newgidmap"] {
        assert_eq!(
            finding(&plain, id)["status"],
            "pass",
            "{id} without no_new_privs\n{}",
            findings_table(&plain)
        );
    }

    // Reality agrees: newuidmap runs unprivileged and the kernel refuses the map.
    let rootlesskit = user.run("setpriv", &["--no-new-privs", "--", "rootlesskit", "true"]);
    assert_ne!(
        rootlesskit.code(),
        0,
        "the doctor failed uidmap.newuidmap under no_new_privs but rootlesskit worked:\n{rootlesskit}"
    );
    assert!(
        rootlesskit
            .stderr
            .contains("newuidmap: write to uid_map failed: Operation not permitted"),
        "rootlesskit failed for another reason than the doctor's:\n{rootlesskit}"
    );
}

/// Contradiction 5 of docs/launch-sequence.md: without systemd the daemon is started by hand, and dockerd looks
/// iptables up in the shell's PATH (dockerd-rootless.sh adds nothing). With Debian's login PATH, which has no /usr/sbin,
/// the doctor must fail `iptables.binary`, and dockerd really stops with `iptables not found`.
#[test]
fn regression_iptables_only_in_usr_sbin_passed_for_a_daemon_started_by_hand() {
    let Some(live) = live() else { return };
    if Host::read().systemd {
        eprintln!(
            "skipped: systemd is PID 1, so the doctor judges the user unit's PATH, not a start by hand"
        );
        return;
    }
    let user = live.ok_user();
    let login_path = "/usr/local/bin:/usr/bin:/bin";
    let iptables_on_login_path = login_path
        .split(':')
        .any(|dir| Path::new(dir).join("iptables").exists());
    assert!(
        !iptables_on_login_path && Path::new("/usr/sbin/iptables").exists(),
        "this test needs iptables in /usr/sbin only (Debian's layout)"
    );

    let doctor = support::doctor_bin();
    let run = support::Run::of(user.command_with_path(
        login_path,
        doctor,
        &["preflight", "--format", "json"],
    ));
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{run}"));
    let found = finding(&doc, "iptables.binary");
    assert_eq!(found["status"], "fail", "{}", findings_table(&doc));
    assert!(
        found["summary"]
            .as_str()
            .is_some_and(|s| s.contains("iptables not found")),
        "{found:#}"
    );

    // Reality agrees. Debian's docker.io keeps dockerd in /usr/sbin too: a directory with only dockerd in it stands
    // in for a PATH that finds dockerd but not iptables.
    let bin = Path::new("/tmp/rd-live-dockerd-only");
    let _ = fs::remove_dir_all(bin);
    fs::create_dir(bin).expect("mkdir");
    fs::set_permissions(bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("dockerd installed");
    std::os::unix::fs::symlink(dockerd, bin.join("dockerd")).expect("symlink dockerd");
    let script_dir = Path::new(testkit::DOCKERD_ROOTLESS_SH)
        .parent()
        .expect("script dir")
        .display()
        .to_string();
    let path = format!("{}:{login_path}:{script_dir}", bin.display());
    // A data-root of its own, so the user's ~/.local/share/docker is never made.
    let data_root = Path::new("/tmp/rd-live-iptables-data-root");
    let _ = fs::remove_dir_all(data_root);
    let data_root_flag = format!("--data-root={}", data_root.display());
    let daemon = support::Run::of(user.command_with_path(
        &path,
        Path::new("timeout"),
        &["90", "dockerd-rootless.sh", &data_root_flag],
    ));
    let _ = fs::remove_dir_all(bin);
    let _ = fs::remove_dir_all(data_root);
    assert_ne!(
        daemon.code(),
        0,
        "dockerd started without iptables on PATH:\n{daemon}"
    );
    assert_ne!(
        daemon.code(),
        124,
        "dockerd-rootless.sh did not stop within 90 s:\n{daemon}"
    );
    assert!(
        daemon
            .stderr
            .contains("failed to create NAT chain DOCKER: Iptables not found")
            || daemon
                .stderr
                .contains("failed to create NAT chain DOCKER: iptables not found"),
        "dockerd failed for another reason than the doctor's:\n{daemon}"
    );
}

/// Regression: `storage.driver` asked for the user unit's flags through the list of every dockerd setup, which reads
/// every process's /proc/PID/status. On this host without systemd, preflight went from 620 to 1,379 syscalls and
/// from 4.4 to 5.7 ms (the bench tier caught it). Without systemd no unit starts the daemon: preflight reads no
/// process's status, and it can tell (the trace shows its own opens).
#[test]
fn regression_preflight_scanned_every_process_for_the_storage_driver() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    // Opens, after the process-syscall filter traced() sets.
    let (run, trace) = support::traced_preflight(
        &user,
        "opens",
        support::PATH,
        &["-e", "trace=openat,openat2"],
    );
    assert!(run.code() <= 1, "{run}");
    assert!(
        trace.contains("/etc/subuid"),
        "the trace does not show the doctor's opens:\n{trace}"
    );
    let scans: Vec<&str> = trace
        .lines()
        .filter(|l| {
            l.split('"').nth(1).is_some_and(|p| {
                p.strip_prefix("/proc/")
                    .and_then(|rest| rest.strip_suffix("/status"))
                    .is_some_and(|pid| pid.chars().all(|c| c.is_ascii_digit()))
            })
        })
        .collect();
    assert!(
        scans.is_empty(),
        "preflight read processes' status:\n{}",
        scans.join("\n")
    );
}

/// Regression: an unpackaged RootlessKit (the static bundle get.docker.com/rootless puts in ~/bin) was read whole for
/// its Go build information, 7.7 MB for Debian's binary: preflight took 10.4 ms instead of 2.2 ms on this host, with
/// 1,900 more page faults. Only its ELF headers and `.go.buildinfo` section are read now, and the major version the
/// doctor reads there is the one the binary's own `--version` prints.
#[test]
fn regression_an_unpackaged_rootlesskit_was_read_whole() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    let rootlesskit =
        testkit::live::find_program("rootlesskit").expect("rootlesskit on PATH (live() needs it)");
    // A copy outside the package database's directories, first on the user's PATH.
    let dir = user.xdg_runtime_dir.join("static-bundle");
    fs::create_dir_all(&dir).expect("the bundle's directory");
    let copy = dir.join("rootlesskit");
    fs::copy(&rootlesskit, &copy).expect("a copy of rootlesskit");
    for p in [&dir, &copy] {
        std::os::unix::fs::chown(p, Some(user.uid), Some(user.gid)).expect("chown");
    }
    let size = fs::metadata(&copy).expect("the copy").len();
    let path = format!("{}:{}", dir.display(), support::PATH);
    // Reads, each with its descriptor's path (-y).
    let (run, trace) =
        support::traced_preflight(&user, "bundle", &path, &["-y", "-e", "trace=read,pread64"]);
    assert!(run.code() <= 1, "{run}");
    let shown = format!("<{}>", copy.display());
    let read: u64 = trace
        .lines()
        .filter(|l| l.contains(&shown))
        .filter_map(|l| l.rsplit_once(") = ")?.1.trim().parse::<u64>().ok())
        .sum();
    assert!(
        read > 0 && read < 64 * 1024,
        "preflight read {read} bytes of the {size}-byte rootlesskit (its build information is a few KB):\n{trace}"
    );
    // The doctor's reading against the binary's own: "rootlesskit version 1.1.0".
    let own = user.run(&copy, &["--version"]);
    let major = own
        .stdout
        .split_whitespace()
        .last()
        .and_then(|v| v.split('.').next()?.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no version from rootlesskit --version:\n{own}"));
    let expected = if major < 2 {
        "RootlessKit 1.x or earlier".to_owned()
    } else {
        format!("RootlessKit {major}.x")
    };
    let doc = run.json();
    let told = format!("{} ({expected}", copy.display());
    let details: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| f["evidence"].as_array().into_iter().flatten())
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(
        details.iter().any(|d| d.starts_with(&told)),
        "no finding says {told:?}:\n{details:#?}"
    );
}

/// The syscalls that change a file or a directory (an `openat` changes one only with a write, create or truncate flag).
const WRITE_SYSCALLS: &[&str] = &[
    "openat",
    "openat2",
    "creat",
    "mkdir",
    "mkdirat",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "fchownat",
    "lchown",
    "truncate",
    "ftruncate",
    "mknod",
    "mknodat",
    "setxattr",
    "fsetxattr",
    "lsetxattr",
    "removexattr",
    "fremovexattr",
    "lremovexattr",
    "utimensat",
];

/// The lines of an `strace -y` trace that change the filesystem, but for the trial launch's own scratch directory
/// (`/tmp/rootless-doctor-run.*`, made and removed by the bounded runner).
fn writes(trace: &str) -> Vec<&str> {
    trace
        .lines()
        .filter(|l| {
            let call = l.split('(').next().unwrap_or_default().trim();
            let call = call.rsplit(' ').next().unwrap_or(call);
            if !WRITE_SYSCALLS.contains(&call) {
                return false;
            }
            if call.starts_with("open") || call == "creat" {
                let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                    .iter()
                    .any(|f| l.contains(f));
                if !writes || l.contains("\"/dev/null\"") {
                    return false;
                }
            }
            !l.contains("/tmp/rootless-doctor-run.")
        })
        .collect()
}

/// Issue 12: nothing but `fix --apply`, `fix --undo`, `setup` and `net --write` writes to the host. `check`
/// (trial launch included), `fix` in each of its dry-run forms, and `net` without `--write`, make no syscall that changes a file or directory
/// outside the trial's own scratch directory; `fix --apply` on the same trace shows the filter sees writes.
#[test]
fn check_and_the_fix_dry_run_make_no_write_syscall() {
    let Some(live) = live() else { return };
    let user = live.ok_user();
    let bin = support::doctor_bin().display().to_string();
    let filter = format!("trace={}", WRITE_SYSCALLS.join(","));
    let trace_of = |label: &str, pre: &[&str], args: &[&str]| {
        let (run, trace) = support::traced(&user, label, |strace| {
            let mut argv: Vec<&str> = strace[1..].iter().copied().filter(|a| *a != "-f").collect();
            argv.extend(["-y", "-e", &filter]);
            argv.extend(pre);
            argv.push(&bin);
            argv.extend(args);
            user.command_with_path(support::PATH, Path::new(strace[0]), &argv)
        });
        assert!(run.code() <= 1, "{label}: {run}");
        trace
    };
    for (label, args) in [
        ("check", &["check", "--format", "json"][..]),
        ("fix", &["fix"][..]),
        ("fix-script", &["fix", "--format", "script"][..]),
        ("fix-json", &["fix", "--format", "json"][..]),
        // Issue 13: `net` without --write (its trials are children, not traced, in their own scratch directory).
        ("net", &["net", "--source-ip"][..]),
        ("net-probe", &["net", "--probe", "--format", "json"][..]),
    ] {
        let trace = trace_of(label, &[], args);
        assert!(
            trace.contains("openat("),
            "{label}: the trace shows no open at all:\n{trace}"
        );
        let w = writes(&trace);
        assert!(w.is_empty(), "{label} wrote:\n{}", w.join("\n"));
    }
    // The same filter sees an apply's writes: the run's journal in the user's state directory (here in the test's
    // runtime directory, through `env`, which execs the doctor in the traced process). The ping range allows no
    // group on this machine: a root step, which the user's apply only prints.
    let state = format!("XDG_STATE_HOME={}/state", user.xdg_runtime_dir.display());
    let trace = trace_of(
        "fix-apply",
        &["/usr/bin/env", &state],
        &["fix", "--apply", "network.ping_group_range"],
    );
    assert!(
        writes(&trace).iter().any(|l| l.contains("journal.json")),
        "fix --apply's journal write is not in the trace:\n{trace}"
    );
}

/// Root without `--user` judges every account: the test users among them, each with the findings its own
/// `--user NAME` run gives (host-wide checks reported once, above the accounts), and RootlessKit agrees per account.
#[test]
fn all_users_as_root_judges_each_test_user_as_their_own_run_does() {
    let Some(live) = live() else { return };
    let run = |args: &[&str]| -> (i32, Value) {
        let out = std::process::Command::new(support::doctor_bin())
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .args(args)
            .output()
            .unwrap();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), doc)
    };
    let (code, doc) = run(&["preflight", "--format", "json"]);
    assert_eq!(doc["all_users"], true, "{doc:#}");
    let host_ids: Vec<&str> = array(&doc["findings"])
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let accounts = array(&doc["accounts"]);
    for (user, subid_entries, rootlesskit_works) in [
        (live.ok_user(), "pass", true),
        (live.nosub_user(), "fail", false),
    ] {
        let account = accounts
            .iter()
            .find(|a| a["name"] == user.name.as_str())
            .unwrap_or_else(|| panic!("{} is not among the accounts: {doc:#}", user.name));
        let statuses: Vec<(String, String)> = array(&account["findings"])
            .iter()
            .map(|f| (f["id"].to_string(), f["status"].to_string()))
            .collect();
        let (_, own) = run(&["preflight", "--user", &user.name, "--format", "json"]);
        let expected: Vec<(String, String)> = array(&own["findings"])
            .iter()
            .filter(|f| !host_ids.contains(&f["id"].as_str().unwrap()))
            .map(|f| (f["id"].to_string(), f["status"].to_string()))
            .collect();
        assert_eq!(statuses, expected, "{}: {account:#}", user.name);
        assert_eq!(
            finding_in(account, "subid.entries")["status"],
            subid_entries,
            "{}",
            user.name
        );
        let rootlesskit = user.run("rootlesskit", &["true"]);
        assert_eq!(
            rootlesskit.code() == 0,
            rootlesskit_works,
            "the doctor said subid.entries {subid_entries} for {}:\n{rootlesskit}",
            user.name
        );
    }
    // The nosub user fails: the run does too.
    assert_eq!(code, 1, "{doc:#}");
}

fn finding_in<'a>(account: &'a Value, id: &str) -> &'a Value {
    array(&account["findings"])
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {account:#}"))
}
