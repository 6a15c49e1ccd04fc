//! `LogService`: projects and Logstores on a local data directory, with
//! encryption at rest gated by RAM decisions (DESIGN.md's write path).
//! The layout of the directory is in `datadir.rs`.
//!
//! No block is sealed or opened before the chain "caller may act → role
//! trusted → role may use the key → key enabled" has been decided, and
//! every seal, open and refusal appends that chain to the audit log.
//!
//! # Many callers, one owner
//!
//! A `LogService` is a cheap `Clone` handle (`Arc<Shared>`) that is
//! `Send + Sync`; every method takes `&self`. The process holds the data
//! directory's lock for as long as any handle lives. An operation takes a
//! snapshot of the RAM directory and of the Logstore catalog when it
//! starts, decides its chain on them (KMS calls decide on the KMS's
//! snapshot), and returns its own chain in a [`Traced`].
//!
//! Appends to one shard are numbered under that shard's mutex and sealed
//! with no lock held; the block and the operation's audit record are then
//! handed to the directory's journal together (`journal.rs`), where one
//! `fsync` makes every operation waiting at the time durable, whatever
//! shards it wrote, and the journal's leader applies them to their files
//! (`commit.rs`). The order per operation is: decide the chain → seal →
//! journal the block and the audit record → durable → applied →
//! acknowledge.
//!
//! Lock order (a lock is only ever taken while holding those before it):
//! RAM writer → catalog writer → KMS writer → the shard map → a segment's
//! appender → the audit log's appender. The journal's mutex is taken with
//! none of those held, and only an appender's mutex is taken under it (an
//! audit record is numbered and linked there, so the audit log's order is
//! the journal's; a refused block's place is given up there); the
//! journal's leader applies records (each appender's mutex in turn) after
//! releasing it. The journal's list of files awaiting their checkpoint
//! has a mutex of its own, taken with none of these held and held across
//! no other lock and no I/O. Snapshot locks (`RwLock`s around
//! an `Arc`) are held only to clone or swap the `Arc`. No lock is held
//! across an AEAD operation, a KMS call or a RAM decision; the writer
//! mutexes of RAM, the catalog and the KMS are held across their own
//! file's save (so concurrent changes never lose one another), and only
//! other writers of that file wait on them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::authz::Context;
use crate::clock::Clock;
use crate::durable::{create_private_dir, remove_stale_temp_files, write_atomically};
use crate::kms::{Caller, Kms, KmsError, RootKeySource};
use crate::policy::arn::{is_account_id, is_region};
use crate::ram::{Access, Account, DecisionChain, Directory, Identity, Ram, RamError};

use super::audit::{AUDIT_FILE, AuditError, AuditKey, AuditLog};
use super::catalog::Catalog;
use super::datadir::{
    CLOUD_FILE, CLOUD_FORMAT, Cloud, DATA_DIR, RAM_FILE, ramgate_files_in, read_cloud,
    read_directory,
};
use super::encrypt_conf::EncryptConf;
use super::error::LogError;
use super::journal::{DEFAULT_JOURNAL_BYTES, Journal};
use super::lock::DirLock;
use super::meta::{META_FILE, Meta};
use super::model::LogGroup;
use super::ramstore::{DirectoryStore, EditRefused, RamSnapshot};
use super::shards::Shards;

/// The service principal that assumes BYOK roles.
pub const LOG_SERVICE: &str = "log.aliyuncs.com";

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
    /// The size at which a shard's segment file is full and the next block
    /// starts a new one (default 256 MiB). A block larger than this still
    /// goes, alone, in a segment of its own.
    pub segment_bytes: u64,
    /// The size past which a journal file is full and the next begins
    /// (default 16 MiB); an older file goes once what it holds is synced
    /// in the files it was for (`journal.rs`).
    pub journal_bytes: u64,
}

/// The default [`Options::segment_bytes`]: 256 MiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 256 << 20;

/// The default Logstore `ttl`, in days (as `CreateLogStore` takes it).
pub const DEFAULT_TTL_DAYS: u32 = 30;

