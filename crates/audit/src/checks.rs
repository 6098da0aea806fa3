//! The configuration, history, file and build-tool checks.

use drydock_source::ImagePath;
use std::collections::{BTreeMap, HashMap};

use drydock_source::NodeKind;

use crate::size::SizeReport;
use crate::{Finding, Input, Level, Thresholds};

/// Files the checks read, kept by the layer pass.
pub const FILES: &[&str] = &["etc/passwd", "etc/shadow", "etc/group"];

fn finding(id: &str, level: Level, title: &str, detail: String) -> Finding {
    Finding {
        id: id.to_string(),
        level,
        title: title.to_string(),
        detail,
        path: None,
        layer: None,
        package: None,
        introduced_by: None,
    }
}

/// ENV and LABEL keys that name a secret (Dockle's words), and the ones that do not.
const SECRET_WORDS: &[&str] = &["PASSWD", "PASSWORD", "SECRET", "KEY", "ACCESS", "TOKEN"];
const NOT_SECRET_KEYS: &[&str] = &["GPG_KEY", "GPG_KEYS"];

/// Volumes that expose the host's kernel interfaces when mounted.
const SENSITIVE_VOLUMES: &[&str] = &["/dev", "/proc", "/sys"];

/// The checks that read the image configuration and history.
pub fn configuration(input: &Input, out: &mut Vec<Finding>) {
    let c = &input.config;
    let user = c.user.unwrap_or("");
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
        out.push(finding(
            "CIS-DI-0001",
            Level::Warn,
            "Create a user for the container",
            format!(
                "the last user is {}: add `USER` with an unprivileged user",
                if user.is_empty() {
                    "root (none set)".to_string()
                } else {
                    format!("`{user}`")
                }
            ),
        ));
    }
    let no_healthcheck = match c.healthcheck {
        None => true,
        Some(test) => test.is_empty() || test[0] == "NONE",
    };
    if no_healthcheck {
        out.push(finding(
            "CIS-DI-0006",
            Level::Warn,
            "Add HEALTHCHECK instruction to the container image",
            "the image has no health check (HEALTHCHECK is kept only in Docker-format images)".into(),
        ));
    }
    let env_keys = c
        .env
        .iter()
        .filter_map(|e| e.split_once('=').map(|(k, _)| ("ENV", k)));
    let label_keys = c.labels.keys().map(|k| ("LABEL", k.as_str()));
    for (kind, key) in env_keys.chain(label_keys) {
        let upper = key.to_ascii_uppercase().replace(['.', '-'], "_");
        if NOT_SECRET_KEYS.contains(&upper.as_str()) {
            continue;
        }
        if let Some(word) = SECRET_WORDS.iter().find(|w| upper.contains(*w)) {
            out.push(finding(
                "CIS-DI-0010",
                Level::Fatal,
                "Do not store secrets in Dockerfiles",
                format!("suspicious {kind} key `{key}` (contains {word}): pass secrets at run time, not in the image"),
            ));
        }
    }
    for v in c.volumes {
        let v = v.trim_end_matches('/');
        if SENSITIVE_VOLUMES
            .iter()
            .any(|s| v == *s || v.starts_with(&format!("{s}/")))
        {
            out.push(finding(
                "DKL-DI-0002",
                Level::Fatal,
                "Avoid sensitive directory mounting",
                format!("VOLUME {v}"),
            ));
        }
    }
    let mut refs: Vec<(&str, String)> = vec![("image", input.reference.to_string())];
    if let Some(base) = &input.base {
        refs.push(("base image", base.clone()));
    }
    for (what, r) in refs {
        let without_digest = r.split('@').next().unwrap_or(&r);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let tag = last.split_once(':').map(|(_, t)| t);
        let digested = r.contains("@sha256:");
        let is_local = what == "image" && !r.starts_with("docker://") && !r.contains('/');
        if !digested && (tag == Some("latest") || (tag.is_none() && what == "base image")) && !is_local {
            out.push(finding(
                "DKL-DI-0006",
                Level::Warn,
                "Avoid latest tag",
                format!(
                    "the {what} `{r}` is {}: pin a version tag and a digest",
                    if tag.is_some() {
                        "tagged latest"
                    } else {
                        "untagged (latest)"
                    }
                ),
            ));
        } else if what == "base image" && !digested && r != "scratch" {
            out.push(finding(
                "DD-BASE-0001",
                Level::Info,
                "Pin the base image by digest",
                format!("the base image `{r}` has no digest: a rebuild may get different layers"),
            ));
        }
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect()
}

