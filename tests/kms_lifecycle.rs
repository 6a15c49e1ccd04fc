//! Keys through their lives, and the parameters of every API.

#![cfg(feature = "kms")]

mod kms_support;

use kms_support::{ACCOUNT, Fixture, REGION, START, as_account};
use ramgate::kms::{DataKeySpec, EncryptionContext, KeySpec, KeyState, KeyUsage};
use time::Duration;

#[test]
fn disabling_a_key_suspends_its_blobs_and_deletion_ends_them() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunSm4).key_id.to_string();
    let ctx = EncryptionContext::from_pairs([("project", "p"), ("logstore", "l")]).unwrap();
    let data_key = f
        .kms
        .generate_data_key(&as_account(), &id, DataKeySpec::AES_256, &ctx)
        .unwrap();
    let blob = data_key.ciphertext_blob.clone();

    f.kms.disable_key(&as_account(), &id).unwrap();
    let err = f.kms.decrypt(&as_account(), &blob, &ctx).unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("Rejected.Disabled", 409));

    f.kms.enable_key(&as_account(), &id).unwrap();
    let opened = f.kms.decrypt(&as_account(), &blob, &ctx).unwrap();
    assert_eq!(opened.plaintext.expose(), data_key.plaintext.expose());

    f.kms.schedule_key_deletion(&as_account(), &id, 7).unwrap();
    let m = f.kms.describe_key(&as_account(), &id).unwrap();
    assert_eq!(m.key_state, KeyState::PendingDeletion);
    assert_eq!(m.delete_date, Some(START + Duration::days(7)));
    f.clock.advance(Duration::days(7) - Duration::seconds(1));
    let err = f.kms.decrypt(&as_account(), &blob, &ctx).unwrap_err();
    assert_eq!(err.code(), "Rejected.PendingDeletion");

    // The window ends: the key is destroyed, for good.
    f.clock.advance(Duration::seconds(1));
    let err = f.kms.decrypt(&as_account(), &blob, &ctx).unwrap_err();
    assert_eq!(
        (err.code(), err.http_status()),
        ("Forbidden.KeyNotFound", 404)
    );
    assert_eq!(
        err.to_string(),
        format!("key `{id}` is not found"),
        "the blob names the key"
    );
    assert_eq!(
        f.kms.list_keys(&as_account(), 1, 10).unwrap().total_count,
        0
    );
    for result in [
        f.kms.enable_key(&as_account(), &id),
        f.kms.cancel_key_deletion(&as_account(), &id),
        f.kms.describe_key(&as_account(), &id).map(|_| ()),
    ] {
        assert_eq!(result.unwrap_err().code(), "Forbidden.KeyNotFound");
    }
    // Nor does turning the clock back or reopening the store bring it back.
    f.clock.advance(Duration::days(-30));
    let f = f.reopen();
    assert_eq!(
        f.kms
            .decrypt(&as_account(), &blob, &ctx)
            .unwrap_err()
            .code(),
        "Forbidden.KeyNotFound"
    );
    let store = std::fs::read_to_string(f.dir.path().join("keys.json")).unwrap();
    assert!(
        !store.contains(&id),
        "the destroyed key is erased from the store"
    );
}

#[test]
fn a_key_whose_window_passed_while_closed_is_destroyed_on_the_next_call() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    f.kms.schedule_key_deletion(&as_account(), &id, 30).unwrap();
    let f = f.reopen();
    f.clock.advance(Duration::days(31));
    assert_eq!(f.kms.list_keys(&as_account(), 1, 10).unwrap().keys, vec![]);
    let store = std::fs::read_to_string(f.dir.path().join("keys.json")).unwrap();
    assert!(!store.contains(&id));
}

#[test]
fn deletion_windows_are_7_to_30_days() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    for days in [0, 6, 31, 365] {
        let err = f
            .kms
            .schedule_key_deletion(&as_account(), &id, days)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("`PendingWindowInDays` `{days}` is outside 7–30")
        );
        assert_eq!(err.http_status(), 400);
    }
    assert_eq!(
        f.kms.describe_key(&as_account(), &id).unwrap().key_state,
        KeyState::Enabled
    );
    f.kms.schedule_key_deletion(&as_account(), &id, 30).unwrap();
    assert_eq!(
        f.kms.describe_key(&as_account(), &id).unwrap().delete_date,
        Some(START + Duration::days(30))
    );
}

