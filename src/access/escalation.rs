//! Privilege escalation: principals who can grant themselves more than they
//! have, each path a sequence of the engine's own decisions.
//!
//! "More": principal B is more powerful than A when B is allowed some
//! (action, resource) pair of a fixed probe set that A is not. The probe
//! set is the catalogue's actions of the services the directory's policies
//! use, each with the directory's resources of its service and `*`.
//!
//! Choice: powers are compared in the empty context with the identity
//! policies merged (the engine's single-set decision, no conditions
//! assumed to hold), so a grant that needs a condition does not make its
//! holder more powerful; the escalation step itself is answered with its
//! residual condition like every other question. A policy attached by
//! escalation is taken to be `AdministratorAccess` (it exists in every
//! account), so "attach a policy to myself" escalates unless A already has
//! every probe pair.
//!
//! The path kinds: attach a policy to oneself or to a group one is in;
//! create a version of (or set as default another version of) a custom
//! policy attached to oneself; create an access key or a login profile for
//! a more powerful user; update the trust policy of a more powerful role
//! and assume it (only the caller's own `sts:AssumeRole` is asked: the new
//! trust policy would trust it); assume a more powerful role; pass a more
//! powerful role to a service that role trusts.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;

use crate::authz::{Authorizer, Context, Decision, PolicySet, Request};
use crate::policy::Effect;
use crate::policy::pattern::{Case, Pattern};
use crate::ram::{DecisionChain, PolicyRef, system_policy};

use super::analyzer::{Analyzer, Question, merge};
use super::catalogue::{expand_action, service_actions};
use super::error::AccessError;
use super::partial::{Known, step_residual};
use super::principals::Subject;
use super::residual::Residual;

/// How a principal escalates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathKind {
    /// `ram:AttachPolicyToUser` / `ram:AttachPolicyToRole` on itself.
    AttachPolicyToSelf,
    /// `ram:AttachPolicyToGroup` on a group it is in.
    AttachPolicyToGroup,
    /// `ram:CreatePolicyVersion` of a custom policy attached to it.
    CreatePolicyVersion,
    /// `ram:SetDefaultPolicyVersion` of a custom policy attached to it,
    /// whose other version grants more.
    SetDefaultPolicyVersion,
    /// `ram:CreateAccessKey` for a more powerful user.
    CreateAccessKey,
    /// `ram:CreateLoginProfile` for a more powerful user.
    CreateLoginProfile,
    /// `ram:UpdateRole` (the trust policy) of a more powerful role, then
    /// `sts:AssumeRole` of it.
    UpdateTrustAndAssume,
    /// `sts:AssumeRole` of a more powerful role.
    AssumeRole,
    /// `ram:PassRole` of a more powerful role to a service it trusts.
    PassRole,
}

impl PathKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::AttachPolicyToSelf => "attach-policy-to-self",
            PathKind::AttachPolicyToGroup => "attach-policy-to-group",
            PathKind::CreatePolicyVersion => "create-policy-version",
            PathKind::SetDefaultPolicyVersion => "set-default-policy-version",
            PathKind::CreateAccessKey => "create-access-key",
            PathKind::CreateLoginProfile => "create-login-profile",
            PathKind::UpdateTrustAndAssume => "update-trust-and-assume",
            PathKind::AssumeRole => "assume-role",
            PathKind::PassRole => "pass-role",
        }
    }
}

/// A probe pair the principal would gain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gain {
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
}

/// One escalation path.
#[derive(Clone, Debug)]
pub struct Escalation {
    /// Who escalates.
    pub principal: String,
    /// How.
    pub kind: PathKind,
    /// What it acts on (its own ARN, a group, a policy, a user, a role).
    pub target: String,
    /// A probe pair it does not have and would gain.
    pub gains: Gain,
    /// When the steps are allowed.
    pub condition: Residual,
    /// The engine's steps.
    pub chain: DecisionChain,
}

