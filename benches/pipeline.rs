//! The Logstore pipeline: `put_logs` and `pull_logs` of 64 KiB log groups,
//! service key and BYOK, in memory (tmpfs, no fsync) and with durable disk
//! writes, each group against the raw AEAD on a buffer of the same size in
//! the same run; and the decision chain alone, per operation.
//!
//! `concurrent_put_4k` writes durable 4 KiB log groups to the 4 shards of a
//! service-key Logstore from 1, 2, 4 and 8 threads in the same run: group
//! commit lets one `fsync` of the journal (blocks and audit records alike)
//! answer every writer waiting, so throughput should grow with the
//! threads; the 1-thread row is the baseline. `bare_group_commit_5k`, in
//! the same run, is the disk's own bound: the same rows for a bare group
//! commit of 5 KiB records (one such write's journal record) with no
//! engine at all (`support/bare_commit.rs`).
//!
//! `put_64k_overhead` measures what one in-memory `put_logs` of 64 KiB costs
//! beyond its AEAD seal (the raw seal is the baseline row), on a fresh
//! directory and on one whose shard already holds 50,000 blocks and whose
//! audit log 50,000 records, in the same run: the cost must not grow with
//! either (no step reads the shard or the audit log whole).
//!
//!     cargo bench --bench pipeline

use std::hint::black_box;
use std::path::Path;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ramgate::clock::SystemClock;
use ramgate::logstore::{EncryptConf, LogService};
use ramgate::ram::{AssumeRoleRequest, Identity, Ram};

mod support;
use support::{ACCOUNT, REGION, group, group_of};

/// A data directory with a service-key Logstore `svc`, a BYOK Logstore
/// `byok` and a 4-shard service-key Logstore `wide`.
fn service(dir: &Path, durable: bool, encrypt_type: &str) -> LogService {
    let (svc, cmk) = support::seeded(dir, durable);
    let service = EncryptConf {
        enable: true,
        encrypt_type: encrypt_type.into(),
        user_cmk_info: None,
    };
    support::create(&svc, "svc", 1, service.clone());
    support::create(&svc, "byok", 1, support::byok(&cmk, encrypt_type));
    support::create(&svc, "wide", 4, service);
    svc
}

fn raw_seal_open(c: &mut Criterion, name: &str, encrypt_type: &str, len: usize) {
    let mut buf = vec![0x5au8; len];
    let nonce = Nonce::<U12>::from([7u8; 12]);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(len as u64));
    match encrypt_type {
        "m4" => {
            let cipher = AesGcm::<sm4::Sm4, U12>::new(&[1u8; 16].into());
            g.bench_function("raw_aead_seal", |b| {
                b.iter(|| {
                    black_box(
                        cipher
                            .encrypt_inout_detached(&nonce, b"aad", (&mut buf[..]).into())
                            .unwrap(),
                    )
                })
            });
        }
        _ => {
            let cipher = Aes256Gcm::new(&[1u8; 32].into());
            g.bench_function("raw_aead_seal", |b| {
                b.iter(|| {
                    black_box(
                        cipher
                            .encrypt_inout_detached(&nonce, b"aad", (&mut buf[..]).into())
                            .unwrap(),
                    )
                })
            });
        }
    }
    g.finish();
}

fn pipeline(c: &mut Criterion, encrypt_type: &str) {
    let group = group();
    let mut encoded = Vec::new();
    group.encode_into(&mut encoded);
    let len = encoded.len();
    let label = if encrypt_type == "m4" { "sm4" } else { "aes" };
    raw_seal_open(c, &format!("pipeline_{label}_64k"), encrypt_type, len);
    let root = support::root();
    for (durable, base) in [(false, Path::new("/dev/shm")), (true, Path::new("target"))] {
        let dir = tempfile::tempdir_in(if base.exists() { base } else { Path::new(".") }).unwrap();
        let svc = service(dir.path(), durable, encrypt_type);
        let mode = if durable { "durable" } else { "memory" };
        let mut g = c.benchmark_group(format!("pipeline_{label}_64k"));
        g.throughput(criterion::Throughput::Bytes(len as u64));
        if durable {
            g.sample_size(20);
        }
        for store in ["svc", "byok"] {
            g.bench_function(format!("put_logs_{store}_{mode}"), |b| {
                b.iter(|| {
                    black_box(
                        svc.put_logs(&root, "bench", store, Some(0), &group)
                            .unwrap(),
                    )
                })
            });
            g.bench_function(format!("pull_one_{store}_{mode}"), |b| {
                b.iter(|| black_box(svc.pull_logs(&root, "bench", store, 0, 0, 1).unwrap()))
            });
        }
        g.finish();
    }
}

