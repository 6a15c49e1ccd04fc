//! `Action` / `NotAction`: format, known services and actions, redundancy,
//! and the grants that reach too far (`allow-all`, `allow-all-actions`,
//! `allow-not-action`, `pass-role-wildcard`, `permissions-management`).

use crate::policy::pattern::{Case, Pattern};
use crate::policy::{ActionList, Effect, PolicyKind};

use super::super::catalogue::services::action_pattern;
use super::super::globs::{covers, covers_every, is_universal};
use super::super::sink::Sink;
use super::resources::is_universal_resource;
use super::{Doc, Stmt, list_some, value_path};

/// Checks a statement's actions.
pub(super) fn check(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let list = &st.s.action;
    let element = list.element();
    for (i, v) in list.list.values.iter().enumerate() {
        let path = value_path(&st.path, element, &list.list, i);
        if let Some((service, name)) = format(v, &path, sink) {
            known(doc, service, name, v.loc, &path, sink);
        }
    }
    redundant(st, sink);
    grants(doc, st, sink);
}

/// Splits `service:name`, reporting `invalid-action-format`; `None` for a
/// bad value and for `*`.
fn format<'v>(
    v: &'v crate::policy::Spanned<String>,
    path: &str,
    sink: &mut Sink<'_>,
) -> Option<(&'v str, &'v str)> {
    let text = v.node.as_str();
    if is_universal(text) && !text.contains(':') {
        return None;
    }
    let valid = |part: &str, extra: &[char]| {
        !part.is_empty()
            && part.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '*' | '?' | '-' | '_')
                    || extra.contains(&c)
            })
    };
    if let Some((service, name)) = text.split_once(':')
        && valid(service, &[])
        && valid(name, &['.'])
    {
        return Some((service, name));
    }
    let help = match text.split_once([' ', '.', '/']) {
        Some((s, n)) if valid(s, &[]) && valid(n, &[]) => format!("did you mean `{s}:{n}`?"),
        _ => "write `<ram-code>:<action>`, for example `kms:Decrypt`, or `*`".to_string(),
    };
    sink.emit(
        "invalid-action-format",
        v.loc,
        path,
        format!("invalid action `{text}`: actions are `<ram-code>:<action-name>`"),
        Some(help),
    );
    None
}

/// `unknown-service` and `unknown-action`.
fn known(
    doc: &Doc<'_>,
    service: &str,
    name: &str,
    loc: crate::policy::Loc,
    path: &str,
    sink: &mut Sink<'_>,
) {
    if service.contains(['*', '?']) {
        return;
    }
    let cat = doc.catalogue;
    let Some(svc) = cat.service(service) else {
        if !cat.is_known_code(service) && !sink.config().knows_service(service) {
            let help = match cat.suggest_code(service) {
                Some(s) => format!("did you mean `{s}:{name}`?"),
                None => {
                    "if the service is new, add its RAM code to `known-services` in ramgate.toml"
                        .to_string()
                }
            };
            sink.emit(
                "unknown-service",
                loc,
                path,
                format!("unknown service `{service}` in action `{service}:{name}`"),
                Some(help),
            );
        }
        return;
    };
    let pattern = action_pattern(name);
    if pattern.is_literal() {
        if svc.action(name).is_some() {
            return;
        }
        let suggestion = svc.suggest_action(name);
        // An incomplete catalogue only reports near-misses: a real action
        // added after the catalogue was made must not be a finding.
        if suggestion.is_none() && !svc.complete {
            return;
        }
        let help = match suggestion {
            Some(s) => format!("did you mean `{}:{s}`?", svc.service),
            None => format!(
                "`{}` has no action `{name}` in ramgate's catalogue ({}); if it is new, refresh the catalogue or disable this check",
                svc.service, svc.version
            ),
        };
        sink.emit(
            "unknown-action",
            loc,
            path,
            format!("unknown action `{service}:{name}`"),
            Some(help),
        );
    } else if svc.complete && svc.matching(&pattern).next().is_none() {
        sink.emit(
            "unknown-action",
            loc,
            path,
            format!(
                "`{service}:{name}` matches no known action of `{}`",
                svc.service
            ),
            Some(format!(
                "check the spelling against the `{}` actions in ramgate's catalogue ({})",
                svc.service, svc.version
            )),
        );
    }
}

