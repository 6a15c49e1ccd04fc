//! `ramgate serve` against the engine it wraps: pre-built, pre-signed
//! `PutLogs` of ~64 KiB log groups (LZ4, as the SDK sends them) from N = 1,
//! 4 and 16 keep-alive clients to an in-process server on a durable BYOK
//! AES Logstore, then `PullLogs` of them back; the same groups through
//! `LogService::put_logs` directly (the baseline) in the same run.
//!
//! Criterion reports time and MB/s per group; after it, one fixed pass per
//! N prints requests/s, MB/s, p50 and p99 latency, the server's CPU per
//! request and the HTTP ÷ in-process ratio.
//!
//! The server's CPU is that of its threads alone (all named
//! [`THREAD_NAME`]: the handle's thread, the runtime's workers and its
//! blocking threads), read from `/proc/self/task/*/stat` before and after
//! each pass, so the clients in the same process are not counted. Linux
//! only; elsewhere it prints `n/a`.
//!
//! `serve_pop_describe_key` prices a POP request's audit record: KMS
//! `DescribeKey` alone (the baseline), through `pop::handle` with its
//! durable record, and over HTTP.
//!
//!     cargo bench --bench serve -- --warm-up-time 1 --measurement-time 3

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use md5::Digest as _;
use prost::Message as _;
use ramgate::kms::{KeySpec, KeyUsage};
use ramgate::logstore::LogService;
use ramgate::server::WireRequest;
use ramgate::server::auth::sls_v1;
use ramgate::server::credentials::StaticCredentials;
use ramgate::server::http::{Server, ServerHandle, THREAD_NAME};
use ramgate::server::pop::{self, PopCall, Product};
use ramgate::server::{body, proto};

mod support;
use support::{group, root};

const SECRET: &[u8] = b"bench-secret";

/// A durable data directory with a one-shard BYOK `default` (AES)
/// Logstore `bench/byok`.
fn service(dir: &Path) -> LogService {
    let (svc, cmk) = support::seeded(dir, true);
    support::create(&svc, "byok", 1, support::byok(&cmk, "default"));
    svc
}

/// A whole signed request, ready to be written again and again (SLS v1
/// has no nonce; the signature stays fresh for 15 minutes).
fn signed(method: &str, path: &str, query: &str, body: &[u8], extra: &[(&str, String)]) -> Vec<u8> {
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    let mut headers: Vec<(String, String)> = vec![
        ("Host".into(), "bench.127.0.0.1".into()),
        ("x-log-apiversion".into(), "0.6.0".into()),
        ("x-log-signaturemethod".into(), "hmac-sha1".into()),
        ("Date".into(), date),
    ];
    for (n, v) in extra {
        headers.push((n.to_string(), v.clone()));
    }
    if !body.is_empty() {
        let md5: String = md5::Md5::digest(body)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        headers.push(("Content-MD5".into(), md5));
    }
    let wire = WireRequest {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SECRET).unwrap();
    mac.update(sls_v1::string_to_sign(&wire).as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    headers.push(("Authorization".into(), format!("LOG AKbench:{sig}")));
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let mut out = format!("{method} {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One keep-alive connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Client {
            writer: s.try_clone().unwrap(),
            reader: BufReader::new(s),
        }
    }

    /// Sends a request and reads its answer; the status.
    fn round_trip(&mut self, request: &[u8]) -> u16 {
        self.writer.write_all(request).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(": ")
                && n.eq_ignore_ascii_case("content-length")
            {
                len = v.parse().unwrap();
            }
        }
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body).unwrap();
        assert!(status < 500, "a 5xx: {}", String::from_utf8_lossy(&body));
        status
    }
}