#[test]
fn create_key_answers_alibaba_metadata() {
    let f = Fixture::new();
    let m = f
        .kms
        .create_key(
            &as_account(),
            KeySpec::default(),
            KeyUsage::default(),
            "for logs",
        )
        .unwrap();
    assert_eq!(m.key_spec, KeySpec::AliyunAes256);
    assert_eq!(m.key_state, KeyState::Enabled);
    assert_eq!(
        m.arn,
        format!("acs:kms:{REGION}:{ACCOUNT}:key/{}", m.key_id)
    );
    assert_eq!(m.creation_date, START);
    assert_eq!(m.delete_date, None);
    let json = serde_json::to_value(&m).unwrap();
    let expected = serde_json::json!({
        "KeyId": m.key_id.to_string(),
        "Arn": m.arn,
        "KeySpec": "Aliyun_AES_256",
        "KeyUsage": "ENCRYPT/DECRYPT",
        "KeyState": "Enabled",
        "Origin": "Aliyun_KMS",
        "ProtectionLevel": "SOFTWARE",
        "Creator": ACCOUNT,
        "CreationDate": "2026-03-01T08:00:00Z",
        "Description": "for logs",
        "PrimaryKeyVersion": m.primary_key_version.to_string(),
    });
    assert_eq!(json, expected);
    f.kms
        .schedule_key_deletion(&as_account(), &m.key_id.to_string(), 7)
        .unwrap();
    let json = serde_json::to_value(
        f.kms
            .describe_key(&as_account(), &m.key_id.to_string())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["DeleteDate"], "2026-03-08T08:00:00Z");
    assert_eq!(json["KeyState"], "PendingDeletion");
}

#[test]
fn descriptions_are_at_most_8192_characters() {
    let f = Fixture::new();
    let usage = KeyUsage::EncryptDecrypt;
    f.kms
        .create_key(&as_account(), KeySpec::AliyunSm4, usage, &"描".repeat(8192))
        .unwrap();
    let err = f
        .kms
        .create_key(&as_account(), KeySpec::AliyunSm4, usage, &"d".repeat(8193))
        .unwrap_err();
    assert_eq!(err.code(), "InvalidParameter");
    assert_eq!(
        f.kms.list_keys(&as_account(), 1, 10).unwrap().total_count,
        1
    );
}

#[test]
fn blobs_name_the_key_and_its_primary_version() {
    let f = Fixture::new();
    let m = f.key(KeySpec::AliyunSm4);
    let ctx = EncryptionContext::new();
    let out = f
        .kms
        .encrypt(&as_account(), &m.key_id.to_string(), b"x", &ctx)
        .unwrap();
    assert_eq!(out.key_id, m.key_id);
    assert_eq!(out.key_version_id, m.primary_key_version);
    let opened = f
        .kms
        .decrypt(&as_account(), &out.ciphertext_blob, &ctx)
        .unwrap();
    assert_eq!(opened.key_id, m.key_id);
    assert_eq!(opened.key_version_id, m.primary_key_version);
    // Random nonces: the same plaintext twice gives two blobs.
    let again = f
        .kms
        .encrypt(&as_account(), &m.key_id.to_string(), b"x", &ctx)
        .unwrap();
    assert_ne!(again.ciphertext_blob, out.ciphertext_blob);
}

#[test]
fn data_key_lengths() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let ctx = EncryptionContext::new();
    let len = |spec| {
        f.kms
            .generate_data_key(&as_account(), &id, spec, &ctx)
            .unwrap()
            .plaintext
            .len()
    };
    assert_eq!(len(DataKeySpec::default()), 32);
    assert_eq!(len(DataKeySpec::AES_128), 16);
    assert_eq!(
        len(DataKeySpec::from_params(Some("AES_128"), Some(1)).unwrap()),
        1
    );
    assert_eq!(len(DataKeySpec::bytes(1024).unwrap()), 1024);
}

#[test]
fn encrypt_takes_at_most_6_kib() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let ctx = EncryptionContext::new();
    f.kms.encrypt(&as_account(), &id, &[1; 6144], &ctx).unwrap();
    let err = f
        .kms
        .encrypt(&as_account(), &id, &[1; 6145], &ctx)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the plaintext has 6145 bytes, more than the 6144 `Encrypt` accepts"
    );
    assert_eq!(err.code(), "InvalidParameter");
}

#[test]
fn keys_are_named_by_id_or_by_arn_of_this_region_and_account() {
    let f = Fixture::new();
    let m = f.key(KeySpec::AliyunAes256);
    assert_eq!(
        f.kms.describe_key(&as_account(), &m.arn).unwrap().key_id,
        m.key_id
    );
    let id = m.key_id.to_string();
    for other in [
        format!("acs:kms:cn-shanghai:{ACCOUNT}:key/{id}"),
        format!("acs:kms:{REGION}:6543210987654321:key/{id}"),
        format!("acs:ecs:{REGION}:{ACCOUNT}:key/{id}"),
        id.to_uppercase(),
        "alias/logs".to_owned(),
        String::new(),
        // Well formed, never made.
        "00000000-0000-4000-8000-000000000000".to_owned(),
    ] {
        let err = f.kms.describe_key(&as_account(), &other).unwrap_err();
        assert_eq!(err.code(), "Forbidden.KeyNotFound", "{other}");
        assert_eq!(err.to_string(), format!("key `{other}` is not found"));
    }
}

