//! `drydock lint` and `drydock dockerfile dump`.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use drydock_dockerfile::Dockerfile;
use drydock_lint::format::{Format, render};
use drydock_lint::{Config, Severity};

use crate::Failure;

#[derive(Args)]
pub struct LintArgs {
    /// Dockerfiles to lint; `-` reads standard input; a directory is searched for Dockerfiles
    #[arg(default_value = "Dockerfile")]
    files: Vec<String>,
    /// tty, json, sarif, checkstyle or gitlab
    #[arg(long, short = 'f', default_value = "tty")]
    format: String,
    /// Exit 1 when a finding is at or above this severity: error, warning, info, style or none
    /// [default: the config's, else warning]
    #[arg(long, short = 't')]
    failure_threshold: Option<String>,
    /// Configuration file: drydock's TOML, or Hadolint's YAML (.yaml/.yml) [default:
    /// .drydock.toml, else .hadolint.yaml, in the current directory]
    #[arg(long)]
    config: Option<PathBuf>,
    /// Do not report this rule (drydock or Hadolint id); repeatable
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<String>,
    /// Registry base images may come from; repeatable
    #[arg(long = "trusted-registry", value_name = "REGISTRY")]
    trusted_registries: Vec<String>,
    /// Write the report to a file instead of standard output
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct DockerfileArgs {
    #[command(subcommand)]
    command: DockerfileCommand,
}

#[derive(Subcommand)]
enum DockerfileCommand {
    /// Print the parse in BuildKit's node-dump notation, one instruction per line
    Dump {
        /// The Dockerfile; `-` reads standard input
        file: String,
    },
    /// List the lint rules with their Hadolint equivalents and default severities
    Rules,
}

fn read_source(file: &str) -> Result<String, Failure> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(crate::MAX_TEXT_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|e| Failure::input(format!("reading standard input: {e}")))?;
        if text.len() as u64 > crate::MAX_TEXT_FILE {
            return Err(Failure::input(format!(
                "standard input: larger than {} MiB, not a Dockerfile drydock reads",
                crate::MAX_TEXT_FILE >> 20
            )));
        }
        return Ok(text);
    }
    crate::read_text(std::path::Path::new(file)).map_err(|e| Failure::input(format!("{file}: {e}")))
}

fn display_name(file: &str) -> &str {
    if file == "-" { "<stdin>" } else { file }
}

/// Parses, or prints `drydock: error: FILE:LINE: message` (BuildKit's verdict) and yields exit
/// code 2.
fn parse(file: &str) -> Result<Result<Dockerfile, ()>, Failure> {
    let text = read_source(file)?;
    Ok(drydock_dockerfile::parse(&text).map_err(|e| {
        eprintln!(
            "{}",
            drydock_report::terminal_safe(&format!(
                "drydock: error: {}:{}: {}",
                display_name(file),
                e.line,
                e.message
            ))
        );
    }))
}

pub fn dockerfile(args: DockerfileArgs) -> Result<u8, Failure> {
    match args.command {
        DockerfileCommand::Dump { file } => match parse(&file)? {
            Ok(parsed) => {
                crate::say_raw!("{}", drydock_dockerfile::dump::dump(&parsed));
                Ok(0)
            }
            Err(()) => Ok(2),
        },
        DockerfileCommand::Rules => {
            for r in drydock_lint::RULES {
                crate::say!(
                    "{:<28} {:<7} {:<31} {:<8} {}{}",
                    r.id,
                    r.hadolint.unwrap_or("-"),
                    drydock_lint::registry::buildkit(r.id).unwrap_or("-"),
                    r.severity.as_str(),
                    r.summary,
                    if r.opt_in { " (opt-in)" } else { "" }
                );
            }
            Ok(0)
        }
    }
}

/// Dockerfiles under a directory (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`),
/// in path order, skipping hidden directories and dependency or build folders.
fn dockerfiles_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !name.starts_with('.') && !matches!(name.as_str(), "node_modules" | "target" | "vendor") {
                    stack.push(path);
                }
            } else if kind.is_file()
                && (name == "Dockerfile"
                    || name == "Containerfile"
                    || name.starts_with("Dockerfile.")
                    || name.ends_with(".Dockerfile")
                    || name.ends_with(".dockerfile"))
            {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn load_config(path: Option<&Path>) -> Result<Config, Failure> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        // drydock's own file first; a Hadolint configuration keeps working after a switch.
        None => match [".drydock.toml", ".hadolint.yaml", ".hadolint.yml"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        {
            Some(p) => p,
            None => return Ok(Config::default()),
        },
    };
    let text = crate::read_text(&path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let hadolint = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let parsed = if hadolint {
        Config::from_hadolint_yaml(&text)
    } else {
        Config::from_toml(&text)
    };
    parsed.map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

pub fn lint(args: LintArgs) -> Result<u8, Failure> {
    // html wraps the json document in drydock's report page.
    let html = args.format == "html";
    let format = if html {
        Format::Json
    } else {
        Format::parse(&args.format).ok_or_else(|| {
            Failure::input(format!(
                "unknown format `{}` (tty, json, sarif, checkstyle, gitlab, html)",
                args.format
            ))
        })?
    };
    let mut config = load_config(args.config.as_deref())?;
    for id in &args.ignore {
        if drydock_lint::registry::rule(id).is_none() {
            return Err(Failure::input(format!("unknown rule `{id}`")));
        }
        config.ignore.push(id.clone());
    }
    config
        .trusted_registries
        .extend(args.trusted_registries.iter().cloned());
    let threshold = args
        .failure_threshold
        .clone()
        .or_else(|| config.failure_threshold.clone())
        .unwrap_or_else(|| "warning".into());
    let threshold = match threshold.as_str() {
        "none" => None,
        t => Some(Severity::parse(t).ok_or_else(|| {
            Failure::input(format!(
                "failure threshold `{t}`: expected error, warning, info, style or none"
            ))
        })?),
    };

    let mut findings = Vec::new();
    let mut unparsable = false;
    let mut files = Vec::new();
    for file in &args.files {
        if file != "-" && Path::new(file).is_dir() {
            let found = dockerfiles_under(Path::new(file));
            if found.is_empty() {
                return Err(Failure::input(format!("{file}: no Dockerfile in this directory")));
            }
            files.extend(found);
        } else {
            files.push(file.clone());
        }
    }
    for file in &files {
        match parse(file)? {
            Ok(parsed) => findings.extend(drydock_lint::lint(&parsed, &config, display_name(file))),
            Err(()) => unparsable = true,
        }
    }
    let mut report = render(format, &findings);
    if html {
        report = drydock_report::html::render(drydock_report::html::Kind::Lint, "Dockerfiles", &report);
    } else if format == Format::Tty {
        report = drydock_report::terminal_safe(&report);
    }
    if format == Format::Tty && !findings.is_empty() {
        let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
        eprintln!(
            "drydock lint: {} finding{} in {} file{} ({} error, {} warning, {} info, {} style)",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info),
            count(Severity::Style),
        );
    }
    // A file BuildKit rejects makes the run an error: a machine-readable report of the others
    // would read as a complete result, so none is written.
    if unparsable && format != Format::Tty {
        return Ok(2);
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, report).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?
        }
        None => crate::say_raw!("{report}"),
    }
    if unparsable {
        return Ok(2);
    }
    let failed = threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}
