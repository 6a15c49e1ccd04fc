//! Bounded memory whatever the size on disk (C1): a directory with an
//! audit log of 50,000 records and a shard of 50,000 blocks, then
//! `ram show`, `log put-logs` and `log pull-logs --count 10` in child
//! processes, each one's peak RSS under 64 MiB.
//!
//! The peak is the child's `getrusage` (`ru_maxrss`, through `/usr/bin/time
//! -f %M`); where that tool is missing, the child runs under a 64 MiB data
//! limit (`ulimit -d`) and must still succeed. It takes about 20 s in a
//! debug build, so it is ignored by default; `.ci/run` runs it:
//!
//!     cargo test --test storage_memory -- --ignored

#![cfg(feature = "cli")]

mod logstore_support;

use std::process::Command;

use logstore_support::*;
use ramgate::logstore::LogstoreConfig;

const RECORDS: u32 = 50_000;
const LIMIT_KIB: u64 = 64 * 1024;

#[test]
#[ignore = "builds 50,000 blocks; run by .ci/run"]
fn c1_commands_stay_under_64_mib_on_a_large_directory() {
    let mut env = Env::new();
    let config = LogstoreConfig {
        ttl: None,
        name: "big".into(),
        shard_count: 1,
        encrypt_conf: Some(Env::service_key("default")),
    };
    env.svc
        .create_logstore(&user("alice"), "app", &config)
        .unwrap();
    // Written through a non-durable open: this is about size, not crashes.
    env.reopen_without_fsync();
    for n in 0..RECORDS {
        env.svc
            .put_logs(&root(), "app", "big", Some(0), &group(n))
            .unwrap();
    }
    // The children own the directory now: let go of its lock, keep it.
    let Env { dir: tmp, svc, .. } = env;
    drop(svc);
    let dir = tmp.path().to_path_buf();
    let g = r#"{"logs": [{"time": 1700000000, "contents": [["k", "v"]]}]}"#;
    let commands: [&[&str]; 3] = [
        &["ram", "show"],
        &[
            "log", "put-logs", "app", "big", "--shard", "0", "--group", g,
        ],
        &[
            "log",
            "pull-logs",
            "app",
            "big",
            "--shard",
            "0",
            "--cursor",
            "40000",
            "--count",
            "10",
        ],
    ];
    let timed = std::path::Path::new("/usr/bin/time").exists();
    for args in commands {
        let mut c = if timed {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "peak-rss-kib %M", env!("CARGO_BIN_EXE_ramgate")]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args([
                "-c",
                &format!("ulimit -d {LIMIT_KIB} && exec \"$0\" \"$@\""),
                env!("CARGO_BIN_EXE_ramgate"),
            ]);
            c
        };
        let out = c
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .env_remove("RAMGATE_ROOT_KEY")
            .env_remove("RAMGATE_DATA_DIR")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        if timed {
            let peak: u64 = stderr
                .lines()
                .find_map(|l| l.strip_prefix("peak-rss-kib "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("no peak in {stderr}"));
            assert!(peak < LIMIT_KIB, "{args:?}: peak RSS {peak} KiB");
            eprintln!("{args:?}: peak RSS {peak} KiB");
        }
    }
}
