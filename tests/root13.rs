//! Live tier, Debian 13 half: `net` with RootlessKit 2.0.2 and passt 2025-05 (what pasta needs), in a Debian 13 root
//! that debootstrap made on this machine (`tests/root13/build-root.sh`, built by `cargo xtask test --tier live`),
//! entered with a new mount namespace and pivot_root, as its user `alice`. There `net --source-ip` chooses pasta with
//! the implicit port driver, proven by a real RootlessKit; `net bench` measures it; and the real dockerd-rootless.sh
//! started with the environment `net` prints (no systemd in the root) runs with it, and a container publishing a
//! port sees the address of a client in a network namespace of the test's own.
//!
//! The root's processes share this machine's kernel and network namespace: pasta forwards on the host's
//! addresses, and the uid inside (1000) may be another account's here, so processes are stopped by the process
//! group the test started, never by user name.

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
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Need, Run};

/// The root's user, as build-root.sh makes it.
const USER: &str = "alice";
/// Its runtime directory inside the root (no pam_systemd there).
const XDG: &str = "/tmp/rd13-xdg";

/// Joins a new mount namespace, pivots into the root ($1) and runs the rest as $2 with `env -i`.
const ENTER: &str = r#"R=$1; U=$2; shift 2
mount --bind "$R" "$R" && mount -t proc proc "$R/proc" && mount --rbind /sys "$R/sys" && mount --rbind /dev "$R/dev" || exit 125
mkdir -p "$R/.oldroot" && cd "$R" && pivot_root . .oldroot && umount -l /.oldroot && cd / || exit 125
exec runuser -u "$U" -- "$@""#;

struct Root {
    _live: support::Live,
    dir: PathBuf,
}

fn root() -> Option<Root> {
    let dir = PathBuf::from(std::env::var("ROOTLESS_DOCTOR_ROOT13").unwrap_or_else(|_| {
        "/ROOTLESS_DOCTOR_ROOT13 unset (cargo xtask test --tier live builds the root)".to_owned()
    }));
    let live = support::start(&[
        Need::Root,
        Need::Program("unshare"),
        Need::Program("nsenter"),
        Need::Program("ip"),
        Need::File(dir.join(".built")),
    ])?;
    // A fresh copy of the doctor, and the user's runtime directory, 0700 and theirs.
    let bin = dir.join("usr/local/bin/rootless-doctor");
    let _ = fs::remove_file(&bin);
    fs::copy(support::doctor_bin(), &bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let passwd = fs::read_to_string(dir.join("etc/passwd")).unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with(&format!("{USER}:")))
        .expect("the root's user");
    let ids: Vec<u32> = line
        .split(':')
        .skip(2)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    let xdg = dir.join(XDG.trim_start_matches('/'));
    let _ = fs::remove_dir_all(&xdg);
    fs::create_dir_all(&xdg).unwrap();
    fs::set_permissions(&xdg, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&xdg, Some(ids[0]), Some(ids[1])).unwrap();
    Some(Root { _live: live, dir })
}

impl Root {
    /// `argv` as the root's user, inside the root, with a login-like environment and `extra`.
    fn command(&self, extra: &[(String, String)], argv: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args([
            "-m",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            ENTER,
            "sh",
        ])
        .arg(&self.dir)
        .arg(USER)
        .args([
            "env",
            "-i",
            "HOME=/home/alice",
            "USER=alice",
            "LOGNAME=alice",
            "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/usr/share/docker.io/contrib",
            "XDG_RUNTIME_DIR=/tmp/rd13-xdg",
            "DOCKER_HOST=unix:///tmp/rd13-xdg/docker.sock",
        ])
        .args(extra.iter().map(|(k, v)| format!("{k}={v}")))
        .args(argv)
        .stdin(Stdio::null());
        cmd
    }

    fn run(&self, argv: &[&str]) -> Run {
        Run::of(self.command(&[], argv))
    }

    /// The doctor inside, `--format json`.
    fn doctor_json(&self, args: &[&str]) -> (Run, serde_json::Value) {
        let mut argv = vec!["rootless-doctor"];
        argv.extend(args);
        argv.extend(["--format", "json"]);
        let run = self.run(&argv);
        let doc = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?} in the root: not JSON ({e}):\n{run}"));
        (run, doc)
    }
}

