//! npm packages installed in `node_modules` (nested and scoped): each `package.json` with a
//! name and version; and the app's own lock files — `package-lock.json` (v1–v3), `yarn.lock`
//! (classic and Berry) and `pnpm-lock.yaml` — with development dependencies marked. A package
//! both installed and locked is reported once, from `node_modules`.

use drydock_source::ImagePath;
use serde::Deserialize;

use crate::detector::{Context, Detector, Found, purl};
use crate::json_scan::Object;
use crate::model::{Package, PackageType};
use drydock_source::Pattern;

/// npm packages: `node_modules/*/package.json`, and `package-lock.json`, `yarn.lock` and `pnpm-lock.yaml`.
pub struct Npm;

const PATTERNS: &[&str] = &[
    "**/node_modules/*/package.json",
    "**/node_modules/@*/*/package.json",
    "**/package-lock.json",
    "**/yarn.lock",
    "**/pnpm-lock.yaml",
];
const LOCKFILES: &[&str] = &["**/package-lock.json", "**/yarn.lock", "**/pnpm-lock.yaml"];

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: License,
}

/// `license`: an SPDX string, or the old `{"type": …}` object. Anything else is skipped as it
/// parses, so a field of megabytes costs no more than its text.
#[derive(Default)]
struct License(Option<String>);

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = License;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a licence")
            }
            fn visit_str<E>(self, s: &str) -> Result<License, E> {
                Ok(License(Some(s.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<License, A::Error> {
                let [kind]: [crate::json_scan::Scalar; 1] = crate::json_scan::scalars(map, &["type"])?
                    .try_into()
                    .unwrap_or_default();
                Ok(License(kind.into_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<License, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(License(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<License, E> {
                Ok(License(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<License, E> {
                Ok(License(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<License, E> {
                Ok(License(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<License, E> {
                Ok(License(None))
            }
            fn visit_unit<E>(self) -> Result<License, E> {
                Ok(License(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Detector for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn patterns(&self) -> &'static [&'static str] {
        PATTERNS
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for pattern in &PATTERNS[..2] {
            for path in cx.fs.glob(&Pattern::new(pattern)) {
                let Some(data) = cx.fs.read(&path) else { continue };
                let manifest: Manifest = match serde_json::from_slice(data) {
                    Ok(m) => m,
                    Err(e) => {
                        found
                            .warnings
                            .push(format!("{}: unreadable package.json: {e}", ImagePath::new(&path)));
                        continue;
                    }
                };
                let (Some(name), Some(version)) = (manifest.name, manifest.version) else {
                    continue;
                };
                let (namespace, bare) = match name.split_once('/') {
                    Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
                    _ => (None, name.as_str()),
                };
                let license = manifest.license.0;
                if !cx.room(&mut found) {
                    break;
                }
                found.packages.push({
                    let package_url = purl(PackageType::Npm, namespace, bare, &version, &[]);
                    let mut p = Package::found_at(
                        name,
                        version,
                        PackageType::Npm,
                        package_url,
                        cx.fs.node(&path).map(|n| n.layer),
                        ImagePath::new(&path).absolute(),
                    );
                    p.licenses = license.into_iter().collect();
                    p
                });
            }
        }
        let installed: std::collections::HashSet<(String, String, String)> = found
            .packages
            .iter()
            .map(|p| {
                (
                    app_root(&p.locations[0]).to_string(),
                    p.name.clone(),
                    p.version.clone(),
                )
            })
            .collect();
        for pattern in LOCKFILES {
            for path in cx.fs.glob(&Pattern::new(pattern)) {
                if path.split('/').any(|c| c == "node_modules") {
                    continue;
                }
                let Some(data) = cx.fs.read(&path) else { continue };
                let text = String::from_utf8_lossy(data);
                let entries = if path.ends_with("package-lock.json") {
                    // One past the image's limit, so that the limit's warning is said.
                    match package_lock(&text, crate::MAX_IMAGE_PACKAGES + 1) {
                        Ok(e) => e,
                        Err(e) => {
                            found
                                .warnings
                                .push(format!("{}: unreadable lock file: {e}", ImagePath::new(&path)));
                            continue;
                        }
                    }
                } else if path.ends_with("yarn.lock") {
                    yarn_lock(&text, crate::MAX_IMAGE_PACKAGES + 1)
                } else {
                    pnpm_lock(&text, crate::MAX_IMAGE_PACKAGES + 1)
                };
                let root = app_root(&ImagePath::new(&path).absolute()).to_string();
                let layer = cx.fs.node(&path).map(|n| n.layer);
                let mut seen = std::collections::HashSet::new();
                for (name, version, dev) in entries {
                    if installed.contains(&(root.clone(), name.clone(), version.clone()))
                        || !seen.insert((name.clone(), version.clone()))
                    {
                        continue;
                    }
                    let (namespace, bare) = match name.split_once('/') {
                        Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
                        _ => (None, name.as_str()),
                    };
                    if !cx.room(&mut found) {
                        break;
                    }
                    found.packages.push({
                        let package_url = purl(PackageType::Npm, namespace, bare, &version, &[]);
                        let mut p = Package::found_at(
                            name,
                            version,
                            PackageType::Npm,
                            package_url,
                            layer,
                            ImagePath::new(&path).absolute(),
                        );
                        p.dev = dev;
                        p
                    });
                }
            }
        }
        Ok(found)
    }
}

/// The directory an app's packages belong to: the folder above its `node_modules`, or the lock
/// file's folder.
fn app_root(location: &str) -> &str {
    match location.find("/node_modules/") {
        Some(i) => &location[..i],
        None => location.rsplit_once('/').map(|(d, _)| d).unwrap_or(""),
    }
}

/// (name, version, dev) from package-lock.json: `packages` (v2, v3) or nested `dependencies`
/// (v1). Read as it parses ([`crate::json_scan`]), keeping at most `max` entries.
pub fn package_lock(text: &str, max: usize) -> Result<Vec<(String, String, bool)>, crate::ManifestError> {
    use serde::de::DeserializeSeed;
    let mut packages = None;
    let mut dependencies = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    Object(Lock {
        packages: &mut packages,
        dependencies: &mut dependencies,
        max,
    })
    .deserialize(&mut de)?;
    de.end()?;
    Ok(packages.unwrap_or(dependencies))
}

type Entries = Vec<(String, String, bool)>;

/// The lock file's top level.
struct Lock<'a> {
    packages: &'a mut Option<Entries>,
    dependencies: &'a mut Entries,
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Lock<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a package-lock.json object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "packages" => map.next_value_seed(Object(Packages {
                    out: self.packages.get_or_insert_with(Vec::new),
                    max: self.max,
                }))?,
                "dependencies" => map.next_value_seed(Object(Dependencies {
                    out: self.dependencies,
                    max: self.max,
                }))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `packages` (v2, v3): install path → entry.
struct Packages<'a> {
    out: &'a mut Entries,
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Packages<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of packages")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use crate::json_scan::Fields;
        while let Some(key) = map.next_key::<String>()? {
            let [name, version, dev, link]: [crate::json_scan::Scalar; 4] = map
                .next_value_seed(Fields(&["name", "version", "dev", "link"]))?
                .try_into()
                .unwrap_or_default();
            if key.is_empty() || link.is_true() || self.out.len() >= self.max {
                continue;
            }
            let Some(version) = version.into_string() else {
                continue;
            };
            let name = name
                .into_string()
                .or_else(|| key.rsplit_once("node_modules/").map(|(_, n)| n.to_string()))
                .unwrap_or(key);
            self.out.push((name, version, dev.is_true()));
        }
        Ok(())
    }
}

/// `dependencies` (v1): name → entry, nested.
struct Dependencies<'a> {
    out: &'a mut Entries,
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Dependencies<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of dependencies")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let (version, dev) = map.next_value_seed(Object(Dependency {
                out: &mut *self.out,
                max: self.max,
            }))?;
            if let Some(version) = version.filter(|v| !v.starts_with("file:"))
                && self.out.len() < self.max
            {
                self.out.push((name, version, dev));
            }
        }
        Ok(())
    }
}

/// One v1 entry: its version and dev flag; its own `dependencies` go straight to the list.
struct Dependency<'a> {
    out: &'a mut Entries,
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Dependency<'_> {
    type Value = (Option<String>, bool);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a dependency object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use crate::json_scan::Scalar;
        let (mut version, mut dev) = (Scalar::Other, Scalar::Other);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => version = map.next_value()?,
                "dev" => dev = map.next_value()?,
                "dependencies" => map.next_value_seed(Object(Dependencies {
                    out: &mut *self.out,
                    max: self.max,
                }))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok((version.into_string(), dev.is_true()))
    }
}

/// yarn.lock, classic (`version "1.2.3"`) and Berry (`version: 1.2.3`). yarn records no
/// dev flag.
/// At most `max` entries.
pub fn yarn_lock(text: &str, max: usize) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // `"@scope/name@^1.0.0", name@npm:^2:` — the name is before the last '@' of the first spec.
            let first = line
                .trim_end_matches(':')
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            current = first
                .rfind('@')
                .filter(|&i| i > 0)
                .map(|i| first[..i].to_string())
                .filter(|n| n != "__metadata");
            continue;
        }
        let t = line.trim();
        if let Some(name) = &current
            && let Some(rest) = t.strip_prefix("version")
        {
            let v = rest.trim_start_matches(':').trim().trim_matches('"');
            if !v.is_empty() {
                out.push((name.clone(), v.to_string(), false));
                if out.len() >= max {
                    break;
                }
            }
            current = None;
        }
    }
    out
}

/// pnpm-lock.yaml `packages:` keys (`/name/1.0.0` v5, `/name@1.0.0` v6, `name@1.0.0` v9, peer
/// suffixes in parentheses) with their `dev:` flags.
/// At most `max` entries.
pub fn pnpm_lock(text: &str, max: usize) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 2 && t.ends_with(':') {
            let key = t.trim_end_matches(':').trim_matches(|c| c == '\'' || c == '"');
            let key = key.split('(').next().unwrap_or(key).trim_start_matches('/');
            let v5 = key
                .rsplit_once('/')
                .filter(|(_, last)| last.starts_with(|c: char| c.is_ascii_digit()));
            let parsed = match v5 {
                // v5: /name/1.0.0_peer-suffix
                Some((name, last)) => Some((
                    name.to_string(),
                    last.split('_').next().unwrap_or(last).to_string(),
                )),
                None => key
                    .rfind('@')
                    .filter(|&i| i > 0)
                    .map(|i| (key[..i].to_string(), key[i + 1..].to_string())),
            };
            if let Some((name, version)) = parsed
                && version.starts_with(|c: char| c.is_ascii_digit())
            {
                if out.len() >= max {
                    break;
                }
                out.push((name, version, false));
            }
        } else if indent == 4
            && t == "dev: true"
            && let Some(last) = out.last_mut()
        {
            last.2 = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_formats() {
        let v3 = r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0"},
            "node_modules/@s/b":{"version":"2.0.0","dev":true},"node_modules/a/node_modules/c":{"version":"3.0.0"},
            "node_modules/linked":{"link":true}}}"#;
        let mut got = package_lock(v3, usize::MAX).unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("@s/b".into(), "2.0.0".into(), true),
                ("a".into(), "1.0.0".into(), false),
                ("c".into(), "3.0.0".into(), false)
            ]
        );
        let v1 = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"0.1.0","dev":true}}}}}"#;
        let mut got = package_lock(v1, usize::MAX).unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a".into(), "1.0.0".into(), false),
                ("b".into(), "0.1.0".into(), true)
            ]
        );
        let berry =
            "__metadata:\n  version: 6\n\n\"@babel/core@npm:^7.0.0\":\n  version: 7.22.5\n  resolution: x\n";
        assert_eq!(
            yarn_lock(berry, usize::MAX),
            vec![("@babel/core".into(), "7.22.5".into(), false)]
        );
        let pnpm5 = "lockfileVersion: 5.4\npackages:\n  /lodash/4.17.21:\n    dev: true\n  /@scope/x/1.0.0_peer@2:\n    dev: false\n";
        assert_eq!(
            pnpm_lock(pnpm5, usize::MAX),
            vec![
                ("lodash".into(), "4.17.21".into(), true),
                ("@scope/x".into(), "1.0.0".into(), false)
            ]
        );
        let pnpm9 = "lockfileVersion: '9.0'\npackages:\n  'react@18.2.0':\n    resolution: {}\n  '@types/node@20.1.0(x@1)':\n    resolution: {}\n";
        assert_eq!(
            pnpm_lock(pnpm9, usize::MAX),
            vec![
                ("react".into(), "18.2.0".into(), false),
                ("@types/node".into(), "20.1.0".into(), false)
            ]
        );
    }

    /// Lock files are read as they parse and keep at most `max` entries; a field of another
    /// type than expected is skipped, not an error, and costs no more than its text.
    #[test]
    fn lock_files_stop_at_their_cap_and_skip_odd_fields() {
        let v3 = r#"{"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0","dev":"yes"},
            "node_modules/b":{"version":2,"extra":{"deep":[1,2,{"x":null}]}},"node_modules/c":{"version":"3.0.0","dev":true},
            "node_modules/d":{"version":"4.0.0"}}}"#;
        assert_eq!(
            package_lock(v3, usize::MAX).unwrap(),
            vec![
                ("a".into(), "1.0.0".into(), false),
                ("c".into(), "3.0.0".into(), true),
                ("d".into(), "4.0.0".into(), false)
            ]
        );
        assert_eq!(package_lock(v3, 2).unwrap().len(), 2);
        let v1 = r#"{"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"0.1.0"},"c":{"version":"file:../c"}}},"d":{"version":"2.0.0"}}}"#;
        let mut got = package_lock(v1, usize::MAX).unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a".into(), "1.0.0".into(), false),
                ("b".into(), "0.1.0".into(), false),
                ("d".into(), "2.0.0".into(), false)
            ]
        );
        assert_eq!(package_lock(v1, 1).unwrap().len(), 1);
        assert!(package_lock("{\"packages\":{}} trailing", usize::MAX).is_err());
        let yarn = "a@^1:\n  version \"1.0.0\"\n\nb@^2:\n  version \"2.0.0\"\n";
        assert_eq!(yarn_lock(yarn, usize::MAX).len(), 2);
        assert_eq!(yarn_lock(yarn, 1), vec![("a".into(), "1.0.0".into(), false)]);
        let pnpm = "packages:\n  /a/1.0.0:\n    dev: true\n  /b/2.0.0:\n    dev: false\n";
        assert_eq!(pnpm_lock(pnpm, usize::MAX).len(), 2);
        assert_eq!(pnpm_lock(pnpm, 1), vec![("a".into(), "1.0.0".into(), true)]);
    }

    #[test]
    fn manifest_licences_read_as_they_parse() {
        let read = |json: &str| serde_json::from_str::<Manifest>(json).unwrap().license.0;
        assert_eq!(read(r#"{"license":"MIT"}"#).as_deref(), Some("MIT"));
        assert_eq!(
            read(r#"{"license":{"type":"ISC","url":"x"}}"#).as_deref(),
            Some("ISC")
        );
        assert_eq!(read(r#"{"license":[{"type":"MIT"}]}"#), None);
        assert_eq!(read(r#"{"license":null}"#), None);
        assert_eq!(read(r#"{"name":"a"}"#), None);
    }
}
