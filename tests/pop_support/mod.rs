//! A data directory with its credential store, and `pop::handle` called
//! the way the HTTP front calls it.
#![allow(dead_code)]

use std::sync::Arc;

use ramgate::authz::Context;
use ramgate::kms::{ManualClock, RootKeySource};
use ramgate::logstore::{LogService, Options};
use ramgate::ram::{Identity, PolicyRef, Target};
use ramgate::server::keystore::KeyStore;
use ramgate::server::pop::{self, PopCall, PopFailure, Product};
use serde_json::Value;
use tempfile::TempDir;
use time::macros::datetime;

pub const ACCOUNT: &str = "1234567890123456";
pub const REGION: &str = "cn-hangzhou";

pub struct Env {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub svc: LogService,
    pub store: KeyStore,
}

pub fn root() -> Identity {
    Identity::Account {
        uid: ACCOUNT.into(),
    }
}

pub fn user(name: &str) -> Identity {
    Identity::User {
        account: ACCOUNT.into(),
        name: name.into(),
    }
}

pub fn options() -> Options {
    Options {
        root_key: RootKeySource::data_dir(),
        ..Options::default()
    }
}

/// The context of a request from `ip` over plain HTTP.
pub fn from_ip(ip: &str) -> Context {
    let mut c = Context::new();
    c.insert("acs:SourceIp", [ip]);
    c.insert("acs:SecureTransport", ["false"]);
    c
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 08:00 UTC)));
        let svc = LogService::init(dir.path(), ACCOUNT, REGION, clock.clone(), options()).unwrap();
        let store = KeyStore::open(&svc).unwrap();
        Env {
            dir,
            clock,
            svc,
            store,
        }
    }

    /// Adds a user with a custom policy `<name>-policy` holding `policy`.
    pub fn user_with_policy(&self, name: &str, policy: &str) {
        self.svc
            .edit_directory(|a| {
                a.create_user(name)?;
                let p = format!("{name}-policy");
                a.create_policy(&p, policy)?;
                a.attach_policy(&Target::User(name.into()), &PolicyRef::Custom(p))
            })
            .unwrap();
    }

    pub fn call_with(
        &self,
        product: Product,
        action: &str,
        params: &[(&str, &str)],
        caller: &Identity,
        context: &Context,
    ) -> Result<Value, PopFailure> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let call = PopCall {
            product,
            action,
            params: &params,
            caller,
            context,
            request_id: "TEST-REQUEST",
        };
        pop::handle(&self.svc, &self.store, &call)
    }

    pub fn call(
        &self,
        product: Product,
        action: &str,
        params: &[(&str, &str)],
        caller: &Identity,
    ) -> Result<Value, PopFailure> {
        self.call_with(product, action, params, caller, &from_ip("127.0.0.1"))
    }

    pub fn ok(
        &self,
        product: Product,
        action: &str,
        params: &[(&str, &str)],
        caller: &Identity,
    ) -> Value {
        self.call(product, action, params, caller)
            .unwrap_or_else(|e| panic!("{action}: {e:?}"))
    }

    pub fn err(
        &self,
        product: Product,
        action: &str,
        params: &[(&str, &str)],
        caller: &Identity,
    ) -> PopFailure {
        match self.call(product, action, params, caller) {
            Ok(v) => panic!("{action} succeeded: {v}"),
            Err(e) => e,
        }
    }
}

/// Every file under `dir`, read whole.
pub fn all_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Whether `needle` occurs in any file under `dir`.
pub fn in_any_file(dir: &std::path::Path, needle: &str) -> bool {
    all_files(dir)
        .iter()
        .any(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}
