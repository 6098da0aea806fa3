//! Python distributions: `*.dist-info/METADATA` and `*.egg-info/PKG-INFO` (directory form) or
//! `*.egg-info` files, and zipped `*.egg` files (their `EGG-INFO/PKG-INFO`, read by the file
//! probe), in any `site-packages` or `dist-packages` directory.

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Package, PackageType};
use drydock_source::ImagePath;
use drydock_source::Pattern;

/// Python distributions: `.dist-info` and `.egg-info` metadata, and eggs.
pub struct Python;

const PATTERNS: &[&str] = &[
    "**/*.dist-info/METADATA",
    "**/*.egg-info/PKG-INFO",
    "**/*.egg-info",
];

/// `Name:` and `Version:` from the RFC 822 header block (the body after the first blank line
/// is the long description and is not read).
pub fn parse_metadata(text: &str) -> Option<(String, String, Option<String>)> {
    let (mut name, mut version, mut license) = (None, None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v.trim().to_string()),
                "version" => version = Some(v.trim().to_string()),
                "license-expression" => license = Some(v.trim().to_string()),
                "license" if license.is_none() && !v.trim().is_empty() && v.trim().len() < 64 => {
                    license = Some(v.trim().to_string())
                }
                _ => {}
            }
        }
    }
    Some((
        name.filter(|n| !n.is_empty())?,
        version.filter(|v| !v.is_empty())?,
        license,
    ))
}

/// Name and version of a zipped egg, from its `EGG-INFO/PKG-INFO`, read as the egg streams by:
/// nothing of it is held but that one entry.
pub fn probe_egg(reader: &mut dyn std::io::Read) -> std::io::Result<Option<(String, String)>> {
    use std::io::Read;
    let mut found = None;
    crate::zip_stream::walk(reader, &mut |name, entry| {
        if name != "EGG-INFO/PKG-INFO" {
            return true;
        }
        let mut text = String::new();
        entry.take(1 << 20).read_to_string(&mut text).ok();
        found = parse_metadata(&text).map(|(n, v, _)| (n, v));
        false
    })?;
    Ok(found)
}

fn in_site_packages(path: &str) -> bool {
    path.split('/')
        .any(|c| c == "site-packages" || c == "dist-packages")
}

impl Detector for Python {
    fn name(&self) -> &'static str {
        "python"
    }

    fn patterns(&self) -> &'static [&'static str] {
        PATTERNS
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        let mut seen = std::collections::HashSet::new();
        for pattern in PATTERNS {
            for path in cx.fs.glob(&Pattern::new(pattern)) {
                if !in_site_packages(&path) {
                    continue;
                }
                let Some(data) = cx.fs.read(&path) else { continue };
                let Some((name, version, license)) = parse_metadata(&String::from_utf8_lossy(data)) else {
                    found.warnings.push(format!(
                        "{}: no Name and Version in the metadata",
                        ImagePath::new(&path)
                    ));
                    continue;
                };
                let location = path
                    .strip_suffix("/METADATA")
                    .or_else(|| path.strip_suffix("/PKG-INFO"))
                    .unwrap_or(&path);
                if !seen.insert(location.to_string()) {
                    continue;
                }
                if !cx.room(&mut found) {
                    break;
                }
                found.packages.push({
                    let package_url = purl(
                        PackageType::Pypi,
                        None,
                        &drydock_version::pep440::normalize_name(&name),
                        &version,
                        &[],
                    );
                    let mut p = Package::found_at(
                        name,
                        version,
                        PackageType::Pypi,
                        package_url,
                        cx.fs.node(&path).map(|n| n.layer),
                        ImagePath::new(location).absolute(),
                    );
                    p.licenses = license.into_iter().collect();
                    p
                });
            }
        }
        for (path, layer, facts) in crate::probe::file_probes(cx.fs) {
            let crate::probe::FileFacts::Egg(result) = facts else {
                continue;
            };
            if !in_site_packages(path) {
                continue;
            }
            match result {
                Ok(Some((name, version))) => {
                    let package_url = purl(
                        PackageType::Pypi,
                        None,
                        &drydock_version::pep440::normalize_name(&name),
                        &version,
                        &[],
                    );
                    if !cx.room(&mut found) {
                        break;
                    }
                    found.packages.push(Package::found_at(
                        name,
                        version,
                        PackageType::Pypi,
                        package_url,
                        Some(layer),
                        ImagePath::new(path).absolute(),
                    ));
                }
                Ok(None) => {}
                Err(e) => found
                    .warnings
                    .push(format!("{}: egg not read: {e}", ImagePath::new(path))),
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers_only() {
        let m = parse_metadata(
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\nLicense: Apache 2.0\n\nName: not-this\n",
        )
        .unwrap();
        assert_eq!(
            (m.0.as_str(), m.1.as_str(), m.2.as_deref()),
            ("requests", "2.25.1", Some("Apache 2.0"))
        );
        assert!(parse_metadata("Metadata-Version: 2.1\n").is_none());
        assert_eq!(drydock_version::pep440::normalize_name("Jinja2"), "jinja2");
        assert_eq!(
            drydock_version::pep440::normalize_name("zope.interface"),
            "zope-interface"
        );
    }
}
