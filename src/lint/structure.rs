//! Structural checks on the located JSON tree.
//!
//! The policy front end stops at the first error, as a parser should. A
//! linter reports every problem it can, each at its own place, so this walk
//! goes over the whole tree and keeps going after a mistake. Messages are
//! the front end's own (`ParseErrorKind`'s `Display`), so `ramgate eval`
//! and `ramgate lint` say the same thing about the same mistake.

use crate::policy::condition::{QualifiedOperator, check_value, suggest};
use crate::policy::error::{ParseErrorKind as K, Path};
use crate::policy::json::syntax::{Node, Value};
use crate::policy::kind::{PolicyKind, significant_chars};
use crate::policy::{Loc, PrincipalKind, Spanned};

use super::sink::{Sink, first_char};

const TOP_LEVEL: [&str; 2] = ["Version", "Statement"];
const STATEMENT_ELEMENTS: [&str; 7] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "Principal",
    "Condition",
];

/// Checks the document's structure and returns its statement objects with
/// their JSON paths, for the semantic checks.
pub(crate) fn check<'n>(
    root: &'n Node,
    src: &str,
    kind: PolicyKind,
    sink: &mut Sink<'_>,
) -> Vec<(Path, &'n Node)> {
    let Value::Object(members) = &root.value else {
        wrong_type(sink, root, "the policy", "an object", &Path::root());
        return Vec::new();
    };
    let chars = significant_chars(src);
    if chars > kind.max_chars() {
        sink.emit(
            "policy-too-large",
            first_char(src, root.loc),
            "",
            K::TooLarge {
                actual: chars,
                limit: kind.max_chars(),
                kind,
            }
            .to_string(),
            Some("merge statements, use wildcards such as `kms:Get*`, or split the policy".into()),
        );
    }
    let mut version = None;
    let mut statements = None;
    for (key, value) in members {
        match key.node.as_str() {
            "Version" => version = Some(value),
            "Statement" => statements = Some(value),
            _ => unsupported(sink, key, &Path::root().key(&key.node), &TOP_LEVEL),
        }
    }
    match version {
        None => sink.emit(
            "missing-version",
            first_char(src, root.loc),
            "",
            K::MissingVersion.to_string(),
            Some("add `\"Version\": \"1\"`".into()),
        ),
        Some(v) => {
            if let Some(shown) = crate::policy::json::bad_version(v) {
                sink.emit(
                    "invalid-version",
                    v.loc,
                    "Version",
                    K::InvalidVersion(shown).to_string(),
                    Some("write `\"Version\": \"1\"`".into()),
                );
            }
        }
    }
    let path = Path::root().key("Statement");
    let Some(node) = statements else {
        sink.emit(
            "missing-statement",
            first_char(src, root.loc),
            "",
            K::MissingStatement.to_string(),
            Some("add `\"Statement\": [ ... ]` with at least one statement".into()),
        );
        return Vec::new();
    };
    let items: Vec<(Path, &Node)> = match &node.value {
        Value::Object(_) => {
            sink.emit(
                "statement-not-array",
                first_char(src, node.loc),
                path.as_str(),
                "`Statement` is a single object, not an array of statements".into(),
                Some("write `\"Statement\": [{ ... }]`".into()),
            );
            vec![(path, node)]
        }
        Value::Array(items) if items.is_empty() => {
            sink.emit(
                "missing-statement",
                node.loc,
                path.as_str(),
                K::MissingStatement.to_string(),
                Some("add at least one statement".into()),
            );
            Vec::new()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (path.index(i), s))
            .collect(),
        _ => {
            wrong_type(sink, node, "`Statement`", "an array of objects", &path);
            Vec::new()
        }
    };
    items
        .into_iter()
        .filter(|(p, s)| statement(s, p, src, kind, sink))
        .collect()
}

