//! `grammar/policy.ebnf` and the parser agree: every word the parser knows
//! is a terminal of the grammar and back, the grammar is closed (every
//! production used is defined and every one defined is used), and the
//! examples in `grammar/examples/` parse and together use every production.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ramgate::policy::condition::{Operator, Qualifier};
use ramgate::policy::{
    Effect, Policy, PolicyKind, PrincipalKind, ValueList, dsl, render_with_source,
};
use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The grammar's productions: name → right-hand side, comments removed.
fn productions() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("grammar/policy.ebnf"))
        .unwrap_or_else(|e| panic!("{e}"));
    let comments = Regex::new(r"(?s)/\*.*?\*/").unwrap_or_else(|e| panic!("{e}"));
    let text = comments.replace_all(&text, " ");
    let head = Regex::new(r"(?m)^([a-z][a-z-]*)\s*::=").unwrap_or_else(|e| panic!("{e}"));
    let heads: Vec<_> = head.captures_iter(&text).collect();
    let mut out = BTreeMap::new();
    for (n, c) in heads.iter().enumerate() {
        let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let end = heads
            .get(n + 1)
            .and_then(|h| h.get(0))
            .map_or(text.len(), |m| m.start());
        let previous = out.insert(name.as_str().to_string(), text[all.end()..end].to_string());
        assert!(previous.is_none(), "`{}` is defined twice", name.as_str());
    }
    out
}

/// The quoted terminals of a right-hand side.
fn terminals(rhs: &str) -> BTreeSet<String> {
    let quoted = Regex::new(r#"'([^']*)'|"([^"]*)""#).unwrap_or_else(|e| panic!("{e}"));
    quoted
        .captures_iter(rhs)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

fn set<'a>(words: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    words.into_iter().map(str::to_string).collect()
}

#[test]
fn every_word_the_parser_knows_is_a_terminal_of_the_grammar_and_back() {
    let grammar = productions();
    let all: BTreeSet<String> = grammar.values().flat_map(|rhs| terminals(rhs)).collect();
    let words: BTreeSet<String> = all
        .iter()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic()) || t.starts_with("@s"))
        .cloned()
        .collect();
    assert_eq!(words, set(dsl::keywords()));
    let of = |name: &str| terminals(grammar.get(name).map_or("", String::as_str));
    assert_eq!(of("keyword"), set(dsl::KEYWORDS));
    assert_eq!(of("effect"), set(["allow", "deny"]));
    assert_eq!(
        of("principal-type"),
        set(["ram", "service", "federated", "plain"])
    );
    assert_eq!(
        of("qualifier"),
        set([Qualifier::ForAnyValue, Qualifier::ForAllValues].map(Qualifier::as_str))
    );
    assert_eq!(
        of("operator-name"),
        set(Operator::ALL.map(Operator::as_str))
    );
    assert_eq!(of("sid"), set(["@sid", "(", ")"]));
    assert_eq!(of("value-list"), set(["[", ",", "]"]));
    assert_eq!(of("empty-block"), set(["{", "}"]));
}

#[test]
fn the_grammar_is_closed_every_name_defined_and_used() {
    let grammar = productions();
    let name = Regex::new(r"[a-z][a-z]*(?:-[a-z]+)*").unwrap_or_else(|e| panic!("{e}"));
    let quoted = Regex::new(r#"'[^']*'|"[^"]*"|\[[^\]]*\]|#x[0-9A-Fa-f]+"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut used = BTreeSet::new();
    for (lhs, rhs) in &grammar {
        let bare = quoted.replace_all(rhs, " ");
        for m in name.find_iter(&bare) {
            assert!(
                grammar.contains_key(m.as_str()),
                "`{lhs}` uses undefined `{}`",
                m.as_str()
            );
            used.insert(m.as_str().to_string());
        }
    }
    let unused: Vec<_> = grammar.keys().filter(|n| !used.contains(*n)).collect();
    // The start symbol and the two kinds of trivia stand on their own.
    assert_eq!(unused, ["comment", "policy", "white-space"]);
}

fn examples() -> Vec<(String, String, Policy)> {
    let dir = root().join("grammar/examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            assert!(name.ends_with(".rgp"), "{name}: examples are `.rgp` files");
            let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let kind = (name.contains("key-policy") || name.contains("bucket-policy"))
                .then_some(PolicyKind::Resource);
            let policy = Policy::parse(&src, kind)
                .unwrap_or_else(|e| panic!("{}", render_with_source(&e, &name, &src)));
            (name, src, policy)
        })
        .collect()
}

