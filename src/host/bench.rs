//! `net bench`'s runner: one RootlessKit launch for a combination of drivers, with this binary's hidden
//! `__net-bench-child` as RootlessKit's child, and a fixed amount of TCP data pushed in through a published port and
//! out through the namespace's outbound path, both timed on this side.
//!
//! What [`run`] does, bounded over all by [`BenchCommand::timeout`]:
//! 1. a scratch directory as [`super::bounded`] makes it (the user's own when run as the user); when root runs for
//!    another user who cannot execute this binary where it is, a copy of it in there (0700, the user's);
//! 2. RootlessKit from [`BenchCommand::argv`] plus `--state-dir=SCRATCH/state` and the child, as the user
//!    (`setpriv`, as [`super::bounded`] does), in its own process group, stdin a pipe the child reads commands from;
//! 3. the child binds a TCP listener inside the namespace and says `ready PORT`;
//! 4. inbound: the port is published (RootlessKit's API `POST /v1/ports` for the `builtin` and `slirp4netns` port
//!    drivers; pasta's own `--tcp-ports=auto` for `implicit`, which forwards the same port number), this side
//!    connects from this host's own address (a host's own address is routed over loopback: nothing leaves the
//!    machine), sends a token and [`BenchCommand::bytes`], and waits for the child's `ok`; the child reports the
//!    peer address it saw, which is the source-IP verdict;
//! 5. outbound: a listener on this host's address; the child connects to it from inside the namespace, through the
//!    network driver's stack, the path a container's outbound connections take, and sends the token and the bytes;
//! 6. stdin is closed: the child exits and RootlessKit with it; whatever of the group is left is killed, the
//!    group reaped, the scratch directory listed and removed.
//!
//! Everything the child says is untrusted (the user can replace the copy in their scratch directory): lines are
//! capped, parsed strictly, and only ever name numbers and addresses. Connections carry a random token, so a stray
//! connection to a listener makes a leg fail rather than mismeasure.
//!
//! The published port and the outbound listener are bound on that address, so for the run (a second or so) other
//! machines on its network could reach them too: the token makes a stranger's connection fail the leg rather than
//! count in it.
//!
//! Without a non-loopback IPv4 address on this host, inbound uses 127.0.0.1, which no port driver passes on as
//! the client's address, so the source address is not judged, and outbound is not measured (RootlessKit's
//! `--disable-host-loopback`, which dockerd-rootless.sh passes, keeps the namespace off the host's loopback).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io::{self, BufRead as _, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use super::bounded::{self, Capture, Exit, RunAs};

/// The most one leg may push: a bench measures, it does not load-test.
pub const MAX_BYTES: u64 = 1 << 30;

/// How the child's port reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// RootlessKit's API publishes it (`builtin`, `slirp4netns`).
    Api,
    /// The network driver forwards what the namespace listens on by itself (pasta's `--tcp-ports=auto`).
    Implicit,
    /// Nothing publishes ports (`none`): inbound is not measured.
    Nothing,
}

/// One bench run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchCommand {
    /// RootlessKit (an absolute path) and its flags, without `--state-dir` and without the child command.
    pub argv: Vec<String>,
    /// The complete environment (the runner adds `TMPDIR`).
    pub env: Vec<(String, String)>,
    pub as_user: Option<RunAs>,
    pub publish: Publish,
    /// Bytes each leg pushes (at most [`MAX_BYTES`]).
    pub bytes: u64,
    /// The whole run, RootlessKit's start included.
    pub timeout: Duration,
}

/// How one leg went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leg {
    /// `bytes` went through in `elapsed`; `peer` is the client address the receiving end saw (inbound only).
    Measured {
        bytes: u64,
        elapsed: Duration,
        peer: Option<SocketAddr>,
    },
    Failed(String),
    /// Not measured, and why.
    NotRun(String),
}

/// What a bench run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOutput {
    /// The child said it was ready: RootlessKit started with these drivers.
    pub started: bool,
    /// How RootlessKit ended.
    pub exit: Exit,
    pub stderr: String,
    /// The address this side used as client and as the outbound target; `None`: loopback only.
    pub address: Option<Ipv4Addr>,
    pub inbound: Leg,
    pub outbound: Leg,
    pub elapsed: Duration,
    pub leftovers: Vec<String>,
    pub cleanup_error: Option<String>,
}

