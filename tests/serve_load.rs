//! Many clients at once: 64 concurrent clients of PutLogs, PullLogs and
//! GetLogs against one server on a durable BYOK Logstore, for a bounded
//! number of requests (not a bounded time: no test waits on the clock).
//! Afterwards no answer was a 5xx, every acknowledged group reads back,
//! and the audit log verifies with one record per write.

#![cfg(feature = "server")]

mod serve_support;

use ramgate::logstore::{Log, LogGroup, verify_audit_log};
use ramgate::server::{body, proto};
use serde_json::json;
use serve_support::*;

const CLIENTS: u32 = 64;
const PUTS_EACH: u32 = 3;

fn lz4_group(client: u32, n: u32) -> (Vec<u8>, usize) {
    use prost::Message as _;
    let group = LogGroup {
        topic: format!("client-{client}"),
        source: "10.1.1.1".into(),
        tags: vec![],
        logs: vec![Log {
            time: 1_700_000_000 + n,
            contents: vec![("n".into(), format!("{client}/{n}"))],
        }],
    };
    let raw = proto::to_wire(&group).encode_to_vec();
    (body::lz4(&raw), raw.len())
}

#[test]
fn sixty_four_clients_lose_nothing_and_never_see_a_5xx() {
    let env = Env::new();
    let alice = env.sls("alice", "app");
    assert_eq!(
        alice.post_json("/", &json!({"projectName": "app"})).status,
        200
    );
    let create = json!({"logstoreName": "load", "shardCount": 4, "encrypt_conf": env.byok()});
    assert_eq!(alice.post_json("/logstores", &create).status, 200);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let alice = alice.clone();
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for n in 0..PUTS_EACH {
                    let (body, raw) = lz4_group(client, n);
                    let r = alice.call(
                        "POST",
                        "/logstores/load/shards/lb",
                        &[],
                        &body,
                        &[
                            ("Content-Type", "application/x-protobuf"),
                            ("x-log-compresstype", "lz4"),
                            ("x-log-bodyrawsize", &raw.to_string()),
                        ],
                    );
                    statuses.push(r.status);
                }
                let shard = format!("/logstores/load/shards/{}", client % 4);
                let pulled = alice.get(&shard, &[("type", "log"), ("cursor", "MA=="), ("count", "10")]);
                statuses.push(pulled.status);
                let q = json!({"from": 1_700_000_000u32, "to": 1_700_000_100u32, "query": "*", "line": 100});
                statuses.push(alice.post_json("/logstores/load/logs", &q).status);
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s < 500), "a 5xx: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Every acknowledged group reads back.
    let mut total = 0;
    for shard in 0..4 {
        let path = format!("/logstores/load/shards/{shard}");
        let mut cursor = "MA==".to_string();
        loop {
            let r = alice.get(
                &path,
                &[("type", "log"), ("cursor", &cursor), ("count", "1000")],
            );
            let count: u32 = r.header("x-log-count").unwrap().parse().unwrap();
            let next = r.header("x-log-cursor").unwrap().to_string();
            total += count;
            if count == 0 || next == cursor {
                break;
            }
            cursor = next;
        }
    }
    assert_eq!(total, CLIENTS * PUTS_EACH);
    let records = verify_audit_log(&env.dir.path().join("audit.jsonl")).unwrap();
    let puts = records
        .iter()
        .filter(|r| r.event["op"] == "put_logs" && r.event["outcome"] == "allowed")
        .count();
    assert_eq!(puts as u32, CLIENTS * PUTS_EACH);
    assert!(
        records
            .iter()
            .filter(|r| r.event["op"] == "put_logs")
            .all(|r| r.event["request_id"].is_string())
    );
}
