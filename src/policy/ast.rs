//! The policy tree shared by the JSON and DSL front ends.
//!
//! Both concrete syntaxes parse into these types and print from them, so
//! conversion between them is lossless by construction: what the tree does
//! not hold (white space, key order, a single string versus a one-element
//! array, a single statement object versus a list) is not meaning.

use serde::{Deserialize, Serialize};

use super::condition::QualifiedOperator;
use super::kind::PolicyKind;
use super::loc::{Loc, Spanned};

/// A RAM policy document (`Version` is always `"1"`, the only value RAM knows).
// `==` ignores `loc`: see `tree_eq.rs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Policy {
    /// Which rules the document was validated against.
    pub kind: PolicyKind,
    /// The statements, in source order.
    pub statements: Vec<Statement>,
    /// The whole document.
    pub loc: Loc,
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// Grants the matching requests unless something denies them.
    Allow,
    /// Denies the matching requests, whatever else allows them.
    Deny,
}

impl Effect {
    /// The spelling RAM uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One statement of a policy.
// `==` ignores `loc`: see `tree_eq.rs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Statement {
    /// The optional statement id.
    pub sid: Option<Spanned<String>>,
    /// `Allow` or `Deny`.
    pub effect: Spanned<Effect>,
    /// `Action` or `NotAction`.
    pub action: ActionList,
    /// `Resource`, absent in trust policies.
    pub resource: Option<ValueList>,
    /// `Principal`, present only in trust and resource policies.
    pub principal: Option<PrincipalBlock>,
    /// `Condition`, absent when the statement has none.
    pub condition: Option<ConditionBlock>,
    /// The whole statement.
    pub loc: Loc,
}

/// A list of strings as written (`"x"` and `["x"]` are the same list).
// `==` ignores `loc`: see `tree_eq.rs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValueList {
    /// The values, in source order.
    pub values: Vec<Spanned<String>>,
    /// The whole list.
    pub loc: Loc,
}

impl ValueList {
    /// A list built in code.
    pub fn bare<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Self {
        ValueList {
            values: values
                .into_iter()
                .map(|v| Spanned::bare(v.into()))
                .collect(),
            loc: Loc::NONE,
        }
    }

    /// The values as plain strings.
    pub fn strs(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| v.node.as_str())
    }
}

/// `Action` (the listed patterns) or `NotAction` (everything else).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionList {
    /// `true` for `NotAction`.
    pub negated: bool,
    /// The action patterns.
    pub list: ValueList,
}

impl ActionList {
    /// The JSON element name.
    pub fn element(&self) -> &'static str {
        if self.negated { "NotAction" } else { "Action" }
    }
}

/// The kinds of trusted entity a `Principal` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PrincipalKind {
    /// RAM accounts, users and roles (`acs:ram::<uid>:root`, `…:user/<n>`, `…:role/<n>`).
    Ram,
    /// Cloud services (`log.aliyuncs.com`, `<uid>@log.aliyuncs.com`).
    Service,
    /// Identity providers (`acs:ram::<uid>:saml-provider/<n>`).
    Federated,
    /// A `Principal` written as a string or a list of strings rather than
    /// an object: the form of OSS bucket and access-point policies
    /// (`["<uid>"]`, `"*"`), VPC endpoint policies (`"*"`) and MaxCompute
    /// project policies (`["ALIYUN$<user>"]`). It has no JSON key; a block
    /// holding it holds nothing else (see [`super::dialect`]).
    Plain,
}

impl PrincipalKind {
    /// The JSON key as RAM stores it; `Principal` for the plain form, which
    /// has no key of its own.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Ram => "RAM",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::Plain => "Principal",
        }
    }

    /// Reads a `Principal` key. RAM accepts these keys in any case and
    /// stores them upper-cased (spec §3.1, low confidence); we accept any case
    /// and print the documented spelling.
    pub fn parse(key: &str) -> Option<Self> {
        [
            PrincipalKind::Ram,
            PrincipalKind::Service,
            PrincipalKind::Federated,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(key))
    }
}

/// The `Principal` element: one list per kind of trusted entity.
// `==` ignores `loc`: see `tree_eq.rs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrincipalBlock {
    /// The entries, in source order; each kind appears at most once, and a
    /// [`PrincipalKind::Plain`] entry is the only one.
    pub entries: Vec<PrincipalEntry>,
    /// The whole element.
    pub loc: Loc,
}

impl PrincipalBlock {
    /// The values of a plain `Principal` (`["<uid>"]`, `"*"`), `None` for the
    /// object form.
    pub fn plain(&self) -> Option<&ValueList> {
        match self.entries.as_slice() {
            [e] if e.kind.node == PrincipalKind::Plain => Some(&e.values),
            _ => None,
        }
    }
}

/// `"RAM": [...]`, `"Service": [...]` or `"Federated": [...]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalEntry {
    /// Which kind of entity the values name.
    pub kind: Spanned<PrincipalKind>,
    /// The trusted entities.
    pub values: ValueList,
}

/// The `Condition` element: every operator block must hold.
// `==` ignores `loc`: see `tree_eq.rs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConditionBlock {
    /// The operator blocks, in source order (`{}` gives none: no condition).
    pub operators: Vec<OperatorBlock>,
    /// The whole element.
    pub loc: Loc,
}

/// `"StringEquals": { key: values, ... }`: every key must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorBlock {
    /// The operator with its optional set qualifier.
    pub operator: Spanned<QualifiedOperator>,
    /// The keys and their values, in source order.
    pub keys: Vec<KeyValues>,
}

/// One condition key and the values it is tested against (any may match).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValues {
    /// The condition key as written; keys compare case-insensitively.
    pub key: Spanned<String>,
    /// The policy values.
    pub values: ValueList,
}
