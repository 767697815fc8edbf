//! The thin binary: parse flags, build the host, run, map the outcome to an exit code.
#![allow(clippy::print_stderr)]

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use rootless_doctor::cli::{Cli, ColorChoice, Format};
use rootless_doctor::error::Error;
use rootless_doctor::{Outcome, host_from, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Inside RootlessKit for `net bench`: no host, no report, just the data.
    if let rootless_doctor::cli::Command::NetBenchChild {
        listen,
        bytes,
        seconds,
    } = cli.command
    {
        let code = rootless_doctor::host::bench::child(listen, bytes, seconds);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let choice = match cli.global.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    // One buffered write instead of hundreds; JSON carries no styles, so it skips the ANSI stripper.
    let stdout = io::stdout().lock();
    let mut out: Box<dyn Write> = match cli.global.format {
        Format::Json | Format::Prometheus | Format::Junit => {
            Box::new(io::BufWriter::with_capacity(64 * 1024, stdout))
        }
        Format::Human | Format::Script => Box::new(io::BufWriter::with_capacity(
            64 * 1024,
            anstream::AutoStream::new(stdout, choice),
        )),
    };
    let result = host_from(&cli)
        .map_err(Error::from)
        .and_then(|host| run(&cli, host.as_ref(), &mut out));
    let flushed = out.flush();
    match result.and_then(|o| flushed.map(|()| o).map_err(Error::from)) {
        Ok(Outcome::Healthy) => ExitCode::SUCCESS,
        Ok(Outcome::Unhealthy) => ExitCode::from(1),
        // A closed pipe (`rootless-doctor preflight | head`) is the reader's choice, not an error.
        Err(Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
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
