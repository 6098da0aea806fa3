//! What a trace says was accessed, whichever tool recorded it, and the readers for each
//! tool's output. Every reader is line-oriented and forgiving: a line it cannot read is
//! counted, never fatal.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The trace formats `usage import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `strace -f -e trace=%file,%process` (with or without `-o`, `-tt`/`-ttt`, `-y`).
    Strace,
    /// `fatrace` (with or without `-t`).
    Fatrace,
    /// Tetragon's JSON export: `process_exec` and `process_kprobe` events.
    Tetragon,
    /// Falco's JSON output (`json_output: true`).
    Falco,
    /// One absolute path per line.
    Paths,
    /// drydock's own record (what `usage import` and `usage trace` write).
    Drydock,
}

impl Format {
    /// The format `--format` names (`list` and `json` are accepted for `paths` and `drydock`).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "strace" => Format::Strace,
            "fatrace" => Format::Fatrace,
            "tetragon" => Format::Tetragon,
            "falco" => Format::Falco,
            "paths" | "list" => Format::Paths,
            "drydock" | "json" => Format::Drydock,
            _ => return None,
        })
    }
}

/// Files accessed and programs run, as absolute paths inside the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// The version of this record's layout.
    pub schema_version: u32,
    /// The tools the records came from.
    pub sources: BTreeSet<String>,
    /// Every file opened, read, stat'ed or mapped successfully.
    pub paths: BTreeSet<String>,
    /// Every program executed.
    pub executed: BTreeSet<String>,
    /// Distinct processes seen.
    pub processes: usize,
    /// First and last event time, as the tool wrote it, when it wrote times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The last event time (see `first`).
    pub last: Option<String>,
    /// Lines read.
    pub lines: usize,
    /// Lines that were not a record the reader knows.
    pub bad_lines: usize,
}

const SCHEMA: u32 = 1;

