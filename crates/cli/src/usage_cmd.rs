//! `drydock usage import|trace|report`: the CLI wires `drydock-usage` to the image reader, the
//! matcher and a traced run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use drydock_report::terminal_safe;
use drydock_usage::{Access, Format, State};
use drydock_vulndb::SeverityCounts;
use serde::Serialize;

use crate::Failure;
use crate::db::DbLocation;
use crate::db::open_store;
use crate::sbom::{SourceArgs, layer_cache_root, read_image, write_output};

#[derive(Args)]
pub struct UsageArgs {
    #[command(subcommand)]
    pub command: UsageCommand,
}

/// `--format` of trace files: strace, fatrace, tetragon, falco, paths, drydock.
fn trace_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("{s:?}: one of strace, fatrace, tetragon, falco, paths, drydock"))
}

/// How `usage trace` records file access.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Recorder {
    /// ptrace through the strace binary: every open and exec, per process
    Strace,
    /// fanotify through the fatrace binary on the private root's mount (needs root)
    Fatrace,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum UsageCommand {
    /// Read file-access records (strace, fatrace, Tetragon, Falco, a path list) into drydock's
    /// usage record
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// strace, fatrace, tetragon, falco, paths (one path per line) or drydock (a usage record)
        #[arg(long, value_parser = trace_format)]
        format: Format,
        /// The traced root as the host saw it (fatrace, Falco on the host): stripped from paths
        #[arg(long, value_name = "PATH")]
        strip_prefix: Option<String>,
        /// Write the record to FILE instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Run a command inside the image (no daemon: its filesystem laid out in a private temporary
    /// directory, entered with Linux namespaces) under strace, and record what it used
    Trace {
        #[command(flatten)]
        source: SourceArgs,
        /// Write the record to FILE instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Also keep the recorder's own output in FILE
        #[arg(long, value_name = "FILE")]
        raw: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "strace")]
        recorder: Recorder,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Which packages the traced runs never touched, what they hold, and how to remove them
    Report {
        #[command(flatten)]
        source: SourceArgs,
        /// Usage records or traces (several merge)
        #[arg(long = "trace", value_name = "FILE", required = true)]
        traces: Vec<PathBuf>,
        /// The format of the --trace files (as for `usage import`)
        #[arg(long, value_parser = trace_format, default_value = "drydock")]
        trace_format: Format,
        #[command(flatten)]
        db: DbLocation,
        /// Match against these advisory files or folders instead of the database
        #[arg(long = "advisories", value_name = "PATH")]
        advisories: Vec<PathBuf>,
        #[arg(long, short, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Write the report to FILE instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Warn when the database is older than this many days
        #[arg(long, default_value_t = 7)]
        max_db_age: u32,
    },
}

/// The largest trace file read (a long strace of a busy program runs to hundreds of MB).
const MAX_TRACE: u64 = 1 << 30;

pub fn read_traces(files: &[PathBuf], format: Format) -> Result<Access, Failure> {
    let mut all = Access::default();
    for f in files {
        let meta = std::fs::metadata(f).map_err(|e| Failure::input(format!("{}: {e}", f.display())))?;
        if meta.len() > MAX_TRACE {
            return Err(Failure::input(format!("{}: larger than 1 GiB", f.display())));
        }
        let bytes = std::fs::read(f).map_err(|e| Failure::input(format!("{}: {e}", f.display())))?;
        let text = String::from_utf8_lossy(&bytes);
        let a = drydock_usage::access::read(format, &text)
            .map_err(|e| Failure::input(format!("{}: {e}", f.display())))?;
        if a.lines > 0 && a.lines == a.bad_lines {
            return Err(Failure::input(format!(
                "{}: no line is a {format:?} record ({} lines): is --format right?",
                f.display(),
                a.lines
            )));
        }
        all.merge(a);
    }
    all.schema_version = 1;
    Ok(all)
}

fn summary(a: &Access) -> String {
    let span = match (&a.first, &a.last) {
        (Some(f), Some(l)) => format!(", from {f} to {l}"),
        _ => String::new(),
    };
    format!(
        "{} files and {} programs by {} processes{span}; {} of {} lines not read",
        a.paths.len(),
        a.executed.len(),
        a.processes,
        a.bad_lines,
        a.lines
    )
}

