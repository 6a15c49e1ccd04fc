//! What the data-directory commands (`init`, `ram`, `kms`, `log`, `audit`)
//! share: where the data directory is, who acts (`--as`), printing the
//! decision chain (`--trace`), and errors with Alibaba's code and status.
//!
//! Exit status of these commands: 0 success; 1 a refusal — the service
//! understood the request and said no (`Unauthorized`, `KMSKeyUnavailable`,
//! `Forbidden.NoPermission`, a key state that refuses the call:
//! `Rejected.*`); 2 bad input or usage (unknown names, invalid values,
//! files that do not read, a data directory that is not one); 3 damaged
//! data (a block, metadata file, key store or audit chain failed a check);
//! 4 busy (another process owns the data directory: its pid and command are
//! named).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use time::{Duration, OffsetDateTime};

use crate::kms::KmsError;
use crate::logstore::{ErrorKind, LogError, LogService, Options, ReadOnlyDir};
use crate::ram::{Clock, DEFAULT_DURATION_SECONDS, DecisionChain, Identity, RamError, SystemClock};

use super::{Failure, Outcome, chain};

/// `--data-dir`, for every data-directory command.
#[derive(Debug, Args)]
pub(crate) struct DataDirArg {
    /// The data directory (made by `ramgate init`).
    #[arg(
        long,
        value_name = "DIR",
        env = "RAMGATE_DATA_DIR",
        default_value = ".ramgate",
        global = true
    )]
    pub data_dir: PathBuf,
    /// How many seconds a command that writes waits for another process
    /// that owns the data directory (0: fail at once, exit status 4).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, global = true)]
    pub wait: u64,
}

/// `--format`, for commands whose output is data.
#[derive(Debug, Args)]
pub(crate) struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub format: Format,
}

/// Who acts and what is shown, for commands that act as someone.
#[derive(Debug, Args)]
pub(crate) struct ActingArgs {
    /// Who acts: `acs:ram::<uid>:root` (the account itself, the default),
    /// `acs:ram::<uid>:user/<name>`, a service `<name>.aliyuncs.com`, or a
    /// session of a role `acs:ram::<uid>:role/<role>/<session>`, which is
    /// assumed through STS as `--via` (no session policy, the default
    /// AssumeRole duration of 3600 seconds).
    #[arg(long = "as", value_name = "WHO", global = true)]
    pub as_identity: Option<String>,
    /// Who assumes the role of a role session `--as` names: a RAM user (the
    /// account root cannot assume roles). Repeat it to chain roles: each
    /// later `--via` is a role session the one before it assumes.
    #[arg(long, value_name = "WHO", global = true)]
    pub via: Vec<String>,
    /// Print the decision chain of every call on standard error (standard
    /// output stays data): one line per step — what was asked, of whom, the
    /// decision — and the statements that decided it as
    /// `policy:line:column`. JSON with `--format json`.
    #[arg(long, global = true)]
    pub trace: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Text or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// When a role session named on the command line expires: the default
/// AssumeRole duration from now.
pub(crate) fn session_expiration(clock: &dyn Clock) -> OffsetDateTime {
    clock
        .now()
        .saturating_add(Duration::seconds(DEFAULT_DURATION_SECONDS as i64))
}

/// Reads `--as`: a RAM ARN (`…:root`, `…:user/<name>`,
/// `…:role/<role>/<session>`) or a service name. A role session named this
/// way has no session policy and lasts the default AssumeRole duration.
pub(crate) fn parse_identity(text: &str, clock: &dyn Clock) -> Result<Identity, RamError> {
    Identity::parse(text, session_expiration(clock))
}

/// Opens the data directory as its owner (taking its lock, waiting up to
/// `--wait`), acknowledging writes only once durable; the root key comes
/// from `RAMGATE_ROOT_KEY`, else the directory's own `kms/root.key`.
pub(crate) fn open(dir: &DataDirArg) -> Result<LogService, DataError> {
    Ok(LogService::open(
        &dir.data_dir,
        Arc::new(SystemClock),
        owner_options(dir),
    )?)
}

/// The options of a command that owns the directory for its run.
pub(crate) fn owner_options(dir: &DataDirArg) -> Options {
    Options {
        lock_wait: std::time::Duration::from_secs(dir.wait),
        holder: holder(),
        ..Options::default()
    }
}

/// `ramgate <command> <subcommand>`, as recorded in the lock file: the
/// first words of the command line, never its values (a `--group` may hold
/// anything).
fn holder() -> String {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .collect();
    format!("ramgate {}", words.join(" "))
}

/// Opens the data directory without a lock and without writing anything,
/// for commands that change nothing and audit nothing (`ram show`).
pub(crate) fn open_read_only(dir: &DataDirArg) -> Result<ReadOnlyDir, DataError> {
    Ok(ReadOnlyDir::open(&dir.data_dir)?)
}

impl ActingArgs {
    /// The identity `--as` names, by default the account itself.
    ///
    /// A role session is earned, never declared (S4): it is assumed through
    /// STS by the `--via` chain, each AssumeRole decided, audited and shown
    /// (with `--trace`) before the call itself.
    pub(crate) fn identity(&self, svc: &LogService) -> Result<Identity, DataError> {
        let Some(text) = &self.as_identity else {
            if !self.via.is_empty() {
                return Err(DataError::invalid(
                    "InvalidParameter",
                    "`--via` names who assumes the role of an `--as` role session; give `--as` too",
                ));
            }
            return Ok(Identity::Account {
                uid: svc.account().to_string(),
            });
        };
        let target = parse_identity(text, svc.clock())?;
        let Identity::RoleSession(wanted) = &target else {
            if !self.via.is_empty() {
                return Err(DataError::invalid(
                    "InvalidParameter",
                    format!(
                        "`--via` is only for role sessions; `{}` acts as itself",
                        crate::terminal::clip(text)
                    ),
                ));
            }
            return Ok(target);
        };
        let Some((first, hops)) = self.via.split_first() else {
            return Err(DataError::invalid(
                "InvalidParameter",
                format!(
                    "`{}` is a role session, which is assumed, not declared: name the RAM user who assumes it with `--via acs:ram::<uid>:user/<name>` (the account root cannot assume roles)",
                    crate::terminal::clip(text)
                ),
            ));
        };
        let mut caller = parse_identity(first, svc.clock())?;
        if !matches!(caller, Identity::User { .. }) {
            return Err(DataError::invalid(
                "InvalidParameter",
                format!(
                    "the first `--via` must be a RAM user `acs:ram::<uid>:user/<name>`, not `{}`",
                    crate::terminal::clip(first)
                ),
            ));
        }
        let mut sessions = Vec::new();
        for hop in hops {
            match parse_identity(hop, svc.clock())? {
                Identity::RoleSession(s) => sessions.push(s),
                _ => {
                    return Err(DataError::invalid(
                        "InvalidParameter",
                        format!(
                            "a later `--via` must be a role session `acs:ram::<uid>:role/<role>/<session>`, not `{}`",
                            crate::terminal::clip(hop)
                        ),
                    ));
                }
            }
        }
        sessions.push(wanted.clone());
        for session in sessions {
            let traced = svc.assume_role_traced(&caller, &session.role_arn(), session.name());
            self.show_chain(&traced.chain);
            caller = traced.outcome?;
        }
        Ok(caller)
    }

