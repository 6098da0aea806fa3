//! Checks over the whole file once it has been walked: the final image, stages, build tools.

use super::*;

impl Checker<'_> {
    pub(super) fn whole_file_checks(&mut self) {
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
                    RuleId::InstructionCasing,
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
                RuleId::EmptyContinuation,
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
                    RuleId::LastUserRoot,
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
                RuleId::ImplicitRoot,
                line,
                "no USER in the final stage: the container runs as root",
            );
        }
        if !lineage.iter().any(|s| has_healthcheck[*s]) {
            let line = self.stages[last].line;
            self.emit(
                RuleId::HealthcheckMissing,
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
                    self.emit(RuleId::LabelMissing, line, format!("label {label} is missing"));
                }
            }
        }
        if self.stages.len() == 1 && !required.is_empty() {
            for label in &required {
                if !has_label[0].contains(label) {
                    self.emit(RuleId::LabelMissing, 1, format!("label {label} is missing"));
                }
            }
        }
        // Build tools in a single-stage build.
        if self.stages.len() <= 2
            && let Some((line, tool)) = tools.first().cloned()
        {
            self.emit(
                RuleId::BuildToolsSingleStage,
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
                    self.emit(RuleId::InlineIgnorePragma, c.line, "inline ignore pragma");
                }
            }
        }
    }
}
