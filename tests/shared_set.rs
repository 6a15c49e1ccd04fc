//! A compiled `PolicySet` is built once and shared: `Send + Sync`, used from
//! several threads behind an `Arc`, with the same answers on every thread.

use std::sync::Arc;
use std::thread;

use ramgate::authz::{Authorizer, Decision, PolicySet, Request, Response};
use ramgate::policy::Policy;

/// Compiles only if both types may be shared between threads.
const fn assert_send_sync<T: Send + Sync>() {}
const _: () = {
    assert_send_sync::<PolicySet>();
    assert_send_sync::<Authorizer>();
    assert_send_sync::<Arc<PolicySet>>();
    assert_send_sync::<Request>();
    assert_send_sync::<Response>();
};

const POLICY: &str = r#"{"Version":"1","Statement":[
    {"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"acs:kms:*:1234567890123456:key/*"},
    {"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringNotLike":{"acs:SourceVpc":"vpc-*"}}}]}"#;

fn requests() -> Vec<Request> {
    let key = "acs:kms:cn-hangzhou:1234567890123456:key/k1";
    vec![
        Request::new("kms:GenerateDataKey", key).with_context("acs:SourceVpc", ["vpc-1"]),
        Request::new("kms:GenerateDataKey", key),
        Request::new("kms:Encrypt", key).with_context("acs:SourceVpc", ["vpc-1"]),
        Request::new("log:PostLogStoreLogs", key),
    ]
}

#[test]
fn one_set_answers_the_same_on_every_thread() {
    let policy = Policy::from_json(POLICY, None).unwrap_or_else(|e| panic!("{e}"));
    let set = Arc::new(PolicySet::new([("kms-guard", policy)]));
    let expected: Vec<Response> = requests()
        .iter()
        .map(|r| Authorizer::new().evaluate(&set, r))
        .collect();
    assert_eq!(
        expected.iter().map(|r| r.decision).collect::<Vec<_>>(),
        [
            Decision::Allow,
            Decision::ExplicitDeny,
            Decision::ImplicitDeny,
            Decision::ImplicitDeny
        ]
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                let authorizer = Authorizer::new();
                let mut answers = Vec::new();
                for _ in 0..100 {
                    answers = requests()
                        .iter()
                        .map(|r| authorizer.evaluate(&set, r))
                        .collect();
                }
                answers
            })
        })
        .collect();
    for h in handles {
        let answers = h.join().unwrap_or_else(|_| panic!("a thread panicked"));
        assert_eq!(answers, expected);
    }
    assert_eq!(
        Arc::strong_count(&set),
        1,
        "every thread gave its handle back"
    );
}
