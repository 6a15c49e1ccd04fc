//! `Resource`: ARN shape, prefix and account, redundancy, and whether each
//! resource fits the statement's actions.

use crate::policy::pattern::Case;
use crate::policy::{Spanned, ValueList};

use super::super::catalogue::services::{action_pattern, template_pattern};
use super::super::globs::{covers, intersect};
use super::super::sink::Sink;
use super::{Doc, Stmt, accounts, services, value_path};

pub(super) fn check(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let Some(list) = &st.s.resource else { return };
    let mut well_formed = Vec::new();
    for (i, v) in list.values.iter().enumerate() {
        let path = value_path(&st.path, "Resource", list, i);
        if shape(v, &path, sink) {
            well_formed.push((v, path));
        }
    }
    // When no action can match any resource's service, that is said once
    // per action; repeating it per resource would say nothing more.
    if !services::check(doc, st, sink) {
        let types = resource_types(doc, st);
        for (v, path) in &well_formed {
            if !outside_dialect(doc, v, path, sink) {
                mismatch(types.as_deref(), v, path, sink);
            }
        }
    }
    redundant(st, list, sink);
}

/// Whether a resource pattern covers every resource: `*` or `acs:` followed
/// only by wildcards and separators (`acs:*:*:*:*`).
pub(crate) fn is_universal_resource(v: &str) -> bool {
    let rest = v.strip_prefix("acs:").unwrap_or(v);
    rest.contains('*') && rest.chars().all(|c| c == '*' || c == ':')
}

/// Checks the ARN's shape; `true` when it is a well-formed `acs:` ARN.
fn shape(v: &Spanned<String>, path: &str, sink: &mut Sink<'_>) -> bool {
    let text = v.node.as_str();
    if text.chars().all(|c| c == '*') && !text.is_empty() {
        return false;
    }
    let Some(rest) = text.strip_prefix("acs:") else {
        return prefix(v, path, sink);
    };
    let fields: Vec<&str> = rest.splitn(4, ':').collect();
    // MaxCompute documents ARNs without an account field
    // (`acs:odps:*:projects/<p>/authorization/roles`): four fields.
    if fields.first() == Some(&"odps") && fields.len() == 3 {
        return true;
    }
    let last_is_wild = fields.last().is_some_and(|f| f.contains('*'));
    if fields.len() < 4 && !last_is_wild {
        sink.emit(
            "invalid-arn",
            v.loc,
            path,
            format!(
                "resource `{text}` has {} of the 5 ARN fields `acs:<service>:<region>:<account>:<resource>`",
                fields.len() + 1
            ),
            Some("complete the ARN, or end it with `*` to cover the rest".into()),
        );
        return false;
    }
    if fields.first().is_some_and(|s| s.is_empty()) {
        sink.emit(
            "invalid-arn",
            v.loc,
            path,
            format!("resource `{text}` has an empty service field"),
            Some("write the service's RAM code, for example `acs:kms:...`".into()),
        );
        return false;
    }
    match fields.get(2) {
        Some(account) => accounts::check(account, text, v.loc, path, sink),
        None => true,
    }
}

/// A value that does not start with `acs:`.
fn prefix(v: &Spanned<String>, path: &str, sink: &mut Sink<'_>) -> bool {
    let text = v.node.as_str();
    let head = text.split(':').next().unwrap_or("");
    // A leading wildcard may match an `acs:` ARN: it is a pattern, not a mistake.
    if head.starts_with(['*', '?']) {
        return false;
    }
    if text.contains(':') && !head.is_empty() && head.chars().all(|c| c.is_ascii_alphanumeric()) {
        let help = aws_to_acs(text)
            .map(|fixed| format!("did you mean `{fixed}`?"))
            .unwrap_or_else(|| "Alibaba Cloud ARNs start with `acs:`".into());
        sink.emit(
            "invalid-arn-prefix",
            v.loc,
            path,
            format!("resource `{text}` starts with `{head}:`, not `acs:`"),
            Some(help),
        );
    } else {
        sink.emit(
            "invalid-arn",
            v.loc,
            path,
            format!("resource `{text}` is not an ARN (`acs:<service>:<region>:<account>:<resource>`) or `*`"),
            Some("write the full ARN, for example `acs:oss:*:*:my-bucket/*`".into()),
        );
    }
    false
}

/// `arn:aws:iam::123:role/x` → `acs:ram::123:role/x`, for the help line.
fn aws_to_acs(text: &str) -> Option<String> {
    let mut fields = text.splitn(6, ':');
    let head = fields.next()?;
    if head.eq_ignore_ascii_case("acs") {
        return Some(format!("acs{}", &text[head.len()..]));
    }
    if !head.eq_ignore_ascii_case("arn") {
        return None;
    }
    let _partition = fields.next()?;
    let service = match fields.next()? {
        "iam" => "ram",
        "s3" => "oss",
        "ec2" => "ecs",
        "logs" => "log",
        other => other,
    };
    let region = fields.next()?;
    let account = fields.next()?;
    let resource = fields.next()?;
    Some(format!("acs:{service}:{region}:{account}:{resource}"))
}

