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
    Text,
    Url,
    Rfc3339,
    Spdx,
    Hash,
    Semver,
    Email,
}

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
}

impl Config {
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.message().to_string())?;
        for id in config
            .ignore
            .iter()
            .chain(&config.enable)
            .chain(config.severity.keys())
        {
            if crate::registry::rule(id).is_none() {
                return Err(format!("unknown rule `{id}`"));
            }
        }
        if let Some(t) = &config.failure_threshold
            && t != "none"
            && Severity::parse(t).is_none()
        {
            return Err(format!(
                "failure-threshold `{t}`: expected error, warning, info, style or none"
            ));
        }
        Ok(config)
    }

    fn names(list: &[String], rule: &Rule) -> bool {
        list.iter().any(|id| crate::registry::named(rule, id))
    }

    pub fn enabled(&self, rule: &Rule) -> bool {
        if self.all_rules {
            return true;
        }
        !Self::names(&self.ignore, rule) && (!rule.opt_in || Self::names(&self.enable, rule))
    }

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
        assert!(
            Config::from_toml("ignore = [\"DL9999\"]")
                .unwrap_err()
                .contains("DL9999")
        );
        assert!(Config::from_toml("colour = 1").is_err());
    }
}
