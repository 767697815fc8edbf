//! VM tier: real Debian hosts with systemd as PID 1, booted under QEMU.
//!
//! - Debian 12 (bookworm, RootlessKit 1.1, docker.io 20.10): launch-sequence phase 0, the systemd user unit
//!   (`tests/vm/scenarios/systemd-unit.sh`).
//! - Debian 13 (trixie, RootlessKit 2.0.2, docker.io 26.1.5, passt): the rows that need RootlessKit 2 and pasta
//!   (`tests/vm/scenarios/rootlesskit2.sh`): pasta's port driver, `ip` and `unshare` off the start path,
//!   `--detach-netns`, and `enter` in both network modes.
//! - Debian 12 again, a boot of its own (`tests/vm/scenarios/kernel-features.sh`): what the kernel gives the
//!   rootless daemon, the netfilter modules its iptables loads and the cgroup controllers systemd delegates (rows
//!   8.11 and 8.12).
//! - Both again (`tests/vm/scenarios/net.sh`): `net --source-ip --write` into the real user service, which restarts
//!   with the chosen drivers, and a client in a network namespace of its own (a veth pair inside the VM) whose
//!   address the container sees after the restart and not before.
//!
//! `cargo xtask test --tier vm` builds both images (`tests/vm/build-image.sh CACHE RELEASE`) and runs this file with
//! `ROOTLESS_DOCTOR_VM_IMAGE` (bookworm) and `ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE` naming them. Each test boots a
//! throw-away overlay of its image under QEMU (`tests/vm/run-scenario.sh`), where the scenario logs in as `tester`
//! through sshd and pam_systemd, runs this build's release binary and the real tool for each fault, and writes both
//! to the payload disk; here both are read back and asserted: the doctor's verdict and what the real tool said.
//!
//! Outside the tier (its variable unset) a test says SKIP; inside it (`ROOTLESS_DOCTOR_VM=1` or `CI`) a missing
//! image fails it. One scenario alone: `ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE=target/vm/trixie-HASH cargo test --release
//! --test vm rootlesskit_2`.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What one boot of a scenario left in WORK_DIR/out.
struct Run {
    out: PathBuf,
    /// Every failed expectation, reported together at the end.
    failures: Vec<String>,
}

impl Run {
    fn file(&self, step: &str, stream: &str) -> String {
        let path = self.out.join(format!("{step}.{stream}"));
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn rc(&self, step: &str) -> i32 {
        let rc = self.file(step, "rc");
        rc.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{step}.rc is not a number: {rc:?}"))
    }

    /// The doctor's JSON document printed by `step`.
    fn doctor(&self, step: &str) -> Value {
        let stdout = self.file(step, "stdout");
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "{step}: the doctor printed no JSON ({e}); stdout:\n{stdout}\nstderr:\n{}",
                self.file(step, "stderr")
            )
        })
    }

    fn expect(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }

    /// The finding `id` in `step`'s document has `status`, and its summary and evidence contain every `words`.
    fn verdict(&mut self, step: &str, id: &str, status: &str, words: &[&str]) {
        let doc = self.doctor(step);
        let Some(finding) = finding(&doc, id) else {
            self.failures.push(format!("{step}: no finding {id}"));
            return;
        };
        let text = finding_text(finding);
        let got = finding["status"].as_str().unwrap_or("?");
        self.expect(got == status, || {
            format!("{step}: {id} is {got}, expected {status}:\n{text}")
        });
        for word in words {
            self.expect(text.contains(word), || {
                format!("{step}: {id} does not say {word:?}:\n{text}")
            });
        }
    }

    /// The real command of `step` failed with exit code != 0 and its stderr contains `message`.
    fn real_failure(&mut self, step: &str, message: &str) {
        let (rc, stderr) = (self.rc(step), self.file(step, "stderr"));
        self.expect(rc != 0 && stderr.contains(message), || {
            format!("{step}: expected a failure saying {message:?}, got rc {rc}, stderr:\n{stderr}")
        });
    }

    fn succeeded(&mut self, step: &str) {
        let (rc, stdout, stderr) = (
            self.rc(step),
            self.file(step, "stdout"),
            self.file(step, "stderr"),
        );
        self.expect(rc == 0, || {
            format!("{step}: exited {rc}\nstdout:\n{stdout}\nstderr:\n{stderr}")
        });
    }
}

/// The boot's `capture` (copied to out/capture) replayed here, on the CI machine, from its files alone: the
/// findings are the ones the VM's run found, finding for finding (the tree's own path aside).
fn replay_capture(run: &mut Run) -> Value {
    let dir = run.out.join("capture");
    run.succeeded("installed-capture");
    let captured = run.file("installed-capture", "stdout");
    run.expect(
        captured.contains("replay: rootless-doctor --host-file")
            && captured.contains("the replay finds what this run found, finding for finding"),
        || format!("installed-capture: its replay is not the run's:\n{captured}"),
    );
    let live = testkit::capture::captured(&dir).unwrap_or_else(|e| panic!("capture: {e}"));
    let replay = testkit::capture::replay(&doctor_binary(), &dir, None)
        .unwrap_or_else(|e| panic!("capture: {e}"));
    for d in testkit::capture::differences(&live, &replay) {
        run.expect(false, || format!("capture replay differs:\n{d}"));
    }
    live
}

fn finding<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"].as_str() == Some(id))
}

