//! The linter on 393 real policy documents (tests/data/corpus/, collected
//! from Alibaba's and its users' public repositories; INDEX.md names each
//! one's source): every document gets exactly the error codes and security
//! warnings the reviewed expectation file (tests/data/lint/corpus-expected.json)
//! records for it. A new error on a valid document is a false positive, and
//! the failure names the document and where it came from.

#![cfg(feature = "lint")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ramgate::lint::{Config, KindSpec, Severity, lint_document};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// INDEX.md's table of files: name → "repository@commit:path".
fn sources() -> BTreeMap<String, String> {
    let index = read(&root().join("corpus/INDEX.md"));
    index
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            // | file | kind | repository | commit | path | at | notes |
            let (file, repo, commit, path) =
                (cells.get(1)?, cells.get(3)?, cells.get(4)?, cells.get(5)?);
            (file.ends_with(".json") || file.ends_with(".txt")).then(|| {
                (
                    file.to_string(),
                    format!("{repo}@{}:{path}", commit.trim_matches('`')),
                )
            })
        })
        .collect()
}

/// The corpus's own account: INDEX.md replaces the templates' account
/// variables with `1234567890123456`, so it is the owner, as `account` in
/// ramgate.toml would say.
fn config() -> Config {
    let mut config = Config::default();
    config.account = Some("1234567890123456".into());
    config
}

fn codes(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            c.as_str()
                .or_else(|| c["code"].as_str())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn every_corpus_document_gets_exactly_its_reviewed_errors_and_security_warnings() {
    let kinds = json(&root().join("corpus/kinds.json"));
    let expected = json(&root().join("lint/corpus-expected.json"));
    let sources = sources();
    let kinds = kinds.as_object().cloned().unwrap_or_default();
    assert_eq!(kinds.len(), 393, "the corpus has 393 documents");
    let config = config();
    let mut failures = Vec::new();
    for (file, kind) in &kinds {
        let source = sources
            .get(file)
            .map_or("(not in INDEX.md)", String::as_str);
        let kind: KindSpec = kind
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let text = read(&root().join("corpus").join(file));
        let findings = lint_document(&text, Some(kind), &config);
        let of = |s: Severity| -> BTreeSet<String> {
            findings
                .iter()
                .filter(|f| f.severity == s)
                .map(|f| f.code.to_string())
                .collect()
        };
        let want = &expected["documents"][file];
        if want.is_null() {
            failures.push(format!("{file} ({source}): no expectation recorded"));
            continue;
        }
        let (errors, want_errors) = (of(Severity::Error), codes(&want["errors"]));
        if errors != want_errors {
            let new: Vec<_> = errors.difference(&want_errors).collect();
            let what = if want_errors.is_empty() {
                "a valid document now gets errors"
            } else {
                "its errors changed"
            };
            let detail: Vec<String> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| format!("{} at {}: {}", f.code, f.path, f.message))
                .collect();
            failures.push(format!(
                "{file} ({source}): {what}: expected {want_errors:?}, got {errors:?} (new: {new:?}); {}",
                detail.join("; ")
            ));
        }
        let (security, want_security) = (of(Severity::SecurityWarning), codes(&want["security"]));
        if security != want_security {
            failures.push(format!(
                "{file} ({source}): security warnings: expected {want_security:?}, got {security:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_expectations_are_reviewed_broken_documents_say_why_and_every_txt_is_broken() {
    let expected = json(&root().join("lint/corpus-expected.json"));
    let docs = expected["documents"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let kinds = json(&root().join("corpus/kinds.json"));
    let files: BTreeSet<&String> = kinds
        .as_object()
        .map(|k| k.keys().collect())
        .unwrap_or_default();
    let recorded: BTreeSet<&String> = docs.keys().collect();
    assert_eq!(files, recorded, "every document has one expectation");
    let on_disk = std::fs::read_dir(root().join("corpus"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.file_name() != "INDEX.md" && e.file_name() != "kinds.json")
        .count();
    assert_eq!(on_disk, files.len(), "every corpus file is in kinds.json");
    let mut txt = 0;
    for (file, want) in &docs {
        let errors = codes(&want["errors"]);
        let broken = want["broken"].as_str().unwrap_or_default();
        if file.ends_with(".txt") {
            txt += 1;
            assert!(
                !errors.is_empty(),
                "{file}: a .txt document must get an error"
            );
        }
        assert_eq!(
            errors.is_empty(),
            broken.is_empty(),
            "{file}: a document has errors exactly when it is recorded as broken, with a reason"
        );
        for s in want["security"].as_array().into_iter().flatten() {
            let reason = s["reason"].as_str().unwrap_or_default();
            assert!(
                reason.len() > 20 && !reason.contains('\n'),
                "{file}: `{}` needs a one-line reason it is a real risk",
                s["code"]
            );
        }
    }
    assert_eq!(txt, 25);
    let valid = docs
        .values()
        .filter(|d| codes(&d["errors"]).is_empty())
        .count();
    assert_eq!(
        valid,
        393 - 37,
        "the broken documents are the 25 `.txt` and 12 JSON ones"
    );
}
