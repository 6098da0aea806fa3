//! PHP packages installed by Composer: `vendor/composer/installed.json` (Composer 1: an array;
//! Composer 2: `{"packages": [...]}`), with development packages marked when Composer 2 lists
//! them in `dev-package-names`.

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Package, PackageType};
use drydock_source::ImagePath;
use drydock_source::Pattern;

/// PHP packages: `vendor/composer/installed.json`.
pub struct Composer;

const PATTERN: &str = "**/vendor/composer/installed.json";

/// (name, version, dev) from installed.json.
pub fn parse_installed(text: &str) -> Result<Vec<(String, String, bool)>, crate::ManifestError> {
    let v: serde_json::Value = serde_json::from_str(text)?;
    let dev_names: Vec<&str> = v
        .get("dev-package-names")
        .and_then(|d| d.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let list = v
        .get("packages")
        .and_then(|p| p.as_array())
        .or_else(|| v.as_array())
        .ok_or(crate::ManifestError::NoPackageList)?;
    Ok(list
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?.to_string();
            let version = p
                .get("version_normalized")
                .and_then(|_| p.get("version"))
                .or_else(|| p.get("version"))?
                .as_str()?;
            let version = version.trim_start_matches('v').to_string();
            let dev = dev_names.contains(&name.as_str());
            Some((name, version, dev))
        })
        .collect())
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
            let entries = match parse_installed(&String::from_utf8_lossy(data)) {
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
            parse_installed(v2).unwrap(),
            vec![
                ("monolog/monolog".into(), "2.9.1".into(), false),
                ("phpunit/phpunit".into(), "10.0.0".into(), true)
            ]
        );
        let v1 = r#"[{"name":"a/b","version":"1.0.0"}]"#;
        assert_eq!(
            parse_installed(v1).unwrap(),
            vec![("a/b".into(), "1.0.0".into(), false)]
        );
        assert!(matches!(
            parse_installed("{}"),
            Err(crate::ManifestError::NoPackageList)
        ));
    }
}
