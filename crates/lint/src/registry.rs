//! Every rule drydock knows: its id, the Hadolint rule it corresponds to, its default severity.

use serde::{Deserialize, Serialize};

/// How much a finding matters; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Layout and naming.
    Style,
    /// Worth knowing.
    Info,
    /// Likely a problem.
    Warning,
    /// A bug or a security problem.
    Error,
}

impl Severity {
    /// Reads `style`, `info`, `warning` (or `warn`) and `error`, in any case.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "style" => Severity::Style,
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }
    /// The lower-case name.
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
    /// Its identity.
    pub key: RuleId,
    /// drydock's id, as findings, pragmas and configuration name the rule.
    pub id: &'static str,
    /// The Hadolint rule it corresponds to (`DL3008`, `SC2086`).
    pub hadolint: Option<&'static str>,
    /// The BuildKit build check it corresponds to (`WorkdirRelativePath`).
    pub buildkit: Option<&'static str>,
    /// Its default severity.
    pub severity: Severity,
    /// Off unless a configuration turns it on.
    pub opt_in: bool,
    /// One line on what it finds.
    pub summary: &'static str,
}

/// Declares every rule once: the [`RuleId`] variant and its [`Rule`] come from one entry, so an
/// id that is emitted is registered by construction.
macro_rules! rules {
    ($($variant:ident {
        id: $id:literal,
        hadolint: $hadolint:literal,
        buildkit: $buildkit:literal,
        severity: $severity:ident,
        opt_in: $opt_in:literal,
        summary: $summary:literal,
    })*) => {
        /// A rule's identity. Rules emit findings by it, so a rule that is not registered
        /// cannot be emitted.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(#[doc = $summary] $variant),*
        }

        /// Every rule, in the order `drydock lint --list-rules` shows them.
        pub static RULES: &[Rule] = &[$(Rule {
            key: RuleId::$variant,
            id: $id,
            hadolint: if $hadolint.is_empty() { None } else { Some($hadolint) },
            buildkit: if $buildkit.is_empty() { None } else { Some($buildkit) },
            severity: $severity,
            opt_in: $opt_in,
            summary: $summary,
        }),*];
    };
}

impl RuleId {
    /// The rule's description.
    pub fn rule(self) -> &'static Rule {
        // RULES lists the variants in declaration order.
        &RULES[self as usize]
    }

    /// drydock's id (`workdir-relative`).
    pub fn as_str(self) -> &'static str {
        self.rule().id
    }
}

use Severity::*;