/// Checks on the build steps the image history records.
pub fn history(input: &Input, out: &mut Vec<Finding>) {
    for (layer, step) in &input.history {
        let step = drydock_attribution::normalize(step);
        let at = |mut f: Finding| {
            f.layer = *layer;
            f.introduced_by = layer.and_then(|l| input.layers.get(l).cloned());
            f.detail = format!(
                "{} ({})",
                f.detail,
                drydock_attribution::shorten(&drydock_attribution::collapse(&step), 80)
            );
            f
        };
        if let Some(rest) = step.strip_prefix("ADD ") {
            // The base image's own root filesystem arrives as `ADD file:… in /`.
            let base_rootfs =
                (rest.starts_with("file:") || rest.starts_with("dir:")) && rest.trim_end().ends_with(" in /");
            if !base_rootfs {
                out.push(at(finding(
                    "CIS-DI-0009",
                    Level::Fatal,
                    "Use COPY instead of ADD in Dockerfile",
                    "ADD fetches and unpacks implicitly".into(),
                )));
            }
            continue;
        }
        let Some(cmd) = step.strip_prefix("RUN ") else {
            continue;
        };
        let w = words(cmd);
        let has = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
        let managers = [
            ("apt-get", "install"),
            ("apt", "install"),
            ("apk", "add"),
            ("yum", "install"),
            ("dnf", "install"),
        ];
        for (tool, install) in managers {
            if has(tool, "update") && !w.contains(&install) {
                out.push(at(finding(
                    "CIS-DI-0007",
                    Level::Fatal,
                    "Do not use update instructions alone in the Dockerfile",
                    format!("`{tool} update` without `{install}` in the same RUN: a cached layer serves stale indexes"),
                )));
            }
        }
        if w.contains(&"sudo") {
            out.push(at(finding(
                "DKL-DI-0001",
                Level::Fatal,
                "Avoid sudo command",
                "sudo in a build step".into(),
            )));
        }
        for (tool, sub) in [
            ("apt-get", "upgrade"),
            ("apt-get", "dist-upgrade"),
            ("apt", "upgrade"),
            ("apt", "full-upgrade"),
            ("apk", "upgrade"),
        ] {
            if has(tool, sub) {
                out.push(at(finding(
                    "DKL-DI-0003",
                    Level::Warn,
                    "Avoid apt-get dist-upgrade",
                    format!("`{tool} {sub}`"),
                )));
            }
        }
        if has("apk", "add") && !w.contains(&"--no-cache") {
            out.push(at(finding(
                "DKL-DI-0004",
                Level::Fatal,
                "Use apk add with --no-cache",
                "`apk add` keeps its index cache in the layer".into(),
            )));
        }
        if (has("apt-get", "install") || has("apt", "install")) && !cmd.contains("/var/lib/apt/lists") {
            out.push(at(finding(
                "DKL-DI-0005",
                Level::Fatal,
                "Clear apt-get caches",
                "`apt-get install` without `rm -rf /var/lib/apt/lists/*` in the same RUN".into(),
            )));
        }
    }
}

/// Folders where files are expected to be world-writable.
const TEMP_DIRS: &[&str] = &["tmp/", "var/tmp/", "dev/shm/", "run/lock/", "var/lock/"];

/// Caches package managers leave behind: (where, what).
const CACHES: &[(&str, &str)] = &[
    ("var/lib/apt/lists/", "apt package lists"),
    ("var/cache/apt/archives/", "downloaded .deb files"),
    ("var/cache/apk/", "apk cache"),
    ("var/cache/yum/", "yum cache"),
    ("var/cache/dnf/", "dnf cache"),
];
/// Caches under any home folder: (component path, what).
const HOME_CACHES: &[(&str, &str)] = &[
    (".cache/pip/", "pip cache"),
    (".npm/_cacache/", "npm cache"),
    (".cache/", "user cache"),
];

