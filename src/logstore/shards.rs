//! The open segments of a data directory, one per shard of each Logstore
//! incarnation, shared by every thread of the owner.
//!
//! A Logstore's blocks live under `data/<project>/<logstore>/<incarnation>/`
//! (D8: a Logstore made again under an old name gets a new incarnation and
//! never sees the old one's blocks); Logstores made before incarnations
//! existed keep `data/<project>/<logstore>/`.
//!
//! Lock order: the map's mutex comes after the catalog's and before a
//! segment's own. It is held while a segment is opened for the first time
//! (its header scan and recovery: once per shard per run), so that no two
//! threads ever recover the same file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::durable::{create_private_dir, sync_dir};

use super::error::LogError;
use super::segment::Segment;

/// Which shard of which Logstore incarnation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ShardKey {
    pub(crate) project: String,
    pub(crate) logstore: String,
    pub(crate) incarnation: Option<String>,
    pub(crate) shard: u32,
}

/// The open segments.
#[derive(Debug)]
pub(crate) struct Shards {
    data: PathBuf,
    durable: bool,
    open: Mutex<HashMap<ShardKey, Arc<Segment>>>,
}

impl Shards {
    pub(crate) fn new(data: &Path, durable: bool) -> Shards {
        Shards {
            data: data.to_path_buf(),
            durable,
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

    /// The segment of a shard; made (durably: D9) when `create`, else
    /// `None` for a shard never written (reads make no files).
    pub(crate) fn get(
        &self,
        key: &ShardKey,
        create: bool,
    ) -> Result<Option<Arc<Segment>>, LogError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = open.get(key) {
            return Ok(Some(s.clone()));
        }
        let folder = self.folder(&key.project, &key.logstore, key.incarnation.as_deref());
        let path = segment_file(&folder, key.shard);
        let exists = path.symlink_metadata().is_ok();
        if !exists && !create {
            return Ok(None);
        }
        if !exists {
            make_durable_folder(&self.data, &folder)?;
        }
        let Some(segment) = Segment::open(&path, self.durable, create)? else {
            return Ok(None);
        };
        if !exists && self.durable {
            // The new file's name is durable before its first block is
            // acknowledged.
            sync_dir(&folder).map_err(|e| LogError::io(&folder, "sync", e))?;
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

/// Makes `folder` (under `root`) and every missing folder above it, each
/// new name made durable by an `fsync` of its parent (D9).
fn make_durable_folder(root: &Path, folder: &Path) -> Result<(), LogError> {
    let mut missing = Vec::new();
    let mut at = folder;
    while at.symlink_metadata().is_err() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(p) if p.starts_with(root) || p == root => at = p,
            _ => break,
        }
    }
    for dir in missing.iter().rev() {
        create_private_dir(dir).map_err(|e| LogError::io(dir, "create", e))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent).map_err(|e| LogError::io(parent, "sync", e))?;
        }
    }
    Ok(())
}
