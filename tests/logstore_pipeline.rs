//! The gated encryption pipeline through the public API: the seed
//! document's rules, end to end, on a real data directory.

#![cfg(feature = "logstore")]

mod logstore_support;

use logstore_support::*;
use ramgate::logstore::{EncryptConf, LogstoreConfig, verify_audit_log};
use ramgate::ram::{PolicyRef, StepKind, Target};

#[test]
fn byok_and_service_key_logstores_write_and_read_back() {
    let mut env = Env::new();
    env.create("byok-m4", Some(env.byok("m4")));
    env.create("svc-aes", Some(Env::service_key("default")));
    env.create("plain", None);
    for store in ["byok-m4", "svc-aes", "plain"] {
        for n in 0..5 {
            env.svc
                .put_logs(&user("alice"), "app", store, Some(n % 2), &group(n))
                .unwrap();
        }
        let pulled = env
            .svc
            .pull_logs(&user("alice"), "app", store, 0, 0, 100)
            .unwrap();
        let got: Vec<_> = pulled.groups.iter().map(|g| g.group.clone()).collect();
        assert_eq!(got, vec![group(0), group(2), group(4)], "{store}");
        assert_eq!(pulled.next_cursor, 3);
        let all = env
            .svc
            .get_logs(&user("alice"), "app", store, 0, u32::MAX)
            .unwrap();
        assert_eq!(all.len(), 5);
    }
    // Nothing readable is on disk for the encrypted stores.
    for store in ["byok-m4", "svc-aes"] {
        let seg = std::fs::read(
            ramgate::logstore::ReadOnlyDir::open(env.dir.path())
                .unwrap()
                .segment_path("app", store, 0)
                .unwrap(),
        )
        .unwrap();
        assert!(
            !String::from_utf8_lossy(&seg).contains("GET /item"),
            "{store} stores plaintext"
        );
    }
    let plain = std::fs::read(
        ramgate::logstore::ReadOnlyDir::open(env.dir.path())
            .unwrap()
            .segment_path("app", "plain", 0)
            .unwrap(),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&plain).contains("GET /item/0"));
    // And after reopening, everything still reads.
    env.reopen();
    assert_eq!(
        env.svc
            .get_logs(&user("alice"), "app", "byok-m4", 0, u32::MAX)
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn the_write_chain_is_caller_then_trust_then_key() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("default")));
    let first = env
        .svc
        .put_logs_traced(&user("alice"), "app", "byok", None, &group(1));
    first.outcome.unwrap();
    let steps: Vec<(StepKind, String)> = first
        .chain
        .steps
        .iter()
        .map(|s| (s.step, s.action.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (StepKind::Authorize, "log:PostLogStoreLogs".to_string()),
            (StepKind::AssumeRoleTrust, "sts:AssumeRole".to_string()),
            (StepKind::Authorize, "kms:GenerateDataKey".to_string()),
        ]
    );
    // The second write reuses the data key only after deciding the chain
    // again: trust, then kms:Decrypt of the stored data key.
    let second = env
        .svc
        .put_logs_traced(&user("alice"), "app", "byok", None, &group(2));
    second.outcome.unwrap();
    let actions: Vec<&str> = second
        .chain
        .steps
        .iter()
        .map(|s| s.action.as_str())
        .collect();
    assert_eq!(
        actions,
        ["log:PostLogStoreLogs", "sts:AssumeRole", "kms:Decrypt"]
    );
    // Every seal and open is in the audit log with its chain.
    let records = verify_audit_log(&env.dir.path().join("audit.jsonl")).unwrap();
    let puts: Vec<_> = records
        .iter()
        .filter(|r| r.event["op"] == "put_logs")
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1].event["outcome"], "allowed");
    assert_eq!(puts[1].event["chain"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        puts[1].event["chain"][2]["trace"]["statements"]
            .as_array()
            .map(|s| !s.is_empty()),
        Some(true)
    );
}

