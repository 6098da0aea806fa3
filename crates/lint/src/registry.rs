//! Every rule drydock knows: its id, the Hadolint rule it corresponds to, its default severity.

use serde::{Deserialize, Serialize};

/// How much a finding matters; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Style,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "style" => Severity::Style,
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Style => "style",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's fixed description.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub hadolint: Option<&'static str>,
    pub severity: Severity,
    /// Off unless a configuration turns it on.
    pub opt_in: bool,
    pub summary: &'static str,
}

const fn r(id: &'static str, hadolint: &'static str, severity: Severity, summary: &'static str) -> Rule {
    Rule {
        id,
        hadolint: if hadolint.is_empty() { None } else { Some(hadolint) },
        severity,
        opt_in: false,
        summary,
    }
}

use Severity::*;

pub static RULES: &[Rule] = &[
    Rule {
        opt_in: true,
        ..r(
            "inline-ignore-pragma",
            "DL1001",
            Info,
            "An inline ignore pragma hides a finding",
        )
    },
    r(
        "workdir-relative",
        "DL3000",
        Error,
        "WORKDIR must be an absolute path",
    ),
    r(
        "interactive-command",
        "DL3001",
        Info,
        "Commands such as ssh, vim, top or service have no use in an image build",
    ),
    r(
        "last-user-root",
        "DL3002",
        Warning,
        "The stage ends running as root",
    ),
    r("cd-in-run", "DL3003", Warning, "Use WORKDIR instead of cd"),
    r(
        "sudo",
        "DL3004",
        Error,
        "sudo in a build step; use USER, or gosu at run time",
    ),
    r("from-untagged", "DL3006", Warning, "Base image without a tag"),
    r("from-latest", "DL3007", Warning, "Base image tagged latest"),
    r(
        "apt-unpinned",
        "DL3008",
        Warning,
        "apt-get install without pinned versions",
    ),
    r(
        "apt-lists-kept",
        "DL3009",
        Info,
        "apt lists not deleted after installing",
    ),
    r(
        "copy-then-extract",
        "DL3010",
        Info,
        "An archive is copied and then extracted; ADD extracts it in one layer",
    ),
    r(
        "expose-port-range",
        "DL3011",
        Error,
        "EXPOSE port outside 0-65535",
    ),
    r(
        "healthcheck-repeated",
        "DL3012",
        Error,
        "More than one HEALTHCHECK in a stage",
    ),
    r(
        "pip-unpinned",
        "DL3013",
        Warning,
        "pip install without pinned versions",
    ),
    r("apt-no-yes", "DL3014", Warning, "apt-get install without -y"),
    r(
        "apt-recommends",
        "DL3015",
        Info,
        "apt-get install without --no-install-recommends",
    ),
    r(
        "npm-unpinned",
        "DL3016",
        Warning,
        "npm install without pinned versions",
    ),
    r(
        "apk-unpinned",
        "DL3018",
        Warning,
        "apk add without pinned versions",
    ),
    r("apk-cache", "DL3019", Info, "apk add without --no-cache"),
    r(
        "add-local-file",
        "DL3020",
        Error,
        "ADD for a plain local file; use COPY",
    ),
    r(
        "copy-dest-not-dir",
        "DL3021",
        Error,
        "COPY with several sources needs a destination ending in /",
    ),
    r(
        "copy-from-unknown",
        "DL3022",
        Warning,
        "COPY --from names no earlier stage",
    ),
    r(
        "copy-from-self",
        "DL3023",
        Error,
        "COPY --from names its own stage",
    ),
    r("stage-name-repeated", "DL3024", Error, "Two stages share a name"),
    r(
        "shell-form-cmd",
        "DL3025",
        Warning,
        "CMD or ENTRYPOINT in shell form; use the JSON (exec) form",
    ),
    r(
        "untrusted-registry",
        "DL3026",
        Error,
        "Base image from a registry that is not trusted",
    ),
    r(
        "apt-command",
        "DL3027",
        Warning,
        "apt is for people; use apt-get or apt-cache in scripts",
    ),
    r(
        "gem-unpinned",
        "DL3028",
        Warning,
        "gem install without pinned versions",
    ),
    r(
        "from-platform",
        "DL3029",
        Warning,
        "FROM --platform fixed to one platform",
    ),
    r("yum-no-yes", "DL3030", Warning, "yum install without -y"),
    r("yum-cache", "DL3032", Warning, "yum clean all missing after yum"),
    r(
        "yum-unpinned",
        "DL3033",
        Warning,
        "yum install without pinned versions",
    ),
    r(
        "zypper-no-yes",
        "DL3034",
        Warning,
        "zypper without a non-interactive switch",
    ),
    r(
        "zypper-dist-upgrade",
        "DL3035",
        Warning,
        "zypper dist-upgrade in a build",
    ),
    r(
        "zypper-cache",
        "DL3036",
        Warning,
        "zypper clean missing after zypper",
    ),
    r(
        "zypper-unpinned",
        "DL3037",
        Warning,
        "zypper install without pinned versions",
    ),
    r("dnf-no-yes", "DL3038", Warning, "dnf install without -y"),
    r("dnf-cache", "DL3040", Warning, "dnf clean all missing after dnf"),
    r(
        "dnf-unpinned",
        "DL3041",
        Warning,
        "dnf install without pinned versions",
    ),
    r(
        "pip-cache",
        "DL3042",
        Warning,
        "pip install without --no-cache-dir",
    ),
    r(
        "onbuild-forbidden",
        "DL3043",
        Error,
        "ONBUILD cannot trigger FROM, ONBUILD or MAINTAINER",
    ),
    r(
        "env-self-reference",
        "DL3044",
        Error,
        "ENV refers to a variable defined in the same instruction",
    ),
    r(
        "copy-relative-no-workdir",
        "DL3045",
        Warning,
        "COPY to a relative path with no WORKDIR set",
    ),
    r(
        "useradd-large-uid",
        "DL3046",
        Warning,
        "useradd with a high UID and without -l bloats the image",
    ),
    r(
        "wget-progress",
        "DL3047",
        Info,
        "wget without --progress floods build logs",
    ),
    r("label-key-invalid", "DL3048", Style, "Invalid label key"),
    r("label-missing", "DL3049", Info, "A required label is missing"),
    r(
        "label-superfluous",
        "DL3050",
        Info,
        "A label outside the schema (strict labels)",
    ),
    r("label-empty", "DL3051", Warning, "A schema label is empty"),
    r("label-not-url", "DL3052", Warning, "A schema label is not a URL"),
    r(
        "label-not-rfc3339",
        "DL3053",
        Warning,
        "A schema label is not an RFC 3339 time",
    ),
    r(
        "label-not-spdx",
        "DL3054",
        Warning,
        "A schema label is not an SPDX licence expression",
    ),
    r(
        "label-not-git-hash",
        "DL3055",
        Warning,
        "A schema label is not a git hash",
    ),
    r(
        "label-not-semver",
        "DL3056",
        Warning,
        "A schema label is not a semantic version",
    ),
    r(
        "healthcheck-missing",
        "DL3057",
        Info,
        "The image has no HEALTHCHECK",
    ),
    r(
        "label-not-email",
        "DL3058",
        Warning,
        "A schema label is not an email address",
    ),
    r(
        "run-consecutive",
        "DL3059",
        Info,
        "Consecutive RUN instructions could be one layer",
    ),
    r(
        "yarn-cache",
        "DL3060",
        Info,
        "yarn cache clean missing after yarn install",
    ),
    r(
        "instruction-before-from",
        "DL3061",
        Error,
        "An instruction other than ARG before the first FROM",
    ),
    r(
        "go-unpinned",
        "DL3062",
        Warning,
        "go install/get/run without a pinned version",
    ),
    r(
        "stage-name-reserved",
        "DL3063",
        Warning,
        "A stage named after a reserved word",
    ),
    r(
        "secret-in-env",
        "DL3064",
        Warning,
        "A secret in ENV or ARG stays in the image history",
    ),
    r(
        "from-platform-redundant",
        "DL3065",
        Warning,
        "FROM --platform=$TARGETPLATFORM is the default",
    ),
    r(
        "user-non-numeric",
        "DL3066",
        Info,
        "A user name may not resolve on the host; use a numeric id",
    ),
    r(
        "copy-whole-stage",
        "DL3067",
        Warning,
        "COPY --from copies a stage's entire filesystem",
    ),
    r(
        "maintainer",
        "DL4000",
        Error,
        "MAINTAINER is deprecated; use a label",
    ),
    r(
        "wget-and-curl",
        "DL4001",
        Warning,
        "Both wget and curl in one stage",
    ),
    r(
        "cmd-repeated",
        "DL4003",
        Warning,
        "More than one CMD in a stage; only the last counts",
    ),
    r(
        "entrypoint-repeated",
        "DL4004",
        Error,
        "More than one ENTRYPOINT in a stage; only the last counts",
    ),
    r("relink-sh", "DL4005", Warning, "Replacing /bin/sh; use SHELL"),
    r(
        "pipefail",
        "DL4006",
        Warning,
        "A pipe in RUN without `set -o pipefail` in SHELL",
    ),
    r(
        "shell-unquoted-variable",
        "SC2086",
        Info,
        "Unquoted variable: word splitting and globbing",
    ),
    r(
        "shell-unassigned-variable",
        "SC2154",
        Warning,
        "A variable is referenced but never assigned",
    ),
    r(
        "shell-misspelled-variable",
        "SC2153",
        Info,
        "A variable name is one letter away from a known one",
    ),
    r(
        "shell-not-posix",
        "SC3046",
        Warning,
        "A bash-only construct under /bin/sh",
    ),
    r("from-no-digest", "", Info, "Base image not pinned by digest"),
    r(
        "build-tools-single-stage",
        "",
        Warning,
        "Build tools installed into the shipped image; use a multi-stage build",
    ),
    r(
        "apt-update-alone",
        "",
        Warning,
        "apt-get update in a layer of its own; later installs use a stale cache",
    ),
    r(
        "implicit-root",
        "",
        Warning,
        "The final stage never sets USER, so it runs as root",
    ),
    r(
        "pipe-to-shell",
        "",
        Warning,
        "A download piped straight into a shell",
    ),
    r("add-remote-url", "", Warning, "ADD from a URL without --checksum"),
    r(
        "volume-then-write",
        "",
        Warning,
        "Writes under a VOLUME after it is declared are discarded",
    ),
    r(
        "instruction-casing",
        "",
        Style,
        "Instruction keywords mix upper and lower case",
    ),
    r("from-as-casing", "", Style, "FROM and AS differ in case"),
    r("stage-name-casing", "", Style, "A stage name is not lower case"),
    r(
        "empty-continuation",
        "",
        Warning,
        "An empty line continues an instruction; BuildKit will reject this",
    ),
    r(
        "legacy-key-value",
        "",
        Warning,
        "ENV/ARG/LABEL in the legacy `key value` form; use key=value",
    ),
    r(
        "expose-invalid-format",
        "",
        Warning,
        "EXPOSE with an IP address or host port; publish ports at run time",
    ),
    r(
        "expose-proto-casing",
        "",
        Style,
        "EXPOSE protocol not in lower case",
    ),
    r(
        "from-arg-invalid-default",
        "",
        Warning,
        "FROM is not a valid reference without --build-arg",
    ),
    r(
        "from-arg-undefined",
        "",
        Warning,
        "FROM uses a build argument no global ARG declares",
    ),
    r(
        "undefined-var",
        "",
        Warning,
        "A variable is used before any ARG or ENV declares it",
    ),
    r(
        "shell-unquoted-substitution",
        "SC2046",
        Warning,
        "Unquoted command substitution: word splitting",
    ),
    r(
        "shell-useless-cat",
        "SC2002",
        Style,
        "cat of one file into a pipe; redirect the file instead",
    ),
    r(
        "shell-bash-variable",
        "SC3028",
        Warning,
        "A bash-only variable ($RANDOM, $UID…) under /bin/sh",
    ),
    r(
        "shell-deprecated-grep",
        "SC2196",
        Info,
        "egrep and fgrep are deprecated; use grep -E or grep -F",
    ),
    r(
        "shell-useless-echo",
        "SC2116",
        Style,
        "$(echo …) only repeats its words",
    ),
];

