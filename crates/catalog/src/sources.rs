//! The archives an image installs from: apt's `sources.list`, `sources.list.d/*.list` and deb822
//! `*.sources`, and apk's `repositories`. A rebuild installs from exactly these, so they decide
//! which published fixes a rebuild picks up.

use drydock_source::Filesystem;
use drydock_source::ImagePath;

use crate::model::PackageSource;

/// The files that name the archives.
pub const FILES: &[&str] = &[
    "etc/apt/sources.list",
    "etc/apt/sources.list.d/*.list",
    "etc/apt/sources.list.d/*.sources",
    "etc/apk/repositories",
];

/// Archives one image may name: real images name a handful. Each costs a few hundred bytes,
/// and a deb822 stanza names every URI with every suite, so a small file could name millions.
pub const MAX_SOURCES: usize = 1_000;

/// Every archive the image's apt sources and apk repositories name, up to [`MAX_SOURCES`];
/// past it, a warning.
pub fn read(fs: &Filesystem) -> (Vec<PackageSource>, Option<String>) {
    let mut out = Vec::new();
    for path in fs.glob_any(FILES) {
        let Some(data) = fs.read(&path) else { continue };
        let text = String::from_utf8_lossy(data);
        let file = ImagePath::new(&path).absolute();
        let room = MAX_SOURCES + 1 - out.len();
        if path.ends_with(".sources") {
            out.extend(deb822(&text, &file, room));
        } else if path.ends_with("apk/repositories") {
            out.extend(apk_repositories(&text, &file, room));
        } else {
            out.extend(one_line(&text, &file, room));
        }
        if out.len() > MAX_SOURCES {
            out.truncate(MAX_SOURCES);
            return (
                out,
                Some(format!(
                    "the image names more than {MAX_SOURCES} package archives; drydock left the rest out"
                )),
            );
        }
    }
    (out, None)
}

/// `deb [arch=amd64 signed-by=…] URI SUITE COMPONENT…`; `deb-src` lines install nothing.
/// At most `max`.
pub fn one_line(text: &str, file: &str, max: usize) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        if out.len() >= max {
            break;
        }
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ").or_else(|| line.strip_prefix("deb\t")) else {
            continue;
        };
        let mut rest = rest.trim_start();
        if rest.starts_with('[') {
            match rest.find(']') {
                Some(end) => rest = rest[end + 1..].trim_start(),
                None => continue,
            }
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(PackageSource {
            kind: "apt".into(),
            uri: uri.trim_end_matches('/').to_string(),
            suite: suite.to_string(),
            components: words.map(str::to_string).collect(),
            file: file.to_string(),
        });
    }
    out
}

/// deb822 stanzas: `Types`, `URIs`, `Suites`, `Components`, `Enabled`.
/// At most `max`.
pub fn deb822(text: &str, file: &str, max: usize) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for stanza in crate::detector::paragraphs(text) {
        let field = |name: &str| -> Vec<String> {
            let mut value = String::new();
            let mut inside = false;
            for line in stanza.lines() {
                if line.starts_with(' ') || line.starts_with('\t') {
                    if inside {
                        value.push(' ');
                        value.push_str(line.trim());
                    }
                    continue;
                }
                inside = false;
                if let Some((k, v)) = line.split_once(':')
                    && k.trim().eq_ignore_ascii_case(name)
                {
                    inside = true;
                    value.push_str(v.trim());
                }
            }
            value.split_whitespace().map(str::to_string).collect()
        };
        if !field("Types").iter().any(|t| t == "deb") {
            continue;
        }
        if field("Enabled")
            .first()
            .is_some_and(|e| e.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let components = field("Components");
        for uri in field("URIs") {
            for suite in field("Suites") {
                if out.len() >= max {
                    return out;
                }
                out.push(PackageSource {
                    kind: "apt".into(),
                    uri: uri.trim_end_matches('/').to_string(),
                    suite,
                    components: components.clone(),
                    file: file.to_string(),
                });
            }
        }
    }
    out
}

