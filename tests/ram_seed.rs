//! The seed scenario: Log Service BYOK encryption with a role trusted by
//! `log.aliyuncs.com` (spec `sls-kms.md` §1.4, `ram-policy-language.md`
//! §10.6), through the public API.

use ramgate::authz::Decision;
use ramgate::ram::{
    Access, AssumeRoleRequest, DecisionChain, Directory, Identity, ManualClock, PolicyRef, Ram,
    RamError, StepKind, Target,
};
use time::OffsetDateTime;

const UID: &str = "1234567890123456";
const ROLE: &str = "acs:ram::1234567890123456:role/sls-byok";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6000001";

/// The trust policy exactly as the Log Service documentation gives it.
const LOG_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;

/// The documentation's PassRole policy for RAM users that configure BYOK.
const PASS_ROLE_DOC: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ram:PassRole",
      "Resource": "acs:ram::*"
    }
  ]
}"#;

const PASS_OTHER_ROLE: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"acs:ram::1234567890123456:role/other-role"}]}"#;

fn directory() -> Directory {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    let ok = |r: Result<(), RamError>| r.unwrap_or_else(|e| panic!("{e}"));
    ok(a.create_role("sls-byok", LOG_TRUST).map(|_| ()));
    ok(a.create_role("other-role", LOG_TRUST).map(|_| ()));
    for p in ["AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"] {
        ok(a.attach_policy(
            &Target::Role("sls-byok".into()),
            &PolicyRef::System(p.into()),
        ));
    }
    ok(a.create_policy("PassRoleForLog", PASS_ROLE_DOC).map(|_| ()));
    ok(a.create_policy("PassOtherRole", PASS_OTHER_ROLE)
        .map(|_| ()));
    for (user, policies) in [
        (
            "admin",
            &["policy/PassRoleForLog", "system/AliyunSTSAssumeRoleAccess"][..],
        ),
        ("narrow", &["policy/PassOtherRole"][..]),
        ("plain", &[][..]),
    ] {
        ok(a.create_user(user).map(|_| ()));
        for p in policies {
            let r: PolicyRef = p.parse().unwrap_or_else(|e| panic!("{e}"));
            ok(a.attach_policy(&Target::User(user.into()), &r));
        }
    }
    d
}

fn clock() -> ManualClock {
    ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or_else(|e| panic!("{e}")),
    )
}

fn user(name: &str) -> Identity {
    Identity::User {
        account: UID.into(),
        name: name.into(),
    }
}

fn service(name: &str) -> Identity {
    Identity::Service {
        service: name.into(),
        account: None,
    }
}

#[test]
fn log_service_assumes_the_role_and_nobody_else_does() {
    let d = directory();
    let c = clock();
    let ram = Ram::new(&d, &c);
    let req = AssumeRoleRequest::new(ROLE, "sls-encrypt");
    let assumed = ram.assume_role(&service("log.aliyuncs.com"), &req);
    let assumed = assumed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(assumed.session.arn(), format!("{ROLE}/sls-encrypt"));
    // A service has no identity policies: the trust policy alone decides.
    assert_eq!(assumed.steps.len(), 1);
    assert_eq!(assumed.steps[0].step, StepKind::AssumeRoleTrust);
    assert_eq!(
        assumed.steps[0].response.reasons[0].policy,
        "role/sls-byok:trust"
    );
    // Log Service acting for the role's own account, named explicitly.
    let own = Identity::Service {
        service: "log.aliyuncs.com".into(),
        account: Some(UID.into()),
    };
    assert!(ram.assume_role(&own, &req).is_ok());

    // Not ECS.
    let ecs = ram.assume_role(&service("ecs.aliyuncs.com"), &req).err();
    assert_eq!(
        ecs.as_ref().map(RamError::code).as_deref(),
        Some("NoPermission")
    );
    assert_eq!(ecs.as_ref().map(RamError::http_status), Some(403));
    // Not Log Service acting for another account (the plain form trusts
    // only the role's own account, spec §12 item 9).
    let other = Identity::Service {
        service: "log.aliyuncs.com".into(),
        account: Some("1999999999999999".into()),
    };
    assert!(ram.assume_role(&other, &req).is_err());

    // Not a RAM user of the account, even one whose own policies allow
    // sts:AssumeRole on every role.
    let e = ram.assume_role(&user("admin"), &req).err();
    assert_eq!(
        e.as_ref().map(RamError::code).as_deref(),
        Some("NoPermission")
    );
    assert_eq!(
        e.as_ref().map(ToString::to_string),
        Some(format!(
            "`acs:ram::{UID}:user/admin` may not assume `{ROLE}`: the role trusts only cloud services, and RAM users and roles cannot assume such a role"
        ))
    );
    let steps = e.as_ref().map(RamError::steps).unwrap_or_default();
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.step, s.decision()))
            .collect::<Vec<_>>(),
        vec![
            (StepKind::AssumeRoleIdentity, Decision::Allow),
            (StepKind::AssumeRoleTrust, Decision::ImplicitDeny)
        ]
    );
}