impl Default for Options {
    fn default() -> Options {
        Options {
            durable: true,
            max_seals_per_key: 1 << 30,
            root_key: RootKeySource::from_env(),
            lock_wait: std::time::Duration::ZERO,
            holder: "a program using the ramgate library".to_string(),
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
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
    /// How many days data is kept (1–3650; `None`: [`DEFAULT_TTL_DAYS`]).
    /// Whole segments whose newest log group is older are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
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
    /// How many days data is kept.
    pub ttl: u32,
    /// The encryption settings, echoed exactly as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypt_conf: Option<EncryptConf>,
    /// Since when encryption has been switched off (RFC 3339), while it is
    /// (S3): every log written since is stored in plaintext.
    #[serde(rename = "encryptionOffSince", skip_serializing_if = "Option::is_none")]
    pub encryption_off_since: Option<String>,
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

/// Where `get_cursor` puts a cursor (`GetCursor`'s `from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorFrom {
    /// The oldest log group kept (`begin`).
    Begin,
    /// One past the newest (`end`).
    End,
    /// The first log group received at or after this Unix time (seconds).
    Time(u32),
}

impl std::str::FromStr for CursorFrom {
    type Err = LogError;

    /// `begin`, `end` or Unix seconds, as Log Service's `from` takes them.
    fn from_str(text: &str) -> Result<CursorFrom, LogError> {
        match text {
            "begin" => Ok(CursorFrom::Begin),
            "end" => Ok(CursorFrom::End),
            _ => text.parse().map(CursorFrom::Time).map_err(|_| {
                LogError::ParameterInvalid(format!(
                    "from `{text}` is not `begin`, `end` or a Unix time in seconds"
                ))
            }),
        }
    }
}

impl std::fmt::Display for CursorFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CursorFrom::Begin => f.write_str("begin"),
            CursorFrom::End => f.write_str("end"),
            CursorFrom::Time(t) => write!(f, "{t}"),
        }
    }
}

/// A segment file removed under its Logstore's `ttl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiredSegment {
    /// The project.
    pub project: String,
    /// The Logstore.
    pub logstore: String,
    /// The shard.
    pub shard: u32,
    /// The cursors it held, `[from, to)`.
    pub from: u64,
    /// One past its last cursor.
    pub to: u64,
    /// When its newest log group was received (Unix seconds).
    pub newest_received: u32,
}

/// What `pull_logs` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pulled {
    /// The log groups read, in order.
    pub groups: Vec<StoredGroup>,
    /// The cursor to continue from.
    pub next_cursor: u64,
}

/// An operation's outcome with the decision chain behind it (every step,
/// allowed or not): each call returns its own, so concurrent callers never
/// see one another's.
#[derive(Debug)]
pub struct Traced<T> {
    /// What the call answered.
    pub outcome: Result<T, LogError>,
    /// The chain that decided it.
    pub chain: DecisionChain,
}

/// Projects and Logstores on a data directory: a shared handle (module
/// docs).
#[derive(Clone)]
pub struct LogService {
    pub(crate) shared: Arc<Shared>,
    /// The request this handle acts for ([`LogService::with_request`]).
    pub(crate) request: Option<Arc<RequestScope>>,
}

/// What one request carries into every operation a handle runs for it:
/// the condition keys of the connection, merged into each RAM decision
/// made for the caller, and the request id each audit record names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestScope {
    /// `acs:SourceIp`, `acs:SecureTransport`, `acs:UserAgent`, …
    pub context: Context,
    /// The id the answer carries (`x-log-requestid` / `RequestId`).
    pub request_id: String,
}

/// A Logstore key: (project, Logstore, incarnation, key reference).
pub(crate) type KeyId = (String, String, Option<String>, u32);

/// What every handle shares.
pub(crate) struct Shared {
    /// Dropped first (fields drop in order): its last checkpoint runs while
    /// the lock below is still held.
    pub(crate) journal: Journal,
    pub(crate) dir: PathBuf,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ram: DirectoryStore,
    pub(crate) kms: Kms,
    pub(crate) catalog: Catalog,
    pub(crate) shards: Shards,
    pub(crate) audit: AuditLog,
    /// Seals made under each key in this process, counted from its
    /// persisted reservation.
    pub(crate) seals: Mutex<HashMap<KeyId, u64>>,
    pub(crate) options: Options,
    /// The directory's owner lock, held as long as any handle lives:
    /// declared last, so released last.
    pub(crate) lock: DirLock,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<LogService>();
};