/// The first IPv4 address of an interface that is up and not loopback.
pub fn host_address() -> Option<Ipv4Addr> {
    let addrs = nix::ifaddrs::getifaddrs().ok()?;
    addrs
        .filter(|a| {
            a.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP)
                && !a
                    .flags
                    .contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK)
        })
        .filter_map(|a| a.address?.as_sockaddr_in().map(|s| s.ip()))
        .find(|ip| !ip.is_loopback() && !ip.is_unspecified() && !ip.is_link_local())
}

/// Runs `cmd` as the module docs describe. Errors are for what kept it from running at all; RootlessKit's own
/// failure is data in the output.
pub fn run(cmd: &BenchCommand) -> io::Result<BenchOutput> {
    let Some(program) = cmd.argv.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty argv"));
    };
    if !program.starts_with('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{program}: not an absolute path"),
        ));
    }
    if cmd.bytes == 0 || cmd.bytes > MAX_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} bytes: a leg pushes 1 to {MAX_BYTES}", cmd.bytes),
        ));
    }
    let switch = match &cmd.as_user {
        Some(u) if nix::unistd::geteuid().as_raw() != u.uid => Some(bounded::switch_to(u)?),
        _ => None,
    };
    let owner = || switch.as_ref().map(|(c, s, _)| (c, s));
    let scratch = bounded::make_scratch(owner())?;
    let started = Instant::now();
    let result = launch(cmd, &scratch, switch.as_ref(), started + cmd.timeout);
    let elapsed = started.elapsed();
    // RootlessKit's children may outlive it by a moment (slirp4netns, pasta): try the removal for a while.
    let mut cleaned = bounded::clean_scratch(&scratch, owner());
    for _ in 0..40 {
        if cleaned.1.is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        cleaned = (cleaned.0, bounded::clean_scratch(&scratch, owner()).1);
    }
    let (mut leftovers, cleanup_error) = cleaned;
    // What the runner put there itself.
    leftovers.retain(|n| n != CHILD_COPY);
    let mut out = result?;
    out.elapsed = elapsed;
    out.leftovers = leftovers;
    out.cleanup_error = cleanup_error;
    Ok(out)
}

/// The name of the binary's copy in the scratch directory.
const CHILD_COPY: &str = "rootless-doctor";

type Switch = (super::creds::Creds, super::creds::Saved, PathBuf);

/// The user's filesystem credentials for [`bounded::as_owner`], when running as another user.
type Owner<'a> = Option<(&'a super::creds::Creds, &'a super::creds::Saved)>;

fn launch(
    cmd: &BenchCommand,
    scratch: &Path,
    switch: Option<&Switch>,
    deadline: Instant,
) -> io::Result<BenchOutput> {
    let owner = switch.map(|(c, s, _)| (c, s));
    let child_program = child_program(scratch, owner)?;
    let uid = cmd
        .as_user
        .as_ref()
        .map_or_else(|| nix::unistd::geteuid().as_raw(), |u| u.uid);
    let address = host_address();
    let client_ip = address.unwrap_or(Ipv4Addr::LOCALHOST);
    // The child's port: with implicit forwarding the host side listens on the same number, so take a free one.
    let listen_port = match cmd.publish {
        Publish::Implicit => free_port(client_ip)?,
        Publish::Api | Publish::Nothing => 0,
    };
    let state = scratch.join("state");
    let (program, args) = cmd.argv.split_first().unwrap_or((&cmd.argv[0], &[]));
    let child_args = [
        format!("--state-dir={}", state.display()),
        "--".to_owned(),
        child_program.display().to_string(),
        crate::cli::NET_BENCH_CHILD.to_owned(),
        format!("--listen={listen_port}"),
        format!("--bytes={}", cmd.bytes),
        format!("--seconds={}", cmd.timeout.as_secs().max(1)),
    ];
    let mut command = bounded::command_for(switch, program, args)?;
    command
        .args(&child_args)
        .env_clear()
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .env("TMPDIR", scratch)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut session = Session::start(command.spawn()?)?;
    let mut out = BenchOutput {
        started: false,
        exit: Exit::Code(0),
        stderr: String::new(),
        address,
        inbound: Leg::NotRun("RootlessKit did not start".to_owned()),
        outbound: Leg::NotRun("RootlessKit did not start".to_owned()),
        elapsed: Duration::ZERO,
        leftovers: Vec::new(),
        cleanup_error: None,
    };
    let ends = Ends {
        cmd,
        owner,
        api: &state.join("api.sock"),
        uid,
        client_ip,
        listen_port,
        deadline,
    };
    let exchange = exchange(&ends, &mut session, &mut out);
    let (exit, stderr) = session.finish(deadline);
    out.exit = exit;
    out.stderr = stderr;
    exchange?;
    Ok(out)
}

