//! Decision chains: the ordered record of every authorization question an
//! operation asked, whom it asked about, which policies answered, and the
//! full trace. A chain serializes to stable JSON (fields in declaration
//! order, context keys sorted) so it can go into an audit log and be
//! compared byte for byte.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::authz::{Context, Decision, Response, Trace};

/// What a step asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StepKind {
    /// May the identity do the action on the resource (spec §8.2, §8.5)?
    #[serde(rename = "authorize")]
    Authorize,
    /// Do the caller's own policies allow `sts:AssumeRole` on the role
    /// (decision A of spec §8.3)?
    #[serde(rename = "assume-role.identity")]
    AssumeRoleIdentity,
    /// Does the role's trust policy trust the caller (decision B of §8.3)?
    #[serde(rename = "assume-role.trust")]
    AssumeRoleTrust,
    /// May the caller hand the role to a service (`ram:PassRole`, §10.5)?
    #[serde(rename = "pass-role")]
    PassRole,
}

impl StepKind {
    /// The name as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Authorize => "authorize",
            StepKind::AssumeRoleIdentity => "assume-role.identity",
            StepKind::AssumeRoleTrust => "assume-role.trust",
            StepKind::PassRole => "pass-role",
        }
    }
}

/// The kinds of decision a step combines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// The account's own authority over its resources (no policy involved).
    Account,
    /// The session policy of a role session.
    Session,
    /// The identity policies: the user's and its groups', or the role's.
    Identity,
    /// The resource's own policy (a KMS key policy).
    Resource,
    /// A role's trust policy.
    Trust,
}

/// One kind's decision within a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Which kind of decision.
    pub kind: PartKind,
    /// What that kind decided on its own.
    pub decision: Decision,
    /// `true`: this part must allow. `false`: this part is one of the
    /// alternatives of which at least one must allow (identity and resource
    /// policies of the same account, spec §8.5).
    pub required: bool,
}

/// One question and its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStep {
    /// What was asked.
    pub step: StepKind,
    /// Of whom (ARN or service name).
    pub principal: String,
    /// The action.
    pub action: String,
    /// The resource, absent when the question has none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resource: Option<String>,
    /// The condition keys, sorted.
    #[serde(default)]
    pub context: BTreeMap<String, Vec<String>>,
    /// The ids of every policy consulted, in evaluation order
    /// (`user/alice:policy/Foo@v2`, `role/x:trust`, `session-policy`, …).
    pub policies: Vec<String>,
    /// Each kind's own decision and how it counts.
    pub parts: Vec<Part>,
    /// The combined decision with the statements that decided it.
    pub response: Response,
    /// Every statement of every policy consulted, examined.
    pub trace: Trace,
}

impl ChainStep {
    /// The combined decision.
    pub fn decision(&self) -> Decision {
        self.response.decision
    }

    /// Whether the step allows.
    pub fn is_allowed(&self) -> bool {
        self.response.decision.is_allowed()
    }
}

/// The sorted form of a request context.
pub(crate) fn context_map(context: &Context) -> BTreeMap<String, Vec<String>> {
    context
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

/// The steps of one operation, in the order they were asked. Serializes as
/// a JSON array of steps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DecisionChain {
    /// The steps.
    pub steps: Vec<ChainStep>,
}

impl DecisionChain {
    /// An empty chain.
    pub fn new() -> DecisionChain {
        DecisionChain::default()
    }

    /// Appends a step.
    pub fn push(&mut self, step: ChainStep) {
        self.steps.push(step);
    }

    /// Appends steps.
    pub fn extend(&mut self, steps: impl IntoIterator<Item = ChainStep>) {
        self.steps.extend(steps);
    }

    /// Allow only when there is a step and every step allows; otherwise
    /// `ExplicitDeny` if any step denies explicitly, else `ImplicitDeny`.
    pub fn decision(&self) -> Decision {
        if self
            .steps
            .iter()
            .any(|s| s.decision() == Decision::ExplicitDeny)
        {
            Decision::ExplicitDeny
        } else if !self.steps.is_empty() && self.steps.iter().all(ChainStep::is_allowed) {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// The stable JSON text.
    pub fn to_json(&self) -> String {
        // Serializing plain data (strings, vectors, maps with string keys)
        // cannot fail; an empty array is the fallback that keeps this
        // function total.
        serde_json::to_string(self).unwrap_or_else(|_| "[]".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Response;

    fn step(decision: Decision) -> ChainStep {
        ChainStep {
            step: StepKind::Authorize,
            principal: "acs:ram::1234567890123456:user/alice".into(),
            action: "kms:Decrypt".into(),
            resource: Some("acs:kms:cn-hangzhou:1234567890123456:key/k".into()),
            context: BTreeMap::from([
                ("b".to_string(), vec!["2".to_string()]),
                ("a".to_string(), vec![]),
            ]),
            policies: vec![],
            parts: vec![Part {
                kind: PartKind::Identity,
                decision,
                required: true,
            }],
            response: Response {
                decision,
                reasons: vec![],
            },
            trace: Trace::default(),
        }
    }

    #[test]
    fn a_chain_allows_only_when_every_step_does() {
        let mut c = DecisionChain::new();
        assert_eq!(c.decision(), Decision::ImplicitDeny);
        c.push(step(Decision::Allow));
        assert_eq!(c.decision(), Decision::Allow);
        c.push(step(Decision::ImplicitDeny));
        assert_eq!(c.decision(), Decision::ImplicitDeny);
        c.push(step(Decision::ExplicitDeny));
        assert_eq!(c.decision(), Decision::ExplicitDeny);
    }

    #[test]
    fn the_json_is_stable_and_round_trips() {
        let c = DecisionChain {
            steps: vec![step(Decision::Allow)],
        };
        let json = c.to_json();
        assert_eq!(
            json,
            r#"[{"step":"authorize","principal":"acs:ram::1234567890123456:user/alice","action":"kms:Decrypt","resource":"acs:kms:cn-hangzhou:1234567890123456:key/k","context":{"a":[],"b":["2"]},"policies":[],"parts":[{"kind":"identity","decision":"Allow","required":true}],"response":{"decision":"Allow","reasons":[]},"trace":{"statements":[]}}]"#
        );
        let back: DecisionChain = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, c);
    }
}
