//! The Logstore report on the seed setup as `ramgate demo` builds it.

#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use ramgate::access::logstore::byok_of;
use ramgate::access::{Analyzer, Location, LogstoreReport, logstore_report, read_data_dir};

fn demo_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("seed");
    let o = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(["demo", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    tmp
}

fn report(dir: &Path) -> LogstoreReport {
    let snapshot = read_data_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    let an = Analyzer::new(&snapshot);
    let at = Location::of(&snapshot).unwrap_or_else(|| panic!("no location"));
    let byok = byok_of(&snapshot, "shop", "orders-byok");
    assert!(byok.is_some());
    logstore_report(&an, &at, "shop", "orders-byok", byok.as_ref())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Section name → principals (short form, hops after `>`).
fn sets(r: &LogstoreReport) -> BTreeMap<&'static str, Vec<String>> {
    r.sections
        .iter()
        .map(|s| {
            let who = s
                .rows
                .iter()
                .map(|row| {
                    let mut p = row.principal.replace("acs:ram::1234567890123456:", "");
                    for v in &row.via {
                        p.push_str(" > ");
                        p.push_str(&v.replace("acs:ram::1234567890123456:", ""));
                    }
                    p
                })
                .collect();
            (s.name, who)
        })
        .collect()
}

/// Every file of a directory with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    out
}

#[test]
fn the_seed_report_has_the_exact_sets() {
    let tmp = demo_dir();
    let dir = tmp.path().join("seed");
    let before = files(&dir);
    let r = report(&dir);
    let everyone = vec!["root".to_string(), "user/alice".into(), "user/bob".into()];
    let expected: BTreeMap<&str, Vec<String>> = [
        ("read", everyone.clone()),
        ("write", everyone.clone()),
        (
            "use-key",
            vec![
                "root".into(),
                "role/sls-byok".into(),
                "log.aliyuncs.com > role/sls-byok".into(),
            ],
        ),
        ("disable-encryption", everyone.clone()),
        ("break", everyone),
        ("pass-role", vec!["root".into(), "user/alice".into()]),
        ("configure-byok", vec!["root".into(), "user/alice".into()]),
    ]
    .into_iter()
    .collect();
    assert_eq!(sets(&r), expected);
    // Reading the plaintext needs Log Service's chain too: every row shows it.
    let read = &r.sections[0];
    for row in &read.rows {
        let steps: Vec<(&str, &str)> = row
            .chain
            .steps
            .iter()
            .map(|s| (s.step.as_str(), s.action.as_str()))
            .collect();
        assert_eq!(
            steps[steps.len() - 2..],
            [
                ("assume-role.trust", "sts:AssumeRole"),
                ("authorize", "kms:Decrypt")
            ]
        );
    }
    // Breaking it: the root may do everything, alice and bob the log side only.
    let breaking = &r.sections[4];
    assert_eq!(breaking.rows[0].actions.len(), 7);
    assert_eq!(
        breaking.rows[1].actions,
        ["log:DeleteLogStore", "log:DeleteProject"]
    );
    // Configuring: log:UpdateLogStore and ram:PassRole, then the service's DescribeKey.
    let alice = &r.sections[6].rows[1];
    let steps: Vec<&str> = alice
        .chain
        .steps
        .iter()
        .map(|s| s.action.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "log:UpdateLogStore",
            "ram:PassRole",
            "sts:AssumeRole",
            "kms:DescribeKey"
        ]
    );
    // Read-only: not a byte of the data directory changed, no lock file left.
    assert_eq!(files(&dir), before);
}

#[test]
fn a_disabled_cmk_leaves_nobody_able_to_read() {
    let tmp = demo_dir();
    let dir = tmp.path().join("seed");
    let keys = dir.join("kms").join("keys.json");
    let text = std::fs::read_to_string(&keys).unwrap_or_default();
    std::fs::write(
        &keys,
        text.replace("\"KeyState\": \"Enabled\"", "\"KeyState\": \"Disabled\""),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = report(&dir);
    let read = &r.sections[0];
    assert!(read.rows.is_empty());
    assert!(
        read.note
            .as_deref()
            .unwrap_or_default()
            .contains("is Disabled"),
        "{:?}",
        read.note
    );
    // Making it gone still works, and so does switching encryption off.
    assert_eq!(r.sections[4].rows.len(), 3);
}
