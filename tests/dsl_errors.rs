//! Pinned error messages for typical mistakes in DSL policies (the whole
//! rendered message: `file:line:column`, JSON path, message, the source
//! line with a caret, help), and the same error kind and path as JSON for
//! the same mistake.

mod common;

use proptest::prelude::*;
use ramgate::policy::kind::MAX_SOURCE_BYTES;
use ramgate::policy::{ParseErrorKind, Policy, PolicyKind, dsl, render_with_source};

fn assert_message(kind: Option<PolicyKind>, src: &str, expected: &str) {
    match Policy::parse(src, kind) {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => assert_eq!(render_with_source(&e, "p.rgp", src), expected),
    }
}

#[test]
fn missing_on_in_an_identity_policy() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt\n",
        r#"p.rgp:3:1: Statement[0]: the statement has no `Resource`, which identity policies require
  |
3 | allow kms:Decrypt
  | ^
  = help: add `on *` or the ARNs the statement covers"#,
    );
}

#[test]
fn misspelt_operator() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt\n  on *\n  when StringEqual acs:SourceVpc vpc-1\n",
        r#"p.rgp:5:8: Statement[0].Condition.StringEqual: unknown condition operator `StringEqual`
  |
5 |   when StringEqual acs:SourceVpc vpc-1
  |        ^
  = help: did you mean `StringEquals`?"#,
    );
}

#[test]
fn aws_only_operator() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt\n  on *\n  when StringEqualsIfExists acs:SourceVpc vpc-1\n",
        r#"p.rgp:5:8: Statement[0].Condition.StringEqualsIfExists: unknown condition operator `StringEqualsIfExists`
  |
5 |   when StringEqualsIfExists acs:SourceVpc vpc-1
  |        ^
  = help: `StringEqualsIfExists` is an AWS IAM operator; RAM supports only its 21 String, Numeric, Date, Bool and IP operators"#,
    );
}

#[test]
fn unknown_set_qualifier() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on *\n  when ForSomeValues:StringEquals acs:Tag/team ops\n",
        r#"p.rgp:5:8: Statement[0].Condition."ForSomeValues:StringEquals": unknown set qualifier `ForSomeValues`, expected `ForAnyValue` or `ForAllValues`
  |
5 |   when ForSomeValues:StringEquals acs:Tag/team ops
  |        ^"#,
    );
}

#[test]
fn unterminated_string() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt\n  on \"acs:kms:*\n",
        r#"p.rgp:4:6: Statement[0].Resource: unterminated string
  |
4 |   on "acs:kms:*
  |      ^
  = help: a string ends on the line it starts on; write a line break as `\n`"#,
    );
}

#[test]
fn bad_escape() {
    assert_message(
        None,
        "version 1\n\n@sid(\"a\\x\")\nallow kms:*\n  on *\n",
        r#"p.rgp:3:8: Statement[0].Sid: invalid escape `\x`
  |
3 | @sid("a\x")
  |        ^
  = help: the escapes are `\"`, `\\`, `\n`, `\r`, `\t` and `\u{…}` with 1 to 6 hex digits"#,
    );
}

#[test]
fn raw_tab_in_a_string() {
    assert_message(
        None,
        "version 1\n\nallow \"kms:\tx\"\n  on *\n",
        "p.rgp:3:12: Statement[0].Action: control character `\\t` in a string must be escaped\n  |\n3 | allow \"kms:\tx\"\n  |            ^\n  = help: the escapes are `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t` and `\\u{…}` with 1 to 6 hex digits",
    );
}

#[test]
fn bad_cidr() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt\n  on *\n  when IpAddress acs:SourceIp [10.0.0.0/8, 192.168.0.0/33]\n",
        r#"p.rgp:5:44: Statement[0].Condition.IpAddress."acs:SourceIp"[1]: invalid value for `IpAddress`: `192.168.0.0/33` is not an IPv4 or IPv6 address or CIDR range
  |
5 |   when IpAddress acs:SourceIp [10.0.0.0/8, 192.168.0.0/33]
  |                                            ^"#,
    );
}

