//! A compiled, indexed set of policies: parse once, evaluate many times.
//!
//! Compiling lowers every pattern once (literal, prefix, suffix, contains or
//! general glob), folds actions once, converts condition values to their
//! types, and indexes statements by literal action and by service prefix so
//! that a request only looks at the statements that can match it.

use std::sync::Arc;

use crate::policy::condition::{QualifiedOperator, TypedValues};
use crate::policy::pattern::{Case, Pattern};
use crate::policy::{Effect, Loc, Policy, PolicyKind, PrincipalKind, Statement};

use super::index::{Candidates, Index, ResourceTag, StmtRef};
use super::principal::PrincipalMatcher;

/// A set of named policies, compiled for evaluation. `Send + Sync`: share it
/// across threads behind an `Arc`.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub(crate) policies: Vec<CompiledPolicy>,
    index: Index,
}

/// One policy of a set.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    /// The id reasons and traces name it by.
    pub id: String,
    /// The source tree (kept for locations and printing).
    pub source: Arc<Policy>,
    pub(crate) statements: Arc<[CompiledStatement]>,
}

/// A policy compiled once — patterns lowered, condition values typed — to be
/// added to any number of sets cheaply ([`PolicySet::add_compiled`]): the
/// RAM directory keeps its policies this way, so a decision builds only the
/// set's index, never recompiles a policy.
#[derive(Clone, Debug)]
pub struct Compiled {
    source: Arc<Policy>,
    statements: Arc<[CompiledStatement]>,
}

impl Compiled {
    /// Compiles a policy.
    pub fn new(policy: Arc<Policy>) -> Compiled {
        let statements = policy.statements.iter().map(compile_statement).collect();
        Compiled {
            source: policy,
            statements,
        }
    }

    /// The policy compiled.
    pub fn policy(&self) -> &Arc<Policy> {
        &self.source
    }
}

/// A statement lowered for evaluation.
#[derive(Clone, Debug)]
pub(crate) struct CompiledStatement {
    pub effect: Effect,
    pub negated_action: bool,
    pub actions: Vec<Pattern>,
    /// `None` when the statement has no `Resource` (trust policies).
    pub resources: Option<Vec<ResourcePattern>>,
    /// `None` when the statement has no `Principal`.
    pub principals: Option<Vec<(PrincipalKind, String, PrincipalMatcher)>>,
    pub conditions: Vec<CompiledCondition>,
}

/// A resource pattern, in both cases: RAM role ARNs compare their role names
/// case-insensitively (spec §4.3), every other ARN with case. A role ARN's
/// other fields are lower case or digits in any valid ARN, so folding the
/// whole string only relaxes the role name.
#[derive(Clone, Debug)]
pub(crate) struct ResourcePattern {
    exact: Pattern,
    folded: Pattern,
}

impl ResourcePattern {
    fn new(p: &str) -> ResourcePattern {
        ResourcePattern {
            exact: Pattern::new(p, Case::Sensitive),
            folded: Pattern::new(p, Case::Insensitive),
        }
    }

    pub fn as_str(&self) -> &str {
        self.exact.as_str()
    }

    /// Whether `resource` matches; `role` says whether it is a RAM role ARN
    /// (the caller works that out once per request).
    pub fn matches(&self, resource: &str, role: bool) -> bool {
        if role {
            self.folded.matches(resource)
        } else {
            self.exact.matches(resource)
        }
    }
}

/// One key of one operator block.
#[derive(Clone, Debug)]
pub(crate) struct CompiledCondition {
    pub operator: QualifiedOperator,
    /// The key as written.
    pub key: String,
    /// The key as [`super::request::Context`] stores it (lower-cased once
    /// here, so a lookup per request does not allocate).
    pub lookup: String,
    /// The policy values as written.
    pub raw: Vec<String>,
    pub values: TypedValues,
}

impl PolicySet {
    /// Compiles policies with their ids. Compiling cannot fail: the policies
    /// were validated when parsed.
    pub fn new<I, S>(policies: I) -> PolicySet
    where
        I: IntoIterator<Item = (S, Policy)>,
        S: Into<String>,
    {
        let mut set = PolicySet::default();
        for (id, policy) in policies {
            set.add(id, Arc::new(policy));
        }
        set
    }

    /// An empty set: every request is implicitly denied.
    pub fn empty() -> PolicySet {
        PolicySet::default()
    }

