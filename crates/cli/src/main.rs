//! The `drydock` command line. Parsing, progress, output files and exit codes live here; all
//! real work is in the library crates.
//!
//! Exit codes: 0 success, 1 policy failure (a check the user asked for failed),
//! 2 usage or input error (bad arguments, unreadable or invalid image, malformed database),
//! 3 internal error.

mod audit_cmd;
mod base_cmd;
mod cache_cmd;
mod compare;
mod db;
mod lint_cmd;
mod location;
mod monitor_cmd;
mod sbom;
mod scan;
mod serve_cmd;
mod usage_cmd;
mod version_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "drydock",
    version,
    about = "Daemonless container image scanner",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inventory the packages installed in an image
    Sbom(sbom::SbomArgs),
    /// Find the known vulnerabilities of an image's packages
    Scan(scan::ScanArgs),
    /// Audit the built image: configuration, files, secrets in every layer, build tools, wasted bytes
    Audit(audit_cmd::AuditArgs),
    /// Compare two images: packages, vulnerabilities new and fixed, sizes, base layers
    Compare(compare::CompareArgs),
    /// Base images: detect what an image was built FROM, index base repositories, list the index
    Base(base_cmd::BaseArgs),
    /// Rank better base images: newer digests, releases and variants, each inventoried and matched
    Advise(base_cmd::AdviseArgs),
    /// Runtime usage: which installed packages traced runs never touched (import, trace, report)
    Usage(usage_cmd::UsageArgs),
    /// Watch images after they ship: snapshots re-checked after every database update
    Monitor(monitor_cmd::MonitorArgs),
    /// The fleet server: an HTTP API over the snapshot store (SQLite or PostgreSQL), webhooks
    Serve(serve_cmd::ServeArgs),
    /// The layer cache: status, clean
    Cache(cache_cmd::CacheArgs),
    /// Manage the advisory database (import, update, status)
    Db(db::DbArgs),
    /// Version-scheme tools (compare versions as drydock's matcher does)
    Version(version_cmd::VersionArgs),
    /// Lint Dockerfiles (Hadolint's rules and drydock's own)
    Lint(lint_cmd::LintArgs),
    /// Dockerfile tools: BuildKit-notation parse dump, rule list
    Dockerfile(lint_cmd::DockerfileArgs),
}

/// `println!` that treats a reader going away (`drydock db status | head -1`) as the end of the
/// output it is, exiting 0, instead of panicking on the broken pipe.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// `print!` with the same rule as [`say!`].
#[macro_export]
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// A closed pipe is the reader's choice: stop quietly with success. Any other write failure
/// (a full disk) is an error.
pub fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("drydock: error: cannot write to standard output: {e}");
    std::process::exit(2);
}

/// Says each distinct warning once, on standard error, in the order first given.
pub fn warn<'a>(warnings: impl IntoIterator<Item = &'a String>) {
    let mut seen = std::collections::HashSet::new();
    for w in warnings {
        if seen.insert(w) {
            eprintln!("drydock: warning: {}", drydock_report::terminal_safe(w));
        }
    }
}

/// The largest Dockerfile or configuration file read (real ones are kilobytes).
pub const MAX_TEXT_FILE: u64 = 4 << 20;

/// A text file the user names (a Dockerfile, a configuration), read with a cap.
pub fn read_text(path: &std::path::Path) -> Result<String, std::io::Error> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_TEXT_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEXT_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, not a file drydock reads",
            MAX_TEXT_FILE >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// An error already reduced to the line a user sees and the exit code it earns.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Exit 2: what the user gave (arguments, files, images, databases) or the machine
    /// (network, disk) is wrong.
    pub fn input(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }

    /// Exit 3: drydock broke its own invariant (a document of its own that will not
    /// serialise); a bug to report, whatever the input.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 3,
            message: format!("internal error: {message} (please report this)"),
        }
    }
}

/// The line the user sees: a candidate's failure is reported inside the advice document.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<drydock_source::Error> for Failure {
    fn from(e: drydock_source::Error) -> Self {
        Failure::input(e)
    }
}

impl From<drydock_catalog::Error> for Failure {
    fn from(e: drydock_catalog::Error) -> Self {
        Failure::input(e)
    }
}

/// Blocks of 1 MiB and more are mapped on their own and returned when freed. glibc otherwise
/// raises this threshold each time such a block is freed, up to 32 MiB, and later ones are
/// carved from the heap, where a freed block stays counted against the process: reading one
/// image could hold twice what it uses.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable; it is called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    return_large_blocks();
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("drydock: internal error: {msg}{at} (please report this)");
        std::process::exit(3);
    }));
    let cli = Cli::parse();
    // A seam for the tests of the two internal-error paths, a panic and an error drydock
    // classifies as its own (debug builds only).
    #[cfg(debug_assertions)]
    let seam = std::env::var("DRYDOCK_TEST_INTERNAL_ERROR").ok();
    #[cfg(not(debug_assertions))]
    let seam: Option<String> = None;
    let result = match (seam.as_deref(), cli.command) {
        (Some("failure"), _) => Err(Failure::internal(
            "deliberate failure for the test of exit code 3",
        )),
        (Some(_), _) => panic!("deliberate internal error for the test of exit code 3"),
        (None, command) => run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            let _ = std::io::stdout().flush();
            eprintln!(
                "drydock: error: {}",
                drydock_report::terminal_safe(&f.message.replace('\n', " "))
            );
            ExitCode::from(f.code)
        }
    }
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Sbom(args) => sbom::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Cache(args) => cache_cmd::run(args),
        Command::Audit(args) => audit_cmd::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Base(args) => base_cmd::run(args),
        Command::Advise(args) => base_cmd::advise(args),
        Command::Usage(args) => usage_cmd::run(args),
        Command::Db(args) => db::run(args),
        Command::Monitor(args) => monitor_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Version(args) => version_cmd::run(args),
        Command::Lint(args) => lint_cmd::lint(args),
        Command::Dockerfile(args) => lint_cmd::dockerfile(args),
    }
}
