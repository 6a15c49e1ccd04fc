//! The analyzer: a snapshot, its principals, and questions put to the
//! engine with partial evaluation.
//!
//! Every answer is computed twice by the engine itself: once with the keys
//! the analysis knows, read back as a residual condition
//! ([`super::partial`]), and once more in a witness context that satisfies
//! the residual, to produce the decision chain that proves the answer. The
//! second run must allow; if it does not, the analysis is wrong and says so
//! ([`AccessError::Inconsistent`]) instead of printing a proof that is none.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::authz::{Authorizer, Compiled, Context, Decision, PolicySet, Request};
use crate::clock::ManualClock;
use crate::ram::{
    Access, ChainStep, DecisionChain, Identity, PASS_ROLE, Ram, RamError, SERVICE_KEY,
};

use super::error::AccessError;
use super::graph::Graph;
use super::partial::{Known, step_residual};
use super::principals::{Subject, enumerate};
use super::residual::Residual;
use super::snapshot::Snapshot;

/// One question: may a principal do `action` on `resource`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// Condition keys whose values the question fixes.
    pub known: Context,
    /// For `ram:PassRole`: the service the role is passed to. The question
    /// is then the engine's PassRole step, whose context is exactly
    /// `acs:Service`.
    pub pass_to: Option<String>,
}

impl Question {
    /// `action` on `resource`, with no key known; `ram:PassRole` with an
    /// `acs:Service` in `known` becomes a PassRole question.
    pub fn new(action: &str, resource: &str, known: &Context) -> Question {
        let pass_to = if action.eq_ignore_ascii_case(PASS_ROLE) {
            known.get(SERVICE_KEY).and_then(|v| v.first()).cloned()
        } else {
            None
        };
        Question {
            action: action.to_string(),
            resource: resource.to_string(),
            known: known.clone(),
            pass_to,
        }
    }

    /// `ram:PassRole` of `role` to `service`.
    pub fn pass_role(role: &str, service: &str) -> Question {
        let mut known = Context::new();
        known.insert(SERVICE_KEY, [service]);
        Question::new(PASS_ROLE, role, &known)
    }

    fn known_keys(&self) -> Known {
        if self.pass_to.is_some() {
            return Known::All;
        }
        Known::Keys(self.known.iter().map(|(k, _)| k.to_lowercase()).collect())
    }
}

/// A snapshot ready for questions.
pub struct Analyzer<'s> {
    snapshot: &'s Snapshot,
    clock: ManualClock,
    subjects: Vec<Subject>,
    graph: OnceLock<Result<Graph, String>>,
    /// Every identity document attached to someone, in optimistic form, and
    /// which of them each subject has (see [`Attached`]).
    attached: OnceLock<Attached>,
    /// Per `(action, resource)` asked of [`Analyzer::might`]: the decision
    /// each document could make alone ([`Authorizer::optimistic_each`]).
    prefilter: Mutex<HashMap<String, HashMap<String, Arc<Verdicts>>>>,
    /// Per subject: its identity policies merged into one set (built only
    /// for the escalation analysis, which compares whole sets).
    merged: OnceLock<Vec<PolicySet>>,
}

/// The identity documents of a directory, each once, compiled into one
/// set, and per subject the positions of its documents in that set.
///
/// A document that cannot apply to a request contributes nothing to any
/// principal's decision on it, so asking once per request what every
/// document could decide alone ([`Authorizer::optimistic_each`]: Allows
/// with their conditions ignored, unconditional Denies) and combining the
/// entries a subject holds (deny wins, then allow) filters every principal
/// in one pass over the directory's statements instead of a set built and
/// decided per principal. The set shares each document's compiled form
/// with the directory: nothing is parsed or compiled again.
struct Attached {
    documents: PolicySet,
    of: Vec<Vec<u32>>,
}

/// The documents (positions in [`Attached::documents`]) that could allow a
/// request and those that deny it in every context, each list ascending:
/// usually a handful, so most principals are settled by a lookup or two.
struct Verdicts {
    allow: Vec<u32>,
    deny: Vec<u32>,
}

impl Attached {
    fn build(snapshot: &Snapshot, subjects: &[Subject]) -> Attached {
        let mut position: HashMap<usize, u32> = HashMap::new();
        let mut documents = PolicySet::empty();
        let of = subjects
            .iter()
            .map(|s| {
                identity_documents(snapshot, s)
                    .into_iter()
                    .map(|compiled| {
                        let key = Arc::as_ptr(compiled.policy()) as usize;
                        *position.entry(key).or_insert_with(|| {
                            let at = documents.policies().len() as u32;
                            documents.add_compiled(String::new(), compiled);
                            at
                        })
                    })
                    .collect()
            })
            .collect();
        Attached { documents, of }
    }
}

/// Merges two contexts, the second winning.
pub fn merge(a: &Context, b: &Context) -> Context {
    let mut out = a.clone();
    for (k, v) in b.iter() {
        out.insert(k, v.iter().cloned());
    }
    out
}

