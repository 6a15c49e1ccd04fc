//! The KMS API: one region of one account, backed by a key store directory.
//!
//! Every call follows the same steps, in this order:
//! 1. check its parameters (`400 InvalidParameter`);
//! 2. name the key (from its id or ARN, or from the blob for `Decrypt`) —
//!    this is where the caller will be authorized, as [`Api::action`] on
//!    [`Kms::resource_arn`];
//! 3. destroy keys whose deletion window has ended, then find the key
//!    (`404 Forbidden.KeyNotFound`);
//! 4. check the state/API matrix (`409 Rejected.*`);
//! 5. do the work, and persist any change before answering.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::api::{Api, key_arn};
use super::blob;
use super::context::EncryptionContext;
use super::error::KmsError;
use super::id::{KeyId, KeyVersionId};
use super::key::{
    DataKeySpec, KeyMaterial, KeyMetadata, KeyRecord, KeySpec, KeyUsage, KeyVersion, Plaintext,
};
use super::state::{self, KeyState};
use super::store::{RootKeySource, Store};
use crate::clock::Clock;

use super::caller::Caller;
use crate::policy::arn::{Arn, is_account_id, is_region};

/// The most characters a key description may have.
pub const MAX_DESCRIPTION_CHARS: usize = 8192;
/// The shortest and longest deletion windows, in days.
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<u32> = 7..=30;
/// The largest `ListKeys` page.
pub const MAX_PAGE_SIZE: u32 = 100;

type Keys = BTreeMap<KeyId, KeyRecord>;

/// A local KMS for one region of one account, shared by many threads.
///
/// Readers (`DescribeKey`, `Encrypt`, `Decrypt`, `GenerateDataKey`, …)
/// take a snapshot of the keys — one `Arc` clone under a read lock held for
/// nothing else — and do their AEAD work with no lock held. Writers
/// (`CreateKey`, state changes, the destruction of expired keys) take the
/// writer mutex, change a copy, save it (its `fsync` under the writer
/// mutex only: no reader waits for it), then swap the snapshot in with
/// the next state version. A call that starts after a change returned
/// sees it. Lock order: writer mutex, then the snapshot's lock, briefly.
pub struct Kms {
    region: String,
    account: String,
    clock: Arc<dyn Clock>,
    store: Store,
    current: RwLock<Arc<KeysSnapshot>>,
    writer: Mutex<()>,
}

mod snapshot;
use snapshot::KeysSnapshot;

/// What `GenerateDataKey` answers.
#[derive(Debug)]
pub struct GenerateDataKeyOutput {
    /// The CMK that wrapped the data key.
    pub key_id: KeyId,
    /// Its version.
    pub key_version_id: KeyVersionId,
    /// The data key. Use it, then drop it; store only the blob.
    pub plaintext: Plaintext,
    /// The data key sealed under the CMK.
    pub ciphertext_blob: Vec<u8>,
}

/// What `Encrypt` answers.
#[derive(Debug)]
pub struct EncryptOutput {
    /// The CMK.
    pub key_id: KeyId,
    /// Its version (the primary one).
    pub key_version_id: KeyVersionId,
    /// The sealed plaintext.
    pub ciphertext_blob: Vec<u8>,
}

/// What `Decrypt` answers.
#[derive(Debug)]
pub struct DecryptOutput {
    /// The CMK the blob named.
    pub key_id: KeyId,
    /// Its version.
    pub key_version_id: KeyVersionId,
    /// The opened plaintext.
    pub plaintext: Plaintext,
}

/// One page of `ListKeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyList {
    /// The keys of the page, oldest first.
    pub keys: Vec<KeyListEntry>,
    /// How many keys there are in all.
    pub total_count: usize,
    /// The page (from 1).
    pub page_number: u32,
    /// The page size.
    pub page_size: u32,
}

/// A key in a `ListKeys` page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// The key id.
    pub key_id: KeyId,
    /// The key ARN.
    pub key_arn: String,
}

