//! S8: which `ramgate.toml` configures `ramgate lint`. The nearest one from
//! the current directory up to the repository root (the first directory
//! holding `.git`) and no further; outside a repository only the current
//! directory's; `--config` and `--no-config` override; every output names
//! the configuration applied.

#![cfg(feature = "cli")]

use std::path::Path;
use std::process::{Command, Output};

const PASS_ROLE: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::*"}]}"#;
const SILENCE: &str = "[lint]\ndisable = [\"pass-role-wildcard\"]\n";

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn lint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .arg("lint")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn s8_a_ramgate_toml_above_the_repository_root_is_never_read() {
    let home = tempfile::tempdir().unwrap();
    // A hostile configuration in an ancestor of the checkout.
    write(&home.path().join("ramgate.toml"), SILENCE);
    let repo = home.path().join("checkout");
    write(&repo.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&repo.join("policies/p.json"), PASS_ROLE);
    let out = lint(&repo.join("policies"), &["p.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("pass-role-wildcard"));
    assert!(
        stdout(&out).ends_with("(no configuration)\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn s8_the_repository_root_configuration_applies_in_its_subdirectories() {
    let repo = tempfile::tempdir().unwrap();
    write(&repo.path().join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&repo.path().join("ramgate.toml"), SILENCE);
    write(&repo.path().join("policies/p.json"), PASS_ROLE);
    let out = lint(&repo.path().join("policies"), &["p.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let expected = format!(
        "no findings in 1 file (configuration `{}`)\n",
        repo.path().join("ramgate.toml").display()
    );
    assert_eq!(stdout(&out), expected);
    // --no-config reads none; the summary says so.
    let out = lint(&repo.path().join("policies"), &["--no-config", "p.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).ends_with("(no configuration)\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn s8_outside_a_repository_only_the_current_directory_is_read() {
    let top = tempfile::tempdir().unwrap();
    write(&top.path().join("ramgate.toml"), SILENCE);
    write(&top.path().join("sub/p.json"), PASS_ROLE);
    // In the parent's subdirectory: the parent's file does not apply.
    let out = lint(&top.path().join("sub"), &["p.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // In the directory itself it does, shown by its relative name.
    let out = lint(top.path(), &["sub/p.json"]);
    assert_eq!(
        stdout(&out),
        "no findings in 1 file (configuration `ramgate.toml`)\n"
    );
    // JSON and SARIF record it too.
    let json: serde_json::Value = serde_json::from_str(&stdout(&lint(
        top.path(),
        &["--format", "json", "sub/p.json"],
    )))
    .unwrap();
    assert_eq!(json["configuration"], "ramgate.toml");
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&lint(
        top.path(),
        &["--format", "sarif", "sub/p.json"],
    )))
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["properties"]["configuration"],
        "ramgate.toml"
    );
    // --config names another file explicitly; with --no-config it is bad usage.
    write(&top.path().join("other.toml"), "[lint]\n");
    let out = lint(
        &top.path().join("sub"),
        &["--config", "../other.toml", "p.json"],
    );
    assert!(
        stdout(&out).ends_with("(configuration `../other.toml`)\n"),
        "{}",
        stdout(&out)
    );
    let out = lint(
        top.path(),
        &["--config", "other.toml", "--no-config", "sub/p.json"],
    );
    assert_eq!(out.status.code(), Some(2));
}