#[test]
fn an_unknown_encrypt_type_is_the_live_error() {
    let env = Env::new();
    let conf = EncryptConf {
        enable: true,
        encrypt_type: "typex".into(),
        user_cmk_info: None,
    };
    let config = LogstoreConfig {
        ttl: None,
        name: "bad".into(),
        shard_count: 1,
        encrypt_conf: Some(conf),
    };
    let e = env
        .svc
        .create_logstore(&user("alice"), "app", &config)
        .unwrap_err();
    assert_eq!(
        (e.http_status(), e.code(), e.to_string().as_str()),
        (
            400,
            "LogStoreInfoInvalid",
            "The encrypt_conf is invalid, [encrypt_type] key is missing or not supported"
        )
    );
    assert!(
        env.svc.get_logstore(&root(), "app", "bad").is_err(),
        "nothing was created"
    );
}

#[test]
fn only_enable_can_change_and_updates_carry_the_whole_conf() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("m4")));
    env.create("svc", Some(Env::service_key("default")));
    let alice = user("alice");
    let mut aes = env.byok("m4");
    aes.encrypt_type = "default".into();
    let mut other_key = env.byok("m4");
    if let Some(i) = other_key.user_cmk_info.as_mut() {
        i.cmk_key_id = "00000000-0000-4000-8000-000000000000".into();
    }
    let mut other_role = env.byok("m4");
    if let Some(i) = other_role.user_cmk_info.as_mut() {
        i.arn = "acs:ram::1234567890123456:role/other".into();
    }
    for (what, conf, message) in [
        (
            "encrypt_type",
            Some(aes),
            "[encrypt_type] cannot be changed from `m4` to `default`",
        ),
        (
            "cmk",
            Some(other_key),
            "[user_cmk_info.cmk_key_id] cannot be changed",
        ),
        (
            "role",
            Some(other_role),
            "[user_cmk_info.arn] cannot be changed",
        ),
        (
            "to service key",
            Some(Env::service_key("m4")),
            "[user_cmk_info] is missing",
        ),
        ("missing", None, "[encrypt_conf] key is missing"),
    ] {
        let e = env
            .svc
            .update_logstore(&alice, "app", "byok", None, conf.as_ref(), None)
            .unwrap_err();
        assert_eq!(e.code(), "LogStoreInfoInvalid", "{what}");
        assert!(e.to_string().contains(message), "{what}: {e}");
    }
    let e = env
        .svc
        .update_logstore(&alice, "app", "svc", None, Some(&env.byok("default")), None)
        .unwrap_err();
    assert!(e.to_string().contains("cannot be switched to BYOK"), "{e}");
    // A partial encrypt_conf from the wire names what is missing.
    let partial = EncryptConf::from_json(r#"{"enable": false}"#).unwrap_err();
    assert_eq!(
        partial.to_string(),
        "The encrypt_conf is invalid, [encrypt_type] key is missing or not supported"
    );
    // Toggling enable is fine, and the settings echo back as sent.
    let mut off = env.byok("m4");
    off.enable = false;
    env.svc
        .update_logstore(&alice, "app", "byok", None, Some(&off), None)
        .unwrap();
    assert_eq!(
        env.svc
            .get_logstore(&alice, "app", "byok")
            .unwrap()
            .encrypt_conf,
        Some(off)
    );
    let e = env
        .svc
        .update_logstore(&alice, "app", "byok", Some(5), Some(&env.byok("m4")), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid shard count,you can only modify shardCount by split& merge shard."
    );
}

