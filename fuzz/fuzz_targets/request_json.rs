//! The request file format of `ramgate eval`: never a panic; what parses
//! serializes and parses back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::authz::Request;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = Request::from_json(src) {
        let json = serde_json::to_string(&request).unwrap_or_default();
        let back: Option<Request> = serde_json::from_str(&json).ok();
        assert_eq!(back.as_ref(), Some(&request));
    }
});
