//! `drydock base detect|index|list` and `drydock advise`: the CLI only wires `drydock-base` to
//! the image reader and the matcher.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use drydock_base::BaseIndex;
use drydock_base::rank::{self, Candidate, Ranked, Score};
use drydock_catalog::BaseImage;
use drydock_report::terminal_safe;
use rayon::prelude::*;
use serde::Serialize;

use crate::Failure;
use crate::db::DbLocation;
use crate::db::open_store;
use crate::say;
use crate::sbom::{ReadOptions, SourceArgs, layer_cache_root, read_image, write_output};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Args)]
pub struct BaseArgs {
    #[command(subcommand)]
    pub command: BaseCommand,
}

#[derive(Subcommand)]
pub enum BaseCommand {
    /// Say which image SOURCE was built FROM, and which evidence decided
    Detect {
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        db: DbLocation,
        #[arg(long, short, value_enum, default_value = "table")]
        format: Format,
    },
    /// Record repositories' tags (digest, platform, size, layer ChainIDs) from manifests and
    /// configs only, for offline detection and advice; re-running asks only what changed
    Index {
        /// REPOSITORY (every tag), REPOSITORY:TAG, or oci:PATH[:TAG]
        #[arg(required = true)]
        references: Vec<String>,
        /// Only tags matching this regular expression
        #[arg(long, value_name = "REGEX")]
        tags: Option<String>,
        #[command(flatten)]
        db: DbLocation,
        #[command(flatten)]
        read: ReadOptions,
    },
    /// Show the base-image index
    List {
        #[command(flatten)]
        db: DbLocation,
        #[arg(long, short, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Args)]
pub struct AdviseArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Further bases to weigh (any SOURCE), beside those the index offers
    #[arg(long, value_name = "REF", num_args = 1..)]
    pub candidates: Vec<String>,
    /// At most this many candidates from the index
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub max_candidates: usize,
    #[command(flatten)]
    pub db: DbLocation,
    /// Match against these advisory files or folders instead of the database
    #[arg(long = "advisories", value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Warn when the database is older than this many days
    #[arg(long, default_value_t = 7)]
    pub max_db_age: u32,
}

fn cache_dir(db: &DbLocation) -> PathBuf {
    drydock_vulndb::cache_dir(db.cache_dir.as_deref())
}

fn load_index(db: &DbLocation) -> Result<BaseIndex, Failure> {
    BaseIndex::load(&cache_dir(db)).map_err(Failure::input)
}

pub fn run(args: BaseArgs) -> Result<u8, Failure> {
    match args.command {
        BaseCommand::Detect { source, db, format } => detect(source, db, format),
        BaseCommand::Index {
            references,
            tags,
            db,
            read,
        } => index(references, tags, db, read),
        BaseCommand::List { db, format } => list(db, format),
    }
}

fn describe(base: &BaseImage) -> String {
    let mut name = base.name.clone().unwrap_or_else(|| "(unknown name)".into());
    if let Some(t) = &base.tag {
        name.push(':');
        name.push_str(t);
    }
    name
}

fn detect(source: SourceArgs, db: DbLocation, format: Format) -> Result<u8, Failure> {
    let read = read_image(
        &source.source,
        &source.read,
        &layer_cache_root(&db),
        source.dockerfile.as_deref(),
        drydock_catalog::wants(),
    )?;
    crate::warn(&read.inventory.warnings);
    let base = read.summary.base_image.clone();
    match format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&serde_json::json!({ "base_image": base }))
                .map_err(Failure::input)?;
            say!("{text}");
        }
        Format::Table => match &base {
            None => say!(
                "base image: none found (no provenance, annotation, indexed layers, Dockerfile or history tells)"
            ),
            Some(b) => {
                say!("base image: {}", terminal_safe(&describe(b)));
                if let Some(d) = &b.digest {
                    say!("digest:     {d}");
                }
                say!(
                    "evidence:   {} ({} confidence)",
                    b.evidence.as_str(),
                    b.confidence.as_str()
                );
                match b.layers {
                    Some(n) => say!("layers:     {n} of {}", read.image.layers.len()),
                    None => say!("layers:     unknown"),
                }
                if b.tags.len() > 1 {
                    say!("also tagged: {}", terminal_safe(&b.tags.join(", ")));
                }
                for n in &b.notes {
                    say!("note:       {}", terminal_safe(n));
                }
            }
        },
    }
    Ok(0)
}