/// Checks one statement; `false` when it is not even an object.
fn statement(node: &Node, path: &Path, src: &str, kind: PolicyKind, sink: &mut Sink<'_>) -> bool {
    let Value::Object(members) = &node.value else {
        wrong_type(sink, node, "a statement", "an object", path);
        return false;
    };
    let (mut effect, mut action, mut resource, mut principal) = (false, false, false, false);
    for (key, value) in members {
        let p = path.key(&key.node);
        match key.node.as_str() {
            "Sid" => {
                if !matches!(value.value, Value::String(_)) {
                    wrong_type(sink, value, "`Sid`", "a string", &p);
                }
            }
            "Effect" => {
                effect = true;
                effect_value(value, &p, sink);
            }
            "Action" | "NotAction" => {
                if action {
                    sink.emit(
                        "action-and-not-action",
                        key.loc,
                        p.as_str(),
                        K::ActionAndNotAction.to_string(),
                        Some("keep one of them, or split the statement in two".into()),
                    );
                }
                action = true;
                strings(value, &key.node, &p, sink);
            }
            "Resource" => {
                resource = true;
                if !kind.has_resource() {
                    sink.emit(
                        "resource-in-trust-policy",
                        key.loc,
                        p.as_str(),
                        K::ResourceInTrustPolicy.to_string(),
                        Some("delete `Resource`, or lint with `--kind identity` if this is a permission policy".into()),
                    );
                }
                strings(value, "Resource", &p, sink);
            }
            "Principal" => {
                principal = true;
                if !kind.has_principal() {
                    sink.emit(
                        "principal-in-identity-policy",
                        key.loc,
                        p.as_str(),
                        K::PrincipalNotAllowed(kind).to_string(),
                        Some("delete `Principal`, or lint with `--kind trust` if this is a role's trust policy".into()),
                    );
                }
                principal_value(value, &p, kind, sink);
            }
            "Condition" => condition(value, &p, sink),
            _ => unsupported(sink, key, &p, &STATEMENT_ELEMENTS),
        }
    }
    let at = first_char(src, node.loc);
    if !effect {
        sink.emit(
            "missing-effect",
            at,
            path.as_str(),
            K::MissingEffect.to_string(),
            Some("add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`".into()),
        );
    }
    if !action {
        sink.emit(
            "missing-action",
            at,
            path.as_str(),
            K::MissingAction.to_string(),
            Some("add `\"Action\": \"<ram-code>:<action>\"`".into()),
        );
    }
    if kind.has_resource() && !resource {
        sink.emit(
            "missing-resource",
            at,
            path.as_str(),
            K::MissingResource(kind).to_string(),
            Some("add `\"Resource\": \"*\"` or the ARNs the statement covers".into()),
        );
    }
    if kind.has_principal() && !principal {
        sink.emit(
            "missing-principal",
            at,
            path.as_str(),
            K::MissingPrincipal(kind).to_string(),
            Some("add `\"Principal\": {\"RAM\": [\"acs:ram::<account-id>:root\"]}` or a `Service` principal".into()),
        );
    }
    true
}

fn effect_value(node: &Node, path: &Path, sink: &mut Sink<'_>) {
    match &node.value {
        Value::String(s) if s == "Allow" || s == "Deny" => {}
        Value::String(s) => {
            let help = suggest(s, ["Allow", "Deny"].into_iter())
                .map(|fix| format!("did you mean `{fix}`?"))
                .unwrap_or_else(|| "use `Allow` or `Deny`".into());
            sink.emit(
                "invalid-effect",
                node.loc,
                path.as_str(),
                K::InvalidEffect(s.clone()).to_string(),
                Some(help),
            );
        }
        _ => wrong_type(sink, node, "`Effect`", "a string", path),
    }
}

/// A string or an array of strings.
fn strings(node: &Node, element: &str, path: &Path, sink: &mut Sink<'_>) {
    match &node.value {
        Value::String(_) => {}
        Value::Array(items) => {
            let what = format!("each value of `{element}`");
            for (i, item) in items.iter().enumerate() {
                if !matches!(item.value, Value::String(_)) {
                    wrong_type(sink, item, &what, "a string", &path.index(i));
                }
            }
        }
        _ => wrong_type(
            sink,
            node,
            &format!("`{element}`"),
            "a string or an array of strings",
            path,
        ),
    }
}

