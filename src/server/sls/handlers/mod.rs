//! The Log Service API on the wire (`wire-protocols.md` §2): the route of
//! each request, then one handler per API, each one library call on the
//! [`LogService`] handle of the request (whose RAM decisions see the
//! connection's context).
//!
//! - [`project`]: `CreateProject`, `GetProject`, `ListProject`,
//!   `DeleteProject` (`/`, the project in `Host`).
//! - [`logstore`]: `CreateLogStore`, `GetLogStore`, `UpdateLogStore`,
//!   `ListLogStores`, `DeleteLogStore` (`/logstores[/<name>]`).
//! - [`shards`]: `ListShards`, `GetCursor`, `PullLogs`.
//! - [`logs`]: `PutLogs` (`/shards/lb`, `/shards/route?key=`), `GetLogs`.

pub mod logs;
pub mod logstore;
pub mod project;
pub mod shards;

use crate::authz::Decision;
use crate::logstore::{LogError, LogService, Traced};
use crate::ram::{DecisionChain, Identity};
use crate::server::WireRequest;
use crate::server::http::front::Answer;

/// An authenticated Log Service request.
#[derive(Debug)]
pub struct SlsRequest<'a> {
    /// The engine, scoped to this request.
    pub service: &'a LogService,
    /// Who is calling.
    pub caller: &'a Identity,
    /// The project from `Host`, if any.
    pub project: Option<&'a str>,
    /// The request as received.
    pub wire: &'a WireRequest<'a>,
}

impl SlsRequest<'_> {
    /// The project, which this API needs.
    pub fn project(&self) -> Result<&str, Failure> {
        self.project.ok_or_else(Failure::no_project)
    }

    /// A query parameter, form-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        self.wire
            .query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body as a JSON object.
    pub fn json_body(&self) -> Result<serde_json::Value, Failure> {
        let value: serde_json::Value = serde_json::from_slice(self.wire.body).map_err(|e| {
            Failure::invalid("PostBodyInvalid", format!("the body is not JSON: {e}"))
        })?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(Failure::invalid(
                "PostBodyInvalid",
                "the body is not a JSON object".to_string(),
            ))
        }
    }
}

/// A refusal: status, Log Service's code, message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The status.
    pub status: u16,
    /// `errorCode`.
    pub code: String,
    /// `errorMessage`.
    pub message: String,
}

impl Failure {
    /// `InvalidHost`: the API needs a project and `Host` names none.
    pub fn no_project() -> Failure {
        Failure::invalid(
            "InvalidHost",
            "the `Host` header names no project (send `Host: <project>.<endpoint>`)".to_string(),
        )
    }

    /// A 400 with `code`.
    pub fn invalid(code: &str, message: String) -> Failure {
        Failure {
            status: 400,
            code: code.to_string(),
            message,
        }
    }

    /// The engine's error, its refusals explained by the chain: the step
    /// that refused and its deciding statements as `policy:line:column`,
    /// or that no statement applies.
    pub fn from_engine(e: &LogError, chain: &DecisionChain) -> Failure {
        // The wire text, not ramgate's own message: a damaged file is the
        // server's business, its path no client's.
        let mut message = e.wire_message();
        if let Some(step) = chain.steps.iter().find(|s| !s.is_allowed()) {
            let why: Vec<String> = step
                .response
                .reasons
                .iter()
                .map(|r| format!("{}:{}:{}", r.policy, r.line, r.column))
                .collect();
            let decided = if why.is_empty() {
                "no statement applies".to_string()
            } else {
                let verb = if step.decision() == Decision::ExplicitDeny {
                    "denied by"
                } else {
                    "decided by"
                };
                format!("{verb} {}", why.join(", "))
            };
            message.push_str(&format!(
                " (step `{}` {}: {decided})",
                step.step.as_str(),
                step.decision()
            ));
        }
        Failure {
            status: e.http_status(),
            code: e.code().to_string(),
            message,
        }
    }
}

