//! `who-can` on hand-built directories with known answers.

#![cfg(feature = "access")]

use ramgate::access::{Analyzer, Row, Snapshot, who_can};
use ramgate::authz::{Context, Decision};
use ramgate::ram::{Directory, PolicyRef, Target};

const UID: &str = "1234567890123456";
const LOGSTORE: &str = "acs:log:cn-hangzhou:1234567890123456:project/shop/logstore/orders-byok";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/k1";

fn seed() -> Snapshot {
    let dir = Directory::load(std::path::Path::new("tests/data/access/seed.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    Snapshot::of_directory(dir)
}

fn rows(s: &Snapshot, action: &str, resource: &str, known: &Context) -> Vec<Row> {
    who_can(&Analyzer::new(s), action, resource, known).unwrap_or_else(|e| panic!("{e}"))
}

/// `principal via hop…` per row.
fn who(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let mut s = r.principal.replace("acs:ram::1234567890123456:", "");
            for v in &r.via {
                s.push_str(" > ");
                s.push_str(&v.replace("acs:ram::1234567890123456:", ""));
            }
            s
        })
        .collect()
}

fn allow(doc: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{doc}]}}"#)
}

fn trust(principal: &str) -> String {
    allow(&format!(
        r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["{principal}"]}}}}"#
    ))
}

