//! The decision paths allocate nothing per request beyond the reasons they
//! return: `decide` nothing at all, `evaluate` one `Vec` and, per reason,
//! the policy id and the `Sid`.
//!
//! `allocation-counter` replaces the global allocator of this test binary
//! only (no other test links it) and counts per thread, so tests running in
//! parallel do not disturb each other.

use allocation_counter::measure;
use ramgate::authz::{Authorizer, Decision, PolicySet, Principal, Request};
use ramgate::policy::{Policy, PolicyKind};

const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";

/// Every condition family, keys written in mixed case; the `IpAddress`
/// test comes last so a request from outside `10.0.0.0/8` evaluates all of
/// them before the statement fails.
const GUARDED: &str = r#"{"Version":"1","Statement":[
  {"Sid":"UseKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"acs:kms:*:1234567890123456:key/*",
   "Condition":{
     "StringEquals":{"acs:SourceVpc":"vpc-1"},
     "StringEqualsIgnoreCase":{"acs:Region":"CN-Hangzhou"},
     "StringLike":{"acs:UserAgent":"sdk-*"},
     "NumericLessThan":{"sts:DurationSeconds":"3600.5"},
     "DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"},
     "Bool":{"acs:SecureTransport":"true"},
     "IpAddress":{"acs:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}},
  {"Sid":"OnlyFromVpc","Effect":"Deny","Action":"kms:*","Resource":"*",
   "Condition":{"StringNotLike":{"acs:SourceVpc":"vpc-*"}}},
  {"Effect":"Allow","Action":"*:Describe*","Resource":"*"}]}"#;

/// A KMS key policy style statement: a wildcard RAM principal.
const KEY_POLICY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"kms:*","Resource":"*","Principal":{"RAM":["acs:ram::1234567890123456:*"]}}]}"#;

fn policy(json: &str) -> Policy {
    Policy::from_json(json, None).unwrap_or_else(|e| panic!("{e}"))
}

fn key_policy() -> Policy {
    Policy::from_json(KEY_POLICY, Some(PolicyKind::Resource)).unwrap_or_else(|e| panic!("{e}"))
}

fn set() -> PolicySet {
    PolicySet::new([("guarded", policy(GUARDED))])
}

fn request(source_ip: &str) -> Request {
    Request::new("KMS:GenerateDataKey", KEY)
        .with_context("ACS:SourceVpc", ["vpc-1"])
        .with_context("acs:region", ["cn-hangzhou"])
        .with_context("acs:UserAgent", ["sdk-go/1.0"])
        .with_context("sts:DurationSeconds", ["3600"])
        .with_context("acs:CurrentTime", ["2026-11-29T08:00:00+08:00"])
        .with_context("acs:SecureTransport", ["true"])
        .with_context("acs:SourceIp", [source_ip])
}

/// Allocations made by `f`, after one call to warm up anything lazy.
fn allocations<T>(mut f: impl FnMut() -> T) -> u64 {
    drop(f());
    measure(|| drop(std::hint::black_box(f()))).count_total
}

#[test]
fn a_request_nothing_allows_allocates_nothing() {
    let set = set();
    let outside = request("192.168.1.1");
    assert_eq!(
        Authorizer::new().decide(&set, &outside),
        Decision::ImplicitDeny
    );
    assert_eq!(allocations(|| Authorizer::new().decide(&set, &outside)), 0);
    assert_eq!(
        allocations(|| Authorizer::new().evaluate(&set, &outside)),
        0,
        "every condition family was evaluated and nothing was kept"
    );
    let other_service = Request::new("oss:GetObject", "acs:oss:*:1234567890123456:b/o");
    assert_eq!(
        allocations(|| Authorizer::new().evaluate(&set, &other_service)),
        0
    );
}

#[test]
fn deciding_alone_never_allocates() {
    let set = set();
    for (r, expected) in [
        (request("10.1.2.3"), Decision::Allow),
        (request("2001:db8::7"), Decision::Allow),
        (
            Request::new("kms:GenerateDataKey", KEY),
            Decision::ExplicitDeny,
        ),
        (
            Request::new("ecs:DescribeInstances", "acs:ecs:*:1:instance/i"),
            Decision::Allow,
        ),
    ] {
        assert_eq!(Authorizer::new().decide(&set, &r), expected, "{r:?}");
        assert_eq!(
            allocations(|| Authorizer::new().decide(&set, &r)),
            0,
            "{r:?}"
        );
    }
}

#[test]
fn an_allow_allocates_only_its_reasons() {
    let set = set();
    let inside = request("10.1.2.3");
    let response = Authorizer::new().evaluate(&set, &inside);
    assert_eq!(response.decision, Decision::Allow);
    assert_eq!(response.reasons.len(), 1);
    // The reasons' `Vec`, the policy id and the `Sid`.
    assert_eq!(allocations(|| Authorizer::new().evaluate(&set, &inside)), 3);

    // A statement without a `Sid`: the `Vec` and the policy id.
    let describe = Request::new("ecs:DescribeInstances", "acs:ecs:*:1:instance/i");
    assert_eq!(
        allocations(|| Authorizer::new().evaluate(&set, &describe)),
        2
    );

    // Two deciding statements in two policies: still one `Vec` (its first
    // growth reserves room for four reasons) and two strings per reason.
    let two = PolicySet::new([("a", policy(GUARDED)), ("b", policy(GUARDED))]);
    let response = Authorizer::new().evaluate(&two, &inside);
    assert_eq!(response.reasons.len(), 2);
    assert_eq!(allocations(|| Authorizer::new().evaluate(&two, &inside)), 5);
}

#[test]
fn an_explicit_deny_allocates_only_its_reasons() {
    let set = set();
    let outside_vpc = Request::new("kms:GenerateDataKey", KEY);
    let response = Authorizer::new().evaluate(&set, &outside_vpc);
    assert_eq!(response.decision, Decision::ExplicitDeny);
    assert_eq!(response.reasons[0].sid.as_deref(), Some("OnlyFromVpc"));
    assert_eq!(
        allocations(|| Authorizer::new().evaluate(&set, &outside_vpc)),
        3
    );
}

#[test]
fn wildcard_principals_match_without_allocating() {
    let set = PolicySet::new([("key-policy", key_policy())]);
    for (principal, expected) in [
        (
            "acs:ram::1234567890123456:role/sls-byok/log",
            Decision::Allow,
        ),
        ("acs:ram::1234567890123456:user/alice", Decision::Allow),
        (
            "acs:ram::1999999999999999:user/mallory",
            Decision::ImplicitDeny,
        ),
    ] {
        let p = Principal::from_ram_arn(principal).unwrap_or_else(|e| panic!("{e}"));
        let r = Request::new("kms:Decrypt", KEY).with_principal(p);
        assert_eq!(Authorizer::new().decide(&set, &r), expected, "{principal}");
        assert_eq!(
            allocations(|| Authorizer::new().decide(&set, &r)),
            0,
            "{principal}"
        );
    }
}
