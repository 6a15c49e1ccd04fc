//! `CreateProject`, `GetProject`, `ListProject`, `DeleteProject`.
//!
//! ramgate keeps no description or times for a project: `GetProject`
//! answers the keys the SDK indexes (`status`, `description`,
//! `projectName`, `region`, `owner`, `createTime`, `lastModifyTime`) with
//! an empty description and times of 0.

use serde_json::{Value, json};

use super::{Failure, SlsRequest, outcome};
use crate::server::http::front::Answer;

/// `POST /`: the project in `Host`, or the body's `projectName` when the
/// request names none; the two must agree when both are given.
pub fn create(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let body = request.json_body()?;
    let named = body.get("projectName").and_then(Value::as_str);
    let project = match (request.project, named) {
        (Some(host), Some(body)) if host != body => {
            return Err(Failure::invalid(
                "ParameterInvalid",
                format!(
                    "`projectName` `{body}` is not the project `{host}` the `Host` header names"
                ),
            ));
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => return Err(Failure::no_project()),
    };
    outcome(
        request
            .service
            .create_project_traced(request.caller, project),
    )?;
    Ok(Answer::empty())
}

fn describe(request: &SlsRequest<'_>, project: &str) -> Value {
    json!({
        "projectName": project,
        "status": "Normal",
        "description": "",
        "region": request.service.region(),
        "owner": request.service.account(),
        "createTime": "0",
        "lastModifyTime": "0",
        "resourceGroupId": "",
        "dataRedundancyType": "LRS",
    })
}

/// `GET /` with a project.
pub fn get(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let project = request.project()?;
    outcome(request.service.get_project_traced(request.caller, project))?;
    Ok(Answer::json(200, &describe(request, project)))
}

/// `GET /` without one: `{count, total, projects}`, paged by `offset` and
/// `size` (default 100).
pub fn list(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let names = outcome(request.service.list_projects_traced(request.caller))?;
    let (offset, size) = super::logstore::paging(request)?;
    let page: Vec<Value> = names
        .iter()
        .skip(offset)
        .take(size)
        .map(|p| describe(request, p))
        .collect();
    Ok(Answer::json(
        200,
        &json!({"count": page.len(), "total": names.len(), "projects": page}),
    ))
}

/// `DELETE /`.
pub fn delete(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let project = request.project()?;
    outcome(
        request
            .service
            .delete_project_traced(request.caller, project),
    )?;
    Ok(Answer::empty())
}
