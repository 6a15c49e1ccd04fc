//! The key store on disk: `keys.json` (metadata, and each version's
//! material sealed under the root key) and `root.key`.
//!
//! * The root key is 32 random bytes, written as 64 hex digits (white space
//!   around them is ignored when read). It comes from
//!   `RAMGATE_ROOT_KEY` (hex), from a file the user names, or from
//!   `<dir>/root.key`, which is created (mode 0600) the first time a store is
//!   opened in an empty directory. A store whose `root.key` has gone missing
//!   is an error, never a reason to make a new root key: that would orphan
//!   every key in it.
//! * Material is sealed with AES-256-GCM under the root key, a random nonce
//!   per version (sealed once, when the version is made), and associated
//!   data binding it to its key id, version id and algorithm, so entries
//!   cannot be swapped between keys.
//! * Every write is atomic: a temp file in the same directory (mode 0600),
//!   written, fsynced, renamed over the old file, then the directory
//!   fsynced. A crash leaves the old store or the new one, plus perhaps a
//!   stale temp file, which the next open removes.
//! * One process owns a store at a time; ramgate takes no lock on it.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::durable::{
    create_private_dir, remove_stale_temp_files, sync_dir, write_atomically, write_temp,
};

use super::api::key_arn;
use super::cipher::{Algorithm, NONCE_LEN, random_nonce};
use super::error::KmsError;
use super::id::{KeyId, KeyVersionId};
use super::key::{KeyMaterial, KeyMetadata, KeyRecord, KeyVersion, SealedMaterial, rfc3339};
use super::state::KeyState;

/// The environment variable [`RootKeySource::from_env`] reads: 64 hex
/// digits.
pub const ROOT_KEY_ENV: &str = "RAMGATE_ROOT_KEY";
/// The store file in the KMS directory.
pub const STORE_FILE: &str = "keys.json";
/// The root key file made in the KMS directory.
pub const ROOT_KEY_FILE: &str = "root.key";
/// The root key's check value: a constant sealed under it when the store
/// is first opened. Its presence says "keys are wrapped under a root key"
/// even before any CMK exists (a Logstore's service key may be), and it
/// tells a wrong root key from the right one (D6).
pub const ROOT_CHECK_FILE: &str = "root.check";
/// What the check value seals.
const ROOT_CHECK_LABEL: &[u8] = b"root key check value";

/// The version of `keys.json`'s layout; another version is refused with
/// both named. Version 2 added the MAC (S5); 3 the file's own version
/// (rollback detection).
const STORE_FORMAT: u32 = 3;
/// Binds a key derived from the root key to its purpose.
const DERIVE_LABEL: &[u8] = b"ramgate derived key v1\0";
/// Binds the store's MAC to its purpose.
const STORE_MAC_LABEL: &[u8] = b"ramgate kms key store mac v1";
/// Binds sealed material to its purpose, key and version.
const MATERIAL_AAD_LABEL: &[u8] = b"ramgate kms key material v1";

/// Where the root key comes from.
#[derive(Clone)]
pub struct RootKeySource(Source);

#[derive(Clone)]
enum Source {
    DataDir,
    File(PathBuf),
    Hex {
        origin: &'static str,
        hex: Zeroizing<String>,
    },
}

impl RootKeySource {
    /// `<dir>/root.key`, made on first use.
    pub fn data_dir() -> RootKeySource {
        RootKeySource(Source::DataDir)
    }

    /// A file the user keeps elsewhere, holding 64 hex digits.
    pub fn file(path: impl Into<PathBuf>) -> RootKeySource {
        RootKeySource(Source::File(path.into()))
    }

    /// 64 hex digits given directly.
    pub fn hex(hex: impl Into<String>) -> RootKeySource {
        RootKeySource(Source::Hex {
            origin: "the given hex root key",
            hex: Zeroizing::new(hex.into()),
        })
    }

