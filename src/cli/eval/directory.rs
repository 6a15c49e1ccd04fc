//! `ramgate eval --directory`: ask the way RAM would answer, for an identity
//! of a directory, and print the decision chain.

use std::fmt::Write as _;
use std::path::Path;

use time::Duration;

use crate::authz::{Decision, Request};
use crate::policy::{Effect, PolicyKind};
use crate::ram::{
    ASSUME_ROLE, Access, ChainStep, Clock, DEFAULT_DURATION_SECONDS, DecisionChain, Directory,
    Identity, PASS_ROLE, PartKind, PolicyDocument, Ram, RamError, RoleSession, SERVICE_KEY,
    SystemClock, parse_role_arn,
};

use super::super::input::read_text;
use super::super::{Failure, Outcome};
use super::{EvalArgs, FormatArg, explain};

pub(super) fn run(args: &EvalArgs, path: &str) -> Result<Outcome, Failure> {
    let dir = Directory::load(Path::new(path)).map_err(failure)?;
    let clock = SystemClock;
    let request = super::request(args)?;
    let identity = identity(args, &request, &clock)?;
    let resource = request.resource.clone().ok_or_else(|| {
        Failure::new(
            "the request has no resource; give `--resource` (for `sts:AssumeRole`, the role ARN)",
        )
    })?;
    let ram = Ram::new(&dir, &clock);
    let mut chain = DecisionChain::new();
    if request.action.eq_ignore_ascii_case(PASS_ROLE) && parse_role_arn(&resource).is_ok() {
        let service = request
            .context
            .get(SERVICE_KEY)
            .and_then(|v| v.first())
            .ok_or_else(|| {
                Failure::new(
                    "to whom is the role passed? give `--context acs:Service=<service>` (e.g. `log.aliyuncs.com`)",
                )
            })?;
        chain.push(
            ram.check_pass_role(&identity, &resource, service)
                .map_err(failure)?,
        );
    } else if request.action.eq_ignore_ascii_case(ASSUME_ROLE) {
        match ram.evaluate_assume_role(&identity, &resource, &request.context) {
            Ok(steps) => chain.extend(steps),
            // A negative answer, not bad input: the account cannot assume roles.
            Err(e @ RamError::RootCannotAssumeRole(_)) => {
                println!("ImplicitDeny: {e}");
                return Ok(Outcome::No);
            }
            Err(e) => return Err(failure(e)),
        }
    } else {
        let access = Access {
            action: request.action.clone(),
            resource,
            context: request.context.clone(),
        };
        chain.push(ram.authorize(&identity, &access, None).map_err(failure)?);
    }
    match args.format {
        FormatArg::Json => print_json(&chain),
        FormatArg::Text => print!("{}", render(&request, &identity, &chain, args.trace)),
    }
    Ok(if chain.decision().is_allowed() {
        Outcome::Yes
    } else {
        Outcome::No
    })
}

/// `--as`, else the request's principal; a role session gets the
/// `--session-policy` and lasts the default AssumeRole duration.
fn identity(args: &EvalArgs, request: &Request, clock: &dyn Clock) -> Result<Identity, Failure> {
    let expiration = clock
        .now()
        .saturating_add(Duration::seconds(DEFAULT_DURATION_SECONDS as i64));
    let identity = match (&args.as_identity, &request.principal) {
        (Some(text), _) => Identity::parse(text, expiration).map_err(failure)?,
        (None, Some(p)) => Identity::from_principal(p.clone(), expiration).map_err(failure)?,
        (None, None) => {
            return Err(Failure::new(
                "who asks? give `--as` (a RAM ARN or a service name) or a principal in the request",
            ));
        }
    };
    let Some(file) = &args.session_policy else {
        return Ok(identity);
    };
    let Identity::RoleSession(s) = identity else {
        return Err(Failure::new(format!(
            "`--session-policy` needs a role session, and `{identity}` is not one"
        )));
    };
    let src = read_text(file)?;
    let doc = PolicyDocument::parse(&src, PolicyKind::Session, "the session policy", Some(file))
        .map_err(failure)?;
    let session = RoleSession::new(s.account(), s.role(), s.name(), Some(doc), s.expiration())
        .map_err(failure)?;
    Ok(Identity::RoleSession(session))
}

