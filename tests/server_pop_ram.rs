#![cfg(feature = "server")]
//! RAM over POP: users, groups, roles, policies and their versions,
//! attachments and access keys, each authorized for its caller.

mod pop_support;

use pop_support::*;
use ramgate::kms::Clock as _;
use ramgate::server::credentials::Credentials;
use ramgate::server::pop::Product::{Kms, Ram};
use serde_json::json;

const TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;
const LIST_KEYS: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;

#[test]
fn users_and_groups_are_created_read_listed_and_deleted() {
    let env = Env::new();
    let v = env.ok(
        Ram,
        "CreateUser",
        &[("UserName", "alice"), ("DisplayName", "Alice")],
        &root(),
    );
    let u = &v["User"];
    assert_eq!(u["UserName"], "alice");
    assert_eq!(u["DisplayName"], "Alice");
    assert_eq!(u["CreateDate"], "2026-12-01T08:00:00Z");
    assert_eq!(u["UserId"].as_str().unwrap().len(), 16);
    let e = env.err(Ram, "CreateUser", &[("UserName", "alice")], &root());
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "EntityAlreadyExists.User")
    );

    let g = env.ok(Ram, "GetUser", &[("UserName", "alice")], &root());
    assert_eq!(g["User"]["UserId"], u["UserId"]);
    let e = env.err(Ram, "GetUser", &[("UserName", "nobody")], &root());
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.User"));
    let l = env.ok(Ram, "ListUsers", &[], &root());
    assert_eq!(l["Users"]["User"].as_array().unwrap().len(), 1);

    env.ok(Ram, "CreateGroup", &[("GroupName", "ops")], &root());
    env.ok(
        Ram,
        "AddUserToGroup",
        &[("UserName", "alice"), ("GroupName", "ops")],
        &root(),
    );
    assert_eq!(
        env.ok(Ram, "ListGroups", &[], &root())["Groups"]["Group"][0]["GroupName"],
        "ops"
    );
    env.ok(Ram, "GetGroup", &[("GroupName", "ops")], &root());
    let e = env.err(Ram, "DeleteUser", &[("UserName", "alice")], &root());
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "DeleteConflict.User.Group")
    );
    let e = env.err(Ram, "DeleteGroup", &[("GroupName", "ops")], &root());
    assert_eq!(e.code, "DeleteConflict.Group.User");
    env.ok(
        Ram,
        "RemoveUserFromGroup",
        &[("UserName", "alice"), ("GroupName", "ops")],
        &root(),
    );
    let e = env.err(
        Ram,
        "RemoveUserFromGroup",
        &[("UserName", "alice"), ("GroupName", "ops")],
        &root(),
    );
    assert_eq!(e.code, "EntityNotExist.User.Group");
    env.ok(Ram, "DeleteGroup", &[("GroupName", "ops")], &root());
    env.ok(Ram, "DeleteUser", &[("UserName", "alice")], &root());
    assert_eq!(
        env.ok(Ram, "ListUsers", &[], &root())["Users"]["User"],
        json!([])
    );
    let e = env.err(Ram, "CreateUser", &[], &root());
    assert_eq!((e.status, e.code.as_str()), (400, "MissingParameter"));
}