impl Access {
    /// Adds another record's accesses (several traces of one image).
    pub fn merge(&mut self, other: Access) {
        self.sources.extend(other.sources);
        self.paths.extend(other.paths);
        self.executed.extend(other.executed);
        self.processes += other.processes;
        self.first = match (self.first.take(), other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last.take(), other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.lines += other.lines;
        self.bad_lines += other.bad_lines;
    }

    /// Paths under `prefix` (a traced root seen from the host) made absolute inside it; others
    /// dropped.
    pub fn strip_prefix(&mut self, prefix: &str) {
        let prefix = prefix.trim_end_matches('/');
        let strip = |set: &mut BTreeSet<String>| {
            *set = set
                .iter()
                .filter_map(|p| p.strip_prefix(prefix))
                .filter(|p| p.is_empty() || p.starts_with('/'))
                .map(|p| {
                    if p.is_empty() {
                        "/".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect();
        };
        strip(&mut self.paths);
        strip(&mut self.executed);
    }

    fn add_path(&mut self, path: &str) {
        if let Some(p) = clean(path) {
            self.paths.insert(p);
        }
    }

    fn add_exec(&mut self, path: &str) {
        if let Some(p) = clean(path) {
            self.paths.insert(p.clone());
            self.executed.insert(p);
        }
    }

    fn saw_time(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        if self.first.as_deref().is_none_or(|f| t < f) {
            self.first = Some(t.to_string());
        }
        if self.last.as_deref().is_none_or(|l| t > l) {
            self.last = Some(t.to_string());
        }
    }
}

/// An absolute path with `.`, `..` and repeated slashes resolved lexically; pseudo-filesystems
/// (`/proc`, `/sys`, `/dev`) and anonymous names (`pipe:[…]`) are not image files.
fn clean(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let clean = lexical(path);
    let top = clean.split('/').nth(1).unwrap_or("");
    (!matches!(top, "proc" | "sys" | "dev")).then_some(clean)
}

/// An absolute path with `.`, `..` and repeated slashes resolved without looking at a disk
/// (`..` at the root stays there).
pub fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Why a usage record was refused (the trace formats themselves are read line by line, and a
/// line that is not a file access is skipped).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not the JSON `usage record` writes.
    #[error("not a drydock usage record: {0}")]
    NotRecord(#[from] serde_json::Error),
    /// A record of another schema.
    #[error("usage record schema {found} (this drydock reads {SCHEMA})")]
    Schema {
        /// The record's schema version.
        found: u32,
    },
}

/// Reads a trace in `format`.
pub fn read(format: Format, text: &str) -> Result<Access, RecordError> {
    let mut a = match format {
        Format::Strace => strace(text),
        Format::Fatrace => fatrace(text),
        Format::Tetragon => tetragon(text),
        Format::Falco => falco(text),
        Format::Paths => paths(text),
        Format::Drydock => {
            let a: Access = serde_json::from_str(text)?;
            if a.schema_version != SCHEMA {
                return Err(RecordError::Schema {
                    found: a.schema_version,
                });
            }
            return Ok(a);
        }
    };
    a.schema_version = SCHEMA;
    if format != Format::Drydock {
        a.sources.insert(format!("{format:?}").to_lowercase());
    }
    Ok(a)
}

/// The quoted strings of a syscall's arguments, in order (strace escapes `"` and `\`).
fn quoted(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '"' => break,
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// Syscalls that open or run the file their first path argument (after a dirfd for the `*at`
/// forms) names: a file only looked at (`stat`, `access`) is not used. Writes count: a package
/// file written is in use.
const PATH_CALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "open64",
    "execve",
    "execveat",
    "uselib",
    "truncate",
    "readlink",
    "readlinkat",
];

/// strace: `PID [TIME] call(args) = result`, `[pid PID] …`, `<... call resumed>`, `+++ exited`.
fn strace(text: &str) -> Access {
    let mut a = Access::default();
    let mut pids: BTreeSet<String> = BTreeSet::new();
    let mut cwd: BTreeMap<String, String> = BTreeMap::new();
    // Unfinished calls, per pid: the text before `<unfinished ...>`.
    let mut pending: BTreeMap<String, String> = BTreeMap::new();
    // With a chroot in the trace (as `usage trace` runs it), only what follows it is the image's.
    let chrooted = text.contains("chroot(\"");
    let mut inside = !chrooted;
    for raw in text.lines() {
        a.lines += 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (pid, rest) = match line.strip_prefix("[pid ") {
            Some(r) => match r.split_once(']') {
                Some((p, rest)) => (p.trim().to_string(), rest.trim()),
                None => {
                    a.bad_lines += 1;
                    continue;
                }
            },
            None => match line.split_once(' ') {
                Some((p, rest)) if p.bytes().all(|b| b.is_ascii_digit()) => (p.to_string(), rest.trim()),
                _ => ("0".to_string(), line),
            },
        };
        // An optional time stamp: `10:20:30.123456` or `1700000000.123456`.
        let (time, rest) = match rest.split_once(' ') {
            Some((t, r))
                if t.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
                    && t.contains(['.', ':']) =>
            {
                (Some(t), r.trim())
            }
            _ => (None, rest),
        };
        if let Some(t) = time {
            a.saw_time(t);
        }
        if rest.starts_with("+++") || rest.starts_with("---") {
            pids.insert(pid);
            continue;
        }
        let call_text = if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some((_, after)) = resumed.split_once(" resumed>") else {
                a.bad_lines += 1;
                continue;
            };
            match pending.remove(&pid) {
                Some(start) => format!("{start}{after}"),
                None => continue,
            }
        } else if let Some(start) = rest.strip_suffix("<unfinished ...>") {
            pending.insert(pid.clone(), start.to_string());
            continue;
        } else {
            rest.to_string()
        };
        let Some((call, args_and_result)) = call_text.split_once('(') else {
            a.bad_lines += 1;
            continue;
        };
        if !call.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            a.bad_lines += 1;
            continue;
        }
        // strace pads the result into a column: `getcwd("/", 4096)        = 2`.
        let Some((args, result)) = args_and_result
            .rsplit_once(" = ")
            .and_then(|(left, result)| Some((left.trim_end().strip_suffix(')')?, result.trim())))
        else {
            a.bad_lines += 1;
            continue;
        };
        if result == "?" {
            // `exit_group(0) = ?`: no answer, nothing used.
            continue;
        }
        pids.insert(pid.clone());
        let ok = !result.trim_start().starts_with('-');
        if call == "chroot" {
            if ok {
                inside = true;
                cwd.insert(pid.clone(), "/".into());
            }
            continue;
        }
        if !inside || !ok {
            continue;
        }
        let strings = quoted(args);
        match call {
            "chdir" => {
                if let Some(dir) = strings.first() {
                    let base = cwd.get(&pid).cloned().unwrap_or_else(|| "/".into());
                    cwd.insert(pid.clone(), absolute(&base, dir));
                }
            }
            "clone" | "clone3" | "fork" | "vfork" => {
                let child = result.split_whitespace().next().unwrap_or("").to_string();
                if let Some(dir) = cwd.get(&pid).cloned() {
                    cwd.insert(child, dir);
                }
            }
            _ if PATH_CALLS.contains(&call) => {
                let Some(first) = strings.first() else { continue };
                // `openat(3</usr/lib>, "x")` (with -y) names its directory; AT_FDCWD is the cwd.
                let base = if first.starts_with('/') {
                    "/".to_string()
                } else if let Some(dir) = args.split_once('<').and_then(|(fd, d)| {
                    (fd.trim().bytes().all(|b| b.is_ascii_digit()) && !args.starts_with("AT_FDCWD"))
                        .then(|| d.split_once('>').map(|(d, _)| d.to_string()))
                        .flatten()
                }) {
                    dir
                } else if args.starts_with("AT_FDCWD") || !call.ends_with("at") {
                    cwd.get(&pid).cloned().unwrap_or_else(|| "/".into())
                } else {
                    continue;
                };
                let path = absolute(&base, first);
                if call.starts_with("execve") {
                    a.add_exec(&path);
                } else if !call.starts_with("readlink") {
                    a.add_path(&path);
                }
                // readlink("/proc/self/exe", "/usr/bin/python3.11", …): the target is the program.
                if call.starts_with("readlink")
                    && first.ends_with("/exe")
                    && let Some(target) = strings.get(1)
                {
                    a.add_path(target);
                }
            }
            _ => {}
        }
    }
    a.processes = pids.len();
    a
}

fn absolute(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", base.trim_end_matches('/'))
    }
}

/// fatrace: `[TIME ]comm(PID): EVENTS PATH`.
fn fatrace(text: &str) -> Access {
    let mut a = Access::default();
    let mut pids = BTreeSet::new();
    for raw in text.lines() {
        a.lines += 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some(colon) = line.find("): ") else {
            a.bad_lines += 1;
            continue;
        };
        let (head, tail) = (&line[..colon], &line[colon + 3..]);
        let Some((who, pid)) = head.rsplit_once('(') else {
            a.bad_lines += 1;
            continue;
        };
        let time = who
            .split_once(' ')
            .map(|(t, _)| t)
            .filter(|t| t.contains([':', '.']));
        if let Some(t) = time {
            a.saw_time(t);
        }
        pids.insert(pid.to_string());
        // fatrace pads the event letters into a column: `O   /etc/ld.so.cache`.
        let Some((events, path)) = tail.split_once(' ').map(|(e, p)| (e, p.trim_start())) else {
            a.bad_lines += 1;
            continue;
        };
        if !events.chars().all(|c| "RWOCD+<>".contains(c)) || !path.starts_with('/') {
            a.bad_lines += 1;
            continue;
        }
        a.add_path(path);
    }
    a.processes = pids.len();
    a
}

/// One JSON event per line: `event` reads each, and says whether it knew it.
fn json_lines(
    text: &str,
    mut event: impl FnMut(&mut Access, &mut BTreeSet<u64>, &serde_json::Value) -> bool,
) -> Access {
    let mut a = Access::default();
    let mut pids = BTreeSet::new();
    for raw in text.lines() {
        a.lines += 1;
        if raw.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(v) if event(&mut a, &mut pids, &v) => {
                if let Some(t) = v["time"].as_str() {
                    a.saw_time(t);
                }
            }
            _ => a.bad_lines += 1,
        }
    }
    a.processes = pids.len();
    a
}

/// Tetragon's export: `process_exec` (a program runs), `process_kprobe` with file arguments.
fn tetragon(text: &str) -> Access {
    json_lines(text, |a, pids, v| {
        if let Some(exec) = v.get("process_exec") {
            let p = &exec["process"];
            pids.extend(p["pid"].as_u64());
            if let Some(bin) = p["binary"].as_str() {
                a.add_exec(bin);
            }
        } else if let Some(k) = v.get("process_kprobe") {
            pids.extend(k["process"]["pid"].as_u64());
            for arg in k["args"].as_array().into_iter().flatten() {
                for key in ["file_arg", "path_arg", "linux_binprm_arg"] {
                    if let Some(path) = arg[key]["path"].as_str() {
                        a.add_path(path);
                    }
                }
            }
        } else {
            return v.get("process_exit").is_some();
        }
        true
    })
}

/// Falco: one JSON alert per line, the fields under `output_fields`.
fn falco(text: &str) -> Access {
    json_lines(text, |a, pids, v| {
        let fields = &v["output_fields"];
        if !fields.is_object() {
            return false;
        }
        pids.extend(fields["proc.pid"].as_u64());
        if let Some(exe) = fields["proc.exepath"].as_str() {
            a.add_exec(exe);
        }
        if let Some(name) = fields["fd.name"].as_str() {
            a.add_path(name);
        }
        true
    })
}

fn paths(text: &str) -> Access {
    let mut a = Access::default();
    for raw in text.lines() {
        a.lines += 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('/') {
            a.add_path(line);
        } else {
            a.bad_lines += 1;
        }
    }
    a
}