/// A finding's status, summary, evidence and the commands of its fix as one text, for assertions and failure
/// messages.
fn finding_text(f: &Value) -> String {
    let mut text = format!(
        "{} {}: {}\n",
        f["id"].as_str().unwrap_or("?"),
        f["status"].as_str().unwrap_or("?"),
        f["summary"].as_str().unwrap_or("")
    );
    for e in f["evidence"].as_array().into_iter().flatten() {
        let _ = writeln!(
            text,
            "  {}: {}",
            e["source"].as_str().unwrap_or(""),
            e["detail"].as_str().unwrap_or("")
        );
    }
    for step in f["remediation"]["steps"].as_array().into_iter().flatten() {
        let _ = writeln!(text, "  fix: {}", step["command"].as_str().unwrap_or(""));
    }
    text
}

/// The image directory `var` names (built by `tests/vm/build-image.sh CACHE release`) when the test is to run;
/// `None` after a SKIP line outside the vm tier.
fn image(var: &str, release: &str) -> Option<PathBuf> {
    let in_tier = std::env::var("ROOTLESS_DOCTOR_VM").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "false" | "0"));
    match std::env::var_os(var) {
        Some(dir) if Path::new(&dir).join("base.raw").is_file() => Some(PathBuf::from(dir)),
        Some(dir) if in_tier => panic!(
            "{var}={} holds no base.raw (run tests/vm/build-image.sh CACHE {release})",
            Path::new(&dir).display()
        ),
        None if in_tier => {
            panic!("the vm tier needs {var} (run `cargo xtask test --tier vm`)")
        }
        _ => {
            // Straight to the process's stderr, past libtest's capture, as the live tests' skips.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: no {release} VM image ({var}); run `cargo xtask test --tier vm`"
            );
            None
        }
    }
}

/// The binary the VMs run: the release build the vm tier hands over, else the one built beside this test.
fn doctor_binary() -> PathBuf {
    testkit::live::tested_binary(env!("CARGO_BIN_EXE_rootless-doctor"))
}

/// Boots `scenario` once and returns its out/ directory (the boot's own failures panic here, with the console).
fn boot(image: &Path, scenario: &str) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("vm-{scenario}"));
    let status = Command::new(root.join("tests/vm/run-scenario.sh"))
        .arg(image)
        .arg(root.join(format!("tests/vm/scenarios/{scenario}.sh")))
        .arg(doctor_binary())
        .arg(&work)
        .status()
        .expect("run tests/vm/run-scenario.sh");
    assert!(
        status.success(),
        "scenario {scenario} did not complete ({status}); see {}",
        work.display()
    );
    Run {
        out: work.join("out"),
        failures: Vec::new(),
    }
}

