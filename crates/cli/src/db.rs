use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use drydock_vulndb::{Store, update};

use crate::Failure;

pub use crate::location::DbLocation;

#[derive(Args)]
pub struct DbArgs {
    #[command(flatten)]
    location: DbLocation,
    #[command(subcommand)]
    command: DbCommand,
}

/// Where distribution archives are fetched from: the user names them (an air-gapped mirror
/// or the one the build uses); drydock has no built-in host.
#[derive(Args)]
struct ArchiveMirrors {
    /// Debian archive root (the URL a sources.list names for `bookworm`)
    #[arg(long, value_name = "URL")]
    debian_mirror: Option<String>,
    /// Debian security archive root (for `bookworm-security`) [default: `debian-security`
    /// beside --debian-mirror]
    #[arg(long, value_name = "URL")]
    debian_security_mirror: Option<String>,
    /// Ubuntu archive root (all pockets)
    #[arg(long, value_name = "URL")]
    ubuntu_mirror: Option<String>,
    /// Alpine mirror root (serving vX.Y/REPOSITORY/ARCH/APKINDEX.tar.gz)
    #[arg(long, value_name = "URL")]
    alpine_mirror: Option<String>,
    /// Architecture whose indexes are fetched
    #[arg(long, default_value = "amd64")]
    arch: String,
    /// Debian/Ubuntu components fetched
    #[arg(long = "component", default_values_t = vec!["main".to_string()])]
    components: Vec<String>,
}