#[test]
fn bad_date() {
    assert_message(
        None,
        "version 1\n\ndeny kms:*\n  on *\n  when DateLessThan acs:CurrentTime tomorrow\n",
        r#"p.rgp:5:37: Statement[0].Condition.DateLessThan."acs:CurrentTime": invalid value for `DateLessThan`: `tomorrow` is not an ISO 8601 date and time such as `2019-08-12T17:00:00+08:00`
  |
5 |   when DateLessThan acs:CurrentTime tomorrow
  |                                     ^"#,
    );
}

#[test]
fn bad_bool() {
    assert_message(
        None,
        "version 1\n\ndeny kms:*\n  on *\n  when Bool acs:MFAPresent yes\n",
        r#"p.rgp:5:28: Statement[0].Condition.Bool."acs:MFAPresent": invalid value for `Bool`: `yes` is not `true` or `false`
  |
5 |   when Bool acs:MFAPresent yes
  |                            ^"#,
    );
}

#[test]
fn bad_number() {
    assert_message(
        None,
        "version 1\n\ndeny kms:*\n  on *\n  when NumericLessThan kms:Count 1e3\n",
        r#"p.rgp:5:34: Statement[0].Condition.NumericLessThan."kms:Count": invalid value for `NumericLessThan`: `1e3` is not a number
  |
5 |   when NumericLessThan kms:Count 1e3
  |                                  ^"#,
    );
}

#[test]
fn several_values_without_brackets() {
    assert_message(
        None,
        "version 1\n\nallow kms:Decrypt, kms:Encrypt\n  on *\n",
        r#"p.rgp:3:18: Statement[0]: expected `principal`, `on`, `when` or the next statement, found `,`
  |
3 | allow kms:Decrypt, kms:Encrypt
  |                  ^
  = help: write several values as one list: `[a, b]`"#,
    );
}

#[test]
fn capitalised_effect() {
    assert_message(
        None,
        "version 1\n\nAllow kms:Decrypt\n  on *\n",
        r#"p.rgp:3:1: Statement[0]: expected a statement: `allow`, `deny` or `@sid`, found `Allow`
  |
3 | Allow kms:Decrypt
  | ^
  = help: keywords are lower case: did you mean `allow`?"#,
    );
}

#[test]
fn no_version() {
    assert_message(
        None,
        "allow kms:Decrypt\n  on *\n",
        r#"p.rgp:1:1: the policy has no `Version`
  |
1 | allow kms:Decrypt
  | ^
  = help: start the policy with `version 1`"#,
    );
}

#[test]
fn wrong_version() {
    assert_message(
        None,
        "version 2\n\nallow kms:Decrypt\n  on *\n",
        r#"p.rgp:1:9: Version: unsupported `Version` `2`, RAM knows only `"1"`
  |
1 | version 2
  |         ^"#,
    );
}

#[test]
fn no_statement() {
    assert_message(
        None,
        "version 1\n// nothing yet\n",
        r#"p.rgp:1:1: the policy has no statement
  |
1 | version 1
  | ^
  = help: add a statement such as `allow kms:Decrypt on *`"#,
    );
}

#[test]
fn principal_in_an_identity_policy() {
    assert_message(
        Some(PolicyKind::Identity),
        "version 1\n\nallow kms:Decrypt\n  principal service log.aliyuncs.com\n  on *\n",
        r#"p.rgp:4:3: Statement[0].Principal: `Principal` is not allowed in identity policies
  |
4 |   principal service log.aliyuncs.com
  |   ^
  = help: identity and session policies apply to whoever they are attached to; name principals in trust or resource policies"#,
    );
}

#[test]
fn resource_in_a_trust_policy() {
    assert_message(
        None,
        "version 1\n\nallow sts:AssumeRole\n  principal service log.aliyuncs.com\n  on *\n",
        r#"p.rgp:5:3: Statement[0].Resource: trust policies have no `Resource`; the role itself is the resource
  |
5 |   on *
  |   ^
  = help: drop the `on` clause"#,
    );
}

#[test]
fn missing_principal_in_a_resource_policy() {
    assert_message(
        Some(PolicyKind::Resource),
        "version 1\n\nallow kms:Decrypt\n  on *\n",
        r#"p.rgp:3:1: Statement[0]: the statement has no `Principal`, which resource policies require
  |
3 | allow kms:Decrypt
  | ^
  = help: add the principals after the actions, e.g. `principal service log.aliyuncs.com`"#,
    );
}

