//! The checks. One pass builds the stage table (names, parents, environment); a second walks
//! the instructions with it. ONBUILD triggers are checked as the instruction they wrap.

use std::collections::HashMap;

use drydock_dockerfile::stages::ImageRef;
use drydock_dockerfile::{Dockerfile, Instruction};

use crate::config::{Config, LabelType};
use crate::shell::{Command, Script, unquote};

mod labels;
mod packages;
mod shell_checks;

type Raw = (&'static str, usize, String);

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
    fn emit(&mut self, rule: &'static str, line: usize, message: impl Into<String>) {
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

    fn run(&mut self) {
        let steps = std::mem::take(&mut self.steps);
        let mut prev_run: Option<(usize, usize, Vec<String>)> = None; // (line, commands, flags)
        let mut stage_counts: HashMap<(usize, &str), usize> = HashMap::new();
        let mut copied_archives: Vec<(usize, String)> = Vec::new();
        let mut workdir_set: Vec<bool> = vec![false; self.stages.len()];
        let mut tool_seen: HashMap<usize, (bool, bool, bool)> = HashMap::new(); // wget, curl, reported
        let mut volumes: Vec<(usize, String)> = Vec::new();
        let mut seen_from = false;
        let mut stage_names: Vec<String> = Vec::new();
        let mut declared: Vec<Vec<String>> = vec![Vec::new(); self.stages.len()];

        for step in &steps {
            let inst = step.inst;
            let line = step.line;
            let stage = step.stage;
            let name = inst.name();

            // Comments do not break a run of RUN instructions; any other instruction does.
            if name != "run" || step.onbuild {
                prev_run = None;
            }
            if !seen_from && (step.onbuild || (name != "arg" && name != "from")) {
                let keyword = if step.onbuild {
                    "ONBUILD"
                } else {
                    inst.keyword.as_str()
                };
                self.emit(
                    "instruction-before-from",
                    line,
                    format!("{keyword} before the first FROM"),
                );
            }
            // ONBUILD triggers run in the images built from this one; as in Hadolint, only the
            // RUN ones are checked here, as the commands they are.
            if step.onbuild && name != "run" {
                continue;
            }

            match name.as_str() {
                "from" if !step.onbuild => {
                    seen_from = true;
                    self.check_from(inst, line, stage, &stage_names);
                    if let Some(n) = &self.stages[stage].name {
                        stage_names.push(n.clone());
                    }
                }
                "onbuild" => {
                    if let Some(sub) = &inst.sub {
                        self.emit(
                            "onbuild-forbidden",
                            line,
                            format!("ONBUILD cannot trigger {}", sub.keyword.to_uppercase()),
                        );
                    }
                }
                "workdir" => {
                    workdir_set[stage] = true;
                    if let Some(dir) = inst.args.first() {
                        let dir = strip_quotes(dir);
                        if !(dir.starts_with('/') || dir.starts_with('$') || is_windows_absolute(&dir)) {
                            self.emit("workdir-relative", line, format!("WORKDIR {dir} is relative"));
                        }
                    }
                }
                "user" => {
                    if let Some(user) = inst.args.first()
                        && !user.contains('$')
                        && !user.split(':').all(|p| p.chars().all(|c| c.is_ascii_digit()))
                    {
                        self.emit(
                            "user-non-numeric",
                            line,
                            format!("USER {user}: use a numeric UID(:GID)"),
                        );
                    }
                }
                "expose" => {
                    for port in inst.args.iter().filter(|p| !p.contains('$')) {
                        if port.contains(':') {
                            self.emit(
                                "expose-invalid-format",
                                line,
                                format!("EXPOSE {port}: only a port and protocol belong here; map host ports at run time"),
                            );
                        }
                        if let Some((_, proto)) = port.split_once('/')
                            && proto != proto.to_lowercase()
                        {
                            self.emit(
                                "expose-proto-casing",
                                line,
                                format!("EXPOSE {port}: write the protocol in lower case"),
                            );
                        }
                    }
                    for port in &inst.args {
                        let bare = port.split('/').next().unwrap_or_default();
                        let bad = bare
                            .split('-')
                            .filter_map(|p| p.parse::<u64>().ok())
                            .any(|p| p > 65535);
                        if bad {
                            self.emit(
                                "expose-port-range",
                                line,
                                format!("EXPOSE {port}: ports are 0-65535"),
                            );
                        }
                    }
                }
                "healthcheck" => {
                    if !inst.json && inst.args.len() > 1 && inst.args[0].eq_ignore_ascii_case("cmd") {
                        self.emit(
                            "shell-form-cmd",
                            line,
                            "HEALTHCHECK CMD in shell form runs through /bin/sh; use [\"…\"]",
                        );
                    }
                    let n = stage_counts.entry((stage, "healthcheck")).or_default();
                    *n += 1;
                    if *n > 1 {
                        self.emit("healthcheck-repeated", line, "a second HEALTHCHECK in this stage");
                    }
                }
                "cmd" | "entrypoint" => {
                    if !inst.json && !inst.args.is_empty() {
                        self.emit(
                            "shell-form-cmd",
                            line,
                            format!(
                                "{} in shell form does not receive signals; use [\"…\"]",
                                inst.keyword
                            ),
                        );
                    }
                    let key = if name == "cmd" { "cmd" } else { "entrypoint" };
                    let n = stage_counts.entry((stage, key)).or_default();
                    *n += 1;
                    if *n > 1 {
                        let rule = if key == "cmd" {
                            "cmd-repeated"
                        } else {
                            "entrypoint-repeated"
                        };
                        self.emit(rule, line, format!("{} repeated in this stage", inst.keyword));
                    }
                }
                "maintainer" => self.emit(
                    "maintainer",
                    line,
                    "MAINTAINER is deprecated; use LABEL maintainer=…",
                ),
                "env" => self.check_env(inst, line),
                "arg" => self.check_arg(inst, line),
                "label" => self.check_labels(inst, line),
                _ => {}
            }
            let legacy = match name.as_str() {
                "env" | "label" => inst.args.chunks(3).any(|c| c.len() == 3 && c[2].is_empty()),
                "arg" => inst.args.len() >= 2 && inst.args.iter().any(|a| !a.contains('=')),
                _ => false,
            };
            if legacy {
                self.emit(
                    "legacy-key-value",
                    line,
                    format!("{} key value: write key=value", inst.keyword),
                );
            }
            self.check_undefined_vars(step, &mut declared);
            match name.as_str() {
                "volume" => {
                    for v in words(inst) {
                        volumes.push((stage, v.trim_end_matches('/').to_string()));
                    }
                }
                "copy" | "add" => {
                    let w = words(inst);
                    if w.len() >= 2 {
                        let (sources, dest) = w.split_at(w.len() - 1);
                        let dest = &dest[0];
                        self.check_copy(inst, line, stage, sources, dest, &workdir_set);
                        if name == "copy" && inst.flag("from").is_none() {
                            for s in sources.iter().filter(|s| is_archive(s)) {
                                copied_archives.push((line, basename(s).to_string()));
                                if is_archive(dest) {
                                    copied_archives.push((line, basename(dest).to_string()));
                                }
                            }
                        }
                        if let Some((_, v)) = volumes.iter().find(|(s, v)| *s == stage && under(dest, v)) {
                            let v = v.clone();
                            self.emit(
                                "volume-then-write",
                                line,
                                format!("{} writes under VOLUME {v}; the write is discarded", inst.keyword),
                            );
                        }
                    }
                }
                "run" => {
                    let run = Run::new(inst);
                    let flags = inst.flags.clone();
                    let count = run.script.commands.len();
                    if let Some((_, prev_count, prev_flags)) = &prev_run
                        && !step.onbuild
                        && *prev_count <= 1
                        && count <= 1
                        && *prev_flags == flags
                    {
                        self.emit(
                            "run-consecutive",
                            line,
                            "consecutive RUN instructions; consider joining them",
                        );
                    }
                    prev_run = Some((line, count, flags));
                    self.check_run(step, &run, &copied_archives);
                    if let Some(tool) = build_tool(&run.script) {
                        self.build_tools.push((line, tool));
                    }
                    let t = tool_seen.entry(stage).or_insert((false, false, false));
                    t.0 |= run.script.any(|c| c.name == "wget");
                    t.1 |= run.script.any(|c| c.name == "curl");
                    if t.0 && t.1 && !t.2 {
                        t.2 = true;
                        self.emit(
                            "wget-and-curl",
                            line,
                            "this stage uses both wget and curl; pick one",
                        );
                    }
                    for (s, v) in &volumes {
                        if *s == stage
                            && run
                                .script
                                .commands
                                .iter()
                                .any(|c| c.args.iter().any(|a| under(a, v)))
                        {
                            let v = v.clone();
                            self.emit(
                                "volume-then-write",
                                line,
                                format!("RUN touches {v}, declared as a VOLUME earlier; changes there are discarded"),
                            );
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        self.steps = steps;
        self.whole_file_checks();
    }

    /// Variables used by instructions BuildKit expands itself, before any ARG or ENV in the
    /// stage (or the stages it builds on) declares them. Names without a lower-case letter are
    /// left alone: the base image's own ENV (PYTHON_VERSION, JAVA_HOME…) is not known here.
    fn check_undefined_vars(&mut self, step: &Step, declared: &mut [Vec<String>]) {
        let inst = step.inst;
        let name = inst.name();
        let values: Vec<&str> = match name.as_str() {
            "add" | "copy" | "expose" | "stopsignal" | "user" | "volume" | "workdir" => {
                inst.args.iter().map(String::as_str).collect()
            }
            "env" | "label" => inst
                .args
                .chunks(3)
                .filter_map(|c| c.get(1))
                .map(String::as_str)
                .collect(),
            "arg" => inst
                .args
                .iter()
                .filter_map(|a| a.split_once('=').map(|(_, v)| v))
                .collect(),
            _ => Vec::new(),
        };
        let visible = |declared: &[Vec<String>], v: &str| {
            self.lineage(step.stage)
                .iter()
                .any(|s| declared[*s].iter().any(|d| d == v))
                || PREDEFINED_ARGS.contains(&v)
        };
        let mut missing: Vec<String> = Vec::new();
        for value in values {
            for v in references_expanded(value) {
                if v.chars().any(|c| c.is_ascii_lowercase())
                    && !visible(declared, &v)
                    && !missing.contains(&v)
                {
                    missing.push(v);
                }
            }
        }
        match name.as_str() {
            "arg" => declared[step.stage].extend(
                inst.args
                    .iter()
                    .map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k).to_string()),
            ),
            "env" => declared[step.stage].extend(inst.pairs().iter().map(|(k, _)| k.to_string())),
            _ => {}
        }
        for v in missing {
            self.emit(
                "undefined-var",
                step.line,
                format!("${v} is not declared by an ARG or ENV before this line"),
            );
        }
    }

    fn check_from(&mut self, inst: &Instruction, line: usize, stage: usize, earlier: &[String]) {
        let base = self.stages[stage].base.clone();
        let is_stage = self.stages[stage].parent.is_some();
        if let Some(name) = self.stages[stage].name.clone() {
            if earlier.contains(&name) {
                self.emit(
                    "stage-name-repeated",
                    line,
                    format!("stage name {name} is already used"),
                );
            }
            if matches!(name.as_str(), "scratch" | "context") {
                self.emit("stage-name-reserved", line, format!("{name} is a reserved word"));
            }
        }
        if let Some(raw) = inst.args.get(2)
            && *raw != raw.to_lowercase()
        {
            self.emit(
                "stage-name-casing",
                line,
                format!("stage name {raw} should be lower case"),
            );
        }
        if let Some(kw) = inst.args.get(1).filter(|a| a.eq_ignore_ascii_case("as")) {
            let upper = inst.keyword.chars().all(|c| c.is_ascii_uppercase());
            let lower = inst.keyword.chars().all(|c| c.is_ascii_lowercase());
            if (upper && kw != "AS") || (lower && kw != "as") {
                self.emit(
                    "from-as-casing",
                    line,
                    format!("'{kw}' and '{}' differ in case", inst.keyword),
                );
            }
        }
        self.check_from_args(inst, line);
        if let Some(platform) = inst.flag("platform") {
            let named_for_it = self.stages[stage].name.as_deref().is_some_and(|n| {
                platform
                    .split('/')
                    .filter(|p| p.len() > 1)
                    .any(|p| n.contains(&p.to_lowercase()))
            });
            if platform.contains("TARGETPLATFORM") {
                self.emit(
                    "from-platform-redundant",
                    line,
                    "--platform=$TARGETPLATFORM is what BuildKit does anyway",
                );
            } else if !platform.contains('$') && !named_for_it {
                self.emit(
                    "from-platform",
                    line,
                    format!("--platform={platform} pins the build to one platform"),
                );
            }
        }
        if is_stage || base.eq_ignore_ascii_case("scratch") || base.is_empty() {
            return;
        }
        let image = ImageRef::parse(&base);
        if base.contains('$') {
            return;
        }
        let registry = image.registry.clone().unwrap_or_else(|| "docker.io".into());
        if !self.config.registry_trusted(&registry) {
            self.emit(
                "untrusted-registry",
                line,
                format!("{base} comes from {registry}, not a trusted registry"),
            );
        }
        match (&image.tag, &image.digest) {
            (None, None) => self.emit("from-untagged", line, format!("{base} has no tag; pin a version")),
            (Some(t), None) if t == "latest" => self.emit(
                "from-latest",
                line,
                format!("{base}: latest moves; pin a version"),
            ),
            _ => {}
        }
        if image.digest.is_none() {
            self.emit(
                "from-no-digest",
                line,
                format!("{base} is not pinned by digest; use {base}@sha256:… so rebuilds get the same base"),
            );
        }
    }

    fn check_from_args(&mut self, inst: &Instruction, line: usize) {
        let Some(base) = inst.args.first() else { return };
        if !base.contains('$') {
            return;
        }
        let globals = drydock_dockerfile::stages::global_arg_defaults(self.file);
        for name in references(base) {
            if !globals.iter().any(|(k, _)| *k == name) && !PREDEFINED_ARGS.contains(&name.as_str()) {
                self.emit(
                    "from-arg-undefined",
                    line,
                    format!("FROM uses ${name}, which no global ARG declares"),
                );
            }
        }
        let env: HashMap<String, String> = globals
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        let lex = drydock_dockerfile::shell::Lex::new(self.file.escape);
        if let Ok(expanded) = lex.process_word(base, &env)
            && !valid_reference(&expanded)
            && !self
                .stages
                .iter()
                .any(|s| s.name.as_deref() == Some(expanded.to_lowercase().as_str()))
        {
            self.emit(
                "from-arg-invalid-default",
                line,
                format!(
                    "without --build-arg, FROM {base} is `{}`, not a valid image reference",
                    if expanded.chars().count() > 200 {
                        format!("{}…", expanded.chars().take(200).collect::<String>())
                    } else {
                        expanded.clone()
                    }
                ),
            );
        }
    }

    fn check_env(&mut self, inst: &Instruction, line: usize) {
        let pairs = inst.pairs();
        for (i, (k, v)) in pairs.iter().enumerate() {
            let refs = references(v);
            if let Some(r) = refs.iter().find(|r| pairs[..i].iter().any(|(k2, _)| k2 == r)) {
                self.emit(
                    "env-self-reference",
                    line,
                    format!("{k} uses ${r}, set in the same ENV"),
                );
            }
            if is_secret_name(k) {
                self.emit(
                    "secret-in-env",
                    line,
                    format!("ENV {k} stores a secret in the image"),
                );
            }
        }
    }

    fn check_arg(&mut self, inst: &Instruction, line: usize) {
        for a in &inst.args {
            let (k, _) = a.split_once('=').unwrap_or((a, ""));
            if is_secret_name(k) {
                self.emit(
                    "secret-in-env",
                    line,
                    format!("ARG {k}: build arguments stay in the image history; use a secret mount"),
                );
            }
        }
    }

    fn check_copy(
        &mut self,
        inst: &Instruction,
        line: usize,
        stage: usize,
        sources: &[String],
        dest: &str,
        workdir_set: &[bool],
    ) {
        let is_add = inst.is("add");
        if is_add {
            for s in sources {
                if is_url(s) {
                    if inst.flag("checksum").is_none() && !s.starts_with("git") {
                        self.emit(
                            "add-remote-url",
                            line,
                            format!("ADD {s} is not verified; add --checksum=sha256:… or download and check it in RUN"),
                        );
                    }
                } else if !is_archive(s) {
                    self.emit(
                        "add-local-file",
                        line,
                        format!("ADD {s}: use COPY for files and folders"),
                    );
                }
            }
        }
        if !is_add && sources.len() >= 2 && !dest.ends_with('/') && !dest.ends_with('\\') {
            self.emit(
                "copy-dest-not-dir",
                line,
                format!("several sources need a directory destination: {dest}/"),
            );
        }
        let relative = !(dest.starts_with('/') || dest.starts_with('$') || is_windows_absolute(dest));
        if relative && !self.lineage(stage).iter().any(|s| workdir_set[*s]) {
            self.emit(
                "copy-relative-no-workdir",
                line,
                format!("{} to relative {dest} with no WORKDIR set", inst.keyword),
            );
        }
        if let Some(from) = inst.flag("from") {
            let from_l = from.to_lowercase();
            let current = self.stages[stage].name.clone();
            let earlier: Vec<String> = self.stages[1..stage.max(1)]
                .iter()
                .filter_map(|s| s.name.clone())
                .collect();
            if current.as_deref() == Some(from_l.as_str()) {
                self.emit(
                    "copy-from-self",
                    line,
                    format!("COPY --from={from} is this stage"),
                );
            } else if !from.contains([':', '/', '$'])
                && from.parse::<usize>().is_err()
                && !earlier.contains(&from_l)
            {
                self.emit(
                    "copy-from-unknown",
                    line,
                    format!("COPY --from={from}: no earlier stage has that name"),
                );
            }
            if from.contains([':', '/']) && !from.contains('$') {
                let image = ImageRef::parse(from);
                let registry = image.registry.unwrap_or_else(|| "docker.io".into());
                if !self.config.registry_trusted(&registry) {
                    self.emit(
                        "untrusted-registry",
                        line,
                        format!("{from} comes from {registry}, not a trusted registry"),
                    );
                }
            }
            if sources.iter().any(|s| s == "/") {
                self.emit(
                    "copy-whole-stage",
                    line,
                    format!("COPY --from={from} / copies a whole filesystem"),
                );
            }
        }
    }

    fn shell_of(&self, step: &Step) -> (bool, bool) {
        // (posix-like, bash-like)
        if let Some(p) = &self.shell_pragma {
            let p = p.to_lowercase();
            if p.contains("powershell") || p.contains("pwsh") || p.contains("cmd") {
                return (false, false);
            }
        }
        let exe = step
            .shell
            .first()
            .map(|s| basename(s).to_lowercase())
            .unwrap_or_default();
        if exe.contains("pwsh") || exe.contains("powershell") || exe.contains("cmd") {
            return (false, false);
        }
        (true, matches!(exe.as_str(), "bash" | "zsh" | "ksh" | "mksh"))
    }

    fn check_run(&mut self, step: &Step, run: &Run, copied_archives: &[(usize, String)]) {
        let line = step.line;
        let stage = step.stage;
        let cmds = &run.script.commands;
        let (posix, bashlike) = self.shell_of(step);

        for c in cmds {
            if matches!(
                c.name.as_str(),
                "free" | "kill" | "mount" | "ps" | "service" | "shutdown" | "ssh" | "top" | "vim"
            ) {
                self.emit(
                    "interactive-command",
                    line,
                    format!("{} has no use in a build", c.name),
                );
            }
            match c.name.as_str() {
                "cd" => self.emit("cd-in-run", line, "cd in RUN; use WORKDIR"),
                "sudo" => self.emit(
                    "sudo",
                    line,
                    "sudo in RUN; the build already runs as the USER you set",
                ),
                "apt" => self.emit("apt-command", line, "apt has no stable CLI; use apt-get"),
                "useradd" => {
                    if let Some(uid) = c.flag_value(&["-u", "--uid"])
                        && uid.len() > 5
                        && !c.has_any_flag(&["l", "no-log-init"])
                    {
                        self.emit(
                            "useradd-large-uid",
                            line,
                            format!("useradd -u {uid} without -l writes a huge lastlog"),
                        );
                    }
                }
                "wget"
                    if !c.has_any_flag(&[
                        "progress",
                        "q",
                        "quiet",
                        "nv",
                        "no-verbose",
                        "o",
                        "output-file",
                        "a",
                        "append-output",
                    ]) && !c.args.iter().any(|a| a == "-nv") =>
                {
                    self.emit(
                        "wget-progress",
                        line,
                        "wget without --progress=dot:giga (or -q) floods the log",
                    );
                }
                "ln" if c.args.last().is_some_and(|a| a == "/bin/sh") => {
                    self.emit(
                        "relink-sh",
                        line,
                        "ln over /bin/sh; use SHELL to change the shell",
                    );
                }
                _ => {}
            }
        }

        self.apt_rules(step, run);
        self.apk_rules(run, line);
        self.pip_rules(step, run);
        self.npm_rules(run, line);
        self.gem_rules(run, line);
        self.rpm_rules(step, run);
        self.go_rules(run, line);

        // yarn
        let yarn_installs: Vec<usize> = indices(cmds, |c| c.is_sub("yarn", &["install"]));
        if let Some(&last) = yarn_installs.last()
            && !cmds[last..]
                .iter()
                .any(|c| c.name == "yarn" && c.args_no_flags().starts_with(&["cache", "clean"]))
            && !run.cache_mount_at(&["/root/.cache/yarn", "/usr/local/share/.cache/yarn"])
            && (step.onbuild || self.in_final_image(stage))
        {
            self.emit("yarn-cache", line, "yarn install without yarn cache clean");
        }

        // Tar extraction of an archive copied in earlier.
        for c in cmds.iter().filter(|c| c.name == "tar") {
            let extracting = c
                .args
                .first()
                .is_some_and(|a| !a.starts_with('-') && a.contains('x'))
                || c.has_any_flag(&["x", "extract", "get"]);
            if !extracting {
                continue;
            }
            for a in &c.args {
                if let Some((copy_line, _)) = copied_archives.iter().find(|(_, b)| b == basename(a)) {
                    let copy_line = *copy_line;
                    self.emit(
                        "copy-then-extract",
                        copy_line,
                        format!("{} is copied then extracted; ADD does both", basename(a)),
                    );
                }
            }
        }

        // Pipes.
        if run.script.has_pipe && !run.exec && posix {
            let shell = step.shell.clone();
            let pipefail_shell = shell
                .windows(2)
                .any(|w| w[0].starts_with('-') && w[0].contains('o') && w[1] == "pipefail")
                && !matches!(shell.first().map(|s| basename(s)), Some("sh" | "dash"));
            let pipefail_set = cmds.iter().any(|c| {
                c.name == "set"
                    && c.args
                        .windows(2)
                        .any(|w| w[0].starts_with('-') && w[0].contains('o') && w[1] == "pipefail")
            });
            if !pipefail_shell && !pipefail_set {
                self.emit("pipefail", line, "a failing command before | goes unnoticed; SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]");
            }
        }
        for p in &run.script.pipelines {
            let seq = &cmds[p.clone()];
            let downloads = seq
                .iter()
                .position(|c| matches!(c.name.as_str(), "curl" | "wget"));
            let shell = seq
                .iter()
                .rposition(|c| is_shell(&c.name) || matches!(c.name.as_str(), "python" | "python3" | "perl"));
            if let (Some(d), Some(s)) = (downloads, shell)
                && d < s
            {
                self.emit(
                    "pipe-to-shell",
                    line,
                    format!("{} output runs unverified in {}", seq[d].name, seq[s].name),
                );
            }
        }

        if posix && !run.exec {
            self.shell_checks(step, run, bashlike);
        }
    }

    fn whole_file_checks(&mut self) {
        let last = self.final_stage();
        let keywords: Vec<(usize, &str)> = self
            .file
            .instructions
            .iter()
            .map(|i| (i.start_line, i.keyword.as_str()))
            .collect();
        let upper = keywords
            .iter()
            .filter(|(_, k)| k.chars().any(|c| c.is_ascii_alphabetic()) && **k == k.to_uppercase())
            .count();
        let lower = keywords
            .iter()
            .filter(|(_, k)| k.chars().any(|c| c.is_ascii_alphabetic()) && **k == k.to_lowercase())
            .count();
        for (line, k) in keywords {
            if !k.chars().any(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            let mixed = k != k.to_uppercase() && k != k.to_lowercase();
            let minority = if upper >= lower {
                k != k.to_uppercase()
            } else {
                k != k.to_lowercase()
            };
            if mixed || minority {
                self.emit(
                    "instruction-casing",
                    line,
                    format!(
                        "{k}: write instructions in one case ({})",
                        if upper >= lower { "upper" } else { "lower" }
                    ),
                );
            }
        }
        for &line in &self.file.empty_continuation_lines {
            self.emit(
                "empty-continuation",
                line,
                "an empty line inside a continued instruction",
            );
        }
        // Stage-level: last USER, labels, healthcheck.
        let mut last_user: Vec<Option<(usize, String)>> = vec![None; self.stages.len()];
        let mut has_label: Vec<Vec<String>> = vec![Vec::new(); self.stages.len()];
        let mut has_healthcheck = vec![false; self.stages.len()];
        let tools = std::mem::take(&mut self.build_tools);
        for step in &self.steps {
            let inst = step.inst;
            if inst.is("user") {
                last_user[step.stage] = inst.args.first().map(|u| (step.line, u.clone()));
            }
            if inst.is("label") {
                has_label[step.stage].extend(inst.pairs().iter().map(|(k, _)| unquote(k)));
            }
            if inst.is("healthcheck") {
                has_healthcheck[step.stage] = true;
            }
        }
        for u in &last_user {
            if let Some((line, user)) = u
                && is_root_user(user)
            {
                self.emit(
                    "last-user-root",
                    *line,
                    format!("the stage ends as USER {user}; switch to an unprivileged user"),
                );
            }
        }
        let lineage = self.lineage(last);
        // Images built to run unprivileged say so in their name (distroless `:nonroot`).
        let nonroot_base = lineage.iter().any(|s| self.stages[*s].base.contains("nonroot"));
        if last > 0 && !nonroot_base && !lineage.iter().any(|s| last_user[*s].is_some()) {
            let line = self.stages[last].line;
            self.emit(
                "implicit-root",
                line,
                "no USER in the final stage: the container runs as root",
            );
        }
        if !lineage.iter().any(|s| has_healthcheck[*s]) {
            let line = self.stages[last].line;
            self.emit(
                "healthcheck-missing",
                line,
                "no HEALTHCHECK: orchestrators cannot tell when the app is stuck",
            );
        }
        // Labels required by the schema, per stage that ends up as an image.
        let required: Vec<String> = self.config.labels.keys().cloned().collect();
        for s in 1..self.stages.len().max(1) {
            if self.stages[s].copied_from && !self.stages[s].built_on {
                continue;
            }
            let descendants: Vec<usize> = (s + 1..self.stages.len())
                .filter(|d| self.lineage(*d).contains(&s))
                .collect();
            for label in &required {
                let carried = self
                    .lineage(s)
                    .iter()
                    .chain(&descendants)
                    .any(|a| has_label[*a].contains(label));
                if !carried {
                    let line = self.stages[s].line;
                    self.emit("label-missing", line, format!("label {label} is missing"));
                }
            }
        }
        if self.stages.len() == 1 && !required.is_empty() {
            for label in &required {
                if !has_label[0].contains(label) {
                    self.emit("label-missing", 1, format!("label {label} is missing"));
                }
            }
        }
        // Build tools in a single-stage build.
        if self.stages.len() <= 2
            && let Some((line, tool)) = tools.first().cloned()
        {
            self.emit(
                "build-tools-single-stage",
                line,
                format!(
                    "{tool} ships in the final image; build in a separate stage and COPY --from it the result"
                ),
            );
        }
        {
            for c in &self.file.comments {
                // A comment inside an instruction's continuation lines is not one Hadolint sees.
                let inside = self
                    .file
                    .instructions
                    .iter()
                    .any(|i| i.start_line < c.line && c.line <= i.end_line);
                if !inside && crate::is_inline_ignore_pragma(&c.text) {
                    self.emit("inline-ignore-pragma", c.line, "inline ignore pragma");
                }
            }
        }
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
