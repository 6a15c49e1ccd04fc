//! `ramgate access check` and the other output formats, on the seed setup
//! as `ramgate demo` builds it.

#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHECK: &str = "tests/data/access/seed-check.toml";

fn ramgate(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn seed() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("seed");
    let o = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(["demo", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success());
    (tmp, dir)
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_check_file_exits_1_listing_each_violation_with_its_proof() {
    let (_tmp, dir) = seed();
    let o = ramgate(&["access", "check", CHECK], &dir);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = text(&o);
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with(CHECK)).collect();
    assert_eq!(
        heads,
        [
            "tests/data/access/seed-check.toml: 5 assertions, 2 violations",
            "tests/data/access/seed-check.toml:23: who can log:DeleteLogStore on acs:log:cn-hangzhou:1234567890123456:project/shop/logstore/orders-byok: only user/alice: `acs:ram::1234567890123456:user/bob` can, and is not listed in `only`",
            "tests/data/access/seed-check.toml:28: no privilege escalation: `acs:ram::1234567890123456:user/alice` can pass-role `acs:ram::1234567890123456:role/sls-byok`, gaining `kms:DescribeAccountKmsStatus` on `*`",
        ]
    );
    assert!(out.contains("allowed by user/bob:system/AliyunLogFullAccess:4:5 statement 0"));
}

#[test]
fn a_check_that_holds_exits_0() {
    let (tmp, dir) = seed();
    let file = tmp.path().join("ok.toml");
    std::fs::write(
        &file,
        "[[who-can]]\naction = \"kms:Decrypt\"\nresource = \"acs:kms:*:*:key/*\"\nonly = [\"role/sls-byok\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = ramgate(&["access", "check", &file.display().to_string()], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[who-can]]\naction = \"kms:Decrypt\"\nresource = \"*\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = ramgate(&["access", "check", &bad.display().to_string()], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(
        "line 1: a `who-can` assertion needs exactly one of `only = [...]` and `none = true`"
    ));
}

#[test]
fn sarif_and_json_carry_the_violations() {
    let (_tmp, dir) = seed();
    let o = ramgate(&["access", "check", CHECK, "--format", "sarif"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&text(&o)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rules: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(rules, ["access-who-can", "access-escalation"]);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        23
    );
    let o = ramgate(&["access", "check", CHECK, "--format", "json"], &dir);
    let v: serde_json::Value = serde_json::from_str(&text(&o)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["assertions"], 5);
    assert_eq!(
        v["violations"][0]["proof"]["row"]["principal"],
        "acs:ram::1234567890123456:user/bob"
    );
    assert_eq!(v["violations"][1]["proof"]["path"]["kind"], "pass-role");
}

#[test]
fn the_seed_logstore_as_dot_is_the_committed_picture() {
    let (_tmp, dir) = seed();
    let o = ramgate(
        &[
            "access",
            "logstore",
            "shop",
            "orders-byok",
            "--format",
            "dot",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0));
    let expected =
        std::fs::read_to_string("tests/data/access/seed-logstore.dot").unwrap_or_default();
    assert_eq!(text(&o), expected);
    let readme = std::fs::read_to_string("README.md").unwrap_or_default();
    assert!(readme.contains(&expected), "the README shows the DOT text");
}

#[test]
fn the_seed_summary_is_the_readme_one() {
    let (_tmp, dir) = seed();
    let o = ramgate(
        &["access", "logstore", "shop", "orders-byok", "--summary"],
        &dir,
    );
    let out = text(&o);
    // The CMK id is random: compare everything but the first line.
    let body: String = out.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let readme = std::fs::read_to_string("README.md").unwrap_or_default();
    assert!(readme.contains(&body), "README lacks:\n{body}");
}
