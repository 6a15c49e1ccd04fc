//! The Logstore report: who can read its plaintext, write it, turn its
//! encryption off, make it unreadable or gone, and pass its BYOK role.
//!
//! For a BYOK Logstore, reading and writing need more than the caller's
//! permission: Log Service must be able to assume the role (its trust
//! policy), the role must be allowed `kms:Decrypt` (reads) or
//! `kms:GenerateDataKey` (writes) on the CMK, and the CMK must be
//! `Enabled` (DESIGN.md's write path). Those steps join every row's chain
//! and condition; when the service chain cannot hold, nobody can read or
//! write, and the section says why.

use std::collections::BTreeMap;

use crate::kms::KeyState;
use crate::logstore::LOG_SERVICE;
use crate::ram::parse_role_arn;

use super::analyzer::{Analyzer, Question};
use super::error::AccessError;
use super::principals::Subject;
use super::residual::Residual;
use super::snapshot::{logstore_arn, project_arn};
use super::who_can::{Row, rows};

/// Where the Logstore is: its account and region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
}

/// The BYOK settings the report follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Byok {
    /// The role Log Service assumes.
    pub role: String,
    /// The CMK's id.
    pub key_id: String,
    /// The CMK's state, when the snapshot knows it.
    pub key_state: Option<KeyState>,
}

/// One question of the report and its answers.
#[derive(Clone, Debug)]
pub struct Section {
    /// A stable name (`read`, `write`, `use-key`, `disable-encryption`,
    /// `break`, `pass-role`, `configure-byok`).
    pub name: &'static str,
    /// What is asked, in words.
    pub title: String,
    /// Who can, each with how and when.
    pub rows: Vec<Row>,
    /// Why a section is empty or what it assumed.
    pub note: Option<String>,
}

/// The whole report.
#[derive(Clone, Debug)]
pub struct LogstoreReport {
    /// The project.
    pub project: String,
    /// The Logstore.
    pub logstore: String,
    /// Its ARN.
    pub arn: String,
    /// How it is encrypted, in words.
    pub encryption: String,
    /// The questions, in order.
    pub sections: Vec<Section>,
}

/// The service chain of a BYOK operation: Log Service becomes the role and
/// the role uses the key.
struct ServiceChain {
    service: usize,
    role: usize,
    question: Question,
    residual: Residual,
}

impl ServiceChain {
    fn new(
        an: &Analyzer<'_>,
        role: &str,
        key_arn: &str,
        action: &str,
    ) -> Result<Option<ServiceChain>, AccessError> {
        let Ok((account, name)) = parse_role_arn(role) else {
            return Ok(None);
        };
        let role_subject = an
            .snapshot()
            .directory
            .account(account)
            .and_then(|a| a.role(name))
            .map(|r| Subject::Role {
                account: account.to_string(),
                name: r.name().to_string(),
            });
        let (Some(service), Some(role)) = (
            an.index_of(&Subject::Service(LOG_SERVICE.to_string())),
            role_subject.and_then(|r| an.index_of(&r)),
        ) else {
            return Ok(None);
        };
        let question = Question::new(action, key_arn, &Default::default());
        let residual = an
            .hop_residual(service, role)?
            .and(&an.residual(role, &question)?, LOG_SERVICE)?;
        Ok(Some(ServiceChain {
            service,
            role,
            question,
            residual,
        }))
    }
}

/// Joins the service chain to every row: the conjunction of conditions,
/// and the chain proved again in one witness of it.
fn with_service(
    an: &Analyzer<'_>,
    rows: Vec<Row>,
    questions: &[Question],
    chain: &ServiceChain,
) -> Result<Vec<Row>, AccessError> {
    let mut out = Vec::new();
    for mut r in rows {
        let condition = r.condition.and(&chain.residual, &r.principal)?;
        if condition.is_never() {
            continue;
        }
        let asked: Vec<&Question> = r.asked.iter().filter_map(|&q| questions.get(q)).collect();
        let mut proof = an.prove(r.start, &r.hops, &condition, &asked)?;
        proof.extend(
            an.prove(chain.service, &[chain.role], &condition, &[&chain.question])?
                .steps,
        );
        r.condition = condition;
        r.chain = proof;
        out.push(r);
    }
    Ok(out)
}

