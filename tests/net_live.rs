//! Live tier: `rootless-doctor net` on this machine (Debian 12: RootlessKit 1.1.0, slirp4netns 1.2.0, passt
//! 2023-03-09), its verdicts proven against the real `rootlesskit … true`: the choice for `--source-ip` and why pasta
//! is out (the same words RootlessKit prints), `--probe` against a by-hand launch of every combination it tried, a
//! helper without its execute bit rejected by both, and root's run for a user trying as that user; `net bench`
//! measured for real (both slirp4netns port drivers, both ways, the client's address as the child saw it).
//! The real daemon with the written settings, and the client's address a container sees, are the VM tier's
//! (tests/vm.rs `net_source_ip_*`): a systemd user service to restart is what `--write` writes for.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use support::{Need, Run};

fn live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
        Need::Program("setpriv"),
    ])
}

/// The candidate `label` (`net + port`) of a `net --format json` document.
fn candidate<'a>(doc: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    doc["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            format!(
                "{} + {}",
                c["network"].as_str().unwrap(),
                c["port"].as_str().unwrap()
            ) == label
        })
        .unwrap_or_else(|| panic!("no candidate {label} in {doc}"))
}

fn reasons(c: &serde_json::Value) -> Vec<String> {
    c["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

/// RootlessKit as the user, with the flags Debian 12's dockerd-rootless.sh passes and `net`/`port`, at most 20 s,
/// on `path`; tried again after losing RootlessKit 1.1.0's builtin port-driver race.
fn rootlesskit(user: &support::TestUser, path: &str, net: &str, port: &str, mtu: &str) -> Run {
    let rk = path
        .split(':')
        .map(|d| format!("{d}/rootlesskit"))
        .find(|p| fs::metadata(p).is_ok())
        .unwrap_or_else(|| "/usr/bin/rootlesskit".to_owned());
    let args = support::rk_flags(net, port, mtu);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    support::retry_bp_sock_race(
        || {
            let inner = user.command_with_path(path, std::path::Path::new(&rk), &args);
            let mut cmd = Command::new("timeout");
            cmd.args(["--kill-after=5", "20"])
                .arg(inner.get_program())
                .args(inner.get_args());
            Run::of(cmd)
        },
        |r| (r.code() != 0).then_some(r.stderr.as_str()),
    )
}

#[test]
fn source_ip_chooses_slirp4netns_and_pasta_is_out_in_rootlesskits_own_words() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let run = user.doctor(&["net", "--source-ip", "--format", "json"]);
    assert_eq!(run.code(), 0, "{run}");
    let doc = run.json();
    assert_eq!(doc["chosen"], "slirp4netns + slirp4netns", "{run}");
    // The choice was tried here, for real.
    let chosen = candidate(&doc, "slirp4netns + slirp4netns");
    assert_eq!(chosen["probe"]["result"], "started", "{run}");
    // Why pasta is out: RootlessKit 1.1.0 refuses the name, as it says itself; passt is too old besides.
    let pasta = reasons(candidate(&doc, "pasta + implicit"));
    let refusal = "[rootlesskit:parent] error: unknown network mode: pasta";
    assert!(pasta.iter().any(|r| r.contains(refusal)), "{pasta:?}");
    assert!(
        pasta.iter().any(|r| r.contains("older than 2023_12_04")),
        "{pasta:?}"
    );
    let real = rootlesskit(&user, support::PATH, "pasta", "implicit", "65520");
    assert_ne!(real.code(), 0, "{real}");
    assert!(real.stderr.contains(refusal), "{real}");
    // builtin hides the client before RootlessKit 3.0.
    let builtin = reasons(candidate(&doc, "slirp4netns + builtin"));
    assert_eq!(
        builtin,
        [
            "the builtin port driver shows containers 127.0.0.1 before RootlessKit 3.0.0 (this one is 1.1.0)"
        ]
    );
    // No systemd here: the settings are for dockerd-rootless.sh's environment, and --write has nothing to write.
    assert!(doc["settings"]["override_file"].is_null(), "{doc}");
    let human = user.doctor(&["net", "--source-ip", "--write"]);
    assert_eq!(human.code(), 0, "{human}");
    for line in [
        "export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns",
        "export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns",
        "export DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=65520",
        "nothing to write here: without systemd",
    ] {
        assert!(human.stdout.contains(line), "no {line:?}:\n{human}");
    }
}

#[test]
fn probe_agrees_with_rootlesskit_for_every_combination_it_tried() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let run = user.doctor(&["net", "--probe", "--format", "json"]);
    let doc = run.json();
    let mut tried = 0;
    for c in doc["candidates"].as_array().unwrap() {
        let Some(result) = c["probe"]["result"].as_str() else {
            continue;
        };
        tried += 1;
        let (net, port) = (c["network"].as_str().unwrap(), c["port"].as_str().unwrap());
        let mtu = c["mtu"].to_string();
        let real = rootlesskit(&user, support::PATH, net, port, &mtu);
        assert_eq!(
            result == "started",
            real.code() == 0,
            "{net} + {port}: the doctor says {result}, RootlessKit exited {}:\n{real}\n{}",
            real.code(),
            serde_json::to_string_pretty(c).unwrap()
        );
        eprintln!("{net} + {port}: {result}, as RootlessKit ({})", real.code());
    }
    // This machine starts both of slirp4netns's combinations.
    assert_eq!(tried, 2, "{run}");
    assert_eq!(
        candidate(&doc, "slirp4netns + builtin")["probe"]["result"],
        "started"
    );
}

