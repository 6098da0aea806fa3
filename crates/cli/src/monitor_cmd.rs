//! `drydock monitor`: snapshots of images in a local store, re-checked after database updates.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use drydock_monitor::check::{ImageCheck, worst_new};
use drydock_monitor::{ChangeKind, Snapshot, Store};
use drydock_vulndb::Severity;

use crate::Failure;
use crate::db::DbLocation;
use crate::say;
use crate::sbom::{ReadOptions, layer_cache_root};

#[derive(Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    db: DbLocation,
    /// The snapshot store: sqlite://PATH, a path, or postgres://… [default: monitor.sqlite in the cache directory]
    #[arg(long, global = true, env = "DRYDOCK_MONITOR_DATABASE", value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: MonitorCommand,
}

#[derive(Subcommand)]
enum MonitorCommand {
    /// Take a snapshot of an image (its inventory, read once) and match it now
    Add {
        source: String,
        /// The name to monitor it under [default: its repository:tag, else the source]
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        read: ReadOptions,
        /// The Dockerfile that built it: findings then name their instruction
        #[arg(long, value_name = "PATH")]
        dockerfile: Option<PathBuf>,
    },
    /// List the monitored images
    List {
        /// Also list snapshots a newer digest replaced
        #[arg(long)]
        all: bool,
    },
    /// Stop monitoring an image (by name or id) or a watched reference
    Remove { name: String },
    /// Follow a registry tag: every check asks whether it moved and snapshots the new digest
    Watch {
        /// REPOSITORY[:TAG]
        reference: String,
        #[command(flatten)]
        read: ReadOptions,
    },
    /// Re-match every snapshot against the database and report what changed since the last check
    Check(CheckArgs),
    /// Take a snapshot and upload it to a drydock server
    Push(PushArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Args)]
struct CheckArgs {
    /// Update the advisory database first (`drydock db update`)
    #[arg(long)]
    update: bool,
    /// Exit with code 1 when a new or changed finding at or above this severity appeared
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    #[arg(long, short, value_enum, default_value = "table")]
    format: CheckFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    read: ReadOptions,
}

#[derive(Args)]
pub struct PushArgs {
    /// The server's base URL (https://drydock.example:8443)
    server: String,
    source: String,
    #[arg(long)]
    name: Option<String>,
    /// A token with the push scope
    #[arg(long, env = "DRYDOCK_TOKEN", hide_env_values = true)]
    token: String,
    /// Accept the server's certificate unverified (a test server with a self-signed one)
    #[arg(long)]
    insecure_server: bool,
    #[command(flatten)]
    read: ReadOptions,
    #[arg(long, value_name = "PATH")]
    dockerfile: Option<PathBuf>,
}

/// The store at `database`, else `default_file` in the cache directory.
pub fn open_store(
    database: Option<&str>,
    location: &DbLocation,
    default_file: &str,
) -> Result<Store, Failure> {
    let url = match database {
        Some(u) => u.to_string(),
        None => drydock_vulndb::cache_dir(location.cache_dir.as_deref())
            .join(default_file)
            .display()
            .to_string(),
    };
    Store::open(&url).map_err(Failure::input)
}

fn monitor_err(e: drydock_monitor::Error) -> Failure {
    match e {
        drydock_monitor::Error::Input(_) | drydock_monitor::Error::Advisories(_) => Failure::input(e),
        other => Failure {
            code: 3,
            message: other.to_string(),
        },
    }
}

