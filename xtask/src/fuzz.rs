//! `cargo xtask fuzz`: the libFuzzer targets in `fuzz/` (cargo-fuzz, nightly), seeded from the fixtures.
//!
//! The seed corpus is not committed: each run copies the fixture files a target reads (matched by the globs in
//! [`TARGETS`]) into `fuzz/corpus/<target>/`, plus the few hand-written seeds no fixture holds (chunked HTTP
//! responses, glob patterns). libFuzzer adds what it finds to the same directory, so later runs start from there.
//! Multi-input targets take their inputs joined by `0xFF` (see `fuzz/src/lib.rs`).

use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The byte between the inputs of a multi-input target (`fuzz/src/lib.rs`'s `SEP`).
const SEP: u8 = 0xFF;

/// Large enough for the biggest real files (a kernel config is ~300 KiB, a dpkg status a few MiB), and for the
/// multi-megabyte inputs that expose quadratic parsing or unbounded expansion.
const FILE_MAX_LEN: usize = 4 * 1024 * 1024;

/// libFuzzer's limits: an input that runs longer than `TIMEOUT_SECONDS` or a process above `RSS_LIMIT_MB` is a
/// finding, like a panic.
const TIMEOUT_SECONDS: u32 = 10;
const RSS_LIMIT_MB: u32 = 2048;

/// Seconds per target for `cargo xtask fuzz` without `--seconds`.
pub const DEFAULT_SECONDS: u32 = 60;

/// Seconds per target in the test tier: 29 targets, so about 145 s of fuzzing in all (plus each build).
pub const TIER_SECONDS: u32 = 5;

/// Turns one fixture file into seeds.
type Extract = fn(&[u8]) -> Vec<Vec<u8>>;

/// One fuzz target (a `[[bin]]` of `fuzz/Cargo.toml`) and where its seeds come from.
pub struct Target {
    pub name: &'static str,
    /// libFuzzer's `-max_len`.
    max_len: usize,
    /// One list of globs per input, matched against paths below `tests/fixtures/<scenario>/` with fnmatch(3), so
    /// `*` crosses `/` too. With several inputs, seeds join one file of each, cycling through the longer lists;
    /// the first input's files are also seeds alone.
    inputs: &'static [&'static [&'static str]],
    /// Turns a matched file into seeds (`None`: the file itself).
    extract: Option<Extract>,
    /// Seeds written out in full.
    literal: &'static [&'static [u8]],
}

const fn target(
    name: &'static str,
    max_len: usize,
    inputs: &'static [&'static [&'static str]],
) -> Target {
    Target {
        name,
        max_len,
        inputs,
        extract: None,
        literal: &[],
    }
}

/// Every target, one or more parser families each.
pub const TARGETS: &[Target] = &[
    Target {
        // What RootlessKit, newuidmap and dockerd print when a start fails (stderr, then stdout).
        literal: &[
            b"[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1002 (\"rdtest-nosub\")\n",
            b"time=\"2026-11-30T10:00:00Z\" level=warning msg=\"The host root filesystem is mounted as \\\"\\\". Setting child propagation to \\\"rslave\\\" is not supported.\"\n[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 4242 [0 1000 1 1 100000 65536] failed: newuidmap: write to uid_map failed: Operation not permitted\n: exit status 1\n",
            b"[rootlesskit:child ] error: setting up tap tap0: executing [[nsenter -t 4242 -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap]]: exec: \"nsenter\": executable file not found in $PATH\n\xffsome stdout\n",
            b"failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables not found\n",
        ],
        ..target("known_errors", 64 * 1024, &[&[]])
    },
    target(
        "subid_passwd",
        FILE_MAX_LEN,
        &[&["root/etc/subuid", "root/etc/subgid", "root/etc/passwd", "root/etc/group", "root/srv/nfs/subuid"]],
    ),
    target(
        "os_release",
        FILE_MAX_LEN,
        &[&["root/etc/os-release", "root/usr/lib/os-release"]],
    ),
    target(
        "id_map",
        FILE_MAX_LEN,
        &[&["root/proc/*/uid_map", "root/proc/*/gid_map"]],
    ),
    target("mountinfo", FILE_MAX_LEN, &[&["root/proc/*/mountinfo"]]),
    target(
        "resolv_nsswitch",
        FILE_MAX_LEN,
        &[&["root/**/resolv.conf", "root/**/stub-resolv.conf", "root/etc/nsswitch.conf"]],
    ),
    Target {
        // /proc/PID/net/tcp and tcp6 as the kernel prints them, should no fixture hold one.
        literal: &[
            b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0\n",
            b"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000000000000:0CEB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n",
        ],
        ..target("net_tcp", FILE_MAX_LEN, &[&["root/proc/*/net/tcp", "root/proc/*/net/tcp6"]])
    },
    Target {
        // /proc/PID/net/unix as the kernel prints it: a listening socket, an unbound one, a path with a space.
        literal: &[
            b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 31337 /var/run/docker.sock\n0000000000000000: 00000003 00000000 00000000 0001 03  1586\n0000000000000000: 00000002 00000000 00000000 0002 01 20002 /run/with space/x.sock\n",
        ],
        ..target("net_unix", FILE_MAX_LEN, &[&["root/proc/*/net/unix"]])
    },
    Target {
        // `openssl s_client -brief` against real dockerds (OpenSSL 3.0): stdout, a NUL, stderr.
        literal: &[
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK\0Can't use SSL_get_servername\nCONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nVerification: OK\n",
            b"\0Can't use SSL_get_servername\ndepth=0 CN = srv\nverify error:num=20:unable to get local issuer certificate\n404706A2B37F0000:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n",
            b"\0CONNECTION ESTABLISHED\nVerification: OK\n40E7DB64857F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n",
            b"\0Could not open file or uri for loading client certificate private key from nokey\n4047:error:80000002:system library:file_open:No such file or directory:../providers/implementations/storemgmt/file_store.c:266:calling stat(nokey)\n",
        ],
        ..target("openssl", 64 * 1024, &[&[]])
    },
    target("kmsg", FILE_MAX_LEN, &[&["root/dev/kmsg", "root/proc/*/cgroup"]]),
    target(
        "pkgdb",
        FILE_MAX_LEN,
        &[&["root/var/lib/dpkg/status", "root/var/lib/pacman/local/*/desc"]],
    ),
    target(
        "proc_status",
        FILE_MAX_LEN,
        &[&["root/proc/*/status", "root/proc/*/cmdline", "root/proc/*/environ"]],
    ),
    target("sysctl", 64 * 1024, &[&["root/proc/sys/**"]]),
    Target {
        // /etc/login.defs as Debian and Fedora ship it, should no fixture hold one.
        literal: &[
            b"MAIL_DIR\t/var/mail\nENV_PATH\tPATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\nUMASK\t\t022\n",
            b"# GRANT_AUX_GROUP_SUBIDS\nGRANT_AUX_GROUP_SUBIDS \"yes\"\nSUB_UID_MIN\t\t  100000\n",
        ],
        ..target("login_defs", FILE_MAX_LEN, &[&["root/etc/login.defs"]])
    },
    Target {
        extract: Some(with_gzipped),
        ..target(
            "kernel_config",
            FILE_MAX_LEN,
            &[&["root/boot/config-*", "root/proc/sys/kernel/osrelease"]],
        )
    },
    target("netplan", FILE_MAX_LEN, &[&["root/etc/netplan/*.yaml"], &["root/etc/netplan/*.yaml"]]),
    Target {
        literal: &[
            b"docker0\xffdocker0",
            b"veth*\xffveth1234",
            b"br-[0-9a-f]*\xffbr-1a2b3c",
            b"en[!o]*\xffenp3s0",
            b"[[:alpha:]]*[[:digit:]]\xffeth0",
            b"!eth0 eth1\xffdocker0",
            b"docker0 br-* veth*\xffveth0",
            b"e\\*th?\xffe*th0",
        ],
        ..target("glob", 64 * 1024, &[&[]])
    },
    target(
        "unit_env",
        FILE_MAX_LEN,
        &[
            &["root/**/docker.service", "root/**/*.network"],
            &["root/etc/default/docker"],
            &["root/**/docker.service.d/*.conf", "root/**/*.network.d/*.conf"],
        ],
    ),
    Target {
        // A config.json, a context's meta.json and a DOCKER_HOST, should no fixture hold them.
        literal: &[
            b"{\"auths\": {}, \"currentContext\": \"rootless\"}",
            b"{\"Name\":\"rootless\",\"Metadata\":{\"Description\":\"Rootless mode\"},\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/user/1000/docker.sock\",\"SkipTLSVerify\":false}}}",
            b"tcp://127.0.0.1:2376",
        ],
        ..target(
            "docker_config",
            FILE_MAX_LEN,
            &[&["root/home/*/.docker/config.json", "root/home/*/.docker/contexts/meta/*/meta.json"]],
        )
    },
    target(
        "dockerd_flags",
        FILE_MAX_LEN,
        &[&["root/proc/*/cmdline"], &["root/**/daemon.json"]],
    ),
    target(
        "apparmor",
        FILE_MAX_LEN,
        &[
            &["root/etc/apparmor.d/*"],
            &["root/etc/apparmor.d/tunables/*"],
        ],
    ),
    Target {
        extract: Some(http_responses),
        literal: &[
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nOK",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{\"a\": 1\r\n1;ext=1\r\n}\r\n0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\nTrailer: x\r\n\r\n",
            b"HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nread until close",
        ],
        ..target("http", FILE_MAX_LEN, &[&["host.toml"]])
    },
    Target {
        extract: Some(xattr_blobs),
        ..target("vfs_cap", 64 * 1024, &[&["host.toml"]])
    },
    target("sidecar", FILE_MAX_LEN, &[&["host.toml"]]),
    Target {
        // DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS-like words and a RootlessKit package version.
        literal: &[
            b"--net=slirp4netns --mtu=65520 --port-driver=builtin --copy-up=/etc /usr/bin/dockerd-rootless.sh\xff1.1.0-1+b5",
            b"--net=pasta --port-driver=builtin --detach-netns -p 127.0.0.1:80:80/tcp x\xff2.3.4",
            b"--mtu 0x5dc --ifname a/b --cidr=10.0.3.0/24 -- x\xff3.0.1",
            b"--no-such-flag --pidns=maybe -mtu=-1\xffv0.14.6",
        ],
        ..target("rootlesskit_flags", 64 * 1024, &[&[]])
    },
    target("gobuildinfo", FILE_MAX_LEN, &[&["root/home/*/bin/rootlesskit", "root/usr/bin/rootlesskit"]]),
    Target {
        // A daemon.json, the keys `fix` sets, the keys it removes (one a line).
        literal: &[
            b"{\"rootless\": false, \"debug\": true}\xff{}\xffrootless",
            b"{\n    \"log-level\": \"warn\",\n    \"features\": {\"buildkit\": true}\n}\n\xff{\"dns\": [\"192.168.1.1\"]}\xff",
            b"\xff{\"dns\": [\"10.0.0.2\"]}\xffdns\nrootless",
            b"{\n  \"a\": 1,\n}\n\xff{\"a\": 2}\xffb",
        ],
        ..target("json_edit", 64 * 1024, &[&["root/**/daemon.json"]])
    },
    Target {
        // /proc/net/route and /proc/net/ipv6_route as the kernel prints them, should no fixture hold one.
        literal: &[
            b"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n",
            b"00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n",
        ],
        ..target("route", FILE_MAX_LEN, &[&["root/proc/net/route", "root/proc/net/ipv6_route"]])
    },
    Target {
        // A drop-in, then the network driver `net --write` sets in it.
        literal: &[
            b"[Service]\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta\" \"HTTP_PROXY=http://p:3128\"\nExecStart=\n\xffslirp4netns",
            b"[Unit]\nAfter=network-online.target\n\xffpasta",
            b"[Service]\nEnvironment=A=1 \\\n  DOCKERD_ROOTLESS_ROOTLESSKIT_NET=vpnkit\n\xffgvisor-tap-vsock",
        ],
        ..target("dropin", 64 * 1024, &[&["root/home/*/.config/systemd/user/docker.service.d/*.conf"]])
    },
];

/// Whether cargo-fuzz and the nightly toolchain are there, installing cargo-fuzz when it is missing.
/// `Err` carries the reason they are not.
pub fn ensure_tools(sh: &Shell) -> Result<(), String> {
    let works = |cmd: xshell::Cmd<'_>| cmd.quiet().ignore_stdout().ignore_stderr().run().is_ok();
    if !works(cmd!(sh, "cargo +nightly --version")) {
        return Err(
            "the nightly toolchain is not installed (`rustup toolchain install nightly`)".into(),
        );
    }
    if works(cmd!(sh, "cargo +nightly fuzz --version")) {
        return Ok(());
    }
    println!("fuzz: cargo-fuzz is missing: cargo install cargo-fuzz --locked");
    if cmd!(sh, "cargo install cargo-fuzz --locked").run().is_err() {
        return Err(
            "cargo-fuzz is not installed and `cargo install cargo-fuzz --locked` failed".into(),
        );
    }
    if !works(cmd!(sh, "cargo +nightly fuzz --version")) {
        return Err("`cargo fuzz --version` fails even after installing cargo-fuzz".into());
    }
    Ok(())
}

/// The targets named, all when none is; an unknown name is an error.
pub fn select(names: &[String]) -> Result<Vec<&'static Target>> {
    if names.is_empty() {
        return Ok(TARGETS.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            TARGETS.iter().find(|t| t.name == name).with_context(|| {
                let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
                format!(
                    "unknown fuzz target `{name}`; expected one of: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// How one target's run went.
#[derive(Debug)]
pub struct RunResult {
    pub target: &'static str,
    pub runs: Option<u64>,
    pub seconds: Option<u64>,
    /// Why the run failed (crash, timeout, out of memory), with where libFuzzer left the input.
    pub failure: Option<String>,
}

/// Builds the targets, seeds their corpora and fuzzes each for `seconds`. Fails when any target failed.
pub fn run(sh: &Shell, targets: &[&'static Target], seconds: u32) -> Result<()> {
    let root = crate::project_root();
    let fuzz_dir = root.join("fuzz");
    // An explicit target dir: a CARGO_TARGET_DIR shared with the stable build would be rebuilt with the fuzzer's flags.
    let target_dir = fuzz_dir.join("target");

    let start = Instant::now();
    let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
    let build = cmd!(
        sh,
        "cargo +nightly fuzz build --sanitizer none --target-dir {target_dir}"
    );
    // One target is built alone; several (each a `cargo fuzz build` of its own would redo the link) all at once.
    let build = if let [one] = names[..] {
        build.arg(one)
    } else {
        build
    };
    build.run().context("building the fuzz targets failed")?;
    println!("fuzz: built in {:.0}s", start.elapsed().as_secs_f64());

    let fixtures = fixture_files(&root.join("tests/fixtures"))?;
    let mut results = Vec::new();
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target.name);
        let seeded = write_seeds(target, &fixtures, &corpus)?;
        let artifacts = fuzz_dir.join("artifacts").join(target.name);
        fs::create_dir_all(&artifacts)?;
        println!(
            "fuzz: {} for {seconds}s ({seeded} seeds, -max_len={})",
            target.name, target.max_len
        );
        let result = run_one(&target_dir, target, &corpus, &artifacts, seconds)?;
        match &result.failure {
            None => println!(
                "fuzz: {}: {} runs in {} s",
                target.name,
                result.runs.map_or("?".into(), |r| r.to_string()),
                result.seconds.map_or("?".into(), |s| s.to_string()),
            ),
            Some(why) => eprintln!("fuzz: {}: FAILED: {why}", target.name),
        }
        results.push(result);
    }

    println!("\nfuzz summary ({seconds}s per target)");
    for r in &results {
        let runs = r.runs.map_or("-".into(), |n| n.to_string());
        let status = if r.failure.is_some() { "FAILED" } else { "ok" };
        println!("  {:<16} {:>12} runs  {status}", r.target, runs);
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| r.target)
        .collect();
    if !failed.is_empty() {
        bail!(
            "fuzz targets failed: {} (inputs under fuzz/artifacts/)",
            failed.join(", ")
        );
    }
    Ok(())
}

fn run_one(
    target_dir: &Path,
    target: &Target,
    corpus: &Path,
    artifacts: &Path,
    seconds: u32,
) -> Result<RunResult> {
    let binary = target_dir
        .join("x86_64-unknown-linux-gnu/release")
        .join(target.name);
    let mut prefix = artifacts.as_os_str().to_owned();
    prefix.push("/");
    let output = Command::new(&binary)
        .arg(format!("-artifact_prefix={}", prefix.to_string_lossy()))
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-timeout={TIMEOUT_SECONDS}"))
        .arg(format!("-max_len={}", target.max_len))
        .arg(corpus)
        .output()
        .with_context(|| format!("failed to run {}", binary.display()))?;
    // libFuzzer reports on stderr; keep the whole log next to the artifacts.
    let log = String::from_utf8_lossy(&output.stderr);
    fs::write(artifacts.join("last-run.log"), log.as_bytes())?;
    let (runs, secs) = match done_line(&log) {
        Some((r, s)) => (Some(r), Some(s)),
        None => (None, None),
    };
    let failure = if output.status.success() && runs.is_some() {
        None
    } else {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        Some(format!(
            "{} ({}; log: {})",
            failure_kind(&log),
            output.status,
            artifacts.join("last-run.log").display()
        ))
    };
    Ok(RunResult {
        target: target.name,
        runs,
        seconds: secs,
        failure,
    })
}

/// libFuzzer's last line on success: `Done 1234 runs in 60 second(s)`.
pub fn done_line(log: &str) -> Option<(u64, u64)> {
    log.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        let (secs, _) = rest.split_once(' ')?;
        Some((runs.parse().ok()?, secs.parse().ok()?))
    })
}

/// What kind of finding libFuzzer reported.
pub fn failure_kind(log: &str) -> &'static str {
    if log.contains("ERROR: libFuzzer: timeout") {
        "timeout"
    } else if log.contains("ERROR: libFuzzer: out-of-memory")
        || log.contains("memory allocation of")
    {
        "out of memory"
    } else if log.contains("panicked at") || log.contains("ERROR: libFuzzer: deadly signal") {
        "crash"
    } else {
        "libFuzzer failed"
    }
}

/// Every regular file below the fixtures, by its path below its scenario directory. Symlinks are left out: the
/// files they point at are there too, and an absolute one would name this machine's file.
fn fixture_files(fixtures: &Path) -> Result<Vec<(String, Source)>> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Source)>) -> Result<()> {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .with_context(|| format!("failed to list {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path(), &rel, out)?;
            } else if kind.is_file() {
                out.push((rel, Source::Disk(entry.path())));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    let mut scenarios: Vec<_> = fs::read_dir(fixtures)?.collect::<Result<_, _>>()?;
    scenarios.sort_by_key(|e| e.file_name());
    for scenario in scenarios {
        if scenario.file_type()?.is_dir() {
            walk(&scenario.path(), "", &mut out)?;
            inline_files(&scenario.path().join("host.toml"), &mut out)?;
        }
    }
    Ok(out)
}

/// The files an overlay fixture gives inline (`[tree."/etc/subuid"] text = "…"` in its host.toml), as if they
/// were below its `root/`.
fn inline_files(sidecar: &Path, out: &mut Vec<(String, Source)>) -> Result<()> {
    let Ok(text) = fs::read_to_string(sidecar) else {
        return Ok(());
    };
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("failed to parse {}", sidecar.display()))?;
    let Some(tree) = doc.get("tree").and_then(toml::Value::as_table) else {
        return Ok(());
    };
    for (path, entry) in tree {
        if let Some(text) = entry.get("text").and_then(toml::Value::as_str) {
            out.push((
                format!("root/{}", path.trim_start_matches('/')),
                Source::Inline(text.as_bytes().to_vec()),
            ));
        }
    }
    Ok(())
}

/// Where a fixture file's bytes are: on disk below `root/`, or inline in its host.toml.
pub enum Source {
    Disk(PathBuf),
    Inline(Vec<u8>),
}

impl Source {
    fn bytes(&self) -> Result<Vec<u8>> {
        match self {
            Source::Disk(path) => {
                fs::read(path).with_context(|| format!("failed to read {}", path.display()))
            }
            Source::Inline(bytes) => Ok(bytes.clone()),
        }
    }
}

/// Whether `path` matches `pattern`, with the doctor's own fnmatch(3) (`parse::glob`, as networkd matches names):
/// `*` crosses `/` too, so `root/proc/*/status` also takes a thread's `task/N/status`; for seeds, more is fine.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    rootless_doctor::parse::glob::matches(pattern, path)
}

/// The seeds of `target`, deduplicated, in a stable order.
pub fn seeds(target: &Target, fixtures: &[(String, Source)]) -> Result<BTreeSet<Vec<u8>>> {
    let mut per_input: Vec<Vec<Vec<u8>>> = Vec::new();
    for globs in target.inputs {
        let mut files = BTreeSet::new();
        for (rel, path) in fixtures {
            if globs.iter().any(|g| glob_matches(g, rel)) {
                let bytes = path.bytes()?;
                match target.extract {
                    Some(extract) => files.extend(extract(&bytes)),
                    None => {
                        files.insert(bytes);
                    }
                }
            }
        }
        per_input.push(files.into_iter().collect());
    }
    let mut out: BTreeSet<Vec<u8>> = target.literal.iter().map(|s| s.to_vec()).collect();
    if let Some(first) = per_input.first() {
        out.extend(first.iter().cloned());
    }
    if per_input.len() > 1 {
        let longest = per_input.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            let mut joined = Vec::new();
            for (n, files) in per_input.iter().enumerate() {
                if n > 0 {
                    joined.push(SEP);
                }
                if !files.is_empty() {
                    joined.extend_from_slice(&files[i % files.len()]);
                }
            }
            out.insert(joined);
        }
    }
    Ok(out)
}

