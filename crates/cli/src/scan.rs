use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use drydock_matcher::{Finding, Status};
use drydock_report::scan::{DatabaseSource, DatabaseSummary, ScanDocument, Suppressed};
use drydock_vulndb::{Severity, Store};
use serde::Deserialize;

use crate::Failure;
use crate::db::{DbLocation, human_age};
use crate::sbom::{SourceArgs, inventory, write_output};

#[derive(Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Cyclonedx,
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub db: DbLocation,
    /// Match against these advisory files or folders (OSV JSON/YAML, OSV zip, Alpine secdb),
    /// loaded in memory for this run, instead of the database
    #[arg(long = "advisories", value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated: UNKNOWN,NEGLIGIBLE,LOW,MEDIUM,HIGH,CRITICAL)
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<Severity>,
    /// Leave out findings that have no fixed version yet
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with code 1 when a finding at or above this severity remains
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Suppression list (TOML, see docs/ignore-file.md)
    #[arg(long, default_value = ".drydockignore")]
    pub ignore_file: PathBuf,
    /// Warn when the database is older than this many days
    #[arg(long, default_value_t = 7)]
    pub max_db_age: u32,
}

#[derive(Deserialize)]
struct IgnoreFile {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreEntry {
    id: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    expires: Option<toml::value::Datetime>,
    reason: String,
}

fn load_ignores(path: &Path, explicit: bool) -> Result<Vec<IgnoreEntry>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(Vec::new()),
        Err(e) => return Err(Failure::input(format!("{}: {e}", path.display()))),
    };
    let parsed: IgnoreFile =
        toml::from_str(&text).map_err(|e| Failure::input(format!("{}: {}", path.display(), e.message())))?;
    Ok(parsed.ignore)
}

fn open_store(args: &ScanArgs) -> Result<(Store, DatabaseSummary, Vec<String>), Failure> {
    let mut warnings = Vec::new();
    let store = if args.advisories.is_empty() {
        Store::open(&args.db.path()).map_err(Failure::input)?
    } else {
        let store = Store::in_memory().map_err(Failure::input)?;
        for p in &args.advisories {
            drydock_vulndb::import_path(&store, p).map_err(Failure::input)?;
        }
        store
    };
    let sources = store.sources().map_err(Failure::input)?;
    let age = drydock_vulndb::oldest_import_age(&store).map_err(Failure::input)?;
    if args.advisories.is_empty()
        && let Some(a) = age
        && a > i64::from(args.max_db_age) * 86400
    {
        warnings.push(format!(
            "the advisory database is {} old (more than {} days); run `drydock db update`",
            human_age(a),
            args.max_db_age
        ));
    }
    if sources.is_empty() {
        warnings.push("the advisory database has no sources: nothing can match".to_string());
    }
    let summary = DatabaseSummary {
        sources: sources
            .iter()
            .map(|s| DatabaseSource {
                name: s.name.clone(),
                records: s.records,
                imported_at: s.imported_at.clone(),
            })
            .collect(),
        age_seconds: age,
    };
    Ok((store, summary, warnings))
}

fn suppression<'a>(
    f: &Finding,
    ignores: &'a [IgnoreEntry],
    today: jiff::civil::Date,
    warnings: &mut Vec<String>,
) -> Option<&'a IgnoreEntry> {
    for e in ignores {
        let id_matches = e.id == f.id || f.aliases.contains(&e.id);
        let pkg_matches = e
            .package
            .as_ref()
            .is_none_or(|p| *p == f.package.name || *p == f.package.purl);
        if !(id_matches && pkg_matches) {
            continue;
        }
        if let Some(exp) = &e.expires {
            let expiry = exp
                .date
                .and_then(|d| jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok());
            match expiry {
                Some(d) if d < today => {
                    warnings.push(format!(
                        "ignore entry for {} expired on {d}: it no longer suppresses ({})",
                        e.id, f.package.name
                    ));
                    continue;
                }
                None => {
                    warnings.push(format!(
                        "ignore entry for {}: expires must be a date (YYYY-MM-DD)",
                        e.id
                    ));
                    continue;
                }
                _ => {}
            }
        }
        return Some(e);
    }
    None
}

pub fn run(args: ScanArgs) -> Result<u8, Failure> {
    let explicit_ignore = args.ignore_file != Path::new(".drydockignore");
    let ignores = load_ignores(&args.ignore_file, explicit_ignore)?;
    let (store, database, mut warnings) = open_store(&args)?;
    let sbom = inventory(&args.source)?;
    let inv = drydock_catalog::Inventory {
        distro: sbom.image.os.clone(),
        packages: sbom.packages.clone(),
        unscanned: sbom.unscanned.clone(),
        warnings: sbom.warnings.clone(),
    };
    let report = drydock_matcher::match_inventory(&inv, &store).map_err(Failure::input)?;
    warnings.extend(sbom.warnings.iter().cloned());
    warnings.extend(report.warnings);
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for f in report.findings {
        if !args.severity.is_empty() && !args.severity.contains(&f.severity) {
            continue;
        }
        if args.ignore_unfixed && f.status != Status::Fixed {
            continue;
        }
        if let Some(e) = suppression(&f, &ignores, today, &mut warnings) {
            suppressed.push(Suppressed {
                id: f.id.clone(),
                package: f.package.name.clone(),
                reason: e.reason.clone(),
                expires: e.expires.as_ref().map(|d| d.to_string()),
            });
            continue;
        }
        findings.push(f);
    }
    warnings.sort();
    warnings.dedup();
    for w in warnings.iter().filter(|w| !sbom.warnings.contains(w)) {
        eprintln!("drydock: warning: {w}");
    }
    let failing = args
        .fail_on
        .map(|threshold| findings.iter().filter(|f| f.severity >= threshold).count())
        .unwrap_or(0);
    let doc = ScanDocument::new(
        sbom.image.clone(),
        sbom.packages.len(),
        database,
        findings,
        suppressed,
        warnings,
    );
    let text = match args.format {
        ScanFormat::Table => drydock_report::scan::table(&doc),
        ScanFormat::Json => drydock_report::scan::json(&doc),
        ScanFormat::Sarif => drydock_report::scan::sarif(&doc),
        ScanFormat::Cyclonedx => drydock_report::scan::cyclonedx(&doc, &sbom),
    };
    write_output(&args.output, &text)?;
    if failing > 0 {
        eprintln!(
            "drydock: {failing} finding(s) at or above {} (--fail-on)",
            args.fail_on.map(|s| s.as_str()).unwrap_or_default()
        );
        return Ok(1);
    }
    Ok(0)
}
