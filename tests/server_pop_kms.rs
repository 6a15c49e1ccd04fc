#![cfg(feature = "server")]
//! KMS over POP, through `pop::handle`: each API's answer with the keys of
//! wire-protocols §4.5, its refusals with Alibaba's codes, and RAM deciding
//! with the request's context.

mod pop_support;

use pop_support::*;
use ramgate::server::pop::Product::Kms;

fn create_key(env: &Env) -> String {
    let v = env.ok(Kms, "CreateKey", &[("Description", "demo key")], &root());
    v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
}

#[test]
fn create_describe_and_list_keys_answer_alibabas_keys() {
    let env = Env::new();
    let v = env.ok(
        Kms,
        "CreateKey",
        &[
            ("KeySpec", "Aliyun_AES_256"),
            ("KeyUsage", "ENCRYPT/DECRYPT"),
            ("Description", "demo key"),
        ],
        &root(),
    );
    let m = &v["KeyMetadata"];
    for key in [
        "KeyId",
        "Arn",
        "KeySpec",
        "KeyState",
        "KeyUsage",
        "Origin",
        "ProtectionLevel",
        "CreationDate",
        "Creator",
        "Description",
        "PrimaryKeyVersion",
        "AutomaticRotation",
        "DeleteDate",
    ] {
        assert!(m.get(key).is_some(), "KeyMetadata.{key} missing: {m}");
    }
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Description"], "demo key");
    let id = m["KeyId"].as_str().unwrap();
    assert_eq!(m["Arn"], format!("acs:kms:{REGION}:{ACCOUNT}:key/{id}"));

    let d = env.ok(Kms, "DescribeKey", &[("KeyId", id)], &root());
    assert_eq!(d["KeyMetadata"]["KeyId"], id);
    assert!(d["KeyMetadata"].get("DeletionProtection").is_some());

    // ListKeys is oldest first: the second key is a second younger (keys
    // made in the same second are ordered by id).
    env.clock.advance(time::Duration::seconds(1));
    create_key(&env);
    let l = env.ok(Kms, "ListKeys", &[("PageSize", "1")], &root());
    assert_eq!(l["TotalCount"], 2);
    assert_eq!(l["PageNumber"], 1);
    assert_eq!(l["PageSize"], 1);
    let keys = l["Keys"]["Key"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["KeyId"], id);
    assert!(keys[0]["KeyArn"].as_str().unwrap().ends_with(id));
}

