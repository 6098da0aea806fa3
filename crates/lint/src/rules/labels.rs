//! LABEL keys and the label schema of `.drydock.toml`.

use super::*;

impl Checker<'_> {
    pub(super) fn check_labels(&mut self, inst: &Instruction, line: usize) {
        for (k, v) in inst.pairs() {
            let key = unquote(k);
            let value = unquote(v);
            if !label_key_valid(&key) {
                self.emit(
                    RuleId::LabelKeyInvalid,
                    line,
                    format!("label key {key} is not valid"),
                );
            }
            match self.config.labels.get(&key) {
                None => {
                    if self.config.strict_labels && !self.config.labels.is_empty() {
                        self.emit(
                            RuleId::LabelSuperfluous,
                            line,
                            format!("label {key} is not in the schema"),
                        );
                    }
                }
                Some(kind) => {
                    if value.is_empty() {
                        self.emit(RuleId::LabelEmpty, line, format!("label {key} is empty"));
                        continue;
                    }
                    let (ok, rule) = match kind {
                        LabelType::Text => continue,
                        LabelType::Url => (url_valid(&value), RuleId::LabelNotUrl),
                        LabelType::Rfc3339 => {
                            (value.parse::<jiff::Timestamp>().is_ok(), RuleId::LabelNotRfc3339)
                        }
                        LabelType::Spdx => (spdx::Expression::parse(&value).is_ok(), RuleId::LabelNotSpdx),
                        LabelType::Hash => (
                            (value.len() == 7 || value.len() == 40)
                                && value.chars().all(|c| c.is_ascii_hexdigit()),
                            RuleId::LabelNotGitHash,
                        ),
                        LabelType::Semver => (semver::Version::parse(&value).is_ok(), RuleId::LabelNotSemver),
                        LabelType::Email => (email_valid(&value), RuleId::LabelNotEmail),
                    };
                    if !ok {
                        self.emit(
                            rule,
                            line,
                            format!("label {key}={value} is not valid for its type"),
                        );
                    }
                }
            }
        }
    }
}

fn label_key_valid(key: &str) -> bool {
    let reserved = ["com.docker.", "io.docker.", "org.dockerproject."];
    !key.is_empty()
        && !reserved.iter().any(|r| key.starts_with(r))
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && !key.contains("..")
        && !key.contains("--")
}

/// An absolute URI (RFC 3986): `scheme:` and something after it, no blanks.
fn url_valid(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !v.contains(char::is_whitespace)
}

/// `local@domain` (RFC 5322 addr-spec, without comments or quoted locals).
fn email_valid(v: &str) -> bool {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c);
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local.chars().all(atext)
        && !domain.is_empty()
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}