/// The probe set: actions with the resources they are probed on.
struct Probe {
    pairs: Vec<(String, Vec<String>)>,
    /// Per Allow statement (its document's address and its index), the
    /// probe pairs (action, resource positions) its patterns match, in
    /// probe order: worked out once per statement and analysis, however
    /// many principals hold its document and are compared.
    matched: RefCell<HashMap<(usize, usize), Matched>>,
    /// Comparisons already made: a principal is compared with the same
    /// set for several path kinds (an access key and a login profile for
    /// the same user, updating and assuming the same role).
    compared: RefCell<HashMap<(usize, Against), Option<Gain>>>,
}

/// Probe pairs a statement matches: (action, resource) positions in
/// [`Probe::pairs`].
type Matched = Rc<[(u32, u32)]>;

/// What a principal is compared with, for [`Probe::compared`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Against {
    /// Another subject's merged set.
    Subject(usize),
    /// `AdministratorAccess`, what an attached policy can grant.
    Admin,
    /// A set made for one comparison (a policy version): not kept.
    Once,
}

impl Probe {
    fn new(an: &Analyzer<'_>) -> Probe {
        let mut services = BTreeSet::new();
        let mut patterns = BTreeSet::new();
        let mut note = |doc: &crate::policy::Policy| {
            for s in &doc.statements {
                patterns.extend(s.resource.iter().flat_map(|r| r.strs()).map(str::to_string));
                for a in s.action.list.strs() {
                    let service = a.split_once(':').map_or(a, |(s, _)| s);
                    if service.contains(['*', '?']) || s.action.negated {
                        services.extend(
                            expand_action(&format!("{service}:*"))
                                .iter()
                                .filter_map(|x| x.split_once(':').map(|(s, _)| s.to_string())),
                        );
                    } else {
                        services.insert(service.to_ascii_lowercase());
                    }
                }
            }
        };
        for a in an.snapshot().directory.accounts() {
            for p in a.policies() {
                for v in p.versions() {
                    note(v.document().policy());
                }
            }
            let attached = a
                .users()
                .flat_map(|u| u.policies().iter())
                .chain(a.groups().flat_map(|g| g.policies().iter()))
                .chain(a.roles().flat_map(|r| r.policies().iter()));
            for r in attached {
                if let PolicyRef::System(n) = r
                    && let Some(p) = system_policy(n)
                {
                    note(p.document.policy());
                }
            }
        }
        let resources = representatives(an, &patterns);
        let pairs = services
            .iter()
            .flat_map(|svc| {
                let prefix = format!("acs:{svc}:");
                let mut on: Vec<String> = resources
                    .iter()
                    .filter(|r| r.starts_with(&prefix))
                    .cloned()
                    .collect();
                on.insert(0, "*".to_string());
                service_actions(svc)
                    .into_iter()
                    .map(move |a| (a, on.clone()))
            })
            .collect();
        Probe {
            pairs,
            matched: RefCell::new(HashMap::new()),
            compared: RefCell::new(HashMap::new()),
        }
    }

    /// [`Probe::gain`] of subject `a` (whose set is `mine`) against `b`,
    /// remembered unless `against` is [`Against::Once`].
    fn gain_of(
        &self,
        a: usize,
        mine: Option<&PolicySet>,
        against: Against,
        b: &PolicySet,
    ) -> Option<Gain> {
        if against == Against::Once {
            return self.gain(mine, b);
        }
        if let Some(known) = self.compared.borrow().get(&(a, against)) {
            return known.clone();
        }
        let found = self.gain(mine, b);
        self.compared
            .borrow_mut()
            .insert((a, against), found.clone());
        found
    }

    /// The probe pairs Allow statement `i` of `policy` matches.
    fn matched(&self, policy: &Arc<crate::policy::Policy>, i: usize) -> Matched {
        let key = (Arc::as_ptr(policy) as usize, i);
        if let Some(m) = self.matched.borrow().get(&key) {
            return m.clone();
        }
        let mut out = Vec::new();
        if let Some(s) = policy.statements.get(i) {
            let actions: Vec<Pattern> = s
                .action
                .list
                .strs()
                .map(|p| Pattern::new(p, Case::Insensitive))
                .collect();
            let resources: Vec<Pattern> = s
                .resource
                .iter()
                .flat_map(|r| r.strs())
                .map(|p| Pattern::new(p, Case::Sensitive))
                .collect();
            for (pa, (action, on)) in self.pairs.iter().enumerate() {
                let hit = actions.iter().any(|p| p.matches(action));
                if hit == s.action.negated {
                    continue;
                }
                for (pr, r) in on.iter().enumerate() {
                    if resources.iter().any(|p| p.matches(r)) {
                        out.push((pa as u32, pr as u32));
                    }
                }
            }
        }
        let out: Matched = out.into();
        self.matched.borrow_mut().insert(key, out.clone());
        out
    }

