//! `ramgate convert`: a policy in the other syntax.

use clap::Args;

use crate::policy::{Policy, PolicyKind};

use super::eval::KindArg;
use super::input::read_policy;
use super::{Failure, Outcome};

/// Print a policy in the syntax asked for: canonical DSL (`.rgp`) or
/// canonical JSON, read from either (recognised by content). Conversion is
/// lossless for the policy; DSL comments do not survive it.
///
/// Exit status: 0 done, 2 bad input.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The syntax to print.
    #[arg(long, value_enum)]
    to: Syntax,
    /// The kind of the policy; inferred when absent (statements with a
    /// principal make a trust policy).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// The policy file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: String,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Syntax {
    Dsl,
    Json,
}

pub(crate) fn run(args: ConvertArgs) -> Result<Outcome, Failure> {
    let policy: Policy = read_policy(&args.file, args.kind.map(PolicyKind::from))?;
    match args.to {
        Syntax::Dsl => out!("{}", policy.to_dsl()),
        Syntax::Json => out!("{}", policy.to_json()),
    }
    Ok(Outcome::Yes)
}