rules! {
    InlineIgnorePragma {
        id: "inline-ignore-pragma",
        hadolint: "DL1001",
        buildkit: "",
        severity: Info,
        opt_in: true,
        summary: "An inline ignore pragma hides a finding",
    }
    WorkdirRelative {
        id: "workdir-relative",
        hadolint: "DL3000",
        buildkit: "WorkdirRelativePath",
        severity: Error,
        opt_in: false,
        summary: "WORKDIR must be an absolute path",
    }
    InteractiveCommand {
        id: "interactive-command",
        hadolint: "DL3001",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "Commands such as ssh, vim, top or service have no use in an image build",
    }
    LastUserRoot {
        id: "last-user-root",
        hadolint: "DL3002",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "The stage ends running as root",
    }
    CdInRun {
        id: "cd-in-run",
        hadolint: "DL3003",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Use WORKDIR instead of cd",
    }
    Sudo {
        id: "sudo",
        hadolint: "DL3004",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "sudo in a build step; use USER, or gosu at run time",
    }
    FromUntagged {
        id: "from-untagged",
        hadolint: "DL3006",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Base image without a tag",
    }
    FromLatest {
        id: "from-latest",
        hadolint: "DL3007",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Base image tagged latest",
    }
    AptUnpinned {
        id: "apt-unpinned",
        hadolint: "DL3008",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "apt-get install without pinned versions",
    }
    AptListsKept {
        id: "apt-lists-kept",
        hadolint: "DL3009",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "apt lists not deleted after installing",
    }
    CopyThenExtract {
        id: "copy-then-extract",
        hadolint: "DL3010",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "An archive is copied and then extracted; ADD extracts it in one layer",
    }
    ExposePortRange {
        id: "expose-port-range",
        hadolint: "DL3011",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "EXPOSE port outside 0-65535",
    }
    HealthcheckRepeated {
        id: "healthcheck-repeated",
        hadolint: "DL3012",
        buildkit: "MultipleInstructionsDisallowed",
        severity: Error,
        opt_in: false,
        summary: "More than one HEALTHCHECK in a stage",
    }
    PipUnpinned {
        id: "pip-unpinned",
        hadolint: "DL3013",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "pip install without pinned versions",
    }
    AptNoYes {
        id: "apt-no-yes",
        hadolint: "DL3014",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "apt-get install without -y",
    }
    AptRecommends {
        id: "apt-recommends",
        hadolint: "DL3015",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "apt-get install without --no-install-recommends",
    }
    NpmUnpinned {
        id: "npm-unpinned",
        hadolint: "DL3016",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "npm install without pinned versions",
    }
    ApkUnpinned {
        id: "apk-unpinned",
        hadolint: "DL3018",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "apk add without pinned versions",
    }
    ApkCache {
        id: "apk-cache",
        hadolint: "DL3019",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "apk add without --no-cache",
    }
    AddLocalFile {
        id: "add-local-file",
        hadolint: "DL3020",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "ADD for a plain local file; use COPY",
    }
    CopyDestNotDir {
        id: "copy-dest-not-dir",
        hadolint: "DL3021",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "COPY with several sources needs a destination ending in /",
    }
    CopyFromUnknown {
        id: "copy-from-unknown",
        hadolint: "DL3022",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "COPY --from names no earlier stage",
    }
    CopyFromSelf {
        id: "copy-from-self",
        hadolint: "DL3023",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "COPY --from names its own stage",
    }
    StageNameRepeated {
        id: "stage-name-repeated",
        hadolint: "DL3024",
        buildkit: "DuplicateStageName",
        severity: Error,
        opt_in: false,
        summary: "Two stages share a name",
    }
    ShellFormCmd {
        id: "shell-form-cmd",
        hadolint: "DL3025",
        buildkit: "JSONArgsRecommended",
        severity: Warning,
        opt_in: false,
        summary: "CMD or ENTRYPOINT in shell form; use the JSON (exec) form",
    }
    UntrustedRegistry {
        id: "untrusted-registry",
        hadolint: "DL3026",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "Base image from a registry that is not trusted",
    }
    AptCommand {
        id: "apt-command",
        hadolint: "DL3027",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "apt is for people; use apt-get or apt-cache in scripts",
    }
    GemUnpinned {
        id: "gem-unpinned",
        hadolint: "DL3028",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "gem install without pinned versions",
    }
    FromPlatform {
        id: "from-platform",
        hadolint: "DL3029",
        buildkit: "FromPlatformFlagConstDisallowed",
        severity: Warning,
        opt_in: false,
        summary: "FROM --platform fixed to one platform",
    }
    YumNoYes {
        id: "yum-no-yes",
        hadolint: "DL3030",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "yum install without -y",
    }
    YumCache {
        id: "yum-cache",
        hadolint: "DL3032",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "yum clean all missing after yum",
    }
    YumUnpinned {
        id: "yum-unpinned",
        hadolint: "DL3033",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "yum install without pinned versions",
    }
    ZypperNoYes {
        id: "zypper-no-yes",
        hadolint: "DL3034",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "zypper without a non-interactive switch",
    }
    ZypperDistUpgrade {
        id: "zypper-dist-upgrade",
        hadolint: "DL3035",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "zypper dist-upgrade in a build",
    }
    ZypperCache {
        id: "zypper-cache",
        hadolint: "DL3036",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "zypper clean missing after zypper",
    }
    ZypperUnpinned {
        id: "zypper-unpinned",
        hadolint: "DL3037",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "zypper install without pinned versions",
    }
    DnfNoYes {
        id: "dnf-no-yes",
        hadolint: "DL3038",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "dnf install without -y",
    }
    DnfCache {
        id: "dnf-cache",
        hadolint: "DL3040",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "dnf clean all missing after dnf",
    }
    DnfUnpinned {
        id: "dnf-unpinned",
        hadolint: "DL3041",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "dnf install without pinned versions",
    }
    PipCache {
        id: "pip-cache",
        hadolint: "DL3042",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "pip install without --no-cache-dir",
    }
    OnbuildForbidden {
        id: "onbuild-forbidden",
        hadolint: "DL3043",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "ONBUILD cannot trigger FROM, ONBUILD or MAINTAINER",
    }
    EnvSelfReference {
        id: "env-self-reference",
        hadolint: "DL3044",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "ENV refers to a variable defined in the same instruction",
    }
    CopyRelativeNoWorkdir {
        id: "copy-relative-no-workdir",
        hadolint: "DL3045",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "COPY to a relative path with no WORKDIR set",
    }
    UseraddLargeUid {
        id: "useradd-large-uid",
        hadolint: "DL3046",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "useradd with a high UID and without -l bloats the image",
    }
    WgetProgress {
        id: "wget-progress",
        hadolint: "DL3047",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "wget without --progress floods build logs",
    }
    LabelKeyInvalid {
        id: "label-key-invalid",
        hadolint: "DL3048",
        buildkit: "",
        severity: Style,
        opt_in: false,
        summary: "Invalid label key",
    }
    LabelMissing {
        id: "label-missing",
        hadolint: "DL3049",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "A required label is missing",
    }
    LabelSuperfluous {
        id: "label-superfluous",
        hadolint: "DL3050",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "A label outside the schema (strict labels)",
    }
    LabelEmpty {
        id: "label-empty",
        hadolint: "DL3051",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is empty",
    }
    LabelNotUrl {
        id: "label-not-url",
        hadolint: "DL3052",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not a URL",
    }
    LabelNotRfc3339 {
        id: "label-not-rfc3339",
        hadolint: "DL3053",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not an RFC 3339 time",
    }
    LabelNotSpdx {
        id: "label-not-spdx",
        hadolint: "DL3054",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not an SPDX licence expression",
    }
    LabelNotGitHash {
        id: "label-not-git-hash",
        hadolint: "DL3055",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not a git hash",
    }
    LabelNotSemver {
        id: "label-not-semver",
        hadolint: "DL3056",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not a semantic version",
    }
    HealthcheckMissing {
        id: "healthcheck-missing",
        hadolint: "DL3057",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "The image has no HEALTHCHECK",
    }
    LabelNotEmail {
        id: "label-not-email",
        hadolint: "DL3058",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A schema label is not an email address",
    }
    RunConsecutive {
        id: "run-consecutive",
        hadolint: "DL3059",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "Consecutive RUN instructions could be one layer",
    }
    YarnCache {
        id: "yarn-cache",
        hadolint: "DL3060",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "yarn cache clean missing after yarn install",
    }
    InstructionBeforeFrom {
        id: "instruction-before-from",
        hadolint: "DL3061",
        buildkit: "",
        severity: Error,
        opt_in: false,
        summary: "An instruction other than ARG before the first FROM",
    }
    GoUnpinned {
        id: "go-unpinned",
        hadolint: "DL3062",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "go install/get/run without a pinned version",
    }
    StageNameReserved {
        id: "stage-name-reserved",
        hadolint: "DL3063",
        buildkit: "ReservedStageName",
        severity: Warning,
        opt_in: false,
        summary: "A stage named after a reserved word",
    }
    SecretInEnv {
        id: "secret-in-env",
        hadolint: "DL3064",
        buildkit: "SecretsUsedInArgOrEnv",
        severity: Warning,
        opt_in: false,
        summary: "A secret in ENV or ARG stays in the image history",
    }
    FromPlatformRedundant {
        id: "from-platform-redundant",
        hadolint: "DL3065",
        buildkit: "RedundantTargetPlatform",
        severity: Warning,
        opt_in: false,
        summary: "FROM --platform=$TARGETPLATFORM is the default",
    }
    UserNonNumeric {
        id: "user-non-numeric",
        hadolint: "DL3066",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "A user name may not resolve on the host; use a numeric id",
    }
    CopyWholeStage {
        id: "copy-whole-stage",
        hadolint: "DL3067",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "COPY --from copies a stage's entire filesystem",
    }
    Maintainer {
        id: "maintainer",
        hadolint: "DL4000",
        buildkit: "MaintainerDeprecated",
        severity: Error,
        opt_in: false,
        summary: "MAINTAINER is deprecated; use a label",
    }
    WgetAndCurl {
        id: "wget-and-curl",
        hadolint: "DL4001",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Both wget and curl in one stage",
    }
    CmdRepeated {
        id: "cmd-repeated",
        hadolint: "DL4003",
        buildkit: "MultipleInstructionsDisallowed",
        severity: Warning,
        opt_in: false,
        summary: "More than one CMD in a stage; only the last counts",
    }
    EntrypointRepeated {
        id: "entrypoint-repeated",
        hadolint: "DL4004",
        buildkit: "MultipleInstructionsDisallowed",
        severity: Error,
        opt_in: false,
        summary: "More than one ENTRYPOINT in a stage; only the last counts",
    }
    RelinkSh {
        id: "relink-sh",
        hadolint: "DL4005",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Replacing /bin/sh; use SHELL",
    }
    Pipefail {
        id: "pipefail",
        hadolint: "DL4006",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A pipe in RUN without `set -o pipefail` in SHELL",
    }
    ShellUnquotedVariable {
        id: "shell-unquoted-variable",
        hadolint: "SC2086",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "Unquoted variable: word splitting and globbing",
    }
    ShellUnassignedVariable {
        id: "shell-unassigned-variable",
        hadolint: "SC2154",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A variable is referenced but never assigned",
    }
    ShellMisspelledVariable {
        id: "shell-misspelled-variable",
        hadolint: "SC2153",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "A variable name is one letter away from a known one",
    }
    ShellNotPosix {
        id: "shell-not-posix",
        hadolint: "SC3046",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A bash-only construct under /bin/sh",
    }
    FromNoDigest {
        id: "from-no-digest",
        hadolint: "",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "Base image not pinned by digest",
    }
    BuildToolsSingleStage {
        id: "build-tools-single-stage",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Build tools installed into the shipped image; use a multi-stage build",
    }
    AptUpdateAlone {
        id: "apt-update-alone",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "apt-get update in a layer of its own; later installs use a stale cache",
    }
    ImplicitRoot {
        id: "implicit-root",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "The final stage never sets USER, so it runs as root",
    }
    PipeToShell {
        id: "pipe-to-shell",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A download piped straight into a shell",
    }
    AddRemoteUrl {
        id: "add-remote-url",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "ADD from a URL without --checksum",
    }
    VolumeThenWrite {
        id: "volume-then-write",
        hadolint: "",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Writes under a VOLUME after it is declared are discarded",
    }
    InstructionCasing {
        id: "instruction-casing",
        hadolint: "",
        buildkit: "ConsistentInstructionCasing",
        severity: Style,
        opt_in: false,
        summary: "Instruction keywords mix upper and lower case",
    }
    FromAsCasing {
        id: "from-as-casing",
        hadolint: "",
        buildkit: "FromAsCasing",
        severity: Style,
        opt_in: false,
        summary: "FROM and AS differ in case",
    }
    StageNameCasing {
        id: "stage-name-casing",
        hadolint: "",
        buildkit: "StageNameCasing",
        severity: Style,
        opt_in: false,
        summary: "A stage name is not lower case",
    }
    EmptyContinuation {
        id: "empty-continuation",
        hadolint: "",
        buildkit: "NoEmptyContinuation",
        severity: Warning,
        opt_in: false,
        summary: "An empty line continues an instruction; BuildKit will reject this",
    }
    LegacyKeyValue {
        id: "legacy-key-value",
        hadolint: "",
        buildkit: "LegacyKeyValueFormat",
        severity: Warning,
        opt_in: false,
        summary: "ENV/ARG/LABEL in the legacy `key value` form; use key=value",
    }
    ExposeInvalidFormat {
        id: "expose-invalid-format",
        hadolint: "",
        buildkit: "ExposeInvalidFormat",
        severity: Warning,
        opt_in: false,
        summary: "EXPOSE with an IP address or host port; publish ports at run time",
    }
    ExposeProtoCasing {
        id: "expose-proto-casing",
        hadolint: "",
        buildkit: "ExposeProtoCasing",
        severity: Style,
        opt_in: false,
        summary: "EXPOSE protocol not in lower case",
    }
    FromArgInvalidDefault {
        id: "from-arg-invalid-default",
        hadolint: "",
        buildkit: "InvalidDefaultArgInFrom",
        severity: Warning,
        opt_in: false,
        summary: "FROM is not a valid reference without --build-arg",
    }
    FromArgUndefined {
        id: "from-arg-undefined",
        hadolint: "",
        buildkit: "UndefinedArgInFrom",
        severity: Warning,
        opt_in: false,
        summary: "FROM uses a build argument no global ARG declares",
    }
    UndefinedVar {
        id: "undefined-var",
        hadolint: "",
        buildkit: "UndefinedVar",
        severity: Warning,
        opt_in: false,
        summary: "A variable is used before any ARG or ENV declares it",
    }
    ShellUnquotedSubstitution {
        id: "shell-unquoted-substitution",
        hadolint: "SC2046",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "Unquoted command substitution: word splitting",
    }
    ShellUselessCat {
        id: "shell-useless-cat",
        hadolint: "SC2002",
        buildkit: "",
        severity: Style,
        opt_in: false,
        summary: "cat of one file into a pipe; redirect the file instead",
    }
    ShellBashVariable {
        id: "shell-bash-variable",
        hadolint: "SC3028",
        buildkit: "",
        severity: Warning,
        opt_in: false,
        summary: "A bash-only variable ($RANDOM, $UID…) under /bin/sh",
    }
    ShellDeprecatedGrep {
        id: "shell-deprecated-grep",
        hadolint: "SC2196",
        buildkit: "",
        severity: Info,
        opt_in: false,
        summary: "egrep and fgrep are deprecated; use grep -E or grep -F",
    }
    ShellUselessEcho {
        id: "shell-useless-echo",
        hadolint: "SC2116",
        buildkit: "",
        severity: Style,
        opt_in: false,
        summary: "$(echo …) only repeats its words",
    }
}