#[test]
fn unknown_principal_type() {
    assert_message(
        None,
        "version 1\n\nallow sts:AssumeRole\n  principal user acs:ram::1234567890123456:user/a\n",
        r#"p.rgp:4:13: Statement[0].Principal.user: unknown principal type `user`, expected `RAM`, `Service` or `Federated`
  |
4 |   principal user acs:ram::1234567890123456:user/a
  |             ^
  = help: the principal types are `ram`, `service`, `federated` and `plain`"#,
    );
}

#[test]
fn principal_type_twice() {
    assert_message(
        None,
        "version 1\n\nallow sts:AssumeRole\n  principal service log.aliyuncs.com\n  principal service kms.aliyuncs.com\n",
        r#"p.rgp:5:13: Statement[0].Principal.Service: duplicate key `service`
  |
5 |   principal service kms.aliyuncs.com
  |             ^
  = help: list every `service` principal in one clause: `principal service [a, b]`"#,
    );
}

#[test]
fn operator_back_after_another() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on *\n  when StringEquals acs:SourceVpc vpc-1\n  when Bool acs:MFAPresent true\n  when StringEquals acs:AccessId AK1\n",
        r#"p.rgp:7:8: Statement[0].Condition.StringEquals: duplicate key `StringEquals`
  |
7 |   when StringEquals acs:AccessId AK1
  |        ^
  = help: write every `StringEquals` condition of the statement on consecutive `when` lines"#,
    );
}

#[test]
fn condition_key_twice_in_another_case() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on *\n  when StringEquals acs:SourceVpc vpc-1\n  when StringEquals acs:sourcevpc vpc-2\n",
        r#"p.rgp:6:21: Statement[0].Condition.StringEquals."acs:sourcevpc": duplicate key `acs:sourcevpc`
  |
6 |   when StringEquals acs:sourcevpc vpc-2
  |                     ^
  = help: list every value of the key in one clause: `[a, b]`"#,
    );
}

#[test]
fn comma_after_the_last_value() {
    assert_message(
        None,
        "version 1\n\nallow [kms:Decrypt, kms:Encrypt,]\n  on *\n",
        r#"p.rgp:3:33: Statement[0].Action: expected a value, found `]`
  |
3 | allow [kms:Decrypt, kms:Encrypt,]
  |                                 ^
  = help: there is no comma after the last value"#,
    );
}

#[test]
fn unclosed_list() {
    assert_message(
        None,
        "version 1\n\nallow [kms:Decrypt, kms:Encrypt\n  on *\n",
        r#"p.rgp:4:3: Statement[0].Action: expected `,` or `]`, found `on`
  |
4 |   on *
  |   ^
  = help: close the list with `]`"#,
    );
}

#[test]
fn missing_comma_in_a_list() {
    assert_message(
        None,
        "version 1\n\nallow [kms:Decrypt kms:Encrypt]\n  on *\n",
        r#"p.rgp:3:20: Statement[0].Action: expected `,` or `]`, found `kms:Encrypt`
  |
3 | allow [kms:Decrypt kms:Encrypt]
  |                    ^
  = help: separate the values with `,`"#,
    );
}

#[test]
fn keyword_as_a_value() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on *\n  when StringEquals acs:Service on\n",
        r#"p.rgp:5:33: Statement[0].Condition.StringEquals."acs:Service": expected a value or a list `[…]`, found `on`
  |
5 |   when StringEquals acs:Service on
  |                                 ^
  = help: `on` is a keyword; to use it as a value, quote it: `"on"`"#,
    );
}

#[test]
fn clauses_out_of_order() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  when Bool acs:MFAPresent true\n  on *\n",
        r#"p.rgp:5:3: Statement[0]: expected `when` or the next statement, found `on`
  |
5 |   on *
  |   ^
  = help: the `on` clause comes before the `when` clauses"#,
    );
}

#[test]
fn second_on_clause() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on a\n  on b\n",
        r#"p.rgp:5:3: Statement[0]: expected `when` or the next statement, found `on`
  |
5 |   on b
  |   ^
  = help: a statement has one `on` clause; list several resources as `on [a, b]`"#,
    );
}

