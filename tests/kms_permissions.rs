//! Every KMS call is authorized as `kms:<ApiName>` on the key ARN through
//! RAM, and records its decision step whether it is allowed or not. The
//! seed's role session (trusted by `log.aliyuncs.com`, with
//! `AliyunKMSReadOnlyAccess` and `AliyunKMSCryptoUserAccess`) may use keys
//! but not manage them.

#![cfg(feature = "kms")]

mod kms_support;

use kms_support::{ACCOUNT, Fixture, START, as_account};
use ramgate::authz::Decision;
use ramgate::kms::{Caller, DataKeySpec, EncryptionContext, KeySpec, KeyUsage};
use ramgate::ram::{
    AssumeRoleRequest, Directory, Identity, ManualClock, PolicyRef, Ram, StepKind, Target,
};

const LOG_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;

fn directory(with_crypto_user: bool) -> Directory {
    let mut d = Directory::new();
    let a = d.add_account(ACCOUNT).unwrap();
    a.create_role("sls-byok", LOG_TRUST).unwrap();
    let role = Target::Role("sls-byok".into());
    a.attach_policy(&role, &PolicyRef::System("AliyunKMSReadOnlyAccess".into()))
        .unwrap();
    if with_crypto_user {
        a.attach_policy(
            &role,
            &PolicyRef::System("AliyunKMSCryptoUserAccess".into()),
        )
        .unwrap();
    }
    a.create_user("alice").unwrap();
    d
}

/// Log Service assumes the role, as it does for BYOK.
fn log_session(d: &Directory, clock: &ManualClock) -> Identity {
    let log = Identity::Service {
        service: "log.aliyuncs.com".into(),
        account: Some(ACCOUNT.into()),
    };
    let req = AssumeRoleRequest::new(format!("acs:ram::{ACCOUNT}:role/sls-byok"), "sls-byok");
    let assumed = Ram::new(d, clock).assume_role(&log, &req).unwrap();
    Identity::RoleSession(assumed.session)
}

#[test]
fn the_seed_role_session_may_use_keys_but_not_manage_them() {
    let f = Fixture::new();
    let key = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let clock = ManualClock::new(START);
    let d = directory(true);
    let session = log_session(&d, &clock);
    let caller = Caller::new(Ram::new(&d, &clock), &session);
    let ctx = EncryptionContext::from_pairs([("logstore", "l1")]).unwrap();

    let data_key = f
        .kms
        .generate_data_key(&caller, &key, DataKeySpec::AES_256, &ctx)
        .unwrap();
    let opened = f
        .kms
        .decrypt(&caller, &data_key.ciphertext_blob, &ctx)
        .unwrap();
    assert_eq!(opened.plaintext.expose(), data_key.plaintext.expose());
    f.kms.describe_key(&caller, &key).unwrap();
    f.kms.list_keys(&caller, 1, 10).unwrap();

    for (api, err) in [
        (
            "kms:DisableKey",
            f.kms.disable_key(&caller, &key).unwrap_err(),
        ),
        (
            "kms:ScheduleKeyDeletion",
            f.kms.schedule_key_deletion(&caller, &key, 7).unwrap_err(),
        ),
        (
            "kms:CreateKey",
            f.kms
                .create_key(&caller, KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
                .map(|_| ())
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            (err.code(), err.http_status()),
            ("Forbidden.NoPermission", 403),
            "{api}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("`{api}` on `acs:kms:cn-hangzhou:{ACCOUNT}:key")),
            "{err}"
        );
    }

    // Every call left its step, allowed or not, in order.
    let chain = caller.take_chain();
    let asked: Vec<(&str, Decision)> = chain
        .steps
        .iter()
        .map(|s| (s.action.as_str(), s.response.decision))
        .collect();
    assert_eq!(
        asked,
        [
            ("kms:GenerateDataKey", Decision::Allow),
            ("kms:Decrypt", Decision::Allow),
            ("kms:DescribeKey", Decision::Allow),
            ("kms:ListKeys", Decision::Allow),
            ("kms:DisableKey", Decision::ImplicitDeny),
            ("kms:ScheduleKeyDeletion", Decision::ImplicitDeny),
            ("kms:CreateKey", Decision::ImplicitDeny),
        ]
    );
    assert!(chain.steps.iter().all(|s| s.step == StepKind::Authorize));
    assert_eq!(
        chain.steps[0].resource.as_deref(),
        Some(format!("acs:kms:cn-hangzhou:{ACCOUNT}:key/{key}").as_str())
    );
    assert_eq!(
        chain.steps[3].resource.as_deref(),
        Some(format!("acs:kms:cn-hangzhou:{ACCOUNT}:key").as_str())
    );
    // The refused call changed nothing.
    assert_eq!(
        f.kms
            .describe_key(&as_account(), &key)
            .unwrap()
            .key_state
            .to_string(),
        "Enabled"
    );
}

#[test]
fn without_the_crypto_user_policy_generate_data_key_is_forbidden() {
    let f = Fixture::new();
    let key = f.key(KeySpec::AliyunSm4).key_id.to_string();
    let clock = ManualClock::new(START);
    let d = directory(false);
    let session = log_session(&d, &clock);
    let caller = Caller::new(Ram::new(&d, &clock), &session);
    let err = f
        .kms
        .generate_data_key(
            &caller,
            &key,
            DataKeySpec::AES_256,
            &EncryptionContext::new(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "Forbidden.NoPermission");
    // Read-only access still describes the key.
    f.kms.describe_key(&caller, &key).unwrap();
}

#[test]
fn a_user_without_policies_learns_nothing_about_keys() {
    let f = Fixture::new();
    let clock = ManualClock::new(START);
    let d = directory(true);
    let alice = Identity::User {
        account: ACCOUNT.into(),
        name: "alice".into(),
    };
    let caller = Caller::new(Ram::new(&d, &clock), &alice);
    let missing = "00000000-0000-4000-8000-000000000000";
    // Authorization comes before the lookup: no permission, not "not found".
    let err = f.kms.describe_key(&caller, missing).unwrap_err();
    assert_eq!(err.code(), "Forbidden.NoPermission");
}

#[test]
fn an_expired_session_cannot_call_at_all() {
    let f = Fixture::new();
    let key = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let clock = ManualClock::new(START);
    let d = directory(true);
    let session = log_session(&d, &clock);
    clock.advance(time::Duration::hours(2));
    let caller = Caller::new(Ram::new(&d, &clock), &session);
    let err = f.kms.describe_key(&caller, &key).unwrap_err();
    assert_eq!(err.code(), "InvalidSecurityToken.Expired");
}
