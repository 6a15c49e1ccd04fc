//! Each kind of privilege-escalation path, on a directory built for it.

#![cfg(feature = "access")]

use ramgate::access::{Analyzer, PathKind, Snapshot, escalation};
use ramgate::ram::{Account, Directory, PolicyRef, Target};

const UID: &str = "1234567890123456";

fn arn(what: &str) -> String {
    format!("acs:ram::{UID}:{what}")
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":{action},"Resource":"{resource}"}}]}}"#
    )
}

fn give(a: &mut Account, user: &str, action: &str, resource: &str) {
    let name = format!("{user}-policy");
    a.create_policy(&name, &allow(action, resource))
        .unwrap_or_else(|e| panic!("{e}"));
    a.attach_policy(&Target::User(user.into()), &PolicyRef::Custom(name))
        .unwrap_or_else(|e| panic!("{e}"));
}

fn directory() -> Snapshot {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    for u in [
        "admin", "eve", "frank", "gina", "hank", "ivan", "jane", "kim", "lee", "mia",
    ] {
        a.create_user(u).unwrap_or_else(|e| panic!("{e}"));
    }
    let admin = PolicyRef::System("AdministratorAccess".into());
    a.attach_policy(&Target::User("admin".into()), &admin)
        .unwrap_or_else(|e| panic!("{e}"));
    give(a, "eve", r#""ram:AttachPolicyToUser""#, &arn("user/eve"));
    a.create_group("devs").unwrap_or_else(|e| panic!("{e}"));
    a.add_user_to_group("frank", "devs")
        .unwrap_or_else(|e| panic!("{e}"));
    give(
        a,
        "frank",
        r#""ram:AttachPolicyToGroup""#,
        &arn("group/devs"),
    );
    give(
        a,
        "gina",
        r#""ram:CreatePolicyVersion""#,
        &arn("policy/gina-policy"),
    );
    give(
        a,
        "hank",
        r#""ram:SetDefaultPolicyVersion""#,
        &arn("policy/hank-policy"),
    );
    a.create_policy_version("hank-policy", &allow(r#""kms:*""#, "*"), false)
        .unwrap_or_else(|e| panic!("{e}"));
    give(a, "ivan", r#""ram:CreateAccessKey""#, &arn("user/admin"));
    give(a, "jane", r#""ram:CreateLoginProfile""#, &arn("user/admin"));
    let service_trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#;
    a.create_role("power", service_trust)
        .unwrap_or_else(|e| panic!("{e}"));
    a.attach_policy(&Target::Role("power".into()), &admin)
        .unwrap_or_else(|e| panic!("{e}"));
    give(
        a,
        "kim",
        r#"["ram:UpdateRole","sts:AssumeRole"]"#,
        &arn("role/power"),
    );
    let lee_trust = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["{}"]}}}}]}}"#,
        arn("user/lee")
    );
    a.create_role("ops", &lee_trust)
        .unwrap_or_else(|e| panic!("{e}"));
    a.attach_policy(
        &Target::Role("ops".into()),
        &PolicyRef::System("AliyunLogFullAccess".into()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    give(a, "lee", r#""sts:AssumeRole""#, &arn("role/ops"));
    give(a, "mia", r#""ram:PassRole""#, &arn("role/power"));
    Snapshot::of_directory(d)
}

#[test]
fn every_kind_of_path_is_found_and_nothing_else() {
    let s = directory();
    let an = Analyzer::new(&s);
    let paths = escalation(&an).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, PathKind, String)> = paths
        .iter()
        .map(|p| {
            (
                p.principal.replace(&arn(""), ""),
                p.kind,
                p.target.replace(&arn(""), ""),
            )
        })
        .collect();
    let want: Vec<(String, PathKind, String)> = [
        ("user/eve", PathKind::AttachPolicyToSelf, "user/eve"),
        ("user/frank", PathKind::AttachPolicyToGroup, "group/devs"),
        (
            "user/gina",
            PathKind::CreatePolicyVersion,
            "policy/gina-policy",
        ),
        (
            "user/hank",
            PathKind::SetDefaultPolicyVersion,
            "policy/hank-policy",
        ),
        ("user/ivan", PathKind::CreateAccessKey, "user/admin"),
        ("user/jane", PathKind::CreateLoginProfile, "user/admin"),
        ("user/kim", PathKind::UpdateTrustAndAssume, "role/power"),
        ("user/lee", PathKind::AssumeRole, "role/ops"),
        ("user/mia", PathKind::PassRole, "role/power"),
    ]
    .into_iter()
    .map(|(a, k, b)| (a.to_string(), k, b.to_string()))
    .collect();
    assert_eq!(got, want);
    for p in &paths {
        assert!(p.chain.decision().is_allowed(), "{}", p.principal);
        assert!(p.condition.is_always());
    }
    // Each step is a decision of the engine, shown as such.
    let steps = |kind: PathKind| -> Vec<&str> {
        paths
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.chain.steps.iter().map(|s| s.step.as_str()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        steps(PathKind::UpdateTrustAndAssume),
        ["authorize", "assume-role.identity"]
    );
    assert_eq!(
        steps(PathKind::AssumeRole),
        ["assume-role.identity", "assume-role.trust"]
    );
    assert_eq!(
        steps(PathKind::PassRole),
        ["pass-role", "assume-role.trust"]
    );
    // What hank would gain: the other version's KMS actions.
    let hank = paths
        .iter()
        .find(|p| p.kind == PathKind::SetDefaultPolicyVersion);
    assert!(hank.is_some_and(|p| p.gains.action.starts_with("kms:")));
}
