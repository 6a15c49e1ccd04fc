//! JSON tree → policy AST, with RAM's structural rules (spec §1–§2, §6).

use crate::policy::ast::*;
use crate::policy::condition::{QualifiedOperator, check_value};
use crate::policy::error::{ParseError, ParseErrorKind as K, Path};
use crate::policy::kind::{MAX_SOURCE_BYTES, PolicyKind, significant_chars};
use crate::policy::loc::{Loc, Spanned};

use super::syntax::{self, Node, Value};

/// Parses a RAM policy from its JSON text.
///
/// With `kind` absent the kind is inferred: a document whose statements carry
/// `Principal` is a trust policy, any other an identity policy.
pub fn parse_policy(src: &str, kind: Option<PolicyKind>) -> Result<Policy, ParseError> {
    let root = parse_tree(src)?;
    let kind = kind.unwrap_or_else(|| infer_kind(&root));
    decode_tree(src, root, kind)
}

/// Reads the JSON tree, mapping syntax errors and the input size limit.
pub fn parse_tree(src: &str) -> Result<Node, ParseError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(ParseError::new(
            K::InputTooLarge {
                actual: src.len(),
                limit: MAX_SOURCE_BYTES,
            },
            Loc::from_offsets(src, 0, 0),
            "",
        ));
    }
    syntax::parse(src).map_err(|e| {
        let kind = if e.too_deep {
            K::TooDeep(crate::policy::kind::MAX_DEPTH)
        } else if let Some(key) = e.duplicate_key {
            K::DuplicateKey(key)
        } else {
            K::JsonSyntax(e.message)
        };
        ParseError::new(kind, e.loc, "")
    })
}

/// A document whose statements carry `Principal` is a trust policy, or a
/// resource policy when a `Principal` is a string or a list (the OSS,
/// VPC endpoint and MaxCompute form, which trust policies never use).
pub fn infer_kind(root: &Node) -> PolicyKind {
    let statements = member(root, "Statement").map(|s| match &s.value {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        _ => vec![s],
    });
    let principals: Vec<&Node> = statements
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| member(s, "Principal"))
        .collect();
    if principals
        .iter()
        .any(|p| matches!(p.value, Value::String(_) | Value::Array(_)))
    {
        PolicyKind::Resource
    } else if principals.is_empty() {
        PolicyKind::Identity
    } else {
        PolicyKind::Trust
    }
}

fn member<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Object(members) => members.iter().find(|(k, _)| k.node == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Decodes a JSON tree already read from `src` as a policy of `kind`.
pub fn decode(src: &str, root: &Node, kind: PolicyKind) -> Result<Policy, ParseError> {
    decode_tree(src, root.clone(), kind)
}

/// [`decode`], moving the strings out of the tree rather than copying them.
fn decode_tree(src: &str, root: Node, kind: PolicyKind) -> Result<Policy, ParseError> {
    let (root_loc, members) = object(root, "the policy", "an object", &At::Root)?;
    let mut version = None;
    let mut statements = None;
    for (key, value) in members {
        match key.node.as_str() {
            "Version" => version = Some(value),
            "Statement" => statements = Some(value),
            _ => {
                return Err(unsupported(
                    &key,
                    &At::Root.key(&key.node),
                    &["Version", "Statement"],
                ));
            }
        }
    }
    let path = At::Root.key("Statement");
    let chars = significant_chars(src);
    if chars > kind.max_chars() {
        return Err(ParseError::new(
            K::TooLarge {
                actual: chars,
                limit: kind.max_chars(),
                kind,
            },
            root_loc,
            "",
        ));
    }
    match version {
        None => return Err(ParseError::new(K::MissingVersion, root_loc, "")),
        Some(v) => {
            if let Some(shown) = bad_version(&v) {
                return Err(ParseError::new(K::InvalidVersion(shown), v.loc, "Version"));
            }
        }
    }
    let Some(node) = statements else {
        return Err(ParseError::new(K::MissingStatement, root_loc, ""));
    };
    let node_loc = node.loc;
    let statements = match node.value {
        // A single statement object: not documented, accepted and
        // normalised to a one-element list (spec §1.1); the linter warns.
        value @ Value::Object(_) => vec![statement(
            Node {
                value,
                loc: node_loc,
            },
            &path,
            kind,
        )?],
        Value::Array(items) if items.is_empty() => {
            return Err(ParseError::new(
                K::MissingStatement,
                node_loc,
                path.render(),
            ));
        }
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(s, &path.index(i), kind))
            .collect::<Result<_, _>>()?,
        other => {
            let node = Node {
                value: other,
                loc: node_loc,
            };
            return Err(wrong_type(
                &node,
                "`Statement`",
                "an array of objects",
                &path,
            ));
        }
    };
    Ok(Policy {
        kind,
        statements,
        loc: root_loc,
    })
}

