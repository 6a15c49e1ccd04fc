//! CMKs: their specs, metadata and secret material, and the secret
//! plaintexts the crypto APIs hand out.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::cipher::Algorithm;
use super::error::KmsError;
use super::id::{KeyId, KeyVersionId};
use super::state::KeyState;

/// A CMK's `KeySpec`. ramgate emulates the two symmetric specs SLS uses.
///
/// Alibaba offers `Aliyun_SM4` only in managed HSMs in mainland-China
/// regions (spec §3.3); ramgate has no HSMs and offers it everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeySpec {
    /// 256-bit AES; `Encrypt` uses AES-256-GCM. Alibaba's default.
    #[default]
    #[serde(rename = "Aliyun_AES_256")]
    AliyunAes256,
    /// 128-bit SM4; `Encrypt` uses SM4-GCM.
    #[serde(rename = "Aliyun_SM4")]
    AliyunSm4,
}

impl KeySpec {
    /// The AEAD the key encrypts with.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeySpec::AliyunAes256 => Algorithm::Aes256Gcm,
            KeySpec::AliyunSm4 => Algorithm::Sm4Gcm,
        }
    }

    /// The name Alibaba uses (`Aliyun_AES_256`).
    pub fn name(self) -> &'static str {
        match self {
            KeySpec::AliyunAes256 => "Aliyun_AES_256",
            KeySpec::AliyunSm4 => "Aliyun_SM4",
        }
    }
}

impl FromStr for KeySpec {
    type Err = KmsError;

    fn from_str(s: &str) -> Result<KeySpec, KmsError> {
        match s {
            "Aliyun_AES_256" => Ok(KeySpec::AliyunAes256),
            "Aliyun_SM4" => Ok(KeySpec::AliyunSm4),
            _ => Err(KmsError::UnsupportedKeySpec(s.to_owned())),
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A CMK's `KeyUsage`: symmetric keys encrypt and decrypt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyUsage {
    /// `ENCRYPT/DECRYPT`.
    #[default]
    #[serde(rename = "ENCRYPT/DECRYPT")]
    EncryptDecrypt,
}

impl FromStr for KeyUsage {
    type Err = KmsError;

    fn from_str(s: &str) -> Result<KeyUsage, KmsError> {
        match s {
            "ENCRYPT/DECRYPT" => Ok(KeyUsage::EncryptDecrypt),
            // `SIGN/VERIFY` belongs to the asymmetric specs, which ramgate
            // does not emulate.
            _ => Err(KmsError::UnsupportedKeyUsage(s.to_owned())),
        }
    }
}

/// The length of a data key `GenerateDataKey` makes: 1–1024 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataKeySpec(u16);

impl DataKeySpec {
    /// `AES_256`: 32 bytes, the default.
    pub const AES_256: DataKeySpec = DataKeySpec(32);
    /// `AES_128`: 16 bytes.
    pub const AES_128: DataKeySpec = DataKeySpec(16);

    /// `NumberOfBytes`: 1–1024.
    pub fn bytes(n: u32) -> Result<DataKeySpec, KmsError> {
        match u16::try_from(n) {
            Ok(len @ 1..=1024) => Ok(DataKeySpec(len)),
            _ => Err(KmsError::NumberOfBytesOutOfRange(n)),
        }
    }

    /// The `KeySpec` and `NumberOfBytes` parameters of `GenerateDataKey`:
    /// neither gives 32 bytes, and when both are given `NumberOfBytes` wins
    /// (spec §3.2). A `KeySpec` other than `AES_256`/`AES_128` is an error
    /// even then.
    pub fn from_params(
        key_spec: Option<&str>,
        number_of_bytes: Option<u32>,
    ) -> Result<DataKeySpec, KmsError> {
        let spec = match key_spec {
            None | Some("AES_256") => DataKeySpec::AES_256,
            Some("AES_128") => DataKeySpec::AES_128,
            Some(other) => return Err(KmsError::UnsupportedDataKeySpec(other.to_owned())),
        };
        number_of_bytes.map_or(Ok(spec), DataKeySpec::bytes)
    }

    /// The length in bytes.
    pub fn len(self) -> usize {
        usize::from(self.0)
    }

    /// Never true: data keys have at least one byte.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl Default for DataKeySpec {
    fn default() -> DataKeySpec {
        DataKeySpec::AES_256
    }
}

/// What `CreateKey` and `DescribeKey` answer (Alibaba's `KeyMetadata`
/// fields; dates RFC 3339 in UTC, to the second).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyMetadata {
    /// The key id.
    pub key_id: KeyId,
    /// `acs:kms:<region>:<account>:key/<id>`.
    pub arn: String,
    /// The spec.
    pub key_spec: KeySpec,
    /// The usage.
    pub key_usage: KeyUsage,
    /// The state.
    pub key_state: KeyState,
    /// Always `Aliyun_KMS`: ramgate makes its own material.
    pub origin: String,
    /// Always `SOFTWARE`.
    pub protection_level: String,
    /// The account that made the key.
    pub creator: String,
    /// When the key was made.
    #[serde(with = "rfc3339")]
    pub creation_date: OffsetDateTime,
    /// When a `PendingDeletion` key is destroyed; only in that state.
    #[serde(
        with = "rfc3339_option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_date: Option<OffsetDateTime>,
    /// The description given at creation.
    pub description: String,
    /// The version `Encrypt` and `GenerateDataKey` use.
    pub primary_key_version: KeyVersionId,
}

/// A CMK version's secret material. Zeroized on drop; no `Display`, no
/// `Serialize`, and its `Debug` says only how long it is.
#[derive(Clone)]
pub(crate) struct KeyMaterial(Zeroizing<Vec<u8>>);

impl KeyMaterial {
    /// Fresh random material for `spec`.
    pub(crate) fn generate(spec: KeySpec) -> Result<KeyMaterial, KmsError> {
        let mut bytes = Zeroizing::new(vec![0u8; spec.algorithm().key_len()]);
        getrandom::fill(&mut bytes)?;
        Ok(KeyMaterial(bytes))
    }

