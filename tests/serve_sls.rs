//! The Log Service API over HTTP, in process: each API's success and
//! refusal with the SDK's JSON keys, PutLogs bodies in every compression,
//! PullLogs' headers, GetLogs, the request context in RAM decisions, and
//! no 5xx for any refusal.

#![cfg(feature = "server")]

mod serve_support;

use ramgate::logstore::{Log, LogGroup};
use ramgate::server::proto;
use serde_json::json;
use serve_support::*;

fn group(n: u32) -> LogGroup {
    LogGroup {
        topic: "nginx".into(),
        source: "10.0.0.1".into(),
        tags: vec![("host".into(), "web-1".into())],
        logs: vec![Log {
            time: 1_700_000_000 + n,
            contents: vec![
                ("request".into(), format!("GET /item/{n}")),
                (
                    "status".into(),
                    if n.is_multiple_of(2) { "200" } else { "404" }.into(),
                ),
            ],
        }],
    }
}

/// The LogGroup protobuf the SDK sends.
fn wire_group(n: u32) -> Vec<u8> {
    use prost::Message as _;
    proto::to_wire(&group(n)).encode_to_vec()
}

fn setup() -> (Env, Sls) {
    let env = Env::new();
    let alice = env.sls("alice", "app");
    let r = alice.post_json("/", &json!({"projectName": "app", "description": "d"}));
    assert_eq!(r.status, 200, "{:?}", r.message());
    (env, alice)
}

fn create_store(alice: &Sls, name: &str, conf: Option<serde_json::Value>) {
    let mut body = json!({"logstoreName": name, "ttl": 30, "shardCount": 2, "enable_tracking": false,
        "autoSplit": true, "maxSplitShard": 64, "appendMeta": false, "telemetryType": ""});
    if let Some(c) = conf {
        body["encrypt_conf"] = c;
    }
    let r = alice.call(
        "POST",
        "/logstores",
        &[],
        body.to_string().as_bytes(),
        &[("x-log-bodyrawsize", "0")],
    );
    assert_eq!(r.status, 200, "{}", r.message());
}

fn put(alice: &Sls, store: &str, n: u32) -> Resp {
    let raw = wire_group(n);
    let body = ramgate::server::body::lz4(&raw);
    alice.call(
        "POST",
        &format!("/logstores/{store}/shards/lb"),
        &[],
        &body,
        &[
            ("Content-Type", "application/x-protobuf"),
            ("x-log-compresstype", "lz4"),
            ("x-log-bodyrawsize", &raw.len().to_string()),
        ],
    )
}

#[test]
fn projects_are_created_read_listed_and_deleted() {
    let (env, alice) = setup();
    let got = alice.get("/", &[]);
    assert_eq!(got.status, 200);
    let v = got.json();
    for key in [
        "status",
        "description",
        "projectName",
        "region",
        "owner",
        "createTime",
        "lastModifyTime",
    ] {
        assert!(v.get(key).is_some(), "GetProject lacks {key}");
    }
    assert_eq!(v["projectName"], "app");
    assert!(
        got.header("x-log-requestid")
            .is_some_and(|id| id.len() == 36)
    );
    let again = alice.post_json("/", &json!({"projectName": "app"}));
    assert_eq!(
        (again.status, again.code().as_str()),
        (400, "ProjectAlreadyExist")
    );
    // ListProject: no project in `Host`.
    let mut lister = env.sls("alice", "x");
    lister.host = "127.0.0.1".into();
    let list = lister.get("/", &[]);
    assert_eq!(list.json()["total"], 1);
    assert_eq!(list.json()["projects"][0]["projectName"], "app");
    let missing = env.sls("alice", "nope").get("/", &[]);
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "ProjectNotExist")
    );
    assert_eq!(alice.call("DELETE", "/", &[], b"", &[]).status, 200);
    assert_eq!(alice.get("/", &[]).code(), "ProjectNotExist");
}