impl std::fmt::Debug for LogService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogService")
            .field("dir", &self.shared.dir)
            .field("account", &self.shared.account)
            .field("region", &self.shared.region)
            .finish_non_exhaustive()
    }
}

/// A key store that does not open: damaged (exit 3) when the store or the
/// root key is wrong, else the KMS's failure, kept as the source.
fn kms_open_error(e: KmsError) -> LogError {
    match e {
        KmsError::CorruptStore { .. }
        | KmsError::StoreMismatch { .. }
        | KmsError::InvalidRootKey { .. }
        | KmsError::MissingRootKey(_)
        | KmsError::RootKeyMismatch(_)
        | KmsError::WrongRootKey(_) => LogError::Damaged {
            what: e.to_string(),
            hint: e
                .help()
                .unwrap_or("restore the key store and its root key from a backup")
                .to_string(),
        },
        other => LogError::Kms {
            step: "open its key store",
            source: std::sync::Arc::new(other),
        },
    }
}

/// An audit log that does not open or append: a broken chain is damage,
/// and appends stop (fail closed) until it is repaired.
pub(crate) fn audit_error(e: AuditError) -> LogError {
    match e {
        AuditError::Broken { .. } => LogError::Damaged {
            what: e.to_string(),
            hint: "`ramgate audit verify` names the first bad record; `ramgate audit repair` \
                   keeps the old log for inspection and starts a new chain that names the break"
                .to_string(),
        },
        source => LogError::Audit { source },
    }
}

