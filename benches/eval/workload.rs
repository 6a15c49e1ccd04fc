//! The eval workloads: W1 (the seed's role session), W2 (100 policies × 10
//! statements, wildcard- and condition-heavy), W3 (a large account: W1's
//! policies among 10,000 statements), and the requests asked of them.
//!
//! Policies are RAM JSON (`serde_json::Value`): ramgate parses them, and
//! `cedar.rs` translates the same values into Cedar. Everything is drawn
//! from a fixed-seed generator, so every run measures the same sets.

use serde_json::{Value, json};

pub const ACCOUNT: &str = "1234567890123456";
/// The seed's key (spec `sls-kms.md` §1.4; the same id as the `ram` tests).
pub const SEED_KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6000001";

/// A named RAM policy document.
pub struct NamedPolicy {
    pub id: String,
    pub json: Value,
}

/// One request: the action, the resource and single-valued context keys.
#[derive(Clone, Debug)]
pub struct Req {
    pub action: String,
    pub resource: String,
    pub context: Vec<(&'static str, String)>,
}

/// The condition keys the workloads use, each with the one type it always
/// has (Cedar needs a type per context attribute; RAM compares by operator).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    String,
    Ip,
    Bool,
    Date,
    Long,
}

pub const KEYS: [(&str, KeyType); 5] = [
    ("acs:SourceVpc", KeyType::String),
    ("acs:SourceIp", KeyType::Ip),
    ("acs:SecureTransport", KeyType::Bool),
    ("acs:CurrentTime", KeyType::Date),
    ("oss:max-keys", KeyType::Long),
];

pub fn key_type(key: &str) -> Option<KeyType> {
    KEYS.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|&(_, t)| t)
}

/// W1: the role `sls-byok` of the seed scenario, with its two system
/// policies and one custom policy (`examples/policies/kms-guarded.json`:
/// allow the keys of the account, never disable them, deny outside a VPC).
pub fn w1() -> Vec<NamedPolicy> {
    let parse = |s: &str| serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}"));
    vec![
        NamedPolicy {
            id: "system/AliyunKMSReadOnlyAccess".into(),
            json: parse(include_str!("../data/AliyunKMSReadOnlyAccess.json")),
        },
        NamedPolicy {
            id: "system/AliyunKMSCryptoUserAccess".into(),
            json: parse(include_str!("../data/AliyunKMSCryptoUserAccess.json")),
        },
        NamedPolicy {
            id: "policy/kms-guarded".into(),
            json: parse(include_str!("../../examples/policies/kms-guarded.json")),
        },
    ]
}

/// The request W1 is about: the Log Service role session asks KMS for a
/// data key, from a VPC.
pub fn seed_request() -> Req {
    Req {
        action: "kms:GenerateDataKey".into(),
        resource: SEED_KEY.into(),
        context: vec![
            ("acs:SourceVpc", "vpc-hz01".into()),
            ("acs:SourceIp", "10.1.2.3".into()),
            ("acs:SecureTransport", "true".into()),
            ("acs:CurrentTime", "2026-11-29T08:00:00Z".into()),
        ],
    }
}

/// How the generated statements are drawn (probabilities in percent).
#[derive(Clone, Copy)]
pub struct Mix {
    /// Of action patterns: a literal action.
    pub literal: u32,
    /// …`svc:Verb*` (the rest, up to `anywhere`, is `svc:*` or `svc:*Noun`).
    pub prefix: u32,
    /// …a pattern with a wildcard service (`*:Describe*`, `*`).
    pub anywhere: u32,
    /// Of statements: `NotAction`.
    pub not_action: u32,
    /// Of statements: `Deny`.
    pub deny: u32,
    /// Of statements: with one condition key, and with two.
    pub one_condition: u32,
    pub two_conditions: u32,
}

/// W2: wildcards and conditions in every other statement.
pub const MIXED: Mix = Mix {
    literal: 50,
    prefix: 25,
    anywhere: 8,
    not_action: 3,
    deny: 20,
    one_condition: 35,
    two_conditions: 15,
};

/// W3: a large account. Most statements name actions; service-wide and
/// verb-prefix patterns are common; patterns that cross services (`*`,
/// `*:Describe*`) and `NotAction` are rare, as in real accounts, where they
/// belong to a few administrator and guard-rail policies.
pub const LARGE_ACCOUNT: Mix = Mix {
    literal: 65,
    prefix: 25,
    anywhere: 1,
    not_action: 0,
    deny: 10,
    one_condition: 30,
    two_conditions: 10,
};

