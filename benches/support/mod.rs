//! What the Logstore benches share: the seed document's account on a fresh
//! data directory (the role `sls-byok` trusted by Log Service with the two
//! KMS system policies, a CMK, the project `bench`) and log groups of
//! ~250-byte logs. A folder, not `benches/support.rs`, so cargo does not
//! take it for a bench of its own.
#![allow(dead_code)]

pub mod bare_commit;

use std::path::Path;
use std::sync::Arc;

use ramgate::clock::SystemClock;
use ramgate::kms::{KeySpec, KeyUsage, RootKeySource};
use ramgate::logstore::{
    EncryptConf, Log, LogGroup, LogService, LogstoreConfig, Options, UserCmkInfo,
};
use ramgate::ram::{Identity, PolicyRef, Target};

pub const ACCOUNT: &str = "1234567890123456";
pub const REGION: &str = "cn-hangzhou";
const TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;

/// The account itself.
pub fn root() -> Identity {
    Identity::Account {
        uid: ACCOUNT.into(),
    }
}

/// A log group of about 64 KiB: 256 logs of ~250 bytes.
pub fn group() -> LogGroup {
    group_of(256)
}

/// A log group of `n` logs of ~250 bytes.
pub fn group_of(n: u32) -> LogGroup {
    let logs = (0..n)
        .map(|i| Log {
            time: 1_764_400_000 + i,
            contents: vec![
                (
                    "request".into(),
                    format!("GET /api/v1/orders/{i:08}?expand=items,customer&trace={i:0>160}"),
                ),
                ("status".into(), "200".into()),
                ("latency_ms".into(), format!("{}", i % 97)),
            ],
        })
        .collect();
    LogGroup {
        topic: "api".into(),
        source: "10.0.0.7".into(),
        tags: vec![("env".into(), "prod".into())],
        logs,
    }
}

/// A data directory in `dir` (`fsync`ed when `durable`) with the account
/// of the module docs; the service and the CMK's id.
pub fn seeded(dir: &Path, durable: bool) -> (LogService, String) {
    let options = Options {
        durable,
        root_key: RootKeySource::data_dir(),
        ..Options::default()
    };
    let svc = LogService::init(dir, ACCOUNT, REGION, Arc::new(SystemClock), options).unwrap();
    svc.edit_directory(|a| {
        a.create_role("sls-byok", TRUST)?;
        for p in ["AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"] {
            a.attach_policy(
                &Target::Role("sls-byok".into()),
                &PolicyRef::System(p.into()),
            )?;
        }
        Ok(())
    })
    .unwrap();
    let cmk = svc
        .with_kms_caller(&root(), |kms, caller| {
            kms.create_key(caller, KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
        })
        .unwrap()
        .key_id
        .to_string();
    svc.create_project(&root(), "bench").unwrap();
    (svc, cmk)
}

/// BYOK encryption (`encrypt_type` `default` or `m4`) under `cmk`
/// through the role `sls-byok`.
pub fn byok(cmk: &str, encrypt_type: &str) -> EncryptConf {
    EncryptConf {
        enable: true,
        encrypt_type: encrypt_type.into(),
        user_cmk_info: Some(UserCmkInfo {
            cmk_key_id: cmk.into(),
            arn: format!("acs:ram::{ACCOUNT}:role/sls-byok"),
            region_id: REGION.into(),
        }),
    }
}

/// Creates the Logstore `bench/<name>` of `shards` shards, encrypted by
/// `conf`.
pub fn create(svc: &LogService, name: &str, shards: u32, conf: EncryptConf) {
    let config = LogstoreConfig {
        name: name.into(),
        shard_count: shards,
        ttl: None,
        encrypt_conf: Some(conf),
    };
    svc.create_logstore(&root(), "bench", &config).unwrap();
}