#[test]
fn logstores_echo_encrypt_conf_and_keep_todays_update_rules() {
    let (env, alice) = setup();
    create_store(&alice, "byok", Some(env.byok()));
    create_store(&alice, "plain", None);
    let got = alice.get("/logstores/byok", &[]).json();
    for key in [
        "logstoreName",
        "ttl",
        "shardCount",
        "enable_tracking",
        "appendMeta",
        "autoSplit",
        "maxSplitShard",
    ] {
        assert!(got.get(key).is_some(), "GetLogStore lacks {key}");
    }
    assert_eq!(got["encrypt_conf"], env.byok());
    assert!(
        alice
            .get("/logstores/plain", &[])
            .json()
            .get("encrypt_conf")
            .is_none()
    );
    let list = alice
        .get("/logstores", &[("offset", "0"), ("size", "100")])
        .json();
    assert_eq!(
        (list["count"].clone(), list["total"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(list["logstores"], json!(["byok", "plain"]));
    let some = alice.get("/logstores", &[("logstoreName", "pla")]).json();
    assert_eq!(some["logstores"], json!(["plain"]));
    // An encrypted Logstore's update without `encrypt_conf` is refused...
    let bare = json!({"logstoreName": "byok", "ttl": 30, "shardCount": 2});
    let r = alice.call(
        "PUT",
        "/logstores/byok",
        &[],
        bare.to_string().as_bytes(),
        &[],
    );
    assert_eq!((r.status, r.code().as_str()), (400, "LogStoreInfoInvalid"));
    assert!(!r.message().contains("redundant key exist in json"));
    // ...and so is a change of `encrypt_type`.
    let mut m4 = env.byok();
    m4["encrypt_type"] = json!("m4");
    let body = json!({"logstoreName": "byok", "shardCount": 2, "encrypt_conf": m4});
    let r = alice.call(
        "PUT",
        "/logstores/byok",
        &[],
        body.to_string().as_bytes(),
        &[],
    );
    assert!((400..500).contains(&r.status), "{}", r.status);
    // Switching it off is allowed and shows.
    let mut off = env.byok();
    off["enable"] = json!(false);
    let body = json!({"logstoreName": "byok", "shardCount": 2, "encrypt_conf": off});
    let r = alice.call(
        "PUT",
        "/logstores/byok",
        &[],
        body.to_string().as_bytes(),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.message());
    assert_eq!(
        alice.get("/logstores/byok", &[]).json()["encrypt_conf"],
        off
    );
    assert_eq!(
        alice
            .call("DELETE", "/logstores/plain", &[], b"", &[])
            .status,
        200
    );
    let gone = alice.get("/logstores/plain", &[]);
    assert_eq!(
        (gone.status, gone.code().as_str()),
        (404, "LogStoreNotExist")
    );
}

#[test]
fn byok_without_pass_role_is_refused_naming_the_step() {
    let (env, _) = setup();
    let bob = env.sls("bob", "app");
    let body = json!({"logstoreName": "bobs", "shardCount": 1, "encrypt_conf": env.byok()});
    let r = bob.post_json("/logstores", &body);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "Unauthorized"),
        "{}",
        r.message()
    );
    assert!(r.message().contains("pass-role"), "{}", r.message());
    assert!(
        r.message().contains("no statement applies"),
        "{}",
        r.message()
    );
}

#[test]
fn put_pull_and_get_logs_round_trip_through_byok() {
    let (env, alice) = setup();
    create_store(&alice, "byok", Some(env.byok()));
    for n in 0..4 {
        let r = put(&alice, "byok", n);
        assert_eq!(r.status, 200, "{}", r.message());
    }
    let shards = alice.get("/logstores/byok/shards", &[]).json();
    assert_eq!(shards.as_array().map(Vec::len), Some(2));
    assert_eq!(shards[0]["shardID"], 0);
    assert_eq!(shards[0]["status"], "readwrite");
    let mut seen = 0;
    for shard in ["0", "1"] {
        let path = format!("/logstores/byok/shards/{shard}");
        let begin = alice
            .get(&path, &[("type", "cursor"), ("from", "begin")])
            .json()["cursor"]
            .as_str()
            .unwrap()
            .to_string();
        let end = alice
            .get(&path, &[("type", "cursor"), ("from", "end")])
            .json()["cursor"]
            .as_str()
            .unwrap()
            .to_string();
        let pulled = alice.call(
            "GET",
            &path,
            &[("type", "log"), ("cursor", &begin), ("count", "100")],
            b"",
            &[
                ("Accept", "application/x-protobuf"),
                ("Accept-Encoding", "lz4"),
            ],
        );
        assert_eq!(pulled.status, 200);
        let count: usize = pulled.header("x-log-count").unwrap().parse().unwrap();
        let raw_size: usize = pulled.header("x-log-bodyrawsize").unwrap().parse().unwrap();
        assert_eq!(pulled.header("x-log-cursor"), Some(end.as_str()));
        if count > 0 {
            assert_eq!(pulled.header("x-log-compresstype"), Some("lz4"));
            let raw = lz4_flex::block::decompress(&pulled.body, raw_size).unwrap();
            use prost::Message as _;
            let list = proto::LogGroupList::decode(&raw[..]).unwrap();
            assert_eq!(list.log_groups.len(), count);
        }
        seen += count;
        // At the end: the same cursor back and nothing.
        let at_end = alice.get(&path, &[("type", "log"), ("cursor", &end), ("count", "10")]);
        assert_eq!(at_end.header("x-log-count"), Some("0"));
        assert_eq!(at_end.header("x-log-bodyrawsize"), Some("0"));
        assert_eq!(at_end.header("x-log-cursor"), Some(end.as_str()));
    }
    assert_eq!(seen, 4);
    let q = |query: &str| {
        let body = json!({"from": 1_700_000_000u32, "to": 1_700_000_010u32, "line": 100, "offset": 0,
            "query": query, "reverse": false, "powerSql": false});
        alice.post_json("/logstores/byok/logs", &body)
    };
    let all = q("*").json();
    assert_eq!(all["meta"]["progress"], "Complete");
    assert_eq!(all["data"].as_array().map(Vec::len), Some(4));
    assert_eq!(all["data"][0]["__time__"], "1700000000");
    assert_eq!(all["data"][0]["__source__"], "10.0.0.1");
    assert_eq!(all["data"][0]["request"], "GET /item/0");
    let not_found = q("status: 404").json();
    assert_eq!(not_found["data"].as_array().map(Vec::len), Some(2));
    let sql = q("* | select count(*)");
    assert_eq!((sql.status, sql.code().as_str()), (400, "ParameterInvalid"));
}

#[test]
fn put_logs_takes_every_compression_and_routes_by_hash_key() {
    use std::io::Write as _;
    let (_env, alice) = setup();
    create_store(&alice, "plain", None);
    let raw = wire_group(7);
    let n = raw.len().to_string();
    let zstd =
        ruzstd::encoding::compress_to_vec(&raw[..], ruzstd::encoding::CompressionLevel::Fastest);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&raw).unwrap();
    let deflate = z.finish().unwrap();
    let bodies: [(&[u8], Option<&str>); 3] = [
        (&raw, None),
        (&zstd, Some("zstd")),
        (&deflate, Some("deflate")),
    ];
    for (body, kind) in bodies {
        let mut extra = vec![
            ("Content-Type", "application/x-protobuf"),
            ("x-log-bodyrawsize", n.as_str()),
        ];
        if let Some(k) = kind {
            extra.push(("x-log-compresstype", k));
        }
        let r = alice.call("POST", "/logstores/plain/shards/lb", &[], body, &extra);
        assert_eq!(r.status, 200, "{kind:?}: {}", r.message());
    }
    // The upper half of the hash space is shard 1 of 2.
    let r = alice.call(
        "POST",
        "/logstores/plain/shards/route",
        &[("key", "ffffffffffffffffffffffffffffffff")],
        &raw,
        &[("Content-Type", "application/x-protobuf")],
    );
    assert_eq!(r.status, 200, "{}", r.message());
    let end1 = alice.get(
        "/logstores/plain/shards/1",
        &[("type", "cursor"), ("from", "end")],
    );
    let end0 = alice.get(
        "/logstores/plain/shards/0",
        &[("type", "cursor"), ("from", "end")],
    );
    let seq = |r: &Resp| {
        ramgate::server::sls::cursor::decode(r.json()["cursor"].as_str().unwrap()).unwrap()
    };
    assert_eq!(seq(&end0) + seq(&end1), 4);
    assert!(seq(&end1) >= 1);
    // A lying raw size, a bad body, a body over the limit: 4xx each.
    let lying = alice.call(
        "POST",
        "/logstores/plain/shards/lb",
        &[],
        &ramgate::server::body::lz4(&raw),
        &[
            ("x-log-compresstype", "lz4"),
            ("x-log-bodyrawsize", "4294967296"),
        ],
    );
    assert_eq!(
        (lying.status, lying.code().as_str()),
        (400, "PostBodyTooLarge")
    );
    let junk = alice.call(
        "POST",
        "/logstores/plain/shards/lb",
        &[],
        b"\xff\xff\xff",
        &[],
    );
    assert_eq!(
        (junk.status, junk.code().as_str()),
        (400, "PostBodyInvalid")
    );
    let huge = vec![b'a'; 5 * 1024 * 1024];
    let big = alice.call("POST", "/logstores/plain/shards/lb", &[], &huge, &[]);
    assert_eq!((big.status, big.code().as_str()), (400, "PostBodyTooLarge"));
}