#[test]
fn systemd_unit_faults_judged_by_the_doctor_and_met_by_systemctl() {
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE", "bookworm") else {
        return;
    };
    let mut run = boot(&image, "systemd-unit");

    // The login is a real logind session through sshd and pam_systemd, with the user bus socket-activated.
    run.succeeded("session");
    let session = run.file("session", "stdout");
    for line in [
        "XDG_RUNTIME_DIR=/run/user/1000",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
        "Class=user",
        "Remote=yes",
    ] {
        run.expect(session.contains(line), || {
            format!("session: no {line:?}:\n{session}")
        });
    }

    // 1. Fresh host: the systemd side is right (launch row 0.1, and 0.7's cgroup side), and there is no unit
    // (0.2): the doctor says so, and systemctl says the same.
    for step in ["fresh-preflight", "fresh-check"] {
        run.verdict(step, "systemd.pid1", "pass", &["/proc/1/comm: systemd"]);
        run.verdict(
            step,
            "session.login",
            "pass",
            &["env:XDG_SESSION_ID", "/run/user/1000/bus: socket"],
        );
        run.verdict(
            step,
            "session.xdg_runtime_dir",
            "pass",
            &["/run/user/1000", "mode 0700, owner uid 1000"],
        );
        run.verdict(
            step,
            "session.dbus",
            "pass",
            &["/run/user/1000/bus: socket"],
        );
        run.verdict(
            step,
            "session.linger",
            "pass",
            &["/var/lib/systemd/linger/tester: exists"],
        );
        run.verdict(
            step,
            "cgroup.v2",
            "pass",
            &["statfs:/sys/fs/cgroup: cgroup2"],
        );
        // Debian's user@.service delegates cpu, memory and pids (not io or cpuset), and the doctor reads it.
        run.verdict(
            step,
            "cgroup.delegation",
            "pass",
            &["user@1000.service/cgroup.controllers: cpu memory pids"],
        );
    }
    let not_found = "Failed to start docker.service: Unit docker.service not found.";
    run.verdict("fresh-check", "daemon.user_unit", "fail", &[not_found]);
    run.verdict("fresh-check", "daemon.running", "fail", &["no socket"]);
    run.real_failure("fresh-start", not_found);

    // 2. Debian's setup tool refuses from where Debian installs it; `setup` writes the unit the tool would write,
    // enables and starts it, and waits until the daemon answers.
    run.real_failure(
        "setuptool-plain",
        "dockerd-rootless.sh needs to be present under $PATH",
    );
    run.succeeded("setup");
    let setup = run.file("setup", "stdout");
    for words in [
        "done     /home/tester/.config/systemd/user/docker.service written",
        "done     ran `systemctl --user daemon-reload`",
        "done     ran `systemctl --user enable --now docker.service`",
        "ready    /run/user/1000/docker.sock answers /_ping",
        "the docker user service runs",
    ] {
        run.expect(setup.contains(words), || {
            format!("setup: no {words:?}:\n{setup}")
        });
    }
    run.succeeded("installed-wait");
    // The capture of this host replays here with the VM's findings, and they are the systemd host's own.
    let captured = replay_capture(&mut run);
    for (id, words) in [
        ("session.login", "env:XDG_SESSION_ID"),
        (
            "cgroup.delegation",
            "user@1000.service/cgroup.controllers: cpu memory pids",
        ),
        ("daemon.user_unit", "installed and enabled"),
        ("daemon.running", "200 OK"),
    ] {
        let f = finding(&captured, id).map(finding_text).unwrap_or_default();
        run.expect(
            f.starts_with(&format!("{id} pass:")) && f.contains(words),
            || format!("capture: {id} is not a pass with {words:?}: {f}"),
        );
    }
    for step in ["installed-check", "restored-check"] {
        run.verdict(
            step,
            "daemon.user_unit",
            "pass",
            &[
                "installed and enabled",
                "default.target.wants/docker.service: enabled",
            ],
        );
        run.verdict(step, "daemon.running", "pass", &["200 OK"]);
    }
    // Regressions the VM found: the system docker.service masked by the image (a link to /dev/null) was an
    // unreadable file, and Debian 12's kernel, whose MASQUERADE module is xt_MASQUERADE, failed kernel.config.
    run.verdict(
        "installed-check",
        "daemon.service",
        "pass",
        &["docker.service is masked"],
    );
    run.verdict(
        "installed-check",
        "kernel.config",
        "pass",
        &["/boot/config-6.1.0-"],
    );
    // 0.7: the doctor's "io, cpuset not delegated" is what the real daemon then reports about itself.
    run.verdict(
        "installed-check",
        "cgroup.delegation",
        "pass",
        &["io, cpuset not delegated"],
    );
    run.verdict(
        "installed-check",
        "daemon.warnings",
        "warn",
        &[
            "WARNING: No cpuset support",
            "WARNING: No io.weight support",
        ],
    );
    let status = run.file("installed-status", "stdout");
    run.expect(
        status.contains("enabled;") && status.contains("Active: active (running)"),
        || format!("installed-status: not enabled and running:\n{status}"),
    );

    // 3a. Masked (0.2). systemd refuses to mask a unit whose file is in ~/.config/systemd/user itself.
    run.real_failure(
        "masked-mask-refused",
        "Failed to mask unit: File /home/tester/.config/systemd/user/docker.service already exists.",
    );
    run.succeeded("masked-mask");
    let masked = "Failed to start docker.service: Unit docker.service is masked.";
    run.real_failure("masked-start", masked);
    run.verdict(
        "masked-check",
        "daemon.user_unit",
        "fail",
        &[masked, "a link to /dev/null"],
    );
    // `systemctl --user unmask` removed the enablement link too: systemd and the doctor agree it is disabled.
    run.succeeded("masked-unmask");
    let enabled = run.file("masked-unmasked-enabled", "stdout");
    run.expect(enabled.trim() == "disabled", || {
        format!("masked-unmasked-enabled: expected disabled, got {enabled:?}")
    });
    run.verdict(
        "masked-unmasked-check",
        "daemon.user_unit",
        "warn",
        &["not enabled"],
    );
    run.succeeded("masked-restore");

    // 3b. Requires=dbus.socket without dbus.socket (0.3).
    let no_dbus = "Failed to start docker.service: Unit dbus.socket not found.";
    run.succeeded("nodbus-dropin");
    run.real_failure("nodbus-start", no_dbus);
    run.verdict(
        "nodbus-check",
        "daemon.user_unit",
        "fail",
        &[no_dbus, "requires-dbus.conf:2: Requires=dbus.socket"],
    );
    run.succeeded("nodbus-restore");

    // 3c. ExecStart= names a script that is gone (0.4): systemd fails with 203/EXEC, and start.path, which ties the
    // unit's ExecStart= to the file, says so (daemon.user_unit passes: the unit itself is fine).
    let noexec = run.file("noexec-status", "stdout");
    run.expect(
        noexec.contains(
            "ExecStart=/usr/share/docker.io/contrib/dockerd-rootless.sh (code=exited, status=203/EXEC)",
        ),
        || format!("noexec-status: no 203/EXEC:\n{noexec}"),
    );
    // 0.6: Restart=always runs into the start limit.
    run.expect(
        noexec.contains("docker.service: Start request repeated too quickly."),
        || format!("noexec-status: no start limit hit:\n{noexec}"),
    );
    run.verdict("noexec-check", "daemon.user_unit", "pass", &[]);
    run.verdict(
        "noexec-check",
        "start.path",
        "fail",
        &["which does not exist: systemd reports status=203/EXEC"],
    );
    run.verdict("noexec-check", "daemon.running", "fail", &["no socket"]);
    run.verdict(
        "noexec-check",
        "network.binaries",
        "warn",
        &["dockerd-rootless.sh: not found"],
    );
    run.succeeded("noexec-restore");

    // 3d. No login session of tester's own (0.1).
    run.verdict(
        "nosession-runuser-preflight",
        "session.login",
        "warn",
        &["no logind session", "env:XDG_SESSION_ID: unset"],
    );
    run.verdict(
        "nosession-runuser-preflight",
        "session.xdg_runtime_dir",
        "fail",
        &["not set"],
    );
    run.real_failure(
        "nosession-runuser-status",
        "Failed to connect to bus: No medium found",
    );
    run.verdict(
        "nosession-runuser-preflight",
        "session.login",
        "warn",
        &["Failed to connect to bus: No medium found"],
    );
    // `su tester` (without -) inside root's ssh login keeps root's session, runtime directory and bus.
    let su_env = run.file("nosession-su-env", "stdout");
    run.expect(su_env.contains("XDG_RUNTIME_DIR=/run/user/0"), || {
        format!("nosession-su-env: not root's runtime directory:\n{su_env}")
    });
    run.verdict(
        "nosession-su-preflight",
        "session.login",
        "warn",
        &["of uid 0, not tester's", "UID=0"],
    );
    run.verdict(
        "nosession-su-preflight",
        "session.xdg_runtime_dir",
        "fail",
        &["owned by uid 0"],
    );
    run.real_failure(
        "nosession-su-status",
        "Failed to connect to bus: Permission denied",
    );

    // 3e. Linger off. Every step above logged in and out again with linger on, and the daemon outlived each login;
    // with linger off the doctor warns, and once tester's last session ends logind stops the user manager and the
    // daemon with it. Linger on again brings both back without a login.
    run.succeeded("linger-disable");
    run.verdict(
        "linger-check",
        "session.linger",
        "warn",
        &[
            "linger is off for tester",
            "stops at logout",
            "loginctl enable-linger tester",
        ],
    );
    let logout = run.file("linger-logout", "stdout");
    run.expect(logout == "inactive\nno dockerd runs as tester\n", || {
        format!(
            "linger-logout: the user manager or the daemon outlived the last session:\n{logout}"
        )
    });
    run.succeeded("linger-enable");
    run.succeeded("linger-restored-wait");
    run.verdict(
        "linger-restored-check",
        "session.linger",
        "pass",
        &["linger is enabled for tester"],
    );

    // 4. `fix --undo` reverses setup: the service stopped and disabled, the unit file it wrote gone.
    run.succeeded("undo");
    let undo = run.file("undo", "stdout");
    for words in [
        "ran `systemctl --user disable --now docker.service` (undoes `systemctl --user enable --now docker.service`)",
        "/home/tester/.config/systemd/user/docker.service: removed (the apply created it)",
    ] {
        run.expect(undo.contains(words), || {
            format!("undo: no {words:?}:\n{undo}")
        });
    }
    let state = run.file("undone-state", "stdout");
    for line in ["inactive", "unit: gone", "wants: gone"] {
        run.expect(state.lines().any(|l| l == line), || {
            format!("undone-state: no {line:?}:\n{state}")
        });
    }

    let failures = run.failures.join("\n\n");
    assert!(run.failures.is_empty(), "{failures}");
}

