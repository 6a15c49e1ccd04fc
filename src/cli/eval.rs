//! `ramgate eval`: why is this request allowed or denied?

use std::fmt::Write as _;

use clap::Args;

use crate::authz::{
    Authorizer, ConditionResult, PolicySet, Principal, Request, Response, StatementTrace, Trace,
};
use crate::policy::{Dialect, KindSpec, Policy, PolicyKind};
use crate::terminal::escape_lines;

use super::input::{read_policy, read_text};
use super::{Failure, Outcome};

mod directory;

/// Evaluate a request against policies and say why it is allowed or denied.
///
/// Exit status: 0 Allow, 1 ExplicitDeny or ImplicitDeny, 2 bad input.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// A policy file, JSON or DSL (repeatable; none at all gives ImplicitDeny).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<String>,
    /// The request as a JSON file, or `-` for standard input:
    /// {"action", "resource", "principal": {"RAM"|"Service"|"Federated": "…"}, "context": {"key": "v" | ["v1", "v2"]}}
    #[arg(long, value_name = "FILE", conflicts_with_all = ["action", "resource", "principal", "context"])]
    request: Option<String>,
    /// The action, `service:Action`.
    #[arg(long, required_unless_present = "request")]
    action: Option<String>,
    /// The resource ARN (optional for trust policies).
    #[arg(long)]
    resource: Option<String>,
    /// Who asks: a RAM ARN (`acs:ram::<uid>:user/<name>`, `…:role/<role>/<session>`,
    /// `…:root`), an identity provider ARN (`…:saml-provider/<name>`), or a
    /// service (`log.aliyuncs.com`, `<uid>@log.aliyuncs.com`).
    #[arg(long)]
    principal: Option<String>,
    /// A condition key and value, `KEY=VALUE` (repeat a key for several values).
    #[arg(long, value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The kind of every policy given; inferred per file when absent
    /// (statements with `Principal` make a trust policy, a plain `Principal`
    /// list a resource policy); `kms-key`, `oss-bucket`, `vpc-endpoint`, …
    /// read a resource policy in that service's dialect.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Also explain every statement: what matched and why not.
    #[arg(long)]
    trace: bool,
    /// A directory file (accounts, users, groups, roles, custom policies;
    /// policy documents inline or as files next to it). With it, RAM's rules
    /// pick and combine the policies of the identity `--as` names, and every
    /// step of the decision is printed; `--policy` and `--kind` are not used.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["policies", "kind"])]
    directory: Option<String>,
    /// Who asks, with `--directory`: `acs:ram::<uid>:root`,
    /// `acs:ram::<uid>:user/<name>`, a role session
    /// `acs:ram::<uid>:role/<role>/<session>` (with no session policy unless
    /// `--session-policy` gives one), or a service (`log.aliyuncs.com`).
    /// Defaults to the request's principal.
    #[arg(long = "as", value_name = "ARN", requires = "directory")]
    as_identity: Option<String>,
    /// The session policy of the `--as` role session (JSON or DSL).
    #[arg(long, value_name = "FILE", requires = "as_identity")]
    session_policy: Option<String>,
}

/// `--kind`: a policy kind, or a resource-policy dialect
/// (`crate::policy::dialect`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum KindArg {
    Identity,
    Trust,
    Session,
    /// A resource policy, its dialect recognised from its resources.
    Resource,
    KmsKey,
    KmsSecret,
    OssBucket,
    OssAccessPoint,
    VpcEndpoint,
    #[value(name = "maxcompute-project")]
    MaxComputeProject,
}

