//! What the analysis reads: a RAM directory and, from a data directory, the
//! Logstores' `encrypt_conf` and the CMKs' states.
//!
//! [`read_data_dir`] is the one place that knows a data directory's
//! layout. It reads the files as they are, takes no lock and writes
//! nothing, so it works while a server owns the directory; when the storage
//! layer gives a read-only opening of its own, this is the function to
//! repoint.

use std::path::Path;

use crate::kms::{KeyMetadata, KeyState};
use crate::logstore::EncryptConf;
use crate::logstore::meta::Meta;
use crate::ram::Directory;

use super::error::AccessError;

/// A Logstore as the analysis sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogstoreFacts {
    /// The project.
    pub project: String,
    /// The Logstore name.
    pub name: String,
    /// Its encryption settings, once configured.
    pub encrypt_conf: Option<EncryptConf>,
}

/// A CMK as the analysis sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key id.
    pub id: String,
    /// `acs:kms:<region>:<account>:key/<id>`.
    pub arn: String,
    /// Its state.
    pub state: KeyState,
}

/// Everything an analysis looks at, read once.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The RAM directory.
    pub directory: Directory,
    /// The account a data directory emulates (`None` for a directory file).
    pub account: Option<String>,
    /// Its region.
    pub region: Option<String>,
    /// The Logstores.
    pub logstores: Vec<LogstoreFacts>,
    /// The CMKs.
    pub keys: Vec<KeyFacts>,
}

impl Snapshot {
    /// A snapshot of a directory file: RAM only.
    pub fn of_directory(directory: Directory) -> Snapshot {
        Snapshot {
            directory,
            ..Snapshot::default()
        }
    }

    /// Every resource ARN the snapshot knows: users, groups, roles and
    /// custom policies of every account, projects and Logstores, CMKs.
    pub fn resources(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in self.directory.accounts() {
            let uid = a.uid();
            out.extend(
                a.users()
                    .map(|u| format!("acs:ram::{uid}:user/{}", u.name())),
            );
            out.extend(
                a.groups()
                    .map(|g| format!("acs:ram::{uid}:group/{}", g.name())),
            );
            out.extend(a.roles().map(|r| r.arn()));
            out.extend(
                a.policies()
                    .map(|p| format!("acs:ram::{uid}:policy/{}", p.name())),
            );
        }
        if let (Some(account), Some(region)) = (&self.account, &self.region) {
            let mut projects: Vec<&str> =
                self.logstores.iter().map(|l| l.project.as_str()).collect();
            projects.dedup();
            for p in projects {
                out.push(project_arn(region, account, p));
            }
            for l in &self.logstores {
                out.push(logstore_arn(region, account, &l.project, &l.name));
            }
        }
        out.extend(self.keys.iter().map(|k| k.arn.clone()));
        out
    }

    /// A Logstore.
    pub fn logstore(&self, project: &str, name: &str) -> Option<&LogstoreFacts> {
        self.logstores
            .iter()
            .find(|l| l.project == project && l.name == name)
    }

    /// A CMK by id.
    pub fn key(&self, id: &str) -> Option<&KeyFacts> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// `acs:log:<region>:<uid>:project/<p>`.
pub fn project_arn(region: &str, account: &str, project: &str) -> String {
    format!("acs:log:{region}:{account}:project/{project}")
}

/// `acs:log:<region>:<uid>:project/<p>/logstore/<l>`.
pub fn logstore_arn(region: &str, account: &str, project: &str, logstore: &str) -> String {
    format!(
        "{}/logstore/{logstore}",
        project_arn(region, account, project)
    )
}

/// Reads a data directory without a lock and without writing: `cloud.json`
/// (account, region), `ram.json` through [`Directory::load`],
/// `logstores.json` through `Meta::load`, and the CMKs' metadata from
/// `kms/keys.json` (the public [`KeyMetadata`] of each key; the sealed
/// material is not looked at and the root key is not needed).
pub fn read_data_dir(dir: &Path) -> Result<Snapshot, AccessError> {
    let data_dir = |path: &Path, message: String| AccessError::DataDir {
        path: path.display().to_string(),
        message,
    };
    let cloud_path = dir.join("cloud.json");
    let cloud: serde_json::Value = read_json(&cloud_path)?;
    let field = |name: &str| {
        cloud
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| data_dir(&cloud_path, format!("no `{name}` field")))
    };
    let (account, region) = (field("account")?, field("region")?);
    let directory = Directory::load(&dir.join("ram.json"))?;
    let meta = Meta::load(dir).map_err(|e| data_dir(&dir.join("logstores.json"), e.to_string()))?;
    let logstores = meta
        .projects
        .iter()
        .flat_map(|(p, pm)| {
            pm.logstores.iter().map(move |(l, lm)| LogstoreFacts {
                project: p.clone(),
                name: l.clone(),
                encrypt_conf: lm.encrypt_conf.clone(),
            })
        })
        .collect();
    let keys_path = dir.join("kms").join("keys.json");
    let keys = if keys_path.exists() {
        let store: serde_json::Value = read_json(&keys_path)?;
        let list = store
            .get("keys")
            .and_then(|k| k.as_array())
            .cloned()
            .unwrap_or_default();
        let mut keys = Vec::with_capacity(list.len());
        for k in list {
            let m: KeyMetadata =
                serde_json::from_value(k.get("metadata").cloned().unwrap_or_default())
                    .map_err(|e| data_dir(&keys_path, e.to_string()))?;
            keys.push(KeyFacts {
                id: m.key_id.to_string(),
                arn: m.arn,
                state: m.key_state,
            });
        }
        keys
    } else {
        Vec::new()
    };
    Ok(Snapshot {
        directory,
        account: Some(account),
        region: Some(region),
        logstores,
        keys,
    })
}

fn read_json(path: &Path) -> Result<serde_json::Value, AccessError> {
    let text = std::fs::read_to_string(path).map_err(|e| AccessError::DataDir {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| AccessError::DataDir {
        path: format!("{}:{}:{}", path.display(), e.line(), e.column()),
        message: e.to_string(),
    })
}
