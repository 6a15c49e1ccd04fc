//! A reader that stops early (`ramgate … | head`) ends the command quietly:
//! exit status 0, nothing on standard error, instead of `println!`'s panic
//! on `EPIPE`.

#![cfg(feature = "cli")]

use std::io::Read;
use std::process::{Command, Output, Stdio};

/// Runs ramgate with `args`, reads `keep` bytes of its output (none: the
/// pipe is closed before the command writes), closes the pipe and waits.
fn cut_short(args: &[&str], keep: usize) -> (Vec<u8>, Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut head = vec![0; keep];
    if let Some(mut out) = child.stdout.take() {
        out.read_exact(&mut head).unwrap_or_else(|e| panic!("{e}"));
        // Dropping `out` closes the read end: every later write fails.
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (head, output)
}

/// `who-can 'log:*' '*'` on the seed prints some 650 KiB, far more than a
/// pipe holds, so the command is still writing when the reader leaves.
const LONG: [&str; 6] = [
    "access",
    "who-can",
    "log:*",
    "*",
    "--directory",
    "tests/data/access/seed.json",
];

#[test]
fn a_reader_that_leaves_early_ends_the_command_quietly() {
    for keep in [16, 0] {
        let (head, output) = cut_short(&LONG, keep);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr, "", "nothing on standard error");
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert_eq!(head.len(), keep);
    }
}

#[test]
fn json_output_cut_short_is_quiet_too() {
    let mut args = LONG.to_vec();
    args.extend(["--format", "json"]);
    let (head, output) = cut_short(&args, 1);
    assert_eq!(head, b"[");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
}