    /// `RAMGATE_ROOT_KEY` when it is set, else `<dir>/root.key`.
    pub fn from_env() -> RootKeySource {
        match std::env::var(ROOT_KEY_ENV) {
            Ok(hex) => RootKeySource(Source::Hex {
                origin: ROOT_KEY_ENV,
                hex: Zeroizing::new(hex),
            }),
            Err(_) => RootKeySource::data_dir(),
        }
    }
}

impl fmt::Debug for RootKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::DataDir => f.write_str("RootKeySource::DataDir"),
            Source::File(path) => write!(f, "RootKeySource::File({path:?})"),
            Source::Hex { origin, .. } => write!(f, "RootKeySource::Hex(<redacted> from {origin})"),
        }
    }
}

/// The key that seals all material in a store.
struct RootKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

impl RootKey {
    fn derive(&self, label: &[u8]) -> Zeroizing<Vec<u8>> {
        use hmac::{KeyInit, Mac};
        // HMAC takes a key of any length, so this cannot fail.
        let mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&*self.0).map(|mut m| {
            m.update(DERIVE_LABEL);
            m.update(label);
            m.finalize().into_bytes().to_vec()
        });
        Zeroizing::new(mac.unwrap_or_default())
    }

    fn from_hex(text: &str, origin: &str) -> Result<RootKey, KmsError> {
        let invalid = |reason| KmsError::InvalidRootKey {
            origin: origin.to_owned(),
            reason,
        };
        let bytes = from_hex(text.trim()).ok_or_else(|| invalid("expected hex digits"))?;
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(invalid("expected 64 hex digits (32 bytes)"));
        }
        key.copy_from_slice(&bytes);
        Ok(RootKey(key))
    }

    fn random() -> Result<RootKey, KmsError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut *key)?;
        Ok(RootKey(key))
    }
}

/// An open store directory.
pub(crate) struct Store {
    dir: PathBuf,
    root: RootKey,
    region: String,
    account: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// `keys.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    format: u32,
    /// Grows by one with every save (under the MAC): the audit log records
    /// the newest version it has seen, and an older copy put back is
    /// refused as a rollback.
    version: u64,
    region: String,
    account: String,
    keys: Vec<StoredKey>,
    /// Hex of `nonce || tag`: AES-256-GCM under the root key over the
    /// compact JSON of the rest of the file, so a key state edited from
    /// `Disabled` to `Enabled` (or any other edit) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mac: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    metadata: KeyMetadata,
    versions: Vec<StoredVersion>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredVersion {
    id: KeyVersionId,
    #[serde(with = "rfc3339")]
    creation_date: OffsetDateTime,
    /// Hex.
    nonce: String,
    /// Hex of `ciphertext || tag`.
    sealed_material: String,
}

impl Store {
    /// Opens (or makes) the store in `dir` for one region and account, and
    /// reads its keys, opening every version's material.
    pub(crate) fn open(
        dir: &Path,
        region: &str,
        account: &str,
        source: RootKeySource,
    ) -> Result<(Store, BTreeMap<KeyId, KeyRecord>, u64), KmsError> {
        let made = !dir.exists();
        create_private_dir(dir).map_err(io_error("create", dir))?;
        if made && let Some(parent) = dir.parent() {
            sync_dir(parent).map_err(io_error("sync the directory", parent))?;
        }
        remove_stale_temp_files(dir);
        let store_path = dir.join(STORE_FILE);
        let text = read_if_exists(&store_path)?;
        let check_path = dir.join(ROOT_CHECK_FILE);
        let check = read_if_exists(&check_path)?;
        let wrapped = text.is_some() || check.is_some();
        let root = match source.0 {
            Source::DataDir => data_dir_root_key(dir, wrapped)?,
            Source::File(path) => {
                let text = Zeroizing::new(
                    fs::read_to_string(&path).map_err(io_error("read the root key", &path))?,
                );
                RootKey::from_hex(&text, &path.display().to_string())?
            }
            Source::Hex { origin, hex } => RootKey::from_hex(&hex, origin)?,
        };
        let store = Store {
            dir: dir.to_owned(),
            root,
            region: region.to_owned(),
            account: account.to_owned(),
        };
        let (keys, version) = match text {
            Some(text) => store.decode(&text)?,
            None => (BTreeMap::new(), 0),
        };
        match check {
            Some(hex) => {
                let opened = from_hex(hex.trim())
                    .and_then(|sealed| store.unwrap_local(ROOT_CHECK_LABEL, &sealed).ok());
                if opened.is_none() {
                    return Err(KmsError::RootKeyMismatch(check_path));
                }
            }
            None => {
                let sealed = store.wrap_local(ROOT_CHECK_LABEL, b"ramgate")?;
                write_atomically(dir, ROOT_CHECK_FILE, to_hex(&sealed).as_bytes())
                    .map_err(io_error("write", &check_path))?;
            }
        }
        Ok((store, keys, version))
    }

