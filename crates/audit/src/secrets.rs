//! Secrets in every layer: content rules run inside the layer pass (a content probe, so no
//! layer is read twice), path rules over every layer's listing. Rules live in `secrets.toml`.
//!
//! A finding names the layer, the path, the rule and a redacted excerpt: the first `keep`
//! characters of the match, then `*`s. The secret itself never leaves the probe.

use std::io::Read as _;
use std::sync::{Arc, OnceLock};

use aho_corasick::AhoCorasick;
use drydock_source::{Filesystem, ImagePath, Pattern, Probe};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::Level;

const RULES: &str = include_str!("secrets.toml");

/// Files larger than this are not searched (secrets live in small text files; a large one is
/// data, and reading it would cost more than it finds).
const MAX_FILE: u64 = 2 << 20;

#[derive(Debug, Deserialize)]
struct RuleFile {
    content: Vec<ContentRuleSpec>,
    path: Vec<PathRuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentRuleSpec {
    id: String,
    title: String,
    level: Level,
    keywords: Vec<String>,
    regex: String,
    keep: usize,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathRuleSpec {
    id: String,
    title: String,
    level: Level,
    pattern: String,
    #[serde(default)]
    unless_suffix: Vec<String>,
}

/// A rule that looks inside files.
pub struct ContentRule {
    /// Its id (`DD-SECRET/private-key`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    regex: Regex,
    keep: usize,
    paths: Vec<Pattern>,
    allow: Vec<String>,
}

/// A rule that looks at file names only.
pub struct PathRule {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    pattern: Pattern,
    unless_suffix: Vec<String>,
}

/// The built-in secret rules (`secrets.toml`).
pub struct Rules {
    /// Rules on contents.
    pub content: Vec<ContentRule>,
    /// Rules on names.
    pub path: Vec<PathRule>,
    /// Keyword → index of its content rule.
    keywords: AhoCorasick,
    keyword_rule: Vec<usize>,
}

/// The rule set, compiled once.
pub fn rules() -> &'static Rules {
    static RULES_ONCE: OnceLock<Rules> = OnceLock::new();
    RULES_ONCE.get_or_init(|| compile(RULES).expect("the built-in secret rules compile"))
}

fn compile(text: &str) -> Result<Rules, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut keywords = Vec::new();
    let mut keyword_rule = Vec::new();
    let mut content = Vec::new();
    for (i, r) in file.content.into_iter().enumerate() {
        for k in &r.keywords {
            keywords.push(k.clone());
            keyword_rule.push(i);
        }
        content.push(ContentRule {
            regex: Regex::new(&r.regex).map_err(|e| format!("{}: {e}", r.id))?,
            paths: r.paths.iter().map(|p| Pattern::new(p)).collect(),
            id: r.id,
            title: r.title,
            level: r.level,
            keep: r.keep,
            allow: r.allow,
        });
    }
    let path = file
        .path
        .into_iter()
        .map(|r| PathRule {
            pattern: Pattern::new(&r.pattern),
            id: r.id,
            title: r.title,
            level: r.level,
            unless_suffix: r.unless_suffix,
        })
        .collect();
    Ok(Rules {
        content,
        path,
        keywords: AhoCorasick::new(&keywords).map_err(|e| e.to_string())?,
        keyword_rule,
    })
}

/// One match, as the probe records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// The rule's id.
    pub rule: String,
    /// 1-based line of the match's start.
    pub line: usize,
    /// The match with all but its first characters masked.
    pub excerpt: String,
}

/// Masks all but the first `keep` characters (at most 16 `*`s: the length is no one's
/// business either).
pub fn redact(text: &str, keep: usize) -> String {
    let first_line = text.lines().next().unwrap_or("");
    let shown: String = first_line.chars().take(keep).collect();
    let hidden = text
        .chars()
        .count()
        .saturating_sub(shown.chars().count())
        .clamp(4, 16);
    format!("{shown}{}", "*".repeat(hidden))
}

