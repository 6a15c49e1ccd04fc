//! The JSON front end's error messages, pinned whole (file:line:column,
//! JSON path, message, source line with a caret, help): a worse message
//! shows up as a diff here.

use ramgate::policy::{Policy, render_with_source};

fn rendered(src: &str, kind: Option<&str>) -> (String, String) {
    let kind = kind.map(|k| k.parse().unwrap_or_else(|e| panic!("{e}")));
    match Policy::parse(src, kind) {
        Ok(_) => panic!("parsed: {src}"),
        Err(e) => (e.code().to_string(), render_with_source(&e, "p.json", src)),
    }
}

#[test]
fn missing_version() {
    let src = r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#;
    let expected = r#"p.json:1:1: the policy has no `Version`
  |
1 | {"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}
  | ^"#;
    assert_eq!(
        rendered(src, None),
        ("missing-version".to_string(), expected.to_string())
    );
}

#[test]
fn number_version() {
    let src = r#"{"Version":1,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#;
    let expected = r#"p.json:1:12: Version: unsupported `Version` `1`, RAM knows only `"1"`
  |
1 | {"Version":1,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}
  |            ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-version".to_string(), expected.to_string())
    );
}

#[test]
fn unknown_top_level() {
    let src = r#"{"Version":"1","Id":"x","Statement":[]}"#;
    let expected = r#"p.json:1:16: Id: unsupported element `Id`
  |
1 | {"Version":"1","Id":"x","Statement":[]}
  |                ^"#;
    assert_eq!(
        rendered(src, None),
        ("unsupported-element".to_string(), expected.to_string())
    );
}

#[test]
fn empty_statement() {
    let src = r#"{"Version":"1","Statement":[]}"#;
    let expected = r#"p.json:1:28: Statement: the policy has no statement
  |
1 | {"Version":"1","Statement":[]}
  |                            ^"#;
    assert_eq!(
        rendered(src, None),
        ("missing-statement".to_string(), expected.to_string())
    );
}

#[test]
fn effect_typo() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"a:b","Resource":"*"}]}"#;
    let expected = r#"p.json:1:39: Statement[0].Effect: unknown effect `allow`, expected `Allow` or `Deny`
  |
1 | {"Version":"1","Statement":[{"Effect":"allow","Action":"a:b","Resource":"*"}]}
  |                                       ^
  = help: did you mean `Allow`?"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-effect".to_string(), expected.to_string())
    );
}

#[test]
fn missing_action() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}"#;
    let expected = r#"p.json:1:29: Statement[0]: the statement has neither `Action` nor `NotAction`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}
  |                             ^"#;
    assert_eq!(
        rendered(src, None),
        ("missing-action".to_string(), expected.to_string())
    );
}

#[test]
fn action_and_not_action() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d","Resource":"*"}]}"#;
    let expected = r#"p.json:1:62: Statement[0].NotAction: the statement has both `Action` and `NotAction`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d","Resource":"*"}]}
  |                                                              ^"#;
    assert_eq!(
        rendered(src, None),
        ("action-and-not-action".to_string(), expected.to_string())
    );
}

#[test]
fn missing_resource() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b"}]}"#;
    let expected = r#"p.json:1:29: Statement[0]: the statement has no `Resource`, which identity policies require
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b"}]}
  |                             ^
  = help: add `"Resource": "*"` or the ARNs the statement covers"#;
    assert_eq!(
        rendered(src, None),
        ("missing-resource".to_string(), expected.to_string())
    );
}

#[test]
fn not_resource() {
    let src =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","NotResource":"*"}]}"#;
    let expected = r#"p.json:1:62: Statement[0].NotResource: unsupported element `NotResource`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","NotResource":"*"}]}
  |                                                              ^
  = help: RAM does not document `NotResource`; list what the statement covers instead"#;
    assert_eq!(
        rendered(src, None),
        ("unsupported-element".to_string(), expected.to_string())
    );
}

#[test]
fn resource_in_trust() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"log.aliyuncs.com"},"Resource":"*"}]}"#;
    let expected = r#"p.json:1:116: Statement[0].Resource: trust policies have no `Resource`; the role itself is the resource
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"log.aliyuncs.com"},"Resource":"*"}]}
  |                                                                                                                    ^"#;
    assert_eq!(
        rendered(src, None),
        ("resource-in-trust-policy".to_string(), expected.to_string())
    );
}

#[test]
fn principal_in_identity() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"RAM":"x"},"Resource":"*"}]}"#;
    let expected = r#"p.json:1:62: Statement[0].Principal: `Principal` is not allowed in identity policies
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"RAM":"x"},"Resource":"*"}]}
  |                                                              ^
  = help: identity and session policies apply to whoever they are attached to; name principals in trust or resource policies"#;
    assert_eq!(
        rendered(src, Some("identity")),
        (
            "principal-in-identity-policy".to_string(),
            expected.to_string()
        )
    );
}

