//! STS 2015-04-01 over POP: `AssumeRole` (§4.6) through
//! [`crate::ram::Ram::assume_role`], its credentials issued by the
//! credential store, and `GetCallerIdentity`.

use serde_json::{Value, json};

use crate::logstore::AuditedCall;
use crate::ram::{AssumeRoleRequest, Identity, Ram, RamError};

use super::super::credentials::Credentials;
use super::{Params, PopCall, PopFailure, entity_id, rfc3339};

/// The answer of `action`, or `None` when STS has no such action.
pub(super) fn handle(
    audit: &AuditedCall<'_>,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
    params: &Params<'_>,
) -> Option<Result<Value, PopFailure>> {
    Some(match call.action {
        "AssumeRole" => assume_role(audit, credentials, call, params),
        "GetCallerIdentity" => Ok(caller_identity(call.caller)),
        _ => return None,
    })
}

/// Issues a session: the caller's policies and the role's trust policy
/// decide (steps `assume-role.identity` and `assume-role.trust`, with the
/// request's context), then the store seals the session into its token.
fn assume_role(
    audit: &AuditedCall<'_>,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
    params: &Params<'_>,
) -> Result<Value, PopFailure> {
    let role_arn = params.required("RoleArn")?;
    let session_name = params.required("RoleSessionName")?;
    let mut request = AssumeRoleRequest::new(role_arn, session_name);
    if params.get("DurationSeconds").is_some() {
        request = request.with_duration(params.number("DurationSeconds", 0)?);
    }
    let policy = params.get("Policy");
    if let Some(p) = policy {
        request = request.with_policy(p);
    }
    request.context = call.context.clone();
    let store = credentials.store().ok_or_else(|| {
        PopFailure::new(
            400,
            "NotSupported",
            "this endpoint's credentials cannot issue STS sessions",
        )
    })?;
    let directory = audit.directory();
    let assumed = Ram::new(&directory.directory, audit.service().clock())
        .assume_role(call.caller, &request)
        .inspect_err(|e| {
            if let RamError::NoPermission(denied) = e {
                audit.record(denied.steps.iter().cloned());
            }
        })?;
    audit.record(assumed.steps);
    let session = assumed.session;
    let issued = store.issue_session(&session, policy)?;
    let role_id = entity_id("role", &session.role_arn().to_ascii_lowercase());
    let mut answer = json!({
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "AccessKeySecret": issued.secret.as_str(),
            "SecurityToken": issued.security_token.as_str(),
            "Expiration": rfc3339(issued.expiration),
        },
        "AssumedRoleUser": {
            "Arn": session.arn(),
            "AssumedRoleId": format!("{role_id}:{}", session.name()),
        },
    });
    if let (Some(source), Some(o)) = (params.get("SourceIdentity"), answer.as_object_mut()) {
        o.insert("SourceIdentity".into(), json!(source));
    }
    Ok(answer)
}

/// Who the caller is; every identity may ask (no authorization, as STS).
fn caller_identity(caller: &Identity) -> Value {
    let arn = caller.to_string();
    match caller {
        Identity::Account { uid } => json!({
            "AccountId": uid, "UserId": uid, "PrincipalId": uid,
            "Arn": arn, "IdentityType": "Account",
        }),
        Identity::User { account, .. } => {
            let id = entity_id("user", &arn);
            json!({
                "AccountId": account, "UserId": id, "PrincipalId": id,
                "Arn": arn, "IdentityType": "RAMUser",
            })
        }
        Identity::RoleSession(s) => {
            let role_id = entity_id("role", &s.role_arn().to_ascii_lowercase());
            json!({
                "AccountId": s.account(), "RoleId": role_id,
                "PrincipalId": format!("{role_id}:{}", s.name()),
                "Arn": arn, "IdentityType": "AssumedRoleUser",
            })
        }
        other => json!({
            "AccountId": other.account().unwrap_or_default(),
            "Arn": arn, "IdentityType": "Service",
        }),
    }
}