#[test]
fn the_connection_is_the_request_context_of_ram_decisions() {
    let (env, alice) = setup();
    create_store(&alice, "plain", None);
    // Carol is allowed only from 10.0.0.0/8; the test connects from
    // 127.0.0.1.
    let carol = env.sls("carol", "app");
    let r = put(&carol, "plain", 1);
    assert_eq!((r.status, r.code().as_str()), (401, "Unauthorized"));
    assert!(r.message().contains("authorize"), "{}", r.message());
    let id = r.header("x-log-requestid").unwrap().to_string();
    // The audit record names the request and the context it was decided in.
    let audit = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    let line = audit
        .lines()
        .find(|l| l.contains(&id))
        .expect("the request's record");
    assert!(line.contains("127.0.0.1"), "{line}");
    assert!(line.contains("acs:SourceIp"), "{line}");
}

#[test]
fn refusals_are_4xx_with_the_sdk_error_body_and_a_request_id() {
    let (_env, alice) = setup();
    let cases = [
        alice.get("/logstores/none", &[]),
        alice.get(
            "/logstores/none/shards/0",
            &[("type", "cursor"), ("from", "never")],
        ),
        alice.get("/logstores/none/shards/x", &[("type", "log")]),
        alice.get("/nowhere", &[]),
        alice.call("POST", "/logstores", &[], b"not json", &[]),
        alice.call("PUT", "/logstores/none", &[], b"{}", &[]),
    ];
    for r in cases {
        assert!(
            (400..500).contains(&r.status),
            "{} {:?}",
            r.status,
            r.json()
        );
        assert!(!r.code().is_empty(), "{:?}", r.json());
        assert!(r.json().get("errorMessage").is_some());
        assert!(r.header("x-log-requestid").is_some());
    }
}

