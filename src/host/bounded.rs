//! The bounded command runner: one program, run from an argv (never a shell), for at most a deadline, with its
//! output capped, optionally as the judged user, leaving nothing behind.
//!
//! What [`run`] guarantees:
//! - argv only: the program is an absolute path, started directly; stdin is `/dev/null`, or a pipe holding just
//!   [`BoundedCommand::stdin`] (at most [`STDIN_MAX`] bytes, written before the spawn, so no write can block);
//!   the environment is exactly [`BoundedCommand::env`] plus `TMPDIR` (below);
//! - its own process group (`setpgid(0, 0)` at spawn), so the whole group is killed with `SIGKILL` when the deadline
//!   passes ([`Exit::TimedOut`]) and, once the program has exited, whatever of its group still runs (the program is
//!   not reaped before that, so its pid, and with it the group's id, cannot be reused in between);
//! - no threads: stdout and stderr are read non-blocking with `poll(2)` over the two pipes and a pidfd of the
//!   program, until it has exited and both pipes are at end of file, or the deadline; each stream keeps at most
//!   [`OUTPUT_CAP`] bytes, the rest is dropped and counted in a marker at its end;
//! - a private scratch directory (`/tmp/rootless-doctor-run.XXXXXX`, 0700, the user's own when run as the user)
//!   as `TMPDIR`, so programs that make temporary state (RootlessKit's state dir without `--state-dir`) make it
//!   there; afterwards what is left in it is listed ([`BoundedOutput::leftovers`]) and removed with it;
//! - as another user ([`RunAs`], root only): `setsid setpriv --reuid --regid --groups --inh-caps=-all --`
//!   (util-linux), with the user's login groups as `initgroups(3)` gives them; each execs the next, so the pid,
//!   the process group, the session (without a controlling terminal: nothing of the user's reaches root's tty)
//!   and the deadline are the program's.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io::{self, Read as _};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::creds::{self, Creds, Saved};

/// The most each of stdout and stderr keeps; the rest is dropped and counted.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// The most [`BoundedCommand::stdin`] may hold: less than any pipe's capacity (`PIPE_BUF`), so it is written whole
/// before the program starts.
pub const STDIN_MAX: usize = 4096;

/// The most one [`Capture::drain`] reads before the runner polls (and looks at its deadline) again.
const DRAIN_MAX: usize = 256 * 1024;

/// How often a [`BoundedCommand::ready`] socket is asked, and how long each ask may take.
const READY_POLL: Duration = Duration::from_millis(250);

/// Where `setpriv` is looked for (util-linux; not through PATH, which the command's environment sets).
const SETPRIV: &[&str] = &["/usr/bin/setpriv", "/bin/setpriv"];

/// One bounded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedCommand {
    /// The program (an absolute path) and its arguments.
    pub argv: Vec<String>,
    /// The complete environment (the runner adds `TMPDIR`).
    pub env: Vec<(String, String)>,
    /// Run as this user (the process must be root); `None` runs as this process.
    pub as_user: Option<RunAs>,
    pub timeout: Duration,
    /// Environment variables that name a fresh directory inside the scratch directory: (variable, subdirectory).
    /// The runner makes each (0700, as the command's user) and sets the variable to its absolute path, so a daemon
    /// started for a trial keeps its runtime, data and configuration directories there.
    pub scratch_dirs: Vec<(String, String)>,
    /// Files the runner writes inside the scratch directory after making [`BoundedCommand::scratch_dirs`], as the
    /// command's user (0600, never over an existing file or through a link): (relative path of plain names,
    /// content). Missing directories on the way are made 0700.
    pub scratch_files: Vec<(String, Vec<u8>)>,
    /// What the program reads on stdin, then end of file (empty: `/dev/null`); at most [`STDIN_MAX`] bytes.
    pub stdin: Vec<u8>,
    /// A socket path inside the scratch directory: once a process of the command's user answers `GET /_ping` with
    /// 200 there, the runner kills the process group and reports [`Exit::Ready`] (a daemon that came up).
    pub ready: Option<String>,
}

/// The account a command runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// How a bounded run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by a signal the runner did not send.
    Signal(i32),
    /// The deadline passed and the runner killed the process group.
    TimedOut,
    /// The [`BoundedCommand::ready`] socket answered, and the runner killed the process group.
    Ready,
}

