#![cfg(all(feature = "cli", unix))]
//! Every POP request over the wire leaves one audit record (issue 17 item
//! 4): `ramgate audit show --request-id` prints it with its chain, for an
//! answer and for a refusal, no secret is in it, and `audit verify` passes
//! afterwards.

mod serve_support;

use std::process::Command;
use std::sync::Arc;

use ramgate::logstore::LogService;
use ramgate::ram::{PolicyRef, SystemClock, Target};
use ramgate::server::credentials::{CredentialStore as _, KeyOwner};
use ramgate::server::http::{Server, ServerHandle};
use ramgate::server::keystore::KeyStore;
use serde_json::Value;
use serve_support::{ACCOUNT, PopRpc, REGION, Resp};

const BIN: &str = env!("CARGO_BIN_EXE_ramgate");
const KMS: &str = "2016-01-20";
const STS: &str = "2015-04-01";
const RAM: &str = "2015-05-01";
const ROLE: &str = "acs:ram::1234567890123456:role/reader";
const TRUST_ACCOUNT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
    "Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}"#;
const MAY_ASSUME: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
    "Resource":"acs:ram::1234567890123456:role/reader"}]}"#;

/// A server whose credentials are the directory's own key store: the root
/// account, bob (who may assume `reader`) and alice (who may do nothing).
struct Env {
    dir: tempfile::TempDir,
    server: ServerHandle,
    keys: Vec<(String, String, String)>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let svc = LogService::init(
            dir.path(),
            ACCOUNT,
            REGION,
            Arc::new(SystemClock),
            serve_support::options(),
        )
        .unwrap();
        svc.edit_directory(|a| {
            a.create_role("reader", TRUST_ACCOUNT)?;
            a.create_user("alice")?;
            a.create_user("bob")?;
            a.create_policy("MayAssume", MAY_ASSUME)?;
            a.attach_policy(
                &Target::User("bob".into()),
                &PolicyRef::Custom("MayAssume".into()),
            )
        })
        .unwrap();
        let store = KeyStore::open(&svc).unwrap();
        let mut keys = Vec::new();
        for (who, owner) in [
            ("root", KeyOwner::Root),
            ("alice", KeyOwner::User("alice".into())),
            ("bob", KeyOwner::User("bob".into())),
        ] {
            let key = store.create_access_key(&owner).unwrap();
            keys.push((who.to_string(), key.info.id, key.secret.to_string()));
        }
        let server = Server::new(svc, Arc::new(store)).log_requests(false);
        let server = ServerHandle::start(server, "127.0.0.1:0".parse().unwrap()).unwrap();
        Env { dir, server, keys }
    }

    /// `action` of `version` signed as `who`.
    fn call(&self, who: &str, version: &str, action: &str, params: &[(&str, &str)]) -> Resp {
        let (_, id, secret) = self.keys.iter().find(|(w, _, _)| w == who).unwrap();
        PopRpc {
            access_key_id: id,
            secret,
            version,
            action,
            params,
        }
        .send(self.server.addr())
    }

    /// `ramgate audit …` on the directory.
    fn audit(&self, args: &[&str]) -> std::process::Output {
        Command::new(BIN)
            .arg("audit")
            .args(args)
            .arg("--data-dir")
            .arg(self.dir.path())
            .output()
            .unwrap()
    }

    /// The one record of request `id`, read by `audit show --request-id`.
    fn record(&self, id: &str) -> Value {
        let shown = self.audit(&["show", "--request-id", id, "--format", "json"]);
        assert!(shown.status.success(), "{shown:?}");
        let records: Vec<Value> = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(records.len(), 1, "{records:?}");
        records[0]["event"].clone()
    }

    /// The text `audit show --request-id` prints.
    fn shown(&self, id: &str) -> String {
        let shown = self.audit(&["show", "--request-id", id]);
        assert!(shown.status.success(), "{shown:?}");
        String::from_utf8(shown.stdout).unwrap()
    }

    fn verify(&self) {
        let verified = self.audit(&["verify"]);
        assert!(verified.status.success(), "{verified:?}");
    }
}

