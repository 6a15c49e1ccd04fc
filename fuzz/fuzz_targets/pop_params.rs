//! The POP parameter reader (query and form body) and its canonical
//! string: never a panic; the string to sign never depends on the order the
//! parameters came in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::server::WireRequest;
use ramgate::server::auth::pop_rpc;

fuzz_target!(|input: (&str, &[u8])| {
    let (query, body) = input;
    let headers = vec![(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    let request = WireRequest {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        body,
    };
    let mut params = pop_rpc::parameters(&request);
    let forward = pop_rpc::string_to_sign("POST", &params);
    params.reverse();
    assert_eq!(pop_rpc::string_to_sign("POST", &params), forward);
});