/// A state file older than the audit log says it was.
fn rolled_back(file: &Path, found: u64, recorded: u64, audit: &Path) -> LogError {
    LogError::Damaged {
        what: format!(
            "`{}` has version {found}, older than version {recorded} which the audit log `{}` \
             has recorded: an older copy was put back (a rollback)",
            file.display(),
            audit.display()
        ),
        hint: format!(
            "put the newest copy of `{}` back; to go on from this older copy on purpose, move \
             `{}` aside (ramgate then starts a new audit log, and the old one stays for \
             inspection)",
            file.display(),
            audit.display()
        ),
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
        // S9: a data directory that existed before becomes private too.
        crate::durable::make_dir_private(dir).map_err(|e| LogError::io(dir, "chmod", e))?;
        let mut directory = Directory::new();
        directory
            .add_account(account)
            .map_err(|e| LogError::ParameterInvalid(e.to_string()))?;
        write_atomically(dir, RAM_FILE, directory.to_versioned_json().as_bytes())
            .map_err(|e| LogError::io(&dir.join(RAM_FILE), "write", e))?;
        let cloud = serde_json::to_vec_pretty(&Cloud {
            format: Some(CLOUD_FORMAT),
            account: account.into(),
            region: region.into(),
        })
        .map_err(|e| LogError::Storage(e.to_string()))?;
        write_atomically(dir, CLOUD_FILE, &cloud)
            .map_err(|e| LogError::io(&dir.join(CLOUD_FILE), "write", e))?;
        LogService::open_locked(dir, lock, clock, options)
    }

    /// Opens a data directory made by [`LogService::init`], as its owner:
    /// takes the directory's lock, waiting up to `options.lock_wait`.
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
        // A clean restart: what was journaled is in its files first.
        self.shared.journal.checkpoint_now();
        let lock = self.shared.lock.share()?;
        LogService::open_locked(&self.shared.dir, lock, self.shared.clock.clone(), options)
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
        // Before any segment or the audit log is read: what was journaled
        // goes back where it belongs.
        let journal = Journal::open(dir, options.durable, options.journal_bytes)?;
        let cloud = read_cloud(dir)?;
        let directory = read_directory(dir)?;
        let kms = Kms::open_with_root_key(
            dir.join("kms"),
            &cloud.region,
            &cloud.account,
            clock.clone(),
            options.root_key.clone(),
        )
        .map_err(kms_open_error)?;
        let meta = Meta::load_verified(dir, &kms)?;
        let audit_path = dir.join(AUDIT_FILE);
        let audit = AuditLog::open_journaled(&audit_path, options.durable, AuditKey::of(&kms))
            .map_err(audit_error)?;
        // Rollback: a state file older than the newest version the audit
        // log has recorded is an older, authentic copy put back.
        let floor = audit.floor();
        for (file, found, recorded) in [
            (
                dir.join("kms").join(crate::kms::STORE_FILE),
                kms.state_version(),
                floor.keys,
            ),
            (dir.join(META_FILE), meta.version, floor.logstores),
        ] {
            if found < recorded {
                return Err(rolled_back(&file, found, recorded, &audit_path));
            }
        }
        Ok(LogService {
            request: None,
            shared: Arc::new(Shared {
                lock,
                ram: DirectoryStore::new(dir, &cloud.account, directory),
                dir: dir.to_path_buf(),
                account: cloud.account,
                region: cloud.region,
                clock,
                kms,
                catalog: Catalog::new(dir, meta),
                shards: Shards::new(&dir.join(DATA_DIR), options.durable, options.segment_bytes),
                audit,
                journal,
                seals: Mutex::new(HashMap::new()),
                options,
            }),
        })
    }

    /// A handle for one request: every operation it runs merges
    /// `context` into the caller's RAM decisions (the steps Log Service
    /// itself takes for BYOK, as `log.aliyuncs.com`, do not see the
    /// client's connection) and records `request_id` in its audit record.
    /// Cheap: a reference count and the scope.
    pub fn with_request(&self, context: Context, request_id: &str) -> LogService {
        LogService {
            shared: self.shared.clone(),
            request: Some(Arc::new(RequestScope {
                context,
                request_id: request_id.to_string(),
            })),
        }
    }

    /// The request this handle acts for, if any.
    pub fn request(&self) -> Option<&RequestScope> {
        self.request.as_deref()
    }

    /// The account this directory emulates.
    pub fn account(&self) -> &str {
        &self.shared.account
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// The RAM directory as it stands now (a snapshot: later edits make a
    /// new one).
    pub fn directory(&self) -> Arc<RamSnapshot> {
        self.shared.ram.snapshot()
    }

    /// The KMS of this region and account.
    pub fn kms(&self) -> &Kms {
        &self.shared.kms
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        &*self.shared.clock
    }

    /// Runs `f` with the KMS and a caller for `identity`, authorized by the
    /// RAM directory as it stands now.
    pub fn with_kms_caller<T>(
        &self,
        identity: &Identity,
        f: impl FnOnce(&Kms, &Caller<'_>) -> T,
    ) -> T {
        let ram = self.directory();
        let caller = Caller::new(Ram::new(&ram, self.clock()), identity);
        f(self.kms(), &caller)
    }

    /// The data directory this service owns.
    pub fn data_dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The audit log's file.
    pub fn audit_path(&self) -> PathBuf {
        self.shared.dir.join(AUDIT_FILE)
    }

    /// Changes the RAM directory of this account and saves it atomically;
    /// nothing changes when `edit` fails. Every operation that starts after
    /// this returns decides on the new directory. (RAM's own API calls are
    /// not emulated: whoever runs ramgate on the data directory administers
    /// it.)
    pub fn edit_directory<T>(
        &self,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, RamError> {
        self.shared.ram.edit(edit)
    }

    /// The RAM API's path: like [`LogService::edit_directory`], but only
    /// once `caller` may do `access` (`ram:CreateRole` on the role's ARN,
    /// with the request's context), decided on the very directory the edit
    /// changes. The CLI, the operator's path, uses `edit_directory`.
    pub fn edit_directory_as<T>(
        &self,
        caller: &Identity,
        access: &Access,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, EditRefused> {
        self.shared
            .ram
            .edit_as(&*self.shared.clock, caller, access, edit)
    }

    /// `acs:log:<region>:<uid>:project/<p>`.
    pub fn project_arn(&self, project: &str) -> String {
        self.shared.project_arn(project)
    }

    /// `acs:log:<region>:<uid>:project/<p>/logstore/<l>`.
    pub fn logstore_arn(&self, project: &str, logstore: &str) -> String {
        self.shared.logstore_arn(project, logstore)
    }
}

impl Shared {
    pub(crate) fn project_arn(&self, project: &str) -> String {
        format!("acs:log:{}:{}:project/{project}", self.region, self.account)
    }

    pub(crate) fn logstore_arn(&self, project: &str, logstore: &str) -> String {
        format!("{}/logstore/{logstore}", self.project_arn(project))
    }
}
