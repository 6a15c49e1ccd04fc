//! The journal's tests: group commit, order, recovery after a crash.

use super::recover::journal_files;
use super::*;
use crate::durable::fault;
use crate::logstore::commit::Mode;

fn root() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(d.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn appender(root: &Path, rel: &str) -> Arc<Appender> {
    let path = root.join(rel);
    let file = crate::durable::open_private_file(&path, true).unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Appender::new(
        &path,
        file,
        Mode::Journal,
        Some(Vec::new()),
        0,
        0,
        String::new(),
    ))
}

fn reserve(a: &Appender, bytes: &[u8]) -> Slot {
    a.reserve(bytes.len() as u64)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn part(a: &Arc<Appender>, slot: Slot, bytes: &[u8]) -> Part {
    Part {
        target: a.clone(),
        slot,
        bytes: bytes.to_vec(),
    }
}

fn open(root: &Path, durable: bool, limit: u64) -> Journal {
    Journal::open(root, durable, limit).unwrap_or_else(|e| panic!("{e}"))
}

/// Journals `bytes` as the next record of `a`, alone in its operation.
fn commit_one(journal: &Journal, a: &Arc<Appender>, bytes: &[u8]) -> Slot {
    let s = reserve(a, bytes);
    journal
        .commit(vec![part(a, s, bytes)])
        .unwrap_or_else(|e| panic!("{e}"));
    s
}

/// A shard's segment whose one record, `bytes`, was journaled by a process
/// that then died (its journal never closed, so never checkpointed).
fn crashed_after_one(root: &Path, bytes: &[u8]) -> Arc<Appender> {
    let journal = open(root, false, DEFAULT_JOURNAL_BYTES);
    let seg = appender(root, "data/shard-0.seg");
    commit_one(&journal, &seg, bytes);
    std::mem::forget(journal);
    seg
}

fn journal_files_of(root: &Path) -> usize {
    journal_files(&root.join(JOURNAL_DIR))
        .map(|f| f.len())
        .unwrap_or(0)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn an_operations_parts_are_applied_in_order_and_come_back_after_a_crash() {
    let d = root();
    let journal = open(d.path(), true, DEFAULT_JOURNAL_BYTES);
    let seg = appender(d.path(), "data/shard-0.seg");
    let audit = appender(d.path(), "audit.jsonl");
    let (s0, s1) = (reserve(&seg, b"block0"), reserve(&seg, b"block1"));
    let a0 = reserve(&audit, b"rec0\n");
    let a1 = reserve(&audit, b"rec1\n");
    // The second operation reaches the journal first: its block waits
    // in memory until the first one's is applied.
    journal
        .commit(vec![part(&seg, s1, b"block1"), part(&audit, a0, b"rec0\n")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seg.durable_len(), 0, "block 1 waits for block 0");
    assert_eq!(read(seg.path()), b"");
    journal
        .commit(vec![part(&seg, s0, b"block0"), part(&audit, a1, b"rec1\n")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seg.durable_len(), 2);
    assert_eq!(read(seg.path()), b"block0block1");
    assert_eq!(read(audit.path()), b"rec0\nrec1\n");
    // A crash that lost what the files held since their last sync: the
    // journal (never checkpointed: the process died) brings it back.
    std::mem::forget(journal);
    std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(audit.path(), b"rec0\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recover(d.path(), true).ok(), Some(2));
    assert_eq!(read(seg.path()), b"block0block1");
    assert_eq!(read(audit.path()), b"rec0\nrec1\n");
    assert_eq!(journal_files_of(d.path()), 0, "the journal is removed");
}

#[test]
fn a_part_beyond_a_gap_was_never_acknowledged_and_is_dropped() {
    let d = root();
    let journal = open(d.path(), false, DEFAULT_JOURNAL_BYTES);
    let seg = appender(d.path(), "data/shard-0.seg");
    let slots: Vec<Slot> = [b"aa", b"bb", b"cc"]
        .iter()
        .map(|b| reserve(&seg, *b))
        .collect();
    // Block 1's writer died before it reached the journal.
    for (i, bytes) in [(0, b"aa"), (2, b"cc")] {
        journal
            .commit(vec![part(&seg, slots[i], bytes)])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(read(seg.path()), b"aa");
    std::mem::forget(journal);
    std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
    recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read(seg.path()), b"aa", "block 2 follows a gap");
}

#[test]
fn d8_a_file_removed_since_is_not_made_again() {
    let d = root();
    let seg = crashed_after_one(d.path(), b"gone");
    std::fs::remove_file(seg.path()).unwrap_or_else(|e| panic!("{e}"));
    recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!seg.path().exists());
}

#[test]
fn a_torn_journal_tail_and_a_record_for_another_file_write_nothing() {
    let d = root();
    let journal = open(d.path(), false, DEFAULT_JOURNAL_BYTES);
    let seg = appender(d.path(), "data/shard-0.seg");
    // A hand-made record for a file the journal is never for.
    let meta = appender(d.path(), "logstores.json");
    let s = reserve(&seg, b"kept");
    let m = reserve(&meta, b"{\"forged\":true}");
    journal
        .commit(vec![
            part(&seg, s, b"kept"),
            part(&meta, m, b"{\"forged\":true}"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    std::mem::forget(journal);
    let files = journal_files(&d.path().join(JOURNAL_DIR)).unwrap_or_default();
    let (_, last) = files.last().cloned().unwrap_or_default();
    let mut bytes = read(&last);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(b"\x40\x00\x00\x00 half a record");
    std::fs::write(&last, bytes).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(meta.path(), b"{}").unwrap_or_else(|e| panic!("{e}"));
    recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read(seg.path()), b"kept");
    assert_eq!(read(meta.path()), b"{}", "only segments and the audit log");
}

#[test]
fn a_journal_of_another_format_version_is_refused_with_both_versions() {
    let d = root();
    let dir = d.path().join(JOURNAL_DIR);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    // Version 1's frame: its header checked alone.
    let mut header = b"RGJ1".to_vec();
    header.extend_from_slice(&4u32.to_le_bytes());
    let check = crc(&header);
    header.extend_from_slice(&check);
    header.extend_from_slice(b"\0\0\0\0");
    header.extend_from_slice(&crc(b"\0\0\0\0"));
    std::fs::write(dir.join(file_name(1)), &header).unwrap_or_else(|e| panic!("{e}"));
    let e = recover(d.path(), false)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("has format version 1, and this build reads version 2"),
        "{e}"
    );
    assert_eq!(journal_files_of(d.path()), 1, "nothing is removed");
}

#[test]
fn a_failed_journal_sync_refuses_its_group_and_every_later_write() {
    let d = root();
    let journal = open(d.path(), true, DEFAULT_JOURNAL_BYTES);
    let seg = appender(d.path(), "data/shard-0.seg");
    commit_one(&journal, &seg, b"one");
    fault::arm(SUFFIX);
    let s = reserve(&seg, b"two");
    let refused = journal.commit(vec![part(&seg, s, b"two")]);
    fault::disarm(SUFFIX);
    assert!(refused.is_err());
    assert!(seg.commit(s.index).is_err(), "its writer is refused too");
    assert!(seg.reserve(1).is_err(), "appends stop");
    assert_eq!(read(seg.path()), b"one");
    let other = appender(d.path(), "audit.jsonl");
    let s = reserve(&other, b"x");
    assert!(journal.commit(vec![part(&other, s, b"x")]).is_err());
}

#[test]
fn many_writers_on_two_files_get_everything_applied_in_order() {
    let d = root();
    let journal = Arc::new(open(d.path(), false, 512));
    let seg = appender(d.path(), "data/shard-0.seg");
    let audit = appender(d.path(), "audit.jsonl");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (journal, seg, audit) = (journal.clone(), seg.clone(), audit.clone());
            std::thread::spawn(move || {
                for i in 0..50 {
                    let block = format!("<{t}.{i}>").into_bytes();
                    let s = reserve(&seg, &block);
                    let line = format!("{t}.{i}\n").into_bytes();
                    let a = reserve(&audit, &line);
                    journal
                        .commit(vec![part(&seg, s, &block), part(&audit, a, &line)])
                        .unwrap_or_else(|e| panic!("{e}"));
                    seg.commit(s.index).unwrap_or_else(|e| panic!("{e}"));
                    audit.commit(a.index).unwrap_or_else(|e| panic!("{e}"));
                }
            })
        })
        .collect();
    threads
        .into_iter()
        .for_each(|t| t.join().unwrap_or_default());
    assert_eq!((seg.durable_len(), audit.durable_len()), (400, 400));
    let text = String::from_utf8(read(audit.path())).unwrap_or_default();
    assert_eq!(text.lines().count(), 400);
    let blocks = String::from_utf8(read(seg.path())).unwrap_or_default();
    assert_eq!(blocks.matches('<').count(), 400);
    // 512-byte journal files: they came and went as they were applied.
    assert!(
        journal_files_of(d.path()) <= 2,
        "{}",
        journal_files_of(d.path())
    );
    drop(journal);
    let left = std::fs::read_dir(d.path().join(JOURNAL_DIR))
        .map(|e| e.count())
        .unwrap_or(usize::MAX);
    assert_eq!(left, 0, "a clean close leaves no journal and no spare");
}

/// The inode of journal file `number`.
#[cfg(unix)]
fn inode(root: &Path, number: u64) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(root.join(JOURNAL_DIR).join(file_name(number)))
        .map(|m| m.ino())
        .unwrap_or_else(|e| panic!("journal file {number}: {e}"))
}

#[cfg(unix)]
#[test]
fn a_full_journal_file_is_written_over_as_the_next_one_and_recovered_from() {
    let d = root();
    // Two 100-byte records fill a 250-byte journal file.
    let journal = open(d.path(), false, 250);
    let first = inode(d.path(), 1);
    let seg = appender(d.path(), "data/shard-0.seg");
    let records: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'a' + i; 100]).collect();
    for bytes in &records {
        commit_one(&journal, &seg, bytes);
    }
    // File 1 was checkpointed and kept as the spare; file 3 is it.
    assert_eq!(inode(d.path(), 3), first, "the spare is written over");
    assert_eq!(journal_files_of(d.path()), 1);
    // A crash that lost the last record from the segment: recovery finds
    // it at the start of the file written over, and nothing of the file's
    // earlier life (the whole second record of file 1 is still there).
    std::mem::forget(journal);
    let all: Vec<u8> = records.concat();
    std::fs::write(seg.path(), &all[..400]).unwrap_or_else(|e| panic!("{e}"));
    recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read(seg.path()), all);
}