fn principal_value(node: &Node, path: &Path, kind: PolicyKind, sink: &mut Sink<'_>) {
    // OSS, VPC endpoint and MaxCompute policies write `Principal` as a
    // string or a list; which dialect takes which form is a semantic check.
    if kind == PolicyKind::Resource && matches!(node.value, Value::String(_) | Value::Array(_)) {
        strings(node, "Principal", path, sink);
        return;
    }
    let Value::Object(members) = &node.value else {
        sink.emit(
            "invalid-principal",
            node.loc,
            path.as_str(),
            format!(
                "`Principal` must be an object of `RAM`, `Service` or `Federated` lists, found {}",
                node.value.type_name()
            ),
            Some("write `\"Principal\": {\"RAM\": [\"acs:ram::<account-id>:root\"]}`".into()),
        );
        return;
    };
    let mut seen: Vec<PrincipalKind> = Vec::new();
    for (key, value) in members {
        let p = path.key(&key.node);
        match PrincipalKind::parse(&key.node) {
            None => {
                let help = suggest(&key.node, ["RAM", "Service", "Federated"].into_iter())
                    .map(|s| format!("did you mean `{s}`?"));
                sink.emit(
                    "invalid-principal",
                    key.loc,
                    p.as_str(),
                    K::InvalidPrincipal(key.node.clone()).to_string(),
                    help,
                );
            }
            Some(kind) if seen.contains(&kind) => duplicate(sink, key, &p),
            Some(kind) => seen.push(kind),
        }
        strings(value, &key.node, &p, sink);
    }
}

fn condition(node: &Node, path: &Path, sink: &mut Sink<'_>) {
    let Value::Object(members) = &node.value else {
        wrong_type(sink, node, "`Condition`", "an object", path);
        return;
    };
    for (op_key, block) in members {
        let op_path = path.key(&op_key.node);
        let operator = match op_key.node.parse::<QualifiedOperator>() {
            Ok(op) => Some(op),
            Err(e) => {
                let help = e.help();
                sink.emit(
                    "unknown-condition-operator",
                    op_key.loc,
                    op_path.as_str(),
                    e.to_string(),
                    help,
                );
                None
            }
        };
        let Value::Object(keys) = &block.value else {
            wrong_type(
                sink,
                block,
                &format!("`{}`", op_key.node),
                "an object of condition keys",
                &op_path,
            );
            continue;
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in keys {
            let key_path = op_path.key(&key.node);
            // Keys compare case-insensitively (spec §5.2): two spellings of
            // one key under one operator are ambiguous.
            if seen.iter().any(|k| k.eq_ignore_ascii_case(&key.node)) {
                duplicate(sink, key, &key_path);
            }
            seen.push(&key.node);
            strings(value, &key.node, &key_path, sink);
            let Some(op) = operator else { continue };
            let values: Vec<(Path, &Node)> = match &value.value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (key_path.index(i), v))
                    .collect(),
                _ => vec![(key_path.clone(), value)],
            };
            for (p, v) in values {
                let Value::String(text) = &v.value else {
                    continue;
                };
                if let Err(error) = check_value(op.operator, text) {
                    sink.emit(
                        "invalid-condition-value",
                        v.loc,
                        p.as_str(),
                        K::ConditionValue {
                            operator: op.operator.to_string(),
                            error,
                        }
                        .to_string(),
                        None,
                    );
                }
            }
        }
    }
}