fn index(
    references: Vec<String>,
    tags: Option<String>,
    db: DbLocation,
    read: ReadOptions,
) -> Result<u8, Failure> {
    let filter = tags
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| Failure::input(format!("--tags: {e}")))?;
    let platform: drydock_source::Platform = read.platform.parse()?;
    let options = crate::sbom::registry_options(&read)?;
    let dir = cache_dir(&db);
    let mut index = load_index(&db)?;
    let mut failed = false;
    for reference in &references {
        let (key, report) = index
            .update(reference, filter.as_ref(), &platform, &options)
            .map_err(|e| Failure::input(terminal_safe(&e.to_string())))?;
        say!(
            "{}: {} added, {} moved, {} unchanged{}",
            terminal_safe(&drydock_base::index::display_name(&key)),
            report.added.len(),
            report.moved.len(),
            report.unchanged.len(),
            if report.gone.is_empty() {
                String::new()
            } else {
                format!(", {} gone", report.gone.len())
            }
        );
        for f in &report.failed {
            eprintln!("drydock: warning: {}", terminal_safe(f));
            failed = true;
        }
        // Saved after each repository: an error in the next keeps this one's work.
        index.save(&dir).map_err(Failure::input)?;
    }
    Ok(if failed { 1 } else { 0 })
}

fn list(db: DbLocation, format: Format) -> Result<u8, Failure> {
    let index = load_index(&db)?;
    if let Format::Json = format {
        say!(
            "{}",
            serde_json::to_string_pretty(&index).map_err(Failure::internal)?
        );
        return Ok(0);
    }
    if index.is_empty() {
        say!("the base-image index is empty: add repositories with `drydock base index REPOSITORY`");
        return Ok(0);
    }
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_header([
        "REPOSITORY",
        "TAG",
        "DIGEST",
        "PLATFORM",
        "CREATED",
        "SIZE",
        "LAYERS",
        "EARLIER",
    ]);
    for (key, repo) in &index.repositories {
        for (tag, entry) in &repo.tags {
            let s = &entry.current;
            table.add_row([
                terminal_safe(&drydock_base::index::display_name(key)),
                terminal_safe(&if entry.gone {
                    format!("{tag} (gone)")
                } else {
                    tag.clone()
                }),
                drydock_base::short(&s.manifest_digest),
                s.platform.clone().unwrap_or_default(),
                s.created.clone().unwrap_or_default().chars().take(10).collect(),
                rank::human_bytes(s.size),
                s.chain_ids.len().to_string(),
                entry.previous.len().to_string(),
            ]);
        }
    }
    say!("{table}");
    Ok(0)
}

#[derive(Serialize)]
struct CurrentBase {
    #[serde(flatten)]
    base: BaseImage,
    packages: usize,
    size: u64,
    vulnerabilities: drydock_vulndb::SeverityCounts,
}

#[derive(Serialize)]
struct AdviceDocument {
    schema_version: u32,
    image: String,
    base_image: CurrentBase,
    candidates: Vec<Ranked>,
    /// The best candidate that is better than the current base, if any.
    recommendation: Option<String>,
    headline: String,
    notes: Vec<String>,
}

/// How many candidates to read at once: each read holds its scan budget and the records of its
/// layers (512 MB allowed each, far above what a real read takes), so
/// no more than the machine's available memory allows, and no more than its cores.
fn parallel_reads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let available_mb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(1024, |kb| kb / 1024);
    cores.min((available_mb / 512).max(1) as usize).max(1)
}

pub fn advise(args: AdviseArgs) -> Result<u8, Failure> {
    let (store, _, warnings) = open_store(&args.advisories, &args.db, args.max_db_age)?;
    crate::warn(&warnings);
    let cache_root = layer_cache_root(&args.db);
    let read = read_image(
        &args.source.source,
        &args.source.read,
        &cache_root,
        args.source.dockerfile.as_deref(),
        drydock_catalog::wants(),
    )?;
    crate::warn(&read.inventory.warnings);
    let Some(base) = read.summary.base_image.clone() else {
        return Err(Failure::input(format!(
            "{}: cannot tell its base image (no provenance, base annotation, indexed layers or history); give --dockerfile or run `drydock base index` on its base",
            args.source.source
        )));
    };
    let found = drydock_matcher::match_inventory(&read.inventory, &store).map_err(Failure::input)?;
    let mut notes: Vec<String> = base.notes.clone();
    // The current base, as the image carries it: the packages and findings of its layers.
    let current = match base.layers {
        Some(n) => Score::new(
            read.inventory
                .packages
                .iter()
                .filter(|p| p.layer.is_some_and(|l| l < n))
                .count(),
            read.image.layers.iter().take(n).filter_map(|l| l.size).sum(),
            found.findings.iter().filter(|f| f.layer.is_some_and(|l| l < n)),
        ),
        None => {
            let reference = base_reference(&base).ok_or_else(|| {
                Failure::input(
                    "the base image's layers and name are both unknown: nothing to compare candidates with",
                )
            })?;
            notes.push(format!(
                "the base's layers in the image are unknown: {reference} itself is compared"
            ));
            score(&reference, &args.source.read, &cache_root, &store)
                .map_err(|e| Failure::input(format!("the current base {reference}: {e}")))?
        }
    };
    let index = load_index(&args.db)?;
    let selection = rank::candidates(&index, &base, args.max_candidates);
    notes.extend(selection.notes);
    let mut candidates = selection.candidates;
    candidates.extend(rank::named_candidates(&args.candidates, &candidates));
    if candidates.is_empty() {
        return Err(Failure::input(format!(
            "no candidate base to weigh: {} (or name some with --candidates)",
            notes.join("; ")
        )));
    }
    let read_opts = args.source.read.for_another_image();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(parallel_reads())
        .build()
        .map_err(Failure::input)?;
    let results: Vec<(Candidate, Result<Score, Failure>)> = pool.install(|| {
        candidates
            .into_par_iter()
            .map(|c| {
                let r = score(&c.source, &read_opts, &cache_root, &store);
                (c, r)
            })
            .collect()
    });
    let ranked = rank::rank(&current, results);
    let headline = rank::headline(&current, &ranked);
    let recommendation = ranked.iter().find(|r| r.better).map(|r| r.candidate.name.clone());
    let doc = AdviceDocument {
        schema_version: 1,
        image: read.summary.name.clone(),
        base_image: CurrentBase {
            base: base.clone(),
            packages: current.packages,
            size: current.size,
            vulnerabilities: current.counts(),
        },
        candidates: ranked,
        recommendation,
        headline,
        notes,
    };
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&doc).map_err(Failure::internal)? + "\n",
        Format::Table => advice_table(&doc),
    };
    write_output(&args.output, &text)?;
    Ok(0)
}

