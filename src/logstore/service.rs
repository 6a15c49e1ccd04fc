//! `LogService`: projects and Logstores on a local data directory, with
//! encryption at rest gated by RAM decisions (DESIGN.md's write path).
//!
//! The data directory holds:
//!
//! ```text
//! cloud.json        the account and region this directory emulates
//! ram.json          the RAM directory (users, groups, roles, policies)
//! kms/              the KMS key store and the local root key
//! logstores.json    projects, Logstores, encrypt_conf, wrapped keys
//! data/<project>/<logstore>/shard-<n>.seg    append-only blocks
//! audit.jsonl       the hash-chained audit log of decision chains
//! ```
//!
//! No block is sealed or opened before the chain "caller may act → role
//! trusted → role may use the key → key enabled" has been decided, and
//! every seal, open and refusal appends that chain to the audit log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::clock::Clock;
use crate::durable::{create_private_dir, remove_stale_temp_files, write_atomically};
use crate::kms::cipher::Algorithm;
use crate::kms::{Caller, DataKeySpec, EncryptionContext, KeyState, Kms, KmsError, RootKeySource};
use crate::policy::arn::{is_account_id, is_region};
use crate::ram::{
    Access, Account, AssumeRoleRequest, DecisionChain, Directory, Identity, Ram, RamError,
};

use super::audit::{AUDIT_FILE, AuditLog};
use super::block::{self, Location, Protection};
use super::datadir::{CLOUD_FILE, Cloud, RAM_FILE, ramgate_files_in, read_cloud, read_directory};
use super::encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
use super::error::LogError;
use super::lock::DirLock;
use super::meta::{KeyRecord, KeySource, LogstoreMeta, Meta, from_hex, to_hex};
use super::model::{LogGroup, check_logstore_name, check_project_name, check_shard_count};
use super::segment::Segment;

/// The service principal that assumes BYOK roles.
pub const LOG_SERVICE: &str = "log.aliyuncs.com";
/// The role session name Log Service uses for BYOK.
const BYOK_SESSION: &str = "aliyun-log-byok";
/// Seals are reserved (persisted) this many at a time, so the per-key count
/// survives a restart without a write per seal.
const RESERVE_CHUNK: u64 = 1 << 16;

/// How a data directory is opened.
#[derive(Clone, Debug)]
pub struct Options {
    /// Acknowledge writes only after `fsync` (on by default; off only for
    /// measuring the in-memory cost).
    pub durable: bool,
    /// Seals under one key before a new key is made. Random 96-bit nonces
    /// are safe for 2^32 seals per key (NIST SP 800-38D §8.3); the default
    /// 2^30 stays well below.
    pub max_seals_per_key: u64,
    /// Where the local root key comes from.
    pub root_key: RootKeySource,
    /// How long to wait for another owner of the directory to let go of
    /// its lock (zero: fail at once with [`LogError::Busy`]).
    pub lock_wait: std::time::Duration,
    /// Who this owner is, recorded in the lock file for whoever waits (a
    /// command line, `ramgate serve`).
    pub holder: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durable: true,
            max_seals_per_key: 1 << 30,
            root_key: RootKeySource::from_env(),
            lock_wait: std::time::Duration::ZERO,
            holder: "a program using the ramgate library".to_string(),
        }
    }
}

/// What `create_logstore` is given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogstoreConfig {
    /// The Logstore name.
    pub name: String,
    /// The number of shards (1–256).
    pub shard_count: u32,
    /// Encryption settings, as the SDKs send them.
    pub encrypt_conf: Option<EncryptConf>,
}

/// What `get_logstore` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogstoreInfo {
    /// The Logstore name.
    #[serde(rename = "logstoreName")]
    pub name: String,
    /// The number of shards.
    #[serde(rename = "shardCount")]
    pub shard_count: u32,
    /// The encryption settings, echoed exactly as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypt_conf: Option<EncryptConf>,
}

/// Where `put_logs` stored a log group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The shard.
    pub shard: u32,
    /// The block's sequence number (its cursor) in the shard.
    pub seq: u64,
}

/// One stored log group, read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGroup {
    /// The shard.
    pub shard: u32,
    /// The cursor.
    pub seq: u64,
    /// The log group.
    pub group: LogGroup,
}

/// What `pull_logs` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pulled {
    /// The log groups read, in order.
    pub groups: Vec<StoredGroup>,
    /// The cursor to continue from.
    pub next_cursor: u64,
}

/// Projects and Logstores on a data directory.
pub struct LogService {
    /// The directory's owner lock, held as long as the service lives.
    _lock: DirLock,
    dir: PathBuf,
    account: String,
    region: String,
    clock: Arc<dyn Clock>,
    directory: Directory,
    kms: Kms,
    meta: Meta,
    segments: HashMap<(String, String, u32), Segment>,
    audit: AuditLog,
    /// Seals made under each key in this process, counted from its
    /// persisted reservation.
    seals: HashMap<(String, String, u32), u64>,
    options: Options,
    chain: DecisionChain,
}

