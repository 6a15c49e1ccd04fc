//! Arbitrary bytes into the JSON front end: never a panic, and every error
//! points inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::policy::{Policy, PolicyKind};

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
        match Policy::from_json(src, kind) {
            Ok(policy) => {
                // What parses prints, and the print parses to the same tree.
                let again = Policy::from_json(&policy.to_json(), Some(policy.kind));
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&policy),
                    "canonical JSON does not round-trip"
                );
            }
            Err(e) => {
                assert!(
                    e.loc.start <= src.len() && e.loc.line >= 1,
                    "error outside the input: {e:?}"
                );
            }
        }
    }
});
