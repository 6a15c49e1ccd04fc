//! `ramgate demo`: the seed document ("Log Service data encryption with
//! KMS"), end to end, on a real data directory, narrating each step with
//! the decision behind it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::authz::Decision;
use crate::clock::SystemClock;
use crate::kms::{KeySpec, KeyUsage, RootKeySource};
use crate::logstore::{
    EncryptConf, Log, LogError, LogGroup, LogService, LogstoreConfig, Options, UserCmkInfo,
    verify_audit_log,
};
use crate::policy::Policy;
use crate::ram::{DecisionChain, Identity, PolicyRef, Ram, Target};

use super::chain::{Request, step_lines};
use super::{Failure, Outcome};

/// Walk through Log Service data encryption with KMS (service keys and
/// BYOK), end to end, on a fresh data directory, showing every decision.
///
/// Without `--data-dir` the walk-through runs in a temporary directory that
/// is removed afterwards. Exit status 0 when every step behaved as the
/// document says.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the data directory here (it must not exist yet).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/sls-byok";

/// The trust policy exactly as the document gives it.
const LOG_TRUST: &str = r#"{
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "log.aliyuncs.com"
                ]
            }
        }
    ],
    "Version": "1"
}"#;

/// The document's PassRole policy, without its `#` comment (which is not
/// JSON: `ramgate lint` reports it as `json-syntax`).
const PASS_ROLE: &str = r#"{
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "ram:PassRole",
            "Resource": "acs:ram::*"
        }
    ]
}"#;

pub(crate) fn run(args: DemoArgs) -> Result<Outcome, Failure> {
    let temp;
    let dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile_dir()?;
            temp.path.clone()
        }
    };
    let mut demo = Demo::start(&dir)?;
    demo.walk()?;
    out!("{}", demo.out);
    Ok(if demo.surprises.is_empty() {
        Outcome::Yes
    } else {
        Outcome::No
    })
}

/// A temporary directory removed on drop (no extra crate for a demo).
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempfile_dir() -> Result<TempDir, Failure> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix)
        .map_err(|e| Failure::new(format!("the random source failed: {e}")))?;
    let name: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let path = std::env::temp_dir().join(format!("ramgate-demo-{name}"));
    Ok(TempDir { path })
}

struct Demo {
    svc: LogService,
    out: String,
    /// Steps that did not behave as the document says.
    surprises: Vec<String>,
    cmk: String,
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::new(e.to_string())
}

fn alice() -> Identity {
    Identity::User {
        account: ACCOUNT.into(),
        name: "alice".into(),
    }
}

fn bob() -> Identity {
    Identity::User {
        account: ACCOUNT.into(),
        name: "bob".into(),
    }
}

fn group(n: u32) -> LogGroup {
    LogGroup {
        topic: "checkout".into(),
        source: "10.0.0.7".into(),
        tags: vec![("env".into(), "prod".into())],
        logs: vec![Log {
            time: 1_764_400_000 + n,
            contents: vec![
                ("order".into(), format!("A-{n:04}")),
                ("status".into(), "paid".into()),
            ],
        }],
    }
}

impl Demo {
    fn start(dir: &std::path::Path) -> Result<Demo, Failure> {
        // The demo's own root key file: it never reads RAMGATE_ROOT_KEY.
        let options = Options {
            root_key: RootKeySource::data_dir(),
            ..Options::default()
        };
        let svc =
            LogService::init(dir, ACCOUNT, REGION, Arc::new(SystemClock), options).map_err(fail)?;
        let mut out = String::new();
        let _ = writeln!(out, "ramgate demo: Log Service data encryption with KMS");
        let _ = writeln!(
            out,
            "data directory {} (account {ACCOUNT}, region {REGION})",
            dir.display()
        );
        Ok(Demo {
            svc,
            out,
            surprises: Vec::new(),
            cmk: String::new(),
        })
    }