/// `n` clients each sending `per_client` copies of `request`; the
/// latencies.
fn drive(addr: SocketAddr, request: &Arc<Vec<u8>>, n: usize, per_client: u64) -> Vec<Duration> {
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                (0..per_client)
                    .map(|_| {
                        let t = Instant::now();
                        assert_eq!(c.round_trip(&request), 200);
                        t.elapsed()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect()
}

/// Linux reports a thread's `utime` and `stime` in USER_HZ ticks, which
/// the kernel's ABI fixes at 100 per second (`sysconf` would need libc).
const TICKS_PER_SECOND: f64 = 100.0;

/// A thread's id, name and CPU ticks (`utime + stime`) from its
/// `/proc/.../stat` line (proc(5): the name is in parentheses and may hold
/// spaces, so the fields are counted from the last `)`).
fn parse_stat(stat: &str) -> Option<(u64, &str, u64)> {
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let tid = stat.get(..open)?.trim().parse().ok()?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime); `fields[0]` is field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((tid, name, utime + stime))
}

/// The CPU ticks so far of every live server thread, by thread id.
fn server_ticks() -> HashMap<u64, u64> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return HashMap::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| {
            let (tid, name, ticks) = parse_stat(&stat)?;
            (name == THREAD_NAME).then_some((tid, ticks))
        })
        .collect()
}

