//! `cargo bench --bench crypto --features internals`: Logstore block seal/open against the raw
//! AEAD call on a buffer of the same size (see `docs/performance.md`).
//!
//! In each group (`<algorithm> seal`, `<algorithm> open`) and size:
//! * `block`: `block::seal` / `block::open`, everything the store does per
//!   block: fresh random nonce, header, associated data (header + location),
//!   the key schedule, the AEAD, the tag appended / checked;
//! * `raw`: `encrypt_inout_detached` / `decrypt_inout_detached` on a cipher
//!   keyed once outside the loop, with associated data of the same length;
//! * `raw@23`: the same call on the payload of a buffer that, like a block,
//!   starts it 23 bytes in (after the header): the payload's alignment;
//! * `raw+key`: the same call on a cipher keyed inside the loop, which is
//!   what a block pays since it holds a key, not a keyed cipher.
//!
//! Open needs ciphertext every time, so each open gets a fresh copy of the
//! sealed buffer, made outside the timing (`iter_batched_ref`), for `block`
//! and `raw` alike.

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce, Tag};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramgate::kms::cipher::Algorithm;
use ramgate::logstore::block::{self, HEADER_LEN, Location, Protection};

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const SIZES: [usize; 3] = [4 << 10, 64 << 10, 1 << 20];
const LOC: Location<'static> = Location {
    project: "bench-project",
    logstore: "bench-logstore",
    shard: 3,
    seq: 42,
};
/// The block's associated data is the header and the encoded location.
const AAD_LEN: usize = HEADER_LEN + 4 + 13 + 4 + 14 + 4 + 8;
const TAG_LEN: usize = 16;
/// Opens are timed in batches of this many fresh copies.
const OPEN_BATCH: BatchSize = BatchSize::NumIterations(8);

/// The raw AEAD, keyed once or per call.
trait Raw: AeadInOut<NonceSize = U12, TagSize = U16> + KeyInit {}
impl Raw for Aes256Gcm {}
impl Raw for Sm4Gcm {}

fn raw_seal<C: Raw>(c: &C, payload: &mut [u8]) -> Tag {
    let nonce = Nonce::<U12>::from([9u8; 12]);
    c.encrypt_inout_detached(&nonce, &[1u8; AAD_LEN], payload.into())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn raw_open<C: Raw>(c: &C, payload: &mut [u8], tag: &Tag) {
    let nonce = Nonce::<U12>::from([9u8; 12]);
    c.decrypt_inout_detached(&nonce, &[1u8; AAD_LEN], payload.into(), tag)
        .unwrap_or_else(|e| panic!("{e}"));
}

fn algorithm<C: Raw>(c: &mut Criterion, algorithm: Algorithm) {
    let key = vec![0x42u8; algorithm.key_len()];
    let cipher = C::new_from_slice(&key).unwrap_or_else(|e| panic!("{e}"));
    let protection = Protection::Sealed {
        algorithm,
        key_ref: 0,
        key: &key,
    };

    let mut seal = c.benchmark_group(format!("{algorithm} seal"));
    for size in SIZES {
        seal.throughput(Throughput::Bytes(size as u64));
        if size == 1 << 20 || algorithm == Algorithm::Sm4Gcm {
            seal.sample_size(20);
        }
        seal.bench_function(BenchmarkId::new("block", size), |b| {
            let mut buf = block::buffer(size);
            buf.resize(HEADER_LEN + size, 0x5A);
            b.iter(|| {
                let sealed = block::seal(&LOC, protection, std::mem::take(&mut buf));
                let mut sealed = sealed.unwrap_or_else(|e| panic!("{e}"));
                // Seal the same bytes again next time: drop the tag only,
                // so no iteration allocates or copies.
                sealed.truncate(HEADER_LEN + size);
                buf = sealed;
            })
        });
        seal.bench_function(BenchmarkId::new("raw", size), |b| {
            let mut payload = vec![0x5Au8; size];
            b.iter(|| black_box(raw_seal(&cipher, &mut payload)))
        });
        seal.bench_function(BenchmarkId::new("raw@23", size), |b| {
            let mut buf = vec![0x5Au8; HEADER_LEN + size];
            b.iter(|| black_box(raw_seal(&cipher, &mut buf[HEADER_LEN..])))
        });
        seal.bench_function(BenchmarkId::new("raw+key", size), |b| {
            let mut payload = vec![0x5Au8; size];
            b.iter(|| {
                let keyed = C::new_from_slice(black_box(&key)).unwrap_or_else(|e| panic!("{e}"));
                black_box(raw_seal(&keyed, &mut payload))
            })
        });
    }
    seal.finish();

    let mut open = c.benchmark_group(format!("{algorithm} open"));
    for size in SIZES {
        open.throughput(Throughput::Bytes(size as u64));
        if size == 1 << 20 || algorithm == Algorithm::Sm4Gcm {
            open.sample_size(20);
        }
        let mut plain = block::buffer(size);
        plain.resize(HEADER_LEN + size, 0x5A);
        let sealed = block::seal(&LOC, protection, plain).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sealed.len(), HEADER_LEN + size + TAG_LEN);
        open.bench_function(BenchmarkId::new("block", size), |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |blk| {
                    let payload = block::open(&LOC, blk, Some(&key));
                    black_box(payload.map(<[u8]>::len).unwrap_or_else(|e| panic!("{e}")))
                },
                OPEN_BATCH,
            )
        });
        let mut payload = vec![0x5Au8; size];
        let tag = raw_seal(&cipher, &mut payload);
        open.bench_function(BenchmarkId::new("raw", size), |b| {
            b.iter_batched_ref(
                || payload.clone(),
                |p| raw_open(&cipher, p, &tag),
                OPEN_BATCH,
            )
        });
        let mut at23 = vec![0x5Au8; HEADER_LEN + size];
        let tag23 = raw_seal(&cipher, &mut at23[HEADER_LEN..]);
        open.bench_function(BenchmarkId::new("raw@23", size), |b| {
            b.iter_batched_ref(
                || at23.clone(),
                |p| raw_open(&cipher, &mut p[HEADER_LEN..], &tag23),
                OPEN_BATCH,
            )
        });
        open.bench_function(BenchmarkId::new("raw+key", size), |b| {
            b.iter_batched_ref(
                || payload.clone(),
                |p| {
                    let keyed =
                        C::new_from_slice(black_box(&key)).unwrap_or_else(|e| panic!("{e}"));
                    raw_open(&keyed, p, &tag)
                },
                OPEN_BATCH,
            )
        });
    }
    open.finish();
}

fn crypto(c: &mut Criterion) {
    algorithm::<Aes256Gcm>(c, Algorithm::Aes256Gcm);
    algorithm::<Sm4Gcm>(c, Algorithm::Sm4Gcm);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = crypto
}
criterion_main!(benches);