fn attach(a: &mut ramgate::ram::Account, t: Target, p: &str) {
    let r: PolicyRef = p.parse().unwrap_or_else(|e| panic!("{e}"));
    a.attach_policy(&t, &r).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_seed_readers_are_the_root_alice_and_bob() {
    let s = seed();
    let r = rows(&s, "log:GetLogStoreLogs", LOGSTORE, &Context::new());
    assert_eq!(who(&r), ["root", "user/alice", "user/bob"]);
    for row in &r {
        assert!(row.condition.is_always());
        assert_eq!(row.actions, ["log:GetLogStoreLogs"]);
        assert_eq!(row.chain.decision(), Decision::Allow);
    }
    assert_eq!(
        r[1].chain.steps[0].response.reasons[0].policy,
        "user/alice:system/AliyunLogFullAccess"
    );
}

#[test]
fn only_the_root_and_alice_may_pass_the_byok_role() {
    let s = seed();
    let mut known = Context::new();
    known.insert("acs:Service", ["log.aliyuncs.com"]);
    let r = rows(
        &s,
        "ram:PassRole",
        "acs:ram::1234567890123456:role/sls-byok",
        &known,
    );
    assert_eq!(who(&r), ["root", "user/alice"]);
    assert_eq!(r[1].chain.steps[0].step.as_str(), "pass-role");
}

#[test]
fn the_byok_role_is_reached_by_the_log_service_only() {
    let s = seed();
    let r = rows(&s, "kms:Decrypt", KEY, &Context::new());
    assert_eq!(
        who(&r),
        ["root", "role/sls-byok", "log.aliyuncs.com > role/sls-byok"]
    );
    let steps: Vec<&str> = r[2].chain.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(steps, ["assume-role.trust", "authorize"]);
}

#[test]
fn wildcard_actions_expand_through_the_catalogue_into_one_row() {
    let s = seed();
    let r = rows(&s, "kms:*Key", KEY, &Context::new());
    let sls = r
        .iter()
        .find(|r| r.principal.ends_with("role/sls-byok"))
        .map(|r| r.actions.clone());
    // AliyunKMSReadOnlyAccess and AliyunKMSCryptoUserAccess: reading and
    // using the key, nothing that changes its state.
    let sls = sls.unwrap_or_default();
    assert_eq!(
        sls,
        [
            "kms:DescribeClientKey",
            "kms:DescribeKey",
            "kms:GenerateDataKey",
            "kms:GetPublicKey"
        ]
    );
    let all: Vec<&String> = r.iter().flat_map(|r| &r.actions).collect();
    assert!(all.iter().any(|a| *a == "kms:DisableKey"), "the root may");
}

/// user u → role A → role B; only B may disable keys.
fn two_hops() -> Snapshot {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    a.create_user("u").unwrap_or_else(|e| panic!("{e}"));
    a.create_role("A", &trust("acs:ram::1234567890123456:user/u"))
        .unwrap_or_else(|e| panic!("{e}"));
    a.create_role("B", &trust("acs:ram::1234567890123456:role/A"))
        .unwrap_or_else(|e| panic!("{e}"));
    a.create_policy("AssumeA", &allow(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"acs:ram::1234567890123456:role/A"}"#)).unwrap_or_else(|e| panic!("{e}"));
    a.create_policy("AssumeB", &allow(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"acs:ram::1234567890123456:role/B"}"#)).unwrap_or_else(|e| panic!("{e}"));
    a.create_policy(
        "KeyAdmin",
        &allow(r#"{"Effect":"Allow","Action":"kms:DisableKey","Resource":"*"}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    attach(a, Target::User("u".into()), "policy/AssumeA");
    attach(a, Target::Role("A".into()), "policy/AssumeB");
    attach(a, Target::Role("B".into()), "policy/KeyAdmin");
    Snapshot::of_directory(d)
}

#[test]
fn a_two_hop_chain_is_found_with_every_step() {
    let s = two_hops();
    let r = rows(&s, "kms:DisableKey", KEY, &Context::new());
    assert_eq!(
        who(&r),
        [
            "root",
            "user/u > role/A > role/B",
            "role/A > role/B",
            "role/B"
        ]
    );
    let u = &r[1];
    assert_eq!(r[2].via, ["acs:ram::1234567890123456:role/B"]);
    assert_eq!(
        u.via,
        [
            "acs:ram::1234567890123456:role/A",
            "acs:ram::1234567890123456:role/B"
        ]
    );
    let steps: Vec<(&str, &str)> = u
        .chain
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.principal.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("assume-role.identity", "acs:ram::1234567890123456:user/u"),
            ("assume-role.trust", "acs:ram::1234567890123456:user/u"),
            (
                "assume-role.identity",
                "acs:ram::1234567890123456:role/A/ramgate-access"
            ),
            (
                "assume-role.trust",
                "acs:ram::1234567890123456:role/A/ramgate-access"
            ),
            (
                "authorize",
                "acs:ram::1234567890123456:role/B/ramgate-access"
            ),
        ]
    );
}

#[test]
fn a_group_grant_reaches_its_members_and_a_group_deny_removes_one() {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    for u in ["carol", "dave", "erin"] {
        a.create_user(u).unwrap_or_else(|e| panic!("{e}"));
    }
    a.create_group("readers").unwrap_or_else(|e| panic!("{e}"));
    a.create_group("quarantine")
        .unwrap_or_else(|e| panic!("{e}"));
    a.add_user_to_group("carol", "readers")
        .unwrap_or_else(|e| panic!("{e}"));
    a.add_user_to_group("dave", "readers")
        .unwrap_or_else(|e| panic!("{e}"));
    a.add_user_to_group("dave", "quarantine")
        .unwrap_or_else(|e| panic!("{e}"));
    a.create_policy(
        "NoLogs",
        &allow(r#"{"Effect":"Deny","Action":"log:*","Resource":"*"}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    attach(
        a,
        Target::Group("readers".into()),
        "system/AliyunLogReadOnlyAccess",
    );
    attach(a, Target::Group("quarantine".into()), "policy/NoLogs");
    let s = Snapshot::of_directory(d);
    let r = rows(&s, "log:GetLogStoreLogs", LOGSTORE, &Context::new());
    assert_eq!(who(&r), ["root", "user/carol"]);
    assert_eq!(
        r[1].chain.steps[0].response.reasons[0].policy,
        "group/readers:system/AliyunLogReadOnlyAccess"
    );
}

/// The choice where sls-kms §4 is unsure: a role session chains to another
/// role only when its own permissions allow `sts:AssumeRole` on it and the
/// target trusts it — trust alone is not enough.
#[test]
fn a_role_session_chains_only_with_its_own_permission() {
    let mut s = two_hops();
    let a = s
        .directory
        .account_mut(UID)
        .unwrap_or_else(|| panic!("no account"));
    a.detach_policy(
        &Target::Role("A".into()),
        &"policy/AssumeB".parse().unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = rows(&s, "kms:DisableKey", KEY, &Context::new());
    assert_eq!(who(&r), ["root", "role/B"]);
}

/// Regression for the per-document prefilter (each document decided alone
/// once per question, then combined per principal): grants written with
/// `NotAction`, action and resource wildcards or through a group still
/// count, and so do Denies written that way, while documents that cannot
/// apply change nothing.
#[test]
fn the_prefilter_keeps_not_action_and_wildcard_grants_and_denies() {
    let mut dir = Directory::new();
    let a = dir.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    let docs = [
        (
            "NotRam",
            r#"{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}"#,
        ),
        (
            "NotLog",
            r#"{"Effect":"Allow","NotAction":"log:*","Resource":"*"}"#,
        ),
        (
            "LogAll",
            r#"{"Effect":"Allow","Action":"log:*","Resource":"acs:log:*:*:project/shop/*"}"#,
        ),
        (
            "AnyService",
            r#"{"Effect":"Allow","Action":"*:Get*","Resource":"acs:*:*:*:*"}"#,
        ),
        (
            "Elsewhere",
            r#"{"Effect":"Allow","Action":"log:Get*","Resource":"acs:log:*:*:project/other/*"}"#,
        ),
        (
            "DenyNotKms",
            r#"{"Effect":"Deny","NotAction":"kms:*","Resource":"*"}"#,
        ),
        (
            "DenyWhenAway",
            r#"{"Effect":"Deny","Action":"log:*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#,
        ),
    ];
    for (name, doc) in docs {
        a.create_policy(name, &allow(doc))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for u in [
        "notram",
        "notlog",
        "logall",
        "any",
        "elsewhere",
        "denied",
        "away",
        "grouped",
    ] {
        a.create_user(u).unwrap_or_else(|e| panic!("{e}"));
    }
    a.create_group("readers").unwrap_or_else(|e| panic!("{e}"));
    let user = |n: &str| Target::User(n.to_string());
    attach(a, user("notram"), "policy/NotRam");
    attach(a, user("notlog"), "policy/NotLog");
    attach(a, user("logall"), "policy/LogAll");
    attach(a, user("any"), "policy/AnyService");
    attach(a, user("elsewhere"), "policy/Elsewhere");
    attach(a, user("denied"), "policy/LogAll");
    attach(a, user("denied"), "policy/DenyNotKms");
    attach(a, user("away"), "policy/NotRam");
    attach(a, user("away"), "policy/DenyWhenAway");
    attach(a, Target::Group("readers".into()), "policy/AnyService");
    a.add_user_to_group("grouped", "readers")
        .unwrap_or_else(|e| panic!("{e}"));
    let s = Snapshot::of_directory(dir);
    let r = rows(&s, "log:GetLogStoreLogs", LOGSTORE, &Context::new());
    assert_eq!(
        who(&r),
        [
            "root",
            "user/any",
            "user/away",
            "user/grouped",
            "user/logall",
            "user/notram"
        ]
    );
    for row in &r {
        let conditional = row.principal.ends_with("user/away");
        assert_eq!(!row.condition.is_always(), conditional, "{}", row.principal);
        assert_eq!(row.chain.decision(), Decision::Allow);
    }
    // Leaving the group takes the grant away on the next analysis.
    let mut dir = s.directory.clone();
    let a = dir.account_mut(UID).unwrap_or_else(|| panic!("no account"));
    a.remove_user_from_group("grouped", "readers")
        .unwrap_or_else(|e| panic!("{e}"));
    let s = Snapshot::of_directory(dir);
    let r = rows(&s, "log:GetLogStoreLogs", LOGSTORE, &Context::new());
    assert!(!who(&r).contains(&"user/grouped".to_string()));
}

/// A one-shot `who-can` asks the engine only about the AssumeRole edges
/// that lead to a role able to answer; its rows are those of an analyzer
/// whose whole graph is built: chains through roles that cannot answer
/// themselves included, dead ends left out.
#[test]
fn the_graph_towards_the_answering_roles_gives_the_same_rows() {
    let mut dir = Directory::new();
    let a = dir.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    a.create_user("u").unwrap_or_else(|e| panic!("{e}"));
    a.create_policy(
        "Read",
        &allow(r#"{"Effect":"Allow","Action":"log:GetLogStoreLogs","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let user = format!("acs:ram::{UID}:user/u");
    for (role, trusted) in [
        ("hop", user.clone()),
        ("reader", format!("acs:ram::{UID}:role/hop")),
        ("dead-end", user.clone()),
        ("after-dead-end", format!("acs:ram::{UID}:role/dead-end")),
    ] {
        a.create_role(role, &trust(&trusted))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    attach(
        a,
        Target::User("u".into()),
        "system/AliyunSTSAssumeRoleAccess",
    );
    attach(
        a,
        Target::Role("hop".into()),
        "system/AliyunSTSAssumeRoleAccess",
    );
    attach(
        a,
        Target::Role("dead-end".into()),
        "system/AliyunSTSAssumeRoleAccess",
    );
    attach(a, Target::Role("reader".into()), "policy/Read");
    let s = Snapshot::of_directory(dir);
    let one_shot = rows(&s, "log:GetLogStoreLogs", LOGSTORE, &Context::new());
    let an = Analyzer::new(&s);
    an.graph().unwrap_or_else(|e| panic!("{e}"));
    let whole = who_can(&an, "log:GetLogStoreLogs", LOGSTORE, &Context::new())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        who(&one_shot),
        [
            "root",
            "user/u > role/hop > role/reader",
            "role/hop > role/reader",
            "role/reader"
        ]
    );
    assert_eq!(who(&one_shot), who(&whole));
    for (x, y) in one_shot.iter().zip(&whole) {
        assert_eq!(x.condition.to_when(), y.condition.to_when());
        assert_eq!(x.chain.steps.len(), y.chain.steps.len());
    }
}