/// The loaded state of each netfilter module in a `modules` step's output (`NAME loaded|absent` lines).
fn module_state(run: &Run, step: &str, module: &str) -> String {
    let text = run.file(step, "stdout");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{module} ")))
        .unwrap_or("unknown")
        .to_owned()
}

#[test]
fn kernel_features_judged_by_the_doctor_and_met_by_the_rootless_daemon() {
    // Launch row 8.11 on a real Debian 12 kernel, where nf_tables and ip_tables are modules.
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE", "bookworm") else {
        return;
    };
    let mut run = boot(&image, "kernel-features");
    let expect_state = |run: &mut Run, step: &str, module: &str, want: &str| {
        let got = module_state(run, step, module);
        run.expect(got == want, || {
            format!("{step}: {module} is {got}, expected {want}")
        });
    };

    // 1. nf_tables, not loaded on this boot: the doctor passes it as a module loaded on first use, and the rootless
    // daemon's iptables, in its user namespace, does load it.
    expect_state(&mut run, "nft-before", "nf_tables", "absent");
    expect_state(&mut run, "nft-before", "nfnetlink", "absent");
    run.verdict(
        "nft-preflight",
        "iptables.modules",
        "pass",
        &["nf_tables a module the kernel loads on first use"],
    );
    run.succeeded("nft-wait");
    expect_state(&mut run, "nft-after", "nf_tables", "loaded");
    expect_state(&mut run, "nft-after", "nfnetlink", "loaded");

    // 2. The legacy backend with ip_tables unloaded: the doctor warns, and the daemon never answers, its
    // iptables-legacy unable to load ip_tables from the user namespace.
    run.succeeded("legacy-rmmod");
    expect_state(&mut run, "legacy-before", "ip_tables", "absent");
    run.verdict(
        "legacy-preflight",
        "iptables.modules",
        "warn",
        &[
            "ip_tables not loaded",
            "module:ip_tables: a module, not loaded",
        ],
    );
    let rc = run.rc("legacy-start");
    run.expect(rc != 0, || {
        "legacy-start: the daemon answered without ip_tables".into()
    });
    let journal = run.file("legacy-journal", "stdout");
    run.expect(
        journal.contains("Table does not exist (do you need to insmod?)"),
        || format!("legacy-journal: no insmod error:\n{journal}"),
    );
    expect_state(&mut run, "legacy-after-failure", "ip_tables", "absent");

    // ip_tables loaded by root: the doctor passes, the daemon answers, and the tables it needs (iptable_nat,
    // iptable_filter) were loaded on first use from its user namespace.
    run.succeeded("legacy-modprobe");
    run.verdict(
        "legacy-loaded-preflight",
        "iptables.modules",
        "pass",
        &["ip_tables loaded"],
    );
    run.succeeded("legacy-loaded-wait");
    expect_state(&mut run, "legacy-loaded-after", "iptable_nat", "loaded");
    expect_state(&mut run, "legacy-loaded-after", "iptable_filter", "loaded");

    // 3. Row 8.12: cpu delegated (Debian's default), `--cpus` works; a drop-in that delegates only memory and pids:
    // the doctor warns with the error dockerd then really gives, and `--memory` still works.
    run.succeeded("image-import");
    run.verdict(
        "delegated-preflight",
        "cgroup.delegation",
        "pass",
        &["delegated to tester: cpu memory pids"],
    );
    run.succeeded("delegated-cpus");
    run.succeeded("delegated-memory");
    let controllers = run.file("undelegated-controllers", "stdout");
    run.expect(controllers.trim() == "memory pids", || {
        format!("undelegated-controllers: {controllers:?}")
    });
    let refusal = "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted";
    run.verdict(
        "undelegated-preflight",
        "cgroup.delegation",
        "warn",
        &["cpu not delegated to tester", refusal],
    );
    run.succeeded("undelegated-start");
    run.real_failure("undelegated-cpus", refusal);
    run.succeeded("undelegated-memory");

    // 4. The user bus stopped under the running daemon: the socket file stays, nobody listens. The doctor fails
    // session.dbus (it used to pass on the file alone), and `docker run` really fails to start the container's scope.
    let stopped = run.file("bus-stop", "stdout");
    run.expect(stopped == "inactive\ninactive\nsocket tester\n", || {
        format!("bus-stop: dbus.socket and dbus.service not both stopped, or no socket file left:\n{stopped}")
    });
    run.verdict(
        "bus-preflight",
        "session.dbus",
        "fail",
        &[
            "nobody listens on the user bus /run/user/1000/bus",
            "connection refused",
            "systemctl --user start dbus.socket",
        ],
    );
    run.real_failure("bus-run", "unable to start unit \"docker-");
    run.real_failure("bus-run", "): Permission denied: unknown");
    run.succeeded("bus-start");
    run.verdict(
        "bus-restored-preflight",
        "session.dbus",
        "pass",
        &["accepts connections"],
    );
    run.succeeded("bus-restored-run");

    let failures = run.failures.join("\n\n");
    assert!(run.failures.is_empty(), "{failures}");
}

