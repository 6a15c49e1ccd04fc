//! `ramgate access`: who can read, write, break or take over what, each
//! answer with the decision chains that prove it.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::access::check;
use crate::access::logstore::byok_of;
use crate::access::render::{dot, human, json, sarif};
use crate::access::{
    AccessError, Analyzer, Byok, Location, Snapshot, escalation, logstore_report, read_data_dir,
    who_can,
};
use crate::authz::Context;
use crate::ram::Directory;

use super::chain;
use super::{Failure, Outcome};

/// Access analysis over a whole directory: who can do an action on a
/// resource (directly, through groups, through chains of `sts:AssumeRole`,
/// under which condition), the report of a Logstore, privilege-escalation
/// paths, and assertions for CI.
///
/// Exit status: 0 an answer (even "nobody"), 1 a violated `check`
/// assertion, 2 bad input.
#[derive(Debug, Args)]
pub(crate) struct AccessArgs {
    #[command(subcommand)]
    command: AccessCommand,
    /// A directory file (accounts, users, groups, roles, custom policies).
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "data_dir")]
    directory: Option<PathBuf>,
    /// A data directory (made by `ramgate init`), read as it is: no lock is
    /// taken and nothing is written, so a running server is not disturbed.
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    format: Format,
    /// A condition key the analysis takes as known, `KEY=VALUE` (repeat a
    /// key for several values); every other key is left in the residual
    /// condition.
    #[arg(long, value_name = "KEY=VALUE", global = true)]
    context: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum AccessCommand {
    /// Every principal that can do ACTION on RESOURCE (both may have
    /// wildcards: actions expand through the service catalogue, resources
    /// over the directory's own), with the condition and the proof.
    WhoCan {
        /// `service:Action`, wildcards allowed.
        action: String,
        /// A resource ARN, wildcards allowed.
        resource: String,
    },
    /// The report of one Logstore: who can read its plaintext (for BYOK,
    /// with Log Service's chain through the role and the CMK), write it,
    /// turn its encryption off, make it unreadable or gone, pass its role,
    /// and configure BYOK with it.
    Logstore {
        /// The project.
        project: String,
        /// The Logstore.
        logstore: String,
        /// The account (with `--directory`; default: the directory's only
        /// account).
        #[arg(long)]
        account: Option<String>,
        /// The region (with `--directory`).
        #[arg(long, default_value = "cn-hangzhou")]
        region: String,
        /// The BYOK role ARN (with `--directory`, which holds no Logstores).
        #[arg(long, requires = "cmk")]
        role: Option<String>,
        /// The BYOK CMK id (with `--directory`).
        #[arg(long, requires = "role")]
        cmk: Option<String>,
        /// One line per question, without the chains.
        #[arg(long)]
        summary: bool,
    },
    /// Principals who can grant themselves more than they have: attach a
    /// policy to themselves or a group they are in, create or set a default
    /// version of a policy attached to them, create an access key or login
    /// profile for a more powerful user, update the trust policy of a more
    /// powerful role and assume it, assume it, or pass it to a service.
    Escalation,
    /// Runs the assertions of a TOML check file (`[[who-can]]` with
    /// `action`, `resource` and `only = [...]` or `none = true`;
    /// `[escalation]` with `none = true`) and exits 1 listing each
    /// violation with its proof.
    Check {
        /// The check file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Dot,
}

pub(crate) fn run(args: AccessArgs) -> Result<Outcome, Failure> {
    let snapshot = snapshot(&args)?;
    let known = context(&args.context)?;
    let an = Analyzer::new(&snapshot);
    let printer = |c: &crate::ram::DecisionChain| chain::render(c);
    match &args.command {
        AccessCommand::WhoCan { action, resource } => {
            let rows = who_can(&an, action, resource, &known).map_err(failure)?;
            match args.format {
                Format::Json => outln!("{}", json::rows(&rows)),
                Format::Dot => out!("{}", dot::rows(&rows, resource)),
                Format::Sarif => return Err(sarif_only()),
                Format::Text => {
                    let mut out = format!("who can {action} on {resource}:\n");
                    human::rows(&mut out, &rows, &printer);
                    out!("{out}");
                }
            }
            Ok(Outcome::Yes)
        }
        AccessCommand::Logstore {
            project,
            logstore,
            account,
            region,
            role,
            cmk,
            summary,
        } => {
            let at = match Location::of(&snapshot) {
                Some(at) => at,
                None => Location {
                    account: match account {
                        Some(a) => a.clone(),
                        None => only_account(&snapshot)?,
                    },
                    region: region.clone(),
                },
            };
            let byok = match (role, cmk) {
                (Some(role), Some(cmk)) => Some(Byok {
                    role: role.clone(),
                    key_id: cmk.clone(),
                    key_state: snapshot.key(cmk).map(|k| k.state),
                }),
                _ => byok_of(&snapshot, project, logstore),
            };
            let report =
                logstore_report(&an, &at, project, logstore, byok.as_ref()).map_err(failure)?;
            match args.format {
                Format::Json => outln!("{}", json::logstore(&report)),
                Format::Dot => out!("{}", dot::logstore(&report)),
                Format::Sarif => return Err(sarif_only()),
                Format::Text if *summary => out!("{}", human::logstore_summary(&report)),
                Format::Text => out!("{}", human::logstore(&report, &printer)),
            }
            Ok(Outcome::Yes)
        }
        AccessCommand::Escalation => {
            let paths = escalation(&an).map_err(failure)?;
            match args.format {
                Format::Json => outln!("{}", json::escalation(&paths)),
                Format::Dot => out!("{}", dot::escalation(&paths)),
                Format::Sarif => return Err(sarif_only()),
                Format::Text => out!("{}", human::escalation(&paths, &printer)),
            }
            Ok(Outcome::Yes)
        }
        AccessCommand::Check { file } => {
            let report = check::run(&an, file).map_err(failure)?;
            match args.format {
                Format::Json => outln!("{}", json::check(&report)),
                Format::Sarif => outln!("{}", sarif::check(&report)),
                Format::Dot => out!("{}", dot::check(&report)),
                Format::Text => out!("{}", human::check(&report, &printer)),
            }
            Ok(if report.violations.is_empty() {
                Outcome::Yes
            } else {
                Outcome::No
            })
        }
    }
}

fn sarif_only() -> Failure {
    Failure::new("`--format sarif` is for `access check`; use `text`, `json` or `dot`")
}

fn only_account(snapshot: &Snapshot) -> Result<String, Failure> {
    let mut uids = snapshot.directory.accounts().map(|a| a.uid().to_string());
    match (uids.next(), uids.next()) {
        (Some(uid), None) => Ok(uid),
        _ => Err(Failure::new(
            "which account? the directory has several (or none): give `--account`",
        )),
    }
}

fn snapshot(args: &AccessArgs) -> Result<Snapshot, Failure> {
    match (&args.directory, &args.data_dir) {
        (Some(file), _) => Directory::load(file)
            .map(Snapshot::of_directory)
            .map_err(|e| Failure::new(format!("[{}] {e}", e.code()))),
        (None, Some(dir)) => read_data_dir(dir).map_err(failure),
        (None, None) => Err(Failure::new(
            "what to analyse? give `--directory FILE` or `--data-dir DIR`",
        )),
    }
}

fn context(pairs: &[String]) -> Result<Context, Failure> {
    let mut known = Context::new();
    for kv in pairs {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Failure::new(format!("`--context {kv}` is not `KEY=VALUE`")))?;
        known.push(k, v);
    }
    Ok(known)
}

fn failure(e: AccessError) -> Failure {
    match e {
        AccessError::Ram(e) => Failure::new(format!("[{}] {e}", e.code())),
        e => Failure::new(e.to_string()),
    }
}