/// `redundant-action`: a pattern another one of the statement covers.
fn redundant(st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let list = &st.s.action.list;
    for (j, narrow) in list.values.iter().enumerate() {
        let by = list.values.iter().enumerate().find(|(i, wide)| {
            *i != j
                && covers(wide, narrow, Case::Insensitive)
                // Two equal patterns cover each other: report the later one.
                && (*i < j || !covers(narrow, wide, Case::Insensitive))
        });
        if let Some((_, wide)) = by {
            sink.emit(
                "redundant-action",
                narrow.loc,
                &value_path(&st.path, st.s.action.element(), list, j),
                format!(
                    "action `{}` is already covered by `{}`",
                    narrow.node, wide.node
                ),
                Some(format!("delete `{}`", narrow.node)),
            );
        }
    }
}

/// A statement's `Action` / `NotAction` patterns, compiled once.
struct Grant {
    negated: bool,
    patterns: Vec<Pattern>,
}

impl Grant {
    fn new(list: &ActionList) -> Grant {
        Grant {
            negated: list.negated,
            patterns: list
                .list
                .values
                .iter()
                .map(|p| Pattern::new(p, Case::Insensitive))
                .collect(),
        }
    }

    /// Whether the statement applies to `action`.
    fn applies_to(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(action)) != self.negated
    }

    /// Whether the statement may apply to some action of `service`: a quick
    /// filter before testing the service's actions one by one.
    fn may_cover(&self, service: &str) -> bool {
        self.negated
            || self.patterns.iter().any(|p| {
                let s = p.as_str();
                s.starts_with(['*', '?'])
                    || s.get(..service.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(service))
                        && s[service.len()..].starts_with([':', '*', '?'])
            })
    }
}

/// The security findings about what an `Allow` statement grants. They are
/// ranked: `allow-all` says everything, so the narrower findings
/// (`pass-role-wildcard`, `permissions-management`) are not repeated under it.
fn grants(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let s = st.s;
    if s.effect.node != Effect::Allow {
        return;
    }
    let list = &s.action;
    let element_path = if st.path.is_empty() {
        list.element().to_string()
    } else {
        format!("{}.{}", st.path, list.element())
    };
    if list.negated {
        sink.emit(
            "allow-not-action",
            list.list.loc,
            &element_path,
            format!(
                "`Allow` with `NotAction` grants every action except {}",
                list_some(
                    &list
                        .list
                        .values
                        .iter()
                        .map(|v| v.node.clone())
                        .collect::<Vec<_>>()
                )
            ),
            Some("list the allowed actions with `Action` instead".into()),
        );
    }
    let Some(resources) = &s.resource else {
        return;
    };
    let universal_action = (!list.negated)
        .then(|| list.list.values.iter().find(|v| is_universal(v)))
        .flatten();
    let universal_resource = resources.values.iter().any(|r| is_universal_resource(r));
    if let Some(a) = universal_action {
        let (code, message) = if universal_resource {
            (
                "allow-all",
                format!(
                    "`Action` `{}` on every resource allows everything, as AdministratorAccess does",
                    a.node
                ),
            )
        } else {
            (
                "allow-all-actions",
                format!("`Action` `{}` allows every action of every service", a.node),
            )
        };
        sink.emit(
            code,
            a.loc,
            &element_path,
            message,
            Some("name the actions the principal needs".into()),
        );
        if universal_resource {
            return;
        }
    }
    // In a resource policy (a KMS key policy, an OSS bucket policy)
    // `Resource` names parts of the resource the policy is attached to, and
    // `*` means "this resource": it never covers every role or every user.
    if doc.kind != PolicyKind::Resource {
        let grant = Grant::new(list);
        pass_role(st, &grant, resources, sink);
        permissions_management(doc, &grant, resources, (list.list.loc, &element_path), sink);
    }
}

const ROLE_TEMPLATE: &str = "acs:ram::{AccountId}:role/{RoleName}";

