//! STS AssumeRole, sessions and authorization errors through the public
//! API: every documented error path with its code, session expiry on an
//! injected clock, role chaining, the account root, and cross-account use.

use ramgate::authz::Decision;
use ramgate::ram::{
    Access, AssumeRoleRequest, Directory, Identity, ManualClock, PolicyRef, Ram, RamError,
    ResourcePolicy, RoleSession, StepKind, Target,
};
use time::{Duration, OffsetDateTime};

const A: &str = "1234567890123456";
const B: &str = "1345678901234567";
const ROLE: &str = "acs:ram::1234567890123456:role/ecs-admin";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";

fn trust_of(principal: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["{principal}"]}}}}]}}"#
    )
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

fn ok<T>(r: Result<T, RamError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Account A has role `ecs-admin` trusted by account B's root and by A's
/// role `ci`; B's user `alice` holds AliyunSTSAssumeRoleAccess, B's `carol`
/// nothing; A's role `ci` may assume roles; A's `kms-user` holds
/// AliyunKMSCryptoUserAccess.
fn directory() -> Directory {
    let mut d = Directory::new();
    let a = ok(d.add_account(A));
    let trust = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["acs:ram::{B}:root","acs:ram::{A}:role/ci"]}}}}]}}"#
    );
    ok(a.create_role("ecs-admin", &trust).map(|_| ()));
    ok(
        a.create_role("ci", &trust_of(&format!("acs:ram::{A}:root")))
            .map(|_| ()),
    );
    ok(
        a.create_role("kms-user", &trust_of(&format!("acs:ram::{A}:root")))
            .map(|_| ()),
    );
    ok(a.attach_policy(
        &Target::Role("ci".into()),
        &PolicyRef::System("AliyunSTSAssumeRoleAccess".into()),
    ));
    ok(a.attach_policy(
        &Target::Role("kms-user".into()),
        &PolicyRef::System("AliyunKMSCryptoUserAccess".into()),
    ));
    ok(a.create_user("local").map(|_| ()));
    let b = ok(d.add_account(B));
    ok(b.create_user("alice").map(|_| ()));
    ok(b.create_user("carol").map(|_| ()));
    ok(b.attach_policy(
        &Target::User("alice".into()),
        &PolicyRef::System("AliyunSTSAssumeRoleAccess".into()),
    ));
    d
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or_else(|e| panic!("{e}"))
}

fn alice() -> Identity {
    Identity::User {
        account: B.into(),
        name: "alice".into(),
    }
}

fn code<T>(r: Result<T, RamError>) -> String {
    r.err()
        .map(|e| e.code())
        .unwrap_or_else(|| "Ok".to_string())
}

#[test]
fn a_cross_account_user_needs_its_own_policy_and_the_trust_policy() {
    let d = directory();
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let assumed = ok(ram.assume_role(&alice(), &AssumeRoleRequest::new(ROLE, "alice-session")));
    assert_eq!(
        assumed
            .steps
            .iter()
            .map(|s| (s.step, s.decision()))
            .collect::<Vec<_>>(),
        vec![
            (StepKind::AssumeRoleIdentity, Decision::Allow),
            (StepKind::AssumeRoleTrust, Decision::Allow)
        ]
    );
    assert_eq!(
        assumed.steps[0].response.reasons[0].policy,
        "user/alice:system/AliyunSTSAssumeRoleAccess"
    );
    // Default duration: 3,600 s.
    assert_eq!(
        assumed.session.expiration(),
        t0() + Duration::seconds(3_600)
    );
    // carol is trusted (account B) but has no policy: both sides are needed.
    let carol = Identity::User {
        account: B.into(),
        name: "carol".into(),
    };
    let e = ram
        .assume_role(&carol, &AssumeRoleRequest::new(ROLE, "carol-session"))
        .err();
    assert_eq!(
        e.as_ref().map(RamError::code).as_deref(),
        Some("NoPermission")
    );
    assert_eq!(
        e.map(|e| e.to_string()),
        Some(format!(
            "`acs:ram::{B}:user/carol` may not assume `{ROLE}`: the caller's own policies do not allow `sts:AssumeRole` on the role"
        ))
    );
    // A's own user is not trusted (only B's root and A's role `ci` are).
    let local = Identity::User {
        account: A.into(),
        name: "local".into(),
    };
    let e = ram
        .assume_role(&local, &AssumeRoleRequest::new(ROLE, "local"))
        .err();
    assert_eq!(
        e.map(|e| e.to_string()),
        Some(format!(
            "`acs:ram::{A}:user/local` may not assume `{ROLE}`: the caller's own policies do not allow `sts:AssumeRole` on the role, and the role's trust policy does not trust the caller"
        ))
    );
}

