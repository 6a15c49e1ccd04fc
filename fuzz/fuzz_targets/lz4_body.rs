//! LZ4 raw blocks with a claimed raw size: never a panic, never more than
//! the PutLogs limit allocated whatever `x-log-bodyrawsize` claims, and what
//! decodes is exactly the claimed size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::server::body;

fuzz_target!(|input: (u64, &[u8])| {
    let (claimed, block) = input;
    let claimed = claimed.to_string();
    if let Ok(raw) = body::decode(block, Some("lz4"), Some(&claimed)) {
        assert!(raw.len() <= body::MAX_RAW_BODY);
        assert_eq!(raw.len().to_string(), claimed);
        let again = body::lz4(&raw);
        assert_eq!(body::decode(&again, Some("lz4"), Some(&claimed)).ok(), Some(raw));
    }
});
