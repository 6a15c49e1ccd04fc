//! `CiphertextBlob`: what `Encrypt` and `GenerateDataKey` return and
//! `Decrypt` reads. The byte layout is in the module docs of [`super`].

use super::cipher::{Algorithm, NONCE_LEN, TAG_LEN, random_nonce};
use super::context::EncryptionContext;
use super::error::KmsError;
use super::id::{KeyId, KeyVersionId};
use super::key::{KeyMaterial, Plaintext};

/// The first bytes of every blob: "ramgate KMS blob".
pub const MAGIC: [u8; 4] = *b"RGKB";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before the ciphertext.
pub const HEADER_LEN: usize = 4 + 1 + 1 + 16 + 16 + NONCE_LEN;
/// The most plaintext a blob holds (`Encrypt`'s 6 KiB; data keys are at
/// most 1 KiB).
pub const MAX_PLAINTEXT_LEN: usize = 6144;
/// The longest blob: longer input is refused before any crypto.
pub const MAX_BLOB_LEN: usize = HEADER_LEN + MAX_PLAINTEXT_LEN + TAG_LEN;

/// The header of a blob: which key version sealed it, with what, under
/// which nonce. All of it is bound as associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) algorithm: Algorithm,
    pub(crate) key_id: KeyId,
    pub(crate) key_version: KeyVersionId,
    pub(crate) nonce: [u8; NONCE_LEN],
}

impl Header {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.push(self.algorithm.id());
        out.extend_from_slice(self.key_id.as_bytes());
        out.extend_from_slice(self.key_version.as_bytes());
        out.extend_from_slice(&self.nonce);
        out
    }

    /// The associated data: the header, then the canonical context. The
    /// header has a fixed length, so the two cannot run into each other.
    fn aad(&self, context: &EncryptionContext) -> Vec<u8> {
        let mut aad = self.encode();
        aad.extend_from_slice(&context.canonical_bytes());
        aad
    }
}

/// Seals `plaintext` under one key version with a fresh random nonce.
pub(crate) fn seal(
    algorithm: Algorithm,
    key_id: KeyId,
    key_version: KeyVersionId,
    material: &KeyMaterial,
    context: &EncryptionContext,
    plaintext: &[u8],
) -> Result<Vec<u8>, KmsError> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(KmsError::PlaintextTooLarge(plaintext.len()));
    }
    let header = Header {
        algorithm,
        key_id,
        key_version,
        nonce: random_nonce()?,
    };
    let sealed = algorithm.seal(
        material.expose(),
        &header.nonce,
        &header.aad(context),
        plaintext,
    )?;
    let mut blob = Vec::with_capacity(HEADER_LEN + sealed.len());
    blob.extend_from_slice(&header.encode());
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// Reads a blob's header; the rest (`ciphertext || tag`) is returned
/// unopened. Nothing here is trusted until [`open`] verifies the tag.
pub(crate) fn parse(blob: &[u8]) -> Result<(Header, &[u8]), KmsError> {
    if blob.len() > MAX_BLOB_LEN {
        return Err(KmsError::MalformedBlob(
            "it is longer than any blob KMS makes",
        ));
    }
    let (magic, rest) = blob.split_first_chunk::<4>().ok_or_else(truncated)?;
    if *magic != MAGIC {
        return Err(KmsError::MalformedBlob(
            "it is not a ramgate KMS ciphertext blob",
        ));
    }
    let (&version, rest) = rest.split_first().ok_or_else(truncated)?;
    if version != FORMAT_VERSION {
        return Err(KmsError::UnsupportedBlobVersion(version));
    }
    let Some((&algorithm, rest)) = rest.split_first() else {
        return Err(truncated());
    };
    let Some((key_id, rest)) = rest.split_first_chunk::<16>() else {
        return Err(truncated());
    };
    let Some((key_version, rest)) = rest.split_first_chunk::<16>() else {
        return Err(truncated());
    };
    let Some((nonce, sealed)) = rest.split_first_chunk::<NONCE_LEN>() else {
        return Err(truncated());
    };
    if sealed.len() < TAG_LEN {
        return Err(truncated());
    }
    let algorithm = Algorithm::from_id(algorithm)
        .ok_or(KmsError::MalformedBlob("it names an unknown algorithm"))?;
    let header = Header {
        algorithm,
        key_id: KeyId::from_bytes(*key_id),
        key_version: KeyVersionId::from_bytes(*key_version),
        nonce: *nonce,
    };
    Ok((header, sealed))
}

fn truncated() -> KmsError {
    KmsError::MalformedBlob("it is truncated")
}