/// Writes the seeds into `corpus` as `seed-<hash>` (what libFuzzer found earlier stays); returns how many.
fn write_seeds(target: &Target, fixtures: &[(String, Source)], corpus: &Path) -> Result<usize> {
    fs::create_dir_all(corpus)?;
    let seeds = seeds(target, fixtures)?;
    for seed in &seeds {
        let mut hasher = DefaultHasher::new();
        seed.hash(&mut hasher);
        let path = corpus.join(format!("seed-{:016x}", hasher.finish()));
        if !path.exists() {
            fs::write(&path, seed)?;
        }
    }
    Ok(seeds.len())
}

/// A kernel config as itself and as /proc/config.gz (through gzip(1), when it is there).
fn with_gzipped(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec()];
    if bytes.len() > 4096 {
        let gz = Command::new("gzip")
            .args(["-9", "-c", "-n"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().expect("piped").write_all(bytes)?;
                child.wait_with_output()
            });
        if let Ok(output) = gz
            && output.status.success()
        {
            out.push(output.stdout);
        }
    }
    out
}

/// The TOML basic strings `key = "..."` of a sidecar's lines, unescaped as far as seeds need.
fn sidecar_strings(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (k, v) = line.split_once('=')?;
            if k.trim().trim_matches('"') != key {
                return None;
            }
            let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            let mut out = String::new();
            let mut chars = v.chars();
            while let Some(c) = chars.next() {
                match (c, c == '\\') {
                    (_, true) => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(other) => out.push(other),
                        None => {}
                    },
                    (c, false) => out.push(c),
                }
            }
            Some(out)
        })
        .collect()
}

