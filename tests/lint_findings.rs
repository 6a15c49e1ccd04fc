//! The three kinds of findings other linters' suites hold out: unknown
//! actions of every catalogued service, actions whose service matches none
//! of the statement's resources, and `ram:PassRole` on every role limited to
//! named services; with the catalogue they rely on.

#![cfg(feature = "lint")]

use ramgate::lint::catalogue::ServiceCatalogue;
use ramgate::lint::{Config, Finding, Severity, lint_source};

fn statement(action: &str, resource: &str, condition: &str) -> String {
    format!(
        r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": {action}, "Resource": {resource}{condition}}}]}}"#
    )
}

fn lint(src: &str) -> Vec<Finding> {
    lint_source(src, None, &Config::default())
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

#[test]
fn every_unknown_action_of_a_complete_catalogue_is_reported_not_only_near_misses() {
    for service in [
        "ram",
        "log",
        "kms",
        "sts",
        "oss",
        "ecs",
        "vpc",
        "actiontrail",
    ] {
        let cat = ServiceCatalogue::get();
        let svc = cat.service(service).unwrap_or_else(|| panic!("{service}"));
        assert!(svc.complete, "{service} is complete");
        assert!(
            !svc.sdk.is_empty(),
            "{service} names the SDK its list comes from"
        );
        let f = lint(&statement(
            &format!(r#""{service}:BrewCoffee""#),
            r#""*""#,
            "",
        ));
        assert_eq!(codes(&f), ["unknown-action"], "{service}");
        assert_eq!(f[0].severity, Severity::Warning);
        // A pattern that matches nothing is reported too.
        let f = lint(&statement(&format!(r#""{service}:Brew*""#), r#""*""#, ""));
        assert_eq!(codes(&f), ["unknown-action"], "{service}:Brew*");
    }
    // Real actions from the SDKs, and documented RAM-only ones, are known.
    for action in [
        "ecs:DescribeInstances",
        "ecs:RunInstances",
        "vpc:CreateVpc",
        "vpc:DescribeVSwitches",
        "actiontrail:CreateTrail",
        "actiontrail:LookupEvents",
        "ram:CreateRole",
        "ram:PassRole",
        "ram:CreateLoginProfile",
        "log:GetLogStoreLogs",
        "log:CreateOSSIngestion",
        "oss:GetObjectVersion",
        "oss:PutBucketTagging",
        "kms:ReEncryptFrom",
        "sts:AssumeRoleWithOIDC",
    ] {
        let f = lint(&statement(&format!(r#""{action}""#), r#""*""#, ""));
        assert!(!codes(&f).contains(&"unknown-action"), "{action}: {f:?}");
    }
    // Log Service's API names are not its RAM actions: `GetLogs` is
    // `log:GetLogStoreLogs`.
    let log = ServiceCatalogue::get()
        .service("log")
        .unwrap_or_else(|| panic!("log"));
    assert_eq!(
        log.api_names.get("GetLogs").map(String::as_str),
        Some("GetLogStoreLogs")
    );
    assert!(log.action("GetLogs").is_none());
}

#[test]
fn real_ram_codes_off_the_catalogue_are_never_unknown() {
    // AuditAdministrator's services, and others from Alibaba's list.
    for code in [
        "dm",
        "efc",
        "resourcecenter",
        "config",
        "odps",
        "sasti",
        "yundun-hsm",
        "eventbridge",
        "computenest",
    ] {
        let f = lint(&statement(&format!(r#""{code}:Describe*""#), r#""*""#, ""));
        assert!(f.is_empty(), "{code}: {f:?}");
    }
    let f = lint(&statement(r#""sls:GetLogStoreLogs""#, r#""*""#, ""));
    assert_eq!(codes(&f), ["unknown-service"]);
}

#[test]
fn an_action_whose_service_matches_none_of_the_resources_is_reported() {
    for (action, resource) in [
        ("kms:Decrypt", "acs:oss:*:1234567890123456:mybucket/*"),
        (
            "log:PostLogStoreLogs",
            "acs:ecs:cn-hangzhou:1234567890123456:instance/i-1",
        ),
        (
            "ecs:StartInstance",
            "acs:kms:cn-hangzhou:1234567890123456:key/k1",
        ),
        (
            "ram:GetRole",
            "acs:log:cn-hangzhou:1234567890123456:project/p",
        ),
        (
            "oss:GetObject",
            "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-1",
        ),
        (
            "actiontrail:CreateTrail",
            "acs:oss:*:1234567890123456:trail-bucket",
        ),
    ] {
        let f = lint(&statement(
            &format!(r#""{action}""#),
            &format!(r#""{resource}""#),
            "",
        ));
        assert_eq!(
            codes(&f),
            ["action-matches-no-resource"],
            "{action} on {resource}"
        );
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].path, "Statement[0].Action");
        let service = action.split(':').next().unwrap_or_default();
        assert!(
            f[0].message
                .contains(&format!("`{service}` actions act on `acs:{service}`")),
            "{}",
            f[0].message
        );
    }
    // One resource of the action's service is enough; only the stray
    // action of a mixed statement is named.
    let f = lint(&statement(
        r#"["kms:Decrypt", "oss:GetObject"]"#,
        r#"["acs:oss:*:1234567890123456:mybucket/*"]"#,
        "",
    ));
    assert_eq!(codes(&f), ["action-matches-no-resource"]);
    assert_eq!(f[0].path, "Statement[0].Action[0]");
    // Services whose actions take other services' ARNs: STS on RAM roles,
    // RAM on IMS users; wildcards and uncatalogued services always fit.
    for (action, resource) in [
        ("sts:AssumeRole", "acs:ram::1234567890123456:role/r"),
        (
            "ram:AttachPolicyToUser",
            "acs:ims::1234567890123456:user/alice",
        ),
        ("kms:Decrypt", "*"),
        ("kms:Decrypt", "acs:*:*:*:*"),
        ("fc:InvokeFunction", "acs:oss:*:1234567890123456:b"),
        ("*", "acs:oss:*:1234567890123456:b"),
    ] {
        let f = lint(&statement(
            &format!(r#""{action}""#),
            &format!(r#""{resource}""#),
            "",
        ));
        assert!(
            !codes(&f).contains(&"action-matches-no-resource"),
            "{action} on {resource}: {f:?}"
        );
    }
}

#[test]
fn pass_role_limited_to_named_services_is_a_warning_naming_them() {
    let condition = |op: &str, values: &str| {
        format!(r#", "Condition": {{"{op}": {{"acs:Service": {values}}}}}"#)
    };
    for (values, named) in [
        (
            r#""actiontrail.aliyuncs.com""#,
            "`actiontrail.aliyuncs.com`",
        ),
        (r#"["slb.aliyuncs.com"]"#, "`slb.aliyuncs.com`"),
        (
            r#"["ecs.aliyuncs.com", "fc.aliyuncs.com"]"#,
            "`ecs.aliyuncs.com` and `fc.aliyuncs.com`",
        ),
        (r#""oos.aliyuncs.com""#, "`oos.aliyuncs.com`"),
    ] {
        for resource in [r#""*""#, r#""acs:ram:*:*:role/*""#] {
            let src = statement(
                r#""ram:PassRole""#,
                resource,
                &condition("StringEquals", values),
            );
            let f = lint(&src);
            assert_eq!(codes(&f), ["pass-role-to-service"], "{values} {resource}");
            assert_eq!(f[0].severity, Severity::Warning);
            assert!(f[0].message.contains("every role"), "{}", f[0].message);
            assert!(
                f[0].message.contains(&format!("only to {named}")),
                "{}",
                f[0].message
            );
        }
    }
    // No limit, a wildcard service, or a `Like` match: still every role to
    // (almost) anyone.
    for extra in [
        String::new(),
        condition("StringLike", r#""*.aliyuncs.com""#),
        condition("StringEquals", r#""*""#),
        condition("StringNotEquals", r#""ecs.aliyuncs.com""#),
    ] {
        let f = lint(&statement(r#""ram:PassRole""#, r#""*""#, &extra));
        assert_eq!(codes(&f).first(), Some(&"pass-role-wildcard"), "{extra}");
        assert!(!codes(&f).contains(&"pass-role-to-service"), "{extra}");
        assert_eq!(f[0].severity, Severity::SecurityWarning);
    }
}

#[test]
fn the_catalogue_expands_action_patterns_for_other_modules() {
    let cat = ServiceCatalogue::get();
    let e = cat.expand_actions("kms:GenerateDataKey*");
    assert!(e.complete);
    assert!(e.actions.contains(&"kms:GenerateDataKey".to_string()));
    assert!(
        e.actions
            .iter()
            .all(|a| a.starts_with("kms:GenerateDataKey"))
    );
    // Case-insensitive, as RAM compares actions.
    assert_eq!(cat.expand_actions("RAM:passrole").actions, ["ram:PassRole"]);
    let all_sts = cat.expand_actions("sts:*");
    assert_eq!(
        all_sts.actions.len(),
        cat.service("sts").map_or(0, |s| s.actions.len())
    );
    // Over services, or a service without a complete list: not complete.
    assert!(!cat.expand_actions("*:Describe*").complete);
    assert!(!cat.expand_actions("rds:Describe*").complete);
    assert!(cat.expand_actions("cms:Get*").actions.is_empty());
}