fn wrong_type(
    sink: &mut Sink<'_>,
    node: &Node,
    element: &str,
    expected: &'static str,
    path: &Path,
) {
    let help = match (&node.value, expected) {
        (Value::Bool(b), "a string") => Some(format!("write `\"{b}\"` with the quotes")),
        (Value::Number(n), "a string") => Some(format!("write `\"{n}\"` with the quotes")),
        _ => None,
    };
    sink.emit(
        "invalid-element-type",
        node.loc,
        path.as_str(),
        K::WrongType {
            element: element.to_string(),
            expected,
            found: node.value.type_name(),
        }
        .to_string(),
        help,
    );
}

fn unsupported(sink: &mut Sink<'_>, key: &Spanned<String>, path: &Path, known: &[&str]) {
    let help = match key.node.as_str() {
        "NotResource" | "NotPrincipal" => Some(format!(
            "RAM does not document `{}`; list what the statement covers instead",
            key.node
        )),
        other => suggest(other, known.iter().copied()).map(|s| format!("did you mean `{s}`?")),
    };
    sink.emit(
        "unsupported-element",
        key.loc,
        path.as_str(),
        K::UnsupportedElement(key.node.clone()).to_string(),
        help,
    );
}

fn duplicate(sink: &mut Sink<'_>, key: &Spanned<String>, path: &Path) {
    sink.emit(
        "unsupported-element",
        key.loc,
        path.as_str(),
        K::DuplicateKey(key.node.clone()).to_string(),
        Some("merge the two entries into one".into()),
    );
}

/// The location RAM's syntax error points at, for `json-syntax` findings.
pub(crate) fn syntax_error_loc(src: &str, loc: Loc) -> Loc {
    // A zero-width error location gets the width of the character there, so
    // carets and SARIF regions show something.
    if loc.end > loc.start {
        loc
    } else {
        first_char(src, loc)
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{Config, lint_source};

    fn found(src: &str) -> Vec<(&'static str, String)> {
        lint_source(src, None, &Config::default())
            .into_iter()
            .map(|f| (f.code, f.path))
            .collect()
    }

    #[test]
    fn every_structural_mistake_of_a_statement_is_reported_at_its_own_path() {
        let src = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "log:GetLogStore",
            "NotAction": "log:Delete*", "Resource": 7, "Actions": "x",
            "Condition": {"NumericLessThan": {"acs:Count": "ten", "ACS:count": "1"}, "Nul": {"a:b": "c"}}}]}"#;
        assert_eq!(
            found(src),
            [
                (
                    "action-and-not-action",
                    "Statement[0].NotAction".to_string()
                ),
                ("invalid-element-type", "Statement[0].Resource".to_string()),
                ("unsupported-element", "Statement[0].Actions".to_string()),
                (
                    "invalid-condition-value",
                    r#"Statement[0].Condition.NumericLessThan."acs:Count""#.to_string()
                ),
                (
                    "unsupported-element",
                    r#"Statement[0].Condition.NumericLessThan."ACS:count""#.to_string()
                ),
                (
                    "unknown-condition-operator",
                    "Statement[0].Condition.Nul".to_string()
                ),
            ]
        );
    }

    #[test]
    fn principal_keys_are_checked_case_insensitively_and_once() {
        let src = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"service": ["log.aliyuncs.com"], "SERVICE": ["ecs.aliyuncs.com"], "Account": ["x"]}}]}"#;
        assert_eq!(
            found(src),
            [
                (
                    "unsupported-element",
                    "Statement[0].Principal.SERVICE".to_string()
                ),
                (
                    "invalid-principal",
                    "Statement[0].Principal.Account".to_string()
                ),
            ]
        );
    }

    #[test]
    fn text_that_is_not_json_is_read_as_dsl() {
        // Text that does not start with `{` is DSL: a DSL policy without
        // `version 1` is `missing-version`; text that is neither is one
        // syntax finding at its start.
        let f = lint_source("allow kms:Decrypt on *", None, &Config::default());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].span.line, f[0].span.column),
            ("missing-version", 1, 1)
        );
        let f = lint_source("%%%", None, &Config::default());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].span.line, f[0].span.column),
            ("json-syntax", 1, 1)
        );
    }
}