/// The resource types (ARN template, as a pattern) the statement's actions
/// apply to; `None` when that is not known for every action, and then no
/// resource is called a mismatch. Parliament's users were flooded with
/// false positives (#10, #255), so an action of an uncatalogued service, a
/// pattern over services, or an action whose resource types are unknown
/// makes every resource "fit".
fn resource_types(doc: &Doc<'_>, st: &Stmt<'_>) -> Option<Vec<(String, String)>> {
    let actions = &st.s.action;
    if actions.negated {
        return None;
    }
    let mut types: Vec<(String, String)> = Vec::new();
    for a in &actions.list.values {
        let (service, name) = a.split_once(':')?;
        if service.contains(['*', '?']) {
            return None;
        }
        let svc = doc.catalogue.service(service)?;
        let pattern = action_pattern(name);
        let matched: Vec<_> = if pattern.is_literal() {
            svc.action(name).into_iter().collect()
        } else {
            svc.matching(&pattern).collect()
        };
        if matched.is_empty() || matched.iter().any(|m| m.resources.is_empty()) {
            return None;
        }
        for t in matched
            .iter()
            .flat_map(|m| m.resources.iter())
            .filter_map(|t| svc.resource_type(t))
        {
            if !types.iter().any(|(arn, _)| *arn == t.arn) {
                types.push((t.arn.clone(), t.pattern()));
            }
        }
    }
    Some(types)
}

/// `resource-mismatch` in a resource policy whose dialect has ARN formats:
/// a resource that is none of them (an OSS bucket policy names the bucket
/// and its objects). `true` when reported.
fn outside_dialect(doc: &Doc<'_>, v: &Spanned<String>, path: &str, sink: &mut Sink<'_>) -> bool {
    let Some(dialect) = doc.dialect else {
        return false;
    };
    let formats = dialect.arn_formats();
    if formats.is_empty()
        || formats
            .iter()
            .any(|t| intersect(&template_pattern(t), v, Case::Insensitive))
    {
        return false;
    }
    let shown: Vec<String> = formats.iter().take(2).map(|t| format!("`{t}`")).collect();
    sink.emit(
        "resource-mismatch",
        v.loc,
        path,
        format!(
            "resource `{}` is not a resource of {}",
            v.node,
            dialect.title()
        ),
        Some(format!("its resources are {}", shown.join(" and "))),
    );
    true
}

/// `resource-mismatch`: the resource's service or type fits none of the
/// statement's actions.
fn mismatch(
    types: Option<&[(String, String)]>,
    v: &Spanned<String>,
    path: &str,
    sink: &mut Sink<'_>,
) {
    let Some(types) = types.filter(|t| !t.is_empty()) else {
        return;
    };
    // Resource types compare without case: documentation writes both
    // `logstore` and `Logstore` (spec §4.4).
    if types
        .iter()
        .any(|(_, pattern)| intersect(pattern, v, Case::Insensitive))
    {
        return;
    }
    let expected: Vec<String> = types
        .iter()
        .take(3)
        .map(|(arn, _)| format!("`{arn}`"))
        .collect();
    sink.emit(
        "resource-mismatch",
        v.loc,
        path,
        format!("resource `{}` fits none of the statement's actions", v.node),
        Some(format!("the actions apply to {}", expected.join(", "))),
    );
}

fn redundant(st: &Stmt<'_>, list: &ValueList, sink: &mut Sink<'_>) {
    for (j, narrow) in list.values.iter().enumerate() {
        let by = list.values.iter().enumerate().find(|(i, wide)| {
            *i != j
                && covers(wide, narrow, Case::Sensitive)
                && (*i < j || !covers(narrow, wide, Case::Sensitive))
        });
        if let Some((_, wide)) = by {
            sink.emit(
                "redundant-resource",
                narrow.loc,
                &value_path(&st.path, "Resource", list, j),
                format!(
                    "resource `{}` is already covered by `{}`",
                    narrow.node, wide.node
                ),
                Some(format!("delete `{}`", narrow.node)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_arns_get_an_acs_suggestion() {
        assert_eq!(
            aws_to_acs("arn:aws:iam::123456789012:role/x").as_deref(),
            Some("acs:ram::123456789012:role/x")
        );
        assert_eq!(
            aws_to_acs("ACS:ram::1:root").as_deref(),
            Some("acs:ram::1:root")
        );
        assert!(is_universal_resource("acs:*:*:*:*"));
        assert!(is_universal_resource("*"));
        assert!(!is_universal_resource("acs:ram::*"));
    }
}
