//! Resource-policy dialects, placeholder account ids, keys RAM evaluates as
//! absent and MaxCompute ARNs: what real policies write and the linter
//! must not call errors; and `ramgate eval --kind <dialect>`.

#![cfg(feature = "cli")]

use std::process::Command;

use ramgate::lint::{Config, Finding, KindSpec, Severity, lint_document, lint_source};
use ramgate::policy::{Dialect, PolicyKind};

fn policy(statement: &str) -> String {
    format!(r#"{{"Version": "1", "Statement": [{statement}]}}"#)
}

fn lint(src: &str, kind: &str) -> Vec<Finding> {
    let kind: KindSpec = kind.parse().unwrap_or_else(|e| panic!("{e}"));
    lint_document(src, Some(kind), &Config::default())
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

fn errors(f: &[Finding]) -> Vec<&'static str> {
    f.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect()
}

const BUCKET: &str = r#"{"Effect": "Allow", "Action": ["oss:GetObject"],
    "Principal": ["1234567890123456"],
    "Resource": ["acs:oss:*:1234567890123456:examplebucket/*"]}"#;

#[test]
fn each_dialect_takes_its_own_principal_forms() {
    let oss_list = policy(BUCKET);
    let star = policy(r#"{"Effect": "Allow", "Action": "*", "Principal": "*", "Resource": "*"}"#);
    let kms = policy(
        r#"{"Effect": "Allow", "Action": "kms:*", "Principal": {"RAM": ["acs:ram::1234567890123456:*"]}, "Resource": "*"}"#,
    );
    let odps = policy(
        r#"{"Effect": "Allow", "Action": "odps:Read", "Principal": ["ALIYUN$alice@aliyun.com", "RAM$alice@aliyun.com:bob"], "Resource": "acs:odps:*:projects/p/tables/*"}"#,
    );
    // Taken: no error.
    for (src, kind) in [
        (&oss_list, "oss-bucket"),
        (&oss_list, "resource"),
        (&star, "vpc-endpoint"),
        (&star, "resource"),
        (&kms, "kms-key"),
        (&kms, "kms-secret"),
        (&kms, "vpc-endpoint"),
        (&kms, "resource"),
        (&odps, "maxcompute-project"),
        (&odps, "resource"),
    ] {
        assert_eq!(
            errors(&lint(src, kind)),
            Vec::<&str>::new(),
            "{kind}: {src}"
        );
    }
    // Not taken by the service that stores it: `invalid-principal`, which
    // says what the dialect takes.
    for (src, kind) in [
        (&oss_list, "kms-key"),
        (&star, "kms-secret"),
        (&kms, "oss-bucket"),
        (&kms, "maxcompute-project"),
        (&kms, "oss-access-point"),
    ] {
        let f = lint(src, kind);
        let bad = f.iter().find(|f| f.code == "invalid-principal");
        let bad = bad.unwrap_or_else(|| panic!("{kind}: {f:?}"));
        assert_eq!(bad.severity, Severity::Error);
        assert!(bad.message.contains("takes no"), "{}", bad.message);
    }
    // Trust policies keep the object form.
    let trust = policy(
        r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": ["1234567890123456"]}"#,
    );
    assert_eq!(
        errors(&lint_source(
            &trust,
            Some(PolicyKind::Trust),
            &Config::default()
        )),
        ["invalid-principal"]
    );
}

#[test]
fn the_dialect_is_recognised_from_the_resources_under_kind_resource() {
    let under = |resource: &str| {
        policy(&format!(
            r#"{{"Effect": "Allow", "Action": "oss:GetObject", "Principal": {{"RAM": ["acs:ram::1234567890123456:root"]}}, "Resource": "{resource}"}}"#
        ))
    };
    // A RAM principal object on an OSS bucket is not a bucket policy's form…
    let f = lint(&under("acs:oss:*:1234567890123456:b/*"), "resource");
    assert_eq!(errors(&f), ["invalid-principal"]);
    assert!(
        f[0].message.contains("an OSS bucket policy"),
        "{}",
        f[0].message
    );
    let f = lint(
        &under("acs:oss:cn-hangzhou:1234567890123456:accesspoint/ap/object/*"),
        "resource",
    );
    assert!(
        f[0].message.contains("an OSS access-point policy"),
        "{}",
        f[0].message
    );
    // …but with `"Resource": "*"` nothing tells the dialects apart.
    assert_eq!(errors(&lint(&under("*"), "resource")), Vec::<&str>::new());
    assert_eq!(
        Dialect::recognise(["acs:kms:cn-hangzhou:1234567890123456:key/k"]),
        Dialect::KmsKey
    );
}

#[test]
fn placeholder_account_ids_are_warnings_that_say_what_they_match() {
    let at = |resource: &str| {
        let src = policy(&format!(
            r#"{{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "{resource}"}}"#
        ));
        let f = lint_source(&src, None, &Config::default());
        assert_eq!(codes(&f), ["placeholder-account-id"], "{resource}");
        assert_eq!(f[0].severity, Severity::Warning);
        f[0].message.clone()
    };
    assert!(at("acs:oss:*:193248792425xxxx:b/*").contains("matches no account"));
    assert!(at("acs:oss:*:177530505652XXXX:b/*").contains("matches no account"));
    assert!(at("acs:oss:*:<yourloginUserId>:b/*").contains("matches no account"));
    assert!(at("acs:oss:*:$accountId:b/*").contains("matches no account"));
    assert!(at("acs:oss:*:123456:b/*").contains("6 digits"));
    assert!(
        at("acs:oss:*:123456789012****:b/*")
            .contains("matches every account whose id starts with `123456789012`")
    );
    // In principals too: a masked KMS key-policy principal is not "any
    // account" but every account with that prefix.
    let src = policy(
        r#"{"Effect": "Allow", "Action": "kms:*", "Principal": {"RAM": ["acs:ram::119285303511****:*"]}, "Resource": "*"}"#,
    );
    let f = lint(&src, "kms-key");
    assert_eq!(codes(&f), ["placeholder-account-id"]);
    let src = policy(
        r#"{"Effect": "Allow", "Action": "oss:GetObject", "Principal": ["20214760404935xxxx"], "Resource": "acs:oss:*:1234567890123456:b/*"}"#,
    );
    assert_eq!(codes(&lint(&src, "oss-bucket")), ["placeholder-account-id"]);
    // A real id of either length OSS uses (accounts 16, RAM users 18) is fine.
    let src = policy(
        r#"{"Effect": "Allow", "Action": "oss:GetObject", "Principal": ["202147604049359142"], "Resource": "acs:oss:*:1234567890123456:b/*"}"#,
    );
    assert!(lint(&src, "oss-bucket").is_empty());
}

#[test]
fn a_key_without_a_prefix_is_a_warning_evaluated_as_absent() {
    // Alibaba's AHAS policies condition on `Action`.
    let src = policy(
        r#"{"Effect": "Allow", "Action": "ahas:*", "Resource": "*", "Condition": {"StringEquals": {"Action": ["ahas:GetApp"]}}}"#,
    );
    let f = lint_source(&src, None, &Config::default());
    assert_eq!(codes(&f), ["invalid-condition-key"]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("as absent"), "{}", f[0].message);
}

#[test]
fn maxcompute_four_field_arns_are_accepted() {
    for r in [
        "acs:odps:*:projects/project_name/authorization/roles",
        "acs:odps:*:projects/project_name/authorization/packages",
        "acs:odps:*:projects/p/tables/*",
    ] {
        let src = policy(&format!(
            r#"{{"Effect": "Allow", "Action": "odps:*", "Resource": "{r}"}}"#
        ));
        assert!(
            lint_source(&src, None, &Config::default()).is_empty(),
            "{r}"
        );
    }
    // Other services still need five fields.
    let src =
        policy(r#"{"Effect": "Allow", "Action": "oss:*", "Resource": "acs:oss:*:projects/p"}"#);
    assert_eq!(
        codes(&lint_source(&src, None, &Config::default())),
        ["invalid-arn"]
    );
}

fn ramgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn eval_reads_an_oss_bucket_policy_and_refuses_the_wrong_dialect() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("bucket.json");
    std::fs::write(&file, policy(BUCKET)).unwrap_or_else(|e| panic!("{e}"));
    let file = file.to_string_lossy().to_string();
    let eval = |kind: &str, principal: &str| {
        ramgate(&[
            "eval",
            "--kind",
            kind,
            "--policy",
            &file,
            "--action",
            "oss:GetObject",
            "--resource",
            "acs:oss:*:1234567890123456:examplebucket/a.txt",
            "--principal",
            principal,
        ])
    };
    // The account the bucket policy names, and a user of it, are allowed;
    let out = eval("oss-bucket", "acs:ram::1234567890123456:user/alice");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // another account is not.
    assert_eq!(
        eval("oss-bucket", "acs:ram::6543210987654321:user/bob")
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        eval("resource", "acs:ram::1234567890123456:root")
            .status
            .code(),
        Some(0)
    );
    // A KMS key policy has no plain principal list.
    let out = eval("kms-key", "acs:ram::1234567890123456:root");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a KMS key policy takes no `plain list` principal"),
        "{err}"
    );
    // Recognised from the resources under `--kind resource`: a RAM object
    // is not an OSS bucket policy's `Principal`.
    let ram_object = policy(&BUCKET.replace(
        r#"["1234567890123456"]"#,
        r#"{"RAM": ["acs:ram::1234567890123456:root"]}"#,
    ));
    std::fs::write(&file, ram_object).unwrap_or_else(|e| panic!("{e}"));
    let out = eval("resource", "acs:ram::1234567890123456:root");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("an OSS bucket policy takes no `RAM` principal"),
        "{err}"
    );
    std::fs::write(&file, policy(BUCKET)).unwrap_or_else(|e| panic!("{e}"));
    // And the linter says the same through `--kind`.
    let out = ramgate(&["lint", "--kind", "vpc-endpoint", "--format", "json", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_plain_principal_list_makes_a_resource_policy_without_kind() {
    let src = policy(BUCKET);
    // Inferred, as `ramgate eval` infers it: no `--kind` needed.
    assert!(lint_source(&src, None, &Config::default()).is_empty());
    let p = ramgate::policy::Policy::parse(&src, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.kind, PolicyKind::Resource);
    // The DSL form reads back the same, and only as a resource policy.
    let dsl = p.to_dsl();
    let back = ramgate::policy::Policy::parse(&dsl, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, p);
    let e = ramgate::policy::Policy::parse(&dsl, Some(PolicyKind::Trust));
    let e = e.map(|_| ()).map_err(|e| e.to_string());
    assert!(
        e.as_ref().is_err_and(|m| m.contains("a plain list")),
        "{e:?}"
    );
}

#[test]
fn a_dialect_checks_its_arn_formats_and_knows_its_condition_keys() {
    let bucket = |resource: &str, condition: &str| {
        policy(&format!(
            r#"{{"Effect": "Allow", "Action": "oss:PutObject", "Principal": ["1234567890123456"], "Resource": "{resource}"{condition}}}"#
        ))
    };
    // A bucket policy's resources are the bucket and its objects, a VPC
    // endpoint's anything.
    assert!(lint(&bucket("acs:oss:*:1234567890123456:b/*", ""), "oss-bucket").is_empty());
    let f = lint(
        &bucket("acs:oss:cn-hangzhou:1234567890123456:b/report.csv", ""),
        "oss-access-point",
    );
    assert_eq!(codes(&f), ["resource-mismatch"]);
    assert!(
        f[0].message
            .contains("is not a resource of an OSS access-point policy"),
        "{}",
        f[0].message
    );
    assert!(
        lint(
            &bucket("acs:oss:cn-hangzhou:1234567890123456:b/*", ""),
            "vpc-endpoint"
        )
        .is_empty()
    );
    // OSS's own keys are known in OSS dialects only.
    let acl = r#", "Condition": {"StringEquals": {"oss:x-oss-object-acl": "private"}}"#;
    assert!(lint(&bucket("acs:oss:*:1234567890123456:b/*", acl), "oss-bucket").is_empty());
    let src = bucket("acs:oss:*:1234567890123456:b/*", acl)
        .replace(r#""Principal": ["1234567890123456"], "#, "");
    assert_eq!(
        codes(&lint_source(&src, None, &Config::default())),
        ["unknown-condition-key"]
    );
}