#[test]
fn with_enable_false_new_blocks_are_plain_and_old_ones_still_open() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("default")));
    let alice = user("alice");
    env.svc
        .put_logs(&alice, "app", "byok", Some(0), &group(1))
        .unwrap();
    let mut off = env.byok("default");
    off.enable = false;
    env.svc
        .update_logstore(&alice, "app", "byok", None, Some(&off), None)
        .unwrap();
    env.svc
        .put_logs(&alice, "app", "byok", Some(0), &group(2))
        .unwrap();
    let seg = std::fs::read(
        ramgate::logstore::ReadOnlyDir::open(env.dir.path())
            .unwrap()
            .segment_path("app", "byok", 0)
            .unwrap(),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&seg).contains("GET /item/2"));
    assert!(!String::from_utf8_lossy(&seg).contains("GET /item/1"));
    let got = env.svc.pull_logs(&alice, "app", "byok", 0, 0, 10).unwrap();
    assert_eq!(got.groups.len(), 2);
    // The old block still needs its chain: disable the CMK and it fails.
    env.kms_as_root(|k, c| k.disable_key(c, &env.cmk)).unwrap();
    assert_eq!(
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 0, 10)
            .unwrap_err()
            .code(),
        "KMSKeyUnavailable"
    );
    assert_eq!(
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 1, 10)
            .unwrap()
            .groups
            .len(),
        1,
        "the plaintext block reads"
    );
}

#[test]
fn each_configuration_step_fails_on_its_own_and_changes_nothing() {
    let mut env = Env::new();
    let alice = user("alice");
    let m4 = env.byok("m4");
    let create = |env: &mut Env, who: &ramgate::ram::Identity, conf: EncryptConf| {
        let config = LogstoreConfig {
            ttl: None,
            name: "byok".into(),
            shard_count: 1,
            encrypt_conf: Some(conf),
        };
        env.svc.create_logstore(who, "app", &config)
    };
    // 1. The caller may not create Logstores.
    env.svc
        .edit_directory(|a| {
            a.create_user("carol")?;
            a.attach_policy(
                &Target::User("carol".into()),
                &PolicyRef::Custom("PassRoleForLog".into()),
            )
        })
        .unwrap();
    let e = create(&mut env, &user("carol"), m4.clone()).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("Unauthorized", 401));
    assert!(e.to_string().contains("step `authorize`"), "{e}");
    // 2. The caller may not pass the role (bob has Log access, no PassRole).
    let e = create(&mut env, &user("bob"), m4.clone()).unwrap_err();
    assert!(e.to_string().contains("step `pass-role`"), "{e}");
    // 3. The CMK is in another region.
    let mut far = env.byok("m4");
    if let Some(i) = far.user_cmk_info.as_mut() {
        i.region_id = "cn-beijing".into();
    }
    let e = create(&mut env, &alice, far).unwrap_err();
    assert!(e.to_string().contains("step `kms-region`"), "{e}");
    // 4. The role does not trust Log Service.
    env.svc
        .edit_directory(|a| {
            a.update_trust_policy(
                "sls-byok",
                &LOG_TRUST.replace("log.aliyuncs.com", "ecs.aliyuncs.com"),
            )
        })
        .unwrap();
    let e = create(&mut env, &alice, m4.clone()).unwrap_err();
    assert!(
        e.to_string()
            .contains("step `assume-role` failed with NoPermission"),
        "{e}"
    );
    env.svc
        .edit_directory(|a| a.update_trust_policy("sls-byok", LOG_TRUST))
        .unwrap();
    // 5. The role may not describe the key.
    env.svc
        .edit_directory(|a| {
            a.detach_policy(
                &Target::Role("sls-byok".into()),
                &PolicyRef::System("AliyunKMSReadOnlyAccess".into()),
            )
        })
        .unwrap();
    let e = create(&mut env, &alice, m4.clone()).unwrap_err();
    assert!(
        e.to_string()
            .contains("step `kms:DescribeKey` failed with Forbidden.NoPermission"),
        "{e}"
    );
    env.svc
        .edit_directory(|a| {
            a.attach_policy(
                &Target::Role("sls-byok".into()),
                &PolicyRef::System("AliyunKMSReadOnlyAccess".into()),
            )
        })
        .unwrap();
    // 6. The key is disabled.
    env.kms_as_root(|k, c| k.disable_key(c, &env.cmk)).unwrap();
    let e = create(&mut env, &alice, m4.clone()).unwrap_err();
    assert!(
        e.to_string()
            .contains("step `kms:DescribeKey` failed with Rejected.Disabled"),
        "{e}"
    );
    env.kms_as_root(|k, c| k.enable_key(c, &env.cmk)).unwrap();
    // Nothing was created on the way; now everything holds.
    assert_eq!(
        env.svc
            .get_logstore(&root(), "app", "byok")
            .unwrap_err()
            .code(),
        "LogStoreNotExist"
    );
    create(&mut env, &alice, m4.clone()).unwrap();
    // The account itself needs no PassRole.
    let config = LogstoreConfig {
        ttl: None,
        name: "byok2".into(),
        shard_count: 1,
        encrypt_conf: Some(env.byok("default")),
    };
    env.svc.create_logstore(&root(), "app", &config).unwrap();
}

