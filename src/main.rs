//! The `ramgate` command: a thin skin over the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ramgate::cli::run(std::env::args_os())
}
