//! Arbitrary bytes as a KMS `CiphertextBlob` are always an error, never
//! plaintext, never a panic — also when they carry the header of a real key.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use ramgate::kms::{EncryptionContext, KeySpec, KeyUsage, Kms, RootKeySource, SystemClock};

struct Fixture {
    kms: Kms,
    /// A real blob's first 38 bytes: magic, version, algorithm, key id, key version.
    header: Vec<u8>,
    _dir: std::path::PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ramgate-fuzz-kms-{}", std::process::id()));
        let root = RootKeySource::hex("00".repeat(32));
        let kms = Kms::open_with_root_key(
            &dir,
            "cn-hangzhou",
            "1234567890123456",
            Arc::new(SystemClock),
            root,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let key = kms
            .create_key(KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
            .unwrap_or_else(|e| panic!("{e}"));
        let blob = kms
            .encrypt(
                &key.key_id.to_string(),
                b"secret",
                &EncryptionContext::new(),
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .ciphertext_blob;
        Fixture {
            kms,
            header: blob[..38].to_vec(),
            _dir: dir,
        }
    })
}

fuzz_target!(|input: (bool, Vec<u8>)| {
    let (with_header, data) = input;
    let f = fixture();
    let blob = if with_header {
        [f.header.as_slice(), &data].concat()
    } else {
        data
    };
    assert!(
        f.kms.decrypt(&blob, &EncryptionContext::new()).is_err(),
        "arbitrary bytes decrypted"
    );
});
