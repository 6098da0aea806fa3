//! What the detectors want to read. A pattern is an image path with `*`/`?` inside a component
//! and `**` for any number of components, e.g. `var/lib/dpkg/info/*.list` or
//! `**/*.dist-info/METADATA`.
//!
//! While layers stream by, a file is kept when its last components match a pattern's last
//! components. That is deliberately looser than the full pattern: the directories above may be
//! reached through symlinks (`var/lib/rpm -> ../../usr/lib/sysimage/rpm`) that are only known once
//! every layer is merged. The exact pattern is applied afterwards, on the merged tree.

/// An image path pattern: `*` within a name, `**/` across folders.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    segments: Vec<String>,
    tail: Vec<String>,
    /// The largest file of this kind that is kept.
    cap: u64,
    /// An OS package database: one too large to keep is an error, not a warning.
    os_database: bool,
}

impl Pattern {
    /// A pattern.
    pub fn new(text: &str) -> Self {
        let segments: Vec<String> = text
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let after_globstar = segments
            .iter()
            .rposition(|s| s == "**")
            .map(|i| i + 1)
            .unwrap_or(0);
        let tail_start = segments.len().saturating_sub(2).max(after_globstar);
        let tail = segments[tail_start..].to_vec();
        Pattern {
            text: text.to_string(),
            segments,
            tail,
            cap: DEFAULT_CAP,
            os_database: false,
        }
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it has `**`.
    pub fn has_globstar(&self) -> bool {
        self.segments.iter().any(|s| s == "**")
    }

    /// The directory part when it holds no wildcard, so it can be resolved through symlinks.
    pub fn literal_dir(&self) -> Option<(String, &str)> {
        let (last, dirs) = self.segments.split_last()?;
        if dirs.iter().any(|s| has_wildcard(s)) {
            return None;
        }
        Some((dirs.join("/"), last.as_str()))
    }

    /// Whether `path` (relative) matches.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        match_segments(&self.segments, &parts)
    }

    /// Whether the path's last components match the pattern's: necessary for a full match, and
    /// cheap (no allocation), so it runs first on every path.
    pub fn matches_tail(&self, path: &str) -> bool {
        let mut parts = path.rsplit('/');
        self.tail
            .iter()
            .rev()
            .all(|seg| parts.next().is_some_and(|part| component_matches(seg, part)))
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

fn match_segments(pattern: &[String], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=parts.len()).any(|skip| match_segments(rest, &parts[skip..]))
        }
        Some((first, rest)) => match parts.split_first() {
            Some((part, more)) => component_matches(first, part) && match_segments(rest, more),
            None => false,
        },
    }
}

/// `*` and `?` within one path component.
pub(crate) fn component_matches(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Looks inside ELF files while they stream by (executables and shared libraries can be
/// large, so they are summarised, not kept): the probe reads the whole file once and returns a
/// small summary that the merged filesystem keeps per path.
pub trait Probe: Send + Sync {
    /// Whether to look inside this file, given its path, size and first bytes (up to four;
    /// fewer for a smaller file). ELF files of 64 bytes or more by default.
    fn accepts(&self, _path: &str, size: u64, head: &[u8]) -> bool {
        size >= 64 && head == b"\x7fELF"
    }
    /// Reads the file and returns the summary to keep. What it holds while it reads beyond a
    /// few buffers (a Java archive read through its central directory) it takes from `pool`,
    /// and gives back.
    fn probe(
        &self,
        path: &str,
        size: u64,
        reader: &mut dyn std::io::Read,
        pool: &crate::Pool,
    ) -> std::io::Result<Vec<u8>>;
}

/// The cap of a wanted file unless its pattern says otherwise: manifests and metadata files are
/// kilobytes, a few megabytes at most.
pub(crate) const DEFAULT_CAP: u64 = 16 << 20;
/// What one scan may hold ([`crate::Pool`]): real images hold a few MB (a dpkg status and its
/// file lists, Python and npm metadata, their packages); a large rpmdb, some tens. With what the
/// program itself takes, a read stays within 64 MB.
pub(crate) const DEFAULT_BUDGET: u64 = 32 << 20;

/// Tar entries one image's layers may hold together: past any real image (the largest seen hold
/// a few hundred thousand files). A compact scan remembers an entry it does not record by a
/// 12-byte fingerprint, so a million cost 12 MB; a scan of every entry holds about 230 bytes
/// each.
pub(crate) const MAX_IMAGE_ENTRIES: u64 = 1_000_000;

/// Layers one image may have. The merge looks at every recorded path once per layer, so the
/// count multiplies its work; overlayfs-based runtimes stop far below this (Docker at 125).
pub(crate) const MAX_IMAGE_LAYERS: usize = 500;

/// What the layer pass does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Not wanted.
    No,
    /// Kept.
    Yes,
    /// Wanted, but larger than its pattern's cap.
    TooLarge {
        /// The cap it passed.
        cap: u64,
        /// Whether it is an OS package database (not reading it is an error).
        os_database: bool,
    },
}

/// A wanted file the layer pass did not keep: too large for its kind, or past the scan's
/// budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file (relative).
    pub path: String,
    /// The layer.
    pub layer: usize,
    /// Its size.
    pub size: u64,
    /// Which limit it passed.
    pub why: String,
    /// Whether it is an OS package database.
    pub os_database: bool,
}

