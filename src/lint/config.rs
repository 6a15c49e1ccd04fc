//! Lint configuration: codes switched off, severities changed, paths
//! ignored; read from `ramgate.toml` (Parliament's users asked to switch
//! single checks off, duo-labs/parliament#172).
//!
//! ```toml
//! [lint]
//! disable = ["empty-sid"]
//! ignore = ["vendor/**"]
//! account = "1234567890123456"   # your account: trusts of it are not cross-account
//! known-services = ["newsvc"]    # RAM codes the catalogue does not list yet
//!
//! [lint.severity]
//! unknown-action = "error"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::catalogue;
use super::finding::Severity;

/// The name of the configuration file looked for in the current directory
/// and its parents.
pub const FILE_NAME: &str = "ramgate.toml";

/// How the linter is configured.
#[derive(Clone, Debug, Default)]
pub struct Config {
    disabled: BTreeSet<String>,
    severities: BTreeMap<String, Severity>,
    ignore: Vec<glob::Pattern>,
    /// The account that owns the policies: trusts of it are not
    /// cross-account trusts.
    pub account: Option<String>,
    known_services: BTreeSet<String>,
    /// The directory of the configuration file (`ignore` patterns are
    /// relative to it).
    pub base: Option<PathBuf>,
    /// `fail-on` from the file, when given.
    pub fail_on: Option<Severity>,
    /// `min-severity` from the file, when given.
    pub min_severity: Option<Severity>,
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {error}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Not valid TOML, or not the expected shape.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: String,
        /// toml's message, which names the line and column.
        message: String,
    },
    /// A code that is not a check.
    #[error("unknown check code `{code}`{}", .suggestion.map(|s| format!(", did you mean `{s}`?")).unwrap_or_default())]
    UnknownCode {
        /// The code as written.
        code: String,
        /// The closest known code.
        suggestion: Option<&'static str>,
    },
    /// An `ignore` pattern that is not a glob.
    #[error("invalid ignore pattern `{pattern}`: {error}")]
    Pattern {
        /// The pattern as written.
        pattern: String,
        /// glob's message.
        error: glob::PatternError,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    lint: LintSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LintSection {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    ignore: Vec<String>,
    account: Option<String>,
    #[serde(default)]
    known_services: Vec<String>,
    fail_on: Option<Severity>,
    min_severity: Option<Severity>,
}

impl Config {
    /// Reads the TOML text of a configuration file; `base` is its directory.
    pub fn from_toml(text: &str, path: &str, base: Option<PathBuf>) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let lint = file.lint;
        let mut config = Config {
            account: lint.account,
            base,
            fail_on: lint.fail_on,
            min_severity: lint.min_severity,
            ..Config::default()
        };
        for code in lint.disable {
            config.disable(&code)?;
        }
        for (code, severity) in lint.severity {
            config.set_severity(&code, severity)?;
        }
        for pattern in lint.ignore {
            let compiled = glob::Pattern::new(&pattern).map_err(|error| ConfigError::Pattern {
                pattern: pattern.clone(),
                error,
            })?;
            config.ignore.push(compiled);
        }
        config.known_services = lint
            .known_services
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        Ok(config)
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: shown.clone(),
            error,
        })?;
        Config::from_toml(&text, &shown, path.parent().map(Path::to_path_buf))
    }

    /// Finds the `ramgate.toml` that configures a run started in `dir`
    /// (S8): the nearest one from `dir` up to the repository root (the
    /// first directory holding `.git`) and no further; outside any
    /// repository, only `dir`'s own. A file in `/tmp` or `$HOME` above a
    /// checkout never switches its checks off.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        let root = dir.ancestors().find(|d| d.join(".git").exists());
        let searched: Vec<&Path> = match root {
            Some(root) => dir
                .ancestors()
                .take_while(|d| *d != root)
                .chain(std::iter::once(root))
                .collect(),
            None => vec![dir],
        };
        searched
            .into_iter()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Switches a check off.
    pub fn disable(&mut self, code: &str) -> Result<(), ConfigError> {
        known(code)?;
        self.disabled.insert(code.to_string());
        Ok(())
    }

    /// Changes a check's severity.
    pub fn set_severity(&mut self, code: &str, severity: Severity) -> Result<(), ConfigError> {
        known(code)?;
        self.severities.insert(code.to_string(), severity);
        Ok(())
    }

    /// Whether a check is switched off.
    pub fn is_disabled(&self, code: &str) -> bool {
        self.disabled.contains(code)
    }

    /// The severity a check reports with.
    pub fn severity(&self, code: &str) -> Severity {
        self.severities
            .get(code)
            .copied()
            .or_else(|| catalogue::check(code).map(|c| c.severity))
            // Every emitted code is in the catalogue (a test checks it);
            // an unknown one is treated as the most severe, never hidden.
            .unwrap_or(Severity::Error)
    }

    /// Whether the RAM code was declared known in the configuration.
    pub fn knows_service(&self, code: &str) -> bool {
        self.known_services.contains(&code.to_ascii_lowercase())
    }

    /// Whether a file is ignored: its path, as given or relative to the
    /// configuration file's directory, matches an `ignore` pattern.
    pub fn is_ignored(&self, path: &Path) -> bool {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        let relative = self.base.as_ref().and_then(|base| {
            let abs = std::path::absolute(path).ok()?;
            let base = std::path::absolute(base).ok()?;
            abs.strip_prefix(&base).ok().map(Path::to_path_buf)
        });
        let stripped = path.strip_prefix("./").unwrap_or(path);
        self.ignore.iter().any(|p| {
            p.matches_path_with(stripped, options)
                || relative
                    .as_deref()
                    .is_some_and(|r| p.matches_path_with(r, options))
        })
    }
}

fn known(code: &str) -> Result<(), ConfigError> {
    match catalogue::check(code) {
        Some(_) => Ok(()),
        None => Err(ConfigError::UnknownCode {
            code: code.to_string(),
            suggestion: catalogue::suggest_code(code),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_disables_reclassifies_and_ignores() {
        let c = Config::from_toml(
            "[lint]\ndisable = [\"empty-sid\"]\nignore = [\"vendor/**\"]\naccount = \"1234567890123456\"\n\n[lint.severity]\nunknown-action = \"error\"\n",
            "ramgate.toml",
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.is_disabled("empty-sid"));
        assert!(!c.is_disabled("allow-all"));
        assert_eq!(c.severity("unknown-action"), Severity::Error);
        assert_eq!(c.severity("allow-all"), Severity::SecurityWarning);
        assert!(c.is_ignored(Path::new("vendor/a/b.json")));
        assert!(c.is_ignored(Path::new("./vendor/x.json")));
        assert!(!c.is_ignored(Path::new("policies/x.json")));
        assert_eq!(c.account.as_deref(), Some("1234567890123456"));
    }

    #[test]
    fn unknown_codes_and_keys_are_refused_with_a_reason() {
        let e = Config::from_toml("[lint]\ndisable = [\"empty-sids\"]\n", "ramgate.toml", None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("unknown check code `empty-sids`, did you mean `empty-sid`?")
        );
        let e = Config::from_toml("[lint]\ndisabled = []\n", "ramgate.toml", None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("ramgate.toml: "), "{e}");
        assert!(e.contains("disabled"), "{e}");
    }
}
