//! Output formats: rustc-style text for people, JSON for scripts, SARIF
//! 2.1.0 for code-scanning services. Each says which `ramgate.toml`
//! configured the run (or that none did), since a configuration can switch
//! checks off (S8).

mod human;
mod json;
mod sarif;

pub use human::human;
pub use json::json;
pub use sarif::sarif;

use super::Finding;

/// The findings of one linted file, with its text for source snippets.
#[derive(Clone, Copy, Debug)]
pub struct FileReport<'a> {
    /// The file name as shown (`<stdin>` for standard input).
    pub file: &'a str,
    /// The file's text.
    pub src: &'a str,
    /// Its findings, in source order.
    pub findings: &'a [Finding],
}
