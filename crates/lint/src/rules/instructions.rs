//! Per-instruction checks: FROM, ENV, ARG, COPY/ADD, and variables used before they are declared.

use super::*;

impl Checker<'_> {
    /// Variables used by instructions BuildKit expands itself, before any ARG or ENV in the
    /// stage (or the stages it builds on) declares them. Names without a lower-case letter are
    /// left alone: the base image's own ENV (PYTHON_VERSION, JAVA_HOME…) is not known here.
    pub(super) fn check_undefined_vars(&mut self, step: &Step, declared: &mut [Vec<String>]) {
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
                RuleId::UndefinedVar,
                step.line,
                format!("${v} is not declared by an ARG or ENV before this line"),
            );
        }
    }

    pub(super) fn check_from(&mut self, inst: &Instruction, line: usize, stage: usize, earlier: &[String]) {
        let base = self.stages[stage].base.clone();
        let is_stage = self.stages[stage].parent.is_some();
        if let Some(name) = self.stages[stage].name.clone() {
            if earlier.contains(&name) {
                self.emit(
                    RuleId::StageNameRepeated,
                    line,
                    format!("stage name {name} is already used"),
                );
            }
            if matches!(name.as_str(), "scratch" | "context") {
                self.emit(
                    RuleId::StageNameReserved,
                    line,
                    format!("{name} is a reserved word"),
                );
            }
        }
        if let Some(raw) = inst.args.get(2)
            && *raw != raw.to_lowercase()
        {
            self.emit(
                RuleId::StageNameCasing,
                line,
                format!("stage name {raw} should be lower case"),
            );
        }
        if let Some(kw) = inst.args.get(1).filter(|a| a.eq_ignore_ascii_case("as")) {
            let upper = inst.keyword.chars().all(|c| c.is_ascii_uppercase());
            let lower = inst.keyword.chars().all(|c| c.is_ascii_lowercase());
            if (upper && kw != "AS") || (lower && kw != "as") {
                self.emit(
                    RuleId::FromAsCasing,
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
                    RuleId::FromPlatformRedundant,
                    line,
                    "--platform=$TARGETPLATFORM is what BuildKit does anyway",
                );
            } else if !platform.contains('$') && !named_for_it {
                self.emit(
                    RuleId::FromPlatform,
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
                RuleId::UntrustedRegistry,
                line,
                format!("{base} comes from {registry}, not a trusted registry"),
            );
        }
        match (&image.tag, &image.digest) {
            (None, None) => self.emit(
                RuleId::FromUntagged,
                line,
                format!("{base} has no tag; pin a version"),
            ),
            (Some(t), None) if t == "latest" => self.emit(
                RuleId::FromLatest,
                line,
                format!("{base}: latest moves; pin a version"),
            ),
            _ => {}
        }
        if image.digest.is_none() {
            self.emit(
                RuleId::FromNoDigest,
                line,
                format!("{base} is not pinned by digest; use {base}@sha256:… so rebuilds get the same base"),
            );
        }
    }

    pub(super) fn check_from_args(&mut self, inst: &Instruction, line: usize) {
        let Some(base) = inst.args.first() else { return };
        if !base.contains('$') {
            return;
        }
        let globals = drydock_dockerfile::stages::global_arg_defaults(self.file);
        for name in references(base) {
            if !globals.iter().any(|(k, _)| *k == name) && !PREDEFINED_ARGS.contains(&name.as_str()) {
                self.emit(
                    RuleId::FromArgUndefined,
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
                RuleId::FromArgInvalidDefault,
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

    pub(super) fn check_env(&mut self, inst: &Instruction, line: usize) {
        let pairs = inst.pairs();
        for (i, (k, v)) in pairs.iter().enumerate() {
            let refs = references(v);
            if let Some(r) = refs.iter().find(|r| pairs[..i].iter().any(|(k2, _)| k2 == r)) {
                self.emit(
                    RuleId::EnvSelfReference,
                    line,
                    format!("{k} uses ${r}, set in the same ENV"),
                );
            }
            if is_secret_name(k) {
                self.emit(
                    RuleId::SecretInEnv,
                    line,
                    format!("ENV {k} stores a secret in the image"),
                );
            }
        }
    }

    pub(super) fn check_arg(&mut self, inst: &Instruction, line: usize) {
        for a in &inst.args {
            let (k, _) = a.split_once('=').unwrap_or((a, ""));
            if is_secret_name(k) {
                self.emit(
                    RuleId::SecretInEnv,
                    line,
                    format!("ARG {k}: build arguments stay in the image history; use a secret mount"),
                );
            }
        }
    }

    pub(super) fn check_copy(
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
                            RuleId::AddRemoteUrl,
                            line,
                            format!("ADD {s} is not verified; add --checksum=sha256:… or download and check it in RUN"),
                        );
                    }
                } else if !is_archive(s) {
                    self.emit(
                        RuleId::AddLocalFile,
                        line,
                        format!("ADD {s}: use COPY for files and folders"),
                    );
                }
            }
        }
        if !is_add && sources.len() >= 2 && !dest.ends_with('/') && !dest.ends_with('\\') {
            self.emit(
                RuleId::CopyDestNotDir,
                line,
                format!("several sources need a directory destination: {dest}/"),
            );
        }
        let relative = !(dest.starts_with('/') || dest.starts_with('$') || is_windows_absolute(dest));
        if relative && !self.lineage(stage).iter().any(|s| workdir_set[*s]) {
            self.emit(
                RuleId::CopyRelativeNoWorkdir,
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
                    RuleId::CopyFromSelf,
                    line,
                    format!("COPY --from={from} is this stage"),
                );
            } else if !from.contains([':', '/', '$'])
                && from.parse::<usize>().is_err()
                && !earlier.contains(&from_l)
            {
                self.emit(
                    RuleId::CopyFromUnknown,
                    line,
                    format!("COPY --from={from}: no earlier stage has that name"),
                );
            }
            if from.contains([':', '/']) && !from.contains('$') {
                let image = ImageRef::parse(from);
                let registry = image.registry.unwrap_or_else(|| "docker.io".into());
                if !self.config.registry_trusted(&registry) {
                    self.emit(
                        RuleId::UntrustedRegistry,
                        line,
                        format!("{from} comes from {registry}, not a trusted registry"),
                    );
                }
            }
            if sources.iter().any(|s| s == "/") {
                self.emit(
                    RuleId::CopyWholeStage,
                    line,
                    format!("COPY --from={from} / copies a whole filesystem"),
                );
            }
        }
    }
}
