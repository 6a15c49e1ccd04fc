//! `ramgate log`: projects, Logstores and log groups on the data directory,
//! every call decided by its chain and written to the audit log.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::logstore::{
    CursorFrom, EncryptConf, LogGroup, LogService, LogstoreConfig, StoredGroup, Traced,
};
use crate::ram::Identity;

use super::data::{
    ActingArgs, DataDirArg, DataError, Format, emit, emit_json, finish, inline_or_file, open,
};
use super::{Failure, Outcome};

/// Projects, Logstores and log groups, each call gated by its decision chain.
///
/// Logstores are encrypted with a service key or a customer key (BYOK) as
/// their `encrypt_conf` says; log groups are written and read only after
/// the chain caller → role trust → role permission → key state allows.
/// Every call is recorded in the audit log.
///
/// Exit status: 0 done; 1 refused — `Unauthorized` (the caller may not, or
/// may not pass the role; the step is named), `KMSKeyUnavailable` (the
/// role, its trust, its KMS permission or the CMK's state refused; the KMS
/// or STS code is in the message); 2 bad input — `LogStoreInfoInvalid`,
/// `ParameterInvalid`, `ProjectNotExist`, `LogStoreNotExist`, … Errors
/// print `error: <Code> (<status>): <message>`.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
    #[command(flatten)]
    dir: DataDirArg,
    #[command(flatten)]
    acting: ActingArgs,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Create a project (`CreateProject`).
    CreateProject { project: String },
    /// Create a Logstore (`CreateLogStore`), encrypted if `--encrypt-conf`
    /// says so; BYOK runs the configuration chain (PassRole for RAM users,
    /// the role's trust in Log Service, `kms:DescribeKey`, the key enabled).
    CreateLogstore {
        project: String,
        logstore: String,
        /// The number of shards, 1 to 256.
        #[arg(long, default_value_t = 2)]
        shards: u32,
        /// `encrypt_conf` as Log Service's API takes it, inline or `@FILE`:
        /// {"enable": true, "encrypt_type": "default"|"m4",
        /// "user_cmk_info": {"cmk_key_id", "arn", "region_id"}} (without
        /// `user_cmk_info`: the service key).
        #[arg(long, value_name = "JSON|@FILE")]
        encrypt_conf: Option<String>,
        /// Days data is kept, 1 to 3650 (default 30): whole segments
        /// older than this are removed.
        #[arg(long, value_name = "DAYS")]
        ttl: Option<u32>,
    },
    /// Update a Logstore (`UpdateLogStore`). Once encryption is configured
    /// every update carries the complete `encrypt_conf`, and only `enable`
    /// may change.
    UpdateLogstore {
        project: String,
        logstore: String,
        /// The number of shards (it cannot change: Log Service splits and
        /// merges shards instead).
        #[arg(long)]
        shards: Option<u32>,
        /// The complete `encrypt_conf`, inline or `@FILE`.
        #[arg(long, value_name = "JSON|@FILE")]
        encrypt_conf: Option<String>,
        /// Days data is kept, 1 to 3650.
        #[arg(long, value_name = "DAYS")]
        ttl: Option<u32>,
    },
    /// A Logstore's settings, `encrypt_conf` as sent (`GetLogStore`).
    GetLogstore { project: String, logstore: String },
    /// The Logstores of a project (`ListLogStores`).
    ListLogstores { project: String },
    /// Delete a Logstore with its keys and data (`DeleteLogStore`).
    DeleteLogstore { project: String, logstore: String },
    /// Write a log group (`PutLogs`), printing `ack <shard> <seq>` once each
    /// write is durable.
    PutLogs {
        project: String,
        logstore: String,
        /// The shard (default: the emptiest).
        #[arg(long)]
        shard: Option<u32>,
        /// The log group, inline or `@FILE`: {"topic", "source", "tags":
        /// [[k, v]], "logs": [{"time": <unix seconds>, "contents": [[k, v]]}]}.
        #[arg(long, value_name = "JSON|@FILE")]
        group: String,
        /// Write the group this many times, each a separate durable write.
        #[arg(long, default_value_t = 1)]
        repeat: u64,
    },
    /// The cursor of a shard at a time (`GetCursor`): `begin` (the oldest
    /// log group kept), `end`, or the first log group received at or after
    /// a Unix time.
    GetCursor {
        project: String,
        logstore: String,
        #[arg(long)]
        shard: u32,
        /// `begin`, `end` or Unix seconds.
        #[arg(long, default_value = "begin")]
        from: String,
    },
    /// Remove every segment older than the Logstore's ttl (retention also
    /// runs by itself whenever a shard starts a new segment), printing
    /// `expired <shard> <from> <to>` for each.
    Expire { project: String, logstore: String },
    /// Read log groups of a shard from a cursor on (`PullLogs`).
    PullLogs {
        project: String,
        logstore: String,
        #[arg(long)]
        shard: u32,
        /// The first block to read.
        #[arg(long, default_value_t = 0)]
        cursor: u64,
        /// The most log groups to read.
        #[arg(long, default_value_t = 100)]
        count: u32,
    },
    /// Every log group with a log in `[--from, --to)`, those logs only
    /// (`GetLogs`).
    GetLogs {
        project: String,
        logstore: String,
        /// Unix seconds, inclusive.
        #[arg(long, default_value_t = 0)]
        from: u32,
        /// Unix seconds, exclusive.
        #[arg(long, default_value_t = u32::MAX)]
        to: u32,
    },
}