    /// A probe pair `b` allows and `a` does not, searched among the pairs
    /// `b`'s Allow statements can match (a pair no Allow statement matches
    /// is not allowed).
    fn gain(&self, a: Option<&PolicySet>, b: &PolicySet) -> Option<Gain> {
        let authorizer = Authorizer::new();
        let allows = |set: &PolicySet, r: &Request| authorizer.decide(set, r) == Decision::Allow;
        for policy in b.policies() {
            for (i, s) in policy.source.statements.iter().enumerate() {
                if s.effect.node != Effect::Allow {
                    continue;
                }
                for &(pa, pr) in self.matched(&policy.source, i).iter() {
                    let Some((action, on)) = self.pairs.get(pa as usize) else {
                        continue;
                    };
                    let Some(r) = on.get(pr as usize) else {
                        continue;
                    };
                    let request = Request::new(action.as_str(), r.as_str());
                    if allows(b, &request) && !a.is_some_and(|a| allows(a, &request)) {
                        return Some(Gain {
                            action: action.clone(),
                            resource: r.clone(),
                        });
                    }
                }
            }
        }
        None
    }
}

/// One resource per class of the snapshot's resources that no identity
/// policy of the directory can tell apart: two resources matched by exactly
/// the same resource patterns get the same decision from every identity
/// policy, so probing one of them probes both. This keeps the probe set
/// exact while making it small (a pattern like `acs:ram::*:user/*` makes one
/// class of a thousand users).
fn representatives(an: &Analyzer<'_>, patterns: &BTreeSet<String>) -> Vec<String> {
    let compiled: Vec<(Pattern, Pattern)> = patterns
        .iter()
        .map(|p| {
            (
                Pattern::new(p, Case::Sensitive),
                Pattern::new(p, Case::Insensitive),
            )
        })
        .collect();
    let mut classes: std::collections::BTreeMap<(String, Vec<bool>), String> =
        std::collections::BTreeMap::new();
    for r in an.snapshot().resources() {
        let role = crate::policy::arn::is_role_arn(&r);
        let signature: Vec<bool> = compiled
            .iter()
            .map(|(exact, folded)| {
                if role {
                    folded.matches(&r)
                } else {
                    exact.matches(&r)
                }
            })
            .collect();
        // Services stay apart: the probe pairs a resource with its service's actions.
        let service = r.split(':').nth(1).unwrap_or_default().to_string();
        classes.entry((service, signature)).or_insert(r);
    }
    let mut out: Vec<String> = classes.into_values().collect();
    out.sort();
    out
}

/// `AdministratorAccess` as a set: what an attached policy can grant.
fn admin() -> PolicySet {
    let mut set = PolicySet::empty();
    if let Some(p) = system_policy("AdministratorAccess") {
        set.add_compiled("system/AdministratorAccess", p.document.compiled());
    }
    set
}

