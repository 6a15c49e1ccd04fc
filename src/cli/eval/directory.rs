//! `ramgate eval --directory`: ask the way RAM would answer, for an identity
//! of a directory, and print the decision chain.

use std::fmt::Write as _;
use std::path::Path;

use crate::authz::{Decision, Request};
use crate::policy::PolicyKind;
use crate::ram::{
    ASSUME_ROLE, Access, Clock, DecisionChain, Directory, Identity, PASS_ROLE, PolicyDocument, Ram,
    RamError, RoleSession, SERVICE_KEY, SystemClock, parse_role_arn,
};

use super::super::chain::{Request as StepRequest, step_lines};
use super::super::data::{parse_identity, session_expiration};
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
                outln!(
                    "ImplicitDeny: {}",
                    crate::terminal::escape_lines(&e.to_string())
                );
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
        FormatArg::Text => out!(
            "{}",
            crate::terminal::escape_lines(&render(&request, &identity, &chain, args.trace))
        ),
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
    let identity = match (&args.as_identity, &request.principal) {
        (Some(text), _) => parse_identity(text, clock).map_err(failure)?,
        (None, Some(p)) => {
            Identity::from_principal(p.clone(), session_expiration(clock)).map_err(failure)?
        }
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
    outln!(
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
        step_lines(&mut out, step, StepRequest::Omitted);
        if trace {
            for s in &step.trace.statements {
                explain(&mut out, s);
            }
        }
    }
    out
}
