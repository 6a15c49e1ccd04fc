//! The key store on disk: what survives a reopen, where the root key comes
//! from, and what happens when files are missing, wrong or half-written.

#![cfg(feature = "kms")]

mod kms_support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use kms_support::{ACCOUNT, Fixture, REGION, as_account};
use ramgate::kms::{
    DataKeySpec, EncryptionContext, KeySpec, KeyState, Kms, KmsError, ROOT_KEY_ENV, RootKeySource,
    SystemClock,
};

const HEX_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const HEX_B: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn open_with(dir: &Path, root: RootKeySource) -> Result<Kms, KmsError> {
    Kms::open_with_root_key(dir, REGION, ACCOUNT, Arc::new(SystemClock), root)
}

#[test]
fn keys_states_and_blobs_survive_a_reopen() {
    let f = Fixture::new();
    let aes = f.key(KeySpec::AliyunAes256).key_id.to_string();
    let sm4 = f.key(KeySpec::AliyunSm4).key_id.to_string();
    let ctx = EncryptionContext::from_pairs([("a", "b")]).unwrap();
    let blobs: Vec<_> = [&aes, &sm4]
        .iter()
        .map(|id| {
            f.kms
                .generate_data_key(&as_account(), id, DataKeySpec::AES_128, &ctx)
                .unwrap()
        })
        .collect();
    f.kms.disable_key(&as_account(), &sm4).unwrap();
    f.kms.schedule_key_deletion(&as_account(), &aes, 9).unwrap();
    let before = [
        f.kms.describe_key(&as_account(), &aes).unwrap(),
        f.kms.describe_key(&as_account(), &sm4).unwrap(),
    ];

    let f = f.reopen();
    let after = [
        f.kms.describe_key(&as_account(), &aes).unwrap(),
        f.kms.describe_key(&as_account(), &sm4).unwrap(),
    ];
    assert_eq!(before, after);
    f.kms.cancel_key_deletion(&as_account(), &aes).unwrap();
    f.kms.enable_key(&as_account(), &sm4).unwrap();
    for out in &blobs {
        let opened = f
            .kms
            .decrypt(&as_account(), &out.ciphertext_blob, &ctx)
            .unwrap();
        assert_eq!(opened.plaintext.expose(), out.plaintext.expose());
    }
}

#[cfg(unix)]
#[test]
fn the_root_key_file_is_made_once_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    f.key(KeySpec::AliyunSm4);
    let root = f.dir.path().join("root.key");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o600);
    assert_eq!(mode(&f.dir.path().join("keys.json")), 0o600);
    let text = fs::read_to_string(&root).unwrap();
    assert_eq!(text.len(), 64);
    assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
    let f = f.reopen();
    assert_eq!(fs::read_to_string(&root).unwrap(), text, "not made again");
    assert_eq!(
        f.kms.list_keys(&as_account(), 1, 10).unwrap().total_count,
        1
    );
    // A directory ramgate makes is private too.
    let nested = f.dir.path().join("data/kms");
    open_with(&nested, RootKeySource::data_dir()).unwrap();
    assert_eq!(mode(&nested), 0o700);
}

#[test]
fn a_store_without_its_root_key_is_an_error_not_a_new_store() {
    let f = Fixture::new();
    f.key(KeySpec::AliyunAes256);
    fs::remove_file(f.dir.path().join("root.key")).unwrap();
    let err = open_with(f.dir.path(), RootKeySource::data_dir()).unwrap_err();
    assert!(matches!(err, KmsError::MissingRootKey(_)), "{err}");
    assert_eq!((err.code(), err.http_status()), ("InternalFailure", 500));
    assert!(!f.dir.path().join("root.key").exists());
}

#[test]
fn a_given_root_key_opens_only_its_own_store() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open_with(dir.path(), RootKeySource::hex(HEX_A)).unwrap();
    let id = kms
        .create_key(&as_account(), KeySpec::AliyunSm4, Default::default(), "")
        .unwrap()
        .key_id;
    drop(kms);
    assert!(!dir.path().join("root.key").exists(), "no root.key is made");

    // Upper case and a trailing newline are the same key.
    let again = open_with(
        dir.path(),
        RootKeySource::hex(format!("{}\n", HEX_A.to_uppercase())),
    );
    assert_eq!(
        again
            .unwrap()
            .describe_key(&as_account(), &id.to_string())
            .unwrap()
            .key_id,
        id
    );

    let err = open_with(dir.path(), RootKeySource::hex(HEX_B)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the root key does not open the key material of key `{id}` in the key store")
    );
    let err = open_with(dir.path(), RootKeySource::data_dir()).unwrap_err();
    assert!(matches!(err, KmsError::MissingRootKey(_)));

    let key_file = dir.path().join("elsewhere.key");
    fs::write(&key_file, HEX_A).unwrap();
    open_with(dir.path(), RootKeySource::file(&key_file)).unwrap();
    let err = open_with(dir.path(), RootKeySource::file(dir.path().join("nope"))).unwrap_err();
    assert!(matches!(err, KmsError::Io { .. }), "{err}");
}

