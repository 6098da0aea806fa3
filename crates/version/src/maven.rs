//! Maven versions with the semantics of Maven's `ComparableVersion` (current rules, including
//! MNG-7644 and MNG-7714): items split on `.`, `-` and digit/letter transitions; qualifiers
//! ordered alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp, other
//! qualifiers after those, lexically; null items (0, "") dropped where they precede a qualifier.
//!
//! No maintained crate implements ComparableVersion, so it is written here.

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits with leading zeros stripped (compared by length, then lexically).
    Int(String),
    Str(String),
    /// A qualifier immediately followed by a number (`alpha1`, `rc-2`).
    Combination(String, Box<Item>),
    List(Vec<Item>),
}

/// A Maven version as ComparableVersion normalises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion {
    raw: String,
    items: Vec<Item>,
}

const QUALIFIERS: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric() && unicode_decimal(c).is_some())
}

/// Java's `Character.isDigit` accepts every Unicode decimal digit; their values are contiguous
/// runs of ten starting at a code point ending in 0 (or 6 for a few scripts).
fn unicode_decimal(c: char) -> Option<u32> {
    const ZEROS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
        0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    ];
    let cp = c as u32;
    if c.is_ascii_digit() {
        return Some(cp - '0' as u32);
    }
    ZEROS.iter().find(|&&z| cp >= z && cp < z + 10).map(|z| cp - z)
}

fn digits_to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| char::from_digit(unicode_decimal(c).unwrap_or(0), 10).unwrap_or('0'))
        .collect()
}

fn int_item(buf: &str) -> Item {
    let ascii = digits_to_ascii(buf);
    let stripped = ascii.trim_start_matches('0');
    Item::Int(stripped.to_string())
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value.to_string();
    if followed_by_digit && v.chars().count() == 1 {
        v = match v.as_str() {
            "a" => "alpha".into(),
            "b" => "beta".into(),
            "m" => "milestone".into(),
            _ => v,
        };
    }
    Item::Str(if v == "cr" { "rc".into() } else { v })
}

fn combination_item(value: &str) -> Item {
    let value: String = value.chars().filter(|&c| c != '-').collect();
    let idx = value
        .char_indices()
        .find(|(_, c)| is_digit(*c))
        .map(|(i, _)| i)
        .unwrap_or(value.len());
    let (s, d) = value.split_at(idx);
    let qualifier = match string_item(s, true) {
        Item::Str(q) => q,
        _ => String::new(),
    };
    Item::Combination(qualifier, Box::new(int_item(d)))
}

fn parse_item(combination: bool, digit: bool, buf: &str) -> Item {
    if combination {
        combination_item(buf)
    } else if digit {
        int_item(buf)
    } else {
        string_item(buf, false)
    }
}

fn comparable_qualifier(q: &str) -> (usize, &str) {
    if matches!(q, "ga" | "final" | "release") {
        return (RELEASE_INDEX, "");
    }
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(s) => s.is_empty(),
        Item::Str(s) => s.is_empty(),
        Item::Combination(..) => false,
        Item::List(l) => l.is_empty(),
    }
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            let remove = match list.get(i + 1) {
                None => true,
                Some(Item::Str(_)) => true,
                Some(Item::List(next)) => {
                    matches!(next.first(), Some(Item::Combination(..)) | Some(Item::Str(_)))
                }
                _ => false,
            };
            if remove {
                list.remove(i);
            }
        }
    }
}

/// Builds the nested item lists the way ComparableVersion's parser does: each `-` (and each
/// digit→letter switch) opens a sub-list.
fn parse_items(version: &str) -> Vec<Item> {
    let version = version.to_lowercase();
    let chars: Vec<(usize, char)> = version.char_indices().collect();
    // A stack of lists: index 0 is the root.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit_run = false;
    let mut combination = false;
    let mut start = 0usize;
    let end = version.len();
    let push_list = |stack: &mut Vec<Vec<Item>>| stack.push(Vec::new());
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        if c == '.' {
            let top = stack.last_mut().unwrap();
            if i == start {
                top.push(Item::Int(String::new()));
            } else {
                top.push(parse_item(combination, is_digit_run, &version[start..i]));
            }
            combination = false;
            start = i + 1;
        } else if c == '-' {
            if i == start {
                stack.last_mut().unwrap().push(Item::Int(String::new()));
            } else {
                if !is_digit_run && k + 1 < chars.len() && is_digit(chars[k + 1].1) {
                    combination = true;
                    k += 1;
                    continue;
                }
                let item = parse_item(combination, is_digit_run, &version[start..i]);
                stack.last_mut().unwrap().push(item);
            }
            start = i + c.len_utf8();
            if !stack.last().unwrap().is_empty() {
                push_list(&mut stack);
            }
            combination = false;
        } else if c.is_ascii_digit() {
            // Only ASCII digits make a number (Maven's testNonAsciiDigits: `1 > ٨`); other
            // Unicode digits are letters here, though `X-٨` still joins as a combination.
            if !is_digit_run && i > start {
                combination = true;
                if !stack.last().unwrap().is_empty() {
                    push_list(&mut stack);
                }
            }
            is_digit_run = true;
        } else {
            if is_digit_run && i > start {
                let item = parse_item(combination, true, &version[start..i]);
                stack.last_mut().unwrap().push(item);
                start = i;
                push_list(&mut stack);
                combination = false;
            }
            is_digit_run = false;
        }
        k += 1;
    }
    if end > start {
        if !is_digit_run && !stack.last().unwrap().is_empty() {
            push_list(&mut stack);
        }
        let item = parse_item(combination, is_digit_run, &version[start..]);
        stack.last_mut().unwrap().push(item);
    }
    // Fold the stack: each list is the last element of its parent.
    while stack.len() > 1 {
        let mut top = stack.pop().unwrap();
        normalize(&mut top);
        stack.last_mut().unwrap().push(Item::List(top));
    }
    let mut root = stack.pop().unwrap();
    normalize(&mut root);
    root
}

