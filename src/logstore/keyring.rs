//! A Logstore's keys: choosing the key a new block is sealed with (making
//! a new one when none exists or the current one has sealed its share),
//! counting seals against a reservation persisted ahead of use, and
//! unwrapping a key through its chain for every operation.
//!
//! Many threads may reach for a new key at once: each makes one with no
//! lock held (a KMS call for BYOK), and the catalog's update keeps the
//! first; the others drop theirs (never stored, never used) and use it. So
//! a Logstore never ends up with a key that only one writer knew (D1).

use zeroize::Zeroizing;

use crate::kms::cipher::Algorithm;
use crate::kms::{DataKeySpec, EncryptionContext};

use super::block::INTEGRITY_KEY_LEN;
use super::encrypt_conf::{EncryptConf, EncryptType};
use super::error::LogError;
use super::gate::key_unavailable;
use super::meta::{KeyRecord, KeySource, LogstoreMeta, META_FILE, from_hex, to_hex};
use super::op::Op;
use super::service::Shared;

/// Seals are reserved (persisted) this many at a time, so the per-key count
/// survives a restart without a write per seal.
const RESERVE_CHUNK: u64 = 1 << 16;
/// How often a writer retries after losing a race to make a key.
const KEY_RACES: usize = 8;

/// The AEAD of an `encrypt_type`.
pub(crate) fn algorithm_of(t: EncryptType) -> Algorithm {
    match t {
        EncryptType::Aes256Gcm => Algorithm::Aes256Gcm,
        EncryptType::Sm4Gcm => Algorithm::Sm4Gcm,
    }
}

/// Binds a wrapped service key to its Logstore and reference.
fn service_key_label(project: &str, logstore: &str, key_ref: u32) -> Vec<u8> {
    format!("logstore service key\0{project}\0{logstore}\0{key_ref}").into_bytes()
}

/// Binds a wrapped integrity key to its Logstore incarnation.
fn integrity_key_label(project: &str, logstore: &str, incarnation: Option<&str>) -> Vec<u8> {
    format!(
        "logstore integrity key\0{project}\0{logstore}\0{}",
        incarnation.unwrap_or_default()
    )
    .into_bytes()
}

/// The `EncryptionContext` of a Logstore's BYOK data keys: a data key
/// opens only for the Logstore it was made for.
fn data_key_context(project: &str, logstore: &str) -> EncryptionContext {
    EncryptionContext::from_pairs([("project", project), ("logstore", logstore)])
        .unwrap_or_default()
}

/// A key ready to seal with.
pub(crate) struct SealingKey {
    pub(crate) key_ref: u32,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: Zeroizing<Vec<u8>>,
}

impl Shared {
    /// The key new blocks are sealed with, after the chain for it has been
    /// decided (BYOK: trust, the role's permission, the key's state, on
    /// every operation), its seal counted.
    pub(crate) fn sealing_key(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        conf: &EncryptConf,
    ) -> Result<SealingKey, LogError> {
        let algorithm = algorithm_of(conf.encrypt_type()?);
        let wanted = match conf.user_cmk_info {
            Some(_) => KeySource::Byok,
            None => KeySource::Service,
        };
        for _ in 0..KEY_RACES {
            let meta = self.catalog.snapshot();
            let l = meta.logstore(project, logstore)?;
            let current = l
                .keys
                .iter()
                .rposition(|k| k.source == wanted)
                .and_then(|i| u32::try_from(i).ok());
            if let Some(i) = current
                && let Some(n) = self.count_seal(project, logstore, l, i)?
            {
                let key = self.unwrap_key(op, project, logstore, l, i)?;
                self.reserve_seals(project, logstore, i, n)?;
                return Ok(SealingKey {
                    key_ref: i,
                    algorithm,
                    key,
                });
            }
            // No key yet, or the current one has sealed its share.
            let key_ref = u32::try_from(l.keys.len())
                .map_err(|_| LogError::Storage("too many keys".into()))?;
            let (record, key) = self.new_key(op, project, logstore, conf, key_ref, algorithm)?;
            let kept = self.catalog.update(&self.kms, |m| {
                let l = m.logstore_mut(project, logstore)?;
                if l.keys.len() as u64 != u64::from(key_ref) {
                    return Ok(false); // another writer made it first
                }
                l.keys.push(record);
                Ok(true)
            })?;
            if kept && let Some(n) = self.count_seal(project, logstore, l, key_ref)? {
                self.reserve_seals(project, logstore, key_ref, n)?;
                return Ok(SealingKey {
                    key_ref,
                    algorithm,
                    key,
                });
            }
        }
        Err(LogError::Storage(format!(
            "`{project}/{logstore}`: no sealing key after {KEY_RACES} tries"
        )))
    }

