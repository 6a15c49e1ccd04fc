//! The human renderers never pass a control, format or bidirectional
//! character from input to the terminal (S6): for arbitrary strings in
//! every field that came from input, their output holds no C0 control but
//! the line breaks between lines and the tabs of echoed source lines, no
//! DEL, no C1 control and no Cf character (bidirectional overrides
//! included).

use proptest::prelude::*;
use serde_json::json;

use crate::authz::Reason;
use crate::clock::SystemClock;
use crate::lint::render::FileReport;
use crate::lint::{Config, lint_source};
use crate::logstore::AuditRecord;
use crate::policy::Effect;
use crate::ram::{Access, DecisionChain, Directory, Identity, Ram};
use crate::terminal::is_unsafe;

use super::audit::record_text;
use super::chain;
use super::error_line;
use super::lint::human_text;

const UID: &str = "1234567890123456";

/// Strings that mix arbitrary text with every dangerous character.
fn hostile() -> impl Strategy<Value = String> {
    let dangerous: Vec<char> = (0u32..=0x10ffff)
        .filter_map(char::from_u32)
        .filter(|c| is_unsafe(*c))
        .collect();
    proptest::collection::vec(
        prop_oneof![
            any::<String>(),
            proptest::sample::select(dangerous).prop_map(String::from),
            Just("\n#999 2026-12-01T00:00:00Z put-logs root allowed\n".to_string()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// Whether a rendering is safe: only `\n` and (where echoed source lines
/// may hold them) `\t` of the unsafe characters.
fn assert_safe(out: &str, tabs: bool) -> Result<(), TestCaseError> {
    let bad: Vec<char> = out
        .chars()
        .filter(|&c| is_unsafe(c) && c != '\n' && !(tabs && c == '\t'))
        .collect();
    prop_assert!(bad.is_empty(), "{bad:?} in {out:?}");
    Ok(())
}

/// A real chain of one step, its input fields replaced by `s`.
fn chain_with(s: &str) -> DecisionChain {
    let mut directory = Directory::new();
    let _ = directory.add_account(UID);
    let account = Identity::Account { uid: UID.into() };
    let access = Access::new("log:GetLogStore", "acs:log:*:*:project/p");
    let mut chain = DecisionChain::new();
    if let Ok(mut step) = Ram::new(&directory, &SystemClock).authorize(&account, &access, None) {
        step.principal = s.to_string();
        step.action = s.to_string();
        step.resource = Some(s.to_string());
        step.response.reasons.push(Reason {
            policy: s.to_string(),
            statement: 0,
            sid: Some(s.to_string()),
            effect: Effect::Deny,
            line: 1,
            column: 1,
            fail_closed: false,
        });
        chain.steps.push(step);
    }
    chain
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chains_print_no_unsafe_character(s in hostile()) {
        let chain = chain_with(&s);
        prop_assert_eq!(chain.steps.len(), 1);
        let out = chain::render(&chain);
        assert_safe(&out, false)?;
        // One line for the verdict, one for the step, one for the reason.
        prop_assert_eq!(out.lines().count(), 3);
    }

    #[test]
    fn audit_records_print_no_unsafe_character(s in hostile()) {
        let record = AuditRecord {
            seq: 7,
            time: "2026-12-01T00:00:00Z".into(),
            event: json!({
                "op": s, "caller": s, "outcome": s,
                "target": {"project": s, "logstore": s, s.clone(): s},
                "detail": {"code": s},
                "chain": serde_json::to_value(chain_with(&s)).unwrap_or_default(),
            }),
            state: Default::default(),
            hash: String::new(),
        };
        let out = record_text(&record);
        assert_safe(&out, false)?;
        // A newline in a value cannot forge a record line.
        prop_assert_eq!(out.lines().filter(|l| l.starts_with('#')).count(), 1);
    }

    #[test]
    fn errors_print_no_unsafe_character(s in hostile()) {
        assert_safe(&error_line(&format!("unknown caller `{s}`")), false)?;
    }

    #[test]
    fn policy_errors_keep_only_the_tabs_of_their_source_frame(s in hostile()) {
        let value = serde_json::to_string(&s).unwrap_or_default();
        let src = format!("{{\"Version\": \"1\",\n\t\"Statement\": {value}}}");
        if let Err(e) = crate::policy::Policy::from_json(&src, None) {
            let out = error_line(&crate::policy::render_with_source(&e, &s, &src));
            let outside_frames: String = out
                .lines()
                .filter(|l| !crate::terminal::is_source_frame(l))
                .collect::<Vec<_>>()
                .join("\n");
            assert_safe(&outside_frames, false)?;
            assert_safe(&out, true)?;
        }
    }

    #[test]
    fn lint_reports_print_no_unsafe_character_but_source_tabs(s in hostile()) {
        let value = serde_json::to_string(&s).unwrap_or_default();
        let src = format!(
            "{{\"Version\": \"1\", \"Statement\": [{{\t\"Effect\": \"Allow\", \"Action\": {value}, \"Resource\": {value}, \"Condition\": {{\"StringEquals\": {{{value}: {value}}}}}}}]}}"
        );
        let findings = lint_source(&src, None, &Config::default());
        let reports = [FileReport { file: &s, src: &src, findings: &findings }];
        assert_safe(&human_text(&reports, Some(&s)), true)?;
    }
}
