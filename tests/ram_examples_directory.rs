//! Every RAM documentation vector (`tests/data/ram-examples.json`: 34
//! vectors, 118 requests) run through the identity layer: each vector
//! becomes a directory, each request an `authorize`, `assume_role` or
//! `check_pass_role` call, and the answer is compared with `expected`.
//!
//! How a vector becomes a directory:
//!
//! * `identity` policies become custom policies attached to the user or
//!   role named by `attached_to`; a single-policy vector without `Principal`
//!   is an identity policy of every principal its requests name.
//! * `trust` policies become the trust policy of their role; a single-policy
//!   vector with `Principal` is the trust policy of the role each request
//!   names.
//! * `session` policies become the session policy of the role session named
//!   by `attached_to`.
//! * `resource` policies are passed as the resource policy of requests on
//!   the resource named by `attached_to` (KMS key policies, spec §8.5).
//!
//! Single-policy vectors give one side of a decision (spec §13). Where the
//! ram layer needs the other side of an AssumeRole, that side is made to
//! allow so the vector's policy decides: a trust-policy vector's RAM callers
//! get `AliyunSTSAssumeRoleAccess`, and the roles of an identity-policy
//! vector trust the caller's account.

use std::collections::{BTreeMap, BTreeSet};

use ramgate::authz::{Context, Decision, Principal};
use ramgate::policy::PolicyKind;
use ramgate::ram::{
    Access, AssumeRoleRequest, Directory, Identity, ManualClock, PolicyDocument, PolicyRef, Ram,
    RamError, ResourcePolicy, RoleSession, Target, parse_role_arn,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const NOW: i64 = 1_700_000_000;

fn vectors() -> Vec<Value> {
    let src = include_str!("data/ram-examples.json");
    match serde_json::from_str::<Value>(src) {
        Ok(Value::Array(v)) => v,
        other => panic!("ram-examples.json is not an array: {other:?}"),
    }
}

fn principal(p: &Value) -> Principal {
    let s = |k: &str| p[k].as_str().map(str::to_string);
    match p["type"].as_str() {
        Some("RAMUser" | "AssumedRoleUser") => {
            Principal::from_ram_arn(&s("arn").unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"))
        }
        Some("Service") => Principal::Service {
            service: s("service").unwrap_or_default(),
            account: s("account"),
        },
        Some("Federated") => Principal::Federated {
            provider: s("provider").unwrap_or_default(),
        },
        other => panic!("unknown principal type {other:?}"),
    }
}

fn context(r: &Value) -> Context {
    let mut c = Context::new();
    for (k, v) in r["context"].as_object().into_iter().flatten() {
        match v {
            Value::String(s) => c.insert(k, [s.clone()]),
            Value::Array(items) => c.insert(
                k,
                items.iter().filter_map(|i| i.as_str().map(str::to_string)),
            ),
            other => panic!("context value {other}"),
        }
    }
    c
}

/// One policy of a vector, normalised.
struct Attached {
    kind: &'static str,
    attached_to: Option<String>,
    document: String,
}

fn attached(v: &Value) -> Vec<Attached> {
    if let Some(p) = v.get("policy") {
        let has_principal = p["Statement"]
            .as_array()
            .is_some_and(|s| s.iter().any(|st| st.get("Principal").is_some()));
        return vec![Attached {
            kind: if has_principal { "trust" } else { "identity" },
            attached_to: None,
            document: p.to_string(),
        }];
    }
    v["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Attached {
            kind: match p["kind"].as_str() {
                Some("identity") => "identity",
                Some("trust") => "trust",
                Some("session") => "session",
                Some("resource") => "resource",
                other => panic!("unknown kind {other:?}"),
            },
            attached_to: p["attached_to"].as_str().map(str::to_string),
            document: p["document"].to_string(),
        })
        .collect()
}

/// Where an identity policy goes: a user or a role, by ARN.
fn owner_of(arn: &str) -> (String, Target) {
    match Principal::from_ram_arn(arn) {
        Ok(Principal::User { account, name }) => (account, Target::User(name)),
        _ => match parse_role_arn(arn) {
            Ok((account, name)) => (account.to_string(), Target::Role(name.to_string())),
            Err(e) => panic!("{arn}: {e}"),
        },
    }
}

/// The identity policies of a request's principal attach to its user, or
/// to its role for a role session.
fn owner_of_principal(p: &Principal) -> Option<(String, Target)> {
    match p {
        Principal::User { account, name } => Some((account.clone(), Target::User(name.clone()))),
        Principal::RoleSession { account, role, .. } => {
            Some((account.clone(), Target::Role(role.clone())))
        }
        _ => None,
    }
}

fn trust_of_account(uid: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{uid}:root"}}}}]}}"#
    )
}

