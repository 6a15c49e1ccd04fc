#![cfg(feature = "cli")]
//! `ramgate ram create-access-key`, through the binary: the secret is
//! printed once and is in no file of the data directory.

use std::process::Command;

mod pop_support;

fn ramgate(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("RAMGATE_ROOT_KEY")
        .env_remove("RAMGATE_DATA_DIR")
        .output()
        .unwrap()
}

#[test]
fn create_access_key_prints_the_secret_once_and_stores_it_sealed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let init = ramgate(
        &dir,
        &[
            "init",
            "--account",
            "1234567890123456",
            "--region",
            "cn-hangzhou",
        ],
    );
    assert!(init.status.success(), "{init:?}");
    assert!(
        ramgate(&dir, &["ram", "create-user", "alice"])
            .status
            .success()
    );

    let out = ramgate(
        &dir,
        &[
            "ram",
            "create-access-key",
            "--user",
            "alice",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["AccessKeyId"].as_str().unwrap();
    let secret = v["AccessKeySecret"].as_str().unwrap();
    assert!(id.starts_with("LTAI") && id.len() == 24);
    assert_eq!(secret.len(), 30);
    assert_eq!(v.as_object().unwrap().len(), 2);
    assert!(
        !pop_support::in_any_file(&dir, secret),
        "the secret is on disk in plaintext"
    );

    let text = ramgate(&dir, &["ram", "create-access-key", "--root"]);
    assert!(text.status.success(), "{text:?}");
    let shown = String::from_utf8(text.stdout).unwrap();
    assert!(
        shown.contains("AccessKeyId: LTAI") && shown.contains("AccessKeySecret: "),
        "{shown}"
    );

    // An unknown user, and neither --user nor --root.
    let bob = ramgate(&dir, &["ram", "create-access-key", "--user", "bob"]);
    assert_eq!(bob.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bob.stderr).contains("EntityNotExist.User"));
    assert!(
        !ramgate(&dir, &["ram", "create-access-key"])
            .status
            .success()
    );

    // The server's store, opened later on the same directory, resolves it.
    let svc = ramgate::logstore::LogService::open(
        &dir,
        std::sync::Arc::new(ramgate::kms::SystemClock),
        pop_support::options(),
    )
    .unwrap();
    let store = ramgate::server::keystore::KeyStore::open(&svc).unwrap();
    use ramgate::server::credentials::Credentials as _;
    let got = store
        .resolve(id, None, time::OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(got.secret.as_slice(), secret.as_bytes());
    assert_eq!(got.identity, pop_support::user("alice"));
}
