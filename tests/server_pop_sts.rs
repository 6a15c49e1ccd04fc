#![cfg(feature = "server")]
//! STS over POP: AssumeRole issues `STS.` credentials whose token resolves
//! to the session (also after a restart) until it expires; the caller's
//! policies, the trust policy and the session policy decide.

mod pop_support;

use pop_support::*;
use ramgate::kms::Clock as _;
use ramgate::ram::{Identity, PolicyRef, Target};
use ramgate::server::credentials::Credentials;
use ramgate::server::keystore::KeyStore;
use ramgate::server::pop::Product::{Kms, Sts};
use time::Duration;

const ROLE: &str = "acs:ram::1234567890123456:role/reader";
const TRUST_ACCOUNT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
    "Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}"#;
const MAY_ASSUME: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
    "Resource":"acs:ram::1234567890123456:role/reader"}]}"#;
const KMS_ALL: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;

fn setup() -> Env {
    let env = Env::new();
    env.svc
        .edit_directory(|a| {
            a.create_role("reader", TRUST_ACCOUNT)?;
            a.create_policy("KmsAll", KMS_ALL)?;
            a.attach_policy(
                &Target::Role("reader".into()),
                &PolicyRef::Custom("KmsAll".into()),
            )
        })
        .unwrap();
    env.user_with_policy("alice", MAY_ASSUME);
    env.svc
        .edit_directory(|a| a.create_user("bob").map(drop))
        .unwrap();
    env
}

fn session_of(env: &Env, v: &serde_json::Value) -> Identity {
    let c = &v["Credentials"];
    let got = env
        .store
        .resolve(
            c["AccessKeyId"].as_str().unwrap(),
            c["SecurityToken"].as_str(),
            env.clock.now(),
        )
        .unwrap();
    assert_eq!(
        got.secret.as_slice(),
        c["AccessKeySecret"].as_str().unwrap().as_bytes()
    );
    got.identity
}

#[test]
fn assume_role_issues_sts_credentials_that_resolve_to_the_session() {
    let env = setup();
    let v = env.ok(
        Sts,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "demo")],
        &user("alice"),
    );
    let c = &v["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert!(!c["SecurityToken"].as_str().unwrap().is_empty());
    assert_eq!(c["Expiration"], "2026-12-01T09:00:00Z");
    assert_eq!(v["AssumedRoleUser"]["Arn"], format!("{ROLE}/demo"));
    let role_id = v["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap();
    assert!(
        role_id.ends_with(":demo") && role_id.starts_with('3'),
        "{role_id}"
    );

    let session = session_of(&env, &v);
    assert_eq!(session.to_string(), format!("{ROLE}/demo"));
    // The session acts with the role's permissions.
    env.ok(Kms, "CreateKey", &[], &session);

    // A restart: a new store over the directory still resolves the token.
    let again = KeyStore::open(&env.svc).unwrap();
    assert!(
        again
            .resolve(
                c["AccessKeyId"].as_str().unwrap(),
                c["SecurityToken"].as_str(),
                env.clock.now()
            )
            .is_ok()
    );

    let me = env.ok(Sts, "GetCallerIdentity", &[], &session);
    assert_eq!(me["IdentityType"], "AssumedRoleUser");
    assert_eq!(me["AccountId"], ACCOUNT);
    assert_eq!(me["PrincipalId"], role_id);
    let me = env.ok(Sts, "GetCallerIdentity", &[], &user("alice"));
    assert_eq!(me["IdentityType"], "RAMUser");
    assert_eq!(me["Arn"], "acs:ram::1234567890123456:user/alice");
}

#[test]
fn an_expired_session_is_refused_with_security_token_expired() {
    let env = setup();
    let v = env.ok(
        Sts,
        "AssumeRole",
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "short"),
            ("DurationSeconds", "900"),
        ],
        &user("alice"),
    );
    let c = &v["Credentials"];
    assert_eq!(c["Expiration"], "2026-12-01T08:15:00Z");
    env.clock.advance(Duration::seconds(900));
    let e = env
        .store
        .resolve(
            c["AccessKeyId"].as_str().unwrap(),
            c["SecurityToken"].as_str(),
            env.clock.now(),
        )
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("SecurityToken.Expired", 400));
}

