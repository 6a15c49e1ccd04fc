//! The appender's tests: unique indices, durable commits, failures, and
//! journaled runs.

use super::*;
use crate::durable::fault;
use std::sync::Arc;

fn appender(d: &tempfile::TempDir, name: &str) -> Arc<Appender> {
    let path = d.path().join(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Appender::new(
        &path,
        file,
        Mode::Direct { fsync: true },
        Some(Vec::new()),
        0,
        0,
        String::new(),
    ))
}

#[test]
fn many_writers_get_unique_indices_and_every_commit_is_durable() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let a = appender(&d, "f");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let a = a.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        let bytes = format!("{t:02}{i:03}\n").into_bytes();
                        let slot = a
                            .reserve(bytes.len() as u64)
                            .unwrap_or_else(|e| panic!("{e}"));
                        a.write(slot, &bytes).unwrap_or_else(|e| panic!("{e}"));
                        a.commit(slot.index).unwrap_or_else(|e| panic!("{e}"));
                        slot.index
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap_or_default())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..400).collect::<Vec<_>>());
    assert_eq!(a.durable_len(), 400);
    let text = std::fs::read_to_string(a.path()).unwrap_or_default();
    assert_eq!(text.lines().count(), 400);
}

#[test]
fn a_failed_sync_refuses_what_it_covered_and_cuts_it_away() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let a = appender(&d, "doomed-sync");
    let slot = a.reserve(3).unwrap_or_else(|e| panic!("{e}"));
    a.write(slot, b"one").unwrap_or_else(|e| panic!("{e}"));
    a.commit(slot.index).unwrap_or_else(|e| panic!("{e}"));
    fault::arm("doomed-sync");
    let slot = a.reserve(3).unwrap_or_else(|e| panic!("{e}"));
    a.write(slot, b"two").unwrap_or_else(|e| panic!("{e}"));
    let refused = a.commit(slot.index);
    fault::disarm("doomed-sync");
    assert!(refused.is_err());
    assert!(a.reserve(1).is_err(), "appends stop");
    assert_eq!(a.durable_len(), 1);
    assert_eq!(std::fs::read(a.path()).ok(), Some(b"one".to_vec()));
}

#[test]
fn a_journaled_run_is_applied_in_order_and_a_record_of_the_wrong_length_stops_it() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("journaled");
    let file = crate::durable::open_private_file(&path, true).unwrap_or_else(|e| panic!("{e}"));
    let a = Appender::new(&path, file, Mode::Journal, None, 0, 0, String::new());
    let slots: Vec<Slot> = (0..4)
        .map(|_| a.reserve(3).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    // Staged out of order: nothing is written until the first is there,
    // then the three make one run.
    a.stage(slots[2], b"ccc".to_vec(), 1);
    a.stage(slots[1], b"bbb".to_vec(), 1);
    a.apply();
    assert_eq!(a.durable_len(), 0);
    assert!(a.holds_era(1));
    a.stage(slots[0], b"aaa".to_vec(), 1);
    a.apply();
    assert_eq!(a.durable_len(), 3);
    assert!(!a.holds_era(1));
    // A record that is not its slot's length would shift every later
    // one in a run: it is refused, and so are appends after it.
    a.stage(slots[3], b"dddd".to_vec(), 2);
    a.apply();
    assert_eq!(a.durable_len(), 3);
    assert!(a.commit(slots[3].index).is_err());
    assert!(a.reserve(1).is_err());
    assert_eq!(std::fs::read(&path).ok(), Some(b"aaabbbccc".to_vec()));
}
