//! Package-manager rules: apt, apk, pip, npm, gem, yum, dnf, zypper and go — pins, prompts
//! and caches left in the image.

use super::*;

impl Checker<'_> {
    pub(super) fn apt_rules(&mut self, step: &Step, run: &Run) {
        let line = step.line;
        let cmds = &run.script.commands;
        let installs: Vec<&Command> = cmds
            .iter()
            .filter(|c| c.name == "apt-get" && apt_subcommand(c) == Some("install"))
            .collect();
        for c in &installs {
            if let Some(list) = unpinned(operands_after_sub(c), |p| {
                !(p.contains('=') || p.contains('/') || p.ends_with(".deb"))
            }) {
                self.emit(RuleId::AptUnpinned, line, format!("pin versions: {list}"));
            }
            if !c.has_any_flag(&["y", "yes", "assume-yes"]) && apt_quiet_level(c) < 2 {
                self.emit(
                    RuleId::AptNoYes,
                    line,
                    "apt-get install without -y waits for an answer",
                );
            }
            let no_recommends = c.has_flag("no-install-recommends")
                || c.args
                    .iter()
                    .any(|a| a.contains("Install-Recommends=false") || a.contains("Install-Recommends=0"));
            if !no_recommends {
                self.emit(
                    RuleId::AptRecommends,
                    line,
                    "add --no-install-recommends to keep the image small",
                );
            }
        }
        let apt_like = |c: &Command, sub: &str| {
            matches!(c.name.as_str(), "apt-get" | "apt" | "aptitude") && apt_subcommand(c) == Some(sub)
        };
        let updates = cmds.iter().any(|c| apt_like(c, "update"));
        let any_install = cmds.iter().any(|c| {
            [
                "install",
                "upgrade",
                "dist-upgrade",
                "full-upgrade",
                "build-dep",
                "source",
            ]
            .iter()
            .any(|v| apt_like(c, v))
        });
        if updates {
            let cleaned = cmds
                .iter()
                .any(|c| c.name == "rm" && c.args.iter().any(|a| a.starts_with("/var/lib/apt/lists")));
            let docker_clean_removed = cmds
                .iter()
                .any(|c| c.name == "rm" && c.args.iter().any(|a| a.contains("docker-clean")));
            // Lists on a cache or tmpfs mount never reach the layer: a mount of the lists
            // themselves, of both apt directories, or of /var/lib/apt with the image's
            // docker-clean hook (which empties the cache after each run) removed.
            let lib_apt = run.cache_mount_at(&["/var/lib/apt"]);
            let cached = run.cache_mount_at(&["/var/lib/apt/lists"])
                || (lib_apt && run.cache_mount_at(&["/var/cache/apt"]))
                || (lib_apt && docker_clean_removed);
            if !cleaned && !cached && (step.onbuild || self.in_final_image(step.stage)) {
                self.emit(
                    RuleId::AptListsKept,
                    line,
                    "remove /var/lib/apt/lists/* in the same RUN",
                );
            }
        }
        if updates && !any_install && !run.cache_mount_at(&["/var/lib/apt", "/var/lib/apt/lists"]) {
            self.emit(
                RuleId::AptUpdateAlone,
                line,
                "apt-get update without an install in the same RUN: later installs may use a stale cached index",
            );
        }
    }
    pub(super) fn apk_rules(&mut self, run: &Run, line: usize) {
        for c in run.script.commands.iter().filter(|c| c.is_sub("apk", &["add"])) {
            if let Some(list) = unpinned(operands_after_sub(c), |p| {
                !(p.contains(['=', '~', '<', '>']) || p.ends_with(".apk"))
            }) {
                self.emit(RuleId::ApkUnpinned, line, format!("pin versions: {list}"));
            }
            if !c.has_flag("no-cache") && !run.cache_mount_at(&["/var/cache/apk"]) {
                self.emit(
                    RuleId::ApkCache,
                    line,
                    "apk add without --no-cache keeps the index in the image",
                );
            }
        }
    }
    pub(super) fn pip_rules(&mut self, step: &Step, run: &Run) {
        let line = step.line;
        let cmds = &run.script.commands;
        let mut env_no_cache = self.var(step.stage, "PIP_NO_CACHE_DIR").map(|v| truthy(&v));
        for c in cmds {
            if let Some(v) = c
                .assignments
                .iter()
                .find(|(k, _)| k == "PIP_NO_CACHE_DIR")
                .map(|(_, v)| truthy(v))
            {
                env_no_cache = Some(v);
            }
            if c.name == "export" {
                for a in &c.args {
                    if let Some(v) = a.strip_prefix("PIP_NO_CACHE_DIR=") {
                        env_no_cache = Some(truthy(v));
                    }
                }
            }
            let (is_pipx, pip) = match c.name.as_str() {
                "pip" | "pip2" | "pip3" => (false, Some(c.clone())),
                "pipx" => (true, Some(c.clone())),
                n if n.starts_with("python")
                    && c.args.first().is_some_and(|a| a == "-m")
                    && c.args.get(1).is_some_and(|a| a.starts_with("pip")) =>
                {
                    let mut inner = c.clone();
                    inner.name = c.args[1].clone();
                    inner.args = c.args[2..].to_vec();
                    (false, Some(inner))
                }
                n if n
                    .rsplit('/')
                    .next()
                    .is_some_and(|b| matches!(b, "pip" | "pip2" | "pip3")) =>
                {
                    (false, Some(c.clone()))
                }
                _ => (false, None),
            };
            let Some(pip) = pip else { continue };
            if pip.args_no_flags().first() != Some(&"install") {
                continue;
            }
            if !pip.has_any_flag(&["c", "constraint"]) {
                let packages: Vec<&str> = pip.operands().into_iter().skip(1).collect();
                let unpinned: Vec<&str> = packages
                    .iter()
                    .copied()
                    .filter(|p| !pip_requirement_pinned(p))
                    .collect();
                if !unpinned.is_empty() {
                    self.emit(
                        RuleId::PipUnpinned,
                        line,
                        format!("pin versions: {}", unpinned.join(" ")),
                    );
                }
            }
            if !is_pipx
                && !pip.has_flag("no-cache-dir")
                && env_no_cache != Some(true)
                && !run.cache_mount_at(&["/root/.cache/pip", "/root/.cache"])
            {
                self.emit(
                    RuleId::PipCache,
                    line,
                    "pip install without --no-cache-dir keeps wheels in the image",
                );
            }
        }
    }
    pub(super) fn npm_rules(&mut self, run: &Run, line: usize) {
        for c in run
            .script
            .commands
            .iter()
            .filter(|c| c.is_sub("npm", &["install", "i", "add"]))
        {
            let packages: Vec<&str> = c.operands().into_iter().skip(1).collect();
            let unpinned: Vec<&str> = packages.iter().copied().filter(|p| !npm_pinned(p)).collect();
            if !unpinned.is_empty() {
                self.emit(
                    RuleId::NpmUnpinned,
                    line,
                    format!("pin versions: {}", unpinned.join(" ")),
                );
            }
        }
    }
    pub(super) fn gem_rules(&mut self, run: &Run, line: usize) {
        for c in run
            .script
            .commands
            .iter()
            .filter(|c| c.is_sub("gem", &["install", "i"]))
        {
            if c.has_any_flag(&["v", "version"]) {
                continue;
            }
            let packages: Vec<&str> = c
                .args
                .iter()
                .skip_while(|a| a.starts_with('-'))
                .skip(1)
                .take_while(|a| !a.starts_with('-'))
                .map(String::as_str)
                .collect();
            let unpinned: Vec<&str> = packages.iter().copied().filter(|p| !p.contains(':')).collect();
            if !unpinned.is_empty() {
                self.emit(
                    RuleId::GemUnpinned,
                    line,
                    format!("pin versions (gem:version): {}", unpinned.join(" ")),
                );
            }
        }
    }
    pub(super) fn rpm_rules(&mut self, step: &Step, run: &Run) {
        let line = step.line;
        let cmds = &run.script.commands;
        // yum
        for (i, c) in cmds.iter().enumerate().filter(|(_, c)| c.name == "yum") {
            let sub = c.args_no_flags();
            let installing = matches!(
                sub.first(),
                Some(&("install" | "groupinstall" | "localinstall" | "reinstall"))
            ) || sub.starts_with(&["module", "install"]);
            if !installing {
                continue;
            }
            if !c.has_any_flag(&["y", "assumeyes"]) {
                self.emit(
                    RuleId::YumNoYes,
                    line,
                    "yum install without -y waits for an answer",
                );
            }
            let cleaned = cmds[i + 1..].iter().any(|c| {
                (c.name == "yum" && c.args_no_flags().starts_with(&["clean", "all"]))
                    || (c.name == "rm" && c.args.iter().any(|a| a.starts_with("/var/cache/yum")))
            });
            if !cleaned && !run.cache_mount_at(&["/var/cache/yum"]) {
                self.emit(RuleId::YumCache, line, "yum clean all missing after yum install");
            }
            // Versions are pinned per package; group and local installs have none to pin.
            if matches!(sub.first(), Some(&"install")) || sub.starts_with(&["module", "install"]) {
                self.rpm_pins(RuleId::YumUnpinned, step, c);
            }
        }
        // dnf / microdnf
        for (i, c) in cmds
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.name.as_str(), "dnf" | "microdnf"))
        {
            let sub = c.args_no_flags();
            let installing = matches!(
                sub.first(),
                Some(&("install" | "in" | "groupinstall" | "localinstall" | "reinstall" | "rei"))
            ) || sub.starts_with(&["module", "install"]);
            let changing = installing
                || matches!(
                    sub.first(),
                    Some(&("upgrade" | "up" | "upgrade-minimal" | "up-min" | "update" | "distro-sync"))
                );
            if !changing {
                continue;
            }
            if installing && !c.has_any_flag(&["y", "assumeyes"]) {
                self.emit(
                    RuleId::DnfNoYes,
                    line,
                    format!("{} install without -y waits for an answer", c.name),
                );
            }
            let cleaned = cmds[i + 1..].iter().any(|d| {
                (d.name == c.name && d.args_no_flags().starts_with(&["clean", "all"]))
                    || (d.name == "rm"
                        && d.args.iter().any(|a| {
                            a.starts_with("/var/cache/yum")
                                || a.starts_with("/var/cache/dnf")
                                || a.starts_with("/var/cache/libdnf5")
                        }))
            });
            if !cleaned && !run.cache_mount_at(&["/var/cache/libdnf5", "/var/cache/dnf", "/var/cache/yum"]) {
                self.emit(
                    RuleId::DnfCache,
                    line,
                    format!("{} clean all missing after {}", c.name, c.name),
                );
            }
            if matches!(sub.first(), Some(&("install" | "in"))) || sub.starts_with(&["module", "install"]) {
                self.rpm_pins(RuleId::DnfUnpinned, step, c);
            }
        }
        // zypper
        for (i, c) in cmds.iter().enumerate().filter(|(_, c)| c.name == "zypper") {
            let sub = c.args_no_flags();
            let first = sub.first().copied().unwrap_or_default();
            if matches!(first, "dist-upgrade" | "dup") {
                self.emit(
                    RuleId::ZypperDistUpgrade,
                    line,
                    "zypper dist-upgrade changes the base release; rebuild on a newer base",
                );
            }
            let installing = matches!(first, "install" | "in");
            let changing = installing || matches!(first, "remove" | "rm" | "source-install" | "si" | "patch");
            if !changing {
                continue;
            }
            if !c.has_any_flag(&["n", "non-interactive", "y", "no-confirm"]) {
                self.emit(RuleId::ZypperNoYes, line, "zypper without -n waits for an answer");
            }
            if installing {
                let cleaned = cmds[i + 1..].iter().any(|d| {
                    d.name == "zypper" && matches!(d.args_no_flags().first(), Some(&("clean" | "cc")))
                });
                if !cleaned && !run.cache_mount_at(&["/var/cache/zypp"]) {
                    self.emit(
                        RuleId::ZypperCache,
                        line,
                        "zypper clean missing after zypper install",
                    );
                }
                if let Some(list) = unpinned(operands_after_sub(c), |p| {
                    !(p.contains(['=', '<', '>']) || p.ends_with(".rpm"))
                }) {
                    self.emit(RuleId::ZypperUnpinned, line, format!("pin versions: {list}"));
                }
            }
        }
    }
    pub(super) fn rpm_pins(&mut self, rule: RuleId, step: &Step, c: &Command) {
        let module = c.args_no_flags().first() == Some(&"module");
        let packages: Vec<&str> = c
            .operands()
            .into_iter()
            .skip(if module { 2 } else { 1 })
            .collect();
        let mut unpinned = Vec::new();
        for p in packages {
            let refs = references(p);
            // A version from a build argument is only known at build time.
            if refs.iter().any(|r| self.arg_names.contains(r)) {
                continue;
            }
            let mut expanded = p.to_string();
            for r in &refs {
                let value = self.var(step.stage, r).unwrap_or_default();
                expanded = expanded
                    .replace(&format!("${{{r}}}"), &value)
                    .replace(&format!("${r}"), &value);
            }
            let pinned = if module {
                expanded.contains(':')
            } else {
                expanded.contains(['=', '<', '>'])
                    || expanded.ends_with(".rpm")
                    || expanded
                        .as_bytes()
                        .windows(2)
                        .any(|w| w[0] == b'-' && w[1].is_ascii_digit())
            };
            if !pinned {
                unpinned.push(p.to_string());
            }
        }
        if !unpinned.is_empty() {
            self.emit(rule, step.line, format!("pin versions: {}", unpinned.join(" ")));
        }
    }
    pub(super) fn go_rules(&mut self, run: &Run, line: usize) {
        for c in run
            .script
            .commands
            .iter()
            .filter(|c| c.is_sub("go", &["install", "get", "run"]))
        {
            let sub = c.args_no_flags()[0];
            let mut targets: Vec<&str> = Vec::new();
            let mut seen_sub = false;
            for a in &c.args {
                if !seen_sub {
                    seen_sub = a == sub;
                    continue;
                }
                if a.starts_with('-') {
                    continue;
                }
                targets.push(a);
                if sub == "run" {
                    break;
                }
            }
            let unpinned: Vec<&str> = targets
                .into_iter()
                .filter(|t| !(t.starts_with('.') || t.starts_with('/') || t.starts_with('$')))
                .filter(|t| match t.split_once('@') {
                    Some((_, v)) => v == "latest" || v.is_empty(),
                    None => true,
                })
                .collect();
            if !unpinned.is_empty() {
                self.emit(
                    RuleId::GoUnpinned,
                    line,
                    format!("pin versions (module@vX.Y.Z): {}", unpinned.join(" ")),
                );
            }
        }
    }
}

