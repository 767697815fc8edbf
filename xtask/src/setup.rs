//! `cargo xtask setup`: makes this host ready for the live and bench tiers. Root only, idempotent.
//!
//! What a Debian 12 host without systemd as PID 1 and without udev (the CI machine) needs:
//! Debian's rootless Docker packages, a test user with subordinate ids, one without, and a usable /dev/net/tun.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use xshell::{Cmd, Shell, cmd};

use rootless_doctor::parse::subid::{self, SubidEntry};

use crate::live_env::{HOSTILE_USER, NOSUB_USER, OK_USER};

pub const NOT_ROOT_REASON: &str = "needs root to install packages and create test users";

/// What the live and bench tiers run: rootlesskit and its helpers, the setuptool script (docker.io), busybox for
/// images, hyperfine and GNU time for the benchmark, strace for the no-subprocess test, liblxc-common for lxc-user-nic, gcc for a test subid module.
pub const PACKAGES: &[&str] = &[
    "uidmap",
    "rootlesskit",
    "slirp4netns",
    // Debian 12's passt (0.0~git20230309): the pasta `net` rejects here as older than 2023_12_04 (tests/net_live.rs).
    "passt",
    "iptables",
    "docker.io",
    "busybox-static",
    "hyperfine",
    // GNU time: the bench tier's peak-memory figure.
    "time",
    "strace",
    "procps",
    // lxc-user-nic, for RootlessKit's lxc-user-nic driver (launch-sequence row 4.7).
    "liblxc-common",
    // A test libsubid module for shadow (launch-sequence row 2.11), built by the live tier.
    "gcc",
    "libc6-dev",
    // A FAT filesystem in a file, mounted through FUSE (the CI kernel has no vfat), for a state directory that
    // cannot hold FIFOs (launch-sequence row 5.1).
    "dosfstools",
    "fusefat",
    // `fix --format script` is checked with shellcheck (the fixtures tier).
    "shellcheck",
    // The live tier's Debian 13 root (tests/root13/build-root.sh).
    "debootstrap",
    // setcap: a rootlesskit with cap_net_bind_service (tests/agreement.rs).
    "libcap2-bin",
    // A CA and certificates for a `dockerd --tlsverify` (tests/daemon.rs, a_tls_daemon_on_a_loopback_port).
    "openssl",
    // xmllint validates `--format junit` against tests/schemas/junit.xsd (the fixtures tier).
    "libxml2-utils",
    // The manual pages render through man (the fixtures tier); the packages are installed and queried with dpkg and
    // rpm, the bash completion loaded through bash-completion's loader (tests/package.rs, the live tier).
    "man-db",
    "rpm",
    "bash-completion",
];

/// Where `promtool` goes: it validates `--format prometheus` (the fixtures tier). Debian has it only in the
/// `prometheus` package, whose installation would start a Prometheus server, so the tool is taken out of the
/// package file instead.
pub const PROMTOOL: &str = "/usr/local/bin/promtool";

/// The size `useradd` gives on Debian (SUB_UID_COUNT in /etc/login.defs) and what rootless Docker expects.
const SUBID_COUNT: u64 = 65536;
/// SUB_UID_MIN / SUB_GID_MIN in Debian's /etc/login.defs.
const SUBID_MIN: u64 = 100_000;

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Whether the effective uid in `/proc/self/status` is 0, read with the doctor's own parser.
pub fn is_root(sh: &Shell) -> Result<bool> {
    let status = rootless_doctor::parse::proc::parse_status(&sh.read_file("/proc/self/status")?);
    Ok(status.uid[1] == 0)
}

pub fn require_root(sh: &Shell, command: &str) -> Result<()> {
    if !is_root(sh)? {
        bail!("`cargo xtask {command}` {NOT_ROOT_REASON}");
    }
    Ok(())
}

pub fn run(sh: &Shell) -> Result<()> {
    ensure_packages(sh)?;
    ensure_promtool(sh)?;
    ensure_ok_user(sh)?;
    ensure_nosub_user(sh)?;
    ensure_hostile_user(sh)?;
    ensure_tun()?;
    Ok(())
}

fn log(message: impl AsRef<str>) {
    println!("setup: {}", message.as_ref());
}

/// Runs a command with its output captured, and shows the output only when it fails.
fn run_quietly(cmd: Cmd<'_>) -> Result<()> {
    let shown = cmd.to_string();
    let output = cmd.quiet().ignore_status().output()?;
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        bail!("`{shown}` failed: {}", output.status);
    }
    Ok(())
}

