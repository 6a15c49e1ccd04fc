//! Shared set-up for the `kms_*` integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use std::sync::OnceLock;

use ramgate::kms::{Caller, KeyMetadata, KeySpec, KeyUsage, Kms, ManualClock, RootKeySource};
use ramgate::ram::{Directory, Identity, Ram};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;

pub const REGION: &str = "cn-hangzhou";
pub const ACCOUNT: &str = "1234567890123456";
pub const START: OffsetDateTime = datetime!(2026-03-01 08:00 UTC);

/// The account itself, which may do everything to its own keys: the caller
/// of tests that are about keys, not permissions (`tests/kms_permissions.rs`
/// is about permissions).
pub fn as_account() -> Caller<'static> {
    static DIRECTORY: OnceLock<Directory> = OnceLock::new();
    static ROOT: OnceLock<Identity> = OnceLock::new();
    let directory = DIRECTORY.get_or_init(|| {
        let mut d = Directory::new();
        d.add_account(ACCOUNT).unwrap();
        d
    });
    let root = ROOT.get_or_init(|| Identity::Account {
        uid: ACCOUNT.to_string(),
    });
    Caller::new(Ram::new(directory, &ramgate::clock::SystemClock), root)
}

/// A KMS in a fresh directory, on a stopped clock.
pub struct Fixture {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub kms: Kms,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let kms = open(&dir, &clock);
        Fixture { dir, clock, kms }
    }

    /// Drops the KMS and opens the same directory again.
    pub fn reopen(self) -> Fixture {
        let Fixture { dir, clock, kms } = self;
        drop(kms);
        let kms = open(&dir, &clock);
        Fixture { dir, clock, kms }
    }

    pub fn key(&self, spec: KeySpec) -> KeyMetadata {
        self.kms
            .create_key(&as_account(), spec, KeyUsage::EncryptDecrypt, "test key")
            .unwrap()
    }
}

pub fn open(dir: &TempDir, clock: &Arc<ManualClock>) -> Kms {
    Kms::open_with_root_key(
        dir.path(),
        REGION,
        ACCOUNT,
        clock.clone(),
        RootKeySource::data_dir(),
    )
    .unwrap()
}
