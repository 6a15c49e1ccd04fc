//! `ramgate kms`: the CMKs of the data directory's KMS.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::authz::Context;
use crate::kms::{
    Caller, KeyListEntry, KeyMetadata, KeySpec, KeyState, KeyUsage, Kms, KmsError, MAX_PAGE_SIZE,
};
use crate::ram::{DecisionChain, Identity, Ram};

use super::data::{ActingArgs, DataDirArg, DataError, Format, emit, emit_json, finish, open};
use super::{Failure, Outcome};

/// Customer master keys (CMKs) of the data directory's KMS.
///
/// Create, describe and list keys, disable and enable them, schedule and
/// cancel their deletion. Every call is authorized by RAM as
/// `kms:<ApiName>` on the key's ARN for the identity `--as` names.
///
/// Exit status: 0 done; 1 refused — `Forbidden.NoPermission` (RAM said
/// no), `Rejected.StateModifiedFailed` (the key's state does not allow the
/// change); 2 bad input — `Forbidden.KeyNotFound`, `InvalidParameter`.
/// Errors print `error: <Code> (<status>): <message>`.
#[derive(Debug, Args)]
pub(crate) struct KmsArgs {
    #[command(subcommand)]
    command: KmsCommand,
    #[command(flatten)]
    dir: DataDirArg,
    #[command(flatten)]
    acting: ActingArgs,
}

#[derive(Debug, Subcommand)]
enum KmsCommand {
    /// Create an `Enabled` CMK with fresh random material (`CreateKey`).
    CreateKey {
        /// The key spec: `Aliyun_AES_256` or `Aliyun_SM4`.
        #[arg(long, default_value = "Aliyun_AES_256")]
        spec: String,
        /// A description (up to 8192 characters).
        #[arg(long, default_value = "")]
        description: String,
    },
    /// A CMK's metadata (`DescribeKey`); KEY is a key id or key ARN.
    DescribeKey { key: String },
    /// Every CMK, oldest first (`ListKeys`).
    ListKeys,
    /// `Disabled` → `Enabled` (`EnableKey`).
    EnableKey { key: String },
    /// `Enabled` → `Disabled`: data under it is unreadable, never lost, until
    /// it is enabled again (`DisableKey`).
    DisableKey { key: String },
    /// → `PendingDeletion`; destroyed for good when the window ends
    /// (`ScheduleKeyDeletion`).
    ScheduleKeyDeletion {
        key: String,
        /// The window, 7 to 30 days.
        #[arg(long)]
        days: u32,
    },
    /// `PendingDeletion` → `Enabled` (`CancelKeyDeletion`).
    CancelKeyDeletion { key: String },
}

pub(crate) fn run(args: KmsArgs) -> Result<Outcome, Failure> {
    finish(kms(&args))
}

fn kms(args: &KmsArgs) -> Result<(), DataError> {
    let svc = open(&args.dir)?;
    let identity = args.acting.identity(&svc)?;
    let ram = svc.directory();
    let caller = Caller::new(Ram::new(&ram, svc.clock()), &identity);
    let kms = svc.kms();
    let format = args.acting.format();
    let acting = &args.acting;
    match &args.command {
        KmsCommand::CreateKey { spec, description } => {
            let spec: KeySpec = spec.parse()?;
            // Only printable characters are kept (U8): a description is
            // shown by every key listing.
            let description: String = description
                .chars()
                .filter(|c| !crate::terminal::is_unsafe(*c))
                .collect();
            let made = Change::new(&svc, acting, &identity, "CreateKey", "").run_with(
                |kms, caller| kms.create_key(caller, spec, KeyUsage::EncryptDecrypt, &description),
                |m| json!({"KeyMetadata": {"KeyId": m.key_id.to_string(), "KeyState": m.key_state}}),
            )?;
            metadata(&made, format)
        }
        KmsCommand::DescribeKey { key } => metadata(
            &shown(acting, &caller, kms.describe_key(&caller, key))?,
            format,
        ),
        KmsCommand::ListKeys => {
            let mut keys: Vec<KeyListEntry> = Vec::new();
            for page in 1.. {
                let list = shown(acting, &caller, kms.list_keys(&caller, page, MAX_PAGE_SIZE))?;
                let last = list.keys.is_empty() || keys.len() + list.keys.len() >= list.total_count;
                keys.extend(list.keys);
                if last {
                    break;
                }
            }
            match format {
                Format::Json => emit_json(&json!({"Keys": keys, "TotalCount": keys.len()})),
                Format::Text => emit(
                    &keys
                        .iter()
                        .map(|k| format!("{} {}\n", k.key_id, k.key_arn))
                        .collect::<String>(),
                ),
            }
        }
        KmsCommand::EnableKey { key } => {
            let change = Change::new(&svc, acting, &identity, "EnableKey", key);
            change.run(|kms, caller| kms.enable_key(caller, key))?;
            state(&svc, key, KeyState::Enabled, format)
        }
        KmsCommand::DisableKey { key } => {
            let change = Change::new(&svc, acting, &identity, "DisableKey", key);
            change.run(|kms, caller| kms.disable_key(caller, key))?;
            state(&svc, key, KeyState::Disabled, format)
        }
        KmsCommand::ScheduleKeyDeletion { key, days } => {
            let change = Change::new(&svc, acting, &identity, "ScheduleKeyDeletion", key);
            change.run(|kms, caller| kms.schedule_key_deletion(caller, key, *days))?;
            state(&svc, key, KeyState::PendingDeletion, format)
        }
        KmsCommand::CancelKeyDeletion { key } => {
            let change = Change::new(&svc, acting, &identity, "CancelKeyDeletion", key);
            change.run(|kms, caller| kms.cancel_key_deletion(caller, key))?;
            state(&svc, key, KeyState::Enabled, format)
        }
    }
}

