//! The `[audit]` table of `.drydock.toml`: suppressions with reasons and expiry, and dive's
//! thresholds.
//!
//! ```toml
//! [audit]
//! lowest-efficiency = 0.95
//! highest-wasted-bytes = 20000000
//! highest-user-wasted-percent = 0.05
//! [[audit.ignore]]
//! id = "CIS-DI-0008"
//! path = "/usr/bin/*"          # optional: only findings at these paths
//! reason = "setuid binaries of the base image, reviewed"
//! expires = 2027-06-30         # optional: it stops suppressing after this day
//! ```

use serde::Deserialize;

use crate::{Finding, Thresholds};

/// `.drydock.toml`'s `[audit]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuditConfig {
    /// Findings not to report.
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    /// Overrides the efficiency threshold.
    pub lowest_efficiency: Option<f64>,
    /// Overrides the wasted-bytes threshold.
    pub highest_wasted_bytes: Option<u64>,
    /// Overrides the user-wasted share threshold.
    pub highest_user_wasted_percent: Option<f64>,
}

/// One ignored finding.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    /// The check id (`CIS-DI-0001`).
    pub id: String,
    /// Only at this path, when given.
    #[serde(default)]
    pub path: Option<String>,
    /// Why: reports show it.
    pub reason: String,
    /// From this date on the finding is reported again.
    #[serde(default)]
    pub expires: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    audit: AuditConfig,
}

/// Why an `[audit]` table was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or keys or values drydock does not take.
    #[error("{}", .0.message())]
    Toml(#[from] toml::de::Error),
    /// An ignore entry without the reason a reviewer needs.
    #[error("ignore entry for {id}: a reason is required")]
    NoReason {
        /// The ignored check's id.
        id: String,
    },
}

impl AuditConfig {
    /// The `[audit]` table of a `.drydock.toml` (other tables belong to other commands).
    pub fn from_toml(text: &str) -> Result<AuditConfig, ConfigError> {
        let file: File = toml::from_str(text)?;
        for i in &file.audit.ignore {
            if i.reason.trim().is_empty() {
                return Err(ConfigError::NoReason { id: i.id.clone() });
            }
        }
        Ok(file.audit)
    }

    /// dive's defaults, overridden by the file.
    pub fn thresholds(&self) -> Thresholds {
        let d = Thresholds::default();
        Thresholds {
            lowest_efficiency: self.lowest_efficiency.or(d.lowest_efficiency),
            highest_wasted_bytes: self.highest_wasted_bytes.or(d.highest_wasted_bytes),
            highest_user_wasted_percent: self.highest_user_wasted_percent.or(d.highest_user_wasted_percent),
        }
    }

    /// The entry that suppresses `f` today, if any; expired or undated-wrong entries are
    /// warnings instead.
    pub fn suppressing(
        &self,
        f: &Finding,
        today: jiff::civil::Date,
        warnings: &mut Vec<String>,
    ) -> Option<&Ignore> {
        for i in &self.ignore {
            let id_matches =
                i.id == f.id || (i.id.ends_with("/*") && f.id.starts_with(i.id.trim_end_matches('*')));
            let path_matches = match (&i.path, &f.path) {
                (None, _) => true,
                (Some(p), Some(path)) => drydock_source::Pattern::new(p.trim_start_matches('/'))
                    .matches(path.trim_start_matches('/')),
                (Some(_), None) => false,
            };
            if !(id_matches && path_matches) {
                continue;
            }
            if let Some(exp) = &i.expires {
                let date = exp
                    .date
                    .and_then(|d| jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok());
                match date {
                    Some(d) if d < today => {
                        warnings.push(format!(
                            "audit ignore entry for {} expired on {d}: it no longer suppresses",
                            i.id
                        ));
                        continue;
                    }
                    None => {
                        warnings.push(format!(
                            "audit ignore entry for {}: expires must be a date (YYYY-MM-DD)",
                            i.id
                        ));
                        continue;
                    }
                    _ => {}
                }
            }
            return Some(i);
        }
        None
    }
}