pub fn run(args: MonitorArgs) -> Result<u8, Failure> {
    match &args.command {
        MonitorCommand::Push(push) => return push_snapshot(push, &args.db),
        MonitorCommand::Check(check) if check.update => {
            crate::db::update_default(&args.db)?;
        }
        _ => {}
    }
    let store = open_store(args.database.as_deref(), &args.db, "monitor.sqlite")?;
    match args.command {
        MonitorCommand::Add {
            source,
            name,
            read,
            dockerfile,
        } => {
            let db = drydock_vulndb::Store::open_read_only(&args.db.path()).map_err(Failure::input)?;
            let read = crate::sbom::inventory_with(
                &source,
                &read,
                &layer_cache_root(&args.db),
                dockerfile.as_deref(),
            )?;
            crate::warn(&read.inventory.warnings);
            let snap = Snapshot::new(read.into_document(), name.as_deref()).map_err(monitor_err)?;
            let now = drydock_monitor::now();
            let (id, new) = store.put_snapshot(&snap, now).map_err(monitor_err)?;
            let matched =
                drydock_monitor::check::initial_findings(&store, id, &db, now).map_err(monitor_err)?;
            crate::warn(&matched.warnings);
            say!(
                "{} {} ({}): {} package(s), {} finding(s){}",
                if new { "monitoring" } else { "already monitoring" },
                snap.name,
                drydock_base::short(&snap.digest),
                snap.sbom.packages.len(),
                matched.findings,
                if new { "" } else { " (snapshot seen again)" }
            );
            Ok(0)
        }
        MonitorCommand::List { all } => {
            let images = store.images(!all).map_err(monitor_err)?;
            let watches = store.watches().map_err(monitor_err)?;
            if images.is_empty() && watches.is_empty() {
                say!("nothing monitored yet: `drydock monitor add SOURCE` or `monitor watch REPOSITORY:TAG`");
                return Ok(0);
            }
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_BORDERS_ONLY)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_header(["ID", "NAME", "DIGEST", "FINDINGS", "FIRST SEEN", "LAST CHECK"]);
            let counts = store.finding_counts().map_err(monitor_err)?;
            for i in &images {
                let n = counts.get(&i.id).copied().unwrap_or(0);
                table.add_row([
                    i.id.to_string(),
                    format!("{}{}", i.name, if i.current { "" } else { " (replaced)" }),
                    drydock_base::short(&i.digest),
                    n.to_string(),
                    time(Some(i.first_seen)),
                    time(i.checked_at),
                ]);
            }
            say!("{}", drydock_report::terminal_safe(&table.to_string()));
            for w in watches {
                say!(
                    "watching {} ({})",
                    w.reference,
                    w.digest
                        .as_deref()
                        .map(drydock_base::short)
                        .unwrap_or_else(|| "not resolved yet".into())
                );
            }
            Ok(0)
        }
        MonitorCommand::Remove { name } => {
            let n =
                store.remove(&name).map_err(monitor_err)? + store.remove_watch(&name).map_err(monitor_err)?;
            if n == 0 {
                return Err(Failure::input(format!("nothing monitored under {name:?}")));
            }
            say!("removed {name} ({n} record(s))");
            Ok(0)
        }
        MonitorCommand::Watch { reference, read } => {
            drydock_source::registry::Reference::parse(&reference).map_err(Failure::input)?;
            let added = store.add_watch(&reference).map_err(monitor_err)?;
            let db = drydock_vulndb::Store::open_read_only(&args.db.path()).map_err(Failure::input)?;
            let moved = follow(&store, &db, &read, &args.db, Some(&reference))?;
            say!(
                "{} {reference}{}",
                if added { "watching" } else { "already watching" },
                moved
                    .first()
                    .map(|m| format!(" at {}", drydock_base::short(&m.to)))
                    .unwrap_or_default()
            );
            Ok(0)
        }
        MonitorCommand::Check(check) => {
            let db = drydock_vulndb::Store::open_read_only(&args.db.path()).map_err(Failure::input)?;
            let moved = follow(&store, &db, &check.read, &args.db, None)?;
            let generation = drydock_monitor::check::generation_of(&db).map_err(monitor_err)?;
            let results = drydock_monitor::check::check_all(&store, &db, &generation, drydock_monitor::now())
                .map_err(monitor_err)?;
            let text = match check.format {
                CheckFormat::Json => {
                    serde_json::to_string_pretty(&serde_json::json!({
                        "generation": generation,
                        "moved": moved,
                        "images": results,
                    }))
                    .map_err(Failure::internal)?
                        + "\n"
                }
                CheckFormat::Table => drydock_report::terminal_safe(&render(&results, &moved, false)),
                CheckFormat::Markdown => drydock_report::terminal_safe(&render(&results, &moved, true)),
            };
            for r in &results {
                crate::warn(&r.warnings);
            }
            crate::sbom::write_output(&check.output, &text)?;
            let worst = results.iter().filter_map(|r| worst_new(&r.changes)).max();
            if let (Some(gate), Some(w)) = (check.fail_on, worst)
                && w >= gate
            {
                eprintln!(
                    "drydock: new or changed findings at or above {} (--fail-on)",
                    gate.as_str()
                );
                return Ok(1);
            }
            Ok(0)
        }
        MonitorCommand::Push(_) => unreachable!("handled above"),
    }
}

fn time(t: Option<i64>) -> String {
    t.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "never".into())
}

#[derive(serde::Serialize)]
struct Moved {
    reference: String,
    from: Option<String>,
    to: String,
    image_id: i64,
}

/// Asks the registry whether each watched tag (or just `only`) moved, and snapshots the new
/// digest under the reference's name.
fn follow(
    store: &Store,
    db: &drydock_vulndb::Store,
    read: &ReadOptions,
    location: &DbLocation,
    only: Option<&str>,
) -> Result<Vec<Moved>, Failure> {
    let mut moved = Vec::new();
    let options = crate::sbom::registry_options(read)?;
    for w in store.watches().map_err(monitor_err)? {
        if only.is_some_and(|o| o != w.reference) {
            continue;
        }
        let reference = drydock_source::registry::Reference::parse(&w.reference).map_err(Failure::input)?;
        let tag = reference.tag.clone().unwrap_or_else(|| "latest".into());
        let registry =
            drydock_source::registry::Registry::connect(&reference, &options).map_err(Failure::input)?;
        let changed = match &w.digest {
            Some(known) => registry
                .manifest_if_changed(&tag, known)
                .map_err(Failure::input)?,
            None => Some(registry.manifest(&tag).map_err(Failure::input)?),
        };
        let Some((bytes, _)) = changed else {
            continue;
        };
        let digest = drydock_source::digest::sha256_hex(&bytes);
        let pinned = format!("{}/{}@{digest}", reference.registry, reference.repository);
        let read = crate::sbom::inventory(&pinned, read, &layer_cache_root(location))?;
        crate::warn(&read.inventory.warnings);
        let snap = Snapshot::new(read.into_document(), Some(&w.reference)).map_err(monitor_err)?;
        let now = drydock_monitor::now();
        let (id, new) = store.put_snapshot(&snap, now).map_err(monitor_err)?;
        if new {
            let matched =
                drydock_monitor::check::initial_findings(store, id, db, now).map_err(monitor_err)?;
            crate::warn(&matched.warnings);
        }
        store.set_watch_digest(w.id, &digest, now).map_err(monitor_err)?;
        moved.push(Moved {
            reference: w.reference.clone(),
            from: w.digest.clone(),
            to: digest,
            image_id: id,
        });
    }
    Ok(moved)
}