/// The union of what every detector asked for.
#[derive(Clone, Default)]
pub struct Wants {
    patterns: Vec<Pattern>,
    /// Files larger than this are never kept, whatever their name.
    pub max_file_size: u64,
    /// Called for every file no pattern keeps that the probe accepts (ELF files by default).
    pub probe: Option<std::sync::Arc<dyn Probe>>,
    /// A second probe, over the files neither a pattern nor `probe` took (content checks such as
    /// secret rules); its results stay per layer, in [`crate::Filesystem::listings`].
    pub content_probe: Option<(String, std::sync::Arc<dyn Probe>)>,
    /// Keep each layer's own listing after the merge (audits look at every layer).
    pub listings: bool,
    /// What one scan may hold: the files it reads, the entries it records, the fingerprints of
    /// the rest, and the packages listed from them ([`crate::Pool`]).
    pub budget: u64,
    /// Tar entries one image's layers may hold together ([`MAX_IMAGE_ENTRIES`]).
    pub max_entries: u64,
    /// Record every tar entry in the merged view (audits and usage walk them all). Otherwise
    /// the scan is compact: it records symlinks, whiteouts, probed files and the entries whose
    /// name a pattern ends with, and remembers the rest by fingerprint, enough to apply what
    /// they replace or delete.
    pub all_entries: bool,
    /// Patterns whose entries a compact scan records without reading them (a file whose
    /// presence is evidence, such as a JDK's `bin/java`).
    recorded: Vec<Pattern>,
    /// The last component of every pattern, wildcards and all.
    names: Vec<String>,
}

impl std::fmt::Debug for Wants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wants")
            .field("patterns", &self.patterns)
            .field("probe", &self.probe.is_some())
            .finish()
    }
}

impl Wants {
    /// Nothing wanted.
    pub fn new() -> Self {
        Wants {
            patterns: Vec::new(),
            max_file_size: 512 << 20,
            probe: None,
            content_probe: None,
            listings: false,
            budget: DEFAULT_BUDGET,
            max_entries: MAX_IMAGE_ENTRIES,
            all_entries: false,
            recorded: Vec::new(),
            names: Vec::new(),
        }
    }

    /// Whether a scan records every entry (an audit's listings need them all), not only what
    /// the detectors name.
    pub fn records_all(&self) -> bool {
        self.all_entries || self.listings
    }

    /// Records the entries `pattern` matches in a compact scan, without reading them.
    pub fn record(&mut self, pattern: &str) {
        if !self.recorded.iter().any(|p| p.text == pattern) {
            let p = Pattern::new(pattern);
            self.add_name(&p);
            self.recorded.push(p);
        }
    }

    fn add_name(&mut self, p: &Pattern) {
        let Some((last, dirs)) = p.segments.split_last() else {
            return;
        };
        // A name that is all wildcards (`status.d/*`) would name every entry: its folder's
        // name must match too.
        let name = match dirs.last() {
            Some(folder) if last.chars().all(|c| c == '*' || c == '?') && folder != "**" => {
                format!("{folder}/{last}")
            }
            _ => last.clone(),
        };
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }

    /// Whether a compact scan records this entry: its name is the last component of a
    /// pattern. Only the name is asked, because the folders above may be reached through
    /// symlinks only the merge knows (`evil/status` under `evil -> /var/lib/dpkg`).
    pub fn names(&self, path: &str) -> bool {
        let mut parts = path.rsplit('/');
        let name = parts.next().unwrap_or(path);
        let folder = parts.next();
        self.names.iter().any(|n| match n.split_once('/') {
            Some((f, last)) => {
                component_matches(last, name) && folder.is_some_and(|folder| component_matches(f, folder))
            }
            None => component_matches(n, name),
        })
    }

