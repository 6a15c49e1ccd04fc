//! What can go wrong when a directory is analysed.

use crate::ram::RamError;

/// An analysis that could not be made. A principal that cannot act is an
/// answer (no row), never an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The engine refused a question the analysis asked (a missing entity).
    #[error("{0}")]
    Ram(#[from] RamError),
    /// A file of the data directory that does not read.
    #[error("`{path}`: {message}")]
    DataDir {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A residual condition grew past the limit while being multiplied out.
    #[error("the residual condition for `{0}` has more than {max} alternatives", max = super::residual::MAX_ALTERNATIVES)]
    ResidualTooLarge(String),
    /// The AssumeRole graph could not be built (the first error, kept as
    /// text so every later question can report it).
    #[error("the AssumeRole graph could not be built: {0}")]
    Graph(String),
    /// A condition read back from a trace that does not parse again.
    #[error("condition `{operator}` on `{key}` does not parse: {message}")]
    Condition {
        /// The operator as the trace wrote it.
        operator: String,
        /// The key.
        key: String,
        /// The parser's message.
        message: String,
    },
    /// A chain the engine decided differently from the partial evaluation:
    /// a defect of the analysis, reported rather than hidden.
    #[error(
        "the engine does not allow `{action}` for `{principal}` in the witness context of its residual condition"
    )]
    Inconsistent {
        /// The principal.
        principal: String,
        /// The action.
        action: String,
    },
    /// A check file that does not read.
    #[error("{file}: {message}")]
    CheckFile {
        /// The file.
        file: String,
        /// Where and what.
        message: String,
    },
}