/// The binary RootlessKit's child runs: this one, when its user can execute it where it is; else a copy in the
/// scratch directory, made as the user.
fn child_program(
    scratch: &Path,
    owner: Option<(&super::creds::Creds, &super::creds::Saved)>,
) -> io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let Some(_) = owner else {
        return Ok(me);
    };
    // AT_EACCESS: checked with the filesystem ids `as_owner` set (plain access(2) would use the real uid, root's).
    // A libc that emulates it (faccessat2 needs Linux 5.8) asks with the effective uid, root's, and says yes to
    // everything: the canary, /etc/passwd writable, tells, and then the copy is made anyway.
    let eaccess = |path: &Path, mode| {
        nix::unistd::faccessat(
            nix::fcntl::AT_FDCWD,
            path,
            mode,
            nix::fcntl::AtFlags::AT_EACCESS,
        )
        .map_err(io::Error::from)
    };
    let reachable = bounded::as_owner(owner, || {
        if eaccess(Path::new("/etc/passwd"), nix::unistd::AccessFlags::W_OK).is_ok() {
            return Err(io::Error::other("faccessat does not ask as the user here"));
        }
        eaccess(&me, nix::unistd::AccessFlags::X_OK)
    });
    if reachable.is_ok() {
        return Ok(me);
    }
    let mut source = std::fs::File::open("/proc/self/exe")?;
    let copy = scratch.join(CHILD_COPY);
    bounded::as_owner(owner, || {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&copy)?;
        io::copy(&mut source, &mut file)?;
        Ok(())
    })?;
    Ok(copy)
}

fn free_port(ip: Ipv4Addr) -> io::Result<u16> {
    Ok(TcpListener::bind((ip, 0))?.local_addr()?.port())
}

/// A random token, hex: 32 characters.
fn token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// What is left until `deadline`; `TimedOut` once it has passed.
fn left(deadline: Instant, what: &str) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what}: the bench's deadline passed"),
        ));
    }
    Ok(left)
}

/// Steps 3 to 5 of the module docs. An error here is the runner's own (the pipes); a leg's failure is its verdict.
/// What the legs share.
struct Ends<'a> {
    cmd: &'a BenchCommand,
    owner: Owner<'a>,
    /// RootlessKit's API socket.
    api: &'a Path,
    /// Whose RootlessKit it is.
    uid: u32,
    client_ip: Ipv4Addr,
    /// The port the child was asked to listen on (0: any).
    listen_port: u16,
    deadline: Instant,
}

fn exchange(e: &Ends, session: &mut Session, out: &mut BenchOutput) -> io::Result<()> {
    let Ends {
        cmd,
        listen_port,
        deadline,
        ..
    } = *e;
    let Some(line) = session.line(deadline)? else {
        return Ok(());
    };
    let Some(child_port) = line
        .strip_prefix("ready ")
        .and_then(|p| p.parse::<u16>().ok())
    else {
        let why = format!("the bench's child said {line:?} instead of `ready PORT`");
        out.inbound = Leg::Failed(why.clone());
        out.outbound = Leg::Failed(why);
        return Ok(());
    };
    out.started = true;
    // With pasta's own forwarding the child's port is the one this side chose; any other is not the bench's.
    if cmd.publish == Publish::Implicit && child_port != listen_port {
        let why =
            format!("the bench's child listens on {child_port}, not on {listen_port} as asked");
        out.inbound = Leg::Failed(why.clone());
        out.outbound = Leg::Failed(why);
        return Ok(());
    }
    let inbound = inbound(e, session, child_port)?;
    // A leg the child may still be in (its report never came): outbound would read that report as its own.
    let stuck = matches!(&inbound, Leg::Failed(w) if w.starts_with(STILL_INSIDE));
    out.inbound = inbound;
    if stuck {
        out.outbound = Leg::NotRun(
            "not tried: the inbound leg did not finish inside the namespace".to_owned(),
        );
        return Ok(());
    }
    out.outbound = match out.address {
        Some(ip) => outbound(cmd, session, ip, deadline)?,
        None => Leg::NotRun(
            "this host has no non-loopback IPv4 address for the namespace to reach".to_owned(),
        ),
    };
    Ok(())
}

