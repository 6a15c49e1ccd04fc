//! `fmt` for DSL text: canonical layout, every comment kept, and
//! formatting twice changes nothing.

mod common;

use proptest::prelude::*;
use ramgate::policy::{Policy, PolicyKind, dsl, render_with_source};

fn fmt(src: &str, kind: Option<PolicyKind>) -> String {
    dsl::format(src, kind).unwrap_or_else(|e| panic!("{}", render_with_source(&e, "t.rgp", src)))
}

/// The `//` comments of a text, in order (test texts keep `//` out of strings).
fn comments(src: &str) -> Vec<&str> {
    src.lines()
        .filter_map(|l| l.find("//").map(|p| l[p..].trim_end()))
        .collect()
}

const MESSY: &str = r#"// file header

// about the version
version   1   // trailing on version
// before the first statement
@sid(  "S1" )   // after sid
allow   // after effect
  [ kms:Decrypt,   // after first action
    // own line inside list
    kms:Encrypt ] on * // after on
when StringEquals acs:SourceVpc "vpc-1" when Bool acs:MFAPresent true // end of when
deny not
// between not and list
  ram:* on "*"


// trailing comment at EOF

// last
"#;

#[test]
fn comments_stay_with_the_line_they_end_or_precede() {
    let expected = r#"// file header

// about the version
version 1 // trailing on version

// before the first statement
@sid(S1) // after sid
allow [ // after effect
    kms:Decrypt, // after first action
    // own line inside list
    kms:Encrypt
  ]
  on * // after on
  when StringEquals acs:SourceVpc vpc-1
  when Bool acs:MFAPresent true // end of when

// between not and list
deny not ram:*
  on *

// trailing comment at EOF

// last
"#;
    let once = fmt(MESSY, None);
    assert_eq!(once, expected);
    assert_eq!(fmt(&once, None), once);
    assert_eq!(comments(&once), comments(MESSY));
    assert_eq!(Policy::parse(&once, None), Policy::parse(MESSY, None));
}

#[test]
fn two_trailing_comments_that_meet_on_one_line_keep_their_order() {
    let src = "version 1\nallow // one\n  kms:* // two\n  on *\n";
    let once = fmt(src, None);
    assert_eq!(once, "version 1\n\n// one\nallow kms:* // two\n  on *\n");
    assert_eq!(fmt(&once, None), once);
}

#[test]
fn a_comment_inside_a_one_value_list_keeps_the_brackets() {
    let src =
        "version 1\n\nallow kms:*\n  on [\n    // the only key\n    acs:kms:*:*:key/k1\n  ]\n";
    assert_eq!(fmt(src, None), src);
    let inline = "version 1\n\nallow kms:*\n  on [acs:kms:*:*:key/k1] // the only key\n";
    assert_eq!(
        fmt(inline, None),
        "version 1\n\nallow kms:*\n  on acs:kms:*:*:key/k1 // the only key\n"
    );
}

#[test]
fn long_lists_break_one_value_per_line_and_short_ones_join() {
    let actions: Vec<String> = (0..8)
        .map(|i| format!("kms:SomeLongActionName{i}"))
        .collect();
    let src = format!("version 1\nallow [{}] on *", actions.join(","));
    let out = fmt(&src, None);
    let mut expected = "version 1\n\nallow [\n".to_string();
    for (n, a) in actions.iter().enumerate() {
        let comma = if n + 1 < actions.len() { "," } else { "" };
        expected.push_str(&format!("    {a}{comma}\n"));
    }
    expected.push_str("  ]\n  on *\n");
    assert_eq!(out, expected);
    let short = "version 1\nallow [\n  kms:A,\n  kms:B\n]\non *\n";
    assert_eq!(
        fmt(short, None),
        "version 1\n\nallow [kms:A, kms:B]\n  on *\n"
    );
}

#[test]
fn every_example_keeps_its_comments_and_is_stable() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/examples");
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let kind = path
            .to_string_lossy()
            .contains("key-policy")
            .then_some(PolicyKind::Resource);
        // Scrambled layout: every line break becomes a space, except
        // after comments.
        let scrambled: String = src
            .lines()
            .map(|l| {
                if l.contains("//") {
                    format!("{l}\n")
                } else {
                    format!("{l} ")
                }
            })
            .collect();
        let out = fmt(&scrambled, kind);
        assert_eq!(fmt(&out, kind), out, "{}", path.display());
        let kept = dsl::format(&src, kind).unwrap_or_default();
        assert_eq!(kept, src, "{}", path.display());
        let count = |s: &str| s.matches("//").count() - s.matches("https://").count();
        assert_eq!(count(&out), count(&src), "{}", path.display());
        assert_eq!(Policy::parse(&out, kind), Policy::parse(&src, kind));
    }
}

/// The comments [`sprinkle`] inserted, in order (`~` is in no generated
/// string other than by chance of any Unicode character).
fn marked(src: &str) -> Vec<&str> {
    src.lines()
        .filter_map(|l| l.find("//~c").map(|p| l[p..].trim_end()))
        .collect()
}

/// Inserts numbered comments into printed DSL at line boundaries: on their
/// own line (after an optional blank line) or at the end of a line.
fn sprinkle(text: &str, choices: &[(bool, bool, bool)]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut inserted = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let (own, blank, trailing) = choices.get(n).copied().unwrap_or_default();
        if own {
            if blank {
                out.push('\n');
            }
            let c = format!("//~c{}~ own \"q\" é", inserted.len());
            out.push_str(&c);
            out.push('\n');
            inserted.push(c);
        }
        out.push_str(line);
        if trailing {
            let c = format!("//~c{}~ end", inserted.len());
            out.push(' ');
            out.push_str(&c);
            inserted.push(c);
        }
        out.push('\n');
    }
    (out, inserted)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fmt_keeps_every_comment_in_order_and_is_idempotent(
        p in common::trees::policy(),
        choices in proptest::collection::vec(any::<(bool, bool, bool)>(), 0..40),
    ) {
        let (src, inserted) = sprinkle(&p.to_dsl(), &choices);
        let once = dsl::format(&src, Some(p.kind))
            .map_err(|e| TestCaseError::fail(render_with_source(&e, "t.rgp", &src)))?;
        prop_assert_eq!(marked(&once), inserted.iter().map(String::as_str).collect::<Vec<_>>(), "{}", once);
        prop_assert_eq!(dsl::format(&once, Some(p.kind)), Ok(once.clone()));
        let back = Policy::from_dsl(&once, Some(p.kind));
        prop_assert_eq!(back, Ok(p));
    }
}
