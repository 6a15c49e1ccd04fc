//! Arbitrary text into the DSL front end: never a panic, and every error
//! points inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::policy::{PolicyKind, dsl};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [
        None,
        Some(PolicyKind::Identity),
        Some(PolicyKind::Trust),
        Some(PolicyKind::Resource),
    ] {
        if let Err(e) = dsl::parse_policy(src, kind) {
            assert!(
                e.loc.start <= src.len() && e.loc.line >= 1,
                "error outside the input: {e:?}"
            );
        }
    }
});