    /// A 32-byte key for a purpose named by `label`, derived from the root
    /// key (HMAC-SHA256): the audit log's MAC key, for one.
    pub(crate) fn derive_key(&self, label: &[u8]) -> Zeroizing<Vec<u8>> {
        self.root.derive(label)
    }

    /// The path of `keys.json`.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    /// Seals a new version's material under the root key.
    pub(crate) fn seal_material(
        &self,
        key: KeyId,
        version: KeyVersionId,
        algorithm: Algorithm,
        material: &KeyMaterial,
    ) -> Result<SealedMaterial, KmsError> {
        let nonce = random_nonce()?;
        let sealed = Algorithm::Aes256Gcm.seal(
            &*self.root.0,
            &nonce,
            &material_aad(key, version, algorithm),
            material.expose(),
        )?;
        Ok(SealedMaterial { nonce, sealed })
    }

    /// Seals `plaintext` under the root key for a purpose named by `label`
    /// (bound as associated data): `nonce || ciphertext || tag`. Log
    /// Service's own per-Logstore keys are kept this way.
    pub(crate) fn wrap_local(&self, label: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KmsError> {
        let nonce = random_nonce()?;
        let sealed =
            Algorithm::Aes256Gcm.seal(&*self.root.0, &nonce, &local_aad(label), plaintext)?;
        Ok([&nonce[..], &sealed].concat())
    }

    /// Opens what [`Store::wrap_local`] sealed with the same `label`.
    pub(crate) fn unwrap_local(
        &self,
        label: &[u8],
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let malformed = || KmsError::MalformedBlob("a locally wrapped key is too short");
        let nonce: [u8; NONCE_LEN] = wrapped
            .get(..NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(malformed)?;
        let sealed = wrapped.get(NONCE_LEN..).ok_or_else(malformed)?;
        Algorithm::Aes256Gcm
            .open(&*self.root.0, &nonce, &local_aad(label), sealed)
            .map_err(KmsError::Cipher)
    }

    /// Writes every key atomically (module docs), as version `version`.
    pub(crate) fn save(
        &self,
        keys: &BTreeMap<KeyId, KeyRecord>,
        version: u64,
    ) -> Result<(), KmsError> {
        let mut file = StoreFile {
            format: STORE_FORMAT,
            version,
            region: self.region.clone(),
            account: self.account.clone(),
            keys: keys.values().map(stored_key).collect(),
            mac: None,
        };
        file.mac = Some(self.mac(&file)?);
        let mut json = serde_json::to_vec_pretty(&file).map_err(|e| self.corrupt(e.to_string()))?;
        json.push(b'\n');
        write_atomically(&self.dir, STORE_FILE, &json)
            .map_err(io_error("write", &self.dir.join(STORE_FILE)))
    }

    /// The MAC of a store file without its `mac` (see [`StoreFile::mac`]).
    fn mac(&self, file: &StoreFile) -> Result<String, KmsError> {
        let nonce = random_nonce()?;
        let tag = Algorithm::Aes256Gcm.seal(&*self.root.0, &nonce, &self.mac_aad(file)?, &[])?;
        Ok(to_hex(&[&nonce[..], &tag].concat()))
    }

    fn mac_aad(&self, file: &StoreFile) -> Result<Vec<u8>, KmsError> {
        let body = serde_json::to_vec(file).map_err(|e| self.corrupt(e.to_string()))?;
        Ok([STORE_MAC_LABEL, &body].concat())
    }

    /// Whether `file`'s MAC verifies under the root key.
    fn check_mac(&self, file: &mut StoreFile) -> Result<(), KmsError> {
        let not_authentic = || {
            self.corrupt(
                "its MAC does not verify under the root key: it was edited outside ramgate"
                    .to_string(),
            )
        };
        let mac = file.mac.take().ok_or_else(not_authentic)?;
        let bytes = from_hex(&mac).ok_or_else(not_authentic)?;
        let nonce: [u8; NONCE_LEN] = bytes
            .get(..NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(not_authentic)?;
        let tag = bytes.get(NONCE_LEN..).ok_or_else(not_authentic)?;
        Algorithm::Aes256Gcm
            .open(&*self.root.0, &nonce, &self.mac_aad(file)?, tag)
            .map_err(|_| not_authentic())?;
        Ok(())
    }

    fn decode(&self, text: &str) -> Result<(BTreeMap<KeyId, KeyRecord>, u64), KmsError> {
        // The layout version first, so a file of another layout is named as
        // such rather than as a parse error of this one.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        if let Ok(Format { format }) = serde_json::from_str::<Format>(text)
            && format != STORE_FORMAT
        {
            return Err(self.corrupt(format!(
                "it has format version {format}, and this build reads version {STORE_FORMAT}"
            )));
        }
        let mut file: StoreFile =
            serde_json::from_str(text).map_err(|e| self.corrupt(e.to_string()))?;
        if file.format != STORE_FORMAT {
            return Err(self.corrupt(format!(
                "it has format version {}, and this build reads version {STORE_FORMAT}",
                file.format
            )));
        }
        if (file.region.as_str(), file.account.as_str()) != (&self.region, &self.account) {
            return Err(KmsError::StoreMismatch {
                path: self.path(),
                found: format!("{}:{}", file.region, file.account),
                expected: format!("{}:{}", self.region, self.account),
            });
        }
        // Material first (a wrong root key is named as such), then the
        // MAC over everything else: both must hold.
        let mut keys = BTreeMap::new();
        for stored in &file.keys {
            let record = self.decode_key(stored_key_copy(stored))?;
            let id = record.metadata.key_id;
            if keys.insert(id, record).is_some() {
                return Err(self.corrupt(format!("key `{id}` is stored twice")));
            }
        }
        self.check_mac(&mut file)?;
        Ok((keys, file.version))
    }

    fn decode_key(&self, stored: StoredKey) -> Result<KeyRecord, KmsError> {
        let m = &stored.metadata;
        let id = m.key_id;
        if m.arn != key_arn(&self.region, &self.account, &id) {
            return Err(self.corrupt(format!("key `{id}` has the ARN `{}`", m.arn)));
        }
        if (m.key_state == KeyState::PendingDeletion) != m.delete_date.is_some() {
            return Err(self.corrupt(format!(
                "key `{id}` is `{}` with{} a deletion date",
                m.key_state,
                if m.delete_date.is_some() { "" } else { "out" }
            )));
        }
        let algorithm = m.key_spec.algorithm();
        let mut versions = Vec::with_capacity(stored.versions.len());
        for v in stored.versions {
            let nonce: [u8; NONCE_LEN] = from_hex(&v.nonce)
                .and_then(|n| <[u8; NONCE_LEN]>::try_from(n.as_slice()).ok())
                .ok_or_else(|| self.corrupt(format!("key `{id}` has a malformed nonce")))?;
            let sealed = from_hex(&v.sealed_material)
                .ok_or_else(|| self.corrupt(format!("key `{id}` has malformed material")))?
                .to_vec();
            let sealed = SealedMaterial { nonce, sealed };
            let material = self.open_material(id, v.id, algorithm, &sealed)?;
            versions.push(KeyVersion {
                id: v.id,
                creation_date: v.creation_date,
                material,
                sealed,
            });
        }
        let record = KeyRecord {
            metadata: stored.metadata,
            versions,
        };
        if record
            .version(record.metadata.primary_key_version)
            .is_none()
        {
            return Err(self.corrupt(format!("key `{id}` lacks its primary version")));
        }
        Ok(record)
    }

    fn open_material(
        &self,
        key: KeyId,
        version: KeyVersionId,
        algorithm: Algorithm,
        sealed: &SealedMaterial,
    ) -> Result<KeyMaterial, KmsError> {
        let bytes = Algorithm::Aes256Gcm
            .open(
                &*self.root.0,
                &sealed.nonce,
                &material_aad(key, version, algorithm),
                &sealed.sealed,
            )
            .map_err(|_| KmsError::WrongRootKey(key))?;
        if bytes.len() != algorithm.key_len() {
            return Err(self.corrupt(format!("key `{key}` has material of the wrong length")));
        }
        Ok(KeyMaterial::from_secret(bytes))
    }

    fn corrupt(&self, reason: String) -> KmsError {
        KmsError::CorruptStore {
            path: self.path(),
            reason,
        }
    }
}

fn stored_key(record: &KeyRecord) -> StoredKey {
    StoredKey {
        metadata: record.metadata.clone(),
        versions: record
            .versions
            .iter()
            .map(|v| StoredVersion {
                id: v.id,
                creation_date: v.creation_date,
                nonce: to_hex(&v.sealed.nonce),
                sealed_material: to_hex(&v.sealed.sealed),
            })
            .collect(),
    }
}

/// A copy of a stored key as read (the store's types are not `Clone`, to
/// keep material copies deliberate).
fn stored_key_copy(k: &StoredKey) -> StoredKey {
    StoredKey {
        metadata: k.metadata.clone(),
        versions: k
            .versions
            .iter()
            .map(|v| StoredVersion {
                id: v.id,
                creation_date: v.creation_date,
                nonce: v.nonce.clone(),
                sealed_material: v.sealed_material.clone(),
            })
            .collect(),
    }
}

fn material_aad(key: KeyId, version: KeyVersionId, algorithm: Algorithm) -> Vec<u8> {
    let mut aad = MATERIAL_AAD_LABEL.to_vec();
    aad.extend_from_slice(key.as_bytes());
    aad.extend_from_slice(version.as_bytes());
    aad.push(algorithm.id());
    aad
}

/// Binds a locally wrapped secret to its purpose.
fn local_aad(label: &[u8]) -> Vec<u8> {
    [&b"ramgate local wrap v1\0"[..], label].concat()
}

/// A key derived from the root key for `label` (HMAC-SHA256, as the store
/// derives it), found without opening the store and without writing anything: for
/// commands that take no lock, such as `audit verify`. The root key comes
/// from `source` (a missing `root.key` is an error here, never a reason to
/// make one) and must open the directory's check value when there is one.
pub fn derive_key_read_only(
    dir: &Path,
    source: RootKeySource,
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    let root = match source.0 {
        Source::DataDir => {
            let path = dir.join(ROOT_KEY_FILE);
            match read_if_exists(&path)? {
                Some(text) => {
                    RootKey::from_hex(&Zeroizing::new(text), &path.display().to_string())?
                }
                None => return Err(KmsError::MissingRootKey(path)),
            }
        }
        Source::File(path) => {
            let text = Zeroizing::new(
                fs::read_to_string(&path).map_err(io_error("read the root key", &path))?,
            );
            RootKey::from_hex(&text, &path.display().to_string())?
        }
        Source::Hex { origin, hex } => RootKey::from_hex(&hex, origin)?,
    };
    let check_path = dir.join(ROOT_CHECK_FILE);
    if let Some(hex) = read_if_exists(&check_path)? {
        let opened = from_hex(hex.trim()).and_then(|sealed| {
            let nonce: [u8; NONCE_LEN] = sealed.get(..NONCE_LEN)?.try_into().ok()?;
            Algorithm::Aes256Gcm
                .open(
                    &*root.0,
                    &nonce,
                    &local_aad(ROOT_CHECK_LABEL),
                    sealed.get(NONCE_LEN..)?,
                )
                .ok()
        });
        if opened.is_none() {
            return Err(KmsError::RootKeyMismatch(check_path));
        }
    }
    Ok(root.derive(label))
}

/// `<dir>/root.key`: read it, or make it when the store is new.
fn data_dir_root_key(dir: &Path, store_exists: bool) -> Result<RootKey, KmsError> {
    let path = dir.join(ROOT_KEY_FILE);
    if let Some(text) = read_if_exists(&path)? {
        return RootKey::from_hex(&Zeroizing::new(text), &path.display().to_string());
    }
    if store_exists {
        let evidence = [STORE_FILE, ROOT_CHECK_FILE]
            .into_iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .unwrap_or_else(|| dir.join(STORE_FILE));
        return Err(KmsError::MissingRootKey(evidence));
    }
    let root = RootKey::random()?;
    let hex = Zeroizing::new(to_hex(&*root.0));
    // `hard_link` rather than `rename`: it refuses to replace a root key
    // another process made in the meantime; then that one is used.
    let tmp = write_temp(dir, ROOT_KEY_FILE, hex.as_bytes()).map_err(io_error("write", &path))?;
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(dir).map_err(io_error("sync the directory", dir))?;
            Ok(root)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let text = Zeroizing::new(fs::read_to_string(&path).map_err(io_error("read", &path))?);
            RootKey::from_hex(&text, &path.display().to_string())
        }
        Err(e) => Err(io_error("create", &path)(e)),
    }
}

fn read_if_exists(path: &Path) -> Result<Option<String>, KmsError> {
    // A FIFO or device where a key file should be is refused, not waited
    // on (C2).
    if let Ok(m) = fs::metadata(path)
        && !m.is_file()
    {
        return Err(KmsError::CorruptStore {
            path: path.to_owned(),
            reason: "it is not a regular file".to_owned(),
        });
    }
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path)(e)),
    }
}

