//! The checks. One pass builds the stage table (names, parents, environment); a second walks
//! the instructions with it. ONBUILD triggers are checked as the instruction they wrap.

use std::collections::HashMap;

use drydock_dockerfile::stages::ImageRef;
use drydock_dockerfile::{Dockerfile, Instruction};

use crate::config::{Config, LabelType};
use crate::registry::RuleId;
use crate::shell::{Command, Script, unquote};

mod instructions;
mod labels;
mod packages;
mod run;
mod shell_checks;
mod walk;
mod whole_file;

type Raw = (RuleId, usize, String);

struct Stage {
    name: Option<String>,
    /// The stage it builds on, when its base is an earlier stage.
    parent: Option<usize>,
    base: String,
    line: usize,
    /// ARG and ENV values set in the stage, in order.
    vars: Vec<(String, String)>,
    shell: Vec<String>,
    /// Some stage names it in `COPY --from`.
    copied_from: bool,
    /// Some stage builds on it.
    built_on: bool,
}

struct Step<'a> {
    /// The SHELL in force for this instruction.
    shell: Vec<String>,
    inst: &'a Instruction,
    line: usize,
    stage: usize,
    onbuild: bool,
}

struct Run {
    script: Script,
    mounts: Vec<HashMap<String, String>>,
    exec: bool,
}

fn mounts(inst: &Instruction) -> Vec<HashMap<String, String>> {
    inst.flags
        .iter()
        .filter_map(|f| f.strip_prefix("--mount="))
        .map(|m| {
            m.split(',')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .map(|(k, v)| {
                    (
                        if k == "dst" || k == "destination" {
                            "target".into()
                        } else {
                            k
                        },
                        v,
                    )
                })
                .collect()
        })
        .collect()
}

fn is_shell(name: &str) -> bool {
    matches!(
        name.rsplit('/').next(),
        Some("sh" | "bash" | "ash" | "dash" | "zsh" | "ksh")
    )
}

impl Run {
    fn new(inst: &Instruction) -> Run {
        let mounts = mounts(inst);
        if inst.json {
            let mut cmd = Command::default();
            if let Some((name, args)) = inst.args.split_first() {
                cmd.name = name.clone();
                cmd.args = args.to_vec();
                cmd.raw_args = args.to_vec();
            }
            let script = Script {
                commands: vec![cmd],
                ..Script::default()
            };
            return Run {
                script,
                mounts,
                exec: true,
            };
        }
        let text = inst.args.first().cloned().unwrap_or_default();
        let script = if inst.heredocs.is_empty() {
            Script::parse(&text)
        } else if text
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with("<<")
        {
            // `RUN <<EOF`: the heredoc is the script.
            let body: String = inst.heredocs.iter().map(|h| h.body()).collect();
            Script::parse(&body)
        } else {
            let mut full = text.clone();
            full.push('\n');
            for h in &inst.heredocs {
                full.push_str(&h.body());
                full.push_str(&h.name);
                full.push('\n');
            }
            let mut s = Script::parse(&full);
            if s.commands
                .first()
                .is_some_and(|c| is_shell(&c.name) && !c.has_flag("c"))
            {
                let body: String = inst.heredocs.iter().map(|h| h.body()).collect();
                let inner = Script::parse(&body);
                s.commands.extend(inner.commands);
                s.has_pipe |= inner.has_pipe;
            }
            s
        };
        Run {
            script,
            mounts,
            exec: false,
        }
    }

    fn cache_mount_at(&self, paths: &[&str]) -> bool {
        self.mounts.iter().any(|m| {
            matches!(m.get("type").map(String::as_str), Some("cache" | "tmpfs"))
                && m.get("target")
                    .is_some_and(|t| paths.contains(&t.trim_end_matches('/')))
        })
    }
}

/// The arguments of COPY, ADD or VOLUME with quotes removed: split on blanks outside quotes,
/// or, when the quotes do not pair up, on blanks as BuildKit splits them. Backslashes stay:
/// they are Windows paths.
fn words(inst: &Instruction) -> Vec<String> {
    if inst.json {
        return inst.args.clone();
    }
    let rest = inst.rest();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut quoted = false;
    for c in rest.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                quoted = true;
            }
            None if c.is_whitespace() => {
                if !word.is_empty() || quoted {
                    out.push(std::mem::take(&mut word));
                }
                quoted = false;
            }
            None => word.push(c),
        }
    }
    if quote.is_some() {
        return inst
            .args
            .iter()
            .map(|a| a.trim_matches(['"', '\'']).to_string())
            .collect();
    }
    if !word.is_empty() || quoted {
        out.push(word);
    }
    out
}