#[test]
fn an_explicit_deny_in_the_callers_policy_wins_over_the_trust_policy() {
    let mut d = directory();
    let b = d.account_mut(B).unwrap_or_else(|| panic!("no account"));
    let deny = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"acs:ram::{A}:role/*"}}]}}"#
    );
    ok(b.create_policy("deny-assume", &deny).map(|_| ()));
    ok(b.attach_policy(
        &Target::User("alice".into()),
        &PolicyRef::Custom("deny-assume".into()),
    ));
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let e = ram
        .assume_role(&alice(), &AssumeRoleRequest::new(ROLE, "s1"))
        .err();
    assert_eq!(
        e.as_ref().map(ToString::to_string),
        Some(format!(
            "`acs:ram::{B}:user/alice` may not assume `{ROLE}`: an explicit deny in `user/alice:policy/deny-assume@v1` forbids it"
        ))
    );
    assert_eq!(
        e.map(|e| e.steps()[0].decision()),
        Some(Decision::ExplicitDeny)
    );
}

#[test]
fn a_role_session_may_assume_a_role_that_trusts_its_role() {
    let d = directory();
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let root = Identity::Account { uid: A.into() };
    // The account itself cannot assume roles…
    let e = ram.assume_role(
        &root,
        &AssumeRoleRequest::new(format!("acs:ram::{A}:role/ci"), "s1"),
    );
    assert_eq!(code(e), "NoPermission");
    // …so a session of `ci` is made directly, then chains into ecs-admin.
    let ci = ok(RoleSession::new(
        A,
        "ci",
        "job1",
        None,
        t0() + Duration::hours(1),
    ));
    let assumed = ok(ram.assume_role(
        &Identity::RoleSession(ci),
        &AssumeRoleRequest::new(ROLE, "chained"),
    ));
    assert_eq!(
        assumed.steps[0].response.reasons[0].policy,
        "role/ci:system/AliyunSTSAssumeRoleAccess"
    );
    assert_eq!(assumed.session.arn(), format!("{ROLE}/chained"));
}

#[test]
fn sessions_expire_by_the_injected_clock() {
    let d = directory();
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let kms_user = format!("acs:ram::{A}:role/kms-user");
    let ci = Identity::RoleSession(ok(RoleSession::new(
        A,
        "ci",
        "job1",
        None,
        t0() + Duration::hours(12),
    )));
    let mut d2 = d.clone();
    // Let `ci` sessions assume kms-user too.
    ok(d2
        .account_mut(A)
        .unwrap_or_else(|| panic!("no account"))
        .update_trust_policy("kms-user", &trust_of(&format!("acs:ram::{A}:role/ci"))));
    let ram2 = Ram::new(&d2, &c);
    let assumed = ok(ram2.assume_role(
        &ci,
        &AssumeRoleRequest::new(&kms_user, "short").with_duration(900),
    ));
    let session = Identity::RoleSession(assumed.session);
    let decrypt = Access::new("kms:Decrypt", KEY);
    assert!(ok(ram2.authorize(&session, &decrypt, None)).is_allowed());
    c.advance(Duration::seconds(899));
    assert!(ok(ram2.authorize(&session, &decrypt, None)).is_allowed());
    c.advance(Duration::seconds(1));
    let e = ram2.authorize(&session, &decrypt, None).err();
    assert_eq!(
        e.as_ref().map(RamError::code).as_deref(),
        Some("InvalidSecurityToken.Expired")
    );
    assert_eq!(
        e.map(|e| e.to_string()),
        Some(format!(
            "role session `acs:ram::{A}:role/kms-user/short` expired at 2023-11-14T22:28:20Z"
        ))
    );
    // An expired session cannot assume roles either.
    c.set(t0() + Duration::hours(13));
    assert_eq!(
        code(ram.assume_role(&ci, &AssumeRoleRequest::new(ROLE, "late"))),
        "InvalidSecurityToken.Expired"
    );
}

