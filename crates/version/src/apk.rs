//! Alpine (apk-tools) versions: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}`.
//! Pre-release suffixes `_alpha _beta _pre _rc` sort before the bare version; `_cvs _svn _git
//! _hg _p` after it. Numbers with a leading zero compare as strings, as in Gentoo.
//!
//! No crate implements apk-tools' rules, so this follows its token grammar directly.

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix rank: below `NONE` is pre-release.
const SUFFIXES: &[&str] = &["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];
const SUFFIX_NONE: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token<'a> {
    kind: Kind,
    value: &'a str,
    suffix: usize,
}

/// A version apk-tools orders; kept as written, compared token by token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkVersion {
    raw: String,
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn digits(&mut self) -> &'a str {
        let n = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        let (d, rest) = self.rest.split_at(n);
        self.rest = rest;
        d
    }

    fn first(&mut self) -> Token<'a> {
        let value = self.digits();
        let kind = if value.is_empty() {
            Kind::Invalid
        } else {
            Kind::InitialDigit
        };
        Token {
            kind,
            value,
            suffix: 0,
        }
    }

    fn next(&mut self, prev: Kind) -> Token<'a> {
        let invalid = Token {
            kind: Kind::Invalid,
            value: "",
            suffix: 0,
        };
        let Some(c) = self.rest.bytes().next() else {
            return Token {
                kind: Kind::End,
                value: "",
                suffix: 0,
            };
        };
        match c {
            b'a'..=b'z' => {
                if prev > Kind::Digit {
                    return invalid;
                }
                let (v, rest) = self.rest.split_at(1);
                self.rest = rest;
                Token {
                    kind: Kind::Letter,
                    value: v,
                    suffix: 0,
                }
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if prev > Kind::Digit {
                        return invalid;
                    }
                    self.rest = &self.rest[1..];
                }
                let kind = match prev {
                    Kind::InitialDigit | Kind::Digit => Kind::Digit,
                    Kind::Suffix => Kind::SuffixNo,
                    _ => return invalid,
                };
                let value = self.digits();
                if value.is_empty() {
                    return invalid;
                }
                Token {
                    kind,
                    value,
                    suffix: 0,
                }
            }
            b'_' => {
                if prev > Kind::SuffixNo {
                    return invalid;
                }
                self.rest = &self.rest[1..];
                let n = self.rest.bytes().take_while(u8::is_ascii_lowercase).count();
                let (value, rest) = self.rest.split_at(n);
                self.rest = rest;
                match SUFFIXES.iter().position(|s| !s.is_empty() && *s == value) {
                    Some(suffix) => Token {
                        kind: Kind::Suffix,
                        value,
                        suffix,
                    },
                    None => invalid,
                }
            }
            b'~' => {
                if prev >= Kind::CommitHash {
                    return invalid;
                }
                self.rest = &self.rest[1..];
                let n = self
                    .rest
                    .bytes()
                    .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
                    .count();
                let (value, rest) = self.rest.split_at(n);
                self.rest = rest;
                if value.is_empty() {
                    return invalid;
                }
                Token {
                    kind: Kind::CommitHash,
                    value,
                    suffix: 0,
                }
            }
            b'-' => {
                if prev >= Kind::RevisionNo || !self.rest.starts_with("-r") {
                    return invalid;
                }
                self.rest = &self.rest[2..];
                let value = self.digits();
                if value.is_empty() {
                    return invalid;
                }
                Token {
                    kind: Kind::RevisionNo,
                    value,
                    suffix: 0,
                }
            }
            _ => invalid,
        }
    }
}

/// Compares digit strings numerically without overflow.
fn numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.starts_with('0') || b.value.starts_with('0') => a.value.cmp(b.value),
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => numeric(a.value, b.value),
        Kind::Letter => a.value.cmp(b.value),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// apk's comparison; with `fuzzy`, `b` is a prefix pattern (`~3.6` matches `3.6.9`).
fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering3 {
    let (mut la, mut lb) = (Lexer { rest: a }, Lexer { rest: b });
    let (mut ta, mut tb) = (la.first(), lb.first());
    while ta.kind == tb.kind && ta.kind < Kind::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r.into();
        }
        ta = la.next(ta.kind);
        tb = lb.next(tb.kind);
    }
    if ta.kind == tb.kind || (tb.kind == Kind::End && fuzzy) {
        return Ordering3::Equal;
    }
    if ta.kind == Kind::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering3::Less;
    }
    if tb.kind == Kind::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering3::Greater;
    }
    if ta.kind > tb.kind {
        return Ordering3::Less;
    }
    if tb.kind > ta.kind {
        return Ordering3::Greater;
    }
    Ordering3::Equal
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering3 {
    Less,
    Equal,
    Greater,
}

impl From<Ordering> for Ordering3 {
    fn from(o: Ordering) -> Self {
        match o {
            Ordering::Less => Ordering3::Less,
            Ordering::Equal => Ordering3::Equal,
            Ordering::Greater => Ordering3::Greater,
        }
    }
}

/// Whether apk-tools accepts `s` as a version.
pub fn is_valid(s: &str) -> bool {
    let mut lexer = Lexer { rest: s };
    let mut t = lexer.first();
    while t.kind < Kind::End {
        t = lexer.next(t.kind);
    }
    t.kind == Kind::End
}

impl ApkVersion {
    /// Accepts what apk itself orders: anything starting with a digit. apk compares versions
    /// with a malformed tail (`23_foo`) token by token up to the bad token, and so does drydock;
    /// [`is_valid`] tells whether the whole string follows the grammar.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        if input.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            Ok(ApkVersion {
                raw: input.to_string(),
            })
        } else {
            Err(VersionError::new(
                "apk",
                input,
                "an apk version starts with a digit",
            ))
        }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// apk's match operators: `~` (prefix), `<~`, `>~`, and the plain `<`, `<=`, `=`, `>=`, `>`.
    pub fn matches(&self, op: &str, pattern: &ApkVersion) -> Option<bool> {
        let fuzzy = op.contains('~');
        let r = compare_fuzzy(&self.raw, &pattern.raw, fuzzy);
        let mask: Vec<Ordering3> = op
            .chars()
            .flat_map(|c| match c {
                '<' => vec![Ordering3::Less],
                '>' => vec![Ordering3::Greater],
                '=' | '~' => vec![Ordering3::Equal],
                _ => vec![],
            })
            .collect();
        if op.is_empty() || op.chars().any(|c| !"<>=~".contains(c)) {
            return None;
        }
        Some(mask.contains(&r))
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match compare_fuzzy(&self.raw, &other.raw, false) {
            Ordering3::Less => Ordering::Less,
            Ordering3::Equal => Ordering::Equal,
            Ordering3::Greater => Ordering::Greater,
        }
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ApkVersion {
        ApkVersion::parse(s).unwrap()
    }

    /// Suffixes order by apk's rank (alpha, beta, pre, rc, none, cvs, svn, git, hg, p), which is
    /// not their alphabetical order: `_pre` before `_cvs`, `_svn` before `_git`.
    #[test]
    fn suffixes_order_by_rank_not_by_spelling() {
        assert!(v("1.0_pre1") < v("1.0_cvs1"));
        assert!(v("1.0_rc1") < v("1.0_cvs1"));
        assert!(v("1.0_svn1") < v("1.0_git1"));
        assert!(v("1.0_svn1") < v("1.0_p1"));
        assert!(v("1.0_hg1") < v("1.0_p1"));
    }

    #[test]
    // Each operator is the thing under test, so the "redundant" ones stay.
    #[allow(clippy::nonminimal_bool)]
    fn the_text_survives_and_operators_agree() {
        assert_eq!(v("1.2.3-r4").as_str(), "1.2.3-r4");
        let (a, b) = (v("1.2"), v("1.10"));
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
        assert!(a < b && a <= b && b >= a && a != b);
    }

    /// apk's match operators; anything else is no operator.
    #[test]
    fn match_operators() {
        let (a, b) = (v("3.6.9"), v("3.6"));
        assert_eq!(a.matches("~", &b), Some(true));
        assert_eq!(a.matches(">", &b), Some(true));
        assert_eq!(a.matches("<=", &b), Some(false));
        assert_eq!(a.matches("", &b), None);
        assert_eq!(a.matches("!", &b), None);
        assert_eq!(
            a.matches("=!", &b),
            None,
            "a known operator beside an unknown one"
        );
    }
}
