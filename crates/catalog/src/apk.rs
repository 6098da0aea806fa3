//! apk: `lib/apk/db/installed`, one paragraph of `K:value` lines per package.

use drydock_source::ImagePath;
use std::collections::HashMap;

use crate::attribution::entry_layers;
use crate::detector::{Context, Detector, Found, distro_qualifier, paragraphs, purl};
use crate::model::{Package, PackageType};

/// apk's `installed` database.
pub struct Apk;

/// apk-tools 2 keeps its database in `/lib/apk/db`; newer layouts move it under `/usr`.
const INSTALLED: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// One package record of `installed`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Entry {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
    /// `A:`.
    pub arch: Option<String>,
    /// `o:`, the package it was built from (what Alpine advisories name).
    pub origin: Option<String>,
    /// `L:`.
    pub license: Option<String>,
    /// `F:` folders joined with their `R:` files, as absolute paths.
    pub files: Vec<String>,
    /// `D:` names (`so:` and `cmd:` needs, and conflicts `!x`, left out).
    pub depends: Vec<String>,
    /// `I:`, the installed size in bytes.
    pub installed_size: Option<u64>,
}

/// Reads one record; `None` without a name or version.
pub fn parse_entry(text: &str) -> Option<Entry> {
    let mut room = u64::MAX;
    parse_entry_within(text, &mut room).ok().flatten()
}

/// [`parse_entry`], its file list taking what it holds from `room`.
pub fn parse_entry_within(text: &str, room: &mut u64) -> Result<Option<Entry>, crate::detector::PastRoom> {
    let mut e = Entry::default();
    let mut dir = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => e.name = value.to_string(),
            "V" => e.version = value.to_string(),
            "A" => e.arch = Some(value.to_string()),
            "o" => e.origin = Some(value.to_string()),
            "L" => e.license = Some(value.to_string()),
            "I" => e.installed_size = value.parse().ok(),
            "D" => crate::detector::distinct_depends(
                value
                    .split_whitespace()
                    .filter(|d| !d.starts_with('!') && !d.contains(':'))
                    .map(|d| d.split(['=', '<', '>', '~']).next().unwrap_or(d).to_string()),
                &mut e.depends,
            ),
            "F" => dir = value.to_string(),
            "R" => {
                let path = if dir.is_empty() {
                    ImagePath::new(value).absolute()
                } else {
                    format!("{}/{value}", ImagePath::new(&dir))
                };
                crate::detector::take_path(room, &path)?;
                e.files.push(path);
            }
            _ => {}
        }
    }
    Ok((!e.name.is_empty() && !e.version.is_empty()).then_some(e))
}

impl Detector for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn patterns(&self) -> &'static [&'static str] {
        INSTALLED
    }

    fn os_databases(&self) -> (&'static [&'static str], u64) {
        (INSTALLED, 64 << 20)
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        let distro = distro_qualifier(cx.distro);
        let namespace = cx
            .distro
            .map(|d| d.id.as_str())
            .filter(|id| !id.is_empty())
            .unwrap_or("alpine");
        let allowance = cx.allowance.saturating_sub(cx.held);
        let mut room = allowance;
        for db in cx.fs.glob_any(INSTALLED) {
            found.databases.push(ImagePath::new(&db).absolute());
            let Some(data) = cx.fs.read(&db) else {
                continue;
            };
            let text = String::from_utf8_lossy(data);
            let layers = entry_layers(cx.fs.history(&db), |d| {
                let text = String::from_utf8_lossy(d);
                Some(
                    paragraphs(&text)
                        .filter_map(|p| {
                            // One record at a time, each within what the read left.
                            let mut each = allowance;
                            let e = parse_entry_within(p, &mut each).ok().flatten()?;
                            Some((e.name, p.to_string()))
                        })
                        // As many as the final database may list, and one more.
                        .take(crate::detector::MAX_DATABASE_PACKAGES + 1)
                        .collect::<HashMap<_, _>>(),
                )
            });
            let mut skipped = 0;
            let mut listed = 0;
            for raw in paragraphs(&text) {
                let past = |_| crate::Error::FileListsPastBudget {
                    path: ImagePath::new(&db).absolute(),
                    left: allowance,
                };
                let Some(e) = parse_entry_within(raw, &mut room).map_err(past)? else {
                    skipped += 1;
                    continue;
                };
                crate::detector::count_package(&mut listed, &ImagePath::new(&db).absolute())?;
                let arch = e.arch.clone().unwrap_or_default();
                let origin = e.origin.clone().unwrap_or_default();
                found.packages.push(Package {
                    purl: purl(
                        PackageType::Apk,
                        Some(namespace),
                        &e.name,
                        &e.version,
                        &[("arch", &arch), ("distro", &distro), ("upstream", &origin)],
                    ),
                    source_name: Some(e.origin.clone().unwrap_or_else(|| e.name.clone())),
                    source_version: Some(e.version.clone()),
                    layer: layers.get(&e.name).copied(),
                    locations: vec![ImagePath::new(&db).absolute()],
                    licenses: e.license.iter().cloned().collect(),
                    name: e.name,
                    version: e.version,
                    ecosystem: PackageType::Apk,
                    arch: e.arch,
                    epoch: None,
                    modularity_label: None,
                    files: e.files,
                    owner: None,
                    dev: false,
                    introduced_by: None,
                    depends: e.depends,
                    installed_size: e.installed_size,
                    essential: false,
                });
            }
            if skipped > 0 {
                found.warnings.push(format!(
                    "{}: skipped {skipped} entr(ies) without P: or V:",
                    ImagePath::new(&db)
                ));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_and_size() {
        let e = parse_entry("P:curl\nV:8.5.0-r0\nI:249856\nD:ca-certificates-bundle so:libc.musl-x86_64.so.1 libcurl=8.5.0-r0 !curl-doc cmd:sh\n").unwrap();
        assert_eq!(e.depends, ["ca-certificates-bundle", "libcurl"]);
        assert_eq!(e.installed_size, Some(249856));
    }

    #[test]
    fn entry_with_files() {
        let e = parse_entry("C:Q1abc=\nP:musl\nV:1.1.22-r3\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:libc.musl-x86_64.so.1\nR:ld-musl-x86_64.so.1\n").unwrap();
        assert_eq!(e.origin.as_deref(), Some("musl"));
        assert_eq!(
            e.files,
            vec!["/lib/libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1"]
        );
    }
}