/// Verifies and opens `ciphertext || tag` under the header's key version.
/// Any failure — wrong key, altered byte, other context — is one error, so
/// nothing is learned from which it was.
pub(crate) fn open(
    header: &Header,
    sealed: &[u8],
    material: &KeyMaterial,
    context: &EncryptionContext,
) -> Result<Plaintext, KmsError> {
    header
        .algorithm
        .open(
            material.expose(),
            &header.nonce,
            &header.aad(context),
            sealed,
        )
        .map(Plaintext::new)
        .map_err(|_| KmsError::BlobNotAuthentic {
            key: header.key_id,
            version: header.key_version,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::key::KeySpec;

    fn sample(context: &EncryptionContext) -> (KeyMaterial, Vec<u8>) {
        let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let blob = seal(
            Algorithm::Aes256Gcm,
            KeyId::from_bytes([1; 16]),
            KeyVersionId::from_bytes([2; 16]),
            &material,
            context,
            b"attack at dawn",
        )
        .unwrap();
        (material, blob)
    }

    #[test]
    fn the_layout_is_as_documented() {
        let (_, blob) = sample(&EncryptionContext::new());
        assert_eq!(blob.len(), HEADER_LEN + 14 + TAG_LEN);
        assert_eq!(HEADER_LEN, 50);
        assert_eq!(MAX_BLOB_LEN, 6210);
        assert_eq!(&blob[..4], b"RGKB");
        assert_eq!(blob[4], 1);
        assert_eq!(blob[5], Algorithm::Aes256Gcm.id());
        assert_eq!(&blob[6..22], &[1; 16]);
        assert_eq!(&blob[22..38], &[2; 16]);
        let (header, sealed) = parse(&blob).unwrap();
        assert_eq!(header.nonce, blob[38..50]);
        assert_eq!(sealed, &blob[50..]);
    }

    #[test]
    fn seal_then_open_with_the_same_context() {
        let ctx = EncryptionContext::from_pairs([("project", "p1")]).unwrap();
        let (material, blob) = sample(&ctx);
        let (header, sealed) = parse(&blob).unwrap();
        let plain = open(&header, sealed, &material, &ctx).unwrap();
        assert_eq!(plain.expose(), b"attack at dawn");
        let other = EncryptionContext::from_pairs([("project", "p2")]).unwrap();
        let err = open(&header, sealed, &material, &other).unwrap_err();
        assert!(matches!(err, KmsError::BlobNotAuthentic { .. }));
        let err = open(&header, sealed, &material, &EncryptionContext::new()).unwrap_err();
        assert!(matches!(err, KmsError::BlobNotAuthentic { .. }));
    }

    #[test]
    fn every_prefix_is_refused() {
        let (_, blob) = sample(&EncryptionContext::new());
        for len in 0..HEADER_LEN + TAG_LEN {
            let err = parse(&blob[..len]).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the ciphertext blob is malformed: it is truncated"
            );
        }
    }

    #[test]
    fn unknown_versions_magics_and_algorithms_are_refused() {
        let (_, blob) = sample(&EncryptionContext::new());
        let mut v2 = blob.clone();
        v2[4] = 2;
        assert!(matches!(
            parse(&v2),
            Err(KmsError::UnsupportedBlobVersion(2))
        ));
        // A future version is recognised even when it is short.
        assert!(matches!(
            parse(b"RGKB\x07"),
            Err(KmsError::UnsupportedBlobVersion(7))
        ));
        let mut magic = blob.clone();
        magic[0] = b'X';
        assert!(matches!(parse(&magic), Err(KmsError::MalformedBlob(_))));
        let mut alg = blob.clone();
        alg[5] = 9;
        assert_eq!(
            parse(&alg).unwrap_err().to_string(),
            "the ciphertext blob is malformed: it names an unknown algorithm"
        );
        let long = vec![0u8; MAX_BLOB_LEN + 1];
        assert!(matches!(parse(&long), Err(KmsError::MalformedBlob(_))));
    }

    #[test]
    fn every_altered_byte_is_refused() {
        let (material, blob) = sample(&EncryptionContext::new());
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            let result =
                parse(&bad).and_then(|(h, s)| open(&h, s, &material, &EncryptionContext::new()));
            assert!(result.is_err(), "byte {i}");
        }
    }

    #[test]
    fn over_long_plaintexts_are_refused() {
        let material = KeyMaterial::generate(KeySpec::AliyunSm4).unwrap();
        let err = seal(
            Algorithm::Sm4Gcm,
            KeyId::from_bytes([1; 16]),
            KeyVersionId::from_bytes([2; 16]),
            &material,
            &EncryptionContext::new(),
            &[0u8; MAX_PLAINTEXT_LEN + 1],
        )
        .unwrap_err();
        assert_eq!(err.code(), "InvalidParameter");
    }
}