#[test]
fn roles_carry_their_trust_policy_and_update_it() {
    let env = Env::new();
    let v = env.ok(
        Ram,
        "CreateRole",
        &[
            ("RoleName", "sls-byok"),
            ("AssumeRolePolicyDocument", TRUST),
            ("Description", "byok"),
            ("MaxSessionDuration", "7200"),
        ],
        &root(),
    );
    let r = &v["Role"];
    assert_eq!(r["Arn"], "acs:ram::1234567890123456:role/sls-byok");
    assert_eq!(r["AssumeRolePolicyDocument"], TRUST);
    assert_eq!(r["MaxSessionDuration"], 7200);
    assert_eq!(r["Description"], "byok");
    for key in ["RoleId", "RoleName", "CreateDate"] {
        assert!(r.get(key).is_some(), "{key}");
    }
    let g = env.ok(Ram, "GetRole", &[("RoleName", "sls-byok")], &root());
    assert_eq!(g["Role"]["RoleId"], r["RoleId"]);
    assert_eq!(g["Role"]["IsServiceLinkedRole"], false);
    assert_eq!(
        env.ok(Ram, "ListRoles", &[], &root())["Roles"]["Role"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let new_trust = TRUST.replace("log.aliyuncs.com", "ecs.aliyuncs.com");
    let u = env.ok(
        Ram,
        "UpdateRole",
        &[
            ("RoleName", "sls-byok"),
            ("NewAssumeRolePolicyDocument", &new_trust),
        ],
        &root(),
    );
    assert_eq!(u["Role"]["AssumeRolePolicyDocument"], new_trust.as_str());
    assert!(u["Role"].get("UpdateDate").is_some());
    let e = env.err(
        Ram,
        "UpdateRole",
        &[
            ("RoleName", "sls-byok"),
            ("NewAssumeRolePolicyDocument", "{bad"),
        ],
        &root(),
    );
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "MalformedPolicyDocument")
    );
    let e = env.err(Ram, "CreateRole", &[("RoleName", "x")], &root());
    assert_eq!(e.code, "MissingParameter");

    env.ok(
        Ram,
        "AttachPolicyToRole",
        &[
            ("RoleName", "sls-byok"),
            ("PolicyType", "System"),
            ("PolicyName", "AliyunKMSCryptoUserAccess"),
        ],
        &root(),
    );
    let e = env.err(Ram, "DeleteRole", &[("RoleName", "sls-byok")], &root());
    assert_eq!(e.code, "DeleteConflict.Role.Policy");
    let l = env.ok(
        Ram,
        "ListPoliciesForRole",
        &[("RoleName", "sls-byok")],
        &root(),
    );
    assert_eq!(
        l["Policies"]["Policy"][0]["PolicyName"],
        "AliyunKMSCryptoUserAccess"
    );
    assert_eq!(l["Policies"]["Policy"][0]["PolicyType"], "System");
    env.ok(
        Ram,
        "DetachPolicyFromRole",
        &[
            ("RoleName", "sls-byok"),
            ("PolicyType", "System"),
            ("PolicyName", "AliyunKMSCryptoUserAccess"),
        ],
        &root(),
    );
    env.ok(Ram, "DeleteRole", &[("RoleName", "sls-byok")], &root());
    let e = env.err(Ram, "GetRole", &[("RoleName", "sls-byok")], &root());
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.Role"));
}

