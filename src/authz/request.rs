//! What is asked: an action on a resource by a principal, with a context.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::PrincipalKind;
use crate::policy::arn::{Arn, is_account_id};

/// Who is acting.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Principal {
    /// The Alibaba Cloud account itself (`acs:ram::<uid>:root`).
    Account {
        /// The 16-digit account id.
        account: String,
    },
    /// A RAM user (`acs:ram::<uid>:user/<name>`).
    User {
        /// The owning account.
        account: String,
        /// The user name.
        name: String,
    },
    /// A session of a RAM role (`acs:ram::<uid>:role/<role>/<session>`).
    RoleSession {
        /// The account that owns the role.
        account: String,
        /// The role name.
        role: String,
        /// The session name given to AssumeRole.
        session: String,
    },
    /// A cloud service (`log.aliyuncs.com`), acting for `account` when known
    /// (`<uid>@log.aliyuncs.com`).
    Service {
        /// The service's host name.
        service: String,
        /// The account the service acts for.
        account: Option<String>,
    },
    /// A user of an identity provider (`acs:ram::<uid>:saml-provider/<name>`).
    Federated {
        /// The provider's ARN.
        provider: String,
    },
}

/// A principal or context value that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Not `acs:ram::<uid>:root`, `…:user/<name>` or `…:role/<role>/<session>`.
    #[error(
        "`{0}` is not a RAM principal ARN such as `acs:ram::1234567890123456:user/alice` or `acs:ram::1234567890123456:role/<role>/<session>`"
    )]
    BadRamPrincipal(String),
    /// A role ARN without a session name.
    #[error("`{0}` names a role; a role acts through a session: add `/<session-name>`")]
    RoleWithoutSession(String),
    /// A request document that is not valid.
    #[error("{0}")]
    Json(String),
    /// A caller that is none of the forms an identity takes (the value is
    /// shown escaped and cut, as it came from input).
    #[error(
        "`{0}` is not an identity: give `acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>`, `acs:ram::<uid>:role/<role>/<session>` or a service `<name>.aliyuncs.com`"
    )]
    NotAnIdentity(String),
}

/// Whether `s` names one action as requests carry it: `<service>:<Action>`,
/// a service code of lower-case letters, digits and `-`, and an action name
/// of ASCII letters and digits (no wildcard: a request asks for one action).
pub fn is_action_name(s: &str) -> bool {
    let Some((service, action)) = s.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !action.is_empty()
        && action.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Principal {
    /// Reads a RAM principal ARN: the account root, a user or a role session.
    pub fn from_ram_arn(arn: &str) -> Result<Principal, RequestError> {
        let bad = || RequestError::BadRamPrincipal(arn.to_string());
        let a = Arn::parse(arn)
            .filter(|a| a.service == "ram" && a.region.is_empty())
            .ok_or_else(bad)?;
        if !is_account_id(a.account) {
            return Err(bad());
        }
        let account = a.account.to_string();
        if a.resource == "root" {
            return Ok(Principal::Account { account });
        }
        if let Some(name) = a
            .resource
            .strip_prefix("user/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
        {
            return Ok(Principal::User {
                account,
                name: name.to_string(),
            });
        }
        if let Some(rest) = a.resource.strip_prefix("role/") {
            return match rest.split_once('/') {
                Some((role, session))
                    if !role.is_empty() && !session.is_empty() && !session.contains('/') =>
                {
                    Ok(Principal::RoleSession {
                        account,
                        role: role.to_string(),
                        session: session.to_string(),
                    })
                }
                None if !rest.is_empty() => Err(RequestError::RoleWithoutSession(arn.to_string())),
                _ => Err(bad()),
            };
        }
        Err(bad())
    }

    /// Reads a service principal: `log.aliyuncs.com` or `<uid>@log.aliyuncs.com`.
    pub fn from_service(s: &str) -> Principal {
        match s.split_once('@') {
            Some((uid, service)) => Principal::Service {
                service: service.to_string(),
                account: Some(uid.to_string()),
            },
            None => Principal::Service {
                service: s.to_string(),
                account: None,
            },
        }
    }

    /// Reads a principal given as a `Principal`-style pair (`RAM` / `Service` / `Federated`).
    pub fn from_kind(kind: PrincipalKind, value: &str) -> Result<Principal, RequestError> {
        match kind {
            PrincipalKind::Ram => Principal::from_ram_arn(value),
            PrincipalKind::Service => Ok(Principal::from_service(value)),
            PrincipalKind::Federated => Ok(Principal::Federated {
                provider: value.to_string(),
            }),
            // A plain resource-policy principal names an account by its id.
            PrincipalKind::Plain => Ok(Principal::Account {
                account: value.to_string(),
            }),
        }
    }

    /// The account the principal belongs to or acts for.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Account { account }
            | Principal::User { account, .. }
            | Principal::RoleSession { account, .. } => Some(account),
            Principal::Service { account, .. } => account.as_deref(),
            Principal::Federated { provider } => Arn::parse(provider).map(|a| a.account),
        }
    }

    /// The ARN of the role a session belongs to.
    pub fn role_arn(&self) -> Option<String> {
        match self {
            Principal::RoleSession { account, role, .. } => {
                Some(format!("acs:ram::{account}:role/{role}"))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Principal {
    /// The principal's ARN (or service name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Account { account } => write!(f, "acs:ram::{account}:root"),
            Principal::User { account, name } => write!(f, "acs:ram::{account}:user/{name}"),
            Principal::RoleSession {
                account,
                role,
                session,
            } => {
                write!(f, "acs:ram::{account}:role/{role}/{session}")
            }
            Principal::Service {
                service,
                account: Some(a),
            } => write!(f, "{a}@{service}"),
            Principal::Service {
                service,
                account: None,
            } => f.write_str(service),
            Principal::Federated { provider } => f.write_str(provider),
        }
    }
}

/// Condition keys and their values. Keys compare case-insensitively
/// (spec §5.2: Alibaba writes `acs:PrincipalARN` and `acs:PrincipalArn`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Lower-cased key → (key as given, values).
    entries: BTreeMap<String, (String, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a key to one or more values, replacing what it had.
    pub fn insert<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.entries
            .insert(key.to_lowercase(), (key.to_string(), values));
    }

    /// Adds one value to a key.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .entry(key.to_lowercase())
            .or_insert_with(|| (key.to_string(), Vec::new()))
            .1
            .push(value.into());
    }

    /// The values of a key, looked up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            self.entries.get(&key.to_lowercase())
        } else {
            self.entries.get(key)
        }
        .map(|(_, v)| v.as_slice())
    }

    /// The values of a key already lower-cased as [`Context::insert`]
    /// lower-cases keys: the evaluator's lookup, which never allocates.
    pub(crate) fn get_lowercased(&self, key: &str) -> Option<&[String]> {
        self.entries.get(key).map(|(_, v)| v.as_slice())
    }

    /// Every key (as given) with its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .values()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Whether the context has no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// An authorization request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The RAM action, `service:Action`.
    pub action: String,
    /// The resource ARN (absent for pure trust-policy questions).
    pub resource: Option<String>,
    /// Who asks (needed by trust and resource policies).
    pub principal: Option<Principal>,
    /// Condition keys.
    pub context: Context,
}