    /// The output format.
    pub(crate) fn format(&self) -> Format {
        self.format.format
    }

    /// Prints a call's decision chain on standard error when `--trace` asks.
    pub(crate) fn show_chain(&self, chain: &DecisionChain) {
        if !self.trace {
            return;
        }
        match self.format() {
            Format::Text => eprint!("{}", chain::render(chain)),
            Format::Json => eprintln!("{}", chain.to_json()),
        }
    }
}

/// Writes to standard output and flushes at once (`put-logs` acknowledges
/// each write as it happens); a closed output ends the command quietly
/// ([`super::write_stdout`]).
///
/// This is human output: what came from input is escaped (S6).
pub(crate) fn emit(text: &str) -> Result<(), DataError> {
    emit_raw(&crate::terminal::escape_lines(text))
}

/// Like [`emit`], for machine output (JSON) that escapes by its own rules.
pub(crate) fn emit_raw(text: &str) -> Result<(), DataError> {
    super::write_stdout_bytes(text.as_bytes());
    Ok(())
}

/// Writes a value as pretty JSON and a newline.
pub(crate) fn emit_json(value: &impl serde::Serialize) -> Result<(), DataError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| DataError::local(format!("cannot render JSON: {e}")))?;
    emit_raw(&format!("{text}\n"))
}

/// A value given inline or, as `@FILE`, in a file: the text and where it
/// came from (for error messages).
pub(crate) fn inline_or_file(value: &str) -> Result<(String, String), String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map(|text| (text, path.to_string()))
            .map_err(|e| format!("cannot read `{path}`: {e}")),
        None => Ok((value.to_string(), "<inline>".to_string())),
    }
}

/// An error of a data-directory command: the service's code and HTTP
/// status, a one-line message, an optional hint, and its kind: a refusal
/// (exit 1), bad input (exit 2), damaged data (exit 3), busy (exit 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataError {
    code: String,
    status: u16,
    message: String,
    help: Option<String>,
    kind: ErrorKind,
}

impl DataError {
    /// Bad input named in a service's own code (`ParameterInvalid` for Log
    /// Service, `InvalidParameter` for KMS and RAM).
    pub(crate) fn invalid(code: &str, message: impl Into<String>) -> DataError {
        DataError {
            code: code.to_string(),
            status: 400,
            message: message.into(),
            help: None,
            kind: ErrorKind::BadInput,
        }
    }