#[test]
fn every_documented_assume_role_error_has_its_code() {
    let mut d = directory();
    ok(d.account_mut(A)
        .unwrap_or_else(|| panic!("no account"))
        .set_max_session_duration("ecs-admin", 7_200));
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let assume = |req: AssumeRoleRequest| code(ram.assume_role(&alice(), &req));
    let req = |session: &str| AssumeRoleRequest::new(ROLE, session);

    assert_eq!(
        assume(AssumeRoleRequest::new(
            "acs:ram::1234567890123456:role/nope",
            "s1"
        )),
        "EntityNotExist.Role"
    );
    assert_eq!(
        assume(AssumeRoleRequest::new(
            "acs:ram::1999999999999999:role/x",
            "s1"
        )),
        "EntityNotExist.Role"
    );
    assert_eq!(
        assume(AssumeRoleRequest::new(
            "acs:ram:cn-hangzhou:1234567890123456:role/ecs-admin",
            "s1"
        )),
        "InvalidParameter.RoleArn"
    );
    assert_eq!(
        assume(AssumeRoleRequest::new("ecs-admin", "s1")),
        "InvalidParameter.RoleArn"
    );

    assert_eq!(assume(req("a")), "InvalidParameter.RoleSessionName");
    assert_eq!(
        assume(req(&"s".repeat(65))),
        "InvalidParameter.RoleSessionName"
    );
    assert_eq!(assume(req("bad/name")), "InvalidParameter.RoleSessionName");
    assert_eq!(assume(req(&"s".repeat(64))), "Ok");

    assert_eq!(
        assume(req("d").with_duration(900)),
        "InvalidParameter.RoleSessionName"
    );
    assert_eq!(
        assume(req("d1").with_duration(899)),
        "InvalidParameter.DurationSeconds"
    );
    assert_eq!(assume(req("d1").with_duration(900)), "Ok");
    assert_eq!(assume(req("d1").with_duration(7_200)), "Ok");
    assert_eq!(
        assume(req("d1").with_duration(7_201)),
        "InvalidParameter.DurationSeconds"
    );
    let e = ram
        .assume_role(&alice(), &req("d1").with_duration(7_201))
        .err();
    assert_eq!(
        e.as_ref().map(ToString::to_string),
        Some(format!(
            "DurationSeconds `7201` is outside the 900 to 7200 seconds role `{ROLE}` allows"
        ))
    );
    assert_eq!(e.map(|e| e.http_status()), Some(400));

    assert_eq!(
        assume(req("p1").with_policy("{not json")),
        "InvalidParameter.PolicyGrammar"
    );
    assert_eq!(
        assume(req("p1").with_policy("")),
        "InvalidParameter.PolicyGrammar"
    );
    // A session policy has the shape of an identity policy: no Principal,
    // and a Resource.
    let with_principal = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Principal":{"RAM":"*"}}]}"#;
    assert_eq!(
        assume(req("p1").with_policy(with_principal)),
        "InvalidParameter.PolicyGrammar"
    );
    let no_resource = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#;
    assert_eq!(
        assume(req("p1").with_policy(no_resource)),
        "InvalidParameter.PolicyGrammar"
    );
    let actions = vec!["\"kms:Decrypt\""; 160].join(",");
    let big = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":[{actions}],"Resource":"*"}}]}}"#
    );
    assert!(big.len() > 2_048);
    assert_eq!(
        assume(req("p1").with_policy(big)),
        "InvalidParameter.PolicySize"
    );
    assert_eq!(
        assume(req("p1").with_policy(allow("kms:Decrypt", "*"))),
        "Ok"
    );

    let e = ram
        .assume_role(&Identity::Account { uid: B.into() }, &req("root"))
        .err();
    assert_eq!(
        e.as_ref().map(RamError::code).as_deref(),
        Some("NoPermission")
    );
    assert_eq!(
        e.map(|e| e.to_string()),
        Some(format!(
            "the account `acs:ram::{B}:root` cannot assume roles; only RAM users and role sessions can"
        ))
    );
    let ghost = Identity::User {
        account: B.into(),
        name: "ghost".into(),
    };
    assert_eq!(
        code(ram.assume_role(&ghost, &req("s1"))),
        "EntityNotExist.User"
    );
}

