//! The command line: argument parsing with clap, one library call per
//! subcommand, rendering. Exit status: 0 success (or Allow), 1 a negative
//! answer (deny, lint findings, files to reformat), 2 bad input or usage,
//! 3 damaged data, 4 the data directory is busy (another process owns it).

/// `print!` for the command's output: writes to standard output through
/// [`write_stdout`], so a reader that stops early ends the command quietly.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` for the command's output (see [`out!`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod access;
mod audit;
mod chain;
mod convert;
mod data;
mod demo;
mod eval;
mod fmt;
mod init;
mod input;
mod kms;
mod lint;
mod log;
mod ram;
mod serve;
#[cfg(test)]
mod terminal_tests;

use std::ffi::OsString;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::terminal::escape_report;

/// Alibaba Cloud RAM policies: evaluate, lint, format and convert them, and
/// run policy-gated encrypted Logstores on a local data directory.
#[derive(Debug, Parser)]
#[command(name = "ramgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Eval(eval::EvalArgs),
    Access(access::AccessArgs),
    Demo(demo::DemoArgs),
    Lint(lint::LintArgs),
    Fmt(fmt::FmtArgs),
    Convert(convert::ConvertArgs),
    Init(init::InitArgs),
    Ram(ram::RamArgs),
    Kms(kms::KmsArgs),
    Log(log::LogArgs),
    Audit(audit::AuditArgs),
    Serve(serve::ServeArgs),
}

/// The outcome of a command, mapped to the exit status.
pub(crate) enum Outcome {
    /// 0: success, Allow.
    Yes,
    /// 1: a negative answer.
    No,
    /// 3: stored data failed a check (already reported on stderr).
    Damaged,
    /// 4: another process owns the data directory (already reported).
    Busy,
}

/// A failure that ends a command with status 2 and a message on stderr.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Failure(pub String);

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }
}

/// An error as printed on standard error: `error: <message>`, its values
/// escaped (a message may span lines: a policy error frames its source
/// line, whose tabs stay).
pub(crate) fn error_line(message: &str) -> String {
    format!("error: {}", escape_report(message))
}

/// Runs the command line and returns the exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // Every write to standard output goes through `write_stdout`, which
    // unwinds with `StdoutClosed` when the reader has gone (`ramgate … |
    // head`): caught here, the command has stopped writing and ramgate
    // exits 0 without a word, as Unix filters (ripgrep, grep) do, instead
    // of `println!`'s panic. Destructors run on the way (temporary files,
    // the data directory's lock).
    match catch_unwind(AssertUnwindSafe(|| dispatch(cli))) {
        Ok(code) => code,
        Err(payload) if payload.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(payload) => resume_unwind(payload),
    }
}

/// The payload [`write_stdout`] unwinds with when standard output is closed.
struct StdoutClosed;

/// Writes to standard output; if the reader has closed it (`EPIPE`),
/// unwinds to [`run`], which exits quietly. Any other failure to write
/// panics as `print!` does.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        stdout_failed(e);
    }
}

/// Writes bytes to standard output and flushes them (see [`write_stdout`]).
pub(crate) fn write_stdout_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        stdout_failed(e);
    }
}

fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // `resume_unwind`, not `panic!`: the panic hook stays silent.
        resume_unwind(Box::new(StdoutClosed));
    }
    panic!("failed printing to stdout: {e}");
}

/// Runs one parsed command and maps its outcome to the exit status.
fn dispatch(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Access(args) => access::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Init(args) => init::run(args),
        Command::Ram(args) => ram::run(args),
        Command::Kms(args) => kms::run(args),
        Command::Log(args) => log::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(Outcome::Yes) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Ok(Outcome::Damaged) => ExitCode::from(3),
        Ok(Outcome::Busy) => ExitCode::from(4),
        Err(Failure(message)) => {
            eprintln!("{}", error_line(&message));
            ExitCode::from(2)
        }
    }
}