#[test]
fn a_helper_without_its_execute_bit_is_out_and_rootlesskit_fails_alike() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    // A PATH of symlinks to every program of the usual directories, with slirp4netns a copy lacking its x bits.
    let scratch = support::ScratchDir::new("/tmp", "net-noexec", 0o755);
    let bin = scratch.user_dir("bin", (user.uid, user.gid), 0o755);
    for dir in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let link = std::path::Path::new(&bin).join(entry.file_name());
            if entry.file_name() != "slirp4netns" && !link.exists() {
                std::os::unix::fs::symlink(entry.path(), &link).unwrap();
            }
        }
    }
    let helper = format!("{bin}/slirp4netns");
    fs::copy("/usr/bin/slirp4netns", &helper).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o644)).unwrap();
    let doctor =
        Run::of(user.command_with_path(&bin, support::doctor_bin(), &["net", "--format", "json"]));
    let doc = doctor.json();
    let slirp = reasons(candidate(&doc, "slirp4netns + builtin"));
    assert!(
        slirp
            .iter()
            .any(|r| r.starts_with(&format!("{helper} is not executable by the user"))),
        "{slirp:?}"
    );
    // Nothing else starts on RootlessKit 1.1.0 here: no choice, exit 1.
    assert_eq!(doctor.code(), 1, "{doctor}");
    assert!(doc["chosen"].is_null(), "{doc}");
    // RootlessKit on the same PATH: exec's lookup skips a file without execute permission.
    let real = rootlesskit(&user, &bin, "slirp4netns", "builtin", "65520");
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr.contains("executable file not found in $PATH"),
        "{real}"
    );
    eprintln!("RootlessKit: {}", real.stderr.trim());
}

#[test]
fn root_for_a_user_tries_as_that_user() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let run = Run::of({
        let mut c = Command::new(support::doctor_bin());
        c.args([
            "--user",
            &user.name,
            "net",
            "--source-ip",
            "--format",
            "json",
        ]);
        c
    });
    assert_eq!(run.code(), 0, "{run}");
    let doc = run.json();
    assert_eq!(doc["user"], user.name.as_str());
    assert_eq!(doc["chosen"], "slirp4netns + slirp4netns", "{run}");
    assert_eq!(
        candidate(&doc, "slirp4netns + slirp4netns")["probe"]["result"],
        "started",
        "{run}"
    );
}

/// `inner` (a command as the test user) inside `ns`'s mount namespace, at most 30 s.
fn in_ns(ns: &support::MountNamespace, inner: &Command) -> Command {
    let mut c = Command::new("nsenter");
    c.args(["-t", &ns.pid().to_string()])
        .args(ns.join())
        .args(["--", "timeout", "--kill-after=5", "30"])
        .arg(inner.get_program())
        .args(inner.get_args());
    c
}