    /// A local failure (standard output closed, …): no service answered.
    fn local(message: String) -> DataError {
        DataError {
            code: "InternalServerError".to_string(),
            status: 500,
            message,
            help: None,
            kind: ErrorKind::System,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl crate::logstore::AuditedFailure for DataError {
    fn is_failure(&self) -> bool {
        matches!(self.kind, ErrorKind::System | ErrorKind::Damaged)
    }

    fn detail(&self) -> serde_json::Value {
        serde_json::json!({"code": self.code, "message": self.message})
    }
}

impl From<LogError> for DataError {
    fn from(e: LogError) -> DataError {
        DataError {
            code: e.code().to_string(),
            status: e.http_status(),
            kind: e.kind(),
            help: e.hint().map(str::to_string),
            message: e.to_string(),
        }
    }
}

impl From<KmsError> for DataError {
    fn from(e: KmsError) -> DataError {
        DataError {
            code: e.code().to_string(),
            status: e.http_status(),
            // The caller may not, or the key's state does not let it; a
            // caller RAM cannot authorize at all (a user that does not
            // exist, an expired session) is refused the same way.
            kind: if matches!(
                e,
                KmsError::NoPermission { .. }
                    | KmsError::Caller(_)
                    | KmsError::Disabled(_)
                    | KmsError::PendingDeletion(_)
                    | KmsError::StateModifiedFailed { .. }
            ) {
                ErrorKind::Refused
            } else if matches!(
                e,
                KmsError::CorruptStore { .. }
                    | KmsError::WrongRootKey(_)
                    | KmsError::BlobNotAuthentic { .. }
            ) {
                ErrorKind::Damaged
            } else {
                ErrorKind::BadInput
            },
            message: e.to_string(),
            help: e.help().map(str::to_string),
        }
    }
}

impl From<crate::server::credentials::CredentialError> for DataError {
    fn from(e: crate::server::credentials::CredentialError) -> DataError {
        use crate::server::credentials::CredentialError as E;
        DataError {
            code: e.code().to_string(),
            status: e.http_status(),
            // A store that does not open is damage; a limit or an unknown
            // key is the caller's input.
            kind: if matches!(e, E::Store(_)) {
                ErrorKind::Damaged
            } else {
                ErrorKind::BadInput
            },
            message: e.to_string(),
            help: None,
        }
    }
}

impl From<RamError> for DataError {
    fn from(e: RamError) -> DataError {
        let (message, help) = match &e {
            // The rustc-style rendering already ends with its help line.
            RamError::PolicyDocument(d) => (d.render(), None),
            _ => (e.to_string(), e.help()),
        };
        DataError {
            code: e.code(),
            status: e.http_status(),
            kind: if matches!(
                e,
                RamError::NoPermission(_) | RamError::RootCannotAssumeRole(_)
            ) {
                ErrorKind::Refused
            } else {
                ErrorKind::BadInput
            },
            message,
            help,
        }
    }
}

/// Ends a data-directory command: a refusal (exit 1), damaged data (exit 3)
/// and a busy directory (exit 4) are printed here; bad input goes back as a
/// [`Failure`] (exit 2). Each prints `error: <Code> (<status>): <message>`.
pub(crate) fn finish(result: Result<(), DataError>) -> Result<Outcome, Failure> {
    let e = match result {
        Ok(()) => return Ok(Outcome::Yes),
        Err(e) => e,
    };
    let outcome = match e.kind {
        ErrorKind::Refused => Outcome::No,
        ErrorKind::Damaged => Outcome::Damaged,
        ErrorKind::Busy => Outcome::Busy,
        ErrorKind::BadInput | ErrorKind::System => return Err(Failure::new(e.to_string())),
    };
    eprintln!("{}", super::error_line(&e.to_string()));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::KeyId;

    #[test]
    fn refusals_and_bad_input_are_told_apart() {
        let unauthorized = DataError::from(LogError::Unauthorized {
            step: "pass-role".into(),
            reason: "no".into(),
        });
        assert_eq!(unauthorized.kind, ErrorKind::Refused);
        assert_eq!(
            unauthorized.to_string(),
            "Unauthorized (401): the caller is not authorized at step `pass-role`: no"
        );
        let missing = DataError::from(LogError::LogStoreNotExist("m4".into()));
        assert_eq!(missing.kind, ErrorKind::BadInput);
        assert_eq!(
            missing.to_string(),
            "LogStoreNotExist (404): logstore m4 does not exist"
        );
        let id = KeyId::parse("86a9efd9-3d16-4894-bd4f-1fc43f3f2abf")
            .unwrap_or_else(|| panic!("a key id"));
        let disabled = DataError::from(KmsError::Disabled(id));
        assert_eq!(disabled.kind, ErrorKind::Refused);
        assert_eq!(
            disabled.to_string(),
            "Rejected.Disabled (409): key `86a9efd9-3d16-4894-bd4f-1fc43f3f2abf` is disabled\n  = help: `EnableKey` makes the key usable again"
        );
        assert_eq!(
            DataError::from(KmsError::PendingWindowOutOfRange(3)).kind,
            ErrorKind::BadInput
        );
    }

    #[test]
    fn values_come_inline_or_from_a_file() {
        assert_eq!(
            inline_or_file("{}"),
            Ok(("{}".to_string(), "<inline>".to_string()))
        );
        let missing = inline_or_file("@/nonexistent/ramgate/x.json").err();
        assert!(
            missing.is_some_and(|m| m.starts_with("cannot read `/nonexistent/ramgate/x.json`"))
        );
    }
}