#[test]
fn a_malformed_root_key_is_refused_without_being_quoted() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [&HEX_A[..63], &HEX_A[..62], "zz", ""] {
        let err = open_with(dir.path(), RootKeySource::hex(bad)).unwrap_err();
        assert_eq!(err.code(), "InternalFailure");
        assert!(
            err.to_string()
                .starts_with("invalid root key from the given hex root key: ")
        );
        if !bad.is_empty() {
            assert!(!err.to_string().contains(bad));
        }
    }
    assert!(!format!("{:?}", RootKeySource::hex(HEX_A)).contains(HEX_A));
}

#[test]
fn a_store_belongs_to_one_region_and_account() {
    let f = Fixture::new();
    f.key(KeySpec::AliyunAes256);
    let err = Kms::open_with_root_key(
        f.dir.path(),
        "cn-shanghai",
        ACCOUNT,
        Arc::new(SystemClock),
        RootKeySource::data_dir(),
    )
    .unwrap_err();
    assert!(err.to_string().ends_with(&format!(
        "belongs to `{REGION}:{ACCOUNT}`, not `cn-shanghai:{ACCOUNT}`"
    )));
}

#[test]
fn a_corrupt_or_truncated_store_is_an_error_not_an_empty_store() {
    let f = Fixture::new();
    f.key(KeySpec::AliyunAes256);
    let path = f.dir.path().join("keys.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = open_with(f.dir.path(), RootKeySource::data_dir()).unwrap_err();
    assert!(matches!(err, KmsError::CorruptStore { .. }), "{err}");
    // A sealed material with one hex digit changed does not open.
    let i = text.find("\"sealed_material\": \"").unwrap() + 21;
    let mut altered = text.clone().into_bytes();
    altered[i] = if altered[i] == b'0' { b'1' } else { b'0' };
    fs::write(&path, altered).unwrap();
    let err = open_with(f.dir.path(), RootKeySource::data_dir()).unwrap_err();
    assert!(matches!(err, KmsError::WrongRootKey(_)), "{err}");
    fs::write(&path, &text).unwrap();
    open_with(f.dir.path(), RootKeySource::data_dir()).unwrap();
}

#[test]
fn temp_files_left_by_a_crash_are_ignored_and_removed() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunSm4).key_id.to_string();
    // What a crash between writing and renaming leaves behind.
    let stale = f.dir.path().join(".tmp-keys.json-0123456789abcdef");
    fs::write(&stale, "{ half a store").unwrap();
    let f = f.reopen();
    assert!(!stale.exists());
    assert_eq!(
        f.kms.describe_key(&as_account(), &id).unwrap().key_state,
        KeyState::Enabled
    );
}

#[test]
fn a_failed_write_changes_nothing() {
    let f = Fixture::new();
    let id = f.key(KeySpec::AliyunAes256).key_id.to_string();
    // Make the rename fail: a directory where keys.json goes.
    let store = f.dir.path().join("keys.json");
    let saved = fs::read(&store).unwrap();
    fs::remove_file(&store).unwrap();
    fs::create_dir(&store).unwrap();
    fs::write(store.join("occupied"), "x").unwrap();

    let err = f.kms.disable_key(&as_account(), &id).unwrap_err();
    assert!(matches!(err, KmsError::Io { .. }), "{err}");
    assert_eq!(
        f.kms.describe_key(&as_account(), &id).unwrap().key_state,
        KeyState::Enabled
    );
    let err = f
        .kms
        .create_key(&as_account(), KeySpec::AliyunSm4, Default::default(), "")
        .unwrap_err();
    assert_eq!(err.code(), "InternalFailure");
    assert_eq!(
        f.kms.list_keys(&as_account(), 1, 10).unwrap().total_count,
        1
    );
    // No temp file is left behind.
    let names: Vec<_> = fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // keys.json (a directory here), root.key and root.check.
    assert_eq!(names.len(), 3, "{names:?}");

    fs::remove_dir_all(&store).unwrap();
    fs::write(&store, saved).unwrap();
    f.kms.disable_key(&as_account(), &id).unwrap();
    let f = f.reopen();
    assert_eq!(
        f.kms.describe_key(&as_account(), &id).unwrap().key_state,
        KeyState::Disabled
    );
}

/// `Kms::open` takes the root key from `RAMGATE_ROOT_KEY` when it is set.
/// The variable is set only in a child process running
/// [`child_opens_with_the_environment_root_key`], so no test shares it.
#[test]
fn kms_open_reads_the_root_key_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_opens_with_the_environment_root_key",
            "--include-ignored",
            "--quiet",
        ])
        .env(ROOT_KEY_ENV, HEX_A)
        .env("RAMGATE_TEST_KMS_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stdout)
    );
    assert!(!dir.path().join("root.key").exists());
    let kms = open_with(dir.path(), RootKeySource::hex(HEX_A)).unwrap();
    assert_eq!(kms.list_keys(&as_account(), 1, 10).unwrap().total_count, 1);
}

#[test]
#[ignore = "run by kms_open_reads_the_root_key_from_the_environment"]
fn child_opens_with_the_environment_root_key() {
    let dir = std::env::var("RAMGATE_TEST_KMS_DIR").unwrap();
    let kms = Kms::open(&dir, REGION, ACCOUNT, Arc::new(SystemClock)).unwrap();
    kms.create_key(&as_account(), KeySpec::AliyunAes256, Default::default(), "")
        .unwrap();
}
