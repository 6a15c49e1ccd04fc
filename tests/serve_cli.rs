//! `ramgate serve` through the binary: the ready line with the real port,
//! health, and a clean exit on SIGTERM that leaves the directory to the
//! next owner.

#![cfg(all(feature = "cli", unix))]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};

mod serve_support;

const BIN: &str = env!("CARGO_BIN_EXE_ramgate");

fn health(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /ramgate/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn serve_once(dir: &std::path::Path) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--wait",
            "0",
            "--data-dir",
        ])
        .arg(dir)
        .env_remove("RAMGATE_ROOT_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("not the ready line: {line:?}"))
        .to_string();
    assert!(!addr.ends_with(":0"), "{addr}");
    let answer = health(&addr);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"uptimeSeconds\""), "{answer}");
    #[cfg(target_os = "linux")]
    assert_threads_named(child.id());
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    // One line per request: id, caller, API, outcome, latency.
    assert!(
        stderr.contains("api=Health outcome=200 latency_ms="),
        "{stderr}"
    );
}

/// Every thread of the server but its main one (the runtime's workers and
/// the blocking thread that answered health) carries the server's thread
/// name, so its CPU can be told apart (`top -H`, the `serve` bench).
#[cfg(target_os = "linux")]
fn assert_threads_named(pid: u32) {
    let names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .filter(|task| task.file_name().to_string_lossy() != pid.to_string())
        .map(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .unwrap()
                .trim_end()
                .to_string()
        })
        .collect();
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| n == ramgate::server::http::THREAD_NAME),
        "{names:?}"
    );
}

#[test]
fn serve_prints_its_port_answers_health_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let init = Command::new(BIN)
        .args([
            "init",
            "--account",
            "1234567890123456",
            "--region",
            "cn-hangzhou",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    serve_once(&data);
    // The lock went with the first server: a second one (waiting 0 s)
    // owns the directory at once.
    serve_once(&data);
}

#[test]
fn audit_show_prints_the_chain_of_one_request() {
    let env = serve_support::Env::new();
    let alice = env.sls("alice", "app");
    assert_eq!(
        alice
            .post_json("/", &serde_json::json!({"projectName": "app"}))
            .status,
        200
    );
    // Carol is allowed only from 10.0.0.0/8: refused at `authorize`.
    let refused = env.sls("carol", "app").post_json(
        "/logstores",
        &serde_json::json!({"logstoreName": "carols", "shardCount": 1}),
    );
    assert_eq!(refused.status, 401);
    let id = refused.header("x-log-requestid").unwrap().to_string();
    let shown = Command::new(BIN)
        .args(["audit", "show", "--request-id", &id, "--data-dir"])
        .arg(env.dir.path())
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("create_logstore"))
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("authorize: ImplicitDeny"), "{text}");
    assert!(!text.contains("create_project"), "{text}");
}