pub(crate) fn run(args: LogArgs) -> Result<Outcome, Failure> {
    finish(log(&args))
}

fn log(args: &LogArgs) -> Result<(), DataError> {
    let svc = open(&args.dir)?;
    let who = args.acting.identity(&svc)?;
    let mut call = Call {
        svc: &svc,
        who: &who,
        acting: &args.acting,
    };
    let format = args.acting.format();
    match &args.command {
        LogCommand::CreateProject { project } => {
            call.run(|s, who| s.create_project_traced(who, project))?;
            emit(&format!("created project `{project}`\n"))
        }
        LogCommand::CreateLogstore {
            project,
            logstore,
            shards,
            encrypt_conf,
            ttl,
        } => {
            let config = LogstoreConfig {
                ttl: *ttl,
                name: logstore.clone(),
                shard_count: *shards,
                encrypt_conf: encrypt_conf.as_deref().map(read_encrypt_conf).transpose()?,
            };
            call.run(|s, who| s.create_logstore_traced(who, project, &config))?;
            emit(&format!(
                "created logstore `{logstore}` in project `{project}`\n"
            ))
        }
        LogCommand::UpdateLogstore {
            project,
            logstore,
            shards,
            encrypt_conf,
            ttl,
        } => {
            let conf = encrypt_conf.as_deref().map(read_encrypt_conf).transpose()?;
            match (shards, &conf, ttl) {
                // Only a ttl: an encrypted Logstore's `UpdateLogStore` must
                // repeat its whole encrypt_conf, which the operator need
                // not type to change retention.
                (None, None, Some(days)) => {
                    call.run(|s, who| s.set_logstore_ttl_traced(who, project, logstore, *days))?
                }
                _ => call.run(|s, who| {
                    s.update_logstore_traced(who, project, logstore, *shards, conf.as_ref(), *ttl)
                })?,
            }
            emit(&format!(
                "updated logstore `{logstore}` in project `{project}`\n"
            ))
        }
        LogCommand::GetLogstore { project, logstore } => {
            let info = call.run(|s, who| s.get_logstore_traced(who, project, logstore))?;
            match format {
                Format::Json => emit_json(&info),
                Format::Text => {
                    let conf = info
                        .encrypt_conf
                        .as_ref()
                        .and_then(|c| serde_json::to_string(c).ok())
                        .map(|c| format!(" encrypt_conf {c}"))
                        .unwrap_or_default();
                    let off = info
                        .encryption_off_since
                        .as_ref()
                        .map(|t| format!(" encryption off since {t}"))
                        .unwrap_or_default();
                    emit(&format!(
                        "{} shards {} ttl {}{conf}{off}\n",
                        info.name, info.shard_count, info.ttl
                    ))
                }
            }
        }
        LogCommand::ListLogstores { project } => {
            let names = call.run(|s, who| s.list_logstores_traced(who, project))?;
            match format {
                Format::Json => emit_json(
                    &json!({"count": names.len(), "total": names.len(), "logstores": names}),
                ),
                Format::Text => emit(&names.iter().map(|n| format!("{n}\n")).collect::<String>()),
            }
        }
        LogCommand::DeleteLogstore { project, logstore } => {
            let left = call.run(|s, who| s.delete_logstore_traced(who, project, logstore))?;
            if let Some(left) = left {
                // U4: the Logstore is gone; what could not be removed is named.
                eprintln!("warning: {left}");
            }
            emit(&format!(
                "deleted logstore `{logstore}` from project `{project}`\n"
            ))
        }
        LogCommand::PutLogs {
            project,
            logstore,
            shard,
            group,
            repeat,
        } => {
            let group = read_group(group)?;
            for _ in 0..*repeat {
                let r =
                    call.run(|s, who| s.put_logs_traced(who, project, logstore, *shard, &group))?;
                // Printed (and flushed) only after `put_logs` returned, which
                // is after the block was synced: an `ack` line is a promise.
                match format {
                    Format::Json => {
                        emit(&format!("{}\n", json!({"shard": r.shard, "seq": r.seq})))?
                    }
                    Format::Text => emit(&format!("ack {} {}\n", r.shard, r.seq))?,
                }
            }
            Ok(())
        }
        LogCommand::GetCursor {
            project,
            logstore,
            shard,
            from,
        } => {
            let from: CursorFrom = from.parse()?;
            let cursor =
                call.run(|s, who| s.get_cursor_traced(who, project, logstore, *shard, from))?;
            match format {
                Format::Json => emit_json(&json!({"cursor": cursor})),
                Format::Text => emit(&format!("cursor {cursor}\n")),
            }
        }
        LogCommand::Expire { project, logstore } => {
            let expired = call.svc.expire_segments(project, logstore)?;
            match format {
                Format::Json => emit_json(&expired),
                Format::Text => emit(
                    &expired
                        .iter()
                        .map(|e| format!("expired {} {} {}\n", e.shard, e.from, e.to))
                        .collect::<String>(),
                ),
            }
        }
        LogCommand::PullLogs {
            project,
            logstore,
            shard,
            cursor,
            count,
        } => {
            let pulled = call.run(|s, who| {
                s.pull_logs_traced(who, project, logstore, *shard, *cursor, *count)
            })?;
            match format {
                Format::Json => emit_json(&pulled),
                Format::Text => emit(&format!(
                    "{}next_cursor {}\n",
                    groups_text(&pulled.groups),
                    pulled.next_cursor
                )),
            }
        }
        LogCommand::GetLogs {
            project,
            logstore,
            from,
            to,
        } => {
            let groups =
                call.run(|s, who| s.get_logs_traced(who, project, logstore, *from, *to))?;
            match format {
                Format::Json => emit_json(&groups),
                Format::Text => emit(&groups_text(&groups)),
            }
        }
    }
}