#[test]
fn absolute_form_targets_route_as_through_a_proxy() {
    let (_env, mut alice) = setup();
    alice.absolute = true;
    alice.host = "app.sls.local".into();
    let r = alice.get("/", &[]);
    assert_eq!(r.status, 200, "{}", r.message());
    assert_eq!(r.json()["projectName"], "app");
}

/// The audit records of one request, by its id.
fn records_of(env: &Env, r: &Resp) -> Vec<serde_json::Value> {
    let id = r.header("x-log-requestid").unwrap();
    std::fs::read_to_string(env.dir.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(id))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The SDK's UpdateLogStore: the whole configuration, `ttl` included.
fn update_ttl(alice: &Sls, conf: &serde_json::Value, ttl: u32) -> Resp {
    let body = json!({"logstoreName": "byok", "ttl": ttl, "shardCount": 2, "autoSplit": true,
        "maxSplitShard": 64, "appendMeta": false, "encrypt_conf": conf});
    alice.call(
        "PUT",
        "/logstores/byok",
        &[],
        body.to_string().as_bytes(),
        &[],
    )
}

/// Regression: UpdateLogStore wrote two audit records (and two catalog
/// versions), the update and then `ttl` on its own, even with `ttl`
/// unchanged.
#[test]
fn update_logstore_with_ttl_is_one_audited_update() {
    let (env, alice) = setup();
    create_store(&alice, "byok", Some(env.byok()));
    let r = update_ttl(&alice, &env.byok(), 7);
    assert_eq!(r.status, 200, "{}", r.message());
    let records = records_of(&env, &r);
    assert_eq!(records.len(), 1, "{records:?}");
    let text = records[0].to_string();
    assert!(text.contains("update_logstore"), "{text}");
    assert!(text.contains(r#""ttl":7"#), "{text}");
    assert_eq!(alice.get("/logstores/byok", &[]).json()["ttl"], 7);
    // The same ttl again: still one record, and it records no ttl change.
    let again = update_ttl(&alice, &env.byok(), 7);
    assert_eq!(again.status, 200, "{}", again.message());
    let records = records_of(&env, &again);
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!records[0].to_string().contains(r#""ttl""#), "{records:?}");
    // A ttl out of range changes nothing, encryption included.
    let mut off = env.byok();
    off["enable"] = json!(false);
    let bad = update_ttl(&alice, &off, 0);
    assert_eq!(bad.status, 400, "{}", bad.message());
    let got = alice.get("/logstores/byok", &[]).json();
    assert_eq!(
        (got["ttl"].clone(), got["encrypt_conf"].clone()),
        (json!(7), env.byok())
    );
}
