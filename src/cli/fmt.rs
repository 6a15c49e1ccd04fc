//! `ramgate fmt`: policy files in canonical form.

use std::io::Write as _;
use std::path::Path;

use clap::Args;

use crate::policy::{PolicyKind, format, render_with_source};

use super::eval::KindArg;
use super::input::read_text;
use super::{Failure, Outcome};

/// Rewrite policy files in canonical form: DSL (`.rgp`) keeping its
/// comments, JSON as RAM would store it. The syntax is recognised by
/// content (JSON starts with `{`).
///
/// Exit status: 0 done (with --check: every file is canonical), 1 with
/// --check when some file would change (they are listed), 2 bad input.
#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// Change nothing: list the files that are not in canonical form.
    #[arg(long)]
    check: bool,
    /// The kind of every policy given; inferred per file when absent
    /// (statements with a principal make a trust policy).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Policy files; `-` formats standard input to standard output.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

pub(crate) fn run(args: FmtArgs) -> Result<Outcome, Failure> {
    let kind = args.kind.map(PolicyKind::from);
    let mut errors = Vec::new();
    let mut changed = Vec::new();
    for path in &args.files {
        match fmt_one(path, kind, args.check) {
            Ok(true) => changed.push(if path == "-" { "<stdin>" } else { path }),
            Ok(false) => {}
            Err(Failure(message)) => errors.push(message),
        }
    }
    if args.check {
        for path in &changed {
            outln!("{path}");
        }
    }
    if !errors.is_empty() {
        return Err(Failure::new(errors.join("\nerror: ")));
    }
    Ok(if args.check && !changed.is_empty() {
        Outcome::No
    } else {
        Outcome::Yes
    })
}

/// Formats one file; says whether it was (or, checking, would be) changed.
fn fmt_one(path: &str, kind: Option<PolicyKind>, check: bool) -> Result<bool, Failure> {
    let src = read_text(path)?;
    let shown = if path == "-" { "<stdin>" } else { path };
    let formatted =
        format(&src, kind).map_err(|e| Failure::new(render_with_source(&e, shown, &src)))?;
    let changed = formatted != src;
    if check {
        return Ok(changed);
    }
    if path == "-" {
        super::write_stdout_bytes(formatted.as_bytes());
    } else if changed {
        replace(Path::new(path), &formatted)?;
    }
    Ok(changed)
}

/// Replaces a file's content through a uniquely named sibling file and a
/// rename, so an interrupted write never leaves a half-written policy (S7).
///
/// The temporary file is created with `O_EXCL` under a random name
/// (`tempfile`), so nothing planted beside the policy is ever followed. A
/// symlink is written through to its target and stays a link; the file keeps
/// its mode.
fn replace(path: &Path, text: &str) -> Result<(), Failure> {
    let shown = path.display();
    let fail = |e: std::io::Error| Failure::new(format!("cannot write `{shown}`: {e}"));
    let target = std::fs::canonicalize(path).map_err(fail)?;
    let permissions = std::fs::metadata(&target).map_err(fail)?.permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".ramgate-fmt-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().set_permissions(permissions).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    // On failure the temporary file is removed when `tmp` drops.
    tmp.persist(&target).map_err(|e| fail(e.error))?;
    Ok(())
}