fn inbound(e: &Ends, session: &mut Session, child_port: u16) -> io::Result<Leg> {
    let Ends {
        cmd,
        owner,
        api,
        uid,
        client_ip,
        deadline,
        ..
    } = *e;
    let host_port = match cmd.publish {
        Publish::Nothing => {
            return Ok(Leg::NotRun(
                "the port driver `none` publishes nothing".to_owned(),
            ));
        }
        Publish::Implicit => child_port,
        Publish::Api => {
            let port = match free_port(client_ip) {
                Ok(p) => p,
                Err(e) => return Ok(Leg::Failed(format!("no free port on {client_ip}: {e}"))),
            };
            let body = format!(
                r#"{{"proto":"tcp","parentIP":"{client_ip}","parentPort":{port},"childPort":{child_port}}}"#
            );
            // RootlessKit's parent serves its API once the child runs, which may be after the child said `ready`.
            // The socket is in the user's scratch directory: opened and connected with their credentials.
            let answer = loop {
                let timeout = left(deadline, "publishing the port")?.min(Duration::from_secs(5));
                let posted = bounded::as_owner(owner, || {
                    super::real::post_unix(api, uid, "/v1/ports", &body, timeout)
                });
                match posted {
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                        ) && !session.gone()
                            && left(deadline, "").is_ok_and(|l| l > Duration::from_millis(50)) =>
                    {
                        std::thread::sleep(Duration::from_millis(20));
                        // Notice RootlessKit's exit meanwhile.
                        let soon = (Instant::now() + Duration::from_millis(1)).min(deadline);
                        let _ = session.wait(soon)?;
                    }
                    other => break other,
                }
            };
            match answer {
                Ok(r) if (200..300).contains(&r.status) => port,
                Ok(r) => {
                    return Ok(Leg::Failed(format!(
                        "RootlessKit's API refused to publish {client_ip}:{port}: HTTP {}: {}",
                        r.status,
                        first_line(&r.body_text())
                    )));
                }
                Err(e) => {
                    return Ok(Leg::Failed(format!(
                        "RootlessKit's API at {}: {}",
                        api.display(),
                        super::describe_error(&e)
                    )));
                }
            }
        }
    };
    let target = SocketAddr::from((client_ip, host_port));
    let source = SocketAddr::from((client_ip, 0));
    // pasta looks for new listeners about once a second: until then the port refuses.
    let (mut stream, began) = loop {
        let began = Instant::now();
        match connect_from(source, target, left(deadline, "connecting")?) {
            Ok(s) => break (s, began),
            Err(e)
                if e.kind() == io::ErrorKind::ConnectionRefused
                    && cmd.publish == Publish::Implicit =>
            {
                std::thread::sleep(Duration::from_millis(100));
                if left(deadline, "").is_err() {
                    return Ok(Leg::Failed(format!(
                        "connecting to {target}: {e} until the deadline (pasta never forwarded the port)"
                    )));
                }
            }
            // Nothing reached the child: it is still waiting for a command, and outbound can go on.
            Err(e) => return Ok(Leg::Failed(format!("connecting to {target}: {e}"))),
        }
    };
    let token = token()?;
    session.say(&format!("in {token}"))?;
    let sent = push(&mut stream, &token, cmd.bytes, deadline).and_then(|()| {
        let mut ack = [0u8; 3];
        stream.set_read_timeout(Some(left(deadline, "waiting for the child")?))?;
        stream.read_exact(&mut ack)?;
        if &ack == b"ok\n" {
            Ok(began.elapsed())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no acknowledgement from the child",
            ))
        }
    });
    // The child's report comes whatever happened: a closed connection ends its count. When sending failed, the
    // child may never have had the connection (a proxy that reset it): a short wait, then the leg is given up.
    drop(stream);
    let wait_until = if sent.is_err() {
        (Instant::now() + Duration::from_secs(2)).min(deadline)
    } else {
        deadline
    };
    let report = session.line(wait_until)?;
    if report.is_none() && !session.gone() {
        return Ok(Leg::Failed(format!(
            "{STILL_INSIDE}{}",
            match &sent {
                Err(e) => format!(" (sending to {target}: {e})"),
                Ok(_) => String::new(),
            }
        )));
    }
    let parsed = report.as_deref().and_then(parse_in);
    Ok(match (sent, parsed) {
        (Ok(elapsed), Some((peer, received))) if received == cmd.bytes => Leg::Measured {
            bytes: cmd.bytes,
            elapsed,
            peer: Some(peer),
        },
        (Ok(_), Some((_, received))) => Leg::Failed(format!(
            "the child counted {received} of {} bytes",
            cmd.bytes
        )),
        (sent, _) => Leg::Failed(match (report, sent) {
            (Some(line), _) if line.starts_with("error ") => child_error(&line),
            (_, Err(e)) => format!("sending to {target}: {e}"),
            (Some(line), Ok(_)) => child_error(&line),
            (None, Ok(_)) => "the bench's child said nothing more".to_owned(),
        }),
    })
}

