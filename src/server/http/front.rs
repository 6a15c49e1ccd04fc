//! One request, from hyper's to the answer: a place among the requests in
//! flight ([`limit`](super::limit)), the body read up to a bound,
//! the health page, POP or Log Service, authentication, the request's
//! context handed to the engine, the handler on a blocking thread, the
//! request id on the answer, and one line on standard error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::Server;
use super::authn::{self, Refusal};
use super::host::project_of;
use crate::authz::Context;
use crate::server::WireRequest;
use crate::server::auth::pop_rpc;
use crate::server::pop::{self, PopCall, Product};
use crate::server::reply::{self, PopError, SlsError};
use crate::server::sls::handlers::{self, SlsRequest};

/// The most bytes of request body read: a compressed PutLogs body is at
/// most its 3 MB raw group plus the codec's overhead; anything larger is
/// refused as `PostBodyTooLarge` without being read whole.
pub const MAX_WIRE_BODY: usize = 4 * 1024 * 1024;

/// An answer before it becomes hyper's.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Further headers (lower-case names: the SLS SDK reads them as sent).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, value: &serde_json::Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// A 200 with no body (Log Service's answer to most writes).
    pub fn empty() -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// What the log line says about a request.
struct Logged {
    api: String,
    caller: String,
    outcome: String,
}

/// Answers one request.
pub async fn handle(
    server: Arc<Server>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = reply::request_id();
    // Held until the answer is built: the body and the blocking handler
    // count against the bound; the wait for a place counts in the latency.
    let _pass = server.in_flight.enter().await;
    let (parts, body) = request.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method = parts.method.as_str().to_string();
    // Absolute-form targets (proxy mode, §1.1) route like origin-form ones:
    // only the URI's path and query count.
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let body = match Limited::new(body, MAX_WIRE_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let refusal = Refusal {
                status: 400,
                code: "PostBodyTooLarge".into(),
                message: format!("the request body is over the {MAX_WIRE_BODY}-byte limit"),
            };
            let pop = is_pop(&headers, &query);
            let logged = Logged {
                api: "-".into(),
                caller: "-".into(),
                outcome: format!("{} {}", refusal.status, refusal.code),
            };
            let answer = refusal_answer(&refusal, pop, &request_id);
            return finish(&server, answer, &request_id, logged, started);
        }
    };
    let worker = server.clone();
    let id = request_id.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let wire = WireRequest {
            method: &method,
            path: &path,
            query: &query,
            headers: &headers,
            body: &body,
        };
        answer(&worker, peer, &wire, &id)
    })
    .await;
    let (answer, logged) = match answered {
        Ok(pair) => pair,
        Err(_) => {
            let refusal = Refusal {
                status: 500,
                code: "InternalServerError".into(),
                message: "the request's handler stopped before answering".into(),
            };
            let logged = Logged {
                api: "-".into(),
                caller: "-".into(),
                outcome: "500 InternalServerError".into(),
            };
            (refusal_answer(&refusal, false, &request_id), logged)
        }
    };
    finish(&server, answer, &request_id, logged, started)
}

/// Whether a request is POP: an `x-acs-action` header or an `Action`
/// parameter (§5).
fn is_pop(headers: &[(String, String)], query: &str) -> bool {
    headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-acs-action"))
        || form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "Action")
}

/// The blocking part: authentication and the handler.
fn answer(
    server: &Server,
    peer: SocketAddr,
    wire: &WireRequest<'_>,
    request_id: &str,
) -> (Answer, Logged) {
    if wire.path == "/ramgate/health" && wire.method == "GET" {
        let uptime = server.started.elapsed().as_secs();
        let body = json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "dataDir": server.service.data_dir().display().to_string(),
            "uptimeSeconds": uptime,
        });
        let logged = Logged {
            api: "Health".into(),
            caller: "-".into(),
            outcome: "200".into(),
        };
        return (Answer::json(200, &body), logged);
    }
    let params = pop_rpc::parameters(wire);
    let pop = wire.header("x-acs-action").is_some() || params.iter().any(|(k, _)| k == "Action");
    let now = server.service.clock().now();
    let mut logged = Logged {
        api: if pop {
            pop_param(wire, &params, "x-acs-action", "Action")
                .unwrap_or("-")
                .to_string()
        } else {
            handlers::api_name(wire.method, wire.path, &wire.query_pairs()).to_string()
        },
        caller: "-".into(),
        outcome: String::new(),
    };
    let authenticated = authn::authenticate(
        wire,
        pop,
        &params,
        &*server.credentials,
        &server.nonces,
        now,
    );
    let who = match authenticated {
        Ok(who) => who,
        Err(refusal) => {
            logged.outcome = format!("{} {}", refusal.status, refusal.code);
            return (refusal_answer(&refusal, pop, request_id), logged);
        }
    };
    logged.caller = who.identity.to_string();
    let context = request_context(peer, wire, now);
    let service = server.service.with_request(context.clone(), request_id);
    let answer = if pop {
        pop_answer(
            server,
            &service,
            wire,
            &params,
            &who.identity,
            &context,
            request_id,
        )
    } else {
        let project = wire
            .header("host")
            .and_then(|h| project_of(h, &server.base_hosts));
        let call = SlsRequest {
            service: &service,
            caller: &who.identity,
            project: project.as_deref(),
            wire,
        };
        handlers::dispatch(&call).unwrap_or_else(|f| {
            refusal_answer(
                &Refusal {
                    status: f.status,
                    code: f.code,
                    message: f.message,
                },
                false,
                request_id,
            )
        })
    };
    logged.outcome = outcome_of(&answer);
    (answer, logged)
}

