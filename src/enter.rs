//! `rootless-doctor enter`: which daemon to join, decided over facts; the joining itself is `host::nsenter`.

use crate::facts::{Facts, Read};
use crate::host::nsenter::Target;

/// Why `enter` cannot go ahead; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EnterError {
    #[error(
        "no rootless daemon runs for {user}: {pidfile} does not exist (start it with `dockerd-rootless.sh`, or `systemctl --user start docker`)"
    )]
    NoPidFile { user: String, pidfile: String },
    #[error("{pidfile} does not hold a pid")]
    BadPidFile { pidfile: String },
    /// docker.pid sits in a directory its user controls: a symlink, FIFO or device there is refused unread.
    #[error("{0}")]
    UnusablePidFile(String),
    #[error(
        "stale {pidfile}: no process {pid} runs (the daemon died; delete the file and start it again)"
    )]
    Stale { pidfile: String, pid: u32 },
    #[error("no process {pid} runs")]
    NoProcess { pid: u32 },
    #[error(
        "process {pid} belongs to uid {owner}, not to you (uid {me}): enter joins only your own daemon's namespaces"
    )]
    NotYours { pid: u32, owner: u32, me: u32 },
    #[error("enter works on the running machine only, not with --root or --host-file")]
    NotLive,
}

/// Picks the process to join: `--pid`, or dockerd from `$XDG_RUNTIME_DIR/docker.pid`.
pub fn target(f: &Facts, pid: Option<u32>) -> Result<Target, EnterError> {
    let pidfile = format!("{}/docker.pid", f.runtime_dir());
    let (pid, from_file) = match pid {
        Some(p) => (p, false),
        // Read by hand, not through Facts: bounded, without following a symlink or blocking on a FIFO.
        None => match crate::host::nsenter::read_pid_file(&pidfile) {
            Ok(text) => (
                text.trim().parse().map_err(|_| EnterError::BadPidFile {
                    pidfile: pidfile.clone(),
                })?,
                true,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EnterError::NoPidFile {
                    user: f.user.name.clone(),
                    pidfile,
                });
            }
            Err(e) => return Err(EnterError::UnusablePidFile(e.to_string())),
        },
    };
    let Some(process) = f.process(pid) else {
        return Err(if from_file {
            EnterError::Stale { pidfile, pid }
        } else {
            EnterError::NoProcess { pid }
        });
    };
    if process.uid != f.identity.uid {
        return Err(EnterError::NotYours {
            pid,
            owner: process.uid,
            me: f.identity.uid,
        });
    }
    // In --detach-netns mode the containers' network namespace is a file in RootlessKit's state dir,
    // and the daemon itself sits in the host's: joining the daemon's would land in the wrong one.
    // The file is the user's to put anything at: nsenter opens it without following or blocking, and
    // joins it only when it is a namespace. This check is an early, friendly one; nsenter confirms the
    // owner again once the process is held by a pidfd.
    let netns = format!("{}/netns", f.rootlesskit_state_dir().path);
    let netns_file =
        (netns.starts_with('/') && matches!(f.lstat(&netns), Read::Ok(_))).then_some(netns);
    Ok(Target {
        pid,
        owner: f.identity.uid,
        netns_file,
    })
}

/// What to run inside: the given command, else the user's shell.
pub fn command(f: &Facts, argv: &[String]) -> Vec<String> {
    if !argv.is_empty() {
        return argv.to_vec();
    }
    let shell = f
        .env("SHELL")
        .filter(|s| s.starts_with('/'))
        .unwrap_or_else(|| "/bin/sh".to_owned());
    vec![shell]
}