/// What a bounded run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedOutput {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    /// From spawn to reaping.
    pub elapsed: Duration,
    /// Entries the command left in its scratch `TMPDIR`, which the runner then removed.
    pub leftovers: Vec<String>,
    /// Why the scratch directory could not be removed, if it could not (then it names the directory).
    pub cleanup_error: Option<String>,
}

/// One captured stream.
pub(super) struct Capture {
    pub(super) pipe: Option<OwnedFd>,
    pub(super) kept: Vec<u8>,
    dropped: usize,
}

impl Capture {
    pub(super) fn new(fd: Option<OwnedFd>) -> io::Result<Capture> {
        if let Some(fd) = &fd {
            let flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL)?;
            let flags = nix::fcntl::OFlag::from_bits_retain(flags) | nix::fcntl::OFlag::O_NONBLOCK;
            nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(flags))?;
        }
        Ok(Capture {
            pipe: fd,
            kept: Vec::new(),
            dropped: 0,
        })
    }

    /// Reads what is there without blocking; closes the pipe at end of file.
    pub(super) fn drain(&mut self) -> io::Result<()> {
        let Some(fd) = &self.pipe else {
            return Ok(());
        };
        let mut file = std::fs::File::from(fd.try_clone()?);
        let mut buf = [0u8; 8192];
        // At most DRAIN_MAX per call, then back to poll(2) and its deadline: writers that never let the pipe run
        // empty (several of them, a pipe made larger) must not keep the runner reading forever.
        for _ in 0..DRAIN_MAX / buf.len() {
            match file.read(&mut buf) {
                Ok(0) => {
                    self.pipe = None;
                    return Ok(());
                }
                Ok(n) => {
                    let room = OUTPUT_CAP.saturating_sub(self.kept.len()).min(n);
                    self.kept.extend_from_slice(&buf[..room]);
                    self.dropped += n - room;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(super) fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.dropped > 0 {
            text.push_str(&format!("\n[… {} more bytes dropped]", self.dropped));
        }
        text
    }
}

/// Runs `cmd` as described in the module docs. Errors are for what kept it from running at all (no such program,
/// no setpriv, a scratch directory that could not be made); its own failure is data in the output.
pub fn run(cmd: &BoundedCommand) -> io::Result<BoundedOutput> {
    let (program, args) = cmd
        .argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
    if !program.starts_with('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{program}: not an absolute path"),
        ));
    }
    if cmd.stdin.len() > STDIN_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} bytes of stdin: more than {STDIN_MAX}", cmd.stdin.len()),
        ));
    }
    let switch = match &cmd.as_user {
        Some(u) if nix::unistd::geteuid().as_raw() != u.uid => Some(switch_to(u)?),
        _ => None,
    };
    let scratch = make_scratch(switch.as_ref().map(|(c, s, _)| (c, s)))?;
    let mut dirs = Vec::new();
    for (var, sub) in &cmd.scratch_dirs {
        if sub.is_empty() || sub.contains('/') || sub == "." || sub == ".." {
            clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{sub:?}: not a plain directory name"),
            ));
        }
        let dir = scratch.join(sub);
        let made = as_owner(switch.as_ref().map(|(c, s, _)| (c, s)), || {
            nix::unistd::mkdir(&dir, nix::sys::stat::Mode::S_IRWXU).map_err(io::Error::from)
        });
        if let Err(e) = made {
            clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            return Err(e);
        }
        dirs.push((var.clone(), dir));
    }
    for (rel, content) in &cmd.scratch_files {
        let written = as_owner(switch.as_ref().map(|(c, s, _)| (c, s)), || {
            write_scratch_file(&scratch, rel, content)
        });
        if let Err(e) = written {
            clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            return Err(e);
        }
    }
    let ready = cmd.ready.as_ref().map(|r| {
        (
            scratch.join(r),
            cmd.as_user
                .as_ref()
                .map_or_else(|| nix::unistd::geteuid().as_raw(), |u| u.uid),
        )
    });
    let mut command = match command_for(switch.as_ref(), program, args) {
        Ok(c) => c,
        Err(e) => {
            clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            return Err(e);
        }
    };
    let stdin = match stdin_of(&cmd.stdin) {
        Ok(s) => s,
        Err(e) => {
            clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            return Err(e);
        }
    };
    command
        .env_clear()
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .env("TMPDIR", &scratch)
        .envs(dirs.iter().map(|(k, v)| (k, v)))
        .current_dir("/")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let result = command
        .spawn()
        .and_then(|child| supervise(child, started + cmd.timeout, ready.as_ref()));
    let elapsed = started.elapsed();
    // A daemon brought down at readiness leaves processes that die after their parent (containerd runs in a
    // session of its own and goes with dockerd's death signal): they may still write into the scratch directory
    // for a moment, so its removal is tried again for a while.
    let attempts = if cmd.ready.is_some() { 40 } else { 1 };
    let (mut leftovers, cleanup_error) = {
        let mut last = clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
        for _ in 1..attempts {
            if last.1.is_none() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            let again = clean_scratch(&scratch, switch.as_ref().map(|(c, s, _)| (c, s)));
            last = (last.0, again.1);
        }
        last
    };
    // The directories the runner made itself are not left behind by the command.
    leftovers.retain(|n| !cmd.scratch_dirs.iter().any(|(_, d)| d == n));
    let (exit, stdout, stderr) = result?;
    Ok(BoundedOutput {
        exit,
        stdout,
        stderr,
        elapsed,
        leftovers,
        cleanup_error,
    })
}

