//! `ramgate audit`: check and read the data directory's audit log.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::kms::RootKeySource;
use crate::logstore::{
    AUDIT_FILE, AuditError, AuditRecord as Record, last_audit_records as last_records,
    repair_audit_log as repair_log, verify_audit_log_each as verify_each,
};
use crate::logstore::{AuditKey, DirLock, LogError, recover_journal};
use crate::ram::DecisionChain;
use crate::terminal::{escape, escape_lines};

use super::chain::{Request, step_lines};
use super::data::{
    DataDirArg, DataError, Format, FormatArg, emit, emit_raw, finish, owner_options,
};
use super::{Failure, Outcome};

/// Check and read the audit log of the data directory.
///
/// Every Log Service call, allowed or refused, is recorded with the
/// decision chain behind it, each record hash-chained to the one before.
///
/// `verify` and `show` take no lock and write nothing: they read the log up
/// to its last complete record, so they answer consistently while a writer
/// runs. `repair` owns the directory (it waits for its lock).
///
/// Exit status: 0 the chain is intact (or repaired); 1 a record breaks it
/// (named as `file:line: …` on standard output); 2 the log cannot be read
/// (`error: <message>` on standard error); 4 busy (`repair` only).
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
    #[command(flatten)]
    dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check every record's hash and link; name the first that breaks.
    Verify,
    /// Print the records (after checking them): text, one line per record
    /// (seq, time, operation, caller, target, outcome) with its chain's
    /// steps under it; or JSON.
    Show {
        /// Only the last N records, read from the end of the log: each one
        /// shown is checked (hash, MAC, links), not the whole chain (that is
        /// `verify`).
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        /// Only the records of one request of `ramgate serve` (the
        /// `x-log-requestid` / `RequestId` of its answer), each with its
        /// full chain.
        #[arg(long, value_name = "ID")]
        request_id: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// After a break, keep the old log as `audit.broken-<n>.jsonl` (nothing
    /// in it changed) and start a new chain whose first record names the
    /// break: the old file, the first bad line, the last good hash. Appends,
    /// which stop at a broken chain, continue.
    Repair,
}

pub(crate) fn run(args: AuditArgs) -> Result<Outcome, Failure> {
    let path = audit_path(&args.dir.data_dir)?;
    let text = match args.command {
        AuditCommand::Repair => return finish(repair(&args.dir, &path)),
        AuditCommand::Verify => match verify_each(&path, drop) {
            Ok(n) => format!("audit log intact: {n} records\n"),
            Err(e) => return broken(e),
        },
        AuditCommand::Show {
            last,
            request_id,
            format,
        } => {
            let shown: Vec<Record> = match (last, request_id) {
                // From the end: the memory of N records, whatever the size
                // of the log.
                (Some(n), None) => {
                    let key = match AuditKey::for_log(&path, RootKeySource::from_env()) {
                        Ok(k) => k,
                        Err(e) => return broken(e),
                    };
                    match last_records(&path, &key, n) {
                        Ok(records) => records,
                        Err(e) => return broken(e),
                    }
                }
                // One request's records can be anywhere: the log streams
                // by, and only the wanted ones (the last N of them) stay.
                (last, request_id) => {
                    let keep = last.unwrap_or(usize::MAX);
                    let mut kept: VecDeque<Record> = VecDeque::new();
                    let streamed = verify_each(&path, |r| {
                        let wanted = request_id.as_deref().is_none_or(|id| {
                            r.event.get("request_id").and_then(Value::as_str) == Some(id)
                        });
                        if keep > 0 && wanted {
                            if kept.len() == keep {
                                kept.pop_front();
                            }
                            kept.push_back(r);
                        }
                    });
                    if let Err(e) = streamed {
                        return broken(e);
                    }
                    kept.into()
                }
            };
            match format.format {
                Format::Text => shown.iter().map(record_text).collect(),
                Format::Json => {
                    // JSON escapes by its own rules, so it is written as is.
                    let all: Vec<Value> = shown
                        .iter()
                        .map(|r| json!({"seq": r.seq, "time": r.time, "event": r.event, "hash": r.hash}))
                        .collect();
                    let json = serde_json::to_string_pretty(&all).unwrap_or_default();
                    emit_raw(&format!("{json}\n")).map_err(|e| Failure::new(e.to_string()))?;
                    return Ok(Outcome::Yes);
                }
            }
        }
    };
    emit(&text).map_err(|e| Failure::new(e.to_string()))?;
    Ok(Outcome::Yes)
}