impl std::fmt::Debug for LogService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogService")
            .field("dir", &self.dir)
            .field("account", &self.account)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> LogError {
    LogError::Storage(format!("`{}`: {e}", path.display()))
}

/// A key store that does not open: damaged (exit 3) when the store or the
/// root key is wrong, else a storage error.
fn kms_open_error(path: &Path, e: KmsError) -> LogError {
    match e {
        KmsError::CorruptStore { .. }
        | KmsError::StoreMismatch { .. }
        | KmsError::InvalidRootKey { .. }
        | KmsError::MissingRootKey(_)
        | KmsError::WrongRootKey(_) => LogError::Damaged {
            what: e.to_string(),
            hint: e
                .help()
                .unwrap_or("restore the key store and its root key from a backup")
                .to_string(),
        },
        other => storage(path, other),
    }
}

/// An audit log that does not open or append: a broken chain is damage,
/// and appends stop (fail closed) until it is repaired.
fn audit_error(e: super::audit::AuditError) -> LogError {
    match e {
        super::audit::AuditError::Broken { .. } => LogError::Damaged {
            what: e.to_string(),
            hint: "`ramgate audit verify` names the first bad record; move `audit.jsonl` \
                   aside to keep it for inspection, and new records start a new chain"
                .to_string(),
        },
        other => LogError::Storage(other.to_string()),
    }
}

/// Where a failed KMS call is reported: its step, code and message.
fn key_unavailable(step: &str, e: &KmsError) -> LogError {
    LogError::KeyUnavailable {
        step: step.to_string(),
        code: e.code().to_string(),
        message: e.to_string(),
    }
}

fn ram_unavailable(step: &str, e: &RamError) -> LogError {
    LogError::KeyUnavailable {
        step: step.to_string(),
        code: e.code(),
        message: e.to_string(),
    }
}

