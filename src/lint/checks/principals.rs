//! `Principal`: value shapes, principals that trust everyone, and
//! cross-account trust without a condition.

use crate::policy::{Effect, PolicyKind, PrincipalKind, Spanned};

use super::super::sink::Sink;
use super::{Doc, Stmt, accounts, value_path};

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
        let epath = if kind == PrincipalKind::Plain {
            ppath.clone()
        } else {
            format!("{ppath}.{}", kind.as_str())
        };
        if let Some(dialect) = doc.dialect.filter(|d| !d.accepts_principal(kind)) {
            let form = match kind {
                PrincipalKind::Plain => "a plain list of principals".to_string(),
                other => format!("`{}` principals", other.as_str()),
            };
            sink.emit(
                "invalid-principal",
                entry.kind.loc,
                &epath,
                format!("{} takes no {form}", dialect.title()),
                Some(format!(
                    "write `Principal` as {}",
                    dialect.principal_example()
                )),
            );
            continue;
        }
        if list.values.is_empty() {
            sink.emit(
                "empty-array",
                list.loc,
                &epath,
                format!("`{}` lists no principals", kind.as_str()),
                Some("name the trusted principals, or delete the key".into()),
            );
        }
        for (i, v) in list.values.iter().enumerate() {
            let path = if kind == PrincipalKind::Plain {
                value_path(&st.path, "Principal", list, i)
            } else {
                value_path(&ppath, kind.as_str(), list, i)
            };
            match shape(kind, v, &path, sink) {
                Shape::Any => {
                    if allow {
                        let message = if kind == PrincipalKind::Plain {
                            format!(
                                "principal `{}` grants every principal, anonymous users included",
                                v.node
                            )
                        } else {
                            format!("principal `{}` trusts identities of every account", v.node)
                        };
                        let help = if kind == PrincipalKind::Plain {
                            "list the account or user ids meant, or limit `*` with a condition such as `acs:SourceVpc`"
                        } else {
                            "name the account: `acs:ram::<account-id>:root`"
                        };
                        sink.emit(
                            "trust-any-principal",
                            v.loc,
                            &path,
                            message,
                            Some(help.into()),
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
                Shape::Ok | Shape::Reported => {}
            }
        }
    }
}

enum Shape {
    Ok,
    Any,
    Invalid(&'static str),
    /// A placeholder or invalid account id, already reported.
    Reported,
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
        PrincipalKind::Plain => "write account or user ids, or `*`",
    }
}

fn shape(kind: PrincipalKind, v: &Spanned<String>, path: &str, sink: &mut Sink<'_>) -> Shape {
    let text = v.node.as_str();
    if text == "*" {
        return Shape::Any;
    }
    let account_ok =
        |account: &str, sink: &mut Sink<'_>| accounts::check(account, text, v.loc, path, sink);
    match kind {
        PrincipalKind::Plain => {
            let id_digits =
                text.bytes().all(|b| b.is_ascii_digit()) && (16..=19).contains(&text.len());
            // MaxCompute names accounts `ALIYUN$<login>` and RAM users
            // `RAM$<login>:<user>`; VPC endpoint and OSS policies also take
            // RAM and STS ARNs.
            let named = ["ALIYUN$", "RAM$", "acs:ram:", "arn:sts:"]
                .iter()
                .any(|p| text.starts_with(p));
            if id_digits || named || account_ok(text, sink) {
                Shape::Ok
            } else {
                Shape::Reported
            }
        }
        PrincipalKind::Service => {
            let host = match text.split_once('@') {
                Some((uid, host)) => {
                    if uid.contains('*') && accounts::classify(uid) == accounts::Account::Valid {
                        return Shape::Any;
                    }
                    if !account_ok(uid, sink) {
                        return Shape::Reported;
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
            if account.is_empty() {
                return Shape::Invalid("the ARN needs an account");
            }
            if !account_ok(account, sink) {
                return Shape::Reported;
            }
            if account.contains(['*', '?']) {
                return Shape::Any;
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
