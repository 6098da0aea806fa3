use drydock_source::Filesystem;

use crate::model::{Distro, Package, PackageType};

/// What a detector sees: the merged filesystem (with the files it asked for) and the OS.
pub struct Context<'a> {
    /// The merged filesystem, with the files the detectors asked for.
    pub fs: &'a Filesystem,
    /// The OS, when identified (OS purls carry it).
    pub distro: Option<&'a Distro>,
    /// The image config's `Env` (`NAME=value`), corroboration for runtimes installed by hand.
    pub env: &'a [String],
    /// Packages the detectors before this one found.
    pub listed: usize,
    /// What those packages hold, about, in bytes.
    pub held: u64,
    /// What all the packages may hold: what the read left of its budget ([`drydock_source::Pool`]).
    pub allowance: u64,
}

impl Context<'_> {
    /// Whether the image may list one more package: at [`MAX_IMAGE_PACKAGES`], or once the
    /// packages hold what the read left of its budget, a language detector stops, with a
    /// warning (said once), rather than hold packages without end.
    pub fn room(&self, found: &mut Found) -> bool {
        found.charge();
        let counted = self.listed + found.packages.len() < MAX_IMAGE_PACKAGES;
        if counted && self.held + found.held < self.allowance {
            return true;
        }
        if !found.stopped {
            found.stopped = true;
            found.warnings.push(if counted {
                "the packages listed so far hold what the read budget leaves: drydock stopped listing them here, so some are missing (--read-budget raises it)".to_string()
            } else {
                format!(
                    "more than {MAX_IMAGE_PACKAGES} packages in the image: drydock stopped listing them here, so some are missing"
                )
            });
        }
        false
    }
}

/// Distinct names one package may depend on: real ones need tens, a metapackage a few hundred.
/// A relation field repeating one name millions of times would otherwise list each.
pub const MAX_DEPENDS: usize = 1_000;

/// The distinct names of `names`, in order, no more than [`MAX_DEPENDS`].
pub(crate) fn distinct_depends(names: impl Iterator<Item = String>, into: &mut Vec<String>) {
    let mut seen: std::collections::HashSet<String> = into.iter().cloned().collect();
    for name in names {
        if into.len() >= MAX_DEPENDS {
            return;
        }
        if seen.insert(name.clone()) {
            into.push(name);
        }
    }
}

/// A package's file list that passed what the read budget leaves.
#[derive(Debug)]
pub struct PastRoom;

/// Takes what one listed file path holds (its text and its slot) from `room`: an OS database's
/// file lists are its largest part, and short paths weigh several times their text.
pub(crate) fn take_path(room: &mut u64, path: &str) -> Result<(), PastRoom> {
    *room = room.checked_sub(24 + path.len() as u64).ok_or(PastRoom)?;
    Ok(())
}

/// What one detector found.
#[derive(Debug, Default)]
pub struct Found {
    /// Its packages.
    pub packages: Vec<Package>,
    /// What it could not read, or read only in part.
    pub warnings: Vec<String>,
    /// Package databases the detector found, even empty ones: an image with a database but no
    /// packages is not the same as an image drydock could not read.
    pub databases: Vec<String>,
    /// The detector stopped at [`MAX_IMAGE_PACKAGES`] or at the read budget.
    pub stopped: bool,
    /// What `packages[..charged]` hold, about.
    pub(crate) held: u64,
    charged: usize,
}

impl Found {
    /// Counts what the packages added since the last call hold.
    pub(crate) fn charge(&mut self) {
        self.held += self.packages[self.charged.min(self.packages.len())..]
            .iter()
            .map(held_by)
            .sum::<u64>();
        self.charged = self.packages.len();
    }
}

/// What a package holds until the report is written, about: the struct, its slot in the lists
/// that hold it while they grow, and its text.
fn held_by(p: &Package) -> u64 {
    let texts = |v: &[String]| v.iter().map(|s| 24 + s.len() as u64).sum::<u64>();
    let opt = |o: &Option<String>| o.as_ref().map_or(0, |s| s.len() as u64);
    2 * std::mem::size_of::<Package>() as u64
        + (p.name.len() + p.version.len() + p.purl.len()) as u64
        + opt(&p.source_name)
        + opt(&p.source_version)
        + opt(&p.arch)
        + opt(&p.modularity_label)
        + opt(&p.owner)
        + texts(&p.locations)
        + texts(&p.files)
        + texts(&p.licenses)
        + texts(&p.depends)
}

