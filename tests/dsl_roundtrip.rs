//! JSON ⇄ DSL conversion is lossless: for the spec's test vectors, the
//! example policies and generated trees, `json → AST → dsl → AST` and
//! `dsl → AST → json → AST` give the same tree, and printing is canonical.

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use ramgate::policy::kind::significant_chars;
use ramgate::policy::{Policy, PolicyKind, dsl, format, render_with_source};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn parse(src: &str, kind: Option<PolicyKind>, name: &str) -> Policy {
    Policy::parse(src, kind).unwrap_or_else(|e| panic!("{}", render_with_source(&e, name, src)))
}

/// Both round trips from a policy, plus canonical printing:
/// `json → AST → dsl → AST`, `dsl → AST → json → AST`, and formatting the
/// printed DSL or JSON changes nothing.
fn assert_round_trips(p: &Policy, kind: Option<PolicyKind>, name: &str) {
    let dsl_text = p.to_dsl();
    let from_dsl = parse(&dsl_text, kind, &format!("{name} (as DSL)"));
    assert_eq!(&from_dsl, p, "{name}: json → AST → dsl → AST\n{dsl_text}");
    let json_text = from_dsl.to_json();
    let from_json = parse(&json_text, kind, &format!("{name} (as JSON)"));
    assert_eq!(&from_json, p, "{name}: dsl → AST → json → AST\n{json_text}");
    assert_eq!(
        format(&dsl_text, kind).as_deref(),
        Ok(dsl_text.as_str()),
        "{name}"
    );
    assert_eq!(
        format(&json_text, kind).as_deref(),
        Ok(json_text.as_str()),
        "{name}"
    );
    assert_eq!(from_json.to_dsl(), dsl_text, "{name}: printing is stable");
}

/// Every policy document of the spec's vectors with the kind it is read as.
fn vector_policies() -> Vec<(String, Option<PolicyKind>, String)> {
    let path = root().join("tests/data/ram-examples.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for (n, v) in vectors.iter().enumerate() {
        if let Some(doc) = v.get("policy") {
            out.push((format!("vector {n}"), None, doc.to_string()));
        }
        for (m, p) in v["policies"].as_array().into_iter().flatten().enumerate() {
            let kind = p["kind"].as_str().and_then(|k| k.parse().ok());
            out.push((
                format!("vector {n} policy {m}"),
                kind,
                p["document"].to_string(),
            ));
        }
    }
    out
}

#[test]
fn every_test_vector_converts_losslessly_both_ways() {
    let policies = vector_policies();
    assert!(policies.len() >= 40, "{}", policies.len());
    for (name, kind, json) in &policies {
        let p = parse(json, *kind, name);
        assert_round_trips(&p, *kind, name);
    }
}

