//! The project reads and removal: `GetProject`, `ListProject`,
//! `DeleteProject` (`CreateProject` is with the Logstore APIs).

use serde_json::json;

use crate::ram::Identity;

use super::error::LogError;
use super::service::{LogService, Traced};

impl LogService {
    /// `GetProject`: whether `project` exists, for a caller allowed
    /// `log:GetProject` on it.
    pub fn get_project(&self, caller: &Identity, project: &str) -> Result<(), LogError> {
        self.get_project_traced(caller, project).outcome
    }

    /// `GetProject`, with its chain.
    pub fn get_project_traced(&self, caller: &Identity, project: &str) -> Traced<()> {
        self.shared.unaudited(self.request(), |s, op| {
            s.authorize(op, caller, "log:GetProject", &s.project_arn(project))?;
            if s.catalog.snapshot().projects.contains_key(project) {
                Ok(())
            } else {
                Err(LogError::ProjectNotExist(project.to_string()))
            }
        })
    }

    /// `ListProject`: every project's name, in order.
    pub fn list_projects(&self, caller: &Identity) -> Result<Vec<String>, LogError> {
        self.list_projects_traced(caller).outcome
    }

    /// `ListProject`, with its chain.
    pub fn list_projects_traced(&self, caller: &Identity) -> Traced<Vec<String>> {
        self.shared.unaudited(self.request(), |s, op| {
            s.authorize(op, caller, "log:ListProject", &s.project_arn("*"))?;
            Ok(s.catalog.snapshot().projects.keys().cloned().collect())
        })
    }

    /// `DeleteProject`. Only an empty project is deleted: ramgate refuses
    /// to drop Logstores (and their keys) as a side effect, so their
    /// deletions are each audited on their own.
    pub fn delete_project(&self, caller: &Identity, project: &str) -> Result<(), LogError> {
        self.delete_project_traced(caller, project).outcome
    }

    /// `DeleteProject`, with its chain.
    pub fn delete_project_traced(&self, caller: &Identity, project: &str) -> Traced<()> {
        let target = json!({"project": project});
        self.shared
            .audited(self.request(), "delete_project", caller, target, |s, op| {
                s.authorize(op, caller, "log:DeleteProject", &s.project_arn(project))?;
                s.catalog.update(&s.kms, |m| {
                    let p = m
                        .projects
                        .get(project)
                        .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?;
                    if let Some(first) = p.logstores.keys().next() {
                        return Err(LogError::ParameterInvalid(format!(
                            "the project `{project}` still holds Logstores (`{first}` first): delete them before the project"
                        )));
                    }
                    m.projects.remove(project);
                    Ok(())
                })?;
                Ok(((), json!({}), None))
            })
    }
}