/// Every escalation path of the snapshot's users and roles.
pub fn escalation(an: &Analyzer<'_>) -> Result<Vec<Escalation>, AccessError> {
    let probe = Probe::new(an);
    let admin = admin();
    let subjects = an.subjects();
    let mut out = Vec::new();
    let users: Vec<usize> = (0..subjects.len())
        .filter(|&i| matches!(subjects.get(i), Some(Subject::User { .. })))
        .collect();
    let roles: Vec<usize> = an.roles().collect();
    let trusted: Vec<Vec<(usize, Residual)>> = (0..subjects.len())
        .map(|b| trusted_services(an, b))
        .collect::<Result<_, _>>()?;
    // Each target's ARN once, not once per principal asking about it.
    let arns: Vec<String> = subjects.iter().map(Subject::arn).collect();
    for (a, subject) in subjects.iter().enumerate() {
        let (account, self_action) = match subject {
            Subject::User { account, .. } => (account, "ram:AttachPolicyToUser"),
            Subject::Role { account, .. } => (account, "ram:AttachPolicyToRole"),
            _ => continue,
        };
        let mine = an.merged(a);
        let me = subject.arn();
        let mut ask = |kind: PathKind,
                       action: &str,
                       target: &str,
                       against: Against,
                       b: &PolicySet|
         -> Result<(), AccessError> {
            if !an.might(a, action, target) {
                return Ok(());
            }
            let q = Question::new(action, target, &Context::new());
            let residual = an.residual(a, &q)?;
            if residual.is_never() {
                return Ok(());
            }
            let Some(gains) = probe.gain_of(a, mine, against, b) else {
                return Ok(());
            };
            let chain = an.prove(a, &[], &residual, &[&q])?;
            out.push(Escalation {
                principal: me.clone(),
                kind,
                target: target.to_string(),
                gains,
                condition: residual,
                chain,
            });
            Ok(())
        };
        ask(
            PathKind::AttachPolicyToSelf,
            self_action,
            &me,
            Against::Admin,
            &admin,
        )?;
        let Some(acct) = an.snapshot().directory.account(account) else {
            continue;
        };
        let mut attached: Vec<PolicyRef> = Vec::new();
        if let Subject::User { name, .. } = subject {
            if let Some(u) = acct.user(name) {
                attached.extend(u.policies().iter().cloned());
            }
            for g in acct.groups_of(name) {
                let arn = format!("acs:ram::{account}:group/{}", g.name());
                ask(
                    PathKind::AttachPolicyToGroup,
                    "ram:AttachPolicyToGroup",
                    &arn,
                    Against::Admin,
                    &admin,
                )?;
                attached.extend(g.policies().iter().cloned());
            }
        }
        if let Subject::Role { name, .. } = subject
            && let Some(r) = acct.role(name)
        {
            attached.extend(r.policies().iter().cloned());
        }
        for r in &attached {
            let PolicyRef::Custom(name) = r else { continue };
            let arn = format!("acs:ram::{account}:policy/{name}");
            ask(
                PathKind::CreatePolicyVersion,
                "ram:CreatePolicyVersion",
                &arn,
                Against::Admin,
                &admin,
            )?;
            let Some(p) = acct.policy(name) else { continue };
            for v in p
                .versions()
                .iter()
                .filter(|v| v.id() != p.default_version())
            {
                let mut set = PolicySet::empty();
                set.add_compiled(format!("policy/{name}@{}", v.id()), v.document().compiled());
                ask(
                    PathKind::SetDefaultPolicyVersion,
                    "ram:SetDefaultPolicyVersion",
                    &arn,
                    Against::Once,
                    &set,
                )?;
            }
        }
        for &b in &users {
            if b == a {
                continue;
            }
            let Some(theirs) = an.merged(b) else { continue };
            let Some(arn) = arns.get(b) else { continue };
            ask(
                PathKind::CreateAccessKey,
                "ram:CreateAccessKey",
                arn,
                Against::Subject(b),
                theirs,
            )?;
            ask(
                PathKind::CreateLoginProfile,
                "ram:CreateLoginProfile",
                arn,
                Against::Subject(b),
                theirs,
            )?;
        }
        for &b in &roles {
            if b == a {
                continue;
            }
            let Some(theirs) = an.merged(b) else { continue };
            let Some(arn) = arns.get(b) else { continue };
            update_trust(an, &probe, a, b, mine, theirs, &mut out)?;
            let edge = an
                .graph()?
                .edges
                .get(a)
                .and_then(|e| e.iter().find(|e| e.to == b))
                .cloned();
            if let Some(edge) = edge
                && let Some(gains) = probe.gain_of(a, mine, Against::Subject(b), theirs)
            {
                let chain = an.prove(a, &[b], &edge.residual, &[])?;
                out.push(Escalation {
                    principal: me.clone(),
                    kind: PathKind::AssumeRole,
                    target: arn.clone(),
                    gains,
                    condition: edge.residual.clone(),
                    chain,
                });
            }
            for service in trusted.get(b).into_iter().flatten() {
                pass_role(an, &probe, a, b, service, mine, theirs, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// The services whose AssumeRole edge reaches role `b`.
fn trusted_services(an: &Analyzer<'_>, b: usize) -> Result<Vec<(usize, Residual)>, AccessError> {
    let graph = an.graph()?;
    Ok(an
        .subjects()
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Subject::Service(_)))
        .filter_map(|(i, _)| {
            let e = graph.edges.get(i)?.iter().find(|e| e.to == b)?;
            Some((i, e.residual.clone()))
        })
        .collect())
}

/// `ram:UpdateRole` of role `b`, then `a`'s own `sts:AssumeRole` on it.
fn update_trust(
    an: &Analyzer<'_>,
    probe: &Probe,
    a: usize,
    b: usize,
    mine: Option<&PolicySet>,
    theirs: &PolicySet,
    out: &mut Vec<Escalation>,
) -> Result<(), AccessError> {
    let (Some(me), Some(role)) = (an.subjects().get(a), an.subjects().get(b)) else {
        return Ok(());
    };
    let arn = role.arn();
    if !an.might(a, "ram:UpdateRole", &arn) || !an.might(a, "sts:AssumeRole", &arn) {
        return Ok(());
    }
    let q = Question::new("ram:UpdateRole", &arn, &Context::new());
    let update = an.residual(a, &q)?;
    if update.is_never() {
        return Ok(());
    }
    let identity = me.identity();
    let steps = an.assume_steps(&identity, &arn, &Context::new())?;
    let Some(own) = steps.first() else {
        return Ok(());
    };
    let condition = update.and(&step_residual(own, &Known::none())?, &me.arn())?;
    if condition.is_never() {
        return Ok(());
    }
    let Some(gains) = probe.gain_of(a, mine, Against::Subject(b), theirs) else {
        return Ok(());
    };
    let mut chain = an.prove(a, &[], &condition, &[&q])?;
    let witness = merge(&condition.witness().unwrap_or_default(), &Context::new());
    if let Some(step) = an
        .assume_steps(&identity, &arn, &witness)?
        .into_iter()
        .next()
    {
        chain.push(step);
    }
    out.push(Escalation {
        principal: me.arn(),
        kind: PathKind::UpdateTrustAndAssume,
        target: arn,
        gains,
        condition,
        chain,
    });
    Ok(())
}

/// `ram:PassRole` of role `b` to `service`, which the role trusts.
#[allow(clippy::too_many_arguments)]
fn pass_role(
    an: &Analyzer<'_>,
    probe: &Probe,
    a: usize,
    b: usize,
    service: &(usize, Residual),
    mine: Option<&PolicySet>,
    theirs: &PolicySet,
    out: &mut Vec<Escalation>,
) -> Result<(), AccessError> {
    let (Some(me), Some(role), Some(svc)) = (
        an.subjects().get(a),
        an.subjects().get(b),
        an.subjects().get(service.0),
    ) else {
        return Ok(());
    };
    let arn = role.arn();
    if !an.might(a, crate::ram::PASS_ROLE, &arn) {
        return Ok(());
    }
    let q = Question::pass_role(&arn, &svc.arn());
    let passing = an.residual(a, &q)?;
    let condition = passing.and(&service.1, &me.arn())?;
    if condition.is_never() {
        return Ok(());
    }
    let Some(gains) = probe.gain_of(a, mine, Against::Subject(b), theirs) else {
        return Ok(());
    };
    let mut chain = an.prove(a, &[], &condition, &[&q])?;
    chain.extend(an.prove(service.0, &[b], &condition, &[])?.steps);
    out.push(Escalation {
        principal: me.arn(),
        kind: PathKind::PassRole,
        target: arn,
        gains,
        condition,
        chain,
    });
    Ok(())
}