fn ensure_packages(sh: &Shell) -> Result<()> {
    // dpkg-query exits 1 when some package is unknown; the ones it knows are still listed.
    let output = sh
        .cmd("dpkg-query")
        .args(["-W", "-f", "${Package} ${Status}\n"])
        .args(PACKAGES)
        .quiet()
        .ignore_status()
        .ignore_stderr()
        .output()?;
    let listing = String::from_utf8_lossy(&output.stdout);
    let missing = missing_packages(PACKAGES, &listing);
    if missing.is_empty() {
        log("packages: all installed");
        return Ok(());
    }
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        log("apt-get update");
        run_quietly(cmd!(sh, "apt-get update -q"))?;
    }
    log(format!("installing {}", missing.join(" ")));
    run_quietly(
        cmd!(
            sh,
            "apt-get install -y -q --no-install-recommends {missing...}"
        )
        .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(())
}

/// `promtool` from Debian's `prometheus` package (`apt-get download`, then only that file out of it).
fn ensure_promtool(sh: &Shell) -> Result<()> {
    if sh.path_exists(PROMTOOL) {
        log(format!("{PROMTOOL}: present"));
        return Ok(());
    }
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        log("apt-get update");
        run_quietly(cmd!(sh, "apt-get update -q"))?;
    }
    let dir = sh.create_temp_dir()?;
    let _cd = sh.push_dir(dir.path());
    log("promtool: apt-get download prometheus");
    run_quietly(cmd!(sh, "apt-get download -q prometheus"))?;
    let deb = sh
        .read_dir(dir.path())?
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or_else(|| anyhow::format_err!("apt-get download prometheus left no .deb"))?;
    let partial = format!("{PROMTOOL}.partial");
    run_quietly(cmd!(
        sh,
        "sh -c 'dpkg-deb --fsys-tarfile \"$1\" | tar -xO ./usr/bin/promtool > \"$2\"' sh {deb} {partial}"
    ))?;
    run_quietly(cmd!(sh, "chmod 755 {partial}"))?;
    run_quietly(cmd!(sh, "{partial} --version"))?;
    // A rename in the same directory: an interrupted setup never leaves a half-written promtool that looks present.
    run_quietly(cmd!(sh, "mv -f {partial} {PROMTOOL}"))?;
    log(format!("{PROMTOOL}: installed"));
    Ok(())
}

/// The packages of `wanted` that `dpkg-query -W -f '${Package} ${Status}\n'` does not list as installed.
/// A package removed but not purged shows `deinstall ok config-files`, which is not installed.
pub fn missing_packages<'a>(wanted: &[&'a str], listing: &str) -> Vec<&'a str> {
    let installed: Vec<&str> = listing
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let package = words.next()?;
            let status = words.nth(2)?;
            // ${Package} has no architecture suffix, but be lenient in case a format adds one.
            (status == "installed").then(|| package.split(':').next().unwrap_or(package))
        })
        .collect();
    wanted
        .iter()
        .copied()
        .filter(|package| !installed.contains(package))
        .collect()
}

fn read_or_empty(sh: &Shell, path: &str) -> Result<String> {
    if sh.path_exists(path) {
        Ok(sh.read_file(path)?)
    } else {
        Ok(String::new())
    }
}

fn passwd_has(name: &str) -> bool {
    testkit::account(name).is_ok()
}

/// The user's ranges in subuid/subgid contents, listed by name or by uid (the doctor's parser: malformed lines are
/// left out).
fn ranges_for(contents: &str, user: &testkit::Account) -> Vec<SubidEntry> {
    subid::parse(contents)
        .0
        .into_iter()
        .filter(|entry| entry.matches(&user.name, user.uid))
        .collect()
}

/// The `FIRST-LAST` form `usermod --add-subuids/--del-subuids` take.
fn usermod_arg(range: &SubidEntry) -> String {
    format!("{}-{}", range.start, range.end().saturating_sub(1))
}

/// The lowest start `>= min` such that `[start, start + count)` overlaps no range in any of the files,
/// so the same range can go into both /etc/subuid and /etc/subgid.
fn free_start(files: &[&str], min: u64, count: u64) -> u64 {
    let mut taken: Vec<SubidEntry> = files
        .iter()
        .flat_map(|contents| subid::parse(contents).0)
        .collect();
    taken.sort_by_key(|range| range.start);
    let mut start = min;
    // Sorted by start, a range that does not overlap the window now ends before it, so one pass is enough.
    for range in taken {
        if range.overlaps(start, count) {
            start = range.end();
        }
    }
    start
}

