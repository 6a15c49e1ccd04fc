#![cfg(feature = "server")]
//! The persistent credential store: access keys sealed under the root key,
//! surviving a restart, refused when unknown, inactive or tampered with;
//! STS tokens that carry their session.

mod pop_support;

use pop_support::*;
use ramgate::ram::{Identity, RoleSession};
use ramgate::server::credentials::{CredentialStore, Credentials, KeyOwner, KeyStatus};
use ramgate::server::keystore::{ACCESS_KEYS_FILE, KeyStore};
use time::Duration;

#[test]
fn access_keys_look_like_alibabas_resolve_and_survive_a_restart() {
    let env = Env::new();
    env.svc
        .edit_directory(|a| a.create_user("alice").map(drop))
        .unwrap();
    let key = env
        .store
        .create_access_key(&KeyOwner::User("alice".into()))
        .unwrap();
    let id = key.info.id.clone();
    assert!(id.starts_with("LTAI") && id.len() == 24, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(key.secret.len(), 30);
    assert_eq!(key.info.status, KeyStatus::Active);
    let root_key = env.store.create_access_key(&KeyOwner::Root).unwrap();

    let now = env.clock_now();
    let got = env.store.resolve(&id, None, now).unwrap();
    assert_eq!(got.identity, user("alice"));
    assert_eq!(got.secret.as_slice(), key.secret.as_bytes());
    assert_eq!(
        env.store
            .resolve(&root_key.info.id, None, now)
            .unwrap()
            .identity,
        root()
    );

    // A new store over the same directory (a restart) knows both keys.
    let again = KeyStore::open(&env.svc).unwrap();
    let got = again.resolve(&id, None, now).unwrap();
    assert_eq!(got.secret.as_slice(), key.secret.as_bytes());
    assert_eq!(again.list_access_keys(&KeyOwner::Root).unwrap().len(), 1);
}

impl Env {
    fn clock_now(&self) -> time::OffsetDateTime {
        use ramgate::kms::Clock as _;
        self.clock.now()
    }
}

#[test]
fn unknown_inactive_and_deleted_keys_are_refused_with_alibabas_codes() {
    let env = Env::new();
    let now = env.clock_now();
    let e = env.store.resolve("LTAInope", None, now).unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("InvalidAccessKeyId.NotFound", 403)
    );
    let key = env.store.create_access_key(&KeyOwner::Root).unwrap();
    env.store
        .set_access_key_status(&KeyOwner::Root, &key.info.id, KeyStatus::Inactive)
        .unwrap();
    let e = env.store.resolve(&key.info.id, None, now).unwrap_err();
    assert_eq!(e.code(), "InvalidAccessKeyId.Inactive");
    // Inactive survives a restart too.
    let again = KeyStore::open(&env.svc).unwrap();
    assert_eq!(
        again.resolve(&key.info.id, None, now).unwrap_err().code(),
        "InvalidAccessKeyId.Inactive"
    );
    env.store
        .set_access_key_status(&KeyOwner::Root, &key.info.id, KeyStatus::Active)
        .unwrap();
    assert!(env.store.resolve(&key.info.id, None, now).is_ok());
    // Another owner's key is not found for this one.
    let e = env
        .store
        .delete_access_key(&KeyOwner::User("alice".into()), &key.info.id)
        .unwrap_err();
    assert_eq!(e.code(), "EntityNotExist.User.AccessKey");
    env.store
        .delete_access_key(&KeyOwner::Root, &key.info.id)
        .unwrap();
    assert_eq!(
        env.store
            .resolve(&key.info.id, None, now)
            .unwrap_err()
            .code(),
        "InvalidAccessKeyId.NotFound"
    );
}

#[test]
fn an_owner_has_at_most_two_keys() {
    let env = Env::new();
    for _ in 0..2 {
        env.store.create_access_key(&KeyOwner::Root).unwrap();
    }
    let e = env.store.create_access_key(&KeyOwner::Root).unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("LimitExceeded.User.AccessKey", 409)
    );
}

#[test]
fn secrets_are_in_no_file_and_in_no_debug_output() {
    let env = Env::new();
    let key = env.store.create_access_key(&KeyOwner::Root).unwrap();
    assert!(!in_any_file(env.dir.path(), &key.secret));
    assert!(!format!("{key:?}").contains(key.secret.as_str()));
    let resolved = env
        .store
        .resolve(&key.info.id, None, env.clock_now())
        .unwrap();
    assert!(!format!("{resolved:?}").contains(key.secret.as_str()));
    assert!(!format!("{:?}", env.store).contains(key.secret.as_str()));
    let session = env.session("reader", None, Duration::hours(1));
    let issued = env.store.issue_session(&session, None).unwrap();
    let shown = format!("{issued:?}");
    assert!(
        !shown.contains(issued.secret.as_str()) && !shown.contains(issued.security_token.as_str())
    );
    assert!(!in_any_file(env.dir.path(), &issued.secret));
}

