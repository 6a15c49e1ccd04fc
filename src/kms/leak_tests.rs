//! Secrets stay secret: no CMK material and no plaintext data key appears in
//! any file of the store, in `Debug` output or in an error, raw or in hex.
//! (In the crate, not in `tests/`, because CMK material is not public.)

use std::sync::Arc;

use time::macros::datetime;

use super::*;

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Fails if `secret` appears in `text` raw, in lower- or upper-case hex.
fn assert_absent(what: &str, text: &[u8], secret: &[u8]) {
    assert!(
        !contains(text, secret),
        "{what} holds a secret in raw bytes"
    );
    for upper in [false, true] {
        assert!(
            !contains(text, hex(secret, upper).as_bytes()),
            "{what} holds a secret in hex"
        );
    }
}

#[test]
fn no_secret_in_files_debug_output_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)));
    let open = || {
        Kms::open_with_root_key(
            dir.path(),
            "cn-hangzhou",
            "1234567890123456",
            clock.clone(),
            RootKeySource::data_dir(),
        )
        .unwrap()
    };
    let kms = open();
    let (directory, identity) = super::caller::account_root("1234567890123456");
    let root = super::Caller::new(crate::ram::Ram::new(&directory, &*clock), &identity);
    let ctx = EncryptionContext::from_pairs([("logstore", "l1")]).unwrap();
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    let mut shown = String::new();
    for spec in [KeySpec::AliyunAes256, KeySpec::AliyunSm4] {
        let key = kms
            .create_key(&root, spec, KeyUsage::EncryptDecrypt, "leak test")
            .unwrap();
        let id = key.key_id.to_string();
        let data_key = kms
            .generate_data_key(&root, &id, DataKeySpec::AES_256, &ctx)
            .unwrap();
        secrets.push(data_key.plaintext.expose().to_vec());
        shown += &format!("{data_key:?}{key:?}");
        let opened = kms.decrypt(&root, &data_key.ciphertext_blob, &ctx).unwrap();
        shown += &format!("{opened:?}");
        let sealed = kms
            .encrypt(&root, &id, data_key.plaintext.expose(), &ctx)
            .unwrap();
        shown += &format!("{sealed:?}");
        // Errors on the way: wrong context, disabled key.
        let err = kms
            .decrypt(&root, &data_key.ciphertext_blob, &EncryptionContext::new())
            .unwrap_err();
        shown += &format!("{err}{err:?}");
        kms.disable_key(&root, &id).unwrap();
        let err = kms
            .decrypt(&root, &data_key.ciphertext_blob, &ctx)
            .unwrap_err();
        shown += &format!("{err}{err:?}");
        kms.enable_key(&root, &id).unwrap();
    }
    // The CMK material, read from the inside.
    kms.inspect_records(|keys| {
        for key in keys.values() {
            for version in &key.versions {
                secrets.push(version.material.expose().to_vec());
                shown += &format!("{version:?}{key:?}");
            }
        }
    });
    shown += &format!("{kms:?}");
    drop(kms);
    // Reopening reads every material back: the store did hold it, sealed.
    let reopened = open();
    shown += &format!("{reopened:?}");
    assert_eq!(reopened.list_keys(&root, 1, 10).unwrap().total_count, 2);

    assert_eq!(secrets.len(), 4);
    // Control: the detector does see a secret that is there, in each form.
    for form in [
        secrets[0].clone(),
        hex(&secrets[0], false).into_bytes(),
        hex(&secrets[0], true).into_bytes(),
    ] {
        let found = std::panic::catch_unwind(|| assert_absent("control", &form, &secrets[0]));
        assert!(found.is_err());
    }
    for secret in &secrets {
        assert!(secret.len() >= 16);
        assert_absent("Debug/Display output", shown.as_bytes(), secret);
        let mut files = 0;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            assert_absent(&path.display().to_string(), &bytes, secret);
            files += 1;
        }
        // keys.json, root.key and root.check, and no temp file left over.
        assert_eq!(files, 3);
    }
}