#[test]
fn misspelt_clause() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  principle service x\n",
        r#"p.rgp:4:3: Statement[0]: expected `principal`, `on`, `when` or the next statement, found `principle`
  |
4 |   principle service x
  |   ^
  = help: did you mean `principal`?"#,
    );
}

#[test]
fn missing_action() {
    assert_message(
        None,
        "version 1\n\nallow\n  on *\n",
        r#"p.rgp:3:1: Statement[0]: the statement has neither `Action` nor `NotAction`
  |
3 | allow
  | ^
  = help: name the actions right after the effect: `allow kms:Decrypt`"#,
    );
}

#[test]
fn unknown_annotation() {
    assert_message(
        None,
        "version 1\n\n@id(x)\nallow kms:*\n  on *\n",
        r#"p.rgp:3:1: Statement[0]: expected `@sid`, found `@id`
  |
3 | @id(x)
  | ^
  = help: the only annotation is `@sid(…)`, the statement id"#,
    );
}

#[test]
fn condition_key_missing_at_the_end() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on a\n  when StringEquals\n",
        r#"p.rgp:5:20: Statement[0].Condition.StringEquals: expected a condition key such as `acs:SourceIp`, or `{}`, found the end of the document
  |
5 |   when StringEquals
  |                    ^"#,
    );
}

#[test]
fn stray_character() {
    assert_message(
        None,
        "version 1\n\nallow kms:*\n  on *;\n",
        r#"p.rgp:4:7: Statement[0]: expected `when` or the next statement, found `;`
  |
4 |   on *;
  |       ^"#,
    );
}

#[test]
fn too_large_for_a_session_policy() {
    let actions: Vec<String> = (0..200).map(|i| format!("kms:Action{i}")).collect();
    let src = format!("version 1\n\nallow [{}]\n  on *\n", actions.join(", "));
    assert_message(
        Some(PolicyKind::Session),
        &src,
        r#"p.rgp:1:1: the policy has 3164 characters, more than the 2048 RAM allows in session policies
  |
1 | version 1
  | ^
  = help: the size is that of the policy's canonical JSON, without white space outside strings"#,
    );
    // The same policy is fine as an identity policy (6,144).
    assert!(Policy::parse(&src, Some(PolicyKind::Identity)).is_ok());
}

#[test]
fn huge_input_is_refused_before_parsing() {
    let src = format!("version 1\n{}", " ".repeat(MAX_SOURCE_BYTES));
    let e = Policy::parse(&src, None).err().map(|e| *e.kind);
    assert_eq!(
        e,
        Some(ParseErrorKind::InputTooLarge {
            actual: MAX_SOURCE_BYTES + 10,
            limit: MAX_SOURCE_BYTES
        })
    );
}

