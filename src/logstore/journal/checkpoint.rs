//! Checkpoints: a full journal file retired once the files it touched are
//! synced, and kept as the spare that the next one is (the module docs of
//! `journal`).

use std::fs::File;
use std::path::Path;
use std::sync::PoisonError;

use crate::durable::{create_private_file, open_private_file, sync_dir};

use super::super::error::LogError;
use super::{Era, Journal, SPARE, Tail, file_name};

/// The journal files waiting for their checkpoint (oldest first), whether
/// one is running, and whether a spare is kept.
#[derive(Debug, Default)]
pub(super) struct Retired {
    pub(super) eras: std::collections::VecDeque<Era>,
    running: bool,
    spare: bool,
}

impl Journal {
    /// Begins journal file number `tail`'s + 1 (the spare, when there is
    /// one) and retires `tail`'s for its checkpoint.
    pub(super) fn rotate(&self, tail: Tail) -> Tail {
        let spare = std::mem::take(&mut self.retired().spare);
        match new_era(&self.dir, tail.era.number + 1, self.durable, spare) {
            Ok((era, file)) => {
                self.retired().eras.push_back(tail.era);
                Tail { file, end: 0, era }
            }
            Err(_) => tail,
        }
    }

    /// Begins a new journal file and checkpoints every older one whose
    /// parts are all applied: what a clean restart does first
    /// ([`crate::logstore::LogService::reopen`]).
    pub(crate) fn checkpoint_now(&self) {
        let mut st = self.state();
        let tail = loop {
            match st.tail.take() {
                Some(t) => break t,
                None => {
                    st.tail_wanted += 1;
                    st = self
                        .changed
                        .wait(st)
                        .unwrap_or_else(PoisonError::into_inner);
                    st.tail_wanted -= 1;
                }
            }
        };
        drop(st);
        let tail = self.rotate(tail);
        let mut st = self.state();
        st.tail = Some(tail);
        if let Some(next) = st.queue.first() {
            next.waiter.unpark();
        }
        let wanted = st.tail_wanted > 0;
        drop(st);
        if wanted {
            self.changed.notify_all(); // another call waits for the file
        }
        self.checkpoint();
    }

    /// Checkpoints the retired journal files whose every part is applied,
    /// oldest first, stopping at the first that must stay: the files they
    /// touched are synced, then the journal file becomes the spare (or is
    /// removed). One caller at a time, with no lock held across its syncs;
    /// a sync that fails keeps the file, and recovery applies it again.
    pub(super) fn checkpoint(&self) {
        let mut retired = self.retired();
        if retired.running {
            return;
        }
        retired.running = true;
        loop {
            let Some(era) = retired.eras.pop_front() else {
                break;
            };
            drop(retired);
            let done = self.retire(&era);
            retired = self.retired();
            match done {
                Some(spare) => retired.spare |= spare,
                None => {
                    retired.eras.push_front(era);
                    break;
                }
            }
        }
        retired.running = false;
    }

    /// Syncs what journal file `era` touched and retires it (module docs):
    /// `Some(true)` when it became the spare, `None` when it must stay.
    fn retire(&self, era: &Era) -> Option<bool> {
        if era.dirty.iter().any(|a| a.holds_era(era.number)) {
            return None;
        }
        if self.durable && era.dirty.iter().any(|a| a.sync().is_err()) {
            return None;
        }
        let spare = self.dir.join(SPARE);
        // Kept only when written to the full size (so that writing it over
        // changes no metadata) and no spare is kept yet.
        let have_spare = self.retired().spare; // (its guard gone before the I/O)
        let keep = !have_spare && std::fs::metadata(&era.path).is_ok_and(|m| m.len() >= self.limit);
        let gone = if keep {
            std::fs::rename(&era.path, &spare)
        } else {
            std::fs::remove_file(&era.path)
        };
        if gone.is_err() {
            return None;
        }
        if self.durable {
            let _ = sync_dir(&self.dir);
        }
        Some(keep)
    }
}

/// Makes journal file `number`, its name durable: the spare renamed when
/// `spare` is set (module docs), else a new file.
pub(super) fn new_era(
    dir: &Path,
    number: u64,
    durable: bool,
    spare: bool,
) -> Result<(Era, File), LogError> {
    let path = dir.join(file_name(number));
    let reused = spare
        .then(|| {
            std::fs::rename(dir.join(SPARE), &path).and_then(|()| open_private_file(&path, false))
        })
        .and_then(Result::ok);
    let file = match reused {
        Some(file) => file,
        None => {
            // A rename that worked and an open that did not leave a file.
            let _ = std::fs::remove_file(&path);
            create_private_file(&path).map_err(|e| LogError::io(&path, "create", e))?
        }
    };
    if durable {
        sync_dir(dir).map_err(|e| LogError::io(dir, "sync", e))?;
    }
    let era = Era {
        number,
        path,
        dirty: Vec::new(),
    };
    Ok((era, file))
}