/// The checks that read the files and the layers' listings.
pub fn files(input: &Input, owners: &Owners, out: &mut Vec<Finding>) {
    let fs = input.fs;
    let mut caches: BTreeMap<String, (&str, u64, usize, usize)> = BTreeMap::new();
    for (path, node) in fs.nodes() {
        let NodeKind::File { size, mode } = node.kind else {
            continue;
        };
        let located = |id: &str, level, title: &str, detail: String| {
            let mut f = finding(id, level, title, detail);
            f.path = Some(ImagePath::new(path).absolute());
            f.layer = Some(node.layer);
            f.introduced_by = input.layers.get(node.layer).cloned();
            f.package = owners.get(path);
            f
        };
        if mode & 0o6000 != 0 {
            let which = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            out.push(located(
                "CIS-DI-0008",
                Level::Info,
                "Confirm safety of setuid and setgid files",
                format!("{which} file /{path} (mode {:o})", mode & 0o7777),
            ));
        }
        if mode & 0o002 != 0 && !TEMP_DIRS.iter().any(|t| path.starts_with(t)) {
            out.push(located(
                "DD-FS-0001",
                Level::Warn,
                "No world-writable files outside temporary folders",
                format!(
                    "{} is writable by every user (mode {:o})",
                    ImagePath::new(path),
                    mode & 0o7777
                ),
            ));
        }
        let cache = CACHES
            .iter()
            .find(|(dir, _)| path.starts_with(dir))
            .map(|(dir, what)| (dir.to_string(), *what))
            .or_else(|| {
                HOME_CACHES.iter().find_map(|(part, what)| {
                    path.find(part)
                        .map(|i| (path[..i + part.len()].to_string(), *what))
                })
            })
            .or_else(|| {
                path.starts_with("tmp/")
                    .then(|| ("tmp/".to_string(), "temporary files"))
            });
        // apt's folders always hold a `lock` file; it is not a cache left behind.
        let apt_bookkeeping = path.ends_with("/lock") || path.starts_with("var/lib/apt/lists/auxfiles");
        if let Some((dir, what)) = cache
            && !apt_bookkeeping
        {
            let e = caches.entry(dir).or_insert((what, 0, 0, node.layer));
            e.1 += size;
            e.2 += 1;
            e.3 = e.3.max(node.layer);
        }
    }
    for (dir, (what, bytes, count, layer)) in caches {
        let mut f = finding(
            "DKL-LI-0003",
            Level::Info,
            "Only put necessary files",
            format!("{what} left in /{dir}: {count} file(s), {bytes} bytes"),
        );
        f.path = Some(ImagePath::new(&dir).absolute());
        f.layer = Some(layer);
        f.introduced_by = input.layers.get(layer).cloned();
        out.push(f);
    }
    users(input, out);
}

/// Which package owns each file, by the file's real path in the image: packages list
/// `/bin/mount` where merged `/usr` puts it at `/usr/bin/mount`.
pub struct Owners(HashMap<String, String>);

impl Owners {
    /// The owners of every file the inventory lists.
    pub fn of(input: &Input) -> Owners {
        let mut map = HashMap::new();
        for p in input.packages {
            for f in &p.files {
                let real = input.fs.resolve(ImagePath::new(f).relative());
                map.entry(real)
                    .or_insert_with(|| format!("{}:{}", p.ecosystem.as_str(), p.name));
            }
        }
        Owners(map)
    }

    /// The package that owns the real image path `path`.
    pub fn get(&self, path: &str) -> Option<String> {
        self.0.get(path).cloned()
    }
}

/// Empty passwords and duplicate ids in the account databases.
fn users(input: &Input, out: &mut Vec<Finding>) {
    let read = |p: &str| input.fs.read(p).map(|d| String::from_utf8_lossy(d).into_owned());
    let at = |mut f: Finding, path: &str| {
        f.path = Some(ImagePath::new(path).absolute());
        f.layer = input.fs.node(path).map(|n| n.layer);
        f
    };
    let shadow = read("etc/shadow");
    let passwd = read("etc/passwd");
    for (path, text) in [("etc/shadow", &shadow), ("etc/passwd", &passwd)] {
        for line in text.iter().flat_map(|t| t.lines()) {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() >= 2 && !fields[0].is_empty() && fields[1].is_empty() {
                out.push(at(
                    finding(
                        "DKL-LI-0001",
                        Level::Fatal,
                        "Avoid empty password",
                        format!("user `{}` has an empty password in /{path}", fields[0]),
                    ),
                    path,
                ));
            }
        }
    }
    let group = read("etc/group");
    for (path, text, what) in [("etc/passwd", &passwd, "UID"), ("etc/group", &group, "GID")] {
        let Some(text) = text else { continue };
        let mut by_id: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 3 || fields[0].is_empty() || fields[0].starts_with('#') {
                continue;
            }
            by_id.entry(fields[2]).or_default().push(fields[0]);
            *by_name.entry(fields[0]).or_default() += 1;
        }
        let mut dups: Vec<(&str, Vec<&str>)> = by_id.into_iter().filter(|(_, v)| v.len() > 1).collect();
        dups.sort();
        for (id, names) in dups {
            out.push(at(
                finding(
                    "DKL-LI-0002",
                    Level::Fatal,
                    "Be unique UID/GROUPs",
                    format!("{what} {id} is shared by {} in /{path}", names.join(", ")),
                ),
                path,
            ));
        }
        let mut names: Vec<(&str, usize)> = by_name.into_iter().filter(|(_, n)| *n > 1).collect();
        names.sort();
        for (name, n) in names {
            out.push(at(
                finding(
                    "DKL-LI-0002",
                    Level::Fatal,
                    "Be unique UID/GROUPs",
                    format!("`{name}` is listed {n} times in /{path}"),
                ),
                path,
            ));
        }
    }
}

