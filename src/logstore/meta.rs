//! What the data directory knows about projects and Logstores: their
//! settings, their `encrypt_conf` as sent, and their keys (wrapped: a
//! service key under the local root key, a BYOK data key only as its KMS
//! `CiphertextBlob`). Kept in `logstores.json`, replaced atomically.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::durable::write_atomically;
use crate::kms::Kms;
use crate::kms::cipher::Algorithm;

use super::datadir::read_regular;
use super::encrypt_conf::EncryptConf;
use super::error::LogError;

/// The file name in the data directory.
pub const META_FILE: &str = "logstores.json";
/// The layout version; 2 added the MAC (S5); 3 the file's version (for
/// rollback detection), each Logstore's integrity key and its plaintext
/// windows (S1).
pub const FORMAT: u32 = 3;
/// Binds the file's MAC to its purpose.
const MAC_LABEL: &[u8] = b"logstores.json mac v1\0";

/// Everything `logstores.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Layout version of the file.
    pub format: u32,
    /// Grows by one with every save: the audit log records the newest
    /// version it has seen, and opening refuses an older file (rollback).
    #[serde(default)]
    pub version: u64,
    /// Projects by name.
    pub projects: BTreeMap<String, ProjectMeta>,
    /// Hex of AES-256-GCM `nonce || tag` under the root key over the
    /// compact JSON of the rest of the file: an edit made without the root
    /// key (a key record, `encrypt_conf`, a seal reservation) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// A project.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectMeta {
    /// Its Logstores by name.
    pub logstores: BTreeMap<String, LogstoreMeta>,
}

/// A Logstore.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogstoreMeta {
    /// The number of shards.
    pub shard_count: u32,
    /// The encryption settings as sent, once configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypt_conf: Option<EncryptConf>,
    /// Every key the Logstore has sealed with, by key reference (index);
    /// old keys stay so old blocks still open.
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    /// Random hex naming this Logstore's data folder, so one made again
    /// under the same name never sees a deleted one's blocks (D8). Absent
    /// for Logstores made before incarnations existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incarnation: Option<String>,
    /// When `enable` was last switched from true to false (RFC 3339), while
    /// it stays false: new logs are stored in plaintext since then (S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_off_since: Option<String>,
    /// Hex of the Logstore's integrity key (32 random bytes), wrapped under
    /// the root key: the key of every plaintext block's MAC (S1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity_key: Option<String>,
    /// Every stretch of the Logstore's history with encryption off, oldest
    /// first; a plaintext block names its window and must lie inside it
    /// (S1). A block's window is its index here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plaintext_windows: Vec<PlaintextWindow>,
    /// Days data is kept, when set (absent: the default, 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
}

/// A stretch of a Logstore's history in which new blocks were stored in
/// plaintext: per shard, the sequence numbers `from[shard]..until[shard]`.
///
/// Both bounds are taken under the catalog's writer mutex, and a plaintext
/// block reserves its sequence number under the same mutex while its window
/// is open, so the bounds are exact: no block of the window lies outside
/// them, even when writers race the switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaintextWindow {
    /// When encryption went off (RFC 3339), or the Logstore was made
    /// without it.
    pub since: String,
    /// Per shard, the first sequence number of the window.
    pub from: Vec<u64>,
    /// Per shard, the first sequence number after it; absent while the
    /// window is open (encryption still off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Vec<u64>>,
}

impl LogstoreMeta {
    /// Whether new blocks are sealed.
    pub fn encrypted(&self) -> bool {
        self.encrypt_conf.as_ref().is_some_and(|c| c.enable)
    }

    /// The window plaintext blocks are written in now: the last one, while
    /// it is open.
    pub fn open_window(&self) -> Option<u32> {
        let last = self.plaintext_windows.last()?;
        if last.until.is_some() {
            return None;
        }
        u32::try_from(self.plaintext_windows.len() - 1).ok()
    }

    /// Whether the history says block `seq` of `shard` may be plaintext in
    /// window `window`.
    pub fn plaintext_allowed(&self, window: u32, shard: u32, seq: u64) -> bool {
        let Some(w) = self.plaintext_windows.get(window as usize) else {
            return false;
        };
        let at = |bounds: &[u64]| bounds.get(shard as usize).copied();
        let after_start = at(&w.from).is_some_and(|from| seq >= from);
        let before_end = match &w.until {
            None => true,
            Some(until) => at(until).is_some_and(|until| seq < until),
        };
        after_start && before_end
    }
}

