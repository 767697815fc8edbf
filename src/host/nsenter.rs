//! Joining a rootless daemon's namespaces, then exec: what
//! `nsenter -U --preserve-credentials -m -n -t PID` does, with the detached network namespace
//! of RootlessKit's `--detach-netns` mode handled.
//!
//! **Architecture Invariant:** this is the only caller of `setns`. It runs in a single-threaded
//! process (setns(2) refuses CLONE_NEWUSER otherwise: nothing before it may start a thread) and ends in
//! exec (a joined user namespace cannot be left).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;

use nix::sched::{CloneFlags, setns};

/// Where to go: the daemon's pid, and the network namespace its containers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub pid: u32,
    /// A bind-mounted network namespace file (RootlessKit's `netns` in detach mode); `None` means the pid's own.
    pub netns_file: Option<String>,
}

fn open(path: &str, what: &str) -> io::Result<File> {
    File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {what} {path}: {e}")))
}

/// Joins the user, mount and network namespaces of `target` and execs `argv`.
/// Returns only on failure.
pub fn exec_in(target: &Target, argv: &[String]) -> io::Error {
    match join(target) {
        Ok(()) => {}
        Err(e) => return e,
    }
    let Some((program, args)) = argv.split_first() else {
        return io::Error::new(io::ErrorKind::InvalidInput, "nothing to run");
    };
    let err = std::process::Command::new(program).args(args).exec();
    io::Error::new(err.kind(), format!("cannot run {program}: {err}"))
}

fn join(target: &Target) -> io::Result<()> {
    let pid = target.pid;
    // Open everything first: once in the mount namespace, host paths (the state dir) may look different.
    let user = open(&format!("/proc/{pid}/ns/user"), "the user namespace")?;
    let mnt = open(&format!("/proc/{pid}/ns/mnt"), "the mount namespace")?;
    let net = match &target.netns_file {
        Some(path) => open(path, "RootlessKit's detached network namespace")?,
        None => open(&format!("/proc/{pid}/ns/net"), "the network namespace")?,
    };
    let cwd = std::env::current_dir().ok();
    // The user namespace first: it gives the capabilities that the other two setns calls need.
    // No setuid/setgid afterwards: the caller keeps its credentials (nsenter's --preserve-credentials).
    setns(&user, CloneFlags::CLONE_NEWUSER)
        .map_err(|e| io::Error::other(format!("cannot join the user namespace of {pid}: {e}")))?;
    setns(&mnt, CloneFlags::CLONE_NEWNS)
        .map_err(|e| io::Error::other(format!("cannot join the mount namespace of {pid}: {e}")))?;
    setns(&net, CloneFlags::CLONE_NEWNET)
        .map_err(|e| io::Error::other(format!("cannot join the network namespace: {e}")))?;
    // Like nsenter --wd=$PWD: stay where the user was when that exists in the new mount namespace.
    let here = cwd.filter(|d| std::env::set_current_dir(d).is_ok());
    if here.is_none() {
        std::env::set_current_dir("/")?;
    }
    Ok(())
}