#[test]
fn a_record_from_a_spares_earlier_life_is_never_applied() {
    let d = root();
    let seg = crashed_after_one(d.path(), b"old");
    // File 1, checkpointed, became the spare and then file 2, and the
    // process died before writing anything into it.
    let dir = d.path().join(JOURNAL_DIR);
    std::fs::rename(dir.join(file_name(1)), dir.join(file_name(2)))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recover(d.path(), false).ok(), Some(3));
    assert_eq!(
        read(seg.path()),
        b"",
        "its number does not match the file's"
    );
}

#[test]
fn checkpoints_asked_for_at_once_beside_writers_all_return_and_lose_nothing() {
    let d = root();
    let journal = Arc::new(open(d.path(), false, 256));
    let seg = appender(d.path(), "data/shard-0.seg");
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let (journal, seg) = (journal.clone(), seg.clone());
            std::thread::spawn(move || {
                for i in 0..40 {
                    if t % 2 == 0 {
                        // What `LogService::reopen` does first.
                        journal.checkpoint_now();
                    } else {
                        let s = commit_one(&journal, &seg, format!("<{t}.{i:02}>").as_bytes());
                        seg.commit(s.index).unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            })
        })
        .collect();
    threads
        .into_iter()
        .for_each(|t| t.join().unwrap_or_default());
    assert_eq!(seg.durable_len(), 120);
    assert!(journal_files_of(d.path()) <= 2, "checkpoints kept up");
}

#[test]
fn checkpoints_asked_for_at_once_with_no_writer_all_return() {
    let d = root();
    let journal = Arc::new(open(d.path(), false, DEFAULT_JOURNAL_BYTES));
    let (done, finished) = std::sync::mpsc::channel();
    for _ in 0..4 {
        let (journal, done) = (journal.clone(), done.clone());
        std::thread::spawn(move || {
            for _ in 0..50 {
                journal.checkpoint_now();
            }
            let _ = done.send(());
        });
    }
    // Each call that hands the file back wakes the next one waiting for
    // it; with no writer, nobody else would (a hang, caught here).
    for _ in 0..4 {
        assert!(
            finished
                .recv_timeout(std::time::Duration::from_secs(120))
                .is_ok(),
            "a checkpoint waits for the journal file forever"
        );
    }
}
