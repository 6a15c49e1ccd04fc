//! The open shards of a data directory (each a run of segments,
//! `shard.rs`), one per shard of each Logstore incarnation, shared by
//! every thread of the owner.
//!
//! A Logstore's blocks live under `data/<project>/<logstore>/<incarnation>/`
//! (D8: a Logstore made again under an old name gets a new incarnation and
//! never sees the old one's blocks); Logstores made before incarnations
//! existed keep `data/<project>/<logstore>/`.
//!
//! Lock order: the map's mutex comes after the catalog's and before a
//! shard's own. It is held while a shard is opened for the first time
//! (its segments' header scans and recovery: once per shard per run), so
//! that no two threads ever recover the same file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::durable::{create_private_dir, sync_dir};

use super::commit::Mode;
use super::error::LogError;
use super::shard::{Shard, segment_files};

/// Which shard of which Logstore incarnation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ShardKey {
    pub(crate) project: String,
    pub(crate) logstore: String,
    pub(crate) incarnation: Option<String>,
    pub(crate) shard: u32,
}

/// The open shards (their blocks durable through the journal).
#[derive(Debug)]
pub(crate) struct Shards {
    data: PathBuf,
    durable: bool,
    /// The size at which a shard's segment is full.
    segment_bytes: u64,
    open: Mutex<HashMap<ShardKey, Arc<Shard>>>,
}

impl Shards {
    pub(crate) fn new(data: &Path, durable: bool, segment_bytes: u64) -> Shards {
        Shards {
            data: data.to_path_buf(),
            durable,
            segment_bytes,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The folder of a Logstore incarnation's segments.
    pub(crate) fn folder(
        &self,
        project: &str,
        logstore: &str,
        incarnation: Option<&str>,
    ) -> PathBuf {
        let base = self.data.join(project).join(logstore);
        match incarnation {
            Some(i) => base.join(i),
            None => base,
        }
    }

    /// A shard; its first segment made (durably: D9) when `create`, else
    /// `None` for a shard never written (reads make no files).
    pub(crate) fn get(&self, key: &ShardKey, create: bool) -> Result<Option<Arc<Shard>>, LogError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = open.get(key) {
            return Ok(Some(s.clone()));
        }
        let folder = self.folder(&key.project, &key.logstore, key.incarnation.as_deref());
        let exists = !segment_files(&folder, key.shard)?.is_empty();
        if !exists && !create {
            return Ok(None);
        }
        if !exists {
            create_private_dir(&folder).map_err(|e| LogError::io(&folder, "create", e))?;
        }
        let Some(segment) = Shard::open(
            &folder,
            key.shard,
            self.durable,
            Mode::Journal,
            self.segment_bytes,
            create,
        )?
        else {
            return Ok(None);
        };
        if self.durable && (!exists || segment.end() == 0) {
            // The new file's name, and every folder above it up to the data
            // directory, are durable before its first block is acknowledged
            // (D9). An empty segment is synced again at its first open, so
            // a retry after a failed sync syncs again.
            let top = self.data.parent().unwrap_or(&self.data);
            let mut at = Some(folder.as_path());
            while let Some(dir) = at {
                sync_dir(dir).map_err(|e| LogError::io(dir, "sync", e))?;
                at = dir.parent().filter(|_| dir != top);
            }
        }
        let segment = Arc::new(segment);
        open.insert(key.clone(), segment.clone());
        Ok(Some(segment))
    }

    /// Forgets every open segment of a Logstore (it is being deleted).
    pub(crate) fn forget(&self, project: &str, logstore: &str) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|k, _| !(k.project == project && k.logstore == logstore));
    }
}

/// The folder of a Logstore incarnation's segments under `data/`.
pub(crate) fn logstore_folder(
    data: &Path,
    project: &str,
    logstore: &str,
    incarnation: Option<&str>,
) -> PathBuf {
    let base = data.join(project).join(logstore);
    match incarnation {
        Some(i) => base.join(i),
        None => base,
    }
}

/// A shard's segment file in its folder.
pub(crate) fn segment_file(folder: &Path, shard: u32) -> PathBuf {
    folder.join(format!("shard-{shard}.seg"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::durable::fault;
    use crate::kms::{ManualClock, RootKeySource};
    use crate::logstore::{Log, LogGroup, LogService, LogstoreConfig, Options};
    use crate::ram::Identity;

    #[test]
    fn d9_a_new_shard_is_acknowledged_only_once_its_folders_are_durable() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clock = Arc::new(ManualClock::new(
            time::macros::datetime!(2026-12-01 08:00 UTC),
        ));
        let options = Options {
            root_key: RootKeySource::data_dir(),
            ..Options::default()
        };
        let svc = LogService::init(d.path(), "1234567890123456", "cn-hangzhou", clock, options)
            .unwrap_or_else(|e| panic!("{e}"));
        let root = Identity::Account {
            uid: "1234567890123456".into(),
        };
        svc.create_project(&root, "d9proj")
            .unwrap_or_else(|e| panic!("{e}"));
        let config = LogstoreConfig {
            ttl: None,
            name: "d9store".into(),
            shard_count: 1,
            encrypt_conf: None,
        };
        svc.create_logstore(&root, "d9proj", &config)
            .unwrap_or_else(|e| panic!("{e}"));
        let group = LogGroup {
            topic: "t".into(),
            source: String::new(),
            tags: vec![],
            logs: vec![Log {
                time: 1,
                contents: vec![],
            }],
        };
        // The project's folder (new with the first segment) cannot be made
        // durable: the write is refused, not acknowledged.
        fault::arm("data/d9proj");
        let refused = svc.put_logs(&root, "d9proj", "d9store", Some(0), &group);
        assert!(refused.is_err());
        let retried = svc.put_logs(&root, "d9proj", "d9store", Some(0), &group);
        assert!(retried.is_err(), "a retry syncs again");
        fault::disarm("data/d9proj");
        let pulled = svc
            .pull_logs(&root, "d9proj", "d9store", 0, 0, 10)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(pulled.groups.is_empty());
        // Once the sync works, the same shard is written and read.
        let again = svc.put_logs(&root, "d9proj", "d9store", Some(0), &group);
        assert_eq!(again.ok().map(|r| r.seq), Some(0));
    }
}