/// Compilers and toolchains, by the command they install.
const TOOLS: &[&str] = &[
    "gcc", "cc", "c++", "g++", "clang", "clang++", "make", "cmake", "go", "rustc", "cargo", "javac",
];
const TOOL_DIRS: &[&str] = &[
    "usr/bin/",
    "usr/local/bin/",
    "bin/",
    "usr/local/go/bin/",
    "usr/local/cargo/bin/",
];

/// Build tools in a production image: build in one stage, ship another.
pub fn build_tools(input: &Input, owners: &Owners, out: &mut Vec<Finding>) {
    let mut reported: BTreeMap<String, Finding> = BTreeMap::new();
    let origin = |layer: Option<usize>| layer.and_then(|l| input.layers.get(l).cloned());
    for p in input.packages {
        let os = p.ecosystem.is_os();
        let dev = os
            && (p.name.ends_with("-dev") || p.name.ends_with("-devel") || p.name.starts_with(".build-deps"));
        let tool_files: Vec<&String> = p
            .files
            .iter()
            .filter(|f| {
                let f = ImagePath::new(f).relative();
                TOOL_DIRS
                    .iter()
                    .any(|d| f.strip_prefix(d).is_some_and(|name| TOOLS.contains(&name)))
            })
            .collect();
        if !dev && tool_files.is_empty() {
            continue;
        }
        let detail = if tool_files.is_empty() {
            format!("development package {} {} in the final image", p.name, p.version)
        } else {
            format!(
                "{} {} installs {}: build in one stage, ship another",
                p.name,
                p.version,
                tool_files
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut f = finding(
            "CIS-DI-0003",
            Level::Warn,
            "Do not install unnecessary packages in the container",
            detail,
        );
        f.package = Some(format!("{}:{}", p.ecosystem.as_str(), p.name));
        f.layer = p.layer;
        f.introduced_by = p.introduced_by.as_deref().cloned().or_else(|| origin(p.layer));
        reported.insert(format!("pkg:{}", p.name), f);
    }
    // Toolchains copied in outside any package manager.
    for (path, node) in input.fs.nodes() {
        if !matches!(node.kind, NodeKind::File { .. }) {
            continue;
        }
        let is_tool = TOOL_DIRS
            .iter()
            .any(|d| path.strip_prefix(d).is_some_and(|name| TOOLS.contains(&name)));
        if !is_tool || owners.get(path).is_some() {
            continue;
        }
        let mut f = finding(
            "CIS-DI-0003",
            Level::Warn,
            "Do not install unnecessary packages in the container",
            format!(
                "{} (no package owns it) is a build tool: build in one stage, ship another",
                ImagePath::new(path)
            ),
        );
        f.path = Some(ImagePath::new(path).absolute());
        f.layer = Some(node.layer);
        f.introduced_by = origin(Some(node.layer));
        reported.insert(format!("file:{path}"), f);
    }
    out.extend(reported.into_values());
}

/// Dive's CI thresholds.
pub fn size(report: &SizeReport, t: &Thresholds, _input: &Input, out: &mut Vec<Finding>) {
    if let Some(min) = t.lowest_efficiency
        && report.efficiency < min
    {
        out.push(finding(
            "DD-SIZE-0001",
            Level::Warn,
            "Image efficiency below the threshold",
            format!("efficiency {:.4} is below {min}", report.efficiency),
        ));
    }
    if let Some(max) = t.highest_wasted_bytes
        && report.wasted_bytes > max
    {
        out.push(finding(
            "DD-SIZE-0002",
            Level::Warn,
            "Wasted bytes above the threshold",
            format!("{} bytes are wasted (more than {max})", report.wasted_bytes),
        ));
    }
    if let (Some(max), Some(pct)) = (t.highest_user_wasted_percent, report.user_wasted_percent)
        && pct > max
    {
        out.push(finding(
            "DD-SIZE-0003",
            Level::Warn,
            "User wasted percent above the threshold",
            format!(
                "{:.4} of the bytes added over the base layer are wasted (more than {max})",
                pct
            ),
        ));
    }
}