#[test]
fn every_example_policy_converts_losslessly_both_ways() {
    let mut checked = 0;
    for dir in ["examples/policies", "grammar/examples"] {
        for ext in ["json", dsl::EXTENSION] {
            for path in files(dir, ext) {
                let name = path.display().to_string();
                let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
                let kind = kind_of(&path);
                let p = parse(&src, kind, &name);
                assert_round_trips(&p, kind, &name);
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "{checked}");
}

/// Resource policies cannot be told from trust policies by their content:
/// their example files say `resource` in the name.
fn kind_of(path: &Path) -> Option<PolicyKind> {
    let name = path.file_name()?.to_str()?;
    (name.contains("key-policy") || name.contains("resource")).then_some(PolicyKind::Resource)
}

#[test]
fn an_example_written_in_both_syntaxes_is_one_policy() {
    let mut pairs = 0;
    for rgp in files("examples/policies", dsl::EXTENSION) {
        let json = rgp.with_extension("json");
        if !json.exists() {
            continue;
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
        let a = parse(&read(&rgp), kind_of(&rgp), &rgp.display().to_string());
        let b = parse(&read(&json), kind_of(&json), &json.display().to_string());
        assert_eq!(a, b, "{}", rgp.display());
        pairs += 1;
    }
    assert!(pairs >= 2, "{pairs}");
}

#[test]
fn the_dsl_examples_are_in_canonical_form() {
    for dir in ["examples/policies", "grammar/examples"] {
        for path in files(dir, dsl::EXTENSION) {
            let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let formatted = format(&src, kind_of(&path))
                .unwrap_or_else(|e| panic!("{}", render_with_source(&e, "x", &src)));
            assert_eq!(formatted, src, "{}", path.display());
        }
    }
}

#[test]
fn a_dsl_policy_and_its_json_agree_on_locations_of_the_same_elements() {
    let src = "version 1\n\n@sid(S)\nallow [a, b]\n  on \"r\"\n  when Bool k true\n";
    let p = parse(src, None, "x");
    let s = &p.statements[0];
    let at = |loc: ramgate::policy::Loc| (loc.line, loc.column, &src[loc.start..loc.end]);
    assert_eq!(
        at(s.loc),
        (
            3,
            1,
            "@sid(S)\nallow [a, b]\n  on \"r\"\n  when Bool k true"
        )
    );
    assert_eq!(
        at(s.sid.as_ref().map(|x| x.loc).unwrap_or_default()),
        (3, 6, "S")
    );
    assert_eq!(at(s.effect.loc), (4, 1, "allow"));
    assert_eq!(at(s.action.list.loc), (4, 7, "[a, b]"));
    assert_eq!(at(s.action.list.values[1].loc), (4, 11, "b"));
    let r = s
        .resource
        .as_ref()
        .map(|r| r.values[0].loc)
        .unwrap_or_default();
    assert_eq!(at(r), (5, 6, "\"r\""));
    let c = s.condition.as_ref().map(|c| &c.operators[0]);
    assert_eq!(c.map(|o| at(o.operator.loc)), Some((6, 8, "Bool")));
    assert_eq!(c.map(|o| at(o.keys[0].key.loc)), Some((6, 13, "k")));
    assert_eq!(at(p.loc).0, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_trees_print_and_parse_back_in_both_syntaxes(p in common::trees::policy()) {
        let dsl_text = p.to_dsl();
        let from_dsl = Policy::from_dsl(&dsl_text, Some(p.kind))
            .map_err(|e| TestCaseError::fail(render_with_source(&e, "gen.rgp", &dsl_text)))?;
        prop_assert_eq!(&from_dsl, &p, "{}", dsl_text);
        let json_text = p.to_json();
        let from_json = Policy::from_json(&json_text, Some(p.kind))
            .map_err(|e| TestCaseError::fail(render_with_source(&e, "gen.json", &json_text)))?;
        prop_assert_eq!(&from_json, &p, "{}", json_text);
        prop_assert_eq!(dsl::format(&dsl_text, Some(p.kind)), Ok(dsl_text.clone()));
        // Inference reads the same kind from both syntaxes.
        let inferred_dsl = Policy::from_dsl(&dsl_text, None).map(|q| q.kind);
        let inferred_json = Policy::from_json(&json_text, None).map(|q| q.kind);
        prop_assert_eq!(inferred_dsl.map_err(|e| e.code()), inferred_json.map_err(|e| e.code()));
    }

    #[test]
    fn both_syntaxes_measure_the_same_size(
        p in common::trees::unchecked_policy_of(PolicyKind::Session, common::trees::Strings::long(), 1..12)
    ) {
        // Session policies have the smallest limit (2,048), so some of
        // these are too large, in both syntaxes alike.
        let from_dsl = Policy::from_dsl(&p.to_dsl(), Some(p.kind)).map_err(|e| e.kind);
        let from_json = Policy::from_json(&p.to_json(), Some(p.kind)).map_err(|e| e.kind);
        prop_assert_eq!(from_dsl.is_ok(), significant_chars(&p.to_json()) <= 2048);
        prop_assert_eq!(from_dsl, from_json);
    }
}
