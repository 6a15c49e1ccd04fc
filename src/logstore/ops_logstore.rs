//! The project and Logstore APIs: `CreateProject`, `CreateLogStore`,
//! `UpdateLogStore`, `GetLogStore`, `ListLogStores`, `DeleteLogStore`.

use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::ram::Identity;

use super::encrypt_conf::EncryptConf;
use super::error::LogError;
use super::keyring::algorithm_of;
use super::meta::{LogstoreMeta, PlaintextWindow, to_hex};
use super::model::{check_logstore_name, check_project_name, check_shard_count, check_ttl};
use super::op::Op;
use super::service::{DEFAULT_TTL_DAYS, LogService, LogstoreConfig, LogstoreInfo, Shared, Traced};

/// A fresh incarnation id: 16 random bytes, hex.
fn new_incarnation() -> Result<String, LogError> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|source| LogError::Random { source })?;
    Ok(to_hex(&id))
}

impl LogService {
    /// `CreateProject`.
    pub fn create_project(&self, caller: &Identity, project: &str) -> Result<(), LogError> {
        self.create_project_traced(caller, project).outcome
    }

    /// `CreateProject`, with its chain.
    pub fn create_project_traced(&self, caller: &Identity, project: &str) -> Traced<()> {
        let target = json!({"project": project});
        self.shared
            .audited(self.request(), "create_project", caller, target, |s, op| {
                check_project_name(project)?;
                s.authorize(op, caller, "log:CreateProject", &s.project_arn(project))?;
                s.catalog.update(&s.kms, |m| {
                    if m.projects.contains_key(project) {
                        return Err(LogError::ProjectAlreadyExist(project.to_string()));
                    }
                    m.projects.insert(project.to_string(), Default::default());
                    Ok(())
                })?;
                Ok(((), json!({}), None))
            })
    }

    /// `CreateLogStore`, with the configuration chain when `encrypt_conf`
    /// asks for BYOK. Nothing is created unless every step allows.
    pub fn create_logstore(
        &self,
        caller: &Identity,
        project: &str,
        config: &LogstoreConfig,
    ) -> Result<(), LogError> {
        self.create_logstore_traced(caller, project, config).outcome
    }

    /// `CreateLogStore`, with its chain.
    pub fn create_logstore_traced(
        &self,
        caller: &Identity,
        project: &str,
        config: &LogstoreConfig,
    ) -> Traced<()> {
        let target = json!({"project": project, "logstore": config.name});
        self.shared.audited(
            self.request(),
            "create_logstore",
            caller,
            target,
            |s, op| {
                check_logstore_name(&config.name)?;
                check_shard_count(config.shard_count)?;
                if let Some(days) = config.ttl {
                    check_ttl(days)?;
                }
                if let Some(conf) = &config.encrypt_conf {
                    conf.encrypt_type()?;
                }
                s.authorize(
                    op,
                    caller,
                    "log:CreateLogStore",
                    &s.logstore_arn(project, &config.name),
                )?;
                let exists = |m: &super::meta::Meta| match m.projects.get(project) {
                    None => Err(LogError::ProjectNotExist(project.to_string())),
                    Some(p) if p.logstores.contains_key(&config.name) => {
                        Err(LogError::LogStoreAlreadyExist(config.name.clone()))
                    }
                    Some(_) => Ok(()),
                };
                exists(&s.catalog.snapshot())?;
                let incarnation = new_incarnation()?;
                let mut logstore = LogstoreMeta {
                    shard_count: config.shard_count,
                    encrypt_conf: None,
                    keys: Vec::new(),
                    integrity_key: Some(s.new_integrity_key(
                        project,
                        &config.name,
                        Some(&incarnation),
                    )?),
                    incarnation: Some(incarnation),
                    encryption_off_since: None,
                    plaintext_windows: Vec::new(),
                    ttl: config.ttl,
                };
                if let Some(conf) = &config.encrypt_conf {
                    s.configure(op, caller, project, &config.name, &mut logstore, conf)?;
                }
                if !logstore.encrypted() {
                    // Made without encryption: plaintext from its first
                    // block on, in every shard.
                    logstore.plaintext_windows.push(PlaintextWindow {
                        since: s.clock.now().format(&Rfc3339).unwrap_or_default(),
                        from: vec![0; config.shard_count as usize],
                        until: None,
                    });
                }
                s.catalog.update(&s.kms, |m| {
                    exists(m)?;
                    if let Some(p) = m.projects.get_mut(project) {
                        p.logstores.insert(config.name.clone(), logstore);
                    }
                    Ok(())
                })?;
                Ok(((), json!({"encrypt_conf": config.encrypt_conf}), None))
            },
        )
    }

