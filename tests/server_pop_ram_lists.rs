#![cfg(feature = "server")]
//! RAM over POP, the reads of versions and memberships (`GetPolicyVersion`,
//! `ListPolicyVersions`, `ListGroupsForUser`, `ListUsersForGroup`) and the
//! pages of the lists (`Marker`, `MaxItems`, `IsTruncated`), each
//! authorized as its RAM action on its resource.

mod pop_support;

use pop_support::*;
use ramgate::server::pop::Product::Ram;
use serde_json::{Value, json};

const V1: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;
const V2: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;

/// `action` allowed on `resource` only.
fn allow(action: &str, resource: &str) -> String {
    json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
        .to_string()
}

/// A custom policy `name` with the one version `V1`.
fn create_policy(env: &Env, name: &str) {
    env.ok(
        Ram,
        "CreatePolicy",
        &[("PolicyName", name), ("PolicyDocument", V1)],
        &root(),
    );
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn policy_versions_are_read_and_listed_with_rams_keys() {
    let env = Env::new();
    create_policy(&env, "keys");
    env.ok(
        Ram,
        "CreatePolicyVersion",
        &[
            ("PolicyName", "keys"),
            ("PolicyDocument", V2),
            ("SetAsDefault", "true"),
        ],
        &root(),
    );
    let custom = [("PolicyName", "keys"), ("PolicyType", "Custom")];
    let v = env.ok(
        Ram,
        "GetPolicyVersion",
        &[custom[0], custom[1], ("VersionId", "v1")],
        &root(),
    );
    assert_eq!(
        v["PolicyVersion"],
        json!({"VersionId": "v1", "IsDefaultVersion": false, "PolicyDocument": V1})
    );
    let v = env.ok(
        Ram,
        "GetPolicyVersion",
        &[custom[0], custom[1], ("VersionId", "v2")],
        &root(),
    );
    assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(v["PolicyVersion"]["PolicyDocument"], V2);

    let l = env.ok(Ram, "ListPolicyVersions", &custom, &root());
    let versions = &l["PolicyVersions"]["PolicyVersion"];
    assert_eq!(names(versions, "VersionId"), ["v1", "v2"]);
    assert_eq!(versions[1]["IsDefaultVersion"], true);

    // A system policy has its one version.
    let system = [
        ("PolicyName", "AliyunKMSReadOnlyAccess"),
        ("PolicyType", "System"),
    ];
    let l = env.ok(Ram, "ListPolicyVersions", &system, &root());
    let only = &l["PolicyVersions"]["PolicyVersion"][0];
    assert_eq!(only["IsDefaultVersion"], true);
    let id = only["VersionId"].as_str().unwrap();
    let g = env.ok(
        Ram,
        "GetPolicyVersion",
        &[system[0], system[1], ("VersionId", id)],
        &root(),
    );
    assert_eq!(g["PolicyVersion"], *only);

    let e = env.err(
        Ram,
        "GetPolicyVersion",
        &[custom[0], custom[1], ("VersionId", "v9")],
        &root(),
    );
    assert_eq!(
        (e.status, e.code.as_str()),
        (404, "EntityNotExist.Policy.Version")
    );
    let e = env.err(
        Ram,
        "ListPolicyVersions",
        &[("PolicyName", "nope"), ("PolicyType", "Custom")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.Policy"));
    let e = env.err(
        Ram,
        "ListPolicyVersions",
        &[("PolicyName", "keys")],
        &root(),
    );
    assert_eq!(e.code, "MissingParameter");
}

#[test]
fn policy_version_reads_are_authorized_on_the_policy() {
    let env = Env::new();
    create_policy(&env, "keys");
    create_policy(&env, "other");
    let arn = format!("acs:ram::{ACCOUNT}:policy/keys");
    env.user_with_policy("viewer", &allow("ram:*PolicyVersion*", &arn));
    let viewer = user("viewer");
    let get = |name| {
        [
            ("PolicyName", name),
            ("PolicyType", "Custom"),
            ("VersionId", "v1"),
        ]
    };
    env.ok(Ram, "GetPolicyVersion", &get("keys"), &viewer);
    env.ok(Ram, "ListPolicyVersions", &get("keys")[..2], &viewer);
    for action in ["GetPolicyVersion", "ListPolicyVersions"] {
        let e = env.err(Ram, action, &get("other"), &viewer);
        assert_eq!(
            (e.status, e.code.as_str()),
            (403, "NoPermission"),
            "{action}"
        );
        assert!(
            e.message.contains(&format!("ram:{action}")) && e.message.contains("policy/other"),
            "{}",
            e.message
        );
    }
}

#[test]
fn memberships_are_listed_both_ways_and_authorized() {
    let env = Env::new();
    for u in ["alice", "bob"] {
        env.ok(Ram, "CreateUser", &[("UserName", u)], &root());
    }
    for g in ["dev", "ops"] {
        env.ok(Ram, "CreateGroup", &[("GroupName", g)], &root());
        env.ok(
            Ram,
            "AddUserToGroup",
            &[("UserName", "alice"), ("GroupName", g)],
            &root(),
        );
    }
    env.ok(
        Ram,
        "AddUserToGroup",
        &[("UserName", "bob"), ("GroupName", "ops")],
        &root(),
    );

    let l = env.ok(Ram, "ListGroupsForUser", &[("UserName", "alice")], &root());
    assert_eq!(names(&l["Groups"]["Group"], "GroupName"), ["dev", "ops"]);
    assert_eq!(
        l["Groups"]["Group"][0]["GroupId"].as_str().unwrap().len(),
        16
    );
    let l = env.ok(Ram, "ListGroupsForUser", &[("UserName", "bob")], &root());
    assert_eq!(names(&l["Groups"]["Group"], "GroupName"), ["ops"]);
    let l = env.ok(Ram, "ListUsersForGroup", &[("GroupName", "ops")], &root());
    assert_eq!(names(&l["Users"]["User"], "UserName"), ["alice", "bob"]);
    assert_eq!(l["IsTruncated"], false);

    let e = env.err(Ram, "ListGroupsForUser", &[("UserName", "nobody")], &root());
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.User"));
    let e = env.err(
        Ram,
        "ListUsersForGroup",
        &[("GroupName", "nobody")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.Group"));

    // Each is authorized on what it lists: the user, the group.
    env.user_with_policy(
        "auditor",
        &json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "ram:ListGroupsForUser",
             "Resource": format!("acs:ram::{ACCOUNT}:user/alice")},
            {"Effect": "Allow", "Action": "ram:ListUsersForGroup",
             "Resource": format!("acs:ram::{ACCOUNT}:group/dev")},
        ]})
        .to_string(),
    );
    let auditor = user("auditor");
    env.ok(Ram, "ListGroupsForUser", &[("UserName", "alice")], &auditor);
    env.ok(Ram, "ListUsersForGroup", &[("GroupName", "dev")], &auditor);
    let e = env.err(Ram, "ListGroupsForUser", &[("UserName", "bob")], &auditor);
    assert_eq!((e.status, e.code.as_str()), (403, "NoPermission"));
    let e = env.err(Ram, "ListUsersForGroup", &[("GroupName", "ops")], &auditor);
    assert_eq!((e.status, e.code.as_str()), (403, "NoPermission"));
    assert!(e.message.contains("group/ops"), "{}", e.message);
}

#[test]
fn lists_come_in_pages_of_max_items_from_the_marker() {
    let env = Env::new();
    let all: Vec<String> = (0..5).map(|i| format!("user{i}")).collect();
    for u in &all {
        env.ok(Ram, "CreateUser", &[("UserName", u)], &root());
    }
    let mut seen: Vec<String> = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("MaxItems", "2")];
        if let Some(m) = &marker {
            params.push(("Marker", m));
        }
        let page = env.ok(Ram, "ListUsers", &params, &root());
        pages += 1;
        let names = names(&page["Users"]["User"], "UserName");
        assert!(names.len() <= 2);
        seen.extend(names);
        if page["IsTruncated"] == false {
            assert!(page.get("Marker").is_none(), "{page}");
            break;
        }
        marker = Some(page["Marker"].as_str().unwrap().to_string());
    }
    assert_eq!((pages, seen), (3, all.clone()));
    // Without MaxItems, one page of up to 100.
    let page = env.ok(Ram, "ListUsers", &[], &root());
    assert_eq!(names(&page["Users"]["User"], "UserName"), all);
    assert_eq!(page["IsTruncated"], false);

    // Groups, roles and policies page the same way.
    for g in ["a", "b"] {
        env.ok(Ram, "CreateGroup", &[("GroupName", g)], &root());
    }
    let page = env.ok(Ram, "ListGroups", &[("MaxItems", "1")], &root());
    assert_eq!(page["IsTruncated"], true);
    let next = page["Marker"].as_str().unwrap();
    let page = env.ok(
        Ram,
        "ListGroups",
        &[("MaxItems", "1"), ("Marker", next)],
        &root(),
    );
    assert_eq!(names(&page["Groups"]["Group"], "GroupName"), ["b"]);
    let page = env.ok(Ram, "ListRoles", &[("MaxItems", "1")], &root());
    assert_eq!(page["IsTruncated"], false);
    let page = env.ok(
        Ram,
        "ListPolicies",
        &[("MaxItems", "3"), ("PolicyType", "System")],
        &root(),
    );
    assert_eq!(page["Policies"]["Policy"].as_array().unwrap().len(), 3);
    assert_eq!(page["IsTruncated"], true);

    for (params, code) in [
        (vec![("MaxItems", "0")], "InvalidParameter.MaxItems"),
        (vec![("MaxItems", "1001")], "InvalidParameter.MaxItems"),
        (vec![("Marker", "9")], "InvalidParameter.Marker"),
        (vec![("Marker", "abc")], "InvalidParameter.Marker"),
    ] {
        let e = env.err(Ram, "ListUsers", &params, &root());
        assert_eq!((e.status, e.code.as_str()), (400, code), "{params:?}");
    }
}
