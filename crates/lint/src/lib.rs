//! `drydock lint`: Dockerfile rules over BuildKit's parse, with RUN bodies read as shell.
//!
//! * [`registry`]: every rule, with the Hadolint rule it matches (so `# hadolint ignore=DL3008`
//!   pragmas and Hadolint-based configurations keep working) and drydock's own rules for what
//!   Hadolint lacks: digests on base images, build tools in single-stage images, a lone
//!   `apt-get update`, implicit root, `curl | sh`, unchecked remote ADD, writes under VOLUME.
//! * [`shell`]: RUN bodies parsed with brush-parser into commands and arguments.
//! * [`config`]: `.drydock.toml` (ignored rules, severity overrides, trusted registries, label
//!   schema, failure threshold).
//! * [`format`]: tty, JSON, SARIF, Checkstyle and GitLab Code Quality output.

pub mod config;
pub mod format;
pub mod registry;
mod rules;
pub mod shell;

use serde::Serialize;

pub use config::{Config, ConfigError};
pub use registry::{RULES, Rule, RuleId, Severity};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// drydock's rule id.
    pub rule: &'static str,
    /// The Hadolint id, when the rule has one.
    pub hadolint: Option<&'static str>,
    /// The severity, after configuration.
    pub severity: Severity,
    /// 1-based line of the instruction.
    pub line: usize,
    /// 1-based column (1: the instruction).
    pub column: usize,
    /// What is wrong, in one line.
    pub message: String,
    /// The Dockerfile, as named.
    pub file: String,
}

/// Lints one parsed Dockerfile. Findings come sorted by line; pragmas and configuration are
/// applied.
pub fn lint(file: &drydock_dockerfile::Dockerfile, config: &Config, name: &str) -> Vec<Finding> {
    let raw = rules::check(file, config);
    let pragmas = Pragmas::read(file);
    let skipped_checks = check_directive_skips(file);
    let mut out: Vec<Finding> = raw
        .into_iter()
        .filter_map(|(id, line, message)| {
            let rule = id.rule();
            let skipped_by_directive = rule
                .buildkit
                .is_some_and(|bk| skipped_checks.iter().any(|s| s == "all" || s == bk));
            if !config.enabled(rule) || pragmas.ignores(rule, line) || skipped_by_directive {
                return None;
            }
            Some(Finding {
                rule: rule.id,
                hadolint: rule.hadolint,
                severity: config.severity(rule),
                line,
                column: 1,
                message,
                file: name.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.line, a.rule).cmp(&(b.line, b.rule)));
    out.dedup();
    out
}

/// `# hadolint ignore=…` / `# drydock ignore=…` on the lines before an instruction, and the
/// `global ignore=` form for the whole file.
struct Pragmas {
    /// (line of the instruction the pragma precedes, rule ids)
    local: Vec<(usize, Vec<String>)>,
    global: Vec<String>,
}

impl Pragmas {
    fn read(file: &drydock_dockerfile::Dockerfile) -> Pragmas {
        let mut local = Vec::new();
        let mut global = Vec::new();
        for c in &file.comments {
            let Some(body) = pragma(&c.text) else {
                continue;
            };
            let (is_global, body) = match body.strip_prefix("global") {
                Some(rest) => (true, rest.trim()),
                None => (false, body),
            };
            let Some(ids) = body
                .strip_prefix("ignore")
                .map(str::trim)
                .and_then(|b| b.strip_prefix('='))
            else {
                continue;
            };
            let ids: Vec<String> = ids
                .split(',')
                .map(|s| s.split_whitespace().next().unwrap_or_default().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if is_global {
                global.extend(ids);
            } else if let Some(next) = file.instructions.iter().find(|i| i.start_line > c.line) {
                local.push((next.start_line, ids));
            }
        }
        Pragmas { local, global }
    }

    fn ignores(&self, rule: &Rule, line: usize) -> bool {
        let named = |id: &String| registry::named(rule, id);
        self.global.iter().any(named)
            || self
                .local
                .iter()
                .any(|(l, ids)| *l == line && ids.iter().any(named))
    }
}

/// The BuildKit checks a `# check=skip=A,B` directive turns off (`all` for every one).
fn check_directive_skips(file: &drydock_dockerfile::Dockerfile) -> Vec<String> {
    file.directives
        .iter()
        .filter(|d| d.name == "check")
        .flat_map(|d| {
            d.value
                .split(';')
                .map(str::trim)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter_map(|part| {
            part.strip_prefix("skip=")
                .map(|s| s.split(',').map(|x| x.trim().to_string()).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

/// The shell a `# hadolint shell=…` pragma declares, if any.
pub(crate) fn shell_pragma(file: &drydock_dockerfile::Dockerfile) -> Option<String> {
    file.comments.iter().find_map(|c| {
        Some(
            pragma(&c.text)?
                .strip_prefix("shell")?
                .trim()
                .strip_prefix('=')?
                .trim()
                .to_string(),
        )
    })
}

/// Whether a comment is an inline ignore pragma as Hadolint's pragma grammar reads one
/// (`hadolint`, blanks, `ignore`, `=`, a comma list of rule codes made of `DLSC0-9`, an
/// optional trailing `# comment`), or drydock's own `drydock ignore=…`. The `global` form is
/// not inline.
pub(crate) fn is_inline_ignore_pragma(comment: &str) -> bool {
    let blanks = |s: &str| s.trim_start_matches([' ', '\t']).to_string();
    let comment = blanks(comment);
    if let Some(rest) = comment.strip_prefix("drydock") {
        return blanks(rest).strip_prefix("ignore").is_some_and(|r| {
            blanks(r)
                .strip_prefix('=')
                .is_some_and(|ids| !ids.trim().is_empty())
        });
    }
    let Some(rest) = comment.strip_prefix("hadolint") else {
        return false;
    };
    if !rest.starts_with([' ', '\t']) {
        return false;
    }
    let Some(rest) = blanks(rest).strip_prefix("ignore").map(blanks) else {
        return false;
    };
    let Some(mut rest) = rest.strip_prefix('=').map(blanks) else {
        return false;
    };
    loop {
        let name = rest
            .find(|c: char| !"DLSC0123456789".contains(c))
            .unwrap_or(rest.len());
        if name == 0 {
            return false;
        }
        rest = blanks(&rest[name..]);
        if rest.is_empty() || rest.starts_with('#') {
            return true;
        }
        match rest.strip_prefix(',') {
            Some(r) => rest = blanks(r),
            None => return false,
        }
    }
}

/// The body of a `# hadolint …` or `# drydock …` pragma comment.
fn pragma(comment: &str) -> Option<&str> {
    comment
        .strip_prefix("hadolint")
        .or_else(|| comment.strip_prefix("drydock"))
        .map(str::trim)
}
