//! Malformed input gives an error or a result, never a panic; every error
//! points inside the input.

mod common;

use ramgate::policy::{Policy, PolicyKind};

fn sources() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in common::vectors::load() {
        if let Some(p) = v.get("policy") {
            out.push(serde_json::to_string_pretty(p).unwrap_or_default());
        }
        for p in v["policies"].as_array().into_iter().flatten() {
            out.push(serde_json::to_string_pretty(&p["document"]).unwrap_or_default());
        }
    }
    for entry in std::fs::read_dir("examples/policies")
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(s) = std::fs::read_to_string(entry.path()) {
            out.push(s);
        }
    }
    assert!(out.len() > 35);
    out
}

/// Parses in every kind; an error must have a location within the input.
fn check(src: &str) {
    for kind in [
        None,
        Some(PolicyKind::Identity),
        Some(PolicyKind::Trust),
        Some(PolicyKind::Session),
    ] {
        if let Err(e) = Policy::parse(src, kind) {
            assert!(e.loc.start <= src.len(), "error outside the input: {e:?}");
            assert!(e.loc.line >= 1, "error without a line: {e:?} for {src:?}");
        }
    }
}

#[test]
fn every_truncation_of_every_example_is_handled() {
    for src in sources() {
        for cut in (0..src.len()).filter(|&i| src.is_char_boundary(i)) {
            check(&src[..cut]);
        }
    }
}

#[test]
fn byte_mutations_of_every_example_are_handled() {
    let replacements: &[u8] = b"{}[]\":,\\ *?x0\n\x00\xff";
    for src in sources() {
        let bytes = src.as_bytes();
        for i in (0..bytes.len()).step_by(3) {
            for &b in replacements {
                let mut m = bytes.to_vec();
                m[i] = b;
                if let Ok(s) = String::from_utf8(m) {
                    check(&s);
                }
            }
        }
    }
}

#[test]
fn deep_nesting_is_a_limit_error() {
    for open in ["{\"a\":[", "{\"a\":", "{\"Statement\":["] {
        let src = open.repeat(50_000);
        let e = Policy::parse(&src, None).err().map(|e| e.code());
        assert_eq!(e, Some("json-syntax"));
    }
    let deep = format!("{{\"Version\":{}{}}}", "[".repeat(40), "]".repeat(40));
    let e = Policy::parse(&deep, None).err().map(|e| e.to_string());
    assert_eq!(
        e,
        Some("the document is nested more than 32 levels deep".to_string())
    );
}

#[test]
fn a_ten_megabyte_document_is_refused_by_size() {
    let statement = r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},"#;
    let body = statement.repeat(10 * 1024 * 1024 / statement.len());
    let src = format!(
        r#"{{"Version":"1","Statement":[{}]}}"#,
        body.trim_end_matches(',')
    );
    assert!(src.len() > 10_000_000);
    let e = Policy::parse(&src, None).err();
    assert_eq!(e.as_ref().map(|e| e.code()), Some("json-syntax"));
    assert!(
        e.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("more than the 1048576 ramgate reads")
    );
}

#[test]
fn a_policy_over_the_kind_limit_is_policy_too_large() {
    let statement = r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},"#;
    let body = statement.repeat(40);
    let src = format!(
        r#"{{"Version":"1","Statement":[{}]}}"#,
        body.trim_end_matches(',')
    );
    assert!(Policy::parse(&src, Some(PolicyKind::Identity)).is_ok());
    let e = Policy::parse(&src, Some(PolicyKind::Session)).err();
    assert_eq!(e.as_ref().map(|e| e.code()), Some("policy-too-large"));
    assert_eq!(
        e.map(|e| e.to_string()),
        Some(
            "the policy has 2309 characters, more than the 2048 RAM allows in session policies"
                .to_string()
        )
    );
}