#[test]
fn encrypt_gives_back_the_text_and_data_keys_decrypt_to_their_base64() {
    let env = Env::new();
    let id = create_key(&env);
    let ctx = r#"{"project":"p1"}"#;
    let e = env.ok(
        Kms,
        "Encrypt",
        &[
            ("KeyId", &id),
            ("Plaintext", "hello world"),
            ("EncryptionContext", ctx),
        ],
        &root(),
    );
    assert_eq!(e["KeyId"], id.as_str());
    assert!(e["KeyVersionId"].is_string());
    let blob = e["CiphertextBlob"].as_str().unwrap();
    let d = env.ok(
        Kms,
        "Decrypt",
        &[("CiphertextBlob", blob), ("EncryptionContext", ctx)],
        &root(),
    );
    assert_eq!(d["Plaintext"], "hello world");
    assert_eq!(d["KeyId"], id.as_str());

    // Another context does not open it.
    let wrong = env.err(
        Kms,
        "Decrypt",
        &[
            ("CiphertextBlob", blob),
            ("EncryptionContext", r#"{"project":"p2"}"#),
        ],
        &root(),
    );
    assert_eq!(
        (wrong.status, wrong.code.as_str()),
        (400, "InvalidParameter")
    );

    let g = env.ok(
        Kms,
        "GenerateDataKey",
        &[("KeyId", &id), ("NumberOfBytes", "16")],
        &root(),
    );
    let plain = g["Plaintext"].as_str().unwrap();
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(plain)
        .unwrap();
    assert_eq!(raw.len(), 16);
    let d = env.ok(
        Kms,
        "Decrypt",
        &[("CiphertextBlob", g["CiphertextBlob"].as_str().unwrap())],
        &root(),
    );
    assert_eq!(d["Plaintext"], plain);
}

#[test]
fn key_states_change_and_refuse_with_409() {
    let env = Env::new();
    let id = create_key(&env);
    let k = [("KeyId", id.as_str())];
    assert_eq!(
        env.ok(Kms, "DisableKey", &k, &root()),
        serde_json::json!({})
    );
    let e = env.err(
        Kms,
        "Encrypt",
        &[("KeyId", &id), ("Plaintext", "x")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (409, "Rejected.Disabled"));
    env.ok(Kms, "EnableKey", &k, &root());
    env.ok(
        Kms,
        "Encrypt",
        &[("KeyId", &id), ("Plaintext", "x")],
        &root(),
    );

    env.ok(
        Kms,
        "ScheduleKeyDeletion",
        &[("KeyId", &id), ("PendingWindowInDays", "7")],
        &root(),
    );
    let d = env.ok(Kms, "DescribeKey", &k, &root());
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingDeletion");
    assert!(
        d["KeyMetadata"]["DeleteDate"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let e = env.err(Kms, "GenerateDataKey", &k, &root());
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "Rejected.PendingDeletion")
    );
    env.ok(Kms, "CancelKeyDeletion", &k, &root());
    let d = env.ok(Kms, "DescribeKey", &k, &root());
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");

    let e = env.err(
        Kms,
        "ScheduleKeyDeletion",
        &[("KeyId", &id), ("PendingWindowInDays", "3")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidParameter"));
}

#[test]
fn parameter_and_lookup_errors_have_alibabas_codes() {
    let env = Env::new();
    let e = env.err(Kms, "DescribeKey", &[], &root());
    assert_eq!((e.status, e.code.as_str()), (400, "MissingParameter"));
    assert!(e.message.contains("`KeyId`"), "{}", e.message);
    let e = env.err(
        Kms,
        "DescribeKey",
        &[("KeyId", "86a9efd9-3d16-4894-bd4f-1fc43f3f2abf")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (404, "Forbidden.KeyNotFound"));
    let e = env.err(Kms, "CreateKey", &[("KeySpec", "RSA_2048")], &root());
    assert_eq!(e.status, 400);
    let e = env.err(
        Kms,
        "Decrypt",
        &[("CiphertextBlob", "not base64!")],
        &root(),
    );
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidParameter"));
    let e = env.err(Kms, "RotateKey", &[], &root());
    assert_eq!((e.status, e.code.as_str()), (404, "InvalidApi.NotFound"));
}

#[test]
fn a_user_without_permission_is_refused_naming_the_step_and_why() {
    let env = Env::new();
    let id = create_key(&env);
    env.svc
        .edit_directory(|a| a.create_user("bob").map(drop))
        .unwrap();
    let e = env.err(Kms, "DescribeKey", &[("KeyId", &id)], &user("bob"));
    assert_eq!((e.status, e.code.as_str()), (403, "Forbidden.NoPermission"));
    assert!(e.message.contains("step `authorize`"), "{}", e.message);
    assert!(e.message.contains("`kms:DescribeKey`"), "{}", e.message);
    assert!(
        e.message
            .contains("no statement of the identity policies applies"),
        "{}",
        e.message
    );

    // An explicit deny is named as policy:line:column.
    env.user_with_policy(
        "carol",
        "{\"Version\":\"1\",\"Statement\":[\n  {\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"},\n  {\"Effect\":\"Deny\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}",
    );
    let blob = env.ok(
        Kms,
        "Encrypt",
        &[("KeyId", &id), ("Plaintext", "x")],
        &user("carol"),
    );
    let e = env.err(
        Kms,
        "Decrypt",
        &[("CiphertextBlob", blob["CiphertextBlob"].as_str().unwrap())],
        &user("carol"),
    );
    assert_eq!(e.code, "Forbidden.NoPermission");
    assert!(
        e.message
            .contains("denied by user/carol:policy/carol-policy@v1:3:3 statement 1"),
        "{}",
        e.message
    );
}

#[test]
fn an_acs_source_ip_condition_is_decided_on_the_calls_context() {
    let env = Env::new();
    let id = create_key(&env);
    env.user_with_policy(
        "ops",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*",
            "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
    );
    let k = [("KeyId", id.as_str())];
    let inside = env.call_with(Kms, "DescribeKey", &k, &user("ops"), &from_ip("10.1.2.3"));
    assert!(inside.is_ok(), "{inside:?}");
    let outside = env
        .call_with(
            Kms,
            "DescribeKey",
            &k,
            &user("ops"),
            &from_ip("192.168.1.1"),
        )
        .unwrap_err();
    assert_eq!(
        (outside.status, outside.code.as_str()),
        (403, "Forbidden.NoPermission")
    );
}
