//! `ramgate lint`: check policies for mistakes and risky grants.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::lint::render::{self, FileReport};
use crate::lint::{Config, Finding, KindSpec, Severity, catalogue, lint_document};

use super::eval::KindArg;
use super::{Failure, Outcome};

/// Check RAM policies for mistakes and risky grants, in four classes:
/// error, security-warning, warning, suggestion (the checks are listed in
/// docs/lint-checks.md; `--explain CODE` explains one).
///
/// PATH is a file, a directory (walked for `*.json` and `*.rgp` files), a
/// glob pattern (quote it: `'policies/**/*.json'`, expanded by ramgate on
/// every shell), or `-` for standard input. A `ramgate.toml` can disable
/// checks, change their severity and ignore paths (`[lint] disable = [...]`,
/// `[lint.severity]`, `ignore = [...]`): the nearest one from the current
/// directory up to the repository root (the first directory holding
/// `.git`), or outside a repository the current directory's own. The
/// summary names the configuration applied.
///
/// Exit status: 0 when no finding is at or above `--fail-on`, 1 when one is,
/// 2 when a file could not be read or the arguments are wrong.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Files, directories, glob patterns, or `-` for standard input.
    #[arg(value_name = "PATH", required_unless_present = "explain")]
    paths: Vec<String>,
    /// The kind of every policy; inferred per file when absent (statements
    /// with `Principal` make a trust policy, a plain `Principal` list a
    /// resource policy). The resource-policy dialects
    /// (`kms-key`, `oss-bucket`, `vpc-endpoint`, …) check a resource policy
    /// by its service's rules; `resource` recognises the dialect from the
    /// resources, and checks `"Resource": "*"` documents by the rules all
    /// dialects share.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
    /// Show only findings at or above this severity [default: suggestion].
    #[arg(long, value_enum)]
    min_severity: Option<SeverityArg>,
    /// Exit with 1 when a finding is at or above this severity (whatever
    /// `--min-severity` shows) [default: security-warning].
    #[arg(long, value_enum)]
    fail_on: Option<SeverityArg>,
    /// Switch a check off (repeatable).
    #[arg(long, value_name = "CODE")]
    disable: Vec<String>,
    /// The configuration file [default: the nearest `ramgate.toml` up to
    /// the repository root].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Read no `ramgate.toml` at all.
    #[arg(long)]
    no_config: bool,
    /// Explain a check: what it finds, why it matters, how to fix it.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SeverityArg {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Error => Severity::Error,
            SeverityArg::SecurityWarning => Severity::SecurityWarning,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Suggestion => Severity::Suggestion,
        }
    }
}

/// A file to lint: its name as shown and its text.
struct Source {
    name: String,
    text: String,
}

pub(crate) fn run(args: LintArgs) -> Result<Outcome, Failure> {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    let (mut config, config_path) = load_config(args.config.as_deref(), args.no_config)?;
    // Shown relative to the current directory when it is there.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown_config = config_path
        .as_ref()
        .map(|p| p.strip_prefix(&cwd).unwrap_or(p).display().to_string());
    let shown_config = shown_config.as_deref();
    for code in &args.disable {
        config
            .disable(code)
            .map_err(|e| Failure::new(e.to_string()))?;
    }
    let fail_on = args
        .fail_on
        .map(Severity::from)
        .or(config.fail_on)
        .unwrap_or(Severity::SecurityWarning);
    let min = args
        .min_severity
        .map(Severity::from)
        .or(config.min_severity)
        .unwrap_or(Severity::Suggestion);
    let kind = args.kind.map(KindSpec::from);

    let mut unreadable = Vec::new();
    let files = collect(&args.paths, &config, &mut unreadable);
    let mut sources = Vec::new();
    for path in files {
        match read(&path) {
            Ok(s) => sources.push(s),
            Err(message) => {
                eprintln!("{}", super::error_line(&message));
                unreadable.push(message);
            }
        }
    }
    let linted: Vec<Vec<Finding>> = sources
        .iter()
        .map(|s| lint_document(&s.text, kind, &config))
        .collect();
    let failed = linted.iter().flatten().any(|f| f.severity >= fail_on);
    let shown: Vec<Vec<Finding>> = linted
        .into_iter()
        .map(|fs| fs.into_iter().filter(|f| f.severity >= min).collect())
        .collect();
    let reports: Vec<FileReport<'_>> = sources
        .iter()
        .zip(&shown)
        .map(|(s, findings)| FileReport {
            file: &s.name,
            src: &s.text,
            findings,
        })
        .collect();
    let out = match args.format {
        FormatArg::Human => human_text(&reports, shown_config),
        FormatArg::Json => render::json(&reports, shown_config),
        FormatArg::Sarif => render::sarif(&reports, shown_config),
    };
    out!("{out}");
    match unreadable.len() {
        0 if failed => Ok(Outcome::No),
        0 => Ok(Outcome::Yes),
        1 => Err(Failure::new("1 path could not be read")),
        n => Err(Failure::new(format!("{n} paths could not be read"))),
    }
}

