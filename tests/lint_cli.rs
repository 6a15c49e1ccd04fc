//! `ramgate lint` through the binary: paths, globs, directories, standard
//! input, configuration, output formats (SARIF validated against the
//! SARIF 2.1.0 schema) and exit status.

#![cfg(feature = "cli")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn ramgate(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CLEAN: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "log:GetLogStore", "Resource": "acs:log:*:*:project/p/logstore/l"}]}"#;
const SUGGESTION_ONLY: &str = r#"{"Version": "1", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "log:GetLogStore", "Resource": "acs:log:*:*:project/p/logstore/l"}]}"#;

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

fn seed(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exit_status_follows_fail_on() {
    let dir = dir_with(&[
        ("pass.json", &seed("lint/seed-passrole.json")),
        ("clean.json", CLEAN),
        ("tidy.json", SUGGESTION_ONLY),
    ]);
    let d = dir.path();
    assert_eq!(ramgate(&["lint", "pass.json"], d).status.code(), Some(1));
    assert_eq!(
        ramgate(&["lint", "--fail-on", "error", "pass.json"], d)
            .status
            .code(),
        Some(0)
    );
    let clean = ramgate(&["lint", "clean.json"], d);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(stdout(&clean), "no findings in 1 file (no configuration)\n");
    assert_eq!(ramgate(&["lint", "tidy.json"], d).status.code(), Some(0));
    assert_eq!(
        ramgate(&["lint", "--fail-on", "suggestion", "tidy.json"], d)
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn human_output_is_rustc_style_with_a_caret_under_the_span() {
    let dir = dir_with(&[("pass.json", &seed("lint/seed-passrole.json"))]);
    let out = stdout(&ramgate(&["lint", "pass.json"], dir.path()));
    let expected = "security-warning[pass-role-wildcard]: `ram:PassRole` is allowed on `acs:ram::*`, which covers every role
  --> pass.json:7:29
  |
7 |                 \"Resource\": \"acs:ram::*\"
  |                             ^^^^^^^^^^^^
  = at: Statement[0].Resource
  = help: name the role: `acs:ram::<account-id>:role/<role-name>`

1 finding in 1 file: 1 security-warning (no configuration)
";
    assert_eq!(out, expected);
}

#[test]
fn json_output_is_an_array_with_the_contract_fields() {
    let dir = dir_with(&[("c.json", &seed("lint/seed-passrole-commented.json"))]);
    let out = ramgate(&["lint", "--format", "json", "c.json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["configuration"], Value::Null);
    let rows = v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {v}"));
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    for field in [
        "file", "code", "severity", "message", "path", "line", "column",
    ] {
        assert!(r.get(field).is_some(), "missing `{field}` in {r}");
    }
    assert_eq!(r["file"], "c.json");
    assert_eq!(r["code"], "json-syntax");
    assert_eq!(r["severity"], "error");
    assert_eq!(
        (r["line"].as_u64(), r["column"].as_u64()),
        (Some(7), Some(44))
    );
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let dir = dir_with(&[
        ("pass.json", &seed("lint/seed-passrole.json")),
        ("broken.json", &seed("lint/seed-passrole-commented.json")),
        ("dir with space/tidy.json", SUGGESTION_ONLY),
        (
            "unicode-é.json",
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:GenerateDataKeys", "Resource": "*", "Sid": "é"}]}"#,
        ),
    ]);
    let out = ramgate(&["lint", "--format", "sarif", "."], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(data("sarif-schema-2.1.0.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The validator does reject what the schema forbids.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&bad));
    // What GitHub code scanning reads.
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rules.len(), ramgate::lint::catalogue::checks().len());
    // The configuration applied is recorded with the invocation (S8).
    assert_eq!(
        run["invocations"][0]["properties"]["configuration"],
        Value::Null
    );
    let results = run["results"].as_array().cloned().unwrap_or_default();
    let codes: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(
        codes.contains(&"pass-role-wildcard") && codes.contains(&"json-syntax"),
        "{codes:?}"
    );
    for r in &results {
        let index = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64() >= Some(1), "{r}");
        assert!(region["startColumn"].as_u64() >= Some(1), "{r}");
    }
    let pass = results
        .iter()
        .find(|r| r["ruleId"] == "pass-role-wildcard")
        .cloned()
        .unwrap_or_default();
    assert_eq!(pass["level"], "error");
    assert_eq!(
        pass["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "./pass.json"
    );
    let region = &pass["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(7), Some(29), Some(41))
    );
    let uris: Vec<&str> = results
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(uris.contains(&"./dir%20with%20space/tidy.json"), "{uris:?}");
}

#[test]
fn quoted_glob_patterns_are_expanded_by_ramgate() {
    let dir = dir_with(&[
        ("policies/a.json", CLEAN),
        ("policies/b.json", &seed("lint/seed-passrole.json")),
        ("policies/notes.txt", "not a policy"),
    ]);
    let out = ramgate(&["lint", "--format", "json", "policies/*.json"], dir.path());
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<&str> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["file"].as_str())
        .collect();
    assert_eq!(files, ["policies/b.json"]);
    assert_eq!(out.status.code(), Some(1));
    let none = ramgate(&["lint", "nothing/*.json"], dir.path());
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("no file matches `nothing/*.json`"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn directories_are_walked_for_policy_files_and_unreadable_paths_exit_2() {
    let dir = dir_with(&[
        ("p/one.json", CLEAN),
        ("p/deep/two.json", SUGGESTION_ONLY),
        ("p/.hidden/three.json", "{"),
        ("p/readme.md", "{"),
    ]);
    let out = ramgate(&["lint", "p"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("1 finding in 2 files: 1 suggestion (no configuration)\n"),
        "{}",
        stdout(&out)
    );
    let out = ramgate(&["lint", "p", "missing.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read `missing.json`"),
        "{}",
        stderr(&out)
    );
    // The readable files are still reported.
    assert!(stdout(&out).contains("empty-sid"), "{}", stdout(&out));
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(["lint", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child
        .stdin
        .take()
        .map(|mut s| s.write_all(seed("lint/seed-passrole.json").as_bytes()))
        .transpose()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert_eq!(v["findings"][0]["code"], "pass-role-wildcard");
}

#[test]
fn ramgate_toml_in_a_parent_directory_configures_the_run() {
    // The parent is the repository root: discovery stops there.
    let dir = dir_with(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (
            "ramgate.toml",
            "[lint]\ndisable = [\"pass-role-wildcard\"]\nignore = [\"vendor/**\"]\n\n[lint.severity]\nempty-sid = \"error\"\n",
        ),
        ("sub/pass.json", &seed("lint/seed-passrole.json")),
        ("sub/tidy.json", SUGGESTION_ONLY),
        ("vendor/bad.json", "{"),
    ]);
    let sub = dir.path().join("sub");
    let out = ramgate(
        &["lint", "--format", "json", "pass.json", "tidy.json"],
        &sub,
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let expected = dir.path().join("ramgate.toml").display().to_string();
    assert_eq!(v["configuration"], Value::from(expected));
    let got: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["code"].as_str().unwrap_or(""),
                r["severity"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, [("empty-sid", "error")]);
    assert_eq!(out.status.code(), Some(1));
    // `ignore` keeps walks away from vendor/.
    let out = ramgate(&["lint", "."], dir.path());
    assert!(!stdout(&out).contains("vendor"), "{}", stdout(&out));
    // An explicit --config wins, and a broken one is exit 2.
    std::fs::write(
        dir.path().join("other.toml"),
        "[lint]\ndisable = [\"empty-sids\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = ramgate(&["lint", "--config", "../other.toml", "tidy.json"], &sub);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown check code `empty-sids`, did you mean `empty-sid`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn disable_and_min_severity_options() {
    let dir = dir_with(&[
        ("pass.json", &seed("lint/seed-passrole.json")),
        ("tidy.json", SUGGESTION_ONLY),
    ]);
    let d = dir.path();
    let out = ramgate(&["lint", "--disable", "pass-role-wildcard", "pass.json"], d);
    assert_eq!(out.status.code(), Some(0));
    let out = ramgate(&["lint", "--disable", "pass-role", "pass.json"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `pass-role-wildcard`?"),
        "{}",
        stderr(&out)
    );
    let out = ramgate(&["lint", "--min-severity", "warning", "tidy.json"], d);
    assert_eq!(stdout(&out), "no findings in 1 file (no configuration)\n");
    // --fail-on judges every finding, shown or not.
    let out = ramgate(
        &[
            "lint",
            "--min-severity",
            "error",
            "--fail-on",
            "suggestion",
            "tidy.json",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explain_prints_the_catalogue_entry() {
    let dir = dir_with(&[]);
    let out = ramgate(&["lint", "--explain", "pass-role-wildcard"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with("pass-role-wildcard [security-warning]: `ram:PassRole` on every role\n"),
        "{text}"
    );
    assert!(text.contains("fix, for example: "), "{text}");
    let out = ramgate(&["lint", "--explain", "passrole-wildcard"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `pass-role-wildcard`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_kind_option_forces_the_policy_kind() {
    let dir = dir_with(&[(
        "trust.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["log.aliyuncs.com"]}}]}"#,
    )]);
    let d = dir.path();
    assert_eq!(ramgate(&["lint", "trust.json"], d).status.code(), Some(0));
    let out = ramgate(
        &[
            "lint",
            "--kind",
            "identity",
            "--format",
            "json",
            "trust.json",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("principal-in-identity-policy"),
        "{}",
        stdout(&out)
    );
}