/// An object's members, keys with their locations, in source order.
type Members = Vec<(Spanned<String>, Node)>;

/// The members of an object node, or the wrong-type error naming `element`.
fn object(
    node: Node,
    element: &str,
    expected: &'static str,
    path: &At<'_>,
) -> Result<(Loc, Members), ParseError> {
    match node.value {
        Value::Object(members) => Ok((node.loc, members)),
        other => Err(wrong_type(
            &Node {
                value: other,
                loc: node.loc,
            },
            element,
            expected,
            path,
        )),
    }
}

/// `None` when a `Version` value is the string `"1"`, else the value as
/// shown in the error (the front end and the linter say the same).
pub(crate) fn bad_version(v: &Node) -> Option<String> {
    match &v.value {
        Value::String(s) if s == "1" => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.clone()),
        other => Some(other.type_name().to_string()),
    }
}

fn wrong_type(node: &Node, element: &str, expected: &'static str, path: &At<'_>) -> ParseError {
    ParseError::new(
        K::WrongType {
            element: element.to_string(),
            expected,
            found: node.value.type_name(),
        },
        node.loc,
        path.render(),
    )
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "Principal",
    "Condition",
];

/// An element RAM does not have; `known` are the elements allowed here, for
/// a did-you-mean.
fn unsupported(key: &Spanned<String>, path: &At<'_>, known: &[&'static str]) -> ParseError {
    let e = ParseError::new(
        K::UnsupportedElement(key.node.clone()),
        key.loc,
        path.render(),
    );
    match key.node.as_str() {
        "NotResource" | "NotPrincipal" => e.with_help(format!(
            "RAM does not document `{}`; list what the statement covers instead",
            key.node
        )),
        other => match crate::policy::condition::suggest(other, known.iter().copied()) {
            Some(s) => e.with_help(format!("did you mean `{s}`?")),
            None => e,
        },
    }
}

/// Decodes one statement object at `path`; `ramgate lint` decodes
/// statements one by one so that one broken statement does not hide the
/// others.
#[cfg(feature = "lint")]
pub(crate) fn decode_statement(
    node: &Node,
    path: &Path,
    kind: PolicyKind,
) -> Result<Statement, ParseError> {
    statement(node.clone(), &At::Base(path), kind)
}

/// A JSON path that is built only when an error needs it, so decoding a
/// valid policy allocates no path strings.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    // Only the linter starts a path below the root.
    #[cfg_attr(not(feature = "lint"), allow(dead_code))]
    Base(&'a Path),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl<'a> At<'a> {
    fn key(&'a self, key: &'a str) -> At<'a> {
        At::Key(self, key)
    }

    fn index(&'a self, i: usize) -> At<'a> {
        At::Index(self, i)
    }

    fn path(&self) -> Path {
        match self {
            At::Root => Path::root(),
            At::Base(p) => (*p).clone(),
            At::Key(parent, key) => parent.path().key(key),
            At::Index(parent, i) => parent.path().index(*i),
        }
    }

    fn render(&self) -> String {
        self.path().as_str().to_string()
    }
}

