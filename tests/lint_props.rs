//! Invariants of `lint_source` on arbitrary and mutated input: it never
//! panics, spans point into the text, findings come in source order, and
//! switching a check off removes exactly that check's findings.

#![cfg(feature = "lint")]

use proptest::prelude::*;
use ramgate::lint::{Config, Finding, lint_source};

const SEEDS: &[&str] = &[
    include_str!("data/lint/seed-passrole.json"),
    include_str!("data/lint/seed-passrole-commented.json"),
    r#"{"Version": "1", "Statement": [{"Sid": "", "Effect": "Allow", "Action": ["kms:*", "kms:Decrypt", "sls:Get"], "Resource": ["acs:kms:*:*:key/*", "arn:aws:s3:::b"], "Condition": {"IpAddress": {"acs:SourceIp": ["10.1.2.3/8", "10.0.0.1/32"]}, "ForAllValues:StringEquals": {"acs:SourceVpc": "vpc-*"}}}]}"#,
    r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::*:root", "acs:ram::1345678901234567:root"], "Service": "log"}}]}"#,
];

fn well_formed(src: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    for f in findings {
        prop_assert!(
            f.span.start <= f.span.end && f.span.end <= src.len(),
            "{f:?}"
        );
        prop_assert!(
            src.is_char_boundary(f.span.start) && src.is_char_boundary(f.span.end),
            "{f:?}"
        );
        if f.span.line > 0 {
            prop_assert!(
                f.span.column >= 1 && f.span.end_line >= f.span.line,
                "{f:?}"
            );
        }
        prop_assert!(!f.message.is_empty());
    }
    let starts: Vec<usize> = findings.iter().map(|f| f.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    prop_assert_eq!(starts, sorted);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let f = lint_source(&src, None, &Config::default());
        well_formed(&src, &f)?;
    }

    #[test]
    fn json_like_text_never_panics(src in r#"[{}\[\]":,. a-zA-Z0-9*?/#\\-]{0,120}"#) {
        let f = lint_source(&src, None, &Config::default());
        well_formed(&src, &f)?;
    }

    #[test]
    fn mutated_policies_never_panic(seed in 0..SEEDS.len(), at in any::<prop::sample::Index>(),
                                    cut in 0usize..8, insert in "[{}\\[\\]\":,*é ]{0,3}") {
        let base = SEEDS[seed];
        let mut i = at.index(base.len() + 1);
        while !base.is_char_boundary(i) { i -= 1; }
        let mut j = (i + cut).min(base.len());
        while !base.is_char_boundary(j) { j -= 1; }
        let src = format!("{}{}{}", &base[..i], insert, &base[j.max(i)..]);
        let f = lint_source(&src, None, &Config::default());
        well_formed(&src, &f)?;
    }

    #[test]
    fn disabling_a_check_removes_exactly_its_findings(seed in 0..SEEDS.len()) {
        let all = lint_source(SEEDS[seed], None, &Config::default());
        for code in all.iter().map(|f| f.code) {
            let mut config = Config::default();
            config.disable(code).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let rest = lint_source(SEEDS[seed], None, &config);
            let expected: Vec<&Finding> = all.iter().filter(|f| f.code != code).collect();
            prop_assert_eq!(rest.iter().collect::<Vec<_>>(), expected);
        }
    }
}