    /// What decides which files a layer pass keeps: part of the layer cache's analyzer version.
    pub fn fingerprint(&self) -> String {
        let mut text: Vec<&str> = self.patterns.iter().map(|p| p.text.as_str()).collect();
        text.sort_unstable();
        let caps: Vec<String> = self
            .patterns
            .iter()
            .filter(|p| p.cap != DEFAULT_CAP || p.os_database)
            .map(|p| format!("{}={}{}", p.text, p.cap, if p.os_database { "!" } else { "" }))
            .collect();
        let mut recorded: Vec<&str> = self.recorded.iter().map(|p| p.text.as_str()).collect();
        recorded.sort_unstable();
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            text.join("\n"),
            caps.join(","),
            self.max_file_size,
            self.probe.is_some(),
            self.content_probe.as_ref().map_or("", |(id, _)| id.as_str()),
            self.all_entries,
            recorded.join("\n"),
        )
    }

    /// Wants the files `pattern` matches.
    pub fn add(&mut self, pattern: &str) {
        self.add_capped(pattern, DEFAULT_CAP, false);
    }

    /// A pattern whose files may weigh up to `cap`; `os_database` marks the package
    /// databases, which must be read.
    pub fn add_capped(&mut self, pattern: &str, cap: u64, os_database: bool) {
        match self.patterns.iter_mut().find(|p| p.text == pattern) {
            Some(p) => {
                p.cap = p.cap.max(cap);
                p.os_database |= os_database;
            }
            None => {
                let mut p = Pattern::new(pattern);
                p.cap = cap;
                p.os_database = os_database;
                self.add_name(&p);
                self.patterns.push(p);
            }
        }
    }

    /// What is wanted.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether the file is kept.
    pub fn keeps(&self, path: &str, size: u64) -> bool {
        self.decide(path, size) == Keep::Yes
    }

    /// For a wanted file, its cap and whether it is an OS package database.
    pub fn wanted(&self, path: &str) -> Option<(u64, bool)> {
        let mut wanted: Option<(u64, bool)> = None;
        for p in self.patterns.iter().filter(|p| p.matches_tail(path)) {
            let (cap, os) = wanted.unwrap_or((0, false));
            wanted = Some((cap.max(p.cap).min(self.max_file_size), os || p.os_database));
        }
        wanted
    }

    /// Whether the layer pass keeps this file, and if it is wanted but too large, why not.
    pub fn decide(&self, path: &str, size: u64) -> Keep {
        match self.wanted(path) {
            None => Keep::No,
            Some((cap, _)) if size <= cap => Keep::Yes,
            Some((cap, os_database)) => Keep::TooLarge { cap, os_database },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_globstars() {
        assert!(component_matches("*.list", "libc6:amd64.list"));
        assert!(!component_matches("*.list", "libc6.md5sums"));
        assert!(component_matches("python3*", "python3.11"));
        let p = Pattern::new("**/*.dist-info/METADATA");
        assert!(p.matches("usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"));
        assert!(p.matches("x.dist-info/METADATA"));
        assert!(!p.matches("usr/lib/x.dist-info/RECORD"));
    }

    #[test]
    fn names_are_last_components_and_a_bare_wildcard_takes_its_folder() {
        let mut w = Wants::new();
        w.add("var/lib/dpkg/status");
        w.add("var/lib/dpkg/status.d/*");
        w.add("**/*.dist-info/METADATA");
        w.record("**/bin/java");
        assert!(w.names("evil/status"));
        assert!(w.names("x/status.d/base"));
        assert!(!w.names("usr/share/doc/base"));
        assert!(w.names("opt/a.dist-info/METADATA"));
        assert!(w.names("opt/jdk/bin/java"));
        assert!(!w.names("opt/jdk/bin/javac"));
    }

    #[test]
    fn tails_are_looser_than_full_patterns() {
        let p = Pattern::new("var/lib/rpm/Packages");
        assert!(p.matches_tail("usr/lib/sysimage/rpm/Packages"));
        assert!(!p.matches("usr/lib/sysimage/rpm/Packages"));
        assert!(!p.matches_tail("var/lib/rpm/Packages.db"));
        assert_eq!(p.literal_dir(), Some(("var/lib/rpm".to_string(), "Packages")));
    }
}