/// `200`, or `403 Unauthorized` read back from the error body.
fn outcome_of(answer: &Answer) -> String {
    if answer.status < 400 {
        return answer.status.to_string();
    }
    let code = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| {
            v.get("errorCode")
                .or_else(|| v.get("Code"))
                .and_then(|c| c.as_str().map(str::to_string))
        })
        .unwrap_or_default();
    format!("{} {code}", answer.status)
}

/// A POP value from its header (Tea v3) or parameter (RPC).
fn pop_param<'a>(
    wire: &WireRequest<'a>,
    params: &'a [(String, String)],
    header: &str,
    name: &str,
) -> Option<&'a str> {
    wire.header(header).or_else(|| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    })
}

fn pop_answer(
    server: &Server,
    service: &crate::logstore::LogService,
    wire: &WireRequest<'_>,
    params: &[(String, String)],
    caller: &crate::ram::Identity,
    context: &Context,
    request_id: &str,
) -> Answer {
    let version = pop_param(wire, params, "x-acs-version", "Version").unwrap_or_default();
    let action = pop_param(wire, params, "x-acs-action", "Action").unwrap_or_default();
    let Some(product) = Product::from_version(version) else {
        let refusal = Refusal {
            status: 404,
            code: "InvalidApi.NotFound".into(),
            message: format!(
                "the version `{}` is not served: KMS is `2016-01-20`, STS `2015-04-01`, RAM `2015-05-01`",
                crate::terminal::clip(version)
            ),
        };
        return refusal_answer(&refusal, true, request_id);
    };
    let call = PopCall {
        product,
        action,
        params,
        caller,
        context,
        request_id,
    };
    match pop::handle(service, &*server.credentials, &call) {
        Ok(mut value) => {
            if let Some(object) = value.as_object_mut() {
                object.insert("RequestId".into(), json!(request_id));
            }
            let mut answer = Answer::json(200, &value);
            answer.content_type = "application/json;charset=utf-8";
            answer
        }
        Err(f) => refusal_answer(
            &Refusal {
                status: f.status,
                code: f.code,
                message: f.message,
            },
            true,
            request_id,
        ),
    }
}

/// The condition keys a connection gives every decision of its caller.
fn request_context(peer: SocketAddr, wire: &WireRequest<'_>, now: time::OffsetDateTime) -> Context {
    let mut context = Context::new();
    context.insert("acs:SourceIp", [peer.ip().to_string()]);
    context.insert("acs:SecureTransport", ["false"]);
    context.insert(
        "acs:CurrentTime",
        [now.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()],
    );
    if let Some(agent) = wire.header("user-agent") {
        context.insert("acs:UserAgent", [agent]);
    }
    context
}

/// A refusal as the product's SDK reads it: Log Service's `{errorCode,
/// errorMessage}` or POP's `{RequestId, HostId, Code, Message, Recommend}`.
/// Only a failure of ramgate itself may be a 5xx.
fn refusal_answer(refusal: &Refusal, pop: bool, request_id: &str) -> Answer {
    let status = if refusal.status >= 500 && refusal.code.starts_with("Internal") {
        refusal.status
    } else {
        reply::client_status(refusal.status)
    };
    let value = if pop {
        serde_json::to_value(PopError {
            request_id: request_id.to_string(),
            host_id: "127.0.0.1".into(),
            code: refusal.code.clone(),
            message: refusal.message.clone(),
            recommend: String::new(),
        })
    } else {
        serde_json::to_value(SlsError {
            error_code: refusal.code.clone(),
            error_message: refusal.message.clone(),
        })
    }
    .unwrap_or_default();
    let mut answer = Answer::json(status, &value);
    if pop {
        answer.content_type = "application/json;charset=utf-8";
    }
    answer
}

/// hyper's response, with the request id, and the log line.
fn finish(
    server: &Server,
    answer: Answer,
    request_id: &str,
    logged: Logged,
    started: Instant,
) -> Response<Full<Bytes>> {
    if server.log_requests {
        // Every field but the id and the latency came from the request:
        // escaped, so no client can forge a log line.
        eprintln!(
            "{request_id} caller={} api={} outcome={} latency_ms={:.1}",
            crate::terminal::escape(&logged.caller),
            crate::terminal::escape(&logged.api),
            crate::terminal::escape(logged.outcome.trim()),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    };
    put("content-type", answer.content_type);
    put("x-log-requestid", request_id);
    put("x-acs-request-id", request_id);
    put("server", "ramgate");
    for (name, value) in &answer.headers {
        put(name, value);
    }
    response
}
