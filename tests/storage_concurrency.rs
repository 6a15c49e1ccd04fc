//! Many callers inside one owner: 8 writers × 500 `put_logs` on 4 shards of
//! a BYOK and a service-key Logstore, 2 readers pulling all the time, and a
//! thread that disables and re-enables the CMK every 50 ms. Only outcomes
//! are asserted, never timings.

#![cfg(feature = "logstore")]

mod logstore_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use logstore_support::*;

use ramgate::logstore::{Log, LogError, LogGroup, LogService, LogstoreConfig};

const WRITERS: u32 = 8;
const PUTS: u32 = 500;
const SHARDS: u32 = 4;

fn tagged(tag: &str) -> LogGroup {
    LogGroup {
        topic: tag.to_string(),
        source: "10.0.0.1".into(),
        tags: vec![],
        logs: vec![Log {
            time: 1_700_000_000,
            contents: vec![("w".into(), tag.to_string())],
        }],
    }
}

/// An acknowledged write: (logstore, shard, seq) → the group's tag.
type Acks = BTreeMap<(String, u32, u64), String>;

#[test]
fn s2_d3_concurrent_writers_readers_and_revocation_keep_every_promise() {
    let env = Env::new();
    for (name, conf) in [
        ("byok", env.byok("m4")),
        ("svc", Env::service_key("default")),
    ] {
        let config = LogstoreConfig {
            ttl: None,
            name: name.into(),
            shard_count: SHARDS,
            encrypt_conf: Some(conf),
        };
        env.svc
            .create_logstore(&user("alice"), "app", &config)
            .unwrap();
    }
    let svc: LogService = env.svc.clone();
    let cmk = env.cmk.clone();
    // Odd: a `disable_key` has returned and no `enable_key` has started.
    let phase = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let versions: Arc<Mutex<BTreeMap<u64, &'static str>>> = Arc::default();
    versions
        .lock()
        .unwrap()
        .insert(svc.kms().state_version(), "Enabled");
    let acks: Arc<Mutex<Acks>> = Arc::default();
    let violations: Arc<Mutex<Vec<String>>> = Arc::default();

    std::thread::scope(|scope| {
        let toggler = {
            let (svc, phase, done, versions) = (&svc, &phase, &done, &versions);
            let cmk = cmk.clone();
            scope.spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    svc.with_kms_caller(&root(), |kms, c| kms.disable_key(c, &cmk))
                        .unwrap();
                    versions
                        .lock()
                        .unwrap()
                        .insert(svc.kms().state_version(), "Disabled");
                    phase.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    phase.fetch_add(1, Ordering::SeqCst);
                    svc.with_kms_caller(&root(), |kms, c| kms.enable_key(c, &cmk))
                        .unwrap();
                    versions
                        .lock()
                        .unwrap()
                        .insert(svc.kms().state_version(), "Enabled");
                }
            })
        };
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (svc, done, violations) = (&svc, &done, &violations);
                scope.spawn(move || {
                    let mut pulls = 0u64;
                    while !done.load(Ordering::SeqCst) {
                        for store in ["byok", "svc"] {
                            let shard = (pulls % u64::from(SHARDS)) as u32;
                            match svc.pull_logs(&user("alice"), "app", store, shard, 0, 50) {
                                Ok(p) => {
                                    for (i, g) in p.groups.iter().enumerate() {
                                        if g.seq != i as u64 || !g.group.topic.starts_with('t') {
                                            violations.lock().unwrap().push(format!(
                                                "reader {r}: {store}/{shard} block {i} is {g:?}"
                                            ));
                                        }
                                    }
                                }
                                Err(LogError::KeyUnavailable { .. }) if store == "byok" => {}
                                Err(e) => violations
                                    .lock()
                                    .unwrap()
                                    .push(format!("reader {r}: {store}: {e}")),
                            }
                            pulls += 1;
                        }
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (svc, phase, acks, violations) = (&svc, &phase, &acks, &violations);
                scope.spawn(move || {
                    for i in 0..PUTS {
                        let store = if i % 2 == 0 { "byok" } else { "svc" };
                        let tag = format!("t{t}-{i}");
                        let started = phase.load(Ordering::SeqCst);
                        let put = svc.put_logs(
                            &user("alice"),
                            "app",
                            store,
                            Some(i % SHARDS),
                            &tagged(&tag),
                        );
                        let ended = phase.load(Ordering::SeqCst);
                        match put {
                            Ok(r) => {
                                if store == "byok" && started % 2 == 1 && ended == started {
                                    violations.lock().unwrap().push(format!(
                                        "{tag} succeeded while the CMK was disabled"
                                    ));
                                }
                                let before = acks
                                    .lock()
                                    .unwrap()
                                    .insert((store.to_string(), r.shard, r.seq), tag.clone());
                                if let Some(other) = before {
                                    violations.lock().unwrap().push(format!(
                                        "{store} ({}, {}) acknowledged for {other} and {tag}",
                                        r.shard, r.seq
                                    ));
                                }
                            }
                            Err(LogError::KeyUnavailable { .. }) if store == "byok" => {}
                            Err(e) => violations.lock().unwrap().push(format!("{tag}: {e}")),
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
        toggler.join().unwrap();
    });
    let violations = violations.lock().unwrap().clone();
    assert!(violations.is_empty(), "{violations:#?}");

    // Every acknowledged group reads back exactly, and nothing else is there.
    let acks = acks.lock().unwrap().clone();
    let svc_acks = acks.keys().filter(|(s, _, _)| s == "svc").count();
    assert_eq!(
        svc_acks,
        (WRITERS * PUTS / 2) as usize,
        "every service-key put succeeds"
    );
    assert!(acks.len() > svc_acks, "some BYOK puts succeed");
    for store in ["byok", "svc"] {
        for shard in 0..SHARDS {
            let pulled = svc
                .pull_logs(&user("alice"), "app", store, shard, 0, u32::MAX)
                .unwrap();
            let expected: Vec<(u64, String)> = acks
                .iter()
                .filter(|((s, sh, _), _)| s == store && *sh == shard)
                .map(|((_, _, seq), tag)| (*seq, tag.clone()))
                .collect();
            let got: Vec<(u64, String)> = pulled
                .groups
                .iter()
                .map(|g| (g.seq, g.group.topic.clone()))
                .collect();
            assert_eq!(got, expected, "{store} shard {shard}");
            for g in &pulled.groups {
                assert_eq!(g.group, tagged(&g.group.topic));
            }
        }
    }

    // A BYOK write succeeded exactly when its audit record names a key
    // state version in which the CMK was enabled.
    let versions = versions.lock().unwrap().clone();
    let records = ramgate::logstore::verify_audit_log(&svc.audit_path()).unwrap();
    let mut checked = BTreeSet::new();
    for r in &records {
        let e = &r.event;
        if e["op"] != "put_logs" || e["target"]["logstore"] != "byok" {
            continue;
        }
        let version = e["versions"]["kms"]
            .as_u64()
            .expect("a BYOK write names its key state");
        let state = versions
            .range(..=version)
            .next_back()
            .map(|(_, s)| *s)
            .unwrap();
        let allowed = e["outcome"] == "allowed";
        assert_eq!(
            allowed,
            state == "Enabled",
            "record {}: version {version}",
            r.seq
        );
        checked.insert(allowed);
    }
    assert_eq!(checked.len(), 2, "both outcomes were seen");
}
