//! Arbitrary bytes as a stored block are always an error, never plaintext
//! and never a panic; and a valid block with any byte changed never opens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::kms::cipher::Algorithm;
use ramgate::logstore::block::{self, Location, Protection};

const LOC: Location<'static> = Location {
    project: "p1",
    logstore: "l1",
    shard: 2,
    seq: 9,
};
const AES: [u8; 32] = [0x42; 32];
const SM4: [u8; 16] = [0x24; 16];

fuzz_target!(|input: (Vec<u8>, u16, u8, bool)| {
    let (data, at, flip, sm4) = input;
    let (algorithm, key): (Algorithm, &[u8]) = if sm4 {
        (Algorithm::Sm4Gcm, &SM4)
    } else {
        (Algorithm::Aes256Gcm, &AES)
    };
    let mut arbitrary = data.clone();
    assert!(
        block::open(&LOC, &mut arbitrary, Some(key)).is_err(),
        "arbitrary bytes opened as a block"
    );

    let mut buf = block::buffer(data.len());
    buf.extend_from_slice(&data);
    let Ok(sealed) = block::seal(
        &LOC,
        Protection::Sealed {
            algorithm,
            key_ref: 1,
            key,
        },
        buf,
    ) else {
        return;
    };
    let mut good = sealed.clone();
    assert_eq!(
        block::open(&LOC, &mut good, Some(key)).ok(),
        Some(&data[..])
    );
    if flip != 0 {
        let mut bad = sealed;
        let i = usize::from(at) % bad.len();
        bad[i] ^= flip;
        assert!(
            block::open(&LOC, &mut bad, Some(key)).is_err(),
            "a mutated block opened"
        );
    }
});