fn explain(code: &str) -> Result<Outcome, Failure> {
    match catalogue::check(code) {
        Some(c) => {
            out!("{}", catalogue::explain(c));
            Ok(Outcome::Yes)
        }
        None => Err(Failure::new(match catalogue::suggest_code(code) {
            Some(s) => format!("unknown check code `{code}`, did you mean `{s}`?"),
            None => format!(
                "unknown check code `{code}`; `ramgate lint --explain` knows {} checks, listed in docs/lint-checks.md",
                catalogue::checks().len()
            ),
        })),
    }
}

/// The configuration of the run and the file it came from: `--config`,
/// none with `--no-config`, else the one [`Config::discover`] finds.
fn load_config(explicit: Option<&Path>, none: bool) -> Result<(Config, Option<PathBuf>), Failure> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None if none => None,
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Config::discover(&d)),
    };
    match path {
        Some(p) => {
            let config = Config::load(&p).map_err(|e| Failure::new(e.to_string()))?;
            Ok((config, Some(p)))
        }
        None => Ok((Config::default(), None)),
    }
}

/// Expands the arguments into files, in order, without duplicates.
fn collect(args: &[String], config: &Config, unreadable: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    let push = |p: PathBuf, files: &mut Vec<PathBuf>| {
        if !files.contains(&p) {
            files.push(p);
        }
    };
    for arg in args {
        if arg == "-" {
            push(PathBuf::from("-"), &mut files);
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            for f in walk(path) {
                if !config.is_ignored(&f) {
                    push(f, &mut files);
                }
            }
        } else if path.exists() {
            // A file named explicitly is linted even when ignored: the
            // configuration filters what walks and globs find.
            push(path.to_path_buf(), &mut files);
        } else if arg.contains(['*', '?', '[']) {
            match glob::glob(arg) {
                Ok(paths) => {
                    let mut matched = 0;
                    for p in paths.flatten() {
                        matched += 1;
                        if p.is_file() && !config.is_ignored(&p) {
                            push(p, &mut files);
                        }
                    }
                    if matched == 0 {
                        let message = format!("no file matches `{arg}`");
                        eprintln!("error: {message}");
                        unreadable.push(message);
                    }
                }
                Err(e) => {
                    let message = format!("invalid glob pattern `{arg}`: {e}");
                    eprintln!("error: {message}");
                    unreadable.push(message);
                }
            }
        } else {
            // Let the read report it, with the operating system's reason.
            push(path.to_path_buf(), &mut files);
        }
    }
    files
}

/// The policy files under a directory (`*.json`, `*.rgp`), sorted; hidden
/// directories and `target` are skipped.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(p);
                }
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "rgp")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> Result<Source, String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(Source {
            name: "<stdin>".into(),
            text,
        });
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    Ok(Source { name, text })
}

/// The human report as printed: echoed source lines keep their tabs, and
/// nothing else from the files reaches the terminal raw (S6).
pub(crate) fn human_text(reports: &[FileReport<'_>], config: Option<&str>) -> String {
    crate::terminal::escape_report(&render::human(reports, config)).into_owned()
}
