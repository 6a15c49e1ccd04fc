//! A compiled, indexed set of policies: parse once, evaluate many times.
//!
//! Compiling lowers every pattern once (literal, prefix, suffix, contains or
//! general glob), folds actions once, converts condition values to their
//! types, and indexes statements by literal action and by service prefix so
//! that a request only looks at the statements that can match it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::policy::arn::is_role_arn;
use crate::policy::condition::{QualifiedOperator, TypedValues};
use crate::policy::pattern::{Case, Pattern, fold};
use crate::policy::{Effect, Loc, Policy, PolicyKind, PrincipalKind, Statement};

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
    pub(crate) statements: Vec<CompiledStatement>,
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

    pub fn matches(&self, resource: &str) -> bool {
        if is_role_arn(resource) {
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
    /// The policy values as written.
    pub raw: Vec<String>,
    pub values: TypedValues,
}

/// Statement positions, `(policy index, statement index)`.
type StmtRef = (u32, u32);

#[derive(Clone, Debug, Default)]
struct Index {
    /// Statements with a literal action, by folded action.
    by_action: HashMap<String, Vec<StmtRef>>,
    /// Statements with a pattern whose service part is literal, by folded service.
    by_service: HashMap<String, Vec<StmtRef>>,
    /// Statements that may match any action (`NotAction`, `*`, `*:Describe*`).
    anywhere: Vec<StmtRef>,
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

    /// Adds a policy.
    pub fn add(&mut self, id: impl Into<String>, policy: Arc<Policy>) {
        let p = self.policies.len() as u32;
        let statements: Vec<CompiledStatement> =
            policy.statements.iter().map(compile_statement).collect();
        for (s, stmt) in statements.iter().enumerate() {
            self.index.insert((p, s as u32), stmt);
        }
        self.policies.push(CompiledPolicy {
            id: id.into(),
            source: policy,
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

    /// Calls `f` for every statement that may match `action`, each once, in
    /// set order.
    pub(crate) fn candidates(&self, action: &str, mut f: impl FnMut(StmtRef)) {
        let mut buf = [0u8; 128];
        let folded_owned;
        let folded: &str = if action.is_ascii() && action.len() <= buf.len() {
            let b = &mut buf[..action.len()];
            b.copy_from_slice(action.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).unwrap_or(action)
        } else {
            folded_owned = fold(action);
            &folded_owned
        };
        let service = folded.split_once(':').map_or(folded, |(s, _)| s);
        let empty: &[StmtRef] = &[];
        let lists = [
            self.index
                .by_action
                .get(folded)
                .map_or(empty, Vec::as_slice),
            self.index
                .by_service
                .get(service)
                .map_or(empty, Vec::as_slice),
            self.index.anywhere.as_slice(),
        ];
        merge_unique(lists, &mut f);
    }
}

/// Visits the union of three sorted lists in order, each element once.
fn merge_unique(mut lists: [&[StmtRef]; 3], f: &mut impl FnMut(StmtRef)) {
    let mut last: Option<StmtRef> = None;
    loop {
        let next = lists.iter().filter_map(|l| l.first().copied()).min();
        let Some(next) = next else { return };
        for l in lists.iter_mut() {
            if l.first() == Some(&next) {
                *l = &l[1..];
            }
        }
        if last != Some(next) {
            f(next);
            last = Some(next);
        }
    }
}

impl Index {
    fn insert(&mut self, at: StmtRef, s: &CompiledStatement) {
        if s.negated_action {
            push_unique(&mut self.anywhere, at);
            return;
        }
        for a in &s.actions {
            let folded = fold(a.as_str());
            match folded.split_once(':') {
                _ if a.is_literal() => push_unique(self.by_action.entry(folded).or_default(), at),
                Some((service, _)) if !service.contains(['*', '?']) => {
                    push_unique(self.by_service.entry(service.to_string()).or_default(), at)
                }
                _ => push_unique(&mut self.anywhere, at),
            }
        }
    }
}

/// Statements arrive in increasing order, so a list stays sorted and a
/// repeat can only be its last element.
fn push_unique(list: &mut Vec<StmtRef>, at: StmtRef) {
    if list.last() != Some(&at) {
        list.push(at);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(json: &str) -> PolicySet {
        let p = Policy::from_json(json, None).unwrap_or_else(|e| panic!("{e}"));
        PolicySet::new([("p", p)])
    }

    fn candidates(s: &PolicySet, action: &str) -> Vec<StmtRef> {
        let mut out = Vec::new();
        s.candidates(action, |r| out.push(r));
        out
    }

    #[test]
    fn the_index_returns_only_statements_that_can_match() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},
            {"Effect":"Allow","Action":["kms:List*","log:*"],"Resource":"*"},
            {"Effect":"Deny","Action":"*:Describe*","Resource":"*"},
            {"Effect":"Deny","NotAction":"ram:*","Resource":"*"},
            {"Effect":"Allow","Action":["KMS:DECRYPT","kms:decrypt"],"Resource":"*"}]}"#);
        assert_eq!(
            candidates(&s, "kms:Decrypt"),
            vec![(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]
        );
        assert_eq!(
            candidates(&s, "log:GetLogStore"),
            vec![(0, 1), (0, 2), (0, 3)]
        );
        assert_eq!(candidates(&s, "oss:GetObject"), vec![(0, 2), (0, 3)]);
    }
}
