//! `ramgate serve` against the engine it wraps: pre-built, pre-signed
//! `PutLogs` of ~64 KiB log groups (LZ4, as the SDK sends them) from N = 1,
//! 4 and 16 keep-alive clients to an in-process server on a durable BYOK
//! AES Logstore, then `PullLogs` of them back; the same groups through
//! `LogService::put_logs` directly (the baseline) in the same run.
//!
//! Criterion reports time and MB/s per group; after it, one fixed pass per
//! N prints requests/s, MB/s, p50 and p99 latency and the HTTP ÷
//! in-process ratio.
//!
//! `serve_pop_describe_key` prices a POP request's audit record: KMS
//! `DescribeKey` alone (the baseline), through `pop::handle` with its
//! durable record, and over HTTP.
//!
//!     cargo bench --bench serve -- --warm-up-time 1 --measurement-time 3

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
use ramgate::clock::SystemClock;
use ramgate::kms::{KeySpec, KeyUsage, RootKeySource};
use ramgate::logstore::{
    EncryptConf, Log, LogGroup, LogService, LogstoreConfig, Options, UserCmkInfo,
};
use ramgate::ram::{Identity, PolicyRef, Target};
use ramgate::server::WireRequest;
use ramgate::server::auth::sls_v1;
use ramgate::server::credentials::StaticCredentials;
use ramgate::server::http::{Server, ServerHandle};
use ramgate::server::pop::{self, PopCall, Product};
use ramgate::server::{body, proto};

const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["log.aliyuncs.com"]}}],"Version":"1"}"#;
const SECRET: &[u8] = b"bench-secret";

/// ~64 KiB: 256 logs of ~250 bytes.
fn group() -> LogGroup {
    let logs = (0..256u32)
        .map(|i| Log {
            time: 1_764_400_000 + i,
            contents: vec![
                (
                    "request".into(),
                    format!("GET /api/v1/orders/{i:08}?expand=items,customer&trace={i:0>160}"),
                ),
                ("status".into(), "200".into()),
                ("latency_ms".into(), format!("{}", i % 97)),
            ],
        })
        .collect();
    LogGroup {
        topic: "api".into(),
        source: "10.0.0.7".into(),
        tags: vec![("env".into(), "prod".into())],
        logs,
    }
}

fn root() -> Identity {
    Identity::Account {
        uid: ACCOUNT.into(),
    }
}

/// A durable data directory with a one-shard BYOK `default` (AES)
/// Logstore `bench/byok`.
fn service(dir: &Path) -> LogService {
    let options = Options {
        root_key: RootKeySource::data_dir(),
        ..Options::default()
    };
    let svc = LogService::init(dir, ACCOUNT, REGION, Arc::new(SystemClock), options).unwrap();
    svc.edit_directory(|a| {
        a.create_role("sls-byok", TRUST)?;
        for p in ["AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"] {
            a.attach_policy(
                &Target::Role("sls-byok".into()),
                &PolicyRef::System(p.into()),
            )?;
        }
        Ok(())
    })
    .unwrap();
    let cmk = svc
        .with_kms_caller(&root(), |kms, caller| {
            kms.create_key(caller, KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
        })
        .unwrap()
        .key_id
        .to_string();
    svc.create_project(&root(), "bench").unwrap();
    let conf = EncryptConf {
        enable: true,
        encrypt_type: "default".into(),
        user_cmk_info: Some(UserCmkInfo {
            cmk_key_id: cmk,
            arn: format!("acs:ram::{ACCOUNT}:role/sls-byok"),
            region_id: REGION.into(),
        }),
    };
    let config = LogstoreConfig {
        name: "byok".into(),
        shard_count: 1,
        ttl: None,
        encrypt_conf: Some(conf),
    };
    svc.create_logstore(&root(), "bench", &config).unwrap();
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

    // The summary: fixed passes, the baseline first.
    let per_n = 64u64;
    let t = Instant::now();
    for _ in 0..per_n {
        svc.put_logs(&root(), "bench", "byok", None, &g).unwrap();
    }
    let base = per_n as f64 / t.elapsed().as_secs_f64();
    println!(
        "\nin-process put_logs: {base:.0} groups/s, {:.1} MB/s",
        base * bytes as f64 / 1e6
    );
    for n in [1usize, 4, 16] {
        let per = (per_n * 4).div_ceil(n as u64);
        let t = Instant::now();
        let mut lat = drive(addr, &put, n, per);
        let rps = lat.len() as f64 / t.elapsed().as_secs_f64();
        lat.sort();
        println!(
            "http put_logs, {n:2} clients: {rps:.0} req/s, {:.1} MB/s, p50 {:.2} ms, p99 {:.2} ms, HTTP / in-process {:.2}",
            rps * bytes as f64 / 1e6,
            percentile(&lat, 0.5).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            rps / base
        );
    }
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
