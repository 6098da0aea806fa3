//! PHP packages installed by Composer: `vendor/composer/installed.json` (Composer 1: an array;
//! Composer 2: `{"packages": [...]}`), with development packages marked when Composer 2 lists
//! them in `dev-package-names`.

use crate::detector::{Context, Detector, Found, purl};
use crate::json_scan::Array;
use crate::model::{Package, PackageType};
use drydock_source::ImagePath;
use drydock_source::Pattern;

/// PHP packages: `vendor/composer/installed.json`.
pub struct Composer;

const PATTERN: &str = "**/vendor/composer/installed.json";

/// (name, version, dev) from installed.json, read as it parses ([`crate::json_scan`]),
/// keeping at most `max` packages.
pub fn parse_installed(text: &str, max: usize) -> Result<Vec<(String, String, bool)>, crate::ManifestError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (list, dev_names) = serde::Deserializer::deserialize_any(&mut de, Installed { max })?;
    de.end()?;
    let list = list.ok_or(crate::ManifestError::NoPackageList)?;
    Ok(list
        .into_iter()
        .map(|(name, version)| {
            let dev = dev_names.contains(&name);
            (name, version.trim_start_matches('v').to_string(), dev)
        })
        .collect())
}

type Listed = (Option<Vec<(String, String)>>, std::collections::HashSet<String>);

/// installed.json's top level: Composer 1's array, or Composer 2's object.
struct Installed {
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Installed {
    type Value = Listed;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an installed.json array or object")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Listed, A::Error> {
        Ok((
            Some(PackageList { max: self.max }.visit_seq(seq)?),
            Default::default(),
        ))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Listed, A::Error> {
        use crate::json_scan::Scalar;
        let (mut list, mut dev) = (None, std::collections::HashSet::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "packages" => list = Some(map.next_value_seed(Array(PackageList { max: self.max }))?),
                "dev-package-names" => {
                    let names: Vec<Scalar> = map.next_value_seed(Array(Capped { max: self.max }))?;
                    dev.extend(names.into_iter().filter_map(Scalar::into_string));
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok((list, dev))
    }
}

/// The packages: (name, version) of each that has both.
struct PackageList {
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for PackageList {
    type Value = Vec<(String, String)>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of packages")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(fields) = seq.next_element_seed(crate::json_scan::Fields(&["name", "version"]))? {
            let [name, version]: [crate::json_scan::Scalar; 2] = fields.try_into().unwrap_or_default();
            if let (Some(name), Some(version)) = (name.into_string(), version.into_string())
                && out.len() < self.max
            {
                out.push((name, version));
            }
        }
        Ok(out)
    }
}

/// An array of scalars, at most `max` kept.
struct Capped {
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Capped {
    type Value = Vec<crate::json_scan::Scalar>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<crate::json_scan::Scalar>()? {
            if out.len() < self.max {
                out.push(v);
            }
        }
        Ok(out)
    }
}

impl Detector for Composer {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[PATTERN]
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for path in cx.fs.glob(&Pattern::new(PATTERN)) {
            let Some(data) = cx.fs.read(&path) else { continue };
            // One past the image's limit, so that the limit's warning is said.
            let entries = match parse_installed(&String::from_utf8_lossy(data), crate::MAX_IMAGE_PACKAGES + 1)
            {
                Ok(e) => e,
                Err(e) => {
                    found.warnings.push(format!(
                        "{}: unreadable installed.json: {e}",
                        ImagePath::new(&path)
                    ));
                    continue;
                }
            };
            for (name, version, dev) in entries {
                let (vendor, bare) = name
                    .split_once('/')
                    .map(|(v, b)| (Some(v), b))
                    .unwrap_or((None, name.as_str()));
                if !cx.room(&mut found) {
                    break;
                }
                found.packages.push({
                    let package_url = purl(PackageType::Composer, vendor, bare, &version, &[]);
                    let mut p = Package::found_at(
                        name.clone(),
                        version,
                        PackageType::Composer,
                        package_url,
                        cx.fs.node(&path).map(|n| n.layer),
                        ImagePath::new(&path).absolute(),
                    );
                    p.dev = dev;
                    p
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_one_and_two() {
        let v2 = r#"{"packages":[{"name":"monolog/monolog","version":"2.9.1","version_normalized":"2.9.1.0"},
            {"name":"phpunit/phpunit","version":"v10.0.0"}],"dev":true,"dev-package-names":["phpunit/phpunit"]}"#;
        assert_eq!(
            parse_installed(v2, usize::MAX).unwrap(),
            vec![
                ("monolog/monolog".into(), "2.9.1".into(), false),
                ("phpunit/phpunit".into(), "10.0.0".into(), true)
            ]
        );
        let v1 = r#"[{"name":"a/b","version":"1.0.0"}]"#;
        assert_eq!(
            parse_installed(v1, usize::MAX).unwrap(),
            vec![("a/b".into(), "1.0.0".into(), false)]
        );
        assert!(matches!(
            parse_installed("{}", usize::MAX),
            Err(crate::ManifestError::NoPackageList)
        ));
    }

    /// installed.json is read as it parses and keeps at most `max` packages; a package without
    /// a string name and version is skipped.
    #[test]
    fn installed_json_stops_at_its_cap() {
        let v2 = r#"{"packages":[{"name":"a/a","version":"1.0.0","extra":{"x":[1,2]}},{"name":"b/b","version":7},
            {"name":"c/c","version":"v3.0.0"}],"dev-package-names":["c/c",5]}"#;
        assert_eq!(
            parse_installed(v2, usize::MAX).unwrap(),
            vec![
                ("a/a".into(), "1.0.0".into(), false),
                ("c/c".into(), "3.0.0".into(), true)
            ]
        );
        assert_eq!(
            parse_installed(v2, 1).unwrap(),
            vec![("a/a".into(), "1.0.0".into(), false)]
        );
    }
}
