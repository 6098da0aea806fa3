//! `.drydock.toml`: what a team changes about the rules.
//!
//! ```toml
//! ignore = ["DL3008", "from-no-digest"]
//! failure-threshold = "warning"
//! trusted-registries = ["docker.io", "*.corp.example"]
//! strict-labels = false
//! [severity]
//! DL3059 = "style"
//! [labels]
//! maintainer = "email"   # text | url | rfc3339 | spdx | hash | semver | email
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::registry::{Rule, Severity};

/// The value type a schema label must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    /// Any text.
    Text,
    /// An absolute URL.
    Url,
    /// An RFC 3339 time.
    Rfc3339,
    /// An SPDX licence expression.
    Spdx,
    /// A git commit hash (7 or 40 hex digits).
    Hash,
    /// A semantic version.
    Semver,
    /// An e-mail address.
    Email,
}

/// `.drydock.toml`'s `[lint]` settings, or Hadolint's configuration keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Rule ids (drydock's or Hadolint's) never reported.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Opt-in rules to turn on.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Severity per rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Findings at or above this severity fail the run. `none` never fails.
    #[serde(default)]
    pub failure_threshold: Option<String>,
    /// Registries base images may come from; empty means any.
    #[serde(default)]
    pub trusted_registries: Vec<String>,
    /// Labels every image must carry, and their value types.
    #[serde(default)]
    pub labels: BTreeMap<String, LabelType>,
    /// Labels outside `labels` are findings.
    #[serde(default)]
    pub strict_labels: bool,
    /// Turn every rule on, opt-in ones included (used to compare rule by rule).
    #[serde(skip)]
    pub all_rules: bool,
    /// `drydock audit`'s table, read by that command.
    #[serde(default, rename = "audit")]
    pub _audit: Option<toml::Table>,
}

/// Why a lint configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `.drydock.toml` that is not TOML, or has keys or values drydock does not take.
    #[error("{}", .0.message())]
    Toml(#[from] toml::de::Error),
    /// `.hadolint.yaml` that is not YAML of Hadolint's shape (the parser's first line).
    #[error("{0}")]
    Yaml(String),
    /// A rule id or name that no rule has.
    #[error("unknown rule `{0}`")]
    UnknownRule(String),
    /// A `failure-threshold` that is not a severity.
    #[error("failure-threshold `{0}`: expected error, warning, info, style or none")]
    FailureThreshold(String),
    /// A `label-schema` entry of a type Hadolint does not define.
    #[error("label-schema {label}: unknown type `{kind}`")]
    LabelType {
        /// The label.
        label: String,
        /// The type given.
        kind: String,
    },
}

impl Config {
    /// Reads the configuration; unknown keys are errors.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        for id in config
            .ignore
            .iter()
            .chain(&config.enable)
            .chain(config.severity.keys())
        {
            if crate::registry::rule(id).is_none() {
                return Err(ConfigError::UnknownRule(id.clone()));
            }
        }
        if let Some(t) = &config.failure_threshold
            && t != "none"
            && Severity::parse(t).is_none()
        {
            return Err(ConfigError::FailureThreshold(t.clone()));
        }
        Ok(config)
    }

    fn names(list: &[String], rule: &Rule) -> bool {
        list.iter().any(|id| crate::registry::named(rule, id))
    }

    /// Whether the rule is reported.
    pub fn enabled(&self, rule: &Rule) -> bool {
        if self.all_rules {
            return true;
        }
        !Self::names(&self.ignore, rule) && (!rule.opt_in || Self::names(&self.enable, rule))
    }

    /// The rule's severity after overrides.
    pub fn severity(&self, rule: &Rule) -> Severity {
        self.severity
            .iter()
            .find(|(id, _)| crate::registry::named(rule, id))
            .map_or(rule.severity, |(_, s)| *s)
    }

    /// The registry is allowed (`*` and `*.domain` patterns work).
    pub fn registry_trusted(&self, registry: &str) -> bool {
        self.trusted_registries.is_empty()
            || self.trusted_registries.iter().any(|p| {
                p == "*"
                    || p.eq_ignore_ascii_case(registry)
                    || p.strip_prefix("*.").is_some_and(|d| {
                        registry.len() > d.len() + 1
                            && registry
                                .to_ascii_lowercase()
                                .ends_with(&format!(".{}", d.to_ascii_lowercase()))
                    })
            })
    }
}

/// Hadolint's `.hadolint.yaml`, so a team switching keeps its configuration.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct HadolintYaml {
    #[serde(default)]
    ignored: Vec<String>,
    #[serde(default)]
    failure_threshold: Option<String>,
    #[serde(default)]
    no_fail: bool,
    #[serde(default)]
    r#override: HadolintOverride,
    #[serde(default, rename = "trustedRegistries")]
    trusted_registries: Option<OneOrMany>,
    #[serde(default)]
    label_schema: BTreeMap<String, String>,
    #[serde(default)]
    strict_labels: bool,
}