fn outbound(
    cmd: &BenchCommand,
    session: &mut Session,
    ip: Ipv4Addr,
    deadline: Instant,
) -> io::Result<Leg> {
    let listener = match TcpListener::bind((ip, 0)) {
        Ok(l) => l,
        Err(e) => return Ok(Leg::Failed(format!("listening on {ip}: {e}"))),
    };
    listener.set_nonblocking(true)?;
    let target = listener.local_addr()?;
    let token = token()?;
    let began = Instant::now();
    session.say(&format!("out {target} {token}"))?;
    // The child's connection, unless it reports first that it could not make one.
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Ok(Leg::Failed(format!("accepting on {target}: {e}"))),
        }
        let soon = (Instant::now() + Duration::from_millis(20)).min(deadline);
        if let Some(line) = session.line(soon)? {
            return Ok(Leg::Failed(child_error(&line)));
        }
        if session.gone() {
            return Ok(Leg::Failed(
                "the bench's child exited before it connected".to_owned(),
            ));
        }
        if left(deadline, "").is_err() {
            return Ok(Leg::Failed(format!(
                "nothing arrived at {target} before the deadline"
            )));
        }
    };
    let received = (|| {
        let mut stream = stream;
        stream.set_nonblocking(false)?;
        let got = pull(&mut stream, &token, cmd.bytes, deadline)?;
        let elapsed = began.elapsed();
        write_by(&mut stream, b"ok\n", deadline)?;
        Ok::<_, io::Error>((got, elapsed))
    })();
    let report = session.line(deadline)?;
    Ok(match (received, report.as_deref().and_then(parse_out)) {
        (Ok((got, elapsed)), Some(_)) if got == cmd.bytes => Leg::Measured {
            bytes: got,
            elapsed,
            peer: None,
        },
        (Ok((got, _)), Some(_)) => {
            Leg::Failed(format!("{got} of {} bytes arrived at {target}", cmd.bytes))
        }
        (Err(e), _) => Leg::Failed(match report {
            Some(line) if line.starts_with("error ") => child_error(&line),
            _ => format!("receiving at {target}: {e}"),
        }),
        (Ok(_), _) => Leg::Failed(match report {
            Some(line) => child_error(&line),
            None => "the bench's child said nothing more".to_owned(),
        }),
    })
}

/// How an inbound leg without the child's report begins.
const STILL_INSIDE: &str = "the bench's child did not report on the connection";

/// `in PEER BYTES`.
fn parse_in(line: &str) -> Option<(SocketAddr, u64)> {
    let mut words = line.strip_prefix("in ")?.split(' ');
    let peer = words.next()?.parse().ok()?;
    let bytes = words.next()?.parse().ok()?;
    words.next().is_none().then_some((peer, bytes))
}

/// `out BYTES`.
fn parse_out(line: &str) -> Option<u64> {
    line.strip_prefix("out ")?.parse().ok()
}

/// What the child said went wrong, as a verdict: its `error LEG TEXT`, else the line itself.
fn child_error(line: &str) -> String {
    let text = line
        .strip_prefix("error ")
        .and_then(|r| r.split_once(' '))
        .map_or(line, |(_, t)| t);
    format!("inside the namespace: {}", first_line(text))
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    crate::model::escape_controls(&line.chars().take(300).collect::<String>()).into_owned()
}

