//! How answers are printed: for people ([`human`]), for programs
//! ([`json`]), for code-scanning dashboards ([`sarif`]) and as a picture of
//! who reaches what ([`dot`], Graphviz).
//!
//! The library stays below the command line: the human form takes the
//! decision-chain printer as a function, so `ramgate access` prints chains
//! exactly as `ramgate eval --directory` does.

pub mod dot;
pub mod human;
pub mod json;
pub mod sarif;

use crate::ram::DecisionChain;

/// Prints one decision chain (the CLI passes its `eval --directory` printer).
pub type ChainPrinter<'a> = &'a dyn Fn(&DecisionChain) -> String;
