//! Access analysis on a generated account of 1,000 users, 100 groups,
//! 200 roles and 5,000 custom policies: `who-can` for one action and
//! resource, and `escalation` over the whole account, each against a
//! baseline in the same run (one `Ram::authorize` per principal: the least
//! any exact answer to "who can" must do).
//!
//!     cargo bench --bench access

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ramgate::access::{Analyzer, Snapshot, escalation, who_can};
use ramgate::authz::Context;
use ramgate::clock::ManualClock;
use ramgate::ram::{Access, Directory, Identity, PolicyRef, Ram, RoleSession, Target};

const UID: &str = "1234567890123456";
const USERS: usize = 1_000;
const GROUPS: usize = 100;
const ROLES: usize = 200;
const POLICIES: usize = 5_000;
const ACTION: &str = "log:GetLogStoreLogs";
const RESOURCE: &str = "acs:log:cn-hangzhou:1234567890123456:project/p7/logstore/l3";

/// A small deterministic generator (no extra crate for a bench).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// One statement of a generated policy: the kinds of grant real accounts
/// hold, mostly scoped to a project, a few with conditions.
fn statement(rng: &mut Lcg) -> String {
    let project = rng.below(20);
    let (action, resource) = match rng.below(10) {
        0..=3 => (
            r#"["log:Get*","log:List*"]"#.to_string(),
            format!("acs:log:*:{UID}:project/p{project}/*"),
        ),
        4 => (
            r#""log:PostLogStoreLogs""#.to_string(),
            format!("acs:log:*:{UID}:project/p{project}/logstore/*"),
        ),
        5 => (
            r#"["kms:Decrypt","kms:GenerateDataKey"]"#.to_string(),
            format!("acs:kms:*:{UID}:key/*"),
        ),
        6 => (r#""ecs:Describe*""#.to_string(), "*".to_string()),
        7 => (
            r#"["oss:GetObject","oss:PutObject"]"#.to_string(),
            format!("acs:oss:*:*:bucket-{project}/*"),
        ),
        8 => (r#""ram:Get*""#.to_string(), "*".to_string()),
        _ => (r#""kms:Describe*""#.to_string(), "*".to_string()),
    };
    let condition = match rng.below(8) {
        0 => r#","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
        1 => r#","Condition":{"Bool":{"acs:MFAPresent":"true"}}"#,
        _ => "",
    };
    let effect = if rng.below(20) == 0 { "Deny" } else { "Allow" };
    format!(r#"{{"Effect":"{effect}","Action":{action},"Resource":"{resource}"{condition}}}"#)
}

fn trust(principals: &[String]) -> String {
    let list: Vec<String> = principals.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":[{}]}}}}]}}"#,
        list.join(",")
    )
}

/// The generated account. Every user may call `sts:AssumeRole` (through a
/// group); each role trusts two users or another role, so chains exist; a
/// few users administer keys or users.
fn directory() -> Directory {
    let mut rng = Lcg(0x5eed);
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap();
    for p in 0..POLICIES {
        let n = 1 + rng.below(3);
        let statements: Vec<String> = (0..n).map(|_| statement(&mut rng)).collect();
        let doc = format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            statements.join(",")
        );
        a.create_policy(&format!("P{p}"), &doc).unwrap();
    }
    for u in 0..USERS {
        a.create_user(&format!("u{u}")).unwrap();
        for _ in 0..2 {
            let p = PolicyRef::Custom(format!("P{}", rng.below(POLICIES)));
            let _ = a.attach_policy(&Target::User(format!("u{u}")), &p);
        }
    }
    for g in 0..GROUPS {
        a.create_group(&format!("g{g}")).unwrap();
        for _ in 0..5 {
            let p = PolicyRef::Custom(format!("P{}", rng.below(POLICIES)));
            let _ = a.attach_policy(&Target::Group(format!("g{g}")), &p);
        }
    }
    a.attach_policy(
        &Target::Group("g0".into()),
        &PolicyRef::System("AliyunSTSAssumeRoleAccess".into()),
    )
    .unwrap();
    for u in 0..USERS {
        a.add_user_to_group(&format!("u{u}"), "g0").unwrap();
        let _ = a.add_user_to_group(&format!("u{u}"), &format!("g{}", 1 + rng.below(GROUPS - 1)));
    }
    for r in 0..ROLES {
        let trusted = if r % 10 == 9 {
            vec![format!("acs:ram::{UID}:role/r{}", r - 1)]
        } else {
            (0..2)
                .map(|_| format!("acs:ram::{UID}:user/u{}", rng.below(USERS)))
                .collect()
        };
        a.create_role(&format!("r{r}"), &trust(&trusted)).unwrap();
        for _ in 0..3 {
            let p = PolicyRef::Custom(format!("P{}", rng.below(POLICIES)));
            let _ = a.attach_policy(&Target::Role(format!("r{r}")), &p);
        }
        if r % 10 == 8 {
            a.attach_policy(
                &Target::Role(format!("r{r}")),
                &PolicyRef::System("AliyunSTSAssumeRoleAccess".into()),
            )
            .unwrap();
        }
    }
    for (u, p) in [(1, "AdministratorAccess"), (2, "AliyunLogFullAccess")] {
        a.attach_policy(&Target::User(format!("u{u}")), &PolicyRef::System(p.into()))
            .unwrap();
    }
    a.create_policy(
        "KeyAdmins",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:CreateAccessKey","ram:AttachPolicyToUser"],"Resource":"acs:ram::1234567890123456:user/u1*"}]}"#,
    )
    .unwrap();
    a.attach_policy(
        &Target::User("u3".into()),
        &PolicyRef::Custom("KeyAdmins".into()),
    )
    .unwrap();
    d
}

fn bench(c: &mut Criterion) {
    let snapshot = Snapshot::of_directory(directory());
    let mut g = c.benchmark_group("access");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    let clock = ManualClock::new(time::OffsetDateTime::UNIX_EPOCH);
    let expiry = time::OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1);
    let identities: Vec<Identity> = (0..USERS)
        .map(|u| Identity::User {
            account: UID.into(),
            name: format!("u{u}"),
        })
        .chain((0..ROLES).map(|r| {
            Identity::RoleSession(
                RoleSession::new(UID, &format!("r{r}"), "bench", None, expiry).unwrap(),
            )
        }))
        .collect();
    g.bench_function("baseline: Ram::authorize once per principal", |b| {
        let ram = Ram::new(&snapshot.directory, &clock);
        let access = Access::new(ACTION, RESOURCE);
        b.iter(|| {
            identities
                .iter()
                .filter(|i| {
                    ram.authorize(i, &access, None)
                        .is_ok_and(|s| s.is_allowed())
                })
                .count()
        })
    });
    g.bench_function("who-can one action and resource", |b| {
        b.iter(|| {
            let an = Analyzer::new(&snapshot);
            black_box(
                who_can(&an, ACTION, RESOURCE, &Context::new())
                    .unwrap()
                    .len(),
            )
        })
    });
    // The same question on an analyzer already loaded (its per-principal
    // policy sets built, as `access check` and `access logstore` reuse them
    // across questions): the cost of the question alone.
    g.bench_function("who-can one action and resource, analyzer loaded", |b| {
        let an = Analyzer::new(&snapshot);
        let _ = who_can(&an, ACTION, RESOURCE, &Context::new());
        b.iter(|| {
            black_box(
                who_can(&an, ACTION, RESOURCE, &Context::new())
                    .unwrap()
                    .len(),
            )
        })
    });
    g.bench_function("escalation over the whole account", |b| {
        b.iter(|| {
            let an = Analyzer::new(&snapshot);
            black_box(escalation(&an).unwrap().len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
