//! A small, obviously correct reference evaluator, written straight from the
//! spec (§5, §6, §8.1) over the policy AST, with none of the compiled
//! engine's machinery: no index, no lowered patterns, no typed values.
//! The compiled authorizer must agree with it on every input.

use std::net::IpAddr;

use ramgate::authz::{Decision, Principal, Reason, Request, Response};
use ramgate::policy::condition::{Operator, Qualifier};
use ramgate::policy::{Effect, Policy, PrincipalKind, Statement};

/// `*` = any run, `?` = one character, whole string; plain recursion.
pub fn glob(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some('*'), _) => glob(&p[1..], t) || (!t.is_empty() && glob(p, &t[1..])),
        (Some('?'), Some(_)) => glob(&p[1..], &t[1..]),
        (Some(a), Some(b)) => a == b && glob(&p[1..], &t[1..]),
        _ => false,
    }
}

fn lower(s: &str) -> Vec<char> {
    s.chars().map(ramgate::policy::pattern::fold_char).collect()
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn action_matches(s: &Statement, action: &str) -> bool {
    let any = s
        .action
        .list
        .strs()
        .any(|p| glob(&lower(p), &lower(action)));
    any != s.action.negated
}

fn resource_matches(s: &Statement, resource: Option<&str>) -> bool {
    let Some(list) = &s.resource else { return true };
    let Some(r) = resource else { return false };
    // Role ARNs compare without case (spec §4.3).
    let role = r.starts_with("acs:ram:")
        && r.splitn(5, ':')
            .nth(4)
            .is_some_and(|x| x.starts_with("role/"));
    list.strs().any(|p| {
        if role {
            glob(&lower(p), &lower(r))
        } else {
            glob(&chars(p), &chars(r))
        }
    })
}

fn principal_matches(s: &Statement, request: &Request) -> bool {
    let Some(block) = &s.principal else {
        return true;
    };
    let Some(p) = &request.principal else {
        return false;
    };
    let resource_account = request
        .resource
        .as_deref()
        .and_then(|r| r.split(':').nth(3));
    block.entries.iter().any(|e| {
        e.values.strs().any(|v| match (e.kind.node, p) {
            (PrincipalKind::Service, Principal::Service { service, account }) => match v
                .split_once('@')
            {
                Some((uid, name)) => name == service && account.as_deref() == Some(uid),
                None => {
                    v == service && (account.is_none() || account.as_deref() == resource_account)
                }
            },
            (PrincipalKind::Federated, Principal::Federated { provider }) => {
                glob(&chars(v), &chars(provider))
            }
            (PrincipalKind::Ram, Principal::Service { .. } | Principal::Federated { .. }) => false,
            (PrincipalKind::Ram, p) => {
                let account = p.account().unwrap_or_default();
                if v == format!("acs:ram::{account}:root") {
                    return true;
                }
                let mut arns = vec![p.to_string()];
                arns.extend(p.role_arn());
                arns.iter().any(|arn| {
                    if arn.contains(":role/") {
                        glob(&lower(v), &lower(arn))
                    } else {
                        glob(&chars(v), &chars(arn))
                    }
                })
            }
            _ => false,
        })
    })
}

/// One policy value against one request value, before negation;
/// `None` when the request value is not of the operator's type.
fn base(op: Operator, policy: &str, request: &str) -> Option<bool> {
    use Operator::*;
    use std::cmp::Ordering::*;
    let num = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|_| !s.contains(['e', 'E', 'i', 'n', 'N', 'I']))
    };
    let date = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    Some(match op {
        StringEquals | StringNotEquals => policy == request,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => lower(policy) == lower(request),
        StringLike | StringNotLike => glob(&chars(policy), &chars(request)),
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let ord = num(request)?.partial_cmp(&num(policy)?)?;
            match op {
                NumericEquals | NumericNotEquals => ord == Equal,
                NumericLessThan => ord == Less,
                NumericLessThanEquals => ord != Greater,
                NumericGreaterThan => ord == Greater,
                _ => ord != Less,
            }
        }
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let ord = date(request)?.cmp(&date(policy)?);
            match op {
                DateEquals | DateNotEquals => ord == Equal,
                DateLessThan => ord == Less,
                DateLessThanEquals => ord != Greater,
                DateGreaterThan => ord == Greater,
                _ => ord != Less,
            }
        }
        Bool => match request {
            "true" | "false" => policy == request,
            _ => return None,
        },
        IpAddress | NotIpAddress => {
            let ip: IpAddr = request.parse().ok()?;
            let net: ipnet::IpNet = policy
                .parse()
                .or_else(|_| policy.parse::<IpAddr>().map(Into::into))
                .ok()?;
            net.contains(&ip)
        }
    })
}

/// Three-valued: `Some(b)` or `None` for "could not be evaluated".
fn and(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

fn or(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    and(values.map(|v| v.map(|b| !b))).map(|b| !b)
}

fn conditions(s: &Statement, request: &Request) -> Option<bool> {
    let Some(block) = &s.condition else {
        return Some(true);
    };
    and(block.operators.iter().flat_map(|op| {
        let q = op.operator.node;
        op.keys.iter().map(move |k| {
            let values = request.context.get(&k.key.node).unwrap_or_default();
            let negated = q.operator.is_negated();
            let satisfied = |v: &String| {
                or(k.values.strs().map(|p| base(q.operator, p, v))).map(|hit| hit != negated)
            };
            match q.qualifier {
                Some(Qualifier::ForAllValues) => and(values.iter().map(satisfied)),
                Some(Qualifier::ForAnyValue) => or(values.iter().map(satisfied)),
                None if negated => and(values.iter().map(satisfied)),
                None => or(values.iter().map(satisfied)),
            }
        })
    }))
}

/// Spec §8.1 over named policies.
pub fn evaluate(policies: &[(String, Policy)], request: &Request) -> Response {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for (id, policy) in policies {
        for (i, s) in policy.statements.iter().enumerate() {
            let elements = action_matches(s, &request.action)
                && resource_matches(s, request.resource.as_deref())
                && principal_matches(s, request);
            if !elements {
                continue;
            }
            let (applies, fail_closed) = match conditions(s, request) {
                Some(b) => (b, false),
                None => (s.effect.node == Effect::Deny, true),
            };
            if applies {
                let reason = Reason {
                    policy: id.clone(),
                    statement: i,
                    sid: s.sid.as_ref().map(|x| x.node.clone()),
                    effect: s.effect.node,
                    line: s.loc.line,
                    column: s.loc.column,
                    fail_closed,
                };
                if s.effect.node == Effect::Deny {
                    denies.push(reason)
                } else {
                    allows.push(reason)
                }
            }
        }
    }
    if !denies.is_empty() {
        Response {
            decision: Decision::ExplicitDeny,
            reasons: denies,
        }
    } else if !allows.is_empty() {
        Response {
            decision: Decision::Allow,
            reasons: allows,
        }
    } else {
        Response {
            decision: Decision::ImplicitDeny,
            reasons: vec![],
        }
    }
}
