//! SARIF 2.1.0, the one writer behind `scan`, `audit` and `lint`: the log, its run, the
//! rules and results, as serde structs. Each command fills in its own rules and results.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{TOOL_NAME, TOOL_VERSION};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/drydock-scan/drydock";

/// A result's or rule's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `note`.
    Note,
}

/// A SARIF message.
#[derive(Debug, Clone, Serialize)]
pub struct Text {
    /// Its text.
    pub text: String,
}

impl Text {
    /// A message.
    pub fn new(text: impl Into<String>) -> Text {
        Text { text: text.into() }
    }
}

/// One rule of the tool's driver.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule id.
    pub id: String,
    /// A name without spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One line.
    pub short_description: Text,
    /// More.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Text>,
    /// Where to read about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Its default level.
    pub default_configuration: Configuration,
    /// Tool-specific properties (GitHub reads `security-severity` and `tags`).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub properties: serde_json::Value,
}

/// A rule's default configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Configuration {
    /// Its level.
    pub level: Level,
}

/// A place a result points at: a file (a Dockerfile, or the image named as a path) and a
/// region in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file and region.
    pub physical_location: PhysicalLocation,
    /// What is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

/// A file and a region in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The region.
    pub region: Region,
}

/// A file.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactLocation {
    /// Its URI (see [`crate::sarif_uri`]).
    pub uri: String,
}

/// Lines and a column.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based.
    pub start_line: usize,
    /// The last line, when more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    /// 1-based.
    pub start_column: usize,
}

impl Location {
    /// `uri` (see [`crate::sarif_uri`] for files) from `start_line` to `end_line`.
    pub fn at(uri: String, start_line: usize, end_line: Option<usize>, column: usize) -> Location {
        Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: Region {
                    start_line: start_line.max(1),
                    end_line,
                    start_column: column.max(1),
                },
            },
            message: None,
        }
    }

    /// The image itself, named as a relative path (`registry/app/1.0` for `registry/app:1.0`):
    /// code scanning wants a file, and an image is what the finding is in.
    pub fn image(name: &str, message: impl Into<String>) -> Location {
        Location {
            message: Some(Text::new(message)),
            ..Location::at(
                name.replace(':', "/").trim_start_matches('/').to_string(),
                1,
                None,
                1,
            )
        }
    }

    /// The location with a message.
    pub fn with_message(mut self, message: impl Into<String>) -> Location {
        self.message = Some(Text::new(message));
        self
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id.
    pub rule_id: String,
    /// Its index in the driver's rules.
    pub rule_index: usize,
    /// Its level.
    pub level: Level,
    /// What was found.
    pub message: Text,
    /// Where.
    pub locations: Vec<Location>,
    /// `new`, `unchanged`, `updated` or `absent` against a baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    /// Stable identities code scanning tracks results by.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub partial_fingerprints: BTreeMap<String, String>,
    /// drydock's own fields.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub properties: serde_json::Value,
}

/// Rules in the order results first name them, each with its index.
#[derive(Default)]
pub struct Rules {
    rules: Vec<Rule>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    /// The index of rule `id`, made by `make` the first time it is named.
    pub fn index(&mut self, id: &str, make: impl FnOnce() -> Rule) -> usize {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        self.rules.push(make());
        self.index.insert(id.to_string(), self.rules.len() - 1);
        self.rules.len() - 1
    }

    /// The rules, in index order.
    pub fn into_vec(self) -> Vec<Rule> {
        self.rules
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

/// The whole log: one run of drydock with these rules and results, and the run's own
/// `properties` when the command records more (scan keeps its inventory there).
pub fn render(rules: Vec<Rule>, results: Vec<SarifResult>, properties: Option<&serde_json::Value>) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version: TOOL_VERSION,
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            results,
            properties,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}
