//! The bound the disk itself sets on group commit: a bare leader/follower
//! journal, nothing but `pwrite` and `fdatasync` of fixed-size records on
//! one file written over in circles (as ramgate's recycled journal file
//! is), with no engine, no CPU work and no checkpoint. Its 8-thread ÷
//! 1-thread ratio, beside ramgate's in the same run, says how much of a
//! shortfall is the engine's and how much the disk's: group commit pays
//! off as far as an `fdatasync` costs the same whatever it carries, and on
//! a disk whose sync time grows with the bytes (a virtual disk behind a
//! host's cache) it pays off less.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// The size of the file written over, as ramgate's journal file.
const LIMIT: u64 = 16 << 20;

/// The bare journal (module docs).
pub struct BareJournal {
    file: File,
    state: Mutex<State>,
    done: Condvar,
}

struct State {
    /// Records handed in and not yet written, end to end.
    queue: Vec<u8>,
    next_ticket: u64,
    /// Every ticket below this is durable.
    done: u64,
    /// Whether a leader is writing.
    writing: bool,
    /// Where the next batch goes.
    end: u64,
}

impl BareJournal {
    /// A journal file at `path`, written to its full size first, so that
    /// writing it over changes no metadata.
    pub fn create(path: &Path) -> BareJournal {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        file.write_all_at(&vec![0; LIMIT as usize], 0).unwrap();
        file.sync_all().unwrap();
        BareJournal {
            file,
            state: Mutex::new(State {
                queue: Vec::new(),
                next_ticket: 0,
                done: 0,
                writing: false,
                end: 0,
            }),
            done: Condvar::new(),
        }
    }

    /// Returns once `record` is durable: the first waiter that finds no
    /// write running writes every queued record in one `pwrite` and syncs
    /// once for all of them.
    pub fn commit(&self, record: &[u8]) {
        let mut st = self.state.lock().unwrap();
        st.queue.extend_from_slice(record);
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        loop {
            if ticket < st.done {
                return;
            }
            if st.writing {
                st = self.done.wait(st).unwrap();
                continue;
            }
            st.writing = true;
            let batch = std::mem::take(&mut st.queue);
            let last = st.next_ticket;
            let len = batch.len() as u64;
            let at = if st.end + len > LIMIT { 0 } else { st.end };
            drop(st);
            self.file.write_all_at(&batch, at).unwrap();
            self.file.sync_data().unwrap();
            st = self.state.lock().unwrap();
            st.end = at + len;
            st.done = last;
            st.writing = false;
            self.done.notify_all();
        }
    }
}