/// Both sides of a case whose start fails: systemd's start of the unit did not succeed (an error, or still waiting
/// when `timeout` cut it at 20 s: RootlessKit 2.0.2's parent waits forever once its child failed), and what the service
/// logged during it contains every one of `lines`.
fn failed_start(run: &mut Run, case: &str, hangs: bool, lines: &[&str]) {
    let step = format!("{case}-start");
    let rc = run.rc(&step);
    if hangs {
        run.expect(rc == 124, || {
            format!(
                "{step}: expected systemctl still waiting at the 20 s limit (rc 124), got rc {rc}"
            )
        });
    } else {
        let stderr = run.file(&step, "stderr");
        run.expect(
            rc != 0 && stderr.contains("Job for docker.service failed"),
            || format!("{step}: expected a failed job, got rc {rc}:\n{stderr}"),
        );
    }
    let journal = run.file(&format!("{case}-journal"), "stdout");
    for line in lines {
        run.expect(journal.contains(line), || {
            format!("{case}-journal: does not say {line:?}:\n{journal}")
        });
    }
}

#[test]
fn rootlesskit_2_rows_judged_by_the_doctor_and_met_by_the_real_start() {
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE", "trixie") else {
        return;
    };
    let mut run = boot(&image, "rootlesskit2");

    // A real logind session, and the Debian 13 packages the rows are about.
    run.succeeded("session");
    let session = run.file("session", "stdout");
    run.expect(session.contains("Class=user"), || {
        format!("session: not a user session:\n{session}")
    });
    let versions = run.file("versions", "stdout");
    for package in [
        "docker.io 26.1.5+dfsg1",
        "rootlesskit 2.0.2-",
        "passt 0.0~git2025",
        "systemd 257.",
    ] {
        run.expect(versions.contains(package), || {
            format!("versions: no {package:?}:\n{versions}")
        });
    }

    // The setup tool's install. Debian 13's, as Debian 12's, runs `$BIN/docker version` from its own directory, which
    // has no docker (after starting the daemon, before enabling it); with the link there it completes.
    run.real_failure(
        "install-1",
        "/usr/share/docker.io/contrib/docker: not found",
    );
    run.succeeded("install-2");
    run.succeeded("installed-wait");
    // The capture of this host (RootlessKit 2, the setup tool's unit) replays here with the VM's findings.
    let captured = replay_capture(&mut run);
    let f = finding(&captured, "rootlesskit.api")
        .map(finding_text)
        .unwrap_or_default();
    run.expect(f.starts_with("rootlesskit.api pass:"), || {
        format!("capture: rootlesskit.api: {f}")
    });
    let rootlesskit = run.file("installed-rootlesskit", "stdout");
    run.expect(
        rootlesskit.contains("--net=slirp4netns --mtu=65520")
            && rootlesskit.contains("--port-driver=builtin"),
        || format!("installed-rootlesskit: not the script's defaults:\n{rootlesskit}"),
    );
    for id in [
        "start.environment",
        "start.path",
        "start.versions",
        "start.state_dir",
        "daemon.user_unit",
        "daemon.running",
    ] {
        run.verdict("installed-check", id, "pass", &[]);
    }
    run.verdict(
        "installed-check",
        "network.driver",
        "pass",
        &["will pick slirp4netns (also usable: pasta)"],
    );
    // The doctor's RootlessKit command line is the one that runs (the slirp4netns the script found: 65520).
    run.verdict(
        "installed-check",
        "start.environment",
        "pass",
        &["--net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto --port-driver=builtin"],
    );

    // Row 1.8: pasta with the 26.1.5 script's default port driver, builtin.
    let pasta_builtin = "[rootlesskit:parent] error: network \"pasta\" requires port driver \"none\" or \"implicit\"";
    run.verdict(
        "pasta-builtin-check",
        "start.environment",
        "fail",
        &[
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER is unset",
            pasta_builtin,
        ],
    );
    run.verdict(
        "pasta-builtin-check",
        "network.driver",
        "pass",
        &["will use pasta, as DOCKERD_ROOTLESS_ROOTLESSKIT_NET asks"],
    );
    run.verdict(
        "pasta-builtin-check",
        "launch.trial",
        "fail",
        &[pasta_builtin, "start.environment explains it"],
    );
    failed_start(&mut run, "pasta-builtin", false, &[pasta_builtin]);

    // Row 5.3: the implicit port driver without pasta (the script picks slirp4netns).
    let implicit = "[rootlesskit:parent] error: port driver requires pasta network";
    run.verdict(
        "implicit-slirp-check",
        "start.environment",
        "fail",
        &[
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit",
            implicit,
        ],
    );
    run.verdict("implicit-slirp-check", "launch.trial", "fail", &[implicit]);
    failed_start(&mut run, "implicit-slirp", false, &[implicit]);

    // pasta with the implicit port driver: the daemon comes up, the start checks pass, and `enter` shows the network
    // a container sees: pasta's tap0 with RootlessKit's child address, and dockerd's bridge.
    run.succeeded("pasta-start");
    run.succeeded("pasta-wait");
    for id in [
        "start.environment",
        "start.path",
        "start.versions",
        "start.state_dir",
        "daemon.running",
    ] {
        run.verdict("pasta-check", id, "pass", &[]);
    }
    run.verdict(
        "pasta-check",
        "start.path",
        "pass",
        &["RootlessKit's parent puts pasta's TAP device into the namespace"],
    );
    // 26.1.5 gives 65520 only to the slirp4netns it finds itself: pasta asked for by name gets 1500, as the doctor
    // predicts and RootlessKit's own error below (`binary:pasta mtu:1500`) shows.
    run.verdict(
        "pasta-check",
        "start.environment",
        "pass",
        &["--net=pasta --mtu=1500 "],
    );
    let api = run.file("pasta-api", "stdout");
    run.expect(
        api.contains("\"version\":\"2.0.2\"") && api.contains("\"driver\":\"pasta\""),
        || format!("pasta-api: not RootlessKit 2.0.2 with pasta:\n{api}"),
    );
    run.succeeded("pasta-enter");
    let links = run.file("pasta-enter", "stdout");
    for name in ["1: lo:", "2: tap0:", "3: docker0:"] {
        run.expect(links.contains(name), || {
            format!("pasta-enter: no {name:?}:\n{links}")
        });
    }
    let addr = run.file("pasta-enter-addr", "stdout");
    run.expect(
        addr.contains("tap0    inet 10.0.2.100/24")
            && addr.contains("docker0    inet 172.17.0.1/16"),
        || format!("pasta-enter-addr:\n{addr}"),
    );

    // Row 4.8: no `ip`. RootlessKit 2.0.2's parent adds pasta's TAP device through nsenter (2.0.0 to 2.2.0; from 2.3.0
    // pasta configures its interface itself), so nsenter's exec of ip is the first to fail.
    let no_ip = "nsenter: failed to execute ip: No such file or directory";
    run.verdict(
        "noip-check",
        "start.path",
        "fail",
        &["ip not on the PATH", no_ip],
    );
    failed_start(
        &mut run,
        "noip",
        false,
        &[
            no_ip,
            "binary:pasta mtu:1500 ",
            "setting up tap tap0: executing [[nsenter -t",
            "ip tuntap add name tap0 mode tap]",
            "exit status 127",
        ],
    );

    // Row 3.5, with unshare and mount there: RootlessKit 2.0.2 makes the detached namespace, and dockerd 26.1.5, which
    // does not join it (29.5 is the first that does), fails on its bridge in the host's namespace.
    let nat = "failed to create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER";
    let root = "Permission denied (you must be root)";
    run.verdict(
        "detach-check",
        "start.path",
        "pass",
        &[
            "unshare, mount",
            "RootlessKit 2.0.2; 2.3.3 and later do it themselves",
        ],
    );
    run.verdict(
        "detach-check",
        "start.versions",
        "fail",
        &[
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--detach-netns",
            nat,
            root,
        ],
    );
    run.verdict(
        "detach-check",
        "launch.trial",
        "fail",
        &[nat, "start.versions"],
    );
    failed_start(
        &mut run,
        "detach",
        false,
        &[
            "failed to start daemon: Error initializing network controller",
            nat,
            root,
        ],
    );
    // The detached namespace itself (RootlessKit with sleep in dockerd's place): enter joins it for the network and
    // the child for the rest, while the command itself sits in the host's namespace, where RootlessKit added nothing.
    run.succeeded("detach-rk");
    run.succeeded("detach-enter");
    let links = run.file("detach-enter", "stdout");
    run.expect(
        links.contains("1: lo:") && links.contains("2: tap0:") && !links.contains("docker0"),
        || format!("detach-enter: not the detached namespace:\n{links}"),
    );
    let addr = run.file("detach-enter-addr", "stdout");
    run.expect(addr.contains("tap0    inet 10.0.2.100/24"), || {
        format!("detach-enter-addr:\n{addr}")
    });
    run.succeeded("detach-where");
    let place = run.file("detach-where", "stdout");
    let ns = |who: &str| {
        place
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{who} ")))
            .unwrap_or_default()
            .to_owned()
    };
    run.expect(
        ns("shell").starts_with("net:[") && ns("command") == ns("shell"),
        || format!("detach-where: the command is not in the host's network namespace:\n{place}"),
    );
    run.expect(ns("command-links").split_whitespace().eq(["lo"]), || {
        format!("detach-where: the command's namespace has more than lo:\n{place}")
    });
    run.expect(place.contains("netns-file 0 bytes -r--------"), || {
        format!(
            "detach-where: the host's netns file is not RootlessKit's empty 0400 file:\n{place}"
        )
    });

    // Row 3.5's fault: RootlessKit 2.0.2 runs `unshare -n mount --bind …` from PATH. Without unshare, or without the
    // mount unshare execs, the child fails, and the parent keeps waiting: `systemctl --user start` hangs.
    let no_unshare = "[rootlesskit:child ] error: failed to create a detached netns on \"/run/user/1000/dockerd-rootless/netns\": failed to execute [unshare -n mount --bind /proc/self/ns/net /run/user/1000/dockerd-rootless/netns]: exec: \"unshare\": executable file not found in $PATH (out=\"\")";
    run.verdict(
        "nounshare-check",
        "start.path",
        "fail",
        &[
            "unshare not on the PATH of your docker.service",
            "exec: \"unshare\": executable file not found in $PATH",
        ],
    );
    run.verdict(
        "nounshare-check",
        "launch.trial",
        "fail",
        &["failed to create a detached netns", "start.path"],
    );
    failed_start(&mut run, "nounshare", true, &[no_unshare]);
    let no_mount =
        "exit status 127 (out=\"unshare: failed to execute mount: No such file or directory\\n\")";
    run.verdict(
        "nomount-check",
        "start.path",
        "fail",
        &["mount not on the PATH of your docker.service", no_mount],
    );
    failed_start(
        &mut run,
        "nomount",
        true,
        &["failed to create a detached netns", no_mount],
    );

    // The host is back: the script's defaults start again.
    run.succeeded("restored-start");
    run.succeeded("restored-wait");
    run.verdict("restored-check", "daemon.running", "pass", &["200 OK"]);

    let failures = run.failures.join("\n\n");
    assert!(run.failures.is_empty(), "{failures}");
}