#[derive(Deserialize, Default)]
struct HadolintOverride {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    warning: Vec<String>,
    #[serde(default)]
    info: Vec<String>,
    #[serde(default)]
    style: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Config {
    /// Reads Hadolint's configuration file format. Keys drydock has no use for (`format`,
    /// `no-color`, `disable-ignore-pragma`) are accepted and ignored; unknown rule ids are errors.
    pub fn from_hadolint_yaml(text: &str) -> Result<Config, ConfigError> {
        let y: HadolintYaml = serde_saphyr::from_str(text)
            .map_err(|e| ConfigError::Yaml(e.to_string().lines().next().unwrap_or_default().to_string()))?;
        let mut config = Config {
            ignore: y.ignored,
            strict_labels: y.strict_labels,
            ..Config::default()
        };
        for (level, ids) in [
            (Severity::Error, y.r#override.error),
            (Severity::Warning, y.r#override.warning),
            (Severity::Info, y.r#override.info),
            (Severity::Style, y.r#override.style),
        ] {
            for id in ids {
                config.severity.insert(id, level);
            }
        }
        config.trusted_registries = match y.trusted_registries {
            Some(OneOrMany::One(r)) => vec![r],
            Some(OneOrMany::Many(rs)) => rs,
            None => Vec::new(),
        };
        for (label, kind) in y.label_schema {
            let kind = match kind.as_str() {
                "text" => LabelType::Text,
                "url" => LabelType::Url,
                "rfc3339" => LabelType::Rfc3339,
                "spdx" => LabelType::Spdx,
                "hash" => LabelType::Hash,
                "semver" => LabelType::Semver,
                "email" => LabelType::Email,
                other => {
                    return Err(ConfigError::LabelType {
                        label,
                        kind: other.to_string(),
                    });
                }
            };
            config.labels.insert(label, kind);
        }
        config.failure_threshold = match (y.no_fail, y.failure_threshold.as_deref()) {
            (true, _) | (_, Some("none" | "ignore")) => Some("none".into()),
            (_, t) => t.map(str::to_string),
        };
        for id in config.ignore.iter().chain(config.severity.keys()) {
            if crate::registry::rule(id).is_none() {
                return Err(ConfigError::UnknownRule(id.clone()));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_checks_a_config() {
        let c = Config::from_toml(
            "ignore = [\"DL3008\"]\nfailure-threshold = \"error\"\ntrusted-registries = [\"*.corp.io\"]\n[severity]\nrun-consecutive = \"style\"\n[labels]\nmaintainer = \"email\"\n",
        )
        .unwrap();
        assert!(!c.enabled(crate::registry::rule("apt-unpinned").unwrap()));
        assert_eq!(
            c.severity(crate::registry::rule("DL3059").unwrap()),
            Severity::Style
        );
        assert!(c.registry_trusted("a.corp.io") && !c.registry_trusted("corp.io.evil"));
        assert!(matches!(
            Config::from_toml("ignore = [\"DL9999\"]"),
            Err(ConfigError::UnknownRule(id)) if id == "DL9999"
        ));
        assert!(matches!(
            Config::from_toml("colour = 1"),
            Err(ConfigError::Toml(_))
        ));
        for ok in ["none", "warning", "Style"] {
            assert!(
                Config::from_toml(&format!("failure-threshold = \"{ok}\"")).is_ok(),
                "{ok}"
            );
        }
        assert_eq!(
            Config::from_toml("failure-threshold = \"bogus\"")
                .unwrap_err()
                .to_string(),
            "failure-threshold `bogus`: expected error, warning, info, style or none"
        );
    }

    #[test]
    fn reads_hadolint_yaml() {
        let c = Config::from_hadolint_yaml(
            "ignored:\n  - DL3008\noverride:\n  error: [DL3059]\ntrustedRegistries: docker.io\nlabel-schema:\n  maintainer: email\nstrict-labels: true\nfailure-threshold: error\nno-color: true\n",
        )
        .unwrap();
        assert!(!c.enabled(crate::registry::rule("apt-unpinned").unwrap()));
        assert_eq!(
            c.severity(crate::registry::rule("run-consecutive").unwrap()),
            Severity::Error
        );
        assert_eq!(c.trusted_registries, ["docker.io"]);
        assert_eq!(c.labels.get("maintainer"), Some(&LabelType::Email));
        assert!(c.strict_labels);
        assert_eq!(c.failure_threshold.as_deref(), Some("error"));
        assert!(matches!(
            Config::from_hadolint_yaml("ignored: [DL9999]\n"),
            Err(ConfigError::UnknownRule(id)) if id == "DL9999"
        ));
        assert_eq!(
            Config::from_hadolint_yaml("label-schema:\n  team: colour\n")
                .unwrap_err()
                .to_string(),
            "label-schema team: unknown type `colour`"
        );
    }
}