/// The server's CPU between two samples. A thread new since `before` ran
/// all its ticks in between. A thread gone by `after` is a blocking thread
/// that tokio let go after 10 s idle, longer than a pass, so it ran nothing
/// in between. `None` where `/proc` is not Linux's.
fn server_cpu(before: &HashMap<u64, u64>, after: &HashMap<u64, u64>) -> Option<Duration> {
    if after.is_empty() {
        return None;
    }
    let ticks: u64 = after
        .iter()
        .map(|(tid, t)| t.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum();
    Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

/// The calling thread's CPU so far.
fn own_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let (_, _, ticks) = parse_stat(&stat)?;
    Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

/// CPU per request in milliseconds, or `n/a`.
fn per_request(cpu: Option<Duration>, requests: usize) -> String {
    match cpu {
        Some(cpu) => format!("{:.2} ms", cpu.as_secs_f64() * 1e3 / requests as f64),
        None => "n/a".into(),
    }
}

/// One fixed pass of a request from `n` clients.
struct Pass {
    rps: f64,
    /// Sorted.
    latencies: Vec<Duration>,
    server_cpu: Option<Duration>,
}

impl Pass {
    /// About `total` copies of `request` from `n` clients.
    fn run(addr: SocketAddr, request: &Arc<Vec<u8>>, n: usize, total: u64) -> Pass {
        let ticks = server_ticks();
        let t = Instant::now();
        let mut latencies = drive(addr, request, n, total.div_ceil(n as u64));
        let rps = latencies.len() as f64 / t.elapsed().as_secs_f64();
        let server_cpu = server_cpu(&ticks, &server_ticks());
        latencies.sort();
        Pass {
            rps,
            latencies,
            server_cpu,
        }
    }

    /// requests/s, MB/s (of `bytes` per request), p50, p99, CPU.
    fn figures(&self, bytes: u64) -> String {
        format!(
            "{:.0} req/s, {:.1} MB/s, p50 {:.2} ms, p99 {:.2} ms, server CPU {} per request",
            self.rps,
            self.rps * bytes as f64 / 1e6,
            percentile(&self.latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&self.latencies, 0.99).as_secs_f64() * 1e3,
            per_request(self.server_cpu, self.latencies.len()),
        )
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let svc = service(dir.path());
    let credentials = Arc::new(StaticCredentials::new());
    credentials.insert("AKbench", SECRET, root());
    let server = Server::new(svc.clone(), credentials.clone()).log_requests(false);
    let handle = ServerHandle::start(server, "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = handle.addr();
    let g = group();
    let raw = proto::to_wire(&g).encode_to_vec();
    let lz4 = body::lz4(&raw);
    let put = Arc::new(signed(
        "POST",
        "/logstores/byok/shards/lb",
        "",
        &lz4,
        &[
            ("Content-Type", "application/x-protobuf".into()),
            ("x-log-compresstype", "lz4".into()),
            ("x-log-bodyrawsize", raw.len().to_string()),
        ],
    ));
    let bytes = raw.len() as u64;

    let mut group_ = c.benchmark_group("serve_put_64k");
    group_.throughput(Throughput::Bytes(bytes));
    group_.sample_size(10);
    group_.bench_function("in_process_put_logs", |b| {
        b.iter(|| svc.put_logs(&root(), "bench", "byok", None, &g).unwrap())
    });
    for n in [1usize, 4, 16] {
        group_.bench_function(format!("http_put_logs_{n}_clients"), |b| {
            b.iter_custom(|iters| {
                let per = iters.div_ceil(n as u64);
                let t = Instant::now();
                drive(addr, &put, n, per);
                // Per request, as if `iters` were sent.
                t.elapsed().mul_f64(iters as f64 / (per * n as u64) as f64)
            })
        });
    }
    let pull = Arc::new(signed(
        "GET",
        "/logstores/byok/shards/0",
        "type=log&cursor=MA%3D%3D&count=1",
        b"",
        &[("Accept-Encoding", "lz4".into())],
    ));
    group_.bench_function("http_pull_logs_1_group", |b| {
        let mut c = Client::connect(addr);
        b.iter(|| c.round_trip(&pull))
    });
    group_.finish();
    pop_bench(c, &svc, &credentials, addr);

    // The summary: fixed passes, the baseline first. A tick is 10 ms per
    // thread, so each pass is long enough (1,024 requests) for the CPU
    // per request to be read to a few µs.
    let per_n = 1024u64;
    let cpu_before = own_cpu();
    let t = Instant::now();
    for _ in 0..per_n {
        svc.put_logs(&root(), "bench", "byok", None, &g).unwrap();
    }
    let base = per_n as f64 / t.elapsed().as_secs_f64();
    let cpu = own_cpu().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    println!(
        "\nin-process put_logs: {base:.0} groups/s, {:.1} MB/s, CPU {} per group",
        base * bytes as f64 / 1e6,
        per_request(cpu, per_n as usize)
    );
    for n in [1usize, 4, 16] {
        let pass = Pass::run(addr, &put, n, per_n);
        println!(
            "http put_logs, {n:2} clients: {}, HTTP / in-process {:.2}",
            pass.figures(bytes),
            pass.rps / base
        );
    }
    let pass = Pass::run(addr, &pull, 1, per_n);
    println!("http pull_logs,  1 client:  {}", pass.figures(bytes));
    drop(handle);
}

/// A POP RPC v1 `DescribeKey` of `key`, signed as the bench's root key
/// with a fresh nonce (POP refuses a nonce it has seen).
fn describe_key_request(key: &str, nonce: u64) -> Vec<u8> {
    let timestamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap();
    let mut params: Vec<(String, String)> = [
        ("AccessKeyId", "AKbench"),
        ("Action", "DescribeKey"),
        ("Format", "JSON"),
        ("KeyId", key),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", &timestamp),
        ("Version", "2016-01-20"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    params.push(("SignatureNonce".into(), format!("bench-{nonce}")));
    let to_sign = ramgate::server::auth::pop_rpc::string_to_sign("POST", &params);
    let mut key = SECRET.to_vec();
    key.push(b'&');
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    params.push(("Signature".into(), signature));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    format!("POST /?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

/// KMS `DescribeKey` three ways: the KMS call alone (the baseline: no
/// audit record), `pop::handle` (the same call and its durable audit
/// record), and over HTTP (signature, nonce, and both).
fn pop_bench(
    c: &mut Criterion,
    svc: &LogService,
    credentials: &StaticCredentials,
    addr: SocketAddr,
) {
    let key = svc
        .with_kms_caller(&root(), |kms, caller| {
            kms.create_key(caller, KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
        })
        .unwrap()
        .key_id
        .to_string();
    let mut group = c.benchmark_group("serve_pop_describe_key");
    group.sample_size(20);
    group.bench_function("kms_call_unaudited", |b| {
        b.iter(|| {
            svc.with_kms_caller(&root(), |kms, caller| kms.describe_key(caller, &key))
                .unwrap()
        })
    });
    let params = vec![("KeyId".to_string(), key.clone())];
    let context = ramgate::authz::Context::new();
    group.bench_function("pop_handle_audited", |b| {
        b.iter(|| {
            let call = PopCall {
                product: Product::Kms,
                action: "DescribeKey",
                params: &params,
                caller: &root(),
                context: &context,
                request_id: "BENCH",
            };
            pop::handle(svc, credentials, &call).unwrap()
        })
    });
    let mut nonce = 0u64;
    group.bench_function("http_audited", |b| {
        let mut client = Client::connect(addr);
        b.iter(|| {
            nonce += 1;
            assert_eq!(client.round_trip(&describe_key_request(&key, nonce)), 200);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