/// One repository URL per line (`https://HOST/alpine/v3.19/main`); `@tag` lines are pinned
/// repositories that plain `apk add` never installs from.
/// At most `max`.
pub fn apk_repositories(text: &str, file: &str, max: usize) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        if out.len() >= max {
            break;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let url = line.trim_end_matches('/');
        let mut parts = url.rsplitn(3, '/');
        let (Some(repo), Some(branch), Some(root)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        out.push(PackageSource {
            kind: "apk".into(),
            uri: root.to_string(),
            suite: format!("{branch}/{repo}"),
            components: Vec::new(),
            file: file.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_sources_skip_sources_and_options() {
        let text = "# comment\ndeb http://deb.example/debian bookworm main contrib\n\
                    deb-src http://deb.example/debian bookworm main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://sec.example/debian-security/ bookworm-security main # note\n";
        let got = one_line(text, "/etc/apt/sources.list", usize::MAX);
        let pairs: Vec<(&str, &str, usize)> = got
            .iter()
            .map(|s| (s.uri.as_str(), s.suite.as_str(), s.components.len()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("http://deb.example/debian", "bookworm", 2),
                ("http://sec.example/debian-security", "bookworm-security", 1)
            ]
        );
    }

    #[test]
    fn deb822_expands_uris_and_suites_and_honours_enabled() {
        let text = "Types: deb deb-src\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\n\
                    Components: main\nSigned-By: /usr/share/keyrings/k.gpg\n\n\
                    Types: deb\nURIs: http://off.example/\nSuites: sid\nComponents: main\nEnabled: no\n\n\
                    Types: deb-src\nURIs: http://src.example/\nSuites: bookworm\nComponents: main\n";
        let got = deb822(text, "/etc/apt/sources.list.d/debian.sources", usize::MAX);
        let suites: Vec<&str> = got.iter().map(|s| s.suite.as_str()).collect();
        assert_eq!(suites, ["bookworm", "bookworm-updates"]);
        assert!(
            got.iter()
                .all(|s| s.uri == "http://deb.example/debian" && s.components == ["main"])
        );
    }

    #[test]
    fn apk_repositories_name_branch_and_repository() {
        let text = "https://mirror.example/alpine/v3.19/main\nhttps://mirror.example/alpine/v3.19/community/\n\
                    @edge https://mirror.example/alpine/edge/testing\n# off\n";
        let got = apk_repositories(text, "/etc/apk/repositories", usize::MAX);
        let suites: Vec<(&str, &str)> = got.iter().map(|s| (s.uri.as_str(), s.suite.as_str())).collect();
        assert_eq!(
            suites,
            [
                ("https://mirror.example/alpine", "v3.19/main"),
                ("https://mirror.example/alpine", "v3.19/community")
            ]
        );
    }

    /// A deb822 stanza names every URI with every suite: 200 of each in 6 KB would name
    /// 40,000 archives. Each reader stops at the count it is given.
    #[test]
    fn archives_stop_at_the_count_given() {
        let uris: Vec<String> = (0..200).map(|i| format!("http://m{i}.example/debian")).collect();
        let suites: Vec<String> = (0..200).map(|i| format!("s{i}")).collect();
        let text = format!(
            "Types: deb\nURIs: {}\nSuites: {}\nComponents: main\n",
            uris.join(" "),
            suites.join(" ")
        );
        assert_eq!(deb822(&text, "/f.sources", usize::MAX).len(), 40_000);
        assert_eq!(deb822(&text, "/f.sources", 1_001).len(), 1_001);
        let lines = "deb http://a.example/debian s main\n".repeat(50);
        assert_eq!(one_line(&lines, "/f.list", 7).len(), 7);
        let repos = "https://a.example/alpine/v3.19/main\n".repeat(50);
        assert_eq!(apk_repositories(&repos, "/r", 7).len(), 7);
    }
}