/// Builds the directory for one vector.
struct Built {
    dir: Directory,
    sessions: BTreeMap<String, PolicyDocument>,
    resources: BTreeMap<String, ResourcePolicy>,
}

fn ensure(dir: &mut Directory, account: &str, target: &Target) {
    let a = dir
        .ensure_account(account)
        .unwrap_or_else(|e| panic!("{e}"));
    match target {
        Target::User(n) if a.user(n).is_none() => {
            a.create_user(n).unwrap_or_else(|e| panic!("{e}"));
        }
        // A role the vector gives no trust policy for trusts its own
        // account; its sessions are what the vector is about.
        Target::Role(n) if a.role(n).is_none() => {
            a.create_role(n, &trust_of_account(account))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        _ => {}
    }
}

fn attach(dir: &mut Directory, account: &str, target: &Target, name: &str, document: &str) {
    ensure(dir, account, target);
    let a = dir
        .ensure_account(account)
        .unwrap_or_else(|e| panic!("{e}"));
    if a.policy(name).is_none() {
        a.create_policy(name, document)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Requests of one vector may name the same principal twice.
    match a.attach_policy(target, &PolicyRef::Custom(name.to_string())) {
        Ok(()) | Err(RamError::AlreadyAttached { .. }) => {}
        Err(e) => panic!("{e}"),
    }
}

fn build(i: usize, v: &Value) -> Built {
    let mut b = Built {
        dir: Directory::new(),
        sessions: BTreeMap::new(),
        resources: BTreeMap::new(),
    };
    let requests: Vec<&Value> = v["requests"].as_array().into_iter().flatten().collect();
    let principals: Vec<Principal> = requests
        .iter()
        .map(|r| principal(&r["principal"]))
        .collect();
    // Trust policies first: roles named by them are created with them.
    for p in attached(v) {
        match (p.kind, &p.attached_to) {
            ("trust", Some(role)) => {
                let (account, Target::Role(role)) = owner_of(role) else {
                    panic!("trust policy attached to a non-role");
                };
                b.dir
                    .ensure_account(&account)
                    .and_then(|a| a.create_role(&role, &p.document).map(|_| ()))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            ("trust", None) => {
                // The trust policy of every role the requests name; RAM
                // callers get AliyunSTSAssumeRoleAccess so the trust decides.
                let roles: BTreeSet<String> = requests
                    .iter()
                    .filter_map(|r| r["resource"].as_str())
                    .filter(|r| parse_role_arn(r).is_ok())
                    .map(str::to_string)
                    .collect();
                for arn in roles {
                    let (account, name) = parse_role_arn(&arn).unwrap_or_else(|e| panic!("{e}"));
                    b.dir
                        .ensure_account(account)
                        .and_then(|a| a.create_role(name, &p.document).map(|_| ()))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                for pr in &principals {
                    if let Some((account, target)) = owner_of_principal(pr) {
                        ensure(&mut b.dir, &account, &target);
                        let a = b
                            .dir
                            .ensure_account(&account)
                            .unwrap_or_else(|e| panic!("{e}"));
                        let sts = PolicyRef::System("AliyunSTSAssumeRoleAccess".into());
                        match a.attach_policy(&target, &sts) {
                            Ok(()) | Err(RamError::AlreadyAttached { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (j, p) in attached(v).iter().enumerate() {
        let name = format!("vector{i}-policy{j}");
        match (p.kind, &p.attached_to) {
            ("identity", Some(to)) => {
                let (account, target) = owner_of(to);
                attach(&mut b.dir, &account, &target, &name, &p.document);
            }
            ("identity", None) => {
                for pr in &principals {
                    if let Some((account, target)) = owner_of_principal(pr) {
                        attach(&mut b.dir, &account, &target, &name, &p.document);
                    }
                }
                // Roles the requests assume trust the callers' accounts, so
                // the identity policy decides.
                for (r, pr) in requests.iter().zip(&principals) {
                    let Some(Ok((account, role))) = r["resource"].as_str().map(parse_role_arn)
                    else {
                        continue;
                    };
                    if let Some(caller) = pr.account() {
                        let a = b
                            .dir
                            .ensure_account(account)
                            .unwrap_or_else(|e| panic!("{e}"));
                        if a.role(role).is_none() {
                            a.create_role(role, &trust_of_account(caller))
                                .unwrap_or_else(|e| panic!("{e}"));
                        }
                    }
                }
            }
            ("session", Some(session)) => {
                let doc = PolicyDocument::parse(&p.document, PolicyKind::Session, "session", None)
                    .unwrap_or_else(|e| panic!("{e}"));
                b.sessions.insert(session.clone(), doc);
            }
            ("resource", Some(resource)) => {
                let rp =
                    ResourcePolicy::parse(&name, &p.document).unwrap_or_else(|e| panic!("{e}"));
                b.resources.insert(resource.clone(), rp);
            }
            ("trust", _) => {}
            (kind, to) => panic!("vector {i}: {kind} policy attached to {to:?}"),
        }
    }
    // Every caller exists; so does every role a PassRole names.
    for (r, pr) in requests.iter().zip(&principals) {
        if let Some((account, target)) = owner_of_principal(pr) {
            ensure(&mut b.dir, &account, &target);
        }
        if r["action"].as_str() == Some("ram:PassRole")
            && let Some(Ok((account, role))) = r["resource"].as_str().map(parse_role_arn)
        {
            ensure(&mut b.dir, account, &Target::Role(role.to_string()));
        }
    }
    b
}

fn identity(b: &Built, p: &Principal, expiration: OffsetDateTime) -> Identity {
    match p {
        Principal::RoleSession {
            account,
            role,
            session,
        } => {
            let arn = format!("acs:ram::{account}:role/{role}/{session}");
            let policy = b.sessions.get(&arn).cloned();
            let s = RoleSession::new(account, role, session, policy, expiration)
                .unwrap_or_else(|e| panic!("{e}"));
            Identity::RoleSession(s)
        }
        other => {
            Identity::from_principal(other.clone(), expiration).unwrap_or_else(|e| panic!("{e}"))
        }
    }
}

/// Asks the ram layer; `Ok(decision)` or the unexpected error.
fn ask(ram: &Ram, b: &Built, caller: &Identity, r: &Value) -> Result<(Decision, String), RamError> {
    let action = r["action"].as_str().unwrap_or_default();
    let resource = r["resource"].as_str().unwrap_or_default();
    let context = context(r);
    if action.eq_ignore_ascii_case("sts:AssumeRole") {
        let mut request = AssumeRoleRequest::new(resource, "vector-session");
        request.context = context;
        return match ram.assume_role(caller, &request) {
            Ok(assumed) => Ok((Decision::Allow, format!("{:?}", assumed.steps))),
            Err(e @ RamError::NoPermission(_)) => Ok((Decision::ImplicitDeny, e.to_string())),
            Err(e) => Err(e),
        };
    }
    if action == "ram:PassRole" && parse_role_arn(resource).is_ok() {
        // Vector 25 comes from the Log Service docs and names no service.
        let service = context
            .get("acs:Service")
            .and_then(|v| v.first().cloned())
            .unwrap_or_else(|| "log.aliyuncs.com".to_string());
        let step = ram.check_pass_role(caller, resource, &service)?;
        return Ok((step.decision(), format!("{:?}", step.parts)));
    }
    let access = Access {
        action: action.to_string(),
        resource: resource.to_string(),
        context,
    };
    let step = ram.authorize(caller, &access, b.resources.get(resource))?;
    Ok((step.decision(), format!("{:?}", step.parts)))
}

#[test]
fn every_vector_passes_through_the_ram_layer() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 34);
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(now);
    let mut failures = Vec::new();
    let mut ran = 0;
    for (i, v) in vectors.iter().enumerate() {
        let b = build(i, v);
        let ram = Ram::new(&b.dir, &clock);
        for (j, r) in v["requests"].as_array().into_iter().flatten().enumerate() {
            ran += 1;
            let caller = identity(&b, &principal(&r["principal"]), now + Duration::hours(1));
            let expected = r["expected"].as_str().unwrap_or_default();
            let why = r["why"].as_str().unwrap_or_default();
            match ask(&ram, &b, &caller, r) {
                Ok((decision, detail)) => {
                    let got = if decision.is_allowed() {
                        "Allow"
                    } else {
                        "Deny"
                    };
                    if got != expected {
                        failures.push(format!(
                            "vector {i} request {j}: expected {expected}, got {decision} ({why}); {detail}"
                        ));
                    }
                }
                Err(e) => failures.push(format!(
                    "vector {i} request {j}: error {} {e} ({why})",
                    e.code()
                )),
            }
        }
    }
    assert_eq!(ran, 118, "the vector file has 118 requests");
    assert!(
        failures.is_empty(),
        "{} of {ran} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