impl ArchiveMirrors {
    fn plan(&self, distros: &[String]) -> Result<Vec<drydock_vulndb::archive::Fetch>, Failure> {
        let mut plan = Vec::new();
        for d in distros {
            let (id, version) = d.split_once(':').ok_or_else(|| {
                Failure::input(format!("--distro {d}: expected ID:VERSION, e.g. debian:12"))
            })?;
            let suites = drydock_vulndb::archive::suites_for(id, version).map_err(Failure::input)?;
            let missing = |flag: &str| {
                Failure::input(format!(
                    "--distro {d} needs {flag} URL (drydock has no built-in mirror)"
                ))
            };
            for suite in suites {
                let mirror = match id {
                    "debian" => {
                        let main = self
                            .debian_mirror
                            .clone()
                            .ok_or_else(|| missing("--debian-mirror"))?;
                        if suite.ends_with("-security") {
                            self.debian_security_mirror.clone().unwrap_or_else(|| {
                                let root = main.trim_end_matches('/');
                                let parent = root.rsplit_once('/').map_or(root, |(p, _)| p);
                                format!("{parent}/debian-security")
                            })
                        } else {
                            main
                        }
                    }
                    "ubuntu" => self
                        .ubuntu_mirror
                        .clone()
                        .ok_or_else(|| missing("--ubuntu-mirror"))?,
                    _ => self
                        .alpine_mirror
                        .clone()
                        .ok_or_else(|| missing("--alpine-mirror"))?,
                };
                if !(mirror.starts_with("https://") || mirror.starts_with("http://")) {
                    return Err(Failure::input(format!(
                        "{mirror}: a mirror is an http:// or https:// URL"
                    )));
                }
                plan.push(drydock_vulndb::archive::Fetch {
                    distro: id.to_string(),
                    suite,
                    mirror,
                });
            }
        }
        Ok(plan)
    }
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
    /// Download osv.dev's per-ecosystem dumps (or a mirror's) and swap them in atomically;
    /// with --distro, download distribution archive indexes instead
    Update {
        /// Ecosystems to fetch (default: every one drydock matches, unless --distro is given)
        #[arg(long = "ecosystem", value_name = "E")]
        ecosystems: Vec<String>,
        /// Fetch the archive indexes of this release (debian:12, ubuntu:22.04, alpine:3.19): its
        /// suite, updates and security pockets, to tell which fixes a rebuild picks up
        #[arg(long = "distro", value_name = "ID:VERSION")]
        distros: Vec<String>,
        /// Fetch the archive indexes of the suites this image's own apt sources or apk
        /// repositories name, from the URLs they name
        #[arg(long, value_name = "SOURCE")]
        from_image: Option<String>,
        #[command(flatten)]
        archive: Box<ArchiveMirrors>,
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
            let (infos, skipped, archives) = update::atomically(&path, |store| {
                let mut all = Vec::new();
                let mut skipped = Vec::new();
                let mut archives = Vec::new();
                for p in &paths {
                    let imported = drydock_vulndb::import_path(store, p)?;
                    all.extend(imported.sources);
                    skipped.extend(imported.skipped);
                    archives.extend(imported.archives);
                }
                Ok((all, skipped, archives))
            })
            .map_err(db_failure)?;
            for a in &archives {
                crate::say!("imported {}", archive_line(a));
            }
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
                warn_unsupported(&i.name, &i.unsupported);
            }
            Ok(0)
        }
        DbCommand::Update {
            ecosystems,
            distros,
            from_image,
            archive,
            mirror,
            quiet,
        } => {
            if !distros.is_empty() || from_image.is_some() {
                let mut plan: Vec<(drydock_vulndb::archive::Fetch, Vec<String>, String)> = archive
                    .plan(&distros)?
                    .into_iter()
                    .map(|f| (f, archive.components.clone(), archive.arch.clone()))
                    .collect();
                if let Some(source) = &from_image {
                    plan.extend(plan_from_image(source, &args.location)?);
                }
                let agent = drydock_vulndb::archive::agent();
                let lines = update::atomically(&path, |store| {
                    let mut lines = Vec::new();
                    for (fetch, components, arch) in &plan {
                        if !quiet {
                            eprintln!("fetching {}:{} from {}", fetch.distro, fetch.suite, fetch.mirror);
                        }
                        for part in drydock_vulndb::archive::download(&agent, fetch, arch, components, store)?
                        {
                            match part {
                                Some(p) => {
                                    store.insert_archive(&p)?;
                                    lines.push(archive_line(&p.info));
                                }
                                None => lines.push(format!("{}:{}: not modified", fetch.distro, fetch.suite)),
                            }
                        }
                    }
                    Ok(lines)
                })
                .map_err(db_failure)?;
                for l in lines {
                    crate::say!("{}", drydock_report::terminal_safe(&l));
                }
                if ecosystems.is_empty() {
                    return Ok(0);
                }
            }
            let ecosystems: Vec<String> = if ecosystems.is_empty() {
                update::default_ecosystems()
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
                warn_unsupported(&o.ecosystem, &o.unsupported);
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
                let left_out: u64 = s.unsupported.values().sum();
                if left_out > 0 {
                    crate::say!(
                        "  {:<28} {left_out:>7} entries left out (ecosystems drydock does not match)",
                        ""
                    );
                }
            }
            let archives = store.archive_parts().map_err(db_failure)?;
            if !archives.is_empty() {
                crate::say!("archive indexes:");
                for a in &archives {
                    crate::say!("  {}", archive_line(a));
                }
            }
            Ok(0)
        }
    }
}

/// The suites an image installs from, as fetches: its own apt sources and apk repositories,
/// for its own architecture.
fn plan_from_image(
    source: &str,
    location: &DbLocation,
) -> Result<Vec<(drydock_vulndb::archive::Fetch, Vec<String>, String)>, Failure> {
    let read = crate::sbom::ReadOptions {
        quiet: true,
        ..crate::sbom::ReadOptions::defaults()
    };
    let doc = crate::sbom::inventory(source, &read, &crate::sbom::layer_cache_root(location))?;
    crate::warn(&doc.inventory.warnings);
    let distro = doc
        .summary
        .os
        .as_ref()
        .map(|d| d.id.clone())
        .ok_or_else(|| Failure::input(format!("{source}: no OS identified, so no archive to fetch")))?;
    let arch = doc
        .summary
        .platform
        .as_deref()
        .and_then(|p| p.split('/').nth(1))
        .unwrap_or("amd64")
        .to_string();
    if doc.inventory.package_sources.is_empty() {
        return Err(Failure::input(format!(
            "{source}: the image names no apt sources or apk repositories"
        )));
    }
    // Only archives reached over HTTP are fetched: `cdrom:`, `file:` and `mirror+…` sources
    // name nothing drydock should open on the image's say-so.
    let (fetchable, other): (Vec<_>, Vec<_>) = doc
        .inventory
        .package_sources
        .iter()
        .partition(|s| s.uri.starts_with("http://") || s.uri.starts_with("https://"));
    for s in &other {
        eprintln!(
            "drydock: warning: {}: {} {} is not an http(s) archive: not fetched",
            s.file,
            drydock_report::terminal_safe(&s.uri),
            drydock_report::terminal_safe(&s.suite)
        );
    }
    if fetchable.is_empty() {
        return Err(Failure::input(format!(
            "{source}: none of the image's package sources is an http(s) archive"
        )));
    }
    Ok(fetchable
        .into_iter()
        .map(|s| {
            (
                drydock_vulndb::archive::Fetch {
                    distro: distro.clone(),
                    suite: s.suite.clone(),
                    mirror: s.uri.clone(),
                },
                if s.components.is_empty() {
                    vec!["main".to_string()]
                } else {
                    s.components.clone()
                },
                arch.clone(),
            )
        })
        .collect())
}