fn cmp_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_qualifiers(a: &str, b: &str) -> Ordering {
    let (ia, ra) = comparable_qualifier(a);
    let (ib, rb) = comparable_qualifier(b);
    ia.cmp(&ib).then_with(|| ra.cmp(rb))
}

/// `a.compareTo(b)`, where `None` is Java's `null` (the end of the shorter list).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (Item::Int(x), None) => {
            if x.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(x), Some(Item::Int(y))) => cmp_int(x, y),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(x), None) => cmp_qualifiers(x, ""),
        (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::Str(x), Some(Item::Str(y))) => cmp_qualifiers(x, y),
        (Item::Str(x), Some(Item::Combination(ys, _))) => {
            let r = cmp_qualifiers(x, ys);
            if r == Ordering::Equal { Ordering::Less } else { r }
        }
        (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
        (Item::Combination(s, _), None) => cmp_qualifiers(s, ""),
        (Item::Combination(..), Some(Item::Int(_))) => Ordering::Less,
        (Item::Combination(s, _), Some(Item::Str(y))) => {
            let r = cmp_qualifiers(s, y);
            if r == Ordering::Equal {
                Ordering::Greater
            } else {
                r
            }
        }
        (Item::Combination(s, d), Some(Item::Combination(t, e))) => {
            cmp_qualifiers(s, t).then_with(|| cmp_item(d, Some(e)))
        }
        (Item::Combination(..), Some(Item::List(_))) => Ordering::Less,
        (Item::List(l), None) => {
            for item in l {
                let r = cmp_item(item, None);
                if r != Ordering::Equal {
                    return r;
                }
            }
            Ordering::Equal
        }
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(_), Some(Item::Combination(..))) => Ordering::Greater,
        (Item::List(l), Some(Item::List(m))) => cmp_lists(l, m),
    }
}

fn cmp_lists(l: &[Item], m: &[Item]) -> Ordering {
    let n = l.len().max(m.len());
    for i in 0..n {
        let r = match (l.get(i), m.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => cmp_item(r, None).reverse(),
            (Some(x), y) => cmp_item(x, y),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

impl MavenVersion {
    /// Every string is a Maven version; only the empty string is refused.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VersionError::new("maven", input, "version string is empty"));
        }
        Ok(MavenVersion {
            raw: s.to_string(),
            items: parse_items(s),
        })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        MavenVersion::parse(a)
            .unwrap()
            .cmp(&MavenVersion::parse(b).unwrap())
    }

    #[test]
    fn non_ascii_digits_are_not_numbers() {
        // Maven's testNonAsciiDigits: ARABIC-INDIC DIGIT EIGHT is a qualifier, below any number.
        assert_eq!(cmp("1", "\u{0668}"), Ordering::Greater);
        assert_eq!(cmp("9", "\u{0668}"), Ordering::Greater);
        assert_eq!(cmp("\u{0668}", "1"), Ordering::Less);
        assert_eq!(cmp("1.\u{0661}", "1.1"), Ordering::Less);
    }

    /// A qualifier after a dot sorts before the release, as after a hyphen; a trailing hyphen
    /// adds nothing; the operators agree with `cmp`.
    #[test]
    fn dots_hyphens_and_operators() {
        assert_eq!(cmp("1.alpha", "1"), Ordering::Less);
        assert_eq!(cmp("1.0.rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1-", "1"), Ordering::Equal);
        assert_eq!(cmp("2.0-", "2"), Ordering::Equal);
        // A hyphen closing a qualifier at the very end parses (no look past the end).
        assert_eq!(cmp("1.a-", "1.a-"), Ordering::Equal);
        let (a, b) = (
            MavenVersion::parse("1.2").unwrap(),
            MavenVersion::parse("1.10").unwrap(),
        );
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    }
}