#[test]
fn authorize_errors_and_the_account_root() {
    let d = directory();
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let ghost = Identity::User {
        account: A.into(),
        name: "ghost".into(),
    };
    let decrypt = Access::new("kms:Decrypt", KEY);
    assert_eq!(
        code(ram.authorize(&ghost, &decrypt, None)),
        "EntityNotExist.User"
    );
    let orphan = ok(RoleSession::new(
        A,
        "gone",
        "s1",
        None,
        t0() + Duration::hours(1),
    ));
    assert_eq!(
        code(ram.authorize(&Identity::RoleSession(orphan), &decrypt, None)),
        "EntityNotExist.Role"
    );

    // The account itself: everything on its own resources, and on `*` and
    // ARNs without an account field (the caller's own account)…
    let root_a = Identity::Account { uid: A.into() };
    let step = ok(ram.authorize(&root_a, &Access::new("kms:ScheduleKeyDeletion", KEY), None));
    assert_eq!(step.decision(), Decision::Allow);
    assert!(step.policies.is_empty());
    assert!(ok(ram.authorize(&root_a, &Access::new("ecs:RunInstances", "*"), None)).is_allowed());
    assert!(
        ok(ram.authorize(
            &root_a,
            &Access::new("kms:ListKeys", "acs:kms:cn-hangzhou::key"),
            None
        ))
        .is_allowed()
    );
    // …nothing on another account's, nor on a resource whose account is a
    // wildcard or that is no ARN (no owner can be shown: fail closed).
    let root_b = Identity::Account { uid: B.into() };
    assert_eq!(
        ok(ram.authorize(&root_b, &decrypt, None)).decision(),
        Decision::ImplicitDeny
    );
    assert!(
        !ok(ram.authorize(
            &root_a,
            &Access::new("kms:Decrypt", "acs:kms:cn-hangzhou:*:key/k"),
            None
        ))
        .is_allowed()
    );
    assert!(!ok(ram.authorize(&root_a, &Access::new("kms:Decrypt", "key/k"), None)).is_allowed());
    // A key policy that denies binds the owner too (explicit deny wins).
    let deny_all = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Deny","Principal":{{"RAM":["acs:ram::{A}:*"]}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let kp = ok(ResourcePolicy::parse("key/key-1:policy/default", &deny_all));
    assert_eq!(
        ok(ram.authorize(&root_a, &decrypt, Some(&kp))).decision(),
        Decision::ExplicitDeny
    );
    // A key policy granting account B lets B's root in (cross-account AND
    // with the root's own full authority).
    let grant_b = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Principal":{{"RAM":["acs:ram::{B}:root"]}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    let kp = ok(ResourcePolicy::parse("key/key-1:policy/default", &grant_b));
    let step = ok(ram.authorize(&root_b, &decrypt, Some(&kp)));
    assert_eq!(step.decision(), Decision::Allow);
    assert_eq!(step.policies, vec!["key/key-1:policy/default".to_string()]);
    // But not B's users without their own permission (AND).
    assert!(!ok(ram.authorize(&alice(), &decrypt, Some(&kp))).is_allowed());
    // Resource policy errors use RAM's codes.
    assert_eq!(
        code(ResourcePolicy::parse("k", "{")),
        "MalformedPolicyDocument"
    );
}