impl LogService {
    /// Makes a new data directory for `account` in `region` (with the
    /// account in its RAM directory) and opens it.
    pub fn init(
        dir: &Path,
        account: &str,
        region: &str,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<LogService, LogError> {
        if !is_account_id(account) {
            return Err(LogError::ParameterInvalid(format!(
                "`{account}` is not a 16-digit account id"
            )));
        }
        // Checked before anything is written: a directory left half-made
        // would refuse the next `init`.
        if !is_region(region) {
            return Err(LogError::ParameterInvalid(format!(
                "`{region}` is not a region id such as `cn-hangzhou`"
            )));
        }
        create_private_dir(dir).map_err(|e| LogError::io(dir, "create", e))?;
        let lock = DirLock::acquire(dir, options.lock_wait, &options.holder)?;
        // D7: a directory that lost one file must not be "repaired" by an
        // init that replaces the others.
        let present = ramgate_files_in(dir);
        if !present.is_empty() {
            return Err(LogError::ParameterInvalid(format!(
                "`{}` already holds ramgate files ({}); `init` makes only new data directories",
                dir.display(),
                present.join(", ")
            )));
        }
        let mut directory = Directory::new();
        directory
            .add_account(account)
            .map_err(|e| LogError::ParameterInvalid(e.to_string()))?;
        write_atomically(dir, RAM_FILE, directory.to_json().as_bytes())
            .map_err(|e| LogError::io(&dir.join(RAM_FILE), "write", e))?;
        let cloud = serde_json::to_vec_pretty(&Cloud {
            account: account.into(),
            region: region.into(),
        })
        .map_err(|e| LogError::Storage(e.to_string()))?;
        write_atomically(dir, CLOUD_FILE, &cloud)
            .map_err(|e| LogError::io(&dir.join(CLOUD_FILE), "write", e))?;
        LogService::open_locked(dir, lock, clock, options)
    }

    /// Opens a data directory made by [`LogService::init`].
    pub fn open(
        dir: &Path,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<LogService, LogError> {
        if !dir.is_dir() {
            return Err(LogError::ParameterInvalid(format!(
                "`{}` is not a ramgate data directory (make a data directory with `ramgate init`)",
                dir.display()
            )));
        }
        let lock = DirLock::acquire(dir, options.lock_wait, &options.holder)?;
        LogService::open_locked(dir, lock, clock, options)
    }

    /// Opens the directory again from its files, as a restart would (torn
    /// tails cut, state re-read), keeping this service's lock: the owner
    /// stays the owner. Use the new service only; drop this one.
    pub fn reopen(&self, options: Options) -> Result<LogService, LogError> {
        let lock = self._lock.share()?;
        LogService::open_locked(&self.dir, lock, self.clock.clone(), options)
    }

    /// Opens a directory whose lock this process holds: only now may stale
    /// temp files go and torn tails be cut.
    fn open_locked(
        dir: &Path,
        lock: DirLock,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<LogService, LogError> {
        remove_stale_temp_files(dir);
        let cloud = read_cloud(dir)?;
        let directory = read_directory(dir)?;
        let kms = Kms::open_with_root_key(
            dir.join("kms"),
            &cloud.region,
            &cloud.account,
            clock.clone(),
            options.root_key.clone(),
        )
        .map_err(|e| kms_open_error(&dir.join("kms"), e))?;
        let meta = Meta::load(dir)?;
        let audit = AuditLog::open(&dir.join(AUDIT_FILE), options.durable).map_err(audit_error)?;
        Ok(LogService {
            _lock: lock,
            dir: dir.to_path_buf(),
            account: cloud.account,
            region: cloud.region,
            clock,
            directory,
            kms,
            meta,
            segments: HashMap::new(),
            audit,
            seals: HashMap::new(),
            options,
            chain: DecisionChain::new(),
        })
    }

    /// The account this directory emulates.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The RAM directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The KMS of this region and account.
    pub fn kms(&self) -> &Kms {
        &self.kms
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// A KMS caller for `identity`, authorized by this directory.
    pub fn kms_caller<'a>(&'a self, identity: &'a Identity) -> Caller<'a> {
        Caller::new(Ram::new(&self.directory, &*self.clock), identity)
    }

    /// The audit log's file.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.join(AUDIT_FILE)
    }

    /// The decision chain of the last call (every step, allowed or not).
    pub fn last_chain(&self) -> &DecisionChain {
        &self.chain
    }

    /// Changes the RAM directory of this account and saves it atomically;
    /// nothing changes when `edit` fails. (RAM's own API calls are not
    /// emulated: whoever runs ramgate on the data directory administers it.)
    pub fn edit_directory<T>(
        &mut self,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, RamError> {
        let mut copy = self.directory.clone();
        let account = copy
            .account_mut(&self.account)
            .ok_or_else(|| RamError::InvalidAccountId(self.account.clone()))?;
        let out = edit(account)?;
        write_atomically(&self.dir, RAM_FILE, copy.to_json().as_bytes()).map_err(|e| {
            RamError::DirectoryFile {
                file: self.dir.join(RAM_FILE).display().to_string(),
                message: e.to_string(),
            }
        })?;
        self.directory = copy;
        Ok(out)
    }

    /// `acs:log:<region>:<uid>:project/<p>`.
    pub fn project_arn(&self, project: &str) -> String {
        format!("acs:log:{}:{}:project/{project}", self.region, self.account)
    }

    /// `acs:log:<region>:<uid>:project/<p>/logstore/<l>`.
    pub fn logstore_arn(&self, project: &str, logstore: &str) -> String {
        format!("{}/logstore/{logstore}", self.project_arn(project))
    }

    fn now(&self) -> String {
        self.clock.now().format(&Rfc3339).unwrap_or_default()
    }

    /// Authorizes the caller's own action: the first step of every chain.
    fn authorize(
        &mut self,
        caller: &Identity,
        action: &str,
        resource: &str,
    ) -> Result<(), LogError> {
        let ram = Ram::new(&self.directory, &*self.clock);
        let step = ram
            .authorize(caller, &Access::new(action, resource), None)
            .map_err(|e| LogError::Unauthorized {
                step: "authorize".into(),
                reason: format!("{} ({})", e, e.code()),
            })?;
        let decision = step.decision();
        self.chain.push(step);
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(LogError::Unauthorized {
                step: "authorize".into(),
                reason: format!("`{action}` on `{resource}` is {decision} for `{caller}`"),
            })
        }
    }

    /// Appends an audit record of what happened and the chain behind it.
    fn record(
        &mut self,
        op: &str,
        caller: &Identity,
        target: serde_json::Value,
        outcome: Result<serde_json::Value, &LogError>,
    ) -> Result<(), LogError> {
        let (outcome, detail) = match outcome {
            Ok(detail) => ("allowed", detail),
            Err(e) => (
                "refused",
                json!({"code": e.code(), "message": e.to_string()}),
            ),
        };
        let event = json!({
            "op": op,
            "caller": caller.to_string(),
            "target": target,
            "outcome": outcome,
            "detail": detail,
            "chain": self.chain.steps,
        });
        let time = self.now();
        self.audit
            .append(&time, &event)
            .map(drop)
            .map_err(audit_error)
    }

    /// Runs `body` as one audited operation: the chain starts empty, and
    /// the outcome is recorded whether it succeeds or not.
    fn audited<T>(
        &mut self,
        op: &str,
        caller: &Identity,
        target: serde_json::Value,
        body: impl FnOnce(&mut LogService) -> Result<(T, serde_json::Value), LogError>,
    ) -> Result<T, LogError> {
        self.chain = DecisionChain::new();
        match body(self) {
            Ok((value, detail)) => {
                self.record(op, caller, target, Ok(detail))?;
                Ok(value)
            }
            Err(e) => {
                self.record(op, caller, target, Err(&e))?;
                Err(e)
            }
        }
    }

    /// `CreateProject`.
    pub fn create_project(&mut self, caller: &Identity, project: &str) -> Result<(), LogError> {
        let target = json!({"project": project});
        self.audited("create_project", caller, target, |s| {
            check_project_name(project)?;
            s.authorize(caller, "log:CreateProject", &s.project_arn(project))?;
            if s.meta.projects.contains_key(project) {
                return Err(LogError::ProjectAlreadyExist(project.to_string()));
            }
            let mut meta = s.meta.clone();
            meta.projects
                .insert(project.to_string(), Default::default());
            meta.save(&s.dir)?;
            s.meta = meta;
            Ok(((), json!({})))
        })
    }

    /// `CreateLogStore`, with the configuration chain when `encrypt_conf`
    /// asks for BYOK. Nothing is created unless every step allows.
    pub fn create_logstore(
        &mut self,
        caller: &Identity,
        project: &str,
        config: &LogstoreConfig,
    ) -> Result<(), LogError> {
        let target = json!({"project": project, "logstore": config.name});
        self.audited("create_logstore", caller, target, |s| {
            check_logstore_name(&config.name)?;
            check_shard_count(config.shard_count)?;
            if let Some(conf) = &config.encrypt_conf {
                conf.encrypt_type()?;
            }
            s.authorize(
                caller,
                "log:CreateLogStore",
                &s.logstore_arn(project, &config.name),
            )?;
            let existing = s
                .meta
                .projects
                .get(project)
                .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?;
            if existing.logstores.contains_key(&config.name) {
                return Err(LogError::LogStoreAlreadyExist(config.name.clone()));
            }
            let mut logstore = LogstoreMeta {
                shard_count: config.shard_count,
                encrypt_conf: None,
                keys: Vec::new(),
            };
            if let Some(conf) = &config.encrypt_conf {
                s.configure(caller, project, &config.name, &mut logstore, conf)?;
            }
            let mut meta = s.meta.clone();
            if let Some(p) = meta.projects.get_mut(project) {
                p.logstores.insert(config.name.clone(), logstore);
            }
            meta.save(&s.dir)?;
            s.meta = meta;
            Ok(((), json!({"encrypt_conf": config.encrypt_conf})))
        })
    }

    /// `UpdateLogStore`. An encrypted Logstore's update must carry its
    /// complete `encrypt_conf`, and only `enable` may change; switching BYOK
    /// on runs the configuration chain again. The shard count changes only
    /// by splitting and merging, which ramgate does not emulate.
    pub fn update_logstore(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard_count: Option<u32>,
        encrypt_conf: Option<&EncryptConf>,
    ) -> Result<(), LogError> {
        let target = json!({"project": project, "logstore": logstore});
        self.audited("update_logstore", caller, target, |s| {
            s.authorize(caller, "log:UpdateLogStore", &s.logstore_arn(project, logstore))?;
            let mut current = s.meta.logstore(project, logstore)?.clone();
            if shard_count.is_some_and(|n| n != current.shard_count) {
                return Err(LogError::ParameterInvalid(
                    "invalid shard count,you can only modify shardCount by split& merge shard.".to_string(),
                ));
            }
            match (&current.encrypt_conf, encrypt_conf) {
                (Some(_), None) => {
                    return Err(LogError::LogStoreInfoInvalid(
                        "The encrypt_conf is invalid, [encrypt_conf] key is missing: the Logstore is encrypted, and every update must carry the complete encrypt_conf"
                            .to_string(),
                    ));
                }
                (None, None) => {}
                (None, Some(conf)) => {
                    conf.encrypt_type()?;
                    s.configure(caller, project, logstore, &mut current, conf)?;
                }
                (Some(old), Some(new)) => {
                    new.encrypt_type()?;
                    EncryptConf::check_update(old, new)?;
                    if let Some(info) = &new.user_cmk_info
                        && new.enable
                        && !old.enable
                    {
                        s.configuration_chain(caller, info)?;
                    }
                    current.encrypt_conf = Some(new.clone());
                }
            }
            let mut meta = s.meta.clone();
            *meta.logstore_mut(project, logstore)? = current;
            meta.save(&s.dir)?;
            s.meta = meta;
            Ok(((), json!({"encrypt_conf": encrypt_conf})))
        })
    }

    /// First configuration of encryption: the BYOK configuration chain, or
    /// a new service key wrapped under the root key.
    fn configure(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        meta: &mut LogstoreMeta,
        conf: &EncryptConf,
    ) -> Result<(), LogError> {
        match &conf.user_cmk_info {
            Some(info) => self.configuration_chain(caller, info)?,
            None => {
                let algorithm = algorithm_of(conf.encrypt_type()?);
                let record = self.new_service_key(project, logstore, 0, algorithm)?;
                meta.keys.push(record);
            }
        }
        meta.encrypt_conf = Some(conf.clone());
        Ok(())
    }

    /// The configuration chain for BYOK (seed document, step 1): a RAM
    /// caller holds `ram:PassRole` on the role for Log Service; Log Service
    /// can assume the role; the role may `kms:DescribeKey` the CMK, which is
    /// in `region_id` and `Enabled`.
    fn configuration_chain(
        &mut self,
        caller: &Identity,
        info: &UserCmkInfo,
    ) -> Result<(), LogError> {
        if matches!(caller, Identity::User { .. } | Identity::RoleSession(_)) {
            let ram = Ram::new(&self.directory, &*self.clock);
            let step = ram
                .check_pass_role(caller, &info.arn, LOG_SERVICE)
                .map_err(|e| LogError::Unauthorized {
                    step: "pass-role".into(),
                    reason: format!("{e} ({})", e.code()),
                })?;
            let decision = step.decision();
            self.chain.push(step);
            if !decision.is_allowed() {
                return Err(LogError::Unauthorized {
                    step: "pass-role".into(),
                    reason: format!(
                        "`ram:PassRole` on `{}` for `{LOG_SERVICE}` is {decision} for `{caller}`",
                        info.arn
                    ),
                });
            }
        }
        let session = self.byok_session(info)?;
        let kms_caller = Caller::new(Ram::new(&self.directory, &*self.clock), &session);
        let described = self.kms.describe_key(&kms_caller, &info.cmk_key_id);
        self.chain.extend(kms_caller.take_chain().steps);
        let metadata = described.map_err(|e| key_unavailable("kms:DescribeKey", &e))?;
        match metadata.key_state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(key_unavailable(
                "kms:DescribeKey",
                &KmsError::Disabled(metadata.key_id),
            )),
            KeyState::PendingDeletion => Err(key_unavailable(
                "kms:DescribeKey",
                &KmsError::PendingDeletion(metadata.key_id),
            )),
        }
    }

    /// Log Service assumes the BYOK role (trust policy decides), after
    /// checking that the CMK is in this region.
    fn byok_session(&mut self, info: &UserCmkInfo) -> Result<Identity, LogError> {
        if info.region_id != self.region {
            return Err(LogError::KeyUnavailable {
                step: "kms-region".into(),
                code: "Forbidden.KeyNotFound".into(),
                message: format!(
                    "the CMK is in `{}`, and Log Service in `{}` reaches only keys of its own region",
                    info.region_id, self.region
                ),
            });
        }
        let log = Identity::Service {
            service: LOG_SERVICE.into(),
            account: Some(self.account.clone()),
        };
        let ram = Ram::new(&self.directory, &*self.clock);
        match ram.assume_role(
            &log,
            &AssumeRoleRequest::new(info.arn.clone(), BYOK_SESSION),
        ) {
            Ok(assumed) => {
                self.chain.extend(assumed.steps);
                Ok(Identity::RoleSession(assumed.session))
            }
            Err(e) => {
                self.chain.extend(e.steps().iter().cloned());
                Err(ram_unavailable("assume-role", &e))
            }
        }
    }

    fn new_service_key(
        &self,
        project: &str,
        logstore: &str,
        key_ref: u32,
        algorithm: Algorithm,
    ) -> Result<KeyRecord, LogError> {
        let mut key = zeroize::Zeroizing::new(vec![0u8; algorithm.key_len()]);
        getrandom::fill(&mut key)
            .map_err(|e| LogError::Storage(format!("the random source failed: {e}")))?;
        let wrapped = self
            .kms
            .wrap_local(&service_key_label(project, logstore, key_ref), &key)
            .map_err(|e| LogError::Storage(e.to_string()))?;
        Ok(KeyRecord {
            source: KeySource::Service,
            algorithm,
            wrapped: to_hex(&wrapped),
            reserved: 0,
        })
    }

    /// `GetLogStore`: the settings, `encrypt_conf` echoed as sent.
    pub fn get_logstore(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Result<LogstoreInfo, LogError> {
        self.chain = DecisionChain::new();
        self.authorize(
            caller,
            "log:GetLogStore",
            &self.logstore_arn(project, logstore),
        )?;
        let l = self.meta.logstore(project, logstore)?;
        Ok(LogstoreInfo {
            name: logstore.to_string(),
            shard_count: l.shard_count,
            encrypt_conf: l.encrypt_conf.clone(),
        })
    }

    /// `ListLogStores` of a project.
    pub fn list_logstores(
        &mut self,
        caller: &Identity,
        project: &str,
    ) -> Result<Vec<String>, LogError> {
        self.chain = DecisionChain::new();
        self.authorize(
            caller,
            "log:ListLogStores",
            &format!("{}/logstore/*", self.project_arn(project)),
        )?;
        let p = self
            .meta
            .projects
            .get(project)
            .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?;
        Ok(p.logstores.keys().cloned().collect())
    }

    /// `DeleteLogStore`: its settings, keys and data go.
    pub fn delete_logstore(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Result<(), LogError> {
        let target = json!({"project": project, "logstore": logstore});
        self.audited("delete_logstore", caller, target, |s| {
            s.authorize(
                caller,
                "log:DeleteLogStore",
                &s.logstore_arn(project, logstore),
            )?;
            s.meta.logstore(project, logstore)?;
            let mut meta = s.meta.clone();
            if let Some(p) = meta.projects.get_mut(project) {
                p.logstores.remove(logstore);
            }
            meta.save(&s.dir)?;
            s.meta = meta;
            s.segments
                .retain(|(p, l, _), _| !(p == project && l == logstore));
            let data = s.dir.join("data").join(project).join(logstore);
            match std::fs::remove_dir_all(&data) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(storage(&data, e)),
            }
            Ok(((), json!({})))
        })
    }

    fn segment(
        &mut self,
        project: &str,
        logstore: &str,
        shard: u32,
    ) -> Result<&mut Segment, LogError> {
        let key = (project.to_string(), logstore.to_string(), shard);
        if !self.segments.contains_key(&key) {
            let dir = self.dir.join("data").join(project).join(logstore);
            create_private_dir(&dir).map_err(|e| storage(&dir, e))?;
            let segment = Segment::open(
                &dir.join(format!("shard-{shard}.seg")),
                self.options.durable,
            )?;
            self.segments.insert(key.clone(), segment);
        }
        self.segments
            .get_mut(&key)
            .ok_or_else(|| LogError::Storage("a segment vanished".into()))
    }

    /// `PutLogs`: one log group, stored as one block in `shard` (or the
    /// least-filled shard). Acknowledged once durable.
    pub fn put_logs(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: Option<u32>,
        group: &LogGroup,
    ) -> Result<Receipt, LogError> {
        let target = json!({"project": project, "logstore": logstore, "shard": shard});
        self.audited("put_logs", caller, target, |s| {
            s.authorize(
                caller,
                "log:PostLogStoreLogs",
                &s.logstore_arn(project, logstore),
            )?;
            let l = s.meta.logstore(project, logstore)?.clone();
            let shard = match shard {
                Some(n) if n < l.shard_count => n,
                Some(n) => return Err(LogError::ShardNotExist(n)),
                None => s.emptiest_shard(project, logstore, l.shard_count)?,
            };
            let seq = s.segment(project, logstore, shard)?.len();
            let mut buf = block::buffer(group.encoded_len());
            group.encode_into(&mut buf);
            let loc = Location {
                project,
                logstore,
                shard,
                seq,
            };
            let (sealed, protection) = match l.encrypt_conf.as_ref().filter(|c| c.enable) {
                None => (
                    block::seal(&loc, Protection::Plaintext, buf),
                    "plaintext".to_string(),
                ),
                Some(conf) => {
                    let (key_ref, algorithm, key) = s.sealing_key(project, logstore, &l, conf)?;
                    let p = Protection::Sealed {
                        algorithm,
                        key_ref,
                        key: &key,
                    };
                    (
                        block::seal(&loc, p, buf),
                        format!("{algorithm} key {key_ref}"),
                    )
                }
            };
            let sealed = sealed.map_err(|e| LogError::Storage(e.to_string()))?;
            let written = s.segment(project, logstore, shard)?.append(&sealed)?;
            Ok((
                Receipt {
                    shard,
                    seq: written,
                },
                json!({"shard": shard, "seq": written, "protection": protection}),
            ))
        })
    }

    fn emptiest_shard(
        &mut self,
        project: &str,
        logstore: &str,
        shards: u32,
    ) -> Result<u32, LogError> {
        let mut best = (u64::MAX, 0);
        for n in 0..shards {
            let len = self.segment(project, logstore, n)?.len();
            if len < best.0 {
                best = (len, n);
            }
        }
        Ok(best.1)
    }

    /// The key new blocks are sealed with, after the chain for it has been
    /// decided (BYOK: trust, the role's permission, the key's state, on
    /// every operation). Rotates to a new key when the current one has
    /// sealed its share.
    fn sealing_key(
        &mut self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        conf: &EncryptConf,
    ) -> Result<(u32, Algorithm, zeroize::Zeroizing<Vec<u8>>), LogError> {
        let algorithm = algorithm_of(conf.encrypt_type()?);
        let wanted = match conf.user_cmk_info {
            Some(_) => KeySource::Byok,
            None => KeySource::Service,
        };
        let current = l
            .keys
            .iter()
            .rposition(|k| k.source == wanted)
            .map(|i| i as u32);
        let exhausted = current.is_some_and(|i| {
            let used = self
                .seals
                .get(&(project.to_string(), logstore.to_string(), i))
                .copied();
            let reserved = l.keys.get(i as usize).map_or(0, |k| k.reserved);
            used.unwrap_or(reserved) >= self.options.max_seals_per_key
        });
        let (key_ref, key) = match (current, exhausted) {
            (Some(i), false) => (i, self.unwrap_key(project, logstore, l, i)?),
            _ => self.rotate(project, logstore, l, conf, algorithm)?,
        };
        self.count_seal(project, logstore, key_ref)?;
        Ok((key_ref, algorithm, key))
    }

    /// A new key for the Logstore: a service key, or (BYOK) a data key made
    /// by KMS under the CMK for the role session.
    fn rotate(
        &mut self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        conf: &EncryptConf,
        algorithm: Algorithm,
    ) -> Result<(u32, zeroize::Zeroizing<Vec<u8>>), LogError> {
        let key_ref =
            u32::try_from(l.keys.len()).map_err(|_| LogError::Storage("too many keys".into()))?;
        let (record, key) = match &conf.user_cmk_info {
            None => {
                let record = self.new_service_key(project, logstore, key_ref, algorithm)?;
                let key = self.unwrap_service_key(project, logstore, key_ref, &record)?;
                (record, key)
            }
            Some(info) => {
                let session = self.byok_session(info)?;
                let kms_caller = Caller::new(Ram::new(&self.directory, &*self.clock), &session);
                let spec = match algorithm {
                    Algorithm::Aes256Gcm => DataKeySpec::AES_256,
                    Algorithm::Sm4Gcm => DataKeySpec::AES_128,
                };
                let made = self.kms.generate_data_key(
                    &kms_caller,
                    &info.cmk_key_id,
                    spec,
                    &data_key_context(project, logstore),
                );
                self.chain.extend(kms_caller.take_chain().steps);
                let made = made.map_err(|e| key_unavailable("kms:GenerateDataKey", &e))?;
                let record = KeyRecord {
                    source: KeySource::Byok,
                    algorithm,
                    wrapped: to_hex(&made.ciphertext_blob),
                    reserved: 0,
                };
                (
                    record,
                    zeroize::Zeroizing::new(made.plaintext.expose().to_vec()),
                )
            }
        };
        let mut meta = self.meta.clone();
        meta.logstore_mut(project, logstore)?.keys.push(record);
        meta.save(&self.dir)?;
        self.meta = meta;
        Ok((key_ref, key))
    }

    /// Counts a seal; reserves the next chunk (persisted first) when the
    /// reservation runs out.
    fn count_seal(&mut self, project: &str, logstore: &str, key_ref: u32) -> Result<(), LogError> {
        let id = (project.to_string(), logstore.to_string(), key_ref);
        let reserved = self
            .meta
            .logstore(project, logstore)?
            .keys
            .get(key_ref as usize)
            .map_or(0, |k| k.reserved);
        let used = *self.seals.entry(id.clone()).or_insert(reserved);
        if used >= reserved {
            let mut meta = self.meta.clone();
            if let Some(k) = meta
                .logstore_mut(project, logstore)?
                .keys
                .get_mut(key_ref as usize)
            {
                k.reserved = used + RESERVE_CHUNK;
            }
            meta.save(&self.dir)?;
            self.meta = meta;
        }
        self.seals.insert(id, used + 1);
        Ok(())
    }

    /// The key `key_ref` of a Logstore, unwrapped: a service key under the
    /// root key; a BYOK data key by `kms:Decrypt` as the role session, after
    /// Log Service has assumed the role — the whole chain, every time.
    fn unwrap_key(
        &mut self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        key_ref: u32,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, LogError> {
        let record = l
            .keys
            .get(key_ref as usize)
            .ok_or_else(|| LogError::Integrity {
                what: format!("a block names key {key_ref}, which the Logstore does not have"),
            })?
            .clone();
        match record.source {
            KeySource::Service => self.unwrap_service_key(project, logstore, key_ref, &record),
            KeySource::Byok => {
                let info = l
                    .encrypt_conf
                    .as_ref()
                    .and_then(|c| c.user_cmk_info.clone())
                    .ok_or_else(|| LogError::Storage("a BYOK key without user_cmk_info".into()))?;
                let blob = from_hex(&record.wrapped)
                    .ok_or_else(|| LogError::Storage("a BYOK key blob is not hex".into()))?;
                let session = self.byok_session(&info)?;
                let kms_caller = Caller::new(Ram::new(&self.directory, &*self.clock), &session);
                let opened =
                    self.kms
                        .decrypt(&kms_caller, &blob, &data_key_context(project, logstore));
                self.chain.extend(kms_caller.take_chain().steps);
                let opened = opened.map_err(|e| key_unavailable("kms:Decrypt", &e))?;
                Ok(zeroize::Zeroizing::new(opened.plaintext.expose().to_vec()))
            }
        }
    }

    fn unwrap_service_key(
        &self,
        project: &str,
        logstore: &str,
        key_ref: u32,
        record: &KeyRecord,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, LogError> {
        let wrapped = from_hex(&record.wrapped)
            .ok_or_else(|| LogError::Storage("a service key is not hex".into()))?;
        let key = self
            .kms
            .unwrap_local(&service_key_label(project, logstore, key_ref), &wrapped)
            .map_err(|e| LogError::Integrity {
                what: format!("the service key {key_ref} of `{project}/{logstore}`: {e}"),
            })?;
        Ok(zeroize::Zeroizing::new(key.expose().to_vec()))
    }

    /// `PullLogs` (`GetCursorOrData`): up to `count` log groups of `shard`
    /// from `cursor` on, each opened only after its key's chain allowed.
    pub fn pull_logs(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: u32,
        cursor: u64,
        count: u32,
    ) -> Result<Pulled, LogError> {
        let target =
            json!({"project": project, "logstore": logstore, "shard": shard, "cursor": cursor});
        self.audited("pull_logs", caller, target, |s| {
            s.authorize(
                caller,
                "log:GetCursorOrData",
                &s.logstore_arn(project, logstore),
            )?;
            let l = s.meta.logstore(project, logstore)?.clone();
            if shard >= l.shard_count {
                return Err(LogError::ShardNotExist(shard));
            }
            let end = s.readable_end(
                project,
                logstore,
                shard,
                cursor.saturating_add(u64::from(count)),
            )?;
            let groups = s.read_blocks(project, logstore, &l, shard, cursor..end)?;
            let detail = json!({"opened": groups.len(), "from": cursor, "to": end});
            Ok((
                Pulled {
                    groups,
                    next_cursor: end.max(cursor),
                },
                detail,
            ))
        })
    }

    /// `GetLogs`: every log group of every shard with a log in
    /// `[from, to)` (Unix seconds), those logs only.
    pub fn get_logs(
        &mut self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<StoredGroup>, LogError> {
        let target = json!({"project": project, "logstore": logstore, "from": from, "to": to});
        self.audited("get_logs", caller, target, |s| {
            s.authorize(
                caller,
                "log:GetLogStoreLogs",
                &s.logstore_arn(project, logstore),
            )?;
            let l = s.meta.logstore(project, logstore)?.clone();
            let mut out = Vec::new();
            for shard in 0..l.shard_count {
                let end = s.readable_end(project, logstore, shard, u64::MAX)?;
                for mut g in s.read_blocks(project, logstore, &l, shard, 0..end)? {
                    g.group.logs.retain(|log| (from..to).contains(&log.time));
                    if !g.group.logs.is_empty() {
                        out.push(g);
                    }
                }
            }
            let detail = json!({"groups": out.len()});
            Ok((out, detail))
        })
    }

    /// Where a read of a shard up to `wanted` stops: at the last block, or
    /// — when the segment is damaged — one past it, so the read reaches the
    /// damage and fails instead of quietly returning less.
    fn readable_end(
        &mut self,
        project: &str,
        logstore: &str,
        shard: u32,
        wanted: u64,
    ) -> Result<u64, LogError> {
        let segment = self.segment(project, logstore, shard)?;
        let end = if segment.is_damaged() {
            segment.len() + 1
        } else {
            segment.len()
        };
        Ok(end.min(wanted))
    }

    /// Reads blocks `range` of a shard: each key needed is unwrapped once
    /// per operation, through its chain, before any block under it opens.
    fn read_blocks(
        &mut self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<StoredGroup>, LogError> {
        let mut keys: HashMap<u32, zeroize::Zeroizing<Vec<u8>>> = HashMap::new();
        let mut out = Vec::new();
        for seq in range {
            let mut bytes = self.segment(project, logstore, shard)?.read(seq)?;
            let integrity = |e: block::BlockError| LogError::Integrity {
                what: format!("`{project}/{logstore}` shard {shard} block {seq}: {e}"),
            };
            let header = block::header(&bytes).map_err(integrity)?;
            let key = match header.algorithm {
                None => None,
                Some(_) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        keys.entry(header.key_ref)
                    {
                        slot.insert(self.unwrap_key(project, logstore, l, header.key_ref)?);
                    }
                    keys.get(&header.key_ref).map(|k| k.as_slice())
                }
            };
            let loc = Location {
                project,
                logstore,
                shard,
                seq,
            };
            let payload = block::open(&loc, &mut bytes, key).map_err(integrity)?;
            out.push(StoredGroup {
                shard,
                seq,
                group: LogGroup::decode(payload)?,
            });
        }
        Ok(out)
    }
}

fn algorithm_of(t: EncryptType) -> Algorithm {
    match t {
        EncryptType::Aes256Gcm => Algorithm::Aes256Gcm,
        EncryptType::Sm4Gcm => Algorithm::Sm4Gcm,
    }
}

/// Binds a wrapped service key to its Logstore and reference.
fn service_key_label(project: &str, logstore: &str, key_ref: u32) -> Vec<u8> {
    format!("logstore service key\0{project}\0{logstore}\0{key_ref}").into_bytes()
}

/// The `EncryptionContext` of a Logstore's BYOK data keys: a data key
/// opens only for the Logstore it was made for.
fn data_key_context(project: &str, logstore: &str) -> EncryptionContext {
    EncryptionContext::from_pairs([("project", project), ("logstore", logstore)])
        .unwrap_or_default()
}