    fn heading(&mut self, text: &str) {
        let _ = writeln!(self.out, "\n== {text}");
    }

    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "   {text}");
    }

    fn chain(&mut self, chain: &DecisionChain) {
        let mut lines = String::new();
        for step in &chain.steps {
            step_lines(&mut lines, step, Request::Named);
        }
        for line in lines.lines() {
            let _ = writeln!(self.out, "   {line}");
        }
    }

    /// Records the outcome of a step the document says must succeed.
    fn expect_ok<T>(&mut self, what: &str, r: Result<T, LogError>) -> Option<T> {
        match r {
            Ok(v) => {
                self.say(&format!("ok: {what}"));
                Some(v)
            }
            Err(e) => {
                self.say(&format!(
                    "UNEXPECTED: {what} failed: {} ({}): {e}",
                    e.code(),
                    e.http_status()
                ));
                self.surprises.push(what.to_string());
                None
            }
        }
    }

    /// Records the outcome of a step the document says must be refused.
    fn expect_refused<T>(&mut self, what: &str, r: Result<T, LogError>) {
        match r {
            Ok(_) => {
                self.say(&format!("UNEXPECTED: {what} was allowed"));
                self.surprises.push(what.to_string());
            }
            Err(e) => self.say(&format!(
                "refused as it must be: {what}: {} ({}): {e}",
                e.code(),
                e.http_status()
            )),
        }
    }

    fn walk(&mut self) -> Result<(), Failure> {
        self.authorize_log_service()?;
        self.create_cmk()?;
        self.configure_logstores();
        self.write_and_read();
        self.disable_and_enable()?;
        self.immutable_settings();
        self.without_pass_role();
        self.verify_audit();
        self.heading(if self.surprises.is_empty() {
            "done: every step behaved as the document says"
        } else {
            "done, with surprises"
        });
        for s in self.surprises.clone() {
            self.say(&format!("surprise: {s}"));
        }
        Ok(())
    }

    fn authorize_log_service(&mut self) -> Result<(), Failure> {
        self.heading("Step 1: authorize Log Service to access KMS");
        self.svc
            .edit_directory(|a| {
                a.create_role("sls-byok", LOG_TRUST)?;
                for p in ["AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"] {
                    a.attach_policy(
                        &Target::Role("sls-byok".into()),
                        &PolicyRef::System(p.into()),
                    )?;
                }
                a.create_policy("PassRoleForLog", PASS_ROLE)?;
                for user in ["alice", "bob"] {
                    a.create_user(user)?;
                    a.attach_policy(
                        &Target::User(user.into()),
                        &PolicyRef::System("AliyunLogFullAccess".into()),
                    )?;
                }
                a.attach_policy(
                    &Target::User("alice".into()),
                    &PolicyRef::Custom("PassRoleForLog".into()),
                )
            })
            .map_err(fail)?;
        self.say("role sls-byok with the document's trust policy; AliyunKMSReadOnlyAccess and AliyunKMSCryptoUserAccess attached");
        self.say("RAM user alice: AliyunLogFullAccess and the document's PassRole policy; bob: AliyunLogFullAccess only");
        if let Ok(p) = Policy::from_json(PASS_ROLE, None) {
            let findings =
                crate::lint::lint_source(&p.to_json(), None, &crate::lint::Config::default());
            for f in findings {
                self.say(&format!("lint: {} {}: {}", f.severity, f.code, f.message));
            }
        }
        let snapshot = self.svc.directory();
        let ram = Ram::new(&snapshot, self.svc.clock());
        let log = Identity::Service {
            service: "log.aliyuncs.com".into(),
            account: Some(ACCOUNT.into()),
        };
        let trusted = ram
            .evaluate_assume_role(&log, ROLE_ARN, &Default::default())
            .map_err(fail)?;
        let by_user = ram
            .evaluate_assume_role(&alice(), ROLE_ARN, &Default::default())
            .map_err(fail)?;
        let decision = |steps: &[crate::ram::ChainStep]| {
            if steps.iter().all(|s| s.decision().is_allowed()) {
                Decision::Allow
            } else {
                Decision::ImplicitDeny
            }
        };
        let (log_decision, user_decision) = (decision(&trusted), decision(&by_user));
        let mut chain = DecisionChain::new();
        chain.extend(trusted);
        self.say(&format!(
            "may log.aliyuncs.com assume sls-byok? {log_decision}"
        ));
        self.chain(&chain);
        self.say(&format!(
            "may alice assume sls-byok? {user_decision} (the role trusts only the service)"
        ));
        if log_decision != Decision::Allow || user_decision == Decision::Allow {
            self.surprises
                .push("the trust policy decided unexpectedly".into());
        }
        Ok(())
    }

    fn create_cmk(&mut self) -> Result<(), Failure> {
        self.heading("A customer master key in KMS");
        let account = Identity::Account {
            uid: ACCOUNT.into(),
        };
        let key = self
            .svc
            .with_kms_caller(&account, |kms, caller| {
                kms.create_key(
                    caller,
                    KeySpec::AliyunAes256,
                    KeyUsage::EncryptDecrypt,
                    "Log Service BYOK",
                )
            })
            .map_err(fail)?;
        self.cmk = key.key_id.to_string();
        self.say(&format!(
            "CMK {} ({}), {}",
            key.arn,
            key.key_spec.name(),
            key.key_state
        ));
        Ok(())
    }

    fn byok(&self, encrypt_type: &str) -> EncryptConf {
        EncryptConf {
            enable: true,
            encrypt_type: encrypt_type.into(),
            user_cmk_info: Some(UserCmkInfo {
                cmk_key_id: self.cmk.clone(),
                arn: ROLE_ARN.into(),
                region_id: REGION.into(),
            }),
        }
    }

    fn configure_logstores(&mut self) {
        self.heading("Step 2: configure data encryption for Logstores");
        let project = self.svc.create_project(&alice(), "shop");
        self.expect_ok("alice creates project shop", project);
        let byok = LogstoreConfig {
            ttl: None,
            name: "orders-byok".into(),
            shard_count: 2,
            encrypt_conf: Some(self.byok("m4")),
        };
        let json = serde_json::to_string(&byok.encrypt_conf).unwrap_or_default();
        let created = self.svc.create_logstore_traced(&alice(), "shop", &byok);
        self.expect_ok(
            &format!("alice creates orders-byok with encrypt_conf {json}"),
            created.outcome,
        );
        let chain = created.chain;
        self.say("the configuration chain: alice may create it, may pass the role, Log Service may assume it, the role may describe the CMK");
        self.chain(&chain);
        let service = LogstoreConfig {
            ttl: None,
            name: "orders-svc".into(),
            shard_count: 2,
            encrypt_conf: Some(EncryptConf {
                enable: true,
                encrypt_type: "default".into(),
                user_cmk_info: None,
            }),
        };
        let json = serde_json::to_string(&service.encrypt_conf).unwrap_or_default();
        let created = self.svc.create_logstore(&alice(), "shop", &service);
        self.expect_ok(
            &format!("alice creates orders-svc with encrypt_conf {json} (service key)"),
            created,
        );
    }

    fn write_and_read(&mut self) {
        self.heading("Write and read logs");
        for store in ["orders-byok", "orders-svc"] {
            for n in 0..3 {
                let put = self
                    .svc
                    .put_logs(&alice(), "shop", store, Some(0), &group(n));
                self.expect_ok(&format!("put a log group into {store}"), put);
            }
            let read = self
                .svc
                .pull_logs(&alice(), "shop", store, 0, 0, 100)
                .map(|p| p.groups.len());
            if let Some(n) = self.expect_ok(&format!("pull shard 0 of {store}"), read) {
                self.say(&format!("{store}: {n} log groups read back"));
            }
        }
        self.say("reading orders-svc needs the caller's permission only; reading orders-byok decides the whole chain:");
        let read = self
            .svc
            .pull_logs_traced(&alice(), "shop", "orders-byok", 0, 0, 1);
        self.expect_ok("pull one log group of orders-byok", read.outcome);
        let chain = read.chain;
        self.chain(&chain);
    }

    fn disable_and_enable(&mut self) -> Result<(), Failure> {
        self.heading("Disable the CMK: every read and write of the BYOK Logstore fails");
        let account = Identity::Account {
            uid: ACCOUNT.into(),
        };
        self.svc
            .with_kms_caller(&account, |kms, caller| kms.disable_key(caller, &self.cmk))
            .map_err(fail)?;
        self.say("CMK disabled");
        let put = self
            .svc
            .put_logs(&alice(), "shop", "orders-byok", Some(0), &group(9));
        self.expect_refused("write to orders-byok", put);
        let read = self
            .svc
            .pull_logs(&alice(), "shop", "orders-byok", 0, 0, 100);
        self.expect_refused("read from orders-byok", read);
        let put = self
            .svc
            .put_logs(&alice(), "shop", "orders-svc", Some(0), &group(3));
        self.expect_ok("write to orders-svc (service key) still works", put);
        self.heading("Re-enable the CMK: everything is readable again, nothing lost");
        self.svc
            .with_kms_caller(&account, |kms, caller| kms.enable_key(caller, &self.cmk))
            .map_err(fail)?;
        let read = self
            .svc
            .pull_logs(&alice(), "shop", "orders-byok", 0, 0, 100)
            .map(|p| p.groups.len());
        match self.expect_ok("read orders-byok again", read) {
            Some(3) => self.say("all 3 log groups written before the key was disabled are back"),
            Some(n) => {
                self.say(&format!("UNEXPECTED: {n} log groups instead of 3"));
                self.surprises.push("data lost or invented".into());
            }
            None => {}
        }
        Ok(())
    }

    fn immutable_settings(&mut self) {
        self.heading("The encryption type cannot change once configured");
        let mut aes = self.byok("default");
        aes.enable = true;
        let update =
            self.svc
                .update_logstore(&alice(), "shop", "orders-byok", None, Some(&aes), None);
        self.expect_refused("change orders-byok from m4 to default", update);
        let mut off = self.byok("m4");
        off.enable = false;
        let update =
            self.svc
                .update_logstore(&alice(), "shop", "orders-byok", None, Some(&off), None);
        self.expect_ok("switch encryption off (only enable may change)", update);
        let update = self.svc.update_logstore(
            &alice(),
            "shop",
            "orders-byok",
            None,
            Some(&self.byok("m4")),
            None,
        );
        self.expect_ok(
            "switch it on again (the configuration chain runs again)",
            update,
        );
    }

    fn without_pass_role(&mut self) {
        self.heading("A RAM user without PassRole cannot configure BYOK");
        let config = LogstoreConfig {
            ttl: None,
            name: "bob-byok".into(),
            shard_count: 1,
            encrypt_conf: Some(self.byok("default")),
        };
        let created = self.svc.create_logstore(&bob(), "shop", &config);
        self.expect_refused("bob creates a BYOK Logstore", created);
    }

    fn verify_audit(&mut self) {
        self.heading("The audit log");
        match verify_audit_log(&self.svc.audit_path()) {
            Ok(records) => {
                let refused = records
                    .iter()
                    .filter(|r| r.event["outcome"] == "refused")
                    .count();
                self.say(&format!("audit log intact: {} records ({refused} refusals), each with its decision chain", records.len()));
            }
            Err(e) => {
                self.say(&format!("UNEXPECTED: {e}"));
                self.surprises.push("the audit log does not verify".into());
            }
        }
    }
}
