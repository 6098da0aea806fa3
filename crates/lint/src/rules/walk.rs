//! The walk over the instructions: one handler per instruction keyword, with what the walk
//! remembers between instructions kept in [`Walk`].

use super::*;

/// The instruction keywords the checks tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Keyword {
    From,
    Run,
    Cmd,
    Entrypoint,
    Healthcheck,
    Workdir,
    User,
    Expose,
    Onbuild,
    Maintainer,
    Env,
    Arg,
    Label,
    Volume,
    Copy,
    Add,
    /// SHELL, STOPSIGNAL and the rest: no check of their own.
    Other,
}

impl Keyword {
    pub(super) fn of(inst: &Instruction) -> Keyword {
        match inst.name().as_str() {
            "from" => Keyword::From,
            "run" => Keyword::Run,
            "cmd" => Keyword::Cmd,
            "entrypoint" => Keyword::Entrypoint,
            "healthcheck" => Keyword::Healthcheck,
            "workdir" => Keyword::Workdir,
            "user" => Keyword::User,
            "expose" => Keyword::Expose,
            "onbuild" => Keyword::Onbuild,
            "maintainer" => Keyword::Maintainer,
            "env" => Keyword::Env,
            "arg" => Keyword::Arg,
            "label" => Keyword::Label,
            "volume" => Keyword::Volume,
            "copy" => Keyword::Copy,
            "add" => Keyword::Add,
            _ => Keyword::Other,
        }
    }
}

/// The RUN just before this instruction, for `run-consecutive`.
struct PreviousRun {
    commands: usize,
    flags: Vec<String>,
}

/// Which download tools a stage's RUNs used, for `wget-and-curl` (said once per stage).
#[derive(Default)]
struct DownloadTools {
    wget: bool,
    curl: bool,
    reported: bool,
}

/// What the walk remembers between instructions.
struct Walk {
    previous_run: Option<PreviousRun>,
    /// CMD, ENTRYPOINT and HEALTHCHECK seen per stage.
    repeated: HashMap<(usize, Keyword), usize>,
    /// (line, file name) of archives COPY brought in, which a later RUN may unpack.
    copied_archives: Vec<(usize, String)>,
    workdir_set: Vec<bool>,
    download_tools: HashMap<usize, DownloadTools>,
    /// (stage, path) of each VOLUME.
    volumes: Vec<(usize, String)>,
    seen_from: bool,
    stage_names: Vec<String>,
    /// ARG and ENV names declared so far, per stage.
    declared: Vec<Vec<String>>,
}