    /// Takes the next seal number of key `key_ref`, or `None` when the key
    /// has sealed its share.
    fn count_seal(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        key_ref: u32,
    ) -> Result<Option<u64>, LogError> {
        let reserved = l.keys.get(key_ref as usize).map_or(0, |k| k.reserved);
        let id = (
            project.to_string(),
            logstore.to_string(),
            l.incarnation.clone(),
            key_ref,
        );
        let mut seals = self
            .seals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let used = seals.entry(id).or_insert(reserved);
        if *used >= self.options.max_seals_per_key {
            return Ok(None);
        }
        let n = *used;
        *used += 1;
        Ok(Some(n))
    }

    /// Makes sure seal number `n` of key `key_ref` is inside the persisted
    /// reservation before it is used, extending it a chunk at a time.
    fn reserve_seals(
        &self,
        project: &str,
        logstore: &str,
        key_ref: u32,
        n: u64,
    ) -> Result<(), LogError> {
        let reserved = self
            .catalog
            .snapshot()
            .logstore(project, logstore)?
            .keys
            .get(key_ref as usize)
            .map_or(0, |k| k.reserved);
        if n < reserved {
            return Ok(());
        }
        self.catalog.update(&self.kms, |m| {
            if let Some(k) = m
                .logstore_mut(project, logstore)?
                .keys
                .get_mut(key_ref as usize)
                && k.reserved <= n
            {
                k.reserved = n + RESERVE_CHUNK;
            }
            Ok(())
        })
    }

    /// A new key for the Logstore, not yet stored: a service key, or (BYOK)
    /// a data key made by KMS under the CMK for the role session.
    fn new_key(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        conf: &EncryptConf,
        key_ref: u32,
        algorithm: Algorithm,
    ) -> Result<(KeyRecord, Zeroizing<Vec<u8>>), LogError> {
        match &conf.user_cmk_info {
            None => {
                let record = self.new_service_key(project, logstore, key_ref, algorithm)?;
                let key = self.unwrap_service_key(project, logstore, key_ref, &record)?;
                Ok((record, key))
            }
            Some(info) => {
                let session = self.byok_session(op, info)?;
                let spec = match algorithm {
                    Algorithm::Aes256Gcm => DataKeySpec::AES_256,
                    Algorithm::Sm4Gcm => DataKeySpec::AES_128,
                };
                let made = op.kms_call(self, &session, |c| {
                    self.kms.generate_data_key(
                        c,
                        &info.cmk_key_id,
                        spec,
                        &data_key_context(project, logstore),
                    )
                });
                let made = made.map_err(|e| key_unavailable("kms:GenerateDataKey", &e))?;
                let record = KeyRecord {
                    source: KeySource::Byok,
                    algorithm,
                    wrapped: to_hex(&made.ciphertext_blob),
                    reserved: 0,
                };
                Ok((record, Zeroizing::new(made.plaintext.expose().to_vec())))
            }
        }
    }