fn request_id(resp: &Resp) -> String {
    resp.json()["RequestId"].as_str().unwrap().to_string()
}

/// The chain's steps as `(step, action, decision)`.
fn steps(event: &Value) -> Vec<(String, String, String)> {
    event["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
            (
                text("step"),
                text("action"),
                s["response"]["decision"].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_kms_key_state_change_and_a_refusal_each_leave_their_record_and_chain() {
    let env = Env::new();
    let created = env.call("root", KMS, "CreateKey", &[]);
    assert_eq!(created.status, 200, "{}", created.message());
    let key = created.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();

    let disabled = env.call("root", KMS, "DisableKey", &[("KeyId", &key)]);
    assert_eq!(disabled.status, 200, "{}", disabled.message());
    let id = request_id(&disabled);
    let event = env.record(&id);
    assert_eq!(event["op"], "DisableKey");
    assert_eq!(event["outcome"], "allowed");
    assert_eq!(event["caller"], format!("acs:ram::{ACCOUNT}:root"));
    assert_eq!(event["target"]["product"], "kms");
    assert_eq!(event["target"]["KeyId"], key.as_str());
    assert_eq!(event["request_id"], id.as_str());
    assert!(event["versions"]["kms"].is_u64(), "{event}");
    assert!(event["versions"]["ram"].is_u64(), "{event}");
    let chain = steps(&event);
    assert!(
        chain
            .iter()
            .any(|(_, action, decision)| action == "kms:DisableKey" && decision == "\"Allow\""),
        "{chain:?}"
    );
    let text = env.shown(&id);
    assert!(text.contains(" DisableKey "), "{text}");
    assert!(text.contains("kms:DisableKey"), "{text}");

    // Alice has no policy: refused, and the record says by which step.
    let refused = env.call("alice", KMS, "EnableKey", &[("KeyId", &key)]);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.code(), "Forbidden.NoPermission");
    let event = env.record(&request_id(&refused));
    assert_eq!(event["op"], "EnableKey");
    assert_eq!(event["outcome"], "refused");
    assert_eq!(event["caller"], format!("acs:ram::{ACCOUNT}:user/alice"));
    assert_eq!(event["detail"]["code"], "Forbidden.NoPermission");
    assert_eq!(event["detail"]["message"], refused.message().as_str());
    let chain = steps(&event);
    assert!(
        chain.iter().any(
            |(_, action, decision)| action == "kms:EnableKey" && decision == "\"ImplicitDeny\""
        ),
        "{chain:?}"
    );
    // The key stayed disabled: the refusal changed nothing.
    let described = env.call("root", KMS, "DescribeKey", &[("KeyId", &key)]);
    assert_eq!(described.json()["KeyMetadata"]["KeyState"], "Disabled");
    env.verify();
}

#[test]
fn kms_records_keep_no_plaintext_or_data_key() {
    let env = Env::new();
    let created = env.call("root", KMS, "CreateKey", &[]);
    let key = created.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let encrypted = env.call(
        "root",
        KMS,
        "Encrypt",
        &[("KeyId", &key), ("Plaintext", "top-secret-words")],
    );
    assert_eq!(encrypted.status, 200, "{}", encrypted.message());
    let blob = encrypted.json()["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string();
    let decrypted = env.call("root", KMS, "Decrypt", &[("CiphertextBlob", &blob)]);
    assert_eq!(decrypted.json()["Plaintext"], "top-secret-words");
    let generated = env.call("root", KMS, "GenerateDataKey", &[("KeyId", &key)]);
    let data_key = generated.json()["Plaintext"].as_str().unwrap().to_string();
    let event = env.record(&request_id(&generated));
    assert_eq!(event["detail"]["KeyId"], key.as_str(), "{event}");
    let log = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    for secret in ["top-secret-words", data_key.as_str(), blob.as_str()] {
        assert!(!log.contains(secret), "`{secret}` is in the audit log");
    }
    // An unknown action is refused, and recorded too.
    let unknown = env.call("root", KMS, "RotateEverything", &[]);
    assert_eq!(unknown.code(), "InvalidApi.NotFound");
    assert_eq!(
        env.record(&request_id(&unknown))["detail"]["code"],
        "InvalidApi.NotFound"
    );
    env.verify();
}

#[test]
fn assume_role_is_recorded_with_both_steps_and_without_its_credentials() {
    let env = Env::new();
    let assumed = env.call(
        "bob",
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "audit-test")],
    );
    assert_eq!(assumed.status, 200, "{}", assumed.message());
    let answer = assumed.json();
    let event = env.record(&request_id(&assumed));
    assert_eq!(event["op"], "AssumeRole");
    assert_eq!(event["outcome"], "allowed");
    assert_eq!(event["target"]["product"], "sts");
    assert_eq!(event["target"]["RoleArn"], ROLE);
    assert_eq!(event["target"]["RoleSessionName"], "audit-test");
    assert_eq!(
        event["detail"]["Credentials"]["AccessKeyId"],
        answer["Credentials"]["AccessKeyId"]
    );
    let names: Vec<String> = steps(&event).into_iter().map(|(s, _, _)| s).collect();
    assert!(
        names.iter().any(|s| s == "assume-role.identity")
            && names.iter().any(|s| s == "assume-role.trust"),
        "{names:?}"
    );
    let log = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    for key in ["AccessKeySecret", "SecurityToken"] {
        let secret = answer["Credentials"][key].as_str().unwrap();
        assert!(!log.contains(secret), "the {key} is in the audit log");
    }

    let refused = env.call(
        "alice",
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "audit-test")],
    );
    assert_eq!(refused.status, 403);
    let event = env.record(&request_id(&refused));
    assert_eq!(event["outcome"], "refused");
    assert_eq!(event["detail"]["code"], refused.code().as_str());
    assert!(
        steps(&event)
            .iter()
            .any(|(s, _, d)| s == "assume-role.identity" && d == "\"ImplicitDeny\""),
        "{event}"
    );
    env.verify();
}