/// A missing kernel device: /dev/net/tun hidden by a tmpfs over /dev/net in a private mount namespace. Every
/// driver on this machine needs it, so `net` rejects them all there (exit 1) and RootlessKit's `ip tuntap add` fails
/// the same way; outside it, both start.
#[test]
fn without_dev_net_tun_every_driver_is_out_as_rootlesskit_finds() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let ns = support::MountNamespace::new(&[&[
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "mode=0755",
        "tmpfs",
        "/dev/net",
    ]]);
    let doctor = Run::of(in_ns(
        &ns,
        &user.command_with_path(
            support::PATH,
            support::doctor_bin(),
            &["net", "--format", "json"],
        ),
    ));
    assert_eq!(doctor.code(), 1, "{doctor}");
    let doc = doctor.json();
    assert!(doc["chosen"].is_null(), "{doc}");
    let slirp = reasons(candidate(&doc, "slirp4netns + builtin"));
    assert!(
        slirp
            .iter()
            .any(|r| r == "slirp4netns needs /dev/net/tun: it is missing (load the tun module)"),
        "{slirp:?}"
    );
    let inner = user.command_with_path(
        support::PATH,
        std::path::Path::new("/usr/bin/rootlesskit"),
        &[
            "--net=slirp4netns",
            "--mtu=65520",
            "--disable-host-loopback",
            "--port-driver=builtin",
            "--copy-up=/etc",
            "--copy-up=/run",
            "true",
        ],
    );
    let real = Run::of(in_ns(&ns, &inner));
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr.contains("open: No such file or directory")
            && real.stderr.contains("ip tuntap add name tap0 mode tap"),
        "{real}"
    );
}

/// A `--root` tree (no running system: nothing is launched) with RootlessKit 3.0.1 and slirp4netns packaged, the
/// user's home the test user's: `net --source-ip --write` as root for the user keeps the override's other lines and
/// daemon.json's other keys, a second run finds both done, `fix --undo` puts both back byte for byte, and an
/// override.conf planted as a symbolic link to a root-only file is refused without reading or changing it.
#[test]
fn write_merges_the_override_and_daemon_json_and_undo_restores_them() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let tree = support::ScratchDir::new("/tmp", "net-tree", 0o755);
    let root = tree.0.display().to_string();
    for d in [
        "etc",
        "usr/bin",
        "var/lib/dpkg",
        "run/systemd/system",
        "proc",
        "tmp",
    ] {
        fs::create_dir_all(tree.0.join(d)).unwrap();
    }
    fs::copy("/etc/os-release", tree.0.join("etc/os-release")).unwrap();
    fs::write(
        tree.0.join("etc/passwd"),
        format!(
            "root:x:0:0::/root:/bin/sh\n{0}:x:{1}:{2}::/home/{0}:/bin/sh\n",
            user.name, user.uid, user.gid
        ),
    )
    .unwrap();
    fs::write(
        tree.0.join("etc/group"),
        format!("root:x:0:\n{}:x:{}:\n", user.name, user.gid),
    )
    .unwrap();
    for b in ["rootlesskit", "slirp4netns", "ip", "iptables"] {
        let p = tree.0.join("usr/bin").join(b);
        fs::write(&p, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::write(
        tree.0.join("var/lib/dpkg/status"),
        "Package: rootlesskit\nStatus: install ok installed\nVersion: 3.0.1-1\n\nPackage: slirp4netns\nStatus: install ok installed\nVersion: 1.3.1-1\n",
    )
    .unwrap();
    let home = tree.user_dir(&format!("home/{}", user.name), (user.uid, user.gid), 0o755);
    let dropins = tree.user_dir(
        &format!("home/{}/.config/systemd/user/docker.service.d", user.name),
        (user.uid, user.gid),
        0o755,
    );
    let docker = tree.user_dir(
        &format!("home/{}/.config/docker", user.name),
        (user.uid, user.gid),
        0o755,
    );
    for d in [".config", ".config/systemd", ".config/systemd/user"] {
        std::os::unix::fs::chown(format!("{home}/{d}"), Some(user.uid), Some(user.gid)).unwrap();
    }
    let override_conf = format!("{dropins}/override.conf");
    let daemon_json = format!("{docker}/daemon.json");
    let old_override = "[Service]\nEnvironment=\"HTTP_PROXY=http://proxy:3128\"\n";
    let old_json = "{\n  \"debug\": true\n}\n";
    for (p, text) in [(&override_conf, old_override), (&daemon_json, old_json)] {
        fs::write(p, text).unwrap();
        std::os::unix::fs::chown(p, Some(user.uid), Some(user.gid)).unwrap();
    }
    let doctor = |args: &[&str]| {
        Run::of({
            let mut c = Command::new(support::doctor_bin());
            c.args(["--root", &root, "--user", &user.name]).args(args);
            c
        })
    };
    let run = doctor(&["net", "--source-ip", "--write"]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(
        run.stdout.contains("Chosen: slirp4netns + builtin"),
        "{run}"
    );
    assert_eq!(
        fs::read_to_string(&override_conf).unwrap(),
        "[Service]\nEnvironment=\"HTTP_PROXY=http://proxy:3128\"\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns\"\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=builtin\"\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=65520\"\n"
    );
    assert_eq!(
        fs::read_to_string(&daemon_json).unwrap(),
        "{\n  \"debug\": true,\n  \"userland-proxy\": false\n}\n"
    );
    // The user's files stay the user's.
    use std::os::unix::fs::MetadataExt;
    for p in [&override_conf, &daemon_json] {
        assert_eq!(fs::metadata(p).unwrap().uid(), user.uid, "{p}");
    }
    let again = doctor(&["net", "--source-ip", "--write"]);
    assert_eq!(again.code(), 0, "{again}");
    assert_eq!(
        again.stdout.matches("already holds this").count(),
        2,
        "{again}"
    );
    let undo = doctor(&["fix", "--undo"]);
    assert_eq!(undo.code(), 0, "{undo}");
    assert_eq!(fs::read_to_string(&override_conf).unwrap(), old_override);
    assert_eq!(fs::read_to_string(&daemon_json).unwrap(), old_json);
    // A link planted where override.conf goes.
    let secret = tree.0.join("etc/shadow");
    fs::write(&secret, "root:SECRET-HASH:1::::::\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(&override_conf).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", &override_conf).unwrap();
    std::os::unix::fs::lchown(&override_conf, Some(user.uid), Some(user.gid)).unwrap();
    let planted = doctor(&["net", "--source-ip", "--write"]);
    assert_eq!(planted.code(), 2, "{planted}");
    assert!(
        planted
            .stderr
            .contains("override.conf: refused: a symbolic link, not a regular file: not written"),
        "{planted}"
    );
    assert!(!planted.stdout.contains("SECRET") && !planted.stderr.contains("SECRET"));
    assert_eq!(
        fs::read_to_string(&secret).unwrap(),
        "root:SECRET-HASH:1::::::\n"
    );
    assert!(
        fs::symlink_metadata(&override_conf)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// The result of `combination` (`net + port`) in a `net bench --format json` document.
fn bench_row<'a>(doc: &'a serde_json::Value, combination: &str) -> &'a serde_json::Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            format!(
                "{} + {}",
                r["network"].as_str().unwrap(),
                r["port"].as_str().unwrap()
            ) == combination
        })
        .unwrap_or_else(|| panic!("no result for {combination} in {doc}"))
}

