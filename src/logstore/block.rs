//! The stored form of one log group: a versioned header, then the sealed
//! (or, with encryption off, MACed) payload.
//!
//! ```text
//! offset  bytes  field
//!  0      4      magic "RGBK"
//!  4      1      format version, 0x02
//!  5      1      kind: 0x00 plaintext, 0x01 sealed
//!  6      1      algorithm: 0x00 none, 0x01 AES-256-GCM, 0x02 SM4-GCM
//!  7      4      sealed: key reference (u32 LE), which of the Logstore's
//!                keys; plaintext: the plaintext window (u32 LE), which
//!                stretch of the Logstore's history with encryption off
//! 11      12     nonce (zeros in plaintext blocks)
//! 23      n      payload: ciphertext, or plaintext
//! 23+n    16|32  GCM tag, or HMAC-SHA256 (plaintext)
//! ```
//!
//! The associated data of a sealed block is the 23-byte header followed by
//! its location — project, Logstore, shard and sequence number, each
//! length-prefixed — so a block moved to another Logstore, shard or position
//! does not open, and neither does one whose header was edited. A plaintext
//! block's MAC is an HMAC-SHA256 over the same header, location and payload
//! under the Logstore's integrity key (random, made with the Logstore,
//! wrapped under the root key): nobody without the root key can forge a
//! plaintext block, edit one, or turn a sealed block into one (S1). Version
//! 1 blocks (a keyless SHA-256 digest on plaintext) are refused.
//!
//! Buffers are used in place: [`buffer`] reserves the header, the caller
//! encodes the log group after it, [`seal`] encrypts the payload where it
//! lies and writes the header in front; [`open`] verifies, decrypts in place
//! and hands back the payload slice. Nothing is returned before the tag (or
//! digest) verifies.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::kms::cipher::{Algorithm, NONCE_LEN, TAG_LEN, random_nonce};

const MAGIC: &[u8; 4] = b"RGBK";
/// The block format this build writes and reads; 2 authenticated
/// plaintext blocks (S1).
pub const VERSION: u8 = 2;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 23;
const DIGEST_LEN: usize = 32;
/// Length of a Logstore's integrity key.
pub const INTEGRITY_KEY_LEN: usize = 32;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Where a block lives; bound into its integrity check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// The project.
    pub project: &'a str,
    /// The Logstore.
    pub logstore: &'a str,
    /// The shard.
    pub shard: u32,
    /// The block's sequence number in its shard.
    pub seq: u64,
}

impl Location<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        for part in [self.project, self.logstore] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out.extend_from_slice(&self.shard.to_le_bytes());
        out.extend_from_slice(&self.seq.to_le_bytes());
    }
}

/// How a block is protected.
#[derive(Clone, Copy)]
pub enum Protection<'a> {
    /// Encryption is off: an HMAC under the Logstore's integrity key.
    Plaintext {
        /// The plaintext window of the Logstore's history it is written in.
        window: u32,
        /// The Logstore's integrity key.
        key: &'a [u8],
    },
    /// Sealed with `algorithm` under the Logstore's key number `key_ref`.
    Sealed {
        /// The AEAD.
        algorithm: Algorithm,
        /// Which of the Logstore's keys.
        key_ref: u32,
        /// The key itself.
        key: &'a [u8],
    },
}

impl std::fmt::Debug for Protection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Protection::Plaintext { window, .. } => {
                write!(f, "Plaintext {{ window: {window}, key: <redacted> }}")
            }
            Protection::Sealed {
                algorithm, key_ref, ..
            } => {
                write!(
                    f,
                    "Sealed {{ algorithm: {algorithm}, key_ref: {key_ref}, key: <redacted> }}"
                )
            }
        }
    }
}

/// What a block's header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The algorithm, `None` for plaintext blocks.
    pub algorithm: Option<Algorithm>,
    /// The key reference of a sealed block; the plaintext window of a
    /// plaintext one.
    pub key_ref: u32,
}