#[test]
fn a_session_policy_narrows_what_the_session_may_do() {
    let env = setup();
    let only_list = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;
    let v = env.ok(
        Sts,
        "AssumeRole",
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "narrow"),
            ("Policy", only_list),
        ],
        &user("alice"),
    );
    let session = session_of(&env, &v);
    env.ok(Kms, "ListKeys", &[], &session);
    let e = env.err(Kms, "CreateKey", &[], &session);
    assert_eq!((e.status, e.code.as_str()), (403, "Forbidden.NoPermission"));
    assert!(
        e.message
            .contains("no statement of the session policy applies"),
        "{}",
        e.message
    );
}

#[test]
fn assume_role_refusals_have_stss_codes() {
    let env = setup();
    let params = [("RoleArn", ROLE), ("RoleSessionName", "demo")];
    // Bob's own policies do not allow sts:AssumeRole.
    let e = env.err(Sts, "AssumeRole", &params, &user("bob"));
    assert_eq!((e.status, e.code.as_str()), (403, "NoPermission"));
    assert!(
        e.message.contains("step `assume-role.identity`"),
        "{}",
        e.message
    );
    // The account itself cannot assume roles.
    let e = env.err(Sts, "AssumeRole", &params, &root());
    assert_eq!((e.status, e.code.as_str()), (403, "NoPermission"));
    // Durations outside 900 … the role's maximum (3600).
    for d in ["899", "3601"] {
        let e = env.err(
            Sts,
            "AssumeRole",
            &[
                ("RoleArn", ROLE),
                ("RoleSessionName", "demo"),
                ("DurationSeconds", d),
            ],
            &user("alice"),
        );
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "InvalidParameter.DurationSeconds"),
            "{d}"
        );
    }
    // The role's maximum, raised, admits a longer session.
    env.svc
        .edit_directory(|a| a.set_max_session_duration("reader", 7200))
        .unwrap();
    let v = env.ok(
        Sts,
        "AssumeRole",
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "demo"),
            ("DurationSeconds", "7200"),
        ],
        &user("alice"),
    );
    assert_eq!(v["Credentials"]["Expiration"], "2026-12-01T10:00:00Z");
    let e = env.err(
        Sts,
        "AssumeRole",
        &[("RoleArn", "role/reader"), ("RoleSessionName", "demo")],
        &user("alice"),
    );
    assert_eq!(e.code, "InvalidParameter.RoleArn");
    let e = env.err(Sts, "AssumeRole", &[("RoleArn", ROLE)], &user("alice"));
    assert_eq!((e.status, e.code.as_str()), (400, "MissingParameter"));
    let e = env.err(
        Sts,
        "AssumeRole",
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "demo"),
            ("Policy", "{not json"),
        ],
        &user("alice"),
    );
    assert_eq!(e.code, "InvalidParameter.PolicyGrammar");
}

#[test]
fn the_trust_policy_sees_the_source_ip_of_the_call() {
    let env = setup();
    env.svc
        .edit_directory(|a| {
            a.update_trust_policy(
                "reader",
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
                    "Principal":{"RAM":["acs:ram::1234567890123456:root"]},
                    "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
            )
        })
        .unwrap();
    let params = [("RoleArn", ROLE), ("RoleSessionName", "demo")];
    assert!(
        env.call_with(
            Sts,
            "AssumeRole",
            &params,
            &user("alice"),
            &from_ip("10.9.9.9")
        )
        .is_ok()
    );
    let e = env
        .call_with(
            Sts,
            "AssumeRole",
            &params,
            &user("alice"),
            &from_ip("127.0.0.1"),
        )
        .unwrap_err();
    assert_eq!(e.code, "NoPermission");
    assert!(
        e.message.contains("step `assume-role.trust`"),
        "{}",
        e.message
    );
}
