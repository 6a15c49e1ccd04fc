//! Hardening of the files ramgate writes outside a data directory, through
//! the binary; each test is named after its finding in the adversarial
//! report (S7: `fmt` and symlinks).

#![cfg(all(feature = "cli", unix))]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

const MESSY: &str = "version 1\nallow [kms:Decrypt,kms:Encrypt] on \"*\"\n";
const CANONICAL: &str = "version 1\n\nallow [kms:Decrypt, kms:Encrypt]\n  on *\n";

fn ramgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap_or_else(|| panic!("non-UTF-8 path"))
}

#[test]
fn s7_fmt_never_follows_a_link_planted_at_the_old_temporary_name() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("k2.rgp");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&policy, MESSY).unwrap();
    std::fs::write(&victim, "precious\n").unwrap();
    symlink(&victim, dir.path().join(".k2.rgp.ramgate-fmt")).unwrap();
    let out = ramgate(&["fmt", arg(&policy)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&victim), "precious\n");
    assert_eq!(read(&policy), CANONICAL);
    assert!(
        !std::fs::symlink_metadata(&policy)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ramgate-fmt-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn s7_fmt_writes_through_a_symlink_to_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.rgp");
    let link = dir.path().join("link.rgp");
    std::fs::write(&target, MESSY).unwrap();
    symlink(&target, &link).unwrap();
    let out = ramgate(&["fmt", arg(&link)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&target), CANONICAL);
}

#[test]
fn s7_fmt_keeps_the_file_mode() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("private.rgp");
    std::fs::write(&policy, MESSY).unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = ramgate(&["fmt", arg(&policy)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&policy), CANONICAL);
    let mode = std::fs::metadata(&policy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