/// One mistake written in both syntaxes: the same error kind (so the same
/// code) and the same JSON path.
#[test]
fn the_dsl_refuses_what_json_refuses_with_the_same_kind_and_path() {
    let head = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*""#;
    let cases: &[(Option<PolicyKind>, &str, String)] = &[
        (
            None,
            "version 1\nallow kms:* on * when StringEqual k v",
            format!(r#"{head},"Resource":"*","Condition":{{"StringEqual":{{"k":"v"}}}}}}]}}"#),
        ),
        (
            None,
            "version 1\nallow kms:* on * when ForSomeValues:Bool k true",
            format!(
                r#"{head},"Resource":"*","Condition":{{"ForSomeValues:Bool":{{"k":"true"}}}}}}]}}"#
            ),
        ),
        (
            None,
            "version 1\nallow kms:* on * when IpAddress acs:SourceIp [1.2.3.4, 10.0.0.0/33]",
            format!(
                r#"{head},"Resource":"*","Condition":{{"IpAddress":{{"acs:SourceIp":["1.2.3.4","10.0.0.0/33"]}}}}}}]}}"#
            ),
        ),
        (
            None,
            "version 1\nallow kms:* on * when DateEquals acs:CurrentTime 2019-13-01T00:00:00Z",
            format!(
                r#"{head},"Resource":"*","Condition":{{"DateEquals":{{"acs:CurrentTime":"2019-13-01T00:00:00Z"}}}}}}]}}"#
            ),
        ),
        (
            None,
            "version 1\nallow kms:* on * when StringEquals k a when StringEquals K b",
            format!(
                r#"{head},"Resource":"*","Condition":{{"StringEquals":{{"k":"a","K":"b"}}}}}}]}}"#
            ),
        ),
        (
            Some(PolicyKind::Session),
            "version 1\nallow kms:* principal ram x on *",
            format!(r#"{head},"Principal":{{"RAM":"x"}},"Resource":"*"}}]}}"#),
        ),
        (
            None,
            "version 1\nallow kms:* principal service x on *",
            format!(r#"{head},"Principal":{{"Service":"x"}},"Resource":"*"}}]}}"#),
        ),
        (
            Some(PolicyKind::Resource),
            "version 1\nallow kms:* principal nobody x on *",
            format!(r#"{head},"Principal":{{"nobody":"x"}},"Resource":"*"}}]}}"#),
        ),
        (
            Some(PolicyKind::Resource),
            "version 1\nallow kms:* on *",
            format!(r#"{head},"Resource":"*"}}]}}"#),
        ),
        (None, "version 1\nallow kms:*", format!(r#"{head}}}]}}"#)),
        (
            None,
            "version 1\nallow on *",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}"#.to_string(),
        ),
        (
            None,
            "version \"2\"\nallow kms:* on *",
            r#"{"Version":"2","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#
                .to_string(),
        ),
        (
            None,
            "allow kms:* on *",
            r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#.to_string(),
        ),
        (
            Some(PolicyKind::Session),
            &format!("version 1\nallow \"{}\" on *", "x".repeat(2100)),
            format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{}","Resource":"*"}}]}}"#,
                "x".repeat(2100)
            ),
        ),
    ];
    for (kind, dsl, json) in cases {
        let d = Policy::parse(dsl, *kind).err();
        let j = Policy::parse(json, *kind).err();
        let (Some(d), Some(j)) = (d, j) else {
            panic!("not refused by both:\n{dsl}\n{json}")
        };
        assert_eq!(d.code(), j.code(), "{dsl}");
        assert_eq!(d.kind, j.kind, "{dsl}");
        assert_eq!(d.path, j.path, "{dsl}");
    }
}

/// Inserts `piece` into `text` at the character boundary nearest `at`.
fn damage(text: &str, at: prop::sample::Index, piece: &str) -> String {
    let mut cut = at.index(text.len() + 1);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{piece}{}", &text[..cut], &text[cut..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_is_a_policy_or_an_error_never_a_panic(src in any::<String>()) {
        if let Err(e) = Policy::from_dsl(&src, None) {
            let _ = render_with_source(&e, "p.rgp", &src);
        }
        let _ = dsl::format(&src, None);
    }

    #[test]
    fn damaged_policies_fail_inside_the_text_or_still_format_stably(
        p in common::trees::policy(),
        at in any::<prop::sample::Index>(),
        piece in prop_oneof![
            prop::sample::select(vec![
                "//", "\n", " ", ",", "[", "]", "\"", "{}", "(", " when ", " on ", " not ",
                "@sid(x) allow y ", "\\", r"\u{d800}", "\t",
            ]).prop_map(str::to_string),
            any::<char>().prop_map(|c| c.to_string()),
        ],
    ) {
        let src = damage(&p.to_dsl(), at, &piece);
        match Policy::from_dsl(&src, Some(p.kind)) {
            Err(e) => {
                let lines = src.lines().count().max(1) as u32;
                prop_assert!(e.loc.line >= 1 && e.loc.line <= lines, "{:?} in\n{}", e, src);
                prop_assert!(e.loc.start <= src.len() && src.is_char_boundary(e.loc.start));
                let shown = render_with_source(&e, "p.rgp", &src);
                let head = format!("p.rgp:{}:{}: ", e.loc.line, e.loc.column);
                prop_assert!(shown.starts_with(&head), "{}", shown);
            }
            Ok(q) => {
                let once = dsl::format(&src, Some(p.kind))
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(dsl::format(&once, Some(p.kind)), Ok(once.clone()), "{}", src);
                prop_assert_eq!(Policy::from_dsl(&once, Some(p.kind)), Ok(q));
            }
        }
    }
}