fn npm_pinned(p: &str) -> bool {
    if p.starts_with('/')
        || p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with("~/")
        || is_archive(p)
        || p.ends_with(".tgz")
    {
        return true;
    }
    if p.contains("://") || p.starts_with("git+") || p.starts_with("github:") {
        return p.contains('#');
    }
    let name_end = if let Some(rest) = p.strip_prefix('@') {
        rest.find('@').map(|i| i + 1)
    } else {
        p.find('@')
    };
    name_end.is_some_and(|i| i + 1 < p.len())
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "on" | "yes" | "true")
}

/// The operands after a command's subcommand, options and their values left out.
fn operands_after_sub(c: &Command) -> Vec<&str> {
    c.operands().into_iter().skip(1).collect()
}

/// The packages `is_unpinned` picks out, space-separated, if there are any.
fn unpinned<'p>(
    packages: impl IntoIterator<Item = &'p str>,
    is_unpinned: impl Fn(&str) -> bool,
) -> Option<String> {
    let list: Vec<&str> = packages.into_iter().filter(|p| is_unpinned(p)).collect();
    (!list.is_empty()).then(|| list.join(" "))
}

/// apt-get's subcommand, option values skipped.
fn apt_subcommand(c: &Command) -> Option<&str> {
    c.args_no_flags().first().copied()
}