const SERVICES: [&str; 40] = [
    "ecs",
    "oss",
    "rds",
    "slb",
    "vpc",
    "kms",
    "log",
    "ram",
    "sts",
    "cms",
    "cdn",
    "alidns",
    "fc",
    "mns",
    "ons",
    "ess",
    "nas",
    "polardb",
    "kvstore",
    "dds",
    "actiontrail",
    "oos",
    "ros",
    "cs",
    "cr",
    "arms",
    "yundun-waf",
    "ddoscoo",
    "sas",
    "ims",
    "nlb",
    "alb",
    "ga",
    "cen",
    "hbr",
    "dts",
    "adb",
    "elasticsearch",
    "emr",
    "dataworks",
];
const VERBS: [&str; 12] = [
    "Get", "List", "Describe", "Create", "Delete", "Update", "Modify", "Put", "Enable", "Disable",
    "Tag", "Generate",
];
const NOUNS: [&str; 15] = [
    "Instance", "Key", "Bucket", "Object", "Policy", "Role", "LogStore", "Snapshot", "Alias",
    "Secret", "Rule", "Config", "Project", "Group", "DataKey",
];

/// SplitMix64: a fixed-seed source of workload choices (not cryptographic).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u32) -> bool {
        self.below(100) < p as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

fn action_pattern(rng: &mut Rng, mix: Mix) -> String {
    let (svc, verb, noun) = (rng.pick(&SERVICES), rng.pick(&VERBS), rng.pick(&NOUNS));
    let roll = rng.below(100) as u32;
    if roll < mix.literal {
        format!("{svc}:{verb}{noun}")
    } else if roll < mix.literal + mix.prefix {
        format!("{svc}:{verb}*")
    } else if roll < mix.literal + mix.prefix + mix.anywhere {
        match rng.below(3) {
            0 => "*".to_string(),
            1 => format!("*:{verb}*"),
            _ => format!("*:{verb}{noun}"),
        }
    } else if rng.percent(50) {
        format!("{svc}:*")
    } else {
        format!("{svc}:*{noun}")
    }
}

/// A resource of `svc` (statements name resources of the service their
/// actions belong to).
fn resource_pattern(rng: &mut Rng, svc: &str) -> String {
    let noun = rng.pick(&NOUNS).to_lowercase();
    match rng.below(5) {
        0 => "*".to_string(),
        1 => format!("acs:{svc}:*:{ACCOUNT}:{noun}/*"),
        2 => format!("acs:{svc}:cn-hangzhou:{ACCOUNT}:{noun}/r-{}", rng.below(50)),
        3 => format!("acs:{svc}:*:{ACCOUNT}:*"),
        _ => format!("acs:{svc}:*:*:{noun}/r-{}*", rng.below(5)),
    }
}

/// One condition block entry of an Allow: `(operator, key, values)`.
fn allow_condition(rng: &mut Rng) -> (&'static str, &'static str, Value) {
    match rng.below(8) {
        0 => (
            "StringEquals",
            "acs:SourceVpc",
            json!(format!("vpc-{}", rng.below(20))),
        ),
        1 => ("StringLike", "acs:SourceVpc", json!(["vpc-1*", "vpc-hz*"])),
        2 => (
            "IpAddress",
            "acs:SourceIp",
            json!(["10.0.0.0/8", format!("192.168.{}.0/24", rng.below(256))]),
        ),
        3 => ("Bool", "acs:SecureTransport", json!("true")),
        4 => (
            "DateLessThan",
            "acs:CurrentTime",
            json!("2030-01-01T00:00:00Z"),
        ),
        5 => (
            "DateGreaterThan",
            "acs:CurrentTime",
            json!("2020-01-01T00:00:00Z"),
        ),
        6 => (
            "StringNotLike",
            "acs:SourceVpc",
            json!(format!("vpc-{}*", rng.below(9))),
        ),
        _ => (
            "NumericLessThanEquals",
            "oss:max-keys",
            json!(format!("{}", 100 * (1 + rng.below(10)))),
        ),
    }
}

/// One condition of a Deny: guard rails that fire only for some requests
/// (outside a VPC, outside the corporate network, a quarantined VPC…).
fn deny_condition(rng: &mut Rng) -> (&'static str, &'static str, Value) {
    match rng.below(5) {
        0 => ("StringNotLike", "acs:SourceVpc", json!("vpc-*")),
        1 => (
            "NotIpAddress",
            "acs:SourceIp",
            json!(["10.0.0.0/8", format!("172.16.{}.0/24", rng.below(256))]),
        ),
        2 => ("Bool", "acs:SecureTransport", json!("false")),
        3 => (
            "DateGreaterThan",
            "acs:CurrentTime",
            json!("2030-01-01T00:00:00Z"),
        ),
        _ => (
            "StringEquals",
            "acs:SourceVpc",
            json!(format!("vpc-{}", rng.below(20))),
        ),
    }
}

