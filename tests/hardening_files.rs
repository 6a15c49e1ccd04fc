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

/// Every file under `dir` and its mode, and every directory and its mode.
fn modes(dir: &Path, out: &mut Vec<(String, u32, bool)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        let name = entry.path().display().to_string();
        out.push((name, meta.permissions().mode() & 0o777, meta.is_dir()));
        if meta.is_dir() {
            modes(&entry.path(), out);
        }
    }
}

#[test]
fn s9_data_directory_files_are_0600_and_directories_0700_whatever_the_umask() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    // A directory that existed before, world-readable.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = env!("CARGO_BIN_EXE_ramgate");
    let d = data.display().to_string();
    let group = r#"{"topic": "t", "logs": [{"time": 1700000000, "contents": [["k", "v"]]}]}"#;
    let script = format!(
        "umask 000 && '{bin}' init --data-dir '{d}' --account 1234567890123456 --region cn-hangzhou \
         && '{bin}' log create-project app --data-dir '{d}' \
         && '{bin}' log create-logstore app logs --data-dir '{d}' \
         && '{bin}' log put-logs app logs --data-dir '{d}' --group '{group}' \
         && '{bin}' kms create-key --data-dir '{d}'"
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env_remove("RAMGATE_ROOT_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all = vec![(
        d.clone(),
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        true,
    )];
    modes(&data, &mut all);
    assert!(all.iter().any(|(n, _, _)| n.ends_with(".seg")), "{all:?}");
    for (name, mode, is_dir) in &all {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{name} is {mode:o}");
    }
}

#[test]
fn u8_a_symlink_in_place_of_a_metadata_file_is_refused_not_replaced() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let bin = env!("CARGO_BIN_EXE_ramgate");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .env("RAMGATE_DATA_DIR", &data)
            .env_remove("RAMGATE_ROOT_KEY")
            .output()
            .unwrap()
    };
    assert!(
        run(&[
            "init",
            "--account",
            "1234567890123456",
            "--region",
            "cn-hangzhou"
        ])
        .status
        .success()
    );
    let ram = data.join("ram.json");
    let real = home.path().join("ram-elsewhere.json");
    std::fs::rename(&ram, &real).unwrap();
    symlink(&real, &ram).unwrap();
    let out = run(&["ram", "create-user", "alice"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a symbolic link"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The link is still a link.
    assert!(
        std::fs::symlink_metadata(&ram)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