#[test]
fn every_example_parses() {
    let all = examples();
    assert!(all.len() >= 6, "{}", all.len());
}

#[test]
fn the_examples_together_use_every_production() {
    let all = examples();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut see = |what: &str| {
        seen.insert(what.to_string());
    };
    for (_, src, p) in &all {
        let text = |loc: ramgate::policy::Loc| &src[loc.start..loc.end];
        let list = |l: &ValueList, see: &mut dyn FnMut(&str)| {
            let written = text(l.loc);
            match (written.starts_with('['), l.values.len()) {
                (false, _) => see("value-list: one value"),
                (true, 0) => see("value-list: []"),
                (true, 1) => see("value-list: [one]"),
                (true, _) => see("value-list: [a, b]"),
            }
            for v in &l.values {
                let written = text(v.loc);
                see(if written.starts_with('"') {
                    "quoted-string"
                } else {
                    "bare-word"
                });
                if dsl::KEYWORDS.contains(&v.node.as_str()) {
                    see("keyword: quoted as a value");
                }
                if v.node.contains("//") {
                    see("comment-start: quoted");
                }
                if !written.starts_with('"') {
                    for c in ['/', '@'] {
                        if v.node.contains(c) {
                            see(&format!("bare-char: {c}"));
                        }
                    }
                }
            }
        };
        see("version-decl");
        for s in &p.statements {
            if s.sid.is_some() {
                see("sid");
            }
            see(match s.effect.node {
                Effect::Allow => "effect: allow",
                Effect::Deny => "effect: deny",
            });
            see(if s.action.negated {
                "action-clause: not"
            } else {
                "action-clause"
            });
            list(&s.action.list, &mut see);
            if let Some(pb) = &s.principal {
                if pb.entries.is_empty() {
                    see("principal-clause: {}");
                }
                for e in &pb.entries {
                    see(match e.kind.node {
                        PrincipalKind::Ram => "principal-type: ram",
                        PrincipalKind::Service => "principal-type: service",
                        PrincipalKind::Federated => "principal-type: federated",
                        PrincipalKind::Plain => "principal-type: plain",
                    });
                    list(&e.values, &mut see);
                }
            }
            if let Some(r) = &s.resource {
                see("resource-clause");
                list(r, &mut see);
            }
            if let Some(c) = &s.condition {
                if c.operators.is_empty() {
                    see("condition-clause: when {}");
                }
                for op in &c.operators {
                    let q = op.operator.node;
                    see(&format!("operator-name: {}", q.operator));
                    see(&match q.qualifier {
                        Some(q) => format!("qualifier: {}", q.as_str()),
                        None => "operator: unqualified".to_string(),
                    });
                    if op.keys.is_empty() {
                        see("condition-clause: when Op {}");
                    }
                    if op.keys.len() > 1 {
                        see("condition-clause: several keys of one operator");
                    }
                    for k in &op.keys {
                        see("condition-key");
                        list(&k.values, &mut see);
                    }
                }
            }
        }
        for escape in [r#"\""#, r"\\", r"\n", r"\r", r"\t", r"\u{"] {
            if src.contains(escape) {
                see(&format!("escape: {escape}"));
            }
        }
        for line in src.lines() {
            if line.trim_start().starts_with("//") {
                see("comment: own line");
            } else if line.contains(" // ") {
                see("comment: after a token");
            }
        }
        if src.contains("\n\n") {
            see("white-space: blank line");
        }
    }
    let mut expected: BTreeSet<String> = [
        "version-decl",
        "sid",
        "effect: allow",
        "effect: deny",
        "action-clause",
        "action-clause: not",
        "principal-clause: {}",
        "principal-type: ram",
        "principal-type: service",
        "principal-type: federated",
        "principal-type: plain",
        "resource-clause",
        "condition-clause: when {}",
        "condition-clause: when Op {}",
        "condition-clause: several keys of one operator",
        "condition-key",
        "qualifier: ForAnyValue",
        "qualifier: ForAllValues",
        "operator: unqualified",
        "value-list: one value",
        "value-list: []",
        "value-list: [a, b]",
        "quoted-string",
        "bare-word",
        "keyword: quoted as a value",
        "comment-start: quoted",
        "bare-char: /",
        "bare-char: @",
        "comment: own line",
        "comment: after a token",
        "white-space: blank line",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    expected.extend(Operator::ALL.map(|o| format!("operator-name: {o}")));
    expected.extend([r#"\""#, r"\\", r"\n", r"\r", r"\t", r"\u{"].map(|e| format!("escape: {e}")));
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(missing.is_empty(), "no example uses {missing:?}");
}
