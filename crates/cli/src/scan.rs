use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use drydock_baseline::{Baseline, FailOn};
use drydock_matcher::{Finding, Status};
use drydock_report::scan::{ReportedFinding, ScanDocument, Suppressed};
use drydock_vulndb::Severity;
use serde::Deserialize;

use crate::Failure;
use crate::db::{DbLocation, open_store};
use crate::sbom::{ReadOptions, SourceArgs, inventory, layer_cache_root, write_output};

#[derive(Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Cyclonedx,
    /// GitLab's container-scanning report (schema 15.2.4)
    Gitlab,
    /// One self-contained page (the JSON report inside, rendered offline)
    Html,
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
    /// Only report findings of these fix classes (comma-separated: rebuild, base-image,
    /// upgrade, no-fix, unknown); --fail-on then counts only those
    #[arg(long, value_delimiter = ',', value_name = "CLASS")]
    pub fix_class: Vec<drydock_advise::FixClass>,
    /// Exit with code 1 when a finding at or above this severity remains; `new:SEVERITY` counts
    /// only findings the change brought in (against --baseline)
    #[arg(long, value_name = "[new:]SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Compare against a baseline: a drydock JSON report or SBOM, a drydock SARIF report, or an
    /// image (any SOURCE), typically what the target branch built
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    /// Report only findings that are new against the baseline
    #[arg(long, requires = "baseline")]
    pub only_new: bool,
    /// Suppression list (TOML, see docs/ignore-file.md)
    #[arg(long, default_value = ".drydockignore")]
    pub ignore_file: PathBuf,
    /// Warn when the database is older than this many days
    #[arg(long, default_value_t = 7)]
    pub max_db_age: u32,
    /// Usage records (`drydock usage trace` or `usage import`): mark each finding's package
    /// used, required or unused by the traced runs
    #[arg(long = "usage", value_name = "FILE")]
    pub usage: Vec<PathBuf>,
    /// With --usage: leave out findings in packages no traced run needed; --fail-on then counts
    /// only the rest
    #[arg(long, requires = "usage")]
    pub only_used: bool,
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

/// A baseline REF: a JSON document drydock wrote (a regular file starting with `{`), else an
/// image SOURCE.
pub fn load_baseline(reference: &str, read: &ReadOptions, cache_root: &Path) -> Result<Baseline, Failure> {
    // A report of a large image is tens of MB; a baseline file far past that is not one.
    const MAX_DOCUMENT: u64 = 512 << 20;
    let path = Path::new(reference);
    if path.is_file() {
        use std::io::Read as _;
        let failed = |e: std::io::Error| Failure::input(format!("{reference}: {e}"));
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(failed)?
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() as u64 > MAX_DOCUMENT {
            return Err(Failure::input(format!(
                "{reference}: larger than {} MiB, not a drydock report",
                MAX_DOCUMENT >> 20
            )));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            return drydock_baseline::load_document(&bytes, reference).map_err(Failure::input);
        }
    } else if [".json", ".sarif"].iter().any(|ext| reference.ends_with(ext)) {
        // Not a registry reference either: say so instead of trying to pull it.
        return Err(Failure::input(format!("{reference}: no such baseline file")));
    }
    let read = inventory(reference, &read.for_another_image(), cache_root)?;
    crate::warn(&read.inventory.warnings);
    Ok(Baseline {
        distro: read.inventory.distro,
        packages: read.inventory.packages,
        recorded: None,
        kind: "image",
    })
}

/// The findings a scan keeps after `--severity`, `--ignore-unfixed` and the ignore file.
fn keep(f: &Finding, args: &ScanArgs) -> bool {
    (args.severity.is_empty() || args.severity.contains(&f.severity))
        && !(args.ignore_unfixed && f.status != Status::Fixed)
}