#[test]
fn the_role_session_may_use_the_key_but_not_manage_it() {
    let d = directory();
    let c = clock();
    let ram = Ram::new(&d, &c);
    let assumed = ram
        .assume_role(
            &service("log.aliyuncs.com"),
            &AssumeRoleRequest::new(ROLE, "sls-encrypt"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let session = Identity::RoleSession(assumed.session);
    let decide = |action: &str| {
        ram.authorize(&session, &Access::new(action, KEY), None)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for (action, policy) in [
        (
            "kms:GenerateDataKey",
            "role/sls-byok:system/AliyunKMSCryptoUserAccess",
        ),
        (
            "kms:Decrypt",
            "role/sls-byok:system/AliyunKMSCryptoUserAccess",
        ),
        (
            "kms:DescribeKey",
            "role/sls-byok:system/AliyunKMSReadOnlyAccess",
        ),
    ] {
        let step = decide(action);
        assert_eq!(step.decision(), Decision::Allow, "{action}");
        assert_eq!(step.response.reasons[0].policy, policy, "{action}");
    }
    let disable = decide("kms:DisableKey");
    assert_eq!(disable.decision(), Decision::ImplicitDeny);
    assert!(disable.response.reasons.is_empty());
    // Both attached policies were consulted and are in the trace.
    assert_eq!(
        disable.policies,
        vec![
            "role/sls-byok:system/AliyunKMSReadOnlyAccess".to_string(),
            "role/sls-byok:system/AliyunKMSCryptoUserAccess".to_string()
        ]
    );
    assert_eq!(disable.trace.statements.len(), 2);
}

#[test]
fn only_a_user_with_pass_role_on_the_role_may_pass_it() {
    let d = directory();
    let c = clock();
    let ram = Ram::new(&d, &c);
    let pass = |who: &Identity| {
        ram.check_pass_role(who, ROLE, "log.aliyuncs.com")
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let admin = pass(&user("admin"));
    assert_eq!(admin.decision(), Decision::Allow);
    assert_eq!(admin.step, StepKind::PassRole);
    assert_eq!(
        admin.response.reasons[0].policy,
        "user/admin:policy/PassRoleForLog@v1"
    );
    assert_eq!(
        admin.context.get("acs:Service"),
        Some(&vec!["log.aliyuncs.com".to_string()])
    );
    assert_eq!(pass(&user("narrow")).decision(), Decision::ImplicitDeny);
    assert_eq!(pass(&user("plain")).decision(), Decision::ImplicitDeny);
    // The account itself passes its own roles without any policy.
    let root = pass(&Identity::Account { uid: UID.into() });
    assert_eq!(root.decision(), Decision::Allow);
    assert!(root.policies.is_empty());
    // `narrow` may pass the role its policy names.
    let other = ram
        .check_pass_role(
            &user("narrow"),
            "acs:ram::1234567890123456:role/other-role",
            "log.aliyuncs.com",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(other.decision(), Decision::Allow);
}

#[test]
fn a_session_policy_narrows_and_never_widens() {
    let d = directory();
    let c = clock();
    let ram = Ram::new(&d, &c);
    let session_policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:DisableKey"],"Resource":"*"}]}"#;
    let req = AssumeRoleRequest::new(ROLE, "decrypt-only").with_policy(session_policy);
    let assumed = ram
        .assume_role(&service("log.aliyuncs.com"), &req)
        .unwrap_or_else(|e| panic!("{e}"));
    let session = Identity::RoleSession(assumed.session);
    let decide = |action: &str| {
        ram.authorize(&session, &Access::new(action, KEY), None)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Allowed by both: allowed, and both say so.
    let decrypt = decide("kms:Decrypt");
    assert_eq!(decrypt.decision(), Decision::Allow);
    assert_eq!(
        decrypt
            .response
            .reasons
            .iter()
            .map(|r| r.policy.as_str())
            .collect::<Vec<_>>(),
        vec![
            "session-policy",
            "role/sls-byok:system/AliyunKMSCryptoUserAccess"
        ]
    );
    // The role allows it, the session policy does not: narrowed.
    assert_eq!(
        decide("kms:GenerateDataKey").decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(decide("kms:DescribeKey").decision(), Decision::ImplicitDeny);
    // The session policy allows it, the role does not: not widened.
    assert_eq!(decide("kms:DisableKey").decision(), Decision::ImplicitDeny);
}

#[test]
fn the_whole_byok_chain_serializes_to_stable_json() {
    let d = directory();
    let c = clock();
    let ram = Ram::new(&d, &c);
    let mut chain = DecisionChain::new();
    chain.push(
        ram.check_pass_role(&user("admin"), ROLE, "log.aliyuncs.com")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let assumed = ram
        .assume_role(
            &service("log.aliyuncs.com"),
            &AssumeRoleRequest::new(ROLE, "sls-encrypt"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    chain.extend(assumed.steps);
    let session = Identity::RoleSession(assumed.session);
    chain.push(
        ram.authorize(&session, &Access::new("kms:GenerateDataKey", KEY), None)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(chain.decision(), Decision::Allow);
    let json = chain.to_json();
    // Same inputs, same bytes.
    let mut again = DecisionChain::new();
    again.steps = chain.steps.clone();
    assert_eq!(again.to_json(), json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    let steps: Vec<&str> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(steps, vec!["pass-role", "assume-role.trust", "authorize"]);
    assert_eq!(value[2]["principal"], format!("{ROLE}/sls-encrypt"));
    assert_eq!(value[2]["parts"][0]["kind"], "identity");
    let mut keys: Vec<&str> = value[0]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // serde_json's map may be sorted or keep insertion order (a feature
    // other crates can switch on), so compare as a set; the text keeps the
    // struct's order, which the stable-JSON unit test pins.
    keys.sort_unstable();
    let mut expected = vec![
        "action",
        "context",
        "parts",
        "policies",
        "principal",
        "resource",
        "response",
        "step",
        "trace",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
}