/// Why a block does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// Shorter than a header and a tag.
    #[error("the block has {0} bytes, too few to be a block")]
    Truncated(usize),
    /// Not a ramgate block.
    #[error("the block does not start with `RGBK`")]
    BadMagic,
    /// A format version this build does not read.
    #[error("the block has format version {0}, and this build reads version {VERSION}")]
    UnknownVersion(u8),
    /// An unknown kind or algorithm byte.
    #[error("unknown block kind {0} or algorithm {1}")]
    UnknownKind(u8, u8),
    /// The tag or MAC does not verify: altered, moved, forged, or the
    /// wrong key.
    #[error("the block does not verify (altered, moved, forged, or opened with the wrong key)")]
    NotAuthentic,
    /// The key does not fit the algorithm, or the random source failed.
    #[error("cannot seal: {0}")]
    Cipher(String),
}

/// A buffer with room for the header: encode the payload after it.
pub fn buffer(payload_hint: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER_LEN + payload_hint + DIGEST_LEN);
    b.resize(HEADER_LEN, 0);
    b
}

fn aad(header: &[u8], loc: &Location<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + 64);
    aad.extend_from_slice(header);
    loc.encode(&mut aad);
    aad
}

/// The plaintext block's MAC: HMAC-SHA256 under the integrity key over the
/// header, the location and the payload.
fn plaintext_mac(
    key: &[u8],
    header: &[u8],
    loc: &Location<'_>,
    payload: &[u8],
) -> Result<HmacSha256, BlockError> {
    if key.len() != INTEGRITY_KEY_LEN {
        return Err(BlockError::Cipher(format!(
            "an integrity key has {INTEGRITY_KEY_LEN} bytes, not {}",
            key.len()
        )));
    }
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .map_err(|e| BlockError::Cipher(e.to_string()))?;
    mac.update(&aad(header, loc));
    mac.update(payload);
    Ok(mac)
}

/// The length of the block [`seal`] makes from a `buf_len`-byte buffer
/// (header included): known before sealing, so a writer can reserve its
/// place in the segment first.
pub fn sealed_len(buf_len: usize, protection: &Protection<'_>) -> usize {
    buf_len
        + match protection {
            Protection::Plaintext { .. } => DIGEST_LEN,
            Protection::Sealed { .. } => TAG_LEN,
        }
}

/// Seals (or MACs) the payload that follows the reserved header in
/// `buf` (made by [`buffer`]), in place, and returns the finished block.
pub fn seal(
    loc: &Location<'_>,
    protection: Protection<'_>,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>, BlockError> {
    if buf.len() < HEADER_LEN {
        return Err(BlockError::Truncated(buf.len()));
    }
    let (algorithm, key_ref, nonce) = match protection {
        Protection::Plaintext { window, .. } => (0, window, [0u8; NONCE_LEN]),
        Protection::Sealed {
            algorithm, key_ref, ..
        } => (
            algorithm.id(),
            key_ref,
            random_nonce().map_err(|e| BlockError::Cipher(e.to_string()))?,
        ),
    };
    let header = &mut buf[..HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4] = VERSION;
    header[5] = u8::from(algorithm != 0);
    header[6] = algorithm;
    header[7..11].copy_from_slice(&key_ref.to_le_bytes());
    header[11..23].copy_from_slice(&nonce);
    let (header, payload) = buf.split_at_mut(HEADER_LEN);
    match protection {
        Protection::Plaintext { key, .. } => {
            let mac = plaintext_mac(key, header, loc, payload)?
                .finalize()
                .into_bytes();
            buf.extend_from_slice(&mac);
        }
        Protection::Sealed { algorithm, key, .. } => {
            let tag = algorithm
                .seal_in_place(key, &nonce, &aad(header, loc), payload)
                .map_err(|e| BlockError::Cipher(e.to_string()))?;
            buf.extend_from_slice(&tag);
        }
    }
    Ok(buf)
}