/// The outcome of a traced engine call, its refusal explained.
pub fn outcome<T>(traced: Traced<T>) -> Result<T, Failure> {
    let Traced { outcome, chain } = traced;
    outcome.map_err(|e| Failure::from_engine(&e, &chain))
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route<'a> {
    Root,
    Logstores,
    Logstore(&'a str),
    Shards(&'a str),
    PutLb(&'a str),
    PutByKey(&'a str),
    Shard(&'a str, &'a str),
    Logs(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Some(Route::Root);
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    match parts.as_slice() {
        ["logstores"] => Some(Route::Logstores),
        ["logstores", ls] => Some(Route::Logstore(ls)),
        ["logstores", ls, "shards"] => Some(Route::Shards(ls)),
        ["logstores", ls, "shards", "lb"] => Some(Route::PutLb(ls)),
        ["logstores", ls, "shards", "route"] => Some(Route::PutByKey(ls)),
        ["logstores", ls, "shards", id] => Some(Route::Shard(ls, id)),
        ["logstores", ls, "logs"] => Some(Route::Logs(ls)),
        _ => None,
    }
}

/// The API a request calls, for the log line (before authentication).
pub fn api_name(method: &str, path: &str, query: &[(String, String)]) -> &'static str {
    let kind = query
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str());
    match (method, route(path)) {
        ("POST", Some(Route::Root)) => "CreateProject",
        ("GET", Some(Route::Root)) => "GetProject",
        ("DELETE", Some(Route::Root)) => "DeleteProject",
        ("POST", Some(Route::Logstores)) => "CreateLogStore",
        ("GET", Some(Route::Logstores)) => "ListLogStores",
        ("GET", Some(Route::Logstore(_))) => "GetLogStore",
        ("PUT", Some(Route::Logstore(_))) => "UpdateLogStore",
        ("DELETE", Some(Route::Logstore(_))) => "DeleteLogStore",
        ("GET", Some(Route::Shards(_))) => "ListShards",
        ("POST", Some(Route::PutLb(_) | Route::PutByKey(_))) => "PutLogs",
        ("GET", Some(Route::Shard(..))) if kind == Some("cursor") => "GetCursor",
        ("GET", Some(Route::Shard(..))) if kind == Some("log") => "PullLogs",
        ("POST", Some(Route::Logs(_))) => "GetLogs",
        _ => "Unknown",
    }
}

/// Runs the API `request` calls.
pub fn dispatch(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let kind = request.param("type");
    match (request.wire.method, route(request.wire.path)) {
        ("POST", Some(Route::Root)) => project::create(request),
        ("GET", Some(Route::Root)) if request.project.is_some() => project::get(request),
        ("GET", Some(Route::Root)) => project::list(request),
        ("DELETE", Some(Route::Root)) => project::delete(request),
        ("POST", Some(Route::Logstores)) => logstore::create(request),
        ("GET", Some(Route::Logstores)) => logstore::list(request),
        ("GET", Some(Route::Logstore(ls))) => logstore::get(request, ls),
        ("PUT", Some(Route::Logstore(ls))) => logstore::update(request, ls),
        ("DELETE", Some(Route::Logstore(ls))) => logstore::delete(request, ls),
        ("GET", Some(Route::Shards(ls))) => shards::list(request, ls),
        ("POST", Some(Route::PutLb(ls))) => logs::put(request, ls, None),
        ("POST", Some(Route::PutByKey(ls))) => {
            let key = request.param("key").unwrap_or_default();
            logs::put(request, ls, Some(&key))
        }
        ("GET", Some(Route::Shard(ls, id))) => {
            let shard = shards::shard_id(id)?;
            match kind.as_deref() {
                Some("cursor") => shards::get_cursor(request, ls, shard),
                Some("log") => shards::pull(request, ls, shard),
                other => Err(Failure::invalid(
                    "ParameterInvalid",
                    format!(
                        "`type={}` is not served: use `cursor` or `log`",
                        crate::terminal::clip(other.unwrap_or_default())
                    ),
                )),
            }
        }
        ("POST", Some(Route::Logs(ls))) => logs::get(request, ls),
        _ => Err(Failure {
            status: 404,
            code: "InvalidApi.NotFound".into(),
            message: format!(
                "no Log Service API is `{} {}`",
                request.wire.method,
                crate::terminal::clip(request.wire.path)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_their_apis() {
        let q = |k: &str| vec![("type".to_string(), k.to_string())];
        assert_eq!(api_name("POST", "/logstores/ls/shards/lb", &[]), "PutLogs");
        assert_eq!(
            api_name("POST", "/logstores/ls/shards/route", &[]),
            "PutLogs"
        );
        assert_eq!(
            api_name("GET", "/logstores/ls/shards/0", &q("cursor")),
            "GetCursor"
        );
        assert_eq!(
            api_name("GET", "/logstores/ls/shards/0", &q("log")),
            "PullLogs"
        );
        assert_eq!(api_name("GET", "/logstores/ls/shards", &[]), "ListShards");
        assert_eq!(api_name("POST", "/logstores/ls/logs", &[]), "GetLogs");
        assert_eq!(api_name("GET", "/", &[]), "GetProject");
        assert_eq!(api_name("GET", "/nope/x", &[]), "Unknown");
    }
}
