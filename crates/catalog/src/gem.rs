//! Ruby gems: the installed `specifications/*.gemspec` files RubyGems writes (Ruby source, but
//! in a fixed generated shape: `s.name = "rake".freeze`, `s.version = "13.0.6"`).

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Package, PackageType};
use drydock_source::ImagePath;
use drydock_source::Pattern;

/// Ruby gems: `specifications/*.gemspec`.
pub struct Gem;

const PATTERN: &str = "**/specifications/*.gemspec";

fn string_value(rest: &str) -> Option<String> {
    let rest = rest.trim();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &rest[1..];
    let end = inner.find(quote)?;
    Some(inner[..end].to_string())
}

/// Licences kept from one gemspec.
const MAX_LICENSES: usize = 16;

/// (name, version, licenses) from a generated gemspec.
pub fn parse_gemspec(text: &str) -> Option<(String, String, Vec<String>)> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        let t = line.trim();
        let Some((lhs, rhs)) = t.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let field = lhs.rsplit_once('.').map(|(_, f)| f).unwrap_or(lhs);
        match field {
            "name" if name.is_none() => name = string_value(rhs),
            "version" if version.is_none() => {
                // `s.version = "1.2.3"` or `Gem::Version.new("1.2.3")`
                version =
                    string_value(rhs).or_else(|| rhs.split_once('(').and_then(|(_, r)| string_value(r)));
            }
            "licenses" => {
                // A gem names one or two; a line naming a million must not list them all.
                licenses = rhs
                    .split(['"', '\''])
                    .skip(1)
                    .step_by(2)
                    .take(MAX_LICENSES)
                    .map(str::to_string)
                    .collect();
            }
            _ => {}
        }
    }
    Some((name?, version?, licenses))
}

impl Detector for Gem {
    fn name(&self) -> &'static str {
        "gem"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[PATTERN]
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for path in cx.fs.glob(&Pattern::new(PATTERN)) {
            let Some(data) = cx.fs.read(&path) else { continue };
            let Some((name, version, licenses)) = parse_gemspec(&String::from_utf8_lossy(data)) else {
                found.warnings.push(format!(
                    "{}: no name and version in the gemspec",
                    ImagePath::new(&path)
                ));
                continue;
            };
            if !cx.room(&mut found) {
                break;
            }
            found.packages.push({
                let package_url = purl(PackageType::Gem, None, &name, &version, &[]);
                let mut p = Package::found_at(
                    name,
                    version,
                    PackageType::Gem,
                    package_url,
                    cx.fs.node(&path).map(|n| n.layer),
                    ImagePath::new(&path).absolute(),
                );
                p.licenses = licenses;
                p
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_gemspec() {
        let text = "# -*- encoding: utf-8 -*-\n# stub: rake 13.0.6 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\n  s.required_rubygems_version = Gem::Requirement.new(\">= 1.3.2\".freeze) if s.respond_to? :required_rubygems_version=\nend\n";
        assert_eq!(
            parse_gemspec(text),
            Some(("rake".into(), "13.0.6".into(), vec!["MIT".into()]))
        );
        assert_eq!(parse_gemspec("s.name = 'x'\n"), None);
    }

    #[test]
    fn licences_stop_at_sixteen() {
        let many = vec!["\"MIT\""; 1_000].join(", ");
        let text = format!(
            "Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = \"1\"\n  s.licenses = [{many}]\nend\n"
        );
        assert_eq!(parse_gemspec(&text).unwrap().2.len(), MAX_LICENSES);
    }
}