/// What `net bench` must have measured on this machine (RootlessKit 1.1.0, slirp4netns 1.2.0): both slirp4netns
/// combinations start, data goes both ways, builtin hands the container 127.0.0.1 and the slirp4netns port
/// driver the client's own address; pasta, vpnkit and gvisor-tap-vsock are not benched, with RootlessKit's words.
fn assert_bench(run: &Run, user: &support::TestUser) {
    assert_eq!(run.code(), 0, "{run}");
    let doc = run.json();
    assert_eq!(doc["command"], "net bench", "{run}");
    assert_eq!(doc["bytes_each_way"], 4 << 20, "{run}");
    let client = doc["client_address"]
        .as_str()
        .unwrap_or_else(|| panic!("this machine has a non-loopback address: {run}"));
    for (combination, kept) in [
        ("slirp4netns + builtin", false),
        ("slirp4netns + slirp4netns", true),
    ] {
        let row = bench_row(&doc, combination);
        assert_eq!(row["started"], true, "{combination}: {run}");
        for leg in ["inbound", "outbound"] {
            assert_eq!(row[leg]["status"], "measured", "{combination} {leg}: {run}");
            assert!(
                row[leg]["mbit_per_s"].as_u64().unwrap() > 0,
                "{combination} {leg}: {run}"
            );
        }
        let peer: std::net::SocketAddr = row["inbound"]["peer"].as_str().unwrap().parse().unwrap();
        assert_eq!(row["source_ip_kept"], kept, "{combination}: {run}");
        if kept {
            assert_eq!(peer.ip().to_string(), client, "{combination}: {run}");
        } else {
            assert_eq!(peer.ip().to_string(), "127.0.0.1", "{combination}: {run}");
        }
        assert_eq!(
            row["leftovers"],
            serde_json::json!([]),
            "{combination}: {run}"
        );
    }
    let skipped = doc["not_benched"].as_array().unwrap();
    let pasta = skipped
        .iter()
        .find(|s| s["combination"] == "pasta + implicit")
        .unwrap_or_else(|| panic!("pasta is not benched here: {run}"));
    assert!(
        pasta["reason"]
            .as_str()
            .unwrap()
            .contains("[rootlesskit:parent] error: unknown network mode: pasta"),
        "{run}"
    );
    // Nothing of the user's runs on. RootlessKit's child (`exe`) dies by its parent-death signal once RootlessKit
    // has exited, which takes the kernel a moment after the run returns (seen in CI): it gets 10 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ps = Run::of({
            let mut c = Command::new("ps");
            c.args(["-o", "pid=,stat=,comm=", "-u", &user.uid.to_string()]);
            c
        });
        if ps.stdout.trim().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "processes left behind for 10 s: {ps}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn scratch_dirs() -> Vec<String> {
    fs::read_dir("/tmp")
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rootless-doctor-run."))
        .collect()
}

