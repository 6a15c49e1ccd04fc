//! `ramgate demo`, the README's main job, runs from a clean checkout and
//! shows what the seed document promises.

#![cfg(feature = "cli")]

use std::process::Command;

#[test]
fn the_demo_walks_through_the_seed_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(["demo", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "may log.aliyuncs.com assume sls-byok? Allow",
        "may alice assume sls-byok? ImplicitDeny",
        "lint: security-warning pass-role-wildcard",
        "ok: alice creates orders-byok with encrypt_conf {\"enable\":true,\"encrypt_type\":\"m4\"",
        "pass-role: Allow",
        "allowed by role/sls-byok:system/AliyunKMSCryptoUserAccess",
        "refused as it must be: write to orders-byok: KMSKeyUnavailable (403)",
        "refused as it must be: read from orders-byok: KMSKeyUnavailable (403)",
        "Rejected.Disabled",
        "ok: write to orders-svc (service key) still works",
        "all 3 log groups written before the key was disabled are back",
        "refused as it must be: change orders-byok from m4 to default: LogStoreInfoInvalid (400)",
        "refused as it must be: bob creates a BYOK Logstore: Unauthorized (401): the caller is not authorized at step `pass-role`",
        "audit log intact: 20 records (4 refusals)",
        "done: every step behaved as the document says",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("UNEXPECTED"), "{stdout}");
    // The data directory it leaves behind is a real one.
    assert!(data.join("audit.jsonl").exists() && data.join("kms/keys.json").exists());
    // Without --data-dir it cleans up after itself and still passes.
    let out = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
