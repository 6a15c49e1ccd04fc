//! A data directory set up as the seed document describes: a CMK, a role
//! trusted by Log Service with the two KMS system policies, a RAM user who
//! may pass it, and a project.
//!
//! [`seed`] and the names around it are shared: `serve_support` includes
//! this file (`#[path]`) for its in-process server's directory.
#![allow(dead_code)]

use std::sync::Arc;

use ramgate::kms::{KeySpec, KeyUsage, ManualClock, RootKeySource};
use ramgate::logstore::{
    EncryptConf, Log, LogGroup, LogService, LogstoreConfig, Options, UserCmkInfo,
};
use ramgate::ram::{Identity, PolicyRef, Target};
use tempfile::TempDir;
use time::macros::datetime;

pub const ACCOUNT: &str = "1234567890123456";
pub const REGION: &str = "cn-hangzhou";
pub const ROLE: &str = "acs:ram::1234567890123456:role/sls-byok";
pub const LOG_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;
pub const PASS_ROLE: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"acs:ram::*"}]}"#;

pub struct Env {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub svc: LogService,
    pub cmk: String,
}

pub fn root() -> Identity {
    Identity::Account {
        uid: ACCOUNT.into(),
    }
}

pub fn user(name: &str) -> Identity {
    Identity::User {
        account: ACCOUNT.into(),
        name: name.into(),
    }
}

pub fn options() -> Options {
    Options {
        root_key: RootKeySource::data_dir(),
        ..Options::default()
    }
}

/// The seed document's account on `svc`: the role `sls-byok`, trusted by
/// Log Service, with the two KMS system policies; `PassRoleForLog`; alice
/// (Log Service full access, may pass the role) and bob (Log Service full
/// access only); and a CMK, whose id it returns.
pub fn seed(svc: &LogService) -> String {
    svc.edit_directory(|a| {
        a.create_role("sls-byok", LOG_TRUST)?;
        for p in ["AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"] {
            a.attach_policy(
                &Target::Role("sls-byok".into()),
                &PolicyRef::System(p.into()),
            )?;
        }
        a.create_policy("PassRoleForLog", PASS_ROLE)?;
        for u in ["alice", "bob"] {
            a.create_user(u)?;
            a.attach_policy(
                &Target::User(u.into()),
                &PolicyRef::System("AliyunLogFullAccess".into()),
            )?;
        }
        a.attach_policy(
            &Target::User("alice".into()),
            &PolicyRef::Custom("PassRoleForLog".into()),
        )?;
        Ok(())
    })
    .unwrap();
    svc.with_kms_caller(&root(), |kms, caller| {
        kms.create_key(
            caller,
            KeySpec::AliyunAes256,
            KeyUsage::EncryptDecrypt,
            "sls byok",
        )
    })
    .unwrap()
    .key_id
    .to_string()
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-29 08:00 UTC)));
        let svc = LogService::init(dir.path(), ACCOUNT, REGION, clock.clone(), options()).unwrap();
        let cmk = seed(&svc);
        svc.create_project(&root(), "app").unwrap();
        Env {
            dir,
            clock,
            svc,
            cmk,
        }
    }

    pub fn byok(&self, encrypt_type: &str) -> EncryptConf {
        EncryptConf {
            enable: true,
            encrypt_type: encrypt_type.into(),
            user_cmk_info: Some(UserCmkInfo {
                cmk_key_id: self.cmk.clone(),
                arn: ROLE.into(),
                region_id: REGION.into(),
            }),
        }
    }

    pub fn service_key(encrypt_type: &str) -> EncryptConf {
        EncryptConf {
            enable: true,
            encrypt_type: encrypt_type.into(),
            user_cmk_info: None,
        }
    }

    pub fn create(&mut self, name: &str, conf: Option<EncryptConf>) {
        let config = LogstoreConfig {
            ttl: None,
            name: name.into(),
            shard_count: 2,
            encrypt_conf: conf,
        };
        self.svc
            .create_logstore(&user("alice"), "app", &config)
            .unwrap();
    }

    /// Disables / enables / schedules deletion of the CMK, as the account.
    pub fn kms_as_root<T>(
        &self,
        f: impl FnOnce(&ramgate::kms::Kms, &ramgate::kms::Caller<'_>) -> T,
    ) -> T {
        self.svc.with_kms_caller(&root(), f)
    }

    pub fn reopen(&mut self) {
        // The restart keeps the directory's lock (a second open would be
        // refused as busy while this process owns it).
        self.svc = self.svc.reopen(options()).unwrap();
    }

    /// Reopens without fsync: for tests that reopen hundreds of times and
    /// are about integrity, not durability.
    pub fn reopen_without_fsync(&mut self) {
        let options = Options {
            durable: false,
            ..options()
        };
        self.svc = self.svc.reopen(options).unwrap();
    }
}

pub fn group(n: u32) -> LogGroup {
    LogGroup {
        topic: "nginx".into(),
        source: "10.0.0.1".into(),
        tags: vec![("host".into(), "web-1".into())],
        logs: vec![Log {
            time: 1_700_000_000 + n,
            contents: vec![
                ("request".into(), format!("GET /item/{n}")),
                ("status".into(), "200".into()),
            ],
        }],
    }
}
