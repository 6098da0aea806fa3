//! Debian package versions (deb-version(7)): `[epoch:]upstream[-revision]`, compared with
//! dpkg's `verrevcmp`, where `~` sorts before everything, even the end of the string, and letters
//! sort before other characters.
//!
//! Written here rather than taken from `debversion`, which pulls chrono, regex and bignum
//! crates for what is forty lines of dpkg.

use std::cmp::Ordering;

use crate::VersionError;

/// `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgVersion {
    /// 0 when absent.
    pub epoch: i64,
    /// The upstream version.
    pub upstream: String,
    /// The Debian revision; empty when absent.
    pub revision: String,
}

impl DpkgVersion {
    /// Parses as dpkg's `parseversion` does. Strings dpkg accepts with a warning (an upstream
    /// part not starting with a digit, odd characters) are accepted: real status files hold them.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |why: &str| VersionError::new("dpkg", input, why);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("version string is empty"));
        }
        if s.contains(char::is_whitespace) {
            return Err(err("version string has embedded spaces"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch in version is not a number"));
                }
                let epoch: i64 = e.parse().map_err(|_| err("epoch in version is too big"))?;
                if epoch > i32::MAX as i64 {
                    return Err(err("epoch in version is too big"));
                }
                if rest.is_empty() {
                    return Err(err("nothing after colon in version number"));
                }
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("version number is empty"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

impl DpkgVersion {
    /// Splits as Debian's `Dpkg::Version` does when it compares without checking
    /// (`version_compare`, `check => 0`): whatever precedes the first colon is the epoch, read as
    /// Perl reads a number (leading digits, else 0) when something follows the colon; whatever
    /// follows the last hyphen is the revision. So strings that dpkg's strict parser refuses
    /// (`a:1.0`, `-1`, `1.0 beta`) still take the place Debian's tools give them.
    pub fn parse_lenient(input: &str) -> Result<Self, VersionError> {
        if input.trim().is_empty() {
            return Err(VersionError::new("dpkg", input, "version string is empty"));
        }
        let (epoch, rest) = match input.split_once(':') {
            Some((e, rest)) if !rest.is_empty() => (perl_number(e), rest),
            _ => (0, input),
        };
        let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

/// The integer Perl makes of a string in numeric context: optional leading space and sign,
/// then the leading digits; anything else is 0.
fn perl_number(s: &str) -> i64 {
    let s = s.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let value = digits[..end]
        .parse::<i64>()
        .unwrap_or(if end == 0 { 0 } else { i64::MAX });
    if negative { -value } else { value }
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lenient(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse_lenient(a)
            .unwrap()
            .cmp(&DpkgVersion::parse_lenient(b).unwrap())
    }

    #[test]
    fn versions_only_the_lenient_reader_accepts_order_as_dpkg_version_does() {
        // A non-numeric epoch is Perl's 0; a negative one sorts below 0.
        assert_eq!(lenient("a:1.0", "1.0"), Ordering::Equal);
        assert_eq!(lenient("-1:2.0", "0:1.0"), Ordering::Less);
        // An empty upstream part is the empty string.
        assert_eq!(lenient("-1", "0-1"), Ordering::Equal);
        assert_eq!(lenient("-1", "~-1"), Ordering::Greater);
        // Nothing after the colon: no epoch, the colon is part of the version.
        assert_eq!(lenient("1:", "1"), Ordering::Greater);
        assert!(
            DpkgVersion::parse("a:1.0").is_err(),
            "the strict reader still refuses it"
        );
        assert!(DpkgVersion::parse_lenient(" ").is_err());
        // …so it is not an epoch of 1 either: `1:` sorts below `2`.
        assert_eq!(lenient("1:", "0:2"), Ordering::Less);
        // Perl reads `+5` as 5, as it reads `-1` as -1.
        assert_eq!(DpkgVersion::parse_lenient("+5:1.0").unwrap().epoch, 5);
        assert_eq!(lenient("+5:1.0", "4:9"), Ordering::Greater);
    }

    #[test]
    // Each operator is the thing under test, so the "redundant" ones stay.
    #[allow(clippy::nonminimal_bool)]
    fn the_comparison_operators_agree_with_cmp() {
        let (a, b) = (
            DpkgVersion::parse("1:1.0-1").unwrap(),
            DpkgVersion::parse("1:1.0-2").unwrap(),
        );
        assert!(a < b && b > a && a <= a.clone());
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    }

    #[test]
    fn the_largest_epoch_dpkg_accepts_is_int_max() {
        assert_eq!(DpkgVersion::parse("2147483647:1.0").unwrap().epoch, 2147483647);
        assert!(DpkgVersion::parse("2147483648:1.0").is_err());
        assert!(DpkgVersion::parse("99999999999999999999:1.0").is_err());
    }
}