#[test]
fn bad_principal_type() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"x"}}]}"#;
    let expected = r#"p.json:1:86: Statement[0].Principal.AWS: unknown principal type `AWS`, expected `RAM`, `Service` or `Federated`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"x"}}]}
  |                                                                                      ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-principal".to_string(), expected.to_string())
    );
}

#[test]
fn null_operator() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Null":{"acs:SourceVpc":"true"}}}]}"#;
    let expected = r#"p.json:1:90: Statement[0].Condition.Null: unknown condition operator `Null`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Null":{"acs:SourceVpc":"true"}}}]}
  |                                                                                          ^
  = help: `Null` is an AWS IAM operator; RAM supports only its 21 String, Numeric, Date, Bool and IP operators"#;
    assert_eq!(
        rendered(src, None),
        (
            "unknown-condition-operator".to_string(),
            expected.to_string()
        )
    );
}

#[test]
fn operator_typo() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEqual":{"k":"v"}}}]}"#;
    let expected = r#"p.json:1:90: Statement[0].Condition.StringEqual: unknown condition operator `StringEqual`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEqual":{"k":"v"}}}]}
  |                                                                                          ^
  = help: did you mean `StringEquals`?"#;
    assert_eq!(
        rendered(src, None),
        (
            "unknown-condition-operator".to_string(),
            expected.to_string()
        )
    );
}

#[test]
fn bad_date() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}"#;
    let expected = r#"p.json:1:124: Statement[0].Condition.DateLessThan."acs:CurrentTime": invalid value for `DateLessThan`: `tomorrow` is not an ISO 8601 date and time such as `2019-08-12T17:00:00+08:00`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}
  |                                                                                                                            ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-condition-value".to_string(), expected.to_string())
    );
}

#[test]
fn bad_cidr() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}]}"#;
    let expected = r#"p.json:1:132: Statement[0].Condition.IpAddress."acs:SourceIp"[1]: invalid value for `IpAddress`: `10.0.0.0/33` is not an IPv4 or IPv6 address or CIDR range
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}]}
  |                                                                                                                                    ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-condition-value".to_string(), expected.to_string())
    );
}

#[test]
fn bad_number() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"k":"ten"}}}]}"#;
    let expected = r#"p.json:1:113: Statement[0].Condition.NumericLessThan.k: invalid value for `NumericLessThan`: `ten` is not a number
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"k":"ten"}}}]}
  |                                                                                                                 ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-condition-value".to_string(), expected.to_string())
    );
}

#[test]
fn bad_bool() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}]}"#;
    let expected = r#"p.json:1:120: Statement[0].Condition.Bool."acs:SecureTransport": invalid value for `Bool`: `yes` is not `true` or `false`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}]}
  |                                                                                                                        ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-condition-value".to_string(), expected.to_string())
    );
}

#[test]
fn action_number() {
    let src =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["a:b",7],"Resource":"*"}]}"#;
    let expected = r#"p.json:1:63: Statement[0].Action[1]: each value of `Action` must be a string, found a number
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":["a:b",7],"Resource":"*"}]}
  |                                                               ^"#;
    assert_eq!(
        rendered(src, None),
        ("invalid-element-type".to_string(), expected.to_string())
    );
}

#[test]
fn comment_in_json() {
    let src = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ram:PassRole",
      "Resource": "acs:ram::*"   # the role ARN
    }
  ]
}"#;
    let expected = r#"p.json:7:34: invalid JSON: expected `,` or `}`, found `#`
  |
7 |       "Resource": "acs:ram::*"   # the role ARN
  |                                  ^"#;
    assert_eq!(
        rendered(src, None),
        ("json-syntax".to_string(), expected.to_string())
    );
}

#[test]
fn duplicate_key() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"a:b","Resource":"*"}]}"#;
    let expected = r#"p.json:1:47: duplicate key `Effect`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"a:b","Resource":"*"}]}
  |                                               ^"#;
    assert_eq!(
        rendered(src, None),
        ("unsupported-element".to_string(), expected.to_string())
    );
}

#[test]
fn duplicate_condition_key_case() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"acs:Service":"a","ACS:service":"b"}}}]}"#;
    let expected = r#"p.json:1:124: Statement[0].Condition.StringEquals."ACS:service": duplicate key `ACS:service`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"acs:Service":"a","ACS:service":"b"}}}]}
  |                                                                                                                            ^"#;
    assert_eq!(
        rendered(src, None),
        ("unsupported-element".to_string(), expected.to_string())
    );
}

#[test]
fn unknown_qualifier() {
    let src = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}]}"#;
    let expected = r#"p.json:1:90: Statement[0].Condition."ForSomeValues:StringEquals": unknown set qualifier `ForSomeValues`, expected `ForAnyValue` or `ForAllValues`
  |
1 | {"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}]}
  |                                                                                          ^"#;
    assert_eq!(
        rendered(src, None),
        (
            "unknown-condition-operator".to_string(),
            expected.to_string()
        )
    );
}