/// `/dev/null` for no input; else the read end of a pipe that already holds all of `bytes` (fewer than the pipe's
/// capacity, so the write cannot block) and whose write end is closed, so the program reads them, then end of file.
fn stdin_of(bytes: &[u8]) -> io::Result<Stdio> {
    if bytes.is_empty() {
        return Ok(Stdio::null());
    }
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let mut write = std::fs::File::from(write);
    io::Write::write_all(&mut write, bytes)?;
    drop(write);
    Ok(Stdio::from(read))
}

/// The first of `paths` that is a file: a util-linux tool the runner needs to run a command as the user `how`.
fn util_linux(paths: &[&str], name: &str, how: &str) -> io::Result<PathBuf> {
    paths
        .iter()
        .map(Path::new)
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{name} (util-linux) is not installed: cannot run as the user {how}"),
            )
        })
}

/// Where `setsid` is looked for (util-linux, like setpriv).
const SETSID: &[&str] = &["/usr/bin/setsid", "/bin/setsid"];

/// `program args`, leading a process group of its own whose id is its pid (so the whole group can be killed).
/// As another user (`switch`), also in a session of its own: `setsid setpriv … -- program args`. The spawned
/// `setsid` is no group leader, so it calls setsid(2) itself and execs (no fork: the pid stays the program's);
/// the user's processes then have no controlling terminal, so none can open root's `/dev/tty` to push keystrokes
/// into root's shell (`TIOCSTI`), take its foreground, or write to it.
pub(super) fn command_for(
    switch: Option<&(Creds, Saved, PathBuf)>,
    program: &str,
    args: &[String],
) -> io::Result<Command> {
    match switch {
        Some((creds, _, setpriv)) => {
            let setsid = util_linux(SETSID, "setsid", "in a session of their own")?;
            let mut c = Command::new(setsid);
            c.arg(setpriv)
                .args(creds::setpriv_args(creds))
                .arg(program)
                .args(args);
            Ok(c)
        }
        None => {
            let mut c = Command::new(program);
            c.args(args).process_group(0);
            Ok(c)
        }
    }
}

/// The user's credentials for `with_creds`, this process's to put back, and the setpriv that switches.
pub(super) fn switch_to(u: &RunAs) -> io::Result<(Creds, Saved, PathBuf)> {
    if !nix::unistd::geteuid().is_root() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("only root can run a command as {}", u.name),
        ));
    }
    let setpriv = util_linux(SETPRIV, "setpriv", "with their credentials")?;
    let creds = Creds {
        uid: u.uid,
        gid: u.gid,
        groups: creds::login_groups(&u.name, u.gid)?,
    };
    Ok((creds, Saved::now()?, setpriv.to_path_buf()))
}

/// `op` with the user's filesystem credentials when switching, else as this process.
pub(super) fn as_owner<T>(
    switch: Option<(&Creds, &Saved)>,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    match switch {
        Some((creds, saved)) => creds::with_creds(creds, saved, op),
        None => op(),
    }
}

