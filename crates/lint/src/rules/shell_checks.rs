//! ShellCheck-style checks on RUN bodies: quoting, unassigned and misspelt variables,
//! bash-only constructs under /bin/sh.

use super::*;

impl Checker<'_> {
    pub(super) fn shell_checks(&mut self, step: &Step, run: &Run, bashlike: bool) {
        let line = step.line;
        if run.script.references.is_empty() {
            return self.shell_command_checks(run, line, bashlike);
        }
        let lineage = self.lineage(step.stage);
        let known: std::collections::HashSet<&str> = PREDEFINED_ARGS
            .iter()
            .copied()
            .chain(
                lineage
                    .iter()
                    .flat_map(|s| self.stages[*s].vars.iter().map(|(k, _)| k.as_str())),
            )
            .chain(run.script.assigned.iter().map(String::as_str))
            .collect();
        let mut emitted = Vec::new();
        for (name, unquoted) in &run.script.references {
            // Like ShellCheck given the stage's ARG and ENV as assignments: a variable whose
            // declared value has no blanks or glob characters cannot split.
            let safe_value = lineage.iter().any(|s| {
                self.stages[*s]
                    .vars
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .is_some_and(|(_, v)| !v.contains(|c: char| c.is_whitespace() || "*?[".contains(c)))
            });
            if *unquoted && !safe_value && !name.chars().all(|c| c.is_ascii_digit()) {
                emitted.push((
                    RuleId::ShellUnquotedVariable,
                    format!("${name} is unquoted: it will be split and globbed"),
                ));
            }
            if known.contains(name.as_str())
                || SHELL_VARS.contains(&name.as_str())
                || run.script.defaulted.contains(name)
            {
                continue;
            }
            if name.chars().any(|c| c.is_ascii_lowercase()) {
                emitted.push((
                    RuleId::ShellUnassignedVariable,
                    format!("${name} is never assigned in this stage"),
                ));
            } else if known.iter().any(|k| one_edit_apart(k, name)) {
                emitted.push((
                    RuleId::ShellMisspelledVariable,
                    format!("${name} is not set; a similar name is"),
                ));
            }
        }
        drop(known);
        for (rule, message) in emitted {
            self.emit(rule, line, message);
        }
        self.shell_command_checks(run, line, bashlike);
    }
    pub(super) fn shell_command_checks(&mut self, run: &Run, line: usize, bashlike: bool) {
        for c in &run.script.commands {
            if matches!(c.name.as_str(), "egrep" | "fgrep") {
                let flag = if c.name == "egrep" { "-E" } else { "-F" };
                self.emit(
                    RuleId::ShellDeprecatedGrep,
                    line,
                    format!("{} is deprecated; use grep {flag}", c.name),
                );
            }
            if c.raw_args
                .iter()
                .any(|a| a.contains("$(echo ") || a.contains("`echo "))
            {
                self.emit(
                    RuleId::ShellUselessEcho,
                    line,
                    "$(echo …) adds nothing; use the words directly",
                );
            }
            if c.raw_args.iter().any(|a| unquoted_substitution(a)) {
                self.emit(
                    RuleId::ShellUnquotedSubstitution,
                    line,
                    format!("quote the $(…) in the arguments of {}", c.name),
                );
            }
        }
        for p in &run.script.pipelines {
            let first = &run.script.commands[p.start];
            if first.name == "cat" && first.args.len() == 1 && !first.args[0].starts_with('-') {
                self.emit(
                    RuleId::ShellUselessCat,
                    line,
                    format!("cat {} | …: use < {} instead", first.args[0], first.args[0]),
                );
            }
        }
        if !bashlike {
            for c in &run.script.commands {
                if c.name == "source" {
                    self.emit(RuleId::ShellNotPosix, line, "`source` is bash; /bin/sh has `.`");
                }
            }
            if run.script.references.iter().any(|(n, _)| {
                matches!(
                    n.as_str(),
                    "RANDOM" | "BASH_SOURCE" | "PIPESTATUS" | "HOSTNAME" | "UID" | "EUID"
                )
            }) {
                self.emit(RuleId::ShellBashVariable, line, "a bash variable under /bin/sh");
            }
        }
    }
}

/// A `$(…)` or backquoted substitution outside double quotes, not the value of an assignment.
fn unquoted_substitution(word: &str) -> bool {
    let b = word.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'=' if !single && !double => return false,
            b'$' if !single && !double && b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') => {
                return true;
            }
            b'`' if !single && !double => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

fn one_edit_apart(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() == b.len() {
        return a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1;
    }
    let (short, long) = if a.len() < b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() != 1 {
        return false;
    }
    (0..long.len()).any(|skip| {
        let mut l = long.clone();
        l.remove(skip);
        &l == short
    })
}