#[test]
fn custom_policies_have_versions_and_attach_to_users_and_groups() {
    let env = Env::new();
    let v = env.ok(
        Ram,
        "CreatePolicy",
        &[
            ("PolicyName", "ListKeys"),
            ("PolicyDocument", LIST_KEYS),
            ("Description", "list"),
        ],
        &root(),
    );
    assert_eq!(v["Policy"]["PolicyType"], "Custom");
    assert_eq!(v["Policy"]["DefaultVersion"], "v1");
    let all = env.ok(Ram, "ListPolicies", &[], &root());
    let names: Vec<&str> = all["Policies"]["Policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ListKeys") && names.contains(&"AliyunKMSCryptoUserAccess"),
        "{names:?}"
    );
    let sys = env.ok(Ram, "ListPolicies", &[("PolicyType", "System")], &root());
    assert!(
        sys["Policies"]["Policy"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["PolicyType"] == "System")
    );
    let s = env.ok(
        Ram,
        "GetPolicy",
        &[
            ("PolicyName", "AliyunKMSReadOnlyAccess"),
            ("PolicyType", "System"),
        ],
        &root(),
    );
    assert!(
        s["DefaultPolicyVersion"]["PolicyDocument"]
            .as_str()
            .unwrap()
            .contains("kms:")
    );

    let wide = LIST_KEYS.replace("kms:ListKeys", "kms:*");
    let pv = env.ok(
        Ram,
        "CreatePolicyVersion",
        &[
            ("PolicyName", "ListKeys"),
            ("PolicyDocument", &wide),
            ("SetAsDefault", "false"),
        ],
        &root(),
    );
    assert_eq!(pv["PolicyVersion"]["VersionId"], "v2");
    env.ok(
        Ram,
        "SetDefaultPolicyVersion",
        &[("PolicyName", "ListKeys"), ("VersionId", "v2")],
        &root(),
    );
    let g = env.ok(
        Ram,
        "GetPolicy",
        &[("PolicyName", "ListKeys"), ("PolicyType", "Custom")],
        &root(),
    );
    assert_eq!(g["Policy"]["DefaultVersion"], "v2");
    assert_eq!(g["DefaultPolicyVersion"]["PolicyDocument"], wide.as_str());
    let e = env.err(
        Ram,
        "DeletePolicyVersion",
        &[("PolicyName", "ListKeys"), ("VersionId", "v2")],
        &root(),
    );
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "DeleteConflict.Policy.Version.Default")
    );
    env.ok(
        Ram,
        "DeletePolicyVersion",
        &[("PolicyName", "ListKeys"), ("VersionId", "v1")],
        &root(),
    );

    env.ok(Ram, "CreateUser", &[("UserName", "alice")], &root());
    env.ok(Ram, "CreateGroup", &[("GroupName", "ops")], &root());
    let attach = [
        ("UserName", "alice"),
        ("PolicyType", "Custom"),
        ("PolicyName", "ListKeys"),
    ];
    env.ok(Ram, "AttachPolicyToUser", &attach, &root());
    let e = env.err(Ram, "AttachPolicyToUser", &attach, &root());
    assert_eq!(e.code, "EntityAlreadyExists.User.Policy");
    env.ok(Kms, "CreateKey", &[], &user("alice"));
    let l = env.ok(
        Ram,
        "ListPoliciesForUser",
        &[("UserName", "alice")],
        &root(),
    );
    assert_eq!(l["Policies"]["Policy"][0]["DefaultVersion"], "v2");
    env.ok(
        Ram,
        "AttachPolicyToGroup",
        &[
            ("GroupName", "ops"),
            ("PolicyType", "System"),
            ("PolicyName", "AliyunKMSReadOnlyAccess"),
        ],
        &root(),
    );
    let l = env.ok(
        Ram,
        "ListPoliciesForGroup",
        &[("GroupName", "ops")],
        &root(),
    );
    assert_eq!(l["Policies"]["Policy"].as_array().unwrap().len(), 1);

    let e = env.err(Ram, "DeletePolicy", &[("PolicyName", "ListKeys")], &root());
    assert_eq!(e.code, "DeleteConflict.Policy.User");
    env.ok(Ram, "DetachPolicyFromUser", &attach, &root());
    let e = env.err(Kms, "CreateKey", &[], &user("alice"));
    assert_eq!(e.code, "Forbidden.NoPermission");
    env.ok(Ram, "DeletePolicy", &[("PolicyName", "ListKeys")], &root());
    let e = env.err(
        Ram,
        "GetPolicy",
        &[("PolicyName", "ListKeys"), ("PolicyType", "Custom")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (404, "EntityNotExist.Policy"));
    let e = env.err(
        Ram,
        "AttachPolicyToUser",
        &[
            ("UserName", "alice"),
            ("PolicyType", "Bad"),
            ("PolicyName", "X"),
        ],
        &root(),
    );
    assert_eq!(e.code, "InvalidParameter.PolicyType");
}