impl Request {
    /// A request for `action` on `resource`, with no principal or context.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Request {
        Request {
            action: action.into(),
            resource: Some(resource.into()),
            principal: None,
            context: Context::new(),
        }
    }

    /// Sets the principal.
    pub fn with_principal(mut self, principal: Principal) -> Request {
        self.principal = Some(principal);
        self
    }

    /// Adds a context key with its values.
    pub fn with_context<I, S>(mut self, key: &str, values: I) -> Request
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context.insert(key, values);
        self
    }

    /// Reads the request file format of `ramgate eval`:
    /// `{"action", "resource"?, "principal"?: {"RAM"|"Service"|"Federated": "…"},
    ///   "context"?: {"key": "v" | ["v1", "v2"]}}`.
    pub fn from_json(src: &str) -> Result<Request, RequestError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            action: String,
            resource: Option<String>,
            principal: Option<BTreeMap<String, String>>,
            #[serde(default)]
            context: BTreeMap<String, OneOrMany>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let wire: Wire = serde_json::from_str(src).map_err(|e| {
            RequestError::Json(format!(
                "{}:{}: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ))
        })?;
        let principal = match wire.principal {
            None => None,
            Some(map) => {
                let mut entries = map.into_iter();
                match (entries.next(), entries.next()) {
                    (Some((k, v)), None) => {
                        let kind = PrincipalKind::parse(&k).ok_or_else(|| {
                            RequestError::Json(format!("unknown principal type `{k}`, expected `RAM`, `Service` or `Federated`"))
                        })?;
                        Some(Principal::from_kind(kind, &v)?)
                    }
                    _ => {
                        return Err(RequestError::Json(
                            "`principal` must have exactly one of `RAM`, `Service` or `Federated`"
                                .to_string(),
                        ));
                    }
                }
            }
        };
        let mut context = Context::new();
        for (k, v) in wire.context {
            match v {
                OneOrMany::One(s) => context.insert(&k, [s]),
                OneOrMany::Many(v) => context.insert(&k, v),
            }
        }
        Ok(Request {
            action: wire.action,
            resource: wire.resource,
            principal,
            context,
        })
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_principals_parse_from_their_arns() {
        let p = Principal::from_ram_arn("acs:ram::1234567890123456:role/sls-byok/log");
        assert_eq!(
            p,
            Ok(Principal::RoleSession {
                account: "1234567890123456".into(),
                role: "sls-byok".into(),
                session: "log".into()
            })
        );
        assert_eq!(
            Principal::from_ram_arn("acs:ram::1234567890123456:role/sls-byok"),
            Err(RequestError::RoleWithoutSession(
                "acs:ram::1234567890123456:role/sls-byok".into()
            ))
        );
        assert!(Principal::from_ram_arn("acs:ram::12:user/a").is_err());
        let root = Principal::from_ram_arn("acs:ram::1234567890123456:root");
        assert_eq!(
            root.map(|p| p.to_string()),
            Ok("acs:ram::1234567890123456:root".to_string())
        );
        assert_eq!(
            Principal::from_service("1345678901234567@log.aliyuncs.com").account(),
            Some("1345678901234567")
        );
    }

    #[test]
    fn context_keys_are_case_insensitive() {
        let mut c = Context::new();
        c.insert("acs:PrincipalARN", ["x"]);
        assert_eq!(c.get("acs:principalarn"), Some(&["x".to_string()][..]));
        assert_eq!(c.get("ACS:PrincipalArn"), Some(&["x".to_string()][..]));
    }

    #[test]
    fn request_files_parse_and_errors_have_positions() {
        let r = Request::from_json(
            r#"{"action": "sts:AssumeRole", "principal": {"Service": "log.aliyuncs.com"}, "context": {"acs:SourceIp": ["1.2.3.4"]}}"#,
        );
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.resource, None);
        assert_eq!(r.context.get("acs:sourceip").map(<[String]>::len), Some(1));
        let e = Request::from_json("{\n \"action\": 1}")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e,
            Some("2:12: invalid type: integer `1`, expected a string".to_string())
        );
    }
}