/// One ecosystem's package detector. Adding an ecosystem is one file implementing this and one
/// line in [`crate::detectors`].
pub trait Detector: Send + Sync {
    /// A short name for messages (`dpkg`, `python`).
    fn name(&self) -> &'static str;
    /// Image paths the detector reads (see [`drydock_source::Pattern`]).
    fn patterns(&self) -> &'static [&'static str];
    /// Its OS package databases among those paths, and the most drydock reads of each. Real
    /// ones are a few MB (an rpmdb of a full distribution, a few hundred); a larger one is an
    /// error, never an image with "no packages". Language detectors have none.
    fn os_databases(&self) -> (&'static [&'static str], u64) {
        (&[], 0)
    }
    /// Paths whose presence is evidence, recorded in the merged view without being read.
    fn recorded(&self) -> &'static [&'static str] {
        &[]
    }
    /// Finds the packages; an OS database it cannot read is an error, anything else a warning.
    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error>;
}

/// Builds a purl, percent-encoding as the spec requires; an unencodable name gives a bare
/// `pkg:type/name@version` rather than a panic.
pub fn purl(
    ty: PackageType,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let build = || -> Result<String, packageurl::Error> {
        let mut p = packageurl::PackageUrl::new(ty.purl_type(), name)?;
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            p.with_namespace(ns)?;
        }
        p.with_version(version)?;
        for (k, v) in qualifiers {
            if !v.is_empty() {
                p.add_qualifier(*k, *v)?;
            }
        }
        Ok(p.to_string())
    };
    build().unwrap_or_else(|_| format!("pkg:{}/{name}@{version}", ty.purl_type()))
}

/// `debian-12`, `alpine-3.19.1`: the distro qualifier peers put in OS purls.
pub(crate) fn distro_qualifier(distro: Option<&Distro>) -> String {
    match distro {
        Some(d) => match &d.version_id {
            Some(v) => format!("{}-{v}", d.id),
            None => d.id.clone(),
        },
        None => String::new(),
    }
}

/// RFC 822-style paragraphs separated by blank lines, as dpkg and apk write them.
pub fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    // An empty line ends a paragraph, with LF or CRLF endings: a status file written on the
    // wrong platform must not fold all its packages into the first.
    let mut out = Vec::new();
    let mut start = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']).is_empty() {
            if let Some(s) = start.take() {
                out.push(&text[s..at]);
            }
        } else if start.is_none() {
            start = Some(at);
        }
        at += line.len();
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out.into_iter()
        .map(|p| p.trim_end_matches(['\n', '\r']))
        .filter(|p| !p.trim().is_empty())
}

/// Packages one image may list, all ecosystems together: each costs a few KB until the report
/// is written. Real images list a few thousand.
pub const MAX_IMAGE_PACKAGES: usize = 20_000;

/// Packages one OS package database may list. A whole distribution installed at once lists a
/// few thousand (Debian's archive holds about 60,000, most of which conflict).
pub const MAX_DATABASE_PACKAGES: usize = 20_000;

/// An error once a database has listed [`MAX_DATABASE_PACKAGES`] and lists another.
pub(crate) fn count_package(listed: &mut usize, database: &str) -> Result<(), crate::Error> {
    *listed += 1;
    if *listed > MAX_DATABASE_PACKAGES {
        return Err(crate::Error::TooManyPackages {
            path: database.to_string(),
            max: MAX_DATABASE_PACKAGES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package is counted as holding its struct twice (its slot, and the slot of the list
    /// that grows to hold it), every text it carries, and 24 bytes for each string in a list.
    #[test]
    fn a_package_holds_its_struct_twice_and_its_text() {
        let mut p = Package::found_at(
            "name".into(),
            "1.0".into(),
            PackageType::Npm,
            "pkg:npm/name@1.0".into(),
            Some(0),
            "/app/package.json".into(),
        );
        let bare = held_by(&p);
        assert_eq!(
            bare,
            2 * std::mem::size_of::<Package>() as u64 + (4 + 3 + 16) + (24 + 17)
        );
        p.source_name = Some("src".into());
        p.source_version = Some("2".into());
        p.arch = Some("amd64".into());
        p.modularity_label = Some("m".into());
        p.owner = Some("deb:x".into());
        p.files = vec!["/a".into(), "/bc".into()];
        p.licenses = vec!["MIT".into()];
        p.depends = vec!["dep1".into(), "d2".into()];
        assert_eq!(
            held_by(&p),
            bare + (3 + 1 + 5 + 1 + 5) + (24 + 2 + 24 + 3) + (24 + 3) + (24 + 4 + 24 + 2)
        );
    }
}
