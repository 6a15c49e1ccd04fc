//! Residual conditions: what the analysis cannot know stays in the answer.

#![cfg(feature = "access")]

use ramgate::access::{Analyzer, Row, Snapshot, who_can};
use ramgate::authz::Context;
use ramgate::ram::{Directory, PolicyRef, Target};

const UID: &str = "1234567890123456";
const LOGSTORE: &str = "acs:log:cn-hangzhou:1234567890123456:project/shop/logstore/orders";

/// One user per policy, named after it.
fn directory(policies: &[(&str, &str)]) -> Snapshot {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    for (name, statements) in policies {
        a.create_user(name).unwrap_or_else(|e| panic!("{e}"));
        let doc = format!(r#"{{"Version":"1","Statement":[{statements}]}}"#);
        a.create_policy(name, &doc)
            .unwrap_or_else(|e| panic!("{e}"));
        a.attach_policy(
            &Target::User(name.to_string()),
            &PolicyRef::Custom(name.to_string()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    Snapshot::of_directory(d)
}

fn read(s: &Snapshot, known: &Context) -> Vec<Row> {
    who_can(&Analyzer::new(s), "log:GetLogStoreLogs", LOGSTORE, known)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn row<'a>(rows: &'a [Row], user: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.principal.ends_with(&format!("user/{user}")))
}

const OFFICE: &str = r#"{"Effect":"Allow","Action":"log:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#;

#[test]
fn a_source_ip_condition_is_returned_as_residual() {
    let s = directory(&[("office", OFFICE)]);
    let rows = read(&s, &Context::new());
    let r = row(&rows, "office").unwrap_or_else(|| panic!("office is missing"));
    assert_eq!(
        r.condition.to_when(),
        [["when IpAddress acs:SourceIp 10.0.0.0/8"]]
    );
    // The proof is decided in a context that satisfies the residual.
    let ip = r.chain.steps[0]
        .context
        .get("acs:SourceIp")
        .cloned()
        .unwrap_or_default();
    assert_eq!(ip, ["10.0.0.0"]);
    let json = serde_json::to_value(r.to_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json["condition"],
        serde_json::json!([["when IpAddress acs:SourceIp 10.0.0.0/8"]])
    );
}

#[test]
fn a_known_key_is_evaluated_not_left_over() {
    let s = directory(&[("office", OFFICE)]);
    let mut inside = Context::new();
    inside.insert("acs:SourceIp", ["10.1.2.3"]);
    let rows = read(&s, &inside);
    assert!(row(&rows, "office").is_some_and(|r| r.condition.is_always()));
    let mut outside = Context::new();
    outside.insert("acs:SourceIp", ["192.0.2.1"]);
    assert!(row(&read(&s, &outside), "office").is_none());
}

#[test]
fn a_condition_no_context_satisfies_is_not_listed() {
    let never = r#"{"Effect":"Allow","Action":"log:*","Resource":"*","Condition":{"NumericLessThan":{"acs:Tag/n":"3"},"NumericGreaterThan":{"acs:Tag/n":"5"}}}"#;
    let excluded = r#"{"Effect":"Allow","Action":"log:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
        {"Effect":"Deny","Action":"log:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#;
    let s = directory(&[("never", never), ("excluded", excluded)]);
    let rows = read(&s, &Context::new());
    assert!(row(&rows, "never").is_none());
    assert!(row(&rows, "excluded").is_none());
}

#[test]
fn a_conditional_deny_contributes_its_negation() {
    let mfa = r#"{"Effect":"Allow","Action":"log:*","Resource":"*"},
        {"Effect":"Deny","Action":"log:*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"false"}}},
        {"Effect":"Deny","Action":"log:GetLogStoreLogs","Resource":"*","Condition":{"StringEquals":{"acs:SourceVpc":["vpc-a","vpc-b"]}}}"#;
    let s = directory(&[("mfa", mfa)]);
    let rows = read(&s, &Context::new());
    let r = row(&rows, "mfa").unwrap_or_else(|| panic!("mfa is missing"));
    assert_eq!(
        r.condition.to_when(),
        [[
            "when ForAllValues:Bool acs:MFAPresent true // fail-closed: a value that is not `true` or `false` denies",
            "when StringNotEquals acs:SourceVpc [vpc-a, vpc-b]",
        ]]
    );
    // True exactly where the engine allows.
    let ctx = |mfa: Option<&str>, vpc: Option<&str>| {
        let mut c = Context::new();
        if let Some(v) = mfa {
            c.insert("acs:MFAPresent", [v]);
        }
        if let Some(v) = vpc {
            c.insert("acs:SourceVpc", [v]);
        }
        c
    };
    for (c, expect) in [
        (ctx(None, None), true),
        (ctx(Some("true"), None), true),
        (ctx(Some("false"), None), false),
        (ctx(Some("maybe"), None), false),
        (ctx(Some("true"), Some("vpc-a")), false),
        (ctx(Some("true"), Some("vpc-c")), true),
    ] {
        assert_eq!(r.condition.eval(&c), expect, "{c:?}");
    }
}

#[test]
fn alternatives_print_one_per_allow_statement() {
    let two = r#"{"Effect":"Allow","Action":"log:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
        {"Effect":"Allow","Action":"log:Get*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"true"}}}"#;
    let s = directory(&[("two", two)]);
    let rows = read(&s, &Context::new());
    let r = row(&rows, "two").unwrap_or_else(|| panic!("two is missing"));
    assert_eq!(
        r.condition.to_when(),
        [
            vec!["when Bool acs:MFAPresent true".to_string()],
            vec!["when IpAddress acs:SourceIp 10.0.0.0/8".to_string()]
        ]
    );
}