/// A TCP connection from `source` (port 0: any) to `target`.
fn connect_from(
    source: SocketAddr,
    target: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn};
    let sock = nix::sys::socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io::Error::from)?;
    let SocketAddr::V4(s) = source else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "IPv4 only"));
    };
    nix::sys::socket::bind(std::os::fd::AsRawFd::as_raw_fd(&sock), &SockaddrIn::from(s))
        .map_err(io::Error::from)?;
    let stream = TcpStream::from(sock);
    // std's connect_timeout needs an unconnected socket of its own; this one is bound, so connect it here: a
    // blocking connect bounded by SO_SNDTIMEO.
    stream.set_write_timeout(Some(timeout))?;
    let SocketAddr::V4(t) = target else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "IPv4 only"));
    };
    match nix::sys::socket::connect(
        std::os::fd::AsRawFd::as_raw_fd(&stream),
        &SockaddrIn::from(t),
    ) {
        Ok(()) => Ok(stream),
        Err(nix::errno::Errno::EINPROGRESS | nix::errno::Errno::EAGAIN) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no connection within the deadline",
        )),
        Err(e) => Err(io::Error::from(e)),
    }
}

/// The block every leg sends, again and again.
const BLOCK: usize = 64 * 1024;

/// `write_all` within `deadline`: each write(2) gets only what is left (a peer that reads a little just before
/// each timeout must not stretch the run).
fn write_by(stream: &mut TcpStream, mut buf: &[u8], deadline: Instant) -> io::Result<()> {
    while !buf.is_empty() {
        stream.set_write_timeout(Some(left(deadline, "sending")?))?;
        match stream.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends `token`, then `bytes` bytes.
fn push(stream: &mut TcpStream, token: &str, bytes: u64, deadline: Instant) -> io::Result<()> {
    let block = [0x5au8; BLOCK];
    write_by(stream, token.as_bytes(), deadline)?;
    let mut sent = 0u64;
    while sent < bytes {
        let n = (bytes - sent).min(BLOCK as u64) as usize;
        write_by(stream, &block[..n], deadline)?;
        sent += n as u64;
    }
    Ok(())
}

/// Reads and checks `token`, then counts up to `bytes` bytes; returns how many came.
fn pull(stream: &mut TcpStream, token: &str, bytes: u64, deadline: Instant) -> io::Result<u64> {
    let mut got_token = vec![0u8; token.len()];
    stream.set_read_timeout(Some(left(deadline, "receiving")?))?;
    stream.read_exact(&mut got_token).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(
                e.kind(),
                "the connection closed before the bench's token came",
            )
        } else {
            e
        }
    })?;
    if got_token != token.as_bytes() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a connection without the bench's token (someone else connected first)",
        ));
    }
    let mut buf = vec![0u8; BLOCK];
    let mut got = 0u64;
    while got < bytes {
        stream.set_read_timeout(Some(left(deadline, "receiving")?))?;
        let want = (bytes - got).min(BLOCK as u64) as usize;
        match stream.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => got += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// One connection on a non-blocking listener, waiting at most until `deadline`, and not after `host` (the
/// child's stdin) becomes readable: the host has given up (end of file) or moved on.
fn accept(
    listener: &TcpListener,
    host: std::os::fd::BorrowedFd<'_>,
    deadline: Instant,
) -> io::Result<(TcpStream, SocketAddr)> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    loop {
        match listener.accept() {
            Ok(pair) => return Ok(pair),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let wait = left(deadline, "waiting for a connection")?;
        let timeout = Timespec {
            tv_sec: wait.as_secs() as i64,
            tv_nsec: i64::from(wait.subsec_nanos()),
        };
        let mut fds = [
            PollFd::new(listener, PollFlags::IN),
            PollFd::new(&host, PollFlags::IN),
        ];
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(io::Error::from(e)),
        }
        if !fds[1].revents().is_empty() && fds[0].revents().is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the host stopped waiting before a connection came",
            ));
        }
    }
}

/// The most one line of the child may hold.
const LINE_MAX: usize = 512;

