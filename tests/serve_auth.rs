//! Authentication over HTTP: every failure code, each a 4xx with the
//! scheme's error body and a request id, the health page without
//! credentials, and a graceful shutdown that releases the directory.

#![cfg(feature = "server")]

mod serve_support;

use std::sync::Arc;

use ramgate::logstore::LogService;
use ramgate::ram::SystemClock;
use ramgate::server::credentials::StaticCredentials;
use ramgate::server::http::{Server, ServerHandle};
use serve_support::*;
use time::Duration;

#[test]
fn every_sls_authentication_failure_has_its_code_and_a_4xx() {
    let env = Env::new();
    let good = env.sls("alice", "app");
    let mut wrong_secret = good.clone();
    wrong_secret.secret = "not-the-secret".into();
    let mut unknown = good.clone();
    unknown.access_key_id = "AKnobody".into();
    let mut skewed = good.clone();
    skewed.skew = Duration::minutes(16);
    let mut late = good.clone();
    late.skew = Duration::minutes(-16);
    env.credentials.set_active("AKbob", false);
    let inactive = env.sls("bob", "app");
    let cases = [
        (wrong_secret.get("/", &[]), 401, "SignatureNotMatch"),
        (unknown.get("/", &[]), 403, "InvalidAccessKeyId.NotFound"),
        (inactive.get("/", &[]), 403, "InvalidAccessKeyId.Inactive"),
        (skewed.get("/", &[]), 400, "RequestTimeExpired"),
        (late.get("/", &[]), 400, "RequestTimeExpired"),
    ];
    for (r, status, code) in cases {
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{}",
            r.message()
        );
        assert!(r.header("x-log-requestid").is_some());
    }
    // The mismatch says what the server signed, never the secret.
    let r = wrong_secret.get("/", &[]);
    assert!(
        r.message().contains("string to sign is:GET\n"),
        "{}",
        r.message()
    );
    assert!(!r.message().contains("alice-secret"));
    // Fourteen minutes of skew is still fresh (here: the project is
    // simply missing).
    let mut near = good.clone();
    near.skew = Duration::minutes(14);
    assert_eq!(near.get("/", &[]).code(), "ProjectNotExist");
    // No credentials at all.
    let bare = send(
        env.addr(),
        "GET /logstores",
        &[("Host".into(), "app.127.0.0.1".into())],
        b"",
    );
    assert_eq!((bare.status, bare.code().as_str()), (401, "Unauthorized"));
}

#[test]
fn pop_requests_are_authenticated_and_a_nonce_is_used_once() {
    let env = Env::new();
    let addr = env.addr();
    let ok = pop_rpc(
        addr,
        "alice",
        "alice-secret",
        "DescribeKey",
        "nonce-1",
        Duration::ZERO,
    );
    // Authenticated, then answered by the POP layer (which may not serve
    // the action yet): never an authentication code.
    assert!(
        (400..500).contains(&ok.status) || ok.status == 200,
        "{}",
        ok.status
    );
    assert!(ok.json().get("RequestId").is_some(), "{:?}", ok.json());
    let replay = pop_rpc(
        addr,
        "alice",
        "alice-secret",
        "DescribeKey",
        "nonce-1",
        Duration::ZERO,
    );
    assert_eq!(
        (replay.status, replay.code().as_str()),
        (400, "SignatureNonceUsed")
    );
    let cases = [
        (
            pop_rpc(addr, "alice", "wrong", "DescribeKey", "n2", Duration::ZERO),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            pop_rpc(addr, "nobody", "x", "DescribeKey", "n3", Duration::ZERO),
            403,
            "InvalidAccessKeyId.NotFound",
        ),
        (
            pop_rpc(
                addr,
                "alice",
                "alice-secret",
                "DescribeKey",
                "n4",
                Duration::minutes(20),
            ),
            400,
            "InvalidTimeStamp.Expired",
        ),
    ];
    for (r, status, code) in cases {
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{}",
            r.message()
        );
        let v = r.json();
        for key in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(v.get(key).is_some(), "{key}: {v}");
        }
    }
    // The old core SDK splits this message on `:`.
    let bad = pop_rpc(addr, "alice", "wrong", "DescribeKey", "n5", Duration::ZERO);
    assert!(
        bad.message().contains("string to sign is:POST&%2F&"),
        "{}",
        bad.message()
    );
    env.credentials.set_active("AKalice", false);
    let off = pop_rpc(
        addr,
        "alice",
        "alice-secret",
        "DescribeKey",
        "n6",
        Duration::ZERO,
    );
    assert_eq!(off.code(), "InvalidAccessKeyId.Inactive");
}

#[test]
fn health_needs_no_credentials() {
    let env = Env::new();
    let r = send(
        env.addr(),
        "GET /ramgate/health",
        &[("Host".into(), "127.0.0.1".into())],
        b"",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["dataDir"], env.dir.path().display().to_string());
    assert!(v["uptimeSeconds"].is_u64());
}

#[test]
fn shutdown_releases_the_directory_for_the_next_server() {
    let mut env = Env::new();
    // While the server runs, the directory is owned.
    let busy = LogService::open(env.dir.path(), Arc::new(SystemClock), options());
    assert!(busy.is_err());
    env.server.take().unwrap().shutdown().unwrap();
    let svc = LogService::open(env.dir.path(), Arc::new(SystemClock), options()).unwrap();
    let server = Server::new(svc, Arc::new(StaticCredentials::new())).log_requests(false);
    let again = ServerHandle::start(server, "127.0.0.1:0".parse().unwrap()).unwrap();
    let r = send(again.addr(), "GET /ramgate/health", &[], b"");
    assert_eq!(r.status, 200);
    again.shutdown().unwrap();
}
