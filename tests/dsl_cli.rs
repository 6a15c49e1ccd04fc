//! `ramgate fmt`, `ramgate convert` and `ramgate eval` on DSL files, through
//! the binary.

#![cfg(feature = "cli")]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ramgate(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
}

const MESSY: &str = "// keys\nversion 1\nallow [kms:Decrypt,kms:Encrypt] on \"*\" // all\n";
const CANONICAL: &str = "// keys\nversion 1\n\nallow [kms:Decrypt, kms:Encrypt]\n  on * // all\n";
const JSON_MESSY: &str = r#"{"Statement": {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}, "Version": "1"}"#;

#[test]
fn fmt_check_lists_the_files_that_would_change_and_exits_1() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let messy = write(dir.path(), "messy.rgp", MESSY);
    let fine = write(dir.path(), "fine.rgp", CANONICAL);
    let json = write(dir.path(), "messy.json", JSON_MESSY);
    let out = ramgate(&["fmt", "--check", &messy, &fine, &json], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{messy}\n{json}\n"));
    // Nothing was written.
    assert_eq!(read(&messy), MESSY);
    let out = ramgate(&["fmt", "--check", &fine], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn fmt_rewrites_dsl_keeping_comments_and_json_canonically() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let messy = write(dir.path(), "messy.rgp", MESSY);
    let json = write(dir.path(), "messy.json", JSON_MESSY);
    let out = ramgate(&["fmt", &messy, &json], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(read(&messy), CANONICAL);
    assert_eq!(
        read(&json),
        "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"kms:Decrypt\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n"
    );
    let again = ramgate(&["fmt", "--check", &messy, &json], None);
    assert_eq!(again.status.code(), Some(0));
    // No stray files are left next to them.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fmt_of_standard_input_writes_standard_output() {
    let out = ramgate(&["fmt", "-"], Some(MESSY));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), CANONICAL);
}

#[test]
fn fmt_refuses_an_invalid_file_with_its_location_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad_src = "version 1\nallow kms:* on * when IpAddress acs:SourceIp 10.0.0.0/40\n";
    let bad = write(dir.path(), "bad.rgp", bad_src);
    let messy = write(dir.path(), "messy.rgp", MESSY);
    let out = ramgate(&["fmt", &bad, &messy], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("error: {bad}:2:46: Statement[0].Condition.IpAddress.\"acs:SourceIp\": invalid value for `IpAddress`")),
        "{err}"
    );
    assert!(
        err.contains("2 | allow kms:* on * when IpAddress acs:SourceIp 10.0.0.0/40\n  |"),
        "{err}"
    );
    assert_eq!(read(&bad), bad_src);
    // The other file is still formatted.
    assert_eq!(read(&messy), CANONICAL);
}

#[test]
fn fmt_needs_the_kind_of_a_resource_policy() {
    let src = "version 1\n\nallow kms:*\n  principal ram acs:ram::1234567890123456:root\n  on *\n";
    let out = ramgate(&["fmt", "--check", "-"], Some(src));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("<stdin>:5:3: Statement[0].Resource: trust policies have no `Resource`")
    );
    let out = ramgate(&["fmt", "--check", "--kind", "resource", "-"], Some(src));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn convert_prints_the_other_syntax_both_ways() {
    let out = ramgate(&["convert", "--to", "json", "-"], Some(MESSY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(
        json.starts_with("{\n  \"Version\": \"1\",\n  \"Statement\": ["),
        "{json}"
    );
    assert!(!json.contains("//"));
    let back = ramgate(&["convert", "--to", "dsl", "-"], Some(&json));
    assert_eq!(
        text(&back.stdout),
        "version 1\n\nallow [kms:Decrypt, kms:Encrypt]\n  on *\n"
    );
    let same = ramgate(&["convert", "--to", "dsl", "-"], Some(MESSY));
    assert_eq!(text(&same.stdout), text(&back.stdout));
    let bad = ramgate(
        &["convert", "--to", "json", "-"],
        Some("version 1\nallow kms:*\n"),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("the statement has no `Resource`"));
    let usage = ramgate(&["convert", "-"], None);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn eval_reads_dsl_policies_and_reports_their_locations() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let policy = write(
        dir.path(),
        "keys.rgp",
        "version 1\n\n// crypto user\n@sid(UseKeys)\nallow kms:Decrypt\n  on *\n\ndeny kms:*\n  on *\n  when StringNotLike acs:SourceVpc vpc-*\n",
    );
    let args = [
        "eval",
        "--policy",
        &policy,
        "--action",
        "kms:Decrypt",
        "--resource",
        "acs:kms:cn-hangzhou:1234567890123456:key/k",
    ];
    let denied = ramgate(&args, None);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        text(&denied.stdout).contains(&format!("denied by {policy}:8:1 statement 1")),
        "{}",
        text(&denied.stdout)
    );
    let mut vpc = args.to_vec();
    vpc.extend(["--context", "acs:SourceVpc=vpc-1"]);
    let allowed = ramgate(&vpc, None);
    assert_eq!(allowed.status.code(), Some(0));
    assert!(
        text(&allowed.stdout).contains(&format!("allowed by {policy}:4:1 statement 0 (UseKeys)")),
        "{}",
        text(&allowed.stdout)
    );
    let broken = write(
        dir.path(),
        "broken.rgp",
        "version 1\nallow kms:Decrypt on * when Bool acs:MFAPresent maybe\n",
    );
    let out = ramgate(
        &[
            "eval",
            "--policy",
            &broken,
            "--action",
            "kms:Decrypt",
            "--resource",
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "{broken}:2:49: Statement[0].Condition.Bool.\"acs:MFAPresent\""
        )),
        "{}",
        text(&out.stderr)
    );
}