pub fn run(args: ScanArgs) -> Result<u8, Failure> {
    let started = drydock_report::timestamp();
    let explicit_ignore = args.ignore_file != Path::new(".drydockignore");
    let ignores = load_ignores(&args.ignore_file, explicit_ignore)?;
    let (store, database, mut warnings) = open_store(&args.advisories, &args.db, args.max_db_age)?;
    let (read, usage) = if args.usage.is_empty() {
        let read = crate::sbom::inventory_with(
            &args.source.source,
            &args.source.read,
            &layer_cache_root(&args.db),
            args.source.dockerfile.as_deref(),
        )?;
        (read, None)
    } else {
        let access = crate::usage_cmd::read_traces(&args.usage, drydock_usage::Format::Drydock)?;
        let read = crate::sbom::read_image(
            &args.source.source,
            &args.source.read,
            &layer_cache_root(&args.db),
            args.source.dockerfile.as_deref(),
            crate::usage_cmd::wants(),
        )?;
        let states = crate::usage_cmd::package_states(&read, &access)?;
        (read.into_inventoried(), Some(states))
    };
    let crate::sbom::Inventoried { summary, inventory } = read;
    let report = drydock_matcher::match_inventory(&inventory, &store).map_err(Failure::input)?;
    warnings.extend(inventory.warnings.iter().cloned());
    warnings.extend(report.warnings);
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for f in report.findings {
        if !keep(&f, &args) {
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
    // The baseline's inventory is matched against today's database with the same filters, so a
    // finding is "new" only when the change brought it in.
    let baseline = match &args.baseline {
        Some(reference) => {
            let b = load_baseline(reference, &args.source.read, &layer_cache_root(&args.db))?;
            let today_report =
                drydock_matcher::match_inventory(&b.inventory(), &store).map_err(Failure::input)?;
            let today: Vec<Finding> = today_report
                .findings
                .into_iter()
                .filter(|f| keep(f, &args))
                .collect();
            let recorded: Option<Vec<Finding>> = b
                .recorded
                .as_ref()
                .map(|r| r.iter().filter(|f| keep(f, &args)).cloned().collect());
            Some((
                reference.clone(),
                b.kind,
                drydock_baseline::compare(&findings, &today, recorded.as_deref()),
            ))
        }
        None => None,
    };
    let advice = drydock_advise::advise(
        &findings,
        &drydock_advise::Image {
            distro: inventory.distro.as_ref(),
            packages: &inventory.packages,
            package_sources: &inventory.package_sources,
        },
        &store,
    );
    let with_fixes = !findings.is_empty();
    if with_fixes {
        warnings.extend(advice.warnings);
    }
    let origins: std::collections::HashMap<&str, &drydock_catalog::IntroducedBy> = inventory
        .packages
        .iter()
        .filter_map(|p| Some((p.purl.as_str(), p.introduced_by.as_deref()?)))
        .collect();
    let mut fixes = advice.fixes.into_iter();
    warnings.sort();
    warnings.dedup();
    crate::warn(&warnings);
    let judgements: Vec<Option<drydock_baseline::Judgement>> = match &baseline {
        Some((_, _, c)) => c.judgements.iter().cloned().map(Some).collect(),
        None => vec![None; findings.len()],
    };
    let mut reported: Vec<ReportedFinding> = findings
        .into_iter()
        .zip(judgements)
        .map(|(f, j)| {
            let mut r = ReportedFinding::new(f, j);
            r.introduced_by = origins.get(r.package.purl.as_str()).map(|i| (*i).clone());
            r.fix = fixes.next();
            r.usage = usage
                .as_ref()
                .and_then(|u| u.get(&r.package.purl))
                .map(|s| s.as_str().to_string());
            r
        })
        .collect();
    if args.only_used {
        reported.retain(|f| f.usage.as_deref() != Some("unused"));
    }
    if !args.fix_class.is_empty() {
        reported.retain(|f| f.fix.as_ref().is_some_and(|x| args.fix_class.contains(&x.class)));
    }
    let failing = args.fail_on.map(|gate| {
        let n = reported
            .iter()
            .filter(|f| gate.fails(f, f.baseline.as_ref()))
            .count();
        (gate, n)
    });
    if args.only_new {
        reported.retain(|f| {
            f.baseline
                .as_ref()
                .is_some_and(|j| j.state == drydock_baseline::State::New)
        });
    }
    let mut doc = ScanDocument::new(
        summary,
        inventory.packages,
        database,
        reported,
        suppressed,
        warnings,
    );
    if let Some((reference, kind, comparison)) = baseline {
        doc = doc.with_baseline(&reference, kind, comparison.absent);
    }
    let text = match args.format {
        ScanFormat::Table => drydock_report::terminal_safe(&drydock_report::scan::table(&doc)),
        ScanFormat::Json => drydock_report::scan::json(&doc),
        ScanFormat::Sarif => drydock_report::scan::sarif(&doc),
        ScanFormat::Cyclonedx => drydock_report::scan::cyclonedx(&doc),
        ScanFormat::Gitlab => drydock_report::scan::gitlab(&doc, &started),
        ScanFormat::Html => drydock_report::html::render(
            drydock_report::html::Kind::Scan,
            &doc.image.name,
            &drydock_report::scan::json(&doc),
        ),
    };
    write_output(&args.output, &text)?;
    if let Some((gate, n)) = failing
        && n > 0
    {
        eprintln!(
            "drydock: {n} {}finding(s) at or above {} (--fail-on)",
            if gate.only_new { "new " } else { "" },
            gate.severity.as_str()
        );
        return Ok(1);
    }
    Ok(0)
}