/// The base as a SOURCE, when its name is known.
fn base_reference(base: &BaseImage) -> Option<String> {
    let name = base.name.as_deref()?;
    if name.starts_with("oci:") {
        return Some(format!("{name}:{}", base.tag.as_deref()?));
    }
    Some(match (&base.digest, &base.tag) {
        (Some(d), _) => format!("docker://{name}@{d}"),
        (None, Some(t)) => format!("docker://{name}:{t}"),
        (None, None) => format!("docker://{name}"),
    })
}

/// Inventories a candidate (its layers cached for the next run) and matches it.
fn score(
    source: &str,
    read: &ReadOptions,
    cache_root: &std::path::Path,
    store: &drydock_vulndb::Store,
) -> Result<Score, Failure> {
    let quiet = ReadOptions {
        quiet: true,
        ..read.clone()
    };
    let image = read_image(source, &quiet, cache_root, None, drydock_catalog::wants())?;
    crate::warn(&image.inventory.warnings);
    let found = drydock_matcher::match_inventory(&image.inventory, store).map_err(Failure::input)?;
    Ok(Score::new(
        image.inventory.packages.len(),
        image.image.layers.iter().filter_map(|l| l.size).sum(),
        &found.findings,
    ))
}

fn advice_table(doc: &AdviceDocument) -> String {
    let b = &doc.base_image;
    let mut out = String::new();
    let counts = |c: &drydock_vulndb::SeverityCounts| {
        format!(
            "{} ({}C {}H {}M {}L)",
            c.total(),
            c.critical,
            c.high,
            c.medium,
            c.low
        )
    };
    out.push_str(&format!(
        "Base image: {}{} — {} ({} confidence){}\n",
        terminal_safe(&describe(&b.base)),
        b.base
            .digest
            .as_deref()
            .map(|d| format!(" {}", drydock_base::short(d)))
            .unwrap_or_default(),
        b.base.evidence.as_str(),
        b.base.confidence.as_str(),
        b.base
            .layers
            .map(|n| format!(", {n} layer(s)"))
            .unwrap_or_default()
    ));
    out.push_str(&format!(
        "It brings {} packages, {} and {} vulnerabilities.\n\n",
        b.packages,
        rank::human_bytes(b.size),
        counts(&b.vulnerabilities)
    ));
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_header([
        "#",
        "CANDIDATE",
        "KIND",
        "VULNS",
        "REMOVED",
        "ADDED",
        "PACKAGES",
        "SIZE",
        "SIZE Δ",
    ]);
    for r in &doc.candidates {
        let name = terminal_safe(&r.candidate.name);
        match (&r.vulnerabilities, &r.delta) {
            (Some(v), Some(d)) => {
                table.add_row([
                    r.rank.map(|n| n.to_string()).unwrap_or_default(),
                    name,
                    r.candidate.kind.as_str().to_string(),
                    counts(v),
                    d.removed.to_string(),
                    d.added.to_string(),
                    r.packages.unwrap_or_default().to_string(),
                    rank::human_bytes(r.size.unwrap_or_default()),
                    signed_bytes(d.size),
                ]);
            }
            _ => {
                table.add_row([
                    "-".to_string(),
                    name,
                    r.candidate.kind.as_str().to_string(),
                    format!(
                        "error: {}",
                        terminal_safe(r.error.as_deref().unwrap_or("unknown"))
                    ),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    out.push_str(&table.to_string());
    out.push_str("\n\n");
    out.push_str(&terminal_safe(&doc.headline));
    out.push('\n');
    for n in &doc.notes {
        out.push_str(&format!("note: {}\n", terminal_safe(n)));
    }
    out
}

fn signed_bytes(n: i64) -> String {
    match n {
        0 => "0".into(),
        n if n < 0 => format!("-{}", rank::human_bytes(n.unsigned_abs())),
        n => format!("+{}", rank::human_bytes(n as u64)),
    }
}
