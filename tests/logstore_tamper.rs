//! Someone with the data directory edits it: a flipped byte, swapped
//! blocks, a block copied to another shard or Logstore. Reads fail with an
//! integrity error; altered data is never returned.

#![cfg(feature = "logstore")]

mod logstore_support;

use std::path::Path;

use logstore_support::*;

/// The byte ranges of the frames of a segment file (see `segment.rs`).
fn frames(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 24 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let end = pos + 24 + len + 4;
        out.push(pos..end);
        pos = end;
    }
    assert_eq!(pos, bytes.len());
    out
}

fn segment(env: &Env, store: &str, shard: u32) -> std::path::PathBuf {
    ramgate::logstore::ReadOnlyDir::open(env.dir.path())
        .unwrap()
        .segment_path("app", store, shard)
        .unwrap()
}

/// Every group of a shard, or the error reading them gave.
fn read_all(
    env: &mut Env,
    store: &str,
    shard: u32,
) -> Result<Vec<ramgate::logstore::LogGroup>, ramgate::logstore::LogError> {
    env.reopen_without_fsync();
    let pulled = env
        .svc
        .pull_logs(&user("alice"), "app", store, shard, 0, 100)?;
    Ok(pulled.groups.into_iter().map(|g| g.group).collect())
}

fn setup(
    conf: fn(&Env) -> ramgate::logstore::EncryptConf,
) -> (Env, Vec<ramgate::logstore::LogGroup>) {
    let mut env = Env::new();
    let c = conf(&env);
    env.create("logs-a", Some(c.clone()));
    env.create("logs-b", Some(c));
    let groups: Vec<_> = (0..3).map(group).collect();
    for g in &groups {
        env.svc
            .put_logs(&user("alice"), "app", "logs-a", Some(0), g)
            .unwrap();
        env.svc
            .put_logs(&user("alice"), "app", "logs-a", Some(1), g)
            .unwrap();
        env.svc
            .put_logs(&user("alice"), "app", "logs-b", Some(0), g)
            .unwrap();
    }
    (env, groups)
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn flipping_any_byte_of_a_segment_is_an_integrity_error() {
    for conf in [
        (|_: &Env| Env::service_key("default")) as fn(&Env) -> _,
        |_: &Env| Env::service_key("m4"),
        |e: &Env| e.byok("m4"),
    ] {
        let (mut env, groups) = setup(conf);
        let path = segment(&env, "logs-a", 0);
        let original = std::fs::read(&path).unwrap();
        assert_eq!(read_all(&mut env, "logs-a", 0).unwrap(), groups);
        for i in 0..original.len() {
            // The low bit of one byte, the high bit of the next.
            let mut bytes = original.clone();
            bytes[i] ^= if i % 2 == 0 { 0x01 } else { 0x80 };
            write(&path, &bytes);
            match read_all(&mut env, "logs-a", 0) {
                Err(e) => assert_eq!(
                    (e.code(), e.http_status()),
                    ("InternalServerError", 500),
                    "byte {i}: {e}"
                ),
                Ok(got) => panic!("byte {i} flipped and the shard still read: {got:?}"),
            }
        }
        write(&path, &original);
        assert_eq!(
            read_all(&mut env, "logs-a", 0).unwrap(),
            groups,
            "restoring the byte restores the data"
        );
    }
}

#[test]
fn swapped_blocks_do_not_open() {
    let (mut env, _) = setup(|e| e.byok("default"));
    let path = segment(&env, "logs-a", 0);
    let bytes = std::fs::read(&path).unwrap();
    let f = frames(&bytes);
    let swapped = [
        &bytes[f[1].clone()],
        &bytes[f[0].clone()],
        &bytes[f[2].clone()],
    ]
    .concat();
    write(&path, &swapped);
    let e = read_all(&mut env, "logs-a", 0).unwrap_err();
    assert_eq!(e.code(), "InternalServerError");
    assert!(e.to_string().contains("block 0"), "{e}");
}

#[test]
fn a_block_copied_to_another_shard_or_logstore_does_not_open() {
    for (to_store, to_shard) in [("logs-a", 1), ("logs-b", 0)] {
        let (mut env, _) = setup(|_| Env::service_key("default"));
        let from = std::fs::read(segment(&env, "logs-a", 0)).unwrap();
        let block = &from[frames(&from)[0].clone()];
        // Appended as a whole, valid frame: only the block's own binding can
        // tell it does not belong.
        let target = segment(&env, to_store, to_shard);
        let mut bytes = std::fs::read(&target).unwrap();
        bytes.extend_from_slice(block);
        write(&target, &bytes);
        env.reopen();
        let e = env
            .svc
            .pull_logs(&user("alice"), "app", to_store, to_shard, 3, 1)
            .unwrap_err();
        assert_eq!(e.code(), "InternalServerError", "{to_store}/{to_shard}");
        // The blocks that belong there still read.
        assert_eq!(
            env.svc
                .pull_logs(&user("alice"), "app", to_store, to_shard, 0, 3)
                .unwrap()
                .groups
                .len(),
            3
        );
    }
}
