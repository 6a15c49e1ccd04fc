//! Reading the files and standard input that commands are given.

use std::io::Read;
use std::path::Path;

use crate::policy::{Policy, PolicyKind, render_with_source};

use super::Failure;

/// Reads a file, or standard input for `-`, as UTF-8 text.
pub(crate) fn read_text(path: &str) -> Result<String, Failure> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
        return Ok(s);
    }
    std::fs::read_to_string(Path::new(path))
        .map_err(|e| Failure::new(format!("cannot read `{path}`: {e}")))
}

/// Reads and parses a policy file (JSON or DSL, recognised by content).
pub(crate) fn read_policy(path: &str, kind: Option<PolicyKind>) -> Result<Policy, Failure> {
    let src = read_text(path)?;
    Policy::parse(&src, kind).map_err(|e| Failure::new(render_with_source(&e, path, &src)))
}
