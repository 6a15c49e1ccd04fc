//! The combination rules of the identity layer, stated as properties over
//! random policies (spec §8.4, §8.5):
//!
//! * a session is allowed exactly what its role and its session policy
//!   both allow (so a session policy narrows and never widens);
//! * for a caller of the resource's account, identity and resource policy
//!   are alternatives: allowed iff either allows and neither denies;
//! * for a caller of another account, both must allow.

use proptest::prelude::*;
use ramgate::authz::{Authorizer, Decision, PolicySet, Request};
use ramgate::policy::{Policy, PolicyKind};
use ramgate::ram::{
    Access, Directory, Identity, ManualClock, PolicyDocument, PolicyRef, Ram, ResourcePolicy,
    RoleSession, Target,
};
use time::{Duration, OffsetDateTime};

const A: &str = "1234567890123456";
const B: &str = "1345678901234567";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/k1";

const ACTIONS: &[&str] = &["kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"];
const PATTERNS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:*",
    "kms:Describe*",
    "log:*",
];
const RESOURCES: &[&str] = &["*", KEY, "acs:kms:*:*:key/*", "acs:kms:cn-shanghai:*:key/*"];

#[derive(Clone, Debug)]
struct Stmt {
    deny: bool,
    action: &'static str,
    resource: &'static str,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        prop::bool::weighted(0.2),
        prop::sample::select(PATTERNS),
        prop::sample::select(RESOURCES),
    )
        .prop_map(|(deny, action, resource)| Stmt {
            deny,
            action,
            resource,
        })
}

fn policy() -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(stmt(), 1..4)
}

/// The policy text; `principal` adds a `Principal` (resource policies).
fn text(stmts: &[Stmt], principal: Option<&str>) -> String {
    let statements: Vec<String> = stmts
        .iter()
        .map(|s| {
            let p = principal
                .map(|p| format!(r#","Principal":{{"RAM":["{p}"]}}"#))
                .unwrap_or_default();
            format!(
                r#"{{"Effect":"{}","Action":"{}","Resource":"{}"{p}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                s.action,
                s.resource
            )
        })
        .collect();
    format!(
        r#"{{"Version":"1","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// One policy's own decision, by the single-policy authorizer.
fn alone(src: &str, kind: PolicyKind, action: &str, principal: Identity) -> Decision {
    let p = Policy::parse(src, Some(kind)).unwrap_or_else(|e| panic!("{e}"));
    let request = Request::new(action, KEY).with_principal(principal.principal());
    Authorizer::new()
        .evaluate(&PolicySet::new([("p", p)]), &request)
        .decision
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or_else(|e| panic!("{e}"))
}

/// Account A with role `r` and user `u`, account B with user `partner`,
/// each holding `identity`.
fn directory(identity: &str) -> Directory {
    let mut d = Directory::new();
    for (uid, user) in [(A, "u"), (B, "partner")] {
        let a = d.add_account(uid).unwrap_or_else(|e| panic!("{e}"));
        let trust = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{uid}:root"}}}}]}}"#
        );
        let steps = [
            a.create_policy("p", identity).map(|_| ()),
            a.create_role("r", &trust).map(|_| ()),
            a.create_user(user).map(|_| ()),
            a.attach_policy(&Target::Role("r".into()), &PolicyRef::Custom("p".into())),
            a.attach_policy(&Target::User(user.into()), &PolicyRef::Custom("p".into())),
        ];
        for s in steps {
            s.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    d
}

fn allowed(d: Decision) -> bool {
    d == Decision::Allow
}

proptest! {
    #[test]
    fn a_session_gets_what_both_its_role_and_its_session_policy_allow(
        role in policy(),
        session in policy(),
        action in prop::sample::select(ACTIONS),
    ) {
        let (role_src, session_src) = (text(&role, None), text(&session, None));
        let d = directory(&role_src);
        let c = ManualClock::new(t0());
        let ram = Ram::new(&d, &c);
        let end = t0() + Duration::hours(1);
        let doc = PolicyDocument::parse(&session_src, PolicyKind::Session, "session", None)
            .unwrap_or_else(|e| panic!("{e}"));
        let with = RoleSession::new(A, "r", "s1", Some(doc), end).unwrap_or_else(|e| panic!("{e}"));
        let without = RoleSession::new(A, "r", "s1", None, end).unwrap_or_else(|e| panic!("{e}"));
        let access = Access::new(action, KEY);
        let narrowed = ram.authorize(&Identity::RoleSession(with.clone()), &access, None)
            .unwrap_or_else(|e| panic!("{e}")).decision();
        let full = ram.authorize(&Identity::RoleSession(without), &access, None)
            .unwrap_or_else(|e| panic!("{e}")).decision();
        let by_session = alone(&session_src, PolicyKind::Session, action, Identity::RoleSession(with));
        prop_assert_eq!(allowed(narrowed), allowed(full) && allowed(by_session));
        // Never widens.
        prop_assert!(!allowed(narrowed) || allowed(full));
    }

    #[test]
    fn same_account_policies_are_alternatives_and_other_accounts_need_both(
        identity in policy(),
        key in policy(),
        action in prop::sample::select(ACTIONS),
    ) {
        let identity_src = text(&identity, None);
        let d = directory(&identity_src);
        let c = ManualClock::new(t0());
        let ram = Ram::new(&d, &c);
        let access = Access::new(action, KEY);
        for (uid, name) in [(A, "u"), (B, "partner")] {
            let who = Identity::User { account: uid.into(), name: name.into() };
            let key_src = text(&key, Some(&format!("acs:ram::{uid}:*")));
            let kp = ResourcePolicy::parse("key-policy", &key_src).unwrap_or_else(|e| panic!("{e}"));
            let got = ram.authorize(&who, &access, Some(&kp))
                .unwrap_or_else(|e| panic!("{e}")).decision();
            let i = alone(&identity_src, PolicyKind::Identity, action, who.clone());
            let k = alone(&key_src, PolicyKind::Resource, action, who.clone());
            let any_deny = i == Decision::ExplicitDeny || k == Decision::ExplicitDeny;
            let expected = if uid == A {
                !any_deny && (allowed(i) || allowed(k))
            } else {
                allowed(i) && allowed(k)
            };
            prop_assert_eq!(allowed(got), expected, "caller of {}", uid);
            prop_assert_eq!(got == Decision::ExplicitDeny, any_deny);
        }
    }
}