#[test]
fn ram_create_user_is_recorded_allowed_and_refused() {
    let env = Env::new();
    let created = env.call("root", RAM, "CreateUser", &[("UserName", "dave")]);
    assert_eq!(created.status, 200, "{}", created.message());
    let event = env.record(&request_id(&created));
    assert_eq!(event["op"], "CreateUser");
    assert_eq!(event["outcome"], "allowed");
    assert_eq!(
        event["target"],
        serde_json::json!({"product": "ram", "UserName": "dave"})
    );
    assert_eq!(event["detail"]["User"]["UserName"], "dave");
    let chain = steps(&event);
    assert_eq!(chain.len(), 1, "{chain:?}");
    assert_eq!(chain[0].1, "ram:CreateUser");
    assert_eq!(chain[0].2, "\"Allow\"");

    let refused = env.call("alice", RAM, "CreateUser", &[("UserName", "eve")]);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.code(), "NoPermission");
    let event = env.record(&request_id(&refused));
    assert_eq!(event["outcome"], "refused");
    assert_eq!(event["detail"]["code"], "NoPermission");
    assert!(
        steps(&event)
            .iter()
            .any(|(_, a, d)| a == "ram:CreateUser" && d == "\"ImplicitDeny\""),
        "{event}"
    );
    // A RAM user's access key: the secret is answered once, never recorded.
    let key = env.call("root", RAM, "CreateAccessKey", &[("UserName", "dave")]);
    assert_eq!(key.status, 200, "{}", key.message());
    let secret = key.json()["AccessKey"]["AccessKeySecret"]
        .as_str()
        .unwrap()
        .to_string();
    let event = env.record(&request_id(&key));
    assert_eq!(
        event["detail"]["AccessKey"]["AccessKeyId"],
        key.json()["AccessKey"]["AccessKeyId"]
    );
    let log = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    assert!(
        !log.contains(&secret),
        "the access key secret is in the audit log"
    );
    env.verify();
}