/// apt-get's quiet level: each `-q` (also inside `-yqq`) and `--quiet` adds one, `-q=N` and
/// `--quiet=N` set it. Level 2 implies `--assume-yes` (apt-get(8)).
fn apt_quiet_level(c: &Command) -> u32 {
    let mut level = 0u32;
    for a in c.args.iter().take_while(|a| *a != "--") {
        if let Some(long) = a.strip_prefix("--") {
            match long.split_once('=') {
                Some(("quiet", n)) => level = n.parse().unwrap_or(level),
                None if long == "quiet" => level += 1,
                _ => {}
            }
        } else if let Some(short) = a.strip_prefix('-') {
            let (cluster, value) = short.split_once('=').map_or((short, None), |(c, v)| (c, Some(v)));
            level += cluster.matches('q').count() as u32;
            if cluster.ends_with('q')
                && let Some(n) = value.and_then(|v| v.parse::<u32>().ok())
            {
                level = level - 1 + n;
            }
        }
    }
    level
}

/// pip's VCS schemes, as `vcs+protocol://` or bare (pip's VCS support page).
const PIP_VCS_SCHEMES: &[&str] = &[
    "git+file",
    "git+https",
    "git+ssh",
    "git+http",
    "git+git",
    "git",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+svn",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
];

/// Whether a pip requirement names a fixed version (Hadolint's DL3013): a version operator, a
/// VCS URL with an `@revision`, a wheel or sdist file, or a path or URL that is not VCS. A VCS
/// URL without `@` follows a moving branch, so it is not pinned.
fn pip_requirement_pinned(p: &str) -> bool {
    let vcs = PIP_VCS_SCHEMES.iter().any(|s| p.starts_with(s));
    ["==", "!=", "~=", "<", ">"].iter().any(|op| p.contains(op))
        || (vcs && p.contains('@'))
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || (!vcs && p.contains('/'))
        || p.starts_with('.')
        || (!vcs && (is_archive(p) || p.ends_with(".zip")))
}