#[test]
fn a_changed_or_foreign_key_file_is_refused_not_guessed() {
    let env = Env::new();
    env.store.create_access_key(&KeyOwner::Root).unwrap();
    let path = env.dir.path().join(ACCESS_KEYS_FILE);
    let good = std::fs::read_to_string(&path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&good).unwrap();
    assert_eq!(file["format"], 1);

    // One character of the sealed list changed.
    let sealed = file["sealed"].as_str().unwrap();
    let flipped: String = sealed
        .char_indices()
        .map(|(i, c)| {
            if i == 20 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    std::fs::write(&path, good.replace(sealed, &flipped)).unwrap();
    let e = KeyStore::open(&env.svc).unwrap_err();
    assert!(e.to_string().contains("does not open"), "{e}");

    // The same file in another data directory (another root key).
    std::fs::write(&path, &good).unwrap();
    let other = Env::new();
    std::fs::write(other.dir.path().join(ACCESS_KEYS_FILE), &good).unwrap();
    assert!(KeyStore::open(&other.svc).is_err());

    // A format this ramgate does not read.
    std::fs::write(&path, good.replace("\"format\":1", "\"format\":2")).unwrap();
    let e = KeyStore::open(&env.svc).unwrap_err();
    assert!(e.to_string().contains("format `2`"), "{e}");
}

#[test]
fn concurrent_creators_lose_no_key() {
    let env = Env::new();
    env.svc
        .edit_directory(|a| {
            for i in 0..8 {
                a.create_user(&format!("u{i}"))?;
            }
            Ok(())
        })
        .unwrap();
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = &env.store;
                s.spawn(move || {
                    store
                        .create_access_key(&KeyOwner::User(format!("u{i}")))
                        .unwrap()
                        .info
                        .id
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let again = KeyStore::open(&env.svc).unwrap();
    for id in &ids {
        assert!(
            again.resolve(id, None, env.clock_now()).is_ok(),
            "{id} lost"
        );
    }
}

impl Env {
    fn session(
        &self,
        name: &str,
        policy: Option<ramgate::ram::PolicyDocument>,
        life: Duration,
    ) -> RoleSession {
        RoleSession::new(ACCOUNT, "reader", name, policy, self.clock_now() + life).unwrap()
    }
}

#[test]
fn sts_tokens_carry_their_session_across_a_restart_and_expire() {
    let env = Env::new();
    let policy =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#;
    let doc = ramgate::ram::PolicyDocument::parse(
        policy,
        ramgate::policy::PolicyKind::Session,
        "p",
        None,
    )
    .unwrap();
    let session = env.session("s1", Some(doc), Duration::hours(1));
    let issued = env.store.issue_session(&session, Some(policy)).unwrap();
    assert!(issued.access_key_id.starts_with("STS."));
    let now = env.clock_now();

    let again = KeyStore::open(&env.svc).unwrap();
    let got = again
        .resolve(&issued.access_key_id, Some(&issued.security_token), now)
        .unwrap();
    assert_eq!(got.secret.as_slice(), issued.secret.as_bytes());
    match got.identity {
        Identity::RoleSession(s) => {
            assert_eq!(s.arn(), "acs:ram::1234567890123456:role/reader/s1");
            assert_eq!(s.policy().map(|p| p.source()), Some(policy));
            assert_eq!(s.expiration(), issued.expiration);
        }
        other => panic!("{other:?}"),
    }

    // Without the token, with another session's token, with a bit changed.
    let code = |token: Option<&str>| {
        env.store
            .resolve(&issued.access_key_id, token, now)
            .unwrap_err()
            .code()
    };
    assert_eq!(code(None), "InvalidSecurityToken.Mismatch");
    let other = env
        .store
        .issue_session(&env.session("s2", None, Duration::hours(1)), None)
        .unwrap();
    assert_eq!(
        code(Some(&other.security_token)),
        "InvalidSecurityToken.Mismatch"
    );
    let mut bad = issued.security_token.to_string();
    let last = if bad.ends_with('A') { 'B' } else { 'A' };
    bad.pop();
    bad.push(last);
    assert_eq!(code(Some(&bad)), "InvalidSecurityToken.Mismatch");

    // At its expiration it stops.
    let e = env
        .store
        .resolve(
            &issued.access_key_id,
            Some(&issued.security_token),
            issued.expiration,
        )
        .unwrap_err();
    assert_eq!(e.code(), "SecurityToken.Expired");
    assert!(!e.to_string().contains(issued.secret.as_str()));
}