    /// Adds a policy, compiling it.
    pub fn add(&mut self, id: impl Into<String>, policy: Arc<Policy>) {
        self.add_compiled(id, &Compiled::new(policy));
    }

    /// Adds a policy compiled before: only the set's index is built.
    pub fn add_compiled(&mut self, id: impl Into<String>, compiled: &Compiled) {
        let p = self.policies.len() as u32;
        let statements = compiled.statements.clone();
        for (s, stmt) in statements.iter().enumerate() {
            self.index.insert(
                (p, s as u32),
                stmt.effect,
                stmt.negated_action,
                &stmt.actions,
                resource_tag(stmt.resources.as_deref()),
            );
        }
        self.policies.push(CompiledPolicy {
            id: id.into(),
            source: compiled.source.clone(),
            statements,
        });
    }

    /// The policies, in the order they were added.
    pub fn policies(&self) -> &[CompiledPolicy] {
        &self.policies
    }

    /// How many statements the set holds.
    pub fn statement_count(&self) -> usize {
        self.policies.iter().map(|p| p.statements.len()).sum()
    }

    /// Whether the set has no policy.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    pub(crate) fn statement(
        &self,
        (p, s): StmtRef,
    ) -> Option<(&CompiledPolicy, &CompiledStatement, usize)> {
        let policy = self.policies.get(p as usize)?;
        Some((policy, policy.statements.get(s as usize)?, s as usize))
    }

    /// The statements that may match `action`, which is already folded
    /// (see [`crate::policy::pattern::fold`]).
    pub(crate) fn candidates(&self, action: &str) -> Candidates<'_> {
        self.index.candidates(action)
    }
}

/// The service all of a statement's resource patterns name literally, if
/// they agree on one.
fn resource_tag(patterns: Option<&[ResourcePattern]>) -> ResourceTag {
    let Some((first, rest)) = patterns.and_then(<[ResourcePattern]>::split_first) else {
        return ResourceTag::ANY;
    };
    let tag = |p: &ResourcePattern| ResourceTag::of_arn_start(&p.exact.literal_prefix());
    match tag(first) {
        Some(t) if rest.iter().all(|p| tag(p) == Some(t)) => t,
        _ => ResourceTag::ANY,
    }
}

fn compile_statement(s: &Statement) -> CompiledStatement {
    let actions = s
        .action
        .list
        .strs()
        .map(|a| Pattern::new(a, Case::Insensitive))
        .collect();
    let resources = s
        .resource
        .as_ref()
        .map(|r| r.strs().map(ResourcePattern::new).collect());
    let principals = s.principal.as_ref().map(|p| {
        p.entries
            .iter()
            .flat_map(|e| {
                e.values.strs().map(move |v| {
                    (
                        e.kind.node,
                        v.to_string(),
                        PrincipalMatcher::new(e.kind.node, v),
                    )
                })
            })
            .collect()
    });
    let conditions = s
        .condition
        .iter()
        .flat_map(|c| c.operators.iter())
        .flat_map(|op| {
            op.keys.iter().map(move |k| {
                let raw: Vec<String> = k.values.strs().map(str::to_string).collect();
                // The parser checked every value, so conversion succeeds; a
                // value that still fails (an AST built in code) becomes a
                // condition that can never be evaluated, which fails closed.
                let values =
                    TypedValues::new(op.operator.node.operator, raw.iter().map(String::as_str))
                        .unwrap_or(TypedValues::Exact(Vec::new()));
                CompiledCondition {
                    operator: op.operator.node,
                    key: k.key.node.clone(),
                    lookup: k.key.node.to_lowercase(),
                    raw,
                    values,
                }
            })
        })
        .collect();
    CompiledStatement {
        effect: s.effect.node,
        negated_action: s.action.negated,
        actions,
        resources,
        principals,
        conditions,
    }
}

impl CompiledPolicy {
    /// The kind the policy was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.source.kind
    }

    /// The source location of statement `i`.
    pub fn statement_loc(&self, i: usize) -> Loc {
        self.source.statements.get(i).map_or(Loc::NONE, |s| s.loc)
    }

    /// The `Sid` of statement `i`.
    pub fn statement_sid(&self, i: usize) -> Option<&str> {
        self.source
            .statements
            .get(i)
            .and_then(|s| s.sid.as_ref())
            .map(|s| s.node.as_str())
    }
}
