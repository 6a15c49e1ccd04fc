//! Residual conditions: what must hold of the request context for an answer
//! to be yes, once everything the analysis knows has been evaluated.
//!
//! A residual is a disjunction of alternatives, each a conjunction of
//! [`Literal`]s. A literal is one RAM condition (operator, key, values) with
//! a polarity that matches the engine's three-valued evaluation exactly:
//!
//! * *holds*: the condition evaluates to true (an Allow statement's
//!   condition must hold for the statement to apply);
//! * *fails*: the condition evaluates to false, not merely "not true" (a
//!   Deny statement stops applying only when one of its conditions is
//!   false; a condition that cannot be evaluated makes the Deny apply:
//!   fail closed).
//!
//! So a residual is true in exactly the contexts where the engine allows,
//! which the property test in `tests/access_props.rs` checks against brute
//! force. Printing a *fails* literal uses the operator's negated form
//! (`StringEquals` → `StringNotEquals`, `NumericLessThan` →
//! `ForAllValues:NumericGreaterThanEquals`, …); where that form is not the
//! exact complement the line carries a `//` note saying why.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::authz::{Authorizer, Context, Decision, PolicySet, Request};
use crate::policy::condition::{
    Family, Operator, QualifiedOperator, Qualifier, parse_date, parse_ip_range,
};
use crate::policy::{Policy, PolicyKind};

use super::error::AccessError;

/// The most alternatives a residual may have while it is multiplied out.
pub const MAX_ALTERNATIVES: usize = 512;

/// The action and resource of the one-statement policy a literal is
/// evaluated with.
const PROBE_ACTION: &str = "ramgate:Probe";

/// One RAM condition with the outcome required of it.
#[derive(Clone)]
pub struct Literal {
    operator: QualifiedOperator,
    key: String,
    values: Vec<String>,
    holds: bool,
    /// A one-statement policy with this condition (Allow for *holds*, Deny
    /// for *fails*), so the engine itself evaluates the literal.
    probe: Arc<PolicySet>,
}

impl Literal {
    /// The condition `operator key values`, required to hold (`holds`) or
    /// to evaluate to false.
    pub fn new(
        operator: QualifiedOperator,
        key: &str,
        values: Vec<String>,
        holds: bool,
    ) -> Result<Literal, AccessError> {
        let bad = |message: String| AccessError::Condition {
            operator: operator.to_string(),
            key: key.to_string(),
            message,
        };
        let effect = if holds { "Allow" } else { "Deny" };
        let doc = serde_json::json!({
            "Version": "1",
            "Statement": [{
                "Effect": effect,
                "Action": PROBE_ACTION,
                "Resource": "*",
                "Condition": {operator.to_string(): {key: values}},
            }],
        });
        let policy = Policy::from_json(&doc.to_string(), Some(PolicyKind::Identity))
            .map_err(|e| bad(e.to_string()))?;
        Ok(Literal {
            operator,
            key: key.to_string(),
            values,
            holds,
            probe: Arc::new(PolicySet::new([("probe", policy)])),
        })
    }

    /// The operator as written in the policy.
    pub fn operator(&self) -> QualifiedOperator {
        self.operator
    }

    /// The condition key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The policy values.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// `true`: the condition must hold; `false`: it must evaluate to false.
    pub fn holds(&self) -> bool {
        self.holds
    }

    /// Whether the literal is true in `context`, as the engine evaluates
    /// the condition.
    pub fn eval(&self, context: &Context) -> bool {
        let mut request = Request::new(PROBE_ACTION, "*");
        request.context = context.clone();
        let decision = Authorizer::new().decide(&self.probe, &request);
        if self.holds {
            decision == Decision::Allow
        } else {
            decision == Decision::ImplicitDeny
        }
    }

    fn sort_key(&self) -> (String, String, &[String], bool) {
        (
            self.key.to_lowercase(),
            self.operator.to_string(),
            &self.values,
            self.holds,
        )
    }

    /// The literal as one DSL `when` line: the condition itself, or for a
    /// *fails* literal its negated form, with a `//` note where that form is
    /// not the exact complement.
    pub fn to_when(&self) -> String {
        let (operator, values, note) = if self.holds {
            (self.operator, self.values.clone(), None)
        } else {
            negation(self.operator, &self.values)
        };
        let mut line = when_line(operator, &self.key, &values);
        if let Some(note) = note {
            line.push_str(" // ");
            line.push_str(&note);
        }
        line
    }
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        self.sort_key() == other.sort_key()
    }
}

impl Eq for Literal {}

impl PartialOrd for Literal {
    fn partial_cmp(&self, other: &Literal) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Literal {
    fn cmp(&self, other: &Literal) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.holds { "holds" } else { "fails" };
        write!(
            f,
            "{verb}({} {} {:?})",
            self.operator, self.key, self.values
        )
    }
}

