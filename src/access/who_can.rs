//! Who can: every principal, directly or through AssumeRole chains, that
//! the engine allows an action on a resource, each with its residual
//! condition and the decision chain that proves it.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::authz::Context;
use crate::policy::pattern::{Case, Pattern};
use crate::ram::{ChainStep, DecisionChain};

use super::analyzer::{Analyzer, Question};
use super::catalogue::expand_action;
use super::error::AccessError;
use super::principals::Subject;
use super::residual::Residual;

/// One answer: a principal, the roles it goes through, the actions it may
/// do, when, and the proof.
#[derive(Clone, Debug)]
pub struct Row {
    /// The principal's ARN (a role's ARN for its sessions), or the service.
    pub principal: String,
    /// The ARNs of the roles assumed on the way, in order.
    pub via: Vec<String>,
    /// The actions allowed, sorted.
    pub actions: Vec<String>,
    /// When: [`Residual::is_always`] for an unconditional answer.
    pub condition: Residual,
    /// The engine's steps: every hop, then one step per action and resource.
    pub chain: DecisionChain,
    /// The subject indices of the principal and its hops, and the indices
    /// of the questions the row answers: what a report needs to prove the
    /// row again together with other steps.
    pub(crate) start: usize,
    pub(crate) hops: Vec<usize>,
    pub(crate) asked: Vec<usize>,
}

/// The JSON form of a row: exactly `principal`, `via`, `actions`,
/// `condition` (null, or the alternatives as DSL `when` lines) and `chain`.
#[derive(Serialize)]
pub struct RowJson<'a> {
    principal: &'a str,
    via: &'a [String],
    actions: &'a [String],
    condition: Option<Vec<Vec<String>>>,
    chain: &'a DecisionChain,
}

impl Row {
    /// The JSON form.
    pub fn to_json(&self) -> RowJson<'_> {
        RowJson {
            principal: &self.principal,
            via: &self.via,
            actions: &self.actions,
            condition: (!self.condition.is_always()).then(|| self.condition.to_when()),
            chain: &self.chain,
        }
    }

    /// The principal, then `→` each hop: how the row reads in one line.
    pub fn path(&self) -> String {
        let mut s = self.principal.clone();
        for v in &self.via {
            s.push_str(" -> ");
            s.push_str(v);
        }
        s
    }
}

/// The resources a resource pattern covers: every resource of the snapshot
/// it matches; the pattern itself when it has no wildcard or matches none
/// (then the engine sees the text as written: a wildcard account is no
/// one's, so the account root gets nothing there).
pub fn expand_resource(an: &Analyzer<'_>, pattern: &str) -> Vec<String> {
    if !pattern.contains(['*', '?']) {
        return vec![pattern.to_string()];
    }
    let p = Pattern::new(pattern, Case::Sensitive);
    let mut out: Vec<String> = an
        .snapshot()
        .resources()
        .into_iter()
        .filter(|r| p.matches(r))
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        out.push(pattern.to_string());
    }
    out
}

/// `ramgate access who-can ACTION RESOURCE`: the questions every expanded
/// action and resource make, answered.
pub fn who_can(
    an: &Analyzer<'_>,
    action: &str,
    resource: &str,
    known: &Context,
) -> Result<Vec<Row>, AccessError> {
    let resources = expand_resource(an, resource);
    let questions: Vec<Question> = expand_action(action)
        .iter()
        .flat_map(|a| resources.iter().map(move |r| Question::new(a, r, known)))
        .collect();
    rows(an, &questions)
}

/// The rows of a set of questions: for every principal and every path, the
/// questions allowed, grouped by their condition.
pub fn rows(an: &Analyzer<'_>, questions: &[Question]) -> Result<Vec<Row>, AccessError> {
    // (subject, question) → the residual and the step it was read from.
    let mut finals: HashMap<(usize, usize), (Residual, Option<ChainStep>)> = HashMap::new();
    let mut final_residual = |s: usize, q: usize| -> Result<Residual, AccessError> {
        if let Some((r, _)) = finals.get(&(s, q)) {
            return Ok(r.clone());
        }
        // The fast filter first: most principals cannot, whatever the context.
        let found = match questions.get(q) {
            Some(question) if an.might(s, &question.action, &question.resource) => {
                an.residual_step(s, question)?
            }
            _ => (Residual::never(), None),
        };
        let r = found.0.clone();
        finals.insert((s, q), found);
        Ok(r)
    };
    // (start, hops) → condition text → (condition, question indices).
    type Group = BTreeMap<Vec<Vec<String>>, (Residual, Vec<usize>)>;
    let mut groups: Vec<((usize, Vec<usize>), Group)> = Vec::new();
    let mut add = |key: (usize, Vec<usize>), r: Residual, q: usize| {
        let text = r.to_when();
        let pos = match groups.iter().position(|(k, _)| *k == key) {
            Some(p) => p,
            None => {
                groups.push((key, Group::new()));
                groups.len() - 1
            }
        };
        if let Some((_, g)) = groups.get_mut(pos) {
            g.entry(text).or_insert_with(|| (r, Vec::new())).1.push(q);
        }
    };
    // The roles that can answer some question themselves: only chains
    // ending at one of them give rows.
    let mut targets = Vec::new();
    for s in 0..an.subjects().len() {
        let mut answers = false;
        for q in 0..questions.len() {
            let r = final_residual(s, q)?;
            if !r.is_never() {
                answers = true;
                add((s, Vec::new()), r, q);
            }
        }
        if answers && matches!(an.subjects().get(s), Some(Subject::Role { .. })) {
            targets.push(s);
        }
    }
    let graph = an.graph_towards(&targets)?;
    for path in &graph.paths {
        let Some(&last) = path.hops.last() else {
            continue;
        };
        for q in 0..questions.len() {
            let r = final_residual(last, q)?;
            if r.is_never() {
                continue;
            }
            let both = path.residual.and(&r, "an AssumeRole chain")?;
            if !both.is_never() {
                add((path.start, path.hops.clone()), both, q);
            }
        }
    }
    groups.sort_by(|(a, _), (b, _)| (a.0, a.1.len(), &a.1).cmp(&(b.0, b.1.len(), &b.1)));
    let mut out = Vec::new();
    for ((start, hops), group) in groups {
        for (_, (condition, qs)) in group {
            let asked: Vec<&Question> = qs.iter().filter_map(|&q| questions.get(q)).collect();
            // A direct, unconditional answer was decided in the question's
            // own context when its residual was read: that step is its proof.
            let known: Option<Vec<ChainStep>> = (hops.is_empty() && condition.is_always())
                .then(|| {
                    qs.iter()
                        .map(|&q| finals.get(&(start, q)).and_then(|(_, s)| s.clone()))
                        .collect()
                })
                .flatten();
            let chain = match known {
                Some(steps) if steps.iter().all(ChainStep::is_allowed) => DecisionChain { steps },
                _ => an.prove(start, &hops, &condition, &asked)?,
            };
            let mut actions: Vec<String> = asked.iter().map(|q| q.action.clone()).collect();
            actions.sort();
            actions.dedup();
            out.push(Row {
                principal: an
                    .subjects()
                    .get(start)
                    .map(|s| s.arn())
                    .unwrap_or_default(),
                via: hops
                    .iter()
                    .filter_map(|&h| an.subjects().get(h).map(|s| s.arn()))
                    .collect(),
                actions,
                condition,
                chain,
                start,
                hops: hops.clone(),
                asked: qs.clone(),
            });
        }
    }
    Ok(out)
}