#[test]
fn a_cross_account_identity_policy_alone_opens_nothing() {
    let mut d = directory();
    let b = d.account_mut(B).unwrap_or_else(|| panic!("no account"));
    ok(
        b.create_policy("decrypt-anything", &allow("kms:Decrypt", "*"))
            .map(|_| ()),
    );
    ok(b.attach_policy(
        &Target::User("carol".into()),
        &PolicyRef::Custom("decrypt-anything".into()),
    ));
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let carol = Identity::User {
        account: B.into(),
        name: "carol".into(),
    };
    let step = ok(ram.authorize(&carol, &Access::new("kms:Decrypt", KEY), None));
    // The identity side allows; the resource of account A has no policy
    // for B, which counts as an implicit deny under §8.5's AND.
    assert_eq!(step.decision(), Decision::ImplicitDeny);
    assert_eq!(
        step.parts
            .iter()
            .map(|p| (p.decision, p.required))
            .collect::<Vec<_>>(),
        vec![(Decision::Allow, true), (Decision::ImplicitDeny, true)]
    );
    // Its own account's resources are open to it.
    let own = format!("acs:kms:cn-hangzhou:{B}:key/k");
    assert!(ok(ram.authorize(&carol, &Access::new("kms:Decrypt", own), None)).is_allowed());
}

#[test]
fn pass_role_errors_have_their_codes() {
    let d = directory();
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    assert_eq!(
        code(ram.check_pass_role(
            &alice(),
            "acs:ram::1234567890123456:role/nope",
            "log.aliyuncs.com"
        )),
        "EntityNotExist.Role"
    );
    assert_eq!(
        code(ram.check_pass_role(&alice(), "acs:ram::*", "log.aliyuncs.com")),
        "InvalidParameter.RoleArn"
    );
    // The account root passes its own roles, not another account's.
    let root_b = Identity::Account { uid: B.into() };
    assert_eq!(
        ok(ram.check_pass_role(&root_b, ROLE, "log.aliyuncs.com")).decision(),
        Decision::ImplicitDeny
    );
    // A service has no identity policies to pass roles with.
    let log = Identity::Service {
        service: "log.aliyuncs.com".into(),
        account: None,
    };
    assert_eq!(
        ok(ram.check_pass_role(&log, ROLE, "log.aliyuncs.com")).decision(),
        Decision::ImplicitDeny
    );
}

#[test]
fn federated_users_need_only_the_trust_policy() {
    let mut d = directory();
    let a = d.account_mut(A).unwrap_or_else(|| panic!("no account"));
    let saml = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Federated":["acs:ram::{A}:saml-provider/idp"]}},"Condition":{{"StringEquals":{{"saml:recipient":"https://signin.alibabacloud.com/saml-role/sso"}}}}}}]}}"#
    );
    ok(a.create_role("sso", &saml).map(|_| ()));
    let c = ManualClock::new(t0());
    let ram = Ram::new(&d, &c);
    let idp = Identity::Federated {
        provider: format!("acs:ram::{A}:saml-provider/idp"),
    };
    let role = format!("acs:ram::{A}:role/sso");
    let good = AssumeRoleRequest::new(&role, "u1").with_context(
        "saml:recipient",
        ["https://signin.alibabacloud.com/saml-role/sso"],
    );
    let assumed = ok(ram.assume_role(&idp, &good));
    assert_eq!(assumed.steps.len(), 1);
    let bad = AssumeRoleRequest::new(&role, "u1")
        .with_context("saml:recipient", ["https://evil.example/sso"]);
    assert_eq!(code(ram.assume_role(&idp, &bad)), "NoPermission");
}