/// RootlessKit with the bench's child: its pipes, read without blocking, and its pid held by a pidfd.
struct Session {
    child: Child,
    pid: rustix::process::Pid,
    pidfd: OwnedFd,
    stdin: Option<ChildStdin>,
    out: Capture,
    err: Capture,
    /// How much of `out` has been handed out as lines.
    taken: usize,
    exited: bool,
}

impl Session {
    fn start(mut child: Child) -> io::Result<Session> {
        let pid = rustix::process::Pid::from_child(&child);
        let pidfd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                let _ = child.wait();
                return Err(io::Error::from(e));
            }
        };
        let captures = Capture::new(child.stdout.take().map(OwnedFd::from)).and_then(|out| {
            Capture::new(child.stderr.take().map(OwnedFd::from)).map(|err| (out, err))
        });
        let (out, err) = match captures {
            Ok(pair) => pair,
            Err(e) => {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                let _ = child.wait();
                return Err(e);
            }
        };
        let stdin = child.stdin.take();
        Ok(Session {
            child,
            pid,
            pidfd,
            stdin,
            out,
            err,
            taken: 0,
            exited: false,
        })
    }

    /// The child exited or closed its stdout.
    fn gone(&self) -> bool {
        self.exited || self.out.pipe.is_none()
    }

    /// One command line to the child.
    fn say(&mut self, line: &str) -> io::Result<()> {
        match &mut self.stdin {
            Some(stdin) => match writeln!(stdin, "{line}") {
                // The child is gone: what it said before going is the verdict.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other,
            },
            None => Ok(()),
        }
    }

    /// The next whole line the child wrote on stdout; `None` when it exited, closed stdout, the line grew past
    /// [`LINE_MAX`], or the deadline passed first.
    fn line(&mut self, deadline: Instant) -> io::Result<Option<String>> {
        loop {
            let rest = &self.out.kept[self.taken..];
            if let Some(end) = rest.iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&rest[..end]).into_owned();
                self.taken += end + 1;
                return Ok((end <= LINE_MAX).then_some(line));
            }
            if rest.len() > LINE_MAX || self.out.pipe.is_none() || self.exited {
                return Ok(None);
            }
            if !self.wait(deadline)? {
                return Ok(None);
            }
        }
    }

    /// Polls the pipes and the pidfd once, until something happens or `deadline`; `false` once it has passed.
    fn wait(&mut self, deadline: Instant) -> io::Result<bool> {
        let Ok(wait) = left(deadline, "") else {
            return Ok(false);
        };
        if self.exited && self.out.pipe.is_none() && self.err.pipe.is_none() {
            return Ok(false);
        }
        let pidfd = (!self.exited).then_some(&self.pidfd);
        if bounded::poll_once(&mut self.out, &mut self.err, pidfd, wait)? {
            self.exited = true;
        }
        Ok(true)
    }

    /// Closes stdin (the child's signal to end), waits a little for RootlessKit to exit, kills what is left of
    /// the group, reaps it. Returns how it ended and its stderr.
    fn finish(mut self, deadline: Instant) -> (Exit, String) {
        drop(self.stdin.take());
        let grace = (Instant::now() + Duration::from_secs(5)).min(deadline);
        let mut timed_out = false;
        while !self.exited {
            match self.wait(grace) {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    timed_out = true;
                    break;
                }
            }
        }
        // The program is a zombie or still running, not yet reaped: its group id is still its own.
        let _ = rustix::process::kill_process_group(self.pid, rustix::process::Signal::KILL);
        let status = self.child.wait();
        let _ = self.out.drain();
        let _ = self.err.drain();
        let _ = self.pidfd.as_fd();
        let exit = match status {
            _ if timed_out => Exit::TimedOut,
            Ok(s) => match s.code() {
                Some(code) => Exit::Code(code),
                None => Exit::Signal(s.signal().unwrap_or(0)),
            },
            Err(_) => Exit::Signal(0),
        };
        (exit, self.err.text())
    }
}