fn statement(node: Node, path: &At<'_>, kind: PolicyKind) -> Result<Statement, ParseError> {
    let (loc, members) = object(node, "a statement", "an object", path)?;
    let mut sid = None;
    let mut effect = None;
    let mut action: Option<ActionList> = None;
    let mut resource = None;
    let mut principal = None;
    let mut condition = None;
    for (key, value) in members {
        let p = path.key(&key.node);
        match key.node.as_str() {
            "Sid" => match value.value {
                Value::String(s) => sid = Some(Spanned::new(s, value.loc)),
                _ => return Err(wrong_type(&value, "`Sid`", "a string", &p)),
            },
            "Effect" => effect = Some(effect_of(&value, &p)?),
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(ParseError::new(K::ActionAndNotAction, key.loc, p.render()));
                }
                let list = values(value, &key.node, &p)?;
                action = Some(ActionList {
                    negated: key.node == "NotAction",
                    list,
                });
            }
            "Resource" => {
                if !kind.has_resource() {
                    return Err(ParseError::new(
                        K::ResourceInTrustPolicy,
                        key.loc,
                        p.render(),
                    ));
                }
                resource = Some(values(value, "Resource", &p)?);
            }
            "Principal" => {
                if !kind.has_principal() {
                    return Err(ParseError::new(K::PrincipalNotAllowed(kind), key.loc, p.render())
                        .with_help("identity and session policies apply to whoever they are attached to; name principals in trust or resource policies"));
                }
                principal = Some(principal_of(value, &p, kind)?);
            }
            "Condition" => condition = Some(condition_of(value, &p)?),
            _ => return Err(unsupported(&key, &p, STATEMENT_ELEMENTS)),
        }
    }
    let effect = effect.ok_or_else(|| ParseError::new(K::MissingEffect, loc, path.render()))?;
    let action = action.ok_or_else(|| ParseError::new(K::MissingAction, loc, path.render()))?;
    if kind.has_resource() && resource.is_none() {
        return Err(
            ParseError::new(K::MissingResource(kind), loc, path.render())
                .with_help("add `\"Resource\": \"*\"` or the ARNs the statement covers"),
        );
    }
    if kind.has_principal() && principal.is_none() {
        return Err(ParseError::new(
            K::MissingPrincipal(kind),
            loc,
            path.render(),
        ));
    }
    Ok(Statement {
        sid,
        effect,
        action,
        resource,
        principal,
        condition,
        loc,
    })
}

fn effect_of(node: &Node, path: &At<'_>) -> Result<Spanned<Effect>, ParseError> {
    match &node.value {
        Value::String(s) if s == "Allow" => Ok(Spanned::new(Effect::Allow, node.loc)),
        Value::String(s) if s == "Deny" => Ok(Spanned::new(Effect::Deny, node.loc)),
        Value::String(s) => {
            let e = ParseError::new(K::InvalidEffect(s.clone()), node.loc, path.render());
            Err(
                match crate::policy::condition::suggest(s, ["Allow", "Deny"].into_iter()) {
                    Some(fix) => e.with_help(format!("did you mean `{fix}`?")),
                    None => e,
                },
            )
        }
        _ => Err(wrong_type(node, "`Effect`", "a string", path)),
    }
}

/// A string or an array of strings, moved out of the tree. `element` is
/// named (with backticks) only when there is an error to report.
fn values(node: Node, element: &str, path: &At<'_>) -> Result<ValueList, ParseError> {
    let loc = node.loc;
    match node.value {
        Value::String(s) => Ok(ValueList {
            values: vec![Spanned::new(s, loc)],
            loc,
        }),
        Value::Array(items) => {
            let values = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item.value {
                    Value::String(s) => Ok(Spanned::new(s, item.loc)),
                    _ => Err(wrong_type(
                        &item,
                        &format!("each value of `{element}`"),
                        "a string",
                        &path.index(i),
                    )),
                })
                .collect::<Result<_, _>>()?;
            Ok(ValueList { values, loc })
        }
        other => Err(wrong_type(
            &Node { value: other, loc },
            &format!("`{element}`"),
            "a string or an array of strings",
            path,
        )),
    }
}