/// The real dockerd-rootless.sh inside the root, in a process group of its own, stopped on drop.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(root: &Root, env: &[(String, String)]) -> Daemon {
        let log = root.dir.join("tmp/rd13-dockerd.log");
        let file = fs::File::create(&log).unwrap();
        let child = root
            .command(env, &["dockerd-rootless.sh"])
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap();
        let daemon = Daemon { child, log };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if root.run(&["docker", "version"]).code() == 0 {
                return daemon;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer in 90 s; its log:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.wait();
        // Nothing of the group outlives the test (RootlessKit's children go a moment after it).
        let deadline = Instant::now() + Duration::from_secs(10);
        while rustix::process::test_kill_process_group(group).is_ok() && Instant::now() < deadline {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn label(row: &serde_json::Value) -> String {
    format!(
        "{} + {}",
        row["network"].as_str().unwrap_or("?"),
        row["port"].as_str().unwrap_or("?")
    )
}

#[test]
fn debian_13_net_source_ip_chooses_pasta_the_real_daemon_runs_it_and_the_container_sees_the_client()
{
    let Some(root) = root() else {
        return;
    };
    // 1. The choice, tried for real with RootlessKit 2.0.2.
    let (run, net) = root.doctor_json(&["net", "--source-ip"]);
    assert_eq!(run.code(), 0, "{run}");
    assert_eq!(net["chosen"], "pasta + implicit", "{run}");
    assert_eq!(net["inventory"]["rootlesskit"]["version"], "2.0.2", "{run}");
    let chosen = net["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| label(c) == "pasta + implicit")
        .unwrap();
    assert_eq!(chosen["probe"]["result"], "started", "{run}");
    let settings = support::net_settings(&net);
    assert!(
        settings.contains(&("DOCKERD_ROOTLESS_ROOTLESSKIT_NET".into(), "pasta".into())),
        "{settings:?}"
    );

    // `--write` without systemd: nothing to write, the environment for dockerd-rootless.sh instead (used below).
    let write = root.run(&["rootless-doctor", "net", "--source-ip", "--write"]);
    assert_eq!(write.code(), 0, "{write}");
    for line in [
        "export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta",
        "export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit",
        "nothing to write here: without systemd",
    ] {
        assert!(write.stdout.contains(line), "no {line:?}:\n{write}");
    }

    // 2. The bench: pasta starts here and keeps the client's address; so does slirp4netns's port driver.
    let (run, bench) = root.doctor_json(&["net", "bench", "--mib", "4"]);
    assert_eq!(run.code(), 0, "{run}");
    let rows = bench["results"].as_array().unwrap();
    for (combination, kept) in [
        ("pasta + implicit", true),
        ("slirp4netns + slirp4netns", true),
        ("slirp4netns + builtin", false),
    ] {
        let row = rows
            .iter()
            .find(|r| label(r) == combination)
            .unwrap_or_else(|| panic!("no {combination} in {bench:#}"));
        assert_eq!(row["started"], true, "{combination}: {bench:#}");
        for leg in ["inbound", "outbound"] {
            assert_eq!(
                row[leg]["status"], "measured",
                "{combination} {leg}: {bench:#}"
            );
        }
        assert_eq!(row["source_ip_kept"], kept, "{combination}: {bench:#}");
    }

    // 3. The real daemon with net's settings, and a client of its own.
    let client = support::VethClient::new("rd13h", "10.203.9.1", "10.203.9.2");
    let daemon = Daemon::start(&root, &settings);
    let image = root.run(&[
        "sh",
        "-c",
        "set -e; r=$(mktemp -d); mkdir -p $r/bin; cp /bin/busybox $r/bin/; \
         for a in sh nc netstat grep sleep; do ln -s busybox $r/bin/$a; done; \
         tar -C $r -cf /tmp/rd13-peer.tar .; rm -rf $r; \
         docker import --change 'ENV PATH=/bin' /tmp/rd13-peer.tar peer >/dev/null",
    ]);
    assert_eq!(image.code(), 0, "{image}\n{}", daemon.log());
    let port = (20_000 + std::process::id() % 20_000).to_string();
    let mut serve = vec!["docker".to_owned()];
    serve.extend(support::echo_peer_run(&port));
    let serve: Vec<&str> = serve.iter().map(String::as_str).collect();
    let serve = root.run(&serve);
    assert_eq!(serve.code(), 0, "{serve}\n{}", daemon.log());
    let seen = client.ask("10.203.9.1", &port);
    assert!(
        seen.contains("10.203.9.2:"),
        "the container did not see the client 10.203.9.2: {seen:?}\n{}",
        daemon.log()
    );
    // The doctor on the daemon that runs: RootlessKit's API says pasta + implicit, as net chose.
    let (_, check) = root.doctor_json(&["check", "rootlesskit"]);
    let api = support::finding(&check, "rootlesskit.api");
    assert_eq!(api["status"], "pass", "{api}");
    assert!(
        api["summary"]
            .as_str()
            .unwrap()
            .contains("RootlessKit 2.0.2: network driver pasta, port driver implicit"),
        "{api}"
    );
    let (_, again) = root.doctor_json(&["net", "--source-ip"]);
    assert_eq!(again["inventory"]["running"]["network"], "pasta", "{again}");
    assert_eq!(again["inventory"]["running"]["port"], "implicit", "{again}");
    let _ = root.run(&["docker", "rm", "-f", "echopeer"]);
    drop(daemon);
    let _ = fs::remove_file(root.dir.join("tmp/rd13-peer.tar"));
    let _: &Path = &root.dir;
}

/// `net --probe` agrees with RootlessKit 2.0.2 on pasta: with pasta lacking its execute bits, `net` rules pasta
/// out and chooses slirp4netns, and the real `rootlesskit --net=pasta` fails its lookup the same way.
#[test]
fn debian_13_pasta_without_its_execute_bit_is_out_and_rootlesskit_2_fails_alike() {
    let Some(root) = root() else {
        return;
    };
    let pasta = root.dir.join("usr/bin/pasta");
    struct Restore(PathBuf);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
        }
    }
    let _restore = Restore(pasta.clone());
    fs::set_permissions(&pasta, fs::Permissions::from_mode(0o644)).unwrap();
    let (run, net) = root.doctor_json(&["net", "--source-ip", "--probe"]);
    assert_eq!(run.code(), 0, "{run}");
    let out = net["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| label(c) == "pasta + implicit")
        .unwrap();
    let reasons: Vec<&str> = out["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("/usr/bin/pasta is not executable by the user")),
        "{reasons:?}"
    );
    assert_eq!(net["chosen"], "slirp4netns + slirp4netns", "{run}");
    // RootlessKit 2.0.2 with the flags Debian 13's dockerd-rootless.sh passes for pasta.
    let real = root.run(&[
        "rootlesskit",
        "--net=pasta",
        "--mtu=65520",
        "--disable-host-loopback",
        "--port-driver=implicit",
        "--copy-up=/etc",
        "--copy-up=/run",
        "--propagation=rslave",
        "true",
    ]);
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr.contains("executable file not found in $PATH"),
        "{real}"
    );
    eprintln!("RootlessKit 2.0.2: {}", real.stderr.trim());
}
