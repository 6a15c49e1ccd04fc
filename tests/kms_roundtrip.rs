//! Envelope encryption as theorems: `Decrypt(Encrypt(p, ctx), ctx) == p` for
//! both key specs, and every way of getting it wrong is an error — a changed
//! byte anywhere in the blob, another context, another key's blob.

#![cfg(feature = "kms")]

mod kms_support;

use std::collections::BTreeMap;

use kms_support::{Fixture, as_account};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ramgate::kms::{DataKeySpec, EncryptionContext, KeySpec};

fn contexts() -> impl Strategy<Value = EncryptionContext> {
    prop::collection::btree_map("[a-zA-Z:_-]{0,12}", "\\PC{0,16}", 0..5)
        .prop_map(|m: BTreeMap<String, String>| EncryptionContext::try_from(m).unwrap())
}

fn plaintexts() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1024)
}

/// Two keys of each spec, the first two of different specs.
struct Keys {
    f: Fixture,
    ids: Vec<String>,
}

fn keys() -> Keys {
    let f = Fixture::new();
    let ids = [
        KeySpec::AliyunAes256,
        KeySpec::AliyunSm4,
        KeySpec::AliyunAes256,
        KeySpec::AliyunSm4,
    ]
    .into_iter()
    .map(|spec| f.key(spec).key_id.to_string())
    .collect();
    Keys { f, ids }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        ..Config::default()
    })
}

#[test]
fn decrypt_inverts_encrypt_for_both_specs() {
    let k = keys();
    runner(128)
        .run(
            &(plaintexts(), contexts(), 0..2usize),
            |(plaintext, ctx, which)| {
                let id = &k.ids[which];
                let sealed =
                    k.f.kms
                        .encrypt(&as_account(), id, &plaintext, &ctx)
                        .unwrap();
                let opened =
                    k.f.kms
                        .decrypt(&as_account(), &sealed.ciphertext_blob, &ctx)
                        .unwrap();
                prop_assert_eq!(opened.plaintext.expose(), &plaintext[..]);
                prop_assert_eq!(opened.key_id.to_string(), id.clone());
                prop_assert_eq!(opened.key_version_id, sealed.key_version_id);
                // A context is a set of pairs: rebuilt in another order, it
                // is the same context.
                let mut reversed: Vec<(&str, &str)> = ctx.iter().collect();
                reversed.reverse();
                let same = EncryptionContext::from_pairs(reversed).unwrap();
                let again =
                    k.f.kms
                        .decrypt(&as_account(), &sealed.ciphertext_blob, &same)
                        .unwrap();
                prop_assert_eq!(again.plaintext.expose(), &plaintext[..]);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn generated_data_keys_decrypt_to_themselves() {
    let k = keys();
    runner(64)
        .run(&(1..=1024u32, contexts(), 0..2usize), |(n, ctx, which)| {
            let spec = DataKeySpec::bytes(n).unwrap();
            let out =
                k.f.kms
                    .generate_data_key(&as_account(), &k.ids[which], spec, &ctx)
                    .unwrap();
            prop_assert_eq!(out.plaintext.len(), n as usize);
            let opened =
                k.f.kms
                    .decrypt(&as_account(), &out.ciphertext_blob, &ctx)
                    .unwrap();
            prop_assert_eq!(opened.plaintext.expose(), out.plaintext.expose());
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_single_byte_change_fails() {
    let k = keys();
    runner(256)
        .run(
            &(
                plaintexts(),
                contexts(),
                0..2usize,
                any::<prop::sample::Index>(),
                1..=255u8,
            ),
            |(plaintext, ctx, which, at, flip)| {
                let blob =
                    k.f.kms
                        .encrypt(&as_account(), &k.ids[which], &plaintext, &ctx)
                        .unwrap()
                        .ciphertext_blob;
                let mut bad = blob.clone();
                let i = at.index(bad.len());
                bad[i] ^= flip;
                let result = k.f.kms.decrypt(&as_account(), &bad, &ctx);
                prop_assert!(result.is_err(), "byte {} of {} changed", i, blob.len());
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn cut_or_extended_blobs_fail() {
    let k = keys();
    runner(64)
        .run(
            &(
                plaintexts(),
                0..2usize,
                any::<prop::sample::Index>(),
                any::<u8>(),
            ),
            |(plaintext, which, at, extra)| {
                let ctx = EncryptionContext::new();
                let blob =
                    k.f.kms
                        .encrypt(&as_account(), &k.ids[which], &plaintext, &ctx)
                        .unwrap()
                        .ciphertext_blob;
                let cut = &blob[..at.index(blob.len())];
                prop_assert!(k.f.kms.decrypt(&as_account(), cut, &ctx).is_err());
                let mut longer = blob.clone();
                longer.push(extra);
                prop_assert!(k.f.kms.decrypt(&as_account(), &longer, &ctx).is_err());
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn another_context_fails() {
    let k = keys();
    runner(128)
        .run(
            &(plaintexts(), contexts(), contexts(), 0..2usize),
            |(plaintext, ctx, other, which)| {
                prop_assume!(ctx != other);
                let blob =
                    k.f.kms
                        .encrypt(&as_account(), &k.ids[which], &plaintext, &ctx)
                        .unwrap()
                        .ciphertext_blob;
                let err = k.f.kms.decrypt(&as_account(), &blob, &other).unwrap_err();
                prop_assert_eq!(err.code(), "InvalidParameter");
                prop_assert!(err.to_string().contains("encryption context differs"));
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn a_blob_relabelled_with_another_key_fails() {
    // The blob of key A with the header naming key B (same or other spec):
    // the key id is bound as associated data and B's material differs.
    let k = keys();
    runner(64)
        .run(
            &(plaintexts(), contexts(), 0..4usize, 0..4usize),
            |(plaintext, ctx, a, b)| {
                prop_assume!(a != b);
                let blob =
                    k.f.kms
                        .encrypt(&as_account(), &k.ids[a], &plaintext, &ctx)
                        .unwrap();
                let b_id =
                    k.f.kms
                        .describe_key(&as_account(), &k.ids[b])
                        .unwrap()
                        .key_id;
                let mut relabelled = blob.ciphertext_blob.clone();
                relabelled[6..22].copy_from_slice(b_id.as_bytes());
                let err =
                    k.f.kms
                        .decrypt(&as_account(), &relabelled, &ctx)
                        .unwrap_err();
                prop_assert_eq!(err.code(), "InvalidParameter");
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn a_blob_of_the_largest_plaintext_round_trips() {
    let k = keys();
    for id in &k.ids[..2] {
        let plaintext = vec![0x5a; 6144];
        let ctx = EncryptionContext::from_pairs([("k", "v")]).unwrap();
        let blob =
            k.f.kms
                .encrypt(&as_account(), id, &plaintext, &ctx)
                .unwrap()
                .ciphertext_blob;
        assert_eq!(blob.len(), ramgate::kms::MAX_BLOB_LEN);
        let opened = k.f.kms.decrypt(&as_account(), &blob, &ctx).unwrap();
        assert_eq!(opened.plaintext.expose(), &plaintext[..]);
    }
}