fn statement(rng: &mut Rng, mix: Mix) -> Value {
    let deny = rng.percent(mix.deny);
    let actions: Vec<String> = (0..1 + rng.below(3))
        .map(|_| action_pattern(rng, mix))
        .collect();
    let svc = actions
        .iter()
        .find_map(|a| a.split_once(':').map(|(s, _)| s).filter(|s| *s != "*"))
        .unwrap_or_else(|| rng.pick(&SERVICES))
        .to_string();
    let resources: Vec<String> = (0..1 + rng.below(2))
        .map(|_| resource_pattern(rng, &svc))
        .collect();
    let effect = if deny { "Deny" } else { "Allow" };
    let mut s = json!({ "Effect": effect, "Resource": resources });
    let action_element = if rng.percent(mix.not_action) {
        "NotAction"
    } else {
        "Action"
    };
    s[action_element] = json!(actions);
    let n = if rng.percent(mix.two_conditions) {
        2
    } else if deny || rng.percent(mix.one_condition) {
        1
    } else {
        0
    };
    if n > 0 {
        let mut block = serde_json::Map::new();
        for _ in 0..n {
            let (op, key, values) = if deny {
                deny_condition(rng)
            } else {
                allow_condition(rng)
            };
            // A second entry under the same operator and key would replace
            // the first: keep whichever came first.
            let entry = block.entry(op).or_insert_with(|| json!({}));
            if entry.get(key).is_none() {
                entry[key] = values;
            }
        }
        s["Condition"] = Value::Object(block);
    }
    s
}

/// `count` policies of `per_policy` statements (the last one may be shorter
/// so that exactly `statements` are made).
pub fn generate(seed: u64, mix: Mix, statements: usize, per_policy: usize) -> Vec<NamedPolicy> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut made = 0;
    while made < statements {
        let n = per_policy.min(statements - made);
        let body: Vec<Value> = (0..n).map(|_| statement(&mut rng, mix)).collect();
        out.push(NamedPolicy {
            id: format!("gen/{}", out.len()),
            json: json!({ "Version": "1", "Statement": body }),
        });
        made += n;
    }
    out
}

/// W2: 100 generated policies × 10 statements.
pub fn w2() -> Vec<NamedPolicy> {
    generate(2, MIXED, 1_000, 10)
}

/// Generated policies, then W1's, `statements` in all (W3 is 10,000).
/// W1's come last, so no search finds them early.
pub fn large_account(statements: usize) -> Vec<NamedPolicy> {
    let core = w1();
    let n: usize = core.iter().map(statement_count).sum();
    let mut set = generate(3, LARGE_ACCOUNT, statements.saturating_sub(n), 10);
    set.extend(core);
    set
}

pub fn statement_count(p: &NamedPolicy) -> usize {
    p.json["Statement"].as_array().map_or(0, Vec::len)
}

/// Requests drawn like the statements: half ask for an action that some
/// literal pattern of `policies` names, half for any action.
pub fn requests(seed: u64, policies: &[NamedPolicy], n: usize) -> Vec<Req> {
    let mut rng = Rng::new(seed);
    let named: Vec<String> = policies
        .iter()
        .flat_map(|p| p.json["Statement"].as_array().into_iter().flatten())
        .flat_map(|s| s["Action"].as_array().into_iter().flatten())
        .filter_map(|a| a.as_str())
        .filter(|a| !a.contains('*'))
        .map(str::to_string)
        .collect();
    (0..n)
        .map(|_| {
            let action = if !named.is_empty() && rng.percent(50) {
                named[rng.below(named.len())].clone()
            } else {
                format!(
                    "{}:{}{}",
                    rng.pick(&SERVICES),
                    rng.pick(&VERBS),
                    rng.pick(&NOUNS)
                )
            };
            let service = action.split(':').next().unwrap_or("ecs").to_string();
            let noun = rng.pick(&NOUNS).to_lowercase();
            let resource = format!(
                "acs:{service}:cn-hangzhou:{ACCOUNT}:{noun}/r-{}",
                rng.below(50)
            );
            let mut context = vec![
                (
                    "acs:SourceIp",
                    format!(
                        "{}.{}.1.2",
                        if rng.percent(70) { 10 } else { 172 },
                        rng.below(256)
                    ),
                ),
                ("acs:CurrentTime", "2026-11-29T08:00:00Z".to_string()),
            ];
            if rng.percent(80) {
                context.push(("acs:SourceVpc", format!("vpc-{}", rng.below(20))));
            }
            if rng.percent(90) {
                context.push(("acs:SecureTransport", "true".to_string()));
            }
            if rng.percent(50) {
                context.push(("oss:max-keys", format!("{}", 50 * rng.below(30))));
            }
            Req {
                action,
                resource,
                context,
            }
        })
        .collect()
}
