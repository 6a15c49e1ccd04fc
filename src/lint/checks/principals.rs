//! `Principal`: value shapes, principals that trust everyone, and
//! cross-account trust without a condition.

use crate::policy::{Effect, PolicyKind, PrincipalKind, Spanned};

use super::super::sink::Sink;
use super::resources::valid_account;
use super::{Doc, Stmt, value_path};

pub(super) fn check(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let Some(block) = &st.s.principal else { return };
    let allow = st.s.effect.node == Effect::Allow;
    let ppath = if st.path.is_empty() {
        "Principal".to_string()
    } else {
        format!("{}.Principal", st.path)
    };
    let unconditioned =
        st.s.condition
            .as_ref()
            .is_none_or(|c| c.operators.is_empty());
    for entry in &block.entries {
        let kind = entry.kind.node;
        let list = &entry.values;
        if list.values.is_empty() {
            sink.emit(
                "empty-array",
                list.loc,
                &format!("{ppath}.{}", entry.kind.node.as_str()),
                format!("`{}` lists no principals", kind.as_str()),
                Some("name the trusted principals, or delete the key".into()),
            );
        }
        for (i, v) in list.values.iter().enumerate() {
            let path = value_path(&ppath, kind.as_str(), list, i);
            match shape(kind, v) {
                Shape::Any => {
                    if allow {
                        sink.emit(
                            "trust-any-principal",
                            v.loc,
                            &path,
                            format!("principal `{}` trusts identities of every account", v.node),
                            Some("name the account: `acs:ram::<account-id>:root`".into()),
                        );
                    }
                }
                Shape::Invalid(why) => sink.emit(
                    "invalid-principal",
                    v.loc,
                    &path,
                    format!("invalid `{}` principal `{}`: {why}", kind.as_str(), v.node),
                    Some(example(kind).into()),
                ),
                Shape::BadAccount(account) => sink.emit(
                    "invalid-account-id",
                    v.loc,
                    &path,
                    format!("invalid account ID `{account}` in principal `{}`", v.node),
                    Some("use the 16-digit account ID".into()),
                ),
                Shape::Account { account, root } => {
                    let foreign = match &sink.config().account {
                        Some(own) => account != *own,
                        // Without knowing the owner, only whole-account
                        // trust (`:root`) is reported: it is the
                        // confused-deputy shape, and trusting a named user
                        // or role of one's own account is common.
                        None => root,
                    };
                    if allow && foreign && unconditioned && doc.kind == PolicyKind::Trust {
                        sink.emit(
                            "cross-account-trust-without-condition",
                            v.loc,
                            &path,
                            format!(
                                "the role trusts `{}` of account `{account}` without a condition",
                                v.node
                            ),
                            Some("add `\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<agreed secret>\"}}`, or set `account` in ramgate.toml if this is your own account".into()),
                        );
                    }
                }
                Shape::Ok => {}
            }
        }
    }
}

enum Shape {
    Ok,
    Any,
    Invalid(&'static str),
    BadAccount(String),
    /// A RAM principal of a literal account.
    Account {
        account: String,
        root: bool,
    },
}

fn example(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Ram => {
            "write `acs:ram::<account-id>:root`, `acs:ram::<account-id>:user/<name>` or `acs:ram::<account-id>:role/<name>`"
        }
        PrincipalKind::Service => {
            "write `<service>.aliyuncs.com` or `<account-id>@<service>.aliyuncs.com`, for example `log.aliyuncs.com`"
        }
        PrincipalKind::Federated => {
            "write `acs:ram::<account-id>:saml-provider/<name>` or `acs:ram::<account-id>:oidc-provider/<name>`"
        }
    }
}

fn shape(kind: PrincipalKind, v: &Spanned<String>) -> Shape {
    let text = v.node.as_str();
    if text == "*" {
        return Shape::Any;
    }
    match kind {
        PrincipalKind::Service => {
            let host = match text.split_once('@') {
                Some((uid, host)) => {
                    if !crate::policy::arn::is_account_id(uid) && !uid.contains('*') {
                        return Shape::BadAccount(uid.to_string());
                    }
                    host
                }
                None => text,
            };
            if host.ends_with(".aliyuncs.com") && host.len() > ".aliyuncs.com".len() {
                Shape::Ok
            } else if host.contains('*') {
                Shape::Any
            } else {
                Shape::Invalid("service principals are `<service>.aliyuncs.com`")
            }
        }
        PrincipalKind::Ram | PrincipalKind::Federated => {
            let Some(rest) = text.strip_prefix("acs:ram:") else {
                return Shape::Invalid("principals are `acs:ram:` ARNs");
            };
            let mut fields = rest.splitn(3, ':');
            let (_region, account, resource) = (fields.next(), fields.next(), fields.next());
            let (Some(account), Some(resource)) = (account, resource) else {
                return Shape::Invalid("the ARN needs an account and an entity");
            };
            if account.contains(['*', '?']) {
                return Shape::Any;
            }
            if !valid_account(account) || account.is_empty() {
                return Shape::BadAccount(account.to_string());
            }
            let ok = match kind {
                PrincipalKind::Ram => {
                    resource == "root"
                        || resource == "*"
                        || resource.starts_with("user/")
                        || resource.starts_with("role/")
                }
                _ => {
                    resource.starts_with("saml-provider/") || resource.starts_with("oidc-provider/")
                }
            };
            if !ok {
                return Shape::Invalid(match kind {
                    PrincipalKind::Ram => "the entity is `root`, `user/<name>` or `role/<name>`",
                    _ => "the entity is `saml-provider/<name>` or `oidc-provider/<name>`",
                });
            }
            if kind == PrincipalKind::Ram {
                Shape::Account {
                    account: account.to_string(),
                    root: resource == "root" || resource == "*",
                }
            } else {
                Shape::Ok
            }
        }
    }
}
