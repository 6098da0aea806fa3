use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use drydock_vulndb::{Store, update};

use crate::Failure;

#[derive(Args, Clone)]
pub struct DbLocation {
    /// Cache directory holding the advisory database and the layer cache [default: $DRYDOCK_CACHE_DIR, else the XDG cache dir]
    #[arg(long, global = true)]
    pub cache_dir: Option<PathBuf>,
}

impl DbLocation {
    pub fn path(&self) -> PathBuf {
        drydock_vulndb::db_path(&drydock_vulndb::cache_dir(self.cache_dir.as_deref()))
    }
}

#[derive(Args)]
pub struct DbArgs {
    #[command(flatten)]
    location: DbLocation,
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Import OSV records (an all.zip, a directory of JSON/YAML records, one record), RustSec
    /// advisories (an advisory-db checkout or any folder of RUSTSEC-*.md) or Alpine secdb files
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// List the files of a directory that were skipped as not advisories
        #[arg(long, short)]
        verbose: bool,
    },
    /// Download osv.dev's per-ecosystem dumps (or a mirror's) and swap them in atomically
    Update {
        /// Ecosystems to fetch (default: every one drydock matches)
        #[arg(long = "ecosystem", value_name = "E")]
        ecosystems: Vec<String>,
        /// Base URL serving ECOSYSTEM/all.zip (for air-gapped mirrors)
        #[arg(long, default_value = update::DEFAULT_BASE)]
        mirror: String,
        /// No progress bar
        #[arg(long, short)]
        quiet: bool,
    },
    /// Sources, record counts and the age of each source
    Status,
}

fn db_failure(e: drydock_vulndb::Error) -> Failure {
    Failure::input(e)
}

pub fn run(args: DbArgs) -> Result<u8, Failure> {
    let path = args.location.path();
    match args.command {
        DbCommand::Import { paths, verbose } => {
            let (infos, skipped) = update::atomically(&path, |store| {
                let mut all = Vec::new();
                let mut skipped = Vec::new();
                for p in &paths {
                    let imported = drydock_vulndb::import_path(store, p)?;
                    all.extend(imported.sources);
                    skipped.extend(imported.skipped);
                }
                Ok((all, skipped))
            })
            .map_err(db_failure)?;
            if verbose {
                for s in &skipped {
                    eprintln!("skipped {}", drydock_report::terminal_safe(s));
                }
            } else if !skipped.is_empty() {
                eprintln!(
                    "skipped {} file(s) that are not advisories (--verbose lists them)",
                    skipped.len()
                );
            }
            for i in infos {
                crate::say!(
                    "imported {} records from {} ({} withdrawn skipped)",
                    i.records,
                    drydock_report::terminal_safe(&i.name),
                    i.withdrawn
                );
            }
            Ok(0)
        }
        DbCommand::Update {
            ecosystems,
            mirror,
            quiet,
        } => {
            let ecosystems: Vec<String> = if ecosystems.is_empty() {
                update::DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect()
            } else {
                ecosystems
            };
            if !mirror.starts_with("https://")
                && !mirror.starts_with("http://127.0.0.1")
                && !mirror.starts_with("http://localhost")
            {
                return Err(Failure::input(format!(
                    "{mirror}: the mirror must be https:// (plain http only on localhost)"
                )));
            }
            let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes} {binary_bytes_per_sec}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                b
            });
            let outcomes = update::atomically(&path, |store| {
                update::update(
                    store,
                    &mirror,
                    &ecosystems,
                    &|n| {
                        if let Some(b) = &bar {
                            b.inc(n)
                        }
                    },
                    &|eco| {
                        if let Some(b) = &bar {
                            b.set_message(format!("downloading {eco}"));
                        }
                    },
                )
            })
            .map_err(db_failure)?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            for o in outcomes {
                match o.records {
                    Some(n) => crate::say!("{}: {n} records", o.ecosystem),
                    None => crate::say!("{}: not modified", o.ecosystem),
                }
            }
            Ok(0)
        }
        DbCommand::Status => {
            let store = Store::open_read_only(&path).map_err(db_failure)?;
            crate::say!("database: {}", path.display());
            crate::say!("records:  {}", store.record_count().map_err(db_failure)?);
            let now = jiff::Timestamp::now();
            for s in store.sources().map_err(db_failure)? {
                let age = s
                    .imported_at
                    .parse::<jiff::Timestamp>()
                    .map(|t| human_age(now.as_second() - t.as_second()))
                    .unwrap_or_else(|_| "unknown age".into());
                crate::say!(
                    "  {:<28} {:>7} records  imported {} ({age} ago){}",
                    drydock_report::terminal_safe(&s.name),
                    s.records,
                    drydock_report::terminal_safe(&s.imported_at),
                    s.newest_modified
                        .map(|m| format!("  newest record {}", drydock_report::terminal_safe(&m)))
                        .unwrap_or_default()
                );
            }
            Ok(0)
        }
    }
}

pub fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}