#[test]
fn bench_measures_both_slirp4netns_port_drivers_and_only_one_keeps_the_client() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let before = scratch_dirs();
    // As the user.
    let run = user.doctor(&["net", "bench", "--mib", "4", "--format", "json"]);
    assert_bench(&run, &user);
    // As root for the user: the same, run as the user.
    let run = Run::of({
        let mut c = Command::new(support::doctor_bin());
        c.args([
            "--user", &user.name, "net", "bench", "--mib", "4", "--format", "json",
        ]);
        c
    });
    assert_bench(&run, &user);
    assert_eq!(run.json()["user"], user.name.as_str());
    assert_eq!(scratch_dirs(), before, "scratch directories left behind");
    // The human table says the same.
    let human = user.doctor(&["net", "bench", "--mib", "4"]);
    assert_eq!(human.code(), 0, "{human}");
    for line in [
        "slirp4netns + builtin (MTU 65520)",
        "client address: lost (the container saw 127.0.0.1, not ",
        "slirp4netns + slirp4netns (MTU 65520)",
        "client address: kept (the container saw ",
        "Not benched (cannot start here):",
    ] {
        assert!(human.stdout.contains(line), "no {line:?}:\n{human}");
    }
}

/// Regression: root's bench for a user who cannot reach the binary (in a 0700 directory of root's) made RootlessKit
/// fail with `fork/exec …: permission denied` (the reachability test used access(2), which asks with the real uid,
/// root's); and with the copy made, the child was ready before RootlessKit's API socket existed, so publishing
/// failed with ENOENT.
#[test]
fn bench_copies_the_binary_for_a_user_who_cannot_reach_it_and_waits_for_the_api_socket() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let dir = tempfile::Builder::new()
        .prefix("rd-bench-bin")
        .tempdir()
        .unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let bin = dir.path().join("rootless-doctor");
    fs::copy(support::doctor_bin(), &bin).unwrap();
    let run = Run::of({
        let mut c = Command::new(&bin);
        c.args([
            "--user", &user.name, "net", "bench", "--mib", "4", "--format", "json",
        ]);
        c
    });
    assert_bench(&run, &user);
}

#[test]
fn bench_refuses_the_flags_that_choose() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let run = user.doctor(&["net", "--source-ip", "bench"]);
    assert_eq!(run.code(), 2, "{run}");
    assert!(
        run.stderr.contains(
            "net bench measures every combination that starts here; --source-ip is for choosing one"
        ),
        "{run}"
    );
}

/// Regression (hostile-user audit): a command root runs as the user (the trials, `net bench`) stayed in root's
/// session, so a process of the user's could open root's terminal (`/dev/tty`) and push keystrokes into root's shell
/// with TIOCSTI. Now it leads a session of its own: its session and process group are its pid, with no terminal.
#[test]
fn regression_a_command_run_as_the_user_leads_a_session_of_its_own_without_roots_terminal() {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let out =
        rootless_doctor::host::bounded::run(&rootless_doctor::host::bounded::BoundedCommand {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "exec cat /proc/self/stat".into(),
            ],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            as_user: Some(rootless_doctor::host::bounded::RunAs {
                name: user.name.clone(),
                uid: user.uid,
                gid: user.gid,
            }),
            timeout: std::time::Duration::from_secs(10),
            scratch_dirs: vec![],
            scratch_files: vec![],
            stdin: Vec::new(),
            ready: None,
        })
        .unwrap();
    // pid (comm) state ppid pgrp session tty_nr …
    let stat = out.stdout.trim();
    let after = stat.rsplit_once(") ").unwrap().1;
    let fields: Vec<&str> = after.split(' ').collect();
    let pid = stat.split(' ').next().unwrap();
    assert_eq!(fields[2], pid, "process group: {stat}");
    assert_eq!(fields[3], pid, "session: {stat}");
    assert_eq!(fields[4], "0", "controlling terminal: {stat}");
}