impl Rules {
    /// Every match of the content rules in one file's bytes.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Match> {
        // Binary files (a NUL early on) hold no readable secrets worth the cost.
        if data[..data.len().min(8192)].contains(&0) {
            return Vec::new();
        }
        let mut hit = vec![false; self.content.len()];
        for m in self.keywords.find_overlapping_iter(data) {
            hit[self.keyword_rule[m.pattern().as_usize()]] = true;
        }
        let mut out = Vec::new();
        for (rule, _) in self.content.iter().zip(&hit).filter(|(_, h)| **h) {
            if !rule.paths.is_empty() && !rule.paths.iter().any(|p| p.matches(path)) {
                continue;
            }
            for m in rule.regex.find_iter(data) {
                let text = String::from_utf8_lossy(m.as_bytes());
                if rule.allow.iter().any(|a| text.contains(a.as_str())) {
                    continue;
                }
                out.push(Match {
                    rule: rule.id.clone(),
                    line: 1 + data[..m.start()].iter().filter(|b| **b == b'\n').count(),
                    excerpt: redact(&text, rule.keep),
                });
            }
        }
        out
    }

    /// The content rule `id`.
    pub fn content_rule(&self, id: &str) -> Option<&ContentRule> {
        self.content.iter().find(|r| r.id == id)
    }

    /// The path rules a path matches.
    pub fn path_matches<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a PathRule> + 'a {
        self.path.iter().filter(move |r| {
            r.pattern.matches(path) && !r.unless_suffix.iter().any(|s| path.ends_with(s.as_str()))
        })
    }
}

/// The content probe the layer pass runs: its summary is the JSON list of matches (empty when
/// none, so nothing is kept for clean files).
pub struct SecretProbe;

/// The probe's id in the layer cache (a new id invalidates cached results).
pub const PROBE_ID: &str = "secrets-1";

impl Probe for SecretProbe {
    fn accepts(&self, _path: &str, size: u64, head: &[u8]) -> bool {
        size <= MAX_FILE && head != b"\x7fELF"
    }

    fn probe(
        &self,
        path: &str,
        size: u64,
        reader: &mut dyn std::io::Read,
        _pool: &drydock_source::Pool,
    ) -> std::io::Result<Vec<u8>> {
        let mut data = Vec::with_capacity(size as usize);
        std::io::Read::take(reader, MAX_FILE).read_to_end(&mut data)?;
        let matches = rules().scan(path, &data);
        if matches.is_empty() {
            return Ok(Vec::new());
        }
        serde_json::to_vec(&matches).map_err(std::io::Error::other)
    }
}

/// The probe with its id, for the layer pass.
pub fn probe() -> (String, Arc<dyn Probe>) {
    (PROBE_ID.to_string(), Arc::new(SecretProbe))
}

/// A secret found in a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The rule's id.
    pub rule: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    /// The layer that holds the file.
    pub layer: usize,
    /// The file, as an absolute image path.
    pub path: String,
    /// The line, for a content match.
    pub line: Option<usize>,
    /// The masked match, for a content match.
    pub excerpt: Option<String>,
    /// Still in the final image (not deleted or replaced by a later layer).
    pub visible: bool,
}

/// Every secret in every layer.
pub fn find(fs: &Filesystem) -> Vec<Found> {
    let rules = rules();
    let mut out = Vec::new();
    for listing in fs.listings() {
        let visible = |path: &str| fs.node(path).is_some_and(|n| n.layer == listing.index);
        for (path, summary) in &listing.content {
            let Ok(matches) = serde_json::from_slice::<Vec<Match>>(summary) else {
                continue;
            };
            for m in matches {
                let Some(rule) = rules.content_rule(&m.rule) else {
                    continue;
                };
                out.push(Found {
                    rule: rule.id.clone(),
                    title: rule.title.clone(),
                    level: rule.level,
                    layer: listing.index,
                    path: ImagePath::new(path).absolute(),
                    line: Some(m.line),
                    excerpt: Some(m.excerpt),
                    visible: visible(path),
                });
            }
        }
        for e in &listing.entries {
            for rule in rules.path_matches(&e.path) {
                out.push(Found {
                    rule: rule.id.clone(),
                    title: rule.title.clone(),
                    level: rule.level,
                    layer: listing.index,
                    path: ImagePath::new(&e.path).absolute(),
                    line: None,
                    excerpt: None,
                    visible: visible(&e.path),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