    /// `UpdateLogStore`. An encrypted Logstore's update must carry its
    /// complete `encrypt_conf`, and only `enable` may change; switching BYOK
    /// on runs the configuration chain again. The shard count changes only
    /// by splitting and merging, which ramgate does not emulate. `ttl`
    /// (days, 1–3650) changes when given and different from the current
    /// one (the SDK sends it on every update, read from `GetLogStore`), in
    /// the same catalog write and audit record as the rest; segments
    /// already older than a shorter `ttl` go at the next expiry.
    pub fn update_logstore(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard_count: Option<u32>,
        encrypt_conf: Option<&EncryptConf>,
        ttl: Option<u32>,
    ) -> Result<(), LogError> {
        self.update_logstore_traced(caller, project, logstore, shard_count, encrypt_conf, ttl)
            .outcome
    }

    /// `UpdateLogStore`, with its chain.
    pub fn update_logstore_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard_count: Option<u32>,
        encrypt_conf: Option<&EncryptConf>,
        ttl: Option<u32>,
    ) -> Traced<()> {
        let target = json!({"project": project, "logstore": logstore});
        self.shared.audited(self.request(), "update_logstore", caller, target, |s, op| {
            if let Some(days) = ttl {
                check_ttl(days)?;
            }
            s.authorize(op, caller, "log:UpdateLogStore", &s.logstore_arn(project, logstore))?;
            let mut current = s.catalog.snapshot().logstore(project, logstore)?.clone();
            if shard_count.is_some_and(|n| n != current.shard_count) {
                return Err(LogError::ParameterInvalid(
                    "invalid shard count,you can only modify shardCount by split& merge shard.".to_string(),
                ));
            }
            match (&current.encrypt_conf, encrypt_conf) {
                (Some(_), None) => {
                    return Err(LogError::LogStoreInfoInvalid(
                        "The encrypt_conf is invalid, [encrypt_conf] key is missing: the Logstore is encrypted, and every update must carry the complete encrypt_conf"
                            .to_string(),
                    ));
                }
                (None, None) => {}
                (None, Some(conf)) => {
                    conf.encrypt_type()?;
                    s.configure(op, caller, project, logstore, &mut current, conf)?;
                }
                (Some(old), Some(new)) => {
                    new.encrypt_type()?;
                    EncryptConf::check_update(old, new)?;
                    if let Some(info) = &new.user_cmk_info
                        && new.enable
                        && !old.enable
                    {
                        s.configuration_chain(op, caller, info)?;
                    }
                }
            }
            // S3: anyone allowed `log:UpdateLogStore` may switch encryption
            // off (Log Service's rule), so it is recorded as a security
            // event and `GetLogStore` says since when.
            let was_on = current.encrypt_conf.as_ref().is_some_and(|c| c.enable);
            let is_on = encrypt_conf.map_or(was_on, |c| c.enable);
            let switched_off = was_on && !is_on;
            let now = s.clock.now().format(&Rfc3339).unwrap_or_default();
            let ttl_changed = s.catalog.update(&s.kms, |m| {
                // Only the settings change; keys made meanwhile stay.
                let l = m.logstore_mut(project, logstore)?;
                if l.incarnation != current.incarnation {
                    return Err(LogError::LogStoreNotExist(logstore.to_string()));
                }
                if l.keys.is_empty() {
                    l.keys = current.keys;
                }
                let was_on_now = l.encrypted();
                l.encrypt_conf = encrypt_conf.cloned().or(current.encrypt_conf);
                s.switch_windows(project, logstore, l, was_on_now)?;
                if switched_off {
                    l.encryption_off_since = Some(now.clone());
                } else if is_on {
                    l.encryption_off_since = None;
                }
                // Compared with what `GetLogStore` shows: an unset ttl is
                // the default, and the SDK echoes it back.
                let ttl_changed = ttl.filter(|&days| l.ttl.unwrap_or(DEFAULT_TTL_DAYS) != days);
                if ttl_changed.is_some() {
                    l.ttl = ttl_changed;
                }
                Ok(ttl_changed)
            })?;
            let mut detail = json!({"encrypt_conf": encrypt_conf});
            if let Some(days) = ttl_changed {
                detail["ttl"] = json!(days);
            }
            if switched_off {
                detail["security_event"] = json!("encryption-disabled");
            }
            Ok(((), detail, None))
        })
    }

    /// `GetLogStore`: the settings, `encrypt_conf` echoed as sent.
    pub fn get_logstore(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Result<LogstoreInfo, LogError> {
        self.get_logstore_traced(caller, project, logstore).outcome
    }

    /// `GetLogStore`, with its chain.
    pub fn get_logstore_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Traced<LogstoreInfo> {
        self.shared.unaudited(self.request(), |s, op| {
            s.authorize(
                op,
                caller,
                "log:GetLogStore",
                &s.logstore_arn(project, logstore),
            )?;
            let meta = s.catalog.snapshot();
            let l = meta.logstore(project, logstore)?;
            Ok(LogstoreInfo {
                name: logstore.to_string(),
                shard_count: l.shard_count,
                encrypt_conf: l.encrypt_conf.clone(),
                encryption_off_since: l.encryption_off_since.clone(),
                ttl: l.ttl.unwrap_or(DEFAULT_TTL_DAYS),
            })
        })
    }

    /// `ListLogStores` of a project.
    pub fn list_logstores(
        &self,
        caller: &Identity,
        project: &str,
    ) -> Result<Vec<String>, LogError> {
        self.list_logstores_traced(caller, project).outcome
    }

    /// `ListLogStores`, with its chain.
    pub fn list_logstores_traced(&self, caller: &Identity, project: &str) -> Traced<Vec<String>> {
        self.shared.unaudited(self.request(), |s, op| {
            s.authorize(
                op,
                caller,
                "log:ListLogStores",
                &format!("{}/logstore/*", s.project_arn(project)),
            )?;
            let meta = s.catalog.snapshot();
            let p = meta
                .projects
                .get(project)
                .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?;
            Ok(p.logstores.keys().cloned().collect())
        })
    }

    /// `DeleteLogStore`: its settings, keys and data go. The metadata goes
    /// first; the data folder is then removed, and a removal that fails is
    /// reported with what is left (the Logstore itself is gone, and a new
    /// one of that name gets a new incarnation, so nothing comes back: D8,
    /// U4). `Ok(Some(what is left))` when the removal failed.
    pub fn delete_logstore(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Result<Option<String>, LogError> {
        self.delete_logstore_traced(caller, project, logstore)
            .outcome
    }

    /// `DeleteLogStore`, with its chain.
    pub fn delete_logstore_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
    ) -> Traced<Option<String>> {
        let target = json!({"project": project, "logstore": logstore});
        self.shared.audited(self.request(), "delete_logstore", caller, target, |s, op| {
            s.authorize(op, caller, "log:DeleteLogStore", &s.logstore_arn(project, logstore))?;
            let gone = s.catalog.update(&s.kms, |m| {
                m.logstore(project, logstore)?;
                let p = m
                    .projects
                    .get_mut(project)
                    .ok_or_else(|| LogError::ProjectNotExist(project.to_string()))?;
                Ok(p.logstores.remove(logstore))
            })?;
            s.shards.forget(project, logstore);
            let folder = s.shards.folder(
                project,
                logstore,
                gone.as_ref().and_then(|l| l.incarnation.as_deref()),
            );
            let left = match std::fs::remove_dir_all(&folder) {
                Ok(()) => None,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some(format!(
                    "the Logstore is deleted, but its data folder `{}` could not be removed ({e}): remove it by hand",
                    folder.display()
                )),
            };
            Ok((left.clone(), json!({"left": left}), None))
        })
    }
}

impl Shared {
    /// First configuration of encryption: the BYOK configuration chain, or
    /// a new service key wrapped under the root key.
    fn configure(
        &self,
        op: &mut Op,
        caller: &Identity,
        project: &str,
        logstore: &str,
        meta: &mut LogstoreMeta,
        conf: &EncryptConf,
    ) -> Result<(), LogError> {
        match &conf.user_cmk_info {
            Some(info) => self.configuration_chain(op, caller, info)?,
            None => {
                let algorithm = algorithm_of(conf.encrypt_type()?);
                let record = self.new_service_key(project, logstore, 0, algorithm)?;
                meta.keys.push(record);
            }
        }
        meta.encrypt_conf = Some(conf.clone());
        Ok(())
    }
}