/// The negated form of a condition for printing, and a note where it is not
/// the exact complement of "the condition evaluates to true".
fn negation(
    op: QualifiedOperator,
    values: &[String],
) -> (QualifiedOperator, Vec<String>, Option<String>) {
    use Operator as O;
    let flip = |o: Operator| match o {
        O::StringEquals => O::StringNotEquals,
        O::StringNotEquals => O::StringEquals,
        O::StringEqualsIgnoreCase => O::StringNotEqualsIgnoreCase,
        O::StringNotEqualsIgnoreCase => O::StringEqualsIgnoreCase,
        O::StringLike => O::StringNotLike,
        O::StringNotLike => O::StringLike,
        O::NumericEquals => O::NumericNotEquals,
        O::NumericNotEquals => O::NumericEquals,
        O::NumericLessThan => O::NumericGreaterThanEquals,
        O::NumericLessThanEquals => O::NumericGreaterThan,
        O::NumericGreaterThan => O::NumericLessThanEquals,
        O::NumericGreaterThanEquals => O::NumericLessThan,
        O::DateEquals => O::DateNotEquals,
        O::DateNotEquals => O::DateEquals,
        O::DateLessThan => O::DateGreaterThanEquals,
        O::DateLessThanEquals => O::DateGreaterThan,
        O::DateGreaterThan => O::DateLessThanEquals,
        O::DateGreaterThanEquals => O::DateLessThan,
        O::Bool => O::Bool,
        O::IpAddress => O::NotIpAddress,
        O::NotIpAddress => O::IpAddress,
    };
    let operator = op.operator;
    // The "matches some value" / "matches no value" pairs are each other's
    // complement value by value; the ordering operators and Bool are not
    // negated operators, so their complement needs the opposite qualifier
    // to keep the right answer on an absent key.
    let paired = operator.is_negated() || flip(operator).is_negated();
    let qualifier = match (paired, op.qualifier) {
        (true, None) => None,
        (_, Some(Qualifier::ForAnyValue)) => Some(Qualifier::ForAllValues),
        (_, Some(Qualifier::ForAllValues)) => Some(Qualifier::ForAnyValue),
        (false, None) => Some(Qualifier::ForAllValues),
    };
    let mut notes = Vec::new();
    let values = if operator == O::Bool {
        values
            .iter()
            .map(|v| match v.as_str() {
                "true" => "false".to_string(),
                _ => "true".to_string(),
            })
            .collect()
    } else {
        values.to_vec()
    };
    if !paired && values.len() > 1 {
        notes.push("inexact: the complement of several values is their conjunction".to_string());
    }
    if operator.family() != Family::String {
        notes.push(format!(
            "fail-closed: a value that is not {} denies",
            match operator.family() {
                Family::Numeric => "a number",
                Family::Date => "a date",
                Family::Bool => "`true` or `false`",
                Family::Ip => "an IP address",
                Family::String => "a string",
            }
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    (
        QualifiedOperator {
            qualifier,
            operator: flip(operator),
        },
        values,
        note,
    )
}

/// `when <operator> <key> <values>` as the DSL printer writes it.
fn when_line(operator: QualifiedOperator, key: &str, values: &[String]) -> String {
    let doc = serde_json::json!({
        "Version": "1",
        "Statement": [{
            "Effect": "Allow",
            "Action": PROBE_ACTION,
            "Resource": "*",
            "Condition": {operator.to_string(): {key: values}},
        }],
    });
    match Policy::from_json(&doc.to_string(), Some(PolicyKind::Identity)) {
        Ok(p) => {
            let text = p.to_dsl();
            let joined = text
                .lines()
                .skip_while(|l| !l.trim_start().starts_with("when "))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            joined.replace("[ ", "[").replace(" ]", "]")
        }
        // The negated form of a valid condition is valid; should it not
        // be, the plain text still says what is meant.
        Err(_) => format!("when {operator} {key} {values:?}"),
    }
}

/// A disjunction of conjunctions of literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Residual {
    alternatives: Vec<Vec<Literal>>,
}

impl Residual {
    /// True in every context (one empty conjunction).
    pub fn always() -> Residual {
        Residual {
            alternatives: vec![Vec::new()],
        }
    }

    /// True in no context (no alternative).
    pub fn never() -> Residual {
        Residual {
            alternatives: Vec::new(),
        }
    }

    /// One alternative per literal: any of them.
    pub fn any_of(literals: Vec<Literal>) -> Residual {
        Residual {
            alternatives: literals.into_iter().map(|l| vec![l]).collect(),
        }
        .normalized()
    }

    /// One conjunction.
    pub fn all_of(literals: Vec<Literal>) -> Residual {
        Residual {
            alternatives: vec![literals],
        }
        .normalized()
    }

    /// The alternatives, each a conjunction.
    pub fn alternatives(&self) -> &[Vec<Literal>] {
        &self.alternatives
    }

    /// Whether no condition remains: the answer is an unconditional yes.
    pub fn is_always(&self) -> bool {
        self.alternatives.iter().any(Vec::is_empty)
    }

    /// Whether no context satisfies it.
    pub fn is_never(&self) -> bool {
        self.alternatives.is_empty()
    }

    /// Either.
    pub fn or(mut self, other: Residual) -> Residual {
        self.alternatives.extend(other.alternatives);
        self.normalized()
    }

    /// Both, multiplied out; `what` names the answer in the error when the
    /// product passes [`MAX_ALTERNATIVES`].
    pub fn and(&self, other: &Residual, what: &str) -> Result<Residual, AccessError> {
        if self.is_always() {
            return Ok(other.clone());
        }
        if other.is_always() {
            return Ok(self.clone());
        }
        if self
            .alternatives
            .len()
            .saturating_mul(other.alternatives.len())
            > MAX_ALTERNATIVES * 8
        {
            return Err(AccessError::ResidualTooLarge(what.to_string()));
        }
        let mut alternatives = Vec::new();
        for a in &self.alternatives {
            for b in &other.alternatives {
                let mut both = a.clone();
                both.extend(b.iter().cloned());
                alternatives.push(both);
            }
        }
        let out = Residual { alternatives }.normalized();
        if out.alternatives.len() > MAX_ALTERNATIVES {
            return Err(AccessError::ResidualTooLarge(what.to_string()));
        }
        Ok(out)
    }

    /// Sorted, deduplicated literals; alternatives no context satisfies
    /// dropped; alternatives implied by a smaller one dropped.
    fn normalized(self) -> Residual {
        let mut alternatives: Vec<Vec<Literal>> = self
            .alternatives
            .into_iter()
            .map(|mut a| {
                a.sort();
                a.dedup();
                a
            })
            .filter(|a| witness_of(a).is_some())
            .collect();
        alternatives.sort_by_key(Vec::len);
        let mut kept: Vec<Vec<Literal>> = Vec::with_capacity(alternatives.len());
        for a in alternatives {
            if !kept.iter().any(|k| k.iter().all(|l| a.contains(l))) {
                kept.push(a);
            }
        }
        kept.sort();
        Residual { alternatives: kept }
    }

    /// Whether the residual is true in `context`.
    pub fn eval(&self, context: &Context) -> bool {
        self.alternatives
            .iter()
            .any(|a| a.iter().all(|l| l.eval(context)))
    }

    /// A context in which the residual is true (each key with one value or
    /// absent), if there is one.
    pub fn witness(&self) -> Option<Context> {
        self.alternatives.iter().find_map(|a| witness_of(a))
    }

    /// The alternatives as DSL `when` lines.
    pub fn to_when(&self) -> Vec<Vec<String>> {
        self.alternatives
            .iter()
            .map(|a| a.iter().map(Literal::to_when).collect())
            .collect()
    }
}

/// A context satisfying every literal of a conjunction. Each literal looks
/// at one key only, so the keys are solved one by one, each over a finite
/// set of candidates: the key absent, the values the literals name, values
/// just beside them (a number ±1, a date ±1 s, the ends of an address
/// range, a pattern with its wildcards filled), and a few fresh values.
///
/// Choice: only contexts with at most one value per key are searched. A
/// conjunction that only a multi-valued key could satisfy (`StringEquals k
/// a` and `StringEquals k b`) counts as unsatisfiable; RAM's global keys
/// (`acs:SourceIp`, `acs:CurrentTime`, `acs:MFAPresent`, …) have one value.
fn witness_of(conjunction: &[Literal]) -> Option<Context> {
    let mut by_key: BTreeMap<String, Vec<&Literal>> = BTreeMap::new();
    for l in conjunction {
        by_key.entry(l.key.to_lowercase()).or_default().push(l);
    }
    let mut context = Context::new();
    for literals in by_key.values() {
        let key = literals.first().map(|l| l.key.as_str()).unwrap_or_default();
        let mut found = None;
        for candidate in candidates(literals) {
            let mut trial = Context::new();
            if let Some(v) = &candidate {
                trial.insert(key, [v.clone()]);
            }
            if literals.iter().all(|l| l.eval(&trial)) {
                found = Some(candidate);
                break;
            }
        }
        if let Some(v) = found? {
            context.insert(key, [v]);
        }
    }
    Some(context)
}

/// The candidate values of one key (`None`: absent).
fn candidates(literals: &[&Literal]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = vec![None];
    let mut push = |v: String| {
        if !out.iter().any(|o| o.as_deref() == Some(v.as_str())) {
            out.push(Some(v));
        }
    };
    for l in literals {
        for v in &l.values {
            push(v.clone());
            push(v.to_uppercase());
            push(v.to_lowercase());
            if v.contains(['*', '?']) {
                push(v.replace('*', "").replace('?', "x"));
                push(v.replace(['*', '?'], "x"));
            }
            push(format!("{v}x"));
            if let Ok(n) = v.parse::<i128>() {
                push(n.saturating_sub(1).to_string());
                push(n.saturating_add(1).to_string());
            } else if v.contains('.') && v.parse::<f64>().is_ok() {
                push(format!("{v}1"));
                if let Some((int, _)) = v.split_once('.') {
                    push(int.to_string());
                }
            }
            if let Ok(d) = parse_date(v) {
                for t in [d - time::Duration::SECOND, d + time::Duration::SECOND] {
                    if let Ok(s) = t.format(&time::format_description::well_known::Rfc3339) {
                        push(s);
                    }
                }
            }
            if let Ok(net) = parse_ip_range(v) {
                push(net.network().to_string());
                push(net.broadcast().to_string());
                if let ipnet::IpNet::V4(n) = net {
                    let low = u32::from(n.network()).wrapping_sub(1);
                    let high = u32::from(n.broadcast()).wrapping_add(1);
                    push(std::net::Ipv4Addr::from(low).to_string());
                    push(std::net::Ipv4Addr::from(high).to_string());
                }
            }
        }
    }
    for fresh in [
        "ramgate-fresh-value",
        "true",
        "false",
        "0",
        "192.0.2.1",
        "2001:db8::1",
        "1970-01-01T00:00:00Z",
    ] {
        push(fresh.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(op: &str, key: &str, values: &[&str], holds: bool) -> Literal {
        let op: QualifiedOperator = op.parse().unwrap_or_else(|e| panic!("{e}"));
        Literal::new(
            op,
            key,
            values.iter().map(|v| v.to_string()).collect(),
            holds,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn literals_follow_the_engine_three_valued() {
        let ip = lit("IpAddress", "acs:SourceIp", &["10.0.0.0/8"], true);
        let not = lit("IpAddress", "acs:SourceIp", &["10.0.0.0/8"], false);
        let mut inside = Context::new();
        inside.insert("acs:SourceIp", ["10.1.2.3"]);
        let mut junk = Context::new();
        junk.insert("acs:SourceIp", ["not-an-ip"]);
        assert!(ip.eval(&inside) && !not.eval(&inside));
        assert!(!ip.eval(&Context::new()) && not.eval(&Context::new()));
        // A value that cannot be compared is neither true nor false.
        assert!(!ip.eval(&junk) && !not.eval(&junk));
    }

    #[test]
    fn contradictions_and_unsatisfiable_conjunctions_vanish() {
        let a = lit("StringEquals", "k", &["a"], true);
        let b = lit("StringEquals", "k", &["b"], true);
        let lt = lit("NumericLessThan", "n", &["3"], true);
        let gt = lit("NumericGreaterThan", "n", &["5"], true);
        assert!(Residual::all_of(vec![a.clone(), b]).is_never());
        assert!(Residual::all_of(vec![lt, gt]).is_never());
        let between = Residual::all_of(vec![
            lit("NumericLessThan", "n", &["5"], true),
            lit("NumericGreaterThan", "n", &["3"], true),
        ]);
        let w = between.witness().unwrap_or_default();
        assert_eq!(w.get("n"), Some(&["4".to_string()][..]));
        assert!(
            Residual::all_of(vec![a.clone(), lit("StringEquals", "k", &["a"], false)]).is_never()
        );
        // Absorption: `a or (a and x)` is `a`.
        let x = lit("Bool", "acs:MFAPresent", &["true"], true);
        let r = Residual::all_of(vec![a.clone()]).or(Residual::all_of(vec![a, x]));
        assert_eq!(r.alternatives().len(), 1);
    }

    #[test]
    fn negations_print_with_their_caveats() {
        let f = |op, v: &[&str]| lit(op, "k", v, false).to_when();
        assert_eq!(f("StringEquals", &["a"]), "when StringNotEquals k a");
        assert_eq!(
            f("NumericLessThan", &["5"]),
            "when ForAllValues:NumericGreaterThanEquals k 5 // fail-closed: a value that is not a number denies"
        );
        assert_eq!(
            f("IpAddress", &["10.0.0.0/8"]),
            "when NotIpAddress k 10.0.0.0/8 // fail-closed: a value that is not an IP address denies"
        );
        assert_eq!(
            lit("StringLike", "acs:SourceVpc", &["vpc-*", "vpc 2"], true).to_when(),
            "when StringLike acs:SourceVpc [vpc-*, \"vpc 2\"]"
        );
    }
}