fn strip_quotes(s: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    s.to_string()
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".gz", ".bz2",
    ".xz", ".zst", ".lz", ".lzma", ".z",
];

fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn is_url(s: &str) -> bool {
    ["http://", "https://", "git@", "git://", "ftp://"]
        .iter()
        .any(|p| s.starts_with(p))
}

fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default();
    name == "root" || name == "0"
}

/// `$NAME` or `${NAME…}` references in a string.
fn references(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '$' => {
                let (name, len) = crate::shell::reference_at(&chars[i + 1..]);
                if !name.is_empty() {
                    out.push(name);
                }
                i += 1 + len;
            }
            _ => i += 1,
        }
    }
    out
}

struct Checker<'a> {
    file: &'a Dockerfile,
    config: &'a Config,
    stages: Vec<Stage>,
    steps: Vec<Step<'a>>,
    out: Vec<Raw>,
    /// Every ARG name in the file: values that may come from `--build-arg`.
    arg_names: Vec<String>,
    shell_pragma: Option<String>,
    /// (line, tool) of each RUN that installs or runs a compiler or build system.
    build_tools: Vec<(usize, String)>,
}

pub(crate) fn check(file: &Dockerfile, config: &Config) -> Vec<Raw> {
    let mut c = Checker {
        file,
        config,
        stages: Vec::new(),
        steps: Vec::new(),
        out: Vec::new(),
        arg_names: Vec::new(),
        shell_pragma: crate::shell_pragma(file),
        build_tools: Vec::new(),
    };
    c.build_stages();
    c.run();
    c.out
}

const DEFAULT_SHELL: &[&str] = &["/bin/sh", "-c"];

impl<'a> Checker<'a> {
    fn emit(&mut self, rule: RuleId, line: usize, message: impl Into<String>) {
        self.out.push((rule, line, message.into()));
    }

    fn build_stages(&mut self) {
        // Stage 0 holds what comes before the first FROM.
        self.stages.push(Stage {
            name: None,
            parent: None,
            base: String::new(),
            line: 1,
            vars: Vec::new(),
            shell: DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
            copied_from: false,
            built_on: false,
        });
        let parsed_stages = drydock_dockerfile::stages::stages(self.file);
        for (index, inst) in self.file.instructions.iter().enumerate() {
            let (effective, onbuild) = match &inst.sub {
                Some(sub)
                    if inst.is("onbuild") && !["from", "onbuild", "maintainer"].iter().any(|k| sub.is(k)) =>
                {
                    (sub.as_ref(), true)
                }
                _ => (inst, false),
            };
            if let Some(parsed) = parsed_stages.iter().find(|s| s.from == index) {
                // Stage 0 of this table is what precedes the first FROM.
                let base = parsed.base_raw.clone();
                let name = parsed.name.clone();
                let parent = parsed.parent.map(|p| p + 1);
                if let Some(p) = parent {
                    self.stages[p].built_on = true;
                }
                let shell = match parent {
                    Some(p) => self.stages[p].shell.clone(),
                    None => DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
                };
                self.stages.push(Stage {
                    name,
                    parent,
                    base,
                    line: inst.start_line,
                    vars: Vec::new(),
                    shell,
                    copied_from: false,
                    built_on: false,
                });
            }
            let stage = self.stages.len() - 1;
            if effective.is("arg") {
                for a in &effective.args {
                    let (k, v) = a.split_once('=').unwrap_or((a, ""));
                    self.arg_names.push(k.to_string());
                    self.stages[stage].vars.push((k.to_string(), unquote(v)));
                }
            }
            if effective.is("shell") && effective.json {
                self.stages[stage].shell = effective.args.clone();
            }
            if effective.is("env") {
                for (k, v) in effective.pairs() {
                    self.stages[stage].vars.push((k.to_string(), unquote(v)));
                }
            }
            if effective.is("copy")
                && let Some(from) = effective.flag("from")
            {
                let from = from.to_lowercase();
                if let Some(s) = self
                    .stages
                    .iter_mut()
                    .rev()
                    .find(|s| s.name.as_deref() == Some(&from))
                {
                    s.copied_from = true;
                }
                if let Ok(n) = from.parse::<usize>()
                    && let Some(s) = self.stages.get_mut(n + 1)
                {
                    s.copied_from = true;
                }
            }
            self.steps.push(Step {
                shell: self.stages[stage].shell.clone(),
                inst: effective,
                line: inst.start_line,
                stage,
                onbuild,
            });
        }
    }