/// Whose key it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Log Service's own key for this Logstore, wrapped under the root key.
    Service,
    /// A data key made by KMS under the customer's CMK, kept as its blob.
    Byok,
}

/// One key of a Logstore.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// Service key or BYOK data key.
    pub source: KeySource,
    /// The AEAD the key is for.
    pub algorithm: Algorithm,
    /// The wrapped key, hex: root-wrapped for service keys, the KMS
    /// `CiphertextBlob` for BYOK data keys.
    pub wrapped: String,
    /// How many seals have been reserved under this key (persisted ahead of
    /// use in chunks, so a restart never reuses the count).
    pub reserved: u64,
}

impl Meta {
    /// Reads `logstores.json` from `dir` (empty when absent). A file that
    /// does not parse, or of another format version, is damaged data, named
    /// with both versions: never misread.
    pub fn load(dir: &Path) -> Result<Meta, LogError> {
        let path = dir.join(META_FILE);
        let Some(bytes) = read_regular(&path)? else {
            return Ok(Meta {
                format: FORMAT,
                ..Meta::default()
            });
        };
        // The version first, so a file of another layout is named as such
        // rather than as a parse error of this one.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        if let Ok(Format { format }) = serde_json::from_slice::<Format>(&bytes)
            && format != FORMAT
        {
            return Err(format_error(&path, format));
        }
        let damaged = |what: String| LogError::Damaged {
            what,
            hint: "restore `logstores.json` from a backup".to_string(),
        };
        let meta: Meta = serde_json::from_slice(&bytes).map_err(|e| {
            damaged(format!(
                "`{}`:{}:{}: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        if meta.format != FORMAT {
            return Err(format_error(&path, meta.format));
        }
        Ok(meta)
    }

    /// Reads `logstores.json` and checks its MAC under the root key (the
    /// owner's open; [`Meta::load`] alone is the unauthenticated read-only
    /// view).
    pub fn load_verified(dir: &Path, kms: &Kms) -> Result<Meta, LogError> {
        let mut meta = Meta::load(dir)?;
        let Some(mac) = meta.mac.take() else {
            if meta.projects.is_empty() {
                return Ok(meta); // nothing written yet
            }
            return Err(not_authentic(dir));
        };
        let wrapped = from_hex(&mac).ok_or_else(|| not_authentic(dir))?;
        kms.unwrap_local(&meta.mac_label()?, &wrapped)
            .map_err(|_| not_authentic(dir))?;
        Ok(meta)
    }

    fn mac_label(&self) -> Result<Vec<u8>, LogError> {
        let body = serde_json::to_vec(self).map_err(|e| LogError::Storage(e.to_string()))?;
        Ok([MAC_LABEL, &body].concat())
    }

    /// Replaces `logstores.json` atomically, with its MAC under the root key.
    pub fn save(&self, dir: &Path, kms: &Kms) -> Result<(), LogError> {
        let mut sealed = self.clone();
        sealed.mac = None;
        let wrapped = kms
            .wrap_local(&sealed.mac_label()?, &[])
            .map_err(|e| LogError::kms("MAC `logstores.json`", e))?;
        sealed.mac = Some(to_hex(&wrapped));
        let mut json =
            serde_json::to_vec_pretty(&sealed).map_err(|e| LogError::Storage(e.to_string()))?;
        json.push(b'\n');
        write_atomically(dir, META_FILE, &json)
            .map_err(|e| LogError::io(&dir.join(META_FILE), "write", e))
    }

    /// A Logstore, or the error that names what is missing.
    pub fn logstore(&self, project: &str, logstore: &str) -> Result<&LogstoreMeta, LogError> {
        self.projects
            .get(project)
            .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?
            .logstores
            .get(logstore)
            .ok_or_else(|| LogError::LogStoreNotExist(logstore.to_string()))
    }

    /// A Logstore, for changing.
    pub fn logstore_mut(
        &mut self,
        project: &str,
        logstore: &str,
    ) -> Result<&mut LogstoreMeta, LogError> {
        self.projects
            .get_mut(project)
            .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?
            .logstores
            .get_mut(logstore)
            .ok_or_else(|| LogError::LogStoreNotExist(logstore.to_string()))
    }
}

fn format_error(path: &Path, found: u32) -> LogError {
    LogError::Damaged {
        what: format!(
            "`{}` has format version {found}, and this build reads version {FORMAT}",
            path.display()
        ),
        hint: "open it with the ramgate that wrote it".to_string(),
    }
}

fn not_authentic(dir: &Path) -> LogError {
    LogError::Damaged {
        what: format!(
            "`{}`: its MAC does not verify under the root key: it was edited outside ramgate",
            dir.join(META_FILE).display()
        ),
        hint: "restore `logstores.json` from a backup".to_string(),
    }
}

/// Lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex to bytes; `None` for anything else.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_through_its_file() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let kms = Kms::open_with_root_key(
            d.path().join("kms"),
            "cn-hangzhou",
            "1234567890123456",
            std::sync::Arc::new(crate::clock::SystemClock),
            crate::kms::RootKeySource::hex("11".repeat(32)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut meta = Meta::load(d.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(meta.projects.is_empty());
        meta.projects
            .entry("p1".into())
            .or_default()
            .logstores
            .insert(
                "l1".into(),
                LogstoreMeta {
                    shard_count: 2,
                    encrypt_conf: Some(EncryptConf {
                        enable: true,
                        encrypt_type: "m4".into(),
                        user_cmk_info: None,
                    }),
                    keys: vec![KeyRecord {
                        source: KeySource::Service,
                        algorithm: Algorithm::Sm4Gcm,
                        wrapped: "00ff".into(),
                        reserved: 65536,
                    }],
                    incarnation: None,
                    encryption_off_since: None,
                    integrity_key: None,
                    plaintext_windows: Vec::new(),
                    ttl: Some(7),
                },
            );
        meta.save(d.path(), &kms).unwrap_or_else(|e| panic!("{e}"));
        let again = Meta::load_verified(d.path(), &kms).unwrap_or_else(|e| panic!("{e}"));
        // S5: an edit made without the root key is refused.
        let path = d.path().join(META_FILE);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, text.replace("65536", "65537")).unwrap_or_else(|e| panic!("{e}"));
        let edited = Meta::load_verified(d.path(), &kms)
            .err()
            .map(|e| e.to_string());
        assert!(edited.is_some_and(|e| e.contains("edited outside ramgate")));
        let l = again.logstore("p1", "l1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.keys[0].algorithm, Algorithm::Sm4Gcm);
        assert_eq!(
            again.logstore("p1", "l2").err().map(|e| e.code()),
            Some("LogStoreNotExist")
        );
        assert_eq!(
            again.logstore("p2", "l1").err().map(|e| e.code()),
            Some("ProjectNotExist")
        );
    }

    #[test]
    fn s1_plaintext_is_allowed_only_inside_its_window() {
        let mut l = LogstoreMeta {
            shard_count: 2,
            encrypt_conf: None,
            keys: Vec::new(),
            incarnation: None,
            encryption_off_since: None,
            integrity_key: None,
            ttl: None,
            plaintext_windows: vec![
                PlaintextWindow {
                    since: "t0".into(),
                    from: vec![0, 0],
                    until: Some(vec![2, 5]),
                },
                PlaintextWindow {
                    since: "t1".into(),
                    from: vec![4, 5],
                    until: None,
                },
            ],
        };
        assert_eq!(l.open_window(), Some(1));
        let allowed: Vec<bool> = [
            (0, 0, 1),
            (0, 0, 2),
            (0, 1, 4),
            (1, 0, 3),
            (1, 0, 4),
            (1, 1, 99),
        ]
        .into_iter()
        .map(|(w, shard, seq)| l.plaintext_allowed(w, shard, seq))
        .collect();
        assert_eq!(allowed, [true, false, true, false, true, true]);
        assert!(!l.plaintext_allowed(2, 0, 0), "no such window");
        assert!(!l.plaintext_allowed(0, 2, 0), "no such shard");
        l.plaintext_windows[1].until = Some(vec![6, 5]);
        assert_eq!(l.open_window(), None);
        assert!(!l.plaintext_allowed(1, 1, 5), "an empty stretch");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(from_hex(&to_hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("éé"), None);
    }
}