fn io_error<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> KmsError + 'p {
    move |source| KmsError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Lower-case hex. The capacity is exact, so the root key's hex is never
/// reallocated (which would leave a copy behind, unzeroized).
fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(DIGITS[usize::from(nibble)]));
        }
    }
    out
}

/// Hex digits (either case) to bytes; zeroized on drop since root keys pass
/// through here.
fn from_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.as_bytes().chunks_exact(2) {
        let &[hi, lo] = pair else { return None };
        out.push(digit(hi)? << 4 | digit(lo)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        assert_eq!(to_hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(from_hex("00AB7f").unwrap().as_slice(), &[0x00, 0xab, 0x7f]);
        assert!(from_hex("abc").is_none());
        assert!(from_hex("zz").is_none());
        assert!(from_hex("+1").is_none());
    }

    #[test]
    fn root_keys_are_64_hex_digits_and_errors_never_quote_them() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert!(RootKey::from_hex(&format!("{hex}\n"), "test").is_ok());
        let short = &hex[..62];
        let err = RootKey::from_hex(short, "RAMGATE_ROOT_KEY").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid root key from RAMGATE_ROOT_KEY: expected 64 hex digits (32 bytes)"
        );
        let err = RootKey::from_hex(&format!("{short}zz"), "x").unwrap_err();
        assert!(!err.to_string().contains(short));
        assert_eq!(
            format!("{:?}", RootKey::random().unwrap()),
            "RootKey(<redacted>)"
        );
        let source = RootKeySource::hex(hex);
        assert!(!format!("{source:?}").contains(hex));
    }
}