impl<'s> Analyzer<'s> {
    /// An analyzer over a snapshot. Its clock stands at the epoch, and its
    /// role sessions are valid then.
    pub fn new(snapshot: &'s Snapshot) -> Analyzer<'s> {
        Analyzer {
            snapshot,
            clock: ManualClock::new(time::OffsetDateTime::UNIX_EPOCH),
            subjects: enumerate(&snapshot.directory),
            graph: OnceLock::new(),
            attached: OnceLock::new(),
            prefilter: Mutex::new(HashMap::new()),
            merged: OnceLock::new(),
        }
    }

    /// The snapshot.
    pub fn snapshot(&self) -> &'s Snapshot {
        self.snapshot
    }

    /// Every principal, in report order.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// The engine.
    pub fn ram(&self) -> Ram<'_> {
        Ram::new(&self.snapshot.directory, &self.clock)
    }

    /// The AssumeRole graph, built on first use.
    pub fn graph(&self) -> Result<&Graph, AccessError> {
        match self
            .graph
            .get_or_init(|| Graph::build(self).map_err(|e| e.to_string()))
        {
            Ok(g) => Ok(g),
            Err(e) => Err(AccessError::Graph(e.clone())),
        }
    }

    /// The AssumeRole graph as far as a question about `targets` (role
    /// subject indices) needs it: every path ending at a target is there
    /// (see [`Graph::towards`]). The whole graph when it is built already;
    /// otherwise only the edges into roles that lead to a target are asked
    /// of the engine, which is what makes a one-shot `who-can` cheap.
    pub fn graph_towards(&self, targets: &[usize]) -> Result<Cow<'_, Graph>, AccessError> {
        match self.graph.get() {
            Some(Ok(g)) => Ok(Cow::Borrowed(g)),
            Some(Err(e)) => Err(AccessError::Graph(e.clone())),
            None => Ok(Cow::Owned(Graph::towards(self, targets)?)),
        }
    }

    /// The engine's step for `identity` and `question` in `context`.
    pub fn step(
        &self,
        identity: &Identity,
        question: &Question,
        context: &Context,
    ) -> Result<ChainStep, AccessError> {
        let ram = self.ram();
        Ok(match &question.pass_to {
            Some(service) => ram.check_pass_role(identity, &question.resource, service)?,
            None => ram.authorize(
                identity,
                &Access {
                    action: question.action.clone(),
                    resource: question.resource.clone(),
                    context: context.clone(),
                },
                None,
            )?,
        })
    }

    /// The residual condition under which subject `s` may do `question`.
    pub fn residual(&self, s: usize, question: &Question) -> Result<Residual, AccessError> {
        Ok(self.residual_step(s, question)?.0)
    }

    /// The residual, with the step it was read from (decided in the
    /// question's known context: for an unconditional answer that step is
    /// already its proof).
    pub fn residual_step(
        &self,
        s: usize,
        question: &Question,
    ) -> Result<(Residual, Option<ChainStep>), AccessError> {
        let Some(subject) = self.subjects.get(s) else {
            return Ok((Residual::never(), None));
        };
        let step = match self.step(&subject.identity(), question, &question.known) {
            Ok(step) => step,
            // A role that is not there cannot be passed: no answer.
            Err(AccessError::Ram(RamError::NotFound { .. })) => {
                return Ok((Residual::never(), None));
            }
            Err(e) => return Err(e),
        };
        let residual = step_residual(&step, &question.known_keys())?;
        Ok((residual, Some(step)))
    }

    /// The AssumeRole steps of `caller` becoming `role` in `context`.
    pub fn assume_steps(
        &self,
        caller: &Identity,
        role_arn: &str,
        context: &Context,
    ) -> Result<Vec<ChainStep>, AccessError> {
        Ok(self.ram().evaluate_assume_role(caller, role_arn, context)?)
    }

    /// The residual of a hop: `caller` assumes `role` (both steps).
    pub fn hop_residual(&self, caller: usize, role: usize) -> Result<Residual, AccessError> {
        let (Some(c), Some(r)) = (self.subjects.get(caller), self.subjects.get(role)) else {
            return Ok(Residual::never());
        };
        let steps = match self.assume_steps(&c.identity(), &r.arn(), &Context::new()) {
            Ok(steps) => steps,
            Err(AccessError::Ram(RamError::RootCannotAssumeRole(_))) => {
                return Ok(Residual::never());
            }
            Err(e) => return Err(e),
        };
        let mut out = Residual::always();
        for step in &steps {
            out = out.and(&step_residual(step, &Known::none())?, &c.arn())?;
            if out.is_never() {
                break;
            }
        }
        Ok(out)
    }

    /// The proof of a path: a witness of `residual`, then every hop's
    /// AssumeRole steps and every question's step decided in it, each of
    /// which must allow.
    pub fn prove(
        &self,
        start: usize,
        hops: &[usize],
        residual: &Residual,
        questions: &[&Question],
    ) -> Result<DecisionChain, AccessError> {
        let subject = |i: usize| self.subjects.get(i).cloned();
        let Some(first) = subject(start) else {
            return Ok(DecisionChain::new());
        };
        let witness = residual.witness().unwrap_or_default();
        let mut chain = DecisionChain::new();
        let mut acting = first.clone();
        for &h in hops {
            let Some(role) = subject(h) else { continue };
            chain.extend(self.assume_steps(&acting.identity(), &role.arn(), &witness)?);
            acting = role;
        }
        for q in questions {
            let context = merge(&witness, &q.known);
            chain.push(self.step(&acting.identity(), q, &context)?);
        }
        if chain.decision() != Decision::Allow {
            return Err(AccessError::Inconsistent {
                principal: first.arn(),
                action: questions
                    .iter()
                    .map(|q| q.action.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(chain)
    }

    /// A fast, conservative filter: `false` only when subject `s` cannot be
    /// allowed `action` on `resource` in any context (the optimistic form of
    /// its identity policies does not allow it). Everything it lets through
    /// is asked of the engine properly.
    pub fn might(&self, s: usize, action: &str, resource: &str) -> bool {
        if matches!(self.subjects.get(s), Some(Subject::Root { .. })) {
            return true;
        }
        let attached = self
            .attached
            .get_or_init(|| Attached::build(self.snapshot, &self.subjects));
        let Some(held) = attached.of.get(s).filter(|h| !h.is_empty()) else {
            return false;
        };
        let verdicts = self.verdicts(&attached.documents, action, resource);
        if verdicts.allow.is_empty() {
            return false;
        }
        let mut allowed = false;
        for d in held {
            if verdicts.deny.binary_search(d).is_ok() {
                return false;
            }
            allowed |= verdicts.allow.binary_search(d).is_ok();
        }
        allowed
    }

    /// What every document could decide alone on `action` and `resource`,
    /// once per question and analysis.
    fn verdicts(&self, documents: &PolicySet, action: &str, resource: &str) -> Arc<Verdicts> {
        // A poisoned lock only means another question panicked midway;
        // every entry in the map is complete.
        let mut cache = self
            .prefilter
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Looked up by `&str` first: the escalation analysis asks the same
        // question of every principal, and a hit allocates nothing.
        if let Some(v) = cache.get(action).and_then(|m| m.get(resource)) {
            return v.clone();
        }
        let each = Authorizer::new().optimistic_each(documents, &Request::new(action, resource));
        let with = |want: Decision| -> Vec<u32> {
            (0..each.len() as u32)
                .filter(|&i| each.get(i as usize) == Some(&want))
                .collect()
        };
        let v = Arc::new(Verdicts {
            allow: with(Decision::Allow),
            deny: with(Decision::ExplicitDeny),
        });
        cache
            .entry(action.to_string())
            .or_default()
            .insert(resource.to_string(), v.clone());
        v
    }

    /// Subject `s`'s identity policies, merged into one set (empty for the
    /// root, services and identity providers), as the escalation analysis
    /// compares powers.
    pub fn merged(&self, s: usize) -> Option<&PolicySet> {
        self.merged
            .get_or_init(|| {
                self.subjects
                    .iter()
                    .map(|sub| {
                        let mut set = PolicySet::empty();
                        for (id, compiled) in identity_policies(self.snapshot, sub) {
                            set.add_compiled(id, &compiled);
                        }
                        set
                    })
                    .collect()
            })
            .get(s)
    }

    /// The index of a subject.
    pub fn index_of(&self, subject: &Subject) -> Option<usize> {
        self.subjects.iter().position(|s| s == subject)
    }

    /// The indices of the subjects that are roles.
    pub fn roles(&self) -> impl Iterator<Item = usize> + '_ {
        self.subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Subject::Role { .. }))
            .map(|(i, _)| i)
    }

    /// The services some trust policy names.
    pub fn services(&self) -> BTreeSet<String> {
        self.subjects
            .iter()
            .filter_map(|s| match s {
                Subject::Service(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A subject's identity policies with their ids, as the engine finds them
/// (none for the root, services and identity providers).
fn identity_policies(snapshot: &Snapshot, s: &Subject) -> Vec<(String, Compiled)> {
    match s {
        Subject::User { account, name } => snapshot
            .directory
            .account(account)
            .and_then(|a| Some(a.user_policies(a.user(name)?)))
            .unwrap_or_default(),
        Subject::Role { account, name } => snapshot
            .directory
            .account(account)
            .and_then(|a| Some(a.role_policies(a.role(name)?)))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A subject's identity documents, as [`identity_policies`] finds them but
/// without naming them.
fn identity_documents<'d>(snapshot: &'d Snapshot, s: &Subject) -> Vec<&'d Compiled> {
    let account = |account: &str| snapshot.directory.account(account);
    match s {
        Subject::User { account: a, name } => account(a)
            .and_then(|a| Some(a.user_documents(a.user(name)?).collect()))
            .unwrap_or_default(),
        Subject::Role { account: a, name } => account(a)
            .and_then(|a| {
                Some(
                    a.role(name)?
                        .policies()
                        .iter()
                        .filter_map(|r| a.document(r))
                        .collect(),
                )
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