fn archive_line(a: &drydock_vulndb::archive::SuiteInfo) -> String {
    drydock_report::terminal_safe(&format!(
        "{}:{} {}: {} packages{}",
        a.distro,
        a.suite,
        a.part,
        a.packages,
        a.date
            .as_deref()
            .map(|d| format!(", published {d}"))
            .unwrap_or_default()
    ))
}

pub fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// `drydock db update` with its defaults, for commands that offer `--update`.
pub fn update_default(location: &DbLocation) -> Result<(), Failure> {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        args: DbArgs,
    }
    let mut parsed = <Defaults as clap::Parser>::try_parse_from(["db", "update", "--quiet"])
        .map_err(|e| Failure::input(e.to_string()))?;
    parsed.args.location.cache_dir = location.cache_dir.clone();
    run(parsed.args).map(|_| ())
}

/// The advisory store a matching command reads: the database, or `--advisories` files loaded in
/// memory for this run; with its summary for reports and the warnings it earns (too old, empty).
pub fn open_store(
    advisories: &[std::path::PathBuf],
    db: &DbLocation,
    max_db_age: u32,
) -> Result<(Store, drydock_report::scan::DatabaseSummary, Vec<String>), Failure> {
    let mut warnings = Vec::new();
    let store = if advisories.is_empty() {
        Store::open_read_only(&db.path()).map_err(Failure::input)?
    } else {
        let store = Store::in_memory().map_err(Failure::input)?;
        for p in advisories {
            drydock_vulndb::import_path(&store, p).map_err(Failure::input)?;
        }
        store
    };
    let sources = store.sources().map_err(Failure::input)?;
    let age = drydock_vulndb::oldest_import_age(&store).map_err(Failure::input)?;
    if advisories.is_empty()
        && let Some(a) = age
        && a > i64::from(max_db_age) * 86400
    {
        warnings.push(format!(
            "the advisory database is {} old (more than {} days); run `drydock db update`",
            human_age(a),
            max_db_age
        ));
    }
    if sources.is_empty() {
        warnings.push("the advisory database has no sources: nothing can match".to_string());
    }
    let summary = drydock_report::scan::DatabaseSummary {
        sources: sources
            .iter()
            .map(|s| drydock_report::scan::DatabaseSource {
                name: s.name.clone(),
                records: s.records,
                imported_at: s.imported_at.clone(),
            })
            .collect(),
        age_seconds: age,
    };
    Ok((store, summary, warnings))
}

/// Says which `affected` entries an import left out because drydock does not know their
/// ecosystem: they can never match, and a silent drop would read as coverage.
fn warn_unsupported(source: &str, unsupported: &std::collections::BTreeMap<String, u64>) {
    if unsupported.is_empty() {
        return;
    }
    let total: u64 = unsupported.values().sum();
    let list: Vec<String> = unsupported
        .iter()
        .map(|(family, n)| format!("{} ({n})", drydock_report::terminal_safe(family)))
        .collect();
    eprintln!(
        "warning: {}: {total} affected entries left out, in ecosystems drydock does not match: {}",
        drydock_report::terminal_safe(source),
        list.join(", ")
    );
}