/// `rootless-doctor ARGS --format json` as `user` with `env` (a running daemon's): the parsed document.
fn doctor_json(user: &str, env: Vec<(String, String)>, args: &[&str]) -> serde_json::Value {
    let mut argv: Vec<&std::ffi::OsStr> = vec![support::doctor_bin().as_os_str()];
    argv.extend(args.iter().map(std::ffi::OsStr::new));
    argv.extend(["--format", "json"].map(std::ffi::OsStr::new));
    let run = Run::of(testkit::as_user(user, env, &argv));
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{run}"))
}

/// The proof on this machine, with the real rootless dockerd: started with the environment `net --source-ip`
/// prints (no systemd here, so that is where its settings go), a container publishing a port sees the address of
/// a client in a network namespace the test makes (a veth pair; the addresses exist only there and on the host's
/// end); started with the script's defaults (builtin), it does not. `net` and `check` agree with what runs.
#[test]
fn source_ip_the_real_daemon_with_nets_settings_shows_the_container_the_client_and_builtin_does_not()
 {
    let Some(live) = live() else {
        return;
    };
    let user = live.ok_user();
    let doc = user
        .doctor(&["net", "--source-ip", "--format", "json"])
        .json();
    assert_eq!(doc["chosen"], "slirp4netns + slirp4netns", "{doc}");
    let settings = support::net_settings(&doc);
    assert!(
        settings.contains(&(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER".to_owned(),
            "slirp4netns".to_owned()
        )),
        "{settings:?}"
    );
    // The client: its own network namespace, one end of a veth pair in it (10.203.7.2), the other on the host
    // (10.203.7.1), removed with the namespace.
    let client = support::VethClient::new("rdsrc0", "10.203.7.1", "10.203.7.2");
    let port = (20_000 + std::process::id() % 20_000).to_string();
    for (case, env, kept) in [
        ("net --source-ip's settings", settings.clone(), true),
        ("the script's defaults", Vec::new(), false),
    ] {
        let mut opts =
            testkit::DaemonOptions::new(user.name.clone(), testkit::StateDirLayout::Upstream);
        opts.extra_env = env;
        let daemon = testkit::RootlessDaemon::start(opts)
            .unwrap_or_else(|e| panic!("{case}: start the rootless dockerd: {e}"));
        daemon.import_busybox("peer").unwrap();
        let run = support::echo_peer_run(&port);
        let run: Vec<&str> = run.iter().map(String::as_str).collect();
        daemon
            .docker_ok(&run)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let seen = client.ask("10.203.7.1", &port);
        assert!(
            !seen.trim().is_empty(),
            "{case}: no answer from the container"
        );
        assert_eq!(
            seen.contains("10.203.7.2:"),
            kept,
            "{case}: the container saw (the client is 10.203.7.2):\n{seen}"
        );
        // What the doctor says about the daemon that runs.
        let net = doctor_json(&user.name, daemon.env(), &["net", "--source-ip"]);
        let running = format!(
            "{} + {}",
            net["inventory"]["running"]["network"]
                .as_str()
                .unwrap_or("?"),
            net["inventory"]["running"]["port"].as_str().unwrap_or("?")
        );
        let expected = if kept {
            "slirp4netns + slirp4netns"
        } else {
            "slirp4netns + builtin"
        };
        assert_eq!(running, expected, "{case}: {net}");
        let check = doctor_json(&user.name, daemon.env(), &["check", "rootlesskit"]);
        let api = support::finding(&check, "rootlesskit.api");
        assert_eq!(api["status"], "pass", "{case}: {api}");
        assert!(
            api["summary"].as_str().unwrap().contains(&format!(
                "network driver slirp4netns, port driver {}",
                if kept { "slirp4netns" } else { "builtin" }
            )),
            "{case}: {api}"
        );
        let _ = daemon.docker(&["rm", "-f", "echopeer"]);
        daemon
            .stop()
            .unwrap_or_else(|e| panic!("{case}: stop: {e}"));
    }
}
