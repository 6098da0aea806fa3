use std::cmp::Ordering;
use std::io::{BufRead, Write};

use clap::{Args, Subcommand};
use drydock_version::Scheme;

use crate::Failure;

#[derive(Args)]
pub struct VersionArgs {
    #[command(subcommand)]
    command: VersionCommand,
}

#[derive(Subcommand)]
enum VersionCommand {
    /// Compare two versions: prints exactly one of <, =, >
    Compare(CompareArgs),
}

#[derive(Args)]
struct CompareArgs {
    /// dpkg, apk, rpm, pep440, semver, maven or gem (aliases: deb, pypi, npm, go, cargo, rubygems)
    scheme: String,
    /// First version
    #[arg(required_unless_present = "stdin")]
    a: Option<String>,
    /// Second version
    #[arg(required_unless_present = "stdin")]
    b: Option<String>,
    /// Read lines `A<TAB>B` from standard input and print one operator per line; an invalid line
    /// prints `!` and the run exits 2 at the end
    #[arg(long, conflicts_with_all = ["a", "b"])]
    stdin: bool,
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

pub fn run(args: VersionArgs) -> Result<u8, Failure> {
    let VersionCommand::Compare(args) = args.command;
    let scheme: Scheme = args.scheme.parse().map_err(Failure::input)?;
    if !args.stdin {
        let (a, b) = (args.a.unwrap_or_default(), args.b.unwrap_or_default());
        let o = scheme.compare(&a, &b).map_err(Failure::input)?;
        crate::say!("{}", symbol(o));
        return Ok(0);
    }
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad = 0usize;
    let mut first_error = None;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::input(format!("reading standard input: {e}")))?;
        let result = match line.split_once('\t') {
            Some((a, b)) if !b.contains('\t') => scheme.compare(a, b).map_err(|e| e.to_string()),
            _ => Err("expected two versions separated by one tab".to_string()),
        };
        let text = match result {
            Ok(o) => symbol(o),
            Err(e) => {
                bad += 1;
                first_error.get_or_insert(format!("line {}: {e}", n + 1));
                "!"
            }
        };
        if writeln!(out, "{text}").is_err() {
            break;
        }
    }
    let _ = out.flush();
    match first_error {
        Some(e) => Err(Failure::input(format!("{bad} invalid line(s); first: {e}"))),
        None => Ok(0),
    }
}
