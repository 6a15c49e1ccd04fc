//! The two AEADs ramgate seals with: AES-256-GCM and SM4-GCM (RFC 8998).
//!
//! Both are RustCrypto's `AesGcm` with a 96-bit nonce and a 16-byte tag;
//! SM4-GCM is `AesGcm<sm4::Sm4, U12>` (spec `toolchain.md` §2: matches RFC
//! 8998 A.1 and 68 OpenSSL vectors). This file knows nothing about keys,
//! blobs or KMS states so the Logstore block format can seal with it too.
//!
//! Nothing unauthenticated leaves [`Algorithm::open_in_place`]: aes-gcm
//! verifies the tag before it applies the keystream, so on failure the
//! buffer still holds the ciphertext.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce, Tag};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// SM4-GCM as RFC 8998 defines it: GCM over the SM4 block cipher.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// Nonce length of both algorithms (96 bits; GCM's only efficient size).
pub const NONCE_LEN: usize = 12;
/// Tag length of both algorithms.
pub const TAG_LEN: usize = 16;

/// An AEAD algorithm, with the byte that names it in ramgate's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// AES-256-GCM (key 32 bytes).
    #[serde(rename = "AES-256-GCM")]
    Aes256Gcm,
    /// SM4-GCM, RFC 8998 `AEAD_SM4_GCM` (key 16 bytes).
    #[serde(rename = "SM4-GCM")]
    Sm4Gcm,
}

/// A seal or open that did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CipherError {
    /// The key has the wrong length for the algorithm.
    #[error("{algorithm} needs a {expected}-byte key, got {actual} bytes")]
    KeyLength {
        /// The algorithm.
        algorithm: Algorithm,
        /// Its key length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The sealed text is shorter than a tag.
    #[error("the sealed text has {0} bytes, fewer than the {TAG_LEN}-byte tag")]
    Truncated(usize),
    /// The tag does not verify: the ciphertext, the nonce, the associated
    /// data or the key differ from the seal's.
    #[error("the ciphertext does not verify")]
    NotAuthentic,
    /// Plaintext or associated data over GCM's limits (2^36−31 and 2^61−1
    /// bytes).
    #[error("the input is longer than GCM allows")]
    TooLong,
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
}

impl Algorithm {
    /// Every algorithm, in id order.
    pub const ALL: [Algorithm; 2] = [Algorithm::Aes256Gcm, Algorithm::Sm4Gcm];

    /// The byte that names the algorithm in blobs and blocks.
    pub fn id(self) -> u8 {
        match self {
            Algorithm::Aes256Gcm => 1,
            Algorithm::Sm4Gcm => 2,
        }
    }

    /// The algorithm a format byte names, if any.
    pub fn from_id(id: u8) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.id() == id)
    }

    /// The key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Algorithm::Aes256Gcm => 32,
            Algorithm::Sm4Gcm => 16,
        }
    }

    /// Encrypts `buffer` in place and returns the tag.
    pub fn seal_in_place(
        self,
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CipherError> {
        let nonce = Nonce::<U12>::from(*nonce);
        let tag = match self {
            Algorithm::Aes256Gcm => {
                self.cipher::<Aes256Gcm>(key)?
                    .encrypt_inout_detached(&nonce, aad, buffer.into())
            }
            Algorithm::Sm4Gcm => {
                self.cipher::<Sm4Gcm>(key)?
                    .encrypt_inout_detached(&nonce, aad, buffer.into())
            }
        }
        .map_err(|_| CipherError::TooLong)?;
        Ok(tag.into())
    }

    /// Verifies `tag` and only then decrypts `buffer` in place. On error the
    /// buffer is unchanged.
    pub fn open_in_place(
        self,
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), CipherError> {
        let nonce = Nonce::<U12>::from(*nonce);
        let tag = Tag::from(*tag);
        match self {
            Algorithm::Aes256Gcm => self.cipher::<Aes256Gcm>(key)?.decrypt_inout_detached(
                &nonce,
                aad,
                buffer.into(),
                &tag,
            ),
            Algorithm::Sm4Gcm => {
                self.cipher::<Sm4Gcm>(key)?
                    .decrypt_inout_detached(&nonce, aad, buffer.into(), &tag)
            }
        }
        .map_err(|_| CipherError::NotAuthentic)
    }

    /// `ciphertext || tag` of `plaintext`.
    pub fn seal(
        self,
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CipherError> {
        // Zeroizing until sealed: on an error the buffer still holds the
        // plaintext. The capacity is exact, so nothing is reallocated.
        let mut out = Zeroizing::new(Vec::with_capacity(plaintext.len() + TAG_LEN));
        out.extend_from_slice(plaintext);
        let tag = self.seal_in_place(key, nonce, aad, &mut out)?;
        out.extend_from_slice(&tag);
        Ok(std::mem::take(&mut *out))
    }

    /// The plaintext of `ciphertext || tag`; zeroized on drop, since what
    /// KMS opens is usually a key.
    pub fn open(
        self,
        key: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CipherError> {
        let body_len = sealed
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(CipherError::Truncated(sealed.len()))?;
        let (body, tag) = sealed.split_at(body_len);
        let tag: [u8; TAG_LEN] = tag
            .try_into()
            .map_err(|_| CipherError::Truncated(sealed.len()))?;
        let mut out = Zeroizing::new(body.to_vec());
        self.open_in_place(key, nonce, aad, &mut out, &tag)?;
        Ok(out)
    }

    /// A keyed cipher; the expanded key is zeroized when it drops (the
    /// crates' `zeroize` features are on).
    fn cipher<C: KeyInit>(self, key: &[u8]) -> Result<C, CipherError> {
        C::new_from_slice(key).map_err(|_| CipherError::KeyLength {
            algorithm: self,
            expected: self.key_len(),
            actual: key.len(),
        })
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::Aes256Gcm => "AES-256-GCM",
            Algorithm::Sm4Gcm => "SM4-GCM",
        })
    }
}

