//! `ramgate audit`: check and read the data directory's audit log.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::logstore::{AUDIT_FILE, AuditError, AuditRecord as Record, verify_audit_log as verify};
use crate::ram::DecisionChain;
use crate::terminal::{escape, escape_lines};

use super::chain::{Request, step_lines};
use super::data::{DataDirArg, Format, FormatArg, emit, emit_raw};
use super::{Failure, Outcome};

/// Check and read the audit log of the data directory.
///
/// Every Log Service call, allowed or refused, is recorded with the
/// decision chain behind it, each record hash-chained to the one before.
///
/// Exit status: 0 the chain is intact; 1 a record breaks it (named as
/// `file:line: …` on standard output); 2 the log cannot be read (`error:
/// <message>` on standard error).
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
        /// Only the last N records.
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub(crate) fn run(args: AuditArgs) -> Result<Outcome, Failure> {
    let path = audit_path(&args.dir.data_dir)?;
    let records = match verify(&path) {
        Ok(records) => records,
        Err(e @ AuditError::Broken { .. }) => {
            println!("{}", escape_lines(&e.to_string()));
            return Ok(Outcome::No);
        }
        Err(e) => return Err(Failure::new(e.to_string())),
    };
    let text = match args.command {
        AuditCommand::Verify => format!("audit log intact: {} records\n", records.len()),
        AuditCommand::Show { last, format } => {
            let skip = last.map_or(0, |n| records.len().saturating_sub(n));
            let shown = records.get(skip..).unwrap_or_default();
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
    let code = e["detail"]["code"]
        .as_str()
        .map(|c| format!(" {}", escape(c)))
        .unwrap_or_default();
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