impl Kms {
    /// Opens the KMS kept in `dir` (made if missing), with the root key
    /// from `RAMGATE_ROOT_KEY` when set, else from `<dir>/root.key`.
    pub fn open(
        dir: impl AsRef<Path>,
        region: &str,
        account: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Kms, KmsError> {
        Kms::open_with_root_key(dir, region, account, clock, RootKeySource::from_env())
    }

    /// Opens the KMS kept in `dir` with the root key from `root`.
    pub fn open_with_root_key(
        dir: impl AsRef<Path>,
        region: &str,
        account: &str,
        clock: Arc<dyn Clock>,
        root: RootKeySource,
    ) -> Result<Kms, KmsError> {
        if !is_region(region) {
            return Err(KmsError::InvalidRegion(region.to_owned()));
        }
        if !is_account_id(account) {
            return Err(KmsError::InvalidAccount(account.to_owned()));
        }
        let (store, keys, version) = Store::open(dir.as_ref(), region, account, root)?;
        Ok(Kms {
            region: region.to_owned(),
            account: account.to_owned(),
            clock,
            store,
            current: RwLock::new(Arc::new(KeysSnapshot { version, keys })),
            writer: Mutex::new(()),
        })
    }

    /// The version of the key state: it grows with every change (a key
    /// made, enabled, disabled, scheduled for deletion, destroyed), and is
    /// `keys.json`'s own version (0 before the first save), so it survives
    /// a restart. Each call records the version that decided it on its
    /// [`Caller`].
    pub fn state_version(&self) -> u64 {
        self.snapshot_now().version
    }

    fn snapshot_now(&self) -> Arc<KeysSnapshot> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Seals a secret of the local service (Log Service's per-Logstore
    /// service keys) under the root key, bound to `label`. Not a KMS API and
    /// not authorized by RAM: the service key is Log Service's own.
    pub fn wrap_local(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.store.wrap_local(label, secret)
    }

    /// A 32-byte key for the purpose `label`, derived from the root key
    /// (the audit log's MAC key). Not a KMS API.
    pub fn derive_local_key(&self, label: &[u8]) -> Plaintext {
        Plaintext::new(self.store.derive_key(label))
    }

    /// Opens what [`Kms::wrap_local`] sealed under the same `label`.
    pub fn unwrap_local(&self, label: &[u8], wrapped: &[u8]) -> Result<Plaintext, KmsError> {
        self.store.unwrap_local(label, wrapped).map(Plaintext::new)
    }

    /// The resource a call is authorized on (see [`Api::resource_arn`]).
    pub fn resource_arn(&self, api: Api, key: Option<&KeyId>) -> String {
        api.resource_arn(&self.region, &self.account, key)
    }

    /// Authorizes `api` on key `id` for `caller` (recording the step); runs
    /// before the key is looked up, so a caller without permission learns
    /// nothing about which keys exist.
    fn authorize(&self, caller: &Caller<'_>, api: Api, id: KeyId) -> Result<(), KmsError> {
        caller.authorize(api.action(), self.resource_arn(api, Some(&id)))
    }

    /// The key a `KeyId` parameter names: a key id, or a key ARN of this
    /// region and account. Only the form is checked, not that the key
    /// exists. Aliases do not exist in ramgate, so `alias/…` is not found.
    pub fn key_id_of(&self, key_ref: &str) -> Result<KeyId, KmsError> {
        let id = match Arn::parse(key_ref) {
            Some(arn)
                if arn.service == "kms"
                    && arn.region == self.region
                    && arn.account == self.account =>
            {
                arn.resource.strip_prefix("key/").and_then(KeyId::parse)
            }
            Some(_) => None,
            None => KeyId::parse(key_ref),
        };
        id.ok_or_else(|| KmsError::KeyNotFound(key_ref.to_owned()))
    }

    /// `CreateKey`: a new `Enabled` key with fresh random material.
    pub fn create_key(
        &self,
        caller: &Caller<'_>,
        spec: KeySpec,
        usage: KeyUsage,
        description: &str,
    ) -> Result<KeyMetadata, KmsError> {
        caller.authorize(
            Api::CreateKey.action(),
            self.resource_arn(Api::CreateKey, None),
        )?;
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(KmsError::DescriptionTooLong(chars));
        }
        let _writer = self.writer();
        let (snap, now) = self.read_snapshot()?;
        let mut keys = snap.keys.clone();
        let id = loop {
            let id = KeyId::random()?;
            if !keys.contains_key(&id) {
                break id;
            }
        };
        let version = self.new_version(id, spec, now)?;
        let metadata = KeyMetadata {
            key_id: id,
            arn: key_arn(&self.region, &self.account, &id),
            key_spec: spec,
            key_usage: usage,
            key_state: KeyState::Enabled,
            origin: "Aliyun_KMS".to_owned(),
            protection_level: "SOFTWARE".to_owned(),
            creator: self.account.clone(),
            creation_date: now,
            delete_date: None,
            description: description.to_owned(),
            primary_key_version: version.id,
        };
        let record = KeyRecord {
            metadata: metadata.clone(),
            versions: vec![version],
        };
        keys.insert(id, record);
        self.publish(&snap, keys)?;
        Ok(metadata)
    }

    /// `DescribeKey`: the key's metadata, in any state.
    pub fn describe_key(
        &self,
        caller: &Caller<'_>,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        let id = self.key_id_of(key_ref)?;
        self.authorize(caller, Api::DescribeKey, id)?;
        let (snap, _) = self.snapshot(caller)?;
        let key = checked_key(&snap.keys, Api::DescribeKey, id, key_ref)?;
        Ok(key.metadata.clone())
    }

    /// `ListKeys`: page `page_number` (from 1) of `page_size` (1–100) keys,
    /// oldest first. Destroyed keys are gone from the list.
    pub fn list_keys(
        &self,
        caller: &Caller<'_>,
        page_number: u32,
        page_size: u32,
    ) -> Result<KeyList, KmsError> {
        caller.authorize(
            Api::ListKeys.action(),
            self.resource_arn(Api::ListKeys, None),
        )?;
        if page_number == 0 {
            return Err(KmsError::PageOutOfRange {
                name: "PageNumber",
                value: page_number,
                range: "1 and up",
            });
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(KmsError::PageOutOfRange {
                name: "PageSize",
                value: page_size,
                range: "1–100",
            });
        }
        let (snap, _) = self.snapshot(caller)?;
        let mut all: Vec<&KeyMetadata> = snap.keys.values().map(|r| &r.metadata).collect();
        all.sort_by_key(|m| (m.creation_date, m.key_id));
        let size = usize::try_from(page_size).unwrap_or(usize::MAX);
        let skip = usize::try_from(page_number - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(size);
        Ok(KeyList {
            keys: all
                .iter()
                .skip(skip)
                .take(size)
                .map(|m| KeyListEntry {
                    key_id: m.key_id,
                    key_arn: m.arn.clone(),
                })
                .collect(),
            total_count: all.len(),
            page_number,
            page_size,
        })
    }

    /// `EnableKey`: `Disabled` → `Enabled` (idempotent when `Enabled`).
    pub fn enable_key(&self, caller: &Caller<'_>, key_ref: &str) -> Result<(), KmsError> {
        self.change_state(caller, Api::EnableKey, key_ref, None)
    }

    /// `DisableKey`: `Enabled` → `Disabled` (idempotent when `Disabled`).
    /// Blobs stay, and open again once the key is enabled.
    pub fn disable_key(&self, caller: &Caller<'_>, key_ref: &str) -> Result<(), KmsError> {
        self.change_state(caller, Api::DisableKey, key_ref, None)
    }

    /// `ScheduleKeyDeletion`: → `PendingDeletion` for 7–30 days; when the
    /// window ends the key is destroyed, its blobs unreadable for good.
    ///
    /// The key is destroyed at the first call made at or after its
    /// `DeleteDate`. (Alibaba deletes "within 24 h" after the window, spec
    /// §3.1; ramgate is exact, so tests can tell.)
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller<'_>,
        key_ref: &str,
        pending_window_in_days: u32,
    ) -> Result<(), KmsError> {
        if !PENDING_WINDOW_DAYS.contains(&pending_window_in_days) {
            return Err(KmsError::PendingWindowOutOfRange(pending_window_in_days));
        }
        let window = Duration::days(i64::from(pending_window_in_days));
        self.change_state(caller, Api::ScheduleKeyDeletion, key_ref, Some(window))
    }

    /// `CancelKeyDeletion`: `PendingDeletion` → `Enabled`.
    pub fn cancel_key_deletion(&self, caller: &Caller<'_>, key_ref: &str) -> Result<(), KmsError> {
        self.change_state(caller, Api::CancelKeyDeletion, key_ref, None)
    }

    /// `GenerateDataKey`: a random data key of `spec`'s length, and the
    /// same key sealed under the CMK's primary version with `context`.
    pub fn generate_data_key(
        &self,
        caller: &Caller<'_>,
        key_ref: &str,
        spec: DataKeySpec,
        context: &EncryptionContext,
    ) -> Result<GenerateDataKeyOutput, KmsError> {
        let id = self.key_id_of(key_ref)?;
        self.authorize(caller, Api::GenerateDataKey, id)?;
        let (snap, _) = self.snapshot(caller)?;
        let key = checked_key(&snap.keys, Api::GenerateDataKey, id, key_ref)?;
        let mut data_key = Zeroizing::new(vec![0u8; spec.len()]);
        getrandom::fill(&mut data_key)?;
        let (version, ciphertext_blob) = self.seal(key, context, &data_key)?;
        Ok(GenerateDataKeyOutput {
            key_id: id,
            key_version_id: version,
            plaintext: Plaintext::new(data_key),
            ciphertext_blob,
        })
    }

    /// `Encrypt`: seals up to 6 KiB under the CMK's primary version.
    pub fn encrypt(
        &self,
        caller: &Caller<'_>,
        key_ref: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<EncryptOutput, KmsError> {
        if plaintext.len() > blob::MAX_PLAINTEXT_LEN {
            return Err(KmsError::PlaintextTooLarge(plaintext.len()));
        }
        let id = self.key_id_of(key_ref)?;
        self.authorize(caller, Api::Encrypt, id)?;
        let (snap, _) = self.snapshot(caller)?;
        let key = checked_key(&snap.keys, Api::Encrypt, id, key_ref)?;
        let (version, ciphertext_blob) = self.seal(key, context, plaintext)?;
        Ok(EncryptOutput {
            key_id: id,
            key_version_id: version,
            ciphertext_blob,
        })
    }

    /// `Decrypt`: the blob names its key and version; `context` must equal
    /// the one it was sealed with. Nothing is returned unless the tag
    /// verifies.
    pub fn decrypt(
        &self,
        caller: &Caller<'_>,
        ciphertext_blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<DecryptOutput, KmsError> {
        let (header, sealed) = blob::parse(ciphertext_blob)?;
        let id = header.key_id;
        self.authorize(caller, Api::Decrypt, id)?;
        let (snap, _) = self.snapshot(caller)?;
        let key = checked_key(&snap.keys, Api::Decrypt, id, &id.to_string())?;
        let not_authentic = || KmsError::BlobNotAuthentic {
            key: id,
            version: header.key_version,
        };
        let version = key.version(header.key_version).ok_or_else(not_authentic)?;
        if header.algorithm != key.metadata.key_spec.algorithm() {
            return Err(not_authentic());
        }
        let plaintext = blob::open(&header, sealed, &version.material, context)?;
        Ok(DecryptOutput {
            key_id: id,
            key_version_id: version.id,
            plaintext,
        })
    }

    /// A state change per the matrix; `delete_after` is the deletion window
    /// of `ScheduleKeyDeletion`. Persisted before it is answered; a failed
    /// write leaves the key as it was.
    fn change_state(
        &self,
        caller: &Caller<'_>,
        api: Api,
        key_ref: &str,
        delete_after: Option<Duration>,
    ) -> Result<(), KmsError> {
        let id = self.key_id_of(key_ref)?;
        self.authorize(caller, api, id)?;
        let _writer = self.writer();
        let (snap, now) = self.read_snapshot()?;
        caller.saw_state_version(snap.version);
        let key = find(&snap.keys, id, key_ref)?;
        let next = state::check(api, id, key.metadata.key_state)?;
        let delete_date = match (next, delete_after) {
            (KeyState::PendingDeletion, Some(window)) => Some(now.checked_add(window).ok_or(
                KmsError::PendingWindowOutOfRange(
                    u32::try_from(window.whole_days()).unwrap_or(u32::MAX),
                ),
            )?),
            (KeyState::PendingDeletion, None) => key.metadata.delete_date,
            _ => None,
        };
        let before = key.metadata.clone();
        let mut after = before.clone();
        after.key_state = next;
        after.delete_date = delete_date;
        if after == before {
            return Ok(());
        }
        let mut keys = snap.keys.clone();
        if let Some(key) = keys.get_mut(&id) {
            key.metadata = after;
        }
        let version = self.publish(&snap, keys)?;
        caller.saw_state_version(version);
        Ok(())
    }

    /// Seals `plaintext` under the key's primary version.
    fn seal(
        &self,
        key: &KeyRecord,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<(KeyVersionId, Vec<u8>), KmsError> {
        let m = &key.metadata;
        let version = key
            .version(m.primary_key_version)
            .ok_or_else(|| KmsError::CorruptStore {
                path: self.store.path(),
                reason: format!("key `{}` lacks its primary version", m.key_id),
            })?;
        let blob = blob::seal(
            m.key_spec.algorithm(),
            m.key_id,
            version.id,
            &version.material,
            context,
            plaintext,
        )?;
        Ok((version.id, blob))
    }

    fn new_version(
        &self,
        key: KeyId,
        spec: KeySpec,
        now: OffsetDateTime,
    ) -> Result<KeyVersion, KmsError> {
        let id = KeyVersionId::random()?;
        let material = KeyMaterial::generate(spec)?;
        let sealed = self
            .store
            .seal_material(key, id, spec.algorithm(), &material)?;
        Ok(KeyVersion {
            id,
            creation_date: now,
            material,
            sealed,
        })
    }

    /// Every key record, for tests that must see inside (CMK material).
    #[cfg(test)]
    pub(crate) fn inspect_records<T>(&self, f: impl FnOnce(&Keys) -> T) -> T {
        f(&self.snapshot_now().keys)
    }
}

/// Whether a key's deletion window has ended at `now`.
fn is_destroyed_at(m: &KeyMetadata, now: OffsetDateTime) -> bool {
    m.key_state == KeyState::PendingDeletion && m.delete_date.is_some_and(|d| d <= now)
}

/// The key `id` (step 3 of the module docs).
fn find<'k>(keys: &'k Keys, id: KeyId, key_ref: &str) -> Result<&'k KeyRecord, KmsError> {
    keys.get(&id)
        .ok_or_else(|| KmsError::KeyNotFound(key_ref.to_owned()))
}

/// The key `id` if the matrix lets `api`, which changes no state, run in
/// the key's state (steps 3 and 4 of the module docs).
fn checked_key<'k>(
    keys: &'k Keys,
    api: Api,
    id: KeyId,
    key_ref: &str,
) -> Result<&'k KeyRecord, KmsError> {
    let key = find(keys, id, key_ref)?;
    state::check(api, id, key.metadata.key_state)?;
    Ok(key)
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("region", &self.region)
            .field("account", &self.account)
            .field("store", &self.store)
            .field("keys", &self.snapshot_now().keys.len())
            .finish_non_exhaustive()
    }
}