fn render(results: &[ImageCheck], moved: &[Moved], markdown: bool) -> String {
    let mut out = String::new();
    for m in moved.iter().filter(|m| m.from.is_some()) {
        out.push_str(&format!(
            "{}{} moved: {} → {}\n",
            if markdown { "- " } else { "" },
            m.reference,
            m.from.as_deref().map(drydock_base::short).unwrap_or_default(),
            drydock_base::short(&m.to)
        ));
    }
    let changed: Vec<&ImageCheck> = results.iter().filter(|r| !r.changes.is_empty()).collect();
    for r in &changed {
        let count = |k: ChangeKind| r.changes.iter().filter(|c| c.kind == k).count();
        let title = format!(
            "{} ({}): {} new, {} changed, {} gone; {} finding(s) now",
            r.image.name,
            drydock_base::short(&r.image.digest),
            count(ChangeKind::Added),
            count(ChangeKind::Changed),
            count(ChangeKind::Removed),
            r.findings
        );
        let header = [
            "CHANGE",
            "VULNERABILITY",
            "PACKAGE",
            "VERSION",
            "SEVERITY",
            "FIXED IN",
            "BEFORE",
        ];
        let rows: Vec<[String; 7]> = r
            .changes
            .iter()
            .map(|c| {
                let f = &c.finding;
                [
                    c.kind.as_str().to_string(),
                    f.cve().to_string(),
                    f.package.name.clone(),
                    f.package.version.clone(),
                    f.severity.as_str().to_string(),
                    f.fixed_version.clone().unwrap_or_else(|| "-".into()),
                    c.previous
                        .as_ref()
                        .map(|p| {
                            format!(
                                "{}, fix {}",
                                p.severity.as_str(),
                                p.fixed_version.as_deref().unwrap_or("none")
                            )
                        })
                        .unwrap_or_default(),
                ]
            })
            .collect();
        if markdown {
            out.push_str(&format!(
                "\n### {title}\n\n| {} |\n|{}\n",
                header.join(" | "),
                "---|".repeat(7)
            ));
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        } else {
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_BORDERS_ONLY)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_header(header);
            for row in rows {
                table.add_row(row);
            }
            out.push_str(&format!("{title}\n{table}\n"));
        }
    }
    let first = results.iter().filter(|r| !r.compared).count();
    out.push_str(&format!(
        "{}{} image(s) checked: {} with changes{}\n",
        if markdown { "\n" } else { "" },
        results.len(),
        changed.len(),
        if first > 0 {
            format!(", {first} checked for the first time (the baseline for the next check)")
        } else {
            String::new()
        }
    ));
    out
}

fn push_snapshot(args: &PushArgs, db: &DbLocation) -> Result<u8, Failure> {
    let base = args.server.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Failure::input(format!(
            "{}: the server URL must start with http:// or https://",
            args.server
        )));
    }
    let read = crate::sbom::inventory_with(
        &args.source,
        &args.read,
        &layer_cache_root(db),
        args.dockerfile.as_deref(),
    )?;
    crate::warn(&read.inventory.warnings);
    let body = serde_json::to_vec(&read.into_document()).map_err(Failure::internal)?;
    let mut url = format!("{base}/v1/snapshots");
    if let Some(n) = &args.name {
        url.push_str("?name=");
        url.push_str(&drydock_source::registry::url_encode(n));
    }
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(120)))
        .http_status_as_error(false);
    if args.insecure_server {
        config = config.tls_config(ureq::tls::TlsConfig::builder().disable_verification(true).build());
    }
    let agent: ureq::Agent = config.build().into();
    let mut response = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {}", args.token))
        .header("Content-Type", "application/json")
        .send(&body[..])
        .map_err(|e| Failure::input(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .unwrap_or_default();
    let reply: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if !(200..300).contains(&status) {
        let reason = reply["error"].as_str().unwrap_or(text.as_str()).to_string();
        return Err(Failure::input(format!("{url}: HTTP {status}: {reason}")));
    }
    say!(
        "pushed {} ({}) as image {}{}",
        reply["name"].as_str().unwrap_or_default(),
        drydock_base::short(reply["digest"].as_str().unwrap_or_default()),
        reply["id"],
        match reply["findings"].as_u64() {
            Some(n) => format!(": {n} finding(s)"),
            None => String::new(),
        }
    );
    Ok(0)
}