/// The recorded API answers of a sidecar as HTTP responses, with a Content-Length and chunked.
fn http_responses(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for body in sidecar_strings(&text, "body") {
        let mut plain = format!(
            "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        plain.extend_from_slice(body.as_bytes());
        out.push(plain);
        let mut chunked = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for piece in body.as_bytes().chunks(64) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        out.push(chunked);
    }
    out
}

/// The `security.capability` values of a sidecar's `[xattrs]`, as the blobs they encode.
fn xattr_blobs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    sidecar_strings(&text, "security.capability")
        .iter()
        .filter_map(|hex| {
            let digits: Vec<u8> = hex
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .map(|b| (b as char).to_digit(16).map(|d| d as u8))
                .collect::<Option<_>>()?;
            digits
                .len()
                .is_multiple_of(2)
                .then(|| digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("root/etc/subuid", "root/etc/subuid"));
        assert!(glob_matches("root/proc/*/status", "root/proc/4210/status"));
        assert!(glob_matches(
            "root/proc/*/status",
            "root/proc/4210/task/1/status"
        ));
        assert!(!glob_matches("root/proc/*/status", "root/proc/4210/statm"));
        assert!(glob_matches("root/**/resolv.conf", "root/etc/resolv.conf"));
        assert!(glob_matches(
            "root/**/resolv.conf",
            "root/run/systemd/resolve/resolv.conf"
        ));
        assert!(glob_matches(
            "root/proc/sys/**",
            "root/proc/sys/net/ipv4/ip_forward"
        ));
        assert!(glob_matches(
            "root/boot/config-*",
            "root/boot/config-6.1.0-26-amd64"
        ));
        assert!(!glob_matches("root/etc/subuid", "root/etc/subuid-"));
    }

    #[test]
    fn done_line_is_read() {
        let log = "#123\tNEW cov: 1\nDone 4711 runs in 61 second(s)\n";
        assert_eq!(done_line(log), Some((4711, 61)));
        assert_eq!(
            done_line("==1== ERROR: libFuzzer: timeout after 10 seconds\n"),
            None
        );
        assert_eq!(
            failure_kind("==1== ERROR: libFuzzer: out-of-memory (used: 2100Mb; exceeds: 2048Mb)"),
            "out of memory"
        );
        assert_eq!(
            failure_kind("thread '<unnamed>' panicked at src/parse/x.rs:1:1"),
            "crash"
        );
    }

    #[test]
    fn every_target_is_a_bin_of_the_fuzz_crate_and_has_seeds() {
        let root = crate::project_root();
        let manifest = fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        let fixtures = fixture_files(&root.join("tests/fixtures")).unwrap();
        for t in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{}\"", t.name)),
                "{} is not in fuzz/Cargo.toml",
                t.name
            );
            assert!(
                !seeds(t, &fixtures).unwrap().is_empty(),
                "{} has no seeds",
                t.name
            );
        }
        // Overlay fixtures give most of their files inline in host.toml: those are seeds too.
        let inline = fixtures
            .iter()
            .filter(|(rel, src)| {
                matches!(src, Source::Inline(_)) && glob_matches("root/etc/subuid", rel)
            })
            .count();
        assert!(inline > 5, "only {inline} inline /etc/subuid seeds");
        let bins = manifest.matches("[[bin]]").count();
        assert_eq!(bins, TARGETS.len(), "fuzz/Cargo.toml and TARGETS disagree");
    }

    #[test]
    fn sidecar_seeds() {
        let toml = "[xattrs.\"/usr/bin/newuidmap\"]\n\"security.capability\" = \"0100000240000000\"\n[[http]]\nbody = \"{\\\"a\\\": 1}\"\n";
        assert_eq!(
            xattr_blobs(toml.as_bytes()),
            vec![vec![1, 0, 0, 2, 0x40, 0, 0, 0]]
        );
        let responses = http_responses(toml.as_bytes());
        assert!(responses[0].ends_with(b"Content-Length: 8\r\n\r\n{\"a\": 1}"));
        assert!(responses[1].ends_with(b"8\r\n{\"a\": 1}\r\n0\r\n\r\n"));
    }
}