/// A fresh random 96-bit nonce.
///
/// Random nonces are safe for at most 2^32 seals under one key (NIST SP
/// 800-38D §8.3, spec `sls-kms.md` §5.3); callers own that budget.
pub fn random_nonce() -> Result<[u8; NONCE_LEN], CipherError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(CipherError::Random)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 8998 Appendix A.1, copied from spec `sls-kms.md` §5.3.
    const KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
    const IV: &str = "00001234567800000000ABCD";
    const AAD: &str = "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2";
    const PT: &str = "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA";
    const CT: &str = "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D";
    const TAG: &str = "83DE3541E4C2B58177E065A9BF7B62EC";

    #[test]
    fn sm4_gcm_matches_rfc_8998_a1() {
        let nonce: [u8; 12] = unhex(IV).try_into().unwrap();
        let sealed = Algorithm::Sm4Gcm
            .seal(&unhex(KEY), &nonce, &unhex(AAD), &unhex(PT))
            .unwrap();
        assert_eq!(sealed, [unhex(CT), unhex(TAG)].concat());
        let opened = Algorithm::Sm4Gcm
            .open(&unhex(KEY), &nonce, &unhex(AAD), &sealed)
            .unwrap();
        assert_eq!(*opened, unhex(PT));
    }

    // NIST GCM test case 16 (AES-256, 96-bit IV, with AAD), from the
    // McGrew–Viega GCM specification's test vectors.
    #[test]
    fn aes_256_gcm_matches_nist_test_case_16() {
        let key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let nonce: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        let pt = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let ct = unhex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        );
        let tag = unhex("76fc6ece0f4e1768cddf8853bb2d551b");
        let sealed = Algorithm::Aes256Gcm.seal(&key, &nonce, &aad, &pt).unwrap();
        assert_eq!(sealed, [ct, tag].concat());
    }

    #[test]
    fn a_failed_open_leaves_the_ciphertext_in_place() {
        let key = [7u8; 16];
        let nonce = [1u8; 12];
        let mut buf = *b"secret data";
        let tag = Algorithm::Sm4Gcm
            .seal_in_place(&key, &nonce, b"aad", &mut buf)
            .unwrap();
        let sealed = buf;
        let err = Algorithm::Sm4Gcm
            .open_in_place(&key, &nonce, b"other aad", &mut buf, &tag)
            .unwrap_err();
        assert_eq!(err, CipherError::NotAuthentic);
        assert_eq!(buf, sealed);
        Algorithm::Sm4Gcm
            .open_in_place(&key, &nonce, b"aad", &mut buf, &tag)
            .unwrap();
        assert_eq!(&buf, b"secret data");
    }

    #[test]
    fn wrong_key_lengths_and_short_inputs_are_errors() {
        let nonce = [0u8; 12];
        assert_eq!(
            Algorithm::Aes256Gcm.seal(&[0u8; 16], &nonce, b"", b"x"),
            Err(CipherError::KeyLength {
                algorithm: Algorithm::Aes256Gcm,
                expected: 32,
                actual: 16
            })
        );
        assert!(matches!(
            Algorithm::Sm4Gcm.open(&[0u8; 16], &nonce, b"", &[0u8; 15]),
            Err(CipherError::Truncated(15))
        ));
        assert!(matches!(
            Algorithm::Sm4Gcm.open(&[0u8; 32], &nonce, b"", &[0u8; 16]),
            Err(CipherError::KeyLength { .. })
        ));
    }

    #[test]
    fn algorithm_ids_round_trip_and_unknown_ids_are_none() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_id(a.id()), Some(a));
        }
        assert_eq!(Algorithm::from_id(0), None);
        assert_eq!(Algorithm::from_id(3), None);
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(random_nonce().unwrap(), random_nonce().unwrap());
    }
}