/// drydock rules and the BuildKit build check each corresponds to.
static BUILDKIT: &[(&str, &str)] = &[
    ("instruction-casing", "ConsistentInstructionCasing"),
    ("from-as-casing", "FromAsCasing"),
    ("stage-name-casing", "StageNameCasing"),
    ("empty-continuation", "NoEmptyContinuation"),
    ("legacy-key-value", "LegacyKeyValueFormat"),
    ("expose-invalid-format", "ExposeInvalidFormat"),
    ("expose-proto-casing", "ExposeProtoCasing"),
    ("from-arg-invalid-default", "InvalidDefaultArgInFrom"),
    ("from-arg-undefined", "UndefinedArgInFrom"),
    ("undefined-var", "UndefinedVar"),
    ("stage-name-repeated", "DuplicateStageName"),
    ("shell-form-cmd", "JSONArgsRecommended"),
    ("maintainer", "MaintainerDeprecated"),
    ("cmd-repeated", "MultipleInstructionsDisallowed"),
    ("entrypoint-repeated", "MultipleInstructionsDisallowed"),
    ("healthcheck-repeated", "MultipleInstructionsDisallowed"),
    ("from-platform-redundant", "RedundantTargetPlatform"),
    ("stage-name-reserved", "ReservedStageName"),
    ("secret-in-env", "SecretsUsedInArgOrEnv"),
    ("workdir-relative", "WorkdirRelativePath"),
    ("from-platform", "FromPlatformFlagConstDisallowed"),
];

/// The BuildKit build check a rule corresponds to, if any.
pub fn buildkit(rule_id: &str) -> Option<&'static str> {
    BUILDKIT.iter().find(|(id, _)| *id == rule_id).map(|(_, bk)| *bk)
}

/// drydock rules that correspond to a BuildKit check.
pub fn for_buildkit(check: &str) -> Vec<&'static str> {
    BUILDKIT
        .iter()
        .filter(|(_, bk)| *bk == check)
        .map(|(id, _)| *id)
        .collect()
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id == id || r.hadolint == Some(id))
        .or_else(|| {
            for_buildkit(id)
                .first()
                .and_then(|id| RULES.iter().find(|r| r.id == *id))
        })
}

/// `id` names the rule: drydock's id, its Hadolint id or its BuildKit check.
pub fn named(rule: &Rule, id: &str) -> bool {
    id == rule.id || Some(id) == rule.hadolint || Some(id) == buildkit(rule.id)
}