/// The BuildKit build check a rule corresponds to, if any.
pub fn buildkit(rule_id: &str) -> Option<&'static str> {
    RULES.iter().find(|r| r.id == rule_id).and_then(|r| r.buildkit)
}

/// drydock rules that correspond to a BuildKit check.
pub fn for_buildkit(check: &str) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| r.buildkit == Some(check))
        .map(|r| r.id)
        .collect()
}

/// The rule an id names: drydock's, Hadolint's or BuildKit's.
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
    id == rule.id || Some(id) == rule.hadolint || Some(id) == rule.buildkit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_rule_and_every_name_finds_it() {
        let mut seen = std::collections::HashSet::new();
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.key as usize, i, "{}", r.id);
            assert_eq!(r.key.rule().id, r.id);
            assert_eq!(r.key.as_str(), r.id);
            assert!(seen.insert(r.id), "{} registered twice", r.id);
            assert_eq!(rule(r.id).map(|found| found.key), Some(r.key));
            if let Some(h) = r.hadolint {
                assert!(named(r, h), "{h}");
            }
            if let Some(bk) = r.buildkit {
                assert!(named(r, bk) && for_buildkit(bk).contains(&r.id), "{bk}");
                assert_eq!(buildkit(r.id), Some(bk));
            }
        }
        assert_eq!(for_buildkit("MultipleInstructionsDisallowed").len(), 3);
        assert_eq!(
            rule("WorkdirRelativePath").map(|r| r.key),
            Some(RuleId::WorkdirRelative)
        );
        assert_eq!(rule("DL3000").map(|r| r.key), Some(RuleId::WorkdirRelative));
        assert!(rule("no-such-rule").is_none());
    }
}
