//! Arbitrary bytes as a KMS `CiphertextBlob` are always an error, never
//! plaintext, never a panic — also when they carry the header of a real key.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use ramgate::kms::{Caller, EncryptionContext, KeySpec, KeyUsage, Kms, RootKeySource, SystemClock};
use ramgate::ram::{Directory, Identity, Ram};

const ACCOUNT: &str = "1234567890123456";

struct Fixture {
    kms: Kms,
    directory: Directory,
    account: Identity,
    /// A real blob's first 38 bytes: magic, version, algorithm, key id, key version.
    header: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ramgate-fuzz-kms-{}", std::process::id()));
        let root_key = RootKeySource::hex("00".repeat(32));
        let kms = Kms::open_with_root_key(
            &dir,
            "cn-hangzhou",
            ACCOUNT,
            Arc::new(SystemClock),
            root_key,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut directory = Directory::new();
        directory
            .add_account(ACCOUNT)
            .unwrap_or_else(|e| panic!("{e}"));
        let account = Identity::Account {
            uid: ACCOUNT.into(),
        };
        let header = {
            let root = Caller::new(Ram::new(&directory, &SystemClock), &account);
            let key = kms
                .create_key(&root, KeySpec::AliyunAes256, KeyUsage::EncryptDecrypt, "")
                .unwrap_or_else(|e| panic!("{e}"));
            let blob = kms
                .encrypt(
                    &root,
                    &key.key_id.to_string(),
                    b"secret",
                    &EncryptionContext::new(),
                )
                .unwrap_or_else(|e| panic!("{e}"))
                .ciphertext_blob;
            blob[..38].to_vec()
        };
        Fixture {
            kms,
            directory,
            account,
            header,
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
    let root = Caller::new(Ram::new(&f.directory, &SystemClock), &f.account);
    assert!(
        f.kms
            .decrypt(&root, &blob, &EncryptionContext::new())
            .is_err(),
        "arbitrary bytes decrypted"
    );
});
