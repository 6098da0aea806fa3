use std::path::PathBuf;

use clap::{Args, ValueEnum};
use drydock_audit::Level;
use drydock_audit::config::AuditConfig;
use drydock_report::audit::{AuditDocument, SuppressedFinding};

use crate::Failure;
use crate::sbom::{SourceArgs, layer_cache_root, read_image, write_output};

#[derive(Clone, Copy, ValueEnum)]
pub enum AuditFormat {
    #[value(alias = "tty")]
    Table,
    Json,
    Sarif,
}

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub db: crate::db::DbLocation,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit with code 1 when a finding at or above this level remains (fatal, warn, info)
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<Level>,
    /// Configuration: the `[audit]` table (ignore entries, thresholds)
    #[arg(long, default_value = ".drydock.toml")]
    pub config: PathBuf,
    /// Lowest image efficiency (0–1) before DD-SIZE-0001 [default: 0.9, as dive]
    #[arg(long)]
    pub lowest_efficiency: Option<f64>,
    /// Most wasted bytes before DD-SIZE-0002 [default: no limit, as dive]
    #[arg(long)]
    pub highest_wasted_bytes: Option<u64>,
    /// Highest share (0–1) of the bytes added over the first layer that may be wasted before
    /// DD-SIZE-0003 [default: 0.1, as dive]
    #[arg(long)]
    pub highest_user_wasted_percent: Option<f64>,
}

fn load_config(args: &AuditArgs) -> Result<AuditConfig, Failure> {
    let explicit = args.config != std::path::Path::new(".drydock.toml");
    match crate::read_text(&args.config) {
        Ok(text) => AuditConfig::from_toml(&text)
            .map_err(|e| Failure::input(format!("{}: {e}", args.config.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(AuditConfig::default()),
        Err(e) => Err(Failure::input(format!("{}: {e}", args.config.display()))),
    }
}

pub fn run(args: AuditArgs) -> Result<u8, Failure> {
    let config = load_config(&args)?;
    let mut thresholds = config.thresholds();
    if args.lowest_efficiency.is_some() {
        thresholds.lowest_efficiency = args.lowest_efficiency;
    }
    if args.highest_wasted_bytes.is_some() {
        thresholds.highest_wasted_bytes = args.highest_wasted_bytes;
    }
    if args.highest_user_wasted_percent.is_some() {
        thresholds.highest_user_wasted_percent = args.highest_user_wasted_percent;
    }
    let read = read_image(
        &args.source.source,
        &args.source.read,
        &layer_cache_root(&args.db),
        args.source.dockerfile.as_deref(),
        drydock_audit::wants(drydock_catalog::wants()),
    )?;
    let image = &read.image;
    let history: Vec<(Option<usize>, String)> = image
        .history
        .iter()
        .filter_map(|h| Some((h.layer, h.created_by.clone()?)))
        .collect();
    let input = drydock_audit::Input {
        fs: &read.fs,
        packages: &read.inventory.packages,
        layers: &read.origins,
        config: drydock_audit::Config {
            user: image.user.as_deref(),
            env: &image.env,
            labels: &image.labels,
            volumes: &image.volumes,
            healthcheck: image.healthcheck.as_deref(),
        },
        history,
        reference: &image.name,
        base: read.base.clone(),
    };
    let report = drydock_audit::audit(&input, &thresholds);
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let mut warnings = read.inventory.warnings.clone();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for f in report.findings {
        match config.suppressing(&f, today, &mut warnings) {
            Some(i) => suppressed.push(SuppressedFinding {
                id: f.id.clone(),
                path: f.path.clone(),
                reason: i.reason.clone(),
            }),
            None => findings.push(f),
        }
    }
    warnings.sort();
    warnings.dedup();
    crate::warn(&warnings);
    let failing = args
        .fail_on
        .map(|gate| findings.iter().filter(|f| f.level <= gate).count())
        .unwrap_or(0);
    let doc = AuditDocument::new(read.summary.clone(), report.size, findings, suppressed, warnings);
    let text = match args.format {
        AuditFormat::Table => drydock_report::terminal_safe(&drydock_report::audit::table(&doc)),
        AuditFormat::Json => drydock_report::audit::json(&doc),
        AuditFormat::Sarif => drydock_report::audit::sarif(&doc),
    };
    write_output(&args.output, &text)?;
    if failing > 0 {
        eprintln!(
            "drydock: {failing} finding(s) at or above {} (--fail-on)",
            args.fail_on.map(Level::as_str).unwrap_or_default()
        );
        return Ok(1);
    }
    Ok(0)
}
