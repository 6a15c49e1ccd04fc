//! Every lint check against its data-driven case (a policy that triggers it
//! and a near-miss that does not), the seed document, the spec's example
//! policies and the shipped system policies.

#![cfg(feature = "lint")]

use std::collections::BTreeSet;
use std::path::Path;

use ramgate::lint::{Config, Finding, Severity, catalogue, lint_source};
use ramgate::policy::PolicyKind;
use serde_json::Value;

fn data(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(&data("lint/cases.json")).unwrap_or_else(|e| panic!("{e}"));
    v["cases"].as_array().cloned().unwrap_or_default()
}

fn kind_of(case: &Value) -> Option<PolicyKind> {
    case["kind"]
        .as_str()
        .map(|k| k.parse().unwrap_or_else(|e| panic!("{e}")))
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn every_check_fires_on_its_case_and_not_on_the_near_miss() {
    let config = Config::default();
    let mut failures = Vec::new();
    for case in cases() {
        let code = case["code"].as_str().unwrap_or_default();
        let kind = kind_of(&case);
        let trigger = lint_source(case["trigger"].as_str().unwrap_or_default(), kind, &config);
        let hit = trigger.iter().find(|f| f.code == code);
        match (hit, case["path"].as_str()) {
            (None, _) => failures.push(format!("{code}: not reported; got {:?}", codes(&trigger))),
            (Some(f), Some(path)) if f.path != path => failures.push(format!(
                "{code}: reported at `{}`, expected `{path}`",
                f.path
            )),
            (Some(f), _) if f.span.line == 0 || f.span.column == 0 => {
                failures.push(format!("{code}: no line and column"))
            }
            _ => {}
        }
        let near = lint_source(
            case["near_miss"].as_str().unwrap_or_default(),
            kind,
            &config,
        );
        if near.iter().any(|f| f.code == code) {
            failures.push(format!("{code}: near-miss reported too: {near:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_cases_cover_exactly_the_catalogued_checks() {
    let in_cases: BTreeSet<String> = cases()
        .iter()
        .map(|c| c["code"].as_str().unwrap_or_default().to_string())
        .collect();
    let in_catalogue: BTreeSet<String> =
        catalogue::checks().iter().map(|c| c.code.clone()).collect();
    assert_eq!(in_cases, in_catalogue);
    assert!(in_catalogue.len() >= 46);
    for code in [
        "json-syntax",
        "missing-version",
        "invalid-version",
        "missing-statement",
        "missing-effect",
        "invalid-effect",
        "missing-action",
        "action-and-not-action",
        "missing-resource",
        "unsupported-element",
        "invalid-action-format",
        "invalid-arn",
        "invalid-arn-prefix",
        "invalid-account-id",
        "unknown-condition-operator",
        "invalid-condition-key",
        "invalid-condition-value",
        "principal-in-identity-policy",
        "resource-in-trust-policy",
        "missing-principal",
        "invalid-principal",
        "policy-too-large",
        "allow-all",
        "allow-all-actions",
        "pass-role-wildcard",
        "allow-not-action",
        "trust-any-principal",
        "for-all-values-single-valued-key",
        "permissions-management",
        "cross-account-trust-without-condition",
        "unknown-service",
        "unknown-action",
        "unknown-condition-key",
        "wildcard-without-like",
        "duplicate-sid",
        "resource-mismatch",
        "source-ip-host-route",
        "statement-not-array",
        "empty-array",
        "empty-condition",
        "empty-sid",
        "redundant-action",
        "redundant-resource",
        "redundant-statement",
        "redundant-condition-value",
        "ip-range-host-bits",
    ] {
        assert!(
            in_catalogue.contains(code),
            "the issue's check `{code}` is missing"
        );
    }
}

#[test]
fn findings_carry_the_catalogue_severity_and_a_one_sentence_message() {
    let config = Config::default();
    for case in cases() {
        for f in lint_source(
            case["trigger"].as_str().unwrap_or_default(),
            kind_of(&case),
            &config,
        ) {
            let check =
                catalogue::check(f.code).unwrap_or_else(|| panic!("{} not catalogued", f.code));
            assert_eq!(f.severity, check.severity, "{}", f.code);
            assert!(
                !f.message.is_empty() && !f.message.ends_with('.'),
                "{}: {}",
                f.code,
                f.message
            );
            // Something missing has no value to name, a size is a number;
            // everything else names the offending value in backticks.
            let names_value = f.message.contains('`')
                || f.message.contains("no statement")
                || f.message.contains(|c: char| c.is_ascii_digit());
            assert!(
                names_value,
                "{}: message names no value: {}",
                f.code, f.message
            );
        }
    }
}

#[test]
fn several_errors_in_one_file_are_all_reported_each_at_its_place() {
    let src = r#"{
  "Version": "2",
  "Statement": [
    {"Effect": "allow", "Action": "log:GetLogStore", "Resource": "*"},
    {"Action": "log GetLogStore", "Resource": "*"}
  ]
}"#;
    let f = lint_source(src, None, &Config::default());
    let got: Vec<(&str, u32, u32)> = f
        .iter()
        .map(|f| (f.code, f.span.line, f.span.column))
        .collect();
    assert_eq!(
        got,
        [
            ("invalid-version", 2, 14),
            ("invalid-effect", 4, 16),
            ("missing-effect", 5, 5),
        ]
    );
}

#[test]
fn a_broken_statement_does_not_hide_the_semantics_of_the_others() {
    let src = r#"{"Version": "1", "Statement": [
 {"Effect": "Alow", "Action": "*", "Resource": "*"},
 {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "*"}]}"#;
    let f = lint_source(src, None, &Config::default());
    assert_eq!(codes(&f), ["invalid-effect", "pass-role-wildcard"]);
    assert_eq!(f[1].path, "Statement[1].Resource");
}

#[test]
fn the_seed_passrole_policy_with_its_comment_is_a_json_syntax_error_at_the_comment() {
    let src = data("lint/seed-passrole-commented.json");
    let f = lint_source(&src, None, &Config::default());
    assert_eq!(codes(&f), ["json-syntax"]);
    let (line, column) = src
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find('#').map(|c| (i + 1, l[..c].chars().count() + 1)))
        .unwrap_or_default();
    assert_eq!(
        (f[0].span.line, f[0].span.column),
        (line as u32, column as u32)
    );
    assert_eq!((line, column), (7, 44));
    assert_eq!(f[0].message, "invalid JSON: expected `,` or `}`, found `#`");
    assert_eq!(
        f[0].help.as_deref(),
        Some("JSON has no comments; delete the comment")
    );
}

#[test]
fn the_seed_passrole_policy_without_the_comment_is_a_pass_role_wildcard() {
    let src = data("lint/seed-passrole.json");
    let f = lint_source(&src, None, &Config::default());
    assert_eq!(codes(&f), ["pass-role-wildcard"]);
    assert_eq!(f[0].severity, Severity::SecurityWarning);
    assert_eq!(f[0].path, "Statement[0].Resource");
    let s = f[0].span;
    assert_eq!((s.line, s.column, s.end_line, s.end_column), (7, 29, 7, 41));
    assert_eq!(&src[s.start..s.end], "\"acs:ram::*\"");
}

/// The example vectors whose error or security-warning findings are what
/// the vector demonstrates. Everything else must be free of both.
const EXPECTED_IN_EXAMPLES: &[(usize, &str, &str)] = &[
    (1, "allow-all", "AdministratorAccess-style `*` on `*`"),
    (
        9,
        "pass-role-wildcard",
        "`ram:*` on `*`: full RAM administration behind MFA",
    ),
    (9, "permissions-management", "the same `ram:*` on `*`"),
    (11, "allow-not-action", "PowerUserAccess: Allow + NotAction"),
    (
        11,
        "permissions-management",
        "PowerUserAccess: NotAction grants kms/oss policy writes; CreateRole/AttachPolicyToRole on role/* and policy/*",
    ),
    (
        11,
        "pass-role-wildcard",
        "PowerUserAccess: ram:PassRole on `*`",
    ),
    (
        14,
        "cross-account-trust-without-condition",
        "cross-account role trust without ExternalId",
    ),
    (
        20,
        "cross-account-trust-without-condition",
        "the same cross-account trust, in a chain",
    ),
];

#[test]
fn the_spec_examples_have_no_errors_or_security_warnings_beyond_their_subject() {
    let examples: Value =
        serde_json::from_str(&data("ram-examples.json")).unwrap_or_else(|e| panic!("{e}"));
    let config = Config::default();
    let mut found: BTreeSet<(usize, &'static str)> = BTreeSet::new();
    let mut unexpected = Vec::new();
    for (i, v) in examples
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let docs: Vec<(Option<PolicyKind>, &Value)> = match v.get("policy") {
            Some(p) => vec![(None, p)],
            None => v["policies"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            (
                                p["kind"].as_str().and_then(|k| k.parse().ok()),
                                &p["document"],
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        for (kind, doc) in docs {
            let src = serde_json::to_string_pretty(doc).unwrap_or_default();
            for f in lint_source(&src, kind, &config) {
                if f.severity < Severity::SecurityWarning {
                    continue;
                }
                if EXPECTED_IN_EXAMPLES
                    .iter()
                    .any(|(n, c, _)| *n == i && *c == f.code)
                {
                    found.insert((i, f.code));
                } else {
                    unexpected.push(format!(
                        "vector {i}: {} at {}: {}",
                        f.code, f.path, f.message
                    ));
                }
            }
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    let expected: BTreeSet<(usize, &str)> = EXPECTED_IN_EXAMPLES
        .iter()
        .map(|(n, c, _)| (*n, *c))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn the_system_policies_have_no_findings_but_administrator_access_is_allow_all() {
    // The system policies ramgate ships (`src/ram/system/`), as RAM has them.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ram/system");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let src = std::fs::read_to_string(entry.path()).unwrap_or_else(|e| panic!("{e}"));
        let f = lint_source(&src, None, &Config::default());
        if name == "AdministratorAccess.json" {
            assert_eq!(codes(&f), ["allow-all"], "{name}");
        } else {
            assert!(f.is_empty(), "{name}: {f:?}");
        }
        names.push(name);
    }
    assert!(names.len() >= 6, "{names:?}");
}

#[test]
fn configuration_switches_checks_off_and_changes_severities() {
    let src = data("lint/seed-passrole.json");
    let mut config = Config::default();
    config
        .set_severity("pass-role-wildcard", Severity::Error)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lint_source(&src, None, &config)[0].severity,
        Severity::Error
    );
    config
        .disable("pass-role-wildcard")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(lint_source(&src, None, &config).is_empty());
    assert!(config.disable("pass-role").is_err());
}

#[test]
fn the_kind_is_inferred_as_eval_does_and_can_be_forced() {
    let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": ["log.aliyuncs.com"]}}]}"#;
    assert!(lint_source(trust, None, &Config::default()).is_empty());
    let forced = lint_source(trust, Some(PolicyKind::Identity), &Config::default());
    // Source order: the statement's `{` (missing `Resource`) before its `Principal` key.
    assert_eq!(
        codes(&forced),
        ["missing-resource", "principal-in-identity-policy"]
    );
}

#[test]
fn incomplete_catalogues_report_only_near_misses() {
    let policy = |action: &str| {
        format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}"#
        )
    };
    let config = Config::default();
    // `rds` is not marked complete: a plausible new action is not a finding,
    let f = lint_source(&policy("rds:DescribeSomethingNew"), None, &config);
    assert!(f.is_empty(), "{f:?}");
    // but a near-miss of a known one is, with the fix.
    let f = lint_source(&policy("rds:DescribeDBInstance"), None, &config);
    assert_eq!(codes(&f), ["unknown-action"]);
    assert_eq!(
        f[0].help.as_deref(),
        Some("did you mean `rds:DescribeDBInstances`?")
    );
    // `kms` is complete: every unknown action is reported.
    let f = lint_source(&policy("kms:MakeCoffee"), None, &config);
    assert_eq!(codes(&f), ["unknown-action"]);
    // Services not in the catalogue at all are never second-guessed.
    assert!(lint_source(&policy("cms:Whatever"), None, &config).is_empty());
}

/// The files that carry the generated checks table.
const TABLE_FILES: [&str; 2] = ["README.md", "docs/lint-checks.md"];

#[test]
fn the_checks_tables_in_the_docs_are_the_generated_one() {
    for file in TABLE_FILES {
        let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .unwrap_or_else(|e| panic!("{e}"));
        let start = doc
            .find("<!-- checks:start -->\n")
            .map(|i| i + "<!-- checks:start -->\n".len());
        let end = doc.find("<!-- checks:end -->");
        let (Some(start), Some(end)) = (start, end) else {
            panic!("{file} lacks the checks:start / checks:end markers")
        };
        assert_eq!(
            &doc[start..end],
            catalogue::markdown_table(),
            "{file} is stale: regenerate it with `cargo test --test lint_checks -- --ignored regenerate_the_checks_tables`"
        );
    }
}

/// Rewrites the tables from the catalogue.
#[test]
#[ignore = "writes README.md and docs/lint-checks.md; run by hand after changing checks.json"]
fn regenerate_the_checks_tables() {
    for file in TABLE_FILES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        let head = doc
            .split("<!-- checks:start -->")
            .next()
            .unwrap_or("")
            .to_string();
        let tail = doc
            .split("<!-- checks:end -->")
            .nth(1)
            .unwrap_or("\n")
            .to_string();
        let new = format!(
            "{head}<!-- checks:start -->\n{}<!-- checks:end -->{tail}",
            catalogue::markdown_table()
        );
        std::fs::write(&path, new).unwrap_or_else(|e| panic!("{e}"));
    }
}
