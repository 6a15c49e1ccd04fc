//! The JSON front end: RAM's own policy syntax.

mod decode;
mod print;
pub mod syntax;

#[cfg(feature = "lint")]
pub(crate) use decode::{bad_version, decode_statement};
pub use decode::{decode, infer_kind, parse_policy, parse_tree};
pub use print::{print_policy, quote};