#[test]
fn a_disabled_or_deleted_cmk_stops_every_read_and_write_and_loses_nothing() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("m4")));
    env.create("svc", Some(Env::service_key("m4")));
    let alice = user("alice");
    for n in 0..3 {
        env.svc
            .put_logs(&alice, "app", "byok", Some(0), &group(n))
            .unwrap();
    }
    let cmk = env.cmk.clone();
    env.kms_as_root(|k, c| k.disable_key(c, &cmk)).unwrap();
    let w = env
        .svc
        .put_logs(&alice, "app", "byok", Some(0), &group(9))
        .unwrap_err();
    let r = env
        .svc
        .pull_logs(&alice, "app", "byok", 0, 0, 10)
        .unwrap_err();
    for e in [&w, &r] {
        assert_eq!((e.code(), e.http_status()), ("KMSKeyUnavailable", 403));
        assert!(e.to_string().contains("Rejected.Disabled"), "{e}");
    }
    // The service-key Logstore keeps working.
    env.svc
        .put_logs(&alice, "app", "svc", None, &group(1))
        .unwrap();
    // Re-enabling restores everything, nothing lost, the refused write absent.
    env.kms_as_root(|k, c| k.enable_key(c, &cmk)).unwrap();
    let got = env.svc.pull_logs(&alice, "app", "byok", 0, 0, 10).unwrap();
    assert_eq!(
        got.groups
            .iter()
            .map(|g| g.group.clone())
            .collect::<Vec<_>>(),
        vec![group(0), group(1), group(2)]
    );
    // Pending deletion stops it too; cancelling restores it.
    env.kms_as_root(|k, c| k.schedule_key_deletion(c, &cmk, 7))
        .unwrap();
    assert!(
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 0, 10)
            .unwrap_err()
            .to_string()
            .contains("Rejected.PendingDeletion")
    );
    env.kms_as_root(|k, c| k.cancel_key_deletion(c, &cmk))
        .unwrap();
    assert_eq!(
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 0, 10)
            .unwrap()
            .groups
            .len(),
        3
    );
    // After the window the key is gone for good: reads fail, the blocks stay.
    env.kms_as_root(|k, c| k.schedule_key_deletion(c, &cmk, 7))
        .unwrap();
    env.clock.advance(time::Duration::days(7));
    let e = env
        .svc
        .pull_logs(&alice, "app", "byok", 0, 0, 10)
        .unwrap_err();
    assert!(e.to_string().contains("Forbidden.KeyNotFound"), "{e}");
    let seg = std::fs::metadata(
        ramgate::logstore::ReadOnlyDir::open(env.dir.path())
            .unwrap()
            .segment_path("app", "byok", 0)
            .unwrap(),
    )
    .unwrap();
    assert!(seg.len() > 0);
}

