//! `ramgate lint`: find mistakes and risky grants in RAM policies.
//!
//! ```
//! use ramgate::lint::{Config, lint_source};
//!
//! let src = r#"{"Version": "1", "Statement": [
//!     {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::*"}]}"#;
//! let findings = lint_source(src, None, &Config::default());
//! assert_eq!(findings[0].code, "pass-role-wildcard");
//! assert_eq!(findings[0].path, "Statement[0].Resource");
//! assert_eq!((findings[0].span.line, findings[0].span.column), (2, 63));
//! ```
//!
//! Every check is a record of the catalogue (`catalogue/checks.json`):
//! a stable code, a severity, a title, an explanation and an example fix.
//! JSON documents are checked on their located JSON tree first, so that
//! every structural mistake is reported at its own place, then statement
//! by statement on the AST; DSL documents are checked on the AST.

pub mod catalogue;
mod checks;
pub mod config;
mod finding;
mod globs;
pub mod render;
mod sink;
mod structure;

pub use crate::policy::{Dialect, KindSpec};
pub use config::{Config, ConfigError};
pub use finding::{Finding, Severity, Span, UnknownSeverity};

use crate::policy::json::{self, decode_statement};
use crate::policy::kind::significant_chars;
use crate::policy::{Format, Policy, PolicyKind, Statement};

use catalogue::ServiceCatalogue;
use checks::{Doc, Stmt};
use sink::Sink;

/// Lints one policy document, JSON or DSL (recognised by content).
///
/// `kind` absent: inferred as `ramgate eval` does (statements with
/// `Principal` make a trust policy, a plain `Principal` list a resource
/// policy). Findings come in source order.
pub fn lint_source(src: &str, kind: Option<PolicyKind>, config: &Config) -> Vec<Finding> {
    lint_document(src, kind.map(KindSpec::from), config)
}

/// Lints one policy document as `--kind` names it: a policy kind, or a
/// resource-policy dialect (`oss-bucket`, `kms-key`, …). A plain
/// `resource` kind is checked in the dialect its resources show
/// ([`Dialect::recognise`]), the generic one when they show none.
pub fn lint_document(src: &str, kind: Option<KindSpec>, config: &Config) -> Vec<Finding> {
    let mut sink = Sink::new(src, config);
    match Format::detect(src) {
        Format::Json => lint_json(src, kind, &mut sink),
        Format::Dsl => lint_dsl(src, kind, &mut sink),
    }
    let mut findings = sink.findings;
    // Source order; at one place the most severe first.
    findings.sort_by(|a, b| {
        (a.span.start, std::cmp::Reverse(a.severity), a.code).cmp(&(
            b.span.start,
            std::cmp::Reverse(b.severity),
            b.code,
        ))
    });
    findings
}

fn lint_json(src: &str, spec: Option<KindSpec>, sink: &mut Sink<'_>) {
    let root = match json::parse_tree(src) {
        Ok(root) => root,
        Err(e) => {
            let loc = structure::syntax_error_loc(src, e.loc);
            sink.emit(e.code(), loc, &e.path, e.kind.to_string(), syntax_help(&e));
            return;
        }
    };
    let kind = spec.map_or_else(|| json::infer_kind(&root), |s| s.kind);
    let nodes = structure::check(&root, src, kind, sink);
    let mut decoded: Vec<(String, Statement)> = Vec::new();
    for (path, node) in nodes {
        match decode_statement(node, &path, kind) {
            Ok(s) => decoded.push((path.as_str().to_string(), s)),
            // The tree walk reports what the front end refuses; should the
            // two ever disagree, the front end's error is still shown.
            Err(e) if !sink.has_error_under(path.as_str()) => {
                sink.emit(e.code(), e.loc, &e.path, e.kind.to_string(), e.help.clone())
            }
            Err(_) => {}
        }
    }
    let dialect = dialect(kind, spec, &decoded);
    semantic(kind, dialect, &decoded, sink);
}

/// The dialect of a resource policy: the one `--kind` names, else the one
/// its resources show.
fn dialect(
    kind: PolicyKind,
    spec: Option<KindSpec>,
    statements: &[(String, Statement)],
) -> Option<Dialect> {
    (kind == PolicyKind::Resource).then(|| {
        spec.and_then(|s| s.dialect).unwrap_or_else(|| {
            Dialect::recognise(
                statements
                    .iter()
                    .filter_map(|(_, s)| s.resource.as_ref())
                    .flat_map(|r| r.strs()),
            )
        })
    })
}

fn lint_dsl(src: &str, spec: Option<KindSpec>, sink: &mut Sink<'_>) {
    let policy = match Policy::parse(src, spec.map(|s| s.kind)) {
        Ok(p) => p,
        Err(e) => {
            let loc = structure::syntax_error_loc(src, e.loc);
            sink.emit(e.code(), loc, &e.path, e.kind.to_string(), e.help.clone());
            return;
        }
    };
    let chars = significant_chars(&policy.to_json());
    if chars > policy.kind.max_chars() {
        sink.emit(
            "policy-too-large",
            sink::first_char(src, policy.loc),
            "",
            crate::policy::ParseErrorKind::TooLarge {
                actual: chars,
                limit: policy.kind.max_chars(),
                kind: policy.kind,
            }
            .to_string(),
            Some("the size counts the policy's JSON form, as RAM stores it".into()),
        );
    }
    let decoded: Vec<(String, Statement)> = policy
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("Statement[{i}]"), s.clone()))
        .collect();
    let dialect = dialect(policy.kind, spec, &decoded);
    semantic(policy.kind, dialect, &decoded, sink);
}

fn semantic(
    kind: PolicyKind,
    dialect: Option<Dialect>,
    statements: &[(String, Statement)],
    sink: &mut Sink<'_>,
) {
    let doc = Doc {
        kind,
        dialect,
        statements: statements
            .iter()
            .map(|(path, s)| Stmt {
                path: path.clone(),
                s,
            })
            .collect(),
        catalogue: ServiceCatalogue::get(),
    };
    checks::run(&doc, sink);
}

fn syntax_help(e: &crate::policy::ParseError) -> Option<String> {
    if let Some(h) = &e.help {
        return Some(h.clone());
    }
    let message = e.kind.to_string();
    if message.contains("found `#`") || message.contains("found `/`") {
        Some("JSON has no comments; delete the comment".into())
    } else if message.contains("expected a string key, found `}`")
        || message.contains("expected a value, found `]`")
    {
        Some("JSON allows no trailing comma; delete it".into())
    } else if message.contains("found `'`") {
        Some("JSON strings use double quotes".into())
    } else {
        None
    }
}
