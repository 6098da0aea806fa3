use std::path::PathBuf;

use clap::{Args, ValueEnum};
use drydock_baseline::FailOn;
use drydock_report::compare::CompareDocument;

use crate::Failure;
use crate::db::DbLocation;
use crate::db::open_store;
use crate::sbom::{ReadOptions, inventory, layer_cache_root, write_output};

#[derive(Clone, Copy, ValueEnum)]
pub enum CompareFormat {
    Table,
    Json,
    /// For a pull-request comment
    Markdown,
    /// One self-contained page (the JSON comparison inside, rendered offline)
    Html,
}

#[derive(Args)]
pub struct CompareArgs {
    /// The image before the change (any SOURCE)
    pub before: String,
    /// The image after the change (any SOURCE)
    pub after: String,
    #[command(flatten)]
    pub db: DbLocation,
    /// Match against these advisory files or folders instead of the database
    #[arg(long = "advisories", value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: CompareFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit with code 1 when the second image has a finding at or above this severity;
    /// `new:SEVERITY` counts only the findings the first image did not have
    #[arg(long, value_name = "[new:]SEVERITY")]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub read: ReadOptions,
    /// Warn when the database is older than this many days
    #[arg(long, default_value_t = 7)]
    pub max_db_age: u32,
}

pub fn run(args: CompareArgs) -> Result<u8, Failure> {
    let (store, _, warnings) = open_store(&args.advisories, &args.db, args.max_db_age)?;
    crate::warn(&warnings);
    let cache_root = layer_cache_root(&args.db);
    // Standard input gives the password once: the second image reads with the rest.
    let (before, after) = (
        inventory(&args.before, &args.read, &cache_root)?,
        inventory(&args.after, &args.read.for_another_image(), &cache_root)?,
    );
    let matched = |read: &crate::sbom::Inventoried| {
        drydock_matcher::match_inventory(&read.inventory, &store).map_err(Failure::input)
    };
    let (found_before, found_after) = (matched(&before)?, matched(&after)?);
    crate::warn(
        before
            .inventory
            .warnings
            .iter()
            .chain(&after.inventory.warnings)
            .chain(&found_before.warnings)
            .chain(&found_after.warnings),
    );
    let comparison = drydock_baseline::compare(&found_after.findings, &found_before.findings, None);
    let failing = args
        .fail_on
        .map(|gate| {
            found_after
                .findings
                .iter()
                .zip(&comparison.judgements)
                .filter(|(f, j)| gate.fails(f, Some(j)))
                .count()
        })
        .unwrap_or(0);
    let doc = CompareDocument::new(
        (before.summary.clone(), &before.inventory.packages),
        (after.summary.clone(), &after.inventory.packages),
        &found_after.findings,
        comparison,
    );
    let text = match args.format {
        CompareFormat::Table => drydock_report::terminal_safe(&drydock_report::compare::table(&doc)),
        CompareFormat::Json => drydock_report::compare::json(&doc),
        CompareFormat::Markdown => drydock_report::compare::markdown(&doc),
        CompareFormat::Html => drydock_report::html::render(
            drydock_report::html::Kind::Compare,
            &doc.after.name,
            &drydock_report::compare::json(&doc),
        ),
    };
    write_output(&args.output, &text)?;
    if failing > 0 {
        eprintln!("drydock: {failing} finding(s) of {} fail --fail-on", args.after);
        return Ok(1);
    }
    Ok(0)
}