#[test]
fn apparmor_profiles_for_rootlesskit_judged_by_the_doctor_and_met_by_rootlesskit() {
    // Launch rows 2.x (the child's start) and 3.3 on Debian 13: AppArmor runs without Ubuntu's user namespace
    // restriction, and apparmor 4.1 ships an unconfined profile for /usr/bin/rootlesskit. Each case loads one profile
    // as the only one for that path and runs the doctor and RootlessKit 2.0.2 as the user.
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE", "trixie") else {
        return;
    };
    let mut run = boot(&image, "apparmor");
    let versions = run.file("versions", "stdout");
    for package in ["rootlesskit 2.0.2-", "apparmor 4.1"] {
        run.expect(versions.contains(package), || {
            format!("versions: no {package:?}:\n{versions}")
        });
    }
    let lsm = run.file("lsm", "stdout");
    run.expect(lsm.contains("apparmor") && lsm.contains("\nY\n"), || {
        format!("lsm: AppArmor is not running:\n{lsm}")
    });
    let cases: &[(&str, &str, &[&str], Option<&str>)] = &[
        // The packaged profile: unconfined, with userns.
        ("baseline", "pass", &["which does not confine it"], None),
        (
            "rdtest-confined-no-caps",
            "fail",
            &[
                "has no capability rule",
                "fork/exec /proc/self/exe: operation not permitted",
            ],
            Some("failed to start the child: fork/exec /proc/self/exe: operation not permitted"),
        ),
        (
            "rdtest-confined-attached",
            "fail",
            &[
                "lacks flags=(attach_disconnected)",
                "fork/exec /proc/self/exe: permission denied",
            ],
            Some("failed to start the child: fork/exec /proc/self/exe: permission denied"),
        ),
        (
            "rdtest-confined-no-mount",
            "fail",
            &["has no mount rule", "slirp4netns failed"],
            Some("--enable-sandbox --enable-seccomp"),
        ),
        (
            "rdtest-unconfined",
            "pass",
            &[
                "gets profile rdtest-rootlesskit",
                "which does not confine it",
            ],
            None,
        ),
        // A confining profile beside the packaged one: the attachments conflict, and neither attaches.
        (
            "rdtest-confined-no-caps-alongside",
            "pass",
            &["equally specifically", "rootlesskit runs unconfined"],
            None,
        ),
    ];
    for (case, status, words, error) in cases {
        run.verdict(
            &format!("{case}-preflight"),
            "apparmor.rootlesskit",
            status,
            words,
        );
        let step = format!("{case}-rootlesskit");
        match error {
            Some(error) => run.real_failure(&step, error),
            None => run.succeeded(&step),
        }
    }
    // What the kernel logged for the two profiles that stop the child's start.
    for (case, line) in [
        ("rdtest-confined-no-caps", "capname=\"sys_admin\""),
        (
            "rdtest-confined-attached",
            "Failed name lookup - disconnected path",
        ),
    ] {
        let log = run.file(&format!("{case}-kernel-log"), "stdout");
        run.expect(log.contains(line), || {
            format!("{case}-kernel-log: no {line:?}:\n{log}")
        });
    }
    let failures = run.failures.join("\n\n");
    assert!(run.failures.is_empty(), "{failures}");
}