#[test]
fn list_keys_pages_oldest_first() {
    let f = Fixture::new();
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(f.key(KeySpec::AliyunSm4).key_id);
        f.clock.advance(Duration::seconds(1));
    }
    let page = |n, size| f.kms.list_keys(&as_account(), n, size).unwrap();
    let ids = |list: ramgate::kms::KeyList| list.keys.iter().map(|k| k.key_id).collect::<Vec<_>>();
    assert_eq!(ids(page(1, 2)), made[..2]);
    assert_eq!(ids(page(2, 2)), made[2..]);
    assert_eq!(ids(page(3, 2)), vec![]);
    assert_eq!(ids(page(u32::MAX, 100)), vec![]);
    let all = page(1, 100);
    assert_eq!(all.total_count, 3);
    assert_eq!(
        all.keys[0].key_arn,
        f.kms
            .describe_key(&as_account(), &made[0].to_string())
            .unwrap()
            .arn
    );
    let json = serde_json::to_value(page(1, 1)).unwrap();
    assert_eq!(json["TotalCount"], 3);
    assert_eq!(json["Keys"][0]["KeyId"], made[0].to_string());
    for (n, size) in [(0, 10), (1, 0), (1, 101)] {
        assert_eq!(
            f.kms.list_keys(&as_account(), n, size).unwrap_err().code(),
            "InvalidParameter"
        );
    }
}

#[test]
fn malformed_blobs_are_invalid_parameters() {
    let f = Fixture::new();
    let ctx = EncryptionContext::new();
    for (blob, message) in [
        (
            &b""[..],
            "the ciphertext blob is malformed: it is truncated",
        ),
        (
            b"not a blob at all, just some text here",
            "the ciphertext blob is malformed: it is not a ramgate KMS ciphertext blob",
        ),
        (
            b"RGKB\x02rest",
            "unsupported ciphertext blob format version `2`",
        ),
    ] {
        let err = f.kms.decrypt(&as_account(), blob, &ctx).unwrap_err();
        assert_eq!((err.code(), err.http_status()), ("InvalidParameter", 400));
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn the_kms_is_for_one_valid_region_and_account() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ramgate::kms::SystemClock);
    let open = |region: &str, account: &str| {
        ramgate::kms::Kms::open_with_root_key(
            dir.path(),
            region,
            account,
            clock.clone(),
            ramgate::kms::RootKeySource::data_dir(),
        )
    };
    assert_eq!(open("", ACCOUNT).unwrap_err().code(), "InvalidParameter");
    assert_eq!(
        open("cn hangzhou", ACCOUNT).unwrap_err().code(),
        "InvalidParameter"
    );
    assert_eq!(
        open(REGION, "12345").unwrap_err().to_string(),
        "invalid account id `12345`, expected 16 digits"
    );
    let kms = open(REGION, ACCOUNT).unwrap();
    assert_eq!((kms.region(), kms.account()), (REGION, ACCOUNT));
    assert_eq!(
        kms.resource_arn(ramgate::kms::Api::CreateKey, None),
        format!("acs:kms:{REGION}:{ACCOUNT}:key")
    );
}

#[test]
fn one_kms_serves_many_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let f = Fixture::new();
    shareable(&f.kms);
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let ctx = EncryptionContext::new();
    std::thread::scope(|s| {
        for i in 0..4u8 {
            let (kms, id, ctx) = (&f.kms, &id, &ctx);
            s.spawn(move || {
                let blob = kms
                    .encrypt(&as_account(), id, &[i; 8], ctx)
                    .unwrap()
                    .ciphertext_blob;
                assert_eq!(
                    kms.decrypt(&as_account(), &blob, ctx)
                        .unwrap()
                        .plaintext
                        .expose(),
                    &[i; 8]
                );
                kms.create_key(
                    &as_account(),
                    KeySpec::AliyunSm4,
                    KeyUsage::EncryptDecrypt,
                    "",
                )
                .unwrap();
            });
        }
    });
    let f = f.reopen();
    assert_eq!(
        f.kms.list_keys(&as_account(), 1, 10).unwrap().total_count,
        5
    );
}
