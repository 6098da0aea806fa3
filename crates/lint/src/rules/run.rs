//! RUN: the shell body read as commands, package-manager hygiene aside (see `packages.rs`).

use super::*;

impl Checker<'_> {
    pub(super) fn shell_of(&self, step: &Step) -> (bool, bool) {
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

    pub(super) fn check_run(&mut self, step: &Step, run: &Run, copied_archives: &[(usize, String)]) {
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
                    RuleId::InteractiveCommand,
                    line,
                    format!("{} has no use in a build", c.name),
                );
            }
            match c.name.as_str() {
                "cd" => self.emit(RuleId::CdInRun, line, "cd in RUN; use WORKDIR"),
                "sudo" => self.emit(
                    RuleId::Sudo,
                    line,
                    "sudo in RUN; the build already runs as the USER you set",
                ),
                "apt" => self.emit(RuleId::AptCommand, line, "apt has no stable CLI; use apt-get"),
                "useradd" => {
                    if let Some(uid) = c.flag_value(&["-u", "--uid"])
                        && uid.len() > 5
                        && !c.has_any_flag(&["l", "no-log-init"])
                    {
                        self.emit(
                            RuleId::UseraddLargeUid,
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
                        RuleId::WgetProgress,
                        line,
                        "wget without --progress=dot:giga (or -q) floods the log",
                    );
                }
                "ln" if c.args.last().is_some_and(|a| a == "/bin/sh") => {
                    self.emit(
                        RuleId::RelinkSh,
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
            self.emit(RuleId::YarnCache, line, "yarn install without yarn cache clean");
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
                        RuleId::CopyThenExtract,
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
                self.emit(RuleId::Pipefail, line, "a failing command before | goes unnoticed; SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]");
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
                    RuleId::PipeToShell,
                    line,
                    format!("{} output runs unverified in {}", seq[d].name, seq[s].name),
                );
            }
        }

        if posix && !run.exec {
            self.shell_checks(step, run, bashlike);
        }
    }
}