/// The hidden `__net-bench-child`, run by RootlessKit inside the namespaces: listens on `listen` (0: any port),
/// says `ready PORT`, then follows the commands on stdin (`in TOKEN`: take one connection, check the token, count
/// `bytes`, answer `ok`; `out ADDR:PORT TOKEN`: connect there and send the token and `bytes`) until stdin ends.
/// Each step is bounded by `seconds`. Returns the exit code.
pub fn child(listen: u16, bytes: u64, seconds: u64) -> i32 {
    let step = Duration::from_secs(seconds.clamp(1, 600));
    let bytes = bytes.min(MAX_BYTES);
    let stdout = io::stdout();
    let say = |line: &str| {
        let mut out = stdout.lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let listener = match TcpListener::bind((Ipv4Addr::UNSPECIFIED, listen))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
    {
        Ok(l) => l,
        Err(e) => {
            say(&format!("error listen binding port {listen}: {e}"));
            return 1;
        }
    };
    let port = listener.local_addr().map_or(listen, |a| a.port());
    say(&format!("ready {port}"));
    let stdin = io::stdin();
    let mut lines = stdin.lock();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.by_ref().take(LINE_MAX as u64).read_line(&mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let words: Vec<&str> = line.trim_end().split(' ').collect();
        let deadline = Instant::now() + step;
        match words.as_slice() {
            ["in", token] => match take_in(&listener, stdin.as_fd(), token, bytes, deadline) {
                Ok((peer, got)) => say(&format!("in {peer} {got}")),
                Err(e) => say(&format!("error in {e}")),
            },
            ["out", target, token] => match target.parse::<SocketAddrV4>() {
                Ok(target) => match send_out(target, token, bytes, deadline) {
                    Ok(sent) => say(&format!("out {sent}")),
                    Err(e) => say(&format!("error out connecting to {target}: {e}")),
                },
                Err(_) => say("error out not an address"),
            },
            _ => say("error command not understood"),
        }
    }
}

fn take_in(
    listener: &TcpListener,
    host: std::os::fd::BorrowedFd<'_>,
    token: &str,
    bytes: u64,
    deadline: Instant,
) -> io::Result<(SocketAddr, u64)> {
    let (mut stream, peer) = accept(listener, host, deadline)?;
    stream.set_nonblocking(false)?;
    let got = pull(&mut stream, token, bytes, deadline)?;
    write_by(&mut stream, b"ok\n", deadline)?;
    Ok((peer, got))
}

fn send_out(target: SocketAddrV4, token: &str, bytes: u64, deadline: Instant) -> io::Result<u64> {
    let mut stream = TcpStream::connect_timeout(&target.into(), left(deadline, "connecting")?)?;
    push(&mut stream, token, bytes, deadline)?;
    let mut ack = [0u8; 3];
    stream.set_read_timeout(Some(left(deadline, "waiting for the host")?))?;
    stream.read_exact(&mut ack)?;
    if &ack != b"ok\n" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the host did not acknowledge",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_childs_reports_parse_strictly() {
        assert_eq!(
            parse_in("in 192.0.2.2:41000 1048576"),
            Some(("192.0.2.2:41000".parse().unwrap(), 1_048_576))
        );
        assert_eq!(parse_in("in 192.0.2.2:41000 1048576 extra"), None);
        assert_eq!(parse_in("in /etc/shadow 1"), None);
        assert_eq!(parse_in("out 5"), None);
        assert_eq!(parse_out("out 1048576"), Some(1_048_576));
        assert_eq!(parse_out("out -1"), None);
    }

    #[test]
    fn a_childs_error_is_quoted_on_one_escaped_line() {
        assert_eq!(
            child_error("error out connecting to 192.0.2.2:5: Connection refused (os error 111)"),
            "inside the namespace: connecting to 192.0.2.2:5: Connection refused (os error 111)"
        );
        assert_eq!(
            child_error("garbage\u{1b}[31m"),
            "inside the namespace: garbage\\e[31m"
        );
    }

    #[test]
    fn push_and_pull_agree_on_the_token_and_the_count() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let sender = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            push(&mut s, "t0k3n", 200_000, deadline).unwrap();
        });
        let (mut s, _) = listener.accept().unwrap();
        assert_eq!(pull(&mut s, "t0k3n", 200_000, deadline).unwrap(), 200_000);
        sender.join().unwrap();
    }

    #[test]
    fn a_stranger_without_the_token_is_refused() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let sender = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            let _ = s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n");
        });
        let (mut s, _) = listener.accept().unwrap();
        let err = pull(&mut s, "0123456789abcdef0123", 10, deadline).unwrap_err();
        assert!(err.to_string().contains("token"), "{err}");
        sender.join().unwrap();
    }
}
