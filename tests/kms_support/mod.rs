//! Shared set-up for the `kms_*` integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use ramgate::kms::{KeyMetadata, KeySpec, KeyUsage, Kms, ManualClock, RootKeySource};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;

pub const REGION: &str = "cn-hangzhou";
pub const ACCOUNT: &str = "1234567890123456";
pub const START: OffsetDateTime = datetime!(2026-03-01 08:00 UTC);

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
            .create_key(spec, KeyUsage::EncryptDecrypt, "test key")
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
