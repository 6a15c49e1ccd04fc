//! `action-matches-no-resource`: an action whose service can match none of
//! the statement's resources, because every resource belongs to another
//! service (`kms:Decrypt` on `acs:oss:*:*:bucket/*`).
//!
//! Only actions of catalogued services are judged, and only against
//! resources whose service field is literal: the catalogue says which
//! services' ARNs a service's actions take (its own, those of its resource
//! types, such as `sts:AssumeRole` on `acs:ram` roles, and `arn_services`,
//! such as `ram:AttachPolicyToUser` on `acs:ims` users). `*`, patterns over
//! services and uncatalogued services always fit, so that a service with
//! an unusual ARN is never a false finding.

use crate::policy::arn::Arn;

use super::super::catalogue::Service;
use super::super::sink::Sink;
use super::{Doc, Stmt, list_some, value_path};

/// Reports each action no resource can match; `true` when that is every
/// action of the statement (then every resource is foreign to every action).
pub(super) fn check(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) -> bool {
    let actions = &st.s.action;
    let Some(resources) = &st.s.resource else {
        return false;
    };
    if actions.negated || actions.list.values.is_empty() {
        return false;
    }
    // The literal service of every resource, or nothing to judge by.
    let mut services: Vec<&str> = Vec::new();
    for r in resources.strs() {
        match Arn::parse(r).map(|a| a.service) {
            Some(s) if !s.is_empty() && !s.contains(['*', '?']) => {
                if !services.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                    services.push(s);
                }
            }
            _ => return false,
        }
    }
    let mut all = true;
    for (i, v) in actions.list.values.iter().enumerate() {
        let svc = v
            .split_once(':')
            .and_then(|(code, _)| doc.catalogue.service(code));
        let Some(svc) = svc else {
            all = false;
            continue;
        };
        if services.iter().any(|s| takes(svc, s)) {
            all = false;
            continue;
        }
        let foreign: Vec<String> = services.iter().map(|s| format!("acs:{s}")).collect();
        sink.emit(
            "action-matches-no-resource",
            v.loc,
            &value_path(&st.path, actions.element(), &actions.list, i),
            format!(
                "action `{}` can match none of the statement's resources: they are {} resources, and `{}` actions act on {}",
                v.node,
                list_some(&foreign),
                svc.service,
                list_some(&arn_services(svc).iter().map(|s| format!("acs:{s}")).collect::<Vec<_>>())
            ),
            Some(format!(
                "move `{}` to a statement with its own resources, or add them: for example `acs:{}:*:*:*`",
                v.node, svc.service
            )),
        );
    }
    all
}

/// The services whose ARNs `svc`'s actions take.
fn arn_services(svc: &Service) -> Vec<String> {
    let mut out = vec![svc.service.clone()];
    let from_types = svc
        .resource_types
        .iter()
        .filter_map(|t| t.arn.strip_prefix("acs:")?.split(':').next());
    for s in from_types
        .map(str::to_string)
        .chain(svc.arn_services.iter().cloned())
    {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
            out.push(s);
        }
    }
    out
}

/// Whether `svc`'s actions can act on an ARN of `service`.
fn takes(svc: &Service, service: &str) -> bool {
    arn_services(svc)
        .iter()
        .any(|s| s.eq_ignore_ascii_case(service))
}