/// The owner field of a subuid/subgid line, malformed or not (those would confuse newuidmap too).
fn owner(line: &str) -> &str {
    line.trim().split(':').next().unwrap_or_default()
}

/// Whether any line names the user as its owner, by name or uid.
fn mentions(contents: &str, name: &str, uid: u32) -> bool {
    let uid = uid.to_string();
    contents
        .lines()
        .any(|line| owner(line) == name || owner(line) == uid)
}

/// `contents` without the lines whose owner is the user (by name or uid).
fn without_owner(contents: &str, name: &str, uid: u32) -> String {
    let uid = uid.to_string();
    contents
        .lines()
        .filter(|line| owner(line) != name && owner(line) != uid)
        .map(|line| format!("{line}\n"))
        .collect()
}

fn ensure_ok_user(sh: &Shell) -> Result<()> {
    if !passwd_has(OK_USER) {
        log(format!("useradd {OK_USER}"));
        run_quietly(cmd!(sh, "useradd -m -s /bin/bash {OK_USER}"))?;
    }
    let user = crate::live_env::lookup(OK_USER)?;
    for (file, flag) in [
        ("/etc/subuid", "--add-subuids"),
        ("/etc/subgid", "--add-subgids"),
    ] {
        let contents = read_or_empty(sh, file)?;
        let ranges = ranges_for(&contents, &user);
        let total: u64 = ranges.iter().map(|range| range.count).sum();
        if total >= SUBID_COUNT {
            continue;
        }
        // Pick a start free in both files, so uid and gid ranges line up as useradd makes them.
        let subuid = read_or_empty(sh, "/etc/subuid")?;
        let subgid = read_or_empty(sh, "/etc/subgid")?;
        let start = free_start(&[&subuid, &subgid], SUBID_MIN, SUBID_COUNT);
        let arg = format!("{start}-{}", start + SUBID_COUNT - 1);
        log(format!(
            "{file}: {OK_USER} has {total} ids; usermod {flag} {arg}"
        ));
        run_quietly(cmd!(sh, "usermod {flag} {arg} {OK_USER}"))?;
    }
    let subuid = ranges_for(&read_or_empty(sh, "/etc/subuid")?, &user);
    let subgid = ranges_for(&read_or_empty(sh, "/etc/subgid")?, &user);
    if subuid.is_empty() || subgid.is_empty() {
        bail!("{OK_USER} still has no subordinate ids after usermod");
    }
    log(format!(
        "user {OK_USER} (uid {}): subuid {}, subgid {}",
        user.uid,
        describe(&subuid),
        describe(&subgid)
    ));
    Ok(())
}

fn describe(ranges: &[SubidEntry]) -> String {
    ranges.iter().map(usermod_arg).collect::<Vec<_>>().join(",")
}

fn ensure_nosub_user(sh: &Shell) -> Result<()> {
    if !passwd_has(NOSUB_USER) {
        log(format!("useradd {NOSUB_USER} (without subordinate ids)"));
        // SUB_UID_COUNT=0 stops useradd from allocating ranges; any that exist are removed below anyway.
        run_quietly(cmd!(
            sh,
            "useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 {NOSUB_USER}"
        ))?;
    }
    let user = crate::live_env::lookup(NOSUB_USER)?;
    for (file, flag) in [
        ("/etc/subuid", "--del-subuids"),
        ("/etc/subgid", "--del-subgids"),
    ] {
        for range in ranges_for(&read_or_empty(sh, file)?, &user) {
            let arg = usermod_arg(&range);
            log(format!("{file}: usermod {flag} {arg} {NOSUB_USER}"));
            run_quietly(cmd!(sh, "usermod {flag} {arg} {NOSUB_USER}"))?;
        }
        // Lines usermod does not remove (malformed, or listed by uid) go by rewriting the file atomically.
        let contents = read_or_empty(sh, file)?;
        if mentions(&contents, &user.name, user.uid) {
            log(format!("{file}: removing the remaining {NOSUB_USER} lines"));
            rewrite_atomically(
                Path::new(file),
                &without_owner(&contents, &user.name, user.uid),
            )?;
        }
    }
    log(format!(
        "user {NOSUB_USER} (uid {}): no subordinate ids",
        user.uid
    ));
    Ok(())
}

