//! dpkg: `var/lib/dpkg/status` (with `info/*.list` for owned files) and the distroless layout,
//! one paragraph per file under `var/lib/dpkg/status.d/` (with `*.md5sums` for owned files).

use drydock_source::ImagePath;
use std::collections::HashMap;

use crate::attribution::{entry_layers, file_layer};
use crate::detector::{Context, Detector, Found, distro_qualifier, paragraphs, purl};
use crate::model::{Package, PackageType};
use drydock_source::Pattern;

/// dpkg's `status` database, and distroless `status.d`.
pub struct Dpkg;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/*";
const LISTS: &str = "var/lib/dpkg/info/*.list";

/// The fields of one `status` paragraph that matter here.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Paragraph {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: Option<String>,
    /// The `Source` name, without its version.
    pub source: Option<String>,
    /// The version in `Source: name (version)`, when given.
    pub source_version: Option<String>,
    /// `Status` (`install ok installed`).
    pub status: Option<String>,
    /// `Depends` and `Pre-Depends`, names only, every alternative.
    pub depends: Vec<String>,
    /// `Installed-Size`, in KiB as dpkg records it.
    pub installed_size_kib: Option<u64>,
    /// `Essential: yes` or `Priority: required`.
    pub essential: bool,
}

impl Paragraph {
    /// dpkg lists packages whose files are on disk; `deinstall ok config-files` and friends
    /// are not installed.
    pub fn is_installed(&self) -> bool {
        match &self.status {
            None => true,
            Some(s) => s.split_whitespace().nth(2) == Some("installed"),
        }
    }
}

/// Reads one paragraph; `None` without a package or version.
pub fn parse_paragraph(text: &str) -> Option<Paragraph> {
    let mut p = Paragraph::default();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Package" => p.package = value.to_string(),
            "Version" => p.version = value.to_string(),
            "Architecture" => p.architecture = Some(value.to_string()),
            "Status" => p.status = Some(value.to_string()),
            "Depends" | "Pre-Depends" => {
                crate::detector::distinct_depends(relation_iter(value), &mut p.depends)
            }
            "Installed-Size" => p.installed_size_kib = value.parse().ok(),
            "Essential" => p.essential |= value == "yes",
            "Priority" => p.essential |= value == "required",
            "Source" => match value.split_once(' ') {
                Some((name, rest)) => {
                    p.source = Some(name.to_string());
                    let v = rest.trim().trim_start_matches('(').trim_end_matches(')').trim();
                    if !v.is_empty() {
                        p.source_version = Some(v.to_string());
                    }
                }
                None => p.source = Some(value.to_string()),
            },
            _ => {}
        }
    }
    (!p.package.is_empty() && !p.version.is_empty()).then_some(p)
}

/// The package names of a relationship field: `libc6 (>= 2.34), libssl3 | libssl1.1,
/// perl:any` → libc6, libssl3, libssl1.1, perl.
pub fn relation_names(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    crate::detector::distinct_depends(relation_iter(value), &mut out);
    out
}

fn relation_iter(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split([',', '|']).filter_map(|alt| {
        let name = alt.trim().split([' ', '(', '[', '<']).next()?;
        let name = name.split(':').next().unwrap_or(name);
        (!name.is_empty()).then(|| name.to_string())
    })
}

/// Package key used in attribution: dpkg allows one package name per architecture.
fn key(p: &Paragraph) -> String {
    format!("{}:{}", p.package, p.architecture.as_deref().unwrap_or(""))
}

/// A revision's installed paragraphs by package, for telling which layer changed each: no
/// more than one past the database limit (a revision past it could not be read as the final
/// one either), so an old revision cannot hold more than the final one may.
fn entries(data: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(data);
    paragraphs(&text)
        .filter_map(|raw| {
            parse_paragraph(raw)
                .filter(Paragraph::is_installed)
                .map(|p| (key(&p), raw.to_string()))
        })
        .take(crate::detector::MAX_DATABASE_PACKAGES + 1)
        .collect()
}

impl Detector for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[STATUS, STATUS_D, LISTS]
    }

    fn os_databases(&self) -> (&'static [&'static str], u64) {
        (&[STATUS], 64 << 20)
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        let distro = distro_qualifier(cx.distro);
        let namespace = cx
            .distro
            .map(|d| d.id.as_str())
            .filter(|id| !id.is_empty())
            .unwrap_or("debian");
        let allowance = cx.allowance.saturating_sub(cx.held);
        let mut room = allowance;
        let past = |database: &str| {
            let path = ImagePath::new(database).absolute();
            move |_| crate::Error::FileListsPastBudget {
                path,
                left: allowance,
            }
        };

        for status in cx.fs.glob(&Pattern::new(STATUS)) {
            found.databases.push(ImagePath::new(&status).absolute());
            let Some(data) = cx.fs.read(&status) else {
                continue;
            };
            let text = String::from_utf8_lossy(data);
            let layers = entry_layers(cx.fs.history(&status), |d| Some(entries(d)));
            let mut skipped = 0;
            let mut listed = 0;
            for raw in paragraphs(&text) {
                let Some(p) = parse_paragraph(raw) else {
                    skipped += 1;
                    continue;
                };
                if !p.is_installed() {
                    continue;
                }
                crate::detector::count_package(&mut listed, &ImagePath::new(&status).absolute())?;
                let files = owned_files(cx, &p, &mut room).map_err(past(&status))?;
                let layer = layers.get(&key(&p)).copied();
                found.packages.push(package(
                    &p,
                    namespace,
                    &distro,
                    layer,
                    ImagePath::new(&status).absolute(),
                    files,
                ));
            }
            if skipped > 0 {
                found.warnings.push(format!(
                    "{}: skipped {skipped} paragraph(s) without Package or Version",
                    ImagePath::new(&status)
                ));
            }
        }

        let mut listed = 0;
        for file in cx.fs.glob(&Pattern::new(STATUS_D)) {
            if file.ends_with(".md5sums") {
                continue;
            }
            if !found.databases.iter().any(|d| d == "/var/lib/dpkg/status.d") {
                found.databases.push("/var/lib/dpkg/status.d".to_string());
            }
            let Some(data) = cx.fs.read(&file) else {
                continue;
            };
            let text = String::from_utf8_lossy(data);
            let layer = file_layer(cx.fs.history(&file));
            let mut any = false;
            for raw in paragraphs(&text) {
                let Some(p) = parse_paragraph(raw) else {
                    continue;
                };
                any = true;
                if !p.is_installed() {
                    continue;
                }
                let mut files = Vec::new();
                if let Some(sums) = cx.fs.read(&format!("{file}.md5sums")) {
                    for line in String::from_utf8_lossy(sums).lines() {
                        if let Some((_, path)) = line.split_once("  ") {
                            let path = ImagePath::new(path.trim()).absolute();
                            crate::detector::take_path(&mut room, &path).map_err(past(&file))?;
                            files.push(path);
                        }
                    }
                }
                crate::detector::count_package(&mut listed, "/var/lib/dpkg/status.d")?;
                found.packages.push(package(
                    &p,
                    namespace,
                    &distro,
                    layer,
                    ImagePath::new(&file).absolute(),
                    files,
                ));
            }
            if !any && !text.trim().is_empty() {
                found.warnings.push(format!(
                    "{}: no dpkg paragraph with Package and Version",
                    ImagePath::new(&file)
                ));
            }
        }
        Ok(found)
    }
}

fn owned_files(
    cx: &Context<'_>,
    p: &Paragraph,
    room: &mut u64,
) -> Result<Vec<String>, crate::detector::PastRoom> {
    let arch = p.architecture.as_deref().unwrap_or("");
    let candidates = [
        format!("var/lib/dpkg/info/{}:{arch}.list", p.package),
        format!("var/lib/dpkg/info/{}.list", p.package),
    ];
    for c in &candidates {
        if let Some(data) = cx.fs.read(c) {
            let mut files = Vec::new();
            for line in String::from_utf8_lossy(data).lines().map(str::trim) {
                if !line.is_empty() && line != "/." && !line.ends_with("/.") {
                    crate::detector::take_path(room, line)?;
                    files.push(line.to_string());
                }
            }
            return Ok(files);
        }
    }
    Ok(Vec::new())
}

fn package(
    p: &Paragraph,
    namespace: &str,
    distro: &str,
    layer: Option<usize>,
    location: String,
    files: Vec<String>,
) -> Package {
    let arch = p.architecture.clone().unwrap_or_default();
    Package {
        name: p.package.clone(),
        version: p.version.clone(),
        ecosystem: PackageType::Deb,
        purl: purl(
            PackageType::Deb,
            Some(namespace),
            &p.package,
            &p.version,
            &[("arch", &arch), ("distro", distro)],
        ),
        source_name: Some(p.source.clone().unwrap_or_else(|| p.package.clone())),
        source_version: Some(p.source_version.clone().unwrap_or_else(|| p.version.clone())),
        arch: p.architecture.clone(),
        epoch: None,
        modularity_label: None,
        layer,
        locations: vec![location],
        files,
        licenses: Vec::new(),
        owner: None,
        dev: false,
        introduced_by: None,
        depends: p.depends.clone(),
        installed_size: p.installed_size_kib.map(|k| k * 1024),
        essential: p.essential,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An older revision of the status is read for attribution only, and no further than the
    /// final one may list: 400,000 tiny paragraphs in a layer below must not make a map of them.
    #[test]
    fn relation_fields_list_distinct_names_up_to_a_limit() {
        assert_eq!(
            relation_names("libc6 (>= 2.36), libc6, zlib1g | libz:any"),
            ["libc6", "zlib1g", "libz"]
        );
        let repeated = vec!["a"; 100_000].join(", ");
        assert_eq!(relation_names(&repeated), ["a"]);
        let wide: Vec<String> = (0..crate::MAX_DEPENDS + 10).map(|i| format!("p{i}")).collect();
        assert_eq!(relation_names(&wide.join(", ")).len(), crate::MAX_DEPENDS);
    }

    #[test]
    fn revisions_are_read_no_further_than_the_database_limit() {
        let status: String = (0..crate::detector::MAX_DATABASE_PACKAGES + 5)
            .map(|i| format!("Package: p{i}\nStatus: install ok installed\nVersion: 1\n\n"))
            .collect();
        assert_eq!(
            entries(status.as_bytes()).len(),
            crate::detector::MAX_DATABASE_PACKAGES + 1
        );
    }

    #[test]
    fn source_with_version() {
        let p = parse_paragraph("Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\nDescription: x\n more\n").unwrap();
        assert_eq!(p.source.as_deref(), Some("openssl"));
        assert_eq!(p.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(p.version, "3.0.11-1~deb12u2+b1");
        assert!(p.is_installed());
    }

    #[test]
    fn crlf_status_files_keep_every_package() {
        let lf = "Package: a\nStatus: install ok installed\nVersion: 1\nDescription: x\n .\n more\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n\n\nPackage: c\nStatus: install ok installed\nVersion: 3\n";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_string(), crlf] {
            let names: Vec<String> = crate::detector::paragraphs(&text)
                .filter_map(parse_paragraph)
                .map(|p| format!("{} {}", p.package, p.version))
                .collect();
            assert_eq!(names, ["a 1", "b 2", "c 3"], "{text:?}");
        }
    }

    #[test]
    fn relations_size_and_priority() {
        let p = parse_paragraph("Package: curl\nStatus: install ok installed\nPriority: optional\nInstalled-Size: 502\nVersion: 7.88.1-10\nPre-Depends: dpkg (>= 1.17)\nDepends: libc6 (>= 2.34), libcurl4 (= 7.88.1-10), zlib1g (>= 1:1.1.4) | zlib-ng, perl:any\n").unwrap();
        assert_eq!(
            p.depends,
            ["dpkg", "libc6", "libcurl4", "zlib1g", "zlib-ng", "perl"]
        );
        assert_eq!((p.installed_size_kib, p.essential), (Some(502), false));
        let base = parse_paragraph("Package: base-files\nEssential: yes\nVersion: 12.4\n").unwrap();
        let libc = parse_paragraph("Package: libc6\nPriority: required\nVersion: 2.36\n").unwrap();
        assert!(base.essential && libc.essential);
    }

    #[test]
    fn config_files_only_is_not_installed() {
        let p = parse_paragraph("Package: e2fsprogs\nStatus: deinstall ok config-files\nVersion: 1.47.0-2\n")
            .unwrap();
        assert!(!p.is_installed());
        assert!(parse_paragraph("Pakij: apt\nVersion: 1\n").is_none());
    }
}
