//! Parse JSON or DSL; if it parses, printing to the other form and back
//! gives the same tree, and `fmt` is idempotent (after toml-rs's and
//! Cedar's round-trip targets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::policy::{self, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Policy::parse(src, None) else {
        return;
    };
    let kind = Some(p.kind);
    let via_dsl = Policy::parse(&p.to_dsl(), kind);
    assert_eq!(
        via_dsl.as_ref().ok(),
        Some(&p),
        "DSL round trip changed the policy"
    );
    let via_json = Policy::parse(&p.to_json(), kind);
    assert_eq!(
        via_json.as_ref().ok(),
        Some(&p),
        "JSON round trip changed the policy"
    );
    if let Ok(once) = policy::format(src, kind) {
        let twice = policy::format(&once, kind);
        assert_eq!(
            twice.as_deref().ok(),
            Some(once.as_str()),
            "fmt is not idempotent"
        );
    }
});