fn write_record(a: &Access, output: &Option<PathBuf>) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(a).map_err(Failure::internal)? + "\n";
    write_output(output, &text)
}

pub fn run(args: UsageArgs) -> Result<u8, Failure> {
    match args.command {
        UsageCommand::Import {
            files,
            format,
            strip_prefix,
            output,
        } => {
            let mut a = read_traces(&files, format)?;
            if let Some(p) = strip_prefix {
                a.strip_prefix(&p);
            }
            eprintln!("drydock: usage: {}", terminal_safe(&summary(&a)));
            write_record(&a, &output)?;
            Ok(0)
        }
        UsageCommand::Trace {
            source,
            output,
            raw,
            recorder,
            command,
        } => trace(source, output, raw, recorder, command),
        UsageCommand::Report {
            source,
            traces,
            trace_format,
            db,
            advisories,
            format,
            output,
            max_db_age,
        } => report(
            source,
            traces,
            trace_format,
            db,
            advisories,
            format,
            output,
            max_db_age,
        ),
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Mount points under `dir` still visible here (a namespace that leaked its mounts).
fn mounts_under(dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
        .filter(|m| m.starts_with(&dir))
        .collect()
}

fn trace(
    source: SourceArgs,
    output: Option<PathBuf>,
    raw: Option<PathBuf>,
    recorder: Recorder,
    command: Vec<String>,
) -> Result<u8, Failure> {
    let recorder_tool = match recorder {
        Recorder::Strace => "strace",
        Recorder::Fatrace => "fatrace",
    };
    if recorder == Recorder::Fatrace && !running_as_root() {
        return Err(Failure::input(
            "usage trace --recorder fatrace needs root (fanotify); use --recorder strace",
        ));
    }
    let tools: Vec<(&str, PathBuf)> = [recorder_tool, "unshare", "chroot", "mount", "sh", "kill"]
        .into_iter()
        .map(|t| {
            find_program(t).map(|p| (t, p)).ok_or_else(|| {
                Failure::input(format!(
                    "usage trace needs `{t}` on this machine (Debian: strace, util-linux, coreutils)"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let tool = |name: &str| {
        tools
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    };
    let spec = drydock_source::SourceSpec::parse(&source.source)?;
    let platform: drydock_source::Platform = source.read.platform.parse()?;
    let options = crate::sbom::registry_options(&source.read)?;
    let image = drydock_source::Image::open_with(&spec, &platform, &options)?;
    let work = tempfile::Builder::new()
        .prefix("drydock-trace-")
        .tempdir()
        .map_err(|e| Failure::input(format!("cannot make a temporary directory: {e}")))?;
    let root = work.path().join("root");
    std::fs::create_dir(&root).map_err(|e| Failure::input(format!("{}: {e}", root.display())))?;
    let extracted = image.extract_to(&root)?;
    for d in ["proc", "dev", "tmp"] {
        let _ = std::fs::create_dir_all(root.join(d));
    }
    let raw_file = work.path().join("recorder.out");
    let root_path =
        std::fs::canonicalize(&root).map_err(|e| Failure::input(format!("{}: {e}", root.display())))?;
    let mut cmd = match recorder {
        Recorder::Strace => {
            let mut c = std::process::Command::new(tool("strace"));
            c.args(["-f", "-qq", "-s", "4096", "-e", "trace=%file,%process", "-o"])
                .arg(&raw_file)
                .arg("--")
                .arg(tool("unshare"));
            c
        }
        Recorder::Fatrace => std::process::Command::new(tool("unshare")),
    };
    if !running_as_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    // /proc and /dev exist only in the private mount namespace, and go with it.
    let script = format!(
        "{mount} -t proc proc \"$0/proc\" 2>/dev/null; {mount} --rbind /dev \"$0/dev\" 2>/dev/null; exec {chroot} \"$0\" \"$@\"",
        mount = tool("mount").display(),
        chroot = tool("chroot").display()
    );
    cmd.args(["--mount", "--pid", "--fork", "--propagation", "private", "--"])
        .arg(tool("sh"))
        .arg("-c")
        .arg(script)
        .arg(&root_path)
        .args(&command);
    cmd.env_clear();
    let mut has_path = false;
    for kv in &image.env {
        if let Some((k, v)) = kv.split_once('=') {
            has_path |= k == "PATH";
            cmd.env(k, v);
        }
    }
    if !has_path {
        cmd.env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
    }
    cmd.env("HOME", "/root");
    eprintln!(
        "drydock: usage: running {} in {} ({} files laid out)",
        terminal_safe(&command.join(" ")),
        terminal_safe(&image.name),
        extracted.files
    );
    let watcher = match recorder {
        Recorder::Fatrace => Some(start_fatrace(&tool("fatrace"), &root_path, &raw_file)?),
        Recorder::Strace => None,
    };
    let status = cmd
        .status()
        .map_err(|e| Failure::input(format!("cannot run {recorder_tool}: {e}")));
    if let Some(w) = watcher {
        stop_fatrace(w, &tool("kill"), &root_path, &raw_file);
    }
    let status = status?;
    let recorded = std::fs::read_to_string(&raw_file).unwrap_or_default();
    if let Some(keep) = &raw {
        std::fs::write(keep, &recorded).map_err(|e| Failure::input(format!("{}: {e}", keep.display())))?;
    }
    let access = match recorder {
        Recorder::Strace => drydock_usage::access::read(Format::Strace, &recorded).map_err(Failure::input)?,
        Recorder::Fatrace => {
            // fanotify sees the whole mount: only the private root's events, probes left out.
            let prefix = format!("{}/", root_path.display());
            let ours: String = recorded
                .lines()
                .filter(|l| l.contains(&prefix) && !l.contains(PROBE))
                .map(|l| format!("{l}\n"))
                .collect();
            let mut a = drydock_usage::access::read(Format::Fatrace, &ours).map_err(Failure::input)?;
            a.strip_prefix(&root_path.display().to_string());
            a
        }
    };
    let leaked = mounts_under(work.path());
    if !leaked.is_empty() {
        // Never delete through a mount of the host's /dev: leave the directory, say where.
        let kept = work.keep();
        return Err(Failure::input(format!(
            "mounts are still active under {} ({}); unmount them and remove the directory",
            kept.display(),
            leaked.join(", ")
        )));
    }
    drop(work);
    if access.paths.is_empty() {
        return Err(Failure::input(format!(
            "the traced command recorded no file access (exit status {status}): was it found in the image?"
        )));
    }
    eprintln!(
        "drydock: usage: the command exited with {}; {}",
        status.code().map_or("a signal".to_string(), |c| c.to_string()),
        terminal_safe(&summary(&access))
    );
    write_record(&access, &output)?;
    Ok(0)
}

const PROBE: &str = ".drydock-fatrace-probe";

/// Starts fatrace on the mount holding `root`, and waits until it reports a file read there.
fn start_fatrace(fatrace: &Path, root: &Path, out: &Path) -> Result<std::process::Child, Failure> {
    let child = std::process::Command::new(fatrace)
        .arg("-c")
        .arg("-o")
        .arg(out)
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Failure::input(format!("cannot start fatrace: {e}")))?;
    if !probe(root, out, "start") {
        return Err(Failure::input(
            "fatrace reported nothing within 10 s (is fanotify available?)",
        ));
    }
    Ok(child)
}

/// Reads a probe file under `root` until fatrace's output shows it: then every earlier event
/// has been written.
fn probe(root: &Path, out: &Path, name: &str) -> bool {
    let file = root.join(format!("{PROBE}-{name}"));
    let _ = std::fs::write(&file, b"probe");
    let needle = format!("{PROBE}-{name}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let _ = std::fs::read(&file);
        if std::fs::read_to_string(out).is_ok_and(|t| t.contains(&needle)) {
            let _ = std::fs::remove_file(&file);
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(&file);
    false
}

/// Flushes with a last probe, then stops fatrace with SIGINT (it writes what it holds).
fn stop_fatrace(mut child: std::process::Child, kill: &Path, root: &Path, out: &Path) {
    probe(root, out, "stop");
    let _ = std::process::Command::new(kill)
        .args(["-s", "INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[derive(Serialize)]
struct PackageRow {
    name: String,
    version: String,
    ecosystem: &'static str,
    purl: String,
    state: State,
    files_accessed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    vulnerabilities: SeverityCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    introduced_by: Option<drydock_catalog::IntroducedBy>,
}

#[derive(Serialize)]
struct Totals {
    used: usize,
    required: usize,
    unused: usize,
    /// What removing every unused package would drop.
    unused_size: u64,
    unused_vulnerabilities: SeverityCounts,
    vulnerabilities: usize,
}

#[derive(Serialize)]
struct Coverage {
    sources: Vec<String>,
    processes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<String>,
    files_accessed: usize,
    files_no_package_owns: usize,
    /// Programs the traces ran, with the package each belongs to.
    executed: Vec<(String, Option<String>)>,
}

#[derive(Serialize)]
struct UsageDocument {
    schema_version: u32,
    image: String,
    coverage: Coverage,
    totals: Totals,
    removal: Vec<String>,
    packages: Vec<PackageRow>,
    caveat: &'static str,
}

const CAVEAT: &str = "A trace shows only the paths the traced runs exercised: a package no run touched may still be needed by a path they did not take. Confirm before removing.";

#[allow(clippy::too_many_arguments)]
fn report(
    source: SourceArgs,
    traces: Vec<PathBuf>,
    trace_format: Format,
    db: DbLocation,
    advisories: Vec<PathBuf>,
    format: ReportFormat,
    output: Option<PathBuf>,
    max_db_age: u32,
) -> Result<u8, Failure> {
    let access = read_traces(&traces, trace_format)?;
    let (store, _, warnings) = open_store(&advisories, &db, max_db_age)?;
    crate::warn(&warnings);
    let read = read_image(
        &source.source,
        &source.read,
        &layer_cache_root(&db),
        source.dockerfile.as_deref(),
        wants(),
    )?;
    crate::warn(&read.inventory.warnings);
    let packages = &read.inventory.packages;
    let classified = classify_read(&read, &access)?;
    let found = drydock_matcher::match_inventory(&read.inventory, &store).map_err(Failure::input)?;
    let mut vulns: BTreeMap<&str, SeverityCounts> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in &found.findings {
        if seen.insert((f.package.purl.as_str(), f.id.as_str())) {
            vulns.entry(f.package.purl.as_str()).or_default().add(f.severity);
        }
    }
    let mut rows: Vec<PackageRow> = classified
        .packages
        .iter()
        .map(|u| {
            let p = &packages[u.index];
            PackageRow {
                name: p.name.clone(),
                version: p.version.clone(),
                ecosystem: p.ecosystem.as_str(),
                purl: p.purl.clone(),
                state: u.state,
                files_accessed: u.files_accessed,
                required_by: u.required_by.clone(),
                size: p.installed_size,
                vulnerabilities: vulns.remove(p.purl.as_str()).unwrap_or_default(),
                layer: p.layer,
                introduced_by: p.introduced_by.as_deref().cloned(),
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.state, &a.name, &a.version).cmp(&(b.state, &b.name, &b.version)));
    let unused: Vec<&drydock_catalog::Package> = classified
        .packages
        .iter()
        .filter(|u| u.state == State::Unused)
        .map(|u| &packages[u.index])
        .collect();
    let mut unused_vulns = SeverityCounts::default();
    for r in rows.iter().filter(|r| r.state == State::Unused) {
        unused_vulns.merge(&r.vulnerabilities);
    }
    let count = |s: State| rows.iter().filter(|r| r.state == s).count();
    let doc = UsageDocument {
        schema_version: 1,
        image: read.summary.name.clone(),
        coverage: Coverage {
            sources: access.sources.iter().cloned().collect(),
            processes: access.processes,
            first: access.first.clone(),
            last: access.last.clone(),
            files_accessed: access.paths.len(),
            files_no_package_owns: classified.unowned_files,
            executed: classified.executed.clone(),
        },
        totals: Totals {
            used: count(State::Used),
            required: count(State::Required),
            unused: count(State::Unused),
            unused_size: unused.iter().filter_map(|p| p.installed_size).sum(),
            vulnerabilities: rows.iter().map(|r| r.vulnerabilities.total()).sum(),
            unused_vulnerabilities: unused_vulns,
        },
        removal: drydock_usage::removal(&unused),
        packages: rows,
        caveat: CAVEAT,
    };
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(&doc).map_err(Failure::internal)? + "\n",
        ReportFormat::Table => table(&doc),
    };
    write_output(&output, &text)?;
    Ok(0)
}

/// The catalog's files, and Python's `RECORD` files (which installed files each package owns),
/// with every entry recorded: a traced path counts only when it is a regular file.
pub fn wants() -> drydock_source::Wants {
    let mut wants = drydock_catalog::wants();
    wants.add("**/*.dist-info/RECORD");
    wants.all_entries = true;
    wants
}

/// Maps the traces onto an image read with [`wants`].
fn classify_read(
    read: &crate::sbom::ImageRead,
    access: &Access,
) -> Result<drydock_usage::Classification, Failure> {
    let packages = &read.inventory.packages;
    let mut extra: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem != drydock_catalog::PackageType::Pypi {
            continue;
        }
        let Some(location) = p.locations.first() else {
            continue;
        };
        let dir = drydock_usage::python_metadata_dir(location);
        if let Some(record) = read.fs.read(&format!(
            "{}/RECORD",
            drydock_source::ImagePath::new(dir).relative()
        )) {
            extra.insert(
                i,
                drydock_usage::record_files(dir, &String::from_utf8_lossy(record)),
            );
        }
    }
    let fs = &read.fs;
    let resolve = |p: &str| fs.resolve(drydock_source::ImagePath::new(p).relative());
    let is_file = |p: &str| {
        matches!(
            fs.node(p).map(|n| &n.kind),
            Some(drydock_source::NodeKind::File { .. })
        )
    };
    let classified = drydock_usage::classify(
        &drydock_usage::ImageFiles {
            packages,
            resolve: &resolve,
            is_file: &is_file,
            extra_files: &extra,
        },
        access,
    );
    // Paths that name nothing in the image would call every package unused: say so instead.
    if classified.files_in_image == 0 {
        return Err(Failure::input(format!(
            "none of the {} paths the traces name is a file of {}: were they recorded on the host (usage import --strip-prefix) or in another image?",
            access.paths.len(),
            read.summary.name
        )));
    }
    Ok(classified)
}

/// Each package's state (by purl) under the traces.
pub fn package_states(
    read: &crate::sbom::ImageRead,
    access: &Access,
) -> Result<BTreeMap<String, State>, Failure> {
    Ok(classify_read(read, access)?
        .packages
        .iter()
        .map(|u| (read.inventory.packages[u.index].purl.clone(), u.state))
        .collect())
}

fn table(doc: &UsageDocument) -> String {
    let mut out = String::new();
    let t = &doc.totals;
    out.push_str(&format!(
        "{} packages used, {} required by them, {} never touched.\n",
        t.used, t.required, t.unused
    ));
    out.push_str(&format!(
        "The unused ones hold {} of {} vulnerabilities ({} critical, {} high) and {}.\n\n",
        t.unused_vulnerabilities.total(),
        t.vulnerabilities,
        t.unused_vulnerabilities.critical,
        t.unused_vulnerabilities.high,
        drydock_base::rank::human_bytes(t.unused_size)
    ));
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_header([
        "UNUSED PACKAGE",
        "VERSION",
        "TYPE",
        "SIZE",
        "VULNS (C/H/M/L)",
        "INSTALLED BY",
    ]);
    for r in doc.packages.iter().filter(|r| r.state == State::Unused) {
        let v = &r.vulnerabilities;
        table.add_row([
            terminal_safe(&r.name),
            terminal_safe(&r.version),
            r.ecosystem.to_string(),
            r.size.map(drydock_base::rank::human_bytes).unwrap_or_default(),
            format!("{} ({}/{}/{}/{})", v.total(), v.critical, v.high, v.medium, v.low),
            terminal_safe(&drydock_report::origin_cell(
                r.introduced_by.as_ref(),
                r.layer,
                40,
            )),
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    if !doc.removal.is_empty() {
        out.push_str("\nTo remove them:\n");
        for c in &doc.removal {
            out.push_str(&format!("  {}\n", terminal_safe(c)));
        }
    }
    let c = &doc.coverage;
    out.push_str(&format!(
        "\nCoverage: {} processes ran {} programs and accessed {} files ({} owned by no package).\n",
        c.processes,
        c.executed.len(),
        c.files_accessed,
        c.files_no_package_owns
    ));
    for (program, owner) in &c.executed {
        out.push_str(&format!(
            "  ran {}{}\n",
            terminal_safe(program),
            owner
                .as_deref()
                .map(|o| format!(" ({})", terminal_safe(o)))
                .unwrap_or_default()
        ));
    }
    out.push_str(&format!("\n{CAVEAT}\n"));
    out
}