#[test]
fn access_keys_are_made_listed_deactivated_and_deleted_over_the_api() {
    let env = Env::new();
    env.ok(Ram, "CreateUser", &[("UserName", "alice")], &root());
    let v = env.ok(Ram, "CreateAccessKey", &[("UserName", "alice")], &root());
    let k = &v["AccessKey"];
    let id = k["AccessKeyId"].as_str().unwrap();
    let secret = k["AccessKeySecret"].as_str().unwrap();
    assert_eq!(k["Status"], "Active");
    assert_eq!(k["CreateDate"], "2026-12-01T08:00:00Z");
    let now = env.clock.now();
    assert_eq!(
        env.store.resolve(id, None, now).unwrap().identity,
        user("alice")
    );
    assert!(!in_any_file(env.dir.path(), secret));

    let l = env.ok(Ram, "ListAccessKeys", &[("UserName", "alice")], &root());
    let listed = &l["AccessKeys"]["AccessKey"][0];
    assert_eq!(listed["AccessKeyId"], id);
    assert!(listed.get("AccessKeySecret").is_none());

    env.ok(
        Ram,
        "UpdateAccessKey",
        &[
            ("UserName", "alice"),
            ("UserAccessKeyId", id),
            ("Status", "Inactive"),
        ],
        &root(),
    );
    assert_eq!(
        env.store.resolve(id, None, now).unwrap_err().code(),
        "InvalidAccessKeyId.Inactive"
    );
    let e = env.err(
        Ram,
        "UpdateAccessKey",
        &[
            ("UserName", "alice"),
            ("UserAccessKeyId", id),
            ("Status", "Paused"),
        ],
        &root(),
    );
    assert_eq!(e.code, "InvalidParameter.Status");

    let e = env.err(Ram, "DeleteUser", &[("UserName", "alice")], &root());
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "DeleteConflict.User.AccessKey")
    );
    env.ok(
        Ram,
        "DeleteAccessKey",
        &[("UserName", "alice"), ("UserAccessKeyId", id)],
        &root(),
    );
    let e = env.err(
        Ram,
        "DeleteAccessKey",
        &[("UserName", "alice"), ("UserAccessKeyId", id)],
        &root(),
    );
    assert_eq!(
        (e.status, e.code.as_str()),
        (404, "EntityNotExist.User.AccessKey")
    );
    env.ok(Ram, "DeleteUser", &[("UserName", "alice")], &root());

    // Without UserName: the caller's own keys (the account's here).
    let v = env.ok(Ram, "CreateAccessKey", &[], &root());
    let root_id = v["AccessKey"]["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        env.store.resolve(root_id, None, now).unwrap().identity,
        root()
    );
}

#[test]
fn every_ram_change_is_authorized_for_its_caller() {
    let env = Env::new();
    env.ok(Ram, "CreateUser", &[("UserName", "dave")], &root());
    let e = env.err(Ram, "CreateUser", &[("UserName", "eve")], &user("dave"));
    assert_eq!((e.status, e.code.as_str()), (403, "NoPermission"));
    assert!(
        e.message
            .contains("step `authorize` refused `ram:CreateUser`"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("acs:ram::1234567890123456:user/eve"),
        "{}",
        e.message
    );
    assert!(
        e.message
            .contains("no statement of the identity policies applies"),
        "{}",
        e.message
    );
    let e = env.err(
        Ram,
        "CreateAccessKey",
        &[("UserName", "dave")],
        &user("dave"),
    );
    assert_eq!(e.code, "NoPermission");
    let e = env.err(Ram, "ListUsers", &[], &user("dave"));
    assert_eq!(e.code, "NoPermission");
    // Nothing was made.
    let e = env.err(Ram, "GetUser", &[("UserName", "eve")], &root());
    assert_eq!(e.code, "EntityNotExist.User");

    // Allowed from 10.0.0.0/8 only: acs:SourceIp comes from the call.
    env.user_with_policy(
        "admin",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*",
            "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
    );
    let p = [("UserName", "frank")];
    let e = env
        .call_with(Ram, "CreateUser", &p, &user("admin"), &from_ip("127.0.0.1"))
        .unwrap_err();
    assert_eq!(e.code, "NoPermission");
    env.call_with(Ram, "CreateUser", &p, &user("admin"), &from_ip("10.0.0.7"))
        .unwrap();
    let e = env.err(Ram, "Nope", &[], &root());
    assert_eq!((e.status, e.code.as_str()), (404, "InvalidApi.NotFound"));
}