/// The decision chain of one BYOK operation without the data: the
/// caller's permission, Log Service assuming the role, the role's KMS
/// permission — three RAM decisions with full traces.
fn chain(c: &mut Criterion) {
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let svc = service(dir.path(), false, "default");
    let snapshot = svc.directory();
    let ram = Ram::new(&snapshot, &SystemClock);
    let root = support::root();
    let log = Identity::Service {
        service: "log.aliyuncs.com".into(),
        account: Some(ACCOUNT.into()),
    };
    let role = format!("acs:ram::{ACCOUNT}:role/sls-byok");
    let logstore = format!("acs:log:{REGION}:{ACCOUNT}:project/bench/logstore/byok");
    let key = format!("acs:kms:{REGION}:{ACCOUNT}:key/k");
    let mut g = c.benchmark_group("decision_chain");
    g.bench_function("caller_trust_role", |b| {
        b.iter(|| {
            let a = ram
                .authorize(
                    &root,
                    &ramgate::ram::Access::new("log:PostLogStoreLogs", logstore.as_str()),
                    None,
                )
                .unwrap();
            let assumed = ram
                .assume_role(
                    &log,
                    &AssumeRoleRequest::new(role.as_str(), "aliyun-log-byok"),
                )
                .unwrap();
            let session = Identity::RoleSession(assumed.session);
            let k = ram
                .authorize(
                    &session,
                    &ramgate::ram::Access::new("kms:Decrypt", key.as_str()),
                    None,
                )
                .unwrap();
            black_box((a, k))
        })
    });
    g.finish();
}

/// Durable `put_logs` of 4 KiB groups on 4 shards from 1, 2, 4 and 8
/// threads: the time per write, all threads together.
fn concurrent(c: &mut Criterion) {
    let base = Path::new("target");
    let dir = tempfile::tempdir_in(if base.exists() { base } else { Path::new(".") }).unwrap();
    let svc = service(dir.path(), true, "default");
    let group = group_of(16);
    let root = support::root();
    // The journal in its steady state first, as in a server that has run a
    // while: some 60 MiB written (a 5 KiB record an operation), so that it
    // is past its first two files and every row writes over a spare.
    std::thread::scope(|s| {
        for t in 0..8u32 {
            let (svc, group, root) = (&svc, &group, &root);
            s.spawn(move || {
                for _ in 0..1_500 {
                    svc.put_logs(root, "bench", "wide", Some(t % 4), group)
                        .unwrap();
                }
            });
        }
    });
    threads_rows(c, "concurrent_put_4k", |t| {
        let shard = Some((t % 4) as u32);
        black_box(svc.put_logs(&root, "bench", "wide", shard, &group).unwrap());
    });
    // The disk's own bound, in the same run: records of the size of one
    // of those writes' journal record, and nothing else.
    let bare = support::bare_commit::BareJournal::create(&dir.path().join("bare"));
    let record = vec![0x5a; 5 << 10];
    threads_rows(c, "bare_group_commit_5k", |_| bare.commit(&record));
}

/// One row per thread count, 1, 2, 4 and 8, each thread calling `op`
/// (with its number) its share of the iterations.
fn threads_rows(c: &mut Criterion, name: &str, op: impl Fn(u64) + Sync) {
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    for threads in [1u64, 2, 4, 8] {
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let per = iters.div_ceil(threads);
                let start = std::time::Instant::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let op = &op;
                        s.spawn(move || (0..per).for_each(|_| op(t)));
                    }
                });
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per * threads) as f64)
            })
        });
    }
    g.finish();
}

/// How many blocks (and audit records) the pre-filled directory holds.
const PREFILLED: u32 = 50_000;

/// One 64 KiB `put_logs` in memory beyond its seal, fresh and pre-filled
/// (module docs).
fn overhead(c: &mut Criterion) {
    let group = group();
    let mut encoded = Vec::new();
    group.encode_into(&mut encoded);
    let len = encoded.len();
    raw_seal_open(c, "put_64k_overhead", "default", len);
    let root = support::root();
    let base = Path::new("/dev/shm");
    let tmp = || tempfile::tempdir_in(if base.exists() { base } else { Path::new(".") }).unwrap();
    let (fresh_dir, full_dir) = (tmp(), tmp());
    let fresh = service(fresh_dir.path(), false, "default");
    let full = service(full_dir.path(), false, "default");
    let small = group_of(1);
    for _ in 0..PREFILLED {
        full.put_logs(&root, "bench", "svc", Some(0), &small)
            .unwrap();
    }
    let mut g = c.benchmark_group("put_64k_overhead");
    g.throughput(Throughput::Bytes(len as u64));
    for (name, svc) in [
        ("put_logs_fresh".to_string(), &fresh),
        (
            format!("put_logs_after_{PREFILLED}_blocks_and_audit_records"),
            &full,
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    svc.put_logs(&root, "bench", "svc", Some(0), &group)
                        .unwrap(),
                )
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    overhead(c);
    pipeline(c, "default");
    pipeline(c, "m4");
    chain(c);
    concurrent(c);
}

criterion_group!(pipeline_benches, benches);
criterion_main!(pipeline_benches);