/// A change of the key store (a new key, a key's state), audited as the API
/// it is (`op`, the key as the target, the chain, no request id): a state change made here leaves
/// its record as one made over the wire does. Its chain is shown first.
struct Change<'a> {
    svc: &'a crate::logstore::LogService,
    acting: &'a ActingArgs,
    identity: &'a Identity,
    op: &'a str,
    key: &'a str,
}

impl<'a> Change<'a> {
    fn new(
        svc: &'a crate::logstore::LogService,
        acting: &'a ActingArgs,
        identity: &'a Identity,
        op: &'a str,
        key: &'a str,
    ) -> Change<'a> {
        Change {
            svc,
            acting,
            identity,
            op,
            key,
        }
    }

    fn run(
        &self,
        call: impl FnOnce(&Kms, &Caller<'_>) -> Result<(), KmsError>,
    ) -> Result<(), DataError> {
        self.run_with(call, |_| json!({}))
    }

    /// [`Change::run`] for a call whose answer the record's `detail` names.
    fn run_with<T>(
        &self,
        call: impl FnOnce(&Kms, &Caller<'_>) -> Result<T, KmsError>,
        detail: impl FnOnce(&T) -> serde_json::Value,
    ) -> Result<T, DataError> {
        let mut target = json!({"product": "kms"});
        if !self.key.is_empty() {
            target["KeyId"] = json!(crate::terminal::clip(self.key));
        }
        self.svc
            .audited_call(self.op, self.identity, target, |audit| {
                audit.kms_call(self.identity, &Context::new(), |kms, caller| {
                    let out = call(kms, caller);
                    let mut chain = DecisionChain::new();
                    chain.extend(caller.steps());
                    self.acting.show_chain(&chain);
                    let out = out?;
                    let detail = detail(&out);
                    Ok((out, detail))
                })
            })
    }
}

/// Shows a call's chain before its outcome is judged, so a refusal still
/// prints the steps that refused it.
fn shown<T>(acting: &ActingArgs, caller: &Caller<'_>, result: T) -> T {
    acting.show_chain(&caller.take_chain());
    result
}

/// Text: `<KeyId> <KeyState> <KeySpec> <Arn>`; JSON: Alibaba's `KeyMetadata`.
fn metadata(m: &KeyMetadata, format: Format) -> Result<(), DataError> {
    match format {
        Format::Json => emit_json(m),
        Format::Text => emit(&format!(
            "{} {} {} {}\n",
            m.key_id, m.key_state, m.key_spec, m.arn
        )),
    }
}

/// The state a change left the key in (known from the call that made it,
/// so printing it needs no `DescribeKey` permission).
fn state(
    svc: &crate::logstore::LogService,
    key: &str,
    state: KeyState,
    format: Format,
) -> Result<(), DataError> {
    let id = svc.kms().key_id_of(key)?;
    match format {
        Format::Json => emit_json(&json!({"KeyId": id, "KeyState": state})),
        Format::Text => emit(&format!("{id} {state}\n")),
    }
}
