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

/// Every archive the image's apt sources and apk repositories name.
pub fn read(fs: &Filesystem) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for path in fs.glob_any(FILES) {
        let Some(data) = fs.read(&path) else { continue };
        let text = String::from_utf8_lossy(data);
        let file = ImagePath::new(&path).absolute();
        if path.ends_with(".sources") {
            out.extend(deb822(&text, &file));
        } else if path.ends_with("apk/repositories") {
            out.extend(apk_repositories(&text, &file));
        } else {
            out.extend(one_line(&text, &file));
        }
    }
    out
}

/// `deb [arch=amd64 signed-by=…] URI SUITE COMPONENT…`; `deb-src` lines install nothing.
pub fn one_line(text: &str, file: &str) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for line in text.lines() {
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
pub fn deb822(text: &str, file: &str) -> Vec<PackageSource> {
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
pub fn apk_repositories(text: &str, file: &str) -> Vec<PackageSource> {
    let mut out = Vec::new();
    for line in text.lines() {
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
        let got = one_line(text, "/etc/apt/sources.list");
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
        let got = deb822(text, "/etc/apt/sources.list.d/debian.sources");
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
        let got = apk_repositories(text, "/etc/apk/repositories");
        let suites: Vec<(&str, &str)> = got.iter().map(|s| (s.uri.as_str(), s.suite.as_str())).collect();
        assert_eq!(
            suites,
            [
                ("https://mirror.example/alpine", "v3.19/main"),
                ("https://mirror.example/alpine", "v3.19/community")
            ]
        );
    }
}