fn failure(e: RamError) -> Failure {
    match &e {
        RamError::PolicyDocument(d) => Failure::new(format!("[{}] {}", e.code(), d.render())),
        _ => {
            let mut message = format!("[{}] {e}", e.code());
            if let Some(help) = e.help() {
                message.push_str("\n  = help: ");
                message.push_str(&help);
            }
            Failure::new(message)
        }
    }
}

fn print_json(chain: &DecisionChain) {
    /// The JSON report; field order is the contract's.
    #[derive(serde::Serialize)]
    struct Report<'a> {
        decision: Decision,
        reasons: Vec<&'a crate::authz::Reason>,
        chain: &'a DecisionChain,
    }
    let decision = chain.decision();
    // The statements that decided: on Allow every step's allowing ones, on a
    // deny those of the steps that denied.
    let reasons = chain
        .steps
        .iter()
        .filter(|s| decision.is_allowed() || !s.is_allowed())
        .flat_map(|s| s.response.reasons.iter())
        .collect();
    let report = Report {
        decision,
        reasons,
        chain,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
}

/// One line for the answer, then per step its decision, how its parts
/// decided, and the deciding statements (`policy:line:column`).
fn render(request: &Request, identity: &Identity, chain: &DecisionChain, trace: bool) -> String {
    let mut out = String::new();
    let on = request.resource.as_deref().unwrap_or("*");
    let _ = writeln!(
        out,
        "{}: {} on {on} by {identity}",
        chain.decision(),
        request.action
    );
    for step in &chain.steps {
        step_lines(&mut out, step);
        if trace {
            for s in &step.trace.statements {
                explain(&mut out, s);
            }
        }
    }
    out
}

pub(crate) fn step_lines(out: &mut String, step: &ChainStep) {
    let parts: Vec<String> = step
        .parts
        .iter()
        .map(|p| {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let either = if p.required { "" } else { " (either)" };
            format!("{kind}{either} {}", p.decision)
        })
        .collect();
    let _ = writeln!(
        out,
        "  {}: {} [{}]",
        step.step.as_str(),
        step.decision(),
        parts.join(", ")
    );
    if step.response.reasons.is_empty() {
        for why in unexplained(step) {
            let _ = writeln!(out, "    {why}");
        }
    }
    for r in &step.response.reasons {
        let verb = if r.effect == Effect::Deny {
            "denied"
        } else {
            "allowed"
        };
        let sid = r
            .sid
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {verb} by {}:{}:{} statement {}{sid}",
            r.policy, r.line, r.column, r.statement
        );
    }
}

/// Why a step without deciding statements came out as it did, one line per
/// part that counted.
fn unexplained(step: &ChainStep) -> Vec<&'static str> {
    let some_alternative_allows = step
        .parts
        .iter()
        .any(|p| !p.required && p.decision.is_allowed());
    step.parts
        .iter()
        .filter(|p| {
            if step.decision().is_allowed() {
                p.kind == PartKind::Account
            } else {
                !p.decision.is_allowed() && (p.required || !some_alternative_allows)
            }
        })
        .map(|p| match (p.kind, p.decision) {
            (PartKind::Account, Decision::Allow) => "the account's own resource: no policy needed",
            (PartKind::Account, _) => "not the account's own resource",
            (PartKind::Session, _) => "no statement of the session policy applies",
            (PartKind::Identity, _) => "no statement of the identity policies applies",
            (PartKind::Resource, _) => {
                "no statement of the resource policy applies (a resource of another account without one admits nobody)"
            }
            (PartKind::Trust, _) => "no statement of the trust policy applies",
        })
        .collect()
}