/// Writes `content` at `rel` (plain names separated by `/`) below `scratch`: directories on the way made 0700 (or
/// taken when they are real directories), the file created 0600 with `O_EXCL | O_NOFOLLOW`.
fn write_scratch_file(scratch: &Path, rel: &str, content: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let names: Vec<&str> = rel.split('/').collect();
    if names
        .iter()
        .any(|n| n.is_empty() || *n == "." || *n == "..")
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{rel:?}: not a relative path of plain names"),
        ));
    }
    let mut at = scratch.to_path_buf();
    for dir in &names[..names.len() - 1] {
        at.push(dir);
        match nix::unistd::mkdir(&at, nix::sys::stat::Mode::S_IRWXU) {
            Ok(()) => {}
            Err(nix::errno::Errno::EEXIST) if std::fs::symlink_metadata(&at)?.is_dir() => {}
            Err(e) => return Err(io::Error::from(e)),
        }
    }
    at.push(names[names.len() - 1]);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&at)?;
    file.write_all(content)
}

pub(super) fn make_scratch(switch: Option<(&Creds, &Saved)>) -> io::Result<PathBuf> {
    as_owner(switch, || {
        nix::unistd::mkdtemp("/tmp/rootless-doctor-run.XXXXXX").map_err(io::Error::from)
    })
}

/// Lists and removes the scratch directory, as its owner.
pub(super) fn clean_scratch(
    dir: &Path,
    switch: Option<(&Creds, &Saved)>,
) -> (Vec<String>, Option<String>) {
    let listed = as_owner(switch, || {
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    });
    let removed = as_owner(switch, || remove_tree(dir));
    let error = match (&listed, &removed) {
        (_, Err(e)) | (Err(e), _) => {
            Some(format!("{}: {}", dir.display(), super::describe_error(e)))
        }
        _ => None,
    };
    (listed.unwrap_or_default(), error)
}

/// `rm -rf` as the owner does it: a directory of the owner's without search or write permission (dockerd makes
/// `$XDG_RUNTIME_DIR/docker/libnetwork` 0600) gets it first. Links are removed, never followed.
fn remove_tree(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return std::fs::remove_file(path);
    }
    if meta.permissions().mode() & 0o700 != 0o700 {
        // Only the owner may chmod; for anyone else this fails and the removal below says why.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700));
    }
    for entry in std::fs::read_dir(path)? {
        remove_tree(&entry?.path())?;
    }
    std::fs::remove_dir(path)
}

/// One `poll(2)` over the pipes still open and `pidfd` (the program, until it has exited), for at most `wait`;
/// drains what became readable. Returns whether the pidfd said the program exited (then what it wrote before is
/// drained too). An interrupted poll returns with nothing done.
pub(super) fn poll_once(
    out: &mut Capture,
    err: &mut Capture,
    pidfd: Option<&OwnedFd>,
    wait: Duration,
) -> io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let timeout = Timespec {
        tv_sec: wait.as_secs() as i64,
        tv_nsec: i64::from(wait.subsec_nanos()),
    };
    let mut fds: Vec<PollFd> = Vec::with_capacity(3);
    let mut which = Vec::with_capacity(3);
    if let Some(fd) = &out.pipe {
        fds.push(PollFd::new(fd, PollFlags::IN));
        which.push(0);
    }
    if let Some(fd) = &err.pipe {
        fds.push(PollFd::new(fd, PollFlags::IN));
        which.push(1);
    }
    if let Some(fd) = pidfd {
        fds.push(PollFd::new(fd, PollFlags::IN));
        which.push(2);
    }
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(false),
        Err(e) => return Err(io::Error::from(e)),
    }
    let ready: Vec<usize> = fds
        .iter()
        .zip(&which)
        .filter(|(fd, _)| !fd.revents().is_empty())
        .map(|(_, w)| *w)
        .collect();
    drop(fds);
    let mut exited = false;
    for w in ready {
        match w {
            0 => out.drain()?,
            1 => err.drain()?,
            _ => {
                exited = true;
                out.drain()?;
                err.drain()?;
            }
        }
    }
    Ok(exited)
}