impl From<KindArg> for KindSpec {
    fn from(k: KindArg) -> KindSpec {
        let dialect = |d| KindSpec {
            kind: PolicyKind::Resource,
            dialect: Some(d),
        };
        match k {
            KindArg::Identity => PolicyKind::Identity.into(),
            KindArg::Trust => PolicyKind::Trust.into(),
            KindArg::Session => PolicyKind::Session.into(),
            KindArg::Resource => PolicyKind::Resource.into(),
            KindArg::KmsKey => dialect(Dialect::KmsKey),
            KindArg::KmsSecret => dialect(Dialect::KmsSecret),
            KindArg::OssBucket => dialect(Dialect::OssBucket),
            KindArg::OssAccessPoint => dialect(Dialect::OssAccessPoint),
            KindArg::VpcEndpoint => dialect(Dialect::VpcEndpoint),
            KindArg::MaxComputeProject => dialect(Dialect::MaxComputeProject),
        }
    }
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> PolicyKind {
        KindSpec::from(k).kind
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

pub(crate) fn run(args: EvalArgs) -> Result<Outcome, Failure> {
    if let Some(path) = &args.directory {
        return directory::run(&args, path);
    }
    let spec = args.kind.map(KindSpec::from);
    let mut policies: Vec<(String, Policy)> = Vec::new();
    for path in &args.policies {
        let policy = read_policy(path, spec.map(|s| s.kind))?;
        // The dialect (named, or recognised from the resources under
        // `--kind resource`) refuses the `Principal` forms its service does
        // not store, as `ramgate lint --kind` does.
        if let Some(dialect) = spec.and_then(|s| s.dialect_of(&policy)) {
            dialect
                .check(&policy)
                .map_err(|e| Failure::new(format!("{path}: {e}")))?;
        }
        policies.push((path.clone(), policy));
    }
    let request = request(&args)?;
    if request.resource.is_none() && policies.iter().any(|(_, p)| p.kind != PolicyKind::Trust) {
        return Err(Failure::new(
            "the request has no resource; give `--resource` (only trust policies do without)",
        ));
    }
    let set = PolicySet::new(policies);
    let (response, trace) = if args.trace {
        let (r, t) = Authorizer::new().explain(&set, &request);
        (r, Some(t))
    } else {
        (Authorizer::new().evaluate(&set, &request), None)
    };
    match args.format {
        FormatArg::Json => {
            /// The JSON report; field order is the contract's.
            #[derive(serde::Serialize)]
            struct Report<'a> {
                decision: crate::authz::Decision,
                reasons: &'a [crate::authz::Reason],
                #[serde(skip_serializing_if = "Option::is_none")]
                trace: Option<&'a Trace>,
            }
            let report = Report {
                decision: response.decision,
                reasons: &response.reasons,
                trace: trace.as_ref(),
            };
            outln!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
        FormatArg::Text => out!(
            "{}",
            escape_lines(&render_text(&request, &response, trace.as_ref()))
        ),
    }
    Ok(if response.decision.is_allowed() {
        Outcome::Yes
    } else {
        Outcome::No
    })
}

fn request(args: &EvalArgs) -> Result<Request, Failure> {
    if let Some(path) = &args.request {
        let src = read_text(path)?;
        let shown = if path == "-" { "<stdin>" } else { path };
        return Request::from_json(&src).map_err(|e| Failure::new(format!("{shown}:{e}")));
    }
    let action = args.action.clone().unwrap_or_default();
    if !crate::authz::is_action_name(&action) {
        return Err(Failure::new(format!(
            "`--action {}` is not an action: write `<service>:<Action>`, such as `kms:Decrypt`",
            crate::terminal::clip(&action)
        )));
    }
    let mut request = Request {
        action,
        resource: args.resource.clone(),
        principal: None,
        context: Default::default(),
    };
    if let Some(p) = &args.principal {
        request.principal = Some(principal(p)?);
    }
    for kv in &args.context {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Failure::new(format!("`--context {kv}` is not `KEY=VALUE`")))?;
        request.context.push(k, v);
    }
    Ok(request)
}

/// Reads `--principal` by its shape.
fn principal(p: &str) -> Result<Principal, Failure> {
    if p.starts_with("acs:") {
        if p.contains(":saml-provider/") || p.contains(":oidc-provider/") {
            return Ok(Principal::Federated {
                provider: p.to_string(),
            });
        }
        return Principal::from_ram_arn(p).map_err(|e| Failure::new(e.to_string()));
    }
    Ok(Principal::from_service(p))
}

/// The text report: the decision, the deciding statements with
/// `file:line:column`, and with a trace why every other statement did not apply.
fn render_text(request: &Request, response: &Response, trace: Option<&Trace>) -> String {
    let mut out = String::new();
    let on = request
        .resource
        .as_deref()
        .map(|r| format!(" on {r}"))
        .unwrap_or_default();
    let by = request
        .principal
        .as_ref()
        .map(|p| format!(" by {p}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{}: {}{on}{by}", response.decision, request.action);
    if response.reasons.is_empty() {
        let _ = writeln!(out, "  no statement applies");
    }
    for r in &response.reasons {
        let sid = r
            .sid
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let verb = if r.effect == crate::policy::Effect::Deny {
            "denied"
        } else {
            "allowed"
        };
        let why = if r.fail_closed {
            ", a condition could not be evaluated and the deny applies"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {verb} by {}:{}:{} statement {}{sid}{why}",
            r.policy, r.line, r.column, r.statement
        );
    }
    if let Some(trace) = trace {
        let _ = writeln!(out, "trace:");
        for s in &trace.statements {
            explain(&mut out, s);
        }
    }
    out
}

fn explain(out: &mut String, s: &StatementTrace) {
    let sid = s
        .sid
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    let verdict = if s.applies {
        "applies"
    } else {
        "does not apply"
    };
    let _ = writeln!(
        out,
        "  {}:{}:{} statement {}{sid} [{}] {verdict}",
        s.policy,
        s.line,
        s.column,
        s.statement,
        s.effect.as_str()
    );
    for e in [Some(&s.action), s.resource.as_ref(), s.principal.as_ref()]
        .into_iter()
        .flatten()
    {
        let mark = if e.matched { "ok" } else { "no" };
        let request = e.request.as_deref().unwrap_or("(none)");
        let detail = match (&e.policy_value, e.mismatch) {
            (Some(v), Some(_)) => format!("excluded by `{v}`"),
            (Some(v), None) => format!("matches `{v}`"),
            (None, Some(m)) => serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default(),
            (None, None) => "matches (no listed value excludes it)".to_string(),
        };
        let _ = writeln!(out, "    {mark:<3}{:<10}`{request}` {detail}", e.element);
    }
    for c in &s.conditions {
        let mark = match c.result {
            ConditionResult::True => "ok",
            ConditionResult::False => "no",
            ConditionResult::Error => "err",
        };
        let values = match &c.request_values {
            Some(v) => format!("{v:?}"),
            None => "(absent)".to_string(),
        };
        let because = serde_json::to_value(c.because)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default();
        let witness = match (&c.request_value, &c.policy_value) {
            (Some(r), Some(p)) => format!(": `{r}` ~ `{p}`"),
            (Some(r), None) => format!(": `{r}`"),
            _ => String::new(),
        };
        let error = c
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {mark:<3}{} {} {:?} against {values}: {because}{witness}{error}",
            c.operator, c.key, c.policy_values
        );
    }
}