    fn final_stage(&self) -> usize {
        self.stages.len() - 1
    }

    /// The stage and the stages it builds on, nearest first.
    fn lineage(&self, stage: usize) -> Vec<usize> {
        let mut out = vec![stage];
        let mut s = stage;
        while let Some(p) = self.stages[s].parent {
            out.push(p);
            s = p;
        }
        out
    }

    /// The stage ends up in the final image.
    fn in_final_image(&self, stage: usize) -> bool {
        self.lineage(self.final_stage()).contains(&stage)
    }

    /// A variable's value as set by ARG or ENV in the stage or the stages it builds on.
    fn var(&self, stage: usize, name: &str) -> Option<String> {
        for s in self.lineage(stage) {
            if let Some((_, v)) = self.stages[s].vars.iter().rev().find(|(k, _)| k == name) {
                return Some(v.clone());
            }
        }
        None
    }
}

const PREDEFINED_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

const SHELL_VARS: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "SHELL",
    "TERM",
    "HOSTNAME",
    "IFS",
    "PS1",
    "RANDOM",
    "UID",
    "EUID",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "BASH_SOURCE",
    "PIPESTATUS",
    "LINENO",
    "SECONDS",
    "OPTARG",
    "OPTIND",
    "REPLY",
];

/// References BuildKit would expand: not inside single quotes, not escaped.
fn references_expanded(s: &str) -> Vec<String> {
    let mut outside = String::new();
    let mut single = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !single => {
                chars.next();
            }
            '\'' => single = !single,
            c if !single => outside.push(c),
            _ => {}
        }
    }
    references(&outside)
}

/// A syntactically valid image reference (`name[:tag][@digest]`, lower-case name).
fn valid_reference(r: &str) -> bool {
    if r.is_empty() || r.ends_with([':', '@', '/']) || r.contains(char::is_whitespace) {
        return false;
    }
    let image = ImageRef::parse(r);
    let tag_ok = image.tag.as_deref().is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    let digest_ok = image.digest.as_deref().is_none_or(|d| d.contains(':'));
    !image.name.is_empty()
        && image.name == image.name.to_lowercase()
        && !image.name.contains("//")
        && tag_ok
        && digest_ok
}

fn indices(cmds: &[Command], f: impl Fn(&Command) -> bool) -> Vec<usize> {
    cmds.iter()
        .enumerate()
        .filter(|(_, c)| f(c))
        .map(|(i, _)| i)
        .collect()
}

fn under(path: &str, dir: &str) -> bool {
    !dir.is_empty() && (path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/')))
}

fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// BuildKit's SecretsUsedInArgOrEnv test, which Hadolint's DL3064 shares: an `_`-separated
/// word of the name is a secret word, and none is `public`.
fn is_secret_name(name: &str) -> bool {
    let words: Vec<String> = name.split('_').map(str::to_ascii_lowercase).collect();
    let secret = [
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "password",
        "pword",
        "passwd",
        "secret",
        "token",
    ];
    words.iter().any(|w| secret.contains(&w.as_str())) && !words.iter().any(|w| w == "public")
}

/// A compiler or build system installed or run in a RUN.
fn build_tool(script: &Script) -> Option<String> {
    const PACKAGES: &[&str] = &[
        "gcc",
        "g++",
        "clang",
        "make",
        "cmake",
        "build-essential",
        "build-base",
        "maven",
        "gradle",
        "golang",
        "cargo",
        "rustc",
        "default-jdk",
        "autoconf",
        "automake",
        "libtool",
    ];
    for c in &script.commands {
        let installing = (matches!(
            c.name.as_str(),
            "apt-get" | "apt" | "yum" | "dnf" | "microdnf" | "zypper"
        ) && c.args_no_flags().first() == Some(&"install"))
            || c.is_sub("apk", &["add"]);
        if installing {
            for p in c.args_no_flags().iter().skip(1) {
                let name = p.split(['=', '~', '<', '>']).next().unwrap_or(p);
                if PACKAGES.contains(&name)
                    || name.ends_with("-dev")
                    || name.ends_with("-devel")
                    || (name.starts_with("openjdk") && name.ends_with("-jdk"))
                {
                    return Some(name.to_string());
                }
            }
        }
        let compiling = match c.name.as_str() {
            "gcc" | "g++" | "cc" | "make" | "cmake" | "mvn" | "gradle" | "javac" => true,
            "go" | "cargo" => c.args_no_flags().first() == Some(&"build"),
            _ => false,
        };
        if compiling {
            return Some(c.name.clone());
        }
    }
    None
}