    /// Material read back from the store.
    pub(crate) fn from_secret(bytes: Zeroizing<Vec<u8>>) -> KeyMaterial {
        KeyMaterial(bytes)
    }

    /// The raw bytes, for the cipher only.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial(<redacted {} bytes>)", self.0.len())
    }
}

/// Secret bytes KMS hands out: a data key from `GenerateDataKey` or what
/// `Decrypt` opened. Zeroized on drop; no `Display`, no `Serialize`, and
/// its `Debug` says only how long it is.
#[derive(Clone)]
pub struct Plaintext(Zeroizing<Vec<u8>>);

impl Plaintext {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> Plaintext {
        Plaintext(bytes)
    }

    /// The secret bytes. Keep them out of logs.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<redacted {} bytes>)", self.0.len())
    }
}

/// One version of a CMK: its id, when it was made, and its material, both
/// open (for the cipher) and sealed under the root key (for the store, so
/// saving never seals again and never spends a root-key nonce twice).
#[derive(Clone, Debug)]
pub(crate) struct KeyVersion {
    pub(crate) id: KeyVersionId,
    pub(crate) creation_date: OffsetDateTime,
    pub(crate) material: KeyMaterial,
    pub(crate) sealed: SealedMaterial,
}

/// Material sealed under the root key, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SealedMaterial {
    pub(crate) nonce: [u8; super::cipher::NONCE_LEN],
    /// `ciphertext || tag`.
    pub(crate) sealed: Vec<u8>,
}

/// A CMK: metadata and versions.
#[derive(Clone, Debug)]
pub(crate) struct KeyRecord {
    pub(crate) metadata: KeyMetadata,
    pub(crate) versions: Vec<KeyVersion>,
}

impl KeyRecord {
    pub(crate) fn version(&self, id: KeyVersionId) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }
}

/// `time`'s RFC 3339 form for serde (the `serde` feature of `time` is off).
pub(crate) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }
}

/// [`rfc3339`] for optional dates.
pub(crate) mod rfc3339_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::rfc3339::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::rfc3339")] OffsetDateTime);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(t)| t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs_have_alibaba_names() {
        assert_eq!(KeySpec::default(), KeySpec::AliyunAes256);
        for spec in [KeySpec::AliyunAes256, KeySpec::AliyunSm4] {
            assert_eq!(spec.name().parse::<KeySpec>().unwrap(), spec);
            assert_eq!(
                serde_json::to_string(&spec).unwrap(),
                format!("\"{}\"", spec.name())
            );
        }
        let err = "RSA_2048".parse::<KeySpec>().unwrap_err();
        assert_eq!(err.to_string(), "unsupported key spec `RSA_2048`");
        assert_eq!(err.code(), "InvalidParameter");
        assert!("SIGN/VERIFY".parse::<KeyUsage>().is_err());
        assert_eq!(
            "ENCRYPT/DECRYPT".parse::<KeyUsage>().unwrap(),
            KeyUsage::EncryptDecrypt
        );
    }

    #[test]
    fn data_key_lengths_follow_generate_data_key() {
        let len =
            |spec: Option<&str>, n: Option<u32>| DataKeySpec::from_params(spec, n).map(|s| s.len());
        assert_eq!(len(None, None).unwrap(), 32);
        assert_eq!(len(Some("AES_256"), None).unwrap(), 32);
        assert_eq!(len(Some("AES_128"), None).unwrap(), 16);
        // Both given: NumberOfBytes wins.
        assert_eq!(len(Some("AES_128"), Some(64)).unwrap(), 64);
        assert_eq!(len(None, Some(1)).unwrap(), 1);
        assert_eq!(len(None, Some(1024)).unwrap(), 1024);
        for n in [0, 1025, 65_536 + 32, u32::MAX] {
            assert_eq!(
                len(None, Some(n)).unwrap_err().to_string(),
                format!("`NumberOfBytes` `{n}` is outside 1–1024")
            );
        }
        assert_eq!(
            len(Some("AES_192"), None).unwrap_err().code(),
            "InvalidParameter"
        );
    }

    #[test]
    fn secrets_debug_as_their_length_only() {
        let p = Plaintext::new(Zeroizing::new(vec![0xAB; 4]));
        assert_eq!(format!("{p:?}"), "Plaintext(<redacted 4 bytes>)");
        let m = KeyMaterial::generate(KeySpec::AliyunSm4).unwrap();
        assert_eq!(format!("{m:?}"), "KeyMaterial(<redacted 16 bytes>)");
        assert_eq!(m.expose().len(), 16);
    }
}