/// A broken chain is the documented answer 1 (named on standard output);
/// a log that does not read is 2.
fn broken(e: AuditError) -> Result<Outcome, Failure> {
    match e {
        AuditError::Broken { .. } => {
            outln!("{}", escape_lines(&e.to_string()));
            Ok(Outcome::No)
        }
        e => Err(Failure::new(e.to_string())),
    }
}

/// `audit repair`, as the directory's owner.
fn repair(dir: &DataDirArg, path: &Path) -> Result<(), DataError> {
    let options = owner_options(dir);
    let _lock = DirLock::acquire(&dir.data_dir, options.lock_wait, &options.holder)?;
    // Records journaled but not yet in the log go back first, so the
    // repair sees the log as the last owner acknowledged it.
    recover_journal(&dir.data_dir)?;
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let failed = |source: AuditError| DataError::from(LogError::Audit { source });
    let key = AuditKey::for_log(path, RootKeySource::from_env()).map_err(failed)?;
    let done = repair_log(path, &key, &now).map_err(failed)?;
    emit(&match done {
        None => "audit log intact: nothing to repair\n".to_string(),
        Some(r) => format!(
            "kept the broken log as `{}`; a new chain starts with a record naming line {} (last good hash {})\n",
            r.kept.display(),
            r.broken_line,
            r.last_good_hash
        ),
    })
}

/// The audit log of a data directory; a directory that does not exist is an
/// error rather than an empty, "intact" log.
fn audit_path(dir: &Path) -> Result<PathBuf, Failure> {
    if !dir.is_dir() {
        return Err(Failure::new(format!(
            "`{}` is not a data directory (make one with `ramgate init`)",
            dir.display()
        )));
    }
    Ok(dir.join(AUDIT_FILE))
}

/// `#<seq> <time> <op> <caller> <target> <outcome>`, then the chain.
pub(crate) fn record_text(r: &Record) -> String {
    let e = &r.event;
    // Every value came from input: escaped one by one, so that a newline in
    // a caller cannot forge a record line (S6).
    let field = |name: &str| escape(e[name].as_str().unwrap_or("?")).into_owned();
    // A fixed order, whatever order the JSON map keeps.
    const ORDER: [&str; 6] = ["project", "logstore", "shard", "cursor", "from", "to"];
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    let target = match &e["target"] {
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
            fields
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{}={}", escape(k), escape(s)),
                    other => format!("{}={}", escape(k), escape(&other.to_string())),
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => escape(&other.to_string()).into_owned(),
    };
    let mut code = e["detail"]["code"]
        .as_str()
        .map(|c| format!(" {}", escape(c)))
        .unwrap_or_default();
    // Security events stand out in the listing (S3).
    if let Some(event) = e["detail"]["security_event"].as_str() {
        code.push_str(&format!(" SECURITY-EVENT {}", escape(event)));
    }
    let mut out = format!(
        "#{} {} {} {} {target} {}{code}\n",
        r.seq,
        r.time,
        field("op"),
        field("caller"),
        field("outcome")
    );
    match serde_json::from_value::<DecisionChain>(e["chain"].clone()) {
        Ok(chain) => {
            for step in &chain.steps {
                step_lines(&mut out, step, Request::Named);
            }
        }
        Err(_) => {
            let _ = writeln!(
                out,
                "  (the record's chain does not read as a decision chain)"
            );
        }
    }
    out
}