/// One Log Service call as the acting identity, its chain shown whatever
/// the outcome.
struct Call<'a> {
    svc: &'a LogService,
    who: &'a Identity,
    acting: &'a ActingArgs,
}

impl Call<'_> {
    fn run<T>(
        &mut self,
        f: impl FnOnce(&LogService, &Identity) -> Traced<T>,
    ) -> Result<T, DataError> {
        let traced = f(self.svc, self.who);
        self.acting.show_chain(&traced.chain);
        Ok(traced.outcome?)
    }
}

/// `--encrypt-conf`, through the same strict reader as the API, so its
/// errors are Log Service's (`LogStoreInfoInvalid` with the live text).
fn read_encrypt_conf(value: &str) -> Result<EncryptConf, DataError> {
    let (text, _) = inline_or_file(value).map_err(|m| DataError::invalid("ParameterInvalid", m))?;
    Ok(EncryptConf::from_json(&text)?)
}

/// `--group`: a log group as JSON; an error names where (`file:line:column`).
fn read_group(value: &str) -> Result<LogGroup, DataError> {
    let (text, origin) =
        inline_or_file(value).map_err(|m| DataError::invalid("ParameterInvalid", m))?;
    LogGroup::from_json(&text).map_err(|e| {
        DataError::invalid(
            "ParameterInvalid",
            format!(
                "{origin}:{}:{}: the log group is invalid: {}",
                e.line, e.column, e.message
            ),
        )
    })
}

/// `<shard> <seq> <log group as JSON>`, one line per group.
fn groups_text(groups: &[StoredGroup]) -> String {
    groups
        .iter()
        .map(|g| {
            let json = serde_json::to_string(&g.group).unwrap_or_default();
            format!("{} {} {json}\n", g.shard, g.seq)
        })
        .collect()
}
