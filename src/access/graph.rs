//! The AssumeRole graph: which principal can become which role, under which
//! residual condition, and the chains of such hops.
//!
//! An edge `caller → role` exists when the engine's AssumeRole decision
//! (`assume-role.identity` for RAM users and role sessions, then
//! `assume-role.trust`) can allow in some context.
//!
//! Choice (sls-kms §4 leaves role chaining unverified for Alibaba): a role
//! session may assume another role when its own permissions allow
//! `sts:AssumeRole` on it and the target's trust policy trusts the session
//! (its role ARN, its account, or a pattern matching either), exactly as
//! `Ram::evaluate_assume_role` decides for a role-session caller. No cap on
//! the chained session's duration is modelled. Paths are simple (no role
//! twice) and at most [`MAX_HOPS`] long. A path's condition is the
//! conjunction of its hops' conditions and the final step's: the analysis
//! assumes the request context (source address, time, MFA) is the same at
//! every hop.

use crate::authz::{Principal, PrincipalMatcher};
use crate::policy::Effect;

use super::analyzer::Analyzer;
use super::error::AccessError;
use super::principals::Subject;
use super::residual::Residual;

/// The longest chain of AssumeRole hops followed.
pub const MAX_HOPS: usize = 4;

/// The most paths enumerated; past it the graph says it was cut short.
pub const MAX_PATHS: usize = 100_000;

/// One hop.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The role assumed (a subject index).
    pub to: usize,
    /// When it is allowed.
    pub residual: Residual,
}

/// A chain of hops from a principal.
#[derive(Clone, Debug)]
pub struct Path {
    /// The principal that starts (a subject index).
    pub start: usize,
    /// The roles assumed, in order (subject indices).
    pub hops: Vec<usize>,
    /// The conjunction of the hops' conditions.
    pub residual: Residual,
}

/// Edges by caller.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// `edges[caller]`: the roles the caller can assume.
    pub edges: Vec<Vec<Edge>>,
    /// Every simple path of one to [`MAX_HOPS`] hops.
    pub paths: Vec<Path>,
    /// Whether [`MAX_PATHS`] cut the enumeration short.
    pub truncated: bool,
}

impl Graph {
    /// Asks the engine about every caller and every role whose trust policy
    /// could match the caller (a trust entry that cannot match is not worth
    /// asking: the trust step would deny).
    pub fn build(an: &Analyzer<'_>) -> Result<Graph, AccessError> {
        Graph::build_into(an, None)
    }

    /// The part of the graph a question about `targets` (role subject
    /// indices) needs: the edges into every role from which some target can
    /// be reached, so every path that ends at a target, and no other edge
    /// is asked of the engine. Paths ending elsewhere may be missing: a
    /// caller reads only those ending at a target.
    pub fn towards(an: &Analyzer<'_>, targets: &[usize]) -> Result<Graph, AccessError> {
        let trusts = trusts(an);
        let subjects = an.subjects();
        let mut wanted = vec![false; subjects.len()];
        for &t in targets {
            if let Some(w) = wanted.get_mut(t) {
                *w = true;
            }
        }
        // Grow backwards: a role that may assume a wanted role is wanted
        // (a superset of the roles on paths to a target is enough).
        let principals: Vec<_> = trusts
            .iter()
            .map(|(r, _, _)| subjects.get(*r).map(|s| s.identity().principal()))
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for ((c, _, _), principal) in trusts.iter().zip(&principals) {
                let Some(principal) = principal else { continue };
                if wanted.get(*c).copied().unwrap_or(true) {
                    continue;
                }
                let reaches = trusts.iter().any(|(r, matchers, account)| {
                    r != c
                        && wanted.get(*r).copied().unwrap_or(false)
                        && candidate(matchers, principal, account)
                });
                if reaches && let Some(w) = wanted.get_mut(*c) {
                    *w = true;
                    changed = true;
                }
            }
        }
        Graph::build_into(an, Some(&wanted))
    }

    /// The graph, with edges only into the roles `wanted` marks (all when
    /// `None`).
    fn build_into(an: &Analyzer<'_>, wanted: Option<&[bool]>) -> Result<Graph, AccessError> {
        let subjects = an.subjects();
        let trusts: Vec<_> = trusts(an)
            .into_iter()
            .filter(|(r, _, _)| wanted.is_none_or(|w| w.get(*r).copied().unwrap_or(false)))
            .collect();
        let mut edges = vec![Vec::new(); subjects.len()];
        for (c, caller) in subjects.iter().enumerate() {
            if !caller.can_assume() {
                continue;
            }
            let principal = caller.identity().principal();
            for (r, matchers, account) in &trusts {
                if *r == c {
                    continue;
                }
                if !candidate(matchers, &principal, account) {
                    continue;
                }
                let residual = an.hop_residual(c, *r)?;
                if !residual.is_never()
                    && let Some(list) = edges.get_mut(c)
                {
                    list.push(Edge { to: *r, residual });
                }
            }
        }
        let mut graph = Graph {
            edges,
            paths: Vec::new(),
            truncated: false,
        };
        for start in 0..subjects.len() {
            let mut hops = Vec::new();
            graph.walk(start, start, &mut hops, Residual::always())?;
        }
        Ok(graph)
    }

    fn walk(
        &mut self,
        start: usize,
        at: usize,
        hops: &mut Vec<usize>,
        residual: Residual,
    ) -> Result<(), AccessError> {
        if hops.len() >= MAX_HOPS {
            return Ok(());
        }
        let next: Vec<Edge> = self.edges.get(at).cloned().unwrap_or_default();
        for e in next {
            if e.to == start || hops.contains(&e.to) {
                continue;
            }
            if self.paths.len() >= MAX_PATHS {
                self.truncated = true;
                return Ok(());
            }
            let both = residual.and(&e.residual, "an AssumeRole chain")?;
            if both.is_never() {
                continue;
            }
            hops.push(e.to);
            self.paths.push(Path {
                start,
                hops: hops.clone(),
                residual: both.clone(),
            });
            self.walk(start, e.to, hops, both)?;
            hops.pop();
        }
        Ok(())
    }
}

/// A role's trust entries: `(role, matchers, account)`, one matcher per
/// principal an Allow statement names (`None`: the statement names none).
type Trust = (usize, Vec<Option<PrincipalMatcher>>, String);

/// Every role's trust entries.
fn trusts(an: &Analyzer<'_>) -> Vec<Trust> {
    let subjects = an.subjects();
    an.roles()
        .filter_map(|r| {
            let Subject::Role { account, name } = subjects.get(r)? else {
                return None;
            };
            let role = an.snapshot().directory.account(account)?.role(name)?;
            let matchers = role
                .trust_policy()
                .policy()
                .statements
                .iter()
                .filter(|s| s.effect.node == Effect::Allow)
                .flat_map(|s| match &s.principal {
                    None => vec![None],
                    Some(p) => p
                        .entries
                        .iter()
                        .flat_map(|e| {
                            e.values
                                .strs()
                                .map(|v| Some(PrincipalMatcher::new(e.kind.node, v)))
                                .collect::<Vec<_>>()
                        })
                        .collect(),
                })
                .collect();
            Some((r, matchers, account.clone()))
        })
        .collect()
}

/// Whether a trust entry could match the caller (one that cannot is not
/// worth asking: the trust step would deny).
fn candidate(matchers: &[Option<PrincipalMatcher>], principal: &Principal, account: &str) -> bool {
    matchers.iter().any(|m| {
        m.as_ref()
            .is_none_or(|m| m.matches(principal, Some(account)))
    })
}