fn principal_of(node: Node, path: &At<'_>, kind: PolicyKind) -> Result<PrincipalBlock, ParseError> {
    // Resource policies other than KMS's write `Principal` as a string or a
    // list (`["<uid>"]`, `"*"`); the generic resource dialect reads every
    // documented form, and `policy::dialect` says which one a service takes.
    if kind == PolicyKind::Resource && matches!(node.value, Value::String(_) | Value::Array(_)) {
        let loc = node.loc;
        let values = values(node, "Principal", path)?;
        return Ok(PrincipalBlock {
            entries: vec![PrincipalEntry {
                kind: Spanned::new(PrincipalKind::Plain, loc),
                values,
            }],
            loc,
        });
    }
    let (loc, members) = object(
        node,
        "`Principal`",
        "an object such as `{\"Service\": [\"log.aliyuncs.com\"]}`",
        path,
    )?;
    let mut entries: Vec<PrincipalEntry> = Vec::new();
    for (key, value) in members {
        let p = path.key(&key.node);
        let kind = PrincipalKind::parse(&key.node).ok_or_else(|| {
            ParseError::new(K::InvalidPrincipal(key.node.clone()), key.loc, p.render())
        })?;
        if entries.iter().any(|e| e.kind.node == kind) {
            return Err(ParseError::new(
                K::DuplicateKey(key.node.clone()),
                key.loc,
                p.render(),
            ));
        }
        let values = values(value, &key.node, &p)?;
        entries.push(PrincipalEntry {
            kind: Spanned::new(kind, key.loc),
            values,
        });
    }
    Ok(PrincipalBlock { entries, loc })
}

fn condition_of(node: Node, path: &At<'_>) -> Result<ConditionBlock, ParseError> {
    let (loc, members) = object(node, "`Condition`", "an object", path)?;
    let mut operators = Vec::new();
    for (op_key, block) in members {
        let op_path = path.key(&op_key.node);
        let operator: QualifiedOperator = op_key
            .node
            .parse()
            .map_err(|e| ParseError::new(K::Operator(e), op_key.loc, op_path.render()))?;
        let keys = match block.value {
            Value::Object(keys) => keys,
            other => {
                return Err(wrong_type(
                    &Node {
                        value: other,
                        loc: block.loc,
                    },
                    &format!("`{}`", op_key.node),
                    "an object of condition keys",
                    &op_path,
                ));
            }
        };
        let mut out: Vec<KeyValues> = Vec::new();
        for (key, value) in keys {
            let key_path = op_path.key(&key.node);
            // Keys compare case-insensitively (spec §5.2), so two spellings
            // of one key under one operator would be ambiguous.
            if out
                .iter()
                .any(|k| k.key.node.eq_ignore_ascii_case(&key.node))
            {
                return Err(ParseError::new(
                    K::DuplicateKey(key.node.clone()),
                    key.loc,
                    key_path.render(),
                ));
            }
            let is_array = matches!(value.value, Value::Array(_));
            let values = values(value, &key.node, &key_path)?;
            for (i, v) in values.values.iter().enumerate() {
                check_value(operator.operator, &v.node).map_err(|error| {
                    let p = if is_array {
                        key_path.index(i)
                    } else {
                        key_path
                    };
                    ParseError::new(
                        K::ConditionValue {
                            operator: operator.operator.to_string(),
                            error,
                        },
                        v.loc,
                        p.render(),
                    )
                })?;
            }
            out.push(KeyValues { key, values });
        }
        operators.push(OperatorBlock {
            operator: Spanned::new(operator, op_key.loc),
            keys: out,
        });
    }
    Ok(ConditionBlock { operators, loc })
}
