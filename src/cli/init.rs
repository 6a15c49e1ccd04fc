//! `ramgate init`: make a data directory.

use std::sync::Arc;

use clap::Args;

use crate::kms::{ROOT_KEY_ENV, ROOT_KEY_FILE};
use crate::logstore::LogService;
use crate::ram::SystemClock;

use super::data::{DataDirArg, DataError, emit, finish, owner_options};
use super::{Failure, Outcome};

/// Make a data directory for an account in a region.
///
/// The directory starts with its RAM directory (the account alone), its KMS
/// with a new root key, and no Logstores.
///
/// Refuses a directory that is already a data directory. Exit status: 0
/// made, 2 bad input (`error: <Code> (<status>): <message>`).
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The 16-digit account id.
    #[arg(long, value_name = "UID")]
    account: String,
    /// The region (`cn-hangzhou`).
    #[arg(long)]
    region: String,
    #[command(flatten)]
    dir: DataDirArg,
}

pub(crate) fn run(args: InitArgs) -> Result<Outcome, Failure> {
    finish(init(&args))
}

fn init(args: &InitArgs) -> Result<(), DataError> {
    let dir = &args.dir.data_dir;
    let svc = LogService::init(
        dir,
        &args.account,
        &args.region,
        Arc::new(SystemClock),
        owner_options(&args.dir),
    )?;
    emit(&format!(
        "initialized `{}` for account {} in {}\n",
        dir.display(),
        svc.account(),
        svc.region()
    ))?;
    if std::env::var_os(ROOT_KEY_ENV).is_none() {
        // A note, not data: on standard error.
        eprintln!(
            "note: the root key is `{}`; whoever can read the directory can read its data and forge its MACs. \
             To protect against them, keep the key elsewhere: `export {ROOT_KEY_ENV}=$(cat {})`, then move the file out",
            dir.join("kms").join(ROOT_KEY_FILE).display(),
            dir.join("kms").join(ROOT_KEY_FILE).display(),
        );
    }
    Ok(())
}