/// The rows present in both answers (same principal, same path), with both
/// conditions and one proof of both; their `asked` indices point into the
/// returned questions (`qa` then `qb`).
fn both(
    an: &Analyzer<'_>,
    a: Vec<Row>,
    qa: &[Question],
    b: Vec<Row>,
    qb: &[Question],
) -> Result<(Vec<Row>, Vec<Question>), AccessError> {
    let combined: Vec<Question> = qa.iter().chain(qb).cloned().collect();
    let mut by_path: BTreeMap<(usize, Vec<usize>), Vec<Row>> = BTreeMap::new();
    for r in b {
        by_path
            .entry((r.start, r.hops.clone()))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for r in a {
        for other in by_path
            .get(&(r.start, r.hops.clone()))
            .into_iter()
            .flatten()
        {
            let condition = r.condition.and(&other.condition, &r.principal)?;
            if condition.is_never() {
                continue;
            }
            let mut asked = r.asked.clone();
            asked.extend(other.asked.iter().map(|q| q + qa.len()));
            let questions: Vec<&Question> = asked.iter().filter_map(|&q| combined.get(q)).collect();
            let chain = an.prove(r.start, &r.hops, &condition, &questions)?;
            let mut actions = r.actions.clone();
            actions.extend(other.actions.iter().cloned());
            actions.sort();
            actions.dedup();
            out.push(Row {
                principal: r.principal.clone(),
                via: r.via.clone(),
                actions,
                condition,
                chain,
                start: r.start,
                hops: r.hops.clone(),
                asked,
            });
        }
    }
    Ok((out, combined))
}

fn questions(pairs: &[(&str, &str)]) -> Vec<Question> {
    pairs
        .iter()
        .map(|(a, r)| Question::new(a, r, &Default::default()))
        .collect()
}

/// The report for `project`/`logstore` at `at`. `byok` is what the
/// snapshot knows of its BYOK settings (or what the caller says they are).
pub fn report(
    an: &Analyzer<'_>,
    at: &Location,
    project: &str,
    logstore: &str,
    byok: Option<&Byok>,
) -> Result<LogstoreReport, AccessError> {
    let arn = logstore_arn(&at.region, &at.account, project, logstore);
    let project_arn = project_arn(&at.region, &at.account, project);
    let key_arn = byok.map(|b| format!("acs:kms:{}:{}:key/{}", at.region, at.account, b.key_id));
    let mut sections = Vec::new();
    let key_note = |b: &Byok| match b.key_state {
        Some(KeyState::Enabled) => None,
        Some(s) => Some(format!(
            "the CMK `{}` is {s}: Log Service cannot use it, so nobody can",
            b.key_id
        )),
        None => Some(format!(
            "the state of CMK `{}` is not known here (a directory file): taken as Enabled",
            b.key_id
        )),
    };
    for (name, title, actions, kms) in [
        (
            "read",
            "read its plaintext",
            &["log:GetLogStoreLogs", "log:GetCursorOrData"][..],
            "kms:Decrypt",
        ),
        (
            "write",
            "write to it",
            &["log:PostLogStoreLogs"][..],
            "kms:GenerateDataKey",
        ),
    ] {
        let qs = questions(
            &actions
                .iter()
                .map(|a| (*a, arn.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut found = rows(an, &qs)?;
        let mut note = None;
        if let (Some(b), Some(key)) = (byok, &key_arn) {
            note = key_note(b);
            let usable = b.key_state.is_none_or(|s| s == KeyState::Enabled);
            match ServiceChain::new(an, &b.role, key, kms)? {
                Some(chain) if usable && !chain.residual.is_never() => {
                    found = with_service(an, found, &qs, &chain)?;
                }
                Some(_) if usable => {
                    note = Some(format!(
                        "Log Service cannot both assume `{}` and `{kms}` the CMK: nobody can",
                        b.role
                    ));
                    found.clear();
                }
                Some(_) => found.clear(),
                None => {
                    note = Some(format!(
                        "Log Service cannot assume `{}` (no such role, or no trust policy names {LOG_SERVICE}): nobody can",
                        b.role
                    ));
                    found.clear();
                }
            }
        }
        sections.push(Section {
            name,
            title: title.to_string(),
            rows: found,
            note,
        });
    }
    if let (Some(b), Some(key)) = (byok, &key_arn) {
        let qs = questions(&[
            ("kms:Decrypt", key.as_str()),
            ("kms:GenerateDataKey", key.as_str()),
        ]);
        sections.push(Section {
            name: "use-key",
            title: "use its CMK (kms:Decrypt, kms:GenerateDataKey)".to_string(),
            rows: rows(an, &qs)?,
            note: key_note(b),
        });
    }
    sections.push(Section {
        name: "disable-encryption",
        title: "turn its encryption off (log:UpdateLogStore)".to_string(),
        rows: rows(an, &questions(&[("log:UpdateLogStore", &arn)]))?,
        note: None,
    });
    let mut breaking = vec![
        ("log:DeleteLogStore", arn.as_str()),
        ("log:DeleteProject", project_arn.as_str()),
    ];
    if let (Some(b), Some(key)) = (byok, &key_arn) {
        breaking.extend([
            ("kms:DisableKey", key.as_str()),
            ("kms:ScheduleKeyDeletion", key.as_str()),
            ("ram:DetachPolicyFromRole", b.role.as_str()),
            ("ram:UpdateRole", b.role.as_str()),
            ("ram:DeleteRole", b.role.as_str()),
        ]);
    }
    sections.push(Section {
        name: "break",
        title: "make it unreadable or gone".to_string(),
        rows: rows(an, &questions(&breaking))?,
        note: None,
    });
    if let (Some(b), Some(key)) = (byok, &key_arn) {
        let pass = vec![Question::pass_role(&b.role, LOG_SERVICE)];
        let passing = rows(an, &pass)?;
        sections.push(Section {
            name: "pass-role",
            title: format!("pass its BYOK role to {LOG_SERVICE}"),
            rows: passing.clone(),
            note: None,
        });
        let update = questions(&[("log:UpdateLogStore", &arn)]);
        let (mut configure, asked) = both(an, rows(an, &update)?, &update, passing, &pass)?;
        let mut note = key_note(b);
        match ServiceChain::new(an, &b.role, key, "kms:DescribeKey")? {
            Some(chain) if !chain.residual.is_never() => {
                configure = with_service(an, configure, &asked, &chain)?;
            }
            _ => {
                note = Some(format!(
                    "Log Service cannot assume `{}` and `kms:DescribeKey` the CMK: nobody can",
                    b.role
                ));
                configure.clear();
            }
        }
        sections.push(Section {
            name: "configure-byok",
            title: "configure BYOK with the role (log:UpdateLogStore, ram:PassRole, and the role may describe the CMK)".to_string(),
            rows: configure,
            note,
        });
    }
    let encryption = match byok {
        Some(b) => format!("BYOK: role {}, CMK {}", b.role, b.key_id),
        None => "service key or none (no BYOK settings known)".to_string(),
    };
    Ok(LogstoreReport {
        project: project.to_string(),
        logstore: logstore.to_string(),
        arn,
        encryption,
        sections,
    })
}

impl Location {
    /// The account and region of a data directory's snapshot.
    pub fn of(snapshot: &super::snapshot::Snapshot) -> Option<Location> {
        Some(Location {
            account: snapshot.account.clone()?,
            region: snapshot.region.clone()?,
        })
    }
}

/// The BYOK settings a snapshot holds for a Logstore, with the CMK's state.
pub fn byok_of(
    snapshot: &super::snapshot::Snapshot,
    project: &str,
    logstore: &str,
) -> Option<Byok> {
    let conf = snapshot
        .logstore(project, logstore)?
        .encrypt_conf
        .as_ref()?;
    let info = conf.user_cmk_info.as_ref()?;
    Some(Byok {
        role: info.arn.clone(),
        key_id: info.cmk_key_id.clone(),
        key_state: snapshot.key(&info.cmk_key_id).map(|k| k.state),
    })
}