/// Reads the child's output until it has exited and both pipes are closed, or the deadline; then reaps it.
/// With `ready` (a socket path and the uid that must listen there), the poll wakes at least every
/// [`READY_POLL`] to ask it; once it answers, the group is killed and the run is [`Exit::Ready`].
fn supervise(
    mut child: Child,
    deadline: Instant,
    ready: Option<&(PathBuf, u32)>,
) -> io::Result<(Exit, String, String)> {
    let pid = rustix::process::Pid::from_child(&child);
    let mut out = Capture::new(child.stdout.take().map(OwnedFd::from))?;
    let mut err = Capture::new(child.stderr.take().map(OwnedFd::from))?;
    let pidfd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            let _ = child.wait();
            return Err(io::Error::from(e));
        }
    };
    let mut exited = false;
    let mut timed_out = false;
    let mut answered = false;
    loop {
        if exited && out.pipe.is_none() && err.pipe.is_none() {
            break;
        }
        if !exited
            && let Some((socket, uid)) = ready
            && super::real::pings(socket, *uid, READY_POLL)
        {
            answered = true;
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            timed_out = !exited;
            break;
        }
        let left = deadline - now;
        let left = if ready.is_some() {
            left.min(READY_POLL)
        } else {
            left
        };
        if poll_once(&mut out, &mut err, (!exited).then_some(&pidfd), left)? {
            exited = true;
            // The program is a zombie, not yet reaped: its group id is still its own. Whatever of the group
            // still runs (and may hold the pipes open) goes now.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
    if timed_out || answered || !exited {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let status = child.wait()?;
    // What the killed group wrote before it died.
    let _ = out.drain();
    let _ = err.drain();
    let _ = pidfd.as_fd();
    let exit = if answered {
        Exit::Ready
    } else if timed_out {
        Exit::TimedOut
    } else if let Some(code) = status.code() {
        Exit::Code(code)
    } else {
        Exit::Signal(status.signal().unwrap_or(0))
    };
    Ok((exit, out.text(), err.text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> BoundedOutput {
        run(&BoundedCommand {
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            as_user: None,
            timeout,
            scratch_dirs: vec![],
            scratch_files: vec![],
            stdin: Vec::new(),
            ready: None,
        })
        .unwrap()
    }

    #[test]
    fn stdin_is_given_whole_then_end_of_file() {
        let cat = |stdin: Vec<u8>| {
            run(&BoundedCommand {
                argv: vec!["/bin/sh".into(), "-c".into(), "cat; echo end".into()],
                env: vec![("PATH".into(), "/usr/bin:/bin".into())],
                as_user: None,
                timeout: Duration::from_secs(5),
                scratch_dirs: vec![],
                scratch_files: vec![],
                stdin,
                ready: None,
            })
        };
        let o = cat(b"GET /_ping HTTP/1.1\r\n\r\n".to_vec()).unwrap();
        assert_eq!(o.exit, Exit::Code(0));
        assert_eq!(o.stdout, "GET /_ping HTTP/1.1\r\n\r\nend\n");
        // Empty: /dev/null, which ends at once.
        assert_eq!(cat(Vec::new()).unwrap().stdout, "end\n");
        let e = cat(vec![b'x'; STDIN_MAX + 1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("4097 bytes of stdin"), "{e}");
    }

    #[test]
    fn output_and_exit_code_are_kept() {
        let o = sh("echo out; echo err >&2; exit 3", Duration::from_secs(5));
        assert_eq!(o.exit, Exit::Code(3));
        assert_eq!(o.stdout, "out\n");
        assert_eq!(o.stderr, "err\n");
        assert!(o.leftovers.is_empty());
        assert_eq!(o.cleanup_error, None);
    }

    #[test]
    fn a_hung_group_is_killed_at_the_deadline() {
        // The grandchild keeps stdout open: only killing the group ends the run.
        let o = sh(
            "echo started; sleep 30 & sleep 30",
            Duration::from_millis(300),
        );
        assert_eq!(o.exit, Exit::TimedOut);
        assert_eq!(o.stdout, "started\n");
        assert!(o.elapsed < Duration::from_secs(5), "{:?}", o.elapsed);
    }

    #[test]
    fn stragglers_of_an_exited_program_are_killed() {
        let o = sh("sleep 30 & echo done", Duration::from_secs(10));
        assert_eq!(o.exit, Exit::Code(0));
        assert!(o.elapsed < Duration::from_secs(5), "{:?}", o.elapsed);
    }

    #[test]
    fn output_is_capped_with_a_marker() {
        let o = sh(
            "head -c 100000 /dev/zero | tr '\\0' a",
            Duration::from_secs(10),
        );
        assert!(o.stdout.starts_with(&"a".repeat(OUTPUT_CAP)));
        assert!(
            o.stdout
                .ends_with(&format!("[… {} more bytes dropped]", 100_000 - OUTPUT_CAP))
        );
    }

    #[test]
    fn the_scratch_dir_is_tmpdir_and_is_removed_with_what_is_left() {
        let o = sh(
            "echo $TMPDIR; mkdir $TMPDIR/rootlesskit123; touch $TMPDIR/rootlesskit123/lock",
            Duration::from_secs(5),
        );
        let dir = o.stdout.trim();
        assert!(dir.starts_with("/tmp/rootless-doctor-run."), "{dir}");
        assert_eq!(o.leftovers, ["rootlesskit123"]);
        assert!(std::fs::symlink_metadata(dir).is_err(), "{dir} is left");
    }

    #[test]
    fn the_environment_is_only_what_is_given() {
        let o = sh("env | sort", Duration::from_secs(5));
        let names: Vec<&str> = o
            .stdout
            .lines()
            .filter_map(|l| l.split('=').next())
            .collect();
        // sh adds PWD (and maybe SHLVL, _) itself.
        let foreign: Vec<&&str> = names
            .iter()
            .filter(|n| !["PATH", "TMPDIR", "PWD", "SHLVL", "_"].contains(n))
            .collect();
        assert!(foreign.is_empty(), "{}", o.stdout);
    }

    #[test]
    fn a_relative_program_is_refused() {
        let e = run(&BoundedCommand {
            argv: vec!["sh".into()],
            env: vec![],
            as_user: None,
            timeout: Duration::from_secs(1),
            scratch_dirs: vec![],
            scratch_files: vec![],
            stdin: Vec::new(),
            ready: None,
        })
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn scratch_dirs_are_made_inside_the_scratch_dir_and_named_in_the_environment() {
        let o = run(&BoundedCommand {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "case $XDG_RUNTIME_DIR in $TMPDIR/run) ;; *) exit 3;; esac; test -d $XDG_RUNTIME_DIR && \
                 stat -c %a $XDG_RUNTIME_DIR"
                    .into(),
            ],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            as_user: None,
            timeout: Duration::from_secs(5),
            scratch_dirs: vec![("XDG_RUNTIME_DIR".into(), "run".into())],
            scratch_files: vec![],
            stdin: Vec::new(),
            ready: None,
        })
        .unwrap();
        assert_eq!(o.exit, Exit::Code(0), "{o:?}");
        assert_eq!(o.stdout.trim(), "700");
        // The runner's own directories are not the command's leftovers.
        assert!(o.leftovers.is_empty(), "{:?}", o.leftovers);
    }

    #[test]
    fn a_scratch_dir_name_that_is_a_path_is_refused() {
        for bad in ["../x", "a/b", "", ".."] {
            let e = run(&BoundedCommand {
                argv: vec!["/bin/true".into()],
                env: vec![],
                as_user: None,
                timeout: Duration::from_secs(1),
                scratch_dirs: vec![("X".into(), bad.into())],
                scratch_files: vec![],
                stdin: Vec::new(),
                ready: None,
            })
            .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn scratch_files_are_written_below_the_scratch_dir_0600() {
        let o = run(&BoundedCommand {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "cat $XDG_CONFIG_HOME/docker/daemon.json; stat -c %a $XDG_CONFIG_HOME/docker/daemon.json \
                 $XDG_CONFIG_HOME/docker"
                    .into(),
            ],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            as_user: None,
            timeout: Duration::from_secs(5),
            scratch_dirs: vec![("XDG_CONFIG_HOME".into(), "config".into())],
            scratch_files: vec![("config/docker/daemon.json".into(), b"{}\n".to_vec())],
            stdin: Vec::new(),
            ready: None,
        })
        .unwrap();
        assert_eq!(o.exit, Exit::Code(0), "{o:?}");
        assert_eq!(o.stdout, "{}\n600\n700\n");
    }

    #[test]
    fn a_scratch_file_path_that_leaves_the_scratch_dir_is_refused() {
        for bad in ["../x", "a//b", "", "..", "a/../../b", "/etc/x"] {
            let e = run(&BoundedCommand {
                argv: vec!["/bin/true".into()],
                env: vec![],
                as_user: None,
                timeout: Duration::from_secs(1),
                scratch_dirs: vec![],
                scratch_files: vec![(bad.into(), b"x".to_vec())],
                stdin: Vec::new(),
                ready: None,
            })
            .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn a_ready_socket_that_never_answers_leaves_the_exit_as_it_is() {
        let o = run(&BoundedCommand {
            argv: vec!["/bin/sh".into(), "-c".into(), "sleep 0.6; exit 4".into()],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            as_user: None,
            timeout: Duration::from_secs(5),
            scratch_dirs: vec![],
            scratch_files: vec![],
            stdin: Vec::new(),
            ready: Some("docker.sock".into()),
        })
        .unwrap();
        assert_eq!(o.exit, Exit::Code(4));
    }
}
