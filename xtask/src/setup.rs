//! `cargo xtask setup`: makes this host ready for the live and bench tiers. Root only, idempotent.
//!
//! The steps follow `shared/reference/live-host.md` (Debian 12, no systemd as PID 1, no udev):
//! Debian's rootless Docker packages, a test user with subordinate ids, one without, and a usable /dev/net/tun.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use xshell::{Cmd, Shell, cmd};

use crate::live_env::{NOSUB_USER, OK_USER};
use crate::subid::{self, Range};

pub const NOT_ROOT_REASON: &str = "needs root to install packages and create test users";

/// What the live and bench tiers run: rootlesskit and its helpers, the setuptool script (docker.io), busybox for
/// images, hyperfine for the benchmark, strace for the no-subprocess test.
pub const PACKAGES: &[&str] = &[
    "uidmap",
    "rootlesskit",
    "slirp4netns",
    "iptables",
    "docker.io",
    "busybox-static",
    "hyperfine",
    "strace",
    "procps",
];

/// The size `useradd` gives on Debian (SUB_UID_COUNT in /etc/login.defs) and what rootless Docker expects.
const SUBID_COUNT: u64 = 65536;
/// SUB_UID_MIN / SUB_GID_MIN in Debian's /etc/login.defs.
const SUBID_MIN: u64 = 100_000;

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

pub fn is_root(sh: &Shell) -> Result<bool> {
    let status = sh.read_file("/proc/self/status")?;
    let uid = subid::effective_uid(&status).context("no Uid line in /proc/self/status")?;
    Ok(uid == 0)
}

pub fn require_root(sh: &Shell, command: &str) -> Result<()> {
    if !is_root(sh)? {
        bail!("`cargo xtask {command}` {NOT_ROOT_REASON}");
    }
    Ok(())
}

pub fn run(sh: &Shell) -> Result<()> {
    ensure_packages(sh)?;
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

fn passwd_has(sh: &Shell, name: &str) -> Result<bool> {
    Ok(subid::passwd_entry(&sh.read_file("/etc/passwd")?, name).is_some())
}

fn ensure_ok_user(sh: &Shell) -> Result<()> {
    if !passwd_has(sh, OK_USER)? {
        log(format!("useradd {OK_USER}"));
        run_quietly(cmd!(sh, "useradd -m -s /bin/bash {OK_USER}"))?;
    }
    let user = crate::live_env::lookup(sh, OK_USER)?;
    for (file, flag) in [
        ("/etc/subuid", "--add-subuids"),
        ("/etc/subgid", "--add-subgids"),
    ] {
        let contents = read_or_empty(sh, file)?;
        let ranges = subid::ranges_for(&contents, &user.name, user.uid);
        let total: u64 = ranges.iter().map(|range| range.count).sum();
        if total >= SUBID_COUNT {
            continue;
        }
        // Pick a start free in both files, so uid and gid ranges line up as useradd makes them.
        let subuid = read_or_empty(sh, "/etc/subuid")?;
        let subgid = read_or_empty(sh, "/etc/subgid")?;
        let range = Range {
            start: subid::free_start(&[&subuid, &subgid], SUBID_MIN, SUBID_COUNT),
            count: SUBID_COUNT,
        };
        let arg = range.usermod_arg();
        log(format!(
            "{file}: {OK_USER} has {total} ids; usermod {flag} {arg}"
        ));
        run_quietly(cmd!(sh, "usermod {flag} {arg} {OK_USER}"))?;
    }
    let subuid = subid::ranges_for(&read_or_empty(sh, "/etc/subuid")?, &user.name, user.uid);
    let subgid = subid::ranges_for(&read_or_empty(sh, "/etc/subgid")?, &user.name, user.uid);
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

fn describe(ranges: &[Range]) -> String {
    ranges
        .iter()
        .map(|range| range.usermod_arg())
        .collect::<Vec<_>>()
        .join(",")
}

fn ensure_nosub_user(sh: &Shell) -> Result<()> {
    if !passwd_has(sh, NOSUB_USER)? {
        log(format!("useradd {NOSUB_USER} (without subordinate ids)"));
        // SUB_UID_COUNT=0 stops useradd from allocating ranges; any that exist are removed below anyway.
        run_quietly(cmd!(
            sh,
            "useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 {NOSUB_USER}"
        ))?;
    }
    let user = crate::live_env::lookup(sh, NOSUB_USER)?;
    for (file, flag) in [
        ("/etc/subuid", "--del-subuids"),
        ("/etc/subgid", "--del-subgids"),
    ] {
        for range in subid::ranges_for(&read_or_empty(sh, file)?, &user.name, user.uid) {
            let arg = range.usermod_arg();
            log(format!("{file}: usermod {flag} {arg} {NOSUB_USER}"));
            run_quietly(cmd!(sh, "usermod {flag} {arg} {NOSUB_USER}"))?;
        }
        // Lines usermod does not remove (malformed, or listed by uid) go by rewriting the file atomically.
        let contents = read_or_empty(sh, file)?;
        if subid::mentions(&contents, &user.name, user.uid) {
            log(format!("{file}: removing the remaining {NOSUB_USER} lines"));
            rewrite_atomically(
                Path::new(file),
                &subid::without_owner(&contents, &user.name, user.uid),
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
    use crate::live_env::HOSTILE_USER;
    if !passwd_has(sh, HOSTILE_USER)? {
        log(format!("useradd {HOSTILE_USER} (the hostile user)"));
        run_quietly(cmd!(
            sh,
            "useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 {HOSTILE_USER}"
        ))?;
    }
    let user = crate::live_env::lookup(sh, HOSTILE_USER)?;
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
}