impl Checker<'_> {
    pub(super) fn run(&mut self) {
        let steps = std::mem::take(&mut self.steps);
        let mut walk = Walk {
            previous_run: None,
            repeated: HashMap::new(),
            copied_archives: Vec::new(),
            workdir_set: vec![false; self.stages.len()],
            download_tools: HashMap::new(),
            volumes: Vec::new(),
            seen_from: false,
            stage_names: Vec::new(),
            declared: vec![Vec::new(); self.stages.len()],
        };
        for step in &steps {
            self.step(step, &mut walk);
        }
        self.steps = steps;
        self.whole_file_checks();
    }

    fn step(&mut self, step: &Step, walk: &mut Walk) {
        let inst = step.inst;
        let line = step.line;
        let keyword = Keyword::of(inst);

        // Comments do not break a run of RUN instructions; any other instruction does.
        if keyword != Keyword::Run || step.onbuild {
            walk.previous_run = None;
        }
        if !walk.seen_from && (step.onbuild || !matches!(keyword, Keyword::Arg | Keyword::From)) {
            let shown = if step.onbuild {
                "ONBUILD"
            } else {
                inst.keyword.as_str()
            };
            self.emit(
                RuleId::InstructionBeforeFrom,
                line,
                format!("{shown} before the first FROM"),
            );
        }
        // ONBUILD triggers run in the images built from this one; as in Hadolint, only the
        // RUN ones are checked here, as the commands they are.
        if step.onbuild && keyword != Keyword::Run {
            return;
        }

        match keyword {
            Keyword::From if !step.onbuild => self.on_from(step, walk),
            Keyword::Onbuild => self.on_onbuild(inst, line),
            Keyword::Workdir => self.on_workdir(step, walk),
            Keyword::User => self.on_user(inst, line),
            Keyword::Expose => self.on_expose(inst, line),
            Keyword::Healthcheck => self.on_healthcheck(step, walk),
            Keyword::Cmd | Keyword::Entrypoint => self.on_cmd_or_entrypoint(step, keyword, walk),
            Keyword::Maintainer => self.emit(
                RuleId::Maintainer,
                line,
                "MAINTAINER is deprecated; use LABEL maintainer=…",
            ),
            Keyword::Env => self.check_env(inst, line),
            Keyword::Arg => self.check_arg(inst, line),
            Keyword::Label => self.check_labels(inst, line),
            _ => {}
        }
        self.legacy_key_value(inst, keyword, line);
        self.check_undefined_vars(step, &mut walk.declared);
        match keyword {
            Keyword::Volume => {
                for v in words(inst) {
                    walk.volumes
                        .push((step.stage, v.trim_end_matches('/').to_string()));
                }
            }
            Keyword::Copy | Keyword::Add => self.on_copy_or_add(step, keyword, walk),
            Keyword::Run => self.on_run(step, walk),
            _ => {}
        }
    }

    fn on_from(&mut self, step: &Step, walk: &mut Walk) {
        walk.seen_from = true;
        self.check_from(step.inst, step.line, step.stage, &walk.stage_names);
        if let Some(n) = &self.stages[step.stage].name {
            walk.stage_names.push(n.clone());
        }
    }

    fn on_onbuild(&mut self, inst: &Instruction, line: usize) {
        if let Some(sub) = &inst.sub {
            self.emit(
                RuleId::OnbuildForbidden,
                line,
                format!("ONBUILD cannot trigger {}", sub.keyword.to_uppercase()),
            );
        }
    }

    fn on_workdir(&mut self, step: &Step, walk: &mut Walk) {
        walk.workdir_set[step.stage] = true;
        if let Some(dir) = step.inst.args.first() {
            let dir = strip_quotes(dir);
            if !(dir.starts_with('/') || dir.starts_with('$') || is_windows_absolute(&dir)) {
                self.emit(
                    RuleId::WorkdirRelative,
                    step.line,
                    format!("WORKDIR {dir} is relative"),
                );
            }
        }
    }

    fn on_user(&mut self, inst: &Instruction, line: usize) {
        if let Some(user) = inst.args.first()
            && !user.contains('$')
            && !user.split(':').all(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            self.emit(
                RuleId::UserNonNumeric,
                line,
                format!("USER {user}: use a numeric UID(:GID)"),
            );
        }
    }

    fn on_expose(&mut self, inst: &Instruction, line: usize) {
        for port in inst.args.iter().filter(|p| !p.contains('$')) {
            if port.contains(':') {
                self.emit(
                    RuleId::ExposeInvalidFormat,
                    line,
                    format!(
                        "EXPOSE {port}: only a port and protocol belong here; map host ports at run time"
                    ),
                );
            }
            if let Some((_, proto)) = port.split_once('/')
                && proto != proto.to_lowercase()
            {
                self.emit(
                    RuleId::ExposeProtoCasing,
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
                    RuleId::ExposePortRange,
                    line,
                    format!("EXPOSE {port}: ports are 0-65535"),
                );
            }
        }
    }

    fn on_healthcheck(&mut self, step: &Step, walk: &mut Walk) {
        let inst = step.inst;
        if !inst.json && inst.args.len() > 1 && inst.args[0].eq_ignore_ascii_case("cmd") {
            self.emit(
                RuleId::ShellFormCmd,
                step.line,
                "HEALTHCHECK CMD in shell form runs through /bin/sh; use [\"…\"]",
            );
        }
        let n = walk
            .repeated
            .entry((step.stage, Keyword::Healthcheck))
            .or_default();
        *n += 1;
        if *n > 1 {
            self.emit(
                RuleId::HealthcheckRepeated,
                step.line,
                "a second HEALTHCHECK in this stage",
            );
        }
    }

    fn on_cmd_or_entrypoint(&mut self, step: &Step, keyword: Keyword, walk: &mut Walk) {
        let inst = step.inst;
        if !inst.json && !inst.args.is_empty() {
            self.emit(
                RuleId::ShellFormCmd,
                step.line,
                format!(
                    "{} in shell form does not receive signals; use [\"…\"]",
                    inst.keyword
                ),
            );
        }
        let n = walk.repeated.entry((step.stage, keyword)).or_default();
        *n += 1;
        if *n > 1 {
            let rule = if keyword == Keyword::Cmd {
                RuleId::CmdRepeated
            } else {
                RuleId::EntrypointRepeated
            };
            self.emit(
                rule,
                step.line,
                format!("{} repeated in this stage", inst.keyword),
            );
        }
    }

    /// `ENV key value` and `LABEL key value` (the legacy space-separated form), and ARG with
    /// more than one word of which one is not `key=value`.
    fn legacy_key_value(&mut self, inst: &Instruction, keyword: Keyword, line: usize) {
        let legacy = match keyword {
            Keyword::Env | Keyword::Label => inst.args.chunks(3).any(|c| c.len() == 3 && c[2].is_empty()),
            Keyword::Arg => inst.args.len() >= 2 && inst.args.iter().any(|a| !a.contains('=')),
            _ => false,
        };
        if legacy {
            self.emit(
                RuleId::LegacyKeyValue,
                line,
                format!("{} key value: write key=value", inst.keyword),
            );
        }
    }

    fn on_copy_or_add(&mut self, step: &Step, keyword: Keyword, walk: &mut Walk) {
        let inst = step.inst;
        let w = words(inst);
        if w.len() < 2 {
            return;
        }
        let (sources, dest) = w.split_at(w.len() - 1);
        let dest = &dest[0];
        self.check_copy(inst, step.line, step.stage, sources, dest, &walk.workdir_set);
        if keyword == Keyword::Copy && inst.flag("from").is_none() {
            for s in sources.iter().filter(|s| is_archive(s)) {
                walk.copied_archives.push((step.line, basename(s).to_string()));
                if is_archive(dest) {
                    walk.copied_archives.push((step.line, basename(dest).to_string()));
                }
            }
        }
        if let Some((_, v)) = walk
            .volumes
            .iter()
            .find(|(s, v)| *s == step.stage && under(dest, v))
        {
            self.emit(
                RuleId::VolumeThenWrite,
                step.line,
                format!("{} writes under VOLUME {v}; the write is discarded", inst.keyword),
            );
        }
    }

    fn on_run(&mut self, step: &Step, walk: &mut Walk) {
        let inst = step.inst;
        let line = step.line;
        let run = Run::new(inst);
        let flags = inst.flags.clone();
        let count = run.script.commands.len();
        if let Some(previous) = &walk.previous_run
            && !step.onbuild
            && previous.commands <= 1
            && count <= 1
            && previous.flags == flags
        {
            self.emit(
                RuleId::RunConsecutive,
                line,
                "consecutive RUN instructions; consider joining them",
            );
        }
        walk.previous_run = Some(PreviousRun {
            commands: count,
            flags,
        });
        self.check_run(step, &run, &walk.copied_archives);
        if let Some(tool) = build_tool(&run.script) {
            self.build_tools.push((line, tool));
        }
        let tools = walk.download_tools.entry(step.stage).or_default();
        tools.wget |= run.script.any(|c| c.name == "wget");
        tools.curl |= run.script.any(|c| c.name == "curl");
        if tools.wget && tools.curl && !tools.reported {
            tools.reported = true;
            self.emit(
                RuleId::WgetAndCurl,
                line,
                "this stage uses both wget and curl; pick one",
            );
        }
        let touched = walk.volumes.iter().find(|(s, v)| {
            *s == step.stage
                && run
                    .script
                    .commands
                    .iter()
                    .any(|c| c.args.iter().any(|a| under(a, v)))
        });
        if let Some((_, v)) = touched {
            self.emit(
                RuleId::VolumeThenWrite,
                line,
                format!("RUN touches {v}, declared as a VOLUME earlier; changes there are discarded"),
            );
        }
    }
}