#[test]
fn revoking_the_role_or_its_trust_stops_the_very_next_operation() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("default")));
    let alice = user("alice");
    env.svc
        .put_logs(&alice, "app", "byok", Some(0), &group(0))
        .unwrap();
    let crypto = PolicyRef::System("AliyunKMSCryptoUserAccess".into());
    let role = Target::Role("sls-byok".into());
    env.svc
        .edit_directory(|a| a.detach_policy(&role, &crypto))
        .unwrap();
    for e in [
        env.svc
            .put_logs(&alice, "app", "byok", Some(0), &group(1))
            .unwrap_err(),
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 0, 1)
            .unwrap_err(),
    ] {
        assert!(
            e.to_string()
                .contains("step `kms:Decrypt` failed with Forbidden.NoPermission"),
            "{e}"
        );
    }
    env.svc
        .edit_directory(|a| a.attach_policy(&role, &crypto))
        .unwrap();
    env.svc.pull_logs(&alice, "app", "byok", 0, 0, 1).unwrap();
    env.svc
        .edit_directory(|a| {
            a.update_trust_policy(
                "sls-byok",
                &LOG_TRUST.replace("log.aliyuncs.com", "ecs.aliyuncs.com"),
            )
        })
        .unwrap();
    let e = env
        .svc
        .pull_logs(&alice, "app", "byok", 0, 0, 1)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("step `assume-role` failed with NoPermission"),
        "{e}"
    );
    env.svc
        .edit_directory(|a| a.update_trust_policy("sls-byok", LOG_TRUST))
        .unwrap();
    assert_eq!(
        env.svc
            .pull_logs(&alice, "app", "byok", 0, 0, 1)
            .unwrap()
            .groups
            .len(),
        1
    );
}

#[test]
fn keys_rotate_before_their_nonce_budget_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ramgate::kms::ManualClock::new(
        time::macros::datetime!(2026-11-29 0:00 UTC),
    ));
    let options = ramgate::logstore::Options {
        max_seals_per_key: 3,
        ..options()
    };
    let svc =
        ramgate::logstore::LogService::init(dir.path(), ACCOUNT, REGION, clock, options).unwrap();
    svc.create_project(&root(), "app").unwrap();
    let config = LogstoreConfig {
        ttl: None,
        name: "svc".into(),
        shard_count: 1,
        encrypt_conf: Some(Env::service_key("default")),
    };
    svc.create_logstore(&root(), "app", &config).unwrap();
    for n in 0..7 {
        svc.put_logs(&root(), "app", "svc", Some(0), &group(n))
            .unwrap();
    }
    let meta = std::fs::read_to_string(dir.path().join("logstores.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(
        meta["projects"]["app"]["logstores"]["svc"]["keys"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "7 seals, 3 per key"
    );
    assert_eq!(
        svc.pull_logs(&root(), "app", "svc", 0, 0, 10)
            .unwrap()
            .groups
            .len(),
        7
    );
}

#[test]
fn refusals_are_audited_and_the_audit_log_verifies() {
    let mut env = Env::new();
    env.create("svc", Some(Env::service_key("default")));
    let e = env
        .svc
        .put_logs(&user("nobody"), "app", "svc", None, &group(0))
        .unwrap_err();
    assert_eq!(e.code(), "Unauthorized");
    let records = verify_audit_log(&env.dir.path().join("audit.jsonl")).unwrap();
    let last = records.last().unwrap();
    assert_eq!(last.event["op"], "put_logs");
    assert_eq!(last.event["outcome"], "refused");
}

/// Since when encryption is off (S3) is the service's clock, not the
/// system's: a test moving the clock sees it.
#[test]
fn encryption_off_since_is_the_injected_clock() {
    let mut env = Env::new();
    env.create("byok", Some(env.byok("default")));
    env.clock
        .set(time::macros::datetime!(2031-05-06 07:08:09 UTC));
    let mut off = env.byok("default");
    off.enable = false;
    env.svc
        .update_logstore(&user("alice"), "app", "byok", None, Some(&off), None)
        .unwrap();
    let info = env.svc.get_logstore(&user("alice"), "app", "byok").unwrap();
    assert_eq!(
        info.encryption_off_since.as_deref(),
        Some("2031-05-06T07:08:09Z")
    );
}