    /// The key `key_ref` of a Logstore, unwrapped: a service key under the
    /// root key; a BYOK data key by `kms:Decrypt` as the role session, after
    /// Log Service has assumed the role — the whole chain, every time.
    pub(crate) fn unwrap_key(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        key_ref: u32,
    ) -> Result<Zeroizing<Vec<u8>>, LogError> {
        let record = l.keys.get(key_ref as usize).ok_or_else(|| LogError::Integrity {
            what: format!(
                "`{project}/{logstore}`: a block names key {key_ref}, which the Logstore does not have"
            ),
        })?;
        match record.source {
            KeySource::Service => self.unwrap_service_key(project, logstore, key_ref, record),
            KeySource::Byok => {
                let info = l
                    .encrypt_conf
                    .as_ref()
                    .and_then(|c| c.user_cmk_info.clone())
                    .ok_or_else(|| LogError::Storage("a BYOK key without user_cmk_info".into()))?;
                let blob = from_hex(&record.wrapped).ok_or_else(|| LogError::Damaged {
                    what: format!(
                        "`{project}/{logstore}` key {key_ref}: the BYOK key blob is not hex"
                    ),
                    hint: "restore `logstores.json` from a backup".to_string(),
                })?;
                let session = self.byok_session(op, &info)?;
                let opened = op.kms_call(self, &session, |c| {
                    self.kms
                        .decrypt(c, &blob, &data_key_context(project, logstore))
                });
                let opened = opened.map_err(|e| key_unavailable("kms:Decrypt", &e))?;
                Ok(Zeroizing::new(opened.plaintext.expose().to_vec()))
            }
        }
    }

    fn unwrap_service_key(
        &self,
        project: &str,
        logstore: &str,
        key_ref: u32,
        record: &KeyRecord,
    ) -> Result<Zeroizing<Vec<u8>>, LogError> {
        let wrapped = from_hex(&record.wrapped)
            .ok_or_else(|| LogError::Storage("a service key is not hex".into()))?;
        let key = self
            .kms
            .unwrap_local(&service_key_label(project, logstore, key_ref), &wrapped)
            .map_err(|e| LogError::Integrity {
                what: format!("the service key {key_ref} of `{project}/{logstore}`: {e}"),
            })?;
        Ok(Zeroizing::new(key.expose().to_vec()))
    }

    /// A new random integrity key for a Logstore (the key of its plaintext
    /// blocks' MACs, S1), wrapped under the root key, as hex.
    pub(crate) fn new_integrity_key(
        &self,
        project: &str,
        logstore: &str,
        incarnation: Option<&str>,
    ) -> Result<String, LogError> {
        let mut key = Zeroizing::new(vec![0u8; INTEGRITY_KEY_LEN]);
        getrandom::fill(&mut key).map_err(|source| LogError::Random { source })?;
        let wrapped = self
            .kms
            .wrap_local(&integrity_key_label(project, logstore, incarnation), &key)
            .map_err(|e| LogError::kms("wrap an integrity key", e))?;
        Ok(to_hex(&wrapped))
    }

    /// A Logstore's integrity key, unwrapped. A Logstore without one, or
    /// one that does not open under the root key, is damaged: its plaintext
    /// blocks cannot be checked, so none is written or served.
    pub(crate) fn integrity_key(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
    ) -> Result<Zeroizing<Vec<u8>>, LogError> {
        let damaged = |why: &str| LogError::Damaged {
            what: format!(
                "`{}`: the integrity key of `{project}/{logstore}` {why}",
                self.dir.join(META_FILE).display()
            ),
            hint: "restore `logstores.json` (and the root key it was written under) from a backup"
                .to_string(),
        };
        let wrapped = l
            .integrity_key
            .as_deref()
            .ok_or_else(|| damaged("is missing"))?;
        let wrapped = from_hex(wrapped).ok_or_else(|| damaged("is not hex"))?;
        let key = self
            .kms
            .unwrap_local(
                &integrity_key_label(project, logstore, l.incarnation.as_deref()),
                &wrapped,
            )
            .map_err(|_| damaged("does not open under the root key"))?;
        Ok(Zeroizing::new(key.expose().to_vec()))
    }

    /// A new random service key, wrapped under the root key.
    pub(crate) fn new_service_key(
        &self,
        project: &str,
        logstore: &str,
        key_ref: u32,
        algorithm: Algorithm,
    ) -> Result<KeyRecord, LogError> {
        let mut key = Zeroizing::new(vec![0u8; algorithm.key_len()]);
        getrandom::fill(&mut key).map_err(|source| LogError::Random { source })?;
        let wrapped = self
            .kms
            .wrap_local(&service_key_label(project, logstore, key_ref), &key)
            .map_err(|e| LogError::kms("wrap a service key", e))?;
        Ok(KeyRecord {
            source: KeySource::Service,
            algorithm,
            wrapped: to_hex(&wrapped),
            reserved: 0,
        })
    }
}