/// The hostile account of tests/hostile.rs: it plants FIFOs, devices, symlinks into root-only files and
/// trickling sockets in its own home, and root's run over it must stay bounded and leak nothing.
fn ensure_hostile_user(sh: &Shell) -> Result<()> {
    if !passwd_has(HOSTILE_USER) {
        log(format!("useradd {HOSTILE_USER} (the hostile user)"));
        run_quietly(cmd!(
            sh,
            "useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 {HOSTILE_USER}"
        ))?;
    }
    let user = crate::live_env::lookup(HOSTILE_USER)?;
    log(format!("user {HOSTILE_USER} (uid {})", user.uid));
    Ok(())
}

/// Writes `contents` next to `path` and renames it over, keeping the mode (0644 for /etc/subuid).
fn rewrite_atomically(path: &Path, contents: &str) -> Result<()> {
    let mode = fs::metadata(path)?.permissions().mode();
    let tmp = path.with_extension("xtask-tmp");
    fs::write(&tmp, contents).with_context(|| format!("failed to write {}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    fs::rename(&tmp, path).with_context(|| format!("failed to replace {}", path.display()))?;
    Ok(())
}

/// Without udev, /dev/net/tun is created 0600 and slirp4netns can't open it as a user; Debian's udev rules make it 0666.
fn ensure_tun() -> Result<()> {
    let tun = Path::new("/dev/net/tun");
    let Ok(metadata) = fs::metadata(tun) else {
        log("no /dev/net/tun; leaving it");
        return Ok(());
    };
    if metadata.permissions().mode() & 0o777 != 0o666 {
        log("chmod 0666 /dev/net/tun");
        fs::set_permissions(tun, fs::Permissions::from_mode(0o666))
            .context("failed to chmod /dev/net/tun")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_packages_reads_dpkg_status() {
        let listing = "\
strace install ok installed
procps hold ok installed
uidmap deinstall ok config-files
docker.io install ok installed
";
        assert_eq!(
            missing_packages(
                &["uidmap", "docker.io", "strace", "procps", "hyperfine"],
                listing
            ),
            vec!["uidmap", "hyperfine"]
        );
        assert_eq!(missing_packages(&["strace"], ""), vec!["strace"]);
    }

    const SUBUID: &str = "\
# comment
alice:100000:65536
1001:165536:65536

bob:231072:1000
broken:line
bob:300000:1
";

    fn account(name: &str, uid: u32) -> testkit::Account {
        testkit::Account {
            name: name.into(),
            uid,
            gid: uid,
            home: format!("/home/{name}").into(),
        }
    }

    #[test]
    fn ranges_by_name_and_uid() {
        let ranges = |name, uid| -> Vec<String> {
            ranges_for(SUBUID, &account(name, uid))
                .iter()
                .map(usermod_arg)
                .collect()
        };
        assert_eq!(ranges("alice", 1000), ["100000-165535"]);
        assert_eq!(ranges("carol", 1001), ["165536-231071"]);
        assert_eq!(ranges("bob", 1002), ["231072-232071", "300000-300000"]);
        assert!(ranges("nobody", 65534).is_empty());
    }

    #[test]
    fn mentions_counts_malformed_lines() {
        assert!(mentions(SUBUID, "broken", 4242));
        assert!(mentions(SUBUID, "x", 1001));
        assert!(!mentions(SUBUID, "carol", 1003));
    }

    #[test]
    fn without_owner_keeps_other_lines() {
        assert_eq!(
            without_owner(SUBUID, "bob", 1001),
            "# comment\nalice:100000:65536\n\nbroken:line\n"
        );
        assert_eq!(without_owner("", "bob", 1), "");
    }

    #[test]
    fn free_start_skips_taken_ranges_in_all_files() {
        assert_eq!(free_start(&["", ""], 100000, 65536), 100000);
        assert_eq!(free_start(&[SUBUID], 100000, 65536), 232072);
        assert_eq!(free_start(&[SUBUID], 100000, 100000), 300001);
        // A gap big enough between two ranges is used.
        let gap = "a:100000:10\nb:300000:10\n";
        assert_eq!(free_start(&[gap], 100000, 65536), 100010);
        // Ranges below the minimum don't matter; a range only in subgid still counts.
        assert_eq!(
            free_start(&["a:1000:10", "b:100000:65536"], 100000, 65536),
            165536
        );
    }
}