/// Reads a block's header (to learn which key opens it). The header is not
/// trusted until [`open`] has verified the whole block.
pub fn header(block: &[u8]) -> Result<Header, BlockError> {
    if block.len() < HEADER_LEN + TAG_LEN {
        return Err(BlockError::Truncated(block.len()));
    }
    if &block[..4] != MAGIC {
        return Err(BlockError::BadMagic);
    }
    if block[4] != VERSION {
        return Err(BlockError::UnknownVersion(block[4]));
    }
    let key_ref = u32::from_le_bytes([block[7], block[8], block[9], block[10]]);
    match (block[5], block[6]) {
        (0, 0) => Ok(Header {
            algorithm: None,
            key_ref,
        }),
        (1, a) => match Algorithm::from_id(a) {
            Some(algorithm) => Ok(Header {
                algorithm: Some(algorithm),
                key_ref,
            }),
            None => Err(BlockError::UnknownKind(1, a)),
        },
        (k, a) => Err(BlockError::UnknownKind(k, a)),
    }
}

/// Verifies a block at `loc` and returns its payload, decrypted in place.
/// `key` is the key the header's reference names, or (plaintext) the
/// Logstore's integrity key; without it the block does not open.
pub fn open<'b>(
    loc: &Location<'_>,
    block: &'b mut [u8],
    key: Option<&[u8]>,
) -> Result<&'b [u8], BlockError> {
    let h = header(block)?;
    let (head, rest) = block.split_at_mut(HEADER_LEN);
    match h.algorithm {
        None => {
            let body_len = rest
                .len()
                .checked_sub(DIGEST_LEN)
                .ok_or(BlockError::Truncated(HEADER_LEN + rest.len()))?;
            let (payload, stored) = rest.split_at(body_len);
            let key = key.ok_or(BlockError::NotAuthentic)?;
            plaintext_mac(key, head, loc, payload)?
                .verify_slice(stored)
                .map_err(|_| BlockError::NotAuthentic)?;
            Ok(&rest[..body_len])
        }
        Some(algorithm) => {
            let key = key.ok_or(BlockError::NotAuthentic)?;
            let body_len = rest.len() - TAG_LEN;
            let (payload, tag) = rest.split_at_mut(body_len);
            let tag: [u8; TAG_LEN] = (&*tag)
                .try_into()
                .map_err(|_| BlockError::Truncated(body_len))?;
            let nonce: [u8; NONCE_LEN] = head[11..23]
                .try_into()
                .map_err(|_| BlockError::Truncated(HEADER_LEN))?;
            algorithm
                .open_in_place(key, &nonce, &aad(head, loc), payload, &tag)
                .map_err(|_| BlockError::NotAuthentic)?;
            Ok(&rest[..body_len])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOC: Location<'static> = Location {
        project: "p1",
        logstore: "l1",
        shard: 0,
        seq: 7,
    };

    fn make(protection: Protection<'_>, payload: &[u8]) -> Vec<u8> {
        let mut b = buffer(payload.len());
        b.extend_from_slice(payload);
        seal(&LOC, protection, b).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sealed_blocks_open_only_where_they_were_sealed() {
        for (algorithm, key) in [
            (Algorithm::Aes256Gcm, vec![7u8; 32]),
            (Algorithm::Sm4Gcm, vec![9u8; 16]),
        ] {
            let p = Protection::Sealed {
                algorithm,
                key_ref: 3,
                key: &key,
            };
            let block = make(p, b"log group bytes");
            assert!(
                !block.windows(15).any(|w| w == b"log group bytes"),
                "payload is not in the clear"
            );
            assert_eq!(
                header(&block),
                Ok(Header {
                    algorithm: Some(algorithm),
                    key_ref: 3
                })
            );
            let mut b = block.clone();
            assert_eq!(
                open(&LOC, &mut b, Some(&key)).map(<[u8]>::to_vec),
                Ok(b"log group bytes".to_vec())
            );
            for moved in [
                Location {
                    project: "p2",
                    ..LOC
                },
                Location {
                    logstore: "l2",
                    ..LOC
                },
                Location { shard: 1, ..LOC },
                Location { seq: 8, ..LOC },
            ] {
                let mut b = block.clone();
                assert_eq!(
                    open(&moved, &mut b, Some(&key)),
                    Err(BlockError::NotAuthentic),
                    "{moved:?}"
                );
            }
            for i in 0..block.len() {
                let mut b = block.clone();
                b[i] ^= 0x20;
                assert!(
                    open(&LOC, &mut b, Some(&key)).is_err(),
                    "byte {i} altered and still opens"
                );
            }
            let mut b = block.clone();
            assert!(open(&LOC, &mut b, Some(&[1u8; 32][..algorithm.key_len()])).is_err());
        }
    }

    const INTEGRITY: [u8; INTEGRITY_KEY_LEN] = [0x42; INTEGRITY_KEY_LEN];

    fn plain(payload: &[u8]) -> Vec<u8> {
        make(
            Protection::Plaintext {
                window: 3,
                key: &INTEGRITY,
            },
            payload,
        )
    }

    #[test]
    fn plaintext_blocks_are_checked_and_bound_to_their_place() {
        let block = plain(b"clear");
        assert_eq!(
            header(&block),
            Ok(Header {
                algorithm: None,
                key_ref: 3
            })
        );
        let mut b = block.clone();
        assert_eq!(
            open(&LOC, &mut b, Some(&INTEGRITY)).map(<[u8]>::to_vec),
            Ok(b"clear".to_vec())
        );
        let mut b = block.clone();
        assert_eq!(
            open(&Location { seq: 1, ..LOC }, &mut b, Some(&INTEGRITY)),
            Err(BlockError::NotAuthentic)
        );
        for i in 0..block.len() {
            let mut b = block.clone();
            b[i] ^= 1;
            assert!(open(&LOC, &mut b, Some(&INTEGRITY)).is_err(), "byte {i}");
        }
    }

    /// S1: without the integrity key nobody can make a plaintext block that
    /// opens: not by the keyless digest version 1 used, not under another
    /// key, and a plaintext block never opens without a key at all.
    #[test]
    fn s1_a_plaintext_block_forged_without_the_integrity_key_does_not_open() {
        let genuine = plain(b"clear");
        let mut b = genuine.clone();
        assert_eq!(open(&LOC, &mut b, None), Err(BlockError::NotAuthentic));
        let forged = make(
            Protection::Plaintext {
                window: 3,
                key: &[0x43; INTEGRITY_KEY_LEN],
            },
            b"clear",
        );
        let mut b = forged;
        assert_eq!(
            open(&LOC, &mut b, Some(&INTEGRITY)),
            Err(BlockError::NotAuthentic)
        );
        // The window is under the MAC: moving a block to another window
        // breaks it.
        let mut b = genuine.clone();
        b[7] = 4;
        assert_eq!(
            open(&LOC, &mut b, Some(&INTEGRITY)),
            Err(BlockError::NotAuthentic)
        );
        // A version 1 block (keyless digest) is refused by its version.
        let mut b = genuine;
        b[4] = 1;
        assert_eq!(header(&b), Err(BlockError::UnknownVersion(1)));
        assert!(
            BlockError::UnknownVersion(1)
                .to_string()
                .contains("format version 1, and this build reads version 2")
        );
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for len in 0..80 {
            let mut b = vec![0x5Au8; len];
            assert!(open(&LOC, &mut b, Some(&[0u8; 32])).is_err());
        }
        let mut b = plain(b"x");
        b[4] = 3;
        assert_eq!(header(&b), Err(BlockError::UnknownVersion(3)));
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let key = [0xABu8; 32];
        let shown = format!(
            "{:?}",
            Protection::Sealed {
                algorithm: Algorithm::Aes256Gcm,
                key_ref: 0,
                key: &key
            }
        );
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab, "),
            "{shown}"
        );
    }
}