fn pass_role(
    st: &Stmt<'_>,
    grant: &Grant,
    resources: &crate::policy::ValueList,
    sink: &mut Sink<'_>,
) {
    if !grant.applies_to("ram:PassRole") {
        return;
    }
    // Role names compare case-insensitively (spec §4.3).
    let Some((i, broad)) = resources
        .values
        .iter()
        .enumerate()
        .find(|(_, r)| covers_every(r, ROLE_TEMPLATE, Case::Insensitive))
    else {
        return;
    };
    let path = value_path(&st.path, "Resource", resources, i);
    // Alibaba's own templates (AuditAdministrator, NetworkAdministrator)
    // pass every role, but only to the services `acs:Service` names: the
    // caller cannot hand a role to anything else, so the grant is narrower
    // than every role to everyone, and is reported below security-warning.
    if let Some(services) = receiving_services(st) {
        sink.emit(
            "pass-role-to-service",
            broad.loc,
            &path,
            format!(
                "`ram:PassRole` on `{}` lets the caller pass every role of the account, but only to {}",
                broad.node,
                list_some(&services)
            ),
            Some(format!(
                "name the roles {} needs: `acs:ram::<account-id>:role/<role-name>`",
                list_some(&services)
            )),
        );
        return;
    }
    sink.emit(
        "pass-role-wildcard",
        broad.loc,
        &path,
        format!(
            "`ram:PassRole` is allowed on `{}`, which covers every role",
            broad.node
        ),
        Some("name the role: `acs:ram::<account-id>:role/<role-name>`".into()),
    );
}

/// The services a `StringEquals` (or `StringEqualsIgnoreCase`) condition
/// on `acs:Service` limits the statement to, when every value is a literal
/// service; `None` when there is no such limit.
fn receiving_services(st: &Stmt<'_>) -> Option<Vec<String>> {
    use crate::policy::condition::Operator;
    let block = st.s.condition.as_ref()?;
    block.operators.iter().find_map(|op| {
        let o = op.operator.node;
        if o.qualifier.is_some()
            || !matches!(
                o.operator,
                Operator::StringEquals | Operator::StringEqualsIgnoreCase
            )
        {
            return None;
        }
        let kv = op
            .keys
            .iter()
            .find(|k| k.key.node.eq_ignore_ascii_case("acs:Service"))?;
        let values: Vec<String> = kv.values.strs().map(str::to_string).collect();
        (!values.is_empty()
            && values
                .iter()
                .all(|v| !v.contains(['*', '?']) && !v.is_empty()))
        .then_some(values)
    })
}

fn permissions_management(
    doc: &Doc<'_>,
    grant: &Grant,
    resources: &crate::policy::ValueList,
    (loc, path): (crate::policy::Loc, &str),
    sink: &mut Sink<'_>,
) {
    let mut found = Vec::new();
    for svc in doc
        .catalogue
        .services()
        .iter()
        .filter(|s| grant.may_cover(&s.service))
    {
        for a in svc.actions.iter().filter(|a| a.is_permissions_management()) {
            let full = format!("{}:{}", svc.service, a.name);
            // PassRole has its own check.
            if full == "ram:PassRole" || !grant.applies_to(&full) {
                continue;
            }
            let case = if svc.service == "ram" {
                Case::Insensitive
            } else {
                Case::Sensitive
            };
            let broad = if a.resources.is_empty() {
                resources.values.iter().any(|r| is_universal_resource(r))
            } else {
                a.resources
                    .iter()
                    .filter_map(|t| svc.resource_type(t))
                    .any(|t| {
                        resources
                            .values
                            .iter()
                            .any(|r| covers_every(r, &t.arn, case))
                    })
            };
            if broad {
                found.push(full);
            }
        }
    }
    if found.is_empty() {
        return;
    }
    // Name the most direct escalations first: policy attachment and policy
    // versions, then role and trust changes, then the rest.
    let rank = |a: &String| {
        if a.contains("Policy") {
            0
        } else if a.contains("Role") {
            1
        } else {
            2
        }
    };
    found.sort_by_key(rank);
    sink.emit(
        "permissions-management",
        loc,
        path,
        format!(
            "the statement allows {}, which can grant permissions, on every resource of their type",
            list_some(&found)
        ),
        Some("restrict `Resource` to the users, roles or policies meant, or move these actions to an administrator role".into()),
    );
}
