//! Path hygiene for names found inside tar streams and symlink targets.
//!
//! Image paths are kept relative to the image root, `/`-separated, without `.` components and
//! without a leading or trailing slash (`usr/lib/os-release`). The root itself is the empty string.

use crate::error::{Error, Result};

/// A path inside the image. The merged filesystem keys paths relative to the root
/// (`usr/lib/os-release`); package databases, reports and messages write them absolute
/// (`/usr/lib/os-release`). This type owns the conversion both ways: it displays absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImagePath<'a>(&'a str);

impl<'a> ImagePath<'a> {
    /// A path in either form (a leading `/` is dropped).
    pub fn new(path: &'a str) -> ImagePath<'a> {
        ImagePath(path.trim_start_matches('/'))
    }

    /// The form the merged filesystem keys it by: `usr/lib/os-release`.
    pub fn relative(self) -> &'a str {
        self.0
    }

    /// The form people read: `/usr/lib/os-release`.
    pub fn absolute(self) -> String {
        format!("/{}", self.0)
    }
}

impl std::fmt::Display for ImagePath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}", self.0)
    }
}

/// Normalises a tar entry name. Leading `./` and `/` are tolerated on `./`-style archives only in
/// the `./` form; an absolute name or one that climbs with `..` is refused, because a tool that
/// extracted it would write outside its target directory.
pub fn entry_name(raw: &str, place: &str) -> Result<String> {
    if raw.starts_with('/') {
        return Err(Error::HostilePath {
            place: place.to_string(),
            path: raw.to_string(),
            why: "absolute path",
        });
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(Error::HostilePath {
                    place: place.to_string(),
                    path: raw.to_string(),
                    why: "parent-directory component",
                });
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Resolves a symlink target lexically against the directory holding the link.
/// Absolute targets are relative to the image root. Returns `None` when a relative target climbs
/// above the root, which no well-formed image needs.
pub fn join_link(link_path: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link_path.split('/').filter(|s| !s.is_empty()).collect();
        p.pop();
        p
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The parent directory of an image path ("" for top-level entries).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// The last component of an image path.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map(|(_, f)| f).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_paths_convert_both_ways() {
        for given in ["usr/lib/os-release", "/usr/lib/os-release"] {
            let p = ImagePath::new(given);
            assert_eq!(p.relative(), "usr/lib/os-release");
            assert_eq!(p.absolute(), "/usr/lib/os-release");
            assert_eq!(p.to_string(), "/usr/lib/os-release");
        }
        assert_eq!(ImagePath::new("").absolute(), "/");
    }

    #[test]
    fn entry_names_are_normalised() {
        assert_eq!(entry_name("./etc/os-release", "t").unwrap(), "etc/os-release");
        assert_eq!(entry_name("usr//lib/./x/", "t").unwrap(), "usr/lib/x");
        assert_eq!(entry_name("./", "t").unwrap(), "");
    }

    #[test]
    fn hostile_entry_names_are_refused() {
        assert!(matches!(
            entry_name("../etc/passwd", "t"),
            Err(Error::HostilePath { .. })
        ));
        assert!(matches!(
            entry_name("a/../../b", "t"),
            Err(Error::HostilePath { .. })
        ));
        assert!(matches!(
            entry_name("/etc/passwd", "t"),
            Err(Error::HostilePath { .. })
        ));
    }

    #[test]
    fn link_targets_stay_inside_root() {
        assert_eq!(
            join_link("var/lib/rpm", "../../usr/lib/sysimage/rpm").as_deref(),
            Some("usr/lib/sysimage/rpm")
        );
        assert_eq!(join_link("lib", "usr/lib").as_deref(), Some("usr/lib"));
        assert_eq!(
            join_link("bin/sh", "/usr/bin/dash").as_deref(),
            Some("usr/bin/dash")
        );
        assert_eq!(join_link("etc/x", "../../../etc/shadow"), None);
    }
}
