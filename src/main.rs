//! The thin binary: parse flags, build the host, run, map the outcome to an exit code.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;
use rootless_doctor::cli::{Cli, ColorChoice, Format, NET_BENCH_CHILD, NetBenchChild};
use rootless_doctor::error::Error;
use rootless_doctor::{Outcome, host_from, run};

fn main() -> ExitCode {
    // Inside RootlessKit for `net bench`: no host, no report, just the data.
    if std::env::args_os().nth(1).as_deref() == Some(NET_BENCH_CHILD.as_ref()) {
        let child = NetBenchChild::parse_from(std::env::args_os().skip(1));
        let code = rootless_doctor::host::bench::child(child.listen, child.bytes, child.seconds);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = Cli::parse_args(std::env::args_os());
    let choice = match cli.global.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    // One buffered write instead of hundreds; JSON carries no styles, so it skips the ANSI stripper.
    let stdout = ReaderMayLeave {
        inner: io::stdout().lock(),
        left: false,
    };
    let mut out: Box<dyn Write> = match cli.global.format {
        Format::Json | Format::Prometheus | Format::Junit => {
            Box::new(io::BufWriter::with_capacity(64 * 1024, stdout))
        }
        // The buffer goes below the ANSI stripper, which writes each run of text between two escapes on its own:
        // above it, a fleet's report made two writes per account. The stripper asks the terminal itself, so the
        // choice is made here, on stdout, and not on the buffer.
        Format::Human | Format::Script => {
            let choice = match choice {
                anstream::ColorChoice::Auto => anstream::AutoStream::choice(&stdout.inner),
                other => other,
            };
            let buffered: Box<dyn Write> =
                Box::new(io::BufWriter::with_capacity(64 * 1024, stdout));
            Box::new(anstream::AutoStream::new(buffered, choice))
        }
    };
    let result = host_from(&cli)
        .map_err(Error::from)
        .and_then(|host| run(&cli, host.as_ref(), &mut out));
    let flushed = out.flush();
    match result.and_then(|o| flushed.map(|()| o).map_err(Error::from)) {
        Ok(Outcome::Healthy) => ExitCode::SUCCESS,
        Ok(Outcome::Unhealthy) => ExitCode::from(1),
        Err(e @ (Error::Enter(_) | Error::Capture(..))) => {
            eprintln!("rootless-doctor: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("rootless-doctor: {e}");
            ExitCode::from(2)
        }
    }
}

/// Standard output whose reader may stop reading (`rootless-doctor preflight --all-users | head`): that is the
/// reader's choice, not an error, and it does not end the run. What is still to be written is dropped, the run goes
/// on, and the exit code still says what the run found: a fleet's report is written account by account as each is
/// judged, and stopping at the closed pipe left the accounts after it unjudged and the exit code 0 ("no failure").
struct ReaderMayLeave<W> {
    inner: W,
    /// A write found the pipe closed.
    left: bool,
}

impl<W: Write> Write for ReaderMayLeave<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.left = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.left {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.left = true;
                Ok(())
            }
            other => other,
        }
    }
}