/// `tests/vm/scenarios/net.sh` on one image: `net --source-ip` chooses `chosen`, `--write` puts it in the user unit's
/// override.conf (a second run finds it done), the real service restarts with RootlessKit reporting `drivers`, and
/// the container sees the address of a client in a namespace of its own only after that (`before_keeps`: whether
/// the setup tool's defaults already keep it).
fn net_scenario(image: &Path, machine: &str, chosen: &str, drivers: &str, before_keeps: bool) {
    let mut run = boot(image, "net");
    // The distro matrix's steps open this scenario (tests/vm/lib.sh): held to what tests/matrix/expected.toml says
    // of this machine, by the checker `cargo xtask matrix` runs on the Vagrant machines' results.
    let expected = testkit::matrix::load(&testkit::matrix::expected_path()).unwrap();
    let problems = testkit::matrix::check(&expected[machine], &run.out);
    run.expect(problems.is_empty(), || {
        format!("the matrix scenario on {machine}:\n{}", problems.join("\n"))
    });
    let client = "10.203.0.2:";
    for step in [
        "matrix-setup",
        "matrix-wait",
        "image-import",
        "client-netns",
        "before-serve",
    ] {
        run.succeeded(step);
    }
    // net bench: the chosen combination starts, carries data both ways, and keeps the client's address.
    let bench = run.doctor("bench");
    let row = bench["results"].as_array().and_then(|rows| {
        rows.iter()
            .find(|r| {
                format!(
                    "{} + {}",
                    r["network"].as_str().unwrap_or(""),
                    r["port"].as_str().unwrap_or("")
                ) == chosen
            })
            .cloned()
    });
    match row {
        Some(row) => {
            for leg in ["inbound", "outbound"] {
                run.expect(row[leg]["status"] == "measured", || {
                    format!("bench: {chosen} {leg} not measured:\n{bench:#}")
                });
            }
            run.expect(row["source_ip_kept"] == true, || {
                format!("bench: {chosen} did not keep the client's address:\n{bench:#}")
            });
        }
        None => run.expect(false, || {
            format!("bench: no result for {chosen}:\n{bench:#}")
        }),
    }
    // Everything net found startable starts here, and builtin (RootlessKit < 3) hands the container 127.0.0.1.
    for row in bench["results"].as_array().into_iter().flatten() {
        run.expect(row["started"] == true, || {
            format!(
                "bench: {} + {} did not start:\n{bench:#}",
                row["network"], row["port"]
            )
        });
        if row["port"] == "builtin" {
            run.expect(row["source_ip_kept"] == false, || {
                format!("bench: builtin kept the client's address:\n{bench:#}")
            });
        }
    }
    let before = run.doctor("before-net");
    run.expect(before["chosen"] == chosen, || {
        format!(
            "before-net: chose {} rather than {chosen}",
            before["chosen"]
        )
    });
    // The real connection with the setup tool's defaults.
    run.succeeded("before-client");
    let seen = run.file("before-client", "stdout");
    run.expect(seen.contains(client) == before_keeps, || {
        format!("before-client: the container saw (expected the client's address: {before_keeps}):\n{seen}")
    });
    run.succeeded("write");
    let write = run.file("write", "stdout");
    run.expect(write.contains("override.conf written"), || {
        format!("write: no written override.conf:\n{write}")
    });
    let again = run.file("write-again", "stdout");
    run.expect(
        run.rc("write-again") == 0 && again.contains("override.conf already"),
        || format!("write-again: not found done:\n{again}"),
    );
    let override_conf = run.file("override", "stdout");
    let (net, port) = chosen.split_once(" + ").unwrap_or_default();
    for line in [
        format!("Environment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET={net}\""),
        format!("Environment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER={port}\""),
        "Environment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=65520\"".to_owned(),
    ] {
        run.expect(override_conf.contains(&line), || {
            format!("override: no {line}:\n{override_conf}")
        });
    }
    // Written, not yet restarted: check says so.
    run.verdict(
        "pending-check",
        "rootlesskit.drivers",
        "warn",
        &[
            "written but not restarted",
            &format!("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER: {port} written"),
        ],
    );
    run.succeeded("restart");
    run.verdict("after-check", "rootlesskit.api", "pass", &[drivers]);
    run.verdict(
        "after-check",
        "rootlesskit.drivers",
        "pass",
        &["as requested"],
    );
    run.succeeded("after-serve");
    run.succeeded("after-client");
    let seen = run.file("after-client", "stdout");
    run.expect(seen.contains(client), || {
        format!("after-client: the container did not see the client's address {client}:\n{seen}")
    });
    run.succeeded("undo");
    let undone = run.file("undone", "stdout");
    run.expect(undone.contains("override: gone"), || {
        format!("undone: {undone}")
    });
    assert!(run.failures.is_empty(), "{}", run.failures.join("\n\n"));
}

#[test]
fn net_source_ip_on_debian_12_writes_slirp4netns_and_the_container_sees_the_client() {
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE", "bookworm") else {
        return;
    };
    net_scenario(
        &image,
        "debian-12",
        "slirp4netns + slirp4netns",
        "network driver slirp4netns, port driver slirp4netns",
        false,
    );
}

#[test]
fn net_source_ip_on_debian_13_writes_pasta_and_the_container_sees_the_client() {
    let Some(image) = image("ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE", "trixie") else {
        return;
    };
    net_scenario(
        &image,
        "debian-13",
        "pasta + implicit",
        "network driver pasta, port driver implicit",
        false,
    );
}
